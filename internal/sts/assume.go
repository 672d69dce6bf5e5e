package sts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/authz"
	"github.com/duplexsms/duplex/internal/iam"
	"github.com/duplexsms/duplex/internal/policy"
	"github.com/duplexsms/duplex/internal/store"
)

// GetCallerIdentityOutput is the model's GetCallerIdentityResponse.
type GetCallerIdentityOutput struct {
	UserId  string `json:"UserId"`
	Account string `json:"Account"`
	Arn     string `json:"Arn"`
}

// GetCallerIdentity returns who is calling. It needs no permission.
func (s *Service) GetCallerIdentity(ctx context.Context, _ *struct{}) (*GetCallerIdentityOutput, error) {
	c := duplex.CallerFrom(ctx)
	if c == nil {
		return nil, &duplex.Error{Code: "AccessDenied", Message: "No authenticated caller"}
	}
	uid := c.Context["aws:userid"]
	if uid == "" {
		uid = c.Account
		if !authz.IsRoot(c) && c.AccessKeyID != "" {
			uid = c.AccessKeyID
		}
	}
	return &GetCallerIdentityOutput{UserId: uid, Account: c.Account, Arn: c.ARN}, nil
}

// PolicyDescriptor is the model's PolicyDescriptorType.
type PolicyDescriptor struct {
	Arn string `json:"arn"`
}

// AssumeRoleInput is the model's AssumeRoleRequest.
type AssumeRoleInput struct {
	RoleArn           string
	RoleSessionName   string
	PolicyArns        []PolicyDescriptor
	Policy            *string
	DurationSeconds   *int32
	Tags              []Tag
	TransitiveTagKeys []string
	ExternalId        *string
	SerialNumber      *string
	TokenCode         *string
	SourceIdentity    *string
	ProvidedContexts  []map[string]any
}

// Credentials is the model's Credentials shape.
type Credentials struct {
	AccessKeyId     string    `json:"AccessKeyId"`
	SecretAccessKey string    `json:"SecretAccessKey"`
	SessionToken    string    `json:"SessionToken"`
	Expiration      time.Time `json:"Expiration"`
}

// AssumedRoleUser is the model's AssumedRoleUser shape.
type AssumedRoleUser struct {
	AssumedRoleId string `json:"AssumedRoleId"`
	Arn           string `json:"Arn"`
}

// AssumeRoleOutput is the model's AssumeRoleResponse.
type AssumeRoleOutput struct {
	Credentials      Credentials     `json:"Credentials"`
	AssumedRoleUser  AssumedRoleUser `json:"AssumedRoleUser"`
	PackedPolicySize *int32          `json:"PackedPolicySize,omitempty"`
	SourceIdentity   string          `json:"SourceIdentity,omitempty"`
}

func validationError(msg string) error {
	return &duplex.Error{Code: "ValidationError", Message: msg}
}

// AssumeRole issues temporary credentials for a role whose trust policy
// allows the caller.
func (s *Service) AssumeRole(ctx context.Context, in *AssumeRoleInput) (*AssumeRoleOutput, error) {
	c := duplex.CallerFrom(ctx)
	if c == nil {
		return nil, &duplex.Error{Code: "AccessDenied", Message: "No authenticated caller"}
	}
	if len(in.PolicyArns) > 0 {
		return nil, validationError("PolicyArns (managed session policies) are not supported by duplex; pass the session policy inline in Policy.")
	}
	if len(in.ProvidedContexts) > 0 {
		return nil, validationError("ProvidedContexts are not supported by duplex.")
	}
	if in.SerialNumber != nil || in.TokenCode != nil {
		return nil, &duplex.Error{Code: "AccessDenied", Message: "MultiFactorAuthentication failed, unable to validate MFA code.",
			Err: errors.New("duplex has no MFA devices")}
	}
	sessionPolicy := ""
	if in.Policy != nil {
		sessionPolicy = *in.Policy
		if len([]rune(sessionPolicy)) > MaxSessionPolicySize {
			return nil, validationError(fmt.Sprintf("1 validation error detected: Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to %d", MaxSessionPolicySize))
		}
		if _, err := policy.ParseKind(sessionPolicy, policy.IdentityPolicy); err != nil {
			var me *policy.MalformedError
			if errors.As(err, &me) {
				return nil, &duplex.Error{Code: "MalformedPolicyDocument", Message: me.Message, Err: err}
			}
			return nil, internal(err)
		}
	}
	tagKeys := map[string]bool{}
	for _, t := range in.Tags {
		k := strings.ToLower(t.Key)
		if tagKeys[k] {
			return nil, &duplex.Error{Code: "InvalidParameterValue", Message: "Duplicate tag keys found. Please note that Tag keys are case insensitive."}
		}
		tagKeys[k] = true
	}

	now := s.Now().UTC()
	denied := func(action string, d policy.Decision, extra string) error {
		s.logDenied(ctx, c.ARN, in.RoleArn, d, extra)
		return &duplex.Error{Code: "AccessDenied",
			Message: "User: " + c.ARN + " is not authorized to perform: " + action + " on resource: " + in.RoleArn,
			Err:     errors.New(d.Explanation + extra)}
	}
	role, err := s.IAM.RoleByARN(ctx, in.RoleArn)
	if err != nil {
		if e, ok := duplex.AsError(err); ok && e.Code == "NoSuchEntity" {
			return nil, denied("sts:AssumeRole", policy.Decision{Effect: policy.EvalImplicitDeny,
				Explanation: "the role " + in.RoleArn + " does not exist"}, "")
		}
		return nil, internal(err)
	}
	trust, err := s.IAM.TrustPolicy(role)
	if err != nil {
		return nil, internal(err)
	}

	// Condition keys of the request.
	extra := map[string][]string{"sts:rolesessionname": {in.RoleSessionName}}
	if in.ExternalId != nil {
		extra["sts:externalid"] = []string{*in.ExternalId}
	}
	if in.SourceIdentity != nil {
		extra["sts:sourceidentity"] = []string{*in.SourceIdentity}
	}
	if len(in.Tags) > 0 {
		keys := make([]string, 0, len(in.Tags))
		for _, t := range in.Tags {
			extra["aws:requesttag/"+strings.ToLower(t.Key)] = []string{t.Value}
			keys = append(keys, t.Key)
		}
		extra["aws:tagkeys"] = keys
	}
	req := policy.Request{Principal: authz.PrincipalOf(c), Resource: role.Arn, Context: map[string][]string{}}
	authz.ContextKeys(c, now, req.Context)
	for k, v := range extra {
		req.Context[k] = v
	}

	actions := []string{"sts:AssumeRole"}
	if len(in.Tags) > 0 {
		actions = append(actions, "sts:TagSession")
	}
	if in.SourceIdentity != nil {
		actions = append(actions, "sts:SetSourceIdentity")
	}
	for _, action := range actions {
		req.Action = action
		d := policy.AuthorizeAssumeRole(trust, req)
		if !d.Allowed {
			return nil, denied(action, d, "")
		}
		// The identity side: the account root may assume any role its
		// account is trusted for; anyone else needs an identity-policy
		// allow unless the trust policy names them (AWS evaluates the trust
		// policy as the role's resource policy).
		if s.Authz != nil && !authz.IsRoot(c) {
			d, err := s.Authz.Authorize(ctx, authz.Request{Caller: c, Action: action, Resource: role.Arn,
				ResourceAccount: role.Account, ResourcePolicy: role.AssumeRolePolicyDocument,
				ResourcePolicyName: "trust policy of " + role.Arn, Context: extra})
			if err != nil {
				return nil, internal(err)
			}
			if !d.Allowed {
				return nil, denied(action, d, "")
			}
		}
	}

	duration := int32(DefaultDurationSeconds)
	if in.DurationSeconds != nil {
		duration = *in.DurationSeconds
	}
	if c.RoleARN != "" && duration > ChainedMaxDuration {
		return nil, validationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if duration > role.MaxSessionDuration {
		return nil, validationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}

	var packed *int32
	if in.Policy != nil || len(in.Tags) > 0 {
		size := iam.PolicySize(sessionPolicy)
		for _, t := range in.Tags {
			size += len(t.Key) + len(t.Value)
		}
		pct := int32((size*100 + packedPolicyBudgetChars - 1) / packedPolicyBudgetChars)
		if pct > 100 {
			return nil, &duplex.Error{Code: "PackedPolicyTooLarge",
				Message: fmt.Sprintf("Packed size of consumed session policies and session tags exceeds 100%%: %d%%.", pct)}
		}
		packed = &pct
	}

	akid := iam.NewID("ASIA")
	ss := &session{accessKeyID: akid, secret: randomString(30), token: randomString(192)}
	ss.storedSession = storedSession{Account: role.Account, RoleArn: role.Arn, RoleId: role.RoleId, RoleName: role.RoleName,
		SessionName: in.RoleSessionName, SessionPolicy: sessionPolicy, SourceIdentity: derefStr(in.SourceIdentity),
		Issued: now, Expiration: now.Add(time.Duration(duration) * time.Second).Truncate(time.Second)}
	ss.Tags = append(ss.Tags, in.Tags...)
	ss.Sealed = s.seal(akid, ss.secret, ss.token)
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		b, err := json.Marshal(ss.storedSession)
		if err != nil {
			return err
		}
		return tx.Insert(ctx, store.Record{Account: "", Kind: kindSession, ID: akid, Data: b})
	})
	if err != nil {
		return nil, internal(err)
	}
	s.remember(ss)
	return &AssumeRoleOutput{
		Credentials:      Credentials{AccessKeyId: akid, SecretAccessKey: ss.secret, SessionToken: ss.token, Expiration: ss.Expiration},
		AssumedRoleUser:  AssumedRoleUser{AssumedRoleId: role.RoleId + ":" + in.RoleSessionName, Arn: ss.arn()},
		PackedPolicySize: packed,
		SourceIdentity:   ss.SourceIdentity,
	}, nil
}

// AssumeRoleAsService is the step by which an AWS service principal
// (sms-voice.amazonaws.com) acting for an account assumes a customer's
// role, as AWS does before delivering to a channel with the customer's
// permissions. The role's trust policy is checked for the service
// principal with the condition keys in condCtx (aws:SourceAccount,
// aws:SourceArn, …). On allow it returns an in-memory assumed-role caller
// (no credentials are issued) whose Context carries condCtx. On deny it
// returns the Decision, whose Explanation says which statement and
// condition failed, and an AccessDenied error carrying that explanation.
// A missing role is a NoSuchEntity error with an implicit-deny Decision
// saying so.
func (s *Service) AssumeRoleAsService(ctx context.Context, roleArn, servicePrincipal string, condCtx map[string]string) (*duplex.Caller, policy.Decision, error) {
	role, err := s.IAM.RoleByARN(ctx, roleArn)
	if err != nil {
		d := policy.Decision{Effect: policy.EvalImplicitDeny, Explanation: "the role " + roleArn + " does not exist"}
		if e, ok := duplex.AsError(err); !ok || e.Code != "NoSuchEntity" {
			d.Explanation = "the role " + roleArn + " could not be read: " + err.Error()
		}
		return nil, d, err
	}
	trust, err := s.IAM.TrustPolicy(role)
	if err != nil {
		return nil, policy.Decision{}, internal(err)
	}
	svc := &duplex.Caller{Service: servicePrincipal, Context: condCtx}
	req := policy.Request{Principal: authz.PrincipalOf(svc), Action: "sts:AssumeRole", Resource: role.Arn,
		Context: map[string][]string{}}
	authz.ContextKeys(svc, s.Now(), req.Context)
	d := policy.AuthorizeAssumeRole(trust, req)
	if !d.Allowed {
		s.logDenied(ctx, servicePrincipal, roleArn, d, "")
		return nil, d, &duplex.Error{Code: "AccessDenied",
			Message: "User: " + servicePrincipal + " is not authorized to perform: sts:AssumeRole on resource: " + roleArn,
			Err:     errors.New(d.Explanation)}
	}
	sessionName, _, _ := strings.Cut(servicePrincipal, ".")
	ctxKeys := make(map[string]string, len(condCtx)+1)
	for k, v := range condCtx {
		ctxKeys[k] = v
	}
	ctxKeys["aws:userid"] = role.RoleId + ":" + sessionName
	return &duplex.Caller{Account: role.Account, ARN: AssumedRoleARN(role.Account, role.RoleName, sessionName),
		RoleARN: role.Arn, Context: ctxKeys}, d, nil
}

func derefStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Package authz turns an authenticated caller, an action and a resource into
// an IAM policy decision. It fills the global condition keys AWS provides
// from the caller (aws:PrincipalArn, aws:SourceIp, aws:CurrentTime, …),
// gathers the caller's identity and session policies from IAM, parses the
// resource policy, and lets internal/policy decide.
//
// The account root user has no identity policies; it is represented by an
// implicit allow-everything identity policy, so that the evaluation rules of
// internal/policy give the AWS outcome: the root may do anything in its own
// account unless a resource policy explicitly denies it; cross-account it
// needs the resource policy's allow; and with a KMS key policy, which is
// authoritative, it needs the key policy to allow it or its account.
package authz

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/policy"
)

// IdentitySource provides the identity-based policies of a caller
// (internal/iam implements it).
type IdentitySource interface {
	// IdentityPolicies returns the identity-based policies that apply to the
	// caller (role inline and attached managed policies for assumed-role
	// sessions; none for the account root or service principals), plus the
	// session policy if any.
	IdentityPolicies(ctx context.Context, c *duplex.Caller) (identity []*policy.Named, session []*policy.Named, err error)
}

// Request is one authorization question.
type Request struct {
	Caller *duplex.Caller
	// Action is service:Operation, e.g. "sns:Publish".
	Action string
	// Resource is the ARN acted on ("*" or "" for actions without one).
	Resource string
	// ResourceAccount owns the resource; "" = the account field of Resource.
	ResourceAccount string
	// ResourcePolicy is the resource's policy document (topic policy, key
	// policy); "" = none.
	ResourcePolicy string
	// ResourcePolicyName names it in explanations, e.g. "topic policy of arn:aws:sns:…".
	ResourcePolicyName string
	// KeyPolicy: the resource policy is a KMS key policy, which must allow
	// the request itself or delegate to the account's IAM policies.
	KeyPolicy bool
	// Context holds extra condition keys, e.g.
	// kms:EncryptionContext:aws:sns:topicArn. They override the derived ones.
	Context map[string][]string
}

// Authorizer decides requests. Identities may be nil (then only the account
// root and resource policies can allow anything). Now defaults to time.Now.
// An Authorizer must not be copied after first use.
type Authorizer struct {
	Identities IdentitySource
	Now        func() time.Time

	cache PolicyCache
}

// rootPolicy stands for the account root user's unrestricted permissions.
var rootPolicy = func() *policy.Policy {
	p, err := policy.ParseKind(`{"Version":"2012-10-17","Statement":[{"Sid":"AccountRoot","Effect":"Allow","Action":"*","Resource":"*"}]}`, policy.IdentityPolicy)
	if err != nil {
		panic(err)
	}
	return p
}()

// RootPolicyName is the name of the implicit policy of the account root in
// explanations.
const RootPolicyName = "account root user (implicit full access)"

// IsRoot reports whether c is the root user of its account.
func IsRoot(c *duplex.Caller) bool {
	if c == nil || c.Service != "" || c.Account == "" {
		return false
	}
	part, svc, region, acct, res, ok := splitARN(c.ARN)
	return ok && part != "" && svc == "iam" && region == "" && acct == c.Account && res == "root"
}

// Authorize decides r. The error is non-nil only when the decision could not
// be made (store failure, unparsable stored policy); a denial is a Decision
// with Allowed false.
func (a *Authorizer) Authorize(ctx context.Context, r Request) (policy.Decision, error) {
	c := r.Caller
	if c == nil {
		return policy.Decision{Effect: policy.EvalImplicitDeny, Explanation: "implicitly denied: no authenticated caller"}, nil
	}
	in := policy.Input{
		Request:           a.request(c, r),
		ResourceAccount:   r.ResourceAccount,
		KeyPolicyRequired: r.KeyPolicy,
	}
	if r.ResourcePolicy != "" {
		p, err := a.cache.Parse(r.ResourcePolicy, policy.AnyPolicy)
		if err != nil {
			name := r.ResourcePolicyName
			if name == "" {
				name = "resource policy"
			}
			return policy.Decision{}, fmt.Errorf("authz: %s: %w", name, err)
		}
		in.Resource = &policy.Named{Name: r.ResourcePolicyName, Policy: p}
	}
	switch {
	case c.Service != "":
		// Service principals have no identity policies.
	case IsRoot(c):
		in.Identity = []*policy.Named{{Name: RootPolicyName, Policy: rootPolicy}}
	case a.Identities != nil:
		ids, sess, err := a.Identities.IdentityPolicies(ctx, c)
		if err != nil {
			return policy.Decision{}, fmt.Errorf("authz: identity policies of %s: %w", c.ARN, err)
		}
		in.Identity, in.SessionPolicies = ids, sess
	}
	return policy.Authorize(in), nil
}

// request builds the policy request with the standard global condition keys.
func (a *Authorizer) request(c *duplex.Caller, r Request) policy.Request {
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	t := now().UTC()
	resource := r.Resource
	if resource == "" {
		resource = "*"
	}
	req := policy.Request{
		Principal: PrincipalOf(c),
		Action:    r.Action,
		Resource:  resource,
		Context:   make(map[string][]string, 16+len(c.Context)+len(r.Context)),
	}
	ContextKeys(c, t, req.Context)
	if r.ResourceAccount != "" {
		req.Context["aws:resourceaccount"] = []string{r.ResourceAccount}
	} else if _, _, _, acct, _, ok := splitARN(resource); ok && acct != "" {
		req.Context["aws:resourceaccount"] = []string{acct}
	}
	for k, v := range r.Context {
		req.Context[strings.ToLower(k)] = v
	}
	return req
}

// PrincipalOf returns the policy principal of a caller.
func PrincipalOf(c *duplex.Caller) policy.Principal {
	if c.Service != "" {
		return policy.Principal{Service: c.Service}
	}
	return policy.Principal{Account: c.Account, ARN: c.ARN}
}

// ContextKeys writes the global condition keys derived from the caller at
// time t into m (lower-cased keys), then every entry of c.Context. It is
// used for resource-policy and trust-policy evaluation alike.
func ContextKeys(c *duplex.Caller, t time.Time, m map[string][]string) {
	set := func(k, v string) {
		if v != "" {
			m[k] = []string{v}
		}
	}
	t = t.UTC()
	set("aws:currenttime", t.Format(time.RFC3339))
	set("aws:epochtime", strconv.FormatInt(t.Unix(), 10))
	set("aws:securetransport", "false")
	set("aws:sourceip", c.SourceIP)
	if c.Service != "" {
		set("aws:principalservicename", c.Service)
		set("aws:principalisawsservice", "true")
	} else {
		set("aws:principalisawsservice", "false")
		set("aws:principalaccount", c.Account)
		switch {
		case IsRoot(c):
			set("aws:principalarn", c.ARN)
			set("aws:principaltype", "Account")
			set("aws:userid", c.Account)
		case c.RoleARN != "":
			// For role sessions aws:PrincipalArn is the role, not the session.
			set("aws:principalarn", c.RoleARN)
			set("aws:principaltype", "AssumedRole")
		default:
			set("aws:principalarn", c.ARN)
			if _, svc, _, _, res, ok := splitARN(c.ARN); ok && svc == "iam" && strings.HasPrefix(res, "user/") {
				set("aws:principaltype", "User")
			}
		}
	}
	via := false
	for k, v := range c.Context {
		lk := strings.ToLower(k)
		if lk == "aws:calledvia" {
			var vs []string
			for _, s := range strings.Split(v, ",") {
				if s = strings.TrimSpace(s); s != "" {
					vs = append(vs, s)
				}
			}
			m[lk] = vs
		} else {
			m[lk] = []string{v}
		}
		if strings.HasPrefix(lk, "aws:calledvia") && v != "" {
			via = true
		}
	}
	if _, ok := m["aws:viaawsservice"]; !ok {
		m["aws:viaawsservice"] = []string{strconv.FormatBool(via)}
	}
}

// DeniedMessage is the AWS AccessDenied message for a denied decision:
// "User: ARN is not authorized to perform: ACTION on resource: RESOURCE
// because …".
func DeniedMessage(c *duplex.Caller, action, resource string, d policy.Decision) string {
	who := "anonymous"
	if c != nil {
		who = c.ARN
		if c.Service != "" {
			who = c.Service
		}
	}
	if resource == "" {
		resource = "*"
	}
	msg := "User: " + who + " is not authorized to perform: " + action + " on resource: " + resource
	switch d.Effect {
	case policy.EvalExplicitDeny:
		for _, m := range d.Matches {
			if m.Effect != policy.Deny {
				continue
			}
			switch m.Source {
			case policy.SourceIdentity:
				return msg + " with an explicit deny in an identity-based policy"
			case policy.SourceSession:
				return msg + " with an explicit deny in a session policy"
			default:
				return msg + " with an explicit deny in a resource-based policy"
			}
		}
		return msg + " with an explicit deny"
	case policy.EvalImplicitDeny:
		for _, m := range d.Matches {
			if m.Effect == policy.Allow && (m.Source == policy.SourceIdentity || m.Source == policy.SourceSession) {
				return msg + " because no resource-based policy allows the " + action + " action"
			}
		}
		return msg + " because no identity-based policy allows the " + action + " action"
	}
	return msg
}

// AccessDenied is the query-protocol AccessDenied error (IAM, STS) for a
// denied decision; the explanation is kept for logs only.
func AccessDenied(c *duplex.Caller, action, resource string, d policy.Decision) *duplex.Error {
	return &duplex.Error{Code: "AccessDenied", Message: DeniedMessage(c, action, resource, d),
		Err: errors.New(d.Explanation)}
}

// splitARN splits arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
func splitARN(s string) (partition, service, region, account, resource string, ok bool) {
	if !strings.HasPrefix(s, "arn:") {
		return
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 {
		return
	}
	return parts[1], parts[2], parts[3], parts[4], parts[5], true
}

// PolicyCache keeps parsed policies by document text: topic, key and role
// policies are evaluated on every request and rarely change. The zero value
// is ready to use; it is safe for concurrent use and must not be copied.
type PolicyCache struct {
	mu sync.Mutex
	m  map[cacheKey]*policy.Policy
}

type cacheKey struct {
	doc  string
	kind policy.Kind
}

const maxCachedPolicies = 4096

// Parse is policy.ParseKind, remembering successful parses.
func (pc *PolicyCache) Parse(doc string, kind policy.Kind) (*policy.Policy, error) {
	k := cacheKey{doc, kind}
	pc.mu.Lock()
	p, ok := pc.m[k]
	pc.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := policy.ParseKind(doc, kind)
	if err != nil {
		return nil, err
	}
	pc.mu.Lock()
	if pc.m == nil || len(pc.m) >= maxCachedPolicies {
		pc.m = make(map[cacheKey]*policy.Policy)
	}
	pc.m[k] = p
	pc.mu.Unlock()
	return p, nil
}

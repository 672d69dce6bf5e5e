package kms

import (
	"context"
	"errors"
	"fmt"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/policy"
)

// MaxKeyPolicySize is the largest key policy KMS accepts, in bytes.
const MaxKeyPolicySize = 32 * 1024

const defaultPolicyName = "default"

// DefaultKeyPolicy is the key policy KMS gives a key created without one:
// it lets the account delegate access to IAM policies. The text is laid
// out as AWS returns it.
func DefaultKeyPolicy(account string) string {
	return `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::` + account + `:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`
}

// checkNewPolicy validates a key policy about to be set on k: size, syntax
// and, unless bypassed, the lockout safety check (the new policy must allow
// the caller to change the key policy again).
func (s *Service) checkNewPolicy(ctx context.Context, c *duplex.Caller, k *keyRecord, doc string, bypass bool) error {
	if len(doc) > MaxKeyPolicySize {
		return duplex.Errorf("LimitExceededException", "The key policy is %d bytes; the limit is %d bytes.", len(doc), MaxKeyPolicySize)
	}
	if _, err := policy.ParseKind(doc, policy.ResourcePolicy); err != nil {
		var me *policy.MalformedError
		if errors.As(err, &me) {
			return duplex.Errorf("MalformedPolicyDocumentException", "%s", me.Error())
		}
		return duplex.Errorf("MalformedPolicyDocumentException", "%s", err.Error())
	}
	if bypass {
		return nil
	}
	err := s.authorizePolicy(ctx, c, "kms:PutKeyPolicy", k, doc, ref{Account: k.Account, ID: k.ID}, nil, nil)
	if e, ok := duplex.AsError(err); ok && e.Code == "AccessDeniedException" {
		return &duplex.Error{Code: "MalformedPolicyDocumentException",
			Message: "The new key policy will not allow you to update the key policy in the future.", Err: e.Err}
	}
	return err
}

// GetKeyPolicyInput is the input of GetKeyPolicy.
type GetKeyPolicyInput struct {
	KeyId      string
	PolicyName *string
}

// GetKeyPolicyOutput is the output of GetKeyPolicy.
type GetKeyPolicyOutput struct {
	Policy     string `json:"Policy"`
	PolicyName string `json:"PolicyName"`
}

func checkPolicyName(name *string) error {
	if name != nil && *name != defaultPolicyName {
		return notFound("No such policy exists: %s. The only valid policy name is %q.", *name, defaultPolicyName)
	}
	return nil
}

// GetKeyPolicy returns a key's policy.
func (s *Service) GetKeyPolicy(ctx context.Context, in *GetKeyPolicyInput) (*GetKeyPolicyOutput, error) {
	_, k, err := s.manage(ctx, in.KeyId, "kms:GetKeyPolicy")
	if err != nil {
		return nil, err
	}
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	return &GetKeyPolicyOutput{Policy: k.Policy, PolicyName: defaultPolicyName}, nil
}

// PutKeyPolicyInput is the input of PutKeyPolicy.
type PutKeyPolicyInput struct {
	KeyId                          string
	PolicyName                     *string
	Policy                         string
	BypassPolicyLockoutSafetyCheck *bool
}

// PutKeyPolicy replaces a key's policy.
func (s *Service) PutKeyPolicy(ctx context.Context, in *PutKeyPolicyInput) (*struct{}, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	k, r, err := s.lookup(ctx, c, in.KeyId, false)
	if err != nil {
		return nil, err
	}
	extra := map[string][]string{"kms:BypassPolicyLockoutSafetyCheck": {fmt.Sprint(boolv(in.BypassPolicyLockoutSafetyCheck))}}
	if err := s.authorize(ctx, c, "kms:PutKeyPolicy", k, r, nil, extra); err != nil {
		return nil, err
	}
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	if err := notPendingDeletion(k); err != nil {
		return nil, err
	}
	if err := s.checkNewPolicy(ctx, c, k, in.Policy, boolv(in.BypassPolicyLockoutSafetyCheck)); err != nil {
		return nil, err
	}
	_, err = s.update(ctx, k, func(k *keyRecord) error {
		if err := notPendingDeletion(k); err != nil {
			return err
		}
		k.Policy = in.Policy
		return nil
	})
	return nil, err
}

// ListKeyPoliciesInput is the input of ListKeyPolicies.
type ListKeyPoliciesInput struct {
	KeyId  string
	Limit  *int32
	Marker *string
}

// ListKeyPoliciesOutput is the output of ListKeyPolicies.
type ListKeyPoliciesOutput struct {
	PolicyNames []string `json:"PolicyNames"`
	Truncated   bool     `json:"Truncated"`
}

// ListKeyPolicies lists a key's policy names: always "default".
func (s *Service) ListKeyPolicies(ctx context.Context, in *ListKeyPoliciesInput) (*ListKeyPoliciesOutput, error) {
	if _, _, err := s.manage(ctx, in.KeyId, "kms:ListKeyPolicies"); err != nil {
		return nil, err
	}
	return &ListKeyPoliciesOutput{PolicyNames: []string{defaultPolicyName}}, nil
}

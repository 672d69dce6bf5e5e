package iam

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/policy"
	"github.com/duplexsms/duplex/internal/store"
)

// storedRolePolicy is an inline role policy; the document is verbatim.
type storedRolePolicy struct {
	RoleName       string `json:"roleName"`
	PolicyName     string `json:"policyName"`
	PolicyDocument string `json:"policyDocument"`
}

func rolePolicyKey(role, name string) string {
	return strings.ToLower(role) + "/" + strings.ToLower(name)
}

// PutRolePolicyInput is the model's PutRolePolicyRequest.
type PutRolePolicyInput struct {
	RoleName       string
	PolicyName     string
	PolicyDocument string
}

// PutRolePolicy adds or replaces an inline policy of a role.
func (s *Service) PutRolePolicy(ctx context.Context, in *PutRolePolicyInput) (*struct{}, error) {
	r, err := s.accountRole(ctx, "iam:PutRolePolicy", in.RoleName)
	if err != nil {
		return nil, err
	}
	if PolicySize(in.PolicyDocument) > MaxRoleInlinePolicySize {
		return nil, duplex.Errorf("LimitExceeded", "Maximum policy size of %d bytes exceeded for role %s", MaxRoleInlinePolicySize, r.RoleName)
	}
	if _, err := s.cache.Parse(in.PolicyDocument, policy.IdentityPolicy); err != nil {
		return nil, malformedDocument(err)
	}
	key := strings.ToLower(r.RoleName)
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := s.role(ctx, tx, r.Account, r.RoleName); err != nil {
			return err
		}
		recs, err := scanAll(ctx, tx, r.Account, kindRolePolicy, key+"/", "")
		if err != nil {
			return err
		}
		total := PolicySize(in.PolicyDocument)
		for _, rec := range recs {
			if rec.ID == rolePolicyKey(r.RoleName, in.PolicyName) {
				continue
			}
			p, err := decode[storedRolePolicy](rec)
			if err != nil {
				return err
			}
			total += PolicySize(p.PolicyDocument)
		}
		if total > MaxRoleInlinePolicySize {
			return duplex.Errorf("LimitExceeded", "Maximum policy size of %d bytes exceeded for role %s", MaxRoleInlinePolicySize, r.RoleName)
		}
		return save(ctx, tx, r.Account, kindRolePolicy, rolePolicyKey(r.RoleName, in.PolicyName),
			storedRolePolicy{RoleName: r.RoleName, PolicyName: in.PolicyName, PolicyDocument: in.PolicyDocument}, false)
	})
	return nil, internal(err)
}

// RolePolicyInput names an inline policy of a role.
type RolePolicyInput struct {
	RoleName   string
	PolicyName string
}

// GetRolePolicyOutput is the model's GetRolePolicyResponse.
type GetRolePolicyOutput struct {
	RoleName       string `json:"RoleName"`
	PolicyName     string `json:"PolicyName"`
	PolicyDocument string `json:"PolicyDocument"`
}

func noSuchRolePolicy(name string) error {
	return duplex.Errorf("NoSuchEntity", "The role policy with name %s cannot be found.", name)
}

// GetRolePolicy returns an inline policy of a role (document URL-encoded).
func (s *Service) GetRolePolicy(ctx context.Context, in *RolePolicyInput) (*GetRolePolicyOutput, error) {
	r, err := s.accountRole(ctx, "iam:GetRolePolicy", in.RoleName)
	if err != nil {
		return nil, err
	}
	p, err := load[storedRolePolicy](ctx, s.Store, r.Account, kindRolePolicy, rolePolicyKey(r.RoleName, in.PolicyName))
	if isNotFound(err) {
		return nil, noSuchRolePolicy(in.PolicyName)
	}
	if err != nil {
		return nil, internal(err)
	}
	return &GetRolePolicyOutput{RoleName: r.RoleName, PolicyName: p.PolicyName, PolicyDocument: EncodeDocument(p.PolicyDocument)}, nil
}

// DeleteRolePolicy deletes an inline policy of a role.
func (s *Service) DeleteRolePolicy(ctx context.Context, in *RolePolicyInput) (*struct{}, error) {
	r, err := s.accountRole(ctx, "iam:DeleteRolePolicy", in.RoleName)
	if err != nil {
		return nil, err
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		err := tx.Delete(ctx, r.Account, kindRolePolicy, rolePolicyKey(r.RoleName, in.PolicyName))
		if isNotFound(err) {
			return noSuchRolePolicy(in.PolicyName)
		}
		return err
	})
	return nil, internal(err)
}

// ListRolePoliciesInput is the model's ListRolePoliciesRequest.
type ListRolePoliciesInput struct {
	RoleName string
	Marker   *string
	MaxItems *int32
}

// ListRolePoliciesOutput is the model's ListRolePoliciesResponse.
type ListRolePoliciesOutput struct {
	PolicyNames []string `json:"PolicyNames"`
	IsTruncated bool     `json:"IsTruncated"`
	Marker      *string  `json:"Marker,omitempty"`
}

// ListRolePolicies lists the names of a role's inline policies.
func (s *Service) ListRolePolicies(ctx context.Context, in *ListRolePoliciesInput) (*ListRolePoliciesOutput, error) {
	r, err := s.accountRole(ctx, "iam:ListRolePolicies", in.RoleName)
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker)
	if err != nil {
		return nil, err
	}
	n := pageSize(in.MaxItems)
	recs, err := s.Store.List(ctx, store.Query{Account: r.Account, Kind: kindRolePolicy,
		Prefix: strings.ToLower(r.RoleName) + "/", After: after, Limit: n + 1})
	if err != nil {
		return nil, internal(err)
	}
	recs, trunc, marker := page(recs, n, func(r store.Record) string { return r.ID })
	out := &ListRolePoliciesOutput{PolicyNames: []string{}, IsTruncated: trunc, Marker: marker}
	for _, rec := range recs {
		p, err := decode[storedRolePolicy](rec)
		if err != nil {
			return nil, internal(err)
		}
		out.PolicyNames = append(out.PolicyNames, p.PolicyName)
	}
	return out, nil
}

// StoredPolicy is a customer managed policy.
type StoredPolicy struct {
	Account          string          `json:"account"`
	PolicyName       string          `json:"policyName"`
	PolicyId         string          `json:"policyId"`
	Arn              string          `json:"arn"`
	Path             string          `json:"path"`
	Description      string          `json:"description,omitempty"`
	DefaultVersionId string          `json:"defaultVersionId"`
	AttachmentCount  int32           `json:"attachmentCount"`
	CreateDate       time.Time       `json:"createDate"`
	UpdateDate       time.Time       `json:"updateDate"`
	Tags             []Tag           `json:"tags,omitempty"`
	Versions         []storedVersion `json:"versions"`
}

type storedVersion struct {
	VersionId  string    `json:"versionId"`
	Document   string    `json:"document"`
	CreateDate time.Time `json:"createDate"`
}

// Document returns the default version's document.
func (p *StoredPolicy) Document() string {
	for _, v := range p.Versions {
		if v.VersionId == p.DefaultVersionId {
			return v.Document
		}
	}
	return ""
}

// Policy is the model's Policy shape.
type Policy struct {
	PolicyName                    string    `json:"PolicyName"`
	PolicyId                      string    `json:"PolicyId"`
	Arn                           string    `json:"Arn"`
	Path                          string    `json:"Path"`
	DefaultVersionId              string    `json:"DefaultVersionId"`
	AttachmentCount               int32     `json:"AttachmentCount"`
	PermissionsBoundaryUsageCount int32     `json:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool      `json:"IsAttachable"`
	Description                   string    `json:"Description,omitempty"`
	CreateDate                    time.Time `json:"CreateDate"`
	UpdateDate                    time.Time `json:"UpdateDate"`
	Tags                          []Tag     `json:"Tags,omitempty"`
}

func (p *StoredPolicy) output(full bool) Policy {
	o := Policy{PolicyName: p.PolicyName, PolicyId: p.PolicyId, Arn: p.Arn, Path: p.Path, DefaultVersionId: p.DefaultVersionId,
		AttachmentCount: p.AttachmentCount, IsAttachable: true, CreateDate: p.CreateDate, UpdateDate: p.UpdateDate}
	if full {
		o.Description, o.Tags = p.Description, p.Tags
	}
	return o
}

// CreatePolicyInput is the model's CreatePolicyRequest.
type CreatePolicyInput struct {
	PolicyName     string
	Path           *string
	PolicyDocument string
	Description    *string
	Tags           []Tag
}

// PolicyOutput is CreatePolicyResponse / GetPolicyResponse.
type PolicyOutput struct {
	Policy Policy `json:"Policy"`
}

// CreatePolicy creates a customer managed policy (version v1).
func (s *Service) CreatePolicy(ctx context.Context, in *CreatePolicyInput) (*PolicyOutput, error) {
	path := "/"
	if in.Path != nil {
		path = *in.Path
	}
	c := duplex.CallerFrom(ctx)
	if c == nil {
		return nil, &duplex.Error{Code: "AccessDenied", Message: "No authenticated caller"}
	}
	arn := policyARN(c.Account, path, in.PolicyName)
	if _, err := s.caller(ctx, "iam:CreatePolicy", arn); err != nil {
		return nil, err
	}
	if PolicySize(in.PolicyDocument) > MaxManagedPolicySize {
		return nil, duplex.Errorf("LimitExceeded", "Cannot exceed quota for PolicySize: %d", MaxManagedPolicySize)
	}
	if _, err := s.cache.Parse(in.PolicyDocument, policy.IdentityPolicy); err != nil {
		return nil, malformedDocument(err)
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	now := s.now()
	p := &StoredPolicy{Account: c.Account, PolicyName: in.PolicyName, PolicyId: NewID("ANPA"), Arn: arn, Path: path,
		Description: str(in.Description), DefaultVersionId: "v1", CreateDate: now, UpdateDate: now, Tags: in.Tags,
		Versions: []storedVersion{{VersionId: "v1", Document: in.PolicyDocument, CreateDate: now}}}
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		return save(ctx, tx, c.Account, kindPolicy, strings.ToLower(in.PolicyName), p, true)
	})
	if errors.Is(err, store.ErrExists) {
		return nil, duplex.Errorf("EntityAlreadyExists", "A policy called %s already exists. Duplicate names are not allowed.", in.PolicyName)
	}
	if err != nil {
		return nil, internal(err)
	}
	return &PolicyOutput{Policy: p.output(true)}, nil
}

// policyByARN loads a managed policy of account by ARN; notFound builds the
// error for a policy that does not exist.
func (s *Service) policyByARN(ctx context.Context, r store.Reader, account, arn string, notFound func() error) (*StoredPolicy, error) {
	acct, _, name, err := parsePolicyARN(arn)
	if err != nil {
		return nil, err
	}
	if acct != account {
		return nil, notFound()
	}
	p, err := load[StoredPolicy](ctx, r, account, kindPolicy, strings.ToLower(name))
	if isNotFound(err) || (err == nil && p.Arn != arn) {
		return nil, notFound()
	}
	if err != nil {
		return nil, internal(err)
	}
	return p, nil
}

func policyNotFound(arn string) func() error {
	return func() error { return duplex.Errorf("NoSuchEntity", "Policy %s was not found.", arn) }
}

func policyNotAttachable(arn string) func() error {
	return func() error {
		return duplex.Errorf("NoSuchEntity", "Policy %s does not exist or is not attachable.", arn)
	}
}

// PolicyArnInput is the input of the operations that take only a policy ARN.
type PolicyArnInput struct {
	PolicyArn string
}

// GetPolicy returns a managed policy's metadata.
func (s *Service) GetPolicy(ctx context.Context, in *PolicyArnInput) (*PolicyOutput, error) {
	c, err := s.caller(ctx, "iam:GetPolicy", in.PolicyArn)
	if err != nil {
		return nil, err
	}
	p, err := s.policyByARN(ctx, s.Store, c.Account, in.PolicyArn, policyNotFound(in.PolicyArn))
	if err != nil {
		return nil, err
	}
	return &PolicyOutput{Policy: p.output(true)}, nil
}

// GetPolicyVersionInput is the model's GetPolicyVersionRequest.
type GetPolicyVersionInput struct {
	PolicyArn string
	VersionId string
}

// PolicyVersion is the model's PolicyVersion shape.
type PolicyVersion struct {
	Document         string    `json:"Document"`
	VersionId        string    `json:"VersionId"`
	IsDefaultVersion bool      `json:"IsDefaultVersion"`
	CreateDate       time.Time `json:"CreateDate"`
}

// GetPolicyVersionOutput is the model's GetPolicyVersionResponse.
type GetPolicyVersionOutput struct {
	PolicyVersion PolicyVersion `json:"PolicyVersion"`
}

// GetPolicyVersion returns one version of a managed policy (document
// URL-encoded).
func (s *Service) GetPolicyVersion(ctx context.Context, in *GetPolicyVersionInput) (*GetPolicyVersionOutput, error) {
	c, err := s.caller(ctx, "iam:GetPolicyVersion", in.PolicyArn)
	if err != nil {
		return nil, err
	}
	p, err := s.policyByARN(ctx, s.Store, c.Account, in.PolicyArn, policyNotFound(in.PolicyArn))
	if err != nil {
		return nil, err
	}
	for _, v := range p.Versions {
		if v.VersionId == in.VersionId {
			return &GetPolicyVersionOutput{PolicyVersion: PolicyVersion{Document: EncodeDocument(v.Document),
				VersionId: v.VersionId, IsDefaultVersion: v.VersionId == p.DefaultVersionId, CreateDate: v.CreateDate}}, nil
		}
	}
	return nil, duplex.Errorf("NoSuchEntity", "Policy %s version %s does not exist or is not attachable.", in.PolicyArn, in.VersionId)
}

// ListPoliciesInput is the model's ListPoliciesRequest.
type ListPoliciesInput struct {
	Scope             *string
	OnlyAttached      *bool
	PathPrefix        *string
	PolicyUsageFilter *string
	Marker            *string
	MaxItems          *int32
}

// ListPoliciesOutput is the model's ListPoliciesResponse.
type ListPoliciesOutput struct {
	Policies    []Policy `json:"Policies"`
	IsTruncated bool     `json:"IsTruncated"`
	Marker      *string  `json:"Marker,omitempty"`
}

// ListPolicies lists the account's customer managed policies. duplex has no
// AWS managed policies, so Scope AWS lists nothing; nor permissions
// boundaries, so PolicyUsageFilter PermissionsBoundary lists nothing.
func (s *Service) ListPolicies(ctx context.Context, in *ListPoliciesInput) (*ListPoliciesOutput, error) {
	c, err := s.caller(ctx, "iam:ListPolicies", "*")
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker)
	if err != nil {
		return nil, err
	}
	out := &ListPoliciesOutput{Policies: []Policy{}}
	if str(in.Scope) == "AWS" || str(in.PolicyUsageFilter) == "PermissionsBoundary" {
		return out, nil
	}
	recs, err := scanAll(ctx, s.Store, c.Account, kindPolicy, "", after)
	if err != nil {
		return nil, internal(err)
	}
	type item struct {
		key string
		p   Policy
	}
	var items []item
	for _, rec := range recs {
		p, err := decode[StoredPolicy](rec)
		if err != nil {
			return nil, internal(err)
		}
		if in.OnlyAttached != nil && *in.OnlyAttached && p.AttachmentCount == 0 {
			continue
		}
		if in.PathPrefix != nil && !strings.HasPrefix(p.Path, *in.PathPrefix) {
			continue
		}
		items = append(items, item{rec.ID, p.output(false)})
	}
	items, out.IsTruncated, out.Marker = page(items, pageSize(in.MaxItems), func(i item) string { return i.key })
	for _, i := range items {
		out.Policies = append(out.Policies, i.p)
	}
	return out, nil
}

// DeletePolicy deletes a managed policy that is attached to nothing.
func (s *Service) DeletePolicy(ctx context.Context, in *PolicyArnInput) (*struct{}, error) {
	c, err := s.caller(ctx, "iam:DeletePolicy", in.PolicyArn)
	if err != nil {
		return nil, err
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		p, err := s.policyByARN(ctx, tx, c.Account, in.PolicyArn, policyNotFound(in.PolicyArn))
		if err != nil {
			return err
		}
		if p.AttachmentCount > 0 {
			return duplex.Errorf("DeleteConflict", "Cannot delete a policy attached to entities.")
		}
		return tx.Delete(ctx, c.Account, kindPolicy, strings.ToLower(p.PolicyName))
	})
	return nil, internal(err)
}

// attachment is a managed policy attached to a role.
type attachment struct {
	RoleName   string `json:"roleName"`
	PolicyArn  string `json:"policyArn"`
	PolicyName string `json:"policyName"`
	Path       string `json:"path"`
}

func attachmentKey(role, arn string) string { return strings.ToLower(role) + "/" + arn }

// RolePolicyArnInput is AttachRolePolicyRequest / DetachRolePolicyRequest.
type RolePolicyArnInput struct {
	RoleName  string
	PolicyArn string
}

// AttachRolePolicy attaches a managed policy to a role (attaching twice is
// a no-op, as in AWS).
func (s *Service) AttachRolePolicy(ctx context.Context, in *RolePolicyArnInput) (*struct{}, error) {
	r, err := s.accountRole(ctx, "iam:AttachRolePolicy", in.RoleName, map[string][]string{"iam:PolicyARN": {in.PolicyArn}})
	if err != nil {
		return nil, err
	}
	if _, _, _, err := parsePolicyARN(in.PolicyArn); err != nil {
		return nil, err
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := s.role(ctx, tx, r.Account, r.RoleName); err != nil {
			return err
		}
		p, err := s.policyByARN(ctx, tx, r.Account, in.PolicyArn, policyNotAttachable(in.PolicyArn))
		if err != nil {
			return err
		}
		key := attachmentKey(r.RoleName, p.Arn)
		if _, err := tx.Get(ctx, r.Account, kindAttachment, key); err == nil {
			return nil
		} else if !isNotFound(err) {
			return err
		}
		n, err := tx.Count(ctx, r.Account, kindAttachment, strings.ToLower(r.RoleName)+"/")
		if err != nil {
			return err
		}
		if n >= MaxAttachedPoliciesPerRole {
			return duplex.Errorf("LimitExceeded", "Cannot exceed quota for PoliciesPerRole: %d", MaxAttachedPoliciesPerRole)
		}
		if err := save(ctx, tx, r.Account, kindAttachment, key,
			attachment{RoleName: r.RoleName, PolicyArn: p.Arn, PolicyName: p.PolicyName, Path: p.Path}, true); err != nil {
			return err
		}
		p.AttachmentCount++
		return save(ctx, tx, r.Account, kindPolicy, strings.ToLower(p.PolicyName), p, false)
	})
	return nil, internal(err)
}

// DetachRolePolicy detaches a managed policy from a role.
func (s *Service) DetachRolePolicy(ctx context.Context, in *RolePolicyArnInput) (*struct{}, error) {
	r, err := s.accountRole(ctx, "iam:DetachRolePolicy", in.RoleName, map[string][]string{"iam:PolicyARN": {in.PolicyArn}})
	if err != nil {
		return nil, err
	}
	if _, _, _, err := parsePolicyARN(in.PolicyArn); err != nil {
		return nil, err
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		key := attachmentKey(r.RoleName, in.PolicyArn)
		if err := tx.Delete(ctx, r.Account, kindAttachment, key); isNotFound(err) {
			return policyNotFound(in.PolicyArn)()
		} else if err != nil {
			return err
		}
		p, err := s.policyByARN(ctx, tx, r.Account, in.PolicyArn, policyNotFound(in.PolicyArn))
		if err != nil {
			if e, ok := duplex.AsError(err); ok && e.Code == "NoSuchEntity" {
				return nil
			}
			return err
		}
		if p.AttachmentCount > 0 {
			p.AttachmentCount--
		}
		return save(ctx, tx, r.Account, kindPolicy, strings.ToLower(p.PolicyName), p, false)
	})
	return nil, internal(err)
}

// ListAttachedRolePoliciesInput is the model's ListAttachedRolePoliciesRequest.
type ListAttachedRolePoliciesInput struct {
	RoleName   string
	PathPrefix *string
	Marker     *string
	MaxItems   *int32
}

// AttachedPolicy is the model's AttachedPolicy shape.
type AttachedPolicy struct {
	PolicyName string `json:"PolicyName"`
	PolicyArn  string `json:"PolicyArn"`
}

// ListAttachedRolePoliciesOutput is the model's ListAttachedRolePoliciesResponse.
type ListAttachedRolePoliciesOutput struct {
	AttachedPolicies []AttachedPolicy `json:"AttachedPolicies"`
	IsTruncated      bool             `json:"IsTruncated"`
	Marker           *string          `json:"Marker,omitempty"`
}

// ListAttachedRolePolicies lists the managed policies attached to a role.
func (s *Service) ListAttachedRolePolicies(ctx context.Context, in *ListAttachedRolePoliciesInput) (*ListAttachedRolePoliciesOutput, error) {
	r, err := s.accountRole(ctx, "iam:ListAttachedRolePolicies", in.RoleName)
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker)
	if err != nil {
		return nil, err
	}
	recs, err := scanAll(ctx, s.Store, r.Account, kindAttachment, strings.ToLower(r.RoleName)+"/", after)
	if err != nil {
		return nil, internal(err)
	}
	type item struct {
		key string
		a   AttachedPolicy
	}
	var items []item
	for _, rec := range recs {
		a, err := decode[attachment](rec)
		if err != nil {
			return nil, internal(err)
		}
		if in.PathPrefix != nil && !strings.HasPrefix(a.Path, *in.PathPrefix) {
			continue
		}
		items = append(items, item{rec.ID, AttachedPolicy{PolicyName: a.PolicyName, PolicyArn: a.PolicyArn}})
	}
	out := &ListAttachedRolePoliciesOutput{AttachedPolicies: []AttachedPolicy{}}
	items, out.IsTruncated, out.Marker = page(items, pageSize(in.MaxItems), func(i item) string { return i.key })
	for _, i := range items {
		out.AttachedPolicies = append(out.AttachedPolicies, i.a)
	}
	return out, nil
}

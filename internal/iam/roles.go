package iam

import (
	"context"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/policy"
	"github.com/duplexsms/duplex/internal/store"
)

// StoredRole is a role as IAM keeps it; AssumeRolePolicyDocument is the
// trust policy verbatim.
type StoredRole struct {
	Account                  string    `json:"account"`
	Path                     string    `json:"path"`
	RoleName                 string    `json:"roleName"`
	RoleId                   string    `json:"roleId"`
	Arn                      string    `json:"arn"`
	CreateDate               time.Time `json:"createDate"`
	AssumeRolePolicyDocument string    `json:"assumeRolePolicyDocument"`
	Description              string    `json:"description,omitempty"`
	MaxSessionDuration       int32     `json:"maxSessionDuration"`
	Tags                     []Tag     `json:"tags,omitempty"`
}

// Role is the model's Role shape.
type Role struct {
	Path                     string        `json:"Path"`
	RoleName                 string        `json:"RoleName"`
	RoleId                   string        `json:"RoleId"`
	Arn                      string        `json:"Arn"`
	CreateDate               time.Time     `json:"CreateDate"`
	AssumeRolePolicyDocument string        `json:"AssumeRolePolicyDocument,omitempty"`
	Description              string        `json:"Description,omitempty"`
	MaxSessionDuration       int32         `json:"MaxSessionDuration,omitempty"`
	Tags                     []Tag         `json:"Tags,omitempty"`
	RoleLastUsed             *RoleLastUsed `json:"RoleLastUsed,omitempty"`
}

// RoleLastUsed is the model's RoleLastUsed (empty: duplex does not track it).
type RoleLastUsed struct {
	LastUsedDate *time.Time `json:"LastUsedDate,omitempty"`
	Region       string     `json:"Region,omitempty"`
}

// output renders a role: ListRoles omits tags and RoleLastUsed, CreateRole
// omits RoleLastUsed.
func (r *StoredRole) output(withTags, lastUsed bool) Role {
	o := Role{Path: r.Path, RoleName: r.RoleName, RoleId: r.RoleId, Arn: r.Arn, CreateDate: r.CreateDate,
		AssumeRolePolicyDocument: EncodeDocument(r.AssumeRolePolicyDocument), Description: r.Description,
		MaxSessionDuration: r.MaxSessionDuration}
	if withTags {
		o.Tags = r.Tags
	}
	if lastUsed {
		o.RoleLastUsed = &RoleLastUsed{}
	}
	return o
}

// CreateRoleInput is the model's CreateRoleRequest.
type CreateRoleInput struct {
	Path                     *string
	RoleName                 string
	AssumeRolePolicyDocument string
	Description              *string
	MaxSessionDuration       *int32
	PermissionsBoundary      *string
	Tags                     []Tag
}

// RoleOutput is CreateRoleResponse / GetRoleResponse.
type RoleOutput struct {
	Role Role `json:"Role"`
}

// checkTrust validates a role trust policy as AWS does: size, then grammar.
func (s *Service) checkTrust(doc string) error {
	if PolicySize(doc) > MaxTrustPolicySize {
		return duplex.Errorf("LimitExceeded", "Cannot exceed quota for ACLSizePerRole: %d", MaxTrustPolicySize)
	}
	if _, err := s.cache.Parse(doc, policy.TrustPolicy); err != nil {
		return malformedDocument(err)
	}
	return nil
}

// CreateRole creates a role with its trust policy.
func (s *Service) CreateRole(ctx context.Context, in *CreateRoleInput) (*RoleOutput, error) {
	path := "/"
	if in.Path != nil {
		path = *in.Path
	}
	c := duplex.CallerFrom(ctx)
	if c == nil {
		return nil, &duplex.Error{Code: "AccessDenied", Message: "No authenticated caller"}
	}
	arn := roleARN(c.Account, path, in.RoleName)
	if _, err := s.caller(ctx, "iam:CreateRole", arn); err != nil {
		return nil, err
	}
	if in.PermissionsBoundary != nil {
		return nil, duplex.Errorf("InvalidInput", "Permissions boundaries are not supported by duplex.")
	}
	if err := s.checkTrust(in.AssumeRolePolicyDocument); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	r := &StoredRole{Account: c.Account, Path: path, RoleName: in.RoleName, RoleId: NewID("AROA"), Arn: arn,
		CreateDate: s.now(), AssumeRolePolicyDocument: in.AssumeRolePolicyDocument, Description: str(in.Description),
		MaxSessionDuration: defaultMaxSessionSeconds, Tags: in.Tags}
	if in.MaxSessionDuration != nil {
		r.MaxSessionDuration = *in.MaxSessionDuration
	}
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		return save(ctx, tx, c.Account, kindRole, strings.ToLower(in.RoleName), r, true)
	})
	if errors.Is(err, store.ErrExists) {
		return nil, duplex.Errorf("EntityAlreadyExists", "Role with name %s already exists.", in.RoleName)
	}
	if err != nil {
		return nil, internal(err)
	}
	return &RoleOutput{Role: r.output(true, false)}, nil
}

// Role returns a stored role of an account by name (case-insensitive, as
// IAM names are), or NoSuchEntity.
func (s *Service) Role(ctx context.Context, account, name string) (*StoredRole, error) {
	return s.role(ctx, s.Store, account, name)
}

func (s *Service) role(ctx context.Context, r store.Reader, account, name string) (*StoredRole, error) {
	role, err := load[StoredRole](ctx, r, account, kindRole, strings.ToLower(name))
	if isNotFound(err) {
		return nil, noSuchRole(name)
	}
	if err != nil {
		return nil, internal(err)
	}
	return role, nil
}

// RoleByARN returns the role an ARN names (account, path and name must
// match), or NoSuchEntity.
func (s *Service) RoleByARN(ctx context.Context, arn string) (*StoredRole, error) {
	account, _, name, ok := ParseRoleARN(arn)
	if !ok {
		return nil, duplex.Errorf("NoSuchEntity", "The role with ARN %s cannot be found.", arn)
	}
	r, err := s.Role(ctx, account, name)
	if err != nil {
		return nil, err
	}
	if r.Arn != arn {
		return nil, noSuchRole(name)
	}
	return r, nil
}

// TrustPolicy returns the parsed trust policy of a role.
func (s *Service) TrustPolicy(r *StoredRole) (*policy.Policy, error) {
	return s.cache.Parse(r.AssumeRolePolicyDocument, policy.TrustPolicy)
}

// RoleNameInput is the input of the operations that take only a role name.
type RoleNameInput struct {
	RoleName string
}

// GetRole returns a role with its trust policy and tags.
func (s *Service) GetRole(ctx context.Context, in *RoleNameInput) (*RoleOutput, error) {
	r, err := s.accountRole(ctx, "iam:GetRole", in.RoleName)
	if err != nil {
		return nil, err
	}
	return &RoleOutput{Role: r.output(true, true)}, nil
}

// accountRole authorizes action on the caller's role and loads it.
func (s *Service) accountRole(ctx context.Context, action, name string, cond ...map[string][]string) (*StoredRole, error) {
	c := duplex.CallerFrom(ctx)
	if c == nil {
		return nil, &duplex.Error{Code: "AccessDenied", Message: "No authenticated caller"}
	}
	// The ARN for authorization needs the role's path; authorize on the
	// stored ARN when the role exists, on a path-less ARN otherwise.
	r, err := s.Role(ctx, c.Account, name)
	arn := roleARN(c.Account, "/", name)
	if err == nil {
		arn = r.Arn
	}
	if _, aerr := s.caller(ctx, action, arn, cond...); aerr != nil {
		return nil, aerr
	}
	return r, err
}

// ListRolesInput is the model's ListRolesRequest.
type ListRolesInput struct {
	PathPrefix *string
	Marker     *string
	MaxItems   *int32
}

// ListRolesOutput is the model's ListRolesResponse.
type ListRolesOutput struct {
	Roles       []Role  `json:"Roles"`
	IsTruncated bool    `json:"IsTruncated"`
	Marker      *string `json:"Marker,omitempty"`
}

// ListRoles lists the account's roles in name order.
func (s *Service) ListRoles(ctx context.Context, in *ListRolesInput) (*ListRolesOutput, error) {
	c, err := s.caller(ctx, "iam:ListRoles", "*")
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker)
	if err != nil {
		return nil, err
	}
	n := pageSize(in.MaxItems)
	out := &ListRolesOutput{Roles: []Role{}}
	var keys []string
	for {
		recs, err := s.Store.List(ctx, store.Query{Account: c.Account, Kind: kindRole, After: after, Limit: n + 1})
		if err != nil {
			return nil, internal(err)
		}
		for _, rec := range recs {
			r, err := decode[StoredRole](rec)
			if err != nil {
				return nil, internal(err)
			}
			if in.PathPrefix != nil && !strings.HasPrefix(r.Path, *in.PathPrefix) {
				continue
			}
			if len(out.Roles) == n {
				out.IsTruncated, out.Marker = true, encodeMarker(keys[len(keys)-1])
				return out, nil
			}
			o := r.output(false, false)
			out.Roles = append(out.Roles, o)
			keys = append(keys, rec.ID)
		}
		if len(recs) < n+1 {
			return out, nil
		}
		after = recs[len(recs)-1].ID
	}
}

// DeleteRole deletes a role that has no inline or attached policies left.
func (s *Service) DeleteRole(ctx context.Context, in *RoleNameInput) (*struct{}, error) {
	r, err := s.accountRole(ctx, "iam:DeleteRole", in.RoleName)
	if err != nil {
		return nil, err
	}
	key := strings.ToLower(r.RoleName)
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Get(ctx, r.Account, kindRole, key); isNotFound(err) {
			return noSuchRole(in.RoleName)
		} else if err != nil {
			return err
		}
		n, err := tx.Count(ctx, r.Account, kindRolePolicy, key+"/")
		if err != nil {
			return err
		}
		if n > 0 {
			return duplex.Errorf("DeleteConflict", "Cannot delete entity, must delete policies first.")
		}
		n, err = tx.Count(ctx, r.Account, kindAttachment, key+"/")
		if err != nil {
			return err
		}
		if n > 0 {
			return duplex.Errorf("DeleteConflict", "Cannot delete entity, must detach all policies first.")
		}
		return tx.Delete(ctx, r.Account, kindRole, key)
	})
	if err != nil {
		return nil, internal(err)
	}
	return nil, nil
}

// UpdateAssumeRolePolicyInput is the model's UpdateAssumeRolePolicyRequest.
type UpdateAssumeRolePolicyInput struct {
	RoleName       string
	PolicyDocument string
}

// UpdateAssumeRolePolicy replaces a role's trust policy.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, in *UpdateAssumeRolePolicyInput) (*struct{}, error) {
	r, err := s.accountRole(ctx, "iam:UpdateAssumeRolePolicy", in.RoleName)
	if err != nil {
		return nil, err
	}
	if err := s.checkTrust(in.PolicyDocument); err != nil {
		return nil, err
	}
	err = s.updateRole(ctx, r.Account, in.RoleName, func(r *StoredRole) error {
		r.AssumeRolePolicyDocument = in.PolicyDocument
		return nil
	})
	return nil, err
}

func (s *Service) updateRole(ctx context.Context, account, name string, fn func(*StoredRole) error) error {
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		r, err := s.role(ctx, tx, account, name)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
		return save(ctx, tx, account, kindRole, strings.ToLower(r.RoleName), r, false)
	})
	return internal(err)
}

// TagRoleInput is the model's TagRoleRequest.
type TagRoleInput struct {
	RoleName string
	Tags     []Tag
}

// TagRole adds or replaces tags of a role.
func (s *Service) TagRole(ctx context.Context, in *TagRoleInput) (*struct{}, error) {
	r, err := s.accountRole(ctx, "iam:TagRole", in.RoleName)
	if err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	err = s.updateRole(ctx, r.Account, in.RoleName, func(r *StoredRole) error {
		tags := mergeTags(r.Tags, in.Tags)
		if len(tags) > MaxTagsPerRole {
			return duplex.Errorf("LimitExceeded", "Cannot exceed quota for TagsPerRole: %d", MaxTagsPerRole)
		}
		r.Tags = tags
		return nil
	})
	return nil, err
}

// UntagRoleInput is the model's UntagRoleRequest.
type UntagRoleInput struct {
	RoleName string
	TagKeys  []string
}

// UntagRole removes tags of a role by key (case-insensitive).
func (s *Service) UntagRole(ctx context.Context, in *UntagRoleInput) (*struct{}, error) {
	r, err := s.accountRole(ctx, "iam:UntagRole", in.RoleName)
	if err != nil {
		return nil, err
	}
	err = s.updateRole(ctx, r.Account, in.RoleName, func(r *StoredRole) error {
		var keep []Tag
		for _, t := range r.Tags {
			drop := false
			for _, k := range in.TagKeys {
				drop = drop || strings.EqualFold(k, t.Key)
			}
			if !drop {
				keep = append(keep, t)
			}
		}
		r.Tags = keep
		return nil
	})
	return nil, err
}

// ListRoleTagsInput is the model's ListRoleTagsRequest.
type ListRoleTagsInput struct {
	RoleName string
	Marker   *string
	MaxItems *int32
}

// ListRoleTagsOutput is the model's ListRoleTagsResponse.
type ListRoleTagsOutput struct {
	Tags        []Tag   `json:"Tags"`
	IsTruncated bool    `json:"IsTruncated"`
	Marker      *string `json:"Marker,omitempty"`
}

// ListRoleTags lists a role's tags, sorted by key.
func (s *Service) ListRoleTags(ctx context.Context, in *ListRoleTagsInput) (*ListRoleTagsOutput, error) {
	r, err := s.accountRole(ctx, "iam:ListRoleTags", in.RoleName)
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker)
	if err != nil {
		return nil, err
	}
	tags := append([]Tag(nil), r.Tags...)
	sort.Slice(tags, func(i, j int) bool { return tags[i].Key < tags[j].Key })
	var rest []Tag
	for _, t := range tags {
		if in.Marker == nil || t.Key > after {
			rest = append(rest, t)
		}
	}
	out := &ListRoleTagsOutput{Tags: []Tag{}}
	list, trunc, marker := page(rest, pageSize(in.MaxItems), func(t Tag) string { return t.Key })
	out.Tags = append(out.Tags, list...)
	out.IsTruncated, out.Marker = trunc, marker
	return out, nil
}

package iam

import (
	"context"
	"strings"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/policy"
)

// IdentityPolicies implements authz.IdentitySource. For an assumed-role
// session it returns the role's inline policies and the managed policies
// attached to it, and the session policy. The account root, service
// principals and sessions of a role that no longer exists (or was deleted
// and created again: its role ID changed) have no identity policies.
func (s *Service) IdentityPolicies(ctx context.Context, c *duplex.Caller) (identity, session []*policy.Named, err error) {
	if c == nil || c.Service != "" {
		return nil, nil, nil
	}
	if c.SessionPolicy != "" {
		p, err := s.cache.Parse(c.SessionPolicy, policy.IdentityPolicy)
		if err != nil {
			return nil, nil, err
		}
		session = []*policy.Named{{Name: "session policy of " + c.ARN, Policy: p}}
	}
	if c.RoleARN == "" {
		return nil, session, nil
	}
	account, _, name, ok := ParseRoleARN(c.RoleARN)
	if !ok || account != c.Account {
		return nil, session, nil
	}
	role, err := load[StoredRole](ctx, s.Store, account, kindRole, strings.ToLower(name))
	if isNotFound(err) {
		return nil, session, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if role.Arn != c.RoleARN {
		return nil, session, nil
	}
	if uid := c.Context["aws:userid"]; uid != "" && !strings.HasPrefix(uid, role.RoleId+":") {
		return nil, session, nil
	}
	key := strings.ToLower(role.RoleName) + "/"
	inline, err := scanAll(ctx, s.Store, account, kindRolePolicy, key, "")
	if err != nil {
		return nil, nil, err
	}
	for _, rec := range inline {
		rp, err := decode[storedRolePolicy](rec)
		if err != nil {
			return nil, nil, err
		}
		p, err := s.cache.Parse(rp.PolicyDocument, policy.IdentityPolicy)
		if err != nil {
			return nil, nil, err
		}
		identity = append(identity, &policy.Named{Name: "role " + role.RoleName + " inline policy " + rp.PolicyName, Policy: p})
	}
	attached, err := scanAll(ctx, s.Store, account, kindAttachment, key, "")
	if err != nil {
		return nil, nil, err
	}
	for _, rec := range attached {
		a, err := decode[attachment](rec)
		if err != nil {
			return nil, nil, err
		}
		mp, err := load[StoredPolicy](ctx, s.Store, account, kindPolicy, strings.ToLower(a.PolicyName))
		if isNotFound(err) || (err == nil && mp.Arn != a.PolicyArn) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		p, err := s.cache.Parse(mp.Document(), policy.IdentityPolicy)
		if err != nil {
			return nil, nil, err
		}
		identity = append(identity, &policy.Named{Name: mp.Arn, Policy: p})
	}
	return identity, session, nil
}

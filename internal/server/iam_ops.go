package server

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/authz"
	"github.com/duplexsms/duplex/internal/awsmodel"
	"github.com/duplexsms/duplex/internal/iam"
	"github.com/duplexsms/duplex/internal/sigv4"
	"github.com/duplexsms/duplex/internal/sts"
	"github.com/duplexsms/duplex/internal/wire"
)

// setupIdentity builds IAM, STS and the authorizer, registers the IAM and
// STS APIs, and makes SigV4 accept STS temporary credentials (whose callers
// are assumed-role sessions).
func (s *Server) setupIdentity() error {
	s.IAM = iam.New(s.Store)
	s.Authz = &authz.Authorizer{Identities: s.IAM, Now: time.Now}
	s.IAM.Authz = s.Authz
	var err error
	s.STS, err = sts.New(s.Store, s.IAM, s.MasterKey)
	if err != nil {
		return err
	}
	s.STS.Authz, s.STS.Log = s.Authz, s.Log
	iamModel, err := awsmodel.Load("iam")
	if err != nil {
		return err
	}
	stsModel, err := awsmodel.Load("sts")
	if err != nil {
		return err
	}
	s.API.Register(&wire.Service{Scope: "iam", Model: iamModel, Protocol: wire.Query,
		ValidationCode: "ValidationError", Global: true, Ops: iamOps(s.IAM)})
	s.API.Register(&wire.Service{Scope: "sts", Model: stsModel, Protocol: wire.Query,
		ValidationCode: "ValidationError", Ops: stsOps(s.STS)})
	s.API.Authenticate = func(ctx context.Context, v *sigv4.Verified, r *http.Request) (*duplex.Caller, error) {
		c, err := s.STS.CallerFor(ctx, v)
		if err != nil {
			return nil, err
		}
		c.SourceIP = remoteIP(r)
		return c, nil
	}
	s.AddCredentialSource(s.STS.Lookup)
	return nil
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// iamOps maps the IAM operations duplex serves to the domain service.
func iamOps(s *iam.Service) map[string]wire.Handler {
	return map[string]wire.Handler{
		"CreateRole":               wire.Op(s.CreateRole),
		"GetRole":                  wire.Op(s.GetRole),
		"ListRoles":                wire.Op(s.ListRoles),
		"DeleteRole":               wire.Op(s.DeleteRole),
		"UpdateAssumeRolePolicy":   wire.Op(s.UpdateAssumeRolePolicy),
		"PutRolePolicy":            wire.Op(s.PutRolePolicy),
		"GetRolePolicy":            wire.Op(s.GetRolePolicy),
		"ListRolePolicies":         wire.Op(s.ListRolePolicies),
		"DeleteRolePolicy":         wire.Op(s.DeleteRolePolicy),
		"CreatePolicy":             wire.Op(s.CreatePolicy),
		"GetPolicy":                wire.Op(s.GetPolicy),
		"GetPolicyVersion":         wire.Op(s.GetPolicyVersion),
		"ListPolicies":             wire.Op(s.ListPolicies),
		"DeletePolicy":             wire.Op(s.DeletePolicy),
		"AttachRolePolicy":         wire.Op(s.AttachRolePolicy),
		"DetachRolePolicy":         wire.Op(s.DetachRolePolicy),
		"ListAttachedRolePolicies": wire.Op(s.ListAttachedRolePolicies),
		"TagRole":                  wire.Op(s.TagRole),
		"UntagRole":                wire.Op(s.UntagRole),
		"ListRoleTags":             wire.Op(s.ListRoleTags),
	}
}

// stsOps maps the STS operations duplex serves to the domain service.
func stsOps(s *sts.Service) map[string]wire.Handler {
	return map[string]wire.Handler{
		"GetCallerIdentity": wire.Op(s.GetCallerIdentity),
		"AssumeRole":        wire.Op(s.AssumeRole),
	}
}

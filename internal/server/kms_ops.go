package server

import (
	"fmt"

	"github.com/duplexsms/duplex/internal/awsmodel"
	"github.com/duplexsms/duplex/internal/kms"
	"github.com/duplexsms/duplex/internal/wire"
)

// setupKMS builds the KMS service on the
// server's authorizer (key policies plus IAM) and registers its API.
func (s *Server) setupKMS() error {
	master := s.MasterKey
	var az kms.Authorizer // nil: key policies and the account root only
	if s.Authz != nil {
		az = s.Authz
	}
	svc, err := kms.New(s.Store, s.Config.Region, master, az)
	if err != nil {
		return fmt.Errorf("kms: %w", err)
	}
	s.KMS = svc
	s.API.Register(&wire.Service{Scope: "kms", Model: awsmodel.MustLoad("kms"), Protocol: wire.JSON,
		ValidationCode: "ValidationException", Ops: kmsOps(svc)})
	return nil
}

// kmsOps maps the KMS (TrentService) operations duplex serves to the
// domain service.
func kmsOps(s *kms.Service) map[string]wire.Handler {
	return map[string]wire.Handler{
		"CreateKey":                       wire.Op(s.CreateKey),
		"DescribeKey":                     wire.Op(s.DescribeKey),
		"ListKeys":                        wire.Op(s.ListKeys),
		"EnableKey":                       wire.Op(s.EnableKey),
		"DisableKey":                      wire.Op(s.DisableKey),
		"ScheduleKeyDeletion":             wire.Op(s.ScheduleKeyDeletion),
		"CancelKeyDeletion":               wire.Op(s.CancelKeyDeletion),
		"UpdateKeyDescription":            wire.Op(s.UpdateKeyDescription),
		"GetKeyPolicy":                    wire.Op(s.GetKeyPolicy),
		"PutKeyPolicy":                    wire.Op(s.PutKeyPolicy),
		"ListKeyPolicies":                 wire.Op(s.ListKeyPolicies),
		"CreateAlias":                     wire.Op(s.CreateAlias),
		"UpdateAlias":                     wire.Op(s.UpdateAlias),
		"DeleteAlias":                     wire.Op(s.DeleteAlias),
		"ListAliases":                     wire.Op(s.ListAliases),
		"TagResource":                     wire.Op(s.TagResource),
		"UntagResource":                   wire.Op(s.UntagResource),
		"ListResourceTags":                wire.Op(s.ListResourceTags),
		"Encrypt":                         wire.Op(s.Encrypt),
		"Decrypt":                         wire.Op(s.Decrypt),
		"ReEncrypt":                       wire.Op(s.ReEncrypt),
		"GenerateDataKey":                 wire.Op(s.GenerateDataKey),
		"GenerateDataKeyWithoutPlaintext": wire.Op(s.GenerateDataKeyWithoutPlaintext),
		"GetPublicKey":                    wire.Op(s.GetPublicKey),
	}
}

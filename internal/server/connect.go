package server

import (
	"os"

	"github.com/duplexsms/duplex/internal/awsmodel"
	"github.com/duplexsms/duplex/internal/connect"
	"github.com/duplexsms/duplex/internal/jobs"
	"github.com/duplexsms/duplex/internal/wire"
	"github.com/google/uuid"
)

// setupConnect builds the Amazon Connect subset: its rest-json API (SigV4
// scope connect), the Participant API under /participant/ (bearer tokens,
// no SigV4), the worker that completes ImportPhoneNumber, and the Amazon
// Connect destination of the two-way pipeline.
func (s *Server) setupConnect() {
	svc := connect.New(s.Store, s.SMS, s.Authz, s.Config.Region)
	svc.PublicURL, svc.Log = s.Config.PublicURL, s.Log
	s.Connect = svc
	host, _ := os.Hostname()
	runner := &jobs.Runner{Queue: s.Store, Name: connect.QueueClaim, Owner: host + "/" + uuid.NewString()[:8],
		Handle: svc.HandleClaim, Log: s.Log, Concurrency: 4}
	svc.OnQueued = runner.Notify
	s.Background(runner.Run)

	s.API.Register(&wire.Service{Scope: "connect", Model: awsmodel.MustLoad("connect"), Protocol: wire.RestJSON,
		ValidationCode: "InvalidParameterException", Ops: connectOps(svc)})
	s.API.Register(&wire.Service{Scope: "execute-api", Model: awsmodel.MustLoad("connectparticipant"), Protocol: wire.RestJSON,
		PathPrefix: "/participant/", Unsigned: true, ValidationCode: "ValidationException", Ops: participantOps(svc)})
	if s.Inbound != nil {
		s.Inbound.Connect = connect.Deliverer{S: svc}
	}
}

// connectOps maps the Amazon Connect operations duplex serves to the
// domain service.
func connectOps(s *connect.Service) map[string]wire.Handler {
	return map[string]wire.Handler{
		"CreateInstance":           wire.Op(s.CreateInstance),
		"DescribeInstance":         wire.Op(s.DescribeInstance),
		"ListInstances":            wire.Op(s.ListInstances),
		"DeleteInstance":           wire.Op(s.DeleteInstance),
		"ImportPhoneNumber":        wire.Op(s.ImportPhoneNumber),
		"DescribePhoneNumber":      wire.Op(s.DescribePhoneNumber),
		"ListPhoneNumbersV2":       wire.Op(s.ListPhoneNumbersV2),
		"ReleasePhoneNumber":       wire.Op(s.ReleasePhoneNumber),
		"SendChatIntegrationEvent": wire.Op(s.SendChatIntegrationEvent),
		"DescribeContact":          wire.Op(s.DescribeContact),
		"StopContact":              wire.Op(s.StopContact),
		"CreateParticipant":        wire.Op(s.CreateParticipant),
	}
}

// participantOps maps the Amazon Connect Participant operations duplex
// serves to the domain service.
func participantOps(s *connect.Service) map[string]wire.Handler {
	return map[string]wire.Handler{
		"CreateParticipantConnection": wire.Op(s.CreateParticipantConnection),
		"SendMessage":                 wire.Op(s.SendMessage),
		"GetTranscript":               wire.Op(s.GetTranscript),
		"DisconnectParticipant":       wire.Op(s.DisconnectParticipant),
	}
}

package server

import (
	"crypto/sha256"

	"github.com/duplexsms/duplex/internal/awsmodel"
	"github.com/duplexsms/duplex/internal/sns"
	"github.com/duplexsms/duplex/internal/sns/snshttp"
	"github.com/duplexsms/duplex/internal/wire"
)

// setupSNS builds the SNS service (HTTP/S delivery, topic encryption with
// KMS, the server's authorizer), registers its query API and the endpoints
// its links point at, runs its delivery worker in the background and lets
// the two-way pipeline publish through it.
func (s *Server) setupSNS() error {
	master := s.MasterKey
	if len(master) == 0 {
		// No master key (KMS not built): a placeholder derived from the data
		// folder, stable across restarts of this node but not secret.
		sum := sha256.Sum256([]byte("duplex sns placeholder master key:" + s.Config.Data))
		master = sum[:]
		s.Log.Warn("sns: no master key; the signing key is sealed with a placeholder key derived from the data folder")
	}
	cfg := sns.Config{Store: s.Store, Region: s.Config.Region, PublicURL: s.Config.PublicURL, MasterKey: master,
		Protocols: snshttp.Protocols(snshttp.NewClient()), Registerer: s.Registry, Log: s.Log,
		Worker: s.snsWorker()}
	if s.Authz != nil {
		cfg.Authz = s.Authz
	}
	if s.KMS != nil {
		cfg.KMS = s.KMS
	}
	svc, err := sns.New(cfg)
	if err != nil {
		return err
	}
	s.SNS = svc
	s.API.Register(&wire.Service{Scope: "sns", Model: awsmodel.MustLoad("sns"), Protocol: wire.Query,
		ValidationCode: "InvalidParameter", Ops: snsOps(svc)})
	s.Handle("GET "+snshttp.CertPrefix, snshttp.Handler(svc))
	s.Background(svc.Worker().Run)
	if s.Inbound != nil && s.Inbound.Publish == nil {
		s.Inbound.Publish = sns.TopicPublisher{S: svc}
	}
	return nil
}

// snsOps maps the SNS operations duplex serves to the domain service.
func snsOps(s *sns.Service) map[string]wire.Handler {
	return map[string]wire.Handler{
		"CreateTopic":               wire.Op(s.CreateTopic),
		"DeleteTopic":               wire.Op(s.DeleteTopic),
		"ListTopics":                wire.Op(s.ListTopics),
		"GetTopicAttributes":        wire.Op(s.GetTopicAttributes),
		"SetTopicAttributes":        wire.Op(s.SetTopicAttributes),
		"TagResource":               wire.Op(s.TagResource),
		"UntagResource":             wire.Op(s.UntagResource),
		"ListTagsForResource":       wire.Op(s.ListTagsForResource),
		"Publish":                   wire.Op(s.Publish),
		"PublishBatch":              wire.Op(s.PublishBatch),
		"Subscribe":                 wire.Op(s.Subscribe),
		"ConfirmSubscription":       wire.Op(s.ConfirmSubscription),
		"Unsubscribe":               wire.Op(s.Unsubscribe),
		"ListSubscriptions":         wire.Op(s.ListSubscriptions),
		"ListSubscriptionsByTopic":  wire.Op(s.ListSubscriptionsByTopic),
		"GetSubscriptionAttributes": wire.Op(s.GetSubscriptionAttributes),
		"SetSubscriptionAttributes": wire.Op(s.SetSubscriptionAttributes),
	}
}

package server

import (
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/console"
)

// setupConsole serves the web console at /console/ on the API port. It
// signs users in against the same keys as SigV4 (configured keys; STS
// temporary credentials are refused) and acts through the same services.
func (s *Server) setupConsole() error {
	cfg := console.Config{Store: s.Store, SMS: s.SMS, IAM: s.IAM, SNS: s.SNS, Inbound: s.Inbound, Connect: s.Connect,
		Lookup: s.lookup, MasterKey: s.MasterKey, PublicURL: s.Config.PublicURL, Region: s.Config.Region, Log: s.Log}
	if s.Config.DevDefaults {
		cfg.SignInHint = &console.SignInHint{AccessKeyID: config.DevAccessKey, Secret: config.DevSecret}
	}
	c, err := console.New(cfg)
	if err != nil {
		return err
	}
	s.Handle("/console/", c)
	return nil
}

package server

import (
	"github.com/duplexsms/duplex/internal/groupcommit"
	"github.com/duplexsms/duplex/internal/outbound"
	"github.com/duplexsms/duplex/internal/smpp"
)

// setupSMPP starts the configured SMPP links as carriers. Inventory
// numbers name their carrier; with exactly one carrier and no number naming
// any, every number sends through it; with none, the simulator stays the
// default.
func (s *Server) setupSMPP(disp *outbound.Dispatcher, commit *groupcommit.Committer) error {
	names := map[string]string{}
	for _, c := range s.Config.Carriers {
		names[c.URL] = c.Name
	}
	links, err := smpp.Named(s.Config.SMPP, names)
	if err != nil {
		return err
	}
	mgr, err := smpp.NewManager(links, smpp.Options{Store: s.Store, SMS: s.SMS, Sink: s.Inbound, Log: s.Log,
		Metrics: smpp.NewMetrics(s.Registry), Commit: commit})
	if err != nil {
		return err
	}
	routed := false
	for _, n := range s.Config.Inventory {
		if n.Carrier != "" {
			routed = true
			if mgr.Carriers()[n.Carrier] == nil && n.Carrier != "simulator" {
				s.Log.Warn("inventory number names a carrier that is not configured; it sends through the default", "number", n.Number, "carrier", n.Carrier)
			}
		}
	}
	for name, c := range mgr.Carriers() {
		s.Carriers[name] = c
		if len(mgr.Carriers()) == 1 && !routed {
			disp.Default = c
		}
	}
	if len(links) > 0 {
		s.Background(s.runLinks(mgr))
	}
	s.mux.HandleFunc("GET /_duplex/carriers", s.carriersStatus(mgr))
	return nil
}

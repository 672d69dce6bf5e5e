package server

import (
	"context"
	"net/http"
	"os"
	"sync"

	"github.com/duplexsms/duplex/internal/lease"
	"github.com/duplexsms/duplex/internal/smpp"
	"github.com/duplexsms/duplex/internal/sns"
	"github.com/google/uuid"
)

// Several nodes on one PostgreSQL store.
//
// Every node serves every API and runs every queue: the inbound, outbound
// and SNS delivery queues are claimed with leases (store.Queue), so the
// nodes share the work and a node that dies leaves its claims to the others
// once their leases end (config.Cluster sets the lengths). The SMPP links
// are the exception: an SMSC usually allows one bind per account, so one
// node at a time runs them, under the lease "smpp.link-owner" in the store;
// that node also sends the outbound queue (only it has bound links). When
// it dies another node takes the lease over once it ends (smpp_lease,
// default 15 s) and binds. With SQLite (one node) there is no lease.

// LinkOwnerKind is the record kind of the SMPP link lease (account "",
// ID "links").
const LinkOwnerKind = "smpp.link-owner"

// cluster is the node's part in a cluster.
type cluster struct {
	once sync.Once
	node string
	// links is the SMPP link lease (nil: this node runs the links and the
	// outbound queue unconditionally).
	links *lease.Lease
}

// NodeID names this node in leases: host and a random suffix, new at each
// start.
func (s *Server) NodeID() string {
	s.cluster.once.Do(func() {
		host, _ := os.Hostname()
		s.cluster.node = host + "/" + uuid.NewString()[:8]
	})
	return s.cluster.node
}

// shared reports whether other nodes may share the store.
func (s *Server) shared() bool { return s.Config.DatabaseURL != "" }

// snsWorker is the SNS delivery worker's configuration: its lease covers
// the longest wait in a lane plus a request (config.Cluster checks that
// the lease is at least twice the timeout).
func (s *Server) snsWorker() sns.WorkerConfig {
	c := s.Config.Cluster
	return sns.WorkerConfig{RequestTimeout: c.DeliveryTimeout, Lease: c.DeliveryLease, Owner: "sns/" + s.NodeID()}
}

// runLinks runs the SMPP links: at once with one node, under the link
// lease (together with the outbound queue) when nodes share the store.
func (s *Server) runLinks(mgr *smpp.Manager) func(ctx context.Context) {
	if !s.shared() {
		return mgr.Run
	}
	s.cluster.links = &lease.Lease{Store: s.Store, Kind: LinkOwnerKind, Name: "links", Owner: s.NodeID(),
		TTL: s.Config.Cluster.SMPPLease, Log: s.Log}
	return func(ctx context.Context) {
		s.cluster.links.Run(ctx, func(ctx context.Context) {
			var wg sync.WaitGroup
			wg.Add(2)
			go func() { defer wg.Done(); mgr.Run(ctx) }()
			go func() { defer wg.Done(); s.outRunner.Run(ctx) }()
			wg.Wait()
		})
	}
}

// runOutbound runs the outbound queue, unless the SMPP link lease runs it
// (runLinks).
func (s *Server) runOutbound(ctx context.Context) {
	if s.cluster.links != nil {
		return
	}
	s.outRunner.Run(ctx)
}

// LinkOwner reports the SMPP link lease as this node sees it (nil when
// there is none).
func (s *Server) LinkOwner() *lease.Status {
	if s.cluster.links == nil {
		return nil
	}
	st := s.cluster.links.Status()
	return &st
}

// carriersStatus is GET /_duplex/carriers: every link's state, and which
// node runs them when nodes share the store.
func (s *Server) carriersStatus(mgr *smpp.Manager) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.operator(w, r, nil); !ok {
			return
		}
		out := map[string]any{"links": mgr.Status()}
		if o := s.LinkOwner(); o != nil {
			out["owner"] = o
			out["node"] = s.NodeID()
		}
		writeJSON(w, http.StatusOK, out)
	}
}

// Package server wires duplex together: it opens the store, builds each
// domain service, registers the AWS APIs on the wire layer and serves them,
// with health and metrics, on one port.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duplexsms/duplex/internal/authz"
	"github.com/duplexsms/duplex/internal/awsmodel"
	"github.com/duplexsms/duplex/internal/carrier"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/connect"
	"github.com/duplexsms/duplex/internal/iam"
	"github.com/duplexsms/duplex/internal/jobs"
	"github.com/duplexsms/duplex/internal/kms"
	"github.com/duplexsms/duplex/internal/sigv4"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/sns"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/duplexsms/duplex/internal/store/sqlstore"
	"github.com/duplexsms/duplex/internal/sts"
	"github.com/duplexsms/duplex/internal/twoway"
	"github.com/duplexsms/duplex/internal/wire"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

var e164 = regexp.MustCompile(`^\+[1-9]\d{1,14}$`)

// Server is a running duplex node.
type Server struct {
	Config   *config.Config
	Log      *slog.Logger
	Store    store.Store
	SMS      *smsvoice.Service
	Registry *prometheus.Registry
	API      *wire.Server
	Inbound  *twoway.Pipeline
	Carriers map[string]carrier.Carrier
	KMS      *kms.Service
	IAM      *iam.Service
	STS      *sts.Service
	SNS      *sns.Service
	Connect  *connect.Service
	Authz    *authz.Authorizer
	// MasterKey wraps KMS key material (and anything else kept sealed at rest).
	MasterKey []byte

	outRunner, inRunner *jobs.Runner
	cluster             cluster

	mux     *http.ServeMux
	http    *http.Server
	ready   atomic.Bool
	keys    map[string]sigv4.Credential
	lookups []sigv4.Lookup
	// background workers run by Serve until shutdown (queue runners).
	background []func(ctx context.Context)
}

// Background adds a worker that Serve runs until shutdown begins; Serve
// waits for it to return before closing the store.
func (s *Server) Background(f func(ctx context.Context)) { s.background = append(s.background, f) }

// New builds a server from its configuration. It opens the store and applies
// migrations; it does not listen yet.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Server, error) {
	var st store.Store
	var err error
	if cfg.DatabaseURL != "" {
		st, err = sqlstore.OpenPostgres(ctx, cfg.DatabaseURL)
	} else {
		st, err = sqlstore.OpenSQLite(ctx, cfg.Data)
	}
	if err != nil {
		return nil, err
	}
	s := &Server{Config: cfg, Log: log, Store: st, Registry: prometheus.NewRegistry(), mux: http.NewServeMux(),
		keys: map[string]sigv4.Credential{}}
	s.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, a := range cfg.Accounts {
		for _, k := range a.AccessKeys {
			s.keys[k.ID] = sigv4.Credential{AccessKeyID: k.ID, SecretAccessKey: k.Secret, Account: a.ID,
				PrincipalARN: "arn:aws:iam::" + a.ID + ":root"}
		}
	}
	s.API = &wire.Server{
		Verifier: &sigv4.Verifier{Lookup: s.lookup, Now: time.Now, MaxSkew: 15 * time.Minute},
		Region:   cfg.Region,
		Log:      log,
		Metrics:  wire.NewMetrics(s.Registry),
	}

	s.SMS = smsvoice.New(st, cfg.Region)
	for _, n := range cfg.Inventory {
		s.SMS.Inventory = append(s.SMS.Inventory, smsvoice.InventoryNumber{Number: n.Number, Country: n.Country,
			Type: n.Type, Capabilities: n.Capabilities, Carrier: n.Carrier})
	}
	model, err := awsmodel.Load("pinpoint-sms-voice-v2")
	if err != nil {
		st.Close()
		return nil, err
	}
	s.API.Register(&wire.Service{Scope: "sms-voice", Model: model, Protocol: wire.JSON,
		ValidationCode: "ValidationException", Ops: smsVoiceOps(s.SMS)})
	// One master key protects every secret at rest (KMS key material, STS
	// session secrets, the SNS signing key); every node must share it.
	if s.MasterKey, err = kms.LoadMasterKey(cfg.MasterKeyFile, cfg.Data, cfg.DatabaseURL == ""); err != nil {
		st.Close()
		return nil, err
	}
	if err := s.setupIdentity(); err != nil {
		st.Close()
		return nil, err
	}
	// Other services register here.
	if err := s.setupKMS(); err != nil {
		st.Close()
		return nil, err
	}

	if err := s.setupMessaging(); err != nil {
		st.Close()
		return nil, err
	}
	if err := s.setupSNS(); err != nil {
		st.Close()
		return nil, err
	}
	s.SMS.Channels = channelChecker{s.SNS}
	s.setupConnect()
	if err := s.setupConsole(); err != nil {
		st.Close()
		return nil, err
	}

	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.Registry, promhttp.HandlerOpts{}))
	s.mux.Handle("/", s.API)
	return s, nil
}

// AddCredentialSource adds a lookup consulted after the configured keys
// (STS temporary credentials).
func (s *Server) AddCredentialSource(l sigv4.Lookup) { s.lookups = append(s.lookups, l) }

// Handle registers an extra HTTP handler (console, simulator, operator endpoints).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

func (s *Server) lookup(ctx context.Context, key string) (sigv4.Credential, error) {
	if c, ok := s.keys[key]; ok {
		return c, nil
	}
	for _, l := range s.lookups {
		c, err := l(ctx, key)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, sigv4.ErrUnknownKey) {
			return c, err
		}
	}
	return sigv4.Credential{}, sigv4.ErrUnknownKey
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		http.Error(w, "starting\n", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte("ok\n"))
}

// Handler is the server's HTTP handler (for tests that serve it themselves).
func (s *Server) Handler() http.Handler { return s.mux }

// Serve serves on ln until ctx is cancelled, then shuts down gracefully:
// in-flight requests finish (up to 30 s), background work stops, and the
// store is closed.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.http = &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn)}
	bgctx, bgcancel := context.WithCancel(context.Background())
	var bg sync.WaitGroup
	for _, f := range s.background {
		bg.Add(1)
		go func() { defer bg.Done(); f(bgctx) }()
	}
	s.ready.Store(true)
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.ready.Store(false)
		s.Log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = s.http.Shutdown(sctx)
	}
	bgcancel()
	bg.Wait()
	if cerr := s.Store.Close(); err == nil {
		err = cerr
	}
	return err
}

// Banner is what `duplex serve` prints at start-up.
func (s *Server) Banner(addr string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "duplex listening on http://%s (region %s)\n", addr, s.Config.Region)
	if s.Config.DatabaseURL != "" {
		fmt.Fprintf(&b, "store: PostgreSQL\n")
	} else {
		fmt.Fprintf(&b, "store: SQLite in %s\n", s.Config.Data)
	}
	if s.Config.DevDefaults {
		fmt.Fprintf(&b, "dev account %s: access key %q, secret %q (configure accounts to replace it)\n",
			config.DevAccount, config.DevAccessKey, config.DevSecret)
	}
	return b.String()
}

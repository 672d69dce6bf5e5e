// Package e2e drives the real duplex server end to end: Start builds it with
// server.New, serves it on a free loopback port with a data folder (or a
// fresh PostgreSQL schema) private to the test, and hands out AWS SDK for Go
// v2 clients signed with the configured accounts' keys. Tests of other
// packages may reuse the harness.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/server"
	"github.com/duplexsms/duplex/internal/testutil"
)

// Backend is the store a harness runs on.
type Backend string

const (
	SQLite   Backend = "sqlite"
	Postgres Backend = "postgres"
)

// Backends are the stores every main API flow runs on.
var Backends = []Backend{SQLite, Postgres}

// The two accounts every harness has unless an option replaces them.
const (
	AccountA = "111111111111"
	KeyA     = "AKIAACCOUNTA0000TEST"
	SecretA  = "secret-of-account-a"
	AccountB = "222222222222"
	KeyB     = "AKIAACCOUNTB0000TEST"
	SecretB  = "secret-of-account-b"
	Region   = "us-east-1"
)

// Option changes the configuration before the server is built.
type Option func(*config.Config)

// WithInventory adds numbers RequestPhoneNumber hands out before the
// built-in ranges.
func WithInventory(n ...config.InventoryNumber) Option {
	return func(c *config.Config) { c.Inventory = append(c.Inventory, n...) }
}

// WithAccounts replaces the configured accounts.
func WithAccounts(a ...config.Account) Option {
	return func(c *config.Config) { c.Accounts = a }
}

// Harness is one running duplex server owned by a test.
type Harness struct {
	T       testing.TB
	Backend Backend
	Config  *config.Config
	// URL is the base endpoint, http://127.0.0.1:PORT. It stays the same
	// across Restart.
	URL    string
	Server *server.Server
	// HTTP is the client every SDK client of this harness shares.
	HTTP *http.Client

	// AllowServerErrors stops Stop from failing the test when the server
	// logged a 5xx answer.
	AllowServerErrors bool

	transport *http.Transport
	logs      *logSink
	cancel    context.CancelFunc
	done      chan error
	running   bool
}

// Start builds and serves a server for t on backend. The server stops
// (gracefully, checked) when the test ends.
func Start(t testing.TB, backend Backend, opts ...Option) *Harness {
	t.Helper()
	if backend == SQLite && os.Getenv("DUPLEX_E2E_STORE") == "postgres" {
		// CI's second pass: every harness on PostgreSQL, so that no test
		// passes on one store only.
		backend = Postgres
	}
	cfg := config.Defaults()
	cfg.Data = t.TempDir()
	cfg.Region = Region
	cfg.LogLevel = "warn"
	cfg.Accounts = []config.Account{
		{ID: AccountA, AccessKeys: []config.AccessKey{{ID: KeyA, Secret: SecretA}}},
		{ID: AccountB, AccessKeys: []config.AccessKey{{ID: KeyB, Secret: SecretB}}},
	}
	switch backend {
	case SQLite:
	case Postgres:
		cfg.DatabaseURL = testutil.PostgresDSN(t)
		// PostgreSQL needs a master key file (SQLite generates one into
		// the data folder).
		key := make([]byte, 32)
		rand.Read(key)
		cfg.MasterKeyFile = filepath.Join(t.TempDir(), "master.key")
		if err := os.WriteFile(cfg.MasterKeyFile, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown backend %q", backend)
	}
	for _, o := range opts {
		o(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 64
	h := &Harness{T: t, Backend: backend, Config: &cfg, transport: tr, HTTP: &http.Client{Transport: tr},
		logs: &logSink{t: t}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = ln.Addr().String()
	cfg.PublicURL = "http://" + cfg.Addr
	h.URL = "http://" + cfg.Addr
	h.serve(ln)
	t.Cleanup(func() {
		if h.running {
			h.Stop()
		}
		h.logs.close()
		tr.CloseIdleConnections()
	})
	return h
}

func (h *Harness) serve(ln net.Listener) {
	h.T.Helper()
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(context.Background(), h.Config, log)
	if err != nil {
		ln.Close()
		h.T.Fatalf("server.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.Server, h.cancel, h.done, h.running = srv, cancel, make(chan error, 1), true
	go func() { h.done <- srv.Serve(ctx, ln) }()
	h.waitHealthy()
}

// waitHealthy polls /healthz until it answers 200. It gives up after a
// generous bound only to keep a broken server from hanging the suite.
func (h *Harness) waitHealthy() {
	h.T.Helper()
	for i := 0; ; i++ {
		resp, err := h.HTTP.Get(h.URL + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-h.done:
			h.running = false
			h.T.Fatalf("server stopped before it was healthy: %v", err)
		default:
		}
		if i == 1000 {
			h.T.Fatalf("server not healthy: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop shuts the server down gracefully and fails the test if Serve
// returned an error or the server answered any request with a 5xx.
func (h *Harness) Stop() {
	h.T.Helper()
	if !h.running {
		return
	}
	h.cancel()
	err := <-h.done
	h.running = false
	h.transport.CloseIdleConnections()
	if err != nil {
		h.T.Errorf("Serve returned %v", err)
	}
	if n := h.logs.serverErrors(); n > 0 && !h.AllowServerErrors {
		h.T.Errorf("the server answered %d request(s) with a 5xx (see the log above)", n)
	}
}

// Restart stops the server and starts a new one on the same data folder or
// database, listening on the same address so clients keep working.
func (h *Harness) Restart() {
	h.T.Helper()
	h.Stop()
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ {
		if ln, err = net.Listen("tcp", h.Config.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		h.T.Fatalf("listen again on %s: %v", h.Config.Addr, err)
	}
	h.serve(ln)
}

// Secret returns the configured secret of an access key.
func (h *Harness) Secret(key string) string {
	for _, a := range h.Config.Accounts {
		for _, k := range a.AccessKeys {
			if k.ID == key {
				return k.Secret
			}
		}
	}
	h.T.Fatalf("no access key %s configured", key)
	return ""
}

// SMS returns a pinpoint-sms-voice-v2 client signing with a configured
// access key. Retries are off so that every error surfaces.
func (h *Harness) SMS(key string) *pinpointsmsvoicev2.Client {
	return h.SMSWith(key, h.Secret(key))
}

// SMSWith returns a client signing with any key and secret.
func (h *Harness) SMSWith(key, secret string) *pinpointsmsvoicev2.Client {
	return pinpointsmsvoicev2.New(pinpointsmsvoicev2.Options{
		Region:           Region,
		BaseEndpoint:     aws.String(h.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, ""),
		HTTPClient:       h.HTTP,
		RetryMaxAttempts: 1,
	})
}

// A returns a client of account A, B one of account B.
func (h *Harness) A() *pinpointsmsvoicev2.Client { return h.SMS(KeyA) }
func (h *Harness) B() *pinpointsmsvoicev2.Client { return h.SMS(KeyB) }

// RawRequest builds a JSON 1.0 request for an sms-voice operation. It is
// not signed.
func (h *Harness) RawRequest(target string, body []byte) *http.Request {
	req, err := http.NewRequest(http.MethodPost, h.URL+"/", bytes.NewReader(body))
	if err != nil {
		h.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	if target != "" {
		if !strings.Contains(target, ".") {
			target = "PinpointSMSVoiceV2." + target
		}
		req.Header.Set("X-Amz-Target", target)
	}
	return req
}

// Sign signs req (whose body is body) for sms-voice in the harness region
// at time at.
func Sign(req *http.Request, body []byte, key, secret string, at time.Time) error {
	return SignAs(req, body, key, secret, Region, "sms-voice", at)
}

// SignAs signs req for any region and credential-scope service.
func SignAs(req *http.Request, body []byte, key, secret, region, service string, at time.Time) error {
	return v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: key, SecretAccessKey: secret},
		req, PayloadHash(body), service, region, at)
}

// PayloadHash is the hex SHA-256 of body.
func PayloadHash(body []byte) string { return sha256Hex(body) }

// Do sends a raw request and returns the status, headers and body.
func (h *Harness) Do(req *http.Request) (int, http.Header, []byte) {
	h.T.Helper()
	resp, err := h.HTTP.Do(req)
	if err != nil {
		h.T.Fatalf("%s: %v", req.Header.Get("X-Amz-Target"), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.T.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// logSink forwards the server's log lines to the test log while the test
// runs, and counts the 5xx answers the wire layer logs.
type logSink struct {
	mu     sync.Mutex
	t      testing.TB
	closed bool
	errs   int
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	line := string(p)
	if strings.Contains(line, "level=ERROR") && strings.Contains(line, `msg="request failed"`) {
		l.errs++
	}
	if !l.closed {
		l.t.Logf("server: %s", strings.TrimRight(line, "\n"))
	}
	return len(p), nil
}

func (l *logSink) close() {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
}

func (l *logSink) serverErrors() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.errs
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// SNS returns an SNS client of the account that owns key.
func (h *Harness) SNS(key string) *sns.Client {
	return sns.New(sns.Options{
		Region:           Region,
		BaseEndpoint:     aws.String(h.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(key, h.Secret(key), ""),
		HTTPClient:       h.HTTP,
		RetryMaxAttempts: 1,
	})
}

// Topic creates an SNS topic in the account of key and returns its ARN.
func (h *Harness) Topic(t testing.TB, key, name string) string {
	t.Helper()
	out, err := h.SNS(key).CreateTopic(context.Background(), &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("create topic %s: %v", name, err)
	}
	return aws.ToString(out.TopicArn)
}

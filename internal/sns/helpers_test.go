package sns_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"
	"github.com/duplexsms/duplex/internal/e2e"
	dsns "github.com/duplexsms/duplex/internal/sns"
)

// onBackends runs a flow on SQLite and on PostgreSQL (skipped when no
// PostgreSQL server answers, unless CI requires it).
func onBackends(t *testing.T, run func(t *testing.T, b e2e.Backend)) {
	t.Parallel()
	for _, b := range e2e.Backends {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			run(t, b)
		})
	}
}

// client returns an SNS client of the harness signing with key.
func client(h *e2e.Harness, key string) *sns.Client {
	return sns.New(sns.Options{
		Region:           e2e.Region,
		BaseEndpoint:     aws.String(h.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(key, h.Secret(key), ""),
		HTTPClient:       h.HTTP,
		RetryMaxAttempts: 1,
	})
}

// apiError asserts err is an AWS API error with code and returns its message.
func apiError(t *testing.T, err error, code string) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	return ae.ErrorMessage()
}

// received is one request a subscriber got.
type received struct {
	Header http.Header
	Body   []byte
	Env    map[string]any // the decoded envelope ("" for raw deliveries)
	Status int            // what the subscriber answered
}

func (r received) typ() string { return r.Header.Get("x-amz-sns-message-type") }
func (r received) str(k string) string {
	s, _ := r.Env[k].(string)
	return s
}

// subscriber is a real HTTP endpoint that records what SNS posts. Respond
// decides the status of each request (nil: 200); Hold, when set, blocks
// each request until it is closed or the client gives up.
type subscriber struct {
	t    *testing.T
	addr string
	URL  string

	mu       sync.Mutex
	got      []received
	changed  chan struct{}
	respond  func(r received, n int) int
	hold     chan struct{}
	active   int
	maxAct   int
	srv      *http.Server
	listener net.Listener
}

func newSubscriber(t *testing.T) *subscriber {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &subscriber{t: t, addr: ln.Addr().String(), changed: make(chan struct{}, 1)}
	s.URL = "http://" + s.addr + "/sns"
	s.serve(ln)
	t.Cleanup(s.down)
	return s
}

func (s *subscriber) serve(ln net.Listener) {
	s.listener = ln
	s.srv = &http.Server{Handler: http.HandlerFunc(s.handle)}
	go s.srv.Serve(ln)
}

// down stops the endpoint (connections are refused).
func (s *subscriber) down() {
	if s.srv != nil {
		s.srv.Close()
		s.srv = nil
	}
}

// up serves again on the same address.
func (s *subscriber) up() {
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ {
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("listen again on %s: %v", s.addr, err)
	}
	s.serve(ln)
}

func (s *subscriber) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rec := received{Header: r.Header.Clone(), Body: body}
	if r.Header.Get("x-amz-sns-rawdelivery") != "true" {
		json.Unmarshal(body, &rec.Env)
	}
	s.mu.Lock()
	s.active++
	s.maxAct = max(s.maxAct, s.active)
	hold := s.hold
	n := 0
	for _, g := range s.got {
		if g.Header.Get("x-amz-sns-message-id") == rec.Header.Get("x-amz-sns-message-id") {
			n++
		}
	}
	respond := s.respond
	s.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
		}
	}
	rec.Status = 200
	if respond != nil {
		rec.Status = respond(rec, n)
	}
	s.mu.Lock()
	s.active--
	s.got = append(s.got, rec)
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	w.WriteHeader(rec.Status)
}

func (s *subscriber) all() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.got...)
}

// waitFor waits until pred holds over what was received. The deadline only
// keeps a broken build from hanging; it is not a latency assertion.
func (s *subscriber) waitFor(what string, pred func([]received) bool) []received {
	s.t.Helper()
	deadline := time.After(45 * time.Second)
	for {
		got := s.all()
		if pred(got) {
			return got
		}
		select {
		case <-s.changed:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			s.t.Fatalf("subscriber %s: gave up waiting for %s; got %d requests: %s", s.URL, what, len(got), summary(got))
		}
	}
}

func summary(got []received) string {
	var b strings.Builder
	for _, g := range got {
		fmt.Fprintf(&b, "\n  %s %s %d %.80q", g.typ(), g.Header.Get("x-amz-sns-message-id"), g.Status, g.Body)
	}
	return b.String()
}

// ofType returns the requests of one message type, answered 2xx.
func ofType(got []received, typ string) []received {
	var out []received
	for _, g := range got {
		if g.typ() == typ && g.Status < 300 {
			out = append(out, g)
		}
	}
	return out
}

// messages returns the Message of each delivered notification (the raw body
// for raw deliveries).
func messages(got []received) []string {
	var out []string
	for _, g := range ofType(got, "Notification") {
		if g.Env == nil {
			out = append(out, string(g.Body))
		} else {
			out = append(out, g.str("Message"))
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// confirmation waits for the SubscriptionConfirmation of a topic.
func (s *subscriber) confirmation(topicArn string) received {
	s.t.Helper()
	got := s.waitFor("a SubscriptionConfirmation", func(got []received) bool {
		for _, g := range ofType(got, "SubscriptionConfirmation") {
			if g.str("TopicArn") == topicArn {
				return true
			}
		}
		return false
	})
	var last received
	for _, g := range ofType(got, "SubscriptionConfirmation") {
		if g.str("TopicArn") == topicArn {
			last = g
		}
	}
	return last
}

// drain waits until the SNS delivery queue is empty: every job was
// delivered, dropped or dead-lettered.
func drain(t *testing.T, h *e2e.Harness) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		next, err := h.Server.Store.NextDue(context.Background(), dsns.QueueDelivery)
		if err != nil {
			t.Fatal(err)
		}
		if next.IsZero() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delivery queue did not drain (next due %v)", next)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// visit GETs a URL SNS handed out and returns status and body.
func visit(t *testing.T, h *e2e.Harness, u string) (int, string) {
	t.Helper()
	resp, err := h.HTTP.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// verifySignature checks an envelope's signature the way AWS documents it,
// independently of the server's code: fetch the certificate from
// SigningCertURL, rebuild the string to sign from the envelope's fields,
// and verify SHA1withRSA (SignatureVersion 1) or SHA256withRSA (2).
func verifySignature(t *testing.T, h *e2e.Harness, r received) {
	t.Helper()
	env := r.Env
	if env == nil {
		t.Fatalf("not an envelope: %q", r.Body)
	}
	certURL := r.str("SigningCertURL")
	if !strings.HasPrefix(certURL, h.URL+"/") || !strings.HasSuffix(certURL, ".pem") {
		t.Fatalf("SigningCertURL %q is not a .pem under %s", certURL, h.URL)
	}
	status, body := visit(t, h, certURL)
	if status != 200 {
		t.Fatalf("GET %s: %d", certURL, status)
	}
	block, _ := pem.Decode([]byte(body))
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("SigningCertURL does not serve a PEM certificate: %q", body)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() != 2048 {
		t.Fatalf("certificate key is not RSA-2048")
	}
	var keys []string
	switch r.str("Type") {
	case "Notification":
		keys = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	case "SubscriptionConfirmation", "UnsubscribeConfirmation":
		keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	default:
		t.Fatalf("unknown Type %q", r.str("Type"))
	}
	var sts strings.Builder
	for _, k := range keys {
		v, present := env[k]
		if !present {
			if k == "Subject" {
				continue
			}
			t.Fatalf("envelope lacks %s", k)
		}
		sts.WriteString(k + "\n" + v.(string) + "\n")
	}
	sig, err := base64.StdEncoding.DecodeString(r.str("Signature"))
	if err != nil {
		t.Fatalf("Signature is not base64: %v", err)
	}
	switch r.str("SignatureVersion") {
	case "1":
		sum := sha1.Sum([]byte(sts.String()))
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA1, sum[:], sig)
	case "2":
		sum := sha256.Sum256([]byte(sts.String()))
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
	default:
		t.Fatalf("SignatureVersion %q", r.str("SignatureVersion"))
	}
	if err != nil {
		t.Fatalf("signature (version %s) does not verify: %v", r.str("SignatureVersion"), err)
	}
}

// envelopeKeys returns the member names of a JSON object in document order.
func envelopeKeys(t *testing.T, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(body)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %q", body)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func strs(xs ...string) string { return strings.Join(xs, ",") }

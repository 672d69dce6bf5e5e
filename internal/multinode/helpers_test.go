package multinode

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/duplexsms/duplex/internal/client"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/e2e"
	"github.com/duplexsms/duplex/internal/testutil"
)

var bg = context.Background()

// waitBound bounds every wait of these tests: there only so that a broken
// build fails instead of hanging. No test asserts on how long anything
// took.
const waitBound = 60 * time.Second

// masterKeyFile writes a new master key, the one file every node shares.
func masterKeyFile(t testing.TB) string {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	path := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// onDatabase puts a node on the database dsn with the shared master key.
func onDatabase(dsn, keyFile string) e2e.Option {
	return func(c *config.Config) { c.DatabaseURL, c.MasterKeyFile = dsn, keyFile }
}

// withCluster sets the cluster leases.
func withCluster(cl config.Cluster) e2e.Option {
	return func(c *config.Config) { c.Cluster = cl }
}

// startCluster starts n in-process nodes, each on its own port, sharing one
// new PostgreSQL schema and one master key file.
func startCluster(t testing.TB, n int, opts ...e2e.Option) []*e2e.Harness {
	t.Helper()
	dsn := testutil.PostgresDSN(t)
	key := masterKeyFile(t)
	var hs []*e2e.Harness
	for i := 0; i < n; i++ {
		hs = append(hs, e2e.Start(t, e2e.Postgres, append([]e2e.Option{onDatabase(dsn, key)}, opts...)...))
	}
	return hs
}

// endpoint is one node as a client sees it.
type endpoint struct {
	URL         string
	Key, Secret string
	HTTP        *http.Client
}

func nodeOf(h *e2e.Harness) endpoint {
	return endpoint{URL: h.URL, Key: e2e.KeyA, Secret: e2e.SecretA, HTTP: h.HTTP}
}

func (e endpoint) creds() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(e.Key, e.Secret, "")
}

func (e endpoint) sms() *sms.Client {
	return sms.New(sms.Options{Region: e2e.Region, BaseEndpoint: aws.String(e.URL), Credentials: e.creds(),
		HTTPClient: e.HTTP, RetryMaxAttempts: 1})
}

func (e endpoint) sns() *sns.Client {
	return sns.New(sns.Options{Region: e2e.Region, BaseEndpoint: aws.String(e.URL), Credentials: e.creds(),
		HTTPClient: e.HTTP, RetryMaxAttempts: 1})
}

func (e endpoint) operator() *client.Client {
	return &client.Client{Endpoint: e.URL, Region: e2e.Region, HTTP: e.HTTP,
		Creds: aws.Credentials{AccessKeyID: e.Key, SecretAccessKey: e.Secret}}
}

// receive posts a customer's text to the node's simulator endpoint and
// returns the inboundMessageId once the node has stored it.
func (e endpoint) receive(ctx context.Context, from, to, body string) (string, error) {
	var out struct {
		InboundMessageID string `json:"inboundMessageId"`
	}
	err := e.operator().Do(ctx, "POST", "/_duplex/simulator/inbound", nil,
		map[string]string{"originationNumber": from, "destinationNumber": to, "messageBody": body}, &out)
	if err == nil && out.InboundMessageID == "" {
		err = errors.New("no inboundMessageId in the answer")
	}
	return out.InboundMessageID, err
}

// inboundStatus lists the inbound messages of a status (GET /_duplex/inbound).
func (e endpoint) inboundStatus(t testing.TB, status string) []map[string]any {
	t.Helper()
	var out struct {
		InboundMessages []map[string]any `json:"inboundMessages"`
	}
	if err := e.operator().Do(bg, "GET", "/_duplex/inbound", url.Values{"status": {status}, "limit": {"100000"}}, nil, &out); err != nil {
		t.Fatalf("GET /_duplex/inbound: %v", err)
	}
	return out.InboundMessages
}

// setupTwoWay gives the account a number whose texts go to a new topic
// (whose policy lets the service publish), subscribed by sub; it returns
// the number once the subscription is confirmed.
func setupTwoWay(t testing.TB, e endpoint, sub *subscriber) (number, topic string) {
	t.Helper()
	n, err := e.sms().RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"),
		MessageType: types.MessageTypeTransactional, NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms},
		NumberType: types.RequestableNumberTypeSimulator})
	if err != nil {
		t.Fatalf("RequestPhoneNumber: %v", err)
	}
	tp, err := e.sns().CreateTopic(bg, &sns.CreateTopicInput{Name: aws.String("inbound")})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	topic = aws.ToString(tp.TopicArn)
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sms-voice.amazonaws.com"},"Action":"sns:Publish","Resource":"` + topic + `"}]}`
	if _, err := e.sns().SetTopicAttributes(bg, &sns.SetTopicAttributesInput{TopicArn: tp.TopicArn,
		AttributeName: aws.String("Policy"), AttributeValue: aws.String(policy)}); err != nil {
		t.Fatalf("SetTopicAttributes: %v", err)
	}
	if _, err := e.sns().Subscribe(bg, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("http"),
		Endpoint: aws.String(sub.url)}); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	select {
	case <-sub.confirmed:
	case <-time.After(waitBound):
		t.Fatal("the subscription was never confirmed")
	}
	if _, err := e.sms().UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: n.PhoneNumberId,
		TwoWayEnabled: aws.Bool(true), TwoWayChannelArn: aws.String(topic)}); err != nil {
		t.Fatalf("UpdatePhoneNumber: %v", err)
	}
	return aws.ToString(n.PhoneNumber), topic
}

// subscriber is a real SNS HTTP endpoint: it confirms its subscription,
// checks every notification's signature against the certificate served by
// another node than the one that signed it, and counts deliveries per
// inbound message.
type subscriber struct {
	t     testing.TB
	url   string
	nodes []string // base URLs, to fetch certificates from another node
	hc    *http.Client

	confirmed chan struct{}
	once      sync.Once
	// onConfirmation, when set, receives confirmation requests instead of
	// the subscriber confirming itself.
	onConfirmation func(token, subscribeURL string)
	// onNotification, when set, runs for each notification before it is
	// answered (with its SNS MessageId).
	onNotification func(messageID string)
	// delay slows every notification's answer after the first fastFirst
	// ones (deliveries stay in flight).
	delay     time.Duration
	fastFirst int
	answered  int

	mu      sync.Mutex
	got     map[string]int       // inboundMessageId → deliveries
	bodies  map[string]int       // messageBody → deliveries
	first   map[string]time.Time // first delivery
	signers map[string]int       // node that signed (SigningCertURL host) → notifications
	certs   map[string]*x509.Certificate
	cross   int // notifications verified with another node's certificate
	// inflight counts requests being answered per SNS MessageId; overlaps
	// counts requests that arrived while another of the same message was
	// still being answered (two nodes sending one notification at once).
	inflight map[string]int
	overlaps int
	errs     []string
	arrived  chan struct{}
}

func newSubscriber(t testing.TB, nodes []string) *subscriber {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &subscriber{t: t, url: "http://" + ln.Addr().String() + "/sns", nodes: nodes,
		hc:        &http.Client{Timeout: 10 * time.Second},
		confirmed: make(chan struct{}), got: map[string]int{}, bodies: map[string]int{}, first: map[string]time.Time{},
		signers: map[string]int{}, certs: map[string]*x509.Certificate{}, arrived: make(chan struct{}, 1),
		inflight: map[string]int{}}
	srv := &http.Server{Handler: s}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, e := range s.errs {
			t.Errorf("subscriber: %s", e)
		}
	})
	return s
}

func (s *subscriber) fail(format string, args ...any) {
	s.mu.Lock()
	if len(s.errs) < 20 {
		s.errs = append(s.errs, fmt.Sprintf(format, args...))
	}
	s.mu.Unlock()
}

type envelope struct {
	Type, MessageId, Token, TopicArn, Subject, Message, SubscribeURL, Timestamp string
	SignatureVersion, Signature, SigningCertURL                                 string
}

func (s *subscriber) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var e envelope
	if err := json.Unmarshal(b, &e); err != nil {
		s.fail("undecodable request: %v: %s", err, b)
		http.Error(w, "bad", http.StatusBadRequest)
		return
	}
	switch e.Type {
	case "SubscriptionConfirmation":
		if s.onConfirmation != nil {
			s.onConfirmation(e.Token, e.SubscribeURL)
			return
		}
		resp, err := s.hc.Get(e.SubscribeURL)
		if err != nil {
			s.fail("confirm: %v", err)
			http.Error(w, "retry", http.StatusServiceUnavailable)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			http.Error(w, "retry", http.StatusServiceUnavailable)
			return
		}
		s.once.Do(func() { close(s.confirmed) })
	case "Notification":
		s.mu.Lock()
		s.inflight[e.MessageId]++
		if s.inflight[e.MessageId] > 1 {
			s.overlaps++
		}
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.inflight[e.MessageId]--
			s.mu.Unlock()
		}()
		if s.onNotification != nil {
			s.onNotification(e.MessageId)
		}
		cross, err := s.verify(&e)
		if err != nil {
			s.fail("notification %s: %v", e.MessageId, err)
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		var p struct {
			InboundMessageID string `json:"inboundMessageId"`
			MessageBody      string `json:"messageBody"`
		}
		if err := json.Unmarshal([]byte(e.Message), &p); err != nil || p.InboundMessageID == "" {
			s.fail("payload %q: %v", e.Message, err)
			return
		}
		u, _ := url.Parse(e.SigningCertURL)
		s.mu.Lock()
		s.got[p.InboundMessageID]++
		s.bodies[p.MessageBody]++
		if s.got[p.InboundMessageID] == 1 {
			s.first[p.InboundMessageID] = time.Now()
		}
		s.signers[u.Host]++
		if cross {
			s.cross++
		}
		s.mu.Unlock()
		select {
		case s.arrived <- struct{}{}:
		default:
		}
		s.mu.Lock()
		s.answered++
		slow := s.answered > s.fastFirst
		s.mu.Unlock()
		if slow {
			time.Sleep(s.delay)
		}
	}
}

// verify checks the envelope's signature with the certificate at the path
// of its SigningCertURL, fetched from the next node after the one that
// signed (true when that is another node).
func (s *subscriber) verify(e *envelope) (bool, error) {
	u, err := url.Parse(e.SigningCertURL)
	if err != nil {
		return false, err
	}
	base, cross := "http://"+u.Host, false
	for i, n := range s.nodes {
		if n == base && len(s.nodes) > 1 {
			base, cross = s.nodes[(i+1)%len(s.nodes)], true
			break
		}
	}
	cert, err := s.cert(base + u.Path)
	if err != nil {
		return false, err
	}
	var sts strings.Builder
	for _, kv := range [][2]string{{"Message", e.Message}, {"MessageId", e.MessageId}, {"Subject", e.Subject},
		{"Timestamp", e.Timestamp}, {"TopicArn", e.TopicArn}, {"Type", e.Type}} {
		if kv[0] == "Subject" && kv[1] == "" {
			continue
		}
		sts.WriteString(kv[0] + "\n" + kv[1] + "\n")
	}
	sig, err := base64.StdEncoding.DecodeString(e.Signature)
	if err != nil {
		return false, err
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return false, errors.New("certificate key is not RSA")
	}
	if e.SignatureVersion == "2" {
		sum := sha256.Sum256([]byte(sts.String()))
		return cross, rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig)
	}
	sum := sha1.Sum([]byte(sts.String()))
	return cross, rsa.VerifyPKCS1v15(pub, crypto.SHA1, sum[:], sig)
}

func (s *subscriber) cert(u string) (*x509.Certificate, error) {
	s.mu.Lock()
	c := s.certs[u]
	s.mu.Unlock()
	if c != nil {
		return c, nil
	}
	resp, err := s.hc.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, fmt.Errorf("GET %s: no PEM", u)
	}
	if c, err = x509.ParseCertificate(block.Bytes); err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.certs[u] = c
	s.mu.Unlock()
	return c, nil
}

// waitFor waits until every id has arrived (or waitBound passes) and
// returns those that did not.
func (s *subscriber) waitFor(ids []string) []string {
	deadline := time.Now().Add(waitBound)
	for {
		var missing []string
		s.mu.Lock()
		for _, id := range ids {
			if s.got[id] == 0 {
				missing = append(missing, id)
			}
		}
		s.mu.Unlock()
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing
		}
		select {
		case <-s.arrived:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// counts returns distinct messages, deliveries and duplicate deliveries.
func (s *subscriber) counts() (distinct, deliveries, dups int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.got {
		distinct++
		deliveries += n
		dups += n - 1
	}
	return
}

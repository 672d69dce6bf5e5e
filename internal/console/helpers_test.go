package console_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	snssdk "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/server"
)

const (
	accountA = "111111111111"
	keyA     = "AKIAACCOUNTA0000TEST"
	secretA  = "secret-of-account-a"
	accountB = "222222222222"
	keyB     = "AKIAACCOUNTB0000TEST"
	secretB  = "secret-of-account-b"
	region   = "us-east-1"
)

// env is a real duplex server (server.New on SQLite in a temp dir) served
// on a loopback port.
type env struct {
	t   *testing.T
	URL string
	Srv *server.Server
}

type option func(*config.Config)

func devAccount(c *config.Config) {
	c.Accounts = []config.Account{{ID: config.DevAccount, AccessKeys: []config.AccessKey{{ID: config.DevAccessKey, Secret: config.DevSecret}}}}
	c.DevDefaults = true
}

// start builds and serves a server. failFast makes an undeliverable inbound
// message FAILED at its first failed attempt (no automatic retries), so a
// test decides when it is delivered again.
func start(t *testing.T, failFast bool, opts ...option) *env {
	t.Helper()
	cfg := config.Defaults()
	cfg.Data = t.TempDir()
	cfg.Region = region
	cfg.LogLevel = "warn"
	cfg.Accounts = []config.Account{
		{ID: accountA, AccessKeys: []config.AccessKey{{ID: keyA, Secret: secretA}}},
		{ID: accountB, AccessKeys: []config.AccessKey{{ID: keyB, Secret: secretB}}},
	}
	for _, o := range opts {
		o(&cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = ln.Addr().String()
	cfg.PublicURL = "http://" + cfg.Addr
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(context.Background(), &cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if failFast {
		srv.Inbound.RetryWindow = 0 // set before Serve starts the workers
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	e := &env{t: t, URL: "http://" + cfg.Addr, Srv: srv}
	for i := 0; ; i++ { // a bound against a broken server, not a timing assertion
		resp, err := http.Get(e.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if i == 2000 {
			t.Fatalf("server not healthy: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return e
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("server: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (e *env) awsConfig(key, secret string) aws.Config {
	return aws.Config{Region: region, Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""),
		BaseEndpoint: aws.String(e.URL), RetryMaxAttempts: 1}
}

func (e *env) SMS(key, secret string) *sms.Client { return sms.NewFromConfig(e.awsConfig(key, secret)) }
func (e *env) SNS(key, secret string) *snssdk.Client {
	return snssdk.NewFromConfig(e.awsConfig(key, secret))
}
func (e *env) IAM(key, secret string) *iamsdk.Client {
	return iamsdk.NewFromConfig(e.awsConfig(key, secret))
}

// browser is a cookie-keeping client that does not follow redirects, so
// tests see them.
type browser struct {
	t    *testing.T
	e    *env
	c    *http.Client
	csrf string
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	Status   int
	Location string
	Body     string
	Header   http.Header
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	// Body is the text as a reader sees it (html/template writes + as &#43;).
	return response{Status: resp.StatusCode, Location: resp.Header.Get("Location"), Body: html.UnescapeString(string(body)), Header: resp.Header}
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.e.URL+path, nil)
	r := b.do(req)
	if m := csrfRE.FindStringSubmatch(r.Body); m != nil && b.csrf == "" {
		b.csrf = html.UnescapeString(m[1])
	}
	return r
}

// post sends a form as the browser would from a console page: with the
// Origin of the console and the session's CSRF token (unless the form
// already has a csrf value).
func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", b.csrf)
	}
	return b.postRaw(path, form, b.e.URL)
}

func (b *browser) postRaw(path string, form url.Values, origin string) response {
	b.t.Helper()
	req, _ := http.NewRequest("POST", b.e.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in through the sign-in page.
func (b *browser) signIn(key, secret string) response {
	b.t.Helper()
	page := b.get("/console/signin")
	m := csrfRE.FindStringSubmatch(page.Body)
	if m == nil {
		b.t.Fatalf("sign-in page has no form token:\n%s", page.Body)
	}
	r := b.postRaw("/console/signin", url.Values{"csrf": {html.UnescapeString(m[1])}, "accessKeyId": {key}, "secret": {secret},
		"next": {"/console/phone-numbers"}}, b.e.URL)
	if r.Status == http.StatusSeeOther {
		b.csrf = ""
		b.get("/console/phone-numbers") // picks up the session's CSRF token
		if b.csrf == "" {
			b.t.Fatal("no CSRF token on the phone numbers page")
		}
	}
	return r
}

// fieldError returns the error shown next to a form field ("" if none).
func fieldError(body, field string) string {
	re := regexp.MustCompile(`<p class="field-error" id="err-` + regexp.QuoteMeta(field) + `"[^>]*>([^<]*)</p>`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// subscriber is an HTTP endpoint that confirms SNS subscriptions (GET of
// the SubscribeURL) and records notifications.
type subscriber struct {
	*httptest.Server
	mu        sync.Mutex
	confirmed chan string
	notes     chan notification
}

type notification struct {
	Type, MessageId, TopicArn, Message, SubscribeURL string
}

func newSubscriber(t *testing.T) *subscriber {
	s := &subscriber{confirmed: make(chan string, 10), notes: make(chan notification, 100)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n notification
		if err := json.NewDecoder(r.Body).Decode(&n); err != nil {
			http.Error(w, "bad body", 400)
			return
		}
		switch n.Type {
		case "SubscriptionConfirmation":
			resp, err := http.Get(n.SubscribeURL)
			if err != nil || resp.StatusCode != 200 {
				t.Errorf("confirming %s: %v %v", n.SubscribeURL, err, resp)
				http.Error(w, "confirm failed", 500)
				return
			}
			resp.Body.Close()
			s.confirmed <- n.TopicArn
		case "Notification":
			s.notes <- n
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// wait returns the next value of ch; the bound only keeps a broken server
// from hanging the suite.
func wait[T any](t *testing.T, ch chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(60 * time.Second):
		t.Fatalf("no %s arrived", what)
		var zero T
		return zero
	}
}

// eventually polls cond until it holds (a bound against hanging only).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 6000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never happened", what)
}

func regexpMust(s string) *regexp.Regexp { return regexp.MustCompile(s) }

package console_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	snssdk "github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/twoway"
)

const chromiumPath = "/usr/bin/chromium"

// TestBrowser walks the seed's console steps in headless Chromium against
// the real `duplex serve` binary (console/e2e/flow.mjs, playwright-core),
// with a real HTTP subscriber that confirms its SNS subscription and
// records what it receives. It skips when Chromium, node or the script's
// node_modules are missing, unless DUPLEX_REQUIRE_BROWSER=1.
func TestBrowser(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "console", "e2e")
	var missing []string
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = append(missing, chromiumPath+" (apt-get install chromium)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing = append(missing, "node")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "playwright-core")); err != nil {
		missing = append(missing, "console/e2e/node_modules/playwright-core (cd console/e2e && npm ci)")
	}
	if len(missing) > 0 {
		if os.Getenv("DUPLEX_REQUIRE_BROWSER") == "1" {
			t.Fatalf("DUPLEX_REQUIRE_BROWSER=1 but missing: %s", strings.Join(missing, ", "))
		}
		t.Skipf("browser test skipped; missing: %s", strings.Join(missing, ", "))
	}
	if testing.Short() && os.Getenv("DUPLEX_REQUIRE_BROWSER") != "1" {
		t.Skip("builds the binary and runs a browser")
	}

	bin := filepath.Join(t.TempDir(), "duplex")
	build := exec.Command("go", "build", "-o", bin, "./cmd/duplex")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	url := "http://" + addr
	srv := startBinary(t, bin, addr, t.TempDir())

	dev := &env{t: t, URL: url}
	iamC, snsC := dev.IAM(config.DevAccessKey, config.DevSecret), dev.SNS(config.DevAccessKey, config.DevSecret)
	// The role the flow chooses as "existing IAM role": it may publish to the
	// account's topics, but its trust policy names another account.
	if _, err := iamC.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("SMSVoiceTwoWay"),
		AssumeRolePolicyDocument: aws.String(trustPolicy("999999999999"))}); err != nil {
		t.Fatal(err)
	}
	if _, err := iamC.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("SMSVoiceTwoWay"), PolicyName: aws.String("publish"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:` +
			config.DevAccount + `:*"}]}`)}); err != nil {
		t.Fatal(err)
	}

	// The role the flow chooses for Amazon Connect: the seed's trust and
	// permission policies.
	if _, err := iamC.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("SMSVoiceConnect"),
		AssumeRolePolicyDocument: aws.String(trustPolicy(config.DevAccount))}); err != nil {
		t.Fatal(err)
	}
	if _, err := iamC.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("SMSVoiceConnect"), PolicyName: aws.String("connect"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["connect:SendChatIntegrationEvent"],"Resource":["*"]}]}`)}); err != nil {
		t.Fatal(err)
	}

	rec := &recorder{confirmed: make(chan string, 10), arrived: make(chan struct{}, 1)}
	ctl := httptest.NewServer(rec.handler(t, snsC, iamC))
	defer ctl.Close()
	rec.endpoint = ctl.URL + "/sns"

	artifacts := filepath.Join(dir, "artifacts")
	os.RemoveAll(artifacts)
	cmd := exec.Command(node, "flow.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DUPLEX_URL="+url, "CONTROL_URL="+ctl.URL, "ARTIFACTS="+artifacts, "CHROMIUM="+chromiumPath)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	t.Logf("flow.mjs output:\n%s", out.String())
	if err != nil {
		t.Fatalf("flow.mjs failed: %v (screenshots in %s)\nserver log:\n%s", err, artifacts, srv.log.String())
	}

	// What the subscriber received: the seed's six-field payload, for the
	// first text and for the redriven one.
	nums, err := dev.SMS(config.DevAccessKey, config.DevSecret).DescribePhoneNumbers(ctx, &sms.DescribePhoneNumbersInput{})
	if err != nil || len(nums.PhoneNumbers) != 1 {
		t.Fatalf("numbers: %v %v", nums, err)
	}
	number := *nums.PhoneNumbers[0].PhoneNumber
	got := map[string]twoway.Payload{}
	for _, n := range rec.all() {
		var p twoway.Payload
		if err := json.Unmarshal([]byte(n.Message), &p); err != nil {
			t.Fatalf("notification body %q: %v", n.Message, err)
		}
		if !strings.HasPrefix(n.Message, `{"originationNumber":`) {
			t.Errorf("payload fields out of order: %s", n.Message)
		}
		got[p.MessageBody] = p
	}
	for _, body := range []string{"Hello from the phone simulator", "Is my order ready?"} {
		p, ok := got[body]
		if !ok {
			t.Errorf("the subscriber never received %q (got %v)", body, got)
			continue
		}
		if p.OriginationNumber != "+14255550182" || p.DestinationNumber != number || p.InboundMessageID == "" {
			t.Errorf("payload of %q: %+v", body, p)
		}
	}
	// The redriven message needed more than one attempt, and the inbound
	// log shows it delivered.
	resp, err := http.Get(url + "/_duplex/inbound?destinationNumber=" + strings.ReplaceAll(number, "+", "%2B"))
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ InboundMessages []twoway.InboundMessage }
	json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	var found bool
	for _, m := range list.InboundMessages {
		if m.MessageBody == "Is my order ready?" {
			found = true
			if m.Status != twoway.StatusDelivered || m.Attempts < 2 {
				t.Errorf("redriven message: status %s after %d attempts", m.Status, m.Attempts)
			}
		}
	}
	if !found {
		t.Error("the redriven message is not in the inbound log")
	}
	// The agent's answer from the workspace went to the customer as an SMS
	// from the number.
	resp, err = http.Get(url + "/_duplex/simulator/outbound?destinationNumber=%2B14255550182")
	if err != nil {
		t.Fatal(err)
	}
	var outbox struct {
		Messages []struct{ MessageBody, OriginationNumber string }
	}
	json.NewDecoder(resp.Body).Decode(&outbox)
	resp.Body.Close()
	answered := false
	for _, m := range outbox.Messages {
		answered = answered || (m.MessageBody == "Yes, send me the new address." && m.OriginationNumber == number)
	}
	if !answered {
		t.Errorf("the agent's answer is not in the outbox: %+v", outbox.Messages)
	}
	if code := srv.stop(t); code != 0 {
		t.Errorf("duplex serve exited with %d\n%s", code, srv.log.String())
	}
}

// recorder is the test's HTTP subscriber (POST /sns) and the flow's control
// endpoint (POST /control/...).
type recorder struct {
	endpoint  string
	confirmed chan string
	arrived   chan struct{}
	mu        sync.Mutex
	notes     []notification
}

func (r *recorder) all() []notification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notification(nil), r.notes...)
}

func (r *recorder) handler(t *testing.T, snsC *snssdk.Client, iamC *iamsdk.Client) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sns", func(w http.ResponseWriter, req *http.Request) {
		var n notification
		if err := json.NewDecoder(req.Body).Decode(&n); err != nil {
			http.Error(w, "bad body", 400)
			return
		}
		switch n.Type {
		case "SubscriptionConfirmation":
			resp, err := http.Get(n.SubscribeURL)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				http.Error(w, "confirmation refused", 500)
				return
			}
			r.confirmed <- n.TopicArn
		case "Notification":
			r.mu.Lock()
			r.notes = append(r.notes, n)
			r.mu.Unlock()
			select {
			case r.arrived <- struct{}{}:
			default:
			}
		}
	})
	fail := func(w http.ResponseWriter, err error) { http.Error(w, err.Error(), 500) }
	mux.HandleFunc("POST /control/subscribe", func(w http.ResponseWriter, req *http.Request) {
		var in struct{ TopicArn string }
		json.NewDecoder(req.Body).Decode(&in)
		out, err := snsC.Subscribe(req.Context(), &snssdk.SubscribeInput{TopicArn: &in.TopicArn, Protocol: aws.String("http"),
			Endpoint: aws.String(r.endpoint)})
		if err != nil {
			fail(w, err)
			return
		}
		select {
		case arn := <-r.confirmed:
			if arn != in.TopicArn {
				fail(w, errors.New("confirmed "+arn+", not "+in.TopicArn))
				return
			}
		case <-time.After(60 * time.Second): // a bound, not a timing assertion
			fail(w, errors.New("the subscription was never confirmed"))
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"subscriptionArn": aws.ToString(out.SubscriptionArn)})
	})
	mux.HandleFunc("POST /control/wait", func(w http.ResponseWriter, req *http.Request) {
		var in struct{ Body string }
		json.NewDecoder(req.Body).Decode(&in)
		deadline := time.After(60 * time.Second) // a bound, not a timing assertion
		for {
			for _, n := range r.all() {
				var p twoway.Payload
				if json.Unmarshal([]byte(n.Message), &p) == nil && p.MessageBody == in.Body {
					json.NewEncoder(w).Encode(map[string]string{"message": n.Message, "messageId": n.MessageId})
					return
				}
			}
			select {
			case <-r.arrived:
			case <-time.After(200 * time.Millisecond):
			case <-deadline:
				fail(w, errors.New("no notification with body "+in.Body))
				return
			}
		}
	})
	mux.HandleFunc("POST /control/fix-trust", func(w http.ResponseWriter, req *http.Request) {
		_, err := iamC.UpdateAssumeRolePolicy(req.Context(), &iamsdk.UpdateAssumeRolePolicyInput{RoleName: aws.String("SMSVoiceTwoWay"),
			PolicyDocument: aws.String(trustPolicy(config.DevAccount))})
		if err != nil {
			fail(w, err)
			return
		}
		w.Write([]byte("{}"))
	})
	return mux
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type process struct {
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan error
}

// startBinary runs `duplex serve` with the dev defaults (no DUPLEX_*
// settings from the environment) and waits until it is healthy.
func startBinary(t *testing.T, bin, addr, data string) *process {
	t.Helper()
	p := &process{log: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(bin, "serve", "--addr", addr, "--data", data)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DUPLEX_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	for i := 0; ; i++ { // a bound against a broken binary, not a timing assertion
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case err := <-p.done:
			t.Fatalf("duplex serve exited: %v\n%s", err, p.log)
		default:
		}
		if i == 1500 {
			t.Fatalf("duplex serve not healthy\n%s", p.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *process) stop(t *testing.T) int {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		return 0
	case <-time.After(60 * time.Second): // a bound, not a timing assertion
		p.cmd.Process.Kill()
		t.Fatal("duplex serve did not stop after SIGTERM")
		return -1
	}
}

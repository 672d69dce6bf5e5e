package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/duplexsms/duplex/internal/config"
)

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	noErr(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// syncBuffer is a bytes.Buffer safe for a process's output and the test.
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

// duplexProcess is a running `duplex serve`.
type duplexProcess struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan error
}

func startDuplex(t *testing.T, bin, addr, data string, args ...string) *duplexProcess {
	t.Helper()
	p := &duplexProcess{stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", addr, "--data", data}, args...)...)
	p.cmd.Env = append(envWithout("DUPLEX_"), "DUPLEX_LOG_LEVEL=info")
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	noErr(t, p.cmd.Start())
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	for i := 0; ; i++ {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case err := <-p.done:
			t.Fatalf("duplex serve exited before it was healthy: %v\nstdout: %s\nstderr: %s", err, p.stdout, p.stderr)
		default:
		}
		if i == 1500 {
			t.Fatalf("duplex serve not healthy\nstderr: %s", p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and returns the exit code.
func (p *duplexProcess) stop(t *testing.T) int {
	t.Helper()
	noErr(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-p.done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		noErr(t, err)
		return 0
	case <-time.After(60 * time.Second): // a bound against hanging, not a timing assertion
		p.cmd.Process.Kill()
		t.Fatalf("duplex serve did not stop after SIGTERM\nstderr: %s", p.stderr)
		return -1
	}
}

// buildDuplex builds cmd/duplex into a temporary folder.
func buildDuplex(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "duplex")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/duplexsms/duplex/cmd/duplex").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinaryGracefulShutdown runs the real binary: serve, a request, SIGTERM
// (exit 0, store closed), and a second start on the same data folder that
// finds the state.
func TestBinaryGracefulShutdown(t *testing.T) { testBinaryGracefulShutdown(t) }

// testBinaryGracefulShutdown runs it with `duplex serve` args (the store).
func testBinaryGracefulShutdown(t *testing.T, args ...string) {
	bin := buildDuplex(t)
	data := t.TempDir()
	addr := freeAddr(t)
	p := startDuplex(t, bin, addr, data, args...)
	if !strings.Contains(p.stdout.String(), "duplex listening on http://"+addr) || !strings.Contains(p.stdout.String(), `access key "test"`) {
		t.Errorf("banner: %q", p.stdout.String())
	}
	c := sms.New(sms.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + addr), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(config.DevAccessKey, config.DevSecret, "")})
	n := sim(t, c)
	_, err := c.CreateOptOutList(bg, &sms.CreateOptOutListInput{OptOutListName: aws.String("survives")})
	noErr(t, err)
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code after SIGTERM = %d\nstderr: %s", code, p.stderr)
	}
	if !strings.Contains(p.stderr.String(), "stopped cleanly") {
		t.Errorf("no clean stop in the log: %s", p.stderr)
	}

	p = startDuplex(t, bin, addr, data, args...)
	d := describeNumber(t, c, aws.ToString(n.PhoneNumberId))
	eq(t, "number after restart", aws.ToString(d.PhoneNumber), aws.ToString(n.PhoneNumber))
	sameIDs(t, "lists after restart", optOutListNamesFor(t, c), []string{"Default", "survives"})
	if code := p.stop(t); code != 0 {
		t.Fatalf("second exit code = %d\nstderr: %s", code, p.stderr)
	}
}

// envWithout is the environment less the variables with these prefixes.
func envWithout(prefixes ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		keep := true
		for _, p := range prefixes {
			keep = keep && !strings.HasPrefix(kv, p)
		}
		if keep {
			env = append(env, kv)
		}
	}
	return env
}

func optOutListNamesFor(t *testing.T, c *sms.Client) []string {
	t.Helper()
	res, err := c.DescribeOptOutLists(bg, &sms.DescribeOptOutListsInput{})
	noErr(t, err)
	var names []string
	for _, l := range res.OptOutLists {
		names = append(names, aws.ToString(l.OptOutListName))
	}
	return names
}

// TestAWSCLI drives the server with the aws CLI, when it is installed.
func TestAWSCLI(t *testing.T) { testAWSCLI(t, SQLite) }

func testAWSCLI(t *testing.T, backend Backend) {
	awsBin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not on PATH")
	}
	if out, err := exec.Command(awsBin, "--version").CombinedOutput(); err != nil {
		t.Skipf("aws CLI does not run: %v %s", err, out)
	}
	h := Start(t, backend)
	home := t.TempDir()
	run := func(args ...string) ([]byte, []byte, error) {
		cmd := exec.Command(awsBin, append([]string{"--endpoint-url", h.URL, "--output", "json", "pinpoint-sms-voice-v2"}, args...)...)
		cmd.Env = append(envWithout("AWS_", "HOME="), "AWS_ACCESS_KEY_ID="+KeyA, "AWS_SECRET_ACCESS_KEY="+SecretA,
			"AWS_DEFAULT_REGION="+Region, "AWS_REGION="+Region, "AWS_CONFIG_FILE="+filepath.Join(home, "config"),
			"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "credentials"), "AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard",
			"AWS_PAGER=", "HOME="+home)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.Bytes(), stderr.Bytes(), err
	}
	out, stderr, err := run("request-phone-number", "--iso-country-code", "US", "--message-type", "TRANSACTIONAL",
		"--number-capabilities", "SMS", "--number-type", "SIMULATOR", "--tags", "Key=via,Value=cli")
	if err != nil {
		t.Fatalf("request-phone-number: %v\n%s", err, stderr)
	}
	var req struct {
		PhoneNumberId, PhoneNumber, Status string
		CreatedTimestamp                   float64
		Tags                               []struct{ Key, Value string }
	}
	noErr(t, json.Unmarshal(out, &req))
	if !phoneIDRE.MatchString(req.PhoneNumberId) || req.Status != "ACTIVE" || !strings.HasPrefix(req.PhoneNumber, "+1206556") || req.CreatedTimestamp == 0 {
		t.Errorf("request-phone-number output: %s", out)
	}
	if len(req.Tags) != 1 || req.Tags[0].Key != "via" || req.Tags[0].Value != "cli" {
		t.Errorf("tags: %+v", req.Tags)
	}

	out, stderr, err = run("describe-phone-numbers")
	if err != nil {
		t.Fatalf("describe-phone-numbers: %v\n%s", err, stderr)
	}
	var desc struct {
		PhoneNumbers []struct{ PhoneNumberId, PhoneNumber string }
	}
	noErr(t, json.Unmarshal(out, &desc))
	if len(desc.PhoneNumbers) != 1 || desc.PhoneNumbers[0].PhoneNumberId != req.PhoneNumberId || desc.PhoneNumbers[0].PhoneNumber != req.PhoneNumber {
		t.Errorf("describe-phone-numbers output: %s", out)
	}
	// The CLI's own paginator over several pages.
	for i := 0; i < 4; i++ {
		sim(t, h.A())
	}
	out, stderr, err = run("describe-phone-numbers", "--page-size", "2")
	if err != nil {
		t.Fatalf("describe-phone-numbers --page-size 2: %v\n%s", err, stderr)
	}
	noErr(t, json.Unmarshal(out, &desc))
	eq(t, "numbers through the CLI paginator", len(desc.PhoneNumbers), 5)

	// An error: the CLI shows the code and exits non-zero.
	_, stderr, err = run("describe-phone-numbers", "--phone-number-ids", "phone-00000000000000000000000000000000")
	if err == nil || !strings.Contains(string(stderr), "ResourceNotFoundException") {
		t.Errorf("describe of an unknown number: err %v, stderr %s", err, stderr)
	}
}

package multinode

import (
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

	"github.com/duplexsms/duplex/internal/config"
)

// Real `duplex serve` processes, for what only a process can show: a node
// killed with SIGKILL (no shutdown, claims left behind, sockets cut).

var buildOnce struct {
	sync.Once
	bin string
	err error
	out []byte
}

// duplexBinary builds cmd/duplex once per test binary.
func duplexBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the real binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "duplex-multinode-")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.bin = filepath.Join(dir, "duplex")
		buildOnce.out, buildOnce.err = exec.Command("go", "build", "-o", buildOnce.bin, "github.com/duplexsms/duplex/cmd/duplex").CombinedOutput()
	})
	if buildOnce.err != nil {
		t.Fatalf("go build: %v\n%s", buildOnce.err, buildOnce.out)
	}
	return buildOnce.bin
}

// syncBuffer collects a process's output.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

// process is one running `duplex serve`.
type process struct {
	URL    string
	cmd    *exec.Cmd
	out    *syncBuffer
	done   chan struct{}
	killed bool
}

// clusterFile writes a config file with the cluster settings (and nothing
// else: the dev account serves).
func clusterFile(t *testing.T, c config.Cluster, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "duplex.yaml")
	body := "cluster:\n"
	for _, kv := range []struct {
		k string
		v time.Duration
	}{{"job_lease", c.JobLease}, {"delivery_timeout", c.DeliveryTimeout}, {"delivery_lease", c.DeliveryLease}, {"smpp_lease", c.SMPPLease}} {
		if kv.v > 0 {
			body += "  " + kv.k + ": " + kv.v.String() + "\n"
		}
	}
	if err := os.WriteFile(path, []byte(body+extra), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startProcess runs `duplex serve` on a free port with args and waits
// until it is healthy.
func startProcess(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := &process{URL: "http://" + addr, out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, append([]string{"serve", "--addr", addr, "--data", t.TempDir()}, args...)...)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DUPLEX_") {
			env = append(env, kv)
		}
	}
	p.cmd.Env = append(env, "DUPLEX_LOG_LEVEL=warn")
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(waitBound):
				p.cmd.Process.Kill()
				<-p.done
			}
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", p.URL, p.out)
		}
	})
	deadline := time.Now().Add(waitBound)
	for {
		resp, err := http.Get(p.URL + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.done:
			t.Fatalf("duplex serve exited before it was healthy:\n%s", p.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("duplex serve not healthy:\n%s", p.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the process with SIGKILL: no shutdown, no lease released. It
// may run on any goroutine.
func (p *process) kill() error {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	<-p.done
	p.killed = true
	return nil
}

// devNode is a process as the dev account's client sees it.
func (p *process) devNode() endpoint {
	return endpoint{URL: p.URL, Key: config.DevAccessKey, Secret: config.DevSecret, HTTP: &http.Client{Timeout: 30 * time.Second}}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is a process the bench started (duplex, duplex smsc, bearerbox,
// smsbox, the counting app, the no-op ESME). Its CPU time is read from
// /proc/PID/stat.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	err  error
}

// startProc starts bin with args; stdout and stderr go to logPath.
func startProc(name, logPath string, env []string, bin string, args ...string) (*proc, error) {
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	lf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = append(os.Environ(), env...)
	// Its own process group, so that an interrupted bench does not leave
	// it behind through a shared terminal signal, and stop reaches it alone.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: lf, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits (SIGKILL after the grace period).
func (p *proc) stop(grace time.Duration) {
	if p == nil || p.exited() {
		if p != nil {
			p.log.Close()
		}
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		p.cmd.Process.Kill()
		<-p.done
	}
	p.log.Close()
}

// clkTck is USER_HZ, the unit of utime and stime in /proc/PID/stat (100
// on every Linux architecture Go runs on).
const clkTck = 100

// cpuTime reads utime+stime of a process from /proc/PID/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errors.New("short stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed stat times")
	}
	return time.Duration(ut+st) * time.Second / clkTck, nil
}

// cpuSnap is the CPU time of each watched process at one instant.
type cpuSnap struct {
	at  time.Time
	cpu map[string]time.Duration
	// machine is the busy time of all cores (/proc/stat), everything
	// that ran on the machine included.
	machine time.Duration
}

// machineBusy reads the busy time of all cores from /proc/stat (user,
// nice, system, irq, softirq, steal).
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, _ := strconv.ParseInt(f[i], 10, 64)
		busy += v
	}
	return time.Duration(busy) * time.Second / clkTck
}

// watched is a process whose CPU use is reported (the bench itself
// included, as "bench (load generator)").
type watched struct {
	name string
	pid  int
}

func snapshot(ws []watched) cpuSnap {
	s := cpuSnap{at: time.Now(), cpu: map[string]time.Duration{}, machine: machineBusy()}
	for _, w := range ws {
		if d, err := cpuTime(w.pid); err == nil {
			s.cpu[w.name] += d
		}
	}
	return s
}

// cpuUse is one process's CPU use over a measured run.
type cpuUse struct {
	Cores     float64 `json:"cores"`     // CPU seconds per wall second
	USPerMsg  float64 `json:"usPerMsg"`  // CPU microseconds per message
	CPUSecond float64 `json:"cpuSecond"` // CPU seconds in all
}

func cpuDelta(a, b cpuSnap, wall time.Duration, msgs int) map[string]cpuUse {
	out := map[string]cpuUse{}
	for name, t1 := range b.cpu {
		d := t1 - a.cpu[name]
		u := cpuUse{CPUSecond: d.Seconds()}
		if wall > 0 {
			u.Cores = d.Seconds() / wall.Seconds()
		}
		if msgs > 0 {
			u.USPerMsg = float64(d.Microseconds()) / float64(msgs)
		}
		out[name] = u
	}
	return out
}

// otherCores is the CPU that processes outside the benchmark used between
// two snapshots (cores busy): the machine's busy time less the watched
// processes'.
func otherCores(a, b cpuSnap) float64 {
	wall := b.at.Sub(a.at)
	if wall <= 0 || a.machine == 0 {
		return 0
	}
	d := b.machine - a.machine
	for name, t1 := range b.cpu {
		d -= t1 - a.cpu[name]
	}
	return max(0, d.Seconds()/wall.Seconds())
}

// freePort returns a loopback port nothing listens on (a small race with
// other programs is accepted).
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func freePorts(n int) ([]int, error) {
	// Hold them all open until every one is picked, so they differ.
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	var out []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// waitFor polls ok every 50 ms until it returns true, p exits, or the
// timeout passes.
func waitFor(ctx context.Context, what string, timeout time.Duration, p *proc, ok func() bool) error {
	end := time.Now().Add(timeout)
	for {
		if ok() {
			return nil
		}
		if p != nil && p.exited() {
			return fmt.Errorf("%s: %s exited (%v); see %s", what, p.name, p.err, p.log.Name())
		}
		if time.Now().After(end) {
			return fmt.Errorf("%s: not ready after %s", what, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func httpOK(url string) bool {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode < 300
}

func tcpOpen(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

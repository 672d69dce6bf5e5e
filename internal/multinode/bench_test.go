package multinode

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexsms/duplex/internal/e2e"
)

// BenchmarkMultiNode measures inbound end to end (a text POSTed to
// /_duplex/simulator/inbound of a node, until the HTTP subscriber has the
// signed notification) on PostgreSQL with 1, 2 and 3 nodes, and on SQLite
// with one node for comparison. b.N texts are sent by 32 senders spread
// over the nodes; run with a fixed count:
//
//	go test -run x -bench MultiNode -benchtime 3000x ./internal/multinode/
//
// It reports texts per second, the p50 and p99 of the end-to-end latency,
// the database's share of the CPU time spent (the postgres processes' CPU
// time from /proc against theirs plus this process's, which runs the
// nodes, the senders and the subscriber), and that CPU time per text.
func BenchmarkMultiNode(b *testing.B) {
	b.Logf("%d CPUs (%s)", runtime.NumCPU(), cpuModel())
	for _, c := range []struct {
		backend e2e.Backend
		nodes   int
	}{{e2e.SQLite, 1}, {e2e.Postgres, 1}, {e2e.Postgres, 2}, {e2e.Postgres, 3}} {
		b.Run(fmt.Sprintf("%s/nodes=%d", c.backend, c.nodes), func(b *testing.B) { benchInbound(b, c.backend, c.nodes) })
	}
}

func benchInbound(b *testing.B, backend e2e.Backend, nodes int) {
	var hs []*e2e.Harness
	if backend == e2e.Postgres {
		hs = startCluster(b, nodes)
	} else {
		hs = []*e2e.Harness{e2e.Start(b, e2e.SQLite)}
	}
	var urls []string
	for _, h := range hs {
		urls = append(urls, h.URL)
	}
	sub := newSubscriber(b, urls)
	number, _ := setupTwoWay(b, nodeOf(hs[0]), sub)
	// Warm up: connections, caches, the signing key.
	var warm []string
	for i := 0; i < 20; i++ {
		id, err := nodeOf(hs[i%len(hs)]).receive(bg, "+14255550000", number, "warm-up")
		if err != nil {
			b.Fatal(err)
		}
		warm = append(warm, id)
	}
	if missing := sub.waitFor(warm); len(missing) > 0 {
		b.Fatalf("warm-up: %d messages missing", len(missing))
	}

	const senders = 32
	sent := make([]time.Time, b.N)
	ids := make([]string, b.N)
	var next atomic.Int64
	var failed atomic.Value
	cpu0 := readCPU()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < senders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				sent[i] = time.Now()
				id, err := nodeOf(hs[i%len(hs)]).receive(bg, fmt.Sprintf("+1425%07d", i), number, fmt.Sprintf("bench %d", i))
				if err != nil {
					failed.Store(err)
					return
				}
				ids[i] = id
			}
		}()
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	if missing := sub.waitFor(ids); len(missing) > 0 {
		b.Fatalf("%d of %d messages never arrived", len(missing), b.N)
	}
	b.StopTimer()
	cpu1 := readCPU()

	sub.mu.Lock()
	var last time.Time
	lat := make([]time.Duration, 0, b.N)
	for i, id := range ids {
		at := sub.first[id]
		lat = append(lat, at.Sub(sent[i]))
		if at.After(last) {
			last = at
		}
	}
	dups := 0
	for _, id := range ids {
		dups += sub.got[id] - 1
	}
	sub.mu.Unlock()
	slices.Sort(lat)
	elapsed := last.Sub(start)
	rate := float64(b.N) / elapsed.Seconds()
	p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	pg := cpu1.postgres - cpu0.postgres
	self := cpu1.self - cpu0.self
	busy := cpu1.busy - cpu0.busy
	share := 0.0
	if pg+self > 0 {
		share = 100 * pg / (pg + self)
	}
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(float64(p(0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(share, "db-cpu-%")
	// CPU per text (database and duplex) compares configurations even on
	// a machine that other work shares.
	b.ReportMetric(1000*(pg+self)/float64(b.N), "cpu-ms/msg")
	b.ReportMetric(0, "ns/op")
	if b.N < 100 {
		return // the framework's first, one-text run
	}
	b.Logf("%s, %d node(s): %d texts in %v = %.0f msgs/s; latency p50 %v p99 %v max %v; CPU: postgres %.1fs, duplex process %.1fs (database %.0f%%, %.2f ms a text), machine busy %.1fs of %.1fs; %d duplicate deliveries",
		hs[0].Backend, len(hs), b.N, elapsed.Round(time.Millisecond), rate, p(0.50).Round(time.Millisecond), p(0.99).Round(time.Millisecond),
		lat[len(lat)-1].Round(time.Millisecond), pg, self, share, 1000*(pg+self)/float64(b.N), busy, elapsed.Seconds()*float64(runtime.NumCPU()), dups)
}

type cpuSample struct{ postgres, self, busy float64 } // seconds

// readCPU reads the CPU time of the postgres processes, of this process and
// of the whole machine (non-idle) from /proc (zero where unreadable).
func readCPU() cpuSample {
	var s cpuSample
	s.self = procCPU("/proc/self/stat")
	pids, _ := filepath.Glob("/proc/[0-9]*/comm")
	for _, c := range pids {
		b, err := os.ReadFile(c)
		if err != nil || strings.TrimSpace(string(b)) != "postgres" {
			continue
		}
		s.postgres += procCPU(filepath.Join(filepath.Dir(c), "stat"))
	}
	if f, err := os.Open("/proc/stat"); err == nil {
		sc := bufio.NewScanner(f)
		if sc.Scan() {
			fs := strings.Fields(sc.Text()) // cpu user nice system idle iowait irq softirq steal
			for i, v := range fs[1:] {
				n, _ := strconv.ParseFloat(v, 64)
				if i != 3 && i != 4 {
					s.busy += n / 100
				}
			}
		}
		f.Close()
	}
	return s
}

// procCPU is utime+stime of /proc/PID/stat in seconds (USER_HZ 100).
func procCPU(path string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	fs := strings.Fields(string(b[i+1:]))
	if len(fs) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(fs[11], 64)
	st, _ := strconv.ParseFloat(fs[12], 64)
	return (u + st) / 100
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown"
}

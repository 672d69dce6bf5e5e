// Command bench measures duplex side by side with Kannel on one machine and
// writes a Markdown report with PNG charts.
//
//	go run ./bench [--quick] [--kannel] [flags]
//
// Every system runs as separate processes: `duplex smsc` (the SMPP 3.4
// SMSC, built from this repo), the gateway (duplex; or Kannel's bearerbox
// and smsbox) and the counting app (`bench sink`, this program re-executed).
// See README.md, section Benchmarks, and the report's Method section.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type options struct {
	quick          bool
	kannel         bool
	kannelStore    string
	out            string
	reps           int
	count          int
	mtCount        int
	rates          []float64
	mtRates        []float64
	signedRates    []float64
	workloads      map[string]bool
	scaleSizes     []int
	scale1M        bool
	profileSeconds int
	clients        int
	noInstall      bool
}

type harness struct {
	opt       options
	root      string // the repository
	out       string // results folder
	duplexBin string
	self      string
	bearerbox string
	smsbox    string
	hc        *http.Client
	res       *results
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "sink":
			os.Exit(runSink(os.Args[2:]))
		case "esme":
			os.Exit(runESME(os.Args[2:]))
		}
	}
	os.Exit(run(os.Args[1:]))
}

func parseRates(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("rate %q", f)
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out, nil
}

func run(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: go run ./bench [flags]\n\nBenchmarks duplex (and Kannel with --kannel) end to end and writes a report. Flags:")
		fs.PrintDefaults()
	}
	var o options
	var rates, mtRates, signedRates, workloads, sizes string
	fs.BoolVar(&o.quick, "quick", false, "small counts, 1 repetition, fewer offered rates (a few minutes)")
	fs.BoolVar(&o.kannel, "kannel", false, "compare with Kannel (apt-get install -y kannel when bearerbox is missing)")
	fs.BoolVar(&o.noInstall, "no-install", false, "with --kannel: never run apt-get; skip Kannel when it is not installed")
	fs.StringVar(&o.kannelStore, "kannel-store", "spool", "Kannel's durable store-type: spool or file")
	fs.StringVar(&o.out, "out", "", "results folder (default bench/results/DATE)")
	fs.IntVar(&o.reps, "reps", 0, "repetitions of every figure (default 3; --quick 1)")
	fs.IntVar(&o.count, "count", 0, "messages per MO run (default 10000; --quick 2000)")
	fs.IntVar(&o.mtCount, "mt-count", 0, "messages per MT run (default: --count)")
	fs.StringVar(&rates, "rates", "", "open-loop offered MO rates, msgs/s (default 250,500,1000,2000,4000; --quick 500,1000,2000)")
	fs.StringVar(&mtRates, "mt-rates", "", "open-loop offered MT rates (default: --rates)")
	fs.StringVar(&signedRates, "signed-rates", "", "open-loop offered rates of signed delivery (default 250,500,1000; --quick 500)")
	fs.StringVar(&workloads, "workloads", "ceiling,mo,mt,signed,scale", "workloads to run")
	fs.StringVar(&sizes, "scale", "", "phone numbers and opt-outs seeded for the scale workload (default 1000,100000; --quick 1000,100000)")
	fs.BoolVar(&o.scale1M, "scale-1m", false, "add 1,000,000 numbers and opt-outs to the scale workload (seeding takes minutes)")
	fs.IntVar(&o.profileSeconds, "profile-seconds", 0, "length of duplex's CPU profile at its maximum MO rate (default 10; --quick 5)")
	fs.IntVar(&o.clients, "clients", 64, "concurrent API callers of the closed-loop MT runs")
	render := fs.String("render", "", "only write report.md and the charts again from DIR/results.json (after a change to the report)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *render != "" {
		return rerender(*render)
	}
	def := func(v *int, full, quick int) {
		if *v == 0 {
			*v = full
			if o.quick {
				*v = quick
			}
		}
	}
	def(&o.reps, 3, 1)
	def(&o.count, 10000, 2000)
	def(&o.mtCount, o.count, o.count)
	def(&o.profileSeconds, 10, 5)
	pick := func(s, full, quick string) string {
		if s != "" {
			return s
		}
		if o.quick {
			return quick
		}
		return full
	}
	var err error
	if o.rates, err = parseRates(pick(rates, "250,500,1000,2000,4000", "500,1000,2000")); err != nil {
		fmt.Fprintln(os.Stderr, "bench: --rates:", err)
		return 2
	}
	if o.mtRates, err = parseRates(pick(mtRates, pick(rates, "250,500,1000,2000,4000", "500,1000,2000"), pick(rates, "", "500,1000,2000"))); err != nil {
		fmt.Fprintln(os.Stderr, "bench: --mt-rates:", err)
		return 2
	}
	if o.signedRates, err = parseRates(pick(signedRates, "250,500,1000", "500")); err != nil {
		fmt.Fprintln(os.Stderr, "bench: --signed-rates:", err)
		return 2
	}
	o.workloads = map[string]bool{}
	for _, w := range strings.Split(workloads, ",") {
		o.workloads[strings.TrimSpace(w)] = true
	}
	for _, f := range strings.Split(pick(sizes, "1000,100000", "1000,100000"), ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintln(os.Stderr, "bench: --scale:", f)
			return 2
		}
		o.scaleSizes = append(o.scaleSizes, n)
	}
	if o.scale1M && !slices.Contains(o.scaleSizes, 1_000_000) {
		o.scaleSizes = append(o.scaleSizes, 1_000_000)
	}
	if o.kannelStore != "spool" && o.kannelStore != "file" {
		fmt.Fprintln(os.Stderr, "bench: --kannel-store: spool or file")
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	h, err := newHarness(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	if err := h.runAll(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		h.res.Errors = append(h.res.Errors, err.Error())
	}
	if err := h.writeReport(); err != nil {
		fmt.Fprintln(os.Stderr, "bench: report:", err)
		return 1
	}
	fmt.Printf("report: %s\n", filepath.Join(h.out, "report.md"))
	if ctx.Err() != nil {
		return 1
	}
	return 0
}

func say(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
}

// repoRoot finds the module root (the folder with this module's go.mod).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/duplexsms/duplex\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("run from inside the duplex repository")
		}
		dir = parent
	}
}

func newHarness(ctx context.Context, o options) (*harness, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	h := &harness{opt: o, root: root}
	h.out = o.out
	if h.out == "" {
		h.out = filepath.Join(root, "bench", "results", time.Now().Format("2006-01-02-150405"))
	}
	if h.out, err = filepath.Abs(h.out); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(h.out, "bin"), 0o755); err != nil {
		return nil, err
	}
	if h.self, err = os.Executable(); err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 2048, 2048
	h.hc = &http.Client{Transport: tr}
	h.res = &results{Started: time.Now(), Quick: o.quick, Reps: o.reps, Count: o.count, MTCount: o.mtCount, Rates: o.rates,
		MTRates: o.mtRates, SignedRates: o.signedRates, ScaleSizes: o.scaleSizes, Clients: o.clients, KannelStore: o.kannelStore}
	h.res.Machine = machineInfo()
	say("results in %s", h.out)
	say("building duplex …")
	h.duplexBin = filepath.Join(h.out, "bin", "duplex")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", h.duplexBin, "./cmd/duplex")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/duplex: %v\n%s", err, out)
	}
	h.res.Versions = versions(root, h.duplexBin)
	return h, nil
}

func (h *harness) runAll(ctx context.Context) error {
	o := h.opt
	if o.kannel {
		h.ensureKannel(ctx)
	} else {
		h.res.KannelNote = "Kannel was not compared (run with --kannel)."
	}
	if o.workloads["signed"] || o.workloads["ceiling"] {
		say("RSA-2048 signature rate (all %d cores) …", runtime.NumCPU())
		var v, oth, idle []float64
		for range o.reps {
			ws := []watched{{"bench", os.Getpid()}}
			s0 := snapshot(ws)
			r, n, err := sigRate(3 * time.Second)
			if err != nil {
				return err
			}
			s1 := snapshot(ws)
			oth = append(oth, otherCores(s0, s1))
			v = append(v, r)
			if cpu := (s1.cpu["bench"] - s0.cpu["bench"]).Seconds(); cpu > 0 {
				idle = append(idle, float64(n)/cpu*float64(runtime.NumCPU()))
			}
		}
		h.res.SigRate, h.res.SigOtherCores, h.res.SigRateIdle = statOf(v), statOf(oth).Median, statOf(idle)
		say("  %.0f signatures/s", h.res.SigRate.Median)
	}
	if o.workloads["ceiling"] {
		n := max(o.count*2, 10000)
		var ss, ks []sample
		for r := range o.reps {
			say("harness ceiling %d/%d: SMSC → no-op ESME, %d deliver_sm …", r+1, o.reps, n)
			s, err := h.smscCeiling(ctx, filepath.Join(h.out, "runs", "ceiling-smsc"), n)
			if err != nil {
				return fmt.Errorf("SMSC ceiling: %w", err)
			}
			say("  %.0f msgs/s", s.Throughput)
			ss = append(ss, s)
			say("harness ceiling %d/%d: counting app ← load generator, %d POST …", r+1, o.reps, n)
			k, err := h.sinkCeiling(ctx, filepath.Join(h.out, "runs", "ceiling-sink"), n)
			if err != nil {
				return fmt.Errorf("counting app ceiling: %w", err)
			}
			say("  %.0f msgs/s", k.Throughput)
			ks = append(ks, k)
		}
		h.res.CeilingSMSC, h.res.CeilingSink = aggregate(0, ss), aggregate(0, ks)
	}
	if o.workloads["mo"] || o.workloads["mt"] || o.workloads["signed"] {
		if err := h.runDuplex(ctx); err != nil {
			h.res.Errors = append(h.res.Errors, "duplex: "+err.Error())
			say("duplex: %v", err)
		}
		if h.bearerbox != "" && (o.workloads["mo"] || o.workloads["mt"]) {
			for _, store := range []string{o.kannelStore, ""} {
				if err := h.runKannel(ctx, store); err != nil {
					h.res.Errors = append(h.res.Errors, "Kannel: "+err.Error())
					say("Kannel: %v", err)
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
			}
		}
	}
	if o.workloads["scale"] {
		if err := h.runScale(ctx); err != nil {
			h.res.Errors = append(h.res.Errors, "scale: "+err.Error())
			say("scale: %v", err)
		}
	}
	return ctx.Err()
}

// sweep runs fn at every open-loop rate and then closed loop (rate 0),
// reps times (each repetition walks all rates), and aggregates.
func (h *harness) sweep(ctx context.Context, what string, rates []float64, fn func(rate float64) (sample, error)) ([]point, error) {
	all := append(slices.Clone(rates), 0)
	got := map[float64][]sample{}
	for r := range h.opt.reps {
		for _, rate := range all {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			label := "closed loop"
			if rate > 0 {
				label = fmt.Sprintf("%.0f msgs/s offered", rate)
			}
			s, err := fn(rate)
			if err != nil {
				return nil, fmt.Errorf("%s, %s: %w", what, label, err)
			}
			lat := ""
			if rate > 0 {
				lat = fmt.Sprintf(", p50 %.1f ms, p99 %.1f ms", s.P50, s.P99)
			}
			say("  %s %d/%d, %s: %d/%d arrived, %.0f msgs/s%s %s", what, r+1, h.opt.reps, label, s.Arrived, s.Count, s.Throughput, lat, s.Note)
			got[rate] = append(got[rate], s)
		}
	}
	var pts []point
	for _, rate := range all {
		pts = append(pts, aggregate(rate, got[rate]))
	}
	return pts, nil
}

func (h *harness) runDuplex(ctx context.Context) error {
	o := h.opt
	dir := filepath.Join(h.out, "runs", "duplex")
	say("duplex: starting smsc, counting app and duplex (SQLite) …")
	sys, err := h.startDuplexSystem(ctx, dir)
	if err != nil {
		return err
	}
	defer sys.close()
	if err := h.warmup(ctx, sys, false); err != nil {
		return err
	}
	if o.workloads["mo"] {
		say("duplex: MO end to end, %d messages a run", o.count)
		pts, err := h.sweep(ctx, "duplex MO", o.rates, func(rate float64) (sample, error) { return h.runMO(ctx, sys, o.count, rate, nil, nil) })
		if err != nil {
			return err
		}
		s := series{System: sys.name, Workload: "mo", Points: pts}
		h.res.MO = append(h.res.MO, s)
		if c := s.closed(); c != nil && c.Throughput.Median > 0 {
			say("duplex: CPU profile over %d s at the maximum MO rate …", o.profileSeconds)
			path, top, err := h.profileMO(ctx, sys, c.Throughput.Median, o.profileSeconds)
			if err != nil {
				h.res.Errors = append(h.res.Errors, "profile: "+err.Error())
			}
			h.res.Profile = profileResult{Path: path, Top: top, Seconds: o.profileSeconds}
		}
	}
	if o.workloads["mt"] {
		say("duplex: MT (SendTextMessage, SigV4) %d messages a run", o.mtCount)
		pts, err := h.sweep(ctx, "duplex MT", o.mtRates, func(rate float64) (sample, error) {
			return h.runMT(ctx, sys, o.mtCount, rate, o.clients, false)
		})
		if err != nil {
			return err
		}
		h.res.MT = append(h.res.MT, series{System: sys.name, Workload: "mt", Points: pts})
	}
	if o.workloads["signed"] {
		say("duplex: MO with signed SNS delivery (RawMessageDelivery false, SignatureVersion 2)")
		pts, err := h.sweep(ctx, "duplex signed", o.signedRates, func(rate float64) (sample, error) {
			return h.runMO(ctx, sys, o.count, rate, []string{signedNumber}, nil)
		})
		if err != nil {
			return err
		}
		h.res.Signed = &series{System: sys.name, Workload: "signed", Points: pts}
		sc, _ := sys.sinkC.count(ctx)
		h.res.SignedEnvelopes = sc.Signed
	}
	return nil
}

func (h *harness) runKannel(ctx context.Context, store string) error {
	o := h.opt
	id := "kannel-nostore"
	if store != "" {
		id = "kannel-" + store
	}
	dir := filepath.Join(h.out, "runs", id)
	say("Kannel (store %q): starting smsc, counting app, bearerbox and smsbox …", store)
	sys, err := h.startKannelSystem(ctx, dir, store)
	if err != nil {
		return err
	}
	defer sys.close()
	if store != "" {
		b, _ := os.ReadFile(filepath.Join(dir, "kannel.conf"))
		h.res.KannelConf = string(b)
	}
	if err := h.warmup(ctx, sys, true); err != nil {
		return err
	}
	if o.workloads["mo"] {
		say("%s: MO end to end, %d messages a run", sys.name, o.count)
		pts, err := h.sweep(ctx, sys.name+" MO", o.rates, func(rate float64) (sample, error) { return h.runMO(ctx, sys, o.count, rate, nil, nil) })
		if err != nil {
			return err
		}
		h.res.MO = append(h.res.MO, series{System: sys.name, Workload: "mo", Points: pts})
	}
	if o.workloads["mt"] && store != "" {
		say("%s: MT (sendsms, dlr-url) %d messages a run", sys.name, o.mtCount)
		pts, err := h.sweep(ctx, sys.name+" MT", o.mtRates, func(rate float64) (sample, error) {
			return h.runMT(ctx, sys, o.mtCount, rate, o.clients, true)
		})
		if err != nil {
			return err
		}
		h.res.MT = append(h.res.MT, series{System: sys.name, Workload: "mt", Points: pts})
	}
	return nil
}

// runScale measures MO with many numbers and opt-outs in the store: a
// fresh duplex per size, seeded while stopped, MO spread over 16 of the
// seeded numbers (a new random 16 every run) from opted-out customers.
func (h *harness) runScale(ctx context.Context) error {
	o := h.opt
	for _, n := range o.scaleSizes {
		dir := filepath.Join(h.out, "runs", fmt.Sprintf("scale-%d", n))
		say("scale %d: starting duplex …", n)
		sys, err := h.startDuplexSystem(ctx, dir)
		if err != nil {
			return err
		}
		sr := scaleResult{Size: n}
		err = sys.restartDuplex(ctx, func() error {
			say("scale %d: seeding %d numbers and %d opt-outs …", n, n, n)
			d, err := seed(ctx, sys.dx.data, benchAccount, sys.dx.numberIDs[rawNumber], n)
			sr.SeedSeconds = d.Seconds()
			return err
		})
		if err == nil {
			sr.DBBytes = dirSize(sys.dx.data)
			say("scale %d: seeded in %.1f s, store %.0f MiB", n, sr.SeedSeconds, float64(sr.DBBytes)/(1<<20))
			err = h.warmup(ctx, sys, false)
		}
		if err == nil {
			rng := newRand(int64(n))
			pts, serr := h.sweep(ctx, fmt.Sprintf("scale %d MO", n), []float64{1000}, func(rate float64) (sample, error) {
				// 16 distinct numbers: the counting app tells messages apart
				// by destination and text.
				var dests, froms []string
				picked := map[int]bool{}
				for len(dests) < min(16, n) {
					i := rng.IntN(n)
					if picked[i] {
						continue
					}
					picked[i] = true
					dests = append(dests, seededNumber(i))
					froms = append(froms, optedOut(rng.IntN(n)))
				}
				return h.runMO(ctx, sys, o.count, rate, dests, froms)
			})
			err = serr
			sr.Points = pts
		}
		sys.close()
		if err != nil {
			return fmt.Errorf("%d: %w", n, err)
		}
		h.res.Scale = append(h.res.Scale, sr)
	}
	return nil
}

func dirSize(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// ensureKannel finds bearerbox and smsbox, installing Debian's kannel
// package when they are missing (unless --no-install).
func (h *harness) ensureKannel(ctx context.Context) {
	find := func() bool {
		bb, err1 := exec.LookPath("bearerbox")
		sb, err2 := exec.LookPath("smsbox")
		if err1 != nil || err2 != nil {
			for _, d := range []string{"/usr/sbin", "/usr/local/sbin"} {
				if fileExists(filepath.Join(d, "bearerbox")) && fileExists(filepath.Join(d, "smsbox")) {
					bb, sb, err1, err2 = filepath.Join(d, "bearerbox"), filepath.Join(d, "smsbox"), nil, nil
				}
			}
		}
		if err1 == nil && err2 == nil {
			h.bearerbox, h.smsbox = bb, sb
			return true
		}
		return false
	}
	if !find() {
		if h.opt.noInstall {
			h.res.KannelNote = "Kannel is not installed and --no-install was given: Kannel was skipped."
			return
		}
		say("installing Kannel: apt-get install -y kannel …")
		log := filepath.Join(h.out, "apt-get.log")
		cmd := exec.CommandContext(ctx, "sh", "-c", "(apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y kannel) >"+log+" 2>&1")
		if err := cmd.Run(); err != nil || !find() {
			tail, _ := os.ReadFile(log)
			lines := strings.Split(strings.TrimSpace(string(tail)), "\n")
			if len(lines) > 3 {
				lines = lines[len(lines)-3:]
			}
			h.res.KannelNote = fmt.Sprintf("Kannel could not be installed (apt-get install -y kannel: %v): Kannel was skipped. Last lines of %s: %s",
				err, filepath.Base(log), strings.Join(lines, " / "))
			say("%s", h.res.KannelNote)
			return
		}
	}
	out, _ := exec.Command(h.bearerbox, "--version").CombinedOutput()
	first, _, _ := strings.Cut(string(out), "\n")
	h.res.Versions.Kannel = strings.TrimSpace(first)
	if pkg, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "kannel").Output(); err == nil {
		h.res.Versions.Kannel += " (Debian package " + string(pkg) + ")"
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func machineInfo() machine {
	m := machine{Cores: runtime.NumCPU(), CPU: runtime.GOARCH, OS: runtime.GOOS}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		fmt.Sscanf(string(b), "MemTotal: %f kB", &kb)
		m.MemGiB = math.Round(kb/(1<<20)*10) / 10
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}

func versions(root, duplexBin string) versionInfo {
	v := versionInfo{Go: runtime.Version()}
	cmd := exec.Command("git", "rev-parse", "--short=12", "HEAD")
	cmd.Dir = root
	if out, err := cmd.Output(); err == nil {
		v.Duplex = strings.TrimSpace(string(out))
		st := exec.Command("git", "status", "--porcelain", "--untracked-files=no")
		st.Dir = root
		if o, err := st.Output(); err == nil && len(strings.TrimSpace(string(o))) > 0 {
			v.Duplex += " (with uncommitted changes)"
		}
	}
	if out, err := exec.Command(duplexBin, "version").Output(); err == nil {
		v.DuplexBinary = strings.TrimSpace(string(out))
	}
	return v
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// rerender writes a results folder's report and charts again from its
// results.json.
func rerender(dir string) int {
	root, err := repoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	b, err := os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	h := &harness{root: root, out: dir, duplexBin: filepath.Join(dir, "bin", "duplex"), res: &results{}}
	if err := json.Unmarshal(b, h.res); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 1
	}
	h.res.Errors = slices.DeleteFunc(h.res.Errors, func(e string) bool { return strings.HasPrefix(e, "chart ") })
	if err := h.writeReport(); err != nil {
		fmt.Fprintln(os.Stderr, "bench: report:", err)
		return 1
	}
	fmt.Printf("report: %s\n", filepath.Join(dir, "report.md"))
	return 0
}

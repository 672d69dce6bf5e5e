package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

type machine struct {
	CPU    string  `json:"cpu"`
	Cores  int     `json:"cores"`
	MemGiB float64 `json:"memGiB"`
	Kernel string  `json:"kernel"`
	OS     string  `json:"os"`
}

type versionInfo struct {
	Duplex       string `json:"duplex"`
	DuplexBinary string `json:"duplexBinary"`
	Go           string `json:"go"`
	Kannel       string `json:"kannel"`
}

type profileResult struct {
	Path       string             `json:"path"`
	Seconds    int                `json:"seconds"`
	Top        string             `json:"top"`
	Categories map[string]float64 `json:"categories"` // flat % of samples
	// Areas: share of all samples whose stack passes through an area
	// (they overlap), in the order of profileAreas.
	Areas []areaShare `json:"areas"`
}

type areaShare struct {
	Name  string  `json:"name"`
	Share float64 `json:"share"` // % of samples
}

// profileAreas are the parts of duplex a profile is split into, each a
// pprof -focus regexp over the stack.
var profileAreas = []struct{ name, focus, lift string }{
	{"SQLite store (modernc sqlite, database/sql)", `modernc\.org/sqlite|database/sql`,
		"fewer statements and commits per message: a message is written when received (record, index row, job row; one group commit) and again when delivered (record rewritten, job completed) — each commit appends WAL frames (pwrite) and checkpoints fsync. Larger group commits, one commit for receive + deliver where the delivery succeeds at once, or PostgreSQL on its own cores would lift it"},
	{"system calls (inside SQLite: pwrite/pread/fsync; sockets)", `syscall\.`,
		"mostly SQLite's WAL writes: fewer, larger commits; then socket writes: several PDUs or responses per write(2)"},
	{"receiving MO: SMPP deliver_sm → durable inbound message (until deliver_sm_resp)", `internal/smpp\.\(\*Carrier\)\.inbound`, ""},
	{"inbound pipeline: keywords, opt-outs, publish (twoway Handle)", `internal/twoway\.\(\*Pipeline\)\.Handle`, ""},
	{"SNS: publish and HTTP delivery", `internal/sns\.`, ""},
	{"encoding/json", `encoding/json`, "decoding each record once per step, or a cheaper encoding of inbound records and jobs"},
	{"GC and allocation", `runtime\.gcBgMarkWorker|runtime\.mallocgc`, "fewer allocations per message, or a higher GOGC"},
	{"net/http (server and client)", `net/http\.`, ""},
}

var accountingRE = regexp.MustCompile(`accounting for [^,]+, ([0-9.]+)% of`)

// areas measures the share of each profile area.
func (h *harness) areas(path string) []areaShare {
	var out []areaShare
	for _, a := range profileAreas {
		cmd := exec.Command("go", "tool", "pprof", "-top", "-nodecount=100000", "-focus="+a.focus, h.duplexBin, path)
		cmd.Dir = h.root
		b, err := cmd.Output()
		if err != nil {
			continue
		}
		share := 0.0
		if m := accountingRE.FindStringSubmatch(string(b)); m != nil {
			share, _ = strconv.ParseFloat(m[1], 64)
		}
		out = append(out, areaShare{a.name, share})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Share > out[j].Share })
	return out
}

type scaleResult struct {
	Size        int     `json:"size"`
	SeedSeconds float64 `json:"seedSeconds"`
	DBBytes     int64   `json:"dbBytes"`
	Points      []point `json:"points"`
}

type results struct {
	Started       time.Time   `json:"started"`
	Finished      time.Time   `json:"finished"`
	Quick         bool        `json:"quick"`
	Reps          int         `json:"reps"`
	Count         int         `json:"count"`
	MTCount       int         `json:"mtCount"`
	Rates         []float64   `json:"rates"`
	MTRates       []float64   `json:"mtRates"`
	SignedRates   []float64   `json:"signedRates"`
	ScaleSizes    []int       `json:"scaleSizes"`
	Clients       int         `json:"clients"`
	KannelStore   string      `json:"kannelStore"`
	Machine       machine     `json:"machine"`
	Versions      versionInfo `json:"versions"`
	KannelNote    string      `json:"kannelNote,omitempty"`
	KannelConf    string      `json:"kannelConf,omitempty"`
	SigRate       stat        `json:"rsaSignaturesPerSecond"`
	SigOtherCores float64     `json:"rsaOtherCores"`
	// SigRateIdle is signatures per CPU-second times the cores: the rate
	// on an otherwise idle machine.
	SigRateIdle     stat          `json:"rsaSignaturesPerSecondIdle"`
	CeilingSMSC     point         `json:"ceilingSMSC"`
	CeilingSink     point         `json:"ceilingSink"`
	MO              []series      `json:"mo"`
	MT              []series      `json:"mt"`
	Signed          *series       `json:"signed,omitempty"`
	SignedEnvelopes int           `json:"signedEnvelopes"`
	Scale           []scaleResult `json:"scale"`
	Profile         profileResult `json:"profile"`
	Errors          []string      `json:"errors,omitempty"`
}

// categorize sums the flat share of a full `go tool pprof -top` listing
// by what the functions are part of.
func categorize(top string) map[string]float64 {
	cats := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(top))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || !strings.HasSuffix(f[1], "%") {
			continue
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(f[1], "%"), 64)
		if err != nil {
			continue
		}
		cats[category(strings.Join(f[5:], " "))] += pct
	}
	return cats
}

func category(fn string) string {
	has := func(ps ...string) bool {
		for _, p := range ps {
			if strings.HasPrefix(fn, p) {
				return true
			}
		}
		return false
	}
	switch {
	case has("modernc.org/sqlite", "modernc.org/libc", "modernc.org/memory", "database/sql"):
		return "SQLite (modernc) and database/sql"
	case has("crypto/", "vendor/golang.org/x/crypto", "golang.org/x/crypto", "math/big"):
		return "crypto (SigV4 HMAC, RSA, hashing)"
	case has("encoding/json"):
		return "encoding/json"
	case has("net/http", "net/textproto", "net/url", "mime", "bufio"):
		return "net/http"
	case has("runtime.mallocgc", "runtime.gc", "runtime.scanobject", "runtime.greyobject", "runtime.findObject", "runtime.markBits",
		"runtime.(*mspan)", "runtime.(*mheap)", "runtime.(*mcache)", "runtime.(*mcentral)", "runtime.memclr", "runtime.heapBits",
		"runtime.wbBuf", "runtime.bulkBarrier", "runtime.scanblock", "runtime.scanstack", "runtime.(*gcWork)", "runtime.(*gcBits)",
		"runtime.nextFreeFast", "runtime.newobject", "runtime.makeslice", "runtime.growslice", "runtime.sweepone", "runtime.typePointers",
		"runtime.(*mspan).typePointers", "runtime.markroot", "runtime.spanOf", "runtime.(*gcControllerState)"):
		return "GC and allocation"
	case has("syscall.", "internal/runtime/syscall", "runtime/internal/syscall", "internal/poll", "os.", "net.(*netFD)", "net.(*conn)"):
		return "system calls (network, files)"
	case has("runtime.futex", "runtime.usleep", "runtime.netpoll", "runtime.schedule", "runtime.findRunnable", "runtime.park",
		"runtime.mcall", "runtime.stealWork", "runtime.notesleep", "runtime.notewakeup", "runtime.runqgrab", "runtime.lock",
		"runtime.unlock", "runtime.wakep", "runtime.ready", "runtime.goready", "runtime.casgstatus", "runtime.procyield", "runtime.osyield",
		"runtime.selectgo", "runtime.chan", "runtime.send", "runtime.recv", "runtime.(*timers)", "runtime.nanotime", "runtime.gopark",
		"runtime.resetspinning", "runtime.execute", "runtime.checkTimers"):
		return "scheduler, channels, timers"
	case has("github.com/duplexsms/duplex/internal/smpp"):
		return "duplex SMPP"
	case has("github.com/duplexsms/duplex"):
		return "duplex (other)"
	case has("github.com/prometheus"):
		return "Prometheus metrics"
	case has("runtime."):
		return "runtime (other)"
	}
	return "other"
}

func fmtRate(v float64) string {
	if v == 0 {
		return "—"
	}
	return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
}

func fmtStat(s stat, prec int) string {
	if s.N == 0 {
		return "—"
	}
	m := strconv.FormatFloat(s.Median, 'f', prec, 64)
	if s.N == 1 {
		return m
	}
	return fmt.Sprintf("%s [%s–%s]", m, strconv.FormatFloat(s.Min, 'f', prec, 64), strconv.FormatFloat(s.Max, 'f', prec, 64))
}

func offeredLabel(r float64) string {
	if r == 0 {
		return "closed loop (max)"
	}
	return fmt.Sprintf("%.0f", r)
}

// cpuCell is the CPU use of every process at a point, largest first.
func cpuCell(pt point) string {
	type kv struct {
		k string
		v stat
	}
	var xs []kv
	for k, v := range pt.CPU {
		xs = append(xs, kv{k, v})
	}
	sort.Slice(xs, func(i, j int) bool { return xs[i].v.Median > xs[j].v.Median })
	var parts []string
	total := 0.0
	for _, x := range xs {
		total += x.v.Median
		parts = append(parts, fmt.Sprintf("%s %.2f", x.k, x.v.Median))
	}
	if len(parts) == 0 {
		return "—"
	}
	return fmt.Sprintf("**%.2f**: %s", total, strings.Join(parts, ", "))
}

func notes(pt point) string {
	var out []string
	errs := 0
	for _, s := range pt.Samples {
		errs += s.Errors
		if s.Note != "" {
			out = append(out, s.Note)
		}
	}
	if errs > 0 {
		out = append([]string{fmt.Sprintf("%d errors", errs)}, out...)
	}
	slices.Sort(out)
	return strings.Join(slices.Compact(out), "; ")
}

func extraCell(pt point, k string) string {
	var vs []string
	for _, s := range pt.Samples {
		if v, ok := s.Extra[k]; ok {
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return "—"
	}
	return strings.Join(vs, ", ")
}

func seriesTable(b *strings.Builder, ss []series, extras []string) {
	fmt.Fprintf(b, "| system | offered msgs/s | throughput msgs/s | p50 ms | p99 ms | gateway CPU µs/msg | other load (cores) |")
	for _, e := range extras {
		fmt.Fprintf(b, " %s |", e)
	}
	fmt.Fprintf(b, " notes |\n|---|---:|---:|---:|---:|---:|---:|")
	for range extras {
		b.WriteString("---:|")
	}
	b.WriteString("---|\n")
	for _, s := range ss {
		for _, pt := range s.Points {
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %.0f | %s |", s.System, offeredLabel(pt.Offered), fmtStat(pt.Throughput, 0), fmtStat(pt.P50, 1), fmtStat(pt.P99, 1),
				gatewayPerMsg(pt), fmtStat(pt.OtherCores, 2))
			for _, e := range extras {
				fmt.Fprintf(b, " %s |", extraCell(pt, e))
			}
			fmt.Fprintf(b, " %s |\n", notes(pt))
		}
	}
	b.WriteString("\n")
}

func cpuTable(b *strings.Builder, ss []series, rate float64) {
	fmt.Fprintf(b, "CPU per process (cores busy, median; µs of CPU per message in brackets) at %s:\n\n", offeredLabel(rate))
	b.WriteString("| system | process | cores | µs/msg |\n|---|---|---:|---:|\n")
	for _, s := range ss {
		pt := s.at(rate)
		if pt == nil {
			continue
		}
		var names []string
		for k := range pt.CPU {
			names = append(names, k)
		}
		sort.Slice(names, func(i, j int) bool { return pt.CPU[names[i]].Median > pt.CPU[names[j]].Median })
		total := 0.0
		for _, k := range names {
			total += pt.CPU[k].Median
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", s.System, k, fmtStat(pt.CPU[k], 2), fmtStat(pt.CPUPerMsg[k], 0))
		}
		fmt.Fprintf(b, "| %s | **all** | **%.2f** of %d | |\n", s.System, total, runtime_NumCPU())
	}
	b.WriteString("\n")
}

func find(ss []series, prefix string) *series {
	for i := range ss {
		if strings.HasPrefix(ss[i].System, prefix) {
			return &ss[i]
		}
	}
	return nil
}

type goal struct {
	name, target, measured, met string
	limit                       string
}

func verdict(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

func (h *harness) goals() []goal {
	r := h.res
	var gs []goal
	dmo, kmo := find(r.MO, "duplex"), find(r.MO, "Kannel ("+r.KannelStore)
	if dmo != nil && kmo != nil {
		d, k := dmo.closed(), kmo.closed()
		if d != nil && k != nil && k.Throughput.Median > 0 {
			ratio := d.Throughput.Median / k.Throughput.Median
			gs = append(gs, goal{name: "MO end to end, both durable: maximum rate", target: "≥ 2× Kannel",
				measured: fmt.Sprintf("duplex %s vs %s %s msgs/s = %.2f×%s", fmtRate(d.Throughput.Median), kmo.System, fmtRate(k.Throughput.Median), ratio, cpuCompare(d, k)),
				met:      verdict(ratio >= 2)})
		}
		d1, k1 := dmo.at(1000), kmo.at(1000)
		if d1 != nil && k1 != nil && d1.P99.N > 0 && k1.P99.N > 0 {
			gs = append(gs, goal{name: "MO p99 at 1,000 msgs/s offered", target: "≤ Kannel's",
				measured: fmt.Sprintf("duplex %.1f ms vs %s %.1f ms", d1.P99.Median, kmo.System, k1.P99.Median),
				met:      verdict(d1.P99.Median <= k1.P99.Median)})
		}
	}
	dmt, kmt := find(r.MT, "duplex"), find(r.MT, "Kannel")
	if dmt != nil && kmt != nil {
		d, k := dmt.closed(), kmt.closed()
		if d != nil && k != nil && k.Throughput.Median > 0 {
			ratio := d.Throughput.Median / k.Throughput.Median
			gs = append(gs, goal{name: "MT maximum rate, SigV4 verified", target: "≥ Kannel's",
				measured: fmt.Sprintf("duplex %s vs %s %s msgs/s = %.2f×%s", fmtRate(d.Throughput.Median), kmt.System, fmtRate(k.Throughput.Median), ratio, cpuCompare(d, k)),
				met:      verdict(ratio >= 1)})
		}
	}
	if r.Signed != nil && r.SigRate.Median > 0 {
		if c := r.Signed.closed(); c != nil {
			share := c.Throughput.Median / r.SigRate.Median
			m := fmt.Sprintf("%s msgs/s vs %s signatures/s = %.0f%% (wall clock; other processes used %.2f and %.2f cores meanwhile)",
				fmtRate(c.Throughput.Median), fmtRate(r.SigRate.Median), share*100, c.OtherCores.Median, r.SigOtherCores)
			ok := share >= 0.8
			// On a busy machine both figures shrink by different amounts:
			// judge by CPU cost, as if the machine were idle.
			if all := allPerMsg(*c); all > 0 && r.SigRateIdle.Median > 0 {
				proj := float64(r.Machine.Cores) * 1e6 / all
				pshare := proj / r.SigRateIdle.Median
				m += fmt.Sprintf("; by CPU cost (idle machine): all processes spend %.0f µs per signed message → %.0f msgs/s on %d cores vs %.0f signatures/s = %.0f%%",
					all, proj, r.Machine.Cores, r.SigRateIdle.Median, pshare*100)
				if c.OtherCores.Median > 0.15 || r.SigOtherCores > 0.15 {
					ok = pshare >= 0.8
				}
			}
			gs = append(gs, goal{name: "signed SNS delivery maximum rate", target: "≥ 80% of RSA-2048 signatures/s on all cores",
				measured: m, met: verdict(ok)})
		}
	}
	return gs
}

// runtime_NumCPU is the machine's cores as the report states them.
func runtime_NumCPU() int { return machineInfo().Cores }

func (h *harness) writeReport() error {
	r := h.res
	if r.Finished.IsZero() {
		r.Finished = time.Now()
	}
	if r.Profile.Path != "" {
		cmd := exec.Command("go", "tool", "pprof", "-top", "-nodecount=100000", h.duplexBin, r.Profile.Path)
		cmd.Dir = h.root
		if out, err := cmd.Output(); err == nil {
			r.Profile.Categories = categorize(string(out))
		}
		r.Profile.Areas = h.areas(r.Profile.Path)
	}
	charts := h.charts()
	if err := writeJSON(filepath.Join(h.out, "results.json"), r); err != nil {
		return err
	}
	var b strings.Builder
	mode := "full"
	if r.Quick {
		mode = "quick (--quick: small counts, 1 repetition — indicative only)"
	}
	fmt.Fprintf(&b, "# duplex benchmark report\n\n")
	fmt.Fprintf(&b, "Run %s, %s, took %s. Mode: %s. Every figure: median of %d run(s)", r.Started.Format("2006-01-02 15:04 MST"),
		r.Machine.CPU, r.Finished.Sub(r.Started).Round(time.Second), mode, r.Reps)
	if r.Reps > 1 {
		b.WriteString(", spread [min–max] in brackets")
	}
	b.WriteString(".\n\n")

	if med, hi := h.otherLoad(); hi > 0.15 {
		fmt.Fprintf(&b, "> **The machine was not quiet.** Processes outside the benchmark used %.2f cores (median over the measured runs; up to %.2f) of the %d. Figures taken while they ran are lower, and latencies higher, than on an idle machine; the column \"other load\" gives it for every figure.\n\n",
			med, hi, r.Machine.Cores)
	}
	b.WriteString("## Goals (2-core machine)\n\n")
	gs := h.goals()
	if len(gs) == 0 {
		b.WriteString("No goal could be evaluated (Kannel not compared, or workloads left out).\n\n")
	} else {
		b.WriteString("| goal | target | measured | met |\n|---|---|---|---|\n")
		for _, g := range gs {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", g.name, g.target, g.measured, g.met)
		}
		b.WriteString("\n")
	}
	if r.KannelNote != "" {
		fmt.Fprintf(&b, "> %s\n\n", r.KannelNote)
	}
	h.limits(&b)

	b.WriteString("## Machine and versions\n\n")
	fmt.Fprintf(&b, "| | |\n|---|---|\n| CPU | %s |\n| cores | %d |\n| memory | %.1f GiB |\n| kernel | %s %s |\n| duplex | %s (`%s`) |\n| Go | %s |\n| Kannel | %s |\n\n",
		r.Machine.CPU, r.Machine.Cores, r.Machine.MemGiB, r.Machine.OS, r.Machine.Kernel, r.Versions.Duplex, r.Versions.DuplexBinary, r.Versions.Go, orDash(r.Versions.Kannel))
	b.WriteString("All processes (SMSC, gateway, counting app, load generator) share these cores, as they would on a small production host; the CPU tables show who used what.\n\n")

	b.WriteString("## Harness ceilings\n\n")
	b.WriteString("Measured in the same run, so that the reader can see the harness is not what limits a gateway.\n\n")
	b.WriteString("| harness part | msgs/s | p50 ms | p99 ms | CPU (cores) |\n|---|---:|---:|---:|---|\n")
	if r.CeilingSMSC.Throughput.N > 0 {
		fmt.Fprintf(&b, "| `duplex smsc` pushing deliver_sm to a no-op ESME (window 64; latency = deliver_sm → resp) | %s | %s | %s | %s |\n",
			fmtStat(r.CeilingSMSC.Throughput, 0), fmtStat(statOfSamples(r.CeilingSMSC, func(s sample) float64 { return s.P50 }), 2),
			fmtStat(statOfSamples(r.CeilingSMSC, func(s sample) float64 { return s.P99 }), 2), cpuCell(r.CeilingSMSC))
	}
	if r.CeilingSink.Throughput.N > 0 {
		fmt.Fprintf(&b, "| counting app alone, 64 HTTP callers POSTing raw payloads (latency = request → response) | %s | %s | %s | %s |\n",
			fmtStat(r.CeilingSink.Throughput, 0), fmtStat(statOfSamples(r.CeilingSink, func(s sample) float64 { return s.P50 }), 2),
			fmtStat(statOfSamples(r.CeilingSink, func(s sample) float64 { return s.P99 }), 2), cpuCell(r.CeilingSink))
	}
	if r.SigRate.N > 0 {
		fmt.Fprintf(&b, "| RSA-2048 SignPKCS1v15 SHA-256 over an SNS string to sign, %d goroutines (other processes meanwhile: %.2f cores; per CPU-second × %d: %s) | %s | | | %d |\n",
			r.Machine.Cores, r.SigOtherCores, r.Machine.Cores, fmtStat(r.SigRateIdle, 0), fmtStat(r.SigRate, 0), r.Machine.Cores)
	}
	b.WriteString("\n")

	if len(r.MO) > 0 {
		fmt.Fprintf(&b, "## MO end to end\n\n`duplex smsc` pushes %d deliver_sm a run over SMPP 3.4 → the gateway → the counting app (HTTP). ", r.Count)
		b.WriteString("duplex: SMPP link → two-way (inbound message durable in SQLite before deliver_sm_resp) → SNS topic → HTTP subscription with raw message delivery. ")
		b.WriteString("Kannel: bearerbox (SMPP transceiver, store as named) → smsbox → sms-service get-url. ")
		b.WriteString("Throughput = messages / (last arrival at the app − first deliver_sm). Latency = arrival at the app − the moment the deliver_sm was due (open loop, so a gateway that falls behind pays for its queue). Closed loop: the SMSC keeps 64 deliver_sm outstanding, as fast as the gateway acknowledges.\n\n")
		seriesTable(&b, r.MO, []string{"smsc ack p50/p99 ms"})
		for _, c := range []string{"mo-throughput.png", "mo-latency.png"} {
			if slices.Contains(charts, c) {
				fmt.Fprintf(&b, "![%s](%s)\n\n", c, c)
			}
		}
		cpuTable(&b, r.MO, 0)
		if slices.Contains(r.Rates, 1000) {
			cpuTable(&b, r.MO, 1000)
		}
	}
	if len(r.MT) > 0 {
		fmt.Fprintf(&b, "## MT\n\n%d messages a run through the gateway's HTTP API → submit_sm → `duplex smsc`, which answers with a message ID and sends a delivery receipt (deliver_sm) back. ", r.MTCount)
		fmt.Fprintf(&b, "duplex: SendTextMessage signed with SigV4 by the AWS SDK for Go v2 (verified by duplex), %d concurrent callers in the closed loop; receipts set the message's status. ", r.Clients)
		b.WriteString("Kannel: smsbox sendsms (sendsms-user) with dlr-mask=3 and a dlr-url on the counting app; the run ends when every dlr-url call arrived. ")
		b.WriteString("Throughput = messages / (last submit_sm at the SMSC − first call). Latency = submit_sm at the SMSC − the moment the API call was due.\n\n")
		seriesTable(&b, r.MT, []string{"API accepted msgs/s", "API p50/p99 ms", "all receipts back after s"})
		for _, c := range []string{"mt-throughput.png", "mt-latency.png"} {
			if slices.Contains(charts, c) {
				fmt.Fprintf(&b, "![%s](%s)\n\n", c, c)
			}
		}
		cpuTable(&b, r.MT, 0)
	}
	if r.Signed != nil {
		b.WriteString("## Signed SNS delivery (duplex)\n\nThe MO path again, to a number whose topic has SignatureVersion 2 and an HTTP subscription with RawMessageDelivery false: every message is delivered as a signed envelope (RSA-2048, SHA-256). ")
		fmt.Fprintf(&b, "In the last run the counting app received %d signed envelopes. Reference, measured in this run: %s RSA-2048 signatures/s on all %d cores by the wall clock (other processes used %.2f cores meanwhile), %s a second per CPU-second × %d cores (what an idle machine would give).\n\n",
			r.SignedEnvelopes, fmtStat(r.SigRate, 0), r.Machine.Cores, r.SigOtherCores, fmtStat(r.SigRateIdle, 0), r.Machine.Cores)
		seriesTable(&b, []series{*r.Signed}, nil)
		for _, c := range []string{"signed-throughput.png", "signed-latency.png"} {
			if slices.Contains(charts, c) {
				fmt.Fprintf(&b, "![%s](%s)\n\n", c, c)
			}
		}
		cpuTable(&b, []series{*r.Signed}, 0)
	}
	if len(r.Scale) > 0 {
		b.WriteString("## Scale with data (duplex)\n\n")
		fmt.Fprintf(&b, "A fresh duplex per size; while it is stopped, N phone numbers and N opt-out entries are written into its SQLite store **directly through sqlstore**, in transactions of %d numbers: each number is a copy of the two-way number (same account, SMPP carrier and SNS topic; record and global number index written as RequestPhoneNumber writes them), each opt-out goes through `smsvoice.Service.OptOutTx` into the Default list. ", seedBatch)
		fmt.Fprintf(&b, "MO is then spread over 16 randomly chosen seeded numbers (a new 16 every run) from 16 opted-out customers. Sizes run: %s.\n\n", joinInts(r.ScaleSizes))
		b.WriteString("| numbers + opt-outs | seeding s | store on disk MiB | max MO msgs/s (closed loop) | p50 ms at 1,000/s | p99 ms at 1,000/s | other load (cores) | notes |\n|---:|---:|---:|---:|---:|---:|---:|---|\n")
		for _, s := range r.Scale {
			var cl, o1 point
			for _, pt := range s.Points {
				if pt.Offered == 0 {
					cl = pt
				} else if pt.Offered == 1000 {
					o1 = pt
				}
			}
			fmt.Fprintf(&b, "| %d | %.1f | %.0f | %s | %s | %s | %s | %s |\n", s.Size, s.SeedSeconds, float64(s.DBBytes)/(1<<20),
				fmtStat(cl.Throughput, 0), fmtStat(o1.P50, 1), fmtStat(o1.P99, 1), fmtStat(cl.OtherCores, 2), strings.Trim(notes(cl)+"; "+notes(o1), "; "))
		}
		b.WriteString("\n")
		if slices.Contains(charts, "scale.png") {
			b.WriteString("![scale.png](scale.png)\n\n")
		}
		if !slices.Contains(r.ScaleSizes, 1_000_000) {
			b.WriteString("1,000,000 was not run (opt in with `--scale-1m`).\n\n")
		}
	}
	if r.Profile.Path != "" {
		fmt.Fprintf(&b, "## CPU profile of duplex at its maximum MO rate\n\n[%s](%s): %d s of a closed-loop MO run (an extra run, not in the tables), fetched from `/debug/pprof/profile` on `DUPLEX_PPROF_ADDR`. Open it with `go tool pprof -http=: bin/duplex %s`.\n\n",
			filepath.Base(r.Profile.Path), filepath.Base(r.Profile.Path), r.Profile.Seconds, filepath.Base(r.Profile.Path))
		if len(r.Profile.Areas) > 0 {
			b.WriteString("Where duplex's CPU went: share of the samples whose stack passes through each area (areas nest, so shares overlap):\n\n| area | share of duplex's CPU |\n|---|---:|\n")
			for _, a := range r.Profile.Areas {
				fmt.Fprintf(&b, "| %s | %.1f%% |\n", a.Name, a.Share)
			}
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "`go tool pprof -top`:\n\n```\n%s```\n\n", r.Profile.Top)
	}
	if r.KannelConf != "" {
		fmt.Fprintf(&b, "## Kannel configuration\n\nAs written for the durable run (`store-type = %s`); the run without a store has the same file without the store-type and store-location lines. Ports are picked free for each run.\n\n```\n%s```\n\n", r.KannelStore, r.KannelConf)
	}
	b.WriteString("## Method\n\n")
	b.WriteString("- Every process is separate: `duplex smsc` (built from this commit, the SMSC), the gateway (`duplex serve` on SQLite; or bearerbox + smsbox), and the counting app (`go run ./bench` re-executed as `bench sink`). The load generator is the bench itself. CPU use is utime+stime from /proc/PID/stat over each run.\n")
	b.WriteString("- duplex is configured through a config file: one account, one SMPP carrier (transceiver, window 64), two US toll-free inventory numbers naming that carrier. Set up through the AWS SDK for Go v2: RequestPhoneNumber, CreateTopic, a topic policy letting sms-voice.amazonaws.com publish, Subscribe (the counting app confirms), UpdatePhoneNumber two-way.\n")
	b.WriteString("- Each system gets a warm-up (300 MO, 100 MT, all checked to arrive) before its measured runs. Repetitions walk all offered rates in turn, then the closed loop.\n")
	b.WriteString("- Open-loop rates are offered by the SMSC (`POST /load` with a rate: message i is due at start + i/rate, up to 512 in flight) and by the bench for MT (256 callers); latency counts from when a message was due, so coordinated omission does not hide queueing.\n")
	fmt.Fprintf(&b, "- Raw data: [results.json](results.json); logs and data folders of every process under `runs/`.\n\n")
	if len(r.Errors) > 0 {
		b.WriteString("## Problems during the run\n\n")
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "- %s\n", e)
		}
		b.WriteString("\n")
	}
	return os.WriteFile(filepath.Join(h.out, "report.md"), []byte(b.String()), 0o644)
}

// limits writes what limits duplex where a goal is not met, from the CPU
// use measured and the profile.
func (h *harness) limits(b *strings.Builder) {
	r := h.res
	dmo := find(r.MO, "duplex")
	if dmo == nil {
		return
	}
	cl := dmo.closed()
	if cl == nil || len(cl.CPU) == 0 {
		return
	}
	b.WriteString("### What limits duplex\n\n")
	total := 0.0
	for _, c := range cl.CPU {
		total += c.Median
	}
	fmt.Fprintf(b, "At its maximum MO rate (%s msgs/s) the processes together kept %.2f of %d cores busy; duplex itself %.2f (%.0f µs of CPU per message), the SMSC %.2f, the counting app %.2f, the bench %.2f. ",
		fmtRate(cl.Throughput.Median), total, r.Machine.Cores, cl.CPU["duplex"].Median, cl.CPUPerMsg["duplex"].Median,
		cl.CPU["smsc"].Median, cl.CPU["counting app"].Median, cl.CPU["bench (load generator)"].Median)
	if oth := cl.OtherCores.Median; oth > 0.15 {
		fmt.Fprintf(b, "Processes outside the benchmark used another %.2f cores meanwhile. ", oth)
		total += oth
	}
	if total >= 0.85*float64(r.Machine.Cores) {
		b.WriteString("The machine is CPU-bound: a message costs what duplex spends on it, so the rate rises only as duplex's CPU per message falls (or as other load leaves the machine). ")
	} else {
		b.WriteString("The cores are not saturated: the rate is bounded by waiting (the store's single writer and commit latency, the SMPP window of 64), not by CPU. ")
	}
	if len(r.Profile.Areas) > 0 {
		b.WriteString("Where duplex's CPU goes (profile below; areas overlap): ")
		var parts []string
		for _, a := range r.Profile.Areas[:min(5, len(r.Profile.Areas))] {
			parts = append(parts, fmt.Sprintf("%s %.0f%%", a.Name, a.Share))
		}
		b.WriteString(strings.Join(parts, ", ") + ".\n\nWhat would lift it:\n\n")
		for _, a := range r.Profile.Areas {
			for _, pa := range profileAreas {
				if pa.name == a.Name && pa.lift != "" && a.Share >= 10 {
					fmt.Fprintf(b, "- %s (%.0f%%): %s.\n", a.Name, a.Share, pa.lift)
				}
			}
		}
	}
	b.WriteString("\n")
}

func statOfSamples(pt point, f func(sample) float64) stat {
	var v []float64
	for _, s := range pt.Samples {
		v = append(v, f(s))
	}
	return statOf(v)
}

func joinInts(v []int) string {
	var s []string
	for _, x := range v {
		s = append(s, strconv.Itoa(x))
	}
	return strings.Join(s, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// otherLoad is the median and the highest CPU use (cores) of processes
// outside the benchmark over every measured run.
func (h *harness) otherLoad() (float64, float64) {
	var v []float64
	add := func(ss []series) {
		for _, s := range ss {
			for _, pt := range s.Points {
				for _, x := range pt.Samples {
					v = append(v, x.OtherCores)
				}
			}
		}
	}
	add(h.res.MO)
	add(h.res.MT)
	if h.res.Signed != nil {
		add([]series{*h.res.Signed})
	}
	for _, sc := range h.res.Scale {
		add([]series{{Points: sc.Points}})
	}
	st := statOf(v)
	return st.Median, st.Max
}

// gatewayPerMsg is the CPU per message of the gateway's processes.
func gatewayPerMsg(pt point) float64 {
	t := 0.0
	for k, v := range pt.CPUPerMsg {
		switch k {
		case "duplex", "bearerbox", "smsbox":
			t += v.Median
		}
	}
	return t
}

// allPerMsg is the CPU per message of every process of the benchmark.
func allPerMsg(pt point) float64 {
	t := 0.0
	for _, v := range pt.CPUPerMsg {
		t += v.Median
	}
	return t
}

// cpuCompare states the gateways' CPU per message at their maximum (a
// figure other load on the machine disturbs less than rates).
func cpuCompare(d, k *point) string {
	dc, kc := gatewayPerMsg(*d), gatewayPerMsg(*k)
	if dc == 0 || kc == 0 {
		return ""
	}
	return fmt.Sprintf("; gateway CPU per message %.0f µs vs %.0f µs (other load %.2f vs %.2f cores)", dc, kc, d.OtherCores.Median, k.OtherCores.Median)
}

package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duplexsms/duplex/internal/smpp/smsc"
)

// moFrom is the customer number MO messages come from.
const moFrom = "+14255550199"

// runMO has the SMSC push count deliver_sm (split over dests, one load per
// destination number) at rate msgs/s in all (0: closed loop, as fast as
// the window of 64 allows) and waits until the counting app has them all.
// Open-loop latency is measured from the moment each message was due, so
// a gateway that falls behind is charged for the queue it builds.
func (h *harness) runMO(ctx context.Context, sys *system, count int, rate float64, dests []string, froms []string) (sample, error) {
	if len(dests) == 0 {
		dests = []string{sys.moTo}
	}
	smp := sample{Offered: rate, Count: count, Extra: map[string]string{}}
	if err := sys.sinkC.reset(ctx); err != nil {
		return smp, err
	}
	ws := sys.watched(h)
	snap0 := snapshot(ws)
	n := len(dests)
	conc := 64 / n
	if rate > 0 {
		conc = 512 / n
	}
	conc = max(conc, 2)
	results := make([]smsc.LoadResult, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for j, to := range dests {
		cnt := count / n
		if j < count%n {
			cnt++
		}
		from := moFrom
		if len(froms) > 0 {
			from = froms[j%len(froms)]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[j], errs[j] = sys.smscC.Load(ctx, smsc.Load{Count: cnt, Rate: rate / float64(n), From: from, To: to, Concurrency: conc})
		}()
	}
	wg.Wait()
	failed := 0
	for j := range results {
		if errs[j] != nil {
			return smp, fmt.Errorf("SMSC load: %w", errs[j])
		}
		if results[j].Start.IsZero() {
			return smp, fmt.Errorf("duplex smsc's POST /load does not report its start (LoadResult.Start): the SMSC is older than the bench")
		}
		failed += results[j].Failed
		if results[j].FirstErr != "" && smp.Note == "" {
			smp.Note = "SMSC: " + results[j].FirstErr
		}
	}
	smp.Errors = failed
	stall := 60 * time.Second
	sc, werr := sys.sinkC.waitCount(ctx, count-failed, 0, stall, stall+time.Duration(count)*5*time.Millisecond)
	snap1 := snapshot(ws)
	if werr != nil {
		smp.Note = strings.TrimSpace(smp.Note + " " + werr.Error())
	}
	if sc.Dups > 0 {
		smp.Extra["duplicates"] = fmt.Sprint(sc.Dups)
	}
	arr, err := sys.sinkC.arrivals(ctx)
	if err != nil {
		return smp, err
	}
	var lat []time.Duration
	var first, last time.Time
	var acks50, acks99 []float64
	for j, to := range dests {
		r := results[j]
		if first.IsZero() || r.Start.Before(first) {
			first = r.Start
		}
		acks50, acks99 = append(acks50, r.P50ms), append(acks99, r.P99ms)
		var interval time.Duration
		if rate > 0 {
			interval = time.Duration(float64(time.Second) * float64(n) / rate)
		}
		for i := range r.Count {
			at, ok := arr[key(to, fmt.Sprintf("load test %d", i))]
			if !ok {
				continue
			}
			smp.Arrived++
			if at.After(last) {
				last = at
			}
			if rate > 0 {
				lat = append(lat, at.Sub(r.Start.Add(time.Duration(i)*interval)))
			}
		}
	}
	if smp.Arrived > 0 {
		el := last.Sub(first)
		smp.Seconds = el.Seconds()
		smp.Throughput = float64(smp.Arrived) / el.Seconds()
	}
	smp.P50, smp.P99, smp.Max = percentile(lat, .5), percentile(lat, .99), percentile(lat, 1)
	smp.Extra["smsc ack p50/p99 ms"] = fmt.Sprintf("%.1f/%.1f", statOf(acks50).Median, statOf(acks99).Median)
	smp.CPU = cpuDelta(snap0, snap1, snap1.at.Sub(snap0.at), smp.Arrived)
	smp.OtherCores = otherCores(snap0, snap1)
	return smp, nil
}

// mtRecord is what GET /mt of the SMSC says about one message.
type mtRecord struct {
	Body     string    `json:"body"`
	Received time.Time `json:"received"`
}

// runMT sends count messages through the gateway's HTTP API at rate
// msgs/s (0: closed loop with `clients` callers) and waits until the SMSC
// has every submit_sm and the gateway has acknowledged every receipt (for
// Kannel also until each dlr-url call reached the counting app).
// Latency: from the moment a call was due to its submit_sm at the SMSC.
func (h *harness) runMT(ctx context.Context, sys *system, count int, rate float64, clients int, dlrURL bool) (sample, error) {
	smp := sample{Offered: rate, Count: count, Extra: map[string]string{}}
	req, _ := http.NewRequestWithContext(ctx, "DELETE", sys.smscAPI+"/mt", nil)
	if resp, err := h.hc.Do(req); err != nil {
		return smp, err
	} else {
		resp.Body.Close()
	}
	if err := sys.sinkC.reset(ctx); err != nil {
		return smp, err
	}
	st0, err := sys.smscC.Status(ctx)
	if err != nil {
		return smp, err
	}
	ws := sys.watched(h)
	snap0 := snapshot(ws)
	workers := clients
	var interval time.Duration
	if rate > 0 {
		interval = time.Duration(float64(time.Second) / rate)
		workers = 256
	}
	apiLat := make([]time.Duration, count)
	var nerr atomic.Int64
	var firstErr atomic.Value
	next := make(chan int, 1024)
	var wg sync.WaitGroup
	start := time.Now()
	due := func(i int) time.Time { return start.Add(time.Duration(i) * interval) }
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := due(i)
				if interval == 0 {
					t0 = time.Now()
				}
				err := sys.send(ctx, i, fmt.Sprintf("mt %d", i))
				apiLat[i] = time.Since(t0)
				if err != nil {
					nerr.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		}()
	}
	for i := range count {
		if interval > 0 {
			if d := time.Until(due(i)); d > 0 {
				time.Sleep(d)
			}
		}
		next <- i
	}
	close(next)
	wg.Wait()
	apiDone := time.Since(start)
	smp.Errors = int(nerr.Load())
	if e, ok := firstErr.Load().(string); ok {
		smp.Note = "API: " + e
	}
	want := int64(count - smp.Errors)
	var st smsc.Status
	werr := waitFor(ctx, "submit_sm and receipts", 10*time.Minute, nil, func() bool {
		st, err = sys.smscC.Status(ctx)
		return err == nil && st.Submits-st0.Submits >= want && st.ReceiptsAcked-st0.ReceiptsAcked >= want
	})
	receiptsDone := time.Since(start)
	if werr != nil {
		smp.Note = strings.TrimSpace(fmt.Sprintf("%s %d of %d submit_sm, %d receipts acknowledged", smp.Note,
			st.Submits-st0.Submits, want, st.ReceiptsAcked-st0.ReceiptsAcked))
	}
	if dlrURL {
		sc, err := sys.sinkC.waitCount(ctx, 0, int(want), 30*time.Second, 5*time.Minute)
		if err != nil {
			smp.Note = strings.TrimSpace(smp.Note + " dlr-url: " + err.Error())
		}
		smp.Extra["dlr-url calls"] = fmt.Sprint(sc.DLR)
		receiptsDone = time.Since(start)
	}
	snap1 := snapshot(ws)
	msgs, err := sys.smscC.Received(ctx, "")
	if err != nil {
		return smp, err
	}
	var lat []time.Duration
	var last time.Time
	seen := map[int]bool{}
	for _, raw := range msgs {
		var m mtRecord
		if json.Unmarshal(raw, &m) != nil {
			continue
		}
		var i int
		if _, err := fmt.Sscanf(m.Body, "mt %d", &i); err != nil || i < 0 || i >= count || seen[i] {
			continue
		}
		seen[i] = true
		lat = append(lat, m.Received.Sub(due(i)))
		if m.Received.After(last) {
			last = m.Received
		}
	}
	smp.Arrived = len(lat)
	if smp.Arrived > 0 {
		smp.Seconds = last.Sub(start).Seconds()
		smp.Throughput = float64(smp.Arrived) / smp.Seconds
	}
	if rate > 0 {
		smp.P50, smp.P99, smp.Max = percentile(lat, .5), percentile(lat, .99), percentile(lat, 1)
	}
	smp.Extra["API accepted msgs/s"] = fmt.Sprintf("%.0f", float64(count-smp.Errors)/apiDone.Seconds())
	smp.Extra["API p50/p99 ms"] = fmt.Sprintf("%.1f/%.1f", percentile(apiLat, .5), percentile(apiLat, .99))
	smp.Extra["all receipts back after s"] = fmt.Sprintf("%.2f", receiptsDone.Seconds())
	smp.CPU = cpuDelta(snap0, snap1, snap1.at.Sub(snap0.at), smp.Arrived)
	smp.OtherCores = otherCores(snap0, snap1)
	return smp, nil
}

// warmup sends a few messages each way and checks they all arrive.
func (h *harness) warmup(ctx context.Context, sys *system, dlrURL bool) error {
	s, err := h.runMO(ctx, sys, 300, 0, nil, nil)
	if err != nil {
		return err
	}
	if s.Arrived != 300 {
		return fmt.Errorf("warm-up: %d of 300 MO arrived: %s", s.Arrived, s.Note)
	}
	if sys.send != nil {
		s, err = h.runMT(ctx, sys, 100, 0, 16, dlrURL)
		if err != nil {
			return err
		}
		if s.Arrived != 100 || s.Note != "" {
			return fmt.Errorf("warm-up: %d of 100 MT reached the SMSC: %s", s.Arrived, s.Note)
		}
	}
	return nil
}

// sigRate measures RSA-2048 PKCS #1 v1.5 SHA-256 signatures per second
// over a typical SNS string to sign, on every core, for d; it also returns
// how many it made (the caller relates them to the CPU time spent).
func sigRate(d time.Duration) (float64, int64, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return 0, 0, err
	}
	msg := `{"originationNumber":"+14255550199","destinationNumber":"+18335550101","messageKeyword":"KEYWORD_123456789012","messageBody":"load test 12345","inboundMessageId":"5b4c1f0e-7d1c-4a9e-9d55-0c7f2b6f3a11","previousPublishedMessageId":""}`
	sts := "Message\n" + msg + "\nMessageId\n0c9f6a3e-2b1d-5e8f-9a7b-6c5d4e3f2a1b\nTimestamp\n2026-01-02T03:04:05.678Z\nTopicArn\narn:aws:sns:us-east-1:123456789012:bench-inbound-signed\nType\nNotification\n"
	var n atomic.Int64
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	start := time.Now()
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				sum := sha256.Sum256([]byte(sts))
				if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:]); err != nil {
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds(), n.Load(), nil
}

// smscCeiling measures the SMSC alone: it pushes count deliver_sm to a
// no-op ESME (`bench esme`) as fast as the window allows.
func (h *harness) smscCeiling(ctx context.Context, dir string, count int) (sample, error) {
	b, err := h.startBase(ctx, dir)
	if err != nil {
		return sample{}, err
	}
	defer b.close()
	es, err := startProc("no-op ESME", filepath.Join(dir, "esme.log"), nil, h.self, "esme", "--addr", b.smscSMPP,
		"--system-id", smppUser, "--password", smppPass)
	if err != nil {
		return sample{}, err
	}
	defer es.stop(5 * time.Second)
	if err := b.bound(ctx, es); err != nil {
		return sample{}, err
	}
	ws := []watched{{"smsc", b.smsc.pid()}, {"no-op ESME", es.pid()}}
	snap0 := snapshot(ws)
	r, err := b.smscC.Load(ctx, smsc.Load{Count: count, From: moFrom, To: rawNumber, Concurrency: 64})
	if err != nil {
		return sample{}, err
	}
	snap1 := snapshot(ws)
	s := sample{Count: count, Arrived: r.Acked, Seconds: r.Seconds, Throughput: r.PerSecond, P50: r.P50ms, P99: r.P99ms, Max: r.MaxMs,
		Errors: r.Failed, Note: r.FirstErr}
	s.CPU = cpuDelta(snap0, snap1, snap1.at.Sub(snap0.at), r.Acked)
	s.OtherCores = otherCores(snap0, snap1)
	return s, nil
}

// sinkCeiling measures the counting app alone: 64 callers POST raw
// six-field payloads to it as fast as it answers.
func (h *harness) sinkCeiling(ctx context.Context, dir string, count int) (sample, error) {
	port, err := freePort()
	if err != nil {
		return sample{}, err
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	sk, err := startProc("counting app", filepath.Join(dir, "sink-ceiling.log"), nil, h.self, "sink", "--addr", strings.TrimPrefix(url, "http://"))
	if err != nil {
		return sample{}, err
	}
	defer sk.stop(5 * time.Second)
	if err := waitFor(ctx, "counting app", 30*time.Second, sk, func() bool { return httpOK(url + "/_bench/count") }); err != nil {
		return sample{}, err
	}
	ws := []watched{{"counting app", sk.pid()}, {"bench (load generator)", os.Getpid()}}
	snap0 := snapshot(ws)
	next := make(chan int, 1024)
	lat := make([]time.Duration, count)
	var nerr atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				body := fmt.Sprintf(`{"originationNumber":"%s","destinationNumber":"%s","messageKeyword":"KEYWORD_%s","messageBody":"load test %d","inboundMessageId":"id-%d"}`,
					moFrom, rawNumber, benchAccount, i, i)
				t0 := time.Now()
				req, _ := http.NewRequestWithContext(ctx, "POST", url+"/", bytes.NewReader([]byte(body)))
				req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
				req.Header.Set("x-amz-sns-message-type", "Notification")
				req.Header.Set("x-amz-sns-rawdelivery", "true")
				resp, err := h.hc.Do(req)
				if err != nil {
					nerr.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[i] = time.Since(t0)
			}
		}()
	}
	for i := range count {
		next <- i
	}
	close(next)
	wg.Wait()
	el := time.Since(start)
	snap1 := snapshot(ws)
	s := sample{Count: count, Arrived: count - int(nerr.Load()), Seconds: el.Seconds(), Errors: int(nerr.Load())}
	s.Throughput = float64(s.Arrived) / el.Seconds()
	s.P50, s.P99, s.Max = percentile(lat, .5), percentile(lat, .99), percentile(lat, 1)
	s.CPU = cpuDelta(snap0, snap1, snap1.at.Sub(snap0.at), s.Arrived)
	s.OtherCores = otherCores(snap0, snap1)
	return s, nil
}

// profileMO runs a closed-loop MO burst sized to outlast a CPU profile of
// duplex taken over `seconds` through DUPLEX_PPROF_ADDR, and returns the
// profile's path and `go tool pprof -top`.
func (h *harness) profileMO(ctx context.Context, sys *system, maxRate float64, seconds int) (string, string, error) {
	count := int(maxRate * float64(seconds+3))
	count = min(max(count, 3000), 400000)
	path := filepath.Join(h.out, "duplex-mo-cpu.pprof")
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", sys.dx.pprofAddr, seconds))
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		f, err := os.Create(path)
		if err != nil {
			done <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		f.Close()
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if _, err := h.runMO(ctx, sys, count, 0, nil, nil); err != nil {
		return "", "", err
	}
	if err := <-done; err != nil {
		return "", "", fmt.Errorf("fetch profile: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "tool", "pprof", "-top", "-nodecount=30", h.duplexBin, path)
	cmd.Dir = h.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return path, string(out), fmt.Errorf("go tool pprof: %w", err)
	}
	return path, string(out), nil
}

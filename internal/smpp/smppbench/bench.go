// Package smppbench measures duplex behind its SMPP link: an in-process
// server on SQLite with one link to an in-process `duplex smsc`.
//
//   - MO: the simulator pushes deliver_sm as fast as the link's window
//     allows; a message counts when duplex acknowledged it (deliver_sm_resp
//     after the inbound message is durable). Then the time the inbound
//     pipeline takes to work through them is reported.
//   - Outbound: API clients call SendTextMessage through the AWS SDK; a
//     message counts when the SMSC received its submit_sm, and again when
//     its receipt made it DELIVERED.
package smppbench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/server"
	"github.com/duplexsms/duplex/internal/smpp/smsc"
	"github.com/duplexsms/duplex/internal/smsvoice"
)

// Options of a run.
type Options struct {
	// Count is the number of messages of each phase (default 20000).
	Count int
	// Clients is the number of concurrent SendTextMessage callers
	// (default 64).
	Clients int
	// Window is the link's window, and the simulator's for deliver_sm
	// (default 64).
	Window int
	// Data is the data folder (default: a temporary one, removed after).
	Data string
	// Progress receives a line per step (nil: none).
	Progress io.Writer
	// SkipMO / SkipOutbound / SkipLinkOnly leave a phase out.
	SkipMO, SkipOutbound, SkipLinkOnly bool
}

// Phase is one measured flow.
type Phase struct {
	Name      string  `json:"name"`
	Count     int     `json:"count"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"perSecond"`
	P50ms     float64 `json:"p50ms"`
	P99ms     float64 `json:"p99ms"`
	Note      string  `json:"note,omitempty"`
}

// Report of a run.
type Report struct {
	CPUs   int     `json:"cpus"`
	CPU    string  `json:"cpu"`
	Phases []Phase `json:"phases"`
}

func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d CPUs, %s\n", r.CPUs, r.CPU)
	fmt.Fprintf(&b, "%-44s %8s %9s %10s %9s %9s\n", "phase", "count", "seconds", "msgs/s", "p50 ms", "p99 ms")
	for _, p := range r.Phases {
		fmt.Fprintf(&b, "%-44s %8d %9.2f %10.0f %9.2f %9.2f", p.Name, p.Count, p.Seconds, p.PerSecond, p.P50ms, p.P99ms)
		if p.Note != "" {
			fmt.Fprintf(&b, "  (%s)", p.Note)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// Run runs the benchmark.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Count <= 0 {
		o.Count = 20000
	}
	if o.Clients <= 0 {
		o.Clients = 64
	}
	if o.Window <= 0 {
		o.Window = 64
	}
	say := func(format string, a ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, format+"\n", a...)
		}
	}
	if o.Data == "" {
		dir, err := os.MkdirTemp("", "duplex-bench-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		o.Data = dir
	}
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	sim := smsc.New(smsc.Config{SystemID: "bench", Password: "bench", Window: o.Window, Keep: 2 * o.Count, Log: quiet})
	sln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go sim.Serve(sln)
	defer sim.Close()

	cfg := config.Defaults()
	cfg.Data = o.Data
	cfg.LogLevel = "error"
	cfg.DevDefaults = true
	cfg.Accounts = []config.Account{{ID: config.DevAccount, AccessKeys: []config.AccessKey{{ID: config.DevAccessKey, Secret: config.DevSecret}}}}
	cfg.SMPP = []string{fmt.Sprintf("smpp://bench:bench@%s?bind=transceiver&window=%d&rx_concurrency=%d", sln.Addr(), o.Window, o.Window)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	cfg.Addr = ln.Addr().String()
	cfg.PublicURL = "http://" + cfg.Addr
	srv, err := server.New(ctx, &cfg, quiet)
	if err != nil {
		ln.Close()
		return nil, err
	}
	sctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln) }()
	defer func() { stop(); <-served }()

	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 1024, 1024
	api := sms.New(sms.Options{Region: cfg.Region, BaseEndpoint: aws.String("http://" + cfg.Addr),
		Credentials: credentials.NewStaticCredentialsProvider(config.DevAccessKey, config.DevSecret, ""),
		HTTPClient:  &http.Client{Transport: tr}, RetryMaxAttempts: 1})
	var num *sms.RequestPhoneNumberOutput
	for i := 0; ; i++ {
		num, err = api.RequestPhoneNumber(ctx, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"),
			MessageType: types.MessageTypeTransactional, NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms},
			NumberType: types.RequestableNumberTypeSimulator})
		if err == nil || i == 100 {
			break
		}
		time.Sleep(20 * time.Millisecond) // the server is starting
	}
	if err != nil {
		return nil, fmt.Errorf("RequestPhoneNumber: %w", err)
	}
	number := aws.ToString(num.PhoneNumber)
	var sub *subscriber
	if !o.SkipMO {
		var stopSub func()
		if sub, stopSub, err = wireSNS(ctx, "http://"+cfg.Addr, api, &http.Client{Transport: tr}, aws.ToString(num.PhoneNumberId)); err != nil {
			return nil, fmt.Errorf("two-way to SNS: %w", err)
		}
		defer stopSub()
	}
	for len(sim.Status().Sessions) == 0 || sim.Status().Binds == 0 {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		time.Sleep(10 * time.Millisecond)
	}
	rep := &Report{CPUs: runtime.NumCPU(), CPU: cpuModel()}
	if !o.SkipLinkOnly {
		say("SMPP layer alone: %d MO and %d sends …", o.Count, o.Count)
		dir, err := os.MkdirTemp(o.Data, "link-only-")
		if err != nil {
			return nil, err
		}
		ph, err := linkOnly(ctx, o, dir)
		if err != nil {
			return nil, err
		}
		rep.Phases = append(rep.Phases, ph...)
	}

	if !o.SkipMO {
		say("MO: %d deliver_sm, window %d …", o.Count, o.Window)
		r := sim.RunLoad(ctx, smsc.Load{Count: o.Count, From: "+14255550100", To: number, Concurrency: o.Window})
		if r.Failed > 0 {
			return nil, fmt.Errorf("MO load: %d failed: %s", r.Failed, r.FirstErr)
		}
		rep.Phases = append(rep.Phases, Phase{Name: "MO deliver_sm → durable inbound → resp", Count: r.Acked, Seconds: r.Seconds,
			PerSecond: r.PerSecond, P50ms: r.P50ms, P99ms: r.P99ms})
		// The pipeline behind: keywords, then publish to the topic and HTTP
		// delivery to the subscriber (raw).
		wctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		if err := sub.waitArrived(wctx, r.Acked); err != nil {
			return nil, err
		}
		lat, last := sub.latencies("load test", r.Sent)
		first := r.Sent[0]
		for _, t := range r.Sent {
			if !t.IsZero() && t.Before(first) {
				first = t
			}
		}
		el := last.Sub(first).Seconds()
		rep.Phases = append(rep.Phases, Phase{Name: "  … SNS → HTTP subscriber (raw delivery)", Count: len(lat), Seconds: el,
			PerSecond: float64(len(lat)) / el, P50ms: smsc.Percentile(lat, .5), P99ms: smsc.Percentile(lat, .99),
			Note: "end to end, from each deliver_sm"})
	}

	if !o.SkipOutbound {
		say("outbound: %d SendTextMessage from %d clients …", o.Count, o.Clients)
		ids := make([]string, o.Count)
		sent := make([]time.Time, o.Count)
		apiLat := make([]time.Duration, o.Count)
		next := make(chan int)
		var wg sync.WaitGroup
		var errMu sync.Mutex
		var firstErr error
		before := sim.Status().Received
		start := time.Now()
		for range o.Clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					sent[i] = time.Now()
					out, err := api.SendTextMessage(ctx, &sms.SendTextMessageInput{DestinationPhoneNumber: aws.String("+14255550100"),
						OriginationIdentity: aws.String(number), MessageBody: aws.String(fmt.Sprintf("bench %d", i))})
					apiLat[i] = time.Since(sent[i])
					if err != nil {
						errMu.Lock()
						firstErr = err
						errMu.Unlock()
						continue
					}
					ids[i] = aws.ToString(out.MessageId)
				}
			}()
		}
		for i := range o.Count {
			next <- i
		}
		close(next)
		wg.Wait()
		apiDone := time.Since(start)
		if firstErr != nil {
			return nil, fmt.Errorf("SendTextMessage: %w", firstErr)
		}
		rep.Phases = append(rep.Phases, Phase{Name: "SendTextMessage accepted (API)", Count: o.Count, Seconds: apiDone.Seconds(),
			PerSecond: float64(o.Count) / apiDone.Seconds(), P50ms: smsc.Percentile(apiLat, .5), P99ms: smsc.Percentile(apiLat, .99)})
		wctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		defer cancel()
		if err := sim.WaitReceived(wctx, before+o.Count); err != nil {
			return nil, err
		}
		var subLat []time.Duration
		var last time.Time
		for _, m := range sim.Received("") {
			var i int
			if _, err := fmt.Sscanf(m.Body, "bench %d", &i); err != nil || i >= o.Count {
				continue
			}
			subLat = append(subLat, m.Received.Sub(sent[i]))
			if m.Received.After(last) {
				last = m.Received
			}
		}
		el := last.Sub(start).Seconds()
		rep.Phases = append(rep.Phases, Phase{Name: "  … submit_sm at the SMSC", Count: len(subLat), Seconds: el,
			PerSecond: float64(len(subLat)) / el, P50ms: smsc.Percentile(subLat, .5), P99ms: smsc.Percentile(subLat, .99),
			Note: "latency from the API call"})
		var dlvLat []time.Duration
		var lastDlv time.Time
		for _, id := range ids {
			for {
				m, err := srv.SMS.Message(ctx, id)
				if err != nil {
					return nil, err
				}
				if m.Status == smsvoice.StatusDelivered {
					dlvLat = append(dlvLat, m.UpdatedTimestamp.Sub(m.CreatedTimestamp))
					if m.UpdatedTimestamp.After(lastDlv) {
						lastDlv = m.UpdatedTimestamp
					}
					break
				}
				if m.Status == smsvoice.StatusFailed {
					return nil, fmt.Errorf("message %s FAILED: %s", id, m.StatusReason)
				}
				if wctx.Err() != nil {
					return nil, fmt.Errorf("message %s still %s", id, m.Status)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		el = lastDlv.Sub(start).Seconds()
		rep.Phases = append(rep.Phases, Phase{Name: "  … receipt → DELIVERED", Count: len(dlvLat), Seconds: el,
			PerSecond: float64(len(dlvLat)) / el, P50ms: smsc.Percentile(dlvLat, .5), P99ms: smsc.Percentile(dlvLat, .99),
			Note: "latency from acceptance"})
	}
	return rep, nil
}

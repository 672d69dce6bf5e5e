package smppbench

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duplexsms/duplex/internal/carrier"
	"github.com/duplexsms/duplex/internal/smpp"
	"github.com/duplexsms/duplex/internal/smpp/smsc"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/store/sqlstore"
)

type nopSink struct{ n atomic.Int64 }

func (s *nopSink) Receive(context.Context, carrier.Inbound) (string, error) {
	return fmt.Sprint(s.n.Add(1)), nil
}

// linkOnly measures the SMPP layer without the rest of duplex: MO into a
// sink that stores nothing, and Carrier.Send without receipts (message-ID
// mappings are still written, batched, to SQLite).
func linkOnly(ctx context.Context, o Options, dir string) ([]Phase, error) {
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	sim := smsc.New(smsc.Config{SystemID: "bench", Password: "bench", Window: o.Window, Keep: 2 * o.Count, Receipts: "none", Log: quiet})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go sim.Serve(ln)
	defer sim.Close()
	st, err := sqlstore.OpenSQLite(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	cfg, err := smpp.ParseURL(fmt.Sprintf("smpp://bench:bench@%s?window=%d&rx_concurrency=%d&registered_delivery=0&name=bench", ln.Addr(), o.Window, o.Window))
	if err != nil {
		return nil, err
	}
	sink := &nopSink{}
	mgr, err := smpp.NewManager([]smpp.LinkConfig{cfg}, smpp.Options{Store: st, SMS: smsvoice.New(st, "us-east-1"), Sink: sink, Log: quiet})
	if err != nil {
		return nil, err
	}
	rctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { mgr.Run(rctx); close(done) }()
	defer func() { stop(); <-done }()
	c := mgr.Carriers()["bench"]

	var out []Phase
	r := sim.RunLoad(ctx, smsc.Load{Count: o.Count, From: "+14255550100", To: "+12065550100", Concurrency: o.Window})
	if r.Failed > 0 {
		return nil, fmt.Errorf("link-only MO: %s", r.FirstErr)
	}
	out = append(out, Phase{Name: "SMPP layer only: MO → no-op sink → resp", Count: r.Acked, Seconds: r.Seconds, PerSecond: r.PerSecond,
		P50ms: r.P50ms, P99ms: r.P99ms})

	lat := make([]time.Duration, o.Count)
	next := make(chan int)
	var wg sync.WaitGroup
	var failed atomic.Int64
	start := time.Now()
	for range o.Window {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t0 := time.Now()
				_, err := c.Send(ctx, carrier.Message{ID: fmt.Sprintf("m-%d", i), From: "+12065550100", To: "+14255550100", Body: fmt.Sprintf("bench %d", i)})
				lat[i] = time.Since(t0)
				if err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	for i := range o.Count {
		next <- i
	}
	close(next)
	wg.Wait()
	el := time.Since(start).Seconds()
	if failed.Load() > 0 {
		return nil, fmt.Errorf("link-only send: %d failed", failed.Load())
	}
	out = append(out, Phase{Name: "SMPP layer only: Send → submit_sm → resp", Count: o.Count, Seconds: el, PerSecond: float64(o.Count) / el,
		P50ms: smsc.Percentile(lat, .5), P99ms: smsc.Percentile(lat, .99), Note: fmt.Sprintf("%d senders", o.Window)})
	return out, nil
}

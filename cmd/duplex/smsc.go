package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/duplexsms/duplex/internal/smpp/smppbench"
	"github.com/duplexsms/duplex/internal/smpp/smsc"
)

func smscHTTPFlag(fs *flag.FlagSet) *string {
	return fs.String("http", envOr("DUPLEX_SMSC_HTTP", "http://127.0.0.1:2776"), "the simulator's HTTP API (env DUPLEX_SMSC_HTTP)")
}

func smscCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "send":
			return smscSend(args[1:], stdout, stderr)
		case "received":
			return smscReceived(args[1:], stdout, stderr)
		case "load":
			return smscLoad(args[1:], stdout, stderr)
		case "bench":
			return smscBench(args[1:], stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("duplex smsc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: duplex smsc [flags] | send | received | load | bench\n\nRuns an SMPP 3.4 SMSC simulator. Flags:")
		fs.PrintDefaults()
	}
	addr := fs.String("addr", "127.0.0.1:2775", "SMPP listen address")
	httpAddr := fs.String("http", "127.0.0.1:2776", "HTTP API listen address (POST /mo, GET /mt, POST /load, POST /faults, GET /status)")
	systemID := fs.String("system-id", "duplex", "system_id binds must present (empty: accept any)")
	password := fs.String("password", "secret", "password binds must present")
	receipts := fs.String("receipts", "delivered", "delivery receipts: delivered, undeliverable, expired, rejected or none")
	delay := fs.Duration("receipt-delay", 0, "wait before sending each receipt")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	switch *receipts {
	case "delivered", "undeliverable", "expired", "rejected", "none":
	default:
		fmt.Fprintf(stderr, "duplex smsc: --receipts %q: want delivered, undeliverable, expired, rejected or none\n", *receipts)
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(*logLevel))); err != nil {
		fmt.Fprintf(stderr, "duplex smsc: --log-level: %v\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	sim := smsc.New(smsc.Config{SystemID: *systemID, Password: *password, Receipts: *receipts, ReceiptDelay: *delay, Log: log})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "duplex smsc: %v\n", err)
		return 1
	}
	hln, err := net.Listen("tcp", *httpAddr)
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "duplex smsc: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hs := &http.Server{Handler: sim.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(hln)
	go sim.Serve(ln)
	fmt.Fprintf(stdout, "duplex smsc: SMPP on %s (system_id %q), HTTP API on http://%s\n", ln.Addr(), *systemID, hln.Addr())
	fmt.Fprintf(stdout, "link duplex to it with: duplex serve --smpp 'smpp://%s:%s@%s?bind=transceiver'\n", *systemID, *password, ln.Addr())
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	sim.Close()
	return 0
}

func smscSend(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("duplex smsc send", flag.ContinueOnError)
	fs.SetOutput(stderr)
	api := smscHTTPFlag(fs)
	var mo smsc.MO
	fs.StringVar(&mo.From, "from", "", "the customer's number (E.164)")
	fs.StringVar(&mo.To, "to", "", "the duplex number the customer texts (E.164)")
	fs.StringVar(&mo.Body, "body", "", "message text")
	fs.StringVar(&mo.Coding, "coding", "", "gsm, ucs2 or latin1 (default: GSM 03.38 when possible, else UCS-2)")
	fs.BoolVar(&mo.Payload, "payload", false, "send the text in a message_payload TLV instead of concatenated parts")
	fs.StringVar(&mo.Order, "order", "", "order of parts: reverse or shuffle")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if mo.From == "" || mo.To == "" || mo.Body == "" {
		fmt.Fprintln(stderr, "duplex smsc send: --from, --to and --body are required")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := (&smsc.Client{URL: *api}).SendMO(ctx, mo)
	if err != nil {
		fmt.Fprintf(stderr, "duplex smsc send: %v\n", err)
		return 1
	}
	json.NewEncoder(stdout).Encode(r)
	return 0
}

func smscReceived(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("duplex smsc received", flag.ContinueOnError)
	fs.SetOutput(stderr)
	api := smscHTTPFlag(fs)
	to := fs.String("to", "", "only messages to this number")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ms, err := (&smsc.Client{URL: *api}).Received(context.Background(), *to)
	if err != nil {
		fmt.Fprintf(stderr, "duplex smsc received: %v\n", err)
		return 1
	}
	printLines(stdout, ms)
	return 0
}

func smscLoad(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("duplex smsc load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	api := smscHTTPFlag(fs)
	var l smsc.Load
	fs.IntVar(&l.Count, "count", 1000, "messages")
	fs.Float64Var(&l.Rate, "rate", 0, "messages per second (0: as fast as the ESME acknowledges)")
	fs.StringVar(&l.From, "from", "", "the customers' number (E.164)")
	fs.StringVar(&l.To, "to", "", "the duplex number (E.164)")
	fs.StringVar(&l.Body, "body", "", "text of every message (default: load test N)")
	fs.IntVar(&l.Concurrency, "concurrency", 64, "messages in flight")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if l.From == "" || l.To == "" {
		fmt.Fprintln(stderr, "duplex smsc load: --from and --to are required")
		return 2
	}
	r, err := (&smsc.Client{URL: *api}).Load(context.Background(), l)
	if err != nil {
		fmt.Fprintf(stderr, "duplex smsc load: %v\n", err)
		return 1
	}
	json.NewEncoder(stdout).Encode(r)
	return 0
}

func smscBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("duplex smsc bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o smppbench.Options
	fs.IntVar(&o.Count, "count", 20000, "messages per phase")
	fs.IntVar(&o.Clients, "clients", 64, "concurrent SendTextMessage callers")
	fs.IntVar(&o.Window, "window", 64, "SMPP window (link and simulator)")
	fs.StringVar(&o.Data, "data", "", "data folder (default: a temporary one)")
	fs.BoolVar(&o.SkipMO, "skip-mo", false, "leave out the MO phase")
	fs.BoolVar(&o.SkipOutbound, "skip-outbound", false, "leave out the outbound phase")
	fs.BoolVar(&o.SkipLinkOnly, "skip-link-only", false, "leave out the SMPP-layer-only phases")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "duplex smsc bench: %v\n", err)
			return 1
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	o.Progress = stderr
	rep, err := smppbench.Run(context.Background(), o)
	if err != nil {
		fmt.Fprintf(stderr, "duplex smsc bench: %v\n", err)
		return 1
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(rep)
	} else {
		fmt.Fprint(stdout, rep)
	}
	return 0
}

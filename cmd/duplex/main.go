// Command duplex is a self-hosted two-way SMS service with the API of AWS
// End User Messaging SMS. This file holds flags and wiring only.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/server"
)

var version = "dev"

const usage = `duplex — self-hosted two-way SMS with the AWS End User Messaging SMS API

Usage:
  duplex serve [flags]        run the server (every API, console, simulator, carrier links)
  duplex sim send --from E164 --to E164 --body TEXT
                              a customer's text arrives at one of your numbers; prints the inboundMessageId
  duplex sim outbox [--to E164]
                              what duplex sent to customers, newest first, one JSON object a line
  duplex sim subscriber [--addr 127.0.0.1:8089]
                              an SNS HTTP endpoint for development: confirms, prints notifications
  duplex inbound list [--status S] [--number E164]
                              inbound messages and their delivery state, one JSON object a line
  duplex inbound redrive ID... | --all-failed
                              deliver failed inbound messages again
  duplex smsc [flags]         a standalone SMPP 3.4 SMSC simulator (SMPP on --addr, HTTP API on --http)
  duplex smsc send --from E164 --to E164 --body TEXT
                              the simulator delivers a mobile-originated message to the bound ESME
  duplex smsc received [--to E164]
                              what the simulator received from ESMEs, one JSON object a line
  duplex smsc load --count N --from E164 --to E164 [--rate R]
                              a burst of MOs through the running simulator; prints msgs/s, p50, p99
  duplex smsc bench [--count N]
                              benchmark an in-process duplex behind the simulator (MO and outbound)
  duplex version              print version and build info

Client commands find the server with --endpoint URL or DUPLEX_ENDPOINT (default http://127.0.0.1:3875)
and sign with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (default: the dev account's test/test).
Run "duplex COMMAND -h" for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "sim":
		return sim(args[1:], stdout, stderr)
	case "inbound":
		return inbound(args[1:], stdout, stderr)
	case "smsc":
		return smscCmd(args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, versionString())
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "duplex: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func versionString() string {
	v := version
	goV := ""
	rev := ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		goV = bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				rev = s.Value
			}
		}
	}
	out := "duplex " + v + " " + goV
	if rev != "" {
		out += " " + rev
	}
	return out
}

func serve(args []string, stdout, stderr io.Writer) int {
	cfg, err := config.Load("duplex serve", args, os.Getenv)
	if err != nil {
		if err.Error() == "flag: help requested" {
			return 0
		}
		fmt.Fprintf(stderr, "duplex serve: %v\n", err)
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel))); err != nil {
		fmt.Fprintf(stderr, "duplex serve: log level %q: %v\n", cfg.LogLevel, err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if addr := os.Getenv("DUPLEX_PPROF_ADDR"); addr != "" {
		if err := servePprof(addr); err != nil {
			log.Error("DUPLEX_PPROF_ADDR", "addr", addr, "err", err)
			return 1
		}
		log.Info("pprof served", "addr", addr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	srv, err := server.New(ctx, cfg, log)
	if err != nil {
		log.Error("start-up failed", "err", err)
		return 1
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Error("listen failed", "addr", cfg.Addr, "err", err)
		srv.Store.Close()
		return 1
	}
	fmt.Fprint(stdout, srv.Banner(ln.Addr().String()))
	if err := srv.Serve(ctx, ln); err != nil {
		log.Error("server stopped", "err", err)
		return 1
	}
	log.Info("stopped cleanly")
	return 0
}

// servePprof serves net/http/pprof on its own listener, apart from the API
// port. Opt-in and undocumented in the usage: DUPLEX_PPROF_ADDR (a
// localhost address) is for benchmarks and profiling sessions (bench/).
func servePprof(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go http.Serve(ln, mux)
	return nil
}

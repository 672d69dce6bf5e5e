package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/duplexsms/duplex/internal/client"
)

// clientFlags are the flags every client command shares.
func clientFlags(fs *flag.FlagSet) func() *client.Client {
	endpoint := fs.String("endpoint", envOr("DUPLEX_ENDPOINT", "http://127.0.0.1:3875"), "duplex server URL (env DUPLEX_ENDPOINT)")
	return func() *client.Client {
		return &client.Client{
			Endpoint: *endpoint,
			Region:   envOr("AWS_REGION", envOr("AWS_DEFAULT_REGION", envOr("DUPLEX_REGION", "us-east-1"))),
			Creds: aws.Credentials{AccessKeyID: envOr("AWS_ACCESS_KEY_ID", "test"), SecretAccessKey: envOr("AWS_SECRET_ACCESS_KEY", "test"),
				SessionToken: os.Getenv("AWS_SESSION_TOKEN")},
		}
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func printLines(w io.Writer, items []json.RawMessage) {
	for _, it := range items {
		fmt.Fprintln(w, string(it))
	}
}

func sim(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: duplex sim send|outbox [flags]")
		return 2
	}
	ctx := context.Background()
	switch args[0] {
	case "send":
		fs := flag.NewFlagSet("duplex sim send", flag.ContinueOnError)
		fs.SetOutput(stderr)
		mk := clientFlags(fs)
		from := fs.String("from", "", "the customer's number (E.164)")
		to := fs.String("to", "", "your duplex number the customer texts (E.164)")
		body := fs.String("body", "", "message text")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if *from == "" || *to == "" || *body == "" {
			fmt.Fprintln(stderr, "duplex sim send: --from, --to and --body are required")
			return 2
		}
		var out struct {
			InboundMessageID string `json:"inboundMessageId"`
		}
		err := mk().Do(ctx, "POST", "/_duplex/simulator/inbound", nil,
			map[string]string{"originationNumber": *from, "destinationNumber": *to, "messageBody": *body}, &out)
		if err != nil {
			fmt.Fprintf(stderr, "duplex sim send: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, out.InboundMessageID)
		return 0
	case "outbox":
		fs := flag.NewFlagSet("duplex sim outbox", flag.ContinueOnError)
		fs.SetOutput(stderr)
		mk := clientFlags(fs)
		to := fs.String("to", "", "only messages to this customer number")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		q := url.Values{}
		if *to != "" {
			q.Set("destinationNumber", *to)
		}
		var out struct {
			Messages []json.RawMessage `json:"messages"`
		}
		if err := mk().Do(ctx, "GET", "/_duplex/simulator/outbound", q, nil, &out); err != nil {
			fmt.Fprintf(stderr, "duplex sim outbox: %v\n", err)
			return 1
		}
		printLines(stdout, out.Messages)
		return 0
	case "subscriber":
		fs := flag.NewFlagSet("duplex sim subscriber", flag.ContinueOnError)
		fs.SetOutput(stderr)
		addr := fs.String("addr", "127.0.0.1:8089", "address to listen on; subscribe http://ADDR/ to a topic")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			fmt.Fprintf(stderr, "duplex sim subscriber: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "listening on http://%s/ — confirms subscriptions, prints each notification's Message\n", ln.Addr())
		sctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := (&client.Subscriber{Out: stdout, Log: stderr}).Serve(sctx, ln); err != nil {
			fmt.Fprintf(stderr, "duplex sim subscriber: %v\n", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "duplex sim: unknown command %q (send, outbox, subscriber)\n", args[0])
	return 2
}

func inbound(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: duplex inbound list|redrive [flags]")
		return 2
	}
	ctx := context.Background()
	switch args[0] {
	case "list":
		fs := flag.NewFlagSet("duplex inbound list", flag.ContinueOnError)
		fs.SetOutput(stderr)
		mk := clientFlags(fs)
		status := fs.String("status", "", "only PENDING, RETRYING, DELIVERED or FAILED messages")
		number := fs.String("number", "", "only messages to this number (E.164)")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		q := url.Values{}
		if *status != "" {
			q.Set("status", *status)
		}
		if *number != "" {
			q.Set("destinationNumber", *number)
		}
		var out struct {
			InboundMessages []json.RawMessage `json:"inboundMessages"`
		}
		if err := mk().Do(ctx, "GET", "/_duplex/inbound", q, nil, &out); err != nil {
			fmt.Fprintf(stderr, "duplex inbound list: %v\n", err)
			return 1
		}
		printLines(stdout, out.InboundMessages)
		return 0
	case "redrive":
		fs := flag.NewFlagSet("duplex inbound redrive", flag.ContinueOnError)
		fs.SetOutput(stderr)
		mk := clientFlags(fs)
		all := fs.Bool("all-failed", false, "redrive every FAILED message")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if !*all && fs.NArg() == 0 {
			fmt.Fprintln(stderr, "duplex inbound redrive: give inbound message IDs or --all-failed")
			return 2
		}
		var out struct {
			Redriven []string `json:"redriven"`
		}
		in := map[string]any{"inboundMessageIds": fs.Args(), "allFailed": *all}
		if err := mk().Do(ctx, "POST", "/_duplex/inbound/redrive", nil, in, &out); err != nil {
			fmt.Fprintf(stderr, "duplex inbound redrive: %v\n", err)
			return 1
		}
		for _, id := range out.Redriven {
			fmt.Fprintln(stdout, id)
		}
		return 0
	}
	fmt.Fprintf(stderr, "duplex inbound: unknown command %q (list, redrive)\n", args[0])
	return 2
}

package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// Subscriber is a development SNS HTTP endpoint: it confirms subscriptions
// by visiting their SubscribeURL and prints every notification's Message
// (or raw body), one line each.
type Subscriber struct {
	Out io.Writer
	Log io.Writer
}

// Serve serves on ln until ctx ends.
func (s *Subscriber) Serve(ctx context.Context, ln net.Listener) error {
	hc := &http.Client{Timeout: 10 * time.Second}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		w.WriteHeader(http.StatusOK)
		var env struct{ Type, Message, SubscribeURL, TopicArn string }
		kind := r.Header.Get("x-amz-sns-message-type")
		if json.Unmarshal(body, &env) != nil || kind == "" {
			fmt.Fprintln(s.Out, string(body)) // raw message delivery
			return
		}
		switch kind {
		case "SubscriptionConfirmation":
			resp, err := hc.Get(env.SubscribeURL)
			if err != nil {
				fmt.Fprintf(s.Log, "confirming subscription to %s failed: %v\n", env.TopicArn, err)
				return
			}
			resp.Body.Close()
			fmt.Fprintf(s.Log, "confirmed subscription to %s\n", env.TopicArn)
		case "Notification":
			fmt.Fprintln(s.Out, env.Message)
		default:
			fmt.Fprintf(s.Log, "%s from %s\n", kind, env.TopicArn)
		}
	})}
	go func() { <-ctx.Done(); srv.Close() }()
	err := srv.Serve(ln)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The counting app: an HTTP application, run as its own process
// (`bench sink`), that receives what the gateways deliver and records when
// each message arrived, keyed by destination number and text:
//
//	POST /        an SNS HTTP endpoint: confirms its subscription, takes
//	              raw payloads (the six-field JSON) and signed envelopes
//	              (whose Message is that JSON)
//	GET  /kannel  Kannel's sms-service get-url (?to=%P&text=%a)
//	GET  /dlr     Kannel's dlr-url (?id=…&type=%d)
//	GET  /_bench/arrivals  "key<TAB>unix-nanos" lines
//	GET  /_bench/count     {"count","dlr","dups","confirmed","signed"}
//	POST /_bench/reset     forget arrivals
type sink struct {
	mu        sync.Mutex
	arrived   map[string]int64
	dlr       map[string]int64
	dups      int
	signed    int
	confirmed int
}

func runSink(args []string) int {
	fs := flag.NewFlagSet("bench sink", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	fs.Parse(args)
	s := &sink{arrived: map[string]int64{}, dlr: map[string]int64{}}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench sink:", err)
		return 1
	}
	fmt.Println("bench sink listening on", ln.Addr())
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 5 * time.Minute}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go hs.Serve(ln)
	<-ctx.Done()
	hs.Close()
	return 0
}

// key identifies a message: destination number (without "+") and text.
func key(to, text string) string { return strings.TrimPrefix(to, "+") + "|" + text }

func (s *sink) record(k string, now int64) {
	s.mu.Lock()
	if _, dup := s.arrived[k]; dup {
		s.dups++
	} else {
		s.arrived[k] = now
	}
	s.mu.Unlock()
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	now := time.Now().UnixNano()
	switch {
	case r.URL.Path == "/kannel":
		q := r.URL.Query()
		s.record(key(q.Get("to"), q.Get("text")), now)
		w.WriteHeader(http.StatusOK)
	case r.URL.Path == "/dlr":
		q := r.URL.Query()
		s.mu.Lock()
		if _, dup := s.dlr[q.Get("id")]; !dup {
			s.dlr[q.Get("id")] = now
		}
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	case r.URL.Path == "/_bench/arrivals":
		s.mu.Lock()
		bw := bufio.NewWriterSize(w, 1<<16)
		for k, t := range s.arrived {
			bw.WriteString(k)
			bw.WriteByte('\t')
			bw.WriteString(strconv.FormatInt(t, 10))
			bw.WriteByte('\n')
		}
		s.mu.Unlock()
		bw.Flush()
	case r.URL.Path == "/_bench/count":
		s.mu.Lock()
		c := sinkCount{Count: len(s.arrived), DLR: len(s.dlr), Dups: s.dups, Confirmed: s.confirmed, Signed: s.signed}
		s.mu.Unlock()
		json.NewEncoder(w).Encode(c)
	case r.URL.Path == "/_bench/reset":
		s.mu.Lock()
		s.arrived, s.dlr, s.dups, s.signed = map[string]int64{}, map[string]int64{}, 0, 0
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodPost:
		s.sns(w, r, now)
	default:
		http.NotFound(w, r)
	}
}

type payload struct {
	DestinationNumber string `json:"destinationNumber"`
	MessageBody       string `json:"messageBody"`
}

func (s *sink) sns(w http.ResponseWriter, r *http.Request, now int64) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
	switch r.Header.Get("x-amz-sns-message-type") {
	case "SubscriptionConfirmation":
		var env struct{ SubscribeURL string }
		if json.Unmarshal(body, &env) == nil && env.SubscribeURL != "" {
			go func() {
				c := http.Client{Timeout: 30 * time.Second}
				if resp, err := c.Get(env.SubscribeURL); err == nil {
					resp.Body.Close()
					if resp.StatusCode == http.StatusOK {
						s.mu.Lock()
						s.confirmed++
						s.mu.Unlock()
					}
				}
			}()
		}
		return
	case "Notification", "":
	default:
		return
	}
	var p payload
	if r.Header.Get("x-amz-sns-rawdelivery") != "true" {
		var env struct{ Message, Signature string }
		if json.Unmarshal(body, &env) != nil {
			return
		}
		if env.Signature != "" {
			s.mu.Lock()
			s.signed++
			s.mu.Unlock()
		}
		body = []byte(env.Message)
	}
	if json.Unmarshal(body, &p) != nil {
		return
	}
	s.record(key(p.DestinationNumber, p.MessageBody), now)
}

type sinkCount struct {
	Count     int `json:"count"`
	DLR       int `json:"dlr"`
	Dups      int `json:"dups"`
	Confirmed int `json:"confirmed"`
	Signed    int `json:"signed"`
}

// sinkClient talks to a running counting app.
type sinkClient struct {
	url string
	hc  *http.Client
}

func (c *sinkClient) count(ctx context.Context) (sinkCount, error) {
	var sc sinkCount
	req, _ := http.NewRequestWithContext(ctx, "GET", c.url+"/_bench/count", nil)
	resp, err := c.hc.Do(req)
	if err != nil {
		return sc, err
	}
	defer resp.Body.Close()
	return sc, json.NewDecoder(resp.Body).Decode(&sc)
}

func (c *sinkClient) reset(ctx context.Context) error {
	req, _ := http.NewRequestWithContext(ctx, "POST", c.url+"/_bench/reset", nil)
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// arrivals returns when each key arrived.
func (c *sinkClient) arrivals(ctx context.Context) (map[string]time.Time, error) {
	req, _ := http.NewRequestWithContext(ctx, "GET", c.url+"/_bench/arrivals", nil)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]time.Time{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		out[k] = time.Unix(0, n)
	}
	return out, sc.Err()
}

// waitCount waits until the sink counted n messages (and dlr receipts),
// or until nothing new arrived for stall, or the deadline passes.
func (c *sinkClient) waitCount(ctx context.Context, n, dlr int, stall, deadline time.Duration) (sinkCount, error) {
	end := time.Now().Add(deadline)
	last, lastChange := -1, time.Now()
	for {
		sc, err := c.count(ctx)
		if err != nil {
			return sc, err
		}
		if sc.Count >= n && sc.DLR >= dlr {
			return sc, nil
		}
		if sc.Count+sc.DLR != last {
			last, lastChange = sc.Count+sc.DLR, time.Now()
		}
		if time.Since(lastChange) > stall || time.Now().After(end) {
			return sc, fmt.Errorf("the counting app has %d of %d messages (%d of %d receipts)", sc.Count, n, sc.DLR, dlr)
		}
		select {
		case <-ctx.Done():
			return sc, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

package e2e

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/smsvoice"
)

// BenchmarkTwoWay measures inbound SMS end to end on SQLite: a customer's
// text enters through POST /_duplex/simulator/inbound, goes through the
// inbound pipeline (number lookup, keywords and opt-outs, the topic-policy
// decision, SNS publish) and SNS's HTTP delivery worker, and arrives at one
// HTTP subscriber, with an account that holds 100,000 numbers. Client,
// server and subscriber share the process (and the machine's cores). Run
//
//	go test -run x -bench TwoWay -benchtime 20000x ./internal/e2e/
//
// Sub-benchmarks (b.N messages each):
//   - closed/raw: DUPLEX_BENCH_SENDERS (256) senders, each sending its next
//     message once its last one was delivered; reports msgs/s end to end
//     and the p50/p99 send-to-delivery latency.
//   - paced-1000/raw: an open loop sending 1,000 msg/s on schedule whatever
//     the answers; reports the p50/p99/max acceptance-to-delivery latency
//     (from the moment the POST returned, the message being durable, to its
//     arrival at the subscriber).
//   - closed/signed: closed/raw with RawMessageDelivery false (an RSA-2048
//     signed envelope per message); reports msgs/s and the RSA-2048
//     signatures/s of all cores measured in the same run, and their ratio.
//
// The closed loops also report cpu-µs/msg, the process's CPU time (client,
// server and subscriber) per message: on a shared machine it moves much
// less than msgs/s. With DUPLEX_BENCH_PROFILE_DIR set, each sub-benchmark
// writes a CPU profile of its last run there (NAME.cpu), without the
// seeding that go test -cpuprofile would include.
//
// The account's numbers are seeded through smsvoice.RequestPhoneNumbers
// (the service's rules and records, 1,000 numbers per transaction, one
// goroutine per number range); two-way is enabled on twBenchTwoWay of them
// through UpdatePhoneNumber, and texts go to those round-robin.
const (
	twBenchNumbers = 100_000
	twBenchTwoWay  = 2_000
)

func twBenchSenders() int {
	if n, err := strconv.Atoi(os.Getenv("DUPLEX_BENCH_SENDERS")); err == nil && n > 0 {
		return n
	}
	return 256
}

func BenchmarkTwoWay(b *testing.B) {
	// The simulator endpoints answer unsigned requests with dev defaults,
	// so the clients' cost is the HTTP request, not SigV4.
	h := Start(b, SQLite, func(c *config.Config) { c.DevDefaults = true })
	numbers := seedTwoWayNumbers(b, h)
	sub := newBenchSubscriber(b)
	c := h.SNS(KeyA)
	tp, err := c.CreateTopic(bg, &sns.CreateTopicInput{Name: aws.String("bench-inbound")})
	if err != nil {
		b.Fatal(err)
	}
	topic := aws.ToString(tp.TopicArn)
	if _, err := c.SetTopicAttributes(bg, &sns.SetTopicAttributesInput{TopicArn: tp.TopicArn, AttributeName: aws.String("Policy"),
		AttributeValue: aws.String(seedTopicPolicy(topic))}); err != nil {
		b.Fatal(err)
	}
	subArn := sub.subscribe(b, c, topic)
	enableTwoWay(b, h, numbers[:twBenchTwoWay], topic)
	targets := make([]string, twBenchTwoWay)
	for i, n := range numbers[:twBenchTwoWay] {
		targets[i] = n.PhoneNumber
	}
	send := newBenchSender(h, twBenchSenders())

	b.Run("closed/raw", func(b *testing.B) {
		defer profile(b, "closed-raw")()
		closedLoop(b, send, sub, targets)
	})
	b.Run("paced-1000/raw", func(b *testing.B) {
		defer profile(b, "paced-raw")()
		pacedLoop(b, send, sub, targets, 1000)
	})
	if _, err := c.SetSubscriptionAttributes(bg, &sns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(subArn),
		AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("false")}); err != nil {
		b.Fatal(err)
	}
	b.Run("closed/signed", func(b *testing.B) {
		sigs := rsaSignRate(b)
		stop := profile(b, "closed-signed")
		closedLoop(b, send, sub, targets)
		stop()
		rate := float64(b.N) / b.Elapsed().Seconds()
		b.ReportMetric(sigs, "rsa2048-sig/s")
		b.ReportMetric(100*rate/sigs, "%-of-sig-rate")
	})
}

// seedTwoWayNumbers gives account A twBenchNumbers numbers: 10,000 in
// each US range and the rest Australian long codes.
func seedTwoWayNumbers(b *testing.B, h *Harness) []smsvoice.PhoneNumberInfo {
	b.Helper()
	ctx := duplex.WithCaller(context.Background(), &duplex.Caller{Account: AccountA, ARN: "arn:aws:iam::" + AccountA + ":root", AccessKeyID: KeyA})
	type part struct {
		country, typ string
		n            int
	}
	parts := []part{{"US", "SIMULATOR", 10_000}, {"US", "LONG_CODE", 10_000}, {"US", "TEN_DLC", 10_000}, {"US", "TOLL_FREE", 10_000},
		{"AU", "LONG_CODE", twBenchNumbers - 40_000}}
	got := make([][]smsvoice.PhoneNumberInfo, len(parts))
	errs := make([]error, len(parts))
	start := time.Now()
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Go(func() {
			got[i], errs[i] = h.Server.SMS.RequestPhoneNumbers(ctx, &smsvoice.RequestPhoneNumberInput{IsoCountryCode: p.country,
				MessageType: "TRANSACTIONAL", NumberCapabilities: []string{"SMS"}, NumberType: p.typ}, p.n)
		})
	}
	wg.Wait()
	var all []smsvoice.PhoneNumberInfo
	for i := range parts {
		if errs[i] != nil {
			b.Fatal(errs[i])
		}
		all = append(all, got[i]...)
	}
	if len(all) != twBenchNumbers {
		b.Fatalf("seeded %d numbers", len(all))
	}
	b.Logf("seeded %d numbers through smsvoice.RequestPhoneNumbers (1,000 per transaction, %d ranges in parallel) in %v",
		len(all), len(parts), time.Since(start).Round(time.Millisecond))
	return all
}

// enableTwoWay turns two-way on for numbers through the service's
// UpdatePhoneNumber (its channel checks included), 8 at a time.
func enableTwoWay(b *testing.B, h *Harness, numbers []smsvoice.PhoneNumberInfo, topic string) {
	b.Helper()
	ctx := duplex.WithCaller(context.Background(), &duplex.Caller{Account: AccountA, ARN: "arn:aws:iam::" + AccountA + ":root", AccessKeyID: KeyA})
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(numbers) {
					return
				}
				if _, err := h.Server.SMS.UpdatePhoneNumber(ctx, &smsvoice.UpdatePhoneNumberInput{PhoneNumberId: numbers[i].PhoneNumberId,
					TwoWayEnabled: aws.Bool(true), TwoWayChannelArn: aws.String(topic)}); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
}

// benchSender posts texts to the simulator endpoint.
type benchSender struct {
	url     string
	hc      *http.Client
	senders int
	seq     atomic.Int64
}

func newBenchSender(h *Harness, senders int) *benchSender {
	tr := &http.Transport{MaxIdleConns: 2 * senders, MaxIdleConnsPerHost: 2 * senders, IdleConnTimeout: time.Minute}
	return &benchSender{url: h.URL + "/_duplex/simulator/inbound", hc: &http.Client{Transport: tr, Timeout: time.Minute}, senders: senders}
}

// send posts one text and returns its inboundMessageId once it is durable.
func (s *benchSender) send(to string) (string, error) {
	i := s.seq.Add(1)
	body := fmt.Sprintf(`{"originationNumber":"+1425%07d","destinationNumber":%q,"messageBody":"bench message %d"}`, i%10_000_000, to, i)
	resp, err := s.hc.Post(s.url, "application/json", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("POST /_duplex/simulator/inbound: %s %s", resp.Status, b)
	}
	var out struct {
		InboundMessageID string `json:"inboundMessageId"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.InboundMessageID == "" {
		return "", fmt.Errorf("answer %q: %v", b, err)
	}
	return out.InboundMessageID, nil
}

// benchSubscriber is the SNS HTTP endpoint: it confirms its subscription
// and records when each inbound message arrives.
type benchSubscriber struct {
	url string
	hc  *http.Client

	mu      sync.Mutex
	pending map[string]*arrival
	dups    atomic.Int64
}

type arrival struct {
	at   time.Time
	done chan struct{}
}

func newBenchSubscriber(b *testing.B) *benchSubscriber {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := &benchSubscriber{url: "http://" + ln.Addr().String() + "/sns", hc: &http.Client{Timeout: 10 * time.Second},
		pending: map[string]*arrival{}}
	srv := &http.Server{Handler: http.HandlerFunc(s.handle)}
	go srv.Serve(ln)
	b.Cleanup(func() { srv.Close() })
	return s
}

func (s *benchSubscriber) entry(id string) *arrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.pending[id]
	if a == nil {
		a = &arrival{done: make(chan struct{})}
		s.pending[id] = a
	}
	return a
}

// forget drops the entries of a finished run.
func (s *benchSubscriber) forget(ids []string) {
	s.mu.Lock()
	for _, id := range ids {
		delete(s.pending, id)
	}
	s.mu.Unlock()
}

var idKey = []byte(`"inboundMessageId":"`)

func (s *benchSubscriber) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	now := time.Now()
	switch r.Header.Get("x-amz-sns-message-type") {
	case "SubscriptionConfirmation":
		var env struct{ SubscribeURL string }
		json.Unmarshal(body, &env)
		if resp, err := s.hc.Get(env.SubscribeURL); err == nil {
			resp.Body.Close()
		}
	case "Notification":
		msg := body
		if r.Header.Get("x-amz-sns-rawdelivery") != "true" {
			var env struct{ Message string }
			if json.Unmarshal(body, &env) != nil {
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			msg = []byte(env.Message)
		}
		i := bytes.Index(msg, idKey)
		if i < 0 || len(msg) < i+len(idKey)+36 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		a := s.entry(string(msg[i+len(idKey) : i+len(idKey)+36]))
		s.mu.Lock()
		if a.at.IsZero() {
			a.at = now
			close(a.done)
		} else {
			s.dups.Add(1)
		}
		s.mu.Unlock()
	}
}

func (s *benchSubscriber) subscribe(b *testing.B, c *sns.Client, topic string) string {
	b.Helper()
	out, err := c.Subscribe(bg, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("http"), Endpoint: aws.String(s.url),
		Attributes: map[string]string{"RawMessageDelivery": "true"}, ReturnSubscriptionArn: true})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; ; i++ {
		subs, err := c.ListSubscriptionsByTopic(bg, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
		if err != nil {
			b.Fatal(err)
		}
		if len(subs.Subscriptions) == 1 && aws.ToString(subs.Subscriptions[0].SubscriptionArn) != "PendingConfirmation" {
			return aws.ToString(out.SubscriptionArn)
		}
		if i == 2000 {
			b.Fatal("the subscription was never confirmed")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// wait waits for an inbound message to arrive (bounded so that a lost
// message fails the benchmark instead of hanging it).
func (s *benchSubscriber) wait(id string) (time.Time, error) {
	a := s.entry(id)
	select {
	case <-a.done:
		return a.at, nil
	case <-time.After(2 * time.Minute):
		return time.Time{}, fmt.Errorf("inbound message %s never arrived", id)
	}
}

// closedLoop sends b.N messages from the sender pool, each sender waiting
// for its message's delivery before sending the next.
func closedLoop(b *testing.B, s *benchSender, sub *benchSubscriber, targets []string) {
	var next atomic.Int64
	var failed atomic.Value
	lat := make([]time.Duration, b.N)
	ids := make([]string, b.N)
	dups := sub.dups.Load()
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0 := processCPU()
	for range min(s.senders, b.N) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N || failed.Load() != nil {
					return
				}
				t0 := time.Now()
				id, err := s.send(targets[i%len(targets)])
				if err == nil {
					var at time.Time
					at, err = sub.wait(id)
					lat[i], ids[i] = at.Sub(t0), id
				}
				if err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	cpu := processCPU() - cpu0
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	sub.forget(ids)
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/msg")
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(ms(quantile(lat, 0.50)), "p50-ms")
	b.ReportMetric(ms(quantile(lat, 0.99)), "p99-ms")
	b.ReportMetric(float64(sub.dups.Load()-dups), "duplicates")
	b.ReportMetric(0, "ns/op")
}

// pacedLoop sends b.N messages at rate per second on a fixed schedule (an
// open loop: a slow answer does not delay the next send) and measures
// acceptance-to-delivery.
func pacedLoop(b *testing.B, s *benchSender, sub *benchSubscriber, targets []string, rate int) {
	type result struct {
		sent, accepted, delivered time.Time
		id                        string
		err                       error
	}
	res := make([]result, b.N)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(rate)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			r := &res[i]
			r.sent = time.Now()
			r.id, r.err = s.send(targets[i%len(targets)])
			r.accepted = time.Now()
			if r.err == nil {
				r.delivered, r.err = sub.wait(r.id)
			}
		})
	}
	sendSpan := time.Since(start)
	wg.Wait()
	b.StopTimer()
	var acc, e2e []time.Duration
	var ids []string
	for _, r := range res {
		if r.err != nil {
			b.Fatal(r.err)
		}
		// A message can arrive before its POST's answer is read.
		acc = append(acc, max(0, r.delivered.Sub(r.accepted)))
		e2e = append(e2e, r.delivered.Sub(r.sent))
		ids = append(ids, r.id)
	}
	sub.forget(ids)
	slices.Sort(acc)
	slices.Sort(e2e)
	b.ReportMetric(float64(b.N)/sendSpan.Seconds(), "sent-msgs/s")
	b.ReportMetric(ms(quantile(acc, 0.50)), "accept-to-delivery-p50-ms")
	b.ReportMetric(ms(quantile(acc, 0.99)), "accept-to-delivery-p99-ms")
	b.ReportMetric(ms(acc[len(acc)-1]), "accept-to-delivery-max-ms")
	b.ReportMetric(ms(quantile(e2e, 0.99)), "send-to-delivery-p99-ms")
	b.ReportMetric(0, "ns/op")
}

// rsaSignRate measures RSA-2048 PKCS#1 v1.5 signatures per second (SHA1,
// SNS's SignatureVersion 1) on all cores.
func rsaSignRate(b *testing.B) float64 {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	sum := sha1.Sum([]byte("Message\nhello\nMessageId\n…"))
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for time.Since(start) < time.Second {
				if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA1, sum[:]); err != nil {
					panic(err)
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

// profile writes a CPU profile of one sub-benchmark (its last run) to
// $DUPLEX_BENCH_PROFILE_DIR/NAME.cpu when that is set: go test's own
// -cpuprofile also covers seeding the 100,000 numbers.
func profile(b *testing.B, name string) (stop func()) {
	dir := os.Getenv("DUPLEX_BENCH_PROFILE_DIR")
	if dir == "" {
		return func() {}
	}
	f, err := os.Create(filepath.Join(dir, name+".cpu"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Logf("no CPU profile of %s: %v", name, err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// processCPU is the CPU time (user and system) the process has used:
// clients, server and subscriber run in it, so per message it is what one
// message costs end to end, less sensitive than msgs/s to other load on
// the machine.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(q*float64(len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

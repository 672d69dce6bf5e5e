package sns_test

// Delivery benchmarks: go test -run x -bench . ./internal/sns/
//
// Each sub-benchmark runs a real server (SQLite store, durable queue) with a
// local HTTP subscriber endpoint and publishes in-process with PublishAs as
// the account root (so every publish is authorized and written to the store
// before it returns). Custom metrics:
//
//	msgs/s        messages published and delivered per second (first publish to last delivery)
//	deliveries/s  HTTP deliveries per second (msgs/s × subscribers)
//	p50-ms p99-ms publish-to-delivery latency at a paced 1,000 msg/s
//	signs/s       RSA-2048 SHA1withRSA signatures per second, measured alone on all cores
//	signed/sign   signed-envelope msgs/s divided by signs/s

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
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
	"github.com/duplexsms/duplex/internal/e2e"
	dsns "github.com/duplexsms/duplex/internal/sns"
)

// sink is a fast subscriber endpoint: it confirms subscriptions by
// visiting their SubscribeURL and timestamps every delivery.
type sink struct {
	srv       *httptest.Server
	delivered atomic.Int64
	confirmed atomic.Int64
	mu        sync.Mutex
	latencies []time.Duration
	sent      []atomic.Int64 // publish start (unix ns) by message index
	done      chan struct{}
	want      int64
}

func newSink(b *testing.B, n int) *sink {
	s := &sink{sent: make([]atomic.Int64, n), done: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch r.Header.Get("x-amz-sns-message-type") {
		case "SubscriptionConfirmation":
			var env map[string]string
			json.Unmarshal(body, &env)
			go func() {
				resp, err := http.Get(env["SubscribeURL"])
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					s.confirmed.Add(1)
				}
			}()
		case "Notification":
			msg := string(body)
			if r.Header.Get("x-amz-sns-rawdelivery") != "true" {
				i := strings.Index(msg, `"Message" : "`)
				msg = msg[i+len(`"Message" : "`):]
				msg = msg[:strings.IndexByte(msg, '"')]
			}
			if i, err := strconv.Atoi(msg); err == nil && i < len(s.sent) {
				if t0 := s.sent[i].Load(); t0 != 0 {
					d := time.Duration(time.Now().UnixNano() - t0)
					s.mu.Lock()
					s.latencies = append(s.latencies, d)
					s.mu.Unlock()
				}
			}
			if s.delivered.Add(1) == s.want {
				close(s.done)
			}
		}
		w.WriteHeader(200)
	}))
	b.Cleanup(s.srv.Close)
	return s
}

type benchEnv struct {
	h     *e2e.Harness
	topic string
	sink  *sink
	ctx   context.Context
}

func setupBench(b *testing.B, subs, msgs int, raw bool) *benchEnv {
	h := e2e.Start(b, e2e.SQLite)
	ctx := context.Background()
	a := client(h, e2e.KeyA)
	tp, err := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("bench")})
	if err != nil {
		b.Fatal(err)
	}
	s := newSink(b, msgs)
	s.want = int64(msgs * subs)
	for i := 0; i < subs; i++ {
		_, err := a.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("http"),
			Endpoint:   aws.String(fmt.Sprintf("%s/s%d", s.srv.URL, i)),
			Attributes: map[string]string{"RawMessageDelivery": strconv.FormatBool(raw)}})
		if err != nil {
			b.Fatal(err)
		}
	}
	for s.confirmed.Load() < int64(subs) {
		time.Sleep(5 * time.Millisecond)
	}
	caller := &duplex.Caller{Account: e2e.AccountA, ARN: "arn:aws:iam::" + e2e.AccountA + ":root"}
	return &benchEnv{h: h, topic: aws.ToString(tp.TopicArn), sink: s, ctx: duplex.WithCaller(ctx, caller)}
}

// publishAll publishes messages 0..n-1 from `workers` goroutines.
func (e *benchEnv) publishAll(b *testing.B, n, workers int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				e.sink.sent[i].Store(time.Now().UnixNano())
				if _, err := e.h.Server.SNS.PublishAs(e.ctx, e.topic, dsns.Message{Message: strconv.Itoa(i)}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func (e *benchEnv) wait(b *testing.B) {
	select {
	case <-e.sink.done:
	case <-time.After(8 * time.Minute):
		b.Fatalf("delivered %d of %d", e.sink.delivered.Load(), e.sink.want)
	}
}

// throughput publishes b.N messages to subs subscribers and reports rates.
// It returns msgs/s and the CPU seconds the process used meanwhile.
func throughput(b *testing.B, subs int, raw bool) (float64, float64) {
	n := max(b.N, 200)
	e := setupBench(b, subs, n, raw)
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	e.publishAll(b, n, 32)
	e.wait(b)
	el := time.Since(start)
	b.StopTimer()
	cpuUsed := (cpuTime() - cpu0).Seconds()
	b.ReportMetric(cpuUsed/el.Seconds()/float64(runtime.GOMAXPROCS(0)), "cpu-util")
	rate := float64(n) / el.Seconds()
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(float64(n*subs)/el.Seconds(), "deliveries/s")
	b.ReportMetric(0, "ns/op")
	return rate, cpuUsed
}

func BenchmarkRawDelivery(b *testing.B) {
	for _, subs := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("subs=%d", subs), func(b *testing.B) {
			if subs == 100 && b.N > 1000 {
				b.N = 1000 // 100,000 deliveries
			}
			throughput(b, subs, true)
		})
	}
}

// BenchmarkPacedLatency publishes 1,000 msg/s for 3 s to one raw
// subscriber and reports the publish-to-delivery percentiles.
func BenchmarkPacedLatency(b *testing.B) {
	const rate, seconds = 1000, 3
	n := rate * seconds
	e := setupBench(b, 1, n, true)
	b.ResetTimer()
	jobs := make(chan int, n)
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				e.sink.sent[i].Store(time.Now().UnixNano())
				if _, err := e.h.Server.SNS.PublishAs(e.ctx, e.topic, dsns.Message{Message: strconv.Itoa(i)}); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		if d := time.Until(start.Add(time.Duration(i) * time.Second / rate)); d > 0 {
			time.Sleep(d)
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	e.wait(b)
	b.StopTimer()
	e.sink.mu.Lock()
	lat := slices.Clone(e.sink.latencies)
	e.sink.mu.Unlock()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)]) / 1e6 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max-ms")
	b.ReportMetric(0, "ns/op")
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// signRate is RSA-2048 signatures per second on all cores, per wall-clock
// second and per CPU second.
func signRate(b *testing.B) (wall, cpu float64) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	var count atomic.Int64
	cpu0, start := cpuTime(), time.Now()
	stop := start.Add(time.Second)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := []byte("Message\nx\nMessageId\nid\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n")
			for time.Now().Before(stop) {
				sum := sha1.Sum(msg)
				if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA1, sum[:]); err != nil {
					b.Error(err)
					return
				}
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	n := float64(count.Load())
	return n / time.Since(start).Seconds(), n / (cpuTime() - cpu0).Seconds()
}

// BenchmarkSignedDelivery delivers signed envelopes to one subscriber and
// compares the rate with the RSA signing rate alone. The machine may be
// shared: signed/sign compares wall-clock rates (the signing rate measured
// just before and just after, averaged); signed/sign-cpu compares messages
// per CPU second with signatures per CPU second, which other load on the
// machine does not skew.
func BenchmarkSignedDelivery(b *testing.B) {
	w0, c0 := signRate(b)
	n := max(b.N, 200)
	rate, cpuUsed := throughput(b, 1, false)
	w1, c1 := signRate(b)
	signs, signsCPU := (w0+w1)/2, (c0+c1)/2
	b.ReportMetric(signs, "signs/s")
	b.ReportMetric(rate/signs, "signed/sign")
	b.ReportMetric(float64(n)/cpuUsed/signsCPU, "signed/sign-cpu")
}

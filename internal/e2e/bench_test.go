package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/smithy-go"
	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/smsvoice"
)

// The benchmarks measure signed API round trips over loopback with the AWS
// SDK: one shared client (MaxIdleConnsPerHost 64) used by 16 goroutines,
// against an account that holds benchNumbers numbers. Run them with
//
//	go test -run x -bench Signed -benchtime 10s ./internal/e2e/
//
// Each reports calls/s and the p50 and p99 latency of single calls.

const (
	benchNumbers     = 10_000
	benchParallelism = 8 // × GOMAXPROCS goroutines: 16 on a 2-core machine
)

// seedNumbers gives account A n numbers through the service's
// RequestPhoneNumbers (RequestPhoneNumber's rules and records, in
// transactions of 1,000 numbers), spread over the four built-in US ranges
// (10,000 numbers each).
func seedNumbers(b *testing.B, h *Harness, n int) []string {
	b.Helper()
	ctx := duplex.WithCaller(context.Background(), &duplex.Caller{Account: AccountA, ARN: "arn:aws:iam::" + AccountA + ":root", AccessKeyID: KeyA})
	types := []string{"SIMULATOR", "LONG_CODE", "TOLL_FREE", "TEN_DLC"}
	start := time.Now()
	var ids []string
	for i, typ := range types {
		count := n / len(types)
		if i < n%len(types) {
			count++
		}
		got, err := h.Server.SMS.RequestPhoneNumbers(ctx, &smsvoice.RequestPhoneNumberInput{IsoCountryCode: "US", MessageType: "TRANSACTIONAL",
			NumberCapabilities: []string{"SMS"}, NumberType: typ}, count)
		if err != nil {
			b.Fatal(err)
		}
		for _, g := range got {
			ids = append(ids, g.PhoneNumberId)
		}
	}
	if len(ids) != n {
		b.Fatalf("seeded %d numbers, want %d", len(ids), n)
	}
	// Spread the calls over the account, not the order of seeding.
	rand.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	b.Logf("seeded %d numbers through smsvoice.RequestPhoneNumbers in %v", n, time.Since(start).Round(time.Millisecond))
	return ids
}

// latencies collects per-call durations from parallel goroutines.
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

// cpuTime is the CPU time (user and system) the process has used: the
// client and the server run in it, so per call it is what one signed round
// trip costs, less sensitive than calls/s to other load on the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (l *latencies) report(b *testing.B, cpu time.Duration) {
	if len(l.all) == 0 {
		return
	}
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/call")
	slices.Sort(l.all)
	q := func(p float64) float64 { return float64(l.all[int(p*float64(len(l.all)-1))].Microseconds()) }
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(0, "ns/op") // calls/s says it better for parallel runs
}

// runSigned runs call b.N times from benchParallelism×GOMAXPROCS goroutines.
func runSigned(b *testing.B, call func(i int) error) {
	var lat latencies
	var seq atomic.Int64
	var failed atomic.Value
	var transportErrs atomic.Int64
	b.SetParallelism(benchParallelism)
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		for pb.Next() {
			t0 := time.Now()
			if err := call(int(seq.Add(1))); err != nil {
				var ae smithy.APIError
				if errors.As(err, &ae) {
					failed.Store(err)
					return
				}
				// A connection the client's transport closed under it
				// (aws-sdk-go-v2 issues 1825 and 2737) is counted, not fatal.
				transportErrs.Add(1)
				continue
			}
			local = append(local, time.Since(t0))
		}
		lat.add(local)
	})
	b.StopTimer()
	cpu := cpuTime() - cpu0
	if err := failed.Load(); err != nil {
		b.Fatal(err)
	}
	lat.report(b, cpu)
	if n := transportErrs.Load(); n > 0 {
		b.ReportMetric(float64(n), "transport-errors")
		if n > int64(b.N)/100 {
			b.Fatalf("%d of %d calls failed in the transport", n, b.N)
		}
	}
}

func BenchmarkSignedDescribePhoneNumbers(b *testing.B) {
	h := Start(b, SQLite)
	ids := seedNumbers(b, h, benchNumbers)
	c := h.A()
	b.Run("by PhoneNumberIds (1 id)", func(b *testing.B) {
		runSigned(b, func(i int) error {
			id := ids[i%len(ids)]
			out, err := c.DescribePhoneNumbers(bg, &sms.DescribePhoneNumbersInput{PhoneNumberIds: []string{id}})
			if err == nil && (len(out.PhoneNumbers) != 1 || aws.ToString(out.PhoneNumbers[0].PhoneNumberId) != id) {
				err = fmt.Errorf("described %d numbers", len(out.PhoneNumbers))
			}
			return err
		})
	})
	b.Run("first page MaxResults 10", func(b *testing.B) {
		runSigned(b, func(int) error {
			out, err := c.DescribePhoneNumbers(bg, &sms.DescribePhoneNumbersInput{MaxResults: aws.Int32(10)})
			if err == nil && (len(out.PhoneNumbers) != 10 || out.NextToken == nil) {
				err = fmt.Errorf("first page: %d numbers", len(out.PhoneNumbers))
			}
			return err
		})
	})
}

func BenchmarkSignedUpdatePhoneNumber(b *testing.B) {
	h := Start(b, SQLite)
	ids := seedNumbers(b, h, benchNumbers)
	c := h.A()
	b.Run("InternationalSendingEnabled", func(b *testing.B) {
		runSigned(b, func(i int) error {
			_, err := c.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: aws.String(ids[i%len(ids)]),
				InternationalSendingEnabled: aws.Bool(i%2 == 0)})
			return err
		})
	})
}

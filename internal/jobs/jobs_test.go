package jobs_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/duplexsms/duplex/internal/jobs"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/duplexsms/duplex/internal/store/sqlstore"
	"github.com/duplexsms/duplex/internal/testutil"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func enqueue(t *testing.T, s store.Store, n int) {
	t.Helper()
	ctx := context.Background()
	if err := s.Update(ctx, func(tx store.Tx) error {
		for i := 0; i < n; i++ {
			if err := tx.Enqueue(ctx, store.Job{Queue: "q", ID: fmt.Sprintf("j%03d", i), Payload: []byte("p")}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// claimed counts the jobs of queue q claimed and not yet finished.
func claimed(t *testing.T, s *sqlstore.Store) int {
	t.Helper()
	var n int
	if err := s.DB().QueryRow("SELECT COUNT(*) FROM jobs WHERE queue = 'q' AND owner <> ''").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestClaimsOnlyWhatItCanStart: a runner holds no more jobs than it runs
// at once, so other nodes can take the rest instead of waiting for it.
func TestClaimsOnlyWhatItCanStart(t *testing.T) {
	s, err := sqlstore.OpenSQLite(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	enqueue(t, s, 20)
	release := make(chan struct{})
	started := make(chan string, 20)
	r := &jobs.Runner{Queue: s, Name: "q", Owner: "A", Concurrency: 4, Batch: 64, Log: quiet,
		Handle: func(ctx context.Context, j store.Job) jobs.Result {
			started <- j.ID
			<-release
			return jobs.Result{}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	for i := 0; i < 4; i++ {
		<-started
	}
	if n := claimed(t, s); n != 4 {
		t.Errorf("%d jobs claimed while 4 run (concurrency 4)", n)
	}
	close(release)
	for i := 4; i < 20; i++ {
		<-started
	}
	cancel()
	<-done
	if next, err := s.NextDue(context.Background(), "q"); err != nil || !next.IsZero() {
		t.Errorf("queue not drained: %v %v", next, err)
	}
}

// TestHandlerStopsBeforeLease: a handler's context ends before its job's
// lease does, so no handler outlives its claim.
func TestHandlerStopsBeforeLease(t *testing.T) {
	s, err := sqlstore.OpenSQLite(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	enqueue(t, s, 1)
	type seen struct {
		deadline, lease time.Time
		ok              bool
	}
	got := make(chan seen, 1)
	r := &jobs.Runner{Queue: s, Name: "q", Owner: "A", Lease: time.Hour, Log: quiet,
		Handle: func(ctx context.Context, j store.Job) jobs.Result {
			d, ok := ctx.Deadline()
			got <- seen{d, j.Lease, ok}
			return jobs.Result{}
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	g := <-got
	cancel()
	<-done
	if !g.ok || !g.deadline.Before(g.lease) {
		t.Fatalf("handler deadline %v (set %v), lease ends %v", g.deadline, g.ok, g.lease)
	}
}

// TestRunnersShareAndTakeOver: runners of two nodes on one PostgreSQL
// database share a queue; jobs a dead node held are run by the other once
// their leases end; every job is handled, none by two runners at once.
func TestRunnersShareAndTakeOver(t *testing.T) {
	dsn := testutil.PostgresDSN(t)
	open := func() *sqlstore.Store {
		s, err := sqlstore.OpenPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := open(), open()
	enqueue(t, a, 60)
	// Node A claims four jobs and "dies" holding them (its handler never
	// finishes; its lease is short).
	stuck := make(chan struct{})
	startedA := make(chan struct{}, 4)
	ra := &jobs.Runner{Queue: a, Name: "q", Owner: "A", Concurrency: 4, Batch: 4, Lease: 300 * time.Millisecond, Log: quiet,
		Handle: func(ctx context.Context, j store.Job) jobs.Result {
			startedA <- struct{}{}
			<-stuck
			return jobs.Result{}
		}}
	actx, acancel := context.WithCancel(context.Background())
	adone := make(chan struct{})
	go func() { defer close(adone); ra.Run(actx) }()
	for i := 0; i < 4; i++ {
		<-startedA
	}
	acancel() // no more claims from A; its four jobs stay leased until the lease ends

	var mu sync.Mutex
	handled := map[string]int{}
	running := map[string]bool{}
	overlap := 0
	all := make(chan struct{})
	rb := &jobs.Runner{Queue: b, Name: "q", Owner: "B", Concurrency: 8, Lease: time.Minute, Idle: 20 * time.Millisecond, Log: quiet,
		Handle: func(ctx context.Context, j store.Job) jobs.Result {
			mu.Lock()
			if running[j.ID] {
				overlap++
			}
			running[j.ID] = true
			handled[j.ID]++
			if len(handled) == 60 {
				close(all)
			}
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			running[j.ID] = false
			mu.Unlock()
			return jobs.Result{}
		}}
	bctx, bcancel := context.WithCancel(context.Background())
	bdone := make(chan struct{})
	go func() { defer close(bdone); rb.Run(bctx) }()
	select {
	case <-all:
	case <-time.After(time.Minute): // a bound, not a timing assertion
		mu.Lock()
		n := len(handled)
		mu.Unlock()
		close(stuck)
		t.Fatalf("node B handled %d of 60 jobs", n)
	}
	bcancel()
	<-bdone
	close(stuck)
	<-adone
	if overlap > 0 {
		t.Errorf("%d jobs run twice at once", overlap)
	}
	mu.Lock()
	defer mu.Unlock()
	for id, n := range handled {
		if n != 1 {
			t.Errorf("job %s handled %d times by node B", id, n)
		}
	}
}

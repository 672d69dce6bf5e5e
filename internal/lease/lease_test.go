package lease

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexsms/duplex/internal/store"
	"github.com/duplexsms/duplex/internal/store/sqlstore"
	"github.com/duplexsms/duplex/internal/testutil"
)

// backends opens n stores on one database: SQLite (one store shared, as
// one process) or PostgreSQL (n connection pools, as n nodes).
func backends(t *testing.T, n int, run func(t *testing.T, stores []store.Store, clk *clock)) {
	t.Run("sqlite", func(t *testing.T) {
		clk := newClock()
		s, err := sqlstore.OpenSQLite(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores := make([]store.Store, n)
		for i := range stores {
			stores[i] = s
		}
		run(t, stores, clk)
	})
	t.Run("postgres", func(t *testing.T) {
		clk := newClock()
		dsn := testutil.PostgresDSN(t)
		stores := make([]store.Store, n)
		for i := range stores {
			s, err := sqlstore.OpenPostgres(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			stores[i] = s
		}
		run(t, stores, clk)
	})
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newLease(s store.Store, owner string, clk *clock) *Lease {
	return &Lease{Store: s, Kind: "test.lease", Name: "link", Owner: owner, TTL: 15 * time.Second, Now: clk.now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func TestAcquireRenewReleaseTakeover(t *testing.T) {
	backends(t, 2, func(t *testing.T, st []store.Store, clk *clock) {
		ctx := context.Background()
		a, b := newLease(st[0], "A", clk), newLease(st[1], "B", clk)
		r, err := a.Acquire(ctx)
		if err != nil || r.Owner != "A" || r.Epoch != 1 {
			t.Fatalf("A acquires: %+v, %v", r, err)
		}
		if r, err := b.Acquire(ctx); !errors.Is(err, ErrHeld) || r.Owner != "A" {
			t.Fatalf("B while A holds: %+v, %v", r, err)
		}
		clk.add(10 * time.Second)
		if r, err := a.Acquire(ctx); err != nil || r.Epoch != 1 || !r.Expires.Equal(clk.now().Add(15*time.Second)) {
			t.Fatalf("A renews: %+v, %v", r, err)
		}
		clk.add(14 * time.Second)
		if _, err := b.Acquire(ctx); !errors.Is(err, ErrHeld) {
			t.Fatalf("B before A's renewed lease ends: %v", err)
		}
		clk.add(time.Second)
		r, err = b.Acquire(ctx)
		if err != nil || r.Owner != "B" || r.Epoch != 2 {
			t.Fatalf("B after A's lease ended: %+v, %v", r, err)
		}
		if _, err := a.Acquire(ctx); !errors.Is(err, ErrHeld) {
			t.Fatalf("A after B took over: %v", err)
		}
		if err := a.Release(ctx); err != nil {
			t.Fatal(err)
		}
		if r, _ := b.Read(ctx); r.Owner != "B" {
			t.Fatalf("A's release dropped B's lease: %+v", r)
		}
		if err := b.Release(ctx); err != nil {
			t.Fatal(err)
		}
		r, err = a.Acquire(ctx)
		if err != nil || r.Owner != "A" || r.Epoch != 3 {
			t.Fatalf("A after B released: %+v, %v", r, err)
		}
	})
}

// TestAcquireRace: nodes starting at the same moment on an empty store:
// exactly one holds the lease, the others are told who.
func TestAcquireRace(t *testing.T) {
	backends(t, 4, func(t *testing.T, st []store.Store, clk *clock) {
		ctx := context.Background()
		var wg sync.WaitGroup
		var won atomic.Int32
		errs := make(chan error, len(st))
		for i, s := range st {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := newLease(s, fmt.Sprint("node", i), clk).Acquire(ctx)
				switch {
				case err == nil:
					won.Add(1)
				case errors.Is(err, ErrHeld) && r.Owner != "":
				default:
					errs <- fmt.Errorf("node%d: %+v, %v", i, r, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if won.Load() != 1 {
			t.Fatalf("%d nodes hold the lease", won.Load())
		}
	})
}

// flaky is a store whose operations fail while down is set (a node cut off
// from the database).
type flaky struct {
	store.Store
	down atomic.Bool
}

var errDown = errors.New("database unreachable")

func (f *flaky) Update(ctx context.Context, fn func(store.Tx) error) error {
	if f.down.Load() {
		return errDown
	}
	return f.Store.Update(ctx, fn)
}

// runner runs Lease.Run and reports when its work starts and stops.
type runner struct {
	l              *Lease
	cancel         context.CancelFunc
	done           chan struct{}
	started, ended chan int64 // epoch of the record that started the work
}

func run(l *Lease) *runner {
	ctx, cancel := context.WithCancel(context.Background())
	r := &runner{l: l, cancel: cancel, done: make(chan struct{}), started: make(chan int64, 16), ended: make(chan int64, 16)}
	go func() {
		defer close(r.done)
		l.Run(ctx, func(wctx context.Context) {
			e := l.Status().Epoch
			r.started <- e
			<-wctx.Done()
			r.ended <- e
		})
	}()
	return r
}

func (r *runner) stop() { r.cancel(); <-r.done }

// TestRunCutOff: a holder that can no longer renew stops its work on its
// own (before its lease ends); the other node takes over only once the
// lease has ended.
func TestRunCutOff(t *testing.T) {
	backends(t, 2, func(t *testing.T, st []store.Store, clk *clock) {
		fa := &flaky{Store: st[0]}
		a := newLease(fa, "A", clk)
		a.TTL, a.Renew, a.Margin = 600*time.Millisecond, 20*time.Millisecond, 300*time.Millisecond
		ra := run(a)
		defer ra.stop()
		<-ra.started
		b := newLease(st[1], "B", clk)
		b.TTL, b.Renew = 600*time.Millisecond, 20*time.Millisecond
		rb := run(b)
		defer rb.stop()
		fa.down.Store(true)
		<-ra.ended // A stops by itself: its renewals fail
		select {
		case <-rb.started:
			t.Fatal("B started while A's lease (by the store's clock) had not ended")
		default:
		}
		if s := b.Status(); s.Held || s.Owner != "A" {
			t.Fatalf("B's view before the lease ends: %+v", s)
		}
		clk.add(time.Second) // A's lease ends
		if e := <-rb.started; e != 2 {
			t.Fatalf("B runs with epoch %d, want 2", e)
		}
		if s := b.Status(); !s.Held || s.Owner != "B" {
			t.Fatalf("B's status: %+v", s)
		}
	})
}

// TestRunTakenOver: a holder that was paused past the end of its lease and
// finds another node holding it stops at once.
func TestRunTakenOver(t *testing.T) {
	backends(t, 2, func(t *testing.T, st []store.Store, clk *clock) {
		a := newLease(st[0], "A", clk)
		a.TTL, a.Renew = time.Hour, 10*time.Millisecond
		// A's renewals are held back (as if paused) until the take-over.
		fa := &flaky{Store: st[0]}
		a.Store = fa
		ra := run(a)
		defer ra.stop()
		<-ra.started
		fa.down.Store(true)
		clk.add(2 * time.Hour)
		b := newLease(st[1], "B", clk)
		if r, err := b.Acquire(context.Background()); err != nil || r.Epoch != 2 {
			t.Fatalf("B takes the ended lease: %+v, %v", r, err)
		}
		fa.down.Store(false)
		if e := <-ra.ended; e != 1 {
			t.Fatalf("A stopped epoch %d", e)
		}
		if s := a.Status(); s.Held {
			t.Fatalf("A still reports holding: %+v", s)
		}
	})
}

// TestRunReleasesOnStop: a node shutting down gives the lease up, so
// another takes it at once (no waiting for the lease to end).
func TestRunReleasesOnStop(t *testing.T) {
	backends(t, 2, func(t *testing.T, st []store.Store, clk *clock) {
		a := newLease(st[0], "A", clk)
		a.Renew = 10 * time.Millisecond
		ra := run(a)
		<-ra.started
		b := newLease(st[1], "B", clk)
		b.Renew = 10 * time.Millisecond
		rb := run(b)
		defer rb.stop()
		ra.stop()
		<-ra.ended
		if e := <-rb.started; e != 2 {
			t.Fatalf("B epoch %d", e)
		}
	})
}

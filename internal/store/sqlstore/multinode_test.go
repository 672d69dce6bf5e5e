package sqlstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/duplexsms/duplex/internal/store"
	"github.com/duplexsms/duplex/internal/store/sqlstore"
	"github.com/duplexsms/duplex/internal/testutil"
)

// Several nodes share one PostgreSQL database: each test opens two or
// three stores (each its own connection pool, as separate processes would)
// on one schema.

func openNodes(t *testing.T, n int, opts ...sqlstore.Option) []*sqlstore.Store {
	t.Helper()
	dsn := testutil.PostgresDSN(t)
	var out []*sqlstore.Store
	for i := 0; i < n; i++ {
		s, err := sqlstore.OpenPostgres(context.Background(), dsn, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		out = append(out, s)
	}
	return out
}

// TestPostgresNodesOpenAtOnce: nodes starting at the same moment on an
// empty schema all migrate it without error (one migrates, the others
// wait on the advisory lock and find it done).
func TestPostgresNodesOpenAtOnce(t *testing.T) {
	dsn := testutil.PostgresDSN(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := sqlstore.OpenPostgres(context.Background(), dsn)
			if err == nil {
				s.Close()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
}

// TestPostgresCounterAcrossNodes: a read-modify-write through Tx.Get (FOR
// UPDATE) from many goroutines of two nodes loses no update, also when the
// record does not exist yet (the first writers race to insert it).
func TestPostgresCounterAcrossNodes(t *testing.T) {
	ctx := context.Background()
	nodes := openNodes(t, 2)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errc := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := nodes[w%2]
			for i := 0; i < each; i++ {
				errc <- s.Update(ctx, func(tx store.Tx) error {
					var c struct{ N int }
					r, err := tx.Get(ctx, "", "test.counter", "c")
					switch {
					case errors.Is(err, store.ErrNotFound):
						c.N = 1
						b, _ := json.Marshal(c)
						return tx.Insert(ctx, store.Record{Kind: "test.counter", ID: "c", Data: b})
					case err != nil:
						return err
					}
					if err := json.Unmarshal(r.Data, &c); err != nil {
						return err
					}
					c.N++
					b, _ := json.Marshal(c)
					return tx.Put(ctx, store.Record{Kind: "test.counter", ID: "c", Data: b})
				})
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("update: %v", err)
		}
	}
	r, err := nodes[0].Get(ctx, "", "test.counter", "c")
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ N int }
	json.Unmarshal(r.Data, &c)
	if c.N != workers*each {
		t.Fatalf("counter = %d after %d increments", c.N, workers*each)
	}
}

// TestPostgresDeadlockRetried: two transactions of two nodes lock two rows
// in opposite orders. PostgreSQL aborts one with a deadlock (40P01); Update
// runs it again and both succeed.
func TestPostgresDeadlockRetried(t *testing.T) {
	ctx := context.Background()
	nodes := openNodes(t, 2)
	for _, id := range []string{"a", "b"} {
		if err := nodes[0].Update(ctx, func(tx store.Tx) error {
			return tx.Insert(ctx, store.Record{Kind: "test.row", ID: id, Data: []byte("0")})
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Each transaction locks its first row, waits until the other has
	// locked its own, then asks for the other's: a deadlock. Only the first
	// run of each waits (a retried run goes straight through).
	var locked sync.WaitGroup
	locked.Add(2)
	var runs atomic.Int32
	tx := func(s *sqlstore.Store, first, second string, once *sync.Once) error {
		return s.Update(ctx, func(tx store.Tx) error {
			runs.Add(1)
			if _, err := tx.Get(ctx, "", "test.row", first); err != nil {
				return err
			}
			once.Do(func() { locked.Done(); locked.Wait() })
			if _, err := tx.Get(ctx, "", "test.row", second); err != nil {
				// What a service typically does: wrap the error in its own.
				return fmt.Errorf("service step failed: %v", err)
			}
			for _, id := range []string{first, second} {
				if err := tx.Put(ctx, store.Record{Kind: "test.row", ID: id, Data: []byte(first)}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	var once1, once2 sync.Once
	errs := make(chan error, 2)
	go func() { errs <- tx(nodes[0], "a", "b", &once1) }()
	go func() { errs <- tx(nodes[1], "b", "a", &once2) }()
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Errorf("transaction failed instead of being retried: %v", err)
		}
	}
	retries := nodes[0].Retries() + nodes[1].Retries()
	t.Logf("runs %d, retries %d", runs.Load(), retries)
	if retries < 1 || runs.Load() < 3 {
		t.Errorf("no transaction was retried (runs %d, retries %d): the deadlock did not happen?", runs.Load(), retries)
	}
}

// TestPostgresInsertRaceRunsAgain: a check-then-insert that loses the race
// to another node's insert is run once more and then sees the winner's
// row (the answer a client gets when the calls come one after the other).
func TestPostgresInsertRaceRunsAgain(t *testing.T) {
	ctx := context.Background()
	nodes := openNodes(t, 2)
	// Node 0 inserts and holds its transaction open until node 1 has
	// checked (not found) and is about to insert.
	checked := make(chan struct{})
	inserted := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- nodes[0].Update(ctx, func(tx store.Tx) error {
			if err := tx.Insert(ctx, store.Record{Kind: "test.named", ID: "n", Data: []byte("winner")}); err != nil {
				return err
			}
			close(inserted)
			<-checked
			return nil
		})
	}()
	<-inserted
	var seen []string
	var first sync.Once
	err := nodes[1].Update(ctx, func(tx store.Tx) error {
		r, err := tx.Get(ctx, "", "test.named", "n")
		if err == nil {
			seen = append(seen, "exists:"+string(r.Data))
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		seen = append(seen, "absent")
		// Let node 0 commit while this insert waits for it.
		first.Do(func() { close(checked) })
		return tx.Insert(ctx, store.Record{Kind: "test.named", ID: "n", Data: []byte("loser")})
	})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatalf("losing check-then-insert: %v (runs %v)", err, seen)
	}
	if len(seen) != 2 || seen[0] != "absent" || seen[1] != "exists:winner" {
		t.Fatalf("runs saw %v, want [absent exists:winner]", seen)
	}
}

// fakeClock is a store clock tests move by hand (lease ends without
// waiting).
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestPostgresClaimsAcrossNodes: workers of three nodes claim one queue at
// once; no job is held by two of them, every job is done once.
func TestPostgresClaimsAcrossNodes(t *testing.T) {
	ctx := context.Background()
	nodes := openNodes(t, 3)
	const jobs = 1500
	for i := 0; i < jobs; i += 250 {
		if err := nodes[0].Update(ctx, func(tx store.Tx) error {
			for k := i; k < i+250; k++ {
				if err := tx.Enqueue(ctx, store.Job{Queue: "q", ID: fmt.Sprintf("j%05d", k), Payload: []byte("x")}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for n, s := range nodes {
		for w := 0; w < 3; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				owner := fmt.Sprintf("node%d/%d", n, w)
				var batch []store.Job
				for {
					js, err := s.Claim(ctx, "q", owner, 20, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if len(js) == 0 {
						break
					}
					mu.Lock()
					for _, j := range js {
						got[j.ID]++
					}
					mu.Unlock()
					// Half complete one by one, half in batches.
					if w%2 == 0 {
						for _, j := range js {
							if err := s.Complete(ctx, j); err != nil {
								t.Errorf("complete %s: %v", j.ID, err)
							}
						}
					} else {
						batch = append(batch[:0], js...)
						if k, err := s.CompleteBatch(ctx, batch); err != nil || k != len(batch) {
							t.Errorf("complete batch: %d of %d, %v", k, len(batch), err)
						}
					}
				}
			}()
		}
	}
	wg.Wait()
	if len(got) != jobs {
		t.Errorf("%d distinct jobs claimed, want %d", len(got), jobs)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("job %s claimed %d times while leased", id, n)
		}
	}
	if next, err := nodes[1].NextDue(ctx, "q"); err != nil || !next.IsZero() {
		t.Errorf("queue not empty: next due %v, %v", next, err)
	}
}

// TestPostgresLeaseTakeover: a node that claimed a job and died leaves it
// leased until its lease ends; then another node claims it, and the dead
// node's late completion is refused (ErrLeaseLost), so the job is not lost.
func TestPostgresLeaseTakeover(t *testing.T) {
	ctx := context.Background()
	clk := &fakeClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	nodes := openNodes(t, 2, sqlstore.WithClock(clk.now))
	a, b := nodes[0], nodes[1]
	if err := a.Update(ctx, func(tx store.Tx) error {
		return tx.Enqueue(ctx, store.Job{Queue: "q", ID: "j", Payload: []byte("p")})
	}); err != nil {
		t.Fatal(err)
	}
	held, err := a.Claim(ctx, "q", "A", 10, 30*time.Second)
	if err != nil || len(held) != 1 {
		t.Fatalf("A claims: %v, %v", held, err)
	}
	clk.add(29 * time.Second)
	if js, err := b.Claim(ctx, "q", "B", 10, 30*time.Second); err != nil || len(js) != 0 {
		t.Fatalf("B claimed a job A still holds: %v, %v", js, err)
	}
	clk.add(2 * time.Second)
	js, err := b.Claim(ctx, "q", "B", 10, 30*time.Second)
	if err != nil || len(js) != 1 || js[0].Attempts != 2 {
		t.Fatalf("B after A's lease ended: %+v, %v", js, err)
	}
	if err := a.Complete(ctx, held[0]); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("A completes after losing the lease: %v, want ErrLeaseLost", err)
	}
	if err := a.Reschedule(ctx, held[0], clk.now()); !errors.Is(err, store.ErrLeaseLost) {
		t.Fatalf("A reschedules after losing the lease: %v, want ErrLeaseLost", err)
	}
	if k, err := a.CompleteBatch(ctx, held); err != nil || k != 0 {
		t.Fatalf("A's batch completion after losing the lease removed %d, %v", k, err)
	}
	if err := b.Complete(ctx, js[0]); err != nil {
		t.Fatalf("B completes: %v", err)
	}
}

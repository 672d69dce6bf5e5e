// Package storetest is the one test suite every store.Store implementation
// must pass, so that SQLite and PostgreSQL cannot drift apart.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/duplexsms/duplex/internal/store"
)

// Run runs the suite; open must return a new, empty store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	t.Run("CRUD", func(t *testing.T) {
		s := open(t)
		put := func(acct, kind, id, data string) {
			t.Helper()
			if err := s.Update(ctx, func(tx store.Tx) error {
				return tx.Insert(ctx, store.Record{Account: acct, Kind: kind, ID: id, Data: []byte(data)})
			}); err != nil {
				t.Fatalf("insert %s: %v", id, err)
			}
		}
		put("111", "k", "a/1", "x")
		put("111", "k", "a/2", "y")
		put("111", "k", "b/1", "z")
		put("222", "k", "a/1", "other account")
		r, err := s.Get(ctx, "111", "k", "a/1")
		if err != nil || string(r.Data) != "x" {
			t.Fatalf("get = %q, %v", r.Data, err)
		}
		if _, err := s.Get(ctx, "333", "k", "a/1"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other account get = %v, want ErrNotFound", err)
		}
		err = s.Update(ctx, func(tx store.Tx) error {
			return tx.Insert(ctx, store.Record{Account: "111", Kind: "k", ID: "a/1", Data: []byte("dup")})
		})
		if !errors.Is(err, store.ErrExists) {
			t.Fatalf("duplicate insert = %v, want ErrExists", err)
		}
		recs, err := s.List(ctx, store.Query{Account: "111", Kind: "k", Prefix: "a/"})
		if err != nil || len(recs) != 2 || recs[0].ID != "a/1" || recs[1].ID != "a/2" {
			t.Fatalf("list prefix = %v, %v", ids(recs), err)
		}
		recs, _ = s.List(ctx, store.Query{Account: "111", Kind: "k", After: "a/1", Limit: 1})
		if len(recs) != 1 || recs[0].ID != "a/2" {
			t.Fatalf("list after = %v", ids(recs))
		}
		n, err := s.Count(ctx, "111", "k", "")
		if err != nil || n != 3 {
			t.Fatalf("count = %d, %v", n, err)
		}
		// A failing transaction leaves nothing behind.
		boom := errors.New("boom")
		err = s.Update(ctx, func(tx store.Tx) error {
			if err := tx.Put(ctx, store.Record{Account: "111", Kind: "k", ID: "a/1", Data: []byte("changed")}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("update err = %v", err)
		}
		if r, _ := s.Get(ctx, "111", "k", "a/1"); string(r.Data) != "x" {
			t.Fatalf("rolled back write visible: %q", r.Data)
		}
		if err := s.Update(ctx, func(tx store.Tx) error {
			if err := tx.Put(ctx, store.Record{Account: "111", Kind: "k", ID: "a/1", Data: []byte("v2")}); err != nil {
				return err
			}
			r, err := tx.Get(ctx, "111", "k", "a/1")
			if err != nil || string(r.Data) != "v2" {
				return fmt.Errorf("read own write = %q, %v", r.Data, err)
			}
			m, err := tx.DeletePrefix(ctx, "111", "k", "a/")
			if m != 2 {
				return fmt.Errorf("delete prefix = %d, %v", m, err)
			}
			return tx.Delete(ctx, "111", "k", "b/1")
		}); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.Count(ctx, "111", "k", ""); n != 0 {
			t.Fatalf("after deletes count = %d", n)
		}
		if n, _ := s.Count(ctx, "222", "k", ""); n != 1 {
			t.Fatalf("other account touched: count = %d", n)
		}
	})
	t.Run("Queue", func(t *testing.T) {
		s := open(t)
		if err := s.Update(ctx, func(tx store.Tx) error {
			for i := 0; i < 5; i++ {
				if err := tx.Enqueue(ctx, store.Job{Queue: "q", ID: fmt.Sprintf("j%d", i), Payload: []byte{byte(i)}}); err != nil {
					return err
				}
			}
			// Enqueue is idempotent on ID.
			return tx.Enqueue(ctx, store.Job{Queue: "q", ID: "j0", Payload: []byte{9}})
		}); err != nil {
			t.Fatal(err)
		}
		a, err := s.Claim(ctx, "q", "A", 3, time.Minute)
		if err != nil || len(a) != 3 {
			t.Fatalf("claim A = %d, %v", len(a), err)
		}
		b, err := s.Claim(ctx, "q", "B", 10, time.Minute)
		if err != nil || len(b) != 2 {
			t.Fatalf("claim B = %d, %v (claimed jobs must be invisible)", len(b), err)
		}
		if a[0].Attempts != 1 {
			t.Fatalf("attempts = %d", a[0].Attempts)
		}
		if err := s.Complete(ctx, a[0]); err != nil {
			t.Fatal(err)
		}
		stolen := b[0]
		stolen.Owner = "C"
		if err := s.Complete(ctx, stolen); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("complete by non-owner = %v", err)
		}
		due := time.Now().Add(time.Hour)
		if err := s.Reschedule(ctx, a[1], due); err != nil {
			t.Fatal(err)
		}
		next, err := s.NextDue(ctx, "q")
		if err != nil || next.IsZero() {
			t.Fatalf("next due = %v, %v", next, err)
		}
		// Everything is leased or not yet due: nothing to claim.
		if c, err := s.Claim(ctx, "q", "C", 10, time.Minute); err != nil || len(c) != 0 {
			t.Fatalf("claim while leased = %d, %v", len(c), err)
		}
	})
	t.Run("LeaseExpiry", func(t *testing.T) {
		s := open(t)
		if err := s.Update(ctx, func(tx store.Tx) error {
			return tx.Enqueue(ctx, store.Job{Queue: "q", ID: "j", Payload: []byte("p")})
		}); err != nil {
			t.Fatal(err)
		}
		// Worker A dies holding a short lease; B picks the job up after it.
		a, err := s.Claim(ctx, "q", "A", 1, 20*time.Millisecond)
		if err != nil || len(a) != 1 {
			t.Fatalf("claim A = %d, %v", len(a), err)
		}
		time.Sleep(40 * time.Millisecond)
		b, err := s.Claim(ctx, "q", "B", 1, time.Minute)
		if err != nil || len(b) != 1 || b[0].Attempts != 2 {
			t.Fatalf("claim B after lease end = %v, %v", b, err)
		}
		if err := s.Complete(ctx, a[0]); !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("late complete by A = %v, want ErrLeaseLost", err)
		}
		if err := s.Complete(ctx, b[0]); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ConcurrentClaims", func(t *testing.T) {
		s := open(t)
		const total = 200
		if err := s.Update(ctx, func(tx store.Tx) error {
			for i := 0; i < total; i++ {
				if err := tx.Enqueue(ctx, store.Job{Queue: "q", ID: fmt.Sprintf("%04d", i), Payload: []byte("p")}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for {
					jobs, err := s.Claim(ctx, "q", fmt.Sprintf("w%d", w), 7, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if len(jobs) == 0 {
						return
					}
					for _, j := range jobs {
						mu.Lock()
						seen[j.ID]++
						mu.Unlock()
						if err := s.Complete(ctx, j); err != nil {
							t.Error(err)
						}
					}
				}
			}(w)
		}
		wg.Wait()
		if len(seen) != total {
			t.Fatalf("claimed %d distinct jobs, want %d", len(seen), total)
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("job %s claimed %d times", id, n)
			}
		}
	})
}

func ids(rs []store.Record) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

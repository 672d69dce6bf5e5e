package groupcommit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/duplexsms/duplex/internal/groupcommit"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/duplexsms/duplex/internal/store/sqlstore"
)

func open(t testing.TB) store.Store {
	st, err := sqlstore.OpenSQLite(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Every write is committed exactly once, and a failing write fails only
// its own caller even when it shared a batch.
func TestCommitter(t *testing.T) {
	ctx := context.Background()
	st := open(t)
	c := &groupcommit.Committer{Store: st}
	bad := errors.New("bad write")
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := c.Update(ctx, func(tx store.Tx) error {
				if i%50 == 7 {
					return bad
				}
				return tx.Insert(ctx, store.Record{Kind: "t", ID: fmt.Sprintf("%04d", i), Data: []byte("x")})
			})
			if i%50 == 7 {
				if !errors.Is(err, bad) {
					t.Errorf("write %d: err = %v, want its own error", i, err)
				}
				failed.Add(1)
			} else if err != nil {
				t.Errorf("write %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	n, err := st.Count(ctx, "", "t", "")
	if err != nil || n != 500-int(failed.Load()) {
		t.Fatalf("count = %d (%v), want %d", n, err, 500-failed.Load())
	}
}

func benchWrites(b *testing.B, update func(context.Context, func(store.Tx) error) error) {
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(32)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			err := update(ctx, func(tx store.Tx) error {
				return tx.Put(ctx, store.Record{Kind: "t", ID: fmt.Sprintf("%09d", i), Data: []byte(`{"a":1}`)})
			})
			if err != nil {
				b.Error(err)
			}
		}
	})
}

func BenchmarkStoreUpdate(b *testing.B) { st := open(b); benchWrites(b, st.Update) }
func BenchmarkCommitter(b *testing.B) {
	st := open(b)
	benchWrites(b, (&groupcommit.Committer{Store: st}).Update)
}
func BenchmarkStoreGet(b *testing.B) {
	ctx := context.Background()
	st := open(b)
	st.Update(ctx, func(tx store.Tx) error { return tx.Put(ctx, store.Record{Kind: "t", ID: "x", Data: []byte("{}")}) })
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := st.Get(ctx, "", "t", "x"); err != nil {
				b.Error(err)
			}
		}
	})
}

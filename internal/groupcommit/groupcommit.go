// Package groupcommit runs small writes from many goroutines in shared
// transactions. With one writer (SQLite) every transaction is serialized,
// so a commit per message caps throughput; here the first caller commits
// whatever has queued meanwhile while the others wait, and each caller
// returns only once its own write is committed (durable as with
// store.Update). A batch that fails is retried one write at a time, so one
// bad write fails only itself: a write function may therefore run more
// than once and must not keep state from an earlier run.
package groupcommit

import (
	"context"
	"sync"

	"github.com/duplexsms/duplex/internal/store"
)

// MaxBatch bounds the writes of one transaction.
const MaxBatch = 256

// Committer batches writes to one store.
type Committer struct {
	Store store.Store

	mu      sync.Mutex
	queue   []*item
	running bool
}

type item struct {
	fn   func(store.Tx) error
	done chan error
}

// Update runs fn in a transaction, possibly shared with other callers'
// writes, and returns once it is committed. Like store.Update, it must not
// be called from inside a transaction.
func (c *Committer) Update(ctx context.Context, fn func(store.Tx) error) error {
	it := &item{fn: fn, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, it)
	if c.running {
		c.mu.Unlock()
		return <-it.done
	}
	c.running = true
	c.mu.Unlock()
	for {
		c.mu.Lock()
		batch := c.queue
		if len(batch) > MaxBatch {
			batch = batch[:MaxBatch]
		}
		c.queue = c.queue[len(batch):]
		if len(batch) == 0 {
			c.running = false
			c.queue = nil
			c.mu.Unlock()
			break
		}
		c.mu.Unlock()
		c.commit(context.WithoutCancel(ctx), batch)
	}
	return <-it.done
}

func (c *Committer) commit(ctx context.Context, batch []*item) {
	if len(batch) > 1 {
		err := c.Store.Update(ctx, func(tx store.Tx) error {
			for _, it := range batch {
				if err := it.fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			for _, it := range batch {
				it.done <- nil
			}
			return
		}
	}
	for _, it := range batch {
		it.done <- c.Store.Update(ctx, it.fn)
	}
}

package sns

import (
	"context"
	"sync"
	"time"

	"github.com/duplexsms/duplex/internal/store"
)

// committer coalesces concurrent publishes into shared transactions (group
// commit): the store has one writer, and a transaction's fixed cost
// (begin, commit, WAL append) dominates a publish. Each publish still
// returns only after the transaction holding its jobs has committed. If a
// shared transaction fails, every publish in it is retried alone, so one
// publish's failure never fails another.
type committer struct {
	store store.Store

	mu      sync.Mutex
	queue   []*commitReq
	running bool
}

type commitReq struct {
	fn   func(tx store.Tx) error
	done chan error
}

// maxGroup bounds the publishes in one transaction.
const maxGroup = 256

func (c *committer) do(ctx context.Context, fn func(tx store.Tx) error) error {
	req := &commitReq{fn: fn, done: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, req)
	if !c.running {
		c.running = true
		go c.loop()
	}
	c.mu.Unlock()
	return <-req.done
}

func (c *committer) loop() {
	for {
		c.mu.Lock()
		n := min(len(c.queue), maxGroup)
		if n == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		batch := c.queue[:n:n]
		c.queue = c.queue[n:]
		c.mu.Unlock()
		c.commit(batch)
	}
}

func (c *committer) commit(batch []*commitReq) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if len(batch) == 1 {
		batch[0].done <- c.store.Update(ctx, batch[0].fn)
		return
	}
	err := c.store.Update(ctx, func(tx store.Tx) error {
		for _, r := range batch {
			if err := r.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		for _, r := range batch {
			r.done <- nil
		}
		return
	}
	for _, r := range batch {
		r.done <- c.store.Update(ctx, r.fn)
	}
}

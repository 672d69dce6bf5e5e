// Package jobs runs workers over the store's durable queues: claim a batch
// with a lease, handle each job, complete or reschedule it. A worker that
// dies leaves its claims to expire; another worker (or node) takes them.
package jobs

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/duplexsms/duplex/internal/store"
)

// Result of handling one job.
type Result struct {
	// RetryAt, when non-zero, reschedules the job instead of completing it.
	RetryAt time.Time
	// Payload replaces the job's payload when rescheduling (nil keeps it).
	Payload []byte
}

// Runner drains one queue.
type Runner struct {
	Queue       store.Queue
	Name        string // queue name
	Owner       string // this node's identity, for leases
	Batch       int
	Lease       time.Duration
	Concurrency int
	// Idle is the longest sleep between polls when nothing wakes the runner
	// (other nodes may enqueue; rescheduled jobs become due).
	Idle   time.Duration
	Handle func(ctx context.Context, j store.Job) Result
	Log    *slog.Logger

	once sync.Once
	wake chan struct{}
}

func (r *Runner) init() {
	r.once.Do(func() {
		r.wake = make(chan struct{}, 1)
		if r.Batch == 0 {
			r.Batch = 64
		}
		if r.Lease == 0 {
			r.Lease = time.Minute
		}
		if r.Concurrency == 0 {
			r.Concurrency = 8
		}
		if r.Idle == 0 {
			r.Idle = time.Second
		}
		if r.Log == nil {
			r.Log = slog.Default()
		}
	})
}

// Notify wakes the runner at once (a job was just enqueued in-process).
func (r *Runner) Notify() {
	r.init()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx is cancelled, then waits for in-flight jobs.
func (r *Runner) Run(ctx context.Context) {
	r.init()
	sem := make(chan struct{}, r.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for ctx.Err() == nil {
		jobs, err := r.Queue.Claim(ctx, r.Name, r.Owner, r.Batch, r.Lease)
		if err != nil {
			if ctx.Err() == nil {
				r.Log.Warn("claim failed", "queue", r.Name, "err", err)
			}
			r.sleep(ctx, r.Idle)
			continue
		}
		for _, j := range jobs {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func(j store.Job) {
				defer func() { <-sem; wg.Done() }()
				r.finish(j, r.Handle(ctx, j))
			}(j)
		}
		if len(jobs) == r.Batch {
			continue
		}
		wait := r.Idle
		if next, err := r.Queue.NextDue(ctx, r.Name); err == nil && !next.IsZero() {
			if d := time.Until(next); d < wait {
				wait = d
			}
		}
		if len(jobs) > 0 && wait > 5*time.Millisecond {
			// Jobs are in flight; their completions may free due work soon.
			wait = 5 * time.Millisecond
		}
		r.sleep(ctx, wait)
	}
}

func (r *Runner) finish(j store.Job, res Result) {
	// Finishing must not be cut short by shutdown: the job's outcome is
	// already decided.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var err error
	if res.RetryAt.IsZero() {
		err = r.Queue.Complete(ctx, j)
	} else {
		if res.Payload != nil {
			j.Payload = res.Payload
		}
		err = r.Queue.Reschedule(ctx, j, res.RetryAt)
	}
	if err != nil {
		r.Log.Warn("finishing job failed; it will be retried after its lease", "queue", r.Name, "job", j.ID, "err", err)
	}
}

func (r *Runner) sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-r.wake:
	case <-t.C:
	}
}

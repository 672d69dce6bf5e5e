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
//
// It claims only as many jobs as it can start at once: a claimed job that
// waited for a free slot would spend its lease waiting while another node
// could have run it. Each handler runs with a deadline shortly before its
// lease ends, so no handler outlives its claim (past that, another node may
// already be running the job again).
func (r *Runner) Run(ctx context.Context) {
	r.init()
	var wg sync.WaitGroup
	defer wg.Wait()
	var mu sync.Mutex
	active := 0
	freed := make(chan struct{}, 1)
	for ctx.Err() == nil {
		mu.Lock()
		free := r.Concurrency - active
		mu.Unlock()
		// With most slots busy, wait for some to free up rather than claim
		// a few jobs at a time (each claim is a write to the database).
		if free < max(1, r.Concurrency/4) {
			select {
			case <-ctx.Done():
			case <-freed:
			}
			continue
		}
		n := min(r.Batch, free)
		// A claim is not cut short by shutdown: a cancelled claim may still
		// commit, leaving jobs leased to nobody until the lease ends.
		// The lease runs from the claim; the handlers' deadline is on this
		// process's clock, taken before claiming (so it is never later).
		deadline := time.Now().Add(r.Lease - leaseMargin(r.Lease))
		jobs, err := r.Queue.Claim(context.WithoutCancel(ctx), r.Name, r.Owner, n, r.Lease)
		if err != nil {
			if ctx.Err() == nil {
				r.Log.Warn("claim failed", "queue", r.Name, "err", err)
			}
			r.sleep(ctx, r.Idle)
			continue
		}
		if ctx.Err() != nil {
			r.release(jobs)
			return
		}
		mu.Lock()
		active += len(jobs)
		mu.Unlock()
		for _, j := range jobs {
			wg.Add(1)
			go func(j store.Job) {
				defer func() {
					mu.Lock()
					active--
					mu.Unlock()
					select {
					case freed <- struct{}{}:
					default:
					}
					wg.Done()
				}()
				hctx, cancel := context.WithDeadline(ctx, deadline)
				res := r.Handle(hctx, j)
				cancel()
				r.finish(j, res)
			}(j)
		}
		if len(jobs) == n {
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

// leaseMargin is how long before its lease ends a handler is cancelled, so
// that its outcome is written while the runner still holds the job.
func leaseMargin(lease time.Duration) time.Duration {
	return min(lease/10, 5*time.Second)
}

// release gives claimed, unstarted jobs back to the queue, due now.
func (r *Runner) release(jobs []store.Job) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, j := range jobs {
		if err := r.Queue.Reschedule(ctx, j, time.Now()); err != nil {
			r.Log.Warn("releasing job failed; it will be retried after its lease", "queue", r.Name, "job", j.ID, "err", err)
		}
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

// Package lease gives one node at a time the right to run something that
// must not run twice, such as an SMPP link whose SMSC allows one bind. The
// right is a record in the shared store: holder, end of the lease and an
// epoch that grows with every change of holder. The holder renews it every
// few seconds; a node that dies stops renewing, and once the lease has
// ended another node takes it over. A holder that cannot renew (the
// database is unreachable, the process was paused) stops the work at a
// safety margin before the lease ends, so two holders never overlap as long
// as the nodes' clocks agree to within that margin.
package lease

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/duplexsms/duplex/internal/store"
)

// Record is the stored lease (account "", kind Lease.Kind, ID Lease.Name).
type Record struct {
	Owner   string    `json:"owner"`
	Expires time.Time `json:"expires"`
	// Epoch grows by one with every change of holder (a fencing token).
	Epoch int64 `json:"epoch"`
	// Since is when the current holder acquired it.
	Since time.Time `json:"since"`
}

// Lease is one named right to run.
type Lease struct {
	Store store.Store
	Kind  string // record kind, e.g. "smpp.link-owner"
	Name  string // record ID
	Owner string // this node
	// TTL is how long an acquisition or renewal lasts (default 15 s).
	TTL time.Duration
	// Renew is how often the holder renews and others try to acquire
	// (default TTL/3).
	Renew time.Duration
	// Margin is how long before the end of its lease a holder that could
	// not renew stops the work (default TTL/3): the tolerated clock skew
	// between nodes plus the time the work takes to stop.
	Margin time.Duration
	Now    func() time.Time
	Log    *slog.Logger

	mu   sync.Mutex
	held bool
	last Record
}

func (l *Lease) defaults() {
	if l.TTL <= 0 {
		l.TTL = 15 * time.Second
	}
	if l.Renew <= 0 {
		l.Renew = l.TTL / 3
	}
	if l.Margin <= 0 {
		l.Margin = l.TTL / 3
	}
	if l.Now == nil {
		l.Now = time.Now
	}
	if l.Log == nil {
		l.Log = slog.Default()
	}
}

// ErrHeld means another node holds the lease.
var ErrHeld = errors.New("lease: held by another node")

// Acquire takes the lease when nobody holds it, its holder's lease has
// ended, or this node holds it already (a renewal). It returns the record
// as stored, or ErrHeld with the current holder's record.
func (l *Lease) Acquire(ctx context.Context) (Record, error) {
	l.defaults()
	var out Record
	err := l.Store.Update(ctx, func(tx store.Tx) error {
		now := l.Now()
		r, err := tx.Get(ctx, "", l.Kind, l.Name) // locks the row on PostgreSQL
		cur := Record{}
		switch {
		case errors.Is(err, store.ErrNotFound):
			out = Record{Owner: l.Owner, Expires: now.Add(l.TTL), Epoch: 1, Since: now}
			b, _ := json.Marshal(out)
			// Two nodes racing to create it: one insert wins, the other
			// finds the row on its second run (store.Update) and answers
			// ErrHeld below.
			return tx.Insert(ctx, store.Record{Kind: l.Kind, ID: l.Name, Data: b})
		case err != nil:
			return err
		}
		if err := json.Unmarshal(r.Data, &cur); err != nil {
			return fmt.Errorf("lease %s: %w", l.Name, err)
		}
		switch {
		case cur.Owner == l.Owner:
			out = cur
		case cur.Owner == "" || !now.Before(cur.Expires):
			out = Record{Owner: l.Owner, Epoch: cur.Epoch + 1, Since: now}
		default:
			out = cur
			return ErrHeld
		}
		out.Expires = now.Add(l.TTL)
		b, _ := json.Marshal(out)
		return tx.Put(ctx, store.Record{Kind: l.Kind, ID: l.Name, Data: b})
	})
	return out, err
}

// Release gives the lease up when this node holds it, so that another node
// may take it at once instead of after the lease ends.
func (l *Lease) Release(ctx context.Context) error {
	l.defaults()
	return l.Store.Update(ctx, func(tx store.Tx) error {
		r, err := tx.Get(ctx, "", l.Kind, l.Name)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var cur Record
		if err := json.Unmarshal(r.Data, &cur); err != nil {
			return err
		}
		if cur.Owner != l.Owner {
			return nil
		}
		cur.Owner, cur.Expires = "", time.Time{}
		b, _ := json.Marshal(cur)
		return tx.Put(ctx, store.Record{Kind: l.Kind, ID: l.Name, Data: b})
	})
}

// Read returns the stored record (zero when none).
func (l *Lease) Read(ctx context.Context) (Record, error) {
	r, err := l.Store.Get(ctx, "", l.Kind, l.Name)
	if errors.Is(err, store.ErrNotFound) {
		return Record{}, nil
	}
	if err != nil {
		return Record{}, err
	}
	var cur Record
	return cur, json.Unmarshal(r.Data, &cur)
}

// Status is what this node knows of the lease.
type Status struct {
	Name string `json:"name"`
	// Held is true while this node holds the lease and runs the work.
	Held bool `json:"held"`
	// Owner, Expires and Epoch are of the last record this node saw.
	Owner   string    `json:"owner"`
	Expires time.Time `json:"expires"`
	Epoch   int64     `json:"epoch"`
}

// Status reports the lease as this node last saw it.
func (l *Lease) Status() Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Status{Name: l.Name, Held: l.held, Owner: l.last.Owner, Expires: l.last.Expires, Epoch: l.last.Epoch}
}

func (l *Lease) seen(r Record, held bool) {
	l.mu.Lock()
	l.last, l.held = r, held
	l.mu.Unlock()
}

// Run runs fn while this node holds the lease, until ctx ends. It tries to
// acquire the lease every Renew; once it holds it, it runs fn with a
// context that ends when ctx ends or the lease is lost (another node took
// it, or no renewal succeeded until Margin before its end), renewing every
// Renew meanwhile. When fn has returned it tries again (fn may run several
// times, never two at once). When ctx ends it releases the lease.
func (l *Lease) Run(ctx context.Context, fn func(ctx context.Context)) {
	l.defaults()
	for ctx.Err() == nil {
		start := time.Now()
		rec, err := l.Acquire(ctx)
		if err != nil {
			if !errors.Is(err, ErrHeld) && ctx.Err() == nil {
				l.Log.Warn("lease: acquire failed", "lease", l.Name, "err", err)
			}
			l.seen(rec, false)
			sleep(ctx, l.Renew)
			continue
		}
		l.seen(rec, true)
		l.Log.Info("lease acquired; running", "lease", l.Name, "owner", l.Owner, "epoch", rec.Epoch)
		l.hold(ctx, start, rec, fn)
		l.mu.Lock()
		l.held = false
		l.mu.Unlock()
	}
	rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := l.Release(rctx); err != nil {
		l.Log.Warn("lease: release failed; another node takes over when it ends", "lease", l.Name, "err", err)
	}
}

// hold runs fn while renewing; it returns once fn has returned.
func (l *Lease) hold(ctx context.Context, start time.Time, rec Record, fn func(ctx context.Context)) {
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	go func() { defer close(done); fn(wctx) }()
	// The local deadline, measured from before the acquiring transaction
	// began, on this process's monotonic clock: past it, the work stops
	// whatever the renewals are doing.
	deadline := start.Add(l.TTL - l.Margin)
	expired := time.NewTimer(time.Until(deadline))
	defer expired.Stop()
	tick := time.NewTicker(l.Renew)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			<-done
			return
		case <-expired.C:
			l.Log.Warn("lease: no renewal succeeded before the safety margin; stopping", "lease", l.Name)
			l.seen(rec, false)
			stop()
			<-done
			return
		case <-tick.C:
		}
		start := time.Now()
		rctx, cancel := context.WithDeadline(ctx, deadline)
		r, err := l.Acquire(rctx)
		cancel()
		switch {
		case err == nil && r.Epoch == rec.Epoch:
			deadline = start.Add(l.TTL - l.Margin)
			expired.Reset(time.Until(deadline))
			rec = r
			l.seen(r, true)
			continue
		case err == nil || errors.Is(err, ErrHeld):
			// Taken over meanwhile (this node was paused past the end of
			// its lease): stop at once.
			l.Log.Warn("lease lost to another node; stopping", "lease", l.Name, "holder", r.Owner, "epoch", r.Epoch)
			l.seen(r, false)
			stop()
			<-done
			return
		default:
			if ctx.Err() == nil {
				l.Log.Warn("lease: renewal failed; will retry", "lease", l.Name, "err", err)
			}
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

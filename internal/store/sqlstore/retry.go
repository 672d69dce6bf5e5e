package sqlstore

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/duplexsms/duplex/internal/store"
)

// Transactions that PostgreSQL aborts because they collided with another
// node's are run again: a deadlock (40P01) or a serialization failure
// (40001) says nothing about the request, only about its timing. SQLite
// has one writer and never reports either.
const (
	maxTxAttempts = 8
	// A check-then-insert that lost a race to another transaction (its
	// Insert found the row the check did not see) is run once more: on
	// the second run the check sees the winner's row and the service
	// answers as it would have had the calls come one after the other
	// (an idempotent success or its own ConflictException), never with
	// the bare store error.
	maxExistsAttempts = 2
)

// sqlState is implemented by the driver's error type (pgconn.PgError).
type sqlState interface{ SQLState() string }

// retryable reports whether a transaction failed only because of a
// concurrent one (deadlock or serialization failure).
func retryable(err error) bool {
	var se sqlState
	if !errors.As(err, &se) {
		return false
	}
	switch se.SQLState() {
	case "40001", "40P01":
		return true
	}
	return false
}

// backoff sleeps a short, jittered, growing time before attempt n (1-based
// count of failures so far), or returns ctx's error.
func backoff(ctx context.Context, n int) error {
	d := time.Duration(1<<min(n, 6)) * time.Millisecond
	d += rand.N(d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Update runs fn in a transaction. On PostgreSQL a transaction aborted by
// a deadlock or serialization failure is run again (fn runs again, in a new
// transaction; a bounded number of times), and so is one whose fn failed
// with store.ErrExists (once; see maxExistsAttempts). fn must therefore not
// keep state from an earlier run, as with groupcommit.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	exists := 0
	for attempt := 1; ; attempt++ {
		err := s.update(ctx, fn)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, store.ErrExists):
			exists++
			if exists >= maxExistsAttempts {
				return err
			}
		case s.d == postgres && retryable(err) && attempt < maxTxAttempts:
			s.retries.Add(1)
			if berr := backoff(ctx, attempt); berr != nil {
				return err
			}
		default:
			return err
		}
	}
}

// Retries counts transactions run again after a deadlock or serialization
// failure (for tests and metrics).
func (s *Store) Retries() int64 { return s.retries.Load() }

// conflictError is an error of fn in a transaction that met a deadlock or
// serialization failure: Update retries it like the database's own error.
type conflictError struct{ err, cause error }

func (e conflictError) Error() string { return e.err.Error() }
func (e conflictError) Unwrap() error { return e.err }

// SQLState makes the conflict retryable (see retryable).
func (e conflictError) SQLState() string {
	var se sqlState
	if errors.As(e.cause, &se) {
		return se.SQLState()
	}
	return "40001"
}

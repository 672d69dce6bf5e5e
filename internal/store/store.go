// Package store defines the persistence interfaces every service uses. The
// model is deliberately small: an ordered key-value space of records
// (account, kind, id) holding each resource as a JSON document, plus durable
// job queues with leases. Services keep their own rules; the store only
// guarantees atomic transactions, ordering by id, and durability. One
// implementation (sqlstore) serves both SQLite and PostgreSQL.
package store

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrNotFound means no record or job has that key.
	ErrNotFound = errors.New("store: not found")
	// ErrExists means Insert found a record with the same key.
	ErrExists = errors.New("store: already exists")
	// ErrLeaseLost means a job was completed or rescheduled by a worker that
	// no longer holds its lease.
	ErrLeaseLost = errors.New("store: lease lost")
)

// Record is one stored resource. IDs are compared bytewise, so hierarchical
// IDs ("phone-abc/KEYWORD") can be listed by prefix.
type Record struct {
	Account string
	Kind    string
	ID      string
	Data    []byte
	Created time.Time
	Updated time.Time
}

// Query selects records of one kind in one account, ordered by ID.
type Query struct {
	Account string
	Kind    string
	Prefix  string // only IDs starting with Prefix
	After   string // only IDs greater than After (paging)
	Limit   int    // 0 = no limit
}

// Reader reads records.
type Reader interface {
	Get(ctx context.Context, account, kind, id string) (Record, error)
	List(ctx context.Context, q Query) ([]Record, error)
	Count(ctx context.Context, account, kind, prefix string) (int, error)
}

// Tx is a read-write transaction. Reads inside it see its own writes; on
// PostgreSQL, Get locks the row until the transaction ends.
type Tx interface {
	Reader
	Insert(ctx context.Context, r Record) error
	Put(ctx context.Context, r Record) error
	Delete(ctx context.Context, account, kind, id string) error
	DeletePrefix(ctx context.Context, account, kind, prefix string) (int, error)
	Enqueue(ctx context.Context, j Job) error
}

// Job is a unit of durable work in a named queue.
type Job struct {
	Queue    string
	ID       string
	Due      time.Time
	Attempts int
	Payload  []byte
	Owner    string
	Lease    time.Time // lease end while claimed
	Created  time.Time
}

// Queue is a durable work queue with leases: a claimed job is invisible to
// other workers until its lease ends, so a worker that dies loses nothing.
type Queue interface {
	// Claim leases up to n due jobs of a queue to owner.
	Claim(ctx context.Context, queue, owner string, n int, lease time.Duration) ([]Job, error)
	// Complete removes a job its owner has finished.
	Complete(ctx context.Context, j Job) error
	// Reschedule releases a job for a later attempt with a new payload.
	Reschedule(ctx context.Context, j Job, due time.Time) error
	// NextDue is the earliest due time in a queue (zero when empty).
	NextDue(ctx context.Context, queue string) (time.Time, error)
}

// Store is the whole persistence layer.
type Store interface {
	Reader
	Queue
	// Update runs fn in one transaction, committed when fn returns nil.
	// fn may run more than once (each time in a new transaction): when
	// the database aborts it for a deadlock or serialization failure with
	// another node's transaction, and once more when fn fails with
	// ErrExists (a check-then-insert that lost a race sees the winner's
	// row on the second run). fn must not keep state from an earlier run.
	Update(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// BatchQueue is an optional extension of Queue for workers that finish many
// jobs a second: it completes a batch in one transaction. Workers use it
// when the store implements it and fall back to Complete otherwise.
type BatchQueue interface {
	// CompleteBatch removes each job whose owner still holds it (jobs whose
	// lease was lost are skipped, as Complete's ErrLeaseLost) and returns
	// how many were removed.
	CompleteBatch(ctx context.Context, jobs []Job) (int, error)
}

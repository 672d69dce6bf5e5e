package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmtCache prepares each distinct query once per handle. SQLite parses
// and plans the SQL text of every unprepared query, which for a point
// lookup costs as much as running it; database/sql re-prepares a cached
// statement on each pooled connection the first time it is used there.
// (pgx caches prepared statements itself, so PostgreSQL does without.)
//
// A cache over SQLite's single write connection is filled up front (fixed
// set): preparing needs a free connection, and inside a transaction the
// transaction holds the only one. Its unknown queries run unprepared.
type stmtCache struct {
	db    *sql.DB
	fixed bool
	mu    sync.RWMutex
	m     map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

// prepareFixed prepares qs now and makes the set final.
func (c *stmtCache) prepareFixed(ctx context.Context, qs ...string) error {
	for _, q := range qs {
		if _, err := c.stmt(ctx, q); err != nil {
			return err
		}
	}
	c.mu.Lock()
	c.fixed = true
	c.mu.Unlock()
	return nil
}

var errNotPrepared = errors.New("sqlstore: statement not prepared")

func (c *stmtCache) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, fixed := c.m[q], c.fixed
	c.mu.RUnlock()
	if st != nil {
		return st, nil
	}
	if fixed {
		return nil, errNotPrepared
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.m[q]; st != nil {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.m[q] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// cachedDB is a querier over a handle that runs queries through c.
type cachedDB struct{ c *stmtCache }

func (d cachedDB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := d.c.stmt(ctx, q)
	if err != nil {
		return d.c.db.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (d cachedDB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := d.c.stmt(ctx, q)
	if err != nil {
		return d.c.db.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (d cachedDB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := d.c.stmt(ctx, q)
	if err != nil {
		return d.c.db.ExecContext(ctx, q, args...)
	}
	return st.ExecContext(ctx, args...)
}

// cachedTx is a querier over a transaction that uses the statements of c
// (prepared on the write handle, whose connection the transaction holds).
type cachedTx struct {
	tx *sql.Tx
	c  *stmtCache
}

func (d cachedTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st, err := d.c.stmt(ctx, q)
	if err != nil {
		return d.tx.QueryRowContext(ctx, q, args...)
	}
	return d.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
}

func (d cachedTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := d.c.stmt(ctx, q)
	if err != nil {
		return d.tx.QueryContext(ctx, q, args...)
	}
	return d.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
}

func (d cachedTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := d.c.stmt(ctx, q)
	if err != nil {
		return d.tx.ExecContext(ctx, q, args...)
	}
	return d.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
}

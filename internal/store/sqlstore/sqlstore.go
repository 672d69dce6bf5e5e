// Package sqlstore implements store.Store on SQL databases: SQLite through
// modernc.org/sqlite (cgo-free) and PostgreSQL through pgx's database/sql
// driver. The two share every query; the dialect only changes placeholders,
// row locking and a few pragmas. Migrations are embedded and applied at Open.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/duplexsms/duplex/internal/store"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // SQLite driver "sqlite"
)

//go:embed migrations
var migrations embed.FS

type dialect int

const (
	sqlite dialect = iota
	postgres
)

// Store is a store.Store on SQLite or PostgreSQL.
type Store struct {
	d   dialect
	w   *sql.DB // writes (SQLite: one connection, so writers queue in Go, not on SQLITE_BUSY)
	r   *sql.DB // reads (SQLite: a pool of read-only connections; PostgreSQL: same as w)
	now func() time.Time
	q   queries
	// rs and ws prepare queries on r and w (SQLite only; nil otherwise).
	rs, ws *stmtCache
	// retries counts transactions run again (retry.go).
	retries atomic.Int64
}

// Option configures a Store.
type Option func(*Store)

// WithClock injects the clock used for timestamps and queue due times.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// OpenSQLite opens (creating if needed) the SQLite database in dir.
func OpenSQLite(ctx context.Context, dir string, opts ...Option) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	path := filepath.Join(dir, "duplex.db")
	base := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)" +
		// A 32 MiB page cache per connection (default 2 MiB): an account
		// of 10,000 numbers fits, so point reads rarely go to read(2).
		"&_pragma=cache_size(-32768)"
	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	r.SetConnMaxLifetime(0)
	s := &Store{d: sqlite, w: w, r: r, now: time.Now, rs: newStmtCache(r), ws: newStmtCache(w)}
	return s.init(ctx, opts)
}

// OpenPostgres connects to PostgreSQL at a postgres:// URL.
func OpenPostgres(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	s := &Store{d: postgres, w: db, r: db, now: time.Now}
	return s.init(ctx, opts)
}

func (s *Store) init(ctx context.Context, opts []Option) (*Store, error) {
	for _, o := range opts {
		o(s)
	}
	s.q = buildQueries(s.d)
	if err := s.w.PingContext(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("connect to database: %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.ws != nil {
		q := s.q
		if err := s.ws.prepareFixed(ctx, q.getForUpdate, q.count, q.insert, q.put, q.del, q.delPrefix, q.enqueue); err != nil {
			s.Close()
			return nil, fmt.Errorf("prepare: %w", err)
		}
	}
	return s, nil
}

// Close closes the database handles.
func (s *Store) Close() error {
	if s.rs != nil {
		s.rs.close()
		s.ws.close()
	}
	err := s.w.Close()
	if s.r != s.w {
		if e := s.r.Close(); err == nil {
			err = e
		}
	}
	return err
}

// DB exposes the write handle for tests and tools that inspect raw storage.
func (s *Store) DB() *sql.DB { return s.w }

func (s *Store) migrate(ctx context.Context) error {
	dir := "migrations/sqlite"
	if s.d == postgres {
		dir = "migrations/postgres"
	}
	files, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(files)
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if s.d == postgres {
		// Several nodes may start at once: one migrates, the others wait.
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(3875)"); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		defer conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock(3875)")
	}
	if _, err := conn.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied BIGINT NOT NULL)"); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, f := range files {
		v, err := strconv.Atoi(strings.SplitN(filepath.Base(f), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: bad name", f)
		}
		var n int
		if err := conn.QueryRowContext(ctx, rebind(s.d, "SELECT COUNT(*) FROM schema_migrations WHERE version = ?"), v).Scan(&n); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", f, err)
		}
		if _, err := tx.ExecContext(ctx, rebind(s.d, "INSERT INTO schema_migrations (version, applied) VALUES (?, ?)"), v, s.now().UnixMilli()); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", f, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", f, err)
		}
	}
	return nil
}

type queries struct {
	get, getForUpdate, count, insert, put, del, delPrefix, enqueue string
	claim, complete, reschedule, nextDue                           string
}

func buildQueries(d dialect) queries {
	lock := ""
	if d == postgres {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	q := queries{
		get:          "SELECT data, created, updated FROM records WHERE account = ? AND kind = ? AND id = ?",
		count:        "SELECT COUNT(*) FROM records WHERE account = ? AND kind = ? AND id >= ? AND id < ?",
		insert:       "INSERT INTO records (account, kind, id, data, created, updated) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, kind, id) DO NOTHING",
		put:          "INSERT INTO records (account, kind, id, data, created, updated) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, kind, id) DO UPDATE SET data = excluded.data, updated = excluded.updated",
		del:          "DELETE FROM records WHERE account = ? AND kind = ? AND id = ?",
		delPrefix:    "DELETE FROM records WHERE account = ? AND kind = ? AND id >= ? AND id < ?",
		enqueue:      "INSERT INTO jobs (queue, id, due, attempts, payload, owner, lease, created) VALUES (?, ?, ?, ?, ?, '', 0, ?) ON CONFLICT (queue, id) DO NOTHING",
		claim:        "UPDATE jobs SET owner = ?, lease = ?, attempts = attempts + 1 WHERE (queue, id) IN (SELECT queue, id FROM jobs WHERE queue = ? AND due <= ? AND lease <= ? ORDER BY due LIMIT ?" + lock + ") RETURNING id, due, attempts, payload, created",
		complete:     "DELETE FROM jobs WHERE queue = ? AND id = ? AND owner = ?",
		reschedule:   "UPDATE jobs SET due = ?, payload = ?, owner = '', lease = 0 WHERE queue = ? AND id = ? AND owner = ?",
		nextDue:      "SELECT MIN(CASE WHEN lease > due THEN lease ELSE due END) FROM jobs WHERE queue = ?",
		getForUpdate: "SELECT data, created, updated FROM records WHERE account = ? AND kind = ? AND id = ?",
	}
	if d == postgres {
		q.getForUpdate += " FOR UPDATE"
	}
	for _, p := range []*string{&q.get, &q.getForUpdate, &q.count, &q.insert, &q.put, &q.del, &q.delPrefix, &q.enqueue, &q.claim, &q.complete, &q.reschedule, &q.nextDue} {
		*p = rebind(d, *p)
	}
	return q
}

// rebind turns ? placeholders into $n for PostgreSQL.
func rebind(d dialect, q string) string {
	if d != postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// prefixEnd is the smallest string greater than every string with prefix p.
func prefixEnd(p string) string {
	if p == "" {
		return "\U0010FFFF\U0010FFFF"
	}
	return p + "\U0010FFFF"
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func get(ctx context.Context, db querier, q, account, kind, id string) (store.Record, error) {
	r := store.Record{Account: account, Kind: kind, ID: id}
	var c, u int64
	err := db.QueryRowContext(ctx, q, account, kind, id).Scan(&r.Data, &c, &u)
	if errors.Is(err, sql.ErrNoRows) {
		return r, store.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("get %s %s: %w", kind, id, err)
	}
	r.Created, r.Updated = time.UnixMilli(c).UTC(), time.UnixMilli(u).UTC()
	return r, nil
}

func list(ctx context.Context, d dialect, db querier, q store.Query) ([]store.Record, error) {
	lo := q.Prefix
	if q.After != "" && q.After >= lo {
		lo = q.After
	}
	op := ">="
	if q.After != "" && q.After >= q.Prefix {
		op = ">"
	}
	sqlq := "SELECT id, data, created, updated FROM records WHERE account = ? AND kind = ? AND id " + op + " ? AND id < ? ORDER BY id"
	args := []any{q.Account, q.Kind, lo, prefixEnd(q.Prefix)}
	if q.Limit > 0 {
		sqlq += " LIMIT ?"
		args = append(args, q.Limit)
	}
	rows, err := db.QueryContext(ctx, rebind(d, sqlq), args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", q.Kind, err)
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		r := store.Record{Account: q.Account, Kind: q.Kind}
		var c, u int64
		if err := rows.Scan(&r.ID, &r.Data, &c, &u); err != nil {
			return nil, fmt.Errorf("list %s: %w", q.Kind, err)
		}
		r.Created, r.Updated = time.UnixMilli(c).UTC(), time.UnixMilli(u).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

func count(ctx context.Context, db querier, q, account, kind, prefix string) (int, error) {
	var n int
	if err := db.QueryRowContext(ctx, q, account, kind, prefix, prefixEnd(prefix)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", kind, err)
	}
	return n, nil
}

// Get reads one record.
func (s *Store) Get(ctx context.Context, account, kind, id string) (store.Record, error) {
	return get(ctx, s.reader(), s.q.get, account, kind, id)
}

// List reads records in ID order.
func (s *Store) List(ctx context.Context, q store.Query) ([]store.Record, error) {
	return list(ctx, s.d, s.reader(), q)
}

// Count counts records whose ID has a prefix.
func (s *Store) Count(ctx context.Context, account, kind, prefix string) (int, error) {
	return count(ctx, s.reader(), s.q.count, account, kind, prefix)
}

// update runs fn in one transaction (Update retries it).
func (s *Store) update(ctx context.Context, fn func(store.Tx) error) error {
	sqltx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &tx{s: s, tx: sqltx, q: sqltx, now: s.now().UnixMilli()}
	if s.ws != nil {
		t.q = cachedTx{tx: sqltx, c: s.ws}
	}
	if err := fn(t); err != nil {
		sqltx.Rollback()
		if t.conflict != nil && !retryable(err) {
			// fn wrapped or replaced the database's verdict; the
			// transaction still failed only because of a concurrent one.
			return conflictError{err: err, cause: t.conflict}
		}
		return err
	}
	if err := sqltx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

type tx struct {
	s   *Store
	tx  *sql.Tx
	q   querier // tx, through prepared statements where the store has them
	now int64
	// conflict is the first deadlock or serialization failure a statement
	// of this transaction met (nil when none).
	conflict error
}

// note records a deadlock or serialization failure of a statement, so that
// Update retries the transaction whatever fn makes of the error.
func (t *tx) note(err error) error {
	if err != nil && t.conflict == nil && retryable(err) {
		t.conflict = err
	}
	return err
}

// reader is the querier for reads outside transactions.
func (s *Store) reader() querier {
	if s.rs != nil {
		return cachedDB{s.rs}
	}
	return s.r
}

func (t *tx) Get(ctx context.Context, account, kind, id string) (store.Record, error) {
	r, err := get(ctx, t.q, t.s.q.getForUpdate, account, kind, id)
	return r, t.note(err)
}

func (t *tx) List(ctx context.Context, q store.Query) ([]store.Record, error) {
	rs, err := list(ctx, t.s.d, t.q, q)
	return rs, t.note(err)
}

func (t *tx) Count(ctx context.Context, account, kind, prefix string) (int, error) {
	n, err := count(ctx, t.q, t.s.q.count, account, kind, prefix)
	return n, t.note(err)
}

func (t *tx) Insert(ctx context.Context, r store.Record) error {
	res, err := t.q.ExecContext(ctx, t.s.q.insert, r.Account, r.Kind, r.ID, r.Data, t.stamp(r.Created), t.now)
	if err != nil {
		return t.note(fmt.Errorf("insert %s %s: %w", r.Kind, r.ID, err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrExists
	}
	return nil
}

func (t *tx) Put(ctx context.Context, r store.Record) error {
	if _, err := t.q.ExecContext(ctx, t.s.q.put, r.Account, r.Kind, r.ID, r.Data, t.stamp(r.Created), t.now); err != nil {
		return t.note(fmt.Errorf("put %s %s: %w", r.Kind, r.ID, err))
	}
	return nil
}

func (t *tx) stamp(c time.Time) int64 {
	if c.IsZero() {
		return t.now
	}
	return c.UnixMilli()
}

func (t *tx) Delete(ctx context.Context, account, kind, id string) error {
	res, err := t.q.ExecContext(ctx, t.s.q.del, account, kind, id)
	if err != nil {
		return t.note(fmt.Errorf("delete %s %s: %w", kind, id, err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (t *tx) DeletePrefix(ctx context.Context, account, kind, prefix string) (int, error) {
	res, err := t.q.ExecContext(ctx, t.s.q.delPrefix, account, kind, prefix, prefixEnd(prefix))
	if err != nil {
		return 0, t.note(fmt.Errorf("delete %s %s*: %w", kind, prefix, err))
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

func (t *tx) Enqueue(ctx context.Context, j store.Job) error {
	due := j.Due.UnixMilli()
	if j.Due.IsZero() {
		due = t.now
	}
	if _, err := t.q.ExecContext(ctx, t.s.q.enqueue, j.Queue, j.ID, due, j.Attempts, j.Payload, t.now); err != nil {
		return t.note(fmt.Errorf("enqueue %s %s: %w", j.Queue, j.ID, err))
	}
	return nil
}

// Claim leases due jobs.
func (s *Store) Claim(ctx context.Context, queue, owner string, n int, lease time.Duration) ([]store.Job, error) {
	now := s.now()
	until := now.Add(lease).UnixMilli()
	rows, err := s.w.QueryContext(ctx, s.q.claim, owner, until, queue, now.UnixMilli(), now.UnixMilli(), n)
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", queue, err)
	}
	defer rows.Close()
	var out []store.Job
	for rows.Next() {
		j := store.Job{Queue: queue, Owner: owner, Lease: time.UnixMilli(until)}
		var due, created int64
		if err := rows.Scan(&j.ID, &due, &j.Attempts, &j.Payload, &created); err != nil {
			return nil, fmt.Errorf("claim %s: %w", queue, err)
		}
		j.Due, j.Created = time.UnixMilli(due), time.UnixMilli(created)
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim %s: %w", queue, err)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Due.Before(out[b].Due) })
	return out, nil
}

// Complete deletes a finished job.
func (s *Store) Complete(ctx context.Context, j store.Job) error {
	res, err := s.w.ExecContext(ctx, s.q.complete, j.Queue, j.ID, j.Owner)
	if err != nil {
		return fmt.Errorf("complete %s %s: %w", j.Queue, j.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrLeaseLost
	}
	return nil
}

// Reschedule releases a job to run again at due.
func (s *Store) Reschedule(ctx context.Context, j store.Job, due time.Time) error {
	res, err := s.w.ExecContext(ctx, s.q.reschedule, due.UnixMilli(), j.Payload, j.Queue, j.ID, j.Owner)
	if err != nil {
		return fmt.Errorf("reschedule %s %s: %w", j.Queue, j.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrLeaseLost
	}
	return nil
}

// NextDue returns when the next job of a queue becomes claimable.
func (s *Store) NextDue(ctx context.Context, queue string) (time.Time, error) {
	var v sql.NullInt64
	if err := s.r.QueryRowContext(ctx, s.q.nextDue, queue).Scan(&v); err != nil {
		return time.Time{}, fmt.Errorf("next due %s: %w", queue, err)
	}
	if !v.Valid {
		return time.Time{}, nil
	}
	return time.UnixMilli(v.Int64), nil
}

var _ store.Store = (*Store)(nil)

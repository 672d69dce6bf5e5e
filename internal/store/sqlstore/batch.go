package sqlstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/duplexsms/duplex/internal/store"
)

// CompleteBatch deletes finished jobs in one transaction; jobs whose owner
// no longer holds them are skipped. The rows are deleted in key order, so
// two nodes' batches cannot deadlock on each other; a transaction aborted
// by the database for a conflict is run again.
func (s *Store) CompleteBatch(ctx context.Context, jobs []store.Job) (int, error) {
	if len(jobs) == 0 {
		return 0, nil
	}
	sorted := slices.Clone(jobs)
	slices.SortFunc(sorted, func(a, b store.Job) int {
		return cmp.Or(strings.Compare(a.Queue, b.Queue), strings.Compare(a.ID, b.ID))
	})
	for attempt := 1; ; attempt++ {
		n, err := s.completeBatch(ctx, sorted)
		if err == nil || s.d != postgres || !retryable(err) || attempt == maxTxAttempts {
			return n, err
		}
		s.retries.Add(1)
		if backoff(ctx, attempt) != nil {
			return n, err
		}
	}
}

func (s *Store) completeBatch(ctx context.Context, jobs []store.Job) (int, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("complete batch: begin: %w", err)
	}
	stmt, err := tx.PrepareContext(ctx, s.q.complete)
	if err != nil {
		tx.Rollback()
		return 0, fmt.Errorf("complete batch: %w", err)
	}
	defer stmt.Close()
	n := 0
	for _, j := range jobs {
		res, err := stmt.ExecContext(ctx, j.Queue, j.ID, j.Owner)
		if err != nil {
			tx.Rollback()
			return 0, fmt.Errorf("complete %s %s: %w", j.Queue, j.ID, err)
		}
		if k, _ := res.RowsAffected(); k > 0 {
			n++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("complete batch: commit: %w", err)
	}
	return n, nil
}

var _ store.BatchQueue = (*Store)(nil)

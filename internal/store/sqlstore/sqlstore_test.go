package sqlstore_test

import (
	"context"
	"testing"

	"github.com/duplexsms/duplex/internal/store"
	"github.com/duplexsms/duplex/internal/store/sqlstore"
	"github.com/duplexsms/duplex/internal/store/storetest"
	"github.com/duplexsms/duplex/internal/testutil"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlstore.OpenSQLite(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		dsn := testutil.PostgresDSN(t)
		s, err := sqlstore.OpenPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := sqlstore.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx store.Tx) error {
		return tx.Insert(ctx, store.Record{Account: "1", Kind: "k", ID: "x", Data: []byte("kept")})
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = sqlstore.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Get(ctx, "1", "k", "x")
	if err != nil || string(r.Data) != "kept" {
		t.Fatalf("after reopen: %q, %v", r.Data, err)
	}
}

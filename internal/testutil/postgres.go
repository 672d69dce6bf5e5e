// Package testutil holds helpers shared by tests: a fresh PostgreSQL schema
// per test, and free ports.
package testutil

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// PostgresDSN returns a DSN whose search_path is a new, empty schema that is
// dropped when the test ends. The server comes from DUPLEX_TEST_POSTGRES
// (default postgres://postgres@127.0.0.1:5432/test). When no server answers
// the test is skipped, unless DUPLEX_REQUIRE_POSTGRES=1 (set by CI), in which
// case it fails: CI must never pass by skipping.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv("DUPLEX_TEST_POSTGRES")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	db, err := sql.Open("pgx", base)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("DUPLEX_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL required but unreachable at %s: %v", base, err)
		}
		t.Skipf("PostgreSQL not reachable at %s: %v", base, err)
	}
	schema := fmt.Sprintf("t_%d_%08x", time.Now().UnixNano(), rand.Uint32())
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

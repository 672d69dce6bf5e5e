package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/duplexsms/duplex/internal/testutil"
)

// The tests of the real binary and the aws CLI, on PostgreSQL too (the
// flows of helpers_test.go run on both stores already): the binary with
// --database-url and the master key file, the CLI against a harness on
// PostgreSQL.

// postgresArgs are `duplex serve` flags for a new PostgreSQL schema with a
// new master key file.
func postgresArgs(t *testing.T) []string {
	t.Helper()
	dsn := testutil.PostgresDSN(t)
	key := make([]byte, 32)
	rand.Read(key)
	file := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(file, []byte(hex.EncodeToString(key)), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"--database-url", dsn, "--master-key-file", file}
}

// TestBinaryGracefulShutdownPostgres: SIGTERM, exit 0, and a second start
// on the same database finds the state.
func TestBinaryGracefulShutdownPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	testBinaryGracefulShutdown(t, postgresArgs(t)...)
}

// TestWalkthroughPostgres: the README's walkthrough against a server on
// PostgreSQL.
func TestWalkthroughPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	testWalkthrough(t, postgresArgs(t)...)
}

func TestAWSCLIPostgres(t *testing.T) { testAWSCLI(t, Postgres) }

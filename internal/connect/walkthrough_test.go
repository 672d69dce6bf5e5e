package connect_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/e2e"
)

// TestConnectWalkthrough runs the README's Amazon Connect walkthrough
// (scripts/connect-walkthrough.sh) with the real aws CLI (botocore's
// connect and connectparticipant clients) and the duplex CLI against a
// server with the dev account: the README must stay true.
func TestConnectWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the aws CLI is not installed")
	}
	if testing.Short() {
		t.Skip("builds the binary and runs the aws CLI")
	}
	t.Parallel() // mostly waiting for the aws CLI to start
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(t.TempDir(), "duplex")
	build := exec.Command("go", "build", "-o", bin, "./cmd/duplex")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	h := e2e.Start(t, e2e.SQLite, func(c *config.Config) {
		c.Accounts = []config.Account{{ID: config.DevAccount, AccessKeys: []config.AccessKey{{ID: config.DevAccessKey, Secret: config.DevSecret}}}}
		c.DevDefaults = true
	})
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "connect-walkthrough.sh"))
	cmd.Dir = root
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DUPLEX_") && !strings.HasPrefix(kv, "AWS_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "DUPLEX="+bin, "ENDPOINT="+h.URL, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	b, err := cmd.CombinedOutput()
	out := string(b)
	if err != nil {
		t.Fatalf("walkthrough failed: %v\n%s", err, out)
	}
	for _, want := range []string{
		"import CLAIMED",
		"True\tconnect.us-east-1.amazonaws.com",
		"CHAT\t+14255550182",
		`"messageBody":"It ships today."`,
		"chats: 1",
		"CUSTOMER\tWhere is my order?\nAGENT\tIt ships today.\nCUSTOMER\tThanks!",
		"AGENT_DISCONNECT",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the walkthrough's output lacks %q:\n%s", want, out)
		}
	}
}

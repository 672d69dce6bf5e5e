package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestWalkthrough runs the README's walkthrough (scripts/walkthrough.sh)
// with the real aws CLI against the real binary, and checks the payloads
// the subscriber printed: the README must stay true.
func TestWalkthrough(t *testing.T) { testWalkthrough(t) }

// testWalkthrough runs the walkthrough against `duplex serve` with args.
func testWalkthrough(t *testing.T, args ...string) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the aws CLI is not installed")
	}
	bin := buildDuplex(t)
	addr := freeAddr(t)
	p := startDuplex(t, bin, addr, t.TempDir(), args...)
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	payloads := filepath.Join(t.TempDir(), "payloads.txt")
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "walkthrough.sh"))
	cmd.Dir = root
	cmd.Env = append(envWithout("DUPLEX_"), "DUPLEX="+bin, "ENDPOINT=http://"+addr, "SUB_ADDR="+freeAddr(t),
		"PAYLOADS="+payloads, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("walkthrough failed: %v\n%s\nserver: %s", err, out, p.stderr)
	}
	b, err := os.ReadFile(payloads)
	noErr(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 4 {
		t.Fatalf("subscriber got %d payloads, want 4:\n%s\nwalkthrough:\n%s", len(lines), b, out)
	}
	var got []map[string]string
	for _, l := range lines {
		var m map[string]string
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("payload %q: %v", l, err)
		}
		got = append(got, m)
	}
	want := []struct{ body, keyword string }{{"JOIN", "KEYWORD_000000000000"}, {"thanks", "KEYWORD_000000000000"},
		{"via the role", "KEYWORD_000000000000"}, {"STOP", "STOP"}}
	for i, w := range want {
		if got[i]["messageBody"] != w.body || got[i]["messageKeyword"] != w.keyword {
			t.Errorf("payload %d = %v, want body %q keyword %q", i, got[i], w.body, w.keyword)
		}
	}
	if got[0]["previousPublishedMessageId"] != "" || got[1]["previousPublishedMessageId"] == "" {
		t.Errorf("previousPublishedMessageId: first %q (want none), second %q (want the reply)",
			got[0]["previousPublishedMessageId"], got[1]["previousPublishedMessageId"])
	}
	if !strings.Contains(string(out), "DESTINATION_PHONE_NUMBER_OPTED_OUT") && !strings.Contains(string(out), "has opted out") {
		t.Errorf("sending to an opted-out number was not refused:\n%s", out)
	}
}

package smppbench

import (
	"context"
	"testing"
)

// The benchmark runs end to end on a small count (it must not rot); the
// numbers are printed, never asserted.
func TestRunSmall(t *testing.T) {
	rep, err := Run(context.Background(), Options{Count: 200, Clients: 8, Window: 16, Data: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Phases) != 7 {
		t.Fatalf("phases: %+v", rep.Phases)
	}
	for _, p := range rep.Phases {
		if p.Count != 200 {
			t.Errorf("%s: count %d, want 200", p.Name, p.Count)
		}
	}
	t.Logf("\n%s", rep)
}

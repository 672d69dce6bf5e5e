package smpp_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/duplexsms/duplex/internal/smpp/smsc"
	"github.com/duplexsms/duplex/internal/smsvoice"
)

// sendMany sends n messages (concurrently, as API clients would) and
// returns their IDs by body.
func (e *env) sendMany(prefix string, n int) map[string]string {
	e.t.Helper()
	ids := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			body := fmt.Sprintf("%s %03d", prefix, i)
			id := e.send("+14255550100", body)
			mu.Lock()
			ids[body] = id
			mu.Unlock()
		}()
	}
	wg.Wait()
	return ids
}

// allDelivered checks that every message reached the SMSC and is
// DELIVERED: none lost. Duplicates at the SMSC are allowed (a send whose
// response was lost is sent again); they are counted.
func (e *env) allDelivered(ids map[string]string) (dups int) {
	e.t.Helper()
	for body, id := range ids {
		e.waitStatus(id, smsvoice.StatusDelivered)
		e.mt(body)
	}
	seen := map[string]int{}
	for _, m := range e.sim.Received("") {
		seen[m.Body]++
	}
	for body := range ids {
		dups += seen[body] - 1
	}
	return dups
}

func (e *env) waitMetric(name string, labels map[string]string, atLeast float64) {
	e.t.Helper()
	deadline := time.Now().Add(waitBound)
	for e.metric(name, labels) < atLeast {
		if time.Now().After(deadline) {
			e.t.Fatalf("%s%v = %v, want ≥ %v", name, labels, e.metric(name, labels), atLeast)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFaultDropMidWindow(t *testing.T) {
	e := newEnv(t, smsc.Config{}, "")
	e.sim.Inject(smsc.Faults{DropAfter: 7})
	ids := e.sendMany("drop", 60)
	dups := e.allDelivered(ids)
	if n := e.metric("duplex_smpp_binds_total", map[string]string{"result": "ok"}); n < 2 {
		t.Errorf("binds ok = %v: the fault did not drop the link", n)
	}
	t.Logf("60 messages, link dropped mid-window: none lost, %d duplicate(s) at the SMSC", dups)
}

func TestFaultRefusedBinds(t *testing.T) {
	sim, addr := startSim(t, smsc.Config{})
	sim.Inject(smsc.Faults{RefuseBinds: 5})
	e := attach(t, sim, addr, "")
	ids := e.sendMany("refused", 10)
	e.allDelivered(ids)
	if n := e.metric("duplex_smpp_binds_total", map[string]string{"result": "refused"}); n != 5 {
		t.Errorf("refused binds = %v, want 5", n)
	}
}

func TestFaultWrongPassword(t *testing.T) {
	sim, addr := startSim(t, smsc.Config{SystemID: "duplex", Password: "other"})
	e := attach(t, sim, addr, "")
	e.waitMetric("duplex_smpp_binds_total", map[string]string{"result": "refused"}, 2)
	if st := sim.Status(); st.Binds != 0 {
		t.Fatalf("SMSC accepted %d binds with a wrong password", st.Binds)
	}
}

func TestFaultThrottle(t *testing.T) {
	e := newEnv(t, smsc.Config{}, "")
	e.sim.Inject(smsc.Faults{Throttle: 25, QueueFull: 10})
	ids := e.sendMany("throttled", 40)
	e.allDelivered(ids)
	if n := e.metric("duplex_smpp_throttled_total", nil); n < 1 {
		t.Errorf("throttled_total = %v", n)
	}
	if n := e.metric("duplex_smpp_pdus_total", map[string]string{"command": "submit_sm_resp", "status": "ESME_RTHROTTLED"}); n != 25 {
		t.Errorf("submit_sm_resp ESME_RTHROTTLED = %v, want 25", n)
	}
}

func TestFaultGarbage(t *testing.T) {
	e := newEnv(t, smsc.Config{}, "")
	e.allDelivered(e.sendMany("before", 5))
	e.sim.Inject(smsc.Faults{Garbage: "framed"})
	e.waitMetric("duplex_smpp_garbage_total", nil, 1)
	e.waitMetric("duplex_smpp_pdus_total", map[string]string{"direction": "out", "command": "generic_nack"}, 1)
	e.allDelivered(e.sendMany("after framed", 5))
	if n := e.metric("duplex_smpp_binds_total", map[string]string{"result": "ok"}); n != 1 {
		t.Errorf("binds = %v: well-framed garbage must not cost the bind", n)
	}
	e.sim.Inject(smsc.Faults{Garbage: "unframed"})
	e.waitMetric("duplex_smpp_binds_total", map[string]string{"result": "ok"}, 2)
	e.allDelivered(e.sendMany("after unframed", 5))
}

func TestFaultSilent(t *testing.T) {
	e := newEnv(t, smsc.Config{}, "")
	e.allDelivered(e.sendMany("before", 5))
	on, off := true, false
	e.sim.Inject(smsc.Faults{Silent: &on})
	ids := e.sendMany("during", 20)
	// The link notices the silence (enquire_link unanswered), drops and
	// cannot bind again while the SMSC says nothing.
	e.waitMetric("duplex_smpp_binds_total", map[string]string{"result": "error"}, 1)
	e.sim.Inject(smsc.Faults{Silent: &off})
	e.allDelivered(ids)
	e.allDelivered(e.sendMany("after", 5))
}

func TestDecimalReceiptIDs(t *testing.T) {
	e := newEnv(t, smsc.Config{}, "")
	yes := true
	e.sim.Inject(smsc.Faults{DecimalReceiptIDs: &yes})
	e.allDelivered(e.sendMany("decimal", 3))
	if n := e.metric("duplex_smpp_receipts_unmatched_total", nil); n != 0 {
		t.Errorf("unmatched receipts = %v", n)
	}
}

func TestFailedReceipt(t *testing.T) {
	e := newEnv(t, smsc.Config{Receipts: "undeliverable"}, "")
	id := e.send("+14255550100", "nobody home")
	m := e.waitStatus(id, smsvoice.StatusFailed)
	if !strings.Contains(m.StatusReason, "UNDELIV") {
		t.Errorf("statusReason %q", m.StatusReason)
	}
	long := e.send("+14255550100", strings.Repeat("long and lost ", 30))
	if m := e.waitStatus(long, smsvoice.StatusFailed); !strings.Contains(m.StatusReason, "part") {
		t.Errorf("statusReason %q", m.StatusReason)
	}
	e.waitMetric("duplex_smpp_delivery_seconds", map[string]string{"status": "FAILED"}, 2)
	if n := e.metric("duplex_smpp_delivery_seconds", map[string]string{"status": "FAILED"}); n != 2 {
		t.Errorf("delivery_seconds{FAILED} count = %v", n)
	}
}

// MOs keep coming while the connection drops: every one is delivered to
// duplex at least once (acknowledged only once durable).
func TestFaultMODuringDrops(t *testing.T) {
	e := newEnv(t, smsc.Config{}, "")
	const n = 300
	done := make(chan smsc.LoadResult)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitBound)
		defer cancel()
		done <- e.sim.RunLoad(ctx, smsc.Load{Count: n, From: "+14255550199", To: e.number, Concurrency: 16})
	}()
	e.waitMetric("duplex_smpp_mo_total", map[string]string{"result": "accepted"}, 50)
	e.sim.Inject(smsc.Faults{Garbage: "unframed"})
	e.waitMetric("duplex_smpp_binds_total", map[string]string{"result": "ok"}, 2)
	r := <-done
	if r.Acked != n {
		t.Fatalf("load: %+v", r)
	}
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("load test %d", i))
	}
	e.waitInbound(want...)
}

// Shutdown drains and unbinds.
func TestUnbindOnShutdown(t *testing.T) {
	e := newEnv(t, smsc.Config{}, "")
	e.allDelivered(e.sendMany("bye", 3))
	e.h.Stop()
	if st := e.sim.Status(); st.Unbinds != 1 {
		t.Fatalf("SMSC saw %d unbinds", st.Unbinds)
	}
}

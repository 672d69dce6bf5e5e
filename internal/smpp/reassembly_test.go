package smpp

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/duplexsms/duplex/internal/carrier"
	"github.com/duplexsms/duplex/internal/smpp/pdu"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/duplexsms/duplex/internal/store/sqlstore"
)

type memSink struct {
	mu  sync.Mutex
	got []carrier.Inbound
}

func (s *memSink) Receive(_ context.Context, in carrier.Inbound) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, in)
	return "x", nil
}

// Parts are durable until the message completes; a message whose parts
// stop coming is delivered with "…" for the missing ones after the
// reassembly timeout, and a completed one is delivered exactly once even
// when its parts are redelivered.
func TestReassembly(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	var clock sync.Mutex
	sink := &memSink{}
	cfg, _ := ParseURL("smpp://a:b@127.0.0.1:1?name=c")
	m, err := NewManager([]LinkConfig{cfg}, Options{Store: st, SMS: smsvoice.New(st, "us-east-1"), Sink: sink,
		ReassemblyTimeout: time.Minute, Now: func() time.Time { clock.Lock(); defer clock.Unlock(); return now }})
	if err != nil {
		t.Fatal(err)
	}
	c := m.Carriers()["c"]
	l := c.links[0]
	part := func(ref, total, seq byte, text string) pdu.Status {
		return c.inbound(l, &pdu.PDU{Command: pdu.DeliverSM, Source: pdu.Address{TON: 1, Addr: "14255550100"}, Dest: pdu.Address{TON: 1, Addr: "12065550100"},
			ESMClass: pdu.ESMClassUDHI, ShortMessage: append(pdu.ConcatUDH(ref, total, seq), text...)})
	}
	// Message 1: parts 3, 1, then 1 again (redelivered), then 2.
	for _, p := range []struct {
		seq  byte
		text string
	}{{3, "c"}, {1, "a"}, {1, "a"}} {
		if st := part(1, 3, p.seq, p.text); st != pdu.StatusOK {
			t.Fatalf("part %d: %s", p.seq, st)
		}
	}
	if len(sink.got) != 0 {
		t.Fatalf("delivered before complete: %+v", sink.got)
	}
	part(1, 3, 2, "b")
	part(1, 3, 2, "b") // redelivered after completion: recognised, dropped
	if len(sink.got) != 1 || sink.got[0].Body != "abc" || sink.got[0].From != "+14255550100" {
		t.Fatalf("got %+v", sink.got)
	}
	// The reference comes round again for a new message: not a duplicate.
	part(1, 3, 1, "d")
	part(1, 3, 2, "e")
	part(1, 3, 3, "f")
	if len(sink.got) != 2 || sink.got[1].Body != "def" {
		t.Fatalf("reused reference: %+v", sink.got)
	}
	// Message 2 never completes.
	part(2, 3, 1, "x")
	part(2, 3, 3, "z")
	c.sweep(ctx)
	if len(sink.got) != 2 {
		t.Fatalf("swept before the timeout: %+v", sink.got)
	}
	clock.Lock()
	now = now.Add(2 * time.Minute)
	clock.Unlock()
	c.sweep(ctx)
	if len(sink.got) != 3 || sink.got[2].Body != "x…z" {
		t.Fatalf("after timeout: %+v", sink.got)
	}
	clock.Lock()
	now = now.Add(doneTTL)
	clock.Unlock()
	c.sweep(ctx) // forgets the delivered groups' parts
	if n, _ := st.Count(ctx, "", KindMOPart, ""); n != 0 {
		t.Fatalf("%d parts left in the store", n)
	}
	if recs, _ := st.List(ctx, store.Query{Kind: KindMOGroup}); len(recs) != 0 {
		t.Fatalf("%d groups left", len(recs))
	}
}

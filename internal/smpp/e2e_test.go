package smpp_test

import (
	"strings"
	"testing"

	"github.com/duplexsms/duplex/internal/smpp/pdu"
	"github.com/duplexsms/duplex/internal/smpp/smsc"
	"github.com/duplexsms/duplex/internal/smsvoice"
)

// Bodies that cover the encodings: GSM 03.38 with the extension table,
// UCS-2 with emoji (surrogate pairs), long ones in both.
var (
	gsmLong  = strings.Repeat("Hello {world} [x] ~|\\^€ @£$¥ ÆØÅ äöüñ. ", 12)
	ucs2Long = strings.Repeat("Привет, мир! 😀 こんにちは 🎉 ", 10)
)

func TestEndToEnd(t *testing.T) {
	e := newEnv(t, smsc.Config{}, "")
	cases := []struct {
		name, body string
		parts      int
		coding     byte
	}{
		{"short GSM", "Hello from duplex @ £5", 1, pdu.CodingDefault},
		{"extension table", "{[~|\\^€]}", 1, pdu.CodingDefault},
		{"long GSM", gsmLong, 0, pdu.CodingDefault},
		{"emoji", "ok 😀", 1, pdu.CodingUCS2},
		{"long UCS-2", ucs2Long, 0, pdu.CodingUCS2},
	}
	ids := map[string]string{}
	for _, c := range cases {
		ids[c.name] = e.send("+14255550100", c.body)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := e.mt(c.body)
			if c.parts == 0 && m.Parts < 2 {
				t.Errorf("long message arrived in %d part(s)", m.Parts)
			}
			if c.parts > 0 && m.Parts != c.parts {
				t.Errorf("parts = %d, want %d", m.Parts, c.parts)
			}
			parts := m.Parts
			if m.DataCoding != c.coding {
				t.Errorf("data_coding = %d, want %d", m.DataCoding, c.coding)
			}
			if m.From != e.number || m.To != "+14255550100" {
				t.Errorf("from %s to %s", m.From, m.To)
			}
			out := e.waitStatus(ids[c.name], smsvoice.StatusDelivered)
			if out.CarrierMessageID == "" || len(strings.Split(out.CarrierMessageID, ",")) != parts {
				t.Errorf("carrierMessageId %q for %d parts", out.CarrierMessageID, parts)
			}
		})
	}
	if n := e.metric("duplex_smpp_receipts_total", map[string]string{"stat": "DELIVRD"}); n < 1 {
		t.Errorf("duplex_smpp_receipts_total{stat=DELIVRD} = %v", n)
	}
	// No response may arrive for a request the link did not record (the
	// window race of libraries that write before recording).
	if n := e.metric("duplex_smpp_garbage_total", nil); n != 0 {
		t.Errorf("garbage_total = %v", n)
	}
	if n := e.metric("duplex_smpp_link_state", nil); n != 3 {
		t.Errorf("link state = %v, want 3 (bound)", n)
	}

	// Mobile-originated: each coding and form of concatenation.
	mos := []smsc.MO{
		{From: "+14255550111", Body: "STATUS please"},
		{From: "+14255550112", Body: gsmLong, Order: "reverse"},
		{From: "+14255550113", Body: ucs2Long, Order: "shuffle"},
		{From: "+14255550114", Body: "Ça coûte 5€? Non: 5 £, ¿qué?", Coding: "ucs2"},
		{From: "+14255550115", Body: "Größe: ½ · §1 ¿Sí? ©", Coding: "latin1"},
		{From: "+14255550116", Body: "payload: " + ucs2Long, Payload: true},
		{From: "+14255550117", Body: gsmLong + " sar", SAR: true, Order: "reverse"},
		{From: "+14255550118", Body: "🎉", Coding: "ucs2"},
	}
	var want []string
	for _, mo := range mos {
		e.mo(mo)
		want = append(want, mo.Body)
	}
	got := e.waitInbound(want...)
	for _, mo := range mos {
		m := got[mo.Body]
		if m.OriginationNumber != mo.From || m.DestinationNumber != e.number || m.Carrier != "smpp" {
			t.Errorf("inbound %.20q: from %s to %s carrier %s", mo.Body, m.OriginationNumber, m.DestinationNumber, m.Carrier)
		}
	}
	if n := len(e.inbound()); n != len(mos) {
		t.Errorf("%d inbound messages, want %d (a duplicate or a stray part?)", n, len(mos))
	}
}

package pdu

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func samples() []*PDU {
	return []*PDU{
		{Command: BindTransceiver, Seq: 1, SystemID: "duplex", Password: "secret", SystemType: "SMS", InterfaceVersion: 0x34, AddrTON: 1, AddrNPI: 1, AddressRange: "^1206"},
		{Command: BindTransceiverResp, Seq: 1, SystemID: "smsc", TLVs: []TLV{{Tag: TagSCInterfaceVersion, Value: []byte{0x34}}}},
		{Command: BindReceiverResp, Seq: 2, Status: StatusBindFail, NoBody: true},
		{Command: SubmitSM, Seq: 7, Source: Address{1, 1, "12065550100"}, Dest: Address{1, 1, "14255550182"}, ESMClass: ESMClassUDHI,
			RegisteredDelivery: 1, DataCoding: CodingUCS2, ShortMessage: append(ConcatUDH(9, 2, 1), 0, 'h', 0, 'i'),
			TLVs: []TLV{{Tag: TagUserMessageReference, Value: Uint16(5)}}},
		{Command: SubmitSMResp, Seq: 7, MessageID: "abc123"},
		{Command: DeliverSM, Seq: 8, Source: Address{1, 1, "14255550182"}, Dest: Address{1, 1, "12065550100"},
			TLVs: []TLV{{Tag: TagMessagePayload, Value: bytes.Repeat([]byte("x"), 1000)}}},
		{Command: DeliverSMResp, Seq: 8},
		{Command: DataSM, Seq: 9, Source: Address{1, 1, "1"}, Dest: Address{1, 1, "2"}, DataCoding: 3},
		{Command: DataSMResp, Seq: 9, MessageID: "m"},
		{Command: QuerySM, Seq: 10, MessageID: "abc", Source: Address{1, 1, "1"}},
		{Command: QuerySMResp, Seq: 10, MessageID: "abc", FinalDate: "", MessageState: StateDelivered},
		{Command: CancelSM, Seq: 11, MessageID: "abc", Source: Address{1, 1, "1"}, Dest: Address{1, 1, "2"}},
		{Command: CancelSMResp, Seq: 11},
		{Command: ReplaceSM, Seq: 12, MessageID: "abc", Source: Address{1, 1, "1"}, ShortMessage: []byte("new")},
		{Command: ReplaceSMResp, Seq: 12},
		{Command: EnquireLink, Seq: 13},
		{Command: EnquireLinkResp, Seq: 13},
		{Command: Unbind, Seq: 14},
		{Command: UnbindResp, Seq: 14},
		{Command: GenericNack, Seq: 0, Status: StatusInvCmdID},
		{Command: Outbind, Seq: 15, SystemID: "s", Password: "p"},
		{Command: AlertNotification, Seq: 16, Source: Address{1, 1, "1"}, Dest: Address{1, 1, "2"}, TLVs: []TLV{{Tag: TagMsAvailabilityStatus, Value: []byte{0}}}},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, p := range samples() {
		b, err := p.Encode()
		if err != nil {
			t.Fatalf("%s: %v", p.Command, err)
		}
		q, err := Decode(b)
		if err != nil {
			t.Fatalf("%s: decode: %v", p.Command, err)
		}
		if p.ShortMessage == nil && q.ShortMessage != nil && len(q.ShortMessage) == 0 {
			q.ShortMessage = nil
		}
		if !reflect.DeepEqual(p, q) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", p.Command, q, p)
		}
		b2, _ := q.Encode()
		if !bytes.Equal(b, b2) {
			t.Errorf("%s: re-encoding differs", p.Command)
		}
		if _, err := ReadFrame(bytes.NewReader(b), MaxLen); err != nil {
			t.Errorf("%s: ReadFrame: %v", p.Command, err)
		}
	}
}

// A submit_sm as the SMPP 3.4 specification lays it out, written by hand.
func TestKnownBytes(t *testing.T) {
	want := "00000034" + "00000004" + "00000000" + "00000002" +
		"00" + "01013132333400" + "01013536373800" + // service_type, source, dest
		"000000" + "00" + "00" + "01000000" + // esm_class, protocol_id, priority, schedule & validity NULL, registered_delivery, replace, data_coding, sm_default_msg_id
		"05" + "68656c6c6f" + // sm_length, short_message
		"02040002" + "0007" // user_message_reference TLV
	b, _ := hex.DecodeString(want)
	p, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Source.Addr != "1234" || p.Dest.Addr != "5678" || string(p.ShortMessage) != "hello" || p.RegisteredDelivery != 1 || p.Seq != 2 {
		t.Fatalf("decoded %+v", p)
	}
	if v, ok := p.TLVUint16(TagUserMessageReference); !ok || v != 7 {
		t.Fatalf("TLV = %d %v", v, ok)
	}
	got, _ := p.Encode()
	if !bytes.Equal(got, b) {
		t.Fatalf("encode = %x\nwant     %x", got, b)
	}
}

func TestStrict(t *testing.T) {
	ok, _ := (&PDU{Command: SubmitSM, Seq: 1, Source: Address{1, 1, "1"}, Dest: Address{1, 1, "2"}, ShortMessage: []byte("hi")}).Encode()
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), ok...)) }
	setLen := func(b []byte) []byte {
		n := len(b)
		b[0], b[1], b[2], b[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
		return b
	}
	for name, b := range map[string][]byte{
		"truncated body":     mut(func(b []byte) []byte { return setLen(b[:len(b)-3]) }),
		"trailing bytes":     mut(func(b []byte) []byte { return setLen(append(b, 0, 1, 0)) }),
		"sm_length overruns": mut(func(b []byte) []byte { b[len(b)-3] = 200; return b }),
		"unterminated addr":  mut(func(b []byte) []byte { return setLen(append(b[:16], bytes.Repeat([]byte{'9'}, 40)...)) }),
		"seq zero":           mut(func(b []byte) []byte { b[15] = 0; return b }),
		"unknown command":    mut(func(b []byte) []byte { b[7] = 0x77; return b }),
		"submit_multi":       mut(func(b []byte) []byte { b[7] = 0x21; return b }),
		"truncated TLV": mut(func(b []byte) []byte {
			return setLen(append(b, 0x04, 0x24, 0x00, 0x10, 1, 2))
		}),
	} {
		_, err := Decode(b)
		var de *DecodeError
		if !errors.As(err, &de) {
			t.Errorf("%s: err = %v, want DecodeError", name, err)
		}
	}
	if _, err := Decode(mut(func(b []byte) []byte { b[3]++; return b })); !errors.Is(err, ErrFrame) {
		t.Errorf("length mismatch: %v", err)
	}
	for _, n := range []uint32{0, 15, MaxLen + 1, 0xffffffff} {
		b := []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n), 0, 0, 0, 0x15}
		if _, err := ReadFrame(bytes.NewReader(b), MaxLen); !errors.Is(err, ErrFrame) {
			t.Errorf("ReadFrame length %d: %v", n, err)
		}
	}
	if _, err := (&PDU{Command: SubmitSM, Seq: 1, ShortMessage: make([]byte, 255)}).Encode(); err == nil {
		t.Error("255-octet short_message encoded")
	}
	if _, err := (&PDU{Command: BindTransmitter, Seq: 1, SystemID: strings.Repeat("x", 16)}).Encode(); err == nil {
		t.Error("16-character system_id encoded")
	}
}

func TestUDH(t *testing.T) {
	c, ok, rest, err := SplitUDH(append(ConcatUDH(7, 3, 2), 'a', 'b'))
	if err != nil || !ok || c != (Concat{7, 3, 2}) || string(rest) != "ab" {
		t.Fatalf("8-bit: %+v %v %q %v", c, ok, rest, err)
	}
	// 16-bit reference, after an unrelated IE (port addressing 0x05).
	b := []byte{0x0c, 0x05, 0x04, 0x0b, 0x84, 0x23, 0xf0, 0x08, 0x04, 0x12, 0x34, 0x02, 0x01, 'z'}
	c, ok, rest, err = SplitUDH(b)
	if err != nil || !ok || c != (Concat{0x1234, 2, 1}) || string(rest) != "z" {
		t.Fatalf("16-bit: %+v %v %q %v", c, ok, rest, err)
	}
	for _, bad := range [][]byte{{}, {0x05, 0x00, 0x03}, {0x03, 0x00, 0x05, 0x01}, {0x05, 0x00, 0x03, 1, 2, 3}, {0x05, 0x00, 0x03, 1, 2, 0}} {
		if _, _, _, err := SplitUDH(bad); err == nil {
			t.Errorf("SplitUDH(%x) accepted", bad)
		}
	}
}

func TestReceipt(t *testing.T) {
	r, ok := ParseReceipt("id:0A1B2C sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:000 text:Hello id:x stat:UNDELIV")
	if !ok || r.ID != "0A1B2C" || r.Stat != "DELIVRD" || r.SubmitDate != "2401011200" || r.DoneDate != "2401011201" || r.Err != "000" || r.Text != "Hello id:x stat:UNDELIV" {
		t.Fatalf("%+v %v", r, ok)
	}
	r, ok = ParseReceipt("ID:42 STAT:UNDELIV ERR:5")
	if !ok || r.ID != "42" || r.Stat != "UNDELIV" || r.Err != "5" {
		t.Fatalf("%+v %v", r, ok)
	}
	if _, ok := ParseReceipt("hello there"); ok {
		t.Fatal("plain text read as a receipt")
	}
	want := Receipt{ID: "1", Sub: "001", Dlvrd: "001", SubmitDate: "2401011200", DoneDate: "2401011201", Stat: "DELIVRD", Err: "000", Text: "x"}
	if got, _ := ParseReceipt(want.String()); got != want {
		t.Fatalf("round trip %+v", got)
	}
	if StateOf("DELIVRD") != StateDelivered || StatOf(StateUndeliverable) != "UNDELIV" {
		t.Fatal("state mapping")
	}
}

func TestResponseOf(t *testing.T) {
	if SubmitSM.Response() != SubmitSMResp || Outbind.Response() != GenericNack || BindReceiver.Response() != BindReceiverResp {
		t.Fatal("Response()")
	}
}

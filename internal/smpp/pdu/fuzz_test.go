package pdu

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecode: the decoder never panics, refuses with a typed error, and a
// PDU it accepts re-encodes to exactly the bytes it came from.
func FuzzDecode(f *testing.F) {
	for _, p := range samples() {
		b, _ := p.Encode()
		f.Add(b)
	}
	f.Add([]byte{0, 0, 0, 16, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0, 0, 0, 9})
	f.Fuzz(func(t *testing.T, b []byte) {
		if fr, err := ReadFrame(bytes.NewReader(b), MaxLen); err == nil && len(fr) > len(b) {
			t.Fatalf("frame longer than input")
		}
		p, err := Decode(b)
		if err != nil {
			var de *DecodeError
			if !errors.Is(err, ErrFrame) && !errors.As(err, &de) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		out, err := p.Encode()
		if err != nil {
			t.Fatalf("decoded PDU does not encode: %v (%+v)", err, p)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("re-encoding differs:\n in %x\nout %x", b, out)
		}
		q, err := Decode(out)
		if err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("second decode: %v", err)
		}
		// Accessors must tolerate whatever TLVs came.
		p.TLVString(TagReceiptedMessageID)
		p.TLVByte(TagMessageState)
		p.SARConcat()
		if p.ESMClass&ESMClassUDHI != 0 {
			SplitUDH(p.ShortMessage)
		}
		ParseReceipt(string(p.ShortMessage))
	})
}

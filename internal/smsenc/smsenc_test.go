package smsenc

import (
	"strings"
	"testing"
)

func TestParts(t *testing.T) {
	for _, tc := range []struct {
		body  string
		enc   Encoding
		parts int
	}{
		{"hello", GSM7, 1},
		{strings.Repeat("a", 160), GSM7, 1},
		{strings.Repeat("a", 161), GSM7, 2},
		{strings.Repeat("a", 306), GSM7, 2},
		{strings.Repeat("a", 307), GSM7, 3},
		{strings.Repeat("€", 80), GSM7, 1}, // extension chars count twice
		{strings.Repeat("€", 81), GSM7, 2},
		{strings.Repeat("ж", 70), UCS2, 1},
		{strings.Repeat("ж", 71), UCS2, 2},
		{strings.Repeat("ж", 134), UCS2, 2},
		{strings.Repeat("ж", 135), UCS2, 3},
		{"hi 😀", UCS2, 1}, // emoji is a surrogate pair: 5 UTF-16 units
		{strings.Repeat("😀", 35), UCS2, 1},
		{strings.Repeat("😀", 36), UCS2, 2},
	} {
		enc, parts := Parts(tc.body)
		if enc != tc.enc || parts != tc.parts {
			t.Errorf("Parts(%.20q… len %d) = %s/%d, want %s/%d", tc.body, len(tc.body), enc, parts, tc.enc, tc.parts)
		}
	}
}

func TestGSMRoundTrip(t *testing.T) {
	in := "Hello {world} [x] ~ | \\ ^ € @£$¥ ÆØÅ äöüñ"
	sept, ok := EncodeGSM(in)
	if !ok {
		t.Fatal("not GSM")
	}
	if out := DecodeGSM(sept); out != in {
		t.Fatalf("round trip = %q", out)
	}
	if _, ok := EncodeGSM("ж"); ok {
		t.Fatal("Cyrillic accepted as GSM")
	}
}

func TestSplit(t *testing.T) {
	enc, parts := Split(strings.Repeat("a", 160))
	if enc != GSM7 || len(parts) != 1 {
		t.Fatalf("%s %d", enc, len(parts))
	}
	// An escape sequence is never cut: 152 'a' then '€' (ESC 0x65).
	_, parts = Split(strings.Repeat("a", 152) + "€" + strings.Repeat("b", 20))
	if len(parts) != 2 || len(parts[0]) != 152 || !strings.HasPrefix(DecodeGSM(parts[1]), "€") {
		t.Fatalf("parts %d, first %d", len(parts), len(parts[0]))
	}
	// A surrogate pair is never cut: 66 'ж' then an emoji.
	body := strings.Repeat("ж", 66) + "😀" + strings.Repeat("ж", 10)
	enc, parts = Split(body)
	if enc != UCS2 || len(parts) != 2 || len(parts[0]) != 132 {
		t.Fatalf("%s parts %d first %d", enc, len(parts), len(parts[0]))
	}
	var all []byte
	for _, p := range parts {
		all = append(all, p...)
	}
	if DecodeUCS2(all) != body {
		t.Fatal("UCS-2 round trip")
	}
	if got, _ := EncodeLatin1("é½"); DecodeLatin1(got) != "é½" {
		t.Fatal("Latin-1 round trip")
	}
}

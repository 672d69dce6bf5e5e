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

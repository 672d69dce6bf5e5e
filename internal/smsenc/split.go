package smsenc

import (
	"unicode/utf16"
	"unicode/utf8"
)

// gsmDecode maps a default-alphabet code to its character; gsmExtDecode an
// extension-table code (after ESC) to its character, 0 when unassigned.
var gsmDecode, gsmExtDecode = func() (a, e [128]rune) {
	i := 0
	for _, r := range gsmBasic {
		a[i] = r
		i++
	}
	a[0x1b] = ' ' // a lone ESC (no following code) reads as a space
	for r, c := range gsmExt {
		e[c] = r
	}
	return a, e
}()

// EncodeUCS2 returns s as UTF-16BE; characters outside the Basic
// Multilingual Plane (emoji) become surrogate pairs, as phones send them.
func EncodeUCS2(s string) []byte {
	u := utf16.Encode([]rune(s))
	out := make([]byte, 2*len(u))
	for i, c := range u {
		out[2*i], out[2*i+1] = byte(c>>8), byte(c)
	}
	return out
}

// DecodeUCS2 reads UTF-16BE (UCS-2 with surrogate pairs). A trailing odd
// byte is dropped; an unpaired surrogate becomes U+FFFD.
func DecodeUCS2(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}

// DecodeLatin1 reads ISO-8859-1.
func DecodeLatin1(b []byte) string {
	out := make([]rune, len(b))
	for i, c := range b {
		out[i] = rune(c)
	}
	return string(out)
}

// EncodeLatin1 returns s in ISO-8859-1, or ok=false when a character is
// outside it.
func EncodeLatin1(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, false
		}
		out = append(out, byte(r))
	}
	return out, true
}

// DecodeASCII reads IA5 (ASCII); bytes above 0x7f become U+FFFD.
func DecodeASCII(b []byte) string {
	out := make([]rune, len(b))
	for i, c := range b {
		if c > 0x7f {
			out[i] = utf8.RuneError
		} else {
			out[i] = rune(c)
		}
	}
	return string(out)
}

// Split encodes body for the air and cuts it into message parts: GSM 03.38
// unpacked septets (one per byte; 160 in one part, 153 per part of a
// concatenated message) when every character is in the default alphabet or
// its extension table, else UCS-2 (70 units, 67 per part). A part never ends
// inside an escape sequence or a surrogate pair. An empty body is one empty
// part.
func Split(body string) (Encoding, [][]byte) {
	if sept, ok := EncodeGSM(body); ok {
		return GSM7, SplitGSM(sept, 160, 153)
	}
	return UCS2, SplitUCS2(EncodeUCS2(body), 140, 134)
}

// SplitGSM cuts unpacked septets into parts of at most single septets when
// they fit in one, else multi septets each, never after an ESC.
func SplitGSM(sept []byte, single, multi int) [][]byte {
	if len(sept) <= single {
		return [][]byte{sept}
	}
	var parts [][]byte
	for len(sept) > 0 {
		n := min(multi, len(sept))
		if n < len(sept) && sept[n-1] == 0x1b {
			n-- // keep ESC with the code it escapes
		}
		parts = append(parts, sept[:n])
		sept = sept[n:]
	}
	return parts
}

// SplitUCS2 cuts UTF-16BE bytes into parts of at most single bytes when they
// fit in one, else multi bytes each (even numbers), never between the halves
// of a surrogate pair.
func SplitUCS2(b []byte, single, multi int) [][]byte {
	if len(b) <= single {
		return [][]byte{b}
	}
	multi &^= 1
	var parts [][]byte
	for len(b) > 0 {
		n := min(multi, len(b))
		if n < len(b) && n >= 2 && b[n-2] >= 0xd8 && b[n-2] <= 0xdb {
			n -= 2 // a high surrogate stays with its low half
		}
		parts = append(parts, b[:n])
		b = b[n:]
	}
	return parts
}

// Package smsenc knows how SMS text is encoded on the air: the GSM 03.38
// default alphabet with its extension table, UCS-2 for everything else, and
// how many message parts a body takes (160/153 septets, 70/67 UCS-2 units).
package smsenc

import "unicode/utf16"

// Encoding of a message body.
type Encoding string

const (
	GSM7 Encoding = "GSM"
	UCS2 Encoding = "UCS2"
)

// gsmBasic is the GSM 03.38 default alphabet in code order.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExt maps characters of the extension table to their code after ESC.
var gsmExt = map[rune]byte{'\f': 0x0A, '^': 0x14, '{': 0x28, '}': 0x29, '\\': 0x2F, '[': 0x3C, '~': 0x3D, ']': 0x3E, '|': 0x40, '€': 0x65}

var gsmIndex = func() map[rune]byte {
	m := map[rune]byte{}
	i := 0
	for _, r := range gsmBasic {
		m[r] = byte(i)
		i++
	}
	delete(m, 0x1b)
	return m
}()

// GSMSeptets returns the septets body takes in GSM 03.38, or ok=false when
// a character is outside the alphabet and its extension table.
func GSMSeptets(body string) (n int, ok bool) {
	for _, r := range body {
		if _, in := gsmIndex[r]; in {
			n++
		} else if _, in := gsmExt[r]; in {
			n += 2
		} else {
			return 0, false
		}
	}
	return n, true
}

// EncodeGSM returns the unpacked septets of body (one per byte), or ok=false.
func EncodeGSM(body string) ([]byte, bool) {
	out := make([]byte, 0, len(body))
	for _, r := range body {
		if c, in := gsmIndex[r]; in {
			out = append(out, c)
		} else if c, in := gsmExt[r]; in {
			out = append(out, 0x1b, c)
		} else {
			return nil, false
		}
	}
	return out, true
}

// DecodeGSM turns unpacked septets back into text. An escape code the
// extension table does not assign reads as a space.
func DecodeGSM(septets []byte) string {
	out := make([]rune, 0, len(septets))
	for i := 0; i < len(septets); i++ {
		c := septets[i] & 0x7f
		if c == 0x1b && i+1 < len(septets) {
			i++
			r := gsmExtDecode[septets[i]&0x7f]
			if r == 0 {
				r = ' '
			}
			out = append(out, r)
			continue
		}
		out = append(out, gsmDecode[c])
	}
	return string(out)
}

// Parts tells the encoding of body and how many SMS parts it takes.
func Parts(body string) (Encoding, int) {
	if n, ok := GSMSeptets(body); ok {
		return GSM7, count(n, 160, 153)
	}
	return UCS2, count(len(utf16.Encode([]rune(body))), 70, 67)
}

func count(units, single, multi int) int {
	if units <= single {
		return 1
	}
	return (units + multi - 1) / multi
}

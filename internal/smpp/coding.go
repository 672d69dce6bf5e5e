package smpp

import (
	"unicode/utf8"

	"github.com/duplexsms/duplex/internal/smpp/pdu"
	"github.com/duplexsms/duplex/internal/smsenc"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
)

// DecodeText turns user data (without its header) into text by
// data_coding: 0 GSM 03.38 (unpacked, the SMSC default alphabet), 1 IA5/
// ASCII, 3 Latin-1, 6 ISO-8859-5, 7 ISO-8859-8, 8 UCS-2 (UTF-16BE, with
// surrogate pairs), 5 JIS (as Shift_JIS), 10 ISO-2022-JP, 14 KS C 5601 (as
// EUC-KR); 2 and 4 (octets) as UTF-8 when valid, else Latin-1; the GSM
// message-class codings 0xF0–0xFF by their alphabet bit. Anything else is
// read as Latin-1, so no message is refused for its coding.
func DecodeText(coding byte, b []byte) string {
	switch {
	case coding == pdu.CodingDefault:
		return smsenc.DecodeGSM(b)
	case coding == pdu.CodingIA5:
		return smsenc.DecodeASCII(b)
	case coding == pdu.CodingLatin1:
		return smsenc.DecodeLatin1(b)
	case coding == pdu.CodingUCS2:
		return smsenc.DecodeUCS2(b)
	case coding == pdu.CodingBinary || coding == pdu.CodingBinary2:
		if utf8.Valid(b) {
			return string(b)
		}
		return smsenc.DecodeLatin1(b)
	case coding == pdu.CodingCyrillic:
		return decodeWith(charmap.ISO8859_5, b)
	case coding == pdu.CodingHebrew:
		return decodeWith(charmap.ISO8859_8, b)
	case coding == pdu.CodingJIS:
		return decodeWith(japanese.ShiftJIS, b)
	case coding == pdu.CodingISO2022:
		return decodeWith(japanese.ISO2022JP, b)
	case coding == pdu.CodingKSC5601:
		return decodeWith(korean.EUCKR, b)
	case coding >= 0xF0:
		if coding&0x04 == 0 {
			return smsenc.DecodeGSM(b)
		}
		return smsenc.DecodeLatin1(b)
	case coding&0xC0 == 0x00 && coding&0x20 == 0 && coding >= 0x10:
		// GSM 03.38 general data coding with message class.
		switch coding & 0x0C {
		case 0x00:
			return smsenc.DecodeGSM(b)
		case 0x08:
			return smsenc.DecodeUCS2(b)
		}
	}
	return smsenc.DecodeLatin1(b)
}

func decodeWith(e encoding.Encoding, b []byte) string {
	out, err := e.NewDecoder().Bytes(b)
	if err != nil {
		return smsenc.DecodeLatin1(b)
	}
	return string(out)
}

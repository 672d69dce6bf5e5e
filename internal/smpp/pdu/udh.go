package pdu

import "errors"

// ESM class bits.
const (
	ESMClassUDHI          = 0x40 // short_message begins with a user data header
	ESMClassTypeMask      = 0x3C // message type bits
	ESMClassReceipt       = 0x04 // SMSC delivery receipt
	ESMClassSMEAck        = 0x08
	ESMClassUserAck       = 0x10
	ESMClassIntermediate  = 0x20 // intermediate delivery notification
	ESMClassStoreForward  = 0x03
	ESMClassDefaultMode   = 0x00
	RegisteredDeliveryAny = 0x01 // a receipt on success or failure
)

// Data codings (data_coding) of SMPP 3.4 (5.2.19).
const (
	CodingDefault  = 0x00 // SMSC default alphabet (GSM 03.38 here)
	CodingIA5      = 0x01 // IA5 / ASCII
	CodingBinary   = 0x02 // 8-bit binary
	CodingLatin1   = 0x03 // ISO-8859-1
	CodingBinary2  = 0x04 // 8-bit binary
	CodingJIS      = 0x05
	CodingCyrillic = 0x06 // ISO-8859-5
	CodingHebrew   = 0x07 // ISO-8859-8
	CodingUCS2     = 0x08 // UCS-2 (UTF-16BE)
	CodingISO2022  = 0x0A // ISO-2022-JP
	CodingKSC5601  = 0x0E // KS C 5601
)

// Concat is the concatenation information of one message part.
type Concat struct {
	Ref   uint16
	Total byte
	Seq   byte
}

// ConcatUDH is the user data header of part seq of total with an 8-bit
// reference (IE 0x00).
func ConcatUDH(ref, total, seq byte) []byte {
	return []byte{0x05, 0x00, 0x03, ref, total, seq}
}

// ErrUDH means a user data header is malformed.
var ErrUDH = errors.New("smpp: malformed user data header")

// SplitUDH separates a user data header from the user data that follows
// it, and reports concatenation (IE 0x00, 8-bit reference, or 0x08, 16-bit
// reference). A part number of 0 or above the total is refused.
func SplitUDH(b []byte) (c Concat, isConcat bool, rest []byte, err error) {
	if len(b) < 1 || int(b[0])+1 > len(b) {
		return c, false, nil, ErrUDH
	}
	h, rest := b[1:1+int(b[0])], b[1+int(b[0]):]
	for len(h) > 0 {
		if len(h) < 2 || int(h[1])+2 > len(h) {
			return c, false, nil, ErrUDH
		}
		id, v := h[0], h[2:2+int(h[1])]
		switch {
		case id == 0x00 && len(v) == 3:
			c, isConcat = Concat{Ref: uint16(v[0]), Total: v[1], Seq: v[2]}, true
		case id == 0x08 && len(v) == 4:
			c, isConcat = Concat{Ref: uint16(v[0])<<8 | uint16(v[1]), Total: v[2], Seq: v[3]}, true
		}
		h = h[2+int(h[1]):]
	}
	if isConcat && (c.Total == 0 || c.Seq == 0 || c.Seq > c.Total) {
		return c, false, nil, ErrUDH
	}
	return c, isConcat, rest, nil
}

// SARConcat reads concatenation from the sar_* TLVs.
func (p *PDU) SARConcat() (Concat, bool) {
	ref, ok1 := p.TLVUint16(TagSarMsgRefNum)
	total, ok2 := p.TLVByte(TagSarTotalSegments)
	seq, ok3 := p.TLVByte(TagSarSegmentSeqnum)
	if !ok1 || !ok2 || !ok3 || total == 0 || seq == 0 || seq > total {
		return Concat{}, false
	}
	return Concat{Ref: ref, Total: total, Seq: seq}, true
}

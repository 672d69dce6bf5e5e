package pdu

import "encoding/binary"

// Tag is a TLV parameter tag.
type Tag uint16

// Optional parameter tags of SMPP 3.4 (5.3.2).
const (
	TagDestAddrSubunit        Tag = 0x0005
	TagDestNetworkType        Tag = 0x0006
	TagDestBearerType         Tag = 0x0007
	TagDestTelematicsID       Tag = 0x0008
	TagSourceAddrSubunit      Tag = 0x000D
	TagSourceNetworkType      Tag = 0x000E
	TagSourceBearerType       Tag = 0x000F
	TagSourceTelematicsID     Tag = 0x0010
	TagQosTimeToLive          Tag = 0x0017
	TagPayloadType            Tag = 0x0019
	TagAdditionalStatusInfo   Tag = 0x001D
	TagReceiptedMessageID     Tag = 0x001E
	TagMsMsgWaitFacilities    Tag = 0x0030
	TagPrivacyIndicator       Tag = 0x0201
	TagSourceSubaddress       Tag = 0x0202
	TagDestSubaddress         Tag = 0x0203
	TagUserMessageReference   Tag = 0x0204
	TagUserResponseCode       Tag = 0x0205
	TagSourcePort             Tag = 0x020A
	TagDestinationPort        Tag = 0x020B
	TagSarMsgRefNum           Tag = 0x020C
	TagLanguageIndicator      Tag = 0x020D
	TagSarTotalSegments       Tag = 0x020E
	TagSarSegmentSeqnum       Tag = 0x020F
	TagSCInterfaceVersion     Tag = 0x0210
	TagCallbackNumPresInd     Tag = 0x0302
	TagCallbackNumAtag        Tag = 0x0303
	TagNumberOfMessages       Tag = 0x0304
	TagCallbackNum            Tag = 0x0381
	TagDpfResult              Tag = 0x0420
	TagSetDpf                 Tag = 0x0421
	TagMsAvailabilityStatus   Tag = 0x0422
	TagNetworkErrorCode       Tag = 0x0423
	TagMessagePayload         Tag = 0x0424
	TagDeliveryFailureReason  Tag = 0x0425
	TagMoreMessagesToSend     Tag = 0x0426
	TagMessageState           Tag = 0x0427
	TagUssdServiceOp          Tag = 0x0501
	TagDisplayTime            Tag = 0x1201
	TagSmsSignal              Tag = 0x1203
	TagMsValidity             Tag = 0x1204
	TagAlertOnMessageDelivery Tag = 0x130C
	TagItsReplyType           Tag = 0x1380
	TagItsSessionInfo         Tag = 0x1383
)

// TLV is an optional parameter.
type TLV struct {
	Tag   Tag
	Value []byte
}

// TLV returns the value of the first parameter with tag t.
func (p *PDU) TLV(t Tag) ([]byte, bool) {
	for _, v := range p.TLVs {
		if v.Tag == t {
			return v.Value, true
		}
	}
	return nil, false
}

// TLVByte returns a one-octet parameter; ok is false when it is absent or
// has another length.
func (p *PDU) TLVByte(t Tag) (byte, bool) {
	v, ok := p.TLV(t)
	if !ok || len(v) != 1 {
		return 0, false
	}
	return v[0], true
}

// TLVUint16 returns a two-octet parameter.
func (p *PDU) TLVUint16(t Tag) (uint16, bool) {
	v, ok := p.TLV(t)
	if !ok || len(v) != 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(v), true
}

// TLVString returns a C-Octet string parameter (the NUL is optional, as
// some peers leave it out).
func (p *PDU) TLVString(t Tag) (string, bool) {
	v, ok := p.TLV(t)
	if !ok {
		return "", false
	}
	for i, c := range v {
		if c == 0 {
			return string(v[:i]), true
		}
	}
	return string(v), true
}

// SetTLV replaces or adds a parameter.
func (p *PDU) SetTLV(t Tag, v []byte) {
	for i := range p.TLVs {
		if p.TLVs[i].Tag == t {
			p.TLVs[i].Value = v
			return
		}
	}
	p.TLVs = append(p.TLVs, TLV{Tag: t, Value: v})
}

// CString is s as a C-Octet string TLV value.
func CString(s string) []byte { return append([]byte(s), 0) }

// Uint16 is v as a two-octet TLV value.
func Uint16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

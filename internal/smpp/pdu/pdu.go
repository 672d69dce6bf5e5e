// Package pdu is a strict codec for SMPP 3.4 protocol data units: the
// 16-byte header, the bodies of every 3.4 operation duplex uses or may be
// sent (binds, unbind, outbind, generic_nack, submit_sm, deliver_sm,
// data_sm, query_sm, cancel_sm, replace_sm, enquire_link,
// alert_notification and their responses), optional parameters (TLVs), the
// concatenation user data header and delivery receipt text.
//
// Decoding never trusts a length: command_length is bounded, every C-Octet
// string must end within its field's maximum size, sm_length must fit, and
// a body must be consumed exactly by its fields and whole TLVs. A PDU that
// decodes re-encodes to the same bytes.
package pdu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// CommandID is an SMPP command_id.
type CommandID uint32

// Command IDs of SMPP 3.4.
const (
	GenericNack         CommandID = 0x80000000
	BindReceiver        CommandID = 0x00000001
	BindReceiverResp    CommandID = 0x80000001
	BindTransmitter     CommandID = 0x00000002
	BindTransmitterResp CommandID = 0x80000002
	QuerySM             CommandID = 0x00000003
	QuerySMResp         CommandID = 0x80000003
	SubmitSM            CommandID = 0x00000004
	SubmitSMResp        CommandID = 0x80000004
	DeliverSM           CommandID = 0x00000005
	DeliverSMResp       CommandID = 0x80000005
	Unbind              CommandID = 0x00000006
	UnbindResp          CommandID = 0x80000006
	ReplaceSM           CommandID = 0x00000007
	ReplaceSMResp       CommandID = 0x80000007
	CancelSM            CommandID = 0x00000008
	CancelSMResp        CommandID = 0x80000008
	BindTransceiver     CommandID = 0x00000009
	BindTransceiverResp CommandID = 0x80000009
	Outbind             CommandID = 0x0000000B
	EnquireLink         CommandID = 0x00000015
	EnquireLinkResp     CommandID = 0x80000015
	SubmitMulti         CommandID = 0x00000021
	SubmitMultiResp     CommandID = 0x80000021
	AlertNotification   CommandID = 0x00000102
	DataSM              CommandID = 0x00000103
	DataSMResp          CommandID = 0x80000103
)

var commandNames = map[CommandID]string{
	GenericNack: "generic_nack", BindReceiver: "bind_receiver", BindReceiverResp: "bind_receiver_resp",
	BindTransmitter: "bind_transmitter", BindTransmitterResp: "bind_transmitter_resp", QuerySM: "query_sm",
	QuerySMResp: "query_sm_resp", SubmitSM: "submit_sm", SubmitSMResp: "submit_sm_resp", DeliverSM: "deliver_sm",
	DeliverSMResp: "deliver_sm_resp", Unbind: "unbind", UnbindResp: "unbind_resp", ReplaceSM: "replace_sm",
	ReplaceSMResp: "replace_sm_resp", CancelSM: "cancel_sm", CancelSMResp: "cancel_sm_resp",
	BindTransceiver: "bind_transceiver", BindTransceiverResp: "bind_transceiver_resp", Outbind: "outbind",
	EnquireLink: "enquire_link", EnquireLinkResp: "enquire_link_resp", SubmitMulti: "submit_multi",
	SubmitMultiResp: "submit_multi_resp", AlertNotification: "alert_notification", DataSM: "data_sm",
	DataSMResp: "data_sm_resp",
}

func (c CommandID) String() string {
	if n, ok := commandNames[c]; ok {
		return n
	}
	return fmt.Sprintf("command_0x%08x", uint32(c))
}

// IsResponse tells whether c is a response (generic_nack included).
func (c CommandID) IsResponse() bool { return c&0x80000000 != 0 }

// Response is the response command of request c (generic_nack for
// operations without one).
func (c CommandID) Response() CommandID {
	switch c {
	case Outbind, AlertNotification:
		return GenericNack
	}
	if _, ok := commandNames[c|0x80000000]; ok && !c.IsResponse() {
		return c | 0x80000000
	}
	return GenericNack
}

// Known tells whether c is an SMPP 3.4 command.
func (c CommandID) Known() bool { _, ok := commandNames[c]; return ok }

// HeaderLen is the size of the PDU header.
const HeaderLen = 16

// MaxLen is the default bound on command_length: room for a 64 KiB
// message_payload and the rest of a data_sm.
const MaxLen = 64*1024 + 1024

// Address is a TON/NPI/address triple.
type Address struct {
	TON, NPI byte
	Addr     string
}

// PDU is one SMPP 3.4 PDU. Which fields a command carries is fixed by the
// specification (see layouts); the others stay zero.
type PDU struct {
	Command CommandID
	Status  Status
	Seq     uint32

	// bind_*: SystemID, Password, SystemType, InterfaceVersion, AddrTON,
	// AddrNPI, AddressRange. bind_*_resp: SystemID (and TLVs). outbind:
	// SystemID, Password.
	SystemID, Password, SystemType string
	InterfaceVersion               byte
	AddrTON, AddrNPI               byte
	AddressRange                   string

	// submit_sm, deliver_sm, data_sm, replace_sm, cancel_sm, query_sm,
	// alert_notification (ESME address in Dest).
	ServiceType          string
	Source, Dest         Address
	ESMClass             byte
	ProtocolID           byte
	PriorityFlag         byte
	ScheduleDeliveryTime string
	ValidityPeriod       string
	RegisteredDelivery   byte
	ReplaceIfPresent     byte
	DataCoding           byte
	SMDefaultMsgID       byte
	ShortMessage         []byte

	// *_resp with a message_id; query_sm, cancel_sm, replace_sm.
	MessageID string
	// query_sm_resp.
	FinalDate    string
	MessageState byte
	ErrorCode    byte

	TLVs []TLV

	// NoBody marks a response sent without its body, as SMPP allows for an
	// error response (and some peers do for every response).
	NoBody bool
}

// field kinds of the layouts.
type field uint8

const (
	fSystemID field = iota
	fPassword
	fSystemType
	fInterfaceVersion
	fAddrTON
	fAddrNPI
	fAddressRange
	fServiceType
	fSrcTON
	fSrcNPI
	fSrcAddr21
	fSrcAddr65
	fDstTON
	fDstNPI
	fDstAddr21
	fDstAddr65
	fESMClass
	fProtocolID
	fPriorityFlag
	fSchedule
	fValidity
	fRegisteredDelivery
	fReplaceIfPresent
	fDataCoding
	fSMDefaultMsgID
	fShortMessage
	fMessageID
	fFinalDate
	fMessageState
	fErrorCode
	fTLVs
)

var smLayout = []field{fServiceType, fSrcTON, fSrcNPI, fSrcAddr21, fDstTON, fDstNPI, fDstAddr21, fESMClass,
	fProtocolID, fPriorityFlag, fSchedule, fValidity, fRegisteredDelivery, fReplaceIfPresent, fDataCoding,
	fSMDefaultMsgID, fShortMessage, fTLVs}

var bindLayout = []field{fSystemID, fPassword, fSystemType, fInterfaceVersion, fAddrTON, fAddrNPI, fAddressRange}

// layouts are the bodies of SMPP 3.4 section 4.
var layouts = map[CommandID][]field{
	GenericNack:         nil,
	BindReceiver:        bindLayout,
	BindTransmitter:     bindLayout,
	BindTransceiver:     bindLayout,
	BindReceiverResp:    {fSystemID, fTLVs},
	BindTransmitterResp: {fSystemID, fTLVs},
	BindTransceiverResp: {fSystemID, fTLVs},
	Outbind:             {fSystemID, fPassword},
	Unbind:              nil,
	UnbindResp:          nil,
	EnquireLink:         nil,
	EnquireLinkResp:     nil,
	SubmitSM:            smLayout,
	SubmitSMResp:        {fMessageID},
	DeliverSM:           smLayout,
	DeliverSMResp:       {fMessageID},
	DataSM: {fServiceType, fSrcTON, fSrcNPI, fSrcAddr65, fDstTON, fDstNPI, fDstAddr65, fESMClass,
		fRegisteredDelivery, fDataCoding, fTLVs},
	DataSMResp:        {fMessageID, fTLVs},
	QuerySM:           {fMessageID, fSrcTON, fSrcNPI, fSrcAddr21},
	QuerySMResp:       {fMessageID, fFinalDate, fMessageState, fErrorCode},
	CancelSM:          {fServiceType, fMessageID, fSrcTON, fSrcNPI, fSrcAddr21, fDstTON, fDstNPI, fDstAddr21},
	CancelSMResp:      nil,
	ReplaceSM:         {fMessageID, fSrcTON, fSrcNPI, fSrcAddr21, fSchedule, fValidity, fRegisteredDelivery, fSMDefaultMsgID, fShortMessage},
	ReplaceSMResp:     nil,
	AlertNotification: {fSrcTON, fSrcNPI, fSrcAddr65, fDstTON, fDstNPI, fDstAddr65, fTLVs},
}

// Maximum sizes of C-Octet strings, the terminating NUL included.
var cstringMax = map[field]int{
	fSystemID: 16, fPassword: 9, fSystemType: 13, fAddressRange: 41, fServiceType: 6,
	fSrcAddr21: 21, fSrcAddr65: 65, fDstAddr21: 21, fDstAddr65: 65, fSchedule: 17, fValidity: 17,
	fMessageID: 65, fFinalDate: 17,
}

// Errors of framing and decoding.
var (
	// ErrFrame means command_length is out of bounds: the stream cannot be
	// resynchronised and the connection must be closed.
	ErrFrame = errors.New("smpp: command_length out of bounds")
)

// DecodeError is a PDU whose header was read but whose command or body is
// invalid; Status is what to answer with (in a generic_nack).
type DecodeError struct {
	Command CommandID
	Seq     uint32
	Status  Status
	Reason  string
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("smpp: %s seq %d: %s", e.Command, e.Seq, e.Reason)
}

// ReadFrame reads one whole PDU (header included) from r. A command_length
// below 16 or above max gives ErrFrame (wrapped with the length).
func ReadFrame(r io.Reader, max int) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n < HeaderLen || n > uint32(max) {
		return nil, fmt.Errorf("%w: %d", ErrFrame, n)
	}
	b := make([]byte, n)
	copy(b, hdr[:])
	if _, err := io.ReadFull(r, b[4:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}

// Decode parses one whole PDU. Errors after a readable header are
// *DecodeError; a length mismatch is ErrFrame.
func Decode(b []byte) (*PDU, error) {
	if len(b) < HeaderLen || binary.BigEndian.Uint32(b) != uint32(len(b)) {
		return nil, ErrFrame
	}
	p := &PDU{
		Command: CommandID(binary.BigEndian.Uint32(b[4:])),
		Status:  Status(binary.BigEndian.Uint32(b[8:])),
		Seq:     binary.BigEndian.Uint32(b[12:]),
	}
	fail := func(st Status, format string, a ...any) (*PDU, error) {
		return nil, &DecodeError{Command: p.Command, Seq: p.Seq, Status: st, Reason: fmt.Sprintf(format, a...)}
	}
	layout, ok := layouts[p.Command]
	if !ok {
		if p.Command.Known() {
			return fail(StatusInvCmdID, "operation not supported")
		}
		return fail(StatusInvCmdID, "unknown command_id")
	}
	if p.Seq == 0 && p.Command != GenericNack || p.Seq > 0x7FFFFFFF {
		return fail(StatusInvCmdLen, "sequence_number %d out of range", p.Seq)
	}
	body := b[HeaderLen:]
	if len(body) == 0 && p.Command.IsResponse() && len(layout) > 0 {
		p.NoBody = true
		return p, nil
	}
	d := decoder{b: body}
	for _, f := range layout {
		if err := d.field(p, f); err != "" {
			return fail(StatusInvCmdLen, "%s", err)
		}
	}
	if len(d.b) != 0 {
		return fail(StatusInvCmdLen, "%d bytes after the body", len(d.b))
	}
	return p, nil
}

type decoder struct{ b []byte }

func (d *decoder) byte1(v *byte) string {
	if len(d.b) < 1 {
		return "body ends early"
	}
	*v = d.b[0]
	d.b = d.b[1:]
	return ""
}

func (d *decoder) cstring(v *string, max int) string {
	for i := 0; i < len(d.b) && i < max; i++ {
		if d.b[i] == 0 {
			*v = string(d.b[:i])
			d.b = d.b[i+1:]
			return ""
		}
	}
	if len(d.b) < max {
		return "body ends inside a C-Octet string"
	}
	return fmt.Sprintf("C-Octet string longer than %d", max-1)
}

func (d *decoder) field(p *PDU, f field) string {
	if max, ok := cstringMax[f]; ok {
		return d.cstring(d.str(p, f), max)
	}
	switch f {
	case fShortMessage:
		var n byte
		if e := d.byte1(&n); e != "" {
			return e
		}
		if n > 254 {
			return "sm_length above 254"
		}
		if int(n) > len(d.b) {
			return "short_message beyond the body"
		}
		p.ShortMessage = append([]byte(nil), d.b[:n]...)
		d.b = d.b[n:]
		return ""
	case fTLVs:
		for len(d.b) > 0 {
			if len(d.b) < 4 {
				return "truncated TLV header"
			}
			tag, n := Tag(binary.BigEndian.Uint16(d.b)), int(binary.BigEndian.Uint16(d.b[2:]))
			if 4+n > len(d.b) {
				return fmt.Sprintf("TLV 0x%04x longer than the body", uint16(tag))
			}
			p.TLVs = append(p.TLVs, TLV{Tag: tag, Value: append([]byte{}, d.b[4:4+n]...)})
			d.b = d.b[4+n:]
		}
		return ""
	}
	return d.byte1(d.byt(p, f))
}

func (d *decoder) str(p *PDU, f field) *string { return strField(p, f) }
func (d *decoder) byt(p *PDU, f field) *byte   { return byteField(p, f) }

func strField(p *PDU, f field) *string {
	switch f {
	case fSystemID:
		return &p.SystemID
	case fPassword:
		return &p.Password
	case fSystemType:
		return &p.SystemType
	case fAddressRange:
		return &p.AddressRange
	case fServiceType:
		return &p.ServiceType
	case fSrcAddr21, fSrcAddr65:
		return &p.Source.Addr
	case fDstAddr21, fDstAddr65:
		return &p.Dest.Addr
	case fSchedule:
		return &p.ScheduleDeliveryTime
	case fValidity:
		return &p.ValidityPeriod
	case fMessageID:
		return &p.MessageID
	case fFinalDate:
		return &p.FinalDate
	}
	panic(fmt.Sprintf("pdu: field %d is not a string", f))
}

func byteField(p *PDU, f field) *byte {
	switch f {
	case fInterfaceVersion:
		return &p.InterfaceVersion
	case fAddrTON:
		return &p.AddrTON
	case fAddrNPI:
		return &p.AddrNPI
	case fSrcTON:
		return &p.Source.TON
	case fSrcNPI:
		return &p.Source.NPI
	case fDstTON:
		return &p.Dest.TON
	case fDstNPI:
		return &p.Dest.NPI
	case fESMClass:
		return &p.ESMClass
	case fProtocolID:
		return &p.ProtocolID
	case fPriorityFlag:
		return &p.PriorityFlag
	case fRegisteredDelivery:
		return &p.RegisteredDelivery
	case fReplaceIfPresent:
		return &p.ReplaceIfPresent
	case fDataCoding:
		return &p.DataCoding
	case fSMDefaultMsgID:
		return &p.SMDefaultMsgID
	case fMessageState:
		return &p.MessageState
	case fErrorCode:
		return &p.ErrorCode
	}
	panic(fmt.Sprintf("pdu: field %d is not a byte", f))
}

// Encode returns the PDU's bytes.
func (p *PDU) Encode() ([]byte, error) { return p.Append(nil) }

// Append appends the PDU's bytes to dst. It refuses values the decoder
// would refuse (over-long strings, short_message above 254 octets, strings
// with NUL).
func (p *PDU) Append(dst []byte) ([]byte, error) {
	layout, ok := layouts[p.Command]
	if !ok {
		return dst, fmt.Errorf("smpp: cannot encode %s", p.Command)
	}
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, uint32(p.Command))
	dst = binary.BigEndian.AppendUint32(dst, uint32(p.Status))
	dst = binary.BigEndian.AppendUint32(dst, p.Seq)
	if !(p.NoBody && p.Command.IsResponse()) {
		for _, f := range layout {
			var err error
			if dst, err = p.appendField(dst, f); err != nil {
				return dst[:start], err
			}
		}
	}
	n := len(dst) - start
	if n > MaxLen {
		return dst[:start], fmt.Errorf("smpp: %s of %d bytes is too long", p.Command, n)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(n))
	return dst, nil
}

func (p *PDU) appendField(dst []byte, f field) ([]byte, error) {
	if max, ok := cstringMax[f]; ok {
		s := *strField(p, f)
		if len(s) >= max {
			return dst, fmt.Errorf("smpp: %s: string %q longer than %d", p.Command, s, max-1)
		}
		for i := 0; i < len(s); i++ {
			if s[i] == 0 {
				return dst, fmt.Errorf("smpp: %s: string contains NUL", p.Command)
			}
		}
		return append(append(dst, s...), 0), nil
	}
	switch f {
	case fShortMessage:
		if len(p.ShortMessage) > 254 {
			return dst, fmt.Errorf("smpp: short_message of %d octets (max 254; use message_payload)", len(p.ShortMessage))
		}
		return append(append(dst, byte(len(p.ShortMessage))), p.ShortMessage...), nil
	case fTLVs:
		for _, t := range p.TLVs {
			if len(t.Value) > 0xffff {
				return dst, fmt.Errorf("smpp: TLV 0x%04x too long", uint16(t.Tag))
			}
			dst = binary.BigEndian.AppendUint16(dst, uint16(t.Tag))
			dst = binary.BigEndian.AppendUint16(dst, uint16(len(t.Value)))
			dst = append(dst, t.Value...)
		}
		return dst, nil
	}
	return append(dst, *byteField(p, f)), nil
}

// Resp returns the response to request p with status st (seq copied).
func (p *PDU) Resp(st Status) *PDU {
	return &PDU{Command: p.Command.Response(), Status: st, Seq: p.Seq}
}

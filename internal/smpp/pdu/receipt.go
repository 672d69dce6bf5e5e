package pdu

import (
	"fmt"
	"strings"
)

// Message states (message_state TLV, SMPP 3.4 5.2.28).
const (
	StateEnroute       = 1
	StateDelivered     = 2
	StateExpired       = 3
	StateDeleted       = 4
	StateUndeliverable = 5
	StateAccepted      = 6
	StateUnknown       = 7
	StateRejected      = 8
)

// StatOf maps a message_state to the receipt text's stat word.
func StatOf(state byte) string {
	switch state {
	case StateEnroute:
		return "ENROUTE"
	case StateDelivered:
		return "DELIVRD"
	case StateExpired:
		return "EXPIRED"
	case StateDeleted:
		return "DELETED"
	case StateUndeliverable:
		return "UNDELIV"
	case StateAccepted:
		return "ACCEPTD"
	case StateRejected:
		return "REJECTD"
	}
	return "UNKNOWN"
}

// StateOf maps a receipt stat word to a message_state (0 when unknown).
func StateOf(stat string) byte {
	switch strings.ToUpper(strings.TrimSpace(stat)) {
	case "ENROUTE":
		return StateEnroute
	case "DELIVRD", "DELIVERED":
		return StateDelivered
	case "EXPIRED":
		return StateExpired
	case "DELETED":
		return StateDeleted
	case "UNDELIV", "UNDELIVERABLE":
		return StateUndeliverable
	case "ACCEPTD", "ACCEPTED":
		return StateAccepted
	case "UNKNOWN":
		return StateUnknown
	case "REJECTD", "REJECTED":
		return StateRejected
	}
	return 0
}

// Receipt is the text of a delivery receipt (SMPP 3.4 Appendix B):
// "id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done
// date:YYMMDDhhmm stat:DDDDDDD err:E text:…".
type Receipt struct {
	ID, Sub, Dlvrd, SubmitDate, DoneDate, Stat, Err, Text string
}

// String formats the receipt text.
func (r Receipt) String() string {
	return fmt.Sprintf("id:%s sub:%s dlvrd:%s submit date:%s done date:%s stat:%s err:%s text:%s",
		r.ID, r.Sub, r.Dlvrd, r.SubmitDate, r.DoneDate, r.Stat, r.Err, r.Text)
}

var receiptKeys = []string{"id", "sub", "dlvrd", "submit date", "done date", "stat", "err", "text"}

// ParseReceipt reads receipt text. Keys are case-insensitive and may come
// in any order; fields may be missing; "text:" runs to the end. ok is
// false unless both id and stat are present.
func ParseReceipt(s string) (r Receipt, ok bool) {
	type hit struct{ key, start, value int }
	var hits []hit
	lower := strings.ToLower(s)
	for i := 0; i < len(lower); i++ {
		if i > 0 && lower[i-1] != ' ' {
			continue
		}
		for k, key := range receiptKeys {
			if strings.HasPrefix(lower[i:], key+":") {
				hits = append(hits, hit{k, i, i + len(key) + 1})
				i += len(key)
				break
			}
		}
		if n := len(hits); n > 0 && hits[n-1].key == 7 {
			break // text runs to the end
		}
	}
	seen := map[int]bool{}
	for n, h := range hits {
		end := len(s)
		if n+1 < len(hits) {
			end = hits[n+1].start
		}
		if seen[h.key] {
			continue
		}
		seen[h.key] = true
		v := s[h.value:end]
		if h.key != 7 {
			v = strings.TrimSpace(v)
		} else {
			v = strings.TrimLeft(v, " ")
		}
		switch h.key {
		case 0:
			r.ID = v
		case 1:
			r.Sub = v
		case 2:
			r.Dlvrd = v
		case 3:
			r.SubmitDate = v
		case 4:
			r.DoneDate = v
		case 5:
			r.Stat = v
		case 6:
			r.Err = v
		case 7:
			r.Text = v
		}
	}
	return r, seen[0] && seen[5] && r.ID != ""
}

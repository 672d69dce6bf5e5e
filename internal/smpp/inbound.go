package smpp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duplexsms/duplex/internal/carrier"
	"github.com/duplexsms/duplex/internal/smpp/pdu"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/duplexsms/duplex/internal/twoway"
)

// inbound handles a deliver_sm or data_sm from the SMSC and returns the
// status to answer with. It returns only once the outcome is durable.
func (c *Carrier) inbound(l *Link, p *pdu.PDU) pdu.Status {
	ctx := context.Background()
	if t := p.ESMClass & pdu.ESMClassTypeMask; t == pdu.ESMClassReceipt || t == pdu.ESMClassIntermediate {
		return c.receipt(ctx, l, p)
	}
	payload := p.ShortMessage
	if v, ok := p.TLV(pdu.TagMessagePayload); ok {
		payload = v
	}
	var cc pdu.Concat
	concat := false
	if p.ESMClass&pdu.ESMClassUDHI != 0 {
		var err error
		cc, concat, payload, err = pdu.SplitUDH(payload)
		if err != nil {
			l.lm.m.mo.WithLabelValues(l.id, "rejected").Inc()
			l.log.Warn("smpp: MO with a malformed user data header refused", "from", p.Source.Addr)
			return pdu.StatusXPAppn
		}
	} else {
		cc, concat = p.SARConcat()
	}
	from, to := number(p.Source), number(p.Dest)
	if concat && cc.Total > 1 {
		return c.moPart(ctx, l, from, to, cc, p.DataCoding, payload)
	}
	return c.deliver(ctx, l, from, to, DecodeText(p.DataCoding, payload))
}

// number turns an SMPP address into E.164 where it is one: international
// numbers (TON 1), and unknown-TON all-digit numbers of 8 or more digits.
func number(a pdu.Address) string {
	s := a.Addr
	if strings.HasPrefix(s, "+") || s == "" {
		return s
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return s
		}
	}
	if a.TON == 1 || (a.TON == 0 && len(s) >= 8) {
		return "+" + s
	}
	return s
}

// deliver hands a whole message to the sink.
func (c *Carrier) deliver(ctx context.Context, l *Link, from, to, body string) pdu.Status {
	_, err := c.o.Sink.Receive(ctx, carrier.Inbound{From: from, To: to, Body: body, Carrier: c.name, Received: c.o.Now().UTC()})
	switch {
	case err == nil:
		l.lm.m.mo.WithLabelValues(l.id, "accepted").Inc()
		return pdu.StatusOK
	case errors.Is(err, twoway.ErrUnknownNumber):
		l.lm.m.mo.WithLabelValues(l.id, "rejected").Inc()
		l.log.Info("smpp: MO for an unknown number refused", "to", to)
		return pdu.StatusInvDstAdr
	default:
		l.lm.m.mo.WithLabelValues(l.id, "error").Inc()
		l.log.Warn("smpp: storing MO failed; the SMSC will retry", "err", err)
		return pdu.StatusXTAppn
	}
}

type moGroup struct {
	From    string    `json:"from"`
	To      string    `json:"to"`
	Total   int       `json:"total"`
	Link    string    `json:"link"`
	Created time.Time `json:"created"`
	Owner   string    `json:"owner,omitempty"`
	Claimed time.Time `json:"claimed,omitzero"`
	// Done is set once the message was delivered; its parts stay for
	// doneTTL so that a part the SMSC delivers again is recognised.
	Done time.Time `json:"done,omitzero"`
}

type moPart struct {
	Seq    int    `json:"seq"`
	Coding byte   `json:"coding"`
	Data   []byte `json:"data"`
}

// claimTTL is how long an assembler's claim on a complete group holds;
// doneTTL how long a delivered message's parts are kept to recognise
// redelivered parts (an SMSC resends a part whose response it missed).
const (
	claimTTL = 2 * time.Minute
	doneTTL  = 2 * time.Minute
)

func (c *Carrier) groupKey(from, to string, cc pdu.Concat) string {
	return fmt.Sprintf("%s/%s/%s/%d/%d", c.name, url.PathEscape(from), url.PathEscape(to), cc.Ref, cc.Total)
}

// moPart stores one part of a concatenated message and, when it completes
// the message, delivers it. The part is acknowledged only once stored.
func (c *Carrier) moPart(ctx context.Context, l *Link, from, to string, cc pdu.Concat, coding byte, data []byte) pdu.Status {
	gkey := c.groupKey(from, to, cc)
	now := c.o.Now().UTC()
	var parts []moPart
	var dup bool
	err := c.o.Store.Update(ctx, func(tx store.Tx) error {
		parts, dup = nil, false
		g := moGroup{From: from, To: to, Total: int(cc.Total), Link: l.id, Created: now}
		b, _ := json.Marshal(g)
		if err := tx.Insert(ctx, store.Record{Kind: KindMOGroup, ID: gkey, Data: b}); err != nil && !errors.Is(err, store.ErrExists) {
			return err
		}
		rec, err := tx.Get(ctx, "", KindMOGroup, gkey) // locks the group (PostgreSQL)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(rec.Data, &g); err != nil {
			return err
		}
		pkey := fmt.Sprintf("%s/%03d", gkey, cc.Seq)
		pb, _ := json.Marshal(moPart{Seq: int(cc.Seq), Coding: coding, Data: data})
		if !g.Done.IsZero() {
			old, err := tx.Get(ctx, "", KindMOPart, pkey)
			if err == nil && string(old.Data) == string(pb) {
				dup = true // a part of a message already delivered
				return nil
			}
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			// A new message under a reference number used before.
			if _, err := tx.DeletePrefix(ctx, "", KindMOPart, gkey+"/"); err != nil {
				return err
			}
			g = moGroup{From: from, To: to, Total: int(cc.Total), Link: l.id, Created: now}
			b, _ := json.Marshal(g)
			if err := tx.Put(ctx, store.Record{Kind: KindMOGroup, ID: gkey, Data: b}); err != nil {
				return err
			}
		}
		if err := tx.Insert(ctx, store.Record{Kind: KindMOPart, ID: pkey, Data: pb}); err != nil && !errors.Is(err, store.ErrExists) {
			return err
		}
		n, err := tx.Count(ctx, "", KindMOPart, gkey+"/")
		if err != nil || n < g.Total {
			return err
		}
		if g.Owner != "" && now.Sub(g.Claimed) < claimTTL {
			return nil // being assembled by an earlier arrival
		}
		var perr error
		if parts, perr = claim(ctx, tx, gkey, &g, c.instance, now); perr != nil {
			return perr
		}
		return nil
	})
	if err != nil {
		l.lm.m.mo.WithLabelValues(l.id, "error").Inc()
		l.log.Warn("smpp: storing MO part failed; the SMSC will retry", "err", err)
		return pdu.StatusXTAppn
	}
	if dup {
		l.lm.m.mo.WithLabelValues(l.id, "duplicate").Inc()
		return pdu.StatusOK
	}
	if parts == nil {
		l.lm.m.mo.WithLabelValues(l.id, "part").Inc()
		return pdu.StatusOK
	}
	return c.finish(ctx, l, gkey, from, to, parts, int(cc.Total))
}

// claim marks a group as being assembled and reads its parts.
func claim(ctx context.Context, tx store.Tx, gkey string, g *moGroup, owner string, now time.Time) ([]moPart, error) {
	g.Owner, g.Claimed = owner, now
	b, _ := json.Marshal(g)
	if err := tx.Put(ctx, store.Record{Kind: KindMOGroup, ID: gkey, Data: b}); err != nil {
		return nil, err
	}
	recs, err := tx.List(ctx, store.Query{Kind: KindMOPart, Prefix: gkey + "/"})
	if err != nil {
		return nil, err
	}
	parts := make([]moPart, 0, len(recs))
	for _, r := range recs {
		var p moPart
		if err := json.Unmarshal(r.Data, &p); err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// assemble joins parts in order: their user data is concatenated before
// decoding (a character may straddle two parts), and "…" marks missing
// parts.
func assemble(parts []moPart, total int) string {
	sort.Slice(parts, func(i, j int) bool { return parts[i].Seq < parts[j].Seq })
	var b strings.Builder
	next := 1
	for i := 0; i < len(parts); {
		if parts[i].Seq != next {
			b.WriteString("…")
			next = parts[i].Seq
			continue
		}
		j, data := i, []byte{}
		for j < len(parts) && parts[j].Coding == parts[i].Coding && parts[j].Seq == next {
			data = append(data, parts[j].Data...)
			j++
			next++
		}
		b.WriteString(DecodeText(parts[i].Coding, data))
		i = j
	}
	if next <= total {
		b.WriteString("…")
	}
	return b.String()
}

// finish delivers an assembled message and forgets its parts; on failure
// it releases the claim so that the SMSC's retry of the part assembles
// again.
func (c *Carrier) finish(ctx context.Context, l *Link, gkey, from, to string, parts []moPart, total int) pdu.Status {
	st := c.deliver(ctx, l, from, to, assemble(parts, total))
	err := c.o.Store.Update(ctx, func(tx store.Tx) error {
		if st == pdu.StatusXTAppn {
			rec, err := tx.Get(ctx, "", KindMOGroup, gkey)
			if err != nil {
				return err
			}
			var g moGroup
			if err := json.Unmarshal(rec.Data, &g); err != nil {
				return err
			}
			g.Owner, g.Claimed = "", time.Time{}
			b, _ := json.Marshal(g)
			return tx.Put(ctx, store.Record{Kind: KindMOGroup, ID: gkey, Data: b})
		}
		if st != pdu.StatusOK {
			return forget(ctx, tx, gkey) // refused for good: nothing to recognise
		}
		rec, err := tx.Get(ctx, "", KindMOGroup, gkey)
		if err != nil {
			return err
		}
		var g moGroup
		if err := json.Unmarshal(rec.Data, &g); err != nil {
			return err
		}
		g.Owner, g.Claimed, g.Done = "", time.Time{}, c.o.Now().UTC()
		b, _ := json.Marshal(g)
		return tx.Put(ctx, store.Record{Kind: KindMOGroup, ID: gkey, Data: b})
	})
	if err != nil {
		c.log.Warn("smpp: recording a delivered MO's parts failed", "group", gkey, "err", err)
	}
	return st
}

func forget(ctx context.Context, tx store.Tx, gkey string) error {
	if _, err := tx.DeletePrefix(ctx, "", KindMOPart, gkey+"/"); err != nil {
		return err
	}
	if err := tx.Delete(ctx, "", KindMOGroup, gkey); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// sweep delivers concatenated messages whose parts stopped coming.
func (c *Carrier) sweep(ctx context.Context) {
	now := c.o.Now().UTC()
	recs, err := c.o.Store.List(ctx, store.Query{Kind: KindMOGroup, Prefix: c.name + "/"})
	if err != nil {
		return
	}
	for _, r := range recs {
		var g moGroup
		if json.Unmarshal(r.Data, &g) != nil {
			continue
		}
		if !g.Done.IsZero() {
			if now.Sub(g.Done) >= doneTTL {
				err := c.o.Store.Update(ctx, func(tx store.Tx) error {
					rec, err := tx.Get(ctx, "", KindMOGroup, r.ID)
					if err != nil {
						return err
					}
					var cur moGroup
					if err := json.Unmarshal(rec.Data, &cur); err != nil || cur.Done.IsZero() {
						return err
					}
					return forget(ctx, tx, r.ID)
				})
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					c.log.Warn("smpp: forgetting a delivered MO's parts failed", "err", err)
				}
			}
			continue
		}
		if now.Sub(g.Created) < c.o.ReassemblyTimeout || (g.Owner != "" && now.Sub(g.Claimed) < claimTTL) {
			continue
		}
		var parts []moPart
		err := c.o.Store.Update(ctx, func(tx store.Tx) error {
			rec, err := tx.Get(ctx, "", KindMOGroup, r.ID)
			if err != nil {
				return err
			}
			if err := json.Unmarshal(rec.Data, &g); err != nil {
				return err
			}
			if !g.Done.IsZero() || (g.Owner != "" && now.Sub(g.Claimed) < claimTTL) {
				return nil
			}
			parts, err = claim(ctx, tx, r.ID, &g, c.instance, now)
			return err
		})
		if err != nil || parts == nil {
			continue
		}
		l := c.links[0]
		for _, x := range c.links {
			if x.id == g.Link {
				l = x
			}
		}
		c.log.Warn("smpp: concatenated MO incomplete after timeout; delivering the parts received", "from", g.From, "to", g.To,
			"parts", len(parts), "total", g.Total)
		c.finish(ctx, l, r.ID, g.From, g.To, parts, g.Total)
	}
}

// receiptInfo is what a delivery receipt says.
type receiptInfo struct {
	id, stat, err string
	state         byte
}

func readReceipt(p *pdu.PDU) (receiptInfo, bool) {
	var ri receiptInfo
	text := p.ShortMessage
	if v, ok := p.TLV(pdu.TagMessagePayload); ok {
		text = v
	}
	r, textOK := pdu.ParseReceipt(string(text))
	if textOK {
		ri.id, ri.stat, ri.err = r.ID, strings.ToUpper(r.Stat), r.Err
		ri.state = pdu.StateOf(r.Stat)
	}
	if id, ok := p.TLVString(pdu.TagReceiptedMessageID); ok && id != "" {
		ri.id = id
	}
	if st, ok := p.TLVByte(pdu.TagMessageState); ok {
		ri.state = st
		if !textOK || pdu.StateOf(ri.stat) != st {
			ri.stat = pdu.StatOf(st)
		}
	}
	if v, ok := p.TLV(pdu.TagNetworkErrorCode); ok && len(v) == 3 && ri.err == "" {
		ri.err = strconv.Itoa(int(v[1])<<8 | int(v[2]))
	}
	ri.id = strings.TrimSpace(ri.id)
	return ri, ri.id != "" && ri.state != 0
}

// finalStatus maps a message_state to the outbound status it ends in ("":
// not final).
func finalStatus(state byte) string {
	switch state {
	case pdu.StateDelivered:
		return smsvoice.StatusDelivered
	case pdu.StateExpired, pdu.StateDeleted, pdu.StateUndeliverable, pdu.StateRejected, pdu.StateUnknown:
		return smsvoice.StatusFailed
	}
	return ""
}

// idVariants are the forms an SMSC may quote its own message ID in: some
// answer submit_sm in hex and write receipts in decimal, or the reverse.
func idVariants(id string) []string {
	out := []string{id}
	if n, err := strconv.ParseUint(id, 10, 64); err == nil {
		out = append(out, strconv.FormatUint(n, 16), strings.ToUpper(strconv.FormatUint(n, 16)))
	}
	if n, err := strconv.ParseUint(id, 16, 64); err == nil {
		out = append(out, strconv.FormatUint(n, 10))
	}
	if l := strings.ToLower(id); l != id {
		out = append(out, l)
	}
	if u := strings.ToUpper(id); u != id {
		out = append(out, u)
	}
	return out
}

func (c *Carrier) lookup(ctx context.Context, id string) (*partTag, error) {
	for _, v := range idVariants(id) {
		key := c.name + "/" + v
		if t, ok := c.inflight.Load(key); ok {
			return t.(*partTag), nil
		}
		rec, err := c.o.Store.Get(ctx, "", KindMsgID, key)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		var t partTag
		if err := json.Unmarshal(rec.Data, &t); err != nil {
			return nil, err
		}
		t.key = key
		return &t, nil
	}
	return nil, nil
}

type receiptAgg struct {
	Parts  int            `json:"parts"`
	States map[int]string `json:"states"`
	IDs    map[int]string `json:"ids"`
}

// receipt applies a delivery receipt to its message.
func (c *Carrier) receipt(ctx context.Context, l *Link, p *pdu.PDU) pdu.Status {
	ri, ok := readReceipt(p)
	if !ok {
		l.lm.unmatched.Inc()
		l.log.Warn("smpp: unreadable delivery receipt ignored", "text", string(p.ShortMessage))
		return pdu.StatusOK
	}
	l.lm.m.receipts.WithLabelValues(l.id, ri.stat).Inc()
	final := finalStatus(ri.state)
	if final == "" {
		return pdu.StatusOK // ENROUTE, ACCEPTD: nothing to record
	}
	t, err := c.lookup(ctx, ri.id)
	if err == nil && t == nil && len(c.links) > 1 {
		// The part may have been accepted on another bind a moment ago.
		time.Sleep(100 * time.Millisecond)
		t, err = c.lookup(ctx, ri.id)
	}
	if err != nil {
		l.log.Warn("smpp: receipt lookup failed; the SMSC will retry", "err", err)
		return pdu.StatusXTAppn
	}
	if t == nil {
		l.lm.unmatched.Inc()
		l.log.Info("smpp: receipt for an unknown message", "id", ri.id, "stat", ri.stat)
		return pdu.StatusOK
	}
	var outcome string
	var created time.Time
	err = c.gc.Update(ctx, func(tx store.Tx) error {
		outcome, created = "", time.Time{}
		status, reason := final, ""
		carrierID := strings.TrimPrefix(t.key, c.name+"/")
		if final == smsvoice.StatusFailed {
			reason = fmt.Sprintf("carrier receipt: stat:%s err:%s", ri.stat, ri.err)
		}
		if t.Parts > 1 {
			var agg receiptAgg
			rec, err := tx.Get(ctx, "", KindReceipt, t.MessageID)
			switch {
			case errors.Is(err, store.ErrNotFound):
				agg = receiptAgg{Parts: t.Parts, States: map[int]string{}, IDs: map[int]string{}}
			case err != nil:
				return err
			default:
				if err := json.Unmarshal(rec.Data, &agg); err != nil {
					return err
				}
			}
			if _, seen := agg.States[t.Part]; !seen {
				agg.States[t.Part] = ri.stat
				agg.IDs[t.Part] = carrierID
			}
			if len(agg.States) < agg.Parts {
				b, _ := json.Marshal(agg)
				if err := tx.Put(ctx, store.Record{Kind: KindReceipt, ID: t.MessageID, Data: b}); err != nil {
					return err
				}
				return deleteMapping(ctx, tx, t.key)
			}
			status, reason = smsvoice.StatusDelivered, ""
			ids := make([]string, agg.Parts)
			for part := 1; part <= agg.Parts; part++ {
				ids[part-1] = agg.IDs[part]
			}
			carrierID = strings.Join(ids, ",")
			for part := 1; part <= agg.Parts; part++ {
				if s := agg.States[part]; finalStatus(pdu.StateOf(s)) != smsvoice.StatusDelivered {
					status, reason = smsvoice.StatusFailed, fmt.Sprintf("carrier receipt for part %d of %d: stat:%s", part, agg.Parts, s)
					break
				}
			}
			if err := tx.Delete(ctx, "", KindReceipt, t.MessageID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		err := c.o.SMS.UpdateMessageTx(ctx, tx, t.MessageID, func(m *smsvoice.OutboundMessage) {
			if m.Status == smsvoice.StatusDelivered || m.Status == smsvoice.StatusFailed {
				return // the first final receipt stands
			}
			m.Status, m.StatusReason = status, reason
			if m.CarrierMessageID == "" {
				// The receipt overtook the dispatcher's own record of the send.
				m.CarrierMessageID = carrierID
			}
			outcome, created = status, m.CreatedTimestamp
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return deleteMapping(ctx, tx, t.key)
	})
	if err != nil {
		l.log.Warn("smpp: recording receipt failed; the SMSC will retry", "err", err)
		return pdu.StatusXTAppn
	}
	c.inflight.Delete(t.key)
	if outcome != "" {
		l.lm.m.delivery.WithLabelValues(c.name, outcome).Observe(c.o.Now().Sub(created).Seconds())
	}
	return pdu.StatusOK
}

func deleteMapping(ctx context.Context, tx store.Tx, key string) error {
	if err := tx.Delete(ctx, "", KindMsgID, key); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

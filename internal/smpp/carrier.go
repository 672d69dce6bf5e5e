// Package smpp connects duplex to SMSCs over SMPP 3.4. Each configured
// link (one URL) is an ESME bind that connects, binds, keeps alive and
// re-binds with backoff; links with the same name form a Carrier, which
// implements carrier.Carrier for the outbound dispatcher, turns
// mobile-originated deliver_sm into inbound messages through a
// carrier.Sink (acknowledging only once they are durable) and applies
// delivery receipts to outbound messages.
//
// Store records (account ""):
//   - smpp.msgid  CARRIER/SMSC-ID → the duplex MessageId and part of a
//     submitted message part, written when its submit_sm_resp arrives and
//     removed by its final receipt;
//   - smpp.receipt MESSAGE-ID → final states of the parts of a
//     multi-part message until all have one;
//   - smpp.mo-group / smpp.mo-part: the parts of a concatenated
//     mobile-originated message received so far. A part is acknowledged
//     only once stored, so reassembly survives restarts and parts may come
//     in any order; a message still incomplete after the reassembly
//     timeout is delivered with "…" where parts are missing.
package smpp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duplexsms/duplex/internal/carrier"
	"github.com/duplexsms/duplex/internal/groupcommit"
	"github.com/duplexsms/duplex/internal/smpp/pdu"
	"github.com/duplexsms/duplex/internal/smpp/session"
	"github.com/duplexsms/duplex/internal/smsenc"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/store"
)

// Record kinds.
const (
	KindMsgID   = "smpp.msgid"
	KindReceipt = "smpp.receipt"
	KindMOGroup = "smpp.mo-group"
	KindMOPart  = "smpp.mo-part"
)

// Options are what the links need from the rest of duplex.
type Options struct {
	Store store.Store
	// SMS records delivery receipts on outbound messages.
	SMS *smsvoice.Service
	// Sink takes mobile-originated messages (twoway.Pipeline).
	Sink    carrier.Sink
	Log     *slog.Logger
	Metrics *Metrics
	// SendWait is how long Send waits for a bound link (default 5 s).
	SendWait time.Duration
	// ReassemblyTimeout is how long the parts of a concatenated message
	// wait for the rest (default 1 h).
	ReassemblyTimeout time.Duration
	Now               func() time.Time
	// Commit batches receipt and message-ID writes (default: a committer
	// of its own on Store).
	Commit *groupcommit.Committer
}

func (o Options) commit() *groupcommit.Committer {
	if o.Commit != nil {
		return o.Commit
	}
	return &groupcommit.Committer{Store: o.Store}
}

// Carrier is the links of one name.
type Carrier struct {
	name     string
	links    []*Link
	o        Options
	log      *slog.Logger
	instance string
	gc       *groupcommit.Committer

	rr  atomic.Uint32
	ref atomic.Uint32

	mu      sync.Mutex
	changed chan struct{}

	// inflight holds parts whose submit_sm_resp came but whose mapping is
	// not yet stored, so that an early receipt finds its message.
	inflight sync.Map // key → *partTag
}

// partTag travels with a submit_sm.
type partTag struct {
	MessageID string    `json:"messageId"`
	Part      int       `json:"part"`
	Parts     int       `json:"parts"`
	Link      string    `json:"link"`
	Submitted time.Time `json:"submitted"`
	key       string
}

// Name is the carrier name inventory numbers refer to.
func (c *Carrier) Name() string { return c.name }

// Links are the carrier's binds.
func (c *Carrier) Links() []*Link { return c.links }

func (c *Carrier) notify() {
	c.mu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// pick returns a bound transmitting link, waiting up to SendWait.
func (c *Carrier) pick(ctx context.Context) (*Link, error) {
	deadline := time.NewTimer(c.o.SendWait)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ch := c.changed
		c.mu.Unlock()
		n := uint32(len(c.links))
		start := c.rr.Add(1)
		for i := uint32(0); i < n; i++ {
			l := c.links[(start+i)%n]
			if l.cfg.Bind.CanSend() && l.bound() != nil {
				return l, nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-deadline.C:
			return nil, fmt.Errorf("%w for carrier %s", ErrNotBound, c.name)
		}
	}
}

func address(num string, ton, npi byte) pdu.Address {
	if strings.HasPrefix(num, "+") {
		return pdu.Address{TON: ton, NPI: npi, Addr: num[1:]}
	}
	for _, r := range num {
		if r < '0' || r > '9' {
			return pdu.Address{TON: 5, NPI: 0, Addr: num} // alphanumeric sender ID
		}
	}
	return pdu.Address{TON: ton, NPI: npi, Addr: num}
}

// Encode builds the submit_sm PDUs of a message: GSM 03.38 (data_coding 0)
// where possible, else UCS-2 (8); long messages as concatenated parts with
// an 8-bit-reference user data header.
func Encode(cfg LinkConfig, ref byte, from, to, body string) ([]*pdu.PDU, error) {
	enc, chunks := smsenc.Split(body)
	if len(chunks) > 255 {
		return nil, &carrier.RejectedError{Reason: fmt.Sprintf("message needs %d parts; SMS allows 255", len(chunks))}
	}
	var dcs byte
	if enc == smsenc.UCS2 {
		dcs = pdu.CodingUCS2
	}
	src, dst := address(from, cfg.SrcTON, cfg.SrcNPI), address(to, cfg.DstTON, cfg.DstNPI)
	if len(src.Addr) > 20 || len(dst.Addr) > 20 {
		return nil, &carrier.RejectedError{Reason: "address longer than SMPP allows"}
	}
	out := make([]*pdu.PDU, len(chunks))
	for i, ch := range chunks {
		p := &pdu.PDU{Command: pdu.SubmitSM, Source: src, Dest: dst, DataCoding: dcs,
			RegisteredDelivery: cfg.RegisteredDelivery, ShortMessage: ch}
		if len(chunks) > 1 {
			p.ESMClass = pdu.ESMClassUDHI
			p.ShortMessage = append(pdu.ConcatUDH(ref, byte(len(chunks)), byte(i+1)), ch...)
		}
		out[i] = p
	}
	return out, nil
}

// Send submits a message over one bound link and returns the SMSC's
// message IDs (comma-separated for parts). An error means the message may
// or may not have reached the SMSC; the dispatcher retries, so the worst
// outcome of a dropped link is a duplicate. Refusals that retrying cannot
// fix are *carrier.RejectedError.
func (c *Carrier) Send(ctx context.Context, m carrier.Message) (carrier.Result, error) {
	if len(m.MediaURLs) > 0 {
		return carrier.Result{}, &carrier.RejectedError{Reason: "MMS cannot be sent over SMPP"}
	}
	l, err := c.pick(ctx)
	if err != nil {
		return carrier.Result{}, err
	}
	parts, err := Encode(l.cfg, byte(c.ref.Add(1)), m.From, m.To, m.Body)
	if err != nil {
		return carrier.Result{}, err
	}
	type res struct {
		resp *pdu.PDU
		err  error
	}
	results := make([]res, len(parts))
	tags := make([]*partTag, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		tags[i] = &partTag{MessageID: m.ID, Part: i + 1, Parts: len(parts), Link: l.id, Submitted: time.Now().UTC()}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := l.submit(ctx, p, tags[i])
			results[i] = res{r, err}
		}()
	}
	wg.Wait()
	ids := make([]string, 0, len(parts))
	var done []*partTag
	var firstErr error
	for i, r := range results {
		switch {
		case r.err != nil:
			firstErr = cmp(firstErr, r.err)
		case r.resp.Command == pdu.GenericNack:
			firstErr = cmp(firstErr, fmt.Errorf("smpp: SMSC answered generic_nack %s", r.resp.Status))
		case r.resp.Status != pdu.StatusOK:
			if r.resp.Status.Permanent() {
				firstErr = &carrier.RejectedError{Reason: "SMSC refused submit_sm: " + r.resp.Status.String()}
			} else {
				firstErr = cmp(firstErr, fmt.Errorf("smpp: submit_sm refused: %s", r.resp.Status))
			}
		default:
			ids = append(ids, strings.TrimSpace(r.resp.MessageID))
			done = append(done, tags[i])
		}
	}
	c.record(context.WithoutCancel(ctx), done)
	if firstErr != nil {
		return carrier.Result{}, firstErr
	}
	return carrier.Result{CarrierMessageID: strings.Join(ids, ",")}, nil
}

func cmp(first, err error) error {
	var rej *carrier.RejectedError
	if first == nil || errors.As(err, &rej) {
		return err
	}
	return first
}

// onResponse runs in a link's reader: an accepted part becomes findable by
// its SMSC message ID before anything after it is read.
func (c *Carrier) onResponse(r *session.Request, resp *pdu.PDU) {
	tag, ok := r.Tag.(*partTag)
	if !ok || resp.Command != pdu.SubmitSMResp || resp.Status != pdu.StatusOK {
		return
	}
	tag.key = c.name + "/" + strings.TrimSpace(resp.MessageID)
	c.inflight.Store(tag.key, tag)
}

// record stores the SMSC-ID mappings of accepted parts.
func (c *Carrier) record(ctx context.Context, tags []*partTag) {
	if len(tags) == 0 {
		return
	}
	err := c.gc.Update(ctx, func(tx store.Tx) error {
		for _, t := range tags {
			b, _ := json.Marshal(t)
			if err := tx.Put(ctx, store.Record{Kind: KindMsgID, ID: t.key, Data: b}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		c.log.Error("smpp: storing SMSC message IDs failed; receipts for them match only until restart", "err", err)
		return
	}
	for _, t := range tags {
		c.inflight.Delete(t.key)
	}
}

// Package smsc is an SMPP 3.4 SMSC simulator for development, tests and
// load: it accepts binds, acknowledges submit_sm with message IDs and sends
// delivery receipts, injects mobile-originated messages (deliver_sm, long
// ones as concatenated parts), records what it received (reassembled), and
// injects faults: refused binds, throttling, dropped connections, garbage,
// silence. `duplex smsc` serves it with an HTTP API (see Handler).
package smsc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duplexsms/duplex/internal/smpp/pdu"
	"github.com/duplexsms/duplex/internal/smpp/session"
	"github.com/duplexsms/duplex/internal/smsenc"
)

// Config of the simulator.
type Config struct {
	// SystemID and Password that binds must present; an empty SystemID
	// accepts any credentials.
	SystemID, Password string
	// Receipts: "delivered" (default), "undeliverable", "expired",
	// "rejected" or "none".
	Receipts     string
	ReceiptDelay time.Duration
	// Window bounds outstanding deliver_sm per session (default 64).
	Window int
	// RespTimeout for deliver_sm (default 10 s).
	RespTimeout time.Duration
	// Keep bounds the received messages kept for GET /mt (default 100000).
	Keep int
	Log  *slog.Logger
}

// MT is a message an ESME submitted, reassembled when it came in parts.
type MT struct {
	ID                 string    `json:"id"`
	PartIDs            []string  `json:"partIds,omitempty"`
	From               string    `json:"from"`
	To                 string    `json:"to"`
	Body               string    `json:"body"`
	Parts              int       `json:"parts"`
	DataCoding         byte      `json:"dataCoding"`
	SystemID           string    `json:"systemId"`
	RegisteredDelivery byte      `json:"registeredDelivery"`
	Received           time.Time `json:"received"`
}

// Faults to inject; counts are added to what is pending.
type Faults struct {
	// RefuseBinds refuses the next N binds with ESME_RBINDFAIL.
	RefuseBinds int `json:"refuseBinds,omitempty"`
	// Throttle answers the next N submit_sm with ESME_RTHROTTLED.
	Throttle int `json:"throttle,omitempty"`
	// QueueFull answers the next N submit_sm with ESME_RMSGQFUL.
	QueueFull int `json:"queueFull,omitempty"`
	// DropAfter closes the connection, unanswered, when the Nth next
	// submit_sm arrives (with others still outstanding).
	DropAfter int `json:"dropAfter,omitempty"`
	// Silent stops all answers (connections stay open) until cleared.
	Silent *bool `json:"silent,omitempty"`
	// Garbage writes bytes that are no valid PDU to every session:
	// "framed" (a well-framed PDU with an unknown command and another with
	// a broken body) or "unframed" (a command_length no stream survives).
	Garbage string `json:"garbage,omitempty"`
	// DecimalReceiptIDs quotes message IDs in receipts in decimal while
	// submit_sm_resp gives them in hex, as some SMSCs do.
	DecimalReceiptIDs *bool `json:"decimalReceiptIds,omitempty"`
}

type sess struct {
	c        *session.Conn
	mode     pdu.CommandID // bind command; 0 while unbound
	systemID string
}

func (s *sess) receives() bool { return s.mode == pdu.BindReceiver || s.mode == pdu.BindTransceiver }

// Server is a running simulator.
type Server struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	lns      []net.Listener
	sessions map[*sess]bool
	changed  chan struct{}
	mt       []MT
	mtCount  int
	mtWait   chan struct{}
	partial  map[string]*group
	closed   bool

	refuseBinds, throttle, queueFull, dropAfter int
	silent, decimalIDs                          bool

	nextID   atomic.Uint64
	rr       atomic.Uint32
	ref      atomic.Uint32
	receipts chan *receiptJob
	done     chan struct{}
	wg       sync.WaitGroup

	stats struct {
		binds, unbinds, submits, receiptsSent, receiptsAcked, moAcked atomic.Int64
	}
}

type group struct {
	parts map[byte][]byte
	ids   map[byte]string
	first *pdu.PDU
	total byte
}

type receiptJob struct {
	sub  *pdu.PDU
	id   uint64
	sys  string
	at   time.Time
	body string
}

// New builds a simulator; Serve accepts connections.
func New(cfg Config) *Server {
	if cfg.Receipts == "" {
		cfg.Receipts = "delivered"
	}
	if cfg.Window <= 0 {
		cfg.Window = 64
	}
	if cfg.RespTimeout <= 0 {
		cfg.RespTimeout = 10 * time.Second
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 100000
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Server{cfg: cfg, log: cfg.Log, sessions: map[*sess]bool{}, changed: make(chan struct{}), mtWait: make(chan struct{}),
		partial: map[string]*group{}, receipts: make(chan *receiptJob, 1<<20), done: make(chan struct{})}
	s.nextID.Store(uint64(rand.Uint32())<<8 | 0x10000000000)
	for range 32 {
		s.wg.Add(1)
		go s.receiptWorker()
	}
	return s
}

// Serve accepts connections on ln until Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return net.ErrClosed
	}
	s.lns = append(s.lns, ln)
	s.mu.Unlock()
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return nil
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		s.accept(nc)
	}
}

// Close stops listening and closes every session.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	for _, ln := range s.lns {
		ln.Close()
	}
	for ss := range s.sessions {
		ss.c.Close(session.ErrClosed)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) accept(nc net.Conn) {
	ss := &sess{}
	ss.c = session.New(nc, session.Options{Window: s.cfg.Window, RespTimeout: s.cfg.RespTimeout, Concurrency: 256,
		Handle: func(c *session.Conn, p *pdu.PDU) { s.handle(ss, p) }, Log: s.log,
		OnGarbage: func(err error) { s.log.Warn("smsc: bad PDU from ESME", "err", err) }})
	s.mu.Lock()
	s.sessions[ss] = true
	s.mu.Unlock()
	ss.c.Start()
	go func() {
		<-ss.c.Done()
		s.mu.Lock()
		delete(s.sessions, ss)
		s.notify()
		s.mu.Unlock()
	}()
}

func (s *Server) handle(ss *sess, p *pdu.PDU) {
	s.mu.Lock()
	silent := s.silent
	s.mu.Unlock()
	if silent {
		return
	}
	switch p.Command {
	case pdu.BindReceiver, pdu.BindTransmitter, pdu.BindTransceiver:
		s.bind(ss, p)
	case pdu.EnquireLink:
		ss.c.Reply(p, pdu.StatusOK)
	case pdu.Unbind:
		s.stats.unbinds.Add(1)
		ss.c.Reply(p, pdu.StatusOK)
		s.mu.Lock()
		ss.mode = 0
		s.notify()
		s.mu.Unlock()
		go func() { time.Sleep(50 * time.Millisecond); ss.c.Close(session.ErrUnbound) }()
	case pdu.SubmitSM, pdu.DataSM:
		s.submit(ss, p)
	default:
		ss.c.Reply(p, pdu.StatusInvCmdID)
	}
}

func (s *Server) bind(ss *sess, p *pdu.PDU) {
	resp := p.Resp(pdu.StatusOK)
	resp.SystemID = "duplexsmsc"
	s.mu.Lock()
	switch {
	case ss.mode != 0:
		resp.Status = pdu.StatusAlyBnd
	case s.refuseBinds > 0:
		s.refuseBinds--
		resp.Status = pdu.StatusBindFail
	case s.cfg.SystemID != "" && p.SystemID != s.cfg.SystemID:
		resp.Status = pdu.StatusInvSysID
	case s.cfg.SystemID != "" && p.Password != s.cfg.Password:
		resp.Status = pdu.StatusInvPaswd
	default:
		ss.mode, ss.systemID = p.Command, p.SystemID
		s.stats.binds.Add(1)
		s.notify()
	}
	s.mu.Unlock()
	if resp.Status != pdu.StatusOK {
		resp.SystemID = ""
		resp.NoBody = true
	}
	ss.c.Send(resp)
}

func (s *Server) newID() uint64 { return s.nextID.Add(1) }

func (s *Server) submit(ss *sess, p *pdu.PDU) {
	s.mu.Lock()
	var st pdu.Status
	drop := false
	switch {
	case ss.mode == 0 || ss.mode == pdu.BindReceiver:
		st = pdu.StatusInvBndSts
	case s.dropAfter > 0:
		s.dropAfter--
		drop = s.dropAfter == 0
	}
	if st == pdu.StatusOK && !drop {
		switch {
		case s.throttle > 0:
			s.throttle--
			st = pdu.StatusThrottled
		case s.queueFull > 0:
			s.queueFull--
			st = pdu.StatusMsgQFul
		case p.Dest.Addr == "":
			st = pdu.StatusInvDstAdr
		}
	}
	s.mu.Unlock()
	if drop {
		s.log.Info("smsc: fault: dropping the connection mid-window")
		ss.c.Close(errors.New("fault: dropped"))
		return
	}
	if st != pdu.StatusOK {
		r := p.Resp(st)
		r.NoBody = true
		ss.c.Send(r)
		return
	}
	s.stats.submits.Add(1)
	n := s.newID()
	id := strconv.FormatUint(n, 16)
	body := s.record(ss, p, id)
	r := p.Resp(pdu.StatusOK)
	r.MessageID = id
	if ss.c.Send(r) != nil {
		return
	}
	if p.RegisteredDelivery&0x03 != 0 && s.cfg.Receipts != "none" {
		s.receipts <- &receiptJob{sub: p, id: n, sys: ss.systemID, at: time.Now().Add(s.cfg.ReceiptDelay), body: body}
	}
}

// record stores a submitted message (or part) and returns its text.
func (s *Server) record(ss *sess, p *pdu.PDU, id string) string {
	data := p.ShortMessage
	if v, ok := p.TLV(pdu.TagMessagePayload); ok {
		data = v
	}
	var cc pdu.Concat
	concat := false
	if p.ESMClass&pdu.ESMClassUDHI != 0 {
		var err error
		if cc, concat, data, err = pdu.SplitUDH(data); err != nil {
			data = nil
		}
	} else {
		cc, concat = p.SARConcat()
	}
	now := time.Now().UTC()
	m := MT{ID: id, From: addr(p.Source), To: addr(p.Dest), DataCoding: p.DataCoding, SystemID: ss.systemID,
		RegisteredDelivery: p.RegisteredDelivery, Received: now, Parts: 1}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !concat || cc.Total <= 1 {
		m.Body = decode(p.DataCoding, data)
		s.keep(m)
		return m.Body
	}
	key := fmt.Sprintf("%s/%s/%s/%d/%d", ss.systemID, m.From, m.To, cc.Ref, cc.Total)
	g := s.partial[key]
	if g == nil {
		g = &group{parts: map[byte][]byte{}, ids: map[byte]string{}, first: p, total: cc.Total}
		s.partial[key] = g
	}
	g.parts[cc.Seq] = append([]byte(nil), data...)
	g.ids[cc.Seq] = id
	if len(g.parts) < int(g.total) {
		return decode(p.DataCoding, data)
	}
	delete(s.partial, key)
	var all []byte
	for i := byte(1); i <= g.total; i++ {
		all = append(all, g.parts[i]...)
		m.PartIDs = append(m.PartIDs, g.ids[i])
	}
	m.ID, m.Parts, m.Body = g.ids[1], int(g.total), decode(p.DataCoding, all)
	s.keep(m)
	return decode(p.DataCoding, data)
}

// keep is called with s.mu held.
func (s *Server) keep(m MT) {
	s.mt = append(s.mt, m)
	if len(s.mt) > s.cfg.Keep {
		s.mt = append([]MT(nil), s.mt[len(s.mt)-s.cfg.Keep:]...)
	}
	s.mtCount++
	close(s.mtWait)
	s.mtWait = make(chan struct{})
}

func addr(a pdu.Address) string {
	if a.TON == 1 && a.Addr != "" && !strings.HasPrefix(a.Addr, "+") {
		return "+" + a.Addr
	}
	return a.Addr
}

func decode(coding byte, b []byte) string {
	switch coding {
	case pdu.CodingDefault:
		return smsenc.DecodeGSM(b)
	case pdu.CodingUCS2:
		return smsenc.DecodeUCS2(b)
	case pdu.CodingIA5:
		return smsenc.DecodeASCII(b)
	}
	return smsenc.DecodeLatin1(b)
}

// Received returns the messages received so far (oldest first), only
// those to `to` when it is set.
func (s *Server) Received(to string) []MT {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []MT{}
	for _, m := range s.mt {
		if to == "" || m.To == to {
			out = append(out, m)
		}
	}
	return out
}

// ClearReceived forgets the received messages.
func (s *Server) ClearReceived() {
	s.mu.Lock()
	s.mt = nil
	s.mu.Unlock()
}

// WaitReceived waits until at least n messages have been received in all
// (cleared ones count) or ctx ends.
func (s *Server) WaitReceived(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		got, ch := s.mtCount, s.mtWait
		s.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("received %d of %d messages: %w", got, n, ctx.Err())
		}
	}
}

// Inject adds faults.
func (s *Server) Inject(f Faults) {
	s.mu.Lock()
	s.refuseBinds += f.RefuseBinds
	s.throttle += f.Throttle
	s.queueFull += f.QueueFull
	if f.DropAfter > 0 {
		s.dropAfter = f.DropAfter
	}
	if f.Silent != nil {
		s.silent = *f.Silent
	}
	if f.DecimalReceiptIDs != nil {
		s.decimalIDs = *f.DecimalReceiptIDs
	}
	var targets []*sess
	for ss := range s.sessions {
		if ss.mode != 0 {
			targets = append(targets, ss)
		}
	}
	s.mu.Unlock()
	for _, ss := range targets {
		switch f.Garbage {
		case "framed":
			// An unknown command, then a submit_sm_resp-shaped PDU with a
			// body that overruns, then random bytes in a valid frame.
			ss.c.WriteRaw([]byte{0, 0, 0, 16, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 0, 0, 0, 9})
			ss.c.WriteRaw([]byte{0, 0, 0, 20, 0, 0, 0, 5, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xf0, 'x', 'y', 'z', 'w'})
			junk := make([]byte, 40)
			for i := range junk {
				junk[i] = byte(rand.Uint32())
			}
			copy(junk, []byte{0, 0, 0, 40, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 7})
			ss.c.WriteRaw(junk)
		case "unframed":
			ss.c.WriteRaw([]byte{0xff, 0xff, 0xff, 0xff, 'g', 'a', 'r', 'b', 'a', 'g', 'e'})
		}
	}
}

// Session describes a connected ESME.
type Session struct {
	Remote   string `json:"remote"`
	SystemID string `json:"systemId"`
	Bind     string `json:"bind"`
}

// Status of the simulator.
type Status struct {
	Sessions      []Session `json:"sessions"`
	Binds         int64     `json:"binds"`
	Unbinds       int64     `json:"unbinds"`
	Submits       int64     `json:"submits"`
	ReceiptsSent  int64     `json:"receiptsSent"`
	ReceiptsAcked int64     `json:"receiptsAcked"`
	MOAcked       int64     `json:"moAcked"`
	Received      int       `json:"received"`
}

// Status reports sessions and counters.
func (s *Server) Status() Status {
	s.mu.Lock()
	st := Status{Sessions: []Session{}, Received: s.mtCount}
	for ss := range s.sessions {
		b := "unbound"
		if ss.mode != 0 {
			b = strings.TrimPrefix(ss.mode.String(), "bind_")
		}
		st.Sessions = append(st.Sessions, Session{Remote: ss.c.RemoteAddr().String(), SystemID: ss.systemID, Bind: b})
	}
	s.mu.Unlock()
	sort.Slice(st.Sessions, func(i, j int) bool { return st.Sessions[i].Remote < st.Sessions[j].Remote })
	st.Binds, st.Unbinds, st.Submits = s.stats.binds.Load(), s.stats.unbinds.Load(), s.stats.submits.Load()
	st.ReceiptsSent, st.ReceiptsAcked, st.MOAcked = s.stats.receiptsSent.Load(), s.stats.receiptsAcked.Load(), s.stats.moAcked.Load()
	return st
}

// receiver picks a bound receiving session (of systemID when set),
// waiting until one binds or ctx ends.
func (s *Server) receiver(ctx context.Context, systemID string) (*sess, error) {
	for {
		s.mu.Lock()
		var cands []*sess
		for ss := range s.sessions {
			if ss.receives() && (systemID == "" || ss.systemID == systemID) {
				cands = append(cands, ss)
			}
		}
		ch := s.changed
		s.mu.Unlock()
		if len(cands) > 0 {
			sort.Slice(cands, func(i, j int) bool { return cands[i].c.RemoteAddr().String() < cands[j].c.RemoteAddr().String() })
			return cands[int(s.rr.Add(1))%len(cands)], nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("no ESME bound to receive: %w", ctx.Err())
		case <-s.done:
			return nil, errors.New("smsc closed")
		}
	}
}

// deliver sends one deliver_sm until the ESME accepts or refuses it for
// good; connection losses, timeouts and temporary refusals are retried.
func (s *Server) deliver(ctx context.Context, systemID string, p *pdu.PDU) (pdu.Status, error) {
	for {
		ss, err := s.receiver(ctx, systemID)
		if err != nil {
			return 0, err
		}
		q := *p
		resp, err := ss.c.Request(ctx, &q, nil)
		retry := err != nil
		if err == nil {
			switch {
			case resp.Command == pdu.GenericNack:
				return resp.Status, fmt.Errorf("ESME answered generic_nack %s", resp.Status)
			case resp.Status == pdu.StatusOK:
				return pdu.StatusOK, nil
			case resp.Status == pdu.StatusXTAppn || resp.Status.Congestion() || resp.Status == pdu.StatusSysErr:
				retry = true
			default:
				return resp.Status, fmt.Errorf("ESME refused deliver_sm: %s", resp.Status)
			}
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		if retry {
			select {
			case <-time.After(50 * time.Millisecond):
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-s.done:
				return 0, errors.New("smsc closed")
			}
		}
	}
}

func (s *Server) receiptWorker() {
	defer s.wg.Done()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-s.done; cancel() }()
	for {
		var j *receiptJob
		select {
		case j = <-s.receipts:
		case <-s.done:
			return
		}
		if d := time.Until(j.at); d > 0 {
			select {
			case <-time.After(d):
			case <-s.done:
				return
			}
		}
		s.mu.Lock()
		decimal := s.decimalIDs
		s.mu.Unlock()
		id := strconv.FormatUint(j.id, 16)
		if decimal {
			id = strconv.FormatUint(j.id, 10)
		}
		stat := map[string]string{"delivered": "DELIVRD", "undeliverable": "UNDELIV", "expired": "EXPIRED", "rejected": "REJECTD"}[s.cfg.Receipts]
		if stat == "" {
			stat = "DELIVRD"
		}
		now := time.Now().UTC().Format("0601021504")
		text := []rune(j.body)
		if len(text) > 20 {
			text = text[:20]
		}
		errCode := "000"
		if stat != "DELIVRD" {
			errCode = "001"
		}
		r := pdu.Receipt{ID: id, Sub: "001", Dlvrd: "001", SubmitDate: now, DoneDate: now, Stat: stat, Err: errCode, Text: string(text)}
		if stat != "DELIVRD" {
			r.Dlvrd = "000"
		}
		short, ok := smsenc.EncodeGSM(r.String())
		if !ok {
			r.Text = ""
			short, _ = smsenc.EncodeGSM(r.String())
		}
		p := &pdu.PDU{Command: pdu.DeliverSM, Source: j.sub.Dest, Dest: j.sub.Source, ESMClass: pdu.ESMClassReceipt,
			ShortMessage: short, TLVs: []pdu.TLV{{Tag: pdu.TagReceiptedMessageID, Value: pdu.CString(id)},
				{Tag: pdu.TagMessageState, Value: []byte{pdu.StateOf(stat)}}}}
		s.stats.receiptsSent.Add(1)
		if _, err := s.deliver(ctx, j.sys, p); err == nil {
			s.stats.receiptsAcked.Add(1)
		} else if ctx.Err() == nil {
			s.log.Warn("smsc: receipt not accepted", "id", id, "err", err)
		}
	}
}

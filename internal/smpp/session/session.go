// Package session runs one SMPP connection: a reader that frames and
// decodes PDUs, a writer that batches them onto the socket, a window of
// outstanding requests tracked by sequence number (recorded before the
// request is written, so no response can arrive unexpected), response
// timeouts, and enquire_link keep-alive that drops a silent peer. The ESME
// links of package smpp and the simulator of package smsc both use it; bind
// state and what a PDU means are theirs.
package session

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duplexsms/duplex/internal/smpp/pdu"
)

// Errors a request may end with.
var (
	// ErrClosed means the connection ended before the response came: the
	// peer may or may not have acted on the request.
	ErrClosed = errors.New("smpp: connection closed")
	// ErrTimeout means no response came within the response timeout.
	ErrTimeout = errors.New("smpp: response timeout")
	// ErrSilent closes a connection whose peer stopped answering.
	ErrSilent = errors.New("smpp: peer silent")
	// ErrUnbound closes a connection after an unbind.
	ErrUnbound = errors.New("smpp: unbound")
	// ErrMalformedResp means the peer's response could not be decoded.
	ErrMalformedResp = errors.New("smpp: malformed response")
)

// Options configure a connection.
type Options struct {
	// Window bounds the outstanding message requests (submit_sm,
	// deliver_sm, data_sm); 0 means no bound. Other requests bypass it.
	Window int
	// RespTimeout is how long a request waits for its response (default 10 s).
	RespTimeout time.Duration
	// EnquireLink is the keep-alive interval: after that long without a
	// PDU from the peer an enquire_link is sent, and after EnquireLink +
	// RespTimeout the connection is closed with ErrSilent. 0 disables it.
	EnquireLink time.Duration
	// MaxLen bounds command_length (default pdu.MaxLen).
	MaxLen int
	// Handle is called for every request the peer sends. Message requests
	// run concurrently, at most Concurrency at once (reading pauses while
	// all are busy); other requests run in the reader, in order.
	Handle      func(c *Conn, p *pdu.PDU)
	Concurrency int
	// OnResponse is called in the reader for each matched response before
	// its requester is woken.
	OnResponse func(r *Request, resp *pdu.PDU)
	// Observe sees every PDU read (in) and queued for writing.
	Observe func(in bool, p *pdu.PDU)
	// OnGarbage reports bytes that were not a valid PDU and responses no
	// request was waiting for.
	OnGarbage func(err error)
	// OnWindow reports the outstanding message requests after each change.
	OnWindow func(n int)
	Log      *slog.Logger
}

// Request is an outstanding request.
type Request struct {
	PDU  *pdu.PDU
	Tag  any
	sent time.Time
	done chan result
	win  bool
}

type result struct {
	p   *pdu.PDU
	err error
}

// Conn is one SMPP connection.
type Conn struct {
	nc  net.Conn
	o   Options
	out chan []byte

	done      chan struct{}
	closeOnce sync.Once
	err       error

	mu      sync.Mutex
	closed  bool
	pending map[uint32]*Request
	inWin   int

	window   chan struct{}
	handlers chan struct{}
	hwg      sync.WaitGroup
	seq      atomic.Uint32
	lastRead atomic.Int64
	enquire  atomic.Bool
}

// New wraps nc; Start begins reading and writing.
func New(nc net.Conn, o Options) *Conn {
	if o.RespTimeout <= 0 {
		o.RespTimeout = 10 * time.Second
	}
	if o.MaxLen <= 0 {
		o.MaxLen = pdu.MaxLen
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	c := &Conn{nc: nc, o: o, out: make(chan []byte, 1024), done: make(chan struct{}), pending: map[uint32]*Request{}}
	if o.Window > 0 {
		c.window = make(chan struct{}, o.Window)
	}
	if o.Concurrency > 0 {
		c.handlers = make(chan struct{}, o.Concurrency)
	}
	c.lastRead.Store(time.Now().UnixNano())
	return c
}

// Start runs the reader, the writer and the keep-alive.
func (c *Conn) Start() {
	go c.readLoop()
	go c.writeLoop()
	go c.keepalive()
}

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is why the connection ended (nil while it runs).
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// RemoteAddr is the peer's address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Close ends the connection; outstanding requests fail with ErrClosed.
func (c *Conn) Close(err error) {
	c.closeOnce.Do(func() {
		if err == nil {
			err = ErrClosed
		}
		c.mu.Lock()
		c.closed = true
		c.err = err
		pend := c.pending
		c.pending = map[uint32]*Request{}
		c.inWin = 0
		c.mu.Unlock()
		close(c.done)
		c.nc.Close()
		for _, r := range pend {
			r.done <- result{err: ErrClosed}
		}
		if c.o.OnWindow != nil {
			c.o.OnWindow(0)
		}
	})
}

func isMessage(cmd pdu.CommandID) bool {
	return cmd == pdu.SubmitSM || cmd == pdu.DeliverSM || cmd == pdu.DataSM
}

func (c *Conn) nextSeq() uint32 {
	for {
		s := c.seq.Add(1) & 0x7FFFFFFF
		if s != 0 {
			return s
		}
	}
}

// Request sends p (its sequence number is assigned) and waits for the
// response. ctx bounds only the wait for a window slot: once written, a
// request waits for its response, the response timeout or the end of the
// connection, so that a response is never abandoned while it may still
// come.
func (c *Conn) Request(ctx context.Context, p *pdu.PDU, tag any) (*pdu.PDU, error) {
	win := isMessage(p.Command) && c.o.Window > 0
	if win {
		w := c.window
		select {
		case w <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.done:
			return nil, ErrClosed
		}
		defer func() { <-w }()
	}
	p.Seq = c.nextSeq()
	b, err := p.Encode()
	if err != nil {
		return nil, err
	}
	r := &Request{PDU: p, Tag: tag, sent: time.Now(), done: make(chan result, 1), win: win}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	c.pending[p.Seq] = r
	if win {
		c.inWin++
		c.reportWindow(c.inWin)
	}
	c.mu.Unlock()
	if err := c.queue(p, b); err != nil {
		c.take(p.Seq)
		return nil, err
	}
	res := <-r.done
	return res.p, res.err
}

// reportWindow is called with c.mu held.
func (c *Conn) reportWindow(n int) {
	if c.o.OnWindow != nil {
		c.o.OnWindow(n)
	}
}

// take removes a pending request.
func (c *Conn) take(seq uint32) *Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.pending[seq]
	if r != nil {
		delete(c.pending, seq)
		if r.win {
			c.inWin--
			c.reportWindow(c.inWin)
		}
	}
	return r
}

// Outstanding is the number of requests waiting for a response.
func (c *Conn) Outstanding() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// Send writes a PDU that expects no response (a response, generic_nack,
// alert_notification). Its sequence number is the caller's.
func (c *Conn) Send(p *pdu.PDU) error {
	b, err := p.Encode()
	if err != nil {
		return err
	}
	return c.queue(p, b)
}

// Reply answers request p with an empty response of status st.
func (c *Conn) Reply(p *pdu.PDU, st pdu.Status) error { return c.Send(p.Resp(st)) }

func (c *Conn) queue(p *pdu.PDU, b []byte) error {
	select {
	case <-c.done:
		return ErrClosed
	default:
	}
	if c.o.Observe != nil {
		c.o.Observe(false, p)
	}
	select {
	case c.out <- b:
		return nil
	case <-c.done:
		return ErrClosed
	}
}

func (c *Conn) writeLoop() {
	bw := bufio.NewWriterSize(c.nc, 64*1024)
	for {
		select {
		case b := <-c.out:
			bw.Write(b)
			for more := true; more; {
				select {
				case b := <-c.out:
					bw.Write(b)
				default:
					more = false
				}
			}
			if err := bw.Flush(); err != nil {
				c.Close(err)
				return
			}
		case <-c.done:
			return
		}
	}
}

func (c *Conn) readLoop() {
	br := bufio.NewReaderSize(c.nc, 64*1024)
	for {
		b, err := pdu.ReadFrame(br, c.o.MaxLen)
		if err != nil {
			if errors.Is(err, pdu.ErrFrame) {
				c.garbage(err)
				// The stream cannot be resynchronised: say why, then hang up.
				if nb, e := (&pdu.PDU{Command: pdu.GenericNack, Status: pdu.StatusInvCmdLen}).Encode(); e == nil {
					c.nc.SetWriteDeadline(time.Now().Add(time.Second))
					c.queue(&pdu.PDU{Command: pdu.GenericNack, Status: pdu.StatusInvCmdLen}, nb)
					time.Sleep(10 * time.Millisecond)
				}
			}
			c.Close(err)
			return
		}
		c.lastRead.Store(time.Now().UnixNano())
		p, err := pdu.Decode(b)
		if err != nil {
			c.garbage(err)
			var de *pdu.DecodeError
			if errors.As(err, &de) {
				if de.Command.IsResponse() && de.Command.Known() {
					if r := c.take(de.Seq); r != nil {
						r.done <- result{err: ErrMalformedResp}
					}
				} else {
					c.Send(&pdu.PDU{Command: pdu.GenericNack, Status: de.Status, Seq: de.Seq})
				}
			}
			continue
		}
		if c.o.Observe != nil {
			c.o.Observe(true, p)
		}
		if p.Command.IsResponse() {
			r := c.take(p.Seq)
			if r == nil {
				if p.Command != pdu.GenericNack {
					c.garbage(errors.New("smpp: response " + p.Command.String() + " to no outstanding request"))
				} else {
					c.o.Log.Warn("smpp: peer sent generic_nack", "status", p.Status.String(), "seq", p.Seq)
				}
				continue
			}
			if c.o.OnResponse != nil {
				c.o.OnResponse(r, p)
			}
			r.done <- result{p: p}
			continue
		}
		if c.o.Handle == nil {
			c.Reply(p, pdu.StatusInvCmdID)
			continue
		}
		if isMessage(p.Command) && c.handlers != nil {
			select {
			case c.handlers <- struct{}{}:
			case <-c.done:
				return
			}
			c.hwg.Add(1)
			go func() {
				defer func() { <-c.handlers; c.hwg.Done() }()
				c.o.Handle(c, p)
			}()
			continue
		}
		c.o.Handle(c, p)
	}
}

func (c *Conn) garbage(err error) {
	if c.o.OnGarbage != nil {
		c.o.OnGarbage(err)
	}
}

func (c *Conn) keepalive() {
	tick := c.o.RespTimeout / 4
	if c.o.EnquireLink > 0 && c.o.EnquireLink/2 < tick {
		tick = c.o.EnquireLink / 2
	}
	tick = max(min(tick, time.Second), 5*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case now := <-t.C:
			c.expire(now)
			if c.o.EnquireLink <= 0 {
				continue
			}
			idle := now.Sub(time.Unix(0, c.lastRead.Load()))
			if idle > c.o.EnquireLink+c.o.RespTimeout {
				c.o.Log.Warn("smpp: peer silent; closing", "remote", c.nc.RemoteAddr().String(), "idle", idle.Round(time.Millisecond).String())
				c.Close(ErrSilent)
				return
			}
			if idle >= c.o.EnquireLink && c.enquire.CompareAndSwap(false, true) {
				go func() {
					defer c.enquire.Store(false)
					_, err := c.Request(context.Background(), &pdu.PDU{Command: pdu.EnquireLink}, nil)
					if errors.Is(err, ErrTimeout) {
						c.Close(ErrSilent)
					}
				}()
			}
		}
	}
}

func (c *Conn) expire(now time.Time) {
	var late []*Request
	c.mu.Lock()
	for seq, r := range c.pending {
		if now.Sub(r.sent) > c.o.RespTimeout {
			late = append(late, r)
			delete(c.pending, seq)
			if r.win {
				c.inWin--
			}
		}
	}
	if len(late) > 0 {
		c.reportWindow(c.inWin)
	}
	c.mu.Unlock()
	for _, r := range late {
		r.done <- result{err: ErrTimeout}
	}
}

// Drain waits until no request is outstanding and no handler runs, or ctx
// ends.
func (c *Conn) Drain(ctx context.Context) {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		c.mu.Lock()
		n := len(c.pending)
		c.mu.Unlock()
		if n == 0 && (c.handlers == nil || len(c.handlers) == 0) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-c.done:
			return
		case <-t.C:
		}
	}
}

// Unbind sends unbind, waits for unbind_resp (or ctx, or the response
// timeout) and closes the connection.
func (c *Conn) Unbind(ctx context.Context) error {
	_, err := c.Request(ctx, &pdu.PDU{Command: pdu.Unbind}, nil)
	// Give the writer a moment to flush anything queued behind the unbind.
	c.Close(ErrUnbound)
	return err
}

// WriteRaw queues bytes as they are (fault injection: garbage).
func (c *Conn) WriteRaw(b []byte) error {
	select {
	case c.out <- append([]byte(nil), b...):
		return nil
	case <-c.done:
		return ErrClosed
	}
}

package smpp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duplexsms/duplex/internal/smpp/pdu"
	"github.com/duplexsms/duplex/internal/smpp/session"
)

// State of a link.
type State int

// Link states (the duplex_smpp_link_state values).
const (
	StateStopped State = iota
	StateConnecting
	StateBinding
	StateBound
	StateUnbinding
	StateBackoff
)

func (s State) String() string {
	return [...]string{"stopped", "connecting", "binding", "bound", "unbinding", "backoff"}[s]
}

// Errors of sending.
var (
	ErrNotBound = errors.New("smpp: no bound link")
	errRefused  = errors.New("smpp: bind refused")
)

// Link is one ESME bind: it connects, binds, keeps the bind alive and
// re-binds with backoff; it submits within its window and TPS cap.
type Link struct {
	cfg LinkConfig
	id  string
	car *Carrier
	log *slog.Logger
	lm  *linkMetrics
	lim *limiter

	mu      sync.Mutex
	conn    *session.Conn // while bound
	state   State
	lastErr string
	since   time.Time
	binds   int

	throttleUntil  atomic.Int64
	throttleStreak atomic.Int32
}

// LinkStatus is what GET /_duplex/carriers shows of a link.
type LinkStatus struct {
	Link        string    `json:"link"`
	Carrier     string    `json:"carrier"`
	URL         string    `json:"url"`
	State       string    `json:"state"`
	Since       time.Time `json:"since"`
	Binds       int       `json:"binds"`
	Outstanding int       `json:"outstanding"`
	LastError   string    `json:"lastError,omitempty"`
}

// Status reports the link's state.
func (l *Link) Status() LinkStatus {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := LinkStatus{Link: l.id, Carrier: l.cfg.Name, URL: l.cfg.String(), State: l.state.String(), Since: l.since,
		Binds: l.binds, LastError: l.lastErr}
	if l.conn != nil {
		st.Outstanding = l.conn.Outstanding()
	}
	return st
}

func (l *Link) setState(s State, err error) {
	l.mu.Lock()
	l.state, l.since = s, time.Now().UTC()
	if err != nil {
		l.lastErr = err.Error()
	}
	l.mu.Unlock()
	l.lm.state.Set(float64(s))
	l.car.notify()
}

// bound returns the connection while the link is bound.
func (l *Link) bound() *session.Conn {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state != StateBound {
		return nil
	}
	return l.conn
}

func (l *Link) run(ctx context.Context) {
	backoff := l.cfg.MinBackoff
	for ctx.Err() == nil {
		up, err := l.session(ctx)
		if ctx.Err() != nil {
			break
		}
		if up > 30*time.Second {
			backoff = l.cfg.MinBackoff
		}
		wait := time.Duration(float64(backoff) * (0.8 + 0.4*rand.Float64()))
		l.setState(StateBackoff, err)
		l.log.Warn("smpp link down; will re-bind", "err", err, "in", wait.Round(time.Millisecond).String())
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
		backoff = min(backoff*2, l.cfg.MaxBackoff)
	}
	l.setState(StateStopped, nil)
}

func (l *Link) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: l.cfg.ConnectTimeout, KeepAlive: 30 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", l.cfg.Addr)
	if err != nil || !l.cfg.TLS {
		return nc, err
	}
	host, _, _ := net.SplitHostPort(l.cfg.Addr)
	tc := tls.Client(nc, &tls.Config{ServerName: host, InsecureSkipVerify: l.cfg.TLSSkipVerify, MinVersion: tls.VersionTLS12})
	hctx, cancel := context.WithTimeout(ctx, l.cfg.ConnectTimeout)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		nc.Close()
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return tc, nil
}

// session connects, binds and serves until the connection ends or ctx
// does (then it drains and unbinds). It returns how long it was bound.
func (l *Link) session(ctx context.Context) (time.Duration, error) {
	l.setState(StateConnecting, nil)
	nc, err := l.dial(ctx)
	if err != nil {
		l.lm.m.binds.WithLabelValues(l.id, "error").Inc()
		return 0, fmt.Errorf("connect %s: %w", l.cfg.Addr, err)
	}
	c := session.New(nc, session.Options{
		Window: l.cfg.Window, RespTimeout: l.cfg.RespTimeout, EnquireLink: l.cfg.EnquireLink,
		Handle: l.handle, Concurrency: l.cfg.RxConcurrency, OnResponse: l.car.onResponse,
		Observe: l.lm.observe, OnWindow: func(n int) { l.lm.window.Set(float64(n)) },
		OnGarbage: func(err error) {
			l.lm.garb.Inc()
			l.log.Warn("smpp: bad PDU from SMSC", "err", err)
		},
		Log: l.log,
	})
	c.Start()
	l.setState(StateBinding, nil)
	cmd := map[BindMode]pdu.CommandID{Transmitter: pdu.BindTransmitter, Receiver: pdu.BindReceiver, Transceiver: pdu.BindTransceiver}[l.cfg.Bind]
	bctx, cancel := context.WithTimeout(ctx, l.cfg.RespTimeout)
	resp, err := c.Request(bctx, &pdu.PDU{Command: cmd, SystemID: l.cfg.SystemID, Password: l.cfg.Password,
		SystemType: l.cfg.SystemType, InterfaceVersion: 0x34, AddressRange: l.cfg.AddressRange}, nil)
	cancel()
	if err == nil && (resp.Command == pdu.GenericNack || resp.Status != pdu.StatusOK) {
		l.lm.m.binds.WithLabelValues(l.id, "refused").Inc()
		c.Close(errRefused)
		return 0, fmt.Errorf("%w: %s %s", errRefused, resp.Command, resp.Status)
	}
	if err != nil {
		l.lm.m.binds.WithLabelValues(l.id, "error").Inc()
		c.Close(err)
		return 0, fmt.Errorf("bind: %w", err)
	}
	l.lm.m.binds.WithLabelValues(l.id, "ok").Inc()
	start := time.Now()
	l.mu.Lock()
	l.conn = c
	l.binds++
	l.mu.Unlock()
	l.throttleStreak.Store(0)
	l.setState(StateBound, nil)
	l.log.Info("smpp link bound", "smsc", l.cfg.Addr, "system_id", l.cfg.SystemID, "bind", string(l.cfg.Bind), "smsc_system_id", resp.SystemID)
	select {
	case <-c.Done():
	case <-ctx.Done():
		l.setState(StateUnbinding, nil)
		dctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c.Drain(dctx)
		cancel()
		uctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := c.Unbind(uctx)
		cancel()
		l.log.Info("smpp link unbound", "smsc", l.cfg.Addr, "err", err)
	}
	l.mu.Lock()
	l.conn = nil
	l.mu.Unlock()
	return time.Since(start), c.Err()
}

// handle answers the SMSC's requests.
func (l *Link) handle(c *session.Conn, p *pdu.PDU) {
	switch p.Command {
	case pdu.EnquireLink:
		c.Reply(p, pdu.StatusOK)
	case pdu.Unbind:
		l.log.Info("smpp: SMSC unbound the link", "smsc", l.cfg.Addr)
		c.Reply(p, pdu.StatusOK)
		go func() { time.Sleep(50 * time.Millisecond); c.Close(session.ErrUnbound) }()
	case pdu.DeliverSM, pdu.DataSM:
		st := l.car.inbound(l, p)
		c.Reply(p, st)
	case pdu.AlertNotification, pdu.Outbind:
		// No response is defined; nothing to do.
	default:
		c.Reply(p, pdu.StatusInvCmdID)
	}
}

// throttled starts or extends the pause after a congestion answer.
func (l *Link) throttled() {
	l.lm.throttles.Inc()
	now := time.Now().UnixNano()
	if now < l.throttleUntil.Load() {
		return // already pausing: answers to requests sent before the pause
	}
	n := l.throttleStreak.Add(1)
	pause := min(l.cfg.ThrottleBackoff<<min(n-1, 10), 10*time.Second)
	l.throttleUntil.Store(now + int64(pause))
	if n == 1 {
		l.log.Warn("smpp: SMSC throttles; backing off", "pause", pause.String())
	}
}

func (l *Link) waitThrottle(ctx context.Context) error {
	for {
		d := time.Duration(l.throttleUntil.Load() - time.Now().UnixNano())
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// maxCongestionRetries bounds resending one part after congestion answers
// before the send fails (and the dispatcher retries later).
const maxCongestionRetries = 20

// submit sends one submit_sm and returns its response, retrying after
// ESME_RTHROTTLED / ESME_RMSGQFUL.
func (l *Link) submit(ctx context.Context, p *pdu.PDU, tag *partTag) (*pdu.PDU, error) {
	for try := 0; ; try++ {
		if err := l.waitThrottle(ctx); err != nil {
			return nil, err
		}
		if err := l.lim.wait(ctx); err != nil {
			return nil, err
		}
		c := l.bound()
		if c == nil {
			return nil, ErrNotBound
		}
		start := time.Now()
		q := *p
		resp, err := c.Request(ctx, &q, tag)
		if err != nil {
			return nil, err
		}
		if resp.Command == pdu.GenericNack {
			return resp, nil
		}
		l.lm.submit.Observe(time.Since(start).Seconds())
		if resp.Status.Congestion() {
			l.throttled()
			if try+1 >= maxCongestionRetries {
				return resp, nil
			}
			continue
		}
		if resp.Status == pdu.StatusOK {
			l.throttleStreak.Store(0)
		}
		return resp, nil
	}
}

// limiter spaces submit_sm to a TPS cap.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newLimiter(tps float64) *limiter {
	if tps <= 0 {
		return nil
	}
	return &limiter{interval: time.Duration(float64(time.Second) / tps)}
}

func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	if l.next.Before(now) {
		l.next = now
	}
	at := l.next
	l.next = l.next.Add(l.interval)
	l.mu.Unlock()
	d := at.Sub(now)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

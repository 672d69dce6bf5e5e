package smpp

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// BindMode is how a link binds.
type BindMode string

// Bind modes.
const (
	Transmitter BindMode = "transmitter"
	Receiver    BindMode = "receiver"
	Transceiver BindMode = "transceiver"
)

// CanSend tells whether the mode submits messages.
func (b BindMode) CanSend() bool { return b != Receiver }

// LinkConfig is one ESME bind to an SMSC. Links with the same Name form one
// carrier: messages are spread over its bound transmitting links and
// receipts and replies may arrive on any of them.
type LinkConfig struct {
	Name          string
	Addr          string // host:port
	TLS           bool
	TLSSkipVerify bool
	SystemID      string
	Password      string
	SystemType    string
	Bind          BindMode
	AddressRange  string
	// TPS caps submit_sm per second (0: no cap).
	TPS float64
	// Window bounds outstanding submit_sm.
	Window int
	// Source and destination TON/NPI for numeric addresses (alphanumeric
	// senders always go as TON 5, NPI 0).
	SrcTON, SrcNPI, DstTON, DstNPI byte
	// RegisteredDelivery is the registered_delivery of submit_sm (1: a
	// receipt on success or failure; 0: none).
	RegisteredDelivery byte
	EnquireLink        time.Duration
	RespTimeout        time.Duration
	ConnectTimeout     time.Duration
	// MinBackoff and MaxBackoff bound the wait before re-binding.
	MinBackoff, MaxBackoff time.Duration
	// ThrottleBackoff is the first pause after ESME_RTHROTTLED or
	// ESME_RMSGQFUL; it doubles while the SMSC keeps refusing (max 10 s).
	ThrottleBackoff time.Duration
	// RxConcurrency bounds deliver_sm handled at once (reading pauses
	// beyond it, which holds back the SMSC).
	RxConcurrency int
}

// Defaults of a link.
func defaultLink() LinkConfig {
	return LinkConfig{Bind: Transceiver, Window: 10, SrcTON: 1, SrcNPI: 1, DstTON: 1, DstNPI: 1,
		RegisteredDelivery: 1, EnquireLink: 30 * time.Second, RespTimeout: 10 * time.Second,
		ConnectTimeout: 10 * time.Second, MinBackoff: time.Second, MaxBackoff: time.Minute,
		ThrottleBackoff: 200 * time.Millisecond, RxConcurrency: 64}
}

// ParseURL reads a link URL:
//
//	smpp://SYSTEM_ID:PASSWORD@HOST:PORT?bind=transceiver&tps=100&window=10&system_type=&addr_range=&src_ton=1&src_npi=1&tls=false
//
// smpps:// means tls=true. Further parameters: name (the carrier name),
// dst_ton, dst_npi, registered_delivery (0/1), enquire_link, resp_timeout,
// connect_timeout, backoff, max_backoff, throttle_backoff (durations like
// 30s), rx_concurrency, tls_skip_verify.
func ParseURL(raw string) (LinkConfig, error) {
	c := defaultLink()
	u, err := url.Parse(raw)
	if err != nil {
		return c, fmt.Errorf("smpp link: %w", err)
	}
	switch u.Scheme {
	case "smpp":
	case "smpps":
		c.TLS = true
	default:
		return c, fmt.Errorf("smpp link %s: scheme must be smpp or smpps", redact(u))
	}
	if u.Host == "" {
		return c, fmt.Errorf("smpp link %s: no host", redact(u))
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, port = u.Host, "2775"
	}
	c.Addr = net.JoinHostPort(host, port)
	if u.User != nil {
		c.SystemID = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	var errs []string
	bad := func(k, v, why string) { errs = append(errs, fmt.Sprintf("%s=%q: %s", k, v, why)) }
	for k, vs := range u.Query() {
		v := vs[len(vs)-1]
		switch k {
		case "name":
			c.Name = v
		case "bind":
			switch BindMode(strings.ToLower(v)) {
			case Transmitter, Receiver, Transceiver:
				c.Bind = BindMode(strings.ToLower(v))
			default:
				bad(k, v, "want transmitter, receiver or transceiver")
			}
		case "tps":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				bad(k, v, "want a number ≥ 0")
			}
			c.TPS = f
		case "window", "rx_concurrency":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 10000 {
				bad(k, v, "want 1..10000")
			}
			if k == "window" {
				c.Window = n
			} else {
				c.RxConcurrency = n
			}
		case "system_type":
			c.SystemType = v
		case "addr_range", "address_range":
			c.AddressRange = v
		case "src_ton", "src_npi", "dst_ton", "dst_npi", "registered_delivery":
			n, err := strconv.ParseUint(v, 10, 8)
			if err != nil {
				bad(k, v, "want 0..255")
			}
			*map[string]*byte{"src_ton": &c.SrcTON, "src_npi": &c.SrcNPI, "dst_ton": &c.DstTON, "dst_npi": &c.DstNPI,
				"registered_delivery": &c.RegisteredDelivery}[k] = byte(n)
		case "tls", "tls_skip_verify":
			b, err := strconv.ParseBool(v)
			if err != nil {
				bad(k, v, "want true or false")
			}
			if k == "tls" {
				c.TLS = b || u.Scheme == "smpps"
			} else {
				c.TLSSkipVerify = b
			}
		case "enquire_link", "resp_timeout", "connect_timeout", "backoff", "max_backoff", "throttle_backoff":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				bad(k, v, "want a duration like 30s")
			}
			*map[string]*time.Duration{"enquire_link": &c.EnquireLink, "resp_timeout": &c.RespTimeout,
				"connect_timeout": &c.ConnectTimeout, "backoff": &c.MinBackoff, "max_backoff": &c.MaxBackoff,
				"throttle_backoff": &c.ThrottleBackoff}[k] = d
		default:
			bad(k, v, "unknown parameter")
		}
	}
	for _, s := range []struct {
		name string
		v    string
		max  int
	}{{"system_id", c.SystemID, 15}, {"password", c.Password, 8}, {"system_type", c.SystemType, 12}, {"addr_range", c.AddressRange, 40}} {
		if len(s.v) > s.max {
			v := s.v
			if s.name == "password" {
				v = "…"
			}
			bad(s.name, v, fmt.Sprintf("SMPP allows at most %d characters", s.max))
		}
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = c.MinBackoff
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("smpp link %s: %s", redact(u), strings.Join(errs, "; "))
	}
	return c, nil
}

func redact(u *url.URL) string {
	v := *u
	if v.User != nil {
		v.User = url.User(v.User.Username())
	}
	return v.String()
}

// String is the link as a URL without its password.
func (c LinkConfig) String() string {
	scheme := "smpp"
	if c.TLS {
		scheme = "smpps"
	}
	return fmt.Sprintf("%s://%s@%s?bind=%s&name=%s", scheme, url.User(c.SystemID).String(), c.Addr, c.Bind, c.Name)
}

// Named gives each link of urls its carrier name: its name= parameter, else
// the name of the configured carrier with the same URL (names), else
// "smpp" for the first unnamed link, "smpp2", "smpp3"… for the others.
func Named(urls []string, names map[string]string) ([]LinkConfig, error) {
	var out []LinkConfig
	unnamed := 0
	for i, raw := range urls {
		c, err := ParseURL(raw)
		if err != nil {
			return nil, fmt.Errorf("link %d: %w", i+1, err)
		}
		if c.Name == "" {
			c.Name = names[raw]
		}
		if c.Name == "" {
			unnamed++
			c.Name = "smpp"
			if unnamed > 1 {
				c.Name = fmt.Sprintf("smpp%d", unnamed)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

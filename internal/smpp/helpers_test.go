package smpp_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/duplexsms/duplex/internal/client"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/e2e"
	"github.com/duplexsms/duplex/internal/smpp/smsc"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/twoway"
)

// waitBound bounds every wait of these tests: long enough never to matter
// on a slow machine, there only so that a broken build fails instead of
// hanging. No test asserts on how long anything took.
const waitBound = 60 * time.Second

// Fast timers for the links under test (faults are detected in a fraction
// of a second instead of the production defaults' tens of seconds).
const fastLink = "bind=transceiver&window=10&enquire_link=300ms&resp_timeout=1s&backoff=30ms&max_backoff=200ms&throttle_backoff=20ms&connect_timeout=2s"

type env struct {
	t      *testing.T
	sim    *smsc.Server
	addr   string
	h      *e2e.Harness
	sms    *sms.Client
	cli    *client.Client
	number string
}

// startSim serves a simulator on a free loopback port.
func startSim(t *testing.T, cfg smsc.Config) (*smsc.Server, string) {
	t.Helper()
	if cfg.SystemID == "" {
		cfg.SystemID, cfg.Password = "duplex", "secret"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	}
	sim := smsc.New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go sim.Serve(ln)
	t.Cleanup(func() { sim.Close() })
	return sim, ln.Addr().String()
}

// newEnv starts a simulator and a duplex server linked to it, and gives
// account A an ACTIVE number.
func newEnv(t *testing.T, simCfg smsc.Config, linkParams string, opts ...e2e.Option) *env {
	t.Helper()
	sim, addr := startSim(t, simCfg)
	return attach(t, sim, addr, linkParams, opts...)
}

// withLink sets the server's SMPP links.
func withLink(urls ...string) e2e.Option {
	return func(c *config.Config) { c.SMPP = urls }
}

// attach starts a duplex server with one link to the simulator at addr
// (with addr "", opts give the links).
func attach(t *testing.T, sim *smsc.Server, addr, linkParams string, opts ...e2e.Option) *env {
	t.Helper()
	if linkParams == "" {
		linkParams = fastLink
	}
	if addr != "" {
		opts = append([]e2e.Option{withLink(fmt.Sprintf("smpp://duplex:secret@%s?%s", addr, linkParams))}, opts...)
	}
	h := e2e.Start(t, e2e.SQLite, opts...)
	e := &env{t: t, sim: sim, addr: addr, h: h, sms: h.A(),
		cli: &client.Client{Endpoint: h.URL, Region: e2e.Region, Creds: aws.Credentials{AccessKeyID: e2e.KeyA, SecretAccessKey: e2e.SecretA}}}
	e.number = e.requestNumber()
	return e
}

func (e *env) requestNumber() string {
	e.t.Helper()
	out, err := e.sms.RequestPhoneNumber(context.Background(), &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"),
		MessageType: types.MessageTypeTransactional, NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms},
		NumberType: types.RequestableNumberTypeSimulator})
	if err != nil {
		e.t.Fatalf("RequestPhoneNumber: %v", err)
	}
	return aws.ToString(out.PhoneNumber)
}

// send sends a text through the SDK and returns its MessageId.
func (e *env) send(to, body string) string {
	e.t.Helper()
	out, err := e.sms.SendTextMessage(context.Background(), &sms.SendTextMessageInput{DestinationPhoneNumber: aws.String(to),
		OriginationIdentity: aws.String(e.number), MessageBody: aws.String(body)})
	if err != nil {
		e.t.Fatalf("SendTextMessage: %v", err)
	}
	return aws.ToString(out.MessageId)
}

// message reads GET /_duplex/messages/ID.
func (e *env) message(id string) smsvoice.OutboundMessage {
	e.t.Helper()
	var m smsvoice.OutboundMessage
	if err := e.cli.Do(context.Background(), "GET", "/_duplex/messages/"+url.PathEscape(id), nil, nil, &m); err != nil {
		e.t.Fatalf("GET /_duplex/messages/%s: %v", id, err)
	}
	return m
}

// waitStatus polls a message until it has status want (or a final status
// that is not want, which fails the test).
func (e *env) waitStatus(id, want string) smsvoice.OutboundMessage {
	e.t.Helper()
	deadline := time.Now().Add(waitBound)
	for {
		m := e.message(id)
		if m.Status == want {
			return m
		}
		if (m.Status == smsvoice.StatusDelivered || m.Status == smsvoice.StatusFailed) && m.Status != want {
			e.t.Fatalf("message %s is %s (%s), want %s", id, m.Status, m.StatusReason, want)
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("message %s still %s (%s), want %s", id, m.Status, m.StatusReason, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// inbound lists GET /_duplex/inbound for the env's number.
func (e *env) inbound() []twoway.InboundMessage {
	e.t.Helper()
	var out struct {
		InboundMessages []twoway.InboundMessage `json:"inboundMessages"`
	}
	q := url.Values{"destinationNumber": {e.number}, "limit": {"100000"}}
	if err := e.cli.Do(context.Background(), "GET", "/_duplex/inbound", q, nil, &out); err != nil {
		e.t.Fatalf("GET /_duplex/inbound: %v", err)
	}
	return out.InboundMessages
}

// waitInbound waits until every body in want is an inbound message, and
// returns them by body.
func (e *env) waitInbound(want ...string) map[string]twoway.InboundMessage {
	e.t.Helper()
	deadline := time.Now().Add(waitBound)
	for {
		got := map[string]twoway.InboundMessage{}
		for _, m := range e.inbound() {
			got[m.MessageBody] = m
		}
		missing := 0
		for _, w := range want {
			if _, ok := got[w]; !ok {
				missing++
			}
		}
		if missing == 0 {
			return got
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%d of %d inbound messages missing", missing, len(want))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// mt waits for the simulator to have received a message with body and
// returns it.
func (e *env) mt(body string) smsc.MT {
	e.t.Helper()
	deadline := time.Now().Add(waitBound)
	for {
		for _, m := range e.sim.Received("") {
			if m.Body == body {
				return m
			}
		}
		if time.Now().After(deadline) {
			var bodies []string
			for _, m := range e.sim.Received("") {
				bodies = append(bodies, fmt.Sprintf("%q", m.Body))
			}
			e.t.Fatalf("SMSC never received %q; it has %s", body, strings.Join(bodies, ", "))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) mo(mo smsc.MO) {
	e.t.Helper()
	if mo.To == "" {
		mo.To = e.number
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitBound)
	defer cancel()
	if _, err := e.sim.SendMO(ctx, mo); err != nil {
		e.t.Fatalf("SendMO %.30q: %v", mo.Body, err)
	}
}

// metric reads one sample of the server's registry (sum over matching
// label sets).
func (e *env) metric(name string, labels map[string]string) float64 {
	mfs, err := e.h.Server.Registry.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == k && lp.GetValue() == v {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				sum += m.GetCounter().GetValue()
			case m.Gauge != nil:
				sum += m.GetGauge().GetValue()
			case m.Histogram != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}

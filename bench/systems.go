package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/duplexsms/duplex/internal/smpp/smsc"
)

// The account duplex is configured with, and the numbers of its inventory
// (US toll-free, carried by the SMPP link "smsc").
const (
	benchAccount = "123456789012"
	benchKey     = "AKIABENCH0000000TEST"
	benchSecret  = "bench-secret-key"
	benchRegion  = "us-east-1"
	rawNumber    = "+18335550100" // two-way to a topic with a raw subscription
	signedNumber = "+18335550101" // two-way to a topic with a signed (envelope) subscription
	smppUser     = "bench"
	smppPass     = "bench"
	mtFrom       = "+18335550100"
)

// mtTo is the customer number of MT message i.
func mtTo(i int) string { return fmt.Sprintf("+1425555%04d", i%100) }

// base is what every system under test runs beside its gateway: the SMSC
// (`duplex smsc`, its own process) and the counting app (`bench sink`).
type base struct {
	smsc     *proc
	smscAPI  string // http://…
	smscSMPP string // host:port
	smscC    *smsc.Client
	sink     *proc
	sinkURL  string
	sinkC    *sinkClient
}

func (h *harness) startBase(ctx context.Context, dir string) (*base, error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	b := &base{smscSMPP: fmt.Sprintf("127.0.0.1:%d", ports[0]), smscAPI: fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		sinkURL: fmt.Sprintf("http://127.0.0.1:%d", ports[2])}
	b.smsc, err = startProc("smsc", filepath.Join(dir, "smsc.log"), nil, h.duplexBin, "smsc", "--addr", b.smscSMPP,
		"--http", strings.TrimPrefix(b.smscAPI, "http://"), "--system-id", smppUser, "--password", smppPass, "--log-level", "warn")
	if err != nil {
		return nil, err
	}
	b.smscC = &smsc.Client{URL: b.smscAPI, HTTP: h.hc}
	if err := waitFor(ctx, "duplex smsc", 30*time.Second, b.smsc, func() bool { return httpOK(b.smscAPI + "/status") }); err != nil {
		b.close()
		return nil, err
	}
	b.sink, err = startProc("counting app", filepath.Join(dir, "sink.log"), nil, h.self, "sink", "--addr", strings.TrimPrefix(b.sinkURL, "http://"))
	if err != nil {
		b.close()
		return nil, err
	}
	b.sinkC = &sinkClient{url: b.sinkURL, hc: h.hc}
	if err := waitFor(ctx, "counting app", 30*time.Second, b.sink, func() bool { return httpOK(b.sinkURL + "/_bench/count") }); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

func (b *base) close() {
	b.sink.stop(5 * time.Second)
	b.smsc.stop(5 * time.Second)
}

// bound waits until the SMSC has a session bound with the bench's
// system_id.
func (b *base) bound(ctx context.Context, p *proc) error {
	return waitFor(ctx, "SMPP bind", 60*time.Second, p, func() bool {
		st, err := b.smscC.Status(ctx)
		if err != nil {
			return false
		}
		for _, s := range st.Sessions {
			if s.SystemID == smppUser && s.Bind != "unbound" {
				return true
			}
		}
		return false
	})
}

// system is one gateway under test with its SMSC and counting app.
type system struct {
	name string // as the report shows it
	id   string // in file names
	*base
	gw []*proc
	// send submits MT message i through the gateway's HTTP API.
	send func(ctx context.Context, i int, body string) error
	// moTo is the number MO messages are sent to.
	moTo  string
	stopG func() // stops the gateway (not the base)
	// duplex only
	dx *duplexGW
}

func (s *system) watched(h *harness) []watched {
	var ws []watched
	for _, p := range s.gw {
		if p != nil && !p.exited() {
			ws = append(ws, watched{p.name, p.pid()})
		}
	}
	ws = append(ws, watched{"smsc", s.smsc.pid()}, watched{"counting app", s.sink.pid()}, watched{"bench (load generator)", os.Getpid()})
	return ws
}

func (s *system) close() {
	if s.stopG != nil {
		s.stopG()
	}
	s.base.close()
}

// duplexGW is a duplex server process and what it was set up with.
type duplexGW struct {
	h         *harness
	dir, data string
	cfgPath   string
	addr      string
	pprofAddr string
	p         *proc
	api       *sms.Client
	sns       *sns.Client
	numberIDs map[string]string // E.164 → PhoneNumberId
	topics    map[string]string // name → ARN
}

func (h *harness) newDuplex(dir string, b *base) (*duplexGW, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	d := &duplexGW{h: h, dir: dir, data: filepath.Join(dir, "data"), cfgPath: filepath.Join(dir, "duplex.yaml"),
		addr: fmt.Sprintf("127.0.0.1:%d", ports[0]), pprofAddr: fmt.Sprintf("127.0.0.1:%d", ports[1]),
		numberIDs: map[string]string{}, topics: map[string]string{}}
	cfg := fmt.Sprintf(`# written by bench/: one account, one SMPP carrier, its numbers
accounts:
  - id: "%s"
    access_keys:
      - id: %s
        secret: %s
carriers:
  - name: smsc
    url: "smpp://%s:%s@%s?bind=transceiver&window=64&rx_concurrency=64"
inventory:
  - {number: "%s", country: US, type: TOLL_FREE, capabilities: [SMS], carrier: smsc}
  - {number: "%s", country: US, type: TOLL_FREE, capabilities: [SMS], carrier: smsc}
`, benchAccount, benchKey, benchSecret, smppUser, smppPass, b.smscSMPP, rawNumber, signedNumber)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(d.cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	creds := credentials.NewStaticCredentialsProvider(benchKey, benchSecret, "")
	d.api = sms.New(sms.Options{Region: benchRegion, BaseEndpoint: aws.String("http://" + d.addr), Credentials: creds,
		HTTPClient: h.hc, RetryMaxAttempts: 1})
	d.sns = sns.New(sns.Options{Region: benchRegion, BaseEndpoint: aws.String("http://" + d.addr), Credentials: creds,
		HTTPClient: h.hc, RetryMaxAttempts: 1})
	return d, nil
}

func (d *duplexGW) start(ctx context.Context, b *base) error {
	var err error
	d.p, err = startProc("duplex", filepath.Join(d.dir, "duplex.log"), []string{"DUPLEX_PPROF_ADDR=" + d.pprofAddr},
		d.h.duplexBin, "serve", "--addr", d.addr, "--data", d.data, "--config", d.cfgPath, "--log-level", "warn")
	if err != nil {
		return err
	}
	if err := waitFor(ctx, "duplex", 60*time.Second, d.p, func() bool { return httpOK("http://" + d.addr + "/healthz") }); err != nil {
		return err
	}
	return b.bound(ctx, d.p)
}

func (d *duplexGW) stop() { d.p.stop(30 * time.Second) }

// setup requests the inventory numbers, creates a topic for each with a
// policy letting sms-voice.amazonaws.com publish, subscribes the counting
// app (raw for one, signed envelopes with SignatureVersion 2 for the other),
// waits for the app to confirm, and enables two-way on each number.
func (d *duplexGW) setup(ctx context.Context, b *base) error {
	for range 2 {
		out, err := d.api.RequestPhoneNumber(ctx, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"),
			MessageType: types.MessageTypeTransactional, NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms},
			NumberType: types.RequestableNumberTypeTollFree})
		if err != nil {
			return fmt.Errorf("RequestPhoneNumber: %w", err)
		}
		d.numberIDs[aws.ToString(out.PhoneNumber)] = aws.ToString(out.PhoneNumberId)
	}
	for _, t := range []struct {
		name, number string
		raw          bool
	}{{"bench-inbound", rawNumber, true}, {"bench-inbound-signed", signedNumber, false}} {
		id := d.numberIDs[t.number]
		if id == "" {
			return fmt.Errorf("the inventory did not hand out %s", t.number)
		}
		tp, err := d.sns.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(t.name)})
		if err != nil {
			return fmt.Errorf("CreateTopic: %w", err)
		}
		arn := aws.ToString(tp.TopicArn)
		d.topics[t.name] = arn
		policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sms-voice.amazonaws.com"},"Action":"sns:Publish","Resource":%q}]}`, arn)
		if _, err := d.sns.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: &arn, AttributeName: aws.String("Policy"), AttributeValue: &policy}); err != nil {
			return fmt.Errorf("SetTopicAttributes Policy: %w", err)
		}
		if !t.raw {
			if _, err := d.sns.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: &arn, AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String("2")}); err != nil {
				return fmt.Errorf("SetTopicAttributes SignatureVersion: %w", err)
			}
		}
		before, err := b.sinkC.count(ctx)
		if err != nil {
			return err
		}
		if _, err := d.sns.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &arn, Protocol: aws.String("http"), Endpoint: aws.String(b.sinkURL + "/"),
			Attributes: map[string]string{"RawMessageDelivery": fmt.Sprint(t.raw)}}); err != nil {
			return fmt.Errorf("Subscribe: %w", err)
		}
		if err := waitFor(ctx, "subscription confirmation", 30*time.Second, d.p, func() bool {
			c, err := b.sinkC.count(ctx)
			return err == nil && c.Confirmed > before.Confirmed
		}); err != nil {
			return err
		}
		if _, err := d.api.UpdatePhoneNumber(ctx, &sms.UpdatePhoneNumberInput{PhoneNumberId: &id, TwoWayEnabled: aws.Bool(true), TwoWayChannelArn: &arn}); err != nil {
			return fmt.Errorf("UpdatePhoneNumber: %w", err)
		}
	}
	return nil
}

func (d *duplexGW) sendMT(ctx context.Context, i int, body string) error {
	_, err := d.api.SendTextMessage(ctx, &sms.SendTextMessageInput{OriginationIdentity: aws.String(mtFrom),
		DestinationPhoneNumber: aws.String(mtTo(i)), MessageBody: aws.String(body)})
	return err
}

// startDuplexSystem runs the SMSC, the counting app and duplex, set up.
func (h *harness) startDuplexSystem(ctx context.Context, dir string) (*system, error) {
	b, err := h.startBase(ctx, dir)
	if err != nil {
		return nil, err
	}
	d, err := h.newDuplex(dir, b)
	if err != nil {
		b.close()
		return nil, err
	}
	s := &system{name: "duplex", id: "duplex", base: b, moTo: rawNumber, dx: d, send: d.sendMT}
	s.stopG = func() { d.stop() }
	if err := d.start(ctx, b); err != nil {
		s.close()
		return nil, err
	}
	s.gw = []*proc{d.p}
	if err := d.setup(ctx, b); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// restart stops duplex, runs fn on its stopped data, and starts it again.
func (s *system) restartDuplex(ctx context.Context, fn func() error) error {
	s.dx.stop()
	if err := fn(); err != nil {
		return err
	}
	if err := s.dx.start(ctx, s.base); err != nil {
		return err
	}
	s.gw = []*proc{s.dx.p}
	return nil
}

// Kannel.

// kannelConf is the configuration the bench runs Kannel with; store is
// "spool", "file" or "" (no store).
func kannelConf(dir, smscSMPP string, adminPort, boxPort, sendPort int, sinkURL, store string) string {
	host, port, _ := strings.Cut(smscSMPP, ":")
	storeLines := "# no store-type: messages live in memory only\n"
	switch store {
	case "spool":
		storeLines = fmt.Sprintf("store-type = spool\nstore-location = \"%s\"\n", filepath.Join(dir, "spool"))
	case "file":
		storeLines = fmt.Sprintf("store-type = file\nstore-location = \"%s\"\n", filepath.Join(dir, "kannel.store"))
	}
	return fmt.Sprintf(`# written by bench/
group = core
admin-port = %d
admin-password = bench
status-password = bench
admin-allow-ip = "127.0.0.1"
smsbox-port = %d
box-allow-ip = "127.0.0.1"
log-file = "%s"
log-level = 2
dlr-storage = internal
%s
group = smsc
smsc = smpp
smsc-id = duplexsmsc
host = %s
port = %s
transceiver-mode = true
smsc-username = %s
smsc-password = %s
system-type = ""
max-pending-submits = 64
enquire-link-interval = 30
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = %d
log-file = "%s"
log-level = 2

group = sendsms-user
username = bench
password = bench
max-messages = 1

group = sms-service
keyword = default
catch-all = true
get-url = "%s/kannel?to=%%P&text=%%a"
max-messages = 0
accept-x-kannel-headers = true
`, adminPort, boxPort, filepath.Join(dir, "bearerbox.log"), storeLines, host, port, smppUser, smppPass,
		sendPort, filepath.Join(dir, "smsbox.log"), sinkURL)
}

// startKannelSystem runs the SMSC, the counting app, bearerbox and smsbox.
func (h *harness) startKannelSystem(ctx context.Context, dir, store string) (*system, error) {
	b, err := h.startBase(ctx, dir)
	if err != nil {
		return nil, err
	}
	ports, err := freePorts(3)
	if err != nil {
		b.close()
		return nil, err
	}
	if store != "" {
		os.MkdirAll(filepath.Join(dir, "spool"), 0o755)
	}
	conf := kannelConf(dir, b.smscSMPP, ports[0], ports[1], ports[2], b.sinkURL, store)
	confPath := filepath.Join(dir, "kannel.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		b.close()
		return nil, err
	}
	name, id := "Kannel (no store)", "kannel-nostore"
	if store != "" {
		name, id = "Kannel ("+store+" store)", "kannel-"+store
	}
	s := &system{name: name, id: id, base: b, moTo: rawNumber}
	bb, err := startProc("bearerbox", filepath.Join(dir, "bearerbox.out"), nil, h.bearerbox, confPath)
	if err != nil {
		b.close()
		return nil, err
	}
	s.gw = []*proc{bb}
	s.stopG = func() {
		for i := len(s.gw) - 1; i >= 0; i-- {
			s.gw[i].stop(20 * time.Second)
		}
	}
	if err := waitFor(ctx, "bearerbox", 30*time.Second, bb, func() bool { return tcpOpen(fmt.Sprintf("127.0.0.1:%d", ports[1])) }); err != nil {
		s.close()
		return nil, err
	}
	if err := b.bound(ctx, bb); err != nil {
		s.close()
		return nil, err
	}
	sb, err := startProc("smsbox", filepath.Join(dir, "smsbox.out"), nil, h.smsbox, confPath)
	if err != nil {
		s.close()
		return nil, err
	}
	s.gw = append(s.gw, sb)
	sendURL := fmt.Sprintf("http://127.0.0.1:%d/cgi-bin/sendsms", ports[2])
	if err := waitFor(ctx, "smsbox", 30*time.Second, sb, func() bool { return tcpOpen(fmt.Sprintf("127.0.0.1:%d", ports[2])) }); err != nil {
		s.close()
		return nil, err
	}
	s.send = func(ctx context.Context, i int, body string) error {
		q := url.Values{"username": {"bench"}, "password": {"bench"}, "from": {mtFrom}, "to": {mtTo(i)}, "text": {body},
			"dlr-mask": {"3"}, "dlr-url": {fmt.Sprintf("%s/dlr?id=%d&type=%%d", b.sinkURL, i)}}
		req, err := http.NewRequestWithContext(ctx, "GET", sendURL+"?"+q.Encode(), nil)
		if err != nil {
			return err
		}
		resp, err := h.hc.Do(req)
		if err != nil {
			return err
		}
		rb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			return fmt.Errorf("sendsms: HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(rb)))
		}
		return nil
	}
	return s, nil
}

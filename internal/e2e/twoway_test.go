package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/duplexsms/duplex/internal/client"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/twoway"
)

// Issue 5: two-way SMS end to end. A customer's text enters through POST
// /_duplex/simulator/inbound and leaves as the seed's six-field payload at
// a real HTTP endpoint subscribed (and confirmed through its SubscribeURL)
// to an SNS topic, under the seed's topic, IAM role and KMS key policies.

func init() {
	register("TwoWayTopicPolicy", testTwoWayTopicPolicy, fastRetry)
	register("TwoWayRole", testTwoWayRole, fastRetry)
	register("TwoWayEncryptedTopic", testTwoWayEncryptedTopic, fastRetry)
	register("TwoWayChannelFailures", testTwoWayChannelFailures, shortRetryWindow)
	register("TwoWayPayload", testTwoWayPayload, fastRetry)
	register("TwoWayKeywordsAndOptOuts", testTwoWayKeywordsAndOptOuts, fastRetry)
	register("TwoWayPool", testTwoWayPool, fastRetry)
	register("TwoWayRestart", testTwoWayRestart, fastRetry)
	register("TwoWaySubscriberDown", testTwoWaySubscriberDown, fastRetry)
}

// fastRetry keeps the one-hour retry window but retries an undeliverable
// message every 100 ms, so a fixed cause shows at once.
func fastRetry(c *config.Config) { c.Inbound.MaxBackoff = 100 * time.Millisecond }

// shortRetryWindow gives up on an undeliverable message after a second.
func shortRetryWindow(c *config.Config) {
	c.Inbound.MaxBackoff = 100 * time.Millisecond
	c.Inbound.RetryWindow = time.Second
}

// waitBound only keeps a broken build from hanging the suite; no test
// asserts how long anything takes.
const twWaitBound = 40 * time.Second

// tw is one account's view of a running server for two-way tests.
type tw struct {
	t       *testing.T
	h       *Harness
	account string
	sms     *sms.Client
	sns     *sns.Client
	iam     *iam.Client
	kms     *kms.Client
	cli     *client.Client
}

func newTW(t *testing.T, h *Harness) *tw {
	creds := credentials.NewStaticCredentialsProvider(KeyA, SecretA, "")
	return &tw{t: t, h: h, account: AccountA, sms: h.A(), sns: h.SNS(KeyA),
		iam: iam.New(iam.Options{Region: Region, BaseEndpoint: aws.String(h.URL), Credentials: creds, HTTPClient: h.HTTP, RetryMaxAttempts: 1}),
		kms: kms.New(kms.Options{Region: Region, BaseEndpoint: aws.String(h.URL), Credentials: creds, HTTPClient: h.HTTP, RetryMaxAttempts: 1}),
		cli: &client.Client{Endpoint: h.URL, Region: Region, HTTP: h.HTTP,
			Creds: aws.Credentials{AccessKeyID: KeyA, SecretAccessKey: SecretA}}}
}

// number requests a SIMULATOR number with the capabilities given (SMS by
// default) and returns its ID and E.164.
func (e *tw) number(caps ...types.NumberCapability) (id, e164 string) {
	e.t.Helper()
	n := newNumber(e.t, e.sms, numberSpec{caps: caps})
	return aws.ToString(n.PhoneNumberId), aws.ToString(n.PhoneNumber)
}

// topic creates a topic with attributes.
func (e *tw) topic(name string, attrs map[string]string) string {
	e.t.Helper()
	out, err := e.sns.CreateTopic(bg, &sns.CreateTopicInput{Name: aws.String(name), Attributes: attrs})
	noErr(e.t, err)
	return aws.ToString(out.TopicArn)
}

func (e *tw) setTopic(arn, name, value string) {
	e.t.Helper()
	_, err := e.sns.SetTopicAttributes(bg, &sns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String(name), AttributeValue: aws.String(value)})
	noErr(e.t, err)
}

// seedTopicPolicy is the topic policy statement of the seed.
func seedTopicPolicy(topicArn string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sms-voice.amazonaws.com"},"Action":"sns:Publish","Resource":"` + topicArn + `"}]}`
}

// ownerOnlyPolicy lets only an account's principals publish (not the
// service principal).
func ownerOnlyPolicy(account, topicArn string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"sns:Publish","Resource":"` + topicArn + `"}]}`
}

// seedTrustPolicy is the seed's trust policy for the two-way channel role.
func seedTrustPolicy(sourceAccount string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"SMSVoice","Effect":"Allow","Principal":{"Service":"sms-voice.amazonaws.com"},` +
		`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"` + sourceAccount + `"}}}]}`
}

// seedPermissionPolicy is the seed's permission policy: publish to topicArn
// and, with kmsStatement, use KMS for that topic through SNS.
func seedPermissionPolicy(account, topicArn string, kmsStatement bool) string {
	stmts := []string{`{"Sid":"SMSVoiceAllowSNSPublish","Effect":"Allow","Action":"sns:Publish","Resource":"` + topicArn + `",` +
		`"Condition":{"StringEquals":{"aws:ResourceAccount":"` + account + `"}}}`}
	if kmsStatement {
		stmts = append(stmts, `{"Sid":"SMSVoiceAllowEncryptedSNSTopics","Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*",`+
			`"Condition":{"StringEquals":{"kms:EncryptionContext:aws:sns:topicArn":"`+topicArn+`","aws:CalledViaLast":"sns.amazonaws.com"}}}`)
	}
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// seedKeyPolicy is a key policy with the account's root statement and,
// with smsVoice, the seed's statement for sms-voice.amazonaws.com.
func seedKeyPolicy(account string, smsVoice bool) string {
	stmts := []string{`{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"kms:*","Resource":"*"}`}
	if smsVoice {
		stmts = append(stmts, `{"Effect":"Allow","Principal":{"Service":"sms-voice.amazonaws.com"},"Action":["kms:GenerateDataKey*","kms:Decrypt"],"Resource":"*",`+
			`"Condition":{"StringEquals":{"aws:SourceAccount":"`+account+`"},"ArnLike":{"aws:SourceArn":"arn:aws:sms-voice:`+Region+`:`+account+`:*"}}}`)
	}
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// role creates a role with a trust policy and an inline permission policy.
func (e *tw) role(name, trust, permissions string) string {
	e.t.Helper()
	out, err := e.iam.CreateRole(bg, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	noErr(e.t, err)
	e.putRolePolicy(name, permissions)
	return aws.ToString(out.Role.Arn)
}

func (e *tw) putRolePolicy(role, doc string) {
	e.t.Helper()
	_, err := e.iam.PutRolePolicy(bg, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("two-way"), PolicyDocument: aws.String(doc)})
	noErr(e.t, err)
}

// enable turns two-way on for a number (or pool) with a channel and role.
func (e *tw) enable(numberID, channel, role string) {
	e.t.Helper()
	in := &sms.UpdatePhoneNumberInput{PhoneNumberId: aws.String(numberID), TwoWayEnabled: aws.Bool(true), TwoWayChannelArn: aws.String(channel)}
	if role != "" {
		in.TwoWayChannelRole = aws.String(role)
	}
	_, err := e.sms.UpdatePhoneNumber(bg, in)
	noErr(e.t, err)
}

// text is a customer's message arriving at one of the account's numbers;
// it returns the inboundMessageId.
func (e *tw) text(from, to, body string, media ...string) string {
	e.t.Helper()
	in := map[string]any{"originationNumber": from, "destinationNumber": to, "messageBody": body}
	if len(media) > 0 {
		in["mediaUrls"] = media
	}
	var out struct {
		InboundMessageID string `json:"inboundMessageId"`
	}
	if err := e.cli.Do(bg, "POST", "/_duplex/simulator/inbound", nil, in, &out); err != nil {
		e.t.Fatalf("POST /_duplex/simulator/inbound %s → %s %q: %v", from, to, body, err)
	}
	if out.InboundMessageID == "" {
		e.t.Fatal("no inboundMessageId")
	}
	return out.InboundMessageID
}

// inbound returns every inbound message to a number.
func (e *tw) inbound(to string) []twoway.InboundMessage {
	e.t.Helper()
	var out struct {
		InboundMessages []twoway.InboundMessage `json:"inboundMessages"`
	}
	if err := e.cli.Do(bg, "GET", "/_duplex/inbound", url.Values{"destinationNumber": {to}, "limit": {"10000"}}, nil, &out); err != nil {
		e.t.Fatalf("GET /_duplex/inbound: %v", err)
	}
	return out.InboundMessages
}

// waitInbound waits until inbound message id (to number to) has one of
// the statuses want; it fails at once when the message reaches a final
// status that is not wanted.
func (e *tw) waitInbound(to, id string, want ...string) twoway.InboundMessage {
	e.t.Helper()
	deadline := time.Now().Add(twWaitBound)
	var last twoway.InboundMessage
	for {
		for _, m := range e.inbound(to) {
			if m.InboundMessageID == id {
				last = m
			}
		}
		if slices.Contains(want, last.Status) {
			return last
		}
		final := last.Status == twoway.StatusDelivered || last.Status == twoway.StatusFailed
		if final || time.Now().After(deadline) {
			e.t.Fatalf("inbound message %s is %q (attempts %d, reason %q), want %v", id, last.Status, last.Attempts, last.Reason, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outbox is what the service sent to a customer, newest first.
func (e *tw) outbox(to string) []smsvoice.OutboundMessage {
	e.t.Helper()
	var out struct {
		Messages []smsvoice.OutboundMessage `json:"messages"`
	}
	if err := e.cli.Do(bg, "GET", "/_duplex/simulator/outbound", url.Values{"destinationNumber": {to}}, nil, &out); err != nil {
		e.t.Fatalf("GET /_duplex/simulator/outbound: %v", err)
	}
	return out.Messages
}

func (e *tw) redrive(ids ...string) []string {
	e.t.Helper()
	var out struct {
		Redriven []string `json:"redriven"`
	}
	if err := e.cli.Do(bg, "POST", "/_duplex/inbound/redrive", nil, map[string]any{"inboundMessageIds": ids}, &out); err != nil {
		e.t.Fatalf("POST /_duplex/inbound/redrive: %v", err)
	}
	return out.Redriven
}

// optedOut reports whether a number is on an opt-out list (and whether the
// end user opted out).
func (e *tw) optedOut(list, number string) (bool, bool) {
	e.t.Helper()
	out, err := e.sms.DescribeOptedOutNumbers(bg, &sms.DescribeOptedOutNumbersInput{OptOutListName: aws.String(list), OptedOutNumbers: []string{number}})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return false, false
		}
		e.t.Fatalf("DescribeOptedOutNumbers: %v", err)
	}
	if len(out.OptedOutNumbers) != 1 {
		return false, false
	}
	return true, out.OptedOutNumbers[0].EndUserOptedOut
}

func (e *tw) sendText(from, to, body string) (string, error) {
	out, err := e.sms.SendTextMessage(bg, &sms.SendTextMessageInput{OriginationIdentity: aws.String(from),
		DestinationPhoneNumber: aws.String(to), MessageBody: aws.String(body)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.MessageId), nil
}

// endpoint is a real SNS HTTP/S subscriber: an httptest.Server that
// confirms subscriptions by visiting their SubscribeURL and records every
// notification; it can answer 500 or stop listening.
type endpoint struct {
	t    *testing.T
	addr string
	URL  string
	hc   *http.Client

	mu       sync.Mutex
	srv      *httptest.Server
	got      []notification
	failed   int // notification requests answered 500
	fail     bool
	confirms int
}

// notification is one delivered notification: its body as received (the
// payload itself with raw message delivery) and, for envelopes, the
// decoded envelope.
type notification struct {
	raw  bool
	body string
	env  map[string]any
}

// message is the SNS message: the raw body or the envelope's Message.
func (n notification) message() string {
	if n.raw {
		return n.body
	}
	s, _ := n.env["Message"].(string)
	return s
}

func newEndpoint(t *testing.T) *endpoint {
	e := &endpoint{t: t, hc: &http.Client{Timeout: 10 * time.Second}}
	e.srv = httptest.NewServer(http.HandlerFunc(e.handle))
	e.addr = e.srv.Listener.Addr().String()
	e.URL = "http://" + e.addr + "/inbound-sms"
	t.Cleanup(e.down)
	return e
}

func (e *endpoint) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch r.Header.Get("x-amz-sns-message-type") {
	case "SubscriptionConfirmation":
		var env struct{ SubscribeURL string }
		if err := json.Unmarshal(body, &env); err != nil || env.SubscribeURL == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		resp, err := e.hc.Get(env.SubscribeURL)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		resp.Body.Close()
		e.mu.Lock()
		e.confirms++
		e.mu.Unlock()
	case "Notification":
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.fail {
			e.failed++
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		n := notification{raw: r.Header.Get("x-amz-sns-rawdelivery") == "true", body: string(body)}
		if !n.raw {
			json.Unmarshal(body, &n.env)
		}
		e.got = append(e.got, n)
	}
}

// setFail makes the endpoint answer notifications with 500 (or not).
func (e *endpoint) setFail(f bool) {
	e.mu.Lock()
	e.fail = f
	e.mu.Unlock()
}

func (e *endpoint) failures() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.failed
}

// down stops listening: deliveries get connection refused.
func (e *endpoint) down() {
	e.mu.Lock()
	srv := e.srv
	e.srv = nil
	e.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// up listens again on the same address.
func (e *endpoint) up() {
	e.t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 100; i++ {
		if ln, err = net.Listen("tcp", e.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		e.t.Fatalf("listen again on %s: %v", e.addr, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(e.handle))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	e.mu.Lock()
	e.srv = srv
	e.mu.Unlock()
}

func (e *endpoint) all() []notification {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.got)
}

// subscribe subscribes the endpoint to a topic with raw message delivery
// (or not) and extra attributes, and waits until the subscription is
// confirmed through its SubscribeURL.
func (e *endpoint) subscribe(c *sns.Client, topicArn string, raw bool, attrs map[string]string) string {
	e.t.Helper()
	a := map[string]string{"RawMessageDelivery": fmt.Sprint(raw)}
	for k, v := range attrs {
		a[k] = v
	}
	out, err := c.Subscribe(bg, &sns.SubscribeInput{TopicArn: aws.String(topicArn), Protocol: aws.String("http"),
		Endpoint: aws.String(e.URL), Attributes: a, ReturnSubscriptionArn: true})
	noErr(e.t, err)
	subArn := aws.ToString(out.SubscriptionArn)
	deadline := time.Now().Add(twWaitBound)
	for {
		subs, err := c.ListSubscriptionsByTopic(bg, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topicArn)})
		noErr(e.t, err)
		for _, s := range subs.Subscriptions {
			if aws.ToString(s.Endpoint) == e.URL && aws.ToString(s.SubscriptionArn) != "PendingConfirmation" {
				return subArn
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("subscription of %s to %s never confirmed", e.URL, topicArn)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// payload waits for the notification carrying inbound message id and
// returns its message.
func (e *endpoint) payload(id string) string {
	e.t.Helper()
	got := e.waitFor("the payload of "+id, func(ns []notification) bool { return find(ns, id) != "" })
	return find(got, id)
}

func find(ns []notification, id string) string {
	for _, n := range ns {
		if strings.Contains(n.message(), `"inboundMessageId":"`+id+`"`) {
			return n.message()
		}
	}
	return ""
}

// waitFor waits until pred holds over the notifications received.
func (e *endpoint) waitFor(what string, pred func([]notification) bool) []notification {
	e.t.Helper()
	deadline := time.Now().Add(twWaitBound)
	for {
		got := e.all()
		if pred(got) {
			return got
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("endpoint %s: gave up waiting for %s; got %d notifications", e.URL, what, len(got))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// count is how many received notifications carry inbound message id.
func (e *endpoint) count(id string) int {
	n := 0
	for _, x := range e.all() {
		if strings.Contains(x.message(), `"inboundMessageId":"`+id+`"`) {
			n++
		}
	}
	return n
}

// payloadJSON renders the seed's six fields in order, as the subscriber
// must receive them byte for byte.
func payloadJSON(from, to, keyword, body, id, prev string) string {
	q := func(s string) string {
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		return strings.TrimSuffix(b.String(), "\n")
	}
	s := `{"originationNumber":` + q(from) + `,"destinationNumber":` + q(to) + `,"messageKeyword":` + q(keyword) +
		`,"messageBody":` + q(body) + `,"inboundMessageId":` + q(id)
	if prev != "" {
		s += `,"previousPublishedMessageId":` + q(prev)
	}
	return s + "}"
}

// twoWaySetup is a number with two-way enabled to a topic the endpoint is
// subscribed to with raw message delivery.
type twoWaySetup struct {
	numberID, number, topic string
	ep                      *endpoint
}

func (e *tw) setupTopicPolicy(name string) twoWaySetup {
	e.t.Helper()
	id, num := e.number()
	topic := e.topic(name, nil)
	e.setTopic(topic, "Policy", seedTopicPolicy(topic))
	ep := newEndpoint(e.t)
	ep.subscribe(e.sns, topic, true, nil)
	e.enable(id, topic, "")
	return twoWaySetup{numberID: id, number: num, topic: topic, ep: ep}
}

// testTwoWayTopicPolicy: the topic-policy path delivers; without the
// seed's statement the message is RETRYING with the policy decision as
// its reason, and a fixed policy delivers it on the next attempt.
func testTwoWayTopicPolicy(t *testing.T, h *Harness) {
	e := newTW(t, h)
	s := e.setupTopicPolicy("inbound-sms")
	const customer = "+14255550182"
	id := e.text(customer, s.number, "Hello")
	eq(t, "payload", s.ep.payload(id), payloadJSON(customer, s.number, "KEYWORD_"+AccountA, "Hello", id, ""))
	m := e.waitInbound(s.number, id, twoway.StatusDelivered)
	eq(t, "channelArn", m.ChannelArn, s.topic)
	eq(t, "attempts", m.Attempts, 1)
	eq(t, "reason", m.Reason, "")

	// The default policy (owner only) does not let the service publish.
	e.setTopic(s.topic, "Policy", ownerOnlyPolicy(AccountA, s.topic))
	id2 := e.text(customer, s.number, "Are you there?")
	m = e.waitInbound(s.number, id2, twoway.StatusRetrying)
	for _, want := range []string{"AuthorizationError", "sms-voice.amazonaws.com is not authorized to perform: SNS:Publish", s.topic} {
		if !strings.Contains(m.Reason, want) {
			t.Errorf("reason %q does not say %q", m.Reason, want)
		}
	}
	if m.FirstFailureTimestamp.IsZero() {
		t.Errorf("no firstFailureTimestamp on a RETRYING message")
	}
	if s.ep.count(id2) != 0 {
		t.Fatalf("a refused message was delivered")
	}
	e.setTopic(s.topic, "Policy", seedTopicPolicy(s.topic))
	eq(t, "payload after the fix", s.ep.payload(id2), payloadJSON(customer, s.number, "KEYWORD_"+AccountA, "Are you there?", id2, ""))
	m = e.waitInbound(s.number, id2, twoway.StatusDelivered)
	if m.Attempts < 2 || m.Reason != "" {
		t.Errorf("delivered after a retry: attempts %d reason %q", m.Attempts, m.Reason)
	}

	// A RETRYING message redriven while its own retries go on is still
	// delivered once.
	e.setTopic(s.topic, "Policy", ownerOnlyPolicy(AccountA, s.topic))
	id3 := e.text(customer, s.number, "redrive me")
	e.waitInbound(s.number, id3, twoway.StatusRetrying)
	e.setTopic(s.topic, "Policy", seedTopicPolicy(s.topic))
	e.redrive(id3)
	s.ep.payload(id3)
	id4 := e.text(customer, s.number, "after the redrive")
	s.ep.payload(id4)
	e.waitInbound(s.number, id3, twoway.StatusDelivered)
	eq(t, "deliveries of a redriven RETRYING message", s.ep.count(id3), 1)

	// The number is released while a message waits: the reason says so.
	e.setTopic(s.topic, "Policy", ownerOnlyPolicy(AccountA, s.topic))
	id5 := e.text(customer, s.number, "last words")
	e.waitInbound(s.number, id5, twoway.StatusRetrying)
	_, err := e.sms.ReleasePhoneNumber(bg, &sms.ReleasePhoneNumberInput{PhoneNumberId: aws.String(s.numberID)})
	noErr(t, err)
	e.setTopic(s.topic, "Policy", seedTopicPolicy(s.topic))
	deadline := time.Now().Add(twWaitBound)
	for {
		m = e.waitInbound(s.number, id5, twoway.StatusRetrying)
		if strings.Contains(m.Reason, "no longer held by account "+AccountA) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("released number: reason %q", m.Reason)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s.ep.count(id5) != 0 {
		t.Fatal("delivered for a released number")
	}
}

// testTwoWayRole: the role path with the seed's trust and permission
// policies delivers; a trust policy naming another source account and a
// permission policy for another topic are refused with the decision's
// explanation; fixing each delivers the waiting message.
func testTwoWayRole(t *testing.T, h *Harness) {
	e := newTW(t, h)
	id, num := e.number()
	// The topic policy allows neither the service principal nor the
	// account's principals (the default policy would allow every principal
	// of the account, the role's session included): only the role's
	// permission policy can let the session publish.
	topic := e.topic("via-role", nil)
	e.setTopic(topic, "Policy", ownerOnlyPolicy(AccountB, topic))
	other := e.topic("other-topic", nil)
	ep := newEndpoint(t)
	ep.subscribe(e.sns, topic, true, nil)
	role := e.role("SMSVoiceTwoWay", seedTrustPolicy(AccountA), seedPermissionPolicy(AccountA, topic, true))
	e.enable(id, topic, role)
	const customer = "+14255550190"
	m1 := e.text(customer, num, "via the role")
	eq(t, "payload", ep.payload(m1), payloadJSON(customer, num, "KEYWORD_"+AccountA, "via the role", m1, ""))
	got := e.waitInbound(num, m1, twoway.StatusDelivered)
	eq(t, "channelRole", got.ChannelRole, role)

	// The trust policy names another source account: not assumed.
	_, err := e.iam.UpdateAssumeRolePolicy(bg, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("SMSVoiceTwoWay"),
		PolicyDocument: aws.String(seedTrustPolicy("999999999999"))})
	noErr(t, err)
	m2 := e.text(customer, num, "wrong source account")
	got = e.waitInbound(num, m2, twoway.StatusRetrying)
	t.Logf("reason: %s", got.Reason)
	for _, want := range []string{"could not assume " + role, "aws:SourceAccount"} {
		if !strings.Contains(got.Reason, want) {
			t.Errorf("trust-policy reason %q does not say %q", got.Reason, want)
		}
	}
	_, err = e.iam.UpdateAssumeRolePolicy(bg, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("SMSVoiceTwoWay"),
		PolicyDocument: aws.String(seedTrustPolicy(AccountA))})
	noErr(t, err)
	ep.payload(m2)
	e.waitInbound(num, m2, twoway.StatusDelivered)

	// The permission policy allows another topic only.
	e.putRolePolicy("SMSVoiceTwoWay", seedPermissionPolicy(AccountA, other, true))
	m3 := e.text(customer, num, "wrong topic")
	got = e.waitInbound(num, m3, twoway.StatusRetrying)
	t.Logf("reason: %s", got.Reason)
	for _, want := range []string{"AuthorizationError", "assumed-role/SMSVoiceTwoWay", "is not authorized to perform: SNS:Publish", topic} {
		if !strings.Contains(got.Reason, want) {
			t.Errorf("permission-policy reason %q does not say %q", got.Reason, want)
		}
	}
	if ep.count(m3) != 0 {
		t.Fatal("delivered without permission")
	}
	e.putRolePolicy("SMSVoiceTwoWay", seedPermissionPolicy(AccountA, topic, true))
	eq(t, "payload after the fix", ep.payload(m3), payloadJSON(customer, num, "KEYWORD_"+AccountA, "wrong topic", m3, ""))

	// A role that does not exist.
	e.enable(id, topic, "arn:aws:iam::"+AccountA+":role/Missing")
	m4 := e.text(customer, num, "missing role")
	got = e.waitInbound(num, m4, twoway.StatusRetrying)
	t.Logf("reason: %s", got.Reason)
	if !strings.Contains(got.Reason, "does not exist") {
		t.Errorf("missing-role reason %q", got.Reason)
	}
}

// testTwoWayEncryptedTopic: a topic encrypted with a symmetric KMS key
// receives messages only when the key policy (topic-policy path) or the
// role's permission policy (role path) lets sms-voice use the key; without
// it the reason names KMS. A disabled key is explained as well.
func testTwoWayEncryptedTopic(t *testing.T, h *Harness) {
	e := newTW(t, h)
	key, err := e.kms.CreateKey(bg, &kms.CreateKeyInput{})
	noErr(t, err)
	keyID := aws.ToString(key.KeyMetadata.KeyId)
	putKeyPolicy := func(smsVoice bool) {
		_, err := e.kms.PutKeyPolicy(bg, &kms.PutKeyPolicyInput{KeyId: aws.String(keyID), PolicyName: aws.String("default"),
			Policy: aws.String(seedKeyPolicy(AccountA, smsVoice))})
		noErr(t, err)
	}
	putKeyPolicy(false)
	const customer = "+14255550191"

	// Topic-policy path.
	s := e.setupTopicPolicy("encrypted")
	e.setTopic(s.topic, "KmsMasterKeyId", keyID)
	m1 := e.text(customer, s.number, "secret 1")
	got := e.waitInbound(s.number, m1, twoway.StatusRetrying)
	for _, want := range []string{"KMSAccessDenied", "kms:GenerateDataKey"} {
		if !strings.Contains(got.Reason, want) {
			t.Errorf("no key grant: reason %q does not say %q", got.Reason, want)
		}
	}
	if s.ep.count(m1) != 0 {
		t.Fatal("delivered without a key grant")
	}
	putKeyPolicy(true)
	eq(t, "encrypted payload", s.ep.payload(m1), payloadJSON(customer, s.number, "KEYWORD_"+AccountA, "secret 1", m1, ""))

	// Role path: the key policy no longer names sms-voice; the role's
	// permission policy must carry the KMS statement.
	putKeyPolicy(false)
	id2, num2 := e.number()
	topic2 := e.topic("encrypted-role", map[string]string{"KmsMasterKeyId": keyID})
	ep2 := newEndpoint(t)
	ep2.subscribe(e.sns, topic2, true, nil)
	role := e.role("EncryptedTwoWay", seedTrustPolicy(AccountA), seedPermissionPolicy(AccountA, topic2, false))
	e.enable(id2, topic2, role)
	m2 := e.text(customer, num2, "secret 2")
	got = e.waitInbound(num2, m2, twoway.StatusRetrying)
	t.Logf("reason: %s", got.Reason)
	for _, want := range []string{"KMSAccessDenied", "assumed-role/EncryptedTwoWay"} {
		if !strings.Contains(got.Reason, want) {
			t.Errorf("role without the KMS statement: reason %q does not say %q", got.Reason, want)
		}
	}
	e.putRolePolicy("EncryptedTwoWay", seedPermissionPolicy(AccountA, topic2, true))
	eq(t, "encrypted payload via the role", ep2.payload(m2), payloadJSON(customer, num2, "KEYWORD_"+AccountA, "secret 2", m2, ""))

	// The KMS statement is bound to the topic: another encrypted topic
	// under the same role is refused.
	topic3 := e.topic("encrypted-other", map[string]string{"KmsMasterKeyId": keyID})
	e.putRolePolicy("EncryptedTwoWay", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"`+topic3+`"},`+
		`{"Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:aws:sns:topicArn":"`+topic2+`","aws:CalledViaLast":"sns.amazonaws.com"}}}]}`)
	e.enable(id2, topic3, role)
	m3 := e.text(customer, num2, "secret 3")
	got = e.waitInbound(num2, m3, twoway.StatusRetrying)
	t.Logf("reason: %s", got.Reason)
	if !strings.Contains(got.Reason, "KMSAccessDenied") {
		t.Errorf("KMS statement for another topic: reason %q", got.Reason)
	}

	// A disabled key: explained, and delivered once it is enabled again.
	e.enable(id2, topic2, role)
	e.putRolePolicy("EncryptedTwoWay", seedPermissionPolicy(AccountA, topic2, true))
	_, err = e.kms.DisableKey(bg, &kms.DisableKeyInput{KeyId: aws.String(keyID)})
	noErr(t, err)
	m4 := e.text(customer, num2, "secret 4")
	got = e.waitInbound(num2, m4, twoway.StatusRetrying)
	t.Logf("reason: %s", got.Reason)
	for _, want := range []string{"KMSDisabled", keyID} {
		if !strings.Contains(got.Reason, want) {
			t.Errorf("disabled key: reason %q does not say %q", got.Reason, want)
		}
	}
	if ep2.count(m4) != 0 {
		t.Fatal("delivered through a disabled key")
	}
	_, err = e.kms.EnableKey(bg, &kms.EnableKeyInput{KeyId: aws.String(keyID)})
	noErr(t, err)
	ep2.payload(m4)
}

// testTwoWayChannelFailures: FIFO topics are refused; a message that cannot
// be delivered (the topic was deleted) is RETRYING with the reason from its
// first failure, FAILED when its retry window (1 s here) ends, and
// delivered by a redrive once the topic exists again.
func testTwoWayChannelFailures(t *testing.T, h *Harness) {
	e := newTW(t, h)
	id, num := e.number()
	fifo := e.topic("inbound.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"})
	_, err := e.sms.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: aws.String(id), TwoWayEnabled: aws.Bool(true), TwoWayChannelArn: aws.String(fifo)})
	ve := wantValidation(t, err, types.ValidationExceptionReasonInvalidParameter, "TwoWayChannelArn")
	if !strings.Contains(aws.ToString(ve.Message), "FIFO") {
		t.Errorf("FIFO refusal message %q", aws.ToString(ve.Message))
	}
	if describeNumber(t, e.sms, id).TwoWayEnabled {
		t.Fatal("two-way enabled with a FIFO topic")
	}

	topic := e.topic("comes-and-goes", nil)
	e.setTopic(topic, "Policy", seedTopicPolicy(topic))
	e.enable(id, topic, "")
	_, err = e.sns.DeleteTopic(bg, &sns.DeleteTopicInput{TopicArn: aws.String(topic)})
	noErr(t, err)
	const customer = "+14255550192"
	m1 := e.text(customer, num, "anyone?")
	got := e.waitInbound(num, m1, twoway.StatusFailed)
	if !strings.Contains(got.Reason, "NotFound") || !strings.Contains(got.Reason, topic) {
		t.Errorf("deleted topic: reason %q", got.Reason)
	}
	if got.Attempts < 2 || got.FirstFailureTimestamp.IsZero() {
		t.Errorf("FAILED after %d attempt(s), first failure %v: want retries within the window", got.Attempts, got.FirstFailureTimestamp)
	}

	// Re-created (same ARN), subscribed and allowed: a redrive delivers.
	eq(t, "re-created topic", e.topic("comes-and-goes", nil), topic)
	e.setTopic(topic, "Policy", seedTopicPolicy(topic))
	ep := newEndpoint(t)
	ep.subscribe(e.sns, topic, true, nil)
	eq(t, "still FAILED before the redrive", e.waitInbound(num, m1, twoway.StatusFailed).Status, twoway.StatusFailed)
	eq(t, "redriven", strings.Join(e.redrive(m1), ","), m1)
	eq(t, "payload after redrive", ep.payload(m1), payloadJSON(customer, num, "KEYWORD_"+AccountA, "anyone?", m1, ""))
	got = e.waitInbound(num, m1, twoway.StatusDelivered)
	eq(t, "reason after delivery", got.Reason, "")
	// A delivered message is not redriven again, and is delivered once.
	eq(t, "redrive of a delivered message", len(e.redrive(m1)), 0)
	m2 := e.text(customer, num, "later")
	ep.payload(m2)
	eq(t, "deliveries of the redriven message", ep.count(m1), 1)

	// Two-way disabled: recorded as FAILED with the reason, not delivered.
	_, err = e.sms.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: aws.String(id), TwoWayEnabled: aws.Bool(false)})
	noErr(t, err)
	m3 := e.text(customer, num, "nobody listens")
	got = e.waitInbound(num, m3, twoway.StatusFailed)
	if !strings.Contains(got.Reason, "not enabled") {
		t.Errorf("two-way disabled: reason %q", got.Reason)
	}
}

// testTwoWayPayload: the six fields byte for byte in the seed's order with
// raw message delivery; messageKeyword is the matched registered keyword
// or KEYWORD_<account>; previousPublishedMessageId names the last text or
// MMS sent to the customer and is absent when nothing was sent; an inbound
// MMS is recorded with a reason and not delivered.
func testTwoWayPayload(t *testing.T, h *Harness) {
	e := newTW(t, h)
	id, num := e.number(types.NumberCapabilitySms, types.NumberCapabilityMms)
	topic := e.topic("payloads", nil)
	e.setTopic(topic, "Policy", seedTopicPolicy(topic))
	ep := newEndpoint(t)
	ep.subscribe(e.sns, topic, true, nil)
	e.enable(id, topic, "")
	_, err := e.sms.PutKeyword(bg, &sms.PutKeywordInput{OriginationIdentity: aws.String(id), Keyword: aws.String("JOIN"),
		KeywordMessage: aws.String("Thanks for joining!"), KeywordAction: types.KeywordActionAutomaticResponse})
	noErr(t, err)
	const customer, other = "+14255550182", "+14255550183"

	// Nothing sent yet: no previousPublishedMessageId; the body keeps
	// quotes, <, &, backslashes and non-ASCII as JSON writes them.
	body := `Hi <b> & "quoted" \ é 😀`
	m1 := e.text(customer, num, body)
	p1 := ep.payload(m1)
	eq(t, "payload without a previous message", p1, payloadJSON(customer, num, "KEYWORD_"+AccountA, body, m1, ""))
	eq(t, "payload bytes", p1, `{"originationNumber":"+14255550182","destinationNumber":"`+num+`","messageKeyword":"KEYWORD_`+AccountA+
		`","messageBody":"Hi <b> & \"quoted\" \\ é 😀","inboundMessageId":"`+m1+`"}`)

	// After a text: previousPublishedMessageId is its MessageId.
	sent, err := e.sendText(num, customer, "How can we help?")
	noErr(t, err)
	m2 := e.text(customer, num, "join us")
	eq(t, "payload after a text, keyword JOIN", ep.payload(m2), payloadJSON(customer, num, "JOIN", "join us", m2, sent))

	// After an MMS.
	mms, err := e.sms.SendMediaMessage(bg, &sms.SendMediaMessageInput{OriginationIdentity: aws.String(id), DestinationPhoneNumber: aws.String(customer),
		MessageBody: aws.String("a picture"), MediaUrls: []string{"s3://bucket/cat.jpg"}})
	noErr(t, err)
	// The JOIN keyword's automatic reply went out in between; the MMS is
	// newer, so the customer answers the MMS.
	m3 := e.text(customer, num, "nice picture")
	eq(t, "payload after an MMS", ep.payload(m3), payloadJSON(customer, num, "KEYWORD_"+AccountA, "nice picture", m3, aws.ToString(mms.MessageId)))

	// Another customer was sent nothing.
	m4 := e.text(other, num, "JOIN")
	eq(t, "payload of another customer", ep.payload(m4), payloadJSON(other, num, "JOIN", "JOIN", m4, ""))

	// The payload's keys in order, checked by a decoder too.
	keys := jsonKeys(t, ep.payload(m2))
	eq(t, "payload keys", strings.Join(keys, ","), "originationNumber,destinationNumber,messageKeyword,messageBody,inboundMessageId,previousPublishedMessageId")

	// Inbound MMS: recorded with a reason, not delivered.
	m5 := e.text(customer, num, "look", "https://example.com/pic.jpg")
	got := e.waitInbound(num, m5, twoway.StatusFailed)
	if !strings.Contains(got.Reason, "MMS") || len(got.MediaURLs) != 1 {
		t.Errorf("inbound MMS: reason %q media %v", got.Reason, got.MediaURLs)
	}
	m6 := e.text(customer, num, "after the MMS")
	ep.payload(m6)
	if ep.count(m5) != 0 {
		t.Fatal("an inbound MMS was delivered")
	}
	for _, m := range ep.all() {
		if !m.raw {
			t.Fatalf("a notification without raw message delivery: %q", m.body)
		}
	}
	// Every delivered or failed message's job was completed: nothing is
	// left in the inbound queue (no redelivery after a lease).
	deadline := time.Now().Add(twWaitBound)
	for {
		next, err := h.Server.Store.NextDue(bg, twoway.QueueInbound)
		noErr(t, err)
		if next.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the inbound queue still holds a job due %v", next)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// jsonKeys returns the member names of a JSON object in document order.
func jsonKeys(t *testing.T, doc string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %q", doc)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		noErr(t, err)
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		noErr(t, dec.Decode(&skip))
	}
	return keys
}

// testTwoWayKeywordsAndOptOuts: STOP and every default opt-out word
// (case-insensitive, at the start of the message) opt the sender out and
// send the STOP reply; HELP and AUTOMATIC_RESPONSE keywords reply; an
// OPT_IN keyword opts back in; every such message is still delivered.
// With SelfManagedOptOutsEnabled none of it happens.
func testTwoWayKeywordsAndOptOuts(t *testing.T, h *Harness) {
	e := newTW(t, h)
	s := e.setupTopicPolicy("keywords")
	put := func(orig, kw, msg string, action types.KeywordAction) {
		_, err := e.sms.PutKeyword(bg, &sms.PutKeywordInput{OriginationIdentity: aws.String(orig), Keyword: aws.String(kw),
			KeywordMessage: aws.String(msg), KeywordAction: action})
		noErr(t, err)
	}
	put(s.numberID, "JOIN", "Welcome back!", types.KeywordActionOptIn)
	put(s.numberID, "HOURS", "Open 9-5.", types.KeywordActionAutomaticResponse)
	put(s.numberID, "STOP", "Bye from Acme.", "") // a new STOP message keeps the OPT_OUT action
	const stopReply = "Bye from Acme."

	replies := func(customer, origin string) []smsvoice.OutboundMessage {
		var out []smsvoice.OutboundMessage
		for _, m := range e.outbox(customer) {
			if m.Origin == origin {
				out = append(out, m)
			}
		}
		return out
	}
	// deliver sends a text and waits until it is delivered (its keyword
	// step, done before delivery, is then complete).
	deliver := func(customer, body, keyword string) string {
		t.Helper()
		id := e.text(customer, s.number, body)
		p := s.ep.payload(id)
		var f map[string]string
		noErr(t, json.Unmarshal([]byte(p), &f))
		eq(t, "messageKeyword of "+body, f["messageKeyword"], keyword)
		eq(t, "messageBody of "+body, f["messageBody"], body)
		e.waitInbound(s.number, id, twoway.StatusDelivered)
		return id
	}

	words := []string{"ARRET", "CANCEL", "END", "OPT-OUT", "OPTOUT", "QUIT", "REMOVE", "STOP", "TD", "UNSUBSCRIBE"}
	for i, w := range words {
		customer := fmt.Sprintf("+1425555020%d", i)
		// Mixed case, alone or followed by more words.
		body := strings.ToLower(w)
		if i%2 == 1 {
			body = strings.ToUpper(w[:1]) + strings.ToLower(w[1:]) + " please, no more"
		}
		_, err := e.sendText(s.number, customer, "Offer!")
		noErr(t, err)
		deliver(customer, body, w)
		out, endUser := e.optedOut("Default", customer)
		if !out || !endUser {
			t.Errorf("%q: opted out %v (end user %v), want both", body, out, endUser)
		}
		r := replies(customer, "keyword:"+w)
		if len(r) != 1 || r[0].MessageBody != stopReply || r[0].OriginationNumber != s.number {
			t.Errorf("%q: STOP replies %+v, want one %q from %s", body, r, stopReply, s.number)
		}
		_, err = e.sendText(s.number, customer, "One more offer")
		wantConflict(t, err, types.ConflictExceptionReasonDestinationPhoneNumberOptedOut, "", "")
	}

	// Not opt-outs: the word later in the message, or only a prefix of a word.
	for i, body := range []string{"please stop", "STOPPED", "endless"} {
		customer := fmt.Sprintf("+1425555021%d", i)
		deliver(customer, body, "KEYWORD_"+AccountA)
		if out, _ := e.optedOut("Default", customer); out {
			t.Errorf("%q opted the sender out", body)
		}
		if n := len(e.outbox(customer)); n != 0 {
			t.Errorf("%q: %d replies, want none", body, n)
		}
	}

	// HELP and an AUTOMATIC_RESPONSE keyword reply; OPT_IN opts back in.
	const customer = "+14255550220"
	deliver(customer, "help", "HELP")
	if r := replies(customer, "keyword:HELP"); len(r) != 1 || !strings.Contains(r[0].MessageBody, "STOP") {
		t.Errorf("HELP replies %+v", r)
	}
	deliver(customer, "Hours today?", "HOURS")
	if r := replies(customer, "keyword:HOURS"); len(r) != 1 || r[0].MessageBody != "Open 9-5." {
		t.Errorf("HOURS replies %+v", r)
	}
	deliver(customer, "STOP", "STOP")
	_, err := e.sendText(s.number, customer, "blocked")
	wantConflict(t, err, types.ConflictExceptionReasonDestinationPhoneNumberOptedOut, "", "")
	deliver(customer, "Join", "JOIN")
	if out, _ := e.optedOut("Default", customer); out {
		t.Error("still opted out after the OPT_IN keyword")
	}
	if r := replies(customer, "keyword:JOIN"); len(r) != 1 || r[0].MessageBody != "Welcome back!" {
		t.Errorf("JOIN replies %+v", r)
	}
	if _, err := e.sendText(s.number, customer, "welcome back"); err != nil {
		t.Fatalf("sending after opting back in: %v", err)
	}

	// Self-managed opt-outs: keywords are matched (messageKeyword) but
	// nothing is done; the message is still delivered.
	_, err = e.sms.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: aws.String(s.numberID), SelfManagedOptOutsEnabled: aws.Bool(true)})
	noErr(t, err)
	const selfManaged = "+14255550230"
	for _, body := range []string{"STOP", "help", "hours", "unsubscribe me"} {
		deliver(selfManaged, body, strings.ToUpper(strings.Fields(body)[0]))
	}
	if out, _ := e.optedOut("Default", selfManaged); out {
		t.Error("self-managed opt-outs: the sender was opted out")
	}
	if n := len(e.outbox(selfManaged)); n != 0 {
		t.Errorf("self-managed opt-outs: %d automatic replies, want none", n)
	}
	if _, err := e.sendText(s.number, selfManaged, "still allowed"); err != nil {
		t.Fatalf("self-managed opt-outs: %v", err)
	}
}

// testTwoWayPool: a number in a pool uses the pool's two-way settings
// (channel, role, opt-out list) and the pool's keywords, not its own.
func testTwoWayPool(t *testing.T, h *Harness) {
	e := newTW(t, h)
	// The number's own settings: its own topic and keyword.
	s := e.setupTopicPolicy("number-topic")
	_, err := e.sms.PutKeyword(bg, &sms.PutKeywordInput{OriginationIdentity: aws.String(s.numberID), Keyword: aws.String("MINE"),
		KeywordMessage: aws.String("number keyword"), KeywordAction: types.KeywordActionAutomaticResponse})
	noErr(t, err)
	pool, err := e.sms.CreatePool(bg, &sms.CreatePoolInput{OriginationIdentity: aws.String(s.numberID), MessageType: types.MessageTypeTransactional})
	noErr(t, err)
	pid := aws.ToString(pool.PoolId)
	// FIFO topics are refused for pools too.
	fifo := e.topic("pool.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"})
	_, err = e.sms.UpdatePool(bg, &sms.UpdatePoolInput{PoolId: aws.String(pid), TwoWayEnabled: aws.Bool(true), TwoWayChannelArn: aws.String(fifo)})
	wantValidation(t, err, types.ValidationExceptionReasonInvalidParameter, "TwoWayChannelArn")
	poolTopic := e.topic("pool-topic", nil)
	poolEp := newEndpoint(t)
	poolEp.subscribe(e.sns, poolTopic, true, nil)
	role := e.role("PoolTwoWay", seedTrustPolicy(AccountA), seedPermissionPolicy(AccountA, poolTopic, true))
	_, err = e.sms.UpdatePool(bg, &sms.UpdatePoolInput{PoolId: aws.String(pid), TwoWayEnabled: aws.Bool(true),
		TwoWayChannelArn: aws.String(poolTopic), TwoWayChannelRole: aws.String(role)})
	noErr(t, err)
	_, err = e.sms.PutKeyword(bg, &sms.PutKeywordInput{OriginationIdentity: aws.String(pid), Keyword: aws.String("POOLKW"),
		KeywordMessage: aws.String("pool keyword"), KeywordAction: types.KeywordActionAutomaticResponse})
	noErr(t, err)
	const customer = "+14255550240"

	// Sent through the pool: the pool's last message is the previous one.
	sent, err := e.sendText(pid, customer, "pool says hi")
	noErr(t, err)
	m1 := e.text(customer, s.number, "poolkw please")
	eq(t, "pool payload", poolEp.payload(m1), payloadJSON(customer, s.number, "POOLKW", "poolkw please", m1, sent))
	got := e.waitInbound(s.number, m1, twoway.StatusDelivered)
	eq(t, "channel", got.ChannelArn, poolTopic)
	eq(t, "role", got.ChannelRole, role)
	eq(t, "poolId", got.PoolID, pid)
	var reply []smsvoice.OutboundMessage
	for _, m := range e.outbox(customer) {
		if m.Origin == "keyword:POOLKW" {
			reply = append(reply, m)
		}
	}
	if len(reply) != 1 || reply[0].MessageBody != "pool keyword" || reply[0].OriginationNumber != s.number || reply[0].PoolID != pid {
		t.Errorf("pool keyword replies %+v", reply)
	}
	// The number's own keyword does not apply inside the pool.
	m2 := e.text(customer, s.number, "MINE")
	eq(t, "number keyword inside a pool", poolEp.payload(m2), payloadJSON(customer, s.number, "KEYWORD_"+AccountA, "MINE", m2, reply[0].MessageID))
	if s.ep.count(m1)+s.ep.count(m2) != 0 {
		t.Error("the number's own topic got a message of the pool")
	}
	// STOP opts out of the pool's list; sending through the pool is refused.
	m3 := e.text(customer, s.number, "STOP")
	poolEp.payload(m3)
	e.waitInbound(s.number, m3, twoway.StatusDelivered)
	_, err = e.sendText(pid, customer, "more")
	wantConflict(t, err, types.ConflictExceptionReasonDestinationPhoneNumberOptedOut, "", "")
	// The pool's two-way disabled: not delivered, although the number
	// still has its own settings.
	_, err = e.sms.UpdatePool(bg, &sms.UpdatePoolInput{PoolId: aws.String(pid), TwoWayEnabled: aws.Bool(false)})
	noErr(t, err)
	m4 := e.text(customer, s.number, "pool off")
	got = e.waitInbound(s.number, m4, twoway.StatusFailed)
	if !strings.Contains(got.Reason, pid) {
		t.Errorf("pool two-way disabled: reason %q", got.Reason)
	}
	if s.ep.count(m4) != 0 {
		t.Error("delivered to the number's topic while in a pool")
	}
}

// testTwoWayRestart: messages accepted while they cannot be delivered (the
// topic policy refuses; then the endpoint is down) survive restarts and
// arrive once the causes are fixed.
func testTwoWayRestart(t *testing.T, h *Harness) {
	e := newTW(t, h)
	s := e.setupTopicPolicy("restart")
	e.setTopic(s.topic, "Policy", ownerOnlyPolicy(AccountA, s.topic))
	// A short SNS retry delay for the endpoint-down phase.
	e.setTopic(s.topic, "DeliveryPolicy", `{"http":{"defaultHealthyRetryPolicy":{"numRetries":100,"minDelayTarget":1,"maxDelayTarget":1,"numNoDelayRetries":0}}}`)
	var ids []string
	for i := range 5 {
		ids = append(ids, e.text(fmt.Sprintf("+1425555025%d", i), s.number, fmt.Sprintf("before restart %d", i)))
	}
	for _, id := range ids {
		e.waitInbound(s.number, id, twoway.StatusRetrying)
	}
	h.Restart()
	// The endpoint goes down, the policy is fixed: the messages are
	// published to SNS and wait for the endpoint there, across a restart.
	s.ep.down()
	e.setTopic(s.topic, "Policy", seedTopicPolicy(s.topic))
	for _, id := range ids {
		e.waitInbound(s.number, id, twoway.StatusDelivered)
	}
	more := e.text("+14255550260", s.number, "after the first restart")
	e.waitInbound(s.number, more, twoway.StatusDelivered)
	ids = append(ids, more)
	h.Restart()
	s.ep.up()
	s.ep.waitFor("every message", func(ns []notification) bool {
		for _, id := range ids {
			if find(ns, id) == "" {
				return false
			}
		}
		return true
	})
	for i, id := range ids[:5] {
		eq(t, "payload", find(s.ep.all(), id), payloadJSON(fmt.Sprintf("+1425555025%d", i), s.number, "KEYWORD_"+AccountA, fmt.Sprintf("before restart %d", i), id, ""))
	}
}

// testTwoWaySubscriberDown: an endpoint that answers 500 for a while, then
// refuses connections for a while, gets every message afterwards (the
// topic's delivery policy retries every second).
func testTwoWaySubscriberDown(t *testing.T, h *Harness) {
	e := newTW(t, h)
	s := e.setupTopicPolicy("flaky")
	e.setTopic(s.topic, "DeliveryPolicy", `{"http":{"defaultHealthyRetryPolicy":{"numRetries":100,"minDelayTarget":1,"maxDelayTarget":1,"numNoDelayRetries":0}}}`)
	var ids []string
	s.ep.setFail(true)
	for i := range 10 {
		ids = append(ids, e.text(fmt.Sprintf("+1425555030%d", i), s.number, fmt.Sprintf("during 500 %d", i)))
	}
	// Every message was published and refused at least once.
	for _, id := range ids {
		e.waitInbound(s.number, id, twoway.StatusDelivered)
	}
	deadline := time.Now().Add(twWaitBound)
	for s.ep.failures() < len(ids) {
		if time.Now().After(deadline) {
			t.Fatalf("the endpoint answered 500 only %d times", s.ep.failures())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(s.ep.all()); n != 0 {
		t.Fatalf("%d notifications accepted while failing", n)
	}
	// Connection refused.
	s.ep.down()
	for i := range 10 {
		ids = append(ids, e.text(fmt.Sprintf("+1425555031%d", i), s.number, fmt.Sprintf("while down %d", i)))
	}
	for _, id := range ids[10:] {
		e.waitInbound(s.number, id, twoway.StatusDelivered)
	}
	s.ep.setFail(false)
	s.ep.up()
	got := s.ep.waitFor("all 20 messages", func(ns []notification) bool {
		for _, id := range ids {
			if find(ns, id) == "" {
				return false
			}
		}
		return true
	})
	for i, id := range ids {
		body := fmt.Sprintf("during 500 %d", i)
		from := fmt.Sprintf("+1425555030%d", i)
		if i >= 10 {
			body, from = fmt.Sprintf("while down %d", i-10), fmt.Sprintf("+1425555031%d", i-10)
		}
		eq(t, "payload", find(got, id), payloadJSON(from, s.number, "KEYWORD_"+AccountA, body, id, ""))
	}
}

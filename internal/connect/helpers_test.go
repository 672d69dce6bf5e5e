package connect_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	connectsdk "github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	smstypes "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/aws/smithy-go"
	"github.com/duplexsms/duplex/internal/client"
	"github.com/duplexsms/duplex/internal/e2e"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/twoway"
)

var bg = context.Background()

// waitBound only keeps a broken server from hanging the suite; nothing
// asserts how fast anything happens.
const waitBound = 60 * time.Second

const customer = "+14255550182"

// env is one harness with the clients a Connect test uses, as account A.
type env struct {
	t       *testing.T
	h       *e2e.Harness
	connect *connectsdk.Client
	sms     *sms.Client
	iam     *iam.Client
	cli     *client.Client
}

func newEnv(t *testing.T, backend e2e.Backend) *env {
	t.Helper()
	h := e2e.Start(t, backend)
	return &env{t: t, h: h, connect: connectClient(h, e2e.KeyA), sms: h.A(),
		iam: iam.New(iam.Options{Region: e2e.Region, BaseEndpoint: aws.String(h.URL), HTTPClient: h.HTTP, RetryMaxAttempts: 1,
			Credentials: credentials.NewStaticCredentialsProvider(e2e.KeyA, e2e.SecretA, "")}),
		cli: &client.Client{Endpoint: h.URL, Region: e2e.Region, HTTP: h.HTTP,
			Creds: aws.Credentials{AccessKeyID: e2e.KeyA, SecretAccessKey: e2e.SecretA}}}
}

// with is e for a subtest: helpers fail t, not the parent test.
func (e *env) with(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

func connectClient(h *e2e.Harness, key string) *connectsdk.Client {
	return connectsdk.New(connectsdk.Options{Region: e2e.Region, BaseEndpoint: aws.String(h.URL), HTTPClient: h.HTTP,
		RetryMaxAttempts: 1, Credentials: credentials.NewStaticCredentialsProvider(key, h.Secret(key), "")})
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantErr checks an API error's code and that its message contains each of
// the fragments.
func wantErr(t testing.TB, err error, code string, fragments ...string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error %s (%s), want %s", ae.ErrorCode(), ae.ErrorMessage(), code)
	}
	for _, f := range fragments {
		if !strings.Contains(ae.ErrorMessage(), f) {
			t.Fatalf("%s message %q lacks %q", code, ae.ErrorMessage(), f)
		}
	}
}

// seedTrustPolicy is the seed's trust policy for the Connect role.
func seedTrustPolicy(sourceAccount string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"SMSVoice","Effect":"Allow","Principal":{"Service":"sms-voice.amazonaws.com"},` +
		`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"` + sourceAccount + `"}}}]}`
}

// seedConnectPolicy is the seed's permission policy for Amazon Connect.
const seedConnectPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["connect:SendChatIntegrationEvent"],"Resource":["*"]}]}`

// role creates a role with a trust policy and, unless empty, an inline
// permission policy.
func (e *env) role(name, trust, permissions string) string {
	e.t.Helper()
	out, err := e.iam.CreateRole(bg, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	noErr(e.t, err)
	if permissions != "" {
		e.putRolePolicy(name, permissions)
	}
	return aws.ToString(out.Role.Arn)
}

func (e *env) putRolePolicy(role, doc string) {
	e.t.Helper()
	_, err := e.iam.PutRolePolicy(bg, &iam.PutRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String("connect"),
		PolicyDocument: aws.String(doc)})
	noErr(e.t, err)
}

// number requests a simulator number of account A.
func (e *env) number() *sms.RequestPhoneNumberOutput {
	e.t.Helper()
	out, err := e.sms.RequestPhoneNumber(bg, &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"),
		MessageType: smstypes.MessageTypeTransactional, NumberCapabilities: []smstypes.NumberCapability{smstypes.NumberCapabilitySms},
		NumberType: smstypes.RequestableNumberTypeSimulator})
	noErr(e.t, err)
	return out
}

// instance creates an instance and returns its ID.
func (e *env) instance(alias string) string {
	e.t.Helper()
	out, err := e.connect.CreateInstance(bg, &connectsdk.CreateInstanceInput{IdentityManagementType: ctypes.DirectoryTypeConnectManaged,
		InstanceAlias: aws.String(alias), InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	noErr(e.t, err)
	return aws.ToString(out.Id)
}

// importNumber imports a number into an instance and waits until it is
// CLAIMED.
func (e *env) importNumber(instanceID, numberArn string) string {
	e.t.Helper()
	out, err := e.connect.ImportPhoneNumber(bg, &connectsdk.ImportPhoneNumberInput{InstanceId: aws.String(instanceID),
		SourcePhoneNumberArn: aws.String(numberArn)})
	noErr(e.t, err)
	id := aws.ToString(out.PhoneNumberId)
	e.waitClaim(id, ctypes.PhoneNumberWorkflowStatusClaimed)
	return id
}

func (e *env) waitClaim(id string, want ctypes.PhoneNumberWorkflowStatus) *ctypes.ClaimedPhoneNumberSummary {
	e.t.Helper()
	deadline := time.Now().Add(waitBound)
	for {
		d, err := e.connect.DescribePhoneNumber(bg, &connectsdk.DescribePhoneNumberInput{PhoneNumberId: aws.String(id)})
		noErr(e.t, err)
		st := d.ClaimedPhoneNumberSummary.PhoneNumberStatus.Status
		if st == want {
			return d.ClaimedPhoneNumberSummary
		}
		if st != ctypes.PhoneNumberWorkflowStatusInProgress || time.Now().After(deadline) {
			e.t.Fatalf("phone number %s is %s (%s), want %s", id, st, aws.ToString(d.ClaimedPhoneNumberSummary.PhoneNumberStatus.Message), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// enable turns two-way on for a number with a channel and role.
func (e *env) enable(numberID, channel, role string) {
	e.t.Helper()
	_, err := e.sms.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: aws.String(numberID), TwoWayEnabled: aws.Bool(true),
		TwoWayChannelArn: aws.String(channel), TwoWayChannelRole: aws.String(role)})
	noErr(e.t, err)
}

// text is the customer texting one of the account's numbers through the
// simulator; it returns the inboundMessageId.
func (e *env) text(from, to, body string) string {
	e.t.Helper()
	var out struct {
		InboundMessageID string `json:"inboundMessageId"`
	}
	in := map[string]any{"originationNumber": from, "destinationNumber": to, "messageBody": body}
	if err := e.cli.Do(bg, "POST", "/_duplex/simulator/inbound", nil, in, &out); err != nil || out.InboundMessageID == "" {
		e.t.Fatalf("POST /_duplex/simulator/inbound: %v %+v", err, out)
	}
	return out.InboundMessageID
}

func (e *env) inbound(to string) []twoway.InboundMessage {
	e.t.Helper()
	var out struct {
		InboundMessages []twoway.InboundMessage `json:"inboundMessages"`
	}
	if err := e.cli.Do(bg, "GET", "/_duplex/inbound", url.Values{"destinationNumber": {to}, "limit": {"1000"}}, nil, &out); err != nil {
		e.t.Fatalf("GET /_duplex/inbound: %v", err)
	}
	return out.InboundMessages
}

// waitInbound waits until an inbound message has one of the statuses
// want, failing at once on a final status that is not wanted.
func (e *env) waitInbound(to, id string, want ...string) twoway.InboundMessage {
	e.t.Helper()
	deadline := time.Now().Add(waitBound)
	for {
		var last twoway.InboundMessage
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
		time.Sleep(10 * time.Millisecond)
	}
}

// outbox is what the service sent to a customer, newest first.
func (e *env) outbox(to string) []smsvoice.OutboundMessage {
	e.t.Helper()
	var out struct {
		Messages []smsvoice.OutboundMessage `json:"messages"`
	}
	if err := e.cli.Do(bg, "GET", "/_duplex/simulator/outbound", url.Values{"destinationNumber": {to}}, nil, &out); err != nil {
		e.t.Fatalf("GET /_duplex/simulator/outbound: %v", err)
	}
	return out.Messages
}

func (e *env) redrive(ids ...string) {
	e.t.Helper()
	var out struct{ Redriven []string }
	if err := e.cli.Do(bg, "POST", "/_duplex/inbound/redrive", nil, map[string]any{"inboundMessageIds": ids}, &out); err != nil {
		e.t.Fatalf("redrive: %v", err)
	}
}

// participant calls the Connect Participant API as an SDK does: POST
// /participant/OPERATION with the bearer token in X-Amz-Bearer and a JSON
// body. With signed, the request also carries a SigV4 signature of scope
// execute-api (as botocore sends it), which the server ignores.
type participant struct {
	h      *e2e.Harness
	signed bool
}

type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func (p participant) call(op, bearer string, in, out any) error {
	body, _ := json.Marshal(in)
	req, _ := http.NewRequest(http.MethodPost, p.h.URL+"/participant/"+op, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("X-Amz-Bearer", bearer)
	}
	if p.signed {
		if err := v4.NewSigner().SignHTTP(bg, aws.Credentials{AccessKeyID: e2e.KeyA, SecretAccessKey: e2e.SecretA}, req,
			e2e.PayloadHash(body), "execute-api", e2e.Region, time.Now()); err != nil {
			return err
		}
	}
	resp, err := p.h.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var m struct {
			Message string `json:"message"`
		}
		json.Unmarshal(b, &m)
		return &apiError{Status: resp.StatusCode, Code: resp.Header.Get("X-Amzn-ErrorType"), Message: m.Message}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (p participant) connect(t testing.TB, participantToken string) string {
	t.Helper()
	var out struct {
		ConnectionCredentials struct{ ConnectionToken, Expiry string }
	}
	noErr(t, p.call("connection", participantToken, map[string]any{"Type": []string{"CONNECTION_CREDENTIALS"}, "ConnectParticipant": true}, &out))
	if out.ConnectionCredentials.ConnectionToken == "" || out.ConnectionCredentials.Expiry == "" {
		t.Fatalf("no connection credentials: %+v", out)
	}
	return out.ConnectionCredentials.ConnectionToken
}

type sentMessage struct{ Id, AbsoluteTime string }

func (p participant) send(t testing.TB, conn, text string) sentMessage {
	t.Helper()
	var out sentMessage
	noErr(t, p.call("message", conn, map[string]any{"ContentType": "text/plain", "Content": text}, &out))
	if out.Id == "" || out.AbsoluteTime == "" {
		t.Fatalf("SendMessage answered %+v", out)
	}
	return out
}

type transcriptItem struct {
	Id, Type, Content, ContentType, ParticipantRole, ParticipantId, DisplayName, AbsoluteTime, ContactId string
}

type transcript struct {
	InitialContactId string
	Transcript       []transcriptItem
	NextToken        string
}

func (p participant) transcript(t testing.TB, conn string, in map[string]any) transcript {
	t.Helper()
	var out transcript
	noErr(t, p.call("transcript", conn, in, &out))
	return out
}

// messages are the MESSAGE items of a transcript as "ROLE: text".
func messages(tr transcript) []string {
	var out []string
	for _, it := range tr.Transcript {
		if it.Type == "MESSAGE" {
			out = append(out, it.ParticipantRole+": "+it.Content)
		}
	}
	return out
}

func wantAPIError(t testing.TB, err error, status int, code string, fragment string) {
	t.Helper()
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status != status || ae.Code != code || !strings.Contains(ae.Message, fragment) {
		t.Fatalf("want %d %s containing %q, got %v", status, code, fragment, err)
	}
}

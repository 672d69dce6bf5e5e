package connect_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	connectsdk "github.com/aws/aws-sdk-go-v2/service/connect"
	ctypes "github.com/aws/aws-sdk-go-v2/service/connect/types"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	smstypes "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/duplexsms/duplex/internal/e2e"
	"github.com/duplexsms/duplex/internal/twoway"
)

// TestConnectFailures: every way a text can fail to reach a chat is
// explained on the inbound message, and a redrive delivers it once the
// cause is fixed.
func TestConnectFailures(t *testing.T) {
	e := newEnv(t, e2e.SQLite)
	instanceID := e.instance("failures")
	setup := func(e *env, roleName, trust, permissions string) (number, numberID, role string) {
		num := e.number()
		e.importNumber(instanceID, aws.ToString(num.PhoneNumberArn))
		role = e.role(roleName, trust, permissions)
		e.enable(aws.ToString(num.PhoneNumberId), "connect.us-east-1.amazonaws.com", role)
		return aws.ToString(num.PhoneNumber), aws.ToString(num.PhoneNumberId), role
	}

	t.Run("role without the permission", func(t *testing.T) {
		e := e.with(t)
		number, _, _ := setup(e, "NoConnectPermission", seedTrustPolicy(e2e.AccountA),
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"*"}]}`)
		id := e.text(customer, number, "hello?")
		m := e.waitInbound(number, id, twoway.StatusRetrying)
		for _, f := range []string{"AccessDeniedException", "assumed-role/NoConnectPermission/sms-voice",
			"is not authorized to perform: connect:SendChatIntegrationEvent", "no identity-based policy allows"} {
			if !strings.Contains(m.Reason, f) {
				t.Fatalf("reason %q lacks %q", m.Reason, f)
			}
		}
		// Fix the role, redrive: delivered to a new chat.
		e.putRolePolicy("NoConnectPermission", seedConnectPolicy)
		e.redrive(id)
		m = e.waitInbound(number, id, twoway.StatusDelivered)
		if m.ContactID == "" {
			t.Fatalf("redriven message: %+v", m)
		}
	})

	t.Run("an explicit deny", func(t *testing.T) {
		e := e.with(t)
		number, _, _ := setup(e, "DeniedConnect", seedTrustPolicy(e2e.AccountA),
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"connect:*","Resource":"*"},`+
				`{"Effect":"Deny","Action":"connect:SendChatIntegrationEvent","Resource":"*"}]}`)
		m := e.waitInbound(number, e.text(customer, number, "hello?"), twoway.StatusRetrying)
		if !strings.Contains(m.Reason, "explicit deny in an identity-based policy") {
			t.Fatalf("reason %q", m.Reason)
		}
	})

	t.Run("trust policy for another account", func(t *testing.T) {
		e := e.with(t)
		number, _, _ := setup(e, "OtherAccountTrust", seedTrustPolicy("999999999999"), seedConnectPolicy)
		m := e.waitInbound(number, e.text(customer, number, "hello?"), twoway.StatusRetrying)
		for _, f := range []string{"sms-voice.amazonaws.com could not assume", "OtherAccountTrust", "aws:SourceAccount"} {
			if !strings.Contains(m.Reason, f) {
				t.Fatalf("reason %q lacks %q", m.Reason, f)
			}
		}
	})

	t.Run("region without Amazon Connect chat", func(t *testing.T) {
		e := e.with(t)
		num := e.number()
		role := e.role("RegionRole", seedTrustPolicy(e2e.AccountA), seedConnectPolicy)
		_, err := e.sms.UpdatePhoneNumber(bg, &sms.UpdatePhoneNumberInput{PhoneNumberId: num.PhoneNumberId, TwoWayEnabled: aws.Bool(true),
			TwoWayChannelArn: aws.String("connect.eu-west-1.amazonaws.com"), TwoWayChannelRole: aws.String(role)})
		var ve *smstypes.ValidationException
		if !asErr(err, &ve) || ve.Reason != smstypes.ValidationExceptionReasonTwoWayNotSupportedInRegion ||
			!strings.Contains(aws.ToString(ve.Message), "eu-west-1") {
			t.Fatalf("eu-west-1: %v", err)
		}
		// A Connect chat region other than the one this server serves: the
		// setting is accepted, the delivery explains why it cannot happen.
		e.importNumber(instanceID, aws.ToString(num.PhoneNumberArn))
		e.enable(aws.ToString(num.PhoneNumberId), "connect.us-west-2.amazonaws.com", role)
		number := aws.ToString(num.PhoneNumber)
		m := e.waitInbound(number, e.text(customer, number, "hello?"), twoway.StatusRetrying)
		if !strings.Contains(m.Reason, "names region us-west-2") || !strings.Contains(m.Reason, "us-east-1") {
			t.Fatalf("reason %q", m.Reason)
		}
	})

	t.Run("number not imported", func(t *testing.T) {
		e := e.with(t)
		num := e.number()
		role := e.role("NotImported", seedTrustPolicy(e2e.AccountA), seedConnectPolicy)
		e.enable(aws.ToString(num.PhoneNumberId), "connect.us-east-1.amazonaws.com", role)
		number := aws.ToString(num.PhoneNumber)
		id := e.text(customer, number, "anyone?")
		m := e.waitInbound(number, id, twoway.StatusRetrying)
		if !strings.Contains(m.Reason, "not imported into an Amazon Connect instance") {
			t.Fatalf("reason %q", m.Reason)
		}
		e.importNumber(instanceID, aws.ToString(num.PhoneNumberArn))
		e.redrive(id)
		e.waitInbound(number, id, twoway.StatusDelivered)
	})

	t.Run("SendChatIntegrationEvent is for the service principal", func(t *testing.T) {
		e := e.with(t)
		num := e.number()
		e.importNumber(instanceID, aws.ToString(num.PhoneNumberArn))
		_, err := e.connect.SendChatIntegrationEvent(bg, &connectsdk.SendChatIntegrationEventInput{SourceId: aws.String(customer),
			DestinationId: num.PhoneNumberArn, Subtype: aws.String("connect:SMS"),
			Event: &ctypes.ChatEvent{Type: ctypes.ChatEventTypeMessage, ContentType: aws.String("text/plain"), Content: aws.String("spoofed")}})
		wantErr(t, err, "AccessDeniedException", "arn:aws:iam::"+e2e.AccountA+":root", "sms-voice.amazonaws.com")
	})

	t.Run("participant tokens", func(t *testing.T) {
		e := e.with(t)
		p := participant{h: e.h}
		wantAPIError(t, p.call("message", "not-a-token", map[string]any{"ContentType": "text/plain", "Content": "hi"}, nil),
			http.StatusForbidden, "AccessDeniedException", "connection token is not valid")
		wantAPIError(t, p.call("connection", "not-a-token", map[string]any{"Type": []string{"CONNECTION_CREDENTIALS"}}, nil),
			http.StatusForbidden, "AccessDeniedException", "participant token is not valid")
		wantAPIError(t, p.call("transcript", "", map[string]any{}, nil), http.StatusBadRequest, "ValidationException", "onnectionToken")
		wantAPIError(t, p.call("nothing-here", "x", map[string]any{}, nil), http.StatusNotFound, "UnknownOperationException", "")
	})
}

// TestRestJSONWire checks the rest-json protocol on the wire: routing by
// method and path, the model's validation before the handler, and
// AWS-shaped errors (X-Amzn-ErrorType and a JSON message).
func TestRestJSONWire(t *testing.T) {
	e := newEnv(t, e2e.SQLite)
	// Validation from the model: an enum, a range.
	_, err := e.connect.CreateInstance(bg, &connectsdk.CreateInstanceInput{IdentityManagementType: "BOGUS", InstanceAlias: aws.String("x1"),
		InboundCallsEnabled: aws.Bool(true), OutboundCallsEnabled: aws.Bool(true)})
	wantErr(t, err, "InvalidParameterException", "identityManagementType", "enum value set")
	_, err = e.connect.ListInstances(bg, &connectsdk.ListInstancesInput{MaxResults: aws.Int32(11)})
	wantErr(t, err, "InvalidParameterException", "maxResults", "less than or equal to 10")
	// Paging through ListInstances (query-string members).
	for _, a := range []string{"p1", "p2", "p3"} {
		e.instance(a)
	}
	seen := 0
	var next *string
	for range 5 {
		out, err := e.connect.ListInstances(bg, &connectsdk.ListInstancesInput{MaxResults: aws.Int32(2), NextToken: next})
		noErr(t, err)
		seen += len(out.InstanceSummaryList)
		if next = out.NextToken; next == nil {
			break
		}
	}
	if seen != 3 {
		t.Fatalf("paged through %d instances, want 3", seen)
	}

	// Raw requests: an unknown path, a known path with another method, a
	// malformed body, a wrong signature.
	raw := func(method, path, body, secret string) (int, http.Header, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, e.h.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		noErr(t, e2e.SignAs(req, []byte(body), e2e.KeyA, secret, e2e.Region, "connect", time.Now()))
		resp, err := e.h.HTTP.Do(req)
		noErr(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.NewDecoder(bytes.NewReader(b)).Decode(&m); err != nil {
			t.Fatalf("%s %s: body %q is not JSON", method, path, b)
		}
		return resp.StatusCode, resp.Header, m
	}
	status, h, body := raw("GET", "/no/such/thing", "", e2e.SecretA)
	if status != 404 || h.Get("X-Amzn-ErrorType") != "UnknownOperationException" || body["message"] == "" {
		t.Fatalf("unknown path: %d %v %v", status, h, body)
	}
	status, h, _ = raw("PATCH", "/instance", "", e2e.SecretA)
	if status != 405 || h.Get("X-Amzn-ErrorType") != "UnknownOperationException" {
		t.Fatalf("wrong method: %d %v", status, h)
	}
	status, h, _ = raw("PUT", "/instance", "{not json", e2e.SecretA)
	if status != 400 || h.Get("X-Amzn-ErrorType") != "SerializationException" {
		t.Fatalf("malformed body: %d %v", status, h)
	}
	status, h, body = raw("GET", "/instance", "", "wrong-secret")
	if status != 403 || !strings.Contains(h.Get("X-Amzn-ErrorType"), "Signature") {
		t.Fatalf("bad signature: %d %v %v", status, h, body)
	}
	// Members in the URI are not taken from the body.
	status, _, body = raw("GET", "/instance/nope", `{"InstanceId":"`+"x"+`"}`, e2e.SecretA)
	if status != 404 || !strings.Contains(body["message"].(string), "nope") {
		t.Fatalf("uri label: %d %v", status, body)
	}
}

func asErr[T error](err error, target *T) bool { return errors.As(err, target) }

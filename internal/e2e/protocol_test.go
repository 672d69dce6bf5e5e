package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
)

func init() {
	register("ProtocolAndAuth", testProtocolAndAuth)
}

var requestIDRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// awsError checks an error response's status, headers and JSON body and
// returns the body.
func awsError(t *testing.T, what string, status int, hdr http.Header, body []byte, wantStatus int, wantCode string) map[string]any {
	t.Helper()
	if status != wantStatus {
		t.Errorf("%s: status %d, want %d (%s)", what, status, wantStatus, body)
	}
	if !requestIDRE.MatchString(hdr.Get("x-amzn-RequestId")) {
		t.Errorf("%s: x-amzn-RequestId %q", what, hdr.Get("x-amzn-RequestId"))
	}
	if got := hdr.Get("x-amzn-ErrorType"); got != wantCode {
		t.Errorf("%s: x-amzn-ErrorType %q, want %q", what, got, wantCode)
	}
	if ct := hdr.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("%s: body is not JSON: %q", what, body)
	}
	if m["__type"] != wantCode {
		t.Errorf("%s: __type %v, want %s", what, m["__type"], wantCode)
	}
	if msg, _ := m["message"].(string); msg == "" {
		t.Errorf("%s: no message in %s", what, body)
	}
	return m
}

func testProtocolAndAuth(t *testing.T, h *Harness) {
	c := h.A()
	existing := sim(t, c)
	count := func() int { t.Helper(); return countNumbers(t, c) }
	want := count()

	// The SDK reads the request ID of a success.
	out, err := c.DescribeAccountAttributes(bg, &sms.DescribeAccountAttributesInput{})
	noErr(t, err)
	if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); !requestIDRE.MatchString(id) {
		t.Errorf("SDK saw request ID %q", id)
	}

	// Faults the SDK can produce.
	_, err = h.SMSWith(KeyA, "not-the-secret").RequestPhoneNumber(bg, simInput())
	wantCode(t, err, "InvalidSignatureException")
	_, err = h.SMSWith("AKIAUNKNOWNKEY000000", "whatever").RequestPhoneNumber(bg, simInput())
	wantCode(t, err, "UnrecognizedClientException")
	eq(t, "numbers after refused SDK calls", count(), want)

	body := []byte(`{"IsoCountryCode":"US","MessageType":"TRANSACTIONAL","NumberCapabilities":["SMS"],"NumberType":"SIMULATOR"}`)
	send := func(what string, req *http.Request) (int, http.Header, []byte) {
		t.Helper()
		st, hdr, b := h.Do(req)
		t.Logf("%s: %d %s", what, st, b)
		return st, hdr, b
	}
	signed := func(target string, b []byte, at time.Time) *http.Request {
		t.Helper()
		req := h.RawRequest(target, b)
		noErr(t, Sign(req, b, KeyA, SecretA, at))
		return req
	}

	// A correctly signed raw request works, and its response is JSON 1.0.
	st, hdr, b := send("signed raw", signed("RequestPhoneNumber", body, time.Now()))
	if st != http.StatusOK || hdr.Get("Content-Type") != "application/x-amz-json-1.0" || !requestIDRE.MatchString(hdr.Get("x-amzn-RequestId")) || hdr.Get("x-amzn-ErrorType") != "" {
		t.Fatalf("signed raw request: %d %v %s", st, hdr, b)
	}
	var created struct{ PhoneNumberId string }
	noErr(t, json.Unmarshal(b, &created))
	want++
	eq(t, "numbers after the raw request", count(), want)

	// No Authorization.
	st, hdr, b = send("unsigned", h.RawRequest("RequestPhoneNumber", body))
	m := awsError(t, "unsigned", st, hdr, b, http.StatusForbidden, "MissingAuthenticationTokenException")
	eq(t, "unsigned message", m["message"], any("Missing Authentication Token"))

	// Signed 16 minutes ago.
	st, hdr, b = send("stale", signed("RequestPhoneNumber", body, time.Now().Add(-16*time.Minute)))
	m = awsError(t, "stale", st, hdr, b, http.StatusBadRequest, "InvalidSignatureException")
	if msg, _ := m["message"].(string); !strings.Contains(msg, "Signature expired") {
		t.Errorf("stale: message %q", msg)
	}
	// Signed 16 minutes ahead.
	st, hdr, b = send("future", signed("RequestPhoneNumber", body, time.Now().Add(16*time.Minute)))
	awsError(t, "future", st, hdr, b, http.StatusBadRequest, "InvalidSignatureException")

	// Wrong secret, unknown key, raw.
	req := h.RawRequest("RequestPhoneNumber", body)
	noErr(t, Sign(req, body, KeyA, "wrong", time.Now()))
	st, hdr, b = send("wrong secret", req)
	awsError(t, "wrong secret", st, hdr, b, http.StatusBadRequest, "InvalidSignatureException")
	req = h.RawRequest("RequestPhoneNumber", body)
	noErr(t, Sign(req, body, "AKIANOBODY0000000000", "x", time.Now()))
	st, hdr, b = send("unknown key", req)
	awsError(t, "unknown key", st, hdr, b, http.StatusBadRequest, "UnrecognizedClientException")

	// Body tampered with after signing: same length, and longer.
	for _, tampered := range [][]byte{bytes.Replace(body, []byte("SIMULATOR"), []byte("TOLL_FREE"), 1), append(bytes.Clone(body[:len(body)-1]), []byte(`,"Tags":[]}`)...)} {
		req = signed("RequestPhoneNumber", body, time.Now())
		req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(tampered)), int64(len(tampered))
		req.GetBody = nil
		st, hdr, b = send("tampered", req)
		awsError(t, "tampered body", st, hdr, b, http.StatusBadRequest, "InvalidSignatureException")
	}
	// Header tampered with after signing (X-Amz-Target is signed by the SDK; here by ours).
	req = signed("DescribePhoneNumbers", []byte(`{}`), time.Now())
	req.Header.Set("X-Amz-Target", "PinpointSMSVoiceV2.RequestPhoneNumber")
	st, hdr, b = send("tampered target", req)
	awsError(t, "tampered target", st, hdr, b, http.StatusBadRequest, "InvalidSignatureException")

	// Signed for another region or service.
	req = h.RawRequest("RequestPhoneNumber", body)
	noErr(t, signFor(req, body, "eu-west-1", "sms-voice"))
	st, hdr, b = send("other region", req)
	awsError(t, "other region", st, hdr, b, http.StatusBadRequest, "InvalidSignatureException")
	req = h.RawRequest("RequestPhoneNumber", body)
	noErr(t, signFor(req, body, Region, "sns"))
	st, hdr, b = send("other service", req)
	awsError(t, "other service", st, hdr, b, http.StatusBadRequest, "InvalidSignatureException")

	// Malformed JSON, a JSON array, trailing data.
	for _, bad := range []string{`{"IsoCountryCode":`, `not json`, `{"a":1} {"b":2}`} {
		st, hdr, b = send("malformed", signed("RequestPhoneNumber", []byte(bad), time.Now()))
		awsError(t, "malformed JSON "+bad, st, hdr, b, http.StatusBadRequest, "SerializationException")
	}
	st, hdr, b = send("array", signed("RequestPhoneNumber", []byte(`[1,2]`), time.Now()))
	awsError(t, "array body", st, hdr, b, http.StatusBadRequest, "ValidationException")
	// A member of the wrong type.
	st, hdr, b = send("wrong type", signed("RequestPhoneNumber", []byte(`{"IsoCountryCode":7,"MessageType":"TRANSACTIONAL","NumberCapabilities":["SMS"],"NumberType":"SIMULATOR"}`), time.Now()))
	awsError(t, "wrong member type", st, hdr, b, http.StatusBadRequest, "ValidationException")
	// A missing required member: Reason and Fields on the wire.
	st, hdr, b = send("missing member", signed("UpdatePhoneNumber", []byte(`{"TwoWayEnabled":true}`), time.Now()))
	m = awsError(t, "missing member", st, hdr, b, http.StatusBadRequest, "ValidationException")
	eq(t, "missing member Reason", m["Reason"], any("MISSING_PARAMETER"))
	if fs, _ := m["Fields"].([]any); len(fs) == 0 || !strings.Contains(string(b), `"PhoneNumberId"`) {
		t.Errorf("missing member Fields: %s", b)
	}
	// A domain error carries its members on the wire too.
	st, hdr, b = send("not found", signed("DescribePhoneNumbers", []byte(`{"PhoneNumberIds":["phone-00000000000000000000000000000000"]}`), time.Now()))
	m = awsError(t, "not found", st, hdr, b, http.StatusNotFound, "ResourceNotFoundException")
	eq(t, "not found ResourceType", m["ResourceType"], any("phone-number"))
	eq(t, "not found ResourceId", m["ResourceId"], any("phone-00000000000000000000000000000000"))
	st, hdr, b = send("conflict", signed("CreateOptOutList", []byte(`{"OptOutListName":"Default"}`), time.Now()))
	m = awsError(t, "conflict", st, hdr, b, http.StatusConflict, "ConflictException")
	eq(t, "conflict Reason", m["Reason"], any("RESOURCE_ALREADY_EXISTS"))

	// A member the model does not know never reaches the service, even when
	// it differs from a known one only in case.
	st, hdr, b = send("case twin", signed("CreateOptOutList", []byte(`{"OptOutListName":"valid","optoutlistname":"in/valid","Tags":[{"Key":"k","Value":"v","key":"aws:x"}]}`), time.Now()))
	if st != http.StatusOK || hdr.Get("x-amzn-ErrorType") != "" {
		t.Fatalf("case twin: %d %s", st, b)
	}
	lists, err := c.DescribeOptOutLists(bg, &sms.DescribeOptOutListsInput{})
	noErr(t, err)
	var names []string
	for _, l := range lists.OptOutLists {
		names = append(names, aws.ToString(l.OptOutListName))
	}
	sameIDs(t, "lists after a case twin member", names, []string{"Default", "valid"})
	eq(t, "tag of the list", fmt.Sprint(listTags(t, c, arnOf(AccountA, "opt-out-list/valid"))), fmt.Sprint(map[string]string{"k": "v"}))

	// Unknown operation of a known service; unknown service.
	st, hdr, b = send("unknown op", signed("DeleteEverything", []byte(`{}`), time.Now()))
	awsError(t, "unknown operation", st, hdr, b, http.StatusBadRequest, "UnknownOperationException")
	st, hdr, b = send("unknown op", signed("SendVoiceMessage", []byte(`{}`), time.Now()))
	awsError(t, "unserved operation", st, hdr, b, http.StatusBadRequest, "UnknownOperationException")
	st, hdr, b = send("unknown service", signed("NoSuchService_2020.DoIt", []byte(`{}`), time.Now()))
	awsError(t, "unknown service", st, hdr, b, http.StatusBadRequest, "UnknownOperationException")

	// A body over 1 MiB, signed and unsigned.
	big := []byte(`{"IsoCountryCode":"US","MessageType":"TRANSACTIONAL","NumberCapabilities":["SMS"],"NumberType":"SIMULATOR","ClientToken":"` +
		strings.Repeat("a", 1<<20) + `"}`)
	st, hdr, b = send("too large", signed("RequestPhoneNumber", big, time.Now()))
	awsError(t, "too large", st, hdr, b, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException")
	req = signed("RequestPhoneNumber", big, time.Now())
	req.ContentLength = -1 // chunked: the size is found by reading
	req.Body, req.GetBody = io.NopCloser(bytes.NewReader(big)), nil
	st, hdr, b = send("too large, chunked", req)
	awsError(t, "too large, chunked", st, hdr, b, http.StatusRequestEntityTooLarge, "RequestEntityTooLargeException")

	eq(t, "numbers after every refused request", count(), want)
	sameIDs(t, "the numbers", numberIDs(allNumbers(t, c, nil, 0)), []string{aws.ToString(existing.PhoneNumberId), created.PhoneNumberId})

	// Health and metrics.
	resp, err := h.HTTP.Get(h.URL + "/healthz")
	noErr(t, err)
	resp.Body.Close()
	eq(t, "healthz", resp.StatusCode, http.StatusOK)
	resp, err = h.HTTP.Get(h.URL + "/metrics")
	noErr(t, err)
	mb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`duplex_api_requests_total{code="",operation="RequestPhoneNumber",service="sms-voice"}`,
		`duplex_api_requests_total{code="InvalidSignatureException",operation="RequestPhoneNumber",service="sms-voice"}`} {
		if !strings.Contains(string(mb), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func signFor(req *http.Request, body []byte, region, service string) error {
	return SignAs(req, body, KeyA, SecretA, region, service, time.Now())
}

func simInput() *sms.RequestPhoneNumberInput {
	return &sms.RequestPhoneNumberInput{IsoCountryCode: aws.String("US"), MessageType: types.MessageTypeTransactional,
		NumberCapabilities: []types.NumberCapability{types.NumberCapabilitySms}, NumberType: types.RequestableNumberTypeSimulator}
}

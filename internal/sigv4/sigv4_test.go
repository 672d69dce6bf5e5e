package sigv4

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const pinpointURL = "https://sms-voice.us-east-1.amazonaws.com/"

var pinpointBody = []byte(`{"OriginationIdentity":"+12065550100","DestinationPhoneNumber":"+12065550123","MessageBody":"héllo wörld  ✓"}`)

func pinpointHeaders() map[string]string {
	return map[string]string{
		"Content-Type": "application/x-amz-json-1.0",
		"X-Amz-Target": "PinpointSMSVoiceV2.SendTextMessage",
	}
}

func TestSDKSignerHeaderForm(t *testing.T) {
	q := url.Values{}
	q.Set("Action", "Publish")
	q.Set("Version", "2010-03-31")
	q.Set("Message", "hello world & good/bye ~ * ' (100%) +1 ü")
	q.Set("PhoneNumber", "+15551234567")
	q.Add("a-b", "1")
	q.Add("a/b", "2") // sorts differently before and after encoding
	q.Add("Multi", "z")
	q.Add("Multi", "a")
	q.Set("Empty", "")
	formBody := []byte("Action=Publish&Message=hi+there&PhoneNumber=%2B15551234567&Version=2010-03-31")

	cases := []struct {
		name    string
		method  string
		url     string
		body    []byte
		hdr     map[string]string
		creds   aws.Credentials
		service string
		setup   func(r *http.Request)
	}{
		{name: "json post", method: "POST", url: pinpointURL, body: pinpointBody, hdr: pinpointHeaders(), creds: permCreds, service: "sms-voice"},
		{name: "query protocol form post", method: "POST", url: "https://sns.us-east-1.amazonaws.com/", body: formBody,
			hdr: map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, creds: permCreds, service: "sns"},
		{name: "query protocol GET with params", method: "GET", url: "https://sns.us-east-1.amazonaws.com/?" + q.Encode(), creds: permCreds, service: "sns"},
		{name: "no path", method: "GET", url: "https://sts.amazonaws.com?Action=GetCallerIdentity&Version=2011-06-15", creds: permCreds, service: "sts"},
		{name: "path with specials and spaces", method: "GET",
			url:   "https://example.test/foo%20bar/a+b/c%2Fd/%C3%BC/~x/it's/(1)/*/%7Eraw/%41",
			creds: permCreds, service: "sms-voice"},
		{name: "temporary credentials", method: "POST", url: pinpointURL, body: pinpointBody, hdr: pinpointHeaders(), creds: tempCreds, service: "sms-voice"},
		{name: "messy header values", method: "POST", url: pinpointURL, body: pinpointBody, hdr: pinpointHeaders(), creds: permCreds, service: "sms-voice",
			setup: func(r *http.Request) {
				r.Header.Add("X-Amz-Meta-Thing", "  a   b  ")
				r.Header.Add("X-Amz-Meta-Thing", "c")
				r.Header.Set("X-Amz-Target", "  PinpointSMSVoiceV2.SendTextMessage ")
			}},
		{name: "signed content sha256", method: "POST", url: pinpointURL, body: pinpointBody, hdr: pinpointHeaders(), creds: permCreds, service: "sms-voice",
			setup: func(r *http.Request) { r.Header.Set("X-Amz-Content-Sha256", hexSHA(pinpointBody)) }},
		{name: "empty body post", method: "POST", url: pinpointURL, body: []byte{}, hdr: pinpointHeaders(), creds: permCreds, service: "sms-voice"},
		{name: "port in host", method: "POST", url: "http://127.0.0.1:8443/", body: pinpointBody, hdr: pinpointHeaders(), creds: permCreds, service: "sms-voice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newReq(t, c.method, c.url, c.body, c.hdr)
			if c.setup != nil {
				c.setup(r)
			}
			sdkSign(t, r, c.body, c.creds, c.service, testNow.Add(-time.Minute))
			sr, body := transmit(t, r)
			got := wantOK(t, newVerifier(testNow), sr, body)
			if got.Credential.AccessKeyID != c.creds.AccessKeyID || got.Region != region || got.Service != c.service ||
				!got.SignedAt.Equal(testNow.Add(-time.Minute)) || got.Presigned || got.UnsignedPayload {
				t.Fatalf("Verified = %+v", got)
			}
		})
	}
}

func TestUnsignedPayloadHeader(t *testing.T) {
	r := newReq(t, "POST", pinpointURL, pinpointBody, pinpointHeaders())
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	if err := signWithHash(r, "UNSIGNED-PAYLOAD"); err != nil {
		t.Fatal(err)
	}
	sr, body := transmit(t, r)
	got := wantOK(t, newVerifier(testNow), sr, body)
	if !got.UnsignedPayload {
		t.Fatal("UnsignedPayload not reported")
	}
	// The body is not covered: a different body still verifies.
	wantOK(t, newVerifier(testNow), sr, []byte("other"))
}

func signWithHash(r *http.Request, hash string) error {
	return v4.NewSigner().SignHTTP(context.Background(), permCreds, r, hash, "sms-voice", region, testNow)
}

func TestRejections(t *testing.T) {
	signed := func(t *testing.T, c aws.Credentials) (*http.Request, []byte) {
		r := newReq(t, "POST", pinpointURL, pinpointBody, pinpointHeaders())
		sdkSign(t, r, pinpointBody, c, "sms-voice", testNow)
		return transmit(t, r)
	}
	t.Run("wrong secret", func(t *testing.T) {
		c := permCreds
		c.SecretAccessKey = "not-the-secret"
		r, body := signed(t, c)
		e := wantKind(t, newVerifier(testNow), r, body, KindSignatureMismatch, "does not match")
		if !strings.HasPrefix(e.CanonicalRequest, "POST\n/\n\n") || !strings.HasPrefix(e.StringToSign, "AWS4-HMAC-SHA256\n20261125T133000Z\n20261125/us-east-1/sms-voice/aws4_request\n") {
			t.Fatalf("canonical request %q / string to sign %q", e.CanonicalRequest, e.StringToSign)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		c := permCreds
		c.AccessKeyID = "AKIANOSUCHKEY0000000"
		r, body := signed(t, c)
		wantKind(t, newVerifier(testNow), r, body, KindUnknownKey, "security token included in the request is invalid")
	})
	t.Run("lookup failure is not an *Error", func(t *testing.T) {
		r, body := signed(t, permCreds)
		v := &Verifier{Now: func() time.Time { return testNow }, Lookup: func(context.Context, string) (Credential, error) {
			return Credential{}, fmt.Errorf("db down")
		}}
		_, err := v.Verify(context.Background(), r, body)
		var e *Error
		if err == nil || asError(err, &e) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("tampered body", func(t *testing.T) {
		r, body := signed(t, permCreds)
		body = []byte(strings.Replace(string(body), "+12065550123", "+12065550999", 1))
		wantKind(t, newVerifier(testNow), r, body, KindSignatureMismatch, "does not match")
	})
	t.Run("tampered body with signed x-amz-content-sha256", func(t *testing.T) {
		r := newReq(t, "POST", pinpointURL, pinpointBody, pinpointHeaders())
		r.Header.Set("X-Amz-Content-Sha256", hexSHA(pinpointBody))
		sdkSign(t, r, pinpointBody, permCreds, "sms-voice", testNow)
		sr, _ := transmit(t, r)
		wantKind(t, newVerifier(testNow), sr, []byte(`{"evil":true}`), KindSignatureMismatch, "x-amz-content-sha256")
	})
	t.Run("tampered signed header", func(t *testing.T) {
		r, body := signed(t, permCreds)
		r.Header.Set("X-Amz-Target", "PinpointSMSVoiceV2.DeleteKeyword")
		wantKind(t, newVerifier(testNow), r, body, KindSignatureMismatch, "does not match")
	})
	t.Run("tampered host", func(t *testing.T) {
		r, body := signed(t, permCreds)
		r.Host = "evil.example"
		wantKind(t, newVerifier(testNow), r, body, KindSignatureMismatch, "does not match")
	})
	t.Run("tampered method", func(t *testing.T) {
		r, body := signed(t, permCreds)
		r.Method = "PUT"
		wantKind(t, newVerifier(testNow), r, body, KindSignatureMismatch, "does not match")
	})
	t.Run("tampered path", func(t *testing.T) {
		r, body := signed(t, permCreds)
		r.URL.Path = "/admin"
		wantKind(t, newVerifier(testNow), r, body, KindSignatureMismatch, "does not match")
	})
	t.Run("added query parameter", func(t *testing.T) {
		r, body := signed(t, permCreds)
		r.URL.RawQuery = "Action=DeleteTopic"
		wantKind(t, newVerifier(testNow), r, body, KindSignatureMismatch, "does not match")
	})
	t.Run("added unsigned header passes", func(t *testing.T) {
		r, body := signed(t, permCreds)
		r.Header.Set("X-Forwarded-For", "10.0.0.1")
		r.Header.Set("User-Agent", "something else")
		wantOK(t, newVerifier(testNow), r, body)
	})
	t.Run("signature in upper case hex", func(t *testing.T) {
		r, body := signed(t, permCreds)
		h := r.Header.Get("Authorization")
		i := strings.Index(h, "Signature=") + len("Signature=")
		r.Header.Set("Authorization", h[:i]+strings.ToUpper(h[i:]))
		wantKind(t, newVerifier(testNow), r, body, KindSignatureMismatch, "does not match")
	})
	t.Run("truncated signature", func(t *testing.T) {
		r, body := signed(t, permCreds)
		h := r.Header.Get("Authorization")
		r.Header.Set("Authorization", h[:len(h)-1])
		wantKind(t, newVerifier(testNow), r, body, KindSignatureMismatch, "does not match")
	})
}

func asError(err error, e **Error) bool {
	x, ok := err.(*Error)
	if ok {
		*e = x
	}
	return ok
}

func TestClockSkew(t *testing.T) {
	cases := []struct {
		offset time.Duration
		ok     bool
		msg    string
	}{
		{offset: -14 * time.Minute, ok: true},
		{offset: 14 * time.Minute, ok: true},
		{offset: -15 * time.Minute, ok: true},
		{offset: 15 * time.Minute, ok: true},
		{offset: -16 * time.Minute, msg: "Signature expired: 20261125T131400Z is now earlier than 20261125T131500Z (20261125T133000Z - 15 min.)"},
		{offset: -30 * time.Minute, msg: "Signature expired: 20261125T130000Z is now earlier than 20261125T131500Z (20261125T133000Z - 15 min.)"},
		{offset: 16 * time.Minute, msg: "Signature not yet current: 20261125T134600Z is still later than 20261125T134500Z (20261125T133000Z + 15 min.)"},
		{offset: -48 * time.Hour, msg: "Signature expired: 20261123T133000Z is now earlier than"},
	}
	for _, c := range cases {
		t.Run(c.offset.String(), func(t *testing.T) {
			r := newReq(t, "POST", pinpointURL, pinpointBody, pinpointHeaders())
			sdkSign(t, r, pinpointBody, permCreds, "sms-voice", testNow.Add(c.offset))
			sr, body := transmit(t, r)
			if c.ok {
				wantOK(t, newVerifier(testNow), sr, body)
				return
			}
			e := wantKind(t, newVerifier(testNow), sr, body, KindExpiredRequest, c.msg)
			if e.Message != c.msg && !strings.HasSuffix(c.msg, "than") {
				t.Fatalf("message %q, want %q", e.Message, c.msg)
			}
		})
	}
	t.Run("custom MaxSkew", func(t *testing.T) {
		r := newReq(t, "POST", pinpointURL, pinpointBody, pinpointHeaders())
		sdkSign(t, r, pinpointBody, permCreds, "sms-voice", testNow.Add(-6*time.Minute))
		sr, body := transmit(t, r)
		v := newVerifier(testNow)
		v.MaxSkew = 5 * time.Minute
		wantKind(t, v, sr, body, KindExpiredRequest, "(20261125T133000Z - 5 min.)")
	})
}

func TestSessionTokens(t *testing.T) {
	sign := func(t *testing.T, c aws.Credentials, at time.Time) (*http.Request, []byte) {
		r := newReq(t, "POST", pinpointURL, pinpointBody, pinpointHeaders())
		sdkSign(t, r, pinpointBody, c, "sms-voice", at)
		return transmit(t, r)
	}
	t.Run("temporary with token", func(t *testing.T) {
		r, body := sign(t, tempCreds, testNow)
		got := wantOK(t, newVerifier(testNow), r, body)
		if got.Credential.PrincipalARN != "arn:aws:sts::111111111111:assumed-role/R/S" || got.Credential.Account != "111111111111" {
			t.Fatalf("credential %+v", got.Credential)
		}
	})
	t.Run("temporary without token", func(t *testing.T) {
		c := tempCreds
		c.SessionToken = ""
		r, body := sign(t, c, testNow)
		wantKind(t, newVerifier(testNow), r, body, KindInvalidToken, "invalid")
	})
	t.Run("temporary with other token", func(t *testing.T) {
		c := tempCreds
		c.SessionToken = tempToken + "x"
		r, body := sign(t, c, testNow)
		wantKind(t, newVerifier(testNow), r, body, KindInvalidToken, "invalid")
	})
	t.Run("permanent with token", func(t *testing.T) {
		c := permCreds
		c.SessionToken = "bogus"
		r, body := sign(t, c, testNow)
		wantKind(t, newVerifier(testNow), r, body, KindInvalidToken, "invalid")
	})
	t.Run("expired temporary credential", func(t *testing.T) {
		r, body := sign(t, expCreds, testNow)
		wantKind(t, newVerifier(testNow), r, body, KindExpiredToken, "The security token included in the request is expired")
	})
	t.Run("temporary credential expires exactly now", func(t *testing.T) {
		r, body := sign(t, tempCreds, testNow)
		wantKind(t, newVerifier(testNow.Add(time.Hour)), r, body, KindExpiredRequest, "Signature expired")
		r, body = sign(t, tempCreds, testNow.Add(time.Hour))
		wantKind(t, newVerifier(testNow.Add(time.Hour)), r, body, KindExpiredToken, "expired")
	})
}

func TestPresigned(t *testing.T) {
	presign := func(t *testing.T, c aws.Credentials, expires string, payloadHash string, at time.Time) *http.Request {
		u := "https://sns.us-east-1.amazonaws.com/?Action=Publish&Message=hi%20there&PhoneNumber=%2B15551234567&Version=2010-03-31"
		if expires != "" {
			u += "&X-Amz-Expires=" + expires
		}
		r := sdkPresign(t, newReq(t, "GET", u, nil, nil), payloadHash, c, "sns", at)
		sr, _ := transmit(t, r)
		return sr
	}
	emptyHash := hexSHA(nil)
	t.Run("valid", func(t *testing.T) {
		r := presign(t, permCreds, "300", emptyHash, testNow)
		if r.Header.Get("Authorization") != "" || r.URL.Query().Get("X-Amz-Signature") == "" {
			t.Fatalf("not a presigned request: %v", r.URL)
		}
		got := wantOK(t, newVerifier(testNow.Add(299*time.Second)), r, nil)
		if !got.Presigned || got.UnsignedPayload || got.Service != "sns" {
			t.Fatalf("Verified %+v", got)
		}
	})
	t.Run("unsigned payload", func(t *testing.T) {
		r := presign(t, permCreds, "300", "UNSIGNED-PAYLOAD", testNow)
		got := wantOK(t, newVerifier(testNow), r, nil)
		if !got.UnsignedPayload {
			t.Fatal("UnsignedPayload not reported")
		}
	})
	t.Run("expired", func(t *testing.T) {
		r := presign(t, permCreds, "300", emptyHash, testNow)
		wantKind(t, newVerifier(testNow.Add(301*time.Second)), r, nil, KindExpiredRequest, "Request has expired")
	})
	t.Run("long expiry outlives skew window", func(t *testing.T) {
		r := presign(t, permCreds, "3600", emptyHash, testNow)
		wantOK(t, newVerifier(testNow.Add(59*time.Minute)), r, nil)
	})
	t.Run("no X-Amz-Expires uses skew window", func(t *testing.T) {
		r := presign(t, permCreds, "", emptyHash, testNow)
		wantOK(t, newVerifier(testNow.Add(14*time.Minute)), r, nil)
		wantKind(t, newVerifier(testNow.Add(16*time.Minute)), r, nil, KindExpiredRequest, "Signature expired")
	})
	t.Run("not yet current", func(t *testing.T) {
		r := presign(t, permCreds, "300", emptyHash, testNow.Add(16*time.Minute))
		wantKind(t, newVerifier(testNow), r, nil, KindExpiredRequest, "Signature not yet current")
	})
	t.Run("expires more than a week", func(t *testing.T) {
		r := presign(t, permCreds, "604801", emptyHash, testNow)
		wantKind(t, newVerifier(testNow), r, nil, KindMalformed, "604800")
	})
	t.Run("tampered parameter", func(t *testing.T) {
		r := presign(t, permCreds, "300", emptyHash, testNow)
		r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "hi%20there", "bye", 1)
		wantKind(t, newVerifier(testNow), r, nil, KindSignatureMismatch, "does not match")
	})
	t.Run("temporary credentials token in query", func(t *testing.T) {
		r := presign(t, tempCreds, "300", emptyHash, testNow)
		if r.URL.Query().Get("X-Amz-Security-Token") != tempToken {
			t.Fatalf("token not in query: %v", r.URL.RawQuery)
		}
		wantOK(t, newVerifier(testNow), r, nil)
	})
	t.Run("temporary credentials token stripped", func(t *testing.T) {
		r := presign(t, tempCreds, "300", emptyHash, testNow)
		q := r.URL.Query()
		q.Del("X-Amz-Security-Token")
		r.URL.RawQuery = q.Encode()
		wantKind(t, newVerifier(testNow), r, nil, KindInvalidToken, "invalid")
	})
	t.Run("missing signature parameter", func(t *testing.T) {
		r := presign(t, permCreds, "300", emptyHash, testNow)
		q := r.URL.Query()
		q.Del("X-Amz-Signature")
		q.Del("X-Amz-SignedHeaders")
		r.URL.RawQuery = q.Encode()
		wantKind(t, newVerifier(testNow), r, nil, KindMalformed,
			"AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'.")
	})
	t.Run("unsupported algorithm", func(t *testing.T) {
		r := presign(t, permCreds, "300", emptyHash, testNow)
		r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1)
		wantKind(t, newVerifier(testNow), r, nil, KindMalformed, "Unsupported AWS 'algorithm'")
	})
	t.Run("both header and query auth", func(t *testing.T) {
		r := presign(t, permCreds, "300", emptyHash, testNow)
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
		wantKind(t, newVerifier(testNow), r, nil, KindMalformed, "Only one auth mechanism allowed")
	})
}

func TestMalformedAuthorization(t *testing.T) {
	const cred = "Credential=" + permKey + "/20261125/us-east-1/sns/aws4_request"
	const sh = "SignedHeaders=host;x-amz-date"
	const sig = "Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	cases := []struct {
		name, auth string
		hdr        map[string]string
		kind       Kind
		msg        string
	}{
		{"missing", "", nil, KindMissing, "Request is missing Authentication Token"},
		{"unsupported algorithm", "AWS4-HMAC-SHA512 " + cred + ", " + sh + ", " + sig, nil, KindMalformed, "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'"},
		{"sigv2", "AWS AKIAEXAMPLE:c2lnbmF0dXJl", nil, KindMalformed, "Authorization header requires 'Credential' parameter."},
		{"bearer", "Bearer eyJhbGciOi", nil, KindMalformed, "Authorization=Bearer eyJhbGciOi"},
		{"algorithm only", "AWS4-HMAC-SHA256", nil, KindMalformed, "requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter."},
		{"no signature", "AWS4-HMAC-SHA256 " + cred + ", " + sh, nil, KindMalformed, "Authorization header requires 'Signature' parameter. Authorization="},
		{"empty signature", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=", nil, KindMalformed, "requires 'Signature' parameter"},
		{"no signed headers", "AWS4-HMAC-SHA256 " + cred + ", " + sig, nil, KindMalformed, "requires 'SignedHeaders' parameter"},
		{"no credential", "AWS4-HMAC-SHA256 " + sh + ", " + sig, nil, KindMalformed, "requires 'Credential' parameter"},
		{"missing equal sign", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature", nil, KindMalformed, "'Signature' not a valid key=value pair (missing equal-sign) in Authorization header"},
		{"duplicate parameter", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig + ", " + sig, nil, KindMalformed, "more than one 'Signature'"},
		{"four element scope", "AWS4-HMAC-SHA256 Credential=" + permKey + "/20261125/us-east-1/aws4_request, " + sh + ", " + sig, nil, KindMalformed, "exactly 5 slash-delimited elements"},
		{"six element scope", "AWS4-HMAC-SHA256 Credential=" + permKey + "/20261125/us-east-1/sns/x/aws4_request, " + sh + ", " + sig, nil, KindMalformed, "exactly 5 slash-delimited elements"},
		{"empty region", "AWS4-HMAC-SHA256 Credential=" + permKey + "/20261125//sns/aws4_request, " + sh + ", " + sig, nil, KindMalformed, "empty region"},
		{"bad scope date", "AWS4-HMAC-SHA256 Credential=" + permKey + "/2026-11-25/us-east-1/sns/aws4_request, " + sh + ", " + sig, nil, KindMalformed, "yyyyMMdd"},
		{"bad terminator", "AWS4-HMAC-SHA256 Credential=" + permKey + "/20261125/us-east-1/sns/aws5_request, " + sh + ", " + sig, nil, KindSignatureMismatch, "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."},
		{"scope date differs from X-Amz-Date", "AWS4-HMAC-SHA256 Credential=" + permKey + "/20261124/us-east-1/sns/aws4_request, " + sh + ", " + sig, nil, KindSignatureMismatch, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261124' != '20261125', from 'X-Amz-Date'."},
		{"host not signed", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=x-amz-date, " + sig, nil, KindMalformed, "'Host' or ':authority' must be a 'SignedHeader'"},
		{"empty signed header name", "AWS4-HMAC-SHA256 " + cred + ", SignedHeaders=host;;x-amz-date, " + sig, nil, KindMalformed, "empty header name"},
		{"no date header", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig, map[string]string{"X-Amz-Date": ""}, KindMalformed, "requires existence of either a 'X-Amz-Date' or a 'Date' header"},
		{"extended date", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", " + sig, map[string]string{"X-Amz-Date": "2026-11-25T13:30:00Z"}, KindMalformed, "ISO-8601 'basic format'"},
		{"bad signature value", "AWS4-HMAC-SHA256 " + cred + ", " + sh + ", Signature=zz", nil, KindSignatureMismatch, "does not match"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newReq(t, "GET", "https://sns.us-east-1.amazonaws.com/?Action=ListTopics", nil, map[string]string{"X-Amz-Date": "20261125T133000Z"})
			for k, v := range c.hdr {
				if v == "" {
					r.Header.Del(k)
				} else {
					r.Header.Set(k, v)
				}
			}
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			sr, body := transmit(t, r)
			wantKind(t, newVerifier(testNow), sr, body, c.kind, c.msg)
		})
	}
}

// A header whose components are separated by commas only (no blanks) or by
// blanks only is accepted, as AWS does.
func TestAuthorizationSeparators(t *testing.T) {
	r := newReq(t, "POST", pinpointURL, pinpointBody, pinpointHeaders())
	sdkSign(t, r, pinpointBody, permCreds, "sms-voice", testNow)
	h := r.Header.Get("Authorization")
	for _, variant := range []string{
		strings.ReplaceAll(h, ", ", ","),
		strings.ReplaceAll(h, ", ", " "),
		strings.ReplaceAll(h, ", ", " ,  "),
		h + ",",
	} {
		r.Header.Set("Authorization", variant)
		r.Body, _ = r.GetBody()
		sr, body := transmit(t, r)
		wantOK(t, newVerifier(testNow), sr, body)
	}
}

func TestParseAuthorization(t *testing.T) {
	ak, date, reg, svc, sh, sig, err := ParseAuthorization(
		"AWS4-HMAC-SHA256 Credential=AKID/20261125/eu-west-1/sts/aws4_request, SignedHeaders=Host;X-Amz-Date;content-type, Signature=abc123")
	if err != nil {
		t.Fatal(err)
	}
	if ak != "AKID" || date != "20261125" || reg != "eu-west-1" || svc != "sts" || sig != "abc123" ||
		!reflect.DeepEqual(sh, []string{"host", "x-amz-date", "content-type"}) {
		t.Fatalf("got %q %q %q %q %q %q", ak, date, reg, svc, sh, sig)
	}
	if _, _, _, _, _, _, err := ParseAuthorization("AWS4-HMAC-SHA256 Credential=AKID/20261125/eu-west-1/sts"); err == nil {
		t.Fatal("want error")
	} else if e := err.(*Error); e.Kind != KindMalformed {
		t.Fatalf("kind %v", e.Kind)
	}
}

func TestScopeService(t *testing.T) {
	r := newReq(t, "POST", pinpointURL, pinpointBody, pinpointHeaders())
	sdkSign(t, r, pinpointBody, permCreds, "sms-voice", testNow)
	if got := ScopeService(r); got != "sms-voice" {
		t.Fatalf("header: %q", got)
	}
	p := sdkPresign(t, newReq(t, "GET", "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", nil, nil), hexSHA(nil), permCreds, "iam", testNow)
	if got := ScopeService(p); got != "iam" {
		t.Fatalf("query: %q", got)
	}
	for _, bad := range []*http.Request{
		newReq(t, "GET", "https://x/", nil, nil),
		newReq(t, "GET", "https://x/?X-Amz-Credential=a/b", nil, nil),
		newReq(t, "GET", "https://x/", nil, map[string]string{"Authorization": "Basic Zm9vOmJhcg=="}),
	} {
		if got := ScopeService(bad); got != "" {
			t.Fatalf("%v: %q", bad.URL, got)
		}
	}
}

func TestVerifyDoesNotModifyRequest(t *testing.T) {
	r := newReq(t, "POST", pinpointURL+"a%20b/?x=1+2&y=%7E", pinpointBody, pinpointHeaders())
	sdkSign(t, r, pinpointBody, permCreds, "sms-voice", testNow)
	sr, body := transmit(t, r)
	hdr, u, host, bodyCopy := sr.Header.Clone(), *sr.URL, sr.Host, string(body)
	wantOK(t, newVerifier(testNow), sr, body)
	if !reflect.DeepEqual(hdr, sr.Header) || u != *sr.URL || host != sr.Host || bodyCopy != string(body) {
		t.Fatal("Verify modified the request")
	}
}

func TestKeyCache(t *testing.T) {
	ks := newKeyStore()
	v := &Verifier{Lookup: ks.lookup, Now: func() time.Time { return testNow }}
	r := newReq(t, "POST", pinpointURL, pinpointBody, pinpointHeaders())
	sdkSign(t, r, pinpointBody, permCreds, "sms-voice", testNow)
	sr, body := transmit(t, r)
	wantOK(t, v, sr, body)
	wantOK(t, v, sr, body) // cached key
	if v.keys.len() != 1 {
		t.Fatalf("cache has %d keys", v.keys.len())
	}
	// Rotating the secret must not be masked by the cache.
	ks.mu.Lock()
	c := ks.m[permKey]
	c.SecretAccessKey = "rotated-secret"
	ks.m[permKey] = c
	ks.mu.Unlock()
	wantKind(t, v, sr, body, KindSignatureMismatch, "does not match")

	// Bounded.
	for i := 0; i < 3*maxCachedKeys; i++ {
		v.signingKey("s", fmt.Sprintf("2026%04d", i), region, "sns")
	}
	if n := v.keys.len(); n > maxCachedKeys {
		t.Fatalf("cache grew to %d", n)
	}
	// Cached and derived keys agree.
	if got, want := v.signingKey(permSecret, "20261125", region, "sns"), deriveKey(permSecret, "20261125", region, "sns"); string(got) != string(want) {
		t.Fatal("cached key differs")
	}
}

// Known-answer test from the AWS documentation (IAM user guide, "Create a
// signed AWS API request", example signing key for IAM ListUsers).
func TestDeriveKeyKnownAnswer(t *testing.T) {
	k := deriveKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830", "us-east-1", "iam")
	const want = "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
	if got := fmt.Sprintf("%x", k); got != want {
		t.Fatalf("signing key %s, want %s", got, want)
	}
}

func TestConcurrentVerify(t *testing.T) {
	v := newVerifier(testNow)
	type rq struct {
		r    *http.Request
		body []byte
	}
	var reqs []rq
	for i, svc := range []string{"sms-voice", "sns", "sts", "kms", "iam", "sms-voice", "sns", "sts"} {
		b := []byte(fmt.Sprintf(`{"n":%d}`, i))
		r := newReq(t, "POST", pinpointURL, b, pinpointHeaders())
		c := permCreds
		if i%2 == 1 {
			c = tempCreds
		}
		sdkSign(t, r, b, c, svc, testNow.Add(-time.Duration(i)*time.Minute))
		sr, body := transmit(t, r)
		reqs = append(reqs, rq{sr, body})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				x := reqs[(g+i)%len(reqs)]
				if _, err := v.Verify(context.Background(), x.r, x.body); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestErrorCodes(t *testing.T) {
	expired := &Error{Kind: KindExpiredRequest, Message: "Signature expired: 20261125T130000Z is now earlier than 20261125T131500Z (20261125T133000Z - 15 min.)"}
	cases := []struct {
		err                   *Error
		jsonCode              string
		jsonStatus            int
		jsonMsg               string
		queryCode             string
		queryStatus           int
		queryMsg              string
		queryMsgIsPrefixMatch bool
	}{
		{newError(KindMissing, msgMissingQuery), "MissingAuthenticationTokenException", 403, "Missing Authentication Token",
			"MissingAuthenticationToken", 403, "Request is missing Authentication Token", false},
		{newError(KindMalformed, "Authorization header requires 'Signature' parameter."), "IncompleteSignatureException", 400, "Authorization header requires 'Signature' parameter.",
			"IncompleteSignature", 400, "Authorization header requires 'Signature' parameter.", false},
		{newError(KindUnknownKey, msgInvalidToken), "UnrecognizedClientException", 400, "The security token included in the request is invalid.",
			"InvalidClientTokenId", 403, "The security token included in the request is invalid.", false},
		{newError(KindSignatureMismatch, msgSignatureMatch), "InvalidSignatureException", 400, msgSignatureMatch,
			"SignatureDoesNotMatch", 403, msgSignatureMatch, false},
		{&Error{Kind: KindSignatureMismatch, Message: msgSignatureMatch, CanonicalRequest: "GET\n/\n\nhost:x\n\nhost\nabc", StringToSign: "AWS4-HMAC-SHA256\n..."},
			"InvalidSignatureException", 400, msgSignatureMatch,
			"SignatureDoesNotMatch", 403, msgSignatureMatch + "\n\nThe Canonical String for this request should have been\n'GET\n/\n\nhost:x\n\nhost\nabc'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n...'\n", false},
		{expired, "InvalidSignatureException", 400, expired.Message, "SignatureDoesNotMatch", 403, expired.Message, false},
		{newError(KindExpiredToken, msgExpiredToken), "ExpiredTokenException", 400, "The security token included in the request is expired",
			"ExpiredToken", 403, "The security token included in the request is expired", false},
		{newError(KindInvalidToken, msgInvalidToken), "UnrecognizedClientException", 400, "The security token included in the request is invalid.",
			"InvalidClientTokenId", 403, "The security token included in the request is invalid.", false},
	}
	for _, c := range cases {
		t.Run(c.err.Kind.String(), func(t *testing.T) {
			code, status := c.err.JSONCode()
			if code != c.jsonCode || status != c.jsonStatus || c.err.JSONMessage() != c.jsonMsg {
				t.Errorf("JSON: %s %d %q", code, status, c.err.JSONMessage())
			}
			code, status = c.err.QueryCode()
			if code != c.queryCode || status != c.queryStatus || c.err.QueryMessage() != c.queryMsg {
				t.Errorf("Query: %s %d %q", code, status, c.err.QueryMessage())
			}
		})
	}
	if s := (&Error{Kind: KindUnknownKey, Message: "m"}).Error(); s != "sigv4: UnknownKey: m" {
		t.Fatal(s)
	}
}

func TestRemoveDotSegments(t *testing.T) {
	for in, want := range map[string]string{
		"":             "",
		"/":            "/",
		"/a/./b/../c/": "/a/c/",
		"//a//b":       "/a/b",
		"/..":          "/",
		"/a/b/..":      "/a",
	} {
		if got := removeDotSegments(in); got != want {
			t.Errorf("removeDotSegments(%q) = %q, want %q", in, got, want)
		}
	}
}

package sigv4

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"",
		"AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/sns/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcdef",
		"AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/sns/aws4_request,SignedHeaders=host,Signature=00",
		"AWS4-HMAC-SHA256\tCredential=a/b/c/d/e",
		"AWS4-HMAC-SHA256 Credential=/////, SignedHeaders=;, Signature==",
		"AWS4-HMAC-SHA512 Credential=x",
		"AWS AKID:sig",
		"Bearer x.y.z",
		"AWS4-HMAC-SHA256 Credential, SignedHeaders, Signature",
		"AWS4-HMAC-SHA256 Credential=A/20261125/r/s/aws4_request, Credential=B/20261125/r/s/aws4_request",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		ak, date, reg, svc, sh, sig, err := ParseAuthorization(h)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Kind == 0 || e.Message == "" {
				t.Fatalf("bad error %#v", err)
			}
			code, status := e.JSONCode()
			qcode, qstatus := e.QueryCode()
			if code == "" || status == 0 || qcode == "" || qstatus == 0 || code == "InternalFailure" {
				t.Fatalf("unmapped error kind %v", e.Kind)
			}
			return
		}
		if ak == "" || !isDate8(date) || reg == "" || svc == "" || sig == "" || len(sh) == 0 {
			t.Fatalf("accepted incomplete header %q", h)
		}
		for _, n := range sh {
			if n == "" || n != strings.ToLower(n) {
				t.Fatalf("bad signed header %q in %q", n, h)
			}
		}
	})
}

// FuzzVerify feeds arbitrary Authorization headers, query strings and paths
// to Verify: it must never panic and never accept.
func FuzzVerify(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential="+permKey+"/20261125/us-east-1/sns/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "Action=ListTopics", "/", "20261125T133000Z")
	f.Add("", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="+permKey+"%2F20261125%2Fus-east-1%2Fsns%2Faws4_request&X-Amz-Date=20261125T133000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Expires=60", "/a%2Fb", "")
	f.Add("", "X-Amz-Signature=&&=&%zz=%", "/%", "x")
	v := newVerifier(testNow)
	f.Fuzz(func(t *testing.T, auth, rawQuery, path, date string) {
		r := &http.Request{Method: "POST", Host: "example.test", Header: http.Header{}, URL: &url.URL{Path: path, RawQuery: rawQuery}}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		if date != "" {
			r.Header.Set("X-Amz-Date", date)
		}
		if _, err := v.Verify(context.Background(), r, []byte(rawQuery)); err == nil {
			t.Fatalf("accepted forged request %q %q %q %q", auth, rawQuery, path, date)
		}
	})
}

package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// testNow is the server clock for the deterministic tests.
var testNow = time.Date(2026, 11, 25, 13, 30, 0, 0, time.UTC)

const (
	permKey    = "AKIAPERMANENT0000001"
	permSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	tempKey    = "ASIATEMPORARY0000001"
	tempSecret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
	tempToken  = "FwoGZXIvYXdzEXAMPLE//////////wEaDEXAMPLETOKEN+abc/def=="
	expKey     = "ASIAEXPIRED000000001"
	expSecret  = "expiredSecretKeyEXAMPLEEXAMPLEEXAMPLE000"
	expToken   = "FwoGZXIvYXdzEXPIREDTOKEN"
	region     = "us-east-1"
)

var (
	permCreds = aws.Credentials{AccessKeyID: permKey, SecretAccessKey: permSecret}
	tempCreds = aws.Credentials{AccessKeyID: tempKey, SecretAccessKey: tempSecret, SessionToken: tempToken}
	expCreds  = aws.Credentials{AccessKeyID: expKey, SecretAccessKey: expSecret, SessionToken: expToken}
)

// keyStore is a Lookup backed by a map; secrets can be rotated by tests.
type keyStore struct {
	mu sync.Mutex
	m  map[string]Credential
}

func newKeyStore() *keyStore {
	return &keyStore{m: map[string]Credential{
		permKey: {AccessKeyID: permKey, SecretAccessKey: permSecret, Account: "000000000000",
			PrincipalARN: "arn:aws:iam::000000000000:root"},
		tempKey: {AccessKeyID: tempKey, SecretAccessKey: tempSecret, SessionToken: tempToken, Account: "111111111111",
			PrincipalARN: "arn:aws:sts::111111111111:assumed-role/R/S", Expires: testNow.Add(time.Hour)},
		expKey: {AccessKeyID: expKey, SecretAccessKey: expSecret, SessionToken: expToken, Account: "111111111111",
			PrincipalARN: "arn:aws:sts::111111111111:assumed-role/R/old", Expires: testNow.Add(-time.Minute)},
	}}
}

func (s *keyStore) lookup(_ context.Context, id string) (Credential, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.m[id]
	if !ok {
		return Credential{}, ErrUnknownKey
	}
	return c, nil
}

func newVerifier(now time.Time) *Verifier {
	return &Verifier{Lookup: newKeyStore().lookup, Now: func() time.Time { return now }}
}

func hexSHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// newReq builds a client-side request.
func newReq(t testing.TB, method, url string, body []byte, hdr map[string]string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	r, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	return r
}

// sdkSign signs r with the AWS SDK's SigV4 signer (Authorization header).
func sdkSign(t testing.TB, r *http.Request, body []byte, c aws.Credentials, service string, at time.Time) {
	t.Helper()
	if err := v4.NewSigner().SignHTTP(context.Background(), c, r, hexSHA(body), service, region, at); err != nil {
		t.Fatal(err)
	}
}

// sdkPresign presigns r with the AWS SDK signer and returns the request a
// client would send for the resulting URL.
func sdkPresign(t testing.TB, r *http.Request, payloadHash string, c aws.Credentials, service string, at time.Time) *http.Request {
	t.Helper()
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), c, r, payloadHash, service, region, at)
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(r.Method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		if strings.EqualFold(k, "host") {
			out.Host = vs[0]
			continue
		}
		out.Header[k] = vs
	}
	return out
}

// transmit serializes a client request to the wire and parses it back the
// way net/http's server does, returning the server-side request and body.
func transmit(t testing.TB, r *http.Request) (*http.Request, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatal(err)
	}
	sr, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(sr.Body)
	if err != nil {
		t.Fatal(err)
	}
	return sr, body
}

func wantOK(t *testing.T, v *Verifier, r *http.Request, body []byte) *Verified {
	t.Helper()
	got, err := v.Verify(context.Background(), r, body)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.CanonicalRequest != "" {
			t.Logf("server canonical request:\n%s", e.CanonicalRequest)
		}
		t.Fatalf("Verify: %v", err)
	}
	return got
}

func wantKind(t *testing.T, v *Verifier, r *http.Request, body []byte, kind Kind, msgSubstr string) *Error {
	t.Helper()
	got, err := v.Verify(context.Background(), r, body)
	if err == nil {
		t.Fatalf("Verify succeeded (%+v), want %v", got, kind)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Verify error %T %v, want *Error", err, err)
	}
	if e.Kind != kind {
		t.Fatalf("Verify kind = %v (%q), want %v", e.Kind, e.Message, kind)
	}
	if !strings.Contains(e.Message, msgSubstr) {
		t.Fatalf("Verify message = %q, want it to contain %q", e.Message, msgSubstr)
	}
	return e
}

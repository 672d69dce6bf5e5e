package iam_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/e2e"
)

// The dev account runs the seed flow; account B checks isolation.
const (
	devAccount = config.DevAccount
	devKey     = "AKIADEVACCOUNT000001"
	devSecret  = "dev-secret"
	acctB      = e2e.AccountB
	keyB       = e2e.KeyB
	secretB    = e2e.SecretB
)

func start(t *testing.T, backend e2e.Backend) *e2e.Harness {
	t.Helper()
	return e2e.Start(t, backend, e2e.WithAccounts(
		config.Account{ID: devAccount, AccessKeys: []config.AccessKey{{ID: devKey, Secret: devSecret}}},
		config.Account{ID: acctB, AccessKeys: []config.AccessKey{{ID: keyB, Secret: secretB}}},
	))
}

func iamClient(h *e2e.Harness, key, secret, token string) *iam.Client {
	return iam.New(iam.Options{
		Region:           e2e.Region,
		BaseEndpoint:     aws.String(h.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(key, secret, token),
		HTTPClient:       h.HTTP,
		RetryMaxAttempts: 1,
	})
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// wantErr checks an API error's code and that its message contains msg.
func wantErr(t testing.TB, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected %s, got success", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("expected an API error, got %T: %v", err, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code = %s, want %s (%v)", ae.ErrorCode(), code, err)
	}
	if !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("error message %q does not contain %q", ae.ErrorMessage(), msg)
	}
}

// decodeDoc undoes the URL encoding IAM applies to documents in responses.
func decodeDoc(t testing.TB, s *string) string {
	t.Helper()
	if s == nil {
		t.Fatal("document missing from the response")
	}
	d, err := url.QueryUnescape(*s)
	if err != nil {
		t.Fatalf("document %q is not URL-encoded: %v", *s, err)
	}
	return d
}

// sameJSON compares two JSON documents by value.
func sameJSON(t testing.TB, got, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("got invalid JSON %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want invalid JSON: %v", err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("documents differ:\n got %s\nwant %s", got, want)
	}
}

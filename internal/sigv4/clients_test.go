package sigv4

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// fakeAWS is an httptest server that verifies every request and answers in
// the protocol of the service named in the credential scope, using the
// error codes from JSONCode/QueryCode.
type fakeAWS struct {
	*httptest.Server
	v *Verifier

	mu      sync.Mutex
	results []error // one per request
}

func newFakeAWS(t *testing.T) *fakeAWS {
	ks := newKeyStore()
	// The SDK clients sign with the real clock; move the temporary
	// credential's expiry accordingly.
	c := ks.m[tempKey]
	c.Expires = time.Now().Add(time.Hour)
	ks.m[tempKey] = c
	c = ks.m[expKey]
	c.Expires = time.Now().Add(-time.Minute)
	ks.m[expKey] = c
	f := &fakeAWS{v: &Verifier{Lookup: ks.lookup}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAWS) lastResult() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.results) == 0 {
		return errors.New("no request received")
	}
	return f.results[len(f.results)-1]
}

func (f *fakeAWS) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	svc := ScopeService(r)
	vr, err := f.v.Verify(r.Context(), r, body)
	f.mu.Lock()
	f.results = append(f.results, err)
	f.mu.Unlock()
	w.Header().Set("Date", time.Now().UTC().Format(http.TimeFormat))
	query := svc == "sns" || svc == "sts" || svc == "iam"
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			http.Error(w, err.Error(), 500)
			return
		}
		if query {
			code, status := e.QueryCode()
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(status)
			fmt.Fprintf(w, `<ErrorResponse xmlns="https://%s.amazonaws.com/doc/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`,
				svc, code, html.EscapeString(e.QueryMessage()))
			return
		}
		code, status := e.JSONCode()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.Header().Set("X-Amzn-Errortype", code)
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": e.JSONMessage()})
		return
	}
	switch svc {
	case "sns":
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>msg-1</MessageId></PublishResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></PublishResponse>`)
	case "sts":
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>%s</Arn><UserId>%s</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
			vr.Credential.PrincipalARN, vr.Credential.AccessKeyID, vr.Credential.Account)
	case "kms":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		fmt.Fprint(w, `{"Keys":[],"Truncated":false}`)
	default:
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		fmt.Fprint(w, `{"AccountAttributes":[{"Name":"ACCOUNT_TIER","Value":"SANDBOX"}]}`)
	}
}

func clientConfig(f *fakeAWS, c aws.Credentials) aws.Config {
	return aws.Config{
		Region:           region,
		Credentials:      credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken),
		BaseEndpoint:     aws.String(f.URL),
		RetryMaxAttempts: 1,
		HTTPClient:       f.Client(),
	}
}

func apiCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an API error", err)
	}
	return ae.ErrorCode()
}

func TestRealSDKClients(t *testing.T) {
	ctx := context.Background()
	f := newFakeAWS(t)
	for _, creds := range []aws.Credentials{permCreds, tempCreds} {
		cfg := clientConfig(f, creds)
		t.Run("pinpointsmsvoicev2/"+creds.AccessKeyID, func(t *testing.T) {
			out, err := pinpointsmsvoicev2.NewFromConfig(cfg).DescribeAccountAttributes(ctx, &pinpointsmsvoicev2.DescribeAccountAttributesInput{})
			if err != nil {
				t.Fatalf("%v (server: %v)", err, f.lastResult())
			}
			if len(out.AccountAttributes) != 1 {
				t.Fatalf("unexpected output %+v", out)
			}
		})
		t.Run("sns/"+creds.AccessKeyID, func(t *testing.T) {
			out, err := sns.NewFromConfig(cfg).Publish(ctx, &sns.PublishInput{
				PhoneNumber: aws.String("+15551234567"),
				Message:     aws.String("hello wörld & <friends> +1 ~*'()%20"),
			})
			if err != nil {
				t.Fatalf("%v (server: %v)", err, f.lastResult())
			}
			if aws.ToString(out.MessageId) != "msg-1" {
				t.Fatalf("MessageId %q", aws.ToString(out.MessageId))
			}
		})
		t.Run("sts/"+creds.AccessKeyID, func(t *testing.T) {
			out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("%v (server: %v)", err, f.lastResult())
			}
			if aws.ToString(out.UserId) != creds.AccessKeyID {
				t.Fatalf("UserId %q", aws.ToString(out.UserId))
			}
		})
		t.Run("kms/"+creds.AccessKeyID, func(t *testing.T) {
			if _, err := kms.NewFromConfig(cfg).ListKeys(ctx, &kms.ListKeysInput{}); err != nil {
				t.Fatalf("%v (server: %v)", err, f.lastResult())
			}
		})
		t.Run("sts presigned/"+creds.AccessKeyID, func(t *testing.T) {
			p, err := sts.NewPresignClient(sts.NewFromConfig(cfg)).PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(p.Method, p.URL, nil)
			for k, vs := range p.SignedHeader {
				if !strings.EqualFold(k, "host") {
					req.Header[k] = vs
				}
			}
			resp, err := f.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d (server: %v)", resp.StatusCode, f.lastResult())
			}
		})
	}

	wrong := permCreds
	wrong.SecretAccessKey = "wrong"
	unknown := permCreds
	unknown.AccessKeyID = "AKIAUNKNOWN000000000"
	for _, c := range []struct {
		name      string
		creds     aws.Credentials
		jsonCode  string
		queryCode string
	}{
		{"wrong secret", wrong, "InvalidSignatureException", "SignatureDoesNotMatch"},
		{"unknown key", unknown, "UnrecognizedClientException", "InvalidClientTokenId"},
		{"expired token", expCreds, "ExpiredTokenException", "ExpiredToken"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := clientConfig(f, c.creds)
			_, err := pinpointsmsvoicev2.NewFromConfig(cfg).DescribeAccountAttributes(ctx, &pinpointsmsvoicev2.DescribeAccountAttributesInput{})
			if got := apiCode(t, err); got != c.jsonCode {
				t.Fatalf("pinpoint error code %q, want %q (%v)", got, c.jsonCode, err)
			}
			_, err = sns.NewFromConfig(cfg).Publish(ctx, &sns.PublishInput{PhoneNumber: aws.String("+15551234567"), Message: aws.String("x")})
			if got := apiCode(t, err); got != c.queryCode {
				t.Fatalf("sns error code %q, want %q (%v)", got, c.queryCode, err)
			}
		})
	}
}

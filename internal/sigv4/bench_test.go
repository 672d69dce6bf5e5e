package sigv4

import (
	"context"
	"testing"
	"time"
)

// BenchmarkVerify measures verification of a typical pinpoint-sms-voice-v2
// SendTextMessage request signed by the AWS SDK, with and without the
// signing-key cache.
func BenchmarkVerify(b *testing.B) {
	r := newReq(b, "POST", pinpointURL, pinpointBody, pinpointHeaders())
	sdkSign(b, r, pinpointBody, permCreds, "sms-voice", testNow)
	sr, body := transmit(b, r)
	for _, bc := range []struct {
		name    string
		noCache bool
	}{{"cache", false}, {"nocache", true}} {
		b.Run(bc.name, func(b *testing.B) {
			v := &Verifier{Lookup: newKeyStore().lookup, Now: func() time.Time { return testNow }, noKeyCache: bc.noCache}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(ctx, sr, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDeriveKey is the cost the cache saves per request.
func BenchmarkDeriveKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		deriveKey(permSecret, "20261125", region, "sms-voice")
	}
}

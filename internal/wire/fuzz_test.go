package wire_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/duplexsms/duplex/internal/awsmodel"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/server"
)

const (
	fuzzAccount = "123456789012"
	fuzzKey     = "AKIAFUZZFUZZFUZZFUZZ"
	fuzzSecret  = "fuzz-secret"
)

// fuzzSeeds are request bodies worth mutating. PHONE and POOL stand for a
// number and a pool the fuzz account owns.
var fuzzSeeds = []struct{ op, body string }{
	{"RequestPhoneNumber", `{"IsoCountryCode":"US","MessageType":"TRANSACTIONAL","NumberCapabilities":["SMS"],"NumberType":"SIMULATOR"}`},
	{"RequestPhoneNumber", `{"IsoCountryCode":"DE","MessageType":"PROMOTIONAL","NumberCapabilities":["SMS","MMS"],"NumberType":"LONG_CODE","OptOutListName":"nope","PoolId":"POOL","ClientToken":"t","Tags":[{"Key":"k","Value":"v"}]}`},
	{"DescribePhoneNumbers", `{"PhoneNumberIds":["PHONE"],"Filters":[{"Name":"two-way-enabled","Values":["true"]}],"MaxResults":1,"NextToken":"djE6"}`},
	{"DescribePhoneNumbers", `{"Filters":[{"Name":"status","Values":["ACTIVE"]},{"Name":"number-capability","Values":["SMS","VOICE"]}],"Owner":"SELF"}`},
	{"UpdatePhoneNumber", `{"PhoneNumberId":"PHONE","TwoWayEnabled":true,"TwoWayChannelArn":"connect.us-east-1.amazonaws.com","TwoWayChannelRole":"arn:aws:iam::123456789012:role/R"}`},
	{"UpdatePhoneNumber", `{"PhoneNumberId":"PHONE","TwoWayEnabled":true,"TwoWayChannelArn":"arn:aws:sns:us-east-1:123456789012:t","OptOutListName":"Default","DeletionProtectionEnabled":false}`},
	{"ReleasePhoneNumber", `{"PhoneNumberId":"PHONE"}`},
	{"CreatePool", `{"OriginationIdentity":"PHONE","MessageType":"TRANSACTIONAL","IsoCountryCode":"US","DeletionProtectionEnabled":true}`},
	{"DescribePools", `{"PoolIds":["POOL"],"Filters":[{"Name":"shared-routes-enabled","Values":["false"]}]}`},
	{"UpdatePool", `{"PoolId":"POOL","SharedRoutesEnabled":true,"TwoWayEnabled":true}`},
	{"DeletePool", `{"PoolId":"POOL"}`},
	{"AssociateOriginationIdentity", `{"PoolId":"POOL","OriginationIdentity":"PHONE","IsoCountryCode":"US"}`},
	{"DisassociateOriginationIdentity", `{"PoolId":"POOL","OriginationIdentity":"PHONE","IsoCountryCode":"US"}`},
	{"ListPoolOriginationIdentities", `{"PoolId":"POOL","Filters":[{"Name":"iso-country-code","Values":["US"]}],"MaxResults":2}`},
	{"PutKeyword", `{"OriginationIdentity":"PHONE","Keyword":"stop","KeywordMessage":"bye","KeywordAction":"OPT_IN"}`},
	{"DescribeKeywords", `{"OriginationIdentity":"POOL","Keywords":["HELP"],"Filters":[{"Name":"keyword-action","Values":["OPT_OUT"]}]}`},
	{"DeleteKeyword", `{"OriginationIdentity":"PHONE","Keyword":"HELP"}`},
	{"CreateOptOutList", `{"OptOutListName":"l1","Tags":[{"Key":"aws:x","Value":""}]}`},
	{"DescribeOptOutLists", `{"OptOutListNames":["Default","arn:aws:sms-voice:us-east-1:123456789012:opt-out-list/l1"]}`},
	{"DeleteOptOutList", `{"OptOutListName":"l1"}`},
	{"PutOptedOutNumber", `{"OptOutListName":"Default","OptedOutNumber":"+12065550100"}`},
	{"DescribeOptedOutNumbers", `{"OptOutListName":"Default","OptedOutNumbers":["+12065550100"],"Filters":[{"Name":"end-user-opted-out","Values":["false"]}]}`},
	{"DeleteOptedOutNumber", `{"OptOutListName":"Default","OptedOutNumber":"+12065550100"}`},
	{"TagResource", `{"ResourceArn":"arn:aws:sms-voice:us-east-1:123456789012:phone-number/PHONE","Tags":[{"Key":"a","Value":"b"}]}`},
	{"UntagResource", `{"ResourceArn":"arn:aws:sms-voice:us-east-1:123456789012:pool/POOL","TagKeys":["a"]}`},
	{"ListTagsForResource", `{"ResourceArn":"arn:aws:sms-voice:us-east-1:123456789012:opt-out-list/Default"}`},
	{"DescribeAccountAttributes", `{}`},
	{"DescribeAccountLimits", `{"MaxResults":5}`},
	{"SendTextMessage", `{"DestinationPhoneNumber":"+12065550100","OriginationIdentity":"PHONE","MessageBody":"hi","DryRun":true}`},
	{"SendMediaMessage", `{"DestinationPhoneNumber":"+12065550100","OriginationIdentity":"POOL","MediaUrls":["s3://b/k"],"DryRun":true}`},
	{"NoSuchOperation", `{}`},
	{"DescribePhoneNumbers", `{"MaxResults":"1e999"}`},
	{"DescribePhoneNumbers", `[{"a":1}]`},
	{"DescribePhoneNumbers", "{\"Filters\":[{\"Name\":\"\u0000\",\"Values\":[\"\xff\"]}]}"},
}

// FuzzDecodeValidate sends arbitrary bodies under arbitrary operation names,
// correctly signed, through the real server (wire layer, model validation,
// End User Messaging SMS service, SQLite store). Nothing may panic, and every
// answer must be a well-formed AWS JSON response below 500.
func FuzzDecodeValidate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.op, []byte(s.body))
	}
	model := awsmodel.MustLoad("pinpoint-sms-voice-v2")
	for _, op := range model.Operations() {
		f.Add(op, []byte(`{}`))
	}

	cfg := config.Defaults()
	cfg.Data = f.TempDir()
	cfg.Accounts = []config.Account{{ID: fuzzAccount, AccessKeys: []config.AccessKey{{ID: fuzzKey, Secret: fuzzSecret}}}}
	var logs bytes.Buffer
	srv, err := server.New(context.Background(), &cfg, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelError})))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { srv.Store.Close() })
	h := srv.Handler()
	signer := v4.NewSigner()
	creds := aws.Credentials{AccessKeyID: fuzzKey, SecretAccessKey: fuzzSecret}

	call := func(t testing.TB, op string, body []byte) (int, http.Header, []byte) {
		req := httptest.NewRequest(http.MethodPost, "http://duplex.test/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "PinpointSMSVoiceV2."+op)
		sum := sha256.Sum256(body)
		if err := signer.SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sms-voice", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		b, _ := io.ReadAll(rec.Result().Body)
		return rec.Code, rec.Result().Header, b
	}
	// A number and a pool of the fuzz account for the seeds to refer to.
	mk := func(op, body string) map[string]any {
		st, _, b := call(f, op, []byte(body))
		var m map[string]any
		if st != http.StatusOK || json.Unmarshal(b, &m) != nil {
			f.Fatalf("%s: %d %s", op, st, b)
		}
		return m
	}
	phone := mk("RequestPhoneNumber", fuzzSeeds[0].body)["PhoneNumberId"].(string)
	pool := mk("CreatePool", `{"OriginationIdentity":"`+mk("RequestPhoneNumber", fuzzSeeds[0].body)["PhoneNumberId"].(string)+`","MessageType":"TRANSACTIONAL"}`)["PoolId"].(string)
	subst := strings.NewReplacer("PHONE", phone, "POOL", pool)
	requestID := regexp.MustCompile(`^[0-9a-f-]{36}$`)

	f.Fuzz(func(t *testing.T, op string, body []byte) {
		if len(body) > 64<<10 {
			return
		}
		body = []byte(subst.Replace(string(body)))
		logs.Reset()
		st, hdr, b := call(t, op, body)
		if st >= 500 {
			t.Fatalf("%s %q: status %d %s\nlog: %s", op, body, st, b, logs.String())
		}
		if !requestID.MatchString(hdr.Get("x-amzn-RequestId")) {
			t.Fatalf("%s %q: x-amzn-RequestId %q", op, body, hdr.Get("x-amzn-RequestId"))
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %q: response is not a JSON object: %d %q", op, body, st, b)
		}
		if st == http.StatusOK {
			if hdr.Get("x-amzn-ErrorType") != "" {
				t.Fatalf("%s %q: 200 with x-amzn-ErrorType", op, body)
			}
			return
		}
		code, _ := m["__type"].(string)
		if code == "" || hdr.Get("x-amzn-ErrorType") != code {
			t.Fatalf("%s %q: error without __type/x-amzn-ErrorType: %d %v %s", op, body, st, hdr, b)
		}
		if msg, _ := m["message"].(string); msg == "" {
			t.Fatalf("%s %q: error without message: %s", op, body, b)
		}
		if !modelError(model, op, code) && !genericErrors[code] {
			t.Fatalf("%s %q: error %s is neither the operation's nor a common one: %s", op, body, code, b)
		}
	})
}

func modelError(m *awsmodel.Model, op, code string) bool {
	o, ok := m.Operation(op)
	return ok && slices.Contains(o.Errors, code)
}

// genericErrors may answer any operation.
var genericErrors = map[string]bool{
	"SerializationException": true, "UnknownOperationException": true, "RequestEntityTooLargeException": true,
	"ValidationException": true, "AccessDeniedException": true, "ThrottlingException": true,
}

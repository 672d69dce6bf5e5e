package awsmodel

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	pptypes "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

// fakeAWS is a test server that records the last request and answers with
// whatever respond returns.
type fakeAWS struct {
	*httptest.Server
	mu      sync.Mutex
	form    url.Values
	body    []byte
	target  string
	respond func(r *http.Request, body []byte) (status int, contentType string, payload []byte)
}

func newFakeAWS(t *testing.T, respond func(r *http.Request, body []byte) (int, string, []byte)) *fakeAWS {
	t.Helper()
	f := &fakeAWS{respond: respond}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.body = body
		f.target = r.Header.Get("X-Amz-Target")
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			f.form, _ = url.ParseQuery(string(body))
		}
		f.mu.Unlock()
		status, ct, payload := f.respond(r, body)
		w.Header().Set("Content-Type", ct)
		w.Header().Set("x-amzn-RequestId", "req-0001")
		w.WriteHeader(status)
		_, _ = w.Write(payload)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAWS) lastForm() url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.form
}

func (f *fakeAWS) lastBody() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.body
}

func sdkConfig() aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		RetryMaxAttempts: 1,
	}
}

// queryServer answers every query-protocol request with the encoder's
// response to its Action, built from outs[Action].
func queryServer(t *testing.T, m *Model, outs map[string]any) *fakeAWS {
	return newFakeAWS(t, func(r *http.Request, body []byte) (int, string, []byte) {
		form, _ := url.ParseQuery(string(body))
		action := form.Get("Action")
		payload, err := m.MarshalQueryResponse(action, outs[action], "req-"+action)
		if err != nil {
			t.Errorf("MarshalQueryResponse(%s): %v", action, err)
			return 500, "text/xml", nil
		}
		return 200, "text/xml", payload
	})
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func jsonEqual(t *testing.T, got, want any) {
	t.Helper()
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	var g, w any
	_ = json.Unmarshal(gb, &g)
	_ = json.Unmarshal(wb, &w)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got  %s\nwant %s", gb, wb)
	}
}

func TestDecodeQuerySNS(t *testing.T) {
	m := MustLoad("sns")
	srv := queryServer(t, m, map[string]any{
		"CreateTopic": map[string]any{"TopicArn": "arn:aws:sns:us-east-1:111122223333:orders"},
		"Publish":     map[string]any{"MessageId": "m-1"},
	})
	client := sns.NewFromConfig(sdkConfig(), func(o *sns.Options) { o.BaseEndpoint = aws.String(srv.URL) })

	if _, err := client.CreateTopic(ctx(t), &sns.CreateTopicInput{
		Name:       aws.String("orders"),
		Attributes: map[string]string{"DisplayName": "Orders & more", "FifoTopic": "false"},
		Tags:       []snstypes.Tag{{Key: aws.String("team"), Value: aws.String("sms")}, {Key: aws.String("env"), Value: aws.String("")}},
	}); err != nil {
		t.Fatal(err)
	}
	form := srv.lastForm()
	if form.Get("Attributes.entry.1.key") == "" || form.Get("Tags.member.1.Key") != "team" {
		t.Fatalf("unexpected SDK form encoding: %v", form)
	}
	got, err := m.DecodeQuery("CreateTopic", form)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, map[string]any{
		"Name":       "orders",
		"Attributes": map[string]any{"DisplayName": "Orders & more", "FifoTopic": "false"},
		"Tags":       []any{map[string]any{"Key": "team", "Value": "sms"}, map[string]any{"Key": "env", "Value": ""}},
	})
	if verr := m.ValidateInput("CreateTopic", got); verr != nil {
		t.Fatalf("decoded CreateTopic does not validate: %v", verr)
	}

	if _, err := client.Publish(ctx(t), &sns.PublishInput{
		PhoneNumber: aws.String("+12065550100"),
		Message:     aws.String("hello"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"AWS.SNS.SMS.SMSType":  {DataType: aws.String("String"), StringValue: aws.String("Transactional")},
			"AWS.SNS.SMS.SenderID": {DataType: aws.String("String"), StringValue: aws.String("DUPLEX")},
			"blob":                 {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 250}},
		},
	}); err != nil {
		t.Fatal(err)
	}
	form = srv.lastForm()
	if form.Get("MessageAttributes.entry.1.Name") == "" || form.Get("MessageAttributes.entry.1.Value.DataType") == "" {
		t.Fatalf("unexpected SDK form encoding: %v", form)
	}
	got, err = m.DecodeQuery("Publish", form)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, map[string]any{
		"PhoneNumber": "+12065550100",
		"Message":     "hello",
		"MessageAttributes": map[string]any{
			"AWS.SNS.SMS.SMSType":  map[string]any{"DataType": "String", "StringValue": "Transactional"},
			"AWS.SNS.SMS.SenderID": map[string]any{"DataType": "String", "StringValue": "DUPLEX"},
			"blob":                 map[string]any{"DataType": "Binary", "BinaryValue": "AAEC+g=="},
		},
	})
	if verr := m.ValidateInput("Publish", got); verr != nil {
		t.Fatalf("decoded Publish does not validate: %v", verr)
	}
}

func TestDecodeQueryIAM(t *testing.T) {
	m := MustLoad("iam")
	created := time.Date(2026, 11, 25, 13, 8, 56, 0, time.UTC)
	srv := queryServer(t, m, map[string]any{
		"CreateRole": map[string]any{"Role": map[string]any{
			"Path": "/", "RoleName": "r", "RoleId": "AROAEXAMPLE", "Arn": "arn:aws:iam::111122223333:role/r", "CreateDate": created,
		}},
	})
	client := iam.NewFromConfig(sdkConfig(), func(o *iam.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	_, err := client.CreateRole(ctx(t), &iam.CreateRoleInput{
		RoleName:                 aws.String("sms-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`),
		Path:                     aws.String("/service/"),
		Description:              aws.String("for tests"),
		MaxSessionDuration:       aws.Int32(7200),
		Tags:                     []iamtypes.Tag{{Key: aws.String("a"), Value: aws.String("1")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.DecodeQuery("CreateRole", srv.lastForm())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"RoleName":                 "sms-role",
		"AssumeRolePolicyDocument": `{"Version":"2012-10-17","Statement":[]}`,
		"Path":                     "/service/",
		"Description":              "for tests",
		"MaxSessionDuration":       json.Number("7200"),
		"Tags":                     []any{map[string]any{"Key": "a", "Value": "1"}},
	}
	if !reflect.DeepEqual(got, want) { // also checks json.Number for integers
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
	if verr := m.ValidateInput("CreateRole", got); verr != nil {
		t.Fatalf("decoded CreateRole does not validate: %v", verr)
	}
}

func TestDecodeQueryEdgeCases(t *testing.T) {
	sn := MustLoad("sns")
	form := url.Values{
		"Action":                   {"SetSMSAttributes"},
		"attributes.entry.2.key":   {"b"},
		"attributes.entry.2.value": {"2"},
		"attributes.entry.1.key":   {"a"},
		"attributes.entry.1.value": {"1"},
		"attributes.entry.x.key":   {"ignored"},
	}
	got, err := sn.DecodeQuery("SetSMSAttributes", form)
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, map[string]any{"attributes": map[string]any{"a": "1", "b": "2"}})

	// Empty list, sparse indexes closed up, booleans, bad numbers kept as strings.
	got, err = sn.DecodeQuery("TagResource", url.Values{"ResourceArn": {"arn"}, "Tags": {""}})
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, map[string]any{"ResourceArn": "arn", "Tags": []any{}})

	got, err = sn.DecodeQuery("UntagResource", url.Values{"ResourceArn": {"arn"}, "TagKeys.member.3": {"c"}, "TagKeys.member.1": {"a"}})
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, got, map[string]any{"ResourceArn": "arn", "TagKeys": []any{"a", "c"}})

	im := MustLoad("iam")
	got, err = im.DecodeQuery("ListRoles", url.Values{"MaxItems": {"ten"}})
	if err != nil {
		t.Fatal(err)
	}
	if got["MaxItems"] != "ten" {
		t.Fatalf("MaxItems = %#v", got["MaxItems"])
	}
	verr := im.ValidateInput("ListRoles", got)
	if verr == nil || verr.Fields[0].Name != "MaxItems" {
		t.Fatalf("bad number not reported: %+v", verr)
	}
	got, err = im.DecodeQuery("DeleteRolePermissionsBoundary", url.Values{"RoleName": {"r"}})
	if err != nil || got["RoleName"] != "r" {
		t.Fatalf("got %v, %v", got, err)
	}
	st := MustLoad("sts")
	got, err = st.DecodeQuery("GetSessionToken", url.Values{"DurationSeconds": {"900"}})
	if err != nil || got["DurationSeconds"] != json.Number("900") {
		t.Fatalf("got %#v, %v", got, err)
	}
	if _, err := sn.DecodeQuery("NoSuchAction", url.Values{}); err == nil {
		t.Fatal("expected error for unknown operation")
	}
	// booleans
	if g, _ := sn.DecodeQuery("Subscribe", url.Values{"ReturnSubscriptionArn": {"true"}}); g["ReturnSubscriptionArn"] != true {
		t.Fatalf("ReturnSubscriptionArn = %#v", g["ReturnSubscriptionArn"])
	}
}

type snsTopic struct {
	TopicArn string `json:"TopicArn"`
}

type snsSubscription struct {
	SubscriptionArn string `json:"SubscriptionArn"`
	Owner           string `json:"Owner"`
	Protocol        string `json:"Protocol"`
	Endpoint        string `json:"Endpoint"`
	TopicArn        string `json:"TopicArn"`
}

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func TestQueryResponseSNS(t *testing.T) {
	m := MustLoad("sns")
	topic := "arn:aws:sns:us-east-1:111122223333:orders"
	srv := queryServer(t, m, map[string]any{
		"CreateTopic": struct {
			TopicArn string `json:"TopicArn"`
		}{topic},
		"ListTopics": struct {
			Topics    []snsTopic `json:"Topics"`
			NextToken *string    `json:"NextToken,omitempty"`
		}{Topics: []snsTopic{{topic}, {topic + "2"}}, NextToken: aws.String("tok<&>")},
		"GetTopicAttributes": map[string]any{"Attributes": map[string]string{
			"TopicArn": topic, "DisplayName": "Orders & <more>", "Policy": "{\"Version\":\"2012-10-17\"}\n", "SubscriptionsConfirmed": "3",
		}},
		"ListSubscriptions": struct {
			Subscriptions []snsSubscription `json:"Subscriptions"`
		}{[]snsSubscription{{"arn:sub1", "111122223333", "sms", "+12065550100", topic}}},
		"ListTagsForResource": struct {
			Tags []tag `json:"Tags"`
		}{[]tag{{"team", "sms"}, {"env", ""}}},
		"DeleteTopic": nil,
	})
	client := sns.NewFromConfig(sdkConfig(), func(o *sns.Options) { o.BaseEndpoint = aws.String(srv.URL) })

	ct, err := client.CreateTopic(ctx(t), &sns.CreateTopicInput{Name: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(ct.TopicArn) != topic {
		t.Fatalf("TopicArn = %q", aws.ToString(ct.TopicArn))
	}

	lt, err := client.ListTopics(ctx(t), &sns.ListTopicsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lt.Topics) != 2 || aws.ToString(lt.Topics[0].TopicArn) != topic || aws.ToString(lt.Topics[1].TopicArn) != topic+"2" || aws.ToString(lt.NextToken) != "tok<&>" {
		t.Fatalf("ListTopics = %+v", lt)
	}

	ga, err := client.GetTopicAttributes(ctx(t), &sns.GetTopicAttributesInput{TopicArn: aws.String(topic)})
	if err != nil {
		t.Fatal(err)
	}
	wantAttrs := map[string]string{"TopicArn": topic, "DisplayName": "Orders & <more>", "Policy": "{\"Version\":\"2012-10-17\"}\n", "SubscriptionsConfirmed": "3"}
	if !reflect.DeepEqual(ga.Attributes, wantAttrs) {
		t.Fatalf("Attributes = %#v", ga.Attributes)
	}

	ls, err := client.ListSubscriptions(ctx(t), &sns.ListSubscriptionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	want := snstypes.Subscription{SubscriptionArn: aws.String("arn:sub1"), Owner: aws.String("111122223333"), Protocol: aws.String("sms"), Endpoint: aws.String("+12065550100"), TopicArn: aws.String(topic)}
	if len(ls.Subscriptions) != 1 || !reflect.DeepEqual(ls.Subscriptions[0], want) || ls.NextToken != nil {
		t.Fatalf("ListSubscriptions = %+v", ls)
	}

	tags, err := client.ListTagsForResource(ctx(t), &sns.ListTagsForResourceInput{ResourceArn: aws.String(topic)})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 2 || aws.ToString(tags.Tags[0].Key) != "team" || aws.ToString(tags.Tags[0].Value) != "sms" ||
		aws.ToString(tags.Tags[1].Key) != "env" || tags.Tags[1].Value == nil || *tags.Tags[1].Value != "" {
		t.Fatalf("Tags = %+v", tags.Tags)
	}

	if _, err := client.DeleteTopic(ctx(t), &sns.DeleteTopicInput{TopicArn: aws.String(topic)}); err != nil {
		t.Fatal(err)
	}
}

func TestQueryResponseShapes(t *testing.T) {
	m := MustLoad("sns")
	b, err := m.MarshalQueryResponse("DeleteTopic", nil, "rid-1")
	if err != nil {
		t.Fatal(err)
	}
	want := `<DeleteTopicResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ResponseMetadata><RequestId>rid-1</RequestId></ResponseMetadata></DeleteTopicResponse>`
	if string(b) != want {
		t.Fatalf("DeleteTopic:\n got %s\nwant %s", b, want)
	}
	b, err = m.MarshalQueryResponse("GetTopicAttributes", map[string]any{"Attributes": map[string]any{"b": "2", "a": "<1>"}, "Unknown": 5}, "rid-2")
	if err != nil {
		t.Fatal(err)
	}
	want = `<GetTopicAttributesResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><GetTopicAttributesResult><Attributes>` +
		`<entry><key>a</key><value>&lt;1&gt;</value></entry><entry><key>b</key><value>2</value></entry></Attributes></GetTopicAttributesResult>` +
		`<ResponseMetadata><RequestId>rid-2</RequestId></ResponseMetadata></GetTopicAttributesResponse>`
	if string(b) != want {
		t.Fatalf("GetTopicAttributes:\n got %s\nwant %s", b, want)
	}
	if _, err := m.MarshalQueryResponse("CreateTopic", map[string]any{"TopicArn": []any{1}}, "r"); err == nil {
		t.Fatal("expected an error for a list in a string member")
	}
	if _, err := m.MarshalQueryResponse("Nope", nil, "r"); err == nil {
		t.Fatal("expected an error for an unknown operation")
	}
}

type iamRole struct {
	Path                     string     `json:"Path"`
	RoleName                 string     `json:"RoleName"`
	RoleID                   string     `json:"RoleId"`
	Arn                      string     `json:"Arn"`
	CreateDate               time.Time  `json:"CreateDate"`
	AssumeRolePolicyDocument string     `json:"AssumeRolePolicyDocument,omitempty"`
	Description              string     `json:"Description,omitempty"`
	MaxSessionDuration       int32      `json:"MaxSessionDuration,omitempty"`
	Tags                     []tag      `json:"Tags,omitempty"`
	RoleLastUsed             *lastUsed  `json:"RoleLastUsed,omitempty"`
	Ignored                  chan int   `json:"-"`
	Extra                    *time.Time `json:"Extra,omitempty"`
}

type lastUsed struct {
	LastUsedDate float64 `json:"LastUsedDate"` // epoch seconds are accepted too
	Region       string  `json:"Region"`
}

func TestQueryResponseIAM(t *testing.T) {
	m := MustLoad("iam")
	created := time.Date(2026, 11, 25, 13, 8, 56, 0, time.UTC)
	used := time.Date(2026, 11, 26, 1, 2, 3, 456e6, time.UTC)
	role := iamRole{
		Path: "/service/", RoleName: "sms-role", RoleID: "AROAEXAMPLE", Arn: "arn:aws:iam::111122223333:role/service/sms-role",
		CreateDate: created, AssumeRolePolicyDocument: "%7B%22Version%22%3A%222012-10-17%22%7D", Description: "d",
		MaxSessionDuration: 3600, Tags: []tag{{"a", "1"}},
		RoleLastUsed: &lastUsed{LastUsedDate: float64(used.UnixMilli()) / 1000, Region: "us-east-1"},
	}
	srv := queryServer(t, m, map[string]any{
		"CreateRole": struct {
			Role iamRole `json:"Role"`
		}{role},
		"ListRoles": struct {
			Roles       []iamRole `json:"Roles"`
			IsTruncated bool      `json:"IsTruncated"`
			Marker      string    `json:"Marker,omitempty"`
		}{Roles: []iamRole{role, role}, IsTruncated: true, Marker: "m2"},
	})
	client := iam.NewFromConfig(sdkConfig(), func(o *iam.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	cr, err := client.CreateRole(ctx(t), &iam.CreateRoleInput{RoleName: aws.String("sms-role"), AssumeRolePolicyDocument: aws.String("{}")})
	if err != nil {
		t.Fatal(err)
	}
	checkRole := func(r *iamtypes.Role) {
		t.Helper()
		if aws.ToString(r.Path) != role.Path || aws.ToString(r.RoleName) != role.RoleName || aws.ToString(r.RoleId) != role.RoleID ||
			aws.ToString(r.Arn) != role.Arn || !aws.ToTime(r.CreateDate).Equal(created) ||
			aws.ToString(r.AssumeRolePolicyDocument) != role.AssumeRolePolicyDocument || aws.ToString(r.Description) != "d" ||
			aws.ToInt32(r.MaxSessionDuration) != 3600 || len(r.Tags) != 1 || aws.ToString(r.Tags[0].Key) != "a" || aws.ToString(r.Tags[0].Value) != "1" ||
			r.RoleLastUsed == nil || !aws.ToTime(r.RoleLastUsed.LastUsedDate).Equal(used) || aws.ToString(r.RoleLastUsed.Region) != "us-east-1" {
			t.Fatalf("role = %+v (last used %+v)", r, r.RoleLastUsed)
		}
	}
	checkRole(cr.Role)

	lr, err := client.ListRoles(ctx(t), &iam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(lr.Roles) != 2 || !lr.IsTruncated || aws.ToString(lr.Marker) != "m2" {
		t.Fatalf("ListRoles = %+v", lr)
	}
	checkRole(&lr.Roles[1])
}

func TestQueryResponseSTS(t *testing.T) {
	m := MustLoad("sts")
	exp := time.Date(2026, 11, 25, 14, 8, 56, 0, time.UTC)
	srv := queryServer(t, m, map[string]any{
		"GetCallerIdentity": map[string]any{"UserId": "AIDAEXAMPLE", "Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/alice"},
		"AssumeRole": map[string]any{
			"Credentials":      map[string]any{"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "s3cr3t+/", "SessionToken": "tok==", "Expiration": exp},
			"AssumedRoleUser":  map[string]any{"AssumedRoleId": "AROAEXAMPLE:sess", "Arn": "arn:aws:sts::111122223333:assumed-role/r/sess"},
			"PackedPolicySize": 6,
			"SourceIdentity":   "alice",
		},
	})
	client := sts.NewFromConfig(sdkConfig(), func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	id, err := client.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.UserId) != "AIDAEXAMPLE" || aws.ToString(id.Account) != "111122223333" || aws.ToString(id.Arn) != "arn:aws:iam::111122223333:user/alice" {
		t.Fatalf("GetCallerIdentity = %+v", id)
	}
	ar, err := client.AssumeRole(ctx(t), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111122223333:role/r"), RoleSessionName: aws.String("sess")})
	if err != nil {
		t.Fatal(err)
	}
	wantCreds := &ststypes.Credentials{AccessKeyId: aws.String("ASIAEXAMPLE"), SecretAccessKey: aws.String("s3cr3t+/"), SessionToken: aws.String("tok=="), Expiration: aws.Time(exp)}
	if !reflect.DeepEqual(ar.Credentials, wantCreds) {
		t.Fatalf("Credentials = %+v", ar.Credentials)
	}
	if aws.ToString(ar.AssumedRoleUser.AssumedRoleId) != "AROAEXAMPLE:sess" || aws.ToString(ar.AssumedRoleUser.Arn) != "arn:aws:sts::111122223333:assumed-role/r/sess" ||
		aws.ToInt32(ar.PackedPolicySize) != 6 || aws.ToString(ar.SourceIdentity) != "alice" {
		t.Fatalf("AssumeRole = %+v", ar)
	}
	// The request the SDK sent decodes and validates.
	in, err := m.DecodeQuery("AssumeRole", srv.lastForm())
	if err != nil || in["RoleSessionName"] != "sess" {
		t.Fatalf("decoded AssumeRole = %v, %v", in, err)
	}
	if verr := m.ValidateInput("AssumeRole", in); verr != nil {
		t.Fatal(verr)
	}
}

func TestQueryError(t *testing.T) {
	type tc struct {
		service, code, message string
		status                 int
	}
	for _, c := range []tc{
		{"sns", "NotFound", "Topic does not exist", 404},
		{"sns", "InvalidParameter", "Invalid parameter: PhoneNumber <bad> & \"quoted\"", 400},
		{"iam", "NoSuchEntity", "The role with name r cannot be found.", 404},
		{"sts", "AccessDenied", "not authorized", 403},
		{"sns", "SomethingUnmodeled", "odd", 500},
	} {
		t.Run(c.service+"/"+c.code, func(t *testing.T) {
			m := MustLoad(c.service)
			typ := "Sender"
			if c.status >= 500 {
				typ = "Receiver"
			}
			body := MarshalQueryError(m.Metadata().XMLNamespace, typ, c.code, c.message, "rid-err")
			srv := newFakeAWS(t, func(*http.Request, []byte) (int, string, []byte) { return c.status, "text/xml", body })
			var err error
			switch c.service {
			case "sns":
				client := sns.NewFromConfig(sdkConfig(), func(o *sns.Options) { o.BaseEndpoint = aws.String(srv.URL) })
				_, err = client.GetTopicAttributes(ctx(t), &sns.GetTopicAttributesInput{TopicArn: aws.String("arn")})
			case "iam":
				client := iam.NewFromConfig(sdkConfig(), func(o *iam.Options) { o.BaseEndpoint = aws.String(srv.URL) })
				_, err = client.GetRole(ctx(t), &iam.GetRoleInput{RoleName: aws.String("r")})
			case "sts":
				client := sts.NewFromConfig(sdkConfig(), func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) })
				_, err = client.GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error %v (%T) is not a smithy.APIError", err, err)
			}
			if apiErr.ErrorCode() != c.code || apiErr.ErrorMessage() != c.message {
				t.Fatalf("code %q message %q, want %q %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), c.code, c.message)
			}
		})
	}
	got := string(MarshalQueryError("", "Sender", "C", "a<b", "r"))
	if got != `<ErrorResponse><Error><Type>Sender</Type><Code>C</Code><Message>a&lt;b</Message></Error><RequestId>r</RequestId></ErrorResponse>` {
		t.Fatalf("MarshalQueryError = %s", got)
	}
}

type phoneNumberInfo struct {
	PhoneNumberArn            string    `json:"PhoneNumberArn"`
	PhoneNumberID             string    `json:"PhoneNumberId"`
	PhoneNumber               string    `json:"PhoneNumber"`
	Status                    string    `json:"Status"`
	IsoCountryCode            string    `json:"IsoCountryCode"`
	MessageType               string    `json:"MessageType"`
	NumberCapabilities        []string  `json:"NumberCapabilities"`
	NumberType                string    `json:"NumberType"`
	MonthlyLeasingPrice       string    `json:"MonthlyLeasingPrice"`
	TwoWayEnabled             bool      `json:"TwoWayEnabled"`
	SelfManagedOptOutsEnabled bool      `json:"SelfManagedOptOutsEnabled"`
	OptOutListName            string    `json:"OptOutListName"`
	DeletionProtectionEnabled bool      `json:"DeletionProtectionEnabled"`
	TwoWayChannelArn          *string   `json:"TwoWayChannelArn,omitempty"`
	CreatedTimestamp          time.Time `json:"CreatedTimestamp"`
	Internal                  string    `json:"InternalOnly"` // not in the model: never written
}

func TestJSONOutputPinpoint(t *testing.T) {
	m := MustLoad("pinpoint-sms-voice-v2")
	created := time.Date(2026, 11, 25, 13, 8, 56, 789e6, time.UTC)
	out := struct {
		PhoneNumbers []phoneNumberInfo `json:"PhoneNumbers"`
		NextToken    *string           `json:"NextToken"`
	}{PhoneNumbers: []phoneNumberInfo{{
		PhoneNumberArn: "arn:aws:sms-voice:us-east-1:111122223333:phone-number/phone-1", PhoneNumberID: "phone-1",
		PhoneNumber: "+12065550100", Status: "ACTIVE", IsoCountryCode: "US", MessageType: "TRANSACTIONAL",
		NumberCapabilities: []string{"SMS", "VOICE"}, NumberType: "TOLL_FREE", MonthlyLeasingPrice: "2.00",
		TwoWayEnabled: true, OptOutListName: "Default", CreatedTimestamp: created, Internal: "secret",
	}}}
	body, err := m.MarshalJSONOutput("DescribePhoneNumbers", out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(body), "InternalOnly") || strings.Contains(string(body), "NextToken") || strings.Contains(string(body), "TwoWayChannelArn") {
		t.Fatalf("body has members it should not: %s", body)
	}
	if !strings.Contains(string(body), `"CreatedTimestamp":1795612136.789`) {
		t.Fatalf("timestamp not written as epoch seconds: %s", body)
	}
	var target string
	srv := newFakeAWS(t, func(r *http.Request, _ []byte) (int, string, []byte) {
		target = r.Header.Get("X-Amz-Target")
		return 200, "application/x-amz-json-1.0", body
	})
	client := pinpointsmsvoicev2.NewFromConfig(sdkConfig(), func(o *pinpointsmsvoicev2.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	res, err := client.DescribePhoneNumbers(ctx(t), &pinpointsmsvoicev2.DescribePhoneNumbersInput{
		Filters:    []pptypes.PhoneNumberFilter{{Name: pptypes.PhoneNumberFilterNameStatus, Values: []string{"ACTIVE"}}},
		MaxResults: aws.Int32(10),
	})
	if err != nil {
		t.Fatal(err)
	}
	if target != m.Metadata().TargetPrefix+".DescribePhoneNumbers" {
		t.Fatalf("X-Amz-Target = %q", target)
	}
	if len(res.PhoneNumbers) != 1 {
		t.Fatalf("PhoneNumbers = %+v", res.PhoneNumbers)
	}
	p := res.PhoneNumbers[0]
	if !aws.ToTime(p.CreatedTimestamp).Equal(created) {
		t.Fatalf("CreatedTimestamp = %v, want %v", aws.ToTime(p.CreatedTimestamp), created)
	}
	if aws.ToString(p.PhoneNumberId) != "phone-1" || aws.ToString(p.PhoneNumber) != "+12065550100" || p.Status != pptypes.NumberStatusActive ||
		aws.ToString(p.IsoCountryCode) != "US" || p.MessageType != pptypes.MessageTypeTransactional ||
		!reflect.DeepEqual(p.NumberCapabilities, []pptypes.NumberCapability{"SMS", "VOICE"}) || p.NumberType != pptypes.NumberTypeTollFree ||
		aws.ToString(p.MonthlyLeasingPrice) != "2.00" || !p.TwoWayEnabled || p.SelfManagedOptOutsEnabled || aws.ToString(p.OptOutListName) != "Default" ||
		res.NextToken != nil {
		t.Fatalf("phone number = %+v", p)
	}
	// The request the SDK sent validates.
	in := decode(t, string(srv.lastBody()))
	if verr := m.ValidateInput("DescribePhoneNumbers", in); verr != nil {
		t.Fatalf("SDK request does not validate: %v", verr)
	}
}

func TestJSONOutputKMS(t *testing.T) {
	m := MustLoad("kms")
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	body, err := m.MarshalJSONOutput("DescribeKey", map[string]any{"KeyMetadata": map[string]any{
		"AWSAccountId": "111122223333", "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
		"Arn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "CreationDate": created,
		"Enabled": true, "Description": "test key", "KeyUsage": "ENCRYPT_DECRYPT", "KeyState": "Enabled",
		"Origin": "AWS_KMS", "KeyManager": "CUSTOMER", "KeySpec": "SYMMETRIC_DEFAULT", "CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
		"EncryptionAlgorithms": []string{"SYMMETRIC_DEFAULT"}, "MultiRegion": false, "DeletionDate": nil,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"CreationDate":1767323045,`) {
		t.Fatalf("CreationDate not epoch seconds: %s", body)
	}
	srv := newFakeAWS(t, func(*http.Request, []byte) (int, string, []byte) { return 200, "application/x-amz-json-1.1", body })
	client := kms.NewFromConfig(sdkConfig(), func(o *kms.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	res, err := client.DescribeKey(ctx(t), &kms.DescribeKeyInput{KeyId: aws.String("alias/test")})
	if err != nil {
		t.Fatal(err)
	}
	k := res.KeyMetadata
	if aws.ToString(k.KeyId) != "1234abcd-12ab-34cd-56ef-1234567890ab" || !aws.ToTime(k.CreationDate).Equal(created) || !k.Enabled ||
		k.KeyUsage != kmstypes.KeyUsageTypeEncryptDecrypt || k.KeyState != kmstypes.KeyStateEnabled || k.KeySpec != kmstypes.KeySpecSymmetricDefault ||
		!reflect.DeepEqual(k.EncryptionAlgorithms, []kmstypes.EncryptionAlgorithmSpec{"SYMMETRIC_DEFAULT"}) ||
		aws.ToBool(k.MultiRegion) || k.DeletionDate != nil || aws.ToString(k.AWSAccountId) != "111122223333" || k.Origin != kmstypes.OriginTypeAwsKms {
		t.Fatalf("KeyMetadata = %+v", k)
	}
	// Blobs travel as base64 and come back as bytes.
	body, err = m.MarshalJSONOutput("Encrypt", struct {
		CiphertextBlob      []byte `json:"CiphertextBlob"`
		KeyID               string `json:"KeyId"`
		EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
	}{[]byte{1, 2, 3, 255}, "k", "SYMMETRIC_DEFAULT"})
	if err != nil {
		t.Fatal(err)
	}
	srv2 := newFakeAWS(t, func(*http.Request, []byte) (int, string, []byte) { return 200, "application/x-amz-json-1.1", body })
	client2 := kms.NewFromConfig(sdkConfig(), func(o *kms.Options) { o.BaseEndpoint = aws.String(srv2.URL) })
	enc, err := client2.Encrypt(ctx(t), &kms.EncryptInput{KeyId: aws.String("k"), Plaintext: []byte("hi")})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(enc.CiphertextBlob, []byte{1, 2, 3, 255}) || aws.ToString(enc.KeyId) != "k" {
		t.Fatalf("Encrypt = %+v", enc)
	}
	in := decode(t, string(srv2.lastBody()))
	if verr := m.ValidateInput("Encrypt", in); verr != nil {
		t.Fatalf("SDK Encrypt request does not validate: %v", verr)
	}
}

func TestJSONOutputDetails(t *testing.T) {
	m := MustLoad("pinpoint-sms-voice-v2")
	b, err := m.MarshalJSONOutput("DescribePhoneNumbers", nil)
	if err != nil || string(b) != "{}" {
		t.Fatalf("nil output = %s, %v", b, err)
	}
	// Epoch numbers in, epoch numbers out; zero time.Time omitted.
	b, err = m.MarshalJSONOutput("DescribePhoneNumbers", map[string]any{"PhoneNumbers": []any{
		map[string]any{"PhoneNumberId": "a", "CreatedTimestamp": 1700000000.5},
		map[string]any{"PhoneNumberId": "b", "CreatedTimestamp": time.Time{}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"PhoneNumbers":[{"PhoneNumberId":"a","CreatedTimestamp":1700000000.5},{"PhoneNumberId":"b"}]}` {
		t.Fatalf("got %s", b)
	}
	if _, err := m.MarshalJSONOutput("DescribePhoneNumbers", map[string]any{"PhoneNumbers": "x"}); err == nil {
		t.Fatal("expected error for a string in a list member")
	}
	if _, err := m.MarshalJSONOutput("DescribePhoneNumbers", map[string]any{"PhoneNumbers": []any{map[string]any{"CreatedTimestamp": "yesterday"}}}); err == nil {
		t.Fatal("expected error for an unparsable timestamp")
	}
}

func TestLoadAndMetadata(t *testing.T) {
	want := []string{"connect", "connectparticipant", "iam", "kms", "pinpoint-sms-voice-v2", "sns", "sqs", "sts"}
	if got := Services(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Services = %v", got)
	}
	for _, s := range want {
		m, err := Load(s)
		if err != nil {
			t.Fatal(err)
		}
		if m2 := MustLoad(s); m2 != m {
			t.Fatal("Load is not cached")
		}
		if len(m.Operations()) == 0 {
			t.Fatalf("%s has no operations", s)
		}
	}
	if _, err := Load("s3"); err == nil {
		t.Fatal("Load(s3) should fail")
	}
	md := MustLoad("pinpoint-sms-voice-v2").Metadata()
	if md != (Metadata{APIVersion: "2022-03-31", Protocol: "json", JSONVersion: "1.0", TargetPrefix: "PinpointSMSVoiceV2",
		SigningName: "sms-voice", EndpointPrefix: "sms-voice", ServiceID: "Pinpoint SMS Voice V2"}) {
		t.Fatalf("pinpoint metadata = %+v", md)
	}
	if md := MustLoad("sns").Metadata(); md.Protocol != "query" || md.XMLNamespace != "http://sns.amazonaws.com/doc/2010-03-31/" || md.SigningName != "sns" {
		t.Fatalf("sns metadata = %+v", md)
	}
	op, ok := MustLoad("sns").Operation("CreateTopic")
	if !ok || op.InputShape != "CreateTopicInput" || op.OutputShape != "CreateTopicResponse" || op.ResultWrapper != "CreateTopicResult" ||
		op.HTTPMethod != "POST" || op.RequestURI != "/" || len(op.Errors) == 0 {
		t.Fatalf("CreateTopic = %+v", op)
	}
	sh, ok := MustLoad("sns").Shape("MessageAttributeMap")
	if !ok || sh.Type != "map" || sh.Key.LocationName != "Name" || sh.Value.LocationName != "Value" {
		t.Fatalf("MessageAttributeMap = %+v", sh)
	}
	sh, _ = MustLoad("pinpoint-sms-voice-v2").Shape("RequestPhoneNumberRequest")
	if sh.Members[0].Name != "IsoCountryCode" || sh.Members[1].Name != "MessageType" {
		t.Fatalf("member order lost: %+v", sh.Members[:2])
	}
	if mb, ok := sh.MemberByName("NumberCapabilities"); !ok || mb.Shape != "NumberCapabilityList" {
		t.Fatalf("MemberByName = %+v", mb)
	}
	sh, _ = MustLoad("pinpoint-sms-voice-v2").Shape("ValidationException")
	if !sh.Exception {
		t.Fatal("ValidationException is not an exception shape")
	}
}

// TestEmbeddedModelsHaveNoDocumentation guards the rule that no documentation
// text from the AWS models is shipped.
func TestEmbeddedModelsHaveNoDocumentation(t *testing.T) {
	entries, err := modelFS.ReadDir("models")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		f, err := modelFS.Open("models/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(zr)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{`"documentation":`, `"documentationUrl":`, `"examples":`, `"deprecatedMessage":`, "<p>"} {
			if strings.Contains(string(data), key) {
				t.Errorf("%s contains %s", e.Name(), key)
			}
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := MustLoad("sqs")
			in := map[string]any{"QueueName": "q", "Attributes": map[string]any{"DelaySeconds": "0"}}
			if err := m.ValidateInput("CreateQueue", in); err != nil {
				t.Error(err)
			}
			if err := MustLoad("pinpoint-sms-voice-v2").ValidateInput("DescribePhoneNumbers", map[string]any{"MaxResults": json.Number("0")}); err == nil {
				t.Error("MaxResults 0 accepted")
			}
		}()
	}
	wg.Wait()
}

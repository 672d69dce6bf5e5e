package wire

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/awsmodel"
)

func TestRESTRouting(t *testing.T) {
	svc := &Service{routes: []restRoute{
		compileRoute("GetObject", "GET", "/{Bucket}/{Key+}"),
		compileRoute("GetBucketVersioning", "GET", "/{Bucket}?versioning"),
		compileRoute("ListBuckets", "GET", "/"),
		compileRoute("GetBucket", "GET", "/{Bucket}"),
		compileRoute("ListTags", "GET", "/tags/{resourceArn}"),
		compileRoute("DescribeContact", "GET", "/contacts/{InstanceId}/{ContactId}"),
		compileRoute("ListPhoneNumbers", "POST", "/phone-number/list"),
		compileRoute("DescribePhoneNumber", "GET", "/phone-number/{PhoneNumberId}"),
		compileRoute("ReleasePhoneNumber", "DELETE", "/phone-number/{PhoneNumberId}"),
	}}
	sortRoutes(svc.routes)
	cases := []struct {
		method, path, query string
		op                  string
		labels              map[string]string
		methodSeen          bool
	}{
		{"GET", "/", "", "ListBuckets", nil, false},
		{"GET", "/b1", "", "GetBucket", map[string]string{"Bucket": "b1"}, false},
		{"GET", "/b1", "versioning", "GetBucketVersioning", map[string]string{"Bucket": "b1"}, false},
		{"GET", "/b1/a/b%20c/d", "", "GetObject", map[string]string{"Bucket": "b1", "Key": "a/b c/d"}, false},
		{"GET", "/tags/arn%3Aaws%3Aconnect%3Aus-east-1%3A1%3Ainstance%2Fx", "", "ListTags",
			map[string]string{"resourceArn": "arn:aws:connect:us-east-1:1:instance/x"}, false},
		{"GET", "/contacts/i-1/c-2", "", "DescribeContact", map[string]string{"InstanceId": "i-1", "ContactId": "c-2"}, false},
		{"GET", "/contacts/i-1", "", "GetObject", map[string]string{"Bucket": "contacts", "Key": "i-1"}, false},
		{"POST", "/phone-number/list", "", "ListPhoneNumbers", nil, false},
		{"GET", "/phone-number/list", "", "DescribePhoneNumber", map[string]string{"PhoneNumberId": "list"}, false},
		{"DELETE", "/phone-number/p1", "", "ReleasePhoneNumber", map[string]string{"PhoneNumberId": "p1"}, false},
		{"PUT", "/phone-number/p1", "", "", nil, true},
		{"GET", "/contacts//c-2", "", "GetObject", map[string]string{"Bucket": "contacts", "Key": "/c-2"}, false},
	}
	for _, c := range cases {
		q, _ := url.ParseQuery(c.query)
		op, labels, seen := svc.match(c.method, c.path, q)
		if op != c.op || seen != c.methodSeen || len(labels) != len(c.labels) {
			t.Errorf("%s %s?%s: op %q labels %v seen %v; want %q %v %v", c.method, c.path, c.query, op, labels, seen, c.op, c.labels, c.methodSeen)
			continue
		}
		for k, v := range c.labels {
			if labels[k] != v {
				t.Errorf("%s %s: label %s = %q, want %q", c.method, c.path, k, labels[k], v)
			}
		}
	}
}

func TestBindREST(t *testing.T) {
	connect := awsmodel.MustLoad("connect")
	participant := awsmodel.MustLoad("connectparticipant")

	// URI labels; a body cannot override them.
	r := httptest.NewRequest("GET", "/contacts/i-1/c-2", strings.NewReader(`{"InstanceId":"evil"}`))
	in, err := bindREST(connect, "DescribeContact", map[string]string{"InstanceId": "i-1", "ContactId": "c-2"}, r, []byte(`{"InstanceId":"evil"}`))
	if err != nil || in["InstanceId"] != "i-1" || in["ContactId"] != "c-2" {
		t.Fatalf("labels: %v %v", in, err)
	}
	// Query string members, converted to their shapes' types.
	r = httptest.NewRequest("GET", "/instance?maxResults=5&nextToken=abc", nil)
	in, err = bindREST(connect, "ListInstances", nil, r, nil)
	if err != nil || in["MaxResults"] != json.Number("5") || in["NextToken"] != "abc" {
		t.Fatalf("query: %v %v", in, err)
	}
	if verr := connect.ValidateInput("ListInstances", in); verr != nil {
		t.Fatalf("valid query input refused: %v", verr)
	}
	// A number that is not a number stays a string: validation says so.
	r = httptest.NewRequest("GET", "/instance?maxResults=many", nil)
	in, _ = bindREST(connect, "ListInstances", nil, r, nil)
	if verr := connect.ValidateInput("ListInstances", in); verr == nil || !strings.Contains(verr.Message, "maxResults") {
		t.Fatalf("bad integer: %v", verr)
	}
	// A header member beside body members.
	body := []byte(`{"ContentType":"text/plain","Content":"hi","X-Amz-Bearer":"spoof"}`)
	r = httptest.NewRequest("POST", "/participant/message", nil)
	r.Header.Set("X-Amz-Bearer", "tok")
	in, err = bindREST(participant, "SendMessage", nil, r, body)
	if err != nil || in["ConnectionToken"] != "tok" || in["Content"] != "hi" || in["ContentType"] != "text/plain" {
		t.Fatalf("header: %v %v", in, err)
	}
	// A body that is not an object.
	if _, err := bindREST(participant, "SendMessage", nil, r, []byte(`[1]`)); err == nil {
		t.Fatal("a JSON array body was accepted")
	}
}

func TestRESTErrorStatus(t *testing.T) {
	connect := awsmodel.MustLoad("connect")
	for _, c := range []struct {
		e    *duplex.Error
		want int
	}{
		{&duplex.Error{Code: "ContactNotFoundException"}, http.StatusGone},
		{&duplex.Error{Code: "ResourceNotFoundException"}, http.StatusNotFound},
		{&duplex.Error{Code: "ServiceQuotaExceededException"}, http.StatusPaymentRequired},
		{&duplex.Error{Code: "ContactNotFoundException", Status: 418}, 418},
		{&duplex.Error{Code: "SerializationException"}, http.StatusBadRequest},
	} {
		if got := restStatus(connect, c.e); got != c.want {
			t.Errorf("%s: status %d, want %d", c.e.Code, got, c.want)
		}
	}
}

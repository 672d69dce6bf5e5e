package sns

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sa(v string) MessageAttributeValue {
	return MessageAttributeValue{DataType: "String", StringValue: &v}
}
func na(v string) MessageAttributeValue {
	return MessageAttributeValue{DataType: "Number", StringValue: &v}
}
func arr(v string) MessageAttributeValue {
	return MessageAttributeValue{DataType: "String.Array", StringValue: &v}
}

func TestFilterAttributes(t *testing.T) {
	type attrs = map[string]MessageAttributeValue
	cases := []struct {
		policy string
		attrs  attrs
		want   bool
	}{
		{`{"a":["x"]}`, attrs{"a": sa("x")}, true},
		{`{"a":["x"]}`, attrs{"a": sa("y")}, false},
		{`{"a":["x"]}`, attrs{}, false},
		{`{"a":["x","y"]}`, attrs{"a": sa("y")}, true},
		{`{"a":["x"],"b":["y"]}`, attrs{"a": sa("x")}, false},
		{`{"a":["x"],"b":["y"]}`, attrs{"a": sa("x"), "b": sa("y")}, true},
		{`{"n":[5]}`, attrs{"n": na("5.0")}, true},
		{`{"n":[5]}`, attrs{"n": sa("5")}, false},
		{`{"n":[{"numeric":["=",300]}]}`, attrs{"n": na("3e2")}, true},
		{`{"n":[{"numeric":[">",0,"<=",5]}]}`, attrs{"n": na("5")}, true},
		{`{"n":[{"numeric":[">",0,"<=",5]}]}`, attrs{"n": na("0")}, false},
		{`{"n":[{"numeric":["<",0]}]}`, attrs{"n": na("-0.5")}, true},
		{`{"a":[{"prefix":"ab"}]}`, attrs{"a": sa("abc")}, true},
		{`{"a":[{"prefix":"ab"}]}`, attrs{"a": sa("xabc")}, false},
		{`{"a":[{"suffix":".png"}]}`, attrs{"a": sa("x.png")}, true},
		{`{"a":[{"equals-ignore-case":"HeLLo"}]}`, attrs{"a": sa("hello")}, true},
		{`{"a":[{"anything-but":["x","y"]}]}`, attrs{"a": sa("z")}, true},
		{`{"a":[{"anything-but":["x","y"]}]}`, attrs{"a": sa("x")}, false},
		{`{"a":[{"anything-but":["x"]}]}`, attrs{}, false},
		{`{"a":[{"anything-but":"x"}]}`, attrs{"a": sa("q")}, true},
		{`{"n":[{"anything-but":[100]}]}`, attrs{"n": na("100")}, false},
		{`{"n":[{"anything-but":[100]}]}`, attrs{"n": na("101")}, true},
		{`{"a":[{"anything-but":{"prefix":"tmp-"}}]}`, attrs{"a": sa("tmp-1")}, false},
		{`{"a":[{"anything-but":{"prefix":"tmp-"}}]}`, attrs{"a": sa("keep")}, true},
		{`{"a":[{"anything-but":{"suffix":"-x"}}]}`, attrs{"a": sa("a-x")}, false},
		{`{"a":[{"exists":true}]}`, attrs{"a": sa("v")}, true},
		{`{"a":[{"exists":true}]}`, attrs{}, false},
		{`{"a":[{"exists":false}]}`, attrs{}, true},
		{`{"a":[{"exists":false}]}`, attrs{"a": sa("v")}, false},
		{`{"b":[{"exists":true}]}`, attrs{"b": {DataType: "Binary", BinaryValue: []byte{1}}}, true},
		{`{"b":["x"]}`, attrs{"b": {DataType: "Binary", BinaryValue: []byte("x")}}, false},
		{`{"ip":[{"cidr":"10.0.0.0/24"}]}`, attrs{"ip": sa("10.0.0.7")}, true},
		{`{"ip":[{"cidr":"10.0.0.0/24"}]}`, attrs{"ip": sa("10.0.1.7")}, false},
		{`{"ip":[{"cidr":"2001:db8::/32"}]}`, attrs{"ip": sa("2001:db8::1")}, true},
		{`{"t":["vip"]}`, attrs{"t": arr(`["a","vip"]`)}, true},
		{`{"t":["vip"]}`, attrs{"t": arr(`["a","b"]`)}, false},
		{`{"t":[3]}`, attrs{"t": arr(`[1,2,3]`)}, true},
		{`{"a":["x"],"$or":[{"b":["1"]},{"c":["2"]}]}`, attrs{"a": sa("x"), "c": sa("2")}, true},
		{`{"a":["x"],"$or":[{"b":["1"]},{"c":["2"]}]}`, attrs{"a": sa("x"), "c": sa("3")}, false},
		{`{"$or":[{"b":["1"]},{"c":[{"exists":false}]}]}`, attrs{}, true},
		{`{"custom":["v"]}`, attrs{"custom": {DataType: "String.mytype", StringValue: ptr("v")}}, true},
	}
	for _, c := range cases {
		p, err := compileFilter(c.policy, ScopeAttributes)
		if err != nil {
			t.Fatalf("%s: %v", c.policy, err)
		}
		if got := p.match(c.attrs, nil); got != c.want {
			t.Errorf("%s on %v: %v, want %v", c.policy, c.attrs, got, c.want)
		}
	}
}

func ptr(s string) *string { return &s }

func TestFilterBody(t *testing.T) {
	cases := []struct {
		policy, body string
		want         bool
	}{
		{`{"a":["x"]}`, `{"a":"x"}`, true},
		{`{"a":["x"]}`, `{"a":"y"}`, false},
		{`{"a":["x"]}`, `not json`, false},
		{`{"a":["x"]}`, `["a"]`, false},
		{`{"a":{"b":["x"]}}`, `{"a":{"b":"x"}}`, true},
		{`{"a":{"b":["x"]}}`, `{"a":{"b":"y"}}`, false},
		{`{"a":{"b":["x"]}}`, `{"a":"x"}`, false},
		{`{"a":{"b":{"c":[{"numeric":[">=",1]}]}}}`, `{"a":{"b":{"c":1}}}`, true},
		{`{"a":["x"]}`, `{"a":["y","x"]}`, true},
		{`{"a":{"b":["x"]}}`, `{"a":[{"b":"y"},{"b":"x"}]}`, true},
		{`{"a":[true]}`, `{"a":true}`, true},
		{`{"a":[null]}`, `{"a":null}`, true},
		{`{"a":[null]}`, `{}`, false},
		{`{"a":[""]}`, `{"a":""}`, true},
		{`{"a":[{"exists":false}]}`, `{"b":1}`, true},
		{`{"a":{"b":[{"exists":false}]}}`, `{"a":{}}`, true},
		{`{"$or":[{"a":["1"]},{"b":{"c":["2"]}}]}`, `{"b":{"c":"2"}}`, true},
		{`{"n":[5]}`, `{"n":"5"}`, false},
	}
	for _, c := range cases {
		p, err := compileFilter(c.policy, ScopeBody)
		if err != nil {
			t.Fatalf("%s: %v", c.policy, err)
		}
		if got := p.match(nil, &bodyJSON{raw: c.body}); got != c.want {
			t.Errorf("%s on %s: %v, want %v", c.policy, c.body, got, c.want)
		}
	}
}

func TestFilterErrors(t *testing.T) {
	for _, c := range []struct{ policy, scope, want string }{
		{`[]`, ScopeAttributes, "JSON object"},
		{`{`, ScopeAttributes, "parse"},
		{`{"a":"x"}`, ScopeAttributes, "array"},
		{`{"a":[]}`, ScopeAttributes, "Empty"},
		{`{"a":{"b":["x"]}}`, ScopeAttributes, "nested"},
		{`{"a":[{"numeric":[">"]}]}`, ScopeAttributes, "numeric"},
		{`{"a":[{"numeric":["<",5,">",1]}]}`, ScopeAttributes, "range"},
		{`{"a":[{"numeric":[">",5,"<",1]}]}`, ScopeAttributes, "Bottom"},
		{`{"a":[{"numeric":["!=",5]}]}`, ScopeAttributes, "operator"},
		{`{"a":[{"numeric":[">","x"]}]}`, ScopeAttributes, "numeric"},
		{`{"a":[2e9]}`, ScopeAttributes, "between"},
		{`{"a":[{"exists":"yes"}]}`, ScopeAttributes, "exists"},
		{`{"a":[{"cidr":"10.0.0.1"}]}`, ScopeAttributes, "CIDR"},
		{`{"a":[{"prefix":""}]}`, ScopeAttributes, "empty"},
		{`{"a":[{"wildcard":"x*"}]}`, ScopeAttributes, "Unrecognized"},
		{`{"a":[{"prefix":"x","suffix":"y"}]}`, ScopeAttributes, "one key"},
		{`{"a":[{"anything-but":[true]}]}`, ScopeAttributes, "anything but"},
		{`{"$or":[{"a":["1"]}]}`, ScopeAttributes, "$or"},
		{`{"a":["1","2","3","4","5","6"],"b":["1","2","3","4","5","6"],"c":["1","2","3","4","5"]}`, ScopeAttributes, "complex"},
	} {
		_, err := compileFilter(c.policy, c.scope)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.policy, err, c.want)
		}
	}
}

func TestRetryDelays(t *testing.T) {
	secs := func(p retryPolicy) []int {
		var out []int
		for r := 1; r <= p.NumRetries; r++ {
			out = append(out, int(p.delay(r)/time.Second))
		}
		return out
	}
	eq := func(a, b []int) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	for _, c := range []struct {
		p    retryPolicy
		want []int
	}{
		{defaultRetry, []int{20, 20, 20}},
		// The documented example: max 40, linear: 20, 30, 40.
		{retryPolicy{MinDelayTarget: 20, MaxDelayTarget: 40, NumRetries: 3, BackoffFunction: "linear"}, []int{20, 30, 40}},
		{retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 10, NumRetries: 8, NumNoDelayRetries: 2, NumMinDelayRetries: 1, NumMaxDelayRetries: 2,
			BackoffFunction: "linear"}, []int{0, 0, 1, 1, 5, 10, 10, 10}},
		{retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 16, NumRetries: 5, BackoffFunction: "geometric"}, []int{1, 2, 4, 8, 16}},
		{retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 16, NumRetries: 5, BackoffFunction: "exponential"}, []int{1, 2, 4, 8, 16}},
		{retryPolicy{MinDelayTarget: 2, MaxDelayTarget: 18, NumRetries: 5, BackoffFunction: "arithmetic"}, []int{2, 3, 6, 11, 18}},
	} {
		if err := c.p.validate(); err != nil {
			t.Fatalf("%+v: %v", c.p, err)
		}
		if got := secs(c.p); !eq(got, c.want) {
			t.Errorf("%+v: delays %v, want %v", c.p, got, c.want)
		}
	}
	for _, bad := range []retryPolicy{
		{MinDelayTarget: 0, MaxDelayTarget: 1, NumRetries: 1, BackoffFunction: "linear"},
		{MinDelayTarget: 5, MaxDelayTarget: 1, NumRetries: 1, BackoffFunction: "linear"},
		{MinDelayTarget: 1, MaxDelayTarget: 1, NumRetries: 101, BackoffFunction: "linear"},
		{MinDelayTarget: 1, MaxDelayTarget: 1, NumRetries: 2, NumNoDelayRetries: 3, BackoffFunction: "linear"},
		{MinDelayTarget: 1, MaxDelayTarget: 1, NumRetries: 1, BackoffFunction: "cubic"},
		{MinDelayTarget: 3600, MaxDelayTarget: 3600, NumRetries: 2, BackoffFunction: "linear"},
	} {
		if bad.validate() == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	// The subscription's policy overrides the topic's unless the topic forbids it.
	topic := `{"http":{"defaultHealthyRetryPolicy":{"numRetries":7},"defaultThrottlePolicy":{"maxReceivesPerSecond":5}}}`
	sub := `{"healthyRetryPolicy":{"numRetries":2},"requestPolicy":{"headerContentType":"application/json"}}`
	dp := resolveDeliveryPolicy(topic, sub)
	if dp.Retry.NumRetries != 2 || dp.Throttle != 5 || dp.ContentType != "application/json" {
		t.Errorf("override: %+v", dp)
	}
	dp = resolveDeliveryPolicy(strings.Replace(topic, `"http":{`, `"http":{"disableSubscriptionOverrides":true,`, 1), sub)
	if dp.Retry.NumRetries != 7 || dp.ContentType != defaultContentType {
		t.Errorf("disableSubscriptionOverrides: %+v", dp)
	}
}

func TestStringToSign(t *testing.T) {
	e := &envelope{Type: "Notification", MessageID: "id", TopicArn: "arn", Subject: "subj", Message: "m\nx", Timestamp: "ts"}
	if got := string(e.stringToSign()); got != "Message\nm\nx\nMessageId\nid\nSubject\nsubj\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n" {
		t.Errorf("notification: %q", got)
	}
	e.Subject = ""
	if got := string(e.stringToSign()); got != "Message\nm\nx\nMessageId\nid\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n" {
		t.Errorf("notification without subject: %q", got)
	}
	c := &envelope{Type: "SubscriptionConfirmation", MessageID: "id", TopicArn: "arn", Message: "m", Timestamp: "ts", Token: "tok", SubscribeURL: "u"}
	if got := string(c.stringToSign()); got != "Message\nm\nMessageId\nid\nSubscribeURL\nu\nTimestamp\nts\nToken\ntok\nTopicArn\narn\nType\nSubscriptionConfirmation\n" {
		t.Errorf("confirmation: %q", got)
	}
}

func TestJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "ctl\x00\x01\n\r\t", "<html>&", "héllo wörld ✓", "\u2028\u2029", "\ufffd"} {
		var b bytes.Buffer
		jsonString(&b, s)
		var back string
		if err := json.Unmarshal(b.Bytes(), &back); err != nil || back != s {
			t.Errorf("%q → %s → %q (%v)", s, b.String(), back, err)
		}
		if strings.ContainsAny(b.String(), "\n\r") {
			t.Errorf("%q: raw line break in %s", s, b.String())
		}
	}
}

func TestLimiterSpacing(t *testing.T) {
	l := &limiter{rate: 4}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 8; i++ {
		if at, want := l.reserve(t0), t0.Add(time.Duration(i)*250*time.Millisecond); !at.Equal(want) {
			t.Fatalf("reservation %d at %v, want %v", i, at.Sub(t0), want.Sub(t0))
		}
	}
	// After an idle period the limiter does not bank a burst.
	later := t0.Add(time.Minute)
	if at := l.reserve(later); !at.Equal(later) {
		t.Fatalf("after idling: %v", at.Sub(later))
	}
	if at := l.reserve(later); !at.Equal(later.Add(250 * time.Millisecond)) {
		t.Fatalf("second after idling: %v", at.Sub(later))
	}
}

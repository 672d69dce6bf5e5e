package console_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamsdk "github.com/aws/aws-sdk-go-v2/service/iam"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	smstypes "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
	snssdk "github.com/aws/aws-sdk-go-v2/service/sns"
	stssdk "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/duplexsms/duplex/internal/twoway"
)

var ctx = context.Background()

func numbersOf(t *testing.T, c *sms.Client) []smstypes.PhoneNumberInformation {
	t.Helper()
	out, err := c.DescribePhoneNumbers(ctx, &sms.DescribePhoneNumbersInput{})
	if err != nil {
		t.Fatal(err)
	}
	return out.PhoneNumbers
}

func requestNumber(t *testing.T, b *browser) smstypes.PhoneNumberInformation {
	t.Helper()
	r := b.post("/console/phone-numbers", url.Values{"IsoCountryCode": {"US"}, "NumberType": {"SIMULATOR"},
		"MessageType": {"TRANSACTIONAL"}, "NumberCapabilities": {"SMS"}})
	if r.Status != http.StatusSeeOther || r.Location != "/console/phone-numbers?done=requested" {
		t.Fatalf("request number: %d %q\n%s", r.Status, r.Location, r.Body)
	}
	nums := numbersOf(t, b.e.SMS(keyA, secretA))
	if len(nums) == 0 {
		t.Fatal("no number after the request")
	}
	return nums[len(nums)-1]
}

func TestSignIn(t *testing.T) {
	e := start(t, false)

	t.Run("wrong secret", func(t *testing.T) {
		b := e.browser()
		r := b.signIn(keyA, "not-the-secret")
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "is not correct") {
			t.Fatalf("got %d\n%s", r.Status, r.Body)
		}
		if b.get("/console/phone-numbers").Status != http.StatusSeeOther {
			t.Fatal("a failed sign-in gave a session")
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		r := e.browser().signIn("AKIANOSUCHKEY0000000", secretA)
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("got %d", r.Status)
		}
	})
	t.Run("another account's secret", func(t *testing.T) {
		if r := e.browser().signIn(keyA, secretB); r.Status != http.StatusUnauthorized {
			t.Fatalf("got %d", r.Status)
		}
	})
	t.Run("temporary credentials", func(t *testing.T) {
		if _, err := e.IAM(keyA, secretA).CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("admin"),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` +
				accountA + `:root"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
			t.Fatal(err)
		}
		out, err := stssdk.NewFromConfig(e.awsConfig(keyA, secretA)).AssumeRole(ctx, &stssdk.AssumeRoleInput{
			RoleArn: aws.String("arn:aws:iam::" + accountA + ":role/admin"), RoleSessionName: aws.String("console")})
		if err != nil {
			t.Fatal(err)
		}
		r := e.browser().signIn(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey)
		if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "Temporary (STS) credentials cannot sign in") {
			t.Fatalf("got %d\n%s", r.Status, r.Body)
		}
	})
	t.Run("no form token", func(t *testing.T) {
		b := e.browser()
		b.get("/console/signin")
		r := b.postRaw("/console/signin", url.Values{"accessKeyId": {keyA}, "secret": {secretA}}, e.URL)
		if r.Status != http.StatusForbidden {
			t.Fatalf("got %d", r.Status)
		}
	})
	t.Run("good secret", func(t *testing.T) {
		b := e.browser()
		req, _ := http.NewRequest("GET", e.URL+"/console/signin", nil)
		page := b.do(req)
		m := csrfRE.FindStringSubmatch(page.Body)
		r := b.postRaw("/console/signin", url.Values{"csrf": {m[1]}, "accessKeyId": {keyA}, "secret": {secretA},
			"next": {"/console/simulator"}}, e.URL)
		if r.Status != http.StatusSeeOther || r.Location != "/console/simulator" {
			t.Fatalf("got %d %q\n%s", r.Status, r.Location, r.Body)
		}
		var cookie string
		for _, c := range r.Header.Values("Set-Cookie") {
			if strings.HasPrefix(c, "duplex_console=") {
				cookie = c
			}
		}
		for _, attr := range []string{"HttpOnly", "SameSite=Lax", "Path=/console/"} {
			if !strings.Contains(cookie, attr) {
				t.Errorf("session cookie %q lacks %s", cookie, attr)
			}
		}
		if strings.Contains(cookie, secretA) || strings.Contains(cookie, keyA) {
			t.Errorf("session cookie %q carries the credentials", cookie)
		}
		p := b.get("/console/phone-numbers")
		if p.Status != 200 || !strings.Contains(p.Body, accountA) {
			t.Fatalf("phone numbers page: %d\n%s", p.Status, p.Body)
		}
		// Signing out ends the session on the server.
		cookies := b.c.Jar.Cookies(mustURL(e.URL + "/console/"))
		if r := b.post("/console/signout", url.Values{}); r.Status != http.StatusSeeOther {
			t.Fatalf("sign out: %d", r.Status)
		}
		replay := e.browser()
		replay.c.Jar.SetCookies(mustURL(e.URL+"/console/"), cookies)
		if r := replay.get("/console/phone-numbers"); r.Status != http.StatusSeeOther {
			t.Fatalf("the session cookie still works after signing out: %d", r.Status)
		}
	})
	t.Run("dev account hint", func(t *testing.T) {
		d := start(t, false, devAccount)
		p := d.browser().get("/console/signin")
		if !strings.Contains(p.Body, `value="test"`) {
			t.Fatalf("the dev account's key is not pre-filled:\n%s", p.Body)
		}
		if p := e.browser().get("/console/signin"); strings.Contains(p.Body, `value="test"`) || strings.Contains(p.Body, secretA) {
			t.Fatal("the sign-in page shows credentials without the dev defaults")
		}
		if r := d.browser().signIn("test", "test"); r.Status != http.StatusSeeOther {
			t.Fatalf("dev sign-in: %d", r.Status)
		}
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func TestUnauthenticated(t *testing.T) {
	e := start(t, false)
	b := e.browser()
	for _, p := range []string{"/console/", "/console/phone-numbers", "/console/simulator?customer=%2B14255550182"} {
		r := b.get(p)
		if p == "/console/" {
			if r.Status != http.StatusSeeOther {
				t.Fatalf("%s: %d", p, r.Status)
			}
			r = b.get(r.Location)
		}
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/console/signin?next=") {
			t.Errorf("%s: %d %q", p, r.Status, r.Location)
		}
	}
	r := b.get("/console/phone-numbers/phone-0123456789abcdef0123456789abcdef/two-way")
	if r.Location != "/console/signin?next="+url.QueryEscape("/console/phone-numbers/phone-0123456789abcdef0123456789abcdef/two-way") {
		t.Errorf("next: %q", r.Location)
	}
	// A POST without a session changes nothing.
	r = b.postRaw("/console/phone-numbers", url.Values{"IsoCountryCode": {"US"}, "NumberType": {"SIMULATOR"},
		"MessageType": {"TRANSACTIONAL"}, "NumberCapabilities": {"SMS"}}, e.URL)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/console/signin") {
		t.Errorf("POST without a session: %d %q", r.Status, r.Location)
	}
	if n := numbersOf(t, e.SMS(keyA, secretA)); len(n) != 0 {
		t.Fatalf("a POST without a session requested %d numbers", len(n))
	}
	// An open redirect through next is refused.
	c := e.browser()
	page := c.get("/console/signin?next=//evil.example/")
	m := csrfRE.FindStringSubmatch(page.Body)
	r = c.postRaw("/console/signin", url.Values{"csrf": {m[1]}, "accessKeyId": {keyA}, "secret": {secretA},
		"next": {"//evil.example/"}}, e.URL)
	if r.Location != "/console/phone-numbers" {
		t.Errorf("next=//evil.example/ redirected to %q", r.Location)
	}
}

func TestCSRF(t *testing.T) {
	e := start(t, false)
	b := e.browser()
	b.signIn(keyA, secretA)
	form := func(csrf string) url.Values {
		v := url.Values{"IsoCountryCode": {"US"}, "NumberType": {"SIMULATOR"}, "MessageType": {"TRANSACTIONAL"}, "NumberCapabilities": {"SMS"}}
		if csrf != "-" {
			v.Set("csrf", csrf)
		}
		return v
	}
	other := e.browser()
	other.signIn(keyB, secretB)
	cases := []struct {
		name   string
		form   url.Values
		origin string
	}{
		{"missing token", form("-"), e.URL},
		{"empty token", form(""), e.URL},
		{"wrong token", form(b.csrf[:len(b.csrf)-2] + "xx"), e.URL},
		{"another session's token", form(other.csrf), e.URL},
		{"right token, foreign origin", form(b.csrf), "https://evil.example"},
		{"right token, null origin", form(b.csrf), "null"},
	}
	for _, c := range cases {
		r := b.postRaw("/console/phone-numbers", c.form, c.origin)
		if r.Status != http.StatusForbidden {
			t.Errorf("%s: got %d, want 403", c.name, r.Status)
		}
	}
	// Foreign Referer without Origin.
	req, _ := http.NewRequest("POST", e.URL+"/console/phone-numbers", strings.NewReader(form(b.csrf).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", "https://evil.example/page")
	if r := b.do(req); r.Status != http.StatusForbidden {
		t.Errorf("foreign referer: got %d", r.Status)
	}
	if n := numbersOf(t, e.SMS(keyA, secretA)); len(n) != 0 {
		t.Fatalf("refused requests requested %d numbers", len(n))
	}
	// Every other POST route checks too: release with a wrong token leaves
	// the number.
	num := requestNumber(t, b)
	r := b.postRaw("/console/phone-numbers/"+*num.PhoneNumberId+"/release", url.Values{"csrf": {"nope"}}, e.URL)
	if r.Status != http.StatusForbidden {
		t.Errorf("release with a wrong token: %d", r.Status)
	}
	r = b.postRaw("/console/phone-numbers/"+*num.PhoneNumberId+"/two-way/edit", url.Values{"TwoWayEnabled": {"true"},
		"Destination": {"sns"}, "Topic": {"new"}, "NewTopicName": {"x"}, "RoleChoice": {"topic-policy"}}, e.URL)
	if r.Status != http.StatusForbidden {
		t.Errorf("two-way save without a token: %d", r.Status)
	}
	if n := numbersOf(t, e.SMS(keyA, secretA)); len(n) != 1 || n[0].TwoWayEnabled {
		t.Fatalf("refused requests changed the numbers: %+v", n)
	}
	topics, err := e.SNS(keyA, secretA).ListTopics(ctx, &snssdk.ListTopicsInput{})
	if err != nil || len(topics.Topics) != 0 {
		t.Fatalf("refused requests created topics: %v %v", topics, err)
	}
}

func TestRequestAndReleaseNumber(t *testing.T) {
	e := start(t, false)
	b := e.browser()
	b.signIn(keyA, secretA)

	// Validation errors of the API show next to the field they concern.
	r := b.post("/console/phone-numbers", url.Values{"IsoCountryCode": {"DE"}, "NumberType": {"SIMULATOR"},
		"MessageType": {"TRANSACTIONAL"}, "NumberCapabilities": {"SMS"}})
	if r.Status != http.StatusBadRequest || fieldError(r.Body, "IsoCountryCode") == "" {
		t.Fatalf("SIMULATOR in DE: %d, IsoCountryCode error %q\n%s", r.Status, fieldError(r.Body, "IsoCountryCode"), r.Body)
	}
	r = b.post("/console/phone-numbers", url.Values{"IsoCountryCode": {"US"}, "NumberType": {"SIMULATOR"}, "MessageType": {"TRANSACTIONAL"}})
	if r.Status != http.StatusBadRequest || fieldError(r.Body, "NumberCapabilities") == "" {
		t.Fatalf("no capabilities (the model's rule): %d\n%s", r.Status, r.Body)
	}
	if !strings.Contains(r.Body, `value="US" selected`) {
		t.Error("the form lost what was entered")
	}
	if n := numbersOf(t, e.SMS(keyA, secretA)); len(n) != 0 {
		t.Fatalf("refused requests requested %d numbers", len(n))
	}

	num := requestNumber(t, b)
	list := b.get("/console/phone-numbers?done=requested")
	for _, want := range []string{*num.PhoneNumber, "Phone number requested.", "SIMULATOR", "ACTIVE", "TRANSACTIONAL"} {
		if !strings.Contains(list.Body, want) {
			t.Errorf("the list lacks %q", want)
		}
	}
	detail := b.get("/console/phone-numbers/" + *num.PhoneNumberId)
	if detail.Status != 200 || !strings.Contains(detail.Body, *num.PhoneNumberArn) {
		t.Fatalf("detail: %d", detail.Status)
	}
	// Account B cannot see or release A's number.
	other := e.browser()
	other.signIn(keyB, secretB)
	if r := other.get("/console/phone-numbers/" + *num.PhoneNumberId); r.Status != http.StatusNotFound {
		t.Errorf("B sees A's number: %d", r.Status)
	}
	if r := other.post("/console/phone-numbers/"+*num.PhoneNumberId+"/release", url.Values{}); r.Status != http.StatusNotFound {
		t.Errorf("B releases A's number: %d", r.Status)
	}
	// Deletion protection (set through the API) is the API's refusal, shown.
	a := e.SMS(keyA, secretA)
	if _, err := a.UpdatePhoneNumber(ctx, &sms.UpdatePhoneNumberInput{PhoneNumberId: num.PhoneNumberId, DeletionProtectionEnabled: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	r = b.post("/console/phone-numbers/"+*num.PhoneNumberId+"/release", url.Values{})
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "DELETION_PROTECTION_ENABLED") {
		t.Fatalf("release with deletion protection: %d\n%s", r.Status, r.Body)
	}
	if _, err := a.UpdatePhoneNumber(ctx, &sms.UpdatePhoneNumberInput{PhoneNumberId: num.PhoneNumberId, DeletionProtectionEnabled: aws.Bool(false)}); err != nil {
		t.Fatal(err)
	}
	r = b.post("/console/phone-numbers/"+*num.PhoneNumberId+"/release", url.Values{})
	if r.Status != http.StatusSeeOther || r.Location != "/console/phone-numbers?done=released" {
		t.Fatalf("release: %d %q\n%s", r.Status, r.Location, r.Body)
	}
	if n := numbersOf(t, a); len(n) != 0 {
		t.Fatalf("still %d numbers after the release", len(n))
	}
}

func TestTwoWayValidation(t *testing.T) {
	e := start(t, false)
	b := e.browser()
	b.signIn(keyA, secretA)
	num := requestNumber(t, b)
	path := "/console/phone-numbers/" + *num.PhoneNumberId + "/two-way/edit"

	edit := b.get(path)
	for _, want := range []string{"Enable two-way message", "Destination type", "Amazon SNS", "Amazon Connect",
		"New Amazon SNS topic", "Existing Amazon SNS topic", "Incoming messages destination", "Two-way channel role",
		"Choose existing IAM role", "Use Amazon SNS topic policies", "Save changes"} {
		if !strings.Contains(edit.Body, want) {
			t.Errorf("the edit page lacks %q", want)
		}
	}

	// Enable two-way on an existing topic without choosing one: the API's
	// TWO_WAY_CHANNEL_NOT_PRESENT, next to the topic dropdown.
	r := b.post(path, url.Values{"TwoWayEnabled": {"true"}, "Destination": {"sns"}, "Topic": {"existing"},
		"TwoWayChannelArn": {""}, "RoleChoice": {"topic-policy"}})
	if r.Status != http.StatusBadRequest {
		t.Fatalf("got %d\n%s", r.Status, r.Body)
	}
	if msg := fieldError(r.Body, "TwoWayChannelArn"); !strings.Contains(msg, "required when TwoWayEnabled is true") {
		t.Fatalf("TwoWayChannelArn error %q\n%s", msg, r.Body)
	}
	if !strings.Contains(r.Body, `aria-describedby="err-TwoWayChannelArn"`) {
		t.Error("the dropdown does not point at its error")
	}
	// A topic ARN the API does not accept: the API's INVALID_ARN, same place.
	r = b.post(path, url.Values{"TwoWayEnabled": {"true"}, "Destination": {"sns"}, "Topic": {"existing"},
		"TwoWayChannelArn": {"arn:aws:s3:::not-a-topic-at-all"}, "RoleChoice": {"topic-policy"}})
	if msg := fieldError(r.Body, "TwoWayChannelArn"); r.Status != 400 || !strings.Contains(msg, "not an SNS topic ARN") {
		t.Fatalf("invalid ARN: %d %q", r.Status, msg)
	}
	// A role that is not a role ARN: next to the role dropdown.
	r = b.post(path, url.Values{"TwoWayEnabled": {"true"}, "Destination": {"sns"}, "Topic": {"existing"},
		"TwoWayChannelArn": {"arn:aws:sns:us-east-1:" + accountA + ":t"}, "RoleChoice": {"role"},
		"TwoWayChannelRole": {"arn:aws:iam::" + accountA + ":user/not-a-role"}})
	if msg := fieldError(r.Body, "TwoWayChannelRole"); r.Status != 400 || msg == "" {
		t.Fatalf("invalid role: %d %q\n%s", r.Status, msg, r.Body)
	}
	// Choose existing IAM role without choosing one.
	r = b.post(path, url.Values{"TwoWayEnabled": {"true"}, "Destination": {"sns"}, "Topic": {"existing"},
		"TwoWayChannelArn": {"arn:aws:sns:us-east-1:" + accountA + ":t"}, "RoleChoice": {"role"}})
	if msg := fieldError(r.Body, "TwoWayChannelRole"); r.Status != 400 || msg == "" {
		t.Fatalf("no role: %d %q", r.Status, msg)
	}
	// A new topic with a name SNS refuses: next to the name.
	r = b.post(path, url.Values{"TwoWayEnabled": {"true"}, "Destination": {"sns"}, "Topic": {"new"},
		"NewTopicName": {"no spaces allowed"}, "RoleChoice": {"topic-policy"}})
	if msg := fieldError(r.Body, "NewTopicName"); r.Status != 400 || msg == "" {
		t.Fatalf("bad topic name: %d %q\n%s", r.Status, msg, r.Body)
	}
	// Amazon Connect without a role: Connect receives messages through a
	// role only; nothing is saved.
	r = b.post(path, url.Values{"TwoWayEnabled": {"true"}, "Destination": {"connect"}, "RoleChoice": {"role"}})
	if msg := fieldError(r.Body, "TwoWayChannelRole"); r.Status != 400 || !strings.Contains(msg, "connect:SendChatIntegrationEvent") {
		t.Fatalf("connect without a role: %d %q\n%s", r.Status, msg, r.Body)
	}
	n := numbersOf(t, e.SMS(keyA, secretA))[0]
	if n.TwoWayEnabled || n.TwoWayChannelArn != nil {
		t.Fatalf("refused saves changed the number: %+v", n)
	}
	if topics, _ := e.SNS(keyA, secretA).ListTopics(ctx, &snssdk.ListTopicsInput{}); len(topics.Topics) != 0 {
		t.Fatalf("refused saves created topics: %v", topics.Topics)
	}
}

// TestTwoWayTopicPolicy is the seed's console flow with a new topic and
// topic policies, then a text from the simulator reaching a subscriber.
func TestTwoWayTopicPolicy(t *testing.T) {
	e := start(t, false)
	b := e.browser()
	b.signIn(keyA, secretA)
	num := requestNumber(t, b)
	path := "/console/phone-numbers/" + *num.PhoneNumberId + "/two-way/edit"
	topicArn := "arn:aws:sns:us-east-1:" + accountA + ":inbound-a"

	r := b.post(path, url.Values{"TwoWayEnabled": {"true"}, "Destination": {"sns"}, "Topic": {"new"},
		"NewTopicName": {"inbound-a"}, "RoleChoice": {"topic-policy"}})
	if r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Location, "/two-way?done=saved") {
		t.Fatalf("save: %d %q\n%s", r.Status, r.Location, r.Body)
	}
	n := numbersOf(t, e.SMS(keyA, secretA))[0]
	if !n.TwoWayEnabled || aws.ToString(n.TwoWayChannelArn) != topicArn || aws.ToString(n.TwoWayChannelRole) != "" {
		t.Fatalf("number after save: enabled %v arn %q role %q", n.TwoWayEnabled, aws.ToString(n.TwoWayChannelArn), aws.ToString(n.TwoWayChannelRole))
	}
	tab := b.get(r.Location)
	if !strings.Contains(tab.Body, "Two-way settings saved.") || !strings.Contains(tab.Body, topicArn) ||
		!strings.Contains(tab.Body, "Amazon SNS topic policies") {
		t.Fatalf("two-way tab:\n%s", tab.Body)
	}

	// The topic policy: the default statement plus sms-voice's, limited to
	// this account's resources.
	snsA := e.SNS(keyA, secretA)
	attrs, err := snsA.GetTopicAttributes(ctx, &snssdk.GetTopicAttributesInput{TopicArn: &topicArn})
	if err != nil {
		t.Fatal(err)
	}
	var pol struct {
		Statement []struct {
			Sid       string
			Principal map[string]any
			Action    any
			Resource  string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(attrs.Attributes["Policy"]), &pol); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, s := range pol.Statement {
		if s.Principal["Service"] == "sms-voice.amazonaws.com" {
			found = true
			if s.Action != "sns:Publish" || s.Resource != topicArn || s.Condition["StringEquals"]["aws:SourceAccount"] != accountA ||
				s.Condition["ArnLike"]["aws:SourceArn"] != "arn:aws:sms-voice:us-east-1:"+accountA+":*" {
				t.Errorf("sms-voice statement: %+v", s)
			}
		}
	}
	if !found || len(pol.Statement) != 2 {
		t.Fatalf("topic policy: %s", attrs.Attributes["Policy"])
	}

	// A customer texts the number from the simulator; the subscriber gets
	// the seed's payload.
	sub := newSubscriber(t)
	if _, err := snsA.Subscribe(ctx, &snssdk.SubscribeInput{TopicArn: &topicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)}); err != nil {
		t.Fatal(err)
	}
	wait(t, sub.confirmed, "subscription confirmation")
	sim := b.get("/console/simulator?customer=%2B14255550182&number=" + url.QueryEscape(*num.PhoneNumber))
	if sim.Status != 200 || !strings.Contains(sim.Body, "data-poll=") {
		t.Fatalf("simulator: %d\n%s", sim.Status, sim.Body)
	}
	r = b.post("/console/simulator/send", url.Values{"customer": {"+14255550182"}, "number": {*num.PhoneNumber}, "body": {"Table for two?"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("simulator send: %d\n%s", r.Status, r.Body)
	}
	note := wait(t, sub.notes, "notification")
	var payload twoway.Payload
	if err := json.Unmarshal([]byte(note.Message), &payload); err != nil {
		t.Fatalf("payload %q: %v", note.Message, err)
	}
	if payload.OriginationNumber != "+14255550182" || payload.DestinationNumber != *num.PhoneNumber || payload.MessageBody != "Table for two?" {
		t.Fatalf("payload %+v", payload)
	}
	// The inbound tab shows it delivered.
	eventually(t, "DELIVERED on the inbound tab", func() bool {
		return strings.Contains(b.get("/console/phone-numbers/"+*num.PhoneNumberId+"/inbound/table").Body, "DELIVERED")
	})
	// STOP from the simulator: the automatic reply shows in the thread and
	// the customer is on the opt-out list tab.
	b.post("/console/simulator/send", url.Values{"customer": {"+14255550182"}, "number": {*num.PhoneNumber}, "body": {"STOP"}})
	eventually(t, "the STOP reply in the thread", func() bool {
		th := b.get("/console/simulator/thread?customer=%2B14255550182&number=" + url.QueryEscape(*num.PhoneNumber))
		return strings.Count(th.Body, "msg-app") >= 1 && strings.Contains(th.Body, "Table for two?")
	})
	optouts := b.get("/console/phone-numbers/" + *num.PhoneNumberId + "/opt-outs")
	if !strings.Contains(optouts.Body, "+14255550182") {
		t.Fatalf("opt-outs tab:\n%s", optouts.Body)
	}
	r = b.post("/console/phone-numbers/"+*num.PhoneNumberId+"/opt-outs/delete", url.Values{"OptedOutNumber": {"+14255550182"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("remove opt-out: %d\n%s", r.Status, r.Body)
	}
	out, err := e.SMS(keyA, secretA).DescribeOptedOutNumbers(ctx, &sms.DescribeOptedOutNumbersInput{OptOutListName: aws.String("Default")})
	if err != nil || len(out.OptedOutNumbers) != 0 {
		t.Fatalf("opted out after removal: %v %v", out, err)
	}
}

// TestTwoWayRole saves an existing topic with an existing IAM role; a role
// whose trust policy names another account makes inbound delivery fail
// with the policy's explanation on the inbound tab; after the trust policy
// is fixed, Redrive delivers.
func TestTwoWayRole(t *testing.T) {
	e := start(t, true)
	b := e.browser()
	b.signIn(keyA, secretA)
	num := requestNumber(t, b)
	snsA, iamA := e.SNS(keyA, secretA), e.IAM(keyA, secretA)
	topic, err := snsA.CreateTopic(ctx, &snssdk.CreateTopicInput{Name: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	role, err := iamA.CreateRole(ctx, &iamsdk.CreateRoleInput{RoleName: aws.String("SMSVoiceTwoWay"),
		AssumeRolePolicyDocument: aws.String(trustPolicy("999999999999"))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iamA.PutRolePolicy(ctx, &iamsdk.PutRolePolicyInput{RoleName: aws.String("SMSVoiceTwoWay"), PolicyName: aws.String("publish"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"` + *topic.TopicArn + `"}]}`)}); err != nil {
		t.Fatal(err)
	}
	path := "/console/phone-numbers/" + *num.PhoneNumberId + "/two-way/edit"
	edit := b.get(path)
	if !strings.Contains(edit.Body, *topic.TopicArn) || !strings.Contains(edit.Body, *role.Role.Arn) {
		t.Fatalf("the dropdowns lack the topic or the role:\n%s", edit.Body)
	}
	r := b.post(path, url.Values{"TwoWayEnabled": {"true"}, "Destination": {"sns"}, "Topic": {"existing"},
		"TwoWayChannelArn": {*topic.TopicArn}, "RoleChoice": {"role"}, "TwoWayChannelRole": {*role.Role.Arn}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.Status, r.Body)
	}
	n := numbersOf(t, e.SMS(keyA, secretA))[0]
	if !n.TwoWayEnabled || aws.ToString(n.TwoWayChannelArn) != *topic.TopicArn || aws.ToString(n.TwoWayChannelRole) != *role.Role.Arn {
		t.Fatalf("number after save: %+v", n)
	}
	sub := newSubscriber(t)
	if _, err := snsA.Subscribe(ctx, &snssdk.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)}); err != nil {
		t.Fatal(err)
	}
	wait(t, sub.confirmed, "subscription confirmation")

	b.post("/console/simulator/send", url.Values{"customer": {"+14255550182"}, "number": {*num.PhoneNumber}, "body": {"Where is my order?"}})
	inbound := "/console/phone-numbers/" + *num.PhoneNumberId + "/inbound"
	var page string
	eventually(t, "FAILED on the inbound tab", func() bool {
		page = b.get(inbound).Body
		return strings.Contains(page, "FAILED")
	})
	if !strings.Contains(page, "could not assume "+*role.Role.Arn) || !strings.Contains(page, "Redrive") {
		t.Fatalf("inbound tab does not explain the failure:\n%s", page)
	}
	msgs, _ := e.Srv.Inbound.List(ctx, "", *num.PhoneNumber, 10)
	if len(msgs) != 1 {
		t.Fatalf("inbound messages: %+v", msgs)
	}
	id := msgs[0].InboundMessageID
	// Account B cannot redrive A's message.
	other := e.browser()
	other.signIn(keyB, secretB)
	if r := other.post("/console/phone-numbers/"+*num.PhoneNumberId+"/inbound/redrive", url.Values{"inboundMessageId": {id}}); r.Status != http.StatusNotFound {
		t.Errorf("B redrives A's message: %d", r.Status)
	}

	if _, err := iamA.UpdateAssumeRolePolicy(ctx, &iamsdk.UpdateAssumeRolePolicyInput{RoleName: aws.String("SMSVoiceTwoWay"),
		PolicyDocument: aws.String(trustPolicy(accountA))}); err != nil {
		t.Fatal(err)
	}
	r = b.post(inbound+"/redrive", url.Values{"inboundMessageId": {id}})
	if r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Location, "done=redriven") {
		t.Fatalf("redrive: %d %q\n%s", r.Status, r.Location, r.Body)
	}
	note := wait(t, sub.notes, "notification after the redrive")
	if !strings.Contains(note.Message, "Where is my order?") || !strings.Contains(note.Message, id) {
		t.Fatalf("notification %q", note.Message)
	}
	eventually(t, "DELIVERED on the inbound tab", func() bool {
		return strings.Contains(b.get(inbound+"/table").Body, "DELIVERED")
	})

	// Back to topic policies on the same number: the role is cleared.
	r = b.post(path, url.Values{"TwoWayEnabled": {"true"}, "Destination": {"sns"}, "Topic": {"existing"},
		"TwoWayChannelArn": {*topic.TopicArn}, "RoleChoice": {"topic-policy"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save topic policies: %d\n%s", r.Status, r.Body)
	}
	if n := numbersOf(t, e.SMS(keyA, secretA))[0]; aws.ToString(n.TwoWayChannelRole) != "" {
		t.Fatalf("role after choosing topic policies: %q", aws.ToString(n.TwoWayChannelRole))
	}
	// And disabling two-way.
	r = b.post(path, url.Values{"Destination": {"sns"}})
	if n := numbersOf(t, e.SMS(keyA, secretA))[0]; r.Status != http.StatusSeeOther || n.TwoWayEnabled {
		t.Fatalf("disable: %d %v", r.Status, n.TwoWayEnabled)
	}
}

func trustPolicy(account string) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"SMSVoice","Effect":"Allow","Principal":{"Service":"sms-voice.amazonaws.com"},` +
		`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"` + account + `"}}}]}`
}

func TestKeywords(t *testing.T) {
	e := start(t, false)
	b := e.browser()
	b.signIn(keyA, secretA)
	num := requestNumber(t, b)
	path := "/console/phone-numbers/" + *num.PhoneNumberId + "/keywords"
	page := b.get(path)
	if !strings.Contains(page.Body, "STOP") || !strings.Contains(page.Body, "HELP") {
		t.Fatalf("default keywords missing:\n%s", page.Body)
	}
	r := b.post(path, url.Values{"Keyword": {"hours"}, "KeywordMessage": {"Open 9-5"}, "KeywordAction": {"AUTOMATIC_RESPONSE"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("put keyword: %d\n%s", r.Status, r.Body)
	}
	if p := b.get(path); !strings.Contains(p.Body, "HOURS") || !strings.Contains(p.Body, "Open 9-5") {
		t.Fatal("the new keyword is not listed")
	}
	// The model's rule: a message is required.
	r = b.post(path, url.Values{"Keyword": {"JOIN"}, "KeywordMessage": {""}, "KeywordAction": {"OPT_IN"}})
	if r.Status != 400 || fieldError(r.Body, "KeywordMessage") == "" {
		t.Fatalf("empty message: %d\n%s", r.Status, r.Body)
	}
	// The service's rule: STOP cannot be deleted.
	r = b.post(path+"/delete", url.Values{"Keyword": {"STOP"}})
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "cannot be deleted") {
		t.Fatalf("delete STOP: %d\n%s", r.Status, r.Body)
	}
	r = b.post(path+"/delete", url.Values{"Keyword": {"HOURS"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d\n%s", r.Status, r.Body)
	}
	out, err := e.SMS(keyA, secretA).DescribeKeywords(ctx, &sms.DescribeKeywordsInput{OriginationIdentity: num.PhoneNumberId})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range out.Keywords {
		if *k.Keyword == "HOURS" {
			t.Fatal("HOURS still there")
		}
	}
}

func TestStaticAndHeaders(t *testing.T) {
	e := start(t, false)
	b := e.browser()
	for _, p := range []string{"/console/static/console.css", "/console/static/console.js"} {
		if r := b.get(p); r.Status != 200 || len(r.Body) < 100 {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
	r := b.get("/console/signin")
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if strings.Contains(r.Body, "<script>") || strings.Contains(r.Body, "style=") || strings.Contains(r.Body, "onclick") {
		t.Error("inline script or style on the sign-in page")
	}
	// Every input has a label.
	b.signIn(keyA, secretA)
	num := requestNumber(t, b)
	for _, p := range []string{"/console/phone-numbers", "/console/phone-numbers/" + *num.PhoneNumberId + "/two-way/edit",
		"/console/phone-numbers/" + *num.PhoneNumberId + "/keywords", "/console/simulator"} {
		checkLabels(t, p, b.get(p).Body)
	}
}

// checkLabels checks that every visible input, select and textarea with an
// id has a <label for=id>, and every checkbox or radio sits in a label.
func checkLabels(t *testing.T, path, body string) {
	t.Helper()
	for _, m := range inputRE.FindAllStringSubmatch(body, -1) {
		tag := m[0]
		if strings.Contains(tag, `type="hidden"`) {
			continue
		}
		if strings.Contains(tag, `type="checkbox"`) || strings.Contains(tag, `type="radio"`) {
			continue // wrapped in <label class="check">, checked below
		}
		id := idRE.FindStringSubmatch(tag)
		if id == nil {
			t.Errorf("%s: %s has no id (and so no label)", path, tag)
			continue
		}
		if !strings.Contains(body, `<label for="`+id[1]+`"`) {
			t.Errorf("%s: no label for #%s", path, id[1])
		}
	}
	if n, w := strings.Count(body, `type="checkbox"`)+strings.Count(body, `type="radio"`),
		strings.Count(body, `<label class="check"`); n != w {
		t.Errorf("%s: %d checkboxes and radios, %d wrapping labels", path, n, w)
	}
}

var (
	inputRE = regexpMust(`<(input|select|textarea)\b[^>]*>`)
	idRE    = regexpMust(`\bid="([^"]+)"`)
)

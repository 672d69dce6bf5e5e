package sns_test

import (
	"context"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/duplexsms/duplex/internal/e2e"
)

// subscribeConfirmed subscribes sub's endpoint (path suffix p) to a topic
// and confirms through the SubscribeURL, as a real endpoint does.
func subscribeConfirmed(t *testing.T, h *e2e.Harness, c *sns.Client, topicArn string, sub *subscriber, p string, attrs map[string]string) string {
	t.Helper()
	ctx := context.Background()
	out, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topicArn), Protocol: aws.String("http"),
		Endpoint: aws.String(sub.URL + p), Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.SubscriptionArn) != "pending confirmation" {
		t.Fatalf("Subscribe returned %q", aws.ToString(out.SubscriptionArn))
	}
	conf := sub.confirmation(topicArn)
	status, body := visit(t, h, conf.str("SubscribeURL"))
	if status != 200 || !strings.Contains(body, "<ConfirmSubscriptionResponse") {
		t.Fatalf("SubscribeURL: %d %s", status, body)
	}
	i := strings.Index(body, "<SubscriptionArn>")
	j := strings.Index(body, "</SubscriptionArn>")
	return body[i+len("<SubscriptionArn>") : j]
}

func TestHTTPDelivery(t *testing.T) { onBackends(t, testHTTPDelivery) }

func testHTTPDelivery(t *testing.T, backend e2e.Backend) {
	h := e2e.Start(t, backend)
	ctx := context.Background()
	a := client(h, e2e.KeyA)
	sub := newSubscriber(t)
	tp, err := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("deliveries")})
	if err != nil {
		t.Fatal(err)
	}
	topicArn := aws.ToString(tp.TopicArn)

	out, err := a.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)})
	if err != nil || aws.ToString(out.SubscriptionArn) != "pending confirmation" {
		t.Fatalf("Subscribe: %v %v", out, err)
	}
	conf := sub.confirmation(topicArn)
	// The confirmation request as SNS sends it.
	hd := conf.Header
	for k, v := range map[string]string{"x-amz-sns-message-type": "SubscriptionConfirmation", "x-amz-sns-topic-arn": topicArn,
		"Content-Type": "text/plain; charset=UTF-8", "User-Agent": "Amazon Simple Notification Service Agent"} {
		if hd.Get(k) != v {
			t.Errorf("confirmation header %s = %q, want %q", k, hd.Get(k), v)
		}
	}
	if hd.Get("x-amz-sns-message-id") != conf.str("MessageId") || hd.Get("x-amz-sns-subscription-arn") != "" {
		t.Errorf("confirmation headers %v", hd)
	}
	if got := strs(envelopeKeys(t, conf.Body)...); got != "Type,MessageId,Token,TopicArn,Message,SubscribeURL,Timestamp,SignatureVersion,Signature,SigningCertURL" {
		t.Errorf("confirmation members %s", got)
	}
	if !strings.HasPrefix(conf.str("Message"), "You have chosen to subscribe to the topic "+topicArn) {
		t.Errorf("confirmation Message %q", conf.str("Message"))
	}
	verifySignature(t, h, conf)
	su, _ := url.Parse(conf.str("SubscribeURL"))
	if su.Query().Get("Token") != conf.str("Token") || su.Query().Get("TopicArn") != topicArn || !strings.HasPrefix(conf.str("SubscribeURL"), h.URL+"/") {
		t.Errorf("SubscribeURL %q", conf.str("SubscribeURL"))
	}

	// Pending: listed as PendingConfirmation, and nothing is delivered to it.
	ls, err := a.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: tp.TopicArn})
	if err != nil || len(ls.Subscriptions) != 1 || aws.ToString(ls.Subscriptions[0].SubscriptionArn) != "PendingConfirmation" {
		t.Fatalf("pending listing %+v %v", ls, err)
	}
	if _, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("before confirmation")}); err != nil {
		t.Fatal(err)
	}
	drain(t, h)

	status, body := visit(t, h, conf.str("SubscribeURL"))
	if status != 200 || !strings.Contains(body, "<SubscriptionArn>"+topicArn+":") {
		t.Fatalf("confirm: %d %s", status, body)
	}
	subArn := body[strings.Index(body, "<SubscriptionArn>")+len("<SubscriptionArn>") : strings.Index(body, "</SubscriptionArn>")]
	ga, err := a.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subArn)})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"PendingConfirmation": "false", "ConfirmationWasAuthenticated": "false", "RawMessageDelivery": "false",
		"Protocol": "http", "Endpoint": sub.URL, "TopicArn": topicArn, "Owner": e2e.AccountA, "SubscriptionArn": subArn} {
		if ga.Attributes[k] != v {
			t.Errorf("subscription attribute %s = %q, want %q", k, ga.Attributes[k], v)
		}
	}
	if !strings.Contains(ga.Attributes["EffectiveDeliveryPolicy"], `"healthyRetryPolicy":{"minDelayTarget":20`) {
		t.Errorf("EffectiveDeliveryPolicy %s", ga.Attributes["EffectiveDeliveryPolicy"])
	}
	tattr, _ := a.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: tp.TopicArn})
	if tattr.Attributes["SubscriptionsConfirmed"] != "1" || tattr.Attributes["SubscriptionsPending"] != "0" {
		t.Errorf("topic counts %v", tattr.Attributes)
	}

	// A notification with subject and every attribute type, SignatureVersion 1.
	pub, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("hello <world> & \"you\""), Subject: aws.String("Greetings"),
		MessageAttributes: map[string]types.MessageAttributeValue{
			"s":   {DataType: aws.String("String"), StringValue: aws.String("v")},
			"n":   {DataType: aws.String("Number"), StringValue: aws.String("42.5")},
			"b":   {DataType: aws.String("Binary"), BinaryValue: []byte{0, 1, 2, 255}},
			"arr": {DataType: aws.String("String.Array"), StringValue: aws.String(`["x",1,true]`)},
		}})
	if err != nil {
		t.Fatal(err)
	}
	got := sub.waitFor("the first notification", func(g []received) bool { return len(ofType(g, "Notification")) >= 1 })
	notes := ofType(got, "Notification")
	if len(notes) != 1 || notes[0].str("Message") != "hello <world> & \"you\"" {
		t.Fatalf("notifications %s (the one published before confirming must not arrive)", summary(notes))
	}
	n := notes[0]
	for k, v := range map[string]string{"x-amz-sns-message-type": "Notification", "x-amz-sns-message-id": aws.ToString(pub.MessageId),
		"x-amz-sns-topic-arn": topicArn, "x-amz-sns-subscription-arn": subArn, "Content-Type": "text/plain; charset=UTF-8",
		"User-Agent": "Amazon Simple Notification Service Agent"} {
		if n.Header.Get(k) != v {
			t.Errorf("notification header %s = %q, want %q", k, n.Header.Get(k), v)
		}
	}
	if got := strs(envelopeKeys(t, n.Body)...); got != "Type,MessageId,TopicArn,Subject,Message,Timestamp,SignatureVersion,Signature,SigningCertURL,UnsubscribeURL,MessageAttributes" {
		t.Errorf("notification members %s", got)
	}
	if n.str("MessageId") != aws.ToString(pub.MessageId) || n.str("Subject") != "Greetings" || n.str("SignatureVersion") != "1" || n.str("TopicArn") != topicArn {
		t.Errorf("notification %s", n.Body)
	}
	attrs, _ := n.Env["MessageAttributes"].(map[string]any)
	wantAttrs := map[string][2]string{"s": {"String", "v"}, "n": {"Number", "42.5"}, "b": {"Binary", base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 255})},
		"arr": {"String.Array", `["x",1,true]`}}
	for k, v := range wantAttrs {
		a, _ := attrs[k].(map[string]any)
		if a["Type"] != v[0] || a["Value"] != v[1] {
			t.Errorf("MessageAttributes[%s] = %v, want %v", k, a, v)
		}
	}
	if strings.Contains(string(n.Body), `\u003c`) {
		t.Errorf("envelope escapes HTML: %s", n.Body)
	}
	verifySignature(t, h, n)

	// SignatureVersion 2; no Subject; MessageStructure json picks the http variant.
	if _, err := a.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: tp.TopicArn, AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, MessageStructure: aws.String("json"),
		Message: aws.String(`{"default":"for everyone","http":"for http","https":"for https"}`)}); err != nil {
		t.Fatal(err)
	}
	got = sub.waitFor("the v2 notification", func(g []received) bool { return contains(messages(g), "for http") })
	for _, g := range ofType(got, "Notification") {
		if g.str("Message") == "for http" {
			if g.str("SignatureVersion") != "2" {
				t.Fatalf("SignatureVersion %q", g.str("SignatureVersion"))
			}
			if _, has := g.Env["Subject"]; has {
				t.Errorf("Subject present without one: %s", g.Body)
			}
			verifySignature(t, h, g)
		}
	}
	if contains(messages(got), "for everyone") {
		t.Errorf("the default variant went to an http endpoint")
	}

	// Raw delivery.
	if _, err := a.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(subArn),
		AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("true")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String(`{"raw":true}`)}); err != nil {
		t.Fatal(err)
	}
	got = sub.waitFor("the raw notification", func(g []received) bool { return contains(messages(g), `{"raw":true}`) })
	for _, g := range got {
		if string(g.Body) == `{"raw":true}` && (g.Header.Get("x-amz-sns-rawdelivery") != "true" || g.typ() != "Notification" ||
			g.Header.Get("x-amz-sns-subscription-arn") != subArn) {
			t.Errorf("raw delivery headers %v", g.Header)
		}
	}
	if _, err := a.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(subArn),
		AttributeName: aws.String("RawMessageDelivery"), AttributeValue: aws.String("false")}); err != nil {
		t.Fatal(err)
	}

	// A second endpoint stays subscribed throughout, as a witness.
	witness := newSubscriber(t)
	subscribeConfirmed(t, h, a, topicArn, witness, "", nil)

	// Unsubscribe through the UnsubscribeURL of a notification.
	if _, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("last before unsubscribe")}); err != nil {
		t.Fatal(err)
	}
	got = sub.waitFor("the last notification", func(g []received) bool { return contains(messages(g), "last before unsubscribe") })
	var unsubURL string
	for _, g := range ofType(got, "Notification") {
		if g.str("Message") == "last before unsubscribe" {
			unsubURL = g.str("UnsubscribeURL")
		}
	}
	status, body = visit(t, h, unsubURL)
	if status != 200 || !strings.Contains(body, "<UnsubscribeResponse") {
		t.Fatalf("UnsubscribeURL: %d %s", status, body)
	}
	got = sub.waitFor("the UnsubscribeConfirmation", func(g []received) bool { return len(ofType(g, "UnsubscribeConfirmation")) == 1 })
	uc := ofType(got, "UnsubscribeConfirmation")[0]
	if uc.Header.Get("x-amz-sns-subscription-arn") != subArn || !strings.Contains(uc.str("Message"), subArn) {
		t.Errorf("UnsubscribeConfirmation %v %s", uc.Header, uc.Body)
	}
	verifySignature(t, h, uc)
	if _, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("after unsubscribe")}); err != nil {
		t.Fatal(err)
	}
	witness.waitFor("the witness's copy", func(g []received) bool { return contains(messages(g), "after unsubscribe") })
	drain(t, h)
	if contains(messages(sub.all()), "after unsubscribe") {
		t.Fatalf("delivered after unsubscribing")
	}
	_, err = a.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: aws.String(subArn)})
	apiError(t, err, "NotFound")
	tattr, _ = a.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: tp.TopicArn})
	if tattr.Attributes["SubscriptionsDeleted"] != "1" {
		t.Errorf("SubscriptionsDeleted %q", tattr.Attributes["SubscriptionsDeleted"])
	}

	// The UnsubscribeConfirmation's SubscribeURL restores the subscription.
	status, body = visit(t, h, uc.str("SubscribeURL"))
	if status != 200 || !strings.Contains(body, subArn) {
		t.Fatalf("restore: %d %s", status, body)
	}
	if _, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("after restore")}); err != nil {
		t.Fatal(err)
	}
	sub.waitFor("the message after restoring", func(g []received) bool { return contains(messages(g), "after restore") })

	// Unsubscribe through the API.
	if _, err := a.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(subArn)}); err != nil {
		t.Fatal(err)
	}
	_, err = client(h, e2e.KeyB).Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(subArn + "x")})
	apiError(t, err, "InvalidParameter")

	// Metrics.
	status, body = visit(t, h, h.URL+"/metrics")
	if status != 200 || !strings.Contains(body, `duplex_sns_deliveries_total{topic="`+topicArn+`"}`) ||
		!strings.Contains(body, `duplex_sns_messages_published_total{topic="`+topicArn+`"}`) ||
		!strings.Contains(body, "duplex_sns_delivery_latency_seconds_count") {
		t.Errorf("metrics lack SNS series")
	}
}

func TestConfirmSubscriptionAPI(t *testing.T) {
	t.Parallel()
	h := e2e.Start(t, e2e.SQLite)
	ctx := context.Background()
	a := client(h, e2e.KeyA)
	sub := newSubscriber(t)
	tp, _ := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("confirm")})
	out, err := a.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("http"),
		Endpoint: aws.String(sub.URL), ReturnSubscriptionArn: true})
	if err != nil || !strings.HasPrefix(aws.ToString(out.SubscriptionArn), aws.ToString(tp.TopicArn)+":") {
		t.Fatalf("ReturnSubscriptionArn: %v %v", out, err)
	}
	pending, err := a.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: out.SubscriptionArn})
	if err != nil || pending.Attributes["PendingConfirmation"] != "true" {
		t.Fatalf("pending attributes %v %v", pending, err)
	}
	conf := sub.confirmation(aws.ToString(tp.TopicArn))
	_, err = a.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: tp.TopicArn, Token: aws.String("0123456789abcdef")})
	apiError(t, err, "InvalidParameter")
	// Subscribing again while pending resends the confirmation with the same token.
	again, err := a.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)})
	if err != nil || aws.ToString(again.SubscriptionArn) != "pending confirmation" {
		t.Fatalf("resubscribe %v %v", again, err)
	}
	sub.waitFor("a second confirmation", func(g []received) bool { return len(ofType(g, "SubscriptionConfirmation")) == 2 })
	cs, err := a.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: tp.TopicArn, Token: aws.String(conf.str("Token")),
		AuthenticateOnUnsubscribe: aws.String("true")})
	if err != nil || aws.ToString(cs.SubscriptionArn) != aws.ToString(out.SubscriptionArn) {
		t.Fatalf("ConfirmSubscription %v %v", cs, err)
	}
	ga, _ := a.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: out.SubscriptionArn})
	if ga.Attributes["ConfirmationWasAuthenticated"] != "true" || ga.Attributes["PendingConfirmation"] != "false" {
		t.Fatalf("attributes %v", ga.Attributes)
	}
	// Confirmed again: the same ARN; subscribing again: the same ARN.
	again, err = a.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL)})
	if err != nil || aws.ToString(again.SubscriptionArn) != aws.ToString(out.SubscriptionArn) {
		t.Fatalf("subscribe confirmed again %v %v", again, err)
	}
	_, err = a.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL),
		Attributes: map[string]string{"RawMessageDelivery": "true"}})
	apiError(t, err, "InvalidParameter")
	for _, bad := range []struct{ proto, endpoint string }{{"http", "https://x.example/"}, {"http", "not a url"}, {"carrier-pigeon", "x"}, {"sqs", "arn:aws:sqs:us-east-1:111111111111:q"}} {
		_, err = a.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String(bad.proto), Endpoint: aws.String(bad.endpoint)})
		apiError(t, err, "InvalidParameter")
	}

	// The subscription asked for authentication: the UnsubscribeURL refuses.
	if _, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("m")}); err != nil {
		t.Fatal(err)
	}
	got := sub.waitFor("the notification", func(g []received) bool { return contains(messages(g), "m") })
	status, body := visit(t, h, ofType(got, "Notification")[0].str("UnsubscribeURL"))
	if status != 403 || !strings.Contains(body, "<Code>AuthorizationError</Code>") {
		t.Fatalf("unauthenticated unsubscribe: %d %s", status, body)
	}
	// Another account may not unsubscribe it; the owner may.
	_, err = client(h, e2e.KeyB).Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: out.SubscriptionArn})
	apiError(t, err, "AuthorizationError")
	if _, err := a.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: out.SubscriptionArn}); err != nil {
		t.Fatal(err)
	}
	ls, err := a.ListSubscriptions(ctx, &sns.ListSubscriptionsInput{})
	if err != nil || len(ls.Subscriptions) != 0 {
		t.Fatalf("ListSubscriptions %+v %v", ls, err)
	}
}

func TestFilterPolicies(t *testing.T) { onBackends(t, testFilterPolicies) }

func testFilterPolicies(t *testing.T, backend e2e.Backend) {
	h := e2e.Start(t, backend)
	ctx := context.Background()
	a := client(h, e2e.KeyA)
	tp, _ := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("filtered")})
	topicArn := aws.ToString(tp.TopicArn)
	attrSub, bodySub, allSub := newSubscriber(t), newSubscriber(t), newSubscriber(t)
	subscribeConfirmed(t, h, a, topicArn, attrSub, "", map[string]string{
		"FilterPolicy": `{"store":["example_corp"],"price":[{"numeric":[">",100,"<=",500]}],"$or":[{"kind":[{"prefix":"big-"}]},{"tags":["vip"]}]}`})
	subscribeConfirmed(t, h, a, topicArn, bodySub, "", map[string]string{
		"FilterPolicyScope": "MessageBody",
		"FilterPolicy":      `{"order":{"country":[{"anything-but":["XX","YY"]}],"total":[{"numeric":[">=",10]}]},"channel":[{"equals-ignore-case":"SMS"}]}`})
	subscribeConfirmed(t, h, a, topicArn, allSub, "", nil)

	// Bad policies are refused.
	ls, _ := a.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: tp.TopicArn})
	var someArn *string
	for _, x := range ls.Subscriptions {
		if aws.ToString(x.Endpoint) == attrSub.URL {
			someArn = x.SubscriptionArn
		}
	}
	for _, bad := range []string{`{"a":"notarray"}`, `{"a":[{"numeric":["<",1,">",0]}]}`, `{"a":[{"bogus":1}]}`, `[1]`, `{"a":{"b":["x"]}}`} {
		_, err := a.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: someArn,
			AttributeName: aws.String("FilterPolicy"), AttributeValue: aws.String(bad)})
		if msg := apiError(t, err, "InvalidParameter"); !strings.HasPrefix(msg, "Invalid parameter: FilterPolicy") {
			t.Errorf("%s: %q", bad, msg)
		}
	}

	sv := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	nv := func(v string) types.MessageAttributeValue {
		return types.MessageAttributeValue{DataType: aws.String("Number"), StringValue: aws.String(v)}
	}
	cases := []struct {
		msg   string
		attrs map[string]types.MessageAttributeValue
	}{
		{"a1", map[string]types.MessageAttributeValue{"store": sv("example_corp"), "price": nv("150"), "kind": sv("big-order")}},
		{"a2", map[string]types.MessageAttributeValue{"store": sv("example_corp"), "price": nv("150"),
			"tags": {DataType: aws.String("String.Array"), StringValue: aws.String(`["a","vip"]`)}}},
		{"a-no-price", map[string]types.MessageAttributeValue{"store": sv("example_corp"), "price": nv("501"), "kind": sv("big-x")}},
		{"a-price-as-string", map[string]types.MessageAttributeValue{"store": sv("example_corp"), "price": sv("150"), "kind": sv("big-x")}},
		{"a-no-or", map[string]types.MessageAttributeValue{"store": sv("example_corp"), "price": nv("150"), "kind": sv("small")}},
		{`{"order":{"country":"DE","total":12.5},"channel":"sms"}`, nil},
		{`{"order":{"country":"XX","total":12.5},"channel":"sms"}`, nil},
		{`{"order":{"country":"DE","total":9},"channel":"SMS"}`, nil},
		{`{"order":[{"country":"US","total":1},{"country":"FR","total":99}],"channel":"Sms"}`, nil},
		{`not json`, nil},
	}
	for _, c := range cases {
		if _, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String(c.msg), MessageAttributes: c.attrs}); err != nil {
			t.Fatal(err)
		}
	}
	allSub.waitFor("every message", func(g []received) bool { return len(messages(g)) >= len(cases) })
	drain(t, h)
	check := func(name string, s *subscriber, want ...string) {
		got := messages(s.all())
		if strs(sortStrings(got)...) != strs(sortStrings(want)...) {
			t.Errorf("%s received %q, want %q", name, got, want)
		}
	}
	check("attribute-scope subscriber", attrSub, "a1", "a2")
	check("body-scope subscriber", bodySub, `{"order":{"country":"DE","total":12.5},"channel":"sms"}`,
		`{"order":[{"country":"US","total":1},{"country":"FR","total":99}],"channel":"Sms"}`)
	if len(messages(allSub.all())) != len(cases) {
		t.Errorf("unfiltered subscriber got %d", len(messages(allSub.all())))
	}
	ga, _ := a.GetSubscriptionAttributes(ctx, &sns.GetSubscriptionAttributesInput{SubscriptionArn: someArn})
	if ga.Attributes["FilterPolicyScope"] == "" || ga.Attributes["FilterPolicy"] == "" {
		t.Errorf("filter attributes %v", ga.Attributes)
	}
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

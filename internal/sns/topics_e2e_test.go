package sns_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/duplexsms/duplex/internal/e2e"
)

func TestTopics(t *testing.T) {
	t.Parallel()
	h := e2e.Start(t, e2e.SQLite)
	ctx := context.Background()
	a := client(h, e2e.KeyA)

	out, err := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orders"),
		Attributes: map[string]string{"DisplayName": "Orders"}, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("x")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:sns:us-east-1:" + e2e.AccountA + ":orders"
	if aws.ToString(out.TopicArn) != arn {
		t.Fatalf("TopicArn %q", aws.ToString(out.TopicArn))
	}
	// Idempotent with the same attributes; refused with different ones.
	again, err := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orders"), Attributes: map[string]string{"DisplayName": "Orders"}})
	if err != nil || aws.ToString(again.TopicArn) != arn {
		t.Fatalf("CreateTopic again: %v %v", again, err)
	}
	_, err = a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("orders"), Attributes: map[string]string{"DisplayName": "Other"}})
	if msg := apiError(t, err, "InvalidParameter"); !strings.Contains(msg, "already exists with different attributes") {
		t.Fatalf("message %q", msg)
	}
	for _, bad := range []string{"", "has space", "dot.name", strings.Repeat("x", 257), "x.fifo"} {
		_, err := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(bad)})
		if bad == "" {
			if err == nil {
				t.Fatalf("empty name accepted")
			}
			continue
		}
		apiError(t, err, "InvalidParameter")
	}
	// FIFO topics.
	fifo, err := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("o.fifo"),
		Attributes: map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("nofifo"), Attributes: map[string]string{"FifoTopic": "true"}})
	apiError(t, err, "InvalidParameter")
	fa, err := a.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: fifo.TopicArn})
	if err != nil || fa.Attributes["FifoTopic"] != "true" || fa.Attributes["ContentBasedDeduplication"] != "true" {
		t.Fatalf("fifo attributes %v %v", fa, err)
	}
	p1, err := a.Publish(ctx, &sns.PublishInput{TopicArn: fifo.TopicArn, Message: aws.String("m"), MessageGroupId: aws.String("g")})
	if err != nil || aws.ToString(p1.SequenceNumber) == "" {
		t.Fatalf("fifo publish %v %v", p1, err)
	}
	p2, err := a.Publish(ctx, &sns.PublishInput{TopicArn: fifo.TopicArn, Message: aws.String("m"), MessageGroupId: aws.String("g")})
	if err != nil || aws.ToString(p2.MessageId) != aws.ToString(p1.MessageId) {
		t.Fatalf("content-based deduplication: %v vs %v (%v)", p2, p1, err)
	}
	_, err = a.Publish(ctx, &sns.PublishInput{TopicArn: fifo.TopicArn, Message: aws.String("m")})
	apiError(t, err, "InvalidParameter")

	// Attributes of a new topic, with the default access policy AWS writes.
	ga, err := a.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	wantPolicy := `{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{"AWS":"*"},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"` + arn + `","Condition":{"StringEquals":{"AWS:SourceOwner":"` + e2e.AccountA + `"}}}]}`
	want := map[string]string{"TopicArn": arn, "Owner": e2e.AccountA, "Policy": wantPolicy, "DisplayName": "Orders",
		"SubscriptionsPending": "0", "SubscriptionsConfirmed": "0", "SubscriptionsDeleted": "0",
		"EffectiveDeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`}
	for k, v := range want {
		if ga.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, ga.Attributes[k], v)
		}
	}
	if len(ga.Attributes) != len(want) {
		t.Errorf("attributes %v", ga.Attributes)
	}

	set := func(name, value string) error {
		_, err := a.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: aws.String(arn), AttributeName: aws.String(name), AttributeValue: aws.String(value)})
		return err
	}
	if msg := apiError(t, set("Policy", `{"Statement":[{"Effect":"Alow"}]}`), "InvalidParameter"); !strings.HasPrefix(msg, "Invalid parameter: Policy Error: ") {
		t.Fatalf("policy error %q", msg)
	}
	apiError(t, set("Policy", `not json`), "InvalidParameter")
	apiError(t, set("SignatureVersion", "3"), "InvalidParameter")
	apiError(t, set("DeliveryPolicy", `{"http":{"defaultHealthyRetryPolicy":{"numRetries":101}}}`), "InvalidParameter")
	apiError(t, set("DeliveryPolicy", `{"http":{"bogus":1}}`), "InvalidParameter")
	apiError(t, set("FifoTopic", "true"), "InvalidParameter")
	apiError(t, set("NoSuchAttribute", "x"), "InvalidParameter")
	apiError(t, set("KmsMasterKeyId", "alias/does-not-exist"), "InvalidParameter")
	dp := `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":40,"numRetries":5,"backoffFunction":"exponential"},"disableSubscriptionOverrides":true}}`
	for name, value := range map[string]string{"DisplayName": "New", "SignatureVersion": "2", "DeliveryPolicy": dp} {
		if err := set(name, value); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	ga, _ = a.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if ga.Attributes["DisplayName"] != "New" || ga.Attributes["SignatureVersion"] != "2" || ga.Attributes["DeliveryPolicy"] != dp ||
		!strings.Contains(ga.Attributes["EffectiveDeliveryPolicy"], `"backoffFunction":"exponential"`) ||
		!strings.Contains(ga.Attributes["EffectiveDeliveryPolicy"], `"disableSubscriptionOverrides":true`) {
		t.Fatalf("after set: %v", ga.Attributes)
	}

	// Tags.
	_, err = a.TagResource(ctx, &sns.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("team"), Value: aws.String("y")}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.UntagResource(ctx, &sns.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"env"}})
	if err != nil {
		t.Fatal(err)
	}
	tags, err := a.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "team" || aws.ToString(tags.Tags[0].Value) != "y" {
		t.Fatalf("tags %+v %v", tags, err)
	}
	_, err = a.ListTagsForResource(ctx, &sns.ListTagsForResourceInput{ResourceArn: aws.String(arn + "-nope")})
	apiError(t, err, "ResourceNotFound")
	many := make([]types.Tag, 51)
	for i := range many {
		many[i] = types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")}
	}
	_, err = a.TagResource(ctx, &sns.TagResourceInput{ResourceArn: aws.String(arn), Tags: many})
	apiError(t, err, "TagLimitExceeded")

	// Paging: 100 a page.
	for i := 0; i < 105; i++ {
		if _, err := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(fmt.Sprintf("t%03d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	var all []string
	var pages int
	var next *string
	for {
		lt, err := a.ListTopics(ctx, &sns.ListTopicsInput{NextToken: next})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, tp := range lt.Topics {
			all = append(all, aws.ToString(tp.TopicArn))
		}
		if next = lt.NextToken; next == nil {
			break
		}
	}
	if pages != 2 || len(all) != 107 {
		t.Fatalf("ListTopics: %d pages, %d topics", pages, len(all))
	}
	// Account B sees none of them.
	lb, err := client(h, e2e.KeyB).ListTopics(ctx, &sns.ListTopicsInput{})
	if err != nil || len(lb.Topics) != 0 {
		t.Fatalf("account B lists %v %v", lb, err)
	}

	// Delete.
	if _, err := a.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	_, err = a.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(arn)})
	if msg := apiError(t, err, "NotFound"); msg != "Topic does not exist" {
		t.Fatalf("message %q", msg)
	}
	_, err = a.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(arn), Message: aws.String("x")})
	apiError(t, err, "NotFound")
}

func TestPublishValidation(t *testing.T) {
	t.Parallel()
	h := e2e.Start(t, e2e.SQLite)
	ctx := context.Background()
	a := client(h, e2e.KeyA)
	tp, err := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("v")})
	if err != nil {
		t.Fatal(err)
	}
	pub := func(in *sns.PublishInput) error {
		in.TopicArn = tp.TopicArn
		_, err := a.Publish(ctx, in)
		return err
	}
	if msg := apiError(t, pub(&sns.PublishInput{Message: aws.String(strings.Repeat("x", 256*1024+1))}), "InvalidParameter"); msg != "Invalid parameter: Message too long" {
		t.Fatalf("too long: %q", msg)
	}
	// Attributes count toward the limit.
	big := strings.Repeat("x", 256*1024-10)
	err = pub(&sns.PublishInput{Message: aws.String(big), MessageAttributes: map[string]types.MessageAttributeValue{
		"attr": {DataType: aws.String("String"), StringValue: aws.String("0123456789")}}})
	apiError(t, err, "InvalidParameter")
	if err := pub(&sns.PublishInput{Message: aws.String(strings.Repeat("x", 256*1024))}); err != nil {
		t.Fatalf("256 KiB exactly: %v", err)
	}
	apiError(t, pub(&sns.PublishInput{Message: aws.String("m"), MessageStructure: aws.String("json")}), "InvalidParameter")
	if msg := apiError(t, pub(&sns.PublishInput{Message: aws.String(`{"http":"x"}`), MessageStructure: aws.String("json")}), "InvalidParameter"); !strings.Contains(msg, "No default entry") {
		t.Fatalf("%q", msg)
	}
	apiError(t, pub(&sns.PublishInput{Message: aws.String("m"), Subject: aws.String("line\nbreak")}), "InvalidParameter")
	for name, v := range map[string]types.MessageAttributeValue{
		"n":        {DataType: aws.String("Number"), StringValue: aws.String("abc")},
		"t":        {DataType: aws.String("Text"), StringValue: aws.String("abc")},
		"e":        {DataType: aws.String("String"), StringValue: aws.String("")},
		"a":        {DataType: aws.String("String.Array"), StringValue: aws.String("not an array")},
		"AWS.x":    {DataType: aws.String("String"), StringValue: aws.String("v")},
		"bad name": {DataType: aws.String("String"), StringValue: aws.String("v")},
	} {
		err := pub(&sns.PublishInput{Message: aws.String("m"), MessageAttributes: map[string]types.MessageAttributeValue{name: v}})
		if err == nil {
			t.Fatalf("attribute %s accepted", name)
		}
		apiError(t, err, "InvalidParameter")
	}
	many := map[string]types.MessageAttributeValue{}
	for i := 0; i < 11; i++ {
		many[fmt.Sprintf("a%d", i)] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String("v")}
	}
	apiError(t, pub(&sns.PublishInput{Message: aws.String("m"), MessageAttributes: many}), "InvalidParameter")
	apiError(t, pub(&sns.PublishInput{Message: aws.String("m"), MessageGroupId: aws.String("g")}), "InvalidParameter")

	// PublishBatch: invalid entries fail alone.
	bo, err := a.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: tp.TopicArn, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("ok1"), Message: aws.String("one")},
		{Id: aws.String("bad"), Message: aws.String("two"), MessageAttributes: map[string]types.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("x")}}},
		{Id: aws.String("ok2"), Message: aws.String("three")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(bo.Successful) != 2 || len(bo.Failed) != 1 || aws.ToString(bo.Failed[0].Id) != "bad" ||
		aws.ToString(bo.Failed[0].Code) != "InvalidParameter" || !bo.Failed[0].SenderFault {
		t.Fatalf("batch %+v", bo)
	}
	_, err = a.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: tp.TopicArn, PublishBatchRequestEntries: []types.PublishBatchRequestEntry{
		{Id: aws.String("x"), Message: aws.String("1")}, {Id: aws.String("x"), Message: aws.String("2")}}})
	apiError(t, err, "BatchEntryIdsNotDistinct")
	entries := make([]types.PublishBatchRequestEntry, 11)
	for i := range entries {
		entries[i] = types.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint("e", i)), Message: aws.String("m")}
	}
	_, err = a.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: tp.TopicArn, PublishBatchRequestEntries: entries})
	apiError(t, err, "TooManyEntriesInBatchRequest")
}

package sns_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/duplexsms/duplex/internal/e2e"
	dsns "github.com/duplexsms/duplex/internal/sns"
)

// fastRetries is a delivery policy with short delays, so that fault tests
// run quickly: 2 immediate retries, then 1 second apart.
const fastRetries = `{"healthyRetryPolicy":{"numRetries":%d,"numNoDelayRetries":2,"minDelayTarget":1,"maxDelayTarget":1}}`

func deadLetters(t *testing.T, h *e2e.Harness, account string) []dsns.DeadLetter {
	t.Helper()
	dl, err := h.Server.SNS.DeadLetters(context.Background(), account)
	if err != nil {
		t.Fatal(err)
	}
	return dl
}

// The subscriber fails with 500 twice, then recovers: the message arrives,
// after exactly three attempts, and nothing is dead-lettered.
func TestRetryThenRecover(t *testing.T) { onBackends(t, testRetryThenRecover) }

func testRetryThenRecover(t *testing.T, backend e2e.Backend) {
	h := e2e.Start(t, backend)
	ctx := context.Background()
	a := client(h, e2e.KeyA)
	sub := newSubscriber(t)
	tp, _ := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("flaky")})
	subscribeConfirmed(t, h, a, aws.ToString(tp.TopicArn), sub, "", map[string]string{"DeliveryPolicy": fmt.Sprintf(fastRetries, 3)})
	sub.respond = func(r received, n int) int {
		if r.typ() == "Notification" && n < 2 {
			return 500
		}
		return 200
	}
	pub, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("eventually")})
	if err != nil {
		t.Fatal(err)
	}
	got := sub.waitFor("a 200 answer", func(g []received) bool { return contains(messages(g), "eventually") })
	drain(t, h)
	attempts := 0
	for _, g := range sub.all() {
		if g.Header.Get("x-amz-sns-message-id") == aws.ToString(pub.MessageId) {
			attempts++
			verifySignature(t, h, g)
		}
	}
	if attempts != 3 || len(ofType(got, "Notification")) != 1 {
		t.Fatalf("attempts %d: %s", attempts, summary(sub.all()))
	}
	if dl := deadLetters(t, h, e2e.AccountA); len(dl) != 0 {
		t.Fatalf("dead letters %+v", dl)
	}
	_, body := visit(t, h, h.URL+"/metrics")
	if !strings.Contains(body, `duplex_sns_delivery_retries_total{topic="`+aws.ToString(tp.TopicArn)+`"} 2`) {
		t.Errorf("retry metric missing")
	}

	// A 4xx answer is a permanent failure: no retries, a dead letter at once.
	sub.respond = func(r received, n int) int { return 404 }
	pub, err = a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("gone")})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, h)
	dl := deadLetters(t, h, e2e.AccountA)
	if len(dl) != 1 || dl[0].MessageID != aws.ToString(pub.MessageId) || dl[0].Attempts != 1 || !strings.Contains(dl[0].LastError, "404") ||
		dl[0].Message != "gone" {
		t.Fatalf("dead letters %+v", dl)
	}
}

// The subscriber never answers: every attempt times out (short timeout),
// the message is retried per policy and then dead-lettered.
func TestTimeoutDeadLetter(t *testing.T) { onBackends(t, testTimeoutDeadLetter) }

func testTimeoutDeadLetter(t *testing.T, backend e2e.Backend) {
	h := e2e.Start(t, backend)
	h.Server.SNS.Worker().SetRequestTimeout(300 * time.Millisecond)
	ctx := context.Background()
	a := client(h, e2e.KeyA)
	sub := newSubscriber(t)
	tp, _ := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("silent")})
	subArn := subscribeConfirmed(t, h, a, aws.ToString(tp.TopicArn), sub, "", map[string]string{
		"DeliveryPolicy": fmt.Sprintf(fastRetries, 3),
		"RedrivePolicy":  `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:111111111111:dlq"}`})
	hold := make(chan struct{})
	defer close(hold)
	sub.mu.Lock()
	sub.hold = hold
	sub.mu.Unlock()
	pub, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("into the void")})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, h)
	dl := deadLetters(t, h, e2e.AccountA)
	if len(dl) != 1 {
		t.Fatalf("dead letters %+v", dl)
	}
	d := dl[0]
	if d.MessageID != aws.ToString(pub.MessageId) || d.SubscriptionArn != subArn || d.Attempts != 4 || d.Message != "into the void" ||
		!strings.Contains(d.LastError, "timeout") || d.RedriveTarget != "arn:aws:sqs:us-east-1:111111111111:dlq" {
		t.Fatalf("dead letter %+v", d)
	}
	sub.waitFor("four attempts", func(g []received) bool { return len(g) >= 5 }) // confirmation + 4
	n := 0
	for _, g := range sub.all() {
		if g.typ() == "Notification" {
			n++
		}
	}
	if n != 4 {
		t.Fatalf("the endpoint saw %d attempts, want 4", n)
	}
	_, body := visit(t, h, h.URL+"/metrics")
	if !strings.Contains(body, `duplex_sns_delivery_failures_total{topic="`+aws.ToString(tp.TopicArn)+`"} 1`) {
		t.Errorf("failure metric missing")
	}
}

// A subscriber that holds every request does not hold back a healthy one,
// even with a backlog larger than the worker would hold for it, and never
// has more than 8 requests in flight.
func TestSlowSubscriberIsolation(t *testing.T) {
	t.Parallel()
	h := e2e.Start(t, e2e.SQLite)
	ctx := context.Background()
	a := client(h, e2e.KeyA)
	slow, fast := newSubscriber(t), newSubscriber(t)
	slowTopic, _ := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("slow")})
	fastTopic, _ := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("fast")})
	subscribeConfirmed(t, h, a, aws.ToString(slowTopic.TopicArn), slow, "", nil)
	subscribeConfirmed(t, h, a, aws.ToString(fastTopic.TopicArn), fast, "", nil)
	hold := make(chan struct{})
	slow.mu.Lock()
	slow.hold = hold
	slow.mu.Unlock()
	const backlog, n = 600, 40
	publish := func(topic *string, count int) {
		for i := 0; i < count; i += 10 {
			var entries []types.PublishBatchRequestEntry
			for k := i; k < min(i+10, count); k++ {
				entries = append(entries, types.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint("e", k)), Message: aws.String(fmt.Sprint("m", k))})
			}
			out, err := a.PublishBatch(ctx, &sns.PublishBatchInput{TopicArn: topic, PublishBatchRequestEntries: entries})
			if err != nil || len(out.Failed) > 0 {
				t.Fatalf("PublishBatch: %v %+v", err, out)
			}
		}
	}
	publish(slowTopic.TopicArn, backlog)
	slow.waitFor("the slow endpoint to be busy", func([]received) bool {
		slow.mu.Lock()
		defer slow.mu.Unlock()
		return slow.active == 8
	})
	publish(fastTopic.TopicArn, n)
	// The healthy endpoint gets everything while the slow one holds on.
	fast.waitFor("all messages at the healthy endpoint", func(g []received) bool { return len(messages(g)) == n })
	slow.mu.Lock()
	inFlight, peak, done := slow.active, slow.maxAct, len(slow.got)
	slow.mu.Unlock()
	if inFlight == 0 || peak > 8 || done > 1 {
		t.Fatalf("slow endpoint: %d in flight, peak %d (limit 8), %d answered", inFlight, peak, done)
	}
	close(hold)
	slow.waitFor("all messages at the slow endpoint", func(g []received) bool {
		seen := map[string]bool{}
		for _, m := range messages(g) {
			seen[m] = true
		}
		return len(seen) == backlog
	})
	drain(t, h)
	slow.mu.Lock()
	peak = slow.maxAct
	slow.mu.Unlock()
	if peak > 8 {
		t.Fatalf("peak concurrency %d", peak)
	}
	if dl := deadLetters(t, h, e2e.AccountA); len(dl) != 0 {
		t.Fatalf("dead letters %+v", dl)
	}
}

// The endpoint is down while messages are published and while the server
// restarts; when it comes back, every message arrives.
func TestDownAcrossRestart(t *testing.T) { onBackends(t, testDownAcrossRestart) }

func testDownAcrossRestart(t *testing.T, backend e2e.Backend) {
	h := e2e.Start(t, backend)
	ctx := context.Background()
	a := client(h, e2e.KeyA)
	sub := newSubscriber(t)
	tp, _ := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("durable")})
	subscribeConfirmed(t, h, a, aws.ToString(tp.TopicArn), sub, "", map[string]string{
		"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":60,"minDelayTarget":1,"maxDelayTarget":1}}`})
	sub.down()
	want := map[string]bool{}
	for i := 0; i < 5; i++ {
		out, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String(fmt.Sprint("durable ", i))})
		if err != nil {
			t.Fatal(err)
		}
		want[aws.ToString(out.MessageId)] = true
	}
	h.Restart()
	a = client(h, e2e.KeyA)
	sub.up()
	got := sub.waitFor("every message", func(g []received) bool {
		seen := map[string]bool{}
		for _, r := range ofType(g, "Notification") {
			seen[r.str("MessageId")] = true
		}
		for id := range want {
			if !seen[id] {
				return false
			}
		}
		return true
	})
	for _, r := range ofType(got, "Notification") {
		if !want[r.str("MessageId")] {
			t.Errorf("unexpected message %s", r.Body)
		}
		verifySignature(t, h, r)
	}
	if dl := deadLetters(t, h, e2e.AccountA); len(dl) != 0 {
		t.Fatalf("dead letters %+v", dl)
	}
}

package multinode

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/e2e"
)

// TestDeliveryWithinLease: two nodes with short delivery leases (timeout
// 1 s, lease 2 s) and a subscriber that answers its first notifications at
// once and then slowly (0.9 s), so that a node, judging by the fast
// answers, keeps more claimed notifications waiting in its lane than it
// can send before their leases end. A node must not start a request its
// lease cannot cover: when each request arrives its job's lease has most of
// the request timeout left, and the subscriber never sees one notification
// sent by two nodes at once.
func TestDeliveryWithinLease(t *testing.T) {
	if testing.Short() {
		t.Skip("slow subscriber: about 15 s")
	}
	hs := startCluster(t, 2, withCluster(config.Cluster{DeliveryTimeout: time.Second, DeliveryLease: 2 * time.Second}))
	sub := newSubscriber(t, []string{hs[0].URL, hs[1].URL})
	leases := watchLeases(t, hs[0].Config.DatabaseURL, sub)
	topic := hs[0].Topic(t, e2e.KeyA, "slow")
	if _, err := hs[0].SNS(e2e.KeyA).Subscribe(bg, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("http"), Endpoint: aws.String(sub.url)}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sub.confirmed:
	case <-time.After(waitBound):
		t.Fatal("not confirmed")
	}
	sub.delay, sub.fastFirst = 900*time.Millisecond, 24
	var ids []string
	for b := 0; b < 10; b++ { // batches of ten: claimed together
		var entries []types.PublishBatchRequestEntry
		for i := 0; i < 10; i++ {
			id := fmt.Sprintf("slow-%d-%d", b, i)
			entries = append(entries, types.PublishBatchRequestEntry{Id: aws.String(fmt.Sprint(i)),
				Message: aws.String(`{"inboundMessageId":"` + id + `"}`)})
			ids = append(ids, id)
		}
		out, err := hs[0].SNS(e2e.KeyA).PublishBatch(bg, &sns.PublishBatchInput{TopicArn: aws.String(topic), PublishBatchRequestEntries: entries})
		if err != nil || len(out.Failed) > 0 {
			t.Fatalf("publish batch: %v %v", err, out)
		}
	}
	if missing := sub.waitFor(ids); len(missing) > 0 {
		t.Fatalf("%d notifications never arrived", len(missing))
	}
	distinct, deliveries, dups := sub.counts()
	sub.mu.Lock()
	overlaps := sub.overlaps
	sub.mu.Unlock()
	t.Logf("%d notifications in %d deliveries (%d duplicates); %d sent by two nodes at once", distinct, deliveries, dups, overlaps)
	if overlaps > 0 {
		t.Errorf("%d notifications were being sent by two nodes at once (a request outlived its lease)", overlaps)
	}
	leases.check(t, hs)
}

package multinode

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/e2e"
	"github.com/duplexsms/duplex/internal/server"
	"github.com/duplexsms/duplex/internal/testutil"
)

// apiNode serves a node's APIs without its background work (no queue
// runner, no delivery worker): whatever it queues, other nodes do.
func apiNode(t *testing.T, dsn, key string) endpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.Data, cfg.Region, cfg.LogLevel = t.TempDir(), e2e.Region, "warn"
	cfg.DatabaseURL, cfg.MasterKeyFile = dsn, key
	cfg.Addr = ln.Addr().String()
	cfg.PublicURL = "http://" + cfg.Addr
	cfg.Accounts = []config.Account{{ID: e2e.AccountA, AccessKeys: []config.AccessKey{{ID: e2e.KeyA, Secret: e2e.SecretA}}}}
	s, err := server.New(bg, &cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: s.Handler()}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close(); s.Store.Close() })
	return endpoint{URL: "http://" + cfg.Addr, Key: e2e.KeyA, Secret: e2e.SecretA, HTTP: &http.Client{}}
}

// TestConfirmedOnOtherNode: a node delivers a subscription's confirmation
// request (and so has the subscription, still pending, in its cache); the
// subscription is confirmed through another node, which at once publishes.
// The delivering node must not take its stale view for the truth and drop
// the notifications as "not confirmed".
func TestConfirmedOnOtherNode(t *testing.T) {
	dsn := testutil.PostgresDSN(t)
	key := masterKeyFile(t)
	worker := e2e.Start(t, e2e.Postgres, onDatabase(dsn, key)) // delivers everything
	api := apiNode(t, dsn, key)                                // takes the calls
	sub := newSubscriber(t, []string{worker.URL})
	tokens := make(chan string, 4)
	sub.onConfirmation = func(token, _ string) { tokens <- token }

	// The delivering node has work of its own (it publishes to another
	// topic), so its worker is awake and claims jobs as they come. (Set up
	// first: a change made through a node clears that node's cache.)
	other := worker.Topic(t, e2e.KeyA, "other")
	sub2 := newSubscriber(t, []string{worker.URL})
	if _, err := worker.SNS(e2e.KeyA).Subscribe(bg, &sns.SubscribeInput{TopicArn: aws.String(other), Protocol: aws.String("http"), Endpoint: aws.String(sub2.url)}); err != nil {
		t.Fatal(err)
	}
	<-sub2.confirmed
	stop := make(chan struct{})
	busy := make(chan struct{})
	go func() {
		defer close(busy)
		for {
			select {
			case <-stop:
				return
			default:
			}
			worker.SNS(e2e.KeyA).Publish(bg, &sns.PublishInput{TopicArn: aws.String(other), Message: aws.String(`{"inboundMessageId":"busy"}`)})
			time.Sleep(5 * time.Millisecond)
		}
	}()
	defer func() { close(stop); <-busy }()
	tp, err := api.sns().CreateTopic(bg, &sns.CreateTopicInput{Name: aws.String("t")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.sns().Subscribe(bg, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.url)}); err != nil {
		t.Fatal(err)
	}
	var token string
	select {
	case token = <-tokens:
	case <-time.After(waitBound):
		t.Fatal("no confirmation request")
	}
	if _, err := api.sns().ConfirmSubscription(bg, &sns.ConfirmSubscriptionInput{TopicArn: tp.TopicArn, Token: aws.String(token)}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := 0; i < 40; i++ {
		id := fmt.Sprintf("m%d", i)
		if _, err := api.sns().Publish(bg, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String(`{"inboundMessageId":"` + id + `"}`)}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		time.Sleep(25 * time.Millisecond) // spread over the delivering node's cache lifetime
	}
	if missing := sub.waitFor(ids); len(missing) > 0 {
		t.Fatalf("%d of %d notifications were never delivered (dropped as unconfirmed?): %v", len(missing), len(ids), missing)
	}
}

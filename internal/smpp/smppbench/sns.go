package smppbench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	sms "github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/duplexsms/duplex/internal/config"
)

// subscriber is a local SNS HTTP endpoint with raw message delivery: it
// confirms its subscription and records when each payload arrived, by
// message body.
type subscriber struct {
	mu        sync.Mutex
	arrived   map[string]time.Time
	confirmed chan struct{}
	once      sync.Once
	changed   chan struct{}
}

func (s *subscriber) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	now := time.Now()
	w.WriteHeader(http.StatusOK)
	if r.Header.Get("x-amz-sns-message-type") == "SubscriptionConfirmation" {
		var env struct{ SubscribeURL string }
		if json.Unmarshal(body, &env) == nil {
			go func() {
				if resp, err := http.Get(env.SubscribeURL); err == nil {
					resp.Body.Close()
					s.once.Do(func() { close(s.confirmed) })
				}
			}()
		}
		return
	}
	var p struct {
		MessageBody string `json:"messageBody"`
	}
	if json.Unmarshal(body, &p) != nil {
		return
	}
	s.mu.Lock()
	if _, dup := s.arrived[p.MessageBody]; !dup {
		s.arrived[p.MessageBody] = now
	}
	if len(s.arrived)%100 == 0 {
		close(s.changed)
		s.changed = make(chan struct{})
	}
	s.mu.Unlock()
}

func (s *subscriber) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.arrived)
}

// wireSNS creates a topic whose policy lets sms-voice.amazonaws.com
// publish, subscribes a local HTTP endpoint with raw delivery, and points
// the number's two-way channel at the topic.
func wireSNS(ctx context.Context, endpoint string, api *sms.Client, hc *http.Client, numberID string) (*subscriber, func(), error) {
	sub := &subscriber{arrived: map[string]time.Time{}, confirmed: make(chan struct{}), changed: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	hs := &http.Server{Handler: sub, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	stop := func() { hs.Close() }
	sc := sns.New(sns.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), HTTPClient: hc, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(config.DevAccessKey, config.DevSecret, "")})
	topic, err := sc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("bench-inbound")})
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("CreateTopic: %w", err)
	}
	arn := aws.ToString(topic.TopicArn)
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sms-voice.amazonaws.com"},"Action":"sns:Publish","Resource":%q}]}`, arn)
	if _, err := sc.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: &arn, AttributeName: aws.String("Policy"), AttributeValue: &policy}); err != nil {
		stop()
		return nil, nil, fmt.Errorf("SetTopicAttributes: %w", err)
	}
	if _, err := sc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: &arn, Protocol: aws.String("http"),
		Endpoint: aws.String("http://" + ln.Addr().String() + "/"), Attributes: map[string]string{"RawMessageDelivery": "true"}}); err != nil {
		stop()
		return nil, nil, fmt.Errorf("Subscribe: %w", err)
	}
	select {
	case <-sub.confirmed:
	case <-time.After(30 * time.Second):
		stop()
		return nil, nil, fmt.Errorf("the subscription was never confirmed")
	}
	if _, err := api.UpdatePhoneNumber(ctx, &sms.UpdatePhoneNumberInput{PhoneNumberId: &numberID, TwoWayEnabled: aws.Bool(true),
		TwoWayChannelArn: &arn}); err != nil {
		stop()
		return nil, nil, fmt.Errorf("UpdatePhoneNumber: %w", err)
	}
	return sub, stop, nil
}

// waitArrived waits until n distinct bodies arrived.
func (s *subscriber) waitArrived(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		got, ch := len(s.arrived), s.changed
		s.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ch:
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("%d of %d payloads reached the subscriber: %w", got, n, ctx.Err())
		}
	}
}

func (s *subscriber) latencies(prefix string, sent []time.Time) (lat []time.Duration, last time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for body, at := range s.arrived {
		var i int
		if _, err := fmt.Sscanf(body, prefix+" %d", &i); err != nil || i >= len(sent) || !strings.HasPrefix(body, prefix) {
			continue
		}
		lat = append(lat, at.Sub(sent[i]))
		if at.After(last) {
			last = at
		}
	}
	return lat, last
}

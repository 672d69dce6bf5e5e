package sns

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// The HTTP/S delivery policy, as SNS documents it: a topic's
// {"http":{"defaultHealthyRetryPolicy":…,"disableSubscriptionOverrides":…,
// "defaultThrottlePolicy":…,"defaultRequestPolicy":…}} or a subscription's
// {"healthyRetryPolicy":…,"throttlePolicy":…,"requestPolicy":…}.

type retryPolicy struct {
	MinDelayTarget     int    `json:"minDelayTarget"`
	MaxDelayTarget     int    `json:"maxDelayTarget"`
	NumRetries         int    `json:"numRetries"`
	NumMaxDelayRetries int    `json:"numMaxDelayRetries"`
	NumNoDelayRetries  int    `json:"numNoDelayRetries"`
	NumMinDelayRetries int    `json:"numMinDelayRetries"`
	BackoffFunction    string `json:"backoffFunction"`
}

// defaultRetry is SNS's default HTTP/S policy: 3 retries, 20 seconds apart.
var defaultRetry = retryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 3, BackoffFunction: "linear"}

type throttlePolicy struct {
	MaxReceivesPerSecond int `json:"maxReceivesPerSecond"`
}

type requestPolicy struct {
	HeaderContentType string `json:"headerContentType"`
}

const defaultContentType = "text/plain; charset=UTF-8"

// rawRetry is a retry policy as written, with absent fields nil.
type rawRetry struct {
	MinDelayTarget     *int    `json:"minDelayTarget"`
	MaxDelayTarget     *int    `json:"maxDelayTarget"`
	NumRetries         *int    `json:"numRetries"`
	NumMaxDelayRetries *int    `json:"numMaxDelayRetries"`
	NumNoDelayRetries  *int    `json:"numNoDelayRetries"`
	NumMinDelayRetries *int    `json:"numMinDelayRetries"`
	BackoffFunction    *string `json:"backoffFunction"`
}

type rawSubPolicy struct {
	HealthyRetryPolicy *rawRetry       `json:"healthyRetryPolicy"`
	SicklyRetryPolicy  json.RawMessage `json:"sicklyRetryPolicy"` // accepted, unused
	ThrottlePolicy     *throttlePolicy `json:"throttlePolicy"`
	RequestPolicy      *requestPolicy  `json:"requestPolicy"`
	Guaranteed         *bool           `json:"guaranteed"` // accepted, unused
}

type rawTopicHTTP struct {
	DefaultHealthyRetryPolicy    *rawRetry       `json:"defaultHealthyRetryPolicy"`
	DefaultSicklyRetryPolicy     json.RawMessage `json:"defaultSicklyRetryPolicy"`
	DisableSubscriptionOverrides bool            `json:"disableSubscriptionOverrides"`
	DefaultThrottlePolicy        *throttlePolicy `json:"defaultThrottlePolicy"`
	DefaultRequestPolicy         *requestPolicy  `json:"defaultRequestPolicy"`
}

type rawTopicPolicy struct {
	HTTP *rawTopicHTTP `json:"http"`
}

// deliveryPolicy is the resolved policy of one subscription.
type deliveryPolicy struct {
	Retry       retryPolicy
	Throttle    int // max receives per second; 0 = none
	ContentType string
}

func decodeStrict(doc string, v any) error {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data")
	}
	return nil
}

func (r *rawRetry) resolve(base retryPolicy) (retryPolicy, error) {
	p := base
	set := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.MinDelayTarget, r.MinDelayTarget)
	set(&p.MaxDelayTarget, r.MaxDelayTarget)
	set(&p.NumRetries, r.NumRetries)
	set(&p.NumMaxDelayRetries, r.NumMaxDelayRetries)
	set(&p.NumNoDelayRetries, r.NumNoDelayRetries)
	set(&p.NumMinDelayRetries, r.NumMinDelayRetries)
	if r.BackoffFunction != nil {
		p.BackoffFunction = strings.ToLower(*r.BackoffFunction)
	}
	return p, p.validate()
}

func (p retryPolicy) validate() error {
	switch {
	case p.NumRetries < 0 || p.NumRetries > 100:
		return errors.New("numRetries must be between 0 and 100")
	case p.MinDelayTarget < 1 || p.MinDelayTarget > 3600:
		return errors.New("minDelayTarget must be between 1 and 3600 seconds")
	case p.MaxDelayTarget < p.MinDelayTarget || p.MaxDelayTarget > 3600:
		return errors.New("maxDelayTarget must be between minDelayTarget and 3600 seconds")
	case p.NumNoDelayRetries < 0 || p.NumMinDelayRetries < 0 || p.NumMaxDelayRetries < 0:
		return errors.New("retry counts must not be negative")
	case p.NumNoDelayRetries+p.NumMinDelayRetries+p.NumMaxDelayRetries > p.NumRetries:
		return errors.New("numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must not exceed numRetries")
	}
	switch p.BackoffFunction {
	case "linear", "arithmetic", "geometric", "exponential":
	default:
		return fmt.Errorf("backoffFunction must be linear, arithmetic, geometric or exponential, not %q", p.BackoffFunction)
	}
	var total time.Duration
	for r := 1; r <= p.NumRetries; r++ {
		total += p.delay(r)
	}
	if total > time.Hour {
		return errors.New("the total retry time of the policy must not exceed 3600 seconds")
	}
	return nil
}

// delay is the wait before retry r (1-based), through the four phases:
// immediate retries, retries at minDelayTarget, the backoff phase from
// minDelayTarget to maxDelayTarget, and retries at maxDelayTarget.
func (p retryPolicy) delay(r int) time.Duration {
	sec := func(f float64) time.Duration { return time.Duration(math.Round(f * float64(time.Second))) }
	min, max := float64(p.MinDelayTarget), float64(p.MaxDelayTarget)
	if r <= p.NumNoDelayRetries {
		return 0
	}
	r -= p.NumNoDelayRetries
	if r <= p.NumMinDelayRetries {
		return sec(min)
	}
	r -= p.NumMinDelayRetries
	k := p.NumRetries - p.NumNoDelayRetries - p.NumMinDelayRetries - p.NumMaxDelayRetries
	if r > k {
		return sec(max)
	}
	if k == 1 {
		return sec(min)
	}
	x := float64(r-1) / float64(k-1) // 0 at the first backoff retry, 1 at the last
	switch p.BackoffFunction {
	case "arithmetic":
		// Delays grow by an increasing step: min + (max-min)·x².
		return sec(min + (max-min)*x*x)
	case "geometric":
		// A constant ratio from min to max.
		return sec(min * math.Pow(max/min, x))
	case "exponential":
		// Powers of two, scaled to reach max at the last retry.
		n := float64(k - 1)
		return sec(min + (max-min)*(math.Pow(2, x*n)-1)/(math.Pow(2, n)-1))
	default: // linear
		return sec(min + (max-min)*x)
	}
}

func (t *throttlePolicy) validate() error {
	if t != nil && t.MaxReceivesPerSecond < 1 {
		return errors.New("maxReceivesPerSecond must be at least 1")
	}
	return nil
}

func (r *requestPolicy) validate() error {
	if r != nil && !strings.Contains(r.HeaderContentType, "/") {
		return errors.New("headerContentType must be a media type such as text/plain or application/json")
	}
	return nil
}

// parseTopicDeliveryPolicy validates a topic's DeliveryPolicy.
func parseTopicDeliveryPolicy(doc string) (*rawTopicPolicy, error) {
	var p rawTopicPolicy
	if err := decodeStrict(doc, &p); err != nil {
		return nil, err
	}
	if p.HTTP != nil {
		if p.HTTP.DefaultHealthyRetryPolicy != nil {
			if _, err := p.HTTP.DefaultHealthyRetryPolicy.resolve(defaultRetry); err != nil {
				return nil, err
			}
		}
		if err := p.HTTP.DefaultThrottlePolicy.validate(); err != nil {
			return nil, err
		}
		if err := p.HTTP.DefaultRequestPolicy.validate(); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// parseSubDeliveryPolicy validates a subscription's DeliveryPolicy.
func parseSubDeliveryPolicy(doc string) (*rawSubPolicy, error) {
	var p rawSubPolicy
	if err := decodeStrict(doc, &p); err != nil {
		return nil, err
	}
	if p.HealthyRetryPolicy != nil {
		if _, err := p.HealthyRetryPolicy.resolve(defaultRetry); err != nil {
			return nil, err
		}
	}
	if err := p.ThrottlePolicy.validate(); err != nil {
		return nil, err
	}
	if err := p.RequestPolicy.validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// resolveDeliveryPolicy combines the topic's and the subscription's policies
// (the subscription's overrides the topic's unless the topic disables
// overrides). Policies are validated when set; a stored one that no longer
// parses falls back to the defaults.
func resolveDeliveryPolicy(topicDoc, subDoc string) deliveryPolicy {
	dp := deliveryPolicy{Retry: defaultRetry, ContentType: defaultContentType}
	override := true
	if topicDoc != "" {
		if tp, err := parseTopicDeliveryPolicy(topicDoc); err == nil && tp.HTTP != nil {
			h := tp.HTTP
			if h.DefaultHealthyRetryPolicy != nil {
				dp.Retry, _ = h.DefaultHealthyRetryPolicy.resolve(defaultRetry)
			}
			if h.DefaultThrottlePolicy != nil {
				dp.Throttle = h.DefaultThrottlePolicy.MaxReceivesPerSecond
			}
			if h.DefaultRequestPolicy != nil && h.DefaultRequestPolicy.HeaderContentType != "" {
				dp.ContentType = h.DefaultRequestPolicy.HeaderContentType
			}
			override = !h.DisableSubscriptionOverrides
		}
	}
	if override && subDoc != "" {
		if sp, err := parseSubDeliveryPolicy(subDoc); err == nil {
			if sp.HealthyRetryPolicy != nil {
				dp.Retry, _ = sp.HealthyRetryPolicy.resolve(defaultRetry)
			}
			if sp.ThrottlePolicy != nil {
				dp.Throttle = sp.ThrottlePolicy.MaxReceivesPerSecond
			}
			if sp.RequestPolicy != nil && sp.RequestPolicy.HeaderContentType != "" {
				dp.ContentType = sp.RequestPolicy.HeaderContentType
			}
		}
	}
	return dp
}

func marshalCompact(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimRight(b.String(), "\n")
}

// effectiveTopicDeliveryPolicy is the topic's EffectiveDeliveryPolicy.
func effectiveTopicDeliveryPolicy(doc string) string {
	type httpPolicy struct {
		DefaultHealthyRetryPolicy    retryPolicy     `json:"defaultHealthyRetryPolicy"`
		DisableSubscriptionOverrides bool            `json:"disableSubscriptionOverrides"`
		DefaultThrottlePolicy        *throttlePolicy `json:"defaultThrottlePolicy,omitempty"`
		DefaultRequestPolicy         requestPolicy   `json:"defaultRequestPolicy"`
	}
	h := httpPolicy{DefaultHealthyRetryPolicy: defaultRetry, DefaultRequestPolicy: requestPolicy{defaultContentType}}
	if doc != "" {
		if tp, err := parseTopicDeliveryPolicy(doc); err == nil && tp.HTTP != nil {
			if tp.HTTP.DefaultHealthyRetryPolicy != nil {
				h.DefaultHealthyRetryPolicy, _ = tp.HTTP.DefaultHealthyRetryPolicy.resolve(defaultRetry)
			}
			h.DisableSubscriptionOverrides = tp.HTTP.DisableSubscriptionOverrides
			h.DefaultThrottlePolicy = tp.HTTP.DefaultThrottlePolicy
			if tp.HTTP.DefaultRequestPolicy != nil {
				h.DefaultRequestPolicy = *tp.HTTP.DefaultRequestPolicy
			}
		}
	}
	return marshalCompact(map[string]any{"http": h})
}

// effectiveSubDeliveryPolicy is a subscription's EffectiveDeliveryPolicy.
func effectiveSubDeliveryPolicy(topicDoc, subDoc string) string {
	dp := resolveDeliveryPolicy(topicDoc, subDoc)
	out := struct {
		HealthyRetryPolicy retryPolicy     `json:"healthyRetryPolicy"`
		SicklyRetryPolicy  *struct{}       `json:"sicklyRetryPolicy"`
		ThrottlePolicy     *throttlePolicy `json:"throttlePolicy"`
		RequestPolicy      requestPolicy   `json:"requestPolicy"`
		Guaranteed         bool            `json:"guaranteed"`
	}{HealthyRetryPolicy: dp.Retry, RequestPolicy: requestPolicy{dp.ContentType}}
	if dp.Throttle > 0 {
		out.ThrottlePolicy = &throttlePolicy{dp.Throttle}
	}
	return marshalCompact(out)
}

package sns

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/google/uuid"
)

// tokenLifetime is how long a confirmation token stays valid (AWS: 3 days).
const tokenLifetime = 72 * time.Hour

// PendingArn is the SubscriptionArn Subscribe returns for a subscription
// awaiting confirmation; PendingListArn is what the List calls show.
const (
	PendingArn     = "pending confirmation"
	PendingListArn = "PendingConfirmation"
)

// subscription is the stored subscription.
type subscription struct {
	ID                           string    `json:"id"`
	Arn                          string    `json:"arn"`
	TopicArn                     string    `json:"topicArn"`
	Owner                        string    `json:"owner"` // subscriber's account
	Protocol                     string    `json:"protocol"`
	Endpoint                     string    `json:"endpoint"`
	Confirmed                    bool      `json:"confirmed"`
	ConfirmationWasAuthenticated bool      `json:"confirmationWasAuthenticated,omitempty"`
	AuthenticateOnUnsubscribe    bool      `json:"authenticateOnUnsubscribe,omitempty"`
	RawMessageDelivery           bool      `json:"rawMessageDelivery,omitempty"`
	FilterPolicy                 string    `json:"filterPolicy,omitempty"`
	FilterPolicyScope            string    `json:"filterPolicyScope,omitempty"`
	DeliveryPolicy               string    `json:"deliveryPolicy,omitempty"`
	RedrivePolicy                string    `json:"redrivePolicy,omitempty"`
	Token                        string    `json:"token,omitempty"` // the pending confirmation token
	Created                      time.Time `json:"created"`
}

func (s *subscription) scope() string {
	if s.FilterPolicyScope == "" {
		return ScopeAttributes
	}
	return s.FilterPolicyScope
}

// tokenRecord is a confirmation token. Restore holds the subscription an
// UnsubscribeConfirmation's SubscribeURL brings back.
type tokenRecord struct {
	SubID   string        `json:"subId"`
	Expires time.Time     `json:"expires"`
	Restore *subscription `json:"restore,omitempty"`
}

func (s *Service) confirmURL(topicArn, token string) string {
	return s.publicURL + "/_duplex/sns/confirm?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(topicArn) +
		"&Token=" + url.QueryEscape(token)
}

func (s *Service) unsubscribeURL(subArn string) string {
	return s.publicURL + "/_duplex/sns/unsubscribe?Action=Unsubscribe&SubscriptionArn=" + url.QueryEscape(subArn)
}

func newToken() string { return randomHex(64) }

// setSubAttribute validates and applies one subscription attribute.
func setSubAttribute(sub *subscription, name, value string) error {
	switch name {
	case "RawMessageDelivery":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return invalid("RawMessageDelivery: Invalid value [%s]. Must be true or false.", value)
		}
		sub.RawMessageDelivery = b
	case "FilterPolicy":
		if value != "" {
			if _, err := compileFilter(value, sub.scope()); err != nil {
				return invalid("FilterPolicy: %v", err)
			}
		}
		sub.FilterPolicy = value
	case "FilterPolicyScope":
		if value != ScopeAttributes && value != ScopeBody {
			return invalid("FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", value)
		}
		if sub.FilterPolicy != "" {
			if _, err := compileFilter(sub.FilterPolicy, value); err != nil {
				return invalid("FilterPolicy: %v", err)
			}
		}
		sub.FilterPolicyScope = value
	case "DeliveryPolicy":
		if value != "" {
			if sub.Protocol != "http" && sub.Protocol != "https" {
				return invalid("DeliveryPolicy: delivery policies apply to HTTP/S subscriptions only")
			}
			if _, err := parseSubDeliveryPolicy(value); err != nil {
				return invalid("DeliveryPolicy: %v", err)
			}
		}
		sub.DeliveryPolicy = value
	case "RedrivePolicy":
		if value != "" {
			var rp struct {
				DeadLetterTargetArn string `json:"deadLetterTargetArn"`
			}
			if err := decodeStrict(value, &rp); err != nil {
				return invalid("RedrivePolicy: Redrive policy is not a valid JSON object: %v", err)
			}
			parts := strings.Split(rp.DeadLetterTargetArn, ":")
			if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sqs" || !isAccountID(parts[4]) || parts[5] == "" {
				return invalid("RedrivePolicy: deadLetterTargetArn is not a valid SQS queue ARN")
			}
		}
		sub.RedrivePolicy = value
	default:
		return invalid("AttributeName")
	}
	return nil
}

// redriveTarget is the dead-letter target a subscription names, or "".
func (s *subscription) redriveTarget() string {
	var rp struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	}
	if s.RedrivePolicy == "" || json.Unmarshal([]byte(s.RedrivePolicy), &rp) != nil {
		return ""
	}
	return rp.DeadLetterTargetArn
}

// SubscribeInput is the model's SubscribeInput.
type SubscribeInput struct {
	TopicArn              string
	Protocol              string
	Endpoint              *string
	Attributes            map[string]string
	ReturnSubscriptionArn *bool
}

// SubscriptionArnOutput is the model's SubscribeResponse and
// ConfirmSubscriptionResponse.
type SubscriptionArnOutput struct {
	SubscriptionArn string `json:"SubscriptionArn"`
}

// Subscribe subscribes an endpoint to a topic. HTTP/S endpoints get a
// SubscriptionConfirmation and receive nothing else until they confirm.
func (s *Service) Subscribe(ctx context.Context, in *SubscribeInput) (*SubscriptionArnOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.loadTopic(ctx, nil, in.TopicArn)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "sns:Subscribe", "", t); err != nil {
		return nil, err
	}
	proto := s.protocols[in.Protocol]
	if proto == nil {
		return nil, invalid("Invalid protocol type: %s", in.Protocol)
	}
	endpoint := str(in.Endpoint)
	if endpoint == "" {
		return nil, invalid("Endpoint Reason: An endpoint must be specified for protocol %s", in.Protocol)
	}
	if err := proto.CheckEndpoint(endpoint); err != nil {
		return nil, invalid("Endpoint Reason: %v", err)
	}
	if t.Fifo {
		return nil, invalid("Invalid protocol type: %s; FIFO topics deliver only to Amazon SQS FIFO queues", in.Protocol)
	}
	owner := c.Account
	if owner == "" {
		owner = t.Owner
	}
	now := s.now().UTC()
	sub := &subscription{TopicArn: t.Arn, Owner: owner, Protocol: in.Protocol, Endpoint: endpoint, Created: now}
	names := sortedKeysS(in.Attributes)
	// FilterPolicyScope first, so that FilterPolicy is checked against it.
	if v, ok := in.Attributes["FilterPolicyScope"]; ok {
		if err := setSubAttribute(sub, "FilterPolicyScope", v); err != nil {
			return nil, err
		}
	}
	for _, k := range names {
		if k == "FilterPolicyScope" {
			continue
		}
		if k == "SubscriptionRoleArn" || k == "ReplayPolicy" {
			return nil, invalid("Attributes Reason: %s is not supported for protocol %s", k, in.Protocol)
		}
		if err := setSubAttribute(sub, k, in.Attributes[k]); err != nil {
			return nil, err
		}
	}
	returnArn := in.ReturnSubscriptionArn != nil && *in.ReturnSubscriptionArn
	var result string
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Get(ctx, t.Owner, kindTopic, t.Name); errors.Is(err, store.ErrNotFound) {
			return topicNotFound()
		} else if err != nil {
			return err
		}
		recs, err := tx.List(ctx, store.Query{Account: t.Owner, Kind: kindSubscription, Prefix: t.Name + "/"})
		if err != nil {
			return err
		}
		for _, r := range recs {
			var old subscription
			if err := json.Unmarshal(r.Data, &old); err != nil {
				return err
			}
			if old.Protocol != sub.Protocol || old.Endpoint != sub.Endpoint {
				continue
			}
			if !sameSubAttributes(&old, sub) {
				return invalid("Attributes Reason: Subscription already exists with different attributes")
			}
			if old.Confirmed {
				result = old.Arn
				return nil
			}
			// Pending: send the confirmation again.
			result = PendingArn
			if returnArn {
				result = old.Arn
			}
			return s.enqueueConfirmation(ctx, tx, &old, old.Token, now)
		}
		sub.ID = uuid.NewString()
		sub.Arn = t.Arn + ":" + sub.ID
		if !proto.NeedsConfirmation() {
			sub.Confirmed = true
			result = sub.Arn
			return save(ctx, tx, t.Owner, kindSubscription, t.Name+"/"+sub.ID, sub, true)
		}
		sub.Token = newToken()
		if err := save(ctx, tx, t.Owner, kindSubscription, t.Name+"/"+sub.ID, sub, true); err != nil {
			return err
		}
		tok := tokenRecord{SubID: sub.ID, Expires: now.Add(tokenLifetime)}
		if err := save(ctx, tx, t.Owner, kindToken, t.Name+"/"+sub.Token, tok, true); err != nil {
			return err
		}
		hk := housekeeping{Op: opExpirePending, Account: t.Owner, ID: t.Name + "/" + sub.ID, Token: sub.Token}
		if err := enqueueHousekeeping(ctx, tx, hk, tok.Expires); err != nil {
			return err
		}
		result = PendingArn
		if returnArn {
			result = sub.Arn
		}
		return s.enqueueConfirmation(ctx, tx, sub, sub.Token, now)
	})
	if err != nil {
		return nil, internal(err)
	}
	s.invalidate()
	s.worker.Notify()
	return &SubscriptionArnOutput{SubscriptionArn: result}, nil
}

func sameSubAttributes(a, b *subscription) bool {
	return a.RawMessageDelivery == b.RawMessageDelivery && a.FilterPolicy == b.FilterPolicy &&
		a.scope() == b.scope() && a.DeliveryPolicy == b.DeliveryPolicy && a.RedrivePolicy == b.RedrivePolicy
}

func sortedKeysS(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

// enqueueConfirmation queues a SubscriptionConfirmation for sub.
func (s *Service) enqueueConfirmation(ctx context.Context, tx store.Tx, sub *subscription, token string, now time.Time) error {
	id := uuid.NewString()
	d := deliveryJob{Type: typeSubscriptionConfirmation, Topic: sub.TopicArn, Sub: sub.Arn, Msg: id, At: now,
		Protocol: sub.Protocol, Endpoint: sub.Endpoint, Token: token, SigV: "1"}
	if t, err := s.loadTopic(ctx, tx, sub.TopicArn); err == nil {
		d.SigV = t.signatureVersion()
	}
	b, err := json.Marshal(&d)
	if err != nil {
		return err
	}
	return tx.Enqueue(ctx, store.Job{Queue: QueueDelivery, ID: id + "/" + sub.ID, Due: now, Payload: b})
}

// ConfirmSubscriptionInput is the model's ConfirmSubscriptionInput.
type ConfirmSubscriptionInput struct {
	TopicArn                  string
	Token                     string
	AuthenticateOnUnsubscribe *string
}

// ConfirmSubscription confirms a pending subscription with the token its
// endpoint received (or restores one an UnsubscribeConfirmation's token
// names).
func (s *Service) ConfirmSubscription(ctx context.Context, in *ConfirmSubscriptionInput) (*SubscriptionArnOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	auth := false
	if v := str(in.AuthenticateOnUnsubscribe); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, invalid("AuthenticateOnUnsubscribe")
		}
		auth = b
	}
	_ = c
	arn, err := s.confirm(ctx, in.TopicArn, in.Token, true, auth)
	if err != nil {
		return nil, err
	}
	return &SubscriptionArnOutput{SubscriptionArn: arn}, nil
}

// ConfirmFromURL confirms through a SubscribeURL (an unauthenticated GET).
func (s *Service) ConfirmFromURL(ctx context.Context, topicArn, token string) (string, error) {
	return s.confirm(ctx, topicArn, token, false, false)
}

func (s *Service) confirm(ctx context.Context, topicArn, token string, authenticated, authOnUnsub bool) (string, error) {
	t, err := s.loadTopic(ctx, nil, topicArn)
	if err != nil {
		return "", err
	}
	if token == "" || len(token) > 512 {
		return "", invalid("Token")
	}
	now := s.now().UTC()
	var arn string
	err = s.store.Update(ctx, func(tx store.Tx) error {
		tok, err := load[tokenRecord](ctx, tx, t.Owner, kindToken, t.Name+"/"+token)
		if errors.Is(err, store.ErrNotFound) {
			return invalid("Token")
		}
		if err != nil {
			return err
		}
		if now.After(tok.Expires) {
			return invalid("Token")
		}
		subKey := t.Name + "/" + tok.SubID
		sub, err := load[subscription](ctx, tx, t.Owner, kindSubscription, subKey)
		if errors.Is(err, store.ErrNotFound) {
			if tok.Restore == nil {
				return invalid("Token")
			}
			sub = tok.Restore
			sub.Confirmed, sub.Token = true, ""
			sub.ConfirmationWasAuthenticated = authenticated
			if authenticated && authOnUnsub {
				sub.AuthenticateOnUnsubscribe = true
			}
			arn = sub.Arn
			if err := tx.Delete(ctx, t.Owner, kindToken, t.Name+"/"+token); err != nil {
				return err
			}
			return save(ctx, tx, t.Owner, kindSubscription, subKey, sub, true)
		}
		if err != nil {
			return err
		}
		arn = sub.Arn
		if sub.Confirmed {
			return nil
		}
		sub.Confirmed, sub.Token = true, ""
		sub.ConfirmationWasAuthenticated = authenticated
		if authenticated && authOnUnsub {
			sub.AuthenticateOnUnsubscribe = true
		}
		if err := tx.Delete(ctx, t.Owner, kindToken, t.Name+"/"+token); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return save(ctx, tx, t.Owner, kindSubscription, subKey, sub, false)
	})
	if err != nil {
		return "", internal(err)
	}
	s.invalidate()
	return arn, nil
}

// loadSubscription reads a subscription by ARN.
func (s *Service) loadSubscription(ctx context.Context, arn string) (*topic, *subscription, error) {
	topicArn, _, name, id, ok := s.parseSubscriptionArn(arn)
	if !ok {
		return nil, nil, invalid("SubscriptionArn")
	}
	t, err := s.loadTopic(ctx, nil, topicArn)
	if e, ok := duplex.AsError(err); ok && e.Code == "NotFound" {
		return nil, nil, subscriptionNotFound()
	}
	if err != nil {
		return nil, nil, err
	}
	sub, err := load[subscription](ctx, s.store, t.Owner, kindSubscription, name+"/"+id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, subscriptionNotFound()
	}
	if err != nil {
		return nil, nil, internal(err)
	}
	return t, sub, nil
}

// authorizeSub lets the subscription's owner and the topic's owner act on
// it (as IAM allows them), and nobody else.
func (s *Service) authorizeSub(ctx context.Context, action string, t *topic, sub *subscription) error {
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	if c.Account != sub.Owner && c.Account != t.Owner {
		who := c.ARN
		if c.Service != "" {
			who = c.Service
		}
		return &duplex.Error{Code: "AuthorizationError",
			Message: "User: " + who + " is not authorized to perform: SNS:" + strings.TrimPrefix(action, "sns:") + " on resource: " + sub.Arn,
			Err: &Denied{Action: action, Resource: sub.Arn, Principal: who,
				Explanation: "only the subscription owner (" + sub.Owner + ") and the topic owner (" + t.Owner + ") may do this"}}
	}
	return s.authorize(ctx, c, action, sub.Arn, nil)
}

// UnsubscribeInput is the model's UnsubscribeInput.
type UnsubscribeInput struct{ SubscriptionArn string }

// Unsubscribe deletes a subscription; an HTTP/S endpoint that was confirmed
// gets an UnsubscribeConfirmation whose SubscribeURL restores it.
func (s *Service) Unsubscribe(ctx context.Context, in *UnsubscribeInput) (*struct{}, error) {
	t, sub, err := s.loadSubscription(ctx, in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeSub(ctx, "sns:Unsubscribe", t, sub); err != nil {
		return nil, err
	}
	return &struct{}{}, s.unsubscribe(ctx, t, sub)
}

// UnsubscribeFromURL unsubscribes through an UnsubscribeURL (an
// unauthenticated GET), unless the subscription was confirmed with
// AuthenticateOnUnsubscribe.
func (s *Service) UnsubscribeFromURL(ctx context.Context, subArn string) error {
	t, sub, err := s.loadSubscription(ctx, subArn)
	if err != nil {
		return err
	}
	if sub.AuthenticateOnUnsubscribe {
		return &duplex.Error{Code: "AuthorizationError",
			Message: "Unsubscribing " + sub.Arn + " requires an authenticated request: it was confirmed with AuthenticateOnUnsubscribe"}
	}
	return s.unsubscribe(ctx, t, sub)
}

func (s *Service) unsubscribe(ctx context.Context, t *topic, sub *subscription) error {
	now := s.now().UTC()
	err := s.store.Update(ctx, func(tx store.Tx) error {
		key := t.Name + "/" + sub.ID
		cur, err := load[subscription](ctx, tx, t.Owner, kindSubscription, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.Delete(ctx, t.Owner, kindSubscription, key); err != nil {
			return err
		}
		if cur.Token != "" {
			if err := tx.Delete(ctx, t.Owner, kindToken, t.Name+"/"+cur.Token); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		tt, err := load[topic](ctx, tx, t.Owner, kindTopic, t.Name)
		if err != nil {
			return err
		}
		tt.SubscriptionsDeleted++
		if err := save(ctx, tx, t.Owner, kindTopic, t.Name, tt, false); err != nil {
			return err
		}
		if !cur.Confirmed || s.protocols[cur.Protocol] == nil || !s.protocols[cur.Protocol].NeedsConfirmation() {
			return nil
		}
		token := newToken()
		restore := *cur
		tok := tokenRecord{SubID: cur.ID, Expires: now.Add(tokenLifetime), Restore: &restore}
		if err := save(ctx, tx, t.Owner, kindToken, t.Name+"/"+token, tok, true); err != nil {
			return err
		}
		if err := enqueueHousekeeping(ctx, tx, housekeeping{Op: opDeleteToken, Account: t.Owner, ID: t.Name + "/" + token}, tok.Expires); err != nil {
			return err
		}
		id := uuid.NewString()
		d := deliveryJob{Type: typeUnsubscribeConfirmation, Topic: t.Arn, Sub: cur.Arn, Msg: id, At: now,
			Protocol: cur.Protocol, Endpoint: cur.Endpoint, Token: token, SigV: tt.signatureVersion()}
		b, err := json.Marshal(&d)
		if err != nil {
			return err
		}
		return tx.Enqueue(ctx, store.Job{Queue: QueueDelivery, ID: id + "/" + cur.ID, Due: now, Payload: b})
	})
	if err != nil {
		return internal(err)
	}
	s.invalidate()
	s.worker.Notify()
	return nil
}

// SubscriptionRef is the model's Subscription.
type SubscriptionRef struct {
	SubscriptionArn string `json:"SubscriptionArn"`
	Owner           string `json:"Owner"`
	Protocol        string `json:"Protocol"`
	Endpoint        string `json:"Endpoint"`
	TopicArn        string `json:"TopicArn"`
}

// ListSubscriptionsOutput is the model's ListSubscriptions(ByTopic)Response.
type ListSubscriptionsOutput struct {
	Subscriptions []SubscriptionRef `json:"Subscriptions"`
	NextToken     *string           `json:"NextToken,omitempty"`
}

func (sub *subscription) ref() SubscriptionRef {
	arn := sub.Arn
	if !sub.Confirmed {
		arn = PendingListArn
	}
	return SubscriptionRef{SubscriptionArn: arn, Owner: sub.Owner, Protocol: sub.Protocol, Endpoint: sub.Endpoint, TopicArn: sub.TopicArn}
}

func (s *Service) listSubs(ctx context.Context, account, prefix string, next *string) (*ListSubscriptionsOutput, error) {
	after, err := decodeToken(next)
	if err != nil {
		return nil, err
	}
	recs, err := s.store.List(ctx, store.Query{Account: account, Kind: kindSubscription, Prefix: prefix, After: after, Limit: listPage + 1})
	if err != nil {
		return nil, internal(err)
	}
	out := &ListSubscriptionsOutput{Subscriptions: []SubscriptionRef{}}
	for i, r := range recs {
		if i == listPage {
			out.NextToken = encodeToken(recs[i-1].ID)
			break
		}
		var sub subscription
		if err := json.Unmarshal(r.Data, &sub); err != nil {
			return nil, internal(err)
		}
		out.Subscriptions = append(out.Subscriptions, sub.ref())
	}
	return out, nil
}

// ListSubscriptionsInput is the model's ListSubscriptionsInput.
type ListSubscriptionsInput struct{ NextToken *string }

// ListSubscriptions lists the subscriptions of the caller's topics, 100 a
// page.
func (s *Service) ListSubscriptions(ctx context.Context, in *ListSubscriptionsInput) (*ListSubscriptionsOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "sns:ListSubscriptions", s.topicArn(c.Account, "*"), nil); err != nil {
		return nil, err
	}
	return s.listSubs(ctx, c.Account, "", in.NextToken)
}

// ListSubscriptionsByTopicInput is the model's ListSubscriptionsByTopicInput.
type ListSubscriptionsByTopicInput struct {
	TopicArn  string
	NextToken *string
}

// ListSubscriptionsByTopic lists a topic's subscriptions, 100 a page.
func (s *Service) ListSubscriptionsByTopic(ctx context.Context, in *ListSubscriptionsByTopicInput) (*ListSubscriptionsOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.loadTopic(ctx, nil, in.TopicArn)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "sns:ListSubscriptionsByTopic", "", t); err != nil {
		return nil, err
	}
	return s.listSubs(ctx, t.Owner, t.Name+"/", in.NextToken)
}

// GetSubscriptionAttributesInput is the model's GetSubscriptionAttributesInput.
type GetSubscriptionAttributesInput struct{ SubscriptionArn string }

// GetSubscriptionAttributes returns a subscription's attributes.
func (s *Service) GetSubscriptionAttributes(ctx context.Context, in *GetSubscriptionAttributesInput) (*AttributesOutput, error) {
	t, sub, err := s.loadSubscription(ctx, in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeSub(ctx, "sns:GetSubscriptionAttributes", t, sub); err != nil {
		return nil, err
	}
	m := map[string]string{
		"SubscriptionArn":              sub.Arn,
		"TopicArn":                     sub.TopicArn,
		"Owner":                        sub.Owner,
		"Protocol":                     sub.Protocol,
		"Endpoint":                     sub.Endpoint,
		"PendingConfirmation":          strconv.FormatBool(!sub.Confirmed),
		"ConfirmationWasAuthenticated": strconv.FormatBool(sub.ConfirmationWasAuthenticated),
		"RawMessageDelivery":           strconv.FormatBool(sub.RawMessageDelivery),
	}
	if sub.Protocol == "http" || sub.Protocol == "https" {
		m["EffectiveDeliveryPolicy"] = effectiveSubDeliveryPolicy(t.DeliveryPolicy, sub.DeliveryPolicy)
	}
	if sub.DeliveryPolicy != "" {
		m["DeliveryPolicy"] = sub.DeliveryPolicy
	}
	if sub.FilterPolicy != "" {
		m["FilterPolicy"] = sub.FilterPolicy
		m["FilterPolicyScope"] = sub.scope()
	}
	if sub.RedrivePolicy != "" {
		m["RedrivePolicy"] = sub.RedrivePolicy
	}
	return &AttributesOutput{Attributes: m}, nil
}

// SetSubscriptionAttributesInput is the model's SetSubscriptionAttributesInput.
type SetSubscriptionAttributesInput struct {
	SubscriptionArn string
	AttributeName   string
	AttributeValue  *string
}

// SetSubscriptionAttributes changes one subscription attribute.
func (s *Service) SetSubscriptionAttributes(ctx context.Context, in *SetSubscriptionAttributesInput) (*struct{}, error) {
	t, sub, err := s.loadSubscription(ctx, in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeSub(ctx, "sns:SetSubscriptionAttributes", t, sub); err != nil {
		return nil, err
	}
	value := str(in.AttributeValue)
	probe := *sub
	if err := setSubAttribute(&probe, in.AttributeName, value); err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		key := t.Name + "/" + sub.ID
		cur, err := load[subscription](ctx, tx, t.Owner, kindSubscription, key)
		if errors.Is(err, store.ErrNotFound) {
			return subscriptionNotFound()
		}
		if err != nil {
			return err
		}
		if err := setSubAttribute(cur, in.AttributeName, value); err != nil {
			return err
		}
		return save(ctx, tx, t.Owner, kindSubscription, key, cur, false)
	})
	if err != nil {
		return nil, internal(err)
	}
	s.invalidate()
	return &struct{}{}, nil
}

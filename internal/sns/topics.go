package sns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/policy"
	"github.com/duplexsms/duplex/internal/store"
)

// topic is the stored topic.
type topic struct {
	Name                      string    `json:"name"`
	Arn                       string    `json:"arn"`
	Owner                     string    `json:"owner"`
	Fifo                      bool      `json:"fifo,omitempty"`
	ContentBasedDeduplication bool      `json:"contentBasedDeduplication,omitempty"`
	DisplayName               string    `json:"displayName,omitempty"`
	Policy                    string    `json:"policy,omitempty"` // "" = the default policy
	DeliveryPolicy            string    `json:"deliveryPolicy,omitempty"`
	KmsMasterKeyID            string    `json:"kmsMasterKeyId,omitempty"`
	SignatureVersion          string    `json:"signatureVersion,omitempty"`
	TracingConfig             string    `json:"tracingConfig,omitempty"`
	Tags                      []Tag     `json:"tags,omitempty"`
	SubscriptionsDeleted      int       `json:"subscriptionsDeleted,omitempty"`
	Sequence                  uint64    `json:"sequence,omitempty"` // FIFO sequence numbers handed out
	Created                   time.Time `json:"created"`

	defaultPolicy string // DefaultPolicy, computed once for cached topics
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// defaultPolicyActions are the actions of the access policy AWS writes for a
// new topic.
var defaultPolicyActions = []string{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
	"SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"}

// DefaultPolicy is the access policy of a new topic.
func DefaultPolicy(topicArn, owner string) string {
	stmt := orderedStatement{
		{"Sid", "__default_statement_ID"},
		{"Effect", "Allow"},
		{"Principal", map[string]any{"AWS": "*"}},
		{"Action", defaultPolicyActions},
		{"Resource", topicArn},
		{"Condition", map[string]any{"StringEquals": map[string]any{"AWS:SourceOwner": owner}}},
	}
	b, _ := marshalOrdered(orderedStatement{{"Version", "2008-10-17"}, {"Id", "__default_policy_ID"}, {"Statement", []any{stmt}}})
	return string(b)
}

// orderedStatement marshals its members in order (AWS's key order).
type orderedStatement []struct {
	K string
	V any
}

func (o orderedStatement) MarshalJSON() ([]byte, error) { return marshalOrdered(o) }

func marshalOrdered(o orderedStatement) ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv.K)
		v, err := json.Marshal(kv.V)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func (t *topic) policyDoc() string {
	if t.Policy != "" {
		return t.Policy
	}
	if t.defaultPolicy != "" {
		return t.defaultPolicy
	}
	return DefaultPolicy(t.Arn, t.Owner)
}

func (t *topic) signatureVersion() string {
	if t.SignatureVersion == "" {
		return "1"
	}
	return t.SignatureVersion
}

// validTopicName reports whether name is 1–256 letters, digits, hyphens
// and underscores (plus ".fifo" for FIFO topics).
func validTopicName(name string, fifo bool) bool {
	base := name
	if fifo {
		var ok bool
		base, ok = strings.CutSuffix(name, ".fifo")
		if !ok {
			return false
		}
	}
	if base == "" || len(name) > 256 {
		return false
	}
	for i := 0; i < len(base); i++ {
		c := base[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// CreateTopicInput is the model's CreateTopicInput.
type CreateTopicInput struct {
	Name                 string
	Attributes           map[string]string
	Tags                 []Tag
	DataProtectionPolicy *string
}

// CreateTopicOutput is the model's CreateTopicResponse.
type CreateTopicOutput struct {
	TopicArn string `json:"TopicArn"`
}

// CreateTopic creates a topic, or returns the existing one of that name when
// the request asks for the same attributes and tags.
func (s *Service) CreateTopic(ctx context.Context, in *CreateTopicInput) (*CreateTopicOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if c.Account == "" {
		return nil, &duplex.Error{Code: "AuthorizationError", Message: "Service principals cannot create topics"}
	}
	fifo := false
	if v, ok := in.Attributes["FifoTopic"]; ok {
		switch strings.ToLower(v) {
		case "true":
			fifo = true
		case "false":
		default:
			return nil, invalid("Attributes Reason: FifoTopic must be true or false")
		}
	}
	if fifo && !validTopicName(in.Name, true) {
		return nil, invalid("Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.")
	}
	if !fifo && !validTopicName(in.Name, false) {
		return nil, invalid("Topic Name")
	}
	if in.DataProtectionPolicy != nil && *in.DataProtectionPolicy != "" {
		return nil, invalid("DataProtectionPolicy Reason: data protection policies are not supported")
	}
	arn := s.topicArn(c.Account, in.Name)
	if err := s.authorize(ctx, c, "sns:CreateTopic", arn, nil); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	t := &topic{Name: in.Name, Arn: arn, Owner: c.Account, Fifo: fifo, Created: s.now().UTC(), Tags: in.Tags}
	names := make([]string, 0, len(in.Attributes))
	for k := range in.Attributes {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if k == "FifoTopic" {
			continue
		}
		if err := s.setTopicAttribute(ctx, t, k, in.Attributes[k], true); err != nil {
			return nil, err
		}
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		old, err := load[topic](ctx, tx, c.Account, kindTopic, in.Name)
		if errors.Is(err, store.ErrNotFound) {
			return save(ctx, tx, c.Account, kindTopic, in.Name, t, true)
		}
		if err != nil {
			return err
		}
		cur := old.attributes(0, 0)
		for _, k := range names {
			if cur[k] != in.Attributes[k] && !(k == "FifoTopic" && strings.EqualFold(cur[k], in.Attributes[k])) &&
				!(k == "Policy" && samePolicy(cur[k], in.Attributes[k])) {
				return invalid("Attributes Reason: Topic already exists with different attributes")
			}
		}
		if old.Fifo != fifo {
			return invalid("Attributes Reason: Topic already exists with different attributes")
		}
		if len(in.Tags) > 0 && !sameTags(old.Tags, in.Tags) {
			return invalid("Tags Reason: Topic already exists with different tags")
		}
		return nil
	})
	if err != nil {
		return nil, internal(err)
	}
	s.invalidate()
	return &CreateTopicOutput{TopicArn: arn}, nil
}

func samePolicy(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return a == b
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

func sameTags(a, b []Tag) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]string{}
	for _, t := range a {
		m[t.Key] = t.Value
	}
	for _, t := range b {
		if v, ok := m[t.Key]; !ok || v != t.Value {
			return false
		}
	}
	return true
}

// setTopicAttribute validates and applies one attribute.
func (s *Service) setTopicAttribute(ctx context.Context, t *topic, name, value string, creating bool) error {
	switch name {
	case "DisplayName":
		if len(value) > 100 {
			return invalid("DisplayName Reason: DisplayName must be at most 100 characters")
		}
		t.DisplayName = value
	case "Policy":
		if value == "" {
			t.Policy = ""
			return nil
		}
		if len(value) > 30*1024 {
			return invalid("Policy Error: policy is larger than 30 KB")
		}
		if _, err := policy.ParseKind(value, policy.ResourcePolicy); err != nil {
			return invalid("Policy Error: %v", err)
		}
		t.Policy = value
	case "DeliveryPolicy":
		if value != "" {
			if _, err := parseTopicDeliveryPolicy(value); err != nil {
				return invalid("DeliveryPolicy: %v", err)
			}
		}
		t.DeliveryPolicy = value
	case "KmsMasterKeyId":
		if value != "" {
			if err := s.checkKey(ctx, value); err != nil {
				return err
			}
		}
		t.KmsMasterKeyID = value
	case "SignatureVersion":
		if value != "1" && value != "2" {
			return invalid("Attribute SignatureVersion Reason: SignatureVersion must be 1 or 2")
		}
		t.SignatureVersion = value
	case "TracingConfig":
		if value != "Active" && value != "PassThrough" {
			return invalid("Attribute TracingConfig Reason: TracingConfig must be Active or PassThrough")
		}
		t.TracingConfig = value
	case "ContentBasedDeduplication":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return invalid("ContentBasedDeduplication Reason: must be true or false")
		}
		if !t.Fifo {
			return invalid("ContentBasedDeduplication Reason: Content based deduplication can only be set for FIFO topics")
		}
		t.ContentBasedDeduplication = b
	default:
		if creating {
			return invalid("Attributes Reason: Unknown attribute %s", name)
		}
		return invalid("AttributeName")
	}
	return nil
}

// attributes are GetTopicAttributes' map.
func (t *topic) attributes(pending, confirmed int) map[string]string {
	m := map[string]string{
		"TopicArn":                t.Arn,
		"Owner":                   t.Owner,
		"Policy":                  t.policyDoc(),
		"DisplayName":             t.DisplayName,
		"SubscriptionsPending":    strconv.Itoa(pending),
		"SubscriptionsConfirmed":  strconv.Itoa(confirmed),
		"SubscriptionsDeleted":    strconv.Itoa(t.SubscriptionsDeleted),
		"EffectiveDeliveryPolicy": effectiveTopicDeliveryPolicy(t.DeliveryPolicy),
	}
	if t.DeliveryPolicy != "" {
		m["DeliveryPolicy"] = t.DeliveryPolicy
	}
	if t.KmsMasterKeyID != "" {
		m["KmsMasterKeyId"] = t.KmsMasterKeyID
	}
	if t.SignatureVersion != "" {
		m["SignatureVersion"] = t.SignatureVersion
	}
	if t.TracingConfig != "" {
		m["TracingConfig"] = t.TracingConfig
	}
	if t.Fifo {
		m["FifoTopic"] = "true"
		m["ContentBasedDeduplication"] = strconv.FormatBool(t.ContentBasedDeduplication)
	}
	return m
}

// loadTopic reads a topic by ARN from r (nil: the store).
func (s *Service) loadTopic(ctx context.Context, r store.Reader, arn string) (*topic, error) {
	account, name, ok := s.parseTopicArn(arn)
	if !ok {
		if strings.HasPrefix(arn, "arn:") {
			return nil, topicNotFound()
		}
		return nil, invalid("TopicArn")
	}
	if r == nil {
		r = s.store
	}
	t, err := load[topic](ctx, r, account, kindTopic, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, topicNotFound()
	}
	if err != nil {
		return nil, internal(err)
	}
	return t, nil
}

// DeleteTopicInput is the model's DeleteTopicInput.
type DeleteTopicInput struct{ TopicArn string }

// DeleteTopic deletes a topic and its subscriptions. Deleting a topic that
// does not exist succeeds, as in AWS.
func (s *Service) DeleteTopic(ctx context.Context, in *DeleteTopicInput) (*struct{}, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.loadTopic(ctx, nil, in.TopicArn)
	if e, ok := duplex.AsError(err); ok && e.Code == "NotFound" {
		return &struct{}{}, nil
	}
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "sns:DeleteTopic", "", t); err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.Delete(ctx, t.Owner, kindTopic, t.Name); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if _, err := tx.DeletePrefix(ctx, t.Owner, kindSubscription, t.Name+"/"); err != nil {
			return err
		}
		_, err := tx.DeletePrefix(ctx, t.Owner, kindToken, t.Name+"/")
		return err
	})
	if err != nil {
		return nil, internal(err)
	}
	s.invalidate()
	return &struct{}{}, nil
}

// ListTopicsInput is the model's ListTopicsInput.
type ListTopicsInput struct{ NextToken *string }

// TopicRef is the model's Topic.
type TopicRef struct {
	TopicArn string `json:"TopicArn"`
}

// ListTopicsOutput is the model's ListTopicsResponse.
type ListTopicsOutput struct {
	Topics    []TopicRef `json:"Topics"`
	NextToken *string    `json:"NextToken,omitempty"`
}

const listPage = 100

// ListTopics lists the caller's topics, 100 a page.
func (s *Service) ListTopics(ctx context.Context, in *ListTopicsInput) (*ListTopicsOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "sns:ListTopics", s.topicArn(c.Account, "*"), nil); err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	recs, err := s.store.List(ctx, store.Query{Account: c.Account, Kind: kindTopic, After: after, Limit: listPage + 1})
	if err != nil {
		return nil, internal(err)
	}
	out := &ListTopicsOutput{Topics: []TopicRef{}}
	for i, r := range recs {
		if i == listPage {
			out.NextToken = encodeToken(recs[i-1].ID)
			break
		}
		out.Topics = append(out.Topics, TopicRef{TopicArn: s.topicArn(c.Account, r.ID)})
	}
	return out, nil
}

// GetTopicAttributesInput is the model's GetTopicAttributesInput.
type GetTopicAttributesInput struct{ TopicArn string }

// AttributesOutput is the model's Get*AttributesResponse.
type AttributesOutput struct {
	Attributes map[string]string `json:"Attributes"`
}

// GetTopicAttributes returns a topic's attributes.
func (s *Service) GetTopicAttributes(ctx context.Context, in *GetTopicAttributesInput) (*AttributesOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.loadTopic(ctx, nil, in.TopicArn)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "sns:GetTopicAttributes", "", t); err != nil {
		return nil, err
	}
	recs, err := s.store.List(ctx, store.Query{Account: t.Owner, Kind: kindSubscription, Prefix: t.Name + "/"})
	if err != nil {
		return nil, internal(err)
	}
	pending, confirmed := 0, 0
	for _, r := range recs {
		var sub subscription
		if err := json.Unmarshal(r.Data, &sub); err != nil {
			return nil, internal(err)
		}
		if sub.Confirmed {
			confirmed++
		} else {
			pending++
		}
	}
	return &AttributesOutput{Attributes: t.attributes(pending, confirmed)}, nil
}

// SetTopicAttributesInput is the model's SetTopicAttributesInput.
type SetTopicAttributesInput struct {
	TopicArn       string
	AttributeName  string
	AttributeValue *string
}

// SetTopicAttributes changes one attribute.
func (s *Service) SetTopicAttributes(ctx context.Context, in *SetTopicAttributesInput) (*struct{}, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.loadTopic(ctx, nil, in.TopicArn)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "sns:SetTopicAttributes", "", t); err != nil {
		return nil, err
	}
	value := ""
	if in.AttributeValue != nil {
		value = *in.AttributeValue
	}
	if in.AttributeName == "FifoTopic" {
		return nil, invalid("AttributeName")
	}
	// Validate (and check the KMS key) outside the transaction.
	probe := *t
	if err := s.setTopicAttribute(ctx, &probe, in.AttributeName, value, false); err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		cur, err := load[topic](ctx, tx, t.Owner, kindTopic, t.Name)
		if errors.Is(err, store.ErrNotFound) {
			return topicNotFound()
		}
		if err != nil {
			return err
		}
		switch in.AttributeName {
		case "DisplayName":
			cur.DisplayName = probe.DisplayName
		case "Policy":
			cur.Policy = probe.Policy
		case "DeliveryPolicy":
			cur.DeliveryPolicy = probe.DeliveryPolicy
		case "KmsMasterKeyId":
			cur.KmsMasterKeyID = probe.KmsMasterKeyID
		case "SignatureVersion":
			cur.SignatureVersion = probe.SignatureVersion
		case "TracingConfig":
			cur.TracingConfig = probe.TracingConfig
		case "ContentBasedDeduplication":
			cur.ContentBasedDeduplication = probe.ContentBasedDeduplication
		}
		return save(ctx, tx, t.Owner, kindTopic, t.Name, cur, false)
	})
	if err != nil {
		return nil, internal(err)
	}
	s.invalidate()
	return &struct{}{}, nil
}

// Tags.

const maxTags = 50

func checkTags(tags []Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		if len(t.Key) < 1 || len(t.Key) > 128 || len(t.Value) > 256 {
			return invalid("Tags Reason: tag keys are 1 to 128 characters, values at most 256")
		}
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return &duplex.Error{Code: "InvalidParameter", Message: "Invalid parameter: Tags Reason: Tag keys must not start with 'aws:'"}
		}
		if seen[t.Key] {
			return invalid("Tags Reason: Duplicate tag key %s", t.Key)
		}
		seen[t.Key] = true
	}
	if len(tags) > maxTags {
		return tagLimit()
	}
	return nil
}

func tagLimit() *duplex.Error {
	return &duplex.Error{Code: "TagLimitExceeded", Status: 400, Message: "Could not complete request: tag quota of per resource exceeded"}
}

func resourceNotFound() *duplex.Error {
	return &duplex.Error{Code: "ResourceNotFound", Status: 404, Message: "Resource does not exist"}
}

// taggedTopic loads the topic a tagging call names.
func (s *Service) taggedTopic(ctx context.Context, arn string) (*topic, error) {
	t, err := s.loadTopic(ctx, nil, arn)
	if e, ok := duplex.AsError(err); ok && (e.Code == "NotFound" || e.Code == "InvalidParameter") {
		return nil, resourceNotFound()
	}
	return t, err
}

// TagResourceInput is the model's TagResourceRequest.
type TagResourceInput struct {
	ResourceArn string
	Tags        []Tag
}

// TagResource adds or replaces tags on a topic.
func (s *Service) TagResource(ctx context.Context, in *TagResourceInput) (*struct{}, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.taggedTopic(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "sns:TagResource", "", t); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		cur, err := load[topic](ctx, tx, t.Owner, kindTopic, t.Name)
		if errors.Is(err, store.ErrNotFound) {
			return resourceNotFound()
		}
		if err != nil {
			return err
		}
		for _, nt := range in.Tags {
			i := slices.IndexFunc(cur.Tags, func(x Tag) bool { return x.Key == nt.Key })
			if i >= 0 {
				cur.Tags[i].Value = nt.Value
			} else {
				cur.Tags = append(cur.Tags, nt)
			}
		}
		if len(cur.Tags) > maxTags {
			return tagLimit()
		}
		return save(ctx, tx, t.Owner, kindTopic, t.Name, cur, false)
	})
	if err != nil {
		return nil, internal(err)
	}
	s.invalidate()
	return &struct{}{}, nil
}

// UntagResourceInput is the model's UntagResourceRequest.
type UntagResourceInput struct {
	ResourceArn string
	TagKeys     []string
}

// UntagResource removes tags from a topic.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceInput) (*struct{}, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.taggedTopic(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "sns:UntagResource", "", t); err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		cur, err := load[topic](ctx, tx, t.Owner, kindTopic, t.Name)
		if errors.Is(err, store.ErrNotFound) {
			return resourceNotFound()
		}
		if err != nil {
			return err
		}
		cur.Tags = slices.DeleteFunc(cur.Tags, func(x Tag) bool { return slices.Contains(in.TagKeys, x.Key) })
		return save(ctx, tx, t.Owner, kindTopic, t.Name, cur, false)
	})
	if err != nil {
		return nil, internal(err)
	}
	s.invalidate()
	return &struct{}{}, nil
}

// ListTagsForResourceInput is the model's ListTagsForResourceRequest.
type ListTagsForResourceInput struct{ ResourceArn string }

// ListTagsForResourceOutput is the model's ListTagsForResourceResponse.
type ListTagsForResourceOutput struct {
	Tags []Tag `json:"Tags"`
}

// ListTagsForResource lists a topic's tags.
func (s *Service) ListTagsForResource(ctx context.Context, in *ListTagsForResourceInput) (*ListTagsForResourceOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	t, err := s.taggedTopic(ctx, in.ResourceArn)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "sns:ListTagsForResource", "", t); err != nil {
		return nil, err
	}
	tags := t.Tags
	if tags == nil {
		tags = []Tag{}
	}
	return &ListTagsForResourceOutput{Tags: tags}, nil
}

// describeTopic is for errors and logs.
func (t *topic) String() string { return fmt.Sprintf("topic %s", t.Arn) }

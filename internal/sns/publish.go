package sns

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/google/uuid"
)

// MaxMessageSize is the largest message, body and attributes together.
const MaxMessageSize = 256 * 1024

// fifoDedupWindow is how long a FIFO deduplication ID is remembered.
const fifoDedupWindow = 5 * time.Minute

// MessageAttributeValue is the model's MessageAttributeValue.
type MessageAttributeValue struct {
	DataType    string  `json:"DataType"`
	StringValue *string `json:"StringValue,omitempty"`
	BinaryValue []byte  `json:"BinaryValue,omitempty"`
}

// Message is one message to publish.
type Message struct {
	Message                string
	Subject                string
	MessageStructure       string // "" or "json"
	MessageAttributes      map[string]MessageAttributeValue
	MessageGroupId         string
	MessageDeduplicationId string
}

// PublishInput is the model's PublishInput.
type PublishInput struct {
	TopicArn               *string
	TargetArn              *string
	PhoneNumber            *string
	Message                string
	Subject                *string
	MessageStructure       *string
	MessageAttributes      map[string]MessageAttributeValue
	MessageDeduplicationId *string
	MessageGroupId         *string
}

// PublishOutput is the model's PublishResponse.
type PublishOutput struct {
	MessageId      string  `json:"MessageId"`
	SequenceNumber *string `json:"SequenceNumber,omitempty"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Publish publishes one message to a topic as the caller.
func (s *Service) Publish(ctx context.Context, in *PublishInput) (*PublishOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if in.PhoneNumber != nil {
		return nil, invalid("PhoneNumber Reason: publishing SMS directly to a phone number is not supported; use End User Messaging SMS SendTextMessage")
	}
	arn := str(in.TopicArn)
	if arn == "" {
		arn = str(in.TargetArn)
	}
	if arn == "" {
		return nil, invalid("TopicArn or TargetArn Reason: no value for required parameter")
	}
	if in.TopicArn != nil && in.TargetArn != nil {
		return nil, invalid("TopicArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be set")
	}
	m := &Message{Message: in.Message, Subject: str(in.Subject), MessageStructure: str(in.MessageStructure),
		MessageAttributes: in.MessageAttributes, MessageGroupId: str(in.MessageGroupId),
		MessageDeduplicationId: str(in.MessageDeduplicationId)}
	if in.Subject != nil && *in.Subject == "" {
		return nil, invalid("Subject")
	}
	if err := validateMessage(m); err != nil {
		return nil, err
	}
	res, err := s.publish(ctx, c, arn, []*Message{m})
	if err != nil {
		return nil, err
	}
	out := &PublishOutput{MessageId: res[0].id}
	if res[0].seq != "" {
		out.SequenceNumber = &res[0].seq
	}
	return out, nil
}

// PublishAs publishes msg to a topic as duplex.CallerFrom(ctx): internal
// publishers (the two-way pipeline, as an assumed-role session or as the
// service principal sms-voice.amazonaws.com) use it. Errors are
// *duplex.Error with SNS's code and message; an AuthorizationError carries
// the policy decision as a *Denied cause, a KMS* error the KMS refusal:
// Explanation(err) returns the explanation either way, and err.Error()
// includes it.
func (s *Service) PublishAs(ctx context.Context, topicArn string, msg Message) (string, error) {
	c, err := caller(ctx)
	if err != nil {
		return "", err
	}
	if err := validateMessage(&msg); err != nil {
		return "", err
	}
	res, err := s.publish(ctx, c, topicArn, []*Message{&msg})
	if err != nil {
		return "", err
	}
	return res[0].id, nil
}

// TopicPublisher adapts the service to publishers that hand over a topic
// ARN and a body (twoway.Publisher).
type TopicPublisher struct{ S *Service }

// Publish publishes message to topicArn as duplex.CallerFrom(ctx).
func (p TopicPublisher) Publish(ctx context.Context, topicArn, message string) (string, error) {
	return p.S.PublishAs(ctx, topicArn, Message{Message: message})
}

// PublishBatchRequestEntry is the model's PublishBatchRequestEntry.
type PublishBatchRequestEntry struct {
	Id                     string
	Message                string
	Subject                *string
	MessageStructure       *string
	MessageAttributes      map[string]MessageAttributeValue
	MessageDeduplicationId *string
	MessageGroupId         *string
}

// PublishBatchInput is the model's PublishBatchInput.
type PublishBatchInput struct {
	TopicArn                   string
	PublishBatchRequestEntries []PublishBatchRequestEntry
}

// PublishBatchResultEntry is the model's PublishBatchResultEntry.
type PublishBatchResultEntry struct {
	Id             string  `json:"Id"`
	MessageId      string  `json:"MessageId"`
	SequenceNumber *string `json:"SequenceNumber,omitempty"`
}

// BatchResultErrorEntry is the model's BatchResultErrorEntry.
type BatchResultErrorEntry struct {
	Id          string `json:"Id"`
	Code        string `json:"Code"`
	Message     string `json:"Message,omitempty"`
	SenderFault bool   `json:"SenderFault"`
}

// PublishBatchOutput is the model's PublishBatchResponse.
type PublishBatchOutput struct {
	Successful []PublishBatchResultEntry `json:"Successful"`
	Failed     []BatchResultErrorEntry   `json:"Failed"`
}

func batchError(code, msg string) *duplex.Error {
	return &duplex.Error{Code: code, Status: 400, Message: msg}
}

func validBatchID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// PublishBatch publishes up to 10 messages in one transaction. Entries
// that fail validation are reported in Failed; the others are published.
func (s *Service) PublishBatch(ctx context.Context, in *PublishBatchInput) (*PublishBatchOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	entries := in.PublishBatchRequestEntries
	switch {
	case len(entries) == 0:
		return nil, batchError("EmptyBatchRequest", "The batch request doesn't contain any entries")
	case len(entries) > 10:
		return nil, batchError("TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible")
	}
	seen := map[string]bool{}
	total := 0
	for _, e := range entries {
		if !validBatchID(e.Id) {
			return nil, batchError("InvalidBatchEntryId", "The Id of a batch entry in a batch request doesn't abide by the specification")
		}
		if seen[e.Id] {
			return nil, batchError("BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id")
		}
		seen[e.Id] = true
		total += len(e.Message) + len(str(e.Subject)) + attributesSize(e.MessageAttributes)
	}
	if total > MaxMessageSize {
		return nil, batchError("BatchRequestTooLong", "The length of all the messages put together is more than the limit")
	}
	out := &PublishBatchOutput{Successful: []PublishBatchResultEntry{}, Failed: []BatchResultErrorEntry{}}
	var msgs []*Message
	var ids []string
	for _, e := range entries {
		m := &Message{Message: e.Message, Subject: str(e.Subject), MessageStructure: str(e.MessageStructure),
			MessageAttributes: e.MessageAttributes, MessageGroupId: str(e.MessageGroupId),
			MessageDeduplicationId: str(e.MessageDeduplicationId)}
		verr := validateMessage(m)
		if verr == nil && e.Subject != nil && *e.Subject == "" {
			verr = invalid("Subject")
		}
		if verr != nil {
			de, _ := duplex.AsError(verr)
			out.Failed = append(out.Failed, BatchResultErrorEntry{Id: e.Id, Code: de.Code, Message: de.Message, SenderFault: true})
			continue
		}
		msgs, ids = append(msgs, m), append(ids, e.Id)
	}
	if len(msgs) == 0 {
		return out, nil
	}
	res, err := s.publish(ctx, c, in.TopicArn, msgs)
	if err != nil {
		return nil, err
	}
	for i, r := range res {
		if r.err != nil {
			de, _ := duplex.AsError(r.err)
			out.Failed = append(out.Failed, BatchResultErrorEntry{Id: ids[i], Code: de.Code, Message: de.Message, SenderFault: true})
			continue
		}
		e := PublishBatchResultEntry{Id: ids[i], MessageId: r.id}
		if r.seq != "" {
			seq := r.seq
			e.SequenceNumber = &seq
		}
		out.Successful = append(out.Successful, e)
	}
	return out, nil
}

// Validation.

func attributesSize(attrs map[string]MessageAttributeValue) int {
	n := 0
	for k, a := range attrs {
		n += len(k) + len(a.DataType) + len(str(a.StringValue)) + len(a.BinaryValue)
	}
	return n
}

func validSubject(s string) bool {
	if s == "" || len(s) >= 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func validAttributeName(n string) bool {
	if n == "" || len(n) > 256 || n[0] == '.' || n[len(n)-1] == '.' || strings.Contains(n, "..") {
		return false
	}
	l := strings.ToLower(n)
	if strings.HasPrefix(l, "aws.") || strings.HasPrefix(l, "amazon.") {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// validateMessage checks a message as SNS does before anything is stored.
func validateMessage(m *Message) error {
	if m.Message == "" {
		return invalid("Empty message")
	}
	if !utf8.ValidString(m.Message) {
		return invalid("Message Reason: the message must be valid UTF-8")
	}
	if m.Subject != "" && !validSubject(m.Subject) {
		return invalid("Subject")
	}
	if len(m.Message)+len(m.Subject)+attributesSize(m.MessageAttributes) > MaxMessageSize {
		return invalid("Message too long")
	}
	switch m.MessageStructure {
	case "":
	case "json":
		if _, err := structuredVariants(m.Message); err != nil {
			return err
		}
	default:
		return invalid("MessageStructure")
	}
	if len(m.MessageAttributes) > 10 {
		return invalid("MessageAttributes Reason: Number of message attributes [%d] exceeds the allowed maximum [10].", len(m.MessageAttributes))
	}
	for name, a := range m.MessageAttributes {
		if !validAttributeName(name) {
			return invalid("MessageAttributes Reason: The message attribute name '%s' is invalid.", name)
		}
		typ, custom, _ := strings.Cut(a.DataType, ".")
		if a.DataType == "" || len(a.DataType) > 256 || (strings.Contains(a.DataType, ".") && custom == "") {
			return invalid("The message attribute '%s' must contain non-empty message attribute type.", name)
		}
		switch typ {
		case "String", "Number":
			if a.StringValue == nil || *a.StringValue == "" {
				return invalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", name, typ)
			}
			if !utf8.ValidString(*a.StringValue) {
				return invalid("The message attribute '%s' contains invalid characters.", name)
			}
		case "Binary":
			if len(a.BinaryValue) == 0 {
				return invalid("The message attribute '%s' must contain non-empty message attribute value for message attribute type 'Binary'.", name)
			}
		default:
			return invalid("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", name)
		}
		switch {
		case typ == "Number":
			if _, err := strconv.ParseFloat(strings.TrimSpace(*a.StringValue), 64); err != nil {
				return invalid("Could not cast message attribute '%s' value to number.", name)
			}
		case a.DataType == "String.Array":
			var arr []any
			if json.Unmarshal([]byte(*a.StringValue), &arr) != nil {
				return invalid("The message attribute '%s' with type 'String.Array' must be a JSON array.", name)
			}
			for _, e := range arr {
				switch e.(type) {
				case string, float64, bool, nil:
				default:
					return invalid("The message attribute '%s' with type 'String.Array' may only hold strings, numbers, true, false and null.", name)
				}
			}
		}
	}
	return nil
}

// structuredVariants parses a MessageStructure=json message.
func structuredVariants(msg string) (map[string]string, error) {
	var raw map[string]any
	if err := json.Unmarshal([]byte(msg), &raw); err != nil {
		return nil, invalid("Message Structure - JSON message body failed to parse")
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		sv, ok := v.(string)
		if !ok {
			return nil, invalid("Message Structure - JSON message body failed to parse")
		}
		out[k] = sv
	}
	if _, ok := out["default"]; !ok {
		return nil, invalid("Message Structure - No default entry in JSON message body")
	}
	return out, nil
}

// bodyFor returns the message a subscriber of protocol gets.
func bodyFor(msg string, structured bool, protocol string) string {
	if !structured {
		return msg
	}
	v, err := structuredVariants(msg)
	if err != nil {
		return msg
	}
	if b, ok := v[protocol]; ok {
		return b
	}
	return v["default"]
}

// The publish path.

type publishResult struct {
	id, seq string
	err     error
}

// shareThreshold: a message whose body would be copied into more bytes of
// jobs than this is stored once and referenced.
const shareThreshold = 64 * 1024

// messageLifetime is SNS's limit on a message's life in the system.
const messageLifetime = time.Hour

// storedMessage is a body shared by many delivery jobs.
type storedMessage struct {
	Body      string  `json:"body,omitempty"`
	Sealed    *sealed `json:"sealed,omitempty"`
	Structure bool    `json:"json,omitempty"`
}

type dedupRecord struct {
	MessageID string    `json:"messageId"`
	Sequence  string    `json:"sequence"`
	Expires   time.Time `json:"expires"`
}

// publish authorizes, seals and fans out msgs (validated) in one
// transaction.
func (s *Service) publish(ctx context.Context, c *duplex.Caller, topicArn string, msgs []*Message) ([]publishResult, error) {
	te, err := s.topicEntry(ctx, topicArn)
	if err != nil {
		return nil, err
	}
	t := te.topic
	if err := s.authorize(ctx, c, "sns:Publish", "", t); err != nil {
		return nil, err
	}
	res := make([]publishResult, len(msgs))
	for i, m := range msgs {
		if t.Fifo {
			if m.MessageGroupId == "" {
				res[i].err = invalid("The MessageGroupId parameter is required for FIFO topics")
			} else if m.MessageDeduplicationId == "" && !t.ContentBasedDeduplication {
				res[i].err = invalid("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			}
		} else if m.MessageDeduplicationId != "" {
			res[i].err = invalid("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
		} else if m.MessageGroupId != "" {
			res[i].err = invalid("MessageGroupId Reason: The request includes MessageGroupId parameter that is not valid for this topic type")
		}
	}
	if len(msgs) == 1 && res[0].err != nil {
		return nil, res[0].err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	var sealer *dataKey
	if t.KmsMasterKeyID != "" {
		sealer, err = s.newDataKey(ctx, c, t)
		if err != nil {
			return nil, err
		}
	}
	type pending struct {
		idx    int
		id     string
		jobs   []store.Job
		shared *storedMessage
		dup    bool // a FIFO duplicate: nothing is written
	}
	var work []pending
	for i, m := range msgs {
		if res[i].err != nil {
			continue
		}
		id := uuid.NewString()
		res[i].id = id
		structured := m.MessageStructure == "json"
		var sl *sealed
		if sealer != nil {
			sl, err = sealer.seal(m.Message, id)
			if err != nil {
				return nil, internal(err)
			}
		}
		matched := te.matching(m, structured)
		p := pending{idx: i, id: id}
		share := len(matched) > 1 && len(m.Message)*len(matched) > shareThreshold
		if share {
			p.shared = &storedMessage{Body: m.Message, Sealed: sl, Structure: structured}
			if sl != nil {
				p.shared.Body = ""
			}
		}
		for _, se := range matched {
			d := deliveryJob{Type: typeNotification, Topic: t.Arn, Sub: se.sub.Arn, Msg: id, At: now,
				Subject: m.Subject, Attrs: m.MessageAttributes, SigV: t.signatureVersion(), Structure: structured}
			switch {
			case share:
				d.Ref = true
			case sl != nil:
				d.Sealed = sl
			default:
				d.Body = m.Message
			}
			b, err := json.Marshal(&d)
			if err != nil {
				return nil, internal(err)
			}
			p.jobs = append(p.jobs, store.Job{Queue: QueueDelivery, ID: id + "/" + se.sub.ID, Due: now, Payload: b})
		}
		work = append(work, p)
	}
	// The transaction may run more than once (a retry after a conflict, or
	// alone after a failed group): it starts from the same state each time.
	err = s.commits.do(ctx, func(tx store.Tx) error {
		for wi := range work {
			p := &work[wi]
			p.dup = false
			res[p.idx].id, res[p.idx].seq = p.id, ""
		}
		var cur *topic
		if t.Fifo {
			var err error
			cur, err = load[topic](ctx, tx, t.Owner, kindTopic, t.Name)
			if errors.Is(err, store.ErrNotFound) {
				return topicNotFound()
			}
			if err != nil {
				return err
			}
		}
		for wi := range work {
			p := &work[wi]
			m := msgs[p.idx]
			if t.Fifo {
				dedup := m.MessageDeduplicationId
				if dedup == "" {
					sum := sha256.Sum256([]byte(m.Message))
					dedup = hex.EncodeToString(sum[:])
				}
				did := t.Name + "/" + dedup
				if d, err := load[dedupRecord](ctx, tx, t.Owner, kindDedup, did); err == nil && now.Before(d.Expires) {
					res[p.idx].id, res[p.idx].seq = d.MessageID, d.Sequence
					p.dup = true
					continue
				} else if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				cur.Sequence++
				res[p.idx].seq = fmt.Sprintf("%020d", cur.Sequence)
				rec := dedupRecord{MessageID: res[p.idx].id, Sequence: res[p.idx].seq, Expires: now.Add(fifoDedupWindow)}
				if err := save(ctx, tx, t.Owner, kindDedup, did, rec, false); err != nil {
					return err
				}
				if err := enqueueHousekeeping(ctx, tx, housekeeping{Op: opDeleteDedup, Account: t.Owner, ID: did}, rec.Expires); err != nil {
					return err
				}
			}
			if p.shared != nil {
				id := res[p.idx].id
				if err := save(ctx, tx, t.Owner, kindMessage, id, p.shared, true); err != nil {
					return err
				}
				hk := housekeeping{Op: opDeleteMessage, Account: t.Owner, ID: id}
				if err := enqueueHousekeeping(ctx, tx, hk, now.Add(messageLifetime+10*time.Minute)); err != nil {
					return err
				}
			}
			for _, j := range p.jobs {
				if err := tx.Enqueue(ctx, j); err != nil {
					return err
				}
			}
		}
		if cur != nil {
			return save(ctx, tx, t.Owner, kindTopic, t.Name, cur, false)
		}
		return nil
	})
	if err != nil {
		return nil, internal(err)
	}
	jobs, published := 0, 0
	for _, p := range work {
		if !p.dup {
			jobs += len(p.jobs)
			published++
		}
	}
	s.metrics.published(t.Arn, published)
	if jobs > 0 {
		s.worker.Notify()
	}
	return res, nil
}

package sns

import (
	"bytes"
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Message types of HTTP/S deliveries.
const (
	typeNotification             = "Notification"
	typeSubscriptionConfirmation = "SubscriptionConfirmation"
	typeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// deliveryJob is the payload of a job in QueueDelivery.
type deliveryJob struct {
	Type  string    `json:"t"`
	Topic string    `json:"topic"`
	Sub   string    `json:"sub"` // subscription ARN
	Msg   string    `json:"msg"` // message ID
	At    time.Time `json:"at"`  // publish time
	// Notification
	Subject   string                           `json:"subj,omitempty"`
	Body      string                           `json:"body,omitempty"`
	Sealed    *sealed                          `json:"sealed,omitempty"`
	Ref       bool                             `json:"ref,omitempty"`  // body in the sns.message record Msg
	Structure bool                             `json:"json,omitempty"` // MessageStructure json
	Attrs     map[string]MessageAttributeValue `json:"attrs,omitempty"`
	SigV      string                           `json:"sv,omitempty"`
	// SubscriptionConfirmation / UnsubscribeConfirmation
	Protocol string `json:"protocol,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
	Token    string `json:"token,omitempty"`
	// Retry state
	Retries   int       `json:"retries,omitempty"`
	LastError string    `json:"lastError,omitempty"`
	First     time.Time `json:"first,omitzero"` // first attempt
}

// Request is one HTTP/S (or other protocol) delivery.
type Request struct {
	Endpoint string
	// Header holds the request headers in order, names as SNS writes them.
	Header [][2]string
	Body   []byte
}

// envelope is the JSON document SNS POSTs to HTTP/S endpoints.
type envelope struct {
	Type, MessageID, Token, TopicArn, Subject, Message, SubscribeURL, Timestamp string
	SignatureVersion, Signature, SigningCertURL, UnsubscribeURL                 string
	Attrs                                                                       map[string]MessageAttributeValue
}

func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// stringToSign is the documented string to sign: "Name\nvalue\n" pairs in
// byte order of the names, Subject only when present.
func (e *envelope) stringToSign() []byte {
	var b bytes.Buffer
	add := func(k, v string) {
		b.WriteString(k)
		b.WriteByte('\n')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	add("Message", e.Message)
	add("MessageId", e.MessageID)
	if e.Type == typeNotification {
		if e.Subject != "" {
			add("Subject", e.Subject)
		}
	} else {
		add("SubscribeURL", e.SubscribeURL)
	}
	add("Timestamp", e.Timestamp)
	if e.Type != typeNotification {
		add("Token", e.Token)
	}
	add("TopicArn", e.TopicArn)
	add("Type", e.Type)
	return b.Bytes()
}

// jsonString writes s as a JSON string, escaping only what JSON requires
// (quotes, backslashes, control characters; not <, > and &).
func jsonString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
				b.WriteString(s[start:i])
				if r == utf8.RuneError {
					b.WriteString(`\ufffd`)
				} else {
					b.WriteString(`\u202`)
					b.WriteByte(hex[r&0xf])
				}
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
		i++
		start = i
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

// marshal writes the envelope with SNS's members, order and layout.
func (e *envelope) marshal() []byte {
	var b bytes.Buffer
	b.Grow(len(e.Message) + 1024)
	first := true
	field := func(k, v string) {
		if first {
			b.WriteString("{\n")
			first = false
		} else {
			b.WriteString(",\n")
		}
		b.WriteString("  \"")
		b.WriteString(k)
		b.WriteString("\" : ")
		jsonString(&b, v)
	}
	field("Type", e.Type)
	field("MessageId", e.MessageID)
	if e.Type != typeNotification {
		field("Token", e.Token)
	}
	field("TopicArn", e.TopicArn)
	if e.Type == typeNotification && e.Subject != "" {
		field("Subject", e.Subject)
	}
	field("Message", e.Message)
	if e.Type != typeNotification {
		field("SubscribeURL", e.SubscribeURL)
	}
	field("Timestamp", e.Timestamp)
	field("SignatureVersion", e.SignatureVersion)
	field("Signature", e.Signature)
	field("SigningCertURL", e.SigningCertURL)
	if e.Type == typeNotification {
		field("UnsubscribeURL", e.UnsubscribeURL)
		if len(e.Attrs) > 0 {
			b.WriteString(",\n  \"MessageAttributes\" : {")
			names := make([]string, 0, len(e.Attrs))
			for k := range e.Attrs {
				names = append(names, k)
			}
			slices.Sort(names)
			for i, k := range names {
				if i > 0 {
					b.WriteByte(',')
				}
				a := e.Attrs[k]
				b.WriteString("\n    ")
				jsonString(&b, k)
				b.WriteString(" : {\"Type\":")
				jsonString(&b, a.DataType)
				b.WriteString(",\"Value\":")
				if strings.HasPrefix(a.DataType, "Binary") {
					jsonString(&b, base64.StdEncoding.EncodeToString(a.BinaryValue))
				} else {
					jsonString(&b, str(a.StringValue))
				}
				b.WriteByte('}')
			}
			b.WriteString("\n  }")
		}
	}
	b.WriteString("\n}")
	return b.Bytes()
}

func confirmationText(typ, topicArn, subArn string) string {
	if typ == typeSubscriptionConfirmation {
		return "You have chosen to subscribe to the topic " + topicArn +
			".\nTo confirm the subscription, visit the SubscribeURL included in this message."
	}
	return "You have chosen to deactivate subscription " + subArn +
		".\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
}

// buildRequest turns a job whose body is known into the HTTP/S request.
// Notifications are signed once per (message, body variant, version).
func (s *Service) buildRequest(ctx context.Context, d *deliveryJob, body string, sub *subscription, contentType string) (*Request, error) {
	r := &Request{Endpoint: d.Endpoint}
	if d.Type == typeNotification {
		r.Endpoint = sub.Endpoint
	}
	r.Header = append(r.Header,
		[2]string{"Content-Type", contentType},
		[2]string{"x-amz-sns-message-type", d.Type},
		[2]string{"x-amz-sns-message-id", d.Msg},
		[2]string{"x-amz-sns-topic-arn", d.Topic})
	if d.Type != typeSubscriptionConfirmation {
		r.Header = append(r.Header, [2]string{"x-amz-sns-subscription-arn", d.Sub})
	}
	if d.Type == typeNotification && sub.RawMessageDelivery {
		r.Header = append(r.Header, [2]string{"x-amz-sns-rawdelivery", "true"},
			[2]string{"User-Agent", "Amazon Simple Notification Service Agent"})
		r.Body = []byte(body)
		return r, nil
	}
	r.Header = append(r.Header, [2]string{"User-Agent", "Amazon Simple Notification Service Agent"})
	certURL, err := s.signer.certURL(ctx)
	if err != nil {
		return nil, err
	}
	sigV := d.SigV
	if sigV == "" {
		sigV = "1"
	}
	e := &envelope{Type: d.Type, MessageID: d.Msg, TopicArn: d.Topic, Timestamp: timestamp(d.At),
		SignatureVersion: sigV, SigningCertURL: certURL}
	if d.Type == typeNotification {
		e.Subject, e.Message, e.Attrs = d.Subject, body, d.Attrs
		e.UnsubscribeURL = s.unsubscribeURL(d.Sub)
		key := d.Msg + "\x00" + sigV
		if d.Structure {
			key += "\x00" + sub.Protocol
		}
		e.Signature, err = s.sigs.get(key, func() (string, error) { return s.signer.sign(ctx, sigV, e.stringToSign()) })
	} else {
		e.Token, e.Message = d.Token, confirmationText(d.Type, d.Topic, d.Sub)
		e.SubscribeURL = s.confirmURL(d.Topic, d.Token)
		e.Signature, err = s.signer.sign(ctx, sigV, e.stringToSign())
	}
	if err != nil {
		return nil, err
	}
	r.Body = e.marshal()
	return r, nil
}

package smsvoice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/smsenc"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/google/uuid"
)

// Record kinds and queues of outbound messaging.
const (
	// KindMessage holds every outbound message in account "" by MessageId
	// (operator endpoints find a message by ID alone).
	KindMessage = "sms.message"
	// KindOutbox indexes outbound messages newest first.
	KindOutbox = "sms.outbox"
	// kindLastSent: account, id ORIGINATION-ID/DESTINATION → MessageId.
	kindLastSent = "sms.last-sent"
	// QueueOutbound holds messages waiting for a carrier.
	QueueOutbound = "outbound"
)

// Message statuses.
const (
	StatusQueued    = "QUEUED"
	StatusSent      = "SENT"
	StatusDelivered = "DELIVERED"
	StatusFailed    = "FAILED"
)

// OutboundMessage is a message sent to a customer, as operator endpoints
// and `duplex sim outbox` show it.
type OutboundMessage struct {
	MessageID         string            `json:"messageId"`
	OriginationNumber string            `json:"originationNumber"`
	DestinationNumber string            `json:"destinationNumber"`
	MessageBody       string            `json:"messageBody"`
	MediaURLs         []string          `json:"mediaUrls"`
	Status            string            `json:"status"`
	CreatedTimestamp  time.Time         `json:"createdTimestamp"`
	UpdatedTimestamp  time.Time         `json:"updatedTimestamp"`
	Account           string            `json:"account"`
	OriginationID     string            `json:"originationIdentity"`
	PoolID            string            `json:"poolId,omitempty"`
	MessageType       string            `json:"messageType,omitempty"`
	Encoding          string            `json:"encoding"`
	Parts             int               `json:"parts"`
	Context           map[string]string `json:"context,omitempty"`
	ExpiresAt         time.Time         `json:"expiresTimestamp"`
	Carrier           string            `json:"carrier,omitempty"`
	CarrierMessageID  string            `json:"carrierMessageId,omitempty"`
	StatusReason      string            `json:"statusReason,omitempty"`
	// Origin tells who sent it: "api", or "keyword:WORD" for automatic replies.
	Origin string `json:"origin"`
}

// SendTextMessageInput is the model's SendTextMessageRequest.
type SendTextMessageInput struct {
	DestinationPhoneNumber string
	OriginationIdentity    *string
	MessageBody            *string
	MessageType            *string
	Keyword                *string
	ConfigurationSetName   *string
	MaxPrice               *string
	TimeToLive             *int32
	Context                map[string]string
	DryRun                 bool
}

// SendMediaMessageInput is the model's SendMediaMessageRequest.
type SendMediaMessageInput struct {
	DestinationPhoneNumber string
	OriginationIdentity    string
	MessageBody            *string
	MediaUrls              []string
	ConfigurationSetName   *string
	MaxPrice               *string
	TimeToLive             *int32
	Context                map[string]string
	DryRun                 bool
}

// SendOutput is the model's Send*MessageResult.
type SendOutput struct {
	MessageId string `json:"MessageId"`
}

// DefaultTimeToLive is how long a message may wait for a carrier (AWS: 72 h).
const DefaultTimeToLive = 72 * time.Hour

// SendTextMessage queues an SMS to a customer.
func (s *Service) SendTextMessage(ctx context.Context, in *SendTextMessageInput) (*SendOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	if in.MessageBody == nil {
		return nil, duplex.Validation("MISSING_PARAMETER", "MessageBody is required.",
			duplex.FieldError{Name: "MessageBody", Message: "required"})
	}
	orig := ""
	if in.OriginationIdentity != nil {
		orig = *in.OriginationIdentity
	}
	msg := &OutboundMessage{DestinationNumber: in.DestinationPhoneNumber, MessageBody: *in.MessageBody, Context: in.Context, Origin: "api"}
	if in.MessageType != nil {
		msg.MessageType = *in.MessageType
	}
	return s.send(ctx, account, orig, "SMS", msg, in.TimeToLive, in.DryRun)
}

// SendMediaMessage queues an MMS to a customer.
func (s *Service) SendMediaMessage(ctx context.Context, in *SendMediaMessageInput) (*SendOutput, error) {
	account, err := s.account(ctx)
	if err != nil {
		return nil, err
	}
	if in.MessageBody == nil && len(in.MediaUrls) == 0 {
		return nil, duplex.Validation("MISSING_PARAMETER", "A media message needs a MessageBody or MediaUrls.",
			duplex.FieldError{Name: "MediaUrls", Message: "required without MessageBody"})
	}
	msg := &OutboundMessage{DestinationNumber: in.DestinationPhoneNumber, MediaURLs: in.MediaUrls, Context: in.Context, Origin: "api"}
	if in.MessageBody != nil {
		msg.MessageBody = *in.MessageBody
	}
	return s.send(ctx, account, in.OriginationIdentity, "MMS", msg, in.TimeToLive, in.DryRun)
}

// Reply sends an automatic response (keyword reply) from an origination
// number inside the caller's transaction, so that the reply is queued if and
// only if the inbound step that caused it commits.
func (s *Service) Reply(ctx context.Context, tx store.Tx, account string, from *PhoneNumber, poolID, to, body, origin string) (string, error) {
	msg := &OutboundMessage{DestinationNumber: to, MessageBody: body, Origin: origin}
	if err := s.prepare(msg, account, from, poolID, "SMS", nil); err != nil {
		return "", err
	}
	return msg.MessageID, s.queue(ctx, tx, msg)
}

func (s *Service) send(ctx context.Context, account, origRef, capability string, msg *OutboundMessage, ttl *int32, dryRun bool) (*SendOutput, error) {
	num, poolID, err := s.pickOrigination(ctx, account, origRef, capability, msg.DestinationNumber)
	if err != nil {
		return nil, err
	}
	if err := s.prepare(msg, account, num, poolID, capability, ttl); err != nil {
		return nil, err
	}
	if !num.Info.SelfManagedOptOutsEnabled {
		out, err := s.IsOptedOut(ctx, account, num.Info.OptOutListName, msg.DestinationNumber)
		if err != nil {
			return nil, internal(err)
		}
		if out {
			return nil, duplex.Conflict("DESTINATION_PHONE_NUMBER_OPTED_OUT", "opted-out-number", msg.DestinationNumber,
				fmt.Sprintf("The destination phone number %s has opted out of messages from this origination identity (opt-out list %s).",
					msg.DestinationNumber, num.Info.OptOutListName))
		}
	}
	if dryRun {
		return &SendOutput{MessageId: msg.MessageID}, nil
	}
	if err := s.Store.Update(ctx, func(tx store.Tx) error { return s.queue(ctx, tx, msg) }); err != nil {
		return nil, internal(err)
	}
	if s.OnQueued != nil {
		s.OnQueued()
	}
	return &SendOutput{MessageId: msg.MessageID}, nil
}

func (s *Service) prepare(msg *OutboundMessage, account string, num *PhoneNumber, poolID, capability string, ttl *int32) error {
	if !slices.Contains(num.Info.NumberCapabilities, capability) {
		return duplex.Conflict("NUMBER_CAPABILITIES_MISMATCH", "phone-number", num.Info.PhoneNumberId,
			fmt.Sprintf("The origination number %s does not have the %s capability.", num.Info.PhoneNumber, capability))
	}
	if num.Info.Status != "ACTIVE" {
		return duplex.Conflict("RESOURCE_NOT_ACTIVE", "phone-number", num.Info.PhoneNumberId, "The origination number is not ACTIVE.")
	}
	if !num.Info.InternationalSendingEnabled && international(num.Info.IsoCountryCode, msg.DestinationNumber) {
		return duplex.Validation("INTERNATIONAL_SENDING_NOT_SUPPORTED",
			fmt.Sprintf("%s is outside %s and international sending is not enabled on the origination number.", msg.DestinationNumber, num.Info.IsoCountryCode),
			duplex.FieldError{Name: "DestinationPhoneNumber", Message: "international destination"})
	}
	now := s.Now().UTC()
	life := DefaultTimeToLive
	if ttl != nil {
		life = time.Duration(*ttl) * time.Second
	}
	enc, parts := smsenc.Parts(msg.MessageBody)
	msg.MessageID = uuid.NewString()
	msg.Account = account
	msg.OriginationNumber = num.Info.PhoneNumber
	msg.OriginationID = num.Info.PhoneNumberId
	msg.PoolID = poolID
	msg.Carrier = num.Carrier
	msg.Encoding, msg.Parts = string(enc), parts
	msg.Status = StatusQueued
	msg.CreatedTimestamp, msg.UpdatedTimestamp = now, now
	msg.ExpiresAt = now.Add(life)
	if msg.MediaURLs == nil {
		msg.MediaURLs = []string{}
	}
	return nil
}

// queue writes the message, its outbox entry, the last-sent index for the
// number (and its pool) and the carrier job, in the caller's transaction.
func (s *Service) queue(ctx context.Context, tx store.Tx, msg *OutboundMessage) error {
	if err := save(ctx, tx, "", KindMessage, msg.MessageID, msg, true); err != nil {
		return err
	}
	if err := tx.Insert(ctx, store.Record{Account: "", Kind: KindOutbox, ID: OutboxKey(msg.CreatedTimestamp, msg.MessageID), Data: []byte(msg.MessageID)}); err != nil {
		return err
	}
	for _, orig := range []string{msg.OriginationID, msg.PoolID} {
		if orig == "" {
			continue
		}
		if err := tx.Put(ctx, store.Record{Account: msg.Account, Kind: kindLastSent, ID: orig + "/" + msg.DestinationNumber, Data: []byte(msg.MessageID)}); err != nil {
			return err
		}
	}
	return tx.Enqueue(ctx, store.Job{Queue: QueueOutbound, ID: msg.MessageID, Payload: []byte(msg.MessageID)})
}

// OutboxKey orders outbox entries newest first.
func OutboxKey(t time.Time, id string) string {
	return fmt.Sprintf("%016x/%s", uint64(math.MaxInt64-t.UnixNano()), id)
}

// LastSent is the MessageId of the latest message an origination identity
// (number or pool ID) sent to a customer, or "".
func (s *Service) LastSent(ctx context.Context, account, origID, customer string) (string, error) {
	rec, err := s.Store.Get(ctx, account, kindLastSent, origID+"/"+customer)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return string(rec.Data), nil
}

// pickOrigination resolves the origination identity of a send: a number
// (ID, ARN, E.164) or a pool (ID, ARN), from which one number is picked.
// With none given, any ACTIVE number of the account with the capability.
func (s *Service) pickOrigination(ctx context.Context, account, ref, capability, dest string) (*PhoneNumber, string, error) {
	if ref == "" {
		recs, _, err := scan(ctx, s.Store, account, kindNumber, "", "", 1, func(r store.Record) (bool, error) {
			var n PhoneNumber
			if err := json.Unmarshal(r.Data, &n); err != nil {
				return false, err
			}
			return n.Info.Status == "ACTIVE" && slices.Contains(n.Info.NumberCapabilities, capability), nil
		})
		if err != nil {
			return nil, "", internal(err)
		}
		if len(recs) == 0 {
			return nil, "", duplex.Conflict("NO_ORIGINATION_IDENTITIES_FOUND", "account", account, "The account has no phone number that can send "+capability+".")
		}
		var n PhoneNumber
		json.Unmarshal(recs[0].Data, &n)
		return &n, n.Info.PoolId, nil
	}
	if strings.HasPrefix(ref, "pool-") || strings.Contains(ref, ":pool/") {
		pid, err := s.resolve(account, "pool", ref)
		if err != nil {
			return nil, "", err
		}
		if _, err := s.Store.Get(ctx, account, kindPool, pid); err != nil {
			return nil, "", notFoundOr(err, "pool", ref)
		}
		members, err := s.Store.List(ctx, store.Query{Account: account, Kind: kindPoolMember, Prefix: pid + "/"})
		if err != nil {
			return nil, "", internal(err)
		}
		// Sticky choice: the number that last wrote to this customer, so a
		// conversation stays on one number; else the first capable one.
		last, _ := s.LastSent(ctx, account, pid, dest)
		var pick *PhoneNumber
		for _, m := range members {
			n, err := load[PhoneNumber](ctx, s.Store, account, kindNumber, strings.TrimPrefix(m.ID, pid+"/"))
			if err != nil || n.Info.Status != "ACTIVE" || !slices.Contains(n.Info.NumberCapabilities, capability) {
				continue
			}
			if pick == nil {
				pick = n
			}
			if last != "" {
				if mm, err := load[OutboundMessage](ctx, s.Store, "", KindMessage, last); err == nil && mm.OriginationID == n.Info.PhoneNumberId {
					pick = n
					break
				}
			}
		}
		if pick == nil {
			return nil, "", duplex.Conflict("NO_ORIGINATION_IDENTITIES_FOUND", "pool", pid, "The pool has no ACTIVE number that can send "+capability+".")
		}
		return pick, pid, nil
	}
	n, err := s.originationNumber(ctx, s.Store, account, ref)
	if err != nil {
		return nil, "", err
	}
	return n, n.Info.PoolId, nil
}

// international reports whether dest is outside the origination country,
// judged by dialing code (NANP countries share +1).
func international(iso, dest string) bool {
	c, ok := countries[iso]
	if !ok {
		return false
	}
	return !strings.HasPrefix(dest, "+"+c.dial)
}

// Message returns an outbound message by ID.
func (s *Service) Message(ctx context.Context, id string) (*OutboundMessage, error) {
	return load[OutboundMessage](ctx, s.Store, "", KindMessage, id)
}

// UpdateMessage applies fn to a stored outbound message.
func (s *Service) UpdateMessage(ctx context.Context, id string, fn func(*OutboundMessage)) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		m, err := load[OutboundMessage](ctx, tx, "", KindMessage, id)
		if err != nil {
			return err
		}
		fn(m)
		m.UpdatedTimestamp = s.Now().UTC()
		return save(ctx, tx, "", KindMessage, id, m, false)
	})
}

// Outbox lists outbound messages newest first, optionally to one number.
func (s *Service) Outbox(ctx context.Context, to string, limit int) ([]OutboundMessage, error) {
	out := []OutboundMessage{}
	after := ""
	for len(out) < limit {
		recs, err := s.Store.List(ctx, store.Query{Account: "", Kind: KindOutbox, After: after, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			m, err := load[OutboundMessage](ctx, s.Store, "", KindMessage, string(r.Data))
			if err != nil {
				continue
			}
			if to == "" || m.DestinationNumber == to {
				out = append(out, *m)
				if len(out) == limit {
					break
				}
			}
		}
		if len(recs) < 500 {
			break
		}
		after = recs[len(recs)-1].ID
	}
	return out, nil
}

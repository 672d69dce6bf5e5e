package connect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/google/uuid"
)

// Chat item types and participant roles of the Participant API.
const (
	ItemMessage     = "MESSAGE"
	ItemEvent       = "EVENT"
	ItemTyping      = "TYPING"
	ItemJoined      = "PARTICIPANT_JOINED"
	ItemLeft        = "PARTICIPANT_LEFT"
	ItemChatEnded   = "CHAT_ENDED"
	RoleAgent       = "AGENT"
	RoleCustomer    = "CUSTOMER"
	RoleSystem      = "SYSTEM"
	RoleCustomBot   = "CUSTOM_BOT"
	contentTypeText = "text/plain"
	contentTypeMD   = "text/markdown"
	typingEvent     = "application/vnd.amazonaws.connect.event.typing"
)

// Contact is a chat contact as duplex keeps it.
type Contact struct {
	Id                  string            `json:"id"`
	Arn                 string            `json:"arn"`
	InstanceId          string            `json:"instanceId"`
	InitialContactId    string            `json:"initialContactId"`
	InitiationTimestamp time.Time         `json:"initiationTimestamp"`
	DisconnectTimestamp time.Time         `json:"disconnectTimestamp,omitzero"`
	LastUpdateTimestamp time.Time         `json:"lastUpdateTimestamp"`
	DisconnectReason    string            `json:"disconnectReason,omitempty"`
	Customer            string            `json:"customer"`      // SourceId: the customer's E.164 number
	Destination         string            `json:"destination"`   // DestinationId: the SMS number's ARN
	SystemNumber        string            `json:"systemNumber"`  // the imported number, E.164
	PhoneNumberId       string            `json:"phoneNumberId"` // the imported number's Connect ID
	Subtype             string            `json:"subtype"`       // connect:SMS
	CustomerName        string            `json:"customerName"`  // the customer's display name
	CustomerParticipant string            `json:"customerParticipant"`
	AgentParticipant    string            `json:"agentParticipant,omitempty"` // the first agent who connected
	AgentConnected      time.Time         `json:"agentConnected,omitzero"`
	ConsoleAgent        string            `json:"consoleAgent,omitempty"` // the participant the console speaks as
	Attributes          map[string]string `json:"attributes,omitempty"`
	Messages            int               `json:"messages"`
	Seq                 int64             `json:"seq"` // items added so far: orders items of the same instant
	LastMessage         string            `json:"lastMessage,omitempty"`
	LastMessageRole     string            `json:"lastMessageRole,omitempty"`
	LastMessageTime     time.Time         `json:"lastMessageTime,omitzero"`
}

// Ended reports whether the chat is over.
func (c *Contact) Ended() bool { return !c.DisconnectTimestamp.IsZero() }

// Item is a transcript item: the Participant API's Item, with duplex's own
// bookkeeping (not part of the model, never written to API clients).
type Item struct {
	AbsoluteTime    string `json:"AbsoluteTime"`
	Content         string `json:"Content,omitempty"`
	ContentType     string `json:"ContentType,omitempty"`
	Id              string `json:"Id"`
	Type            string `json:"Type"`
	ParticipantId   string `json:"ParticipantId,omitempty"`
	DisplayName     string `json:"DisplayName,omitempty"`
	ParticipantRole string `json:"ParticipantRole,omitempty"`
	ContactId       string `json:"ContactId,omitempty"`

	At               time.Time `json:"at"`
	Key              string    `json:"key"`
	MessageId        string    `json:"messageId,omitempty"`        // the SMS an agent message was sent as
	InboundMessageId string    `json:"inboundMessageId,omitempty"` // the customer's text it came from
}

// participant is one participant of a chat.
type participant struct {
	Id           string    `json:"id"`
	ContactId    string    `json:"contactId"`
	Role         string    `json:"role"`
	DisplayName  string    `json:"displayName"`
	Created      time.Time `json:"created"`
	Joined       bool      `json:"joined"`
	Disconnected time.Time `json:"disconnected,omitzero"`
}

// token is a bearer token's record (account "", id its SHA-256).
type token struct {
	Account     string    `json:"account"`
	ContactId   string    `json:"contactId"`
	Participant string    `json:"participant"`
	Kind        string    `json:"kind"` // participant | connection
	Expires     time.Time `json:"expires"`
}

func openChatKey(destination, customer string) string { return destination + "|" + customer }

func itemKey(contact string, at time.Time, seq int64) string {
	return fmt.Sprintf("%s/%019d/%010d", contact, at.UnixNano(), seq)
}

// addItem appends an item to a contact's transcript, in time order (an
// item is never placed before the chat began; items of the same instant
// keep the order they were added in). The caller saves ct.
func (s *Service) addItem(ctx context.Context, tx store.Tx, account string, ct *Contact, it *Item) error {
	if it.Id == "" {
		it.Id = uuid.NewString()
	}
	if it.At.IsZero() {
		it.At = s.Now().UTC()
	}
	if it.At.Before(ct.InitiationTimestamp) {
		it.At = ct.InitiationTimestamp
	}
	it.At = it.At.UTC()
	it.ContactId = ct.Id
	it.AbsoluteTime = isoMillis(it.At)
	ct.Seq++
	it.Key = itemKey(ct.Id, it.At, ct.Seq)
	if it.Type == ItemMessage {
		ct.Messages++
		if !it.At.Before(ct.LastMessageTime) {
			ct.LastMessage, ct.LastMessageRole, ct.LastMessageTime = it.Content, it.ParticipantRole, it.At
		}
	}
	return save(ctx, tx, account, kindItem, it.Key, it, true)
}

func (s *Service) putContact(ctx context.Context, tx store.Tx, account string, ct *Contact) error {
	ct.LastUpdateTimestamp = s.Now().UTC()
	return save(ctx, tx, account, kindContact, ct.Id, ct, false)
}

// endTx ends a chat (no-op when it already ended): CHAT_ENDED in the
// transcript, and the customer's next text starts a new chat.
func (s *Service) endTx(ctx context.Context, tx store.Tx, account, contactID, reason string) error {
	ct, err := load[Contact](ctx, tx, account, kindContact, contactID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if ct.Ended() {
		return nil
	}
	now := s.Now().UTC()
	if err := s.addItem(ctx, tx, account, ct, &Item{Type: ItemChatEnded, ParticipantRole: RoleSystem, At: now,
		ContentType: "application/vnd.amazonaws.connect.event.chat.ended"}); err != nil {
		return err
	}
	ct.DisconnectTimestamp, ct.DisconnectReason = now, reason
	key := openChatKey(ct.Destination, ct.Customer)
	if rec, err := tx.Get(ctx, account, kindOpenChat, key); err == nil && string(rec.Data) == ct.Id {
		if err := tx.Delete(ctx, account, kindOpenChat, key); err != nil {
			return err
		}
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err := deleteIfExists(ctx, tx, account, kindOpen, ct.InstanceId+"/"+ct.Id); err != nil {
		return err
	}
	return s.putContact(ctx, tx, account, ct)
}

// ---- SendChatIntegrationEvent ----

// ChatEvent is the model's ChatEvent.
type ChatEvent struct {
	Type        string
	ContentType *string
	Content     *string
}

// ParticipantDetails is the model's ParticipantDetails.
type ParticipantDetails struct {
	DisplayName string
}

// NewSessionDetails is the model's NewSessionDetails.
type NewSessionDetails struct {
	SupportedMessagingContentTypes []string
	ParticipantDetails             *ParticipantDetails
	Attributes                     map[string]string
	StreamingConfiguration         *struct{ StreamingEndpointArn string }
}

// SendChatIntegrationEventInput is the model's SendChatIntegrationEventRequest.
type SendChatIntegrationEventInput struct {
	SourceId          string
	DestinationId     string
	Subtype           *string
	Event             ChatEvent
	NewSessionDetails *NewSessionDetails
}

// SendChatIntegrationEventOutput is the model's SendChatIntegrationEventResponse.
type SendChatIntegrationEventOutput struct {
	InitialContactId string `json:"InitialContactId,omitempty"`
	NewChatCreated   bool   `json:"NewChatCreated"`
}

// isServicePrincipal reports whether c is AWS End User Messaging SMS: the
// service principal itself, or the in-process session it holds after
// assuming a customer's role (no access key: such sessions never come
// over the wire).
func isServicePrincipal(c *duplex.Caller) bool {
	if c == nil {
		return false
	}
	if c.Service == ServicePrincipal {
		return true
	}
	return c.RoleARN != "" && c.AccessKeyID == "" && strings.HasSuffix(c.ARN, "/sms-voice")
}

// SendChatIntegrationEvent starts or continues the chat of a customer
// (SourceId, an E.164 number) with an imported number (DestinationId, its
// End User Messaging SMS ARN): a MESSAGE or EVENT is appended to the open
// chat, or to a new one; DISCONNECT ends the chat. Only AWS End User
// Messaging SMS may call it, and the role it acts through needs
// connect:SendChatIntegrationEvent.
func (s *Service) SendChatIntegrationEvent(ctx context.Context, in *SendChatIntegrationEventInput) (*SendChatIntegrationEventOutput, error) {
	return s.chatEvent(ctx, in, "", time.Time{})
}

// chatEvent is SendChatIntegrationEvent; inbound (an inboundMessageId)
// makes a retried delivery of the same text a no-op, and at is when the
// text arrived (its place in the transcript).
func (s *Service) chatEvent(ctx context.Context, in *SendChatIntegrationEventInput, inbound string, at time.Time) (*SendChatIntegrationEventOutput, error) {
	c := duplex.CallerFrom(ctx)
	if !isServicePrincipal(c) {
		who := "anonymous"
		if c != nil {
			who = c.ARN
		}
		return nil, accessDenied("User: %s is not authorized to perform: connect:SendChatIntegrationEvent: access to this API is restricted to AWS End User Messaging SMS (%s)", who, ServicePrincipal)
	}
	m := smsNumberARN.FindStringSubmatch(in.DestinationId)
	if m == nil {
		return nil, invalidRequest("DestinationId %q is not an AWS End User Messaging SMS phone number ARN.", in.DestinationId)
	}
	region, account := m[1], m[2]
	if in.Subtype != nil && *in.Subtype != "" && !strings.EqualFold(*in.Subtype, SubtypeSMS) {
		return nil, invalidRequest("Subtype %q is not supported; duplex carries %s chats only.", *in.Subtype, SubtypeSMS)
	}
	if region != s.Region {
		return nil, notFound(fmt.Sprintf("The phone number %s is in %s; this server's Amazon Connect instances are in %s.", in.DestinationId, region, s.Region))
	}
	num, err := s.importedNumber(ctx, s.Store, account, in.DestinationId)
	if err != nil {
		return nil, internal(err)
	}
	resource := s.instanceArn(account, "*")
	if num != nil {
		resource = num.TargetArn
	}
	if c.Service != "" {
		if src := c.Context["aws:SourceAccount"]; src != "" && src != account {
			return nil, accessDenied("%s acting for account %s may not send chat events for account %s", c.Service, src, account)
		}
	} else if err := s.authorize(ctx, c, "connect:SendChatIntegrationEvent", resource, account); err != nil {
		return nil, err
	}
	if num == nil {
		return nil, notFound(fmt.Sprintf("The phone number %s is not imported into an Amazon Connect instance of account %s (ImportPhoneNumber).", in.DestinationId, account))
	}
	if num.PhoneNumberStatus.Status != NumberClaimed {
		why := num.PhoneNumberStatus.Message
		if why != "" {
			why = ": " + why
		}
		return nil, invalidRequest("The phone number %s (%s) is %s in instance %s, not CLAIMED%s", num.PhoneNumberArn, num.PhoneNumber,
			num.PhoneNumberStatus.Status, num.InstanceId, why)
	}
	ev := in.Event
	contentType, content := deref(ev.ContentType), deref(ev.Content)
	switch ev.Type {
	case ItemMessage:
		if content == "" || contentType == "" {
			return nil, invalidRequest("A MESSAGE event needs ContentType and Content.")
		}
		if contentType != contentTypeText && contentType != contentTypeMD {
			return nil, invalidRequest("ContentType %q is not supported for %s; use text/plain or text/markdown.", contentType, SubtypeSMS)
		}
	case ItemEvent:
		if contentType == "" {
			return nil, invalidRequest("An EVENT needs a ContentType.")
		}
	case "DISCONNECT":
	default:
		return nil, invalidRequest("Event Type %q is not supported.", ev.Type)
	}
	var out *SendChatIntegrationEventOutput
	for attempt := 0; ; attempt++ {
		out = &SendChatIntegrationEventOutput{}
		err = s.Store.Update(ctx, func(tx store.Tx) error {
			return s.chatEventTx(ctx, tx, account, num, in, inbound, at, out)
		})
		if errors.Is(err, store.ErrExists) && attempt < 3 {
			continue // a concurrent event opened the chat first: join it
		}
		break
	}
	if err != nil {
		return nil, internal(err)
	}
	return out, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (s *Service) chatEventTx(ctx context.Context, tx store.Tx, account string, num *PhoneNumber, in *SendChatIntegrationEventInput,
	inbound string, at time.Time, out *SendChatIntegrationEventOutput) error {
	if inbound != "" {
		if rec, err := tx.Get(ctx, account, kindInboundSeen, inbound); err == nil {
			out.InitialContactId = string(rec.Data)
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if _, err := tx.Get(ctx, account, kindInstance, num.InstanceId); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Instance " + num.InstanceId + " not found.")
		}
		return err
	}
	now := s.Now().UTC()
	if at.IsZero() || at.After(now) {
		at = now
	}
	key := openChatKey(in.DestinationId, in.SourceId)
	var ct *Contact
	rec, err := tx.Get(ctx, account, kindOpenChat, key)
	switch {
	case err == nil:
		ct, err = load[Contact](ctx, tx, account, kindContact, string(rec.Data))
		if err != nil {
			return err
		}
		if ct.Ended() {
			ct = nil
			if err := tx.Delete(ctx, account, kindOpenChat, key); err != nil {
				return err
			}
		}
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if ct == nil && in.Event.Type == "DISCONNECT" {
		return nil // no chat to end
	}
	if ct == nil {
		id := uuid.NewString()
		name := in.SourceId
		var attrs map[string]string
		if d := in.NewSessionDetails; d != nil {
			if d.ParticipantDetails != nil && d.ParticipantDetails.DisplayName != "" {
				name = d.ParticipantDetails.DisplayName
			}
			attrs = d.Attributes
		}
		ct = &Contact{Id: id, Arn: s.contactArn(account, num.InstanceId, id), InstanceId: num.InstanceId, InitialContactId: id,
			InitiationTimestamp: at, LastUpdateTimestamp: now, Customer: in.SourceId, Destination: in.DestinationId,
			SystemNumber: num.PhoneNumber, PhoneNumberId: num.PhoneNumberId, Subtype: SubtypeSMS, CustomerName: name,
			Attributes: attrs}
		p := &participant{Id: uuid.NewString(), ContactId: id, Role: RoleCustomer, DisplayName: name, Created: now, Joined: true}
		ct.CustomerParticipant = p.Id
		if err := save(ctx, tx, account, kindParticipant, id+"/"+p.Id, p, true); err != nil {
			return err
		}
		if err := save(ctx, tx, account, kindContact, id, ct, true); err != nil {
			return err
		}
		if err := tx.Insert(ctx, store.Record{Account: account, Kind: kindOpenChat, ID: key, Data: []byte(id)}); err != nil {
			return err
		}
		if err := tx.Put(ctx, store.Record{Account: account, Kind: kindOpen, ID: num.InstanceId + "/" + id, Data: []byte(id)}); err != nil {
			return err
		}
		if err := s.addItem(ctx, tx, account, ct, &Item{Type: ItemJoined, ParticipantId: p.Id, DisplayName: name,
			ParticipantRole: RoleCustomer, At: at, ContentType: "application/vnd.amazonaws.connect.event.participant.joined"}); err != nil {
			return err
		}
		out.NewChatCreated = true
	}
	out.InitialContactId = ct.InitialContactId
	cust := &Item{ParticipantId: ct.CustomerParticipant, DisplayName: ct.CustomerName, ParticipantRole: RoleCustomer, At: at,
		InboundMessageId: inbound}
	switch in.Event.Type {
	case ItemMessage:
		cust.Type, cust.ContentType, cust.Content = ItemMessage, deref(in.Event.ContentType), deref(in.Event.Content)
		if err := s.addItem(ctx, tx, account, ct, cust); err != nil {
			return err
		}
	case ItemEvent:
		cust.Type, cust.ContentType, cust.Content = ItemEvent, deref(in.Event.ContentType), deref(in.Event.Content)
		if cust.ContentType == typingEvent {
			cust.Type = ItemTyping
		}
		if err := s.addItem(ctx, tx, account, ct, cust); err != nil {
			return err
		}
	case "DISCONNECT":
		cust.Type, cust.ContentType = ItemLeft, "application/vnd.amazonaws.connect.event.participant.left"
		if err := s.addItem(ctx, tx, account, ct, cust); err != nil {
			return err
		}
		if err := s.putContact(ctx, tx, account, ct); err != nil {
			return err
		}
		if err := s.endTx(ctx, tx, account, ct.Id, "CUSTOMER_DISCONNECT"); err != nil {
			return err
		}
		return s.markInbound(ctx, tx, account, inbound, ct.Id)
	}
	if err := s.putContact(ctx, tx, account, ct); err != nil {
		return err
	}
	return s.markInbound(ctx, tx, account, inbound, ct.Id)
}

func (s *Service) markInbound(ctx context.Context, tx store.Tx, account, inbound, contactID string) error {
	if inbound == "" {
		return nil
	}
	return tx.Put(ctx, store.Record{Account: account, Kind: kindInboundSeen, ID: inbound, Data: []byte(contactID)})
}

// ---- DescribeContact, StopContact ----

// ContactInput names a contact of an instance.
type ContactInput struct {
	InstanceId string
	ContactId  string
}

// Endpoint is the model's EndpointInfo.
type Endpoint struct {
	Type    string `json:"Type"`
	Address string `json:"Address"`
}

// AgentInfo is the part of the model's AgentInfo duplex knows.
type AgentInfo struct {
	Id                        string    `json:"Id,omitempty"`
	ConnectedToAgentTimestamp time.Time `json:"ConnectedToAgentTimestamp,omitzero"`
}

// SegmentAttributeValue is the model's SegmentAttributeValue (strings only).
type SegmentAttributeValue struct {
	ValueString string `json:"ValueString"`
}

// ContactInfo is the model's Contact, as far as a chat of duplex has it.
type ContactInfo struct {
	Arn                 string                           `json:"Arn"`
	Id                  string                           `json:"Id"`
	InitialContactId    string                           `json:"InitialContactId"`
	InitiationMethod    string                           `json:"InitiationMethod"`
	Channel             string                           `json:"Channel"`
	InitiationTimestamp time.Time                        `json:"InitiationTimestamp"`
	DisconnectTimestamp time.Time                        `json:"DisconnectTimestamp,omitzero"`
	LastUpdateTimestamp time.Time                        `json:"LastUpdateTimestamp"`
	CustomerEndpoint    *Endpoint                        `json:"CustomerEndpoint,omitempty"`
	SystemEndpoint      *Endpoint                        `json:"SystemEndpoint,omitempty"`
	AgentInfo           *AgentInfo                       `json:"AgentInfo,omitempty"`
	SegmentAttributes   map[string]SegmentAttributeValue `json:"SegmentAttributes,omitempty"`
	DisconnectReason    string                           `json:"DisconnectReason,omitempty"`
	Attributes          map[string]string                `json:"Attributes,omitempty"`
}

// DescribeContactOutput is the model's DescribeContactResponse.
type DescribeContactOutput struct {
	Contact *ContactInfo `json:"Contact"`
}

// contact loads a contact of an instance of the caller's account.
func (s *Service) contact(ctx context.Context, r store.Reader, account, instanceRef, contactID string) (*Instance, *Contact, error) {
	inst, err := s.instance(ctx, r, account, instanceRef)
	if err != nil {
		return nil, nil, err
	}
	ct, err := load[Contact](ctx, r, account, kindContact, contactID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && ct.InstanceId != inst.Id) {
		return nil, nil, notFound("Contact " + contactID + " not found in instance " + inst.Id + ".")
	}
	if err != nil {
		return nil, nil, internal(err)
	}
	return inst, ct, nil
}

// Info renders a contact as the API's Contact.
func (ct *Contact) Info() *ContactInfo {
	out := &ContactInfo{Arn: ct.Arn, Id: ct.Id, InitialContactId: ct.InitialContactId, InitiationMethod: "API", Channel: "CHAT",
		InitiationTimestamp: ct.InitiationTimestamp, DisconnectTimestamp: ct.DisconnectTimestamp, LastUpdateTimestamp: ct.LastUpdateTimestamp,
		CustomerEndpoint:  &Endpoint{Type: "TELEPHONE_NUMBER", Address: ct.Customer},
		SystemEndpoint:    &Endpoint{Type: "TELEPHONE_NUMBER", Address: ct.SystemNumber},
		SegmentAttributes: map[string]SegmentAttributeValue{"connect:Subtype": {ValueString: ct.Subtype}},
		DisconnectReason:  ct.DisconnectReason, Attributes: ct.Attributes}
	if ct.AgentParticipant != "" {
		out.AgentInfo = &AgentInfo{Id: ct.AgentParticipant, ConnectedToAgentTimestamp: ct.AgentConnected}
	}
	return out
}

// DescribeContact returns a chat contact.
func (s *Service) DescribeContact(ctx context.Context, in *ContactInput) (*DescribeContactOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	_, ct, err := s.contact(ctx, s.Store, c.Account, in.InstanceId, in.ContactId)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "connect:DescribeContact", ct.Arn, c.Account); err != nil {
		return nil, err
	}
	return &DescribeContactOutput{Contact: ct.Info()}, nil
}

// StopContactInput is the model's StopContactRequest.
type StopContactInput struct {
	ContactId        string
	InstanceId       string
	DisconnectReason *struct{ Code *string }
}

// StopContact ends a chat; the customer's next text starts a new one.
func (s *Service) StopContact(ctx context.Context, in *StopContactInput) (*struct{}, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	_, ct, err := s.contact(ctx, s.Store, c.Account, in.InstanceId, in.ContactId)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "connect:StopContact", ct.Arn, c.Account); err != nil {
		return nil, err
	}
	reason := "STOP_CONTACT_API"
	if in.DisconnectReason != nil && in.DisconnectReason.Code != nil && *in.DisconnectReason.Code != "" {
		reason = *in.DisconnectReason.Code
	}
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		cur, err := load[Contact](ctx, tx, c.Account, kindContact, ct.Id)
		if err != nil {
			return err
		}
		if cur.Ended() {
			return &duplex.Error{Code: "ContactNotFoundException", Message: "The contact " + ct.Id + " is not active: it ended at " +
				cur.DisconnectTimestamp.Format(time.RFC3339) + "."}
		}
		return s.endTx(ctx, tx, c.Account, ct.Id, reason)
	})
	if err != nil {
		return nil, internal(err)
	}
	return &struct{}{}, nil
}

// ---- CreateParticipant ----

// CreateParticipantInput is the model's CreateParticipantRequest.
type CreateParticipantInput struct {
	InstanceId         string
	ContactId          string
	ClientToken        *string
	ParticipantDetails struct {
		ParticipantRole *string
		DisplayName     *string
	}
}

// ParticipantCredentials is the model's ParticipantTokenCredentials.
type ParticipantCredentials struct {
	ParticipantToken string `json:"ParticipantToken"`
	Expiry           string `json:"Expiry"`
}

// CreateParticipantOutput is the model's CreateParticipantResponse.
type CreateParticipantOutput struct {
	ParticipantCredentials *ParticipantCredentials `json:"ParticipantCredentials"`
	ParticipantId          string                  `json:"ParticipantId"`
}

// CreateParticipant adds an agent (or a custom bot) to an open chat and
// gives it a participant token, which CreateParticipantConnection of the
// Participant API turns into a connection token.
func (s *Service) CreateParticipant(ctx context.Context, in *CreateParticipantInput) (*CreateParticipantOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	_, ct, err := s.contact(ctx, s.Store, c.Account, in.InstanceId, in.ContactId)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "connect:CreateParticipant", ct.Arn, c.Account); err != nil {
		return nil, err
	}
	role := RoleAgent
	if r := deref(in.ParticipantDetails.ParticipantRole); r != "" {
		role = r
	}
	if role != RoleAgent && role != RoleCustomBot {
		return nil, invalidRequest("ParticipantRole %s cannot be added to a chat; use AGENT or CUSTOM_BOT.", role)
	}
	name := deref(in.ParticipantDetails.DisplayName)
	if name == "" {
		name = "Agent"
		if role == RoleCustomBot {
			name = "Bot"
		}
	}
	account := c.Account
	var out CreateParticipantOutput
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		cur, err := load[Contact](ctx, tx, account, kindContact, ct.Id)
		if err != nil {
			return err
		}
		if cur.Ended() {
			return invalidRequest("The contact %s has ended; participants can only join open chats.", ct.Id)
		}
		pid, known, err := s.idempotent(ctx, tx, account, "CreateParticipant/"+ct.Id, in.ClientToken)
		if err != nil {
			return err
		}
		if !known {
			p := &participant{Id: uuid.NewString(), ContactId: ct.Id, Role: role, DisplayName: name, Created: s.Now().UTC()}
			if err := save(ctx, tx, account, kindParticipant, ct.Id+"/"+p.Id, p, true); err != nil {
				return err
			}
			if err := s.remember(ctx, tx, account, "CreateParticipant/"+ct.Id, in.ClientToken, p.Id); err != nil {
				return err
			}
			pid = p.Id
		}
		tok, exp, err := s.issue(ctx, tx, account, ct.Id, pid, "participant")
		if err != nil {
			return err
		}
		out = CreateParticipantOutput{ParticipantId: pid, ParticipantCredentials: &ParticipantCredentials{ParticipantToken: tok, Expiry: isoMillis(exp)}}
		return nil
	})
	if err != nil {
		return nil, internal(err)
	}
	return &out, nil
}

// issue creates a bearer token for a participant.
func (s *Service) issue(ctx context.Context, tx store.Tx, account, contactID, participantID, kind string) (string, time.Time, error) {
	tok := randomToken()
	exp := s.Now().UTC().Add(s.TokenLifetime)
	err := save(ctx, tx, "", kindToken, tokenKey(tok), &token{Account: account, ContactId: contactID, Participant: participantID,
		Kind: kind, Expires: exp}, true)
	return tok, exp, err
}

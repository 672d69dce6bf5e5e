package connect

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/google/uuid"
)

// The Participant API's own error codes.
func pValidation(format string, args ...any) *duplex.Error {
	return &duplex.Error{Code: "ValidationException", Message: fmt.Sprintf(format, args...)}
}

func pInternal(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := duplex.AsError(err); ok {
		return err
	}
	return duplex.Internal("InternalServerException", err)
}

// bearer resolves a participant or connection token to the chat and the
// participant it belongs to.
func (s *Service) bearer(ctx context.Context, r store.Reader, tok, kind string) (*token, *Contact, *participant, error) {
	t, err := load[token](ctx, r, "", kindToken, tokenKey(tok))
	what := "participant token"
	if kind == "connection" {
		what = "connection token"
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Kind != kind) {
		return nil, nil, nil, accessDenied("The %s is not valid.", what)
	}
	if err != nil {
		return nil, nil, nil, pInternal(err)
	}
	if !s.Now().Before(t.Expires) {
		return nil, nil, nil, accessDenied("The %s expired at %s.", what, isoMillis(t.Expires))
	}
	ct, err := load[Contact](ctx, r, t.Account, kindContact, t.ContactId)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil, accessDenied("The chat of this %s no longer exists.", what)
	}
	if err != nil {
		return nil, nil, nil, pInternal(err)
	}
	p, err := load[participant](ctx, r, t.Account, kindParticipant, t.ContactId+"/"+t.Participant)
	if err != nil {
		return nil, nil, nil, accessDenied("The participant of this %s no longer exists.", what)
	}
	return t, ct, p, nil
}

// CreateParticipantConnectionInput is the model's CreateParticipantConnectionRequest.
type CreateParticipantConnectionInput struct {
	Type               []string
	ParticipantToken   string
	ConnectParticipant *bool
}

// ConnectionCredentials is the model's ConnectionCredentials.
type ConnectionCredentials struct {
	ConnectionToken string `json:"ConnectionToken"`
	Expiry          string `json:"Expiry"`
}

// CreateParticipantConnectionOutput is the model's CreateParticipantConnectionResponse.
type CreateParticipantConnectionOutput struct {
	ConnectionCredentials *ConnectionCredentials `json:"ConnectionCredentials,omitempty"`
}

// CreateParticipantConnection turns a participant token (from
// CreateParticipant) into a connection token, the X-Amz-Bearer of
// SendMessage, GetTranscript and DisconnectParticipant; the participant
// joins the chat. duplex offers CONNECTION_CREDENTIALS (no websockets).
func (s *Service) CreateParticipantConnection(ctx context.Context, in *CreateParticipantConnectionInput) (*CreateParticipantConnectionOutput, error) {
	if len(in.Type) > 0 && !contains(in.Type, "CONNECTION_CREDENTIALS") {
		return nil, pValidation("duplex offers CONNECTION_CREDENTIALS connections only (no WEBSOCKET or WEBRTC_CONNECTION); include CONNECTION_CREDENTIALS in Type.")
	}
	var out CreateParticipantConnectionOutput
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		t, ct, p, err := s.bearer(ctx, tx, in.ParticipantToken, "participant")
		if err != nil {
			return err
		}
		if ct.Ended() {
			return accessDenied("The chat %s has ended.", ct.Id)
		}
		if !p.Disconnected.IsZero() {
			return accessDenied("The participant %s has left the chat.", p.Id)
		}
		if !p.Joined {
			p.Joined = true
			if err := save(ctx, tx, t.Account, kindParticipant, ct.Id+"/"+p.Id, p, false); err != nil {
				return err
			}
			if err := s.addItem(ctx, tx, t.Account, ct, &Item{Type: ItemJoined, ParticipantId: p.Id, DisplayName: p.DisplayName,
				ParticipantRole: p.Role, ContentType: "application/vnd.amazonaws.connect.event.participant.joined"}); err != nil {
				return err
			}
			if p.Role == RoleAgent && ct.AgentParticipant == "" {
				ct.AgentParticipant, ct.AgentConnected = p.Id, s.Now().UTC()
			}
			if err := s.putContact(ctx, tx, t.Account, ct); err != nil {
				return err
			}
		}
		tok, exp, err := s.issue(ctx, tx, t.Account, ct.Id, p.Id, "connection")
		if err != nil {
			return err
		}
		out.ConnectionCredentials = &ConnectionCredentials{ConnectionToken: tok, Expiry: isoMillis(exp)}
		return nil
	})
	if err != nil {
		return nil, pInternal(err)
	}
	return &out, nil
}

// SendMessageInput is the model's SendMessageRequest.
type SendMessageInput struct {
	ContentType     string
	Content         string
	ClientToken     *string
	ConnectionToken string
}

// SendMessageOutput is the model's SendMessageResponse.
type SendMessageOutput struct {
	Id           string `json:"Id"`
	AbsoluteTime string `json:"AbsoluteTime"`
}

// SendMessage is a participant's message: it joins the transcript and, from
// an agent or bot, goes to the customer as an SMS from the imported number.
func (s *Service) SendMessage(ctx context.Context, in *SendMessageInput) (*SendMessageOutput, error) {
	t, ct, p, err := s.bearer(ctx, s.Store, in.ConnectionToken, "connection")
	if err != nil {
		return nil, err
	}
	it, err := s.agentMessage(ctx, t.Account, ct, p, in.ContentType, in.Content, deref(in.ClientToken))
	if err != nil {
		return nil, pInternal(err)
	}
	return &SendMessageOutput{Id: it.Id, AbsoluteTime: it.AbsoluteTime}, nil
}

// agentMessage adds an agent's (or bot's) message to an open chat and
// queues it as an SMS to the customer, in one transaction. A repeated
// clientToken returns the first message.
func (s *Service) agentMessage(ctx context.Context, account string, ct *Contact, p *participant, contentType, content, clientToken string) (*Item, error) {
	if contentType != contentTypeText && contentType != contentTypeMD {
		return nil, pValidation("ContentType %q cannot be sent as SMS; use text/plain or text/markdown.", contentType)
	}
	if strings.TrimSpace(content) == "" {
		return nil, pValidation("Content must not be empty.")
	}
	if ct.Ended() {
		return nil, accessDenied("The chat %s has ended; the message was not sent.", ct.Id)
	}
	if !p.Disconnected.IsZero() {
		return nil, accessDenied("The participant %s has left the chat.", p.Id)
	}
	if s.SMS == nil {
		return nil, pValidation("AWS End User Messaging SMS is not available on this server.")
	}
	owner, num, err := s.SMS.LookupNumber(ctx, ct.SystemNumber)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (owner != account || num.Info.PhoneNumberArn != ct.Destination)) {
		return nil, pValidation("The number %s of this chat is no longer held by account %s; the message was not sent.", ct.SystemNumber, account)
	}
	if err != nil {
		return nil, err
	}
	if out, err := s.optedOut(ctx, account, num, ct.Customer); err != nil {
		return nil, err
	} else if out {
		return nil, pValidation("%s has opted out of messages from %s; the message was not sent.", ct.Customer, ct.SystemNumber)
	}
	var it *Item
	queued := false
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		cur, err := load[Contact](ctx, tx, account, kindContact, ct.Id)
		if err != nil {
			return err
		}
		tokKey := ct.Id + "/" + p.Id + "/" + clientToken
		if clientToken != "" {
			if prev, err := load[Item](ctx, tx, account, kindMessageToken, tokKey); err == nil {
				it = prev
				return nil
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		if cur.Ended() {
			return accessDenied("The chat %s has ended; the message was not sent.", ct.Id)
		}
		msgID, err := s.SMS.Reply(ctx, tx, account, num, num.Info.PoolId, cur.Customer, content, "connect:"+cur.Id)
		if err != nil {
			return pValidation("The message could not be sent as SMS: %s", describe(err))
		}
		queued = true
		it = &Item{Type: ItemMessage, ParticipantId: p.Id, DisplayName: p.DisplayName, ParticipantRole: p.Role,
			ContentType: contentType, Content: content, MessageId: msgID}
		if err := s.addItem(ctx, tx, account, cur, it); err != nil {
			return err
		}
		if clientToken != "" {
			if err := save(ctx, tx, account, kindMessageToken, tokKey, it, false); err != nil {
				return err
			}
		}
		return s.putContact(ctx, tx, account, cur)
	})
	if err != nil {
		return nil, err
	}
	if queued && s.SMS.OnQueued != nil {
		s.SMS.OnQueued()
	}
	return it, nil
}

func describe(err error) string {
	if e, ok := duplex.AsError(err); ok {
		return e.Message
	}
	return err.Error()
}

// GetTranscriptInput is the model's GetTranscriptRequest.
type GetTranscriptInput struct {
	ContactId       *string
	MaxResults      *int32
	NextToken       *string
	ScanDirection   *string
	SortOrder       *string
	StartPosition   *StartPosition
	ConnectionToken string
}

// StartPosition is the model's StartPosition.
type StartPosition struct {
	Id           *string
	AbsoluteTime *string
	MostRecent   *int32
}

// GetTranscriptOutput is the model's GetTranscriptResponse.
type GetTranscriptOutput struct {
	InitialContactId string  `json:"InitialContactId"`
	Transcript       []Item  `json:"Transcript"`
	NextToken        *string `json:"NextToken,omitempty"`
}

// GetTranscript pages through a chat's transcript. By default, as AWS, it
// scans BACKWARD from the most recent item and returns the page in
// ASCENDING order; NextToken continues in the scan direction. It still
// answers after the chat has ended.
func (s *Service) GetTranscript(ctx context.Context, in *GetTranscriptInput) (*GetTranscriptOutput, error) {
	t, ct, _, err := s.bearer(ctx, s.Store, in.ConnectionToken, "connection")
	if err != nil {
		return nil, err
	}
	if id := deref(in.ContactId); id != "" && id != ct.Id && id != ct.InitialContactId {
		return nil, accessDenied("The connection token does not belong to contact %s.", id)
	}
	items, err := s.items(ctx, t.Account, ct.Id)
	if err != nil {
		return nil, pInternal(err)
	}
	forward := deref(in.ScanDirection) == "FORWARD"
	limit := 15
	if in.MaxResults != nil && *in.MaxResults > 0 {
		limit = int(*in.MaxResults)
	}
	// start is the index the scan begins at (inclusive).
	start := 0
	if !forward {
		start = len(items) - 1
	}
	if tok := deref(in.NextToken); tok != "" {
		dir, key, ok := strings.Cut(tok, ":")
		idx := sort.Search(len(items), func(i int) bool { return items[i].Key >= key })
		if !ok || (dir != "F" && dir != "B") || (dir == "F") != forward || idx == len(items) || items[idx].Key != key {
			return nil, pValidation("The NextToken is not valid.")
		}
		start = idx
	} else if sp := in.StartPosition; sp != nil {
		switch {
		case deref(sp.Id) != "":
			found := false
			for i := range items {
				if items[i].Id == *sp.Id {
					start, found = i, true
				}
			}
			if !found {
				return nil, pValidation("StartPosition.Id %s is not an item of this chat.", *sp.Id)
			}
		case deref(sp.AbsoluteTime) != "":
			at, err := time.Parse(time.RFC3339Nano, *sp.AbsoluteTime)
			if err != nil {
				return nil, pValidation("StartPosition.AbsoluteTime %q is not an ISO 8601 time.", *sp.AbsoluteTime)
			}
			if forward {
				start = sort.Search(len(items), func(i int) bool { return !items[i].At.Before(at) })
			} else {
				start = sort.Search(len(items), func(i int) bool { return items[i].At.After(at) }) - 1
			}
		case sp.MostRecent != nil:
			if forward {
				start = max(len(items)-int(*sp.MostRecent), 0)
			} else {
				start = len(items) - 1 - int(*sp.MostRecent)
			}
		}
	}
	var page []Item
	next := -1
	if forward {
		for i := start; i < len(items); i++ {
			if len(page) == limit {
				next = i
				break
			}
			page = append(page, items[i])
		}
	} else {
		for i := start; i >= 0 && i < len(items); i-- {
			if len(page) == limit {
				next = i
				break
			}
			page = append(page, items[i])
		}
	}
	sort.SliceStable(page, func(i, j int) bool { return page[i].Key < page[j].Key })
	if deref(in.SortOrder) == "DESCENDING" {
		for i, j := 0, len(page)-1; i < j; i, j = i+1, j-1 {
			page[i], page[j] = page[j], page[i]
		}
	}
	out := &GetTranscriptOutput{InitialContactId: ct.InitialContactId, Transcript: page}
	if out.Transcript == nil {
		out.Transcript = []Item{}
	}
	if next >= 0 {
		dir := "B"
		if forward {
			dir = "F"
		}
		tok := dir + ":" + items[next].Key
		out.NextToken = &tok
	}
	return out, nil
}

// items returns a chat's transcript in time order.
func (s *Service) items(ctx context.Context, account, contactID string) ([]Item, error) {
	var out []Item
	after := ""
	for {
		recs, err := s.Store.List(ctx, store.Query{Account: account, Kind: kindItem, Prefix: contactID + "/", After: after, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, rec := range recs {
			it, err := load[Item](ctx, s.Store, account, kindItem, rec.ID)
			if err != nil {
				return nil, err
			}
			out = append(out, *it)
		}
		if len(recs) < 500 {
			return out, nil
		}
		after = recs[len(recs)-1].ID
	}
}

// DisconnectParticipantInput is the model's DisconnectParticipantRequest.
type DisconnectParticipantInput struct {
	ClientToken     *string
	ConnectionToken string
}

// DisconnectParticipant is a participant leaving the chat. When an agent
// leaves, the chat ends (the customer's next text starts a new one).
func (s *Service) DisconnectParticipant(ctx context.Context, in *DisconnectParticipantInput) (*struct{}, error) {
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		t, ct, p, err := s.bearer(ctx, tx, in.ConnectionToken, "connection")
		if err != nil {
			return err
		}
		if !p.Disconnected.IsZero() {
			return nil
		}
		return s.leaveTx(ctx, tx, t.Account, ct, p)
	})
	if err != nil {
		return nil, pInternal(err)
	}
	return &struct{}{}, nil
}

func (s *Service) leaveTx(ctx context.Context, tx store.Tx, account string, ct *Contact, p *participant) error {
	p.Disconnected = s.Now().UTC()
	if err := save(ctx, tx, account, kindParticipant, ct.Id+"/"+p.Id, p, false); err != nil {
		return err
	}
	if ct.Ended() {
		return nil
	}
	if err := s.addItem(ctx, tx, account, ct, &Item{Type: ItemLeft, ParticipantId: p.Id, DisplayName: p.DisplayName,
		ParticipantRole: p.Role, ContentType: "application/vnd.amazonaws.connect.event.participant.left"}); err != nil {
		return err
	}
	if err := s.putContact(ctx, tx, account, ct); err != nil {
		return err
	}
	if p.Role == RoleAgent {
		return s.endTx(ctx, tx, account, ct.Id, "AGENT_DISCONNECT")
	}
	return nil
}

// ---- the console's agent workspace ----

// Chat is a chat as the agent workspace lists it.
type Chat struct {
	Contact
	Transcript []Item
}

// OpenChats returns the open chats of an instance of the caller's account,
// most recently active first.
func (s *Service) OpenChats(ctx context.Context, instanceRef string) ([]Contact, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	inst, err := s.instance(ctx, s.Store, c.Account, instanceRef)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "connect:DescribeContact", inst.Arn+"/contact/*", c.Account); err != nil {
		return nil, err
	}
	recs, err := s.Store.List(ctx, store.Query{Account: c.Account, Kind: kindOpen, Prefix: inst.Id + "/"})
	if err != nil {
		return nil, internal(err)
	}
	out := []Contact{}
	for _, rec := range recs {
		ct, err := load[Contact](ctx, s.Store, c.Account, kindContact, string(rec.Data))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, internal(err)
		}
		out = append(out, *ct)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LastUpdateTimestamp.After(out[j].LastUpdateTimestamp) })
	return out, nil
}

// ChatOf returns a chat of an instance with its transcript (open or ended).
func (s *Service) ChatOf(ctx context.Context, instanceRef, contactID string) (*Chat, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	_, ct, err := s.contact(ctx, s.Store, c.Account, instanceRef, contactID)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "connect:DescribeContact", ct.Arn, c.Account); err != nil {
		return nil, err
	}
	items, err := s.items(ctx, c.Account, ct.Id)
	if err != nil {
		return nil, internal(err)
	}
	return &Chat{Contact: *ct, Transcript: items}, nil
}

// ConsoleAgentName is the display name of the console's agent.
const ConsoleAgentName = "Agent (console)"

// AgentReply sends an agent's reply from the console's agent workspace: the
// console joins the chat as an agent participant (connect:CreateParticipant)
// the first time, then the message goes out as SendMessage's does.
func (s *Service) AgentReply(ctx context.Context, instanceRef, contactID, content string) (*Item, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	_, ct, err := s.contact(ctx, s.Store, c.Account, instanceRef, contactID)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "connect:CreateParticipant", ct.Arn, c.Account); err != nil {
		return nil, err
	}
	if ct.Ended() {
		return nil, invalidRequest("The chat with %s has ended; the reply was not sent.", ct.Customer)
	}
	account := c.Account
	var p *participant
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		cur, err := load[Contact](ctx, tx, account, kindContact, ct.Id)
		if err != nil {
			return err
		}
		if cur.ConsoleAgent != "" {
			p, err = load[participant](ctx, tx, account, kindParticipant, cur.Id+"/"+cur.ConsoleAgent)
			if err == nil && p.Disconnected.IsZero() {
				return nil
			}
		}
		p = &participant{Id: uuid.NewString(), ContactId: cur.Id, Role: RoleAgent, DisplayName: ConsoleAgentName, Created: s.Now().UTC(), Joined: true}
		if err := save(ctx, tx, account, kindParticipant, cur.Id+"/"+p.Id, p, true); err != nil {
			return err
		}
		if err := s.addItem(ctx, tx, account, cur, &Item{Type: ItemJoined, ParticipantId: p.Id, DisplayName: p.DisplayName,
			ParticipantRole: RoleAgent, ContentType: "application/vnd.amazonaws.connect.event.participant.joined"}); err != nil {
			return err
		}
		cur.ConsoleAgent = p.Id
		if cur.AgentParticipant == "" {
			cur.AgentParticipant, cur.AgentConnected = p.Id, s.Now().UTC()
		}
		return s.putContact(ctx, tx, account, cur)
	})
	if err != nil {
		return nil, internal(err)
	}
	cur, err := load[Contact](ctx, s.Store, account, kindContact, ct.Id)
	if err != nil {
		return nil, internal(err)
	}
	it, err := s.agentMessage(ctx, account, cur, p, contentTypeText, content, "")
	if e, ok := duplex.AsError(err); ok && e.Code == "ValidationException" {
		e.Code = "InvalidRequestException" // the console speaks the Connect API here
	}
	return it, err
}

// endOpenChat ends a chat when the customer has opted out (STOP).
func (s *Service) endOpenChat(ctx context.Context, account, contactID, reason string) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return s.endTx(ctx, tx, account, contactID, reason) })
}

// optedOut reports whether the customer is on the opt-out list that
// applies to an End User Messaging SMS number (the pool's when it is in a
// pool), unless opt-outs are self-managed.
func (s *Service) optedOut(ctx context.Context, account string, num *smsvoice.PhoneNumber, customer string) (bool, error) {
	list, selfManaged := num.Info.OptOutListName, num.Info.SelfManagedOptOutsEnabled
	if num.Info.PoolId != "" {
		if pool, err := s.SMS.GetPool(ctx, account, num.Info.PoolId); err == nil {
			list, selfManaged = pool.Info.OptOutListName, pool.Info.SelfManagedOptOutsEnabled
		}
	}
	if selfManaged {
		return false, nil
	}
	return s.SMS.IsOptedOut(ctx, account, list, customer)
}

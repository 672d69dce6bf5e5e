package connect

import (
	"context"
	"errors"
	"fmt"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/duplexsms/duplex/internal/twoway"
)

// Deliverer hands customers' texts to Amazon Connect chats: it is the
// two-way pipeline's twoway.ConnectDeliverer.
type Deliverer struct{ S *Service }

var _ twoway.ConnectDeliverer = Deliverer{}

// Deliver sends an inbound text as a chat integration event (a MESSAGE
// from the customer, subtype connect:SMS) to the instance the number was
// imported into, as caller: the session of the number's two-way channel
// role, which needs connect:SendChatIntegrationEvent. The text continues
// the customer's open chat with the number, or starts one; it returns the
// chat's contact ID. A retried delivery of the same text is not appended
// twice. When the text opted the customer out (STOP), the chat ends.
// Errors explain the refusal; the pipeline retries them and records them
// on the inbound message for a redrive.
func (d Deliverer) Deliver(ctx context.Context, caller *duplex.Caller, m *twoway.InboundMessage) (string, error) {
	s := d.S
	_, region := smsvoice.ParseChannel(m.ChannelArn)
	if !smsvoice.ConnectChatRegion(region) {
		return "", fmt.Errorf("Amazon Connect chat (SMS subtype) is not available in %s; %s cannot receive messages", region, m.ChannelArn)
	}
	if region != s.Region {
		return "", fmt.Errorf("%s names region %s, but this server's Amazon Connect instances are in %s", m.ChannelArn, region, s.Region)
	}
	owner, num, err := s.SMS.LookupNumber(ctx, m.DestinationNumber)
	if errors.Is(err, store.ErrNotFound) || (err == nil && owner != m.Account) {
		return "", fmt.Errorf("destination number %s is no longer held by account %s", m.DestinationNumber, m.Account)
	}
	if err != nil {
		return "", err
	}
	if m.MessageBody == "" {
		return "", errors.New("an empty text cannot be a chat message")
	}
	dest := num.Info.PhoneNumberArn
	subtype, ctype, body := SubtypeSMS, contentTypeText, m.MessageBody
	in := &SendChatIntegrationEventInput{SourceId: m.OriginationNumber, DestinationId: dest, Subtype: &subtype,
		Event: ChatEvent{Type: ItemMessage, ContentType: &ctype, Content: &body},
		NewSessionDetails: &NewSessionDetails{SupportedMessagingContentTypes: []string{contentTypeText},
			ParticipantDetails: &ParticipantDetails{DisplayName: m.OriginationNumber}}}
	out, err := s.chatEvent(duplex.WithCaller(ctx, caller), in, m.InboundMessageID, m.ReceivedTimestamp)
	if err != nil {
		return "", fmt.Errorf("SendChatIntegrationEvent for %s to Amazon Connect in %s: %w", dest, region, err)
	}
	if m.KeywordAction == "OPT_OUT" {
		out2, err := s.optedOut(ctx, owner, num, m.OriginationNumber)
		if err != nil {
			return "", err
		}
		if out2 {
			if err := s.endOpenChat(ctx, owner, out.InitialContactId, "CUSTOMER_OPTED_OUT"); err != nil {
				return "", err
			}
		}
	}
	return out.InitialContactId, nil
}

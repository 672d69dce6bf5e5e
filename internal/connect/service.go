// Package connect is the Amazon Connect subset behind the Amazon Connect
// two-way SMS destination, and the Amazon Connect Participant subset its
// agents answer with.
//
// # What it holds
//
// Instances (CreateInstance, DescribeInstance, ListInstances,
// DeleteInstance); End User Messaging SMS numbers imported into an instance
// (ImportPhoneNumber, DescribePhoneNumber, ListPhoneNumbersV2,
// ReleasePhoneNumber); chat contacts, one open chat per customer and
// imported number (SendChatIntegrationEvent, DescribeContact, StopContact);
// and the participants of a chat (CreateParticipant, then the Participant
// API's CreateParticipantConnection, SendMessage, GetTranscript and
// DisconnectParticipant, authenticated by bearer tokens).
//
// # Storage
//
// Everything lives in the owning account: connect.instance (id instance ID),
// connect.phone-number (id phone number ID) with connect.number-source (id
// the End User Messaging SMS number ARN) so each SMS number is imported at
// most once, connect.contact (id contact ID), connect.item (id
// CONTACT/TIME/SEQUENCE: the transcript in time order),
// connect.participant (id CONTACT/PARTICIPANT-ID), connect.open-chat (id
// DESTINATION-ARN|CUSTOMER → contact ID: the chat a customer's next text
// continues) and connect.open (id INSTANCE/CONTACT: the open chats of an
// instance). Bearer tokens are kept as SHA-256 digests in account ""
// (connect.token), instance aliases there too (connect.alias) because an
// alias names an access URL. ImportPhoneNumber claims the number
// asynchronously, as AWS does: the phone number is IN_PROGRESS until the job
// it queues on connect.claim has checked the source number, then CLAIMED
// (or FAILED, saying why).
//
// # Agent replies
//
// An agent's message (Participant SendMessage, or the console's agent
// workspace) is added to the transcript and queued as an SMS from the
// imported number to the customer through End User Messaging SMS's send
// path, in one transaction, so the customer's next text names it as its
// previousPublishedMessageId.
package connect

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/authz"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/store"
)

// Record kinds and the queue of the service.
const (
	kindInstance     = "connect.instance"
	kindAlias        = "connect.alias" // account "": lower-case alias → ACCOUNT/INSTANCE-ID
	kindIdempotency  = "connect.client-token"
	kindPhoneNumber  = "connect.phone-number"
	kindNumberSource = "connect.number-source" // id: sms-voice phone number ARN → phone number ID
	kindContact      = "connect.contact"
	kindItem         = "connect.item"        // id: CONTACT/KEY
	kindParticipant  = "connect.participant" // id: CONTACT/PARTICIPANT
	kindOpenChat     = "connect.open-chat"   // id: DESTINATION|CUSTOMER → contact ID
	kindOpen         = "connect.open"        // id: INSTANCE/CONTACT
	kindInboundSeen  = "connect.inbound"     // id: inboundMessageId → contact ID (delivery retries)
	kindMessageToken = "connect.message-token"
	kindToken        = "connect.token" // account "": SHA-256 of a bearer token

	// QueueClaim holds the asynchronous step of ImportPhoneNumber.
	QueueClaim = "connect.claim"
	// ServicePrincipal is the only caller of SendChatIntegrationEvent.
	ServicePrincipal = "sms-voice.amazonaws.com"
	// SubtypeSMS is the chat subtype of texts from End User Messaging SMS.
	SubtypeSMS = "connect:SMS"
)

// Service is the Amazon Connect subset.
type Service struct {
	Store store.Store
	// SMS owns the numbers that are imported and sends agents' replies.
	SMS *smsvoice.Service
	// Authz decides IAM permissions; nil allows every caller of an account
	// what its account root could do.
	Authz *authz.Authorizer
	// Region is the region the server serves: instances live there.
	Region string
	// PublicURL is the server's base URL; an instance's access URL is its
	// agent workspace in the console.
	PublicURL string
	Now       func() time.Time
	Log       *slog.Logger
	// OnQueued wakes the claim worker after ImportPhoneNumber.
	OnQueued func()
	// TokenLifetime is how long participant and connection tokens are valid.
	TokenLifetime time.Duration
}

// New returns the service.
func New(st store.Store, sms *smsvoice.Service, az *authz.Authorizer, region string) *Service {
	return &Service{Store: st, SMS: sms, Authz: az, Region: region, Now: time.Now, Log: slog.Default(),
		TokenLifetime: 7 * 24 * time.Hour}
}

// ---- errors ----

func internal(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := duplex.AsError(err); ok {
		return err
	}
	return duplex.Internal("InternalServiceException", err)
}

func notFound(what string) *duplex.Error {
	return &duplex.Error{Code: "ResourceNotFoundException", Message: what}
}

func invalidParameter(format string, args ...any) *duplex.Error {
	return &duplex.Error{Code: "InvalidParameterException", Message: fmt.Sprintf(format, args...)}
}

func invalidRequest(format string, args ...any) *duplex.Error {
	return &duplex.Error{Code: "InvalidRequestException", Message: fmt.Sprintf(format, args...)}
}

func accessDenied(format string, args ...any) *duplex.Error {
	return &duplex.Error{Code: "AccessDeniedException", Message: fmt.Sprintf(format, args...)}
}

// Denied carries the policy decision behind an AccessDeniedException (it is
// the error's cause: logged and shown to the two-way pipeline, never sent
// to API clients).
type Denied struct{ Explanation string }

func (d *Denied) Error() string { return d.Explanation }

// Explanation returns the policy explanation an error of this package
// carries, or "".
func Explanation(err error) string {
	var d *Denied
	if errors.As(err, &d) {
		return d.Explanation
	}
	return ""
}

// ---- callers and authorization ----

// caller returns the authenticated caller of an API call.
func caller(ctx context.Context) (*duplex.Caller, error) {
	c := duplex.CallerFrom(ctx)
	if c == nil || c.Account == "" {
		return nil, accessDenied("No authenticated caller")
	}
	return c, nil
}

// authorize asks IAM whether c may perform action on resource (owned by
// account).
func (s *Service) authorize(ctx context.Context, c *duplex.Caller, action, resource, account string) error {
	if s.Authz == nil {
		if c.Service != "" || c.Account == account {
			return nil
		}
		return accessDenied("User: %s is not authorized to perform: %s on resource: %s", c.ARN, action, resource)
	}
	d, err := s.Authz.Authorize(ctx, authz.Request{Caller: c, Action: action, Resource: resource, ResourceAccount: account})
	if err != nil {
		return internal(err)
	}
	if d.Allowed {
		return nil
	}
	return &duplex.Error{Code: "AccessDeniedException", Message: authz.DeniedMessage(c, action, resource, d),
		Err: &Denied{Explanation: d.Explanation}}
}

// ---- identifiers ----

func (s *Service) instanceArn(account, id string) string {
	return fmt.Sprintf("arn:aws:connect:%s:%s:instance/%s", s.Region, account, id)
}

func (s *Service) phoneNumberArn(account, id string) string {
	return fmt.Sprintf("arn:aws:connect:%s:%s:phone-number/%s", s.Region, account, id)
}

func (s *Service) contactArn(account, instance, id string) string {
	return s.instanceArn(account, instance) + "/contact/" + id
}

// resolveID accepts a resource ID or an ARN of this region and account
// whose resource part is kind/ID (or kind/ID/… for instance ARNs).
func (s *Service) resolveID(account, kind, idOrArn string) (string, error) {
	if !strings.HasPrefix(idOrArn, "arn:") {
		return idOrArn, nil
	}
	parts := strings.SplitN(idOrArn, ":", 6)
	if len(parts) != 6 || parts[2] != "connect" {
		return "", invalidParameter("%s is not an Amazon Connect ARN", idOrArn)
	}
	if parts[3] != s.Region || parts[4] != account {
		return "", notFound(fmt.Sprintf("%s is not in this account and region", idOrArn))
	}
	res := strings.Split(parts[5], "/")
	if len(res) < 2 || res[0] != kind || res[1] == "" {
		return "", invalidParameter("%s is not an Amazon Connect %s ARN", idOrArn, kind)
	}
	return res[1], nil
}

func randomToken() string {
	var b [48]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func tokenKey(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// isoMillis is the form of the Participant API's timestamps.
func isoMillis(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// ---- store helpers ----

func load[T any](ctx context.Context, r store.Reader, account, kind, id string) (*T, error) {
	rec, err := r.Get(ctx, account, kind, id)
	if err != nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(rec.Data, v); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", kind, id, err)
	}
	return v, nil
}

func save(ctx context.Context, tx store.Tx, account, kind, id string, v any, insert bool) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	r := store.Record{Account: account, Kind: kind, ID: id, Data: b}
	if insert {
		return tx.Insert(ctx, r)
	}
	return tx.Put(ctx, r)
}

func deleteIfExists(ctx context.Context, tx store.Tx, account, kind, id string) error {
	if err := tx.Delete(ctx, account, kind, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// Paging tokens: the last ID of the page, opaque to clients.
func encodeToken(lastID string) *string {
	if lastID == "" {
		return nil
	}
	t := base64.RawURLEncoding.EncodeToString([]byte("c1:" + lastID))
	return &t
}

func decodeToken(tok *string) (string, error) {
	if tok == nil || *tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil || !strings.HasPrefix(string(b), "c1:") {
		return "", invalidParameter("The NextToken is not valid.")
	}
	return strings.TrimPrefix(string(b), "c1:"), nil
}

// idempotent returns the result ID remembered for a client token.
func (s *Service) idempotent(ctx context.Context, r store.Reader, account, op string, token *string) (string, bool, error) {
	if token == nil || *token == "" {
		return "", false, nil
	}
	rec, err := r.Get(ctx, account, kindIdempotency, op+"/"+*token)
	if errors.Is(err, store.ErrNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(rec.Data), true, nil
}

func (s *Service) remember(ctx context.Context, tx store.Tx, account, op string, token *string, id string) error {
	if token == nil || *token == "" {
		return nil
	}
	return tx.Put(ctx, store.Record{Account: account, Kind: kindIdempotency, ID: op + "/" + *token, Data: []byte(id)})
}

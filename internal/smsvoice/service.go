// Package smsvoice holds the rules of the End User Messaging SMS API
// (pinpoint-sms-voice-v2): phone numbers, pools, keywords, opt-out lists and
// tags, per account. It knows nothing of HTTP: the wire layer hands it typed
// input and renders what it returns.
package smsvoice

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/store"
)

// Record kinds in the store.
const (
	kindNumber      = "sms.phone-number"
	kindNumberIndex = "sms.number-index" // account "": E.164 → owner, for uniqueness and inbound routing
	kindPool        = "sms.pool"
	kindKeyword     = "sms.keyword" // id: ORIGINATION-ID/KEYWORD
	kindOptOutList  = "sms.opt-out-list"
	kindOptedOut    = "sms.opted-out" // id: LIST/NUMBER
	kindIdempotency = "sms.client-token"
)

// Inventory number a RequestPhoneNumber may hand out.
type InventoryNumber struct {
	Number       string
	Country      string
	Type         string
	Capabilities []string
	Carrier      string
}

// Limits are the account quotas DescribeAccountLimits reports and the
// service enforces.
type Limits struct {
	PhoneNumbers, Pools, OptOutLists, KeywordsPerOrigination, OriginationsPerPool int64
}

// DefaultLimits are generous: duplex is used for load tests with 100,000
// numbers in one account.
var DefaultLimits = Limits{PhoneNumbers: 1_000_000, Pools: 1_000, OptOutLists: 100, KeywordsPerOrigination: 30, OriginationsPerPool: 10_000}

// ChannelChecker validates a two-way channel (topic, Connect region, role)
// beyond its syntax. The SNS and IAM services provide it; nil means only the
// syntax is checked.
type ChannelChecker interface {
	CheckTwoWayChannel(ctx context.Context, account, channelArn, roleArn string) error
}

// Service is the End User Messaging SMS domain service.
type Service struct {
	Store     store.Store
	Region    string
	Inventory []InventoryNumber
	Limits    Limits
	Channels  ChannelChecker
	Now       func() time.Time
	// OnQueued is called after an outbound message is queued (wakes the
	// carrier worker without polling).
	OnQueued func()

	defaultsMu sync.Mutex
	defaults   map[string]bool // accounts whose Default opt-out list is known to exist
}

// New returns a service on st.
func New(st store.Store, region string) *Service {
	return &Service{Store: st, Region: region, Limits: DefaultLimits, Now: time.Now, defaults: map[string]bool{}}
}

func (s *Service) account(ctx context.Context) (string, error) {
	c := duplex.CallerFrom(ctx)
	if c == nil || c.Account == "" {
		return "", &duplex.Error{Code: "AccessDeniedException", Message: "No authenticated caller"}
	}
	if err := s.ensureDefaultList(ctx, c.Account); err != nil {
		return "", err
	}
	return c.Account, nil
}

func (s *Service) arn(account, resource string) string {
	return fmt.Sprintf("arn:aws:sms-voice:%s:%s:%s", s.Region, account, resource)
}

func newID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func internal(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := duplex.AsError(err); ok {
		return err
	}
	return duplex.Internal("InternalServerException", err)
}

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

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// resolve turns an ID or ARN of the given resource type into the ID, or a
// ResourceNotFoundException. An ARN of another account or region is never
// resolved: accounts are isolated.
func (s *Service) resolve(account, resourceType, idOrArn string) (string, error) {
	if !strings.HasPrefix(idOrArn, "arn:") {
		return idOrArn, nil
	}
	want := s.arn(account, resourceType+"/")
	if !strings.HasPrefix(idOrArn, want) {
		if strings.Count(idOrArn, ":") < 5 {
			return "", duplex.Validation("INVALID_ARN", fmt.Sprintf("%s is not a valid ARN", idOrArn))
		}
		return "", duplex.NotFound(resourceType, idOrArn)
	}
	return strings.TrimPrefix(idOrArn, want), nil
}

// Paging tokens are opaque to clients: the last ID of the page, encoded.
func encodeToken(lastID string) *string {
	t := base64.RawURLEncoding.EncodeToString([]byte("v1:" + lastID))
	return &t
}

func decodeToken(tok *string) (string, error) {
	if tok == nil {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil || !strings.HasPrefix(string(b), "v1:") {
		return "", duplex.Validation("INVALID_NEXT_TOKEN", "The NextToken is not valid.",
			duplex.FieldError{Name: "NextToken", Message: "invalid token"})
	}
	return strings.TrimPrefix(string(b), "v1:"), nil
}

func pageSize(max *int32, def int) int {
	if max == nil {
		return def
	}
	return int(*max)
}

// scan walks records of a kind in ID order from after, calling keep for each
// until want matches are found. It returns the matches and the ID to resume
// from ("" when the walk reached the end).
func scan(ctx context.Context, r store.Reader, account, kind, prefix, after string, want int, keep func(store.Record) (bool, error)) ([]store.Record, string, error) {
	var out []store.Record
	// The first batch is the page plus one (a page without filters needs no
	// more); later batches grow, for filters that skip many records.
	batch := want + 1
	for {
		recs, err := r.List(ctx, store.Query{Account: account, Kind: kind, Prefix: prefix, After: after, Limit: batch})
		if err != nil {
			return nil, "", err
		}
		for _, rec := range recs {
			ok, err := keep(rec)
			if err != nil {
				return nil, "", err
			}
			if !ok {
				continue
			}
			if len(out) == want {
				// There is at least one more match: resume after the last kept one.
				return out, out[len(out)-1].ID, nil
			}
			out = append(out, rec)
		}
		if len(recs) < batch {
			return out, "", nil
		}
		after = recs[len(recs)-1].ID
		batch = min(batch*4, 1000)
	}
}

func (s *Service) ensureDefaultList(ctx context.Context, account string) error {
	s.defaultsMu.Lock()
	known := s.defaults[account]
	s.defaultsMu.Unlock()
	if known {
		return nil
	}
	if _, err := s.Store.Get(ctx, account, kindOptOutList, "Default"); err == nil {
		s.markDefault(account)
		return nil
	}
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		l := optOutList{Name: "Default", Created: s.Now().UTC()}
		err := save(ctx, tx, account, kindOptOutList, "Default", l, true)
		if errors.Is(err, store.ErrExists) {
			return nil
		}
		return err
	})
	if err != nil {
		return internal(err)
	}
	s.markDefault(account)
	return nil
}

func (s *Service) markDefault(account string) {
	s.defaultsMu.Lock()
	s.defaults[account] = true
	s.defaultsMu.Unlock()
}

func boolv(b *bool) bool { return b != nil && *b }

func notFoundOr(err error, resourceType, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return duplex.NotFound(resourceType, id)
	}
	return internal(err)
}

// Package iam is the subset of AWS Identity and Access Management that
// two-way delivery depends on: roles with trust policies, inline role
// policies, customer managed policies and their attachment to roles, and
// role tags. IAM is global: every resource belongs to the caller's account,
// whatever region the request was signed for.
//
// Policy documents are stored verbatim as the client sent them and are
// returned as AWS returns them: URL-encoded (RFC 3986) inside the XML
// response (the aws CLI decodes them; SDK users call url.QueryUnescape).
//
// The service also implements authz.IdentitySource: the identity-based
// policies of an assumed-role session are the role's inline policies and
// the managed policies attached to it, plus the session policy.
package iam

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/authz"
	"github.com/duplexsms/duplex/internal/policy"
	"github.com/duplexsms/duplex/internal/store"
)

// Record kinds in the store. All are per account.
const (
	kindRole       = "iam.role"        // id: lower-cased role name
	kindRolePolicy = "iam.role-policy" // id: lower-cased role name "/" lower-cased policy name
	kindPolicy     = "iam.policy"      // id: lower-cased policy name
	kindAttachment = "iam.attachment"  // id: lower-cased role name "/" policy ARN
)

// Limits AWS applies (characters, whitespace not counted).
const (
	MaxTrustPolicySize         = 2048  // ACLSizePerRole
	MaxRoleInlinePolicySize    = 10240 // all inline policies of a role together
	MaxManagedPolicySize       = 6144  // PolicySize
	MaxAttachedPoliciesPerRole = 10    // PoliciesPerRole
	MaxTagsPerRole             = 50
	defaultMaxSessionSeconds   = 3600
	defaultPageSize            = 100
)

// Service is the IAM domain service.
type Service struct {
	Store store.Store
	Now   func() time.Time
	// Authz, when set, authorizes every IAM call of a caller other than the
	// account root against the caller's identity policies (iam:CreateRole
	// on the role's ARN, …).
	Authz *authz.Authorizer

	cache authz.PolicyCache
}

// New returns a service on st.
func New(st store.Store) *Service {
	return &Service{Store: st, Now: time.Now}
}

// Tag is a role or policy tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Second) }

// caller returns the authenticated caller and checks that it may perform
// action on resource (with extra condition keys cond, if any).
func (s *Service) caller(ctx context.Context, action, resource string, cond ...map[string][]string) (*duplex.Caller, error) {
	c := duplex.CallerFrom(ctx)
	if c == nil || c.Account == "" {
		return nil, &duplex.Error{Code: "AccessDenied", Message: "No authenticated caller"}
	}
	if s.Authz == nil || authz.IsRoot(c) {
		return c, nil
	}
	req := authz.Request{Caller: c, Action: action, Resource: resource, ResourceAccount: c.Account}
	if len(cond) > 0 {
		req.Context = cond[0]
	}
	d, err := s.Authz.Authorize(ctx, req)
	if err != nil {
		return nil, internal(err)
	}
	if !d.Allowed {
		return nil, authz.AccessDenied(c, action, resource, d)
	}
	return c, nil
}

func roleARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":role" + path + name
}

func policyARN(account, path, name string) string {
	return "arn:aws:iam::" + account + ":policy" + path + name
}

// NewID returns prefix followed by 16 random upper-case letters and digits
// (AROA… role IDs, ANPA… policy IDs, ASIA… access key IDs).
func NewID(prefix string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 0, len(prefix)+16)
	b = append(b, prefix...)
	var buf [32]byte
	for len(b) < len(prefix)+16 {
		rand.Read(buf[:])
		for _, x := range buf {
			if x >= 252 { // 252 = 7*36: keep the distribution uniform
				continue
			}
			b = append(b, alphabet[int(x)%36])
			if len(b) == len(prefix)+16 {
				break
			}
		}
	}
	return string(b)
}

// PolicySize is the size IAM checks against its quotas: characters not
// counting white space.
func PolicySize(doc string) int {
	n := 0
	for _, r := range doc {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// EncodeDocument is how AWS returns policy documents in XML: RFC 3986
// percent-encoding of the UTF-8 bytes, unreserved characters kept.
func EncodeDocument(doc string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(doc) * 2)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// malformedDocument turns a policy parse error into MalformedPolicyDocument
// with the AWS message.
func malformedDocument(err error) error {
	var me *policy.MalformedError
	if errors.As(err, &me) {
		return &duplex.Error{Code: "MalformedPolicyDocument", Message: me.Message, Err: err}
	}
	return internal(err)
}

func internal(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := duplex.AsError(err); ok {
		return err
	}
	return duplex.Internal("ServiceFailure", err)
}

func noSuchRole(name string) error {
	return duplex.Errorf("NoSuchEntity", "The role with name %s cannot be found.", name)
}

func load[T any](ctx context.Context, r store.Reader, account, kind, id string) (*T, error) {
	rec, err := r.Get(ctx, account, kind, id)
	if err != nil {
		return nil, err
	}
	return decode[T](rec)
}

func decode[T any](rec store.Record) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(rec.Data, v); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", rec.Kind, rec.ID, err)
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

// Paging markers are opaque to clients: the last key of the page, encoded.
func encodeMarker(last string) *string {
	m := base64.RawURLEncoding.EncodeToString([]byte("v1:" + last))
	return &m
}

func decodeMarker(m *string) (string, error) {
	if m == nil {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*m)
	if err != nil || !strings.HasPrefix(string(b), "v1:") {
		return "", duplex.Errorf("InvalidInput", "Invalid Marker.")
	}
	return strings.TrimPrefix(string(b), "v1:"), nil
}

func pageSize(max *int32) int {
	if max == nil || *max <= 0 {
		return defaultPageSize
	}
	return int(*max)
}

// page cuts items (already in order, after the marker) to n and returns
// whether it did and the marker of the next page.
func page[T any](items []T, n int, key func(T) string) ([]T, bool, *string) {
	if len(items) <= n {
		return items, false, nil
	}
	items = items[:n]
	return items, true, encodeMarker(key(items[n-1]))
}

// scanAll lists every record of a kind under prefix, after marker, in ID order.
func scanAll(ctx context.Context, r store.Reader, account, kind, prefix, after string) ([]store.Record, error) {
	var out []store.Record
	for {
		recs, err := r.List(ctx, store.Query{Account: account, Kind: kind, Prefix: prefix, After: after, Limit: 500})
		if err != nil {
			return nil, err
		}
		out = append(out, recs...)
		if len(recs) < 500 {
			return out, nil
		}
		after = recs[len(recs)-1].ID
	}
}

// checkTags validates a tag list: no duplicate keys (case-insensitive, as
// IAM compares them).
func checkTags(tags []Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return duplex.Errorf("InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

// mergeTags adds or replaces tags by key (case-insensitive).
func mergeTags(have, add []Tag) []Tag {
	out := append([]Tag(nil), have...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if strings.EqualFold(out[i].Key, t.Key) {
				out[i] = t
				replaced = true
				break
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	return out
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// splitARN splits arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE.
func splitARN(s string) (service, account, resource string, ok bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" {
		return "", "", "", false
	}
	return parts[2], parts[4], parts[5], true
}

// parsePolicyARN splits arn:aws:iam::ACCOUNT:policy/PATH/NAME.
func parsePolicyARN(arn string) (account, path, name string, err error) {
	svc, acct, res, ok := splitARN(arn)
	if !ok || svc != "iam" || !strings.HasPrefix(res, "policy/") {
		return "", "", "", duplex.Errorf("InvalidInput", "ARN %s is not valid.", arn)
	}
	res = strings.TrimPrefix(res, "policy")
	i := strings.LastIndexByte(res, '/')
	path, name = res[:i+1], res[i+1:]
	if name == "" {
		return "", "", "", duplex.Errorf("InvalidInput", "ARN %s is not valid.", arn)
	}
	return acct, path, name, nil
}

// ParseRoleARN splits arn:aws:iam::ACCOUNT:role/PATH/NAME.
func ParseRoleARN(arn string) (account, path, name string, ok bool) {
	svc, acct, res, ok := splitARN(arn)
	if !ok || svc != "iam" || !strings.HasPrefix(res, "role/") || len(acct) != 12 {
		return "", "", "", false
	}
	res = strings.TrimPrefix(res, "role")
	i := strings.LastIndexByte(res, '/')
	path, name = res[:i+1], res[i+1:]
	return acct, path, name, name != ""
}

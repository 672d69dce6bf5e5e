// Package kms is the subset of AWS Key Management Service duplex serves
// (JSON 1.1, target prefix TrentService): customer managed keys with key
// policies, aliases, tags, enable/disable, scheduled deletion, and the
// symmetric cryptographic operations SNS topic encryption needs (Encrypt,
// Decrypt, GenerateDataKey…, ReEncrypt). Asymmetric and HMAC keys are
// created with real key pairs or secrets so that DescribeKey and
// GetPublicKey work and services can refuse them; RSA keys also encrypt and
// decrypt with RSAES-OAEP.
//
// Key material never reaches the store in clear: each key's material is
// sealed with AES-256-GCM under the installation's master key, with the key
// ARN as additional data. Every request is authorized by the key policy
// together with IAM, through an Authorizer.
package kms

import (
	"context"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/authz"
	"github.com/duplexsms/duplex/internal/policy"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/google/uuid"
)

// Record kinds in the store.
const (
	kindKey   = "kms.key"   // per account, id: key ID
	kindAlias = "kms.alias" // per account, id: alias name (alias/…)
)

// Authorizer decides requests; *authz.Authorizer implements it.
type Authorizer interface {
	Authorize(ctx context.Context, r authz.Request) (policy.Decision, error)
}

// Service is the KMS domain service.
type Service struct {
	Store  store.Store
	Region string
	Authz  Authorizer
	Now    func() time.Time

	master       cipher.AEAD
	installation [installationSize]byte
}

// New returns a service on st whose key material is wrapped with master. It
// checks master against the store's verifier record (creating the record in
// a new store) and fails with ErrMasterKeyMismatch when the store was
// created with another master key. A nil az is an Authorizer without IAM
// identity policies (only the account root and key policies allow).
func New(st store.Store, region string, master []byte, az Authorizer) (*Service, error) {
	aead, err := newAEAD(master)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	inst, err := checkMaster(context.Background(), st, aead)
	if err != nil {
		return nil, err
	}
	if az == nil {
		az = &authz.Authorizer{}
	}
	return &Service{Store: st, Region: region, Authz: az, Now: time.Now, master: aead, installation: inst}, nil
}

// Tag is a key tag.
type Tag struct {
	TagKey   string `json:"TagKey"`
	TagValue string `json:"TagValue"`
}

// Key states duplex uses.
const (
	stateEnabled         = "Enabled"
	stateDisabled        = "Disabled"
	statePendingDeletion = "PendingDeletion"
)

// keyRecord is a stored key.
type keyRecord struct {
	ID            string     `json:"id"`
	Account       string     `json:"account"`
	Arn           string     `json:"arn"`
	Created       time.Time  `json:"created"`
	Description   string     `json:"description"`
	KeySpec       string     `json:"keySpec"`
	KeyUsage      string     `json:"keyUsage"`
	State         string     `json:"state"`
	DeletionDate  *time.Time `json:"deletionDate,omitempty"`
	PendingWindow int        `json:"pendingWindow,omitempty"`
	Policy        string     `json:"policy"`
	Tags          []Tag      `json:"tags,omitempty"`
	// Material is the key material (symmetric or HMAC secret, or the
	// private key: PKCS#8 DER, or the raw scalar for secp256k1) sealed
	// under the master key with the key ARN as additional data.
	Material []byte `json:"material"`
	// PublicKey is the DER SubjectPublicKeyInfo of an asymmetric key.
	PublicKey []byte `json:"publicKey,omitempty"`
}

func (s *Service) keyArn(account, id string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:key/%s", s.Region, account, id)
}

func (s *Service) aliasArn(account, name string) string {
	return fmt.Sprintf("arn:aws:kms:%s:%s:%s", s.Region, account, name)
}

func (s *Service) now() time.Time { return s.Now().UTC() }

// caller returns the authenticated caller.
func caller(ctx context.Context) (*duplex.Caller, error) {
	c := duplex.CallerFrom(ctx)
	if c == nil || (c.Account == "" && c.Service == "") {
		return nil, &duplex.Error{Code: "AccessDeniedException", Message: "No authenticated caller"}
	}
	return c, nil
}

// homeAccount is the account whose keys and aliases a key ID or alias name
// refers to: the caller's, or for a service principal acting on behalf of
// an account, its aws:SourceAccount.
func homeAccount(c *duplex.Caller) string {
	if c.Account != "" {
		return c.Account
	}
	for k, v := range c.Context {
		if strings.EqualFold(k, "aws:SourceAccount") {
			return v
		}
	}
	return ""
}

func internalErr(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := duplex.AsError(err); ok {
		return err
	}
	return duplex.Internal("KMSInternalException", err)
}

func notFound(format string, args ...any) *duplex.Error {
	return duplex.Errorf("NotFoundException", format, args...)
}

// ref is a resolved key reference.
type ref struct {
	Account string
	ID      string
	Alias   string // alias name when the key was named through an alias
}

// resolve turns a key ID, key ARN, alias name or alias ARN into a key
// reference. Key IDs and alias names are looked up in home; ARNs name their
// account, which must be home unless crossAccount (cryptographic
// operations and DescribeKey accept other accounts' keys by ARN).
func (s *Service) resolve(ctx context.Context, home, keyID string, crossAccount bool) (ref, error) {
	switch {
	case strings.HasPrefix(keyID, "arn:"):
		parts := strings.SplitN(keyID, ":", 6)
		if len(parts) != 6 || parts[2] != "kms" || parts[4] == "" {
			return ref{}, duplex.Errorf("InvalidArnException", "Invalid arn %s", keyID)
		}
		region, account, res := parts[3], parts[4], parts[5]
		if region != s.Region || (!crossAccount && account != home) {
			return ref{}, notFound("Key '%s' does not exist", keyID)
		}
		switch {
		case strings.HasPrefix(res, "key/"):
			id := strings.TrimPrefix(res, "key/")
			if uuid.Validate(id) != nil {
				return ref{}, notFound("Invalid keyId '%s'", keyID)
			}
			return ref{Account: account, ID: id}, nil
		case strings.HasPrefix(res, "alias/"):
			return s.resolveAlias(ctx, account, res)
		}
		return ref{}, duplex.Errorf("InvalidArnException", "Invalid arn %s", keyID)
	case strings.HasPrefix(keyID, "alias/"):
		return s.resolveAlias(ctx, home, keyID)
	}
	if uuid.Validate(keyID) != nil || len(keyID) != 36 {
		return ref{}, notFound("Invalid keyId '%s'", keyID)
	}
	return ref{Account: home, ID: strings.ToLower(keyID)}, nil
}

func (s *Service) resolveAlias(ctx context.Context, account, name string) (ref, error) {
	a, err := load[aliasRecord](ctx, s.Store, account, kindAlias, name)
	if errors.Is(err, store.ErrNotFound) {
		return ref{}, notFound("Alias %s is not found.", s.aliasArn(account, name))
	}
	if err != nil {
		return ref{}, internalErr(err)
	}
	return ref{Account: account, ID: a.TargetKeyId, Alias: name}, nil
}

// getKey loads the key r refers to. A key whose deletion date has passed is
// deleted (with its aliases) and reported as not found.
func (s *Service) getKey(ctx context.Context, r ref) (*keyRecord, error) {
	k, err := load[keyRecord](ctx, s.Store, r.Account, kindKey, r.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("Key '%s' does not exist", s.keyArn(r.Account, r.ID))
	}
	if err != nil {
		return nil, internalErr(err)
	}
	if s.expired(k) {
		if err := s.purge(ctx, k.Account, k.ID); err != nil {
			return nil, internalErr(err)
		}
		return nil, notFound("Key '%s' does not exist", k.Arn)
	}
	return k, nil
}

// lookup resolves keyID for the caller and loads the key.
func (s *Service) lookup(ctx context.Context, c *duplex.Caller, keyID string, crossAccount bool) (*keyRecord, ref, error) {
	r, err := s.resolve(ctx, homeAccount(c), keyID, crossAccount)
	if err != nil {
		return nil, r, err
	}
	k, err := s.getKey(ctx, r)
	return k, r, err
}

func (s *Service) expired(k *keyRecord) bool {
	return k.State == statePendingDeletion && k.DeletionDate != nil && !s.now().Before(*k.DeletionDate)
}

// purge deletes a key whose deletion date has passed, and its aliases.
func (s *Service) purge(ctx context.Context, account, id string) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		k, err := load[keyRecord](ctx, tx, account, kindKey, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil || !s.expired(k) {
			return err
		}
		recs, err := tx.List(ctx, store.Query{Account: account, Kind: kindAlias})
		if err != nil {
			return err
		}
		for _, rec := range recs {
			var a aliasRecord
			if json.Unmarshal(rec.Data, &a) == nil && a.TargetKeyId == id {
				if err := tx.Delete(ctx, account, kindAlias, rec.ID); err != nil {
					return err
				}
			}
		}
		return tx.Delete(ctx, account, kindKey, id)
	})
}

// update re-reads the key inside a transaction, lets fn change it, and
// saves it.
func (s *Service) update(ctx context.Context, k *keyRecord, fn func(k *keyRecord) error) (*keyRecord, error) {
	var out *keyRecord
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		cur, err := load[keyRecord](ctx, tx, k.Account, kindKey, k.ID)
		if errors.Is(err, store.ErrNotFound) {
			return notFound("Key '%s' does not exist", k.Arn)
		}
		if err != nil {
			return err
		}
		if err := fn(cur); err != nil {
			return err
		}
		out = cur
		return save(ctx, tx, cur.Account, kindKey, cur.ID, cur, false)
	})
	return out, internalErr(err)
}

// Authorization

// DeniedError is the cause kept in an AccessDeniedException: the policy
// decision with its explanation. Services that act on behalf of others
// (SNS) report Decision.Explanation.
type DeniedError struct {
	Decision policy.Decision
}

func (e *DeniedError) Error() string { return e.Decision.Explanation }

// Explanation returns the policy explanation of an AccessDeniedException
// returned by this package, or "".
func Explanation(err error) string {
	var d *DeniedError
	if errors.As(err, &d) {
		return d.Decision.Explanation
	}
	return ""
}

// authorize asks whether c may perform action on k. encCtx adds the
// kms:EncryptionContext condition keys; extra adds more.
func (s *Service) authorize(ctx context.Context, c *duplex.Caller, action string, k *keyRecord, r ref, encCtx map[string]string, extra map[string][]string) error {
	return s.authorizePolicy(ctx, c, action, k, k.Policy, r, encCtx, extra)
}

func (s *Service) authorizePolicy(ctx context.Context, c *duplex.Caller, action string, k *keyRecord, keyPolicy string, r ref, encCtx map[string]string, extra map[string][]string) error {
	cond := s.conditionKeys(c, encCtx, extra)
	if r.Alias != "" {
		cond["kms:RequestAlias"] = []string{r.Alias}
	}
	for _, t := range k.Tags {
		cond["aws:ResourceTag/"+t.TagKey] = []string{t.TagValue}
	}
	if k.KeySpec != "" {
		cond["kms:KeySpec"] = []string{k.KeySpec}
		cond["kms:KeyUsage"] = []string{k.KeyUsage}
		cond["kms:KeyOrigin"] = []string{"AWS_KMS"}
	}
	req := authz.Request{Caller: c, Action: action, Resource: k.Arn, ResourceAccount: k.Account,
		ResourcePolicy: keyPolicy, ResourcePolicyName: k.Arn, KeyPolicy: true, Context: cond}
	return s.decide(ctx, req)
}

// authorizeIAM asks IAM alone (CreateKey, ListKeys, ListAliases).
func (s *Service) authorizeIAM(ctx context.Context, c *duplex.Caller, action string, extra map[string][]string) error {
	req := authz.Request{Caller: c, Action: action, Resource: "*", ResourceAccount: homeAccount(c),
		Context: s.conditionKeys(c, nil, extra)}
	return s.decide(ctx, req)
}

func (s *Service) decide(ctx context.Context, req authz.Request) error {
	d, err := s.Authz.Authorize(ctx, req)
	if err != nil {
		return duplex.Internal("KMSInternalException", err)
	}
	if d.Allowed {
		return nil
	}
	return s.denied(req.Caller, req.Action, req.Resource, d)
}

func (s *Service) denied(c *duplex.Caller, action, resource string, d policy.Decision) *duplex.Error {
	msg := authz.DeniedMessage(c, action, resource, d)
	if c.Service != "" && d.Effect == policy.EvalImplicitDeny {
		// A service principal has no identity policies: only the key
		// policy could have allowed it.
		msg, _, _ = strings.Cut(msg, " because ")
		msg += " because no resource-based policy allows the " + action + " action"
	}
	return &duplex.Error{Code: "AccessDeniedException", Message: msg, Err: &DeniedError{Decision: d}}
}

// conditionKeys are the KMS condition keys of a request.
func (s *Service) conditionKeys(c *duplex.Caller, encCtx map[string]string, extra map[string][]string) map[string][]string {
	m := make(map[string][]string, 4+len(encCtx)+len(extra))
	if c.Account != "" {
		m["kms:CallerAccount"] = []string{c.Account}
	}
	for k, v := range c.Context {
		if strings.EqualFold(k, "aws:CalledViaLast") && v != "" {
			m["kms:ViaService"] = []string{strings.TrimSuffix(v, ".amazonaws.com") + "." + s.Region + ".amazonaws.com"}
		}
	}
	if len(encCtx) > 0 {
		keys := make([]string, 0, len(encCtx))
		for k, v := range encCtx {
			m["kms:EncryptionContext:"+k] = []string{v}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		m["kms:EncryptionContextKeys"] = keys
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// Store helpers

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

// Paging markers are opaque to clients: the last ID of the page, encoded.
func encodeMarker(lastID string) *string {
	t := base64.RawURLEncoding.EncodeToString([]byte("m1:" + lastID))
	return &t
}

func decodeMarker(m *string) (string, error) {
	if m == nil {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*m)
	if err != nil || !strings.HasPrefix(string(b), "m1:") {
		return "", duplex.Errorf("InvalidMarkerException", "Invalid marker: %s", *m)
	}
	return strings.TrimPrefix(string(b), "m1:"), nil
}

func limit(l *int32) int {
	if l == nil || *l <= 0 {
		return 100
	}
	return int(*l)
}

func boolv(b *bool) bool { return b != nil && *b }

func strv(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

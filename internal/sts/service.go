// Package sts is the subset of AWS Security Token Service duplex needs:
// GetCallerIdentity, AssumeRole with temporary credentials that SigV4
// accepts until they expire, and the internal step by which an AWS service
// principal (sms-voice.amazonaws.com) assumes a customer's role.
//
// Temporary credentials are stored as records of kind "sts.session" in
// account "" keyed by access key ID. The secret access key and session
// token are sealed with AES-GCM under a key derived (HKDF-SHA256) from the
// server secret given to New; nothing secret is stored in clear text.
package sts

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/authz"
	"github.com/duplexsms/duplex/internal/iam"
	"github.com/duplexsms/duplex/internal/policy"
	"github.com/duplexsms/duplex/internal/sigv4"
	"github.com/duplexsms/duplex/internal/store"
)

const kindSession = "sts.session" // account "": access key ID → session

// Session limits.
const (
	MinDurationSeconds      = 900
	DefaultDurationSeconds  = 3600
	ChainedMaxDuration      = 3600 // role chaining caps sessions at one hour
	MaxSessionPolicySize    = 2048 // plaintext characters
	packedPolicyBudgetChars = 4096 // what 100 % of PackedPolicySize stands for
)

// Service is the STS domain service.
type Service struct {
	Store store.Store
	IAM   *iam.Service
	// Authz, when set, adds the identity side of AssumeRole for callers
	// other than an account root (role chaining, cross-account sessions):
	// the trust policy is then evaluated as the role's resource policy.
	Authz *authz.Authorizer
	// Now is the clock for session expiry (tests inject one).
	Now func() time.Time
	// Log receives the explanation of every denied AssumeRole.
	Log *slog.Logger

	aead cipher.AEAD

	mu    sync.Mutex
	cache map[string]*session // access key ID → decrypted session
}

// New returns a service on st. secret is the server secret the session
// encryption key is derived from (at least 16 bytes).
func New(st store.Store, roles *iam.Service, secret []byte) (*Service, error) {
	if len(secret) < 16 {
		return nil, errors.New("sts: server secret shorter than 16 bytes")
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "duplex sts session credentials v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Service{Store: st, IAM: roles, Now: time.Now, aead: aead, cache: map[string]*session{}}, nil
}

// Tag is a session tag.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// storedSession is the record of one set of temporary credentials.
type storedSession struct {
	Account        string    `json:"account"`
	RoleArn        string    `json:"roleArn"`
	RoleId         string    `json:"roleId"`
	RoleName       string    `json:"roleName"`
	SessionName    string    `json:"sessionName"`
	SessionPolicy  string    `json:"sessionPolicy,omitempty"`
	Tags           []Tag     `json:"tags,omitempty"`
	SourceIdentity string    `json:"sourceIdentity,omitempty"`
	Issued         time.Time `json:"issued"`
	Expiration     time.Time `json:"expiration"`
	// Sealed is nonce ‖ AES-GCM(secret access key "\n" session token),
	// with the access key ID as additional data.
	Sealed []byte `json:"sealed"`
}

// session is a stored session with its secrets opened.
type session struct {
	storedSession
	accessKeyID, secret, token string
}

func (s *session) arn() string {
	return AssumedRoleARN(s.Account, s.RoleName, s.SessionName)
}

// AssumedRoleARN is arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.
func AssumedRoleARN(account, role, sessionName string) string {
	return "arn:aws:sts::" + account + ":assumed-role/" + role + "/" + sessionName
}

func (s *Service) seal(akid, secret, token string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, []byte(secret+"\n"+token), []byte(akid))
}

func (s *Service) open(akid string, sealed []byte) (secret, token string, err error) {
	ns := s.aead.NonceSize()
	if len(sealed) < ns {
		return "", "", errors.New("sts: sealed credentials too short")
	}
	pt, err := s.aead.Open(nil, sealed[:ns], sealed[ns:], []byte(akid))
	if err != nil {
		return "", "", fmt.Errorf("sts: open credentials of %s: %w", akid, err)
	}
	secret, token, ok := strings.Cut(string(pt), "\n")
	if !ok {
		return "", "", errors.New("sts: sealed credentials malformed")
	}
	return secret, token, nil
}

const maxCachedSessions = 10000

// session returns the session of an access key, from the cache or the
// store; store.ErrNotFound when there is none.
func (s *Service) session(ctx context.Context, akid string) (*session, error) {
	s.mu.Lock()
	ss, ok := s.cache[akid]
	s.mu.Unlock()
	if ok {
		return ss, nil
	}
	rec, err := s.Store.Get(ctx, "", kindSession, akid)
	if err != nil {
		return nil, err
	}
	ss = &session{accessKeyID: akid}
	if err := json.Unmarshal(rec.Data, &ss.storedSession); err != nil {
		return nil, fmt.Errorf("sts: decode session %s: %w", akid, err)
	}
	if ss.secret, ss.token, err = s.open(akid, ss.Sealed); err != nil {
		return nil, err
	}
	s.remember(ss)
	return ss, nil
}

func (s *Service) remember(ss *session) {
	s.mu.Lock()
	if len(s.cache) >= maxCachedSessions {
		clear(s.cache)
	}
	s.cache[ss.accessKeyID] = ss
	s.mu.Unlock()
}

// pastExpiry is what Lookup reports as the expiry of a session the
// service's clock considers expired, so that the verifier (which uses its
// own clock) answers ExpiredToken.
var pastExpiry = time.Unix(1, 0)

// Lookup is a sigv4.Lookup for temporary credentials. Expiry is decided
// with the service's clock: an expired session is returned with Expires in
// the past, so SigV4 answers ExpiredToken.
func (s *Service) Lookup(ctx context.Context, accessKeyID string) (sigv4.Credential, error) {
	if !strings.HasPrefix(accessKeyID, "ASIA") {
		return sigv4.Credential{}, sigv4.ErrUnknownKey
	}
	ss, err := s.session(ctx, accessKeyID)
	if errors.Is(err, store.ErrNotFound) {
		return sigv4.Credential{}, sigv4.ErrUnknownKey
	}
	if err != nil {
		return sigv4.Credential{}, err
	}
	exp := ss.Expiration
	if !s.Now().Before(exp) {
		exp = pastExpiry
	}
	return sigv4.Credential{AccessKeyID: accessKeyID, SecretAccessKey: ss.secret, SessionToken: ss.token,
		Account: ss.Account, PrincipalARN: ss.arn(), Expires: exp}, nil
}

// CallerFor turns verified credentials into the caller (the
// wire.Server.Authenticate hook without the HTTP request). Long-term keys
// give their principal (the account root); temporary credentials give the
// assumed-role session with its role, session policy and the session's
// condition keys (aws:userid, aws:PrincipalTag/…, aws:SourceIdentity).
func (s *Service) CallerFor(ctx context.Context, v *sigv4.Verified) (*duplex.Caller, error) {
	cred := v.Credential
	if cred.SessionToken == "" {
		return &duplex.Caller{Account: cred.Account, ARN: cred.PrincipalARN, AccessKeyID: cred.AccessKeyID}, nil
	}
	ss, err := s.session(ctx, cred.AccessKeyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &duplex.Error{Code: "InvalidClientTokenId", Status: 403,
			Message: "The security token included in the request is invalid."}
	}
	if err != nil {
		return nil, err
	}
	ctxKeys := map[string]string{"aws:userid": ss.RoleId + ":" + ss.SessionName}
	for _, t := range ss.Tags {
		ctxKeys["aws:PrincipalTag/"+t.Key] = t.Value
	}
	if ss.SourceIdentity != "" {
		ctxKeys["aws:SourceIdentity"] = ss.SourceIdentity
	}
	return &duplex.Caller{Account: ss.Account, ARN: ss.arn(), AccessKeyID: cred.AccessKeyID, RoleARN: ss.RoleArn,
		SessionPolicy: ss.SessionPolicy, Context: ctxKeys}, nil
}

// PurgeExpired deletes the sessions that expired before t and returns how
// many it deleted.
func (s *Service) PurgeExpired(ctx context.Context, t time.Time) (int, error) {
	n := 0
	after := ""
	for {
		recs, err := s.Store.List(ctx, store.Query{Account: "", Kind: kindSession, After: after, Limit: 500})
		if err != nil {
			return n, err
		}
		var dead []string
		for _, rec := range recs {
			var ss storedSession
			if err := json.Unmarshal(rec.Data, &ss); err != nil {
				return n, err
			}
			if ss.Expiration.Before(t) {
				dead = append(dead, rec.ID)
			}
		}
		if len(dead) > 0 {
			err := s.Store.Update(ctx, func(tx store.Tx) error {
				for _, id := range dead {
					if err := tx.Delete(ctx, "", kindSession, id); err != nil && !errors.Is(err, store.ErrNotFound) {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return n, err
			}
			s.mu.Lock()
			for _, id := range dead {
				delete(s.cache, id)
			}
			s.mu.Unlock()
			n += len(dead)
		}
		if len(recs) < 500 {
			return n, nil
		}
		after = recs[len(recs)-1].ID
	}
}

func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func internal(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := duplex.AsError(err); ok {
		return err
	}
	return duplex.Internal("InternalFailure", err)
}

func (s *Service) logDenied(ctx context.Context, who, role string, d policy.Decision, extra string) {
	if s.Log == nil {
		return
	}
	s.Log.InfoContext(ctx, "sts:AssumeRole denied", "requestId", duplex.RequestIDFrom(ctx), "principal", who,
		"role", role, "effect", d.Effect, "explanation", d.Explanation+extra)
}

// Package sns holds the rules of the Amazon SNS subset duplex serves: topics
// (standard and FIFO) with their attributes, access policies, tags and
// server-side encryption; subscriptions with filter policies, delivery and
// redrive policies; Publish and PublishBatch; and the durable delivery of
// notifications to HTTP/HTTPS endpoints with SNS's envelopes, signatures and
// retry policies.
//
// # Storage
//
// Topics live in the owner's account (kind sns.topic, ID = topic name), so a
// topic ARN names its record directly, from any account. Subscriptions live
// beside their topic (kind sns.subscription, ID = TOPIC/UUID), confirmation
// tokens too (kind sns.token, ID = TOPIC/TOKEN). The signing certificate is
// in account "" (kind sns.signing-key), its private key sealed with a key
// derived from the server's master key.
//
// # Publish
//
// Publish authorizes the caller (IAM and topic policy), validates and
// (for encrypted topics) seals the body, applies every confirmed
// subscription's filter policy and writes one delivery job per matching
// subscription to queue sns.delivery, in the same transaction, before it
// returns. A message that fans out widely is stored once (kind
// sns.message) and referenced by its jobs; small fan-outs carry the body in
// the job. See worker.go for delivery.
package sns

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/authz"
	"github.com/duplexsms/duplex/internal/kms"
	"github.com/duplexsms/duplex/internal/policy"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
)

// Record kinds and queues in the store.
const (
	kindTopic        = "sns.topic"
	kindSubscription = "sns.subscription" // id TOPIC/UUID
	kindToken        = "sns.token"        // id TOPIC/TOKEN
	kindMessage      = "sns.message"      // id MESSAGE-ID: a body shared by many delivery jobs
	kindDedup        = "sns.fifo-dedup"   // id TOPIC/DEDUPLICATION-ID
	kindSigningKey   = "sns.signing-key"  // account "", id "current"
	// KindDeadLetter is the kind of the records of deliveries that ran out
	// of retries (account = topic owner, id = MESSAGE-ID/SUBSCRIPTION-UUID).
	KindDeadLetter = "sns.dead-letter"

	// QueueDelivery holds one job per (message, subscription) and the
	// confirmation requests.
	QueueDelivery = "sns.delivery"
	// QueueHousekeeping expires shared message bodies and pending
	// subscriptions.
	QueueHousekeeping = "sns.housekeeping"
)

// ServicePrincipal is the principal SNS acts as towards KMS.
const ServicePrincipal = "sns.amazonaws.com"

// Authorizer decides policy requests (internal/authz implements it).
type Authorizer interface {
	Authorize(ctx context.Context, r authz.Request) (policy.Decision, error)
}

// Config builds a Service.
type Config struct {
	Store  store.Store
	Region string
	// PublicURL is the base of the links written into envelopes
	// (SubscribeURL, UnsubscribeURL, SigningCertURL), without a trailing slash.
	PublicURL string
	// MasterKey seals the signing certificate's private key (at least 16 bytes).
	MasterKey []byte
	// Authz decides every request. Nil: an authz.Authorizer without IAM
	// (the account root's rules: same account allowed, other accounts and
	// services need the topic policy).
	Authz Authorizer
	// KMS encrypts topics. Nil: KmsMasterKeyId is refused.
	KMS KeyService
	// Protocols deliver notifications, by subscription protocol
	// ("http", "https"; sqs, lambda, … later).
	Protocols map[string]Protocol
	// Registerer receives the metrics (nil: not registered).
	Registerer prometheus.Registerer
	Log        *slog.Logger
	// Now is the clock (default time.Now). The store has its own clock for
	// due times; tests that fake one fake both.
	Now func() time.Time
	// Worker tuning; zero values take the defaults of DefaultWorker.
	Worker WorkerConfig
}

// Service is the SNS domain service.
type Service struct {
	store     store.Store
	region    string
	publicURL string
	authz     Authorizer
	kms       KeyService
	protocols map[string]Protocol
	log       *slog.Logger
	now       func() time.Time
	metrics   *metrics
	signer    *signer
	sigs      *sigCache
	commits   *committer
	worker    *Worker

	mu     sync.Mutex
	gen    uint64                 // bumped by every local topic or subscription change
	topics map[string]*topicEntry // topic ARN → cached topic with its subscriptions
}

// New builds the service. It does not touch the store; the signing
// certificate is created (once, for every node) on first use.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("sns: no store")
	}
	if len(cfg.MasterKey) < 16 {
		return nil, errors.New("sns: master key shorter than 16 bytes")
	}
	s := &Service{
		store: cfg.Store, region: cfg.Region, publicURL: strings.TrimRight(cfg.PublicURL, "/"),
		authz: cfg.Authz, kms: cfg.KMS, protocols: cfg.Protocols, log: cfg.Log, now: cfg.Now,
		topics: map[string]*topicEntry{},
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.authz == nil {
		s.authz = &authz.Authorizer{}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.protocols == nil {
		s.protocols = map[string]Protocol{}
	}
	s.metrics = newMetrics(cfg.Registerer)
	s.signer = newSigner(cfg.Store, cfg.MasterKey, s.publicURL, s.now)
	s.sigs = newSigCache(16384)
	s.commits = &committer{store: cfg.Store}
	s.worker = newWorker(s, cfg.Worker)
	return s, nil
}

// Worker returns the delivery worker (Start/Stop, or Run under a server).
func (s *Service) Worker() *Worker { return s.worker }

// Region is the region in the service's ARNs.
func (s *Service) Region() string { return s.region }

func (s *Service) topicArn(account, name string) string {
	return "arn:aws:sns:" + s.region + ":" + account + ":" + name
}

// parseTopicArn splits a topic ARN of this region into owner and name.
func (s *Service) parseTopicArn(arn string) (account, name string, ok bool) {
	parts := strings.Split(arn, ":")
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" || parts[2] != "sns" || parts[3] != s.region ||
		!isAccountID(parts[4]) || parts[5] == "" {
		return "", "", false
	}
	return parts[4], parts[5], true
}

// parseSubscriptionArn splits a subscription ARN into topic ARN, owner,
// topic name and subscription ID.
func (s *Service) parseSubscriptionArn(arn string) (topicArn, account, name, id string, ok bool) {
	i := strings.LastIndexByte(arn, ':')
	if i < 0 {
		return "", "", "", "", false
	}
	topicArn, id = arn[:i], arn[i+1:]
	if _, err := uuid.Parse(id); err != nil {
		return "", "", "", "", false
	}
	account, name, ok = s.parseTopicArn(topicArn)
	return topicArn, account, name, id, ok
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// caller returns the authenticated caller or an AuthorizationError.
func caller(ctx context.Context) (*duplex.Caller, error) {
	c := duplex.CallerFrom(ctx)
	if c == nil || (c.Account == "" && c.Service == "") {
		return nil, &duplex.Error{Code: "AuthorizationError", Message: "No authenticated caller"}
	}
	return c, nil
}

// Errors as SNS writes them.

func invalid(format string, args ...any) *duplex.Error {
	return &duplex.Error{Code: "InvalidParameter", Message: "Invalid parameter: " + fmt.Sprintf(format, args...)}
}

func topicNotFound() *duplex.Error {
	return &duplex.Error{Code: "NotFound", Message: "Topic does not exist"}
}

func subscriptionNotFound() *duplex.Error {
	return &duplex.Error{Code: "NotFound", Message: "Subscription does not exist"}
}

func internal(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := duplex.AsError(err); ok {
		return err
	}
	return duplex.Internal("InternalError", err)
}

// Denied is the log cause of an AuthorizationError: the policy decision's
// explanation (never shown to API clients; PublishAs callers such as the
// two-way pipeline report it).
type Denied struct {
	Action, Resource, Principal string
	Explanation                 string
}

func (d *Denied) Error() string { return d.Explanation }

// Explanation returns the authorization explanation carried by an error
// from this package (an AuthorizationError's Denied cause, or a KMS
// refusal's cause), or "".
func Explanation(err error) string {
	var d *Denied
	if errors.As(err, &d) {
		return d.Explanation
	}
	if x := kms.Explanation(err); x != "" {
		return x
	}
	if e, ok := duplex.AsError(err); ok && e.Err != nil && strings.HasPrefix(e.Code, "KMS") {
		return e.Err.Error()
	}
	return ""
}

// authorize asks whether the caller may perform action ("sns:Publish") on
// the topic (t nil: on resource, an account-wide ARN).
func (s *Service) authorize(ctx context.Context, c *duplex.Caller, action, resource string, t *topic) error {
	req := authz.Request{Caller: c, Action: action, Resource: resource}
	if t != nil {
		req.Resource, req.ResourceAccount = t.Arn, t.Owner
		req.ResourcePolicy, req.ResourcePolicyName = t.policyDoc(), "topic policy of "+t.Arn
	}
	if c.Service == "" && c.Account != "" {
		// The default topic policy's AWS:SourceOwner is the account of the
		// caller. Service principals only get it when their context says so.
		req.Context = map[string][]string{"aws:SourceOwner": {c.Account}}
	}
	if v := c.Context["aws:SourceOwner"]; v != "" {
		req.Context = map[string][]string{"aws:SourceOwner": {v}}
	}
	d, err := s.authz.Authorize(ctx, req)
	if err != nil {
		return duplex.Internal("InternalError", err)
	}
	if d.Allowed {
		return nil
	}
	who := c.ARN
	if c.Service != "" {
		who = c.Service
	}
	if who == "" {
		who = "arn:aws:iam::" + c.Account + ":root"
	}
	op := "SNS:" + strings.TrimPrefix(action, "sns:")
	return &duplex.Error{Code: "AuthorizationError",
		Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", who, op, req.Resource),
		Err:     &Denied{Action: action, Resource: req.Resource, Principal: who, Explanation: d.Explanation}}
}

// Store helpers.

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

// Paging tokens are opaque: the last ID of the page, encoded.
func encodeToken(lastID string) *string {
	t := base64.RawURLEncoding.EncodeToString([]byte("v1:" + lastID))
	return &t
}

func decodeToken(tok *string) (string, error) {
	if tok == nil || *tok == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*tok)
	if err != nil || !strings.HasPrefix(string(b), "v1:") {
		return "", invalid("NextToken")
	}
	return strings.TrimPrefix(string(b), "v1:"), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Service) invalidate() {
	s.mu.Lock()
	s.gen++
	clear(s.topics)
	s.mu.Unlock()
}

// Package twoway is the inbound half of two-way SMS: a customer's text is
// made durable, matched to the ACTIVE number it was sent to (and that
// number's pool), run through keywords and opt-outs, and delivered as the
// seed's six-field JSON payload to the number's two-way channel, under the
// same IAM, topic-policy and KMS rules as AWS. Every step is recorded on the
// inbound message so that a user can see why a message was not delivered.
package twoway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/carrier"
	"github.com/duplexsms/duplex/internal/jobs"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
)

// Record kinds and the queue of the inbound pipeline.
const (
	KindInbound  = "in.message" // account "", id inboundMessageId
	KindInIndex  = "in.index"   // account "", newest first
	QueueInbound = "inbound"
	// ServicePrincipal acts for accounts when delivering inbound messages.
	ServicePrincipal = "sms-voice.amazonaws.com"
)

// Inbound message statuses.
const (
	StatusPending   = "PENDING"
	StatusDelivered = "DELIVERED"
	StatusRetrying  = "RETRYING"
	StatusFailed    = "FAILED"
)

// InboundMessage is a customer's message and its delivery state, as
// `duplex inbound list` and GET /_duplex/inbound show it.
type InboundMessage struct {
	InboundMessageID           string    `json:"inboundMessageId"`
	OriginationNumber          string    `json:"originationNumber"`
	DestinationNumber          string    `json:"destinationNumber"`
	MessageBody                string    `json:"messageBody"`
	MediaURLs                  []string  `json:"mediaUrls,omitempty"`
	Status                     string    `json:"status"`
	Attempts                   int       `json:"attempts"`
	Reason                     string    `json:"reason,omitempty"`
	ChannelArn                 string    `json:"channelArn,omitempty"`
	ChannelRole                string    `json:"channelRole,omitempty"`
	ContactID                  string    `json:"contactId,omitempty"`
	ReceivedTimestamp          time.Time `json:"receivedTimestamp"`
	DeliveredTimestamp         time.Time `json:"deliveredTimestamp,omitzero"`
	FirstFailureTimestamp      time.Time `json:"firstFailureTimestamp,omitzero"`
	Account                    string    `json:"account,omitempty"`
	PhoneNumberID              string    `json:"phoneNumberId,omitempty"`
	PoolID                     string    `json:"poolId,omitempty"`
	MessageKeyword             string    `json:"messageKeyword,omitempty"`
	KeywordAction              string    `json:"keywordAction,omitempty"`
	ReplyMessageID             string    `json:"replyMessageId,omitempty"`
	PreviousPublishedMessageID string    `json:"previousPublishedMessageId,omitempty"`
	PublishedMessageID         string    `json:"publishedMessageId,omitempty"`
	Carrier                    string    `json:"carrier,omitempty"`
	CarrierID                  string    `json:"carrierMessageId,omitempty"`
	// Prepared is set once keywords and opt-outs have been applied; a retry
	// of delivery never applies them twice.
	Prepared bool `json:"prepared"`
	// Job is the queue job a redrive gave the message (empty: the one
	// Receive queued); an older job finds it and stops.
	Job string `json:"job,omitempty"`
}

// Publisher publishes a payload to an SNS topic as duplex.CallerFrom(ctx).
// On refusal the error explains the policy decision.
type Publisher interface {
	Publish(ctx context.Context, topicArn, message string) (messageID string, err error)
}

// RoleAssumer lets the service principal assume a role for an account.
type RoleAssumer interface {
	AssumeRoleAsService(ctx context.Context, roleArn, principal string, condCtx map[string]string) (*duplex.Caller, string, error)
}

// ConnectDeliverer hands a message to an Amazon Connect chat (later issue).
type ConnectDeliverer interface {
	Deliver(ctx context.Context, caller *duplex.Caller, m *InboundMessage) (contactID string, err error)
}

// Pipeline receives and delivers inbound messages.
type Pipeline struct {
	Store   store.Store
	SMS     *smsvoice.Service
	Publish Publisher
	Roles   RoleAssumer
	Connect ConnectDeliverer
	Region  string
	Log     *slog.Logger
	Now     func() time.Time
	// RetryWindow bounds how long an undeliverable message is retried.
	RetryWindow time.Duration
	// MaxBackoff caps the delay between attempts.
	MaxBackoff time.Duration
	// OnQueued wakes the inbound worker after Receive.
	OnQueued func()
	Metrics  *Metrics
	// Commit, when set, runs Receive's write instead of Store.Update (a
	// groupcommit.Committer shares one transaction among concurrent
	// receives; Receive still returns only once its message is durable).
	Commit func(ctx context.Context, fn func(store.Tx) error) error

	inflight sync.Map // inbound message IDs being attempted on this node
}

// ErrUnknownNumber means no account holds the destination number.
var ErrUnknownNumber = errors.New("no ACTIVE phone number matches the destination")

// Receive makes an inbound message durable and queues it for delivery.
func (p *Pipeline) Receive(ctx context.Context, in carrier.Inbound) (string, error) {
	return p.ReceiveFor(ctx, "", in)
}

// ReceiveFor is Receive for a destination number that account must hold
// ("" = any account); otherwise it returns ErrUnknownNumber.
func (p *Pipeline) ReceiveFor(ctx context.Context, account string, in carrier.Inbound) (string, error) {
	// The number index routes (one read); the number's settings are read
	// when the message is handled.
	owner, numberID, err := p.SMS.RouteNumber(ctx, in.To)
	if errors.Is(err, store.ErrNotFound) || (err == nil && account != "" && owner != account) {
		return "", fmt.Errorf("%w: %s", ErrUnknownNumber, in.To)
	}
	if err != nil {
		return "", err
	}
	now := p.Now().UTC()
	if in.Received.IsZero() {
		in.Received = now
	}
	m := &InboundMessage{
		InboundMessageID: uuid.NewString(), OriginationNumber: in.From, DestinationNumber: in.To,
		MessageBody: in.Body, MediaURLs: in.MediaURLs, Status: StatusPending, ReceivedTimestamp: in.Received.UTC(),
		Account: owner, PhoneNumberID: numberID, Carrier: in.Carrier, CarrierID: in.CarrierID,
	}
	b, _ := json.Marshal(m)
	err = p.update(ctx, func(tx store.Tx) error {
		if err := tx.Insert(ctx, store.Record{Kind: KindInbound, ID: m.InboundMessageID, Data: b}); err != nil {
			return err
		}
		if err := tx.Insert(ctx, store.Record{Kind: KindInIndex, ID: smsvoice.OutboxKey(now, m.InboundMessageID), Data: []byte(m.InboundMessageID)}); err != nil {
			return err
		}
		// The job carries the message as stored, for its first attempt.
		return tx.Enqueue(ctx, store.Job{Queue: QueueInbound, ID: m.InboundMessageID, Payload: b})
	})
	if err != nil {
		return "", fmt.Errorf("store inbound message: %w", err)
	}
	p.Metrics.received(in.To)
	if p.OnQueued != nil {
		p.OnQueued()
	}
	return m.InboundMessageID, nil
}

// update runs a small write through Commit (shared transactions) when set,
// else in its own transaction.
func (p *Pipeline) update(ctx context.Context, fn func(store.Tx) error) error {
	if p.Commit != nil {
		return p.Commit(ctx, fn)
	}
	return p.Store.Update(ctx, fn)
}

// Get returns an inbound message.
func (p *Pipeline) Get(ctx context.Context, id string) (*InboundMessage, error) {
	rec, err := p.Store.Get(ctx, "", KindInbound, id)
	if err != nil {
		return nil, err
	}
	var m InboundMessage
	return &m, json.Unmarshal(rec.Data, &m)
}

func (p *Pipeline) put(ctx context.Context, tx store.Tx, m *InboundMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return tx.Put(ctx, store.Record{Kind: KindInbound, ID: m.InboundMessageID, Data: b})
}

// List returns inbound messages newest first, filtered by status and
// destination number.
func (p *Pipeline) List(ctx context.Context, status, dest string, limit int) ([]InboundMessage, error) {
	out := []InboundMessage{}
	after := ""
	for len(out) < limit {
		recs, err := p.Store.List(ctx, store.Query{Kind: KindInIndex, After: after, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			m, err := p.Get(ctx, string(r.Data))
			if err != nil {
				continue
			}
			if (status == "" || strings.EqualFold(m.Status, status)) && (dest == "" || m.DestinationNumber == dest) {
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

// Redrive queues messages for delivery again (after their cause is fixed).
// It returns the IDs it requeued; delivered messages are left alone.
// With allFailed, every FAILED message of account ("" = every account) is
// requeued as well. The redrive's job takes over from any job the message
// still had (a RETRYING message's next attempt): that one then finishes
// without an attempt, so a message has one attempt at a time.
func (p *Pipeline) Redrive(ctx context.Context, ids []string, allFailed bool, account string) ([]string, error) {
	if allFailed {
		failed, err := p.List(ctx, StatusFailed, "", 1<<30)
		if err != nil {
			return nil, err
		}
		for _, m := range failed {
			if account == "" || m.Account == account {
				ids = append(ids, m.InboundMessageID)
			}
		}
	}
	var done []string
	for _, id := range ids {
		requeued := false
		err := p.Store.Update(ctx, func(tx store.Tx) error {
			requeued = false
			rec, err := tx.Get(ctx, "", KindInbound, id)
			if err != nil {
				return err
			}
			var m InboundMessage
			if err := json.Unmarshal(rec.Data, &m); err != nil {
				return err
			}
			if m.Status == StatusDelivered {
				return nil
			}
			m.Status, m.Reason, m.FirstFailureTimestamp = StatusPending, "", time.Time{}
			m.Job = id + "/redrive-" + uuid.NewString()[:8]
			if err := p.put(ctx, tx, &m); err != nil {
				return err
			}
			requeued = true
			return tx.Enqueue(ctx, store.Job{Queue: QueueInbound, ID: m.Job, Payload: []byte(id)})
		})
		if errors.Is(err, store.ErrNotFound) {
			return done, fmt.Errorf("inbound message %s: %w", id, err)
		}
		if err != nil {
			return done, err
		}
		if requeued {
			done = append(done, id)
		}
	}
	if len(done) > 0 && p.OnQueued != nil {
		p.OnQueued()
	}
	return done, nil
}

// Handle is the jobs.Runner handler of the inbound queue: one delivery
// attempt. The number's settings are read once for both steps; the keyword
// step's result is written with the attempt's outcome in one (shared)
// transaction, except when the keyword acts (opt-out, opt-in, automatic
// reply): then it commits first, so that it happens once whatever becomes
// of the delivery.
func (p *Pipeline) Handle(ctx context.Context, j store.Job) jobs.Result {
	m, err := p.jobMessage(ctx, j)
	if errors.Is(err, store.ErrNotFound) {
		return jobs.Result{}
	}
	if err != nil {
		return jobs.Result{RetryAt: p.Now().Add(time.Second)}
	}
	if m.Status == StatusDelivered || m.Status == StatusFailed || superseded(m, j) {
		return jobs.Result{}
	}
	id := m.InboundMessageID
	// One attempt per message at a time on this node (a redrive's job may
	// come due while an older job's attempt is still running).
	if _, busy := p.inflight.LoadOrStore(id, struct{}{}); busy {
		return jobs.Result{RetryAt: p.Now().Add(100 * time.Millisecond)}
	}
	defer p.inflight.Delete(id)

	st, serr := p.settings(ctx, m)
	var prep *prepared
	if !m.Prepared && serr == nil {
		prep, err = p.prepare(ctx, m, st)
		if err == nil && prep.acts {
			err = p.commitPrepared(ctx, m, st, prep)
			prep = nil
		}
		if err != nil {
			p.Log.Warn("inbound keyword step failed; will retry", "inboundMessageId", id, "err", err)
			return jobs.Result{RetryAt: p.Now().Add(time.Second)}
		}
		if prep != nil {
			prep.apply(m)
		}
	}
	return p.deliver(ctx, j, m, st, serr, prep)
}

// jobMessage returns the message a job is for. Receive's job carries the
// message as stored, which is still what is stored on the job's first
// claim (nothing but an attempt writes a PENDING message, and a redrive
// taking over is noticed when the outcome is written); later attempts, and
// redrives' jobs (whose payload is the ID), read it.
func (p *Pipeline) jobMessage(ctx context.Context, j store.Job) (*InboundMessage, error) {
	id := string(j.Payload)
	if len(j.Payload) > 0 && j.Payload[0] == '{' {
		var m InboundMessage
		err := json.Unmarshal(j.Payload, &m)
		if err == nil && m.InboundMessageID != "" && j.Attempts <= 1 {
			return &m, nil
		}
		id = m.InboundMessageID
		if err != nil || id == "" {
			id, _, _ = strings.Cut(j.ID, "/") // Receive's job ID is the message ID
		}
	}
	return p.Get(ctx, id)
}

// superseded reports whether a redrive gave the message another job.
func superseded(m *InboundMessage, j store.Job) bool {
	return m.Job != "" && m.Job != j.ID
}

// settings are the two-way settings that apply to a message: the pool's
// when the number is in a pool, else the number's.
type settings struct {
	enabled     bool
	channelArn  string
	channelRole string
	selfManaged bool
	optOutList  string
	origID      string // the number or pool whose keywords apply
	sourceArn   string
	num         *smsvoice.PhoneNumber
}

// errNotHeld means the account no longer holds the destination number.
var errNotHeld = errors.New("no longer held")

func (p *Pipeline) settings(ctx context.Context, m *InboundMessage) (*settings, error) {
	var num *smsvoice.PhoneNumber
	var err error
	if m.PhoneNumberID != "" {
		// The number the message arrived at, in the account that held it
		// then: released (and perhaps leased again by anyone) means gone.
		num, err = p.SMS.GetNumber(ctx, m.Account, m.PhoneNumberID)
		if err == nil && (num.Info.PhoneNumber != m.DestinationNumber || num.Info.Status != "ACTIVE") {
			err = store.ErrNotFound
		}
	} else {
		var owner string
		owner, num, err = p.SMS.LookupNumber(ctx, m.DestinationNumber)
		if err == nil && owner != m.Account {
			err = store.ErrNotFound
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("destination number %s is %w by account %s", m.DestinationNumber, errNotHeld, m.Account)
	}
	if err != nil {
		return nil, fmt.Errorf("reading destination number %s: %w", m.DestinationNumber, err)
	}
	s := &settings{enabled: num.Info.TwoWayEnabled, channelArn: num.Info.TwoWayChannelArn, channelRole: num.Info.TwoWayChannelRole,
		selfManaged: num.Info.SelfManagedOptOutsEnabled, optOutList: num.Info.OptOutListName, origID: num.Info.PhoneNumberId,
		sourceArn: num.Info.PhoneNumberArn, num: num}
	if num.Info.PoolId != "" {
		pool, err := p.SMS.GetPool(ctx, m.Account, num.Info.PoolId)
		switch {
		case err == nil:
			s = &settings{enabled: pool.Info.TwoWayEnabled, channelArn: pool.Info.TwoWayChannelArn, channelRole: pool.Info.TwoWayChannelRole,
				selfManaged: pool.Info.SelfManagedOptOutsEnabled, optOutList: pool.Info.OptOutListName, origID: pool.Info.PoolId,
				sourceArn: pool.Info.PoolArn, num: num}
		case !errors.Is(err, store.ErrNotFound):
			return nil, fmt.Errorf("reading pool %s: %w", num.Info.PoolId, err)
		}
	}
	return s, nil
}

// defaultOptOutWords are the words AWS honours as opt-outs without any
// keyword being registered.
var defaultOptOutWords = []string{"ARRET", "CANCEL", "END", "OPT-OUT", "OPTOUT", "QUIT", "REMOVE", "STOP", "TD", "UNSUBSCRIBE"}

// matchKeyword finds the registered keyword a message begins with
// (case-insensitive, whole words; the longest match wins).
func matchKeyword(body string, kws []smsvoice.Keyword) (smsvoice.Keyword, bool) {
	text := strings.ToUpper(strings.Join(strings.Fields(body), " "))
	var best smsvoice.Keyword
	found := false
	for _, k := range kws {
		kw := strings.ToUpper(strings.Join(strings.Fields(k.Keyword), " "))
		if text == kw || strings.HasPrefix(text, kw+" ") {
			if !found || len(kw) > len(best.Keyword) {
				best, found = k, true
			}
		}
	}
	if found {
		return best, true
	}
	first := strings.SplitN(text, " ", 2)[0]
	for _, w := range defaultOptOutWords {
		if first == w {
			for _, k := range kws {
				if strings.EqualFold(k.Keyword, "STOP") {
					return smsvoice.Keyword{Keyword: w, KeywordAction: "OPT_OUT", KeywordMessage: k.KeywordMessage}, true
				}
			}
			return smsvoice.Keyword{Keyword: w, KeywordAction: "OPT_OUT"}, true
		}
	}
	return smsvoice.Keyword{}, false
}

// prepared is the keyword step's result: the payload fields fixed at the
// first attempt and what the matched keyword does.
type prepared struct {
	prev, keyword, action string
	kw                    smsvoice.Keyword
	// acts is true when the keyword changes something (opt-out list,
	// automatic reply).
	acts bool
}

func (r *prepared) apply(m *InboundMessage) {
	m.PreviousPublishedMessageID, m.MessageKeyword, m.KeywordAction = r.prev, r.keyword, r.action
	m.Prepared = true
}

// prepare matches keywords and fixes the payload fields that depend on the
// moment of arrival (previousPublishedMessageId); it writes nothing.
func (p *Pipeline) prepare(ctx context.Context, m *InboundMessage, st *settings) (*prepared, error) {
	prev, err := p.SMS.LastSent(ctx, m.Account, st.origID, m.OriginationNumber)
	if err != nil {
		return nil, err
	}
	if prev == "" && st.origID != st.num.Info.PhoneNumberId {
		if prev, err = p.SMS.LastSent(ctx, m.Account, st.num.Info.PhoneNumberId, m.OriginationNumber); err != nil {
			return nil, err
		}
	}
	kws, err := p.SMS.Keywords(ctx, m.Account, st.origID)
	if err != nil {
		return nil, err
	}
	r := &prepared{prev: prev, keyword: "KEYWORD_" + m.Account}
	if kw, ok := matchKeyword(m.MessageBody, kws); ok {
		r.kw, r.keyword, r.action = kw, strings.ToUpper(kw.Keyword), kw.KeywordAction
		r.acts = !st.selfManaged && len(m.MediaURLs) == 0 &&
			(kw.KeywordAction == "OPT_OUT" || kw.KeywordAction == "OPT_IN" || kw.KeywordMessage != "")
	}
	return r, nil
}

// commitPrepared writes the keyword step with what the keyword does, in
// one transaction with any automatic reply it queues, once: a message
// already prepared (by an earlier attempt) is left as it is.
func (p *Pipeline) commitPrepared(ctx context.Context, m *InboundMessage, st *settings, r *prepared) error {
	optedOut := false
	err := p.update(ctx, func(tx store.Tx) error {
		optedOut = false
		rec, err := tx.Get(ctx, "", KindInbound, m.InboundMessageID)
		if err != nil {
			return err
		}
		var cur InboundMessage
		if err := json.Unmarshal(rec.Data, &cur); err != nil {
			return err
		}
		if cur.Prepared {
			*m = cur
			return nil
		}
		r.apply(&cur)
		cur.ReplyMessageID = ""
		switch r.kw.KeywordAction {
		case "OPT_OUT":
			if err := p.SMS.OptOutTx(ctx, tx, m.Account, st.optOutList, m.OriginationNumber, true); err != nil {
				return err
			}
			optedOut = true
		case "OPT_IN":
			if err := p.SMS.OptInTx(ctx, tx, m.Account, st.optOutList, m.OriginationNumber); err != nil {
				return err
			}
		}
		if r.kw.KeywordMessage != "" {
			id, err := p.SMS.Reply(ctx, tx, m.Account, st.num, st.num.Info.PoolId, m.OriginationNumber, r.kw.KeywordMessage, "keyword:"+cur.MessageKeyword)
			if err != nil {
				return err
			}
			cur.ReplyMessageID = id
		}
		*m = cur
		return p.put(ctx, tx, &cur)
	})
	if err != nil {
		return err
	}
	if optedOut {
		p.Metrics.optOut(m.DestinationNumber)
	}
	if m.ReplyMessageID != "" && p.SMS.OnQueued != nil {
		p.SMS.OnQueued()
	}
	return nil
}

// Payload is the seed's six-field JSON, in the seed's order.
type Payload struct {
	OriginationNumber          string `json:"originationNumber"`
	DestinationNumber          string `json:"destinationNumber"`
	MessageKeyword             string `json:"messageKeyword"`
	MessageBody                string `json:"messageBody"`
	InboundMessageID           string `json:"inboundMessageId"`
	PreviousPublishedMessageID string `json:"previousPublishedMessageId,omitempty"`
}

// PayloadOf renders a message as the SNS message body.
func PayloadOf(m *InboundMessage) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(Payload{m.OriginationNumber, m.DestinationNumber, m.MessageKeyword, m.MessageBody, m.InboundMessageID, m.PreviousPublishedMessageID})
	return strings.TrimSuffix(b.String(), "\n")
}

// permanent marks a failure that retrying cannot fix without a user's change.
type permanent struct{ error }

// deliver makes one delivery attempt and records its outcome (with the
// keyword step's result prep, when it was not written yet).
func (p *Pipeline) deliver(ctx context.Context, j store.Job, m *InboundMessage, st *settings, serr error, prep *prepared) jobs.Result {
	var contactID, published string
	var err error
	switch {
	case serr != nil:
		err = serr
	case len(m.MediaURLs) > 0:
		err = permanent{errors.New("two-way MMS is not supported: inbound MMS is not delivered")}
	case !st.enabled:
		err = permanent{fmt.Errorf("two-way messaging is not enabled on %s", st.origID)}
	default:
		m.ChannelArn, m.ChannelRole = st.channelArn, st.channelRole
		published, contactID, err = p.send(ctx, st, m)
	}
	now := p.Now().UTC()
	var res jobs.Result
	write := true
	uerr := p.update(ctx, func(tx store.Tx) error {
		res, write = jobs.Result{}, true
		rec, gerr := tx.Get(ctx, "", KindInbound, m.InboundMessageID)
		if gerr != nil {
			return gerr
		}
		var cur InboundMessage
		if gerr := json.Unmarshal(rec.Data, &cur); gerr != nil {
			return gerr
		}
		if cur.Status == StatusDelivered || (err != nil && superseded(&cur, j)) {
			// Delivered meanwhile, or a redrive's job has taken over.
			write = false
			return nil
		}
		if !cur.Prepared && prep != nil {
			prep.apply(&cur)
		}
		cur.Attempts++
		cur.ChannelArn, cur.ChannelRole = m.ChannelArn, m.ChannelRole
		if st != nil {
			cur.PoolID = st.num.Info.PoolId
		}
		if err == nil {
			cur.Status, cur.Reason, cur.DeliveredTimestamp = StatusDelivered, "", now
			cur.PublishedMessageID, cur.ContactID = published, contactID
		} else {
			cur.Reason = err.Error()
			if cur.FirstFailureTimestamp.IsZero() {
				cur.FirstFailureTimestamp = now
			}
			end := cur.FirstFailureTimestamp.Add(p.RetryWindow)
			var perm permanent
			if errors.As(err, &perm) || !now.Before(end) {
				cur.Status = StatusFailed
			} else {
				cur.Status = StatusRetrying
				backoff := min(time.Second<<min(cur.Attempts-1, 16), p.MaxBackoff)
				// The last attempt comes when the window ends.
				res.RetryAt = now.Add(backoff)
				if res.RetryAt.After(end) {
					res.RetryAt = end
				}
			}
		}
		*m = cur
		return p.put(ctx, tx, &cur)
	})
	if uerr != nil {
		p.Log.Warn("recording inbound outcome failed; will retry", "inboundMessageId", m.InboundMessageID, "err", uerr)
		return jobs.Result{RetryAt: now.Add(time.Second)}
	}
	if !write {
		return jobs.Result{}
	}
	switch m.Status {
	case StatusDelivered:
		p.Metrics.delivered(m.DestinationNumber, now.Sub(m.ReceivedTimestamp))
	case StatusFailed:
		p.Metrics.failed(m.DestinationNumber)
		p.Log.Info("inbound message failed", "inboundMessageId", m.InboundMessageID, "reason", m.Reason)
	}
	return res
}

// send delivers to the channel as the service principal, through the role
// when one is configured.
func (p *Pipeline) send(ctx context.Context, st *settings, m *InboundMessage) (published, contactID string, err error) {
	condCtx := map[string]string{"aws:SourceAccount": m.Account, "aws:SourceArn": st.sourceArn}
	caller := &duplex.Caller{Service: ServicePrincipal, ARN: ServicePrincipal, Context: condCtx}
	if st.channelRole != "" {
		if p.Roles == nil {
			return "", "", errors.New("two-way channel role set, but IAM roles are not available")
		}
		c, why, err := p.Roles.AssumeRoleAsService(ctx, st.channelRole, ServicePrincipal, condCtx)
		if err != nil {
			if why != "" {
				return "", "", fmt.Errorf("%s could not assume %s: %s", ServicePrincipal, st.channelRole, why)
			}
			return "", "", fmt.Errorf("%s could not assume %s: %v", ServicePrincipal, st.channelRole, err)
		}
		caller = c
	}
	cctx := duplex.WithCaller(ctx, caller)
	kind, _ := smsvoice.ParseChannel(st.channelArn)
	switch kind {
	case smsvoice.ChannelSNS:
		if p.Publish == nil {
			return "", "", errors.New("SNS is not available")
		}
		id, err := p.Publish.Publish(cctx, st.channelArn, PayloadOf(m))
		if err != nil {
			return "", "", fmt.Errorf("publish to %s: %v", st.channelArn, err)
		}
		return id, "", nil
	case smsvoice.ChannelConnect:
		if p.Connect == nil {
			return "", "", permanent{errors.New("the Amazon Connect destination is not available in this duplex version yet")}
		}
		id, err := p.Connect.Deliver(cctx, caller, m)
		return "", id, err
	}
	return "", "", permanent{fmt.Errorf("two-way channel %q is not an SNS topic or Amazon Connect", st.channelArn)}
}

// Metrics of the inbound pipeline.
type Metrics struct {
	received_, delivered_, failed_, optOuts *prometheus.CounterVec
	latency                                 prometheus.Histogram
}

// NewMetrics registers the pipeline's metrics.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		received_:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "duplex_inbound_received_total", Help: "Inbound messages accepted, by destination number."}, []string{"number"}),
		delivered_: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "duplex_inbound_delivered_total", Help: "Inbound messages delivered to their two-way channel, by number."}, []string{"number"}),
		failed_:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "duplex_inbound_failed_total", Help: "Inbound messages that failed for good, by number."}, []string{"number"}),
		optOuts:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "duplex_inbound_opt_outs_total", Help: "Opt-outs by keyword, by number."}, []string{"number"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "duplex_inbound_delivery_seconds", Help: "Acceptance-to-delivery latency of inbound messages.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5, 30, 300}}),
	}
	reg.MustRegister(m.received_, m.delivered_, m.failed_, m.optOuts, m.latency)
	return m
}

func (m *Metrics) received(n string) {
	if m != nil {
		m.received_.WithLabelValues(n).Inc()
	}
}
func (m *Metrics) delivered(n string, d time.Duration) {
	if m != nil {
		m.delivered_.WithLabelValues(n).Inc()
		m.latency.Observe(d.Seconds())
	}
}
func (m *Metrics) failed(n string) {
	if m != nil {
		m.failed_.WithLabelValues(n).Inc()
	}
}
func (m *Metrics) optOut(n string) {
	if m != nil {
		m.optOuts.WithLabelValues(n).Inc()
	}
}

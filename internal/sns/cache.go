package sns

import (
	"context"
	"encoding/json"
	"time"

	"github.com/duplexsms/duplex/internal/store"
)

// cacheTTL bounds how long a node trusts its cached view of a topic and its
// subscriptions. Changes made through this node invalidate the cache at
// once; changes made through another node (PostgreSQL) are seen within it.
const cacheTTL = time.Second

// topicEntry is a topic with its compiled subscriptions.
type topicEntry struct {
	topic   *topic
	subs    []*subEntry
	byID    map[string]*subEntry
	expires time.Time
}

// subEntry is a subscription as publish and delivery use it.
type subEntry struct {
	sub    *subscription
	filter *filterPolicy // nil = every message
	policy deliveryPolicy
}

// topicEntry returns the (cached) topic named by arn with its subscriptions.
func (s *Service) topicEntry(ctx context.Context, arn string) (*topicEntry, error) {
	now := time.Now()
	s.mu.Lock()
	te := s.topics[arn]
	gen := s.gen
	s.mu.Unlock()
	if te != nil && now.Before(te.expires) {
		return te, nil
	}
	t, err := s.loadTopic(ctx, nil, arn)
	if err != nil {
		return nil, err
	}
	recs, err := s.store.List(ctx, store.Query{Account: t.Owner, Kind: kindSubscription, Prefix: t.Name + "/"})
	if err != nil {
		return nil, internal(err)
	}
	t.defaultPolicy = DefaultPolicy(t.Arn, t.Owner)
	te = &topicEntry{topic: t, byID: make(map[string]*subEntry, len(recs)), expires: now.Add(cacheTTL)}
	for _, r := range recs {
		sub := new(subscription)
		if err := json.Unmarshal(r.Data, sub); err != nil {
			return nil, internal(err)
		}
		se := &subEntry{sub: sub, policy: resolveDeliveryPolicy(t.DeliveryPolicy, sub.DeliveryPolicy)}
		if sub.FilterPolicy != "" {
			// A stored policy was validated when set; one that no longer
			// compiles matches nothing rather than everything.
			f, err := compileFilter(sub.FilterPolicy, sub.scope())
			if err != nil {
				f = &filterPolicy{scope: ScopeAttributes, root: &fnode{keys: []fkey{{name: "\x00", conds: []cond{{kind: condString, s: "\x00"}}}}}}
			}
			se.filter = f
		}
		te.subs = append(te.subs, se)
		te.byID[sub.ID] = se
	}
	s.mu.Lock()
	if s.gen == gen {
		s.topics[arn] = te
	}
	s.mu.Unlock()
	return te, nil
}

// matching returns the confirmed subscriptions whose filter policies accept m.
func (te *topicEntry) matching(m *Message, structured bool) []*subEntry {
	var out []*subEntry
	bodies := map[string]*bodyJSON{}
	for _, se := range te.subs {
		if !se.sub.Confirmed {
			continue
		}
		if se.filter != nil {
			var bj *bodyJSON
			if se.filter.scope == ScopeBody {
				bj = bodies[se.sub.Protocol]
				if bj == nil {
					bj = &bodyJSON{raw: bodyFor(m.Message, structured, se.sub.Protocol)}
					bodies[se.sub.Protocol] = bj
				}
			}
			if !se.filter.match(m.MessageAttributes, bj) {
				continue
			}
		}
		out = append(out, se)
	}
	return out
}

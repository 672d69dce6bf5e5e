package sns

import (
	"context"
	"time"

	"github.com/duplexsms/duplex/internal/store"
)

// Nodes sharing one store each cache topics and their subscriptions for up
// to cacheTTL, so a node's view may lag changes made through another node:
// a subscription confirmed there (whose notifications that node then
// queues), or created there (whose confirmation request it queues). Before
// the delivery path drops a job because its view says the subscription is
// unconfirmed or gone, it looks again in the store, unless its view is
// already newer than the job.

// dropsJob reports whether the cached view would drop job d.
func dropsJob(d *deliveryJob, se *subEntry) bool {
	switch d.Type {
	case typeNotification:
		return se == nil || !se.sub.Confirmed
	case typeSubscriptionConfirmation:
		return se == nil || se.sub.Confirmed || se.sub.Token != d.Token
	}
	return false
}

// recheck returns the topic and subscription entries to decide job j
// with: te and se, or a fresh read when te may predate j (allowing
// cacheTTL of clock skew between the nodes).
func (s *Service) recheck(ctx context.Context, j store.Job, arn, subID string, te *topicEntry, se *subEntry) (*topicEntry, *subEntry) {
	loaded := te.expires.Add(-cacheTTL)
	if !loaded.Before(j.Created.Add(cacheTTL)) {
		return te, se
	}
	s.mu.Lock()
	if s.topics[arn] == te {
		delete(s.topics, arn)
	}
	s.mu.Unlock()
	fresh, err := s.topicEntry(ctx, arn)
	if err != nil {
		return te, se
	}
	return fresh, fresh.byID[subID]
}

// leaseCovers reports whether a job's lease lasts until its request would
// time out, with a quarter of the timeout (at most 5 s) to spare for
// writing the outcome. A job that waited in its lane (or for its
// subscription's throttle) too long to finish within its claim goes back
// to the queue instead: past the lease, another node may already be
// sending it.
func (w *Worker) leaseCovers(j store.Job) bool {
	timeout := time.Duration(w.timeout.Load())
	return j.Lease.Sub(w.s.now()) >= timeout+min(timeout/4, 5*time.Second)
}

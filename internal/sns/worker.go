package sns

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/google/uuid"
)

// Delivery.
//
// Fan-out happens at publish: Publish applies every confirmed
// subscription's filter policy and writes one job per matching
// subscription to QueueDelivery in its transaction (concurrent publishes
// share transactions, see commit.go); Subscribe and Unsubscribe queue the
// confirmation requests there too.
//
// The worker claims due jobs in batches with a lease and hands each to its
// subscription's lane. A lane runs at most PerSubscription requests at once
// and holds at most as many claimed jobs as it can start before their lease
// ends (estimated from its recent latency, and never more than a quarter of
// MaxInFlight); what a full lane is handed goes back to the queue, due when
// the lane should have caught up (longer while its endpoint fails). So a
// slow or dead endpoint keeps a bounded share of the worker and never holds
// back the others. Delivered jobs are completed in batches.
//
// Notifications are signed by the worker, once per message (and body
// variant): the string to sign has nothing specific to the subscriber, so a
// message fanned out to many endpoints is signed once.
//
// Outcomes follow SNS's documentation for HTTP/S: 2xx is delivered (3xx
// too: it is not followed and not a failure); HTTP 1xx and 5xx, no answer
// within RequestTimeout and connection errors are retried after the delay
// the delivery policy gives for that retry (subscription policy, else the
// topic's, else SNS's default of 3 retries 20 s apart); 4xx is a permanent
// failure, except 429, which duplex retries (the endpoint asks to be called
// later). When the retries are used up, on a permanent failure, or when the
// message is older than SNS's one-hour lifetime, the delivery becomes a
// dead-letter record (kind sns.dead-letter, with the last error and the
// RedrivePolicy's target). Jobs live in the store: a restart loses nothing,
// and what was in flight is delivered again (at least once, as SNS). The
// worker re-reads the subscription for every job: nothing is sent to an
// endpoint that is not (or no longer) confirmed, except the confirmation
// requests themselves.

// WorkerConfig tunes the delivery worker. Zero values take the defaults.
type WorkerConfig struct {
	// PollInterval is the longest the worker sleeps when nothing wakes it
	// (jobs from other nodes, retries coming due). Default 1 s.
	PollInterval time.Duration
	// RequestTimeout bounds one delivery request. Default 15 s (SNS's).
	RequestTimeout time.Duration
	// PerSubscription is the most requests in flight to one subscription.
	// Default 8.
	PerSubscription int
	// MaxInFlight is the most claimed jobs held at once; the worker claims
	// more when it holds a quarter of that or less. Default 1024.
	MaxInFlight int
	// ClaimBatch is the most jobs claimed at once. Default 512.
	ClaimBatch int
	// Lease is how long a claim lasts. Default 2×RequestTimeout + 30 s.
	Lease time.Duration
	// ShutdownGrace is how long Stop lets requests in flight finish before
	// cancelling them (they are then redelivered). Default 5 s.
	ShutdownGrace time.Duration
	// Owner names this node in leases. Default host/random.
	Owner string
}

func (c *WorkerConfig) defaults() {
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 15 * time.Second
	}
	if c.PerSubscription <= 0 {
		c.PerSubscription = 8
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = 1024
	}
	if c.ClaimBatch <= 0 {
		c.ClaimBatch = 512
	}
	if c.Lease <= 0 {
		c.Lease = 2*c.RequestTimeout + 30*time.Second
	}
	if c.ShutdownGrace <= 0 {
		c.ShutdownGrace = 5 * time.Second
	}
	if c.Owner == "" {
		host, _ := os.Hostname()
		c.Owner = "sns/" + host + "/" + uuid.NewString()[:8]
	}
}

// Worker delivers the jobs of QueueDelivery and runs housekeeping.
type Worker struct {
	s   *Service
	cfg WorkerConfig

	wake  chan struct{}
	freed chan struct{}

	mu       sync.Mutex
	held     map[string]bool // IDs of the jobs this worker holds
	lanes    map[string]*lane
	inflight int

	deliveries  sync.WaitGroup
	completions chan store.Job

	soonest     time.Time // earliest retry this worker scheduled (under mu)
	nextDue     time.Time // the store's NextDue, as last asked (Run's goroutine only)
	nextChecked time.Time

	timeout atomic.Int64 // RequestTimeout, adjustable while running
	running atomic.Bool
	stop    context.CancelFunc
	done    chan struct{}
}

// lane is one subscription's share of the worker.
type lane struct {
	key     string
	active  int
	backlog []pendingJob
	latency time.Duration // moving average of request latency
	failing bool          // the last attempt failed
	limiter *limiter
}

type pendingJob struct {
	job store.Job
	d   *deliveryJob
}

func newWorker(s *Service, cfg WorkerConfig) *Worker {
	cfg.defaults()
	w := &Worker{s: s, cfg: cfg, wake: make(chan struct{}, 1), freed: make(chan struct{}, 1),
		held: map[string]bool{}, lanes: map[string]*lane{}}
	w.timeout.Store(int64(cfg.RequestTimeout))
	return w
}

// SetRequestTimeout changes the per-request timeout, also while running
// (tests shorten it). The lease keeps the length it was configured with.
func (w *Worker) SetRequestTimeout(d time.Duration) {
	if d > 0 {
		w.timeout.Store(int64(d))
	}
}

// Config returns the worker's effective configuration.
func (w *Worker) Config() WorkerConfig { return w.cfg }

// Notify wakes the worker at once (work was just queued in-process).
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Start runs the worker in the background until Stop.
func (w *Worker) Start(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	w.stop, w.done = cancel, make(chan struct{})
	go func() {
		defer close(w.done)
		w.Run(ctx)
	}()
}

// Stop stops a worker started with Start and waits for it.
func (w *Worker) Stop() {
	if w.stop == nil {
		return
	}
	w.stop()
	<-w.done
}

// Run works until ctx is cancelled, then shuts down gracefully: requests in
// flight get ShutdownGrace to finish, every other held job is released, and
// completions are written.
func (w *Worker) Run(ctx context.Context) {
	if !w.running.CompareAndSwap(false, true) {
		panic("sns: worker already running")
	}
	defer w.running.Store(false)
	log := w.s.log
	dctx, dcancel := context.WithCancel(context.WithoutCancel(ctx))
	defer dcancel()
	w.completions = make(chan store.Job, 8192)
	completerDone := make(chan struct{})
	go func() { defer close(completerDone); w.completer() }()

	var lastHK time.Time
	for ctx.Err() == nil {
		if time.Since(lastHK) >= w.cfg.PollInterval {
			lastHK = time.Now()
			w.housekeeping(ctx)
		}
		w.mu.Lock()
		held := w.inflight
		w.mu.Unlock()
		// Claim again only once a good part of what is held has been
		// delivered: held jobs stay due in the queue's index, and every
		// claim steps over them, so claiming after each delivery would cost
		// a scan each time.
		if w.cfg.MaxInFlight-held < w.cfg.MaxInFlight/4 {
			w.sleep(ctx, w.cfg.PollInterval, true)
			continue
		}
		free := w.cfg.MaxInFlight - held
		n := min(free, w.cfg.ClaimBatch)
		// A claim is not cut short by shutdown: a cancelled claim may still
		// commit, leaving jobs leased to nobody until the lease ends.
		jobs, err := w.s.store.Claim(context.WithoutCancel(ctx), QueueDelivery, w.cfg.Owner, n, w.cfg.Lease)
		if err == nil && ctx.Err() != nil {
			for _, j := range jobs {
				w.release(j, w.s.now())
			}
			break
		}
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("sns: claim failed", "err", err)
			}
			w.sleep(ctx, w.cfg.PollInterval, false)
			continue
		}
		for _, j := range jobs {
			w.dispatch(dctx, j)
		}
		if len(jobs) == n {
			continue
		}
		w.sleep(ctx, w.nextWake(ctx), false)
	}

	// Shutdown: let requests in flight finish, then cancel the rest.
	finished := make(chan struct{})
	go func() { w.deliveries.Wait(); close(finished) }()
	w.mu.Lock()
	var backlog []store.Job
	for _, l := range w.lanes {
		for _, p := range l.backlog {
			backlog = append(backlog, p.job)
		}
		l.backlog = nil
	}
	w.mu.Unlock()
	for _, j := range backlog {
		w.release(j, w.s.now())
	}
	select {
	case <-finished:
	case <-time.After(w.cfg.ShutdownGrace):
		dcancel()
		<-finished
	}
	close(w.completions)
	<-completerDone
}

func (w *Worker) sleep(ctx context.Context, d time.Duration, forCapacity bool) {
	t := time.NewTimer(d)
	defer t.Stop()
	var freed chan struct{}
	if forCapacity {
		freed = w.freed
	}
	select {
	case <-ctx.Done():
	case <-w.wake:
	case <-freed:
	case <-t.C:
	}
}

// nextWake is how long to sleep when nothing is due: until the earliest
// retry this worker scheduled, or the next due time in the store (asked at
// most ten times per PollInterval: NextDue scans the queue), at most
// PollInterval. Work queued in-process wakes the worker earlier.
func (w *Worker) nextWake(ctx context.Context) time.Duration {
	if time.Since(w.nextChecked) >= w.cfg.PollInterval/10 {
		w.nextChecked = time.Now()
		if next, err := w.s.store.NextDue(ctx, QueueDelivery); err == nil {
			w.nextDue = next
		}
	}
	now := w.s.now()
	wait := w.cfg.PollInterval
	w.mu.Lock()
	soonest := w.soonest
	if !soonest.After(now) {
		w.soonest = time.Time{}
	}
	w.mu.Unlock()
	for _, t := range []time.Time{w.nextDue, soonest} {
		if t.After(now) {
			wait = min(wait, t.Sub(now))
		}
	}
	return max(wait, time.Millisecond)
}

// capacity is how many claimed jobs a lane may hold (running and waiting):
// as many as it can start before their lease runs out, by its recent
// latency and its throttle.
// A lane whose endpoint is unknown or failing holds at most a quarter of
// MaxInFlight, so that a few endpoints that turn out to be dead cannot take
// the whole worker; one that answers may hold up to three quarters.
func (w *Worker) capacity(l *lane) int {
	per := w.cfg.PerSubscription
	most := max(per, w.cfg.MaxInFlight/4)
	if l.latency > 0 && !l.failing {
		most = max(per, w.cfg.MaxInFlight*3/4)
	}
	c := most
	if l.latency > 0 {
		c = int(time.Duration(per) * (w.cfg.Lease / 3) / l.latency)
	}
	if l.limiter != nil {
		c = min(c, int(l.limiter.rate*(w.cfg.Lease/3).Seconds()))
	}
	return max(per, min(c, most))
}

// retryLater is when a job a full lane turned away comes due again: about
// when the lane will have worked off what it holds; between 50 ms and five
// seconds while the endpoint answers (slow but working), between a second
// and five minutes while it fails or is not known yet (so that a dead
// endpoint's backlog is not claimed over and over ahead of healthy work).
// Called with w.mu held.
func (w *Worker) retryLater(l *lane) time.Time {
	least, most, est := time.Second, 5*time.Minute, time.Second
	if l.latency > 0 {
		est = l.latency * time.Duration(len(l.backlog)+l.active) / time.Duration(w.cfg.PerSubscription)
		if !l.failing {
			least, most = 50*time.Millisecond, 5*time.Second
		}
	}
	return w.s.now().Add(min(max(est, least), most))
}

// dispatch hands a claimed job to its lane, or puts it back for later when
// the lane is full.
func (w *Worker) dispatch(ctx context.Context, j store.Job) {
	d := new(deliveryJob)
	if err := json.Unmarshal(j.Payload, d); err != nil {
		w.s.log.Error("sns: dropping unreadable delivery job", "id", j.ID, "err", err)
		w.mu.Lock()
		w.held[j.ID] = true
		w.inflight++
		w.mu.Unlock()
		w.complete(j)
		return
	}
	w.mu.Lock()
	if w.held[j.ID] {
		// Claimed again after its lease ran out while it waited here: we
		// still hold it, and the store now has a fresh lease for it, which
		// the waiting copy takes over.
		if l := w.lanes[d.Sub]; l != nil {
			for i := range l.backlog {
				if l.backlog[i].job.ID == j.ID {
					l.backlog[i].job = j
				}
			}
		}
		w.mu.Unlock()
		return
	}
	l := w.lanes[d.Sub]
	if l == nil {
		l = &lane{key: d.Sub}
		w.lanes[d.Sub] = l
	}
	switch {
	case l.active < w.cfg.PerSubscription:
		l.active++
		w.held[j.ID] = true
		w.inflight++
		w.deliveries.Add(1)
		go w.runLane(ctx, l, pendingJob{j, d})
	case len(l.backlog)+l.active < w.capacity(l):
		w.held[j.ID] = true
		w.inflight++
		l.backlog = append(l.backlog, pendingJob{j, d})
	default:
		due := w.retryLater(l)
		w.mu.Unlock()
		w.release(j, due)
		return
	}
	w.mu.Unlock()
}

// runLane delivers p, then whatever waits in the lane.
func (w *Worker) runLane(ctx context.Context, l *lane, p pendingJob) {
	defer w.deliveries.Done()
	for {
		w.process(ctx, l, p.job, p.d)
		w.mu.Lock()
		// Shed what the lane can no longer start in time.
		var shed []store.Job
		var shedDue time.Time
		if c := w.capacity(l); len(l.backlog)+l.active > c {
			keep := max(c-l.active, 0)
			for _, q := range l.backlog[keep:] {
				shed = append(shed, q.job)
			}
			l.backlog = l.backlog[:keep]
			shedDue = w.retryLater(l)
		}
		if len(l.backlog) == 0 || ctx.Err() != nil {
			l.active--
			// An idle lane is forgotten, unless it remembers something:
			// a throttle, or an endpoint that fails.
			if l.active == 0 && len(l.backlog) == 0 && l.limiter == nil && !l.failing {
				delete(w.lanes, l.key)
			}
			w.mu.Unlock()
			for _, j := range shed {
				w.release(j, shedDue)
			}
			return
		}
		p = l.backlog[0]
		l.backlog = l.backlog[1:]
		w.mu.Unlock()
		for _, j := range shed {
			w.release(j, shedDue)
		}
	}
}

// forget drops a job from the held set.
func (w *Worker) forget(id string) {
	w.mu.Lock()
	if w.held[id] {
		delete(w.held, id)
		w.inflight--
	}
	w.mu.Unlock()
	select {
	case w.freed <- struct{}{}:
	default:
	}
}

// complete removes a finished job (batched).
func (w *Worker) complete(j store.Job) {
	w.completions <- j
}

// completer writes completions in batches.
func (w *Worker) completer() {
	bq, batched := w.s.store.(store.BatchQueue)
	batch := make([]store.Job, 0, 512)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if batched {
			if _, err := bq.CompleteBatch(ctx, batch); err != nil {
				w.s.log.Warn("sns: completing jobs failed", "jobs", len(batch), "err", err)
			}
		} else {
			for _, j := range batch {
				if err := w.s.store.Complete(ctx, j); err != nil && !errors.Is(err, store.ErrLeaseLost) {
					w.s.log.Warn("sns: completing a job failed", "id", j.ID, "err", err)
				}
			}
		}
		cancel()
		for _, j := range batch {
			w.forget(j.ID)
		}
		batch = batch[:0]
	}
	for j := range w.completions {
		batch = append(batch, j)
		// Linger briefly so that one transaction completes many jobs; a
		// completion's delay costs nothing but the job's place in the queue.
		linger := time.NewTimer(5 * time.Millisecond)
	drain:
		for len(batch) < cap(batch) {
			select {
			case j, ok := <-w.completions:
				if !ok {
					break drain
				}
				batch = append(batch, j)
			case <-linger.C:
				break drain
			}
		}
		linger.Stop()
		flush()
	}
	flush()
}

// reschedule puts a job back for another attempt at due.
func (w *Worker) reschedule(j store.Job, due time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.s.store.Reschedule(ctx, j, due); err != nil && !errors.Is(err, store.ErrLeaseLost) {
		w.s.log.Warn("sns: rescheduling a job failed", "id", j.ID, "err", err)
	}
	w.noteDue(due)
	w.forget(j.ID)
}

// noteDue remembers the earliest time a job this worker put back comes due.
func (w *Worker) noteDue(due time.Time) {
	w.mu.Lock()
	if w.soonest.IsZero() || due.Before(w.soonest) {
		w.soonest = due
	}
	w.mu.Unlock()
}

// release gives an unstarted job back to the queue, unchanged (not an
// attempt), due at due.
func (w *Worker) release(j store.Job, due time.Time) {
	w.reschedule(j, due)
}

// housekeeping runs due housekeeping jobs.
func (w *Worker) housekeeping(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	if next, err := w.s.store.NextDue(ctx, QueueHousekeeping); err != nil || next.IsZero() || next.After(w.s.now()) {
		return
	}
	jobs, err := w.s.store.Claim(ctx, QueueHousekeeping, w.cfg.Owner, 64, time.Minute)
	if err != nil {
		return
	}
	for _, j := range jobs {
		if err := w.s.housekeep(ctx, j); err != nil {
			w.s.store.Reschedule(ctx, j, w.s.now().Add(time.Minute))
			continue
		}
		w.s.store.Complete(ctx, j)
	}
}

func isNotFound(err error) bool {
	e, ok := duplex.AsError(err)
	return ok && e.Code == "NotFound"
}

// process makes one delivery attempt and settles the job.
func (w *Worker) process(ctx context.Context, l *lane, j store.Job, d *deliveryJob) {
	s := w.s
	te, err := s.topicEntry(ctx, d.Topic)
	if isNotFound(err) {
		w.complete(j) // the topic is gone, and its subscriptions with it
		return
	}
	if err != nil {
		s.log.Warn("sns: delivery lookup failed", "topic", d.Topic, "err", err)
		w.reschedule(j, s.now().Add(time.Second))
		return
	}
	_, _, _, subID, _ := s.parseSubscriptionArn(d.Sub)
	se := te.byID[subID]
	if dropsJob(d, se) {
		te, se = s.recheck(ctx, j, d.Topic, subID, te, se) // crossnode.go
	}
	var sub *subscription
	var dp deliveryPolicy
	if d.Type != typeNotification {
		dp = resolveDeliveryPolicy(te.topic.DeliveryPolicy, "")
	}
	switch d.Type {
	case typeNotification:
		if se == nil || !se.sub.Confirmed {
			w.complete(j) // unsubscribed (or never confirmed): nothing is sent
			return
		}
		sub, dp = se.sub, se.policy
	case typeSubscriptionConfirmation:
		if se == nil || se.sub.Confirmed || se.sub.Token != d.Token {
			w.complete(j) // gone, already confirmed, or superseded
			return
		}
		sub = &subscription{Arn: d.Sub, Protocol: d.Protocol, Endpoint: d.Endpoint}
	default:
		sub = &subscription{Arn: d.Sub, Protocol: d.Protocol, Endpoint: d.Endpoint}
	}
	proto := s.protocols[sub.Protocol]
	if proto == nil {
		w.deadLetter(ctx, j, d, te.topic, sub, "protocol "+sub.Protocol+" is not available on this server")
		return
	}
	now := s.now()
	if d.First.IsZero() {
		d.First = now
	}
	if now.Sub(d.At) > messageLifetime {
		w.deadLetter(ctx, j, d, te.topic, sub, "message expired after one hour in the system; last error: "+d.LastError)
		return
	}
	body := ""
	if d.Type == typeNotification {
		body, err = w.body(ctx, te.topic, d)
		if errors.Is(err, store.ErrNotFound) {
			w.deadLetter(ctx, j, d, te.topic, sub, "message body no longer stored")
			return
		}
		if err != nil {
			w.failed(ctx, j, d, te.topic, sub, dp, err)
			return
		}
		body = bodyFor(body, d.Structure, sub.Protocol)
	}
	req, err := s.buildRequest(ctx, d, body, sub, dp.ContentType)
	if err != nil {
		w.failed(ctx, j, d, te.topic, sub, dp, err)
		return
	}
	if dp.Throttle > 0 {
		w.mu.Lock()
		if l.limiter == nil || l.limiter.rate != float64(dp.Throttle) {
			l.limiter = &limiter{rate: float64(dp.Throttle)}
		}
		lim := l.limiter
		w.mu.Unlock()
		if err := lim.wait(ctx); err != nil {
			w.reschedule(j, s.now())
			return
		}
	}
	if !w.leaseCovers(j) {
		w.reschedule(j, s.now()) // crossnode.go: never send past the claim
		return
	}
	rctx, cancel := context.WithTimeout(ctx, time.Duration(w.timeout.Load()))
	start := time.Now()
	err = proto.Deliver(rctx, req)
	lat := time.Since(start)
	cancel()
	w.mu.Lock()
	if l.latency == 0 {
		l.latency = lat
	} else {
		l.latency = (l.latency + lat) / 2
	}
	l.failing = err != nil
	w.mu.Unlock()
	if err == nil {
		if d.Type == typeNotification {
			s.metrics.delivered(d.Topic, s.now().Sub(d.At))
		}
		w.complete(j)
		return
	}
	if ctx.Err() != nil {
		// Shutting down: not the endpoint's fault; deliver again later.
		w.reschedule(j, s.now())
		return
	}
	w.failed(ctx, j, d, te.topic, sub, dp, err)
}

// body returns the clear body of a notification.
func (w *Worker) body(ctx context.Context, t *topic, d *deliveryJob) (string, error) {
	body, sl := d.Body, d.Sealed
	if d.Ref {
		m, err := load[storedMessage](ctx, w.s.store, t.Owner, kindMessage, d.Msg)
		if err != nil {
			return "", err
		}
		body, sl = m.Body, m.Sealed
	}
	if sl == nil {
		return body, nil
	}
	return w.s.open(ctx, t.Owner, d.Topic, d.Msg, sl)
}

// failed settles a failed attempt: a retry per the policy, or a dead letter.
func (w *Worker) failed(ctx context.Context, j store.Job, d *deliveryJob, t *topic, sub *subscription, dp deliveryPolicy, cause error) {
	s := w.s
	d.LastError = cause.Error()
	var de *DeliveryError
	permanent := errors.As(cause, &de) && de.Permanent
	if !permanent && d.Retries < dp.Retry.NumRetries {
		d.Retries++
		due := s.now().Add(dp.Retry.delay(d.Retries))
		if due.Sub(d.At) <= messageLifetime {
			b, err := json.Marshal(d)
			if err == nil {
				j.Payload = b
				w.reschedule(j, due)
				if d.Type == typeNotification {
					s.metrics.retried(d.Topic)
				}
				if due.Sub(s.now()) < w.cfg.PollInterval {
					w.Notify()
				}
				return
			}
		}
	}
	reason := d.LastError
	if permanent {
		reason = "permanent failure (not retried): " + reason
	}
	w.deadLetter(ctx, j, d, t, sub, reason)
}

// DeadLetter is a delivery that was given up, with the message (sealed as
// stored on encrypted topics) and the last error.
type DeadLetter struct {
	MessageID         string                           `json:"messageId"`
	Type              string                           `json:"type"`
	TopicArn          string                           `json:"topicArn"`
	SubscriptionArn   string                           `json:"subscriptionArn"`
	Protocol          string                           `json:"protocol"`
	Endpoint          string                           `json:"endpoint"`
	Subject           string                           `json:"subject,omitempty"`
	Message           string                           `json:"message,omitempty"`
	Encrypted         bool                             `json:"encrypted,omitempty"`
	Sealed            *sealed                          `json:"sealed,omitempty"`
	MessageAttributes map[string]MessageAttributeValue `json:"messageAttributes,omitempty"`
	Attempts          int                              `json:"attempts"`
	LastError         string                           `json:"lastError"`
	// RedriveTarget is the dead-letter queue the subscription's
	// RedrivePolicy names (recorded here until duplex serves that queue).
	RedriveTarget string    `json:"redriveTarget,omitempty"`
	Published     time.Time `json:"published"`
	Failed        time.Time `json:"failed"`
}

func (w *Worker) deadLetter(ctx context.Context, j store.Job, d *deliveryJob, t *topic, sub *subscription, reason string) {
	s := w.s
	dl := DeadLetter{MessageID: d.Msg, Type: d.Type, TopicArn: d.Topic, SubscriptionArn: d.Sub, Protocol: sub.Protocol,
		Endpoint: sub.Endpoint, Subject: d.Subject, Message: d.Body, Sealed: d.Sealed, MessageAttributes: d.Attrs,
		Attempts: d.Retries + 1, LastError: reason, RedriveTarget: sub.redriveTarget(), Published: d.At, Failed: s.now().UTC()}
	if d.Ref {
		if m, err := load[storedMessage](ctx, s.store, t.Owner, kindMessage, d.Msg); err == nil {
			dl.Message, dl.Sealed = m.Body, m.Sealed
		}
	}
	dl.Encrypted = dl.Sealed != nil
	_, _, _, subID, _ := s.parseSubscriptionArn(d.Sub)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		return save(ctx, tx, t.Owner, KindDeadLetter, d.Msg+"/"+subID, &dl, false)
	})
	if err != nil {
		s.log.Error("sns: recording a dead letter failed; the delivery will be tried again", "id", j.ID, "err", err)
		w.reschedule(j, s.now().Add(time.Minute))
		return
	}
	if d.Type == typeNotification {
		s.metrics.failed(d.Topic)
	}
	s.log.Warn("sns: delivery given up", "topic", d.Topic, "subscription", d.Sub, "messageId", d.Msg, "reason", reason)
	w.complete(j)
}

// DeadLetters lists the dead-letter records of an account's topics.
func (s *Service) DeadLetters(ctx context.Context, account string) ([]DeadLetter, error) {
	recs, err := s.store.List(ctx, store.Query{Account: account, Kind: KindDeadLetter})
	if err != nil {
		return nil, err
	}
	out := make([]DeadLetter, 0, len(recs))
	for _, r := range recs {
		var dl DeadLetter
		if err := json.Unmarshal(r.Data, &dl); err != nil {
			return nil, err
		}
		out = append(out, dl)
	}
	return out, nil
}

// limiter spaces requests to rate per second.
type limiter struct {
	mu   sync.Mutex
	rate float64
	next time.Time
}

// reserve returns when the next request may start, given the time now.
func (l *limiter) reserve(now time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.next.Before(now) {
		l.next = now
	}
	at := l.next
	l.next = l.next.Add(time.Duration(float64(time.Second) / l.rate))
	return at
}

func (l *limiter) wait(ctx context.Context) error {
	at := l.reserve(time.Now())
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

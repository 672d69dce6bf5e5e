package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/carrier"
	"github.com/duplexsms/duplex/internal/groupcommit"
	"github.com/duplexsms/duplex/internal/jobs"
	"github.com/duplexsms/duplex/internal/outbound"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/duplexsms/duplex/internal/sts"
	"github.com/duplexsms/duplex/internal/twoway"
)

// setupMessaging builds the outbound dispatcher and the inbound pipeline,
// their queue runners, the SMPP carrier links, and the simulator and
// operator endpoints.
func (s *Server) setupMessaging() error {
	owner := s.NodeID()
	s.Carriers = map[string]carrier.Carrier{}
	commit := &groupcommit.Committer{Store: s.Store}
	disp := &outbound.Dispatcher{SMS: s.SMS, Carriers: s.Carriers, Default: carrier.Simulator{}, Log: s.Log, Now: time.Now,
		Commit: commit.Update}
	s.outRunner = &jobs.Runner{Queue: s.Store, Name: smsvoice.QueueOutbound, Owner: owner, Handle: disp.Handle, Log: s.Log, Concurrency: 64,
		Lease: s.Config.Cluster.JobLease}
	s.SMS.OnQueued = s.outRunner.Notify

	retryWindow, maxBackoff := time.Hour, 5*time.Minute
	if s.Config.Inbound.RetryWindow > 0 {
		retryWindow = s.Config.Inbound.RetryWindow
	}
	if s.Config.Inbound.MaxBackoff > 0 {
		maxBackoff = s.Config.Inbound.MaxBackoff
	}
	s.Inbound = &twoway.Pipeline{Store: s.Store, SMS: s.SMS, Region: s.Config.Region, Log: s.Log, Now: time.Now,
		RetryWindow: retryWindow, MaxBackoff: maxBackoff, Metrics: twoway.NewMetrics(s.Registry), Commit: commit.Update}
	if s.STS != nil {
		s.Inbound.Roles = roleAssumer{s.STS}
	}
	// 64 attempts at once: they mostly wait for the store, and more of them
	// share each transaction (commit, completions).
	s.inRunner = &jobs.Runner{Queue: newBatchCompleter(s.Store), Name: twoway.QueueInbound, Owner: owner, Handle: s.Inbound.Handle, Log: s.Log, Concurrency: 64,
		Lease: s.Config.Cluster.JobLease}
	s.Inbound.OnQueued = s.inRunner.Notify
	s.Background(s.runOutbound)
	s.Background(s.inRunner.Run)

	s.mux.HandleFunc("POST /_duplex/simulator/inbound", s.simInbound)
	s.mux.HandleFunc("GET /_duplex/simulator/outbound", s.simOutbound)
	s.mux.HandleFunc("GET /_duplex/inbound", s.inboundList)
	s.mux.HandleFunc("POST /_duplex/inbound/redrive", s.inboundRedrive)
	s.mux.HandleFunc("GET /_duplex/messages/{id}", s.message)
	return s.setupSMPP(disp, commit)
}

type jsonError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func fail(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, jsonError{Error: code, Message: msg})
}

// operator authenticates a request to the /_duplex endpoints. With the dev
// defaults they are open (a developer's machine); with configured accounts a
// SigV4 signature of an account is required and results are limited to it.
// It returns the caller's account ("" = every account).
func (s *Server) operator(w http.ResponseWriter, r *http.Request, body []byte) (string, bool) {
	if s.Config.DevDefaults && r.Header.Get("Authorization") == "" {
		return "", true
	}
	v, err := s.API.Verifier.Verify(r.Context(), r, body)
	if err != nil {
		fail(w, http.StatusForbidden, "AccessDenied", "The /_duplex endpoints need a SigV4-signed request from an account: "+err.Error())
		return "", false
	}
	return v.Credential.Account, true
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) ([]byte, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil || len(body) > 1<<20 {
		fail(w, http.StatusBadRequest, "BadRequest", "cannot read body (limit 1 MiB)")
		return nil, false
	}
	if err := json.Unmarshal(body, v); err != nil {
		fail(w, http.StatusBadRequest, "BadRequest", "malformed JSON: "+err.Error())
		return nil, false
	}
	return body, true
}

func (s *Server) simInbound(w http.ResponseWriter, r *http.Request) {
	var in struct {
		OriginationNumber string   `json:"originationNumber"`
		DestinationNumber string   `json:"destinationNumber"`
		MessageBody       string   `json:"messageBody"`
		MediaURLs         []string `json:"mediaUrls"`
	}
	body, ok := readJSON(w, r, &in)
	if !ok {
		return
	}
	account, ok := s.operator(w, r, body)
	if !ok {
		return
	}
	if !e164.MatchString(in.OriginationNumber) || !e164.MatchString(in.DestinationNumber) {
		fail(w, http.StatusBadRequest, "BadRequest", "originationNumber and destinationNumber must be E.164 numbers like +14255550182")
		return
	}
	if in.MessageBody == "" && len(in.MediaURLs) == 0 {
		fail(w, http.StatusBadRequest, "BadRequest", "messageBody is required")
		return
	}
	// With an account, the number must be one of its own (one lookup).
	id, err := s.Inbound.ReceiveFor(r.Context(), account, carrier.Inbound{From: in.OriginationNumber, To: in.DestinationNumber,
		Body: in.MessageBody, MediaURLs: in.MediaURLs, Carrier: "simulator"})
	if errors.Is(err, twoway.ErrUnknownNumber) {
		msg := err.Error()
		if account != "" {
			msg = "no ACTIVE phone number " + in.DestinationNumber + " in your account"
		}
		fail(w, http.StatusNotFound, "NotFound", msg)
		return
	}
	if err != nil {
		s.Log.Error("simulator inbound failed", "err", err)
		fail(w, http.StatusInternalServerError, "InternalError", "could not store the message")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"inboundMessageId": id})
}

func limitParam(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || n <= 0 {
		return 100
	}
	return n
}

func (s *Server) simOutbound(w http.ResponseWriter, r *http.Request) {
	account, ok := s.operator(w, r, nil)
	if !ok {
		return
	}
	msgs, err := s.SMS.Outbox(r.Context(), r.URL.Query().Get("destinationNumber"), limitParam(r))
	if err != nil {
		fail(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	out := msgs[:0]
	for _, m := range msgs {
		if account == "" || m.Account == account {
			out = append(out, m)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out})
}

func (s *Server) inboundList(w http.ResponseWriter, r *http.Request) {
	account, ok := s.operator(w, r, nil)
	if !ok {
		return
	}
	q := r.URL.Query()
	msgs, err := s.Inbound.List(r.Context(), q.Get("status"), q.Get("destinationNumber"), limitParam(r))
	if err != nil {
		fail(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	out := msgs[:0]
	for _, m := range msgs {
		if account == "" || m.Account == account {
			out = append(out, m)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"inboundMessages": out})
}

func (s *Server) inboundRedrive(w http.ResponseWriter, r *http.Request) {
	var in struct {
		InboundMessageIDs []string `json:"inboundMessageIds"`
		AllFailed         bool     `json:"allFailed"`
	}
	body, ok := readJSON(w, r, &in)
	if !ok {
		return
	}
	account, ok := s.operator(w, r, body)
	if !ok {
		return
	}
	if account != "" {
		for _, id := range in.InboundMessageIDs {
			if m, err := s.Inbound.Get(r.Context(), id); err != nil || m.Account != account {
				fail(w, http.StatusNotFound, "NotFound", "no inbound message "+id+" in your account")
				return
			}
		}
	}
	done, err := s.Inbound.Redrive(r.Context(), in.InboundMessageIDs, in.AllFailed, account)
	if errors.Is(err, store.ErrNotFound) {
		fail(w, http.StatusNotFound, "NotFound", err.Error())
		return
	}
	if err != nil {
		fail(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	if done == nil {
		done = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"redriven": done})
}

func (s *Server) message(w http.ResponseWriter, r *http.Request) {
	account, ok := s.operator(w, r, nil)
	if !ok {
		return
	}
	m, err := s.SMS.Message(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && account != "" && m.Account != account) {
		fail(w, http.StatusNotFound, "NotFound", "no message "+r.PathValue("id"))
		return
	}
	if err != nil {
		fail(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// batchCompleter completes a runner's jobs in shared transactions when the
// store can (store.BatchQueue): as groupcommit does for record writes, the
// first caller completes every job queued meanwhile and each caller returns
// once its own job is completed. With SQLite's one writer, a transaction
// per finished job would cap the inbound pipeline's throughput.
type batchCompleter struct {
	store.Queue
	batch store.BatchQueue

	mu      sync.Mutex
	jobs    []store.Job
	waiters []chan error
	running bool
}

func newBatchCompleter(q store.Queue) store.Queue {
	b, ok := q.(store.BatchQueue)
	if !ok {
		return q
	}
	return &batchCompleter{Queue: q, batch: b}
}

// Complete removes a finished job. A job whose lease was lost is skipped
// without an error (it is another owner's now).
func (c *batchCompleter) Complete(ctx context.Context, j store.Job) error {
	done := make(chan error, 1)
	c.mu.Lock()
	c.jobs, c.waiters = append(c.jobs, j), append(c.waiters, done)
	if c.running {
		c.mu.Unlock()
		return <-done
	}
	c.running = true
	c.mu.Unlock()
	for {
		c.mu.Lock()
		n := min(len(c.jobs), groupcommit.MaxBatch)
		if n == 0 {
			c.running = false
			c.jobs, c.waiters = nil, nil
			c.mu.Unlock()
			break
		}
		jobs, waiters := c.jobs[:n:n], c.waiters[:n:n]
		c.jobs, c.waiters = c.jobs[n:], c.waiters[n:]
		c.mu.Unlock()
		_, err := c.batch.CompleteBatch(context.WithoutCancel(ctx), jobs)
		for _, w := range waiters {
			w <- err
		}
	}
	return <-done
}

// roleAssumer lets the inbound pipeline assume a two-way channel role as
// the service principal, returning the policy explanation on refusal.
type roleAssumer struct{ sts *sts.Service }

func (r roleAssumer) AssumeRoleAsService(ctx context.Context, roleArn, principal string, condCtx map[string]string) (*duplex.Caller, string, error) {
	c, d, err := r.sts.AssumeRoleAsService(ctx, roleArn, principal, condCtx)
	if err != nil {
		return nil, d.Explanation, err
	}
	return c, "", nil
}

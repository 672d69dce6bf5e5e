// Package outbound moves queued messages to their carrier and records the
// outcome on the message.
package outbound

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/duplexsms/duplex/internal/carrier"
	"github.com/duplexsms/duplex/internal/jobs"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/store"
)

// Dispatcher picks a carrier for each queued message.
type Dispatcher struct {
	SMS      *smsvoice.Service
	Carriers map[string]carrier.Carrier // by name; "" or unknown → Default
	Default  carrier.Carrier
	Log      *slog.Logger
	Now      func() time.Time
	// Commit, when set, batches the status writes with other writes
	// (groupcommit); default: one transaction each.
	Commit func(ctx context.Context, fn func(store.Tx) error) error
}

// Handle is the jobs.Runner handler of the outbound queue.
func (d *Dispatcher) Handle(ctx context.Context, j store.Job) jobs.Result {
	id := string(j.Payload)
	m, err := d.SMS.Message(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return jobs.Result{}
	}
	if err != nil {
		return jobs.Result{RetryAt: d.Now().Add(time.Second)}
	}
	if m.Status != smsvoice.StatusQueued {
		return jobs.Result{} // already handled by an earlier attempt
	}
	if d.Now().After(m.ExpiresAt) {
		d.update(ctx, id, smsvoice.StatusFailed, "", "TimeToLive expired before a carrier took the message")
		return jobs.Result{}
	}
	c := d.Carriers[m.Carrier]
	if c == nil {
		c = d.Default
	}
	res, err := c.Send(ctx, carrier.Message{ID: m.MessageID, From: m.OriginationNumber, To: m.DestinationNumber, Body: m.MessageBody, MediaURLs: m.MediaURLs})
	// The carrier has decided; record it even when shutdown began meanwhile.
	ctx = context.WithoutCancel(ctx)
	var rej *carrier.RejectedError
	if errors.As(err, &rej) {
		d.Log.Info("carrier rejected message", "messageId", id, "carrier", c.Name(), "reason", rej.Reason)
		d.update(ctx, id, smsvoice.StatusFailed, "", rej.Reason)
		return jobs.Result{}
	}
	if err != nil {
		backoff := time.Duration(1<<min(j.Attempts, 6)) * time.Second
		d.Log.Warn("carrier send failed; will retry", "messageId", id, "carrier", c.Name(), "attempt", j.Attempts, "err", err)
		return jobs.Result{RetryAt: d.Now().Add(backoff)}
	}
	status := smsvoice.StatusSent
	if res.Delivered {
		status = smsvoice.StatusDelivered
	}
	d.update(ctx, id, status, res.CarrierMessageID, "")
	return jobs.Result{}
}

func (d *Dispatcher) update(ctx context.Context, id, status, carrierID, reason string) {
	update := d.SMS.UpdateMessage
	if d.Commit != nil {
		update = func(ctx context.Context, id string, fn func(*smsvoice.OutboundMessage)) error {
			return d.Commit(ctx, func(tx store.Tx) error { return d.SMS.UpdateMessageTx(ctx, tx, id, fn) })
		}
	}
	err := update(ctx, id, func(m *smsvoice.OutboundMessage) {
		if carrierID != "" {
			m.CarrierMessageID = carrierID
		}
		if status == smsvoice.StatusSent && (m.Status == smsvoice.StatusDelivered || m.Status == smsvoice.StatusFailed) {
			return // a delivery receipt overtook the send's own bookkeeping
		}
		m.Status = status
		m.StatusReason = reason
	})
	if err != nil {
		d.Log.Warn("recording message status failed", "messageId", id, "err", err)
	}
}

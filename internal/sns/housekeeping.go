package sns

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/duplexsms/duplex/internal/store"
	"github.com/google/uuid"
)

// Housekeeping jobs remove records whose time is up.
const (
	opDeleteMessage = "delete-message" // a shared message body past its lifetime
	opDeleteDedup   = "delete-dedup"   // a FIFO deduplication ID past its window
	opDeleteToken   = "delete-token"   // an UnsubscribeConfirmation's restore token
	opExpirePending = "expire-pending" // a subscription never confirmed
)

type housekeeping struct {
	Op      string `json:"op"`
	Account string `json:"account"`
	ID      string `json:"id"`
	Token   string `json:"token,omitempty"`
}

func enqueueHousekeeping(ctx context.Context, tx store.Tx, hk housekeeping, due time.Time) error {
	b, err := json.Marshal(hk)
	if err != nil {
		return err
	}
	return tx.Enqueue(ctx, store.Job{Queue: QueueHousekeeping, ID: hk.Op + "/" + uuid.NewString(), Due: due, Payload: b})
}

// housekeep runs one housekeeping job.
func (s *Service) housekeep(ctx context.Context, j store.Job) error {
	var hk housekeeping
	if err := json.Unmarshal(j.Payload, &hk); err != nil {
		return nil // unreadable: drop it
	}
	now := s.now()
	changed := false
	err := s.store.Update(ctx, func(tx store.Tx) error {
		del := func(kind, id string) error {
			err := tx.Delete(ctx, hk.Account, kind, id)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		}
		switch hk.Op {
		case opDeleteMessage:
			return del(kindMessage, hk.ID)
		case opDeleteToken:
			return del(kindToken, hk.ID)
		case opDeleteDedup:
			d, err := load[dedupRecord](ctx, tx, hk.Account, kindDedup, hk.ID)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if now.Before(d.Expires) {
				return nil // renewed since
			}
			return del(kindDedup, hk.ID)
		case opExpirePending:
			sub, err := load[subscription](ctx, tx, hk.Account, kindSubscription, hk.ID)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if sub.Confirmed || sub.Token != hk.Token {
				return nil
			}
			changed = true
			if err := del(kindSubscription, hk.ID); err != nil {
				return err
			}
			topicName, _, _ := cutLast(hk.ID, "/")
			return del(kindToken, topicName+"/"+hk.Token)
		}
		return nil
	})
	if changed {
		s.invalidate()
	}
	return err
}

func cutLast(s, sep string) (before, after string, found bool) {
	for i := len(s) - len(sep); i >= 0; i-- {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

package smsvoice

import (
	"context"

	"github.com/duplexsms/duplex/internal/store"
)

// UpdateMessageTx applies fn to a stored outbound message inside the
// caller's transaction (carrier delivery receipts record their outcome
// atomically with their own bookkeeping).
func (s *Service) UpdateMessageTx(ctx context.Context, tx store.Tx, id string, fn func(*OutboundMessage)) error {
	m, err := load[OutboundMessage](ctx, tx, "", KindMessage, id)
	if err != nil {
		return err
	}
	fn(m)
	m.UpdatedTimestamp = s.Now().UTC()
	return save(ctx, tx, "", KindMessage, id, m, false)
}

package smsvoice

import (
	"context"
	"errors"
)

// errTokenRace is the cause of the ConflictException rememberToken
// returns: a concurrent request with the same ClientToken (on this node or
// another sharing the store) committed first.
var errTokenRace = errors.New("smsvoice: a concurrent request with the same ClientToken committed first")

// tokenWinner returns the number a concurrent RequestPhoneNumber with the
// same ClientToken created, once that request has committed (false when
// it cannot be read; the caller then returns its ConflictException).
func (s *Service) tokenWinner(ctx context.Context, account, token string) (*RequestPhoneNumberOutput, bool) {
	id, ok, err := s.idempotent(ctx, account, "RequestPhoneNumber", token)
	if err != nil || !ok {
		return nil, false
	}
	n, err := load[PhoneNumber](ctx, s.Store, account, kindNumber, id)
	if err != nil {
		return nil, false
	}
	return &RequestPhoneNumberOutput{PhoneNumberInfo: n.Info, Tags: n.Tags}, true
}

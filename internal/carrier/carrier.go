// Package carrier is the small interface through which messages leave for
// customers' phones and arrive from them: the simulator and SMPP links
// implement it.
package carrier

import (
	"context"
	"time"
)

// Message is an outbound message handed to a carrier.
type Message struct {
	ID        string
	From      string
	To        string
	Body      string
	MediaURLs []string
}

// Result of a send.
type Result struct {
	CarrierMessageID string
	// Delivered is true when the carrier confirmed delivery synchronously
	// (the simulator); otherwise a receipt may follow.
	Delivered bool
}

// Carrier sends messages to customers.
type Carrier interface {
	Name() string
	Send(ctx context.Context, m Message) (Result, error)
}

// Inbound is a customer's message as a carrier received it.
type Inbound struct {
	From      string
	To        string
	Body      string
	MediaURLs []string
	Carrier   string
	CarrierID string
	Received  time.Time
}

// Sink takes inbound messages. Receive returns only once the message is
// durable, so a carrier may acknowledge it to its peer afterwards.
type Sink interface {
	Receive(ctx context.Context, in Inbound) (inboundMessageID string, err error)
}

// Simulator is the default carrier: it delivers every message at once to
// the simulated phones (the outbox shows them).
type Simulator struct{}

// Name is "simulator".
func (Simulator) Name() string { return "simulator" }

// Send delivers at once.
func (Simulator) Send(_ context.Context, m Message) (Result, error) {
	return Result{CarrierMessageID: "sim-" + m.ID, Delivered: true}, nil
}

// RejectedError is a message the carrier refused for good (an invalid
// address, an unsupported message): sending it again cannot succeed, so
// the dispatcher marks it FAILED instead of retrying.
type RejectedError struct{ Reason string }

func (e *RejectedError) Error() string { return "carrier rejected the message: " + e.Reason }

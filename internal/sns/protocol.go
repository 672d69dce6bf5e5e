package sns

import (
	"context"
	"fmt"
)

// Protocol delivers to one kind of subscription endpoint. HTTP and HTTPS
// live in package snshttp (services do not speak HTTP themselves); Amazon
// SQS, Lambda and the others can be added behind the same interface.
type Protocol interface {
	// CheckEndpoint validates an endpoint at Subscribe.
	CheckEndpoint(endpoint string) error
	// NeedsConfirmation reports whether a new subscription must be
	// confirmed by its endpoint before it receives notifications.
	NeedsConfirmation() bool
	// Deliver sends one request, within ctx's deadline (the worker's
	// per-request timeout). nil means delivered; a *DeliveryError says
	// whether a retry may help; any other error is retried.
	Deliver(ctx context.Context, r *Request) error
}

// DeliveryError is a failed delivery attempt.
type DeliveryError struct {
	// Status is the endpoint's HTTP status, 0 when there was no answer.
	Status int
	// Permanent failures (HTTP 4xx other than 429) are not retried: the
	// message goes to the dead-letter records at once.
	Permanent bool
	Err       error
}

func (e *DeliveryError) Error() string {
	switch {
	case e.Status != 0 && e.Err != nil:
		return fmt.Sprintf("HTTP status %d: %v", e.Status, e.Err)
	case e.Status != 0:
		return fmt.Sprintf("HTTP status %d", e.Status)
	case e.Err != nil:
		return e.Err.Error()
	}
	return "delivery failed"
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// Package duplex holds the domain types shared by every layer: the error
// type that carries an AWS error code, and the table that maps each code to
// its HTTP status. Services return *Error; the wire layer renders it in the
// protocol of the API that was called (JSON __type or query XML).
package duplex

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an AWS-shaped error. Code is the AWS error code the client sees
// (the model's exception shape name for JSON protocols, the query error code
// for query services). Members holds the model's extra error members such
// as Reason, Fields, ResourceType and ResourceId.
type Error struct {
	Code    string
	Message string
	// Status overrides the HTTP status from the code table when non-zero.
	Status  int
	Members map[string]any
	// Err is an underlying cause kept for logs; it is never shown to clients.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// HTTPStatus is the status the wire layer sends for this error.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	if s, ok := statusByCode[e.Code]; ok {
		return s
	}
	return http.StatusBadRequest
}

// Fault reports whether the error is the server's fault (query protocols
// render it as Type=Receiver).
func (e *Error) Fault() bool { return e.HTTPStatus() >= 500 }

// statusByCode is the single table of error codes and their HTTP statuses,
// for every API duplex speaks (MinIO's api-errors.go in spirit).
var statusByCode = map[string]int{
	// End User Messaging SMS (JSON 1.0)
	"ValidationException":            http.StatusBadRequest,
	"ConflictException":              http.StatusConflict,
	"ResourceNotFoundException":      http.StatusNotFound,
	"ServiceQuotaExceededException":  http.StatusPaymentRequired,
	"AccessDeniedException":          http.StatusForbidden,
	"ThrottlingException":            http.StatusTooManyRequests,
	"InternalServerException":        http.StatusInternalServerError,
	"UnknownOperationException":      http.StatusBadRequest,
	"SerializationException":         http.StatusBadRequest,
	"RequestEntityTooLargeException": http.StatusRequestEntityTooLarge,
	// KMS (JSON 1.1)
	"NotFoundException":                http.StatusBadRequest,
	"DisabledException":                http.StatusBadRequest,
	"KMSInvalidStateException":         http.StatusBadRequest,
	"InvalidCiphertextException":       http.StatusBadRequest,
	"IncorrectKeyException":            http.StatusBadRequest,
	"MalformedPolicyDocumentException": http.StatusBadRequest,
	"AlreadyExistsException":           http.StatusBadRequest,
	"InvalidAliasNameException":        http.StatusBadRequest,
	"InvalidKeyUsageException":         http.StatusBadRequest,
	"InvalidArnException":              http.StatusBadRequest,
	"KMSInternalException":             http.StatusInternalServerError,
	"LimitExceededException":           http.StatusBadRequest,
	"TagException":                     http.StatusBadRequest,
	"UnsupportedOperationException":    http.StatusBadRequest,
	// Query services (SNS, IAM, STS)
	"InvalidParameter":            http.StatusBadRequest,
	"InvalidParameterValue":       http.StatusBadRequest,
	"InvalidAction":               http.StatusBadRequest,
	"MissingParameter":            http.StatusBadRequest,
	"MalformedQueryString":        http.StatusBadRequest,
	"NotFound":                    http.StatusNotFound,
	"AuthorizationError":          http.StatusForbidden,
	"InternalError":               http.StatusInternalServerError,
	"InternalFailure":             http.StatusInternalServerError,
	"Throttled":                   http.StatusBadRequest,
	"TopicLimitExceeded":          http.StatusForbidden,
	"SubscriptionLimitExceeded":   http.StatusForbidden,
	"InvalidSecurity":             http.StatusForbidden,
	"KMSDisabled":                 http.StatusBadRequest,
	"KMSInvalidState":             http.StatusBadRequest,
	"KMSNotFound":                 http.StatusBadRequest,
	"KMSAccessDenied":             http.StatusBadRequest,
	"KMSOptInRequired":            http.StatusForbidden,
	"KMSThrottling":               http.StatusBadRequest,
	"PlatformApplicationDisabled": http.StatusBadRequest,
	"TagPolicy":                   http.StatusBadRequest,
	"StaleTag":                    http.StatusBadRequest,
	"ConcurrentAccess":            http.StatusBadRequest,
	"NoSuchEntity":                http.StatusNotFound,
	"EntityAlreadyExists":         http.StatusConflict,
	"DeleteConflict":              http.StatusConflict,
	"LimitExceeded":               http.StatusConflict,
	"MalformedPolicyDocument":     http.StatusBadRequest,
	"ValidationError":             http.StatusBadRequest,
	"InvalidInput":                http.StatusBadRequest,
	"ServiceFailure":              http.StatusInternalServerError,
	"UnmodifiableEntity":          http.StatusBadRequest,
	"PackedPolicyTooLarge":        http.StatusBadRequest,
	"RegionDisabledException":     http.StatusForbidden,
	"ExpiredTokenException":       http.StatusBadRequest,
	"AccessDenied":                http.StatusForbidden,
	// Connect (rest-json)
	"InvalidRequestException":    http.StatusBadRequest,
	"InvalidParameterException":  http.StatusBadRequest,
	"DuplicateResourceException": http.StatusConflict,
	"ResourceInUseException":     http.StatusConflict,
	"InternalServiceException":   http.StatusInternalServerError,
}

// Errorf builds an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// With returns e with one more error member set.
func (e *Error) With(member string, value any) *Error {
	if e.Members == nil {
		e.Members = map[string]any{}
	}
	e.Members[member] = value
	return e
}

// FieldError names one member that failed validation.
type FieldError struct {
	Name    string `json:"Name"`
	Message string `json:"Message"`
}

// Validation is a ValidationException with a Reason and optional Fields.
func Validation(reason, message string, fields ...FieldError) *Error {
	e := &Error{Code: "ValidationException", Message: message}
	e.With("Reason", reason)
	if len(fields) > 0 {
		e.With("Fields", fields)
	}
	return e
}

// NotFound is a ResourceNotFoundException for a resource type and ID.
func NotFound(resourceType, id string) *Error {
	e := &Error{Code: "ResourceNotFoundException",
		Message: fmt.Sprintf("The %s %s does not exist.", resourceType, id)}
	return e.With("ResourceType", resourceType).With("ResourceId", id)
}

// Conflict is a ConflictException with a Reason and the resource it concerns.
func Conflict(reason, resourceType, id, message string) *Error {
	e := &Error{Code: "ConflictException", Message: message}
	e.With("Reason", reason)
	if resourceType != "" {
		e.With("ResourceType", resourceType).With("ResourceId", id)
	}
	return e
}

// QuotaExceeded is a ServiceQuotaExceededException with a Reason.
func QuotaExceeded(reason, message string) *Error {
	return (&Error{Code: "ServiceQuotaExceededException", Message: message}).With("Reason", reason)
}

// Internal wraps an unexpected error; the client sees only a generic message.
func Internal(code string, err error) *Error {
	return &Error{Code: code, Message: "An internal error occurred.", Err: err}
}

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

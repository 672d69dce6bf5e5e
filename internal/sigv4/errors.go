package sigv4

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrUnknownKey is returned by a Lookup when no credential exists for the
// access key. Lookup may wrap it; Verify tests with errors.Is.
var ErrUnknownKey = errors.New("sigv4: unknown access key")

// Kind classifies a verification failure. The protocol layer maps a Kind to
// the error code and HTTP status the emulated AWS service would answer with
// (see Error.JSONCode and Error.QueryCode).
type Kind int

const (
	// KindMissing: the request carries neither an Authorization header nor
	// presigned query parameters.
	KindMissing Kind = iota + 1
	// KindMalformed: the Authorization header or presigned parameters cannot
	// be parsed, a required part is missing, the credential scope is not
	// keyid/date/region/service/term, or the algorithm is not
	// AWS4-HMAC-SHA256.
	KindMalformed
	// KindUnknownKey: Lookup does not know the access key.
	KindUnknownKey
	// KindSignatureMismatch: the recomputed signature differs, the body does
	// not match X-Amz-Content-Sha256, or the credential scope's date or
	// terminator is wrong (AWS reports those as signature failures).
	KindSignatureMismatch
	// KindExpiredRequest: the signing time is outside now±MaxSkew, or a
	// presigned URL is past X-Amz-Expires.
	KindExpiredRequest
	// KindExpiredToken: the credential has an Expires that has passed.
	KindExpiredToken
	// KindInvalidToken: a temporary credential's session token is missing or
	// different, or a permanent credential was sent with a session token.
	KindInvalidToken
)

func (k Kind) String() string {
	switch k {
	case KindMissing:
		return "Missing"
	case KindMalformed:
		return "Malformed"
	case KindUnknownKey:
		return "UnknownKey"
	case KindSignatureMismatch:
		return "SignatureMismatch"
	case KindExpiredRequest:
		return "ExpiredRequest"
	case KindExpiredToken:
		return "ExpiredToken"
	case KindInvalidToken:
		return "InvalidToken"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Messages AWS returns verbatim.
const (
	msgMissingJSON      = "Missing Authentication Token"
	msgMissingQuery     = "Request is missing Authentication Token"
	msgInvalidToken     = "The security token included in the request is invalid."
	msgExpiredToken     = "The security token included in the request is expired"
	msgSignatureMatch   = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgPresignedExpired = "Request has expired"
)

// Error is a verification failure. Message is the AWS-style message for
// every protocol; use JSONMessage/QueryMessage to get the exact per-protocol
// text (they differ for KindMissing, and query services append the canonical
// request to signature mismatches).
type Error struct {
	Kind    Kind
	Message string

	// CanonicalRequest and StringToSign are what the server computed, set
	// for KindSignatureMismatch when the signature itself was compared. AWS
	// query services include them in the SignatureDoesNotMatch message;
	// they are also useful in debug logs. They contain only request data
	// (no secrets), but do include signed header values such as
	// X-Amz-Security-Token.
	CanonicalRequest string
	StringToSign     string
}

func (e *Error) Error() string {
	return "sigv4: " + e.Kind.String() + ": " + e.Message
}

func newError(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

// JSONCode returns the __type and HTTP status an AWS JSON-protocol service
// (pinpoint-sms-voice-v2, kms) answers with.
func (e *Error) JSONCode() (code string, status int) {
	switch e.Kind {
	case KindMissing:
		return "MissingAuthenticationTokenException", http.StatusForbidden
	case KindMalformed:
		return "IncompleteSignatureException", http.StatusBadRequest
	case KindUnknownKey, KindInvalidToken:
		return "UnrecognizedClientException", http.StatusBadRequest
	case KindSignatureMismatch, KindExpiredRequest:
		return "InvalidSignatureException", http.StatusBadRequest
	case KindExpiredToken:
		return "ExpiredTokenException", http.StatusBadRequest
	}
	return "InternalFailure", http.StatusInternalServerError
}

// JSONMessage returns the message an AWS JSON-protocol service sends.
func (e *Error) JSONMessage() string {
	if e.Kind == KindMissing {
		return msgMissingJSON
	}
	return e.Message
}

// QueryCode returns the <Code> and HTTP status an AWS query-protocol service
// (sns, sts, iam) answers with. A request outside the clock-skew window is
// answered with SignatureDoesNotMatch/403 and a "Signature expired: ..."
// message, which is what STS and SNS send on the wire (the RequestExpired code
// listed in the query services' common-errors pages is not what they return
// for SigV4 requests); the AWS SDKs' clock-skew correction also keys on
// SignatureDoesNotMatch.
func (e *Error) QueryCode() (code string, status int) {
	switch e.Kind {
	case KindMissing:
		return "MissingAuthenticationToken", http.StatusForbidden
	case KindMalformed:
		return "IncompleteSignature", http.StatusBadRequest
	case KindUnknownKey, KindInvalidToken:
		return "InvalidClientTokenId", http.StatusForbidden
	case KindSignatureMismatch, KindExpiredRequest:
		return "SignatureDoesNotMatch", http.StatusForbidden
	case KindExpiredToken:
		return "ExpiredToken", http.StatusForbidden
	}
	return "InternalFailure", http.StatusInternalServerError
}

// QueryMessage returns the message an AWS query-protocol service sends. For
// a signature mismatch it appends, as AWS does, the canonical request and
// string to sign the server computed.
func (e *Error) QueryMessage() string {
	switch e.Kind {
	case KindMissing:
		return msgMissingQuery
	case KindSignatureMismatch:
		if e.CanonicalRequest != "" {
			return e.Message + "\n\nThe Canonical String for this request should have been\n'" +
				e.CanonicalRequest + "'\n\nThe String-to-Sign should have been\n'" + e.StringToSign + "'\n"
		}
	}
	return e.Message
}

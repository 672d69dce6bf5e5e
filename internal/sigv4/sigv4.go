// Package sigv4 verifies AWS Signature Version 4 (AWS4-HMAC-SHA256) signed
// requests, in the Authorization-header form and the presigned query-string
// form, as sent by unmodified AWS SDKs and the aws CLI.
//
// The canonical request is rebuilt from the request exactly as the client
// declared it (its SignedHeaders list, not a list of our choosing), the
// signature is recomputed with the secret the access key maps to and
// compared in constant time.
package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Credential is what an access key maps to.
type Credential struct {
	AccessKeyID, SecretAccessKey, SessionToken string    // SessionToken non-empty for temporary (STS) credentials
	Account                                    string    // 12-digit account
	PrincipalARN                               string    // e.g. arn:aws:iam::000000000000:root or arn:aws:sts::ACCT:assumed-role/R/S
	Expires                                    time.Time // zero = never
}

// Lookup returns the credential for an access key, or ErrUnknownKey (possibly
// wrapped). Any other error is returned by Verify as is (wrapped), and should
// be answered as an internal failure.
type Lookup func(ctx context.Context, accessKeyID string) (Credential, error)

// Verified describes a request whose signature checked out.
type Verified struct {
	Credential      Credential
	Region, Service string    // from the credential scope
	SignedAt        time.Time // X-Amz-Date (or Date)
	// Presigned is true for the query-string (presigned URL) form.
	Presigned bool
	// UnsignedPayload is true when the body is not covered by the signature
	// (X-Amz-Content-Sha256: UNSIGNED-PAYLOAD, or a presigned URL signed
	// with UNSIGNED-PAYLOAD).
	UnsignedPayload bool
}

// DefaultMaxSkew is the clock skew AWS tolerates.
const DefaultMaxSkew = 15 * time.Minute

// Verifier checks SigV4 signatures. Its zero value (plus Lookup) is ready to
// use; it is safe for concurrent use and must not be copied after first use.
type Verifier struct {
	Lookup  Lookup
	Now     func() time.Time // default time.Now
	MaxSkew time.Duration    // default 15m

	keys       keyCache
	noKeyCache bool // benchmarks only
}

const unsignedPayload = "UNSIGNED-PAYLOAD"

// parsed is the authentication information extracted from a request.
type parsed struct {
	sc         scope
	names      []string // signed headers, lower case
	signature  string
	amzDate    string // ISO-8601 basic, as it goes into the string to sign
	signedAt   time.Time
	presigned  bool
	expires    int64 // presigned X-Amz-Expires seconds; -1 if absent
	token      string
	hasToken   bool
	payload    string // X-Amz-Content-Sha256 as sent
	hasPayload bool
	params     []queryParam
}

// Verify checks the signature of r. body is the complete request body,
// already read by the caller. r is not modified.
//
// A verification failure is an *Error; any other error comes from Lookup.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (*Verified, error) {
	if v.Lookup == nil {
		return nil, errors.New("sigv4: Verifier.Lookup is nil")
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	skew := v.MaxSkew
	if skew <= 0 {
		skew = DefaultMaxSkew
	}

	p, e := parseRequest(r)
	if e != nil {
		return nil, e
	}
	if !slices.Contains(p.names, "host") {
		return nil, newError(KindMalformed, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}
	if p.sc.date != p.amzDate[:8] {
		from := "X-Amz-Date"
		if !p.presigned && r.Header.Get("X-Amz-Date") == "" {
			from = "Date"
		}
		return nil, newError(KindSignatureMismatch, fmt.Sprintf(
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			p.sc.date, p.amzDate[:8], from))
	}
	if e := checkTime(p, now, skew); e != nil {
		return nil, e
	}

	cred, err := v.Lookup(ctx, p.sc.accessKey)
	if err != nil {
		if errors.Is(err, ErrUnknownKey) {
			return nil, newError(KindUnknownKey, msgInvalidToken)
		}
		return nil, fmt.Errorf("sigv4: credential lookup: %w", err)
	}
	if cred.SessionToken == "" {
		if p.hasToken {
			return nil, newError(KindInvalidToken, msgInvalidToken)
		}
	} else if !p.hasToken || subtle.ConstantTimeCompare([]byte(p.token), []byte(cred.SessionToken)) != 1 {
		return nil, newError(KindInvalidToken, msgInvalidToken)
	}
	if !cred.Expires.IsZero() && !now.Before(cred.Expires) {
		return nil, newError(KindExpiredToken, msgExpiredToken)
	}

	// Payload hashes to try, in order.
	var payloads []string
	unsigned := false
	switch {
	case p.hasPayload && p.payload == unsignedPayload:
		payloads, unsigned = []string{unsignedPayload}, true
	case p.hasPayload:
		sum := sha256.Sum256(body)
		if !strings.EqualFold(p.payload, hex.EncodeToString(sum[:])) {
			return nil, newError(KindSignatureMismatch,
				"The provided 'x-amz-content-sha256' header does not match what was computed.")
		}
		payloads = []string{p.payload}
	default:
		sum := sha256.Sum256(body)
		payloads = []string{hex.EncodeToString(sum[:])}
		if p.presigned {
			// S3-style presigners sign UNSIGNED-PAYLOAD without saying so;
			// botocore and the Go SDK sign the (empty) body's hash.
			payloads = append(payloads, unsignedPayload)
		}
	}

	key := v.signingKey(cred.SecretAccessKey, p.sc.date, p.sc.region, p.sc.service)
	query := canonicalQuery(p.params, p.presigned)
	scopeLine := p.sc.date + "/" + p.sc.region + "/" + p.sc.service + "/" + terminator

	var first *Error
	var prevPrefix []byte
	// Canonicalization as AWS documents it (and the Go SDK signs), then, only
	// if that fails and it differs, as botocore signs for non-S3 services
	// (dot segments and duplicate slashes removed from the path, all
	// whitespace runs in header values collapsed).
	for _, alt := range []bool{false, true} {
		prefix := canonicalPrefix(r, query, p.names, alt)
		if alt && string(prefix) == string(prevPrefix) {
			break
		}
		prevPrefix = prefix
		for _, ph := range payloads {
			cr := append(prefix[:len(prefix):len(prefix)], ph...)
			sts, sig := sign(key, p.amzDate, scopeLine, cr)
			if hmac.Equal([]byte(sig), []byte(p.signature)) {
				return &Verified{
					Credential:      cred,
					Region:          p.sc.region,
					Service:         p.sc.service,
					SignedAt:        p.signedAt,
					Presigned:       p.presigned,
					UnsignedPayload: unsigned || ph == unsignedPayload,
				}, nil
			}
			if first == nil {
				first = &Error{Kind: KindSignatureMismatch, Message: msgSignatureMatch,
					CanonicalRequest: string(cr), StringToSign: sts}
			}
		}
	}
	return nil, first
}

// sign returns the string to sign and the hex signature for a canonical
// request.
func sign(key []byte, amzDate, scopeLine string, canonicalRequest []byte) (sts, sig string) {
	crHash := sha256.Sum256(canonicalRequest)
	b := make([]byte, 0, len(algorithm)+len(amzDate)+len(scopeLine)+3+64)
	b = append(b, algorithm...)
	b = append(b, '\n')
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = append(b, scopeLine...)
	b = append(b, '\n')
	b = hex.AppendEncode(b, crHash[:])
	m := hmac.New(sha256.New, key)
	m.Write(b)
	var sum [sha256.Size]byte
	return string(b), hex.EncodeToString(m.Sum(sum[:0]))
}

func fmtAmz(t time.Time) string { return t.UTC().Format(amzDateFmt) }

// checkTime enforces the clock-skew window and, for presigned URLs,
// X-Amz-Expires.
func checkTime(p *parsed, now time.Time, skew time.Duration) *Error {
	mins := strconv.FormatFloat(skew.Minutes(), 'f', -1, 64)
	if late := now.Add(skew); p.signedAt.After(late) {
		return newError(KindExpiredRequest, fmt.Sprintf(
			"Signature not yet current: %s is still later than %s (%s + %s min.)",
			p.amzDate, fmtAmz(late), fmtAmz(now), mins))
	}
	if p.presigned && p.expires >= 0 {
		if now.After(p.signedAt.Add(time.Duration(p.expires) * time.Second)) {
			return newError(KindExpiredRequest, msgPresignedExpired)
		}
		return nil
	}
	if early := now.Add(-skew); p.signedAt.Before(early) {
		return newError(KindExpiredRequest, fmt.Sprintf(
			"Signature expired: %s is now earlier than %s (%s - %s min.)",
			p.amzDate, fmtAmz(early), fmtAmz(now), mins))
	}
	return nil
}

var authQueryParams = []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"}

func parseRequest(r *http.Request) (*parsed, *Error) {
	p := &parsed{expires: -1, params: parseQuery(r.URL.RawQuery)}
	auth := r.Header.Get("Authorization")
	presigned := false
	for _, q := range p.params {
		if slices.Contains(authQueryParams, q.key) {
			presigned = true
			break
		}
	}
	switch {
	case auth != "" && presigned:
		return nil, newError(KindMalformed, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "+
			"Signature query string parameter or the Authorization header should be specified")
	case auth != "":
		return p, p.fromHeader(r, auth)
	case presigned:
		return p, p.fromQuery(r)
	}
	return nil, newError(KindMissing, msgMissingQuery)
}

func (p *parsed) fromHeader(r *http.Request, auth string) *Error {
	var e *Error
	if p.sc, p.names, p.signature, e = parseAuthorization(auth); e != nil {
		return e
	}
	if d := r.Header.Get("X-Amz-Date"); d != "" {
		if p.signedAt, e = parseAmzDate(d); e != nil {
			return e
		}
	} else if d := r.Header.Get("Date"); d != "" {
		if p.signedAt, e = parseHTTPDate(d); e != nil {
			return e
		}
	} else {
		return newError(KindMalformed, "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization="+auth)
	}
	p.amzDate = fmtAmz(p.signedAt)
	if vs := r.Header.Values("X-Amz-Security-Token"); len(vs) > 0 {
		p.token, p.hasToken = vs[0], true
	}
	if vs := r.Header.Values("X-Amz-Content-Sha256"); len(vs) > 0 {
		p.payload, p.hasPayload = vs[0], true
	}
	return nil
}

// parseHTTPDate parses a Date header: RFC 7231 formats, RFC 1123 with a
// numeric zone (botocore sends "-0000"), or ISO-8601 basic.
func parseHTTPDate(d string) (time.Time, *Error) {
	if t, err := http.ParseTime(d); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.RFC1123Z, d); err == nil {
		return t.UTC(), nil
	}
	return parseAmzDate(d)
}

func parseAmzDate(d string) (time.Time, *Error) {
	t, err := time.Parse(amzDateFmt, d)
	if err != nil || len(d) != len(amzDateFmt) {
		return time.Time{}, newError(KindMalformed,
			"Date must be in ISO-8601 'basic format'. Got '"+d+"'. See http://en.wikipedia.org/wiki/ISO_8601")
	}
	return t, nil
}

func (p *parsed) fromQuery(r *http.Request) *Error {
	p.presigned = true
	get := map[string]*string{}
	var alg, cred, date, signed, expires string
	var token, payload string
	get["X-Amz-Algorithm"] = &alg
	get["X-Amz-Credential"] = &cred
	get["X-Amz-Date"] = &date
	get["X-Amz-SignedHeaders"] = &signed
	get["X-Amz-Signature"] = &p.signature
	get["X-Amz-Expires"] = &expires
	get["X-Amz-Security-Token"] = &token
	get["X-Amz-Content-Sha256"] = &payload
	seen := map[string]bool{}
	for _, q := range p.params {
		dst, ok := get[q.key]
		if !ok {
			continue
		}
		if seen[q.key] {
			return newError(KindMalformed, "AWS query-string parameter '"+q.key+"' appears more than once. Re-examine the query-string parameters.")
		}
		seen[q.key] = true
		*dst = q.value
	}
	if !seen["X-Amz-Algorithm"] {
		return newError(KindMalformed, "AWS query-string parameters must include 'X-Amz-Algorithm'. Re-examine the query-string parameters.")
	}
	if alg != algorithm {
		return newError(KindMalformed, "Unsupported AWS 'algorithm': '"+alg+"'")
	}
	var missing []string
	for _, k := range []string{"X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"} {
		if *get[k] == "" {
			missing = append(missing, "AWS query-string parameters must include '"+k+"'.")
		}
	}
	if len(missing) > 0 {
		return newError(KindMalformed, strings.Join(missing, " ")+" Re-examine the query-string parameters.")
	}
	var e *Error
	if p.sc, e = parseCredential(cred); e != nil {
		return e
	}
	if p.names, e = parseSignedHeaders(signed); e != nil {
		return e
	}
	if p.signedAt, e = parseAmzDate(date); e != nil {
		return e
	}
	p.amzDate = date
	if seen["X-Amz-Expires"] {
		n, err := strconv.ParseInt(expires, 10, 64)
		if err != nil || n < 0 {
			return newError(KindMalformed, "X-Amz-Expires should be a number. Re-examine the query-string parameters.")
		}
		if n > maxPresignTS {
			return newError(KindMalformed, "X-Amz-Expires must be less than a week (in seconds) that is 604800")
		}
		p.expires = n
	}
	if seen["X-Amz-Security-Token"] {
		p.token, p.hasToken = token, true
	} else if vs := r.Header.Values("X-Amz-Security-Token"); len(vs) > 0 {
		p.token, p.hasToken = vs[0], true
	}
	if seen["X-Amz-Content-Sha256"] {
		p.payload, p.hasPayload = payload, true
	} else if vs := r.Header.Values("X-Amz-Content-Sha256"); len(vs) > 0 {
		p.payload, p.hasPayload = vs[0], true
	}
	return nil
}

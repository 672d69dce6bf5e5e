package sigv4

import (
	"net/http"
	"strings"
)

const (
	algorithm    = "AWS4-HMAC-SHA256"
	terminator   = "aws4_request"
	amzDateFmt   = "20060102T150405Z"
	maxPresignTS = 604800 // seconds; SigV4 signatures are valid for at most 7 days
)

// scope is a parsed credential (keyid/date/region/service/aws4_request).
type scope struct {
	accessKey, date, region, service string
}

// parseCredential parses keyid/yyyymmdd/region/service/aws4_request.
func parseCredential(cred string) (scope, *Error) {
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return scope{}, newError(KindMalformed,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '"+cred+"'")
	}
	for i, p := range parts {
		if p == "" {
			return scope{}, newError(KindMalformed, "Credential has an empty "+
				[]string{"access key", "date", "region", "service", "terminator"}[i]+" element: '"+cred+"'")
		}
	}
	if !isDate8(parts[1]) {
		return scope{}, newError(KindMalformed,
			"Invalid credential date '"+parts[1]+"'. This date is not the required format: yyyyMMdd.")
	}
	if parts[4] != terminator {
		// AWS treats a wrong terminator as a failed signature verification
		// (IAM user guide, "Troubleshoot signed requests").
		return scope{}, newError(KindSignatureMismatch,
			"Credential should be scoped with a valid terminator: 'aws4_request', not '"+parts[4]+"'.")
	}
	return scope{accessKey: parts[0], date: parts[1], region: parts[2], service: parts[3]}, nil
}

func isDate8(s string) bool {
	if len(s) != 8 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseSignedHeaders splits a;b;c, lower-casing the names.
func parseSignedHeaders(s string) ([]string, *Error) {
	if s == "" {
		return nil, newError(KindMalformed, "SignedHeaders must not be empty.")
	}
	names := strings.Split(s, ";")
	for i, n := range names {
		if n == "" {
			return nil, newError(KindMalformed, "SignedHeaders contains an empty header name: '"+s+"'.")
		}
		names[i] = strings.ToLower(n)
	}
	return names, nil
}

func isAuthSep(r rune) bool { return r == ',' || r == ' ' || r == '\t' }

// ParseAuthorization parses an "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
// Signature=..." header. Components may be separated by commas, blanks or
// both. signedHeaders are lower-cased. On failure err is an *Error:
// KindMissing for an empty header, KindMalformed for an unparseable one or an
// unsupported algorithm, KindSignatureMismatch for a scope terminator other
// than aws4_request (which is how AWS classifies it).
func ParseAuthorization(h string) (accessKey, date, region, service string, signedHeaders []string, signature string, err error) {
	sc, sh, sig, e := parseAuthorization(h)
	if e != nil {
		return "", "", "", "", nil, "", e
	}
	return sc.accessKey, sc.date, sc.region, sc.service, sh, sig, nil
}

func parseAuthorization(h string) (scope, []string, string, *Error) {
	h = strings.TrimSpace(h)
	if h == "" {
		return scope{}, nil, "", newError(KindMissing, msgMissingQuery)
	}
	alg, rest := h, ""
	if i := strings.IndexAny(h, " \t"); i >= 0 {
		alg, rest = h[:i], h[i+1:]
	}
	if alg != algorithm {
		if strings.HasPrefix(alg, "AWS4-") {
			return scope{}, nil, "", newError(KindMalformed, "Unsupported AWS 'algorithm': '"+alg+"'")
		}
		// Not a SigV4 header at all (SigV2, Bearer, ...): AWS lists every
		// missing component and echoes the header.
		return scope{}, nil, "", newError(KindMalformed,
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. "+
				"Authorization header requires 'SignedHeaders' parameter. Authorization="+h)
	}
	var cred, signed, sig string
	var haveCred, haveSigned, haveSig bool
	for _, f := range strings.FieldsFunc(rest, isAuthSep) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return scope{}, nil, "", newError(KindMalformed,
				"'"+f+"' not a valid key=value pair (missing equal-sign) in Authorization header: '"+h+"'.")
		}
		var dst *string
		var seen *bool
		switch k {
		case "Credential":
			dst, seen = &cred, &haveCred
		case "SignedHeaders":
			dst, seen = &signed, &haveSigned
		case "Signature":
			dst, seen = &sig, &haveSig
		default:
			continue
		}
		if *seen {
			return scope{}, nil, "", newError(KindMalformed,
				"Authorization header has more than one '"+k+"' parameter: '"+h+"'.")
		}
		*dst, *seen = v, true
	}
	var missing []string
	if !haveCred || cred == "" {
		missing = append(missing, "Authorization header requires 'Credential' parameter.")
	}
	if !haveSig || sig == "" {
		missing = append(missing, "Authorization header requires 'Signature' parameter.")
	}
	if !haveSigned || signed == "" {
		missing = append(missing, "Authorization header requires 'SignedHeaders' parameter.")
	}
	if len(missing) > 0 {
		return scope{}, nil, "", newError(KindMalformed, strings.Join(missing, " ")+" Authorization="+h)
	}
	sc, e := parseCredential(cred)
	if e != nil {
		return scope{}, nil, "", e
	}
	names, e := parseSignedHeaders(signed)
	if e != nil {
		return scope{}, nil, "", e
	}
	return sc, names, sig, nil
}

// ScopeService returns the service named in the request's credential scope,
// from the Authorization header or the X-Amz-Credential query parameter, or
// "" if there is none. It does not verify anything.
func ScopeService(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		_, _, _, svc, _, _, err := ParseAuthorization(h)
		if err != nil {
			return ""
		}
		return svc
	}
	for _, p := range parseQuery(r.URL.RawQuery) {
		if p.key == "X-Amz-Credential" {
			parts := strings.Split(p.value, "/")
			if len(parts) == 5 {
				return parts[3]
			}
			return ""
		}
	}
	return ""
}

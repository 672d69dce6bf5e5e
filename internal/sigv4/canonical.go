package sigv4

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// queryParam is one decoded name=value pair of the request's query string.
type queryParam struct{ key, value string }

// parseQuery splits a raw query on '&' and decodes each name and value
// ('+' is a space). A component that is not valid percent-encoding is kept
// as sent, which will then fail signature verification rather than the
// parse. Order and duplicates are preserved.
func parseQuery(raw string) []queryParam {
	if raw == "" {
		return nil
	}
	out := make([]queryParam, 0, strings.Count(raw, "&")+1)
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		out = append(out, queryParam{key: unescapeQuery(k), value: unescapeQuery(v)})
	}
	return out
}

func unescapeQuery(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	u, err := url.QueryUnescape(s)
	if err != nil {
		return s
	}
	return u
}

const upperHex = "0123456789ABCDEF"

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

// uriEncode appends s to b, percent-encoding (upper-case hex) every byte
// outside the RFC 3986 unreserved set, and '/' too unless keepSlash.
func uriEncode(b []byte, s string, keepSlash bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) || (keepSlash && c == '/') {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return b
}

// canonicalQuery returns the SigV4 canonical query string: every name and
// value URI-encoded, then sorted by encoded name and encoded value (AWS
// sorts after encoding), X-Amz-Signature left out when presigned.
func canonicalQuery(params []queryParam, presigned bool) string {
	if len(params) == 0 {
		return ""
	}
	type pair struct{ k, v string }
	pairs := make([]pair, 0, len(params))
	var scratch []byte
	for _, p := range params {
		if presigned && p.key == "X-Amz-Signature" {
			continue
		}
		scratch = uriEncode(scratch[:0], p.key, false)
		k := string(scratch)
		scratch = uriEncode(scratch[:0], p.value, false)
		pairs = append(pairs, pair{k, string(scratch)})
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	n := 0
	for _, p := range pairs {
		n += len(p.k) + len(p.v) + 2
	}
	out := make([]byte, 0, n)
	for i, p := range pairs {
		if i > 0 {
			out = append(out, '&')
		}
		out = append(out, p.k...)
		out = append(out, '=')
		out = append(out, p.v...)
	}
	return string(out)
}

// canonicalURI encodes the already-escaped request path once more (non-S3
// services double-encode). With normalize it first removes "." and ".."
// segments and empty segments, which is what botocore signs for non-S3
// services; the AWS Go SDK signs the path as sent.
func canonicalURI(b []byte, r *http.Request, normalize bool) []byte {
	p := r.URL.EscapedPath()
	if normalize {
		p = removeDotSegments(p)
	}
	if p == "" {
		p = "/"
	}
	return uriEncode(b, p, true)
}

// removeDotSegments mirrors botocore.utils.remove_dot_segments: RFC 3986
// section 5.2.4 plus collapsing consecutive slashes.
func removeDotSegments(p string) string {
	if p == "" {
		return ""
	}
	var out []string
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	first, last := "", ""
	if p[0] == '/' {
		first = "/"
	}
	if p[len(p)-1] == '/' && len(out) > 0 {
		last = "/"
	}
	return first + strings.Join(out, "/") + last
}

// headerValues returns the values of a signed header as the server sees
// them. host and content-length are not in r.Header on the server side (or
// may not be), so they come from the request fields.
func headerValues(r *http.Request, name string) []string {
	switch name {
	case "host":
		h := r.Host
		if h == "" {
			h = r.URL.Host
		}
		return []string{h}
	case "content-length":
		if vs := r.Header.Values("Content-Length"); len(vs) > 0 {
			return vs
		}
		if r.ContentLength >= 0 {
			return []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		return nil
	}
	if vs := r.Header.Values(name); len(vs) > 0 {
		return vs
	}
	// Names Go does not canonicalize (e.g. containing '_') are stored as
	// received; find them case-insensitively.
	for k, vs := range r.Header {
		if strings.EqualFold(k, name) {
			return vs
		}
	}
	if name == "transfer-encoding" && len(r.TransferEncoding) > 0 {
		return []string{strings.Join(r.TransferEncoding, ",")}
	}
	return nil
}

// appendTrimmed appends v with surrounding whitespace removed and runs of
// spaces collapsed to one (the SigV4 "Trimall"). With allWS every run of
// whitespace (tabs included) becomes one space, as botocore does.
func appendTrimmed(b []byte, v string, allWS bool) []byte {
	v = strings.TrimSpace(v)
	if allWS {
		for i, f := range strings.Fields(v) {
			if i > 0 {
				b = append(b, ' ')
			}
			b = append(b, f...)
		}
		return b
	}
	if !strings.Contains(v, "  ") {
		return append(b, v...)
	}
	prevSpace := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if prevSpace {
				continue
			}
			prevSpace = true
		} else {
			prevSpace = false
		}
		b = append(b, c)
	}
	return b
}

// canonicalPrefix builds the canonical request up to and including the
// newline before the payload hash:
//
//	METHOD \n URI \n QUERY \n name:value\n... \n signed;headers \n
func canonicalPrefix(r *http.Request, query string, names []string, alt bool) []byte {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	b := make([]byte, 0, 512+len(query))
	b = append(b, method...)
	b = append(b, '\n')
	b = canonicalURI(b, r, alt)
	b = append(b, '\n')
	b = append(b, query...)
	b = append(b, '\n')
	for _, n := range names {
		b = append(b, n...)
		b = append(b, ':')
		for i, v := range headerValues(r, n) {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendTrimmed(b, v, alt)
		}
		b = append(b, '\n')
	}
	b = append(b, '\n')
	for i, n := range names {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, n...)
	}
	b = append(b, '\n')
	return b
}

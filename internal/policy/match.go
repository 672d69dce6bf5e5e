package policy

import (
	"strings"
	"unicode/utf8"
)

// tokKind is the kind of one element of a compiled wildcard pattern.
type tokKind uint8

const (
	tokLit  tokKind = iota // literal text
	tokStar                // '*': any run of characters, including none
	tokOne                 // '?': exactly one character
	tokVar                 // policy variable ${key} resolved at evaluation time
)

type token struct {
	kind   tokKind
	text   string // literal text, or the lower-cased context key of a variable
	def    string // default value of ${key, 'default'}
	hasDef bool
}

// pattern is a precompiled glob with optional policy variables.
type pattern struct {
	raw  string
	toks []token
	all  bool   // the pattern is "*": matches everything
	lit  bool   // no wildcards and no variables: compare against text
	text string // literal text when lit
	vars bool   // contains at least one variable token
	fold bool   // case-insensitive (literals pre-lower-cased)
}

// compilePattern compiles raw. wild enables '*'/'?' wildcards (otherwise they
// are literal), vars enables ${...} policy variables, fold makes matching
// case-insensitive.
func compilePattern(raw string, wild, vars, fold bool) pattern {
	p := pattern{raw: raw, fold: fold}
	var lit strings.Builder
	flush := func() {
		if lit.Len() == 0 {
			return
		}
		s := lit.String()
		if fold {
			s = strings.ToLower(s)
		}
		p.toks = append(p.toks, token{kind: tokLit, text: s})
		lit.Reset()
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case wild && c == '*':
			flush()
			if n := len(p.toks); n == 0 || p.toks[n-1].kind != tokStar { // "**" == "*"
				p.toks = append(p.toks, token{kind: tokStar})
			}
			i++
			continue
		case wild && c == '?':
			flush()
			p.toks = append(p.toks, token{kind: tokOne})
			i++
			continue
		case vars && c == '$' && i+1 < len(raw) && raw[i+1] == '{':
			end := strings.IndexByte(raw[i+2:], '}')
			if end >= 0 {
				inner := raw[i+2 : i+2+end]
				if t, ok := parseVariable(inner); ok {
					if t.kind == tokLit {
						lit.WriteString(t.text) // ${*} ${?} ${$} escapes
					} else {
						flush()
						p.toks = append(p.toks, t)
						p.vars = true
					}
					i += 2 + end + 1
					continue
				}
			}
		}
		lit.WriteByte(c)
		i++
	}
	flush()
	switch {
	case len(p.toks) == 1 && p.toks[0].kind == tokStar:
		p.all = true
	case len(p.toks) == 0:
		p.lit = true
	case len(p.toks) == 1 && p.toks[0].kind == tokLit:
		p.lit, p.text = true, p.toks[0].text
	}
	return p
}

// parseVariable parses the inside of ${...}.
func parseVariable(inner string) (token, bool) {
	switch inner {
	case "*", "?", "$":
		return token{kind: tokLit, text: inner}, true
	}
	key, def, hasDef := inner, "", false
	if i := strings.IndexByte(inner, ','); i >= 0 {
		key = inner[:i]
		d := strings.TrimSpace(inner[i+1:])
		if len(d) < 2 || d[0] != '\'' || d[len(d)-1] != '\'' {
			return token{}, false
		}
		def, hasDef = d[1:len(d)-1], true
	}
	key = strings.TrimSpace(key)
	if key == "" || strings.ContainsAny(key, " \t\r\n{}$") {
		return token{}, false
	}
	return token{kind: tokVar, text: strings.ToLower(key), def: def, hasDef: hasDef}, true
}

// resolvable reports whether every variable of p can be resolved in ec.
func (p *pattern) resolvable(ec *evalCtx) bool {
	if !p.vars {
		return true
	}
	for i := range p.toks {
		if p.toks[i].kind == tokVar {
			if _, ok := ec.resolveVar(&p.toks[i]); !ok {
				return false
			}
		}
	}
	return true
}

// match reports whether s matches p. A pattern with an unresolvable variable
// never matches.
func (p *pattern) match(s string, ec *evalCtx) bool {
	switch {
	case p.all:
		return true
	case p.lit:
		if p.fold {
			return strings.EqualFold(s, p.text)
		}
		return s == p.text
	}
	if p.vars && !p.resolvable(ec) {
		return false
	}
	return globTokens(p.toks, s, p.fold, ec)
}

func hasPrefix(s, prefix string, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	if fold {
		return strings.EqualFold(s[:len(prefix)], prefix)
	}
	return s[:len(prefix)] == prefix
}

func runeLen(s string) int {
	if s[0] < utf8.RuneSelf {
		return 1
	}
	_, n := utf8.DecodeRuneInString(s)
	return n
}

// globTokens is the classic linear-backtracking wildcard matcher operating on
// precompiled tokens. Only the most recent '*' needs to be retried because all
// stars match the same character class.
func globTokens(toks []token, s string, fold bool, ec *evalCtx) bool {
	ti, si := 0, 0
	starT, starS := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tokStar:
				if ti == len(toks)-1 {
					return true // trailing star swallows the rest
				}
				starT, starS = ti, si
				ti++
				continue
			case tokOne:
				if si < len(s) {
					si += runeLen(s[si:])
					ti++
					continue
				}
			default:
				lit := t.text
				if t.kind == tokVar {
					lit, _ = ec.resolveVar(t)
				}
				if hasPrefix(s[si:], lit, fold) {
					si += len(lit)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starT < 0 || starS >= len(s) {
			return false
		}
		starS += runeLen(s[starS:])
		si, ti = starS, starT+1
	}
}

// arnPattern matches ARNs segment by segment like AWS: the first five
// colon-separated parts (arn, partition, service, region, account) are matched
// individually, so a wildcard cannot span a colon there; the last pattern
// segment is matched against the whole remainder (the resource part, which
// may itself contain colons and slashes). A pattern with fewer than six
// segments therefore lets its last segment (e.g. "arn:aws:sns:*") cover the
// rest of the ARN, which is the AWS rule that a trailing '*' expands past
// colon boundaries. Matching is case-sensitive.
type arnPattern struct {
	raw  string
	all  bool
	lit  bool
	text string
	vars bool
	segs []pattern
}

func compileARN(raw string, vars bool) arnPattern {
	whole := compilePattern(raw, true, vars, false)
	ap := arnPattern{raw: raw, all: whole.all, lit: whole.lit, text: whole.text, vars: whole.vars}
	if ap.all || ap.lit {
		return ap
	}
	start := 0
	for i := 0; i < len(raw) && len(ap.segs) < 5; i++ {
		switch raw[i] {
		case '$':
			if vars && i+1 < len(raw) && raw[i+1] == '{' {
				if end := strings.IndexByte(raw[i+2:], '}'); end >= 0 {
					i += 2 + end
				}
			}
		case ':':
			ap.segs = append(ap.segs, compilePattern(raw[start:i], true, vars, false))
			start = i + 1
		}
	}
	ap.segs = append(ap.segs, compilePattern(raw[start:], true, vars, false))
	return ap
}

func (ap *arnPattern) resolvable(ec *evalCtx) bool {
	if !ap.vars {
		return true
	}
	for i := range ap.segs {
		if !ap.segs[i].resolvable(ec) {
			return false
		}
	}
	return true
}

func (ap *arnPattern) match(v string, ec *evalCtx) bool {
	switch {
	case ap.all:
		return true
	case ap.lit:
		return v == ap.text
	}
	if ap.vars && !ap.resolvable(ec) {
		return false
	}
	rest := v
	n := len(ap.segs)
	for i := 0; i < n-1; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return false
		}
		if !ap.segs[i].match(rest[:j], ec) {
			return false
		}
		rest = rest[j+1:]
	}
	return ap.segs[n-1].match(rest, ec)
}

// splitARN splits an ARN into its parts without allocating.
func splitARN(s string) (partition, service, region, account, resource string, ok bool) {
	if !strings.HasPrefix(s, "arn:") {
		return
	}
	rest := s[4:]
	var f [4]string
	for i := range f {
		j := strings.IndexByte(rest, ':')
		if j < 0 {
			return
		}
		f[i], rest = rest[:j], rest[j+1:]
	}
	return f[0], f[1], f[2], f[3], rest, true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

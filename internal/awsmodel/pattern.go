package awsmodel

import (
	"errors"
	"regexp"
	"strings"
)

// patternCheck is a model pattern compiled for Go. The whole value must match
// re (AWS anchors model patterns at both ends). Patterns written with leading
// look-aheads or trailing look-behinds, which RE2 lacks, are split into extra
// checks on the value's prefix or suffix.
type patternCheck struct {
	re      *regexp.Regexp
	extra   []lookCheck
	pattern string // as written in the model, for messages
}

type lookCheck struct {
	re     *regexp.Regexp // anchored at the start (look-ahead) or end (look-behind)
	negate bool           // (?!...) / (?<!...)
}

func (p *patternCheck) match(s string) bool {
	for i := range p.extra {
		if p.extra[i].re.MatchString(s) == p.extra[i].negate {
			return false
		}
	}
	return p.re.MatchString(s)
}

// compilePattern compiles a model pattern. emulated reports that look-arounds
// were turned into extra checks; an error means the pattern cannot be
// enforced with Go's regexp.
func compilePattern(pat string) (pc *patternCheck, emulated bool, err error) {
	src := translateJavaEscapes(pat)
	if re, err := regexp.Compile(`^(?:` + src + `)$`); err == nil {
		return &patternCheck{re: re, pattern: pat}, false, nil
	} else if !strings.Contains(src, "(?=") && !strings.Contains(src, "(?!") &&
		!strings.Contains(src, "(?<=") && !strings.Contains(src, "(?<!") {
		return nil, false, err
	}
	pc, err = splitLookarounds(src)
	if err != nil {
		return nil, false, err
	}
	pc.pattern = pat
	return pc, true, nil
}

// translateJavaEscapes rewrites the Java escape \uXXXX (exactly four hex
// digits, as in Java) into RE2's \x{XXXX}. Other escapes are kept.
func translateJavaEscapes(p string) string {
	if !strings.Contains(p, `\u`) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c != '\\' || i+1 >= len(p) {
			b.WriteByte(c)
			continue
		}
		if p[i+1] == 'u' && i+6 <= len(p) && isHex4(p[i+2:i+6]) {
			b.WriteString(`\x{`)
			b.WriteString(p[i+2 : i+6])
			b.WriteByte('}')
			i += 5
			continue
		}
		b.WriteByte(c)
		b.WriteByte(p[i+1])
		i++
	}
	return b.String()
}

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

var errLookaround = errors.New("look-around in a position that cannot be emulated")

// splitLookarounds handles patterns of the form
//
//	[^] (?=A)|(?!A) ... [^] BODY (?<=B)|(?<!B) ... [$]
//
// where the look-arounds stand at the very start or very end, and BODY has
// none. For a whole-value match, a leading look-ahead tests a prefix of the
// value and a trailing look-behind a suffix.
func splitLookarounds(p string) (*patternCheck, error) {
	pc := &patternCheck{}
	rest := p
	// Leading part: any mix of ^ and look-aheads.
	for {
		if strings.HasPrefix(rest, "^") {
			rest = rest[1:]
			continue
		}
		neg := strings.HasPrefix(rest, "(?!")
		if !neg && !strings.HasPrefix(rest, "(?=") {
			break
		}
		end := groupEnd(rest)
		if end < 0 {
			return nil, errLookaround
		}
		re, err := regexp.Compile(`^(?:` + rest[3:end] + `)`)
		if err != nil {
			return nil, err
		}
		pc.extra = append(pc.extra, lookCheck{re: re, negate: neg})
		rest = rest[end+1:]
	}
	// Trailing part: any mix of $ and look-behinds, peeled from the end.
	for {
		if strings.HasSuffix(rest, "$") && !strings.HasSuffix(rest, `\$`) {
			rest = rest[:len(rest)-1]
			continue
		}
		if !strings.HasSuffix(rest, ")") {
			break
		}
		start := groupStart(rest)
		if start < 0 {
			break
		}
		g := rest[start:]
		neg := strings.HasPrefix(g, "(?<!")
		if !neg && !strings.HasPrefix(g, "(?<=") {
			break
		}
		re, err := regexp.Compile(`(?:` + g[4:len(g)-1] + `)$`)
		if err != nil {
			return nil, err
		}
		pc.extra = append(pc.extra, lookCheck{re: re, negate: neg})
		rest = rest[:start]
	}
	if len(pc.extra) == 0 {
		return nil, errLookaround
	}
	re, err := regexp.Compile(`^(?:` + rest + `)$`)
	if err != nil {
		return nil, err
	}
	pc.re = re
	return pc, nil
}

// groupEnd returns the index of the ')' closing the group that opens at
// p[0], skipping escapes and character classes; -1 if unbalanced.
func groupEnd(p string) int {
	depth := 0
	inClass := false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			if i+1 < len(p) && p[i+1] == '^' {
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' { // literal ] first in class
				i++
			}
		case c == '(':
			depth++
		case c == ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// groupStart returns the index of the '(' opening the group that closes at
// the last byte of p; -1 if none is found.
func groupStart(p string) int {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] != '(' {
			continue
		}
		if i > 0 && p[i-1] == '\\' {
			continue
		}
		if groupEnd(p[i:]) == len(p)-1-i {
			return i
		}
	}
	return -1
}

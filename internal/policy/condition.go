package policy

import (
	"bytes"
	"encoding/base64"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

type opBase uint8

const (
	opStringEquals opBase = iota + 1
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opArnEquals
	opArnLike
	opNull
)

type opInfo struct {
	base opBase
	neg  bool
}

// operators maps lower-cased operator names (without IfExists and set
// qualifiers) to their base operator.
var operators = map[string]opInfo{
	"stringequals":              {opStringEquals, false},
	"stringnotequals":           {opStringEquals, true},
	"stringequalsignorecase":    {opStringEqualsIgnoreCase, false},
	"stringnotequalsignorecase": {opStringEqualsIgnoreCase, true},
	"stringlike":                {opStringLike, false},
	"stringnotlike":             {opStringLike, true},
	"numericequals":             {opNumericEquals, false},
	"numericnotequals":          {opNumericEquals, true},
	"numericlessthan":           {opNumericLessThan, false},
	"numericlessthanequals":     {opNumericLessThanEquals, false},
	"numericgreaterthan":        {opNumericGreaterThan, false},
	"numericgreaterthanequals":  {opNumericGreaterThanEquals, false},
	"dateequals":                {opDateEquals, false},
	"datenotequals":             {opDateEquals, true},
	"datelessthan":              {opDateLessThan, false},
	"datelessthanequals":        {opDateLessThanEquals, false},
	"dategreaterthan":           {opDateGreaterThan, false},
	"dategreaterthanequals":     {opDateGreaterThanEquals, false},
	"bool":                      {opBool, false},
	"binaryequals":              {opBinaryEquals, false},
	"ipaddress":                 {opIPAddress, false},
	"notipaddress":              {opIPAddress, true},
	"arnequals":                 {opArnEquals, false},
	"arnnotequals":              {opArnEquals, true},
	"arnlike":                   {opArnLike, false},
	"arnnotlike":                {opArnLike, true},
	"null":                      {opNull, false},
}

type setQual uint8

const (
	setNone setQual = iota
	setAnyValue
	setAllValues
)

// parseOperator splits "ForAnyValue:StringNotEqualsIfExists" into its parts.
func parseOperator(name string) (info opInfo, set setQual, ifExists bool, ok bool) {
	l := strings.ToLower(name)
	switch {
	case strings.HasPrefix(l, "foranyvalue:"):
		set, l = setAnyValue, l[len("foranyvalue:"):]
	case strings.HasPrefix(l, "forallvalues:"):
		set, l = setAllValues, l[len("forallvalues:"):]
	}
	if strings.HasSuffix(l, "ifexists") {
		ifExists, l = true, l[:len(l)-len("ifexists")]
	}
	info, ok = operators[l]
	if ok && info.base == opNull && (ifExists || set != setNone) {
		ok = false
	}
	return info, set, ifExists, ok
}

// cval is one precompiled policy value of a condition.
type cval struct {
	raw string
	pat pattern    // String* operators
	arn arnPattern // Arn* operators
	num float64
	t   time.Time
	pfx netip.Prefix
	bin []byte
	ok  bool // the value is valid for the operator (numbers, dates, CIDRs, base64, Null)
}

type condition struct {
	op       string // as written in the policy
	base     opBase
	neg      bool
	ifExists bool
	set      setQual
	key      string // as written
	lkey     string // lower-cased
	values   []string
	cv       []cval
}

func compileCondition(op string, info opInfo, set setQual, ifExists bool, key string, values []string, vars bool) condition {
	c := condition{op: op, base: info.base, neg: info.neg, ifExists: ifExists, set: set,
		key: key, lkey: strings.ToLower(key), values: values, cv: make([]cval, len(values))}
	for i, v := range values {
		cv := &c.cv[i]
		cv.raw, cv.ok = v, true
		switch c.base {
		case opStringEquals:
			cv.pat = compilePattern(v, false, vars, false)
		case opStringEqualsIgnoreCase:
			cv.pat = compilePattern(v, false, vars, true)
		case opStringLike:
			cv.pat = compilePattern(v, true, vars, false)
		case opArnEquals, opArnLike:
			cv.arn = compileARN(v, vars)
		case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
			cv.num, cv.ok = parseNumber(v)
		case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
			cv.t, cv.ok = parseDate(v)
		case opBool:
			cv.ok = strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
		case opBinaryEquals:
			b, err := base64.StdEncoding.DecodeString(v)
			cv.bin, cv.ok = b, err == nil
		case opIPAddress:
			cv.pfx, cv.ok = parseCIDR(v)
		case opNull:
			cv.ok = strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
		}
	}
	return c
}

func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

func parseCIDR(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') < 0 {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), true
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), true
}

var dateLayouts = []string{
	time.RFC3339, // also accepts fractional seconds
	"2006-01-02T15:04:05",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
	"20060102T150405Z0700",
	"20060102T150405Z",
	"2006-01-02 15:04:05",
	"20060102",
}

// parseDate accepts ISO 8601 dates/times (timezone-less values are UTC) and
// epoch seconds (optionally fractional).
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if epoch := looksNumeric(s); epoch {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return time.Time{}, false
		}
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC(), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func looksNumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && c != '.' && !(i == 0 && c == '-') {
			return false
		}
	}
	return len(s) != 8 // 20060102 is an ISO basic date, not an epoch
}

// posMatch reports whether the request value v satisfies the positive form
// of the operator against any of the policy values (values are ORed).
func (c *condition) posMatch(v string, ec *evalCtx) bool {
	switch c.base {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike:
		for i := range c.cv {
			if c.cv[i].pat.match(v, ec) {
				return true
			}
		}
	case opArnEquals, opArnLike:
		for i := range c.cv {
			if c.cv[i].arn.match(v, ec) {
				return true
			}
		}
	case opBool:
		for i := range c.cv {
			if c.cv[i].ok && strings.EqualFold(v, c.cv[i].raw) {
				return true
			}
		}
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		for i := range c.cv {
			cv := &c.cv[i]
			if !cv.ok {
				continue
			}
			var m bool
			switch c.base {
			case opNumericEquals:
				m = f == cv.num
			case opNumericLessThan:
				m = f < cv.num
			case opNumericLessThanEquals:
				m = f <= cv.num
			case opNumericGreaterThan:
				m = f > cv.num
			case opNumericGreaterThanEquals:
				m = f >= cv.num
			}
			if m {
				return true
			}
		}
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for i := range c.cv {
			cv := &c.cv[i]
			if !cv.ok {
				continue
			}
			var m bool
			switch c.base {
			case opDateEquals:
				m = t.Equal(cv.t)
			case opDateLessThan:
				m = t.Before(cv.t)
			case opDateLessThanEquals:
				m = !t.After(cv.t)
			case opDateGreaterThan:
				m = t.After(cv.t)
			case opDateGreaterThanEquals:
				m = !t.Before(cv.t)
			}
			if m {
				return true
			}
		}
	case opBinaryEquals:
		for i := range c.cv {
			cv := &c.cv[i]
			if !cv.ok {
				continue
			}
			if v == cv.raw {
				return true
			}
			if n := base64.StdEncoding.DecodedLen(len(v)); n <= 1024 {
				var buf [1024]byte
				if m, err := base64.StdEncoding.Decode(buf[:n], []byte(v)); err == nil && bytes.Equal(buf[:m], cv.bin) {
					return true
				}
			}
		}
	case opIPAddress:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap()
		for i := range c.cv {
			if c.cv[i].ok && c.cv[i].pfx.Contains(a) {
				return true
			}
		}
	}
	return false
}

// pred is the per-request-value predicate: the positive match, or its
// complement for negated operators ("matches none of the policy values").
func (c *condition) pred(v string, ec *evalCtx) bool {
	return c.posMatch(v, ec) != c.neg
}

// eval evaluates the condition against the request context.
func (c *condition) eval(ec *evalCtx) bool {
	vs := ec.lookup(c.lkey)
	n := vs.n()
	if c.base == opNull {
		absent := n == 0
		for i := range c.cv {
			if c.cv[i].ok && strings.EqualFold(c.cv[i].raw, "true") == absent {
				return true
			}
		}
		return false
	}
	if n == 0 {
		switch c.set {
		case setAllValues:
			return true // vacuously true, as in AWS
		case setAnyValue:
			return c.ifExists
		}
		// Negated operators are true for a missing single-valued key.
		return c.neg || c.ifExists
	}
	all := c.set == setAllValues || (c.set == setNone && c.neg)
	for i := 0; i < n; i++ {
		m := c.pred(vs.at(i), ec)
		if all && !m {
			return false
		}
		if !all && m {
			return true
		}
	}
	return all
}

// unresolvedVars lists the policy variables of this condition that cannot be
// resolved in ec (for explanations).
func (c *condition) unresolvedVars(ec *evalCtx) []string {
	var out []string
	check := func(p *pattern) {
		for i := range p.toks {
			t := &p.toks[i]
			if t.kind == tokVar {
				if _, ok := ec.resolveVar(t); !ok {
					out = append(out, "${"+t.text+"}")
				}
			}
		}
	}
	for i := range c.cv {
		check(&c.cv[i].pat)
		for j := range c.cv[i].arn.segs {
			check(&c.cv[i].arn.segs[j])
		}
	}
	return out
}

package sns

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
	"strings"
)

// The SNS subscription filter policy language.
//
// A policy is a JSON object. Each key names a message attribute
// (FilterPolicyScope MessageAttributes) or a property of the JSON message
// body (MessageBody, where keys nest as objects); its value is an array of
// conditions, any of which may match (OR). All keys must match (AND). A
// "$or" key holds an array of alternative policies, any of which must match.
// Conditions: a string (exact), a number (numeric equality), true/false and
// null (MessageBody), {"prefix":s}, {"suffix":s}, {"equals-ignore-case":s},
// {"anything-but": value | [values] | {"prefix":s} | {"suffix":s}},
// {"numeric":[op, n, op, n]} with op in = < <= > >=, {"exists":bool} and
// {"cidr":"10.0.0.0/24"}. Attribute values of type String.Array match when
// any element matches; Number attributes match numerically; Binary
// attributes only match exists.

const (
	ScopeAttributes = "MessageAttributes"
	ScopeBody       = "MessageBody"
	maxFilterSize   = 256 * 1024
	maxCombinations = 150
)

type condKind uint8

const (
	condString condKind = iota
	condNumber
	condBool
	condNull
	condPrefix
	condSuffix
	condIgnoreCase
	condAnythingBut
	condNumeric
	condExists
	condCIDR
)

type numOp struct {
	op string
	v  float64
}

type cond struct {
	kind   condKind
	s      string
	f      float64
	b      bool
	nums   []numOp
	inner  []cond // anything-but
	prefix netip.Prefix
}

type fnode struct {
	keys []fkey
	ors  [][]*fnode // each "$or" is a list of alternatives
}

type fkey struct {
	name  string
	conds []cond // leaf
	child *fnode // nested object (MessageBody)
}

// filterPolicy is a compiled filter policy.
type filterPolicy struct {
	scope string
	root  *fnode
}

// filterError is a filter policy syntax error.
type filterError struct{ msg string }

func (e *filterError) Error() string { return e.msg }

func ferr(format string, args ...any) error { return &filterError{fmt.Sprintf(format, args...)} }

// compileFilter parses and validates a filter policy for scope.
func compileFilter(doc, scope string) (*filterPolicy, error) {
	if len(doc) > maxFilterSize {
		return nil, ferr("Filter policy is too large")
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, ferr("failed to parse JSON. %v", err)
	}
	if dec.More() {
		return nil, ferr("failed to parse JSON. trailing data")
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, ferr("Filter policy must be a JSON object")
	}
	root, err := compileNode(obj, scope, 0)
	if err != nil {
		return nil, err
	}
	if n := root.combinations(); n > maxCombinations {
		return nil, ferr("Filter policy is too complex: %d combinations, at most %d allowed", n, maxCombinations)
	}
	return &filterPolicy{scope: scope, root: root}, nil
}

func compileNode(obj map[string]any, scope string, depth int) (*fnode, error) {
	if depth > 5 {
		return nil, ferr("Filter policy nesting is deeper than 5 levels")
	}
	if len(obj) == 0 {
		return nil, ferr("Empty filter policy object")
	}
	n := &fnode{}
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		if k == "$or" {
			alts, ok := v.([]any)
			if !ok || len(alts) < 2 {
				return nil, ferr("$or must be an array of at least two filter policies")
			}
			var or []*fnode
			for _, a := range alts {
				ao, ok := a.(map[string]any)
				if !ok {
					return nil, ferr("$or must be an array of objects")
				}
				c, err := compileNode(ao, scope, depth+1)
				if err != nil {
					return nil, err
				}
				or = append(or, c)
			}
			n.ors = append(n.ors, or)
			continue
		}
		switch x := v.(type) {
		case []any:
			if len(x) == 0 {
				return nil, ferr("Empty arrays are not allowed (key %s)", k)
			}
			conds := make([]cond, 0, len(x))
			for _, e := range x {
				c, err := compileCond(e, scope)
				if err != nil {
					return nil, err
				}
				conds = append(conds, c)
			}
			n.keys = append(n.keys, fkey{name: k, conds: conds})
		case map[string]any:
			if scope != ScopeBody {
				return nil, ferr("Filter policy scope MessageAttributes does not support nested filter policy")
			}
			c, err := compileNode(x, scope, depth+1)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, fkey{name: k, child: c})
		default:
			return nil, ferr("Match value for %s must be an array", k)
		}
	}
	return n, nil
}

func sortedKeys(m map[string]any) []string {
	return slices.Sorted(maps.Keys(m))
}

const numLimit = 1e9

func number(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func compileCond(v any, scope string) (cond, error) {
	switch x := v.(type) {
	case string:
		return cond{kind: condString, s: x}, nil
	case json.Number:
		f, ok := number(x)
		if !ok || f < -numLimit || f > numLimit {
			return cond{}, ferr("Numeric values must be between -1.0E9 and 1.0E9")
		}
		return cond{kind: condNumber, f: f}, nil
	case bool:
		return cond{kind: condBool, b: x}, nil
	case nil:
		return cond{kind: condNull}, nil
	case map[string]any:
		if len(x) != 1 {
			return cond{}, ferr("Only one key allowed in match expression")
		}
		for op, arg := range x {
			return compileOp(op, arg, scope)
		}
	}
	return cond{}, ferr("Match value must be String, number, true, false, or null")
}

func compileOp(op string, arg any, scope string) (cond, error) {
	str := func() (string, error) {
		s, ok := arg.(string)
		if !ok {
			return "", ferr("Value of %s must be a string", op)
		}
		return s, nil
	}
	switch op {
	case "prefix", "suffix", "equals-ignore-case":
		s, err := str()
		if err != nil {
			return cond{}, err
		}
		if s == "" && op != "equals-ignore-case" {
			return cond{}, ferr("Null or empty %s value not allowed", op)
		}
		k := map[string]condKind{"prefix": condPrefix, "suffix": condSuffix, "equals-ignore-case": condIgnoreCase}[op]
		return cond{kind: k, s: s}, nil
	case "exists":
		b, ok := arg.(bool)
		if !ok {
			return cond{}, ferr("exists match pattern must be either true or false.")
		}
		return cond{kind: condExists, b: b}, nil
	case "cidr":
		s, err := str()
		if err != nil {
			return cond{}, err
		}
		p, perr := netip.ParsePrefix(s)
		if perr != nil {
			return cond{}, ferr("Malformed CIDR, one '/' required")
		}
		return cond{kind: condCIDR, prefix: p.Masked()}, nil
	case "numeric":
		list, ok := arg.([]any)
		if !ok || len(list) == 0 || len(list)%2 != 0 || len(list) > 4 {
			return cond{}, ferr("Value of numeric must be an array of operator and value pairs")
		}
		c := cond{kind: condNumeric}
		for i := 0; i < len(list); i += 2 {
			o, ok := list[i].(string)
			if !ok {
				return cond{}, ferr("Unrecognized numeric range operator: %v", list[i])
			}
			f, ok := number(list[i+1])
			if !ok {
				return cond{}, ferr("Value of %s must be numeric", o)
			}
			if f < -numLimit || f > numLimit {
				return cond{}, ferr("Numeric values must be between -1.0E9 and 1.0E9")
			}
			switch o {
			case "=", "<", "<=", ">", ">=":
			default:
				return cond{}, ferr("Unrecognized numeric range operator: %s", o)
			}
			c.nums = append(c.nums, numOp{o, f})
		}
		if len(c.nums) == 2 {
			lo, hi := c.nums[0], c.nums[1]
			if !(lo.op == ">" || lo.op == ">=") || !(hi.op == "<" || hi.op == "<=") {
				return cond{}, ferr("Bad numeric range operator: a range is a lower bound (> or >=) then an upper bound (< or <=)")
			}
			if lo.v >= hi.v {
				return cond{}, ferr("Bottom must be less than top")
			}
		} else if len(c.nums) == 1 && c.nums[0].op == "=" {
			c = cond{kind: condNumber, f: c.nums[0].v}
		}
		return c, nil
	case "anything-but":
		c := cond{kind: condAnythingBut}
		switch a := arg.(type) {
		case []any:
			if len(a) == 0 {
				return cond{}, ferr("Empty arrays are not allowed in anything-but")
			}
			for _, e := range a {
				switch e.(type) {
				case string, json.Number:
					in, err := compileCond(e, scope)
					if err != nil {
						return cond{}, err
					}
					c.inner = append(c.inner, in)
				default:
					return cond{}, ferr("Inside anything but list, start|null|boolean is not supported.")
				}
			}
		case string, json.Number:
			in, err := compileCond(a, scope)
			if err != nil {
				return cond{}, err
			}
			c.inner = []cond{in}
		case map[string]any:
			if len(a) != 1 {
				return cond{}, ferr("Only one key allowed in match expression")
			}
			for k, v := range a {
				if k != "prefix" && k != "suffix" {
					return cond{}, ferr("Unsupported anything-but pattern: %s", k)
				}
				in, err := compileOp(k, v, scope)
				if err != nil {
					return cond{}, err
				}
				c.inner = []cond{in}
			}
		default:
			return cond{}, ferr("Value of anything-but must be an array or single string/number value.")
		}
		return c, nil
	}
	return cond{}, ferr("Unrecognized match type %s", op)
}

func (n *fnode) combinations() int {
	total := 1
	for _, k := range n.keys {
		c := len(k.conds)
		if k.child != nil {
			c = k.child.combinations()
		}
		total = satMul(total, c)
	}
	for _, or := range n.ors {
		sum := 0
		for _, a := range or {
			sum += a.combinations()
		}
		total = satMul(total, sum)
	}
	return total
}

func satMul(a, b int) int {
	if a > 1_000_000 || b > 1_000_000 {
		return 1_000_001
	}
	return a * b
}

// fval is one value a condition is matched against.
type fval struct {
	kind condKind // condString, condNumber, condBool, condNull; condExists = present but unmatchable (Binary)
	s    string
	f    float64
	b    bool
}

func roundNum(f float64) float64 { return math.Round(f*1e5) / 1e5 }

func (c *cond) match(v fval) bool {
	switch c.kind {
	case condString:
		return v.kind == condString && v.s == c.s
	case condNumber:
		return v.kind == condNumber && roundNum(v.f) == roundNum(c.f)
	case condBool:
		return v.kind == condBool && v.b == c.b
	case condNull:
		return v.kind == condNull
	case condPrefix:
		return v.kind == condString && strings.HasPrefix(v.s, c.s)
	case condSuffix:
		return v.kind == condString && strings.HasSuffix(v.s, c.s)
	case condIgnoreCase:
		return v.kind == condString && strings.EqualFold(v.s, c.s)
	case condAnythingBut:
		if v.kind != condString && v.kind != condNumber {
			return false
		}
		for i := range c.inner {
			if c.inner[i].match(v) {
				return false
			}
		}
		return true
	case condNumeric:
		if v.kind != condNumber {
			return false
		}
		x := roundNum(v.f)
		for _, o := range c.nums {
			y := roundNum(o.v)
			ok := false
			switch o.op {
			case "=":
				ok = x == y
			case "<":
				ok = x < y
			case "<=":
				ok = x <= y
			case ">":
				ok = x > y
			case ">=":
				ok = x >= y
			}
			if !ok {
				return false
			}
		}
		return true
	case condCIDR:
		if v.kind != condString {
			return false
		}
		ip, err := netip.ParseAddr(v.s)
		return err == nil && c.prefix.Contains(ip)
	}
	return false
}

// matchLeaf reports whether the values of a key (present or not) satisfy
// the key's conditions.
func matchLeaf(conds []cond, present bool, vals []fval) bool {
	for i := range conds {
		c := &conds[i]
		if c.kind == condExists {
			if c.b == present {
				return true
			}
			continue
		}
		if !present {
			continue
		}
		for _, v := range vals {
			if c.match(v) {
				return true
			}
		}
	}
	return false
}

// matchAttributes evaluates a MessageAttributes-scope policy.
func (n *fnode) matchAttributes(attrs map[string]MessageAttributeValue) bool {
	for _, k := range n.keys {
		a, present := attrs[k.name]
		var vals []fval
		if present {
			vals = attrValues(a)
		}
		if !matchLeaf(k.conds, present, vals) {
			return false
		}
	}
	for _, or := range n.ors {
		ok := false
		for _, alt := range or {
			if alt.matchAttributes(attrs) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func attrValues(a MessageAttributeValue) []fval {
	typ, _, _ := strings.Cut(a.DataType, ".")
	sv := ""
	if a.StringValue != nil {
		sv = *a.StringValue
	}
	switch {
	case a.DataType == "String.Array":
		var arr []any
		dec := json.NewDecoder(strings.NewReader(sv))
		dec.UseNumber()
		if dec.Decode(&arr) != nil {
			return nil
		}
		out := make([]fval, 0, len(arr))
		for _, e := range arr {
			out = append(out, jsonValue(e))
		}
		return out
	case typ == "Number":
		f, err := json.Number(strings.TrimSpace(sv)).Float64()
		if err != nil {
			return nil
		}
		return []fval{{kind: condNumber, f: f}}
	case typ == "String":
		return []fval{{kind: condString, s: sv}}
	}
	return []fval{{kind: condExists}} // Binary: present, matches nothing but exists
}

func jsonValue(e any) fval {
	switch x := e.(type) {
	case string:
		return fval{kind: condString, s: x}
	case json.Number:
		f, _ := x.Float64()
		return fval{kind: condNumber, f: f}
	case bool:
		return fval{kind: condBool, b: x}
	case nil:
		return fval{kind: condNull}
	}
	return fval{kind: condExists}
}

// matchBody evaluates a MessageBody-scope policy against a decoded JSON object.
func (n *fnode) matchBody(obj map[string]any) bool {
	for _, k := range n.keys {
		v, present := obj[k.name]
		if k.child != nil {
			if !present || !matchNested(k.child, v) {
				return false
			}
			continue
		}
		var vals []fval
		if present {
			if arr, ok := v.([]any); ok {
				for _, e := range arr {
					vals = append(vals, jsonValue(e))
				}
			} else {
				vals = []fval{jsonValue(v)}
			}
		}
		if !matchLeaf(k.conds, present, vals) {
			return false
		}
	}
	for _, or := range n.ors {
		ok := false
		for _, alt := range or {
			if alt.matchBody(obj) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func matchNested(n *fnode, v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return n.matchBody(x)
	case []any:
		for _, e := range x {
			if matchNested(n, e) {
				return true
			}
		}
	}
	return false
}

// match applies the policy to a message. body is decoded lazily, once.
func (p *filterPolicy) match(attrs map[string]MessageAttributeValue, body *bodyJSON) bool {
	if p == nil {
		return true
	}
	if p.scope == ScopeBody {
		obj, ok := body.object()
		return ok && p.root.matchBody(obj)
	}
	return p.root.matchAttributes(attrs)
}

// bodyJSON decodes a message body as a JSON object at most once.
type bodyJSON struct {
	raw  string
	done bool
	obj  map[string]any
	ok   bool
}

func (b *bodyJSON) object() (map[string]any, bool) {
	if !b.done {
		b.done = true
		dec := json.NewDecoder(bytes.NewReader([]byte(b.raw)))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil && !dec.More() {
			b.obj, b.ok = v.(map[string]any)
		}
	}
	return b.obj, b.ok
}

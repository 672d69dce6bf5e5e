package policy

import (
	"encoding/json"
	"errors"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Kind selects the validation rules of ParseKind.
type Kind uint8

const (
	// AnyPolicy is lenient: Principal and Resource are optional.
	AnyPolicy Kind = iota
	// IdentityPolicy: no Principal/NotPrincipal; Resource or NotResource
	// required; Sids must be alphanumeric.
	IdentityPolicy
	// ResourcePolicy (SNS topic policy, KMS key policy): Principal or
	// NotPrincipal required, Resource or NotResource required.
	ResourcePolicy
	// TrustPolicy (role trust policy): Principal or NotPrincipal required;
	// Resource/NotResource prohibited.
	TrustPolicy
)

func (k Kind) String() string {
	switch k {
	case IdentityPolicy:
		return "identity policy"
	case ResourcePolicy:
		return "resource policy"
	case TrustPolicy:
		return "trust policy"
	}
	return "policy"
}

// Policy versions.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Policy is a parsed, precompiled policy document. It is immutable and safe
// for concurrent use.
type Policy struct {
	Version    string // "" when absent
	ID         string
	Statements []Statement
	kind       Kind
}

// Kind returns the kind the policy was parsed as.
func (p *Policy) Kind() Kind { return p.kind }

// Statement is one compiled statement. Only Index, Sid and Effect are
// exported; everything else is precompiled for evaluation.
type Statement struct {
	Index  int
	Sid    string
	Effect Effect

	label       string // `statement "Sid"` or `statement #2`
	allowReason string
	denyReason  string

	principal    *principalSet
	notPrincipal bool

	actions    []pattern
	actionRaw  []string
	notAction  bool
	actionText string

	hasResource  bool
	resources    []arnPattern
	notResource  bool
	resourceText string

	conditions []condition
}

var statementFields = map[string]bool{
	"Sid": true, "Effect": true, "Principal": true, "NotPrincipal": true,
	"Action": true, "NotAction": true, "Resource": true, "NotResource": true,
	"Condition": true,
}

// Parse parses a policy document leniently (Kind AnyPolicy).
func Parse(doc string) (*Policy, error) { return ParseKind(doc, AnyPolicy) }

// ParseKind parses and validates a policy document for the given kind. All
// errors are *MalformedError. Size limits are the caller's business.
func ParseKind(doc string, kind Kind) (*Policy, error) {
	root, err := decodeJSON(doc)
	if err != nil {
		return nil, err
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, malformed(MsgSyntax, "the policy document must be a JSON object")
	}
	for _, k := range sortedKeys(obj) {
		switch k {
		case "Version", "Id", "Statement":
		default:
			return nil, malformed(MsgSyntax, "unknown field "+strconv.Quote(k))
		}
	}
	p := &Policy{kind: kind}
	if v, ok := obj["Version"]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, malformed(MsgSyntax, "Version must be a string")
		}
		if s != Version2012 && s != Version2008 {
			return nil, malformed(MsgLegacyParsing, "invalid Version "+strconv.Quote(s)+`, want "2012-10-17" or "2008-10-17"`)
		}
		p.Version = s
	}
	if v, ok := obj["Id"]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, malformed(MsgSyntax, "Id must be a string")
		}
		p.ID = s
	}
	sv, ok := obj["Statement"]
	if !ok {
		return nil, malformed(MsgMissingStatement, "")
	}
	var items []any
	switch t := sv.(type) {
	case map[string]any:
		items = []any{t}
	case []any:
		items = t
	default:
		return nil, malformed(MsgSyntax, "Statement must be an object or a list of objects")
	}
	if len(items) == 0 {
		return nil, malformed(MsgEmptyStatement, "")
	}
	vars := p.Version == Version2012 // policy variables need 2012-10-17
	p.Statements = make([]Statement, len(items))
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			e := malformed(MsgSyntax, "statement must be a JSON object")
			e.Statement = i
			return nil, e
		}
		s := &p.Statements[i]
		if err := parseStatement(s, m, i, kind, vars); err != nil {
			return nil, err
		}
		if s.Sid != "" {
			if seen[s.Sid] {
				return nil, &MalformedError{Message: MsgDuplicateSid, Statement: i, Sid: s.Sid, Offset: -1}
			}
			seen[s.Sid] = true
		}
	}
	return p, nil
}

func decodeJSON(doc string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		e := malformed(MsgSyntax, "invalid JSON: "+err.Error())
		e.Offset = dec.InputOffset()
		var se *json.SyntaxError
		if errors.As(err, &se) {
			e.Offset = se.Offset
		}
		return nil, e
	}
	if _, err := dec.Token(); err != io.EOF {
		e := malformed(MsgSyntax, "unexpected data after the policy document")
		e.Offset = dec.InputOffset()
		return nil, e
	}
	return v, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// stringList accepts a string or a list of strings.
func stringList(v any) ([]string, bool) {
	switch t := v.(type) {
	case string:
		return []string{t}, true
	case []any:
		out := make([]string, len(t))
		for i, x := range t {
			s, ok := x.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	}
	return nil, false
}

// scalarString normalises a JSON scalar condition value to a string.
func scalarString(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case json.Number:
		return t.String(), true
	case bool:
		return strconv.FormatBool(t), true
	}
	return "", false
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func quoteList(vs []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(v))
	}
	b.WriteByte(']')
	return b.String()
}

func parseStatement(s *Statement, m map[string]any, idx int, kind Kind, vars bool) error {
	s.Index = idx
	bad := func(msg, detail string) error {
		return &MalformedError{Message: msg, Detail: detail, Statement: idx, Sid: s.Sid, Offset: -1}
	}
	if v, ok := m["Sid"]; ok {
		str, ok := v.(string)
		if !ok {
			return bad(MsgSyntax, "Sid must be a string")
		}
		s.Sid = str
	}
	for _, k := range sortedKeys(m) {
		if !statementFields[k] {
			return bad(MsgSyntax, "unknown field "+strconv.Quote(k))
		}
	}
	if kind == IdentityPolicy && !isAlnum(s.Sid) {
		return bad(MsgSidAlphanumeric, "")
	}

	// Effect
	ev, ok := m["Effect"]
	if !ok {
		return bad(MsgMissingEffect, "")
	}
	es, ok := ev.(string)
	if !ok {
		return bad(MsgSyntax, "Effect must be a string")
	}
	switch es {
	case "Allow":
		s.Effect = Allow
	case "Deny":
		s.Effect = Deny
	default:
		return bad("Invalid effect: "+es, "")
	}

	// Principal / NotPrincipal
	pv, hasP := m["Principal"]
	npv, hasNP := m["NotPrincipal"]
	switch {
	case hasP && hasNP:
		return bad(MsgSyntax, "statement cannot contain both Principal and NotPrincipal")
	case hasP || hasNP:
		if kind == IdentityPolicy {
			return bad(MsgPrincipalForbidden, "")
		}
		raw := pv
		if hasNP {
			raw, s.notPrincipal = npv, true
		}
		ps, detail, ok := parsePrincipal(raw)
		if !ok {
			return bad("Invalid principal in policy: "+detail, "")
		}
		s.principal = ps
	case kind == ResourcePolicy || kind == TrustPolicy:
		return bad(MsgMissingPrincipal, "")
	}

	// Action / NotAction
	av, hasA := m["Action"]
	nav, hasNA := m["NotAction"]
	switch {
	case hasA && hasNA:
		return bad(MsgSyntax, "statement cannot contain both Action and NotAction")
	case !hasA && !hasNA:
		return bad(MsgMissingActions, "")
	}
	field, raw := "Action", av
	if hasNA {
		field, raw, s.notAction = "NotAction", nav, true
	}
	actions, ok := stringList(raw)
	if !ok {
		return bad(MsgSyntax, field+" must be a string or a list of strings")
	}
	if len(actions) == 0 {
		return bad(MsgMissingActions, "")
	}
	for _, a := range actions {
		if msg := validateAction(a); msg != "" {
			return bad(msg, field+" "+strconv.Quote(a))
		}
		s.actions = append(s.actions, compilePattern(a, true, false, true))
	}
	s.actionRaw = actions
	s.actionText = field + " " + quoteList(actions)

	// Resource / NotResource
	rv, hasR := m["Resource"]
	nrv, hasNR := m["NotResource"]
	switch {
	case hasR && hasNR:
		return bad(MsgSyntax, "statement cannot contain both Resource and NotResource")
	case kind == TrustPolicy && hasR:
		return bad("Has prohibited field Resource", "")
	case kind == TrustPolicy && hasNR:
		return bad("Has prohibited field NotResource", "")
	case !hasR && !hasNR && (kind == IdentityPolicy || kind == ResourcePolicy):
		return bad(MsgMissingResources, "")
	}
	if hasR || hasNR {
		field, raw := "Resource", rv
		if hasNR {
			field, raw, s.notResource = "NotResource", nrv, true
		}
		res, ok := stringList(raw)
		if !ok {
			return bad(MsgSyntax, field+" must be a string or a list of strings")
		}
		if len(res) == 0 {
			return bad(MsgMissingResources, "")
		}
		for _, r := range res {
			if (kind == IdentityPolicy || kind == ResourcePolicy) && r != "*" && !strings.HasPrefix(r, "arn:") {
				return bad("Resource "+r+` must be in ARN format or "*".`, "")
			}
			s.resources = append(s.resources, compileARN(r, vars))
		}
		s.hasResource = true
		s.resourceText = field + " " + quoteList(res)
	}

	// Condition
	if cv, ok := m["Condition"]; ok {
		conds, msg, detail := parseConditions(cv, vars)
		if msg != "" {
			return bad(msg, detail)
		}
		s.conditions = conds
	}

	if s.Sid != "" {
		s.label = "statement " + strconv.Quote(s.Sid)
	} else {
		s.label = "statement #" + strconv.Itoa(idx)
	}
	s.allowReason = "allowed by " + s.label
	s.denyReason = "denied by " + s.label
	return nil
}

func validateAction(a string) string {
	if a == "*" {
		return ""
	}
	i := strings.IndexByte(a, ':')
	if i <= 0 {
		return MsgActionVendor
	}
	if strings.IndexByte(a[i+1:], ':') >= 0 {
		return MsgActionColon
	}
	for j := 0; j < i; j++ {
		c := a[j]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return "Vendor " + a[:i] + " is not valid"
		}
	}
	return ""
}

// parseConditions parses a Condition block. On error it returns the message
// and detail.
func parseConditions(v any, vars bool) ([]condition, string, string) {
	block, ok := v.(map[string]any)
	if !ok {
		return nil, MsgSyntax, "Condition must be a JSON object"
	}
	var out []condition
	for _, op := range sortedKeys(block) {
		info, set, ifExists, ok := parseOperator(op)
		if !ok {
			return nil, "Unknown condition operator: " + op, ""
		}
		kv, ok := block[op].(map[string]any)
		if !ok {
			return nil, MsgSyntax, "condition operator " + op + " must map to a JSON object"
		}
		for _, key := range sortedKeys(kv) {
			if strings.TrimSpace(key) == "" {
				return nil, MsgSyntax, "empty condition key in " + op
			}
			var values []string
			switch t := kv[key].(type) {
			case []any:
				values = make([]string, 0, len(t))
				for _, x := range t {
					s, ok := scalarString(x)
					if !ok {
						return nil, MsgSyntax, "condition " + op + " " + key + ": values must be strings, numbers or booleans"
					}
					values = append(values, s)
				}
			default:
				s, ok := scalarString(t)
				if !ok {
					return nil, MsgSyntax, "condition " + op + " " + key + ": values must be strings, numbers or booleans"
				}
				values = []string{s}
			}
			out = append(out, compileCondition(op, info, set, ifExists, key, values, vars))
		}
	}
	return out, "", ""
}

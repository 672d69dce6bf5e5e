package policy

import (
	"sort"
	"strconv"
	"strings"
)

// pmatch says how a statement's Principal matched the caller.
type pmatch uint8

const (
	pmNone pmatch = iota
	// pmDelegated: matched only through an account principal ("123456789012"
	// or "arn:aws:iam::123456789012:root"). AWS treats this as delegating to
	// the account: the caller also needs an identity-policy allow.
	pmDelegated
	// pmDirect: matched through "*", the caller's own ARN (or its role), a
	// service or a federated principal.
	pmDirect
)

type principalType uint8

const (
	ptAWSAny principalType = iota
	ptAccount
	ptARN  // user, assumed-role session, federated-user ... exact ARN match
	ptRole // role ARN: matches the role and its assumed-role sessions
	ptService
	ptFederated
	ptCanonical
)

type principalEntry struct {
	typ       principalType
	raw       string
	partition string
	account   string
	name      string // role name for ptRole
}

type principalSet struct {
	all     bool // "Principal": "*"
	entries []principalEntry
	text    string // rendering for explanations
}

// principalKinds are the keys accepted in a Principal object, in render order.
var principalKinds = []string{"AWS", "Service", "Federated", "CanonicalUser"}

// parsePrincipal parses the value of Principal/NotPrincipal. On failure it
// returns the AWS-style rendering of the offending element.
func parsePrincipal(v any) (*principalSet, string, bool) {
	switch t := v.(type) {
	case string:
		if t == "*" {
			return &principalSet{all: true, text: "*"}, "", true
		}
		return nil, strconv.Quote(t), false
	case map[string]any:
		if len(t) == 0 {
			return nil, "{}", false
		}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			known := false
			for _, pk := range principalKinds {
				known = known || k == pk
			}
			if !known {
				return nil, strconv.Quote(k), false
			}
		}
		ps := &principalSet{}
		var parts []string
		for _, k := range principalKinds {
			raw, ok := t[k]
			if !ok {
				continue
			}
			vals, ok := stringList(raw)
			if !ok || len(vals) == 0 {
				return nil, strconv.Quote(k), false
			}
			for _, s := range vals {
				e, ok := parsePrincipalEntry(k, s)
				if !ok {
					return nil, strconv.Quote(k) + ":" + strconv.Quote(s), false
				}
				ps.entries = append(ps.entries, e)
				parts = append(parts, k+":"+s)
			}
		}
		ps.text = strings.Join(parts, ", ")
		return ps, "", true
	}
	return nil, "Principal", false
}

func parsePrincipalEntry(kind, s string) (principalEntry, bool) {
	e := principalEntry{raw: s}
	if s == "" {
		return e, false
	}
	switch kind {
	case "Service":
		e.typ = ptService
		return e, !strings.ContainsAny(s, " \t*?")
	case "Federated":
		e.typ = ptFederated
		return e, !strings.ContainsAny(s, " \t*?")
	case "CanonicalUser":
		e.typ = ptCanonical
		return e, true
	}
	// AWS
	switch {
	case s == "*":
		e.typ = ptAWSAny
		return e, true
	case isAccountID(s):
		e.typ, e.account = ptAccount, s
		return e, true
	}
	part, svc, region, acct, res, ok := splitARN(s)
	if !ok || part == "" || region != "" || !isAccountID(acct) || res == "" ||
		(svc != "iam" && svc != "sts") || strings.ContainsAny(s, "*?") {
		return e, false
	}
	e.partition, e.account = part, acct
	switch {
	case res == "root":
		e.typ = ptAccount
	case svc == "iam" && strings.HasPrefix(res, "role/"):
		e.typ = ptRole
		e.name = res[strings.LastIndexByte(res, '/')+1:]
		if e.name == "" {
			return e, false
		}
	default:
		e.typ = ptARN
	}
	return e, true
}

// match reports how the caller matches the set (best match wins).
func (ps *principalSet) match(p *Principal) pmatch {
	if ps.all {
		return pmDirect
	}
	best := pmNone
	for i := range ps.entries {
		e := &ps.entries[i]
		switch e.typ {
		case ptAWSAny:
			if p.Service == "" {
				return pmDirect
			}
		case ptAccount:
			if p.Service == "" && p.Account != "" && p.Account == e.account {
				if isRootARN(p.ARN, p.Account) {
					return pmDirect // the account root itself is named
				}
				best = pmDelegated
			}
		case ptARN:
			if p.Service == "" && p.ARN == e.raw {
				return pmDirect
			}
		case ptRole:
			if p.Service == "" && (p.ARN == e.raw || isSessionOfRole(p.ARN, e)) {
				return pmDirect
			}
		case ptService:
			if p.Service != "" && strings.EqualFold(p.Service, e.raw) {
				return pmDirect
			}
		case ptFederated:
			if p.Federated != "" && p.Federated == e.raw {
				return pmDirect
			}
		}
	}
	return best
}

func isRootARN(arn, account string) bool {
	_, svc, region, acct, res, ok := splitARN(arn)
	return ok && svc == "iam" && region == "" && acct == account && res == "root"
}

// isSessionOfRole reports whether arn is arn:PART:sts::ACCT:assumed-role/NAME/SESSION
// for the role e.
func isSessionOfRole(arn string, e *principalEntry) bool {
	part, svc, _, acct, res, ok := splitARN(arn)
	if !ok || svc != "sts" || acct != e.account || part != e.partition {
		return false
	}
	const pfx = "assumed-role/"
	if !strings.HasPrefix(res, pfx) {
		return false
	}
	rest := res[len(pfx):]
	i := strings.IndexByte(rest, '/')
	return i > 0 && strings.EqualFold(rest[:i], e.name)
}

// describePrincipal renders the caller for explanations.
func describePrincipal(p *Principal) string {
	switch {
	case p.Service != "":
		return p.Service
	case p.ARN != "":
		return p.ARN
	case p.Federated != "":
		return p.Federated
	case p.Account != "":
		return "account " + p.Account
	}
	return "anonymous caller"
}

package policy

import (
	"strconv"
	"strings"
)

// maxWhyNot caps how many tied "closest" statements an explanation lists.
const maxWhyNot = 3

// closest returns the first Allow statement that came closest to matching,
// and how close it came.
func (p *Policy) closest(ec *evalCtx, mode evalMode) (int, stage) {
	best, bestStage := -1, stageNone
	for i := range p.Statements {
		s := &p.Statements[i]
		if s.Effect != Allow {
			continue
		}
		if st, _ := s.diagnose(ec, mode); st > bestStage {
			best, bestStage = i, st
		}
	}
	return best, bestStage
}

// whyNot explains a NotApplicable result of a single policy; near is the
// stage returned by closest.
func (p *Policy) whyNot(ec *evalCtx, mode evalMode, near stage) string {
	var b strings.Builder
	b.WriteString("no statement allows ")
	writeRequest(&b, ec, mode)
	b.WriteString(" (")
	if near == stageNone {
		b.WriteString("the policy has no Allow statement")
	} else {
		n := 0
		for i := range p.Statements {
			s := &p.Statements[i]
			if s.Effect != Allow {
				continue
			}
			if st, _ := s.diagnose(ec, mode); st != near {
				continue
			}
			if n == maxWhyNot {
				b.WriteString("; ...")
				break
			}
			if n > 0 {
				b.WriteString("; ")
			}
			b.WriteString(s.label)
			b.WriteString(": ")
			b.WriteString(s.whyNot(ec, mode))
			n++
		}
	}
	b.WriteByte(')')
	return b.String()
}

// writeRequest renders "<principal> for <action>[ on <resource>]".
func writeRequest(b *strings.Builder, ec *evalCtx, mode evalMode) {
	b.WriteString(describePrincipal(&ec.req.Principal))
	b.WriteString(" for ")
	b.WriteString(ec.req.Action)
	if mode != modeTrust && ec.resource != "*" {
		b.WriteString(" on ")
		b.WriteString(ec.resource)
	}
}

// whyNot explains why a statement does not match.
func (s *Statement) whyNot(ec *evalCtx, mode evalMode) string {
	st, ci := s.diagnose(ec, mode)
	switch st {
	case stageAction:
		if s.notAction {
			return "action " + ec.req.Action + " is excluded by " + s.actionText
		}
		return "action " + ec.req.Action + " not in " + s.actionText
	case stagePrincipal:
		who := describePrincipal(&ec.req.Principal)
		switch {
		case s.principal == nil:
			return "statement has no Principal"
		case s.notPrincipal:
			return "principal " + who + " is excluded by NotPrincipal [" + s.principal.text + "]"
		}
		return "principal " + who + " not in Principal [" + s.principal.text + "]"
	case stageResource:
		var msg string
		if s.notResource {
			msg = "resource " + ec.resource + " is excluded by " + s.resourceText
		} else {
			msg = "resource " + ec.resource + " not in " + s.resourceText
		}
		var unresolved []string
		for i := range s.resources {
			r := &s.resources[i]
			if !r.resolvable(ec) {
				unresolved = append(unresolved, strconv.Quote(r.raw))
			}
		}
		if len(unresolved) > 0 {
			msg += " (unresolvable policy variable in " + strings.Join(unresolved, ", ") + ")"
		}
		return msg
	case stageCondition:
		return s.conditions[ci].whyNot(ec)
	case stageMatched:
		return "statement matches"
	}
	return "statement not evaluated"
}

func quoteVals(vs vals) string {
	if vs.n() == 1 {
		return strconv.Quote(vs.at(0))
	}
	l := make([]string, vs.n())
	for i := range l {
		l[i] = vs.at(i)
	}
	return quoteList(l)
}

// failVerb phrases a failed positive match ("not in", "does not match", ...).
func (c *condition) failVerb() string {
	switch c.base {
	case opStringLike, opArnEquals, opArnLike:
		return "does not match"
	case opNumericLessThan, opDateLessThan:
		return "is not less than any of"
	case opNumericLessThanEquals, opDateLessThanEquals:
		return "is not less than or equal to any of"
	case opNumericGreaterThan, opDateGreaterThan:
		return "is not greater than any of"
	case opNumericGreaterThanEquals, opDateGreaterThanEquals:
		return "is not greater than or equal to any of"
	}
	return "not in"
}

// matchVerb phrases a (positive) match that makes a negated operator fail.
func (c *condition) matchVerb() string {
	switch c.base {
	case opStringLike, opArnEquals, opArnLike:
		return "matches"
	}
	return "is in"
}

// whyNot explains why the condition evaluated to false.
func (c *condition) whyNot(ec *evalCtx) string {
	var b strings.Builder
	b.WriteString("condition ")
	b.WriteString(c.op)
	b.WriteByte(' ')
	b.WriteString(c.key)
	b.WriteString(": ")
	want := quoteList(c.values)
	vs := ec.lookup(c.lkey)
	n := vs.n()
	switch {
	case c.base == opNull:
		if n == 0 {
			b.WriteString("key is absent, want Null " + want)
		} else {
			b.WriteString("key is present (" + quoteVals(vs) + "), want Null " + want)
		}
	case n == 0:
		b.WriteString("key is absent from the request")
		if c.set == setAnyValue {
			b.WriteString(" (ForAnyValue needs at least one value)")
		}
		b.WriteString(", want " + want)
	case c.set == setAllValues:
		for i := 0; i < n; i++ {
			v := vs.at(i)
			if c.pred(v, ec) {
				continue
			}
			b.WriteString("value " + strconv.Quote(v) + " ")
			if c.neg {
				b.WriteString(c.matchVerb())
			} else {
				b.WriteString(c.failVerb())
			}
			b.WriteString(" " + want)
			break
		}
	case c.set == setAnyValue:
		b.WriteString("no value of " + quoteVals(vs) + " satisfies " + want)
	case c.neg:
		for i := 0; i < n; i++ {
			v := vs.at(i)
			if c.posMatch(v, ec) {
				b.WriteString(strconv.Quote(v) + " " + c.matchVerb() + " " + want)
				break
			}
		}
	default:
		b.WriteString(quoteVals(vs) + " " + c.failVerb() + " " + want)
	}
	if u := c.unresolvedVars(ec); len(u) > 0 {
		b.WriteString(" (unresolvable policy variable " + strings.Join(u, ", ") + ")")
	}
	return b.String()
}

package policy

import (
	"strconv"
	"strings"
)

// Decision.Effect values (the IAM policy simulator's EvalDecision strings).
const (
	EvalAllowed      = "allowed"
	EvalExplicitDeny = "explicitDeny"
	EvalImplicitDeny = "implicitDeny"
)

// Match sources.
const (
	SourceIdentity = "identity"
	SourceSession  = "session"
	SourceResource = "resource"
	SourceTrust    = "trust"
)

// Named is a policy with a human-readable name for explanations, e.g.
// "role R inline policy P" or a managed policy ARN.
type Named struct {
	Name   string
	Policy *Policy
}

// Match is one statement that matched the request.
type Match struct {
	Source    string // SourceIdentity, SourceSession, SourceResource or SourceTrust
	Policy    string // Named.Name
	Statement int
	Sid       string
	Effect    Effect
}

// Decision is the outcome of Authorize / AuthorizeAssumeRole.
type Decision struct {
	Allowed     bool
	Effect      string // EvalAllowed, EvalExplicitDeny or EvalImplicitDeny
	Explanation string
	Matches     []Match // every matching statement of every evaluated policy
}

// Input is everything Authorize needs.
type Input struct {
	Request Request
	// Identity holds the caller's identity-based policies (ignored for
	// service principals).
	Identity []*Named
	// Resource is the resource policy (topic policy, key policy); may be nil.
	Resource *Named
	// ResourceAccount owns the resource. When empty, the account field of
	// Request.Resource is used; when that is empty too, the request counts as
	// same-account.
	ResourceAccount string
	// SessionPolicies (AssumeRole Policy/PolicyArns): when present, an
	// identity-policy allow must also be allowed by one of them.
	SessionPolicies []*Named
	// KeyPolicyRequired (KMS): the key policy must allow the principal
	// itself, or allow its account root (delegating to IAM), in which case
	// an identity-policy allow is needed as well.
	KeyPolicyRequired bool
}

type namedEval struct {
	source, name string
	pol          *Policy
	pe           polEval
}

func policyName(n *Named, source string, i int) string {
	if n.Name != "" {
		return n.Name
	}
	if source == SourceResource {
		return "(unnamed)"
	}
	return "#" + strconv.Itoa(i)
}

func (n *namedEval) title() string {
	return n.source + " policy " + strconv.Quote(n.name)
}

func (n *namedEval) stmt(i int) string {
	return n.title() + " (" + n.pol.Statements[i].label + ")"
}

func evalAll(list []*Named, source string, ec *evalCtx, mode evalMode, out *[]Match) []namedEval {
	var evs []namedEval
	for i, n := range list {
		if n == nil || n.Policy == nil {
			continue
		}
		ne := namedEval{source: source, name: policyName(n, source, i), pol: n.Policy}
		ne.pe = n.Policy.eval(ec, mode, &matchSink{source: source, name: ne.name, out: out})
		evs = append(evs, ne)
	}
	return evs
}

func firstAllow(evs []namedEval) *namedEval {
	for i := range evs {
		if evs[i].pe.allow >= 0 {
			return &evs[i]
		}
	}
	return nil
}

// closestAcross explains the closest non-matching Allow statements across
// several policies.
func closestAcross(evs []namedEval, ec *evalCtx, mode evalMode) string {
	best := stageNone
	near := make([]stage, len(evs))
	for i := range evs {
		_, near[i] = evs[i].pol.closest(ec, mode)
		if near[i] > best {
			best = near[i]
		}
	}
	if best == stageNone {
		return "no Allow statement"
	}
	var parts []string
	for i := range evs {
		ne := &evs[i]
		if near[i] != best {
			continue
		}
		for j := range ne.pol.Statements {
			s := &ne.pol.Statements[j]
			if s.Effect != Allow {
				continue
			}
			if st, _ := s.diagnose(ec, mode); st != best {
				continue
			}
			if len(parts) == maxWhyNot {
				return strings.Join(parts, "; ") + "; ..."
			}
			prefix := ""
			if len(evs) > 1 || ne.source != SourceResource {
				prefix = ne.title() + " "
			}
			parts = append(parts, prefix+s.label+": "+s.whyNot(ec, mode))
		}
	}
	return strings.Join(parts, "; ")
}

// Authorize applies the AWS evaluation logic to one request:
//
//  1. An explicit Deny in any evaluated policy (identity, session,
//     resource) denies.
//  2. Service principals have no identity policies: only a resource-policy
//     allow counts.
//  3. KMS (KeyPolicyRequired): the key policy must allow the principal
//     itself, or allow its account (root), which delegates to IAM so that an
//     identity-policy allow is needed too; cross-account both are needed.
//  4. Same account: an identity allow (∧ a session-policy allow when session
//     policies are present) or a resource-policy allow that names the
//     principal ("*", its ARN, its role) suffices. A resource-policy allow
//     that only names the account delegates to IAM and needs the identity
//     allow.
//  5. Cross-account: both an identity allow and a resource-policy allow are
//     required.
//  6. Otherwise the request is implicitly denied.
func Authorize(in Input) Decision {
	req := &in.Request
	ec := newEvalCtx(req, in.ResourceAccount)
	var d Decision
	p := &req.Principal
	svc := p.Service != ""
	resAcct := ec.resourceAccount
	same := resAcct == "" || resAcct == p.Account
	resWord := "resource"
	if in.KeyPolicyRequired {
		resWord = "key"
	}

	var ids, sess, res []namedEval
	if !svc {
		ids = evalAll(in.Identity, SourceIdentity, &ec, modeIdentity, &d.Matches)
		sess = evalAll(in.SessionPolicies, SourceSession, &ec, modeIdentity, &d.Matches)
	}
	if in.Resource != nil && in.Resource.Policy != nil {
		res = evalAll([]*Named{in.Resource}, SourceResource, &ec, modeResource, &d.Matches)
		res[0].source = resWord
	}

	// 1. explicit deny
	for _, group := range [][]namedEval{ids, sess, res} {
		for i := range group {
			if ne := &group[i]; ne.pe.deny >= 0 {
				d.Effect = EvalExplicitDeny
				d.Explanation = "explicitly denied by " + ne.stmt(ne.pe.deny)
				return d
			}
		}
	}

	idAllow := firstAllow(ids)
	sessAllow := firstAllow(sess)
	effID := idAllow != nil && (len(sess) == 0 || sessAllow != nil)
	var resEv *namedEval
	if len(res) == 1 {
		resEv = &res[0]
	}
	resAllow := resEv != nil && resEv.pe.allow >= 0
	resDirect := resAllow && resEv.pe.allowHow == pmDirect

	idAllowText := func() string {
		s := idAllow.stmt(idAllow.pe.allow)
		if sessAllow != nil {
			s += " and " + sessAllow.stmt(sessAllow.pe.allow)
		}
		return s
	}
	var resText string
	if resAllow {
		resText = resEv.stmt(resEv.pe.allow)
	}

	var allowed bool
	var why string
	switch {
	case svc:
		allowed = resDirect
		if allowed {
			why = "allowed by " + resText
		}
	case in.KeyPolicyRequired && same:
		switch {
		case resDirect:
			allowed, why = true, "allowed by "+resText
		case resAllow && effID:
			allowed = true
			why = "allowed: " + resText + " delegates to the IAM policies of account " + p.Account + ", and " + idAllowText() + " allows it"
		}
	case in.KeyPolicyRequired || !same:
		allowed = resAllow && effID
		if allowed {
			why = "allowed: cross-account request permitted by both " + idAllowText() + " and " + resText
		}
	default:
		switch {
		case effID:
			allowed, why = true, "allowed by "+idAllowText()
		case resDirect:
			allowed, why = true, "allowed by "+resText
		}
	}
	if allowed {
		d.Allowed, d.Effect, d.Explanation = true, EvalAllowed, why
		return d
	}

	// Implicit deny: explain each side that is missing.
	var b strings.Builder
	b.WriteString("implicitly denied: ")
	b.WriteString(describePrincipal(p))
	b.WriteString(" is not authorized to perform ")
	b.WriteString(req.Action)
	if ec.resource != "*" {
		b.WriteString(" on ")
		b.WriteString(ec.resource)
	}
	b.WriteString(": ")

	idPart := func() string {
		switch {
		case len(ids) == 0:
			return "the caller has no identity policies"
		case idAllow == nil:
			return "no identity policy allows it (" + closestAcross(ids, &ec, modeIdentity) + ")"
		case len(sess) > 0 && sessAllow == nil:
			return idAllow.stmt(idAllow.pe.allow) + " allows it but no session policy does (" + closestAcross(sess, &ec, modeIdentity) + ")"
		}
		return idAllowText() + " allows it"
	}
	resPart := func() string {
		switch {
		case resEv == nil:
			return "there is no " + resWord + " policy"
		case !resAllow:
			return resEv.title() + " does not allow it (" + closestAcross(res, &ec, modeResource) + ")"
		case !resDirect:
			return resText + " grants only the account " + p.Account + ", which delegates to its identity policies"
		}
		return resText + " allows it"
	}
	switch {
	case svc:
		b.WriteString("a service principal is authorized only by a resource policy; ")
		b.WriteString(resPart())
	case in.KeyPolicyRequired && same:
		b.WriteString("the key policy must allow the principal or delegate to IAM; ")
		b.WriteString(resPart())
		if resAllow {
			b.WriteString("; ")
			b.WriteString(idPart())
		}
	case in.KeyPolicyRequired || !same:
		b.WriteString("cross-account request (caller account " + p.Account + ", resource account " + resAcct + ") needs both an identity-policy allow and a " + resWord + "-policy allow; ")
		b.WriteString(idPart())
		b.WriteString("; ")
		b.WriteString(resPart())
	default:
		b.WriteString(idPart())
		b.WriteString("; ")
		b.WriteString(resPart())
	}
	d.Effect, d.Explanation = EvalImplicitDeny, b.String()
	return d
}

// AuthorizeAssumeRole decides sts:AssumeRole (and friends) from the role's
// trust policy alone: the trust policy must have a statement allowing the
// caller (service, AWS or federated principal) and no statement denying it.
// (Real AWS additionally requires an identity-policy allow for an AWS
// caller unless the trust policy names the caller's ARN; this
// implementation lets the trust policy decide.) The trust policy is
// evaluated with Principal required, whatever kind it was parsed as.
func AuthorizeAssumeRole(trust *Policy, req Request) Decision {
	var d Decision
	if trust == nil {
		d.Effect, d.Explanation = EvalImplicitDeny, "role trust policy: the role has no trust policy"
		return d
	}
	ec := newEvalCtx(&req, "")
	pe := trust.eval(&ec, modeTrust, &matchSink{source: SourceTrust, name: "trust policy", out: &d.Matches})
	switch {
	case pe.deny >= 0:
		d.Effect = EvalExplicitDeny
		d.Explanation = "role trust policy: explicitly denied by " + trust.Statements[pe.deny].label
	case pe.allow >= 0:
		d.Allowed, d.Effect = true, EvalAllowed
		d.Explanation = "role trust policy: allowed by " + trust.Statements[pe.allow].label
	default:
		d.Effect = EvalImplicitDeny
		_, near := trust.closest(&ec, modeTrust)
		d.Explanation = "role trust policy: " + trust.whyNot(&ec, modeTrust, near)
	}
	return d
}

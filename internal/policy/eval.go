package policy

import (
	"strings"
)

// Effect is a statement effect, and the outcome of evaluating one policy.
type Effect uint8

const (
	// NotApplicable: no statement matched (an implicit deny).
	NotApplicable Effect = iota
	Allow
	Deny
)

func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "NotApplicable"
}

// Principal identifies the caller.
type Principal struct {
	Account string // 12-digit account id of the caller ("" for a service principal)
	// ARN of the caller, e.g. arn:aws:iam::111122223333:root,
	// arn:aws:iam::111122223333:role/R, arn:aws:sts::111122223333:assumed-role/R/session.
	ARN     string
	Service string // e.g. "sms-voice.amazonaws.com" when a service principal calls
	// Federated is the identity provider for AssumeRoleWithWebIdentity/SAML
	// callers (matched against Principal {"Federated": ...}). Optional.
	Federated string
}

// Request is the request context a policy is evaluated against.
type Request struct {
	Principal Principal // who is calling
	Action    string    // e.g. "sns:Publish"
	Resource  string    // ARN, or "" / "*" for actions without a resource
	// Context holds the condition keys, e.g. "aws:sourceaccount":
	// {"111122223333"}. Keys are matched case-insensitively; lower-case keys
	// are found fastest (one map lookup). Multi-valued keys
	// (ForAnyValue/ForAllValues) carry several values; an empty slice is the
	// same as an absent key.
	//
	// When a key is absent these are derived: aws:PrincipalAccount,
	// aws:PrincipalArn, aws:PrincipalServiceName (from Principal),
	// aws:username (from an IAM user ARN) and aws:ResourceAccount (from
	// Input.ResourceAccount, else the account field of the Resource ARN).
	Context map[string][]string
}

// Result is the outcome of evaluating a single policy.
type Result struct {
	// Decision is Allow, Deny (explicit) or NotApplicable (implicit deny).
	Decision Effect
	// Statement is the index of the deciding statement; for NotApplicable it is
	// the closest non-matching Allow statement (see Reason), or -1.
	Statement int
	Sid       string
	Reason    string
}

type evalMode uint8

const (
	modeIdentity evalMode = iota // Principal is implicit (checked only if present)
	modeResource                 // Principal is required
	modeTrust                    // like modeResource; explanations omit the resource
)

func (p *Policy) defaultMode() evalMode {
	switch p.kind {
	case ResourcePolicy:
		return modeResource
	case TrustPolicy:
		return modeTrust
	}
	return modeIdentity
}

// vals is a view of a context key's values that can also carry one derived
// value without allocating.
type vals struct {
	list   []string
	single string
	one    bool
}

func (v vals) n() int {
	if v.one {
		return 1
	}
	return len(v.list)
}

func (v vals) at(i int) string {
	if v.one {
		return v.single
	}
	return v.list[i]
}

// evalCtx holds a copy of the request (so that the caller's Request does not
// escape to the heap) plus derived values.
type evalCtx struct {
	req             Request
	resource        string // "*" when the request has none
	resourceAccount string
}

func newEvalCtx(req *Request, resourceAccount string) evalCtx {
	ec := evalCtx{req: *req, resource: req.Resource, resourceAccount: resourceAccount}
	if ec.resource == "" {
		ec.resource = "*"
	}
	if ec.resourceAccount == "" {
		if _, _, _, acct, _, ok := splitARN(req.Resource); ok && isAccountID(acct) {
			ec.resourceAccount = acct
		}
	}
	return ec
}

// lookup returns the values of a lower-cased condition key.
func (ec *evalCtx) lookup(lkey string) vals {
	m := ec.req.Context
	if v, ok := m[lkey]; ok {
		return vals{list: v}
	}
	for k, v := range m {
		if len(k) == len(lkey) && strings.EqualFold(k, lkey) {
			return vals{list: v}
		}
	}
	p := &ec.req.Principal
	var s string
	switch lkey {
	case "aws:principalaccount":
		if p.Service == "" {
			s = p.Account
		}
	case "aws:principalarn":
		if p.Service == "" {
			s = p.ARN
		}
	case "aws:principalservicename":
		s = p.Service
	case "aws:resourceaccount":
		s = ec.resourceAccount
	case "aws:username":
		if _, svc, _, _, res, ok := splitARN(p.ARN); ok && svc == "iam" && strings.HasPrefix(res, "user/") {
			s = res[strings.LastIndexByte(res, '/')+1:]
		}
	}
	if s == "" {
		return vals{}
	}
	return vals{single: s, one: true}
}

// resolveVar resolves a policy variable token.
func (ec *evalCtx) resolveVar(t *token) (string, bool) {
	if v := ec.lookup(t.text); v.n() > 0 {
		return v.at(0), true
	}
	if t.hasDef {
		return t.def, true
	}
	return "", false
}

// stage ranks how close a non-matching statement came to matching (for
// explanations); higher is closer. A statement about another principal is
// the least relevant, then one about another action, and so on.
type stage uint8

const (
	stageNone      stage = iota
	stagePrincipal       // failed on Principal/NotPrincipal
	stageAction          // principal ok, failed on Action/NotAction
	stageResource        // failed on Resource/NotResource
	stageCondition       // failed on a condition
	stageMatched
)

func (s *Statement) actionMatches(action string) bool {
	m := false
	for i := range s.actions {
		if s.actions[i].match(action, nil) {
			m = true
			break
		}
	}
	return m != s.notAction
}

func (s *Statement) resourceMatches(ec *evalCtx) bool {
	m := false
	for i := range s.resources {
		if s.resources[i].match(ec.resource, ec) {
			m = true
			break
		}
	}
	return m != s.notResource
}

func (s *Statement) principalMatches(ec *evalCtx, mode evalMode) pmatch {
	if s.principal == nil {
		if mode != modeIdentity {
			return pmNone
		}
		return pmDirect
	}
	how := s.principal.match(&ec.req.Principal)
	if s.notPrincipal {
		if how != pmNone {
			return pmNone
		}
		return pmDirect
	}
	return how
}

// eval evaluates one statement: whether it applies and how the principal
// matched. Cheapest checks first.
func (s *Statement) eval(ec *evalCtx, mode evalMode) (bool, pmatch) {
	if !s.actionMatches(ec.req.Action) {
		return false, pmNone
	}
	how := s.principalMatches(ec, mode)
	if how == pmNone {
		return false, pmNone
	}
	if s.hasResource && !s.resourceMatches(ec) {
		return false, pmNone
	}
	for i := range s.conditions {
		if !s.conditions[i].eval(ec) {
			return false, pmNone
		}
	}
	return true, how
}

// diagnose returns how close the statement came to matching and, for
// stageCondition, the index of the failing condition.
func (s *Statement) diagnose(ec *evalCtx, mode evalMode) (stage, int) {
	switch {
	case s.principalMatches(ec, mode) == pmNone:
		return stagePrincipal, -1
	case !s.actionMatches(ec.req.Action):
		return stageAction, -1
	case s.hasResource && !s.resourceMatches(ec):
		return stageResource, -1
	}
	for i := range s.conditions {
		if !s.conditions[i].eval(ec) {
			return stageCondition, i
		}
	}
	return stageMatched, -1
}

// polEval summarises the evaluation of one policy.
type polEval struct {
	deny     int    // first matching Deny statement, or -1
	allow    int    // best matching Allow statement (direct before delegated), or -1
	allowHow pmatch // how the principal matched in allow
}

// matchSink collects matching statements for Decision.Matches.
type matchSink struct {
	source, name string
	out          *[]Match
}

func (p *Policy) eval(ec *evalCtx, mode evalMode, sink *matchSink) polEval {
	pe := polEval{deny: -1, allow: -1}
	for i := range p.Statements {
		s := &p.Statements[i]
		ok, how := s.eval(ec, mode)
		if !ok {
			continue
		}
		if sink != nil {
			*sink.out = append(*sink.out, Match{Source: sink.source, Policy: sink.name, Statement: i, Sid: s.Sid, Effect: s.Effect})
		}
		if s.Effect == Deny {
			if pe.deny < 0 {
				pe.deny = i
			}
			if sink == nil {
				break // an explicit deny is final
			}
			continue
		}
		if pe.allow < 0 || how > pe.allowHow {
			pe.allow, pe.allowHow = i, how
		}
	}
	return pe
}

// Evaluate evaluates the policy alone against req. Resource and trust
// policies (see ParseKind) require a matching Principal; identity and
// leniently parsed policies only check Principal when a statement has one.
// Deny wins over Allow. Evaluate does not allocate unless the result is
// NotApplicable (the reason is then built) or a pattern uses policy variables.
func (p *Policy) Evaluate(req Request) Result {
	if p == nil {
		return Result{Decision: NotApplicable, Statement: -1, Reason: "no policy"}
	}
	ec := newEvalCtx(&req, "")
	mode := p.defaultMode()
	pe := p.eval(&ec, mode, nil)
	switch {
	case pe.deny >= 0:
		s := &p.Statements[pe.deny]
		return Result{Decision: Deny, Statement: pe.deny, Sid: s.Sid, Reason: s.denyReason}
	case pe.allow >= 0:
		s := &p.Statements[pe.allow]
		return Result{Decision: Allow, Statement: pe.allow, Sid: s.Sid, Reason: s.allowReason}
	}
	near, st := p.closest(&ec, mode)
	r := Result{Decision: NotApplicable, Statement: near, Reason: p.whyNot(&ec, mode, st)}
	if near >= 0 {
		r.Sid = p.Statements[near].Sid
	}
	return r
}

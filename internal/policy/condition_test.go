package policy

import (
	"strings"
	"testing"
)

// condPolicy builds an identity policy with one Allow statement for "*" on
// "*" carrying the given Condition block.
func condPolicy(t testing.TB, version, cond string) *Policy {
	t.Helper()
	v := ""
	if version != "" {
		v = `"Version":"` + version + `",`
	}
	return mustParse(t, `{`+v+`"Statement":[{"Sid":"C","Effect":"Allow","Action":"*","Resource":"*","Condition":`+cond+`}]}`, IdentityPolicy)
}

type condCase struct {
	name string
	cond string
	ctx  map[string][]string
	want bool
	p    Principal // optional
}

func runCond(t *testing.T, version string, cases []condCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := condPolicy(t, version, tc.cond)
			r := p.Evaluate(Request{Principal: tc.p, Action: "sns:Publish", Resource: topicARN, Context: tc.ctx})
			if got := r.Decision == Allow; got != tc.want {
				t.Fatalf("condition %s with %v: got %v, want %v (%s)", tc.cond, tc.ctx, got, tc.want, r.Reason)
			}
			if !tc.want && !strings.Contains(r.Reason, "condition ") {
				t.Fatalf("reason does not explain the condition: %s", r.Reason)
			}
		})
	}
}

func multi(key string, vs ...string) map[string][]string { return map[string][]string{key: vs} }

func TestConditionStringOperators(t *testing.T) {
	runCond(t, Version2012, []condCase{
		{"StringEquals match", `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`, ctx("aws:sourceaccount", acct), true, Principal{}},
		{"StringEquals mismatch", `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`, ctx("aws:sourceaccount", otherAcct), false, Principal{}},
		{"StringEquals values ORed", `{"StringEquals":{"aws:SourceAccount":["444455556666","111122223333"]}}`, ctx("aws:sourceaccount", acct), true, Principal{}},
		{"StringEquals missing key", `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`, nil, false, Principal{}},
		{"StringEquals value case-sensitive", `{"StringEquals":{"s:k":"Foo"}}`, ctx("s:k", "foo"), false, Principal{}},
		{"StringEquals wildcard is literal", `{"StringEquals":{"s:k":"f*"}}`, ctx("s:k", "foo"), false, Principal{}},
		{"StringEquals wildcard literal match", `{"StringEquals":{"s:k":"f*"}}`, ctx("s:k", "f*"), true, Principal{}},
		{"condition key case-insensitive", `{"StringEquals":{"AWS:SOURCEACCOUNT":"111122223333"}}`, ctx("Aws:SourceAccount", acct), true, Principal{}},
		{"StringNotEquals value not in list", `{"StringNotEquals":{"s:k":["a","b"]}}`, ctx("s:k", "c"), true, Principal{}},
		{"StringNotEquals value in list", `{"StringNotEquals":{"s:k":["a","b"]}}`, ctx("s:k", "b"), false, Principal{}},
		{"StringNotEquals missing key is true", `{"StringNotEquals":{"s:k":"a"}}`, nil, true, Principal{}},
		{"StringNotEquals multi-valued key, one in list", `{"StringNotEquals":{"s:k":"a"}}`, multi("s:k", "x", "a"), false, Principal{}},
		{"StringEqualsIgnoreCase", `{"StringEqualsIgnoreCase":{"s:k":"HeLLo"}}`, ctx("s:k", "hello"), true, Principal{}},
		{"StringEqualsIgnoreCase mismatch", `{"StringEqualsIgnoreCase":{"s:k":"HeLLo"}}`, ctx("s:k", "hell"), false, Principal{}},
		{"StringNotEqualsIgnoreCase same", `{"StringNotEqualsIgnoreCase":{"s:k":"HeLLo"}}`, ctx("s:k", "HELLO"), false, Principal{}},
		{"StringNotEqualsIgnoreCase different", `{"StringNotEqualsIgnoreCase":{"s:k":"HeLLo"}}`, ctx("s:k", "bye"), true, Principal{}},
		{"StringLike star", `{"StringLike":{"s:k":"arn:aws:sns:*:inbound"}}`, ctx("s:k", topicARN), true, Principal{}},
		{"StringLike question mark", `{"StringLike":{"s:k":"ab?d"}}`, ctx("s:k", "abcd"), true, Principal{}},
		{"StringLike question mark needs one char", `{"StringLike":{"s:k":"ab?d"}}`, ctx("s:k", "abd"), false, Principal{}},
		{"StringLike case-sensitive", `{"StringLike":{"s:k":"AB*"}}`, ctx("s:k", "abc"), false, Principal{}},
		{"StringLike mismatch", `{"StringLike":{"s:k":"home/*/docs"}}`, ctx("s:k", "home/alice/pics"), false, Principal{}},
		{"StringNotLike match means false", `{"StringNotLike":{"s:k":"home/*"}}`, ctx("s:k", "home/alice"), false, Principal{}},
		{"StringNotLike no match means true", `{"StringNotLike":{"s:k":"home/*"}}`, ctx("s:k", "tmp/alice"), true, Principal{}},
		{"keys in one block ANDed (both ok)", `{"StringEquals":{"a:x":"1","a:y":"2"}}`, ctx("a:x", "1", "a:y", "2"), true, Principal{}},
		{"keys in one block ANDed (one fails)", `{"StringEquals":{"a:x":"1","a:y":"2"}}`, ctx("a:x", "1", "a:y", "3"), false, Principal{}},
		{"operator blocks ANDed (both ok)", `{"StringEquals":{"a:x":"1"},"StringLike":{"a:y":"2*"}}`, ctx("a:x", "1", "a:y", "25"), true, Principal{}},
		{"operator blocks ANDed (one fails)", `{"StringEquals":{"a:x":"1"},"StringLike":{"a:y":"2*"}}`, ctx("a:x", "1", "a:y", "35"), false, Principal{}},
		{"JSON number value normalised", `{"StringEquals":{"a:x":42}}`, ctx("a:x", "42"), true, Principal{}},
		{"JSON bool value normalised", `{"StringEquals":{"a:x":true}}`, ctx("a:x", "true"), true, Principal{}},
	})
}

func TestConditionIfExistsAndSets(t *testing.T) {
	runCond(t, Version2012, []condCase{
		{"IfExists absent", `{"StringEqualsIfExists":{"s:k":"a"}}`, nil, true, Principal{}},
		{"IfExists present match", `{"StringEqualsIfExists":{"s:k":"a"}}`, ctx("s:k", "a"), true, Principal{}},
		{"IfExists present mismatch", `{"StringEqualsIfExists":{"s:k":"a"}}`, ctx("s:k", "b"), false, Principal{}},
		{"IfExists empty list is absent", `{"StringEqualsIfExists":{"s:k":"a"}}`, multi("s:k"), true, Principal{}},
		{"NumericLessThanIfExists absent", `{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}`, nil, true, Principal{}},
		{"NumericLessThanIfExists too old", `{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}`, ctx("aws:multifactorauthage", "7200"), false, Principal{}},
		{"ArnLikeIfExists absent", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:sms-voice:*:111122223333:*"}}`, nil, true, Principal{}},
		{"ArnLikeIfExists mismatch", `{"ArnLikeIfExists":{"aws:SourceArn":"arn:aws:sms-voice:*:111122223333:*"}}`, ctx("aws:sourcearn", "arn:aws:sms-voice:us-east-1:999999999999:x"), false, Principal{}},

		{"ForAnyValue one matches", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`, multi("aws:tagkeys", "owner", "team"), true, Principal{}},
		{"ForAnyValue none match", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","team"]}}`, multi("aws:tagkeys", "owner", "cost"), false, Principal{}},
		{"ForAnyValue absent", `{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, nil, false, Principal{}},
		{"ForAnyValue IfExists absent", `{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["env"]}}`, nil, true, Principal{}},
		{"ForAnyValue:StringNotEquals some outside", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, multi("aws:tagkeys", "env", "x"), true, Principal{}},
		{"ForAnyValue:StringNotEquals all inside", `{"ForAnyValue:StringNotEquals":{"aws:TagKeys":["env"]}}`, multi("aws:tagkeys", "env", "env"), false, Principal{}},
		{"ForAnyValue:StringLike", `{"ForAnyValue:StringLike":{"aws:TagKeys":"team-*"}}`, multi("aws:tagkeys", "a", "team-x"), true, Principal{}},
		{"ForAllValues all inside", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, multi("aws:tagkeys", "env", "team"), true, Principal{}},
		{"ForAllValues one outside", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`, multi("aws:tagkeys", "env", "owner"), false, Principal{}},
		{"ForAllValues absent is vacuously true", `{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, nil, true, Principal{}},
		{"ForAllValues:StringNotEquals none inside", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, multi("aws:tagkeys", "a", "b"), true, Principal{}},
		{"ForAllValues:StringNotEquals one inside", `{"ForAllValues:StringNotEquals":{"aws:TagKeys":["secret"]}}`, multi("aws:tagkeys", "a", "secret"), false, Principal{}},
		{"no qualifier multi-valued positive behaves like any", `{"StringEquals":{"aws:TagKeys":"team"}}`, multi("aws:tagkeys", "env", "team"), true, Principal{}},
		{"qualifier case-insensitive", `{"forallvalues:stringequals":{"aws:TagKeys":["env"]}}`, multi("aws:tagkeys", "env"), true, Principal{}},
	})
}

func TestConditionNull(t *testing.T) {
	runCond(t, Version2012, []condCase{
		{"Null true, absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, nil, true, Principal{}},
		{"Null true, present", `{"Null":{"aws:TokenIssueTime":"true"}}`, ctx("aws:tokenissuetime", "x"), false, Principal{}},
		{"Null false, present", `{"Null":{"aws:TokenIssueTime":"false"}}`, ctx("aws:tokenissuetime", "x"), true, Principal{}},
		{"Null false, absent", `{"Null":{"aws:TokenIssueTime":"false"}}`, nil, false, Principal{}},
		{"Null JSON boolean", `{"Null":{"aws:TokenIssueTime":true}}`, nil, true, Principal{}},
		{"Null empty list is absent", `{"Null":{"aws:TokenIssueTime":"true"}}`, multi("aws:tokenissuetime"), true, Principal{}},
	})
}

func TestConditionNumericDateBoolBinary(t *testing.T) {
	runCond(t, Version2012, []condCase{
		{"NumericEquals", `{"NumericEquals":{"n:k":10}}`, ctx("n:k", "10.0"), true, Principal{}},
		{"NumericEquals mismatch", `{"NumericEquals":{"n:k":"10"}}`, ctx("n:k", "11"), false, Principal{}},
		{"NumericEquals garbage request value", `{"NumericEquals":{"n:k":"10"}}`, ctx("n:k", "ten"), false, Principal{}},
		{"NumericNotEquals", `{"NumericNotEquals":{"n:k":"10"}}`, ctx("n:k", "11"), true, Principal{}},
		{"NumericNotEquals equal", `{"NumericNotEquals":{"n:k":"10"}}`, ctx("n:k", "10"), false, Principal{}},
		{"NumericLessThan", `{"NumericLessThan":{"n:k":"10"}}`, ctx("n:k", "9.5"), true, Principal{}},
		{"NumericLessThan boundary", `{"NumericLessThan":{"n:k":"10"}}`, ctx("n:k", "10"), false, Principal{}},
		{"NumericLessThanEquals boundary", `{"NumericLessThanEquals":{"n:k":"10"}}`, ctx("n:k", "10"), true, Principal{}},
		{"NumericLessThanEquals above", `{"NumericLessThanEquals":{"n:k":"10"}}`, ctx("n:k", "10.01"), false, Principal{}},
		{"NumericGreaterThan", `{"NumericGreaterThan":{"n:k":"10"}}`, ctx("n:k", "11"), true, Principal{}},
		{"NumericGreaterThan boundary", `{"NumericGreaterThan":{"n:k":"10"}}`, ctx("n:k", "10"), false, Principal{}},
		{"NumericGreaterThanEquals boundary", `{"NumericGreaterThanEquals":{"n:k":"10"}}`, ctx("n:k", "10"), true, Principal{}},
		{"NumericGreaterThanEquals below", `{"NumericGreaterThanEquals":{"n:k":"10"}}`, ctx("n:k", "-3"), false, Principal{}},
		{"NumericLessThan missing", `{"NumericLessThan":{"n:k":"10"}}`, nil, false, Principal{}},

		{"DateLessThan ISO", `{"DateLessThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}}`, ctx("aws:currenttime", "2024-12-31T23:59:59Z"), true, Principal{}},
		{"DateLessThan ISO after", `{"DateLessThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}}`, ctx("aws:currenttime", "2025-01-01T00:00:01Z"), false, Principal{}},
		{"DateLessThan epoch request vs ISO policy", `{"DateLessThan":{"aws:EpochTime":"2025-01-01T00:00:00Z"}}`, ctx("aws:epochtime", "1735689599"), true, Principal{}},
		{"DateLessThan epoch request vs ISO policy (equal)", `{"DateLessThan":{"aws:EpochTime":"2025-01-01T00:00:00Z"}}`, ctx("aws:epochtime", "1735689600"), false, Principal{}},
		{"DateLessThanEquals epoch policy", `{"DateLessThanEquals":{"aws:CurrentTime":1735689600}}`, ctx("aws:currenttime", "2025-01-01T00:00:00Z"), true, Principal{}},
		{"DateGreaterThan date only", `{"DateGreaterThan":{"aws:CurrentTime":"2024-06-01"}}`, ctx("aws:currenttime", "2024-06-01T00:00:01Z"), true, Principal{}},
		{"DateGreaterThan before", `{"DateGreaterThan":{"aws:CurrentTime":"2024-06-01"}}`, ctx("aws:currenttime", "2024-05-31T23:00:00Z"), false, Principal{}},
		{"DateGreaterThanEquals timezone", `{"DateGreaterThanEquals":{"aws:CurrentTime":"2024-06-01T02:00:00+02:00"}}`, ctx("aws:currenttime", "2024-06-01T00:00:00Z"), true, Principal{}},
		{"DateEquals", `{"DateEquals":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}`, ctx("aws:currenttime", "1717200000"), true, Principal{}},
		{"DateNotEquals", `{"DateNotEquals":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}`, ctx("aws:currenttime", "1717200000"), false, Principal{}},
		{"DateNotEquals different", `{"DateNotEquals":{"aws:CurrentTime":"2024-06-01T00:00:00Z"}}`, ctx("aws:currenttime", "1717200001"), true, Principal{}},
		{"Date garbage request", `{"DateLessThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}}`, ctx("aws:currenttime", "yesterday"), false, Principal{}},

		{"Bool true", `{"Bool":{"aws:SecureTransport":"true"}}`, ctx("aws:securetransport", "true"), true, Principal{}},
		{"Bool JSON true, TRUE request", `{"Bool":{"aws:SecureTransport":true}}`, ctx("aws:securetransport", "TRUE"), true, Principal{}},
		{"Bool false vs true", `{"Bool":{"aws:SecureTransport":"false"}}`, ctx("aws:securetransport", "true"), false, Principal{}},
		{"Bool missing", `{"Bool":{"aws:SecureTransport":"true"}}`, nil, false, Principal{}},
		{"BoolIfExists missing", `{"BoolIfExists":{"aws:MultiFactorAuthPresent":"true"}}`, nil, true, Principal{}},

		{"BinaryEquals", `{"BinaryEquals":{"b:k":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctx("b:k", "QmluYXJ5VmFsdWVJbkJhc2U2NA=="), true, Principal{}},
		{"BinaryEquals different", `{"BinaryEquals":{"b:k":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}}`, ctx("b:k", "b3RoZXI="), false, Principal{}},
	})
}

func TestConditionIPAndArn(t *testing.T) {
	runCond(t, Version2012, []condCase{
		{"IpAddress v4 in", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:sourceip", "203.0.113.77"), true, Principal{}},
		{"IpAddress v4 out", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:sourceip", "203.0.114.1"), false, Principal{}},
		{"IpAddress list ORed", `{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","203.0.113.0/24"]}}`, ctx("aws:sourceip", "10.1.2.3"), true, Principal{}},
		{"IpAddress single address", `{"IpAddress":{"aws:SourceIp":"192.0.2.1"}}`, ctx("aws:sourceip", "192.0.2.1"), true, Principal{}},
		{"IpAddress single address other", `{"IpAddress":{"aws:SourceIp":"192.0.2.1"}}`, ctx("aws:sourceip", "192.0.2.2"), false, Principal{}},
		{"IpAddress v6 in", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ctx("aws:sourceip", "2001:db8:1::5"), true, Principal{}},
		{"IpAddress v6 out", `{"IpAddress":{"aws:SourceIp":"2001:db8::/32"}}`, ctx("aws:sourceip", "2001:db9::5"), false, Principal{}},
		{"IpAddress v4-mapped request", `{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:sourceip", "::ffff:203.0.113.9"), true, Principal{}},
		{"IpAddress v4 CIDR vs v6 request", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, ctx("aws:sourceip", "2001:db8::1"), false, Principal{}},
		{"IpAddress garbage request", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`, ctx("aws:sourceip", "nope"), false, Principal{}},
		{"NotIpAddress outside", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:sourceip", "198.51.100.1"), true, Principal{}},
		{"NotIpAddress inside", `{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`, ctx("aws:sourceip", "203.0.113.1"), false, Principal{}},

		{"ArnLike match", `{"ArnLike":{"aws:SourceArn":"arn:aws:sms-voice:us-east-1:111122223333:*"}}`, ctx("aws:sourcearn", phoneARN), true, Principal{}},
		{"ArnLike wildcard region", `{"ArnLike":{"aws:SourceArn":"arn:aws:sms-voice:*:111122223333:phone-number/*"}}`, ctx("aws:sourcearn", phoneARN), true, Principal{}},
		{"ArnLike wrong account", `{"ArnLike":{"aws:SourceArn":"arn:aws:sms-voice:us-east-1:111122223333:*"}}`, ctx("aws:sourcearn", "arn:aws:sms-voice:us-east-1:999999999999:pool/p"), false, Principal{}},
		{"ArnLike star cannot span segments", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:*:inbound"}}`, ctx("aws:sourcearn", "arn:aws:sns:us-east-1:111:222:inbound"), false, Principal{}},
		{"StringLike star does span segments", `{"StringLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:*:inbound"}}`, ctx("aws:sourcearn", "arn:aws:sns:us-east-1:111:222:inbound"), true, Principal{}},
		{"ArnLike resource part may contain colons", `{"ArnLike":{"aws:SourceArn":"arn:aws:logs:us-east-1:111122223333:log-group:*"}}`, ctx("aws:sourcearn", "arn:aws:logs:us-east-1:111122223333:log-group:g:log-stream:s"), true, Principal{}},
		{"ArnLike question mark within segment", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-?:111122223333:inbound"}}`, ctx("aws:sourcearn", topicARN), true, Principal{}},
		{"ArnLike case-sensitive", `{"ArnLike":{"aws:SourceArn":"arn:aws:SNS:us-east-1:111122223333:inbound"}}`, ctx("aws:sourcearn", topicARN), false, Principal{}},
		{"ArnLike non-ARN value", `{"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}}`, ctx("aws:sourcearn", "inbound"), false, Principal{}},
		{"ArnEquals exact", `{"ArnEquals":{"aws:SourceArn":"` + topicARN + `"}}`, ctx("aws:sourcearn", topicARN), true, Principal{}},
		{"ArnEquals supports wildcards too", `{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:*:111122223333:inbound"}}`, ctx("aws:sourcearn", topicARN), true, Principal{}},
		{"ArnEquals mismatch", `{"ArnEquals":{"aws:SourceArn":"` + topicARN + `"}}`, ctx("aws:sourcearn", otherTopicARN), false, Principal{}},
		{"ArnNotEquals different", `{"ArnNotEquals":{"aws:SourceArn":"` + topicARN + `"}}`, ctx("aws:sourcearn", otherTopicARN), true, Principal{}},
		{"ArnNotEquals same", `{"ArnNotEquals":{"aws:SourceArn":"` + topicARN + `"}}`, ctx("aws:sourcearn", topicARN), false, Principal{}},
		{"ArnNotLike match", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:in*"}}`, ctx("aws:sourcearn", topicARN), false, Principal{}},
		{"ArnNotLike no match", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:in*"}}`, ctx("aws:sourcearn", otherTopicARN), true, Principal{}},
		{"ArnNotLike missing", `{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:in*"}}`, nil, true, Principal{}},
	})
}

func TestConditionPolicyVariables(t *testing.T) {
	bob := Principal{Account: acct, ARN: "arn:aws:iam::111122223333:user/bob"}
	cases := []condCase{
		{"username substituted", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, ctx("s3:prefix", "home/alice/docs"), true, alice},
		{"username other user", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, ctx("s3:prefix", "home/alice/docs"), false, bob},
		{"username unresolvable for a role session", `{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, ctx("s3:prefix", "home/alice/docs"), false, session},
		{"negated operator with unresolvable variable", `{"StringNotEquals":{"s3:prefix":"${aws:username}"}}`, ctx("s3:prefix", "x"), true, session},
		{"SourceAccount variable in StringEquals", `{"StringEquals":{"aws:ResourceAccount":"${aws:SourceAccount}"}}`, ctx("aws:sourceaccount", acct), true, Principal{}},
		{"SourceAccount variable mismatch", `{"StringEquals":{"aws:ResourceAccount":"${aws:SourceAccount}"}}`, ctx("aws:sourceaccount", otherAcct), false, Principal{}},
		{"PrincipalAccount variable (derived)", `{"StringEquals":{"aws:ResourceAccount":"${aws:PrincipalAccount}"}}`, nil, true, alice},
		{"PrincipalAccount variable cross-account", `{"StringEquals":{"aws:ResourceAccount":"${aws:PrincipalAccount}"}}`, nil, false, mallory},
		{"variable default value", `{"StringEquals":{"s:team":"${aws:PrincipalTag/team, 'none'}"}}`, ctx("s:team", "none"), true, alice},
		{"variable default value overridden", `{"StringEquals":{"s:team":"${aws:PrincipalTag/team, 'none'}"}}`, ctx("s:team", "none", "aws:principaltag/team", "ops"), false, alice},
		{"${*} is a literal star", `{"StringLike":{"s:k":"a${*}b"}}`, ctx("s:k", "a*b"), true, Principal{}},
		{"${*} does not act as a wildcard", `{"StringLike":{"s:k":"a${*}b"}}`, ctx("s:k", "axb"), false, Principal{}},
		{"${?} and ${$} escapes", `{"StringEquals":{"s:k":"${?}${$}"}}`, ctx("s:k", "?$"), true, Principal{}},
		{"variable value is literal, not a wildcard", `{"StringLike":{"s:k":"${s:pat}"}}`, ctx("s:k", "anything", "s:pat", "*"), false, Principal{}},
		{"variable in ArnLike", `{"ArnLike":{"aws:SourceArn":"arn:aws:sms-voice:*:${aws:SourceAccount}:*"}}`, ctx("aws:sourcearn", phoneARN, "aws:sourceaccount", acct), true, Principal{}},
		{"variable in ArnLike mismatch", `{"ArnLike":{"aws:SourceArn":"arn:aws:sms-voice:*:${aws:SourceAccount}:*"}}`, ctx("aws:sourcearn", phoneARN, "aws:sourceaccount", otherAcct), false, Principal{}},
		{"variables not substituted in Numeric", `{"NumericEquals":{"n:k":"${n:other}"}}`, ctx("n:k", "5", "n:other", "5"), false, Principal{}},
	}
	runCond(t, Version2012, cases)
	// Version 2008-10-17 (and absent Version) treat ${...} as literal text.
	for _, v := range []string{Version2008, ""} {
		runCond(t, v, []condCase{
			{"literal variable text " + v, `{"StringEquals":{"s:k":"${aws:username}"}}`, ctx("s:k", "${aws:username}"), true, alice},
			{"no substitution " + v, `{"StringEquals":{"s:k":"${aws:username}"}}`, ctx("s:k", "alice"), false, alice},
		})
	}
}

func TestConditionWhyNot(t *testing.T) {
	cases := []struct {
		cond string
		ctx  map[string][]string
		p    Principal
		want string
	}{
		{`{"StringEquals":{"aws:SourceAccount":"111122223333"}}`, ctx("aws:sourceaccount", otherAcct), Principal{},
			`condition StringEquals aws:SourceAccount: "999999999999" not in ["111122223333"]`},
		{`{"StringNotEquals":{"s:k":["a","b"]}}`, ctx("s:k", "b"), Principal{}, `condition StringNotEquals s:k: "b" is in ["a", "b"]`},
		{`{"ForAllValues:StringEquals":{"aws:TagKeys":["env"]}}`, multi("aws:tagkeys", "env", "owner"), Principal{},
			`condition ForAllValues:StringEquals aws:TagKeys: value "owner" not in ["env"]`},
		{`{"ForAnyValue:StringEquals":{"aws:TagKeys":["env"]}}`, nil, Principal{}, `key is absent from the request (ForAnyValue needs at least one value)`},
		{`{"Null":{"aws:TokenIssueTime":"true"}}`, ctx("aws:tokenissuetime", "t"), Principal{}, `condition Null aws:TokenIssueTime: key is present ("t"), want Null ["true"]`},
		{`{"NumericLessThan":{"n:k":"10"}}`, ctx("n:k", "12"), Principal{}, `condition NumericLessThan n:k: "12" is not less than any of ["10"]`},
		{`{"StringLike":{"s:k":"home/${aws:username}/*"}}`, ctx("s:k", "home/x/y"), session, `(unresolvable policy variable ${aws:username})`},
		{`{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:in*"}}`, ctx("aws:sourcearn", topicARN), Principal{}, `"` + topicARN + `" matches ["arn:aws:sns:*:*:in*"]`},
	}
	for _, tc := range cases {
		p := condPolicy(t, Version2012, tc.cond)
		r := p.Evaluate(Request{Principal: tc.p, Action: "s:A", Context: tc.ctx})
		if r.Decision != NotApplicable || r.Statement != 0 || r.Sid != "C" || !strings.Contains(r.Reason, tc.want) {
			t.Errorf("%s: %+v\nwant reason containing %q", tc.cond, r, tc.want)
		}
	}
}

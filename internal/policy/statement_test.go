package policy

import (
	"strings"
	"testing"
)

func TestNotActionNotResourceNotPrincipal(t *testing.T) {
	notAction := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Sid":"AllButIAM","Effect":"Allow","NotAction":["iam:*","sts:*"],"Resource":"*"}]}`, IdentityPolicy)
	runEval(t, notAction, []evalCase{
		{"NotAction allows other services", Request{Principal: alice, Action: "sns:Publish", Resource: topicARN}, Allow, ""},
		{"NotAction excludes iam", Request{Principal: alice, Action: "iam:CreateUser"}, NotApplicable, `action iam:CreateUser is excluded by NotAction ["iam:*", "sts:*"]`},
		{"NotAction excludes case-insensitively", Request{Principal: alice, Action: "STS:AssumeRole"}, NotApplicable, "excluded by NotAction"},
	})
	notResource := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"All","Effect":"Allow","Action":"sns:*","Resource":"*"},
		{"Sid":"OnlyInbound","Effect":"Deny","Action":"sns:Publish","NotResource":["`+topicARN+`"]}]}`, IdentityPolicy)
	runEval(t, notResource, []evalCase{
		{"NotResource deny applies elsewhere", Request{Principal: alice, Action: "sns:Publish", Resource: otherTopicARN}, Deny, `denied by statement "OnlyInbound"`},
		{"NotResource deny skips listed resource", Request{Principal: alice, Action: "sns:Publish", Resource: topicARN}, Allow, `allowed by statement "All"`},
		{"deny only for its action", Request{Principal: alice, Action: "sns:Subscribe", Resource: otherTopicARN}, Allow, ""},
	})
	notResourceAllow := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish","NotResource":"arn:aws:sns:*:*:secret-*"}]}`, IdentityPolicy)
	runEval(t, notResourceAllow, []evalCase{
		{"NotResource allow", Request{Principal: alice, Action: "sns:Publish", Resource: topicARN}, Allow, ""},
		{"NotResource allow excluded", Request{Principal: alice, Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:111122223333:secret-x"}, NotApplicable,
			`resource arn:aws:sns:us-east-1:111122223333:secret-x is excluded by NotResource ["arn:aws:sns:*:*:secret-*"]`},
	})
	notPrincipal := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"Everyone","Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*"},
		{"Sid":"OnlyTheRole","Effect":"Deny","NotPrincipal":{"AWS":["`+roleARN+`","111122223333"],"Service":"sms-voice.amazonaws.com"},"Action":"sns:Publish","Resource":"*"}]}`, ResourcePolicy)
	runEval(t, notPrincipal, []evalCase{
		{"NotPrincipal deny hits outsider", Request{Principal: mallory, Action: "sns:Publish", Resource: topicARN}, Deny, `denied by statement "OnlyTheRole"`},
		{"NotPrincipal deny hits other service", Request{Principal: svcSNS, Action: "sns:Publish", Resource: topicARN}, Deny, ""},
		{"NotPrincipal deny skips role session", Request{Principal: session, Action: "sns:Publish", Resource: topicARN}, Allow, `"Everyone"`},
		{"NotPrincipal deny skips listed account", Request{Principal: alice, Action: "sns:Publish", Resource: topicARN}, Allow, ""},
		{"NotPrincipal deny skips listed service", Request{Principal: svcSMS, Action: "sns:Publish", Resource: topicARN}, Allow, ""},
	})
	notPrincipalAllow := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Sid":"NotMallory","Effect":"Allow","NotPrincipal":{"AWS":"`+otherUserARN+`"},"Action":"sns:Publish","Resource":"*"}]}`, ResourcePolicy)
	runEval(t, notPrincipalAllow, []evalCase{
		{"NotPrincipal allow", Request{Principal: alice, Action: "sns:Publish", Resource: topicARN}, Allow, ""},
		{"NotPrincipal allow excluded", Request{Principal: mallory, Action: "sns:Publish", Resource: topicARN}, NotApplicable, "principal " + otherUserARN + " is excluded by NotPrincipal"},
	})
}

func TestPrincipalMatching(t *testing.T) {
	pol := func(principal string) *Policy {
		return mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":`+principal+`,"Action":"sns:Publish","Resource":"*"}]}`, ResourcePolicy)
	}
	web := Principal{Federated: "cognito-identity.amazonaws.com"}
	otherRoleSession := Principal{Account: acct, ARN: "arn:aws:sts::111122223333:assumed-role/OtherRole/s"}
	otherAcctSameName := Principal{Account: otherAcct, ARN: "arn:aws:sts::999999999999:assumed-role/SMSVoiceRole/s"}
	cases := []struct {
		principal string
		p         Principal
		want      bool
	}{
		{`"*"`, alice, true},
		{`"*"`, svcSMS, true},
		{`{"AWS":"*"}`, mallory, true},
		{`{"AWS":"*"}`, svcSMS, false},
		{`{"AWS":"111122223333"}`, alice, true},
		{`{"AWS":"111122223333"}`, session, true},
		{`{"AWS":"111122223333"}`, mallory, false},
		{`{"AWS":"111122223333"}`, svcSMS, false},
		{`{"AWS":"arn:aws:iam::111122223333:root"}`, alice, true},
		{`{"AWS":"arn:aws:iam::111122223333:root"}`, mallory, false},
		{`{"AWS":"` + roleARN + `"}`, session, true},
		{`{"AWS":"` + roleARN + `"}`, Principal{Account: acct, ARN: roleARN}, true},
		{`{"AWS":"` + roleARN + `"}`, otherRoleSession, false},
		{`{"AWS":"` + roleARN + `"}`, otherAcctSameName, false},
		{`{"AWS":"` + roleARN + `"}`, alice, false},
		{`{"AWS":"arn:aws:iam::111122223333:role/service-role/SMSVoiceRole"}`, session, true}, // role path is not in the session ARN
		{`{"AWS":"` + userARN + `"}`, alice, true},
		{`{"AWS":"` + userARN + `"}`, Principal{Account: acct, ARN: "arn:aws:iam::111122223333:user/alice2"}, false},
		{`{"AWS":"` + sessionARN + `"}`, session, true},
		{`{"AWS":"` + sessionARN + `"}`, Principal{Account: acct, ARN: roleARN}, false},
		{`{"Service":"sms-voice.amazonaws.com"}`, svcSMS, true},
		{`{"Service":"SMS-Voice.amazonaws.com"}`, svcSMS, true},
		{`{"Service":["sns.amazonaws.com","sms-voice.amazonaws.com"]}`, svcSMS, true},
		{`{"Service":"sms-voice.amazonaws.com"}`, svcSNS, false},
		{`{"Service":"sms-voice.amazonaws.com"}`, alice, false},
		{`{"Federated":"cognito-identity.amazonaws.com"}`, web, true},
		{`{"Federated":"cognito-identity.amazonaws.com"}`, alice, false},
		{`{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`, alice, false},
		{`{"AWS":["999999999999","` + roleARN + `"]}`, session, true},
		{`{"AWS":["999999999999","` + roleARN + `"]}`, alice, false},
	}
	for _, tc := range cases {
		r := pol(tc.principal).Evaluate(Request{Principal: tc.p, Action: "sns:Publish", Resource: topicARN})
		if got := r.Decision == Allow; got != tc.want {
			t.Errorf("Principal %s vs %+v: got %v, want %v (%s)", tc.principal, tc.p, got, tc.want, r.Reason)
		}
	}
}

func TestResourceMatching(t *testing.T) {
	pol := func(version, resource string) *Policy {
		v := ""
		if version != "" {
			v = `"Version":"` + version + `",`
		}
		return mustParse(t, `{`+v+`"Statement":[{"Effect":"Allow","Action":"*","Resource":"`+resource+`"}]}`, IdentityPolicy)
	}
	cases := []struct {
		version, pattern, resource string
		p                          Principal
		want                       bool
	}{
		{Version2012, "*", topicARN, alice, true},
		{Version2012, "*", "", alice, true},
		{Version2012, topicARN, topicARN, alice, true},
		{Version2012, topicARN, topicARN + "2", alice, false},
		{Version2012, topicARN, "", alice, false},
		{Version2012, "arn:aws:sns:*:111122223333:inbound", topicARN, alice, true},
		{Version2012, "arn:aws:sns:*:111122223333:in*", topicARN, alice, true},
		{Version2012, "arn:aws:sns:us-east-?:111122223333:inbound", topicARN, alice, true},
		{Version2012, "arn:aws:sns:us-east-?:111122223333:inbound", "arn:aws:sns:us-east-10:111122223333:inbound", alice, false},
		{Version2012, "arn:aws:sns:*", topicARN, alice, true},                                                   // trailing * expands past colons
		{Version2012, "arn:aws:sns:*", keyARN, alice, false},                                                    // but the service segment must match
		{Version2012, "arn:aws:sns:us-east-1:*:inbound", "arn:aws:sns:us-east-1:111:222:inbound", alice, false}, // * in a segment cannot span colons
		{Version2012, "arn:aws:sns:us-east-1", topicARN, alice, false},
		{Version2012, "arn:aws:SNS:us-east-1:111122223333:inbound", topicARN, alice, false}, // case-sensitive
		{Version2012, "arn:aws:kms:*:111122223333:key/*", keyARN, alice, true},
		{Version2012, "arn:aws:kms:*:111122223333:alias/*", keyARN, alice, false},
		{Version2012, "arn:aws:sns:us-east-1:${aws:PrincipalAccount}:${aws:username}-inbox", "arn:aws:sns:us-east-1:111122223333:alice-inbox", alice, true},
		{Version2012, "arn:aws:sns:us-east-1:${aws:PrincipalAccount}:${aws:username}-inbox", "arn:aws:sns:us-east-1:111122223333:bob-inbox", alice, false},
		{Version2012, "arn:aws:sns:us-east-1:${aws:PrincipalAccount}:${aws:username}-inbox", "arn:aws:sns:us-east-1:111122223333:alice-inbox", session, false}, // unresolvable
		{Version2012, "arn:aws:sns:us-east-1:${aws:PrincipalAccount}:*", "arn:aws:sns:us-east-1:999999999999:x", alice, false},
		{Version2008, "arn:aws:sns:us-east-1:111122223333:${aws:username}", "arn:aws:sns:us-east-1:111122223333:alice", alice, false},
		{Version2008, "arn:aws:sns:us-east-1:111122223333:${aws:username}", "arn:aws:sns:us-east-1:111122223333:${aws:username}", alice, true},
		{Version2012, "arn:aws:s3:::bucket/${*}", "arn:aws:s3:::bucket/*", alice, true},
		{Version2012, "arn:aws:s3:::bucket/${*}", "arn:aws:s3:::bucket/x", alice, false},
	}
	for _, tc := range cases {
		r := pol(tc.version, tc.pattern).Evaluate(Request{Principal: tc.p, Action: "sns:Publish", Resource: tc.resource})
		if got := r.Decision == Allow; got != tc.want {
			t.Errorf("%s Resource %q vs %q: got %v, want %v (%s)", tc.version, tc.pattern, tc.resource, got, tc.want, r.Reason)
		}
	}
	r := pol(Version2012, "arn:aws:sns:us-east-1:111122223333:${aws:username}").Evaluate(Request{Principal: session, Action: "sns:Publish", Resource: topicARN})
	if !strings.Contains(r.Reason, "unresolvable policy variable") {
		t.Errorf("reason %q does not mention the unresolvable variable", r.Reason)
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pat, s string
		fold   bool
		want   bool
	}{
		{"*", "", false, true},
		{"", "", false, true},
		{"", "a", false, false},
		{"a*", "a", false, true},
		{"*a", "ba", false, true},
		{"*a", "ab", false, false},
		{"a*b*c", "aXbYbZc", false, true},
		{"a*b*c", "aXbYbZ", false, false},
		{"a**c", "abc", false, true},
		{"a?c", "abc", false, true},
		{"a?c", "ac", false, false},
		{"a?c", "a\u00e9c", false, true}, // ? is one character, not one byte
		{"*ab*ab", "abababab", false, true},
		{"kms:generatedatakey*", "KMS:GenerateDataKeyWithoutPlaintext", true, true},
		{"kms:generatedatakey*", "kms:Encrypt", true, false},
		{"sns:publish", "SNS:Publish", true, true},
		{"sns:publish", "SNS:Publish", false, false},
	}
	for _, tc := range cases {
		p := compilePattern(tc.pat, true, false, tc.fold)
		if got := p.match(tc.s, nil); got != tc.want {
			t.Errorf("glob %q vs %q (fold=%v) = %v, want %v", tc.pat, tc.s, tc.fold, got, tc.want)
		}
	}
}

func TestDerivedContextKeys(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
		"StringEquals":{"aws:PrincipalAccount":"111122223333","aws:username":"alice","aws:ResourceAccount":"111122223333"},
		"ArnEquals":{"aws:PrincipalArn":"`+userARN+`"}}}]}`, IdentityPolicy)
	if r := p.Evaluate(Request{Principal: alice, Action: "sns:Publish", Resource: topicARN}); r.Decision != Allow {
		t.Fatalf("derived keys: %s", r.Reason)
	}
	// Explicit context wins over derivation.
	if r := p.Evaluate(Request{Principal: alice, Action: "sns:Publish", Resource: topicARN, Context: ctx("aws:username", "bob")}); r.Decision != NotApplicable {
		t.Fatalf("explicit context ignored")
	}
	// No resource account without a resource ARN.
	if r := p.Evaluate(Request{Principal: alice, Action: "sns:Publish"}); r.Decision != NotApplicable || !strings.Contains(r.Reason, "aws:ResourceAccount: key is absent") {
		t.Fatalf("resource account derived from nothing: %+v", r)
	}
	svc := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalServiceName":"sms-voice.amazonaws.com"}}}]}`, ResourcePolicy)
	if r := svc.Evaluate(Request{Principal: svcSMS, Action: "sns:Publish"}); r.Decision != Allow {
		t.Fatalf("aws:PrincipalServiceName: %s", r.Reason)
	}
	if r := svc.Evaluate(Request{Principal: alice, Action: "sns:Publish"}); r.Decision != NotApplicable {
		t.Fatalf("aws:PrincipalServiceName for a user")
	}
}

func TestEvaluateEdgeCases(t *testing.T) {
	var nilPolicy *Policy
	if r := nilPolicy.Evaluate(Request{Action: "a:b"}); r.Decision != NotApplicable || r.Statement != -1 {
		t.Fatalf("nil policy: %+v", r)
	}
	onlyDeny := mustParse(t, `{"Statement":{"Effect":"Deny","Action":"sns:Delete*","Resource":"*"}}`, IdentityPolicy)
	r := onlyDeny.Evaluate(Request{Principal: alice, Action: "sns:Publish"})
	if r.Decision != NotApplicable || r.Statement != -1 || !strings.Contains(r.Reason, "no Allow statement") {
		t.Fatalf("deny-only policy: %+v", r)
	}
	// Deny wins regardless of statement order.
	both := mustParse(t, `{"Statement":[{"Sid":"D","Effect":"Deny","Action":"sns:*","Resource":"*"},{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}]}`, IdentityPolicy)
	if r := both.Evaluate(Request{Principal: alice, Action: "sns:Publish"}); r.Decision != Deny || r.Sid != "D" || r.Statement != 0 {
		t.Fatalf("deny first: %+v", r)
	}
	both2 := mustParse(t, `{"Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"D","Effect":"Deny","Action":"sns:*","Resource":"*"}]}`, IdentityPolicy)
	if r := both2.Evaluate(Request{Principal: alice, Action: "sns:Publish"}); r.Decision != Deny || r.Sid != "D" || r.Statement != 1 {
		t.Fatalf("deny last: %+v", r)
	}
	// Statements without Sid are labelled by index.
	if r := both2.Evaluate(Request{Principal: alice, Action: "s3:GetObject"}); r.Decision != Allow || r.Reason != `allowed by statement "A"` {
		t.Fatalf("%+v", r)
	}
	noSid := mustParse(t, `{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"},{"Effect":"Allow","Action":"a:c","Resource":"*"}]}`, IdentityPolicy)
	if r := noSid.Evaluate(Request{Action: "a:c"}); r.Reason != "allowed by statement #1" {
		t.Fatalf("%+v", r)
	}
}

func TestClosestStatementTieAndUnresolvedWildcard(t *testing.T) {
	p := mustParse(t, `{"Version":"2012-10-17","Statement":[
		{"Sid":"First","Effect":"Allow","Action":"sns:Publish","Resource":"*","Condition":{"StringEquals":{"a:x":"1"}}},
		{"Sid":"Second","Effect":"Allow","Action":"sns:Publish","Resource":"*","Condition":{"StringEquals":{"a:x":"2"}}},
		{"Sid":"Far","Effect":"Allow","Action":"sns:Subscribe","Resource":"*"}]}`, IdentityPolicy)
	r := p.Evaluate(Request{Action: "sns:Publish", Context: ctx("a:x", "3")})
	if r.Decision != NotApplicable || r.Statement != 0 || r.Sid != "First" ||
		!strings.Contains(r.Reason, `statement "First": condition`) || !strings.Contains(r.Reason, `statement "Second": condition`) || strings.Contains(r.Reason, "Far") {
		t.Fatalf("%+v", r)
	}
	// An unresolvable variable must not degrade to the empty string.
	v := condPolicy(t, Version2012, `{"StringLike":{"s:k":"${aws:username}*"}}`)
	if r := v.Evaluate(Request{Principal: session, Action: "a:b", Context: ctx("s:k", "anything")}); r.Decision != NotApplicable {
		t.Fatalf("unresolvable variable treated as empty: %+v", r)
	}
	if r := v.Evaluate(Request{Principal: alice, Action: "a:b", Context: ctx("s:k", "alice-1")}); r.Decision != Allow {
		t.Fatalf("resolvable variable: %+v", r)
	}
}

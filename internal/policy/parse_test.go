package policy

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSeedDocuments(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  string
		kind Kind
		n    int
	}{
		{"trust", trustDoc, TrustPolicy, 1},
		{"permission", permissionDoc, IdentityPolicy, 2},
		{"topic statement", topicDoc, ResourcePolicy, 1},
		{"key statement", keyStatementDoc, ResourcePolicy, 1},
		{"connect", connectDoc, IdentityPolicy, 1},
		{"default topic", defaultTopicDoc, ResourcePolicy, 1},
		{"default key", defaultKeyDoc, ResourcePolicy, 1},
		{"topic with default", topicWithDefaultDoc, ResourcePolicy, 2},
		{"key with default", keyWithDefaultDoc, ResourcePolicy, 2},
	} {
		p := mustParse(t, tc.doc, tc.kind)
		if len(p.Statements) != tc.n || p.Kind() != tc.kind {
			t.Errorf("%s: %d statements, kind %v", tc.name, len(p.Statements), p.Kind())
		}
		if _, err := Parse(tc.doc); err != nil {
			t.Errorf("%s: lenient Parse: %v", tc.name, err)
		}
	}
	p := mustParse(t, defaultTopicDoc, ResourcePolicy)
	if p.Version != Version2008 || p.ID != "__default_policy_ID" || p.Statements[0].Sid != "__default_statement_ID" || p.Statements[0].Effect != Allow || p.Statements[0].Index != 0 {
		t.Fatalf("fields: %+v", p)
	}
}

func TestParseValidVariants(t *testing.T) {
	docs := []string{
		`{"Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}`, // object Statement, no Version
		`{"Version":"2008-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*"],"NotResource":"arn:aws:iam::*"}]}`,
		`  {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get?bject","Resource":"*"}]}  `, // surrounding whitespace
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"n:x":[1,2.5]}}}]}`,
	}
	for _, d := range docs {
		if _, err := ParseKind(d, IdentityPolicy); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
}

func TestParseMalformed(t *testing.T) {
	const ok = `"Effect":"Allow","Action":"sns:Publish","Resource":"*"`
	cases := []struct {
		name    string
		doc     string
		kind    Kind
		msg     string // exact Message
		errHas  string // substring of Error()
		stmtIdx int
	}{
		{"empty", ``, AnyPolicy, MsgSyntax, "", -1},
		{"truncated", `{"Statement":[`, AnyPolicy, MsgSyntax, "offset", -1},
		{"not an object", `[]`, AnyPolicy, MsgSyntax, "", -1},
		{"trailing data", `{"Statement":{` + ok + `}} {}`, AnyPolicy, MsgSyntax, "unexpected data", -1},
		{"missing Statement", `{"Version":"2012-10-17"}`, AnyPolicy, MsgMissingStatement, "", -1},
		{"empty Statement", `{"Version":"2012-10-17","Statement":[]}`, AnyPolicy, MsgEmptyStatement, "", -1},
		{"Statement is a string", `{"Statement":"x"}`, AnyPolicy, MsgSyntax, "", -1},
		{"Statement item not an object", `{"Statement":[{` + ok + `},"x"]}`, AnyPolicy, MsgSyntax, "Statement[1]", 1},
		{"invalid Version", `{"Version":"2012-10-18","Statement":{` + ok + `}}`, AnyPolicy, MsgLegacyParsing, `invalid Version "2012-10-18"`, -1},
		{"numeric Version", `{"Version":2012,"Statement":{` + ok + `}}`, AnyPolicy, MsgSyntax, "Version must be a string", -1},
		{"unknown top-level key", `{"Statements":[]}`, AnyPolicy, MsgSyntax, `unknown field "Statements"`, -1},
		{"unknown statement key", `{"Statement":[{"Sid":"A",` + ok + `,"Actions":"x"}]}`, AnyPolicy, MsgSyntax, `Statement[0], Sid "A": unknown field "Actions"`, 0},
		{"missing Effect", `{"Statement":[{` + ok + `},{"Sid":"NoEffect","Action":"sns:Publish","Resource":"*"}]}`, AnyPolicy, MsgMissingEffect, `Statement[1], Sid "NoEffect"`, 1},
		{"invalid effect", `{"Statement":[{"Sid":"X","Effect":"Alow","Action":"sns:Publish","Resource":"*"}]}`, AnyPolicy, "Invalid effect: Alow", `Invalid effect: Alow (Statement[0], Sid "X")`, 0},
		{"lower-case effect", `{"Statement":[{"Effect":"allow","Action":"sns:Publish","Resource":"*"}]}`, AnyPolicy, "Invalid effect: allow", "", 0},
		{"lower-case Deny", `{"Statement":[{"Effect":"deny","Action":"sns:Publish","Resource":"*"}]}`, AnyPolicy, "Invalid effect: deny", "", 0},
		{"Effect not a string", `{"Statement":[{"Effect":true,"Action":"sns:Publish","Resource":"*"}]}`, AnyPolicy, MsgSyntax, "Effect must be a string", 0},
		{"both Action and NotAction", `{"Statement":[{"Effect":"Allow","Action":"a:b","NotAction":"a:c","Resource":"*"}]}`, AnyPolicy, MsgSyntax, "both Action and NotAction", 0},
		{"neither Action nor NotAction", `{"Statement":[{"Effect":"Allow","Resource":"*"}]}`, AnyPolicy, MsgMissingActions, "", 0},
		{"empty Action list", `{"Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, AnyPolicy, MsgMissingActions, "", 0},
		{"Action without vendor", `{"Statement":[{"Effect":"Allow","Action":"Publish","Resource":"*"}]}`, AnyPolicy, MsgActionVendor, `Action "Publish"`, 0},
		{"Action with two colons", `{"Statement":[{"Effect":"Allow","Action":"sns:Publish:x","Resource":"*"}]}`, AnyPolicy, MsgActionColon, "", 0},
		{"Action not a string", `{"Statement":[{"Effect":"Allow","Action":[5],"Resource":"*"}]}`, AnyPolicy, MsgSyntax, "Action must be a string or a list of strings", 0},
		{"both Resource and NotResource", `{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","NotResource":"*"}]}`, AnyPolicy, MsgSyntax, "both Resource and NotResource", 0},
		{"both Principal and NotPrincipal", `{"Statement":[{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"a:b","Resource":"*"}]}`, AnyPolicy, MsgSyntax, "both Principal and NotPrincipal", 0},
		{"unknown condition operator", `{"Statement":[{"Sid":"C",` + ok + `,"Condition":{"StringEqualsX":{"a:b":"c"}}}]}`, AnyPolicy, "Unknown condition operator: StringEqualsX", `Sid "C"`, 0},
		{"NullIfExists", `{"Statement":[{` + ok + `,"Condition":{"NullIfExists":{"a:b":"true"}}}]}`, AnyPolicy, "Unknown condition operator: NullIfExists", "", 0},
		{"condition value object", `{"Statement":[{` + ok + `,"Condition":{"StringEquals":{"a:b":{"c":"d"}}}}]}`, AnyPolicy, MsgSyntax, "values must be strings, numbers or booleans", 0},
		{"condition value null", `{"Statement":[{` + ok + `,"Condition":{"StringEquals":{"a:b":null}}}]}`, AnyPolicy, MsgSyntax, "", 0},
		{"condition operator not an object", `{"Statement":[{` + ok + `,"Condition":{"StringEquals":"x"}}]}`, AnyPolicy, MsgSyntax, "must map to a JSON object", 0},
		{"condition not an object", `{"Statement":[{` + ok + `,"Condition":[]}]}`, AnyPolicy, MsgSyntax, "Condition must be a JSON object", 0},
		{"duplicate Sid", `{"Statement":[{"Sid":"A",` + ok + `},{"Sid":"A",` + ok + `}]}`, AnyPolicy, MsgDuplicateSid, `Statement[1], Sid "A"`, 1},
		{"Principal in identity policy", `{"Statement":[{"Principal":"*",` + ok + `}]}`, IdentityPolicy, MsgPrincipalForbidden, "", 0},
		{"NotPrincipal in identity policy", `{"Statement":[{"NotPrincipal":{"AWS":"111122223333"},` + ok + `}]}`, IdentityPolicy, MsgPrincipalForbidden, "", 0},
		{"Resource missing in identity policy", `{"Statement":[{"Effect":"Allow","Action":"sns:Publish"}]}`, IdentityPolicy, MsgMissingResources, "", 0},
		{"non-ARN Resource in identity policy", `{"Statement":[{"Effect":"Allow","Action":"sns:Publish","Resource":"snsTopicArn"}]}`, IdentityPolicy, `Resource snsTopicArn must be in ARN format or "*".`, "", 0},
		{"non-alphanumeric Sid in identity policy", `{"Statement":[{"Sid":"__default",` + ok + `}]}`, IdentityPolicy, MsgSidAlphanumeric, "", 0},
		{"Resource missing in resource policy", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish"}]}`, ResourcePolicy, MsgMissingResources, "", 0},
		{"Principal missing in resource policy", `{"Statement":[{` + ok + `}]}`, ResourcePolicy, MsgMissingPrincipal, "", 0},
		{"Principal missing in trust policy", `{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`, TrustPolicy, MsgMissingPrincipal, "", 0},
		{"Resource in trust policy", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"sms-voice.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}]}`, TrustPolicy, "Has prohibited field Resource", "", 0},
		{"invalid AWS principal", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"not-an-account"},"Action":"sts:AssumeRole"}]}`, TrustPolicy, `Invalid principal in policy: "AWS":"not-an-account"`, "", 0},
		{"wildcard in principal ARN", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/*"},"Action":"sts:AssumeRole"}]}`, TrustPolicy, `Invalid principal in policy: "AWS":"arn:aws:iam::111122223333:role/*"`, "", 0},
		{"principal string other than *", `{"Statement":[{"Effect":"Allow","Principal":"111122223333","Action":"sts:AssumeRole"}]}`, TrustPolicy, `Invalid principal in policy: "111122223333"`, "", 0},
		{"unknown principal type", `{"Statement":[{"Effect":"Allow","Principal":{"Users":"x"},"Action":"sts:AssumeRole"}]}`, TrustPolicy, `Invalid principal in policy: "Users"`, "", 0},
		{"empty principal list", `{"Statement":[{"Effect":"Allow","Principal":{"Service":[]},"Action":"sts:AssumeRole"}]}`, TrustPolicy, `Invalid principal in policy: "Service"`, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseKind(tc.doc, tc.kind)
			if err == nil {
				t.Fatalf("parsed: %+v", p)
			}
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("error %T %v is not *MalformedError", err, err)
			}
			if me.Message != tc.msg {
				t.Fatalf("Message = %q, want %q (Error: %s)", me.Message, tc.msg, err)
			}
			if !strings.HasPrefix(err.Error(), tc.msg) || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("Error() = %q, want prefix %q and %q", err.Error(), tc.msg, tc.errHas)
			}
			if me.Statement != tc.stmtIdx {
				t.Fatalf("Statement = %d, want %d", me.Statement, tc.stmtIdx)
			}
		})
	}
}

// The same documents are accepted by the kinds that allow them.
func TestParseKindDifferences(t *testing.T) {
	trustish := `{"Statement":[{"Effect":"Allow","Principal":{"Service":"sms-voice.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := ParseKind(trustish, TrustPolicy); err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(trustish); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseKind(trustish, ResourcePolicy); err == nil {
		t.Fatal("resource policy without Resource accepted")
	}
	if _, err := ParseKind(trustish, IdentityPolicy); err == nil {
		t.Fatal("identity policy with Principal accepted")
	}
	if _, err := ParseKind(defaultTopicDoc, IdentityPolicy); err == nil {
		t.Fatal("topic policy accepted as identity policy")
	}
}

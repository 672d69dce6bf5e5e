package policy

import (
	"errors"
	"testing"
)

var fuzzRequests = []Request{
	{Principal: svcSMS, Action: "sts:AssumeRole", Context: ctx("aws:sourceaccount", acct)},
	{Principal: session, Action: "sns:Publish", Resource: topicARN, Context: ctx("aws:sourceowner", acct)},
	{Principal: mallory, Action: "kms:GenerateDataKey", Resource: keyARN,
		Context: map[string][]string{"aws:sourcearn": {phoneARN}, "aws:tagkeys": {"a", "b"}, "aws:sourceip": {"203.0.113.5"},
			"aws:currenttime": {"2024-06-01T00:00:00Z"}, "n:k": {"5"}, "Mixed:Case": {"x"}}},
	{Principal: alice, Action: "", Resource: "arn:aws:s3:::b/${aws:username}:x"},
	{},
}

func FuzzParse(f *testing.F) {
	for _, d := range []string{trustDoc, permissionDoc, topicDoc, keyStatementDoc, connectDoc, defaultTopicDoc, defaultKeyDoc,
		topicWithDefaultDoc, keyWithDefaultDoc,
		`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"NotAction":"iam:*","NotResource":"arn:aws:s3:::${aws:username}/*",
		  "Condition":{"ForAllValues:StringLike":{"aws:TagKeys":["a*","${*}"]},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","::1"]},"DateLessThan":{"aws:CurrentTime":1700000000},
		  "NumericLessThanIfExists":{"n:k":"3.5"},"Null":{"x:y":true},"BinaryEquals":{"b:k":"AA=="},"ArnNotLike":{"aws:SourceArn":"arn:*:sns:*:${aws:PrincipalAccount}:*"}}}}`,
		`{"Statement":[]}`, `{`, `null`, `{"Statement":{"Effect":"Allow","Action":"a:*?*","Resource":"*:*:*:*:*:*:*"}}`,
	} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		for _, kind := range []Kind{AnyPolicy, IdentityPolicy, ResourcePolicy, TrustPolicy} {
			p, err := ParseKind(doc, kind)
			if err != nil {
				var me *MalformedError
				if !errors.As(err, &me) {
					t.Fatalf("error is %T, not *MalformedError: %v", err, err)
				}
				if me.Message == "" || err.Error() == "" {
					t.Fatalf("empty error message")
				}
				continue
			}
			if len(p.Statements) == 0 {
				t.Fatalf("parsed policy with no statements")
			}
			named := &Named{Name: "fuzz", Policy: p}
			for _, req := range fuzzRequests {
				r := p.Evaluate(req)
				if r.Reason == "" {
					t.Fatalf("empty reason")
				}
				if (r.Decision == Allow || r.Decision == Deny) && (r.Statement < 0 || r.Statement >= len(p.Statements)) {
					t.Fatalf("bad statement index %d", r.Statement)
				}
				d := Authorize(Input{Request: req, Identity: []*Named{named}, Resource: named, SessionPolicies: []*Named{named}})
				if d.Explanation == "" || d.Allowed != (d.Effect == EvalAllowed) {
					t.Fatalf("inconsistent decision %+v", d)
				}
				Authorize(Input{Request: req, Resource: named, KeyPolicyRequired: true, ResourceAccount: otherAcct})
				AuthorizeAssumeRole(p, req)
			}
		}
	})
}

package policy

import "testing"

type benchCase struct {
	name string
	doc  string
	kind Kind
	req  Request
	want Effect
}

func benchCases() []benchCase {
	return []benchCase{
		{"TrustAllow", trustDoc, TrustPolicy, Request{Principal: svcSMS, Action: "sts:AssumeRole", Context: ctx("aws:sourceaccount", acct)}, Allow},
		{"PermissionPublish", permissionDoc, IdentityPolicy, Request{Principal: session, Action: "sns:Publish", Resource: topicARN}, Allow},
		{"PermissionKMSWildcard", permissionDoc, IdentityPolicy, Request{Principal: session, Action: "kms:GenerateDataKeyWithoutPlaintext", Resource: keyARN,
			Context: ctx("kms:encryptioncontext:aws:sns:topicarn", topicARN, "aws:calledvialast", "sns.amazonaws.com")}, Allow},
		{"TopicPolicy", topicDoc, ResourcePolicy, Request{Principal: svcSMS, Action: "sns:Publish", Resource: topicARN}, Allow},
		{"KeyPolicyArnLike", keyWithDefaultDoc, ResourcePolicy, Request{Principal: svcSMS, Action: "kms:GenerateDataKey", Resource: keyARN,
			Context: ctx("aws:sourceaccount", acct, "aws:sourcearn", phoneARN)}, Allow},
		{"Connect", connectDoc, IdentityPolicy, Request{Principal: session, Action: "connect:SendChatIntegrationEvent", Resource: "*"}, Allow},
		{"DefaultTopicPolicy", defaultTopicDoc, ResourcePolicy, Request{Principal: alice, Action: "sns:Publish", Resource: topicARN, Context: ctx("aws:sourceowner", acct)}, Allow},
		{"DefaultKeyPolicy", defaultKeyDoc, ResourcePolicy, Request{Principal: alice, Action: "kms:Decrypt", Resource: keyARN}, Allow},
		// Implicit-deny paths build an explanation string.
		{"TrustWrongAccountExplained", trustDoc, TrustPolicy, Request{Principal: svcSMS, Action: "sts:AssumeRole", Context: ctx("aws:sourceaccount", otherAcct)}, NotApplicable},
	}
}

func BenchmarkEvaluate(b *testing.B) {
	for _, bc := range benchCases() {
		p := mustParse(b, bc.doc, bc.kind)
		if r := p.Evaluate(bc.req); r.Decision != bc.want {
			b.Fatalf("%s: %v, want %v (%s)", bc.name, r.Decision, bc.want, r.Reason)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Evaluate(bc.req)
			}
		})
	}
}

// BenchmarkEvaluateSeedMix round-robins over all allow-path seed cases.
func BenchmarkEvaluateSeedMix(b *testing.B) {
	var ps []*Policy
	var reqs []Request
	for _, bc := range benchCases() {
		if bc.want == Allow {
			ps = append(ps, mustParse(b, bc.doc, bc.kind))
			reqs = append(reqs, bc.req)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ps[i].Evaluate(reqs[i])
		if i++; i == len(ps) {
			i = 0
		}
	}
}

func BenchmarkAuthorize(b *testing.B) {
	perm := &Named{Name: "perm", Policy: mustParse(b, permissionDoc, IdentityPolicy)}
	topic := &Named{Name: "topic", Policy: mustParse(b, topicWithDefaultDoc, ResourcePolicy)}
	key := &Named{Name: "key", Policy: mustParse(b, keyWithDefaultDoc, ResourcePolicy)}
	cases := []struct {
		name string
		in   Input
	}{
		{"ServicePublish", Input{Request: Request{Principal: svcSMS, Action: "sns:Publish", Resource: topicARN}, Resource: topic, ResourceAccount: acct}},
		{"RolePublish", Input{Request: Request{Principal: session, Action: "sns:Publish", Resource: topicARN, Context: ctx("aws:sourceowner", acct)}, Identity: []*Named{perm}, Resource: topic, ResourceAccount: acct}},
		{"KMSDelegated", Input{Request: Request{Principal: session, Action: "kms:Decrypt", Resource: keyARN,
			Context: ctx("kms:encryptioncontext:aws:sns:topicarn", topicARN, "aws:calledvialast", "sns.amazonaws.com")}, Identity: []*Named{perm}, Resource: key, KeyPolicyRequired: true}},
		{"CrossAccountDenied", Input{Request: Request{Principal: mallory, Action: "sns:Publish", Resource: topicARN}, Identity: []*Named{perm}, Resource: topic, ResourceAccount: acct}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Authorize(c.in)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseKind(keyWithDefaultDoc, ResourcePolicy); err != nil {
			b.Fatal(err)
		}
	}
}

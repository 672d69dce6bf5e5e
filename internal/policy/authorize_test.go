package policy

import (
	"strings"
	"testing"
)

func named(t testing.TB, name, doc string, kind Kind) *Named {
	t.Helper()
	return &Named{Name: name, Policy: mustParse(t, doc, kind)}
}

const allowPublishAnyDoc = `{"Version":"2012-10-17","Statement":[{"Sid":"PublishAny","Effect":"Allow","Action":"sns:Publish","Resource":"*"}]}`
const allowSubscribeDoc = `{"Version":"2012-10-17","Statement":[{"Sid":"SubOnly","Effect":"Allow","Action":"sns:Subscribe","Resource":"*"}]}`
const allowAllDoc = `{"Version":"2012-10-17","Statement":[{"Sid":"All","Effect":"Allow","Action":"*","Resource":"*"}]}`
const allowKMSDoc = `{"Version":"2012-10-17","Statement":[{"Sid":"KMS","Effect":"Allow","Action":"kms:*","Resource":"*"}]}`

type authCase struct {
	name    string
	in      Input
	allowed bool
	effect  string
	explain []string // substrings the explanation must contain
}

func runAuth(t *testing.T, cases []authCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := Authorize(tc.in)
			if d.Allowed != tc.allowed || d.Effect != tc.effect {
				t.Fatalf("Allowed=%v Effect=%s, want %v %s\nexplanation: %s", d.Allowed, d.Effect, tc.allowed, tc.effect, d.Explanation)
			}
			for _, sub := range tc.explain {
				if !strings.Contains(d.Explanation, sub) {
					t.Fatalf("explanation %q\nmissing %q", d.Explanation, sub)
				}
			}
		})
	}
}

func TestAuthorizeSNS(t *testing.T) {
	perm := named(t, "role SMSVoiceRole inline policy SMSVoicePermissions", permissionDoc, IdentityPolicy)
	defaultTopic := named(t, "topic policy inbound", defaultTopicDoc, ResourcePolicy)
	topicSeed := named(t, "topic policy inbound", topicWithDefaultDoc, ResourcePolicy)
	publishAny := named(t, "user mallory policy P", allowPublishAnyDoc, IdentityPolicy)
	allowAll := named(t, "admin", allowAllDoc, IdentityPolicy)
	crossTopic := named(t, "topic policy inbound", `{"Version":"2012-10-17","Statement":[
		{"Sid":"CrossAccount","Effect":"Allow","Principal":{"AWS":"999999999999"},"Action":"sns:Publish","Resource":"`+topicARN+`"}]}`, ResourcePolicy)
	crossTopicUser := named(t, "topic policy inbound", `{"Version":"2012-10-17","Statement":[
		{"Sid":"Mallory","Effect":"Allow","Principal":{"AWS":"`+otherUserARN+`"},"Action":"sns:Publish","Resource":"`+topicARN+`"}]}`, ResourcePolicy)
	roleTopic := named(t, "topic policy inbound", `{"Version":"2012-10-17","Statement":[
		{"Sid":"Role","Effect":"Allow","Principal":{"AWS":"`+roleARN+`"},"Action":"sns:Publish","Resource":"`+topicARN+`"}]}`, ResourcePolicy)
	accountTopic := named(t, "topic policy inbound", `{"Version":"2012-10-17","Statement":[
		{"Sid":"Account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sns:Publish","Resource":"`+topicARN+`"}]}`, ResourcePolicy)
	denyTopic := named(t, "topic policy inbound", `{"Version":"2012-10-17","Statement":[
		{"Sid":"Everyone","Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"`+topicARN+`"},
		{"Sid":"NoMallory","Effect":"Deny","Principal":{"AWS":"`+otherUserARN+`"},"Action":"sns:*","Resource":"*"}]}`, ResourcePolicy)
	denyIdentity := named(t, "user alice policy Guard", `{"Version":"2012-10-17","Statement":[
		{"Sid":"OnlyInbound","Effect":"Deny","Action":"sns:Publish","NotResource":"`+topicARN+`"}]}`, IdentityPolicy)

	pub := func(p Principal, res string, kv ...string) Request {
		return Request{Principal: p, Action: "sns:Publish", Resource: res, Context: ctx(kv...)}
	}
	runAuth(t, []authCase{
		{"role session via permission policy, default topic policy",
			Input{Request: pub(session, topicARN, "aws:sourceowner", acct), Identity: []*Named{perm}, Resource: defaultTopic, ResourceAccount: acct},
			true, EvalAllowed, []string{`allowed by identity policy "role SMSVoiceRole inline policy SMSVoicePermissions" (statement "SMSVoiceAllowSNSPublish")`}},
		{"role session wrong topic",
			Input{Request: pub(session, otherTopicARN), Identity: []*Named{perm}, ResourceAccount: acct},
			false, EvalImplicitDeny, []string{"no identity policy allows it", "resource " + otherTopicARN + " not in Resource", "there is no resource policy"}},
		{"same-account user without identity policy, default topic policy (Principal AWS *)",
			Input{Request: pub(alice, topicARN, "aws:sourceowner", acct), Resource: defaultTopic, ResourceAccount: acct},
			true, EvalAllowed, []string{`allowed by resource policy "topic policy inbound" (statement "__default_statement_ID")`}},
		{"sms-voice service publishes, topic policy names it",
			Input{Request: pub(svcSMS, topicARN), Resource: topicSeed, ResourceAccount: acct},
			true, EvalAllowed, []string{`(statement "SMSVoicePublish")`}},
		{"sms-voice service, default topic policy only",
			Input{Request: pub(svcSMS, topicARN, "aws:sourceowner", acct), Identity: []*Named{allowAll}, Resource: defaultTopic, ResourceAccount: acct},
			false, EvalImplicitDeny, []string{"a service principal is authorized only by a resource policy", "principal sms-voice.amazonaws.com not in Principal [AWS:*]"}},
		{"sms-voice service, no topic policy (identity policies ignored)",
			Input{Request: pub(svcSMS, topicARN), Identity: []*Named{allowAll}, ResourceAccount: acct},
			false, EvalImplicitDeny, []string{"there is no resource policy"}},
		{"sms-voice service, wrong topic",
			Input{Request: pub(svcSMS, otherTopicARN), Resource: topicSeed, ResourceAccount: acct},
			false, EvalImplicitDeny, []string{"resource " + otherTopicARN + " not in Resource"}},
		{"wrong service principal",
			Input{Request: pub(svcSNS, topicARN), Resource: topicSeed, ResourceAccount: acct},
			false, EvalImplicitDeny, []string{"principal sns.amazonaws.com not in Principal"}},

		// cross-account publish requires both sides
		{"cross-account: identity only",
			Input{Request: pub(mallory, topicARN, "aws:sourceowner", otherAcct), Identity: []*Named{publishAny}, Resource: defaultTopic, ResourceAccount: acct},
			false, EvalImplicitDeny, []string{"cross-account request (caller account 999999999999, resource account 111122223333)",
				`identity policy "user mallory policy P" (statement "PublishAny") allows it`, `resource policy "topic policy inbound" does not allow it`}},
		{"cross-account: resource only",
			Input{Request: pub(mallory, topicARN), Resource: crossTopic, ResourceAccount: acct},
			false, EvalImplicitDeny, []string{"the caller has no identity policies", `(statement "CrossAccount") grants only the account 999999999999`}},
		{"cross-account: resource names user, no identity",
			Input{Request: pub(mallory, topicARN), Resource: crossTopicUser, ResourceAccount: acct},
			false, EvalImplicitDeny, []string{"the caller has no identity policies", `(statement "Mallory") allows it`}},
		{"cross-account: both (account principal)",
			Input{Request: pub(mallory, topicARN), Identity: []*Named{publishAny}, Resource: crossTopic, ResourceAccount: acct},
			true, EvalAllowed, []string{"cross-account request permitted by both", `"PublishAny"`, `"CrossAccount"`}},
		{"cross-account: both (user principal)",
			Input{Request: pub(mallory, topicARN), Identity: []*Named{publishAny}, Resource: crossTopicUser, ResourceAccount: acct},
			true, EvalAllowed, nil},
		{"cross-account derived from resource ARN",
			Input{Request: pub(mallory, topicARN), Identity: []*Named{publishAny}},
			false, EvalImplicitDeny, []string{"resource account 111122223333", "there is no resource policy"}},

		// same account: resource policy naming the principal suffices, naming the account delegates
		{"same account: resource names role, session allowed without identity",
			Input{Request: pub(session, topicARN), Resource: roleTopic, ResourceAccount: acct},
			true, EvalAllowed, []string{`(statement "Role")`}},
		{"same account: resource names role, other user",
			Input{Request: pub(alice, topicARN), Resource: roleTopic, ResourceAccount: acct},
			false, EvalImplicitDeny, []string{"principal " + userARN + " not in Principal [AWS:" + roleARN + "]"}},
		{"same account: resource names account only, no identity",
			Input{Request: pub(alice, topicARN), Resource: accountTopic, ResourceAccount: acct},
			false, EvalImplicitDeny, []string{"grants only the account 111122223333"}},
		{"same account: resource names account, identity allows",
			Input{Request: pub(alice, topicARN), Identity: []*Named{publishAny}, Resource: accountTopic, ResourceAccount: acct},
			true, EvalAllowed, nil},

		// explicit deny overrides allow
		{"explicit deny in resource policy beats identity + resource allow",
			Input{Request: pub(mallory, topicARN), Identity: []*Named{publishAny}, Resource: denyTopic, ResourceAccount: acct},
			false, EvalExplicitDeny, []string{`explicitly denied by resource policy "topic policy inbound" (statement "NoMallory")`}},
		{"resource policy Principal * allows others",
			Input{Request: pub(alice, topicARN), Resource: denyTopic, ResourceAccount: acct},
			true, EvalAllowed, []string{`"Everyone"`}},
		{"explicit deny in identity policy (NotResource)",
			Input{Request: pub(alice, otherTopicARN), Identity: []*Named{allowAll, denyIdentity}, ResourceAccount: acct},
			false, EvalExplicitDeny, []string{`explicitly denied by identity policy "user alice policy Guard" (statement "OnlyInbound")`}},
		{"identity deny not applicable to its NotResource",
			Input{Request: pub(alice, topicARN), Identity: []*Named{allowAll, denyIdentity}, ResourceAccount: acct},
			true, EvalAllowed, []string{`"All"`}},
		{"identity deny beats resource allow for a service-free caller",
			Input{Request: pub(alice, otherTopicARN), Identity: []*Named{denyIdentity}, Resource: named(t, "t", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*"}}`, ResourcePolicy)},
			false, EvalExplicitDeny, nil},
	})
}

func TestAuthorizeSessionPolicies(t *testing.T) {
	perm := named(t, "perm", allowPublishAnyDoc, IdentityPolicy)
	subOnly := named(t, "session", allowSubscribeDoc, IdentityPolicy)
	snsAll := named(t, "session", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sns:*","Resource":"*"}}`, IdentityPolicy)
	sessDeny := named(t, "session", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"NoPublish","Effect":"Deny","Action":"sns:Publish","Resource":"*"}]}`, IdentityPolicy)
	roleTopic := named(t, "topic", `{"Version":"2012-10-17","Statement":[
		{"Sid":"Role","Effect":"Allow","Principal":{"AWS":"`+roleARN+`"},"Action":"sns:Publish","Resource":"`+topicARN+`"}]}`, ResourcePolicy)
	req := Request{Principal: session, Action: "sns:Publish", Resource: topicARN}
	runAuth(t, []authCase{
		{"no session policy", Input{Request: req, Identity: []*Named{perm}}, true, EvalAllowed, nil},
		{"session policy does not allow", Input{Request: req, Identity: []*Named{perm}, SessionPolicies: []*Named{subOnly}}, false, EvalImplicitDeny,
			[]string{`identity policy "perm" (statement "PublishAny") allows it but no session policy does`, "action sns:Publish not in Action"}},
		{"session policy allows", Input{Request: req, Identity: []*Named{perm}, SessionPolicies: []*Named{subOnly, snsAll}}, true, EvalAllowed,
			[]string{`identity policy "perm" (statement "PublishAny") and session policy "session"`}},
		{"session allow alone is not enough", Input{Request: req, SessionPolicies: []*Named{snsAll}}, false, EvalImplicitDeny, []string{"the caller has no identity policies"}},
		{"session deny", Input{Request: req, Identity: []*Named{perm}, SessionPolicies: []*Named{sessDeny}}, false, EvalExplicitDeny,
			[]string{`explicitly denied by session policy "session" (statement "NoPublish")`}},
		{"resource policy naming the role is not limited by session policy",
			Input{Request: req, Identity: []*Named{perm}, SessionPolicies: []*Named{subOnly}, Resource: roleTopic, ResourceAccount: acct}, true, EvalAllowed, []string{`"Role"`}},
	})
}

func TestAuthorizeKMS(t *testing.T) {
	key := named(t, "key policy of 1234abcd", keyWithDefaultDoc, ResourcePolicy)
	keyNoRoot := named(t, "key policy of 1234abcd", keyStatementDoc, ResourcePolicy)
	keyRole := named(t, "key policy", `{"Version":"2012-10-17","Statement":[{"Sid":"RoleUse","Effect":"Allow","Principal":{"AWS":"`+roleARN+`"},"Action":["kms:Decrypt","kms:GenerateDataKey*"],"Resource":"*"}]}`, ResourcePolicy)
	keyCross := named(t, "key policy", `{"Version":"2012-10-17","Statement":[
		{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
		{"Sid":"External","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"kms:Decrypt","Resource":"*"}]}`, ResourcePolicy)
	perm := named(t, "role SMSVoiceRole inline policy P", permissionDoc, IdentityPolicy)
	kmsAll := named(t, "kms-all", allowKMSDoc, IdentityPolicy)
	good := ctx("aws:sourceaccount", acct, "aws:sourcearn", phoneARN)
	snsCtx := ctx("kms:encryptioncontext:aws:sns:topicarn", topicARN, "aws:calledvialast", "sns.amazonaws.com")
	kreq := func(p Principal, action string, c map[string][]string) Request {
		return Request{Principal: p, Action: action, Resource: keyARN, Context: c}
	}
	runAuth(t, []authCase{
		{"sms-voice GenerateDataKey", Input{Request: kreq(svcSMS, "kms:GenerateDataKey", good), Resource: key, KeyPolicyRequired: true}, true, EvalAllowed, []string{`allowed by key policy "key policy of 1234abcd" (statement "SMSVoiceKey")`}},
		{"sms-voice GenerateDataKeyWithoutPlaintext", Input{Request: kreq(svcSMS, "kms:GenerateDataKeyWithoutPlaintext", good), Resource: key, KeyPolicyRequired: true}, true, EvalAllowed, nil},
		{"sms-voice Encrypt", Input{Request: kreq(svcSMS, "kms:Encrypt", good), Resource: key, KeyPolicyRequired: true}, false, EvalImplicitDeny, []string{"action kms:Encrypt not in Action"}},
		{"sms-voice SourceArn mismatch", Input{Request: kreq(svcSMS, "kms:Decrypt", ctx("aws:sourceaccount", acct, "aws:sourcearn", "arn:aws:sms-voice:us-east-1:999999999999:pool/x")), Resource: key, KeyPolicyRequired: true},
			false, EvalImplicitDeny, []string{"condition ArnLike aws:SourceArn"}},
		{"role via root delegation + permission policy", Input{Request: kreq(session, "kms:Decrypt", snsCtx), Identity: []*Named{perm}, Resource: key, KeyPolicyRequired: true},
			true, EvalAllowed, []string{`(statement "Enable IAM User Permissions") delegates to the IAM policies of account 111122223333`, `"SMSVoiceAllowEncryptedSNSTopics"`}},
		{"role via root delegation, permission policy condition fails", Input{Request: kreq(session, "kms:Decrypt", ctx("aws:calledvialast", "sns.amazonaws.com")), Identity: []*Named{perm}, Resource: key, KeyPolicyRequired: true},
			false, EvalImplicitDeny, []string{"grants only the account 111122223333", "no identity policy allows it", "kms:EncryptionContext:aws:sns:topicArn: key is absent"}},
		{"user via root delegation without identity policy", Input{Request: kreq(alice, "kms:Decrypt", nil), Resource: key, KeyPolicyRequired: true},
			false, EvalImplicitDeny, []string{"the key policy must allow the principal or delegate to IAM", "the caller has no identity policies"}},
		{"key policy without root statement ignores IAM", Input{Request: kreq(alice, "kms:Decrypt", nil), Identity: []*Named{kmsAll}, Resource: keyNoRoot, KeyPolicyRequired: true},
			false, EvalImplicitDeny, []string{`key policy "key policy of 1234abcd" does not allow it`}},
		{"same identity policy without KMS rules would allow", Input{Request: kreq(alice, "kms:Decrypt", nil), Identity: []*Named{kmsAll}, Resource: keyNoRoot},
			true, EvalAllowed, nil},
		{"key policy names the role directly", Input{Request: kreq(session, "kms:Decrypt", nil), Resource: keyRole, KeyPolicyRequired: true}, true, EvalAllowed, []string{`"RoleUse"`}},
		{"no key policy", Input{Request: kreq(alice, "kms:Decrypt", nil), Identity: []*Named{kmsAll}, KeyPolicyRequired: true}, false, EvalImplicitDeny, []string{"there is no key policy"}},
		{"cross-account key use with identity", Input{Request: kreq(mallory, "kms:Decrypt", nil), Identity: []*Named{kmsAll}, Resource: keyCross, KeyPolicyRequired: true}, true, EvalAllowed, []string{`"External"`}},
		{"cross-account key use without identity", Input{Request: kreq(mallory, "kms:Decrypt", nil), Resource: keyCross, KeyPolicyRequired: true}, false, EvalImplicitDeny, []string{"cross-account"}},
		{"cross-account key, action not granted", Input{Request: kreq(mallory, "kms:Encrypt", nil), Identity: []*Named{kmsAll}, Resource: keyCross, KeyPolicyRequired: true}, false, EvalImplicitDeny, nil},
		{"cross-account against default key policy", Input{Request: kreq(mallory, "kms:Decrypt", nil), Identity: []*Named{kmsAll}, Resource: key, KeyPolicyRequired: true}, false, EvalImplicitDeny, nil},
	})
}

func TestAuthorizeMatchesAndDefaults(t *testing.T) {
	d := Authorize(Input{
		Request:  Request{Principal: alice, Action: "sns:Publish", Resource: topicARN, Context: ctx("aws:sourceowner", acct)},
		Identity: []*Named{named(t, "", allowPublishAnyDoc, IdentityPolicy), nil, {Name: "empty"}},
		Resource: named(t, "topic", defaultTopicDoc, ResourcePolicy),
	})
	if !d.Allowed || len(d.Matches) != 2 {
		t.Fatalf("%+v", d)
	}
	if m := d.Matches[0]; m.Source != SourceIdentity || m.Policy != "#0" || m.Sid != "PublishAny" || m.Effect != Allow || m.Statement != 0 {
		t.Fatalf("match 0: %+v", m)
	}
	if m := d.Matches[1]; m.Source != "resource" || m.Policy != "topic" || m.Sid != "__default_statement_ID" {
		t.Fatalf("match 1: %+v", m)
	}
	// Nothing at all: implicit deny that still explains itself.
	d = Authorize(Input{Request: Request{Principal: alice, Action: "sns:Publish", Resource: topicARN}})
	if d.Allowed || d.Effect != EvalImplicitDeny || !strings.Contains(d.Explanation, "the caller has no identity policies; there is no resource policy") {
		t.Fatalf("%+v", d)
	}
}

package policy

import (
	"strings"
	"testing"
)

// Concrete values substituted into the seed's documents.
const (
	acct          = "111122223333"
	otherAcct     = "999999999999"
	topicARN      = "arn:aws:sns:us-east-1:111122223333:inbound"
	otherTopicARN = "arn:aws:sns:us-east-1:111122223333:other"
	smsVoice      = "sms-voice.amazonaws.com"
	roleARN       = "arn:aws:iam::111122223333:role/SMSVoiceRole"
	sessionARN    = "arn:aws:sts::111122223333:assumed-role/SMSVoiceRole/sms-voice-session"
	userARN       = "arn:aws:iam::111122223333:user/alice"
	otherUserARN  = "arn:aws:iam::999999999999:user/mallory"
	keyARN        = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	phoneARN      = "arn:aws:sms-voice:us-east-1:111122223333:phone-number/phone-0123456789abcdef"
)

const trustDoc = `{ "Version": "2012-10-17", "Statement": [ { "Sid": "SMSVoice", "Effect": "Allow", "Principal": { "Service": "sms-voice.amazonaws.com" }, "Action": "sts:AssumeRole", "Condition": { "StringEquals": { "aws:SourceAccount": "111122223333" } } } ] }`

const permissionDoc = `{ "Version": "2012-10-17", "Statement": [
  { "Sid": "SMSVoiceAllowSNSPublish", "Effect": "Allow", "Action": "sns:Publish",
    "Resource": "arn:aws:sns:us-east-1:111122223333:inbound",
    "Condition": { "StringEquals": { "aws:ResourceAccount": "111122223333" } } },
  { "Sid": "SMSVoiceAllowEncryptedSNSTopics", "Effect": "Allow", "Action": [ "kms:Decrypt", "kms:GenerateDataKey*" ], "Resource": "*",
    "Condition": { "StringEquals": { "kms:EncryptionContext:aws:sns:topicArn": "arn:aws:sns:us-east-1:111122223333:inbound", "aws:CalledViaLast": "sns.amazonaws.com" } } } ] }`

// topicStatement is the seed's topic policy statement, alone in a policy.
const topicDoc = `{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Principal": { "Service": "sms-voice.amazonaws.com" }, "Action": "sns:Publish", "Resource": "arn:aws:sns:us-east-1:111122223333:inbound" } ] }`

// keyStatementDoc is the seed's key policy statement, alone in a policy.
const keyStatementDoc = `{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Principal": { "Service": "sms-voice.amazonaws.com" }, "Action": [ "kms:GenerateDataKey*", "kms:Decrypt" ], "Resource": "*", "Condition": { "StringEquals": { "aws:SourceAccount": "111122223333" }, "ArnLike": { "aws:SourceArn": "arn:aws:sms-voice:us-east-1:111122223333:*" } } } ] }`

const connectDoc = `{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Action": [ "connect:SendChatIntegrationEvent" ], "Resource": [ "*" ] } ] }`

const defaultTopicDoc = `{
  "Version": "2008-10-17",
  "Id": "__default_policy_ID",
  "Statement": [
    {
      "Sid": "__default_statement_ID",
      "Effect": "Allow",
      "Principal": { "AWS": "*" },
      "Action": [ "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
                  "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish" ],
      "Resource": "arn:aws:sns:us-east-1:111122223333:inbound",
      "Condition": { "StringEquals": { "AWS:SourceOwner": "111122223333" } }
    }
  ]
}`

const defaultKeyDoc = `{
  "Version": "2012-10-17",
  "Id": "key-default-1",
  "Statement": [
    { "Sid": "Enable IAM User Permissions", "Effect": "Allow",
      "Principal": { "AWS": "arn:aws:iam::111122223333:root" }, "Action": "kms:*", "Resource": "*" }
  ]
}`

// topicWithDefaultDoc is what a real topic policy looks like after the seed's
// statement is added to the default one.
const topicWithDefaultDoc = `{
  "Version": "2008-10-17",
  "Id": "__default_policy_ID",
  "Statement": [
    { "Sid": "__default_statement_ID", "Effect": "Allow", "Principal": { "AWS": "*" },
      "Action": [ "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission",
                  "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish" ],
      "Resource": "arn:aws:sns:us-east-1:111122223333:inbound",
      "Condition": { "StringEquals": { "AWS:SourceOwner": "111122223333" } } },
    { "Sid": "SMSVoicePublish", "Effect": "Allow", "Principal": { "Service": "sms-voice.amazonaws.com" },
      "Action": "sns:Publish", "Resource": "arn:aws:sns:us-east-1:111122223333:inbound" }
  ]
}`

// keyWithDefaultDoc is a key policy made of the default statement plus the
// seed's sms-voice statement.
const keyWithDefaultDoc = `{
  "Version": "2012-10-17",
  "Statement": [
    { "Sid": "Enable IAM User Permissions", "Effect": "Allow",
      "Principal": { "AWS": "arn:aws:iam::111122223333:root" }, "Action": "kms:*", "Resource": "*" },
    { "Sid": "SMSVoiceKey", "Effect": "Allow", "Principal": { "Service": "sms-voice.amazonaws.com" },
      "Action": [ "kms:GenerateDataKey*", "kms:Decrypt" ], "Resource": "*",
      "Condition": { "StringEquals": { "aws:SourceAccount": "111122223333" },
                     "ArnLike": { "aws:SourceArn": "arn:aws:sms-voice:us-east-1:111122223333:*" } } }
  ]
}`

func mustParse(t testing.TB, doc string, kind Kind) *Policy {
	t.Helper()
	p, err := ParseKind(doc, kind)
	if err != nil {
		t.Fatalf("ParseKind(%v): %v", kind, err)
	}
	return p
}

func ctx(kv ...string) map[string][]string {
	m := map[string][]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = append(m[kv[i]], kv[i+1])
	}
	return m
}

var (
	svcSMS  = Principal{Service: smsVoice}
	svcSNS  = Principal{Service: "sns.amazonaws.com"}
	session = Principal{Account: acct, ARN: sessionARN}
	alice   = Principal{Account: acct, ARN: userARN}
	mallory = Principal{Account: otherAcct, ARN: otherUserARN}
	root    = Principal{Account: acct, ARN: "arn:aws:iam::111122223333:root"}
)

type evalCase struct {
	name   string
	req    Request
	want   Effect
	reason string // substring the Reason must contain ("" = don't check)
}

func runEval(t *testing.T, p *Policy, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := p.Evaluate(tc.req)
			if r.Decision != tc.want {
				t.Fatalf("Decision = %v, want %v (reason: %s)", r.Decision, tc.want, r.Reason)
			}
			if tc.reason != "" && !strings.Contains(r.Reason, tc.reason) {
				t.Fatalf("Reason = %q, want it to contain %q", r.Reason, tc.reason)
			}
			if r.Reason == "" {
				t.Fatalf("empty Reason")
			}
		})
	}
}

func TestSeedTrustPolicy(t *testing.T) {
	p := mustParse(t, trustDoc, TrustPolicy)
	ok := ctx("aws:sourceaccount", acct)
	runEval(t, p, []evalCase{
		{"allow", Request{Principal: svcSMS, Action: "sts:AssumeRole", Context: ok}, Allow, `allowed by statement "SMSVoice"`},
		{"action case-insensitive", Request{Principal: svcSMS, Action: "STS:assumerole", Context: ok}, Allow, ""},
		{"context key case-insensitive", Request{Principal: svcSMS, Action: "sts:AssumeRole", Context: ctx("AWS:SourceAccount", acct)}, Allow, ""},
		{"wrong account", Request{Principal: svcSMS, Action: "sts:AssumeRole", Context: ctx("aws:sourceaccount", otherAcct)}, NotApplicable,
			`condition StringEquals aws:SourceAccount: "999999999999" not in ["111122223333"]`},
		{"missing SourceAccount", Request{Principal: svcSMS, Action: "sts:AssumeRole"}, NotApplicable, "key is absent"},
		{"wrong service principal", Request{Principal: svcSNS, Action: "sts:AssumeRole", Context: ok}, NotApplicable,
			"principal sns.amazonaws.com not in Principal [Service:sms-voice.amazonaws.com]"},
		{"AWS principal of same account", Request{Principal: alice, Action: "sts:AssumeRole", Context: ok}, NotApplicable, "principal " + userARN},
		{"wrong action", Request{Principal: svcSMS, Action: "sts:TagSession", Context: ok}, NotApplicable, "action sts:TagSession not in Action"},
	})
}

func TestAuthorizeAssumeRoleSeed(t *testing.T) {
	p := mustParse(t, trustDoc, TrustPolicy)
	d := AuthorizeAssumeRole(p, Request{Principal: svcSMS, Action: "sts:AssumeRole", Resource: roleARN, Context: ctx("aws:sourceaccount", acct)})
	if !d.Allowed || d.Effect != EvalAllowed || len(d.Matches) != 1 || d.Matches[0].Sid != "SMSVoice" || d.Matches[0].Source != SourceTrust {
		t.Fatalf("allow: %+v", d)
	}
	d = AuthorizeAssumeRole(p, Request{Principal: svcSMS, Action: "sts:AssumeRole", Resource: roleARN, Context: ctx("aws:sourceaccount", otherAcct)})
	want := `role trust policy: no statement allows sms-voice.amazonaws.com for sts:AssumeRole (statement "SMSVoice": condition StringEquals aws:SourceAccount: "999999999999" not in ["111122223333"])`
	if d.Allowed || d.Effect != EvalImplicitDeny || d.Explanation != want {
		t.Fatalf("wrong account:\n got %q\nwant %q", d.Explanation, want)
	}
	if len(d.Matches) != 0 {
		t.Fatalf("unexpected matches %+v", d.Matches)
	}
	// Leniently parsed trust policies still require a Principal match.
	lenient := mustParse(t, `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`, AnyPolicy)
	if d := AuthorizeAssumeRole(lenient, Request{Principal: svcSMS, Action: "sts:AssumeRole"}); d.Allowed || !strings.Contains(d.Explanation, "statement has no Principal") {
		t.Fatalf("principal-less trust statement: %+v", d)
	}
	if d := AuthorizeAssumeRole(nil, Request{Principal: svcSMS, Action: "sts:AssumeRole"}); d.Allowed || d.Effect != EvalImplicitDeny {
		t.Fatalf("nil trust: %+v", d)
	}
	deny := mustParse(t, `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},{"Sid":"D","Effect":"Deny","Principal":{"Service":"sms-voice.amazonaws.com"},"Action":"sts:*"}]}`, TrustPolicy)
	if d := AuthorizeAssumeRole(deny, Request{Principal: svcSMS, Action: "sts:AssumeRole"}); d.Allowed || d.Effect != EvalExplicitDeny || !strings.Contains(d.Explanation, `statement "D"`) {
		t.Fatalf("explicit deny: %+v", d)
	}
	if d := AuthorizeAssumeRole(deny, Request{Principal: alice, Action: "sts:AssumeRole"}); !d.Allowed {
		t.Fatalf("Principal * should allow alice: %+v", d)
	}
}

func TestSeedPermissionPolicy(t *testing.T) {
	p := mustParse(t, permissionDoc, IdentityPolicy)
	kmsOK := ctx("kms:encryptioncontext:aws:sns:topicarn", topicARN, "aws:calledvialast", "sns.amazonaws.com")
	runEval(t, p, []evalCase{
		{"publish", Request{Principal: session, Action: "sns:Publish", Resource: topicARN}, Allow, `statement "SMSVoiceAllowSNSPublish"`},
		{"publish wrong topic", Request{Principal: session, Action: "sns:Publish", Resource: otherTopicARN}, NotApplicable,
			"resource " + otherTopicARN + " not in Resource"},
		{"publish explicit wrong resource account", Request{Principal: session, Action: "sns:Publish", Resource: topicARN, Context: ctx("aws:resourceaccount", otherAcct)}, NotApplicable,
			`condition StringEquals aws:ResourceAccount: "999999999999" not in ["111122223333"]`},
		{"publish topic of other account", Request{Principal: session, Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:999999999999:inbound"}, NotApplicable, "not in Resource"},
		{"subscribe", Request{Principal: session, Action: "sns:Subscribe", Resource: topicARN}, NotApplicable, "action sns:Subscribe not in Action"},
		{"kms:Decrypt", Request{Principal: session, Action: "kms:Decrypt", Resource: keyARN, Context: kmsOK}, Allow, `"SMSVoiceAllowEncryptedSNSTopics"`},
		{"kms:GenerateDataKey wildcard", Request{Principal: session, Action: "kms:GenerateDataKey", Resource: keyARN, Context: kmsOK}, Allow, ""},
		{"kms:GenerateDataKeyWithoutPlaintext wildcard", Request{Principal: session, Action: "kms:GenerateDataKeyWithoutPlaintext", Resource: keyARN, Context: kmsOK}, Allow, ""},
		{"kms:generatedatakeypair wildcard case-insensitive", Request{Principal: session, Action: "KMS:generatedatakeypair", Resource: keyARN, Context: kmsOK}, Allow, ""},
		{"kms:Encrypt wildcard miss", Request{Principal: session, Action: "kms:Encrypt", Resource: keyARN, Context: kmsOK}, NotApplicable, "action kms:Encrypt not in Action"},
		{"kms:GenerateData prefix miss", Request{Principal: session, Action: "kms:GenerateData", Resource: keyARN, Context: kmsOK}, NotApplicable, ""},
		{"missing CalledViaLast", Request{Principal: session, Action: "kms:Decrypt", Resource: keyARN,
			Context: ctx("kms:encryptioncontext:aws:sns:topicarn", topicARN)}, NotApplicable, "condition StringEquals aws:CalledViaLast: key is absent from the request"},
		{"wrong CalledViaLast", Request{Principal: session, Action: "kms:Decrypt", Resource: keyARN,
			Context: ctx("kms:encryptioncontext:aws:sns:topicarn", topicARN, "aws:calledvialast", "s3.amazonaws.com")}, NotApplicable, `"s3.amazonaws.com" not in ["sns.amazonaws.com"]`},
		{"mismatched encryption context", Request{Principal: session, Action: "kms:GenerateDataKey", Resource: keyARN,
			Context: ctx("kms:encryptioncontext:aws:sns:topicarn", otherTopicARN, "aws:calledvialast", "sns.amazonaws.com")}, NotApplicable,
			`condition StringEquals kms:EncryptionContext:aws:sns:topicArn: "` + otherTopicARN + `" not in ["` + topicARN + `"]`},
		{"missing encryption context", Request{Principal: session, Action: "kms:GenerateDataKey", Resource: keyARN,
			Context: ctx("aws:calledvialast", "sns.amazonaws.com")}, NotApplicable, "kms:EncryptionContext:aws:sns:topicArn: key is absent"},
	})
}

func TestSeedTopicPolicy(t *testing.T) {
	for _, doc := range []string{topicDoc, topicWithDefaultDoc} {
		p := mustParse(t, doc, ResourcePolicy)
		runEval(t, p, []evalCase{
			{"sms-voice publishes", Request{Principal: svcSMS, Action: "sns:Publish", Resource: topicARN}, Allow, ""},
			{"wrong topic", Request{Principal: svcSMS, Action: "sns:Publish", Resource: otherTopicARN}, NotApplicable, "resource " + otherTopicARN + " not in Resource"},
			{"wrong service principal", Request{Principal: svcSNS, Action: "sns:Publish", Resource: topicARN}, NotApplicable, "principal sns.amazonaws.com not in Principal"},
			{"sms-voice subscribe", Request{Principal: svcSMS, Action: "sns:Subscribe", Resource: topicARN}, NotApplicable, "sns:Subscribe"},
			{"other account user", Request{Principal: mallory, Action: "sns:Publish", Resource: topicARN, Context: ctx("aws:sourceowner", otherAcct)}, NotApplicable, ""},
		})
	}
	// Only the seed statement: an AWS principal is not a service principal.
	runEval(t, mustParse(t, topicDoc, ResourcePolicy), []evalCase{
		{"role session", Request{Principal: session, Action: "sns:Publish", Resource: topicARN}, NotApplicable, "principal " + sessionARN + " not in Principal [Service:sms-voice.amazonaws.com]"},
	})
}

func TestSeedDefaultTopicPolicy(t *testing.T) {
	p := mustParse(t, defaultTopicDoc, ResourcePolicy)
	owner := ctx("aws:sourceowner", acct)
	runEval(t, p, []evalCase{
		{"owner publish", Request{Principal: alice, Action: "sns:Publish", Resource: topicARN, Context: owner}, Allow, `"__default_statement_ID"`},
		{"owner subscribe", Request{Principal: session, Action: "sns:subscribe", Resource: topicARN, Context: owner}, Allow, ""},
		{"owner GetTopicAttributes", Request{Principal: alice, Action: "sns:GetTopicAttributes", Resource: topicARN, Context: ctx("AWS:SourceOwner", acct)}, Allow, ""},
		{"action not listed", Request{Principal: alice, Action: "sns:CreateTopic", Resource: topicARN, Context: owner}, NotApplicable, "action sns:CreateTopic not in Action"},
		{"wrong account", Request{Principal: mallory, Action: "sns:Publish", Resource: topicARN, Context: ctx("aws:sourceowner", otherAcct)}, NotApplicable,
			`condition StringEquals AWS:SourceOwner: "999999999999" not in ["111122223333"]`},
		{"wrong topic", Request{Principal: alice, Action: "sns:Publish", Resource: otherTopicARN, Context: owner}, NotApplicable, "not in Resource"},
		{"service principal not matched by AWS *", Request{Principal: svcSMS, Action: "sns:Publish", Resource: topicARN, Context: owner}, NotApplicable,
			"principal sms-voice.amazonaws.com not in Principal [AWS:*]"},
	})
}

func TestSeedKeyPolicy(t *testing.T) {
	good := ctx("aws:sourceaccount", acct, "aws:sourcearn", phoneARN)
	cases := []evalCase{
		{"GenerateDataKey", Request{Principal: svcSMS, Action: "kms:GenerateDataKey", Resource: keyARN, Context: good}, Allow, ""},
		{"GenerateDataKeyWithoutPlaintext", Request{Principal: svcSMS, Action: "kms:GenerateDataKeyWithoutPlaintext", Resource: keyARN, Context: good}, Allow, ""},
		{"Decrypt", Request{Principal: svcSMS, Action: "kms:Decrypt", Resource: keyARN, Context: good}, Allow, ""},
		{"Encrypt miss", Request{Principal: svcSMS, Action: "kms:Encrypt", Resource: keyARN, Context: good}, NotApplicable, "action kms:Encrypt not in Action"},
		{"SourceArn other account", Request{Principal: svcSMS, Action: "kms:Decrypt", Resource: keyARN,
			Context: ctx("aws:sourceaccount", acct, "aws:sourcearn", "arn:aws:sms-voice:us-east-1:999999999999:phone-number/p")}, NotApplicable,
			`condition ArnLike aws:SourceArn: "arn:aws:sms-voice:us-east-1:999999999999:phone-number/p" does not match ["arn:aws:sms-voice:us-east-1:111122223333:*"]`},
		{"SourceArn other region", Request{Principal: svcSMS, Action: "kms:Decrypt", Resource: keyARN,
			Context: ctx("aws:sourceaccount", acct, "aws:sourcearn", "arn:aws:sms-voice:eu-west-1:111122223333:phone-number/p")}, NotApplicable, "ArnLike"},
		{"SourceArn other service", Request{Principal: svcSMS, Action: "kms:Decrypt", Resource: keyARN,
			Context: ctx("aws:sourceaccount", acct, "aws:sourcearn", "arn:aws:sns:us-east-1:111122223333:phone-number")}, NotApplicable, "ArnLike"},
		{"SourceArn too short", Request{Principal: svcSMS, Action: "kms:Decrypt", Resource: keyARN,
			Context: ctx("aws:sourceaccount", acct, "aws:sourcearn", "arn:aws:sms-voice:us-east-1:111122223333")}, NotApplicable, "ArnLike"},
		{"SourceArn missing", Request{Principal: svcSMS, Action: "kms:Decrypt", Resource: keyARN, Context: ctx("aws:sourceaccount", acct)}, NotApplicable,
			"condition ArnLike aws:SourceArn: key is absent"},
		{"SourceAccount wrong", Request{Principal: svcSMS, Action: "kms:Decrypt", Resource: keyARN,
			Context: ctx("aws:sourceaccount", otherAcct, "aws:sourcearn", phoneARN)}, NotApplicable, `aws:SourceAccount: "999999999999"`},
		{"wrong service principal", Request{Principal: svcSNS, Action: "kms:Decrypt", Resource: keyARN, Context: good}, NotApplicable, "principal sns.amazonaws.com"},
	}
	runEval(t, mustParse(t, keyStatementDoc, ResourcePolicy), cases)
	full := mustParse(t, keyWithDefaultDoc, ResourcePolicy)
	runEval(t, full, cases)
	runEval(t, full, []evalCase{
		{"account user via root", Request{Principal: alice, Action: "kms:Encrypt", Resource: keyARN}, Allow, `"Enable IAM User Permissions"`},
		{"other account user", Request{Principal: mallory, Action: "kms:Decrypt", Resource: keyARN}, NotApplicable, ""},
	})
}

func TestSeedDefaultKeyPolicy(t *testing.T) {
	p := mustParse(t, defaultKeyDoc, ResourcePolicy)
	runEval(t, p, []evalCase{
		{"account user", Request{Principal: alice, Action: "kms:Encrypt", Resource: keyARN}, Allow, ""},
		{"account role session", Request{Principal: session, Action: "kms:Decrypt", Resource: keyARN}, Allow, ""},
		{"account root", Request{Principal: root, Action: "kms:PutKeyPolicy", Resource: keyARN}, Allow, ""},
		{"other account", Request{Principal: mallory, Action: "kms:Decrypt", Resource: keyARN}, NotApplicable,
			"principal " + otherUserARN + " not in Principal [AWS:arn:aws:iam::111122223333:root]"},
		{"service principal", Request{Principal: svcSMS, Action: "kms:Decrypt", Resource: keyARN}, NotApplicable, "principal sms-voice.amazonaws.com"},
		{"non-kms action", Request{Principal: alice, Action: "sns:Publish", Resource: keyARN}, NotApplicable, "action sns:Publish not in Action"},
	})
}

func TestSeedConnectPolicy(t *testing.T) {
	p := mustParse(t, connectDoc, IdentityPolicy)
	runEval(t, p, []evalCase{
		{"send event", Request{Principal: session, Action: "connect:SendChatIntegrationEvent", Resource: "arn:aws:connect:us-east-1:111122223333:instance/abc"}, Allow, ""},
		{"send event no resource", Request{Principal: session, Action: "connect:SendChatIntegrationEvent"}, Allow, ""},
		{"case-insensitive", Request{Principal: session, Action: "CONNECT:sendchatintegrationevent"}, Allow, ""},
		{"other connect action", Request{Principal: session, Action: "connect:StartChatContact"}, NotApplicable, "action connect:StartChatContact not in Action"},
		{"other service", Request{Principal: session, Action: "sns:Publish", Resource: topicARN}, NotApplicable, ""},
	})
}

package authz

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/policy"
)

const (
	acct      = "111122223333"
	other     = "999999999999"
	topic     = "arn:aws:sns:us-east-1:111122223333:inbound"
	topic2    = "arn:aws:sns:us-east-1:111122223333:other"
	otherTop  = "arn:aws:sns:us-east-1:999999999999:theirs"
	keyARN    = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	roleARN   = "arn:aws:iam::111122223333:role/SMSVoiceRole"
	sessARN   = "arn:aws:sts::111122223333:assumed-role/SMSVoiceRole/sms-voice"
	smsVoice  = "sms-voice.amazonaws.com"
	rootARN   = "arn:aws:iam::111122223333:root"
	otherRoot = "arn:aws:iam::999999999999:root"
)

// The seed's permission policy for the role.
const permissionDoc = `{ "Version": "2012-10-17", "Statement": [
  { "Sid": "SMSVoiceAllowSNSPublish", "Effect": "Allow", "Action": "sns:Publish",
    "Resource": "arn:aws:sns:us-east-1:111122223333:inbound",
    "Condition": { "StringEquals": { "aws:ResourceAccount": "111122223333" } } },
  { "Sid": "SMSVoiceAllowEncryptedSNSTopics", "Effect": "Allow", "Action": [ "kms:Decrypt", "kms:GenerateDataKey*" ], "Resource": "*",
    "Condition": { "StringEquals": { "kms:EncryptionContext:aws:sns:topicArn": "arn:aws:sns:us-east-1:111122223333:inbound", "aws:CalledViaLast": "sns.amazonaws.com" } } } ] }`

const topicPolicySMS = `{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Principal": { "Service": "sms-voice.amazonaws.com" }, "Action": "sns:Publish", "Resource": "arn:aws:sns:us-east-1:111122223333:inbound" } ] }`

const topicPolicyDenyAll = `{ "Version": "2012-10-17", "Statement": [ { "Sid": "NoPublish", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": "*" } ] }`

const topicPolicyOtherAccount = `{ "Version": "2012-10-17", "Statement": [ { "Sid": "Them", "Effect": "Allow", "Principal": { "AWS": "999999999999" }, "Action": "sns:Publish", "Resource": "arn:aws:sns:us-east-1:111122223333:inbound" } ] }`

const defaultKeyPolicy = `{ "Version": "2012-10-17", "Id": "key-default-1", "Statement": [
  { "Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::111122223333:root" }, "Action": "kms:*", "Resource": "*" } ] }`

// The seed's key policy statement, alone: it does not delegate to IAM.
const keyPolicySMSOnly = `{ "Version": "2012-10-17", "Statement": [ { "Sid": "SMSVoice", "Effect": "Allow", "Principal": { "Service": "sms-voice.amazonaws.com" }, "Action": [ "kms:GenerateDataKey*", "kms:Decrypt" ], "Resource": "*", "Condition": { "StringEquals": { "aws:SourceAccount": "111122223333" }, "ArnLike": { "aws:SourceArn": "arn:aws:sms-voice:us-east-1:111122223333:*" } } } ] }`

type fakeIdentities struct {
	identity, session []string
	err               error
	calls             int
}

func (f *fakeIdentities) IdentityPolicies(ctx context.Context, c *duplex.Caller) ([]*policy.Named, []*policy.Named, error) {
	f.calls++
	if f.err != nil {
		return nil, nil, f.err
	}
	parse := func(docs []string, kind string) []*policy.Named {
		var out []*policy.Named
		for i, d := range docs {
			p, err := policy.ParseKind(d, policy.IdentityPolicy)
			if err != nil {
				panic(err)
			}
			out = append(out, &policy.Named{Name: kind + string(rune('A'+i)), Policy: p})
		}
		return out
	}
	return parse(f.identity, "identity"), parse(f.session, "session"), nil
}

func root() *duplex.Caller {
	return &duplex.Caller{Account: acct, ARN: rootARN, SourceIP: "192.0.2.10"}
}

func session(ctx map[string]string) *duplex.Caller {
	return &duplex.Caller{Account: acct, ARN: sessARN, RoleARN: roleARN, SourceIP: "192.0.2.10",
		Context: ctx}
}

func service(ctx map[string]string) *duplex.Caller {
	return &duplex.Caller{Account: acct, Service: smsVoice, Context: ctx}
}

var fixedNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestAuthorize(t *testing.T) {
	kmsCtx := map[string][]string{"kms:EncryptionContext:aws:sns:topicArn": {topic}}
	svcCtx := map[string]string{"aws:SourceAccount": acct, "aws:SourceArn": "arn:aws:sms-voice:us-east-1:111122223333:phone-number/phone-0123"}
	cases := []struct {
		name     string
		ids      *fakeIdentities
		req      Request
		effect   string
		explains []string // substrings of the explanation
		noIDs    bool     // the identity source must not be consulted
	}{
		{name: "root own account, no resource policy",
			req:    Request{Caller: root(), Action: "sns:Publish", Resource: topic},
			effect: policy.EvalAllowed, explains: []string{RootPolicyName}, noIDs: true},
		{name: "root own account, resource policy without the root",
			req:    Request{Caller: root(), Action: "sns:Publish", Resource: topic, ResourcePolicy: topicPolicySMS},
			effect: policy.EvalAllowed},
		{name: "root denied explicitly by resource policy",
			req:    Request{Caller: root(), Action: "sns:Publish", Resource: topic, ResourcePolicy: topicPolicyDenyAll, ResourcePolicyName: "topic policy"},
			effect: policy.EvalExplicitDeny, explains: []string{`"NoPublish"`, "topic policy"}},
		{name: "root of another account, no resource policy",
			req:    Request{Caller: &duplex.Caller{Account: other, ARN: otherRoot}, Action: "sns:Publish", Resource: topic},
			effect: policy.EvalImplicitDeny, explains: []string{"cross-account"}},
		{name: "root of another account, resource policy allows that account",
			req:    Request{Caller: &duplex.Caller{Account: other, ARN: otherRoot}, Action: "sns:Publish", Resource: topic, ResourcePolicy: topicPolicyOtherAccount},
			effect: policy.EvalAllowed, explains: []string{"cross-account"}},
		{name: "root, explicit ResourceAccount overrides the ARN",
			req:    Request{Caller: root(), Action: "sns:Publish", Resource: "*", ResourceAccount: other},
			effect: policy.EvalImplicitDeny},
		{name: "root, key policy delegates to the account",
			req:    Request{Caller: root(), Action: "kms:Decrypt", Resource: keyARN, ResourcePolicy: defaultKeyPolicy, KeyPolicy: true},
			effect: policy.EvalAllowed},
		{name: "root, key policy does not allow the account",
			req:    Request{Caller: root(), Action: "kms:Decrypt", Resource: keyARN, ResourcePolicy: keyPolicySMSOnly, KeyPolicy: true},
			effect: policy.EvalImplicitDeny, explains: []string{"key policy"}},
		{name: "root, key without policy",
			req:    Request{Caller: root(), Action: "kms:Decrypt", Resource: keyARN, KeyPolicy: true},
			effect: policy.EvalImplicitDeny},
		{name: "role session allowed by the seed permission policy",
			ids:    &fakeIdentities{identity: []string{permissionDoc}},
			req:    Request{Caller: session(nil), Action: "sns:Publish", Resource: topic},
			effect: policy.EvalAllowed, explains: []string{"SMSVoiceAllowSNSPublish"}},
		{name: "role session, other topic",
			ids:    &fakeIdentities{identity: []string{permissionDoc}},
			req:    Request{Caller: session(nil), Action: "sns:Publish", Resource: topic2},
			effect: policy.EvalImplicitDeny, explains: []string{"SMSVoiceAllowSNSPublish"}},
		{name: "role session, aws:ResourceAccount condition fails for another account's topic",
			ids:    &fakeIdentities{identity: []string{strings.ReplaceAll(permissionDoc, `"Resource": "arn:aws:sns:us-east-1:111122223333:inbound"`, `"Resource": "*"`)}},
			req:    Request{Caller: session(nil), Action: "sns:Publish", Resource: otherTop, ResourcePolicy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*"}]}`},
			effect: policy.EvalImplicitDeny, explains: []string{"aws:ResourceAccount"}},
		{name: "role session, encrypted topic key via SNS",
			ids:    &fakeIdentities{identity: []string{permissionDoc}},
			req:    Request{Caller: session(map[string]string{"aws:CalledViaLast": "sns.amazonaws.com", "aws:CalledVia": "sns.amazonaws.com"}), Action: "kms:GenerateDataKey", Resource: keyARN, ResourcePolicy: defaultKeyPolicy, KeyPolicy: true, Context: kmsCtx},
			effect: policy.EvalAllowed, explains: []string{"delegates"}},
		{name: "role session, key used directly (not via SNS)",
			ids:    &fakeIdentities{identity: []string{permissionDoc}},
			req:    Request{Caller: session(nil), Action: "kms:GenerateDataKey", Resource: keyARN, ResourcePolicy: defaultKeyPolicy, KeyPolicy: true, Context: kmsCtx},
			effect: policy.EvalImplicitDeny, explains: []string{"aws:CalledViaLast"}},
		{name: "role session, session policy narrower than the role",
			ids:    &fakeIdentities{identity: []string{permissionDoc}, session: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`}},
			req:    Request{Caller: session(nil), Action: "sns:Publish", Resource: topic},
			effect: policy.EvalImplicitDeny, explains: []string{"session policy"}},
		{name: "role session, identity deny wins over resource allow",
			ids:    &fakeIdentities{identity: []string{`{"Version":"2012-10-17","Statement":[{"Sid":"No","Effect":"Deny","Action":"sns:*","Resource":"*"}]}`}},
			req:    Request{Caller: session(nil), Action: "sns:Publish", Resource: topic, ResourcePolicy: `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*"}]}`},
			effect: policy.EvalExplicitDeny, explains: []string{`"No"`}},
		{name: "role session without identity source",
			req:    Request{Caller: session(nil), Action: "sns:Publish", Resource: topic},
			effect: policy.EvalImplicitDeny},
		{name: "service principal allowed by topic policy",
			ids:    &fakeIdentities{identity: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}},
			req:    Request{Caller: service(svcCtx), Action: "sns:Publish", Resource: topic, ResourcePolicy: topicPolicySMS},
			effect: policy.EvalAllowed, noIDs: true},
		{name: "service principal without resource policy",
			ids:    &fakeIdentities{identity: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}},
			req:    Request{Caller: service(svcCtx), Action: "sns:Publish", Resource: topic},
			effect: policy.EvalImplicitDeny, explains: []string{"service principal"}, noIDs: true},
		{name: "service principal, seed key policy, right source",
			req:    Request{Caller: service(svcCtx), Action: "kms:GenerateDataKey", Resource: keyARN, ResourcePolicy: keyPolicySMSOnly, KeyPolicy: true},
			effect: policy.EvalAllowed},
		{name: "service principal, seed key policy, wrong source account",
			req: Request{Caller: service(map[string]string{"aws:SourceAccount": other, "aws:SourceArn": svcCtx["aws:SourceArn"]}),
				Action: "kms:GenerateDataKey", Resource: keyARN, ResourcePolicy: keyPolicySMSOnly, KeyPolicy: true},
			effect: policy.EvalImplicitDeny, explains: []string{"aws:SourceAccount", other}},
		{name: "service principal, seed key policy, no source keys",
			req:    Request{Caller: service(nil), Action: "kms:Decrypt", Resource: keyARN, ResourcePolicy: keyPolicySMSOnly, KeyPolicy: true},
			effect: policy.EvalImplicitDeny, explains: []string{"key is absent"}},
		{name: "no caller",
			req:    Request{Action: "sns:Publish", Resource: topic},
			effect: policy.EvalImplicitDeny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := &Authorizer{Now: func() time.Time { return fixedNow }}
			if tc.ids != nil {
				a.Identities = tc.ids
			}
			d, err := a.Authorize(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if d.Effect != tc.effect || d.Allowed != (tc.effect == policy.EvalAllowed) {
				t.Fatalf("effect %s (allowed %v), want %s; explanation: %s", d.Effect, d.Allowed, tc.effect, d.Explanation)
			}
			for _, s := range tc.explains {
				if !strings.Contains(d.Explanation, s) {
					t.Errorf("explanation %q does not mention %q", d.Explanation, s)
				}
			}
			if tc.noIDs && tc.ids != nil && tc.ids.calls != 0 {
				t.Errorf("identity source consulted %d times", tc.ids.calls)
			}
		})
	}
}

// TestGlobalConditionKeys checks each derived key with a policy that allows
// only when the key has the expected value, and fails otherwise.
func TestGlobalConditionKeys(t *testing.T) {
	sess := session(map[string]string{"aws:userid": "AROAEXAMPLE123456789:sms-voice", "aws:SourceAccount": acct,
		"aws:CalledVia": "sns.amazonaws.com, kms.amazonaws.com"})
	cases := []struct {
		name   string
		caller *duplex.Caller
		cond   string
		allow  bool
	}{
		{"PrincipalAccount", sess, `"StringEquals":{"aws:PrincipalAccount":"111122223333"}`, true},
		{"PrincipalAccount other", sess, `"StringEquals":{"aws:PrincipalAccount":"999999999999"}`, false},
		{"PrincipalArn is the role for sessions", sess, `"ArnEquals":{"aws:PrincipalArn":"` + roleARN + `"}`, true},
		{"PrincipalArn is not the session", sess, `"StringEquals":{"aws:PrincipalArn":"` + sessARN + `"}`, false},
		{"PrincipalArn of root", root(), `"StringEquals":{"aws:PrincipalArn":"` + rootARN + `"}`, true},
		{"PrincipalType AssumedRole", sess, `"StringEquals":{"aws:PrincipalType":"AssumedRole"}`, true},
		{"PrincipalType Account", root(), `"StringEquals":{"aws:PrincipalType":"Account"}`, true},
		{"PrincipalType root not AssumedRole", root(), `"StringEquals":{"aws:PrincipalType":"AssumedRole"}`, false},
		{"userid of session", sess, `"StringLike":{"aws:userid":"AROA*:sms-voice"}`, true},
		{"userid of root", root(), `"StringEquals":{"aws:userid":"111122223333"}`, true},
		{"SourceIp", sess, `"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}`, true},
		{"SourceIp outside", sess, `"IpAddress":{"aws:SourceIp":"198.51.100.0/24"}`, false},
		{"SecureTransport false", sess, `"Bool":{"aws:SecureTransport":"false"}`, true},
		{"SecureTransport required", sess, `"Bool":{"aws:SecureTransport":"true"}`, false},
		{"CurrentTime after", sess, `"DateGreaterThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}`, true},
		{"CurrentTime before", sess, `"DateLessThan":{"aws:CurrentTime":"2025-01-01T00:00:00Z"}`, false},
		{"EpochTime", sess, `"NumericEquals":{"aws:EpochTime":"1740830400"}`, true},
		{"ResourceAccount", sess, `"StringEquals":{"aws:ResourceAccount":"111122223333"}`, true},
		{"caller context SourceAccount", sess, `"StringEquals":{"aws:SourceAccount":"111122223333"}`, true},
		{"CalledVia multi-valued", sess, `"ForAnyValue:StringEquals":{"aws:CalledVia":"kms.amazonaws.com"}`, true},
		{"ViaAWSService", sess, `"Bool":{"aws:ViaAWSService":"true"}`, true},
		{"ViaAWSService root", root(), `"Bool":{"aws:ViaAWSService":"true"}`, false},
		{"PrincipalIsAWSService", sess, `"Bool":{"aws:PrincipalIsAWSService":"false"}`, true},
		{"request context key", sess, `"StringEquals":{"kms:EncryptionContext:aws:sns:topicArn":"` + topic + `"}`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Sessions: the condition sits in an identity policy. The root
			// has none, so for it the condition sits in the resource policy
			// of another account's topic, which the root needs cross-account.
			doc := `{"Version":"2012-10-17","Statement":[{"Sid":"Cond","Effect":"Allow","Action":"sns:Publish","Resource":"*","Condition":{` + tc.cond + `}}]}`
			a := &Authorizer{Now: func() time.Time { return fixedNow }, Identities: &fakeIdentities{identity: []string{doc}}}
			req := Request{Caller: tc.caller, Action: "sns:Publish", Resource: topic,
				Context: map[string][]string{"kms:EncryptionContext:aws:sns:topicArn": {topic}}}
			if IsRoot(tc.caller) {
				req.Caller = &duplex.Caller{Account: acct, ARN: rootARN, SourceIP: tc.caller.SourceIP}
				req.Resource = otherTop
				req.ResourcePolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"Cond","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sns:Publish","Resource":"*","Condition":{` + tc.cond + `}}]}`
				if strings.Contains(tc.cond, "ResourceAccount") {
					t.Skip("resource account differs in the cross-account form")
				}
			}
			d, err := a.Authorize(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allowed != tc.allow {
				t.Fatalf("allowed %v, want %v: %s", d.Allowed, tc.allow, d.Explanation)
			}
		})
	}
}

func TestIdentitySourceError(t *testing.T) {
	boom := errors.New("store down")
	a := &Authorizer{Identities: &fakeIdentities{err: boom}}
	_, err := a.Authorize(context.Background(), Request{Caller: session(nil), Action: "sns:Publish", Resource: topic})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want %v", err, boom)
	}
}

func TestBadResourcePolicy(t *testing.T) {
	a := &Authorizer{}
	_, err := a.Authorize(context.Background(), Request{Caller: root(), Action: "sns:Publish", Resource: topic,
		ResourcePolicy: `{"Statement":`, ResourcePolicyName: "topic policy of x"})
	var me *policy.MalformedError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "topic policy of x") {
		t.Fatalf("err = %v, want a MalformedError naming the policy", err)
	}
}

func TestIsRoot(t *testing.T) {
	cases := []struct {
		c    *duplex.Caller
		want bool
	}{
		{root(), true},
		{&duplex.Caller{Account: acct, ARN: "arn:aws-us-gov:iam::111122223333:root"}, true},
		{&duplex.Caller{Account: other, ARN: rootARN}, false},
		{session(nil), false},
		{&duplex.Caller{Account: acct, ARN: rootARN, Service: smsVoice}, false},
		{&duplex.Caller{Account: acct, ARN: "arn:aws:iam::111122223333:user/root"}, false},
		{nil, false},
	}
	for _, tc := range cases {
		if got := IsRoot(tc.c); got != tc.want {
			t.Errorf("IsRoot(%+v) = %v, want %v", tc.c, got, tc.want)
		}
	}
}

func TestDeniedMessage(t *testing.T) {
	a := &Authorizer{Identities: &fakeIdentities{identity: []string{permissionDoc}}}
	d, _ := a.Authorize(context.Background(), Request{Caller: session(nil), Action: "sns:Publish", Resource: topic2})
	got := DeniedMessage(session(nil), "sns:Publish", topic2, d)
	want := "User: " + sessARN + " is not authorized to perform: sns:Publish on resource: " + topic2 +
		" because no identity-based policy allows the sns:Publish action"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	d, _ = a.Authorize(context.Background(), Request{Caller: root(), Action: "sns:Publish", Resource: topic, ResourcePolicy: topicPolicyDenyAll})
	if got := DeniedMessage(root(), "sns:Publish", topic, d); !strings.HasSuffix(got, "with an explicit deny in a resource-based policy") {
		t.Errorf("explicit deny message %q", got)
	}
	e := AccessDenied(root(), "sns:Publish", topic, d)
	if e.Code != "AccessDenied" || e.HTTPStatus() != 403 || !strings.Contains(e.Error(), "NoPublish") {
		t.Errorf("AccessDenied = %+v", e)
	}
}

func TestPolicyCache(t *testing.T) {
	var c PolicyCache
	p1, err := c.Parse(permissionDoc, policy.IdentityPolicy)
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := c.Parse(permissionDoc, policy.IdentityPolicy)
	if p1 != p2 {
		t.Error("second parse not served from the cache")
	}
	if _, err := c.Parse(`{"Statement":[]}`, policy.IdentityPolicy); err == nil {
		t.Error("malformed document parsed")
	}
}

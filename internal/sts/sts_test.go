package sts_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/authz"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/e2e"
	"github.com/duplexsms/duplex/internal/policy"
)

const (
	devAccount = config.DevAccount
	devKey     = "AKIADEVACCOUNT000001"
	devSecret  = "dev-secret"
	acctB      = e2e.AccountB
	keyB       = e2e.KeyB
	secretB    = e2e.SecretB
	smsVoice   = "sms-voice.amazonaws.com"
)

var (
	seedTrust = strings.ReplaceAll(`{ "Version": "2012-10-17", "Statement": [ { "Sid": "SMSVoice", "Effect": "Allow", "Principal": { "Service": "sms-voice.amazonaws.com" }, "Action": "sts:AssumeRole", "Condition": { "StringEquals": { "aws:SourceAccount": "accountId" } } } ] }`,
		"accountId", devAccount)
	seedTopic      = "arn:aws:sns:us-east-1:" + devAccount + ":inbound"
	seedPermission = strings.NewReplacer("arn:partition:sns:region:accountId:snsTopicArn", seedTopic, "accountId", devAccount).Replace(
		`{ "Version": "2012-10-17", "Statement": [ { "Sid": "SMSVoiceAllowSNSPublish", "Effect": "Allow", "Action": "sns:Publish", "Resource": "arn:partition:sns:region:accountId:snsTopicArn", "Condition": { "StringEquals": { "aws:ResourceAccount": "accountId" } } }, { "Sid": "SMSVoiceAllowEncryptedSNSTopics", "Effect": "Allow", "Action": [ "kms:Decrypt", "kms:GenerateDataKey*" ], "Resource": "*", "Condition": { "StringEquals": { "kms:EncryptionContext:aws:sns:topicArn": "arn:partition:sns:region:accountId:snsTopicArn", "aws:CalledViaLast": "sns.amazonaws.com" } } } ] }`)
	// A trust policy that lets the dev account (its root, and identities it
	// allows) assume the role.
	accountTrust = `{"Version":"2012-10-17","Statement":[{"Sid":"Account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + devAccount + `:root"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`

	akidRE = regexp.MustCompile(`^ASIA[A-Z0-9]{16}$`)
)

// clock is the STS service's clock in tests: real time plus an offset the
// test moves forward.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }
func (c *clock) reset()                  { c.offset.Store(0) }

// install makes the clock the STS service's; call it before any STS request.
func (c *clock) install(h *e2e.Harness) { h.Server.STS.Now = c.now }

func start(t *testing.T, backend e2e.Backend) (*e2e.Harness, *clock) {
	t.Helper()
	h := e2e.Start(t, backend, e2e.WithAccounts(
		config.Account{ID: devAccount, AccessKeys: []config.AccessKey{{ID: devKey, Secret: devSecret}}},
		config.Account{ID: acctB, AccessKeys: []config.AccessKey{{ID: keyB, Secret: secretB}}},
	))
	c := &clock{}
	c.install(h)
	return h, c
}

func iamClient(h *e2e.Harness, key, secret, token string) *iam.Client {
	return iam.New(iam.Options{Region: e2e.Region, BaseEndpoint: aws.String(h.URL),
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, token), HTTPClient: h.HTTP, RetryMaxAttempts: 1})
}

func stsClient(h *e2e.Harness, key, secret, token string) *sts.Client {
	return sts.New(sts.Options{Region: e2e.Region, BaseEndpoint: aws.String(h.URL),
		Credentials: credentials.NewStaticCredentialsProvider(key, secret, token), HTTPClient: h.HTTP, RetryMaxAttempts: 1})
}

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func wantErr(t testing.TB, err error, code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("expected %s, got success", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("expected an API error, got %T: %v", err, err)
	}
	if ae.ErrorCode() != code || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Fatalf("error %s %q, want %s containing %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

func createRole(t *testing.T, c *iam.Client, name, trust string, permission ...string) string {
	t.Helper()
	ctx := context.Background()
	out, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	noErr(t, err)
	for i, p := range permission {
		_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("p" + string(rune('0'+i))),
			PolicyDocument: aws.String(p)})
		noErr(t, err)
	}
	return aws.ToString(out.Role.Arn)
}

// TestAssumeRoleAsService is the seed's step: sms-voice.amazonaws.com
// assumes the customer's role, guarded by aws:SourceAccount.
func TestAssumeRoleAsService(t *testing.T) {
	for _, b := range e2e.Backends {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			h, _ := start(t, b)
			ctx := context.Background()
			c := iamClient(h, devKey, devSecret, "")
			roleArn := createRole(t, c, "SMSVoiceRole", seedTrust)
			cp, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("SMSVoiceSNS"), PolicyDocument: aws.String(seedPermission)})
			noErr(t, err)
			_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("SMSVoiceRole"), PolicyArn: cp.Policy.Arn})
			noErr(t, err)
			gr, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("SMSVoiceRole")})
			noErr(t, err)
			sourceArn := "arn:aws:sms-voice:us-east-1:" + devAccount + ":phone-number/phone-0123456789abcdef0123456789abcdef"

			// Right source account: allowed.
			cond := map[string]string{"aws:SourceAccount": devAccount, "aws:SourceArn": sourceArn}
			caller, d, err := h.Server.STS.AssumeRoleAsService(ctx, roleArn, smsVoice, cond)
			noErr(t, err)
			if !d.Allowed || !strings.Contains(d.Explanation, `"SMSVoice"`) {
				t.Fatalf("decision %+v", d)
			}
			wantCaller := "arn:aws:sts::" + devAccount + ":assumed-role/SMSVoiceRole/sms-voice"
			if caller.ARN != wantCaller || caller.Account != devAccount || caller.RoleARN != roleArn || caller.Service != "" || caller.AccessKeyID != "" {
				t.Fatalf("caller %+v", caller)
			}
			if caller.Context["aws:SourceAccount"] != devAccount || caller.Context["aws:SourceArn"] != sourceArn ||
				caller.Context["aws:userid"] != aws.ToString(gr.Role.RoleId)+":sms-voice" {
				t.Fatalf("caller context %v", caller.Context)
			}
			// The session acts with the role's permissions.
			pd, err := h.Server.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: "sns:Publish", Resource: seedTopic})
			noErr(t, err)
			if !pd.Allowed || !strings.Contains(pd.Explanation, "SMSVoiceAllowSNSPublish") {
				t.Errorf("publish as the role session: %+v", pd)
			}
			pd, err = h.Server.Authz.Authorize(ctx, authz.Request{Caller: caller, Action: "sns:Publish", Resource: "arn:aws:sns:us-east-1:" + devAccount + ":elsewhere"})
			noErr(t, err)
			if pd.Allowed {
				t.Errorf("publish to another topic allowed: %s", pd.Explanation)
			}

			// Wrong source account: denied, and the explanation names the
			// statement, the condition and the value that failed.
			_, d, err = h.Server.STS.AssumeRoleAsService(ctx, roleArn, smsVoice,
				map[string]string{"aws:SourceAccount": "999999999999", "aws:SourceArn": sourceArn})
			if e, ok := duplex.AsError(err); !ok || e.Code != "AccessDenied" || !strings.Contains(e.Message, "sts:AssumeRole on resource: "+roleArn) {
				t.Fatalf("err = %v", err)
			}
			if d.Allowed || d.Effect != policy.EvalImplicitDeny {
				t.Fatalf("decision %+v", d)
			}
			t.Logf("denied: %v", err)
			for _, want := range []string{`"SMSVoice"`, "StringEquals", "aws:SourceAccount", "999999999999", devAccount} {
				if !strings.Contains(d.Explanation, want) {
					t.Errorf("explanation %q does not mention %s", d.Explanation, want)
				}
			}
			if !strings.Contains(err.Error(), d.Explanation) {
				t.Errorf("error %q does not carry the explanation", err)
			}
			// No source account at all: denied.
			_, d, err = h.Server.STS.AssumeRoleAsService(ctx, roleArn, smsVoice, nil)
			if err == nil || d.Allowed || !strings.Contains(d.Explanation, "aws:SourceAccount") {
				t.Errorf("without aws:SourceAccount: %v %+v", err, d)
			}
			// Another service principal: denied.
			_, d, err = h.Server.STS.AssumeRoleAsService(ctx, roleArn, "sns.amazonaws.com", cond)
			if err == nil || d.Allowed {
				t.Errorf("sns.amazonaws.com assumed the role: %+v", d)
			}
			// A role that does not exist.
			_, d, err = h.Server.STS.AssumeRoleAsService(ctx, "arn:aws:iam::"+devAccount+":role/Nope", smsVoice, cond)
			if e, ok := duplex.AsError(err); !ok || e.Code != "NoSuchEntity" || d.Allowed || !strings.Contains(d.Explanation, "does not exist") {
				t.Errorf("missing role: %v %+v", err, d)
			}
		})
	}
}

func TestTemporaryCredentials(t *testing.T) {
	h, clk := start(t, e2e.SQLite)
	ctx := context.Background()
	roleArn := createRole(t, iamClient(h, devKey, devSecret, ""), "Worker", accountTrust)
	root := stsClient(h, devKey, devSecret, "")

	id, err := root.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
	if aws.ToString(id.Arn) != "arn:aws:iam::"+devAccount+":root" || aws.ToString(id.Account) != devAccount || aws.ToString(id.UserId) != devAccount {
		t.Fatalf("root identity %+v", id)
	}

	out, err := root.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleArn), RoleSessionName: aws.String("job-1"),
		DurationSeconds: aws.Int32(900)})
	noErr(t, err)
	cr := out.Credentials
	if !akidRE.MatchString(aws.ToString(cr.AccessKeyId)) || len(aws.ToString(cr.SecretAccessKey)) != 40 || len(aws.ToString(cr.SessionToken)) < 100 {
		t.Fatalf("credentials %+v", cr)
	}
	if d := time.Until(*cr.Expiration); d < 14*time.Minute || d > 16*time.Minute {
		t.Errorf("Expiration %v is not 15 minutes away", cr.Expiration)
	}
	sessArn := "arn:aws:sts::" + devAccount + ":assumed-role/Worker/job-1"
	if aws.ToString(out.AssumedRoleUser.Arn) != sessArn || !regexp.MustCompile(`^AROA[A-Z0-9]{16}:job-1$`).MatchString(aws.ToString(out.AssumedRoleUser.AssumedRoleId)) {
		t.Fatalf("AssumedRoleUser %+v", out.AssumedRoleUser)
	}
	if out.PackedPolicySize != nil {
		t.Errorf("PackedPolicySize %d without session policy or tags", *out.PackedPolicySize)
	}

	// The temporary credentials work and make an assumed-role caller.
	temp := stsClient(h, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	id, err = temp.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
	if aws.ToString(id.Arn) != sessArn || aws.ToString(id.Account) != devAccount || aws.ToString(id.UserId) != aws.ToString(out.AssumedRoleUser.AssumedRoleId) {
		t.Fatalf("session identity %+v", id)
	}

	// A wrong or missing session token is refused.
	bad := stsClient(h, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)+"x")
	_, err = bad.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantErr(t, err, "InvalidClientTokenId", "security token")
	bad = stsClient(h, aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), "")
	_, err = bad.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantErr(t, err, "InvalidClientTokenId", "security token")
	bad = stsClient(h, aws.ToString(cr.AccessKeyId), "wrong-secret-wrong-secret-wrong-secret00", aws.ToString(cr.SessionToken))
	_, err = bad.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantErr(t, err, "SignatureDoesNotMatch", "")

	// Neither the secret nor the token is stored in clear text.
	rec, err := h.Server.Store.Get(ctx, "", "sts.session", aws.ToString(cr.AccessKeyId))
	noErr(t, err)
	for _, secret := range []string{aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken)} {
		if bytes.Contains(rec.Data, []byte(secret)) || bytes.Contains(rec.Data, []byte(secret[:16])) {
			t.Errorf("the session record holds a secret in clear text: %s", rec.Data)
		}
	}

	// They still work just before expiry, and stop at it.
	clk.advance(14 * time.Minute)
	_, err = temp.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
	clk.advance(time.Minute + time.Second)
	_, err = temp.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantErr(t, err, "ExpiredToken", "expired")
	// A restarted server (same data folder) still knows the credentials
	// and that they expired.
	h.Restart()
	clk.install(h)
	_, err = temp.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantErr(t, err, "ExpiredToken", "expired")
	clk.reset()
	_, err = temp.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	noErr(t, err)
	// Purged sessions are unknown.
	n, err := h.Server.STS.PurgeExpired(ctx, time.Now().Add(time.Hour))
	noErr(t, err)
	if n != 1 {
		t.Errorf("PurgeExpired deleted %d sessions, want 1", n)
	}
	_, err = temp.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantErr(t, err, "InvalidClientTokenId", "security token")
}

func TestAssumeRoleDenied(t *testing.T) {
	h, _ := start(t, e2e.SQLite)
	ctx := context.Background()
	c := iamClient(h, devKey, devSecret, "")
	serviceOnly := createRole(t, c, "ServiceOnly", seedTrust)
	accountRole := createRole(t, c, "AccountRole", accountTrust)
	crossTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + acctB + `"},"Action":"sts:AssumeRole"}]}`
	cross := createRole(t, c, "ForB", crossTrust)
	extTrust := `{"Version":"2012-10-17","Statement":[{"Sid":"Ext","Effect":"Allow","Principal":{"AWS":"` + devAccount + `"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-1234"}}}]}`
	ext := createRole(t, c, "External", extTrust)
	root := stsClient(h, devKey, devSecret, "")
	b := stsClient(h, keyB, secretB, "")
	rootARN := "arn:aws:iam::" + devAccount + ":root"

	assume := func(cl *sts.Client, in *sts.AssumeRoleInput) error {
		if in.RoleSessionName == nil {
			in.RoleSessionName = aws.String("s1")
		}
		_, err := cl.AssumeRole(ctx, in)
		return err
	}
	cases := []struct {
		name      string
		client    *sts.Client
		in        *sts.AssumeRoleInput
		code, msg string
	}{
		{"trust allows only the service", root, &sts.AssumeRoleInput{RoleArn: aws.String(serviceOnly)},
			"AccessDenied", "User: " + rootARN + " is not authorized to perform: sts:AssumeRole on resource: " + serviceOnly},
		{"role does not exist", root, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + devAccount + ":role/Nope")},
			"AccessDenied", "is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::" + devAccount + ":role/Nope"},
		{"another account's root", b, &sts.AssumeRoleInput{RoleArn: aws.String(accountRole)},
			"AccessDenied", "User: arn:aws:iam::" + acctB + ":root is not authorized"},
		{"cross-account trust", b, &sts.AssumeRoleInput{RoleArn: aws.String(cross)}, "", ""},
		{"cross-account trust, wrong caller", root, &sts.AssumeRoleInput{RoleArn: aws.String(cross)}, "AccessDenied", "not authorized"},
		{"external ID missing", root, &sts.AssumeRoleInput{RoleArn: aws.String(ext)}, "AccessDenied", "not authorized"},
		{"external ID wrong", root, &sts.AssumeRoleInput{RoleArn: aws.String(ext), ExternalId: aws.String("ext-9999")}, "AccessDenied", "not authorized"},
		{"external ID right", root, &sts.AssumeRoleInput{RoleArn: aws.String(ext), ExternalId: aws.String("ext-1234")}, "", ""},
		{"tags need sts:TagSession", root, &sts.AssumeRoleInput{RoleArn: aws.String(ext), ExternalId: aws.String("ext-1234"),
			Tags: []ststypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}, "AccessDenied", "sts:TagSession"},
		{"tags allowed", root, &sts.AssumeRoleInput{RoleArn: aws.String(accountRole), Tags: []ststypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}, "", ""},
		{"duration above the role's maximum", root, &sts.AssumeRoleInput{RoleArn: aws.String(accountRole), DurationSeconds: aws.Int32(7200)},
			"ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"duration below 900", root, &sts.AssumeRoleInput{RoleArn: aws.String(accountRole), DurationSeconds: aws.Int32(899)},
			"ValidationError", "900"},
		{"malformed session policy", root, &sts.AssumeRoleInput{RoleArn: aws.String(accountRole), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}`)},
			"MalformedPolicyDocument", "Policy statement must contain actions."},
		{"session policy with unknown operator", root, &sts.AssumeRoleInput{RoleArn: aws.String(accountRole),
			Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Foo":{"a":"b"}}}]}`)},
			"MalformedPolicyDocument", "Unknown condition operator: Foo"},
		{"session policy too long", root, &sts.AssumeRoleInput{RoleArn: aws.String(accountRole),
			Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:userid":["` + strings.Repeat("x", 2100) + `"]}}}]}`)},
			"ValidationError", "2048"},
		{"managed session policies", root, &sts.AssumeRoleInput{RoleArn: aws.String(accountRole),
			PolicyArns: []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::" + devAccount + ":policy/P")}}},
			"ValidationError", "PolicyArns"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := assume(tc.client, tc.in)
			if tc.code == "" {
				noErr(t, err)
				return
			}
			wantErr(t, err, tc.code, tc.msg)
		})
	}
}

// TestSessionPermissions: a role session is authorized by the role's
// policies intersected with its session policy, on the IAM API itself, and
// role chaining needs both the trust policy and the session's permissions.
func TestSessionPermissions(t *testing.T) {
	h, _ := start(t, e2e.SQLite)
	ctx := context.Background()
	c := iamClient(h, devKey, devSecret, "")
	admin := createRole(t, c, "Admin", accountTrust,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","sts:AssumeRole"],"Resource":"*"}]}`)
	readOnly := createRole(t, c, "ReadOnly", accountTrust,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:Get*","iam:List*"],"Resource":"*"}]}`)
	nameTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + readOnly + `"},"Action":"sts:AssumeRole"}]}`
	target := createRole(t, c, "NamesReadOnly", nameTrust)
	root := stsClient(h, devKey, devSecret, "")

	sessionClients := func(roleArn, policy string) (*iam.Client, *sts.Client) {
		in := &sts.AssumeRoleInput{RoleArn: aws.String(roleArn), RoleSessionName: aws.String("t1")}
		if policy != "" {
			in.Policy = aws.String(policy)
		}
		out, err := root.AssumeRole(ctx, in)
		noErr(t, err)
		k, s, tok := aws.ToString(out.Credentials.AccessKeyId), aws.ToString(out.Credentials.SecretAccessKey), aws.ToString(out.Credentials.SessionToken)
		return iamClient(h, k, s, tok), stsClient(h, k, s, tok)
	}

	// The read-only role can read but not write.
	ro, roSTS := sessionClients(readOnly, "")
	_, err := ro.ListRoles(ctx, &iam.ListRolesInput{})
	noErr(t, err)
	_, err = ro.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Sneaky"), AssumeRolePolicyDocument: aws.String(seedTrust)})
	wantErr(t, err, "AccessDenied", "User: arn:aws:sts::"+devAccount+":assumed-role/ReadOnly/t1 is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::"+devAccount+":role/Sneaky because no identity-based policy allows the iam:CreateRole action")

	// A session policy narrows the admin role.
	narrow, _ := sessionClients(admin, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetRole","Resource":"*"}]}`)
	_, err = narrow.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Admin")})
	noErr(t, err)
	_, err = narrow.ListRoles(ctx, &iam.ListRolesInput{})
	wantErr(t, err, "AccessDenied", "iam:ListRoles")
	wide, adminSTS := sessionClients(admin, "")
	_, err = wide.ListRoles(ctx, &iam.ListRolesInput{})
	noErr(t, err)

	// Role chaining: the trust policy of NamesReadOnly names the ReadOnly
	// role itself, so its sessions need no identity permission; the admin
	// session is not named, and the account is not trusted.
	out, err := roSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(target), RoleSessionName: aws.String("chained")})
	noErr(t, err)
	if aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::"+devAccount+":assumed-role/NamesReadOnly/chained" {
		t.Errorf("chained session %+v", out.AssumedRoleUser)
	}
	_, err = adminSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(target), RoleSessionName: aws.String("x1")})
	wantErr(t, err, "AccessDenied", "not authorized to perform: sts:AssumeRole")
	// The account is trusted by Admin's trust policy: the admin session
	// may assume ReadOnly (its identity policy allows sts:AssumeRole), the
	// read-only session may not (no identity allow).
	_, err = adminSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(readOnly), RoleSessionName: aws.String("x1")})
	noErr(t, err)
	_, err = roSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(admin), RoleSessionName: aws.String("x1")})
	wantErr(t, err, "AccessDenied", "not authorized to perform: sts:AssumeRole")
	// Chained sessions are limited to one hour.
	_, err = adminSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(readOnly), RoleSessionName: aws.String("x1"), DurationSeconds: aws.Int32(3601)})
	wantErr(t, err, "ValidationError", "role chaining")

	// A session of a deleted role loses its permissions.
	_, err = c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("ReadOnly"), PolicyName: aws.String("p0")})
	noErr(t, err)
	_, err = ro.ListRoles(ctx, &iam.ListRolesInput{})
	wantErr(t, err, "AccessDenied", "iam:ListRoles")
}

package iam_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/authz"
	"github.com/duplexsms/duplex/internal/e2e"
)

// The seed's documents (spec/two-way-sms.txt) for the dev account.
var (
	seedTrust = strings.ReplaceAll(`{ "Version": "2012-10-17", "Statement": [ { "Sid": "SMSVoice", "Effect": "Allow", "Principal": { "Service": "sms-voice.amazonaws.com" }, "Action": "sts:AssumeRole", "Condition": { "StringEquals": { "aws:SourceAccount": "accountId" } } } ] }`,
		"accountId", devAccount)
	seedTopic      = "arn:aws:sns:us-east-1:" + devAccount + ":inbound"
	seedPermission = strings.NewReplacer("arn:partition:sns:region:accountId:snsTopicArn", seedTopic, "accountId", devAccount).Replace(
		`{ "Version": "2012-10-17", "Statement": [ { "Sid": "SMSVoiceAllowSNSPublish", "Effect": "Allow", "Action": "sns:Publish", "Resource": "arn:partition:sns:region:accountId:snsTopicArn", "Condition": { "StringEquals": { "aws:ResourceAccount": "accountId" } } }, { "Sid": "SMSVoiceAllowEncryptedSNSTopics", "Effect": "Allow", "Action": [ "kms:Decrypt", "kms:GenerateDataKey*" ], "Resource": "*", "Condition": { "StringEquals": { "kms:EncryptionContext:aws:sns:topicArn": "arn:partition:sns:region:accountId:snsTopicArn", "aws:CalledViaLast": "sns.amazonaws.com" } } } ] }`)
)

var (
	roleIDRE   = regexp.MustCompile(`^AROA[A-Z0-9]{16}$`)
	policyIDRE = regexp.MustCompile(`^ANPA[A-Z0-9]{16}$`)
)

func TestSeedRole(t *testing.T) {
	for _, b := range e2e.Backends {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			h := start(t, b)
			seedRole(t, h)
		})
	}
}

func seedRole(t *testing.T, h *e2e.Harness) {
	ctx := context.Background()
	c := iamClient(h, devKey, devSecret, "")

	cr, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("SMSVoiceRole"), Path: aws.String("/service-role/"),
		AssumeRolePolicyDocument: aws.String(seedTrust), Description: aws.String("two-way SMS to SNS"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("sms")}}})
	noErr(t, err)
	role := cr.Role
	wantARN := "arn:aws:iam::" + devAccount + ":role/service-role/SMSVoiceRole"
	if aws.ToString(role.Arn) != wantARN || aws.ToString(role.Path) != "/service-role/" || !roleIDRE.MatchString(aws.ToString(role.RoleId)) {
		t.Fatalf("CreateRole returned %+v", role)
	}
	if aws.ToInt32(role.MaxSessionDuration) != 3600 || role.CreateDate == nil || time.Since(*role.CreateDate) > time.Hour {
		t.Fatalf("CreateRole MaxSessionDuration %v CreateDate %v", role.MaxSessionDuration, role.CreateDate)
	}
	sameJSON(t, decodeDoc(t, role.AssumeRolePolicyDocument), seedTrust)

	gr, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("SMSVoiceRole")})
	noErr(t, err)
	raw := aws.ToString(gr.Role.AssumeRolePolicyDocument)
	if !strings.HasPrefix(raw, "%7B%20%22Version%22%3A%20%222012-10-17%22") {
		t.Errorf("GetRole document is not RFC 3986 URL-encoded as AWS sends it: %.60s", raw)
	}
	if got := decodeDoc(t, gr.Role.AssumeRolePolicyDocument); got != seedTrust {
		t.Errorf("trust policy not returned verbatim:\n got %s\nwant %s", got, seedTrust)
	}
	if aws.ToString(gr.Role.RoleId) != aws.ToString(role.RoleId) || aws.ToString(gr.Role.Description) != "two-way SMS to SNS" ||
		len(gr.Role.Tags) != 1 || aws.ToString(gr.Role.Tags[0].Key) != "team" {
		t.Errorf("GetRole returned %+v", gr.Role)
	}
	// IAM names are case-insensitive.
	if _, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("smsvoicerole")}); err != nil {
		t.Errorf("GetRole with other case: %v", err)
	}
	_, err = c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("SMSVOICEROLE"), AssumeRolePolicyDocument: aws.String(seedTrust)})
	wantErr(t, err, "EntityAlreadyExists", "Role with name SMSVOICEROLE already exists.")

	// The permission policy, inline.
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("SMSVoiceRole"), PolicyName: aws.String("sns-publish"),
		PolicyDocument: aws.String(seedPermission)})
	noErr(t, err)
	rp, err := c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String("SMSVoiceRole"), PolicyName: aws.String("sns-publish")})
	noErr(t, err)
	if got := decodeDoc(t, rp.PolicyDocument); got != seedPermission {
		t.Errorf("inline policy not returned verbatim:\n got %s\nwant %s", got, seedPermission)
	}
	lp, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: aws.String("SMSVoiceRole")})
	noErr(t, err)
	if len(lp.PolicyNames) != 1 || lp.PolicyNames[0] != "sns-publish" || lp.IsTruncated {
		t.Errorf("ListRolePolicies = %v truncated %v", lp.PolicyNames, lp.IsTruncated)
	}

	// The same policy as a managed policy, attached.
	cp, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("SMSVoiceSNS"), PolicyDocument: aws.String(seedPermission),
		Path: aws.String("/sms/"), Description: aws.String("seed permission policy")})
	noErr(t, err)
	pol := cp.Policy
	polARN := "arn:aws:iam::" + devAccount + ":policy/sms/SMSVoiceSNS"
	if aws.ToString(pol.Arn) != polARN || !policyIDRE.MatchString(aws.ToString(pol.PolicyId)) || aws.ToString(pol.DefaultVersionId) != "v1" ||
		aws.ToInt32(pol.AttachmentCount) != 0 || !pol.IsAttachable {
		t.Fatalf("CreatePolicy returned %+v", pol)
	}
	_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("SMSVoiceSNS"), PolicyDocument: aws.String(seedPermission)})
	wantErr(t, err, "EntityAlreadyExists", "A policy called SMSVoiceSNS already exists.")
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("SMSVoiceRole"), PolicyArn: aws.String(polARN)})
	noErr(t, err)
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("SMSVoiceRole"), PolicyArn: aws.String(polARN)})
	noErr(t, err) // attaching twice is a no-op
	gp, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(polARN)})
	noErr(t, err)
	if aws.ToInt32(gp.Policy.AttachmentCount) != 1 || aws.ToString(gp.Policy.Description) != "seed permission policy" {
		t.Errorf("GetPolicy returned %+v", gp.Policy)
	}
	pv, err := c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(polARN), VersionId: aws.String("v1")})
	noErr(t, err)
	if got := decodeDoc(t, pv.PolicyVersion.Document); got != seedPermission || !pv.PolicyVersion.IsDefaultVersion {
		t.Errorf("GetPolicyVersion returned %+v", pv.PolicyVersion)
	}
	_, err = c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(polARN), VersionId: aws.String("v2")})
	wantErr(t, err, "NoSuchEntity", "version v2")
	la, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("SMSVoiceRole")})
	noErr(t, err)
	if len(la.AttachedPolicies) != 1 || aws.ToString(la.AttachedPolicies[0].PolicyArn) != polARN || aws.ToString(la.AttachedPolicies[0].PolicyName) != "SMSVoiceSNS" {
		t.Errorf("ListAttachedRolePolicies = %+v", la.AttachedPolicies)
	}

	// What authz sees for a session of the role: both copies of the
	// permission policy, and the decisions they give.
	sess := &duplex.Caller{Account: devAccount, ARN: "arn:aws:sts::" + devAccount + ":assumed-role/SMSVoiceRole/s1", RoleARN: wantARN}
	ids, session, err := h.Server.IAM.IdentityPolicies(ctx, sess)
	noErr(t, err)
	if len(ids) != 2 || len(session) != 0 || ids[0].Name != "role SMSVoiceRole inline policy sns-publish" || ids[1].Name != polARN {
		names := []string{}
		for _, n := range ids {
			names = append(names, n.Name)
		}
		t.Fatalf("IdentityPolicies = %v (session %d)", names, len(session))
	}
	d, err := h.Server.Authz.Authorize(ctx, authz.Request{Caller: sess, Action: "sns:Publish", Resource: seedTopic})
	noErr(t, err)
	if !d.Allowed || !strings.Contains(d.Explanation, "SMSVoiceAllowSNSPublish") {
		t.Errorf("publish to the seed topic: %+v", d)
	}
	d, err = h.Server.Authz.Authorize(ctx, authz.Request{Caller: sess, Action: "sns:Publish", Resource: seedTopic + "-other"})
	noErr(t, err)
	if d.Allowed {
		t.Errorf("publish to another topic allowed: %s", d.Explanation)
	}
	// Detached and deleted, the managed copy no longer applies.
	_, err = c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String("SMSVoiceRole"), PolicyName: aws.String("sns-publish")})
	noErr(t, err)
	ids, _, err = h.Server.IAM.IdentityPolicies(ctx, sess)
	noErr(t, err)
	if len(ids) != 1 || ids[0].Name != polARN {
		t.Errorf("after DeleteRolePolicy: %d identity policies", len(ids))
	}
	_, err = c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String("SMSVoiceRole"), PolicyArn: aws.String(polARN)})
	noErr(t, err)
	ids, _, err = h.Server.IAM.IdentityPolicies(ctx, sess)
	noErr(t, err)
	if len(ids) != 0 {
		t.Errorf("after DetachRolePolicy: %d identity policies", len(ids))
	}
}

func TestDeleteConflicts(t *testing.T) {
	h := start(t, e2e.SQLite)
	ctx := context.Background()
	c := iamClient(h, devKey, devSecret, "")
	name := aws.String("R")
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: aws.String(seedTrust)})
	noErr(t, err)
	_, err = c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: name, PolicyName: aws.String("inline"), PolicyDocument: aws.String(seedPermission)})
	noErr(t, err)
	cp, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("M"), PolicyDocument: aws.String(seedPermission)})
	noErr(t, err)
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: name, PolicyArn: cp.Policy.Arn})
	noErr(t, err)

	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: name})
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: cp.Policy.Arn})
	wantErr(t, err, "DeleteConflict", "Cannot delete a policy attached to entities.")
	_, err = c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: name, PolicyName: aws.String("inline")})
	noErr(t, err)
	_, err = c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: name, PolicyName: aws.String("inline")})
	wantErr(t, err, "NoSuchEntity", "The role policy with name inline cannot be found.")
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: name})
	wantErr(t, err, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	_, err = c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: name, PolicyArn: cp.Policy.Arn})
	noErr(t, err)
	_, err = c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: name, PolicyArn: cp.Policy.Arn})
	wantErr(t, err, "NoSuchEntity", "was not found")
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: name})
	noErr(t, err)
	_, err = c.GetRole(ctx, &iam.GetRoleInput{RoleName: name})
	wantErr(t, err, "NoSuchEntity", "The role with name R cannot be found.")
	_, err = c.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: name})
	wantErr(t, err, "NoSuchEntity", "The role with name R cannot be found.")
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: cp.Policy.Arn})
	noErr(t, err)
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: cp.Policy.Arn})
	wantErr(t, err, "NoSuchEntity", "Policy "+aws.ToString(cp.Policy.Arn)+" was not found.")
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("nobody"), PolicyArn: cp.Policy.Arn})
	wantErr(t, err, "NoSuchEntity", "The role with name nobody cannot be found.")
	_, err = c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::000000000000:user/not-a-policy")})
	wantErr(t, err, "InvalidInput", "is not valid")
}

func TestBadDocuments(t *testing.T) {
	h := start(t, e2e.SQLite)
	ctx := context.Background()
	c := iamClient(h, devKey, devSecret, "")
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Target"), AssumeRolePolicyDocument: aws.String(seedTrust)})
	noErr(t, err)

	stmt := func(n int) string { // an identity statement of about 100 non-blank characters
		return fmt.Sprintf(`{"Sid":"S%d","Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:000000000000:t%08d"}`, n, n)
	}
	docOf := func(stmts int) string {
		var s []string
		for i := range stmts {
			s = append(s, stmt(i))
		}
		return `{"Version":"2012-10-17","Statement":[` + strings.Join(s, ",") + `]}`
	}
	bigTrust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sms-voice.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":[` +
		strings.TrimSuffix(strings.Repeat(`"000000000000",`, 140), ",") + `]}}}]}`
	// Whitespace does not count: a trust policy padded far beyond 2048
	// bytes with blanks is accepted.
	paddedTrust := strings.ReplaceAll(seedTrust, " ", strings.Repeat(" ", 60))

	cases := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"trust policy not JSON", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("X1"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[`)})
			return err
		}, "MalformedPolicyDocument", "Syntax errors in policy."},
		{"unknown condition operator", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("X2"), AssumeRolePolicyDocument: aws.String(strings.Replace(seedTrust, "StringEquals", "StringEqualz", 1))})
			return err
		}, "MalformedPolicyDocument", "Unknown condition operator: StringEqualz"},
		{"trust policy without principal", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("X3"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`)})
			return err
		}, "MalformedPolicyDocument", "Missing required field Principal"},
		{"trust policy with resource", func() error {
			_, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Target"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}]}`)})
			return err
		}, "MalformedPolicyDocument", "Has prohibited field Resource"},
		{"trust policy over 2048 characters", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("X4"), AssumeRolePolicyDocument: aws.String(bigTrust)})
			return err
		}, "LimitExceeded", "Cannot exceed quota for ACLSizePerRole: 2048"},
		{"trust policy update over 2048 characters", func() error {
			_, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Target"), PolicyDocument: aws.String(bigTrust)})
			return err
		}, "LimitExceeded", "ACLSizePerRole"},
		{"whitespace does not count", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Padded"), AssumeRolePolicyDocument: aws.String(paddedTrust)})
			return err
		}, "", ""},
		{"inline policy with principal", func() error {
			_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Target"), PolicyName: aws.String("p"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*"}]}`)})
			return err
		}, "MalformedPolicyDocument", "Policy document should not specify a principal."},
		{"inline policy bad effect", func() error {
			_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Target"), PolicyName: aws.String("p"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Alow","Action":"sns:Publish","Resource":"*"}]}`)})
			return err
		}, "MalformedPolicyDocument", "Invalid effect: Alow"},
		{"inline policy unknown operator", func() error {
			_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Target"), PolicyName: aws.String("p"),
				PolicyDocument: aws.String(strings.Replace(seedPermission, `"StringEquals"`, `"StringEqualsX"`, 1))})
			return err
		}, "MalformedPolicyDocument", "Unknown condition operator: StringEqualsX"},
		{"inline policies of a role over 10240 characters together", func() error {
			if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Target"), PolicyName: aws.String("half1"), PolicyDocument: aws.String(docOf(55))}); err != nil {
				return fmt.Errorf("first half refused: %w", err)
			}
			_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Target"), PolicyName: aws.String("half2"), PolicyDocument: aws.String(docOf(55))})
			return err
		}, "LimitExceeded", "Maximum policy size of 10240 bytes exceeded for role Target"},
		{"replacing an inline policy does not count it twice", func() error {
			_, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("Target"), PolicyName: aws.String("half1"), PolicyDocument: aws.String(docOf(56))})
			return err
		}, "", ""},
		{"managed policy over 6144 characters", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Big"), PolicyDocument: aws.String(docOf(65))})
			return err
		}, "LimitExceeded", "Cannot exceed quota for PolicySize: 6144"},
		{"managed policy just under 6144 characters", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Fits"), PolicyDocument: aws.String(docOf(50))})
			return err
		}, "", ""},
		{"managed policy missing resource", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("NoRes"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sns:Publish"}]}`)})
			return err
		}, "MalformedPolicyDocument", "Policy statement must contain resources."},
		{"document beyond the model's 131072 characters", func() error {
			_, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("Huge"), PolicyDocument: aws.String(docOf(1400))})
			return err
		}, "ValidationError", "131072"},
		{"permissions boundary", func() error {
			_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("X5"), AssumeRolePolicyDocument: aws.String(seedTrust),
				PermissionsBoundary: aws.String("arn:aws:iam::000000000000:policy/Fits")})
			return err
		}, "InvalidInput", "Permissions boundaries"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.code == "" {
				noErr(t, err)
				return
			}
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	// Nothing refused was created.
	lr, err := c.ListRoles(ctx, &iam.ListRolesInput{})
	noErr(t, err)
	var names []string
	for _, r := range lr.Roles {
		names = append(names, aws.ToString(r.RoleName))
	}
	if strings.Join(names, ",") != "Padded,Target" {
		t.Errorf("roles after the bad documents: %v", names)
	}
}

func TestListPaging(t *testing.T) {
	h := start(t, e2e.SQLite)
	ctx := context.Background()
	c := iamClient(h, devKey, devSecret, "")
	var want []string
	for i := range 7 {
		path := "/a/"
		if i%2 == 1 {
			path = "/b/"
		}
		name := fmt.Sprintf("role-%02d", i)
		_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), Path: aws.String(path), AssumeRolePolicyDocument: aws.String(seedTrust)})
		noErr(t, err)
		want = append(want, name)
		_, err = c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(fmt.Sprintf("pol-%02d", i)), Path: aws.String(path), PolicyDocument: aws.String(seedPermission)})
		noErr(t, err)
	}
	var got []string
	var marker *string
	pages := 0
	for {
		out, err := c.ListRoles(ctx, &iam.ListRolesInput{MaxItems: aws.Int32(3), Marker: marker})
		noErr(t, err)
		pages++
		for _, r := range out.Roles {
			got = append(got, aws.ToString(r.RoleName))
			if r.Tags != nil {
				t.Errorf("ListRoles returned tags")
			}
			if decodeDoc(t, r.AssumeRolePolicyDocument) != seedTrust {
				t.Errorf("ListRoles document of %s differs", aws.ToString(r.RoleName))
			}
		}
		if !out.IsTruncated {
			if out.Marker != nil {
				t.Errorf("last page has a Marker")
			}
			break
		}
		if out.Marker == nil || len(out.Roles) != 3 {
			t.Fatalf("truncated page of %d roles with marker %v", len(out.Roles), out.Marker)
		}
		marker = out.Marker
	}
	if strings.Join(got, ",") != strings.Join(want, ",") || pages != 3 {
		t.Errorf("ListRoles pages %d: %v, want %v", pages, got, want)
	}
	// The SDK paginator agrees, and PathPrefix filters.
	p := iam.NewListRolesPaginator(c, &iam.ListRolesInput{PathPrefix: aws.String("/b/"), MaxItems: aws.Int32(2)})
	got = nil
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		noErr(t, err)
		for _, r := range out.Roles {
			got = append(got, aws.ToString(r.RoleName))
		}
	}
	if strings.Join(got, ",") != "role-01,role-03,role-05" {
		t.Errorf("ListRoles /b/: %v", got)
	}
	_, err := c.ListRoles(ctx, &iam.ListRolesInput{Marker: aws.String("not-a-marker")})
	wantErr(t, err, "InvalidInput", "Marker")

	// Policies: Local lists them, AWS lists none, OnlyAttached only the attached one.
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("role-00"), PolicyArn: aws.String("arn:aws:iam::000000000000:policy/b/pol-03")})
	noErr(t, err)
	count := func(in *iam.ListPoliciesInput) []string {
		var names []string
		p := iam.NewListPoliciesPaginator(c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			noErr(t, err)
			for _, x := range out.Policies {
				names = append(names, aws.ToString(x.PolicyName))
			}
		}
		return names
	}
	if got := count(&iam.ListPoliciesInput{Scope: types.PolicyScopeTypeLocal, MaxItems: aws.Int32(2)}); len(got) != 7 || got[0] != "pol-00" || got[6] != "pol-06" {
		t.Errorf("ListPolicies Local: %v", got)
	}
	if got := count(&iam.ListPoliciesInput{Scope: types.PolicyScopeTypeAws}); len(got) != 0 {
		t.Errorf("ListPolicies AWS: %v", got)
	}
	if got := count(&iam.ListPoliciesInput{OnlyAttached: true}); strings.Join(got, ",") != "pol-03" {
		t.Errorf("ListPolicies OnlyAttached: %v", got)
	}
	if got := count(&iam.ListPoliciesInput{PathPrefix: aws.String("/a/")}); strings.Join(got, ",") != "pol-00,pol-02,pol-04,pol-06" {
		t.Errorf("ListPolicies /a/: %v", got)
	}
	_, err = c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("role-00"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	wantErr(t, err, "NoSuchEntity", "does not exist or is not attachable")
}

func TestTags(t *testing.T) {
	h := start(t, e2e.SQLite)
	ctx := context.Background()
	c := iamClient(h, devKey, devSecret, "")
	name := aws.String("Tagged")
	_, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: name, AssumeRolePolicyDocument: aws.String(seedTrust),
		Tags: []types.Tag{{Key: aws.String("b"), Value: aws.String("1")}}})
	noErr(t, err)
	_, err = c.TagRole(ctx, &iam.TagRoleInput{RoleName: name, Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("2")}, {Key: aws.String("B"), Value: aws.String("3")}}})
	noErr(t, err)
	lt, err := c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: name})
	noErr(t, err)
	var got []string
	for _, tg := range lt.Tags {
		got = append(got, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
	}
	if strings.Join(got, ",") != "B=3,a=2" {
		t.Errorf("tags %v, want B=3,a=2 (keys are case-insensitive)", got)
	}
	_, err = c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: name, TagKeys: []string{"b"}})
	noErr(t, err)
	lt, err = c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: name})
	noErr(t, err)
	if len(lt.Tags) != 1 || aws.ToString(lt.Tags[0].Key) != "a" {
		t.Errorf("after UntagRole: %+v", lt.Tags)
	}
	_, err = c.TagRole(ctx, &iam.TagRoleInput{RoleName: name, Tags: []types.Tag{{Key: aws.String("x"), Value: aws.String("1")}, {Key: aws.String("X"), Value: aws.String("2")}}})
	wantErr(t, err, "InvalidInput", "Duplicate tag keys")
	var many []types.Tag
	for i := range 50 {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
	}
	_, err = c.TagRole(ctx, &iam.TagRoleInput{RoleName: name, Tags: many})
	wantErr(t, err, "LimitExceeded", "TagsPerRole")
	_, err = c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("nobody"), Tags: many[:1]})
	wantErr(t, err, "NoSuchEntity", "The role with name nobody cannot be found.")
}

func TestAccountIsolation(t *testing.T) {
	h := start(t, e2e.SQLite)
	ctx := context.Background()
	a := iamClient(h, devKey, devSecret, "")
	b := iamClient(h, keyB, secretB, "")
	_, err := a.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Shared"), AssumeRolePolicyDocument: aws.String(seedTrust)})
	noErr(t, err)
	cp, err := a.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("P"), PolicyDocument: aws.String(seedPermission)})
	noErr(t, err)

	_, err = b.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Shared")})
	wantErr(t, err, "NoSuchEntity", "The role with name Shared cannot be found.")
	lr, err := b.ListRoles(ctx, &iam.ListRolesInput{})
	noErr(t, err)
	if len(lr.Roles) != 0 {
		t.Errorf("account B lists %d roles", len(lr.Roles))
	}
	_, err = b.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: cp.Policy.Arn})
	wantErr(t, err, "NoSuchEntity", "was not found")
	lp, err := b.ListPolicies(ctx, &iam.ListPoliciesInput{})
	noErr(t, err)
	if len(lp.Policies) != 0 {
		t.Errorf("account B lists %d policies", len(lp.Policies))
	}
	_, err = b.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("Shared")})
	wantErr(t, err, "NoSuchEntity", "cannot be found")

	// B has its own namespace.
	cr, err := b.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("Shared"), AssumeRolePolicyDocument: aws.String(seedTrust)})
	noErr(t, err)
	if aws.ToString(cr.Role.Arn) != "arn:aws:iam::"+acctB+":role/Shared" {
		t.Errorf("B's role ARN %s", aws.ToString(cr.Role.Arn))
	}
	_, err = b.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("Shared"), PolicyArn: cp.Policy.Arn})
	wantErr(t, err, "NoSuchEntity", "does not exist or is not attachable")
	ga, err := a.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Shared")})
	noErr(t, err)
	if aws.ToString(ga.Role.RoleId) == aws.ToString(cr.Role.RoleId) {
		t.Error("both accounts' roles have the same RoleId")
	}
	// IAM is global: any signing region is accepted.
	other := iam.New(iam.Options{Region: "eu-west-1", BaseEndpoint: aws.String(h.URL),
		Credentials: a.Options().Credentials, HTTPClient: h.HTTP, RetryMaxAttempts: 1})
	if _, err := other.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("Shared")}); err != nil {
		t.Errorf("GetRole signed for eu-west-1: %v", err)
	}
}

// TestCLI runs the aws CLI against the server, when it is installed.
func TestCLI(t *testing.T) {
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not on PATH")
	}
	h := start(t, e2e.SQLite)
	dir := t.TempDir()
	file := filepath.Join(dir, "trust.json")
	noErr(t, os.WriteFile(file, []byte(seedTrust), 0o600))
	run := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--endpoint-url", h.URL, "--output", "json"}, args...)...)
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") {
				env = append(env, kv)
			}
		}
		cmd.Env = append(env, "AWS_ACCESS_KEY_ID="+devKey, "AWS_SECRET_ACCESS_KEY="+devSecret,
			"AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=",
			"AWS_CONFIG_FILE="+filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "none"))
		out, err := cmd.Output()
		if err != nil {
			stderr := ""
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return out
	}
	run("iam", "create-role", "--role-name", "CLIRole", "--assume-role-policy-document", "file://"+file)
	out := run("iam", "get-role", "--role-name", "CLIRole")
	var got struct {
		Role struct {
			Arn                      string
			AssumeRolePolicyDocument json.RawMessage
		}
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("get-role output %s: %v", out, err)
	}
	if got.Role.Arn != "arn:aws:iam::"+devAccount+":role/CLIRole" {
		t.Errorf("Arn %s", got.Role.Arn)
	}
	// The CLI decodes the URL-encoded document into JSON.
	sameJSON(t, string(got.Role.AssumeRolePolicyDocument), seedTrust)
}

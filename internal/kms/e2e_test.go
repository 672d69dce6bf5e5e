package kms_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/e2e"
	"github.com/duplexsms/duplex/internal/kms"
	"github.com/duplexsms/duplex/internal/server"
	"github.com/duplexsms/duplex/internal/testutil"
)

const (
	acctA = e2e.AccountA
	acctB = e2e.AccountB
	smsVC = "sms-voice.amazonaws.com"
)

// withMasterKeyFile writes a fresh master key file and configures it.
func withMasterKeyFile(t testing.TB) e2e.Option {
	p := filepath.Join(t.TempDir(), "master.key")
	k := make([]byte, 32)
	rand.Read(k)
	if err := os.WriteFile(p, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(c *config.Config) { c.MasterKeyFile = p }
}

func client(h *e2e.Harness, key string) *awskms.Client {
	return awskms.New(awskms.Options{
		Region:           e2e.Region,
		BaseEndpoint:     aws.String(h.URL),
		Credentials:      credentials.NewStaticCredentialsProvider(key, h.Secret(key), ""),
		HTTPClient:       h.HTTP,
		RetryMaxAttempts: 1,
	})
}

type flow struct {
	name string
	run  func(t *testing.T, h *e2e.Harness, a, b *awskms.Client)
}

var flows = []flow{
	{"KeyLifecycle", keyLifecycle},
	{"EncryptDecrypt", encryptDecrypt},
	{"SeedKeyPolicy", seedKeyPolicy},
	{"PolicyChecks", policyChecks},
	{"CrossAccount", crossAccount},
	{"Asymmetric", asymmetric},
	{"Aliases", aliases},
	{"Restart", restart},
	{"IAMDelegation", iamDelegation},
}

func TestKMSSQLite(t *testing.T)   { runFlows(t, e2e.SQLite) }
func TestKMSPostgres(t *testing.T) { runFlows(t, e2e.Postgres) }

func runFlows(t *testing.T, b e2e.Backend) {
	for _, f := range flows {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			h := e2e.Start(t, b)
			f.run(t, h, client(h, e2e.KeyA), client(h, e2e.KeyB))
		})
	}
}

var bg = context.Background()

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func wantCode(t testing.TB, err error, code string) smithy.APIError {
	t.Helper()
	if err == nil {
		t.Fatalf("expected %s, got success", code)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("expected an API error, got %T: %v", err, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("error code = %s, want %s (%v)", ae.ErrorCode(), code, err)
	}
	return ae
}

func createKey(t testing.TB, c *awskms.Client, in *awskms.CreateKeyInput) *types.KeyMetadata {
	t.Helper()
	if in == nil {
		in = &awskms.CreateKeyInput{}
	}
	out, err := c.CreateKey(bg, in)
	noErr(t, err)
	return out.KeyMetadata
}

func keyArn(account, id string) string {
	return "arn:aws:kms:" + e2e.Region + ":" + account + ":key/" + id
}

func keyLifecycle(t *testing.T, h *e2e.Harness, a, b *awskms.Client) {
	md := createKey(t, a, &awskms.CreateKeyInput{Description: aws.String("inbound topic key"),
		Tags: []types.Tag{{TagKey: aws.String("team"), TagValue: aws.String("sms")}}})
	id := aws.ToString(md.KeyId)
	if len(id) != 36 || aws.ToString(md.Arn) != keyArn(acctA, id) {
		t.Fatalf("KeyId %q Arn %q", id, aws.ToString(md.Arn))
	}
	if aws.ToString(md.AWSAccountId) != acctA || !md.Enabled || md.KeyState != types.KeyStateEnabled ||
		md.KeyManager != types.KeyManagerTypeCustomer || md.Origin != types.OriginTypeAwsKms ||
		md.KeySpec != types.KeySpecSymmetricDefault || md.CustomerMasterKeySpec != types.CustomerMasterKeySpecSymmetricDefault ||
		md.KeyUsage != types.KeyUsageTypeEncryptDecrypt || aws.ToBool(md.MultiRegion) || md.MultiRegion == nil ||
		md.CreationDate == nil || aws.ToString(md.Description) != "inbound topic key" {
		t.Fatalf("metadata %+v", md)
	}
	if len(md.EncryptionAlgorithms) != 1 || md.EncryptionAlgorithms[0] != types.EncryptionAlgorithmSpecSymmetricDefault {
		t.Fatalf("EncryptionAlgorithms %v", md.EncryptionAlgorithms)
	}

	// The default key policy.
	pol, err := a.GetKeyPolicy(bg, &awskms.GetKeyPolicyInput{KeyId: &id})
	noErr(t, err)
	if aws.ToString(pol.PolicyName) != "default" {
		t.Fatalf("PolicyName %q", aws.ToString(pol.PolicyName))
	}
	var doc struct {
		Version, Id string
		Statement   []struct {
			Sid, Effect, Action, Resource string
			Principal                     map[string]string
		}
	}
	noErr(t, json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc))
	if doc.Version != "2012-10-17" || doc.Id != "key-default-1" || len(doc.Statement) != 1 ||
		doc.Statement[0].Sid != "Enable IAM User Permissions" || doc.Statement[0].Effect != "Allow" ||
		doc.Statement[0].Principal["AWS"] != "arn:aws:iam::"+acctA+":root" || doc.Statement[0].Action != "kms:*" ||
		doc.Statement[0].Resource != "*" {
		t.Fatalf("default policy %s", aws.ToString(pol.Policy))
	}
	_, err = a.GetKeyPolicy(bg, &awskms.GetKeyPolicyInput{KeyId: &id, PolicyName: aws.String("other")})
	wantCode(t, err, "NotFoundException")
	pols, err := a.ListKeyPolicies(bg, &awskms.ListKeyPoliciesInput{KeyId: &id})
	noErr(t, err)
	if len(pols.PolicyNames) != 1 || pols.PolicyNames[0] != "default" {
		t.Fatalf("ListKeyPolicies %v", pols.PolicyNames)
	}

	// Not found, and accounts are isolated.
	_, err = a.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: aws.String("0a1b2c3d-0000-4000-8000-000000000000")})
	ae := wantCode(t, err, "NotFoundException")
	if !strings.Contains(ae.ErrorMessage(), keyArn(acctA, "0a1b2c3d-0000-4000-8000-000000000000")) {
		t.Fatalf("message %q", ae.ErrorMessage())
	}
	_, err = a.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: aws.String("not-a-key")})
	wantCode(t, err, "NotFoundException")
	_, err = b.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: &id})
	wantCode(t, err, "NotFoundException")
	_, err = b.DisableKey(bg, &awskms.DisableKeyInput{KeyId: md.Arn}) // management is never cross-account
	wantCode(t, err, "NotFoundException")

	// Model validation is the wire layer's.
	_, err = a.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: aws.String("")})
	if err == nil {
		t.Fatal("empty KeyId accepted")
	}

	// Tags.
	_, err = a.TagResource(bg, &awskms.TagResourceInput{KeyId: &id, Tags: []types.Tag{{TagKey: aws.String("env"), TagValue: aws.String("dev")},
		{TagKey: aws.String("team"), TagValue: aws.String("ops")}}})
	noErr(t, err)
	_, err = a.TagResource(bg, &awskms.TagResourceInput{KeyId: &id, Tags: []types.Tag{{TagKey: aws.String("aws:x"), TagValue: aws.String("1")}}})
	wantCode(t, err, "TagException")
	_, err = a.UntagResource(bg, &awskms.UntagResourceInput{KeyId: &id, TagKeys: []string{"env"}})
	noErr(t, err)
	tags, err := a.ListResourceTags(bg, &awskms.ListResourceTagsInput{KeyId: &id})
	noErr(t, err)
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].TagKey) != "team" || aws.ToString(tags.Tags[0].TagValue) != "ops" {
		t.Fatalf("tags %+v", tags.Tags)
	}
	_, err = a.UpdateKeyDescription(bg, &awskms.UpdateKeyDescriptionInput{KeyId: &id, Description: aws.String("new")})
	noErr(t, err)

	// Disable / enable.
	pt := []byte("secret")
	_, err = a.DisableKey(bg, &awskms.DisableKeyInput{KeyId: &id})
	noErr(t, err)
	d, err := a.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: &id})
	noErr(t, err)
	if d.KeyMetadata.Enabled || d.KeyMetadata.KeyState != types.KeyStateDisabled || aws.ToString(d.KeyMetadata.Description) != "new" {
		t.Fatalf("after DisableKey %+v", d.KeyMetadata)
	}
	_, err = a.Encrypt(bg, &awskms.EncryptInput{KeyId: &id, Plaintext: pt})
	ae = wantCode(t, err, "DisabledException")
	if ae.ErrorMessage() != keyArn(acctA, id)+" is disabled." {
		t.Fatalf("message %q", ae.ErrorMessage())
	}
	_, err = a.GenerateDataKey(bg, &awskms.GenerateDataKeyInput{KeyId: &id, KeySpec: types.DataKeySpecAes256})
	wantCode(t, err, "DisabledException")
	_, err = a.EnableKey(bg, &awskms.EnableKeyInput{KeyId: &id})
	noErr(t, err)
	enc, err := a.Encrypt(bg, &awskms.EncryptInput{KeyId: &id, Plaintext: pt})
	noErr(t, err)

	// Scheduled deletion.
	_, err = a.ScheduleKeyDeletion(bg, &awskms.ScheduleKeyDeletionInput{KeyId: &id, PendingWindowInDays: aws.Int32(6)})
	wantCode(t, err, "ValidationException")
	_, err = a.ScheduleKeyDeletion(bg, &awskms.ScheduleKeyDeletionInput{KeyId: &id, PendingWindowInDays: aws.Int32(31)})
	wantCode(t, err, "ValidationException")
	sk, err := a.ScheduleKeyDeletion(bg, &awskms.ScheduleKeyDeletionInput{KeyId: &id, PendingWindowInDays: aws.Int32(7)})
	noErr(t, err)
	if aws.ToString(sk.KeyId) != keyArn(acctA, id) || sk.KeyState != types.KeyStatePendingDeletion ||
		aws.ToInt32(sk.PendingWindowInDays) != 7 || sk.DeletionDate == nil || sk.DeletionDate.Sub(*md.CreationDate).Hours() < 24*7-1 {
		t.Fatalf("ScheduleKeyDeletion %+v", sk)
	}
	d, err = a.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: &id})
	noErr(t, err)
	if d.KeyMetadata.KeyState != types.KeyStatePendingDeletion || d.KeyMetadata.DeletionDate == nil ||
		aws.ToInt32(d.KeyMetadata.PendingDeletionWindowInDays) != 7 || d.KeyMetadata.Enabled {
		t.Fatalf("pending deletion metadata %+v", d.KeyMetadata)
	}
	_, err = a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	ae = wantCode(t, err, "KMSInvalidStateException")
	if ae.ErrorMessage() != keyArn(acctA, id)+" is pending deletion." {
		t.Fatalf("message %q", ae.ErrorMessage())
	}
	_, err = a.Encrypt(bg, &awskms.EncryptInput{KeyId: &id, Plaintext: pt})
	wantCode(t, err, "KMSInvalidStateException")
	_, err = a.EnableKey(bg, &awskms.EnableKeyInput{KeyId: &id})
	wantCode(t, err, "KMSInvalidStateException")
	_, err = a.ScheduleKeyDeletion(bg, &awskms.ScheduleKeyDeletionInput{KeyId: &id})
	wantCode(t, err, "KMSInvalidStateException")
	ck, err := a.CancelKeyDeletion(bg, &awskms.CancelKeyDeletionInput{KeyId: &id})
	noErr(t, err)
	if aws.ToString(ck.KeyId) != keyArn(acctA, id) {
		t.Fatalf("CancelKeyDeletion KeyId %q", aws.ToString(ck.KeyId))
	}
	_, err = a.CancelKeyDeletion(bg, &awskms.CancelKeyDeletionInput{KeyId: &id})
	wantCode(t, err, "KMSInvalidStateException")
	d, err = a.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: &id})
	noErr(t, err)
	if d.KeyMetadata.KeyState != types.KeyStateDisabled || d.KeyMetadata.DeletionDate != nil {
		t.Fatalf("after CancelKeyDeletion %+v", d.KeyMetadata)
	}

	// ListKeys pages in account B, which has only these keys.
	want := map[string]bool{}
	for i := 0; i < 5; i++ {
		want[aws.ToString(createKey(t, b, nil).KeyId)] = true
	}
	got := map[string]bool{}
	var marker *string
	pages := 0
	for {
		out, err := b.ListKeys(bg, &awskms.ListKeysInput{Limit: aws.Int32(2), Marker: marker})
		noErr(t, err)
		pages++
		for _, k := range out.Keys {
			if aws.ToString(k.KeyArn) != keyArn(acctB, aws.ToString(k.KeyId)) || got[aws.ToString(k.KeyId)] {
				t.Fatalf("ListKeys entry %+v", k)
			}
			got[aws.ToString(k.KeyId)] = true
		}
		if !out.Truncated {
			if out.NextMarker != nil {
				t.Fatal("NextMarker on the last page")
			}
			break
		}
		marker = out.NextMarker
	}
	if pages != 3 || len(got) != 5 {
		t.Fatalf("%d pages, %d keys", pages, len(got))
	}
	for k := range want {
		if !got[k] {
			t.Fatalf("key %s not listed", k)
		}
	}
	_, err = b.ListKeys(bg, &awskms.ListKeysInput{Marker: aws.String("garbage")})
	wantCode(t, err, "InvalidMarkerException")
}

func encryptDecrypt(t *testing.T, h *e2e.Harness, a, b *awskms.Client) {
	k1 := aws.ToString(createKey(t, a, nil).KeyId)
	k2 := aws.ToString(createKey(t, a, nil).KeyId)
	encCtx := map[string]string{"aws:sns:topicArn": "arn:aws:sns:us-east-1:" + acctA + ":inbound", "purpose": "test"}
	pt := []byte("the quick brown fox")
	enc, err := a.Encrypt(bg, &awskms.EncryptInput{KeyId: &k1, Plaintext: pt, EncryptionContext: encCtx})
	noErr(t, err)
	if aws.ToString(enc.KeyId) != keyArn(acctA, k1) || enc.EncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault {
		t.Fatalf("Encrypt %+v", enc)
	}
	if bytes.Contains(enc.CiphertextBlob, pt) {
		t.Fatal("ciphertext contains the plaintext")
	}
	// Without KeyId the blob names its key; with it, it must match.
	for _, keyID := range []*string{nil, &k1, aws.String(keyArn(acctA, k1))} {
		dec, err := a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: encCtx, KeyId: keyID})
		noErr(t, err)
		if !bytes.Equal(dec.Plaintext, pt) || aws.ToString(dec.KeyId) != keyArn(acctA, k1) {
			t.Fatalf("Decrypt %+v", dec)
		}
	}
	_, err = a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: encCtx, KeyId: &k2})
	wantCode(t, err, "IncorrectKeyException")
	for name, c := range map[string]map[string]string{
		"none":    nil,
		"changed": {"aws:sns:topicArn": "arn:aws:sns:us-east-1:" + acctA + ":other", "purpose": "test"},
		"partial": {"purpose": "test"},
	} {
		_, err = a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: c})
		if code := wantCode(t, err, "InvalidCiphertextException"); code == nil {
			t.Fatal(name)
		}
	}
	tampered := bytes.Clone(enc.CiphertextBlob)
	tampered[len(tampered)-1] ^= 1
	_, err = a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: tampered, EncryptionContext: encCtx})
	wantCode(t, err, "InvalidCiphertextException")
	_, err = a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: []byte("not a ciphertext at all, but long enough to look like one")})
	wantCode(t, err, "InvalidCiphertextException")

	// A ciphertext of another duplex installation (another store and master key).
	other := e2e.Start(t, e2e.SQLite)
	ok := aws.ToString(createKey(t, client(other, e2e.KeyA), nil).KeyId)
	foreign, err := client(other, e2e.KeyA).Encrypt(bg, &awskms.EncryptInput{KeyId: &ok, Plaintext: pt})
	noErr(t, err)
	_, err = a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: foreign.CiphertextBlob})
	wantCode(t, err, "InvalidCiphertextException")

	// Data keys.
	dk, err := a.GenerateDataKey(bg, &awskms.GenerateDataKeyInput{KeyId: &k1, KeySpec: types.DataKeySpecAes256, EncryptionContext: encCtx})
	noErr(t, err)
	if len(dk.Plaintext) != 32 || aws.ToString(dk.KeyId) != keyArn(acctA, k1) {
		t.Fatalf("GenerateDataKey %d bytes, KeyId %q", len(dk.Plaintext), aws.ToString(dk.KeyId))
	}
	dec, err := a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: dk.CiphertextBlob, EncryptionContext: encCtx})
	noErr(t, err)
	if !bytes.Equal(dec.Plaintext, dk.Plaintext) {
		t.Fatal("data key does not decrypt to its plaintext")
	}
	dk16, err := a.GenerateDataKey(bg, &awskms.GenerateDataKeyInput{KeyId: &k1, KeySpec: types.DataKeySpecAes128})
	noErr(t, err)
	dk64, err := a.GenerateDataKey(bg, &awskms.GenerateDataKeyInput{KeyId: &k1, NumberOfBytes: aws.Int32(64)})
	noErr(t, err)
	if len(dk16.Plaintext) != 16 || len(dk64.Plaintext) != 64 {
		t.Fatalf("data key sizes %d, %d", len(dk16.Plaintext), len(dk64.Plaintext))
	}
	_, err = a.GenerateDataKey(bg, &awskms.GenerateDataKeyInput{KeyId: &k1})
	wantCode(t, err, "ValidationException")
	_, err = a.GenerateDataKey(bg, &awskms.GenerateDataKeyInput{KeyId: &k1, NumberOfBytes: aws.Int32(16), KeySpec: types.DataKeySpecAes128})
	wantCode(t, err, "ValidationException")
	_, err = a.GenerateDataKey(bg, &awskms.GenerateDataKeyInput{KeyId: &k1, NumberOfBytes: aws.Int32(2000)})
	wantCode(t, err, "ValidationException") // the model's range
	np, err := a.GenerateDataKeyWithoutPlaintext(bg, &awskms.GenerateDataKeyWithoutPlaintextInput{KeyId: &k1, KeySpec: types.DataKeySpecAes256})
	noErr(t, err)
	dec, err = a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: np.CiphertextBlob})
	noErr(t, err)
	if len(dec.Plaintext) != 32 {
		t.Fatalf("data key without plaintext decrypts to %d bytes", len(dec.Plaintext))
	}

	// ReEncrypt moves a ciphertext to another key and context.
	re, err := a.ReEncrypt(bg, &awskms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: encCtx,
		DestinationKeyId: &k2, DestinationEncryptionContext: map[string]string{"x": "y"}})
	noErr(t, err)
	if aws.ToString(re.SourceKeyId) != keyArn(acctA, k1) || aws.ToString(re.KeyId) != keyArn(acctA, k2) {
		t.Fatalf("ReEncrypt %+v", re)
	}
	dec, err = a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: re.CiphertextBlob, EncryptionContext: map[string]string{"x": "y"}})
	noErr(t, err)
	if !bytes.Equal(dec.Plaintext, pt) || aws.ToString(dec.KeyId) != keyArn(acctA, k2) {
		t.Fatalf("Decrypt after ReEncrypt %+v", dec)
	}

	// DryRun.
	_, err = a.Encrypt(bg, &awskms.EncryptInput{KeyId: &k1, Plaintext: pt, DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperationException")

	// The service API for other services.
	ctx := duplex.WithCaller(bg, &duplex.Caller{Account: acctA, ARN: "arn:aws:iam::" + acctA + ":root"})
	p, blob, arn, err := h.Server.KMS.GenerateDataKeyFor(ctx, k1, encCtx)
	noErr(t, err)
	if len(p) != 32 || arn != keyArn(acctA, k1) {
		t.Fatalf("GenerateDataKeyFor %d bytes, %s", len(p), arn)
	}
	got, err := h.Server.KMS.DecryptFor(ctx, blob, encCtx)
	noErr(t, err)
	if !bytes.Equal(got, p) {
		t.Fatal("DecryptFor returned another key")
	}
	if _, err := h.Server.KMS.DecryptFor(ctx, blob, nil); errCode(err) != "InvalidCiphertextException" {
		t.Fatalf("DecryptFor with the wrong context: %v", err)
	}
}

func errCode(err error) string {
	if e, ok := duplex.AsError(err); ok {
		return e.Code
	}
	return fmt.Sprint(err)
}

// seedPolicy is the default key policy plus the seed's statement for
// sms-voice.amazonaws.com.
func seedPolicy(account string) string {
	return `{
  "Version": "2012-10-17",
  "Id": "key-default-1",
  "Statement": [
    { "Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::` + account + `:root" }, "Action": "kms:*", "Resource": "*" },
    { "Effect": "Allow", "Principal": { "Service": "sms-voice.amazonaws.com" }, "Action": [ "kms:GenerateDataKey*", "kms:Decrypt" ], "Resource": "*", "Condition": { "StringEquals": { "aws:SourceAccount": "` + account + `" }, "ArnLike": { "aws:SourceArn": "arn:aws:sms-voice:us-east-1:` + account + `:*" } } }
  ]
}`
}

func smsVoiceCtx(sourceAccount string) context.Context {
	return duplex.WithCaller(bg, &duplex.Caller{Service: smsVC, Context: map[string]string{
		"aws:SourceAccount": sourceAccount,
		"aws:SourceArn":     "arn:aws:sms-voice:us-east-1:" + sourceAccount + ":phone-number/phone-0123456789abcdef0123456789abcdef",
	}})
}

func seedKeyPolicy(t *testing.T, h *e2e.Harness, a, b *awskms.Client) {
	md := createKey(t, a, nil)
	id, arn := aws.ToString(md.KeyId), aws.ToString(md.Arn)
	_, err := a.CreateAlias(bg, &awskms.CreateAliasInput{AliasName: aws.String("alias/inbound-sms"), TargetKeyId: &id})
	noErr(t, err)
	topicCtx := map[string]string{"aws:sns:topicArn": "arn:aws:sns:us-east-1:" + acctA + ":inbound"}

	// Before the seed statement, the default policy does not let the
	// service principal in.
	_, _, _, err = h.Server.KMS.GenerateDataKeyFor(smsVoiceCtx(acctA), arn, topicCtx)
	if errCode(err) != "AccessDeniedException" {
		t.Fatalf("default policy, service principal: %v", err)
	}

	_, err = a.PutKeyPolicy(bg, &awskms.PutKeyPolicyInput{KeyId: &id, Policy: aws.String(seedPolicy(acctA)), PolicyName: aws.String("default")})
	noErr(t, err)
	pol, err := a.GetKeyPolicy(bg, &awskms.GetKeyPolicyInput{KeyId: &id})
	noErr(t, err)
	if aws.ToString(pol.Policy) != seedPolicy(acctA) {
		t.Fatalf("policy not stored verbatim: %s", aws.ToString(pol.Policy))
	}

	// sms-voice, on behalf of account A, by key ARN, ID and alias.
	for _, ref := range []string{arn, id, "alias/inbound-sms", "arn:aws:kms:us-east-1:" + acctA + ":alias/inbound-sms"} {
		p, blob, gotArn, err := h.Server.KMS.GenerateDataKeyFor(smsVoiceCtx(acctA), ref, topicCtx)
		if err != nil {
			t.Fatalf("GenerateDataKeyFor(%s) as sms-voice: %v", ref, err)
		}
		if gotArn != arn || len(p) != 32 {
			t.Fatalf("GenerateDataKeyFor(%s): %s, %d bytes", ref, gotArn, len(p))
		}
		back, err := h.Server.KMS.DecryptFor(smsVoiceCtx(acctA), blob, topicCtx)
		noErr(t, err)
		if !bytes.Equal(back, p) {
			t.Fatal("DecryptFor as sms-voice returned another key")
		}
		// The account's own root can open what the service sealed.
		dec, err := a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: blob, EncryptionContext: topicCtx})
		noErr(t, err)
		if !bytes.Equal(dec.Plaintext, p) {
			t.Fatal("Decrypt by the owner returned another key")
		}
	}

	// Wrong source account: denied, with the policy's explanation.
	_, _, _, err = h.Server.KMS.GenerateDataKeyFor(smsVoiceCtx(acctB), arn, topicCtx)
	if errCode(err) != "AccessDeniedException" {
		t.Fatalf("wrong source account: %v", err)
	}
	e, _ := duplex.AsError(err)
	want := "User: sms-voice.amazonaws.com is not authorized to perform: kms:GenerateDataKey on resource: " + arn +
		" because no resource-based policy allows the kms:GenerateDataKey action"
	if e.Message != want {
		t.Fatalf("message %q\nwant    %q", e.Message, want)
	}
	if why := kms.Explanation(err); !strings.Contains(why, "condition") || !strings.Contains(why, "aws:Source") || !strings.Contains(why, acctB) {
		t.Fatalf("explanation %q does not name the failing condition", why)
	}
	// The service principal may not do anything else.
	_, err = h.Server.KMS.Encrypt(smsVoiceCtx(acctA), &kms.EncryptInput{KeyId: arn, Plaintext: []byte("x")})
	if errCode(err) != "AccessDeniedException" {
		t.Fatalf("sms-voice Encrypt: %v", err)
	}
	// Another service principal is not sms-voice.
	other := duplex.WithCaller(bg, &duplex.Caller{Service: "sns.amazonaws.com", Context: map[string]string{"aws:SourceAccount": acctA,
		"aws:SourceArn": "arn:aws:sms-voice:us-east-1:" + acctA + ":phone-number/p"}})
	if _, _, _, err := h.Server.KMS.GenerateDataKeyFor(other, arn, topicCtx); errCode(err) != "AccessDeniedException" {
		t.Fatalf("sns.amazonaws.com: %v", err)
	}

	// A disabled key refuses the service too.
	_, err = a.DisableKey(bg, &awskms.DisableKeyInput{KeyId: &id})
	noErr(t, err)
	if _, _, _, err := h.Server.KMS.GenerateDataKeyFor(smsVoiceCtx(acctA), arn, topicCtx); errCode(err) != "DisabledException" {
		t.Fatalf("disabled key: %v", err)
	}

	// DescribeKeyFor resolves without a kms:DescribeKey grant.
	m, err := h.Server.KMS.DescribeKeyFor(smsVoiceCtx(acctA), "alias/inbound-sms")
	noErr(t, err)
	if m.Arn != arn || !m.Symmetric() || m.Enabled {
		t.Fatalf("DescribeKeyFor %+v", m)
	}
}

func policyChecks(t *testing.T, h *e2e.Harness, a, b *awskms.Client) {
	id := aws.ToString(createKey(t, a, nil).KeyId)
	_, err := a.PutKeyPolicy(bg, &awskms.PutKeyPolicyInput{KeyId: &id, Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Alow","Principal":"*","Action":"kms:*","Resource":"*"}]}`)})
	wantCode(t, err, "MalformedPolicyDocumentException")
	_, err = a.PutKeyPolicy(bg, &awskms.PutKeyPolicyInput{KeyId: &id, Policy: aws.String(`not json`)})
	wantCode(t, err, "MalformedPolicyDocumentException")
	big := `{"Version":"2012-10-17","Statement":[{"Sid":"` + strings.Repeat("a", 33*1024) + `","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"kms:*","Resource":"*"}]}`
	_, err = a.PutKeyPolicy(bg, &awskms.PutKeyPolicyInput{KeyId: &id, Policy: &big})
	wantCode(t, err, "LimitExceededException")

	// A policy that would lock the caller out is refused unless bypassed.
	lockout := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctB + `:root"},"Action":"kms:*","Resource":"*"}]}`
	_, err = a.PutKeyPolicy(bg, &awskms.PutKeyPolicyInput{KeyId: &id, Policy: &lockout})
	ae := wantCode(t, err, "MalformedPolicyDocumentException")
	if ae.ErrorMessage() != "The new key policy will not allow you to update the key policy in the future." {
		t.Fatalf("message %q", ae.ErrorMessage())
	}
	_, err = a.CreateKey(bg, &awskms.CreateKeyInput{Policy: &lockout})
	wantCode(t, err, "MalformedPolicyDocumentException")
	_, err = a.PutKeyPolicy(bg, &awskms.PutKeyPolicyInput{KeyId: &id, Policy: &lockout, BypassPolicyLockoutSafetyCheck: true})
	noErr(t, err)
	// Now even the account root cannot use or manage the key.
	_, err = a.GetKeyPolicy(bg, &awskms.GetKeyPolicyInput{KeyId: &id})
	ae = wantCode(t, err, "AccessDeniedException")
	want := "User: arn:aws:iam::" + acctA + ":root is not authorized to perform: kms:GetKeyPolicy on resource: " + keyArn(acctA, id) +
		" because no resource-based policy allows the kms:GetKeyPolicy action"
	if ae.ErrorMessage() != want {
		t.Fatalf("message %q\nwant    %q", ae.ErrorMessage(), want)
	}
	_, err = a.Encrypt(bg, &awskms.EncryptInput{KeyId: &id, Plaintext: []byte("x")})
	wantCode(t, err, "AccessDeniedException")

	// CreateKey with a custom policy, and an explicit deny.
	deny := `{"Version":"2012-10-17","Statement":[
	  {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"kms:*","Resource":"*"},
	  {"Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"kms:EncryptionContext:purpose":"ok"}}}]}`
	md := createKey(t, a, &awskms.CreateKeyInput{Policy: &deny})
	enc, err := a.Encrypt(bg, &awskms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x"), EncryptionContext: map[string]string{"purpose": "no"}})
	noErr(t, err)
	_, err = a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"purpose": "no"}})
	ae = wantCode(t, err, "AccessDeniedException")
	if !strings.HasSuffix(ae.ErrorMessage(), "with an explicit deny in a resource-based policy") {
		t.Fatalf("message %q", ae.ErrorMessage())
	}
	enc, err = a.Encrypt(bg, &awskms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x"), EncryptionContext: map[string]string{"purpose": "ok"}})
	noErr(t, err)
	_, err = a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"purpose": "ok"}})
	noErr(t, err)
}

func crossAccount(t *testing.T, h *e2e.Harness, a, b *awskms.Client) {
	id := aws.ToString(createKey(t, a, nil).KeyId)
	arn := keyArn(acctA, id)
	enc, err := a.Encrypt(bg, &awskms.EncryptInput{KeyId: &id, Plaintext: []byte("for A only")})
	noErr(t, err)
	_, err = b.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	ae := wantCode(t, err, "AccessDeniedException")
	want := "User: arn:aws:iam::" + acctB + ":root is not authorized to perform: kms:Decrypt on resource: " + arn +
		" because no resource-based policy allows the kms:Decrypt action"
	if ae.ErrorMessage() != want {
		t.Fatalf("message %q\nwant    %q", ae.ErrorMessage(), want)
	}
	_, err = b.Encrypt(bg, &awskms.EncryptInput{KeyId: &arn, Plaintext: []byte("x")})
	wantCode(t, err, "AccessDeniedException")
	_, err = b.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: &arn})
	wantCode(t, err, "AccessDeniedException")

	// The key policy grants account B: B's root may now use the key by ARN.
	pol := `{"Version":"2012-10-17","Statement":[
	  {"Sid":"Owner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"kms:*","Resource":"*"},
	  {"Sid":"AccountB","Effect":"Allow","Principal":{"AWS":"` + acctB + `"},"Action":["kms:Decrypt","kms:Encrypt","kms:DescribeKey"],"Resource":"*"}]}`
	_, err = a.PutKeyPolicy(bg, &awskms.PutKeyPolicyInput{KeyId: &id, Policy: &pol})
	noErr(t, err)
	dec, err := b.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	noErr(t, err)
	if string(dec.Plaintext) != "for A only" {
		t.Fatalf("plaintext %q", dec.Plaintext)
	}
	d, err := b.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: &arn})
	noErr(t, err)
	if aws.ToString(d.KeyMetadata.AWSAccountId) != acctA {
		t.Fatalf("AWSAccountId %q", aws.ToString(d.KeyMetadata.AWSAccountId))
	}
	_, err = b.GenerateDataKey(bg, &awskms.GenerateDataKeyInput{KeyId: &arn, KeySpec: types.DataKeySpecAes256})
	wantCode(t, err, "AccessDeniedException")
	// IDs still resolve in the caller's own account only.
	_, err = b.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: &id})
	wantCode(t, err, "NotFoundException")
}

func asymmetric(t *testing.T, h *e2e.Harness, a, b *awskms.Client) {
	rsaKey := createKey(t, a, &awskms.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeEncryptDecrypt})
	if rsaKey.KeySpec != types.KeySpecRsa2048 || len(rsaKey.EncryptionAlgorithms) != 2 || len(rsaKey.SigningAlgorithms) != 0 {
		t.Fatalf("RSA metadata %+v", rsaKey)
	}
	_, err := a.GenerateDataKey(bg, &awskms.GenerateDataKeyInput{KeyId: rsaKey.KeyId, KeySpec: types.DataKeySpecAes256})
	wantCode(t, err, "InvalidKeyUsageException")
	_, err = a.Encrypt(bg, &awskms.EncryptInput{KeyId: rsaKey.KeyId, Plaintext: []byte("x")})
	wantCode(t, err, "InvalidKeyUsageException") // SYMMETRIC_DEFAULT with an RSA key
	enc, err := a.Encrypt(bg, &awskms.EncryptInput{KeyId: rsaKey.KeyId, Plaintext: []byte("rsa"), EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	noErr(t, err)
	if len(enc.CiphertextBlob) != 256 {
		t.Fatalf("RSA-2048 ciphertext is %d bytes", len(enc.CiphertextBlob))
	}
	dec, err := a.Decrypt(bg, &awskms.DecryptInput{KeyId: rsaKey.KeyId, CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	noErr(t, err)
	if string(dec.Plaintext) != "rsa" {
		t.Fatalf("RSA round trip %q", dec.Plaintext)
	}
	_, err = a.Decrypt(bg, &awskms.DecryptInput{KeyId: rsaKey.KeyId, CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha1})
	wantCode(t, err, "InvalidCiphertextException")
	pub, err := a.GetPublicKey(bg, &awskms.GetPublicKeyInput{KeyId: rsaKey.KeyId})
	noErr(t, err)
	if _, err := x509.ParsePKIXPublicKey(pub.PublicKey); err != nil {
		t.Fatalf("RSA public key: %v", err)
	}

	signRSA := createKey(t, a, &awskms.CreateKeyInput{KeySpec: types.KeySpecRsa3072, KeyUsage: types.KeyUsageTypeSignVerify})
	if len(signRSA.SigningAlgorithms) != 6 || len(signRSA.EncryptionAlgorithms) != 0 {
		t.Fatalf("RSA signing metadata %+v", signRSA)
	}
	_, err = a.CreateKey(bg, &awskms.CreateKeyInput{KeySpec: types.KeySpecEccNistP256})
	wantCode(t, err, "ValidationException") // KeyUsage is required
	_, err = a.CreateKey(bg, &awskms.CreateKeyInput{KeySpec: types.KeySpecEccNistP256, KeyUsage: types.KeyUsageTypeEncryptDecrypt})
	wantCode(t, err, "ValidationException")
	_, err = a.CreateKey(bg, &awskms.CreateKeyInput{KeySpec: types.KeySpecHmac256, KeyUsage: types.KeyUsageTypeEncryptDecrypt})
	wantCode(t, err, "ValidationException")
	_, err = a.CreateKey(bg, &awskms.CreateKeyInput{KeyUsage: types.KeyUsageTypeSignVerify})
	wantCode(t, err, "ValidationException")
	_, err = a.CreateKey(bg, &awskms.CreateKeyInput{KeySpec: types.KeySpecSm2, KeyUsage: types.KeyUsageTypeSignVerify})
	wantCode(t, err, "UnsupportedOperationException")
	_, err = a.CreateKey(bg, &awskms.CreateKeyInput{Origin: types.OriginTypeExternal})
	wantCode(t, err, "UnsupportedOperationException")

	for spec, alg := range map[types.KeySpec]string{
		types.KeySpecEccNistP256: "ECDSA_SHA_256", types.KeySpecEccNistP384: "ECDSA_SHA_384",
		types.KeySpecEccNistP521: "ECDSA_SHA_512", types.KeySpecEccSecgP256k1: "ECDSA_SHA_256",
	} {
		md := createKey(t, a, &awskms.CreateKeyInput{KeySpec: spec, KeyUsage: types.KeyUsageTypeSignVerify})
		if len(md.SigningAlgorithms) != 1 || string(md.SigningAlgorithms[0]) != alg || string(md.CustomerMasterKeySpec) != string(spec) {
			t.Fatalf("%s metadata %+v", spec, md)
		}
		_, err = a.GenerateDataKey(bg, &awskms.GenerateDataKeyInput{KeyId: md.KeyId, KeySpec: types.DataKeySpecAes256})
		wantCode(t, err, "InvalidKeyUsageException")
		pub, err := a.GetPublicKey(bg, &awskms.GetPublicKeyInput{KeyId: md.KeyId})
		noErr(t, err)
		if spec != types.KeySpecEccSecgP256k1 {
			if _, err := x509.ParsePKIXPublicKey(pub.PublicKey); err != nil {
				t.Fatalf("%s public key: %v", spec, err)
			}
		} else if len(pub.PublicKey) < 65 {
			t.Fatalf("secp256k1 public key of %d bytes", len(pub.PublicKey))
		}
		m, err := h.Server.KMS.DescribeKeyFor(duplex.WithCaller(bg, &duplex.Caller{Account: acctA, ARN: "arn:aws:iam::" + acctA + ":root"}), aws.ToString(md.KeyId))
		noErr(t, err)
		if m.Symmetric() {
			t.Fatalf("%s reported symmetric", spec)
		}
	}
	agree := createKey(t, a, &awskms.CreateKeyInput{KeySpec: types.KeySpecEccNistP384, KeyUsage: types.KeyUsageTypeKeyAgreement})
	if len(agree.KeyAgreementAlgorithms) != 1 {
		t.Fatalf("key agreement metadata %+v", agree)
	}
	ed := createKey(t, a, &awskms.CreateKeyInput{KeySpec: types.KeySpecEccNistEdwards25519, KeyUsage: types.KeyUsageTypeSignVerify})
	if len(ed.SigningAlgorithms) != 2 {
		t.Fatalf("ed25519 metadata %+v", ed)
	}
	hm := createKey(t, a, &awskms.CreateKeyInput{KeySpec: types.KeySpecHmac512, KeyUsage: types.KeyUsageTypeGenerateVerifyMac})
	if len(hm.MacAlgorithms) != 1 || hm.MacAlgorithms[0] != types.MacAlgorithmSpecHmacSha512 {
		t.Fatalf("HMAC metadata %+v", hm)
	}
	_, err = a.GenerateDataKey(bg, &awskms.GenerateDataKeyInput{KeyId: hm.KeyId, KeySpec: types.DataKeySpecAes256})
	wantCode(t, err, "InvalidKeyUsageException")
	_, err = a.Encrypt(bg, &awskms.EncryptInput{KeyId: hm.KeyId, Plaintext: []byte("x")})
	wantCode(t, err, "InvalidKeyUsageException")
	_, err = a.GetPublicKey(bg, &awskms.GetPublicKeyInput{KeyId: hm.KeyId})
	wantCode(t, err, "UnsupportedOperationException")
}

func aliases(t *testing.T, h *e2e.Harness, a, b *awskms.Client) {
	k1 := aws.ToString(createKey(t, a, nil).KeyId)
	k2 := aws.ToString(createKey(t, a, nil).KeyId)
	_, err := a.CreateAlias(bg, &awskms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: &k1})
	noErr(t, err)
	_, err = a.CreateAlias(bg, &awskms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: &k2})
	wantCode(t, err, "AlreadyExistsException")
	_, err = a.CreateAlias(bg, &awskms.CreateAliasInput{AliasName: aws.String("alias/aws/sns"), TargetKeyId: &k1})
	wantCode(t, err, "NotAuthorizedException")
	_, err = a.CreateAlias(bg, &awskms.CreateAliasInput{AliasName: aws.String("app"), TargetKeyId: &k1})
	wantCode(t, err, "ValidationException")
	_, err = a.CreateAlias(bg, &awskms.CreateAliasInput{AliasName: aws.String("alias/x"), TargetKeyId: aws.String("alias/app")})
	wantCode(t, err, "ValidationException")
	_, err = a.CreateAlias(bg, &awskms.CreateAliasInput{AliasName: aws.String("alias/second"), TargetKeyId: aws.String(keyArn(acctA, k1))})
	noErr(t, err)
	_, err = a.CreateAlias(bg, &awskms.CreateAliasInput{AliasName: aws.String("alias/other"), TargetKeyId: &k2})
	noErr(t, err)
	_, err = b.CreateAlias(bg, &awskms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: &k1})
	wantCode(t, err, "NotFoundException")

	for _, ref := range []string{"alias/app", "arn:aws:kms:us-east-1:" + acctA + ":alias/app"} {
		d, err := a.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: &ref})
		noErr(t, err)
		if aws.ToString(d.KeyMetadata.KeyId) != k1 {
			t.Fatalf("%s → %s", ref, aws.ToString(d.KeyMetadata.KeyId))
		}
	}
	enc, err := a.Encrypt(bg, &awskms.EncryptInput{KeyId: aws.String("alias/app"), Plaintext: []byte("via alias")})
	noErr(t, err)
	dec, err := a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, KeyId: aws.String("alias/second")})
	noErr(t, err)
	if string(dec.Plaintext) != "via alias" {
		t.Fatal("decrypt via alias")
	}
	_, err = b.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: aws.String("alias/app")})
	wantCode(t, err, "NotFoundException")

	all, err := a.ListAliases(bg, &awskms.ListAliasesInput{})
	noErr(t, err)
	if len(all.Aliases) != 3 || all.Truncated {
		t.Fatalf("ListAliases %+v", all.Aliases)
	}
	e := all.Aliases[0]
	if aws.ToString(e.AliasName) != "alias/app" || aws.ToString(e.AliasArn) != "arn:aws:kms:us-east-1:"+acctA+":alias/app" ||
		aws.ToString(e.TargetKeyId) != k1 || e.CreationDate == nil || e.LastUpdatedDate == nil {
		t.Fatalf("alias entry %+v", e)
	}
	of1, err := a.ListAliases(bg, &awskms.ListAliasesInput{KeyId: &k1})
	noErr(t, err)
	if len(of1.Aliases) != 2 {
		t.Fatalf("aliases of k1 %+v", of1.Aliases)
	}
	page, err := a.ListAliases(bg, &awskms.ListAliasesInput{Limit: aws.Int32(2)})
	noErr(t, err)
	if len(page.Aliases) != 2 || !page.Truncated {
		t.Fatalf("first page %+v", page)
	}
	page, err = a.ListAliases(bg, &awskms.ListAliasesInput{Limit: aws.Int32(2), Marker: page.NextMarker})
	noErr(t, err)
	if len(page.Aliases) != 1 || page.Truncated || aws.ToString(page.Aliases[0].AliasName) != "alias/second" {
		t.Fatalf("second page %+v", page)
	}
	none, err := b.ListAliases(bg, &awskms.ListAliasesInput{})
	noErr(t, err)
	if len(none.Aliases) != 0 {
		t.Fatalf("account B sees %+v", none.Aliases)
	}

	_, err = a.UpdateAlias(bg, &awskms.UpdateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: &k2})
	noErr(t, err)
	d, err := a.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: aws.String("alias/app")})
	noErr(t, err)
	if aws.ToString(d.KeyMetadata.KeyId) != k2 {
		t.Fatal("UpdateAlias did not move the alias")
	}
	_, err = a.DeleteAlias(bg, &awskms.DeleteAliasInput{AliasName: aws.String("alias/app")})
	noErr(t, err)
	_, err = a.DeleteAlias(bg, &awskms.DeleteAliasInput{AliasName: aws.String("alias/app")})
	wantCode(t, err, "NotFoundException")
	_, err = a.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: aws.String("alias/app")})
	wantCode(t, err, "NotFoundException")
	// The key stays.
	_, err = a.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: &k2})
	noErr(t, err)

	// A key pending deletion takes no new alias.
	_, err = a.ScheduleKeyDeletion(bg, &awskms.ScheduleKeyDeletionInput{KeyId: &k2})
	noErr(t, err)
	_, err = a.CreateAlias(bg, &awskms.CreateAliasInput{AliasName: aws.String("alias/late"), TargetKeyId: &k2})
	wantCode(t, err, "KMSInvalidStateException")
}

func restart(t *testing.T, h *e2e.Harness, a, b *awskms.Client) {
	id := aws.ToString(createKey(t, a, nil).KeyId)
	_, err := a.CreateAlias(bg, &awskms.CreateAliasInput{AliasName: aws.String("alias/durable"), TargetKeyId: &id})
	noErr(t, err)
	_, err = a.PutKeyPolicy(bg, &awskms.PutKeyPolicyInput{KeyId: &id, Policy: aws.String(seedPolicy(acctA))})
	noErr(t, err)
	rsaKey := createKey(t, a, &awskms.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeEncryptDecrypt})
	encCtx := map[string]string{"k": "v"}
	enc, err := a.Encrypt(bg, &awskms.EncryptInput{KeyId: &id, Plaintext: []byte("survives"), EncryptionContext: encCtx})
	noErr(t, err)
	rsaEnc, err := a.Encrypt(bg, &awskms.EncryptInput{KeyId: rsaKey.KeyId, Plaintext: []byte("rsa survives"), EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha1})
	noErr(t, err)

	h.Restart()

	dec, err := a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: encCtx})
	noErr(t, err)
	if string(dec.Plaintext) != "survives" {
		t.Fatalf("after restart: %q", dec.Plaintext)
	}
	dec, err = a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: rsaEnc.CiphertextBlob, KeyId: rsaKey.KeyId, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha1})
	noErr(t, err)
	if string(dec.Plaintext) != "rsa survives" {
		t.Fatalf("RSA after restart: %q", dec.Plaintext)
	}
	d, err := a.DescribeKey(bg, &awskms.DescribeKeyInput{KeyId: aws.String("alias/durable")})
	noErr(t, err)
	if aws.ToString(d.KeyMetadata.KeyId) != id {
		t.Fatal("alias lost across restart")
	}
	if _, _, _, err := h.Server.KMS.GenerateDataKeyFor(smsVoiceCtx(acctA), "alias/durable", map[string]string{"aws:sns:topicArn": "t"}); err != nil {
		t.Fatalf("key policy lost across restart: %v", err)
	}

	// A server started on this store with another master key refuses to start.
	h.Stop()
	cfg := *h.Config
	cfg.MasterKeyFile = withMasterKeyFileConfig(t)
	if _, err := server.New(bg, &cfg, h.Server.Log); err == nil || !strings.Contains(err.Error(), "master key does not match the one this store was created with") {
		t.Fatalf("server.New with another master key: %v", err)
	}
	h.Restart() // the right key still works
	_, err = a.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: encCtx})
	noErr(t, err)
}

func withMasterKeyFileConfig(t testing.TB) string {
	var c config.Config
	withMasterKeyFile(t)(&c)
	return c.MasterKeyFile
}

func TestMasterKeyRequiredWithPostgres(t *testing.T) {
	cfg := config.Defaults()
	cfg.Data = t.TempDir()
	cfg.DatabaseURL = testutil.PostgresDSN(t)
	cfg.Accounts = []config.Account{{ID: acctA, AccessKeys: []config.AccessKey{{ID: e2e.KeyA, Secret: e2e.SecretA}}}}
	_, err := server.New(bg, &cfg, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "master key file is required with PostgreSQL") {
		t.Fatalf("server.New on PostgreSQL without a master key file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Data, "master.key")); err == nil {
		t.Fatal("a master key was generated for PostgreSQL")
	}
	cfg.MasterKeyFile = filepath.Join(t.TempDir(), "absent.key")
	if _, err := server.New(bg, &cfg, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "master key file") {
		t.Fatalf("missing master key file: %v", err)
	}
}

// TestAWSCLI drives KMS with the aws CLI when it is installed.
func TestAWSCLI(t *testing.T) {
	bin, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("aws CLI not on PATH")
	}
	h := e2e.Start(t, e2e.SQLite)
	dir := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--endpoint-url", h.URL, "--region", e2e.Region, "--output", "json"}, args...)...)
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID="+e2e.KeyA, "AWS_SECRET_ACCESS_KEY="+e2e.SecretA,
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
		out, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				t.Fatalf("aws %v: %v\n%s", args, err, ee.Stderr)
			}
			t.Fatalf("aws %v: %v", args, err)
		}
		return out
	}
	var created struct {
		KeyMetadata struct{ KeyId, Arn, KeyState string }
	}
	noErr(t, json.Unmarshal(run("kms", "create-key", "--description", "cli"), &created))
	if created.KeyMetadata.KeyState != "Enabled" {
		t.Fatalf("create-key %+v", created)
	}
	run("kms", "create-alias", "--alias-name", "alias/cli", "--target-key-id", created.KeyMetadata.KeyId)
	ptFile := filepath.Join(dir, "pt")
	noErr(t, os.WriteFile(ptFile, []byte("hello from the cli"), 0o600))
	var enc struct{ CiphertextBlob, KeyId string }
	noErr(t, json.Unmarshal(run("kms", "encrypt", "--key-id", "alias/cli", "--plaintext", "fileb://"+ptFile,
		"--encryption-context", "purpose=cli"), &enc))
	if enc.KeyId != created.KeyMetadata.Arn {
		t.Fatalf("encrypt KeyId %q", enc.KeyId)
	}
	blob, err := base64.StdEncoding.DecodeString(enc.CiphertextBlob)
	noErr(t, err)
	ctFile := filepath.Join(dir, "ct")
	noErr(t, os.WriteFile(ctFile, blob, 0o600))
	var dec struct{ Plaintext, KeyId string }
	noErr(t, json.Unmarshal(run("kms", "decrypt", "--ciphertext-blob", "fileb://"+ctFile, "--encryption-context", "purpose=cli"), &dec))
	pt, err := base64.StdEncoding.DecodeString(dec.Plaintext)
	noErr(t, err)
	if string(pt) != "hello from the cli" || dec.KeyId != created.KeyMetadata.Arn {
		t.Fatalf("decrypt %q %q", pt, dec.KeyId)
	}
	var desc struct{ KeyMetadata struct{ KeyId string } }
	noErr(t, json.Unmarshal(run("kms", "describe-key", "--key-id", "alias/cli"), &desc))
	if desc.KeyMetadata.KeyId != created.KeyMetadata.KeyId {
		t.Fatalf("describe-key %+v", desc)
	}
}

// iamDelegation: a key policy that names the account root delegates to IAM,
// so role sessions need an identity-policy allow, as with the seed's role
// permission policy (kms:GenerateDataKey* and kms:Decrypt when called via
// SNS for the inbound topic).
func iamDelegation(t *testing.T, h *e2e.Harness, a, b *awskms.Client) {
	creds := credentials.NewStaticCredentialsProvider(e2e.KeyA, e2e.SecretA, "")
	iamc := iam.New(iam.Options{Region: e2e.Region, BaseEndpoint: aws.String(h.URL), Credentials: creds, HTTPClient: h.HTTP, RetryMaxAttempts: 1})
	stsc := sts.New(sts.Options{Region: e2e.Region, BaseEndpoint: aws.String(h.URL), Credentials: creds, HTTPClient: h.HTTP, RetryMaxAttempts: 1})
	md := createKey(t, a, nil)
	arn := aws.ToString(md.Arn)
	topic := "arn:aws:sns:us-east-1:" + acctA + ":inbound"

	// A role account A's root may assume, allowed to encrypt and decrypt.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acctA + `:root"},"Action":"sts:AssumeRole"},
	  {"Sid":"SMSVoice","Effect":"Allow","Principal":{"Service":"sms-voice.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"` + acctA + `"}}}]}`
	role, err := iamc.CreateRole(bg, &iam.CreateRoleInput{RoleName: aws.String("SMSVoiceRole"), AssumeRolePolicyDocument: &trust})
	noErr(t, err)
	perm := `{ "Version": "2012-10-17", "Statement": [
	  { "Sid": "SMSVoiceAllowSNSPublish", "Effect": "Allow", "Action": "sns:Publish", "Resource": "` + topic + `", "Condition": { "StringEquals": { "aws:ResourceAccount": "` + acctA + `" } } },
	  { "Sid": "SMSVoiceAllowEncryptedSNSTopics", "Effect": "Allow", "Action": [ "kms:Decrypt", "kms:GenerateDataKey*" ], "Resource": "*", "Condition": { "StringEquals": { "kms:EncryptionContext:aws:sns:topicArn": "` + topic + `", "aws:CalledViaLast": "sns.amazonaws.com" } } },
	  { "Sid": "Direct", "Effect": "Allow", "Action": [ "kms:Encrypt", "kms:Decrypt" ], "Resource": "` + arn + `" } ] }`
	_, err = iamc.PutRolePolicy(bg, &iam.PutRolePolicyInput{RoleName: aws.String("SMSVoiceRole"), PolicyName: aws.String("perm"), PolicyDocument: &perm})
	noErr(t, err)

	// Over the API with the role's temporary credentials.
	as, err := stsc.AssumeRole(bg, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("app")})
	noErr(t, err)
	sess := awskms.New(awskms.Options{Region: e2e.Region, BaseEndpoint: aws.String(h.URL), HTTPClient: h.HTTP, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(aws.ToString(as.Credentials.AccessKeyId),
			aws.ToString(as.Credentials.SecretAccessKey), aws.ToString(as.Credentials.SessionToken))})
	enc, err := sess.Encrypt(bg, &awskms.EncryptInput{KeyId: &arn, Plaintext: []byte("role data")})
	noErr(t, err)
	dec, err := sess.Decrypt(bg, &awskms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	noErr(t, err)
	if string(dec.Plaintext) != "role data" {
		t.Fatalf("plaintext %q", dec.Plaintext)
	}
	_, err = sess.GenerateDataKey(bg, &awskms.GenerateDataKeyInput{KeyId: &arn, KeySpec: types.DataKeySpecAes256})
	ae := wantCode(t, err, "AccessDeniedException")
	if want := "User: " + aws.ToString(as.AssumedRoleUser.Arn) + " is not authorized to perform: kms:GenerateDataKey on resource: " + arn +
		" because no identity-based policy allows the kms:GenerateDataKey action"; ae.ErrorMessage() != want {
		t.Fatalf("message %q\nwant    %q", ae.ErrorMessage(), want)
	}
	_, err = sess.CreateKey(bg, &awskms.CreateKeyInput{})
	wantCode(t, err, "AccessDeniedException")

	// sms-voice assumes the role; through SNS its session may make data
	// keys for the inbound topic, and for nothing else.
	c, _, err := h.Server.STS.AssumeRoleAsService(bg, aws.ToString(role.Role.Arn), smsVC, map[string]string{"aws:SourceAccount": acctA,
		"aws:SourceArn": "arn:aws:sms-voice:us-east-1:" + acctA + ":phone-number/phone-0123456789abcdef0123456789abcdef"})
	noErr(t, err)
	via := *c
	via.Context = map[string]string{"aws:CalledViaLast": "sns.amazonaws.com"}
	for k, v := range c.Context {
		via.Context[k] = v
	}
	viaSNS := duplex.WithCaller(bg, &via)
	p, blob, _, err := h.Server.KMS.GenerateDataKeyFor(viaSNS, arn, map[string]string{"aws:sns:topicArn": topic})
	noErr(t, err)
	back, err := h.Server.KMS.DecryptFor(viaSNS, blob, map[string]string{"aws:sns:topicArn": topic})
	noErr(t, err)
	if !bytes.Equal(back, p) {
		t.Fatal("DecryptFor returned another key")
	}
	if _, _, _, err := h.Server.KMS.GenerateDataKeyFor(viaSNS, arn, map[string]string{"aws:sns:topicArn": topic + "-other"}); errCode(err) != "AccessDeniedException" {
		t.Fatalf("other topic: %v", err)
	}
	direct := duplex.WithCaller(bg, c)
	_, _, _, err = h.Server.KMS.GenerateDataKeyFor(direct, arn, map[string]string{"aws:sns:topicArn": topic})
	if errCode(err) != "AccessDeniedException" || !strings.Contains(kms.Explanation(err), "aws:CalledViaLast") {
		t.Fatalf("not via SNS: %v (%s)", err, kms.Explanation(err))
	}
}

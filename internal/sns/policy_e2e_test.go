package sns_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/e2e"
	dsns "github.com/duplexsms/duplex/internal/sns"
	"github.com/duplexsms/duplex/internal/store/sqlstore"
	"github.com/google/uuid"
)

// smsVoice is the service principal publishing on behalf of an account, as
// the two-way pipeline does.
func smsVoice(account string) context.Context {
	return duplex.WithCaller(context.Background(), &duplex.Caller{Service: "sms-voice.amazonaws.com", ARN: "sms-voice.amazonaws.com",
		Context: map[string]string{"aws:SourceAccount": account,
			"aws:SourceArn": "arn:aws:sms-voice:us-east-1:" + account + ":phone-number/phone-0123456789abcdef0123456789abcdef"}})
}

// seedTopicPolicy is the topic policy of spec/two-way-sms.txt.
func seedTopicPolicy(topicArn string, extra ...string) string {
	stmts := append([]string{`{"Effect":"Allow","Principal":{"Service":"sms-voice.amazonaws.com"},"Action":"sns:Publish","Resource":"` + topicArn + `"}`}, extra...)
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func TestTopicPolicy(t *testing.T) { onBackends(t, testTopicPolicy) }

func testTopicPolicy(t *testing.T, backend e2e.Backend) {
	h := e2e.Start(t, backend)
	ctx := context.Background()
	a, b := client(h, e2e.KeyA), client(h, e2e.KeyB)
	sub := newSubscriber(t)
	tp, _ := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("two-way")})
	topicArn := aws.ToString(tp.TopicArn)
	subscribeConfirmed(t, h, a, topicArn, sub, "", nil)

	// Another account's caller: refused by the default topic policy.
	_, err := b.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("from b")})
	msg := apiError(t, err, "AuthorizationError")
	if want := "User: arn:aws:iam::" + e2e.AccountB + ":root is not authorized to perform: SNS:Publish on resource: " + topicArn; msg != want {
		t.Fatalf("message %q, want %q", msg, want)
	}
	_, err = b.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: tp.TopicArn})
	apiError(t, err, "AuthorizationError")
	_, err = b.Subscribe(ctx, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.URL + "/b")})
	apiError(t, err, "AuthorizationError")

	// The service principal: refused by the default policy, with the
	// policy explanation kept for the caller.
	_, err = h.Server.SNS.PublishAs(smsVoice(e2e.AccountA), topicArn, dsns.Message{Message: "inbound 1"})
	if e, ok := duplex.AsError(err); !ok || e.Code != "AuthorizationError" ||
		e.Message != "User: sms-voice.amazonaws.com is not authorized to perform: SNS:Publish on resource: "+topicArn {
		t.Fatalf("PublishAs under the default policy: %v", err)
	}
	if x := dsns.Explanation(err); x == "" || !strings.Contains(err.Error(), x) {
		t.Fatalf("no explanation in %v", err)
	}

	// The seed's topic policy lets it publish; and a statement for B lets B.
	bStmt := `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + e2e.AccountB + `:root"},"Action":"sns:Publish","Resource":"` + topicArn + `"}`
	if _, err := a.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: tp.TopicArn, AttributeName: aws.String("Policy"),
		AttributeValue: aws.String(seedTopicPolicy(topicArn, bStmt))}); err != nil {
		t.Fatal(err)
	}
	payload := `{"originationNumber":"+14255550182","destinationNumber":"+12125550101","messageKeyword":"JOIN","messageBody":"EXAMPLE","inboundMessageId":"cae173d2-66b9-564c-8309-21f858e9fb84","previousPublishedMessageId":"x"}`
	id, err := h.Server.SNS.PublishAs(smsVoice(e2e.AccountA), topicArn, dsns.Message{Message: payload})
	if err != nil || id == "" {
		t.Fatalf("PublishAs under the seed policy: %v", err)
	}
	if _, err := (dsns.TopicPublisher{S: h.Server.SNS}).Publish(smsVoice(e2e.AccountA), topicArn, "inbound 2"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("from b")}); err != nil {
		t.Fatalf("B allowed by the topic policy: %v", err)
	}
	got := sub.waitFor("the three messages", func(g []received) bool {
		m := messages(g)
		return contains(m, payload) && contains(m, "inbound 2") && contains(m, "from b")
	})
	for _, g := range ofType(got, "Notification") {
		if g.str("Message") == payload && g.str("MessageId") != id {
			t.Errorf("MessageId %s, PublishAs returned %s", g.str("MessageId"), id)
		}
	}
	// A service principal acting for another account is not B.
	if _, err := h.Server.SNS.PublishAs(context.Background(), topicArn, dsns.Message{Message: "nobody"}); err == nil {
		t.Fatal("PublishAs without a caller succeeded")
	}
	// An explicit deny wins over the allow.
	deny := `{"Effect":"Deny","Principal":{"Service":"sms-voice.amazonaws.com"},"Action":"sns:Publish","Resource":"` + topicArn + `"}`
	if _, err := a.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: tp.TopicArn, AttributeName: aws.String("Policy"),
		AttributeValue: aws.String(seedTopicPolicy(topicArn, deny))}); err != nil {
		t.Fatal(err)
	}
	_, err = h.Server.SNS.PublishAs(smsVoice(e2e.AccountA), topicArn, dsns.Message{Message: "denied"})
	if e, ok := duplex.AsError(err); !ok || e.Code != "AuthorizationError" || dsns.Explanation(err) == "" {
		t.Fatalf("explicit deny: %v", err)
	}
}

func kmsClient(h *e2e.Harness, key string) *kms.Client {
	return kms.New(kms.Options{Region: e2e.Region, BaseEndpoint: aws.String(h.URL), HTTPClient: h.HTTP, RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider(key, h.Secret(key), "")})
}

// storedBytes returns every byte the store keeps: the SQLite database with
// its WAL, or for PostgreSQL the records and jobs of the test's schema.
func storedBytes(t *testing.T, h *e2e.Harness) []byte {
	t.Helper()
	var all []byte
	if h.Backend == e2e.Postgres {
		db := h.Server.Store.(*sqlstore.Store).DB()
		for _, q := range []string{"SELECT data FROM records", "SELECT payload FROM jobs"} {
			rows, err := db.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var b []byte
				if err := rows.Scan(&b); err != nil {
					t.Fatal(err)
				}
				all = append(all, b...)
			}
			rows.Close()
		}
		return all
	}
	matches, _ := filepath.Glob(filepath.Join(h.Config.Data, "duplex.db*"))
	if len(matches) == 0 {
		t.Fatalf("no database files in %s", h.Config.Data)
	}
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func TestEncryptedTopic(t *testing.T) { onBackends(t, testEncryptedTopic) }

func testEncryptedTopic(t *testing.T, backend e2e.Backend) {
	h := e2e.Start(t, backend)
	ctx := context.Background()
	a, b := client(h, e2e.KeyA), client(h, e2e.KeyB)
	ka := kmsClient(h, e2e.KeyA)
	sub := newSubscriber(t)
	tp, _ := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("secret")})
	topicArn := aws.ToString(tp.TopicArn)
	subscribeConfirmed(t, h, a, topicArn, sub, "", map[string]string{
		"DeliveryPolicy": `{"healthyRetryPolicy":{"numRetries":60,"minDelayTarget":1,"maxDelayTarget":1}}`})
	set := func(name, value string) error {
		_, err := a.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: tp.TopicArn, AttributeName: aws.String(name), AttributeValue: aws.String(value)})
		return err
	}

	// Keys SNS refuses.
	asym, err := ka.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecRsa2048, KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt})
	if err != nil {
		t.Fatal(err)
	}
	if msg := apiError(t, set("KmsMasterKeyId", aws.ToString(asym.KeyMetadata.KeyId)), "InvalidParameter"); !strings.Contains(msg, "Encrypted topics need a symmetric KMS key") {
		t.Fatalf("asymmetric key: %q", msg)
	}
	if msg := apiError(t, set("KmsMasterKeyId", uuid.NewString()), "InvalidParameter"); !strings.Contains(msg, "does not exist") {
		t.Fatalf("missing key: %q", msg)
	}
	disabled, _ := ka.CreateKey(ctx, &kms.CreateKeyInput{})
	if _, err := ka.DisableKey(ctx, &kms.DisableKeyInput{KeyId: disabled.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	apiError(t, set("KmsMasterKeyId", aws.ToString(disabled.KeyMetadata.KeyId)), "KMSDisabled")

	// While the endpoint is down, a clear message is visible in the
	// database files (so the check below can fail) ...
	sub.down()
	clearText := "CLEAR-" + uuid.NewString()
	if _, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String(clearText)}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(storedBytes(t, h), []byte(clearText)) {
		t.Fatalf("control: the clear message is not in the database files")
	}

	// ... an encrypted one is not.
	key, _ := ka.CreateKey(ctx, &kms.CreateKeyInput{})
	keyID := aws.ToString(key.KeyMetadata.KeyId)
	if _, err := ka.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/sns-topics"), TargetKeyId: &keyID}); err != nil {
		t.Fatal(err)
	}
	if err := set("KmsMasterKeyId", "alias/sns-topics"); err != nil {
		t.Fatal(err)
	}
	ga, _ := a.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: tp.TopicArn})
	if ga.Attributes["KmsMasterKeyId"] != "alias/sns-topics" {
		t.Fatalf("KmsMasterKeyId %q", ga.Attributes["KmsMasterKeyId"])
	}
	secret := "SECRET-" + uuid.NewString()
	if _, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String(secret), Subject: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(storedBytes(t, h), []byte(secret)) {
		t.Fatalf("the encrypted message is in clear text in the database files")
	}

	// Publishers the key policy does not allow: KMSAccessDenied.
	bStmt := `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + e2e.AccountB + `:root"},"Action":"sns:Publish","Resource":"` + topicArn + `"}`
	if err := set("Policy", seedTopicPolicy(topicArn, bStmt)); err != nil {
		t.Fatal(err)
	}
	_, err = b.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("from b")})
	if msg := apiError(t, err, "KMSAccessDenied"); !strings.Contains(msg, "kms:GenerateDataKey") {
		t.Fatalf("KMSAccessDenied message %q", msg)
	}
	_, err = h.Server.SNS.PublishAs(smsVoice(e2e.AccountA), topicArn, dsns.Message{Message: "inbound without a grant"})
	if e, ok := duplex.AsError(err); !ok || e.Code != "KMSAccessDenied" || dsns.Explanation(err) == "" {
		t.Fatalf("service principal without a key grant: %v", err)
	}

	// The seed's key policy statement lets the service principal publish.
	keyPolicy := `{"Version":"2012-10-17","Statement":[
	  {"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + e2e.AccountA + `:root"},"Action":"kms:*","Resource":"*"},
	  {"Effect":"Allow","Principal":{"Service":"sms-voice.amazonaws.com"},"Action":["kms:GenerateDataKey*","kms:Decrypt"],"Resource":"*",
	   "Condition":{"StringEquals":{"aws:SourceAccount":"` + e2e.AccountA + `"},"ArnLike":{"aws:SourceArn":"arn:aws:sms-voice:us-east-1:` + e2e.AccountA + `:*"}}}]}`
	if _, err := ka.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: &keyID, PolicyName: aws.String("default"), Policy: aws.String(keyPolicy)}); err != nil {
		t.Fatal(err)
	}
	inbound := "INBOUND-" + uuid.NewString()
	if _, err := h.Server.SNS.PublishAs(smsVoice(e2e.AccountA), topicArn, dsns.Message{Message: inbound}); err != nil {
		t.Fatalf("service principal with the key policy: %v", err)
	}
	if bytes.Contains(storedBytes(t, h), []byte(inbound)) {
		t.Fatalf("the encrypted inbound message is in clear text in the database files")
	}

	// The endpoint comes back: the worker decrypts and delivers.
	sub.up()
	got := sub.waitFor("all three messages", func(g []received) bool {
		m := messages(g)
		return contains(m, clearText) && contains(m, secret) && contains(m, inbound)
	})
	for _, g := range ofType(got, "Notification") {
		verifySignature(t, h, g)
	}
	drain(t, h)
	if all := storedBytes(t, h); bytes.Contains(all, []byte(secret)) || bytes.Contains(all, []byte(inbound)) {
		t.Fatalf("clear text in the database files after delivery")
	}
	if dl := deadLetters(t, h, e2e.AccountA); len(dl) != 0 {
		t.Fatalf("dead letters %+v", dl)
	}

	// Disabling the key: publishing fails with KMSDisabled.
	if _, err := ka.DisableKey(ctx, &kms.DisableKeyInput{KeyId: &keyID}); err != nil {
		t.Fatal(err)
	}
	_, err = a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("x")})
	apiError(t, err, "KMSDisabled")
}

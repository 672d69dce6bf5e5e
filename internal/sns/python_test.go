package sns_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/duplexsms/duplex/internal/e2e"
)

// pyVerify is an independent implementation of AWS's documented signature
// check, in Python with the cryptography package.
const pyVerify = `
import base64, json, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
cert = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
for path in sys.argv[2:]:
    env = json.load(open(path))
    if env["Type"] == "Notification":
        keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    sts = "".join(k + "\n" + env[k] + "\n" for k in keys if k in env)
    h = hashes.SHA1() if env["SignatureVersion"] == "1" else hashes.SHA256()
    try:
        cert.public_key().verify(base64.b64decode(env["Signature"]), sts.encode("utf-8"), padding.PKCS1v15(), h)
        print("valid")
    except Exception:
        print("invalid")
`

func TestSignaturesVerifyInPython(t *testing.T) {
	t.Parallel()
	py, err := exec.LookPath("python3")
	if err != nil || exec.Command(py, "-c", "import cryptography").Run() != nil {
		t.Skip("python3 with the cryptography package is not available")
	}
	h := e2e.Start(t, e2e.SQLite)
	ctx := context.Background()
	a := client(h, e2e.KeyA)
	sub := newSubscriber(t)
	tp, _ := a.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("py")})
	subscribeConfirmed(t, h, a, aws.ToString(tp.TopicArn), sub, "", nil)
	if _, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("héllo\nwörld"), Subject: aws.String("v1")}); err != nil {
		t.Fatal(err)
	}
	sub.waitFor("v1", func(g []received) bool { return len(messages(g)) == 1 })
	if _, err := a.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: tp.TopicArn, AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Publish(ctx, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String("v2 body")}); err != nil {
		t.Fatal(err)
	}
	got := sub.waitFor("v2", func(g []received) bool { return len(messages(g)) == 2 })
	dir := t.TempDir()
	certFile := filepath.Join(dir, "cert.pem")
	args := []string{"-c", pyVerify, certFile}
	var want []string
	for i, g := range got {
		if g.Env == nil {
			continue
		}
		if i == 0 {
			_, pem := visit(t, h, g.str("SigningCertURL"))
			os.WriteFile(certFile, []byte(pem), 0o600)
		}
		good := filepath.Join(dir, fmt.Sprintf("env%d.json", i))
		os.WriteFile(good, g.Body, 0o600)
		// A tampered copy must not verify.
		tampered := map[string]any{}
		for k, v := range g.Env {
			tampered[k] = v
		}
		tampered["Message"] = g.str("Message") + "!"
		bad, _ := json.Marshal(tampered)
		badFile := filepath.Join(dir, fmt.Sprintf("bad%d.json", i))
		os.WriteFile(badFile, bad, 0o600)
		args = append(args, good, badFile)
		want = append(want, "valid", "invalid")
	}
	if len(want) != 6 {
		t.Fatalf("checked %d envelopes", len(want)/2)
	}
	out, err := exec.Command(py, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v: %s", err, out)
	}
	if got := strings.Fields(string(out)); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("python says %v, want %v", got, want)
	}
}

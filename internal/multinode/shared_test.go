package multinode

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/duplexsms/duplex/internal/config"
	"github.com/duplexsms/duplex/internal/e2e"
	"github.com/duplexsms/duplex/internal/server"
	"github.com/duplexsms/duplex/internal/testutil"
)

// startTogether builds n servers at the same moment on one empty schema
// (migrations, the KMS master-key verifier and, on first use, the SNS
// signing key are all created by whichever node is first) and serves them.
func startTogether(t *testing.T, n int) []endpoint {
	t.Helper()
	dsn := testutil.PostgresDSN(t)
	key := masterKeyFile(t)
	srvs := make([]*server.Server, n)
	lns := make([]net.Listener, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range srvs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i] = ln
		cfg := config.Defaults()
		cfg.Data, cfg.Region, cfg.LogLevel = t.TempDir(), e2e.Region, "warn"
		cfg.DatabaseURL, cfg.MasterKeyFile = dsn, key
		cfg.Addr = ln.Addr().String()
		cfg.PublicURL = "http://" + cfg.Addr
		cfg.Accounts = []config.Account{{ID: e2e.AccountA, AccessKeys: []config.AccessKey{{ID: e2e.KeyA, Secret: e2e.SecretA}}}}
		wg.Add(1)
		go func() {
			defer wg.Done()
			srvs[i], errs[i] = server.New(bg, &cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
		}()
	}
	wg.Wait()
	var eps []endpoint
	for i, s := range srvs {
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
		ctx, cancel := context.WithCancel(bg)
		done := make(chan error, 1)
		go func() { done <- s.Serve(ctx, lns[i]) }()
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("node %d: Serve: %v", i, err)
			}
		})
		eps = append(eps, endpoint{URL: "http://" + lns[i].Addr().String(), Key: e2e.KeyA, Secret: e2e.SecretA, HTTP: &http.Client{}})
	}
	return eps
}

// TestSharedSecrets: nodes started at the same moment on an empty database
// share one SNS signing certificate, one KMS installation (a ciphertext of
// one node decrypts on another) and STS sessions (credentials issued by
// one node work on the others), because the secrets live in the store,
// wrapped with the master key file every node has.
func TestSharedSecrets(t *testing.T) {
	eps := startTogether(t, 3)

	// The signing key, created on first use by all three at once.
	certs := make([]string, len(eps))
	var wg sync.WaitGroup
	for i, e := range eps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The certificate name is the hash of the certificate: asking
			// any node for another node's name answers only when both use
			// the same key.
			certs[i] = certPath(t, e)
		}()
	}
	wg.Wait()
	for i := range eps {
		if certs[i] == "" || certs[i] != certs[0] {
			t.Fatalf("signing certificates differ: %q", certs)
		}
		pem := get(t, eps[(i+1)%len(eps)].URL+certs[i])
		if !strings.Contains(pem, "BEGIN CERTIFICATE") {
			t.Fatalf("node %d does not serve node %d's certificate: %q", (i+1)%len(eps), i, pem)
		}
	}

	// KMS: a key made on node 0; ciphertexts cross every pair of nodes.
	k, err := kmsClient(eps[0]).CreateKey(bg, &kms.CreateKeyInput{Description: aws.String("shared")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range eps {
		from, to := eps[i], eps[(i+1)%len(eps)]
		plain := []byte(fmt.Sprintf("secret %d", i))
		enc, err := kmsClient(from).Encrypt(bg, &kms.EncryptInput{KeyId: k.KeyMetadata.KeyId, Plaintext: plain,
			EncryptionContext: map[string]string{"node": fmt.Sprint(i)}})
		if err != nil {
			t.Fatalf("encrypt on node %d: %v", i, err)
		}
		dec, err := kmsClient(to).Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob,
			EncryptionContext: map[string]string{"node": fmt.Sprint(i)}})
		if err != nil || !bytes.Equal(dec.Plaintext, plain) {
			t.Fatalf("decrypt on node %d of node %d's ciphertext: %q, %v", (i+1)%len(eps), i, dec.Plaintext, err)
		}
	}

	// STS: a session from node 0 is known to nodes 1 and 2.
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + e2e.AccountA + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := iamOf(eps[1]).CreateRole(bg, &iam.CreateRoleInput{RoleName: aws.String("Shared"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	ar, err := stsOf(eps[0], eps[0].creds()).AssumeRole(bg, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + e2e.AccountA + ":role/Shared"),
		RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	session := credentials.NewStaticCredentialsProvider(aws.ToString(ar.Credentials.AccessKeyId),
		aws.ToString(ar.Credentials.SecretAccessKey), aws.ToString(ar.Credentials.SessionToken))
	for i, e := range eps {
		id, err := stsOf(e, session).GetCallerIdentity(bg, &sts.GetCallerIdentityInput{})
		if err != nil || !strings.Contains(aws.ToString(id.Arn), ":assumed-role/Shared/s1") {
			t.Errorf("node %d with node 0's session: %v, %v", i, aws.ToString(id.Arn), err)
		}
	}

	// An encrypted topic: messages published on one node are sealed with a
	// data key of the KMS key; whichever node delivers them unseals them.
	sub := newSubscriber(t, []string{eps[0].URL, eps[1].URL, eps[2].URL})
	tp, err := eps[0].sns().CreateTopic(bg, &sns.CreateTopicInput{Name: aws.String("sealed"),
		Attributes: map[string]string{"KmsMasterKeyId": aws.ToString(k.KeyMetadata.KeyId)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eps[1].sns().Subscribe(bg, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(sub.url)}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sub.confirmed:
	case <-time.After(waitBound):
		t.Fatal("the subscription was never confirmed")
	}
	var ids []string
	for i := 0; i < 30; i++ {
		id := fmt.Sprintf("sealed-%d", i)
		if _, err := eps[i%len(eps)].sns().Publish(bg, &sns.PublishInput{TopicArn: tp.TopicArn, Message: aws.String(`{"inboundMessageId":"` + id + `"}`)}); err != nil {
			t.Fatalf("publish on node %d: %v", i%len(eps), err)
		}
		ids = append(ids, id)
	}
	if missing := sub.waitFor(ids); len(missing) > 0 {
		t.Fatalf("%d sealed messages never arrived", len(missing))
	}
	sub.mu.Lock()
	t.Logf("sealed messages delivered (signed) by %v", sub.signers)
	sub.mu.Unlock()
}

// certPath returns the path of the SigningCertURL in the subscription
// confirmation of a new topic on node e (whichever node delivers it).
func certPath(t *testing.T, e endpoint) string {
	t.Helper()
	c := make(chan string, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Error(err)
		return ""
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		i := bytes.Index(b, []byte(`"SigningCertURL" : "`))
		if i >= 0 {
			rest := b[i+len(`"SigningCertURL" : "`):]
			if j := bytes.IndexByte(rest, '"'); j > 0 {
				if u, err := url.Parse(string(rest[:j])); err == nil {
					select {
					case c <- u.Path:
					default:
					}
				}
			}
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()
	name := fmt.Sprintf("cert-%d", ln.Addr().(*net.TCPAddr).Port)
	tp, err := e.sns().CreateTopic(bg, &sns.CreateTopicInput{Name: aws.String(name)})
	if err != nil {
		t.Error(err)
		return ""
	}
	if _, err := e.sns().Subscribe(bg, &sns.SubscribeInput{TopicArn: tp.TopicArn, Protocol: aws.String("http"),
		Endpoint: aws.String("http://" + ln.Addr().String() + "/")}); err != nil {
		t.Error(err)
		return ""
	}
	select {
	case p := <-c:
		return p
	case <-time.After(waitBound):
		t.Error("no subscription confirmation arrived")
		return ""
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func kmsClient(e endpoint) *kms.Client {
	return kms.New(kms.Options{Region: e2e.Region, BaseEndpoint: aws.String(e.URL), Credentials: e.creds(), HTTPClient: e.HTTP, RetryMaxAttempts: 1})
}

func iamOf(e endpoint) *iam.Client {
	return iam.New(iam.Options{Region: e2e.Region, BaseEndpoint: aws.String(e.URL), Credentials: e.creds(), HTTPClient: e.HTTP, RetryMaxAttempts: 1})
}

func stsOf(e endpoint, creds aws.CredentialsProvider) *sts.Client {
	return sts.New(sts.Options{Region: e2e.Region, BaseEndpoint: aws.String(e.URL), Credentials: creds, HTTPClient: e.HTTP, RetryMaxAttempts: 1})
}

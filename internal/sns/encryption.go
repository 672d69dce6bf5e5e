package sns

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"maps"
	"strings"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/kms"
)

// KeyService is what topic encryption uses of KMS (internal/kms implements
// it). Every call is authorized as duplex.CallerFrom(ctx).
type KeyService interface {
	GenerateDataKeyFor(ctx context.Context, keyRef string, encCtx map[string]string) (plaintext, ciphertextBlob []byte, keyArn string, err error)
	DecryptFor(ctx context.Context, blob []byte, encCtx map[string]string) ([]byte, error)
	DescribeKeyFor(ctx context.Context, keyRef string) (kms.KeyMetadata, error)
}

// sealed is a message body encrypted with AES-256-GCM under a data key that
// KMS wrapped (Key) under the topic's key, with encryption context
// {"aws:sns:topicArn": TOPIC}.
type sealed struct {
	Key    []byte `json:"k"`
	KeyArn string `json:"a"`
	Nonce  []byte `json:"n"`
	Data   []byte `json:"d"`
}

// dataKey seals the bodies of one publish call.
type dataKey struct {
	aead   cipher.AEAD
	blob   []byte
	keyArn string
	topic  string
}

func encryptionContext(topicArn string) map[string]string {
	return map[string]string{"aws:sns:topicArn": topicArn}
}

// qualifiedKey turns a key ID or alias name set on a topic into an ARN in
// the topic owner's account, so that any publisher resolves the same key.
func (s *Service) qualifiedKey(ref, owner string) string {
	switch {
	case strings.HasPrefix(ref, "arn:"):
		return ref
	case strings.HasPrefix(ref, "alias/"):
		return "arn:aws:kms:" + s.region + ":" + owner + ":" + ref
	}
	return "arn:aws:kms:" + s.region + ":" + owner + ":key/" + ref
}

// viaSNS returns ctx with a copy of c that KMS sees as called through SNS.
func viaSNS(ctx context.Context, c *duplex.Caller) context.Context {
	cc := *c
	cc.Context = maps.Clone(c.Context)
	if cc.Context == nil {
		cc.Context = map[string]string{}
	}
	cc.Context["aws:CalledViaLast"] = ServicePrincipal
	return duplex.WithCaller(ctx, &cc)
}

// newDataKey asks KMS for a data key on behalf of the publisher.
func (s *Service) newDataKey(ctx context.Context, c *duplex.Caller, t *topic) (*dataKey, error) {
	if s.kms == nil {
		return nil, &duplex.Error{Code: "KMSNotFound", Message: "KMS is not available on this server"}
	}
	pt, blob, arn, err := s.kms.GenerateDataKeyFor(viaSNS(ctx, c), s.qualifiedKey(t.KmsMasterKeyID, t.Owner), encryptionContext(t.Arn))
	if err != nil {
		return nil, kmsError(ctx, err)
	}
	defer clear(pt)
	block, err := aes.NewCipher(pt)
	if err != nil {
		return nil, internal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, internal(err)
	}
	return &dataKey{aead: aead, blob: blob, keyArn: arn, topic: t.Arn}, nil
}

func (k *dataKey) seal(body, messageID string) (*sealed, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return &sealed{Key: k.blob, KeyArn: k.keyArn, Nonce: nonce,
		Data: k.aead.Seal(nil, nonce, []byte(body), []byte(k.topic+"\x00"+messageID))}, nil
}

// open decrypts a sealed body as the topic owner through SNS.
func (s *Service) open(ctx context.Context, owner, topicArn, messageID string, sl *sealed) (string, error) {
	if s.kms == nil {
		return "", &duplex.Error{Code: "KMSNotFound", Message: "KMS is not available on this server"}
	}
	c := &duplex.Caller{Account: owner, ARN: "arn:aws:iam::" + owner + ":root"}
	pt, err := s.kms.DecryptFor(viaSNS(ctx, c), sl.Key, encryptionContext(topicArn))
	if err != nil {
		return "", kmsError(ctx, err)
	}
	defer clear(pt)
	block, err := aes.NewCipher(pt)
	if err != nil {
		return "", err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return "", err
	}
	body, err := aead.Open(nil, sl.Nonce, sl.Data, []byte(topicArn+"\x00"+messageID))
	if err != nil {
		return "", fmt.Errorf("decrypt message %s: %w", messageID, err)
	}
	return string(body), nil
}

// kmsError maps a KMS failure to SNS's KMS* errors, keeping the KMS error
// (and its policy explanation) as the cause.
func kmsError(ctx context.Context, err error) error {
	e, ok := duplex.AsError(err)
	if !ok {
		return internal(err)
	}
	code := ""
	switch e.Code {
	case "NotFoundException", "InvalidArnException":
		code = "KMSNotFound"
	case "DisabledException":
		code = "KMSDisabled"
	case "KMSInvalidStateException", "InvalidKeyUsageException", "IncorrectKeyException", "InvalidCiphertextException":
		code = "KMSInvalidState"
	case "AccessDeniedException":
		code = "KMSAccessDenied"
	case "ThrottlingException", "LimitExceededException":
		code = "KMSThrottling"
	case "KMSInternalException":
		return duplex.Internal("InternalError", err)
	default:
		code = "KMSAccessDenied"
	}
	rid := duplex.RequestIDFrom(ctx)
	return &duplex.Error{Code: code,
		Message: fmt.Sprintf("%s (Service: AWSKMS; Status Code: 400; Error Code: %s; Request ID: %s)", e.Message, e.Code, rid),
		Err:     err}
}

// checkKey refuses a KmsMasterKeyId that does not name an enabled symmetric
// encryption key the caller can see.
func (s *Service) checkKey(ctx context.Context, ref string) error {
	if s.kms == nil {
		return invalid("KmsMasterKeyId Reason: KMS is not available on this server")
	}
	c, err := caller(ctx)
	if err != nil {
		return err
	}
	md, err := s.kms.DescribeKeyFor(ctx, s.qualifiedKey(ref, c.Account))
	if err != nil {
		e, ok := duplex.AsError(err)
		if ok && (e.Code == "NotFoundException" || e.Code == "InvalidArnException") {
			return invalid("KmsMasterKeyId Reason: Key %s does not exist", ref)
		}
		return kmsError(ctx, err)
	}
	if md.KeySpec != "SYMMETRIC_DEFAULT" || (md.KeyUsage != "" && md.KeyUsage != "ENCRYPT_DECRYPT") {
		return invalid("KmsMasterKeyId Reason: Encrypted topics need a symmetric KMS key; %s is a %s %s key", md.Arn, md.KeySpec, md.KeyUsage)
	}
	if !md.Enabled || md.KeyState != "Enabled" {
		return &duplex.Error{Code: "KMSDisabled", Message: fmt.Sprintf("Invalid parameter: KmsMasterKeyId Reason: KMS key %s is %s", md.Arn, md.KeyState)}
	}
	return nil
}

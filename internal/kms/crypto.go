package kms

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"hash"
	"net/http"
	"strings"

	"github.com/duplexsms/duplex"
)

const algSymmetric = "SYMMETRIC_DEFAULT"

// unwrap returns the clear key material of k.
func (s *Service) unwrap(k *keyRecord) ([]byte, error) {
	secret, err := open(s.master, k.Material, []byte(k.Arn))
	if err != nil {
		return nil, duplex.Internal("KMSInternalException", fmt.Errorf("unwrap key material of %s: %w", k.Arn, err))
	}
	return secret, nil
}

// keyAEAD is the AES-256-GCM cipher of a symmetric key.
func (s *Service) keyAEAD(k *keyRecord) (cipher.AEAD, error) {
	secret, err := s.unwrap(k)
	if err != nil {
		return nil, err
	}
	defer clear(secret)
	aead, err := newAEAD(secret)
	if err != nil {
		return nil, internalErr(err)
	}
	return aead, nil
}

func symmetric(k *keyRecord) bool { return k.KeySpec == "SYMMETRIC_DEFAULT" }

func isRSA(k *keyRecord) bool { return strings.HasPrefix(k.KeySpec, "RSA_") }

func invalidCiphertext() *duplex.Error {
	return duplex.Errorf("InvalidCiphertextException", "The ciphertext is invalid, or was not encrypted under this KMS key or with this encryption context.")
}

func dryRun() *duplex.Error {
	return &duplex.Error{Code: "DryRunOperationException", Status: http.StatusPreconditionFailed,
		Message: "The request would have succeeded, but the DryRun option is set."}
}

func invalidUsage(k *keyRecord, op string) *duplex.Error {
	return duplex.Errorf("InvalidKeyUsageException", "%s key usage is %s and key spec is %s, which is not valid for %s.", k.Arn, k.KeyUsage, k.KeySpec, op)
}

// EncryptInput is the input of Encrypt.
type EncryptInput struct {
	KeyId               string
	Plaintext           []byte
	EncryptionContext   map[string]string
	GrantTokens         []string
	EncryptionAlgorithm *string
	DryRun              *bool
}

// EncryptOutput is the output of Encrypt.
type EncryptOutput struct {
	CiphertextBlob      []byte `json:"CiphertextBlob"`
	KeyId               string `json:"KeyId"`
	EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
}

// Encrypt encrypts up to 4 KiB with a symmetric key (or an RSA key with
// RSAES-OAEP).
func (s *Service) Encrypt(ctx context.Context, in *EncryptInput) (*EncryptOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	k, r, err := s.lookup(ctx, c, in.KeyId, true)
	if err != nil {
		return nil, err
	}
	alg := strv(in.EncryptionAlgorithm)
	if alg == "" {
		alg = algSymmetric
	}
	extra := map[string][]string{"kms:EncryptionAlgorithm": {alg}}
	if err := s.authorize(ctx, c, "kms:Encrypt", k, r, in.EncryptionContext, extra); err != nil {
		return nil, err
	}
	if err := usable(k); err != nil {
		return nil, err
	}
	if k.KeyUsage != usageEncrypt {
		return nil, invalidUsage(k, "Encrypt")
	}
	switch {
	case symmetric(k) && alg != algSymmetric, !symmetric(k) && !contains(rsaEncryption, alg):
		return nil, duplex.Errorf("InvalidKeyUsageException", "%s does not support the encryption algorithm %s.", k.Arn, alg)
	case !symmetric(k) && len(in.EncryptionContext) > 0:
		return nil, duplex.Validation("", "EncryptionContext is not supported with asymmetric KMS keys.")
	}
	if boolv(in.DryRun) {
		return nil, dryRun()
	}
	var blob []byte
	if symmetric(k) {
		aead, err := s.keyAEAD(k)
		if err != nil {
			return nil, err
		}
		blob, err = encodeBlob(s.installation, k.Account, k.ID, aead, in.Plaintext, in.EncryptionContext)
		if err != nil {
			return nil, internalErr(err)
		}
	} else {
		priv, err := s.rsaKey(k)
		if err != nil {
			return nil, err
		}
		blob, err = rsa.EncryptOAEP(oaepHash(alg), rand.Reader, &priv.PublicKey, in.Plaintext, nil)
		if err != nil {
			return nil, duplex.Validation("", fmt.Sprintf("Plaintext of %d bytes is too long for %s with %s.", len(in.Plaintext), alg, k.KeySpec))
		}
	}
	return &EncryptOutput{CiphertextBlob: blob, KeyId: k.Arn, EncryptionAlgorithm: alg}, nil
}

func oaepHash(alg string) hash.Hash {
	if alg == "RSAES_OAEP_SHA_1" {
		return sha1.New()
	}
	return sha256.New()
}

func (s *Service) rsaKey(k *keyRecord) (*rsa.PrivateKey, error) {
	secret, err := s.unwrap(k)
	if err != nil {
		return nil, err
	}
	priv, err := rsaPrivateKey(secret)
	if err != nil {
		return nil, internalErr(err)
	}
	return priv, nil
}

// DecryptInput is the input of Decrypt.
type DecryptInput struct {
	CiphertextBlob      []byte
	EncryptionContext   map[string]string
	GrantTokens         []string
	KeyId               *string
	EncryptionAlgorithm *string
	Recipient           map[string]any
	DryRun              *bool
}

// DecryptOutput is the output of Decrypt.
type DecryptOutput struct {
	KeyId               string `json:"KeyId"`
	Plaintext           []byte `json:"Plaintext"`
	EncryptionAlgorithm string `json:"EncryptionAlgorithm"`
}

// Decrypt decrypts a ciphertext blob of Encrypt, GenerateDataKey… or
// ReEncrypt. The blob names its key; a KeyId, when given, must be that key.
func (s *Service) Decrypt(ctx context.Context, in *DecryptInput) (*DecryptOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if in.Recipient != nil {
		return nil, duplex.Errorf("UnsupportedOperationException", "Recipient (Nitro Enclaves attestation) is not supported.")
	}
	alg := strv(in.EncryptionAlgorithm)
	if alg == "" {
		alg = algSymmetric
	}
	if in.KeyId != nil && alg != algSymmetric {
		return s.decryptRSA(ctx, c, in, alg)
	}
	k, pt, err := s.decrypt(ctx, c, "kms:Decrypt", in.CiphertextBlob, in.EncryptionContext, strv(in.KeyId), alg, boolv(in.DryRun))
	if err != nil {
		return nil, err
	}
	return &DecryptOutput{KeyId: k.Arn, Plaintext: pt, EncryptionAlgorithm: algSymmetric}, nil
}

// decrypt opens a symmetric ciphertext blob for c, authorizing action.
func (s *Service) decrypt(ctx context.Context, c *duplex.Caller, action string, b []byte, encCtx map[string]string, keyID, alg string, dry bool) (*keyRecord, []byte, error) {
	bl, err := parseBlob(b)
	if err != nil || bl.Installation != s.installation {
		if keyID != "" {
			// Asymmetric ciphertexts need their key and algorithm.
			if k, _, lerr := s.lookup(ctx, c, keyID, true); lerr == nil && !symmetric(k) {
				return nil, nil, duplex.Errorf("InvalidKeyUsageException", "%s requires an asymmetric encryption algorithm (RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256) to decrypt.", k.Arn)
			}
		}
		return nil, nil, invalidCiphertext()
	}
	blobRef := ref{Account: bl.Account, ID: bl.KeyID}
	if keyID != "" {
		r, err := s.resolve(ctx, homeAccount(c), keyID, true)
		if err != nil {
			return nil, nil, err
		}
		if r.Account != blobRef.Account || r.ID != blobRef.ID {
			if _, err := s.getKey(ctx, r); err != nil {
				return nil, nil, err
			}
			return nil, nil, duplex.Errorf("IncorrectKeyException", "The key ID in the request does not identify a KMS key that can perform this operation.")
		}
		blobRef.Alias = r.Alias
	}
	k, err := s.getKey(ctx, blobRef)
	if err != nil {
		return nil, nil, err
	}
	extra := map[string][]string{"kms:EncryptionAlgorithm": {alg}}
	if err := s.authorize(ctx, c, action, k, blobRef, encCtx, extra); err != nil {
		return nil, nil, err
	}
	if err := usable(k); err != nil {
		return nil, nil, err
	}
	if !symmetric(k) || k.KeyUsage != usageEncrypt {
		return nil, nil, invalidCiphertext()
	}
	if alg != algSymmetric {
		return nil, nil, duplex.Errorf("InvalidKeyUsageException", "%s does not support the encryption algorithm %s.", k.Arn, alg)
	}
	if dry {
		return nil, nil, dryRun()
	}
	aead, err := s.keyAEAD(k)
	if err != nil {
		return nil, nil, err
	}
	pt, err := bl.open(aead, encCtx)
	if err != nil {
		return nil, nil, invalidCiphertext()
	}
	return k, pt, nil
}

func (s *Service) decryptRSA(ctx context.Context, c *duplex.Caller, in *DecryptInput, alg string) (*DecryptOutput, error) {
	k, r, err := s.lookup(ctx, c, *in.KeyId, true)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "kms:Decrypt", k, r, in.EncryptionContext, map[string][]string{"kms:EncryptionAlgorithm": {alg}}); err != nil {
		return nil, err
	}
	if err := usable(k); err != nil {
		return nil, err
	}
	if !isRSA(k) || k.KeyUsage != usageEncrypt || !contains(rsaEncryption, alg) {
		return nil, duplex.Errorf("InvalidKeyUsageException", "%s does not support the encryption algorithm %s.", k.Arn, alg)
	}
	if len(in.EncryptionContext) > 0 {
		return nil, duplex.Validation("", "EncryptionContext is not supported with asymmetric KMS keys.")
	}
	if boolv(in.DryRun) {
		return nil, dryRun()
	}
	priv, err := s.rsaKey(k)
	if err != nil {
		return nil, err
	}
	pt, err := rsa.DecryptOAEP(oaepHash(alg), nil, priv, in.CiphertextBlob, nil)
	if err != nil {
		return nil, invalidCiphertext()
	}
	return &DecryptOutput{KeyId: k.Arn, Plaintext: pt, EncryptionAlgorithm: alg}, nil
}

// GenerateDataKeyInput is the input of GenerateDataKey and
// GenerateDataKeyWithoutPlaintext.
type GenerateDataKeyInput struct {
	KeyId             string
	EncryptionContext map[string]string
	NumberOfBytes     *int32
	KeySpec           *string
	GrantTokens       []string
	Recipient         map[string]any
	DryRun            *bool
}

// GenerateDataKeyOutput is the output of GenerateDataKey.
type GenerateDataKeyOutput struct {
	CiphertextBlob []byte `json:"CiphertextBlob"`
	Plaintext      []byte `json:"Plaintext,omitempty"`
	KeyId          string `json:"KeyId"`
}

// GenerateDataKey returns a new data key in clear and encrypted under a
// symmetric key.
func (s *Service) GenerateDataKey(ctx context.Context, in *GenerateDataKeyInput) (*GenerateDataKeyOutput, error) {
	return s.generateDataKeyOp(ctx, in, "kms:GenerateDataKey", true)
}

// GenerateDataKeyWithoutPlaintext is GenerateDataKey returning only the
// encrypted data key.
func (s *Service) GenerateDataKeyWithoutPlaintext(ctx context.Context, in *GenerateDataKeyInput) (*GenerateDataKeyOutput, error) {
	return s.generateDataKeyOp(ctx, in, "kms:GenerateDataKeyWithoutPlaintext", false)
}

func (s *Service) generateDataKeyOp(ctx context.Context, in *GenerateDataKeyInput, action string, withPlaintext bool) (*GenerateDataKeyOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if in.Recipient != nil {
		return nil, duplex.Errorf("UnsupportedOperationException", "Recipient (Nitro Enclaves attestation) is not supported.")
	}
	n, err := dataKeySize(in.NumberOfBytes, in.KeySpec)
	if err != nil {
		return nil, err
	}
	pt, blob, k, err := s.generateDataKey(ctx, c, in.KeyId, in.EncryptionContext, n, action, boolv(in.DryRun))
	if err != nil {
		return nil, err
	}
	out := &GenerateDataKeyOutput{CiphertextBlob: blob, KeyId: k.Arn}
	if withPlaintext {
		out.Plaintext = pt
	}
	return out, nil
}

func dataKeySize(n *int32, spec *string) (int, error) {
	switch {
	case n != nil && spec != nil, n == nil && spec == nil:
		return 0, duplex.Validation("", "Please specify either number of bytes or key spec.")
	case n != nil:
		return int(*n), nil
	case *spec == "AES_128":
		return 16, nil
	}
	return 32, nil
}

func (s *Service) generateDataKey(ctx context.Context, c *duplex.Caller, keyID string, encCtx map[string]string, n int, action string, dry bool) ([]byte, []byte, *keyRecord, error) {
	k, r, err := s.lookup(ctx, c, keyID, true)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := s.authorize(ctx, c, action, k, r, encCtx, nil); err != nil {
		return nil, nil, nil, err
	}
	if err := usable(k); err != nil {
		return nil, nil, nil, err
	}
	if !symmetric(k) {
		return nil, nil, nil, invalidUsage(k, strings.TrimPrefix(action, "kms:"))
	}
	if dry {
		return nil, nil, nil, dryRun()
	}
	aead, err := s.keyAEAD(k)
	if err != nil {
		return nil, nil, nil, err
	}
	pt := make([]byte, n)
	rand.Read(pt)
	blob, err := encodeBlob(s.installation, k.Account, k.ID, aead, pt, encCtx)
	if err != nil {
		return nil, nil, nil, internalErr(err)
	}
	return pt, blob, k, nil
}

// GenerateDataKeyFor generates a 256-bit data key under keyRef (key ID,
// key ARN, alias name or alias ARN) for another service acting as the
// caller in ctx (a service principal, or a publisher's identity with
// aws:CalledViaLast set), authorized as kms:GenerateDataKey.
func (s *Service) GenerateDataKeyFor(ctx context.Context, keyRef string, encCtx map[string]string) (plaintext, ciphertextBlob []byte, keyArn string, err error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	pt, blob, k, err := s.generateDataKey(ctx, c, keyRef, encCtx, 32, "kms:GenerateDataKey", false)
	if err != nil {
		return nil, nil, "", err
	}
	return pt, blob, k.Arn, nil
}

// DecryptFor decrypts a ciphertext blob for another service acting as the
// caller in ctx, authorized as kms:Decrypt.
func (s *Service) DecryptFor(ctx context.Context, blob []byte, encCtx map[string]string) ([]byte, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	_, pt, err := s.decrypt(ctx, c, "kms:Decrypt", blob, encCtx, "", algSymmetric, false)
	return pt, err
}

// ReEncryptInput is the input of ReEncrypt.
type ReEncryptInput struct {
	CiphertextBlob                 []byte
	SourceEncryptionContext        map[string]string
	SourceKeyId                    *string
	DestinationKeyId               string
	DestinationEncryptionContext   map[string]string
	SourceEncryptionAlgorithm      *string
	DestinationEncryptionAlgorithm *string
	GrantTokens                    []string
	DryRun                         *bool
}

// ReEncryptOutput is the output of ReEncrypt.
type ReEncryptOutput struct {
	CiphertextBlob                 []byte `json:"CiphertextBlob"`
	SourceKeyId                    string `json:"SourceKeyId"`
	KeyId                          string `json:"KeyId"`
	SourceEncryptionAlgorithm      string `json:"SourceEncryptionAlgorithm"`
	DestinationEncryptionAlgorithm string `json:"DestinationEncryptionAlgorithm"`
}

// ReEncrypt decrypts a symmetric ciphertext and encrypts it again under
// another symmetric key (or context) without exposing the plaintext.
func (s *Service) ReEncrypt(ctx context.Context, in *ReEncryptInput) (*ReEncryptOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range []*string{in.SourceEncryptionAlgorithm, in.DestinationEncryptionAlgorithm} {
		if a != nil && *a != algSymmetric {
			return nil, duplex.Errorf("UnsupportedOperationException", "ReEncrypt supports SYMMETRIC_DEFAULT only.")
		}
	}
	dst, dr, err := s.lookup(ctx, c, in.DestinationKeyId, true)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "kms:ReEncryptTo", dst, dr, in.DestinationEncryptionContext, nil); err != nil {
		return nil, err
	}
	src, pt, err := s.decrypt(ctx, c, "kms:ReEncryptFrom", in.CiphertextBlob, in.SourceEncryptionContext, strv(in.SourceKeyId), algSymmetric, false)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	if err := usable(dst); err != nil {
		return nil, err
	}
	if !symmetric(dst) || dst.KeyUsage != usageEncrypt {
		return nil, invalidUsage(dst, "ReEncrypt")
	}
	if boolv(in.DryRun) {
		return nil, dryRun()
	}
	aead, err := s.keyAEAD(dst)
	if err != nil {
		return nil, err
	}
	blob, err := encodeBlob(s.installation, dst.Account, dst.ID, aead, pt, in.DestinationEncryptionContext)
	if err != nil {
		return nil, internalErr(err)
	}
	return &ReEncryptOutput{CiphertextBlob: blob, SourceKeyId: src.Arn, KeyId: dst.Arn,
		SourceEncryptionAlgorithm: algSymmetric, DestinationEncryptionAlgorithm: algSymmetric}, nil
}

// GetPublicKeyOutput is the output of GetPublicKey.
type GetPublicKeyOutput struct {
	KeyId                  string   `json:"KeyId"`
	PublicKey              []byte   `json:"PublicKey"`
	CustomerMasterKeySpec  string   `json:"CustomerMasterKeySpec,omitempty"`
	KeySpec                string   `json:"KeySpec"`
	KeyUsage               string   `json:"KeyUsage"`
	EncryptionAlgorithms   []string `json:"EncryptionAlgorithms,omitempty"`
	SigningAlgorithms      []string `json:"SigningAlgorithms,omitempty"`
	KeyAgreementAlgorithms []string `json:"KeyAgreementAlgorithms,omitempty"`
}

// GetPublicKey returns the DER public key of an asymmetric key.
func (s *Service) GetPublicKey(ctx context.Context, in *KeyIDInput) (*GetPublicKeyOutput, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	k, r, err := s.lookup(ctx, c, in.KeyId, true)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, c, "kms:GetPublicKey", k, r, nil, nil); err != nil {
		return nil, err
	}
	if err := usable(k); err != nil {
		return nil, err
	}
	if len(k.PublicKey) == 0 {
		return nil, duplex.Errorf("UnsupportedOperationException", "%s is not an asymmetric key and has no public key.", k.Arn)
	}
	enc, sign, _, agree := algorithms(k.KeySpec, k.KeyUsage)
	return &GetPublicKeyOutput{KeyId: k.Arn, PublicKey: k.PublicKey, CustomerMasterKeySpec: legacySpec(k.KeySpec), KeySpec: k.KeySpec,
		KeyUsage: k.KeyUsage, EncryptionAlgorithms: enc, SigningAlgorithms: sign, KeyAgreementAlgorithms: agree}, nil
}

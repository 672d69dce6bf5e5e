package kms

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"slices"

	"github.com/google/uuid"
)

// Ciphertext blob format, version 1 (all integers big-endian):
//
//	offset  size  field
//	0       3     magic "DPX"
//	3       1     version 0x01
//	4       8     installation ID (random per store, from the verifier record)
//	12      1     length n of the owning account ID (1..32)
//	13      n     owning account ID (ASCII)
//	13+n    16    key ID (the UUID's 16 bytes)
//	29+n    12    AES-GCM nonce
//	41+n    ...   AES-256-GCM ciphertext of the plaintext, then the 16-byte tag
//
// The additional authenticated data is the header (bytes 0 to 29+n, i.e.
// everything before the nonce) followed by the canonical encryption context
// (see canonicalContext), so neither the key reference nor the context can
// be changed without the tag failing.
const (
	blobMagic        = "DPX"
	blobVersion      = 1
	installationSize = 8
	nonceSize        = 12
	tagSize          = 16
	maxAccountLen    = 32
)

// blob is a parsed ciphertext blob.
type blob struct {
	Installation [installationSize]byte
	Account      string
	KeyID        string
	header       []byte // bytes before the nonce
	sealed       []byte // nonce || ciphertext || tag
}

var errBadBlob = errors.New("not a duplex ciphertext blob")

// encodeBlob seals plaintext under the key material of (account, keyID).
func encodeBlob(inst [installationSize]byte, account, keyID string, aead cipher.AEAD, plaintext []byte, encCtx map[string]string) ([]byte, error) {
	id, err := uuid.Parse(keyID)
	if err != nil {
		return nil, err
	}
	if len(account) == 0 || len(account) > maxAccountLen {
		return nil, errors.New("account ID length out of range")
	}
	h := make([]byte, 0, 29+len(account)+nonceSize+len(plaintext)+tagSize)
	h = append(h, blobMagic...)
	h = append(h, blobVersion)
	h = append(h, inst[:]...)
	h = append(h, byte(len(account)))
	h = append(h, account...)
	h = append(h, id[:]...)
	hdrLen := len(h)
	aad := append(h[:hdrLen:hdrLen], canonicalContext(encCtx)...)
	out := seal(aead, plaintext, aad)
	return append(h, out...), nil
}

// parseBlob splits a blob into its fields without decrypting it.
func parseBlob(b []byte) (*blob, error) {
	if len(b) < 13 || string(b[:3]) != blobMagic || b[3] != blobVersion {
		return nil, errBadBlob
	}
	n := int(b[12])
	if n == 0 || n > maxAccountLen || len(b) < 13+n+16+nonceSize+tagSize {
		return nil, errBadBlob
	}
	var bl blob
	copy(bl.Installation[:], b[4:12])
	bl.Account = string(b[13 : 13+n])
	id, err := uuid.FromBytes(b[13+n : 29+n])
	if err != nil {
		return nil, errBadBlob
	}
	bl.KeyID = id.String()
	bl.header = b[:29+n]
	bl.sealed = b[29+n:]
	return &bl, nil
}

// open decrypts the blob with the key material's AEAD and the context.
func (bl *blob) open(aead cipher.AEAD, encCtx map[string]string) ([]byte, error) {
	aad := append(slices.Clip(bl.header), canonicalContext(encCtx)...)
	return open(aead, bl.sealed, aad)
}

// canonicalContext is the encryption context as authenticated data: the
// number of pairs, then for each pair in byte order of the keys, the key's
// length, the key, the value's length and the value (lengths as uint32). An
// absent and an empty context are the same.
func canonicalContext(encCtx map[string]string) []byte {
	keys := make([]string, 0, len(encCtx))
	size := 4
	for k, v := range encCtx {
		keys = append(keys, k)
		size += 8 + len(k) + len(v)
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = binary.BigEndian.AppendUint32(b, uint32(len(keys)))
	for _, k := range keys {
		v := encCtx[k]
		b = binary.BigEndian.AppendUint32(b, uint32(len(k)))
		b = append(b, k...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	return b
}

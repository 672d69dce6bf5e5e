package kms

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/duplexsms/duplex/internal/store"
)

// MasterKeySize is the size of the master key: an AES-256 key.
const MasterKeySize = 32

// MasterKeyFileName is the file in the data folder that holds the generated
// master key of a development install.
const MasterKeyFileName = "master.key"

// ErrMasterKeyMismatch is returned by New when the master key cannot open the
// store's verifier record: the store was created with another key.
var ErrMasterKeyMismatch = errors.New("master key does not match the one this store was created with")

// LoadMasterKey reads the master key that wraps all KMS key material.
//
// With path set, the file must exist and hold exactly 32 bytes: raw, as 64
// hex digits, or as base64 (surrounding white space is ignored). With path
// empty and generate true, the key lives in DATADIR/master.key and is
// created (mode 0600) the first time; with path empty and generate false (a
// shared PostgreSQL store, where every node must use the same key) it is an
// error.
func LoadMasterKey(path, dataDir string, generate bool) ([]byte, error) {
	if path == "" {
		if !generate {
			return nil, errors.New("a master key file is required with PostgreSQL: set --master-key-file / DUPLEX_MASTER_KEY_FILE to a file holding 32 random bytes (e.g. `openssl rand -base64 32 > master.key`), the same file on every node")
		}
		path = filepath.Join(dataDir, MasterKeyFileName)
		key, err := readMasterKey(path)
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			return key, err
		}
		return generateMasterKey(dataDir, path)
	}
	return readMasterKey(path)
}

func readMasterKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	key, ok := parseMasterKey(b)
	if !ok {
		return nil, fmt.Errorf("master key file %s: must hold a %d-byte key (raw, hex or base64), found %d bytes that are none of these", path, MasterKeySize, len(b))
	}
	return key, nil
}

func parseMasterKey(b []byte) ([]byte, bool) {
	if len(b) == MasterKeySize && !isText(b) {
		// Raw bytes. (32 random bytes are all printable with probability
		// (95/256)^32 < 2^-45; text of that length is a mistake such as a
		// 16-byte key in hex, and is parsed as text below.)
		return append([]byte(nil), b...), true
	}
	t := string(bytes.TrimSpace(b))
	if len(t) == 2*MasterKeySize {
		if k, err := hex.DecodeString(t); err == nil {
			return k, true
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(t); err == nil && len(k) == MasterKeySize {
			return k, true
		}
	}
	return nil, false
}

func isText(b []byte) bool {
	for _, c := range b {
		if (c < 0x20 || c > 0x7e) && c != '\n' && c != '\r' && c != '\t' {
			return false
		}
	}
	return true
}

func generateMasterKey(dataDir, path string) ([]byte, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	key := make([]byte, MasterKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readMasterKey(path) // another process won the race
	}
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write master key file: %w", err)
	}
	return key, nil
}

// The verifier record proves at start-up that the master key is the one the
// store's key material was wrapped with. It also holds the installation ID
// that every ciphertext blob carries.
const (
	kindMaster     = "kms.master"
	verifierID     = "verifier"
	verifierText   = "duplex kms master key verifier v1"
	verifierAADPfx = "duplex-kms-verifier:"
)

type verifierRecord struct {
	Installation string `json:"installation"` // hex, 8 bytes
	Sealed       []byte `json:"sealed"`       // nonce || AES-GCM(verifierText)
}

// checkMaster opens the verifier with master, creating it in a fresh store.
func checkMaster(ctx context.Context, st store.Store, aead cipher.AEAD) (inst [installationSize]byte, err error) {
	rec, err := st.Get(ctx, "", kindMaster, verifierID)
	if errors.Is(err, store.ErrNotFound) {
		rand.Read(inst[:])
		v := verifierRecord{Installation: hex.EncodeToString(inst[:])}
		v.Sealed = seal(aead, []byte(verifierText), []byte(verifierAADPfx+v.Installation))
		b, _ := json.Marshal(v)
		err = st.Update(ctx, func(tx store.Tx) error {
			return tx.Insert(ctx, store.Record{Account: "", Kind: kindMaster, ID: verifierID, Data: b})
		})
		if errors.Is(err, store.ErrExists) {
			// Another node created it first: verify against its record.
			return checkMaster(ctx, st, aead)
		}
		return inst, err
	}
	if err != nil {
		return inst, fmt.Errorf("read master key verifier: %w", err)
	}
	var v verifierRecord
	if err := json.Unmarshal(rec.Data, &v); err != nil {
		return inst, fmt.Errorf("decode master key verifier: %w", err)
	}
	id, err := hex.DecodeString(v.Installation)
	if err != nil || len(id) != installationSize {
		return inst, fmt.Errorf("master key verifier: bad installation ID %q", v.Installation)
	}
	copy(inst[:], id)
	pt, err := open(aead, v.Sealed, []byte(verifierAADPfx+v.Installation))
	if err != nil || string(pt) != verifierText {
		return inst, ErrMasterKeyMismatch
	}
	return inst, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != MasterKeySize {
		return nil, fmt.Errorf("key must be %d bytes, got %d", MasterKeySize, len(key))
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// seal returns nonce || ciphertext || tag.
func seal(aead cipher.AEAD, plaintext, aad []byte) []byte {
	out := make([]byte, nonceSize, nonceSize+len(plaintext)+aead.Overhead())
	rand.Read(out)
	return aead.Seal(out, out[:nonceSize], plaintext, aad)
}

func open(aead cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < nonceSize+aead.Overhead() {
		return nil, errors.New("sealed data too short")
	}
	return aead.Open(nil, sealed[:nonceSize], sealed[nonceSize:], aad)
}

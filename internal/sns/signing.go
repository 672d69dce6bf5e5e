package sns

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"runtime"
	"sync"
	"time"

	"github.com/duplexsms/duplex/internal/store"
)

// The signing certificate: an RSA-2048 key and a self-signed certificate
// that duplex creates once (the first node to need it inserts it; the others
// read it), keeps in the store with the private key sealed (AES-256-GCM)
// under a key derived from the server's master key with HKDF-SHA256, and
// serves at PUBLIC_URL/_duplex/sns/SimpleNotificationService-HASH.pem.

const signingKeyID = "current"

type signingRecord struct {
	CertPEM   string    `json:"certPem"`
	SealedKey []byte    `json:"sealedKey"` // nonce || AES-GCM(PKCS#8 private key)
	Created   time.Time `json:"created"`
}

type signer struct {
	store     store.Store
	master    []byte
	publicURL string
	now       func() time.Time

	slots chan struct{} // bounds concurrent signatures to GOMAXPROCS

	mu      sync.Mutex
	key     *rsa.PrivateKey
	certPEM []byte
	name    string // SimpleNotificationService-HASH.pem
}

func newSigner(st store.Store, master []byte, publicURL string, now func() time.Time) *signer {
	return &signer{store: st, master: append([]byte(nil), master...), publicURL: publicURL, now: now,
		slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

func (g *signer) wrapKey() (cipher.AEAD, error) {
	k, err := hkdf.Key(sha256.New, g.master, nil, "duplex sns signing key v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

const signingAAD = "duplex/sns/signing-key/v1"

// load reads the signing key, creating it on first use.
func (g *signer) load(ctx context.Context) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.key != nil {
		return nil
	}
	rec, err := load[signingRecord](ctx, g.store, "", kindSigningKey, signingKeyID)
	if errors.Is(err, store.ErrNotFound) {
		rec, err = g.create(ctx)
	}
	if err != nil {
		return err
	}
	return g.use(rec)
}

func (g *signer) create(ctx context.Context) (*signingRecord, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	now := g.now().UTC()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "sns.amazonaws.com", Organization: []string{"duplex"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(20, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	aead, err := g.wrapKey()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	rec := &signingRecord{
		CertPEM:   string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		SealedKey: aead.Seal(nonce, nonce, pkcs8, []byte(signingAAD)),
		Created:   now,
	}
	err = g.store.Update(ctx, func(tx store.Tx) error {
		return save(ctx, tx, "", kindSigningKey, signingKeyID, rec, true)
	})
	if errors.Is(err, store.ErrExists) {
		// Another node was first.
		return load[signingRecord](ctx, g.store, "", kindSigningKey, signingKeyID)
	}
	return rec, err
}

func (g *signer) use(rec *signingRecord) error {
	aead, err := g.wrapKey()
	if err != nil {
		return err
	}
	ns := aead.NonceSize()
	if len(rec.SealedKey) < ns {
		return errors.New("sns: signing key record is damaged")
	}
	pkcs8, err := aead.Open(nil, rec.SealedKey[:ns], rec.SealedKey[ns:], []byte(signingAAD))
	if err != nil {
		return fmt.Errorf("sns: cannot unseal the signing key (was the master key changed?): %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(pkcs8)
	if err != nil {
		return err
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok {
		return errors.New("sns: signing key is not RSA")
	}
	block, _ := pem.Decode([]byte(rec.CertPEM))
	if block == nil {
		return errors.New("sns: signing certificate record is damaged")
	}
	sum := sha256.Sum256(block.Bytes)
	g.key, g.certPEM = key, []byte(rec.CertPEM)
	g.name = "SimpleNotificationService-" + hex.EncodeToString(sum[:16]) + ".pem"
	return nil
}

// certURL is the SigningCertURL of envelopes.
func (g *signer) certURL(ctx context.Context) (string, error) {
	if err := g.load(ctx); err != nil {
		return "", err
	}
	return g.publicURL + "/_duplex/sns/" + g.name, nil
}

// sign signs the string to sign: SignatureVersion 1 is SHA1withRSA, 2
// SHA256withRSA (PKCS #1 v1.5), base64.
func (g *signer) sign(ctx context.Context, version string, msg []byte) (string, error) {
	if err := g.load(ctx); err != nil {
		return "", err
	}
	var h crypto.Hash
	var digest []byte
	switch version {
	case "2":
		sum := sha256.Sum256(msg)
		h, digest = crypto.SHA256, sum[:]
	default:
		sum := sha1.Sum(msg)
		h, digest = crypto.SHA1, sum[:]
	}
	// At most one signature per CPU at a time: more only thrash the caches.
	g.slots <- struct{}{}
	sig, err := rsa.SignPKCS1v15(nil, g.key, h, digest)
	<-g.slots
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// SigningCert returns the PEM certificate served under name
// ("SimpleNotificationService-HASH.pem"), or false.
func (s *Service) SigningCert(ctx context.Context, name string) ([]byte, bool, error) {
	if err := s.signer.load(ctx); err != nil {
		return nil, false, err
	}
	if name != s.signer.name {
		return nil, false, nil
	}
	return s.signer.certPEM, true, nil
}

// SigningCertURL is the URL envelopes name as SigningCertURL.
func (s *Service) SigningCertURL(ctx context.Context) (string, error) { return s.signer.certURL(ctx) }

// sigCache remembers the signature of each notification for a while, so that
// a message fanned out to many subscribers is signed once: the string to
// sign of a Notification has nothing specific to the subscriber.
type sigCache struct {
	mu    sync.Mutex
	m     map[string]*sigEntry
	order []string
	max   int
}

type sigEntry struct {
	once sync.Once
	sig  string
	err  error
}

func newSigCache(max int) *sigCache { return &sigCache{m: map[string]*sigEntry{}, max: max} }

func (c *sigCache) get(key string, sign func() (string, error)) (string, error) {
	c.mu.Lock()
	e := c.m[key]
	if e == nil {
		e = &sigEntry{}
		c.m[key] = e
		c.order = append(c.order, key)
		if len(c.order) > c.max {
			drop := c.order[:len(c.order)/2]
			for _, k := range drop {
				delete(c.m, k)
			}
			c.order = append([]string(nil), c.order[len(c.order)/2:]...)
		}
	}
	c.mu.Unlock()
	e.once.Do(func() { e.sig, e.err = sign() })
	if e.err != nil {
		c.mu.Lock()
		if c.m[key] == e {
			delete(c.m, key)
		}
		c.mu.Unlock()
	}
	return e.sig, e.err
}

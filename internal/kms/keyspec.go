package kms

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
)

// Key usages.
const (
	usageEncrypt      = "ENCRYPT_DECRYPT"
	usageSign         = "SIGN_VERIFY"
	usageMAC          = "GENERATE_VERIFY_MAC"
	usageKeyAgreement = "KEY_AGREEMENT"
)

// specInfo describes one key spec duplex can create.
type specInfo struct {
	usages       []string // allowed key usages; the first is the default when only one is allowed
	defaultUsage string   // "" = KeyUsage must be given
	hmacSize     int      // HMAC secret size in bytes
	signing      []string
	mac          []string
}

var specs = map[string]specInfo{
	"SYMMETRIC_DEFAULT": {usages: []string{usageEncrypt}, defaultUsage: usageEncrypt},
	"RSA_2048":          {usages: []string{usageEncrypt, usageSign}, defaultUsage: usageEncrypt, signing: rsaSigning},
	"RSA_3072":          {usages: []string{usageEncrypt, usageSign}, defaultUsage: usageEncrypt, signing: rsaSigning},
	"RSA_4096":          {usages: []string{usageEncrypt, usageSign}, defaultUsage: usageEncrypt, signing: rsaSigning},
	"ECC_NIST_P256":     {usages: []string{usageSign, usageKeyAgreement}, signing: []string{"ECDSA_SHA_256"}},
	"ECC_NIST_P384":     {usages: []string{usageSign, usageKeyAgreement}, signing: []string{"ECDSA_SHA_384"}},
	"ECC_NIST_P521":     {usages: []string{usageSign, usageKeyAgreement}, signing: []string{"ECDSA_SHA_512"}},
	"ECC_SECG_P256K1":   {usages: []string{usageSign}, signing: []string{"ECDSA_SHA_256"}},
	"ECC_NIST_EDWARDS25519": {usages: []string{usageSign},
		signing: []string{"ED25519_SHA_512", "ED25519_PH_SHA_512"}},
	"HMAC_224": {usages: []string{usageMAC}, hmacSize: 28, mac: []string{"HMAC_SHA_224"}},
	"HMAC_256": {usages: []string{usageMAC}, hmacSize: 32, mac: []string{"HMAC_SHA_256"}},
	"HMAC_384": {usages: []string{usageMAC}, hmacSize: 48, mac: []string{"HMAC_SHA_384"}},
	"HMAC_512": {usages: []string{usageMAC}, hmacSize: 64, mac: []string{"HMAC_SHA_512"}},
}

var rsaSigning = []string{"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
	"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"}

var rsaEncryption = []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}

// legacySpec is the deprecated CustomerMasterKeySpec of a key spec, for the
// specs that existed when it was replaced ("" for newer ones).
func legacySpec(spec string) string {
	if spec == "ECC_NIST_EDWARDS25519" {
		return ""
	}
	return spec
}

// algorithms fills the algorithm lists of KeyMetadata for spec and usage.
func algorithms(spec, usage string) (enc, sign, mac, agree []string) {
	info := specs[spec]
	switch usage {
	case usageEncrypt:
		if spec == "SYMMETRIC_DEFAULT" {
			enc = []string{"SYMMETRIC_DEFAULT"}
		} else {
			enc = rsaEncryption
		}
	case usageSign:
		sign = info.signing
	case usageMAC:
		mac = info.mac
	case usageKeyAgreement:
		agree = []string{"ECDH"}
	}
	return
}

// generateMaterial creates the secret (symmetric key, HMAC secret or private
// key) of a new key and, for asymmetric keys, its DER public key.
func generateMaterial(spec string) (secret, public []byte, err error) {
	switch spec {
	case "SYMMETRIC_DEFAULT":
		secret = make([]byte, 32)
		_, err = rand.Read(secret)
		return secret, nil, err
	case "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512":
		secret = make([]byte, specs[spec].hmacSize)
		_, err = rand.Read(secret)
		return secret, nil, err
	case "RSA_2048", "RSA_3072", "RSA_4096":
		bits := map[string]int{"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}[spec]
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			return nil, nil, err
		}
		return marshalPair(k, &k.PublicKey)
	case "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521":
		curve := map[string]elliptic.Curve{"ECC_NIST_P256": elliptic.P256(), "ECC_NIST_P384": elliptic.P384(),
			"ECC_NIST_P521": elliptic.P521()}[spec]
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		return marshalPair(k, &k.PublicKey)
	case "ECC_NIST_EDWARDS25519":
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		return marshalPair(priv, pub)
	case "ECC_SECG_P256K1":
		return generateSecp256k1()
	}
	return nil, nil, fmt.Errorf("key spec %s not supported", spec)
}

func marshalPair(priv, pub any) ([]byte, []byte, error) {
	s, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, nil, err
	}
	p, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	return s, p, nil
}

// rsaPrivateKey parses the unwrapped secret of an RSA key.
func rsaPrivateKey(secret []byte) (*rsa.PrivateKey, error) {
	k, err := x509.ParsePKCS8PrivateKey(secret)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("not an RSA key")
	}
	return rk, nil
}

// secp256k1 is not in the standard library; key generation only needs a
// scalar multiplication of the base point, done here in affine coordinates
// with math/big (slow but only run once per key).
var (
	k1P, _  = new(big.Int).SetString("fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f", 16)
	k1N, _  = new(big.Int).SetString("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", 16)
	k1Gx, _ = new(big.Int).SetString("79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798", 16)
	k1Gy, _ = new(big.Int).SetString("483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8", 16)

	oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidSecp256k1   = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
)

type k1Point struct{ x, y *big.Int } // nil x = point at infinity

func k1Add(a, b k1Point) k1Point {
	if a.x == nil {
		return b
	}
	if b.x == nil {
		return a
	}
	p := k1P
	var l *big.Int
	if a.x.Cmp(b.x) == 0 {
		if sum := new(big.Int).Add(a.y, b.y); sum.Mod(sum, p).Sign() == 0 {
			return k1Point{}
		}
		// λ = 3x² / 2y
		num := new(big.Int).Mul(a.x, a.x)
		num.Mul(num, big.NewInt(3))
		den := new(big.Int).Lsh(a.y, 1)
		den.Mod(den, p)
		l = num.Mul(num, den.ModInverse(den, p))
	} else {
		num := new(big.Int).Sub(b.y, a.y)
		den := new(big.Int).Sub(b.x, a.x)
		den.Mod(den, p)
		l = num.Mul(num, den.ModInverse(den, p))
	}
	l.Mod(l, p)
	x := new(big.Int).Mul(l, l)
	x.Sub(x, a.x).Sub(x, b.x).Mod(x, p)
	y := new(big.Int).Sub(a.x, x)
	y.Mul(y, l).Sub(y, a.y).Mod(y, p)
	return k1Point{x, y}
}

func k1ScalarBase(k *big.Int) k1Point {
	var r k1Point
	q := k1Point{k1Gx, k1Gy}
	for i := 0; i < k.BitLen(); i++ {
		if k.Bit(i) == 1 {
			r = k1Add(r, q)
		}
		q = k1Add(q, q)
	}
	return r
}

func generateSecp256k1() (secret, public []byte, err error) {
	var d *big.Int
	for {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, nil, err
		}
		d = new(big.Int).SetBytes(b)
		if d.Sign() > 0 && d.Cmp(k1N) < 0 {
			secret = b
			break
		}
	}
	pt := k1ScalarBase(d)
	point := make([]byte, 65)
	point[0] = 4
	pt.x.FillBytes(point[1:33])
	pt.y.FillBytes(point[33:])
	public, err = asn1.Marshal(struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}{
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: oidECPublicKey, Parameters: asn1.RawValue{FullBytes: mustASN1(oidSecp256k1)}},
		PublicKey: asn1.BitString{Bytes: point, BitLength: 8 * len(point)},
	})
	return secret, public, err
}

func mustASN1(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

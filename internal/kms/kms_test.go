package kms

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/store/sqlstore"
	"github.com/google/uuid"
)

func TestBlobRoundTripAndLayout(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	aead, _ := newAEAD(key)
	inst := [installationSize]byte{1, 2, 3, 4, 5, 6, 7, 8}
	id := uuid.NewString()
	ctx := map[string]string{"aws:sns:topicArn": "arn:aws:sns:us-east-1:111122223333:inbound", "b": "2"}
	pt := []byte("hello, data key")
	b, err := encodeBlob(inst, "111122223333", id, aead, pt, ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Layout: magic, version, installation, account, key ID, nonce, sealed.
	if string(b[:3]) != "DPX" || b[3] != 1 || !bytes.Equal(b[4:12], inst[:]) || b[12] != 12 || string(b[13:25]) != "111122223333" {
		t.Fatalf("header = %x", b[:25])
	}
	u := uuid.MustParse(id)
	if !bytes.Equal(b[25:41], u[:]) {
		t.Fatalf("key ID bytes = %x, want %x", b[25:41], u[:])
	}
	if want := 41 + nonceSize + len(pt) + tagSize; len(b) != want {
		t.Fatalf("len = %d, want %d", len(b), want)
	}
	bl, err := parseBlob(b)
	if err != nil {
		t.Fatal(err)
	}
	if bl.Account != "111122223333" || bl.KeyID != id || bl.Installation != inst {
		t.Fatalf("parsed %+v", bl)
	}
	got, err := bl.open(aead, map[string]string{"b": "2", "aws:sns:topicArn": "arn:aws:sns:us-east-1:111122223333:inbound"})
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("open = %q, %v", got, err)
	}
	for name, c := range map[string]map[string]string{
		"no context":    nil,
		"missing pair":  {"b": "2"},
		"changed value": {"aws:sns:topicArn": "arn:aws:sns:us-east-1:111122223333:other", "b": "2"},
		"extra pair":    {"aws:sns:topicArn": "arn:aws:sns:us-east-1:111122223333:inbound", "b": "2", "c": "3"},
	} {
		if _, err := bl.open(aead, c); err == nil {
			t.Errorf("%s: opened with a mismatched context", name)
		}
	}
	// Every byte is authenticated: header bytes as AAD, the rest by GCM.
	for i := range b {
		mod := bytes.Clone(b)
		mod[i] ^= 0x40
		bl, err := parseBlob(mod)
		if err != nil {
			continue // the header no longer parses: also a rejection
		}
		if _, err := bl.open(aead, ctx); err == nil {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
	}
	other, _ := newAEAD(bytes.Repeat([]byte{8}, 32))
	if _, err := bl.open(other, ctx); err == nil {
		t.Fatal("opened with another key")
	}
}

func TestBlobEmptyContextEqualsNil(t *testing.T) {
	aead, _ := newAEAD(bytes.Repeat([]byte{1}, 32))
	b, err := encodeBlob([installationSize]byte{}, "1", uuid.NewString(), aead, []byte("x"), map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	bl, _ := parseBlob(b)
	if _, err := bl.open(aead, nil); err != nil {
		t.Fatal(err)
	}
}

func TestParseBlobRejectsGarbage(t *testing.T) {
	aead, _ := newAEAD(bytes.Repeat([]byte{1}, 32))
	good, _ := encodeBlob([installationSize]byte{}, "111122223333", uuid.NewString(), aead, []byte("x"), nil)
	for name, b := range map[string][]byte{
		"empty":         nil,
		"short":         []byte("DPX"),
		"magic":         append([]byte("XPX"), good[3:]...),
		"version":       append([]byte("DPX\x02"), good[4:]...),
		"zero account":  append(append(bytes.Clone(good[:12]), 0), good[13:]...),
		"truncated":     good[:len(good)-1-tagSize],
		"aws-like blob": {0x01, 0x02, 0x02, 0x00, 0x78},
	} {
		if _, err := parseBlob(b); !errors.Is(err, errBadBlob) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func TestCanonicalContextIsInjective(t *testing.T) {
	pairs := []map[string]string{
		{"a": "bc"}, {"ab": "c"}, {"a": "b", "c": ""}, {"a": "b"}, {"": "ab"}, nil,
	}
	seen := map[string]int{}
	for i, p := range pairs {
		k := string(canonicalContext(p))
		if j, ok := seen[k]; ok {
			t.Fatalf("contexts %v and %v encode the same", pairs[j], p)
		}
		seen[k] = i
	}
	a := canonicalContext(map[string]string{"x": "1", "y": "2", "z": "3"})
	for i := 0; i < 20; i++ { // map order must not matter
		if !bytes.Equal(a, canonicalContext(map[string]string{"z": "3", "x": "1", "y": "2"})) {
			t.Fatal("canonical context depends on map order")
		}
	}
}

func TestLoadMasterKeyGenerates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, err := LoadMasterKey("", dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != 32 {
		t.Fatalf("len = %d", len(k1))
	}
	fi, err := os.Stat(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v", fi.Mode().Perm())
	}
	k2, err := LoadMasterKey("", dir, true)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("second load = %x, %v; want the same key", k2, err)
	}
}

func TestLoadMasterKeyFile(t *testing.T) {
	dir := t.TempDir()
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, content := range map[string][]byte{
		"raw":       key,
		"hex":       []byte(hex.EncodeToString(key) + "\n"),
		"base64":    []byte(base64.StdEncoding.EncodeToString(key) + "\n"),
		"base64url": []byte("  " + base64.RawURLEncoding.EncodeToString(key)),
	} {
		got, err := LoadMasterKey(write(name, content), "", false)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("%s: %x, %v", name, got, err)
		}
	}
	for name, content := range map[string][]byte{
		"short":      key[:16],
		"long":       append(bytes.Clone(key), 1),
		"short hex":  []byte(hex.EncodeToString(key[:16])),
		"not base64": []byte(strings.Repeat("!", 44)),
		"empty":      nil,
	} {
		if _, err := LoadMasterKey(write(name, content), "", false); err == nil || !strings.Contains(err.Error(), "32-byte") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := LoadMasterKey(filepath.Join(dir, "missing"), "", true); err == nil || !strings.Contains(err.Error(), "master key file") {
		t.Errorf("missing file: err = %v", err)
	}
	if _, err := LoadMasterKey("", dir, false); err == nil || !strings.Contains(err.Error(), "required with PostgreSQL") {
		t.Errorf("no file with PostgreSQL: err = %v", err)
	}
}

func rootCtx(account string) context.Context {
	return duplex.WithCaller(context.Background(), &duplex.Caller{Account: account, ARN: "arn:aws:iam::" + account + ":root"})
}

func TestWrongMasterKeyRefusesToStart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlstore.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	good := bytes.Repeat([]byte{1}, 32)
	s, err := New(st, "us-east-1", good, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateKey(rootCtx("111122223333"), &CreateKeyInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := New(st, "us-east-1", bytes.Repeat([]byte{2}, 32), nil); !errors.Is(err, ErrMasterKeyMismatch) ||
		err.Error() != "master key does not match the one this store was created with" {
		t.Fatalf("wrong key: err = %v", err)
	}
	if _, err := New(st, "us-east-1", good[:16], nil); err == nil {
		t.Fatal("a 16-byte master key was accepted")
	}
	s2, err := New(st, "us-east-1", good, nil)
	if err != nil {
		t.Fatalf("right key after restart: %v", err)
	}
	if s2.installation != s.installation {
		t.Fatal("installation ID changed across restarts")
	}
}

func TestStoreHoldsNoClearKeyMaterial(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := sqlstore.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	master := bytes.Repeat([]byte{9}, 32)
	s, err := New(st, "us-east-1", master, nil)
	if err != nil {
		t.Fatal(err)
	}
	var secrets [][]byte
	for _, in := range []CreateKeyInput{{}, {KeySpec: ptr("HMAC_256"), KeyUsage: ptr("GENERATE_VERIFY_MAC")},
		{KeySpec: ptr("ECC_NIST_P256"), KeyUsage: ptr("SIGN_VERIFY")}} {
		out, err := s.CreateKey(rootCtx("111122223333"), &in)
		if err != nil {
			t.Fatal(err)
		}
		k, err := s.getKey(ctx, ref{Account: "111122223333", ID: out.KeyMetadata.KeyId})
		if err != nil {
			t.Fatal(err)
		}
		secret, err := s.unwrap(k)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, secret)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var db []byte
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		db = append(db, b...)
	}
	if len(db) == 0 {
		t.Fatal("no database files")
	}
	for i, secret := range secrets {
		for enc, needle := range map[string][]byte{
			"raw": secret, "base64": []byte(base64.StdEncoding.EncodeToString(secret)),
			"hex": []byte(hex.EncodeToString(secret)),
		} {
			if bytes.Contains(db, needle) {
				t.Errorf("key %d material found in the database files (%s)", i, enc)
			}
		}
	}
	if bytes.Contains(db, master) || bytes.Contains(db, []byte(base64.StdEncoding.EncodeToString(master))) {
		t.Error("master key found in the database files")
	}
}

func TestSecp256k1PublicKeyOnCurve(t *testing.T) {
	// 1·G = G.
	if p := k1ScalarBase(big.NewInt(1)); p.x.Cmp(k1Gx) != 0 || p.y.Cmp(k1Gy) != 0 {
		t.Fatal("1·G != G")
	}
	// 2·G, known value.
	p := k1ScalarBase(big.NewInt(2))
	if got := hex.EncodeToString(p.x.Bytes()); got != "c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5" {
		t.Fatalf("2·G x = %s", got)
	}
	// n·G = infinity.
	if p := k1ScalarBase(k1N); p.x != nil {
		t.Fatal("n·G is not the point at infinity")
	}
	_, pub, err := generateSecp256k1()
	if err != nil {
		t.Fatal(err)
	}
	pt := pub[len(pub)-64:]
	x, y := new(big.Int).SetBytes(pt[:32]), new(big.Int).SetBytes(pt[32:])
	// y² = x³ + 7 (mod p)
	lhs := new(big.Int).Exp(y, big.NewInt(2), k1P)
	rhs := new(big.Int).Exp(x, big.NewInt(3), k1P)
	rhs.Add(rhs, big.NewInt(7)).Mod(rhs, k1P)
	if lhs.Cmp(rhs) != 0 {
		t.Fatal("generated public key is not on secp256k1")
	}
}

func ptr[T any](v T) *T { return &v }

func TestConditionKeys(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := New(st, "eu-west-1", bytes.Repeat([]byte{3}, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	const acct = "111122223333"
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
	  "Action":["kms:GenerateDataKey","kms:Decrypt"],"Resource":"*","Condition":{
	    "StringEquals":{"kms:ViaService":"sns.eu-west-1.amazonaws.com","kms:CallerAccount":"111122223333",
	      "kms:EncryptionContext:aws:sns:topicArn":"arn:aws:sns:eu-west-1:111122223333:inbound"},
	    "ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["aws:sns:topicArn","purpose"]},
	    "Null":{"kms:EncryptionContextKeys":"false"}}}]}`
	out, err := s.CreateKey(rootCtx(acct), &CreateKeyInput{Policy: &doc, BypassPolicyLockoutSafetyCheck: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	viaSNS := duplex.WithCaller(ctx, &duplex.Caller{Account: acct, ARN: "arn:aws:iam::" + acct + ":root",
		Context: map[string]string{"aws:CalledVia": "sns.amazonaws.com", "aws:CalledViaLast": "sns.amazonaws.com"}})
	topic := map[string]string{"aws:sns:topicArn": "arn:aws:sns:eu-west-1:111122223333:inbound"}
	_, blob, _, err := s.GenerateDataKeyFor(viaSNS, out.KeyMetadata.KeyId, topic)
	if err != nil {
		t.Fatalf("via SNS with the topic context: %v", err)
	}
	if _, err := s.DecryptFor(viaSNS, blob, topic); err != nil {
		t.Fatalf("DecryptFor via SNS: %v", err)
	}
	for name, tc := range map[string]struct {
		ctx    context.Context
		encCtx map[string]string
	}{
		"direct call":   {rootCtx(acct), topic},
		"other topic":   {viaSNS, map[string]string{"aws:sns:topicArn": "arn:aws:sns:eu-west-1:111122223333:other"}},
		"extra key":     {viaSNS, map[string]string{"aws:sns:topicArn": "arn:aws:sns:eu-west-1:111122223333:inbound", "x": "1"}},
		"no context":    {viaSNS, nil},
		"other account": {duplex.WithCaller(ctx, &duplex.Caller{Account: "999999999999", ARN: "arn:aws:iam::999999999999:root", Context: map[string]string{"aws:CalledViaLast": "sns.amazonaws.com"}}), topic},
	} {
		_, _, _, err := s.GenerateDataKeyFor(tc.ctx, out.KeyMetadata.Arn, tc.encCtx)
		if e, ok := duplex.AsError(err); !ok || e.Code != "AccessDeniedException" {
			t.Errorf("%s: err = %v", name, err)
		} else if Explanation(err) == "" {
			t.Errorf("%s: no explanation", name)
		}
	}
}

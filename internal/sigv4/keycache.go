package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"sync"
)

// maxCachedKeys bounds the signing-key cache. A key is valid for one
// (secret, date, region, service), so a deployment needs about
// active-keys × regions × services entries per day.
const maxCachedKeys = 1024

type cacheKey struct{ secret, date, region, service string }

// keyCache memoizes derived signing keys: deriving one costs four HMACs,
// more than the rest of a typical verification's hashing.
type keyCache struct {
	mu sync.Mutex
	m  map[cacheKey][]byte
}

func (c *keyCache) get(k cacheKey) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *keyCache) put(k cacheKey, key []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[cacheKey][]byte)
	}
	if len(c.m) >= maxCachedKeys {
		for old := range c.m { // evict an arbitrary entry
			delete(c.m, old)
			break
		}
	}
	c.m[k] = key
}

func (c *keyCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// deriveKey computes the SigV4 signing key
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func deriveKey(secret, date, region, service string) []byte {
	h := func(key []byte, data string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(data))
		return m.Sum(nil)
	}
	k := h([]byte("AWS4"+secret), date)
	k = h(k, region)
	k = h(k, service)
	return h(k, terminator)
}

func (v *Verifier) signingKey(secret, date, region, service string) []byte {
	if v.noKeyCache {
		return deriveKey(secret, date, region, service)
	}
	ck := cacheKey{secret, date, region, service}
	if k := v.keys.get(ck); k != nil {
		return k
	}
	k := deriveKey(secret, date, region, service)
	v.keys.put(ck, k)
	return k
}

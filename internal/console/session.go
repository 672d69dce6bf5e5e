package console

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/sigv4"
	"github.com/duplexsms/duplex/internal/store"
)

// Sessions live in the store (account "", kind console.session), keyed by
// the SHA-256 of the random session ID the cookie carries: they survive a
// restart, every node of a PostgreSQL deployment sees them, signing out
// ends them everywhere, and a copy of the database holds no usable session
// ID. A session remembers which access key signed in and a MAC of its
// secret, so removing or rotating the key ends its sessions.
const (
	kindSession   = "console.session"
	cookieSession = "duplex_console"
	// cookieSignIn carries the sign-in form's CSRF token (double submit):
	// there is no session yet to bind it to.
	cookieSignIn = "duplex_console_signin"
	// SessionLifetime is how long a sign-in lasts.
	SessionLifetime = 12 * time.Hour
)

type session struct {
	Account     string    `json:"account"`
	AccessKeyID string    `json:"accessKeyId"`
	SecretMAC   string    `json:"secretMac"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires"`

	id   string // the cookie value (not stored)
	csrf string // derived from id (not stored)
}

func (s *session) caller(r *http.Request) *duplex.Caller {
	return &duplex.Caller{Account: s.Account, ARN: "arn:aws:iam::" + s.Account + ":root", AccessKeyID: s.AccessKeyID,
		SourceIP: remoteIP(r)}
}

func remoteIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// keys are derived from the server's master key with HKDF; never the
// account secrets themselves.
type keys struct {
	mac []byte // CSRF tokens and secret MACs
}

func deriveKeys(master []byte) (keys, error) {
	if len(master) == 0 {
		// No master key: a random per-process key (sessions then end with
		// the process, which is only the case in tests).
		master = make([]byte, 32)
		rand.Read(master)
	}
	k, err := hkdf.Key(sha256.New, master, nil, "duplex console v1", 32)
	if err != nil {
		return keys{}, err
	}
	return keys{mac: k}, nil
}

func (k keys) sum(parts ...string) []byte {
	m := hmac.New(sha256.New, k.mac)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return m.Sum(nil)
}

func (k keys) csrfToken(sessionID string) string {
	return base64.RawURLEncoding.EncodeToString(k.sum("csrf", sessionID))
}

func (k keys) secretMAC(accessKey, secret string) string {
	return hex.EncodeToString(k.sum("secret", accessKey, secret))
}

func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func sessionKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// equal compares two strings in constant time (for their content; lengths
// are hashed away).
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

var errBadCredentials = errors.New("The access key ID or secret access key is not correct.")
var errTemporary = errors.New("Temporary (STS) credentials cannot sign in to the console; use an access key of the account.")

// verify checks an access key and secret against the configured keys. The
// secret is compared in constant time, also for unknown keys.
func (c *Console) verify(ctx context.Context, key, secret string) (sigv4.Credential, error) {
	cred, err := c.cfg.Lookup(ctx, key)
	if err != nil {
		equal(secret, "duplex: no such key")
		if errors.Is(err, sigv4.ErrUnknownKey) {
			return cred, errBadCredentials
		}
		return cred, err
	}
	if !equal(secret, cred.SecretAccessKey) {
		return cred, errBadCredentials
	}
	if cred.SessionToken != "" || !cred.Expires.IsZero() {
		return cred, errTemporary
	}
	if cred.Account == "" {
		return cred, errBadCredentials
	}
	return cred, nil
}

// startSession stores a new session for cred and returns it. Expired
// sessions are swept on the way.
func (c *Console) startSession(ctx context.Context, cred sigv4.Credential) (*session, error) {
	now := c.cfg.Now().UTC()
	s := &session{Account: cred.Account, AccessKeyID: cred.AccessKeyID,
		SecretMAC: c.keys.secretMAC(cred.AccessKeyID, cred.SecretAccessKey),
		Created:   now, Expires: now.Add(SessionLifetime), id: randomToken()}
	s.csrf = c.keys.csrfToken(s.id)
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	err = c.cfg.Store.Update(ctx, func(tx store.Tx) error {
		recs, err := tx.List(ctx, store.Query{Kind: kindSession, Limit: 1000})
		if err != nil {
			return err
		}
		for _, r := range recs {
			var old session
			if json.Unmarshal(r.Data, &old) != nil || !now.Before(old.Expires) {
				if err := tx.Delete(ctx, "", kindSession, r.ID); err != nil {
					return err
				}
			}
		}
		return tx.Insert(ctx, store.Record{Kind: kindSession, ID: sessionKey(s.id), Data: b})
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// session returns the request's live session, or nil.
func (c *Console) session(r *http.Request) *session {
	ck, err := r.Cookie(cookieSession)
	if err != nil || ck.Value == "" || len(ck.Value) > 100 {
		return nil
	}
	rec, err := c.cfg.Store.Get(r.Context(), "", kindSession, sessionKey(ck.Value))
	if err != nil {
		return nil
	}
	var s session
	if json.Unmarshal(rec.Data, &s) != nil || !c.cfg.Now().Before(s.Expires) {
		return nil
	}
	// The key must still exist with the same secret.
	cred, err := c.cfg.Lookup(r.Context(), s.AccessKeyID)
	if err != nil || cred.Account != s.Account || !equal(c.keys.secretMAC(cred.AccessKeyID, cred.SecretAccessKey), s.SecretMAC) {
		return nil
	}
	s.id = ck.Value
	s.csrf = c.keys.csrfToken(s.id)
	return &s
}

func (c *Console) endSession(ctx context.Context, s *session) error {
	return c.cfg.Store.Update(ctx, func(tx store.Tx) error {
		err := tx.Delete(ctx, "", kindSession, sessionKey(s.id))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
}

func (c *Console) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/console/", MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

// sameOrigin checks the Origin header, or else the Referer, of a
// state-changing request against the host it was sent to (and the public
// URL's host). A request with neither relies on its CSRF token alone.
func (c *Console) sameOrigin(r *http.Request) bool {
	check := func(raw string) bool {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return false
		}
		return strings.EqualFold(u.Host, r.Host) || (c.publicHost != "" && strings.EqualFold(u.Host, c.publicHost))
	}
	if o := r.Header.Get("Origin"); o != "" {
		return o != "null" && check(o)
	}
	if ref := r.Header.Get("Referer"); ref != "" {
		return check(ref)
	}
	return true
}

// checkCSRF verifies a POST of a signed-in user: same origin, and the
// session's token in the form, compared in constant time.
func (c *Console) checkCSRF(r *http.Request, s *session) bool {
	if !c.sameOrigin(r) {
		return false
	}
	tok := r.PostFormValue("csrf")
	return tok != "" && equal(tok, s.csrf)
}

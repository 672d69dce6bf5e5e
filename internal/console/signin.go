package console

import (
	"errors"
	"net/http"
	"strings"
)

type signInData struct {
	AccessKeyID string
	Secret      string
	Next        string
	Dev         bool
}

// safeNext keeps a post-sign-in destination inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") ||
		strings.HasPrefix(next, "/console/signin") {
		return "/console/phone-numbers"
	}
	return next
}

func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	if s := c.session(r); s != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.showSignIn(w, r, http.StatusOK, &signInData{Next: safeNext(r.URL.Query().Get("next"))}, nil)
}

func (c *Console) showSignIn(w http.ResponseWriter, r *http.Request, status int, d *signInData, p *problems) {
	if h := c.cfg.SignInHint; h != nil {
		d.Dev = true
		if d.AccessKeyID == "" {
			d.AccessKeyID, d.Secret = h.AccessKeyID, h.Secret
		}
	}
	tok := randomToken()
	c.setCookie(w, cookieSignIn, tok, 3600)
	c.render(w, r, status, "signin", &page{Title: "Sign in", CSRF: tok, Problems: p, Data: d})
}

func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	ck, err := r.Cookie(cookieSignIn)
	form := r.PostFormValue("csrf")
	if err != nil || form == "" || !equal(form, ck.Value) || !c.sameOrigin(r) {
		c.errorPage(w, r, nil, http.StatusForbidden,
			"The sign-in form expired or did not come from this console. Open the sign-in page again.")
		return
	}
	d := &signInData{AccessKeyID: strings.TrimSpace(r.PostFormValue("accessKeyId")), Next: safeNext(r.PostFormValue("next"))}
	secret := r.PostFormValue("secret")
	var p problems
	if d.AccessKeyID == "" {
		p.field("accessKeyId", "Enter the access key ID.")
	}
	if secret == "" {
		p.field("secret", "Enter the secret access key.")
	}
	if p.any() {
		c.showSignIn(w, r, http.StatusBadRequest, d, &p)
		return
	}
	cred, err := c.verify(r.Context(), d.AccessKeyID, secret)
	if errors.Is(err, errBadCredentials) || errors.Is(err, errTemporary) {
		p.top(err.Error())
		c.showSignIn(w, r, http.StatusUnauthorized, d, &p)
		return
	}
	if err != nil {
		c.cfg.Log.Error("console: sign-in lookup failed", "err", err)
		c.errorPage(w, r, nil, http.StatusInternalServerError, "The sign-in could not be checked; the server log has the details.")
		return
	}
	s, err := c.startSession(r.Context(), cred)
	if err != nil {
		c.cfg.Log.Error("console: storing the session failed", "err", err)
		c.errorPage(w, r, nil, http.StatusInternalServerError, "The session could not be stored; the server log has the details.")
		return
	}
	c.setCookie(w, cookieSignIn, "", -1)
	c.setCookie(w, cookieSession, s.id, int(SessionLifetime.Seconds()))
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, s *session) {
	if err := c.endSession(r.Context(), s); err != nil {
		c.fail(w, r, s, err)
		return
	}
	c.setCookie(w, cookieSession, "", -1)
	http.Redirect(w, r, "/console/signin?done=signedout", http.StatusSeeOther)
}

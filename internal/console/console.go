// Package console is duplex's web console, served at /console/ on the API
// port: plain server-rendered HTML (html/template, embedded), one small
// script of its own and no build step.
//
// A user signs in with an access key and secret of an account; every page
// then acts as that account's root user by putting a duplex.Caller in the
// request context and calling the same service methods the API calls, after
// the same model validation the wire layer runs (call.go). No rule is
// implemented twice: what the API refuses, the console shows, next to the
// form field the error names.
package console

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/awsmodel"
	"github.com/duplexsms/duplex/internal/connect"
	"github.com/duplexsms/duplex/internal/iam"
	"github.com/duplexsms/duplex/internal/sigv4"
	"github.com/duplexsms/duplex/internal/smsvoice"
	"github.com/duplexsms/duplex/internal/sns"
	"github.com/duplexsms/duplex/internal/store"
	"github.com/duplexsms/duplex/internal/twoway"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the console needs from the server.
type Config struct {
	Store   store.Store
	SMS     *smsvoice.Service
	IAM     *iam.Service
	SNS     *sns.Service
	Inbound *twoway.Pipeline
	// Connect is the Amazon Connect subset (instances, the agent workspace);
	// nil hides it.
	Connect *connect.Service
	// Lookup finds an access key's credential (the server's SigV4 lookup).
	Lookup sigv4.Lookup
	// MasterKey is the server's master key; the console derives its own
	// keys from it with HKDF.
	MasterKey []byte
	// PublicURL is the server's public base URL; an https URL makes the
	// session cookie Secure.
	PublicURL string
	Region    string
	// SignInHint pre-fills the sign-in form (the dev account's key and
	// secret while the dev defaults are in use).
	SignInHint *SignInHint
	Log        *slog.Logger
	Now        func() time.Time
}

// SignInHint is an access key and secret shown pre-filled on the sign-in
// form.
type SignInHint struct{ AccessKeyID, Secret string }

// Console is the console's HTTP handler.
type Console struct {
	cfg        Config
	keys       keys
	secure     bool
	publicHost string
	mux        *http.ServeMux
	pages      map[string]*template.Template
	static     http.Handler
	smsModel   *awsmodel.Model
	snsModel   *awsmodel.Model
	iamModel   *awsmodel.Model

	connectModel *awsmodel.Model
}

// New builds the console.
func New(cfg Config) (*Console, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Lookup == nil || cfg.Store == nil || cfg.SMS == nil {
		return nil, errors.New("console: Store, SMS and Lookup are required")
	}
	k, err := deriveKeys(cfg.MasterKey)
	if err != nil {
		return nil, err
	}
	c := &Console{cfg: cfg, keys: k, mux: http.NewServeMux(), pages: map[string]*template.Template{}}
	if u, err := url.Parse(cfg.PublicURL); err == nil {
		c.secure = u.Scheme == "https"
		c.publicHost = u.Host
	}
	if c.smsModel, err = awsmodel.Load("pinpoint-sms-voice-v2"); err != nil {
		return nil, err
	}
	if c.snsModel, err = awsmodel.Load("sns"); err != nil {
		return nil, err
	}
	if c.iamModel, err = awsmodel.Load("iam"); err != nil {
		return nil, err
	}
	if c.connectModel, err = awsmodel.Load("connect"); err != nil {
		return nil, err
	}
	if err := c.parseTemplates(); err != nil {
		return nil, err
	}
	sub, _ := fs.Sub(staticFS, "static")
	c.static = http.StripPrefix("/console/static/", http.FileServerFS(sub))
	c.routes()
	return c, nil
}

func (c *Console) routes() {
	m := c.mux
	m.HandleFunc("GET /console/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/console/phone-numbers", http.StatusSeeOther)
	})
	m.HandleFunc("GET /console/signin", c.signInPage)
	m.HandleFunc("POST /console/signin", c.signIn)
	m.HandleFunc("POST /console/signout", c.authed(c.signOut))
	m.HandleFunc("GET /console/static/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		c.static.ServeHTTP(w, r)
	})

	m.HandleFunc("GET /console/phone-numbers", c.authed(c.numbersPage))
	m.HandleFunc("POST /console/phone-numbers", c.authed(c.requestNumber))
	m.HandleFunc("GET /console/phone-numbers/{id}", c.authed(c.numberPage("details")))
	m.HandleFunc("POST /console/phone-numbers/{id}/release", c.authed(c.releaseNumber))
	m.HandleFunc("GET /console/phone-numbers/{id}/two-way", c.authed(c.numberPage("two-way")))
	m.HandleFunc("GET /console/phone-numbers/{id}/two-way/edit", c.authed(c.editTwoWayPage))
	m.HandleFunc("POST /console/phone-numbers/{id}/two-way/edit", c.authed(c.saveTwoWay))
	m.HandleFunc("POST /console/phone-numbers/{id}/two-way/import", c.authed(c.importNumber))
	m.HandleFunc("GET /console/phone-numbers/{id}/inbound", c.authed(c.numberPage("inbound")))
	m.HandleFunc("GET /console/phone-numbers/{id}/inbound/table", c.authed(c.inboundTable))
	m.HandleFunc("POST /console/phone-numbers/{id}/inbound/redrive", c.authed(c.redrive))
	m.HandleFunc("GET /console/phone-numbers/{id}/keywords", c.authed(c.numberPage("keywords")))
	m.HandleFunc("POST /console/phone-numbers/{id}/keywords", c.authed(c.putKeyword))
	m.HandleFunc("POST /console/phone-numbers/{id}/keywords/delete", c.authed(c.deleteKeyword))
	m.HandleFunc("GET /console/phone-numbers/{id}/opt-outs", c.authed(c.numberPage("opt-outs")))
	m.HandleFunc("POST /console/phone-numbers/{id}/opt-outs/delete", c.authed(c.deleteOptOut))

	m.HandleFunc("GET /console/connect", c.authed(c.connectPage))
	m.HandleFunc("POST /console/connect", c.authed(c.createInstance))
	m.HandleFunc("GET /console/connect/instances/{id}", c.authed(c.workspace))
	m.HandleFunc("GET /console/connect/instances/{id}/chats", c.authed(c.chatsFragment))
	m.HandleFunc("GET /console/connect/instances/{id}/contacts/{contact}/transcript", c.authed(c.transcriptFragment))
	m.HandleFunc("POST /console/connect/instances/{id}/contacts/{contact}/reply", c.authed(c.reply))
	m.HandleFunc("POST /console/connect/instances/{id}/contacts/{contact}/end", c.authed(c.endChat))

	m.HandleFunc("GET /console/simulator", c.authed(c.simulatorPage))
	m.HandleFunc("GET /console/simulator/thread", c.authed(c.simulatorThread))
	m.HandleFunc("POST /console/simulator/send", c.authed(c.simulatorSend))

	m.HandleFunc("/console/", func(w http.ResponseWriter, r *http.Request) {
		c.errorPage(w, r, nil, http.StatusNotFound, "There is no such page in the console.")
	})
}

// ServeHTTP serves /console/.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if !strings.HasPrefix(r.URL.Path, "/console/static/") {
		h.Set("Cache-Control", "no-store")
	}
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	}
	c.mux.ServeHTTP(w, r)
}

type authedHandler func(w http.ResponseWriter, r *http.Request, s *session)

// authed runs h for a signed-in user, as that account: without a session
// the user is sent to sign in; a POST must carry the session's CSRF token
// and come from this origin, or it is refused with 403 before anything
// happens.
func (c *Console) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.session(r)
		if s == nil {
			next := r.URL.Path
			if r.Method == http.MethodGet && r.URL.RawQuery != "" {
				next += "?" + r.URL.RawQuery
			}
			if r.Method != http.MethodGet {
				next = "/console/phone-numbers"
			}
			if r.Header.Get("X-Requested-With") == "fetch" {
				w.Header().Set("X-Console-Signin", "/console/signin")
				http.Error(w, "signed out", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/console/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !c.checkCSRF(r, s) {
			c.errorPage(w, r, s, http.StatusForbidden,
				"The request was refused: it did not carry this session's form token or did not come from this console. Reload the page and try again.")
			return
		}
		r = r.WithContext(duplex.WithCaller(r.Context(), s.caller(r)))
		h(w, r, s)
	}
}

// page is what every template gets.
type page struct {
	Title    string
	Nav      string
	Session  *session
	CSRF     string
	Notice   string
	Problems *problems
	Data     any
}

func (p *page) Err(field string) string {
	if p.Problems == nil {
		return ""
	}
	return p.Problems.Fields[field]
}

var funcs = template.FuncMap{
	"join": strings.Join,
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"iso":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"lower": strings.ToLower,
	"q":     url.QueryEscape,
	"topicName": func(arn string) string {
		if i := strings.LastIndexByte(arn, ':'); i >= 0 {
			return arn[i+1:]
		}
		return arn
	},
	"roleName": func(arn string) string {
		if i := strings.LastIndexByte(arn, '/'); i >= 0 {
			return arn[i+1:]
		}
		return arn
	},
	"has": func(list []string, v string) bool {
		for _, x := range list {
			if x == v {
				return true
			}
		}
		return false
	},
}

var pageFiles = []string{"signin", "numbers", "number", "twoway_edit", "simulator", "connect", "error"}

func (c *Console) parseTemplates() error {
	for _, name := range pageFiles {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/fragments.html", "templates/"+name+".html")
		if err != nil {
			return err
		}
		c.pages[name] = t
	}
	frag, err := template.New("fragments").Funcs(funcs).ParseFS(templateFS, "templates/fragments.html")
	if err != nil {
		return err
	}
	c.pages["fragments"] = frag
	return nil
}

// render writes a full page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	if p.Session != nil {
		p.CSRF = p.Session.csrf
	}
	if p.Notice == "" {
		p.Notice = notices[r.URL.Query().Get("done")]
	}
	c.execute(w, status, name, "layout", p)
}

// fragment writes part of a page (polled by the script).
func (c *Console) fragment(w http.ResponseWriter, name string, p *page) {
	if p.Session != nil {
		p.CSRF = p.Session.csrf
	}
	c.execute(w, http.StatusOK, "fragments", name, p)
}

func (c *Console) execute(w http.ResponseWriter, status int, set, name string, data any) {
	var b bytes.Buffer
	if err := c.pages[set].ExecuteTemplate(&b, name, data); err != nil {
		c.cfg.Log.Error("console: template failed", "template", set+"/"+name, "err", err)
		http.Error(w, "The console could not render this page.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func (c *Console) errorPage(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	c.render(w, r, status, "error", &page{Title: http.StatusText(status), Session: s, Data: msg})
}

// notices are the fixed messages a redirect after a successful POST shows
// (?done=…), so no text from the URL is ever echoed.
var notices = map[string]string{
	"requested":        "Phone number requested.",
	"released":         "Phone number released.",
	"saved":            "Two-way settings saved.",
	"redriven":         "The message was queued for delivery again.",
	"already":          "The message was already delivered; nothing to redrive.",
	"keyword":          "Keyword saved.",
	"keyword-gone":     "Keyword deleted.",
	"opted-in":         "The number was removed from the opt-out list.",
	"signedout":        "You are signed out.",
	"imported":         "Phone number imported to Amazon Connect. It is IN_PROGRESS until the instance has claimed it; then customers' texts become chats in the agent workspace.",
	"instance-created": "Amazon Connect instance created.",
	"chat-ended":       "The chat ended. The customer's next text starts a new chat.",
}

// seeOther redirects after a successful POST (Post/Redirect/Get).
func seeOther(w http.ResponseWriter, r *http.Request, path, done string) {
	if done != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		path += sep + "done=" + url.QueryEscape(done)
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}

// fail shows an API error that is not about a form: 404 for a resource of
// another account or one that does not exist, else the error's status.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, err error) {
	e, ok := duplex.AsError(err)
	if !ok {
		c.cfg.Log.Error("console: request failed", "path", r.URL.Path, "err", err)
		c.errorPage(w, r, s, http.StatusInternalServerError, "Something went wrong; the server log has the details.")
		return
	}
	status := e.HTTPStatus()
	if status >= 500 {
		c.cfg.Log.Error("console: request failed", "path", r.URL.Path, "err", err)
	}
	c.errorPage(w, r, s, status, describe(e))
}

package smsc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Handler is the simulator's HTTP API:
//
//	POST   /mo      {"from","to","body","coding","payload","sar","order"} → {"parts"} once the ESME acknowledged every part
//	GET    /mt      [?to=E164]  → {"messages":[…]} what ESMEs submitted, oldest first, reassembled
//	DELETE /mt      forget them
//	POST   /load    {"count","rate","from","to","body","concurrency"} → load result (msgs/s, p50, p99)
//	POST   /faults  {"refuseBinds","throttle","queueFull","dropAfter","silent","garbage","decimalReceiptIds"}
//	GET    /status  sessions and counters
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /mo", func(w http.ResponseWriter, r *http.Request) {
		var mo MO
		if !readBody(w, r, &mo) {
			return
		}
		if mo.From == "" || mo.To == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "from and to are required"})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		res, err := s.SendMO(ctx, mo)
		if err != nil {
			writeJSON(w, http.StatusBadGateway, map[string]any{"error": err.Error(), "parts": res.Parts})
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
	mux.HandleFunc("GET /mt", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"messages": s.Received(r.URL.Query().Get("to"))})
	})
	mux.HandleFunc("DELETE /mt", func(w http.ResponseWriter, r *http.Request) {
		s.ClearReceived()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /load", func(w http.ResponseWriter, r *http.Request) {
		var l Load
		if !readBody(w, r, &l) {
			return
		}
		if l.Count <= 0 || l.From == "" || l.To == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "count, from and to are required"})
			return
		}
		writeJSON(w, http.StatusOK, s.RunLoad(r.Context(), l))
	})
	mux.HandleFunc("POST /faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		if !readBody(w, r, &f) {
			return
		}
		s.Inject(f)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Status())
	})
	return mux
}

func readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "malformed JSON: " + err.Error()})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// Client calls a running simulator's HTTP API.
type Client struct {
	URL  string
	HTTP *http.Client
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	base := c.URL
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+path, body)
	if err != nil {
		return err
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s %s: %s", method, path, e.Error)
		}
		return fmt.Errorf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
	if out != nil && len(b) > 0 {
		return json.Unmarshal(b, out)
	}
	return nil
}

// SendMO injects an MO.
func (c *Client) SendMO(ctx context.Context, mo MO) (MOResult, error) {
	var r MOResult
	return r, c.do(ctx, "POST", "/mo", mo, &r)
}

// Received lists what the simulator received.
func (c *Client) Received(ctx context.Context, to string) ([]json.RawMessage, error) {
	var r struct {
		Messages []json.RawMessage `json:"messages"`
	}
	path := "/mt"
	if to != "" {
		path += "?to=" + url.QueryEscape(to)
	}
	return r.Messages, c.do(ctx, "GET", path, nil, &r)
}

// Load runs a load burst.
func (c *Client) Load(ctx context.Context, l Load) (LoadResult, error) {
	var r LoadResult
	return r, c.do(ctx, "POST", "/load", l, &r)
}

// Inject adds faults.
func (c *Client) Inject(ctx context.Context, f Faults) error {
	return c.do(ctx, "POST", "/faults", f, nil)
}

// Status reads sessions and counters.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var s Status
	return s, c.do(ctx, "GET", "/status", nil, &s)
}

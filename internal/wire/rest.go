package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/awsmodel"
)

// restRoute is one operation's HTTP binding: method and requestUri template
// ("/contacts/{InstanceId}/{ContactId}", "/tags/{resourceArn+}", with an
// optional literal query such as "?versioning").
type restRoute struct {
	op       string
	method   string
	segs     []restSeg
	query    url.Values // literal query the request must carry
	literals int        // literal segments: more wins when several match
	greedy   bool
}

type restSeg struct {
	literal string // set for a literal segment
	label   string // set for {Label} and {Label+}
	greedy  bool
}

// compileRoutes builds the route table of a rest-json service from its
// model, most specific first.
func compileRoutes(m *awsmodel.Model) []restRoute {
	var out []restRoute
	for _, name := range m.Operations() {
		op, _ := m.Operation(name)
		if op.RequestURI == "" || op.HTTPMethod == "" {
			continue
		}
		out = append(out, compileRoute(name, op.HTTPMethod, op.RequestURI))
	}
	sortRoutes(out)
	return out
}

// compileRoute parses one requestUri template.
func compileRoute(op, method, uri string) restRoute {
	path, rawQuery, _ := strings.Cut(uri, "?")
	rt := restRoute{op: op, method: method}
	if rawQuery != "" {
		rt.query, _ = url.ParseQuery(rawQuery)
	}
	for _, s := range splitPath(path) {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			label := s[1 : len(s)-1]
			g := strings.HasSuffix(label, "+")
			rt.segs = append(rt.segs, restSeg{label: strings.TrimSuffix(label, "+"), greedy: g})
			rt.greedy = rt.greedy || g
			continue
		}
		rt.segs = append(rt.segs, restSeg{literal: s})
		rt.literals++
	}
	return rt
}

// sortRoutes puts the most specific routes first: more literal segments,
// then no greedy label, then more literal query parameters.
func sortRoutes(out []restRoute) {
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.literals != b.literals {
			return a.literals > b.literals
		}
		if a.greedy != b.greedy {
			return !a.greedy
		}
		return len(a.query) > len(b.query)
	})
}

// splitPath splits "/a/b/" into ["a", "b", ""]; "/" into [].
func splitPath(p string) []string {
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// match finds the operation for a request and the values of its labels
// (unescaped). methodSeen reports whether the path matched some operation
// under another method.
func (svc *Service) match(method, escapedPath string, query url.Values) (op string, labels map[string]string, methodSeen bool) {
	segs := splitPath(escapedPath)
	for i := range svc.routes {
		rt := &svc.routes[i]
		lv, ok := rt.matchPath(segs)
		if !ok {
			continue
		}
		okQuery := true
		for k, vs := range rt.query {
			if !query.Has(k) || (len(vs) > 0 && vs[0] != "" && query.Get(k) != vs[0]) {
				okQuery = false
			}
		}
		if !okQuery {
			continue
		}
		if rt.method != method {
			methodSeen = true
			continue
		}
		return rt.op, lv, false
	}
	return "", nil, methodSeen
}

func (rt *restRoute) matchPath(segs []string) (map[string]string, bool) {
	var labels map[string]string
	set := func(k, raw string) bool {
		v, err := url.PathUnescape(raw)
		if err != nil || v == "" {
			return false
		}
		if labels == nil {
			labels = map[string]string{}
		}
		labels[k] = v
		return true
	}
	i := 0
	for n, s := range rt.segs {
		switch {
		case s.greedy:
			if i >= len(segs) || n != len(rt.segs)-1 {
				return nil, false
			}
			parts := make([]string, 0, len(segs)-i)
			for _, raw := range segs[i:] {
				v, err := url.PathUnescape(raw)
				if err != nil {
					return nil, false
				}
				parts = append(parts, v)
			}
			v := strings.Join(parts, "/")
			if v == "" {
				return nil, false
			}
			if labels == nil {
				labels = map[string]string{}
			}
			labels[s.label] = v
			return labels, true
		case i >= len(segs):
			return nil, false
		case s.label != "":
			if !set(s.label, segs[i]) {
				return nil, false
			}
		default:
			if segs[i] != s.literal {
				return nil, false
			}
		}
		i++
	}
	return labels, i == len(segs)
}

// bindREST builds an operation's input, keyed by member names, from the
// parts of the request each member is bound to: URI labels, query string,
// headers, and the JSON body for the rest.
func bindREST(m *awsmodel.Model, opName string, labels map[string]string, r *http.Request, body []byte) (map[string]any, error) {
	in := map[string]any{}
	op, _ := m.Operation(opName)
	if op == nil || op.InputShape == "" {
		return in, nil
	}
	shape, _ := m.Shape(op.InputShape)
	hasBody := false
	for i := range shape.Members {
		if shape.Members[i].Location == "" {
			hasBody = true
		}
	}
	if hasBody && len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, &duplex.Error{Code: "SerializationException", Message: "Malformed JSON request body: " + err.Error()}
		}
		if dec.More() {
			return nil, &duplex.Error{Code: "SerializationException", Message: "Malformed JSON request body: trailing data"}
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, &duplex.Error{Code: "SerializationException", Message: "The JSON request body must be an object"}
		}
		for k, x := range obj {
			mb := member(shape, k)
			if mb == nil {
				in[k] = x // pruned after validation
				continue
			}
			if mb.Location != "" {
				continue // bound elsewhere; the body cannot override it
			}
			in[mb.Name] = x
		}
	}
	query := r.URL.Query()
	bound := map[string]bool{}
	var queryMap *awsmodel.Member
	for i := range shape.Members {
		mb := &shape.Members[i]
		ms, _ := m.Shape(mb.Shape)
		wireName := mb.LocationName
		if wireName == "" {
			wireName = mb.Name
		}
		switch mb.Location {
		case "uri":
			if v, ok := labels[wireName]; ok {
				in[mb.Name] = restScalar(ms, v)
			}
		case "querystring":
			if ms.Type == "map" {
				queryMap = mb
				continue
			}
			bound[wireName] = true
			vs, ok := query[wireName]
			if !ok {
				continue
			}
			if ms.Type == "list" {
				es, _ := m.Shape(ms.Member.Shape)
				list := make([]any, len(vs))
				for j, v := range vs {
					list[j] = restScalar(es, v)
				}
				in[mb.Name] = list
			} else {
				in[mb.Name] = restScalar(ms, vs[0])
			}
		case "header":
			vs := r.Header.Values(wireName)
			if len(vs) == 0 {
				continue
			}
			if ms.Type == "list" {
				es, _ := m.Shape(ms.Member.Shape)
				var list []any
				for _, v := range vs {
					for _, part := range strings.Split(v, ",") {
						list = append(list, restScalar(es, strings.TrimSpace(part)))
					}
				}
				in[mb.Name] = list
			} else {
				in[mb.Name] = restScalar(ms, strings.Join(vs, ","))
			}
		case "headers":
			prefix := strings.ToLower(mb.LocationName)
			hm := map[string]any{}
			for k, vs := range r.Header {
				if lk := strings.ToLower(k); strings.HasPrefix(lk, prefix) && len(vs) > 0 {
					hm[lk[len(prefix):]] = vs[0]
				}
			}
			if len(hm) > 0 {
				in[mb.Name] = hm
			}
		}
	}
	if queryMap != nil {
		qm := map[string]any{}
		ms, _ := m.Shape(queryMap.Shape)
		vsh, _ := m.Shape(ms.Value.Shape)
		for k, vs := range query {
			if bound[k] || len(vs) == 0 {
				continue
			}
			if vsh.Type == "list" {
				list := make([]any, len(vs))
				for j, v := range vs {
					list[j] = v
				}
				qm[k] = list
			} else {
				qm[k] = vs[0]
			}
		}
		if len(qm) > 0 {
			in[queryMap.Name] = qm
		}
	}
	return in, nil
}

// restScalar converts a label, query or header value to the JSON value of
// its shape; text that does not parse stays a string, so that validation
// reports the type mismatch.
func restScalar(s *awsmodel.Shape, v string) any {
	if s == nil {
		return v
	}
	switch s.Type {
	case "integer", "long":
		if _, err := strconv.ParseInt(v, 10, 64); err == nil {
			return json.Number(v)
		}
	case "float", "double":
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return json.Number(v)
		}
	case "boolean":
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return v
}

// restHeaders writes the output members bound to response headers.
func restHeaders(m *awsmodel.Model, opName string, out any, h http.Header) error {
	op, _ := m.Operation(opName)
	if op == nil || op.OutputShape == "" {
		return nil
	}
	shape, _ := m.Shape(op.OutputShape)
	var headers []*awsmodel.Member
	for i := range shape.Members {
		if shape.Members[i].Location == "header" {
			headers = append(headers, &shape.Members[i])
		}
	}
	if len(headers) == 0 {
		return nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	var obj map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil {
		return nil
	}
	for _, mb := range headers {
		v, ok := obj[mb.Name]
		if !ok || v == nil {
			continue
		}
		h.Set(mb.LocationName, fmt.Sprint(v))
	}
	return nil
}

// restStatus is the HTTP status of an error of a rest-json service: the
// error's own status when it sets one, else the status the model gives the
// error shape, else the shared code table's.
func restStatus(m *awsmodel.Model, e *duplex.Error) int {
	if e.Status != 0 {
		return e.Status
	}
	if m != nil {
		if s, ok := m.Shape(e.Code); ok && s.Error != nil && s.Error.HTTPStatusCode != 0 {
			return s.Error.HTTPStatusCode
		}
	}
	return e.HTTPStatus()
}

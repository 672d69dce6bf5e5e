// Package wire speaks the AWS protocols on one HTTP port and knows nothing
// about SMS: it authenticates with SigV4, picks the service (JSON 1.0/1.1 by
// X-Amz-Target, query by Action= and the credential scope's service,
// rest-json on paths other than "/" by the credential scope's service or a
// path prefix, then the operation by the model's method and requestUri),
// decodes and validates input against the service's model, calls the
// operation's handler with JSON input, and encodes the result or the error
// exactly as that protocol does.
package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/awsmodel"
	"github.com/duplexsms/duplex/internal/sigv4"
	"github.com/google/uuid"
)

// MaxBody is the largest request body accepted (AWS refuses larger).
const MaxBody = 1 << 20

// Handler runs one operation. in is the validated input as JSON; the result
// is any value encoding/json can marshal with the model's member names.
type Handler func(ctx context.Context, in []byte) (any, error)

// Op adapts a typed function to a Handler.
func Op[In any, Out any](f func(ctx context.Context, in *In) (*Out, error)) Handler {
	return func(ctx context.Context, raw []byte) (any, error) {
		in := new(In)
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, in); err != nil {
				return nil, &duplex.Error{Code: "SerializationException", Message: "Cannot deserialize request: " + err.Error()}
			}
		}
		out, err := f(ctx, in)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return struct{}{}, nil
		}
		return out, nil
	}
}

// Protocol is how a service is spoken on the wire.
type Protocol int

const (
	JSON     Protocol = iota // awsJson1_0 / awsJson1_1, X-Amz-Target
	Query                    // awsQuery, Action= form, XML responses
	RestJSON                 // rest-json: HTTP method + requestUri, members bound to URI, query, headers and a JSON body
)

// Service is one AWS API served by duplex.
type Service struct {
	// Scope is the SigV4 credential-scope service name (sms-voice, kms, sns, iam, sts).
	Scope    string
	Model    *awsmodel.Model
	Protocol Protocol
	Ops      map[string]Handler
	// ValidationCode is the error code for input that fails the model
	// (ValidationException for JSON services, InvalidParameter for SNS,
	// ValidationError for IAM and STS).
	ValidationCode string
	// Global services (IAM) accept any signing region.
	Global bool
	// PathPrefix (rest-json) claims every request whose path starts with
	// it, whatever its signature; other rest-json services are found by the
	// credential scope of the request's signature.
	PathPrefix string
	// Unsigned (rest-json) services do not use SigV4: a signature, if any,
	// is ignored and handlers run with no caller in ctx. Their operations
	// authenticate themselves from their input (a bearer token bound to a
	// header).
	Unsigned bool

	routes []restRoute
}

// Server routes AWS API calls to services.
type Server struct {
	Verifier *sigv4.Verifier
	Region   string
	Log      *slog.Logger
	Metrics  *Metrics
	// Authenticate turns verified credentials into the caller.
	Authenticate func(ctx context.Context, v *sigv4.Verified, r *http.Request) (*duplex.Caller, error)

	byTarget map[string]*Service // X-Amz-Target prefix → service
	byScope  map[string]*Service // credential scope → service
	byPrefix []*Service          // rest-json services claiming a path prefix
}

// Register adds a service.
func (s *Server) Register(svc *Service) {
	if s.byTarget == nil {
		s.byTarget, s.byScope = map[string]*Service{}, map[string]*Service{}
	}
	switch svc.Protocol {
	case JSON:
		s.byTarget[svc.Model.Metadata().TargetPrefix] = svc
	case RestJSON:
		svc.routes = compileRoutes(svc.Model)
		if svc.PathPrefix != "" {
			s.byPrefix = append(s.byPrefix, svc)
		}
	}
	s.byScope[svc.Scope] = svc
}

// restService returns the rest-json service a request on a path other than
// "/" is for, or nil.
func (s *Server) restService(r *http.Request) *Service {
	for _, svc := range s.byPrefix {
		if strings.HasPrefix(r.URL.Path, svc.PathPrefix) {
			return svc
		}
	}
	if svc := s.byScope[sigv4.ScopeService(r)]; svc != nil && svc.Protocol == RestJSON && !svc.Unsigned {
		return svc
	}
	return nil
}

// Handles reports whether r is an AWS API call this server routes.
func (s *Server) Handles(r *http.Request) bool {
	if r.URL.Path != "/" {
		return s.restService(r) != nil
	}
	if r.Header.Get("X-Amz-Target") != "" {
		return true
	}
	if r.Method == http.MethodPost || r.URL.Query().Get("Action") != "" {
		return true
	}
	return false
}

// call is the state of one request as it moves through the server.
type call struct {
	svc   *Service
	op    string
	reqID string
	start time.Time
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &call{reqID: uuid.NewString(), start: time.Now()}
	ctx := duplex.WithRequestID(r.Context(), c.reqID)
	body, tooLarge, err := readBody(r)
	var rest *Service
	if r.URL.Path != "/" && r.URL.Path != "" {
		rest = s.restService(r)
	}
	if rest != nil {
		c.svc = rest
	} else if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, op, _ := strings.Cut(target, ".")
		c.svc, c.op = s.byTarget[prefix], op
		if c.svc == nil {
			s.fail(w, c, &duplex.Error{Code: "UnknownOperationException", Message: "Unknown operation " + target})
			return
		}
	} else {
		c.svc = s.byScope[sigv4.ScopeService(r)]
		if c.svc == nil {
			c.svc = s.byScope["sns"] // errors before the service is known are rendered as SNS does
		}
	}
	switch {
	case err != nil:
		s.fail(w, c, &duplex.Error{Code: "SerializationException", Message: "Cannot read request body", Err: err})
		return
	case tooLarge:
		s.fail(w, c, &duplex.Error{Code: "RequestEntityTooLargeException", Status: http.StatusRequestEntityTooLarge,
			Message: fmt.Sprintf("Request body exceeds the maximum size of %d bytes", MaxBody)})
		return
	}
	if c.svc == nil {
		s.fail(w, c, &duplex.Error{Code: "UnknownOperationException", Message: "No service handles this request"})
		return
	}
	if c.svc.Protocol == RestJSON {
		s.serveREST(ctx, w, r, c, body)
		return
	}

	var form url.Values
	if c.svc.Protocol == Query {
		form, err = url.ParseQuery(string(body))
		if err != nil {
			s.fail(w, c, &duplex.Error{Code: "MalformedQueryString", Message: "Malformed form body: " + err.Error()})
			return
		}
		for k, v := range r.URL.Query() {
			if _, ok := form[k]; !ok && !strings.HasPrefix(k, "X-Amz-") {
				form[k] = v
			}
		}
		c.op = form.Get("Action")
	}

	caller, aerr := s.authenticate(ctx, c, r, body)
	if aerr != nil {
		s.fail(w, c, aerr)
		return
	}
	ctx = duplex.WithCaller(ctx, caller)

	h, ok := c.svc.Ops[c.op]
	if !ok {
		if c.svc.Protocol == Query {
			s.fail(w, c, &duplex.Error{Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version %s", c.op, form.Get("Version"))})
		} else {
			s.fail(w, c, &duplex.Error{Code: "UnknownOperationException", Message: "Unknown operation " + c.op})
		}
		return
	}

	var input any
	if c.svc.Protocol == Query {
		delete(form, "Action")
		delete(form, "Version")
		m, err := c.svc.Model.DecodeQuery(c.op, form)
		if err != nil {
			s.fail(w, c, &duplex.Error{Code: c.svc.ValidationCode, Message: err.Error()})
			return
		}
		input = m
	} else {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if len(bytes.TrimSpace(body)) == 0 {
			input = map[string]any{}
		} else if err := dec.Decode(&input); err != nil {
			s.fail(w, c, &duplex.Error{Code: "SerializationException", Message: "Malformed JSON request body: " + err.Error()})
			return
		} else if dec.More() {
			s.fail(w, c, &duplex.Error{Code: "SerializationException", Message: "Malformed JSON request body: trailing data"})
			return
		}
	}
	s.run(ctx, w, c, h, input)
}

// serveREST routes a rest-json request to its operation by method and path,
// authenticates it (unless the service is unsigned), binds its input and
// runs it.
func (s *Server) serveREST(ctx context.Context, w http.ResponseWriter, r *http.Request, c *call, body []byte) {
	query := r.URL.Query()
	op, labels, methodSeen := c.svc.match(r.Method, r.URL.EscapedPath(), query)
	if op == "" {
		e := &duplex.Error{Code: "UnknownOperationException", Status: http.StatusNotFound,
			Message: fmt.Sprintf("No %s operation is %s %s", c.svc.Model.Metadata().ServiceID, r.Method, r.URL.Path)}
		if methodSeen {
			e.Status = http.StatusMethodNotAllowed
			e.Message = fmt.Sprintf("%s does not accept %s", r.URL.Path, r.Method)
		}
		s.fail(w, c, e)
		return
	}
	c.op = op
	if !c.svc.Unsigned {
		caller, aerr := s.authenticate(ctx, c, r, body)
		if aerr != nil {
			s.fail(w, c, aerr)
			return
		}
		ctx = duplex.WithCaller(ctx, caller)
	}
	h, ok := c.svc.Ops[op]
	if !ok {
		s.fail(w, c, &duplex.Error{Code: "UnknownOperationException", Status: http.StatusNotFound,
			Message: fmt.Sprintf("duplex does not implement %s %s", c.svc.Model.Metadata().ServiceID, op)})
		return
	}
	input, err := bindREST(c.svc.Model, op, labels, r, body)
	if err != nil {
		s.fail(w, c, err)
		return
	}
	s.run(ctx, w, c, h, input)
}

// run validates the decoded input against the model, drops what the model
// does not define, calls the handler and writes its answer.
func (s *Server) run(ctx context.Context, w http.ResponseWriter, c *call, h Handler, input any) {
	if verr := c.svc.Model.ValidateInput(c.op, input); verr != nil {
		e := &duplex.Error{Code: c.svc.ValidationCode, Message: verr.Message}
		if c.svc.Protocol != Query && c.svc.ValidationCode == "ValidationException" {
			e.With("Reason", verr.Reason)
			if len(verr.Fields) > 0 {
				e.With("Fields", verr.Fields)
			}
		}
		if c.svc.ValidationCode == "InvalidParameter" {
			e.Message = "Invalid parameter: " + verr.Message
		}
		s.fail(w, c, e)
		return
	}
	pruneInput(c.svc.Model, c.op, input)
	raw, err := json.Marshal(input)
	if err != nil {
		s.fail(w, c, duplex.Internal(internalCode(c.svc), err))
		return
	}
	out, err := h(ctx, raw)
	if err != nil {
		s.fail(w, c, err)
		return
	}
	s.succeed(w, c, out)
}

func (s *Server) authenticate(ctx context.Context, c *call, r *http.Request, body []byte) (*duplex.Caller, error) {
	v, err := s.Verifier.Verify(ctx, r, body)
	if err != nil {
		var se *sigv4.Error
		if !errors.As(err, &se) {
			return nil, duplex.Internal(internalCode(c.svc), err)
		}
		code, status := se.JSONCode()
		msg := se.JSONMessage()
		switch c.svc.Protocol {
		case Query:
			code, status = se.QueryCode()
			msg = se.QueryMessage()
		case RestJSON:
			if status < 500 {
				status = http.StatusForbidden // REST APIs refuse credentials with 403
			}
		}
		return nil, &duplex.Error{Code: code, Status: status, Message: msg}
	}
	if v.Service != c.svc.Scope {
		code, status := "InvalidSignatureException", http.StatusBadRequest
		switch c.svc.Protocol {
		case Query:
			code, status = "SignatureDoesNotMatch", http.StatusForbidden
		case RestJSON:
			status = http.StatusForbidden
		}
		return nil, &duplex.Error{Code: code, Status: status,
			Message: fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", c.svc.Scope)}
	}
	if !c.svc.Global && v.Region != s.Region {
		code, status := "InvalidSignatureException", http.StatusBadRequest
		switch c.svc.Protocol {
		case Query:
			code, status = "SignatureDoesNotMatch", http.StatusForbidden
		case RestJSON:
			status = http.StatusForbidden
		}
		return nil, &duplex.Error{Code: code, Status: status,
			Message: fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. This server serves '%s'.", v.Region, s.Region)}
	}
	if s.Authenticate != nil {
		return s.Authenticate(ctx, v, r)
	}
	return &duplex.Caller{Account: v.Credential.Account, ARN: v.Credential.PrincipalARN,
		AccessKeyID: v.Credential.AccessKeyID, SourceIP: sourceIP(r)}, nil
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func readBody(r *http.Request) (body []byte, tooLarge bool, err error) {
	if r.ContentLength > MaxBody {
		return nil, true, nil
	}
	body, err = io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, false, err
	}
	return body, len(body) > MaxBody, nil
}

func internalCode(svc *Service) string {
	if svc == nil {
		return "InternalFailure"
	}
	switch svc.Scope {
	case "sms-voice":
		return "InternalServerException"
	case "kms":
		return "KMSInternalException"
	case "sns":
		return "InternalError"
	case "iam":
		return "ServiceFailure"
	}
	if svc.Protocol == RestJSON {
		for _, code := range []string{"InternalServiceException", "InternalServerException"} {
			if s, ok := svc.Model.Shape(code); ok && s.Exception {
				return code
			}
		}
	}
	return "InternalFailure"
}

func (s *Server) succeed(w http.ResponseWriter, c *call, out any) {
	var body []byte
	var err error
	h := w.Header()
	h.Set("x-amzn-RequestId", c.reqID)
	switch c.svc.Protocol {
	case Query:
		body, err = c.svc.Model.MarshalQueryResponse(c.op, out, c.reqID)
		h.Set("Content-Type", "text/xml")
	case RestJSON:
		body, err = c.svc.Model.MarshalJSONOutput(c.op, out)
		if err == nil {
			err = restHeaders(c.svc.Model, c.op, out, h)
		}
		h.Set("Content-Type", "application/json")
	default:
		body, err = c.svc.Model.MarshalJSONOutput(c.op, out)
		h.Set("Content-Type", "application/x-amz-json-"+c.svc.Model.Metadata().JSONVersion)
	}
	if err != nil {
		s.fail(w, c, duplex.Internal(internalCode(c.svc), fmt.Errorf("encode %s output: %w", c.op, err)))
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	s.observe(c, http.StatusOK, "")
}

func (s *Server) fail(w http.ResponseWriter, c *call, err error) {
	e, ok := duplex.AsError(err)
	if !ok {
		e = duplex.Internal(internalCode(c.svc), err)
	}
	status := e.HTTPStatus()
	if c.svc != nil && c.svc.Protocol == RestJSON {
		status = restStatus(c.svc.Model, e)
	}
	if status >= 500 && s.Log != nil {
		s.Log.Error("request failed", "requestId", c.reqID, "operation", c.op, "err", err)
	}
	h := w.Header()
	h.Set("x-amzn-RequestId", c.reqID)
	var body []byte
	if c.svc != nil && c.svc.Protocol == Query {
		typ := "Sender"
		if e.Fault() {
			typ = "Receiver"
		}
		body = awsmodel.MarshalQueryError(c.svc.Model.Metadata().XMLNamespace, typ, e.Code, e.Message, c.reqID)
		h.Set("Content-Type", "text/xml")
	} else {
		m := map[string]any{}
		for k, v := range e.Members {
			m[k] = v
		}
		m["message"] = e.Message
		if c.svc != nil && c.svc.Protocol == RestJSON {
			h.Set("Content-Type", "application/json")
		} else {
			m["__type"] = e.Code
			jv := "1.0"
			if c.svc != nil {
				jv = c.svc.Model.Metadata().JSONVersion
			}
			h.Set("Content-Type", "application/x-amz-json-"+jv)
		}
		body, _ = json.Marshal(m)
		h.Set("x-amzn-ErrorType", e.Code)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
	s.observe(c, status, e.Code)
}

func (s *Server) observe(c *call, status int, code string) {
	if s.Metrics == nil {
		return
	}
	svc := "unknown"
	if c.svc != nil {
		svc = c.svc.Scope
	}
	op := c.op
	if op == "" || (c.svc != nil && c.svc.Ops[op] == nil) {
		op = "unknown"
	}
	s.Metrics.observe(svc, op, code, time.Since(c.start))
}

// Package awsmodel gives the server access to the machine-readable parts of
// the AWS API models (botocore service-2.json) of the services duplex
// emulates: it validates decoded requests against the model's constraints the
// way AWS does, decodes query-protocol forms into the same generic shape as
// JSON input, and encodes JSON and query (XML) responses and query errors so
// that unmodified AWS SDKs parse them.
//
// The embedded models under models/ are generated from the botocore models in
// the shared directory with every documentation key removed; regenerate them
// with go generate (or go run ./internal/awsmodel/gen from the repository
// root).
//
// Everything returned by a *Model (operations, shapes) is shared and must be
// treated as read-only.
package awsmodel

//go:generate go run ./gen -models ../../../shared/aws-models -out models

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"sync"
)

//go:embed models/*.json.gz
var modelFS embed.FS

// Services lists the service names Load accepts.
func Services() []string {
	out := make([]string, 0, len(registry))
	for name := range registry {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

type registryEntry struct {
	once  sync.Once
	model *Model
	err   error
}

// registry is filled once at package initialisation and never changed
// afterwards; each entry loads its model at most once.
var registry = func() map[string]*registryEntry {
	entries, err := modelFS.ReadDir("models")
	if err != nil {
		panic(err)
	}
	r := make(map[string]*registryEntry, len(entries))
	for _, e := range entries {
		name := e.Name()
		const suffix = ".json.gz"
		if len(name) > len(suffix) && name[len(name)-len(suffix):] == suffix {
			r[name[:len(name)-len(suffix)]] = &registryEntry{}
		}
	}
	return r
}()

// Load returns the model of service ("pinpoint-sms-voice-v2", "sns", "iam",
// "sts", "kms", "connect", "connectparticipant", "sqs"). The model is parsed
// and its validators compiled on the first call; later calls return the same
// *Model.
func Load(service string) (*Model, error) {
	e, ok := registry[service]
	if !ok {
		return nil, fmt.Errorf("awsmodel: unknown service %q", service)
	}
	e.once.Do(func() {
		e.model, e.err = loadModel(service)
	})
	return e.model, e.err
}

// MustLoad is Load that panics on error.
func MustLoad(service string) *Model {
	m, err := Load(service)
	if err != nil {
		panic(err)
	}
	return m
}

// Model is one service's API model.
type Model struct {
	service    string
	meta       Metadata
	protocol   string
	operations map[string]*Operation
	opNames    []string
	shapes     map[string]*Shape

	compiled map[string]*vshape // validators by shape name
	// Patterns that Go's regexp cannot express and that are therefore not
	// checked, and patterns checked only through emulated look-arounds.
	skipped  []PatternIssue
	emulated []PatternIssue
}

// Metadata is the service-level part of the model. SigningName falls back to
// EndpointPrefix when the model does not set it (as the SDKs do).
type Metadata struct {
	APIVersion     string
	Protocol       string
	JSONVersion    string
	TargetPrefix   string
	SigningName    string
	EndpointPrefix string
	XMLNamespace   string
	ServiceID      string
}

// Operation is one API operation.
type Operation struct {
	Name          string
	InputShape    string // "" when the operation takes no input
	OutputShape   string // "" when the operation returns no output
	Errors        []string
	HTTPMethod    string
	RequestURI    string
	ResultWrapper string // query protocol: element wrapping the output members
}

// Shape is one model shape. Min and Max are string/blob lengths, list and map
// sizes, or numeric bounds depending on Type.
type Shape struct {
	Name            string
	Type            string // structure, list, map, string, integer, long, float, double, boolean, blob, timestamp
	Members         []Member
	Required        []string
	Member          *ShapeRef // list element
	Key, Value      *ShapeRef // map key and value
	Enum            []string
	Pattern         string
	Min, Max        *float64
	Flattened       bool
	Sensitive       bool
	Union           bool
	Document        bool
	TimestampFormat string
	Exception       bool
	Fault           bool
	Error           *ErrorInfo
}

// ErrorInfo is the "error" trait of an exception shape.
type ErrorInfo struct {
	Code           string
	HTTPStatusCode int
	SenderFault    bool
}

// ShapeRef is a reference to a shape with its serialization traits.
type ShapeRef struct {
	Shape            string
	LocationName     string
	Location         string // header, headers, uri, querystring, statusCode (rest protocols)
	Flattened        bool
	TimestampFormat  string
	IdempotencyToken bool
	Deprecated       bool
}

// Member is a structure member, in model order.
type Member struct {
	Name string
	ShapeRef
}

// MemberByName returns the structure member called name.
func (s *Shape) MemberByName(name string) (*Member, bool) {
	for i := range s.Members {
		if s.Members[i].Name == name {
			return &s.Members[i], true
		}
	}
	return nil, false
}

// Service is the name the model was loaded under.
func (m *Model) Service() string { return m.service }

// Metadata returns the service metadata.
func (m *Model) Metadata() Metadata { return m.meta }

// Operation returns the operation called name.
func (m *Model) Operation(name string) (*Operation, bool) {
	op, ok := m.operations[name]
	return op, ok
}

// Operations returns the operation names, sorted.
func (m *Model) Operations() []string {
	return append([]string(nil), m.opNames...)
}

// Shape returns the shape called name.
func (m *Model) Shape(name string) (*Shape, bool) {
	s, ok := m.shapes[name]
	return s, ok
}

// PatternIssue names a model pattern that Go's regexp cannot compile as
// written.
type PatternIssue struct {
	Service, Shape, Pattern, Reason string
}

// UncheckedPatterns lists the shapes whose pattern is not enforced because
// Go's regexp (RE2) cannot express it.
func (m *Model) UncheckedPatterns() []PatternIssue {
	return append([]PatternIssue(nil), m.skipped...)
}

// EmulatedPatterns lists the shapes whose pattern uses leading look-aheads or
// trailing look-behinds that are enforced by separate RE2 checks.
func (m *Model) EmulatedPatterns() []PatternIssue {
	return append([]PatternIssue(nil), m.emulated...)
}

// ---- parsing ----

type rawModel struct {
	Metadata struct {
		APIVersion     string `json:"apiVersion"`
		Protocol       string `json:"protocol"`
		JSONVersion    string `json:"jsonVersion"`
		TargetPrefix   string `json:"targetPrefix"`
		SigningName    string `json:"signingName"`
		EndpointPrefix string `json:"endpointPrefix"`
		XMLNamespace   string `json:"xmlNamespace"`
		ServiceID      string `json:"serviceId"`
	} `json:"metadata"`
	Operations map[string]struct {
		Name string `json:"name"`
		HTTP struct {
			Method     string `json:"method"`
			RequestURI string `json:"requestUri"`
		} `json:"http"`
		Input  *rawRef `json:"input"`
		Output *struct {
			rawRef
			ResultWrapper string `json:"resultWrapper"`
		} `json:"output"`
		Errors []rawRef `json:"errors"`
	} `json:"operations"`
	Shapes map[string]*rawShape `json:"shapes"`
}

type rawRef struct {
	Shape            string `json:"shape"`
	LocationName     string `json:"locationName"`
	Location         string `json:"location"`
	Flattened        bool   `json:"flattened"`
	TimestampFormat  string `json:"timestampFormat"`
	IdempotencyToken bool   `json:"idempotencyToken"`
	Deprecated       bool   `json:"deprecated"`
}

func (r *rawRef) ref() *ShapeRef {
	if r == nil {
		return nil
	}
	return &ShapeRef{
		Shape:            r.Shape,
		LocationName:     r.LocationName,
		Location:         r.Location,
		Flattened:        r.Flattened,
		TimestampFormat:  r.TimestampFormat,
		IdempotencyToken: r.IdempotencyToken,
		Deprecated:       r.Deprecated,
	}
}

type rawShape struct {
	Type            string         `json:"type"`
	Members         orderedMembers `json:"members"`
	Required        []string       `json:"required"`
	Member          *rawRef        `json:"member"`
	Key             *rawRef        `json:"key"`
	Value           *rawRef        `json:"value"`
	Enum            []string       `json:"enum"`
	Pattern         string         `json:"pattern"`
	Min             *float64       `json:"min"`
	Max             *float64       `json:"max"`
	Flattened       bool           `json:"flattened"`
	Sensitive       bool           `json:"sensitive"`
	Union           bool           `json:"union"`
	Document        bool           `json:"document"`
	TimestampFormat string         `json:"timestampFormat"`
	Exception       bool           `json:"exception"`
	Fault           bool           `json:"fault"`
	Error           *struct {
		Code           string `json:"code"`
		HTTPStatusCode int    `json:"httpStatusCode"`
		SenderFault    bool   `json:"senderFault"`
	} `json:"error"`
}

// orderedMembers decodes a members object keeping the model's member order,
// which the XML encoder needs.
type orderedMembers []Member

func (o *orderedMembers) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("members: expected object")
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		var r rawRef
		if err := dec.Decode(&r); err != nil {
			return err
		}
		*o = append(*o, Member{Name: kt.(string), ShapeRef: *r.ref()})
	}
	_, err = dec.Token()
	return err
}

func loadModel(service string) (*Model, error) {
	f, err := modelFS.Open("models/" + service + ".json.gz")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("awsmodel: %s: %w", service, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("awsmodel: %s: %w", service, err)
	}
	var raw rawModel
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("awsmodel: %s: %w", service, err)
	}
	m := &Model{
		service:    service,
		protocol:   raw.Metadata.Protocol,
		operations: make(map[string]*Operation, len(raw.Operations)),
		shapes:     make(map[string]*Shape, len(raw.Shapes)),
	}
	md := raw.Metadata
	m.meta = Metadata{
		APIVersion:     md.APIVersion,
		Protocol:       md.Protocol,
		JSONVersion:    md.JSONVersion,
		TargetPrefix:   md.TargetPrefix,
		SigningName:    md.SigningName,
		EndpointPrefix: md.EndpointPrefix,
		XMLNamespace:   md.XMLNamespace,
		ServiceID:      md.ServiceID,
	}
	if m.meta.SigningName == "" {
		m.meta.SigningName = md.EndpointPrefix
	}
	for name, rs := range raw.Shapes {
		s := &Shape{
			Name:            name,
			Type:            rs.Type,
			Members:         []Member(rs.Members),
			Required:        rs.Required,
			Member:          rs.Member.ref(),
			Key:             rs.Key.ref(),
			Value:           rs.Value.ref(),
			Enum:            rs.Enum,
			Pattern:         rs.Pattern,
			Min:             rs.Min,
			Max:             rs.Max,
			Flattened:       rs.Flattened,
			Sensitive:       rs.Sensitive,
			Union:           rs.Union,
			Document:        rs.Document,
			TimestampFormat: rs.TimestampFormat,
			Exception:       rs.Exception,
			Fault:           rs.Fault,
		}
		if rs.Error != nil {
			s.Error = &ErrorInfo{Code: rs.Error.Code, HTTPStatusCode: rs.Error.HTTPStatusCode, SenderFault: rs.Error.SenderFault}
		}
		m.shapes[name] = s
	}
	for name, ro := range raw.Operations {
		op := &Operation{
			Name:       name,
			HTTPMethod: ro.HTTP.Method,
			RequestURI: ro.HTTP.RequestURI,
		}
		if ro.Input != nil {
			op.InputShape = ro.Input.Shape
		}
		if ro.Output != nil {
			op.OutputShape = ro.Output.Shape
			op.ResultWrapper = ro.Output.ResultWrapper
		}
		for _, e := range ro.Errors {
			op.Errors = append(op.Errors, e.Shape)
		}
		m.operations[name] = op
		m.opNames = append(m.opNames, name)
	}
	sort.Strings(m.opNames)
	if err := m.checkRefs(); err != nil {
		return nil, fmt.Errorf("awsmodel: %s: %w", service, err)
	}
	m.compile()
	return m, nil
}

// checkRefs makes sure every shape reference resolves, so that the rest of
// the package can index m.shapes without checking.
func (m *Model) checkRefs() error {
	check := func(where string, r *ShapeRef) error {
		if r == nil {
			return nil
		}
		if _, ok := m.shapes[r.Shape]; !ok {
			return fmt.Errorf("%s refers to unknown shape %q", where, r.Shape)
		}
		return nil
	}
	for name, s := range m.shapes {
		for i := range s.Members {
			if err := check(name+"."+s.Members[i].Name, &s.Members[i].ShapeRef); err != nil {
				return err
			}
		}
		for _, r := range []*ShapeRef{s.Member, s.Key, s.Value} {
			if err := check(name, r); err != nil {
				return err
			}
		}
		switch s.Type {
		case "list":
			if s.Member == nil {
				return fmt.Errorf("list %s has no member", name)
			}
		case "map":
			if s.Key == nil || s.Value == nil {
				return fmt.Errorf("map %s lacks key or value", name)
			}
		}
	}
	for name, op := range m.operations {
		for _, sh := range []string{op.InputShape, op.OutputShape} {
			if sh == "" {
				continue
			}
			if _, ok := m.shapes[sh]; !ok {
				return fmt.Errorf("operation %s refers to unknown shape %q", name, sh)
			}
		}
	}
	return nil
}

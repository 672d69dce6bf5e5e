package console

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/duplexsms/duplex"
	"github.com/duplexsms/duplex/internal/awsmodel"
)

// call runs one API operation for the console exactly as the wire layer
// does: the input is checked against the AWS model first (required
// members, lengths, enums, patterns), then the domain service method runs
// with the console session's caller in ctx. Errors are *duplex.Error, with
// Reason and Fields for model validation as the JSON API reports them.
func call[In any, Out any](ctx context.Context, m *awsmodel.Model, op string, f func(context.Context, *In) (*Out, error), in *In) (*Out, error) {
	if m != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, duplex.Internal("InternalFailure", err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, duplex.Internal("InternalFailure", err)
		}
		if verr := m.ValidateInput(op, v); verr != nil {
			e := &duplex.Error{Code: "ValidationException", Message: verr.Message}
			e.With("Reason", verr.Reason)
			if len(verr.Fields) > 0 {
				fs := make([]duplex.FieldError, len(verr.Fields))
				for i, f := range verr.Fields {
					fs[i] = duplex.FieldError{Name: f.Name, Message: f.Message}
				}
				e.With("Fields", fs)
			}
			return nil, e
		}
	}
	return f(ctx, in)
}

// problems is what a form shows: errors next to fields (by form field
// name) and the rest at the top.
type problems struct {
	Top    []string
	Fields map[string]string
}

func (p *problems) any() bool { return p != nil && (len(p.Top) > 0 || len(p.Fields) > 0) }

func (p *problems) field(name, msg string) {
	if p.Fields == nil {
		p.Fields = map[string]string{}
	}
	if cur, ok := p.Fields[name]; ok {
		p.Fields[name] = cur + "; " + msg
		return
	}
	p.Fields[name] = msg
}

func (p *problems) top(msg string) { p.Top = append(p.Top, msg) }

// fieldsOf returns the Fields member of an API error (the model validator's
// and the services' FieldError lists alike).
func fieldsOf(e *duplex.Error) []duplex.FieldError {
	v, ok := e.Members["Fields"]
	if !ok {
		return nil
	}
	if fs, ok := v.([]duplex.FieldError); ok {
		return fs
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var fs []duplex.FieldError
	json.Unmarshal(b, &fs)
	return fs
}

// addError records err on p: each of the error's Fields that names a form
// field (through names: API member name → form field name) goes next to
// that field, everything else at the top, worded as the API words it.
func (p *problems) addError(err error, names map[string]string) {
	e, ok := duplex.AsError(err)
	if !ok {
		p.top("Something went wrong: " + err.Error())
		return
	}
	placed := false
	for _, f := range fieldsOf(e) {
		member := f.Name
		if i := strings.IndexAny(member, "[."); i >= 0 {
			member = member[:i]
		}
		if form, ok := names[member]; ok && form != "" {
			msg := f.Message
			switch msg {
			case "":
				msg = e.Message
			case "Member must not be null":
				msg = "Required."
			}
			p.field(form, msg)
			placed = true
		}
	}
	if placed {
		// The message says what the rule is; keep it at the top too unless it
		// only repeats the field messages.
		if !strings.Contains(e.Message, "validation error") {
			p.top(describe(e))
		}
		return
	}
	p.top(describe(e))
}

// describe words an API error for a person: its message, and its code and
// reason for reference.
func describe(e *duplex.Error) string {
	s := e.Message
	ref := e.Code
	if r, ok := e.Members["Reason"].(string); ok && r != "" {
		ref += ", " + r
	}
	return s + " (" + ref + ")"
}

// statusOf is the HTTP status an error is shown with.
func statusOf(err error) int {
	if e, ok := duplex.AsError(err); ok {
		return e.HTTPStatus()
	}
	return 500
}

func errNoNumber(id string) error { return duplex.NotFound("phone-number", id) }

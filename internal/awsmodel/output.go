package awsmodel

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
)

// toGeneric turns out (a struct with json tags naming AWS members, a map, or
// already-generic data) into generic JSON values with json.Number numbers.
func toGeneric(out any) (any, error) {
	if out == nil {
		return nil, nil
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// encodeError locates a value the encoder could not write.
type encodeError struct {
	path string
	msg  string
}

func (e *encodeError) Error() string { return "awsmodel: " + e.path + ": " + e.msg }

// MarshalJSONOutput encodes the output of a JSON 1.0/1.1 operation (or the
// body of a rest-json one). out is anything encoding/json can marshal whose
// keys are the AWS member names: a struct with json tags, or a map. Only the
// members of the output shape are written, in shape order; nil and absent
// members are omitted, as are zero time.Time values. Timestamps (time.Time,
// RFC 3339 strings or epoch numbers) are written as epoch seconds unless the
// shape sets timestampFormat; blobs are base64 strings ([]byte marshals that
// way). Members bound to HTTP headers, URI or status code are left out.
func (m *Model) MarshalJSONOutput(op string, out any) ([]byte, error) {
	o, ok := m.operations[op]
	if !ok {
		return nil, fmt.Errorf("awsmodel: %s has no operation %q", m.service, op)
	}
	if o.OutputShape == "" {
		return []byte("{}"), nil
	}
	v, err := toGeneric(out)
	if err != nil {
		return nil, err
	}
	if v == nil {
		v = map[string]any{}
	}
	var b bytes.Buffer
	if err := m.writeJSON(&b, m.shapes[o.OutputShape], "", v, o.OutputShape); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (m *Model) writeJSON(b *bytes.Buffer, s *Shape, tsFormat string, v any, path string) error {
	switch s.Type {
	case "structure":
		if s.Document {
			return writeJSONRaw(b, v)
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return &encodeError{path, "expected an object"}
		}
		b.WriteByte('{')
		first := true
		for i := range s.Members {
			mb := &s.Members[i]
			if mb.Location != "" {
				continue
			}
			x := obj[mb.Name]
			ms := m.shapes[mb.Shape]
			if x == nil || (ms.Type == "timestamp" && isZeroTime(x)) {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			name := mb.Name
			if mb.LocationName != "" {
				name = mb.LocationName
			}
			writeJSONString(b, name)
			b.WriteByte(':')
			if err := m.writeJSON(b, ms, mb.TimestampFormat, x, path+"."+mb.Name); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case "list":
		list, ok := v.([]any)
		if !ok {
			return &encodeError{path, "expected a list"}
		}
		es := m.shapes[s.Member.Shape]
		b.WriteByte('[')
		for i, e := range list {
			if i > 0 {
				b.WriteByte(',')
			}
			if e == nil {
				b.WriteString("null")
				continue
			}
			if err := m.writeJSON(b, es, s.Member.TimestampFormat, e, path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			return &encodeError{path, "expected a map"}
		}
		vs := m.shapes[s.Value.Shape]
		b.WriteByte('{')
		for i, k := range sortedKeys(obj) {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, k)
			b.WriteByte(':')
			if obj[k] == nil {
				b.WriteString("null")
				continue
			}
			if err := m.writeJSON(b, vs, s.Value.TimestampFormat, obj[k], path+"["+k+"]"); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case "timestamp":
		t, ok := parseTimestamp(v)
		if !ok {
			return &encodeError{path, "expected a timestamp"}
		}
		if tsFormat == "" {
			tsFormat = s.TimestampFormat
		}
		switch tsFormat {
		case "iso8601":
			writeJSONString(b, formatISO8601(t))
		case "rfc822":
			writeJSONString(b, t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"))
		default:
			b.WriteString(formatEpoch(t))
		}
	default:
		text, err := scalarText(s, v, path)
		if err != nil {
			return err
		}
		switch s.Type {
		case "string", "blob":
			writeJSONString(b, text)
		default:
			b.WriteString(text)
		}
	}
	return nil
}

// scalarText renders a string, number, boolean or blob value for output.
// Numbers and booleans are accepted for string shapes (written as text), and
// numeric or boolean strings for number and boolean shapes.
func scalarText(s *Shape, v any, path string) (string, error) {
	switch s.Type {
	case "string", "blob":
		switch x := v.(type) {
		case string:
			return x, nil
		case json.Number:
			return string(x), nil
		case bool:
			return strconv.FormatBool(x), nil
		}
		return "", &encodeError{path, "expected a string"}
	case "integer", "long":
		if i, ok := toInt(v); ok {
			return strconv.FormatInt(i, 10), nil
		}
		if str, ok := v.(string); ok {
			if i, err := strconv.ParseInt(str, 10, 64); err == nil {
				return strconv.FormatInt(i, 10), nil
			}
		}
		return "", &encodeError{path, "expected an integer"}
	case "float", "double":
		if n, ok := v.(json.Number); ok && isJSONNumber(string(n)) {
			return string(n), nil
		}
		if str, ok := v.(string); ok && isJSONNumber(str) {
			return str, nil
		}
		if f, ok := toFloat(v); ok && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return strconv.FormatFloat(f, 'g', -1, 64), nil
		}
		return "", &encodeError{path, "expected a number"}
	case "boolean":
		switch x := v.(type) {
		case bool:
			return strconv.FormatBool(x), nil
		case string:
			if x == "true" || x == "false" {
				return x, nil
			}
		}
		return "", &encodeError{path, "expected a boolean"}
	}
	return "", &encodeError{path, "unsupported shape type " + s.Type}
}

func isZeroTime(v any) bool {
	s, ok := v.(string)
	return ok && s == "0001-01-01T00:00:00Z"
}

// formatEpoch writes epoch seconds with millisecond precision, as AWS does.
func formatEpoch(t time.Time) string {
	ms := t.UnixMilli()
	sec, frac := ms/1000, ms%1000
	if frac < 0 {
		sec--
		frac += 1000
	}
	if frac == 0 {
		return strconv.FormatInt(sec, 10)
	}
	s := strconv.FormatInt(sec, 10) + "." + fmt.Sprintf("%03d", frac)
	for s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	return s
}

// formatISO8601 is the date-time format of query and XML responses
// (2026-11-25T13:08:56Z, with milliseconds when there are any).
func formatISO8601(t time.Time) string {
	return t.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.999Z")
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s) // never fails for a string
	b.Write(enc)
}

func writeJSONRaw(b *bytes.Buffer, v any) error {
	enc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.Write(enc)
	return nil
}

func sortedKeys(obj map[string]any) []string {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// MarshalQueryResponse encodes the XML body of a query-protocol (SNS, IAM,
// STS) response:
//
//	<OpResponse xmlns="NS"><OpResult>…</OpResult><ResponseMetadata><RequestId>ID</RequestId></ResponseMetadata></OpResponse>
//
// The result element is written when the operation has an output shape (named
// by its resultWrapper; without one the members go straight into the
// response element). out is as for MarshalJSONOutput. Members are written in
// shape order; lists as <member> elements (or flattened / locationName),
// maps as <entry><key/><value/></entry> (with the map's locationNames),
// timestamps in ISO 8601, booleans as true/false.
func (m *Model) MarshalQueryResponse(op string, out any, requestID string) ([]byte, error) {
	o, ok := m.operations[op]
	if !ok {
		return nil, fmt.Errorf("awsmodel: %s has no operation %q", m.service, op)
	}
	var b bytes.Buffer
	b.WriteString(`<` + op + `Response`)
	if ns := m.meta.XMLNamespace; ns != "" {
		b.WriteString(` xmlns="`)
		xmlEscape(&b, ns)
		b.WriteByte('"')
	}
	b.WriteByte('>')
	if o.OutputShape != "" {
		v, err := toGeneric(out)
		if err != nil {
			return nil, err
		}
		if v == nil {
			v = map[string]any{}
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, &encodeError{o.OutputShape, "expected an object"}
		}
		s := m.shapes[o.OutputShape]
		if o.ResultWrapper != "" {
			b.WriteString("<" + o.ResultWrapper + ">")
		}
		if err := m.writeXMLMembers(&b, s, obj, o.OutputShape); err != nil {
			return nil, err
		}
		if o.ResultWrapper != "" {
			b.WriteString("</" + o.ResultWrapper + ">")
		}
	}
	b.WriteString("<ResponseMetadata><RequestId>")
	xmlEscape(&b, requestID)
	b.WriteString("</RequestId></ResponseMetadata></" + op + "Response>")
	return b.Bytes(), nil
}

// MarshalQueryError encodes a query-protocol error body. typ is "Sender" or
// "Receiver"; an empty namespace omits the xmlns attribute.
func MarshalQueryError(namespace, typ, code, message, requestID string) []byte {
	var b bytes.Buffer
	b.WriteString("<ErrorResponse")
	if namespace != "" {
		b.WriteString(` xmlns="`)
		xmlEscape(&b, namespace)
		b.WriteByte('"')
	}
	b.WriteString("><Error><Type>")
	xmlEscape(&b, typ)
	b.WriteString("</Type><Code>")
	xmlEscape(&b, code)
	b.WriteString("</Code><Message>")
	xmlEscape(&b, message)
	b.WriteString("</Message></Error><RequestId>")
	xmlEscape(&b, requestID)
	b.WriteString("</RequestId></ErrorResponse>")
	return b.Bytes()
}

func (m *Model) writeXMLMembers(b *bytes.Buffer, s *Shape, obj map[string]any, path string) error {
	for i := range s.Members {
		mb := &s.Members[i]
		x := obj[mb.Name]
		ms := m.shapes[mb.Shape]
		if x == nil || (ms.Type == "timestamp" && isZeroTime(x)) {
			continue
		}
		name := mb.Name
		if mb.LocationName != "" {
			name = mb.LocationName
		}
		mpath := path + "." + mb.Name
		flat := ms.Flattened || mb.Flattened
		switch {
		case ms.Type == "list" && flat:
			list, ok := x.([]any)
			if !ok {
				return &encodeError{mpath, "expected a list"}
			}
			if ms.Member.LocationName != "" {
				name = ms.Member.LocationName
			}
			es := m.shapes[ms.Member.Shape]
			for j, e := range list {
				if e == nil {
					continue
				}
				if err := m.writeXMLElement(b, name, es, ms.Member.TimestampFormat, e, mpath+"["+strconv.Itoa(j)+"]"); err != nil {
					return err
				}
			}
		case ms.Type == "map" && flat:
			mp, ok := x.(map[string]any)
			if !ok {
				return &encodeError{mpath, "expected a map"}
			}
			for _, k := range sortedKeys(mp) {
				b.WriteString("<" + name + ">")
				if err := m.writeXMLEntry(b, ms, k, mp[k], mpath); err != nil {
					return err
				}
				b.WriteString("</" + name + ">")
			}
		default:
			if err := m.writeXMLElement(b, name, ms, mb.TimestampFormat, x, mpath); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *Model) writeXMLEntry(b *bytes.Buffer, ms *Shape, k string, v any, path string) error {
	kn, vn := "key", "value"
	if ms.Key.LocationName != "" {
		kn = ms.Key.LocationName
	}
	if ms.Value.LocationName != "" {
		vn = ms.Value.LocationName
	}
	b.WriteString("<" + kn + ">")
	xmlEscape(b, k)
	b.WriteString("</" + kn + ">")
	if v != nil {
		if err := m.writeXMLElement(b, vn, m.shapes[ms.Value.Shape], ms.Value.TimestampFormat, v, path+"["+k+"]"); err != nil {
			return err
		}
	}
	return nil
}

func (m *Model) writeXMLElement(b *bytes.Buffer, name string, s *Shape, tsFormat string, v any, path string) error {
	b.WriteString("<" + name + ">")
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok {
			return &encodeError{path, "expected an object"}
		}
		if err := m.writeXMLMembers(b, s, obj, path); err != nil {
			return err
		}
	case "list":
		list, ok := v.([]any)
		if !ok {
			return &encodeError{path, "expected a list"}
		}
		en := "member"
		if s.Member.LocationName != "" {
			en = s.Member.LocationName
		}
		es := m.shapes[s.Member.Shape]
		for j, e := range list {
			if e == nil {
				continue
			}
			if err := m.writeXMLElement(b, en, es, s.Member.TimestampFormat, e, path+"["+strconv.Itoa(j)+"]"); err != nil {
				return err
			}
		}
	case "map":
		mp, ok := v.(map[string]any)
		if !ok {
			return &encodeError{path, "expected a map"}
		}
		for _, k := range sortedKeys(mp) {
			b.WriteString("<entry>")
			if err := m.writeXMLEntry(b, s, k, mp[k], path); err != nil {
				return err
			}
			b.WriteString("</entry>")
		}
	case "timestamp":
		t, ok := parseTimestamp(v)
		if !ok {
			return &encodeError{path, "expected a timestamp"}
		}
		if tsFormat == "" {
			tsFormat = s.TimestampFormat
		}
		switch tsFormat {
		case "unixTimestamp":
			b.WriteString(formatEpoch(t))
		case "rfc822":
			b.WriteString(t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT"))
		default:
			b.WriteString(formatISO8601(t))
		}
	default:
		text, err := scalarText(s, v, path)
		if err != nil {
			return err
		}
		xmlEscape(b, text)
	}
	b.WriteString("</" + name + ">")
	return nil
}

func xmlEscape(b *bytes.Buffer, s string) {
	_ = xml.EscapeText(b, []byte(s)) // writes to a bytes.Buffer never fail
}

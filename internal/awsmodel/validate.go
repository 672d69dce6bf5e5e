package awsmodel

import (
	"encoding/json"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Validation reasons, as in the pinpoint-sms-voice-v2 ValidationExceptionReason
// enum.
const (
	ReasonMissingParameter      = "MISSING_PARAMETER"
	ReasonFieldValidationFailed = "FIELD_VALIDATION_FAILED"
	ReasonUnknownOperation      = "UNKNOWN_OPERATION"
)

// maxFieldErrors bounds the number of problems one request can report.
const maxFieldErrors = 100

// FieldError is one field that failed validation. Name is the member path in
// the model's own case ("Filters[0].Values", map entries as "Tags[key]");
// Message is the constraint that failed.
type FieldError struct {
	Name    string `json:"Name"`
	Message string `json:"Message"`
}

// ValidationError describes why a request does not satisfy the model.
// Message is worded like AWS's ("1 validation error detected: Value 'usa' at
// 'isoCountryCode' failed to satisfy constraint: Member must satisfy regular
// expression pattern: [A-Z]{2}"). Reason is MISSING_PARAMETER when the only
// problems are missing required members, FIELD_VALIDATION_FAILED otherwise
// (UNKNOWN_OPERATION when the operation is not in the model).
type ValidationError struct {
	Reason  string
	Message string
	Fields  []FieldError
}

func (e *ValidationError) Error() string { return e.Message }

type kind uint8

const (
	kAny kind = iota
	kStructure
	kList
	kMap
	kString
	kInteger
	kLong
	kFloat
	kDouble
	kBoolean
	kBlob
	kTimestamp
)

var kindNames = map[string]kind{
	"structure": kStructure,
	"list":      kList,
	"map":       kMap,
	"string":    kString,
	"integer":   kInteger,
	"long":      kLong,
	"float":     kFloat,
	"double":    kDouble,
	"boolean":   kBoolean,
	"blob":      kBlob,
	"timestamp": kTimestamp,
}

var typeMsgs = [...]string{
	kAny:       "",
	kStructure: "Member must be of type structure",
	kList:      "Member must be of type list",
	kMap:       "Member must be of type map",
	kString:    "Member must be of type string",
	kInteger:   "Member must be of type integer",
	kLong:      "Member must be of type long",
	kFloat:     "Member must be of type float",
	kDouble:    "Member must be of type double",
	kBoolean:   "Member must be of type boolean",
	kBlob:      "Member must be a base64-encoded blob",
	kTimestamp: "Member must be a timestamp",
}

const msgNotNull = "Member must not be null"

// vshape is a shape compiled for validation; all messages are prepared
// beforehand so that a valid request allocates nothing.
type vshape struct {
	name      string
	kind      kind
	sensitive bool
	union     bool

	// lengths (string, blob, list, map) or bounds (numbers)
	hasMin, hasMax   bool
	minLen, maxLen   int
	minInt, maxInt   int64
	minF, maxF       float64
	minMsg, maxMsg   string
	enum             map[string]struct{}
	enumMsg          string
	pattern          *patternCheck
	patternMsg       string
	members          []vmember
	elem, key, value *vshape
}

type vmember struct {
	name     string
	required bool
	shape    *vshape
}

// compile builds the validators of every shape and compiles the patterns.
func (m *Model) compile() {
	m.compiled = make(map[string]*vshape, len(m.shapes))
	for name, s := range m.shapes {
		m.compiled[name] = &vshape{name: name, kind: kindNames[s.Type], sensitive: s.Sensitive, union: s.Union}
	}
	names := make([]string, 0, len(m.shapes))
	for name := range m.shapes {
		names = append(names, name)
	}
	sort.Strings(names) // deterministic pattern issue lists
	for _, name := range names {
		s, vs := m.shapes[name], m.compiled[name]
		if s.Document {
			vs.kind = kAny
			continue
		}
		switch vs.kind {
		case kStructure:
			req := make(map[string]bool, len(s.Required))
			for _, r := range s.Required {
				req[r] = true
			}
			for _, mb := range s.Members {
				if mb.Location != "" && mb.Location != "querystring" && mb.Location != "uri" && mb.Location != "header" && mb.Location != "headers" {
					continue // statusCode and similar are not input
				}
				vs.members = append(vs.members, vmember{name: mb.Name, required: req[mb.Name], shape: m.compiled[mb.Shape]})
			}
		case kList:
			vs.elem = m.compiled[s.Member.Shape]
		case kMap:
			vs.key = m.compiled[s.Key.Shape]
			vs.value = m.compiled[s.Value.Shape]
		case kString:
			if len(s.Enum) > 0 {
				vs.enum = make(map[string]struct{}, len(s.Enum))
				for _, e := range s.Enum {
					vs.enum[e] = struct{}{}
				}
				vs.enumMsg = "Member must satisfy enum value set: [" + strings.Join(s.Enum, ", ") + "]"
			}
			if s.Pattern != "" {
				pc, emulated, err := compilePattern(s.Pattern)
				switch {
				case err != nil:
					m.skipped = append(m.skipped, PatternIssue{Service: m.service, Shape: name, Pattern: s.Pattern, Reason: err.Error()})
				case emulated:
					m.emulated = append(m.emulated, PatternIssue{Service: m.service, Shape: name, Pattern: s.Pattern, Reason: "look-arounds checked separately"})
				}
				if pc != nil {
					vs.pattern = pc
					vs.patternMsg = "Member must satisfy regular expression pattern: " + s.Pattern
				}
			}
		}
		switch vs.kind {
		case kString, kBlob, kList, kMap:
			if s.Min != nil {
				vs.hasMin, vs.minLen = true, int(*s.Min)
				vs.minMsg = "Member must have length greater than or equal to " + strconv.Itoa(vs.minLen)
			}
			if s.Max != nil {
				vs.hasMax, vs.maxLen = true, int(*s.Max)
				vs.maxMsg = "Member must have length less than or equal to " + strconv.Itoa(vs.maxLen)
			}
		case kInteger, kLong:
			if s.Min != nil {
				vs.hasMin, vs.minInt = true, clampInt(*s.Min)
				vs.minMsg = "Member must have value greater than or equal to " + strconv.FormatInt(vs.minInt, 10)
			}
			if s.Max != nil {
				vs.hasMax, vs.maxInt = true, clampInt(*s.Max)
				vs.maxMsg = "Member must have value less than or equal to " + strconv.FormatInt(vs.maxInt, 10)
			}
		case kFloat, kDouble:
			if s.Min != nil {
				vs.hasMin, vs.minF = true, *s.Min
				vs.minMsg = "Member must have value greater than or equal to " + strconv.FormatFloat(vs.minF, 'f', -1, 64)
			}
			if s.Max != nil {
				vs.hasMax, vs.maxF = true, *s.Max
				vs.maxMsg = "Member must have value less than or equal to " + strconv.FormatFloat(vs.maxF, 'f', -1, 64)
			}
		}
	}
}

func clampInt(f float64) int64 {
	if f >= math.MaxInt64 {
		return math.MaxInt64
	}
	if f <= math.MinInt64 {
		return math.MinInt64
	}
	return int64(f)
}

// ValidateInput checks the decoded input of operation op against the model
// and returns nil when it is valid. v is what json.Decoder with UseNumber
// produces (map[string]any, []any, string, json.Number, bool, nil), or what
// DecodeQuery returns; a nil v counts as an empty object. Members are looked
// up by their model names; members the model does not know are ignored, and
// JSON nulls count as absent.
func (m *Model) ValidateInput(op string, v any) *ValidationError {
	o, ok := m.operations[op]
	if !ok {
		return &ValidationError{Reason: ReasonUnknownOperation, Message: "Unknown operation " + op}
	}
	if v == nil {
		v = map[string]any{}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return &ValidationError{
			Reason:  ReasonFieldValidationFailed,
			Message: "1 validation error detected: the request body must be a JSON object",
			Fields:  []FieldError{{Name: "", Message: typeMsgs[kStructure]}},
		}
	}
	if o.InputShape == "" {
		return nil
	}
	var vr validator
	vr.structure(m.compiled[o.InputShape], obj)
	if len(vr.errs) == 0 {
		return nil
	}
	return vr.result()
}

// pathSeg is one step from the input root to the value being checked. The
// current path is a stack inside the validator, so that valid requests
// allocate nothing; it is rendered only when a problem is found.
type pathSeg struct {
	member string // structure member, or "" for list elements and map values
	index  int    // list element index (0-based) when member == "" && !isKey
	key    string // map key
	isKey  bool   // map value
}

type validator struct {
	stack [24]pathSeg
	more  []pathSeg // segments beyond len(stack), for deep inputs
	depth int

	errs []FieldError
	awsM []string
	all  int
	miss int
}

func (vr *validator) push(s pathSeg) {
	if vr.depth < len(vr.stack) {
		vr.stack[vr.depth] = s
	} else {
		vr.more = append(vr.more[:vr.depth-len(vr.stack)], s)
	}
	vr.depth++
}

func (vr *validator) pop() { vr.depth-- }

func (vr *validator) seg(i int) *pathSeg {
	if i < len(vr.stack) {
		return &vr.stack[i]
	}
	return &vr.more[i-len(vr.stack)]
}

// problem flags
const (
	pfHidden  = 1 << iota // sensitive: print "Value at" without the value
	pfMissing             // required member absent
)

// add records a problem at the current path.
func (vr *validator) add(msg string, value any, flags int) {
	vr.all++
	if flags&pfMissing != 0 {
		vr.miss++
	}
	if len(vr.errs) >= maxFieldErrors {
		return
	}
	name, lower := vr.renderPath()
	vr.errs = append(vr.errs, FieldError{Name: name, Message: msg})
	var b strings.Builder
	b.WriteString("Value ")
	switch {
	case flags&pfMissing != 0:
		b.WriteString("null ")
	case flags&pfHidden != 0:
	default:
		b.WriteByte('\'')
		writeValueText(&b, value, 0)
		b.WriteString("' ")
	}
	b.WriteString("at '")
	b.WriteString(lower)
	b.WriteString("' failed to satisfy constraint: ")
	b.WriteString(msg)
	vr.awsM = append(vr.awsM, b.String())
}

func (vr *validator) full() bool { return vr.all >= maxFieldErrors }

func (vr *validator) result() *ValidationError {
	reason := ReasonFieldValidationFailed
	if vr.miss == vr.all {
		reason = ReasonMissingParameter
	}
	n := len(vr.errs)
	var b strings.Builder
	b.WriteString(strconv.Itoa(n))
	if n == 1 {
		b.WriteString(" validation error detected: ")
	} else {
		b.WriteString(" validation errors detected: ")
	}
	b.WriteString(strings.Join(vr.awsM, "; "))
	return &ValidationError{Reason: reason, Message: b.String(), Fields: vr.errs}
}

func (vr *validator) structure(vs *vshape, obj map[string]any) {
	set := 0
	for i := range vs.members {
		mb := &vs.members[i]
		x := obj[mb.name]
		if x == nil {
			if mb.required {
				vr.push(pathSeg{member: mb.name})
				vr.add(msgNotNull, nil, pfMissing)
				vr.pop()
			}
			continue
		}
		set++
		if vr.full() {
			return
		}
		vr.push(pathSeg{member: mb.name})
		vr.value(mb.shape, x)
		vr.pop()
	}
	if vs.union && set != 1 && vr.depth > 0 {
		vr.add("Member must have exactly one member set", nil, pfHidden)
	}
}

// value validates one non-null value at the current path.
func (vr *validator) value(vs *vshape, x any) {
	switch vs.kind {
	case kAny:
	case kStructure:
		obj, ok := x.(map[string]any)
		if !ok {
			vr.typeProblem(vs, x)
			return
		}
		vr.structure(vs, obj)
	case kList:
		list, ok := x.([]any)
		if !ok {
			vr.typeProblem(vs, x)
			return
		}
		vr.sizeProblems(vs, len(list), x)
		for i, e := range list {
			if vr.full() {
				return
			}
			vr.push(pathSeg{index: i})
			if e == nil {
				vr.add(msgNotNull, nil, pfMissing)
			} else {
				vr.value(vs.elem, e)
			}
			vr.pop()
		}
	case kMap:
		obj, ok := x.(map[string]any)
		if !ok {
			vr.typeProblem(vs, x)
			return
		}
		vr.sizeProblems(vs, len(obj), x)
		if len(obj) == 0 {
			return
		}
		var buf [16]string
		keys := buf[:0]
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys) // deterministic messages
		for _, k := range keys {
			if vr.full() {
				return
			}
			if ms := scalarProblems(vs.key, k); ms.n > 0 {
				vr.add("Map keys must satisfy constraint: ["+strings.Join(ms.m[:ms.n], ", ")+"]", k, hiddenIf(vs.key.sensitive))
			}
			e := obj[k]
			switch {
			case e == nil:
				vr.push(pathSeg{key: k, isKey: true})
				vr.add(msgNotNull, nil, pfMissing)
				vr.pop()
			case vs.value.kind == kStructure || vs.value.kind == kList || vs.value.kind == kMap || vs.value.kind == kAny:
				vr.push(pathSeg{key: k, isKey: true})
				vr.value(vs.value, e)
				vr.pop()
			case !scalarTypeOK(vs.value.kind, e):
				vr.push(pathSeg{key: k, isKey: true})
				vr.typeProblem(vs.value, e)
				vr.pop()
			default:
				if ms := scalarProblems(vs.value, e); ms.n > 0 {
					vr.add("Map value must satisfy constraint: ["+strings.Join(ms.m[:ms.n], ", ")+"]", e, hiddenIf(vs.value.sensitive))
				}
			}
		}
	default:
		if !scalarTypeOK(vs.kind, x) {
			vr.typeProblem(vs, x)
			return
		}
		ms := scalarProblems(vs, x)
		for i := 0; i < ms.n; i++ {
			vr.add(ms.m[i], x, hiddenIf(vs.sensitive))
		}
	}
}

func (vr *validator) typeProblem(vs *vshape, x any) {
	vr.add(typeMsgs[vs.kind], x, hiddenIf(vs.sensitive))
}

func (vr *validator) sizeProblems(vs *vshape, n int, x any) {
	if vs.hasMin && n < vs.minLen {
		vr.add(vs.minMsg, x, hiddenIf(vs.sensitive))
	}
	if vs.hasMax && n > vs.maxLen {
		vr.add(vs.maxMsg, x, hiddenIf(vs.sensitive))
	}
}

// msgs is a small fixed list of constraint messages (no allocation).
type msgs struct {
	n int
	m [4]string
}

func (ms *msgs) add(s string) {
	if ms.n < len(ms.m) {
		ms.m[ms.n] = s
		ms.n++
	}
}

// scalarTypeOK reports whether x has a JSON type acceptable for kind k.
func scalarTypeOK(k kind, x any) bool {
	switch k {
	case kString:
		_, ok := x.(string)
		return ok
	case kBoolean:
		_, ok := x.(bool)
		return ok
	case kInteger:
		n, ok := toInt(x)
		return ok && n >= math.MinInt32 && n <= math.MaxInt32
	case kLong:
		_, ok := toInt(x)
		return ok
	case kFloat, kDouble:
		_, ok := toFloat(x)
		return ok
	case kBlob:
		switch b := x.(type) {
		case string:
			_, ok := base64Len(b)
			return ok
		case []byte:
			return true
		}
		return false
	case kTimestamp:
		_, ok := parseTimestamp(x)
		return ok
	}
	return true
}

// scalarProblems returns the constraint messages that x (of an acceptable
// type) fails.
func scalarProblems(vs *vshape, x any) msgs {
	var ms msgs
	switch vs.kind {
	case kString:
		s, _ := x.(string)
		if vs.enum != nil {
			if _, ok := vs.enum[s]; !ok {
				ms.add(vs.enumMsg)
			}
		}
		if vs.hasMin || vs.hasMax {
			n := len(s)
			// Byte length bounds the rune count from above and four times
			// the rune count from below: count only when it matters.
			if (vs.hasMax && n > vs.maxLen) || (vs.hasMin && n >= vs.minLen && n < 4*vs.minLen) {
				n = utf8.RuneCountInString(s)
			}
			if vs.hasMin && n < vs.minLen {
				ms.add(vs.minMsg)
			}
			if vs.hasMax && n > vs.maxLen {
				ms.add(vs.maxMsg)
			}
		}
		if vs.pattern != nil && !vs.pattern.match(s) {
			ms.add(vs.patternMsg)
		}
	case kBlob:
		var n int
		switch b := x.(type) {
		case string:
			n, _ = base64Len(b)
		case []byte:
			n = len(b)
		}
		if vs.hasMin && n < vs.minLen {
			ms.add(vs.minMsg)
		}
		if vs.hasMax && n > vs.maxLen {
			ms.add(vs.maxMsg)
		}
	case kInteger, kLong:
		n, _ := toInt(x)
		if vs.hasMin && n < vs.minInt {
			ms.add(vs.minMsg)
		}
		if vs.hasMax && n > vs.maxInt {
			ms.add(vs.maxMsg)
		}
	case kFloat, kDouble:
		f, _ := toFloat(x)
		if vs.hasMin && f < vs.minF {
			ms.add(vs.minMsg)
		}
		if vs.hasMax && f > vs.maxF {
			ms.add(vs.maxMsg)
		}
	}
	return ms
}

// toInt accepts json.Number (integral, possibly written as 1.0 or 1e2) and Go
// numbers.
func toInt(x any) (int64, bool) {
	switch n := x.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return i, true
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 || !isJSONNumber(string(n)) {
			return 0, false
		}
		return int64(f), true
	case float64:
		if n != math.Trunc(n) || n < math.MinInt64 || n >= math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	case int:
		return int64(n), true
	case int64:
		return n, true
	case int32:
		return int64(n), true
	}
	return 0, false
}

func toFloat(x any) (float64, bool) {
	switch n := x.(type) {
	case json.Number:
		if !isJSONNumber(string(n)) {
			return 0, false
		}
		f, err := strconv.ParseFloat(string(n), 64)
		return f, err == nil
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// parseTimestamp accepts epoch seconds (JSON number, or a string holding
// one) and RFC 3339 / ISO 8601 strings.
func parseTimestamp(x any) (time.Time, bool) {
	switch t := x.(type) {
	case json.Number, float64, int, int64:
		f, ok := toFloat(t)
		if !ok || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > 1e15 {
			return time.Time{}, false
		}
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6).UTC(), true
	case string:
		if isJSONNumber(t) {
			return parseTimestamp(json.Number(t))
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", time.RFC1123} {
			if tm, err := time.Parse(layout, t); err == nil {
				return tm.UTC(), true
			}
		}
	case time.Time:
		return t.UTC(), true
	}
	return time.Time{}, false
}

// base64Len checks a standard base64 string (padding optional) and returns
// its decoded length.
func base64Len(s string) (int, bool) {
	n := len(s)
	if n%4 == 0 && n > 0 {
		if s[n-1] == '=' {
			n--
			if s[n-1] == '=' {
				n--
			}
		}
	}
	for i := 0; i < n; i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return 0, false
		}
	}
	switch n % 4 {
	case 1:
		return 0, false
	case 2:
		return n/4*3 + 1, true
	case 3:
		return n/4*3 + 2, true
	}
	return n / 4 * 3, true
}

// isJSONNumber reports whether s is a number in JSON syntax.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i >= len(s) {
		return false
	}
	if s[i] == '0' {
		i++
	} else if s[i] >= '1' && s[i] <= '9' {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	} else {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

// renderPath returns the model-case name ("Filters[0].Values") and the AWS
// lowerCamel path ("filters.1.member.values") of the current path.
func (vr *validator) renderPath() (name, lower string) {
	var nb, lb strings.Builder
	for i := 0; i < vr.depth; i++ {
		s := vr.seg(i)
		switch {
		case s.member != "":
			if nb.Len() > 0 {
				nb.WriteByte('.')
				lb.WriteByte('.')
			}
			nb.WriteString(s.member)
			lb.WriteString(lowerFirst(s.member))
		case s.isKey:
			nb.WriteByte('[')
			nb.WriteString(s.key)
			nb.WriteByte(']')
			lb.WriteByte('.')
			lb.WriteString(s.key)
		default:
			nb.WriteByte('[')
			nb.WriteString(strconv.Itoa(s.index))
			nb.WriteByte(']')
			lb.WriteByte('.')
			lb.WriteString(strconv.Itoa(s.index + 1))
			lb.WriteString(".member")
		}
	}
	return nb.String(), lb.String()
}

// lowerFirst lowers the first letter only, as AWS does ("SAMLMetadataDocument"
// becomes "sAMLMetadataDocument").
func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+('a'-'A')) + s[1:]
}

// writeValueText prints a value the way AWS's messages do: strings and
// numbers bare, lists as [a, b], maps as {k=v}.
func writeValueText(b *strings.Builder, x any, depth int) {
	if depth > 8 {
		b.WriteString("...")
		return
	}
	switch v := x.(type) {
	case nil:
		b.WriteString("null")
	case string:
		b.WriteString(v)
	case json.Number:
		b.WriteString(string(v))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case float64:
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeValueText(b, e, depth+1)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteByte('=')
			writeValueText(b, v[k], depth+1)
		}
		b.WriteByte('}')
	default:
		b.WriteString(strconv.Quote(strings.TrimSpace(toString(v))))
	}
}

func toString(x any) string {
	b, err := json.Marshal(x)
	if err != nil {
		return "?"
	}
	return string(b)
}

func hiddenIf(sensitive bool) int {
	if sensitive {
		return pfHidden
	}
	return 0
}

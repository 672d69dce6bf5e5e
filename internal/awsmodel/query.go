package awsmodel

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// qnode is one dotted component of the form's parameter names.
type qnode struct {
	value    *string
	children map[string]*qnode
}

func (n *qnode) child(name string) *qnode {
	if n == nil {
		return nil
	}
	return n.children[name]
}

// indexed returns the children whose names are positive integers, in numeric
// order (gaps are closed up, as AWS does).
func (n *qnode) indexed() []*qnode {
	if n == nil || len(n.children) == 0 {
		return nil
	}
	type ic struct {
		i int
		n *qnode
	}
	var items []ic
	for name, c := range n.children {
		i, err := strconv.Atoi(name)
		if err != nil || i < 1 || name[0] == '0' || name[0] == '+' {
			continue
		}
		items = append(items, ic{i, c})
	}
	sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
	out := make([]*qnode, len(items))
	for i := range items {
		out[i] = items[i].n
	}
	return out
}

// DecodeQuery turns the form parameters of a query-protocol request into the
// generic value ValidateInput takes, using the operation's input shape:
// structure members by member name (or locationName), lists as
// Name.member.N (Name.N when flattened; an empty "Name=" is an empty list),
// maps as Name.entry.N.key / Name.entry.N.value (with the map's key and value
// locationNames, e.g. SNS MessageAttributes use entry.N.Name /
// entry.N.Value.*). Numbers become json.Number, "true"/"false" become bools;
// blobs and timestamps stay strings. Values that do not parse as their type
// are kept as strings so that ValidateInput reports them. Parameters the
// shape does not know (Action, Version, ...) are ignored.
func (m *Model) DecodeQuery(op string, form url.Values) (map[string]any, error) {
	o, ok := m.operations[op]
	if !ok {
		return nil, fmt.Errorf("awsmodel: %s has no operation %q", m.service, op)
	}
	out := map[string]any{}
	if o.InputShape == "" {
		return out, nil
	}
	root := &qnode{}
	for name, vals := range form {
		if len(vals) == 0 {
			continue
		}
		n := root
		for _, part := range strings.Split(name, ".") {
			if n.children == nil {
				n.children = map[string]*qnode{}
			}
			c := n.children[part]
			if c == nil {
				c = &qnode{}
				n.children[part] = c
			}
			n = c
		}
		v := vals[0]
		n.value = &v
	}
	m.decodeStructure(m.shapes[o.InputShape], root, out, 0)
	return out, nil
}

// maxQueryDepth bounds recursion through recursive shapes.
const maxQueryDepth = 64

func (m *Model) decodeStructure(s *Shape, n *qnode, out map[string]any, depth int) {
	for i := range s.Members {
		mb := &s.Members[i]
		ms := m.shapes[mb.Shape]
		name := mb.Name
		if mb.LocationName != "" {
			name = mb.LocationName
		}
		var c *qnode
		if ms.Type == "list" && (ms.Flattened || mb.Flattened) && ms.Member.LocationName != "" {
			c = n.child(ms.Member.LocationName)
		} else {
			c = n.child(name)
		}
		if c == nil {
			continue
		}
		if v, ok := m.decodeValue(ms, mb.Flattened, c, depth+1); ok {
			out[mb.Name] = v
		}
	}
}

func (m *Model) decodeValue(s *Shape, flattened bool, n *qnode, depth int) (any, bool) {
	if depth > maxQueryDepth {
		return nil, false
	}
	switch s.Type {
	case "structure":
		if len(n.children) == 0 {
			return nil, false
		}
		obj := map[string]any{}
		m.decodeStructure(s, n, obj, depth)
		return obj, true
	case "list":
		var items []*qnode
		if s.Flattened || flattened {
			items = n.indexed()
		} else {
			name := "member"
			if s.Member.LocationName != "" {
				name = s.Member.LocationName
			}
			items = n.child(name).indexed()
		}
		if len(items) == 0 {
			if n.value != nil && *n.value == "" {
				return []any{}, true
			}
			return nil, false
		}
		es := m.shapes[s.Member.Shape]
		list := make([]any, 0, len(items))
		for _, it := range items {
			if v, ok := m.decodeValue(es, false, it, depth+1); ok {
				list = append(list, v)
			} else {
				list = append(list, nil)
			}
		}
		return list, true
	case "map":
		entries := n
		if !s.Flattened && !flattened {
			entries = n.child("entry")
		}
		items := entries.indexed()
		if len(items) == 0 {
			if n.value != nil && *n.value == "" {
				return map[string]any{}, true
			}
			return nil, false
		}
		kn, vn := "key", "value"
		if s.Key.LocationName != "" {
			kn = s.Key.LocationName
		}
		if s.Value.LocationName != "" {
			vn = s.Value.LocationName
		}
		vs := m.shapes[s.Value.Shape]
		obj := make(map[string]any, len(items))
		for _, it := range items {
			k := it.child(kn)
			if k == nil || k.value == nil {
				continue
			}
			var val any
			if c := it.child(vn); c != nil {
				if v, ok := m.decodeValue(vs, false, c, depth+1); ok {
					val = v
				}
			}
			obj[*k.value] = val
		}
		return obj, true
	}
	if n.value == nil {
		return nil, false
	}
	v := *n.value
	switch s.Type {
	case "integer", "long", "float", "double":
		if isJSONNumber(v) {
			return json.Number(v), true
		}
	case "boolean":
		switch v {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return v, true
}

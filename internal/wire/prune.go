package wire

import "github.com/duplexsms/duplex/internal/awsmodel"

// pruneInput removes, in place, every object member the model does not
// define for operation op, at every depth. Handlers decode their input with
// encoding/json, which matches member names case-insensitively: without
// this, a member the model does not know, and so did not validate (say
// "optoutlistname" beside a valid "OptOutListName"), would reach the
// handler's OptOutListName unvalidated.
func pruneInput(m *awsmodel.Model, op string, input any) {
	o, ok := m.Operation(op)
	if !ok || o.InputShape == "" {
		return
	}
	prune(m, o.InputShape, input, 0)
}

func prune(m *awsmodel.Model, shape string, v any, depth int) {
	s, ok := m.Shape(shape)
	if !ok || depth > 64 {
		return
	}
	switch s.Type {
	case "structure":
		obj, ok := v.(map[string]any)
		if !ok || s.Document {
			return
		}
		for k, x := range obj {
			mb := member(s, k)
			if mb == nil {
				delete(obj, k)
				continue
			}
			prune(m, mb.Shape, x, depth+1)
		}
	case "list":
		list, ok := v.([]any)
		if !ok || s.Member == nil {
			return
		}
		for _, x := range list {
			prune(m, s.Member.Shape, x, depth+1)
		}
	case "map":
		obj, ok := v.(map[string]any)
		if !ok || s.Value == nil {
			return
		}
		for _, x := range obj {
			prune(m, s.Value.Shape, x, depth+1)
		}
	}
}

// member finds a structure member by its name or its wire name.
func member(s *awsmodel.Shape, name string) *awsmodel.Member {
	for i := range s.Members {
		if mb := &s.Members[i]; mb.Name == name || (mb.LocationName != "" && mb.LocationName == name) {
			return mb
		}
	}
	return nil
}

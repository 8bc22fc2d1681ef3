package fakeapi

import (
	"encoding/json"
	"slices"
	"strings"
)

// fieldKind is how a body field is validated, after the pydantic type the
// real API presumably declares for it.
type fieldKind int

const (
	kindUUID           fieldKind = iota // uuid.UUID
	kindString                          // str
	kindNonEmptyString                  // str with min_length=1
	kindStringMap                       // dict[str, str | None]
)

type field struct {
	name string
	kind fieldKind
}

// body is a validated request body: field name to decoded value, with UUIDs
// in canonical form.
type body map[string]any

func (b body) str(name string) string { s, _ := b[name].(string); return s }

func (b body) object(name string) map[string]any { m, _ := b[name].(map[string]any); return m }

// parseBody validates a JSON request body against fields the way FastAPI
// does, collecting every field error. All fields are required; unknown
// fields are ignored. The Content-Type is not checked.
func parseBody(raw []byte, fields []field) (body, []fieldError) {
	if len(raw) == 0 {
		return nil, []fieldError{{Type: "missing", Loc: []any{"body"}, Msg: "Field required"}}
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, []fieldError{{Type: "json_invalid", Loc: []any{"body"}, Msg: "JSON decode error", Input: map[string]any{}}}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, []fieldError{{
			Type: "model_attributes_type", Loc: []any{"body"},
			Msg: "Input should be a valid dictionary or object to extract fields from", Input: v,
		}}
	}
	out := body{}
	var errs []fieldError
	for _, f := range fields {
		val, present := obj[f.name]
		loc := []any{"body", f.name}
		if !present {
			errs = append(errs, fieldError{Type: "missing", Loc: loc, Msg: "Field required", Input: obj})
			continue
		}
		switch f.kind {
		case kindUUID:
			s, ok := val.(string)
			if !ok {
				errs = append(errs, fieldError{Type: "uuid_type", Loc: loc, Msg: "UUID input should be a string, bytes or UUID object", Input: val})
				continue
			}
			id, ok := parseUUID(s)
			if !ok {
				errs = append(errs, fieldError{Type: "uuid_parsing", Loc: loc, Msg: "Input should be a valid UUID", Input: val})
				continue
			}
			out[f.name] = id
		case kindString, kindNonEmptyString:
			s, ok := val.(string)
			if !ok {
				errs = append(errs, stringType(loc, val))
				continue
			}
			if f.kind == kindNonEmptyString && s == "" {
				errs = append(errs, fieldError{
					Type: "string_too_short", Loc: loc, Msg: "String should have at least 1 character",
					Input: s, Ctx: map[string]any{"min_length": 1},
				})
				continue
			}
			out[f.name] = s
		case kindStringMap:
			m, ok := val.(map[string]any)
			if !ok {
				errs = append(errs, fieldError{Type: "dict_type", Loc: loc, Msg: "Input should be a valid dictionary", Input: val})
				continue
			}
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			bad := false
			for _, k := range keys {
				switch m[k].(type) {
				case string, nil:
				default:
					errs = append(errs, stringType([]any{"body", f.name, k}, m[k]))
					bad = true
				}
			}
			if !bad {
				out[f.name] = m
			}
		}
	}
	if errs != nil {
		return nil, errs
	}
	return out, nil
}

func stringType(loc []any, input any) fieldError {
	return fieldError{Type: "string_type", Loc: loc, Msg: "Input should be a valid string", Input: input}
}

// parseUUID accepts a UUID the way pydantic does (hyphenated or not, any
// case; braces and a urn:uuid: prefix are not emulated) and returns it in
// canonical lowercase hyphenated form.
func parseUUID(s string) (string, bool) {
	s = strings.ToLower(s)
	if len(s) == 36 {
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return "", false
		}
		s = s[:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	}
	if len(s) != 32 {
		return "", false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false
		}
	}
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:], true
}

// canonicalID returns id in canonical UUID form, or unchanged if it is not a
// UUID (such an ID can never be named in a valid request).
func canonicalID(id string) string {
	if c, ok := parseUUID(id); ok {
		return c
	}
	return id
}

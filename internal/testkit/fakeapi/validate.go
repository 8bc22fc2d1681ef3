package fakeapi

import (
	"encoding/json"
	"strings"
)

// fieldKind is how a body field is validated, after the pydantic type the
// real API presumably declares for it, with the error entry it gets when the
// value does not fit.
type fieldKind struct {
	typ, msg string
	check    func(any) (any, bool)
}

var (
	kindUUID = fieldKind{"uuid_parsing", "Input should be a valid UUID", func(v any) (any, bool) {
		s, _ := v.(string)
		return parseUUID(s)
	}}
	kindString = fieldKind{"string_type", "Input should be a valid string", func(v any) (any, bool) {
		s, ok := v.(string)
		return s, ok
	}}
	kindNonEmptyString = fieldKind{"string_too_short", "String should have at least 1 character", func(v any) (any, bool) {
		s, _ := v.(string)
		return s, s != ""
	}}
	// kindStringMap is dict[str, str | None].
	kindStringMap = fieldKind{"dict_type", "Input should be a valid dictionary of strings", func(v any) (any, bool) {
		m, ok := v.(map[string]any)
		for _, e := range m {
			if _, s := e.(string); !s && e != nil {
				return nil, false
			}
		}
		return m, ok
	}}
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

// parseBody validates a JSON request body against fields, collecting an
// error entry, shaped as FastAPI's, for every field that is missing or does
// not fit. All fields are required; unknown fields are ignored. The
// Content-Type is not checked, and the messages are not pydantic's for every
// case.
func parseBody(raw []byte, fields []field) (body, []fieldError) {
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		return nil, []fieldError{{Type: "model_attributes_type", Loc: []any{"body"}, Msg: "Input should be a valid JSON object"}}
	}
	out := body{}
	var errs []fieldError
	for _, f := range fields {
		loc := []any{"body", f.name}
		val, present := obj[f.name]
		if !present {
			errs = append(errs, fieldError{Type: "missing", Loc: loc, Msg: "Field required"})
			continue
		}
		v, ok := f.kind.check(val)
		if !ok {
			errs = append(errs, fieldError{Type: f.kind.typ, Loc: loc, Msg: f.kind.msg})
			continue
		}
		out[f.name] = v
	}
	return out, errs
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

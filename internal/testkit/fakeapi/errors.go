package fakeapi

import "net/http"

// detail is a FastAPI HTTPException answer: {"detail": msg}.
func detail(status int, msg string) response {
	return jsonResponse(status, map[string]string{"detail": msg})
}

// unauthorized is a 401 answer as FastAPI's HTTPBearer security gives it.
func unauthorized(msg string) response {
	r := detail(http.StatusUnauthorized, msg)
	r.header.Set("WWW-Authenticate", "Bearer")
	return r
}

// fieldError is one entry of a FastAPI request validation error (pydantic v2),
// without its input and ctx.
type fieldError struct {
	Type string `json:"type"`
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
}

// unprocessable is the 422 answer FastAPI gives for an invalid request body:
// {"detail": [{"type": ..., "loc": [...], "msg": ...}, ...]}.
func unprocessable(errs []fieldError) response {
	return jsonResponse(http.StatusUnprocessableEntity, map[string]any{"detail": errs})
}

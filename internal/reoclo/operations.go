package reoclo

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
)

// operationIDPattern is what an operation ID may look like. It is checked
// before the ID goes into a URL path, a log line or an output.
var operationIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// Login asks the API to run docker login for a credential on a server. It
// returns once the API has accepted the request, with the reply as the API
// sent it: follow the operation with Follow, which refuses an operation ID
// that is not a plain identifier (CheckOperationID). The caller checks the
// ID itself before it keeps it anywhere, but keeps the rest even then: the
// login may have started, and can still be undone.
func (c *Client) Login(ctx context.Context, req LoginRequest) (*LoginAccepted, error) {
	var out LoginAccepted
	if err := c.do(ctx, "POST", "/registry-auth/login", req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Logout asks the API to run docker logout of a registry on a server. A reply
// with status "running" must be followed with Wait.
func (c *Client) Logout(ctx context.Context, req LogoutRequest) (*LogoutAccepted, error) {
	var out LogoutAccepted
	if err := c.do(ctx, "POST", "/registry-auth/logout", req, &out); err != nil {
		return nil, err
	}
	if err := CheckOperationID(out.OperationID); err != nil {
		return nil, fmt.Errorf("logout reply: %w", err)
	}
	return &out, nil
}

// Operation fetches an operation's current state.
func (c *Client) Operation(ctx context.Context, id string) (*Operation, error) {
	if err := CheckOperationID(id); err != nil {
		return nil, err
	}
	var out Operation
	if err := c.do(ctx, "GET", "/operations/"+url.PathEscape(id), nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// CheckOperationID returns an error unless id is a plain identifier, safe in
// a URL path, a log line, an output and state.
func CheckOperationID(id string) error {
	if !operationIDPattern.MatchString(id) {
		return fmt.Errorf("operation ID %q is not a plain identifier", clipID(id))
	}
	return nil
}

func clipID(id string) string {
	if len(id) > 40 {
		return id[:40] + "…"
	}
	return id
}

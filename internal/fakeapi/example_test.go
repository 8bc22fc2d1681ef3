package fakeapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/reoclo/docker-auth/internal/fakeapi"
)

func Example() {
	clock := fakeapi.NewClock(time.Date(2026, 4, 14, 1, 0, 0, 0, time.UTC))
	api := fakeapi.New(fakeapi.WithClock(clock.Now))
	api.AddKey("rca_example", fakeapi.AllScopes())
	api.AddServer("6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b", "prod-api")
	api.AddCredential(fakeapi.Credential{
		ID:            "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d",
		RegistryURL:   "ghcr.io",
		RegistryType:  "ghcr",
		LoginDuration: 2 * time.Second,
	})
	api.Script(fakeapi.RouteOperation, fakeapi.Fault{Status: http.StatusServiceUnavailable})
	ts := httptest.NewServer(api)
	defer ts.Close()

	call := func(method, path, body string) map[string]any {
		req, _ := http.NewRequestWithContext(context.Background(), method, ts.URL+fakeapi.APIPath+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer rca_example")
		req.Header.Set("Content-Type", "application/json")
		resp, err := ts.Client().Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&v)
		fmt.Println(resp.StatusCode, v["status"], v["detail"])
		return v
	}

	start := call("POST", "/registry-auth/login", `{"server_id": "6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b",
		"credential_id": "1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d", "run_id": "4242",
		"run_context": {"provider": "github_actions"}}`)
	id, _ := start["operation_id"].(string)
	op := "/operations/" + id
	call("GET", op, "") // the scripted fault
	call("GET", op, "")
	clock.Advance(2 * time.Second)
	call("GET", op, "")
	fmt.Println(api.LoggedIn())
	// Output:
	// 202 running <nil>
	// 503 <nil> Service Unavailable
	// 200 running <nil>
	// 200 completed <nil>
	// map[6f1c2b8e-3d4a-4e5f-9a6b-7c8d9e0f1a2b:[ghcr.io]]
}

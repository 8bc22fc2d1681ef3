// Command fakeapi serves the fake Reoclo API of the end-to-end cases
// (fakeapi.NewWorld) for a real runner: .github/workflows/e2e.yml starts it
// in the job through .github/actions/fake-api.
//
//	fakeapi -addr 172.17.0.1:0 -key rca_test -ca ca.pem -url url
//
// With -ca it serves TLS, with a certificate for the IP address of -addr
// signed by a CA made on the spot, and writes that CA's certificate (PEM) to
// the file; without it, plain http. Once it listens it writes its base URL
// to -url: the file appearing means the fake is ready. Besides the API it
// answers GET /_fake/report with what it saw (see report). It stops on
// SIGINT or SIGTERM.
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/reoclo/docker-auth/internal/testkit/binary"
	"github.com/reoclo/docker-auth/internal/testkit/fakeapi"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "`ip:port` to listen on (port 0: any free port)")
	key := flag.String("key", "", "the API `key` the fake accepts (required)")
	caFile := flag.String("ca", "", "serve TLS and write the CA certificate (PEM) to `file`")
	urlFile := flag.String("url", "", "write the base URL to `file` once listening")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *addr, *key, *caFile, *urlFile)
	stop()
	if err != nil {
		log.Fatalf("fakeapi: %v", err)
	}
}

// run serves the fake on addr until ctx ends.
func run(ctx context.Context, addr, key, caFile, urlFile string) error {
	if key == "" {
		return errors.New("-key is required")
	}
	host, _, err := net.SplitHostPort(addr)
	ip := net.ParseIP(host)
	if err != nil || ip == nil {
		return fmt.Errorf("-addr %q: want ip:port", addr)
	}
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	url := "http://" + ln.Addr().String()
	if caFile != "" {
		caPEM, config, err := binary.NewCA(ip)
		if err != nil {
			return fmt.Errorf("make a certificate for %s: %w", ip, err)
		}
		if err := os.WriteFile(caFile, caPEM, 0o644); err != nil {
			return fmt.Errorf("write the CA certificate: %w", err)
		}
		ln = tls.NewListener(ln, config)
		url = "https://" + ln.Addr().String()
	}

	api := fakeapi.NewWorld(key)
	mux := http.NewServeMux()
	mux.Handle("/", api)
	mux.HandleFunc("GET /_fake/report", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(report(api))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	context.AfterFunc(ctx, func() { _ = srv.Close() })

	if urlFile != "" {
		// Written whole, then renamed: a reader never sees half a URL.
		if err := os.WriteFile(urlFile+".tmp", []byte(url+"\n"), 0o644); err != nil {
			return fmt.Errorf("write the URL: %w", err)
		}
		if err := os.Rename(urlFile+".tmp", urlFile); err != nil {
			return fmt.Errorf("write the URL: %w", err)
		}
	}
	log.Printf("fakeapi: serving the fake Reoclo API on %s", url)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// report is what GET /_fake/report answers: the logouts the API accepted
// (answered 2xx), counted by registry; Server.LoggedIn (server ID ->
// registries it is logged in to); and every request.
func report(api *fakeapi.Server) map[string]any {
	logouts, requests := map[string]int{}, []map[string]any{}
	for _, o := range api.Operations() {
		if o.Type == fakeapi.OpRegistryLogout {
			logouts[o.RegistryURL]++
		}
	}
	for _, r := range api.Requests() {
		requests = append(requests, map[string]any{"time": r.Time.Format("15:04:05.000"), "method": r.Method, "path": r.Path, "status": r.Status})
	}
	return map[string]any{"logouts": logouts, "logged_in": api.LoggedIn(), "requests": requests}
}

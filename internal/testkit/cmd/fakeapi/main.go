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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

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
		caPEM, cert, err := newCert(ip)
		if err != nil {
			return fmt.Errorf("make a certificate for %s: %w", ip, err)
		}
		if err := os.WriteFile(caFile, caPEM, 0o644); err != nil {
			return fmt.Errorf("write the CA certificate: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		url = "https://" + ln.Addr().String()
	}

	api := fakeapi.NewWorld(key)
	mux := http.NewServeMux()
	mux.Handle("/", api)
	mux.HandleFunc("GET /_fake/report", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(newReport(api))
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

// report is what GET /_fake/report answers.
type report struct {
	// Logouts counts the logout requests the API accepted (2xx), by registry.
	Logouts map[string]int `json:"logouts"`
	// LoggedIn is Server.LoggedIn: server ID -> registries it is logged in to.
	LoggedIn map[string][]string `json:"logged_in"`
	Requests []request           `json:"requests"`
}

// request is one request the fake answered, as the report lists it.
type request struct {
	Time   string `json:"time"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Status int    `json:"status"`
}

// newReport returns what api has seen so far.
func newReport(api *fakeapi.Server) report {
	r := report{Logouts: map[string]int{}, LoggedIn: api.LoggedIn(), Requests: []request{}}
	for _, req := range api.Requests() {
		r.Requests = append(r.Requests, request{req.Time.Format("15:04:05.000"), req.Method, req.Path, req.Status})
		if req.Method != http.MethodPost || req.Path != fakeapi.APIPath+"/registry-auth/logout" || req.Status/100 != 2 {
			continue
		}
		var body struct {
			RegistryURL string `json:"registry_url"`
		}
		if json.Unmarshal(req.Body, &body) == nil {
			r.Logouts[body.RegistryURL]++
		}
	}
	return r
}

// newCert returns the certificate (PEM) of a CA made on the spot and a
// server certificate for ip that the CA signed.
func newCert(ip net.IP) (caPEM []byte, cert tls.Certificate, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, cert, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, cert, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "docker-auth e2e fake API CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, cert, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, cert, err
	}
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: ip.String()}, IPAddresses: []net.IP{ip},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, cert, err
	}
	caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return caPEM, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

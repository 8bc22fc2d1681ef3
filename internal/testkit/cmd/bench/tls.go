package main

import (
	"bufio"
	"bytes"
	"encoding/pem"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Where Go's crypto/x509 looks for root certificates on Linux
// (crypto/x509/root_linux.go): the first of the files that exists, then
// every file in the directories. A bundle that is both is parsed twice.
var (
	goCertFiles = []string{
		"/etc/ssl/certs/ca-certificates.crt",
		"/etc/pki/tls/certs/ca-bundle.crt",
		"/etc/ssl/ca-bundle.pem",
		"/etc/pki/tls/cacert.pem",
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
		"/etc/ssl/cert.pem",
	}
	goCertDirs = []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}
)

// caLayout is how the binary in the image finds its CA bundle.
type caLayout struct {
	// dest is where the Dockerfile copies a bundle, "" if it copies none.
	dest string
	// asFile and inDir say whether Go reads dest as its bundle file, and
	// again while scanning a certificate directory.
	asFile, inDir bool
}

// imageCALayout reads the Dockerfile for the destination of a COPY of a
// certificate bundle (a destination ending in .crt or .pem).
func imageCALayout(dockerfile []byte) caLayout {
	var l caLayout
	sc := bufio.NewScanner(bytes.NewReader(dockerfile))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || !strings.EqualFold(f[0], "COPY") {
			continue
		}
		if dest := f[len(f)-1]; strings.HasSuffix(dest, ".crt") || strings.HasSuffix(dest, ".pem") {
			l.dest = dest
		}
	}
	if l.dest != "" {
		l.asFile = slices.Contains(goCertFiles, l.dest)
		l.inDir = slices.Contains(goCertDirs, path.Dir(l.dest))
	}
	return l
}

// String says what Go does with the image's bundle.
func (l caLayout) String() string {
	switch {
	case l.dest == "":
		return "the image copies no CA bundle"
	case l.asFile && l.inDir:
		return fmt.Sprintf("the image's %s is parsed twice, as Go's bundle file and again from %s", l.dest, path.Dir(l.dest))
	case l.asFile:
		return fmt.Sprintf("the image's %s is parsed once, as Go's bundle file", l.dest)
	case l.inDir:
		return fmt.Sprintf("the image's %s is parsed once, from %s", l.dest, path.Dir(l.dest))
	}
	return fmt.Sprintf("Go never reads the image's %s", l.dest)
}

// tlsTrust lays out, under dir, the roots the binary sees in the image: a
// copy of the host's CA bundle (if the image has one Go reads) plus the fake
// API's certificate, as a bundle file, a certificate directory, or both. It
// returns the environment that points Go at them, and the number of
// certificates in the bundle.
func tlsTrust(dir string, l caLayout, hostBundle, fakeCert []byte) (env map[string]string, certs int, err error) {
	certDir := filepath.Join(dir, "certs")
	if err := os.MkdirAll(certDir, 0o755); err != nil {
		return nil, 0, err
	}
	fakePEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: fakeCert})
	bundle := fakePEM
	if l.asFile || l.inDir {
		bundle = append(append(bytes.Clone(hostBundle), '\n'), fakePEM...)
	}
	file := filepath.Join(dir, "ca-bundle.pem")
	if l.inDir {
		file = filepath.Join(certDir, "ca-certificates.crt")
	}
	if err := os.WriteFile(file, bundle, 0o644); err != nil { //nolint:gosec // G703: a fixed name in the benchmark's own temporary directory
		return nil, 0, err
	}
	env = map[string]string{"SSL_CERT_DIR": certDir, "SSL_CERT_FILE": file}
	if l.inDir && !l.asFile {
		env["SSL_CERT_FILE"] = filepath.Join(dir, "no-such-bundle.pem")
	}
	return env, bytes.Count(bundle, []byte("-----BEGIN CERTIFICATE-----")), nil
}

// Package binary builds the docker-auth binary as the image does, with its
// three names, and runs one of them as the GitHub runner runs a container
// action's entry point: inputs as INPUT_*, fresh file-command files, the
// main step's state back to post as STATE_*, a signal when cancelled; and
// NewCA makes a CA and a certificate for an API it talks to over TLS. The
// end-to-end test, the demo and the benchmark use it.
package binary

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// The binary's names in the image: the main, post and logout entry points.
const (
	Main   = "docker-auth"
	Post   = "docker-auth-post"
	Logout = "docker-auth-logout"
)

// Build compiles the module's main package into dir as the Dockerfile does
// (static, stripped, version stamped) and links its other names to
// it, and returns the main entry point's path. It fails with the compiler's
// output when the build fails.
func Build(ctx context.Context, dir, version string) (string, error) {
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, Main)
	cmd := exec.CommandContext(ctx, "go", "build", "-buildvcs=false",
		"-ldflags", "-s -w -X main.version="+version, "-o", bin, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	for _, name := range []string{Post, Logout} {
		_ = os.Remove(filepath.Join(dir, name))
		if err := os.Symlink(Main, filepath.Join(dir, name)); err != nil {
			return "", err
		}
	}
	return bin, nil
}

// ModuleRoot returns the directory of the main module's go.mod.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the docker-auth module")
	}
	return filepath.Dir(gomod), nil
}

// Step is one run of an entry point.
type Step struct {
	// Path is the entry point to run: a Build result's directory joined
	// with Main, Post or Logout.
	Path string
	// Inputs become INPUT_<NAME> variables, as the runner names them.
	Inputs map[string]string
	// Env is the rest of the step's environment (GITHUB_*, proxies…).
	Env map[string]string
	// State is the main step's state, given to a post step as STATE_<key>.
	State map[string]string
	// Signal is sent when the context ends, as the runner sends SIGINT when
	// it cancels a job; the process is killed 10 s later (os.Interrupt if
	// nil).
	Signal os.Signal
}

// Result is what a run left: its exit code, its output and the file
// commands it wrote, read by the runner's rules.
type Result struct {
	Code                int
	Stdout              string
	Outputs, State, Env map[string]string
	Summary             string
	Took                time.Duration
}

// Run runs s with fresh file-command files in a temporary directory under
// dir and reads them back. It fails when the process cannot be started or a
// file command is malformed (the runner would fail the step).
func Run(ctx context.Context, dir string, s Step) (*Result, error) {
	files, err := os.MkdirTemp(dir, "step-")
	if err != nil {
		return nil, err
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + files}
	for k, v := range s.Env {
		env = append(env, k+"="+v)
	}
	for k, v := range s.Inputs {
		env = append(env, "INPUT_"+strings.ToUpper(strings.ReplaceAll(k, " ", "_"))+"="+v)
	}
	for k, v := range s.State {
		env = append(env, "STATE_"+k+"="+v)
	}
	for _, name := range []string{"GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_ENV", "GITHUB_STEP_SUMMARY"} {
		p := filepath.Join(files, name)
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			return nil, err
		}
		env = append(env, name+"="+p)
	}
	cmd := exec.CommandContext(ctx, s.Path)
	cmd.Env, cmd.Dir = env, files
	cmd.Cancel = func() error { return cmd.Process.Signal(cmp.Or(s.Signal, os.Interrupt)) }
	cmd.WaitDelay = 10 * time.Second // then it is killed
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	// Run fails with the exit status, or with ctx.Err() when a cancelled
	// step exits 0: the Result says both.
	if cmd.ProcessState == nil || err != nil && !errors.As(err, new(*exec.ExitError)) && !errors.Is(err, ctx.Err()) {
		return nil, err
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return nil, fmt.Errorf("%s died of %v:\n%s", s.Path, ws.Signal(), out.String())
	}
	res := &Result{Code: cmd.ProcessState.ExitCode(), Stdout: out.String(), Took: took}
	for name, into := range map[string]*map[string]string{"GITHUB_OUTPUT": &res.Outputs, "GITHUB_STATE": &res.State, "GITHUB_ENV": &res.Env} {
		data, err := os.ReadFile(filepath.Join(files, name))
		if err == nil {
			*into, err = ParseFileCommand(data)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	summary, err := os.ReadFile(filepath.Join(files, "GITHUB_STEP_SUMMARY"))
	res.Summary = string(summary)
	return res, err
}

// ParseFileCommand reads a GITHUB_OUTPUT, GITHUB_STATE or GITHUB_ENV file by
// the runner's rules: name=value lines, or name<<DELIMITER, the value's
// lines, DELIMITER. A later value of a name replaces an earlier one. It
// fails where the runner would fail the step: a line with neither form, an
// empty name or delimiter, a delimiter never closed.
func ParseFileCommand(data []byte) (map[string]string, error) {
	pairs := map[string]string{}
	lines := strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		eq, heredoc := strings.Index(line, "="), strings.Index(line, "<<")
		if eq >= 0 && (heredoc < 0 || eq < heredoc) {
			if eq == 0 {
				return nil, fmt.Errorf("line %d: empty name", i+1)
			}
			pairs[line[:eq]] = line[eq+1:]
			continue
		}
		if heredoc <= 0 || heredoc+2 == len(line) {
			return nil, fmt.Errorf("line %d: neither name=value nor name<<DELIMITER: %q", i+1, line)
		}
		name, delim, value := line[:heredoc], line[heredoc+2:], lines[i+1:]
		end := slices.Index(value, delim)
		if end < 0 {
			return nil, fmt.Errorf("delimiter %q of %s is never closed", delim, name)
		}
		pairs[name], i = strings.Join(value[:end], "\n"), i+1+end
	}
	return pairs, nil
}

// NewCA makes a certificate authority on the spot and returns its
// certificate (PEM), for a step's SSL_CERT_FILE or SSL_CERT_DIR, and a
// server configuration with a certificate for ip that it signed: a TLS
// listener's, or an httptest.Server's TLS before StartTLS.
func NewCA(ip net.IP) (caPEM []byte, server *tls.Config, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "docker-auth test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: ip.String()}, IPAddresses: []net.IP{ip},
		NotBefore: ca.NotBefore, NotAfter: ca.NotAfter, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	cert := tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return caPEM, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// Command runnertest builds this checkout's Dockerfile with podman, checks the image and runs
// its entry points through the runner emulation against the fake Reoclo API (the image
// cases, `-run image`). It runs the action under real runners that nobody here wrote
// (nektos/act and Gitea's act fork) on a podman engine of its own, against the fake Reoclo
// API on 127.0.0.1, each runner building the image from the Dockerfile. It then rehearses
// the release (.github/release.sh against a registry on 127.0.0.1, then act pulling the
// image by digest) and builds the Dockerfile with Docker's classic builder. It installs
// what it needs (Debian packages with apt-get, the runners with the go command) and
// removes every image, container, server and daemon it started.
//
// Usage (from the repository root, as root): go run ./internal/testkit/cmd/runnertest [-v] [-run regexp]
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/reoclo/docker-auth/internal/testkit/imagebuild"
)

const (
	jobImage = "localhost/runnertest-job:1"
	// runTimeout bounds one runner run; building the image is part of the first.
	runTimeout = 6 * time.Minute
)

func main() {
	os.Exit(runnerTest())
}

type options struct {
	verbose     bool
	only        *regexp.Regexp
	skipRelease bool
	skipClassic bool
	contextDir  string
	stepLogsTee io.Writer
	toolsLog    io.Writer
}

func runnerTest() int {
	var opts options
	flag.BoolVar(&opts.verbose, "v", false, "stream apt-get, podman, buildah and runner output")
	run := flag.String("run", "", "run only the cases whose name matches this regular expression")
	flag.BoolVar(&opts.skipRelease, "skip-release", false, "skip the release rehearsal")
	flag.BoolVar(&opts.skipClassic, "skip-classic", false, "skip the classic-builder build with dockerd")
	flag.StringVar(&opts.contextDir, "context", "", "checkout to test (default: the module root)")
	flag.Parse()
	if *run != "" {
		re, err := regexp.Compile(*run)
		if err != nil {
			fmt.Fprintln(os.Stderr, "runner-test: -run:", err)
			return 2
		}
		opts.only = re
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var log bytes.Buffer
	opts.toolsLog = &log
	if opts.verbose {
		opts.toolsLog = os.Stderr
		opts.stepLogsTee = os.Stdout
	}
	if err := runAll(ctx, os.Stdout, opts); err != nil {
		if !opts.verbose && log.Len() > 0 {
			fmt.Fprintf(os.Stderr, "--- tool output (last 8 KiB):\n%s\n---\n", tail(log.Bytes(), 8<<10))
		}
		fmt.Fprintln(os.Stderr, "runner-test: FAIL:", err)
		return 1
	}
	return 0
}

// env is what every part of the test shares.
type env struct {
	out      io.Writer
	opts     options
	start    time.Time
	src      string
	tmp      string
	podman   *Podman
	registry *Registry
	b        *imagebuild.Buildah
	baseRef  string
	runners  map[string]Runner
}

func (e *env) step(format string, args ...any) {
	fmt.Fprintf(e.out, "runner-test: [%6.1fs] %s\n", time.Since(e.start).Seconds(), fmt.Sprintf(format, args...))
}

func runAll(ctx context.Context, out io.Writer, opts options) (err error) {
	e := &env{out: out, opts: opts, start: time.Now(), runners: map[string]Runner{}}
	if os.Geteuid() != 0 {
		return errors.New("run as root: podman, buildah and dockerd need it here (and apt-get, to install them)")
	}
	goEnv, err := imagebuild.GoEnv(ctx, "GOMOD", "GOROOT", "GOVERSION")
	if err != nil {
		return err
	}
	e.src = opts.contextDir
	if e.src == "" {
		e.src = filepath.Dir(goEnv["GOMOD"])
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return err
	}
	cache = filepath.Join(cache, "docker-auth-runnertest")

	e.step("Debian packages (apt-get install when missing)")
	installed, err := EnsurePackages(ctx, opts.toolsLog)
	if err != nil {
		return err
	}
	if len(installed) > 0 {
		e.step("installed %s", strings.Join(installed, " "))
	}
	e.step("act %s and Gitea's act %s (go install / go mod download + go build, into %s)",
		ActVersion, GiteaActVersion, filepath.Join(cache, "bin"))
	act, err := InstallAct(ctx, filepath.Join(cache, "bin"), opts.toolsLog)
	if err != nil {
		return err
	}
	gitea, err := InstallGiteaAct(ctx, filepath.Join(cache, "bin"), opts.toolsLog)
	if err != nil {
		return err
	}
	e.runners["act"] = Runner{Name: "act", Bin: act, RunsPost: true}
	e.runners["gitea-act"] = Runner{Name: "gitea-act", Bin: gitea}
	modCache := filepath.Join(cache, "gomod")
	e.step("module cache for the image build: %s", modCache)
	if err := ModCache(ctx, e.src, modCache, opts.toolsLog); err != nil {
		return err
	}

	// A short path: it holds unix sockets.
	if e.tmp, err = os.MkdirTemp("", "rt-"); err != nil {
		return err
	}
	defer func() {
		if rerr := os.RemoveAll(e.tmp); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}()
	engineDir := filepath.Join(e.tmp, "engine")
	e.b = imagebuild.New(engineDir, opts.toolsLog)
	defer func() {
		if rerr := e.b.Remove(ctx); rerr != nil {
			err = errors.Join(err, fmt.Errorf("remove the engine's storage: %w", rerr))
		}
	}()

	e.baseRef = "localhost/runnertest-gobase:" + strings.TrimPrefix(goEnv["GOVERSION"], "go")
	e.step("assembling %s (Go toolchain, busybox, module cache) and %s (busybox)", e.baseRef, jobImage)
	if err := e.b.BuildGoBase(ctx, e.baseRef, imagebuild.GoBase{
		GOROOT:    goEnv["GOROOT"],
		GoVersion: goEnv["GOVERSION"],
		Busybox:   imagebuild.BusyboxPath,
		CABundle:  "/etc/ssl/certs/ca-certificates.crt",
		ModCache:  modCache,
		// Compiled once here instead of in each of the four builds below.
		WarmModule: e.src,
	}); err != nil {
		return err
	}
	if err := e.b.BuildBusyboxImage(ctx, jobImage, imagebuild.BusyboxImage{
		Busybox: imagebuild.BusyboxPath,
		// Gitea's act starts the job container as `/bin/sleep <max lifetime>`, 0 outside
		// act_runner: this sleep ignores its argument and keeps the container up.
		Scripts: map[string]string{"/bin/sleep": "#!/bin/busybox sh\nexec /bin/busybox sleep 2147483647\n"},
	}); err != nil {
		return err
	}

	if !opts.skipRelease && e.selected("release") {
		e.step("docker-registry on 127.0.0.1")
		if e.registry, err = StartRegistry(ctx, filepath.Join(e.tmp, "registry")); err != nil {
			return err
		}
		defer func() {
			if rerr := e.registry.Stop(); rerr != nil {
				err = errors.Join(err, rerr)
			}
		}()
	}
	var insecure []string
	if e.registry != nil {
		insecure = append(insecure, e.registry.Addr)
	}
	e.step("podman system service (vfs, host network)")
	if e.podman, err = StartPodman(ctx, engineDir, PodmanConfig{InsecureRegistries: insecure}, opts.toolsLog); err != nil {
		return err
	}
	defer func() {
		if rerr := e.podman.Stop(); rerr != nil {
			err = errors.Join(err, fmt.Errorf("stop podman: %w", rerr))
		}
	}()

	var errs []error
	if slices.ContainsFunc(imageCases, func(c imageCase) bool { return e.selected(c.name) }) {
		if err := imageTest(ctx, e); err != nil {
			errs = append(errs, fmt.Errorf("image: %w", err))
			e.step("FAIL image")
		}
	}
	if err := runCases(ctx, e); err != nil {
		errs = append(errs, err)
	}
	if !opts.skipRelease && e.selected("release") {
		if err := rehearseRelease(ctx, e); err != nil {
			errs = append(errs, fmt.Errorf("release rehearsal: %w", err))
			e.step("FAIL release rehearsal")
		}
	}
	if !opts.skipClassic && e.selected("classic-builder") {
		if err := classicBuild(ctx, e); err != nil {
			errs = append(errs, fmt.Errorf("classic builder: %w", err))
			e.step("FAIL classic builder")
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	e.step("PASS (total %.1fs)", time.Since(e.start).Seconds())
	return nil
}

// selected reports whether the case named name is to run.
func (e *env) selected(name string) bool {
	return e.opts.only == nil || e.opts.only.MatchString(name)
}

func tail(b []byte, n int) []byte {
	if len(b) <= n {
		return b
	}
	return b[len(b)-n:]
}

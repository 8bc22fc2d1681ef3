package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"
)

const (
	releaseTag  = "v1.2.3"
	releaseRepo = "reoclo/docker-auth"
	// hostPlatform is the one platform the rehearsal builds: Debian's buildah 1.28 cannot
	// cross-compile (see the Dockerfile), and nothing here emulates another CPU.
	hostPlatform = "linux/" + runtime.GOARCH
)

// rehearseRelease runs .github/release.sh as release.yml does (check, build-push, pin), with
// podman and the registry on 127.0.0.1 standing in for buildx and ghcr.io, checks what it
// pushed and committed, re-runs pin as a re-run of the job would, then runs the release
// commit under act, which pulls the image by digest for the main, logout and post steps.
func rehearseRelease(ctx context.Context, e *env) error {
	start := time.Now()
	files, err := workflows()
	if err != nil {
		return err
	}
	ws, err := NewWorkspace(ctx, e.src, filepath.Join(e.tmp, "release-ws"), e.baseRef, files)
	if err != nil {
		return err
	}
	source, err := ws.Git(ctx, "rev-parse", "HEAD")
	if err != nil {
		return err
	}
	// As release.yml's checkout: the tagged commit, detached.
	for _, args := range [][]string{{"tag", releaseTag}, {"checkout", "--quiet", "--detach", releaseTag}} {
		if _, err := ws.Git(ctx, args...); err != nil {
			return err
		}
	}
	image := e.registry.Addr + "/" + releaseRepo
	script := func(command string, extra ...string) (map[string]string, error) {
		return runScript(ctx, e, ws, command, append([]string{
			"TAG=" + releaseTag, "IMAGE=" + image, "SOURCE_SHA=" + source,
			"ENGINE=podman", "TLS_VERIFY=false", "PLATFORMS=" + hostPlatform,
		}, extra...))
	}

	if _, err := script("check"); err != nil {
		return err
	}
	out, err := script("build-push")
	if err != nil {
		return err
	}
	digest := out["digest"]
	e.step("release: pushed %s@%s (%.1fs)", image, digest, time.Since(start).Seconds())
	if err := checkPushed(ctx, e.registry.Addr, digest); err != nil {
		return err
	}

	if out, err = script("pin", "DIGEST="+digest); err != nil {
		return err
	}
	commit, ref := out["commit"], out["ref"]
	if err := checkReleaseCommit(ctx, ws, source, commit, ref); err != nil {
		return err
	}
	// A re-run of the release job after the tag moved reuses the commit.
	for _, args := range [][]string{{"tag", "--force", releaseTag, commit}, {"checkout", "--quiet", "--detach", source}} {
		if _, err := ws.Git(ctx, args...); err != nil {
			return err
		}
	}
	if out, err = script("pin", "DIGEST="+digest); err != nil {
		return err
	}
	if out["commit"] != commit {
		return fmt.Errorf("a re-run of pin made commit %q, want the existing %s", out["commit"], commit)
	}
	e.step("ok   release: release commit %s pins %s in both action files; a re-run reuses it", commit[:12], ref)

	// What users get: the tag's commit, whose action files name the image by digest.
	if _, err := ws.Git(ctx, "checkout", "--quiet", "--detach", releaseTag); err != nil {
		return err
	}
	pullsBefore := strings.Count(e.registry.Log(), "GET /v2/"+releaseRepo+"/manifests/"+digest)
	c := &checker{}
	cr, err := runCase(ctx, e, ws, e.runners["act"], jobCase{workflow: "release.yml", credential: goodCred})
	if err != nil {
		return err
	}
	c.noKey(cr)
	c.jobSucceeded(cr)
	c.outputsShown(cr)
	c.logoutsSent(cr, 2) // the logout step and the post step
	c.nothingLoggedIn(cr)
	c.truef(strings.Count(e.registry.Log(), "GET /v2/"+releaseRepo+"/manifests/"+digest) > pullsBefore,
		"act should pull the image by digest from the registry; registry log:\n%s", e.registry.Log())
	c.truef(!strings.Contains(cr.res.Log, "docker build") && !strings.Contains(cr.res.Log, "Building image"),
		"act should not build the image for the release commit; log:\n%s", cr.res.Log)
	if err := c.err(); err != nil {
		return err
	}
	e.step("ok   release: act ran main, logout and post from %s (%.1fs; rehearsal %.1fs)",
		ref, cr.res.Duration.Seconds(), time.Since(start).Seconds())
	return nil
}

// runScript runs .github/release.sh command in the workspace with podman's environment and
// extra, and returns what it wrote to GITHUB_OUTPUT.
func runScript(ctx context.Context, e *env, ws *Workspace, command string, extra []string) (map[string]string, error) {
	outFile := filepath.Join(e.tmp, "github_output")
	if err := os.WriteFile(outFile, nil, 0o600); err != nil {
		return nil, err
	}
	var log bytes.Buffer
	w := io.Writer(&log)
	if e.opts.verbose {
		w = io.MultiWriter(&log, os.Stderr)
	}
	cmd := exec.CommandContext(ctx, "bash", ".github/release.sh", command)
	cmd.Dir = ws.Dir
	cmd.Env = append(append(e.podman.Env(), "GITHUB_OUTPUT="+outFile), extra...)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("release.sh %s: %w; output:\n%s", command, err, tail(log.Bytes(), 8<<10))
	}
	data, err := os.ReadFile(outFile)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out, nil
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// checkPushed: the digest is an image index for hostPlatform, and the tags X.Y.Z, X.Y and
// X exist.
func checkPushed(ctx context.Context, addr, digest string) error {
	if !digestRE.MatchString(digest) {
		return fmt.Errorf("build-push wrote digest %q", digest)
	}
	var index struct {
		Manifests []struct {
			Platform struct{ OS, Architecture string }
		}
	}
	if err := getJSON(ctx, "http://"+addr+"/v2/"+releaseRepo+"/manifests/"+digest, &index); err != nil {
		return err
	}
	var platforms []string
	for _, m := range index.Manifests {
		platforms = append(platforms, m.Platform.OS+"/"+m.Platform.Architecture)
	}
	slices.Sort(platforms)
	if !slices.Equal(platforms, []string{hostPlatform}) {
		return fmt.Errorf("%s is an index of %v, want %s", digest, platforms, hostPlatform)
	}
	var tags struct{ Tags []string }
	if err := getJSON(ctx, "http://"+addr+"/v2/"+releaseRepo+"/tags/list", &tags); err != nil {
		return err
	}
	slices.Sort(tags.Tags)
	if !slices.Equal(tags.Tags, []string{"1", "1.2", "1.2.3"}) {
		return fmt.Errorf("pushed tags %v, want 1, 1.2 and 1.2.3", tags.Tags)
	}
	return nil
}

func getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// checkReleaseCommit: the release commit's parent is the source commit, and it changes
// one line in each action file, to `image: <ref>`.
func checkReleaseCommit(ctx context.Context, ws *Workspace, source, commit, ref string) error {
	parent, err := ws.Git(ctx, "rev-parse", commit+"^")
	if err != nil {
		return err
	}
	if parent != source {
		return fmt.Errorf("release commit %s has parent %s, want the source commit %s", commit, parent, source)
	}
	numstat, err := ws.Git(ctx, "diff", "--numstat", source, commit)
	if err != nil {
		return err
	}
	if want := "1\t1\taction.yml\n1\t1\tlogout/action.yml"; numstat != want {
		return fmt.Errorf("release commit changes:\n%s\nwant one line in action.yml and in logout/action.yml", numstat)
	}
	for _, f := range []string{"action.yml", "logout/action.yml"} {
		data, err := ws.Git(ctx, "show", commit+":"+f)
		if err != nil {
			return err
		}
		if !slices.Contains(strings.Split(data, "\n"), "  image: "+ref) {
			return fmt.Errorf("%s at the release commit does not say `image: %s`", f, ref)
		}
	}
	return nil
}

package imagebuild

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStatusFilter(t *testing.T) {
	tests := []struct {
		name     string
		stderr   string
		wantOut  string
		wantCode int
		wantOK   bool
	}{
		{
			name:    "exit status, program lines kept",
			stderr:  "::error::login failed\nError: from the program\nsubprocess exited with status 3\nsubprocess exited with status 3\nError: exit status 3\n",
			wantOut: "::error::login failed\nError: from the program\n", wantCode: 3, wantOK: true,
		},
		{
			name:    "killed by a signal",
			stderr:  "subprocess exited on killed\nsubprocess exited with status 1\nError: exit status 1\n",
			wantOut: "", wantCode: 137, wantOK: true,
		},
		{
			name:    "interrupted, last program line without newline",
			stderr:  "partial",
			wantOut: "partial", wantOK: false,
		},
		{
			name:    "no such entry point",
			stderr:  "process failed to start with error: fork/exec /nope: no such file or directoryprocess exited with error: exec: not startedsubprocess exited with status 1\nError: exit status 1\n",
			wantOut: "", wantOK: false,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			f := &statusFilter{w: &out}
			// Byte by byte: lines split across writes must be put back together.
			for i := range len(tt.stderr) {
				_, err := f.Write([]byte{tt.stderr[i]})
				require.NoError(t, err)
			}
			f.flush()
			assert.Equal(t, tt.wantOut, out.String())
			code, ok := f.exitCode()
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.wantCode, code)
		})
	}
	t.Run("signal names", func(t *testing.T) {
		f := &statusFilter{w: &bytes.Buffer{}, status: []string{"subprocess exited on interrupt"}}
		code, ok := f.exitCode()
		assert.True(t, ok)
		assert.Equal(t, 130, code)
	})
}

// busyboxImage commits a tiny image holding only the host's static busybox, its applets and
// a script that replaces the sleep applet, or skips the test when buildah cannot run here
// (not installed, or not root).
func busyboxImage(t *testing.T) (*Buildah, string) {
	t.Helper()
	if _, err := exec.LookPath("buildah"); err != nil {
		t.Skip("buildah not installed (make image-test installs it)")
	}
	if os.Geteuid() != 0 {
		t.Skip("buildah with vfs storage and chroot isolation needs root")
	}
	if ok, _ := isStatic(BusyboxPath); !ok {
		t.Skip("no static busybox at " + BusyboxPath)
	}
	b := New(t.TempDir(), nil)
	t.Cleanup(func() { assert.NoError(t, b.Remove(context.Background())) })
	const ref = "localhost/imagebuild-test:busybox"
	require.NoError(t, b.BuildBusyboxImage(t.Context(), ref, BusyboxImage{
		Busybox: BusyboxPath,
		Scripts: map[string]string{"/bin/sleep": "#!/bin/busybox sh\necho \"not sleeping $*\"\n"},
	}))
	return b, ref
}

func TestRunInContainer(t *testing.T) {
	b, ref := busyboxImage(t)
	mounted := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(mounted, "in"), []byte("from host"), 0o644))

	tests := []struct {
		name       string
		script     string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{
			name:       "env, workdir, mount, stdout",
			script:     `echo "$GREETING $(pwd) $(cat in)"; echo out > out`,
			wantStdout: "hello /work from host\n",
		},
		{name: "exit code and stderr", script: `echo oops >&2; exit 3`, wantCode: 3, wantStderr: "oops\n"},
		{name: "applets linked, the script kept", script: `ls /bin/cat >/dev/null && /bin/sleep 9`, wantStdout: "not sleeping 9\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code, err := b.Run(t.Context(), ref, RunOptions{
				Entrypoint: "/bin/busybox",
				Args:       []string{"sh", "-c", tt.script},
				Env:        []string{"GREETING=hello"},
				Mounts:     []Mount{{Source: mounted, Target: "/work"}},
				WorkDir:    "/work",
				Stdout:     &stdout,
				Stderr:     &stderr,
			})
			require.NoError(t, err)
			assert.Equal(t, tt.wantCode, code)
			assert.Equal(t, tt.wantStdout, stdout.String())
			assert.Equal(t, tt.wantStderr, stderr.String())
		})
	}
	out, err := os.ReadFile(filepath.Join(mounted, "out"))
	require.NoError(t, err)
	assert.Equal(t, "out\n", string(out), "the mount is writable")

	t.Run("missing entry point is an error", func(t *testing.T) {
		_, err := b.Run(t.Context(), ref, RunOptions{Entrypoint: "/docker-auth"})
		assert.ErrorContains(t, err, "process failed to start")
	})

	t.Run("cancel sends SIGINT to the program", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		started := make(chan struct{})
		stdout := &notifyWriter{seen: "ready", ch: started}
		var code int
		var err error
		finished := make(chan struct{})
		go func() {
			defer close(finished)
			code, err = b.Run(ctx, ref, RunOptions{
				Entrypoint: "/bin/busybox",
				Args:       []string{"sh", "-c", `trap 'echo got INT; exit 42' INT; echo ready; while :; do /bin/busybox sleep 0.05; done`},
				Stdout:     stdout,
				TermDelay:  time.Minute, KillDelay: time.Minute,
			})
		}()
		select {
		case <-started:
		case <-time.After(30 * time.Second):
			t.Fatal("program did not start")
		}
		cancel()
		<-finished
		require.NoError(t, err)
		assert.Equal(t, 42, code, "the program's own INT handler decided the exit code")
		assert.Contains(t, stdout.String(), "got INT")
	})
}

// notifyWriter collects output and closes ch once it has seen the text seen.
type notifyWriter struct {
	buf    strings.Builder
	seen   string
	ch     chan struct{}
	closed bool
}

func (w *notifyWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	if !w.closed && strings.Contains(w.buf.String(), w.seen) {
		w.closed = true
		close(w.ch)
	}
	return len(p), nil
}

func (w *notifyWriter) String() string { return w.buf.String() }

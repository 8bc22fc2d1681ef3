package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// machine describes where the figures come from.
type machine struct {
	CPU    string
	CPUs   int
	Memory string
	OS     string
	Kernel string
	Go     string
	GOARCH string
	// GNUTime reports whether timeBin is GNU time, which measures peak RSS.
	GNUTime bool
}

func describeMachine(ctx context.Context) machine {
	m := machine{
		CPU:    "unknown",
		CPUs:   runtime.NumCPU(),
		Memory: "unknown",
		OS:     runtime.GOOS,
		Kernel: "unknown",
		Go:     runtime.Version(),
		GOARCH: runtime.GOARCH,
	}
	if v := procField("/proc/cpuinfo", "model name"); v != "" {
		m.CPU = v
	}
	if v := procField("/proc/meminfo", "MemTotal"); v != "" {
		if kib, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64); err == nil {
			m.Memory = fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
		}
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	// The toolchain that builds the binary, which may differ from the one
	// running this command.
	if out, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output(); err == nil {
		m.Go = strings.TrimSpace(string(out))
	}
	if out, err := exec.CommandContext(ctx, timeBin, "--version").CombinedOutput(); err == nil {
		m.GNUTime = bytes.Contains(out, []byte("GNU"))
	}
	return m
}

// procField returns the value of the first "key : value" line of a /proc file.
func procField(file, key string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

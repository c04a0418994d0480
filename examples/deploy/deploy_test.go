package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// instructions returns the Dockerfile's instructions, continuation lines
// joined and comments dropped.
func instructions(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	cur := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if cur == "" && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		out = append(out, cur+line)
		cur = ""
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDockerfile checks the Dockerfile's invariants: a static build
// (CGO_ENABLED=0, plugins built and embedded first), a minimal final stage,
// a numeric non-root USER, a VOLUME for the data folder, EXPOSE, the
// entrypoint `chelseru serve`, and no ADD of URLs.
func TestDockerfile(t *testing.T) {
	ins := instructions(t, "Dockerfile")
	var froms, users, volumes, exposes, entry []string
	var build string
	for _, in := range ins {
		word, rest, _ := strings.Cut(in, " ")
		switch strings.ToUpper(word) {
		case "FROM":
			froms = append(froms, rest)
			users = nil // USER applies per stage: only the last stage's counts
		case "USER":
			users = append(users, rest)
		case "VOLUME":
			volumes = append(volumes, rest)
		case "EXPOSE":
			exposes = append(exposes, rest)
		case "ENTRYPOINT":
			entry = append(entry, rest)
		case "RUN":
			if strings.Contains(rest, "go build") {
				build = rest
			}
		case "ADD":
			if regexp.MustCompile(`(?i)https?://|git@`).MatchString(rest) {
				t.Errorf("ADD of a URL: %s", in)
			}
		}
	}
	if len(froms) < 2 {
		t.Fatalf("want a multi-stage build, got FROM %v", froms)
	}
	if last := froms[len(froms)-1]; !strings.Contains(last, "distroless/static") && !strings.HasPrefix(last, "scratch") {
		t.Errorf("final stage %q is not distroless/static or scratch", last)
	}
	if len(users) != 1 || !regexp.MustCompile(`^[1-9][0-9]*(:[1-9][0-9]*)?$`).MatchString(users[0]) {
		t.Errorf("final stage USER %v: want one numeric non-root uid[:gid]", users)
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "make plugins", "./cmd/chelseru", "-X main.buildVersion=", "-X main.buildCommit="} {
		if !strings.Contains(build, want) {
			t.Errorf("build step lacks %q: %s", want, build)
		}
	}
	if strings.Index(build, "make plugins") > strings.Index(build, "go build") {
		t.Errorf("plugins must be built (and embedded) before the binary: %s", build)
	}
	if len(volumes) != 1 || !strings.Contains(volumes[0], "/data") {
		t.Errorf("VOLUME %v: want the data folder /data", volumes)
	}
	if len(exposes) != 1 || exposes[0] != "8000" {
		t.Errorf("EXPOSE %v", exposes)
	}
	if len(entry) != 1 || !strings.Contains(entry[0], `"serve"`) || !strings.Contains(entry[0], "chelseru") {
		t.Errorf("ENTRYPOINT %v: want chelseru serve", entry)
	}
	text, _ := os.ReadFile("Dockerfile")
	if !strings.Contains(string(text), "CHELSERU_SERVER__DATA_DIR=/data") || !strings.Contains(string(text), "CHELSERU_SERVER__LISTEN=0.0.0.0:8000") {
		t.Error("the image does not configure DATA_DIR and LISTEN through the environment")
	}
}

// unitSettings reads a systemd unit into key -> values.
func unitSettings(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("not key=value: %q", line)
		}
		m[k] = append(m[k], v)
	}
	return m
}

// TestSystemdUnit checks the unit's hardening and restart policy and, where
// systemd-analyze exists, that systemd accepts it.
func TestSystemdUnit(t *testing.T) {
	u := unitSettings(t, "chelseru.service")
	for k, want := range map[string]string{
		"DynamicUser":             "yes",
		"StateDirectory":          "chelseru",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"NoNewPrivileges":         "yes",
		"CapabilityBoundingSet":   "",
		"RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
		"Restart":                 "on-failure",
	} {
		if v := u[k]; len(v) != 1 || v[0] != want {
			t.Errorf("%s=%v, want %q", k, v, want)
		}
	}
	if !slicesContain(u["SystemCallFilter"], "@system-service") {
		t.Errorf("SystemCallFilter=%v lacks @system-service", u["SystemCallFilter"])
	}
	if v := u["RestartPreventExitStatus"]; len(v) != 1 || !slicesContain(strings.Fields(v[0]), "3") {
		t.Errorf("RestartPreventExitStatus=%v: exit 3 (damaged data folder) must not restart", v)
	}
	for _, k := range []string{"MemoryMax", "LimitNOFILE"} {
		if len(u[k]) != 1 {
			t.Errorf("%s not set once: %v", k, u[k])
		}
	}
	if _, ok := u["MemoryDenyWriteExecute"]; ok {
		t.Error("MemoryDenyWriteExecute breaks wazero's compiler")
	}
	if start, ok := u["ExecStart"]; !ok || !strings.Contains(start[0], "chelseru serve") {
		t.Errorf("ExecStart=%v", start)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed: the unit's syntax is not checked by systemd")
	}
	// verify wants the ExecStart binary to exist: point it at an executable.
	dir := t.TempDir()
	bin := filepath.Join(dir, "chelseru")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile("chelseru.service")
	unit := filepath.Join(dir, "chelseru.service")
	if err := os.WriteFile(unit, []byte(strings.ReplaceAll(string(text), "/usr/local/bin/chelseru", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func slicesContain(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

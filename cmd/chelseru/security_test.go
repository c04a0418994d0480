package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestConfigCheckRefusesWhatServeRefuses: every file serve refuses at start,
// config check refuses too, with the same kind of one line and exit 1: an
// unknown service, a missing provider key, a file:// base URL, a data folder
// that is a file, an unusable listen address, a weak signing key (in the
// file, the environment or the key file).
func TestConfigCheckRefusesWhatServeRefuses(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "a-file", "x")
	keyDir := filepath.Join(dir, "weak-key-data")
	if err := os.MkdirAll(keyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, keyDir, "jwt-signing-key", "too-short\n")
	kav := "SMS:\n  SMS_SERVICE: KAVENEGAR_COM\n  SETTINGS:\n    KAVENEGAR_COM_API_KEY: k\n    KAVENEGAR_COM_FROM: \"1\"\n"
	for _, tc := range []struct {
		name, yaml, env, want string
	}{
		{"unknown service", "SMS:\n  SMS_SERVICE: NOPE_COM\n", "", "SMS_SERVICE NOPE_COM: no such plugin"},
		{"missing provider key", "SMS:\n  SMS_SERVICE: KAVENEGAR_COM\n", "", "SMS.SETTINGS.KAVENEGAR_COM_API_KEY is required by plugin KAVENEGAR_COM"},
		{"file base URL", kav + "    KAVENEGAR_COM_BASE_URL: file:///etc/passwd\n", "", "SMS.SETTINGS.KAVENEGAR_COM_BASE_URL"},
		{"data folder is a file", "SERVER:\n  DATA_DIR: " + file + "\n", "", "SERVER.DATA_DIR"},
		{"unusable listen address", "SERVER:\n  LISTEN: 203.0.113.5:8000\n", "", "SERVER.LISTEN: cannot listen on 203.0.113.5:8000"},
		{"weak key in the file", "JWT:\n  SIGNING_KEY: change-me\n", "", "JWT.SIGNING_KEY is 9 bytes long; an HS256 key must be at least 32 random bytes"},
		{"weak key in the environment", "", "CHELSERU_JWT_SIGNING_KEY=change-me", "CHELSERU_JWT_SIGNING_KEY is 9 bytes long"},
		{"weak key file", "SERVER:\n  DATA_DIR: " + keyDir + "\n", "", "signing key file " + filepath.Join(keyDir, "jwt-signing-key") + " is 9 bytes long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			yaml := tc.yaml
			server := "SERVER:\n  PLUGINS_DIR: \"\"\n"
			if !strings.Contains(yaml, "DATA_DIR") {
				server += "  DATA_DIR: " + filepath.Join(dir, "data") + "\n"
			}
			if !strings.Contains(yaml, "LISTEN") {
				server += "  LISTEN: " + freePort(t) + "\n"
			}
			yaml = server + strings.TrimPrefix(yaml, "SERVER:\n")
			cfg := writeFile(t, dir, "c.yaml", yaml)
			for _, args := range [][]string{{"config", "check", "--config", cfg}, {"serve", "--config", cfg}} {
				code, out, errs := runEnv(t, dir, tc.env, args...)
				if args[0] == "serve" {
					errs = lastLine(errs) // serve logs its start before the refusal
				}
				if code != exitFailure || !strings.Contains(errs, tc.want) {
					t.Fatalf("chelseru %s: exit %d, stdout %q, stderr %q; want exit 1 naming %q", args[0], code, out, errs, tc.want)
				}
				oneLine(t, errs)
				if strings.Contains(errs, "change-me") || strings.Contains(errs, "too-short") {
					t.Fatalf("the error shows the key: %s", errs)
				}
			}
		})
	}
}

// runEnv is chelseru with one extra environment variable ("" for none).
func runEnv(t *testing.T, dir, env string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if env == "" {
		return chelseru(t, dir, args...)
	}
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env)
	var out, errb syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	} else if err != nil {
		t.Fatalf("running chelseru %v: %v", args, err)
	}
	return 0, out.String(), errb.String()
}

// TestMaxConnsPerIP: the real binary serves at most SERVER.MAX_CONNS_PER_IP
// connections from one address; a connection beyond it is answered 429 and
// closed, while the ones below the cap keep working.
func TestMaxConnsPerIP(t *testing.T) {
	const limit = 8
	dir := t.TempDir()
	addr := freePort(t)
	cfg := writeFile(t, dir, "c.yaml", fmt.Sprintf("SERVER:\n  LISTEN: %s\n  DATA_DIR: ./data\n  PLUGINS_DIR: \"\"\n  MAX_CONNS_PER_IP: %d\n", addr, limit))
	cmd := exec.Command(binary, "serve", "--config", cfg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CHELSERU_JWT_SIGNING_KEY=")
	var logs syncBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	waitReady(t, "http://"+addr+"/readyz", done)

	get := func(c net.Conn, br *bufio.Reader) (int, error) {
		if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
			return 0, err
		}
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, err
	}
	var conns []net.Conn
	var readers []*bufio.Reader
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	// Hold limit connections open, each proven served.
	for range limit {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(c)
		if st, err := get(c, br); err != nil || st != 200 {
			t.Fatalf("connection %d: %d %v", len(conns)+1, st, err)
		}
		conns, readers = append(conns, c), append(readers, br)
	}
	// One more from the same address is refused.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st, err := get(c, bufio.NewReader(c))
	if err == nil && st != 429 {
		t.Fatalf("connection %d beyond MAX_CONNS_PER_IP %d: status %d", limit+1, limit, st)
	}
	// The held ones still work.
	for i, c := range conns {
		if st, err := get(c, readers[i]); err != nil || st != 200 {
			t.Fatalf("held connection %d after the refusal: %d %v", i+1, st, err)
		}
	}
}

package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSlowBodyMemory measures the server's resident memory with N
// connections that each announce a body of SERVER.MAX_BODY_BYTES and send
// one byte of it (a slow client). It is a measurement, not an assertion, so
// it runs only when asked:
//
//	CHELSERU_SLOWBODY_CONNS=5000 go test ./cmd/chelseru -run TestSlowBodyMemory -v
//
// CHELSERU_SLOWBODY_BINARY runs another build (an older one, to compare) and
// CHELSERU_SLOWBODY_BODY sets the announced body size (default 65536, the old
// default limit; it is raised in the config to match). Connections come from
// 127.0.0.2, 127.0.0.3, ... (at most 100 each) so a per-address cap does not
// stop them. Figures are in docs/RATIONALE.md ("Slow clients").
func TestSlowBodyMemory(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CHELSERU_SLOWBODY_CONNS"))
	if n <= 0 {
		t.Skip("set CHELSERU_SLOWBODY_CONNS=N to measure")
	}
	bin := binary
	if b := os.Getenv("CHELSERU_SLOWBODY_BINARY"); b != "" {
		bin = b
	}
	body := 65536
	if b, err := strconv.Atoi(os.Getenv("CHELSERU_SLOWBODY_BODY")); err == nil && b > 0 {
		body = b
	}
	dir := t.TempDir()
	addr := freePort(t)
	cfg := writeFile(t, dir, "c.yaml", fmt.Sprintf("SERVER:\n  LISTEN: %s\n  DATA_DIR: ./data\n  PLUGINS_DIR: \"\"\n  MAX_BODY_BYTES: %d\n  READ_TIMEOUT: 10m\n", addr, body))
	cmd := exec.Command(bin, "serve", "--config", cfg)
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
	time.Sleep(time.Second)
	before := rssKB(t, cmd.Process.Pid)

	head := fmt.Sprintf("POST /api/otp/send/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", body)
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, byte(i/100/250), byte(2+i/100%250))}}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		if _, err := c.Write([]byte(head)); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	// Let the server read what was sent (a measurement: the sleep only
	// lets the figure settle).
	time.Sleep(3 * time.Second)
	after := rssKB(t, cmd.Process.Pid)
	t.Logf("%d slow-body connections (Content-Length %d, 1 byte sent): RSS %d MB -> %d MB, %.1f KB per connection",
		n, body, before/1024, after/1024, float64(after-before)/float64(n))
}

// rssKB is the resident set size of process pid, in KiB.
func rssKB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

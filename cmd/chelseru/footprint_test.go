package main

import (
	"regexp"
	"testing"
	"time"
)

// TestIdleTrim: with SMS.PLUGIN_IDLE_TIMEOUT the real server closes its
// plugin instances once no code has been sent for that long
// (chelseru_plugin_instances 0), and the next code is sent on a new one;
// with 0 it keeps them.
func TestIdleTrim(t *testing.T) {
	instances := regexp.MustCompile(`(?m)^chelseru_plugin_instances (\d+)$`)
	gauge := func(s *dsServer) string {
		t.Helper()
		st, body := s.do("GET", "/metrics", "", "", "")
		m := instances.FindStringSubmatch(body)
		if st != 200 || m == nil {
			t.Fatalf("metrics: %d, no chelseru_plugin_instances", st)
		}
		return m[1]
	}
	send := func(s *dsServer, mobile string) {
		t.Helper()
		if st, body := s.do("POST", "/api/otp/send/", "", "application/json", `{"mobile_number":"`+mobile+`"}`); st != 200 {
			t.Fatalf("otp/send: %d %s", st, body)
		}
	}
	dir := t.TempDir()
	cfg, addr := dsConfig(t, dir, "c.yaml", dir+"/data", "SMS:\n  PLUGIN_IDLE_TIMEOUT: 1s\n")
	s := dsStart(t, dir, cfg, addr)
	send(s, "09120000001")
	waitUntil(t, func() bool { return gauge(s) == "0" })
	send(s, "09120000002")
	if g := gauge(s); g != "1" {
		t.Fatalf("instances after a send that followed a trim: %s", g)
	}
	s.stop()

	cfg, addr = dsConfig(t, dir, "keep.yaml", dir+"/data", "SMS:\n  PLUGIN_IDLE_TIMEOUT: 0s\n")
	s = dsStart(t, dir, cfg, addr)
	send(s, "09120000003")
	time.Sleep(1500 * time.Millisecond) // longer than the timeout above: nothing is trimmed with 0
	if g := gauge(s); g != "1" {
		t.Fatalf("instances with PLUGIN_IDLE_TIMEOUT 0: %s", g)
	}
	s.stop()
}

// waitUntil polls cond up to a generous bound.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached in 60 s")
}

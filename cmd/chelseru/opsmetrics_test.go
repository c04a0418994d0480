package main

import (
	"strings"
	"testing"
)

// TestMetricNamesAndLogKeys runs the real binary with JSON logs at debug
// level (Badger's chatter included), then checks /metrics: the build_info
// gauge, the provider latency histogram, no stuttering plugin metric; and
// that no log line carries "component" twice.
func TestMetricNamesAndLogKeys(t *testing.T) {
	dir := t.TempDir()
	cfg, addr := dsConfig(t, dir, "c.yaml", dir+"/data", "LOG:\n  LEVEL: debug\n  FORMAT: json\n")
	s := dsStart(t, dir, cfg, addr)
	s.login("09121234567")
	st, body := s.do("GET", "/metrics", "", "", "")
	if st != 200 {
		t.Fatalf("/metrics: %d", st)
	}
	for _, want := range []string{
		`chelseru_build_info{commit="`,
		`goversion="go`,
		"chelseru_plugin_errors_total 0",
		`chelseru_provider_request_duration_seconds_bucket{le="0.025"} 0`,
		`chelseru_provider_request_duration_seconds_bucket{le="+Inf"} 0`,
		"chelseru_provider_request_duration_seconds_count 0",
		"# TYPE chelseru_provider_request_duration_seconds histogram",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	for _, gone := range []string{"chelseru_plugin_plugin_errors_total", "chelseru_plugin_http_seconds_total"} {
		if strings.Contains(body, gone) {
			t.Errorf("/metrics still has %s", gone)
		}
	}
	s.stop()
	var badger int
	for _, line := range strings.Split(s.logs.String(), "\n") {
		if n := strings.Count(line, `"component":`); n > 1 {
			t.Errorf("log line carries component %d times: %s", n, line)
		}
		if strings.Contains(line, `"component":"badger"`) {
			badger++
		}
	}
	if badger == 0 {
		t.Errorf("no Badger line at debug level to check; log:\n%s", s.logs.String())
	}
}

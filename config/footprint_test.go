package config

import (
	"testing"
	"time"
)

// TestPluginIdleTimeout: SMS.PLUGIN_IDLE_TIMEOUT defaults to 30s, takes 0
// (keep instances) and refuses values outside [0, 24h] with the key named.
func TestPluginIdleTimeout(t *testing.T) {
	if got := Default().SMS.PluginIdleTimeout; got != 30*time.Second {
		t.Fatalf("default %v", got)
	}
	for src, want := range map[string]time.Duration{"SMS:\n  PLUGIN_IDLE_TIMEOUT: 0s\n": 0, "SMS:\n  PLUGIN_IDLE_TIMEOUT: 5m\n": 5 * time.Minute} {
		c, err := Parse([]byte(src))
		if err != nil || c.SMS.PluginIdleTimeout != want {
			t.Errorf("%q: %v %v", src, c, err)
		}
	}
	for src, want := range map[string]string{
		"SMS:\n  PLUGIN_IDLE_TIMEOUT: -1s\n": "SMS.PLUGIN_IDLE_TIMEOUT must be between 0s and 24h0m0s, got -1s (line 2)",
		"SMS:\n  PLUGIN_IDLE_TIMEOUT: 25h\n": "SMS.PLUGIN_IDLE_TIMEOUT must be between 0s and 24h0m0s, got 25h0m0s (line 2)",
		"SMS:\n  PLUGIN_IDLE_TIMEOUT: 30\n":  "SMS.PLUGIN_IDLE_TIMEOUT: 30 is a bare number; a duration needs a unit, e.g. 30s (line 2)",
	} {
		if _, err := Parse([]byte(src)); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %s", src, err, want)
		}
	}
}

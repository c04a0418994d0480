package config

import (
	"slices"
	"testing"
	"time"
)

// TestPluginEgressKeys: SMS.PLUGIN_ALLOWED_HOSTS, SMS.PLUGIN_OVERRIDES and
// SMS.PROVIDER_IDLE_TIMEOUT are read, defaulted and checked with one-line
// errors.
func TestPluginEgressKeys(t *testing.T) {
	d := Default()
	if d.SMS.ProviderIdleTimeout != 4*time.Second || len(d.SMS.PluginAllowedHosts) != 0 || len(d.SMS.PluginOverrides) != 0 {
		t.Fatalf("defaults: %+v", d.SMS)
	}
	c, err := Parse([]byte(`SMS:
  PLUGIN_ALLOWED_HOSTS:
    MY_SMS: [api.my-sms.example, "10.0.0.5:8443", "[fd00::1]:80"]
    OTHER: sms.other.example
  PLUGIN_OVERRIDES: [KAVENEGAR_COM]
  PROVIDER_IDLE_TIMEOUT: 2s
`))
	if err != nil {
		t.Fatal(err)
	}
	s := c.SMS
	if !slices.Equal(s.PluginAllowedHosts["MY_SMS"], []string{"api.my-sms.example", "10.0.0.5:8443", "[fd00::1]:80"}) ||
		!slices.Equal(s.PluginAllowedHosts["OTHER"], []string{"sms.other.example"}) ||
		!slices.Equal(s.PluginOverrides, []string{"KAVENEGAR_COM"}) || s.ProviderIdleTimeout != 2*time.Second {
		t.Fatalf("parsed %+v", s)
	}
	for _, tt := range []struct{ src, want string }{
		{"SMS:\n  PLUGIN_ALLOWED_HOSTS:\n    MY_SMS: [\"http://x/\"]\n", `SMS.PLUGIN_ALLOWED_HOSTS.MY_SMS[0] must be a host name or address, optionally with :port (e.g. api.example.com or 10.0.0.5:8080), got "http://x/" (line 3)`},
		{"SMS:\n  PLUGIN_ALLOWED_HOSTS:\n    my_sms: [x.example]\n", `SMS.PLUGIN_ALLOWED_HOSTS: "my_sms" is not a service name (A-Z, 0-9 and _) (line 3)`},
		{"SMS:\n  PLUGIN_ALLOWED_HOSTS: [x.example]\n", `SMS.PLUGIN_ALLOWED_HOSTS must be a mapping of service names to lists of hosts, got a list (line 2)`},
		{"SMS:\n  PLUGIN_OVERRIDES: [kavenegar]\n", `SMS.PLUGIN_OVERRIDES[0] must be a service name such as KAVENEGAR_COM, got "kavenegar" (line 2)`},
		{"SMS:\n  PROVIDER_IDLE_TIMEOUT: 0s\n", `SMS.PROVIDER_IDLE_TIMEOUT must be between 100ms and 10m0s, got 0s (line 2)`},
	} {
		_, err := Parse([]byte(tt.src))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error\n got %v\nwant %s", tt.src, err, tt.want)
		}
	}
}

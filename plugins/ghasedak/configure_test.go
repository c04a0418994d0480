package ghasedak

import (
	"strings"
	"testing"
)

// TestConfigure: each bad setting is refused with its key named and
// without the API key in the text.
func TestConfigure(t *testing.T) {
	for _, tt := range []struct {
		settings map[string]string
		want     string
	}{
		{map[string]string{}, SettingAPIKey + " is required"},
		{map[string]string{SettingAPIKey: "secret-key\rx"}, SettingAPIKey + " must be one line"},
		{map[string]string{SettingAPIKey: "secret-key", SettingLineNumber: "3000 5088"}, SettingLineNumber},
		{map[string]string{SettingAPIKey: "secret-key", SettingTemplateNames: "100"}, SettingTemplateNames},
		{map[string]string{SettingAPIKey: "secret-key", SettingTemplateNames: "x=Otp"}, SettingTemplateNames},
		{map[string]string{SettingAPIKey: "secret-key", SettingTemplateNames: "100="}, SettingTemplateNames},
		{map[string]string{SettingAPIKey: "secret-key", SettingBaseURL: "gateway.ghasedak.me"}, SettingBaseURL},
		// The removed naming setting is refused with where the names go now.
		{map[string]string{SettingAPIKey: "secret-key", SettingParamNames: "Code,Name"}, SettingParamNames + " is no longer read: name the template's parameters in SMS.TEMPLATE_PARAMS"},
	} {
		err := New().Configure(tt.settings)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "secret-key") {
			t.Errorf("%v: got %v, want an error with %q", tt.settings, err, tt.want)
		}
	}
	if err := New().Configure(map[string]string{SettingAPIKey: "k", SettingLineNumber: "fastest", SettingTemplateNames: "1=Otp, 2=Order"}); err != nil {
		t.Fatal(err)
	}
}

package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/chelseru/chelseru"
)

// TestTemplateParams: SMS.TEMPLATE_PARAMS is read from YAML, validated with
// one line naming the key, and turned into names per template id.
func TestTemplateParams(t *testing.T) {
	c, err := Parse([]byte("SMS:\n  TEMPLATE_PARAMS:\n    \"100\": CODE\n    \"200\": \"NAME, CODE\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := chelseru.TemplateParams{100: {"CODE"}, 200: {"NAME", "CODE"}}
	if got := c.SMS.TemplateParamNames(); !reflect.DeepEqual(got, want) {
		t.Errorf("TemplateParamNames = %v, want %v", got, want)
	}
	for _, tt := range []struct{ yaml, want string }{
		{"x: CODE", "SMS.TEMPLATE_PARAMS.x: the key must be a template id"},
		{"\"0\": CODE", "must be a template id"},
		{"\"100\": \"\"", "must list 1 to 16 parameter names"},
		{"\"100\": \"A,B,A\"", "names \"A\" twice"},
		{"\"100\": \"A,,B\"", "parameter names are 1 to 64"},
		{"\"100\": \"کد\"", "parameter names are 1 to 64"},
		{"\"100\": \"" + strings.Repeat("A,", 16) + "Z\"", "1 to 16"},
	} {
		_, err := Parse([]byte("SMS:\n  TEMPLATE_PARAMS:\n    " + tt.yaml + "\n"))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.yaml, err, tt.want)
		}
	}
}

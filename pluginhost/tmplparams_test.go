package pluginhost

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/internal/fakeprovider"
	"github.com/chelseru/chelseru/sdk/abi"
)

// TestValidateTemplateParams: a manifest's template_params are bounded in
// count and length, distinct and plain; a refusal is one line that never
// repeats a huge name whole.
func TestValidateTemplateParams(t *testing.T) {
	many := make([]string, 17)
	for i := range many {
		many[i] = "P" + strings.Repeat("x", i)
	}
	for _, tt := range []struct {
		names []string
		want  string // "" for valid
	}{
		{nil, ""},
		{[]string{"CODE"}, ""},
		{[]string{"Code", "user-name", "v.2", strings.Repeat("A", 64)}, ""},
		{many[:16], ""},
		{many, "lists 17 names; at most 16"},
		{[]string{"Code", "Code"}, `names "Code" twice`},
		{[]string{""}, "is not a parameter name"},
		{[]string{strings.Repeat("N", 65)}, "is not a parameter name"},
		{[]string{strings.Repeat("N", 100000)}, "is not a parameter name"},
		{[]string{"Co\"de\n"}, `"Co\"de\n" is not a parameter name`},
		{[]string{"کد"}, "is not a parameter name"},
		{[]string{"a b"}, "is not a parameter name"},
	} {
		err := validateTemplateParams(tt.names)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%.40q: %v", tt.names, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") || len(err.Error()) > 300):
			t.Errorf("%.40q: error %.300v, want one short line with %q", tt.names, err, tt.want)
		}
	}
	// Through validateManifest, as at load.
	man := abi.Manifest{ABI: abi.Version, Name: "X", Version: "1", TemplateParams: []string{"A", "A"}}
	if err := validateManifest(&man); err == nil || !strings.Contains(err.Error(), "template_params") {
		t.Errorf("validateManifest: %v", err)
	}
}

// TestTemplateParamsHostileLoad: real modules whose manifest names too
// many, too long or repeated parameters are refused by Check and by Open
// with a one-line manifest error naming the module, never a crash; beside
// a good service they are not loaded and the service serves.
func TestTemplateParamsHostileLoad(t *testing.T) {
	for _, tt := range []struct{ module, want string }{
		{"tmplmany", "template_params lists 17 names; at most 16"},
		{"tmplhuge", "is not a parameter name"},
		{"tmpldup", `template_params names "Code" twice`},
	} {
		t.Run(tt.module, func(t *testing.T) {
			_, err := Check(context.Background(), mods[tt.module])
			if err == nil || !strings.Contains(err.Error(), "manifest: ") || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") || len(err.Error()) > 400 {
				t.Fatalf("Check: %v, want one short line with %q", err, tt.want)
			}
			dir := pluginsDir(t, map[string][]byte{"hostile_tmpl.wasm": mods[tt.module]})
			_, err = Open(context.Background(), Config{Service: "HOSTILE_TMPL", PluginsDir: dir, Builtins: builtins(), PollInterval: -1, DataDir: cacheDir, Logger: discardLogger})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "hostile_tmpl.wasm") {
				t.Fatalf("Open: %v, want it to name the module and %q", err, tt.want)
			}
			h, _ := open(t, Config{Service: "CONSOLE", PluginsDir: dir, PollInterval: -1})
			sendOK(t, h, "hello")
		})
	}
}

// TestMessageParams: the operator's names win; else the manifest's name
// the template's variables in order; texts, templates without variables and
// plugins without names get none.
func TestMessageParams(t *testing.T) {
	man := &abi.Manifest{TemplateParams: []string{"CODE", "MIN"}}
	for _, tt := range []struct {
		man  *abi.Manifest
		msg  chelseru.SMS
		want []abi.Param
	}{
		{man, chelseru.SMS{TemplateID: 1, Vars: []string{"4821"}}, []abi.Param{{Name: "CODE", Value: "4821"}}},
		{man, chelseru.SMS{TemplateID: 1, Vars: []string{"4821", "2", "x"}}, []abi.Param{{Name: "CODE", Value: "4821"}, {Name: "MIN", Value: "2"}}},
		{man, chelseru.SMS{TemplateID: 1, Vars: []string{"4821"}, Params: []chelseru.SMSParam{{Name: "OtpCode", Value: "4821"}}}, []abi.Param{{Name: "OtpCode", Value: "4821"}}},
		{man, chelseru.SMS{Text: "hi"}, nil},
		{man, chelseru.SMS{TemplateID: 1}, nil},
		{&abi.Manifest{}, chelseru.SMS{TemplateID: 1, Vars: []string{"4821"}}, nil},
	} {
		if got := messageParams(tt.man, &tt.msg); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%+v: %v, want %v", tt.msg, got, tt.want)
		}
	}
}

// TestTemplateParamsSMSIR: the real SMS_IR module, through the real host,
// sends an OTP template to the fake SMS.ir with the parameter named by its
// manifest alone (no SMS.TEMPLATE_PARAMS, no plugin setting); the
// operator's SMS.TEMPLATE_PARAMS wins over it; a second variable the
// manifest does not name is refused before any request.
func TestTemplateParamsSMSIR(t *testing.T) {
	wasm, ok := mods["sms_ir"]
	if !ok {
		t.Skip("plugins/smsir is not in this tree")
	}
	fake := fakeprovider.NewSMSIR()
	t.Cleanup(fake.Close)
	h, _ := open(t, Config{
		Service:      "SMS_IR",
		Builtins:     fstest.MapFS{"sms_ir.wasm": &fstest.MapFile{Data: wasm}},
		Settings:     map[string]string{"SMS_IR_API_KEY": fakeprovider.SMSIRAPIKey, "SMS_IR_BASE_URL": fake.URL()},
		PollInterval: -1,
	})
	if got := h.Manifest().TemplateParams; !reflect.DeepEqual(got, []string{"CODE"}) {
		t.Fatalf("manifest template_params %q, want [CODE]", got)
	}
	otp := chelseru.SMS{To: "09121234567", TemplateID: 100, Vars: []string{"4821"}}
	last := func() fakeprovider.Received {
		t.Helper()
		rec := fake.Received()
		if len(rec) == 0 {
			t.Fatal("the fake received nothing")
		}
		return rec[len(rec)-1]
	}

	if _, err := h.Send(context.Background(), otp); err != nil {
		t.Fatalf("send with the manifest's names: %v", err)
	}
	if got := last(); got.Template != "100" || !reflect.DeepEqual(got.Names, []string{"CODE"}) || !reflect.DeepEqual(got.Vars, []string{"4821"}) {
		t.Errorf("the fake received %+v, want template 100, names [CODE], vars [4821]", got)
	}

	named := chelseru.NamingSender(h, chelseru.TemplateParams{100: {"OtpCode"}})
	if _, err := named.Send(context.Background(), otp); err != nil {
		t.Fatalf("send with SMS.TEMPLATE_PARAMS: %v", err)
	}
	if got := last(); !reflect.DeepEqual(got.Names, []string{"OtpCode"}) || !reflect.DeepEqual(got.Vars, []string{"4821"}) {
		t.Errorf("the fake received %+v, want the operator's name OtpCode", got)
	}

	before := len(fake.Received())
	_, err := h.Send(context.Background(), chelseru.SMS{To: "09121234567", TemplateID: 100, Vars: []string{"4821", "2"}})
	var se *chelseru.SMSError
	if !errors.As(err, &se) || se.Class != chelseru.SMSBadRequest || !strings.Contains(se.Text, "template variable 2 has no name") {
		t.Errorf("two variables, one name: %v, want a bad_request refusal", err)
	}
	if n := len(fake.Received()); n != before {
		t.Errorf("the refused send reached the fake (%d requests, want %d)", n, before)
	}
}

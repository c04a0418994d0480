package fakeprovider

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/pluginhost"
	"github.com/chelseru/chelseru/pluginhost/plugintest"
)

// TestThroughHost sends through the real host with each provider's compiled
// module: the fakes answer what the modules expect.
func TestThroughHost(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the provider modules")
	}
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			wasm := plugintest.BuildWasm(t, "github.com/chelseru/chelseru/plugins/"+p.name+"/wasm")
			data, err := os.ReadFile(wasm)
			if err != nil {
				t.Fatal(err)
			}
			service := p.plugin().Manifest().Name
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, strings.ToLower(service)+".wasm"), data, 0o600); err != nil {
				t.Fatal(err)
			}
			s := p.start()
			defer s.Close()
			cache := t.TempDir()
			open := func(creds map[string]string) *pluginhost.Host {
				settings := map[string]string{p.baseKey: s.URL()}
				for k, v := range creds {
					settings[k] = v
				}
				h, err := pluginhost.Open(context.Background(), pluginhost.Config{
					DataDir: cache, PluginsDir: dir, Service: service, Settings: settings, Timeout: 300 * time.Millisecond,
					Logger: slog.New(slog.DiscardHandler), Builtins: fstest.MapFS{}, PollInterval: -1,
					// The module in PluginsDir has a built-in's name: the operator opts in.
					Overrides: []string{service},
				})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = h.Close(context.Background()) })
				return h
			}
			h := open(p.settings)
			sms := chelseru.SMS{To: "09121112233", TemplateID: 100, Vars: []string{"918273"}}
			if res, err := h.Send(context.Background(), sms); err != nil || res.MessageID == "" && p.name != "parsianwebco" {
				t.Fatalf("send: %+v %v", res, err)
			}
			if code, _ := s.Code("09121112233"); code != "918273" {
				t.Errorf("Code = %q", code)
			}

			class := func(err error) chelseru.SMSErrorClass {
				var se *chelseru.SMSError
				if !errors.As(err, &se) {
					t.Fatalf("want an *SMSError, got %v", err)
				}
				return se.Class
			}
			s.SetBehavior(Reject)
			_, err = h.Send(context.Background(), sms)
			if got := class(err); string(got) != p.rejectCls {
				t.Errorf("Reject: %s", got)
			}
			s.SetBehavior(ServerError)
			if _, err := h.Send(context.Background(), sms); class(err) != chelseru.SMSTemporary {
				t.Errorf("ServerError: %v", err)
			}
			s.SetBehavior(Hang)
			if _, err := h.Send(context.Background(), sms); class(err) != chelseru.SMSTimeout {
				t.Errorf("Hang: %v", err)
			}
			s.SetBehavior(OK)
			bad := open(p.bad)
			if _, err := bad.Send(context.Background(), sms); class(err) != chelseru.SMSBadCredentials {
				t.Errorf("wrong credentials: %v", err)
			}
		})
	}
}

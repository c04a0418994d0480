package webhook_test

import (
	"testing"

	"github.com/chelseru/chelseru/plugins/webhook"
	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/plugintest"
)

var fuzzed = plugintest.Fuzzed{
	New:       func() sdk.Plugin { return webhook.New() },
	Settings:  map[string]string{"WEBHOOK_SECRET": "fuzz-secret-key-0123", "WEBHOOK_BASE_URL": "https://hook.example/in"},
	Secret:    "fuzz-secret-key-0123",
	State:     "",
	URLPrefix: "https://hook.example/in",
}

// FuzzResponse: any answer gives a success or a classified failure, never
// a panic, and never the secret.
func FuzzResponse(f *testing.F) {
	f.Add(200, `{"code":1,"message":"ok","data":{"messageId":1}}`)
	f.Add(400, `{"code":102,"message":"fuzz-secret-key-0123"}`)
	f.Add(200, `{"code":99999999999999999999}`)
	plugintest.FuzzResponse(f, fuzzed)
}

// FuzzSend: any message gives a JSON request to the provider or a
// classified refusal.
func FuzzSend(f *testing.F) { plugintest.FuzzSend(f, fuzzed) }

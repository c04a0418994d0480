package ghasedak_test

import (
	"testing"

	"github.com/chelseru/chelseru/plugins/ghasedak"
	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/plugintest"
)

var fuzzed = plugintest.Fuzzed{
	New:       func() sdk.Plugin { return ghasedak.New() },
	Settings:  map[string]string{"GHASEDAK_ME_API_KEY": "fuzz-secret-key-0123", "GHASEDAK_ME_LINE_NUMBER": "3000"},
	Secret:    "fuzz-secret-key-0123",
	State:     "otp",
	URLPrefix: "https://gateway.ghasedak.me/rest/api/v1/WebService/",
}

// FuzzResponse: any answer gives a success or a classified failure, never
// a panic, and never the secret.
func FuzzResponse(f *testing.F) {
	f.Add(200, `{"statusCode":1,"message":"ok","data":{"messageId":1}}`)
	f.Add(400, `{"statusCode":102,"message":"fuzz-secret-key-0123"}`)
	f.Add(200, `{"statusCode":99999999999999999999}`)
	plugintest.FuzzResponse(f, fuzzed)
}

// FuzzSend: any message gives a JSON request to the provider or a
// classified refusal.
func FuzzSend(f *testing.F) { plugintest.FuzzSend(f, fuzzed) }

package smsir_test

import (
	"testing"

	"github.com/chelseru/chelseru/plugins/smsir"
	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/plugintest"
)

var fuzzed = plugintest.Fuzzed{
	New:       func() sdk.Plugin { return smsir.New() },
	Settings:  map[string]string{"SMS_IR_API_KEY": "fuzz-secret-key-0123", "SMS_IR_LINE_NUMBER": "3000"},
	Secret:    "fuzz-secret-key-0123",
	State:     "verify",
	URLPrefix: "https://api.sms.ir/v1/send/",
}

// FuzzResponse: any answer gives a success or a classified failure, never
// a panic, and never the secret.
func FuzzResponse(f *testing.F) {
	f.Add(200, `{"status":1,"message":"ok","data":{"messageId":1}}`)
	f.Add(400, `{"status":102,"message":"fuzz-secret-key-0123"}`)
	f.Add(200, `{"status":99999999999999999999}`)
	plugintest.FuzzResponse(f, fuzzed)
}

// FuzzSend: any message gives a JSON request to the provider or a
// classified refusal.
func FuzzSend(f *testing.F) { plugintest.FuzzSend(f, fuzzed) }

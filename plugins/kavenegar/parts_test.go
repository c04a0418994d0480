package kavenegar_test

import (
	"testing"

	"github.com/chelseru/chelseru/plugins/kavenegar"
	"github.com/chelseru/chelseru/sdk/abi"
	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// The Part benchmarks split one send into its pieces (the plugin's Send and
// Response, the JSON pass, the ABI codec), natively or inside a wasm
// runtime: GOOS=wasip1 GOARCH=wasm go test -c, then run the binary with any
// WASI runtime and -test.bench Part.

var partBody = `{"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":8792343,"message":"کد تایید شما 482193","status":5,"statustext":"ارسال به مخابرات","sender":"10008663","receptor":"09123456789","date":1356619709,"cost":120}]}`

// BenchmarkPartSend is the plugin building a lookup request.
func BenchmarkPartSend(b *testing.B) {
	p := kavenegar.New()
	_ = p.Configure(map[string]string{"KAVENEGAR_COM_API_KEY": "0123456789abcdef0123456789abcdef"})
	m := abi.Message{To: "09123456789", TemplateID: 100, Vars: []string{"482193"}}
	for b.Loop() {
		_ = p.Send(m)
	}
}

// BenchmarkPartResponse is the plugin reading a success answer.
func BenchmarkPartResponse(b *testing.B) {
	p := kavenegar.New()
	_ = p.Configure(map[string]string{"KAVENEGAR_COM_API_KEY": "0123456789abcdef0123456789abcdef"})
	r := abi.Response{State: "lookup", Status: 200, Body: partBody}
	for b.Loop() {
		_ = p.Response(r)
	}
}

// BenchmarkPartParse is strict validation of the answer alone.
func BenchmarkPartParse(b *testing.B) {
	d := []byte(partBody)
	for b.Loop() {
		_, _ = jsonlite.Parse(d)
	}
}

// BenchmarkPartCodec is the ABI encoding around one send (not the plugin).
func BenchmarkPartCodec(b *testing.B) {
	msgJSON := abi.AppendMessage(nil, &abi.Message{To: "09123456789", TemplateID: 100, Vars: []string{"482193"}})
	respJSON := abi.AppendResponse(nil, &abi.Response{State: "lookup", Status: 200,
		Headers: []abi.Header{{Name: "Content-Type", Value: "application/json"}}, Body: partBody})
	p := kavenegar.New()
	_ = p.Configure(map[string]string{"KAVENEGAR_COM_API_KEY": "0123456789abcdef0123456789abcdef"})
	a1 := p.Send(abi.Message{To: "09123456789", TemplateID: 100, Vars: []string{"482193"}})
	a2 := p.Response(abi.Response{Status: 200, Body: partBody})
	var out []byte
	for b.Loop() {
		var m abi.Message
		_ = abi.DecodeMessage(msgJSON, &m)
		out = abi.AppendAction(out[:0], &a1)
		var r abi.Response
		_ = abi.DecodeResponse(respJSON, &r)
		out = abi.AppendAction(out[:0], &a2)
	}
}

var partPaths = [][]string{{"return", "status"}, {"return", "message"}, {"entries", "0", "messageid"}, {"entries", "0", "status"}, {"entries", "0", "statustext"}}

// BenchmarkPartExtract is the single pass the plugin makes over the answer.
func BenchmarkPartExtract(b *testing.B) {
	var f [5]jsonlite.Value
	for b.Loop() {
		_, _ = jsonlite.ExtractString(partBody, partPaths, f[:])
	}
}

// BenchmarkPartParseString is Parse without copying the body.
func BenchmarkPartParseString(b *testing.B) {
	for b.Loop() {
		_, _ = jsonlite.ParseString(partBody)
	}
}

// BenchmarkPartDecodeResponse is the ABI decoding of the answer alone.
func BenchmarkPartDecodeResponse(b *testing.B) {
	respJSON := abi.AppendResponse(nil, &abi.Response{State: "lookup", Status: 200,
		Headers: []abi.Header{{Name: "Content-Type", Value: "application/json"}}, Body: partBody})
	for b.Loop() {
		var r abi.Response
		_ = abi.DecodeResponse(respJSON, &r)
	}
}

package melipayamak_test

import (
	"testing"

	"github.com/chelseru/chelseru/plugins/melipayamak"
	"github.com/chelseru/chelseru/sdk/abi"
)

var zmsg = abi.AppendMessage(nil, &abi.Message{To: "09123456789", TemplateID: 12345, Vars: []string{"482193"}, Ref: "0123456789abcdef"})
var zresp = abi.AppendResponse(nil, &abi.Response{State: "template", Status: 200,
	Headers: []abi.Header{{Name: "Content-Length", Value: "66"}, {Name: "Content-Type", Value: "application/json; charset=utf-8"}},
	Body:    `{"Value":"4618752319476528134","RetStatus":1,"StrRetStatus":"Ok"}`})

func zp() interface {
	Send(abi.Message) abi.Action
	Response(abi.Response) abi.Action
} {
	p := melipayamak.New()
	_ = p.Configure(settings)
	return p
}

func BenchmarkZ1DecodeMsg(b *testing.B) {
	var m abi.Message
	for b.Loop() {
		_ = abi.DecodeMessageView(zmsg, &m)
	}
}
func BenchmarkZ2Send(b *testing.B) {
	p := zp()
	var m abi.Message
	_ = abi.DecodeMessageView(zmsg, &m)
	for b.Loop() {
		_ = p.Send(m)
	}
}
func BenchmarkZ3AppendReq(b *testing.B) {
	p := zp()
	var m abi.Message
	_ = abi.DecodeMessageView(zmsg, &m)
	a := p.Send(m)
	var out []byte
	for b.Loop() {
		out = abi.AppendAction(out[:0], &a)
	}
}
func BenchmarkZ4DecodeResp(b *testing.B) {
	var r abi.Response
	for b.Loop() {
		_ = abi.DecodeResponseView(zresp, &r)
	}
}
func BenchmarkZ5Response(b *testing.B) {
	p := zp()
	var r abi.Response
	_ = abi.DecodeResponseView(zresp, &r)
	for b.Loop() {
		_ = p.Response(r)
	}
}
func BenchmarkZ6AppendRes(b *testing.B) {
	p := zp()
	var r abi.Response
	_ = abi.DecodeResponseView(zresp, &r)
	a := p.Response(r)
	var out []byte
	for b.Loop() {
		out = abi.AppendAction(out[:0], &a)
	}
}

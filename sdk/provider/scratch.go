package provider

import (
	"unsafe"

	"github.com/chelseru/chelseru/sdk/abi"
)

// Scratch is where a plugin builds the Request and the Result it returns,
// reused from call to call instead of two allocations and a copy of the body
// per send (in a wasm guest an allocation costs ~150 ns, a few percent of a
// send). What its methods return is valid until the plugin's next call:
// the SDK encodes an Action before it calls the plugin again, and a
// plugin's own tests must not keep one Action across calls. Keep a Scratch
// in the Plugin value.
type Scratch struct {
	req abi.Request
	res abi.Result
}

// POSTForm returns a POST of the form body (application/x-www-form-urlencoded,
// expecting JSON back) to url. The body is not copied: do not change body
// until the next call.
func (s *Scratch) POSTForm(url string, body []byte) *abi.Request {
	s.req = abi.Request{Method: "POST", URL: url, Headers: formHeaders}
	if len(body) > 0 {
		s.req.Body = unsafe.String(&body[0], len(body))
	}
	return &s.req
}

// Result returns res, held in s.
func (s *Scratch) Result(res abi.Result) *abi.Result {
	s.res = res
	return &s.res
}

package plugintest

import (
	"errors"
	"fmt"
	"slices"

	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
)

// MaxSteps bounds the requests one native send may make, as the host's
// pluginhost.MaxSteps does.
const MaxSteps = 8

// Trace is what a plugin did for one send.
type Trace struct {
	// Requests are the requests it asked for, in order.
	Requests []abi.Request
	// States are the States returned beside each request.
	States []string
	// Result is the end of the send.
	Result abi.Result
}

// RunNative configures p with c.Settings, sends c.Message and answers each
// request with the next recorded response, passing every input and output
// through the ABI's JSON encoding as the host does, and naming a template's
// variables with the manifest's TemplateParams when c.Message names none,
// as the host does. It returns what the
// plugin did; an error means the plugin broke the protocol (it refused its
// configuration, asked for more requests than were recorded, or returned
// an action that is not exactly one of request and result).
func RunNative(p sdk.Plugin, c *Case) (Trace, error) {
	var tr Trace
	if err := p.Configure(c.Settings); err != nil {
		return tr, fmt.Errorf("configure: %w", err)
	}
	var msg abi.Message
	if err := abi.DecodeMessage(abi.AppendMessage(nil, &c.Message), &msg); err != nil {
		return tr, fmt.Errorf("message round trip: %w", err)
	}
	msg.Params = DefaultParams(&msg, p.Manifest().TemplateParams)
	action, err := roundTrip(p.Send(msg))
	for step := 0; err == nil; step++ {
		if action.Result != nil {
			tr.Result = *action.Result
			return tr, nil
		}
		tr.Requests = append(tr.Requests, *action.Request)
		tr.States = append(tr.States, action.State)
		if step >= len(c.Exchanges) {
			return tr, fmt.Errorf("the plugin asked for request %d, but only %d were recorded", step+1, len(c.Exchanges))
		}
		if step >= MaxSteps {
			return tr, fmt.Errorf("the plugin asked for more than %d requests", MaxSteps)
		}
		resp := c.Exchanges[step].Response
		resp.State = action.State
		resp.Headers = slices.Clone(resp.Headers)
		var in abi.Response
		if err := abi.DecodeResponse(abi.AppendResponse(nil, &resp), &in); err != nil {
			return tr, fmt.Errorf("response round trip: %w", err)
		}
		action, err = roundTrip(p.Response(in))
	}
	return tr, err
}

// roundTrip encodes and decodes an action as the host would, and checks it.
func roundTrip(a abi.Action) (abi.Action, error) {
	var out abi.Action
	if err := abi.DecodeAction(abi.AppendAction(nil, &a), &out); err != nil {
		return out, fmt.Errorf("action does not survive the ABI encoding: %w", err)
	}
	if (out.Request == nil) == (out.Result == nil) {
		return out, errors.New("the action must hold exactly one of request and result")
	}
	if r := out.Result; r != nil && !r.OK && !validClass(r.Class) {
		return out, fmt.Errorf("the result has unknown error class %q", r.Class)
	}
	return out, nil
}

func validClass(c string) bool {
	switch c {
	case abi.ClassBadCredentials, abi.ClassBadRequest, abi.ClassOutOfCredit,
		abi.ClassRateLimited, abi.ClassTemporary, abi.ClassPermanent:
		return true
	}
	return false
}

// Diff compares a native trace with the case and returns one line per
// difference (none when they agree).
func Diff(c *Case, tr Trace) []string {
	var diffs []string
	if len(tr.Requests) != len(c.Exchanges) {
		diffs = append(diffs, fmt.Sprintf("made %d requests, want %d", len(tr.Requests), len(c.Exchanges)))
	}
	for i := range min(len(tr.Requests), len(c.Exchanges)) {
		got, want := tr.Requests[i], c.Exchanges[i].Request
		if got.Method != want.Method || got.URL != want.URL {
			diffs = append(diffs, fmt.Sprintf("request %d: %s %s, want %s %s", i+1, got.Method, got.URL, want.Method, want.URL))
		}
		if !slices.Equal(got.Headers, want.Headers) {
			diffs = append(diffs, fmt.Sprintf("request %d headers:\n got %v\nwant %v", i+1, got.Headers, want.Headers))
		}
		if got.Body != want.Body {
			diffs = append(diffs, fmt.Sprintf("request %d body:\n got %q\nwant %q", i+1, got.Body, want.Body))
		}
	}
	if tr.Result != c.Result {
		diffs = append(diffs, fmt.Sprintf("result:\n got %s\nwant %s", abi.AppendResult(nil, &tr.Result), abi.AppendResult(nil, &c.Result)))
	}
	return diffs
}

// DefaultParams returns m.Params, or, when m names none, its template's
// variables named by names (a manifest's TemplateParams) in order, as the
// host fills them when the operator's SMS.TEMPLATE_PARAMS names none for
// the template: min(len(names), len(m.Vars)) entries; nil for a text or a
// template without variables.
func DefaultParams(m *abi.Message, names []string) []abi.Param {
	if len(m.Params) > 0 || m.TemplateID == 0 || len(names) == 0 || len(m.Vars) == 0 {
		return m.Params
	}
	out := make([]abi.Param, min(len(names), len(m.Vars)))
	for i := range out {
		out[i] = abi.Param{Name: names[i], Value: m.Vars[i]}
	}
	return out
}

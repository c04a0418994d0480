// Package sdk is the guest SDK for chelseru SMS provider plugins written in Go.
//
// A provider author implements Plugin (build a request from a message, turn
// the provider's response into a result) and registers it from a main package
// compiled with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o provider.wasm .
//
// The SDK supplies the exports of the ABI (docs/plugin-abi.md), the memory
// handling and the encoding; the plugin's logic stays plain Go that also runs
// natively, which is how sdk/plugintest tests it.
package sdk

import "github.com/chelseru/chelseru/sdk/abi"

// Plugin is what a provider author implements. A plugin is sans-I/O: it never
// touches the network, files or clock; it describes HTTP requests and reads
// the responses the host hands back.
type Plugin interface {
	// Manifest describes the plugin. It is called once per instance.
	Manifest() abi.Manifest
	// Configure receives the plugin's own SETTINGS (keys that begin with its
	// name) once per instance, before any send. An error refuses the
	// configuration; its text names the key and what is wrong.
	Configure(settings map[string]string) error
	// Send turns a message into the first action: usually a Request, or a
	// Result when nothing needs sending (or the message is refused).
	//
	// In a wasm module the strings and slices of m (and of r in Response)
	// share the SDK's input buffer, which the next call overwrites: they are
	// valid until Send returns. Keep nothing of them beyond the call (copy
	// with strings.Clone if you must); the returned Action may use them.
	// The SDK encodes the returned Action before it calls the plugin again,
	// so the Action may also point into the plugin's own buffers
	// (provider.Scratch).
	Send(m abi.Message) abi.Action
	// Response turns the HTTP response to the last request (with the State
	// that came beside it) into the next action. The host may deliver it to
	// another instance than the one whose Send returned the request: keep
	// per-send state in Action.State, never in the Plugin value.
	Response(r abi.Response) abi.Action
}

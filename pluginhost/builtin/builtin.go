// Package builtin embeds the built-in SMS provider plugins (CONSOLE,
// KAVENEGAR_COM, MELI_PAYAMAK_COM, PARSIAN_WEBCO_IR, SMS_IR, GHASEDAK_ME,
// WEBHOOK) into the binary.
//
// The modules are not committed: `make plugins` builds them from plugins/ and
// copies them into pluginhost/builtin/wasm/ as <lower-case service>.wasm. A
// binary built without them still starts; pluginhost.Open then says which
// built-in is missing.
package builtin

import (
	"embed"
	"io/fs"
)

//go:embed wasm
var files embed.FS

// Names returns the built-in services, in the order they are listed to users,
// in a new slice the caller may change.
func Names() []string { return append([]string(nil), names...) }

var names = []string{"CONSOLE", "KAVENEGAR_COM", "MELI_PAYAMAK_COM", "PARSIAN_WEBCO_IR", "SMS_IR", "GHASEDAK_ME", "WEBHOOK"}

// FS returns the embedded modules as <lower-case service>.wasm at its root.
func FS() fs.FS {
	sub, err := fs.Sub(files, "wasm")
	if err != nil { // cannot happen: "wasm" is a valid path embedded above
		panic(err)
	}
	return sub
}

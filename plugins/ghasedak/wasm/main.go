//go:build wasip1

// Command wasm builds the GHASEDAK_ME provider into a plugin module:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o ghasedak_me.wasm ./plugins/ghasedak/wasm
package main

import (
	"github.com/chelseru/chelseru/plugins/ghasedak"
	"github.com/chelseru/chelseru/sdk"
)

func init() { sdk.Register(ghasedak.New()) }

func main() {}

//go:build wasip1

// Command wasm builds the CONSOLE provider into a plugin module:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o console.wasm ./plugins/console/wasm
package main

import (
	"github.com/chelseru/chelseru/plugins/console"
	"github.com/chelseru/chelseru/sdk"
)

func init() { sdk.Register(console.New()) }

func main() {}

//go:build wasip1

// Command wasm builds the ECHO_GO example into a plugin module:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o echo_go.wasm ./examples/go-plugin/wasm
package main

import (
	echo "github.com/chelseru/chelseru/examples/go-plugin"
	"github.com/chelseru/chelseru/sdk"
)

func init() { sdk.Register(echo.New()) }

func main() {}

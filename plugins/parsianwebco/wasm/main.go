//go:build wasip1

// Command wasm builds the PARSIAN_WEBCO_IR provider into a plugin module:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o parsian_webco_ir.wasm ./plugins/parsianwebco/wasm
package main

import (
	"github.com/chelseru/chelseru/plugins/parsianwebco"
	"github.com/chelseru/chelseru/sdk"
)

func init() { sdk.Register(parsianwebco.New()) }

func main() {}

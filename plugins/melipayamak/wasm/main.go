//go:build wasip1

// Command wasm builds the MELI_PAYAMAK_COM provider into a plugin module:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o meli_payamak_com.wasm ./plugins/melipayamak/wasm
package main

import (
	"github.com/chelseru/chelseru/plugins/melipayamak"
	"github.com/chelseru/chelseru/sdk"
)

func init() { sdk.Register(melipayamak.New()) }

func main() {}

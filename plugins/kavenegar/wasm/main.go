//go:build wasip1

// Command wasm builds the KAVENEGAR_COM provider into a plugin module:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o kavenegar_com.wasm ./plugins/kavenegar/wasm
package main

import (
	"github.com/chelseru/chelseru/plugins/kavenegar"
	"github.com/chelseru/chelseru/sdk"
)

func init() { sdk.Register(kavenegar.New()) }

func main() {}

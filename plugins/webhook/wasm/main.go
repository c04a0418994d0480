//go:build wasip1

// Command wasm builds the WEBHOOK provider into a plugin module:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o webhook.wasm ./plugins/webhook/wasm
package main

import (
	"github.com/chelseru/chelseru/plugins/webhook"
	"github.com/chelseru/chelseru/sdk"
)

func init() { sdk.Register(webhook.New()) }

func main() {}

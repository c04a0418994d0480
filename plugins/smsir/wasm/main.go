//go:build wasip1

// Command wasm builds the SMS_IR provider into a plugin module:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o sms_ir.wasm ./plugins/smsir/wasm
package main

import (
	"github.com/chelseru/chelseru/plugins/smsir"
	"github.com/chelseru/chelseru/sdk"
)

func init() { sdk.Register(smsir.New()) }

func main() {}

//go:build wasip1

// Command guest is the Go test guest of package interrupt: a reactor module with a normal function,
// an endless loop, and a realistic unit of work for the benchmark. Built by the tests with
// GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared.
package main

import (
	"errors"
	"net/url"
	"sort"
	"sync/atomic"
)

func main() {}

// counter is incremented by spin on every iteration so the host can see the loop running.
var counter atomic.Uint64

//go:wasmexport add
func add(a, b int32) int32 { return a + b }

//go:wasmexport counter_addr
func counterAddr() uint32 { return uint32(uintptr(counterPtr())) }

//go:wasmexport spin
func spin() int32 {
	for {
		counter.Add(1)
	}
}

// request is a provider request as the SMS core would hand it to a plugin (about 300 bytes).
var request = []byte(`{"receptor":"09121234567","sender":"10004346","message":"Your Chelseru verification code is 482913. It expires in 2 minutes. Do not share this code with anyone.","localid":"9f6c2a7e-1b4d-4e8a-9c3f-5d2b7a1e0c44","type":1,"date":0,"apikey":"4A6F686E536D697468536563726574","hash":"otp-login"}`)

// work parses request by hand into fields and builds the form-encoded body a provider expects; it
// returns the body length, or -1 on a parse error.
//
//go:wasmexport work
func work() int32 {
	fields, err := parseFlat(request)
	if err != nil {
		return -1
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var body []byte
	for i, k := range keys {
		if i > 0 {
			body = append(body, '&')
		}
		body = append(body, url.QueryEscape(k)...)
		body = append(body, '=')
		body = append(body, url.QueryEscape(fields[k])...)
	}
	return int32(len(body))
}

// parseFlat parses a flat JSON object of string and number values (no escapes beyond \" and \\).
func parseFlat(b []byte) (map[string]string, error) {
	errBad := errors.New("bad json")
	out := make(map[string]string, 12)
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, errBad
	}
	i++
	for {
		i = skipSpace(b, i)
		if i < len(b) && b[i] == '}' {
			return out, nil
		}
		key, n, ok := parseString(b, i)
		if !ok {
			return nil, errBad
		}
		i = skipSpace(b, n)
		if i >= len(b) || b[i] != ':' {
			return nil, errBad
		}
		i = skipSpace(b, i+1)
		var val string
		if i < len(b) && b[i] == '"' {
			val, i, ok = parseString(b, i)
			if !ok {
				return nil, errBad
			}
		} else {
			j := i
			for j < len(b) && (b[j] == '-' || b[j] == '.' || (b[j] >= '0' && b[j] <= '9')) {
				j++
			}
			if j == i {
				return nil, errBad
			}
			val, i = string(b[i:j]), j
		}
		out[key] = val
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i++
		}
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

func parseString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", i, false
	}
	var s []byte
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '"':
			return string(s), j + 1, true
		case '\\':
			if j+1 >= len(b) {
				return "", j, false
			}
			j++
			s = append(s, b[j])
		default:
			s = append(s, b[j])
		}
	}
	return "", len(b), false
}

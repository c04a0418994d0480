package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/chelseru/chelseru/internal/loadgen"
	"github.com/valyala/fasthttp"
)

// mobiles hands out distinct Iranian mobile numbers, 09 + 9 digits from a
// counter: a number with a live code answers 409, so no two sends of a run
// may share one. It is safe for concurrent use.
type mobiles struct{ next atomic.Uint64 }

// maxMobiles is how many distinct numbers there are.
const maxMobiles = 1_000_000_000

// append appends the next number to dst.
func (m *mobiles) append(dst []byte) ([]byte, error) {
	n := m.next.Add(1)
	if n >= maxMobiles {
		return dst, errors.New("out of distinct mobile numbers")
	}
	return appendMobile(dst, n), nil
}

// appendMobile appends 09 followed by n as 9 digits (n < maxMobiles).
func appendMobile(dst []byte, n uint64) []byte {
	dst = append(dst, '0', '9')
	var digits [9]byte
	for i := len(digits) - 1; i >= 0; i-- {
		digits[i] = byte('0' + n%10)
		n /= 10
	}
	return append(dst, digits[:]...)
}

// sendBody appends {"mobile_number":"<mobile>"} to dst.
func sendBody(dst, mobile []byte) []byte {
	dst = append(dst, `{"mobile_number":"`...)
	dst = append(dst, mobile...)
	return append(dst, `"}`...)
}

// sendScenario is one POST /api/otp/send/ per unit, each to a new number;
// the same unit drives the bare handler. timeout bounds each request.
func sendScenario(name string, client *fasthttp.HostClient, timeout time.Duration, nums *mobiles) loadgen.Scenario {
	return loadgen.Scenario{Name: name, NewWorker: func(int) (loadgen.Unit, error) {
		w := loadgen.NewHTTPWorker(client)
		w.Timeout = timeout
		var mobile, body []byte
		return func(context.Context) error {
			var err error
			if mobile, err = nums.append(mobile[:0]); err != nil {
				return err
			}
			body = sendBody(body[:0], mobile)
			got, err := w.PostJSON(sendPath, body, fasthttp.StatusOK)
			if err != nil {
				return err
			}
			if !bytes.Contains(got, []byte("was sent correctly")) {
				return fmt.Errorf("POST %s: unexpected 200 body %.100q", sendPath, got)
			}
			return nil
		}, nil
	}}
}

// codeSource is where a login reads the code the server sent: the fake
// provider (internal/fakeprovider's *Server).
type codeSource interface {
	Code(receptor string) (string, bool)
}

// loginScenario is one whole login per unit: send a code to a new number,
// read it from the fake provider, and exchange it for tokens. timeout bounds
// each request.
func loginScenario(client *fasthttp.HostClient, timeout time.Duration, nums *mobiles, codes codeSource) loadgen.Scenario {
	return loadgen.Scenario{Name: scenarioLogin, NewWorker: func(int) (loadgen.Unit, error) {
		w := loadgen.NewHTTPWorker(client)
		w.Timeout = timeout
		var mobile, body []byte
		return func(context.Context) error {
			var err error
			if mobile, err = nums.append(mobile[:0]); err != nil {
				return err
			}
			body = sendBody(body[:0], mobile)
			if _, err := w.PostJSON(sendPath, body, fasthttp.StatusOK); err != nil {
				return err
			}
			code, ok := codes.Code(string(mobile))
			if !ok {
				return fmt.Errorf("the fake provider has no code for %s", mobile)
			}
			if !isToken(code) {
				return fmt.Errorf("the fake provider holds an odd code %.40q for %s", code, mobile)
			}
			body = append(body[:0], `{"mobile_number":"`...)
			body = append(body, mobile...)
			body = append(body, `","code":"`...)
			body = append(body, code...)
			body = append(body, `"}`...)
			got, err := w.PostJSON(authPath, body, fasthttp.StatusOK)
			if err != nil {
				return err
			}
			if !bytes.Contains(got, []byte(`"access"`)) || !bytes.Contains(got, []byte(`"refresh"`)) {
				return fmt.Errorf("POST %s: 200 without tokens: %.100q", authPath, got)
			}
			return nil
		}, nil
	}}
}

// isToken reports whether s is a short run of ASCII letters and digits, safe
// to put in a JSON string as it is.
func isToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

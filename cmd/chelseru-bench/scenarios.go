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

// sender is one worker's POST /api/otp/send/ to a new number each time, its
// buffers reused.
type sender struct {
	w            *loadgen.HTTPWorker
	nums         *mobiles
	mobile, body []byte
}

func newSender(client *fasthttp.HostClient, timeout time.Duration, nums *mobiles) *sender {
	w := loadgen.NewHTTPWorker(client)
	w.Timeout = timeout
	return &sender{w: w, nums: nums}
}

// send asks for a code for the next number and returns the 200 body; the
// number stays in c.mobile.
func (c *sender) send() ([]byte, error) {
	var err error
	if c.mobile, err = c.nums.append(c.mobile[:0]); err != nil {
		return nil, err
	}
	c.body = sendBody(c.body[:0], c.mobile)
	return c.w.PostJSON(sendPath, c.body, fasthttp.StatusOK)
}

// sendScenario is one POST /api/otp/send/ per unit, each to a new number;
// the same unit drives the bare handler. timeout bounds each request.
func sendScenario(name string, client *fasthttp.HostClient, timeout time.Duration, nums *mobiles) loadgen.Scenario {
	return loadgen.Scenario{Name: name, NewWorker: func(int) (loadgen.Unit, error) {
		c := newSender(client, timeout, nums)
		return func(context.Context) error {
			got, err := c.send()
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
		c := newSender(client, timeout, nums)
		return func(context.Context) error {
			if _, err := c.send(); err != nil {
				return err
			}
			code, ok := codes.Code(string(c.mobile))
			if !ok {
				return fmt.Errorf("the fake provider has no code for %s", c.mobile)
			}
			if !isToken(code) {
				return fmt.Errorf("the fake provider holds an odd code %.40q for %s", code, c.mobile)
			}
			b := append(c.body[:0], `{"mobile_number":"`...)
			b = append(b, c.mobile...)
			b = append(b, `","code":"`...)
			b = append(b, code...)
			c.body = append(b, `"}`...)
			got, err := c.w.PostJSON(authPath, c.body, fasthttp.StatusOK)
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

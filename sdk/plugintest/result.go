package plugintest

import (
	"strings"
	"testing"

	"github.com/chelseru/chelseru/sdk/abi"
)

// maxResultField bounds a Result's Code and Text in CheckResult: the host
// shows them to clients, so a plugin must cut provider text short.
const maxResultField = 260

// CheckResult fails t unless a is a final Result a host can pass on: no
// request beside it, a known class and a code on failure, Code and Text
// bounded, and secret (when not empty) in none of Text, Code or MessageID.
// Fuzz tests of provider parsers call it on every answer.
func CheckResult(t testing.TB, a abi.Action, secret string) {
	t.Helper()
	r := a.Result
	if a.Request != nil || r == nil {
		t.Fatalf("want a result, got %+v", a)
	}
	if !r.OK {
		switch r.Class {
		case abi.ClassBadCredentials, abi.ClassBadRequest, abi.ClassOutOfCredit, abi.ClassRateLimited, abi.ClassTemporary, abi.ClassPermanent:
		default:
			t.Fatalf("unknown class %q", r.Class)
		}
		if r.Code == "" {
			t.Fatalf("failure without a code: %+v", r)
		}
	}
	if secret != "" && (strings.Contains(r.Text, secret) || strings.Contains(r.Code, secret) || strings.Contains(r.MessageID, secret)) {
		t.Fatalf("result leaks a secret: %+v", r)
	}
	if len(r.Text) > maxResultField || len(r.Code) > maxResultField {
		t.Fatalf("unbounded result %+v", r)
	}
}

package host

import (
	"net"
	"net/netip"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/chelseru/chelseru/sdk/jsonlite"
)

func TestIntegerField(t *testing.T) {
	cases := []struct {
		v    value
		want int64
		msg  string
	}{
		{value{}, 9, ""},
		{value{kind: kindNumber, b: []byte("12")}, 12, ""},
		{value{kind: kindNumber, b: []byte("-3")}, -3, ""},
		{value{kind: kindNumber, b: []byte("2.0")}, 2, ""},
		{value{kind: kindNumber, b: []byte("1e2")}, 100, ""},
		{value{kind: kindNumber, b: []byte("1.5")}, 9, msgNotInteger},
		{value{kind: kindNumber, b: []byte("1e300")}, 9, msgNotInteger},
		{value{kind: kindString, b: []byte(" 42 ")}, 42, ""},
		{value{kind: kindString, b: []byte("۴۲")}, 42, ""},
		{value{kind: kindString, b: []byte("٤٢")}, 42, ""},
		{value{kind: kindString, b: []byte("7.00")}, 7, ""},
		{value{kind: kindString, b: []byte("7.")}, 7, ""},
		{value{kind: kindString, b: []byte("7.1")}, 9, msgNotInteger},
		{value{kind: kindString, b: []byte("abc")}, 9, msgNotInteger},
		{value{kind: kindString, b: []byte("1e3")}, 9, msgNotInteger},
		{value{kind: kindString, b: []byte("")}, 9, ""},
		{value{kind: kindString, b: make([]byte, 1001)}, 9, msgStringTooBig},
		{value{kind: kindBool, b: []byte("true")}, 9, msgNotInteger},
		{value{kind: kindNull}, 9, msgNull},
		{value{kind: kindArray}, 9, msgNotInteger},
	}
	for _, c := range cases {
		var fe fieldErrors
		got := fe.integer("f", c.v, false, 9)
		msg := ""
		if fe.m != nil {
			msg = fe.m["f"][0]
		}
		if got != c.want || msg != c.msg {
			t.Errorf("%d %q: got %d %q, want %d %q", c.v.kind, c.v.b, got, msg, c.want, c.msg)
		}
	}
	var fe fieldErrors
	fe.integer("f", value{}, true, 0)
	if fe.m["f"][0] != msgRequired {
		t.Errorf("required integer: %v", fe.m)
	}
}

func TestCharField(t *testing.T) {
	cases := []struct {
		v        value
		required bool
		want     string
		msg      string
	}{
		{value{}, true, "", msgRequired},
		{value{}, false, "", ""},
		{value{kind: kindString, b: []byte("  x y ")}, true, "x y", ""},
		{value{kind: kindString, b: []byte(" \u00a0 ")}, true, "", msgBlank},
		{value{kind: kindString, b: []byte("a\x00b")}, true, "", msgNullChars},
		{value{kind: kindString, b: []byte("a\xffb")}, true, "a\uFFFDb", ""},
		{value{kind: kindNumber, b: []byte("9121234567")}, true, "9121234567", ""},
		{value{kind: kindBool, b: []byte("true")}, true, "", msgNotString},
		{value{kind: kindObject}, true, "", msgNotString},
		{value{kind: kindNull}, true, "", msgNull},
	}
	for _, c := range cases {
		var fe fieldErrors
		got := fe.char("f", c.v, c.required)
		msg := ""
		if fe.m != nil {
			msg = fe.m["f"][0]
		}
		if got != c.want || msg != c.msg {
			t.Errorf("%d %q: got %q %q, want %q %q", c.v.kind, c.v.b, got, msg, c.want, c.msg)
		}
	}
}

func TestClientIP(t *testing.T) {
	s := &Server{opts: Options{TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("fd00::/8"),
	}}}
	cases := []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"untrusted peer, xff ignored", "203.0.113.9:5000", []string{"1.2.3.4"}, "203.0.113.9"},
		{"trusted peer, no xff", "10.1.1.1:5000", nil, "10.1.1.1"},
		{"trusted peer, one client", "10.1.1.1:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"right-most untrusted wins", "10.1.1.1:5000", []string{"6.6.6.6, 198.51.100.1, 10.2.2.2"}, "198.51.100.1"},
		{"several headers", "10.1.1.1:5000", []string{"6.6.6.6", "198.51.100.2, 10.3.3.3"}, "198.51.100.2"},
		{"all trusted: left-most", "10.1.1.1:5000", []string{"10.9.9.9, 10.8.8.8"}, "10.9.9.9"},
		{"garbage stops the walk", "10.1.1.1:5000", []string{"6.6.6.6, garbage, 10.2.2.2"}, "10.2.2.2"},
		{"with port", "10.1.1.1:5000", []string{"198.51.100.3:443"}, "198.51.100.3"},
		{"ipv6 with port", "10.1.1.1:5000", []string{"[2001:db8::1]:443"}, "2001:db8::1"},
		{"ipv6 proxy", "[fd00::1]:5000", []string{"2001:db8::2"}, "2001:db8::2"},
		{"v4-mapped peer", "[::ffff:10.1.1.1]:5000", []string{"198.51.100.4"}, "198.51.100.4"},
		{"empty entries", "10.1.1.1:5000", []string{" , ,198.51.100.5, "}, "198.51.100.5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ctx fasthttp.RequestCtx
			var r fasthttp.Request
			for _, h := range c.xff {
				r.Header.Add("X-Forwarded-For", h)
			}
			addr, err := net.ResolveTCPAddr("tcp", c.peer)
			if err != nil {
				t.Fatal(err)
			}
			ctx.Init(&r, addr, nil)
			if got := s.clientIP(&ctx); got != c.want {
				t.Fatalf("client %q, want %q", got, c.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		path string
		r    route
		id   int64
	}{
		{"/api/otp/send/", routeOTPSend, 0},
		{"/api/sessions/", routeSessions, 0},
		{"/api/sessions/42/", routeSession, 42},
		{"/api/sessions/042/", routeSession, 42},
		{"/api/sessions/0/", routeNotFound, 0},
		{"/api/sessions/4a/", routeNotFound, 0},
		{"/api/sessions/42", routeNotFound, 0},
		{"/api/sessions//", routeNotFound, 0},
		{"/api/sessions/1234567890123456789/", routeNotFound, 0},
		{"/metrics", routeMetrics, 0},
		{"/metrics/", routeNotFound, 0},
		{"/api/password/set/", routePasswordSet, 0},
		{"/api/password/set", routeNotFound, 0},
	}
	for _, c := range cases {
		r, id := match([]byte(c.path))
		if r != c.r || id != c.id {
			t.Errorf("%s: %v %d, want %v %d", c.path, r, id, c.r, c.id)
		}
	}
}

// TestPasswordField: a password is read as a CharField without trimming;
// only the empty string is blank.
func TestPasswordField(t *testing.T) {
	cases := []struct {
		v        value
		required bool
		want     string
		msg      string
	}{
		{value{}, true, "", msgRequired},
		{value{}, false, "", ""},
		{value{kind: kindString, b: []byte("  x y ")}, true, "  x y ", ""},
		{value{kind: kindString, b: []byte("   ")}, true, "   ", ""},
		{value{kind: kindString, b: []byte("")}, true, "", msgBlank},
		{value{kind: kindString, b: []byte("")}, false, "", ""},
		{value{kind: kindString, b: []byte("a\x00b")}, true, "", msgNullChars},
		{value{kind: kindNumber, b: []byte("12345678")}, true, "12345678", ""},
		{value{kind: kindBool, b: []byte("false")}, true, "", msgNotString},
		{value{kind: kindArray}, true, "", msgNotString},
		{value{kind: kindNull}, false, "", msgNull},
	}
	for _, c := range cases {
		var fe fieldErrors
		got := fe.password("f", c.v, c.required)
		msg := ""
		if fe.m != nil {
			msg = fe.m["f"][0]
		}
		if got != c.want || msg != c.msg {
			t.Errorf("%d %q: got %q %q, want %q %q", c.v.kind, c.v.b, got, msg, c.want, c.msg)
		}
	}
}

func TestAppendString(t *testing.T) {
	cases := map[string]string{
		"plain":        `"plain"`,
		"a\"b\\c":      `"a\"b\\c"`,
		"\n\t\x01":     `"\n\t\u0001"`,
		"سلام":         `"سلام"`,
		"bad\xff":      `"bad\ufffd"`,
		"line\u2028ok": `"line\u2028ok"`,
	}
	for in, want := range cases {
		if got := string(jsonlite.AppendString(nil, in)); got != want {
			t.Errorf("%q: %s, want %s", in, got, want)
		}
	}
}

package fakeprovider

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chelseru/chelseru/plugins/ghasedak"
	"github.com/chelseru/chelseru/plugins/kavenegar"
	"github.com/chelseru/chelseru/plugins/melipayamak"
	"github.com/chelseru/chelseru/plugins/parsianwebco"
	"github.com/chelseru/chelseru/plugins/smsir"
	"github.com/chelseru/chelseru/plugins/webhook"
	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
)

// provider ties a fake to the real plugin that talks to it.
type provider struct {
	name      string
	start     func(...Option) *Server
	plugin    func() sdk.Plugin
	settings  map[string]string // good credentials, without BASE_URL
	bad       map[string]string // wrong credentials
	baseKey   string
	rejectCls string
	// malformedOK: the plugin takes Malformed (200, broken JSON) for
	// success (WEBHOOK: any 2xx is).
	malformedOK bool
}

var providers = []provider{
	{
		name: "kavenegar", start: NewKavenegar, plugin: kavenegar.New, baseKey: kavenegar.SettingBaseURL,
		settings:  map[string]string{kavenegar.SettingAPIKey: KavenegarAPIKey, kavenegar.SettingFrom: "10004346"},
		bad:       map[string]string{kavenegar.SettingAPIKey: "wrong-key"},
		rejectCls: abi.ClassOutOfCredit,
	},
	{
		name: "melipayamak", start: NewMeliPayamak, plugin: melipayamak.New, baseKey: melipayamak.SettingBaseURL,
		settings: map[string]string{melipayamak.SettingUsername: MeliPayamakUsername, melipayamak.SettingPassword: MeliPayamakPassword,
			melipayamak.SettingFrom: "50004001"},
		bad:       map[string]string{melipayamak.SettingUsername: MeliPayamakUsername, melipayamak.SettingPassword: "wrong"},
		rejectCls: abi.ClassOutOfCredit,
	},
	{
		name: "parsianwebco", start: NewParsianWebco, plugin: parsianwebco.New, baseKey: parsianwebco.SettingBaseURL,
		settings:  map[string]string{parsianwebco.SettingAPIKey: ParsianWebcoToken},
		bad:       map[string]string{parsianwebco.SettingAPIKey: "wrong-token"},
		rejectCls: abi.ClassPermanent,
	},
	{
		name: "smsir", start: NewSMSIR, plugin: smsir.New, baseKey: smsir.SettingBaseURL,
		settings:  map[string]string{smsir.SettingAPIKey: SMSIRAPIKey, smsir.SettingLineNumber: "30007732000000"},
		bad:       map[string]string{smsir.SettingAPIKey: "wrong-key"},
		rejectCls: abi.ClassOutOfCredit,
	},
	{
		name: "ghasedak", start: NewGhasedak, plugin: ghasedak.New, baseKey: ghasedak.SettingBaseURL,
		settings:  map[string]string{ghasedak.SettingAPIKey: GhasedakAPIKey, ghasedak.SettingLineNumber: "30005088"},
		bad:       map[string]string{ghasedak.SettingAPIKey: "wrong-key"},
		rejectCls: abi.ClassOutOfCredit,
	},
	{
		name: "webhook", start: NewWebhook, plugin: webhook.New, baseKey: webhook.SettingBaseURL,
		settings:    map[string]string{webhook.SettingSecret: WebhookSecret},
		bad:         map[string]string{webhook.SettingSecret: "wrong-secret-0123456789"},
		rejectCls:   abi.ClassOutOfCredit,
		malformedOK: true,
	},
}

var client = &http.Client{Timeout: 10 * time.Second}

// transports are the servers a fake can run on; the tests that speak the
// wire run on each.
var transports = []struct {
	name string
	opts []Option
}{
	{"net-http", nil},
	{"fasthttp", []Option{WithFastHTTP()}},
}

// eachTransport runs f as a subtest per transport, with the options that
// select it.
func eachTransport(t *testing.T, f func(t *testing.T, opts ...Option)) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) { f(t, tr.opts...) })
	}
}

// send runs one message through the plugin's logic against the fake, doing
// the HTTP itself as the host would.
func send(t *testing.T, c *http.Client, s *Server, p provider, settings map[string]string, m abi.Message) (abi.Result, error) {
	t.Helper()
	pl := p.plugin()
	cfg := map[string]string{p.baseKey: s.URL()}
	for k, v := range settings {
		cfg[k] = v
	}
	if err := pl.Configure(cfg); err != nil {
		t.Fatalf("configure: %v", err)
	}
	a := pl.Send(m)
	for a.Result == nil {
		q := a.Request
		req, err := http.NewRequestWithContext(context.Background(), q.Method, q.URL, strings.NewReader(q.Body))
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range q.Headers {
			req.Header.Add(h.Name, h.Value)
		}
		resp, err := c.Do(req)
		if err != nil {
			return abi.Result{}, err
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return abi.Result{}, err
		}
		a = pl.Response(abi.Response{State: a.State, Status: resp.StatusCode, Body: string(body)})
	}
	return *a.Result, nil
}

// otp is an OTP message as the host hands it over (with its clock, which
// WEBHOOK signs).
func otp(to, code string) abi.Message {
	return abi.Message{To: to, TemplateID: 100, Vars: []string{code}, Time: time.Now().Unix()}
}

func TestBehaviors(t *testing.T) { eachTransport(t, testBehaviors) }

func testBehaviors(t *testing.T, opts ...Option) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			s := p.start(opts...)
			defer s.Close()

			res, err := send(t, client, s, p, p.settings, otp("09120000001", "482193"))
			if err != nil || !res.OK {
				t.Fatalf("OK: %+v %v", res, err)
			}
			if code, ok := s.Code("09120000001"); !ok || code != "482193" {
				t.Errorf("Code = %q, %v", code, ok)
			}
			if code, ok := s.Code("+989120000001"); !ok || code != "482193" {
				t.Errorf("Code(+98…) = %q, %v", code, ok)
			}
			rec := s.Received()
			if len(rec) != 1 || rec[0].Receptor != "09120000001" || len(rec[0].Vars) != 1 || rec[0].Vars[0] != "482193" || rec[0].Template == "" {
				t.Errorf("Received = %+v", rec)
			}
			if strings.Contains(rec[0].Path, KavenegarAPIKey) {
				t.Errorf("Received path keeps the key: %q", rec[0].Path)
			}

			res, _ = send(t, client, s, p, p.bad, otp("09120000002", "111111"))
			if res.OK || res.Class != abi.ClassBadCredentials {
				t.Errorf("wrong credentials: %+v", res)
			}

			cases := []struct {
				b     Behavior
				class string
			}{
				{Reject, p.rejectCls},
				{ServerError, abi.ClassTemporary},
				{Malformed, abi.ClassTemporary},
			}
			for _, c := range cases {
				s.SetBehavior(c.b)
				res, err := send(t, client, s, p, p.settings, otp("09120000003", "222222"))
				if c.b == Malformed && p.malformedOK {
					if err != nil || !res.OK {
						t.Errorf("%v: %+v %v, want ok", c.b, res, err)
					}
					continue
				}
				if err != nil || res.OK || res.Class != c.class {
					t.Errorf("%v: %+v %v, want class %s", c.b, res, err, c.class)
				}
			}
			if _, ok := s.Code("09120000003"); ok {
				t.Error("a refused or failed send delivered a code")
			}
			if got := s.Count(); got != 5 {
				t.Errorf("Count = %d, want 5", got)
			}
		})
	}
}

func TestTextCode(t *testing.T) {
	p := providers[0]
	s := p.start()
	defer s.Close()
	res, err := send(t, client, s, p, p.settings, abi.Message{To: "09120000009", Text: "کد ورود شما 7391 است. 09120000009"})
	if err != nil || !res.OK {
		t.Fatalf("%+v %v", res, err)
	}
	if code, _ := s.Code("09120000009"); code != "7391" {
		t.Errorf("Code = %q, want 7391", code)
	}
	if rec := s.Received(); len(rec) != 1 || rec[0].Text == "" || rec[0].Template != "" {
		t.Errorf("Received = %+v", rec)
	}
}

func TestWireValidation(t *testing.T) { eachTransport(t, testWireValidation) }

func testWireValidation(t *testing.T, opts ...Option) {
	k := NewKavenegar(opts...)
	defer k.Close()
	m := NewMeliPayamak(opts...)
	defer m.Close()
	pw := NewParsianWebco(opts...)
	defer pw.Close()
	tests := []struct {
		name, url, body string
		status          int
		want            string
	}{
		{"kavenegar unknown method", k.URL() + "/v1/test-key/sms/nope.json", "", 404, `"status":404`},
		{"kavenegar missing message", k.URL() + "/v1/test-key/sms/send.json", "receptor=09120000001", 406, `"status":406`},
		{"kavenegar bad receptor", k.URL() + "/v1/test-key/sms/send.json", "receptor=12345&message=hi", 411, `"status":411`},
		{"kavenegar bad key", k.URL() + "/v1/nope/verify/lookup.json", "receptor=09120000001&token=1&template=t", 403, `"status":403`},
		{"kavenegar token with space", k.URL() + "/v1/test-key/verify/lookup.json", "receptor=09120000001&token=1+2&template=t", 431, `"status":431`},
		{"meli no recipient", m.URL() + "/api/SendSMS/SendSMS", "username=test-user&password=test-pass&from=1&text=x", 200, `"RetStatus":16`},
		{"meli no sender", m.URL() + "/api/SendSMS/SendSMS", "username=test-user&password=test-pass&to=09120000001&text=x", 200, `"RetStatus":5`},
		{"meli template bad creds", m.URL() + "/api/SendSMS/BaseServiceNumber", "username=x&password=y&to=09120000001&bodyId=1&text=1", 200, `{"Value":"0","RetStatus":1`},
		{"meli unknown path", m.URL() + "/api/SendSMS/Nope", "", 404, ""},
		{"parsian bad token", pw.URL() + "/webservice-send-sms/send", "token=x&TemplateID=1&Receiver=09120000001", 200, `"status":401`},
		{"parsian no template", pw.URL() + "/webservice-send-sms/send", "token=test-token&Receiver=09120000001", 200, `"status":100`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client.Post(tt.url, "application/x-www-form-urlencoded", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
				t.Errorf("HTTP %d %s, want %d containing %s", resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
	for _, u := range []string{m.URL() + "/api/SendSMS/SendSMS", pw.URL() + "/webservice-send-sms/send"} {
		resp, err := client.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
			t.Errorf("GET %s: HTTP %d, Allow %q; want 405, POST", u, resp.StatusCode, resp.Header.Get("Allow"))
		}
	}
	if k.Count() != 5 || len(k.Received()) != 0 {
		t.Errorf("invalid requests: Count %d, Received %d", k.Count(), len(k.Received()))
	}
}

func TestHang(t *testing.T) { eachTransport(t, testHang) }

func testHang(t *testing.T, opts ...Option) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			s := p.start(opts...)
			s.SetBehavior(Hang)

			// A client that gives up fails; the server lets the handler go.
			short := &http.Client{Timeout: 50 * time.Millisecond}
			if _, err := send(t, short, s, p, p.settings, otp("09120000004", "333333")); err == nil {
				t.Fatal("a hung request was answered")
			}

			// SetBehavior releases a held request, answered by the new behavior.
			done := make(chan abi.Result, 1)
			go func() {
				res, _ := send(t, client, s, p, p.settings, otp("09120000005", "444444"))
				done <- res
			}()
			for s.Count() < 2 {
				time.Sleep(time.Millisecond)
			}
			s.SetBehavior(OK)
			if res := <-done; !res.OK {
				t.Errorf("released request: %+v", res)
			}

			// Close does not wait for hung handlers.
			s.SetBehavior(Hang)
			errc := make(chan error, 1)
			go func() {
				_, err := send(t, client, s, p, p.settings, otp("09120000006", "555555"))
				errc <- err
			}()
			for s.Count() < 3 {
				time.Sleep(time.Millisecond)
			}
			s.Close()
			if err := <-errc; err == nil {
				t.Error("a request held across Close was answered")
			}
			s.Close() // twice is fine
		})
	}
}

func TestCapacity(t *testing.T) {
	p := providers[2]
	s := p.start(WithCapacity(2))
	defer s.Close()
	for i, to := range []string{"09120000001", "09120000002", "09120000001", "09120000003"} {
		if res, err := send(t, client, s, p, p.settings, otp(to, strconv.Itoa(1000+i))); err != nil || !res.OK {
			t.Fatalf("%+v %v", res, err)
		}
	}
	if _, ok := s.Code("09120000001"); ok {
		t.Error("the oldest receptor was kept past the capacity")
	}
	if c, _ := s.Code("09120000002"); c != "1001" {
		t.Errorf("Code(2) = %q", c)
	}
	if c, _ := s.Code("09120000003"); c != "1003" {
		t.Errorf("Code(3) = %q", c)
	}
	s.mu.Lock()
	n := len(s.codes)
	s.mu.Unlock()
	if n != 2 {
		t.Errorf("%d codes kept, want 2", n)
	}
}

func TestReceivedBounded(t *testing.T) {
	p := providers[0]
	s := p.start()
	defer s.Close()
	for i := range ReceivedKept + 10 {
		to := "0912" + strconv.Itoa(1000000+i)
		if res, err := send(t, client, s, p, p.settings, otp(to, "9999")); err != nil || !res.OK {
			t.Fatalf("%+v %v", res, err)
		}
	}
	rec := s.Received()
	if len(rec) != ReceivedKept {
		t.Fatalf("Received holds %d", len(rec))
	}
	if first := rec[0].Receptor; first != "0912"+strconv.Itoa(1000010) {
		t.Errorf("oldest kept = %s", first)
	}
	if last := rec[len(rec)-1].Receptor; last != "0912"+strconv.Itoa(1000000+ReceivedKept+9) {
		t.Errorf("newest = %s", last)
	}
}

func TestConcurrent(t *testing.T) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			s := p.start()
			defer s.Close()
			var wg sync.WaitGroup
			for i := range 40 {
				wg.Go(func() {
					to := "0935" + strconv.Itoa(2000000+i)
					if res, err := send(t, client, s, p, p.settings, otp(to, strconv.Itoa(5000+i))); err != nil || !res.OK {
						t.Errorf("%s: %+v %v", to, res, err)
					}
				})
			}
			wg.Wait()
			for i := range 40 {
				if c, _ := s.Code("0935" + strconv.Itoa(2000000+i)); c != strconv.Itoa(5000+i) {
					t.Errorf("Code %d = %q", i, c)
				}
			}
			if s.Count() != 40 {
				t.Errorf("Count = %d", s.Count())
			}
		})
	}
}

func TestHelpers(t *testing.T) {
	for in, want := range map[string]string{
		"09121234567": "09121234567", "+989121234567": "09121234567", "989121234567": "09121234567",
		"00989121234567": "09121234567", "9121234567": "09121234567", "abc": "abc",
	} {
		if got := normalize(in); got != want {
			t.Errorf("normalize(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"code 1234": "1234", "1234 then 567": "1234", "12345678901 and 4821": "4821", "no digits": "",
		"123": "", "ab123456cd": "123456", "09121234567": "", "7391": "7391",
	} {
		if got := lastDigits(in); got != want {
			t.Errorf("lastDigits(%q) = %q, want %q", in, got, want)
		}
	}
	if Hang.String() != "Hang" || Behavior(9).String() != "Behavior(9)" {
		t.Error("Behavior.String")
	}
}

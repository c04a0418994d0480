package host_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

// sendMessage posts to /api/message/send/ with a bearer token.
func (e *env) sendMessage(access string, body any) resp {
	e.t.Helper()
	if access == "" {
		return e.post("/api/message/send/", body)
	}
	return e.post("/api/message/send/", body, "Authorization", "Bearer "+access)
}

func TestMessageSend(t *testing.T) {
	e := newEnv(t)
	a, _ := e.login(mobileA, 0)
	u, err := e.db.FindUser(context.Background(), 0, mobileA)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("س", 290)
	e.store.reset()
	r := e.sendMessage(a, map[string]any{"mobile_number": "۰۹۳۵۱۱۱۲۲۳۳", "message_text": text})
	want(t, r, http.StatusOK, "")
	if r.str("details") != "The Message was sent correctly." || r.str("message_id") == "" {
		t.Fatalf("body %s", r.body)
	}
	events, id := e.store.log()
	if !slices.Equal(events, []string{"create:pending", "send", "update:sent"}) {
		t.Fatalf("message writes and provider call in order %v", events)
	}
	m, err := e.db.GetMessage(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != chelseru.MessageSent || m.ProviderMessageID != r.str("message_id") || m.Mobile != mobileB || m.Text != text || m.UserID != u.ID || m.Service != "KAVENEGAR_COM" {
		t.Fatalf("stored %+v", m)
	}

	// A template send.
	r = e.sendMessage(a, map[string]any{"mobile_number": mobileB, "message_text": "1234", "template_id": "۷"})
	want(t, r, http.StatusOK, "")
	_, id = e.store.log()
	if m, _ := e.db.GetMessage(context.Background(), id); m.TemplateID != 7 {
		t.Fatalf("template id %d", m.TemplateID)
	}
}

func TestMessageSendValidation(t *testing.T) {
	e := newEnv(t)
	a, _ := e.login(mobileA, 0)
	e.store.reset()
	cases := []struct {
		name, ctype, body string
		status            int
		want              string
	}{
		{"nothing", "", `{}`, 400, `{"message_text":["This field is required."],"mobile_number":["This field is required."]}`},
		{"291 runes", "", `{"mobile_number":"09121234567","message_text":"` + strings.Repeat("س", 291) + `"}`, 400, `{"message_text":["Ensure this field has no more than 290 characters."]}`},
		{"bad mobile and blank text", "", `{"mobile_number":"0912","message_text":"  "}`, 400, `{"message_text":["This field may not be blank."]}`},
		{"bad mobile", "", `{"mobile_number":"0912","message_text":"hi"}`, 400, `{"mobile_number":["Enter a valid mobile number."]}`},
		{"text object", "", `{"mobile_number":"09121234567","message_text":{}}`, 400, `{"message_text":["Not a valid string."]}`},
		{"template abc", "", `{"mobile_number":"09121234567","message_text":"hi","template_id":"abc"}`, 400, `{"template_id":["A valid integer is required."]}`},
		{"template 1.5", "", `{"mobile_number":"09121234567","message_text":"hi","template_id":1.5}`, 400, `{"template_id":["A valid integer is required."]}`},
		{"malformed", "", `{"mobile_number":"09121234567","message_text":"hi"`, 400, `{"detail":"JSON parse error - Expecting ',' delimiter: line 1 column 51 (char 50)"}`},
		{"form 291", "application/x-www-form-urlencoded", "mobile_number=09121234567&message_text=" + strings.Repeat("a", 291), 400, `{"message_text":["Ensure this field has no more than 290 characters."]}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(req{method: http.MethodPost, path: "/api/message/send/", ctype: c.ctype, body: c.body, header: map[string]string{"Authorization": "Bearer " + a}})
			want(t, r, c.status, c.want)
		})
	}
	if ev, _ := e.store.log(); len(ev) != 0 {
		t.Fatalf("invalid requests were recorded or sent: %v", ev)
	}
	// Without a token: 401 whatever the body, checked before the body is read.
	want(t, e.sendMessage("", map[string]any{"mobile_number": mobileA, "message_text": "hi"}), http.StatusUnauthorized, bodyNoCredentials)
	want(t, e.sendMessage("", `{"broken`), http.StatusUnauthorized, bodyNoCredentials)
}

func TestMessageSendTemplateOnly(t *testing.T) {
	e := newEnv(t, func(c *config) { c.auth.TemplateOnly = true })
	a, _ := e.login(mobileA, 0)
	want(t, e.sendMessage(a, map[string]any{"mobile_number": mobileB, "message_text": "hi"}), http.StatusBadRequest, `{"template_id":["This field is required."]}`)
	want(t, e.sendMessage(a, map[string]any{"mobile_number": mobileB, "message_text": "hi", "template_id": 3}), http.StatusOK, "")
}

func TestMessageSendProviderFailure(t *testing.T) {
	cases := []struct {
		name   string
		b      behavior
		status int
		class  chelseru.SMSErrorClass
	}{
		{"business error", bReject, 502, chelseru.SMSOutOfCredit},
		{"http 500", bServerError, 502, chelseru.SMSTemporary},
		{"malformed", bMalformed, 502, chelseru.SMSTemporary},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			a, _ := e.login(mobileA, 0)
			e.sms.setBehavior(c.b)
			e.store.reset()
			r := e.sendMessage(a, map[string]any{"mobile_number": mobileB, "message_text": "hello"})
			want(t, r, c.status, "")
			if r.str("details") != "The SMS service provider was unable to process the request." {
				t.Fatalf("body %s", r.body)
			}
			if _, ok := r.obj["errorcode"]; !ok {
				t.Fatalf("no errorcode: %s", r.body)
			}
			if _, ok := r.obj["errortext"]; !ok {
				t.Fatalf("no errortext: %s", r.body)
			}
			events, id := e.store.log()
			if !slices.Equal(events, []string{"create:pending", "send", "update:failed"}) {
				t.Fatalf("events %v", events)
			}
			m, err := e.db.GetMessage(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if m.Status != chelseru.MessageFailed || m.ErrorClass != string(c.class) {
				t.Fatalf("stored %+v", m)
			}
			if c.b == bReject {
				if code, _ := r.obj["errorcode"].(float64); code != 418 || m.ErrorCode != "418" {
					t.Fatalf("errorcode %v, stored %q", r.obj["errorcode"], m.ErrorCode)
				}
			}
		})
	}
}

// TestProviderHang: a provider that never answers gets a 504 within the SMS
// timeout, the message is recorded as pending while it hangs, and other
// requests are served meanwhile.
func TestProviderHang(t *testing.T) {
	e := newEnv(t, func(c *config) { c.smsTimeout = 3 * time.Second })
	a, _ := e.login(mobileA, 0)
	e.sms.setBehavior(bHang)
	e.store.reset()
	before := e.sms.count()

	type result struct {
		r   resp
		err error
	}
	hungReq := req{method: http.MethodPost, path: "/api/message/send/", body: `{"mobile_number":"09351112233","message_text":"hello"}`,
		header: map[string]string{"Authorization": "Bearer " + a}}
	hung := make(chan result, 1)
	go func() {
		r, err := e.roundTrip(hungReq)
		hung <- result{r, err}
	}()
	// Wait until the provider has the request.
	for e.sms.count() == before {
		time.Sleep(time.Millisecond)
	}
	events, id := e.store.log()
	if len(events) == 0 || events[0] != "create:pending" {
		t.Fatalf("events while hanging %v", events)
	}
	m, err := e.db.GetMessage(context.Background(), id)
	if err != nil || m.Status != chelseru.MessagePending {
		t.Fatalf("while the provider hangs the message is %+v, %v", m, err)
	}
	// Other requests are served while the send hangs.
	want(t, e.get("/healthz", ""), http.StatusOK, `{"status":"ok"}`)
	want(t, e.get("/api/sessions/", a), http.StatusOK, "")
	want(t, e.post("/api/otp/send/", map[string]any{"mobile_number": "12"}), http.StatusBadRequest, "")
	want(t, e.post("/api/token/verify/", map[string]any{"token": a}), http.StatusOK, "")
	select {
	case res := <-hung:
		t.Fatalf("the hung send finished before the other requests: %+v", res)
	default:
	}
	res := <-hung
	if res.err != nil {
		t.Fatal(res.err)
	}
	r := res.r
	e.check(hungReq, &r)
	want(t, r, http.StatusGatewayTimeout, `{"details":"The SMS service provider did not answer in time."}`)
	m, err = e.db.GetMessage(context.Background(), id)
	if err != nil || m.Status != chelseru.MessageFailed || m.ErrorClass != string(chelseru.SMSTimeout) {
		t.Fatalf("after the timeout the message is %+v, %v", m, err)
	}
}

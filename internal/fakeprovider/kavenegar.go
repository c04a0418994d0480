package fakeprovider

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// NewKavenegar starts a fake Kavenegar (REST API v1): POST or GET
// /v1/{API_KEY}/sms/send.json (receptor, sender, message) and
// /v1/{API_KEY}/verify/lookup.json (receptor, token, token2, token3,
// token10, token20, template). It accepts the key KavenegarAPIKey unless
// WithAPIKey says otherwise; Reject answers 418 (out of credit).
func NewKavenegar(opts ...Option) *Server {
	return newServer("kavenegar", serveKavenegar, append([]Option{WithAPIKey(KavenegarAPIKey)}, opts...))
}

// kavenegarEnvelope renders Kavenegar's answer.
func kavenegarEnvelope(status int, message string, entries []byte) string {
	b := make([]byte, 0, 96+len(entries))
	b = append(b, `{"return":{"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"message":`...)
	b = jsonlite.AppendString(b, message)
	b = append(b, `},"entries":`...)
	if entries == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, entries...)
	}
	return string(append(b, '}'))
}

func kavenegarError(x exchange, status int, message string) {
	writeJSON(x, status, kavenegarEnvelope(status, message, nil))
}

func serveKavenegar(s *Server, x exchange) {
	parts := strings.Split(strings.TrimPrefix(x.EscapedPath(), "/"), "/")
	if len(parts) != 4 || parts[0] != "v1" {
		kavenegarError(x, 404, "متد نامشخص است")
		return
	}
	key, err := url.PathUnescape(parts[1])
	method := parts[2] + "/" + parts[3]
	if err != nil || (method != "sms/send.json" && method != "verify/lookup.json") {
		kavenegarError(x, 404, "متد نامشخص است")
		return
	}
	if x.Method() != http.MethodPost && x.Method() != http.MethodGet {
		kavenegarError(x, 405, "متد Get/Post اشتباه است")
		return
	}
	if key == "" || (!s.anyKey && key != s.key) {
		kavenegarError(x, 403, "کد شناسائی API-Key معتبر نمی‌باشد")
		return
	}
	if !x.ParseForm() {
		kavenegarError(x, 400, "پارامترها ناقص هستند")
		return
	}
	rec := Received{Method: x.Method(), Path: "/v1/{key}/" + method, APIKey: key, Receptor: x.Form("receptor")}
	sender := x.Form("sender")
	if method == "sms/send.json" {
		rec.Text = x.Form("message")
		if rec.Receptor == "" || rec.Text == "" {
			kavenegarError(x, 406, "پارامترهای اجباری خالی ارسال شده اند")
			return
		}
		if len([]rune(rec.Text)) > 900 {
			kavenegarError(x, 413, "پیام خالی است و یا طول پیام بیش از حد مجاز می‌باشد")
			return
		}
		if sender == "" {
			sender = "10004346"
		}
	} else {
		rec.Template = x.Form("template")
		for _, f := range []string{"token", "token2", "token3", "token10", "token20"} {
			if v := x.Form(f); v != "" {
				rec.Vars = append(rec.Vars, v)
			}
		}
		if rec.Receptor == "" || rec.Template == "" || x.Form("token") == "" {
			kavenegarError(x, 406, "پارامترهای اجباری خالی ارسال شده اند")
			return
		}
		for _, f := range []string{"token", "token2", "token3"} {
			if strings.ContainsAny(x.Form(f), " \t\n") {
				kavenegarError(x, 431, "ساختار کد صحیح نمی‌باشد")
				return
			}
		}
		sender = "10008663"
	}
	for _, m := range strings.Split(rec.Receptor, ",") {
		if !validMobile(m) {
			kavenegarError(x, 411, "دریافت کننده نامعتبر است")
			return
		}
	}
	s.record(rec)
	if !s.hold(x) {
		return
	}
	switch s.Behavior() {
	case Reject:
		kavenegarError(x, 418, "اعتبار شما کافی نمی‌باشد")
	case ServerError:
		serverError(x)
	case Malformed:
		malformed(x)
	default:
		e := make([]byte, 0, 320)
		e = append(e, '[')
		for i, m := range strings.Split(rec.Receptor, ",") {
			if i > 0 {
				e = append(e, ',')
			}
			e = append(e, `{"messageid":`...)
			e = strconv.AppendInt(e, s.nextID(), 10)
			e = append(e, `,"message":`...)
			text := rec.Text
			if text == "" {
				text = "کد تایید شما: " + strings.Join(rec.Vars, " ")
			}
			e = jsonlite.AppendString(e, text)
			status, statusText := 1, "در صف ارسال"
			if rec.Template != "" {
				status, statusText = 5, "ارسال به مخابرات"
			}
			e = append(e, `,"status":`...)
			e = strconv.AppendInt(e, int64(status), 10)
			e = append(e, `,"statustext":`...)
			e = jsonlite.AppendString(e, statusText)
			e = append(e, `,"sender":`...)
			e = jsonlite.AppendString(e, sender)
			e = append(e, `,"receptor":`...)
			e = jsonlite.AppendString(e, m)
			e = append(e, `,"date":`...)
			e = strconv.AppendInt(e, time.Now().Unix(), 10)
			e = append(e, `,"cost":120}`...)
		}
		e = append(e, ']')
		writeJSON(x, 200, kavenegarEnvelope(200, "تایید شد", e))
		s.delivered(rec)
	}
}

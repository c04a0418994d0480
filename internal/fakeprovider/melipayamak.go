package fakeprovider

import (
	"strconv"
	"strings"

	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// NewMeliPayamak starts a fake Meli Payamak REST service: POST
// /api/SendSMS/SendSMS (username, password, to, from, text, isFlash) and
// /api/SendSMS/BaseServiceNumber (username, password, to, bodyId, text with
// ';'-separated variables). It accepts MeliPayamakUsername and
// MeliPayamakPassword unless WithCredentials says otherwise; Reject answers
// code 2 (no credit).
func NewMeliPayamak(opts ...Option) *Server {
	return newServer("melipayamak", serveMeliPayamak,
		append([]Option{WithCredentials(MeliPayamakUsername, MeliPayamakPassword)}, opts...))
}

// meliAnswer renders Meli Payamak's answer.
func meliAnswer(value string, ret int, str string) string {
	b := []byte(`{"Value":`)
	b = jsonlite.AppendString(b, value)
	b = append(b, `,"RetStatus":`...)
	b = strconv.AppendInt(b, int64(ret), 10)
	b = append(b, `,"StrRetStatus":`...)
	b = jsonlite.AppendString(b, str)
	return string(append(b, '}'))
}

func serveMeliPayamak(s *Server, x exchange) {
	var method string
	switch x.Path() {
	case "/api/SendSMS/SendSMS":
		method = "SendSMS"
	case "/api/SendSMS/BaseServiceNumber":
		method = "BaseServiceNumber"
	default:
		notFound(x)
		return
	}
	if !postForm(x) {
		return
	}
	template := method == "BaseServiceNumber"
	// fail answers a Meli Payamak code: in RetStatus for SendSMS, in Value
	// beside RetStatus 1 for BaseServiceNumber.
	fail := func(code int, str string) {
		if template {
			writeJSON(x, 200, meliAnswer(strconv.Itoa(code), 1, "Ok"))
			return
		}
		writeJSON(x, 200, meliAnswer(strconv.Itoa(code), code, str))
	}
	user, pass := x.PostForm("username"), x.PostForm("password")
	if user == "" || pass == "" || (!s.anyKey && (user != s.user || pass != s.pass)) {
		fail(0, "InvalidUserPass")
		return
	}
	rec := Received{Method: x.Method(), Path: x.Path(), APIKey: user, Receptor: x.PostForm("to")}
	text := x.PostForm("text")
	if template {
		rec.Template = x.PostForm("bodyId")
		if text != "" {
			rec.Vars = strings.Split(text, ";")
		}
	} else {
		rec.Text = text
	}
	switch {
	case rec.Receptor == "":
		fail(16, "RecipientNotFound")
		return
	case strings.Contains(rec.Receptor, ",") && template:
		fail(-2, "")
		return
	case !validMobile(rec.Receptor):
		fail(18, "InvalidRecipient")
		return
	case text == "":
		fail(17, "EmptyText")
		return
	case template && rec.Template == "":
		fail(-4, "")
		return
	case !template && x.PostForm("from") == "":
		fail(5, "InvalidSenderNumber")
		return
	}
	s.record(rec)
	if !s.hold(x) {
		return
	}
	switch s.Behavior() {
	case Reject:
		fail(2, "NoCredit")
	case ServerError:
		serverError(x)
	case Malformed:
		malformed(x)
	default:
		id := s.nextID()
		if template { // BaseServiceNumber's recIds are over 15 digits
			id += 4_000_000_000_000_000_000
		}
		writeJSON(x, 200, meliAnswer(strconv.FormatInt(id, 10), 1, "Ok"))
		s.delivered(rec)
	}
}

package fakeprovider

import (
	"net/http"
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

func serveMeliPayamak(s *Server, w http.ResponseWriter, r *http.Request) {
	var method string
	switch r.URL.Path {
	case "/api/SendSMS/SendSMS":
		method = "SendSMS"
	case "/api/SendSMS/BaseServiceNumber":
		method = "BaseServiceNumber"
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "400 bad request", http.StatusBadRequest)
		return
	}
	template := method == "BaseServiceNumber"
	// fail answers a Meli Payamak code: in RetStatus for SendSMS, in Value
	// beside RetStatus 1 for BaseServiceNumber.
	fail := func(code int, str string) {
		if template {
			writeJSON(w, 200, meliAnswer(strconv.Itoa(code), 1, "Ok"))
			return
		}
		writeJSON(w, 200, meliAnswer(strconv.Itoa(code), code, str))
	}
	user, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
	if user == "" || pass == "" || (!s.anyKey && (user != s.user || pass != s.pass)) {
		fail(0, "InvalidUserPass")
		return
	}
	rec := Received{Method: r.Method, Path: r.URL.Path, APIKey: user, Receptor: r.PostForm.Get("to")}
	text := r.PostForm.Get("text")
	if template {
		rec.Template = r.PostForm.Get("bodyId")
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
	case !template && r.PostForm.Get("from") == "":
		fail(5, "InvalidSenderNumber")
		return
	}
	s.record(rec)
	s.hold(r.Context())
	switch s.Behavior() {
	case Reject:
		fail(2, "NoCredit")
	case ServerError:
		serverError(w)
	case Malformed:
		malformed(w)
	default:
		id := s.nextID()
		if template { // BaseServiceNumber's recIds are over 15 digits
			id += 4_000_000_000_000_000_000
		}
		writeJSON(w, 200, meliAnswer(strconv.FormatInt(id, 10), 1, "Ok"))
		s.delivered(rec)
	}
}

package fakeprovider

import (
	"strings"
)

// NewParsianWebco starts a fake Parsian Webco web service: POST
// /webservice-send-sms/send (token, TemplateID, MessageVars with
// ','-separated variables, Receiver, delay), answering {"status":200},
// {"status":100} or {"status":401}. It accepts ParsianWebcoToken unless
// WithAPIKey says otherwise; Reject answers status 100.
func NewParsianWebco(opts ...Option) *Server {
	return newServer("parsianwebco", serveParsianWebco, append([]Option{WithAPIKey(ParsianWebcoToken)}, opts...))
}

func serveParsianWebco(s *Server, x exchange) {
	if x.Path() != "/webservice-send-sms/send" {
		notFound(x)
		return
	}
	if !postForm(x) {
		return
	}
	token := x.PostForm("token")
	if token == "" || (!s.anyKey && token != s.key) {
		writeJSON(x, 200, `{"status":401,"message":"token is not valid"}`)
		return
	}
	rec := Received{Method: x.Method(), Path: x.Path(), APIKey: token, Receptor: x.PostForm("Receiver"),
		Template: x.PostForm("TemplateID")}
	if v := x.PostForm("MessageVars"); v != "" {
		rec.Vars = strings.Split(v, ",")
	}
	if rec.Template == "" || !validMobile(rec.Receptor) {
		writeJSON(x, 200, `{"status":100,"message":"bad TemplateID or Receiver"}`)
		return
	}
	s.record(rec)
	if !s.hold(x) {
		return
	}
	switch s.Behavior() {
	case Reject:
		writeJSON(x, 200, `{"status":100}`)
	case ServerError:
		serverError(x)
	case Malformed:
		malformed(x)
	default:
		writeJSON(x, 200, `{"status":200,"message":"sent"}`)
		s.delivered(rec)
	}
}

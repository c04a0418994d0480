package fakeprovider

import (
	"net/http"
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

func serveParsianWebco(s *Server, w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/webservice-send-sms/send" {
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
	token := r.PostForm.Get("token")
	if token == "" || (!s.anyKey && token != s.key) {
		writeJSON(w, 200, `{"status":401,"message":"token is not valid"}`)
		return
	}
	rec := Received{Method: r.Method, Path: r.URL.Path, APIKey: token, Receptor: r.PostForm.Get("Receiver"),
		Template: r.PostForm.Get("TemplateID")}
	if v := r.PostForm.Get("MessageVars"); v != "" {
		rec.Vars = strings.Split(v, ",")
	}
	if rec.Template == "" || !validMobile(rec.Receptor) {
		writeJSON(w, 200, `{"status":100,"message":"bad TemplateID or Receiver"}`)
		return
	}
	s.record(rec)
	s.hold(r.Context())
	switch s.Behavior() {
	case Reject:
		writeJSON(w, 200, `{"status":100}`)
	case ServerError:
		serverError(w)
	case Malformed:
		malformed(w)
	default:
		writeJSON(w, 200, `{"status":200,"message":"sent"}`)
		s.delivered(rec)
	}
}

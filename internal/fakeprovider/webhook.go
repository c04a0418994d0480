package fakeprovider

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/chelseru/chelseru/plugins/webhook"
)

// NewWebhook starts a fake WEBHOOK receiver: it takes a POST on any path,
// checks X-Chelseru-Signature and X-Chelseru-Timestamp with
// webhook.Verify (WebhookSecret unless WithAPIKey says otherwise; at most
// webhook.DefaultMaxAge from now) and answers a bad or stale signature HTTP
// 401 {"text":...}, a body without "to" or without a text or template 400,
// and an accepted message 200 {"message_id":...}. Reject answers 402
// {"code":"418","text":...} (its own provider out of credit); Malformed
// answers 200 with broken JSON, which WEBHOOK takes for success (any 2xx
// is).
func NewWebhook(opts ...Option) *Server {
	return newServer("webhook", serveWebhook, append([]Option{WithAPIKey(WebhookSecret)}, opts...))
}

type webhookBody struct {
	To         string          `json:"to"`
	Text       string          `json:"text"`
	TemplateID int64           `json:"template_id"`
	Vars       []string        `json:"vars"`
	Params     json.RawMessage `json:"params"`
	Ref        string          `json:"ref"`
}

func serveWebhook(s *Server, x exchange) {
	fail := func(status int, text string) { writeJSON(x, status, mustJSON(map[string]string{"text": text})) }
	if x.Method() != "POST" {
		x.SetHeader("Allow", "POST")
		httpError(x, "405 method not allowed", 405)
		return
	}
	body, ok := x.Body()
	if !ok {
		fail(413, "body too large")
		return
	}
	if err := webhook.Verify(s.key, x.Header(webhook.HeaderTimestamp), x.Header(webhook.HeaderSignature), body, time.Now(), 0); err != nil {
		fail(401, err.Error())
		return
	}
	var q webhookBody
	if json.Unmarshal(body, &q) != nil {
		fail(400, "body is not the JSON of a message")
		return
	}
	rec := Received{Method: x.Method(), Path: x.Path(), Receptor: q.To, Text: q.Text, Vars: q.Vars}
	if q.TemplateID != 0 {
		rec.Template = strconv.FormatInt(q.TemplateID, 10)
	}
	names, ok := paramNames(q.Params)
	rec.Names = names
	if !ok || !validMobile(q.To) || (q.Text == "" && q.TemplateID == 0) {
		fail(400, "a message needs a valid \"to\" and a text or a template")
		return
	}
	s.record(rec)
	if !s.hold(x) {
		return
	}
	switch s.Behavior() {
	case Reject:
		writeJSON(x, 402, mustJSON(map[string]string{"code": "418", "text": "اعتبار شما کافی نمی‌باشد"}))
	case ServerError:
		serverError(x)
	case Malformed:
		malformed(x)
	default:
		writeJSON(x, 200, mustJSON(map[string]string{"message_id": "wh-" + strconv.FormatInt(s.nextID(), 10)}))
		s.delivered(rec)
	}
}

// paramNames returns the member names of a "params" object in the order
// they were sent (none for an absent or null one); false when it is not an
// object of strings.
func paramNames(raw json.RawMessage) ([]string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	var check map[string]string
	if json.Unmarshal(raw, &check) != nil {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var names []string
	if _, err := dec.Token(); err != nil { // {
		return nil, false
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, false
		}
		names = append(names, k.(string))
		if _, err := dec.Token(); err != nil { // the value
			return nil, false
		}
	}
	return names, true
}

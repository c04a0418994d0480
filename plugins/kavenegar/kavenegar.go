// Package kavenegar is the KAVENEGAR_COM SMS provider plugin: Kavenegar's
// REST API v1 (kavenegar.com/rest.html).
//
// Text messages go to POST {base}/v1/{API_KEY}/sms/send.json with the form
// fields receptor, sender and message; templates (a TemplateID) go to POST
// {base}/v1/{API_KEY}/verify/lookup.json with receptor, template (the
// template's name: the TemplateID in decimal), token, token2, token3, token10
// and token20 (Vars in that order). Kavenegar answers
// {"return":{"status":N,"message":"..."},"entries":[{"messageid":...}]} with
// the HTTP status equal to return.status; the statuses are mapped onto the
// ABI's error classes by the table in status.go.
//
// The API key is part of the URL path: it never appears in a Result, and the
// plugin never logs. The logic is plain Go (it runs natively in tests and
// benchmarks); plugins/kavenegar/wasm builds it into kavenegar_com.wasm.
package kavenegar

import (
	"errors"
	"strconv"
	"strings"

	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
	"github.com/chelseru/chelseru/sdk/jsonlite"
	"github.com/chelseru/chelseru/sdk/provider"
)

// Name is the SMS_SERVICE value of this plugin.
const Name = "KAVENEGAR_COM"

// Version is the plugin's own version.
const Version = "1.0.0"

// Setting keys.
const (
	SettingAPIKey  = Name + "_API_KEY"
	SettingFrom    = Name + "_FROM"
	SettingBaseURL = Name + "_BASE_URL"
)

// DefaultBaseURL is Kavenegar's API address.
const DefaultBaseURL = "https://api.kavenegar.com"

// Host is the host name the plugin calls by default.
const Host = "api.kavenegar.com"

// maxVars is the number of template variables a lookup carries (token,
// token2, token3, token10, token20).
const maxVars = 5

// maxText bounds the provider text copied into a Result.
const maxText = 256

// States returned beside a request, to tell the answers apart.
const (
	stateSend   = "send"
	stateLookup = "lookup"
)

var tokenFields = [maxVars]string{"token", "token2", "token3", "token10", "token20"}

// answerPaths are the parts of Kavenegar's answer the plugin reads, found in
// one pass over it (jsonlite.Extract).
// Each path is keyed by its index constant, the index of its result.
var answerPaths = [...][]string{
	ansStatus:      {"return", "status"},
	ansMessage:     {"return", "message"},
	ansMessageID:   {"entries", "0", "messageid"},
	ansEntryStatus: {"entries", "0", "status"},
	ansEntryText:   {"entries", "0", "statustext"},
}

// Indexes of answerPaths and of the extraction results.
const (
	ansStatus = iota
	ansMessage
	ansMessageID
	ansEntryStatus
	ansEntryText
)

// Plugin is the Kavenegar provider. Create it with New. A Plugin is not
// safe for concurrent use (the host gives each instance one call at a time).
type Plugin struct {
	apiKey     string
	from       string
	sendURL    string // {base}/v1/{key}/sms/send.json
	lookupURL  string // {base}/v1/{key}/verify/lookup.json
	configured bool
	buf        []byte           // scratch for request bodies
	out        provider.Scratch // the Request and Result returned, reused
}

// New returns the Kavenegar provider, to be configured before use.
func New() sdk.Plugin { return &Plugin{} }

// Manifest describes KAVENEGAR_COM.
func (p *Plugin) Manifest() abi.Manifest {
	return abi.Manifest{
		ABI:         abi.Version,
		Name:        Name,
		Version:     Version,
		Description: "Kavenegar REST API v1: sms/send.json for text, verify/lookup.json for templates.",
		Settings: []abi.Setting{
			{Key: SettingAPIKey, Required: true, Secret: true, Description: "API key from the Kavenegar panel (it is part of every request URL)."},
			{Key: SettingFrom, Description: "Sender line for text messages; empty uses the account's default line. Not used by templates."},
			{Key: SettingBaseURL, Default: DefaultBaseURL, Description: "Base URL of the Kavenegar API (tests and mirrors)."},
		},
		Text:      true,
		Templates: true,
		Hosts:     []string{Host},
	}
}

// Configure reads the plugin's settings; a missing API key or a malformed
// base URL is refused with an error naming the key.
func (p *Plugin) Configure(settings map[string]string) error {
	*p = Plugin{buf: p.buf}
	key := strings.TrimSpace(settings[SettingAPIKey])
	if key == "" {
		return errors.New(SettingAPIKey + " is required")
	}
	base, err := provider.BaseURL(settings, SettingBaseURL, DefaultBaseURL)
	if err != nil {
		return err
	}
	prefix := string(provider.AppendPathEscape([]byte(base+"/v1/"), key))
	p.apiKey = key
	p.from = strings.TrimSpace(settings[SettingFrom])
	p.sendURL = prefix + "/sms/send.json"
	p.lookupURL = prefix + "/verify/lookup.json"
	p.configured = true
	return nil
}

// Send builds the sms/send or verify/lookup request for m.
func (p *Plugin) Send(m abi.Message) abi.Action {
	if !p.configured {
		return provider.Fail(abi.ClassPermanent, "not_configured", "the plugin was not configured")
	}
	if m.To == "" {
		return provider.Fail(abi.ClassBadRequest, "receptor", "no receiver")
	}
	b := p.buf[:0]
	var url, state string
	if m.TemplateID != 0 || len(m.Vars) > 0 {
		switch {
		case m.TemplateID == 0:
			return provider.Fail(abi.ClassBadRequest, "template", "template variables given without a template")
		case len(m.Vars) == 0 || m.Vars[0] == "":
			return provider.Fail(abi.ClassBadRequest, "token", "a Kavenegar lookup needs at least one template variable")
		case len(m.Vars) > maxVars:
			return provider.Fail(abi.ClassBadRequest, "token", "a Kavenegar lookup takes at most 5 template variables")
		}
		b = provider.AppendForm(b, "receptor", m.To)
		for i, v := range m.Vars {
			b = provider.AppendForm(b, tokenFields[i], v)
		}
		b = provider.AppendFormInt(b, "template", m.TemplateID)
		url, state = p.lookupURL, stateLookup
	} else {
		if m.Text == "" {
			return provider.Fail(abi.ClassBadRequest, "message", "empty message text")
		}
		b = provider.AppendForm(b, "receptor", m.To)
		if p.from != "" {
			b = provider.AppendForm(b, "sender", p.from)
		}
		b = provider.AppendForm(b, "message", m.Text)
		url, state = p.sendURL, stateSend
	}
	p.buf = b
	return abi.Action{Request: p.out.POSTForm(url, b), State: state}
}

// Response turns Kavenegar's answer into the Result.
func (p *Plugin) Response(r abi.Response) abi.Action {
	return abi.Action{Result: p.out.Result(p.parse(r.Status, r.Body))}
}

// parse classifies one answer. It never panics and always returns a
// success with the message id or a classified failure.
func (p *Plugin) parse(httpStatus int, body string) abi.Result {
	var f [len(answerPaths)]jsonlite.Value
	_, perr := jsonlite.ExtractString(body, answerPaths[:], f[:])
	status, hasStatus := f[ansStatus].Int()
	if perr != nil {
		hasStatus = false
	}
	if !hasStatus {
		// Not Kavenegar's envelope: an HTML error page, an empty body, a
		// proxy's answer. Kavenegar's HTTP statuses are its return.status
		// codes, so the table still applies.
		class := abi.ClassTemporary
		code := "bad_response"
		if httpStatus < 200 || httpStatus > 299 {
			class, _ = classifyHTTP(httpStatus)
			code = "http_" + strconv.Itoa(httpStatus)
		}
		return abi.Result{Class: class, Code: code,
			Text: "Kavenegar answered HTTP " + strconv.Itoa(httpStatus) + " without its JSON envelope"}
	}
	if status == 200 {
		if httpStatus < 200 || httpStatus > 299 {
			class, _ := classifyHTTP(httpStatus)
			return abi.Result{Class: class, Code: "http_" + strconv.Itoa(httpStatus),
				Text: "Kavenegar answered HTTP " + strconv.Itoa(httpStatus) + " with return.status 200"}
		}
		id := f[ansMessageID]
		if es := f[ansEntryStatus]; es.Kind() == jsonlite.Number {
			if n, _ := es.Int(); failedEntry(n) {
				text := "Kavenegar reports the message as not sent"
				if st := f[ansEntryText]; st.Kind() == jsonlite.String && st.String() != "" {
					text = st.String()
				}
				return abi.Result{Class: abi.ClassPermanent, Code: "entry_status_" + strconv.FormatInt(n, 10), Text: p.scrub(text)}
			}
		}
		if id.Kind() != jsonlite.Number && id.Kind() != jsonlite.String {
			id = jsonlite.Value{}
		}
		return abi.Result{OK: true, MessageID: p.scrub(jsonlite.StringIn(body, id))}
	}
	code := int(status)
	if int64(code) != status { // out of int range on 32-bit guests
		code = -1
	}
	class, text := classify(code)
	if msg := f[ansMessage]; msg.Kind() == jsonlite.String {
		if s := msg.String(); s != "" {
			text = s
		}
	}
	return abi.Result{Class: class, Code: strconv.FormatInt(status, 10), Text: p.scrub(text)}
}

// failedEntry reports whether a message status in entries[] means the
// message was refused although the call succeeded: 6 failed, 11 not
// delivered (unreachable), 13 cancelled, 14 blocked by the receiver, 100
// unknown message. (1, 2, 4, 5 are queued or sent, 10 delivered.)
func failedEntry(status int64) bool {
	switch status {
	case 6, 11, 13, 14, 100:
		return true
	}
	return false
}

// classifyHTTP classes an HTTP status that came without an envelope.
func classifyHTTP(status int) (class, text string) {
	if _, ok := statuses[status]; ok {
		return classify(status)
	}
	switch {
	case status == 401 || status == 403:
		return abi.ClassBadCredentials, ""
	case status == 429:
		return abi.ClassRateLimited, ""
	case status >= 500 && status <= 599, status == 408:
		return abi.ClassTemporary, ""
	}
	return abi.ClassPermanent, ""
}

// scrub makes provider text fit for a Result: the secret removed, the length bounded.
func (p *Plugin) scrub(s string) string { return provider.Scrub(s, p.apiKey, "[API key]", maxText) }

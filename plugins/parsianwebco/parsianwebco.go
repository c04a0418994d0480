// Package parsianwebco is the PARSIAN_WEBCO_IR SMS provider plugin: Parsian
// Webco's template web service (api.parsianwebco.ir).
//
// It sends templates only: POST {base}/webservice-send-sms/send with the
// form fields token (the API key), TemplateID, MessageVars (the variables
// joined by ','), Receiver and delay=1. Parsian Webco answers a JSON object
// whose status is 200 (sent), 100 (failed) or 401 (bad token); the statuses
// are mapped onto the ABI's error classes by the table below. A message
// without a template is refused (the host refuses it first, with the same
// answer).
//
// The API key travels in the form body only; it never appears in a Result
// and the plugin never logs.
package parsianwebco

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
const Name = "PARSIAN_WEBCO_IR"

// Version is the plugin's own version.
const Version = "1.0.0"

// Setting keys.
const (
	SettingAPIKey  = Name + "_API_KEY"
	SettingBaseURL = Name + "_BASE_URL"
)

// DefaultBaseURL is Parsian Webco's API address.
const DefaultBaseURL = "https://api.parsianwebco.ir"

// Host is the host name the plugin calls by default.
const Host = "api.parsianwebco.ir"

// Separator joins the template variables in MessageVars.
const Separator = ","

// maxText bounds the provider text copied into a Result.
const maxText = 256

// statusInfo is one row of Parsian Webco's status table.
type statusInfo struct {
	class string
	text  string
}

// statuses maps Parsian Webco's documented status values (200 is success).
var statuses = map[int64]statusInfo{
	100: {abi.ClassPermanent, "ارسال پیامک ناموفق بود"},
	401: {abi.ClassBadCredentials, "توکن احراز هویت پذیرفته نشد"},
}

// answerPaths are the members of Parsian Webco's answer the plugin reads,
// found in one pass over it (jsonlite.Extract).
// Each path is keyed by its index constant, the index of its result.
var answerPaths = [...][]string{ansStatus: {"status"}, ansMessage: {"message"}}

// Indexes of answerPaths and of the extraction results.
const (
	ansStatus = iota
	ansMessage
)

// Plugin is the Parsian Webco provider. Create it with New. A Plugin is not
// safe for concurrent use (the host gives each instance one call at a time).
type Plugin struct {
	apiKey     string
	sendURL    string
	configured bool
	auth       []byte // "token=…", form-encoded once by Configure
	buf        []byte
	out        provider.Scratch // the Request and Result returned, reused
}

// New returns the Parsian Webco provider, to be configured before use.
func New() sdk.Plugin { return &Plugin{} }

// Manifest describes PARSIAN_WEBCO_IR: templates only.
func (p *Plugin) Manifest() abi.Manifest {
	return abi.Manifest{
		ABI:         abi.Version,
		Name:        Name,
		Version:     Version,
		Description: "Parsian Webco template web service (webservice-send-sms/send); templates only.",
		Settings: []abi.Setting{
			{Key: SettingAPIKey, Required: true, Secret: true, Description: "Web service token from the Parsian Webco panel."},
			{Key: SettingBaseURL, Default: DefaultBaseURL, Description: "Base URL of the web service (tests and mirrors)."},
		},
		Text:      false,
		Templates: true,
		Hosts:     []string{Host},
	}
}

// Configure reads the plugin's settings.
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
	p.apiKey = key
	p.auth = provider.AppendForm(nil, "token", key)
	p.sendURL = base + "/webservice-send-sms/send"
	p.configured = true
	return nil
}

// Send builds the webservice-send-sms request for m.
func (p *Plugin) Send(m abi.Message) abi.Action {
	switch {
	case !p.configured:
		return provider.Fail(abi.ClassPermanent, "not_configured", "the plugin was not configured")
	case m.To == "":
		return provider.Fail(abi.ClassBadRequest, "Receiver", "no receiver")
	case m.TemplateID == 0:
		// The host's own answer for a templates-only provider, word for word.
		return provider.Fail(abi.ClassBadRequest, "template_required", "this provider sends templates only: a template_id is required")
	}
	for _, v := range m.Vars {
		if strings.Contains(v, Separator) {
			return provider.Fail(abi.ClassBadRequest, "MessageVars", "a template variable contains ',', Parsian Webco's separator")
		}
	}
	b := append(p.buf[:0], p.auth...)
	b = provider.AppendFormInt(b, "TemplateID", m.TemplateID)
	b = provider.AppendFormJoined(b, "MessageVars", m.Vars, Separator)
	b = provider.AppendForm(b, "Receiver", m.To)
	b = provider.AppendForm(b, "delay", "1")
	p.buf = b
	return abi.Action{Request: p.out.POSTForm(p.sendURL, b), State: "send"}
}

// Response turns Parsian Webco's answer into the Result.
func (p *Plugin) Response(r abi.Response) abi.Action {
	return abi.Action{Result: p.out.Result(p.parse(r.Status, r.Body))}
}

// parse classifies one answer. It never panics and always returns a
// success or a classified failure. Parsian Webco documents no message id for
// a send, so a success carries none.
func (p *Plugin) parse(httpStatus int, body string) abi.Result {
	var f [len(answerPaths)]jsonlite.Value
	if _, err := jsonlite.ExtractString(body, answerPaths[:], f[:]); err != nil {
		f = [len(answerPaths)]jsonlite.Value{}
	}
	st, msg := f[ansStatus], f[ansMessage]
	status, ok := st.Int()
	if !ok && st.Kind() == jsonlite.String { // "200" as a string
		status, ok = parseInt(st.String())
	}
	if !ok {
		class := abi.ClassTemporary
		code := "bad_response"
		if httpStatus < 200 || httpStatus > 299 {
			class = classifyHTTP(httpStatus)
			code = "http_" + strconv.Itoa(httpStatus)
		}
		return abi.Result{Class: class, Code: code,
			Text: "Parsian Webco answered HTTP " + strconv.Itoa(httpStatus) + " without its JSON status"}
	}
	if status == 200 {
		if httpStatus < 200 || httpStatus > 299 {
			return abi.Result{Class: classifyHTTP(httpStatus), Code: "http_" + strconv.Itoa(httpStatus),
				Text: "Parsian Webco answered HTTP " + strconv.Itoa(httpStatus) + " with status 200"}
		}
		return abi.Result{OK: true}
	}
	info, known := statuses[status]
	if !known {
		info = statusInfo{classifyHTTP(int(max(min(status, 999), 0))), "Parsian Webco answered an undocumented status"}
	}
	text := info.text
	if msg.Kind() == jsonlite.String {
		if s := strings.TrimSpace(msg.String()); s != "" {
			text = s
		}
	}
	return abi.Result{Class: info.class, Code: strconv.FormatInt(status, 10), Text: p.scrub(text)}
}

// parseInt parses a short decimal integer.
func parseInt(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// classifyHTTP classes a status that is not in the table.
func classifyHTTP(status int) string {
	switch {
	case status == 401 || status == 403:
		return abi.ClassBadCredentials
	case status == 429:
		return abi.ClassRateLimited
	case status >= 500 && status <= 599, status == 408:
		return abi.ClassTemporary
	}
	return abi.ClassPermanent
}

// scrub makes provider text fit for a Result: the secret removed, the length bounded.
func (p *Plugin) scrub(s string) string { return provider.Scrub(s, p.apiKey, "[API key]", maxText) }

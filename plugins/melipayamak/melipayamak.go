// Package melipayamak is the MELI_PAYAMAK_COM SMS provider plugin: Meli
// Payamak's REST web service (rest.payamak-panel.com/api/SendSMS/...).
//
// Text messages go to POST {base}/api/SendSMS/SendSMS with the form fields
// username, password, to, from, text and isFlash=false; templates (a
// TemplateID) go to the shared service line, POST
// {base}/api/SendSMS/BaseServiceNumber with username, password, to, bodyId
// (the TemplateID) and text (the variables joined by ';'). Meli Payamak
// answers {"Value":"...","RetStatus":N,"StrRetStatus":"..."}: success is
// RetStatus 1 with the message's id (recId, a long number) in Value; a
// failure carries its code in RetStatus, or, for BaseServiceNumber, in Value
// beside RetStatus 1. The codes are mapped onto the ABI's error classes by
// the table in status.go.
//
// The password travels in the form body only; it never appears in a Result
// and the plugin never logs.
package melipayamak

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
const Name = "MELI_PAYAMAK_COM"

// Version is the plugin's own version.
const Version = "1.0.0"

// Setting keys.
const (
	SettingUsername = Name + "_USERNAME"
	SettingPassword = Name + "_PASSWORD"
	SettingFrom     = Name + "_FROM"
	SettingBaseURL  = Name + "_BASE_URL"
)

// DefaultBaseURL is Meli Payamak's REST address.
const DefaultBaseURL = "https://rest.payamak-panel.com"

// Host is the host name the plugin calls by default.
const Host = "rest.payamak-panel.com"

// minIDLen is the shortest Value taken as a message id: Meli Payamak's
// error codes are at most four characters ("-110"), its recIds far longer
// (BaseServiceNumber's are over 15 digits).
const minIDLen = 5

// maxText bounds the provider text copied into a Result.
const maxText = 256

// answerPaths are the members of Meli Payamak's answer the plugin reads,
// found in one pass over it (jsonlite.Extract).
// Each path is keyed by its index constant, the index of its result.
var answerPaths = [...][]string{ansValue: {"Value"}, ansRetStatus: {"RetStatus"}, ansStrRetStatus: {"StrRetStatus"}}

// Indexes of answerPaths and of the extraction results.
const (
	ansValue = iota
	ansRetStatus
	ansStrRetStatus
)

// States returned beside a request.
const (
	stateSend     = "send"
	stateTemplate = "template"
)

// Plugin is the Meli Payamak provider. Create it with New. A Plugin is not
// safe for concurrent use (the host gives each instance one call at a time).
type Plugin struct {
	username    string
	password    string
	from        string
	sendURL     string
	templateURL string
	configured  bool
	auth        []byte // "username=…&password=…", form-encoded once by Configure
	buf         []byte
	out         provider.Scratch // the Request and Result returned, reused
}

// New returns the Meli Payamak provider, to be configured before use.
func New() sdk.Plugin { return &Plugin{} }

// Manifest describes MELI_PAYAMAK_COM.
func (p *Plugin) Manifest() abi.Manifest {
	return abi.Manifest{
		ABI:         abi.Version,
		Name:        Name,
		Version:     Version,
		Description: "Meli Payamak REST: SendSMS for text, BaseServiceNumber (shared service line) for templates.",
		Settings: []abi.Setting{
			{Key: SettingUsername, Required: true, Description: "Web service user name."},
			{Key: SettingPassword, Required: true, Secret: true, Description: "Web service password."},
			{Key: SettingFrom, Description: "Sender line; required to send text (templates go out on the shared service line)."},
			{Key: SettingBaseURL, Default: DefaultBaseURL, Description: "Base URL of the REST service (tests and mirrors)."},
		},
		Text:      true,
		Templates: true,
		Hosts:     []string{Host},
	}
}

// Configure reads the plugin's settings.
func (p *Plugin) Configure(settings map[string]string) error {
	*p = Plugin{buf: p.buf}
	user := strings.TrimSpace(settings[SettingUsername])
	if user == "" {
		return errors.New(SettingUsername + " is required")
	}
	pass := settings[SettingPassword]
	if pass == "" {
		return errors.New(SettingPassword + " is required")
	}
	base, err := provider.BaseURL(settings, SettingBaseURL, DefaultBaseURL)
	if err != nil {
		return err
	}
	p.username, p.password = user, pass
	p.auth = provider.AppendForm(provider.AppendForm(nil, "username", user), "password", pass)
	p.from = strings.TrimSpace(settings[SettingFrom])
	p.sendURL = base + "/api/SendSMS/SendSMS"
	p.templateURL = base + "/api/SendSMS/BaseServiceNumber"
	p.configured = true
	return nil
}

// Send builds the SendSMS or BaseServiceNumber request for m.
func (p *Plugin) Send(m abi.Message) abi.Action {
	if !p.configured {
		return provider.Fail(abi.ClassPermanent, "not_configured", "the plugin was not configured")
	}
	if m.To == "" {
		return provider.Fail(abi.ClassBadRequest, "to", "no receiver")
	}
	b := append(p.buf[:0], p.auth...)
	b = provider.AppendForm(b, "to", m.To)
	var url, state string
	if m.TemplateID != 0 || len(m.Vars) > 0 {
		if m.TemplateID == 0 {
			return provider.Fail(abi.ClassBadRequest, "bodyId", "template variables given without a template")
		}
		for _, v := range m.Vars {
			if strings.IndexByte(v, ';') >= 0 {
				return provider.Fail(abi.ClassBadRequest, "text", "a template variable contains ';', Meli Payamak's separator")
			}
		}
		b = provider.AppendFormInt(b, "bodyId", m.TemplateID)
		b = provider.AppendFormJoined(b, "text", m.Vars, ";")
		url, state = p.templateURL, stateTemplate
	} else {
		switch {
		case p.from == "":
			return provider.Fail(abi.ClassBadRequest, "from", SettingFrom+" is required to send text")
		case m.Text == "":
			return provider.Fail(abi.ClassBadRequest, "text", "empty message text")
		}
		b = provider.AppendForm(b, "from", p.from)
		b = provider.AppendForm(b, "text", m.Text)
		b = provider.AppendForm(b, "isFlash", "false")
		url, state = p.sendURL, stateSend
	}
	p.buf = b
	return abi.Action{Request: p.out.POSTForm(url, b), State: state}
}

// Response turns Meli Payamak's answer into the Result.
func (p *Plugin) Response(r abi.Response) abi.Action {
	return abi.Action{Result: p.out.Result(p.parse(r.Status, r.Body))}
}

// parse classifies one answer. It never panics and always returns a
// success with the message id or a classified failure.
func (p *Plugin) parse(httpStatus int, body string) abi.Result {
	var f [len(answerPaths)]jsonlite.Value
	if _, err := jsonlite.ExtractString(body, answerPaths[:], f[:]); err != nil {
		f = [len(answerPaths)]jsonlite.Value{}
	}
	value, ret, str := f[ansValue], f[ansRetStatus], f[ansStrRetStatus]
	retStatus, ok := ret.Int()
	if !ok {
		class := abi.ClassTemporary
		code := "bad_response"
		if httpStatus < 200 || httpStatus > 299 {
			class = classifyHTTP(httpStatus)
			code = "http_" + strconv.Itoa(httpStatus)
		}
		return abi.Result{Class: class, Code: code,
			Text: "Meli Payamak answered HTTP " + strconv.Itoa(httpStatus) + " without its JSON answer"}
	}
	val := ""
	if value.Kind() == jsonlite.String || value.Kind() == jsonlite.Number {
		val = strings.TrimSpace(jsonlite.StringIn(body, value))
	}
	if retStatus == 1 {
		if isID(val) {
			if httpStatus < 200 || httpStatus > 299 {
				return abi.Result{Class: classifyHTTP(httpStatus), Code: "http_" + strconv.Itoa(httpStatus),
					Text: "Meli Payamak answered HTTP " + strconv.Itoa(httpStatus) + " with RetStatus 1"}
			}
			return abi.Result{OK: true, MessageID: val}
		}
		// BaseServiceNumber: RetStatus 1 with an error code in Value.
		info, known := codes[val]
		if !known {
			info = codeInfo{abi.ClassPermanent, "Meli Payamak answered an unknown code"}
		}
		code := val
		switch {
		case code == "":
			code = "empty_value"
		case !known && len(code) > 16:
			code = "unknown_value"
		}
		return abi.Result{Class: info.class, Code: p.scrub(code), Text: info.text}
	}
	code := strconv.FormatInt(retStatus, 10)
	info, known := codes[code]
	if !known {
		info = codeInfo{abi.ClassPermanent, ""}
	}
	text := info.text
	if str.Kind() == jsonlite.String {
		if s := strings.TrimSpace(str.String()); s != "" {
			text = s
		}
	}
	return abi.Result{Class: info.class, Code: code, Text: p.scrub(text)}
}

// isID reports whether v looks like a Meli Payamak message id (recId).
func isID(v string) bool {
	if len(v) < minIDLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

// classifyHTTP classes an HTTP failure that came without Meli Payamak's
// JSON answer.
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
func (p *Plugin) scrub(s string) string { return provider.Scrub(s, p.password, "[password]", maxText) }

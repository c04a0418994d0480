// Package smsir is the SMS_IR SMS provider plugin: SMS.ir's REST API v1
// (https://api.sms.ir/v1, app.sms.ir/developer/help).
//
// Templates (a TemplateID) go to POST {base}/v1/send/verify as JSON
// {"mobile","templateId","parameters":[{"name","value"}]}: SMS.ir names its
// template parameters, so each variable needs a name, taken from the
// message's params: the operator's SMS.TEMPLATE_PARAMS, else the manifest's
// template_params (CODE: the OTP template's one parameter), which the host
// applies (docs/writing-a-provider.md § 4).
// Text goes to POST {base}/v1/send/bulk as {"lineNumber","messageText",
// "mobiles":[...]} from the line SMS_IR_LINE_NUMBER. Every request carries
// the API key in the X-API-KEY header. SMS.ir answers
// {"status":N,"message":"...","data":{...}}: status 1 is success (the
// message id in data.messageId, or data.messageIds[0] for a bulk send);
// the others are mapped onto the ABI's error classes by status.go.
//
// The API key never appears in a Result, and the plugin never logs. The
// logic is plain Go (it runs natively in tests); plugins/smsir/wasm builds
// it into sms_ir.wasm.
package smsir

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
const Name = "SMS_IR"

// Version is the plugin's own version.
const Version = "1.0.0"

// Setting keys.
const (
	SettingAPIKey     = Name + "_API_KEY"
	SettingLineNumber = Name + "_LINE_NUMBER"
	// SettingParamNames is the removed naming setting, declared only so
	// that Configure can refuse it with a hint (SMS.TEMPLATE_PARAMS names
	// parameters; the manifest's template_params is the default).
	SettingParamNames = Name + "_PARAM_NAMES"
	SettingBaseURL    = Name + "_BASE_URL"
)

// DefaultBaseURL is SMS.ir's API address; Host its host name.
const (
	DefaultBaseURL = "https://api.sms.ir"
	Host           = "api.sms.ir"
)

// DefaultParamName names the first variable of a template the operator
// named no parameters of (the manifest's template_params): the OTP
// template's code.
const DefaultParamName = "CODE"

// templateParams are the names Send falls back to when a message carries
// none, the manifest's template_params (a host older than that member
// sends none).
var templateParams = []string{DefaultParamName}

// namedTemplate is how a template send is checked before it is built.
var namedTemplate = provider.NamedTemplate{TemplateField: "templateId", ParamsField: "parameters", Max: maxVars,
	NoParams: "an SMS.ir template send needs at least one parameter"}

// maxVars bounds a template's parameters; maxText the provider text copied
// into a Result.
const (
	maxVars = 16
	maxText = 256
)

// States returned beside a request.
const (
	stateVerify = "verify"
	stateBulk   = "bulk"
)

// answerPaths are the parts of SMS.ir's answer the plugin reads.
// Each path is keyed by its index constant, the index of its result; the
// message id candidates come last, in order of preference.
var answerPaths = [...][]string{
	ansStatus:     {"status"},
	ansMessage:    {"message"},
	ansMessageID:  {"data", "messageId"},
	ansMessageIDs: {"data", "messageIds", "0"},
	ansPackID:     {"data", "packId"},
}

// Indexes of answerPaths and of the extraction results.
const (
	ansStatus = iota
	ansMessage
	ansMessageID // first of the id candidates, which run to the end
	ansMessageIDs
	ansPackID
)

// Plugin is the SMS.ir provider. Create it with New. A Plugin is not safe
// for concurrent use (the host gives each instance one call at a time).
type Plugin struct {
	apiKey     string
	line       string // digits, or "" (no text sends)
	headers    []abi.Header
	verifyURL  string
	bulkURL    string
	configured bool
	buf        []byte
	params     []abi.Param
	out        provider.Scratch
}

// New returns the SMS.ir provider, to be configured before use.
func New() sdk.Plugin { return &Plugin{} }

// Manifest describes SMS_IR.
func (p *Plugin) Manifest() abi.Manifest {
	return abi.Manifest{
		ABI:         abi.Version,
		Name:        Name,
		Version:     Version,
		Description: "SMS.ir REST API v1: send/verify for templates (named parameters), send/bulk for text.",
		Settings: []abi.Setting{
			{Key: SettingAPIKey, Required: true, Secret: true, Description: "API key from the SMS.ir panel (sent as X-API-KEY)."},
			{Key: SettingLineNumber, Description: "Sender line (digits) for text messages; text sends are refused without it. Not used by templates."},
			{Key: SettingParamNames, Description: "Removed (refused when set): name a template's parameters in SMS.TEMPLATE_PARAMS; without it the first is named CODE (template_params)."},
			{Key: SettingBaseURL, Default: DefaultBaseURL, Description: "Base URL of the SMS.ir API (tests and mirrors)."},
		},
		Text:           true,
		Templates:      true,
		Hosts:          []string{Host},
		TemplateParams: []string{DefaultParamName},
	}
}

// Configure reads the plugin's settings; a missing API key, a line number
// that is not digits or a malformed base URL is refused with an error
// naming the key.
func (p *Plugin) Configure(settings map[string]string) error {
	*p = Plugin{buf: p.buf, params: p.params}
	key := strings.TrimSpace(settings[SettingAPIKey])
	if key == "" {
		return errors.New(SettingAPIKey + " is required")
	}
	if strings.ContainsAny(key, "\r\n") {
		return errors.New(SettingAPIKey + " must be one line")
	}
	line := strings.TrimSpace(settings[SettingLineNumber])
	if !digits(line) || len(line) > 18 {
		return errors.New(SettingLineNumber + " must be the line's digits (at most 18)")
	}
	if strings.TrimSpace(settings[SettingParamNames]) != "" {
		return errors.New(SettingParamNames + " is no longer read: name the template's parameters in SMS.TEMPLATE_PARAMS (template id: names in the order of its variables); without it the first is named " + DefaultParamName)
	}
	base, err := provider.BaseURL(settings, SettingBaseURL, DefaultBaseURL)
	if err != nil {
		return err
	}
	p.apiKey, p.line = key, line
	p.headers = append(provider.JSONHeaders(), abi.Header{Name: "X-API-KEY", Value: key})
	p.verifyURL = base + "/v1/send/verify"
	p.bulkURL = base + "/v1/send/bulk"
	p.configured = true
	return nil
}

// digits reports whether s is empty or ASCII digits only.
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Send builds the send/verify or send/bulk request for m.
func (p *Plugin) Send(m abi.Message) abi.Action {
	if !p.configured {
		return provider.Fail(abi.ClassPermanent, "not_configured", "the plugin was not configured")
	}
	if m.To == "" {
		return provider.Fail(abi.ClassBadRequest, "mobile", "no receiver")
	}
	b := p.buf[:0]
	var url, state string
	if m.TemplateID != 0 || len(m.Vars) > 0 || len(m.Params) > 0 {
		params, refusal, ok := namedTemplate.Check(p.params, &m, templateParams)
		p.params = params
		if !ok {
			return refusal
		}
		b = append(b, `{"mobile":`...)
		b = jsonlite.AppendString(b, m.To)
		b = append(b, `,"templateId":`...)
		b = strconv.AppendInt(b, m.TemplateID, 10)
		b = append(b, `,"parameters":[`...)
		for i, pr := range params {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"name":`...)
			b = jsonlite.AppendString(b, pr.Name)
			b = append(b, `,"value":`...)
			b = jsonlite.AppendString(b, pr.Value)
			b = append(b, '}')
		}
		b = append(b, "]}"...)
		url, state = p.verifyURL, stateVerify
	} else {
		switch {
		case m.Text == "":
			return provider.Fail(abi.ClassBadRequest, "messageText", "empty message text")
		case p.line == "":
			return provider.Fail(abi.ClassBadRequest, "lineNumber", SettingLineNumber+" is not set: text messages need a sender line")
		}
		b = append(b, `{"lineNumber":`...)
		b = append(b, p.line...)
		b = append(b, `,"messageText":`...)
		b = jsonlite.AppendString(b, m.Text)
		b = append(b, `,"mobiles":[`...)
		b = jsonlite.AppendString(b, m.To)
		b = append(b, "]}"...)
		url, state = p.bulkURL, stateBulk
	}
	p.buf = b
	return abi.Action{Request: p.out.POST(url, p.headers, b), State: state}
}

// Response turns SMS.ir's answer into the Result.
func (p *Plugin) Response(r abi.Response) abi.Action {
	return abi.Action{Result: p.out.Result(p.parse(r.Status, r.Body))}
}

// parse classifies one answer. It never panics and always returns a
// success with the message id or a classified failure.
func (p *Plugin) parse(httpStatus int, body string) abi.Result {
	var f [len(answerPaths)]jsonlite.Value
	_, perr := jsonlite.ExtractString(body, answerPaths[:], f[:])
	status, hasStatus := f[ansStatus].Int()
	if perr != nil || !hasStatus {
		code := "bad_response"
		if httpStatus < 200 || httpStatus > 299 {
			code = "http_" + strconv.Itoa(httpStatus)
		}
		return abi.Result{Class: classifyHTTP(httpStatus), Code: code,
			Text: "SMS.ir answered HTTP " + strconv.Itoa(httpStatus) + " without its JSON envelope"}
	}
	if status == 1 {
		if httpStatus < 200 || httpStatus > 299 {
			return abi.Result{Class: classifyHTTP(httpStatus), Code: "http_" + strconv.Itoa(httpStatus),
				Text: "SMS.ir answered HTTP " + strconv.Itoa(httpStatus) + " with status 1"}
		}
		for _, id := range f[ansMessageID:] {
			if k := id.Kind(); k == jsonlite.Number || k == jsonlite.String {
				return abi.Result{OK: true, MessageID: p.scrub(jsonlite.StringIn(body, id))}
			}
		}
		return abi.Result{OK: true}
	}
	code := int(status)
	if int64(code) != status {
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

// scrub makes provider text fit for a Result: the secret removed, the length bounded.
func (p *Plugin) scrub(s string) string { return provider.Scrub(s, p.apiKey, "[API key]", maxText) }

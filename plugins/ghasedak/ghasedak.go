// Package ghasedak is the GHASEDAK_ME SMS provider plugin: Ghasedak's REST
// web service (https://gateway.ghasedak.me/rest/api/v1/WebService).
//
// Templates (a TemplateID) go to POST {base}/rest/api/v1/WebService/SendOtpSMS
// as JSON {"receptors":[{"mobile","clientReferenceId"}],"templateName",
// "inputs":[{"param","value"}],"udh":false}. Ghasedak names its templates
// and their parameters: the template's name is the TemplateID in decimal
// unless GHASEDAK_ME_TEMPLATE_NAMES maps the id to a name, and each
// variable's name comes from the message's params: the operator's
// SMS.TEMPLATE_PARAMS, else the manifest's template_params ("Code"), which
// the host applies. Text goes to POST {base}/rest/api/v1/WebService/SendSingleSMS as
// {"message","receptor","lineNumber","clientReferenceId"}. Every request
// carries the key in the ApiKey header. Ghasedak answers
// {"isSuccess":bool,"statusCode":N,"message":"...","data":{...}}, often
// with HTTP 200 whatever happened: isSuccess true is success (the message
// id in data.messageId, or data.items[0].messageId for a template), and
// statusCode classes a failure (status.go).
//
// The API key never appears in a Result, and the plugin never logs.
// plugins/ghasedak/wasm builds it into ghasedak_me.wasm.
package ghasedak

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
const Name = "GHASEDAK_ME"

// Version is the plugin's own version.
const Version = "1.0.0"

// Setting keys.
const (
	SettingAPIKey     = Name + "_API_KEY"
	SettingLineNumber = Name + "_LINE_NUMBER"
	// SettingParamNames is the removed naming setting, declared only so
	// that Configure can refuse it with a hint (SMS.TEMPLATE_PARAMS names
	// parameters; the manifest's template_params is the default).
	SettingParamNames    = Name + "_PARAM_NAMES"
	SettingTemplateNames = Name + "_TEMPLATE_NAMES"
	SettingBaseURL       = Name + "_BASE_URL"
)

// DefaultBaseURL is Ghasedak's gateway; Host its host name.
const (
	DefaultBaseURL = "https://gateway.ghasedak.me"
	Host           = "gateway.ghasedak.me"
)

// DefaultParamName names the first variable of a template the operator
// named no parameters of (the manifest's template_params): Ghasedak's
// documented OTP parameter.
const DefaultParamName = "Code"

// templateParams are the names Send falls back to when a message carries
// none, the manifest's template_params (a host older than that member
// sends none).
var templateParams = []string{DefaultParamName}

// Limits.
const (
	maxVars      = 16
	maxText      = 256
	maxTemplates = 256
)

// namedTemplate is how a template send is checked before it is built.
var namedTemplate = provider.NamedTemplate{TemplateField: "templateName", ParamsField: "inputs", Max: maxVars,
	NoParams: "a Ghasedak template send needs at least one parameter"}

// States returned beside a request.
const (
	stateOTP    = "otp"
	stateSingle = "single"
)

// answerPaths are the parts of Ghasedak's answer the plugin reads.
// Each path is keyed by its index constant, the index of its result; the
// message id candidates come last, in order of preference.
var answerPaths = [...][]string{
	ansSuccess:    {"isSuccess"},
	ansStatusCode: {"statusCode"},
	ansMessage:    {"message"},
	ansMessageID:  {"data", "messageId"},
	ansItemID:     {"data", "items", "0", "messageId"},
}

// Indexes of answerPaths and of the extraction results.
const (
	ansSuccess = iota
	ansStatusCode
	ansMessage
	ansMessageID // first of the id candidates, which run to the end
	ansItemID
)

// Plugin is the Ghasedak provider. Create it with New. A Plugin is not safe
// for concurrent use (the host gives each instance one call at a time).
type Plugin struct {
	apiKey     string
	line       string
	templates  map[int64]string
	headers    []abi.Header
	otpURL     string
	singleURL  string
	configured bool
	buf        []byte
	params     []abi.Param
	out        provider.Scratch
}

// New returns the Ghasedak provider, to be configured before use.
func New() sdk.Plugin { return &Plugin{} }

// Manifest describes GHASEDAK_ME.
func (p *Plugin) Manifest() abi.Manifest {
	return abi.Manifest{
		ABI:         abi.Version,
		Name:        Name,
		Version:     Version,
		Description: "Ghasedak REST web service: SendOtpSMS for templates (named parameters), SendSingleSMS for text.",
		Settings: []abi.Setting{
			{Key: SettingAPIKey, Required: true, Secret: true, Description: "API key from the Ghasedak panel (sent as the ApiKey header)."},
			{Key: SettingLineNumber, Description: "Sender line for text messages (a number, or fastest, cheapest or priority); text sends are refused without it."},
			{Key: SettingParamNames, Description: "Removed (refused when set): name a template's parameters in SMS.TEMPLATE_PARAMS; without it the first is named Code (template_params)."},
			{Key: SettingTemplateNames, Description: "Template names by id, as ID=NAME,ID=NAME; a template id not listed is sent as its decimal name."},
			{Key: SettingBaseURL, Default: DefaultBaseURL, Description: "Base URL of the Ghasedak gateway (tests and mirrors)."},
		},
		Text:           true,
		Templates:      true,
		Hosts:          []string{Host},
		TemplateParams: []string{DefaultParamName},
	}
}

// Configure reads the plugin's settings; errors name the key.
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
	if strings.ContainsAny(line, " \t\r\n\"\\") || len(line) > 64 {
		return errors.New(SettingLineNumber + " must be a line number or fastest, cheapest or priority")
	}
	if strings.TrimSpace(settings[SettingParamNames]) != "" {
		return errors.New(SettingParamNames + " is no longer read: name the template's parameters in SMS.TEMPLATE_PARAMS (template id: names in the order of its variables); without it the first is named " + DefaultParamName)
	}
	templates, err := parseTemplateNames(settings[SettingTemplateNames])
	if err != nil {
		return err
	}
	base, err := provider.BaseURL(settings, SettingBaseURL, DefaultBaseURL)
	if err != nil {
		return err
	}
	p.apiKey, p.line, p.templates = key, line, templates
	p.headers = append(provider.JSONHeaders(), abi.Header{Name: "ApiKey", Value: key})
	p.otpURL = base + "/rest/api/v1/WebService/SendOtpSMS"
	p.singleURL = base + "/rest/api/v1/WebService/SendSingleSMS"
	p.configured = true
	return nil
}

// parseTemplateNames reads ID=NAME pairs separated by commas.
func parseTemplateNames(v string) (map[int64]string, error) {
	out := map[int64]string{}
	for pair := range strings.SplitSeq(v, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		id, name, ok := strings.Cut(pair, "=")
		n, err := strconv.ParseInt(strings.TrimSpace(id), 10, 64)
		name = strings.TrimSpace(name)
		if !ok || err != nil || n <= 0 || name == "" || len(out) >= maxTemplates {
			return nil, errors.New(SettingTemplateNames + " must be ID=NAME pairs separated by commas (at most 256)")
		}
		out[n] = name
	}
	return out, nil
}

// Send builds the SendOtpSMS or SendSingleSMS request for m.
func (p *Plugin) Send(m abi.Message) abi.Action {
	if !p.configured {
		return provider.Fail(abi.ClassPermanent, "not_configured", "the plugin was not configured")
	}
	if m.To == "" {
		return provider.Fail(abi.ClassBadRequest, "receptor", "no receiver")
	}
	b := p.buf[:0]
	var url, state string
	if m.TemplateID != 0 || len(m.Vars) > 0 || len(m.Params) > 0 {
		params, refusal, ok := namedTemplate.Check(p.params, &m, templateParams)
		p.params = params
		if !ok {
			return refusal
		}
		b = append(b, `{"receptors":[{"mobile":`...)
		b = jsonlite.AppendString(b, m.To)
		if m.Ref != "" {
			b = append(b, `,"clientReferenceId":`...)
			b = jsonlite.AppendString(b, m.Ref)
		}
		b = append(b, `}],"templateName":`...)
		if name, ok := p.templates[m.TemplateID]; ok {
			b = jsonlite.AppendString(b, name)
		} else {
			b = append(b, '"')
			b = strconv.AppendInt(b, m.TemplateID, 10)
			b = append(b, '"')
		}
		b = append(b, `,"inputs":[`...)
		for i, pr := range params {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"param":`...)
			b = jsonlite.AppendString(b, pr.Name)
			b = append(b, `,"value":`...)
			b = jsonlite.AppendString(b, pr.Value)
			b = append(b, '}')
		}
		b = append(b, `],"udh":false}`...)
		url, state = p.otpURL, stateOTP
	} else {
		switch {
		case m.Text == "":
			return provider.Fail(abi.ClassBadRequest, "message", "empty message text")
		case p.line == "":
			return provider.Fail(abi.ClassBadRequest, "lineNumber", SettingLineNumber+" is not set: text messages need a sender line")
		}
		b = append(b, `{"message":`...)
		b = jsonlite.AppendString(b, m.Text)
		b = append(b, `,"receptor":`...)
		b = jsonlite.AppendString(b, m.To)
		b = append(b, `,"lineNumber":`...)
		b = jsonlite.AppendString(b, p.line)
		if m.Ref != "" {
			b = append(b, `,"clientReferenceId":`...)
			b = jsonlite.AppendString(b, m.Ref)
		}
		b = append(b, '}')
		url, state = p.singleURL, stateSingle
	}
	p.buf = b
	return abi.Action{Request: p.out.POST(url, p.headers, b), State: state}
}

// Response turns Ghasedak's answer into the Result.
func (p *Plugin) Response(r abi.Response) abi.Action {
	return abi.Action{Result: p.out.Result(p.parse(r.Status, r.Body))}
}

// parse classifies one answer. It never panics.
func (p *Plugin) parse(httpStatus int, body string) abi.Result {
	var f [len(answerPaths)]jsonlite.Value
	_, perr := jsonlite.ExtractString(body, answerPaths[:], f[:])
	success, hasSuccess := f[ansSuccess].Bool()
	code, hasCode := f[ansStatusCode].Int()
	if perr != nil || (!hasSuccess && !hasCode) {
		class, c := abi.ClassTemporary, "bad_response"
		if httpStatus < 200 || httpStatus > 299 {
			class, c = classify(httpStatus), "http_"+strconv.Itoa(httpStatus)
		}
		return abi.Result{Class: class, Code: c,
			Text: "Ghasedak answered HTTP " + strconv.Itoa(httpStatus) + " without its JSON envelope"}
	}
	if success && (!hasCode || code == 200) {
		if httpStatus < 200 || httpStatus > 299 {
			return abi.Result{Class: classify(httpStatus), Code: "http_" + strconv.Itoa(httpStatus),
				Text: "Ghasedak answered HTTP " + strconv.Itoa(httpStatus) + " with isSuccess true"}
		}
		for _, id := range f[ansMessageID:] {
			if k := id.Kind(); k == jsonlite.Number || k == jsonlite.String {
				return abi.Result{OK: true, MessageID: p.scrub(jsonlite.StringIn(body, id))}
			}
		}
		return abi.Result{OK: true}
	}
	if !hasCode || code == 200 { // isSuccess false without a failing code
		code = int64(httpStatus)
		if code >= 200 && code <= 299 {
			code = 0
		}
	}
	text := "Ghasedak refused the message"
	if msg := f[ansMessage]; msg.Kind() == jsonlite.String && msg.String() != "" {
		text = msg.String()
	}
	c := int(code)
	if int64(c) != code {
		c = -1
	}
	return abi.Result{Class: classify(c), Code: strconv.FormatInt(code, 10), Text: p.scrub(text)}
}

// scrub makes provider text fit for a Result: the secret removed, the length bounded.
func (p *Plugin) scrub(s string) string { return provider.Scrub(s, p.apiKey, "[API key]", maxText) }

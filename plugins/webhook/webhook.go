// Package webhook is the WEBHOOK SMS provider plugin: it posts each message
// as JSON to a URL of the operator's, signed with HMAC-SHA256, so an
// operator whose SMS provider has no plugin can bridge it with a small web
// service of their own instead of building a wasm module.
//
// The request is POST {WEBHOOK_BASE_URL} (the whole URL, path included)
// with the body
//
//	{"to":"09123456789","text":"","template_id":100,"vars":["4821"],"params":{"CODE":"4821"},"ref":"msg-7"}
//
// (to, text, template_id and vars always; params when the template's
// parameters are named in SMS.TEMPLATE_PARAMS; ref when the host gave one)
// and the headers
//
//	X-Chelseru-Timestamp: 1767225600
//	X-Chelseru-Signature: sha256=<hex of HMAC-SHA256(WEBHOOK_SECRET, timestamp + "." + body)>
//
// The timestamp is the host's clock when it handed the message over (the
// sandbox has none of its own); signing it with the body lets the receiver
// refuse a replayed request: see docs/configuration.md, "WEBHOOK", for the
// verification recipe.
//
// Any 2xx answer is success; a JSON answer's "message_id" (or "id"),
// string or number, becomes the message id. Any other answer fails the
// send, classed by its HTTP status (status.go); a JSON answer's "code" and
// "text" (or "message", or "error") are passed on as the provider's code
// and text, so the receiver can report its own provider's refusal.
//
// The secret never appears in a Result or a log. plugins/webhook/wasm
// builds the plugin into webhook.wasm.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"hash"
	"strconv"
	"strings"

	"github.com/chelseru/chelseru/sdk"
	"github.com/chelseru/chelseru/sdk/abi"
	"github.com/chelseru/chelseru/sdk/jsonlite"
	"github.com/chelseru/chelseru/sdk/provider"
)

// Name is the SMS_SERVICE value of this plugin.
const Name = "WEBHOOK"

// Version is the plugin's own version.
const Version = "1.0.0"

// Setting keys.
const (
	SettingBaseURL = Name + "_BASE_URL"
	SettingSecret  = Name + "_SECRET"
)

// Header names of a webhook request.
const (
	HeaderTimestamp = "X-Chelseru-Timestamp"
	HeaderSignature = "X-Chelseru-Signature"
)

// MinSecretBytes is the shortest secret accepted.
const MinSecretBytes = 16

// maxText bounds the receiver's text copied into a Result; maxCode its code.
const (
	maxText = 256
	maxCode = 64
)

// answerPaths are the members of a JSON answer the plugin reads.
// Each path is keyed by its index constant, the index of its result. The id
// candidates (ansMessageID, ansID) and the text candidates (ansText to
// the end) are each in order of preference.
var answerPaths = [...][]string{
	ansMessageID: {"message_id"},
	ansID:        {"id"},
	ansCode:      {"code"},
	ansText:      {"text"},
	ansMessage:   {"message"},
	ansError:     {"error"},
}

// Indexes of answerPaths and of the extraction results.
const (
	ansMessageID = iota
	ansID
	ansCode
	ansText
	ansMessage
	ansError
)

// Plugin is the WEBHOOK provider. Create it with New. A Plugin is not safe
// for concurrent use (the host gives each instance one call at a time).
type Plugin struct {
	url        string
	secret     string
	mac        hash.Hash
	configured bool
	buf        []byte
	sum        []byte
	sig        []byte
	headers    [4]abi.Header
	out        provider.Scratch
}

// New returns the WEBHOOK provider, to be configured before use.
func New() sdk.Plugin { return &Plugin{} }

// Manifest describes WEBHOOK. It names no hosts: the only host it may call
// is the one of WEBHOOK_BASE_URL.
func (p *Plugin) Manifest() abi.Manifest {
	return abi.Manifest{
		ABI:         abi.Version,
		Name:        Name,
		Version:     Version,
		Description: "Posts each message as signed JSON (HMAC-SHA256) to the operator's URL, to bridge a provider that has no plugin.",
		Settings: []abi.Setting{
			{Key: SettingBaseURL, Required: true, Description: "The http(s) URL each message is POSTed to (path included; no query). Its host is the only one the plugin may call."},
			{Key: SettingSecret, Required: true, Secret: true, Description: "The HMAC-SHA256 key of X-Chelseru-Signature, at least 16 bytes; the receiver checks every request with it."},
		},
		Text:      true,
		Templates: true,
		Time:      true, // the signed timestamp
	}
}

// Configure reads the plugin's settings; errors name the key.
func (p *Plugin) Configure(settings map[string]string) error {
	*p = Plugin{buf: p.buf}
	u, err := provider.BaseURL(settings, SettingBaseURL, "")
	if err != nil {
		return err
	}
	secret := settings[SettingSecret]
	if len(secret) < MinSecretBytes {
		return errors.New(SettingSecret + " must be at least 16 bytes (a random string shared with the receiver)")
	}
	p.url, p.secret = u, secret
	p.mac = hmac.New(sha256.New, []byte(secret))
	p.headers = [4]abi.Header{
		{Name: "Content-Type", Value: "application/json"},
		{Name: "Accept", Value: "application/json"},
		{Name: HeaderTimestamp},
		{Name: HeaderSignature},
	}
	p.configured = true
	return nil
}

// Send builds the signed request for m.
func (p *Plugin) Send(m abi.Message) abi.Action {
	switch {
	case !p.configured:
		return provider.Fail(abi.ClassPermanent, "not_configured", "the plugin was not configured")
	case m.To == "":
		return provider.Fail(abi.ClassBadRequest, "to", "no receiver")
	case m.Text == "" && m.TemplateID == 0:
		return provider.Fail(abi.ClassBadRequest, "text", "neither a text nor a template")
	case m.Time <= 0:
		return provider.Fail(abi.ClassPermanent, "no_time", "the host gave no time to sign the request with (it predates ABI member \"time\")")
	}
	b := AppendBody(p.buf[:0], &m)
	p.buf = b
	ts := strconv.FormatInt(m.Time, 10)
	p.sig = append(append(p.sig[:0], "sha256="...), p.sign(ts, b)...)
	p.headers[2].Value = ts
	p.headers[3].Value = string(p.sig)
	return abi.Action{Request: p.out.POST(p.url, p.headers[:], b)}
}

// AppendBody appends the JSON body the webhook receives for m to dst.
func AppendBody(dst []byte, m *abi.Message) []byte {
	b := append(dst, `{"to":`...)
	b = jsonlite.AppendString(b, m.To)
	b = append(b, `,"text":`...)
	b = jsonlite.AppendString(b, m.Text)
	b = append(b, `,"template_id":`...)
	b = strconv.AppendInt(b, m.TemplateID, 10)
	b = append(b, `,"vars":[`...)
	for i, v := range m.Vars {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonlite.AppendString(b, v)
	}
	b = append(b, ']')
	if len(m.Params) > 0 {
		b = append(b, `,"params":{`...)
		for i, pr := range m.Params {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonlite.AppendString(b, pr.Name)
			b = append(b, ':')
			b = jsonlite.AppendString(b, pr.Value)
		}
		b = append(b, '}')
	}
	if m.Ref != "" {
		b = append(b, `,"ref":`...)
		b = jsonlite.AppendString(b, m.Ref)
	}
	return append(b, '}')
}

// sign returns the hex HMAC-SHA256 of timestamp + "." + body.
func (p *Plugin) sign(timestamp string, body []byte) []byte {
	p.mac.Reset()
	p.mac.Write([]byte(timestamp))
	p.mac.Write([]byte{'.'})
	p.mac.Write(body)
	p.sum = p.mac.Sum(p.sum[:0])
	return appendHex(nil, p.sum)
}

// Sign returns the X-Chelseru-Signature value for a request with the given
// timestamp and body: what a receiver computes to check one.
func Sign(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "."))
	mac.Write(body)
	return "sha256=" + string(appendHex(nil, mac.Sum(nil)))
}

func appendHex(dst, src []byte) []byte {
	const digits = "0123456789abcdef"
	for _, c := range src {
		dst = append(dst, digits[c>>4], digits[c&15])
	}
	return dst
}

// Response turns the receiver's answer into the Result.
func (p *Plugin) Response(r abi.Response) abi.Action {
	return abi.Action{Result: p.out.Result(p.parse(r.Status, r.Body))}
}

// parse classifies one answer. It never panics.
func (p *Plugin) parse(status int, body string) abi.Result {
	var f [len(answerPaths)]jsonlite.Value
	if _, err := jsonlite.ExtractString(body, answerPaths[:], f[:]); err != nil {
		f = [len(answerPaths)]jsonlite.Value{}
	}
	if status >= 200 && status <= 299 {
		for _, id := range f[ansMessageID:ansCode] {
			if k := id.Kind(); k == jsonlite.String || k == jsonlite.Number {
				return abi.Result{OK: true, MessageID: p.scrub(jsonlite.StringIn(body, id), maxCode)}
			}
		}
		return abi.Result{OK: true}
	}
	code := "http_" + strconv.Itoa(status)
	if c := f[ansCode]; c.Kind() == jsonlite.String || c.Kind() == jsonlite.Number {
		if s := jsonlite.StringIn(body, c); s != "" {
			code = p.scrub(s, maxCode)
		}
	}
	text := "the webhook answered HTTP " + strconv.Itoa(status)
	for _, t := range f[ansText:] {
		if t.Kind() == jsonlite.String && t.String() != "" {
			text = p.scrub(t.String(), maxText)
			break
		}
	}
	return abi.Result{Class: classify(status), Code: code, Text: text}
}

// classify classes a non-2xx HTTP status.
func classify(status int) string {
	switch {
	case status == 400 || status == 404 || status == 409 || status == 413 || status == 422:
		return abi.ClassBadRequest
	case status == 401 || status == 403:
		return abi.ClassBadCredentials
	case status == 402:
		return abi.ClassOutOfCredit
	case status == 429:
		return abi.ClassRateLimited
	case status == 408, status >= 500 && status <= 599:
		return abi.ClassTemporary
	}
	return abi.ClassPermanent
}

// scrub makes receiver text fit for a Result: the secret removed, the length bounded.
func (p *Plugin) scrub(s string, max int) string {
	return provider.Scrub(strings.ToValidUTF8(s, "\uFFFD"), p.secret, "[secret]", max)
}

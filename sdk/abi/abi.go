// Package abi is the contract between the chelseru host and its SMS provider
// plugins: the ABI version, the names of the exports, and the messages that
// cross the boundary. It depends only on the standard library and its sibling
// package sdk/jsonlite, and builds for both the host and a GOOS=wasip1 guest,
// so both sides share one definition. docs/plugin-abi.md is the normative text.
package abi

// Version is the ABI version this package speaks. A module whose
// chelseru_abi_version export returns anything else is refused.
const Version = 1

// Names of the functions a plugin exports.
const (
	ExportVersion   = "chelseru_abi_version" // () -> i32
	ExportAlloc     = "chelseru_alloc"       // (size i32) -> ptr i32
	ExportManifest  = "chelseru_manifest"    // () -> i64 packed (ptr<<32 | len) of a Manifest
	ExportConfigure = "chelseru_configure"   // (ptr, len i32) -> i64 packed ConfigureResult
	ExportSend      = "chelseru_send"        // (ptr, len i32) -> i64 packed Action, input a Message
	ExportResponse  = "chelseru_response"    // (ptr, len i32) -> i64 packed Action, input a Response
)

// HostModule is the name of the module whose functions the host offers.
const HostModule = "chelseru"

// Names of the functions the host offers under HostModule.
const (
	ImportLog = "log" // (level i32, ptr i32, len i32): one line to the server log
	// ImportJSONExtract runs sdk/jsonlite's Extract natively over a document
	// in guest memory: (doc, doc_len, paths, paths_len, out, out_len i32) ->
	// i32, 0 when done (docs/plugin-abi.md § 6).
	ImportJSONExtract = "json_extract"
)

// Log levels for ImportLog.
const (
	LogDebug = 0
	LogInfo  = 1
	LogWarn  = 2
	LogError = 3
)

// Manifest describes a plugin: what it is called, what settings it needs and
// which hosts it may ask the host to call.
type Manifest struct {
	ABI         int       `json:"abi"`
	Name        string    `json:"name"`    // the SMS_SERVICE value, e.g. KAVENEGAR_COM
	Version     string    `json:"version"` // the plugin's own version
	Description string    `json:"description,omitempty"`
	Settings    []Setting `json:"settings,omitempty"`
	// Text reports whether the plugin sends free text.
	Text bool `json:"text"`
	// Templates reports whether the plugin sends templates (TemplateID).
	Templates bool `json:"templates"`
	// Hosts are the host names (optionally host:port) the plugin may have the
	// host call. A setting named <NAME>_BASE_URL adds its host at configure time.
	Hosts []string `json:"hosts,omitempty"`
	// ResponseHeaders names the provider response headers the plugin reads
	// (any case; "*" for all). The host hands the plugin only these: each
	// header costs a Go guest ~0.7 µs to decode, and most plugins read none.
	ResponseHeaders []string `json:"response_headers,omitempty"`
	// Time reports whether the plugin reads Message.Time, the host's clock
	// (the sandbox has none). The host sends the member only to plugins
	// that set this: decoding it costs every send of every other plugin.
	Time bool `json:"time,omitempty"`
	// TemplateParams are the default names of a template's variables, in
	// the order of Message.Vars, for a provider whose templates take named
	// parameters (SMS.ir's "Code"): the names the provider documents for
	// its OTP template. When the operator's SMS.TEMPLATE_PARAMS names none
	// for a message's template, the host fills Message.Params from these
	// (docs/plugin-abi.md, "Named template parameters"). At most 16 distinct
	// names of 1 to 64 letters, digits, '_', '-' or '.'. Hosts older than
	// this member ignore it.
	TemplateParams []string `json:"template_params,omitempty"`
}

// Setting describes one SETTINGS key a plugin reads. Keys begin with the
// plugin's Name and an underscore.
type Setting struct {
	Key         string `json:"key"`
	Required    bool   `json:"required,omitempty"`
	Secret      bool   `json:"secret,omitempty"` // never logged or shown
	Default     string `json:"default,omitempty"`
	Description string `json:"description,omitempty"`
}

// Configure is the input of chelseru_configure: the plugin's own settings.
type Configure struct {
	Settings map[string]string `json:"settings"`
}

// ConfigureResult is the output of chelseru_configure: empty Error is success.
type ConfigureResult struct {
	Error string `json:"error,omitempty"`
}

// Message is the input of chelseru_send.
type Message struct {
	To         string   `json:"to"` // 09XXXXXXXXX
	Text       string   `json:"text,omitempty"`
	TemplateID int64    `json:"template_id,omitempty"`
	Vars       []string `json:"vars,omitempty"`
	// Params are Vars with the names the operator gave the template's
	// parameters (config SMS.TEMPLATE_PARAMS), in the order of Vars; absent
	// when the template has no names configured. Providers with named
	// template parameters (SMS.ir, Ghasedak) read them; the rest use Vars.
	Params []Param `json:"params,omitempty"`
	Ref    string  `json:"ref,omitempty"`
	// Time is when the host handed the message over, in Unix seconds (the
	// sandbox has no real clock); sent only to plugins whose Manifest sets
	// Time, and 0 from hosts older than this member.
	Time int64 `json:"time,omitempty"`
}

// Param is one named template parameter.
type Param struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Header is one HTTP header.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Request is an HTTP request a plugin asks the host to make.
type Request struct {
	Method  string   `json:"method"`
	URL     string   `json:"url"`
	Headers []Header `json:"headers,omitempty"`
	// Body is not a JSON member: it travels raw after the enclosing Action's
	// JSON, whose "body_len" member gives its length (docs/plugin-abi.md § 4).
	Body string `json:"-"`
}

// Response is the input of chelseru_response: the HTTP response to the last
// Request, with the State the plugin returned beside that Request.
type Response struct {
	State   string   `json:"state,omitempty"`
	Status  int      `json:"status"`
	Headers []Header `json:"headers,omitempty"`
	// Body is not a JSON member: it travels raw after the JSON, whose
	// "body_len" member gives its length (docs/plugin-abi.md § 4).
	Body string `json:"-"`
}

// Action is the output of chelseru_send and chelseru_response: exactly one of
// Request (make this call, then call chelseru_response) or Result (done).
type Action struct {
	Request *Request `json:"request,omitempty"`
	// State is opaque to the host and handed back with the Response.
	State  string  `json:"state,omitempty"`
	Result *Result `json:"result,omitempty"`
}

// Error classes a Result may carry; they match chelseru.SMSErrorClass.
const (
	ClassBadCredentials = "bad_credentials"
	ClassBadRequest     = "bad_request"
	ClassOutOfCredit    = "out_of_credit"
	ClassRateLimited    = "rate_limited"
	ClassTemporary      = "temporary"
	ClassPermanent      = "permanent"
)

// ClassPlugin is the class of a Result by which a plugin reports a failure
// of its own code, not of the provider: the Go SDK returns it when the
// plugin panics, with Code CodePanic and the panic's text (and where it
// happened) in Text. The host logs the text at warn level and answers the
// send as a plugin failure (class "plugin", code "plugin_error", 502): the
// text never reaches a client.
const ClassPlugin = "plugin"

// CodePanic is the Code of a ClassPlugin Result made from a panic.
const CodePanic = "plugin_panic"

// Result is the end of a send.
type Result struct {
	OK        bool   `json:"ok"`
	MessageID string `json:"message_id,omitempty"`
	// On failure: a class above, and the provider's own code and text.
	Class string `json:"class,omitempty"`
	Code  string `json:"code,omitempty"`
	Text  string `json:"text,omitempty"`
}

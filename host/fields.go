package host

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fasthttp"

	"github.com/chelseru/chelseru"
)

// DRF's field messages.
const (
	msgRequired     = "This field is required."
	msgNull         = "This field may not be null."
	msgBlank        = "This field may not be blank."
	msgNotString    = "Not a valid string."
	msgNullChars    = "Null characters are not allowed."
	msgNotInteger   = "A valid integer is required."
	msgStringTooBig = "String value too large."
	maxIntString    = 1000 // DRF's IntegerField.MAX_STRING_LENGTH
)

// Request-body field lists, one per endpoint. Each name is keyed by its
// index constant, which is also its index in reqState.vals, so a handler
// reads a field as rs.vals[c] with the name fieldsX[c]: the two cannot drift
// (TestFieldListsDense checks that no index is left without a name).
const (
	otpSendMobile = iota
	otpSendCaptcha
)

const (
	authMobile = iota
	authCode
	authGroup
	authPassword
)

const (
	refreshToken = iota
)

const (
	verifyToken = iota
)

const (
	messageMobile = iota
	messageText
	messageTemplateID
)

const (
	passwordSetPassword = iota
	passwordSetCurrent
)

var (
	fieldsOTPSend      = []string{otpSendMobile: "mobile_number", otpSendCaptcha: "captcha_token"}
	fieldsAuthenticate = []string{authMobile: "mobile_number", authCode: "code", authGroup: "group", authPassword: "password"}
	fieldsRefresh      = []string{refreshToken: "refresh"}
	fieldsVerify       = []string{verifyToken: "token"}
	fieldsMessage      = []string{messageMobile: "mobile_number", messageText: "message_text", messageTemplateID: "template_id"}
	fieldsPasswordSet  = []string{passwordSetPassword: "password", passwordSetCurrent: "current_password"}
)

// decodeBody reads the request body into rs.vals for names, as DRF's JSON
// and form parsers would. An empty body has no fields. It answers the
// request itself and returns false when the body cannot be read: malformed
// JSON (400 with a short, position-only message), JSON that is not an
// object (400 in DRF's non_field_errors shape), or another media type (415).
func (s *Server) decodeBody(ctx *fasthttp.RequestCtx, rs *reqState, names []string) bool {
	body := ctx.Request.Body()
	if len(body) == 0 {
		return true
	}
	mt := mediaType(ctx.Request.Header.ContentType())
	switch {
	case isJSONMedia(mt):
		var serr *syntaxError
		var nerr *notObjectError
		rs.scratch, serr, nerr = parseObject(body, names, rs.vals[:len(names)], rs.scratch)
		if serr != nil {
			line, col, char := position(body, serr.off)
			msg := "JSON parse error - " + serr.msg + ": line " + strconv.Itoa(line) + " column " + strconv.Itoa(col) + " (char " + strconv.Itoa(char) + ")"
			s.writeDetailCode(ctx, rs, fasthttp.StatusBadRequest, CodeParseError, msg)
			return false
		}
		if nerr != nil {
			s.writeError(ctx, rs, &chelseru.Error{Code: chelseru.EINVALID, Fields: map[string][]string{
				"non_field_errors": {"Invalid data. Expected a dictionary, but got " + nerr.typ + "."},
			}})
			return false
		}
		return true
	case bytes.EqualFold(mt, []byte("application/x-www-form-urlencoded")):
		args := ctx.PostArgs()
		for i, n := range names {
			if v := args.Peek(n); v != nil || args.Has(n) {
				rs.vals[i] = value{kind: kindString, b: v}
			}
		}
		return true
	default:
		s.writeDetail(ctx, rs, fasthttp.StatusUnsupportedMediaType, `Unsupported media type "`+strings.ToValidUTF8(string(ctx.Request.Header.ContentType()), "\uFFFD")+`" in request.`)
		return false
	}
}

// mediaType is a Content-Type without its parameters, trimmed.
func mediaType(ct []byte) []byte {
	if i := bytes.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return bytes.TrimSpace(ct)
}

// isJSONMedia reports application/json and the application/*+json types.
func isJSONMedia(mt []byte) bool {
	if bytes.EqualFold(mt, []byte("application/json")) {
		return true
	}
	return len(mt) > len("application/+json") &&
		bytes.EqualFold(mt[:len("application/")], []byte("application/")) &&
		bytes.EqualFold(mt[len(mt)-len("+json"):], []byte("+json"))
}

// fieldErrors collects DRF-style validation errors; its map is only
// allocated when there is an error.
type fieldErrors struct{ m map[string][]string }

func (fe *fieldErrors) add(field, msg string) {
	if fe.m == nil {
		fe.m = make(map[string][]string, 2)
	}
	fe.m[field] = append(fe.m[field], msg)
}

// err is the collected errors as one EINVALID error, or nil.
func (fe *fieldErrors) err() error {
	if fe.m == nil {
		return nil
	}
	return &chelseru.Error{Code: chelseru.EINVALID, Fields: fe.m}
}

// char reads a DRF CharField: strings and numbers are accepted (numbers as
// their text, as Python's str() would give for integers), surrounding white
// space is trimmed, and an empty value is blank.
func (fe *fieldErrors) char(name string, v value, required bool) string {
	return fe.charField(name, v, required, true)
}

// password reads a DRF CharField(trim_whitespace=False), as password fields
// are declared: like char, but white space is part of the value and only an
// empty string is blank.
func (fe *fieldErrors) password(name string, v value, required bool) string {
	return fe.charField(name, v, required, false)
}

// charField is char, trimming surrounding white space when trim is set.
func (fe *fieldErrors) charField(name string, v value, required, trim bool) string {
	switch v.kind {
	case kindAbsent:
		if required {
			fe.add(name, msgRequired)
		}
		return ""
	case kindNull:
		fe.add(name, msgNull)
		return ""
	case kindString, kindNumber:
	default:
		fe.add(name, msgNotString)
		return ""
	}
	s := string(v.b)
	if trim {
		s = strings.TrimSpace(s)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if s == "" {
		if required {
			fe.add(name, msgBlank)
		}
		return ""
	}
	if strings.IndexByte(s, 0) >= 0 {
		fe.add(name, msgNullChars)
		return ""
	}
	return s
}

// integer reads a DRF IntegerField: a JSON integer, a float with no
// fractional part, or a string of one (Persian and Arabic-Indic digits and a
// trailing ".0" accepted, as Python's int() and DRF do). Booleans, other
// types and out-of-range values are invalid.
func (fe *fieldErrors) integer(name string, v value, required bool, def int64) int64 {
	switch v.kind {
	case kindAbsent:
		if required {
			fe.add(name, msgRequired)
		}
		return def
	case kindNull:
		fe.add(name, msgNull)
		return def
	case kindNumber:
		if n, ok := parseInteger(string(v.b), true); ok {
			return n
		}
	case kindString:
		if len(v.b) > maxIntString {
			fe.add(name, msgStringTooBig)
			return def
		}
		s := strings.TrimSpace(string(v.b))
		if s == "" && !required {
			return def
		}
		if n, ok := parseInteger(chelseru.ASCIIDigits(s), false); ok {
			return n
		}
	}
	fe.add(name, msgNotInteger)
	return def
}

// parseInteger parses a decimal integer, allowing a fractional part of
// zeros (DRF strips `\.0+$`), and with number also an exponent when the
// value is integral.
func parseInteger(s string, number bool) (int64, bool) {
	if i := strings.IndexByte(s, '.'); i >= 0 && !strings.ContainsAny(s, "eE") {
		if strings.Trim(s[i+1:], "0") != "" {
			return 0, false
		}
		s = s[:i]
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	if number {
		f, err := strconv.ParseFloat(s, 64)
		if err == nil && f >= -(1<<62) && f <= 1<<62 && f == float64(int64(f)) {
			return int64(f), true
		}
	}
	return 0, false
}

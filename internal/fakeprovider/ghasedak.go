package fakeprovider

import "strconv"

// NewGhasedak starts a fake Ghasedak gateway: POST
// /rest/api/v1/WebService/SendOtpSMS ({"receptors":[{"mobile",
// "clientReferenceId"}],"templateName","inputs":[{"param","value"}]}) and
// POST /rest/api/v1/WebService/SendSingleSMS ({"message","receptor",
// "lineNumber"}), with the key in the ApiKey header. It answers with
// Ghasedak's envelope {"isSuccess","statusCode","message","data"} under
// HTTP 200 for its own refusals, as Ghasedak does: statusCode 401 for a key
// other than GhasedakAPIKey (or WithAPIKey's), 400 for a missing or invalid
// field. Reject answers statusCode 402 (no credit).
func NewGhasedak(opts ...Option) *Server {
	return newServer("ghasedak", serveGhasedak, append([]Option{WithAPIKey(GhasedakAPIKey)}, opts...))
}

type ghasedakRequest struct {
	Receptors []struct {
		Mobile            string `json:"mobile"`
		ClientReferenceID string `json:"clientReferenceId"`
	} `json:"receptors"`
	TemplateName string `json:"templateName"`
	Inputs       []struct {
		Param string `json:"param"`
		Value string `json:"value"`
	} `json:"inputs"`
	Message    string `json:"message"`
	Receptor   string `json:"receptor"`
	LineNumber string `json:"lineNumber"`
}

// ghasedakAnswer renders Ghasedak's envelope.
func ghasedakAnswer(ok bool, code int, message string, data any) string {
	return mustJSON(map[string]any{"isSuccess": ok, "statusCode": code, "message": message, "data": data})
}

func serveGhasedak(s *Server, x exchange) {
	otp := false
	switch x.Path() {
	case "/rest/api/v1/WebService/SendOtpSMS":
		otp = true
	case "/rest/api/v1/WebService/SendSingleSMS":
	default:
		notFound(x)
		return
	}
	fail := func(code int, msg string) { writeJSON(x, 200, ghasedakAnswer(false, code, msg, nil)) }
	key := x.Header("ApiKey")
	if key == "" || (!s.anyKey && key != s.key) {
		fail(401, "کلید وب سرویس نامعتبر است")
		return
	}
	var q ghasedakRequest
	if !postJSON(x, &q, func() { fail(400, "بدنه درخواست نامعتبر است") }) {
		return
	}
	rec := Received{Method: x.Method(), Path: x.Path(), APIKey: key}
	if otp {
		rec.Template = q.TemplateName
		if len(q.Receptors) > 0 {
			rec.Receptor = q.Receptors[0].Mobile
		}
		for _, in := range q.Inputs {
			rec.Names = append(rec.Names, in.Param)
			rec.Vars = append(rec.Vars, in.Value)
		}
		switch {
		case len(q.Receptors) != 1 || !validMobile(rec.Receptor):
			fail(400, "شماره گیرنده نامعتبر است")
			return
		case q.TemplateName == "":
			fail(400, "نام قالب الزامی است")
			return
		case len(q.Inputs) == 0:
			fail(400, "پارامترهای قالب الزامی است")
			return
		}
		for _, in := range q.Inputs {
			if in.Param == "" {
				fail(400, "نام پارامتر الزامی است")
				return
			}
		}
	} else {
		rec.Receptor, rec.Text = q.Receptor, q.Message
		switch {
		case !validMobile(q.Receptor):
			fail(400, "شماره گیرنده نامعتبر است")
			return
		case q.Message == "":
			fail(400, "متن پیام الزامی است")
			return
		case q.LineNumber == "":
			fail(400, "شماره خط الزامی است")
			return
		}
	}
	s.record(rec)
	if !s.hold(x) {
		return
	}
	switch s.Behavior() {
	case Reject:
		fail(402, "اعتبار حساب کافی نیست")
	case ServerError:
		serverError(x)
	case Malformed:
		malformed(x)
	default:
		id := strconv.FormatInt(s.nextID(), 10)
		var data any = map[string]any{"receptor": rec.Receptor, "lineNumber": q.LineNumber, "cost": 840, "messageId": id}
		if otp {
			data = map[string]any{"items": []any{map[string]any{"receptor": rec.Receptor, "cost": 840, "messageId": id}}, "totalCost": 840}
		}
		writeJSON(x, 200, ghasedakAnswer(true, 200, "", data))
		s.delivered(rec)
	}
}

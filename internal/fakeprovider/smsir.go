package fakeprovider

import (
	"strconv"
	"unicode/utf8"
)

// NewSMSIR starts a fake SMS.ir REST v1 service: POST /v1/send/verify
// ({"mobile","templateId","parameters":[{"name","value"}]}) and POST
// /v1/send/bulk ({"lineNumber","messageText","mobiles":[...]}), with the
// key in the X-API-KEY header. It accepts SMSIRAPIKey unless WithAPIKey says
// otherwise (a wrong key gets HTTP 401 with status 10, as SMS.ir answers),
// checks the fields as SMS.ir documents them (status 104 for a bad mobile,
// 113 for no template, 114 for a value over 25 characters, 116 for an
// unnamed parameter, 101 for no line, 103 for no text), and answers status
// 1 with data.messageId (verify) or data.packId and data.messageIds
// (bulk). Reject answers status 102 (no credit) with HTTP 400.
func NewSMSIR(opts ...Option) *Server {
	return newServer("smsir", serveSMSIR, append([]Option{WithAPIKey(SMSIRAPIKey)}, opts...))
}

type smsirParam struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type smsirRequest struct {
	Mobile      string       `json:"mobile"`
	TemplateID  int64        `json:"templateId"`
	Parameters  []smsirParam `json:"parameters"`
	LineNumber  int64        `json:"lineNumber"`
	MessageText string       `json:"messageText"`
	Mobiles     []string     `json:"mobiles"`
}

// smsirAnswer renders SMS.ir's envelope.
func smsirAnswer(status int, message string, data any) string {
	return mustJSON(map[string]any{"status": status, "message": message, "data": data})
}

func serveSMSIR(s *Server, x exchange) {
	verify := false
	switch x.Path() {
	case "/v1/send/verify":
		verify = true
	case "/v1/send/bulk":
	default:
		notFound(x)
		return
	}
	fail := func(http, status int, msg string) { writeJSON(x, http, smsirAnswer(status, msg, nil)) }
	key := x.Header("X-API-KEY")
	if key == "" || (!s.anyKey && key != s.key) {
		fail(401, 10, "کلید وب سرویس نامعتبر است")
		return
	}
	var q smsirRequest
	if !postJSON(x, &q, func() { fail(400, 16, "مقدار ارسالی پارامتر نادرست می‌باشد") }) {
		return
	}
	rec := Received{Method: x.Method(), Path: x.Path(), APIKey: key}
	if verify {
		rec.Receptor = q.Mobile
		if q.TemplateID != 0 {
			rec.Template = strconv.FormatInt(q.TemplateID, 10)
		}
		for _, p := range q.Parameters {
			rec.Names = append(rec.Names, p.Name)
			rec.Vars = append(rec.Vars, p.Value)
		}
		switch {
		case !validMobile(q.Mobile):
			fail(400, 104, "درخواست شما دارای موبایل(های) نادرست است")
			return
		case q.TemplateID <= 0:
			fail(400, 113, "قالب یافت نشد")
			return
		case len(q.Parameters) == 0:
			fail(400, 116, "نام یک یا چند پارامتر مقداردهی نشده‌است")
			return
		}
		for _, p := range q.Parameters {
			if p.Name == "" {
				fail(400, 116, "نام یک یا چند پارامتر مقداردهی نشده‌است")
				return
			}
			if utf8.RuneCountInString(p.Value) > 25 {
				fail(400, 114, "طول رشته مقدار پارامتر، بیش از حد مجاز (25 کاراکتر) می‌باشد")
				return
			}
		}
	} else {
		rec.Text = q.MessageText
		if len(q.Mobiles) > 0 {
			rec.Receptor = q.Mobiles[0]
		}
		switch {
		case q.LineNumber <= 0:
			fail(400, 101, "شماره خط نامعتبر می‌باشد")
			return
		case q.MessageText == "":
			fail(400, 103, "درخواست شما دارای متن(های) خالی است")
			return
		case len(q.Mobiles) == 0:
			fail(400, 107, "لیست موبایل ها خالی می‌باشد")
			return
		case len(q.Mobiles) > 100:
			fail(400, 105, "تعداد موبایل ها بیشتر از حد مجاز (100 عدد) می‌باشد")
			return
		}
		for _, m := range q.Mobiles {
			if !validMobile(m) {
				fail(400, 104, "درخواست شما دارای موبایل(های) نادرست است")
				return
			}
		}
	}
	s.record(rec)
	if !s.hold(x) {
		return
	}
	switch s.Behavior() {
	case Reject:
		fail(400, 102, "اعتبار کافی نمی‌باشد")
	case ServerError:
		serverError(x)
	case Malformed:
		malformed(x)
	default:
		id := s.nextID()
		var data any = map[string]any{"messageId": id, "cost": 1.0}
		if !verify {
			data = map[string]any{"packId": "pack-" + strconv.FormatInt(id, 10), "messageIds": []int64{id}, "cost": 1.0}
		}
		writeJSON(x, 200, smsirAnswer(1, "موفق", data))
		s.delivered(rec)
	}
}

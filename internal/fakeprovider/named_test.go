package fakeprovider

import (
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru/plugins/webhook"
	"github.com/chelseru/chelseru/sdk/abi"
)

// TestNamedParams: the providers with named template parameters receive the
// names the message carries (SMS.TEMPLATE_PARAMS), and record them.
func TestNamedParams(t *testing.T) { eachTransport(t, testNamedParams) }

func testNamedParams(t *testing.T, opts ...Option) {
	m := abi.Message{To: "09120000011", TemplateID: 100, Vars: []string{"4821", "2"},
		Params: []abi.Param{{Name: "Code", Value: "4821"}, {Name: "Minutes", Value: "2"}}, Time: time.Now().Unix()}
	for _, p := range providers[3:] {
		t.Run(p.name, func(t *testing.T) {
			s := p.start(opts...)
			defer s.Close()
			if res, err := send(t, client, s, p, p.settings, m); err != nil || !res.OK {
				t.Fatalf("%+v %v", res, err)
			}
			rec := s.Received()
			if len(rec) != 1 || !reflect.DeepEqual(rec[0].Names, []string{"Code", "Minutes"}) || !reflect.DeepEqual(rec[0].Vars, m.Vars) {
				t.Errorf("Received = %+v", rec)
			}
			if code, _ := s.Code("09120000011"); code != "4821" {
				t.Errorf("Code = %q", code)
			}
		})
	}
}

// TestJSONWire: the JSON providers' own refusals, as their documentation
// gives them, for requests the plugins never make.
func TestJSONWire(t *testing.T) { eachTransport(t, testJSONWire) }

func testJSONWire(t *testing.T, opts ...Option) {
	ir := NewSMSIR(opts...)
	defer ir.Close()
	gh := NewGhasedak(opts...)
	defer gh.Close()
	wh := NewWebhook(opts...)
	defer wh.Close()
	now := strconv.FormatInt(time.Now().Unix(), 10)
	stale := strconv.FormatInt(time.Now().Add(-10*time.Minute).Unix(), 10)
	whBody := `{"to":"09120000001","text":"","template_id":1,"vars":["1234"]}`
	tests := []struct {
		name, url, body string
		header          map[string]string
		status          int
		want            string
	}{
		{"smsir wrong key", ir.URL() + "/v1/send/verify", `{}`, map[string]string{"X-API-KEY": "x"}, 401, `"status":10`},
		{"smsir not json", ir.URL() + "/v1/send/verify", `{`, map[string]string{"X-API-KEY": SMSIRAPIKey}, 400, `"status":16`},
		{"smsir bad mobile", ir.URL() + "/v1/send/verify", `{"mobile":"123","templateId":1,"parameters":[{"name":"CODE","value":"1"}]}`, map[string]string{"X-API-KEY": SMSIRAPIKey}, 400, `"status":104`},
		{"smsir unnamed parameter", ir.URL() + "/v1/send/verify", `{"mobile":"09120000001","templateId":1,"parameters":[{"name":"","value":"1"}]}`, map[string]string{"X-API-KEY": SMSIRAPIKey}, 400, `"status":116`},
		{"smsir long value", ir.URL() + "/v1/send/verify", `{"mobile":"09120000001","templateId":1,"parameters":[{"name":"A","value":"` + strings.Repeat("x", 26) + `"}]}`, map[string]string{"X-API-KEY": SMSIRAPIKey}, 400, `"status":114`},
		{"smsir no line", ir.URL() + "/v1/send/bulk", `{"messageText":"hi","mobiles":["09120000001"]}`, map[string]string{"X-API-KEY": SMSIRAPIKey}, 400, `"status":101`},
		{"smsir unknown path", ir.URL() + "/v1/send/nope", `{}`, nil, 404, ""},
		{"ghasedak wrong key", gh.URL() + "/rest/api/v1/WebService/SendOtpSMS", `{}`, map[string]string{"ApiKey": "x"}, 200, `"statusCode":401`},
		{"ghasedak no template", gh.URL() + "/rest/api/v1/WebService/SendOtpSMS", `{"receptors":[{"mobile":"09120000001"}],"inputs":[{"param":"Code","value":"1"}]}`, map[string]string{"ApiKey": GhasedakAPIKey}, 200, `"statusCode":400`},
		{"ghasedak no line", gh.URL() + "/rest/api/v1/WebService/SendSingleSMS", `{"message":"hi","receptor":"09120000001"}`, map[string]string{"ApiKey": GhasedakAPIKey}, 200, `"isSuccess":false`},
		{"webhook unsigned", wh.URL() + "/hook", whBody, nil, 401, `"text"`},
		{"webhook wrong signature", wh.URL() + "/hook", whBody, map[string]string{webhook.HeaderTimestamp: now, webhook.HeaderSignature: webhook.Sign("another-secret-0123", now, []byte(whBody))}, 401, "does not match"},
		{"webhook replayed", wh.URL() + "/hook", whBody, map[string]string{webhook.HeaderTimestamp: stale, webhook.HeaderSignature: webhook.Sign(WebhookSecret, stale, []byte(whBody))}, 401, "too far from now"},
		{"webhook bad body", wh.URL() + "/hook", `{"to":"1"}`, map[string]string{webhook.HeaderTimestamp: now, webhook.HeaderSignature: webhook.Sign(WebhookSecret, now, []byte(`{"to":"1"}`))}, 400, `"text"`},
		{"webhook signed", wh.URL() + "/hook", whBody, map[string]string{webhook.HeaderTimestamp: now, webhook.HeaderSignature: webhook.Sign(WebhookSecret, now, []byte(whBody))}, 200, `"message_id":"wh-`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest("POST", tt.url, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
				t.Errorf("HTTP %d %s, want %d containing %s", resp.StatusCode, body, tt.status, tt.want)
			}
		})
	}
	if len(ir.Received()) != 0 || len(gh.Received()) != 0 || len(wh.Received()) != 1 {
		t.Errorf("refused requests were recorded: %d %d %d", len(ir.Received()), len(gh.Received()), len(wh.Received()))
	}
}

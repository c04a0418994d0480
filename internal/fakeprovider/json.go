package fakeprovider

import (
	"encoding/json"
	"net/http"
)

// postJSON reads the JSON body of a POST into v; anything else is answered
// 405, or 400 with bad (the provider's own answer to a malformed request),
// and postJSON reports false.
func postJSON(x exchange, v any, bad func()) bool {
	if x.Method() != http.MethodPost {
		x.SetHeader("Allow", "POST")
		httpError(x, "405 method not allowed", http.StatusMethodNotAllowed)
		return false
	}
	body, ok := x.Body()
	if !ok || json.Unmarshal(body, v) != nil {
		bad()
		return false
	}
	return true
}

// mustJSON renders v (fixed shapes only: it cannot fail).
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("fakeprovider: " + err.Error())
	}
	return string(b)
}

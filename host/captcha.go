package host

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/chelseru/chelseru"
)

// Captcha texts.
const (
	MsgCaptchaFailed      = "The captcha was not solved. Try again."
	MsgCaptchaUnavailable = "The captcha could not be checked. Try again later."
	// maxCaptchaToken bounds captcha_token (Turnstile's are up to 2048).
	maxCaptchaToken = 4096
	// maxSiteverifyBody bounds the verifier's answer.
	maxSiteverifyBody = 64 << 10
)

// Captcha checks a Turnstile/hCaptcha-style token with the verifier's
// siteverify endpoint: a POST of the form fields secret, response and
// remoteip, answered by JSON {"success": bool, ...}. The zero Timeout means
// 5s. It is safe for concurrent use.
type Captcha struct {
	// URL is the siteverify endpoint (AUTH.CAPTCHA.SITEVERIFY_URL).
	URL string
	// Secret is the site's secret key (AUTH.CAPTCHA.SECRET); never logged.
	Secret string
	// Timeout bounds one call (AUTH.CAPTCHA.TIMEOUT).
	Timeout time.Duration
	// Client makes the call; nil means a client without redirects.
	Client *http.Client
}

// check verifies token from the client address ip. A missing, oversized or
// refused token is a 400 on field captcha_token; a verifier that fails,
// times out or answers nonsense is a 503: never a silent pass.
func (c *Captcha) check(ctx context.Context, token, ip string) error {
	if len(token) > maxCaptchaToken {
		return chelseru.FieldError("captcha_token", MsgCaptchaFailed)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	form := url.Values{"secret": {c.Secret}, "response": {token}}
	if ip != "" {
		form.Set("remoteip", ip)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, strings.NewReader(form.Encode()))
	if err != nil {
		return unavailableCaptcha(fmt.Errorf("captcha request: %w", err))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := c.Client
	if client == nil {
		client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	res, err := client.Do(req)
	if err != nil {
		return unavailableCaptcha(fmt.Errorf("captcha siteverify: %w", redactURL(err)))
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxSiteverifyBody+1))
	if err != nil {
		return unavailableCaptcha(fmt.Errorf("captcha siteverify: read: %w", err))
	}
	if res.StatusCode != http.StatusOK || len(body) > maxSiteverifyBody {
		return unavailableCaptcha(fmt.Errorf("captcha siteverify: status %d, %d bytes", res.StatusCode, len(body)))
	}
	var out struct {
		Success *bool    `json:"success"`
		Codes   []string `json:"error-codes"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Success == nil {
		return unavailableCaptcha(fmt.Errorf("captcha siteverify: not a siteverify answer"))
	}
	if !*out.Success {
		for _, code := range out.Codes {
			// The verifier refusing our own secret is our fault, not the client's.
			if code == "invalid-input-secret" || code == "missing-input-secret" {
				return unavailableCaptcha(fmt.Errorf("captcha siteverify: the verifier refused AUTH.CAPTCHA.SECRET (%s)", code))
			}
		}
		return &chelseru.Error{Code: chelseru.EINVALID, Fields: map[string][]string{"captcha_token": {MsgCaptchaFailed}},
			Err: fmt.Errorf("captcha refused: %v", out.Codes)}
	}
	return nil
}

// unavailableCaptcha is the 503 of a verifier that could not answer.
func unavailableCaptcha(err error) error {
	return &chelseru.Error{Code: chelseru.EUNAVAILABLE, Message: MsgCaptchaUnavailable, Err: err}
}

// redactURL drops the *url.Error wrapper (its text repeats the URL).
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

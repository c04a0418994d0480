package auth

import "strings"

// maxModelLen bounds the model name taken from a user agent.
const maxModelLen = 48

// deviceFamily names the device of a user agent as the original package
// showed it: django-user-agents' request.user_agent.device.family, from
// ua-parser ("iPhone", "iPad", "Mac", "Samsung SM-G960F", "Pixel 7",
// "Spider" for bots, "Other" for desktops and anything unknown). It covers
// the common cases with a few rules, not ua-parser's whole regex table.
func deviceFamily(ua string, bot bool) string {
	switch {
	case bot:
		return "Spider"
	case strings.Contains(ua, "iPod"): // before iPhone: "iPod touch; CPU iPhone OS"
		return "iPod"
	case strings.Contains(ua, "iPhone"):
		return "iPhone"
	case strings.Contains(ua, "iPad"):
		return "iPad"
	case strings.Contains(ua, "Android"):
		return androidFamily(ua)
	case strings.Contains(ua, "Macintosh"):
		return "Mac"
	}
	return "Other"
}

// androidFamily names an Android device by the model in its user agent:
// "Mozilla/5.0 (Linux; Android 10; SM-G960F Build/QP1A) ..." gives
// "Samsung SM-G960F"; a model hidden by Chrome's reduced user agent ("K")
// or missing gives "Generic Smartphone" (or "Generic Tablet" without
// "Mobile"), as ua-parser does.
func androidFamily(ua string) string {
	generic := "Generic Smartphone"
	if !strings.Contains(ua, "Mobile") {
		generic = "Generic Tablet"
	}
	open := strings.IndexByte(ua, '(')
	if open < 0 {
		return generic
	}
	inside := ua[open+1:]
	if end := strings.IndexByte(inside, ')'); end >= 0 {
		inside = inside[:end]
	}
	model := ""
	parts := strings.Split(inside, ";")
	for i, p := range parts {
		if strings.HasPrefix(strings.TrimSpace(p), "Android") {
			if i+1 < len(parts) {
				model = strings.TrimSpace(parts[i+1])
			}
			break
		}
	}
	if j := strings.Index(model, " Build/"); j >= 0 {
		model = model[:j]
	}
	model = strings.TrimSpace(strings.TrimSuffix(model, " Build"))
	switch {
	case model == "" || model == "K" || strings.HasPrefix(model, "wv") || len(model) > maxModelLen:
		return generic
	case strings.HasPrefix(model, "SM-") || strings.HasPrefix(model, "GT-") || strings.HasPrefix(model, "SAMSUNG SM-"):
		return "Samsung " + strings.TrimPrefix(model, "SAMSUNG ")
	}
	return model
}

package auth

import "strings"

// browserTokens name browsers by a product token of the user agent, in the
// order they are looked for: a browser built on Chrome or Safari also
// carries "Chrome/" or "Safari/", so the specific ones come first.
var browserTokens = []struct{ token, name string }{
	{"Edg/", "Edge"}, {"EdgA/", "Edge"}, {"EdgiOS/", "Edge"}, {"Edge/", "Edge"},
	{"Opera Mini/", "Opera Mini"}, {"OPR/", "Opera"}, {"OPRGX/", "Opera"}, {"OPiOS/", "Opera"}, {"OPT/", "Opera"},
	{"SamsungBrowser/", "Samsung Browser"},
	{"YaBrowser/", "Yandex Browser"}, {"YaSearchBrowser/", "Yandex Browser"},
	{"Vivaldi/", "Vivaldi"},
	{"HuaweiBrowser/", "Huawei Browser"},
	{"Silk/", "Amazon Silk"},
	{"Falkon/", "Falkon"},
	{"NintendoBrowser/", "Nintendo Browser"},
	{"FxiOS/", "Firefox"}, {"Firefox/", "Firefox"},
	{"CriOS/", "Chrome"}, {"Chrome/", "Chrome"},
	{"MSIE ", "IE"},
}

// botMarks are lower-case fragments of crawler and HTTP-library agents.
var botMarks = []string{
	"bot", "spider", "crawl", "slurp", "facebookexternalhit", "headlesschrome", "externalhit",
	"curl/", "wget/", "python-", "python/", "pycurl", "aiohttp", "go-http-client", "java/", "libwww",
	"httpclient", "scrapy", "amazon-qbusiness",
}

// parseBrowser names the browser of a user agent and its major version
// ("Chrome", "118"), and tells crawlers and HTTP libraries (bot). It reads
// the product tokens the browsers in use send, in a fixed order; anything
// else has no browser name. It replaces a general parser whose tables held
// several MB of memory for the lifetime of the process.
func parseBrowser(ua string) (name, major string, bot bool) {
	lower := strings.ToLower(ua)
	for _, m := range botMarks {
		if strings.Contains(lower, m) {
			bot = true
			break
		}
	}
	for _, t := range browserTokens {
		if i := strings.Index(ua, t.token); i >= 0 {
			return t.name, majorAt(ua[i+len(t.token):]), bot
		}
	}
	if strings.Contains(ua, "Trident/") { // IE 11: "Trident/7.0; rv:11.0"
		if i := strings.Index(ua, "rv:"); i >= 0 {
			return "IE", majorAt(ua[i+3:]), bot
		}
		return "IE", "", bot
	}
	if strings.Contains(ua, "Safari/") || strings.Contains(ua, "AppleWebKit/") && (strings.Contains(ua, "Mobile/") || strings.Contains(ua, "Macintosh")) {
		v := ""
		if i := strings.Index(ua, "Version/"); i >= 0 {
			v = majorAt(ua[i+len("Version/"):])
		}
		if strings.Contains(ua, "Android") {
			return "Android Browser", v, bot
		}
		if v != "" || strings.Contains(ua, "Macintosh") || strings.Contains(ua, "iPhone") || strings.Contains(ua, "iPad") || strings.Contains(ua, "iPod") {
			return "Safari", v, bot
		}
	}
	return "", "", bot
}

// majorAt is the leading run of digits of s (a version's major part).
func majorAt(s string) string {
	n := 0
	for n < len(s) && n < 8 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return s[:n]
}

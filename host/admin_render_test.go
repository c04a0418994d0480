package host

import (
	"bytes"
	"html"
	"html/template"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

// TestRenderPage: the hand-written page shows what the html/template it
// replaced showed (compared as text: entities decoded, white space
// collapsed), and no value reaches the markup unescaped.
func TestRenderPage(t *testing.T) {
	tmpl := template.Must(template.New("page").Funcs(template.FuncMap{
		"time": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format("2006-01-02 15:04:05Z")
		},
	}).Parse(templatePageHTML))
	evil := `"><script>alert('x')</script>&amp;`
	at := time.Date(2026, 12, 3, 10, 5, 0, 0, time.UTC)
	cases := []pageData{
		{CSRF: "c0ffee"},
		{CSRF: evil, Error: evil},
		{LoggedIn: true, CSRF: "abc", Status: "failed"},
		{LoggedIn: true, CSRF: "abc", Mobile: evil, Status: "sent", Searched: true, Error: "Check the search: " + evil},
		{LoggedIn: true, CSRF: "abc", Mobile: "09121234567", Searched: true, NextURL: "/admin/?cursor=5&mobile=09121234567",
			Users: []pageUser{
				{User: chelseru.User{ID: 7, Group: 1, Mobile: "09121234567", CreatedAt: at, Disabled: true}, Username: "G1-09121234567",
					Sessions: []chelseru.Session{{ID: 3, Device: evil, Browser: "Chrome 118", IP: "5.160.1.2", CreatedAt: at, LastSeen: at}}},
				{User: chelseru.User{ID: 8, Mobile: "09121234567"}, Username: "G0-09121234567"},
			},
			Messages: []chelseru.Message{
				{ID: 9, Mobile: "09121234567", Status: chelseru.MessageFailed, Text: evil, ProviderMessageID: "p-1", ErrorClass: "provider", ErrorCode: "418", ErrorText: evil, CreatedAt: at},
				{ID: 8, Mobile: "09121234567", Status: chelseru.MessageSent, Text: "salam"},
			}},
	}
	space := regexp.MustCompile(`\s+`)
	norm := func(s string) string { return strings.TrimSpace(space.ReplaceAllString(html.UnescapeString(s), " ")) }
	tags := regexp.MustCompile(`>\s+<`)
	for i, d := range cases {
		var want, got bytes.Buffer
		if err := tmpl.Execute(&want, d); err != nil {
			t.Fatal(err)
		}
		renderPage(&got, &d)
		w, g := norm(tags.ReplaceAllString(want.String(), "><")), norm(tags.ReplaceAllString(got.String(), "><"))
		if w != g {
			t.Errorf("case %d differs from the template's page:\n got %s\nwant %s", i, g, w)
		}
		if strings.Contains(got.String(), "<script>") || strings.Contains(got.String(), `"><`+"s") {
			t.Errorf("case %d: a value reached the markup unescaped:\n%s", i, got.String())
		}
	}
	var b bytes.Buffer
	renderPage(&b, &pageData{LoggedIn: true, NextURL: "javascript:alert(1)"})
	if strings.Contains(b.String(), "javascript:") {
		t.Error("a next link outside the page was written")
	}
}

// templatePageHTML is the html/template source the page was rendered from
// before renderPage (kept here to compare with).
const templatePageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>chelseru admin</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.err{color:#a00}.muted{color:#777}
form.inline{display:inline}
</style></head><body>
<h1>chelseru admin</h1>
{{if .Error}}<p class="err" id="error">{{.Error}}</p>{{end}}
{{if not .LoggedIn}}
<form method="post" action="/admin/login" id="login">
<input type="hidden" name="csrf" value="{{.CSRF}}">
<label>Admin token <input type="password" name="token" id="token" autocomplete="off" required></label>
<button type="submit" id="signin">Sign in</button>
</form>
{{else}}
<form method="post" action="/admin/logout" class="inline"><input type="hidden" name="csrf" value="{{.CSRF}}"><button type="submit" id="signout">Sign out</button></form>
<form method="get" action="/admin/" id="search">
<label>Mobile number <input type="text" name="mobile" id="mobile" value="{{.Mobile}}"></label>
<label>Status <select name="status" id="status">
<option value=""{{if eq .Status ""}} selected{{end}}>any</option>
<option value="sent"{{if eq .Status "sent"}} selected{{end}}>sent</option>
<option value="failed"{{if eq .Status "failed"}} selected{{end}}>failed</option>
<option value="pending"{{if eq .Status "pending"}} selected{{end}}>pending</option>
</select></label>
<button type="submit" id="find">Search</button>
</form>
{{if .Searched}}
<h2>Users</h2>
{{if not .Users}}<p class="muted" id="no-users">No user with this number.</p>{{end}}
{{range .Users}}
<h3 class="user" data-id="{{.ID}}">{{.Username}} <span class="muted">(id {{.ID}}, group {{.Group}}, created {{time .CreatedAt}}{{if .Disabled}}, <strong>disabled</strong>{{end}})</span></h3>
<table class="sessions"><tr><th>Session</th><th>Device</th><th>Browser</th><th>IP</th><th>Created</th><th>Last seen</th></tr>
{{range .Sessions}}<tr class="session"><td>{{.ID}}</td><td>{{.Device}}</td><td>{{.Browser}}</td><td>{{.IP}}</td><td>{{time .CreatedAt}}</td><td>{{time .LastSeen}}</td></tr>
{{else}}<tr><td colspan="6" class="muted">No live session.</td></tr>{{end}}
</table>
{{end}}
{{end}}
<h2>SMS log{{if .Mobile}} of {{.Mobile}}{{end}}</h2>
<table id="messages"><tr><th>Id</th><th>To</th><th>Status</th><th>Text</th><th>Provider id</th><th>Error</th><th>Created</th></tr>
{{range .Messages}}<tr class="message"><td>{{.ID}}</td><td>{{.Mobile}}</td><td>{{.Status}}</td><td>{{.Text}}</td><td>{{.ProviderMessageID}}</td><td>{{.ErrorClass}} {{.ErrorCode}} {{.ErrorText}}</td><td>{{time .CreatedAt}}</td></tr>
{{else}}<tr><td colspan="7" class="muted">No message.</td></tr>{{end}}
</table>
{{if .NextURL}}<p><a href="{{.NextURL}}" id="older">Older messages</a></p>{{end}}
{{end}}
</body></html>
`

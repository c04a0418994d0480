package host

import (
	"bytes"
	"html"
	"strconv"
	"strings"
	"time"
)

// The admin page is written by hand rather than with html/template: the
// template engine calls methods by name through reflection, which makes the
// linker keep every exported method of every reachable type, ~7 MB of
// binary (~2 MB of machine code) that stayed resident in every server for
// one small read-only page. Every value from data goes through text (HTML
// escaping of &, <, >, " and '), which is safe in element text and in
// double-quoted attribute values, the only two places values appear.

// pageHead is the page up to its first value.
const pageHead = `<!doctype html>
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
`

// pageWriter writes the page's parts into a buffer.
type pageWriter struct{ b *bytes.Buffer }

// raw writes markup as it is.
func (w pageWriter) raw(s string) { w.b.WriteString(s) }

// text writes a value, escaped.
func (w pageWriter) text(s string) { w.b.WriteString(html.EscapeString(s)) }

// int writes a number.
func (w pageWriter) int(n int64) { w.b.WriteString(strconv.FormatInt(n, 10)) }

// time writes a time as the page shows it (UTC), or nothing for zero.
func (w pageWriter) time(t time.Time) {
	if !t.IsZero() {
		w.b.WriteString(t.UTC().Format("2006-01-02 15:04:05Z"))
	}
}

// renderPage writes the admin page for d: the sign-in form, or the search
// form, the users and sessions of a searched number, and the SMS log.
func renderPage(b *bytes.Buffer, d *pageData) {
	w := pageWriter{b}
	w.raw(pageHead)
	if d.Error != "" {
		w.raw(`<p class="err" id="error">`)
		w.text(d.Error)
		w.raw("</p>\n")
	}
	if !d.LoggedIn {
		w.raw("<form method=\"post\" action=\"/admin/login\" id=\"login\">\n<input type=\"hidden\" name=\"csrf\" value=\"")
		w.text(d.CSRF)
		w.raw("\">\n<label>Admin token <input type=\"password\" name=\"token\" id=\"token\" autocomplete=\"off\" required></label>\n" +
			"<button type=\"submit\" id=\"signin\">Sign in</button>\n</form>\n</body></html>\n")
		return
	}
	w.raw(`<form method="post" action="/admin/logout" class="inline"><input type="hidden" name="csrf" value="`)
	w.text(d.CSRF)
	w.raw("\"><button type=\"submit\" id=\"signout\">Sign out</button></form>\n" +
		"<form method=\"get\" action=\"/admin/\" id=\"search\">\n<label>Mobile number <input type=\"text\" name=\"mobile\" id=\"mobile\" value=\"")
	w.text(d.Mobile)
	w.raw("\"></label>\n<label>Status <select name=\"status\" id=\"status\">\n")
	for _, o := range [][2]string{{"", "any"}, {"sent", "sent"}, {"failed", "failed"}, {"pending", "pending"}} {
		w.raw(`<option value="` + o[0] + `"`)
		if d.Status == o[0] {
			w.raw(" selected")
		}
		w.raw(">" + o[1] + "</option>\n")
	}
	w.raw("</select></label>\n<button type=\"submit\" id=\"find\">Search</button>\n</form>\n")
	if d.Searched {
		renderUsers(w, d.Users)
	}
	w.raw("<h2>SMS log")
	if d.Mobile != "" {
		w.raw(" of ")
		w.text(d.Mobile)
	}
	w.raw("</h2>\n<table id=\"messages\"><tr><th>Id</th><th>To</th><th>Status</th><th>Text</th><th>Provider id</th><th>Error</th><th>Created</th></tr>\n")
	for _, m := range d.Messages {
		w.raw(`<tr class="message"><td>`)
		w.int(m.ID)
		w.raw("</td><td>")
		w.text(m.Mobile)
		w.raw("</td><td>")
		w.text(string(m.Status))
		w.raw("</td><td>")
		w.text(m.Text)
		w.raw("</td><td>")
		w.text(m.ProviderMessageID)
		w.raw("</td><td>")
		w.text(m.ErrorClass + " " + m.ErrorCode + " " + m.ErrorText)
		w.raw("</td><td>")
		w.time(m.CreatedAt)
		w.raw("</td></tr>\n")
	}
	if len(d.Messages) == 0 {
		w.raw("<tr><td colspan=\"7\" class=\"muted\">No message.</td></tr>\n")
	}
	w.raw("</table>\n")
	if strings.HasPrefix(d.NextURL, pagePath) { // built by view from the page's own path
		w.raw(`<p><a href="`)
		w.text(d.NextURL)
		w.raw("\" id=\"older\">Older messages</a></p>\n")
	}
	w.raw("</body></html>\n")
}

// renderUsers writes the users of a searched number and their sessions.
func renderUsers(w pageWriter, users []pageUser) {
	w.raw("<h2>Users</h2>\n")
	if len(users) == 0 {
		w.raw("<p class=\"muted\" id=\"no-users\">No user with this number.</p>\n")
	}
	for _, u := range users {
		w.raw(`<h3 class="user" data-id="`)
		w.int(u.ID)
		w.raw(`">`)
		w.text(u.Username)
		w.raw(` <span class="muted">(id `)
		w.int(u.ID)
		w.raw(", group ")
		w.int(u.Group)
		w.raw(", created ")
		w.time(u.CreatedAt)
		if u.Disabled {
			w.raw(", <strong>disabled</strong>")
		}
		w.raw(")</span></h3>\n<table class=\"sessions\"><tr><th>Session</th><th>Device</th><th>Browser</th><th>IP</th><th>Created</th><th>Last seen</th></tr>\n")
		for _, s := range u.Sessions {
			w.raw(`<tr class="session"><td>`)
			w.int(s.ID)
			w.raw("</td><td>")
			w.text(s.Device)
			w.raw("</td><td>")
			w.text(s.Browser)
			w.raw("</td><td>")
			w.text(s.IP)
			w.raw("</td><td>")
			w.time(s.CreatedAt)
			w.raw("</td><td>")
			w.time(s.LastSeen)
			w.raw("</td></tr>\n")
		}
		if len(u.Sessions) == 0 {
			w.raw("<tr><td colspan=\"6\" class=\"muted\">No live session.</td></tr>\n")
		}
		w.raw("</table>\n")
	}
}

package host

import (
	"bytes"
	"crypto/subtle"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/chelseru/chelseru"
)

// The admin page: a read-only HTML view of users, their sessions and the
// SMS log, on the admin listener. A browser cannot send a bearer header on
// navigation, so the admin token is posted once in a login form; the answer
// sets a cookie holding a random session id (the token itself never sits in
// the browser): HttpOnly, SameSite=Strict, Path=/admin/, Secure when the
// connection is TLS, 8 hours. Form posts carry a CSRF token: before login a
// double-submit value (a random cookie equal to a hidden field), after login
// HMAC(per-process key, session id); an Origin header, when present, must be
// this host. Sessions live in memory (at most 64): a restart signs out.

const (
	cookieSession = "chelseru_admin"
	cookieCSRF    = "chelseru_admin_csrf"
	pagePath      = "/admin/"
)

// adminPage serves /admin/.
type adminPage struct {
	a        *Admin
	key      []byte // HMAC key of the logged-in CSRF tokens
	sessions pageSessions
}

func newAdminPage(a *Admin) (*adminPage, error) {
	k, err := randomToken()
	if err != nil {
		return nil, err
	}
	return &adminPage{a: a, key: []byte(k)}, nil
}

// pageData is what the page shows (renderPage).
type pageData struct {
	LoggedIn bool
	CSRF     string
	Error    string
	Mobile   string
	Status   string
	Users    []pageUser
	Messages []chelseru.Message
	Searched bool
	NextURL  string
}

type pageUser struct {
	chelseru.User
	Username string
	Sessions []chelseru.Session
}

func (p *adminPage) serve(ctx *fasthttp.RequestCtx, path string) {
	h := &ctx.Response.Header
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin") // no-referrer would make form posts carry "Origin: null"
	switch path {
	case "/admin", pagePath:
		if !ctx.IsGet() && !ctx.IsHead() {
			notAllowed(ctx, "GET, HEAD")
			return
		}
		if id, ok := p.session(ctx); ok {
			p.view(ctx, id)
		} else {
			p.loginForm(ctx, fasthttp.StatusOK, "")
		}
	case pagePath + "login":
		if !ctx.IsPost() {
			notAllowed(ctx, "POST")
			return
		}
		p.login(ctx)
	case pagePath + "logout":
		if !ctx.IsPost() {
			notAllowed(ctx, "POST")
			return
		}
		p.logout(ctx)
	default:
		adminDetail(ctx, fasthttp.StatusNotFound, "Not found.")
	}
}

// session returns the request's valid page session id.
func (p *adminPage) session(ctx *fasthttp.RequestCtx) (string, bool) {
	id := string(ctx.Request.Header.Cookie(cookieSession))
	if len(id) != 64 || !p.sessions.valid(id, p.a.now()) {
		return "", false
	}
	return id, true
}

func (p *adminPage) setCookie(ctx *fasthttp.RequestCtx, name, value string, maxAge time.Duration) {
	var c fasthttp.Cookie
	c.SetKey(name)
	c.SetValue(value)
	c.SetPath(pagePath)
	c.SetHTTPOnly(true)
	c.SetSameSite(fasthttp.CookieSameSiteStrictMode)
	c.SetSecure(ctx.IsTLS())
	if maxAge > 0 {
		c.SetMaxAge(int(maxAge / time.Second))
	} else {
		c.SetMaxAge(-1) // delete
		c.SetValue("")
	}
	ctx.Response.Header.SetCookie(&c)
}

// loginForm answers the login page with a fresh double-submit CSRF value.
func (p *adminPage) loginForm(ctx *fasthttp.RequestCtx, status int, msg string) {
	csrf, err := randomToken()
	if err != nil {
		p.a.writeErr(ctx, chelseru.Internal(err))
		return
	}
	p.setCookie(ctx, cookieCSRF, csrf, time.Hour)
	p.render(ctx, status, pageData{CSRF: csrf, Error: msg})
}

// sameOrigin refuses a form post whose Origin header names another site.
func sameOrigin(ctx *fasthttp.RequestCtx) bool {
	o := ctx.Request.Header.Peek("Origin")
	if len(o) == 0 {
		return true // same-origin navigations of older browsers; SameSite and the CSRF token still apply
	}
	u, err := url.Parse(string(o))
	return err == nil && u.Host == string(ctx.Host())
}

func (p *adminPage) login(ctx *fasthttp.RequestCtx) {
	form := ctx.PostArgs()
	cookie := ctx.Request.Header.Cookie(cookieCSRF)
	sent := form.Peek("csrf")
	if !sameOrigin(ctx) || len(cookie) == 0 || subtle.ConstantTimeCompare(cookie, sent) != 1 {
		setAdminCode(ctx, CodeCSRFFailed)
		p.loginForm(ctx, fasthttp.StatusForbidden, "The form expired or came from another site. Try again.")
		return
	}
	if !p.a.tokenOK(bytes.TrimSpace(form.Peek("token"))) {
		p.a.log.Warn("admin page: wrong token", "remote", ctx.RemoteIP().String())
		setAdminCode(ctx, CodeInvalidAdminToken)
		p.loginForm(ctx, fasthttp.StatusUnauthorized, "Wrong admin token.")
		return
	}
	id, err := randomToken()
	if err != nil {
		p.a.writeErr(ctx, chelseru.Internal(err))
		return
	}
	p.sessions.add(id, p.a.now())
	p.setCookie(ctx, cookieSession, id, pageSessionTTL)
	p.setCookie(ctx, cookieCSRF, "", 0)
	p.a.log.Info("admin page: signed in", "remote", ctx.RemoteIP().String())
	ctx.Response.Header.Set(fasthttp.HeaderLocation, pagePath)
	ctx.SetStatusCode(fasthttp.StatusSeeOther)
}

func (p *adminPage) logout(ctx *fasthttp.RequestCtx) {
	id, ok := p.session(ctx)
	sent := ctx.PostArgs().Peek("csrf")
	if !ok || !sameOrigin(ctx) || subtle.ConstantTimeCompare([]byte(macHex(p.key, id)), sent) != 1 {
		adminDetailCode(ctx, fasthttp.StatusForbidden, CodeCSRFFailed, "CSRF check failed.")
		return
	}
	p.sessions.remove(id)
	p.setCookie(ctx, cookieSession, "", 0)
	ctx.Response.Header.Set(fasthttp.HeaderLocation, pagePath)
	ctx.SetStatusCode(fasthttp.StatusSeeOther)
}

// view answers the signed-in page: a number's users and sessions and the
// SMS log (of the number, or all), a page at a time.
func (p *adminPage) view(ctx *fasthttp.RequestCtx, id string) {
	c := reqContext()
	args := ctx.QueryArgs()
	d := pageData{LoggedIn: true, CSRF: macHex(p.key, id)}
	d.Mobile = strings.TrimSpace(string(args.Peek("mobile")))
	d.Status = string(args.Peek("status"))
	f, err := messageFilter(args)
	if err != nil {
		d.Error = "Check the search: " + fieldsText(err)
		setAdminCode(ctx, CodeInvalid)
		p.render(ctx, fasthttp.StatusBadRequest, d)
		return
	}
	if d.Mobile != "" {
		d.Searched = true
		users, err := p.a.auth.AdminFindUsers(c, d.Mobile, nil)
		if err != nil {
			p.a.writeErr(ctx, err)
			return
		}
		for _, u := range users {
			list, err := p.a.auth.AdminSessions(c, u.ID)
			if err != nil {
				p.a.writeErr(ctx, err)
				return
			}
			d.Users = append(d.Users, pageUser{User: u, Username: u.Username(), Sessions: list})
		}
	}
	page, err := p.a.auth.AdminMessages(c, f)
	if err != nil {
		p.a.writeErr(ctx, err)
		return
	}
	d.Messages = page.Messages
	if page.Next > 0 {
		q := url.Values{"cursor": {strconv.FormatInt(page.Next, 10)}}
		if d.Mobile != "" {
			q.Set("mobile", d.Mobile)
		}
		if d.Status != "" {
			q.Set("status", d.Status)
		}
		if l := string(args.Peek("limit")); l != "" {
			q.Set("limit", l)
		}
		d.NextURL = pagePath + "?" + q.Encode()
	}
	p.render(ctx, fasthttp.StatusOK, d)
}

// fieldsText is a validation error's messages on one line.
func fieldsText(err error) string {
	e, ok := err.(*chelseru.Error)
	if !ok {
		return "invalid input."
	}
	var parts []string
	for k, msgs := range e.Fields {
		parts = append(parts, k+": "+strings.Join(msgs, " "))
	}
	return strings.Join(parts, "; ")
}

func (p *adminPage) render(ctx *fasthttp.RequestCtx, status int, d pageData) {
	var b bytes.Buffer
	renderPage(&b, &d)
	ctx.SetStatusCode(status)
	ctx.SetContentType("text/html; charset=utf-8")
	ctx.SetBody(b.Bytes())
}

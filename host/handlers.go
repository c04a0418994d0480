package host

import (
	"github.com/chelseru/chelseru/sdk/jsonlite"
	"github.com/valyala/fasthttp"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/auth"
)

// Fixed success bodies.
const (
	bodyOTPSent     = `{"details":"The OTP code was sent correctly."}`
	bodyMessageSent = `{"details":"The Message was sent correctly.","message_id":`
)

// handleOTPSend serves POST /api/otp/send/.
func (s *Server) handleOTPSend(ctx *fasthttp.RequestCtx, rs *reqState) {
	if !s.decodeBody(ctx, rs, fieldsOTPSend) {
		return
	}
	var fe fieldErrors
	mobile := fe.char(fieldsOTPSend[otpSendMobile], rs.vals[otpSendMobile], true)
	var captcha string
	if s.captcha != nil {
		captcha = fe.char(fieldsOTPSend[otpSendCaptcha], rs.vals[otpSendCaptcha], true)
	}
	err := fe.err()
	if err == nil && s.captcha != nil {
		err = s.captcha.check(reqContext(), captcha, s.clientIP(ctx))
	}
	if err == nil {
		err = s.auth.SendOTP(reqContext(), mobile, s.clientIP(ctx))
	}
	s.metrics.otpSends[outcomeOf(err)].Inc()
	if err != nil {
		s.writeError(ctx, rs, err)
		return
	}
	s.writeJSON(ctx, rs, fasthttp.StatusOK, append(rs.out[:0], bodyOTPSent...))
}

// handleAuthenticate serves POST /api/authenticate/. With the PASSWD method
// either code or password is given (auth checks which); with OTP, code is
// required and a password field is ignored, as DRF ignores unknown fields.
func (s *Server) handleAuthenticate(ctx *fasthttp.RequestCtx, rs *reqState) {
	if !s.decodeBody(ctx, rs, fieldsAuthenticate) {
		return
	}
	var fe fieldErrors
	in := auth.Login{
		Mobile:    fe.char(fieldsAuthenticate[authMobile], rs.vals[authMobile], true),
		Code:      fe.char(fieldsAuthenticate[authCode], rs.vals[authCode], !s.passwd),
		Group:     fe.group(fieldsAuthenticate[authGroup], rs.vals[authGroup]),
		UserAgent: string(ctx.Request.Header.UserAgent()),
	}
	if s.passwd {
		in.Password = fe.password(fieldsAuthenticate[authPassword], rs.vals[authPassword], false)
	}
	var toks auth.Tokens
	err := fe.err()
	if err == nil {
		in.IP = s.clientIP(ctx)
		toks, err = s.auth.Authenticate(reqContext(), in)
	}
	s.metrics.logins[outcomeOf(err)].Inc()
	if err != nil {
		s.writeError(ctx, rs, err)
		return
	}
	s.writeTokens(ctx, rs, toks)
}

// writeTokens answers {"access": ..., "refresh": ...}, without refresh when
// it is empty.
func (s *Server) writeTokens(ctx *fasthttp.RequestCtx, rs *reqState, t auth.Tokens) {
	b := append(rs.out[:0], `{"access":`...)
	b = jsonlite.AppendString(b, t.Access)
	if t.Refresh != "" {
		b = append(b, `,"refresh":`...)
		b = jsonlite.AppendString(b, t.Refresh)
	}
	b = append(b, '}')
	rs.out = b
	s.writeJSON(ctx, rs, fasthttp.StatusOK, b)
}

// handleRefresh serves POST /api/token/refresh/.
func (s *Server) handleRefresh(ctx *fasthttp.RequestCtx, rs *reqState) {
	if !s.decodeBody(ctx, rs, fieldsRefresh) {
		return
	}
	var fe fieldErrors
	refresh := fe.char(fieldsRefresh[refreshToken], rs.vals[refreshToken], true)
	var toks auth.Tokens
	err := fe.err()
	if err == nil {
		toks, err = s.auth.RefreshFrom(reqContext(), refresh, s.clientIP(ctx))
	}
	if err != nil {
		s.writeError(ctx, rs, err)
		return
	}
	s.writeTokens(ctx, rs, toks)
}

// handleVerify serves POST /api/token/verify/.
func (s *Server) handleVerify(ctx *fasthttp.RequestCtx, rs *reqState) {
	if !s.decodeBody(ctx, rs, fieldsVerify) {
		return
	}
	var fe fieldErrors
	tok := fe.char(fieldsVerify[verifyToken], rs.vals[verifyToken], true)
	err := fe.err()
	if err == nil {
		err = s.auth.Verify(reqContext(), tok)
	}
	if err != nil {
		s.writeError(ctx, rs, err)
		return
	}
	s.writeJSON(ctx, rs, fasthttp.StatusOK, append(rs.out[:0], `{}`...))
}

// authorize checks the request's bearer token, answering 401 itself when it
// fails.
func (s *Server) authorize(ctx *fasthttp.RequestCtx, rs *reqState) (auth.Principal, bool) {
	p, err := s.auth.Authorize(reqContext(), string(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)))
	if err != nil {
		s.writeError(ctx, rs, err)
		return auth.Principal{}, false
	}
	return p, true
}

// handleSessions serves GET /api/sessions/: a plain array of the caller's
// sessions.
func (s *Server) handleSessions(ctx *fasthttp.RequestCtx, rs *reqState) {
	p, ok := s.authorize(ctx, rs)
	if !ok {
		return
	}
	list, err := s.auth.ListSessions(reqContext(), p)
	if err != nil {
		s.writeError(ctx, rs, err)
		return
	}
	b := append(rs.out[:0], '[')
	for i, v := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = formatID(b, v.ID)
		b = append(b, `,"user_agent":`...)
		b = jsonlite.AppendString(b, v.UserAgent)
		b = append(b, `,"ip_address":`...)
		b = jsonlite.AppendString(b, v.IP)
		b = append(b, `,"device":`...)
		b = jsonlite.AppendString(b, v.Device)
		b = append(b, `,"browser":`...)
		b = jsonlite.AppendString(b, v.Browser)
		b = append(b, `,"created_at":`...)
		b = appendTime(b, v.CreatedAt)
		b = append(b, `,"last_seen":`...)
		b = appendTime(b, v.LastSeen)
		if v.Current {
			b = append(b, `,"current":true}`...)
		} else {
			b = append(b, `,"current":false}`...)
		}
	}
	b = append(b, ']')
	rs.out = b
	s.writeJSON(ctx, rs, fasthttp.StatusOK, b)
}

// handleRevoke serves DELETE /api/sessions/{id}/: 204 on success, 404 for a
// session that is not the caller's.
func (s *Server) handleRevoke(ctx *fasthttp.RequestCtx, rs *reqState, id int64) {
	p, ok := s.authorize(ctx, rs)
	if !ok {
		return
	}
	if err := s.auth.RevokeSession(reqContext(), p, id); err != nil {
		s.writeError(ctx, rs, err)
		return
	}
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	rs.status = fasthttp.StatusNoContent
}

// handleMessageSend serves POST /api/message/send/: a service call with
// "Api-Key <key>", or a signed-in user's when SMS.USER_MESSAGES is on (403
// otherwise). As in DRF, the credentials are checked before the body is
// read: a request without valid ones gets a 401 whatever its body. Every
// request is counted by caller kind and outcome.
func (s *Server) handleMessageSend(ctx *fasthttp.RequestCtx, rs *reqState) {
	c, err := s.auth.AuthorizeSender(reqContext(), string(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)))
	if err != nil {
		s.metrics.countSMS(c.Kind, outcomeOf(err))
		s.writeError(ctx, rs, err)
		return
	}
	if !s.decodeBody(ctx, rs, fieldsMessage) {
		s.metrics.countSMS(c.Kind, outcomeInvalid)
		return
	}
	var fe fieldErrors
	in := auth.Outgoing{
		Mobile:     fe.char(fieldsMessage[messageMobile], rs.vals[messageMobile], true),
		Text:       fe.char(fieldsMessage[messageText], rs.vals[messageText], true),
		TemplateID: fe.integer(fieldsMessage[messageTemplateID], rs.vals[messageTemplateID], false, 0),
	}
	err = fe.err()
	var id string
	if err == nil {
		var m chelseru.Message
		m, err = s.auth.SendMessage(reqContext(), c, in)
		id = m.ProviderMessageID
	}
	s.metrics.countSMS(c.Kind, outcomeOf(err))
	if err != nil {
		s.writeError(ctx, rs, err)
		return
	}
	b := append(rs.out[:0], bodyMessageSent...)
	b = jsonlite.AppendString(b, id)
	b = append(b, '}')
	rs.out = b
	s.writeJSON(ctx, rs, fasthttp.StatusOK, b)
}

// handlePasswordSet serves POST /api/password/set/ (PASSWD method only; with
// OTP the route does not exist): 204 on success. As in DRF, the token is
// checked before the body is read.
func (s *Server) handlePasswordSet(ctx *fasthttp.RequestCtx, rs *reqState) {
	p, ok := s.authorize(ctx, rs)
	if !ok {
		return
	}
	if !s.decodeBody(ctx, rs, fieldsPasswordSet) {
		return
	}
	var fe fieldErrors
	pw := fe.password(fieldsPasswordSet[passwordSetPassword], rs.vals[passwordSetPassword], true)
	current := fe.password(fieldsPasswordSet[passwordSetCurrent], rs.vals[passwordSetCurrent], false)
	err := fe.err()
	if err == nil {
		err = s.auth.SetPassword(reqContext(), p, pw, current)
	}
	if err != nil {
		s.writeError(ctx, rs, err)
		return
	}
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	rs.status = fasthttp.StatusNoContent
}

package ghasedak

import "github.com/chelseru/chelseru/sdk/abi"

// statuses maps the statusCode of Ghasedak's answers onto error classes.
// Ghasedak's gateway documents statusCode as an HTTP-style code ("کد
// وضعیت"; 200 with isSuccess true is success, e.g. 401 for a refused key)
// and often answers HTTP 200 with the real code in the body, so the codes
// are classed by their HTTP meaning. A code not listed: 5xx temporary,
// other 4xx bad_request, anything else permanent.
var statuses = map[int]string{
	400: abi.ClassBadRequest,     // the request failed validation
	401: abi.ClassBadCredentials, // the ApiKey is missing or wrong
	402: abi.ClassOutOfCredit,    // payment required: no credit left
	403: abi.ClassBadCredentials, // the key may not do this (IP, line, account)
	404: abi.ClassBadRequest,     // a template or line that does not exist
	405: abi.ClassPermanent,      // wrong method: a plugin bug
	408: abi.ClassTemporary,
	409: abi.ClassTemporary,
	413: abi.ClassBadRequest,
	415: abi.ClassPermanent, // wrong content type: a plugin bug
	422: abi.ClassBadRequest,
	429: abi.ClassRateLimited,
}

// classify returns the class of a Ghasedak statusCode (or, without an
// envelope, of the HTTP status).
func classify(code int) string {
	if c, ok := statuses[code]; ok {
		return c
	}
	switch {
	case code >= 500 && code <= 599:
		return abi.ClassTemporary
	case code >= 400 && code <= 499:
		return abi.ClassBadRequest
	}
	return abi.ClassPermanent
}

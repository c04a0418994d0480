package provider

import "strconv"

// AppendForm appends key=value (with a leading '&' unless dst is empty) to
// dst, escaped as application/x-www-form-urlencoded exactly like
// net/url.Values.Encode (space as '+', unreserved bytes kept, the rest %XX).
// It avoids net/url (and the fmt it pulls in) in the guest.
func AppendForm(dst []byte, key, value string) []byte {
	if len(dst) > 0 {
		dst = append(dst, '&')
	}
	dst = AppendQueryEscape(dst, key)
	dst = append(dst, '=')
	return AppendQueryEscape(dst, value)
}

const upperHex = "0123456789ABCDEF"

// AppendFormInt is AppendForm for a decimal integer value.
func AppendFormInt(dst []byte, key string, value int64) []byte {
	if len(dst) > 0 {
		dst = append(dst, '&')
	}
	dst = AppendQueryEscape(dst, key)
	dst = append(dst, '=')
	return strconv.AppendInt(dst, value, 10)
}

// AppendFormJoined is AppendForm for the value strings.Join(values, sep),
// without building it.
func AppendFormJoined(dst []byte, key string, values []string, sep string) []byte {
	if len(dst) > 0 {
		dst = append(dst, '&')
	}
	dst = AppendQueryEscape(dst, key)
	dst = append(dst, '=')
	for i, v := range values {
		if i > 0 {
			dst = AppendQueryEscape(dst, sep)
		}
		dst = AppendQueryEscape(dst, v)
	}
	return dst
}

// unreserved marks the bytes a form value keeps as they are.
var unreserved = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	t['-'], t['_'], t['.'], t['~'] = true, true, true, true
	return t
}()

// AppendQueryEscape appends s escaped for a query or form value, like
// net/url.QueryEscape. Runs of bytes kept as they are are copied at once:
// in a wasm guest a byte appended on its own costs several times more.
func AppendQueryEscape(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && unreserved[s[j]] {
			j++
		}
		dst = append(dst, s[i:j]...)
		if j == len(s) {
			break
		}
		if c := s[j]; c == ' ' {
			dst = append(dst, '+')
		} else {
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
		i = j + 1
	}
	return dst
}

// AppendPathEscape appends s escaped as one URL path segment, like
// net/url.PathEscape.
func AppendPathEscape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '-', c == '_', c == '.', c == '~', c == '$', c == '&', c == '+', c == ':', c == '=', c == '@':
			dst = append(dst, c)
		default:
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return dst
}

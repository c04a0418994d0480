package provider

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

// AppendQueryEscape appends s escaped for a query or form value, like
// net/url.QueryEscape.
func AppendQueryEscape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&15])
		}
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

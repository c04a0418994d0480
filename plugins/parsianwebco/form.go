package parsianwebco

// appendForm appends key=value (with a leading '&' unless dst is empty) to
// dst, escaped as application/x-www-form-urlencoded exactly like
// net/url.Values.Encode (space as '+', unreserved bytes kept, the rest %XX).
// It avoids net/url (and the fmt it pulls in) in the guest.
func appendForm(dst []byte, key, value string) []byte {
	if len(dst) > 0 {
		dst = append(dst, '&')
	}
	dst = appendQueryEscape(dst, key)
	dst = append(dst, '=')
	return appendQueryEscape(dst, value)
}

const upperHex = "0123456789ABCDEF"

func appendQueryEscape(dst []byte, s string) []byte {
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

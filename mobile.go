package chelseru

import "strings"

// NormalizeMobile turns an Iranian mobile number in any of the accepted forms
// (09121234567, +989121234567, 00989121234567, 989121234567, 9121234567, with
// ASCII, Persian or Arabic-Indic digits, spaces or dashes between digits) into
// 09XXXXXXXXX. ok is false when the input is not an Iranian mobile number.
func NormalizeMobile(s string) (mobile string, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) > 64 {
		return "", false
	}
	var b [32]byte
	n := 0
	for i, r := range s {
		var d byte
		switch {
		case r >= '0' && r <= '9':
			d = byte(r - '0')
		case r >= '۰' && r <= '۹': // Persian (Extended Arabic-Indic) digits
			d = byte(r - '۰')
		case r >= '٠' && r <= '٩': // Arabic-Indic digits
			d = byte(r - '٠')
		case r == '+' && i == 0:
			continue
		case r == ' ' || r == '-':
			continue
		default:
			return "", false
		}
		if n == len(b) {
			return "", false
		}
		b[n] = '0' + d
		n++
	}
	digits := string(b[:n])
	switch {
	case strings.HasPrefix(digits, "0098"):
		digits = "0" + digits[4:]
	case strings.HasPrefix(digits, "98") && len(digits) == 12:
		digits = "0" + digits[2:]
	case strings.HasPrefix(digits, "9") && len(digits) == 10:
		digits = "0" + digits
	}
	if len(digits) != 11 || !strings.HasPrefix(digits, "09") {
		return "", false
	}
	return digits, true
}

package chelseru

import (
	"strings"
	"unicode/utf8"
)

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
		d, isDigit := digitValue(r)
		switch {
		case isDigit:
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

// digitValue returns the value of an ASCII, Persian (Extended Arabic-Indic) or
// Arabic-Indic decimal digit.
func digitValue(r rune) (byte, bool) {
	switch {
	case r >= '0' && r <= '9':
		return byte(r - '0'), true
	case r >= '۰' && r <= '۹':
		return byte(r - '۰'), true
	case r >= '٠' && r <= '٩':
		return byte(r - '٠'), true
	}
	return 0, false
}

// ASCIIDigits returns s with every Persian and Arabic-Indic digit replaced by
// its ASCII digit; other characters are kept. Clients in Iran often send
// numbers and codes typed on a Persian keyboard.
func ASCIIDigits(s string) string {
	i := 0
	for i < len(s) && s[i] < utf8.RuneSelf {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		if d, ok := digitValue(r); ok {
			b.WriteByte('0' + d)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

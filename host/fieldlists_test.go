package host

import "testing"

// TestFieldListsDense checks every request-body field list: each index
// constant has a name (an index skipped in a keyed list would leave ""), no
// name repeats, and the list fits in reqState.vals.
func TestFieldListsDense(t *testing.T) {
	var rs reqState
	for _, tc := range []struct {
		name  string
		names []string
		last  int // the highest index constant of the list
	}{
		{"otp/send", fieldsOTPSend, otpSendCaptcha},
		{"authenticate", fieldsAuthenticate, authPassword},
		{"refresh", fieldsRefresh, refreshToken},
		{"verify", fieldsVerify, verifyToken},
		{"message", fieldsMessage, messageTemplateID},
		{"password", fieldsPasswordSet, passwordSetCurrent},
	} {
		if len(tc.names) != tc.last+1 {
			t.Errorf("%s: %d names for %d constants", tc.name, len(tc.names), tc.last+1)
		}
		if len(tc.names) > len(rs.vals) {
			t.Errorf("%s: %d fields, reqState.vals holds %d", tc.name, len(tc.names), len(rs.vals))
		}
		seen := map[string]bool{}
		for i, n := range tc.names {
			if n == "" {
				t.Errorf("%s: index %d has no name", tc.name, i)
			}
			if seen[n] {
				t.Errorf("%s: %q twice", tc.name, n)
			}
			seen[n] = true
		}
	}
}

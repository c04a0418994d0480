package jsonlite

import "testing"

// plain marks the bytes a JSON string holds as they are: printable ASCII
// other than '"' and '\\' (the reference for PlainPrefix).
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// FuzzPlainPrefix checks the eight-bytes-at-a-time scan against the byte loop.
func FuzzPlainPrefix(f *testing.F) {
	f.Add([]byte("https://api.kavenegar.com/v1/key/verify/lookup.json"))
	f.Add([]byte("abcdefgh\"ijklmnop"))
	f.Add([]byte("abcdefghijklmno\\"))
	f.Add([]byte("abcdefghijklmn\x1f"))
	f.Add([]byte("abcdefg\x7f\x80ijk"))
	f.Add([]byte("ab !#~\x7f\x7f\x7f\x7f\x7f\x7f\x7f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		want := 0
		for want < len(b) && plain[b[want]] {
			want++
		}
		if got := PlainPrefix(b); got != want {
			t.Fatalf("PlainPrefix(%q) = %d, want %d", b, got, want)
		}
	})
}

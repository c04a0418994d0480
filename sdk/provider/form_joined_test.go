package provider

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestAppendFormJoinedAndInt: the same bytes as url.Values.Encode of the
// joined string and of the decimal number.
func TestAppendFormJoinedAndInt(t *testing.T) {
	for _, vars := range [][]string{nil, {"4821"}, {"a b", "کد", "x&y=z"}, {"", ""}} {
		for _, sep := range []string{";", ",", " "} {
			got := string(AppendFormJoined([]byte("token=k"), "text", vars, sep))
			want := "token=k&" + url.Values{"text": {strings.Join(vars, sep)}}.Encode()
			if got != want {
				t.Errorf("AppendFormJoined(%q, %q) = %q, want %q", vars, sep, got, want)
			}
		}
	}
	for _, n := range []int64{0, 12345, -7} {
		got := string(AppendFormInt(nil, "bodyId", n))
		want := url.Values{"bodyId": {strconv.FormatInt(n, 10)}}.Encode()
		if got != want {
			t.Errorf("AppendFormInt(%d) = %q, want %q", n, got, want)
		}
	}
}

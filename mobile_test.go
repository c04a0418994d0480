package chelseru_test

import (
	"testing"

	"github.com/chelseru/chelseru"
)

func TestNormalizeMobile(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"09121234567", "09121234567", true},
		{"+989121234567", "09121234567", true},
		{"00989121234567", "09121234567", true},
		{"989121234567", "09121234567", true},
		{"9121234567", "09121234567", true},
		{" 0912 123 4567 ", "09121234567", true},
		{"0912-123-4567", "09121234567", true},
		{"۰۹۱۲۱۲۳۴۵۶۷", "09121234567", true},
		{"+۹۸۹۱۲۱۲۳۴۵۶۷", "09121234567", true},
		{"٠٩١٢١٢٣٤٥٦٧", "09121234567", true},
		{"", "", false},
		{"0912123456", "", false},
		{"091212345678", "", false},
		{"08121234567", "", false},
		{"+1 415 555 0100", "", false},
		{"0912123456a", "", false},
		{"09+121234567", "", false},
		{"98912123456", "", false},
		{"00989121234567000", "", false},
	} {
		got, ok := chelseru.NormalizeMobile(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeMobile(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzNormalizeMobile(f *testing.F) {
	for _, s := range []string{"09121234567", "+989121234567", "00989121234567", "۰۹۱۲۱۲۳۴۵۶۷", "٠٩١٢١٢٣٤٥٦٧", "x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := chelseru.NormalizeMobile(s)
		if !ok {
			if got != "" {
				t.Fatalf("not ok but returned %q", got)
			}
			return
		}
		if len(got) != 11 || got[0] != '0' || got[1] != '9' {
			t.Fatalf("NormalizeMobile(%q) = %q: not 09XXXXXXXXX", s, got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] < '0' || got[i] > '9' {
				t.Fatalf("NormalizeMobile(%q) = %q: non-digit", s, got)
			}
		}
		// Idempotent: a normalised number normalises to itself.
		if again, ok := chelseru.NormalizeMobile(got); !ok || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, again)
		}
	})
}

func TestASCIIDigits(t *testing.T) {
	for in, want := range map[string]string{
		"":              "",
		"123":           "123",
		"۱۲۳":           "123",
		"٤٥6x":          "456x",
		" ۰۹ ":          " 09 ",
		"abc۹":          "abc9",
		"\u06f0\u0660a": "00a",
	} {
		if got := chelseru.ASCIIDigits(in); got != want {
			t.Errorf("ASCIIDigits(%q) = %q, want %q", in, got, want)
		}
	}
}

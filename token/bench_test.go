package token

import (
	"testing"
)

func BenchmarkIssue(b *testing.B) {
	for _, alg := range []string{HS256, EdDSA} {
		b.Run(alg, func(b *testing.B) {
			i := newIssuer(b, alg)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := i.Issue(Access, 42, 7, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	for _, alg := range []string{HS256, EdDSA} {
		b.Run(alg, func(b *testing.B) {
			i := newIssuer(b, alg)
			tok, _, err := i.Issue(Access, 42, 7, t0)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := i.Parse(tok, Access, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseForged measures the cost of refusing a token signed with
// another key, what an attacker can make the server do per request.
func BenchmarkParseForged(b *testing.B) {
	i := newIssuer(b, HS256)
	tok := forge(hdrHS, payload(nil), hs256([]byte("another key")))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := i.Parse(tok, Access, t0); err == nil {
			b.Fatal("accepted")
		}
	}
}

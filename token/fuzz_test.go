package token

import (
	"errors"
	"testing"
	"time"

	"github.com/chelseru/chelseru"
)

// FuzzParse feeds Parse arbitrary strings, seeded with real and forged
// tokens. Parse must never panic, and must accept nothing but the exact tokens
// the issuers signed.
func FuzzParse(f *testing.F) {
	hsI := newIssuer(f, HS256)
	edI := newIssuer(f, EdDSA)
	// Seeds must be the same in every fuzzing worker, so the valid ones are
	// signed here from fixed payloads (Issue draws a random jti).
	issued := map[string]bool{}
	for _, typ := range []string{Access, Refresh} {
		p := payload(map[string]any{"token_type": typ})
		for _, tok := range []string{forge(hdrHS, p, hs256(hsKey)), forge(hdrEd, p, ed(edSeed))} {
			issued[tok] = true
			f.Add(tok)
		}
	}
	f.Add("")
	f.Add("a.b.c")
	f.Add(forge(`{"alg":"none","typ":"JWT"}`, payload(nil), nil))
	f.Add(forge(hdrHS, payload(map[string]any{"user_id": 42}), hs256(hsKey)))
	f.Add(forge(hdrHS, `[]`, hs256(hsKey)))
	f.Fuzz(func(t *testing.T, tok string) {
		for _, i := range []*Issuer{hsI, edI} {
			for _, want := range []string{Access, Refresh, ""} {
				c, err := i.Parse(tok, want, t0.Add(time.Minute))
				if err == nil {
					if !issued[tok] {
						t.Fatalf("accepted a token it never issued: %q -> %+v", tok, c)
					}
					continue
				}
				var e *chelseru.Error
				if !errors.As(err, &e) || e.Code != chelseru.EUNAUTHORIZED {
					t.Fatalf("refusal is not EUNAUTHORIZED: %v", err)
				}
			}
		}
	})
}

package token

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDatabaseID: a token carries its database's id and is refused by an
// issuer of another database, or of none-before-binding (no dbid claim).
func TestDatabaseID(t *testing.T) {
	for _, alg := range []string{HS256, EdDSA} {
		t.Run(alg, func(t *testing.T) {
			key := hsKey
			if alg == EdDSA {
				key = edSeed
			}
			mk := func(id string) *Issuer {
				i, err := New(Config{Algorithm: alg, SigningKey: key, DatabaseID: id})
				if err != nil {
					t.Fatal(err)
				}
				return i
			}
			a, b, none := mk("0123456789abcdef"), mk("fedcba9876543210"), mk("")
			tok, _, err := a.Issue(Access, 1, 1, t0)
			if err != nil {
				t.Fatal(err)
			}
			payload, _ := b64.DecodeString(strings.Split(tok, ".")[1])
			if !strings.HasSuffix(string(payload), `,"sid":"1","dbid":"0123456789abcdef"}`) {
				t.Fatalf("payload %s", payload)
			}
			if _, err := a.Parse(tok, Access, t0); err != nil {
				t.Fatalf("own token refused: %v", err)
			}
			for name, i := range map[string]*Issuer{"another database": b} {
				if _, err := i.Parse(tok, Access, t0); !errors.Is(err, ErrInvalid) {
					t.Fatalf("%s accepted the token: %v", name, err)
				}
			}
			old, _, _ := none.Issue(Access, 1, 1, t0)
			if _, err := a.Parse(old, Access, t0); !errors.Is(err, ErrInvalid) {
				t.Fatalf("token without dbid accepted: %v", err)
			}
			// An issuer not bound to a database ignores the claim.
			if _, err := none.Parse(tok, Access, t0); err != nil {
				t.Fatalf("unbound issuer refused a bound token: %v", err)
			}
		})
	}
	if _, err := New(Config{SigningKey: hsKey, DatabaseID: `a"b`}); err == nil {
		t.Fatal("a database id with a quote was accepted")
	}
}

// TestPreviousKeys: after a key change, tokens signed with a listed previous
// key verify, new tokens are signed with the new key only, and a token of a
// key no longer listed is refused.
func TestPreviousKeys(t *testing.T) {
	for _, alg := range []string{HS256, EdDSA} {
		t.Run(alg, func(t *testing.T) {
			k1, k2, k3 := []byte(strings.Repeat("1", 32)), []byte(strings.Repeat("2", 32)), []byte(strings.Repeat("3", 32))
			mk := func(key []byte, prev ...[]byte) *Issuer {
				i, err := New(Config{Algorithm: alg, SigningKey: key, PreviousKeys: prev, RefreshLifetime: 48 * time.Hour})
				if err != nil {
					t.Fatal(err)
				}
				return i
			}
			before := mk(k1)
			old, _, _ := before.Issue(Refresh, 3, 4, t0)
			after := mk(k2, k1)
			if c, err := after.Parse(old, Refresh, t0.Add(time.Hour)); err != nil || c.UserID != 3 {
				t.Fatalf("old token after rotation: %v", err)
			}
			fresh, _, _ := after.Issue(Refresh, 3, 4, t0)
			if _, err := mk(k2).Parse(fresh, Refresh, t0); err != nil {
				t.Fatalf("new token not signed with the new key: %v", err)
			}
			if _, err := before.Parse(fresh, Refresh, t0); err == nil {
				t.Fatal("new token verified with the old key: it was signed with it")
			}
			if _, err := mk(k3, k2).Parse(old, Refresh, t0); !errors.Is(err, ErrInvalid) {
				t.Fatalf("token of an unlisted key accepted: %v", err)
			}
		})
	}
	if _, err := New(Config{SigningKey: hsKey, PreviousKeys: [][]byte{{}}}); err == nil {
		t.Fatal("an empty previous key was accepted")
	}
	if _, err := New(Config{Algorithm: EdDSA, SigningKey: edSeed, PreviousKeys: [][]byte{[]byte("short")}}); err == nil {
		t.Fatal("a short EdDSA previous seed was accepted")
	}
}

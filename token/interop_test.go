package token

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// pythonWithPyJWT finds a Python that has PyJWT and cryptography (Debian:
// python3-jwt), the library simplejwt signs and verifies with. The system
// Python is tried too, as pyenv shims may shadow it.
func pythonWithPyJWT(t *testing.T) string {
	for _, name := range []string{"python3", "/usr/bin/python3", "/usr/local/bin/python3"} {
		path, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		if exec.Command(path, "-c", "import jwt, cryptography").Run() == nil {
			return path
		}
	}
	t.Skip("no Python with PyJWT and cryptography (apt install python3-jwt)")
	return ""
}

// TestInteropPyJWT checks both directions against PyJWT: PyJWT verifies our
// tokens (signature, exp, iat) and sees simplejwt's claims; we accept tokens
// PyJWT signs from a simplejwt-shaped payload.
func TestInteropPyJWT(t *testing.T) {
	py := pythonWithPyJWT(t)
	now := time.Now()
	hs := newIssuer(t, HS256)
	ed := newIssuer(t, EdDSA)
	hsTok, hsClaims, err := hs.Issue(Access, 42, 7, now)
	if err != nil {
		t.Fatal(err)
	}
	edTok, _, err := ed.Issue(Refresh, 43, 8, now)
	if err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`
import jwt, time, uuid
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
priv = Ed25519PrivateKey.from_private_bytes(bytes(%v))
hs = jwt.decode(%q, %q, algorithms=["HS256"], options={"require": ["exp", "iat"]})
print("HS", hs["token_type"], hs["user_id"], type(hs["user_id"]).__name__, hs["sid"], hs["jti"])
ed = jwt.decode(%q, priv.public_key(), algorithms=["EdDSA"], options={"require": ["exp", "iat"]})
print("ED", ed["token_type"], ed["user_id"], type(ed["user_id"]).__name__, ed["sid"])
now = int(time.time())
p = {"token_type": "access", "exp": now + 300, "iat": now, "jti": uuid.uuid4().hex, "user_id": str(44), "sid": "9"}
print("PYHS", jwt.encode(p, %q, algorithm="HS256"))
print("PYED", jwt.encode(p, priv, algorithm="EdDSA"))
`, pyBytes(edSeed), hsTok, hsKey, edTok, hsKey)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, py, "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), " ")
		got[k] = v
	}
	if want := "access 42 str 7 " + hsClaims.JTI; got["HS"] != want {
		t.Errorf("PyJWT decodes our HS256 token as %q, want %q", got["HS"], want)
	}
	if want := "refresh 43 str 8"; got["ED"] != want {
		t.Errorf("PyJWT decodes our EdDSA token as %q, want %q", got["ED"], want)
	}
	for _, c := range []struct {
		iss *Issuer
		tok string
	}{{hs, got["PYHS"]}, {ed, got["PYED"]}} {
		cl, err := c.iss.Parse(c.tok, Access, time.Now())
		if err != nil || cl.UserID != 44 || cl.SessionID != 9 {
			t.Errorf("%s: PyJWT's token parses as %+v, %v", c.iss.cfg.Algorithm, cl, err)
		}
	}
}

// pyBytes writes b as a Python list literal.
func pyBytes(b []byte) string {
	s := make([]string, len(b))
	for i, x := range b {
		s[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(s, ",") + "]"
}

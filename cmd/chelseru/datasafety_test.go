package main

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	domain "github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/storage"
)

// dsServer is the real binary serving one config, for the data-safety tests.
type dsServer struct {
	t    *testing.T
	base string
	logs *syncBuffer
	cmd  *exec.Cmd
	done chan error
}

// dsConfig writes a config serving dataDir on a free port, plus extra YAML.
func dsConfig(t *testing.T, dir, name, dataDir, extra string) (path, addr string) {
	t.Helper()
	addr = freePort(t)
	return writeFile(t, dir, name, "SERVER:\n  LISTEN: "+addr+"\n  DATA_DIR: "+dataDir+"\n  PLUGINS_DIR: \"\"\n"+extra), addr
}

// dsStart starts `chelseru serve --config cfg` and waits until it is ready.
func dsStart(t *testing.T, dir, cfg, addr string) *dsServer {
	t.Helper()
	s := &dsServer{t: t, base: "http://" + addr, logs: &syncBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(binary, "serve", "--config", cfg)
	s.cmd.Dir = dir
	s.cmd.Env = append(os.Environ(), "CHELSERU_JWT_SIGNING_KEY=")
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() { s.cmd.Process.Kill() })
	waitReady(t, s.base+"/readyz", s.done)
	return s
}

// stop sends SIGTERM and checks the server exits 0.
func (s *dsServer) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Fatalf("serve after SIGTERM: %v; log:\n%s", err, s.logs.String())
		}
	case <-time.After(time.Minute):
		s.t.Fatal("serve did not exit after SIGTERM")
	}
}

// alive fails the test if the server has exited.
func (s *dsServer) alive() {
	s.t.Helper()
	select {
	case err := <-s.done:
		s.t.Fatalf("the server exited: %v; log:\n%s", err, s.logs.String())
	default:
	}
}

// do sends a request and returns the status and body.
func (s *dsServer) do(method, path, bearer, ctype, body string) (int, string) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.base+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// login signs mobile (09XXXXXXXXX) in with the code the CONSOLE provider
// logs and returns the access and refresh tokens.
func (s *dsServer) login(mobile string) (access, refresh string) {
	s.t.Helper()
	before := strings.Count(s.logs.String(), mobile)
	if st, body := s.do("POST", "/api/otp/send/", "", "application/json", `{"mobile_number":"`+mobile+`"}`); st != 200 {
		s.t.Fatalf("otp/send %s: %d %s", mobile, st, body)
	}
	re := regexp.MustCompile(mobile + `.*\[(\d{8})\]`)
	var code string
	for i := 0; i < 200 && code == ""; i++ {
		logs := s.logs.String()
		if strings.Count(logs, mobile) > before {
			if m := re.FindAllStringSubmatch(logs, -1); len(m) > 0 {
				code = m[len(m)-1][1]
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code == "" {
		s.t.Fatalf("no code for %s in the log:\n%s", mobile, s.logs.String())
	}
	st, body := s.do("POST", "/api/authenticate/", "", "application/x-www-form-urlencoded", "mobile_number="+mobile+"&code="+code)
	if st != 200 {
		s.t.Fatalf("authenticate %s: %d %s", mobile, st, body)
	}
	var tok struct{ Access, Refresh string }
	if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.Access == "" || tok.Refresh == "" {
		s.t.Fatalf("authenticate body %s: %v", body, err)
	}
	return tok.Access, tok.Refresh
}

// dsSigningKey is a fixed signing key, so a test can tell a token refused
// for its database from one refused for its key.
const dsSigningKey = "data-safety-test-signing-key-0123456789abcdef"

// TestDamagedDataFolderRefused: a data folder whose MANIFEST is removed or
// cut, or whose table is cut or randomised (tail or middle), makes `serve`
// exit 3 with one line and no stack trace, `verify` reports it (exit 3),
// `backup` fails the same way and leaves no file; the intact folder
// verifies and serves.
func TestDamagedDataFolderRefused(t *testing.T) {
	root := t.TempDir()
	good := filepath.Join(root, "good")
	dsFill(t, filepath.Join(good, dbDirName), 3000)
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, db string)
	}{
		{"intact", nil},
		{"manifest removed", func(t *testing.T, db string) { os.Remove(filepath.Join(db, "MANIFEST")) }},
		{"manifest truncated", func(t *testing.T, db string) { os.Truncate(filepath.Join(db, "MANIFEST"), 8) }},
		{"table cut", func(t *testing.T, db string) {
			p := dsTable(t, db)
			fi, _ := os.Stat(p)
			os.Truncate(p, fi.Size()-100)
		}},
		{"table tail randomised", func(t *testing.T, db string) { dsScribble(t, dsTable(t, db), -300, 300) }},
		{"table middle randomised (4 KB)", func(t *testing.T, db string) { dsScribble(t, dsTable(t, db), 0, 4096) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "data")
			if err := os.CopyFS(data, os.DirFS(good)); err != nil {
				t.Fatal(err)
			}
			if tc.damage != nil {
				tc.damage(t, filepath.Join(data, dbDirName))
			}
			cfg, addr := dsConfig(t, dir, "c.yaml", data, "JWT:\n  SIGNING_KEY: "+dsSigningKey+"\n")
			code, out, errs := chelseru(t, dir, "verify", "--config", cfg)
			if tc.damage == nil {
				if code != 0 || !strings.Contains(out, "ok: ") {
					t.Fatalf("verify of an intact folder: exit %d, %q %q", code, out, errs)
				}
				code, out, errs = chelseru(t, dir, "verify", "--data-dir", data)
				if code != 0 {
					t.Fatalf("verify --data-dir of an intact folder: exit %d, %q %q", code, out, errs)
				}
				s := dsStart(t, dir, cfg, addr)
				s.stop()
				return
			}
			if code != exitDamaged {
				t.Fatalf("verify: exit %d, want %d (stdout %q, stderr %q)", code, exitDamaged, out, errs)
			}
			oneLine(t, errs)
			code, _, errs = chelseru(t, dir, "serve", "--config", cfg)
			if code != exitDamaged {
				t.Fatalf("serve: exit %d, want %d; stderr:\n%s", code, exitDamaged, errs)
			}
			// Before it, only the config's CONSOLE warning; no trace.
			if strings.Contains(errs, "goroutine ") || strings.Contains(errs, "panic") || strings.Count(errs, "\n") > 2 {
				t.Fatalf("serve's output is more than the one line:\n%s", errs)
			}
			errs = lastLine(errs)
			oneLine(t, errs)
			if !strings.Contains(errs, "damaged") {
				t.Fatalf("serve's line does not say the folder is damaged: %q", errs)
			}
			bak := filepath.Join(dir, "b.bak")
			code, _, errs = chelseru(t, dir, "backup", "--config", cfg, "--out", bak)
			if code != exitDamaged {
				t.Fatalf("backup: exit %d, want %d; stderr %q", code, exitDamaged, errs)
			}
			oneLine(t, errs)
			for _, p := range []string{bak, bak + ".partial"} {
				if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("backup of a damaged folder left %s (%v)", p, err)
				}
			}
		})
	}
}

// TestDamagedWhileServing: a table damaged under a running server makes the
// online backup fail (exit 3, no file) and `verify` over the admin socket
// report it, instead of a backup with records silently missing.
func TestDamagedWhileServing(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	dsFill(t, filepath.Join(data, dbDirName), 3000)
	cfg, addr := dsConfig(t, dir, "c.yaml", data, "JWT:\n  SIGNING_KEY: "+dsSigningKey+"\n")
	s := dsStart(t, dir, cfg, addr)
	dsScribble(t, dsTable(t, filepath.Join(data, dbDirName)), 0, 4096) // in place: Badger maps the file
	bak := filepath.Join(dir, "b.bak")
	code, out, errs := chelseru(t, dir, "backup", "--config", cfg, "--out", bak)
	if code != exitDamaged {
		t.Fatalf("online backup of a damaged database: exit %d, want %d (%q %q)", code, exitDamaged, out, errs)
	}
	oneLine(t, errs)
	for _, p := range []string{bak, bak + ".partial"} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("failed backup left %s (%v)", p, err)
		}
	}
	code, _, errs = chelseru(t, dir, "verify", "--config", cfg)
	if code != exitDamaged || !strings.Contains(errs, "damaged") {
		t.Fatalf("verify through the server: exit %d %q, want %d", code, errs, exitDamaged)
	}
	oneLine(t, errs)
	s.alive()
	s.stop()
}

// dsFill makes a database in dir holding n sessions in table files.
func dsFill(t *testing.T, dir string, n int) {
	t.Helper()
	db, err := storage.Open(dir, storage.Options{Logger: slog.New(slog.DiscardHandler), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range n {
		_, err := db.CreateSession(t.Context(), domain.Session{UserID: int64(i%50 + 1), RefreshJTI: strings.Repeat("a", 32),
			CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(time.Hour), UserAgent: strings.Repeat("x", 100)})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// dsTable returns the largest table file of a database folder.
func dsTable(t *testing.T, dir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
	var best string
	var size int64
	for _, p := range m {
		if fi, err := os.Stat(p); err == nil && fi.Size() > size {
			best, size = p, fi.Size()
		}
	}
	if best == "" || size < 16<<10 {
		t.Fatalf("no table file of 16 KB in %s", dir)
	}
	return best
}

// dsScribble overwrites n bytes at off (negative: from the end; 0: the
// middle) with pseudo-random bytes, in place.
func dsScribble(t *testing.T, path string, off int64, n int) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case off < 0:
		off += fi.Size()
	case off == 0:
		off = fi.Size()/2 - int64(n)/2
	}
	junk := make([]byte, n)
	x := uint32(2463534242)
	for i := range junk {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		junk[i] = byte(x)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(junk, off); err != nil {
		t.Fatal(err)
	}
}

// TestTokenFromBeforeLossRefused: with the signing key in the config (so it
// survives), a data folder that is lost and recreated starts ids at 1 again;
// a token from before the loss names a user and session id that exist anew,
// and must be refused (401) because it belongs to the earlier database.
func TestTokenFromBeforeLossRefused(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg, addr := dsConfig(t, dir, "c.yaml", data, "JWT:\n  SIGNING_KEY: "+dsSigningKey+"\n")
	s := dsStart(t, dir, cfg, addr)
	oldAccess, oldRefresh := s.login("09121111111")
	if st, body := s.do("GET", "/api/sessions/", oldAccess, "", ""); st != 200 {
		t.Fatalf("sessions with a fresh token: %d %s", st, body)
	}
	s.stop()

	if err := os.RemoveAll(data); err != nil { // the whole folder is lost
		t.Fatal(err)
	}
	s = dsStart(t, dir, cfg, addr)
	newAccess, _ := s.login("09122222222") // user 1, session 1 again
	if st, body := s.do("GET", "/api/sessions/", newAccess, "", ""); st != 200 {
		t.Fatalf("sessions of the new user: %d %s", st, body)
	}
	if st, body := s.do("GET", "/api/sessions/", oldAccess, "", ""); st != 401 {
		t.Fatalf("access token from before the loss: %d %s, want 401", st, body)
	}
	if st, body := s.do("POST", "/api/token/refresh/", "", "application/json", `{"refresh":"`+oldRefresh+`"}`); st != 401 {
		t.Fatalf("refresh token from before the loss: %d %s, want 401", st, body)
	}
	s.stop()
}

// TestBackupRestoreKeepsSessions: an online backup (over the admin socket),
// restored into a new data folder with no key files and no key in the
// config, keeps every session: old access tokens list sessions, old refresh
// tokens refresh. The backup is 0600 and `verify --in` accepts it; a
// backup without keys is refused unless --allow-new-keys.
func TestBackupRestoreKeepsSessions(t *testing.T) {
	dir := t.TempDir()
	cfg, addr := dsConfig(t, dir, "c.yaml", "./data", "")
	s := dsStart(t, dir, cfg, addr)
	type session struct{ access, refresh string }
	var sessions []session
	for _, m := range []string{"09121230001", "09121230002", "09121230003"} {
		a, r := s.login(m)
		sessions = append(sessions, session{a, r})
	}
	bak := filepath.Join(dir, "b.bak")
	code, out, errs := chelseru(t, dir, "backup", "--config", cfg, "--out", bak)
	if code != 0 || !strings.Contains(out, "running server") || !strings.Contains(out, "jwt-signing-key") || !strings.Contains(out, "otp-key") {
		t.Fatalf("online backup: exit %d %q %q", code, out, errs)
	}
	if fi, err := os.Stat(bak); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v, mode %v; want 0600", err, fi.Mode())
	}
	code, out, errs = chelseru(t, dir, "verify", "--in", bak)
	if code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("verify --in: exit %d %q %q", code, out, errs)
	}
	code, out, errs = chelseru(t, dir, "verify", "--config", cfg)
	if code != 0 || !strings.Contains(out, "running server") {
		t.Fatalf("verify of a served folder: exit %d %q %q", code, out, errs)
	}
	s.stop()

	cfg2, addr2 := dsConfig(t, dir, "c2.yaml", "./data2", "")
	code, out, errs = chelseru(t, dir, "restore", "--config", cfg2, "--in", bak)
	if code != 0 {
		t.Fatalf("restore: exit %d %q %q", code, out, errs)
	}
	s = dsStart(t, dir, cfg2, addr2)
	for i, se := range sessions {
		if st, body := s.do("GET", "/api/sessions/", se.access, "", ""); st != 200 {
			t.Fatalf("session %d after restore: %d %s", i, st, body)
		}
		if st, body := s.do("POST", "/api/token/refresh/", "", "application/json", `{"refresh":"`+se.refresh+`"}`); st != 200 {
			t.Fatalf("refresh %d after restore: %d %s", i, st, body)
		}
	}
	s.stop()

	// A damaged backup is refused by verify and restore alike (exit 3).
	b, _ := os.ReadFile(bak)
	b[len(b)/2] ^= 0xff
	bad := writeFile(t, dir, "bad.bak", string(b))
	for _, args := range [][]string{{"verify", "--in", bad}, {"restore", "--config", writeFile(t, dir, "c4.yaml", "SERVER:\n  DATA_DIR: ./data4\n"), "--in", bad}} {
		code, _, errs = chelseru(t, dir, args...)
		if code != exitDamaged {
			t.Fatalf("%v: exit %d, want %d (%q)", args, code, exitDamaged, errs)
		}
		oneLine(t, errs)
	}

	// A backup without keys (written by storage alone) is refused.
	nokeys := filepath.Join(dir, "nokeys.bak")
	db, err := storage.Open(filepath.Join(dir, "data", dbDirName), storage.Options{Logger: slog.New(slog.DiscardHandler), GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(nokeys)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Backup(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	db.Close()
	cfg3 := writeFile(t, dir, "c3.yaml", "SERVER:\n  DATA_DIR: ./data3\n")
	code, _, errs = chelseru(t, dir, "restore", "--config", cfg3, "--in", nokeys)
	if code != exitFailure || !strings.Contains(errs, "no JWT signing key") {
		t.Fatalf("restore without keys: exit %d %q, want 1 naming the missing key", code, errs)
	}
	oneLine(t, errs)
	code, _, errs = chelseru(t, dir, "restore", "--config", cfg3, "--in", nokeys, "--allow-new-keys")
	if code != 0 {
		t.Fatalf("restore --allow-new-keys: exit %d %q", code, errs)
	}
}

// TestFullDiskIsAnError runs the server on a small tmpfs, fills it to the
// last block, and checks that writes answer 503 with a clear body while
// reads with an existing token still work, /readyz says 503, the process
// stays up, and all recovers once the filler is deleted; stopped on a full
// disk it exits cleanly, refuses to start until there is room (exit 1, one
// line), then starts with nothing lost.
func TestFullDiskIsAnError(t *testing.T) {
	dir := t.TempDir()
	mnt := filepath.Join(dir, "mnt")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=160m,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs for the full-disk test (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(mnt, syscall.MNT_DETACH) })
	cfg, addr := dsConfig(t, dir, "c.yaml", filepath.Join(mnt, "data"),
		"STORAGE:\n  MIN_FREE_BYTES: 67108864\nJWT:\n  SIGNING_KEY: "+dsSigningKey+"\n")
	s := dsStart(t, dir, cfg, addr)
	access, _ := s.login("09123334444")

	// Fill the file system completely.
	filler := filepath.Join(mnt, "filler")
	dsFillDisk(t, filler)

	// The guard measures at most once a second: wait for it to notice.
	waitStatus(t, s, "/readyz", 503)
	s.alive()
	st, body := s.do("POST", "/api/otp/send/", "", "application/json", `{"mobile_number":"09125556666"}`)
	if st != 503 || !strings.Contains(body, storage.MsgFull) {
		t.Fatalf("otp/send on a full disk: %d %s, want 503 %q", st, body, storage.MsgFull)
	}
	if st, body := s.do("GET", "/api/sessions/", access, "", ""); st != 200 {
		t.Fatalf("sessions on a full disk: %d %s, want 200", st, body)
	}
	s.alive()

	// Space comes back: the running server recovers by itself.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, s, "/readyz", 200)
	access2, _ := s.login("09125556666")
	s.alive()

	// Full again, then stopped: it exits 0 (leaving Badger's flush, which
	// would SIGBUS, to the next start) and refuses to start while the disk
	// is full, with one line and exit 1, never a crash.
	dsFillDisk(t, filler)
	waitStatus(t, s, "/readyz", 503)
	s.stop()
	code, _, errs := chelseru(t, dir, "serve", "--config", cfg)
	if code != exitFailure || strings.Contains(errs, "goroutine ") || !strings.Contains(lastLine(errs), "STORAGE.MIN_FREE_BYTES") {
		t.Fatalf("serve on a full disk: exit %d, want 1 and one line naming STORAGE.MIN_FREE_BYTES:\n%s", code, errs)
	}
	oneLine(t, lastLine(errs))

	// Once space is freed it starts, and nothing acknowledged was lost.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	s = dsStart(t, dir, cfg, addr)
	for _, a := range []string{access, access2} {
		if st, body := s.do("GET", "/api/sessions/", a, "", ""); st != 200 {
			t.Fatalf("session after the full-disk restart: %d %s", st, body)
		}
	}
	s.stop()
}

// dsFillDisk writes path until the file system is full to the last block.
func dsFillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	for { // and the last partial megabyte
		if _, err := f.Write(chunk[:4096]); err != nil {
			break
		}
	}
}

// waitStatus polls GET path until it answers want (bounded: 15 s).
func waitStatus(t *testing.T, s *dsServer, path string, want int) {
	t.Helper()
	for i := 0; i < 150; i++ {
		s.alive()
		if st, _ := s.do("GET", path, "", "", ""); st == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s never answered %d; log:\n%s", path, want, s.logs.String())
}

// TestSigningKeyRotation: after JWT.SIGNING_KEY changes with the old key in
// JWT.PREVIOUS_SIGNING_KEYS, tokens issued before keep working and refresh
// into tokens under the new key; with the old key dropped they are refused.
func TestSigningKeyRotation(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	oldKey, newKey := dsSigningKey, "rotated-signing-key-"+strings.Repeat("z", 32)
	cfg, addr := dsConfig(t, dir, "c1.yaml", data, "JWT:\n  SIGNING_KEY: "+oldKey+"\n")
	s := dsStart(t, dir, cfg, addr)
	access, refresh := s.login("09127770001")
	s.stop()

	cfg, addr = dsConfig(t, dir, "c2.yaml", data, "JWT:\n  SIGNING_KEY: "+newKey+"\n  PREVIOUS_SIGNING_KEYS: ["+oldKey+"]\n")
	s = dsStart(t, dir, cfg, addr)
	if st, body := s.do("GET", "/api/sessions/", access, "", ""); st != 200 {
		t.Fatalf("old access token during the grace period: %d %s", st, body)
	}
	st, body := s.do("POST", "/api/token/refresh/", "", "application/json", `{"refresh":"`+refresh+`"}`)
	if st != 200 {
		t.Fatalf("old refresh token during the grace period: %d %s", st, body)
	}
	var tok struct{ Access string }
	if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.Access == "" {
		t.Fatalf("refresh body %s", body)
	}
	s.stop()

	cfg, addr = dsConfig(t, dir, "c3.yaml", data, "JWT:\n  SIGNING_KEY: "+newKey+"\n")
	s = dsStart(t, dir, cfg, addr)
	if st, body := s.do("GET", "/api/sessions/", access, "", ""); st != 401 {
		t.Fatalf("old access token after the old key was dropped: %d %s, want 401", st, body)
	}
	if st, body := s.do("GET", "/api/sessions/", tok.Access, "", ""); st != 200 {
		t.Fatalf("token refreshed under the new key: %d %s", st, body)
	}
	s.stop()
}

// TestVerifyUsage: verify wants exactly one of --config, --data-dir, --in.
func TestVerifyUsage(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"verify"}, {"verify", "--data-dir", dir, "--in", "x"}, {"verify", "--nope"}} {
		code, _, errs := chelseru(t, dir, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%q)", args, code, exitUsage, errs)
		}
	}
	code, _, errs := chelseru(t, dir, "verify", "--in", filepath.Join(dir, "missing.bak"))
	if code != exitFailure {
		t.Fatalf("verify of a missing backup: exit %d, want 1 (%q)", code, errs)
	}
	oneLine(t, errs)
	notBackup := writeFile(t, dir, "x.bak", "hello")
	code, _, errs = chelseru(t, dir, "verify", "--in", notBackup)
	if code != exitDamaged {
		t.Fatalf("verify of a text file: exit %d, want %d (%q)", code, exitDamaged, errs)
	}
	oneLine(t, errs)
}

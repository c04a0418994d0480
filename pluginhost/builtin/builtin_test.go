package builtin

import (
	"bytes"
	"compress/gzip"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// TestFSInflates: every built-in is served as NAME.wasm, a wasm module,
// the same through Open and ReadFile (skipped before `make plugins`).
func TestFSInflates(t *testing.T) {
	fsys := FS()
	for _, n := range Names() {
		name := strings.ToLower(n) + ".wasm"
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			t.Skipf("%s: %v (run make plugins)", name, err)
		}
		if !bytes.HasPrefix(b, []byte("\x00asm")) {
			t.Errorf("%s: not a wasm module", name)
		}
		f, err := fsys.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.Stat()
		if err != nil || st.Name() != name || st.Size() != int64(len(b)) || st.IsDir() {
			t.Errorf("%s: stat %v %v", name, st, err)
		}
		again, err := io.ReadAll(f)
		f.Close()
		if err != nil || !bytes.Equal(again, b) {
			t.Errorf("%s: Open and ReadFile differ (%v)", name, err)
		}
	}
}

// TestGzFS: a compressed module is preferred to a plain one, a plain one
// is served alone, a damaged or oversized one is an error, other names
// pass through.
func TestGzFS(t *testing.T) {
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	g := gzFS{fstest.MapFS{
		"a.wasm.gz":   {Data: gz([]byte("\x00asm-a"))},
		"a.wasm":      {Data: []byte("stale")},
		"b.wasm":      {Data: []byte("\x00asm-b")},
		"bad.wasm.gz": {Data: []byte("not gzip")},
		"big.wasm.gz": {Data: gz(make([]byte, maxModuleBytes+1))},
		"README.md":   {Data: []byte("hi")},
	}}
	for name, want := range map[string]string{"a.wasm": "\x00asm-a", "b.wasm": "\x00asm-b", "README.md": "hi"} {
		if b, err := fs.ReadFile(g, name); err != nil || string(b) != want {
			t.Errorf("%s: %q %v", name, b, err)
		}
	}
	for _, name := range []string{"bad.wasm", "big.wasm", "none.wasm", "../x.wasm"} {
		if _, err := g.Open(name); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

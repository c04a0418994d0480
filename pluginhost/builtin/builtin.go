// Package builtin embeds the built-in SMS provider plugins (CONSOLE,
// KAVENEGAR_COM, MELI_PAYAMAK_COM, PARSIAN_WEBCO_IR, SMS_IR, GHASEDAK_ME,
// WEBHOOK) into the binary.
//
// The modules are not committed: `make plugins` builds them from plugins/ and
// stores them gzip-compressed in pluginhost/builtin/wasm/ as
// <lower-case service>.wasm.gz (a plain <service>.wasm there is read too). A
// binary built without them still starts; pluginhost.Open then says which
// built-in is missing.
//
// Compressed, the seven modules take ~6 MB of the binary instead of ~20 MB,
// and loading one touches ~0.8 MB of the binary's pages instead of ~2.8 MB,
// which would otherwise stay resident for the life of the process; the
// module is inflated on the heap, read once at start and then freed.
package builtin

import (
	"bytes"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
)

//go:embed wasm
var files embed.FS

// maxModuleBytes bounds an inflated module (pluginhost's MaxModuleBytes is
// the limit a module is then checked against).
const maxModuleBytes = 64 << 20

// Names returns the built-in services, in the order they are listed to users,
// in a new slice the caller may change.
func Names() []string { return append([]string(nil), names...) }

var names = []string{"CONSOLE", "KAVENEGAR_COM", "MELI_PAYAMAK_COM", "PARSIAN_WEBCO_IR", "SMS_IR", "GHASEDAK_ME", "WEBHOOK"}

// FS returns the embedded modules as <lower-case service>.wasm at its root,
// inflated when they are stored compressed.
func FS() fs.FS {
	sub, err := fs.Sub(files, "wasm")
	if err != nil { // cannot happen: "wasm" is a valid path embedded above
		panic(err)
	}
	return gzFS{sub}
}

// gzFS serves NAME.wasm from NAME.wasm.gz (inflated into memory) when that
// exists, else from NAME.wasm; other names as they are.
type gzFS struct{ fsys fs.FS }

// Open implements fs.FS.
func (g gzFS) Open(name string) (fs.File, error) {
	if !strings.HasSuffix(name, ".wasm") || !fs.ValidPath(name) {
		return g.fsys.Open(name)
	}
	b, err := g.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &memFile{name: path.Base(name), r: bytes.NewReader(b), size: int64(len(b))}, nil
}

// ReadFile implements fs.ReadFileFS.
func (g gzFS) ReadFile(name string) ([]byte, error) {
	if !strings.HasSuffix(name, ".wasm") {
		return fs.ReadFile(g.fsys, name)
	}
	z, err := fs.ReadFile(g.fsys, name+".gz")
	if errors.Is(err, fs.ErrNotExist) {
		return fs.ReadFile(g.fsys, name)
	}
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("inflate: %w", err)}
	}
	// The gzip trailer's last 4 bytes give the inflated size: one
	// allocation of it instead of doubling and copying.
	size := 0
	if len(z) >= 4 {
		size = int(binary.LittleEndian.Uint32(z[len(z)-4:]))
	}
	buf := bytes.NewBuffer(make([]byte, 0, min(size, maxModuleBytes)+1))
	_, err = buf.ReadFrom(io.LimitReader(zr, maxModuleBytes+1))
	b := buf.Bytes()
	if err == nil && len(b) > maxModuleBytes {
		err = fmt.Errorf("inflates to more than %d bytes", maxModuleBytes)
	}
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("inflate: %w", err)}
	}
	return b, nil
}

// memFile is an inflated module opened through gzFS.
type memFile struct {
	name string
	r    *bytes.Reader
	size int64
}

func (f *memFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *memFile) Close() error               { return nil }
func (f *memFile) Stat() (fs.FileInfo, error) { return memInfo{f.name, f.size}, nil }

// memInfo describes a memFile.
type memInfo struct {
	name string
	size int64
}

func (i memInfo) Name() string       { return i.name }
func (i memInfo) Size() int64        { return i.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }

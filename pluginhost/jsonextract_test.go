package pluginhost

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// TestJSONExtractHost: the host function over a real wasm memory finds the
// values, and refuses out-of-bounds arguments, a malformed paths encoding,
// a wrong out length and invalid JSON with 1, writing nothing.
func TestJSONExtractHost(t *testing.T) {
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	// (module (memory 1))
	mod, err := rt.Instantiate(ctx, []byte{0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01})
	if err != nil {
		t.Fatal(err)
	}
	mem := mod.Memory()
	e := newEngines(nil, 0, discardLogger)

	doc := []byte(`{"return":{"status":200},"entries":[{"messageid":42}]}`)
	paths := [][]string{{"return", "status"}, {"entries", "0", "messageid"}, {"nope"}}
	enc, _ := jsonlite.AppendPaths(nil, paths)
	const docAt, pathsAt, outAt = 0, 1024, 2048
	mem.Write(docAt, doc)
	mem.Write(pathsAt, enc)
	n := uint32(2 * (len(paths) + 1))

	read := func() []uint32 {
		b, _ := mem.Read(outAt, 4*n)
		out := make([]uint32, n)
		for i := range out {
			out[i] = binary.LittleEndian.Uint32(b[4*i:])
		}
		return out
	}
	if r := e.jsonExtract(mem, docAt, uint32(len(doc)), pathsAt, uint32(len(enc)), outAt, n); r != 0 {
		t.Fatalf("json_extract = %d", r)
	}
	out := read()
	val := func(i int) string { return string(doc[out[2*i] : out[2*i]+out[2*i+1]]) }
	if val(0) != string(doc) || val(1) != "200" || val(2) != "42" || out[7] != 0 {
		t.Fatalf("offsets %v: root %q, status %q, id %q", out, val(0), val(1), val(2))
	}
	if r := e.jsonExtract(mem, docAt, uint32(len(doc)), pathsAt, uint32(len(enc)), outAt, n); r != 0 {
		t.Fatalf("json_extract from the paths cache = %d", r)
	}

	mem.Write(outAt, make([]byte, 4*n))
	pageEnd := uint32(65536)
	refused := []struct {
		name                                      string
		doc, docLen, paths, pathsLen, out, outLen uint32
	}{
		{"document past memory", pageEnd - 4, 8, pathsAt, uint32(len(enc)), outAt, n},
		{"paths past memory", docAt, uint32(len(doc)), pageEnd - 1, uint32(len(enc)), outAt, n},
		{"out past memory", docAt, uint32(len(doc)), pathsAt, uint32(len(enc)), pageEnd - 8, n},
		{"wrong out length", docAt, uint32(len(doc)), pathsAt, uint32(len(enc)), outAt, n - 2},
		{"huge out length", docAt, uint32(len(doc)), pathsAt, uint32(len(enc)), outAt, 1 << 30},
		{"malformed paths", docAt, uint32(len(doc)), pathsAt, uint32(len(enc)) - 1, outAt, n},
		{"invalid JSON", docAt, uint32(len(doc)) - 1, pathsAt, uint32(len(enc)), outAt, n},
		{"empty document", docAt, 0, pathsAt, uint32(len(enc)), outAt, n},
	}
	for _, tt := range refused {
		if r := e.jsonExtract(mem, tt.doc, tt.docLen, tt.paths, tt.pathsLen, tt.out, tt.outLen); r != 1 {
			t.Errorf("%s: json_extract = %d, want 1", tt.name, r)
		}
		for i, v := range read() {
			if v != 0 {
				t.Fatalf("%s: out[%d] = %d written", tt.name, i, v)
			}
		}
	}
}

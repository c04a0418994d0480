package pluginhost

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"

	"github.com/tetratelabs/wazero/api"

	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// The host function json_extract (docs/plugin-abi.md § 6): jsonlite.Extract
// run natively over a document in the guest's memory, for the SDK's
// jsonlite in a wasm guest, where the same pass costs ten times as much.
// The guest passes the paths encoded by jsonlite.AppendPaths and an array
// of (offset, length) uint32 pairs to fill (jsonlite.ExtractOffsets). It
// returns 0, or 1 when the document is not valid JSON or an argument is
// out of bounds (the guest then runs the pass itself, for the exact error).
// The work is linear in the document, which lies in the guest's capped
// memory.

// Bounds of the decoded-paths cache: plugins pass the same few path sets on
// every call.
const (
	maxCachedPathSets = 256
	maxCachedPathLen  = 4 << 10
)

// pathCache maps encoded paths to decoded ones.
type pathCache struct {
	m sync.Map // string → [][]string
	n atomic.Int32
}

func (c *pathCache) get(enc []byte) ([][]string, error) {
	if v, ok := c.m.Load(string(enc)); ok { // no allocation: the compiler reuses enc
		return v.([][]string), nil
	}
	paths, err := jsonlite.DecodePaths(enc)
	if err != nil {
		return nil, err
	}
	if len(enc) <= maxCachedPathLen && c.n.Load() < maxCachedPathSets {
		if _, loaded := c.m.LoadOrStore(string(enc), paths); !loaded {
			c.n.Add(1)
		}
	}
	return paths, nil
}

// hostJSONExtract implements chelseru.json_extract(doc, doc_len, paths,
// paths_len, out, out_len) -> i32; out_len counts uint32 entries.
func (e *engines) hostJSONExtract(ctx context.Context, mod api.Module, stack []uint64) {
	enforceDeadline(ctx, instanceOf(mod))
	stack[0] = e.jsonExtract(mod.Memory(), uint32(stack[0]), uint32(stack[1]), uint32(stack[2]),
		uint32(stack[3]), uint32(stack[4]), uint32(stack[5]))
}

func (e *engines) jsonExtract(mem api.Memory, docPtr, docLen, pathsPtr, pathsLen, outPtr, outLen uint32) uint64 {
	const refused = 1
	if outLen > 2*(jsonlite.MaxPaths+1) {
		return refused
	}
	doc, ok := mem.Read(docPtr, docLen)
	if !ok {
		return refused
	}
	enc, ok := mem.Read(pathsPtr, pathsLen)
	if !ok {
		return refused
	}
	paths, err := e.paths.get(enc)
	if err != nil || int(outLen) != 2*(len(paths)+1) {
		return refused
	}
	dst, ok := mem.Read(outPtr, 4*outLen)
	if !ok {
		return refused
	}
	var out [2 * (jsonlite.MaxPaths + 1)]uint32
	if jsonlite.ExtractOffsets(doc, paths, out[:outLen]) != nil {
		return refused
	}
	for i, v := range out[:outLen] {
		binary.LittleEndian.PutUint32(dst[4*i:], v)
	}
	return 0
}

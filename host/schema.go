package host

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/valyala/fasthttp"
	"go.yaml.in/yaml/v3"

	"github.com/chelseru/chelseru"
	"github.com/chelseru/chelseru/auth"
	"github.com/chelseru/chelseru/sdk/jsonlite"
)

// openAPIYAML is the OpenAPI 3.1 description of the API, written by hand next
// to the code it describes. The tests keep it in step with the router and
// with the bodies the handlers really write.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// Media types of the two representations of the document.
const (
	mediaOpenAPIJSON = "application/json"
	mediaOpenAPIYAML = "application/yaml"
	// schemaCacheControl lets clients keep the document but makes them
	// revalidate it (cheaply, with If-None-Match), so an upgraded server is
	// seen at once.
	schemaCacheControl = "no-cache"
	// maxSchemaDepth bounds the nesting the YAML-to-JSON conversion walks.
	maxSchemaDepth = 64
)

// representation is one encoding of the document, ready to serve.
type representation struct {
	body  []byte
	etag  string
	ctype string
}

// schemaDoc holds both representations of one variant of the document; they
// are built once and never modified, so every request shares them.
type schemaDoc struct {
	json, yaml representation
}

// methodMarker is the extension key that confines a part of the document to
// one authentication method (auth.MethodOTP or auth.MethodPasswd).
const methodMarker = "x-auth-method"

// schemaMethods are the methods of the variants of the document: index 0
// serves a server without passwords, 1 one with (Server.passwd).
var schemaMethods = [2]auth.Method{auth.MethodOTP, auth.MethodPasswd}

// loadSchemas builds both variants on first use.
var loadSchemas = sync.OnceValues(func() ([2]*schemaDoc, error) {
	var out [2]*schemaDoc
	for i, m := range schemaMethods {
		d, err := buildSchema(openAPIYAML, m)
		if err != nil {
			return out, fmt.Errorf("openapi.yaml for %s: %w", m, err)
		}
		out[i] = d
	}
	return out, nil
})

// buildSchema makes the variant of the YAML document in for method: parts
// marked for another method are dropped, the markers removed, and the result
// encoded as JSON and YAML.
func buildSchema(in []byte, method auth.Method) (*schemaDoc, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(in, &root); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return nil, errors.New("not exactly one YAML document")
	}
	if err := filterMethod(root.Content[0], string(method), 0); err != nil {
		return nil, err
	}
	j, err := appendNodeJSON(make([]byte, 0, 2*len(in)), root.Content[0], 0)
	if err != nil {
		return nil, err
	}
	// The file's head comment is for its maintainers, not for clients.
	root.HeadComment, root.Content[0].HeadComment = "", ""
	if top := root.Content[0]; len(top.Content) > 0 {
		top.Content[0].HeadComment = ""
	}
	var y bytes.Buffer
	enc := yaml.NewEncoder(&y)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode YAML: %w", err)
	}
	return &schemaDoc{
		json: newRepresentation(j, mediaOpenAPIJSON),
		yaml: newRepresentation(y.Bytes(), mediaOpenAPIYAML),
	}, nil
}

// filterMethod removes from n every mapping value and sequence item that is a
// mapping marked with another method, and the markers of those kept.
func filterMethod(n *yaml.Node, method string, depth int) error {
	if depth > maxSchemaDepth {
		return fmt.Errorf("line %d: nested deeper than %d", n.Line, maxSchemaDepth)
	}
	switch n.Kind {
	case yaml.MappingNode:
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == methodMarker && k.Kind == yaml.ScalarNode {
				continue
			}
			ok, err := forMethod(v, method)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := filterMethod(v, method, depth+1); err != nil {
				return err
			}
			kept = append(kept, k, v)
		}
		n.Content = kept
	case yaml.SequenceNode:
		kept := n.Content[:0]
		for _, v := range n.Content {
			ok, err := forMethod(v, method)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := filterMethod(v, method, depth+1); err != nil {
				return err
			}
			kept = append(kept, v)
		}
		n.Content = kept
	}
	return nil
}

// forMethod reports whether n belongs in the variant for method: it is not a
// mapping, or carries no marker, or its marker names method.
func forMethod(n *yaml.Node, method string) (bool, error) {
	if n.Kind != yaml.MappingNode {
		return true, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == methodMarker {
			v := n.Content[i+1].Value
			if v != string(auth.MethodOTP) && v != string(auth.MethodPasswd) {
				return false, fmt.Errorf("line %d: %s %q is not %s or %s", k.Line, methodMarker, v, auth.MethodOTP, auth.MethodPasswd)
			}
			return v == method, nil
		}
	}
	return true, nil
}

// OpenAPI returns the OpenAPI 3.1 description of the API as this server
// serves it (the variant of its authentication method), as JSON: the body of
// GET /api/schema/. The returned slice is shared: do not modify it.
func (s *Server) OpenAPI() ([]byte, error) {
	d, err := s.schema()
	if err != nil {
		return nil, err
	}
	return d.json.body, nil
}

// schema is the server's variant of the document.
func (s *Server) schema() (*schemaDoc, error) {
	docs, err := loadSchemas()
	if err != nil {
		return nil, err
	}
	if s.passwd {
		return docs[1], nil
	}
	return docs[0], nil
}

func newRepresentation(body []byte, ctype string) representation {
	sum := sha256.Sum256(body)
	return representation{body: body, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, ctype: ctype}
}

// handleSchema serves GET /api/schema/: the document as JSON, or as YAML with
// ?format=yaml; an unknown format is a 404, as DRF answers one. The answer
// carries a strong ETag, and a matching If-None-Match gets a 304.
func (s *Server) handleSchema(ctx *fasthttp.RequestCtx, rs *reqState) {
	doc, err := s.schema()
	if err != nil {
		s.writeError(ctx, rs, chelseru.Internal(err))
		return
	}
	var rep *representation
	switch string(ctx.QueryArgs().Peek("format")) {
	case "", "json":
		rep = &doc.json
	case "yaml":
		rep = &doc.yaml
	default:
		s.writeDetail(ctx, rs, fasthttp.StatusNotFound, "Not found.")
		return
	}
	h := &ctx.Response.Header
	h.Set(fasthttp.HeaderETag, rep.etag)
	h.Set(fasthttp.HeaderCacheControl, schemaCacheControl)
	if etagMatches(ctx.Request.Header.Peek(fasthttp.HeaderIfNoneMatch), rep.etag) {
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		rs.status = fasthttp.StatusNotModified
		return
	}
	// Not writeJSON: it would keep the shared body as the request's
	// scratch buffer.
	ctx.SetStatusCode(fasthttp.StatusOK)
	h.SetContentType(rep.ctype)
	ctx.Response.SetBodyRaw(rep.body)
	rs.status = fasthttp.StatusOK
}

// etagMatches applies If-None-Match's weak comparison (RFC 9110, 13.1.2):
// "*" or any listed tag equal to etag, ignoring W/ prefixes.
func etagMatches(header []byte, etag string) bool {
	for len(header) > 0 {
		var tag []byte
		if i := bytes.IndexByte(header, ','); i >= 0 {
			tag, header = header[:i], header[i+1:]
		} else {
			tag, header = header, nil
		}
		tag = bytes.TrimSpace(tag)
		if string(tag) == "*" {
			return true
		}
		tag = bytes.TrimPrefix(tag, []byte("W/"))
		if string(tag) == etag {
			return true
		}
	}
	return false
}

// appendNodeJSON appends n as compact JSON, keeping the order of mapping keys
// (which decoding into Go maps would lose). Only the JSON subset of YAML is
// accepted: no aliases, merge keys or non-scalar keys.
func appendNodeJSON(b []byte, n *yaml.Node, depth int) ([]byte, error) {
	if depth > maxSchemaDepth {
		return nil, fmt.Errorf("line %d: nested deeper than %d", n.Line, maxSchemaDepth)
	}
	var err error
	switch n.Kind {
	case yaml.MappingNode:
		b = append(b, '{')
		seen := make(map[string]bool, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" {
				return nil, fmt.Errorf("line %d: keys must be scalars", k.Line)
			}
			if seen[k.Value] {
				return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
			}
			seen[k.Value] = true
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonlite.AppendString(b, k.Value)
			b = append(b, ':')
			if b, err = appendNodeJSON(b, v, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case yaml.SequenceNode:
		b = append(b, '[')
		for i, v := range n.Content {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendNodeJSON(b, v, depth+1); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	case yaml.ScalarNode:
		return appendScalarJSON(b, n)
	default:
		return nil, fmt.Errorf("line %d: aliases and anchors are not supported", n.Line)
	}
}

// appendScalarJSON writes a YAML scalar by its resolved tag.
func appendScalarJSON(b []byte, n *yaml.Node) ([]byte, error) {
	switch n.ShortTag() {
	case "!!str":
		return jsonlite.AppendString(b, n.Value), nil
	case "!!null":
		return append(b, "null"...), nil
	case "!!bool":
		var v bool
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return strconv.AppendBool(b, v), nil
	case "!!int":
		var v int64
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return strconv.AppendInt(b, v, 10), nil
	case "!!float":
		var v float64
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		j, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return append(b, j...), nil
	default:
		return nil, fmt.Errorf("line %d: unsupported tag %s", n.Line, n.ShortTag())
	}
}

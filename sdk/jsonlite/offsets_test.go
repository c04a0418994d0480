package jsonlite

import (
	"slices"
	"testing"
)

func TestPathsRoundTrip(t *testing.T) {
	paths := [][]string{{"return", "status"}, {}, {"entries", "0", "messageid"}, {"کلید", ""}}
	enc, err := AppendPaths(nil, paths)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodePaths(enc)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(paths) {
		t.Fatalf("decoded %q", got)
	}
	for i := range paths {
		if !slices.Equal(got[i], paths[i]) {
			t.Fatalf("path %d: %q, want %q", i, got[i], paths[i])
		}
	}
	for _, bad := range [][]byte{nil, {65}, {1}, {1, 1}, {1, 1, 5, 0, 'a'}, append(enc, 0)} {
		if _, err := DecodePaths(bad); err == nil {
			t.Errorf("DecodePaths(% X) accepted", bad)
		}
	}
	if _, err := AppendPaths(nil, make([][]string, MaxPaths+1)); err == nil {
		t.Error("more than MaxPaths paths encoded")
	}
}

// TestExtractOffsets: the offsets point at exactly the values Extract finds.
func TestExtractOffsets(t *testing.T) {
	paths := [][]string{{"return", "status"}, {"return", "message"}, {"entries", "0", "messageid"}, {"missing"}, {}}
	docs := []string{
		` {"return":{"status":200,"message":"تایید شد"},"entries":[{"messageid":8792343}]} `,
		`{"return":{"status":418}}`,
		`[1,2]`,
		`{"a":`,
		``,
	}
	for _, doc := range docs {
		found := make([]Value, len(paths))
		root, err := Extract([]byte(doc), paths, found)
		out := make([]uint32, 2*(len(paths)+1))
		oerr := ExtractOffsets([]byte(doc), paths, out)
		if (err == nil) != (oerr == nil) {
			t.Fatalf("%q: Extract %v, ExtractOffsets %v", doc, err, oerr)
		}
		if err != nil {
			if slices.ContainsFunc(out, func(v uint32) bool { return v != 0 }) {
				t.Errorf("%q: offsets %v after an error", doc, out)
			}
			continue
		}
		at := func(i int) string { return doc[out[2*i] : out[2*i]+out[2*i+1]] }
		if at(0) != string(root.Raw()) {
			t.Errorf("%q: root %q, want %q", doc, at(0), root.Raw())
		}
		for k := range paths {
			if at(k+1) != string(found[k].Raw()) {
				t.Errorf("%q: path %q: %q, want %q", doc, paths[k], at(k+1), found[k].Raw())
			}
		}
	}
	if ExtractOffsets([]byte(`{}`), paths, make([]uint32, 3)) == nil {
		t.Error("a short out was accepted")
	}
}

func FuzzDecodePaths(f *testing.F) {
	enc, _ := AppendPaths(nil, [][]string{{"a", "0"}, {}})
	f.Add(enc)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		paths, err := DecodePaths(b)
		if err != nil {
			return
		}
		again, err := AppendPaths(nil, paths)
		if err != nil || string(again) != string(b) {
			t.Fatalf("re-encoding %q gave % X, %v; want % X", paths, again, err, b)
		}
	})
}

// TestStringIn: the same text as String, shared with doc when it can be.
func TestStringIn(t *testing.T) {
	doc := `{"id":8792343,"s":"plain","e":"a\"b","u":"کد","n":null,"t":true}`
	paths := [][]string{{"id"}, {"s"}, {"e"}, {"u"}, {"n"}, {"t"}, {"missing"}}
	found := make([]Value, len(paths))
	if _, err := ExtractString(doc, paths, found); err != nil {
		t.Fatal(err)
	}
	for i, v := range found {
		if got, want := StringIn(doc, v), v.String(); got != want {
			t.Errorf("path %q: StringIn %q, String %q", paths[i], got, want)
		}
	}
	other := `{"id":1}`
	if got := StringIn(other, found[1]); got != "plain" {
		t.Errorf("a value from another document: %q", got)
	}
}

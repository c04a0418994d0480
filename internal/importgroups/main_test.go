package main

import (
	"go/parser"
	"go/token"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // substrings of the problems, in order
	}{
		{"std then other", "import (\n\t\"fmt\"\n\t\"os\"\n\n\t\"example.com/a\"\n\n\t\"example.com/b\"\n)", nil},
		{"std only", "import \"fmt\"", nil},
		{"other mixed into std", "import (\n\t\"fmt\"\n\t\"example.com/a\"\n\t\"os\"\n)", []string{`"example.com/a" shares a group`}},
		{"std group after other", "import (\n\t\"example.com/a\"\n\n\t\"fmt\"\n)", []string{`"fmt" after other imports`}},
		{"std decl after other decl", "import \"example.com/a\"\nimport \"fmt\"", []string{`"fmt" after other imports`}},
		{"comment keeps group", "import (\n\t\"fmt\"\n\t// why\n\t\"os\"\n)", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "x.go", "package x\n\n"+tc.src+"\n", parser.ImportsOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			got := check(fset, f)
			if len(got) != len(tc.want) {
				t.Fatalf("got %q, want %d problems", got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}

// Command importgroups checks the project's import layout: the standard
// library's imports come first, in their own group, and every other import
// (the project's and third-party) comes after a blank line. gofmt sorts within
// a group but does not separate groups, so this check catches what it misses.
//
// Usage: go run ./internal/importgroups DIR... (exit status 1 and one line per
// offending file when an import is out of place; generated files are skipped).
package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: importgroups DIR...")
		os.Exit(2)
	}
	bad := 0
	for _, root := range os.Args[1:] {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "vendor") {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".go") {
				return nil
			}
			problems, err := checkFile(path)
			if err != nil {
				return err
			}
			for _, p := range problems {
				fmt.Println(p)
				bad++
			}
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "importgroups:", err)
			os.Exit(2)
		}
	}
	if bad > 0 {
		fmt.Fprintln(os.Stderr, "importgroups: standard library imports go first, in their own group; other imports after a blank line")
		os.Exit(1)
	}
}

// checkFile returns one message per misplaced import in the file at path.
func checkFile(path string) ([]string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly|parser.ParseComments)
	if err != nil {
		return nil, err
	}
	if ast.IsGenerated(f) {
		return nil, nil
	}
	return check(fset, f), nil
}

// check applies the rule to a parsed file: imports split into groups at blank
// lines (and at each import declaration); no group may mix the standard
// library with other imports, and no standard library group may follow a
// group of other imports.
func check(fset *token.FileSet, f *ast.File) []string {
	var problems []string
	sawOther := false // a group of non-standard imports has been seen
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		prevLine := -1
		groupStd, groupStart := false, true
		for _, spec := range gd.Specs {
			is := spec.(*ast.ImportSpec)
			p, err := strconv.Unquote(is.Path.Value)
			if err != nil {
				continue
			}
			std := isStd(p)
			start := fset.Position(is.Pos()).Line
			if is.Doc != nil {
				start = fset.Position(is.Doc.Pos()).Line
			}
			if prevLine >= 0 && start > prevLine+1 {
				groupStart = true
			}
			pos := fset.Position(is.Pos())
			switch {
			case groupStart:
				if std && sawOther {
					problems = append(problems, fmt.Sprintf("%s: standard library import %q after other imports", pos, p))
				}
				groupStd, groupStart = std, false
			case std != groupStd:
				problems = append(problems, fmt.Sprintf("%s: import %q shares a group with %s imports; separate them with a blank line", pos, p, kind(groupStd)))
			}
			if !std {
				sawOther = true
			}
			prevLine = fset.Position(is.End()).Line
		}
	}
	return problems
}

// isStd reports whether an import path belongs to the standard library: its
// first element has no dot (as go/build and goimports decide).
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func kind(std bool) string {
	if std {
		return "standard library"
	}
	return "non-standard"
}

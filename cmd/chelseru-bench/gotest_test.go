package main

import (
	"bytes"
	"strings"
	"testing"
)

const sampleGotest = `goos: linux
goarch: amd64
pkg: github.com/chelseru/chelseru/token
cpu: AMD EPYC
BenchmarkIssue/HS256-2         	  130000	      8532 ns/op	    3201 B/op	      41 allocs/op
BenchmarkParse-2               	   80000	     13001.5 ns/op
PASS
ok  	github.com/chelseru/chelseru/token	3.201s
?   	github.com/chelseru/chelseru/sdk/abi	[no test files]
goos: linux
pkg: github.com/chelseru/chelseru/pluginhost
BenchmarkSend/KAVENEGAR_COM-1
    host_test.go:12: some log line
    1200	     41234 ns/op	        11.8 x-native	     512 B/op	       9 allocs/op
BenchmarkCompileCold-2   	       1	1301234567 ns/op
--- FAIL: BenchmarkBroken
    pluginhost_bench_test.go:99: boom
FAIL
FAIL	github.com/chelseru/chelseru/pluginhost	9.9s
ok  	github.com/chelseru/chelseru	0.012s [no tests to run]
`

func TestParseGotest(t *testing.T) {
	s, err := parseGotest(strings.NewReader(sampleGotest))
	if err != nil {
		t.Fatal(err)
	}
	want := []benchLine{
		{Pkg: "github.com/chelseru/chelseru/token", Name: "BenchmarkIssue/HS256-2", N: 130000, NsPerOp: 8532, BPerOp: 3201, Allocs: 41},
		{Pkg: "github.com/chelseru/chelseru/token", Name: "BenchmarkParse-2", N: 80000, NsPerOp: 13001.5, BPerOp: -1, Allocs: -1},
		{Pkg: "github.com/chelseru/chelseru/pluginhost", Name: "BenchmarkSend/KAVENEGAR_COM-1", N: 1200, NsPerOp: 41234, BPerOp: 512, Allocs: 9, Other: []string{"11.8 x-native"}},
		{Pkg: "github.com/chelseru/chelseru/pluginhost", Name: "BenchmarkCompileCold-2", N: 1, NsPerOp: 1301234567, BPerOp: -1, Allocs: -1},
	}
	if len(s.Benchmarks) != len(want) {
		t.Fatalf("got %d benchmarks %+v, want %d", len(s.Benchmarks), s.Benchmarks, len(want))
	}
	for i, w := range want {
		g := s.Benchmarks[i]
		if g.Pkg != w.Pkg || g.Name != w.Name || g.N != w.N || g.NsPerOp != w.NsPerOp || g.BPerOp != w.BPerOp || g.Allocs != w.Allocs ||
			strings.Join(g.Other, ";") != strings.Join(w.Other, ";") {
			t.Errorf("benchmark %d = %+v, want %+v", i, g, w)
		}
	}
	wantPkgs := []pkgStatus{
		{"github.com/chelseru/chelseru/token", "ok", 2},
		{"github.com/chelseru/chelseru/sdk/abi", "no test files", 0},
		{"github.com/chelseru/chelseru/pluginhost", "FAIL", 2},
		{"github.com/chelseru/chelseru", "ok [no tests to run]", 0},
	}
	if len(s.Packages) != len(wantPkgs) {
		t.Fatalf("packages = %+v", s.Packages)
	}
	for i, w := range wantPkgs {
		if s.Packages[i] != w {
			t.Errorf("package %d = %+v, want %+v", i, s.Packages[i], w)
		}
	}
	if len(s.Failures) != 1 || s.Failures[0] != "--- FAIL: BenchmarkBroken / pluginhost_bench_test.go:99: boom" {
		t.Errorf("failures = %q", s.Failures)
	}

	var out bytes.Buffer
	if err := writeGotest(&out, s, "github.com/chelseru/chelseru"); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"| token | Issue/HS256-2 | 130000 | 8.53 µs | 3201 | 41 |  |",
		"| pluginhost | Send/KAVENEGAR_COM-1 | 1200 | 41.2 µs | 512 | 9 | 11.8 x-native |",
		"| pluginhost | CompileCold-2 | 1 | 1.30 s |  |  |  |",
		"| . | ok [no tests to run] | 0 |",
		"- failure: `--- FAIL: BenchmarkBroken / pluginhost_bench_test.go:99: boom`",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("table lacks %q:\n%s", line, out.String())
		}
	}
}

func TestRunGotestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := runGotest([]string{"a", "b"}, &out, &errOut); code != exitUsage {
		t.Fatalf("two files: exit %d", code)
	}
	if code := runGotest([]string{"/nonexistent/file"}, &out, &errOut); code != exitFailure {
		t.Fatalf("missing file: exit %d", code)
	}
}

package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// Stamped by the build (Makefile: -ldflags "-X main.buildVersion=... -X
// main.buildCommit=..."), from `git describe --tags --always --dirty` and
// `git rev-parse HEAD`. Empty in a plain `go build`: the module's VCS build
// info is used then.
var (
	buildVersion string
	buildCommit  string
)

// buildInfo is what `chelseru version` prints.
type buildInfo struct {
	Version string // e.g. v0.3.0-4-g1a2b3c4-dirty, or (devel)
	Commit  string // the full commit hash, "" when unknown
	Go      string // e.g. go1.24.1
	Wazero  string // the wazero module version, e.g. v1.12.0
}

// readBuildInfo gathers the stamp, falling back to debug.ReadBuildInfo's
// VCS settings (vcs.revision, vcs.modified).
func readBuildInfo() buildInfo {
	b := buildInfo{Version: buildVersion, Commit: buildCommit, Go: runtime.Version(), Wazero: "unknown"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		if b.Version == "" {
			b.Version = "(unknown)"
		}
		return b
	}
	var rev string
	var dirty bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if b.Commit == "" {
		b.Commit = rev
	}
	if b.Version == "" {
		b.Version = bi.Main.Version
		if (b.Version == "" || b.Version == "(devel)") && rev != "" {
			b.Version = rev[:min(12, len(rev))]
			if dirty {
				b.Version += "-dirty"
			}
		}
		if b.Version == "" {
			b.Version = "(devel)"
		}
	}
	for _, d := range bi.Deps {
		if d.Path == "github.com/tetratelabs/wazero" {
			b.Wazero = d.Version
			if d.Replace != nil {
				b.Wazero = d.Replace.Version
			}
		}
	}
	return b
}

// version is the one-line version for logs: version, short commit and Go.
func version() string {
	b := readBuildInfo()
	parts := []string{b.Version}
	if c := b.Commit; c != "" && !strings.Contains(b.Version, c[:min(7, len(c))]) {
		parts = append(parts, c[:min(12, len(c))])
	}
	return strings.Join(append(parts, b.Go), " ")
}

// printVersion writes `chelseru version`'s output.
func printVersion(w io.Writer) {
	b := readBuildInfo()
	commit := b.Commit
	if commit == "" {
		commit = "unknown"
	}
	fmt.Fprintf(w, "chelseru %s\ncommit: %s\ngo: %s\nwazero: %s\nplatform: %s/%s\n", b.Version, commit, b.Go, b.Wazero, runtime.GOOS, runtime.GOARCH)
}

package plugintest

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chelseru/chelseru/sdk"
)

// update rewrites the request and result sections of golden cases from what
// the plugin does natively (go test ./plugins/... -update).
var update = flag.Bool("update", false, "plugintest: rewrite golden cases' requests and results from the native run")

// Golden runs every *.case file in dir as a subtest: natively with a fresh
// plugin from newPlugin, and, when wasmPath is not empty, through the real
// host with that module (see Host), which must declare the same name. With -update it rewrites each case's
// requests and result from the native run instead of comparing them.
func Golden(t *testing.T, dir string, newPlugin func() sdk.Plugin, wasmPath string) {
	t.Helper()
	cases, err := LoadCases(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatalf("plugintest: no *.case files in %s", dir)
	}
	var host *Host
	if wasmPath != "" {
		// The module is checked against the native plugin's manifest by
		// pluginhost.Open (it loads only a module declaring that name).
		man := newPlugin().Manifest()
		host = NewHost(t, wasmPath, &man)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			tr, err := RunNative(newPlugin(), c)
			if err != nil {
				t.Fatalf("native: %v", err)
			}
			if *update {
				for i := range c.Exchanges {
					if i < len(tr.Requests) {
						c.Exchanges[i].Request = tr.Requests[i]
					}
				}
				c.Result = tr.Result
				path := filepath.Join(dir, c.Name+".case")
				if err := os.WriteFile(path, c.Format(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diffs := Diff(c, tr); len(diffs) > 0 {
				t.Errorf("native:\n%s", strings.Join(diffs, "\n"))
			}
			if host != nil {
				host.Check(t, c)
			}
		})
	}
	if host == nil {
		t.Log("plugintest: no wasm module given: golden cases ran natively only")
	}
}

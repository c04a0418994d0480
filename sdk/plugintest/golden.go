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

// Updating reports whether the test binary runs with -update, so a helper
// that adds a second run of each case (through the real host, see the
// server's pluginhost/plugintest) knows to leave the rewritten files alone.
func Updating() bool { return *update }

// Golden runs every *.case file in dir as a subtest, natively with a fresh
// plugin from newPlugin: the plugin's requests and result must match the
// case's. Each function in also then runs with the same subtest and case
// (the server's pluginhost/plugintest passes one that replays the case
// through the real host with the compiled module). With -update Golden
// rewrites each case's requests and result from the native run instead of
// comparing them, and the functions in also are not called.
func Golden(t *testing.T, dir string, newPlugin func() sdk.Plugin, also ...func(t *testing.T, c *Case)) {
	t.Helper()
	cases, err := LoadCases(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatalf("plugintest: no *.case files in %s", dir)
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
			for _, f := range also {
				f(t, c)
			}
		})
	}
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/chelseru/chelseru/storage"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const usage = `usage:
  chelseru serve [--config FILE]
  chelseru config check --config FILE
  chelseru plugin check FILE.wasm
  chelseru backup --config FILE --out FILE
  chelseru restore --config FILE --in FILE [--allow-new-keys]
  chelseru verify (--config FILE | --data-dir DIR | --in BACKUPFILE)
  chelseru import-django [--config FILE] [--data-dir DIR] FILE.json
  chelseru version
`

// errUsage marks a command-line mistake (exit 2).
var errUsage = errors.New("usage")

// run dispatches a command line and returns the process exit code. Errors are
// printed as one line on stderr, never as a stack trace.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; {
	case cmd == "serve":
		err = cmdServe(rest, stderr)
	case cmd == "config" && len(rest) > 0 && rest[0] == "check":
		err = cmdConfigCheck(rest[1:], stdout)
	case cmd == "plugin" && len(rest) > 0 && rest[0] == "check":
		err = cmdPluginCheck(rest[1:], stdout)
	case cmd == "backup":
		err = cmdBackup(rest, stdout)
	case cmd == "restore":
		err = cmdRestore(rest, stdout)
	case cmd == "verify":
		err = cmdVerify(rest, stdout)
	case cmd == "import-django":
		err = cmdImportDjango(rest, stdout)
	case cmd == "version" || cmd == "--version" || cmd == "-v":
		fmt.Fprintln(stdout, "chelseru", version())
		return exitOK
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "chelseru: unknown command %q\n%s", cmd, usage)
		return exitUsage
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "chelseru: %v\n%s", err, usage)
		return exitUsage
	case errors.Is(err, storage.ErrDamaged) || errors.Is(err, errBackupDamaged):
		fmt.Fprintf(stderr, "chelseru: %v\n", err)
		return exitDamaged
	default:
		fmt.Fprintf(stderr, "chelseru: %v\n", err)
		return exitFailure
	}
}

// newFlags returns a flag set that reports errors to the caller instead of
// exiting.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses args, turning flag errors and stray arguments into usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%s: %v: %w", fs.Name(), err, errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q: %w", fs.Name(), fs.Arg(0), errUsage)
	}
	return nil
}

// version reports the module version and VCS revision the binary was built from.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
	}
	return v + " " + bi.GoVersion
}

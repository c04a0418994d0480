package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/chelseru/chelseru/storage"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

const usage = `usage:
  chelseru serve [--config FILE] [--listen HOST:PORT] [--data-dir DIR]
  chelseru config check [--config FILE] [--listen HOST:PORT] [--data-dir DIR]
  chelseru plugin list [--config FILE] [--plugins-dir DIR]
  chelseru plugin check [--set KEY=VALUE]... [--config FILE] FILE.wasm
  chelseru plugin new [-dir DIR] [-module PATH] [-sdk SDKDIR] NAME
  chelseru plugin test [-update] [-v] FILE.wasm CASES_DIR
  chelseru backup --config FILE --out FILE
  chelseru restore --config FILE --in FILE [--allow-new-keys]
  chelseru verify (--config FILE | --data-dir DIR | --in BACKUPFILE)
  chelseru import-django [--config FILE] [--data-dir DIR] FILE.json
  chelseru version
  chelseru COMMAND --help
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
	if args[0] == "help" && len(args) > 1 {
		return run(append(args[1:len(args):len(args)], "--help"), stdout, stderr)
	}
	var err error
	if name, ok := groupHelp(args); ok {
		printHelp(stdout, name, nil)
		return exitOK
	}
	switch cmd, rest := args[0], args[1:]; {
	case cmd == "plugin" && len(rest) > 0 && rest[0] == "list":
		err = cmdPluginList(rest[1:], stdout)
	case cmd == "serve":
		err = cmdServe(rest, stderr)
	case cmd == "config" && len(rest) > 0 && rest[0] == "check":
		err = cmdConfigCheck(rest[1:], stdout)
	case cmd == "plugin" && len(rest) > 0 && rest[0] == "check":
		err = cmdPluginCheck(rest[1:], stdout)
	case cmd == "plugin" && len(rest) > 0 && rest[0] == "new":
		err = cmdPluginNew(rest[1:], stdout)
	case cmd == "plugin" && len(rest) > 0 && rest[0] == "test":
		err = cmdPluginTest(rest[1:], stdout, stderr)
	case cmd == "backup":
		err = cmdBackup(rest, stdout)
	case cmd == "restore":
		err = cmdRestore(rest, stdout)
	case cmd == "verify":
		err = cmdVerify(rest, stdout)
	case cmd == "import-django":
		err = cmdImportDjango(rest, stdout)
	case cmd == "version" || cmd == "--version" || cmd == "-v":
		printVersion(stdout)
		return exitOK
	case cmd == "help" || cmd == "-h" || cmd == "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "chelseru: unknown command %q\n%s", cmd, usage)
		return exitUsage
	}
	if h, ok := asHelp(err); ok {
		printHelp(stdout, h.name, h.fs)
		return exitOK
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
		if errors.Is(err, flag.ErrHelp) {
			return &helpError{name: fs.Name(), fs: fs}
		}
		return fmt.Errorf("%s: %v: %w", fs.Name(), err, errUsage)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q: %w", fs.Name(), fs.Arg(0), errUsage)
	}
	return nil
}

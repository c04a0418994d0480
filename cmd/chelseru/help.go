package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/chelseru/chelseru/config"
)

// Help: every command prints its usage, flags, environment and exit codes
// for -h or --help (on stdout, exit 0). The flags listed are the command's
// real flag set: parseFlags turns flag.ErrHelp into a helpError carrying it.

// helpError asks run to print a command's help and exit 0.
type helpError struct {
	name string        // the command, e.g. "config check"
	fs   *flag.FlagSet // its flags, or nil
}

func (e *helpError) Error() string { return e.name + ": help requested" }

// commandHelp is the synopsis and description of each command, by the name
// of its flag set.
var commandHelp = map[string]struct{ synopsis, about string }{
	"serve": {"chelseru serve [--config FILE] [--listen HOST:PORT] [--data-dir DIR]",
		"Run the server until SIGINT or SIGTERM. The configuration is built from defaults, then the\n" +
			"file, then the environment, then the flags; with none of them it serves 127.0.0.1:8000 with\n" +
			"./data and the CONSOLE provider."},
	"config": {"chelseru config check [--config FILE] [--listen HOST:PORT] [--data-dir DIR]",
		"Configuration commands. `config check` validates the configuration exactly as serve would\n" +
			"(file, environment and flags merged; data folder, listen address, signing key and SMS\n" +
			"plugin with its required settings) and prints it with secrets masked and the source of\n" +
			"every value."},
	"config check": {"chelseru config check [--config FILE] [--listen HOST:PORT] [--data-dir DIR]",
		"Validate the configuration exactly as serve would (file, environment and flags merged;\n" +
			"data folder, listen address, signing key and the SMS plugin with its required settings),\n" +
			"then print every key with its value (secrets masked) and where it came from: default,\n" +
			"file:LINE, env VARIABLE or flag --NAME."},
	"plugin": {"chelseru plugin (list | check) ...",
		"Provider plugin commands:\n" +
			"  chelseru plugin list [--config FILE] [--plugins-dir DIR]   built-in and PLUGINS_DIR modules\n" +
			"  chelseru plugin check FILE.wasm                           validate a module, print its manifest"},
	"plugin check": {"chelseru plugin check FILE.wasm",
		"Load a plugin module in the sandbox, validate it and print its manifest as JSON."},
	"plugin list": {"chelseru plugin list [--config FILE] [--plugins-dir DIR]",
		"List the built-in plugins and the *.wasm modules in PLUGINS_DIR (name, file, SHA-256, size)\n" +
			"without running them. A module's name here is its file name; the name it declares is\n" +
			"shown by `plugin check`."},
	"backup": {"chelseru backup --config FILE --out FILE",
		"Write a backup of the data folder (online: the server may be running)."},
	"restore": {"chelseru restore --config FILE --in FILE [--allow-new-keys]",
		"Restore a backup into an empty data folder."},
	"verify": {"chelseru verify (--config FILE | --data-dir DIR | --in BACKUPFILE)",
		"Check a data folder or a backup file for damage (exit 3 when damaged)."},
	"version": {"chelseru version",
		"Print the version and commit stamped by the build, and the Go and wazero versions."},
}

// configCommands read the configuration (and so the environment).
var configCommands = map[string]bool{"serve": true, "config": true, "config check": true, "plugin list": true, "backup": true, "restore": true}

const exitCodesHelp = `exit codes:
  0  success
  1  failure (a bad configuration, a refused start, an I/O error)
  2  usage error (an unknown command or flag)
  3  data damaged (a data folder or backup fails its checks: restore a backup, do not just restart)
`

// envRuleHelp is the rule for environment variables.
const envRuleHelp = `environment:
  Every key has a variable: CHELSERU_ + the key's path with __ between levels, e.g.
  CHELSERU_SERVER__LISTEN, CHELSERU_SMS__SETTINGS__KAVENEGAR_COM_API_KEY. A list is written
  comma-separated (CHELSERU_SERVER__TRUSTED_PROXIES=10.0.0.0/8,127.0.0.1); a map is set one entry
  per variable. A name ending in _FILE reads the value from that file, without one trailing line
  break (CHELSERU_JWT__SIGNING_KEY_FILE=/run/secrets/jwt). CHELSERU_JWT_SIGNING_KEY is the old
  name of CHELSERU_JWT__SIGNING_KEY. An unknown CHELSERU_ variable is an error.
  Precedence: flags over environment over file over defaults.
`

// isHelpFlag reports whether arg asks for help.
func isHelpFlag(arg string) bool { return arg == "-h" || arg == "--help" || arg == "-help" }

// printHelp writes the help of command name, with fs's flags when fs is not
// nil.
func printHelp(w io.Writer, name string, fs *flag.FlagSet) {
	h, ok := commandHelp[name]
	if !ok {
		fmt.Fprint(w, usage)
		return
	}
	fmt.Fprintf(w, "usage: %s\n\n%s\n", h.synopsis, h.about)
	if fs != nil {
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 2, 8, 2, ' ', 0)
		fs.VisitAll(func(f *flag.Flag) {
			arg, use := flag.UnquoteUsage(f)
			if arg != "" {
				arg = " " + arg
			}
			if f.DefValue != "" && f.DefValue != "false" {
				use += fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(tw, "  --%s%s\t%s\n", f.Name, arg, use)
		})
		fmt.Fprint(tw, "  -h, --help\tprint this help\n")
		tw.Flush()
		fmt.Fprintf(w, "\nflags:\n%s", b.String())
	}
	if configCommands[name] {
		fmt.Fprintf(w, "\n%s", envRuleHelp)
		if name == "serve" || name == "config check" {
			fmt.Fprint(w, "\n  variables (docs/configuration.md explains each key):\n")
			tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
			for _, k := range config.Keys() {
				if k.Kind == config.KindSection {
					continue
				}
				what := k.Want
				switch k.Kind {
				case config.KindList:
					what = "a comma-separated list"
				case config.KindMap:
					what = "one variable per entry: " + k.Env() + "__NAME"
				}
				if config.SecretName(k.Path) || k.Want == "secret" {
					what += "; secret (masked by config check)"
				}
				fmt.Fprintf(tw, "    %s\t%s\n", k.Env(), what)
			}
			tw.Flush()
		}
	}
	fmt.Fprintf(w, "\n%s", exitCodesHelp)
}

// helpAsked reports whether args ask for help (-h, --help or -help before
// any "--"); for the commands and groups that have no flag set of their own
// (version, config, plugin).
func helpAsked(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelpFlag(a) {
			return true
		}
	}
	return false
}

// asHelp reports whether err asks for help.
func asHelp(err error) (*helpError, bool) {
	var h *helpError
	ok := errors.As(err, &h)
	return h, ok
}

// groupHelp answers `config --help`, `plugin --help` (or an unknown
// subcommand with --help) and `version --help`, which have no flag set to
// do it; it returns the help's name.
func groupHelp(args []string) (string, bool) {
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "version", "--version", "-v":
		return "version", helpAsked(rest)
	case "config", "plugin":
		if len(rest) == 0 {
			return "", false
		}
		if _, known := commandHelp[cmd+" "+rest[0]]; known {
			return "", false // the subcommand's flags answer
		}
		return cmd, helpAsked(rest)
	}
	return "", false
}

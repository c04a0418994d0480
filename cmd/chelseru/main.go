// Command chelseru is the chelseru edge server: SMS one-time-code login with
// JWT sessions, and SMS sending through sandboxed WASM provider plugins.
//
// Usage:
//
//	chelseru serve [--config FILE] [--listen HOST:PORT] [--data-dir DIR]
//	chelseru config check [--config FILE] [--listen HOST:PORT] [--data-dir DIR]
//	chelseru plugin list [--config FILE] [--plugins-dir DIR]
//	chelseru plugin check [--set KEY=VALUE]... [--config FILE] FILE.wasm
//	chelseru plugin new [-dir DIR] [-module PATH] [-sdk SDKDIR] NAME
//	chelseru plugin test [-update] [-v] FILE.wasm CASES_DIR
//	chelseru backup --config FILE --out FILE
//	chelseru restore --config FILE --in FILE [--allow-new-keys]
//	chelseru verify (--config FILE | --data-dir DIR | --in BACKUPFILE)
//	chelseru import-django [--config FILE] [--data-dir DIR] FILE.json
//	chelseru version
//	chelseru COMMAND --help
//
// Every configuration key can also come from the environment
// (CHELSERU_SERVER__LISTEN; see docs/configuration.md).
//
// Exit codes: 0 success, 1 failure, 2 usage error, 3 data damaged (a data
// folder that held a database lost its MANIFEST or has a damaged table, or
// a backup file fails its checks: restore a backup, do not just restart).
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

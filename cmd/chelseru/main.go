// Command chelseru is the chelseru edge server: SMS one-time-code login with
// JWT sessions, and SMS sending through sandboxed WASM provider plugins.
//
// Usage:
//
//	chelseru serve [--config FILE]
//	chelseru config check --config FILE
//	chelseru plugin check FILE.wasm
//	chelseru backup --config FILE --out FILE
//	chelseru restore --config FILE --in FILE [--allow-new-keys]
//	chelseru verify (--config FILE | --data-dir DIR | --in BACKUPFILE)
//	chelseru import-django [--config FILE] [--data-dir DIR] FILE.json
//	chelseru version
//
// Exit codes: 0 success, 1 failure, 2 usage error, 3 data damaged (a data
// folder that held a database lost its MANIFEST or has a damaged table, or
// a backup file fails its checks: restore a backup, do not just restart).
package main

import "os"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

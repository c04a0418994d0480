#!/usr/bin/env bash
# idle-rss.sh: the idle resident memory (VmRSS) of the real server, in kB.
#
# usage: scripts/idle-rss.sh [BINARY]   (default bin/chelseru)
# Starts BINARY with the built-in plugins (CONSOLE) on a free port and an empty
# data folder, asks for 20 codes, stops it, starts it again on the same
# folder (warm compilation cache), asks for 20 more codes, waits 3 s and
# prints four numbers: VmRSS at idle after the first start, after its
# requests, after the warm restart and its requests, and once the warm
# server has been idle 40 s, past SMS.PLUGIN_IDLE_TIMEOUT (default 30 s: its plugin
# instances closed, freed memory returned; the figure issue 13 targets: at
# most 40 MB). Linux only (reads /proc).
set -uo pipefail
bin=${1:-bin/chelseru}
command -v curl >/dev/null || { echo "idle-rss.sh: curl is not installed" >&2; exit 1; }
[ -r /proc/self/status ] || { echo "idle-rss.sh: no /proc" >&2; exit 1; }
dir=$(mktemp -d) || exit 1
port=$((20000 + RANDOM % 20000))
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"; }
trap cleanup EXIT
printf 'SERVER:\n  LISTEN: 127.0.0.1:%s\n  DATA_DIR: %s/data\n  PLUGINS_DIR: ""\nLOG:\n  LEVEL: warn\n' "$port" "$dir" >"$dir/c.yaml"

start() {
	"$bin" serve --config "$dir/c.yaml" >>"$dir/log" 2>&1 &
	pid=$!
	for _ in $(seq 1 600); do
		curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "idle-rss.sh: the server did not become ready:" >&2
	cat "$dir/log" >&2
	exit 1
}
codes() { # codes PREFIX: 20 otp/send requests to distinct numbers
	for i in $(seq 1 20); do
		curl -s -o /dev/null -X POST -d "mobile_number=$1$(printf %04d "$i")" "http://127.0.0.1:$port/api/otp/send/"
	done
}
rss() { awk '/^VmRSS:/{print $2}' "/proc/$pid/status"; }
stop() { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=; }

start; sleep 2; first=$(rss)
codes 0912000; sleep 3; after=$(rss)
stop
start; codes 0913000; sleep 3; warm=$(rss)
sleep "${IDLE_WAIT:-40}"; idle=$(rss)
stop
echo "$first $after $warm $idle"

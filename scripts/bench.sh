#!/usr/bin/env bash
# bench.sh: every benchmark of chelseru in one Markdown report.
#
# Called by `make bench`, which runs `make build plugins` first (bin/chelseru
# with the built-in plugins embedded). Runs the Go benchmarks of every package
# that has some, summarises them, then runs the load test (bin/chelseru-bench:
# bare fasthttp handler, POST /api/otp/send/ and whole logins against the
# real binary), then the chat benchmarks (bin/chelseru-bench chat: server
# memory per idle WebSocket, open-loop message runs and the closed-loop
# maximum, against the real binary). Prints the report and writes it to
# .bench/latest.md; the raw `go test` output goes to .bench/gotest.txt
# (benchstat-ready), the load test's JSON to .bench/load.json and the chat
# benchmarks' to .bench/chat.json.
#
# Environment (defaults in brackets):
#   BENCHTIME         go test -benchtime [500ms]
#   GO_BENCH_BUDGET   seconds for all Go benchmarks, compiling included [360];
#                     packages left when it runs out are listed as skipped
#   PKG_TIMEOUT       go test -timeout per package, seconds [300]
#   BENCH_CPU_PKGS    regexp of import paths also benchmarked with -cpu=1,2 [pluginhost]
#   LOAD_DURATION     measured window per load scenario [10s]
#   LOAD_WARMUP       warm-up per load scenario [2s]
#   LOAD_CONCURRENCY  load test workers [64]
#   LOAD_RUNS         whole load runs; each scenario is reported as its median run [3]
#   CHAT_MEMORY_SOCKETS idle sockets held for the memory figure, in steps [5000,19000]
#   CHAT_ROOMS        rooms of the chat message runs, two sockets each [1000]
#   CHAT_RATES        open-loop chat runs: messages/s sent by each side [7.5,10]
#   CHAT_DURATION     measured window per open-loop chat run [15s]
#   CHAT_WARMUP       warm-up per chat message run [2s]
#   CHAT_CLOSED_DURATION measured window of the closed-loop chat run [10s]
#   GO                the go command [go]
# Exit status: 0 when everything ran, 1 when a package's benchmarks or the
# load test failed (the report is written either way).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
GO=${GO:-go}
BENCHTIME=${BENCHTIME:-500ms}
GO_BENCH_BUDGET=${GO_BENCH_BUDGET:-360}
PKG_TIMEOUT=${PKG_TIMEOUT:-300}
BENCH_CPU_PKGS=${BENCH_CPU_PKGS-pluginhost}
LOAD_DURATION=${LOAD_DURATION:-10s}
LOAD_WARMUP=${LOAD_WARMUP:-2s}
LOAD_CONCURRENCY=${LOAD_CONCURRENCY:-64}
LOAD_RUNS=${LOAD_RUNS:-3}
CHAT_MEMORY_SOCKETS=${CHAT_MEMORY_SOCKETS-5000,19000}
CHAT_ROOMS=${CHAT_ROOMS:-1000}
CHAT_RATES=${CHAT_RATES-7.5,10}
CHAT_DURATION=${CHAT_DURATION:-15s}
CHAT_WARMUP=${CHAT_WARMUP:-2s}
CHAT_CLOSED_DURATION=${CHAT_CLOSED_DURATION:-10s}

mkdir -p .bench || exit 1
report=.bench/latest.md
raw=.bench/gotest.txt
out=$(mktemp .bench/latest.XXXXXX) || exit 1
trap 'rm -f "$out"' EXIT
: >"$raw"
status=0
start=$(date +%s)

# emit: append stdin to the report and show it.
emit() { tee -a "$out"; }
# say: one line of the report.
say() { printf '%s\n' "$*" | emit; }
# progress: a line on stderr only.
progress() { printf 'bench: %s\n' "$*" >&2; }

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	commit="$commit-dirty"
fi
say "# chelseru benchmarks"
say ""
say "- commit \`$commit\`, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $($GO version | cut -d' ' -f3-)"
say "- go test -benchtime=$BENCHTIME -benchmem; load test: $LOAD_CONCURRENCY workers, $LOAD_WARMUP warm-up + $LOAD_DURATION per scenario, $LOAD_RUNS runs (median run reported)"

# --- prerequisites ------------------------------------------------------
scenarios=bare,otp-send,login
if [ -x bin/chelseru ]; then
	say "- server binary: bin/chelseru ($(bin/chelseru version 2>/dev/null | head -n1))"
else
	say "- server binary: **bin/chelseru missing** (\`make bench\` builds it with \`make build plugins\`); trying \`go build\`"
	if ! $GO build -trimpath -o bin/chelseru ./cmd/chelseru >&2; then
		say "- **could not build bin/chelseru: the load test runs the bare handler only**"
		scenarios=bare
		status=1
	fi
fi
nplugins=$(find bin/plugins -name '*.wasm' 2>/dev/null | wc -l)
if [ "$nplugins" -eq 0 ]; then
	say "- **no bin/plugins/*.wasm**: run \`make plugins\` (the embedded built-ins may be missing or stale)"
else
	say "- plugins: $nplugins modules in bin/plugins"
fi
if ! $GO build -trimpath -o bin/chelseru-bench ./cmd/chelseru-bench >&2; then
	say "- **could not build bin/chelseru-bench**"
	exit 1
fi
say ""

# --- Go benchmarks ------------------------------------------------------
# Packages whose test files (for this GOOS/GOARCH) declare a benchmark.
pkgs=()
while read -r pkg files; do
	[ -n "$files" ] || continue
	# shellcheck disable=SC2086 # $files is a list of paths without spaces
	if grep -qE '^func Benchmark[A-Z_0-9]' $files 2>/dev/null; then
		pkgs+=("$pkg")
	fi
done < <($GO list -e -f '{{.ImportPath}}{{range .TestGoFiles}} {{$.Dir}}/{{.}}{{end}}{{range .XTestGoFiles}} {{$.Dir}}/{{.}}{{end}}' ./... 2>/dev/null)

say "## Go benchmarks"
say ""
skipped=()
gostart=$(date +%s)
for pkg in "${pkgs[@]}"; do
	left=$((GO_BENCH_BUDGET - ($(date +%s) - gostart)))
	if [ "$left" -lt 30 ]; then
		skipped+=("$pkg")
		continue
	fi
	t=$((left < PKG_TIMEOUT ? left : PKG_TIMEOUT))
	cpu=()
	if [ -n "$BENCH_CPU_PKGS" ] && [[ $pkg =~ $BENCH_CPU_PKGS ]]; then
		cpu=(-cpu=1,2)
	fi
	progress "go test -bench $pkg ${cpu[*]} (timeout ${t}s)"
	if ! $GO test -run='^$' -bench=. -benchmem -benchtime="$BENCHTIME" -count=1 "${cpu[@]}" -timeout="${t}s" "$pkg" >>"$raw" 2>&1; then
		status=1
		progress "go test -bench $pkg failed (see $raw)"
	fi
done
if [ "${#pkgs[@]}" -eq 0 ]; then
	say "No package has benchmarks yet."
else
	bin/chelseru-bench gotest "$raw" | emit
fi
if [ "${#skipped[@]}" -gt 0 ]; then
	say ""
	say "- **skipped (GO_BENCH_BUDGET=${GO_BENCH_BUDGET}s spent)**: ${skipped[*]}"
	status=1
fi
say ""
say "Raw output: \`$raw\` (compare runs with benchstat). Figures vary ±30% between runs on this machine."
say ""

# --- load test ----------------------------------------------------------
progress "load test: $scenarios, $LOAD_RUNS runs"
if ! bin/chelseru-bench -bin bin/chelseru -scenarios "$scenarios" -concurrency "$LOAD_CONCURRENCY" \
	-duration "$LOAD_DURATION" -warmup "$LOAD_WARMUP" -runs "$LOAD_RUNS" -json-out .bench/load.json | emit; then
	status=1
	say ""
	say "- **the load test failed** (its error is above, on stderr)"
fi

# --- chat ---------------------------------------------------------------
# Memory per idle authenticated socket, open-loop message runs and the
# closed-loop maximum, the real binary in its own process (restarted after
# the logins and before each run).
if [ "$scenarios" != bare ]; then
	progress "chat: idle sockets $CHAT_MEMORY_SOCKETS; $CHAT_ROOMS rooms at $CHAT_RATES msg/s per side; closed loop $CHAT_CLOSED_DURATION"
	say ""
	if ! bin/chelseru-bench chat -bin bin/chelseru -memory-sockets "$CHAT_MEMORY_SOCKETS" -rooms "$CHAT_ROOMS" -rates "$CHAT_RATES" \
		-duration "$CHAT_DURATION" -warmup "$CHAT_WARMUP" -closed-duration "$CHAT_CLOSED_DURATION" -json-out .bench/chat.json | emit; then
		status=1
		say ""
		say "- **the chat benchmark failed** (its error is above, on stderr)"
	fi
	say ""
fi

# --- server start-up ----------------------------------------------------
# Time from exec to a 200 from /readyz for the real binary with the Kavenegar
# plugin: once with an empty data folder (keys generated, Badger created, the
# module compiled), then five times with the warm compilation cache.
progress "server start-up"
startup_ms() {
	local dir=$1 port=$2 t0 t1 pid
	t0=$(date +%s%N)
	bin/chelseru serve --config "$dir/c.yaml" >/dev/null 2>&1 &
	pid=$!
	for _ in $(seq 1 3000); do
		curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.005
	done
	t1=$(date +%s%N)
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo $(((t1 - t0) / 1000000))
}
if command -v curl >/dev/null; then
	sdir=$(mktemp -d)
	sport=$((20000 + RANDOM % 20000))
	printf 'SERVER:\n  LISTEN: 127.0.0.1:%s\n  DATA_DIR: %s/data\n  PLUGINS_DIR: ""\nSMS:\n  SMS_SERVICE: KAVENEGAR_COM\n  SETTINGS:\n    KAVENEGAR_COM_API_KEY: bench\nLOG:\n  LEVEL: warn\n' "$sport" "$sdir" >"$sdir/c.yaml"
	cold=$(startup_ms "$sdir" "$sport")
	warm=()
	for _ in 1 2 3 4 5; do warm+=("$(startup_ms "$sdir" "$sport")"); done
	rm -rf "$sdir"
	say "## Server start-up (exec to /readyz 200, KAVENEGAR_COM)"
	say ""
	say "| data folder | time |"
	say "|---|---:|"
	say "| empty (cold: keys, database, module compiled) | ${cold} ms |"
	say "| warm compilation cache (5 runs) | $(IFS=/; echo "${warm[*]}") ms |"
	say ""
	say "Target (issue 3): under 300 ms with a warm cache."
else
	say "- server start-up not measured: curl is not installed"
fi

# --- idle memory ----------------------------------------------------------
progress "idle RSS"
if rss=$(bash scripts/idle-rss.sh bin/chelseru); then
	read -r rss_first rss_after rss_warm rss_idle <<<"$rss"
	say ""
	say "## Idle memory (VmRSS, CONSOLE plugin, 20 codes asked)"
	say ""
	say "| state | VmRSS |"
	say "|---|---:|"
	say "| first start, idle | $((rss_first / 1024)) MB |"
	say "| first start, after the requests | $((rss_after / 1024)) MB |"
	say "| warm restart (compilation cache), after the requests | $((rss_warm / 1024)) MB |"
	say "| warm restart, idle past SMS.PLUGIN_IDLE_TIMEOUT (30 s) | $((rss_idle / 1024)) MB |"
	say ""
	say "Target (issue 13): at most 40 MB with the built-ins loaded and a warm cache."
else
	say "- idle RSS not measured (scripts/idle-rss.sh failed)"
	status=1
fi

say ""
say "_bench.sh took $(($(date +%s) - start)) s._"
mv "$out" "$report" && trap - EXIT
progress "report written to $report"
exit "$status"

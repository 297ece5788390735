#!/bin/bash
# bench/remote_write.sh: remote write's cost and catch-up rate (issue 21),
# bench/rw_bench against a local receiver on 127.0.0.1 that answers 204
# to every POST (python3's http.server, keep-alive), so the figures are
# procwatchd's side alone.  Not part of make check.
#
#   make bench/rw_bench && bench/remote_write.sh [PROCS [MINUTES]]
#
# Run from the build directory.  Figures go to bench/RESULTS.md.
set -eu
BUILD=${PW_BUILDDIR:-.}
[ -x "$BUILD/bench/rw_bench" ] || { echo "build bench/rw_bench first" >&2; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/rw_bench.XXXXXX")
RECV=""
trap '[ -n "$RECV" ] && kill "$RECV" 2>/dev/null; wait 2>/dev/null; rm -rf "$W"' EXIT

python3 - "$W/port" >"$W/recv.log" 2>&1 <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
PY
RECV=$!
for i in $(seq 1 100); do [ -s "$W/port" ] && break; sleep 0.1; done
PORT=$(cat "$W/port")
echo "# receiver: python3 http.server on 127.0.0.1:$PORT (pid $RECV), answers 204"
echo "# $(nproc) CPUs, $(uname -r); $(date -u +%F)"
"$BUILD/bench/rw_bench" "http://127.0.0.1:$PORT/api/v1/write" "${1:-1000}" \
    "${2:-60}" "$W/state"

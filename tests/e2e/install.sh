#!/bin/bash
# End-to-end: the installed surface of libprocwatch.  make install into a
# DESTDIR under $WORK; then, with only that tree's include and lib
# directories: at most four headers, each compiling on its own; the
# shared library exporting the embedding API and the plugin ABI and
# nothing of the library's internals; the pkg-config file; an
# out-of-tree build of the example plugin, loaded by the installed
# procwatchd; and a small embedding program (tests/e2e/embed_demo.c) that
# samples its own pid and prints its RSS.
. "$(dirname "$0")/lib.sh"

CC=${CC:-cc}
command -v "$CC" >/dev/null || skip "no C compiler ($CC)"
command -v nm >/dev/null || skip "no nm"

DEST="$WORK/dest"
if ! ${MAKE:-make} -C "$PW_BUILDDIR" install DESTDIR="$DEST" \
    >"$WORK/install.log" 2>&1; then
	not_ok "make install DESTDIR=..."
	tail -30 "$WORK/install.log"
	finish
	exit 1
fi
ok "make install DESTDIR=..."

HDR=$(find "$DEST" -path '*/include/procwatch/procwatch.h' | head -1)
SO=$(find "$DEST" -name libprocwatch.so | head -1)
if [ -z "$HDR" ] || [ -z "$SO" ]; then
	not_ok "installed procwatch/procwatch.h and libprocwatch.so"
	find "$DEST" -type f | sed 's/^/#   /'
	finish
	exit 1
fi
INC=$(dirname "$(dirname "$HDR")")
LIB=$(dirname "$SO")
# Only the installed tree: no -I or -L of the build or source tree.
# A sanitized libprocwatch.so needs its runtime loaded first: the outside
# programs are built with the same -fsanitize flags (PW_SAN_CFLAGS).
CFLAGS_OUT="-std=c11 -D_GNU_SOURCE -Wall -Wextra -Wstrict-prototypes -Werror -I$INC ${PW_SAN_CFLAGS:-}"

# --- headers ---------------------------------------------------------------
ls "$INC/procwatch" | sed 's/^/#   installed: /'
n=$(find "$INC" -type f | wc -l)
check "at most four headers installed ($n)" [ "$n" -le 4 ]
for h in "$INC"/procwatch/*.h; do
	b=procwatch/$(basename "$h")
	check "$b compiles on its own" sh -c \
	    "printf '#include <%s>\n' '$b' | $CC $CFLAGS_OUT -fsyntax-only -x c -"
done
check "no lib/ internals installed" sh -c \
    "! grep -l 'internal.h\|pwutil.h' '$INC'/procwatch/*.h"

# --- exported symbols --------------------------------------------------------
nm -D --defined-only "$SO" | awk '$2 ~ /^[A-Z]$/ { print $3 }' |
    sed 's/@.*//' | sort -u >"$WORK/exports"
sed 's/^/#   exported: /' "$WORK/exports"
check "exports no pw_procfs_/pw_prochandle_/pw__ symbol" sh -c \
    "! grep -E '^pw_(procfs|prochandle|store|monitor|ring|source|custom)_|^pw__' '$WORK/exports'"
# The positive list: the embedding API, the plugin ABI, sample.h.
check "exports only pw_embed_*, pw_plugin_check, pw_state_*" sh -c \
    "! grep -vE '^(pw_embed_[a-z_]+|pw_plugin_check|pw_state_char|pw_state_from_char)\$' '$WORK/exports'"
check "exports every name in lib/libprocwatch.sym" sh -c \
    "sort -u '$PW_SRCDIR/lib/libprocwatch.sym' | comm -23 - '$WORK/exports' | grep -q . && exit 1 || exit 0"
# Every function the installed headers declare is exported: their
# declarations without comments, one statement a line, typedefs dropped.
for h in "$INC"/procwatch/*.h; do
	$CC -fpreprocessed -dD -E -P "$h"
done | grep -v '^#' | tr '\n' ' ' | tr ';' '\n' | grep -v '^ *typedef' |
    grep -oE '\bpw_[a-z_]+ *\(' | tr -d '( ' | sort -u >"$WORK/declared"
check "the headers declare functions (the list is not empty)" \
    [ -s "$WORK/declared" ]
check "every function declared is exported" sh -c \
    "comm -23 '$WORK/declared' '$WORK/exports' | sed 's/^/# missing: /' | grep . && exit 1 || exit 0"

# --- pkg-config --------------------------------------------------------------
if command -v pkg-config >/dev/null; then
	PC=$(PKG_CONFIG_SYSROOT_DIR="$DEST" PKG_CONFIG_LIBDIR="$LIB/pkgconfig" \
	    pkg-config --cflags --libs libprocwatch 2>&1)
	echo "# pkg-config: $PC"
	check "pkg-config libprocwatch names the installed dirs" sh -c \
	    "echo ' $PC ' | grep -qF ' -I$INC ' && echo ' $PC ' | grep -qF ' -L$LIB ' && echo ' $PC ' | grep -qF ' -lprocwatch '"
else
	skip_part "no pkg-config"
fi

# --- an embedding program ----------------------------------------------------
check "embed_demo.c builds against the installed tree" \
    $CC $CFLAGS_OUT -o "$WORK/embed_demo" "$PW_SRCDIR/tests/e2e/embed_demo.c" \
    -L"$LIB" -lprocwatch
LD_LIBRARY_PATH="$LIB" "$WORK/embed_demo" >"$WORK/embed.out" 2>"$WORK/embed.err"
rc=$?
sed 's/^/#   /' "$WORK/embed.out" "$WORK/embed.err"
check "embed_demo exits 0" [ "$rc" -eq 0 ]
check "embed_demo ran against the installed libprocwatch.so" sh -c \
    "LD_LIBRARY_PATH='$LIB' ldd '$WORK/embed_demo' | grep -qF '$LIB/libprocwatch.so'"
check "embed_demo reports its own pid with RSS > 0" awk '
    $1 == "pid" && $3 == "rss_bytes" && $4 > 0 && $2 > 0 { ok = 1 }
    END { exit !ok }' "$WORK/embed.out"
check "embed_demo's collector ran and its series reads back" awk '
    { for (i = 1; i < NF; i++) if ($i == "demo_calls") v = $(i + 1) }
    END { exit !(v >= 1) }' "$WORK/embed.out"

# --- an out-of-tree plugin, loaded by the installed daemon -------------------
check "plugins/dirsize.c builds against the installed tree" \
    $CC $CFLAGS_OUT -shared -fPIC -o "$WORK/dirsize.so" \
    "$PW_SRCDIR/plugins/dirsize.c"
check "the plugin needs no libprocwatch symbol" sh -c \
    "! nm -D --undefined-only '$WORK/dirsize.so' | grep -q ' pw_'"
PROCWATCHD=$(find "$DEST" -type f -name procwatchd | head -1)
if [ -z "$PROCWATCHD" ] || [ ! -s "$WORK/dirsize.so" ]; then
	not_ok "installed procwatchd and the plugin"
	finish
	exit 1
fi
mkdir -p "$WORK/data"
printf 'hello world\n' >"$WORK/data/a.txt"	# 12 bytes
printf '1234567890\n' >"$WORK/data/b.txt"	# 11 bytes
cat >"$WORK/plugin.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "interval_ms": 200,
  "history": 20,
  "state_dir": "$WORK",
  "plugins": [ { "path": "$WORK/dirsize.so",
      "config": { "dir": "$WORK/data", "name": "data" } } ]
}
JSON
start_daemon "$WORK/plugin.json" || { finish; exit 1; }
has_size() {
	get "$(url /api/v1/custom)" | jq -e '.series[] |
	    select(.name == "data_size_bytes" and .value == 23 and
	    .source == "dirsize")' >/dev/null
}
check "the installed procwatchd runs the out-of-tree plugin" \
    wait_for "data_size_bytes from dirsize.so" 75 has_size
check "procwatchd exits 0" stop_daemon

finish

#!/bin/bash
# The man pages render without a single warning: groff -ww (all warnings)
# and mandoc -T lint at style level.  Any output fails.  Either one missing
# is a skipped part (a failure under PW_STRICT=1).
. "$(dirname "$0")/lib.sh"

: "${GROFF:=$(command -v groff || true)}"
: "${MANDOC:=$(command -v mandoc || true)}"
[ -n "$GROFF" ] || [ -n "$MANDOC" ] ||
    skip "neither groff nor mandoc found (apt-get install groff-base mandoc)"
[ -n "$GROFF" ] || skip_part "groff not found: no groff -ww check (apt-get install groff-base)"
[ -n "$MANDOC" ] || skip_part "mandoc not found: no mandoc -T lint check (apt-get install mandoc)"

clean() { [ "$1" -eq 0 ] && [ ! -s "$WORK/out" ]; }

for page in procwatchd.8 procwatchd.json.5 procwatchctl.1; do
	f="$PW_SRCDIR/man/$page"
	check "$page exists" [ -s "$f" ]
	if [ -n "$GROFF" ]; then
		# -Tutf8: the sparkline blocks are Unicode characters.
		"$GROFF" -ww -man -Tutf8 -z "$f" >"$WORK/out" 2>&1
		rc=$?
		cat "$WORK/out"
		check "groff -ww: $page is clean" clean "$rc"
	fi
	if [ -n "$MANDOC" ]; then
		"$MANDOC" -T lint -W style "$f" >"$WORK/out" 2>&1
		rc=$?
		cat "$WORK/out"
		check "mandoc -T lint: $page is clean" clean "$rc"
	fi
done

# Every top-level config key is documented: the key table in config.c
# against the KEYS section of procwatchd.json(5).
keys=$(sed -n '/^static const struct key top_keys\[\] = {/,/^};/s/^[[:space:]]*{ "\([a-z_0-9]*\)".*/\1/p' \
    "$PW_SRCDIR/daemon/config.c")
check "config.c key table found" [ -n "$keys" ]
for k in $keys; do
	check "procwatchd.json(5) documents \"$k\"" grep -qx "\.B $k" \
	    "$PW_SRCDIR/man/procwatchd.json.5"
done

finish

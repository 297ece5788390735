#!/bin/sh
# test_headers.sh: every prototype in the public headers (lib/include/
# procwatch/*.h, lib/history.h) and the daemon's and the API's (api/*.h,
# daemon/*.h)
# names its callers on a `Thread:` line (STYLE.md, section 6).
#
# A prototype is a line at file scope, outside a comment and a struct or
# enum body, that starts with a letter and names a function: `name(`.  It
# is covered when the nearest comment above it in its group (the run of
# non-blank lines it belongs to) says "Thread:".  So consecutive
# prototypes may share one comment; a blank line or another comment
# starts a new group.
: "${PW_SRCDIR:=$(cd "$(dirname "$0")/../.." && pwd)}"
cd "$PW_SRCDIR" || exit 99

missing=$(awk '
FNR == 1 { depth = 0; incomment = 0; covered = 0 }
{
	line = $0
	if (!incomment && line ~ /^[ \t]*$/) { covered = 0; next }
	if (incomment) {
		if (line ~ /Thread:/)
			covered = 1
		if (line ~ /\*\//)
			incomment = 0
		next
	}
	if (line ~ /^[ \t]*\/\*/) {
		covered = line ~ /Thread:/
		if (line !~ /\*\//)
			incomment = 1
		next
	}
	if (line ~ /Thread:/)
		covered = 1
	code = line
	sub(/\/\*.*/, "", code)
	if (depth == 0 && code ~ /^[A-Za-z_]/ &&
	    code !~ /^(typedef|static|extern)[ \t]/ &&
	    code !~ /^(struct|enum|union)[ \t]+[A-Za-z_0-9]*[ \t]*\{/ &&
	    code ~ /[A-Za-z_0-9]\(/ && !covered)
		printf "%s:%d: %s\n", FILENAME, FNR, line
	n = gsub(/\{/, "{", code); depth += n
	n = gsub(/\}/, "}", code); depth -= n
}' lib/include/procwatch/*.h lib/history.h api/*.h daemon/*.h)

if [ -n "$missing" ]; then
	echo "$missing"
	echo "not ok - $(echo "$missing" | wc -l) prototype(s) without a" \
	    "Thread: line in their comment"
	exit 1
fi
echo "ok - every prototype in the headers names its threads"

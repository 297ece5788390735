/*
 * api/params.h: parsing of path segments and query values.
 *
 * Pure functions over NUL-terminated strings: no allocation, no locale, no
 * global state, so they can be unit-tested and fuzzed on their own.  Each
 * returns 0 and writes *out only on success, or -EINVAL and leaves *out
 * alone.  They are strict: no leading '+' or '-', no white space, no
 * trailing characters, and a value that would overflow is an error.
 * Thread: any.
 */
#ifndef API_PARAMS_H
#define API_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Decimal digits only, 1 .. the largest pid_t.  Thread: any (pure). */
int	api_parse_pid(const char *s, pid_t *out);

/* Decimal digits only, 1 .. max.  Thread: any (pure). */
int	api_parse_limit(const char *s, size_t max, size_t *out);

/*
 * An RFC 3339 date-time, "2026-11-26T02:11:35Z", with optional fractional
 * seconds (truncated to ms) and a "Z" or "+HH:MM" / "-HH:MM" offset; 't',
 * 'z' and a space for 'T' are accepted as RFC 3339 section 5.6 allows.
 * The date must exist (Feb 29 only in leap years); second 60 (a leap
 * second) is taken as the first second of the next minute.  *ms_out gets
 * the milliseconds since the Unix epoch, UTC.
 * Thread: any (pure).
 */
int	api_parse_rfc3339(const char *s, int64_t *ms_out);

/*
 * A non-negative duration in the grammar of procwatch/duration.h, "500ms",
 * "30s", "1.5m", "1h30m", "2d"; a number without a unit is seconds.
 * *ms_out gets milliseconds.
 * Thread: any (pure).
 */
int	api_parse_duration(const char *s, int64_t *ms_out);

/*
 * "1", "true", "yes", "on" or "0", "false", "no", "off" (the words in any
 * case).
 * Thread: any (pure).
 */
int	api_parse_bool(const char *s, bool *out);

#endif

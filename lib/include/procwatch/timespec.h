/*
 * procwatch/timespec.h: the one grammar of moments in time, for the HTTP
 * API (?since=, ?until=, ?at=) and procwatchctl (--at, --since, --until).
 *
 * A moment is one of:
 *   - "now";
 *   - a duration before now, a '-' and the grammar of procwatch/duration.h:
 *     "-15m", "-2h30m", "-1.5d" (a bare "-90" is refused: no unit);
 *   - an RFC 3339 date-time: "2026-12-05T03:12:00Z", with an optional
 *     fraction (kept to the millisecond) and "Z" or a "+HH:MM"/"-HH:MM"
 *     offset; 't', 'z' and a space for 'T' as RFC 3339 section 5.6 allows;
 *   - a wall-clock time "HH:MM" or "HH:MM:SS" in local time: the latest
 *     such moment not after now.  That is today's unless today's is still
 *     to come, in which case it is yesterday's: history only reaches into
 *     the past, so "03:12" asked at 01:00 means the 03:12 of last night;
 *   - Unix seconds, digits with an optional fraction: "1796440320.5".
 * No white space, no trailing characters.
 */
#ifndef PROCWATCH_TIMESPEC_H
#define PROCWATCH_TIMESPEC_H

#include <stdint.h>

/* The forms, as error messages list them. */
#define PW_TIMESPEC_FORMS	"an RFC 3339 time such as " \
	"2026-12-05T03:12:00Z, -15m, now, 03:12 or Unix seconds"

/*
 * Parse the NUL-terminated `s` relative to `now_ms` (milliseconds since
 * the Unix epoch).  Returns 0 with *ms set to milliseconds since the epoch,
 * or -EINVAL with *ms untouched and, when `why` is not NULL, *why pointing
 * at a short static reason.  Wall-clock times use the local time zone
 * (localtime_r() and mktime(), so TZ).  Thread: any.
 */
int	pw_timespec_parse(const char *s, int64_t now_ms, int64_t *ms,
	    const char **why);

/*
 * An RFC 3339 date-time only (the third form above).  The date must exist
 * (Feb 29 only in leap years); second 60 (a leap second) is taken as the
 * first second of the next minute.  Returns 0 with *ms set, or -EINVAL
 * with *ms untouched.  Pure: no TZ.  Thread: any.
 */
int	pw_timespec_parse_rfc3339(const char *s, int64_t *ms);

#endif

/*
 * procwatch/duration.h: the one grammar of durations, for the config and
 * the HTTP API alike.
 *
 * A duration is one or more terms NUMBER UNIT with no space between them:
 * "500ms", "30s", "1.5m", "1h30m", "2d".  NUMBER is decimal digits with an
 * optional fraction ("1.5", never ".5" or "1."); UNIT is ms, s, m, h or d,
 * lower case; the units of several terms must go from the largest to the
 * smallest, each at most once ("1h30m", not "30m1h" or "1m1m").  The total
 * must be a whole number of milliseconds ("1.5ms" is not) and fit an
 * int64_t.  No sign, no white space, no exponent.
 *
 * A NUMBER alone, with no unit, is where callers differ, so they say what
 * it means: the API takes "30" as 30 seconds (bare_ms 1000), the config
 * gives its durations as JSON numbers of milliseconds and a string without
 * a unit ("500") is ambiguous there, so it passes bare_ms 0 and gets an
 * error.
 */
#ifndef PROCWATCH_DURATION_H
#define PROCWATCH_DURATION_H

#include <stdint.h>

/* The units, as error messages list them. */
#define PW_DURATION_UNITS	"ms, s, m, h, d"

/*
 * Parse the NUL-terminated `s`.  `bare_ms` is what one unit of a number
 * without a unit is worth in milliseconds (1 to 86400000), or 0 to refuse
 * that form.
 * Returns 0 with *ms set, or -EINVAL with *ms untouched and, when `why` is
 * not NULL, *why pointing at a short static reason ("needs a unit (ms, s,
 * m, h, d)", "too large", ...).  Thread: any.
 */
int	pw_duration_parse(const char *s, int64_t bare_ms, int64_t *ms,
	    const char **why);

#endif

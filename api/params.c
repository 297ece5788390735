/*
 * api/params.c: strict parsers for what clients put in paths and queries.
 *
 * DESIGN: everything here is hand-rolled rather than built on strtol(),
 * sscanf() or strptime(): those skip white space, take signs, depend on the
 * locale and (strptime) on the TZ environment, and report overflow through
 * errno.  A client value is either exactly right or -EINVAL.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/duration.h>

#include "api/params.h"

/* The largest value of the signed integer type pid_t. */
#define PID_T_MAX \
	((uint64_t)(((uintmax_t)1 << (sizeof(pid_t) * CHAR_BIT - 1)) - 1))

#define MS_PER_S	INT64_C(1000)
#define MS_PER_MIN	(60 * MS_PER_S)
#define MS_PER_HOUR	(60 * MS_PER_MIN)
#define MS_PER_DAY	(24 * MS_PER_HOUR)

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Read one or more decimal digits at *sp into *out, failing if the value
 * exceeds max.  Advances *sp past the digits.
 */
static int
read_u64(const char **sp, uint64_t max, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;
	unsigned d;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*sp = s;
	*out = v;
	return 0;
}

/* A whole string of digits, 1 .. max. */
static int
parse_positive(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (s == NULL || read_u64(&s, max, &v) < 0 || *s != '\0' || v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int
api_parse_pid(const char *s, pid_t *out)
{
	uint64_t v;

	if (parse_positive(s, PID_T_MAX, &v) < 0)
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}

int
api_parse_limit(const char *s, size_t max, size_t *out)
{
	uint64_t v;

	if (max == 0 || parse_positive(s, max, &v) < 0)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

/* Exactly n digits at s, as a number. */
static int
fixed_digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static bool
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

/*
 * Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil), so no timegm() and no TZ.
 */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
api_parse_rfc3339(const char *s, int64_t *ms_out)
{
	int y, mo, d, h, mi, sec, oh, om, frac = 0, i;
	int64_t ms, off_ms = 0;

	if (s == NULL)
		return -EINVAL;
	/* date-fullyear "-" date-month "-" date-mday */
	if (fixed_digits(s, 4, &y) < 0 || s[4] != '-' ||
	    fixed_digits(s + 5, 2, &mo) < 0 || s[7] != '-' ||
	    fixed_digits(s + 8, 2, &d) < 0)
		return -EINVAL;
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return -EINVAL;
	/* time-hour ":" time-minute ":" time-second */
	if (fixed_digits(s + 11, 2, &h) < 0 || s[13] != ':' ||
	    fixed_digits(s + 14, 2, &mi) < 0 || s[16] != ':' ||
	    fixed_digits(s + 17, 2, &sec) < 0)
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	s += 19;

	/* time-secfrac: keep milliseconds, check and drop the rest */
	if (*s == '.') {
		s++;
		if (!is_digit(*s))
			return -EINVAL;
		for (i = 0; is_digit(*s); i++, s++)
			if (i < 3)
				frac = frac * 10 + (*s - '0');
		for (; i < 3; i++)
			frac *= 10;
	}

	/* time-offset */
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		if (fixed_digits(s + 1, 2, &oh) < 0 || s[3] != ':' ||
		    fixed_digits(s + 4, 2, &om) < 0 || oh > 23 || om > 59)
			return -EINVAL;
		off_ms = oh * MS_PER_HOUR + om * MS_PER_MIN;
		if (*s == '-')
			off_ms = -off_ms;
		s += 6;
	} else
		return -EINVAL;
	if (*s != '\0')
		return -EINVAL;

	/* Local time minus its offset is UTC. */
	ms = days_from_civil(y, mo, d) * MS_PER_DAY + h * MS_PER_HOUR +
	    mi * MS_PER_MIN + sec * MS_PER_S + frac - off_ms;
	*ms_out = ms;
	return 0;
}

/* The grammar is lib/duration.c's, for the config too; "30" is seconds. */
int
api_parse_duration(const char *s, int64_t *ms_out)
{
	return pw_duration_parse(s, MS_PER_S, ms_out, NULL);
}

/* ASCII-only, locale-free case-insensitive equality. */
static bool
word_eq(const char *s, const char *lower)
{
	char c;

	for (; *lower != '\0'; s++, lower++) {
		c = *s;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != *lower)
			return false;
	}
	return *s == '\0';
}

int
api_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };
	size_t i;

	if (s == NULL)
		return -EINVAL;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (word_eq(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (word_eq(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

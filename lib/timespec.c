/*
 * lib/timespec.c: moments in time as users type them (procwatch/timespec.h).
 *
 * DESIGN: hand-rolled like lib/duration.c and for the same reasons
 * (strptime() and strtol() skip white space, take signs and depend on the
 * locale).  RFC 3339 is computed in integers with no TZ at all; only the
 * wall-clock form needs the local zone, and it asks mktime() with
 * tm_isdst = -1 so a time in a DST change is what the zone says it is.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <procwatch/duration.h>
#include <procwatch/timespec.h>

#define MS_PER_S	INT64_C(1000)
#define MS_PER_MIN	(60 * MS_PER_S)
#define MS_PER_HOUR	(60 * MS_PER_MIN)
#define MS_PER_DAY	(24 * MS_PER_HOUR)
#define UNIX_S_MAX	INT64_C(253402300799)	/* 9999-12-31T23:59:59Z */

static const char why_syntax[] = "not " PW_TIMESPEC_FORMS;
static const char why_clock[] = "not a time of day HH:MM or HH:MM:SS";
static const char why_large[] = "too far from now";
static const char why_sign[] = "a time before now takes a '-', as in -15m";
static const char why_zone[] = "the local time zone has no such time";

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
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

/* ".digits" at *sp, if any: milliseconds, the rest checked and dropped. */
static int
read_frac_ms(const char **sp, int *ms)
{
	const char *s = *sp;
	int i, frac = 0;

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
	*ms = frac;
	*sp = s;
	return 0;
}

int
pw_timespec_parse_rfc3339(const char *s, int64_t *ms_out)
{
	int y, mo, d, h, mi, sec, oh, om, frac;
	int64_t off_ms = 0;

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
	if (read_frac_ms(&s, &frac) < 0)
		return -EINVAL;

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
	*ms_out = days_from_civil(y, mo, d) * MS_PER_DAY + h * MS_PER_HOUR +
	    mi * MS_PER_MIN + sec * MS_PER_S + frac - off_ms;
	return 0;
}

/* "HH:MM" or "HH:MM:SS": the latest such local time not after now_ms. */
static int
parse_clock(const char *s, int64_t now_ms, int64_t *ms, const char **why)
{
	struct tm tm;
	time_t now_s, t;
	int h, mi, sec = 0;
	int64_t v;

	if (fixed_digits(s, 2, &h) < 0 || s[2] != ':' ||
	    fixed_digits(s + 3, 2, &mi) < 0 || h > 23 || mi > 59)
		goto out_clock;
	s += 5;
	if (*s == ':') {
		if (fixed_digits(s + 1, 2, &sec) < 0 || sec > 59)
			goto out_clock;
		s += 3;
	}
	if (*s != '\0')
		goto out_clock;

	now_s = (time_t)(now_ms >= 0 ? now_ms / 1000 : (now_ms - 999) / 1000);
	if (localtime_r(&now_s, &tm) == NULL)
		goto out_zone;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1)
		goto out_zone;
	v = (int64_t)t * MS_PER_S;
	if (v > now_ms) {
		/* Still to come today: yesterday's (mktime normalises day 0). */
		if (localtime_r(&now_s, &tm) == NULL)
			goto out_zone;
		tm.tm_mday--;
		tm.tm_hour = h;
		tm.tm_min = mi;
		tm.tm_sec = sec;
		tm.tm_isdst = -1;
		if ((t = mktime(&tm)) == (time_t)-1)
			goto out_zone;
		v = (int64_t)t * MS_PER_S;
	}
	*ms = v;
	return 0;
out_zone:
	*why = why_zone;
	return -EINVAL;
out_clock:
	*why = why_clock;
	return -EINVAL;
}

/* Unix seconds, digits with an optional fraction. */
static int
parse_unix(const char *s, int64_t *ms, const char **why)
{
	const char *start = s;
	int64_t v = 0;
	int frac;

	for (; is_digit(*s); s++) {
		v = v * 10 + (*s - '0');
		if (v > UNIX_S_MAX) {
			*why = why_large;
			return -EINVAL;
		}
	}
	if (read_frac_ms(&s, &frac) < 0 || *s != '\0') {
		*why = pw_duration_parse(start, 0, &v, NULL) == 0 ?
		    why_sign : why_syntax;
		return -EINVAL;
	}
	*ms = v * MS_PER_S + frac;
	return 0;
}

int
pw_timespec_parse(const char *s, int64_t now_ms, int64_t *ms,
    const char **why)
{
	const char *dummy;
	int64_t d;
	size_t n;

	if (why == NULL)
		why = &dummy;
	if (s == NULL || *s == '\0') {
		*why = why_syntax;
		return -EINVAL;
	}
	if (strcmp(s, "now") == 0) {
		*ms = now_ms;
		return 0;
	}
	if (s[0] == '-') {
		if (pw_duration_parse(s + 1, 0, &d, why) < 0)
			return -EINVAL;
		/* Before the epoch is no moment procwatch can have seen. */
		if (d > now_ms) {
			*why = why_large;
			return -EINVAL;
		}
		*ms = now_ms - d;
		return 0;
	}
	if (!is_digit(s[0])) {
		*why = why_syntax;
		return -EINVAL;
	}
	n = strspn(s, "0123456789");
	if (n == 4 && s[4] == '-') {
		if (pw_timespec_parse_rfc3339(s, ms) < 0) {
			*why = "not an RFC 3339 time such as "
			    "2026-12-05T03:12:00Z or 2026-12-05T04:12:00+01:00";
			return -EINVAL;
		}
		return 0;
	}
	if (n == 2 && s[2] == ':')
		return parse_clock(s, now_ms, ms, why);
	return parse_unix(s, ms, why);
}

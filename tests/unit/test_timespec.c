/*
 * tests/unit/test_timespec.c: the moments of lib/timespec.c: "now",
 * durations before now, RFC 3339, wall-clock times (today's, or
 * yesterday's when today's is still to come) in a fixed TZ, Unix seconds,
 * and that bad input leaves the output alone and says why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <procwatch/timespec.h>

#include "lib/pwutil.h"

/* 2026-12-05T03:12:00Z */
#define T0312		INT64_C(1796440320000)
#define DAY_MS		INT64_C(86400000)
#define HOUR_MS		INT64_C(3600000)

static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static void
test_timespec_now_and_relative(void **state)
{
	const int64_t now = T0312 + 7 * HOUR_MS + 123;
	int64_t ms;

	(void)state;
	assert_int_equal(pw_timespec_parse("now", now, &ms, NULL), 0);
	assert_int_equal(ms, now);
	assert_int_equal(pw_timespec_parse("-15m", now, &ms, NULL), 0);
	assert_int_equal(ms, now - 15 * 60000);
	assert_int_equal(pw_timespec_parse("-2h30m", now, &ms, NULL), 0);
	assert_int_equal(ms, now - 9000000);
	assert_int_equal(pw_timespec_parse("-1.5d", now, &ms, NULL), 0);
	assert_int_equal(ms, now - 36 * HOUR_MS);
	assert_int_equal(pw_timespec_parse("-0s", now, &ms, NULL), 0);
	assert_int_equal(ms, now);
}

static void
test_timespec_rfc3339(void **state)
{
	static const struct {
		const char	*s;
		int64_t		 ms;
	} good[] = {
		{ "2026-12-05T03:12:00Z", T0312 },
		{ "2026-12-05t03:12:00z", T0312 },
		{ "2026-12-05 03:12:00Z", T0312 },
		{ "2026-12-05T03:12:00.5Z", T0312 + 500 },
		{ "2026-12-05T03:12:00.123456Z", T0312 + 123 },
		{ "2026-12-05T04:12:00+01:00", T0312 },
		{ "2026-12-04T22:42:00-04:30", T0312 },
		{ "2026-12-05T03:11:60Z", T0312 },
		{ "1970-01-01T00:00:00Z", 0 },
	};
	int64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(good); i++) {
		ms = -1;
		if (pw_timespec_parse(good[i].s, 0, &ms, NULL) != 0)
			fail_msg("time \"%s\" was rejected", good[i].s);
		assert_int_equal(ms, good[i].ms);
		assert_int_equal(pw_timespec_parse_rfc3339(good[i].s, &ms), 0);
		assert_int_equal(ms, good[i].ms);
	}
}

static void
test_timespec_wall_clock_is_the_latest_past(void **state)
{
	int64_t ms;

	(void)state;
	set_tz("UTC0");
	/* At 05:00 today's 03:12 has passed. */
	assert_int_equal(pw_timespec_parse("03:12", T0312 + 108 * 60000 + 5,
	    &ms, NULL), 0);
	assert_int_equal(ms, T0312);
	assert_int_equal(pw_timespec_parse("03:12:30", T0312 + HOUR_MS, &ms,
	    NULL), 0);
	assert_int_equal(ms, T0312 + 30000);
	/* Exactly now is not the future. */
	assert_int_equal(pw_timespec_parse("03:12", T0312, &ms, NULL), 0);
	assert_int_equal(ms, T0312);
	/* At 01:00 it is still to come: last night's. */
	assert_int_equal(pw_timespec_parse("03:12", T0312 - 2 * HOUR_MS, &ms,
	    NULL), 0);
	assert_int_equal(ms, T0312 - DAY_MS);
	/* Local time: 03:12 CET is 02:12Z. */
	set_tz("CET-1");
	assert_int_equal(pw_timespec_parse("03:12", T0312 + 2 * HOUR_MS, &ms,
	    NULL), 0);
	assert_int_equal(ms, T0312 - HOUR_MS);
	set_tz("UTC0");
}

static void
test_timespec_unix_seconds(void **state)
{
	int64_t ms;

	(void)state;
	assert_int_equal(pw_timespec_parse("1796440320", 0, &ms, NULL), 0);
	assert_int_equal(ms, T0312);
	assert_int_equal(pw_timespec_parse("1796440320.25", 0, &ms, NULL), 0);
	assert_int_equal(ms, T0312 + 250);
	assert_int_equal(pw_timespec_parse("0", 5, &ms, NULL), 0);
	assert_int_equal(ms, 0);
}

static void
test_timespec_rejects_bad_input(void **state)
{
	static const char *const bad[] = {
		"", " now", "now ", "NOW", "yesterday", "-", "-90", "-5 m",
		"--5m", "+5m", "15m", "-1w", "2026-12-05", "2026-12-05T03:12Z",
		"2026-12-05T03:12:00", "2026-02-29T00:00:00Z",
		"2026-13-01T00:00:00Z", "2026-12-05T24:00:00Z",
		"2026-12-05T03:12:00+1:00", "2026-12-05T03:12:00Z ",
		"3:12", "03:1", "24:00", "03:60", "03:12:60", "03:12:", "03:12x",
		"1796440320.", "1796440320x", "99999999999999", "1e9",
		"-106751991167d",
	};
	const char *why;
	int64_t ms = 33;
	size_t i;

	(void)state;
	set_tz("UTC0");
	for (i = 0; i < NELEM(bad); i++) {
		why = NULL;
		if (pw_timespec_parse(bad[i], T0312, &ms, &why) != -EINVAL)
			fail_msg("time \"%s\" was accepted", bad[i]);
		if (why == NULL)
			fail_msg("time \"%s\": no reason", bad[i]);
		assert_int_equal(ms, 33);
	}
	assert_int_equal(pw_timespec_parse(NULL, 0, &ms, NULL), -EINVAL);
	assert_int_equal(pw_timespec_parse_rfc3339("03:12", &ms), -EINVAL);
	assert_int_equal(ms, 33);
}

static void
test_timespec_reasons(void **state)
{
	const char *why = NULL;
	int64_t ms;

	(void)state;
	assert_int_equal(pw_timespec_parse("15m", 0, &ms, &why), -EINVAL);
	assert_non_null(strstr(why, "-15m"));
	assert_int_equal(pw_timespec_parse("-90", 0, &ms, &why), -EINVAL);
	assert_non_null(strstr(why, "needs a unit"));
	assert_int_equal(pw_timespec_parse("25:00", 0, &ms, &why), -EINVAL);
	assert_non_null(strstr(why, "HH:MM"));
	assert_int_equal(pw_timespec_parse("-1s", 500, &ms, &why), -EINVAL);
	assert_string_equal(why, "too far from now");
	assert_int_equal(pw_timespec_parse("soon", 0, &ms, &why), -EINVAL);
	assert_non_null(strstr(why, "RFC 3339"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timespec_now_and_relative),
		cmocka_unit_test(test_timespec_rfc3339),
		cmocka_unit_test(test_timespec_wall_clock_is_the_latest_past),
		cmocka_unit_test(test_timespec_unix_seconds),
		cmocka_unit_test(test_timespec_rejects_bad_input),
		cmocka_unit_test(test_timespec_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * tests/unit/test_params.c: the strict query and path parsers of
 * api/params.c, good and bad input, and that a failed parse leaves the
 * output alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/types.h>

#include "api/api.h"
#include "api/params.h"
#include "lib/pwutil.h"

/* 2026-11-26T02:11:35Z */
#define T0	INT64_C(1795659095000)

static void
test_params_pid_accepts_positive_decimal(void **state)
{
	pid_t pid = 0;

	(void)state;
	assert_int_equal(api_parse_pid("1", &pid), 0);
	assert_int_equal(pid, 1);
	assert_int_equal(api_parse_pid("4242", &pid), 0);
	assert_int_equal(pid, 4242);
	assert_int_equal(api_parse_pid("2147483647", &pid), 0);
	assert_int_equal(pid, 2147483647);
	assert_int_equal(api_parse_pid("007", &pid), 0);
	assert_int_equal(pid, 7);
}

static void
test_params_pid_rejects_bad_input(void **state)
{
	static const char *const bad[] = {
		"", "0", "00", "-1", "+1", " 1", "1 ", "1a", "a1", "0x10",
		"1.0", "2147483648", "4294967297", "99999999999999999999999",
		"\t1", "1\n",
	};
	pid_t pid = 99;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		if (api_parse_pid(bad[i], &pid) != -EINVAL)
			fail_msg("pid \"%s\" was accepted", bad[i]);
		assert_int_equal(pid, 99);
	}
	assert_int_equal(api_parse_pid(NULL, &pid), -EINVAL);
	assert_int_equal(pid, 99);
}

static void
test_params_limit_accepts_range(void **state)
{
	size_t n = 0;

	(void)state;
	assert_int_equal(api_parse_limit("1", 1000000, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(api_parse_limit("1000000", 1000000, &n), 0);
	assert_int_equal(n, 1000000);
	assert_int_equal(api_parse_limit("50", 50, &n), 0);
	assert_int_equal(n, 50);
}

static void
test_params_limit_rejects_bad_input(void **state)
{
	static const char *const bad[] = {
		"", "0", "-1", "+5", " 5", "5 ", "5x", "1000001", "1e3",
		"18446744073709551616", "99999999999999999999999999",
	};
	size_t n = 77, i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		if (api_parse_limit(bad[i], 1000000, &n) != -EINVAL)
			fail_msg("limit \"%s\" was accepted", bad[i]);
		assert_int_equal(n, 77);
	}
	assert_int_equal(api_parse_limit(NULL, 1000000, &n), -EINVAL);
	assert_int_equal(api_parse_limit("1", 0, &n), -EINVAL);
	assert_int_equal(n, 77);
}

static void
test_params_rfc3339_utc(void **state)
{
	int64_t ms = 0;

	(void)state;
	assert_int_equal(api_parse_rfc3339("1970-01-01T00:00:00Z", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(api_parse_rfc3339("2026-11-26T02:11:35Z", &ms), 0);
	assert_int_equal(ms, T0);
	assert_int_equal(api_parse_rfc3339("2026-11-26t02:11:35z", &ms), 0);
	assert_int_equal(ms, T0);
	assert_int_equal(api_parse_rfc3339("2026-11-26 02:11:35Z", &ms), 0);
	assert_int_equal(ms, T0);
	assert_int_equal(api_parse_rfc3339("1969-12-31T23:59:59Z", &ms), 0);
	assert_int_equal(ms, -1000);
	assert_int_equal(api_parse_rfc3339("0000-01-01T00:00:00Z", &ms), 0);
	assert_int_equal(ms, INT64_C(-62167219200000));
	assert_int_equal(api_parse_rfc3339("9999-12-31T23:59:59Z", &ms), 0);
	assert_int_equal(ms, INT64_C(253402300799000));
}

static void
test_params_rfc3339_fractions(void **state)
{
	int64_t ms = 0;

	(void)state;
	assert_int_equal(api_parse_rfc3339("2026-11-26T02:11:35.123Z", &ms),
	    0);
	assert_int_equal(ms, T0 + 123);
	assert_int_equal(api_parse_rfc3339("2026-11-26T02:11:35.1Z", &ms), 0);
	assert_int_equal(ms, T0 + 100);
	assert_int_equal(api_parse_rfc3339("2026-11-26T02:11:35.05Z", &ms),
	    0);
	assert_int_equal(ms, T0 + 50);
	/* Digits past milliseconds are truncated, not rounded. */
	assert_int_equal(api_parse_rfc3339(
	    "2026-11-26T02:11:35.123999999Z", &ms), 0);
	assert_int_equal(ms, T0 + 123);
	assert_int_equal(api_parse_rfc3339("1969-12-31T23:59:59.999Z", &ms),
	    0);
	assert_int_equal(ms, -1);
}

static void
test_params_rfc3339_offsets(void **state)
{
	int64_t ms = 0;

	(void)state;
	assert_int_equal(api_parse_rfc3339("2026-11-26T03:11:35+01:00", &ms),
	    0);
	assert_int_equal(ms, T0);
	assert_int_equal(api_parse_rfc3339("2026-11-25T20:41:35-05:30", &ms),
	    0);
	assert_int_equal(ms, T0);
	assert_int_equal(api_parse_rfc3339("2026-11-26T02:11:35-00:00", &ms),
	    0);
	assert_int_equal(ms, T0);
	assert_int_equal(api_parse_rfc3339(
	    "2026-11-26T03:11:35.250+01:00", &ms), 0);
	assert_int_equal(ms, T0 + 250);
	/* An offset can move the date across a year boundary. */
	assert_int_equal(api_parse_rfc3339("2027-01-01T00:30:00+01:00", &ms),
	    0);
	assert_int_equal(ms, INT64_C(1798759800000));
}

static void
test_params_rfc3339_calendar(void **state)
{
	int64_t ms = 0, next = 0;

	(void)state;
	assert_int_equal(api_parse_rfc3339("2024-02-29T00:00:00Z", &ms), 0);
	assert_int_equal(api_parse_rfc3339("2000-02-29T00:00:00Z", &ms), 0);
	assert_int_equal(ms, INT64_C(951782400000));
	assert_int_equal(api_parse_rfc3339("2026-12-31T23:59:59Z", &ms), 0);
	/* A leap second reads as the first second of the next minute. */
	assert_int_equal(api_parse_rfc3339("2016-12-31T23:59:60Z", &ms), 0);
	assert_int_equal(api_parse_rfc3339("2017-01-01T00:00:00Z", &next), 0);
	assert_int_equal(ms, next);
}

static void
test_params_rfc3339_rejects_bad_input(void **state)
{
	static const char *const bad[] = {
		"",
		"2026-11-26",
		"2026-11-26T02:11:35",		/* no offset */
		"2026-11-26T02:11Z",
		"2026-11-26T02:11:35.Z",	/* empty fraction */
		"2026-11-26T02:11:35,5Z",
		"2026-11-26T02:11:35Zx",
		"2026-11-26T02:11:35+01:00x",
		"2026-11-26T02:11:35+0100",
		"2026-11-26T02:11:35+01",
		"2026-11-26T02:11:35+24:00",
		"2026-11-26T02:11:35+01:60",
		"2026-11-26T02:11:35 01:00",
		"2026-11-26X02:11:35Z",
		" 2026-11-26T02:11:35Z",
		"2026-11-26T02:11:35Z ",
		"+2026-11-26T02:11:35Z",
		"-2026-11-26T02:11:35Z",
		"20261-11-26T02:11:35Z",
		"2026-1-26T02:11:35Z",
		"2026-11-6T02:11:35Z",
		"2026-11-26T2:11:35Z",
		"2026-00-10T00:00:00Z",
		"2026-13-01T00:00:00Z",
		"2026-01-00T00:00:00Z",
		"2026-01-32T00:00:00Z",
		"2026-04-31T00:00:00Z",
		"2026-02-29T00:00:00Z",		/* not a leap year */
		"2100-02-29T00:00:00Z",		/* nor is 2100 */
		"2026-11-26T24:00:00Z",
		"2026-11-26T23:60:00Z",
		"2026-11-26T23:59:61Z",
		"2026-11-26T0a:11:35Z",
		"1795659095",
		"2026-11-26T02:11:35.123456789012345678901234567890Zz",
	};
	int64_t ms = 55;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		if (api_parse_rfc3339(bad[i], &ms) != -EINVAL)
			fail_msg("time \"%s\" was accepted", bad[i]);
		assert_int_equal(ms, 55);
	}
	assert_int_equal(api_parse_rfc3339(NULL, &ms), -EINVAL);
	assert_int_equal(ms, 55);
}

static void
test_params_rfc3339_round_trips_fmt(void **state)
{
	static const int64_t times[] = {
		0, 1, -1, 999, -999, T0 + 123, INT64_C(951782400000),
		INT64_C(-62167219200000), INT64_C(253402300799999),
		INT64_C(4102444800000),
	};
	char buf[API_RFC3339_LEN];
	int64_t ms;
	size_t i;

	(void)state;
	assert_int_equal(api_fmt_rfc3339(T0 + 123, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2026-11-26T02:11:35.123Z");
	assert_int_equal(api_fmt_rfc3339(-1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	for (i = 0; i < NELEM(times); i++) {
		assert_int_equal(api_fmt_rfc3339(times[i], buf, sizeof(buf)),
		    0);
		assert_int_equal(api_parse_rfc3339(buf, &ms), 0);
		assert_int_equal(ms, times[i]);
	}
	assert_int_equal(api_fmt_rfc3339(0, buf, API_RFC3339_LEN - 1),
	    -ENOSPC);
	assert_int_equal(api_fmt_rfc3339(INT64_C(253402300800000), buf,
	    sizeof(buf)), -EINVAL);
	assert_int_equal(api_fmt_rfc3339(INT64_C(-62167219200001), buf,
	    sizeof(buf)), -EINVAL);
	assert_int_equal(api_fmt_rfc3339(INT64_MIN, buf, sizeof(buf)),
	    -EINVAL);
	assert_int_equal(api_fmt_rfc3339(INT64_MAX, buf, sizeof(buf)),
	    -EINVAL);
}

static void
test_params_duration_units(void **state)
{
	static const struct {
		const char	*s;
		int64_t		 ms;
	} good[] = {
		{ "500ms", 500 },
		{ "30s", 30000 },
		{ "5m", 300000 },
		{ "1h", 3600000 },
		{ "2d", 172800000 },
		{ "30", 30000 },		/* bare number: seconds */
		{ "0", 0 },
		{ "0ms", 0 },
		{ "007s", 7000 },
		{ "9223372036854775807ms", INT64_MAX },
		{ "9223372036854775s", INT64_C(9223372036854775000) },
		{ "106751991167d", INT64_C(9223372036828800000) },
		/* procwatch/duration.h: fractions and several terms. */
		{ "1.5s", 1500 },
		{ "1.5", 1500 },		/* bare: seconds */
		{ "1h30m", 5400000 },
	};
	int64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(good); i++) {
		ms = -1;
		if (api_parse_duration(good[i].s, &ms) != 0)
			fail_msg("duration \"%s\" was rejected", good[i].s);
		assert_int_equal(ms, good[i].ms);
	}
}

static void
test_params_duration_rejects_bad_input(void **state)
{
	static const char *const bad[] = {
		"", "s", "ms", "-1s", "+1s", " 1s", "1s ", "1 s", "1.5ms",
		"1x", "1S", "1M", "1sm", "1ms5", "30m1h", "1w", "1e3",
		"9223372036854775808ms",	/* past INT64_MAX */
		"9223372036854776s",
		"106751991168d",
		"99999999999999999999999",
	};
	int64_t ms = 33;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		if (api_parse_duration(bad[i], &ms) != -EINVAL)
			fail_msg("duration \"%s\" was accepted", bad[i]);
		assert_int_equal(ms, 33);
	}
	assert_int_equal(api_parse_duration(NULL, &ms), -EINVAL);
	assert_int_equal(ms, 33);
}

static void
test_params_bool_words(void **state)
{
	static const char *const yes[] = {
		"1", "true", "yes", "on", "TRUE", "True", "YES", "On"
	};
	static const char *const no[] = {
		"0", "false", "no", "off", "FALSE", "No", "OFF"
	};
	bool b;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(yes); i++) {
		b = false;
		assert_int_equal(api_parse_bool(yes[i], &b), 0);
		assert_true(b);
	}
	for (i = 0; i < NELEM(no); i++) {
		b = true;
		assert_int_equal(api_parse_bool(no[i], &b), 0);
		assert_false(b);
	}
}

static void
test_params_bool_rejects_bad_input(void **state)
{
	static const char *const bad[] = {
		"", "2", "01", "-1", "t", "f", "y", "n", "tru", "truee",
		"yes ", " no", "on\n", "nope", "enabled",
	};
	bool b = true;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		if (api_parse_bool(bad[i], &b) != -EINVAL)
			fail_msg("bool \"%s\" was accepted", bad[i]);
		assert_true(b);
	}
	assert_int_equal(api_parse_bool(NULL, &b), -EINVAL);
	assert_true(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_pid_accepts_positive_decimal),
		cmocka_unit_test(test_params_pid_rejects_bad_input),
		cmocka_unit_test(test_params_limit_accepts_range),
		cmocka_unit_test(test_params_limit_rejects_bad_input),
		cmocka_unit_test(test_params_rfc3339_utc),
		cmocka_unit_test(test_params_rfc3339_fractions),
		cmocka_unit_test(test_params_rfc3339_offsets),
		cmocka_unit_test(test_params_rfc3339_calendar),
		cmocka_unit_test(test_params_rfc3339_rejects_bad_input),
		cmocka_unit_test(test_params_rfc3339_round_trips_fmt),
		cmocka_unit_test(test_params_duration_units),
		cmocka_unit_test(test_params_duration_rejects_bad_input),
		cmocka_unit_test(test_params_bool_words),
		cmocka_unit_test(test_params_bool_rejects_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

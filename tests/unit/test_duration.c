/*
 * tests/unit/test_duration.c: the duration grammar of lib/duration.c, good
 * and bad input, the bare-number form each caller chooses, and that a
 * failed parse leaves the output alone and says why.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <procwatch/duration.h>

#include "lib/pwutil.h"

static void
test_duration_units_and_terms(void **state)
{
	static const struct {
		const char	*s;
		int64_t		 ms;
	} good[] = {
		{ "0ms", 0 }, { "500ms", 500 }, { "30s", 30000 },
		{ "5m", 300000 }, { "1h", 3600000 }, { "2d", 172800000 },
		{ "007s", 7000 }, { "1.5s", 1500 }, { "0.001s", 1 },
		{ "1.25m", 75000 }, { "0.5d", 43200000 },
		{ "1h30m", 5400000 }, { "1d2h3m4s5ms", 93784005 },
		{ "1m0.5s", 60500 },
		{ "9223372036854775807ms", INT64_MAX },
		{ "106751991167d", INT64_C(9223372036828800000) },
	};
	int64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(good); i++) {
		ms = -1;
		if (pw_duration_parse(good[i].s, 0, &ms, NULL) != 0)
			fail_msg("duration \"%s\" was rejected", good[i].s);
		assert_int_equal(ms, good[i].ms);
	}
}

static void
test_duration_rejects_bad_input(void **state)
{
	static const char *const bad[] = {
		"", "s", "ms", ".5s", "1.s", "-1s", "+1s", " 1s", "1s ",
		"1 s", "1x", "1S", "1M", "1sm", "1ms5", "1h30", "1w", "1e3",
		"30m1h", "1m1m", "1s1ms1s", "1.5ms", "0.0001s",
		"1.0000000001s", "9223372036854775808ms", "106751991168d",
		"106751991167d1d", "99999999999999999999999ms",
	};
	const char *why;
	int64_t ms = 33;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		why = NULL;
		if (pw_duration_parse(bad[i], 1000, &ms, &why) != -EINVAL)
			fail_msg("duration \"%s\" was accepted", bad[i]);
		assert_non_null(why);
		assert_int_equal(ms, 33);
	}
	assert_int_equal(pw_duration_parse(NULL, 1000, &ms, NULL), -EINVAL);
	assert_int_equal(ms, 33);
}

static void
test_duration_bare_number_is_the_callers(void **state)
{
	const char *why = NULL;
	int64_t ms = 33;

	(void)state;
	/* The API: seconds. */
	assert_int_equal(pw_duration_parse("30", 1000, &ms, NULL), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(pw_duration_parse("1.5", 1000, &ms, NULL), 0);
	assert_int_equal(ms, 1500);
	/* The config: ambiguous, and the reason says what is missing. */
	ms = 33;
	assert_int_equal(pw_duration_parse("500", 0, &ms, &why), -EINVAL);
	assert_int_equal(ms, 33);
	assert_string_equal(why, "needs a unit (ms, s, m, h, d)");
	/* Only a number alone is bare: a trailing one lacks a unit. */
	why = NULL;
	assert_int_equal(pw_duration_parse("1h30", 1000, &ms, &why), -EINVAL);
	assert_string_equal(why, "needs a unit (ms, s, m, h, d)");
}

static void
test_duration_reasons(void **state)
{
	const char *why = NULL;
	int64_t ms;

	(void)state;
	assert_int_equal(pw_duration_parse("1.5ms", 0, &ms, &why), -EINVAL);
	assert_string_equal(why, "finer than a millisecond");
	assert_int_equal(pw_duration_parse("106751991168d", 0, &ms, &why),
	    -EINVAL);
	assert_string_equal(why, "too large");
	assert_int_equal(pw_duration_parse("5m1h", 0, &ms, &why), -EINVAL);
	assert_non_null(strstr(why, "largest to smallest"));
	assert_int_equal(pw_duration_parse("5 s", 0, &ms, &why), -EINVAL);
	assert_non_null(strstr(why, "not a duration"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_units_and_terms),
		cmocka_unit_test(test_duration_rejects_bad_input),
		cmocka_unit_test(test_duration_bare_number_is_the_callers),
		cmocka_unit_test(test_duration_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

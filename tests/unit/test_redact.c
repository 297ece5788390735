/*
 * test_redact.c: lib/redact.c, secrets out of command lines.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/redact.h>

/* The redacted form of `in` with the default words ("=" if unchanged). */
static void
expect(const char *in, const char *want)
{
	char *got;
	int err = 1;

	got = pw_redact_cmdline(in, NULL, 0, &err);
	assert_int_equal(err, 0);
	if (strcmp(want, "=") == 0) {
		if (got != NULL)
			print_error("in: %s\ngot: %s\n", in, got);
		assert_null(got);
		return;
	}
	if (got == NULL)
		print_error("in: %s\nnot redacted, want: %s\n", in, want);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void
test_redact_forms(void **state)
{
	(void)state;
	/* The example: neither string survives. */
	expect("app --password=hunter2 token=abc",
	    "app --password=*** token=***");
	/* The value after an option. */
	expect("mysql --password hunter2 -h db", "mysql --password *** -h db");
	expect("x --auth-token t0k -v", "x --auth-token *** -v");
	/* ... unless it is an option itself. */
	expect("x --password --verbose", "=");
	/* Any case, inside a longer name. */
	expect("env DB_PASSWD=s3 API_KEY=k ./run", "env DB_PASSWD=*** API_KEY=*** ./run");
	expect("x --client-Secret=abc", "x --client-Secret=***");
	expect("x -credentials=/etc/c.json", "x -credentials=***");
	/* Credentials in a URL. */
	expect("psql postgres://app:pw@db:5432/app",
	    "psql postgres://app:***@db:5432/app");
	expect("curl https://user@host/x", "=");
	expect("curl https://host/a:b@c", "=");
	/* Nothing to hide. */
	expect("nginx: worker process", "=");
	expect("sleep 60", "=");
	expect("", "=");
	/* Spaces are kept as they were. */
	expect("  a  token=x  b ", "  a  token=***  b ");
	/* An option last, with nothing after it. */
	expect("x --password", "=");
	/* An empty value is masked too. */
	expect("x password=", "x password=***");
}

static void
test_redact_words(void **state)
{
	static const char *const words[] = { "pin" };
	char *got;
	int err;

	(void)state;
	got = pw_redact_cmdline("x --pin 1234 --password=p", words, 1, &err);
	assert_non_null(got);
	assert_string_equal(got, "x --pin *** --password=p");
	free(got);
	assert_null(pw_redact_cmdline(NULL, NULL, 0, &err));
	assert_int_equal(err, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_forms),
		cmocka_unit_test(test_redact_words),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_template.c: lib/template.c, checking alert message templates.
 * Rendering is tested through the engine, in test_rules.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>

#include <procwatch/rules.h>

static void
test_template_check_placeholders(void **state)
{
	(void)state;
	assert_int_equal(pw_rule_template_check("ok {value:.3f} {pid}", NULL),
	    0);
	assert_int_equal(pw_rule_template_check("{value} {threshold} {clear} "
	    "{metric} {name} {pid} {target} {rule} {severity} {last_exit}",
	    NULL), 0);
	assert_int_equal(pw_rule_template_check("{value:.0f}{value:.9f}",
	    NULL), 0);
	assert_int_equal(pw_rule_template_check("", NULL), 0);
}

static void
test_template_check_rejects_unknown(void **state)
{
	size_t at = 99;

	(void)state;
	assert_int_equal(pw_rule_template_check("bad {nope} x", &at), -EINVAL);
	assert_int_equal(at, 4);
	assert_int_equal(pw_rule_template_check("{value:.f}", NULL), -EINVAL);
	assert_int_equal(pw_rule_template_check("{value:.10f}", NULL),
	    -EINVAL);
	assert_int_equal(pw_rule_template_check("open {value", &at), -EINVAL);
	assert_int_equal(at, 5);
}

static void
test_template_check_literal_brace(void **state)
{
	(void)state;
	assert_int_equal(pw_rule_template_check("{{literal}", NULL), 0);
	assert_int_equal(pw_rule_template_check("a {{ b }} c", NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_check_placeholders),
		cmocka_unit_test(test_template_check_rejects_unknown),
		cmocka_unit_test(test_template_check_literal_brace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

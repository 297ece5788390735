/*
 * test_rule.c: lib/rule.c, alert rules: the built-ins, which metrics a
 * rule may name (the catalogue's rows, "target_" and "custom:" names),
 * copies and the names of the enums.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/metric.h>
#include <procwatch/rules.h>

static void
test_rule_builtins(void **state)
{
	struct pw_rule r;
	size_t i;

	(void)state;
	for (i = 0; pw_rule_builtin_name(i) != NULL; i++) {
		assert_int_equal(pw_rule_builtin(pw_rule_builtin_name(i), &r),
		    0);
		assert_true(pw_rule_metric_valid(r.metric));
		assert_int_equal(pw_rule_template_check(r.message, NULL), 0);
		pw_rule_fini(&r);
	}
	assert_int_equal(i, 9);
	/* Waiting, not working: a minute over the line (issue 19). */
	assert_int_equal(pw_rule_builtin("cpu_starved", &r), 0);
	assert_string_equal(r.metric, "cpu_delay_percent");
	assert_int_equal(r.op, PW_OP_GT);
	assert_true(r.threshold == 20);
	assert_int_equal(r.for_ms, 60000);
	assert_int_equal(r.severity, PW_ASEV_WARNING);
	assert_int_equal(r.scope, PW_SCOPE_PROCESS);
	pw_rule_fini(&r);
	assert_int_equal(pw_rule_builtin("io_stalled", &r), 0);
	assert_string_equal(r.metric, "io_delay_percent");
	assert_true(r.threshold == 30);
	assert_int_equal(r.for_ms, 60000);
	pw_rule_fini(&r);
	assert_int_equal(pw_rule_builtin("process_down", &r), 0);
	assert_string_equal(r.metric, "target_processes");
	assert_int_equal(r.op, PW_OP_LT);
	assert_true(r.threshold == 1);
	assert_int_equal(r.severity, PW_ASEV_CRITICAL);
	assert_int_equal(r.for_ms, 0);
	assert_int_equal(r.scope, PW_SCOPE_GROUP);
	assert_int_equal(r.bound, PW_BOUND_MIN_PROCESSES);
	pw_rule_fini(&r);
	assert_int_equal(pw_rule_builtin("too_many_processes", &r), 0);
	assert_string_equal(r.metric, "processes");
	assert_int_equal(r.op, PW_OP_GT);
	assert_int_equal(r.severity, PW_ASEV_WARNING);
	assert_int_equal(r.for_ms, 0);
	assert_int_equal(r.scope, PW_SCOPE_GROUP);
	assert_int_equal(r.bound, PW_BOUND_MAX_PROCESSES);
	pw_rule_fini(&r);
	assert_int_equal(pw_rule_builtin("high_cpu", &r), 0);
	assert_string_equal(r.metric, "cpu_percent");
	assert_int_equal(r.op, PW_OP_GT);
	assert_true(r.threshold == 90);
	assert_int_equal(r.scope, PW_SCOPE_PROCESS);
	assert_int_equal(r.bound, PW_BOUND_NONE);
	pw_rule_fini(&r);
	assert_int_equal(pw_rule_builtin("high_memory", &r), 0);
	assert_string_equal(r.metric, "memory_percent");
	assert_true(r.threshold == 85);
	pw_rule_fini(&r);
	assert_int_equal(pw_rule_builtin("file_handle_leak", &r), 0);
	assert_true(r.threshold == 1000);
	pw_rule_fini(&r);
	assert_int_equal(pw_rule_builtin("nope", &r), -ENOENT);
}

/* Every row a rule may name is valid in its scopes, and only there. */
static void
test_rule_metrics_from_catalogue(void **state)
{
	const struct pw_metric_def *d;
	char name[96];
	unsigned i, n = 0;
	bool p, g;

	(void)state;
	for (i = 0; i < PW_METRIC_NROWS; i++) {
		d = pw_metric_def((enum pw_metric)i);
		p = (d->flags & PW_MF_RULE_PROCESS) != 0;
		g = (d->flags & PW_MF_RULE_GROUP) != 0;
		if (!p && !g)
			continue;
		assert_int_equal(pw_rule_metric_scope_valid(d->name,
		    PW_SCOPE_PROCESS), p);
		assert_int_equal(pw_rule_metric_scope_valid(d->name,
		    PW_SCOPE_GROUP), g);
		snprintf(name, sizeof(name), "target_%s", d->name);
		assert_int_equal(pw_rule_metric_valid(name), g);
	}
	/* 25 names, as rules have always had, 7 of delays and PSS, 20 of a
	 * group's cgroup (issue 19). */
	for (i = 0; i < PW_METRIC_NROWS; i++)
		if (pw_metric_def((enum pw_metric)i)->flags &
		    (PW_MF_RULE_PROCESS | PW_MF_RULE_GROUP))
			n++;
	assert_int_equal(n, 52);
	assert_false(pw_rule_metric_valid("cpu_precent"));	/* a typo */
	assert_false(pw_rule_metric_valid("rss"));		/* a prefix */
	/* A row no rule reads is no built-in: only a custom series. */
	assert_false(pw_rule_metric_scope_valid("up", PW_SCOPE_GROUP));
	assert_true(pw_rule_metric_valid("custom:queue_depth"));
	assert_true(pw_rule_metric_valid("queue_depth"));
	assert_false(pw_rule_metric_scope_valid("queue_depth",
	    PW_SCOPE_GROUP));
}

static void
test_rule_copy_and_names(void **state)
{
	struct pw_rule r, c;
	enum pw_rule_op op;
	enum pw_agg agg;

	(void)state;
	assert_int_equal(pw_rule_builtin("fd_exhaustion", &r), 0);
	assert_string_equal(r.metric, "fd_usage");
	assert_int_equal(pw_rule_copy(&c, &r), 0);
	assert_string_equal(c.name, r.name);
	assert_ptr_not_equal(c.metric, r.metric);
	pw_rule_fini(&r);
	pw_rule_fini(&c);
	pw_rule_fini(NULL);
	assert_int_equal(pw_rule_op_parse(">=", &op), 0);
	assert_int_equal(op, PW_OP_GE);
	assert_string_equal(pw_rule_op_name(op), ">=");
	assert_int_equal(pw_agg_parse("max", &agg), 0);
	assert_string_equal(pw_agg_name(agg), "max");
	assert_int_equal(pw_agg_parse("median", &agg), -EINVAL);
	assert_string_equal(pw_rule_scope_name(PW_SCOPE_GROUP), "group");
	assert_string_equal(pw_alert_state_name(PW_ALERT_FIRING), "firing");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_builtins),
		cmocka_unit_test(test_rule_metrics_from_catalogue),
		cmocka_unit_test(test_rule_copy_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

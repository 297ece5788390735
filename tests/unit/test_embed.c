/*
 * test_embed.c: the embedding facade (procwatch/procwatch.h, lib/embed.c)
 * on the fake tree tests/fixtures/proc/basic: config checks, a snapshot
 * after a cycle, collectors and their series read back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <procwatch/procwatch.h>

#define BASIC	PW_FIXTURES "/proc/basic"

static int
new_with(const struct pw_embed_target *t, size_t n, struct pw_embed **out,
    char *err, size_t errlen)
{
	struct pw_embed_config c = { 0 };

	c.proc_root = BASIC;
	c.targets = t;
	c.ntargets = n;
	return pw_embed_new(&c, out, err, errlen);
}

static void
test_embed_new_rejects_unknown_selector(void **state)
{
	struct pw_embed_target t = { "web", "nosuch", "x", false };
	struct pw_embed *pw = NULL;
	char err[128];

	(void)state;
	assert_int_equal(new_with(&t, 1, &pw, err, sizeof(err)), -EINVAL);
	assert_null(pw);
	assert_non_null(strstr(err, "unknown selector"));
}

static void
test_embed_new_rejects_duplicate_names(void **state)
{
	struct pw_embed_target t[2] = {
		{ "web", "name", "webserver", false },
		{ "web", "pid", "200", false },
	};
	struct pw_embed *pw = NULL;
	char err[128];

	(void)state;
	assert_int_equal(new_with(t, 2, &pw, err, sizeof(err)), -EINVAL);
	assert_null(pw);
	assert_non_null(strstr(err, "duplicate"));
}

static void
test_embed_new_rejects_bad_target_argument(void **state)
{
	struct pw_embed_target t = { "p", "pid", "not-a-pid", false };
	struct pw_embed *pw = NULL;
	char err[128];

	(void)state;
	assert_int_equal(new_with(&t, 1, &pw, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "target p:"));
}

static void
test_embed_new_rejects_interval_out_of_range(void **state)
{
	struct pw_embed_config c = { 0 };
	struct pw_embed *pw = NULL;

	(void)state;
	c.proc_root = BASIC;
	c.interval_ms = 5;
	assert_int_equal(pw_embed_new(&c, &pw, NULL, 0), -EINVAL);
	c.interval_ms = 0;
	c.history = 1;
	assert_int_equal(pw_embed_new(&c, &pw, NULL, 0), -EINVAL);
	assert_null(pw);
	pw_embed_free(NULL);
	pw_embed_snapshot_free(NULL);
}

static void
test_embed_snapshot_after_cycle(void **state)
{
	struct pw_embed_target t = { "web", "name", "webserver", false };
	struct pw_embed_snapshot *snap;
	struct pw_embed *pw;

	(void)state;
	assert_int_equal(new_with(&t, 1, &pw, NULL, 0), 0);
	assert_int_equal(pw_embed_snapshot(pw, false, &snap), 0);
	assert_int_equal(snap->n, 0);		/* no cycle yet */
	pw_embed_snapshot_free(snap);

	assert_int_equal(pw_embed_cycle(pw), 0);
	assert_int_equal(pw_embed_snapshot(pw, false, &snap), 0);
	assert_int_equal(snap->n, 1);
	assert_true(snap->taken_ms > 0);
	assert_int_equal(snap->mem_total, 16777216000ULL);
	assert_int_equal(snap->procs[0].pid, 100);
	assert_int_equal(snap->procs[0].uid, 1000);
	assert_string_equal(snap->procs[0].name, "webserver");
	assert_string_equal(snap->procs[0].target, "web");
	assert_string_equal(snap->procs[0].cmdline,
	    "/usr/bin/webserver --port 8080");
	assert_true(snap->procs[0].alive);
	assert_true(snap->procs[0].has_sample);
	assert_int_equal(snap->procs[0].latest.rss_bytes, 8388608);
	assert_int_equal(snap->procs[0].latest.threads, 2);
	pw_embed_snapshot_free(snap);
	pw_embed_free(pw);
}

static int
emit_host(void *arg, const struct pw_collect *c)
{
	(void)arg;
	assert_null(c->target);
	return c->emit(c->emitter, "embed_host", 42, NULL, 0);
}

static int
emit_target(void *arg, const struct pw_collect *c)
{
	int *calls = arg;

	(*calls)++;
	assert_non_null(c->target);
	return c->emit(c->emitter, "embed_per_target",
	    strcmp(c->target, "web") == 0 ? 1 : 2, NULL, 0);
}

static void
test_embed_sources_series_read_back(void **state)
{
	struct pw_embed_target t[2] = {
		{ "web", "name", "webserver", false },
		{ "k", "pid", "300", false },
	};
	struct pw_embed *pw;
	double v;
	int calls = 0;

	(void)state;
	assert_int_equal(new_with(t, 2, &pw, NULL, 0), 0);
	assert_int_equal(pw_embed_add_source(pw, "host", PW_COLLECT_HOST,
	    emit_host, NULL), 0);
	assert_int_equal(pw_embed_add_source(pw, "each",
	    PW_COLLECT_PER_TARGET, emit_target, &calls), 0);
	assert_int_equal(pw_embed_add_source(pw, "", PW_COLLECT_HOST,
	    emit_host, NULL), -EINVAL);
	assert_int_equal(pw_embed_add_source(pw, "flags", 0x80, emit_host,
	    NULL), -EINVAL);
	assert_int_equal(pw_embed_series(pw, "embed_host", NULL, &v, NULL),
	    -ENOENT);
	assert_int_equal(pw_embed_cycle(pw), 0);
	assert_int_equal(calls, 2);
	assert_int_equal(pw_embed_series(pw, "embed_host", NULL, &v, NULL),
	    0);
	assert_true(v == 42);
	assert_int_equal(pw_embed_series(pw, "embed_per_target", "web", &v,
	    NULL), 0);
	assert_true(v == 1);
	assert_int_equal(pw_embed_series(pw, "embed_per_target", "k", &v,
	    NULL), 0);
	assert_true(v == 2);
	pw_embed_free(pw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_embed_new_rejects_unknown_selector),
		cmocka_unit_test(test_embed_new_rejects_duplicate_names),
		cmocka_unit_test(test_embed_new_rejects_bad_target_argument),
		cmocka_unit_test(test_embed_new_rejects_interval_out_of_range),
		cmocka_unit_test(test_embed_snapshot_after_cycle),
		cmocka_unit_test(test_embed_sources_series_read_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_custom.c: custom metric series (lib/custom.c): validation, rings,
 * the series cap, staleness, lookups, exec output parsing, the plugin
 * descriptor check and the embedding API (collectors on a monitor).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/custom.h>
#include <procwatch/monitor.h>
#include <procwatch/plugin.h>
#include <procwatch/rules.h>

static struct pw_custom_point
pt_host(const char *name, double v, int64_t ts)
{
	struct pw_custom_point p;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.scope = PW_CUSTOM_HOST;
	p.value = v;
	p.ts_ms = ts;
	return p;
}

static void
test_custom_name_validation(void **state)
{
	char longname[PW_CUSTOM_NAME_MAX + 2];

	(void)state;
	assert_true(pw_custom_name_valid("queue_size"));
	assert_true(pw_custom_name_valid("_x:y9"));
	assert_true(pw_custom_name_valid(":a"));
	assert_false(pw_custom_name_valid(""));
	assert_false(pw_custom_name_valid("9lives"));
	assert_false(pw_custom_name_valid("a-b"));
	assert_false(pw_custom_name_valid("a b"));
	assert_false(pw_custom_name_valid("caf\xc3\xa9"));
	assert_false(pw_custom_name_valid(NULL));
	memset(longname, 'a', sizeof(longname));
	longname[PW_CUSTOM_NAME_MAX] = '\0';
	assert_true(pw_custom_name_valid(longname));
	longname[PW_CUSTOM_NAME_MAX] = 'a';
	longname[PW_CUSTOM_NAME_MAX + 1] = '\0';
	assert_false(pw_custom_name_valid(longname));
}

static void
test_custom_label_validation(void **state)
{
	char v[PW_CUSTOM_LVALUE_MAX + 2];

	(void)state;
	assert_true(pw_custom_label_name_valid("queue"));
	assert_true(pw_custom_label_name_valid("_q1"));
	assert_false(pw_custom_label_name_valid("__name__"));
	assert_false(pw_custom_label_name_valid("1q"));
	assert_false(pw_custom_label_name_valid("a:b"));
	assert_false(pw_custom_label_name_valid("pid"));
	assert_false(pw_custom_label_name_valid("target"));
	assert_true(pw_custom_label_value_valid(""));
	assert_true(pw_custom_label_value_valid("h\xc3\xa9llo \xe2\x82\xac"));
	assert_false(pw_custom_label_value_valid("\xff"));
	assert_false(pw_custom_label_value_valid("\xc0\xaf"));	/* overlong */
	assert_false(pw_custom_label_value_valid("\xed\xa0\x80")); /* surrogate */
	assert_false(pw_custom_label_value_valid("a\nb"));
	memset(v, 'x', sizeof(v));
	v[PW_CUSTOM_LVALUE_MAX] = '\0';
	assert_true(pw_custom_label_value_valid(v));
	v[PW_CUSTOM_LVALUE_MAX] = 'x';
	v[PW_CUSTOM_LVALUE_MAX + 1] = '\0';
	assert_false(pw_custom_label_value_valid(v));
}

static void
test_custom_put_refuses_bad_values(void **state)
{
	struct pw_custom *c = pw_custom_new(NULL);
	struct pw_custom_label l[2] = { { "a", "1" }, { "a", "2" } };
	struct pw_custom_point p;
	char err[160];

	(void)state;
	assert_non_null(c);
	p = pt_host("q", NAN, 1);
	assert_int_equal(pw_custom_put(c, &p, NULL, 1, err, sizeof(err)),
	    -EINVAL);
	assert_string_equal(err, "value: must be a finite number");
	p = pt_host("q", INFINITY, 1);
	assert_int_equal(pw_custom_put(c, &p, NULL, 1, err, sizeof(err)),
	    -EINVAL);
	p = pt_host("bad name", 1, 1);
	assert_int_equal(pw_custom_put(c, &p, NULL, 1, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "name:"));
	p = pt_host("q", 1, 1);
	p.labels = l;
	p.nlabels = 2;
	assert_int_equal(pw_custom_put(c, &p, NULL, 1, err, sizeof(err)),
	    -EINVAL);
	assert_non_null(strstr(err, "repeated"));
	p.nlabels = PW_CUSTOM_LABELS_MAX + 1;
	assert_int_equal(pw_custom_put(c, &p, NULL, 1, err, sizeof(err)),
	    -EINVAL);
	p = pt_host("q", 1, 1);
	p.scope = PW_CUSTOM_TARGET;
	p.target = "has space";
	assert_int_equal(pw_custom_put(c, &p, NULL, 1, err, sizeof(err)),
	    -EINVAL);
	pw_custom_free(c);
}

static void
test_custom_ring_keeps_newest(void **state)
{
	struct pw_custom_config cfg = { 0, 4, 0, 0 };
	struct pw_custom *c = pw_custom_new(&cfg);
	struct pw_custom_point p;
	int64_t *ts;
	double *v, val;
	size_t n, i;

	(void)state;
	for (i = 1; i <= 10; i++) {
		p = pt_host("q", (double)i, (int64_t)i * 1000);
		assert_int_equal(pw_custom_put(c, &p, "t", 10000, NULL, 0), 0);
	}
	/* An older point is ignored, the ring stays sorted. */
	p = pt_host("q", 99, 500);
	assert_int_equal(pw_custom_put(c, &p, "t", 10000, NULL, 0), 0);
	assert_int_equal(pw_custom_points(c, "q", 0, NULL, INT64_MIN, &ts, &v,
	    &n), 0);
	assert_int_equal(n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(ts[i], (int64_t)(7 + i) * 1000);
		assert_true(v[i] == (double)(7 + i));
	}
	free(ts);
	free(v);
	assert_int_equal(pw_custom_points(c, "q", 0, NULL, 8000, &ts, &v,
	    &n), 0);
	assert_int_equal(n, 2);
	free(ts);
	free(v);
	assert_int_equal(pw_custom_lookup(c, "q", 0, NULL, &val, NULL), 0);
	assert_true(val == 10.0);
	assert_int_equal(pw_custom_lookup(c, "nope", 0, NULL, &val, NULL),
	    -ENOENT);
	pw_custom_free(c);
}

static void
test_custom_max_series_is_enforced(void **state)
{
	struct pw_custom_config cfg = { 2, 0, 0, 0 };
	struct pw_custom *c = pw_custom_new(&cfg);
	struct pw_custom_point p;
	char err[160];
	size_t n, max;

	(void)state;
	p = pt_host("a", 1, 1);
	assert_int_equal(pw_custom_put(c, &p, NULL, 1, err, sizeof(err)), 0);
	p = pt_host("b", 1, 1);
	assert_int_equal(pw_custom_put(c, &p, NULL, 1, err, sizeof(err)), 0);
	p = pt_host("c", 1, 1);
	assert_int_equal(pw_custom_put(c, &p, NULL, 1, err, sizeof(err)),
	    -ENOSPC);
	assert_non_null(strstr(err, "custom_max_series"));
	p = pt_host("a", 2, 2);		/* an existing series still takes it */
	assert_int_equal(pw_custom_put(c, &p, NULL, 2, err, sizeof(err)), 0);
	pw_custom_counts(c, &n, &max);
	assert_int_equal(n, 2);
	assert_int_equal(max, 2);
	pw_custom_free(c);
}

static void
test_custom_stale_then_dropped(void **state)
{
	struct pw_custom_config cfg = { 0, 0, 1000, 5000 };
	struct pw_custom *c = pw_custom_new(&cfg);
	struct pw_custom_point p;
	struct pw_custom_view *v;
	size_t n;
	double val;

	(void)state;
	p = pt_host("q", 3, 0);
	assert_int_equal(pw_custom_put(c, &p, NULL, 0, NULL, 0), 0);
	assert_int_equal(pw_custom_expire(c, 500), 0);
	assert_int_equal(pw_custom_lookup(c, "q", 0, NULL, &val, NULL), 0);
	assert_int_equal(pw_custom_expire(c, 1500), 0);
	assert_int_equal(pw_custom_copy(c, 0, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_true(v[0].is_stale);
	pw_custom_views_free(v, n);
	/* Stale series are not used by rules. */
	assert_int_equal(pw_custom_lookup(c, "q", 0, NULL, &val, NULL),
	    -ENOENT);
	/* A new point makes it fresh again. */
	p.ts_ms = 1600;
	assert_int_equal(pw_custom_put(c, &p, NULL, 1600, NULL, 0), 0);
	assert_int_equal(pw_custom_lookup(c, "q", 0, NULL, &val, NULL), 0);
	assert_int_equal(pw_custom_expire(c, 6700), 1);
	assert_int_equal(pw_custom_copy(c, 0, &v, &n), 0);
	assert_int_equal(n, 0);
	pw_custom_free(c);
}

static void
test_custom_lookup_prefers_process_then_target(void **state)
{
	struct pw_custom *c = pw_custom_new(NULL);
	struct pw_custom_label l[2] = { { "z", "1" }, { "a", "2" } };
	struct pw_custom_label r[2] = { { "a", "2" }, { "z", "1" } };
	struct pw_custom_point p;
	struct pw_custom_view *v;
	size_t n;
	double val;

	(void)state;
	p = pt_host("q", 1, 1);
	assert_int_equal(pw_custom_put(c, &p, NULL, 1, NULL, 0), 0);
	assert_int_equal(pw_custom_lookup(c, "q", 7, "web", &val, NULL), 0);
	assert_true(val == 1);
	p.scope = PW_CUSTOM_TARGET;
	p.target = "web";
	p.value = 2;
	assert_int_equal(pw_custom_put(c, &p, NULL, 1, NULL, 0), 0);
	assert_int_equal(pw_custom_lookup(c, "q", 7, "web", &val, NULL), 0);
	assert_true(val == 2);
	assert_int_equal(pw_custom_lookup(c, "q", 7, "db", &val, NULL), 0);
	assert_true(val == 1);
	p.scope = PW_CUSTOM_PROC;
	p.proc_id = 7;
	p.pid = 700;
	p.value = 3;
	assert_int_equal(pw_custom_put(c, &p, NULL, 1, NULL, 0), 0);
	assert_int_equal(pw_custom_lookup(c, "q", 7, "web", &val, NULL), 0);
	assert_true(val == 3);
	assert_int_equal(pw_custom_lookup(c, "q", 8, "web", &val, NULL), 0);
	assert_true(val == 2);
	/* Labels in any order name the same series. */
	p = pt_host("lab", 1, 1);
	p.labels = l;
	p.nlabels = 2;
	assert_int_equal(pw_custom_put(c, &p, NULL, 1, NULL, 0), 0);
	p.labels = r;
	p.ts_ms = 2;
	assert_int_equal(pw_custom_put(c, &p, NULL, 2, NULL, 0), 0);
	assert_int_equal(pw_custom_copy(c, 7, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].pid, 700);
	pw_custom_views_free(v, n);
	assert_int_equal(pw_custom_copy(c, 0, &v, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].name, "lab");
	assert_int_equal(v[0].nlabels, 2);
	assert_string_equal(v[0].lnames[0], "a");
	assert_int_equal(v[0].npoints, 2);
	pw_custom_views_free(v, n);
	pw_custom_drop_proc(c, 7);
	assert_int_equal(pw_custom_copy(c, 7, &v, &n), 0);
	assert_int_equal(n, 0);
	pw_custom_free(c);
}

/* --- exec output ------------------------------------------------------------ */

struct got {
	size_t	n;
	char	name[8][PW_CUSTOM_NAME_MAX + 1];
	double	v[8];
	size_t	nl[8];
	char	lv[8][64];
};

static int
collect_cb(void *arg, const char *name, const struct pw_custom_label *l,
    size_t nl, double v)
{
	struct got *g = arg;

	if (g->n < 8) {
		snprintf(g->name[g->n], sizeof(g->name[0]), "%s", name);
		g->v[g->n] = v;
		g->nl[g->n] = nl;
		if (nl > 0)
			snprintf(g->lv[g->n], sizeof(g->lv[0]), "%s=%s",
			    l[0].name, l[0].value);
	}
	g->n++;
	return 0;
}

static int
parse(const char *s, struct got *g, size_t *bad, char *err)
{
	memset(g, 0, sizeof(*g));
	return pw_custom_parse_output(s, strlen(s), collect_cb, g, bad, err,
	    160);
}

static void
test_custom_parse_good_lines(void **state)
{
	struct got g;
	size_t bad;
	char err[160];

	(void)state;
	assert_int_equal(parse("# comment\nqueue_size 42\n\n"
	    "  hits{cache=\"l1\",zone=\"a \\\"b\\\"\"} 1.5e3\r\n"
	    "neg -7\nlast 0", &g, &bad, err), 4);
	assert_int_equal(bad, 0);
	assert_string_equal(g.name[0], "queue_size");
	assert_true(g.v[0] == 42);
	assert_string_equal(g.name[1], "hits");
	assert_true(g.v[1] == 1500);
	assert_int_equal(g.nl[1], 2);
	assert_string_equal(g.lv[1], "cache=l1");
	assert_true(g.v[2] == -7);
	assert_string_equal(g.name[3], "last");
}

static void
test_custom_parse_partial_counts_bad_lines(void **state)
{
	struct got g;
	size_t bad;
	char err[160];

	(void)state;
	assert_int_equal(parse("good 1\nbad-name 2\nnovalue\nnan NaN\n"
	    "inf inf\nhex 0x10\ntrail 1 2\nok 3\n", &g, &bad, err), 2);
	assert_int_equal(bad, 6);
	assert_non_null(strstr(err, "line 2: "));
	assert_string_equal(g.name[1], "ok");
}

static void
test_custom_parse_garbage(void **state)
{
	static const char bin[] = "\x7f" "ELF\x02\x01\x01\x00\x00\x00\xff\xfe";
	struct got g;
	size_t bad;
	char err[160];

	(void)state;
	memset(&g, 0, sizeof(g));
	assert_int_equal(pw_custom_parse_output(bin, sizeof(bin) - 1,
	    collect_cb, &g, &bad, err, sizeof(err)), 0);
	assert_int_equal(bad, 1);
	assert_int_equal(g.n, 0);
	assert_int_equal(parse("", &g, &bad, err), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(parse("{{{", &g, &bad, err), 0);
	assert_int_equal(bad, 1);
	assert_non_null(strstr(err, "JSON"));
}

static void
test_custom_parse_non_utf8_label_is_bad(void **state)
{
	struct got g;
	size_t bad;
	char err[160];

	(void)state;
	assert_int_equal(parse("a{l=\"\xff\xfe\"} 1\nb{l=\"ok\"} 2\n"
	    "c{__x=\"1\"} 3\nd{l=\"unterminated} 4\n", &g, &bad, err), 1);
	assert_int_equal(bad, 3);
	assert_string_equal(g.name[0], "b");
	assert_non_null(strstr(err, "UTF-8"));
}

static void
test_custom_parse_huge_is_capped(void **state)
{
	size_t len = 0, cap = 3000 * 16 + 5000, i, bad;
	struct got g;
	char *buf = malloc(cap), err[160];
	int rc;

	(void)state;
	assert_non_null(buf);
	for (i = 0; i < 3000; i++)
		len += (size_t)snprintf(buf + len, cap - len, "m%zu %zu\n", i,
		    i);
	/* One line longer than any line may be. */
	memset(buf + len, 'x', 4500);
	len += 4500;
	memset(&g, 0, sizeof(g));
	rc = pw_custom_parse_output(buf, len, collect_cb, &g, &bad, err,
	    sizeof(err));
	assert_int_equal(rc, PW_CUSTOM_PARSE_MAX);
	assert_int_equal(g.n, PW_CUSTOM_PARSE_MAX);
	free(buf);
}

static void
test_custom_parse_json_object(void **state)
{
	struct got g;
	size_t bad;
	char err[160];

	(void)state;
	assert_int_equal(parse(" {\"used\": 12.5, \"free\":-3, \"e\":1e2}\n",
	    &g, &bad, err), 3);
	assert_int_equal(bad, 0);
	assert_string_equal(g.name[0], "used");
	assert_true(g.v[2] == 100);
	assert_int_equal(parse("{}", &g, &bad, err), 0);
	assert_int_equal(bad, 0);
	/* A string value or a bad name spoils that entry only. */
	assert_int_equal(parse("{\"a\": \"x\", \"b-c\": 1, \"d\": 2}", &g,
	    &bad, err), 1);
	assert_int_equal(bad, 2);
	assert_string_equal(g.name[0], "d");
	/* Nesting and trailing bytes are errors. */
	assert_int_equal(parse("{\"a\": {\"b\": 1}}", &g, &bad, err), 0);
	assert_int_equal(bad, 1);
	assert_non_null(strstr(err, "nested"));
	assert_int_equal(parse("{\"a\": 1} x", &g, &bad, err), 1);
	assert_int_equal(bad, 1);
	assert_int_equal(parse("{\"a\": 1", &g, &bad, err), 1);
	assert_int_equal(bad, 1);
}

/* --- plugins ----------------------------------------------------------------- */

static int
fake_init(struct pw_plugin_host *h, void **state)
{
	(void)h;
	(void)state;
	return 0;
}

static void
test_custom_plugin_abi_mismatch_refused(void **state)
{
	struct pw_plugin_info bad = { PW_PLUGIN_ABI_VERSION + 1, "future",
	    fake_init, NULL };
	struct pw_plugin_info good = { PW_PLUGIN_ABI_VERSION, "ok",
	    fake_init, NULL };
	struct pw_plugin_info noinit = { PW_PLUGIN_ABI_VERSION, "x", NULL,
	    NULL };
	char err[256], want[64];

	(void)state;
	assert_int_equal(pw_plugin_check(&bad, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "ABI version %u, but this procwatchd "
	    "speaks version %u", PW_PLUGIN_ABI_VERSION + 1,
	    PW_PLUGIN_ABI_VERSION);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "rebuild"));
	assert_int_equal(pw_plugin_check(&good, err, sizeof(err)), 0);
	assert_int_equal(pw_plugin_check(&noinit, err, sizeof(err)), -EINVAL);
	assert_int_equal(pw_plugin_check(NULL, err, sizeof(err)), -EINVAL);
}

/* --- embedding: collectors on a monitor ----------------------------------- */

struct calls {
	int	host;
	int	per_target;
	char	last_target[16];
};

static int
host_cb(void *arg, const struct pw_collect *c)
{
	struct calls *k = arg;
	struct pw_custom_label l = { "kind", "demo" };

	k->host++;
	assert_null(c->target);
	assert_int_equal(c->emit(c->emitter, "demo_value", 5, &l, 1), 0);
	assert_int_equal(c->emit(c->emitter, "bad name", 1, NULL, 0),
	    -EINVAL);
	return 0;
}

static int
target_cb(void *arg, const struct pw_collect *c)
{
	struct calls *k = arg;

	k->per_target++;
	snprintf(k->last_target, sizeof(k->last_target), "%s", c->target);
	c->emit(c->emitter, "per_target", (double)k->per_target, NULL, 0);
	return -EIO;
}

static void
test_custom_monitor_runs_collectors(void **state)
{
	struct pw_monitor_config mc;
	struct pw_custom_source_stats *ss;
	struct pw_custom *c = pw_custom_new(NULL);
	struct pw_monitor *m;
	struct calls k = { 0, 0, "" };
	double val;
	size_t n, i;
	int err;

	(void)state;
	pw_monitor_config_defaults(&mc);
	mc.proc_root = PW_FIXTURES "/proc/basic";
	mc.use_libproc2 = false;
	assert_non_null(m = pw_monitor_new(&mc, &err));
	/* Without a store there is nowhere for values to go. */
	assert_int_equal(pw_monitor_add_source(m, "h", 0, host_cb, &k),
	    -EINVAL);
	pw_monitor_set_custom(m, c);
	assert_ptr_equal(pw_monitor_custom(m), c);
	assert_int_equal(pw_monitor_add_source(m, "h", 0, host_cb, &k), 0);
	assert_int_equal(pw_monitor_add_source(m, "t", PW_COLLECT_PER_TARGET,
	    target_cb, &k), 0);
	assert_int_equal(pw_monitor_add_source(m, "x", 0x80, host_cb, &k),
	    -EINVAL);
	assert_int_equal(pw_monitor_cycle(m, 1000), 0);
	assert_int_equal(pw_monitor_cycle(m, 2000), 0);
	assert_int_equal(k.host, 2);
	assert_int_equal(k.per_target, 2);
	assert_string_equal(k.last_target, "all");
	assert_int_equal(pw_custom_lookup(c, "demo_value", 0, NULL, &val,
	    NULL), 0);
	assert_true(val == 5);
	assert_int_equal(pw_custom_lookup(c, "per_target", 1, "all", &val,
	    NULL), 0);
	assert_true(val == 2);
	assert_int_equal(pw_custom_sources_copy(c, &ss, &n), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		if (strcmp(ss[i].name, "h") == 0)
			assert_int_equal(ss[i].errors[PW_CERR_REJECTED], 2);
		else
			assert_int_equal(ss[i].errors[PW_CERR_CALLBACK], 2);
	}
	free(ss);
	pw_monitor_free(m);
	pw_custom_free(c);
}

/* Rules name custom series by name; typos of built-ins stay errors. */
static void
test_custom_rule_metric_names(void **state)
{
	(void)state;
	assert_true(pw_rule_metric_valid("queue_size"));
	assert_true(pw_rule_metric_valid("custom:queue_size"));
	assert_true(pw_rule_metric_valid("custom:threads"));
	assert_true(pw_rule_metric_valid("cpu_percent"));
	assert_false(pw_rule_metric_valid("cpu"));
	assert_false(pw_rule_metric_valid("cpu_percnt"));
	assert_false(pw_rule_metric_valid("bogus_rate"));
	assert_false(pw_rule_metric_valid("custom:bad name"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_custom_name_validation),
		cmocka_unit_test(test_custom_label_validation),
		cmocka_unit_test(test_custom_put_refuses_bad_values),
		cmocka_unit_test(test_custom_ring_keeps_newest),
		cmocka_unit_test(test_custom_max_series_is_enforced),
		cmocka_unit_test(test_custom_stale_then_dropped),
		cmocka_unit_test(test_custom_lookup_prefers_process_then_target),
		cmocka_unit_test(test_custom_parse_good_lines),
		cmocka_unit_test(test_custom_parse_partial_counts_bad_lines),
		cmocka_unit_test(test_custom_parse_garbage),
		cmocka_unit_test(test_custom_parse_non_utf8_label_is_bad),
		cmocka_unit_test(test_custom_parse_huge_is_capped),
		cmocka_unit_test(test_custom_parse_json_object),
		cmocka_unit_test(test_custom_plugin_abi_mismatch_refused),
		cmocka_unit_test(test_custom_monitor_runs_collectors),
		cmocka_unit_test(test_custom_rule_metric_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

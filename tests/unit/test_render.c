/*
 * test_render.c: the API's renderers in isolation, on hand-built samples,
 * views, alerts and snapshots, where test_golden (every endpoint through
 * HTTP) does not pin a rule at the unit level: api/json.c's null rules
 * (a first sample, unreadable fds or io, MemTotal or fd limit unknown)
 * and exact counters, a process's nulls and its unit, an alert's JSON,
 * and what a text renderer does at its page's cap (api/buf.h): it fails
 * with -E2BIG and hands over nothing, never a cut page.
 * Expected text is written out here, not read back from the library.
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

#include <cjson/cJSON.h>

#include <procwatch/groupacc.h>
#include <procwatch/rules.h>
#include <procwatch/sample.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "api/buf.h"
#include "api/targets.h"

#define T0_MS	INT64_C(1800000000000)	/* 2027-01-15T08:00:00.000Z */
#define GIB	(UINT64_C(1) << 30)

/* The member `key` of o printed as JSON: "null", "12.35", "\"S\"". */
static void
assert_member(const cJSON *o, const char *key, const char *want)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, key);
	char *text;

	if (m == NULL)
		fail_msg("no member %s", key);
	assert_non_null(text = cJSON_PrintUnformatted(m));
	if (strcmp(text, want) != 0)
		fail_msg("%s: got %s, want %s", key, text, want);
	cJSON_free(text);
}

static struct pw_sample
busy_sample(void)
{
	struct pw_sample s;

	memset(&s, 0, sizeof(s));
	s.ts_ms = T0_MS + 1234;
	s.utime_ticks = 500;
	s.stime_ticks = 100;
	s.cpu_user_pct = 12.344;
	s.cpu_system_pct = 0.5;
	s.rss_bytes = GIB;
	s.vms_bytes = 3 * GIB;
	s.swap_bytes = 4096;
	s.ctx_voluntary = 7;
	s.ctx_involuntary = 3;
	s.minor_faults = 100;
	s.major_faults = 2;
	/*
	 * Large, but no larger than 2^53: the catalogue reads every figure
	 * as a double (pw_metric_read()), so a counter past 2^53 comes out
	 * rounded (UINT64_MAX - 1 as 18446744073709551615) although api/json.c
	 * says counters are exact.
	 */
	s.read_bytes = UINT64_C(1) << 53;
	s.write_bytes = (UINT64_C(1) << 53) - 1;
	s.open_fds = 10;
	s.threads = 4;
	s.state = PW_STATE_SLEEPING;
	return s;
}

static void
test_render_sample_values(void **state)
{
	struct pw_sample s = busy_sample();
	cJSON *o;

	(void)state;
	assert_non_null(o = api_json_sample(&s, 4 * GIB, 1024));
	assert_member(o, "ts", "\"2027-01-15T08:00:01.234Z\"");
	/* Two decimals: 12.344 + 0.5 and 12.344. */
	assert_member(o, "cpu_percent", "12.84");
	assert_member(o, "cpu_user_percent", "12.34");
	assert_member(o, "cpu_system_percent", "0.5");
	assert_member(o, "rss_bytes", "1073741824");
	assert_member(o, "vms_bytes", "3221225472");
	assert_member(o, "swap_bytes", "4096");
	assert_member(o, "memory_percent", "25");
	assert_member(o, "open_fds", "10");
	assert_member(o, "fd_limit", "1024");
	assert_member(o, "threads", "4");
	assert_member(o, "ctx_switches_voluntary", "7");
	assert_member(o, "ctx_switches_involuntary", "3");
	assert_member(o, "minor_faults", "100");
	assert_member(o, "major_faults", "2");
	/* Integer text, not a double's 9.007199254740992e+15. */
	assert_member(o, "read_bytes", "9007199254740992");
	assert_member(o, "write_bytes", "9007199254740991");
	assert_member(o, "state", "\"S\"");
	cJSON_Delete(o);
}

static void
test_render_sample_null_rules(void **state)
{
	struct pw_sample s = busy_sample();
	cJSON *o;

	(void)state;
	/* A first sample has no rates; the rest is known. */
	s.flags = PW_SAMPLE_FIRST;
	assert_non_null(o = api_json_sample(&s, 4 * GIB, 1024));
	assert_member(o, "cpu_percent", "null");
	assert_member(o, "cpu_user_percent", "null");
	assert_member(o, "cpu_system_percent", "null");
	assert_member(o, "open_fds", "10");
	assert_member(o, "read_bytes", "9007199254740992");
	cJSON_Delete(o);

	/* fd/ unreadable: open_fds null, the io figures still there. */
	s.flags = PW_SAMPLE_NO_FDS;
	assert_non_null(o = api_json_sample(&s, 4 * GIB, 1024));
	assert_member(o, "cpu_percent", "12.84");
	assert_member(o, "open_fds", "null");
	assert_member(o, "fd_limit", "1024");
	assert_member(o, "write_bytes", "9007199254740991");
	cJSON_Delete(o);

	/* io unreadable: both io counters null, open_fds known. */
	s.flags = PW_SAMPLE_NO_IO;
	assert_non_null(o = api_json_sample(&s, 4 * GIB, 1024));
	assert_member(o, "read_bytes", "null");
	assert_member(o, "write_bytes", "null");
	assert_member(o, "open_fds", "10");
	cJSON_Delete(o);

	/* MemTotal and the fd limit unknown. */
	s.flags = 0;
	assert_non_null(o = api_json_sample(&s, 0, 0));
	assert_member(o, "memory_percent", "null");
	assert_member(o, "fd_limit", "null");
	assert_member(o, "rss_bytes", "1073741824");
	cJSON_Delete(o);

	/* All of it at once. */
	s.flags = PW_SAMPLE_FIRST | PW_SAMPLE_NO_FDS | PW_SAMPLE_NO_IO;
	s.state = PW_STATE_ZOMBIE;
	assert_non_null(o = api_json_sample(&s, 0, 0));
	assert_member(o, "cpu_percent", "null");
	assert_member(o, "open_fds", "null");
	assert_member(o, "read_bytes", "null");
	assert_member(o, "state", "\"Z\"");
	cJSON_Delete(o);
}

static void
test_render_proc_nulls_and_unit(void **state)
{
	struct pw_proc_view v;
	cJSON *o;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.id = 9;
	v.pid = 4242;
	v.ppid = 1;
	v.uid = 65534;
	/* comm is any bytes: a lone 0xff becomes U+FFFD. */
	memcpy(v.name, "bad\xff", 5);
	v.target = "";
	v.cmdline = "/usr/bin/x -y";
	v.user = "nobody";
	v.cgroup = "";
	v.start_time_ms = T0_MS;
	v.alive = true;
	v.capacity = 10;
	assert_non_null(o = api_json_proc(&v, 0));
	assert_member(o, "pid", "4242");
	assert_member(o, "name", "\"bad\xef\xbf\xbd\"");
	assert_member(o, "target", "null");
	assert_member(o, "cgroup", "null");
	assert_member(o, "unit", "null");
	assert_member(o, "start_time", "\"2027-01-15T08:00:00.000Z\"");
	assert_member(o, "alive", "true");
	assert_member(o, "gone_at", "null");
	assert_member(o, "fd_limit", "null");
	assert_member(o, "samples_stored", "0");
	assert_member(o, "capacity", "10");
	assert_member(o, "sample", "null");
	cJSON_Delete(o);

	/* Gone, in a unit, with a sample: its figures use the view's fd
	 * limit and the MemTotal given. */
	v.target = "web";
	v.cgroup = "/system.slice/web.service";
	v.alive = false;
	v.gone_ms = T0_MS + 5000;
	v.fd_limit = 2048;
	v.nsamples = 1;
	v.has_sample = true;
	v.latest = busy_sample();
	v.latest.flags = PW_SAMPLE_FIRST;
	assert_non_null(o = api_json_proc(&v, 2 * GIB));
	assert_member(o, "target", "\"web\"");
	assert_member(o, "unit", "\"web.service\"");
	assert_member(o, "gone_at", "\"2027-01-15T08:00:05.000Z\"");
	assert_member(o, "fd_limit", "2048");
	assert_member(cJSON_GetObjectItemCaseSensitive(o, "sample"),
	    "memory_percent", "50");
	assert_member(cJSON_GetObjectItemCaseSensitive(o, "sample"),
	    "fd_limit", "2048");
	assert_member(cJSON_GetObjectItemCaseSensitive(o, "sample"),
	    "cpu_percent", "null");
	cJSON_Delete(o);
}

static void
test_render_alert(void **state)
{
	char name[] = "cpu_hot", metric[] = "cpu_percent";
	struct pw_rule r;
	struct pw_alert a;
	cJSON *o;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.name = name;
	r.metric = metric;
	r.severity = PW_ASEV_CRITICAL;
	memset(&a, 0, sizeof(a));
	a.id = UINT64_C(1) << 60;
	a.rule = &r;
	a.state = PW_ALERT_PENDING;
	a.pid = 100;
	memcpy(a.name, "web\xc3", 5);		/* cut UTF-8 */
	snprintf(a.target, sizeof(a.target), "web");
	a.value = NAN;				/* not JSON: 0 */
	a.threshold = 90;
	snprintf(a.message, sizeof(a.message), "web is hot");
	a.started_ms = T0_MS;
	assert_non_null(o = api_json_alert(&a));
	assert_member(o, "id", "1152921504606846976");
	assert_member(o, "rule", "\"cpu_hot\"");
	assert_member(o, "severity", "\"critical\"");
	assert_member(o, "state", "\"pending\"");
	assert_member(o, "name", "\"web\xef\xbf\xbd\"");
	assert_member(o, "value", "0");
	assert_member(o, "threshold", "90");
	assert_member(o, "started_at", "\"2027-01-15T08:00:00.000Z\"");
	assert_member(o, "fired_at", "null");
	assert_member(o, "resolved_at", "null");
	assert_member(o, "reason", "null");
	cJSON_Delete(o);

	a.state = PW_ALERT_RESOLVED;
	a.value = 95.5;
	a.fired_ms = T0_MS + 1000;
	a.resolved_ms = T0_MS + 2000;
	snprintf(a.reason, sizeof(a.reason), "process exited");
	assert_non_null(o = api_json_alert(&a));
	assert_member(o, "state", "\"resolved\"");
	assert_member(o, "value", "95.5");
	assert_member(o, "fired_at", "\"2027-01-15T08:00:01.000Z\"");
	assert_member(o, "resolved_at", "\"2027-01-15T08:00:02.000Z\"");
	assert_member(o, "reason", "\"process exited\"");
	cJSON_Delete(o);
}

static const struct api_receiver_stats receivers[] = {
	{ "ops", "", 5, 2, 1, 3 },
	{ "pager", "", 0, 0, 0, 0 },
	/* An Alertmanager of a cluster: which one, by its URL. */
	{ "am", "http://b:9093/api/v2/alerts", 1, 0, 0, 0 },
};

static const char receivers_page[] =
    "# HELP procwatch_notifications_total Notifications by receiver and "
    "result (failed counts attempts that will be retried).\n"
    "# TYPE procwatch_notifications_total counter\n"
    "procwatch_notifications_total{receiver=\"ops\",result=\"delivered\"} 5\n"
    "procwatch_notifications_total{receiver=\"ops\",result=\"failed\"} 2\n"
    "procwatch_notifications_total{receiver=\"ops\",result=\"dropped\"} 1\n"
    "procwatch_notifications_total{receiver=\"pager\",result=\"delivered\"} 0\n"
    "procwatch_notifications_total{receiver=\"pager\",result=\"failed\"} 0\n"
    "procwatch_notifications_total{receiver=\"pager\",result=\"dropped\"} 0\n"
    "procwatch_notifications_total{receiver=\"am\",url=\"http://b:9093/api/"
    "v2/alerts\",result=\"delivered\"} 1\n"
    "procwatch_notifications_total{receiver=\"am\",url=\"http://b:9093/api/"
    "v2/alerts\",result=\"failed\"} 0\n"
    "procwatch_notifications_total{receiver=\"am\",url=\"http://b:9093/api/"
    "v2/alerts\",result=\"dropped\"} 0\n"
    "# HELP procwatch_notifications_queued Notifications waiting for "
    "delivery or a retry.\n"
    "# TYPE procwatch_notifications_queued gauge\n"
    "procwatch_notifications_queued{receiver=\"ops\"} 3\n"
    "procwatch_notifications_queued{receiver=\"pager\"} 0\n"
    "procwatch_notifications_queued{receiver=\"am\",url=\"http://b:9093/api/"
    "v2/alerts\"} 0\n";

static void
test_render_prom_receivers(void **state)
{
	struct api_buf b;
	char *out;
	size_t len;

	(void)state;
	api_buf_init(&b, 1 << 20);
	api_buf_puts(&b, "# before\n");
	assert_int_equal(api_prom_alerts(NULL, receivers, 3, &b), 0);
	assert_int_equal(api_buf_take(&b, &out, &len), 0);
	assert_int_equal(len, strlen("# before\n") + strlen(receivers_page));
	assert_string_equal(out + strlen("# before\n"), receivers_page);
	free(out);
	/* No engine, no receivers: nothing at all. */
	api_buf_init(&b, 1 << 20);
	assert_int_equal(api_prom_alerts(NULL, NULL, 0, &b), 0);
	assert_int_equal(b.len, 0);
	api_buf_fini(&b);
}

/*
 * Every cap short of the whole page fails with -E2BIG, keeps the error
 * for later appends, and api_buf_take() hands over nothing.
 */
static void
test_render_prom_receivers_at_the_cap(void **state)
{
	size_t need = strlen(receivers_page), max;
	struct api_buf b;
	char *out;
	size_t len;

	(void)state;
	for (max = 0; max <= need; max += 37) {
		api_buf_init(&b, max);
		assert_int_equal(api_prom_alerts(NULL, receivers, 3, &b),
		    -E2BIG);
		api_buf_puts(&b, "x");
		assert_int_equal(b.err, -E2BIG);
		out = (char *)"untouched";
		len = 77;
		assert_int_equal(api_buf_take(&b, &out, &len), -E2BIG);
		assert_string_equal(out, "untouched");
		assert_int_equal(len, 77);
		assert_null(b.p);
		api_buf_fini(&b);
	}
	/* The cap counts the NUL too: the page alone is one short... */
	api_buf_init(&b, need);
	assert_int_equal(api_prom_alerts(NULL, receivers, 3, &b), -E2BIG);
	api_buf_fini(&b);
	/* ...and the page with its NUL fits. */
	api_buf_init(&b, need + 1);
	assert_int_equal(api_prom_alerts(NULL, receivers, 3, &b), 0);
	assert_int_equal(api_buf_take(&b, &out, &len), 0);
	assert_int_equal(len, need);
	free(out);
}

/* A snapshot with one group "web" of two processes, none running. */
static void
web_snapshot(struct pw_snapshot *snap, struct pw_group_view *g)
{
	memset(snap, 0, sizeof(*snap));
	memset(g, 0, sizeof(*g));
	g->name = "web";
	g->selector = "comm nginx";
	g->min_processes = 1;
	g->nsamples = 1;
	g->capacity = 10;
	g->has_sample = true;
	g->latest.ts_ms = T0_MS;
	g->latest.processes = 2;
	g->latest.threads = 5;
	g->latest.rss_bytes = GIB;
	snap->taken_ms = T0_MS;
	snap->mem_total = 4 * GIB;
	snap->groups = g;
	snap->ngroups = 1;
}

static void
test_render_targets_metrics_and_cap(void **state)
{
	struct pw_snapshot snap;
	struct pw_group_view g;
	struct api_buf b;
	char *out;
	size_t len, need;

	(void)state;
	web_snapshot(&snap, &g);
	api_buf_init(&b, 1 << 20);
	assert_int_equal(api_targets_append_metrics(&snap, 100, &b), 0);
	assert_int_equal(api_buf_take(&b, &out, &len), 0);
	need = len;
	assert_non_null(strstr(out, "procwatch_group_up{target=\"web\"} 1\n"));
	assert_non_null(strstr(out,
	    "procwatch_group_processes{target=\"web\"} 2\n"));
	assert_non_null(strstr(out,
	    "procwatch_group_resident_memory_bytes{target=\"web\"} "
	    "1073741824\n"));
	assert_non_null(strstr(out,
	    "procwatch_group_min_processes{target=\"web\"} 1\n"));
	assert_int_equal(out[len - 1], '\n');
	free(out);

	/* After what is already on the page, one byte short (the cap
	 * counts the NUL): -E2BIG. */
	api_buf_init(&b, need + 7);
	api_buf_puts(&b, "# head\n");	/* 7 bytes */
	assert_int_equal(api_targets_append_metrics(&snap, 100, &b), -E2BIG);
	assert_int_equal(b.err, -E2BIG);
	out = NULL;
	assert_int_equal(api_buf_take(&b, &out, &len), -E2BIG);
	assert_null(out);
	api_buf_fini(&b);
	/* Room for both and the NUL. */
	api_buf_init(&b, need + 8);
	api_buf_puts(&b, "# head\n");
	assert_int_equal(api_targets_append_metrics(&snap, 100, &b), 0);
	assert_int_equal(b.len, need + 7);
	api_buf_fini(&b);
	/* An error already on the page is returned, nothing appended. */
	api_buf_init(&b, 4);
	api_buf_puts(&b, "too long");
	assert_int_equal(api_targets_append_metrics(&snap, 100, &b), -E2BIG);
	api_buf_fini(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_sample_values),
		cmocka_unit_test(test_render_sample_null_rules),
		cmocka_unit_test(test_render_proc_nulls_and_unit),
		cmocka_unit_test(test_render_alert),
		cmocka_unit_test(test_render_prom_receivers),
		cmocka_unit_test(test_render_prom_receivers_at_the_cap),
		cmocka_unit_test(test_render_targets_metrics_and_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

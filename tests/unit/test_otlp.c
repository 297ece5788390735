/*
 * test_otlp.c: daemon/otlp_encode.c.  A cycle built by hand is encoded,
 * each request decoded again with protobuf-c from our .proto subset, and
 * the semantic conventions' names, units, kinds, attributes, times and
 * values checked; process_metrics' selection, the request size, and the
 * events as log records.  (tests/e2e/otlp.sh decodes with OpenTelemetry's
 * own definitions.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/metric.h>

#include "daemon/config.h"
#include "daemon/otlp/logs_service.pb-c.h"
#include "daemon/otlp/metrics_service.pb-c.h"
#include "daemon/otlp_encode.h"
#include "lib/history.h"

typedef Opentelemetry__Proto__Collector__Metrics__V1__ExportMetricsServiceRequest MReq;
typedef Opentelemetry__Proto__Collector__Logs__V1__ExportLogsServiceRequest LReq;
typedef Opentelemetry__Proto__Common__V1__KeyValue KeyValue;
typedef Opentelemetry__Proto__Metrics__V1__Metric Metric;

#define TS_MS		1000000000LL
#define START_MS	(TS_MS - 60000)

/* What the emitter got: the decoded requests. */
struct got {
	MReq	*m[16];
	size_t	 nm;
	LReq	*l[16];
	size_t	 nl;
	size_t	 points;
};

static int
emit(void *arg, enum otlp_signal sig, const void *body, size_t len,
    size_t npoints)
{
	struct got *g = arg;

	g->points += npoints;
	if (sig == OTLP_METRICS) {
		assert_true(g->nm < 16);
		g->m[g->nm] = opentelemetry__proto__collector__metrics__v1__export_metrics_service_request__unpack(
		    NULL, len, body);
		assert_non_null(g->m[g->nm]);
		g->nm++;
	} else {
		assert_true(g->nl < 16);
		g->l[g->nl] = opentelemetry__proto__collector__logs__v1__export_logs_service_request__unpack(
		    NULL, len, body);
		assert_non_null(g->l[g->nl]);
		g->nl++;
	}
	return 0;
}

static void
got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->nm; i++)
		opentelemetry__proto__collector__metrics__v1__export_metrics_service_request__free_unpacked(
		    g->m[i], NULL);
	for (i = 0; i < g->nl; i++)
		opentelemetry__proto__collector__logs__v1__export_logs_service_request__free_unpacked(
		    g->l[i], NULL);
	memset(g, 0, sizeof(*g));
}

static const KeyValue *
attr(KeyValue **kv, size_t n, const char *key)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(kv[i]->key, key) == 0)
			return kv[i];
	return NULL;
}

static const char *
attr_str(KeyValue **kv, size_t n, const char *key)
{
	const KeyValue *a = attr(kv, n, key);

	return a != NULL && a->value->value_case ==
	    OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE ?
	    a->value->string_value : NULL;
}

static int64_t
attr_int(KeyValue **kv, size_t n, const char *key)
{
	const KeyValue *a = attr(kv, n, key);

	assert_non_null(a);
	assert_int_equal(a->value->value_case,
	    OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE);
	return a->value->int_value;
}

/* Two processes (a busy worker and an idle one) and their target. */
static struct pw_hist_cycle *
cycle(void)
{
	struct pw_hist_cycle *c;
	struct pw_hist_ident id = { 0 };
	double v[PW_METRIC_NROWS];
	size_t i;

	assert_non_null(c = pw_hist_cycle_new(TS_MS, 1000));
	for (i = 0; i < PW_METRIC_NROWS; i++)
		v[i] = NAN;
	v[PW_METRIC_CPU_PERCENT] = 60;
	v[PW_METRIC_CPU_USER_PERCENT] = 50;
	v[PW_METRIC_CPU_SYSTEM_PERCENT] = 10;
	v[PW_METRIC_CPU_USER_SECONDS] = 1.5;
	v[PW_METRIC_CPU_SYSTEM_SECONDS] = 0.25;
	v[PW_METRIC_RSS_BYTES] = 1048576;
	v[PW_METRIC_VMS_BYTES] = 4194304;
	v[PW_METRIC_OPEN_FDS] = 7;
	v[PW_METRIC_THREADS] = 3;
	v[PW_METRIC_CTX_VOLUNTARY] = 10;
	v[PW_METRIC_CTX_INVOLUNTARY] = 2;
	v[PW_METRIC_MINOR_FAULTS] = 100;
	v[PW_METRIC_MAJOR_FAULTS] = 1;
	v[PW_METRIC_READ_BYTES] = 4096;
	v[PW_METRIC_WRITE_BYTES] = 8192;
	id.kind = PW_HIST_PROC;
	id.pid = 42;
	id.start_time_ms = START_MS;
	id.name = "worker";
	id.cmdline = "worker --password=***";
	id.target = "web";
	assert_int_equal(pw_hist_cycle_add(c, &id, v, PW_METRIC_NROWS), 0);
	/* The idle one: small, and its counters unknown. */
	for (i = 0; i < PW_METRIC_NROWS; i++)
		v[i] = NAN;
	v[PW_METRIC_CPU_PERCENT] = 0;
	v[PW_METRIC_RSS_BYTES] = 4096;
	id.pid = 43;
	id.name = "idle";
	id.cmdline = "";
	assert_int_equal(pw_hist_cycle_add(c, &id, v, PW_METRIC_NROWS), 0);
	/* A target's aggregate is not sent. */
	memset(&id, 0, sizeof(id));
	id.kind = PW_HIST_GROUP;
	id.name = "web";
	v[PW_METRIC_RSS_BYTES] = 1052672;
	assert_int_equal(pw_hist_cycle_add(c, &id, v, PW_METRIC_NROWS), 0);
	return c;
}

static const Metric *
find_metric(Opentelemetry__Proto__Metrics__V1__ResourceMetrics *rm,
    const char *name)
{
	size_t i;

	assert_int_equal(rm->n_scope_metrics, 1);
	assert_string_equal(rm->scope_metrics[0]->scope->name, "procwatchd");
	for (i = 0; i < rm->scope_metrics[0]->n_metrics; i++)
		if (strcmp(rm->scope_metrics[0]->metrics[i]->name, name) == 0)
			return rm->scope_metrics[0]->metrics[i];
	return NULL;
}

static void
test_otlp_metrics(void **state)
{
	struct pw_hist_cycle *c = cycle();
	struct rw_select all = { PROCMETRICS_ALL, 0 };
	Opentelemetry__Proto__Metrics__V1__ResourceMetrics *rm;
	Opentelemetry__Proto__Metrics__V1__NumberDataPoint *p;
	struct got g = { 0 };
	const Metric *m;
	KeyValue **ra;
	size_t nra;

	(void)state;
	assert_int_equal(otlp_encode_metrics(c, &all, "host1", 2000, emit,
	    &g), 0);
	assert_int_equal(g.nm, 1);
	/* The worker's 9 metrics (14 points) and the idle one's memory. */
	assert_int_equal(g.m[0]->n_resource_metrics, 2);
	assert_int_equal(g.points, 14 + 1);
	rm = g.m[0]->resource_metrics[0];
	ra = rm->resource->attributes;
	nra = rm->resource->n_attributes;
	assert_int_equal(attr_int(ra, nra, "process.pid"), 42);
	assert_string_equal(attr_str(ra, nra, "process.executable.name"),
	    "worker");
	assert_string_equal(attr_str(ra, nra, "process.command_line"),
	    "worker --password=***");
	assert_string_equal(attr_str(ra, nra, "service.name"), "web");
	assert_string_equal(attr_str(ra, nra, "host.name"), "host1");
	assert_int_equal(rm->scope_metrics[0]->n_metrics, 9);

	assert_non_null(m = find_metric(rm, "process.cpu.time"));
	assert_string_equal(m->unit, "s");
	assert_int_equal(m->data_case,
	    OPENTELEMETRY__PROTO__METRICS__V1__METRIC__DATA_SUM);
	assert_true(m->sum->is_monotonic);
	assert_int_equal(m->sum->aggregation_temporality,
	    OPENTELEMETRY__PROTO__METRICS__V1__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_CUMULATIVE);
	assert_int_equal(m->sum->n_data_points, 2);
	p = m->sum->data_points[0];
	assert_string_equal(attr_str(p->attributes, p->n_attributes,
	    "cpu.mode"), "user");
	assert_true(p->as_double == 1.5);
	assert_true(p->time_unix_nano == (uint64_t)TS_MS * 1000000u);
	assert_true(p->start_time_unix_nano == (uint64_t)START_MS * 1000000u);
	p = m->sum->data_points[1];
	assert_string_equal(attr_str(p->attributes, p->n_attributes,
	    "cpu.mode"), "system");
	assert_true(p->as_double == 0.25);

	assert_non_null(m = find_metric(rm, "process.memory.usage"));
	assert_string_equal(m->unit, "By");
	assert_false(m->sum->is_monotonic);
	assert_int_equal(m->sum->data_points[0]->value_case,
	    OPENTELEMETRY__PROTO__METRICS__V1__NUMBER_DATA_POINT__VALUE_AS_INT);
	assert_int_equal(m->sum->data_points[0]->as_int, 1048576);

	assert_non_null(m = find_metric(rm, "process.cpu.utilization"));
	assert_string_equal(m->unit, "1");
	assert_int_equal(m->data_case,
	    OPENTELEMETRY__PROTO__METRICS__V1__METRIC__DATA_GAUGE);
	assert_true(m->gauge->data_points[0]->as_double > 0);
	assert_true(m->gauge->data_points[0]->as_double <= 0.5);
	assert_true(m->gauge->data_points[0]->start_time_unix_nano == 0);

	assert_non_null(m = find_metric(rm, "process.disk.io"));
	p = m->sum->data_points[1];
	assert_string_equal(attr_str(p->attributes, p->n_attributes,
	    "disk.io.direction"), "write");
	assert_int_equal(p->as_int, 8192);
	assert_non_null(m = find_metric(rm, "process.paging.faults"));
	p = m->sum->data_points[0];
	assert_string_equal(attr_str(p->attributes, p->n_attributes,
	    "process.paging.fault_type"), "major");
	assert_int_equal(p->as_int, 1);
	assert_non_null(m = find_metric(rm, "process.context_switches"));
	assert_true(m->sum->is_monotonic);
	assert_non_null(m = find_metric(rm, "process.open_file_descriptor.count"));
	assert_int_equal(m->sum->data_points[0]->as_int, 7);

	/* The idle one: no command line, only what is known. */
	rm = g.m[0]->resource_metrics[1];
	assert_null(attr(rm->resource->attributes, rm->resource->n_attributes,
	    "process.command_line"));
	assert_int_equal(rm->scope_metrics[0]->n_metrics, 1);
	assert_non_null(find_metric(rm, "process.memory.usage"));
	got_free(&g);
	pw_hist_cycle_free(c);
}

static void
test_otlp_select_and_split(void **state)
{
	struct pw_hist_cycle *c = cycle();
	struct rw_select top1 = { PROCMETRICS_TOP, 1 };
	struct rw_select none = { PROCMETRICS_NONE, 0 };
	struct rw_select all = { PROCMETRICS_ALL, 0 };
	struct got g = { 0 };

	(void)state;
	assert_int_equal(otlp_encode_metrics(c, &top1, "h", 2000, emit, &g),
	    0);
	assert_int_equal(g.nm, 1);
	assert_int_equal(g.m[0]->n_resource_metrics, 1);
	assert_int_equal(attr_int(g.m[0]->resource_metrics[0]->resource->attributes,
	    g.m[0]->resource_metrics[0]->resource->n_attributes,
	    "process.pid"), 42);
	got_free(&g);
	assert_int_equal(otlp_encode_metrics(c, &none, "h", 2000, emit, &g),
	    0);
	assert_int_equal(g.nm, 0);
	/* A request is cut after the process that reaches the limit. */
	assert_int_equal(otlp_encode_metrics(c, &all, "h", 5, emit, &g), 0);
	assert_int_equal(g.nm, 2);
	assert_int_equal(g.m[0]->n_resource_metrics, 1);
	assert_int_equal(g.m[1]->n_resource_metrics, 1);
	got_free(&g);
	pw_hist_cycle_free(c);
}

static void
test_otlp_events(void **state)
{
	struct pw_hist_event ev[4] = {
		{ .ts_ms = TS_MS - 500, .kind = PW_HIST_EV_PROCESS,
		  .type = "exit", .pid = 42, .name = "worker",
		  .target = "web", .value = -9 },
		{ .ts_ms = TS_MS - 400, .kind = PW_HIST_EV_ALERT,
		  .type = "firing", .name = "high_cpu", .target = "web",
		  .value = 99 },
		{ .ts_ms = TS_MS - 300, .kind = PW_HIST_EV_PROCESS,
		  .type = "exit", .pid = 44, .name = "job", .target = "",
		  .value = 3 },
		{ .ts_ms = TS_MS - 200, .kind = PW_HIST_EV_PROCESS,
		  .type = "oom_kill", .pid = 45, .name = "hog",
		  .target = "web", .value = NAN },
	};
	Opentelemetry__Proto__Logs__V1__LogRecord *lr;
	Opentelemetry__Proto__Logs__V1__ResourceLogs *rl;
	struct got g = { 0 };

	(void)state;
	assert_int_equal(otlp_encode_events(ev, 4, "host1", 2, emit, &g), 0);
	/* Three process events (the alert is not one), two a request. */
	assert_int_equal(g.nl, 2);
	assert_int_equal(g.l[0]->n_resource_logs, 2);
	assert_int_equal(g.l[1]->n_resource_logs, 1);
	assert_int_equal(g.points, 3);

	rl = g.l[0]->resource_logs[0];
	assert_string_equal(attr_str(rl->resource->attributes,
	    rl->resource->n_attributes, "service.name"), "web");
	lr = rl->scope_logs[0]->log_records[0];
	assert_true(lr->time_unix_nano == (uint64_t)(TS_MS - 500) * 1000000u);
	assert_int_equal(lr->severity_number,
	    OPENTELEMETRY__PROTO__LOGS__V1__SEVERITY_NUMBER__SEVERITY_NUMBER_WARN);
	assert_string_equal(lr->body->string_value,
	    "process 42 (worker) was killed by signal 9");
	assert_int_equal(attr_int(lr->attributes, lr->n_attributes,
	    "process.exit.signal"), 9);
	assert_int_equal(attr_int(lr->attributes, lr->n_attributes,
	    "process.pid"), 42);
	assert_string_equal(attr_str(lr->attributes, lr->n_attributes,
	    "event.name"), "process.exit");

	lr = g.l[0]->resource_logs[1]->scope_logs[0]->log_records[0];
	assert_int_equal(lr->severity_number,
	    OPENTELEMETRY__PROTO__LOGS__V1__SEVERITY_NUMBER__SEVERITY_NUMBER_INFO);
	assert_int_equal(attr_int(lr->attributes, lr->n_attributes,
	    "process.exit.code"), 3);
	assert_string_equal(lr->body->string_value,
	    "process 44 (job) exited with code 3");
	/* No target: the service is procwatchd's own. */
	rl = g.l[0]->resource_logs[1];
	assert_string_equal(attr_str(rl->resource->attributes,
	    rl->resource->n_attributes, "service.name"), "procwatchd");

	lr = g.l[1]->resource_logs[0]->scope_logs[0]->log_records[0];
	assert_int_equal(lr->severity_number,
	    OPENTELEMETRY__PROTO__LOGS__V1__SEVERITY_NUMBER__SEVERITY_NUMBER_ERROR);
	assert_string_equal(attr_str(lr->attributes, lr->n_attributes,
	    "event.name"), "process.oom_kill");
	assert_null(attr(lr->attributes, lr->n_attributes,
	    "process.exit.code"));
	got_free(&g);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_otlp_metrics),
		cmocka_unit_test(test_otlp_select_and_split),
		cmocka_unit_test(test_otlp_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

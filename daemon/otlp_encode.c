/*
 * daemon/otlp_encode.c: a cycle as OTLP/HTTP requests (otlp_encode.h).
 *
 * DESIGN: the messages of one request are allocated from a small arena
 * (a list of calloc'd blocks, freed at the flush), since protobuf-c wants
 * arrays of pointers to separately initialised structs.  Each process is
 * one ResourceMetrics with the process.* resource attributes and one
 * scope ("procwatchd"), holding the semantic conventions' metrics that
 * the cycle has a value for.  Counters are cumulative sums from the
 * process's start; sizes and counts are non-monotonic sums
 * (UpDownCounters in the conventions); utilization is a gauge.
 */
#include <config.h>	/* autoconf's */

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/metric.h>

#include "daemon/otlp/logs_service.pb-c.h"
#include "daemon/otlp/metrics_service.pb-c.h"
#include "daemon/otlp_encode.h"
#include "lib/history.h"

typedef Opentelemetry__Proto__Common__V1__KeyValue		KeyValue;
typedef Opentelemetry__Proto__Common__V1__AnyValue		AnyValue;
typedef Opentelemetry__Proto__Common__V1__InstrumentationScope	Scope;
typedef Opentelemetry__Proto__Resource__V1__Resource		Resource;
typedef Opentelemetry__Proto__Metrics__V1__ResourceMetrics	ResourceMetrics;
typedef Opentelemetry__Proto__Metrics__V1__ScopeMetrics		ScopeMetrics;
typedef Opentelemetry__Proto__Metrics__V1__Metric		Metric;
typedef Opentelemetry__Proto__Metrics__V1__Gauge		Gauge;
typedef Opentelemetry__Proto__Metrics__V1__Sum			Sum;
typedef Opentelemetry__Proto__Metrics__V1__NumberDataPoint	Point;
typedef Opentelemetry__Proto__Logs__V1__ResourceLogs		ResourceLogs;
typedef Opentelemetry__Proto__Logs__V1__ScopeLogs		ScopeLogs;
typedef Opentelemetry__Proto__Logs__V1__LogRecord		LogRecord;
typedef Opentelemetry__Proto__Collector__Metrics__V1__ExportMetricsServiceRequest
    MetricsRequest;
typedef Opentelemetry__Proto__Collector__Logs__V1__ExportLogsServiceRequest
    LogsRequest;
#define METRICS_REQUEST_INIT \
    OPENTELEMETRY__PROTO__COLLECTOR__METRICS__V1__EXPORT_METRICS_SERVICE_REQUEST__INIT
#define LOGS_REQUEST_INIT \
    OPENTELEMETRY__PROTO__COLLECTOR__LOGS__V1__EXPORT_LOGS_SERVICE_REQUEST__INIT

/* protobuf-c's names, shortened. */
#define AV_STRING \
	OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE
#define AV_INT \
	OPENTELEMETRY__PROTO__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE
#define PT_INT \
	OPENTELEMETRY__PROTO__METRICS__V1__NUMBER_DATA_POINT__VALUE_AS_INT
#define PT_DOUBLE \
	OPENTELEMETRY__PROTO__METRICS__V1__NUMBER_DATA_POINT__VALUE_AS_DOUBLE
#define CUMULATIVE \
	OPENTELEMETRY__PROTO__METRICS__V1__AGGREGATION_TEMPORALITY__AGGREGATION_TEMPORALITY_CUMULATIVE
#define DATA_GAUGE	OPENTELEMETRY__PROTO__METRICS__V1__METRIC__DATA_GAUGE
#define DATA_SUM	OPENTELEMETRY__PROTO__METRICS__V1__METRIC__DATA_SUM
#define SEV_ERROR \
	OPENTELEMETRY__PROTO__LOGS__V1__SEVERITY_NUMBER__SEVERITY_NUMBER_ERROR
#define SEV_WARN \
	OPENTELEMETRY__PROTO__LOGS__V1__SEVERITY_NUMBER__SEVERITY_NUMBER_WARN
#define SEV_INFO \
	OPENTELEMETRY__PROTO__LOGS__V1__SEVERITY_NUMBER__SEVERITY_NUMBER_INFO

#define SCOPE_NAME	"procwatchd"
#define ATTRS_MAX	6		/* a resource's */

enum shape {
	GAUGE,			/* a ratio: no start time */
	UPDOWN,			/* a size or count: non-monotonic sum */
	COUNTER,		/* monotonic cumulative sum */
};

/*
 * The semantic conventions' process metrics (semconv "process"), each
 * up to two points from catalogue rows, told apart by one attribute.
 */
static const struct otel_metric {
	const char	*name, *unit, *desc;
	enum shape	 shape;
	bool		 is_int;
	const char	*attr;			/* NULL: one point, no attribute */
	const char	*val[2];
	int		 row[2];
	double		 scale;			/* 0: 1 */
} metrics[] = {
	{ "process.cpu.time", "s", "Total CPU seconds by mode.", COUNTER,
	    false, "cpu.mode", { "user", "system" },
	    { PW_METRIC_CPU_USER_SECONDS, PW_METRIC_CPU_SYSTEM_SECONDS }, 0 },
	{ "process.cpu.utilization", "1", "CPU time over the last interval "
	    "divided by the elapsed time and the CPUs available.", GAUGE,
	    false, "cpu.mode", { "user", "system" },
	    { PW_METRIC_CPU_USER_PERCENT, PW_METRIC_CPU_SYSTEM_PERCENT },
	    -1 /* per CPU, set at run time */ },
	{ "process.memory.usage", "By", "The resident set size.", UPDOWN,
	    true, NULL, { NULL, NULL }, { PW_METRIC_RSS_BYTES, -1 }, 0 },
	{ "process.memory.virtual", "By", "The virtual memory size.", UPDOWN,
	    true, NULL, { NULL, NULL }, { PW_METRIC_VMS_BYTES, -1 }, 0 },
	{ "process.open_file_descriptor.count", "{count}", "Open file "
	    "descriptors.", UPDOWN, true, NULL, { NULL, NULL },
	    { PW_METRIC_OPEN_FDS, -1 }, 0 },
	{ "process.thread.count", "{thread}", "Threads.", UPDOWN, true, NULL,
	    { NULL, NULL }, { PW_METRIC_THREADS, -1 }, 0 },
	{ "process.context_switches", "{count}", "Context switches.",
	    COUNTER, true, "process.context_switch_type",
	    { "voluntary", "involuntary" },
	    { PW_METRIC_CTX_VOLUNTARY, PW_METRIC_CTX_INVOLUNTARY }, 0 },
	{ "process.paging.faults", "{fault}", "Page faults.", COUNTER, true,
	    "process.paging.fault_type", { "major", "minor" },
	    { PW_METRIC_MAJOR_FAULTS, PW_METRIC_MINOR_FAULTS }, 0 },
	{ "process.disk.io", "By", "Bytes read from and written to storage.",
	    COUNTER, true, "disk.io.direction", { "read", "write" },
	    { PW_METRIC_READ_BYTES, PW_METRIC_WRITE_BYTES }, 0 },
};
#define NMETRICS	(sizeof(metrics) / sizeof(metrics[0]))

/* Blocks of one request, freed together. */
struct arena {
	void		**v;
	size_t		 n, cap;
	bool		 oom;
};

static void *
az(struct arena *a, size_t size)
{
	void **nv, *p;

	if (a->oom)
		return NULL;
	if (a->n == a->cap) {
		if ((nv = realloc(a->v, (a->cap ? 2 * a->cap : 256) *
		    sizeof(*nv))) == NULL) {
			a->oom = true;
			return NULL;
		}
		a->v = nv;
		a->cap = a->cap ? 2 * a->cap : 256;
	}
	if ((p = calloc(1, size)) == NULL) {
		a->oom = true;
		return NULL;
	}
	a->v[a->n++] = p;
	return p;
}

static void
arena_reset(struct arena *a)
{
	while (a->n > 0)
		free(a->v[--a->n]);
	a->oom = false;
}

static void
arena_fini(struct arena *a)
{
	arena_reset(a);
	free(a->v);
}

static KeyValue *
kv_str(struct arena *a, const char *key, const char *val)
{
	KeyValue *kv = az(a, sizeof(*kv));
	AnyValue *v = az(a, sizeof(*v));

	if (kv == NULL || v == NULL)
		return NULL;
	opentelemetry__proto__common__v1__key_value__init(kv);
	opentelemetry__proto__common__v1__any_value__init(v);
	kv->key = (char *)key;
	v->value_case = AV_STRING;
	v->string_value = (char *)val;
	kv->value = v;
	return kv;
}

static KeyValue *
kv_int(struct arena *a, const char *key, int64_t val)
{
	KeyValue *kv = kv_str(a, key, "");

	if (kv == NULL)
		return NULL;
	kv->value->value_case =
	    AV_INT;
	kv->value->int_value = val;
	return kv;
}

/* The resource of a process, or of an event's process. */
static Resource *
resource(struct arena *a, const char *host, pid_t pid, const char *comm,
    const char *cmdline, const char *target)
{
	Resource *r = az(a, sizeof(*r));
	KeyValue **kv = az(a, ATTRS_MAX * sizeof(*kv));
	size_t n = 0;

	if (r == NULL || kv == NULL)
		return NULL;
	opentelemetry__proto__resource__v1__resource__init(r);
	if (pid > 0)
		kv[n++] = kv_int(a, "process.pid", (int64_t)pid);
	if (comm != NULL && comm[0] != '\0')
		kv[n++] = kv_str(a, "process.executable.name", comm);
	/* Redacted where the store took it (cmdline_redact). */
	if (cmdline != NULL && cmdline[0] != '\0')
		kv[n++] = kv_str(a, "process.command_line", cmdline);
	kv[n++] = kv_str(a, "service.name", target != NULL &&
	    target[0] != '\0' ? target : SCOPE_NAME);
	kv[n++] = kv_str(a, "host.name", host);
	r->attributes = kv;
	r->n_attributes = n;
	return a->oom ? NULL : r;
}

static Scope *
scope(struct arena *a)
{
	Scope *s = az(a, sizeof(*s));

	if (s == NULL)
		return NULL;
	opentelemetry__proto__common__v1__instrumentation_scope__init(s);
	s->name = (char *)SCOPE_NAME;
	s->version = (char *)PACKAGE_VERSION;
	return s;
}

/* One request being filled. */
struct mreq {
	struct arena		 a;
	ResourceMetrics		**rm;
	size_t			 nrm, caprm;
	size_t			 npoints;
};

static int
mreq_flush(struct mreq *q, otlp_emit_fn *emit, void *arg)
{
	MetricsRequest req = METRICS_REQUEST_INIT;
	size_t len;
	uint8_t *buf;
	int rc;

	if (q->nrm == 0)
		return 0;
	req.resource_metrics = q->rm;
	req.n_resource_metrics = q->nrm;
	len = protobuf_c_message_get_packed_size(&req.base);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return -ENOMEM;
	protobuf_c_message_pack(&req.base, buf);
	rc = emit(arg, OTLP_METRICS, buf, len, q->npoints);
	free(buf);
	arena_reset(&q->a);
	q->nrm = q->npoints = 0;
	return rc;
}

/* One metric of a process, or NULL (no value, or out of memory). */
static Metric *
metric(struct arena *a, const struct otel_metric *om, const double *v,
    size_t nc, uint64_t t_ns, uint64_t start_ns, double per_cpu,
    size_t *npoints)
{
	Metric *m;
	Point **pp, *p;
	KeyValue **kv;
	size_t i, n = 0;
	double x;

	if ((pp = az(a, 2 * sizeof(*pp))) == NULL)
		return NULL;
	for (i = 0; i < 2 && om->row[i] >= 0; i++) {
		if ((size_t)om->row[i] >= nc || isnan(v[om->row[i]]))
			continue;
		x = v[om->row[i]];
		if (om->scale < 0)
			x = x / 100.0 / per_cpu;
		if ((p = az(a, sizeof(*p))) == NULL)
			return NULL;
		opentelemetry__proto__metrics__v1__number_data_point__init(p);
		p->time_unix_nano = t_ns;
		if (om->shape != GAUGE)
			p->start_time_unix_nano = start_ns;
		if (om->is_int) {
			p->value_case = PT_INT;
			p->as_int = (int64_t)llround(x);
		} else {
			p->value_case = PT_DOUBLE;
			p->as_double = x;
		}
		if (om->attr != NULL) {
			if ((kv = az(a, sizeof(*kv))) == NULL ||
			    (kv[0] = kv_str(a, om->attr, om->val[i])) == NULL)
				return NULL;
			p->attributes = kv;
			p->n_attributes = 1;
		}
		pp[n++] = p;
	}
	if (n == 0 || (m = az(a, sizeof(*m))) == NULL)
		return NULL;
	opentelemetry__proto__metrics__v1__metric__init(m);
	m->name = (char *)om->name;
	m->unit = (char *)om->unit;
	m->description = (char *)om->desc;
	if (om->shape == GAUGE) {
		Gauge *g = az(a, sizeof(*g));

		if (g == NULL)
			return NULL;
		opentelemetry__proto__metrics__v1__gauge__init(g);
		g->data_points = pp;
		g->n_data_points = n;
		m->data_case = DATA_GAUGE;
		m->gauge = g;
	} else {
		Sum *s = az(a, sizeof(*s));

		if (s == NULL)
			return NULL;
		opentelemetry__proto__metrics__v1__sum__init(s);
		s->data_points = pp;
		s->n_data_points = n;
		s->aggregation_temporality = CUMULATIVE;
		s->is_monotonic = om->shape == COUNTER;
		m->data_case = DATA_SUM;
		m->sum = s;
	}
	*npoints += n;
	return m;
}

/* Add one process's ResourceMetrics; -ENOMEM or 0. */
static int
mreq_add(struct mreq *q, const struct pw_hist_ident *id, const double *v,
    size_t nc, int64_t ts_ms, const char *host, double per_cpu)
{
	struct arena *a = &q->a;
	ResourceMetrics *rm, **nrm;
	ScopeMetrics *sm, **smp;
	Metric **mp;
	size_t i, n = 0;
	uint64_t t_ns = (uint64_t)ts_ms * 1000000u;
	uint64_t start_ns = id->start_time_ms > 0 ?
	    (uint64_t)id->start_time_ms * 1000000u : 0;

	if ((mp = az(a, NMETRICS * sizeof(*mp))) == NULL)
		return -ENOMEM;
	for (i = 0; i < NMETRICS; i++) {
		if ((mp[n] = metric(a, &metrics[i], v, nc, t_ns, start_ns,
		    per_cpu, &q->npoints)) != NULL)
			n++;
		else if (a->oom)
			return -ENOMEM;
	}
	if (n == 0)
		return 0;
	if ((rm = az(a, sizeof(*rm))) == NULL ||
	    (sm = az(a, sizeof(*sm))) == NULL ||
	    (smp = az(a, sizeof(*smp))) == NULL)
		return -ENOMEM;
	opentelemetry__proto__metrics__v1__resource_metrics__init(rm);
	opentelemetry__proto__metrics__v1__scope_metrics__init(sm);
	if ((rm->resource = resource(a, host, id->pid, id->name, id->cmdline,
	    id->target)) == NULL || (sm->scope = scope(a)) == NULL)
		return -ENOMEM;
	sm->metrics = mp;
	sm->n_metrics = n;
	smp[0] = sm;
	rm->scope_metrics = smp;
	rm->n_scope_metrics = 1;
	if (q->nrm == q->caprm) {
		if ((nrm = realloc(q->rm, (q->caprm ? 2 * q->caprm : 64) *
		    sizeof(*nrm))) == NULL)
			return -ENOMEM;
		q->rm = nrm;
		q->caprm = q->caprm ? 2 * q->caprm : 64;
	}
	q->rm[q->nrm++] = rm;
	return 0;
}

int
otlp_encode_metrics(const struct pw_hist_cycle *c, const struct rw_select *sel,
    const char *host, size_t max_points, otlp_emit_fn *emit, void *arg)
{
	const struct pw_hist_ident *id;
	struct mreq q;
	struct rw_cuts cuts;
	const double *v;
	double per_cpu;
	long ncpu;
	size_t i, nc;
	int rc;

	memset(&q, 0, sizeof(q));
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	per_cpu = ncpu > 0 ? (double)ncpu : 1;
	if ((rc = rw_select_cuts(c, sel, &cuts)) < 0)
		goto out;
	for (i = 0; i < pw_hist_cycle_nseries(c); i++) {
		v = pw_hist_cycle_series(c, i, &id, &nc);
		if (id->kind != PW_HIST_PROC || !rw_select_keeps(&cuts, v, nc))
			continue;
		if ((rc = mreq_add(&q, id, v, nc, pw_hist_cycle_ts(c), host,
		    per_cpu)) < 0)
			goto out;
		if (q.npoints >= max_points &&
		    (rc = mreq_flush(&q, emit, arg)) != 0)
			goto out;
	}
	rc = mreq_flush(&q, emit, arg);
out:
	arena_fini(&q.a);
	free(q.rm);
	return rc;
}

/* --- logs ---------------------------------------------------------------- */

static LogRecord *
log_record(struct arena *a, const struct pw_hist_event *e)
{
	LogRecord *lr = az(a, sizeof(*lr));
	AnyValue *body = az(a, sizeof(*body));
	KeyValue **kv = az(a, 6 * sizeof(*kv));
	char *text = az(a, 256), *evname = az(a, 64);
	bool oom = strcmp(e->type, "oom_kill") == 0;
	size_t n = 0;

	if (lr == NULL || body == NULL || kv == NULL || text == NULL ||
	    evname == NULL)
		return NULL;
	opentelemetry__proto__logs__v1__log_record__init(lr);
	opentelemetry__proto__common__v1__any_value__init(body);
	lr->time_unix_nano = (uint64_t)e->ts_ms * 1000000u;
	snprintf(evname, 64, "process.%s", e->type);
	lr->event_name = evname;
	if (oom) {
		lr->severity_number = SEV_ERROR;
		lr->severity_text = (char *)"ERROR";
		snprintf(text, 256, "process %ld (%s) was killed by the OOM "
		    "killer", (long)e->pid, e->name);
	} else if (!isnan(e->value) && e->value < 0) {
		lr->severity_number = SEV_WARN;
		lr->severity_text = (char *)"WARN";
		snprintf(text, 256, "process %ld (%s) was killed by signal %d",
		    (long)e->pid, e->name, (int)-e->value);
	} else {
		lr->severity_number = SEV_INFO;
		lr->severity_text = (char *)"INFO";
		if (isnan(e->value))
			snprintf(text, 256, "process %ld (%s) %s",
			    (long)e->pid, e->name, strcmp(e->type, "exit") == 0 ?
			    "exited" : e->type);
		else
			snprintf(text, 256, "process %ld (%s) exited with "
			    "code %d", (long)e->pid, e->name, (int)e->value);
	}
	body->value_case = AV_STRING;
	body->string_value = text;
	lr->body = body;
	kv[n++] = kv_int(a, "process.pid", (int64_t)e->pid);
	kv[n++] = kv_str(a, "process.executable.name", e->name);
	kv[n++] = kv_str(a, "event.name", evname);
	if (!isnan(e->value) && e->value >= 0 && !oom)
		kv[n++] = kv_int(a, "process.exit.code", (int64_t)e->value);
	else if (!isnan(e->value) && e->value < 0)
		kv[n++] = kv_int(a, "process.exit.signal", (int64_t)-e->value);
	lr->attributes = kv;
	lr->n_attributes = n;
	return a->oom ? NULL : lr;
}

static int
logs_flush(struct arena *a, ResourceLogs **rl, size_t n, otlp_emit_fn *emit,
    void *arg)
{
	LogsRequest req = LOGS_REQUEST_INIT;
	size_t len;
	uint8_t *buf;
	int rc;

	if (n == 0)
		return 0;
	req.resource_logs = rl;
	req.n_resource_logs = n;
	len = protobuf_c_message_get_packed_size(&req.base);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return -ENOMEM;
	protobuf_c_message_pack(&req.base, buf);
	rc = emit(arg, OTLP_LOGS, buf, len, n);
	free(buf);
	arena_reset(a);
	return rc;
}

int
otlp_encode_events(const struct pw_hist_event *ev, size_t n, const char *host,
    size_t max_records, otlp_emit_fn *emit, void *arg)
{
	struct arena a = { 0 };
	ResourceLogs **rl, *r;
	ScopeLogs *sl, **slp;
	LogRecord **lrp;
	size_t i, k = 0;
	int rc = 0;

	if (max_records == 0)
		max_records = 1;
	if ((rl = calloc(max_records, sizeof(*rl))) == NULL)
		return -ENOMEM;
	/* One resource per record: each names its own process. */
	for (i = 0; i < n; i++) {
		if (ev[i].kind != PW_HIST_EV_PROCESS)
			continue;
		if ((r = az(&a, sizeof(*r))) == NULL ||
		    (sl = az(&a, sizeof(*sl))) == NULL ||
		    (slp = az(&a, sizeof(*slp))) == NULL ||
		    (lrp = az(&a, sizeof(*lrp))) == NULL ||
		    (lrp[0] = log_record(&a, &ev[i])) == NULL) {
			rc = -ENOMEM;
			break;
		}
		opentelemetry__proto__logs__v1__resource_logs__init(r);
		opentelemetry__proto__logs__v1__scope_logs__init(sl);
		if ((r->resource = resource(&a, host, ev[i].pid, ev[i].name,
		    NULL, ev[i].target)) == NULL ||
		    (sl->scope = scope(&a)) == NULL) {
			rc = -ENOMEM;
			break;
		}
		sl->log_records = lrp;
		sl->n_log_records = 1;
		slp[0] = sl;
		r->scope_logs = slp;
		r->n_scope_logs = 1;
		rl[k++] = r;
		if (k == max_records) {
			if ((rc = logs_flush(&a, rl, k, emit, arg)) != 0)
				break;
			k = 0;
		}
	}
	if (rc == 0)
		rc = logs_flush(&a, rl, k, emit, arg);
	arena_fini(&a);
	free(rl);
	return rc;
}

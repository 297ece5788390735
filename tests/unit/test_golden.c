/*
 * test_golden.c: golden tests of the HTTP API.  Every endpoint's status,
 * Content-Type (and Allow) and body, byte for byte, for a fixed fake
 * /proc tree, fixed cycle times and a fixed API clock.  They guard the
 * refactors that must not change behaviour (one metric catalogue, split
 * server/config/monitor/rules files): the goldens must pass unchanged
 * after such a move.
 *
 * The golden files are tests/golden/<name>.txt (PW_GOLDEN).  To rewrite
 * them after a change that is MEANT to change output, run
 *	PW_GOLDEN_UPDATE=1 make check TESTS=tests/unit/test_golden
 * in a build directory and review the diff (git diff tests/golden) before
 * committing it.  On a mismatch the actual response is written to
 * golden-out/<name>.txt in the build directory, so that
 *	diff -u ../../tests/golden/NAME.txt golden-out/NAME.txt
 * shows what changed.
 *
 * DESIGN: the monitor is driven by pw_monitor_cycle() at fixed wall times
 * (the sampler thread is never started), alerts are evaluated after each
 * cycle as the daemon's cycle hook does, and the API's clock is the hook
 * api_options.now_ms.  So nothing the responses carry comes from a real
 * clock: the monitor's started_ms stays 0 (uptime_s 0), and cycle_ns_* /
 * jitter_ns_* stay 0 because only the sampler thread measures them.  The
 * list of normalized fields is therefore empty; if a figure that truly
 * cannot be fixed ever appears, add it to `normalized` below, with why.
 * Users are uid 0 (root) and 65534 (nobody), present on every Debian
 * system; MemTotal comes from the fake meminfo; no schedstat file is
 * written, so every process is read fully each cycle (no page-size
 * dependent idle check); the descriptor budget is fixed by max_open_fds.
 * The events feed is left NULL: it needs netlink and would report the
 * real machine's processes; /api/v1/events then says it is not
 * configured.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include <procwatch/custom.h>
#include <procwatch/monitor.h>
#include <procwatch/rules.h>
#include <procwatch/store.h>
#include <procwatch/target.h>

#include "api/api.h"
#include "tests/unit/fakeproc.h"

#ifndef PW_GOLDEN
#error "PW_GOLDEN must name the golden directory"
#endif

#define T0		1800000000000LL	/* 2027-01-15T08:00:00Z, fake wall ms */
#define API_NOW		(T0 + 2500)	/* the API's fixed clock */
#define BTIME		1700000000LL	/* fake boot time, s */
#define HZ		100		/* USER_HZ on Linux */
/* Ticks since boot of an event `s` seconds before T0. */
#define START(s)	((uint64_t)((T0 / 1000 - BTIME - (s)) * HZ))

/*
 * Fields whose numeric values are replaced before comparison: none (see
 * the DESIGN note above).  Kept as an explicit, empty list so that
 * adding one is a visible change.
 */
static const char *const normalized[] = { NULL };

static _Atomic int64_t api_clock_ms = API_NOW;

static int64_t
fake_clock(void *arg)
{
	(void)arg;
	return atomic_load(&api_clock_ms);
}

/* --- the fake /proc tree ------------------------------------------------- */

static struct fakeproc *fp;

/* The host: only btime and MemTotal are read. */
static const struct fakeproc_host host = {
	.btime_s = BTIME,
	.cpu = { 1663, 0, 1489, 100914, 256, 0, 26, 11, 0, 0 },
	.processes = 4439,
	.mem_total_kb = 16384000,
	.mem_free_kb = 8192000,
	.mem_available_kb = 12288000,
	.uptime_s = T0 / 1000 - BTIME,
};

/*
 * The scenario.  "web" (comm webserver, with children, at most 2
 * processes) is webserver 100 (root, two threads), webworker 110 and
 * webhelper 120 (nobody), which exits after the second cycle; "db"
 * (cmdline ^/usr/sbin/dbd, at least 2 processes) is dbd 200 (nobody, no
 * io file, 15 of 16 descriptors); cron 300 is selected by no target.
 * Each cycle adds CPU ticks, I/O, switches and faults; webserver's RSS
 * grows.
 */
static struct fakeproc_proc procs[] = {
	{ .pid = 100, .ppid = 1, .comm = "webserver",
	  .cmdline = "/usr/bin/webserver --port 8080", .state = 'S',
	  .uid = 0, .utime = 1000, .stime = 200, .cutime = 30, .cstime = 10,
	  .starttime = START(3600), .vms_kb = 204800, .rss_kb = 8192,
	  .swap_kb = 512, .vol = 1000, .invol = 50, .minflt = 5000,
	  .majflt = 12, .has_io = true, .read_bytes = 4096000,
	  .write_bytes = 8192,
	  .nfds = 6, .nofile = 1024, .cgroup = "/system.slice/web.service",
	  .t = { { 100, "webserver", 700, 150 }, { 103, "web-io", 300, 50 } } },
	{ .pid = 110, .ppid = 100, .comm = "webworker",
	  .cmdline = "/usr/bin/webserver --worker", .state = 'S',
	  .uid = 65534, .utime = 400, .stime = 100,
	  .starttime = START(3500), .vms_kb = 102400, .rss_kb = 4096,
	  .vol = 300, .invol = 20, .minflt = 900, .has_io = true,
	  .read_bytes = 0, .write_bytes = 65536, .nfds = 3, .nofile = 4096,
	  .cgroup = "/system.slice/web.service" },
	{ .pid = 120, .ppid = 100, .comm = "webhelper",
	  .cmdline = "/usr/lib/web/helper", .state = 'R',
	  .uid = 65534, .utime = 10, .stime = 5,
	  .starttime = START(5), .vms_kb = 20480, .rss_kb = 2048,
	  .vol = 5, .invol = 1, .minflt = 100, .has_io = true,
	  .nfds = 2, .nofile = 1024, .cgroup = "/system.slice/web.service" },
	{ .pid = 200, .ppid = 1, .comm = "dbd",
	  .cmdline = "/usr/sbin/dbd -c /etc/dbd.conf", .state = 'S',
	  .uid = 65534, .utime = 5000, .stime = 2500,
	  .starttime = START(86400), .vms_kb = 1048576, .rss_kb = 262144,
	  .swap_kb = 1024, .vol = 80000, .invol = 900, .minflt = 40000,
	  .majflt = 300, .has_io = false, .nfds = 15, .nofile = 16,
	  .cgroup = "/system.slice/dbd.service" },
	{ .pid = 300, .ppid = 1, .comm = "cron", .cmdline = "/usr/sbin/cron -f",
	  .state = 'S', .uid = 0, .utime = 20, .stime = 10,
	  .starttime = START(86400), .vms_kb = 8192, .rss_kb = 1024,
	  .has_io = true, .nfds = 4, .nofile = 1024,
	  .cgroup = "/system.slice/cron.service" },
};

/* What one second of work adds to process i (ticks at HZ 100). */
static void
advance(struct fakeproc_proc *p, unsigned step)
{
	switch (p->pid) {
	case 100:	/* 60% then 100% of a core; RSS grows */
		p->utime += step == 1 ? 50 : 80;
		p->stime += step == 1 ? 10 : 20;
		p->t[0].utime += step == 1 ? 30 : 50;
		p->t[0].stime += step == 1 ? 10 : 20;
		p->t[1].utime += step == 1 ? 20 : 30;
		p->rss_kb += 1024;
		p->vol += 120;
		p->invol += 7;
		p->minflt += 250;
		p->majflt += 1;
		p->read_bytes += 1048576;
		p->write_bytes += 4096;
		p->nfds++;
		break;
	case 110:
		p->utime += 15;
		p->stime += 5;
		p->vol += 40;
		p->write_bytes += 16384;
		break;
	case 120:
		p->utime += 45;
		p->stime += 3;
		p->cutime += 2;
		break;
	case 200:
		p->utime += 8;
		p->stime += 4;
		p->vol += 600;
		p->minflt += 10;
		break;
	default:
		break;
	}
}

/* --- the engine ---------------------------------------------------------- */

struct golden {
	struct pw_target	 t[2];
	struct pw_custom	*cs;
	struct pw_monitor	*mon;
	struct pw_alerts	*alerts;
	struct api_server	*srv;
	CURL			*curl;
	uint16_t		 port;
	bool			 update;
	unsigned		 failed;
};

/* A collector: two series per target, one with a label. */
static int
collect_fixed(void *arg, const struct pw_collect *c)
{
	static const struct pw_custom_label l = { "kind", "static" };
	int rc;

	(void)arg;
	if ((rc = c->emit(c->emitter, "pool_size", 4, &l, 1)) < 0)
		return rc;
	return c->emit(c->emitter, "pool_busy",
	    strcmp(c->target, "web") == 0 ? 3 : 1, NULL, 0);
}

/* The cycle as the daemon runs it: sample, then evaluate the rules. */
static void
cycle(struct golden *g, int64_t now_ms)
{
	struct pw_snapshot *snap;
	struct pw_alert *t = NULL;
	size_t nt = 0;

	assert_int_equal(pw_monitor_cycle(g->mon, now_ms), 0);
	assert_int_equal(pw_store_snapshot(pw_monitor_store(g->mon), false,
	    &snap), 0);
	assert_int_equal(pw_alerts_eval(g->alerts, snap, now_ms, &t, &nt), 0);
	free(t);
	pw_snapshot_free(snap);
}

/* The store's id of live process pid. */
static uint64_t
proc_id(struct golden *g, pid_t pid)
{
	struct pw_snapshot *snap;
	uint64_t id;

	assert_int_equal(pw_store_snapshot_pid(pw_monitor_store(g->mon), pid,
	    &snap), 0);
	assert_int_equal(snap->n, 1);
	id = snap->procs[0].id;
	pw_snapshot_free(snap);
	return id;
}

static void
make_rules(struct golden *g)
{
	static const char *web[] = { "web" };
	struct pw_rule r[10];
	struct pw_alert_target at[2];
	size_t n = 0, i;

	memset(r, 0, sizeof(r));
	assert_int_equal(pw_rule_builtin("high_cpu", &r[n++]), 0);
	assert_int_equal(pw_rule_builtin("fd_exhaustion", &r[n++]), 0);
	assert_int_equal(pw_rule_builtin("process_down", &r[n++]), 0);
	assert_int_equal(pw_rule_builtin("too_many_processes", &r[n++]), 0);
	/* Pending: the condition holds but for_ms has not passed. */
	r[n].name = strdup("web_busy");
	r[n].metric = strdup("cpu_percent");
	r[n].op = PW_OP_GT;
	r[n].threshold = 40;
	r[n].for_ms = 5000;
	r[n].severity = PW_ASEV_WARNING;
	r[n].targets = calloc(1, sizeof(char *));
	r[n].targets[0] = strdup(web[0]);
	r[n].ntargets = 1;
	n++;
	/* An aggregate with a message template; resolves when 120 exits. */
	r[n].name = strdup("rss_avg");
	r[n].metric = strdup("rss_bytes");
	r[n].op = PW_OP_GE;
	r[n].threshold = 2097152;
	r[n].agg = PW_AGG_AVG;
	r[n].window_ms = 10000;
	r[n].severity = PW_ASEV_INFO;
	r[n].message = strdup("{name} ({pid}) of {target}: average RSS "
	    "{value:.0f} >= {threshold}");
	n++;
	/* A custom series, with hysteresis. */
	r[n].name = strdup("queue_high");
	r[n].metric = strdup("custom:queue_depth");
	r[n].op = PW_OP_GT;
	r[n].threshold = 10;
	r[n].has_clear = true;
	r[n].clear = 5;
	r[n].severity = PW_ASEV_CRITICAL;
	n++;
	/* A group rule, and a rate. */
	r[n].name = strdup("group_cpu");
	r[n].metric = strdup("target_cpu_percent");
	r[n].scope = PW_SCOPE_GROUP;
	r[n].op = PW_OP_GT;
	r[n].threshold = 50;
	r[n].severity = PW_ASEV_WARNING;
	n++;
	r[n].name = strdup("read_rate");
	r[n].metric = strdup("read_bytes_rate");
	r[n].op = PW_OP_GT;
	r[n].threshold = 1000;
	r[n].severity = PW_ASEV_INFO;
	n++;
	for (i = 0; i < n; i++)
		assert_non_null(r[i].name);
	assert_non_null(g->alerts = pw_alerts_new(r, n, 16));
	for (i = 0; i < n; i++)
		pw_rule_fini(&r[i]);
	at[0].name = "web";
	at[0].min_processes = g->t[0].min_processes;
	at[0].max_processes = g->t[0].max_processes;
	at[1].name = "db";
	at[1].min_processes = g->t[1].min_processes;
	at[1].max_processes = g->t[1].max_processes;
	assert_int_equal(pw_alerts_set_targets(g->alerts, at, 2), 0);
}

/* Trimmed from a real process's files (proc(5)); kB. */
static const char golden_rollup[] =
    "55d0c0a00000-7ffd5a5f1000 ---p 00000000 00:00 0"
    "                          [rollup]\n"
    "Rss:                6144 kB\nPss:                4100 kB\n"
    "Pss_Dirty:          2000 kB\nPss_Anon:           2000 kB\n"
    "Shared_Clean:       3072 kB\nShared_Dirty:          0 kB\n"
    "Private_Clean:      1024 kB\nPrivate_Dirty:      2048 kB\n"
    "Referenced:         6144 kB\nAnonymous:          2048 kB\n"
    "Swap:                512 kB\nSwapPss:             256 kB\n"
    "Locked:                0 kB\n";
static const char golden_smaps[] =
    "55d0c0a00000-55d0c0b00000 r-xp 00000000 08:01 1234"
    "                       /usr/sbin/webserver\n"
    "Size:               1024 kB\nRss:                1024 kB\n"
    "Pss:                 512 kB\nPrivate_Clean:         0 kB\n"
    "Swap:                  0 kB\nSwapPss:               0 kB\n"
    "VmFlags: rd ex mr mw me dw\n"
    "55d0c1000000-55d0c1200000 rw-p 00000000 00:00 0"
    "                          [heap]\n"
    "Size:               2048 kB\nRss:                2048 kB\n"
    "Pss:                2048 kB\nPrivate_Dirty:      2048 kB\n"
    "Swap:                512 kB\nSwapPss:             256 kB\n"
    "7f0000000000-7f0000300000 r--s 00000000 00:05 99"
    "                          /dev/shm/cache (deleted)\n"
    "Size:               3072 kB\nRss:                3072 kB\n"
    "Pss:                1536 kB\nShared_Clean:       3072 kB\n"
    "7ffd5a5d0000-7ffd5a5f1000 rw-p 00000000 00:00 0"
    "                          [stack]\n"
    "Size:                132 kB\nRss:                   4 kB\n"
    "Pss:                   4 kB\nPrivate_Dirty:         4 kB\n";

static int
setup(void **state)
{
	struct pw_custom_config cc = { 0 };
	struct pw_monitor_config c;
	struct api_options ao;
	struct pw_custom_point pt;
	struct golden *g;
	char err[256];
	size_t i;
	int rc = 0;

	assert_non_null(g = calloc(1, sizeof(*g)));
	g->update = getenv("PW_GOLDEN_UPDATE") != NULL &&
	    strcmp(getenv("PW_GOLDEN_UPDATE"), "1") == 0;
	fp = fakeproc_new(&host);
	for (i = 0; i < sizeof(procs) / sizeof(procs[0]); i++)
		fakeproc_add(fp, &procs[i]);
	/* webserver's memory map: PSS for it alone (lib/pss.c), /memory. */
	fakeproc_put(fp, 100, "smaps_rollup", "%s", golden_rollup);
	fakeproc_put(fp, 100, "smaps", "%s", golden_smaps);

	assert_int_equal(pw_target_init(&g->t[0], "web", PW_SEL_NAME,
	    "webserver", true, err, sizeof(err)), 0);
	g->t[0].max_processes = 2;
	assert_int_equal(pw_target_init(&g->t[1], "db", PW_SEL_CMDLINE,
	    "^/usr/sbin/dbd", false, err, sizeof(err)), 0);
	g->t[1].min_processes = 2;
	pw_monitor_config_defaults(&c);
	c.proc_root = fakeproc_root(fp);
	c.history = 10;
	c.retention_ms = 60000;
	c.max_open_fds = 512;
	c.pss_every_ms = 1000;		/* every cycle reads all of its top */
	c.targets = g->t;
	c.ntargets = 2;
	assert_non_null(g->mon = pw_monitor_new(&c, &rc));
	assert_non_null(g->cs = pw_custom_new(&cc));
	pw_monitor_set_custom(g->mon, g->cs);
	assert_int_equal(pw_monitor_add_source(g->mon, "fixed",
	    PW_COLLECT_PER_TARGET, collect_fixed, NULL), 0);
	make_rules(g);
	pw_alerts_set_custom(g->alerts, g->cs);

	cycle(g, T0);
	for (i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		advance(&procs[i], 1);
		fakeproc_update(fp, &procs[i]);
	}
	cycle(g, T0 + 1000);
	/* A custom series of webserver and one of the host, pushed in. */
	memset(&pt, 0, sizeof(pt));
	pt.name = "queue_depth";
	pt.scope = PW_CUSTOM_PROC;
	pt.proc_id = proc_id(g, 100);
	pt.pid = 100;
	pt.target = "web";
	pt.ts_ms = T0 + 1500;
	pt.value = 25;
	assert_int_equal(pw_custom_put(g->cs, &pt, "push", T0 + 1500, err,
	    sizeof(err)), 0);
	memset(&pt, 0, sizeof(pt));
	pt.name = "host_temp";
	pt.scope = PW_CUSTOM_HOST;
	pt.ts_ms = T0 + 1600;
	pt.value = 41.5;
	assert_int_equal(pw_custom_put(g->cs, &pt, "push", T0 + 1600, err,
	    sizeof(err)), 0);
	fakeproc_remove(fp, 120);
	for (i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		if (procs[i].pid == 120)
			continue;
		advance(&procs[i], 2);
		fakeproc_update(fp, &procs[i]);
	}
	cycle(g, T0 + 2000);

	memset(&ao, 0, sizeof(ao));
	ao.host = "127.0.0.1";
	ao.port = 0;
	ao.version = "0.0.0-golden";
	ao.alerts = g->alerts;
	ao.now_ms = fake_clock;
	ao.now_arg = NULL;
	assert_non_null(g->srv = api_start(&ao, g->mon, err, sizeof(err)));
	g->port = api_port(g->srv);
	assert_true(g->port != 0);
	assert_non_null(g->curl = curl_easy_init());
	*state = g;
	return 0;
}

static int
teardown(void **state)
{
	struct golden *g = *state;

	curl_easy_cleanup(g->curl);
	api_stop(g->srv);
	pw_monitor_free(g->mon);
	pw_alerts_free(g->alerts);
	pw_custom_free(g->cs);
	pw_target_fini(&g->t[0]);
	pw_target_fini(&g->t[1]);
	fakeproc_free(fp);
	fp = NULL;
	free(g);
	return 0;
}

/* --- HTTP and comparison ------------------------------------------------- */

struct buf {
	char	*p;
	size_t	 len;
};

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	char *np;

	assert_non_null(np = realloc(b->p, b->len + n + 1));
	memcpy(np + b->len, p, n);
	b->len += n;
	np[b->len] = '\0';
	b->p = np;
}

static void buf_printf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
buf_printf(struct buf *b, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(line));
	buf_add(b, line, (size_t)n);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

/* Keeps the Allow header's value (the others are asked of curl). */
static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct buf *allow = arg;
	size_t len = size * n;

	if (len > 6 && strncasecmp(p, "Allow:", 6) == 0) {
		p += 6;
		len -= 6;
		while (len > 0 && *p == ' ')
			p++, len--;
		while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == '\n'))
			len--;
		allow->len = 0;
		buf_add(allow, p, len);
	}
	return size * n;
}

struct reply {
	long		 status;
	char		 ctype[128];
	struct buf	 allow;
	struct buf	 body;
};

static void
reply_free(struct reply *r)
{
	free(r->allow.p);
	free(r->body.p);
}

static void
request(struct golden *g, const char *method, const char *path,
    const char *body, struct reply *out)
{
	struct curl_slist *hdr = NULL;
	char url[512];
	char *ct = NULL;
	CURL *c = g->curl;

	memset(out, 0, sizeof(*out));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", (unsigned)g->port,
	    path);
	curl_easy_reset(c);
	assert_int_equal(curl_easy_setopt(c, CURLOPT_URL, url), CURLE_OK);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &out->allow);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	if (body != NULL) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct != NULL)
		snprintf(out->ctype, sizeof(out->ctype), "%s", ct);
	curl_slist_free_all(hdr);
	if (out->body.p == NULL)
		buf_add(&out->body, "", 0);
	if (out->allow.p == NULL)
		buf_add(&out->allow, "", 0);
}

/*
 * Wait until the server counts only our connection open: one that an
 * earlier reply closed is counted until an HTTP thread has cleaned it up,
 * which may come after our next request on a new connection.  So
 * procwatch_http_connections_open on a golden page is always 1.
 */
static void
settle_connections(struct golden *g)
{
	struct reply r;
	bool one;
	int i;

	for (i = 0; i < 1000; i++) {
		request(g, "GET", "/metrics", NULL, &r);
		one = strstr(r.body.p,
		    "\nprocwatch_http_connections_open 1\n") != NULL;
		reply_free(&r);
		if (one)
			return;
		usleep(1000);
	}
	fail_msg("the server never counted a single open connection");
}

/* Read a whole file into b; false if it does not exist. */
static bool
slurp(const char *path, struct buf *b)
{
	char chunk[8192];
	size_t n;
	FILE *f;

	memset(b, 0, sizeof(*b));
	if ((f = fopen(path, "r")) == NULL)
		return false;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(b, chunk, n);
	fclose(f);
	if (b->p == NULL)
		buf_add(b, "", 0);
	return true;
}

static void
spill(const char *path, const struct buf *b)
{
	FILE *f;

	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(b->p, 1, b->len, f), b->len);
	assert_int_equal(fclose(f), 0);
}

/*
 * Request `method path` (with `body` for POST), render what came back as
 * the golden text and compare it with tests/golden/<name>.txt, or write
 * it there in update mode.  A mismatch is counted (all requests run, so
 * one run shows every difference) and the actual text is left in
 * golden-out/<name>.txt.
 */
static void
golden(struct golden *g, const char *name, const char *method,
    const char *path, const char *body)
{
	struct reply r;
	struct buf got = { 0 }, want;
	char file[1024];
	size_t i;

	request(g, method, path, body, &r);
	buf_printf(&got, "%s %s\n", method, path);
	if (body != NULL)
		buf_printf(&got, "request: %s\n", body);
	buf_printf(&got, "status: %ld\ncontent-type: %s\n", r.status,
	    r.ctype);
	if (r.allow.len > 0)
		buf_printf(&got, "allow: %s\n", r.allow.p);
	buf_printf(&got, "\n");
	buf_add(&got, r.body.p, r.body.len);
	reply_free(&r);

	snprintf(file, sizeof(file), "%s/%s.txt", PW_GOLDEN, name);
	if (g->update) {
		spill(file, &got);
		free(got.p);
		return;
	}
	if (!slurp(file, &want)) {
		print_error("golden %s: %s is missing (PW_GOLDEN_UPDATE=1 "
		    "writes it)\n", name, file);
		g->failed++;
	} else if (want.len != got.len || memcmp(want.p, got.p, got.len)) {
		for (i = 0; i < want.len && i < got.len &&
		    want.p[i] == got.p[i]; i++)
			;
		(void)mkdir("golden-out", 0755);
		snprintf(file, sizeof(file), "golden-out/%s.txt", name);
		spill(file, &got);
		print_error("golden %s: differs at byte %zu (want %zu bytes, "
		    "got %zu); actual in %s\n  want: %.80s\n  got:  %.80s\n",
		    name, i, want.len, got.len, file,
		    i < want.len ? want.p + i : "(end)",
		    i < got.len ? got.p + i : "(end)");
		g->failed++;
	}
	free(want.p);
	free(got.p);
}

/* --- the tests ----------------------------------------------------------- */

static void
test_golden_every_endpoint(void **state)
{
	struct golden *g = *state;

	g->failed = 0;
	assert_null(normalized[0]);	/* nothing to normalize, see above */

	golden(g, "healthz", "GET", "/healthz", NULL);
	golden(g, "processes", "GET", "/api/v1/processes", NULL);
	golden(g, "processes_all", "GET", "/api/v1/processes?all=1", NULL);
	golden(g, "process", "GET", "/api/v1/processes/100", NULL);
	golden(g, "process_db", "GET", "/api/v1/processes/200", NULL);
	golden(g, "process_gone", "GET", "/api/v1/processes/120", NULL);
	golden(g, "samples", "GET", "/api/v1/processes/100/samples", NULL);
	golden(g, "samples_limit", "GET",
	    "/api/v1/processes/100/samples?limit=2", NULL);
	golden(g, "samples_since", "GET",
	    "/api/v1/processes/100/samples?since=2027-01-15T08:00:01Z", NULL);
	golden(g, "samples_gone", "GET", "/api/v1/processes/120/samples",
	    NULL);
	/* A window in the ring, relative to the API's clock; no history. */
	golden(g, "samples_window", "GET", "/api/v1/processes/100/samples?"
	    "since=2027-01-15T08:00:00Z&until=2027-01-15T08:00:02Z", NULL);
	golden(g, "stats", "GET", "/api/v1/processes/100/stats", NULL);
	golden(g, "stats_window", "GET", "/api/v1/processes/100/stats?"
	    "window=10s&metrics=cpu_percent,rss_bytes,read_bytes_rate", NULL);
	golden(g, "stats_db", "GET", "/api/v1/processes/200/stats", NULL);
	golden(g, "threads", "GET", "/api/v1/processes/100/threads", NULL);
	golden(g, "memory", "GET", "/api/v1/processes/100/memory?limit=3",
	    NULL);
	/* A second reading 1 s later, the threads having run meanwhile:
	 * CPU % since the previous request.  The /proc files change but no
	 * cycle runs, so the store does not see it. */
	procs[0].t[0].utime += 40;
	procs[0].t[1].stime += 10;
	fakeproc_update(fp, &procs[0]);
	atomic_store(&api_clock_ms, API_NOW + 1000);
	golden(g, "threads_interval", "GET", "/api/v1/processes/100/threads",
	    NULL);
	atomic_store(&api_clock_ms, API_NOW);
	golden(g, "averages", "GET", "/api/v1/averages", NULL);
	golden(g, "averages_web", "GET", "/api/v1/averages?target=web&"
	    "window=1m", NULL);
	golden(g, "bottlenecks", "GET", "/api/v1/bottlenecks", NULL);
	golden(g, "bottlenecks_target", "GET",
	    "/api/v1/bottlenecks?by=target", NULL);
	golden(g, "custom", "GET", "/api/v1/custom", NULL);
	golden(g, "custom_push", "POST", "/api/v1/custom",
	    "[{\"name\":\"queue_depth\",\"value\":3,\"pid\":200},"
	    "{\"name\":\"hits\",\"value\":7,\"target\":\"web\","
	    "\"labels\":{\"cache\":\"l1\"},\"ts\":\"2027-01-15T08:00:02Z\"},"
	    "{\"name\":\"host_load\",\"value\":0.25}]");
	golden(g, "custom_after", "GET", "/api/v1/custom", NULL);
	golden(g, "process_custom", "GET", "/api/v1/processes/200", NULL);
	golden(g, "targets", "GET", "/api/v1/targets", NULL);
	golden(g, "target_web", "GET", "/api/v1/targets/web", NULL);
	golden(g, "target_db", "GET", "/api/v1/targets/db", NULL);
	golden(g, "target_samples", "GET", "/api/v1/targets/web/samples",
	    NULL);
	golden(g, "target_samples_limit", "GET",
	    "/api/v1/targets/web/samples?limit=1", NULL);
	golden(g, "target_stats", "GET", "/api/v1/targets/web/stats", NULL);
	golden(g, "target_stats_db", "GET", "/api/v1/targets/db/stats?"
	    "metrics=cpu_percent,fd_usage_max", NULL);
	golden(g, "events", "GET", "/api/v1/events", NULL);
	settle_connections(g);
	golden(g, "metrics", "GET", "/metrics", NULL);
	golden(g, "catalogue", "GET", "/api/v1/catalogue", NULL);
	golden(g, "alerts", "GET", "/api/v1/alerts", NULL);
	golden(g, "alerts_all", "GET", "/api/v1/alerts?state=all", NULL);
	golden(g, "alerts_resolved", "GET", "/api/v1/alerts?state=resolved",
	    NULL);
	golden(g, "alerts_pending", "GET", "/api/v1/alerts?state=pending",
	    NULL);
	golden(g, "alerts_critical", "GET", "/api/v1/alerts?severity=critical",
	    NULL);
	golden(g, "alerts_web", "GET", "/api/v1/alerts?target=web", NULL);
	golden(g, "alerts_short", "GET", "/alerts", NULL);
	golden(g, "rules", "GET", "/api/v1/rules", NULL);
	golden(g, "baseline_create", "POST", "/api/v1/baselines",
	    "{\"name\":\"before\",\"pid\":100,\"window\":\"10s\"}");
	golden(g, "stats_baseline", "GET",
	    "/api/v1/processes/100/stats?baseline=before", NULL);

	assert_int_equal(g->failed, 0);
}

static void
test_golden_errors(void **state)
{
	struct golden *g = *state;

	g->failed = 0;
	golden(g, "err_unknown_pid", "GET", "/api/v1/processes/4242", NULL);
	golden(g, "err_bad_pid", "GET", "/api/v1/processes/abc", NULL);
	golden(g, "err_memory_limit", "GET",
	    "/api/v1/processes/100/memory?limit=1001", NULL);
	golden(g, "err_memory_unknown_pid", "GET",
	    "/api/v1/processes/4242/memory", NULL);
	golden(g, "err_samples_unknown_pid", "GET",
	    "/api/v1/processes/4242/samples", NULL);
	golden(g, "err_limit_zero", "GET",
	    "/api/v1/processes/100/samples?limit=0", NULL);
	golden(g, "err_limit_word", "GET",
	    "/api/v1/processes/100/samples?limit=ten", NULL);
	golden(g, "err_since", "GET",
	    "/api/v1/processes/100/samples?since=yesterday", NULL);
	golden(g, "err_all_flag", "GET", "/api/v1/processes?all=maybe", NULL);
	/* What needs the history on disk, which this daemon has not. */
	golden(g, "err_resolution", "GET",
	    "/api/v1/processes/100/samples?resolution=5m", NULL);
	golden(g, "err_resolution_memory", "GET",
	    "/api/v1/processes/100/samples?resolution=1m", NULL);
	golden(g, "err_until_order", "GET",
	    "/api/v1/processes/100/samples?since=-1m&until=-2m", NULL);
	golden(g, "err_at_memory", "GET", "/api/v1/processes?at=-1m", NULL);
	golden(g, "err_at_bad", "GET", "/api/v1/alerts?at=soon", NULL);
	golden(g, "err_events_window_memory", "GET",
	    "/api/v1/events?since=-1h", NULL);
	golden(g, "err_bottlenecks_until_memory", "GET",
	    "/api/v1/bottlenecks?until=-5m", NULL);
	golden(g, "err_method", "DELETE", "/api/v1/processes", NULL);
	golden(g, "err_method_post_only", "GET", "/api/v1/baselines", NULL);
	golden(g, "err_unknown_path", "GET", "/api/v2/nothing", NULL);
	golden(g, "err_stats_window", "GET",
	    "/api/v1/processes/100/stats?window=forever", NULL);
	golden(g, "err_stats_metric", "GET",
	    "/api/v1/processes/100/stats?metrics=nonsense", NULL);
	golden(g, "err_stats_baseline", "GET",
	    "/api/v1/processes/100/stats?baseline=nope", NULL);
	golden(g, "err_threads_unknown", "GET",
	    "/api/v1/processes/4242/threads", NULL);
	golden(g, "err_bottlenecks_by", "GET", "/api/v1/bottlenecks?by=host",
	    NULL);
	golden(g, "err_averages_target", "GET",
	    "/api/v1/averages?target=nope", NULL);
	golden(g, "err_target_unknown", "GET", "/api/v1/targets/nope", NULL);
	golden(g, "err_target_name", "GET", "/api/v1/targets/b%20d", NULL);
	golden(g, "err_target_samples", "GET",
	    "/api/v1/targets/web/samples?limit=-1", NULL);
	golden(g, "err_alerts_state", "GET", "/api/v1/alerts?state=open",
	    NULL);
	golden(g, "err_alerts_severity", "GET",
	    "/api/v1/alerts?severity=fatal", NULL);
	golden(g, "err_events_limit", "GET", "/api/v1/events?limit=0", NULL);
	golden(g, "err_custom_body", "POST", "/api/v1/custom",
	    "[{\"name\":\"ok\",\"value\":1},{\"name\":\"9bad\",\"value\":1}]");
	golden(g, "err_custom_json", "POST", "/api/v1/custom", "{not json");
	golden(g, "err_baseline_body", "POST", "/api/v1/baselines",
	    "{\"name\":\"x\"}");
	golden(g, "err_reload", "POST", "/api/v1/reload", "{}");
	golden(g, "err_profile_get", "GET", "/api/v1/profiles/1", NULL);
	golden(g, "err_profile_start", "POST", "/api/v1/processes/100/profile",
	    "{}");
	golden(g, "err_dygraphs", "GET", "/static/dygraphs/nope.js", NULL);

	assert_int_equal(g->failed, 0);
}

/* /metrics under process_metrics none and top 1. */
static void
test_golden_metrics_modes(void **state)
{
	struct golden *g = *state;

	g->failed = 0;
	api_set_process_metrics(g->srv, API_PROCMETRICS_TOP, 1);
	settle_connections(g);
	golden(g, "metrics_top1", "GET", "/metrics", NULL);
	api_set_process_metrics(g->srv, API_PROCMETRICS_NONE, 0);
	settle_connections(g);
	golden(g, "metrics_none", "GET", "/metrics", NULL);
	api_set_process_metrics(g->srv, API_PROCMETRICS_ALL, 0);
	assert_int_equal(g->failed, 0);
}

/* The dashboard: status, type and the embedded file's length. */
static void
test_golden_dashboard_index(void **state)
{
	struct golden *g = *state;
	struct reply r;
	size_t i, want = 0;

	for (i = 0; i < api_web_nfiles; i++)
		if (strcmp(api_web_files[i].name, "index.html") == 0)
			want = api_web_files[i].len;
	assert_true(want > 0);
	request(g, "GET", "/", NULL, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.ctype, "text/html; charset=utf-8");
	assert_int_equal(r.body.len, want);
	reply_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_every_endpoint),
		cmocka_unit_test(test_golden_errors),
		cmocka_unit_test(test_golden_metrics_modes),
		cmocka_unit_test(test_golden_dashboard_index),
	};
	int rc;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
	/* One engine for every test: the order of requests is part of the
	 * scenario (baselines, per-thread readings, pushed series). */
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}

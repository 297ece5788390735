/*
 * api/prom.c: the /metrics page, Prometheus text exposition format 0.0.4.
 *
 * DESIGN: a scrape of 1000 processes writes some 20000 lines, so this file
 * avoids cJSON and printf.  Each process's label set (pid, name, target) is
 * escaped once into a scratch buffer; then every family is written in one
 * pass over the processes (a family's samples must be contiguous), each
 * line assembled with memcpy and a hand-rolled number formatter into one
 * growing buffer with a hard cap.  Values are exact decimals: counters are
 * integers, and fractions (CPU seconds, percentages, nanoseconds) are kept
 * as scaled integers rather than going through a double.  A series whose
 * value is unknown (no /proc/PID/io, a first sample's CPU %) is left out
 * rather than reported as 0.  A family with no series gets no HELP/TYPE.
 * The procwatch_group_* families (api_prom_groups()) are rendered the
 * same way over the group views of a snapshot, one series per target.
 *
 * Per-process series are the costly part for a Prometheus server: every
 * pid is a new series in each of the 14 families (17 series), and a
 * restart makes new ones.  So the server may render a subset:
 * api_prom_select_init() picks it (process_metrics "none", or "top" N by
 * CPU % and N by RSS, chosen afresh at each scrape) as a shallow copy of
 * the snapshot, and the renderers are handed that copy.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/groupacc.h>
#include <procwatch/monitor.h>
#include <procwatch/sample.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "api/buf.h"

/*
 * A decimal number: (neg ? -1 : 1) * mag / 10^dec.  Keeping values scaled
 * makes output exact and cheap (no floating point formatting).
 */
struct num {
	uint64_t	mag;
	unsigned	dec;		/* 0 .. 9 */
	bool		neg;
};

static const uint64_t pow10_tab[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000
};

static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233"
	"34353637383940414243444546474849505152535455565758596061626364656667"
	"6869707172737475767778798081828384858687888990919293949596979899";

static char *
put_u64(char *p, uint64_t v)
{
	char tmp[20], *t = tmp + sizeof(tmp);
	size_t n;
	unsigned r;

	while (v >= 100) {
		r = (unsigned)(v % 100);
		v /= 100;
		t -= 2;
		memcpy(t, digits2 + r * 2, 2);
	}
	if (v >= 10) {
		t -= 2;
		memcpy(t, digits2 + v * 2, 2);
	} else
		*--t = (char)('0' + v);
	n = (size_t)(tmp + sizeof(tmp) - t);
	memcpy(p, t, n);
	return p + n;
}

/* At most 1 + 20 + 1 + 9 bytes. */
#define NUM_MAX	32

static char *
put_num(char *p, const struct num *v)
{
	uint64_t scale, frac;
	unsigned i, n;

	if (v->neg && v->mag != 0)
		*p++ = '-';
	if (v->dec == 0)
		return put_u64(p, v->mag);
	scale = pow10_tab[v->dec];
	p = put_u64(p, v->mag / scale);
	if ((frac = v->mag % scale) == 0)
		return p;
	for (n = v->dec; frac % 10 == 0; n--)	/* drop trailing zeros */
		frac /= 10;
	*p++ = '.';
	for (i = n; i > 0; i--) {
		p[i - 1] = (char)('0' + frac % 10);
		frac /= 10;
	}
	return p + n;
}

static struct num
num_u64(uint64_t v)
{
	struct num n = { v, 0, false };

	return n;
}

/* Nanoseconds as seconds. */
static struct num
num_ns(uint64_t ns)
{
	struct num n = { ns, 9, false };

	return n;
}

/* Signed milliseconds as seconds. */
static struct num
num_ms(int64_t ms)
{
	struct num n;

	n.neg = ms < 0;
	n.mag = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
	n.dec = 3;
	return n;
}

/* A percentage rounded to 2 decimals; false if not a finite number. */
static bool
num_pct(double pct, struct num *out)
{
	double r;

	if (!isfinite(pct))
		return false;
	r = round(fabs(pct) * 100.0);
	if (r >= 1e18)
		return false;
	out->mag = (uint64_t)r;
	out->dec = 2;
	out->neg = pct < 0;
	return true;
}

/*
 * Append s as a label value: '\', '"' and newline escaped, bytes that are
 * not UTF-8 (label values must be) replaced by U+FFFD.
 */
static void
put_label_value(struct api_buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i, k;
	char *p;

	if ((p = api_buf_room(b, n * 3)) == NULL)
		return;
	for (i = 0; i < n; i += k) {
		if (u[i] == '\\' || u[i] == '"' || u[i] == '\n') {
			*p++ = '\\';
			*p++ = u[i] == '\n' ? 'n' : (char)u[i];
			k = 1;
		} else if (u[i] < 0x80) {
			*p++ = (char)u[i];
			k = 1;
		} else if ((k = api_utf8_seq(u + i, n - i)) != 0) {
			memcpy(p, u + i, k);
			p += k;
		} else {
			memcpy(p, "\xef\xbf\xbd", 3);
			p += 3;
			k = 1;
		}
	}
	api_buf_commit(b, p);
}

/*
 * One sample line: name{labels,extra} value.  `labels` (already escaped)
 * and `extra` (a constant like mode="user") may be empty / NULL.
 */
static void
put_series(struct api_buf *b, const char *name, size_t namelen,
    const char *labels, size_t lablen, const char *extra,
    const struct num *v)
{
	size_t extralen = extra != NULL ? strlen(extra) : 0;
	char *p;

	if ((p = api_buf_room(b, namelen + lablen + extralen + 4 +
	    NUM_MAX)) == NULL)
		return;
	memcpy(p, name, namelen);
	p += namelen;
	if (lablen != 0 || extralen != 0) {
		*p++ = '{';
		if (lablen != 0) {
			memcpy(p, labels, lablen);
			p += lablen;
		}
		if (extralen != 0) {
			if (lablen != 0)
				*p++ = ',';
			memcpy(p, extra, extralen);
			p += extralen;
		}
		*p++ = '}';
	}
	*p++ = ' ';
	p = put_num(p, v);
	*p++ = '\n';
	api_buf_commit(b, p);
}

static void
put_header(struct api_buf *b, const char *name, const char *type,
    const char *help)
{
	api_buf_puts(b, "# HELP ");
	api_buf_puts(b, name);
	api_buf_put(b, " ", 1);
	api_buf_puts(b, help);
	api_buf_puts(b, "\n# TYPE ");
	api_buf_puts(b, name);
	api_buf_put(b, " ", 1);
	api_buf_puts(b, type);
	api_buf_put(b, "\n", 1);
}

/* What the per-process getters need besides the view. */
struct pctx {
	long		hz;
	uint64_t	mem_total;
};

/* Series `which` (0 or 1) of a family for one process; false: none. */
typedef bool pgetter_fn(const struct pctx *, const struct pw_proc_view *,
    int which, struct num *);

struct pfam {
	const char	*name;
	const char	*type;
	const char	*help;
	const char	*extra[2];	/* extra label of each series; NULL */
	bool		 needs_sample;
	pgetter_fn	*get;
};

static bool
get_cpu_seconds(const struct pctx *c, const struct pw_proc_view *v,
    int which, struct num *out)
{
	uint64_t t = which == 0 ? v->latest.utime_ticks : v->latest.stime_ticks;
	uint64_t hz = (uint64_t)c->hz;

	if (c->hz <= 0)
		return false;
	/* Microseconds, without overflowing on ticks * 10^6. */
	out->mag = t / hz * 1000000 + t % hz * 1000000 / hz;
	out->dec = 6;
	out->neg = false;
	return true;
}

static bool
get_cpu_pct(const struct pctx *c, const struct pw_proc_view *v, int which,
    struct num *out)
{
	(void)c;
	(void)which;
	if (v->latest.flags & PW_SAMPLE_FIRST)
		return false;
	return num_pct(v->latest.cpu_user_pct + v->latest.cpu_system_pct, out);
}

static bool
get_rss(const struct pctx *c, const struct pw_proc_view *v, int which,
    struct num *out)
{
	(void)c;
	(void)which;
	*out = num_u64(v->latest.rss_bytes);
	return true;
}

static bool
get_vms(const struct pctx *c, const struct pw_proc_view *v, int which,
    struct num *out)
{
	(void)c;
	(void)which;
	*out = num_u64(v->latest.vms_bytes);
	return true;
}

static bool
get_swap(const struct pctx *c, const struct pw_proc_view *v, int which,
    struct num *out)
{
	(void)c;
	(void)which;
	*out = num_u64(v->latest.swap_bytes);
	return true;
}

static bool
get_mem_pct(const struct pctx *c, const struct pw_proc_view *v, int which,
    struct num *out)
{
	(void)which;
	if (c->mem_total == 0)
		return false;
	return num_pct(pw_sample_memory_pct(&v->latest, c->mem_total), out);
}

static bool
get_open_fds(const struct pctx *c, const struct pw_proc_view *v, int which,
    struct num *out)
{
	(void)c;
	(void)which;
	if (v->latest.flags & PW_SAMPLE_NO_FDS)
		return false;
	*out = num_u64(v->latest.open_fds);
	return true;
}

static bool
get_max_fds(const struct pctx *c, const struct pw_proc_view *v, int which,
    struct num *out)
{
	(void)c;
	(void)which;
	if (v->fd_limit == 0)
		return false;
	*out = num_u64(v->fd_limit);
	return true;
}

static bool
get_threads(const struct pctx *c, const struct pw_proc_view *v, int which,
    struct num *out)
{
	(void)c;
	(void)which;
	*out = num_u64(v->latest.threads);
	return true;
}

static bool
get_ctx(const struct pctx *c, const struct pw_proc_view *v, int which,
    struct num *out)
{
	(void)c;
	*out = num_u64(which == 0 ? v->latest.ctx_voluntary :
	    v->latest.ctx_involuntary);
	return true;
}

static bool
get_faults(const struct pctx *c, const struct pw_proc_view *v, int which,
    struct num *out)
{
	(void)c;
	*out = num_u64(which == 0 ? v->latest.minor_faults :
	    v->latest.major_faults);
	return true;
}

static bool
get_io_read(const struct pctx *c, const struct pw_proc_view *v, int which,
    struct num *out)
{
	(void)c;
	(void)which;
	if (v->latest.flags & PW_SAMPLE_NO_IO)
		return false;
	*out = num_u64(v->latest.read_bytes);
	return true;
}

static bool
get_io_write(const struct pctx *c, const struct pw_proc_view *v, int which,
    struct num *out)
{
	(void)c;
	(void)which;
	if (v->latest.flags & PW_SAMPLE_NO_IO)
		return false;
	*out = num_u64(v->latest.write_bytes);
	return true;
}

static bool
get_start_time(const struct pctx *c, const struct pw_proc_view *v,
    int which, struct num *out)
{
	(void)c;
	(void)which;
	if (v->start_time_ms == 0)
		return false;
	*out = num_ms(v->start_time_ms);
	return true;
}

static const struct pfam pfams[] = {
	{ "procwatch_process_cpu_seconds_total", "counter",
	    "CPU time consumed by the process, by mode.",
	    { "mode=\"user\"", "mode=\"system\"" }, true, get_cpu_seconds },
	{ "procwatch_process_cpu_percent", "gauge",
	    "CPU use over the last interval, percent of one core.",
	    { NULL, NULL }, true, get_cpu_pct },
	{ "procwatch_process_resident_memory_bytes", "gauge",
	    "Resident set size.", { NULL, NULL }, true, get_rss },
	{ "procwatch_process_virtual_memory_bytes", "gauge",
	    "Virtual memory size.", { NULL, NULL }, true, get_vms },
	{ "procwatch_process_swap_bytes", "gauge",
	    "Swapped-out memory.", { NULL, NULL }, true, get_swap },
	{ "procwatch_process_memory_percent", "gauge",
	    "Resident set size, percent of total memory.",
	    { NULL, NULL }, true, get_mem_pct },
	{ "procwatch_process_open_fds", "gauge",
	    "Open file descriptors.", { NULL, NULL }, true, get_open_fds },
	{ "procwatch_process_max_fds", "gauge",
	    "Soft limit on open file descriptors.",
	    { NULL, NULL }, false, get_max_fds },
	{ "procwatch_process_threads", "gauge",
	    "Threads in the process.", { NULL, NULL }, true, get_threads },
	{ "procwatch_process_context_switches_total", "counter",
	    "Context switches, by type.",
	    { "type=\"voluntary\"", "type=\"involuntary\"" }, true, get_ctx },
	{ "procwatch_process_page_faults_total", "counter",
	    "Page faults, by type.",
	    { "type=\"minor\"", "type=\"major\"" }, true, get_faults },
	{ "procwatch_process_io_read_bytes_total", "counter",
	    "Bytes read from storage.", { NULL, NULL }, true, get_io_read },
	{ "procwatch_process_io_write_bytes_total", "counter",
	    "Bytes written to storage.", { NULL, NULL }, true, get_io_write },
	{ "procwatch_process_start_time_seconds", "gauge",
	    "Start time of the process since the Unix epoch.",
	    { NULL, NULL }, false, get_start_time },
};

/* One rendered process: its view and its escaped label set in `lbl`. */
struct pitem {
	const struct pw_proc_view	*v;
	size_t				 off;
	size_t				 len;
};

/*
 * The live processes of snap, one per pid (the newest if the snapshot
 * has two: a pid reused within a cycle), with their labels escaped.
 */
static int
collect(const struct pw_snapshot *snap, struct api_buf *lbl,
    struct pitem **itemsp, size_t *np)
{
	struct pitem *items, *it;
	const struct pw_proc_view *v;
	size_t i, n = 0;
	char *p;

	*itemsp = NULL;
	*np = 0;
	if (snap == NULL || snap->n == 0)
		return 0;
	if ((items = calloc(snap->n, sizeof(*items))) == NULL)
		return -ENOMEM;
	for (i = 0; i < snap->n; i++) {
		v = &snap->procs[i];
		if (!v->alive)
			continue;
		if (n > 0 && items[n - 1].v->pid == v->pid)
			it = &items[n - 1];	/* ordered by pid, then id */
		else
			it = &items[n++];
		it->v = v;
		it->off = lbl->len;
		api_buf_puts(lbl, "pid=\"");
		if ((p = api_buf_room(lbl, 24)) != NULL)
			api_buf_commit(lbl, put_u64(p, (uint64_t)v->pid));
		api_buf_puts(lbl, "\",name=\"");
		put_label_value(lbl, v->name);
		api_buf_puts(lbl, "\",target=\"");
		put_label_value(lbl, v->target != NULL ? v->target : "");
		api_buf_put(lbl, "\"", 1);
		it->len = lbl->len - it->off;
	}
	if (lbl->err != 0) {
		free(items);
		return lbl->err;
	}
	*itemsp = items;
	*np = n;
	return 0;
}

static void
render_procs(struct api_buf *b, const struct pctx *c,
    const struct pitem *items, size_t n, const char *lbl)
{
	const struct pfam *f;
	size_t fi, i, namelen;
	struct num v;
	bool header;
	int w, nw;

	for (fi = 0; fi < sizeof(pfams) / sizeof(pfams[0]); fi++) {
		f = &pfams[fi];
		namelen = strlen(f->name);
		nw = f->extra[1] != NULL ? 2 : 1;
		header = false;
		for (i = 0; i < n; i++) {
			if (f->needs_sample && !items[i].v->has_sample)
				continue;
			for (w = 0; w < nw; w++) {
				if (!f->get(c, items[i].v, w, &v))
					continue;
				if (!header) {
					put_header(b, f->name, f->type,
					    f->help);
					header = true;
				}
				put_series(b, f->name, namelen,
				    lbl + items[i].off, items[i].len,
				    f->extra[w], &v);
			}
		}
	}
}

/* --- process_metrics: which processes get series ------------------------ */

/* A live process and its ranking keys for API_PROCMETRICS_TOP. */
struct rank {
	const struct pw_proc_view	*v;
	double				 cpu_pct;
	bool				 has_cpu;	/* known: ranked */
	bool				 chosen;
};

/* Higher CPU % first, unknown last, then the lower pid. */
static int
cmp_cpu(const void *a, const void *b)
{
	const struct rank *x = *(const struct rank *const *)a;
	const struct rank *y = *(const struct rank *const *)b;

	if (x->has_cpu != y->has_cpu)
		return x->has_cpu ? -1 : 1;
	if (x->has_cpu && x->cpu_pct != y->cpu_pct)
		return x->cpu_pct > y->cpu_pct ? -1 : 1;
	return x->v->pid < y->v->pid ? -1 : x->v->pid > y->v->pid;
}

/* Higher RSS first, unknown (no sample yet) last, then the lower pid. */
static int
cmp_rss(const void *a, const void *b)
{
	const struct rank *x = *(const struct rank *const *)a;
	const struct rank *y = *(const struct rank *const *)b;

	if (x->v->has_sample != y->v->has_sample)
		return x->v->has_sample ? -1 : 1;
	if (x->v->has_sample &&
	    x->v->latest.rss_bytes != y->v->latest.rss_bytes)
		return x->v->latest.rss_bytes > y->v->latest.rss_bytes ? -1 : 1;
	return x->v->pid < y->v->pid ? -1 : x->v->pid > y->v->pid;
}

/* Mark the first `top` of by[0..n) that have the key sorted on. */
static void
choose_top(struct rank **by, size_t n, unsigned top,
    int (*cmp)(const void *, const void *), bool is_cpu)
{
	size_t i;

	qsort(by, n, sizeof(*by), cmp);
	for (i = 0; i < n && i < top; i++) {
		if (is_cpu ? !by[i]->has_cpu : !by[i]->v->has_sample)
			break;			/* the rest are unknown */
		by[i]->chosen = true;
	}
}

int
api_prom_select_init(struct pw_snapshot *out, const struct pw_snapshot *snap,
    int mode, unsigned top)
{
	struct pw_snapshot sel = { 0 };
	struct rank *r = NULL, **by = NULL;
	const struct pw_proc_view *v;
	size_t i, n = 0, k;
	double pct;
	int rc = -ENOMEM;

	if (snap != NULL)
		sel = *snap;
	sel.n = 0;
	sel.procs = NULL;
	if (mode != API_PROCMETRICS_NONE && mode != API_PROCMETRICS_TOP)
		mode = API_PROCMETRICS_ALL;
	if (snap == NULL || snap->n == 0 || mode == API_PROCMETRICS_NONE ||
	    (mode == API_PROCMETRICS_TOP && top == 0))
		goto done;
	/* The live processes, one per pid: as collect() renders them. */
	if ((r = calloc(snap->n, sizeof(*r))) == NULL)
		return -ENOMEM;
	for (i = 0; i < snap->n; i++) {
		v = &snap->procs[i];
		if (!v->alive)
			continue;
		if (n > 0 && r[n - 1].v->pid == v->pid)
			n--;			/* ordered by pid, then id */
		r[n].v = v;
		pct = v->latest.cpu_user_pct + v->latest.cpu_system_pct;
		r[n].has_cpu = v->has_sample &&
		    !(v->latest.flags & PW_SAMPLE_FIRST) && isfinite(pct);
		r[n].cpu_pct = r[n].has_cpu ? pct : 0;
		r[n].chosen = mode == API_PROCMETRICS_ALL;
		n++;
	}
	if (mode == API_PROCMETRICS_TOP && n > 0) {
		if ((by = malloc(n * sizeof(*by))) == NULL)
			goto out;
		for (i = 0; i < n; i++)
			by[i] = &r[i];
		choose_top(by, n, top, cmp_cpu, true);
		choose_top(by, n, top, cmp_rss, false);
	}
	for (i = k = 0; i < n; i++)
		k += r[i].chosen;
	if (k > 0 && (sel.procs = calloc(k, sizeof(*sel.procs))) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		if (r[i].chosen)
			sel.procs[sel.n++] = *r[i].v;
done:
	*out = sel;
	rc = 0;
out:
	free(by);
	free(r);
	return rc;
}

void
api_prom_select_fini(struct pw_snapshot *sel)
{
	if (sel == NULL)
		return;
	free(sel->procs);
	sel->procs = NULL;
	sel->n = 0;
}

/* A family with a single unlabelled series. */
static void
put_single(struct api_buf *b, const char *name, const char *type,
    const char *help, struct num v)
{
	put_header(b, name, type, help);
	put_series(b, name, strlen(name), NULL, 0, NULL, &v);
}

static void
render_daemon(struct api_buf *b, const struct pw_monitor_stats *st)
{
	static const char cyc[] = "procwatch_sampling_cycle_duration_seconds";
	static const char cyc_sum[] =
	    "procwatch_sampling_cycle_duration_seconds_sum";
	static const char cyc_count[] =
	    "procwatch_sampling_cycle_duration_seconds_count";
	static const char procs[] = "procwatch_processes";
	struct num v;

	put_single(b, "procwatch_samples_total", "counter",
	    "Process samples stored.", num_u64(st->samples));
	put_single(b, "procwatch_samples_unchanged_total", "counter",
	    "Process samples of idle processes, taken from schedstat and "
	    "statm alone.", num_u64(st->samples_unchanged));
	put_single(b, "procwatch_proc_listings_total", "counter",
	    "Sampling cycles that listed /proc to find new processes (the "
	    "others took them from the fork/exec events).",
	    num_u64(st->listings));
	put_single(b, "procwatch_proc_descriptors_kept", "gauge",
	    "/proc descriptors the sampler holds open across cycles.",
	    num_u64(st->fds_kept));
	put_single(b, "procwatch_proc_descriptors_budget", "gauge",
	    "The most /proc descriptors the sampler may hold open (0: no "
	    "limit).", num_u64(st->fds_budget));
	put_single(b, "procwatch_sampler_realtime", "gauge",
	    "1 when the sampler thread runs SCHED_FIFO.",
	    num_u64(st->realtime ? 1 : 0));
	put_single(b, "procwatch_sample_errors_total", "counter",
	    "Process reads that failed for a reason other than the process "
	    "exiting.", num_u64(st->sample_errors));
	put_single(b, "procwatch_processes_vanished_total", "counter",
	    "Processes that exited while being read.",
	    num_u64(st->vanished));
	put_single(b, "procwatch_sampling_cycles_total", "counter",
	    "Sampling cycles completed.", num_u64(st->cycles));
	put_single(b, "procwatch_sampling_seconds_total", "counter",
	    "Wall time spent in sampling cycles.",
	    num_ns(st->cycle_ns_total));

	put_header(b, cyc, "summary",
	    "Duration of a sampling cycle (quantiles over the last 1024).");
	v = num_ns(st->cycle_ns_p50);
	put_series(b, cyc, sizeof(cyc) - 1, NULL, 0, "quantile=\"0.5\"", &v);
	v = num_ns(st->cycle_ns_p99);
	put_series(b, cyc, sizeof(cyc) - 1, NULL, 0, "quantile=\"0.99\"", &v);
	v = num_ns(st->cycle_ns_total);
	put_series(b, cyc_sum, sizeof(cyc_sum) - 1, NULL, 0, NULL, &v);
	v = num_u64(st->cycles);
	put_series(b, cyc_count, sizeof(cyc_count) - 1, NULL, 0, NULL, &v);

	put_single(b, "procwatch_sampling_jitter_seconds", "gauge",
	    "Lateness of cycle starts, 99th percentile over the last 1024.",
	    num_ns(st->jitter_ns_p99));
	put_single(b, "procwatch_targets", "gauge", "Configured targets.",
	    num_u64(st->targets));

	put_header(b, procs, "gauge",
	    "Monitored processes, alive or gone but still kept.");
	v = num_u64(st->procs_alive);
	put_series(b, procs, sizeof(procs) - 1, NULL, 0, "state=\"alive\"", &v);
	v = num_u64(st->procs_gone);
	put_series(b, procs, sizeof(procs) - 1, NULL, 0, "state=\"gone\"", &v);
}

static void
render_build_info(struct api_buf *b, const char *version)
{
	put_header(b, "procwatch_build_info", "gauge",
	    "Build information; the value is always 1.");
	api_buf_puts(b, "procwatch_build_info{version=\"");
	put_label_value(b, version != NULL ? version : "unknown");
	api_buf_puts(b, "\"} 1\n");
}

/* --- per-group families -------------------------------------------------- */

/*
 * The value of a group family for one group (variant: which of the
 * family's label values); false: none (left out).
 */
typedef bool ggetter_fn(const struct pw_group_view *, unsigned variant,
    long hz, struct num *);

static const struct pw_group_sample *
gsample(const struct pw_group_view *g)
{
	return g->has_sample ? &g->latest : NULL;
}

static bool
get_g_up(const struct pw_group_view *g, unsigned var, long hz,
    struct num *out)
{
	(void)var;
	(void)hz;
	if (gsample(g) == NULL)
		return false;
	*out = num_u64(g->latest.processes > 0);
	return true;
}

static bool
get_g_min(const struct pw_group_view *g, unsigned var, long hz,
    struct num *out)
{
	(void)var;
	(void)hz;
	if (g->min_processes == 0)
		return false;
	*out = num_u64(g->min_processes);
	return true;
}

static bool
get_g_max(const struct pw_group_view *g, unsigned var, long hz,
    struct num *out)
{
	(void)var;
	(void)hz;
	if (g->max_processes == 0)
		return false;
	*out = num_u64(g->max_processes);
	return true;
}

/* Ticks as seconds, exact to the millisecond. */
static struct num
num_ticks(uint64_t ticks, long hz)
{
	return num_ms((int64_t)(ticks / (uint64_t)hz * 1000 +
	    ticks % (uint64_t)hz * 1000 / (uint64_t)hz));
}

static bool
get_g_cpu(const struct pw_group_view *g, unsigned var, long hz,
    struct num *out)
{
	const struct pw_group_sample *s = gsample(g);

	if (s == NULL)
		return false;
	*out = num_ticks(var == 0 ? s->cpu_user_ticks : s->cpu_system_ticks,
	    hz);
	return true;
}

static bool
get_g_children(const struct pw_group_view *g, unsigned var, long hz,
    struct num *out)
{
	const struct pw_group_sample *s = gsample(g);

	(void)var;
	if (s == NULL)
		return false;
	*out = num_ticks(s->children_ticks, hz);
	return true;
}

static bool
get_g_cpu_pct(const struct pw_group_view *g, unsigned var, long hz,
    struct num *out)
{
	const struct pw_group_sample *s = gsample(g);

	(void)var;
	(void)hz;
	if (s == NULL || (s->flags & PW_GSAMPLE_NO_CPU))
		return false;
	return num_pct(s->cpu_user_pct + s->cpu_system_pct, out);
}

static bool
get_g_fd_usage(const struct pw_group_view *g, unsigned var, long hz,
    struct num *out)
{
	const struct pw_group_sample *s = gsample(g);

	(void)var;
	(void)hz;
	if (s == NULL || s->fd_usage_pid == 0 || !isfinite(s->fd_usage_max) ||
	    s->fd_usage_max < 0 || s->fd_usage_max > 1e9)
		return false;
	out->mag = (uint64_t)round(s->fd_usage_max * 10000.0);
	out->dec = 4;
	out->neg = false;
	return true;
}

/* A plain field of the latest sample, by offset; with a flag it needs. */
#define GFIELD(fn, expr, unknown)					\
static bool								\
fn(const struct pw_group_view *g, unsigned var, long hz,		\
    struct num *out)							\
{									\
	const struct pw_group_sample *s = gsample(g);			\
									\
	(void)var;							\
	(void)hz;							\
	if (s == NULL || (s->flags & (unknown)))			\
		return false;						\
	*out = num_u64(expr);						\
	return true;							\
}
GFIELD(get_g_processes, s->processes, 0)
GFIELD(get_g_threads, s->threads, 0)
GFIELD(get_g_rss, s->rss_bytes, 0)
GFIELD(get_g_vms, s->vms_bytes, 0)
GFIELD(get_g_swap, s->swap_bytes, 0)
GFIELD(get_g_fds, s->open_fds, PW_GSAMPLE_NO_FDS)
GFIELD(get_g_read, s->read_bytes, 0)
GFIELD(get_g_write, s->write_bytes, 0)
GFIELD(get_g_ctx, var == 0 ? s->ctx_voluntary : s->ctx_involuntary, 0)
GFIELD(get_g_faults, var == 0 ? s->minor_faults : s->major_faults, 0)
#undef GFIELD

/*
 * Counters are the group's own totals (procwatch/groupacc.h): what a
 * member did stays counted after it exits, so they never go down.
 */
static const struct {
	const char	*name;
	const char	*type;
	const char	*help;
	const char	*extra[2];	/* label of each variant; NULL: one */
	ggetter_fn	*get;
} gfams[] = {
	{ "procwatch_group_up", "gauge",
	    "Whether the target has at least one live process (1) or none (0).",
	    { NULL, NULL }, get_g_up },
	{ "procwatch_group_processes", "gauge",
	    "Live processes of the target.", { NULL, NULL }, get_g_processes },
	{ "procwatch_group_min_processes", "gauge",
	    "Fewer live processes than this is process_down.",
	    { NULL, NULL }, get_g_min },
	{ "procwatch_group_max_processes", "gauge",
	    "More live processes than this is too_many_processes.",
	    { NULL, NULL }, get_g_max },
	{ "procwatch_group_threads", "gauge",
	    "Threads in the live processes of the target.", { NULL, NULL },
	    get_g_threads },
	{ "procwatch_group_cpu_seconds_total", "counter",
	    "CPU time of the target's processes, those gone and the children "
	    "they reaped included.", { "mode=\"user\"", "mode=\"system\"" },
	    get_g_cpu },
	{ "procwatch_group_children_cpu_seconds_total", "counter",
	    "Of that, CPU time of reaped children that were never sampled.",
	    { NULL, NULL }, get_g_children },
	{ "procwatch_group_cpu_percent", "gauge",
	    "CPU use of the target over the last interval, percent of one core.",
	    { NULL, NULL }, get_g_cpu_pct },
	{ "procwatch_group_resident_memory_bytes", "gauge",
	    "Resident set size of the target's processes.", { NULL, NULL },
	    get_g_rss },
	{ "procwatch_group_virtual_memory_bytes", "gauge",
	    "Virtual memory size of the target's processes.", { NULL, NULL },
	    get_g_vms },
	{ "procwatch_group_swap_bytes", "gauge",
	    "Swapped-out memory of the target's processes.", { NULL, NULL },
	    get_g_swap },
	{ "procwatch_group_open_fds", "gauge",
	    "Open file descriptors of the target's processes.", { NULL, NULL },
	    get_g_fds },
	{ "procwatch_group_fd_usage_max", "gauge",
	    "The highest open_fds / fd_limit of any process of the target.",
	    { NULL, NULL }, get_g_fd_usage },
	{ "procwatch_group_read_bytes_total", "counter",
	    "Bytes the target's processes read from storage.", { NULL, NULL },
	    get_g_read },
	{ "procwatch_group_write_bytes_total", "counter",
	    "Bytes the target's processes wrote to storage.", { NULL, NULL },
	    get_g_write },
	{ "procwatch_group_context_switches_total", "counter",
	    "Context switches of the target's processes.",
	    { "type=\"voluntary\"", "type=\"involuntary\"" }, get_g_ctx },
	{ "procwatch_group_page_faults_total", "counter",
	    "Page faults of the target's processes.",
	    { "type=\"minor\"", "type=\"major\"" }, get_g_faults },
};

int
api_prom_groups(const struct pw_snapshot *snap, long hz, char **out,
    size_t *len)
{
	const struct pw_group_view *gv = snap->groups;
	size_t n = snap->ngroups, fi, i, namelen, *off = NULL;
	struct api_buf b, lbl;
	unsigned var, nvar;
	struct num v;
	bool header;
	int rc;

	if (hz <= 0)
		hz = 100;
	api_buf_init(&b, API_PROM_MAX);
	api_buf_init(&lbl, API_PROM_MAX);
	/* Each label set escaped once: target="...", at off[i] .. off[i+1]. */
	if ((off = calloc(n + 1, sizeof(*off))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		off[i] = lbl.len;
		api_buf_puts(&lbl, "target=\"");
		put_label_value(&lbl, gv[i].name);
		api_buf_put(&lbl, "\"", 1);
	}
	off[n] = lbl.len;
	if ((rc = lbl.err) < 0)
		goto out;
	if (api_buf_room(&b, 64) == NULL) {	/* a page even with no groups */
		rc = b.err;
		goto out;
	}
	api_buf_commit(&b, b.p);
	for (fi = 0; fi < sizeof(gfams) / sizeof(gfams[0]); fi++) {
		namelen = strlen(gfams[fi].name);
		header = false;
		nvar = gfams[fi].extra[1] != NULL ? 2 : 1;
		for (i = 0; i < n; i++)
			for (var = 0; var < nvar; var++) {
				if (!gfams[fi].get(&gv[i], var, hz, &v))
					continue;
				if (!header) {
					put_header(&b, gfams[fi].name,
					    gfams[fi].type, gfams[fi].help);
					header = true;
				}
				put_series(&b, gfams[fi].name, namelen,
				    lbl.p + off[i], off[i + 1] - off[i],
				    gfams[fi].extra[var], &v);
			}
	}
	if ((rc = b.err) < 0)
		goto out;
	*out = b.p;
	*len = b.len;
	b.p = NULL;
out:
	free(off);
	free(lbl.p);
	free(b.p);
	return rc;
}

int
api_prom_render(const struct pw_snapshot *snap,
    const struct pw_monitor_stats *st, long hz, const char *version,
    char **out, size_t *len)
{
	struct api_buf b, lbl;
	struct pitem *items;
	struct pctx c;
	size_t n;
	int rc;

	api_buf_init(&b, API_PROM_MAX);
	api_buf_init(&lbl, API_PROM_MAX);
	if ((rc = collect(snap, &lbl, &items, &n)) < 0)
		goto out_lbl;
	/* About 1.6 KiB of output per process: grow rarely. */
	if (api_buf_room(&b, 4096 + n * 2048) == NULL) {
		rc = b.err;
		goto out_items;
	}
	api_buf_commit(&b, b.p);

	c.hz = hz;
	c.mem_total = snap != NULL ? snap->mem_total : 0;
	render_procs(&b, &c, items, n, lbl.p);
	if (st != NULL)
		render_daemon(&b, st);
	render_build_info(&b, version);
	if ((rc = b.err) < 0)
		goto out_items;

	*out = b.p;
	*len = b.len;
	b.p = NULL;
out_items:
	free(items);
out_lbl:
	free(lbl.p);
	free(b.p);
	return rc;
}

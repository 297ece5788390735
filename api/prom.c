/*
 * api/prom.c: the /metrics page, Prometheus text exposition format 0.0.4.
 *
 * DESIGN: a scrape of 1000 processes writes some 20000 lines, so this file
 * avoids cJSON and printf.  Each process's label set (pid, name, target) is
 * escaped once into a scratch buffer; then every family is written in one
 * pass over the processes (a family's samples must be contiguous), each
 * line assembled with memcpy and a hand-rolled number formatter into one
 * growing buffer with a hard cap.  The families, their order, names, help
 * texts and labels, and the values are the metric catalogue's
 * (procwatch/metric.h): a row with a Prometheus family is a series.  A
 * row that names its sample field (counts and sizes: struct
 * pw_metric_exact) is read from it as an integer, exact above 2^53 and
 * with no call; the others through the row's reader, written as exact
 * decimals to as many places as the row says (CPU seconds to the
 * microsecond), not through printf's %g.  A series whose value is unknown
 * (no /proc/PID/io, a first sample's CPU %) is left out rather than
 * reported as 0.  A family with no series gets no HELP/TYPE.
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
#include "api/catalogue.h"

/*
 * A decimal number: (neg ? -1 : 1) * mag / 10^dec.  Keeping values scaled
 * makes output exact and cheap (no floating point formatting).
 */
struct num {
	uint64_t	mag;
	unsigned	dec;		/* 0 .. 9 */
	bool		neg;
};

/* 10^0 .. 10^19: scales, and the digits of a uint64_t. */
static const uint64_t pow10_tab[20] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, 10000000000, 100000000000, 1000000000000,
	10000000000000, 100000000000000, 1000000000000000,
	10000000000000000, 100000000000000000, 1000000000000000000,
	10000000000000000000u
};

static const char digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233"
	"34353637383940414243444546474849505152535455565758596061626364656667"
	"6869707172737475767778798081828384858687888990919293949596979899";

/*
 * v in decimal at p; returns the end.  The length first (log10 from the
 * bit length, 1233 / 4096 being about log10(2)), then the digits in
 * place from the right, two at a time: no copy from a scratch buffer.
 */
static inline char *
put_u64(char *p, uint64_t v)
{
	unsigned t = (unsigned)(64 - __builtin_clzll(v | 1)) * 1233 >> 12;
	char *end = p + t + ((v | 1) >= pow10_tab[t]), *q = end;

	while (v >= 100) {
		q -= 2;
		memcpy(q, digits2 + (v % 100) * 2, 2);
		v /= 100;
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, digits2 + v * 2, 2);
	} else
		q[-1] = (char)('0' + v);
	return end;
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

/*
 * A value read from the catalogue as a decimal exact to `dec` places;
 * false if it is not finite or does not fit.  The readers' doubles hold
 * integers exactly below 2^53 (8 PiB, 9e15 events), which is why
 * counters are read from their fields instead; "unlimited" (UINT64_MAX,
 * which a double rounds to 2^64) stays itself.
 */
static bool
num_of(double x, unsigned dec, struct num *out)
{
	double r;

	/* Most values are counts and sizes: whole, small, not negative. */
	if (dec == 0 && x >= 0 && x < 0x1p53 && x == (double)(uint64_t)x) {
		out->mag = (uint64_t)x;
		out->dec = 0;
		out->neg = false;
		return true;
	}
	if (!isfinite(x) || dec > 9)
		return false;
	r = round(fabs(x) * (double)pow10_tab[dec]);
	if (r >= (dec == 0 ? 0x1p64 : 1e18)) {
		if (dec != 0)
			return false;
		r = 0;
		out->mag = UINT64_MAX;
	} else
		out->mag = (uint64_t)r;
	out->dec = dec;
	out->neg = x < 0;
	return true;
}

/*
 * Write s[0..n) at p as a label value, at most 3n bytes: '\', '"' and
 * newline escaped, bytes that are not UTF-8 (label values must be)
 * replaced by U+FFFD.  Returns the end.
 */
static char *
esc_label(char *p, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k;

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
	return p;
}

/* Append s as a label value (esc_label()). */
static void
put_label_value(struct api_buf *b, const char *s)
{
	size_t n = strlen(s);
	char *p;

	if ((p = api_buf_room(b, n * 3)) != NULL)
		api_buf_commit(b, esc_label(p, s, n));
}

/*
 * api_buf_room() and api_buf_commit() with their common case inline:
 * /metrics appends some 20000 lines.  What fits in cap fits under the
 * cap (api/buf.c never grows cap past max), so the check is the same.
 */
static inline char *
room(struct api_buf *b, size_t n)
{
	if (b->err == 0 && b->cap - b->len > n)
		return b->p + b->len;
	return api_buf_room(b, n);
}

static inline void
commit(struct api_buf *b, char *end)
{
	b->len = (size_t)(end - b->p);
	*end = '\0';
}

/* The most one line takes besides its name and labels: {,} value\n */
#define LINE_EXTRA	(4 + NUM_MAX)

/*
 * Write one sample line at p: name{labels,extra} value.  `labels`
 * (already escaped) and `extra` (a constant like mode="user") may be
 * empty.  At most namelen + lablen + extralen + LINE_EXTRA bytes;
 * returns the end.
 */
static inline char *
write_series(char *p, const char *name, size_t namelen, const char *labels,
    size_t lablen, const char *extra, size_t extralen, const struct num *v)
{
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
	if (v->dec == 0 && !v->neg)
		p = put_u64(p, v->mag);
	else
		p = put_num(p, v);
	*p++ = '\n';
	return p;
}

/* Append one sample line (write_series()); `extra` may be NULL. */
static void
put_series(struct api_buf *b, const char *name, size_t namelen,
    const char *labels, size_t lablen, const char *extra,
    const struct num *v)
{
	size_t extralen = extra != NULL ? strlen(extra) : 0;
	char *p;

	if ((p = room(b, namelen + lablen + extralen + LINE_EXTRA)) != NULL)
		commit(b, write_series(p, name, namelen, labels, lablen,
		    extra, extralen, v));
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

/*
 * One rendered process or target: its view and its escaped label set,
 * lbl[off .. off + len).
 */
struct item {
	const struct pw_proc_view	*v;	/* a process's, or */
	const struct pw_group_view	*g;	/* a target's */
	size_t				 off;
	size_t				 len;
	struct pw_metric_ctx		 c;	/* for the readers */
};

/*
 * The live processes of snap, one per pid (the newest if the snapshot
 * has two: a pid reused within a cycle), with their labels escaped, each
 * label set written in one piece.
 */
static int
collect(const struct pw_snapshot *snap, struct api_buf *lbl,
    struct item **itemsp, size_t *np)
{
	static const char l_pid[] = "pid=\"", l_name[] = "\",name=\"",
	    l_target[] = "\",target=\"";
	struct item *items, *it;
	const struct pw_proc_view *v;
	const char *target;
	size_t i, n = 0, nlen, tlen;
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
		target = v->target != NULL ? v->target : "";
		nlen = strlen(v->name);
		tlen = strlen(target);
		if ((p = room(lbl, sizeof(l_pid) + sizeof(l_name) +
		    sizeof(l_target) + 24 + (nlen + tlen) * 3)) == NULL)
			break;
		memcpy(p, l_pid, sizeof(l_pid) - 1);
		p = put_u64(p + sizeof(l_pid) - 1, (uint64_t)v->pid);
		memcpy(p, l_name, sizeof(l_name) - 1);
		p = esc_label(p + sizeof(l_name) - 1, v->name, nlen);
		memcpy(p, l_target, sizeof(l_target) - 1);
		p = esc_label(p + sizeof(l_target) - 1, target, tlen);
		*p++ = '"';
		commit(lbl, p);
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

static const struct pw_metric_prom *
prom_of(enum pw_metric m, bool group)
{
	const struct pw_metric_def *d = pw_metric_def(m);

	return group ? &d->gprom : &d->prom;
}

/* What the catalogue's readers need for one process or target. */
static void
item_ctx(const struct item *it, uint64_t mem_total, long hz,
    struct pw_metric_ctx *c)
{
	if (it->g != NULL)
		api_metric_ctx_group(c, it->g, mem_total, hz);
	else
		api_metric_ctx_proc(c, it->v, mem_total, hz);
}

/*
 * One row of a family, looked up once per family, not per series: its
 * series label, and whether it is read as an exact integer (a field of
 * the sample) or through its reader as a double.
 */
struct famrow {
	enum pw_metric			 m;
	const struct pw_metric_def	*d;
	const char			*label;		/* "" if none */
	size_t				 labellen;
	unsigned			 decimals;
	bool				 exact;
};

/* The rows of one family at most (CPU seconds by mode, ...). */
#define FAMILY_ROWS_MAX	8

/*
 * Row r's value for one process or target, read as the catalogue says:
 * a process's exact rows straight from the field (inline: this runs for
 * every series of /metrics), the others through the row's reader; a
 * target's (a few per page) through the catalogue's group functions.
 */
static inline bool
row_value(const struct famrow *r, const struct item *it, struct num *out)
{
	const struct pw_group_sample *gs;
	const struct pw_sample *cur;
	uint64_t u;
	double x;

	if (it->g != NULL) {
		gs = it->g->has_sample ? &it->g->latest : NULL;
		if (r->exact) {
			if (!pw_metric_read_group_exact(r->m, gs, &u))
				return false;
			*out = num_u64(u);
			return true;
		}
		return api_metric_group(r->m, &it->c, gs, &x) &&
		    num_of(x, r->decimals, out);
	}
	cur = it->v->has_sample ? &it->v->latest : NULL;
	if (r->exact) {
		if (!pw_metric_def_read_exact(r->d, cur, &u))
			return false;
		*out = num_u64(u);
		return true;
	}
	return pw_metric_def_read(r->d, &it->c, cur, NULL, &x) &&
	    num_of(x, r->decimals, out);
}

/*
 * The procwatch_process_* (group false) or procwatch_group_* families
 * over items[0..n), in the catalogue's order.  Rows that share a family
 * (CPU seconds by mode, ...) are adjacent in that order and make one
 * family, each row a series by its label; a family's series are
 * contiguous, so each family is one pass over the items.  An item's
 * series of a family are read first, then written into room reserved
 * once for all of them.
 */
static void
render_families(struct api_buf *b, bool group, struct item *items,
    size_t n, const char *lbl, uint64_t mem_total, long hz)
{
	struct famrow rows[FAMILY_ROWS_MAX];
	struct num vals[FAMILY_ROWS_MAX];
	const struct pw_metric_prom *f, *rp;
	const enum pw_metric *order;
	size_t norder, fi, end, k, nk, i, namelen, linemax;
	unsigned known;
	bool header;
	char *p;

	for (i = 0; i < n; i++)		/* once, not once per family */
		item_ctx(&items[i], mem_total, hz, &items[i].c);
	order = pw_metric_prom_order(group, &norder);
	for (fi = 0; fi < norder; fi = end) {
		f = prom_of(order[fi], group);
		for (end = fi + 1; end < norder && end - fi < FAMILY_ROWS_MAX &&
		    strcmp(prom_of(order[end], group)->family, f->family) == 0;
		    end++)
			;
		nk = end - fi;
		namelen = strlen(f->family);
		linemax = 0;
		for (k = 0; k < nk; k++) {
			rp = prom_of(order[fi + k], group);
			rows[k].m = order[fi + k];
			rows[k].d = pw_metric_def(order[fi + k]);
			rows[k].label = rp->label != NULL ? rp->label : "";
			rows[k].labellen = strlen(rows[k].label);
			rows[k].decimals = rp->decimals;
			rows[k].exact = pw_metric_is_exact(order[fi + k],
			    group);
			if (linemax < namelen + rows[k].labellen + LINE_EXTRA)
				linemax = namelen + rows[k].labellen +
				    LINE_EXTRA;
		}
		header = false;
		for (i = 0; i < n; i++) {
			for (k = 0, known = 0; k < nk; k++)
				if (row_value(&rows[k], &items[i], &vals[k]))
					known |= 1u << k;
			if (known == 0)
				continue;
			if (!header) {
				put_header(b, f->family, f->type, f->help);
				header = true;
			}
			if ((p = room(b, nk * (linemax + items[i].len))) ==
			    NULL)
				return;
			for (k = 0; k < nk; k++)
				if (known & (1u << k))
					p = write_series(p, f->family, namelen,
					    lbl + items[i].off, items[i].len,
					    rows[k].label, rows[k].labellen,
					    &vals[k]);
			commit(b, p);
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
	struct pw_metric_ctx c;
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
		api_metric_ctx_proc(&c, v, snap->mem_total, 0);
		r[n].has_cpu = pw_metric_read(PW_METRIC_CPU_PERCENT, &c,
		    v->has_sample ? &v->latest : NULL, NULL, &pct) &&
		    isfinite(pct);
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

/* The flood protection's figures (api/http_conn.c's DESIGN). */
int
api_prom_connections(const struct api_conn_stats *cs, struct api_buf *b)
{
	put_single(b, "procwatch_http_connections_shed_total", "counter",
	    "Connections waiting for a request head that were cut to make "
	    "room for a new one at max_connections.", num_u64(cs->shed));
	put_single(b, "procwatch_http_connections_refused_total", "counter",
	    "New connections refused because every connection was busy.",
	    num_u64(cs->refused));
	put_single(b, "procwatch_http_connections_timed_out_total", "counter",
	    "Connections cut for sending no complete request head within "
	    "header_timeout_s, or nothing within conn_timeout_s after an "
	    "answer.", num_u64(cs->timed_out));
	put_single(b, "procwatch_http_connections_open", "gauge",
	    "Connections accepted and not yet closed (those being cut "
	    "included).", num_u64(cs->open));
	put_single(b, "procwatch_http_connections_max", "gauge",
	    "max_connections: the most served or waiting at once.",
	    num_u64(cs->max));
	return b->err;
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

int
api_prom_groups(const struct pw_snapshot *snap, long hz, char **out,
    size_t *len)
{
	size_t n = snap->ngroups, i;
	struct item *items = NULL;
	struct api_buf b, lbl;
	int rc;

	if (hz <= 0)
		hz = 100;
	api_buf_init(&b, API_PROM_MAX);
	api_buf_init(&lbl, API_PROM_MAX);
	/* Each label set escaped once: target="...". */
	if ((items = calloc(n + 1, sizeof(*items))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		items[i].g = &snap->groups[i];
		items[i].off = lbl.len;
		api_buf_puts(&lbl, "target=\"");
		put_label_value(&lbl, snap->groups[i].name);
		api_buf_put(&lbl, "\"", 1);
		items[i].len = lbl.len - items[i].off;
	}
	if ((rc = lbl.err) < 0)
		goto out;
	if (api_buf_room(&b, 64) == NULL) {	/* a page even with no groups */
		rc = b.err;
		goto out;
	}
	api_buf_commit(&b, b.p);
	render_families(&b, true, items, n, lbl.p, snap->mem_total, hz);
	if ((rc = b.err) < 0)
		goto out;
	*out = b.p;
	*len = b.len;
	b.p = NULL;
out:
	free(items);
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
	struct item *items;
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

	render_families(&b, false, items, n, lbl.p,
	    snap != NULL ? snap->mem_total : 0, hz);
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

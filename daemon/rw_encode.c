/*
 * daemon/rw_encode.c: a cycle as remote write requests (rw_encode.h).
 *
 * DESIGN: each series of the cycle (a process or a target) gives one
 * time series per catalogue row with a Prometheus family, its labels
 * sorted by name as remote write requires (__name__ first, then the
 * external labels merged with mode, name, pid and target).  Label
 * strings point into the cycle or static data; only the arrays of
 * pointers and structs are allocated, once per request.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <snappy-c.h>

#include <procwatch/metric.h>

#include "daemon/config.h"
#include "daemon/prompb/remote.pb-c.h"
#include "daemon/rw_encode.h"
#include "lib/history.h"

#define LABELS_MAX	(8 + 64)	/* ours and the external ones */

/* A row's extra label ("mode=\"user\""), split once. */
struct rowlabel {
	char	name[16];
	char	value[32];
};

/* One request being filled. */
struct req {
	Prometheus__TimeSeries	 *ts;		/* [max] */
	Prometheus__TimeSeries	**tsp;
	Prometheus__Sample	 *smp;		/* [max] */
	Prometheus__Sample	**smpp;
	Prometheus__Label	 *lab;		/* [max * LABELS_MAX] */
	Prometheus__Label	**labp;
	/* What a series' labels point to that is not the cycle's. */
	char			 (*pids)[16];	/* [max] */
	struct rowlabel		 *rls;		/* [max] */
	size_t			  n, max;
};

static int
req_init(struct req *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->max = max;
	r->ts = calloc(max, sizeof(*r->ts));
	r->tsp = calloc(max, sizeof(*r->tsp));
	r->smp = calloc(max, sizeof(*r->smp));
	r->smpp = calloc(max, sizeof(*r->smpp));
	r->lab = calloc(max * LABELS_MAX, sizeof(*r->lab));
	r->labp = calloc(max * LABELS_MAX, sizeof(*r->labp));
	r->pids = calloc(max, sizeof(*r->pids));
	r->rls = calloc(max, sizeof(*r->rls));
	if (r->ts == NULL || r->tsp == NULL || r->smp == NULL ||
	    r->smpp == NULL || r->lab == NULL || r->labp == NULL ||
	    r->pids == NULL || r->rls == NULL)
		return -ENOMEM;
	return 0;
}

static void
req_fini(struct req *r)
{
	free(r->ts);
	free(r->tsp);
	free(r->smp);
	free(r->smpp);
	free(r->lab);
	free(r->labp);
	free(r->pids);
	free(r->rls);
}

/* Pack, compress and hand over the request; empty it. */
static int
req_flush(struct req *r, rw_emit_fn *emit, void *arg)
{
	Prometheus__WriteRequest wr = PROMETHEUS__WRITE_REQUEST__INIT;
	size_t plen, clen;
	char *pb, *z;
	int rc;

	if (r->n == 0)
		return 0;
	wr.n_timeseries = r->n;
	wr.timeseries = r->tsp;
	plen = prometheus__write_request__get_packed_size(&wr);
	clen = snappy_max_compressed_length(plen);
	if ((pb = malloc(plen ? plen : 1)) == NULL ||
	    (z = malloc(clen)) == NULL) {
		free(pb);
		return -ENOMEM;
	}
	prometheus__write_request__pack(&wr, (uint8_t *)pb);
	if (snappy_compress(pb, plen, z, &clen) != SNAPPY_OK) {
		free(pb);
		free(z);
		return -ENOMEM;
	}
	free(pb);
	rc = emit(arg, z, clen, r->n);
	free(z);
	r->n = 0;
	return rc;
}

struct lbl {
	const char	*name, *value;
};

static int
lbl_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lbl *)a)->name,
	    ((const struct lbl *)b)->name);
}

/* Add one sample of one series to the request (the caller made room). */
static void
req_add(struct req *r, struct lbl *l, size_t nl, double v, int64_t ts)
{
	Prometheus__TimeSeries *t;
	Prometheus__Label *lb;
	Prometheus__Label **lp;
	size_t i;

	qsort(l, nl, sizeof(*l), lbl_cmp);
	t = &r->ts[r->n];
	prometheus__time_series__init(t);
	lb = &r->lab[r->n * LABELS_MAX];
	lp = &r->labp[r->n * LABELS_MAX];
	for (i = 0; i < nl && i < LABELS_MAX; i++) {
		prometheus__label__init(&lb[i]);
		lb[i].name = (char *)l[i].name;
		lb[i].value = (char *)l[i].value;
		lp[i] = &lb[i];
	}
	t->n_labels = i;
	t->labels = lp;
	prometheus__sample__init(&r->smp[r->n]);
	r->smp[r->n].value = v;
	r->smp[r->n].timestamp = ts;
	r->smpp[r->n] = &r->smp[r->n];
	t->n_samples = 1;
	t->samples = &r->smpp[r->n];
	r->tsp[r->n] = t;
	r->n++;
}

static void
split_label(const char *l, struct rowlabel *out)
{
	const char *eq;
	size_t n;

	out->name[0] = out->value[0] = '\0';
	if (l == NULL || (eq = strchr(l, '=')) == NULL)
		return;
	n = (size_t)(eq - l) < sizeof(out->name) - 1 ? (size_t)(eq - l) :
	    sizeof(out->name) - 1;
	memcpy(out->name, l, n);
	out->name[n] = '\0';
	eq += eq[1] == '"' ? 2 : 1;
	n = strcspn(eq, "\"");
	if (n > sizeof(out->value) - 1)
		n = sizeof(out->value) - 1;
	memcpy(out->value, eq, n);
	out->value[n] = '\0';
}

static int
dbl_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x < y) - (x > y);
}

/*
 * One ranking of top N: the N-th largest value (unknown counts as -1)
 * and how many processes at exactly that value are still among the N
 * (those before it in the cycle's order).  So exactly N are kept, as
 * /metrics picks them: where fewer than N processes use any CPU, a cut
 * at the N-th CPU % (0) alone would keep every process.
 */
static void
cut_of(double *vals, size_t k, unsigned top, double *cut, size_t *ties)
{
	size_t want = top < k ? top : k, i;

	*cut = INFINITY;
	*ties = 0;
	if (want == 0)
		return;
	qsort(vals, k, sizeof(*vals), dbl_desc);
	*cut = vals[want - 1];
	for (i = 0; i < want; i++)
		if (vals[i] == *cut)
			(*ties)++;
}

/* For top N: the cuts by CPU % and by RSS.  -ENOMEM or 0. */
static int
top_cuts(const struct pw_hist_cycle *c, unsigned top, struct rw_cuts *out)
{
	const struct pw_hist_ident *id;
	size_t n = pw_hist_cycle_nseries(c), i, k = 0, nc;
	const double *v;
	double *cpu, *rss;

	if ((cpu = calloc(n ? n : 1, sizeof(*cpu))) == NULL ||
	    (rss = calloc(n ? n : 1, sizeof(*rss))) == NULL) {
		free(cpu);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		v = pw_hist_cycle_series(c, i, &id, &nc);
		if (id->kind != PW_HIST_PROC || nc <= PW_METRIC_RSS_BYTES)
			continue;
		cpu[k] = isnan(v[PW_METRIC_CPU_PERCENT]) ? -1 :
		    v[PW_METRIC_CPU_PERCENT];
		rss[k++] = isnan(v[PW_METRIC_RSS_BYTES]) ? -1 :
		    v[PW_METRIC_RSS_BYTES];
	}
	cut_of(cpu, k, top, &out->cpu, &out->cpu_ties);
	cut_of(rss, k, top, &out->rss, &out->rss_ties);
	free(cpu);
	free(rss);
	return 0;
}

int
rw_select_cuts(const struct pw_hist_cycle *c, const struct rw_select *sel,
    struct rw_cuts *out)
{
	memset(out, 0, sizeof(*out));
	out->mode = sel->mode;
	if (sel->mode != PROCMETRICS_TOP)
		return 0;
	return top_cuts(c, sel->top, out);
}

/* Above the cut, or at it while some of the N are left for ties. */
static bool
reaches(double x, double cut, size_t *ties)
{
	if (x > cut)
		return true;
	if (x == cut && *ties > 0) {
		(*ties)--;
		return true;
	}
	return false;
}

int
rw_select_keeps(struct rw_cuts *k, const double *v, size_t nc)
{
	bool by_cpu, by_rss;

	if (k->mode == PROCMETRICS_NONE)
		return 0;
	if (k->mode != PROCMETRICS_TOP)
		return 1;
	if (nc <= PW_METRIC_RSS_BYTES)
		return 0;
	/* Both, always: each ranking's ties are taken in order. */
	by_cpu = reaches(isnan(v[PW_METRIC_CPU_PERCENT]) ? -1 :
	    v[PW_METRIC_CPU_PERCENT], k->cpu, &k->cpu_ties);
	by_rss = reaches(isnan(v[PW_METRIC_RSS_BYTES]) ? -1 :
	    v[PW_METRIC_RSS_BYTES], k->rss, &k->rss_ties);
	return by_cpu || by_rss;
}

int
rw_encode_cycle(const struct pw_hist_cycle *c, const struct rw_select *sel,
    const char *const *ext, size_t next, size_t max_samples,
    rw_emit_fn *emit, void *arg, size_t *nsamples)
{
	const struct pw_metric_def *d;
	const struct pw_metric_prom *pr;
	const struct pw_hist_ident *id;
	struct lbl l[LABELS_MAX];
	size_t i, m, nc, nl, k, total = 0;
	int64_t ts = pw_hist_cycle_ts(c);
	struct rw_cuts cuts;
	const double *v;
	struct req r;
	bool group;
	int rc;

	if (nsamples != NULL)
		*nsamples = 0;
	if (next > LABELS_MAX - 8)
		next = LABELS_MAX - 8;
	if ((rc = req_init(&r, max_samples > 0 ? max_samples : 1)) < 0)
		goto out;
	if ((rc = rw_select_cuts(c, sel, &cuts)) < 0)
		goto out;
	for (i = 0; i < pw_hist_cycle_nseries(c); i++) {
		v = pw_hist_cycle_series(c, i, &id, &nc);
		if (id->kind == PW_HIST_CUSTOM)
			continue;
		group = id->kind == PW_HIST_GROUP;
		if (!group && !rw_select_keeps(&cuts, v, nc))
			continue;
		for (m = 0; m < nc && m < PW_METRIC_NROWS; m++) {
			if (isnan(v[m]) || (d = pw_metric_def(m)) == NULL)
				continue;
			pr = group ? &d->gprom : &d->prom;
			if (pr->family == NULL)
				continue;
			if (r.n == r.max && (rc = req_flush(&r, emit, arg)) != 0)
				goto out;
			/* The slot's own copies, alive until the flush. */
			snprintf(r.pids[r.n], sizeof(r.pids[r.n]), "%ld",
			    (long)id->pid);
			split_label(pr->label, &r.rls[r.n]);
			nl = 0;
			l[nl++] = (struct lbl){ "__name__", pr->family };
			for (k = 0; k < next; k++)
				l[nl++] = (struct lbl){ ext[2 * k],
				    ext[2 * k + 1] };
			if (group) {
				l[nl++] = (struct lbl){ "target", id->name };
			} else {
				l[nl++] = (struct lbl){ "pid", r.pids[r.n] };
				if (id->name[0] != '\0')
					l[nl++] = (struct lbl){ "name",
					    id->name };
				if (id->target[0] != '\0')
					l[nl++] = (struct lbl){ "target",
					    id->target };
			}
			if (r.rls[r.n].name[0] != '\0')
				l[nl++] = (struct lbl){ r.rls[r.n].name,
				    r.rls[r.n].value };
			req_add(&r, l, nl, v[m], ts);
			total++;
		}
	}
	rc = req_flush(&r, emit, arg);
out:
	req_fini(&r);
	if (nsamples != NULL)
		*nsamples = total;
	return rc;
}

/*
 * stats.c: windowed statistics, trends and Welch's t-test.
 *
 * DESIGN: see procwatch/stats.h.  Percentiles come from Hoare-style
 * selection (as std::nth_element does): after selecting rank k every
 * element right of k is >= a[k], so the next higher rank k+1 is the minimum
 * of that part, and the next percentile is selected within it.  Three
 * percentiles cost about three linear passes.  The t distribution is built
 * on the regularized incomplete beta function, evaluated by its continued
 * fraction with the modified Lentz method (as in Numerical Recipes'
 * betacf, written afresh here).
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/stats.h>
#include <procwatch/store.h>

/* --- series ----------------------------------------------------------------- */

size_t
pw_stats_series(const struct pw_sample *s, size_t n, enum pw_metric m,
    const struct pw_series_ctx *ctx, double *t_s, double *v)
{
	const struct pw_metric_def *d = pw_metric_def(m);
	struct pw_metric_ctx c = { 0 };
	size_t i, k = 0;
	double x;

	if (n == 0 || d == NULL || d->proc == NULL)
		return 0;
	if (ctx != NULL) {
		c.mem_total = ctx->mem_total;
		c.fd_limit = ctx->fd_limit;
	}
	/* A rate needs a pair within the window: the first sample has none. */
	for (i = (d->flags & PW_MF_PAIR) ? 1 : 0; i < n; i++) {
		if (!pw_metric_read(m, &c, &s[i], i > 0 ? &s[i - 1] : NULL, &x))
			continue;
		if (t_s != NULL)
			t_s[k] = (double)(s[i].ts_ms - s[0].ts_ms) / 1000.0;
		v[k++] = x;
	}
	return k;
}

double
pw_stats_cpu_seconds(const struct pw_sample *s, size_t n, double *user_s,
    double *sys_s)
{
	double u = 0, sy = 0, dt;
	size_t i;

	for (i = 1; i < n; i++) {
		if ((s[i].flags & PW_SAMPLE_FIRST) ||
		    s[i].ts_ms <= s[i - 1].ts_ms)
			continue;
		dt = (double)(s[i].ts_ms - s[i - 1].ts_ms) / 1000.0;
		u += s[i].cpu_user_pct / 100.0 * dt;
		sy += s[i].cpu_system_pct / 100.0 * dt;
	}
	if (user_s != NULL)
		*user_s = u;
	if (sys_s != NULL)
		*sys_s = sy;
	return u + sy;
}

/* --- selection -------------------------------------------------------------- */

static void
swap_d(double *a, double *b)
{
	double t = *a;

	*a = *b;
	*b = t;
}

/*
 * Rearrange a[lo..hi] so that a[k] holds the value of rank k, everything
 * left of it is <= and everything right of it is >=.  Hoare partitioning
 * around a median of three keeps runs of equal values (a constant series)
 * linear; small ranges finish with insertion sort.
 */
static void
select_k(double *a, size_t lo, size_t hi, size_t k)
{
	size_t i, j, mid;
	double pivot, x;

	while (hi - lo >= 16) {
		mid = lo + (hi - lo) / 2;
		if (a[mid] < a[lo])
			swap_d(&a[mid], &a[lo]);
		if (a[hi] < a[lo])
			swap_d(&a[hi], &a[lo]);
		if (a[hi] < a[mid])
			swap_d(&a[hi], &a[mid]);
		pivot = a[mid];
		i = lo;
		j = hi;
		for (;;) {
			while (a[i] < pivot)
				i++;
			while (a[j] > pivot)
				j--;
			if (i >= j)
				break;
			swap_d(&a[i], &a[j]);
			i++;
			j--;
		}
		/* a[lo..j] <= pivot <= a[j+1..hi] */
		if (k <= j)
			hi = j;
		else
			lo = j + 1;
	}
	for (i = lo + 1; i <= hi; i++) {
		x = a[i];
		for (j = i; j > lo && a[j - 1] > x; j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
}

/*
 * The quantile q of a[from..n-1], knowing that everything in a[from..] is
 * >= everything before it: rank h = (n-1)q must be >= from.
 */
static double
quantile_from(double *a, size_t from, size_t n, double q)
{
	double h = (double)(n - 1) * q, frac, next;
	size_t k = (size_t)h, i;

	if (k >= n)
		k = n - 1;
	if (k < from)
		k = from;
	select_k(a, from, n - 1, k);
	frac = h - (double)k;
	if (frac <= 0 || k + 1 >= n)
		return a[k];
	next = a[k + 1];
	for (i = k + 2; i < n; i++)
		if (a[i] < next)
			next = a[i];
	return a[k] + frac * (next - a[k]);
}

double
pw_stats_quantile(double *a, size_t n, double q)
{
	if (n == 0)
		return 0;
	return quantile_from(a, 0, n, q);
}

/* --- summary ---------------------------------------------------------------- */

void
pw_stats_summarize(const double *v, size_t n, double *scratch,
    struct pw_summary *out)
{
	struct pw_summary s;
	double mean = 0, m2 = 0, d, half;
	size_t i, k50, k95;

	memset(&s, 0, sizeof(s));
	if (n == 0) {
		*out = s;
		return;
	}
	s.min = s.max = v[0];
	for (i = 0; i < n; i++) {
		/* Welford: stable for large values with a small spread. */
		d = v[i] - mean;
		mean += d / (double)(i + 1);
		m2 += d * (v[i] - mean);
		if (v[i] < s.min)
			s.min = v[i];
		if (v[i] > s.max)
			s.max = v[i];
	}
	s.n = n;
	s.avg = mean;
	if (n >= 2) {
		s.var = m2 > 0 ? m2 / (double)(n - 1) : 0;
		s.stddev = sqrt(s.var);
		half = pw_stats_t_quantile(0.975, (double)(n - 1)) * s.stddev /
		    sqrt((double)n);
		s.has_ci = true;
		s.ci_lo = mean - half;
		s.ci_hi = mean + half;
	} else {
		s.ci_lo = s.ci_hi = mean;
	}
	if (scratch != v)
		memcpy(scratch, v, n * sizeof(*v));
	/* Ascending ranks: each selection narrows the next one's range. */
	s.p50 = quantile_from(scratch, 0, n, 0.50);
	k50 = (size_t)((double)(n - 1) * 0.50);
	s.p95 = quantile_from(scratch, k50, n, 0.95);
	k95 = (size_t)((double)(n - 1) * 0.95);
	s.p99 = quantile_from(scratch, k95, n, 0.99);
	/* Interpolation can round a hair outside [min, max]. */
	if (s.p99 > s.max)
		s.p99 = s.max;
	*out = s;
}

/* --- trend ------------------------------------------------------------------ */

const char *
pw_trend_dir_name(enum pw_trend_dir d)
{
	switch (d) {
	case PW_TREND_GROWING:
		return "growing";
	case PW_TREND_SHRINKING:
		return "shrinking";
	default:
		return "flat";
	}
}

int
pw_stats_trend(const double *t_s, const double *v, size_t n,
    struct pw_trend *out)
{
	struct pw_trend tr;
	double mt = 0, mv = 0, sxx = 0, sxy = 0, syy = 0, dx, dy;
	double slope, ssres, se, half, tq;
	size_t i;

	memset(&tr, 0, sizeof(tr));
	tr.n = n;
	tr.dir = PW_TREND_FLAT;
	if (n < 3) {
		*out = tr;
		return -EINVAL;
	}
	/* Two passes around the means: no cancellation on epoch-sized x. */
	for (i = 0; i < n; i++) {
		mt += t_s[i];
		mv += v[i];
	}
	mt /= (double)n;
	mv /= (double)n;
	for (i = 0; i < n; i++) {
		dx = t_s[i] - mt;
		dy = v[i] - mv;
		sxx += dx * dx;
		sxy += dx * dy;
		syy += dy * dy;
	}
	if (sxx <= 0) {
		*out = tr;
		return -EINVAL;
	}
	slope = sxy / sxx;			/* per second */
	ssres = syy - slope * sxy;
	if (ssres < 0)
		ssres = 0;			/* rounding on a perfect line */
	se = sqrt(ssres / (double)(n - 2) / sxx);
	tq = pw_stats_t_quantile(0.975, (double)(n - 2));
	half = tq * se;
	tr.valid = true;
	tr.slope_per_min = slope * 60.0;
	tr.intercept = mv - slope * mt;
	tr.r2 = syy > 0 ? 1.0 - ssres / syy : 0;
	if (tr.r2 < 0)
		tr.r2 = 0;
	tr.ci_lo = (slope - half) * 60.0;
	tr.ci_hi = (slope + half) * 60.0;
	if (tr.ci_lo > 0)
		tr.dir = PW_TREND_GROWING;
	else if (tr.ci_hi < 0)
		tr.dir = PW_TREND_SHRINKING;
	*out = tr;
	return 0;
}

/* --- the t distribution ------------------------------------------------------ */

#define BETACF_MAXIT	300
#define BETACF_EPS	1e-15
#define BETACF_TINY	1e-300

/* The continued fraction of I_x(a, b), modified Lentz. */
static double
betacf(double a, double b, double x)
{
	double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d, h, aa, del;
	int m, m2;

	d = 1 - qab * x / qap;
	if (fabs(d) < BETACF_TINY)
		d = BETACF_TINY;
	d = 1 / d;
	h = d;
	for (m = 1; m <= BETACF_MAXIT; m++) {
		m2 = 2 * m;
		/* Even step: d_{2m}. */
		aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1 + aa * d;
		if (fabs(d) < BETACF_TINY)
			d = BETACF_TINY;
		c = 1 + aa / c;
		if (fabs(c) < BETACF_TINY)
			c = BETACF_TINY;
		d = 1 / d;
		h *= d * c;
		/* Odd step: d_{2m+1}. */
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1 + aa * d;
		if (fabs(d) < BETACF_TINY)
			d = BETACF_TINY;
		c = 1 + aa / c;
		if (fabs(c) < BETACF_TINY)
			c = BETACF_TINY;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < BETACF_EPS)
			break;
	}
	return h;
}

static double
lgam(double x)
{
	int sign;

	return lgamma_r(x, &sign);	/* lgamma() writes a global */
}

double
pw_stats_betai(double a, double b, double x)
{
	double lbt;

	if (x <= 0)
		return 0;
	if (x >= 1)
		return 1;
	lbt = lgam(a + b) - lgam(a) - lgam(b) + a * log(x) + b * log1p(-x);
	/* The fraction converges fast below the mean, else use symmetry. */
	if (x < (a + 1) / (a + b + 2))
		return exp(lbt) * betacf(a, b, x) / a;
	return 1 - exp(lbt) * betacf(b, a, 1 - x) / b;
}

double
pw_stats_t_cdf(double t, double df)
{
	double tail;

	if (isnan(t) || df <= 0)
		return NAN;
	if (isinf(t))
		return t > 0 ? 1 : 0;
	/* P(|T| > |t|) = I_{df/(df+t^2)}(df/2, 1/2) */
	tail = 0.5 * pw_stats_betai(df / 2, 0.5, df / (df + t * t));
	return t > 0 ? 1 - tail : tail;
}

static double
t_pdf(double t, double df)
{
	return exp(lgam((df + 1) / 2) - lgam(df / 2) -
	    (df + 1) / 2 * log1p(t * t / df)) / sqrt(df * M_PI);
}

/* Upper-tail standard normal quantile start, A&S 26.2.23 (|err| < 4.5e-4). */
static double
z_quantile(double p)
{
	double q = p < 0.5 ? p : 1 - p, t, z;

	t = sqrt(-2 * log(q));
	z = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) /
	    (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t);
	return p < 0.5 ? -z : z;
}

double
pw_stats_t_quantile(double p, double df)
{
	double z, z2, x, fx, dx, g1, g2;
	int i;

	if (!(p > 0 && p < 1) || !(df > 0))
		return NAN;
	if (p == 0.5)
		return 0;
	if (df == 1)
		return tan(M_PI * (p - 0.5));
	if (df == 2)
		return (2 * p - 1) / sqrt(2 * p * (1 - p));
	/* Cornish-Fisher expansion (A&S 26.7.5), then Newton on the CDF. */
	z = z_quantile(p);
	z2 = z * z;
	g1 = (z2 + 1) * z / 4;
	g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
	x = z + g1 / df + g2 / (df * df);
	for (i = 0; i < 50; i++) {
		fx = pw_stats_t_cdf(x, df) - p;
		dx = fx / t_pdf(x, df);
		x -= dx;
		if (fabs(dx) <= 1e-12 * (1 + fabs(x)))
			break;
	}
	return x;
}

/* --- Welch ------------------------------------------------------------------ */

int
pw_stats_welch(const struct pw_summary *cur, const struct pw_summary *base,
    struct pw_welch *out)
{
	struct pw_welch w;
	double va, vb, se2;

	if (cur->n < 2 || base->n < 2)
		return -EINVAL;
	memset(&w, 0, sizeof(w));
	w.change = cur->avg - base->avg;
	w.change_pct = base->avg != 0 ? 100.0 * w.change / fabs(base->avg) : 0;
	va = cur->var / (double)cur->n;
	vb = base->var / (double)base->n;
	se2 = va + vb;
	if (se2 <= 0) {
		/* Two constant windows: equal, or different for certain. */
		w.df = (double)(cur->n + base->n - 2);
		if (w.change == 0) {
			w.t = 0;
			w.p_value = 1;
		} else {
			w.t = w.change > 0 ? INFINITY : -INFINITY;
			w.p_value = 0;
		}
	} else {
		w.t = w.change / sqrt(se2);
		w.df = se2 * se2 / (va * va / (double)(cur->n - 1) +
		    vb * vb / (double)(base->n - 1));
		w.p_value = pw_stats_betai(w.df / 2, 0.5,
		    w.df / (w.df + w.t * w.t));
	}
	w.significant = w.p_value < 0.05;
	*out = w;
	return 0;
}

/* --- averages over a store --------------------------------------------------- */

struct avg_acc {
	struct pw_avg_group	 g;
	size_t			 nfds;
};

struct avg_walk {
	const char		*target;
	uint64_t		 mem_total;
	struct avg_acc		*v;
	size_t			 n, cap;
	struct avg_acc		 all;
	double			*scratch;
	size_t			 nscratch;
	int			 err;
};

static double
series_mean(const struct pw_sample *s, size_t n, enum pw_metric m,
    double *scratch, bool *has)
{
	double sum = 0;
	size_t k, i;

	k = pw_stats_series(s, n, m, NULL, NULL, scratch);
	for (i = 0; i < k; i++)
		sum += scratch[i];
	*has = k > 0;
	return k > 0 ? sum / (double)k : 0;
}

static void
acc_add(struct avg_acc *a, const struct pw_sample *s, size_t n,
    uint64_t mem_total, double *scratch)
{
	double rss;
	bool has;

	a->g.processes++;
	a->g.cpu_percent_total += series_mean(s, n, PW_METRIC_CPU_PERCENT,
	    scratch, &has);
	rss = series_mean(s, n, PW_METRIC_RSS_BYTES, scratch, &has);
	a->g.rss_bytes_total += rss;
	if (mem_total > 0)
		a->g.memory_percent += 100.0 * rss / (double)mem_total;
	a->g.threads += series_mean(s, n, PW_METRIC_THREADS, scratch, &has);
	a->g.open_fds += series_mean(s, n, PW_METRIC_OPEN_FDS, scratch, &has);
	a->nfds += has;
}

static void
acc_finish(struct avg_acc *a)
{
	double k = (double)a->g.processes;

	if (a->g.processes == 0)
		return;
	a->g.cpu_percent = a->g.cpu_percent_total / k;
	a->g.rss_bytes = a->g.rss_bytes_total / k;
	a->g.memory_percent /= k;
	a->g.threads /= k;
	a->g.open_fds = a->nfds > 0 ? a->g.open_fds / (double)a->nfds : 0;
}

/*
 * Under the store's read lock.  A new target name allocates, which is
 * rare (once per target per walk) and does not block.
 */
static int
avg_visit(const struct pw_proc_view *view, const struct pw_sample *s,
    size_t n, void *arg)
{
	struct avg_walk *w = arg;
	struct avg_acc *a = NULL, *nv;
	size_t i;

	if (n == 0 || n > w->nscratch)
		return 0;
	if (w->target != NULL && strcmp(w->target, view->target) != 0)
		return 0;
	for (i = 0; i < w->n; i++)
		if (strcmp(w->v[i].g.target, view->target) == 0) {
			a = &w->v[i];
			break;
		}
	if (a == NULL) {
		if (w->n == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 8;
			if ((nv = realloc(w->v, w->cap * sizeof(*nv))) ==
			    NULL)
				return w->err = -ENOMEM;
			w->v = nv;
		}
		a = &w->v[w->n];
		memset(a, 0, sizeof(*a));
		if ((a->g.target = strdup(view->target)) == NULL)
			return w->err = -ENOMEM;
		w->n++;
	}
	acc_add(a, s, n, w->mem_total, w->scratch);
	acc_add(&w->all, s, n, w->mem_total, w->scratch);
	return 0;
}

static int
group_cmp(const void *x, const void *y)
{
	const struct pw_avg_group *a = x, *b = y;

	return strcmp(a->target, b->target);
}

int
pw_stats_averages(struct pw_store *st, int64_t window_ms, const char *target,
    struct pw_avg_group **groups, size_t *n, struct pw_avg_group *all)
{
	struct avg_walk w;
	struct pw_avg_group *out;
	struct pw_snapshot *snap;
	int64_t taken;
	size_t i;
	int rc;

	memset(&w, 0, sizeof(w));
	w.target = target;
	if ((rc = pw_store_snapshot(st, false, &snap)) < 0)
		return rc;
	for (i = 0; i < snap->n; i++)
		if (snap->procs[i].capacity > w.nscratch)
			w.nscratch = snap->procs[i].capacity;
	pw_snapshot_free(snap);
	pw_store_info(st, &taken, &w.mem_total);
	if ((w.scratch = malloc((w.nscratch ? w.nscratch : 1) *
	    sizeof(double))) == NULL)
		return -ENOMEM;
	rc = pw_store_each(st, taken - window_ms, false, avg_visit, &w);
	free(w.scratch);
	if (rc < 0 || (out = calloc(w.n ? w.n : 1, sizeof(*out))) == NULL) {
		for (i = 0; i < w.n; i++)
			free(w.v[i].g.target);
		free(w.v);
		return rc < 0 ? rc : -ENOMEM;
	}
	for (i = 0; i < w.n; i++) {
		acc_finish(&w.v[i]);
		out[i] = w.v[i].g;
	}
	free(w.v);
	qsort(out, w.n, sizeof(*out), group_cmp);
	acc_finish(&w.all);
	*all = w.all.g;
	*groups = out;
	*n = w.n;
	return 0;
}

void
pw_avg_groups_free(struct pw_avg_group *groups, size_t n)
{
	size_t i;

	if (groups == NULL)
		return;
	for (i = 0; i < n; i++)
		free(groups[i].target);
	free(groups);
}

/* --- from roll-up buckets --------------------------------------------------- */

static int
cmp_bucket(const void *x, const void *y)
{
	const struct pw_bucket *a = x, *b = y;

	return (a->mean > b->mean) - (a->mean < b->mean);
}

/*
 * The value of rank h = (N-1)q of the samples when each bucket's are all
 * its mean: b[] sorted by mean, N their total count.
 */
static double
bucket_quantile(const struct pw_bucket *b, size_t nb, size_t total, double q)
{
	double h = (double)(total - 1) * q, frac;
	size_t k = (size_t)h, i, seen = 0;

	frac = h - (double)k;
	for (i = 0; i < nb; i++) {
		if (k < seen + b[i].n)
			break;
		seen += b[i].n;
	}
	if (i == nb)
		return b[nb - 1].mean;
	/* Rank k + 1 is in the same bucket, or the next one's first. */
	if (frac == 0 || k + 1 < seen + b[i].n || i + 1 == nb)
		return b[i].mean;
	return b[i].mean + frac * (b[i + 1].mean - b[i].mean);
}

void
pw_stats_summarize_buckets(const struct pw_bucket *b, size_t nb,
    struct pw_bucket *scratch, struct pw_summary *out)
{
	struct pw_summary s;
	double sum = 0, ss = 0, d;
	size_t i, k = 0, total = 0;

	memset(&s, 0, sizeof(s));
	for (i = 0; i < nb; i++) {
		if (b[i].n == 0 || !isfinite(b[i].mean))
			continue;
		scratch[k++] = b[i];		/* k <= i: safe in place */
	}
	for (i = 0; i < k; i++) {
		total += scratch[i].n;
		sum += (double)scratch[i].n * scratch[i].mean;
		/* A bucket without min/max (a LAST row) has its mean. */
		d = isfinite(scratch[i].min) ? scratch[i].min : scratch[i].mean;
		if (i == 0 || d < s.min)
			s.min = d;
		d = isfinite(scratch[i].max) ? scratch[i].max : scratch[i].mean;
		if (i == 0 || d > s.max)
			s.max = d;
	}
	if (total == 0) {
		*out = s;
		return;
	}
	s.n = total;
	s.avg = sum / (double)total;
	for (i = 0; i < k; i++) {
		d = scratch[i].mean - s.avg;
		ss += (double)scratch[i].n * d * d;
	}
	if (total >= 2) {
		s.var = ss / (double)(total - 1);
		s.stddev = sqrt(s.var);
	}
	s.ci_lo = s.ci_hi = s.avg;
	qsort(scratch, k, sizeof(*scratch), cmp_bucket);
	s.p50 = bucket_quantile(scratch, k, total, 0.50);
	s.p95 = bucket_quantile(scratch, k, total, 0.95);
	s.p99 = bucket_quantile(scratch, k, total, 0.99);
	*out = s;
}

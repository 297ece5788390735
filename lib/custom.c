/*
 * custom.c: the store of custom metric series, and the per-source error
 * figures.  Names, labels and points are checked by lib/custom_valid.c;
 * exec sources' output is parsed by lib/custom_parse.c.
 *
 * DESIGN: see procwatch/custom.h.  The store is a sorted array of series
 * pointers under one mutex (a leaf lock); inserting is a memmove, which at
 * the 10000-series default costs less than the JSON parse of the push that
 * caused it.  Each series' ring starts at 8 points and doubles up to the
 * configured history.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/custom.h>

#include "custom_impl.h"
#include "pwutil.h"

#define KEY_SEP		'\x1e'
#define LABEL_SEP	'\x1f'
#define RING_MIN	8

struct series {
	char			*key;		/* canonical, see custom.h */
	char			*name;
	enum pw_custom_scope	 scope;
	uint64_t		 proc_id;
	pid_t			 pid;
	char			*target;	/* "" for the host */
	size_t			 nlabels;
	char			*lnames[PW_CUSTOM_LABELS_MAX];
	char			*lvalues[PW_CUSTOM_LABELS_MAX];
	char			 source[PW_CUSTOM_SOURCE_MAX + 1];
	int64_t			 updated_ms;
	bool			 is_stale;
	int64_t			*ts;		/* ring */
	double			*v;
	size_t			 head, len, cap;
};

struct srcstat {
	struct pw_custom_source_stats	st;
};

struct pw_custom {
	pthread_mutex_t		 mtx;
	struct pw_custom_config	 cfg;
	struct series		**ser;		/* sorted by key */
	size_t			 n, cap;
	struct srcstat		*src;		/* sorted by name */
	size_t			 nsrc;
};

static const char *const err_names[PW_CERR_COUNT] = {
	"exit", "timeout", "flood", "parse", "spawn", "rejected", "callback",
};

const char *
pw_custom_err_name(enum pw_custom_err e)
{
	return (unsigned)e < PW_CERR_COUNT ? err_names[e] : "unknown";
}

/* --- keys -------------------------------------------------------------------- */

/* "<scope>\x1e<name>\x1e": the prefix shared by a name's series in a scope. */
static int
key_prefix(char *buf, size_t len, enum pw_custom_scope scope,
    uint64_t proc_id, const char *target, const char *name)
{
	int n;

	if (scope == PW_CUSTOM_PROC)
		n = snprintf(buf, len, "P%016llx%c%s%c",
		    (unsigned long long)proc_id, KEY_SEP, name, KEY_SEP);
	else if (scope == PW_CUSTOM_TARGET)
		n = snprintf(buf, len, "T%s%c%s%c", target, KEY_SEP, name,
		    KEY_SEP);
	else
		n = snprintf(buf, len, "H%c%s%c", KEY_SEP, name, KEY_SEP);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : n;
}

#define PREFIX_MAX	(PW_CUSTOM_TARGET_MAX + PW_CUSTOM_NAME_MAX + 24)

/* A malloc'd canonical key, or NULL when out of memory. */
static char *
key_make(const struct pw_custom_point *pt, const struct pw_custom_label *l)
{
	char pre[PREFIX_MAX];
	size_t len, i;
	char *k, *p;
	int n;

	if ((n = key_prefix(pre, sizeof(pre), pt->scope, pt->proc_id,
	    pt->target, pt->name)) < 0)
		return NULL;
	len = (size_t)n + 1;
	for (i = 0; i < pt->nlabels; i++)
		len += strlen(l[i].name) + strlen(l[i].value) + 2;
	if ((k = malloc(len)) == NULL)
		return NULL;
	memcpy(k, pre, (size_t)n);
	p = k + n;
	for (i = 0; i < pt->nlabels; i++)
		p += sprintf(p, "%s=%s%c", l[i].name, l[i].value, LABEL_SEP);
	*p = '\0';
	return k;
}

/* Index of the first series whose key is >= key. */
static size_t
lower(const struct pw_custom *c, const char *key)
{
	size_t lo = 0, hi = c->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(c->ser[mid]->key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* --- the store --------------------------------------------------------------- */

struct pw_custom *
pw_custom_new(const struct pw_custom_config *cfg)
{
	struct pw_custom *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (cfg != NULL)
		c->cfg = *cfg;
	if (c->cfg.max_series == 0)
		c->cfg.max_series = PW_CUSTOM_DEFAULT_MAX_SERIES;
	if (c->cfg.history == 0)
		c->cfg.history = PW_CUSTOM_DEFAULT_HISTORY;
	if (c->cfg.history < 2)
		c->cfg.history = 2;
	if (c->cfg.stale_ms <= 0)
		c->cfg.stale_ms = PW_CUSTOM_DEFAULT_STALE_MS;
	if (c->cfg.drop_ms <= 0)
		c->cfg.drop_ms = PW_CUSTOM_DEFAULT_DROP_MS;
	if (c->cfg.drop_ms < c->cfg.stale_ms)
		c->cfg.drop_ms = c->cfg.stale_ms;
	if (pthread_mutex_init(&c->mtx, NULL) != 0) {
		free(c);
		return NULL;
	}
	return c;
}

static void
series_free(struct series *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->key);
	free(s->name);
	free(s->target);
	for (i = 0; i < s->nlabels; i++) {
		free(s->lnames[i]);
		free(s->lvalues[i]);
	}
	free(s->ts);
	free(s->v);
	free(s);
}

void
pw_custom_free(struct pw_custom *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		series_free(c->ser[i]);
	free(c->ser);
	free(c->src);
	pthread_mutex_destroy(&c->mtx);
	free(c);
}

static struct series *
series_new(const struct pw_custom_point *pt, const struct pw_custom_label *l,
    char *key, size_t history)
{
	size_t i, cap = history < RING_MIN ? history : RING_MIN;
	struct series *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->key = key;
	s->scope = pt->scope;
	s->proc_id = pt->scope == PW_CUSTOM_PROC ? pt->proc_id : 0;
	s->pid = pt->scope == PW_CUSTOM_PROC ? pt->pid : 0;
	if ((s->name = strdup(pt->name)) == NULL ||
	    (s->target = strdup(pt->scope != PW_CUSTOM_HOST &&
	    pt->target != NULL ? pt->target : "")) == NULL)
		goto out_free;
	for (i = 0; i < pt->nlabels; i++) {
		if ((s->lnames[i] = strdup(l[i].name)) == NULL ||
		    (s->lvalues[i] = strdup(l[i].value)) == NULL) {
			free(s->lnames[i]);
			goto out_free;
		}
		s->nlabels = i + 1;
	}
	if ((s->ts = malloc(cap * sizeof(*s->ts))) == NULL ||
	    (s->v = malloc(cap * sizeof(*s->v))) == NULL)
		goto out_free;
	s->cap = cap;
	return s;
out_free:
	s->key = NULL;		/* the caller still owns it */
	series_free(s);
	return NULL;
}

/* Make room for one more point; false when out of memory. */
static bool
ring_grow(struct series *s, size_t max)
{
	int64_t *nts;
	double *nv;
	size_t ncap, i;

	if (s->len < s->cap || s->cap >= max)
		return true;
	ncap = s->cap * 2 > max ? max : s->cap * 2;
	if ((nts = malloc(ncap * sizeof(*nts))) == NULL)
		return false;
	if ((nv = malloc(ncap * sizeof(*nv))) == NULL) {
		free(nts);
		return false;
	}
	for (i = 0; i < s->len; i++) {
		nts[i] = s->ts[(s->head + i) % s->cap];
		nv[i] = s->v[(s->head + i) % s->cap];
	}
	free(s->ts);
	free(s->v);
	s->ts = nts;
	s->v = nv;
	s->head = 0;
	s->cap = ncap;
	return true;
}

static void
ring_push(struct series *s, int64_t ts, double v)
{
	size_t at;

	if (s->len == s->cap) {
		s->head = (s->head + 1) % s->cap;
		s->len--;
	}
	at = (s->head + s->len) % s->cap;
	s->ts[at] = ts;
	s->v[at] = v;
	s->len++;
}

static const double *
ring_last(const struct series *s, int64_t *ts)
{
	size_t at;

	if (s->len == 0)
		return NULL;
	at = (s->head + s->len - 1) % s->cap;
	*ts = s->ts[at];
	return &s->v[at];
}

int
pw_custom_put(struct pw_custom *c, const struct pw_custom_point *pt,
    const char *source, int64_t now_ms, char *err, size_t errlen)
{
	struct pw_custom_label sorted[PW_CUSTOM_LABELS_MAX];
	struct series *s, **ns;
	size_t at, ncap;
	int64_t last_ts;
	char *key;
	int rc;

	if ((rc = pw__custom_check_point(pt, sorted, err, errlen)) < 0)
		return rc;
	if ((key = key_make(pt, sorted)) == NULL) {
		pw_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_lock(&c->mtx);
	at = lower(c, key);
	if (at < c->n && strcmp(c->ser[at]->key, key) == 0) {
		free(key);
		s = c->ser[at];
	} else {
		if (c->n >= c->cfg.max_series) {
			pthread_mutex_unlock(&c->mtx);
			free(key);
			pw_seterr(err, errlen, "too many series: the limit "
			    "is %zu (custom_max_series)", c->cfg.max_series);
			return -ENOSPC;
		}
		if (c->n == c->cap) {
			ncap = c->cap ? c->cap * 2 : 64;
			if ((ns = realloc(c->ser, ncap * sizeof(*ns))) == NULL)
				goto out_oom;
			c->ser = ns;
			c->cap = ncap;
		}
		if ((s = series_new(pt, sorted, key, c->cfg.history)) == NULL)
			goto out_oom;
		memmove(&c->ser[at + 1], &c->ser[at],
		    (c->n - at) * sizeof(*c->ser));
		c->ser[at] = s;
		c->n++;
	}
	if (ring_last(s, &last_ts) != NULL && pt->ts_ms < last_ts) {
		pthread_mutex_unlock(&c->mtx);
		return 0;		/* out of order: keep the ring sorted */
	}
	/* Out of memory to grow: the oldest point is overwritten instead. */
	(void)ring_grow(s, c->cfg.history);
	ring_push(s, pt->ts_ms, pt->value);
	snprintf(s->source, sizeof(s->source), "%s",
	    source != NULL ? source : "push");
	if (pt->scope == PW_CUSTOM_PROC)
		s->pid = pt->pid;
	s->updated_ms = now_ms;
	s->is_stale = false;
	pthread_mutex_unlock(&c->mtx);
	return 0;
out_oom:
	pthread_mutex_unlock(&c->mtx);
	free(key);
	pw_seterr(err, errlen, "out of memory");
	return -ENOMEM;
}

size_t
pw_custom_expire(struct pw_custom *c, int64_t now_ms)
{
	size_t i, j, dropped = 0;

	pthread_mutex_lock(&c->mtx);
	for (i = j = 0; i < c->n; i++) {
		struct series *s = c->ser[i];

		if (s->updated_ms <= now_ms - c->cfg.drop_ms) {
			series_free(s);
			dropped++;
			continue;
		}
		s->is_stale = s->updated_ms <= now_ms - c->cfg.stale_ms;
		c->ser[j++] = s;
	}
	c->n = j;
	pthread_mutex_unlock(&c->mtx);
	return dropped;
}

static int
cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

void
pw_custom_drop_procs(struct pw_custom *c, const uint64_t *ids, size_t n)
{
	size_t i, j;

	if (n == 0)
		return;
	pthread_mutex_lock(&c->mtx);
	for (i = j = 0; i < c->n; i++) {
		if (c->ser[i]->scope == PW_CUSTOM_PROC &&
		    bsearch(&c->ser[i]->proc_id, ids, n, sizeof(*ids),
		    cmp_id) != NULL) {
			series_free(c->ser[i]);
			continue;
		}
		c->ser[j++] = c->ser[i];
	}
	c->n = j;
	pthread_mutex_unlock(&c->mtx);
}

void
pw_custom_drop_proc(struct pw_custom *c, uint64_t proc_id)
{
	pw_custom_drop_procs(c, &proc_id, 1);
}

void
pw_custom_counts(struct pw_custom *c, size_t *series, size_t *max)
{
	pthread_mutex_lock(&c->mtx);
	if (series != NULL)
		*series = c->n;
	if (max != NULL)
		*max = c->cfg.max_series;
	pthread_mutex_unlock(&c->mtx);
}

/* --- copying out ------------------------------------------------------------- */

static char *
put_str(char **p, const char *s)
{
	char *at = *p;
	size_t n = strlen(s) + 1;

	memcpy(at, s, n);
	*p += n;
	return at;
}

static int
view_fill(struct pw_custom_view *v, const struct series *s)
{
	size_t len, i;
	int64_t ts = 0;
	const double *last;
	char *p;

	memset(v, 0, sizeof(*v));
	len = strlen(s->name) + strlen(s->target) + strlen(s->source) + 3;
	for (i = 0; i < s->nlabels; i++)
		len += strlen(s->lnames[i]) + strlen(s->lvalues[i]) + 2;
	if ((v->buf = malloc(len)) == NULL)
		return -ENOMEM;
	p = v->buf;
	v->name = put_str(&p, s->name);
	v->target = put_str(&p, s->target);
	v->source = put_str(&p, s->source);
	for (i = 0; i < s->nlabels; i++) {
		v->lnames[i] = put_str(&p, s->lnames[i]);
		v->lvalues[i] = put_str(&p, s->lvalues[i]);
	}
	v->nlabels = s->nlabels;
	v->scope = s->scope;
	v->proc_id = s->proc_id;
	v->pid = s->pid;
	if ((last = ring_last(s, &ts)) != NULL)
		v->value = *last;
	v->ts_ms = ts;
	v->updated_ms = s->updated_ms;
	v->is_stale = s->is_stale;
	v->npoints = s->len;
	return 0;
}

void
pw_custom_views_free(struct pw_custom_view *v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i].buf);
	free(v);
}

static int
cmp_view(const void *a, const void *b)
{
	const struct pw_custom_view *x = a, *y = b;
	size_t i;
	int r;

	if ((r = strcmp(x->name, y->name)) != 0)
		return r;
	if (x->scope != y->scope)
		return x->scope < y->scope ? -1 : 1;
	if (x->proc_id != y->proc_id)
		return x->proc_id < y->proc_id ? -1 : 1;
	if ((r = strcmp(x->target, y->target)) != 0)
		return r;
	for (i = 0; i < x->nlabels && i < y->nlabels; i++) {
		if ((r = strcmp(x->lnames[i], y->lnames[i])) != 0 ||
		    (r = strcmp(x->lvalues[i], y->lvalues[i])) != 0)
			return r;
	}
	return x->nlabels < y->nlabels ? -1 : x->nlabels > y->nlabels;
}

int
pw_custom_copy(struct pw_custom *c, uint64_t proc_id,
    struct pw_custom_view **out, size_t *nout)
{
	struct pw_custom_view *v = NULL;
	size_t i, n = 0, want = 0;

	*out = NULL;
	*nout = 0;
	pthread_mutex_lock(&c->mtx);
	for (i = 0; i < c->n; i++)
		if (proc_id == 0 || (c->ser[i]->scope == PW_CUSTOM_PROC &&
		    c->ser[i]->proc_id == proc_id))
			want++;
	if (want > 0 && (v = calloc(want, sizeof(*v))) == NULL)
		goto out_oom;
	for (i = 0; i < c->n && n < want; i++) {
		if (proc_id != 0 && (c->ser[i]->scope != PW_CUSTOM_PROC ||
		    c->ser[i]->proc_id != proc_id))
			continue;
		if (view_fill(&v[n], c->ser[i]) < 0)
			goto out_oom;
		n++;
	}
	pthread_mutex_unlock(&c->mtx);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_view);
	*out = v;
	*nout = n;
	return 0;
out_oom:
	pthread_mutex_unlock(&c->mtx);
	pw_custom_views_free(v, n);
	return -ENOMEM;
}

/* Under the mutex: the series of `name` in one scope with fewest labels. */
static struct series *
find_scope(struct pw_custom *c, enum pw_custom_scope scope, uint64_t proc_id,
    const char *target, const char *name, bool skip_stale)
{
	char pre[PREFIX_MAX];
	struct series *best = NULL;
	size_t at;
	int n;

	if ((n = key_prefix(pre, sizeof(pre), scope, proc_id, target,
	    name)) < 0)
		return NULL;
	for (at = lower(c, pre); at < c->n &&
	    strncmp(c->ser[at]->key, pre, (size_t)n) == 0; at++) {
		struct series *s = c->ser[at];

		if ((skip_stale && s->is_stale) || s->len == 0)
			continue;
		if (best == NULL || s->nlabels < best->nlabels)
			best = s;
	}
	return best;
}

static struct series *
find(struct pw_custom *c, const char *name, uint64_t proc_id,
    const char *target, bool skip_stale)
{
	struct series *s = NULL;

	if (!pw_custom_name_valid(name))
		return NULL;
	if (proc_id != 0)
		s = find_scope(c, PW_CUSTOM_PROC, proc_id, "", name,
		    skip_stale);
	if (s == NULL && target != NULL && pw_custom_target_valid(target))
		s = find_scope(c, PW_CUSTOM_TARGET, 0, target, name,
		    skip_stale);
	if (s == NULL)
		s = find_scope(c, PW_CUSTOM_HOST, 0, "", name, skip_stale);
	return s;
}

int
pw_custom_lookup(struct pw_custom *c, const char *name, uint64_t proc_id,
    const char *target, double *value, int64_t *ts_ms)
{
	const struct series *s;
	const double *last;
	int64_t ts = 0;
	int rc = -ENOENT;

	pthread_mutex_lock(&c->mtx);
	if ((s = find(c, name, proc_id, target, true)) != NULL &&
	    (last = ring_last(s, &ts)) != NULL) {
		*value = *last;
		if (ts_ms != NULL)
			*ts_ms = ts;
		rc = 0;
	}
	pthread_mutex_unlock(&c->mtx);
	return rc;
}

int
pw_custom_points(struct pw_custom *c, const char *name, uint64_t proc_id,
    const char *target, int64_t since_ms, int64_t **tsp, double **vp,
    size_t *np)
{
	const struct series *s;
	int64_t *ts = NULL;
	double *v = NULL;
	size_t i, n = 0, at;

	*tsp = NULL;
	*vp = NULL;
	*np = 0;
	pthread_mutex_lock(&c->mtx);
	if ((s = find(c, name, proc_id, target, false)) == NULL) {
		pthread_mutex_unlock(&c->mtx);
		return -ENOENT;
	}
	if (s->len > 0 && ((ts = malloc(s->len * sizeof(*ts))) == NULL ||
	    (v = malloc(s->len * sizeof(*v))) == NULL)) {
		pthread_mutex_unlock(&c->mtx);
		free(ts);
		return -ENOMEM;
	}
	for (i = 0; i < s->len; i++) {
		at = (s->head + i) % s->cap;
		if (s->ts[at] <= since_ms)
			continue;
		ts[n] = s->ts[at];
		v[n++] = s->v[at];
	}
	pthread_mutex_unlock(&c->mtx);
	if (n == 0) {
		free(ts);
		free(v);
		return 0;
	}
	*tsp = ts;
	*vp = v;
	*np = n;
	return 0;
}

/* --- sources ----------------------------------------------------------------- */

/* Under the mutex: the stats of `name`, added if new; NULL if full. */
static struct srcstat *
src_get(struct pw_custom *c, const char *name)
{
	struct srcstat *ns;
	size_t lo = 0, hi = c->nsrc, mid;
	int r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((r = strcmp(c->src[mid].st.name, name)) == 0)
			return &c->src[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (c->nsrc >= PW_CUSTOM_SOURCES_MAX ||
	    strlen(name) > PW_CUSTOM_SOURCE_MAX)
		return NULL;
	if ((ns = realloc(c->src, (c->nsrc + 1) * sizeof(*ns))) == NULL)
		return NULL;
	c->src = ns;
	memmove(&c->src[lo + 1], &c->src[lo], (c->nsrc - lo) * sizeof(*ns));
	memset(&c->src[lo], 0, sizeof(*ns));
	snprintf(c->src[lo].st.name, sizeof(c->src[lo].st.name), "%s", name);
	c->nsrc++;
	return &c->src[lo];
}

void
pw_custom_source_ok(struct pw_custom *c, const char *source)
{
	struct srcstat *s;

	pthread_mutex_lock(&c->mtx);
	if ((s = src_get(c, source)) != NULL)
		s->st.runs++;
	pthread_mutex_unlock(&c->mtx);
}

void
pw_custom_source_error(struct pw_custom *c, const char *source,
    enum pw_custom_err why, const char *msg, int64_t now_ms)
{
	struct srcstat *s;

	if ((unsigned)why >= PW_CERR_COUNT)
		return;
	pthread_mutex_lock(&c->mtx);
	if ((s = src_get(c, source)) != NULL) {
		s->st.errors[why]++;
		s->st.last_error_ms = now_ms;
		snprintf(s->st.last_error, sizeof(s->st.last_error), "%s: %s",
		    err_names[why], msg != NULL ? msg : "");
	}
	pthread_mutex_unlock(&c->mtx);
}

int
pw_custom_sources_copy(struct pw_custom *c,
    struct pw_custom_source_stats **out, size_t *n)
{
	struct pw_custom_source_stats *a;
	size_t i;

	pthread_mutex_lock(&c->mtx);
	if ((a = calloc(c->nsrc ? c->nsrc : 1, sizeof(*a))) == NULL) {
		pthread_mutex_unlock(&c->mtx);
		return -ENOMEM;
	}
	for (i = 0; i < c->nsrc; i++)
		a[i] = c->src[i].st;
	*n = c->nsrc;
	pthread_mutex_unlock(&c->mtx);
	*out = a;
	return 0;
}


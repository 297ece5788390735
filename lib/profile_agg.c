/*
 * profile_agg.c: folding sampled stacks into a profile (procwatch/profile.h,
 * pw_stackagg_*): counts per folded stack "thread;root;...;leaf", self and
 * total samples per function, samples per thread, then the sorted summary
 * and the folded text of a struct pw_profile.  Pure, bounded by
 * max_stacks, and unit-tested.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/profile.h>

#include "profile_impl.h"

struct stack_ent {
	char		*key;		/* "thread;root;...;leaf"; NULL: free */
	uint64_t	 hash;
	uint64_t	 count;
};

struct func_ent {
	char		*name;		/* NULL: free slot */
	uint64_t	 hash;
	uint64_t	 self, total;
	uint64_t	 stamp;		/* the last sample that counted it */
};

struct thr_ent {
	pid_t		tid;
	char		name[17];
	uint64_t	samples;
};

struct pw_stackagg {
	size_t		 max_stacks;
	struct stack_ent *st;		/* open addressing, power of two */
	size_t		 nst, capst;
	struct func_ent	*fn;
	size_t		 nfn, capfn;
	struct thr_ent	*thr;		/* sorted by tid */
	size_t		 nthr, capthr;
	uint64_t	 seq;
	char		*key;		/* scratch */
	size_t		 keycap;
};

static uint64_t
fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

struct pw_stackagg *
pw_stackagg_new(size_t max_stacks)
{
	struct pw_stackagg *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->max_stacks = max_stacks > 0 ? max_stacks : 1;
	a->capst = 64;
	a->capfn = 64;
	a->st = calloc(a->capst, sizeof(*a->st));
	a->fn = calloc(a->capfn, sizeof(*a->fn));
	if (a->st == NULL || a->fn == NULL) {
		pw_stackagg_free(a);
		return NULL;
	}
	return a;
}

static void
agg_clear(struct pw_stackagg *a)
{
	size_t i;

	for (i = 0; i < a->capst; i++) {
		free(a->st[i].key);
		a->st[i].key = NULL;
	}
	for (i = 0; i < a->capfn; i++) {
		free(a->fn[i].name);
		a->fn[i].name = NULL;
	}
	a->nst = a->nfn = a->nthr = 0;
}

void
pw_stackagg_free(struct pw_stackagg *a)
{
	if (a == NULL)
		return;
	if (a->st != NULL && a->fn != NULL)
		agg_clear(a);
	free(a->st);
	free(a->fn);
	free(a->thr);
	free(a->key);
	free(a);
}

/* Append name to the scratch key with ';' and line breaks replaced. */
static int
key_put(struct pw_stackagg *a, size_t *len, const char *name, bool sep)
{
	size_t n, i;
	char *nk, c;

	if (name == NULL || *name == '\0')
		name = UNKNOWN_FRAME;
	n = strlen(name);
	if (*len + n + 2 > a->keycap) {
		if ((nk = realloc(a->key, (*len + n + 2) * 2)) == NULL)
			return -ENOMEM;
		a->key = nk;
		a->keycap = (*len + n + 2) * 2;
	}
	if (sep)
		a->key[(*len)++] = ';';
	for (i = 0; i < n; i++) {
		c = name[i];
		a->key[(*len)++] = c == ';' || c == '\n' || c == '\r' ? '_' : c;
	}
	a->key[*len] = '\0';
	return 0;
}

static int
st_grow(struct pw_stackagg *a)
{
	struct stack_ent *nv;
	size_t cap = a->capst * 2, i, j;

	if ((nv = calloc(cap, sizeof(*nv))) == NULL)
		return -ENOMEM;
	for (i = 0; i < a->capst; i++) {
		if (a->st[i].key == NULL)
			continue;
		for (j = a->st[i].hash & (cap - 1); nv[j].key != NULL;
		    j = (j + 1) & (cap - 1))
			;
		nv[j] = a->st[i];
	}
	free(a->st);
	a->st = nv;
	a->capst = cap;
	return 0;
}

static int
fn_grow(struct pw_stackagg *a)
{
	struct func_ent *nv;
	size_t cap = a->capfn * 2, i, j;

	if ((nv = calloc(cap, sizeof(*nv))) == NULL)
		return -ENOMEM;
	for (i = 0; i < a->capfn; i++) {
		if (a->fn[i].name == NULL)
			continue;
		for (j = a->fn[i].hash & (cap - 1); nv[j].name != NULL;
		    j = (j + 1) & (cap - 1))
			;
		nv[j] = a->fn[i];
	}
	free(a->fn);
	a->fn = nv;
	a->capfn = cap;
	return 0;
}

/* The entry of function `name` (sanitized like the key), created if new. */
static struct func_ent *
fn_get(struct pw_stackagg *a, const char *name)
{
	uint64_t h;
	size_t j, i, n;
	char *s;

	if (name == NULL || *name == '\0')
		name = UNKNOWN_FRAME;
	n = strlen(name);
	if ((a->nfn + 1) * 2 > a->capfn && fn_grow(a) < 0)
		return NULL;
	h = fnv1a(name, n);
	for (j = h & (a->capfn - 1); a->fn[j].name != NULL;
	    j = (j + 1) & (a->capfn - 1))
		if (a->fn[j].hash == h && strcmp(a->fn[j].name, name) == 0)
			return &a->fn[j];
	if ((s = strdup(name)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (s[i] == ';' || s[i] == '\n' || s[i] == '\r')
			s[i] = '_';
	a->fn[j].name = s;
	a->fn[j].hash = h;
	a->nfn++;
	return &a->fn[j];
}

static struct thr_ent *
thr_get(struct pw_stackagg *a, pid_t tid, const char *name)
{
	struct thr_ent *nv;
	size_t lo = 0, hi = a->nthr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a->thr[mid].tid == tid)
			return &a->thr[mid];
		if (a->thr[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (a->nthr == a->capthr) {
		if ((nv = realloc(a->thr, (a->capthr ? a->capthr * 2 : 8) *
		    sizeof(*nv))) == NULL)
			return NULL;
		a->thr = nv;
		a->capthr = a->capthr ? a->capthr * 2 : 8;
	}
	memmove(&a->thr[lo + 1], &a->thr[lo], (a->nthr - lo) *
	    sizeof(*a->thr));
	a->nthr++;
	memset(&a->thr[lo], 0, sizeof(*a->thr));
	a->thr[lo].tid = tid;
	snprintf(a->thr[lo].name, sizeof(a->thr[lo].name), "%s",
	    name != NULL ? name : "");
	return &a->thr[lo];
}

int
pw_stackagg_add(struct pw_stackagg *a, pid_t tid, const char *thread,
    const char *const *frames, size_t n)
{
	struct func_ent *f;
	struct thr_ent *t;
	size_t len = 0, i, j;
	uint64_t h;
	int rc;

	if (n > PW_PROFILE_MAX_FRAMES)
		n = PW_PROFILE_MAX_FRAMES;	/* keep the leaf end */
	if ((rc = key_put(a, &len, thread, false)) < 0)
		return rc;
	for (i = n; i-- > 0; )
		if ((rc = key_put(a, &len, frames[i], true)) < 0)
			return rc;
	h = fnv1a(a->key, len);
	for (j = h & (a->capst - 1); a->st[j].key != NULL;
	    j = (j + 1) & (a->capst - 1))
		if (a->st[j].hash == h && strcmp(a->st[j].key, a->key) == 0)
			break;
	if (a->st[j].key == NULL) {
		if (a->nst >= a->max_stacks)
			return -ENOSPC;
		if ((a->nst + 1) * 2 > a->capst) {
			if (st_grow(a) < 0)
				return -ENOMEM;
			for (j = h & (a->capst - 1); a->st[j].key != NULL;
			    j = (j + 1) & (a->capst - 1))
				;
		}
		if ((a->st[j].key = strdup(a->key)) == NULL)
			return -ENOMEM;
		a->st[j].hash = h;
		a->nst++;
	}
	if ((t = thr_get(a, tid, thread)) == NULL)
		return -ENOMEM;
	a->st[j].count++;
	t->samples++;
	a->seq++;
	for (i = 0; i < n; i++) {
		if ((f = fn_get(a, frames[i])) == NULL)
			return -ENOMEM;
		if (i == 0)
			f->self++;
		if (f->stamp != a->seq) {	/* recursion counts once */
			f->stamp = a->seq;
			f->total++;
		}
	}
	return 0;
}

static int
func_cmp(const void *x, const void *y)
{
	const struct pw_prof_func *a = x, *b = y;

	if (a->self != b->self)
		return a->self > b->self ? -1 : 1;
	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int
thread_cmp(const void *x, const void *y)
{
	const struct pw_prof_thread *a = x, *b = y;

	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	return (a->tid > b->tid) - (a->tid < b->tid);
}

static int
stack_cmp(const void *x, const void *y)
{
	const struct stack_ent *const *a = x, *const *b = y;

	return strcmp((*a)->key, (*b)->key);
}

int
pw_stackagg_finish(struct pw_stackagg *a, struct pw_profile *p)
{
	struct pw_prof_func *funcs = NULL;
	struct pw_prof_thread *threads = NULL;
	const struct stack_ent **order = NULL;
	char *folded = NULL, *w;
	size_t i, k, total = 1;
	int n;

	funcs = calloc(a->nfn ? a->nfn : 1, sizeof(*funcs));
	threads = calloc(a->nthr ? a->nthr : 1, sizeof(*threads));
	order = calloc(a->nst ? a->nst : 1, sizeof(*order));
	if (funcs == NULL || threads == NULL || order == NULL)
		goto out_oom;
	for (i = k = 0; i < a->capst; i++) {
		if (a->st[i].key == NULL)
			continue;
		order[k++] = &a->st[i];
		total += strlen(a->st[i].key) + 22;
	}
	qsort(order, k, sizeof(*order), stack_cmp);
	if ((folded = malloc(total)) == NULL)
		goto out_oom;
	w = folded;
	*w = '\0';
	for (i = 0; i < k; i++) {
		n = snprintf(w, total - (size_t)(w - folded), "%s %" PRIu64
		    "\n", order[i]->key, order[i]->count);
		w += n;
	}
	/* From here on nothing fails: move the names over. */
	for (i = k = 0; i < a->capfn; i++) {
		if (a->fn[i].name == NULL)
			continue;
		funcs[k].name = a->fn[i].name;
		funcs[k].self = a->fn[i].self;
		funcs[k++].total = a->fn[i].total;
		a->fn[i].name = NULL;
	}
	qsort(funcs, k, sizeof(*funcs), func_cmp);
	for (i = 0; i < a->nthr; i++) {
		threads[i].tid = a->thr[i].tid;
		memcpy(threads[i].name, a->thr[i].name, sizeof(threads[i].name));
		threads[i].samples = a->thr[i].samples;
	}
	qsort(threads, a->nthr, sizeof(*threads), thread_cmp);
	p->funcs = funcs;
	p->nfuncs = k;
	p->threads = threads;
	p->nthreads = a->nthr;
	p->folded = folded;
	p->folded_len = (size_t)(w - folded);
	free(order);
	agg_clear(a);
	return 0;
out_oom:
	free(folded);
	free(order);
	free(threads);
	free(funcs);
	return -ENOMEM;
}

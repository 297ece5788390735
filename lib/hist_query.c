/*
 * hist_query.c: reading the history back (lib/history.h): a series, the
 * moment at a time, events, firing alerts, and the cursor.
 *
 * DESIGN: a reader takes referenced copies of the segments it needs
 * under the history's mutex, then reads them with pread() on descriptors
 * of its own: the writer never waits for it, and a segment the budget
 * deletes meanwhile stays readable until the reader lets go.  It starts
 * at the key record at or before `since` (from the segment's index) and
 * decodes forward, so one process's hour costs one hour of records plus
 * at most key_every cycles.  A record that fails its crc or does not
 * decode is skipped with everything up to the next key record, and
 * counted.  File blocks of sealed segments go through a bounded cache
 * (cache_bytes, 8 MiB by default, in 256 KiB blocks, least recently used
 * out first), shared by all readers under a leaf mutex.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include <procwatch/metric.h>

#include "hist_impl.h"

#define BLK		(256u << 10)

/* a + b, held within int64_t: callers pass INT64_MIN and INT64_MAX. */
static int64_t
sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

/* --- the block cache ---------------------------------------------------- */

struct cblk {
	uint64_t	 seq, blk;	/* key */
	size_t		 len;
	uint64_t	 used;		/* LRU stamp */
	uint8_t		*p;
};

struct hist_cache {
	pthread_mutex_t	 mu;
	struct cblk	*b;
	size_t		 n, max;
	uint64_t	 clock;
};

struct hist_cache *
pw__hist_cache_new(size_t cap)
{
	struct hist_cache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->max = cap / BLK;
	if (c->max > 0 && (c->b = calloc(c->max, sizeof(*c->b))) == NULL) {
		free(c);
		return NULL;
	}
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c->b);
		free(c);
		return NULL;
	}
	return c;
}

void
pw__hist_cache_free(struct hist_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		free(c->b[i].p);
	free(c->b);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

void
pw__hist_cache_stats(struct hist_cache *c, size_t *bytes, size_t *cap)
{
	size_t i, t = 0;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->n; i++)
		t += c->b[i].len;
	pthread_mutex_unlock(&c->mu);
	*bytes = t;
	*cap = c->max * BLK;
}

/*
 * Copy block `blk` of sealed segment s into p from the cache, or read it
 * and keep it.  Returns its length or -errno.
 */
static ssize_t
cache_read(struct hist_cache *c, const struct hist_seg *s, bool sealed,
    int fd, uint64_t blk, uint8_t *p)
{
	size_t i, victim = 0;
	ssize_t r, got = 0;
	uint8_t *copy;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->n; i++)
		if (c->b[i].seq == s->seq && c->b[i].blk == blk) {
			c->b[i].used = ++c->clock;
			memcpy(p, c->b[i].p, c->b[i].len);
			got = (ssize_t)c->b[i].len;
			pthread_mutex_unlock(&c->mu);
			return got;
		}
	pthread_mutex_unlock(&c->mu);
	while ((size_t)got < BLK) {
		r = pread(fd, p + got, BLK - (size_t)got,
		    (off_t)(blk * BLK + (uint64_t)got));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		got += r;
	}
	/* Blocks of the segment being written may still grow. */
	if (c->max == 0 || !sealed || (copy = malloc((size_t)got)) == NULL)
		return got;
	memcpy(copy, p, (size_t)got);
	pthread_mutex_lock(&c->mu);
	if (c->n < c->max)
		victim = c->n++;
	else {
		for (i = 1; i < c->n; i++)
			if (c->b[i].used < c->b[victim].used)
				victim = i;
		free(c->b[victim].p);
	}
	c->b[victim].seq = s->seq;
	c->b[victim].blk = blk;
	c->b[victim].len = (size_t)got;
	c->b[victim].used = ++c->clock;
	c->b[victim].p = copy;
	pthread_mutex_unlock(&c->mu);
	return got;
}

/* --- a reader of one chain ---------------------------------------------- */

struct reader {
	struct pw_history	*h;
	int			 tier;
	struct hist_seg		**segs;
	size_t			 nsegs, si;
	struct hist_seg		*seg;		/* segs[si - 1] */
	int			 fd;
	uint64_t		 off, end;
	bool			 sealed;	/* seg's, when opened */
	uint8_t			*buf;		/* file bytes [boff, boff+blen) */
	size_t			 bcap, blen;
	uint64_t		 boff;
	struct hist_coder	 coder;
	bool			 broken;	/* until the next key record */
	ZSTD_DCtx		*dctx;
	struct hist_buf		 dec;
	int64_t			 interval_ms;
	int64_t			 since_ms;
};

static void
reader_close_seg(struct reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->seg = NULL;
	r->blen = 0;
}

static void
reader_fini(struct reader *r)
{
	reader_close_seg(r);
	if (r->segs != NULL)
		pw__hist_segs_release(r->segs, r->nsegs);
	r->segs = NULL;
	pw__hist_coder_fini(&r->coder);
	ZSTD_freeDCtx(r->dctx);
	free(r->buf);
	free(r->dec.p);
}

static int
reader_init(struct reader *r, struct pw_history *h, int tier, int64_t since_ms,
    int64_t until_ms)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->h = h;
	r->tier = tier;
	r->fd = -1;
	r->since_ms = since_ms;
	if ((r->dctx = ZSTD_createDCtx()) == NULL)
		return -ENOMEM;
	if ((rc = pw__hist_segs_get(h, tier, since_ms, until_ms, &r->segs,
	    &r->nsegs)) < 0) {
		ZSTD_freeDCtx(r->dctx);
		r->dctx = NULL;
		return rc;
	}
	return 0;
}

/* Open the next segment, positioned at the key record before since. */
static int
reader_next_seg(struct reader *r)
{
	struct hist_seg *s;
	size_t lo, hi, mid;

	reader_close_seg(r);
	if (r->si >= r->nsegs)
		return 0;
	s = r->segs[r->si++];
	if ((r->fd = open(s->path, O_RDONLY | O_CLOEXEC)) < 0)
		return reader_next_seg(r);	/* deleted: the next */
	r->seg = s;
	pthread_mutex_lock(&r->h->mu);
	r->end = s->size;
	r->sealed = s->sealed;
	r->off = s->hdr_len;
	/* The last key at or before since. */
	lo = 0;
	hi = s->nkeys;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (s->keys[mid].ts_ms <= r->since_ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0)
		r->off = s->keys[lo - 1].off;
	pthread_mutex_unlock(&r->h->mu);
	r->broken = true;		/* a key record comes first */
	return 1;
}

/* The next key record's offset after off in the current segment, or 0. */
static uint64_t
next_key_after(struct reader *r, uint64_t off)
{
	uint64_t k = 0;
	size_t i;

	pthread_mutex_lock(&r->h->mu);
	for (i = 0; i < r->seg->nkeys; i++)
		if (r->seg->keys[i].off > off) {
			k = r->seg->keys[i].off;
			break;
		}
	pthread_mutex_unlock(&r->h->mu);
	return k;
}

/* Make file bytes [off, off + len) available in r->buf; 0 or -errno. */
static int
reader_fill(struct reader *r, uint64_t off, size_t len)
{
	uint64_t blk, first, last;
	uint8_t *nb;
	size_t need;
	ssize_t got;

	if (off >= r->boff && off + len <= r->boff + r->blen)
		return 0;
	first = off / BLK;
	last = (off + len + BLK - 1) / BLK;
	need = (size_t)(last - first) * BLK;
	if (need > r->bcap) {
		if ((nb = realloc(r->buf, need)) == NULL)
			return -ENOMEM;
		r->buf = nb;
		r->bcap = need;
	}
	r->boff = first * BLK;
	r->blen = 0;
	for (blk = first; blk < last; blk++) {
		got = cache_read(r->h->cache, r->seg, r->sealed, r->fd, blk,
		    r->buf + r->blen);
		if (got < 0)
			return (int)got;
		r->blen += (size_t)got;
		if ((size_t)got < BLK)
			break;
	}
	return 0;
}

/*
 * The next record: 1 with *rec and the coder holding its series (events
 * added to `events`, may be NULL), 0 at the end, or -ENOMEM.
 */
static int
reader_next(struct reader *r, struct hist_rec *rec,
    struct pw_hist_cycle *events)
{
	unsigned long long dlen;
	const uint8_t *p;
	uint64_t k;
	int rc;

	for (;;) {
		if (r->seg == NULL || r->off + HIST_REC_HDR > r->end) {
			if ((rc = reader_next_seg(r)) <= 0)
				return rc;
			continue;
		}
		if ((rc = reader_fill(r, r->off, HIST_REC_HDR)) < 0)
			return rc;
		p = r->buf + (r->off - r->boff);
		rc = 0;
		if (r->off + HIST_REC_HDR <= r->boff + r->blen) {
			uint32_t clen;

			memcpy(&clen, p + 8, 4);
			if (clen <= HIST_MAX_ULEN &&
			    r->off + HIST_REC_HDR + clen <= r->end) {
				if ((rc = reader_fill(r, r->off,
				    HIST_REC_HDR + clen)) < 0)
					return rc;
				p = r->buf + (r->off - r->boff);
				rc = pw__hist_rec_check(p, r->boff + r->blen -
				    r->off, rec);
			} else
				rc = -EINVAL;
		}
		if (rc != 1)
			goto bad;
		r->off += HIST_REC_HDR + rec->clen;
		if (r->broken && !(rec->flags & HIST_REC_KEY))
			continue;
		dlen = ZSTD_getFrameContentSize(p + HIST_REC_HDR, rec->clen);
		if (dlen != rec->ulen) {
			r->off -= HIST_REC_HDR + rec->clen;
			goto bad;
		}
		r->dec.len = 0;
		if (pw__hist_buf_reserve(&r->dec, rec->ulen + 1) < 0)
			return -ENOMEM;
		if (ZSTD_isError(ZSTD_decompressDCtx(r->dctx, r->dec.p,
		    rec->ulen + 1, p + HIST_REC_HDR, rec->clen))) {
			r->off -= HIST_REC_HDR + rec->clen;
			goto bad;
		}
		rc = pw__hist_decode(&r->coder, r->dec.p, rec->ulen,
		    rec->flags & HIST_REC_KEY, rec->ts_ms, events,
		    &r->interval_ms);
		if (rc == -ENOMEM)
			return rc;
		if (rc < 0) {
			r->off -= HIST_REC_HDR + rec->clen;
			goto bad;
		}
		r->broken = false;
		return 1;
bad:
		atomic_fetch_add(&r->h->corrupt_reads, 1);
		r->broken = true;
		k = next_key_after(r, r->off);
		if (k == 0)
			reader_close_seg(r);	/* the rest is lost */
		else
			r->off = k;
	}
}

/*
 * The time of the record reader_next() would return next, without
 * reading it: 1 and *ts, 0 at the end, or -errno.  A record it cannot
 * make out gives 1 with INT64_MIN (reader_next() then skips it).
 */
static int
reader_peek_ts(struct reader *r, int64_t *ts)
{
	int rc;

	while (r->seg == NULL || r->off + HIST_REC_HDR > r->end)
		if ((rc = reader_next_seg(r)) <= 0)
			return rc;
	if ((rc = reader_fill(r, r->off, HIST_REC_HDR)) < 0)
		return rc;
	if (r->off + HIST_REC_HDR > r->boff + r->blen) {
		*ts = INT64_MIN;
		return 1;
	}
	memcpy(ts, r->buf + (r->off - r->boff) + 16, 8);
	return 1;
}

/* Column c of a slot (segment columns) as our row, or -1. */
static int
col_row(const struct hist_seg *seg, const struct hist_slot *s, uint32_t c,
    uint32_t nst)
{
	uint32_t row = c / nst;

	if (s->id.kind == PW_HIST_CUSTOM)
		return row == 0 ? 0 : -1;
	if (row >= seg->nrows)
		return -1;
	return seg->rowmap[row];
}

static uint32_t
out_rows(const struct hist_slot *s)
{
	return s->id.kind == PW_HIST_CUSTOM ? 1 : PW_METRIC_NROWS;
}

/* --- series ------------------------------------------------------------- */

struct cand {
	struct pw_hist_series	*ser;
	size_t			 cap;
	int64_t			 first_ms, last_ms;
};

static void
ident_free_strings(struct pw_hist_ident *id)
{
	free((char *)id->name);
	free((char *)id->cmdline);
	free((char *)id->target);
}

void
pw_hist_series_free(struct pw_hist_series *s)
{
	if (s == NULL)
		return;
	ident_free_strings(&s->ident);
	free(s->ts_ms);
	free(s->val);
	free(s->min);
	free(s->max);
	free(s->last);
	free(s->count);
	free(s->gaps);
	free(s);
}

static int
cand_grow(struct cand *c, size_t ncols, bool tiered)
{
	struct pw_hist_series *s = c->ser;
	size_t ncap = c->cap ? c->cap * 2 : 256;
	void *p;

#define GROW(f, n)							\
	do {								\
		if ((p = realloc(s->f, ncap * (n) * sizeof(*s->f))) == NULL) \
			return -ENOMEM;					\
		s->f = p;						\
	} while (0)
	GROW(ts_ms, 1);
	GROW(val, ncols);
	if (tiered) {
		GROW(min, ncols);
		GROW(max, ncols);
		GROW(last, ncols);
		GROW(count, ncols);
	}
#undef GROW
	c->cap = ncap;
	return 0;
}

static int
cand_new(struct cand *c, const struct hist_slot *sl, enum pw_hist_res res)
{
	struct pw_hist_series *s;

	memset(c, 0, sizeof(*c));
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -ENOMEM;
	c->ser = s;
	s->ident = sl->id;
	s->ident.name = strdup(sl->id.name);
	s->ident.cmdline = strdup(sl->id.cmdline);
	s->ident.target = strdup(sl->id.target);
	s->res = res;
	s->ncols = out_rows(sl);
	if (s->ident.name == NULL || s->ident.cmdline == NULL ||
	    s->ident.target == NULL)
		return -ENOMEM;
	return 0;
}

/* Add the slot's values at ts as a point (or merge a split bucket). */
static int
cand_add(struct cand *c, const struct reader *r, const struct hist_slot *sl,
    int64_t ts)
{
	struct pw_hist_series *s = c->ser;
	bool tiered = r->tier != PW_HIST_RAW;
	uint32_t nst = tiered ? HIST_NST : 1, k;
	size_t nc = s->ncols, i, base;
	double st[HIST_NST];
	const double *v;
	int row;

	if (tiered && s->n > 0 && s->ts_ms[s->n - 1] == ts) {
		/* A bucket written in two parts (a restart): merge them. */
		base = (s->n - 1) * nc;
		for (k = 0; k < sl->ncols / nst; k++) {
			if ((row = col_row(r->seg, sl, k * nst, nst)) < 0)
				continue;
			pw__hist_rollup_load(sl->id.kind, row,
			    &sl->prev[k * nst], st);
			v = st;
			i = base + (size_t)row;
			if (v[HIST_ST_COUNT] <= 0)
				continue;
			if (s->count[i] == 0) {
				s->val[i] = v[HIST_ST_MEAN];
				s->min[i] = v[HIST_ST_MIN];
				s->max[i] = v[HIST_ST_MAX];
			} else {
				bool inc = sl->id.kind != PW_HIST_CUSTOM &&
				    pw_metric_def((enum pw_metric)row)->rollup ==
				    PW_ROLLUP_INCREASE;

				s->val[i] = inc ? s->val[i] + v[HIST_ST_MEAN] :
				    (s->val[i] * s->count[i] + v[HIST_ST_MEAN] *
				    v[HIST_ST_COUNT]) / (s->count[i] +
				    v[HIST_ST_COUNT]);
				if (v[HIST_ST_MIN] < s->min[i])
					s->min[i] = v[HIST_ST_MIN];
				if (v[HIST_ST_MAX] > s->max[i])
					s->max[i] = v[HIST_ST_MAX];
			}
			s->count[i] += (uint32_t)v[HIST_ST_COUNT];
			s->last[i] = v[HIST_ST_LAST];
		}
		return 0;
	}
	if (s->n == c->cap && cand_grow(c, nc, tiered) < 0)
		return -ENOMEM;
	/* A gap: longer than 1.5 intervals since the point before. */
	if (s->n > 0 && ts - s->ts_ms[s->n - 1] > (r->interval_ms > 0 ?
	    r->interval_ms * 3 / 2 : 1)) {
		struct pw_hist_gap *g = realloc(s->gaps, (s->ngaps + 1) *
		    sizeof(*g));

		if (g == NULL)
			return -ENOMEM;
		s->gaps = g;
		g[s->ngaps].from_ms = s->ts_ms[s->n - 1];
		g[s->ngaps].until_ms = ts;
		s->ngaps++;
	}
	base = s->n * nc;
	s->ts_ms[s->n] = ts;
	for (i = 0; i < nc; i++) {
		s->val[base + i] = NAN;
		if (tiered) {
			s->min[base + i] = s->max[base + i] = NAN;
			s->last[base + i] = NAN;
			s->count[base + i] = 0;
		}
	}
	for (k = 0; k < sl->ncols / nst; k++) {
		if ((row = col_row(r->seg, sl, k * nst, nst)) < 0)
			continue;
		i = base + (size_t)row;
		v = &sl->prev[k * nst];
		if (!tiered) {
			s->val[i] = v[0];
			continue;
		}
		pw__hist_rollup_load(sl->id.kind, row, v, st);
		s->val[i] = st[HIST_ST_MEAN];
		s->min[i] = st[HIST_ST_MIN];
		s->max[i] = st[HIST_ST_MAX];
		s->last[i] = st[HIST_ST_LAST];
		s->count[i] = (uint32_t)st[HIST_ST_COUNT];
	}
	s->n++;
	if (c->first_ms == 0)
		c->first_ms = ts;
	c->last_ms = ts;
	return 0;
}

static bool
slot_matches(const struct hist_slot *s, const struct pw_hist_query *q)
{
	if (s->id.kind != q->kind)
		return false;
	if (q->kind == PW_HIST_PROC)
		return s->id.pid == q->pid && (q->start_time_ms == 0 ||
		    s->id.start_time_ms == q->start_time_ms);
	return strcmp(s->id.name, q->name) == 0;
}

static bool
keep_slot(const struct hist_slot *s, void *arg)
{
	return slot_matches(s, arg);
}

/* Keep the newest `limit` points. */
static void
trim(struct pw_hist_series *s, size_t limit)
{
	size_t drop, nc = s->ncols, i, k;

	if (limit == 0 || s->n <= limit)
		return;
	drop = s->n - limit;
	s->truncated = true;
	memmove(s->ts_ms, s->ts_ms + drop, limit * sizeof(*s->ts_ms));
	memmove(s->val, s->val + drop * nc, limit * nc * sizeof(*s->val));
	if (s->min != NULL) {
		memmove(s->min, s->min + drop * nc, limit * nc * sizeof(double));
		memmove(s->max, s->max + drop * nc, limit * nc * sizeof(double));
		memmove(s->last, s->last + drop * nc,
		    limit * nc * sizeof(double));
		memmove(s->count, s->count + drop * nc,
		    limit * nc * sizeof(*s->count));
	}
	s->n = limit;
	for (i = 0, k = 0; i < s->ngaps; i++)
		if (s->gaps[i].until_ms > s->ts_ms[0])
			s->gaps[k++] = s->gaps[i];
	s->ngaps = k;
}

int
pw_history_series(struct pw_history *h, const struct pw_hist_query *q,
    struct pw_hist_series **out)
{
	struct cand *c = NULL, *nc;
	struct hist_rec rec;
	struct reader r;
	const struct hist_slot *sl;
	size_t ncand = 0, i, best;
	uint32_t k, j;
	int rc;

	if (q == NULL || q->res >= PW_HIST_NRES || q->until_ms <= q->since_ms ||
	    (q->kind != PW_HIST_PROC && q->name == NULL) ||
	    q->kind > PW_HIST_CUSTOM)
		return -EINVAL;
	if ((rc = reader_init(&r, h, (int)q->res, q->since_ms,
	    q->until_ms)) < 0)
		return rc;
	r.coder.keep = keep_slot;
	r.coder.keep_arg = (void *)q;
	while ((rc = reader_next(&r, &rec, NULL)) == 1) {
		if (rec.ts_ms >= q->until_ms)
			break;
		if (rec.ts_ms < q->since_ms)
			continue;
		for (k = 0; k < r.coder.npresent; k++) {
			sl = &r.coder.slot[r.coder.present[k]];
			if (sl->skip || !slot_matches(sl, q))
				continue;
			for (i = 0; i < ncand; i++)
				if (c[i].ser->ident.start_time_ms ==
				    sl->id.start_time_ms)
					break;
			if (i == ncand) {
				if ((nc = realloc(c, (ncand + 1) *
				    sizeof(*c))) == NULL) {
					rc = -ENOMEM;
					goto out;
				}
				c = nc;
				if ((rc = cand_new(&c[ncand++], sl, q->res)) < 0)
					goto out;
			}
			if ((rc = cand_add(&c[i], &r, sl, rec.ts_ms)) < 0)
				goto out;
			/* Strings may change (an exec): keep the newest. */
			if (strcmp(c[i].ser->ident.name, sl->id.name) != 0 ||
			    strcmp(c[i].ser->ident.cmdline, sl->id.cmdline)) {
				char *n = strdup(sl->id.name);
				char *cl = strdup(sl->id.cmdline);

				if (n == NULL || cl == NULL) {
					free(n);
					free(cl);
					rc = -ENOMEM;
					goto out;
				}
				free((char *)c[i].ser->ident.name);
				free((char *)c[i].ser->ident.cmdline);
				c[i].ser->ident.name = n;
				c[i].ser->ident.cmdline = cl;
			}
		}
	}
	if (rc < 0)
		goto out;
	if (ncand == 0) {
		rc = -ENOENT;
		goto out;
	}
	/*
	 * Which holder of the pid: the one sampled around at_ms, else the
	 * last one started by then; without at_ms, the newest.
	 */
	best = 0;
	for (i = 1; i < ncand; i++)
		if (c[i].ser->ident.start_time_ms >
		    c[best].ser->ident.start_time_ms)
			best = i;
	if (q->at_ms != 0) {
		size_t by_start = ncand;

		for (i = 0; i < ncand; i++) {
			if (c[i].first_ms <= q->at_ms &&
			    q->at_ms <= c[i].last_ms) {
				by_start = ncand;
				best = i;
				break;
			}
			if (c[i].ser->ident.start_time_ms <= q->at_ms &&
			    (by_start == ncand ||
			    c[i].ser->ident.start_time_ms >
			    c[by_start].ser->ident.start_time_ms))
				by_start = i;
		}
		if (i == ncand && by_start < ncand)
			best = by_start;
	}
	trim(c[best].ser, q->limit);
	*out = c[best].ser;
	c[best].ser = NULL;
	rc = 0;
out:
	for (j = 0; j < ncand; j++)
		pw_hist_series_free(c[j].ser);
	free(c);
	reader_fini(&r);
	return rc;
}

enum pw_hist_res
pw_hist_res_auto(int64_t since_ms, int64_t until_ms, int64_t interval_ms,
    size_t limit)
{
	uint64_t span;

	if (until_ms <= since_ms || limit == 0)
		return PW_HIST_RAW;
	span = (uint64_t)until_ms - (uint64_t)since_ms;	/* no overflow */
	if (interval_ms <= 0)
		interval_ms = 1000;
	if (span / (uint64_t)interval_ms <= limit)
		return PW_HIST_RAW;
	if (span / 60000 <= limit)
		return PW_HIST_1M;
	return PW_HIST_1H;
}

/* --- a moment ----------------------------------------------------------- */

void
pw_hist_at_free(struct pw_hist_at *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		ident_free_strings(&a->e[i].ident);
		free(a->e[i].val);
	}
	free(a->e);
	free(a);
}

static int
cmp_at(const void *x, const void *y)
{
	const struct pw_hist_at_entry *a = x, *b = y;

	if (a->ident.kind != b->ident.kind)
		return a->ident.kind < b->ident.kind ? -1 : 1;
	if (a->ident.kind == PW_HIST_PROC) {
		if (a->ident.pid != b->ident.pid)
			return a->ident.pid < b->ident.pid ? -1 : 1;
		return a->ident.start_time_ms < b->ident.start_time_ms ? -1 :
		    a->ident.start_time_ms > b->ident.start_time_ms;
	}
	return strcmp(a->ident.name, b->ident.name);
}

/* The last record at or before at_ms in a tier, as a set. */
static int
at_tier(struct pw_history *h, int tier, int64_t at_ms, int64_t reach_ms,
    struct pw_hist_at **out)
{
	struct pw_hist_at *a = NULL;
	struct hist_rec rec;
	struct reader r;
	struct hist_seg *kseg = NULL;
	const struct hist_slot *sl;
	int64_t found = INT64_MIN, interval = 0;
	uint32_t nst = tier == PW_HIST_RAW ? 1 : HIST_NST, k, c;
	int rc, row;

	if ((rc = reader_init(&r, h, tier, sat_add(at_ms, -reach_ms),
	    sat_add(at_ms, 1))) < 0)
		return rc;
	r.since_ms = at_ms;
	/* Decode up to the last record at or before at_ms; peek, then read. */
	for (;;) {
		int64_t next;

		if ((rc = reader_peek_ts(&r, &next)) <= 0)
			break;
		if (next > at_ms)
			break;
		if ((rc = reader_next(&r, &rec, NULL)) <= 0)
			break;
		if (rec.ts_ms > at_ms)
			break;		/* a record peek could not read */
		found = rec.ts_ms;
		interval = r.interval_ms;
		kseg = r.seg;
	}
	if (rc < 0)
		goto out;
	if (found != INT64_MIN) {
		if ((a = calloc(1, sizeof(*a))) == NULL ||
		    (a->e = calloc(r.coder.npresent ? r.coder.npresent : 1,
		    sizeof(*a->e))) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		for (k = 0; k < r.coder.npresent; k++) {
			struct pw_hist_at_entry *e = &a->e[a->n];

			sl = &r.coder.slot[r.coder.present[k]];
			e->ident = sl->id;
			e->ident.name = strdup(sl->id.name);
			e->ident.cmdline = strdup(sl->id.cmdline);
			e->ident.target = strdup(sl->id.target);
			e->ts_ms = found;
			e->ncols = out_rows(sl);
			e->val = malloc(e->ncols * sizeof(double));
			a->n++;
			if (e->ident.name == NULL || e->ident.cmdline == NULL ||
			    e->ident.target == NULL || e->val == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			for (c = 0; c < e->ncols; c++)
				e->val[c] = NAN;
			for (c = 0; c < sl->ncols / nst; c++) {
				double st[HIST_NST];

				if ((row = col_row(kseg, sl, c * nst, nst)) < 0)
					continue;
				if (nst == 1) {
					e->val[row] = sl->prev[c];
					continue;
				}
				pw__hist_rollup_load(sl->id.kind, row,
				    &sl->prev[c * nst], st);
				e->val[row] = st[HIST_ST_LAST];
			}
		}
	}
	if (rc < 0)
		goto out;
	/* Nothing then, or the daemon was not running then. */
	if (a == NULL || found == INT64_MIN || at_ms - found >
	    (tier == PW_HIST_RAW ? 2 * (interval > 0 ? interval : 1000) :
	    2 * (interval > 0 ? interval : 60000))) {
		rc = -ENOENT;
		goto out;
	}
	a->at_ms = at_ms;
	a->res = (enum pw_hist_res)tier;
	qsort(a->e, a->n, sizeof(*a->e), cmp_at);
	*out = a;
	a = NULL;
	rc = 0;
out:
	pw_hist_at_free(a);
	reader_fini(&r);
	return rc;
}

int
pw_history_at(struct pw_history *h, int64_t at_ms, struct pw_hist_at **out)
{
	int rc;

	rc = at_tier(h, PW_HIST_RAW, at_ms, 600000, out);
	if (rc == -ENOENT)
		rc = at_tier(h, PW_HIST_1M, at_ms, 3600000, out);
	return rc;
}

/* --- events ------------------------------------------------------------- */

/* Copy events into one allocation: the array, then the strings. */
static int
events_pack(const struct pw_hist_event *v, size_t n,
    struct pw_hist_event **out)
{
	size_t i, bytes = n * sizeof(**out);
	struct pw_hist_event *e;
	char *p;

#define SL(s)	(strlen(s) + 1)
	for (i = 0; i < n; i++)
		bytes += SL(v[i].type) + SL(v[i].name) + SL(v[i].target) +
		    SL(v[i].detail);
	if ((e = malloc(bytes ? bytes : 1)) == NULL)
		return -ENOMEM;
	p = (char *)(e + n);
	for (i = 0; i < n; i++) {
		e[i] = v[i];
#define CP(f)	do { memcpy(p, v[i].f, SL(v[i].f)); e[i].f = p; \
	    p += SL(v[i].f); } while (0)
		CP(type);
		CP(name);
		CP(target);
		CP(detail);
#undef CP
	}
#undef SL
	*out = e;
	return 0;
}

static int
events_collect(struct pw_history *h, int64_t since_ms, int64_t until_ms,
    unsigned kinds, struct pw_hist_cycle *into)
{
	struct pw_hist_cycle *tmp;
	struct hist_rec rec;
	struct reader r;
	size_t i;
	int rc;

	if ((tmp = pw_hist_cycle_new(0, 0)) == NULL)
		return -ENOMEM;
	/* Events are up to an interval older than their record. */
	if ((rc = reader_init(&r, h, HIST_TIER_EV, since_ms,
	    sat_add(until_ms, 3600000))) < 0) {
		pw_hist_cycle_free(tmp);
		return rc;
	}
	while ((rc = reader_next(&r, &rec, tmp)) == 1) {
		for (i = 0; i < tmp->nev; i++) {
			const struct pw_hist_event *e = &tmp->ev[i];

			if (e->ts_ms < since_ms || e->ts_ms >= until_ms ||
			    (kinds != 0 && !(kinds & (1u << e->kind))))
				continue;
			if ((rc = pw_hist_cycle_add_event(into, e)) < 0)
				goto out;
		}
		pw__hist_cycle_reset(tmp, 0, 0);
		if (rec.ts_ms >= sat_add(until_ms, 3600000))
			break;
	}
out:
	reader_fini(&r);
	pw_hist_cycle_free(tmp);
	return rc < 0 ? rc : 0;
}

int
pw_history_events(struct pw_history *h, int64_t since_ms, int64_t until_ms,
    unsigned kinds, struct pw_hist_event **out, size_t *n)
{
	struct pw_hist_cycle *c;
	int rc;

	if ((c = pw_hist_cycle_new(0, 0)) == NULL)
		return -ENOMEM;
	if ((rc = events_collect(h, since_ms, until_ms, kinds, c)) == 0 &&
	    (rc = events_pack(c->ev, c->nev, out)) == 0)
		*n = c->nev;
	pw_hist_cycle_free(c);
	return rc;
}

static bool
same_alert(const struct pw_hist_event *a, const struct pw_hist_event *b)
{
	return a->pid == b->pid && strcmp(a->name, b->name) == 0 &&
	    strcmp(a->target, b->target) == 0;
}

int
pw_history_alerts_at(struct pw_history *h, int64_t at_ms,
    struct pw_hist_event **out, size_t *n)
{
	struct pw_hist_cycle *c;
	struct pw_hist_event *open = NULL;
	size_t i, j, k, nopen = 0;
	int rc;

	if ((c = pw_hist_cycle_new(0, 0)) == NULL)
		return -ENOMEM;
	if ((rc = events_collect(h, INT64_MIN, sat_add(at_ms, 1),
	    1u << PW_HIST_EV_ALERT, c)) < 0)
		goto out;
	if (c->nev > 0 && (open = malloc(c->nev * sizeof(*open))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < c->nev; i++) {
		for (j = 0; j < nopen; j++)
			if (same_alert(&open[j], &c->ev[i]))
				break;
		if (strcmp(c->ev[i].type, "firing") == 0) {
			open[j] = c->ev[i];
			if (j == nopen)
				nopen++;
		} else if (j < nopen && strcmp(c->ev[i].type, "resolved") == 0) {
			for (k = j; k + 1 < nopen; k++)
				open[k] = open[k + 1];
			nopen--;
		}
	}
	if ((rc = events_pack(open, nopen, out)) == 0)
		*n = nopen;
out:
	free(open);
	pw_hist_cycle_free(c);
	return rc;
}

/* --- the cursor --------------------------------------------------------- */

struct pw_hist_cursor {
	struct pw_history	*h;
	struct reader		 r;
	bool			 open;
	uint64_t		 seq;		/* of the segment being read */
	int64_t			 pos;
	uint64_t		 skipped;
	struct pw_hist_cycle	*cy;
};

int
pw_hist_cursor_new(struct pw_history *h, int64_t after_ms,
    struct pw_hist_cursor **out)
{
	struct pw_hist_cursor *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	if ((c->cy = pw_hist_cycle_new(0, 0)) == NULL) {
		free(c);
		return -ENOMEM;
	}
	c->h = h;
	c->pos = after_ms;
	*out = c;
	return 0;
}

void
pw_hist_cursor_free(struct pw_hist_cursor *c)
{
	if (c == NULL)
		return;
	if (c->open)
		reader_fini(&c->r);
	pw_hist_cycle_free(c->cy);
	free(c);
}

int64_t
pw_hist_cursor_pos(const struct pw_hist_cursor *c)
{
	return c->pos;
}

uint64_t
pw_hist_cursor_skipped(const struct pw_hist_cursor *c)
{
	return c->skipped;
}

/* The cycle of the reader's current record, with our rows. */
static int
emit_cycle(struct pw_hist_cursor *cu, int64_t ts)
{
	struct reader *r = &cu->r;
	struct pw_hist_cycle *cy = cu->cy;
	const struct hist_slot *sl;
	double v[PW_METRIC_NROWS];
	uint32_t k, c;
	int row, rc;

	cy->ts_ms = ts;
	cy->interval_ms = r->interval_ms;
	for (k = 0; k < r->coder.npresent; k++) {
		sl = &r->coder.slot[r->coder.present[k]];
		for (c = 0; c < PW_METRIC_NROWS; c++)
			v[c] = NAN;
		for (c = 0; c < sl->ncols; c++)
			if ((row = col_row(r->seg, sl, c, 1)) >= 0)
				v[row] = sl->prev[c];
		if ((rc = pw_hist_cycle_add(cy, &sl->id, v,
		    out_rows(sl))) < 0)
			return rc;
	}
	return 0;
}

int
pw_hist_cursor_next(struct pw_hist_cursor *cu, const struct pw_hist_cycle **out)
{
	struct hist_chain *ch = &cu->h->chain[PW_HIST_RAW];
	struct hist_rec rec;
	bool newer;
	int rc, pass;
	size_t i;

	for (pass = 0; pass < 2; pass++) {
		if (!cu->open) {
			if ((rc = reader_init(&cu->r, cu->h, PW_HIST_RAW,
			    sat_add(cu->pos, 1), INT64_MAX)) < 0)
				return rc;
			cu->r.since_ms = sat_add(cu->pos, 1);
			cu->open = true;
			/* The budget dropped what we had not read yet. */
			pthread_mutex_lock(&cu->h->mu);
			if (cu->r.nsegs > 0 && cu->pos != 0 &&
			    cu->r.segs[0]->first_ms > sat_add(cu->pos, 1) &&
			    cu->r.segs[0]->seq > cu->seq && cu->seq != 0)
				cu->skipped++;
			pthread_mutex_unlock(&cu->h->mu);
		}
		for (;;) {
			pw__hist_cycle_reset(cu->cy, 0, 0);
			if ((rc = reader_next(&cu->r, &rec, cu->cy)) < 0)
				return rc;
			if (rc == 0)
				break;
			if (cu->r.seg != NULL)
				cu->seq = cu->r.seg->seq;
			if (rec.ts_ms <= cu->pos)
				continue;
			if ((rc = emit_cycle(cu, rec.ts_ms)) < 0)
				return rc;
			cu->pos = rec.ts_ms;
			*out = cu->cy;
			return 1;
		}
		/* At the end of what we took: anything newer written since? */
		reader_fini(&cu->r);
		cu->open = false;
		newer = false;
		pthread_mutex_lock(&cu->h->mu);
		for (i = 0; i < ch->n && !newer; i++)
			newer = ch->seg[i]->last_ms > cu->pos;
		pthread_mutex_unlock(&cu->h->mu);
		if (!newer)
			return 0;
	}
	return 0;
}

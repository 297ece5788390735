/*
 * hist_read.c: reading one chain of the history back, record by record,
 * for the queries (hist_series.c, hist_at.c, hist_events.c,
 * hist_cursor.c), and the block cache they share.
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

int64_t
pw__hist_sat_add(int64_t a, int64_t b)
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

static void
reader_close_seg(struct hist_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->seg = NULL;
	r->blen = 0;
}

void
pw__hist_reader_fini(struct hist_reader *r)
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

int
pw__hist_reader_init(struct hist_reader *r, struct pw_history *h, int tier,
    int64_t since_ms, int64_t until_ms)
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
reader_next_seg(struct hist_reader *r)
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
next_key_after(struct hist_reader *r, uint64_t off)
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
reader_fill(struct hist_reader *r, uint64_t off, size_t len)
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

int
pw__hist_reader_next(struct hist_reader *r, struct hist_rec *rec,
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

int
pw__hist_reader_peek_ts(struct hist_reader *r, int64_t *ts)
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

int
pw__hist_col_row(const struct hist_seg *seg, const struct hist_slot *s,
    uint32_t c, uint32_t nst)
{
	uint32_t row = c / nst;

	if (s->id.kind == PW_HIST_CUSTOM)
		return row == 0 ? 0 : -1;
	if (row >= seg->nrows)
		return -1;
	return seg->rowmap[row];
}

uint32_t
pw__hist_out_rows(const struct hist_slot *s)
{
	return s->id.kind == PW_HIST_CUSTOM ? 1 : PW_METRIC_NROWS;
}

void
pw__hist_ident_free_strings(struct pw_hist_ident *id)
{
	free((char *)id->name);
	free((char *)id->cmdline);
	free((char *)id->target);
}


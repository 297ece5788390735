/*
 * hist_segment.c: segment files: their header, framed records and index.
 *
 * DESIGN: a segment is
 *
 *   header:  "PWHIST1\n", u32 length, u32 tier, u64 seq, i64 created_ms,
 *            u32 nrows, nrows x (u8 length, row name), u32 crc32
 *   records: u32 magic "PWR1", u32 flags (1: key), u32 clen, u32 ulen,
 *            i64 ts_ms, u32 crc32 (of the 24 bytes before it and the
 *            payload), u32 0; then clen bytes of zstd-compressed payload
 *            (lib/hist_codec.c).
 *
 * all little-endian (the host's: segments do not travel between
 * machines).  Rows are named so that a reader maps them onto its own
 * catalogue.  Records are only ever appended; a crash leaves at most a
 * torn last record, which its length or crc gives away.  A sealed
 * segment gets an index file (<segment>.idx: its time range, size and
 * key records, crc32-checked) so that opening a history reads a few
 * kilobytes per segment instead of the segments themselves.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include <procwatch/metric.h>

#include "hist_impl.h"

#define SEG_MAGIC	"PWHIST1\n"
#define REC_MAGIC	0x31525750u	/* "PWR1" */
#define IDX_MAGIC	"PWHIDX1\n"
#define HDR_MAX		(64u << 10)

static uint32_t
crc(uint32_t c, const void *p, size_t len)
{
	return (uint32_t)crc32(c, p, (uInt)len);
}

static int
write_all(int fd, const void *p, size_t len)
{
	const char *s = p;
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, s, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

static ssize_t
pread_all(int fd, void *p, size_t len, uint64_t off)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = pread(fd, (char *)p + got, len - got, (off_t)(off + got));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

void
pw__hist_seg_unref(struct hist_seg *s)
{
	if (s == NULL || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	free(s->path);
	free(s->rowmap);
	free(s->keys);
	free(s);
}

ssize_t
pw__hist_seg_header(int fd, int tier, uint64_t seq, int64_t now_ms)
{
	const char *names[PW_METRIC_NROWS];
	size_t m;

	for (m = 0; m < PW_METRIC_NROWS; m++)
		names[m] = pw_metric_name((enum pw_metric)m);
	return pw__hist_seg_header_rows(fd, tier, seq, now_ms, names,
	    PW_METRIC_NROWS);
}

ssize_t
pw__hist_seg_header_rows(int fd, int tier, uint64_t seq, int64_t now_ms,
    const char *const *names, size_t nrows)
{
	struct hist_buf b = { 0 };
	uint32_t u, c;
	uint8_t len;
	size_t m;
	ssize_t rc = -ENOMEM;

	u = 0;
	if (pw__hist_put(&b, SEG_MAGIC, 8) < 0 || pw__hist_put(&b, &u, 4) < 0)
		goto out;
	u = (uint32_t)tier;
	if (pw__hist_put(&b, &u, 4) < 0 || pw__hist_put(&b, &seq, 8) < 0 ||
	    pw__hist_put(&b, &now_ms, 8) < 0)
		goto out;
	u = (uint32_t)nrows;
	if (pw__hist_put(&b, &u, 4) < 0)
		goto out;
	for (m = 0; m < nrows; m++) {
		len = (uint8_t)strlen(names[m]);
		if (pw__hist_put(&b, &len, 1) < 0 ||
		    pw__hist_put(&b, names[m], len) < 0)
			goto out;
	}
	u = (uint32_t)b.len + 4;
	memcpy(b.p + 8, &u, 4);
	c = crc(0, b.p, b.len);
	if (pw__hist_put(&b, &c, 4) < 0)
		goto out;
	if ((rc = write_all(fd, b.p, b.len)) == 0)
		rc = (ssize_t)b.len;
out:
	free(b.p);
	return rc;
}

int
pw__hist_seg_read_header(int fd, struct hist_seg *s)
{
	uint8_t fixed[36], *b = NULL;
	uint32_t len, c, nrows, i, m;
	char name[256];
	size_t at;
	ssize_t r;
	int *map = NULL, rc = -EINVAL;

	if ((r = pread_all(fd, fixed, sizeof(fixed), 0)) < 0)
		return (int)r;
	if ((size_t)r < sizeof(fixed) || memcmp(fixed, SEG_MAGIC, 8) != 0)
		return -EINVAL;
	memcpy(&len, fixed + 8, 4);
	if (len < sizeof(fixed) + 4 || len > HDR_MAX)
		return -EINVAL;
	if ((b = malloc(len)) == NULL)
		return -ENOMEM;
	if ((r = pread_all(fd, b, len, 0)) < 0 || (size_t)r < len) {
		rc = r < 0 ? (int)r : -EINVAL;
		goto out;
	}
	memcpy(&c, b + len - 4, 4);
	if (crc(0, b, len - 4) != c)
		goto out;
	memcpy(&s->tier, b + 12, 4);
	memcpy(&s->seq, b + 16, 8);
	memcpy(&nrows, b + 32, 4);
	if (s->tier < 0 || s->tier >= HIST_NTIERS || nrows > HIST_MAX_COLS)
		goto out;
	if ((map = malloc((nrows ? nrows : 1) * sizeof(*map))) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0, at = 36; i < nrows; i++) {
		if (at + 1 > len - 4 || at + 1 + b[at] > len - 4)
			goto out;
		memcpy(name, b + at + 1, b[at]);
		name[b[at]] = '\0';
		at += 1 + (size_t)b[at];
		map[i] = -1;
		for (m = 0; m < PW_METRIC_NROWS; m++)
			if (strcmp(name, pw_metric_name((enum pw_metric)m)) == 0)
				map[i] = (int)m;
	}
	if (at != len - 4)
		goto out;
	free(s->rowmap);
	s->rowmap = map;
	map = NULL;
	s->nrows = nrows;
	s->hdr_len = len;
	rc = 0;
out:
	free(map);
	free(b);
	return rc;
}

int
pw__hist_frame(struct hist_buf *out, uint32_t flags, int64_t ts_ms,
    const void *payload, size_t clen, size_t ulen)
{
	uint8_t h[HIST_REC_HDR];
	uint32_t u, c;

	if (clen > HIST_MAX_ULEN || ulen > HIST_MAX_ULEN)
		return -E2BIG;
	u = REC_MAGIC;
	memcpy(h, &u, 4);
	memcpy(h + 4, &flags, 4);
	u = (uint32_t)clen;
	memcpy(h + 8, &u, 4);
	u = (uint32_t)ulen;
	memcpy(h + 12, &u, 4);
	memcpy(h + 16, &ts_ms, 8);
	c = crc(crc(0, h, 24), payload, clen);
	memcpy(h + 24, &c, 4);
	memset(h + 28, 0, 4);
	if (pw__hist_put(out, h, sizeof(h)) < 0 ||
	    pw__hist_put(out, payload, clen) < 0)
		return -ENOMEM;
	return 0;
}

int
pw__hist_rec_check(const uint8_t *buf, size_t len, struct hist_rec *rec)
{
	uint32_t u, c;
	struct hist_rec r;

	if (len < HIST_REC_HDR)
		return 0;
	memcpy(&u, buf, 4);
	if (u != REC_MAGIC)
		return -EINVAL;
	memcpy(&r.flags, buf + 4, 4);
	memcpy(&r.clen, buf + 8, 4);
	memcpy(&r.ulen, buf + 12, 4);
	memcpy(&r.ts_ms, buf + 16, 8);
	memcpy(&c, buf + 24, 4);
	if (r.clen > HIST_MAX_ULEN || r.ulen > HIST_MAX_ULEN ||
	    (r.flags & ~HIST_REC_KEY) != 0)
		return -EINVAL;
	if (len - HIST_REC_HDR < r.clen)
		return 0;
	if (crc(crc(0, buf, 24), buf + HIST_REC_HDR, r.clen) != c)
		return -EINVAL;
	*rec = r;
	return 1;
}

static int
add_key(struct hist_seg *s, int64_t ts_ms, uint64_t off)
{
	struct hist_key *nk;
	size_t ncap;

	if (s->nkeys == s->kcap) {
		ncap = s->kcap ? s->kcap * 2 : 64;
		if ((nk = realloc(s->keys, ncap * sizeof(*nk))) == NULL)
			return -ENOMEM;
		s->keys = nk;
		s->kcap = ncap;
	}
	s->keys[s->nkeys].ts_ms = ts_ms;
	s->keys[s->nkeys].off = off;
	s->nkeys++;
	return 0;
}

int
pw__hist_seg_note(struct hist_seg *s, const struct hist_rec *r, uint64_t off)
{
	if (s->first_ms == 0 || r->ts_ms < s->first_ms)
		s->first_ms = r->ts_ms;
	if (r->ts_ms > s->last_ms)
		s->last_ms = r->ts_ms;
	if (r->flags & HIST_REC_KEY)
		return add_key(s, r->ts_ms, off);
	return 0;
}

int64_t
pw__hist_seg_scan(int fd, struct hist_seg *s, uint64_t end, uint64_t *corrupt)
{
	size_t cap = 1u << 20, len = 0, at = 0;
	uint64_t base = s->hdr_len, valid = s->hdr_len;
	struct hist_rec rec;
	uint8_t *buf, *nb;
	bool resync = false;
	ssize_t r;
	int k;
	int64_t rc;

	if ((buf = malloc(cap)) == NULL)
		return -ENOMEM;
	s->nkeys = 0;
	for (;;) {
		if (at > 0) {		/* keep the unparsed rest */
			memmove(buf, buf + at, len - at);
			base += at;
			len -= at;
			at = 0;
		}
		if (base + len >= end && len < HIST_REC_HDR)
			break;
		if (len == cap) {	/* a record longer than the buffer */
			if (cap >= HIST_MAX_ULEN + HIST_REC_HDR ||
			    (nb = realloc(buf, cap * 2)) == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		if (base + len < end) {
			r = pread_all(fd, buf + len, cap - len < end - base - len ?
			    cap - len : end - base - len, base + len);
			if (r < 0) {
				rc = r;
				goto out;
			}
			len += (size_t)r;
			if (r == 0)
				end = base + len;
		}
		while (at < len) {
			k = pw__hist_rec_check(buf + at, len - at, &rec);
			if (k == 0 && base + len < end)
				break;		/* read more */
			if (k == 1) {
				if (resync && corrupt != NULL)
					(*corrupt)++;
				resync = false;
				if (pw__hist_seg_note(s, &rec, base + at) < 0) {
					rc = -ENOMEM;
					goto out;
				}
				at += HIST_REC_HDR + rec.clen;
				valid = base + at;
				continue;
			}
			if (k == 0)
				goto done;	/* torn at the end */
			/* Bad: look for the next record's magic. */
			resync = true;
			at++;
		}
	}
done:
	rc = (int64_t)valid;
out:
	free(buf);
	return rc;
}

/*
 * The index file: magic, u64 size, i64 first_ms, i64 last_ms, u64 nkeys,
 * nkeys x (i64 ts, u64 off), u32 crc32.
 */
static char *
idx_path(const struct hist_seg *s)
{
	size_t len = strlen(s->path) + 5;
	char *p;

	if ((p = malloc(len)) != NULL)
		snprintf(p, len, "%s.idx", s->path);
	return p;
}

int
pw__hist_idx_write(const struct hist_seg *s)
{
	struct hist_buf b = { 0 };
	char *path, *tmp = NULL;
	uint64_t n = s->nkeys;
	uint32_t c;
	size_t len;
	int fd, rc = -ENOMEM;

	if ((path = idx_path(s)) == NULL)
		return -ENOMEM;
	len = strlen(path) + 5;
	if ((tmp = malloc(len)) == NULL)
		goto out;
	snprintf(tmp, len, "%s.tmp", path);
	if (pw__hist_put(&b, IDX_MAGIC, 8) < 0 ||
	    pw__hist_put(&b, &s->size, 8) < 0 ||
	    pw__hist_put(&b, &s->first_ms, 8) < 0 ||
	    pw__hist_put(&b, &s->last_ms, 8) < 0 ||
	    pw__hist_put(&b, &n, 8) < 0 ||
	    pw__hist_put(&b, s->keys, s->nkeys * sizeof(*s->keys)) < 0)
		goto out;
	c = crc(0, b.p, b.len);
	if (pw__hist_put(&b, &c, 4) < 0)
		goto out;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0640)) < 0) {
		rc = -errno;
		goto out;
	}
	rc = write_all(fd, b.p, b.len);
	if (rc == 0 && fdatasync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
out:
	free(b.p);
	free(tmp);
	free(path);
	return rc;
}

int
pw__hist_idx_read(struct hist_seg *s)
{
	uint8_t *b = NULL;
	uint64_t size, n;
	uint32_t c;
	char *path;
	ssize_t r;
	off_t len;
	int fd, rc = -EINVAL;

	if ((path = idx_path(s)) == NULL)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd < 0)
		return -errno;
	if ((len = lseek(fd, 0, SEEK_END)) < 44 || len > (64 << 20))
		goto out;
	if ((b = malloc((size_t)len)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((r = pread_all(fd, b, (size_t)len, 0)) != len)
		goto out;
	memcpy(&c, b + len - 4, 4);
	if (memcmp(b, IDX_MAGIC, 8) != 0 || crc(0, b, (size_t)len - 4) != c)
		goto out;
	memcpy(&size, b + 8, 8);
	memcpy(&n, b + 32, 8);
	if (n != ((uint64_t)len - 44) / sizeof(struct hist_key) ||
	    (uint64_t)len != 44 + n * sizeof(struct hist_key))
		goto out;
	free(s->keys);
	s->keys = NULL;
	s->nkeys = s->kcap = 0;
	if (n > 0) {
		if ((s->keys = malloc(n * sizeof(*s->keys))) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		memcpy(s->keys, b + 40, n * sizeof(*s->keys));
	}
	s->nkeys = s->kcap = n;
	s->size = size;
	memcpy(&s->first_ms, b + 16, 8);
	memcpy(&s->last_ms, b + 24, 8);
	rc = 0;
out:
	free(b);
	close(fd);
	return rc;
}

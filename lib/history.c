/*
 * history.c: the history's directory, lock, writer thread and budget
 * (lib/history.h).
 *
 * DESIGN: four chains of segment files, one per tier (raw, 1m, 1h) and
 * one of events, each file named <tier>-<seq>.pws with one sequence over
 * all.  Only the writer thread appends, always to the newest segment of
 * a chain, which it starts afresh after each open (so a segment is
 * written by one build, with one row list, and a torn tail is only ever
 * at the end of what the last run wrote).  The mutex `mu` guards the
 * chains' segment lists, each segment's size, range and keys, and the
 * stats; it is held for list updates and copies, never across I/O.  The
 * queue has its own mutex: the producer takes only that one.
 *
 * Failure: a record that cannot be written whole is cut back off
 * (ftruncate to the last whole record), counted, and the chain's next
 * record is a key record, since the reader never saw the state the
 * failed one set up.  The next cycle simply tries again: writing resumes
 * by itself when space comes back.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "hist_impl.h"
#include "pwutil.h"

static const char *const tier_name[HIST_NTIERS] = { "raw", "1m", "1h", "ev" };

void
pw_hist_opts_init(struct pw_hist_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_bytes = 1ull << 30;
	o->minute_keep_ms = 30ll * 86400 * 1000;
	o->hour_keep_ms = 400ll * 86400 * 1000;
	o->fsync_ms = 10000;
	o->segment_bytes = 16u << 20;
	o->queue_cycles = 32;
	o->cache_bytes = 8u << 20;
	o->key_every = 256;
}

int64_t
pw__hist_now(const struct pw_history *h)
{
	return h->o.clock != NULL ? h->o.clock(h->o.clock_arg) : pw_wall_ms();
}

void
pw__hist_log(const struct pw_history *h, int level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (h->o.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	h->o.log(h->o.log_arg, level, msg);
}

/* --- segment lists ------------------------------------------------------ */

static int
chain_add(struct hist_chain *ch, struct hist_seg *s)
{
	struct hist_seg **ns;
	size_t ncap, i;

	if (ch->n == ch->cap) {
		ncap = ch->cap ? ch->cap * 2 : 16;
		if ((ns = realloc(ch->seg, ncap * sizeof(*ns))) == NULL)
			return -ENOMEM;
		ch->seg = ns;
		ch->cap = ncap;
	}
	/* Kept in sequence order, oldest first. */
	for (i = ch->n; i > 0 && ch->seg[i - 1]->seq > s->seq; i--)
		ch->seg[i] = ch->seg[i - 1];
	ch->seg[i] = s;
	ch->n++;
	return 0;
}

static char *
seg_path(const char *dir, int tier, uint64_t seq)
{
	size_t len = strlen(dir) + 32;
	char *p;

	if ((p = malloc(len)) != NULL)
		snprintf(p, len, "%s/%s-%016" PRIx64 ".pws", dir,
		    tier_name[tier], seq);
	return p;
}

static struct hist_seg *
seg_new(int tier, uint64_t seq, char *path)
{
	struct hist_seg *s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->tier = tier;
	s->seq = seq;
	s->path = path;
	atomic_init(&s->refs, 1);
	return s;
}

int
pw__hist_segs_get(struct pw_history *h, int tier, int64_t since_ms,
    int64_t until_ms, struct hist_seg ***out, size_t *n)
{
	struct hist_chain *ch = &h->chain[tier];
	struct hist_seg **v;
	size_t i, k = 0;

	pthread_mutex_lock(&h->mu);
	if ((v = malloc((ch->n ? ch->n : 1) * sizeof(*v))) == NULL) {
		pthread_mutex_unlock(&h->mu);
		return -ENOMEM;
	}
	for (i = 0; i < ch->n; i++) {
		if (ch->seg[i]->first_ms == 0 ||
		    ch->seg[i]->first_ms >= until_ms)
			continue;
		/* A segment's last record may reach to the next's first. */
		if (i + 1 < ch->n && ch->seg[i + 1]->first_ms != 0 &&
		    ch->seg[i + 1]->first_ms <= since_ms &&
		    ch->seg[i]->last_ms < since_ms)
			continue;
		atomic_fetch_add(&ch->seg[i]->refs, 1);
		v[k++] = ch->seg[i];
	}
	pthread_mutex_unlock(&h->mu);
	*out = v;
	*n = k;
	return 0;
}

void
pw__hist_segs_release(struct hist_seg **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		pw__hist_seg_unref(v[i]);
	free(v);
}

static void	enforce(struct pw_history *, int64_t now_ms);

/* --- open --------------------------------------------------------------- */

static int
take_lock(struct pw_history *h, pid_t *holder)
{
	char path[4096], buf[32];
	ssize_t r;
	int fd, len;

	snprintf(path, sizeof(path), "%s/LOCK", h->dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno == EWOULDBLOCK ? -EBUSY : -errno;

		if (holder != NULL) {
			*holder = 0;
			if ((r = pread(fd, buf, sizeof(buf) - 1, 0)) > 0) {
				buf[r] = '\0';
				*holder = (pid_t)atoi(buf);
			}
		}
		close(fd);
		return e;
	}
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
		int e = errno ? -errno : -EIO;

		close(fd);
		return e;
	}
	h->lockfd = fd;
	return 0;
}

/* Parse "<tier>-<16 hex>.pws". */
static bool
parse_name(const char *name, int *tier, uint64_t *seq)
{
	const char *dash = strchr(name, '-');
	char *end;
	int t;

	if (dash == NULL)
		return false;
	for (t = 0; t < HIST_NTIERS; t++)
		if ((size_t)(dash - name) == strlen(tier_name[t]) &&
		    strncmp(name, tier_name[t], (size_t)(dash - name)) == 0)
			break;
	if (t == HIST_NTIERS || strlen(dash + 1) != 20)
		return false;
	*seq = strtoull(dash + 1, &end, 16);
	if (end != dash + 17 || strcmp(end, ".pws") != 0)
		return false;
	*tier = t;
	return true;
}

/*
 * Load one segment: its header, then its index file, or a scan (which
 * also cuts a torn tail when `newest`).
 */
static int
load_seg(struct pw_history *h, struct hist_seg *s, bool newest)
{
	uint64_t corrupt = 0;
	struct stat sb;
	int64_t valid;
	int fd, rc;

	if ((fd = open(s->path, (newest ? O_RDWR : O_RDONLY) | O_CLOEXEC)) < 0)
		return -errno;
	if ((rc = pw__hist_seg_read_header(fd, s)) < 0)
		goto out;
	if (fstat(fd, &sb) < 0) {
		rc = -errno;
		goto out;
	}
	if (!newest && pw__hist_idx_read(s) == 0 &&
	    s->size == (uint64_t)sb.st_size) {
		rc = 0;
		goto out;
	}
	if ((valid = pw__hist_seg_scan(fd, s, (uint64_t)sb.st_size,
	    &corrupt)) < 0) {
		rc = (int)valid;
		goto out;
	}
	if (corrupt > 0) {
		h->st.corrupt_skipped += corrupt;
		pw__hist_log(h, PW_HIST_LOG_WARN, "history %s: %" PRIu64
		    " corrupt record(s) skipped", s->path, corrupt);
	}
	if ((uint64_t)valid < (uint64_t)sb.st_size) {
		h->st.torn_cut_bytes += (uint64_t)sb.st_size - (uint64_t)valid;
		pw__hist_log(h, PW_HIST_LOG_WARN, "history %s: torn or corrupt "
		    "tail of %" PRIu64 " bytes cut off at %" PRId64, s->path,
		    (uint64_t)sb.st_size - (uint64_t)valid, valid);
		if (newest && ftruncate(fd, valid) < 0)
			(void)0;	/* read-only: ignored past `valid` */
	}
	s->size = (uint64_t)valid;
	/* Sealed from now on (the writer starts a new one): index it. */
	if (pw__hist_idx_write(s) < 0)
		(void)0;		/* scanned again next time */
	rc = 0;
out:
	close(fd);
	return rc;
}

static int
load_dir(struct pw_history *h)
{
	struct hist_seg *s;
	struct dirent *de;
	uint64_t seq;
	size_t i;
	char *path;
	DIR *d;
	int tier, rc = 0;

	if ((d = opendir(h->dir)) == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		if (!parse_name(de->d_name, &tier, &seq))
			continue;
		if ((path = malloc(strlen(h->dir) + strlen(de->d_name) + 2)) ==
		    NULL || (s = seg_new(tier, seq, path)) == NULL) {
			free(path);
			rc = -ENOMEM;
			break;
		}
		sprintf(path, "%s/%s", h->dir, de->d_name);
		if ((rc = chain_add(&h->chain[tier], s)) < 0) {
			pw__hist_seg_unref(s);
			break;
		}
		if (seq >= h->next_seq)
			h->next_seq = seq + 1;
	}
	closedir(d);
	if (rc < 0)
		return rc;
	for (tier = 0; tier < HIST_NTIERS; tier++) {
		struct hist_chain *ch = &h->chain[tier];

		for (i = 0; i < ch->n;) {
			s = ch->seg[i];
			if ((rc = load_seg(h, s, i + 1 == ch->n)) == 0) {
				s->sealed = true;
				i++;
				continue;
			}
			if (rc == -ENOMEM)
				return rc;
			/* Unreadable header: skipped, never a refusal. */
			h->st.corrupt_skipped++;
			pw__hist_log(h, PW_HIST_LOG_WARN, "history %s: not a "
			    "readable segment, skipped", s->path);
			memmove(&ch->seg[i], &ch->seg[i + 1],
			    (ch->n - i - 1) * sizeof(*ch->seg));
			ch->n--;
			pw__hist_seg_unref(s);
		}
	}
	return 0;
}

int
pw_history_open(const struct pw_hist_opts *o, struct pw_history **out,
    pid_t *holder)
{
	struct pw_history *h;
	int t, rc = -ENOMEM;

	if (holder != NULL)
		*holder = 0;
	if (o == NULL || o->dir == NULL || o->dir[0] == '\0' ||
	    o->max_bytes == 0 || o->queue_cycles == 0)
		return -EINVAL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -ENOMEM;
	h->o = *o;
	h->lockfd = -1;
	if (h->o.key_every == 0)
		h->o.key_every = 256;
	/* Enough segments that the budget drops data a sixteenth at a time. */
	if (h->o.segment_bytes == 0 || h->o.segment_bytes > o->max_bytes / 16)
		h->o.segment_bytes = o->max_bytes / 16;
	if (h->o.segment_bytes < (64u << 10))
		h->o.segment_bytes = 64u << 10;
	if ((h->dir = strdup(o->dir)) == NULL)
		goto out_free;
	h->o.dir = h->dir;
	for (t = 0; t < HIST_NTIERS; t++) {
		h->chain[t].fd = -1;
		h->chain[t].need_key = true;
	}
	if (pthread_mutex_init(&h->mu, NULL) != 0)
		goto out_free;
	if (pthread_mutex_init(&h->qmu, NULL) != 0)
		goto out_mu;
	if (pthread_cond_init(&h->qcv, NULL) != 0)
		goto out_qmu;
	if (pthread_cond_init(&h->donecv, NULL) != 0)
		goto out_qcv;
	if (mkdir(h->dir, 0750) < 0 && errno != EEXIST) {
		rc = -errno;
		goto out_cv;
	}
	if ((rc = take_lock(h, holder)) < 0)
		goto out_cv;
	if ((rc = load_dir(h)) < 0)
		goto out_lock;
	rc = -ENOMEM;
	if ((h->cctx = ZSTD_createCCtx()) == NULL)
		goto out_lock;
	if ((h->tier[0] = pw__hist_tier_new(60000)) == NULL ||
	    (h->tier[1] = pw__hist_tier_new(3600000)) == NULL)
		goto out_tier;
	if ((h->cache = pw__hist_cache_new(h->o.cache_bytes)) == NULL)
		goto out_tier;
	h->st.max_bytes = o->max_bytes;
	h->st.queue_cap = o->queue_cycles;
	h->last_sync_ms = pw__hist_now(h);
	/* A smaller budget than last time, or the last run's final words. */
	enforce(h, h->last_sync_ms);
	/* What was there before is checked by the writer once it runs. */
	h->scrub_below = h->next_seq;
	*out = h;
	return 0;
out_tier:
	pw__hist_tier_free(h->tier[0]);
	pw__hist_tier_free(h->tier[1]);
	ZSTD_freeCCtx(h->cctx);
out_lock:
	for (t = 0; t < HIST_NTIERS; t++) {
		while (h->chain[t].n > 0)
			pw__hist_seg_unref(h->chain[t].seg[--h->chain[t].n]);
		free(h->chain[t].seg);
	}
	close(h->lockfd);
out_cv:
	pthread_cond_destroy(&h->donecv);
out_qcv:
	pthread_cond_destroy(&h->qcv);
out_qmu:
	pthread_mutex_destroy(&h->qmu);
out_mu:
	pthread_mutex_destroy(&h->mu);
out_free:
	free(h->dir);
	free(h);
	return rc;
}

/* --- writing ------------------------------------------------------------ */

static void
write_failed(struct pw_history *h, const char *what, const char *path, int e)
{
	char eb[128];
	bool first;

	pthread_mutex_lock(&h->mu);
	h->st.write_errors++;
	first = !h->st.write_failing;
	h->st.write_failing = true;
	h->st.last_errno = -e;
	pthread_mutex_unlock(&h->mu);
	if (first)
		pw__hist_log(h, PW_HIST_LOG_WARN, "history %s %s: %s; "
		    "cycles are dropped until it works again", what, path,
		    pw_strerror(-e, eb, sizeof(eb)));
}

static void
write_ok(struct pw_history *h)
{
	bool was;

	pthread_mutex_lock(&h->mu);
	was = h->st.write_failing;
	h->st.write_failing = false;
	pthread_mutex_unlock(&h->mu);
	if (was)
		pw__hist_log(h, PW_HIST_LOG_INFO, "history: writing resumed");
}

/* Seal the chain's newest segment: fsync, index file. */
static void
seal(struct pw_history *h, struct hist_chain *ch)
{
	struct hist_seg *s;

	if (ch->fd < 0)
		return;
	if (fdatasync(ch->fd) == 0) {
		pthread_mutex_lock(&h->mu);
		h->st.fsyncs++;
		pthread_mutex_unlock(&h->mu);
	}
	close(ch->fd);
	ch->fd = -1;
	ch->dirty = false;
	if (ch->n == 0)
		return;
	s = ch->seg[ch->n - 1];
	pthread_mutex_lock(&h->mu);
	s->sealed = true;
	pthread_mutex_unlock(&h->mu);
	if (pw__hist_idx_write(s) < 0)
		(void)0;	/* the next open scans it */
}

/* A new newest segment for the chain.  0 or -errno. */
static int
rotate(struct pw_history *h, int tier)
{
	struct hist_chain *ch = &h->chain[tier];
	struct hist_seg *s;
	ssize_t len;
	char *path;
	int fd, rc;

	seal(h, ch);
	if ((path = seg_path(h->dir, tier, h->next_seq)) == NULL)
		return -ENOMEM;
	if ((s = seg_new(tier, h->next_seq, path)) == NULL) {
		free(path);
		return -ENOMEM;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_APPEND |
	    O_CLOEXEC, 0640)) < 0) {
		rc = -errno;
		goto out_seg;
	}
	if ((len = pw__hist_seg_header(fd, tier, s->seq, pw__hist_now(h))) <
	    0 || (rc = pw__hist_seg_read_header(fd, s)) < 0) {
		rc = len < 0 ? (int)len : rc;
		goto out_unlink;
	}
	s->size = (uint64_t)len;
	pthread_mutex_lock(&h->mu);
	rc = chain_add(ch, s);
	pthread_mutex_unlock(&h->mu);
	if (rc < 0)
		goto out_unlink;
	h->next_seq++;
	ch->fd = fd;
	ch->need_key = true;
	return 0;
out_unlink:
	close(fd);
	unlink(path);
out_seg:
	pw__hist_seg_unref(s);
	return rc;
}

/* Encode, compress, frame and append one record to a chain. */
static int
append(struct pw_history *h, int tier, const struct pw_hist_cycle *c)
{
	struct hist_chain *ch = &h->chain[tier];
	struct hist_rec rec;
	struct hist_seg *s;
	size_t bound, clen;
	bool key;
	int rc;

	if (ch->fd < 0 || ch->seg[ch->n - 1]->size >= h->o.segment_bytes) {
		if ((rc = rotate(h, tier)) < 0) {
			char *p = seg_path(h->dir, tier, h->next_seq);

			write_failed(h, "creating", p ? p : h->dir, rc);
			free(p);
			return rc;
		}
	}
	s = ch->seg[ch->n - 1];
	key = ch->need_key || tier == HIST_TIER_EV ||
	    ch->coder.since_key >= (tier == PW_HIST_RAW ? h->o.key_every : 60);
	h->enc.len = 0;
	if ((rc = pw__hist_encode(&ch->coder, c, key, &h->enc)) < 0) {
		ch->need_key = true;
		return rc;
	}
	bound = ZSTD_compressBound(h->enc.len);
	h->frame.len = 0;
	if ((rc = pw__hist_buf_reserve(&h->frame, bound + HIST_REC_HDR * 2)) <
	    0) {
		ch->need_key = true;
		return rc;
	}
	/* Compress after the room for the header, then frame in place. */
	clen = ZSTD_compressCCtx(h->cctx, h->frame.p + HIST_REC_HDR, bound,
	    h->enc.p, h->enc.len, 3);
	if (ZSTD_isError(clen)) {
		ch->need_key = true;
		return -EIO;
	}
	{
		struct hist_buf fb = { 0 };

		if ((rc = pw__hist_frame(&fb, key ? HIST_REC_KEY : 0, c->ts_ms,
		    h->frame.p + HIST_REC_HDR, clen, h->enc.len)) < 0) {
			ch->need_key = true;
			free(fb.p);
			return rc;
		}
		rc = 0;
		{
			const char *p = (const char *)fb.p;
			size_t left = fb.len;
			ssize_t w;

			while (left > 0) {
				if ((w = write(ch->fd, p, left)) < 0) {
					if (errno == EINTR)
						continue;
					rc = -errno;
					break;
				}
				p += w;
				left -= (size_t)w;
			}
		}
		if (rc < 0) {
			/* Cut a partial record back off. */
			if (ftruncate(ch->fd, (off_t)s->size) < 0)
				(void)0;
			ch->need_key = true;
			free(fb.p);
			write_failed(h, "writing", s->path, rc);
			return rc;
		}
		rec.flags = key ? HIST_REC_KEY : 0;
		rec.ts_ms = c->ts_ms;
		pthread_mutex_lock(&h->mu);
		rc = pw__hist_seg_note(s, &rec, s->size);
		s->size += fb.len;
		pthread_mutex_unlock(&h->mu);
		free(fb.p);
		if (rc < 0)
			ch->need_key = true;	/* no key entry: make one */
		else
			ch->need_key = false;
	}
	ch->dirty = true;
	return 0;
}

static void
delete_seg(struct pw_history *h, int tier, size_t i)
{
	struct hist_chain *ch = &h->chain[tier];
	struct hist_seg *s;
	char ip[4096];

	pthread_mutex_lock(&h->mu);
	s = ch->seg[i];
	memmove(&ch->seg[i], &ch->seg[i + 1], (ch->n - i - 1) * sizeof(*ch->seg));
	ch->n--;
	h->st.segments_expired++;
	pthread_mutex_unlock(&h->mu);
	/* A reader with the file open keeps reading it (unlink semantics). */
	unlink(s->path);
	snprintf(ip, sizeof(ip), "%s.idx", s->path);
	unlink(ip);
	pw__hist_seg_unref(s);
}

static uint64_t
total_bytes(struct pw_history *h)
{
	uint64_t t = 0;
	size_t i;
	int k;

	for (k = 0; k < HIST_NTIERS; k++)
		for (i = 0; i < h->chain[k].n; i++)
			t += h->chain[k].seg[i]->size;
	return t;
}

/* Age limits per tier, then the budget: oldest raw first. */
static void
enforce(struct pw_history *h, int64_t now_ms)
{
	static const int order[] = { PW_HIST_RAW, PW_HIST_1M, PW_HIST_1H,
	    HIST_TIER_EV };
	struct hist_chain *ch;
	int64_t keep;
	size_t k;
	int t;

	for (t = PW_HIST_1M; t < HIST_NTIERS; t++) {
		ch = &h->chain[t];
		keep = t == PW_HIST_1M ? h->o.minute_keep_ms : h->o.hour_keep_ms;
		while (ch->n > 1 && ch->seg[0]->sealed &&
		    ch->seg[0]->last_ms < now_ms - keep)
			delete_seg(h, t, 0);
	}
	for (k = 0; k < NELEM(order) && total_bytes(h) > h->o.max_bytes;) {
		ch = &h->chain[order[k]];
		/* Never the segment being written. */
		if (ch->n > 1 || (ch->n == 1 && ch->fd < 0))
			delete_seg(h, order[k], 0);
		else
			k++;
	}
}

static void
sync_due(struct pw_history *h, int64_t now_ms, bool force)
{
	int t, e;

	if (!force && now_ms - h->last_sync_ms < h->o.fsync_ms)
		return;
	h->last_sync_ms = now_ms;
	for (t = 0; t < HIST_NTIERS; t++) {
		if (h->chain[t].fd < 0 || !h->chain[t].dirty)
			continue;
		if (fdatasync(h->chain[t].fd) < 0) {
			e = -errno;
			write_failed(h, "syncing", h->chain[t].seg[
			    h->chain[t].n - 1]->path, e);
			continue;
		}
		h->chain[t].dirty = false;
		pthread_mutex_lock(&h->mu);
		h->st.fsyncs++;
		pthread_mutex_unlock(&h->mu);
	}
}

static void
write_rollup(struct pw_history *h, int tier, struct pw_hist_cycle *done)
{
	struct pw_hist_cycle *hour = NULL;

	if (done == NULL)
		return;
	/* The hour takes the minute as computed, the file as stored. */
	if (tier == PW_HIST_1M &&
	    pw__hist_tier_feed(h->tier[1], done, true, &hour) == 0)
		write_rollup(h, PW_HIST_1H, hour);
	pw__hist_rollup_store(done);
	if (append(h, tier, done) < 0)
		(void)0;	/* counted by append() */
	pw_hist_cycle_free(done);
}

static void
write_cycle(struct pw_history *h, struct pw_hist_cycle *c)
{
	struct pw_hist_cycle *done = NULL, ev = { 0 };
	uint64_t corrupt;
	int rc;

	rc = append(h, PW_HIST_RAW, c);
	if (c->nev > 0) {
		/* Events have a chain of their own: kept as long as hours. */
		ev.ts_ms = c->ts_ms;
		ev.interval_ms = c->interval_ms;
		ev.ev = c->ev;
		ev.nev = c->nev;
		if (append(h, HIST_TIER_EV, &ev) < 0)
			rc = rc < 0 ? rc : -EIO;
	}
	if (pw__hist_tier_feed(h->tier[0], c, false, &done) == 0)
		write_rollup(h, PW_HIST_1M, done);
	pthread_mutex_lock(&h->mu);
	if (rc < 0)
		h->st.dropped_write++;
	else {
		h->st.cycles_written++;
		if (c->ts_ms > h->st.newest_ms)
			h->st.newest_ms = c->ts_ms;
	}
	pthread_mutex_unlock(&h->mu);
	if (rc == 0)
		write_ok(h);
	enforce(h, c->ts_ms);
	corrupt = atomic_load(&h->corrupt_reads);
	if (corrupt > h->logged_corrupt) {
		pw__hist_log(h, PW_HIST_LOG_WARN, "history: %" PRIu64
		    " corrupt record(s) skipped by reads", corrupt -
		    h->logged_corrupt);
		h->logged_corrupt = corrupt;
	}
}

/*
 * Check one segment written before this run, record by record, so that
 * damage in the middle of the history (a flipped bit, a bad sector) is
 * told at start-up rather than when a query happens to meet it; opening
 * read index files only.  Returns false when none is left.
 */
static bool
scrub_one(struct pw_history *h)
{
	struct hist_seg *s = NULL, tmp;
	uint64_t corrupt = 0;
	int64_t valid;
	size_t i;
	int t, fd;

	pthread_mutex_lock(&h->mu);
	for (t = 0; t < HIST_NTIERS; t++)	/* the lowest over all */
		for (i = 0; i < h->chain[t].n; i++) {
			struct hist_seg *c = h->chain[t].seg[i];

			if (c->seq >= h->scrub_seq && c->seq < h->scrub_below &&
			    (s == NULL || c->seq < s->seq))
				s = c;
		}
	if (s != NULL) {
		atomic_fetch_add(&s->refs, 1);
		memset(&tmp, 0, sizeof(tmp));
		tmp.hdr_len = s->hdr_len;
		tmp.size = s->size;
		h->scrub_seq = s->seq + 1;
	}
	pthread_mutex_unlock(&h->mu);
	if (s == NULL)
		return false;
	if ((fd = open(s->path, O_RDONLY | O_CLOEXEC)) >= 0) {
		valid = pw__hist_seg_scan(fd, &tmp, tmp.size, &corrupt);
		close(fd);
		free(tmp.keys);
		if (valid >= 0 && (uint64_t)valid < tmp.size)
			corrupt++;		/* its end is damaged */
		if (corrupt > 0) {
			atomic_fetch_add(&h->corrupt_reads, corrupt);
			h->logged_corrupt += corrupt;
			pw__hist_log(h, PW_HIST_LOG_WARN, "history %s: %" PRIu64
			    " corrupt record(s); reads skip them and what "
			    "depends on them", s->path, corrupt);
		}
	}
	pw__hist_seg_unref(s);
	return true;
}

static void *
writer_main(void *arg)
{
	struct pw_history *h = arg;
	struct pw_hist_cycle *batch, *c;
	struct timespec until;
	bool done;
	size_t n;

	pthread_mutex_lock(&h->qmu);
	for (;;) {
		/* Between cycles, the check of older segments, one at a time. */
		while (h->qhead == NULL && !h->stop && !h->scrubbed) {
			pthread_mutex_unlock(&h->qmu);
			done = !scrub_one(h);
			pthread_mutex_lock(&h->qmu);
			if (done) {
				h->scrubbed = true;
				pthread_cond_broadcast(&h->donecv);
			}
		}
		while (h->qhead == NULL && !h->stop) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			pthread_cond_timedwait(&h->qcv, &h->qmu, &until);
			if (h->qhead == NULL && !h->stop) {
				pthread_mutex_unlock(&h->qmu);
				sync_due(h, pw__hist_now(h), false);
				pthread_mutex_lock(&h->qmu);
			}
		}
		if (h->qhead == NULL && h->stop)
			break;
		batch = h->qhead;
		h->qhead = h->qtail = NULL;
		n = h->qlen;
		h->qlen = 0;
		pthread_mutex_unlock(&h->qmu);
		while ((c = batch) != NULL) {
			batch = c->next;
			write_cycle(h, c);
			pw_hist_cycle_free(c);
		}
		sync_due(h, pw__hist_now(h), false);
		pthread_mutex_lock(&h->qmu);
		h->qdone += n;
		pthread_cond_broadcast(&h->donecv);
	}
	pthread_mutex_unlock(&h->qmu);
	return NULL;
}

int
pw_history_start(struct pw_history *h)
{
	int rc;

	if (h->running)
		return 0;
	if ((rc = pthread_create(&h->thr, NULL, writer_main, h)) != 0)
		return -rc;
	h->running = true;
	return 0;
}

int
pw_history_push(struct pw_history *h, struct pw_hist_cycle *c)
{
	if (c == NULL)
		return -EINVAL;
	c->next = NULL;
	pthread_mutex_lock(&h->qmu);
	if (h->qlen >= h->o.queue_cycles || h->stop) {
		h->qpushed++;
		h->qdone++;		/* settled: dropped */
		pthread_mutex_unlock(&h->qmu);
		pthread_mutex_lock(&h->mu);
		h->st.dropped_queue++;
		pthread_mutex_unlock(&h->mu);
		pw_hist_cycle_free(c);
		return -ENOSPC;
	}
	if (h->qtail != NULL)
		h->qtail->next = c;
	else
		h->qhead = c;
	h->qtail = c;
	h->qlen++;
	h->qpushed++;
	pthread_cond_signal(&h->qcv);
	pthread_mutex_unlock(&h->qmu);
	return 0;
}

int
pw_history_flush(struct pw_history *h, int64_t timeout_ms)
{
	struct timespec until;
	uint64_t want;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&h->qmu);
	want = h->qpushed;
	while (h->qdone < want && rc == 0) {
		if (!h->running) {
			rc = -ETIMEDOUT;
			break;
		}
		if (pthread_cond_timedwait(&h->donecv, &h->qmu, &until) ==
		    ETIMEDOUT)
			rc = h->qdone < want ? -ETIMEDOUT : 0;
	}
	pthread_mutex_unlock(&h->qmu);
	return rc;
}

void
pw_history_stats(struct pw_history *h, struct pw_hist_stats *out)
{
	size_t i;
	int t;

	pthread_mutex_lock(&h->mu);
	*out = h->st;
	out->bytes_total = 0;
	out->segments = 0;
	for (t = 0; t < HIST_NTIERS; t++) {
		uint64_t b = 0;

		for (i = 0; i < h->chain[t].n; i++)
			b += h->chain[t].seg[i]->size;
		if (t < PW_HIST_NRES) {
			out->bytes[t] = b;
			out->oldest_ms[t] = 0;
			for (i = 0; i < h->chain[t].n; i++)
				if (h->chain[t].seg[i]->first_ms != 0) {
					out->oldest_ms[t] =
					    h->chain[t].seg[i]->first_ms;
					break;
				}
		} else
			out->bytes_events = b;
		out->bytes_total += b;
		out->segments += h->chain[t].n;
	}
	pthread_mutex_unlock(&h->mu);
	out->corrupt_skipped += atomic_load(&h->corrupt_reads);
	pthread_mutex_lock(&h->qmu);
	out->queue_len = h->qlen;
	out->checked = h->scrubbed;
	pthread_mutex_unlock(&h->qmu);
	pw__hist_cache_stats(h->cache, &out->cache_bytes, &out->cache_cap);
}

void
pw_history_close(struct pw_history *h)
{
	struct pw_hist_cycle *c, *done = NULL;
	int t;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->qmu);
	h->stop = true;
	pthread_cond_broadcast(&h->qcv);
	pthread_mutex_unlock(&h->qmu);
	if (h->running)
		pthread_join(h->thr, NULL);
	h->running = false;
	/* Cycles pushed before start and never written. */
	while ((c = h->qhead) != NULL) {
		h->qhead = c->next;
		write_cycle(h, c);
		pw_hist_cycle_free(c);
	}
	/*
	 * The buckets in progress are written as they stand: a reader
	 * merges them with the rest of their bucket written after a restart.
	 */
	if (pw__hist_tier_finish(h->tier[0], &done) == 0)
		write_rollup(h, PW_HIST_1M, done);
	if (pw__hist_tier_finish(h->tier[1], &done) == 0)
		write_rollup(h, PW_HIST_1H, done);
	for (t = 0; t < HIST_NTIERS; t++) {
		seal(h, &h->chain[t]);
		pw__hist_coder_fini(&h->chain[t].coder);
		while (h->chain[t].n > 0)
			pw__hist_seg_unref(h->chain[t].seg[--h->chain[t].n]);
		free(h->chain[t].seg);
	}
	pw__hist_tier_free(h->tier[0]);
	pw__hist_tier_free(h->tier[1]);
	pw__hist_cache_free(h->cache);
	ZSTD_freeCCtx(h->cctx);
	free(h->enc.p);
	free(h->frame.p);
	close(h->lockfd);
	pthread_cond_destroy(&h->donecv);
	pthread_cond_destroy(&h->qcv);
	pthread_mutex_destroy(&h->qmu);
	pthread_mutex_destroy(&h->mu);
	free(h->dir);
	free(h);
}

/*
 * history.c: the history's handle (lib/history.h): opening a directory
 * (its lock, loading and recovering the segments there), the segment
 * lists, the stats, closing.
 *
 * DESIGN: four chains of segment files, one per tier (raw, 1m, 1h) and
 * one of events, each file named <tier>-<seq>.pws with one sequence over
 * all.  Opening takes an exclusive flock on LOCK (a second daemon is
 * refused with the holder's pid), reads each segment's header and its
 * index file, or scans it (always the newest of a chain, else when the
 * index is missing or stale), and cuts a torn tail off each chain's
 * newest segment: the writer then starts new ones (hist_writer.c).  The mutex `mu` guards the chains' segment lists,
 * each segment's size, range and keys, and the stats; it is held for
 * list updates and copies, never across I/O.
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

int
pw__hist_chain_add(struct hist_chain *ch, struct hist_seg *s)
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

char *
pw__hist_seg_path(const char *dir, int tier, uint64_t seq)
{
	size_t len = strlen(dir) + 32;
	char *p;

	if ((p = malloc(len)) != NULL)
		snprintf(p, len, "%s/%s-%016" PRIx64 ".pws", dir,
		    tier_name[tier], seq);
	return p;
}

struct hist_seg *
pw__hist_seg_new(int tier, uint64_t seq, char *path)
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
		    NULL || (s = pw__hist_seg_new(tier, seq, path)) == NULL) {
			free(path);
			rc = -ENOMEM;
			break;
		}
		sprintf(path, "%s/%s", h->dir, de->d_name);
		if ((rc = pw__hist_chain_add(&h->chain[tier], s)) < 0) {
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
	pw__hist_enforce(h, h->last_sync_ms);
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
	pw__hist_writer_drain(h);
	for (t = 0; t < HIST_NTIERS; t++) {
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

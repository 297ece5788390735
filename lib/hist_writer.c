/*
 * hist_writer.c: the history's writer thread (lib/history.h): the queue
 * the sampler pushes cycles into, appending records to the chains,
 * roll-ups, fsync, and the check of older segments between cycles.
 *
 * DESIGN: only the writer thread appends, always to the newest segment
 * of a chain, which it starts afresh after each open (so a segment is
 * written by one build, with one row list, and a torn tail is only ever
 * at the end of what the last run wrote).  The queue has its own mutex
 * `qmu`: the producer takes only that one, and a full queue drops the
 * cycle rather than wait.  The history's mutex `mu` is taken for list
 * and size updates only, never across I/O.
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

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "hist_impl.h"
#include "pwutil.h"

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
	if ((path = pw__hist_seg_path(h->dir, tier, h->next_seq)) == NULL)
		return -ENOMEM;
	if ((s = pw__hist_seg_new(tier, h->next_seq, path)) == NULL) {
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
	rc = pw__hist_chain_add(ch, s);
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
			char *p = pw__hist_seg_path(h->dir, tier, h->next_seq);

			write_failed(h, "creating", p ? p : h->dir, rc);
			free(p);
			return rc;
		}
	}
	s = ch->seg[ch->n - 1];
	/*
	 * A key record also when the coder holds mostly series that are
	 * gone: it keeps a slot (identity, last values) for every series
	 * since the last key, so on a host that starts hundreds of short
	 * processes a second it would grow until then.  This bounds it to
	 * about twice the live series.
	 */
	key = ch->need_key || tier == HIST_TIER_EV ||
	    ch->coder.since_key >= (tier == PW_HIST_RAW ? h->o.key_every : 60) ||
	    ch->coder.nslot > 2 * ch->coder.npresent + HIST_SLOT_SLACK;
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
	pw__hist_enforce(h, c->ts_ms);
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
pw__hist_writer_drain(struct pw_history *h)
{
	struct pw_hist_cycle *c, *done = NULL;
	int t;

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
	for (t = 0; t < HIST_NTIERS; t++)
		seal(h, &h->chain[t]);
}

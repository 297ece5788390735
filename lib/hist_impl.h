/*
 * hist_impl.h: what the lib/hist_*.c modules share (lib/history.h is the
 * API).  Not for api/ or daemon/.
 *
 * Modules: hist_cycle.c (a cycle: building, reading), hist_codec.c (the
 * record payload: varints, delta coding of series against the previous
 * cycle), hist_segment.c (files: headers, framed records with crc32 and
 * zstd, scans, index files), hist_tier.c (roll-ups), history.c (the
 * handle: open, lock, recovery, segment lists, stats, close),
 * hist_writer.c (the queue and the writer thread), hist_budget.c (age
 * limits and the byte budget), hist_read.c (reading a chain back, the
 * block cache), hist_series.c (a series), hist_scan.c (a tier over a
 * range, as cycles), hist_at.c (the moment at a
 * time), hist_events.c (events, alerts firing at a time), hist_cursor.c
 * (the cursor).
 */
#ifndef PW_HIST_IMPL_H
#define PW_HIST_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"

/* Roll-up statistics per row in a tier record: column row * 5 + stat. */
enum {
	HIST_ST_COUNT = 0,
	HIST_ST_MIN,
	HIST_ST_MAX,
	HIST_ST_MEAN,		/* INCREASE rows: the increase */
	HIST_ST_LAST,
	HIST_NST
};

/* Chains of segment files: the three resolutions and the events. */
#define HIST_TIER_EV	PW_HIST_NRES
#define HIST_NTIERS	(PW_HIST_NRES + 1)

/* Caps on what a record may declare, so a corrupt one cannot ask much. */
#define HIST_MAX_COLS	4096
#define HIST_MAX_STR	4096
#define HIST_MAX_ULEN	(64u << 20)
#define HIST_MAX_SLOTS	(1u << 20)

/* --- a cycle (hist_cycle.c) --------------------------------------------- */

struct hist_ser {
	struct pw_hist_ident	 id;		/* strings in the arena */
	uint32_t		 ncols;
	double			*val;		/* in the arena */
};

struct hist_arena_blk;

struct pw_hist_cycle {
	int64_t			 ts_ms, interval_ms;
	struct hist_ser		*ser;
	size_t			 n, cap;
	struct pw_hist_event	*ev;
	size_t			 nev, evcap;
	struct hist_arena_blk	*arena;
	struct pw_hist_cycle	*next;		/* the queue's link */
};

void	*pw__hist_arena(struct pw_hist_cycle *, size_t size);
char	*pw__hist_strdup(struct pw_hist_cycle *, const char *);
/* Empty a cycle for reuse (the cursor's), keeping nothing. */
void	 pw__hist_cycle_reset(struct pw_hist_cycle *, int64_t ts_ms,
	    int64_t interval_ms);

/* --- the codec (hist_codec.c) ------------------------------------------- */

/* A growable byte buffer. */
struct hist_buf {
	uint8_t		*p;
	size_t		 len, cap;
};

int	pw__hist_buf_reserve(struct hist_buf *, size_t more);
int	pw__hist_put(struct hist_buf *, const void *, size_t);
int	pw__hist_put_varint(struct hist_buf *, uint64_t);
int	pw__hist_put_svarint(struct hist_buf *, int64_t);
int	pw__hist_put_str(struct hist_buf *, const char *);

/* A bounded reader: errors stick (ok false) and reads then give 0. */
struct hist_rd {
	const uint8_t	*p, *end;
	bool		 ok;
};

uint64_t	 pw__hist_get_varint(struct hist_rd *);
int64_t		 pw__hist_get_svarint(struct hist_rd *);
uint8_t		 pw__hist_get_u8(struct hist_rd *);
double		 pw__hist_get_f64(struct hist_rd *);
/* A string of at most HIST_MAX_STR bytes, NUL-terminated into buf. */
const char	*pw__hist_get_str(struct hist_rd *, char *buf, size_t len);

/* One series known to a coder since its last key record. */
struct hist_slot {
	struct pw_hist_ident	 id;		/* strings malloc'd */
	uint32_t		 ncols;
	double			*prev;		/* ncols, the last values */
	bool			 present;	/* in the last cycle */
	uint32_t		 hash;
	uint32_t		 seen;		/* encoder: cycle stamp */
	bool			 skip;		/* decoder: values not kept */
};

/*
 * The state both ends of a chain keep: the slots since the last key
 * record, and (encoder) a hash of their keys.
 */
/* Gone series a coder may keep beyond twice the live ones (hist_writer.c). */
#define HIST_SLOT_SLACK	512

struct hist_coder {
	struct hist_slot	*slot;
	uint32_t		 nslot, cap;
	uint32_t		*present;	/* slots, ascending */
	uint32_t		 npresent, prcap;
	uint32_t		*hash;		/* encoder: slot + 1, 0 empty */
	uint32_t		 hcap;		/* a power of two */
	uint32_t		 stamp;
	unsigned		 since_key;	/* records since the key */
	/*
	 * Decoder: with keep set, the values of slots it refuses are
	 * stepped over, not decoded (their prev is then stale): a reader
	 * after one series.
	 */
	bool			(*keep)(const struct hist_slot *, void *);
	void			*keep_arg;
};

void	pw__hist_coder_reset(struct hist_coder *);
void	pw__hist_coder_fini(struct hist_coder *);

/*
 * Encode a cycle's series and events into out (appended), as a key
 * record if `key` (the coder is reset first).  For the tiers, series'
 * ncols are already the roll-up's.  0, or -ENOMEM with the coder
 * possibly changed (the caller then forces a key record).
 */
int	pw__hist_encode(struct hist_coder *, const struct pw_hist_cycle *,
	    bool key, struct hist_buf *out);

/*
 * Decode a payload: the coder's present slots and their `prev` values
 * become the record's series; its events are added to `events` (may be
 * NULL).  A key record resets the coder.  0, or -EINVAL for a malformed
 * payload (the coder is then unusable until the next key record), or
 * -ENOMEM.
 */
int	pw__hist_decode(struct hist_coder *, const uint8_t *p, size_t len,
	    bool key, int64_t ts_ms, struct pw_hist_cycle *events,
	    int64_t *interval_ms);

/* --- segment files (hist_segment.c) ------------------------------------- */

#define HIST_REC_HDR	32
#define HIST_REC_KEY	0x1u

/* A key record's place, for seeking. */
struct hist_key {
	int64_t		ts_ms;
	uint64_t	off;
};

/*
 * One segment file.  Immutable but for the fields the writer changes
 * under the history's mutex (size, last_ms, keys of the active one).
 * Readers take a reference under the mutex.
 */
struct hist_seg {
	int			 tier;
	uint64_t		 seq;
	char			*path;
	uint64_t		 hdr_len;	/* records start here */
	uint64_t		 size;		/* committed bytes */
	int64_t			 first_ms, last_ms;	/* 0: empty */
	uint32_t		 nrows;		/* rows it names */
	int			*rowmap;	/* its row -> ours, -1 */
	struct hist_key		*keys;
	size_t			 nkeys, kcap;
	bool			 sealed;
	atomic_int		 refs;
};

void	pw__hist_seg_unref(struct hist_seg *);

/* Write a new segment's header to fd; its length, or -errno. */
ssize_t	pw__hist_seg_header(int fd, int tier, uint64_t seq, int64_t now_ms);
/* The same naming rows names[0..nrows) (tests: an older catalogue). */
ssize_t	pw__hist_seg_header_rows(int fd, int tier, uint64_t seq,
	    int64_t now_ms, const char *const *names, size_t nrows);
/*
 * Read and check a header at the start of fd: fills seg's hdr_len,
 * nrows, rowmap.  0, -EINVAL (not a segment, or corrupt) or -errno.
 */
int	pw__hist_seg_read_header(int fd, struct hist_seg *);

struct hist_rec;

/* Note a valid record at off in seg's range and keys.  0 or -ENOMEM. */
int	pw__hist_seg_note(struct hist_seg *, const struct hist_rec *,
	    uint64_t off);

/* Frame a compressed payload: header + payload appended to out. */
int	pw__hist_frame(struct hist_buf *out, uint32_t flags, int64_t ts_ms,
	    const void *payload, size_t clen, size_t ulen);

/* A record's header as parsed. */
struct hist_rec {
	uint32_t	flags;
	uint32_t	clen, ulen;
	int64_t		ts_ms;
};

/*
 * Check the record at buf[0..len): 1 and *rec when whole and its crc
 * matches, 0 when it runs past len (torn, or read more), -EINVAL when
 * bad.
 */
int	pw__hist_rec_check(const uint8_t *buf, size_t len,
	    struct hist_rec *rec);

/*
 * Scan fd from seg->hdr_len to `end` (the file's size): every whole
 * valid record is recorded in seg (first/last ms, keys); a bad one is
 * skipped by searching for the next valid record (*corrupt counts them).
 * Returns the end of the last valid record (so a torn tail starts there),
 * or -errno.
 */
int64_t	pw__hist_seg_scan(int fd, struct hist_seg *, uint64_t end,
	    uint64_t *corrupt);

/* Index files (<segment>.idx) of sealed segments. */
int	pw__hist_idx_write(const struct hist_seg *);
int	pw__hist_idx_read(struct hist_seg *);

/* --- roll-ups (hist_tier.c) --------------------------------------------- */

struct hist_tier;

struct hist_tier	*pw__hist_tier_new(int64_t width_ms);
void			 pw__hist_tier_free(struct hist_tier *);
/*
 * Feed a cycle (raw values, or for the hour tier the minute tier's
 * roll-up records, `rolled`).  When the cycle falls in a later bucket,
 * the finished bucket is returned in *done (a cycle of roll-up series,
 * ts the bucket's start; free with pw_hist_cycle_free()), else NULL.
 */
int	pw__hist_tier_feed(struct hist_tier *, const struct pw_hist_cycle *,
	    bool rolled, struct pw_hist_cycle **done);
/*
 * A finished bucket's values as stored (sum for mean, fractions in
 * thousandths), in place; and a stored one's five statistics of our row
 * `row` (-1: none) back as count, min, max, mean (or increase), last.
 */
void	pw__hist_rollup_store(struct pw_hist_cycle *);
void	pw__hist_rollup_load(enum pw_hist_kind, int row, const double *st,
	    double *out);
double	pw__hist_rollup_scale(enum pw_hist_kind, int row);
/* The bucket in progress, finished now (for close); NULL if empty. */
int	pw__hist_tier_finish(struct hist_tier *, struct pw_hist_cycle **done);

/* --- the history (history.c, hist_writer.c, hist_budget.c) -------------- */

struct hist_chain {
	struct hist_seg		**seg;		/* oldest first */
	size_t			 n, cap;
	/* The writer's: */
	int			 fd;		/* of the newest, -1 */
	struct hist_coder	 coder;
	bool			 dirty;		/* written, not fsync'd */
	bool			 need_key;
};

struct pw_history {
	struct pw_hist_opts	 o;
	char			*dir;
	int			 lockfd;
	pthread_mutex_t		 mu;	/* segs, stats; a leaf */
	struct hist_chain	 chain[HIST_NTIERS];
	uint64_t		 next_seq;
	struct pw_hist_stats	 st;
	atomic_uint_fast64_t	 corrupt_reads;
	/* The queue. */
	pthread_mutex_t		 qmu;	/* a leaf */
	pthread_cond_t		 qcv, donecv;
	struct pw_hist_cycle	*qhead, *qtail;
	size_t			 qlen;
	uint64_t		 qpushed, qdone;
	bool			 stop, running;
	bool			 scrubbed;	/* older segments checked */
	pthread_t		 thr;
	/* The writer's own: */
	struct hist_tier	*tier[2];
	void			*cctx;		/* ZSTD_CCtx */
	struct hist_buf		 enc, frame;
	int64_t			 last_sync_ms;
	uint64_t		 logged_corrupt;
	uint64_t		 scrub_below;	/* seqs left to check */
	uint64_t		 scrub_seq;	/* the next to check */
	/* The readers' cache (hist_read.c). */
	struct hist_cache	*cache;
};

int64_t	pw__hist_now(const struct pw_history *);
void	pw__hist_log(const struct pw_history *, int level, const char *fmt,
	    ...) __attribute__((format(printf, 3, 4)));
/*
 * Referenced copies of a chain's segments overlapping [since, until)
 * (all if until <= since... no: pass INT64_MIN/INT64_MAX), oldest first.
 * Free with pw__hist_segs_release().
 */
int	pw__hist_segs_get(struct pw_history *, int tier, int64_t since_ms,
	    int64_t until_ms, struct hist_seg ***out, size_t *n);
void	pw__hist_segs_release(struct hist_seg **, size_t n);
/* Add s to a chain in sequence order (the caller holds mu once shared). */
int	pw__hist_chain_add(struct hist_chain *, struct hist_seg *);
/* "<dir>/<tier>-<seq>.pws", malloc'd; NULL when out of memory. */
char	*pw__hist_seg_path(const char *dir, int tier, uint64_t seq);
/* A segment with one reference, owning path; NULL when out of memory. */
struct hist_seg	*pw__hist_seg_new(int tier, uint64_t seq, char *path);

/*
 * The writer's part of closing (hist_writer.c), once its thread is
 * joined: write what is still queued and the roll-up buckets in
 * progress, then seal every chain's newest segment.
 */
void	pw__hist_writer_drain(struct pw_history *);

/*
 * Delete the segments past their tier's age, then the oldest while the
 * total is over the budget (hist_budget.c).  Writer thread, or open.
 */
void	pw__hist_enforce(struct pw_history *, int64_t now_ms);

/* --- reading a chain (hist_read.c) -------------------------------------- */

/* The read cache. */
struct hist_cache	*pw__hist_cache_new(size_t cap);
void			 pw__hist_cache_free(struct hist_cache *);
void			 pw__hist_cache_stats(struct hist_cache *,
			    size_t *bytes, size_t *cap);

/* a + b, held within int64_t: callers pass INT64_MIN and INT64_MAX. */
int64_t	pw__hist_sat_add(int64_t a, int64_t b);

/* A reader of one chain, on the caller's stack; one thread. */
struct hist_reader {
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
	void			*dctx;		/* ZSTD_DCtx */
	struct hist_buf		 dec;
	int64_t			 interval_ms;
	int64_t			 since_ms;
};
/*
 * Take the chain's segments overlapping [since, until); reading starts
 * at the key record at or before r->since_ms (since, unless the caller
 * moves it).  0, or -ENOMEM; pw__hist_reader_fini() after success.
 */
int	pw__hist_reader_init(struct hist_reader *, struct pw_history *,
	    int tier, int64_t since_ms, int64_t until_ms);
void	pw__hist_reader_fini(struct hist_reader *);
/*
 * The next record: 1 with *rec and the coder holding its series (events
 * added to `events`, may be NULL), 0 at the end, or -ENOMEM.  Bad
 * records are skipped to the next key record and counted.
 */
int	pw__hist_reader_next(struct hist_reader *, struct hist_rec *rec,
	    struct pw_hist_cycle *events);
/*
 * The time of the record pw__hist_reader_next() would return next: 1
 * and *ts (INT64_MIN for one it cannot make out), 0 at the end, -errno.
 */
int	pw__hist_reader_peek_ts(struct hist_reader *, int64_t *ts);
/* Column c of a slot (segment columns) as our row, or -1. */
int	pw__hist_col_row(const struct hist_seg *, const struct hist_slot *,
	    uint32_t c, uint32_t nst);
/* How many of our rows a slot's values come out as. */
uint32_t	pw__hist_out_rows(const struct hist_slot *);
/* Free an ident's malloc'd strings (not the ident). */
void	pw__hist_ident_free_strings(struct pw_hist_ident *);

#endif

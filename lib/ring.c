/*
 * ring.c: fixed-capacity history of one process's samples, packed.
 *
 * DESIGN: a decoded pw_sample is 200 bytes; a stored record is 56.  Sizes
 * are kept in 4 KiB units, and time and cumulative counters as deltas from
 * the previous record, so each record carries the interval its rates need.
 * The ring keeps the absolute values of its newest sample; decoding walks
 * back from the newest record subtracting deltas.  Deltas that do not fit
 * their field are stored scaled (CPU in units of 64 ticks, I/O in KiB) with
 * a flag; sizes and counts that do not fit saturate.
 *
 * The four delays (cpu, block I/O, swap-in, memory) take 16 bits each, in
 * units of 100 us (R_DELAY_SCALED: of 102.4 ms, for a delta above 6.5 s),
 * and DELAY_UNKNOWN when either sample lacked the figure or it went
 * backwards: 8 bytes where four 32-bit deltas would take 16.  100 us is
 * 0.01 % of a 1 s interval; a share is exact to that.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/ring.h>

/* Flags packed in rec.fds_state, beyond the public PW_SAMPLE_* bits. */
#define R_CPU_SCALED	0x08
#define R_IO_SCALED	0x10
#define R_DELAY_SCALED	0x20
#define R_FLAG_MASK	0x3f

#define FDS_BITS	22
#define FDS_MAX		((1u << FDS_BITS) - 1)
#define STATE_SHIFT	FDS_BITS
#define FLAG_SHIFT	(FDS_BITS + 4)

#define CPU_SCALE	64	/* ticks per unit when R_CPU_SCALED */
#define IO_SCALE	1024	/* bytes per unit when R_IO_SCALED */
#define DELAY_UNIT_NS	100000ULL	/* ns per delay unit */
#define DELAY_SCALE	1024	/* units per unit when R_DELAY_SCALED */
#define DELAY_UNKNOWN	UINT16_MAX
#define DELAY_MAX	(UINT16_MAX - 1)
#define NDELAYS		4

struct rec {
	uint32_t	dt_ms;		/* since the previous record; 0 first */
	uint16_t	d_utime;	/* ticks since the previous record */
	uint16_t	d_stime;
	uint32_t	rss_4k;
	uint32_t	vms_4k;
	uint32_t	swap_4k;
	uint32_t	fds_state;	/* fds:22 | state:4 | flags:6 */
	uint16_t	threads;
	uint16_t	d_majflt;
	uint32_t	d_nvcsw;
	uint32_t	d_nivcsw;
	uint32_t	d_minflt;
	uint32_t	d_read;
	uint32_t	d_write;
	uint16_t	d_delay[NDELAYS];	/* cpu, blkio, swapin, mem */
};

_Static_assert(sizeof(struct rec) == PW_RING_RECORD_BYTES,
    "ring record must stay PW_RING_RECORD_BYTES");

struct pw_ring {
	size_t		 cap;
	size_t		 head;		/* next slot to write */
	size_t		 count;		/* records held, <= cap */
	uint64_t	 pushed;
	long		 hz;
	struct pw_sample last;		/* newest sample, absolute values */
	struct rec	*recs;
};

struct pw_ring *
pw_ring_new(size_t cap, long hz)
{
	struct pw_ring *r;

	if (cap == 0 || cap > SIZE_MAX / sizeof(struct rec))
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->recs = calloc(cap, sizeof(struct rec))) == NULL) {
		free(r);
		return NULL;
	}
	r->cap = cap;
	r->hz = hz > 0 ? hz : 100;
	return r;
}

void
pw_ring_free(struct pw_ring *r)
{
	if (r == NULL)
		return;
	free(r->recs);
	free(r);
}

static uint32_t
sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint16_t
sat16(uint64_t v)
{
	return v > UINT16_MAX ? UINT16_MAX : (uint16_t)v;
}

/* A counter that went backwards was reset: count no progress. */
static uint64_t
delta(uint64_t now, uint64_t prev)
{
	return now >= prev ? now - prev : 0;
}

static uint32_t
units_4k(uint64_t bytes)
{
	return sat32((bytes + 4095) / 4096);
}

/* The flag that says delay i is unknown, and its counter. */
static const unsigned delay_flag[NDELAYS] = {
	PW_SAMPLE_NO_CPU_DELAY, PW_SAMPLE_NO_IO_DELAY,
	PW_SAMPLE_NO_MEM_DELAY, PW_SAMPLE_NO_MEM_DELAY,
};

static uint64_t *
delay_ns(struct pw_sample *s, int i)
{
	switch (i) {
	case 0:
		return &s->cpu_delay_ns;
	case 1:
		return &s->blkio_delay_ns;
	case 2:
		return &s->swapin_delay_ns;
	default:
		return &s->mem_delay_ns;
	}
}

static uint64_t
delay_get(const struct pw_sample *s, int i)
{
	return i == 0 ? s->cpu_delay_ns : i == 1 ? s->blkio_delay_ns :
	    i == 2 ? s->swapin_delay_ns : s->mem_delay_ns;
}

static double *
delay_pct(struct pw_sample *s, int i)
{
	switch (i) {
	case 0:
		return &s->cpu_delay_pct;
	case 1:
		return &s->io_delay_pct;
	case 2:
		return &s->swapin_delay_pct;
	default:
		return &s->mem_delay_pct;
	}
}

/*
 * Pack the delays' deltas from p to s into rec; returns R_DELAY_SCALED
 * when they had to be scaled.  No rate across a first sample, a figure
 * either lacks, or a counter that went backwards (taskstats sums only
 * the live threads when no listener keeps the exited ones').
 */
static unsigned
pack_delays(struct rec *rec, const struct pw_sample *s,
    const struct pw_sample *p, bool first)
{
	uint64_t d[NDELAYS], now, then;
	bool known[NDELAYS], scaled = false;
	int i;

	for (i = 0; i < NDELAYS; i++) {
		now = delay_get(s, i);
		then = delay_get(p, i);
		known[i] = !first && !((s->flags | p->flags) & delay_flag[i]) &&
		    now >= then;
		d[i] = known[i] ? (now - then + DELAY_UNIT_NS / 2) /
		    DELAY_UNIT_NS : 0;
		if (d[i] > DELAY_MAX)
			scaled = true;
	}
	for (i = 0; i < NDELAYS; i++) {
		if (scaled)
			d[i] = (d[i] + DELAY_SCALE / 2) / DELAY_SCALE;
		rec->d_delay[i] = known[i] ? (d[i] > DELAY_MAX ? DELAY_MAX :
		    (uint16_t)d[i]) : DELAY_UNKNOWN;
	}
	return scaled ? R_DELAY_SCALED : 0;
}

void
pw_ring_push(struct pw_ring *r, const struct pw_sample *s)
{
	struct rec *rec = &r->recs[r->head];
	const struct pw_sample *p = &r->last;
	uint64_t du, ds, dr, dw;
	unsigned flags;
	int64_t ts;

	flags = s->flags & (PW_SAMPLE_NO_IO | PW_SAMPLE_NO_FDS);
	ts = s->ts_ms;
	if (r->count == 0) {
		flags |= PW_SAMPLE_FIRST;
		p = s;
	} else if (ts < p->ts_ms) {
		ts = p->ts_ms;		/* the clock went back: keep order */
	}

	memset(rec, 0, sizeof(*rec));
	rec->dt_ms = sat32((uint64_t)(ts - p->ts_ms));
	du = delta(s->utime_ticks, p->utime_ticks);
	ds = delta(s->stime_ticks, p->stime_ticks);
	if (du > UINT16_MAX || ds > UINT16_MAX) {
		flags |= R_CPU_SCALED;
		du /= CPU_SCALE;
		ds /= CPU_SCALE;
	}
	rec->d_utime = sat16(du);
	rec->d_stime = sat16(ds);
	rec->rss_4k = units_4k(s->rss_bytes);
	rec->vms_4k = units_4k(s->vms_bytes);
	rec->swap_4k = units_4k(s->swap_bytes);
	rec->fds_state = (s->open_fds > FDS_MAX ? FDS_MAX : s->open_fds) |
	    ((uint32_t)(s->state & 0xf) << STATE_SHIFT) |
	    ((uint32_t)(flags & R_FLAG_MASK) << FLAG_SHIFT);
	rec->threads = sat16(s->threads);
	rec->d_majflt = sat16(delta(s->major_faults, p->major_faults));
	rec->d_nvcsw = sat32(delta(s->ctx_voluntary, p->ctx_voluntary));
	rec->d_nivcsw = sat32(delta(s->ctx_involuntary, p->ctx_involuntary));
	rec->d_minflt = sat32(delta(s->minor_faults, p->minor_faults));
	dr = delta(s->read_bytes, p->read_bytes);
	dw = delta(s->write_bytes, p->write_bytes);
	if (dr > UINT32_MAX || dw > UINT32_MAX) {
		rec->fds_state |= (uint32_t)R_IO_SCALED << FLAG_SHIFT;
		dr /= IO_SCALE;
		dw /= IO_SCALE;
	}
	rec->d_read = sat32(dr);
	rec->d_write = sat32(dw);
	rec->fds_state |= (uint32_t)pack_delays(rec, s, p,
	    (flags & PW_SAMPLE_FIRST) != 0) << FLAG_SHIFT;

	r->last = *s;
	r->last.ts_ms = ts;
	r->head = (r->head + 1) % r->cap;
	if (r->count < r->cap)
		r->count++;
	r->pushed++;
}

/* Record i counted back from the newest (0 = newest). */
static const struct rec *
nth_newest(const struct pw_ring *r, size_t i)
{
	return &r->recs[(r->head + r->cap - 1 - i) % r->cap];
}

int
pw_ring_resize(struct pw_ring *r, size_t cap)
{
	struct rec *nr;
	size_t keep, i;

	if (cap == 0 || cap > SIZE_MAX / sizeof(struct rec))
		return -EINVAL;
	if (cap == r->cap)
		return 0;
	if ((nr = calloc(cap, sizeof(*nr))) == NULL)
		return -ENOMEM;
	keep = r->count < cap ? r->count : cap;
	for (i = 0; i < keep; i++)
		nr[keep - 1 - i] = *nth_newest(r, i);
	free(r->recs);
	r->recs = nr;
	r->cap = cap;
	r->count = keep;
	r->head = keep % cap;
	return 0;
}

size_t
pw_ring_len(const struct pw_ring *r)
{
	return r->count;
}

size_t
pw_ring_cap(const struct pw_ring *r)
{
	return r->cap;
}

uint64_t
pw_ring_pushed(const struct pw_ring *r)
{
	return r->pushed;
}

static unsigned
rec_flags(const struct rec *rec)
{
	return (rec->fds_state >> FLAG_SHIFT) & R_FLAG_MASK;
}

static uint64_t
cpu_delta(const struct rec *rec, uint16_t v)
{
	return (rec_flags(rec) & R_CPU_SCALED) ? (uint64_t)v * CPU_SCALE : v;
}

static uint64_t
io_delta(const struct rec *rec, uint32_t v)
{
	return (rec_flags(rec) & R_IO_SCALED) ? (uint64_t)v * IO_SCALE : v;
}

/* Delay i of rec in ns; only for a known one. */
static uint64_t
delay_delta(const struct rec *rec, int i)
{
	uint64_t v = rec->d_delay[i];

	if (rec_flags(rec) & R_DELAY_SCALED)
		v *= DELAY_SCALE;
	return v * DELAY_UNIT_NS;
}

static uint64_t
sub0(uint64_t a, uint64_t b)
{
	return a >= b ? a - b : 0;
}

/*
 * Decode record `rec` whose time and absolute counters are in *abs (the
 * caller walks them back from the newest).
 */
static void
decode(const struct pw_ring *r, const struct rec *rec,
    const struct pw_sample *abs, struct pw_sample *out)
{
	unsigned flags = rec_flags(rec);
	double dt_s;
	int i;

	*out = *abs;
	out->rss_bytes = (uint64_t)rec->rss_4k * 4096;
	out->vms_bytes = (uint64_t)rec->vms_4k * 4096;
	out->swap_bytes = (uint64_t)rec->swap_4k * 4096;
	out->open_fds = rec->fds_state & FDS_MAX;
	out->state = (enum pw_state)((rec->fds_state >> STATE_SHIFT) & 0xf);
	out->threads = rec->threads;
	out->flags = flags & (PW_SAMPLE_NO_IO | PW_SAMPLE_NO_FDS |
	    PW_SAMPLE_FIRST);
	out->cpu_user_pct = out->cpu_system_pct = 0;
	for (i = 0; i < NDELAYS; i++)
		*delay_pct(out, i) = 0;
	if (out->flags & PW_SAMPLE_FIRST)
		return;
	dt_s = (double)rec->dt_ms / 1000.0;
	if (dt_s <= 0)
		return;
	for (i = 0; i < NDELAYS; i++) {
		if (rec->d_delay[i] == DELAY_UNKNOWN)
			out->flags |= delay_flag[i];
		else
			*delay_pct(out, i) = 100.0 *
			    (double)delay_delta(rec, i) / 1e9 / dt_s;
	}
	out->cpu_user_pct = 100.0 * (double)cpu_delta(rec, rec->d_utime) /
	    (double)r->hz / dt_s;
	out->cpu_system_pct = 100.0 * (double)cpu_delta(rec, rec->d_stime) /
	    (double)r->hz / dt_s;
}

/* Step the absolute counters of `rec` back to those of its predecessor. */
static void
step_back(const struct rec *rec, struct pw_sample *abs)
{
	int i;

	abs->ts_ms -= rec->dt_ms;
	abs->utime_ticks = sub0(abs->utime_ticks, cpu_delta(rec, rec->d_utime));
	abs->stime_ticks = sub0(abs->stime_ticks, cpu_delta(rec, rec->d_stime));
	abs->major_faults = sub0(abs->major_faults, rec->d_majflt);
	abs->minor_faults = sub0(abs->minor_faults, rec->d_minflt);
	abs->ctx_voluntary = sub0(abs->ctx_voluntary, rec->d_nvcsw);
	abs->ctx_involuntary = sub0(abs->ctx_involuntary, rec->d_nivcsw);
	abs->read_bytes = sub0(abs->read_bytes, io_delta(rec, rec->d_read));
	abs->write_bytes = sub0(abs->write_bytes, io_delta(rec, rec->d_write));
	/*
	 * Older delay counters are known to the unit, and not across a step
	 * whose delta is unknown (they keep the later value): only the
	 * shares are for readers, and those each record holds.
	 */
	for (i = 0; i < NDELAYS; i++)
		if (rec->d_delay[i] != DELAY_UNKNOWN)
			*delay_ns(abs, i) = sub0(*delay_ns(abs, i),
			    delay_delta(rec, i));
}

int
pw_ring_latest(const struct pw_ring *r, struct pw_sample *out)
{
	if (r->count == 0)
		return -ENOENT;
	decode(r, nth_newest(r, 0), &r->last, out);
	return 0;
}

size_t
pw_ring_copy(const struct pw_ring *r, int64_t since_ms, struct pw_sample *out,
    size_t max)
{
	struct pw_sample abs = r->last;
	size_t n = 0, i;
	int64_t ts = r->last.ts_ms;
	const struct rec *rec;

	/* How many of the newest records are newer than since_ms. */
	while (n < r->count && n < max && ts > since_ms) {
		ts -= nth_newest(r, n)->dt_ms;
		n++;
	}
	for (i = 0; i < n; i++) {
		rec = nth_newest(r, i);
		decode(r, rec, &abs, &out[n - 1 - i]);
		step_back(rec, &abs);
	}
	return n;
}

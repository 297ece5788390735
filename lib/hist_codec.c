/*
 * hist_codec.c: a record's payload (before zstd): the series of one cycle
 * coded against the cycle before, and its events.
 *
 * DESIGN: a coder numbers the series it has seen since the last key
 * record (slots) and keeps each one's last values.  A record says
 *
 *   varint interval_ms
 *   varint nident, then each: slot, kind, pid, start (zigzag), name,
 *          cmdline, target, ncols       (new series, or changed strings)
 *   varint nleft, then each: slot       (present before, absent now)
 *   varint nchanged, then each: varint skip (unchanged present slots
 *          before it), varint length of the rest, its column mask
 *          (LEB128 over ncols bits), and one value per set bit
 *   varint nevents, then each event
 *
 * so a cycle in which nothing changed costs a handful of bytes whatever
 * the number of processes, and an idle process, whose values repeat,
 * costs nothing.  A value is coded against the slot's previous one (0
 * when unknown): two integers (counters, bytes, fds) as the zigzag delta
 * (tag 0), other doubles as their XOR with the trailing zero bits cut
 * (tag 1), unknown as tag 2, and a decimal fraction with at most three
 * places (CPU seconds are ticks / 100; a rate over a whole second) as the
 * zigzag delta of its value in tenths, hundredths or thousandths (tag 3),
 * used only when dividing back gives the very same double.  Lossless: the
 * bits read back are the bits written.  A key record starts from no slots, so reading can start at
 * any key record; the segment's index lists them.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hist_impl.h"

/* --- buffers and varints ------------------------------------------------ */

int
pw__hist_buf_reserve(struct hist_buf *b, size_t more)
{
	size_t cap;
	uint8_t *p;

	if (b->cap - b->len >= more)
		return 0;
	for (cap = b->cap ? b->cap : 4096; cap - b->len < more; cap *= 2)
		;
	if ((p = realloc(b->p, cap)) == NULL)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int
pw__hist_put(struct hist_buf *b, const void *p, size_t len)
{
	if (pw__hist_buf_reserve(b, len) < 0)
		return -ENOMEM;
	if (len > 0)
		memcpy(b->p + b->len, p, len);
	b->len += len;
	return 0;
}

int
pw__hist_put_varint(struct hist_buf *b, uint64_t v)
{
	if (pw__hist_buf_reserve(b, 10) < 0)
		return -ENOMEM;
	while (v >= 0x80) {
		b->p[b->len++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->p[b->len++] = (uint8_t)v;
	return 0;
}

static uint64_t
zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t
unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

int
pw__hist_put_svarint(struct hist_buf *b, int64_t v)
{
	return pw__hist_put_varint(b, zigzag(v));
}

int
pw__hist_put_str(struct hist_buf *b, const char *s)
{
	size_t len = s != NULL ? strlen(s) : 0;

	if (len > HIST_MAX_STR)
		len = HIST_MAX_STR;	/* a cmdline that long is cut */
	if (pw__hist_put_varint(b, len) < 0)
		return -ENOMEM;
	return pw__hist_put(b, s, len);
}

uint64_t
pw__hist_get_varint(struct hist_rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;
	uint8_t c;

	while (r->ok) {
		if (r->p >= r->end || shift > 63) {
			r->ok = false;
			break;
		}
		c = *r->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return v;
		shift += 7;
	}
	return 0;
}

int64_t
pw__hist_get_svarint(struct hist_rd *r)
{
	return unzigzag(pw__hist_get_varint(r));
}

uint8_t
pw__hist_get_u8(struct hist_rd *r)
{
	if (!r->ok || r->p >= r->end) {
		r->ok = false;
		return 0;
	}
	return *r->p++;
}

double
pw__hist_get_f64(struct hist_rd *r)
{
	uint64_t u;
	double d;

	if (!r->ok || r->end - r->p < 8) {
		r->ok = false;
		return 0;
	}
	memcpy(&u, r->p, 8);
	r->p += 8;
	memcpy(&d, &u, 8);
	return d;
}

const char *
pw__hist_get_str(struct hist_rd *r, char *buf, size_t len)
{
	uint64_t n = pw__hist_get_varint(r);

	if (!r->ok || n > HIST_MAX_STR || n >= len ||
	    (uint64_t)(r->end - r->p) < n) {
		r->ok = false;
		buf[0] = '\0';
		return buf;
	}
	memcpy(buf, r->p, n);
	buf[n] = '\0';
	r->p += n;
	return buf;
}

/* --- slots -------------------------------------------------------------- */

static uint32_t
hash_bytes(uint32_t h, const void *p, size_t len)
{
	const uint8_t *s = p;

	while (len-- > 0)
		h = (h ^ *s++) * 16777619u;
	return h;
}

static uint32_t
ident_hash(const struct pw_hist_ident *id)
{
	uint32_t h = 2166136261u;
	int32_t pid = id->pid;

	h = hash_bytes(h, &id->kind, sizeof(id->kind));
	if (id->kind == PW_HIST_PROC) {
		h = hash_bytes(h, &pid, sizeof(pid));
		return hash_bytes(h, &id->start_time_ms,
		    sizeof(id->start_time_ms));
	}
	return hash_bytes(h, id->name, strlen(id->name));
}

static bool
ident_same_key(const struct pw_hist_ident *a, const struct pw_hist_ident *b)
{
	if (a->kind != b->kind)
		return false;
	if (a->kind == PW_HIST_PROC)
		return a->pid == b->pid && a->start_time_ms == b->start_time_ms;
	return strcmp(a->name, b->name) == 0;
}

static bool
ident_same_strings(const struct pw_hist_ident *a,
    const struct pw_hist_ident *b)
{
	return strcmp(a->name, b->name) == 0 &&
	    strcmp(a->cmdline, b->cmdline) == 0 &&
	    strcmp(a->target, b->target) == 0;
}

static void
slot_strings_free(struct hist_slot *s)
{
	free((char *)s->id.name);
	free((char *)s->id.cmdline);
	free((char *)s->id.target);
	s->id.name = s->id.cmdline = s->id.target = NULL;
}

void
pw__hist_coder_reset(struct hist_coder *c)
{
	uint32_t i;

	for (i = 0; i < c->nslot; i++) {
		slot_strings_free(&c->slot[i]);
		free(c->slot[i].prev);
	}
	c->nslot = 0;
	c->npresent = 0;
	c->since_key = 0;
	if (c->hash != NULL)
		memset(c->hash, 0, c->hcap * sizeof(*c->hash));
}

void
pw__hist_coder_fini(struct hist_coder *c)
{
	pw__hist_coder_reset(c);
	free(c->slot);
	free(c->present);
	free(c->hash);
	memset(c, 0, sizeof(*c));
}

static int
hash_insert(struct hist_coder *c, uint32_t h, uint32_t slot)
{
	uint32_t i, *nh, ncap;

	if ((c->nslot + 1) * 2 > c->hcap) {
		ncap = c->hcap ? c->hcap * 2 : 1024;
		if ((nh = calloc(ncap, sizeof(*nh))) == NULL)
			return -ENOMEM;
		free(c->hash);
		c->hash = nh;
		c->hcap = ncap;
		for (i = 0; i < c->nslot; i++)	/* slot is not in yet */
			if (i != slot && hash_insert(c, c->slot[i].hash, i) < 0)
				return -ENOMEM;
	}
	for (i = h & (c->hcap - 1); c->hash[i] != 0; i = (i + 1) & (c->hcap - 1))
		;
	c->hash[i] = slot + 1;
	return 0;
}

static int64_t
hash_find(const struct hist_coder *c, const struct pw_hist_ident *id,
    uint32_t h)
{
	uint32_t i;

	if (c->hcap == 0)
		return -1;
	for (i = h & (c->hcap - 1); c->hash[i] != 0;
	    i = (i + 1) & (c->hcap - 1))
		if (c->slot[c->hash[i] - 1].hash == h &&
		    ident_same_key(&c->slot[c->hash[i] - 1].id, id))
			return c->hash[i] - 1;
	return -1;
}

/* A new slot with a copy of id's strings and unknown values. */
static int
slot_new(struct hist_coder *c, const struct pw_hist_ident *id, uint32_t ncols,
    uint32_t *out)
{
	struct hist_slot *s, *ns;
	uint32_t i, ncap;

	if (c->nslot >= HIST_MAX_SLOTS || ncols > HIST_MAX_COLS)
		return -EINVAL;
	if (c->nslot == c->cap) {
		ncap = c->cap ? c->cap * 2 : 256;
		if ((ns = realloc(c->slot, ncap * sizeof(*ns))) == NULL)
			return -ENOMEM;
		c->slot = ns;
		c->cap = ncap;
	}
	s = &c->slot[c->nslot];
	memset(s, 0, sizeof(*s));
	s->id = *id;
	s->ncols = ncols;
	s->id.name = strdup(id->name);
	s->id.cmdline = strdup(id->cmdline);
	s->id.target = strdup(id->target);
	s->prev = malloc((ncols ? ncols : 1) * sizeof(double));
	if (s->id.name == NULL || s->id.cmdline == NULL ||
	    s->id.target == NULL || s->prev == NULL) {
		slot_strings_free(s);
		free(s->prev);
		return -ENOMEM;
	}
	for (i = 0; i < ncols; i++)
		s->prev[i] = NAN;
	s->hash = ident_hash(id);
	*out = c->nslot++;
	return 0;
}

static int
slot_restring(struct hist_slot *s, const struct pw_hist_ident *id)
{
	char *n = strdup(id->name), *cl = strdup(id->cmdline),
	    *t = strdup(id->target);

	if (n == NULL || cl == NULL || t == NULL) {
		free(n);
		free(cl);
		free(t);
		return -ENOMEM;
	}
	slot_strings_free(s);
	s->id.name = n;
	s->id.cmdline = cl;
	s->id.target = t;
	return 0;
}

static int
present_set(struct hist_coder *c, const uint32_t *v, uint32_t n)
{
	uint32_t *np, ncap;

	if (n > c->prcap) {
		for (ncap = c->prcap ? c->prcap : 256; ncap < n; ncap *= 2)
			;
		if ((np = realloc(c->present, ncap * sizeof(*np))) == NULL)
			return -ENOMEM;
		c->present = np;
		c->prcap = ncap;
	}
	if (n > 0)
		memcpy(c->present, v, n * sizeof(*v));
	c->npresent = n;
	return 0;
}

/* --- values ------------------------------------------------------------- */

static bool
is_int(double v)
{
	return v >= -9007199254740992.0 && v <= 9007199254740992.0 &&
	    v == (double)(int64_t)v && !(v == 0 && signbit(v));
}

static uint64_t
bits(double v)
{
	uint64_t u;

	memcpy(&u, &v, 8);
	return u;
}

static double
from_bits(uint64_t u)
{
	double d;

	memcpy(&d, &u, 8);
	return d;
}

static const double p10[4] = { 1, 10, 100, 1000 };

/* The previous value at scale 10^e, as both ends compute it. */
static int64_t
scaled_prev(double prev, unsigned e)
{
	double p = prev * p10[e];

	return fabs(p) < 4503599627370496.0 ? llround(p) : 0;
}

static int
put_value(struct hist_buf *b, double prev, double v)
{
	uint64_t x;
	unsigned tz, e;
	int64_t k;

	if (isnan(prev))
		prev = 0;
	if (isnan(v))
		return pw__hist_put_varint(b, 2);
	if (is_int(v) && is_int(prev))
		return pw__hist_put_varint(b,
		    zigzag((int64_t)v - (int64_t)prev) << 2);
	/* A decimal fraction (ticks / 100, a rate over 1 s): scaled. */
	for (e = 1; e <= 3; e++) {
		if (!(fabs(v) * p10[e] < 4503599627370496.0))
			break;
		k = llround(v * p10[e]);
		if ((double)k / p10[e] != v)
			continue;
		return pw__hist_put_varint(b, zigzag(k - scaled_prev(prev, e))
		    << 4 | (uint64_t)e << 2 | 3);
	}
	x = bits(v) ^ bits(prev);
	tz = x != 0 ? (unsigned)__builtin_ctzll(x) : 0;
	if (pw__hist_put_varint(b, (uint64_t)tz << 2 | 1) < 0)
		return -ENOMEM;
	return pw__hist_put_varint(b, x >> tz);
}

static double
get_value(struct hist_rd *r, double prev)
{
	uint64_t tag = pw__hist_get_varint(r), x;

	if (isnan(prev))
		prev = 0;
	switch (tag & 3) {
	case 0:
		/* Valid data has |prev| <= 2^53 here; anything else is bad. */
		if (!(fabs(prev) <= 9007199254740992.0)) {
			r->ok = false;
			return NAN;
		}
		return (double)(int64_t)((uint64_t)(int64_t)prev +
		    (uint64_t)unzigzag(tag >> 2));
	case 1:
		if ((tag >> 2) > 63) {
			r->ok = false;
			return NAN;
		}
		x = pw__hist_get_varint(r);
		return from_bits(bits(prev) ^ (x << (tag >> 2)));
	case 2:
		return NAN;
	default:
		if (((tag >> 2) & 3) == 0) {
			r->ok = false;
			return NAN;
		}
		return (double)(int64_t)((uint64_t)scaled_prev(prev,
		    (tag >> 2) & 3) + (uint64_t)unzigzag(tag >> 4)) /
		    p10[(tag >> 2) & 3];
	}
}

static bool
same_bits(double a, double b)
{
	return bits(a) == bits(b) || (isnan(a) && isnan(b));
}

/* A column mask as LEB128 over its bits: col c is bit c. */
static int
put_mask(struct hist_buf *b, const double *prev, const double *cur,
    uint32_t ncols)
{
	uint32_t c, last = 0, i;
	uint8_t byte;

	for (c = 0; c < ncols; c++)
		if (!same_bits(prev[c], cur[c]))
			last = c + 1;
	/* bits [0, last): ceil(last / 7) bytes, at least one */
	for (i = 0; i == 0 || i < last; i += 7) {
		byte = 0;
		for (c = i; c < i + 7 && c < last; c++)
			if (!same_bits(prev[c], cur[c]))
				byte |= (uint8_t)(1u << (c - i));
		if (i + 7 < last)
			byte |= 0x80;
		if (pw__hist_put(b, &byte, 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* --- records ------------------------------------------------------------ */

static int
put_event(struct hist_buf *b, const struct pw_hist_event *e, int64_t ts_ms)
{
	uint8_t kind = (uint8_t)e->kind;
	uint64_t v = bits(e->value);

	if (pw__hist_put_svarint(b, (int64_t)((uint64_t)e->ts_ms -
	    (uint64_t)ts_ms)) < 0 ||
	    pw__hist_put(b, &kind, 1) < 0 ||
	    pw__hist_put_str(b, e->type) < 0 ||
	    pw__hist_put_varint(b, (uint64_t)(uint32_t)e->pid) < 0 ||
	    pw__hist_put_svarint(b, e->start_time_ms) < 0 ||
	    pw__hist_put_str(b, e->name) < 0 ||
	    pw__hist_put_str(b, e->target) < 0 ||
	    pw__hist_put(b, &v, 8) < 0 ||
	    pw__hist_put_str(b, e->detail) < 0)
		return -ENOMEM;
	return 0;
}

int
pw__hist_encode(struct hist_coder *c, const struct pw_hist_cycle *cy,
    bool key, struct hist_buf *out)
{
	struct hist_buf idents = { 0 }, changes = { 0 }, entry = { 0 };
	uint32_t *now = NULL, *ser_of = NULL;
	uint32_t nnow = 0, nident = 0, nchanged = 0, nleft = 0;
	uint32_t slot, i, j, skip, h;
	const struct hist_ser *se;
	struct hist_slot *s;
	int64_t f;
	int rc = -ENOMEM;

	if (key)
		pw__hist_coder_reset(c);
	c->stamp++;
	if (cy->n > 0 && (now = malloc(cy->n * sizeof(*now))) == NULL)
		return -ENOMEM;
	/* Slots of this cycle's series, declaring the new or changed. */
	for (i = 0; i < cy->n; i++) {
		se = &cy->ser[i];
		h = ident_hash(&se->id);
		f = hash_find(c, &se->id, h);
		if (f >= 0 && (c->slot[f].ncols != se->ncols ||
		    c->slot[f].seen == c->stamp))
			continue;	/* a duplicate key: the first wins */
		if (f < 0) {
			if ((rc = slot_new(c, &se->id, se->ncols, &slot)) < 0 ||
			    (rc = hash_insert(c, h, slot)) < 0)
				goto out;
			rc = -ENOMEM;
		} else {
			slot = (uint32_t)f;
			/* Declared again when it comes back or changed. */
			if (!ident_same_strings(&c->slot[slot].id, &se->id)) {
				if (slot_restring(&c->slot[slot], &se->id) < 0)
					goto out;
			} else if (c->slot[slot].present)
				goto known;
		}
		s = &c->slot[slot];
		if (pw__hist_put_varint(&idents, slot) < 0 ||
		    pw__hist_put_varint(&idents, (uint64_t)s->id.kind) < 0 ||
		    pw__hist_put_varint(&idents,
		    (uint64_t)(uint32_t)s->id.pid) < 0 ||
		    pw__hist_put_svarint(&idents, s->id.start_time_ms) < 0 ||
		    pw__hist_put_str(&idents, s->id.name) < 0 ||
		    pw__hist_put_str(&idents, s->id.cmdline) < 0 ||
		    pw__hist_put_str(&idents, s->id.target) < 0 ||
		    pw__hist_put_varint(&idents, s->ncols) < 0)
			goto out;
		nident++;
known:
		c->slot[slot].seen = c->stamp;
		now[nnow++] = slot;
	}
	if ((ser_of = malloc((c->nslot ? c->nslot : 1) *
	    sizeof(*ser_of))) == NULL)
		goto out;
	for (i = 0, j = 0; i < cy->n && j < nnow; i++) {
		se = &cy->ser[i];
		f = hash_find(c, &se->id, ident_hash(&se->id));
		if (f >= 0 && (uint32_t)f == now[j])
			ser_of[now[j++]] = i;
	}
	/* Present slots in ascending order (mostly sorted already). */
	for (i = 1; i < nnow; i++) {
		slot = now[i];
		for (j = i; j > 0 && now[j - 1] > slot; j--)
			now[j] = now[j - 1];
		now[j] = slot;
	}
	/* The changes, against each slot's previous values. */
	for (i = 0, skip = 0; i < nnow; i++) {
		s = &c->slot[now[i]];
		se = &cy->ser[ser_of[now[i]]];
		for (j = 0; j < s->ncols; j++)
			if (!same_bits(s->prev[j], se->val[j]))
				break;
		if (j == s->ncols) {
			skip++;
			continue;
		}
		entry.len = 0;
		if (put_mask(&entry, s->prev, se->val, s->ncols) < 0)
			goto out;
		for (j = 0; j < s->ncols; j++) {
			if (same_bits(s->prev[j], se->val[j]))
				continue;
			if (put_value(&entry, s->prev[j], se->val[j]) < 0)
				goto out;
			s->prev[j] = se->val[j];
		}
		/* Its length first: a reader after one series jumps over it. */
		if (pw__hist_put_varint(&changes, skip) < 0 ||
		    pw__hist_put_varint(&changes, entry.len) < 0 ||
		    pw__hist_put(&changes, entry.p, entry.len) < 0)
			goto out;
		nchanged++;
		skip = 0;
	}
	/* The slots that left. */
	for (i = 0; i < c->npresent; i++)
		if (c->slot[c->present[i]].seen != c->stamp)
			nleft++;
	if (pw__hist_put_varint(out, (uint64_t)cy->interval_ms) < 0 ||
	    pw__hist_put_varint(out, nident) < 0 ||
	    pw__hist_put(out, idents.p, idents.len) < 0 ||
	    pw__hist_put_varint(out, nleft) < 0)
		goto out;
	for (i = 0; i < c->npresent; i++)
		if (c->slot[c->present[i]].seen != c->stamp &&
		    pw__hist_put_varint(out, c->present[i]) < 0)
			goto out;
	if (pw__hist_put_varint(out, nchanged) < 0 ||
	    pw__hist_put(out, changes.p, changes.len) < 0 ||
	    pw__hist_put_varint(out, cy->nev) < 0)
		goto out;
	for (i = 0; i < cy->nev; i++)
		if (put_event(out, &cy->ev[i], cy->ts_ms) < 0)
			goto out;
	if (present_set(c, now, nnow) < 0)
		goto out;
	for (i = 0; i < c->nslot; i++)
		c->slot[i].present = c->slot[i].seen == c->stamp;
	c->since_key++;
	rc = 0;
out:
	free(ser_of);
	free(now);
	free(idents.p);
	free(changes.p);
	free(entry.p);
	return rc;
}

static int
get_event(struct hist_rd *r, int64_t ts_ms, struct pw_hist_cycle *into)
{
	char type[HIST_MAX_STR + 1], name[HIST_MAX_STR + 1];
	char target[HIST_MAX_STR + 1], detail[HIST_MAX_STR + 1];
	struct pw_hist_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ms = (int64_t)((uint64_t)ts_ms +
	    (uint64_t)pw__hist_get_svarint(r));	/* wraps, never UB */
	e.kind = (enum pw_hist_ev_kind)pw__hist_get_u8(r);
	e.type = pw__hist_get_str(r, type, sizeof(type));
	e.pid = (pid_t)(uint32_t)pw__hist_get_varint(r);
	e.start_time_ms = pw__hist_get_svarint(r);
	e.name = pw__hist_get_str(r, name, sizeof(name));
	e.target = pw__hist_get_str(r, target, sizeof(target));
	e.value = pw__hist_get_f64(r);
	e.detail = pw__hist_get_str(r, detail, sizeof(detail));
	if (!r->ok || (e.kind != PW_HIST_EV_PROCESS &&
	    e.kind != PW_HIST_EV_ALERT))
		return -EINVAL;
	return into != NULL ? pw_hist_cycle_add_event(into, &e) : 0;
}

int
pw__hist_decode(struct hist_coder *c, const uint8_t *p, size_t len, bool key,
    int64_t ts_ms, struct pw_hist_cycle *events, int64_t *interval_ms)
{
	char name[HIST_MAX_STR + 1], cmdline[HIST_MAX_STR + 1];
	char target[HIST_MAX_STR + 1];
	struct hist_rd r = { p, p + len, true };
	struct pw_hist_ident id;
	struct hist_slot *s;
	uint64_t n, i, slot, left, nev;
	uint8_t mask[HIST_MAX_COLS / 7 + 1], byte;
	const uint8_t *estart;
	uint64_t elen;
	uint32_t *now = NULL, nnow = 0, ncols, j, pos, nm;
	int rc = -EINVAL;

	if (key)
		pw__hist_coder_reset(c);
	c->stamp++;
	/* A year at most: a damaged one must not overflow gap arithmetic. */
	*interval_ms = (int64_t)pw__hist_get_varint(&r);
	if (*interval_ms < 0 || *interval_ms > 31536000000LL)
		*interval_ms = 0;
	n = pw__hist_get_varint(&r);
	if (!r.ok || n > HIST_MAX_SLOTS)
		return -EINVAL;
	/* At most every old present slot plus every declared one. */
	if ((now = malloc((c->npresent + n + 1) * sizeof(*now))) == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		slot = pw__hist_get_varint(&r);
		id.kind = (enum pw_hist_kind)pw__hist_get_varint(&r);
		id.pid = (pid_t)(uint32_t)pw__hist_get_varint(&r);
		id.start_time_ms = pw__hist_get_svarint(&r);
		id.name = pw__hist_get_str(&r, name, sizeof(name));
		id.cmdline = pw__hist_get_str(&r, cmdline, sizeof(cmdline));
		id.target = pw__hist_get_str(&r, target, sizeof(target));
		ncols = (uint32_t)pw__hist_get_varint(&r);
		if (!r.ok || id.kind > PW_HIST_CUSTOM || ncols > HIST_MAX_COLS ||
		    slot > c->nslot)
			goto out;
		if (slot == c->nslot) {
			if ((rc = slot_new(c, &id, ncols, &j)) < 0)
				goto out;
			rc = -EINVAL;
		} else {
			s = &c->slot[slot];
			if (s->seen == c->stamp || s->ncols != ncols ||
			    s->id.kind != id.kind)
				goto out;
			if (!ident_same_strings(&s->id, &id) &&
			    slot_restring(s, &id) < 0) {
				rc = -ENOMEM;
				goto out;
			}
			s->id.pid = id.pid;
			s->id.start_time_ms = id.start_time_ms;
		}
		c->slot[slot].seen = c->stamp;
		c->slot[slot].skip = c->keep != NULL &&
		    !c->keep(&c->slot[slot], c->keep_arg);
		now[nnow++] = (uint32_t)slot;
	}
	left = pw__hist_get_varint(&r);
	if (!r.ok || left > c->npresent)
		goto out;
	for (i = 0; i < left; i++) {
		slot = pw__hist_get_varint(&r);
		if (!r.ok || slot >= c->nslot || !c->slot[slot].present)
			goto out;
		c->slot[slot].present = false;
	}
	for (i = 0; i < c->npresent; i++)
		if (c->slot[c->present[i]].present)
			c->slot[c->present[i]].seen = c->stamp;
	/* Present now, in slot order: one pass, no sort. */
	for (j = 0, nnow = 0; j < c->nslot; j++) {
		c->slot[j].present = c->slot[j].seen == c->stamp;
		if (c->slot[j].present)
			now[nnow++] = j;
	}
	/* The changes. */
	n = pw__hist_get_varint(&r);
	if (!r.ok || n > nnow)
		goto out;
	for (i = 0, pos = 0; i < n; i++, pos++) {
		slot = pw__hist_get_varint(&r);
		if (!r.ok || slot >= nnow - pos)
			goto out;
		pos += (uint32_t)slot;
		s = &c->slot[now[pos]];
		elen = pw__hist_get_varint(&r);
		if (!r.ok || elen > (uint64_t)(r.end - r.p))
			goto out;
		if (s->skip) {		/* no one asked for it */
			r.p += elen;
			continue;
		}
		estart = r.p;
		/* The mask, then a value per set bit. */
		for (j = 0, nm = 0;; j += 7) {
			byte = pw__hist_get_u8(&r);
			if (!r.ok || (j + 7 > s->ncols &&
			    (byte & 0x7f) >> (s->ncols > j ? s->ncols - j : 0)))
				goto out;
			mask[nm++] = byte;
			if (!(byte & 0x80))
				break;
			if (j + 7 >= s->ncols)
				goto out;
		}
		for (j = 0; j < nm * 7 && j < s->ncols; j++)
			if (mask[j / 7] & (1u << (j % 7)))
				s->prev[j] = get_value(&r, s->prev[j]);
		if (!r.ok || r.p != estart + elen)
			goto out;
	}
	nev = pw__hist_get_varint(&r);
	if (!r.ok || nev > len)
		goto out;
	for (i = 0; i < nev; i++)
		if ((rc = get_event(&r, ts_ms, events)) < 0)
			goto out;
	rc = -EINVAL;
	if (r.p != r.end)
		goto out;
	if (present_set(c, now, nnow) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	c->since_key++;
	rc = 0;
out:
	free(now);
	return rc;
}

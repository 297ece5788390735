/*
 * smaps.c: parsing and reading /proc/PID/smaps_rollup and /proc/PID/smaps
 * (procwatch/smaps.h).
 *
 * DESIGN: the parser is a line machine fed in chunks.  A line is copied
 * into a fixed buffer (the rest of a longer one is dropped) and then read
 * as either a mapping's header ("start-end perms offset dev inode name")
 * or a field ("Key:   123 kB").  A header closes the mapping before it,
 * which goes into a min-heap of the `limit` largest by PSS, so the
 * parser's memory is fixed at creation whatever the file holds.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/smaps.h>

#include "internal.h"
#include "procfs_impl.h"
#include "pwutil.h"

#define READ_CHUNK	(64 * 1024)	/* smaps is read this much at a time */
#define ROLLUP_BUF	4096		/* smaps_rollup is about 1 KB */

struct pw_smaps_parser {
	size_t			 limit;
	struct pw_smaps_map	*heap;		/* min-heap, limit entries */
	size_t			 nheap;
	size_t			 nmaps;
	struct pw_smaps_totals	 tot;
	bool			 in_map;	/* cur is a mapping */
	struct pw_smaps_map	 cur;
	size_t			 linelen;
	char			 line[PW_SMAPS_LINE_MAX];
};

/* The fields kept, by key: where in the totals and in a mapping. */
enum field {
	F_SIZE, F_RSS, F_PSS, F_SHARED_CLEAN, F_SHARED_DIRTY,
	F_PRIVATE_CLEAN, F_PRIVATE_DIRTY, F_ANONYMOUS, F_SWAP, F_SWAP_PSS,
	F_LOCKED, F_NONE
};

static const struct {
	const char	*key;
	enum field	 f;
} fields[] = {
	{ "Size", F_SIZE }, { "Rss", F_RSS }, { "Pss", F_PSS },
	{ "Shared_Clean", F_SHARED_CLEAN }, { "Shared_Dirty", F_SHARED_DIRTY },
	{ "Private_Clean", F_PRIVATE_CLEAN },
	{ "Private_Dirty", F_PRIVATE_DIRTY }, { "Anonymous", F_ANONYMOUS },
	{ "Swap", F_SWAP }, { "SwapPss", F_SWAP_PSS }, { "Locked", F_LOCKED },
};

static void
parser_init(struct pw_smaps_parser *p, size_t limit,
    struct pw_smaps_map *heap)
{
	memset(p, 0, offsetof(struct pw_smaps_parser, line));
	p->limit = limit;
	p->heap = heap;
}

struct pw_smaps_parser *
pw_smaps_parser_new(size_t limit)
{
	struct pw_smaps_parser *p;
	struct pw_smaps_map *heap = NULL;

	if (limit > PW_SMAPS_LIMIT_MAX)
		return NULL;
	if (limit > 0 && (heap = calloc(limit, sizeof(*heap))) == NULL)
		return NULL;
	if ((p = malloc(sizeof(*p))) == NULL) {
		free(heap);
		return NULL;
	}
	parser_init(p, limit, heap);
	return p;
}

void
pw_smaps_parser_free(struct pw_smaps_parser *p)
{
	if (p == NULL)
		return;
	free(p->heap);
	free(p);
}

/* --- the heap of the largest mappings ------------------------------------- */

/* Is a smaller than b: less PSS, then less RSS, then a higher address. */
static bool
map_less(const struct pw_smaps_map *a, const struct pw_smaps_map *b)
{
	if (a->pss != b->pss)
		return a->pss < b->pss;
	if (a->rss != b->rss)
		return a->rss < b->rss;
	return a->start > b->start;
}

static void
swap_maps(struct pw_smaps_map *a, struct pw_smaps_map *b)
{
	struct pw_smaps_map t = *a;

	*a = *b;
	*b = t;
}

static void
sift_down(struct pw_smaps_map *h, size_t n, size_t i)
{
	size_t l, r, m;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < n && map_less(&h[l], &h[m]))
			m = l;
		if (r < n && map_less(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		swap_maps(&h[i], &h[m]);
		i = m;
	}
}

static void
keep_map(struct pw_smaps_parser *p, const struct pw_smaps_map *m)
{
	size_t i;

	if (p->limit == 0)
		return;
	if (p->nheap < p->limit) {
		i = p->nheap++;
		p->heap[i] = *m;
		while (i > 0 && map_less(&p->heap[i], &p->heap[(i - 1) / 2])) {
			swap_maps(&p->heap[i], &p->heap[(i - 1) / 2]);
			i = (i - 1) / 2;
		}
		return;
	}
	if (!map_less(&p->heap[0], m))
		return;
	p->heap[0] = *m;
	sift_down(p->heap, p->nheap, 0);
}

static void
close_map(struct pw_smaps_parser *p)
{
	if (!p->in_map)
		return;
	keep_map(p, &p->cur);
	p->in_map = false;
}

/* --- lines ---------------------------------------------------------------- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A hex number of 1 to 16 digits at *s: advances *s, or false. */
static bool
take_hex(const char **s, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0, d;

	while (*s < end && (d = hexval(**s)) >= 0) {
		if (++n > 16)
			return false;
		v = v << 4 | (uint64_t)d;
		(*s)++;
	}
	*out = v;
	return n > 0;
}

static void
skip_spaces(const char **s, const char *end)
{
	while (*s < end && (**s == ' ' || **s == '\t'))
		(*s)++;
}

/* Skip one token (non-blank bytes): false if there is none. */
static bool
skip_token(const char **s, const char *end)
{
	const char *t = *s;

	while (*s < end && **s != ' ' && **s != '\t')
		(*s)++;
	return *s > t;
}

/*
 * A mapping's header: "start-end perms offset dev inode [name]".  The name
 * runs to the end of the line and may hold spaces ("... (deleted)").
 */
static bool
parse_header(struct pw_smaps_parser *p, const char *s, const char *end,
    bool cut)
{
	struct pw_smaps_map m;
	const char *perm;
	size_t n;
	int i;

	memset(&m, 0, sizeof(m));
	if (!take_hex(&s, end, &m.start) || s == end || *s++ != '-' ||
	    !take_hex(&s, end, &m.end) || s == end || *s != ' ')
		return false;
	skip_spaces(&s, end);
	perm = s;
	/* proc(5): [r-][w-][x-][sp]; anything else is not a header. */
	if (!skip_token(&s, end) || s - perm != 4 ||
	    (perm[0] != 'r' && perm[0] != '-') ||
	    (perm[1] != 'w' && perm[1] != '-') ||
	    (perm[2] != 'x' && perm[2] != '-') ||
	    (perm[3] != 's' && perm[3] != 'p'))
		return false;
	memcpy(m.perms, perm, 4);
	for (i = 0; i < 3; i++) {	/* offset, device, inode */
		skip_spaces(&s, end);
		if (!skip_token(&s, end))
			return false;
	}
	skip_spaces(&s, end);
	n = (size_t)(end - s);
	if (n == 0)
		memcpy(m.name, "[anon]", sizeof("[anon]"));
	else if (n < sizeof(m.name) && !cut)
		memcpy(m.name, s, n);
	else {
		n = n < sizeof(m.name) - 4 ? n : sizeof(m.name) - 4;
		memcpy(m.name, s, n);
		memcpy(m.name + n, "...", 4);
	}
	close_map(p);
	p->cur = m;
	p->in_map = true;
	p->nmaps++;
	return true;
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* "Key:   123 kB": false if it is not such a line. */
static bool
parse_field(struct pw_smaps_parser *p, const char *s, const char *end)
{
	struct pw_smaps_totals *t = &p->tot;
	struct pw_smaps_map *m = p->in_map ? &p->cur : NULL;
	const char *key = s;
	enum field f = F_NONE;
	uint64_t v = 0, *tf = NULL;
	size_t klen, i;
	int digits = 0;

	while (s < end && *s != ':')
		s++;
	if (s == end)
		return false;
	klen = (size_t)(s - key);
	for (i = 0; i < NELEM(fields); i++)
		if (strlen(fields[i].key) == klen &&
		    memcmp(fields[i].key, key, klen) == 0) {
			f = fields[i].f;
			break;
		}
	if (f == F_NONE)
		return true;		/* a field we do not keep */
	s++;
	skip_spaces(&s, end);
	while (s < end && *s >= '0' && *s <= '9') {
		if (++digits > 19)
			return true;	/* no such figure: ignored */
		v = v * 10 + (uint64_t)(*s++ - '0');
	}
	skip_spaces(&s, end);
	if (digits == 0 || end - s != 2 || s[0] != 'k' || s[1] != 'B')
		return true;		/* malformed: ignored */
	v = v > UINT64_MAX / 1024 ? UINT64_MAX : v * 1024;
	switch (f) {
	case F_SIZE:
		if (m != NULL)
			m->size = sat_add(m->size, v);
		return true;
	case F_RSS:
		tf = &t->rss;
		if (m != NULL)
			m->rss = sat_add(m->rss, v);
		break;
	case F_PSS:
		tf = &t->pss;
		t->has_pss = true;
		if (m != NULL)
			m->pss = sat_add(m->pss, v);
		break;
	case F_SHARED_CLEAN:
		tf = &t->shared_clean;
		break;
	case F_SHARED_DIRTY:
		tf = &t->shared_dirty;
		break;
	case F_PRIVATE_CLEAN:
		tf = &t->private_clean;
		if (m != NULL)
			m->private_bytes = sat_add(m->private_bytes, v);
		break;
	case F_PRIVATE_DIRTY:
		tf = &t->private_dirty;
		if (m != NULL)
			m->private_bytes = sat_add(m->private_bytes, v);
		break;
	case F_ANONYMOUS:
		tf = &t->anonymous;
		break;
	case F_SWAP:
		tf = &t->swap;
		if (m != NULL)
			m->swap = sat_add(m->swap, v);
		break;
	case F_SWAP_PSS:
		tf = &t->swap_pss;
		t->has_swap_pss = true;
		if (m != NULL)
			m->swap_pss = sat_add(m->swap_pss, v);
		break;
	case F_LOCKED:
		tf = &t->locked;
		break;
	case F_NONE:
		break;
	}
	if (tf != NULL)
		*tf = sat_add(*tf, v);
	return true;
}

static bool
is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static void
parse_line(struct pw_smaps_parser *p, bool cut)
{
	const char *s = p->line, *end = p->line + p->linelen, *k;

	for (k = s; k < end && is_key_char(*k); k++)
		;
	if (k > s && k < end && *k == ':') {
		if (!cut)
			(void)parse_field(p, s, end);
		return;
	}
	(void)parse_header(p, s, end, cut);
}

void
pw_smaps_parser_feed(struct pw_smaps_parser *p, const char *buf, size_t len)
{
	const char *nl, *end = buf + len;
	size_t n, room;

	while (buf < end) {
		nl = memchr(buf, '\n', (size_t)(end - buf));
		n = (size_t)((nl != NULL ? nl : end) - buf);
		/* linelen past the buffer marks a cut line. */
		if (p->linelen <= sizeof(p->line)) {
			room = sizeof(p->line) - p->linelen;
			memcpy(p->line + p->linelen, buf, n <= room ? n : room);
			p->linelen = n <= room ? p->linelen + n :
			    sizeof(p->line) + 1;
		}
		if (nl == NULL)
			return;
		if (p->linelen > sizeof(p->line)) {
			p->linelen = sizeof(p->line);
			parse_line(p, true);
		} else
			parse_line(p, false);
		p->linelen = 0;
		buf = nl + 1;
	}
}

static int
cmp_desc(const void *a, const void *b)
{
	const struct pw_smaps_map *x = a, *y = b;

	if (map_less(x, y))
		return 1;
	return map_less(y, x) ? -1 : 0;
}

/* The end of the input: the last line and the last mapping. */
static void
parser_end(struct pw_smaps_parser *p)
{
	bool cut = p->linelen > sizeof(p->line);

	if (p->linelen > 0) {
		if (cut)
			p->linelen = sizeof(p->line);
		parse_line(p, cut);
		p->linelen = 0;
	}
	close_map(p);
}

int
pw_smaps_parser_finish(struct pw_smaps_parser *p,
    struct pw_smaps_totals *tot, size_t *nmaps, struct pw_smaps_map **maps,
    size_t *n)
{
	struct pw_smaps_map *out = NULL;

	parser_end(p);
	if (p->nheap > 0) {
		if ((out = malloc(p->nheap * sizeof(*out))) == NULL)
			return -ENOMEM;
		memcpy(out, p->heap, p->nheap * sizeof(*out));
		qsort(out, p->nheap, sizeof(*out), cmp_desc);
	}
	*tot = p->tot;
	*nmaps = p->nmaps;
	*maps = out;
	*n = p->nheap;
	return 0;
}

int
pw_smaps_parse_rollup(const char *buf, size_t len,
    struct pw_smaps_totals *out)
{
	struct pw_smaps_parser p;

	parser_init(&p, 0, NULL);
	pw_smaps_parser_feed(&p, buf, len);
	parser_end(&p);
	if (!p.tot.has_pss && p.tot.rss == 0)
		return -EINVAL;
	*out = p.tot;
	return 0;
}

/* --- readers -------------------------------------------------------------- */

/*
 * The answer to a read that failed with ESRCH: the kernel says so both
 * when the process is gone and when it has no address space to show.
 */
static int
no_mm_or_gone(const struct pw_procfs *fs, pid_t pid)
{
	int fd;

	if ((fd = pw__procfs_open(fs, pid, "stat")) < 0)
		return -ESRCH;
	close(fd);
	return -ENODATA;
}

/*
 * Open a smaps file: the errors of procwatch/smaps.h.  The kernel fails
 * the open of a kernel thread's with ESRCH (no address space); a file
 * that is not there is a kernel without it, if the process still is.
 */
static int
open_smaps(const struct pw_procfs *fs, pid_t pid, const char *name)
{
	int fd = pw__procfs_open(fs, pid, name);

	if (fd == -ENOENT || fd == -ESRCH) {
		int rc = no_mm_or_gone(fs, pid);

		return rc == -ENODATA && fd == -ENOENT ? -ENOENT : rc;
	}
	return fd;
}

int
pw_smaps_read_rollup(const struct pw_procfs *fs, pid_t pid,
    struct pw_smaps_totals *out)
{
	char buf[ROLLUP_BUF];
	ssize_t n;
	int fd, rc;

	if ((fd = open_smaps(fs, pid, "smaps_rollup")) < 0)
		return fd;
	n = pw__read_upto(fd, buf, sizeof(buf));
	close(fd);
	if (n == -ESRCH || n == 0)
		return no_mm_or_gone(fs, pid);
	if (n < 0)
		return (int)n;
	if ((rc = pw_smaps_parse_rollup(buf, pw__procfs_whole_lines(buf,
	    (size_t)n, sizeof(buf)), out)) < 0)
		return rc;
	return 0;
}

int
pw_smaps_read_maps(const struct pw_procfs *fs, pid_t pid, size_t limit,
    struct pw_smaps_totals *tot, size_t *nmaps, struct pw_smaps_map **maps,
    size_t *n)
{
	struct pw_smaps_parser *p;
	size_t total = 0;
	ssize_t r;
	char *buf;
	int fd, rc;

	if ((fd = open_smaps(fs, pid, "smaps")) < 0)
		return fd;
	buf = malloc(READ_CHUNK);
	p = pw_smaps_parser_new(limit);
	if (buf == NULL || p == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	while ((r = pw__read_upto(fd, buf, READ_CHUNK)) > 0) {
		pw_smaps_parser_feed(p, buf, (size_t)r);
		total += (size_t)r;
		if ((size_t)r < READ_CHUNK)
			break;
	}
	if (r == -ESRCH && total == 0)
		rc = no_mm_or_gone(fs, pid);
	else if (r < 0)
		rc = (int)r;
	else
		rc = pw_smaps_parser_finish(p, tot, nmaps, maps, n);
out:
	pw_smaps_parser_free(p);
	free(buf);
	close(fd);
	return rc;
}

/*
 * groupacc.c: one group's aggregate sample per cycle (procwatch/groupacc.h
 * says what is summed and why CPU and counters are accumulated).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/groupacc.h>
#include <procwatch/store.h>

/* Credits older than this many cycles are dropped unused. */
#define CREDIT_CYCLES	2

/* An exited member's CPU that its parent's cutime/cstime will show. */
struct credit {
	pid_t		 ppid;
	uint64_t	 user, sys;
	unsigned	 age;		/* cycles it has been waiting */
};

/* A member whose cutime/cstime grew this cycle. */
struct reaper {
	pid_t		 pid;
	uint64_t	 user, sys;
};

struct pw_groupacc {
	int64_t			 now_ms;
	int64_t			 prev_ms;	/* 0: no previous cycle */
	struct pw_group_sample	 cur;
	uint64_t		 prev_user, prev_sys;	/* cumulative ticks */
	bool			 any_fds, any_io;
	uint32_t		 sampled;
	struct credit		*credits;
	size_t			 ncredits, capcredits;
	struct reaper		*reapers;
	size_t			 nreapers, capreapers;
};

struct pw_groupacc *
pw_groupacc_new(void)
{
	return calloc(1, sizeof(struct pw_groupacc));
}

void
pw_groupacc_free(struct pw_groupacc *a)
{
	if (a == NULL)
		return;
	free(a->credits);
	free(a->reapers);
	free(a);
}

void
pw_groupacc_begin(struct pw_groupacc *a, int64_t now_ms)
{
	struct pw_group_sample *c = &a->cur;

	a->now_ms = now_ms;
	/* Cumulative figures carry over; this cycle's sums start at 0. */
	c->ts_ms = now_ms;
	c->processes = c->threads = 0;
	c->rss_bytes = c->vms_bytes = c->swap_bytes = c->open_fds = 0;
	c->fd_usage_max = 0;
	c->fd_usage_pid = 0;
	c->cpu_user_pct = c->cpu_system_pct = 0;
	c->flags = 0;
	a->any_fds = a->any_io = false;
	a->sampled = 0;
	a->nreapers = 0;
}

/* b - a, or 0 when the counter went backwards (it cannot; a reset). */
static uint64_t
delta(uint64_t a, uint64_t b)
{
	return b > a ? b - a : 0;
}

static uint64_t
add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static int
grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *nv;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if ((nv = realloc(*v, ncap * size)) == NULL)
		return -ENOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

int
pw_groupacc_member(struct pw_groupacc *a, pid_t pid, pid_t ppid,
    const struct pw_sample *prev, const struct pw_sample *cur,
    uint64_t fd_limit, int64_t start_ms)
{
	struct pw_group_sample *c = &a->cur;
	struct pw_sample zero = { 0 };
	uint64_t cu, cs;
	int rc = 0;

	(void)ppid;
	c->processes++;
	a->sampled++;
	c->threads += cur->threads;
	c->rss_bytes = add_sat(c->rss_bytes, cur->rss_bytes);
	c->vms_bytes = add_sat(c->vms_bytes, cur->vms_bytes);
	c->swap_bytes = add_sat(c->swap_bytes, cur->swap_bytes);
	if (!(cur->flags & PW_SAMPLE_NO_FDS)) {
		a->any_fds = true;
		c->open_fds += cur->open_fds;
		if (fd_limit > 0) {
			double u = (double)cur->open_fds / (double)fd_limit;

			if (u > c->fd_usage_max || c->fd_usage_pid == 0 ||
			    (u == c->fd_usage_max && pid < c->fd_usage_pid)) {
				c->fd_usage_max = u;
				c->fd_usage_pid = pid;
			}
		}
	}
	if (!(cur->flags & PW_SAMPLE_NO_IO))
		a->any_io = true;

	if (prev == NULL) {
		/*
		 * First seen.  Started since the group's previous cycle: all
		 * it did is the group's.  Otherwise its past is not.
		 */
		if (a->prev_ms == 0 || start_ms < a->prev_ms)
			return 0;
		prev = &zero;
	}
	c->cpu_user_ticks = add_sat(c->cpu_user_ticks,
	    delta(prev->utime_ticks, cur->utime_ticks));
	c->cpu_system_ticks = add_sat(c->cpu_system_ticks,
	    delta(prev->stime_ticks, cur->stime_ticks));
	if (!(cur->flags & PW_SAMPLE_NO_IO) &&
	    (prev == &zero || !(prev->flags & PW_SAMPLE_NO_IO))) {
		c->read_bytes = add_sat(c->read_bytes,
		    delta(prev->read_bytes, cur->read_bytes));
		c->write_bytes = add_sat(c->write_bytes,
		    delta(prev->write_bytes, cur->write_bytes));
	}
	c->ctx_voluntary = add_sat(c->ctx_voluntary,
	    delta(prev->ctx_voluntary, cur->ctx_voluntary));
	c->ctx_involuntary = add_sat(c->ctx_involuntary,
	    delta(prev->ctx_involuntary, cur->ctx_involuntary));
	c->minor_faults = add_sat(c->minor_faults,
	    delta(prev->minor_faults, cur->minor_faults));
	c->major_faults = add_sat(c->major_faults,
	    delta(prev->major_faults, cur->major_faults));

	cu = delta(prev->cutime_ticks, cur->cutime_ticks);
	cs = delta(prev->cstime_ticks, cur->cstime_ticks);
	if (cu == 0 && cs == 0)
		return 0;
	/* Credits are settled in end(), once every exit is known. */
	if (grow((void **)&a->reapers, &a->capreapers, a->nreapers,
	    sizeof(*a->reapers)) == 0) {
		a->reapers[a->nreapers].pid = pid;
		a->reapers[a->nreapers].user = cu;
		a->reapers[a->nreapers].sys = cs;
		a->nreapers++;
	} else {
		c->cpu_user_ticks = add_sat(c->cpu_user_ticks, cu);
		c->cpu_system_ticks = add_sat(c->cpu_system_ticks, cs);
		c->children_ticks = add_sat(c->children_ticks, cu + cs);
		rc = -ENOMEM;
	}
	return rc;
}

void
pw_groupacc_unsampled(struct pw_groupacc *a)
{
	a->cur.processes++;
}

int
pw_groupacc_exit(struct pw_groupacc *a, pid_t pid, pid_t ppid,
    const struct pw_sample *last)
{
	struct credit *cr;

	(void)pid;
	a->cur.exited++;
	if (last == NULL || ppid <= 0)
		return 0;
	if (grow((void **)&a->credits, &a->capcredits, a->ncredits,
	    sizeof(*a->credits)) < 0)
		return -ENOMEM;
	cr = &a->credits[a->ncredits++];
	cr->ppid = ppid;
	/* What wait(2) will add to the parent's cutime and cstime. */
	cr->user = add_sat(last->utime_ticks, last->cutime_ticks);
	cr->sys = add_sat(last->stime_ticks, last->cstime_ticks);
	cr->age = 0;
	return 0;
}

/* Take up to *want from *have; return what was taken. */
static uint64_t
take(uint64_t *have, uint64_t *want)
{
	uint64_t t = *have < *want ? *have : *want;

	*have -= t;
	*want -= t;
	return t;
}

void
pw_groupacc_end(struct pw_groupacc *a, long hz, struct pw_group_sample *out)
{
	struct pw_group_sample *c = &a->cur;
	size_t i, j;
	double secs;

	/* Each reaper's growth, less what its exited member children had. */
	for (i = 0; i < a->nreapers; i++) {
		struct reaper *r = &a->reapers[i];

		for (j = 0; j < a->ncredits; j++) {
			struct credit *cr = &a->credits[j];

			if (cr->ppid != r->pid)
				continue;
			(void)take(&cr->user, &r->user);
			(void)take(&cr->sys, &r->sys);
		}
		c->cpu_user_ticks = add_sat(c->cpu_user_ticks, r->user);
		c->cpu_system_ticks = add_sat(c->cpu_system_ticks, r->sys);
		c->children_ticks = add_sat(c->children_ticks,
		    add_sat(r->user, r->sys));
	}
	/* Keep credits not used up for the next cycle, for a while. */
	for (i = j = 0; i < a->ncredits; i++) {
		struct credit *cr = &a->credits[i];

		if ((cr->user == 0 && cr->sys == 0) ||
		    ++cr->age >= CREDIT_CYCLES)
			continue;
		a->credits[j++] = *cr;
	}
	a->ncredits = j;

	if (c->processes > 0 && a->sampled > 0 && !a->any_fds)
		c->flags |= PW_GSAMPLE_NO_FDS;
	if (c->processes > 0 && a->sampled > 0 && !a->any_io)
		c->flags |= PW_GSAMPLE_NO_IO;
	secs = (double)(a->now_ms - a->prev_ms) / 1000.0;
	if (a->prev_ms == 0 || secs <= 0 || hz <= 0) {
		c->flags |= PW_GSAMPLE_NO_CPU;
	} else {
		c->cpu_user_pct = (double)delta(a->prev_user,
		    c->cpu_user_ticks) / (double)hz / secs * 100.0;
		c->cpu_system_pct = (double)delta(a->prev_sys,
		    c->cpu_system_ticks) / (double)hz / secs * 100.0;
	}
	a->prev_user = c->cpu_user_ticks;
	a->prev_sys = c->cpu_system_ticks;
	a->prev_ms = a->now_ms;
	*out = *c;
	c->exited = 0;		/* exits may be noted before the next begin */
}

void
pw_group_sample_as_sample(const struct pw_group_sample *g,
    struct pw_sample *s)
{
	memset(s, 0, sizeof(*s));
	s->ts_ms = g->ts_ms;
	s->utime_ticks = g->cpu_user_ticks;
	s->stime_ticks = g->cpu_system_ticks;
	s->cpu_user_pct = g->cpu_user_pct;
	s->cpu_system_pct = g->cpu_system_pct;
	s->rss_bytes = g->rss_bytes;
	s->vms_bytes = g->vms_bytes;
	s->swap_bytes = g->swap_bytes;
	s->ctx_voluntary = g->ctx_voluntary;
	s->ctx_involuntary = g->ctx_involuntary;
	s->minor_faults = g->minor_faults;
	s->major_faults = g->major_faults;
	s->read_bytes = g->read_bytes;
	s->write_bytes = g->write_bytes;
	s->open_fds = g->open_fds > UINT32_MAX ? UINT32_MAX :
	    (uint32_t)g->open_fds;
	s->threads = g->threads;
	s->state = PW_STATE_UNKNOWN;
	s->flags = PW_SAMPLE_NO_DELAYS;		/* a process's figures only */
	if (g->flags & PW_GSAMPLE_NO_CPU)
		s->flags |= PW_SAMPLE_FIRST;
	if (g->flags & PW_GSAMPLE_NO_FDS)
		s->flags |= PW_SAMPLE_NO_FDS;
	if (g->flags & PW_GSAMPLE_NO_IO)
		s->flags |= PW_SAMPLE_NO_IO;
}

/* pw_sample_memory_pct() is the one computation of memory %. */
double
pw_group_sample_memory_pct(const struct pw_group_sample *s,
    uint64_t mem_total)
{
	struct pw_sample ps;

	pw_group_sample_as_sample(s, &ps);
	return pw_sample_memory_pct(&ps, mem_total);
}

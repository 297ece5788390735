/*
 * pss.c: PSS, USS and swap PSS of the biggest processes on a slower
 * schedule than the samples, and a process's memory map on demand
 * (procwatch/smaps.h).
 *
 * DESIGN: reading smaps_rollup makes the kernel walk the process's page
 * tables, which costs in proportion to its resident memory (tens of
 * microseconds for a small process, milliseconds for gigabytes) where a
 * sample costs a few microseconds.  So it is read for the pss_top
 * processes by RSS only, each once per pss_every_ms, and on the sampler
 * thread: it already holds the pid table, ranks by this cycle's RSS and
 * publishes in its commit, so no lock or thread is added.  A round starts
 * every pss_every_ms: it ranks the live processes by RSS, clears the
 * figures of those no longer in the top (they are unknown, not stale:
 * a value in the JSON or on /metrics is never older than a round) and
 * queues the chosen ones, biggest first.  Each cycle then reads its share
 * of the queue (the round's reads spread evenly over its cycles) and
 * stops early once its reads took 2 % of the interval, so that one cycle
 * is never held up by more than one slow read.  A round that has not
 * read all of its processes when the next is due goes on until it has,
 * and the next starts then: late, never cut, or with the largest
 * processes eating each cycle's budget the smaller ones of the top would
 * never be read (at pss_every_ms equal to the interval, the round would
 * start afresh, biggest first, every cycle).  bench/RESULTS.md has what
 * it costs per process-sample.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/monitor.h>
#include <procwatch/smaps.h>

#include "monitor_impl.h"
#include "pwutil.h"

/* A cycle stops reading once its reads took this share of the interval. */
#define PSS_BUDGET_DIV	50

static int
cmp_rss_desc(const void *a, const void *b)
{
	const struct pw__pss_entry *x = a, *y = b;

	if (x->rss_bytes != y->rss_bytes)
		return x->rss_bytes < y->rss_bytes ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Clear p's published figures at the next commit. */
static void
forget(struct pw_proc *p)
{
	if (p->pss.ts_ms == 0 && !p->pss_dirty)
		return;
	memset(&p->pss_next, 0, sizeof(p->pss_next));
	p->pss_dirty = true;
}

static void
start_round(struct pw_monitor *m, int64_t now_ms)
{
	size_t top = m->cfg.pss_top, n = 0, i, cycles;
	struct pw__pss_entry *cand = NULL, *q;
	struct pw_proc *p;

	m->pss_due_ms = now_ms + (int64_t)m->cfg.pss_every_ms;
	m->pss_n = m->pss_pos = 0;
	if (top > 0 && m->nknown > 0 &&
	    (cand = malloc(m->nknown * sizeof(*cand))) == NULL)
		top = 0;		/* out of memory: none this round */
	for (i = 0; i < m->nknown; i++) {
		if ((p = m->known[i].proc) == NULL)
			continue;
		p->pss_chosen = false;
		/* Sampled this cycle: alive, with this cycle's RSS. */
		if (top > 0 && p->has_pending && !p->vanished)
			cand[n++] = (struct pw__pss_entry){ p->pid,
			    p->start_ticks, p->pending.rss_bytes };
	}
	if (n > 1)
		qsort(cand, n, sizeof(*cand), cmp_rss_desc);
	n = n < top ? n : top;
	if (n > m->pss_cap) {
		if ((q = realloc(m->pss_queue, n * sizeof(*q))) == NULL)
			n = m->pss_cap;	/* the biggest that fit */
		else {
			m->pss_queue = q;
			m->pss_cap = n;
		}
	}
	for (i = 0; i < n; i++) {
		struct pw__known *k = pw__discover_find(m, cand[i].pid);

		m->pss_queue[i] = cand[i];
		if (k != NULL && k->proc != NULL)
			k->proc->pss_chosen = true;
	}
	m->pss_n = n;
	free(cand);
	for (i = 0; i < m->nknown; i++)
		if ((p = m->known[i].proc) != NULL && !p->pss_chosen)
			forget(p);
	cycles = m->cfg.interval_ms > 0 ?
	    m->cfg.pss_every_ms / m->cfg.interval_ms : 1;
	if (cycles == 0)
		cycles = 1;
	m->pss_per_cycle = (n + cycles - 1) / cycles;
}

void
pw__pss_cycle(struct pw_monitor *m, int64_t now_ms)
{
	struct pw_smaps_totals t;
	struct pw__pss_entry *e;
	struct pw__known *k;
	struct pw_proc *p;
	int64_t t0, budget;
	size_t done = 0;
	int rc;

	/*
	 * A round starts when it is due and the last one is done; a wall
	 * clock stepped back by more than a round starts one too.
	 */
	if ((now_ms >= m->pss_due_ms && m->pss_pos >= m->pss_n) ||
	    m->pss_due_ms - now_ms > (int64_t)m->cfg.pss_every_ms)
		start_round(m, now_ms);
	if (m->pss_pos >= m->pss_n)
		return;
	t0 = pw_mono_ns();
	budget = (int64_t)m->cfg.interval_ms * 1000000 / PSS_BUDGET_DIV;
	while (m->pss_pos < m->pss_n && done < m->pss_per_cycle) {
		e = &m->pss_queue[m->pss_pos++];
		k = pw__discover_find(m, e->pid);
		if (k == NULL || (p = k->proc) == NULL ||
		    p->start_ticks != e->start_ticks ||
		    !p->has_pending || p->vanished)
			continue;	/* gone since: not counted */
		rc = pw_smaps_read_rollup(m->fs, e->pid, &t);
		done++;
		m->pss_reads++;
		if (rc == 0) {
			p->pss_next.ts_ms = now_ms;
			p->pss_next.pss_bytes = t.pss;
			p->pss_next.uss_bytes = pw_smaps_uss(&t);
			p->pss_next.swap_pss_bytes = t.swap_pss;
			p->pss_next.has_swap_pss = t.has_swap_pss;
			p->pss_dirty = true;
		} else {
			/* Refused, no address space, gone: unknown. */
			if (rc == -EACCES || rc == -EPERM)
				m->pss_denied++;
			forget(p);
		}
		if (pw_mono_ns() - t0 >= budget)
			break;
	}
	m->pss_ns += (uint64_t)(pw_mono_ns() - t0);
}

int
pw_monitor_memory(struct pw_monitor *m, pid_t pid, size_t limit,
    struct pw_smaps_totals *tot, size_t *nmaps, struct pw_smaps_map **maps,
    size_t *n)
{
	struct pw_smaps_totals roll, sum;
	bool has_roll = true;
	int rc;

	/* m->fs is immutable after pw_monitor_new(): safe beside the sampler. */
	if ((rc = pw_smaps_read_rollup(m->fs, pid, &roll)) == -ENOENT)
		has_roll = false;	/* before Linux 4.14: smaps' sums */
	else if (rc < 0)
		return rc;
	if ((rc = pw_smaps_read_maps(m->fs, pid, limit, &sum, nmaps, maps,
	    n)) < 0)
		return rc;
	*tot = has_roll ? roll : sum;
	return 0;
}

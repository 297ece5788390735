/*
 * bench/synth.c: a store of synthetic processes for the benchmarks, built
 * through the library's internal hooks without /proc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <procwatch/ring.h>
#include <procwatch/store.h>

#include "internal.h"
#include "pwutil.h"
#include "bench/synth.h"

struct pw_store *
bench_fill(int procs, int samples)
{
	struct pw_store *st = pw_store_new((size_t)samples, 100);
	struct pw_sample s;
	struct pw_proc *p;
	unsigned seed = 1;
	int i, j;

	if (st == NULL)
		return NULL;
	for (i = 0; i < procs; i++) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return NULL;
		p->pid = 1000 + i;
		p->alive = true;
		p->fd_limit = 1024;
		snprintf(p->comm, sizeof(p->comm), "proc%d", i);
		p->target = strdup(i % 3 ? "web" : "db");
		p->cmdline = strdup("synthetic");
		p->user = strdup("bench");
		pw_prochandle_init(&p->h, p->pid);
		if ((p->ring = pw_ring_new((size_t)samples, 100)) == NULL)
			return NULL;
		memset(&s, 0, sizeof(s));
		s.rss_bytes = (uint64_t)(1 + i % 200) << 20;
		s.vms_bytes = s.rss_bytes * 4;
		s.threads = 1 + i % 8;
		s.open_fds = 10;
		s.state = PW_STATE_SLEEPING;
		for (j = 0; j < samples; j++) {
			s.ts_ms = 1700000000000LL + (int64_t)j * 1000;
			s.utime_ticks += (uint64_t)(rand_r(&seed) % (1 + i % 50));
			s.stime_ticks += (uint64_t)(rand_r(&seed) % 3);
			s.ctx_voluntary += (uint64_t)(rand_r(&seed) % 100);
			s.ctx_involuntary += (uint64_t)(rand_r(&seed) % 10);
			s.minor_faults += (uint64_t)(rand_r(&seed) % 1000);
			s.read_bytes += (uint64_t)(rand_r(&seed) % 65536);
			s.write_bytes += (uint64_t)(rand_r(&seed) % 65536);
			if (i % 10 == 0)
				s.rss_bytes += 64 * 1024;	/* leak */
			if (i % 10 == 1 && j % 5 == 0)
				s.open_fds++;			/* fd leak */
			pw_ring_push(p->ring, &s);
		}
		pw__store_wrlock(st);
		if (pw__store_insert(st, p) < 0)
			return NULL;
		st->taken_ms = s.ts_ms;
		st->mem_total = 16ull << 30;
		pw__store_unlock(st);
	}
	return st;
}

double
bench_now_ms(void)
{
	return (double)pw_mono_ns() / 1e6;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void
bench_sort(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_d);
}

/*
 * embed_demo.c: a small program that embeds libprocwatch, built by
 * tests/e2e/install.sh with only an installed tree's include and lib
 * directories (never the source tree's), so it sees what outsiders see.
 *
 * It watches its own pid on the real /proc, adds a host collector, runs
 * two cycles by hand, then the sampler thread until a third cycle, and
 * prints one line:
 *	pid PID rss_bytes N threads N cycles N demo_calls V
 * Exits 0, or 1 with a message on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <procwatch/procwatch.h>

static int
collect(void *arg, const struct pw_collect *c)
{
	static const struct pw_custom_label l = { "kind", "demo" };
	int *calls = arg;

	(*calls)++;
	return c->emit(c->emitter, "demo_calls", (double)*calls, &l, 1);
}

/* This pid's entry in a new snapshot; 0, or -ENOENT when not sampled. */
static int
self_sample(struct pw_embed *pw, struct pw_embed_proc *out, int64_t *taken)
{
	struct pw_embed_snapshot *snap;
	size_t i;
	int rc = -ENOENT;

	if (pw_embed_snapshot(pw, false, &snap) < 0)
		return -ENOMEM;
	for (i = 0; i < snap->n; i++) {
		if (snap->procs[i].pid == getpid() &&
		    snap->procs[i].has_sample &&
		    strcmp(snap->procs[i].target, "self") == 0) {
			*out = snap->procs[i];
			out->target = out->cmdline = NULL; /* into snap */
			rc = 0;
		}
	}
	*taken = snap->taken_ms;
	pw_embed_snapshot_free(snap);
	return rc;
}

int
main(void)
{
	struct pw_embed_target t = { "self", "pid", NULL, false };
	struct pw_embed_config cfg = { 0 };
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	struct pw_embed_proc me;
	struct pw_embed *pw;
	char pid[32], err[256];
	int64_t taken, first;
	double v;
	int calls = 0, i, rc;

	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	t.arg = pid;
	cfg.interval_ms = 50;
	cfg.history = 16;
	cfg.targets = &t;
	cfg.ntargets = 1;
	if ((rc = pw_embed_new(&cfg, &pw, err, sizeof(err))) < 0) {
		fprintf(stderr, "pw_embed_new: %s (%d)\n", err, rc);
		return 1;
	}
	if ((rc = pw_embed_add_source(pw, "demo", PW_COLLECT_HOST, collect,
	    &calls)) < 0) {
		fprintf(stderr, "pw_embed_add_source: %d\n", rc);
		goto fail;
	}
	for (i = 0; i < 2; i++) {
		if ((rc = pw_embed_cycle(pw)) < 0) {
			fprintf(stderr, "pw_embed_cycle: %d\n", rc);
			goto fail;
		}
		nanosleep(&tick, NULL);
	}
	if ((rc = self_sample(pw, &me, &first)) < 0) {
		fprintf(stderr, "no sample of pid %s after 2 cycles\n", pid);
		goto fail;
	}
	/* The thread: wait, with a deadline, for a cycle after those. */
	if ((rc = pw_embed_start(pw)) < 0) {
		fprintf(stderr, "pw_embed_start: %d\n", rc);
		goto fail;
	}
	for (i = 0; i < 250; i++) {
		nanosleep(&tick, NULL);
		if (self_sample(pw, &me, &taken) == 0 && taken > first)
			break;
	}
	pw_embed_stop(pw);
	if (i == 250) {
		fprintf(stderr, "the sampler thread ran no cycle in 5 s\n");
		goto fail;
	}
	if (pw_embed_series(pw, "demo_calls", NULL, &v, NULL) < 0) {
		fprintf(stderr, "no demo_calls series\n");
		goto fail;
	}
	printf("pid %s rss_bytes %llu threads %u cycles %d demo_calls %g\n",
	    pid, (unsigned long long)me.latest.rss_bytes,
	    (unsigned)me.latest.threads, calls, v);
	pw_embed_free(pw);
	return 0;
fail:
	pw_embed_free(pw);
	return 1;
}

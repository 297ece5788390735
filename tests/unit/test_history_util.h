/*
 * test_history_util.h: fixtures of the history's unit tests: a temporary
 * directory, a fake clock, a synthetic farm of processes.
 */
#ifndef PW_TEST_HISTORY_UTIL_H
#define PW_TEST_HISTORY_UTIL_H

#include <dirent.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/metric.h>

#include "history.h"

#define T0		1789999200000LL	/* a whole hour, in ms */
#define START(pid)	(T0 - 3600000LL + (pid))

struct hist_fixture {
	char			 dir[256];
	struct pw_history	*h;
	struct pw_hist_opts	 o;
	_Atomic int64_t		 now_ms;	/* the writer reads it */
	char			 log[4096];
	int			 nlog;
};

static inline int64_t
hist_fake_clock(void *arg)
{
	return ((struct hist_fixture *)arg)->now_ms;
}

static inline void
hist_log(void *arg, int level, const char *msg)
{
	struct hist_fixture *f = arg;
	size_t len = strlen(f->log);

	(void)level;
	f->nlog++;
	snprintf(f->log + len, sizeof(f->log) - len, "%s\n", msg);
}

static inline int
hist_setup(void **state)
{
	struct hist_fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/pwhistXXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	pw_hist_opts_init(&f->o);
	f->o.dir = f->dir;
	f->o.clock = hist_fake_clock;
	f->o.clock_arg = f;
	f->o.log = hist_log;
	f->o.log_arg = f;
	f->o.fsync_ms = 0;
	f->o.queue_cycles = 1024;
	f->now_ms = T0;
	*state = f;
	return 0;
}

static inline void
hist_rm_dir(const char *dir)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static inline int
hist_teardown(void **state)
{
	struct hist_fixture *f = *state;

	pw_history_close(f->h);
	hist_rm_dir(f->dir);
	free(f);
	return 0;
}

static inline void
hist_fixture_open(struct hist_fixture *f)
{
	pid_t holder;

	assert_int_equal(pw_history_open(&f->o, &f->h, &holder), 0);
	assert_int_equal(pw_history_start(f->h), 0);
}

static inline void
hist_fixture_reopen(struct hist_fixture *f)
{
	pw_history_close(f->h);
	f->h = NULL;
	hist_fixture_open(f);
}

/*
 * The values of process `pid` at cycle i: the first `busy` pids of a
 * farm change every cycle (a fractional CPU %, growing counters), the
 * others repeat, with some rows unknown.
 */
static inline void
hist_farm_values(pid_t pid, int busy, size_t i, double *v)
{
	size_t r;
	bool is_busy = pid - 1000 < busy;

	for (r = 0; r < PW_METRIC_NROWS; r++) {
		if (!is_busy) {
			v[r] = r == PW_METRIC_READ_BYTES_RATE ? NAN :
			    (double)(pid * 10 + (int)r);
			continue;
		}
		v[r] = (double)(pid * 10 + (int)r) + (double)(i * (r + 1));
	}
	v[PW_METRIC_CPU_PERCENT] = is_busy ?
	    (double)((i * 37 + (size_t)pid) % 1000) / 10.0 + 0.01 : 0.0;
}

static inline void
hist_push_farm(struct hist_fixture *f, int64_t ts, int nprocs, int busy,
    size_t i)
{
	double v[PW_METRIC_NROWS];
	struct pw_hist_cycle *c;
	struct pw_hist_ident id;
	char name[32], cmd[64];
	int k;

	assert_non_null(c = pw_hist_cycle_new(ts, 1000));
	for (k = 0; k < nprocs; k++) {
		memset(&id, 0, sizeof(id));
		id.kind = PW_HIST_PROC;
		id.pid = 1000 + k;
		id.start_time_ms = START(id.pid);
		snprintf(name, sizeof(name), "proc%d", (int)id.pid);
		snprintf(cmd, sizeof(cmd), "/usr/bin/proc%d --serve", (int)id.pid);
		id.name = name;
		id.cmdline = cmd;
		id.target = k % 3 == 0 ? "db" : "web";
		hist_farm_values(id.pid, busy, i, v);
		assert_int_equal(pw_hist_cycle_add(c, &id, v, PW_METRIC_NROWS),
		    0);
	}
	f->now_ms = ts;
	assert_int_equal(pw_history_push(f->h, c), 0);
}

#endif

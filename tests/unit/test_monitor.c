/*
 * test_monitor.c: sampling cycles against a fake /proc tree built by the
 * test, with a fake clock (the cycle takes the time as an argument).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <procwatch/monitor.h>
#include <procwatch/procfs.h>

#include "tests/unit/fakeproc.h"

#define T0	1800000000000LL		/* fake wall clock, ms */

static int
setup(void **state)
{
	*state = fakeproc_new(NULL);
	return 0;
}

static int
teardown(void **state)
{
	fakeproc_free(*state);
	return 0;
}

static struct pw_monitor *
mk_monitor(struct fakeproc *fk, const struct pw_target *t, size_t nt,
    bool keep_open)
{
	struct pw_monitor_config c;
	struct pw_monitor *m;
	int err = 0;

	pw_monitor_config_defaults(&c);
	c.proc_root = fakeproc_root(fk);
	c.history = 5;
	c.retention_ms = 10000;
	c.targets = t;
	c.ntargets = nt;
	c.keep_open = keep_open;
	m = pw_monitor_new(&c, &err);
	assert_non_null(m);
	return m;
}

static struct fakeproc_proc
std_proc(pid_t pid, const char *comm)
{
	struct fakeproc_proc p = {
		.pid = pid, .ppid = 1, .comm = comm, .cmdline = comm,
		.utime = 100, .stime = 50, .starttime = 5000 + (uint64_t)pid,
		.vms_kb = 2048 * 4, .rss_kb = 2048, .nfds = 4, .threads = 2,
		.uid = 0, .minflt = 1000, .majflt = 3, .vol = 10, .invol = 2,
		.has_io = true, .read_bytes = 4096, .write_bytes = 8192,
		.has_schedstat = true, .nofile = 1024,
	};
	return p;
}

static size_t
count_alive(struct pw_monitor *m)
{
	size_t alive, gone;

	pw_store_counts(pw_monitor_store(m), &alive, &gone);
	return alive;
}

static void
test_monitor_all_samples_every_process(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a = std_proc(100, "alpha"), b = std_proc(200, "beta");
	struct pw_monitor *m;
	struct pw_snapshot *snap;
	struct pw_sample *s;
	size_t n, cap;

	fakeproc_add(fk, &a);
	fakeproc_add(fk, &b);
	m = mk_monitor(fk, NULL, 0, true);
	assert_int_equal(pw_monitor_cycle(m, T0), 0);
	/* One second later alpha used 50 user and 25 system ticks. */
	a.utime += 50;
	a.stime += 25;
	a.rss_kb = 4096;
	fakeproc_update(fk, &a);
	assert_int_equal(pw_monitor_cycle(m, T0 + 1000), 0);

	assert_int_equal(pw_store_snapshot(pw_monitor_store(m), false, &snap), 0);
	assert_int_equal(snap->n, 2);
	assert_int_equal(snap->procs[0].pid, 100);
	assert_string_equal(snap->procs[0].name, "alpha");
	assert_string_equal(snap->procs[0].target, "all");
	assert_string_equal(snap->procs[0].cmdline, "alpha");
	assert_int_equal(snap->procs[0].fd_limit, 1024);
	assert_int_equal(snap->mem_total, 16000000ull * 1024);
	/* btime + starttime / HZ */
	assert_int_equal(snap->procs[0].start_time_ms,
	    1700000000000LL + 5100 * 1000 / sysconf(_SC_CLK_TCK));
	assert_true(snap->procs[0].has_sample);
	assert_int_equal(snap->procs[0].latest.rss_bytes, 4096 * 1024);
	assert_int_equal(snap->procs[0].latest.open_fds, 4);
	assert_int_equal(snap->procs[0].latest.threads, 2);
	assert_float_equal(snap->procs[0].latest.cpu_user_pct,
	    5000.0 / sysconf(_SC_CLK_TCK), 1e-6);
	assert_float_equal(snap->procs[0].latest.cpu_system_pct,
	    2500.0 / sysconf(_SC_CLK_TCK), 1e-6);
	assert_int_equal(snap->procs[0].latest.read_bytes, 4096);
	pw_snapshot_free(snap);

	assert_int_equal(pw_store_samples(pw_monitor_store(m), 100, INT64_MIN,
	    100, &s, &n, &cap), 0);
	assert_int_equal(n, 2);
	assert_int_equal(cap, 5);
	assert_int_equal(s[0].ts_ms, T0);
	assert_int_equal(s[1].ts_ms, T0 + 1000);
	assert_true(s[0].flags & PW_SAMPLE_FIRST);
	free(s);
	assert_int_equal(pw_store_samples(pw_monitor_store(m), 999, INT64_MIN,
	    100, &s, &n, &cap), -ENOENT);
	pw_monitor_free(m);
}

static void
test_monitor_exit_marks_gone_then_expires(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a = std_proc(100, "alpha");
	struct pw_monitor *m;
	struct pw_snapshot *snap;
	size_t alive, gone;

	fakeproc_add(fk, &a);
	m = mk_monitor(fk, NULL, 0, true);
	pw_monitor_cycle(m, T0);
	assert_int_equal(count_alive(m), 1);
	fakeproc_remove(fk, 100);
	pw_monitor_cycle(m, T0 + 1000);
	pw_store_counts(pw_monitor_store(m), &alive, &gone);
	assert_int_equal(alive, 0);
	assert_int_equal(gone, 1);
	/* Still readable by pid, marked gone, history kept. */
	assert_int_equal(pw_store_snapshot_pid(pw_monitor_store(m), 100, &snap), 0);
	assert_false(snap->procs[0].alive);
	assert_int_equal(snap->procs[0].gone_ms, T0 + 1000);
	assert_int_equal(snap->procs[0].nsamples, 1);
	pw_snapshot_free(snap);
	/* Retention is 10 s. */
	pw_monitor_cycle(m, T0 + 11000);
	pw_store_counts(pw_monitor_store(m), &alive, &gone);
	assert_int_equal(gone, 0);
	assert_int_equal(pw_store_snapshot_pid(pw_monitor_store(m), 100, &snap),
	    -ENOENT);
	pw_monitor_free(m);
}

static void
test_monitor_pid_reuse_is_a_new_process(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a = std_proc(100, "alpha");
	struct pw_monitor *m;
	struct pw_snapshot *snap;
	uint64_t first_id;

	fakeproc_add(fk, &a);
	m = mk_monitor(fk, NULL, 0, true);
	pw_monitor_cycle(m, T0);
	pw_store_snapshot_pid(pw_monitor_store(m), 100, &snap);
	first_id = snap->procs[0].id;
	pw_snapshot_free(snap);

	/* Same pid, another start time: another process. */
	a.starttime += 777;
	a.comm = "reused";
	fakeproc_add(fk, &a);
	pw_monitor_cycle(m, T0 + 1000);	/* sees the old one gone */
	pw_monitor_cycle(m, T0 + 2000);	/* describes the new one */
	assert_int_equal(pw_store_snapshot(pw_monitor_store(m), true, &snap), 0);
	assert_int_equal(snap->n, 2);
	assert_int_equal(snap->procs[0].id, first_id);
	assert_false(snap->procs[0].alive);
	assert_true(snap->procs[1].alive);
	assert_string_equal(snap->procs[1].name, "reused");
	assert_int_equal(snap->procs[1].nsamples, 1);
	pw_snapshot_free(snap);
	/* By pid the live one wins. */
	pw_store_snapshot_pid(pw_monitor_store(m), 100, &snap);
	assert_true(snap->procs[0].alive);
	assert_string_equal(snap->procs[0].name, "reused");
	pw_snapshot_free(snap);
	pw_monitor_free(m);
}

static void
test_monitor_comm_target_with_children(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc parent = std_proc(100, "server");
	struct fakeproc_proc child = std_proc(150, "worker");
	struct fakeproc_proc grandchild = std_proc(160, "helper");
	struct fakeproc_proc other = std_proc(300, "other");
	struct pw_target t[2];
	struct pw_monitor *m;
	struct pw_snapshot *snap;

	child.ppid = 100;
	grandchild.ppid = 150;
	fakeproc_add(fk, &parent);
	fakeproc_add(fk, &child);
	fakeproc_add(fk, &grandchild);
	fakeproc_add(fk, &other);
	assert_int_equal(pw_target_init(&t[0], "svc", PW_SEL_NAME, "server",
	    true, NULL, 0), 0);
	assert_int_equal(pw_target_init(&t[1], "oth", PW_SEL_CMDLINE, "^oth",
	    false, NULL, 0), 0);
	m = mk_monitor(fk, t, 2, false);
	pw_monitor_cycle(m, T0);
	assert_int_equal(pw_store_snapshot(pw_monitor_store(m), false, &snap), 0);
	assert_int_equal(snap->n, 4);
	assert_string_equal(snap->procs[0].target, "svc");
	assert_string_equal(snap->procs[1].target, "svc");
	assert_string_equal(snap->procs[2].target, "svc");
	assert_string_equal(snap->procs[3].target, "oth");
	pw_snapshot_free(snap);
	pw_monitor_free(m);
	pw_target_fini(&t[0]);
	pw_target_fini(&t[1]);
}

static void
test_monitor_exec_is_noticed_on_recheck(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a = std_proc(100, "sh");
	struct pw_target t;
	struct pw_monitor *m;

	fakeproc_add(fk, &a);
	pw_target_init(&t, "db", PW_SEL_NAME, "postgres", false, NULL, 0);
	m = mk_monitor(fk, &t, 1, true);
	pw_monitor_cycle(m, T0);
	assert_int_equal(count_alive(m), 0);
	a.comm = "postgres";
	a.cmdline = "postgres -D /var/lib/pg";
	fakeproc_add(fk, &a);
	pw_monitor_cycle(m, T0 + 500);	/* not due yet */
	assert_int_equal(count_alive(m), 0);
	pw_monitor_cycle(m, T0 + 1000);	/* rechecked after 1 s */
	assert_int_equal(count_alive(m), 1);
	pw_monitor_free(m);
	pw_target_fini(&t);
}

static void
test_monitor_pidfile_follows_the_file(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a = std_proc(100, "d1"), b = std_proc(200, "d2");
	struct pw_target t;
	struct pw_monitor *m;
	struct pw_snapshot *snap;
	char pidfile[128];

	fakeproc_add(fk, &a);
	fakeproc_add(fk, &b);
	snprintf(pidfile, sizeof(pidfile), "%s/daemon.pid", fakeproc_root(fk));
	fakeproc_put(fk, 0, "daemon.pid", "100\n");
	pw_target_init(&t, "d", PW_SEL_PIDFILE, pidfile, false, NULL, 0);
	m = mk_monitor(fk, &t, 1, true);
	pw_monitor_cycle(m, T0);
	assert_int_equal(count_alive(m), 1);
	/* The service restarted as pid 200: the old process is gone. */
	fakeproc_remove(fk, 100);
	fakeproc_put(fk, 0, "daemon.pid", "200\n");
	pw_monitor_cycle(m, T0 + 100);
	assert_int_equal(pw_store_snapshot(pw_monitor_store(m), false, &snap), 0);
	assert_int_equal(snap->n, 1);
	assert_int_equal(snap->procs[0].pid, 200);
	pw_snapshot_free(snap);
	pw_monitor_free(m);
	pw_target_fini(&t);
}

static void
test_monitor_thread_runs_and_stops(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a = std_proc(100, "alpha");
	struct pw_monitor_config c;
	struct pw_monitor_stats st;
	struct pw_monitor *m;
	struct timespec nap = { 0, 5000000 };
	int err, i;

	fakeproc_add(fk, &a);
	pw_monitor_config_defaults(&c);
	c.proc_root = fakeproc_root(fk);
	c.interval_ms = 10;
	m = pw_monitor_new(&c, &err);
	assert_non_null(m);
	assert_int_equal(pw_monitor_start(m), 0);
	for (i = 0; i < 2000; i++) {
		pw_monitor_get_stats(m, &st);
		if (st.cycles >= 3)
			break;
		nanosleep(&nap, NULL);
	}
	assert_true(st.cycles >= 3);
	assert_true(st.samples >= 3);
	assert_true(pw_monitor_last_cycle_ns(m) > 0);
	pw_monitor_stop(m);
	pw_monitor_get_stats(m, &st);
	assert_int_equal(st.procs_alive, 1);
	pw_monitor_free(m);
}

static void
test_monitor_reload_keeps_history_of_still_selected(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a = std_proc(100, "alpha"), b = std_proc(200, "beta");
	struct fakeproc_proc c = std_proc(300, "gamma");
	struct pw_target t1[2], t2[2];
	struct pw_monitor_config nc;
	struct pw_monitor *m;
	struct pw_snapshot *snap;
	char **names;
	size_t nnames;

	fakeproc_add(fk, &a);
	fakeproc_add(fk, &b);
	fakeproc_add(fk, &c);
	pw_target_init(&t1[0], "A", PW_SEL_NAME, "alpha", false, NULL, 0);
	pw_target_init(&t1[1], "B", PW_SEL_NAME, "beta", false, NULL, 0);
	m = mk_monitor(fk, t1, 2, true);
	pw_monitor_cycle(m, T0);
	pw_monitor_cycle(m, T0 + 1000);
	pw_monitor_cycle(m, T0 + 2000);
	assert_int_equal(count_alive(m), 2);

	/* alpha moves to target "first", beta is dropped, gamma is added. */
	pw_target_init(&t2[0], "first", PW_SEL_CMDLINE, "^alpha$", false, NULL, 0);
	pw_target_init(&t2[1], "G", PW_SEL_NAME, "gamma", false, NULL, 0);
	assert_int_equal(pw_monitor_target_names(m, &names, &nnames), 0);
	assert_int_equal(nnames, 2);
	assert_string_equal(names[1], "B");
	nc = *pw_monitor_config(m);
	nc.targets = t2;
	nc.ntargets = 2;
	nc.history = 2;
	nc.interval_ms = 2500;
	assert_int_equal(pw_monitor_reload(m, &nc), 0);
	/* Copies: still valid after the reload; new ones name the new. */
	assert_string_equal(names[0], "A");
	pw_monitor_names_free(names, nnames);
	assert_int_equal(pw_monitor_target_names(m, &names, &nnames), 0);
	assert_int_equal(nnames, 2);
	assert_string_equal(names[0], "first");
	assert_string_equal(names[1], "G");
	pw_monitor_names_free(names, nnames);
	assert_int_equal(pw_monitor_interval_ms(m), 2500);
	pw_monitor_cycle(m, T0 + 3000);

	assert_int_equal(pw_store_snapshot(pw_monitor_store(m), true, &snap), 0);
	assert_int_equal(snap->n, 3);
	assert_int_equal(snap->procs[0].pid, 100);
	assert_string_equal(snap->procs[0].target, "first");
	assert_true(snap->procs[0].alive);
	/* 4 samples taken, the ring now holds the newest 2. */
	assert_int_equal(snap->procs[0].capacity, 2);
	assert_int_equal(snap->procs[0].nsamples, 2);
	assert_int_equal(snap->procs[0].latest.ts_ms, T0 + 3000);
	assert_int_equal(snap->procs[1].pid, 200);
	assert_false(snap->procs[1].alive);
	assert_int_equal(snap->procs[2].pid, 300);
	assert_true(snap->procs[2].alive);
	assert_string_equal(snap->procs[2].target, "G");
	pw_snapshot_free(snap);
	pw_monitor_free(m);
	pw_target_fini(&t1[0]);
	pw_target_fini(&t1[1]);
	pw_target_fini(&t2[0]);
	pw_target_fini(&t2[1]);
}

static uint64_t
unchanged_samples(struct pw_monitor *m)
{
	struct pw_monitor_stats st;

	pw_monitor_get_stats(m, &st);
	return st.samples_unchanged;
}

static void
test_monitor_idle_process_is_read_cheaply(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a = std_proc(100, "idle");
	struct pw_monitor *m;
	struct pw_sample *s;
	size_t n, cap;
	int i;

	a.threads = 1;
	a.run_ns = 5000000;
	a.slices = 40;
	fakeproc_add(fk, &a);
	m = mk_monitor(fk, NULL, 0, true);
	pw_monitor_cycle(m, T0);		/* full read, baseline */
	pw_monitor_cycle(m, T0 + 1000);		/* nothing ran: cheap */
	assert_int_equal(unchanged_samples(m), 1);

	/* It ran: schedstat moved, so stat & co are read again. */
	a.run_ns += 20000000;
	a.slices += 3;
	a.utime += 2;
	fakeproc_update(fk, &a);
	pw_monitor_cycle(m, T0 + 2000);
	assert_int_equal(unchanged_samples(m), 1);
	/* Reclaim shrank it without it running: statm tells. */
	a.rss_kb = 1024;
	fakeproc_update(fk, &a);
	pw_monitor_cycle(m, T0 + 3000);
	assert_int_equal(unchanged_samples(m), 1);
	pw_monitor_cycle(m, T0 + 4000);
	assert_int_equal(unchanged_samples(m), 2);

	assert_int_equal(pw_store_samples(pw_monitor_store(m), 100, INT64_MIN,
	    10, &s, &n, &cap), 0);
	assert_int_equal(n, 5);
	assert_int_equal(s[1].utime_ticks, 100);	/* the cheap one */
	assert_int_equal(s[1].ts_ms, T0 + 1000);
	assert_int_equal(s[1].open_fds, 4);
	assert_int_equal(s[2].utime_ticks, 102);	/* read again */
	assert_int_equal(s[3].rss_bytes, 1024 * 1024);
	assert_int_equal(s[4].rss_bytes, 1024 * 1024);
	assert_int_equal(s[4].ts_ms, T0 + 4000);
	free(s);

	/* However idle, a full read comes every PW_PROCFS_IDLE_MAX samples. */
	for (i = 0; i < PW_PROCFS_IDLE_MAX + 5; i++)
		pw_monitor_cycle(m, T0 + 5000 + i * 1000);
	assert_int_equal(unchanged_samples(m), 2 + PW_PROCFS_IDLE_MAX + 4);
	pw_monitor_free(m);
}

static void
test_monitor_threaded_process_is_always_read_fully(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a = std_proc(100, "threads");
	struct pw_monitor *m;

	a.threads = 3;		/* schedstat would cover the main thread only */
	fakeproc_add(fk, &a);
	m = mk_monitor(fk, NULL, 0, true);
	pw_monitor_cycle(m, T0);
	pw_monitor_cycle(m, T0 + 1000);
	pw_monitor_cycle(m, T0 + 2000);
	assert_int_equal(unchanged_samples(m), 0);
	pw_monitor_free(m);
	/* Without kept descriptors there is no baseline either. */
	a.threads = 1;
	fakeproc_update(fk, &a);
	m = mk_monitor(fk, NULL, 0, false);
	pw_monitor_cycle(m, T0);
	pw_monitor_cycle(m, T0 + 1000);
	assert_int_equal(unchanged_samples(m), 0);
	pw_monitor_free(m);
}

static void
test_monitor_descriptor_budget(void **state)
{
	struct fakeproc *fk = *state;
	struct pw_monitor_config c;
	struct pw_monitor_stats st;
	struct pw_monitor *m;
	struct fakeproc_proc p;
	int err = 0, i;

	for (i = 0; i < 6; i++) {
		p = std_proc(100 + i, "farm");
		p.threads = i < 4 ? 1 : 3;	/* four may take the idle path */
		p.run_ns = 1000;
		p.slices = 2;
		fakeproc_add(fk, &p);
	}
	/* Unbounded: idle ones park at 2, threaded ones keep 3. */
	m = mk_monitor(fk, NULL, 0, true);
	for (i = 0; i < 2 + PW_PROCFS_PARK_AFTER; i++)
		pw_monitor_cycle(m, T0 + i * 1000);
	pw_monitor_get_stats(m, &st);
	assert_int_equal(st.fds_kept, 4 * 2 + 2 * 3);
	assert_true(st.fds_budget > st.fds_kept);
	assert_int_equal(st.samples, 6 * (2 + PW_PROCFS_PARK_AFTER));
	pw_monitor_free(m);

	/* A budget of 12: never exceeded, and every process still sampled. */
	pw_monitor_config_defaults(&c);
	c.proc_root = fakeproc_root(fk);
	c.history = 5;
	c.max_open_fds = 12;
	m = pw_monitor_new(&c, &err);
	assert_non_null(m);
	for (i = 0; i < 10; i++) {
		pw_monitor_cycle(m, T0 + i * 1000);
		pw_monitor_get_stats(m, &st);
		assert_true(st.fds_kept <= 12);
		assert_int_equal(st.fds_budget, 12);
		assert_int_equal(st.samples, 6 * (uint64_t)(i + 1));
	}
	assert_true(st.fds_kept > 0);
	pw_monitor_free(m);
}

/* Threads of this process whose scheduling policy is SCHED_FIFO. */
static int
fifo_threads(void)
{
	char path[300], buf[1024], *p;
	struct dirent *de;
	int n = 0, i;
	DIR *d;
	FILE *f;

	assert_non_null(d = opendir("/proc/self/task"));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat",
		    de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL) {
			/* policy is field 41; p is at field 2's end */
			for (i = 2; i < 41 && p != NULL; i++)
				p = strchr(p + 1, ' ');
			if (p != NULL && atoi(p + 1) == 1)
				n++;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

static void
test_monitor_realtime_sampler(void **state)
{
	struct fakeproc *fk = *state;
	struct pw_monitor_config c;
	struct pw_monitor_stats st;
	struct pw_monitor *m;
	int err = 0;

	pw_monitor_config_defaults(&c);
	c.proc_root = fakeproc_root(fk);
	c.realtime = true;
	assert_non_null(m = pw_monitor_new(&c, &err));
	assert_int_equal(fifo_threads(), 0);
	assert_int_equal(pw_monitor_start(m), 0);
	pw_monitor_get_stats(m, &st);
	if (st.realtime) {
		/* Only the sampler thread, not the caller. */
		assert_int_equal(st.realtime_error, 0);
		assert_int_equal(fifo_threads(), 1);
	} else {
		/* Unprivileged: refused, said why, and still sampling. */
		assert_int_equal(st.realtime_error, -EPERM);
		assert_int_equal(fifo_threads(), 0);
	}
	pw_monitor_stop(m);
	assert_int_equal(fifo_threads(), 0);
	pw_monitor_free(m);

	c.realtime = false;
	assert_non_null(m = pw_monitor_new(&c, &err));
	assert_int_equal(pw_monitor_start(m), 0);
	pw_monitor_get_stats(m, &st);
	assert_false(st.realtime);
	assert_int_equal(st.realtime_error, 0);
	assert_int_equal(fifo_threads(), 0);
	pw_monitor_free(m);
}

/* A custom series of each of two processes and one of the host. */
static void
put_series(struct pw_custom *c, uint64_t id, pid_t pid, enum
    pw_custom_scope scope, int64_t now_ms)
{
	struct pw_custom_point pt = {
		.name = "queue_depth", .scope = scope, .proc_id = id,
		.pid = pid, .ts_ms = now_ms, .value = 3,
	};
	char err[PW_CUSTOM_ERRMSG_MAX];

	assert_int_equal(pw_custom_put(c, &pt, "test", now_ms, err,
	    sizeof(err)), 0);
}

static void
test_monitor_expiry_drops_custom_series(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a = std_proc(100, "alpha"), b = std_proc(200, "beta");
	struct pw_custom_view *v;
	struct pw_snapshot *snap;
	struct pw_custom *c;
	struct pw_monitor *m;
	uint64_t ida, idb;
	size_t n;

	fakeproc_add(fk, &a);
	fakeproc_add(fk, &b);
	assert_non_null(c = pw_custom_new(NULL));
	m = mk_monitor(fk, NULL, 0, true);
	pw_monitor_set_custom(m, c);
	pw_monitor_cycle(m, T0);
	assert_int_equal(pw_store_snapshot(pw_monitor_store(m), false, &snap),
	    0);
	assert_int_equal(snap->n, 2);
	ida = snap->procs[0].id;
	idb = snap->procs[1].id;
	pw_snapshot_free(snap);
	put_series(c, ida, 100, PW_CUSTOM_PROC, T0);
	put_series(c, idb, 200, PW_CUSTOM_PROC, T0);
	put_series(c, 0, 0, PW_CUSTOM_HOST, T0);

	fakeproc_remove(fk, 100);
	pw_monitor_cycle(m, T0 + 1000);
	/* Gone but retained: its series stays with its history. */
	assert_int_equal(pw_custom_copy(c, ida, &v, &n), 0);
	assert_int_equal(n, 1);
	pw_custom_views_free(v, n);
	/* Retention (10 s) over: the history and the series go together. */
	pw_monitor_cycle(m, T0 + 11000);
	assert_int_equal(pw_custom_copy(c, ida, &v, &n), 0);
	assert_int_equal(n, 0);
	pw_custom_views_free(v, n);
	assert_int_equal(pw_custom_copy(c, 0, &v, &n), 0);
	assert_int_equal(n, 2);		/* beta's and the host's stay */
	pw_custom_views_free(v, n);
	pw_monitor_free(m);
	pw_custom_free(c);
}

/* A discovery feed the test scripts: pids to hand over, complete or not. */
struct feed {
	pid_t	pids[4];
	size_t	n;
	bool	complete;
	int	calls;
};

static int
feed_take(void *arg, pid_t **pids, size_t *n, bool *complete)
{
	struct feed *f = arg;

	f->calls++;
	*pids = NULL;
	if (f->n > 0) {
		*pids = malloc(f->n * sizeof(**pids));
		assert_non_null(*pids);
		memcpy(*pids, f->pids, f->n * sizeof(**pids));
	}
	*n = f->n;
	*complete = f->complete;
	f->n = 0;
	return 0;
}

static uint64_t
listings(struct pw_monitor *m)
{
	struct pw_monitor_stats st;

	pw_monitor_get_stats(m, &st);
	return st.listings;
}

static void
test_monitor_discovery_feed_spares_listings(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a = std_proc(100, "alpha"), b = std_proc(200, "beta");
	struct fakeproc_proc c = std_proc(300, "gamma");
	struct feed f = { { 0 }, 0, true, 0 };
	struct pw_monitor *m;
	int64_t t = T0;

	fakeproc_add(fk, &a);
	m = mk_monitor(fk, NULL, 0, true);
	pw_monitor_set_discovery(m, feed_take, &f);
	pw_monitor_cycle(m, t);			/* the first cycle lists */
	assert_int_equal(listings(m), 1);
	assert_int_equal(count_alive(m), 1);

	/* beta appears but the feed does not say so: not listed, not seen. */
	fakeproc_add(fk, &b);
	pw_monitor_cycle(m, t += 1000);
	assert_int_equal(listings(m), 1);
	assert_int_equal(count_alive(m), 1);
	/* The feed hands it over: found without a listing. */
	f.pids[0] = 200;
	f.n = 1;
	pw_monitor_cycle(m, t += 1000);
	assert_int_equal(listings(m), 1);
	assert_int_equal(count_alive(m), 2);
	/* An exit is seen by the sampler's own read. */
	fakeproc_remove(fk, 100);
	pw_monitor_cycle(m, t += 1000);
	assert_int_equal(count_alive(m), 1);

	/* gamma never reported: the periodic listing reconciles. */
	fakeproc_add(fk, &c);
	while (t - T0 < PW_LISTING_EVERY_MS - 1000)
		pw_monitor_cycle(m, t += 1000);
	assert_int_equal(listings(m), 1);
	assert_int_equal(count_alive(m), 1);
	pw_monitor_cycle(m, t += 1000);
	assert_int_equal(listings(m), 2);
	assert_int_equal(count_alive(m), 2);

	/* Events were lost: list at once. */
	f.complete = false;
	pw_monitor_cycle(m, t += 1000);
	assert_int_equal(listings(m), 3);
	assert_true(f.calls >= 10);
	pw_monitor_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_monitor_all_samples_every_process, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_monitor_exit_marks_gone_then_expires, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_monitor_pid_reuse_is_a_new_process, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_monitor_comm_target_with_children, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_monitor_exec_is_noticed_on_recheck, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_monitor_pidfile_follows_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_monitor_thread_runs_and_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_monitor_idle_process_is_read_cheaply, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_monitor_threaded_process_is_always_read_fully, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_monitor_reload_keeps_history_of_still_selected, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_monitor_descriptor_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_monitor_realtime_sampler, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_monitor_expiry_drops_custom_series, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_monitor_discovery_feed_spares_listings, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_psi.c: procwatch/psi.h (the pressure, memory events, mounts and
 * vmstat parsers, the reader over fake cgroup trees of a hybrid and a
 * unified system) and the monitor's use of it with procwatch/oom.h: a
 * fake /proc with a fake cgroup tree (self/mounts, pressure files,
 * memory.events, memory.oom_control, vmstat) and a fake clock, where a
 * member of a cgroup target disappears as the counters rise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <procwatch/cgroup.h>
#include <procwatch/groupacc.h>
#include <procwatch/metric.h>
#include <procwatch/monitor.h>
#include <procwatch/oom.h>
#include <procwatch/psi.h>
#include <procwatch/store.h>
#include <procwatch/target.h>

#include "lib/pwutil.h"
#include "tests/unit/fakeproc.h"

#define T0	1800000000000LL		/* fake wall clock, ms */
#define MIB	1048576ULL

static const char psi_text[] =
    "some avg10=1.50 avg60=0.75 avg300=0.10 total=123456\n"
    "full avg10=0.25 avg60=0.00 avg300=0.00 total=7890\n";

/* --- parsers -------------------------------------------------------------- */

static void
test_psi_parse_some_and_full(void **state)
{
	struct pw_psi p;

	(void)state;
	assert_int_equal(pw_psi_parse(psi_text, strlen(psi_text), &p), 0);
	assert_true(p.has_some && p.has_full);
	assert_int_equal(p.some_avg10_x100, 150);
	assert_int_equal(p.some_total_us, 123456);
	assert_int_equal(p.full_avg10_x100, 25);
	assert_int_equal(p.full_total_us, 7890);
	/* An old kernel's cpu.pressure: no full line. */
	assert_int_equal(pw_psi_parse("some avg10=100.00 avg60=0 avg300=0 "
	    "total=1", 42, &p), 0);
	assert_false(p.has_full);
	assert_int_equal(p.some_avg10_x100, 10000);
	/* A field a later kernel adds is skipped. */
	assert_int_equal(pw_psi_parse("some avg10=2.5 new=7 total=9\n", 29,
	    &p), 0);
	assert_int_equal(p.some_avg10_x100, 250);
}

static void
test_psi_parse_rejects_malformed(void **state)
{
	static const char *const bad[] = {
		"", "full avg10=0.00 total=1\n", "some avg10=0.00\n",
		"some total=5\n", "some avg10=101.00 total=1\n",
		"some avg10=1.234 total=1\n", "some avg10=-1 total=1\n",
		"some avg10=1. total=1\n", "some avg10=0.00 total=x\n",
		"some avg10=0.00 total=99999999999999999999999\n",
		"some avg10=0.00 total=1\nfull avg10=0.00\n",
	};
	struct pw_psi p;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++)
		assert_int_equal(pw_psi_parse(bad[i], strlen(bad[i]), &p),
		    -EINVAL);
	/* A NUL inside is refused, whatever follows. */
	assert_int_equal(pw_psi_parse("some avg10=0.00 total=1\0", 24, &p),
	    -EINVAL);
}

static void
test_psi_kv_find(void **state)
{
	static const char ev[] = "low 0\nhigh 3\nmax 4\noom 2\noom_kill 1\n"
	    "oom_group_kill 0";
	uint64_t v = 99;

	(void)state;
	assert_int_equal(pw_kv_find(ev, strlen(ev), "oom_kill", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(pw_kv_find(ev, strlen(ev), "oom", &v), 0);
	assert_int_equal(v, 2);		/* not oom_kill's line */
	assert_int_equal(pw_kv_find(ev, strlen(ev), "oom_group_kill", &v), 0);
	assert_int_equal(v, 0);		/* the last line, no newline */
	assert_int_equal(pw_kv_find(ev, strlen(ev), "nope", &v), -ENOENT);
	assert_int_equal(pw_kv_find("oom_kill x\n", 11, "oom_kill", &v),
	    -EINVAL);
	assert_int_equal(pw_kv_find("oom_kill \n", 10, "oom_kill", &v),
	    -EINVAL);
	assert_int_equal(pw_kv_find("a 1\0", 4, "a", &v), -EINVAL);
}

static void
test_psi_mounts_hybrid_and_unified(void **state)
{
	static const char hybrid[] =
	    "sysfs /sys sysfs rw 0 0\n"
	    "tmpfs /sys/fs/cgroup tmpfs rw,mode=755 0 0\n"
	    "cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0\n"
	    "cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0\n"
	    "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0\n";
	static const char unified[] =
	    "cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0";
	static const char odd[] =
	    "cgroup2 /a\\040b cgroup2 rw 0 0\n"		/* escaped: skipped */
	    "cgroup /x cgroup rw,memoryx 0 0\n"		/* not "memory" */
	    "short line\n";
	struct pw_cgfs fs;

	(void)state;
	assert_int_equal(pw_cgfs_parse_mounts(hybrid, strlen(hybrid), &fs), 0);
	assert_string_equal(fs.v2, "/sys/fs/cgroup/unified");
	assert_string_equal(fs.mem_v1, "/sys/fs/cgroup/memory");
	assert_int_equal(pw_cgfs_parse_mounts(unified, strlen(unified), &fs),
	    0);
	assert_string_equal(fs.v2, "/sys/fs/cgroup");
	assert_string_equal(fs.mem_v1, "");
	assert_int_equal(pw_cgfs_parse_mounts(odd, strlen(odd), &fs), 0);
	assert_string_equal(fs.v2, "");
	assert_string_equal(fs.mem_v1, "");
}

static void
test_psi_unit_prefix(void **state)
{
	(void)state;
	assert_int_equal(pw_cgroup_unit_prefix(
	    "/system.slice/a.service/x", "a.service"), 23);
	assert_int_equal(pw_cgroup_unit_prefix(
	    "/system.slice/getty@tty1.service", "getty@.service"), 32);
	assert_int_equal(pw_cgroup_unit_prefix("/user.slice/x.scope",
	    "*.scope"), 19);
	assert_int_equal(pw_cgroup_unit_prefix("/system.slice/b.service",
	    "a.service"), 0);
}

/* --- fake cgroup trees ---------------------------------------------------- */

/* Write root/rel (making its directories) with printf-style contents. */
static void __attribute__((format(printf, 3, 4)))
put(const char *root, const char *rel, const char *fmt, ...)
{
	char path[4096], *c;
	va_list ap;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (c = path + strlen(root) + 1; (c = strchr(c, '/')) != NULL; c++) {
		*c = '\0';
		(void)mkdir(path, 0755);
		*c = '/';
	}
	assert_non_null(fp = fopen(path, "w"));
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(fp), 0);
}

/*
 * A hybrid system under the fake /proc root R: R/self/mounts names
 * R/cg2 (cgroup2, no controller) and R/mem (v1 memory); cgroup /app has
 * pressure files, memory.oom_control and a 64 MiB limit; vmstat says 5.
 */
static void
hybrid_tree(const char *r, uint64_t cg_kills, uint64_t sys_kills)
{
	put(r, "self/mounts", "proc /proc proc rw 0 0\n"
	    "cgroup2 %s/cg2 cgroup2 rw 0 0\n"
	    "cgroup %s/mem cgroup rw,relatime,memory 0 0\n", r, r);
	put(r, "cg2/cgroup.controllers", "\n");
	put(r, "cg2/app/cgroup.procs", "100\n");
	put(r, "cg2/app/cpu.pressure", "some avg10=3.00 avg60=0 avg300=0 "
	    "total=3000000\nfull avg10=0.00 avg60=0 avg300=0 total=0\n");
	put(r, "cg2/app/memory.pressure", "%s", psi_text);
	put(r, "cg2/app/io.pressure", "%s", psi_text);
	put(r, "mem/app/memory.oom_control", "oom_kill_disable 0\n"
	    "under_oom 0\noom_kill %llu\n", (unsigned long long)cg_kills);
	put(r, "mem/app/memory.limit_in_bytes", "67108864\n");
	put(r, "vmstat", "nr_free_pages 1\noom_kill %llu\nnr_x 2\n",
	    (unsigned long long)sys_kills);
}

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

static void
test_psi_read_hybrid(void **state)
{
	const char *r = fakeproc_root(*state);
	struct pw_cgstat st;
	struct pw_cgfs fs;
	uint64_t sys;

	hybrid_tree(r, 2, 5);
	assert_int_equal(pw_cgfs_discover(r, &fs), 0);
	assert_false(fs.mem_on_v2);
	pw_cgstat_read(&fs, "/app", &st);
	assert_int_equal(st.psi_why, PW_CGW_OK);
	assert_int_equal(st.psi[PW_PSI_CPU].some_avg10_x100, 300);
	assert_int_equal(st.psi[PW_PSI_CPU].some_total_us, 3000000);
	assert_int_equal(st.psi[PW_PSI_MEMORY].full_total_us, 7890);
	assert_int_equal(st.mem_why, PW_CGW_OK);
	assert_int_equal(st.mem_src, PW_CGS_V1);
	assert_int_equal(st.oom_kill, 2);
	assert_true(st.has_under_oom);
	assert_false(st.under_oom);
	assert_false(st.has_events);
	assert_true(st.has_limit);
	assert_int_equal(st.limit_bytes, 64 * MIB);
	assert_int_equal(pw_vmstat_oom_kill(r, &sys), 0);
	assert_int_equal(sys, 5);

	/* A cgroup that is not there; no cgroup at all. */
	pw_cgstat_read(&fs, "/gone", &st);
	assert_int_equal(st.psi_why, PW_CGW_UNREADABLE);
	assert_int_equal(st.mem_why, PW_CGW_NO_CONTROLLER);
	pw_cgstat_read(&fs, NULL, &st);
	assert_int_equal(st.psi_why, PW_CGW_NO_CGROUP);
	assert_non_null(pw_cgstat_why_text(PW_CGW_NO_CGROUP));
	assert_null(pw_cgstat_why_text(PW_CGW_OK));
	/* A kernel without PSI: the cgroup is there, its files are not. */
	put(r, "cg2/nopsi/cgroup.procs", "\n");
	pw_cgstat_read(&fs, "/nopsi", &st);
	assert_int_equal(st.psi_why, PW_CGW_NO_PSI);
	/* Malformed files make the figures unknown, nothing else. */
	put(r, "cg2/app/io.pressure", "some avg10=zz total=1\n");
	put(r, "mem/app/memory.oom_control", "under_oom 1\n");
	pw_cgstat_read(&fs, "/app", &st);
	assert_int_equal(st.psi_why, PW_CGW_UNREADABLE);
	assert_int_equal(st.mem_why, PW_CGW_UNREADABLE);
}

static void
test_psi_read_unified_v2_events(void **state)
{
	const char *r = fakeproc_root(*state);
	struct pw_cgstat st;
	struct pw_cgfs fs;

	put(r, "self/mounts", "cgroup2 %s/cg cgroup2 rw 0 0\n", r);
	put(r, "cg/cgroup.controllers", "cpuset cpu io memory pids\n");
	put(r, "cg/svc/cpu.pressure", "%s", psi_text);
	put(r, "cg/svc/memory.pressure", "%s", psi_text);
	put(r, "cg/svc/io.pressure", "%s", psi_text);
	put(r, "cg/svc/memory.events", "low 0\nhigh 7\nmax 6\noom 2\n"
	    "oom_kill 1\noom_group_kill 0\n");
	put(r, "cg/svc/memory.max", "max\n");
	assert_int_equal(pw_cgfs_discover(r, &fs), 0);
	assert_true(fs.mem_on_v2);
	pw_cgstat_read(&fs, "/svc", &st);
	assert_int_equal(st.psi_why, PW_CGW_OK);
	assert_int_equal(st.mem_src, PW_CGS_V2);
	assert_true(st.has_events);
	assert_int_equal(st.oom_kill, 1);
	assert_int_equal(st.oom, 2);
	assert_int_equal(st.high, 7);
	assert_int_equal(st.max, 6);
	assert_false(st.has_limit);		/* "max": no limit */
	assert_false(st.has_under_oom);
	put(r, "cg/svc/memory.max", "1048576\n");
	pw_cgstat_read(&fs, "/svc", &st);
	assert_true(st.has_limit);
	assert_int_equal(st.limit_bytes, MIB);
	/* The root cgroup "/" reads the mount's own files. */
	put(r, "cg/memory.events", "oom_kill 9\n");
	put(r, "cg/cpu.pressure", "%s", psi_text);
	put(r, "cg/memory.pressure", "%s", psi_text);
	put(r, "cg/io.pressure", "%s", psi_text);
	pw_cgstat_read(&fs, "/", &st);
	assert_int_equal(st.oom_kill, 9);
	assert_int_equal(st.psi_why, PW_CGW_OK);
}

/* --- the monitor: figures per group, OOM kills ---------------------------- */

static struct fakeproc_proc
member(pid_t pid, const char *comm, uint64_t rss_kb)
{
	struct fakeproc_proc p = {
		.pid = pid, .ppid = 1, .comm = comm, .cmdline = comm,
		.utime = 10, .stime = 5, .starttime = 5000 + (uint64_t)pid,
		.vms_kb = rss_kb * 2, .rss_kb = rss_kb, .threads = 1,
		.cgroup = "/app",
	};
	return p;
}

static struct pw_monitor *
mk_monitor(struct fakeproc *fk, const struct pw_target *t, size_t nt)
{
	struct pw_monitor_config c;
	struct pw_monitor *m;
	int err = 0;

	pw_monitor_config_defaults(&c);
	c.proc_root = fakeproc_root(fk);
	c.history = 10;
	c.oom_alert_ms = 5000;
	c.targets = t;
	c.ntargets = nt;
	m = pw_monitor_new(&c, &err);
	assert_non_null(m);
	return m;
}

/* The newest group sample of `name`. */
static struct pw_group_sample
latest(struct pw_monitor *m, const char *name)
{
	struct pw_group_sample *v, out;
	size_t n, cap;

	assert_int_equal(pw_store_group_samples(pw_monitor_store(m), name,
	    INT64_MIN, 1, &v, &n, &cap), 0);
	assert_int_equal(n, 1);
	out = v[0];
	free(v);
	return out;
}

static size_t
kills(struct pw_monitor *m, struct pw_oom_kill **k)
{
	size_t n;

	assert_int_equal(pw_monitor_oom_kills(m, k, &n, NULL), 0);
	return n;
}

static void
test_psi_monitor_cgroup_target_oom_kill(void **state)
{
	struct fakeproc *fk = *state;
	const char *r = fakeproc_root(fk);
	struct fakeproc_proc big = member(100, "hog", 60000);
	struct fakeproc_proc small = member(101, "helper", 1000);
	struct pw_metric_ctx c = { 0 };
	struct pw_group_sample g;
	struct pw_oom_kill *k, one;
	struct pw_target t;
	struct pw_monitor *m;
	double v;

	hybrid_tree(r, 0, 5);
	fakeproc_add(fk, &big);
	fakeproc_add(fk, &small);
	assert_int_equal(pw_target_init(&t, "app", PW_SEL_CGROUP, "/app",
	    false, NULL, 0), 0);
	m = mk_monitor(fk, &t, 1);
	assert_int_equal(pw_monitor_cycle(m, T0), 0);
	g = latest(m, "app");
	assert_int_equal(g.processes, 2);
	assert_true(pw_metric_read_group(PW_METRIC_PSI_CPU_SOME_PERCENT, &c,
	    &g, NULL, &v));
	assert_float_equal(v, 3.0, 1e-9);
	assert_true(pw_metric_read_group(PW_METRIC_PSI_CPU_SOME_SECONDS, &c,
	    &g, NULL, &v));
	assert_float_equal(v, 3.0, 1e-9);
	assert_true(pw_metric_read_group(PW_METRIC_MEM_EVENTS_OOM_KILL, &c,
	    &g, NULL, &v));
	assert_float_equal(v, 0, 0);
	assert_false(pw_metric_read_group(PW_METRIC_MEM_EVENTS_HIGH, &c, &g,
	    NULL, &v));			/* v1 has none */
	assert_true(pw_metric_read_group(PW_METRIC_CGROUP_MEMORY_LIMIT, &c,
	    &g, NULL, &v));
	assert_float_equal(v, 64.0 * MIB, 0);

	/* The kernel counts the kill; the victim is still there. */
	hybrid_tree(r, 1, 6);
	assert_int_equal(pw_monitor_cycle(m, T0 + 1000), 0);
	assert_int_equal(kills(m, &k), 0);
	free(k);
	/* Gone at the next cycle, with the helper: only the hog was. */
	fakeproc_remove(fk, 100);
	fakeproc_remove(fk, 101);
	assert_int_equal(pw_monitor_cycle(m, T0 + 2000), 0);
	assert_int_equal(kills(m, &k), 1);
	assert_int_equal(k[0].pid, 100);
	assert_string_equal(k[0].comm, "hog");
	assert_string_equal(k[0].target, "app");
	assert_int_equal(k[0].rss_bytes, 60000 * 1024ULL);
	assert_int_equal(k[0].limit, PW_OOM_CGROUP);
	assert_string_equal(k[0].limit_cgroup, "/app");
	assert_string_equal(k[0].cgroup, "/app");
	assert_true(k[0].has_limit_bytes);
	assert_int_equal(k[0].limit_bytes, 64 * MIB);
	assert_int_equal(k[0].ts_ms, T0 + 2000);
	assert_false(k[0].signal_seen);
	free(k);
	/* The exit reason the alerts give (pw_alerts_set_oom()). */
	assert_int_equal(pw_monitor_oom_of(m, 100, T0, &one), 0);
	assert_int_equal(one.limit_bytes, 64 * MIB);
	assert_int_equal(pw_monitor_oom_of(m, 100, T0 + 2001, &one), -ENOENT);
	assert_int_equal(pw_monitor_oom_of(m, 101, T0, &one), -ENOENT);
	g = latest(m, "app");
	assert_int_equal(g.oom_kills, 1);
	assert_int_equal(g.oom_kills_recent, 1);
	assert_int_equal(g.cg.oom_kill, 1);
	/* oom_alert_ms (5 s) later the window is empty: the alert resolves. */
	assert_int_equal(pw_monitor_cycle(m, T0 + 6000), 0);
	assert_int_equal(latest(m, "app").oom_kills_recent, 1);
	assert_int_equal(pw_monitor_cycle(m, T0 + 7001), 0);
	g = latest(m, "app");
	assert_int_equal(g.oom_kills_recent, 0);
	assert_int_equal(g.oom_kills, 1);
	/* A credit not taken within three cycles is dropped: a later exit
	 * is no OOM kill. */
	fakeproc_add(fk, &small);
	assert_int_equal(pw_monitor_cycle(m, T0 + 8000), 0);
	hybrid_tree(r, 2, 7);
	assert_int_equal(pw_monitor_cycle(m, T0 + 9000), 0);
	assert_int_equal(pw_monitor_cycle(m, T0 + 10000), 0);
	assert_int_equal(pw_monitor_cycle(m, T0 + 11000), 0);
	assert_int_equal(pw_monitor_cycle(m, T0 + 12000), 0);
	assert_int_equal(pw_monitor_cycle(m, T0 + 13000), 0);
	fakeproc_remove(fk, 101);
	assert_int_equal(pw_monitor_cycle(m, T0 + 14000), 0);
	assert_int_equal(kills(m, &k), 1);
	free(k);
	pw_monitor_free(m);
	pw_target_fini(&t);
}

/* The events feed's answer: pid 200 was SIGKILLed, 201 exited. */
static int
fake_exit(void *arg, pid_t pid, int64_t since_ms, int *sig, int64_t *ms)
{
	(void)arg;
	(void)since_ms;
	if (pid != 200 && pid != 201)
		return -ENOENT;
	*sig = pid == 200 ? SIGKILL : 0;
	*ms = T0 + 1500;
	return 0;
}

static void
test_psi_monitor_system_oom_with_the_feed(void **state)
{
	struct fakeproc *fk = *state;
	const char *r = fakeproc_root(fk);
	struct fakeproc_proc a = member(200, "small", 1000);
	struct fakeproc_proc b = member(201, "large", 90000);
	struct pw_group_sample g;
	struct pw_oom_kill *k;
	struct pw_monitor *m;

	a.cgroup = b.cgroup = NULL;
	hybrid_tree(r, 0, 5);
	fakeproc_add(fk, &a);
	fakeproc_add(fk, &b);
	m = mk_monitor(fk, NULL, 0);		/* "all": no cgroup */
	pw_monitor_set_exit_lookup(m, fake_exit, NULL);
	assert_int_equal(pw_monitor_cycle(m, T0), 0);
	g = latest(m, "all");
	assert_int_equal(g.cg.psi_why, PW_CGW_NO_CGROUP);
	/* One system OOM kill; both exit, the larger by itself. */
	put(r, "vmstat", "oom_kill 6\n");
	fakeproc_remove(fk, 200);
	fakeproc_remove(fk, 201);
	assert_int_equal(pw_monitor_cycle(m, T0 + 2000), 0);
	assert_int_equal(kills(m, &k), 1);
	assert_int_equal(k[0].pid, 200);	/* the SIGKILLed one */
	assert_int_equal(k[0].limit, PW_OOM_SYSTEM);
	assert_string_equal(k[0].limit_cgroup, "");
	assert_false(k[0].has_limit_bytes);
	assert_true(k[0].signal_seen);
	assert_int_equal(k[0].ts_ms, T0 + 1500);	/* the exit's time */
	free(k);
	assert_int_equal(latest(m, "all").oom_kills, 1);
	pw_monitor_free(m);
}

static void
test_psi_monitor_unit_target_finds_its_cgroup(void **state)
{
	struct fakeproc *fk = *state;
	const char *r = fakeproc_root(fk);
	struct fakeproc_proc p = member(300, "worker", 1000);
	struct pw_group_sample g;
	struct pw_target t;
	struct pw_monitor *m;

	/* Unified, the unit's cgroup one level above its process's. */
	put(r, "self/mounts", "cgroup2 %s/cg cgroup2 rw 0 0\n", r);
	put(r, "cg/cgroup.controllers", "cpu io memory\n");
	put(r, "cg/system.slice/app.service/cpu.pressure", "%s", psi_text);
	put(r, "cg/system.slice/app.service/memory.pressure", "%s", psi_text);
	put(r, "cg/system.slice/app.service/io.pressure", "%s", psi_text);
	put(r, "cg/system.slice/app.service/memory.events", "oom 0\n"
	    "oom_kill 4\nhigh 0\nmax 0\n");
	put(r, "cg/system.slice/app.service/memory.max", "2097152\n");
	put(r, "vmstat", "oom_kill 0\n");
	p.cgroup = "/system.slice/app.service/workers";
	fakeproc_add(fk, &p);
	assert_int_equal(pw_target_init(&t, "app", PW_SEL_UNIT, "app", false,
	    NULL, 0), 0);
	m = mk_monitor(fk, &t, 1);
	assert_int_equal(pw_monitor_cycle(m, T0), 0);
	g = latest(m, "app");
	assert_int_equal(g.cg.psi_why, PW_CGW_OK);
	assert_int_equal(g.cg.mem_why, PW_CGW_OK);
	assert_int_equal(g.cg.mem_src, PW_CGS_V2);
	assert_int_equal(g.cg.oom_kill, 4);
	assert_int_equal(g.cg.limit_bytes, 2 * MIB);
	/* With no member left the cgroup found stays the group's. */
	fakeproc_remove(fk, 300);
	assert_int_equal(pw_monitor_cycle(m, T0 + 1000), 0);
	assert_int_equal(latest(m, "app").cg.oom_kill, 4);
	pw_monitor_free(m);
	/* A unit target that never had a member: null, and why. */
	m = mk_monitor(fk, &t, 1);
	assert_int_equal(pw_monitor_cycle(m, T0 + 2000), 0);
	g = latest(m, "app");
	assert_int_equal(g.cg.psi_why, PW_CGW_NO_MEMBER);
	assert_non_null(pw_cgstat_why_text(g.cg.psi_why));
	pw_monitor_free(m);
	pw_target_fini(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_psi_parse_some_and_full),
		cmocka_unit_test(test_psi_parse_rejects_malformed),
		cmocka_unit_test(test_psi_kv_find),
		cmocka_unit_test(test_psi_mounts_hybrid_and_unified),
		cmocka_unit_test(test_psi_unit_prefix),
		cmocka_unit_test_setup_teardown(test_psi_read_hybrid, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_psi_read_unified_v2_events,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_psi_monitor_cgroup_target_oom_kill, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_psi_monitor_system_oom_with_the_feed, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_psi_monitor_unit_target_finds_its_cgroup, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

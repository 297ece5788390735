/*
 * test_delay.c: per-process delays (procwatch/delay.h): where a sample
 * gets them (schedstat, stat's field 42, a taskstats-like source), the
 * taskstats answer parser, kernel.task_delayacct in a fake tree, and the
 * shares a monitor stores, against a fake /proc and a fake clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <procwatch/delay.h>
#include <procwatch/metric.h>
#include <procwatch/monitor.h>
#include <procwatch/procfs.h>
#include <procwatch/ring.h>
#include <procwatch/store.h>

#include "tests/unit/fakeproc.h"
#include "procfs_impl.h"

#define T0	1800000000000LL		/* fake wall clock, ms */
#define MS	1000000ULL		/* ns */

struct fixture {
	struct fakeproc		*fk;
	struct pw_procfs	*fs;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->fk = fakeproc_new(NULL);
	assert_non_null(f->fs = pw_procfs_new(fakeproc_root(f->fk)));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	pw_procfs_free(f->fs);
	fakeproc_free(f->fk);
	free(f);
	return 0;
}

static struct fakeproc_proc
one_proc(pid_t pid, unsigned threads)
{
	struct fakeproc_proc p = {
		.pid = pid, .ppid = 1, .comm = "worker", .cmdline = "worker",
		.utime = 100, .stime = 50, .starttime = 5000,
		.vms_kb = 8192, .rss_kb = 2048, .threads = threads,
		.has_schedstat = true, .run_ns = 7 * MS, .slices = 9,
		.run_delay_ns = 250 * MS, .blkio_ticks = 30,
	};
	return p;
}

/* A fake taskstats: fixed figures, or an error. */
struct fake_ts {
	int			rc;
	struct pw_delays	d;
	unsigned		calls;
};

static int
fake_query(void *arg, pid_t tgid, struct pw_delays *out)
{
	struct fake_ts *t = arg;

	(void)tgid;
	t->calls++;
	if (t->rc < 0)
		return t->rc;
	*out = t->d;
	return 0;
}

static uint64_t
tick_ns(void)
{
	return 1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK);
}

/* --- where a sample's delays come from ------------------------------------- */

static void
test_delay_single_thread_from_schedstat_and_stat(void **state)
{
	struct fixture *f = *state;
	struct fakeproc_proc p = one_proc(100, 1);
	struct pw_delay_src src = { NULL, NULL, true };
	struct pw_prochandle h;
	struct pw_sample s;

	fakeproc_add(f->fk, &p);
	pw_procfs_set_delays(f->fs, &src);
	pw_prochandle_init(&h, 100);
	assert_int_equal(pw_procfs_sample(f->fs, &h, true, 0, &s, NULL), 0);
	pw_prochandle_close(&h);
	assert_int_equal(s.cpu_delay_ns, 250 * MS);
	assert_int_equal(s.blkio_delay_ns, 30 * tick_ns());
	assert_int_equal(s.flags & PW_SAMPLE_NO_DELAYS,
	    PW_SAMPLE_NO_MEM_DELAY);	/* swap-in, memory: taskstats only */

	/* Read once, without kept descriptors, the run delay is there too. */
	pw_prochandle_init(&h, 100);
	assert_int_equal(pw_procfs_sample(f->fs, &h, false, 0, &s, NULL), 0);
	assert_int_equal(s.cpu_delay_ns, 250 * MS);
}

static void
test_delay_accounting_off_leaves_io_unknown(void **state)
{
	struct fixture *f = *state;
	struct fakeproc_proc p = one_proc(100, 1);
	struct pw_delay_src src = { NULL, NULL, false };
	struct pw_prochandle h;
	struct pw_sample s;

	fakeproc_add(f->fk, &p);
	pw_procfs_set_delays(f->fs, &src);
	pw_prochandle_init(&h, 100);
	assert_int_equal(pw_procfs_sample(f->fs, &h, false, 0, &s, NULL), 0);
	/* The run delay needs no delay accounting; stat's field 42 does. */
	assert_false(s.flags & PW_SAMPLE_NO_CPU_DELAY);
	assert_true(s.flags & PW_SAMPLE_NO_IO_DELAY);
	assert_int_equal(s.blkio_delay_ns, 0);
}

static void
test_delay_multi_thread_without_taskstats_unknown(void **state)
{
	struct fixture *f = *state;
	struct fakeproc_proc p = one_proc(100, 4);
	struct pw_delay_src src = { NULL, NULL, true };
	struct pw_prochandle h;
	struct pw_sample s;

	fakeproc_add(f->fk, &p);
	pw_procfs_set_delays(f->fs, &src);
	pw_prochandle_init(&h, 100);
	assert_int_equal(pw_procfs_sample(f->fs, &h, true, 0, &s, NULL), 0);
	pw_prochandle_close(&h);
	/* schedstat and field 42 are the main thread's: not the process's. */
	assert_int_equal(s.flags & PW_SAMPLE_NO_DELAYS, PW_SAMPLE_NO_DELAYS);
	assert_int_equal(s.cpu_delay_ns, 0);
}

static void
test_delay_taskstats_gives_all_four(void **state)
{
	struct fixture *f = *state;
	struct fakeproc_proc p = one_proc(100, 4);
	struct fake_ts t = { 0, { 11 * MS, 22 * MS, 33 * MS, 44 * MS }, 0 };
	struct pw_delay_src src = { fake_query, &t, true };
	struct pw_prochandle h;
	struct pw_sample s;

	fakeproc_add(f->fk, &p);
	pw_procfs_set_delays(f->fs, &src);
	pw_prochandle_init(&h, 100);
	assert_int_equal(pw_procfs_sample(f->fs, &h, false, 0, &s, NULL), 0);
	assert_int_equal(t.calls, 1);
	assert_int_equal(s.flags & PW_SAMPLE_NO_DELAYS, 0);
	assert_int_equal(s.cpu_delay_ns, 11 * MS);
	assert_int_equal(s.blkio_delay_ns, 22 * MS);
	assert_int_equal(s.swapin_delay_ns, 33 * MS);
	assert_int_equal(s.mem_delay_ns, 44 * MS);

	/* Delay accounting off: the run delay only. */
	src.delayacct = false;
	assert_int_equal(pw_procfs_sample(f->fs, &h, false, 0, &s, NULL), 0);
	assert_int_equal(s.flags & PW_SAMPLE_NO_DELAYS,
	    PW_SAMPLE_NO_IO_DELAY | PW_SAMPLE_NO_MEM_DELAY);
	assert_int_equal(s.cpu_delay_ns, 11 * MS);

	/* A failed query: no figure of a multi-threaded process... */
	t.rc = -ENOBUFS;
	src.delayacct = true;
	assert_int_equal(pw_procfs_sample(f->fs, &h, false, 0, &s, NULL), 0);
	assert_int_equal(s.flags & PW_SAMPLE_NO_DELAYS, PW_SAMPLE_NO_DELAYS);
	/* ...while a single-threaded one's CPU and I/O come from /proc. */
	p.threads = 1;
	fakeproc_update(f->fk, &p);
	assert_int_equal(pw_procfs_sample(f->fs, &h, false, 0, &s, NULL), 0);
	assert_int_equal(s.flags & PW_SAMPLE_NO_DELAYS, PW_SAMPLE_NO_MEM_DELAY);
	assert_int_equal(s.cpu_delay_ns, 250 * MS);
	assert_int_equal(s.blkio_delay_ns, 30 * tick_ns());
}

/*
 * A single-threaded process asks taskstats (for swap-in and memory) only
 * when its page faults moved, or every PW_PROCFS_TS_EVERY full reads.
 */
static void
test_delay_single_thread_asks_on_faults(void **state)
{
	struct fixture *f = *state;
	struct fakeproc_proc p = one_proc(100, 1);
	struct fake_ts t = { 0, { 0, 0, 3 * MS, 4 * MS }, 0 };
	struct pw_delay_src src = { fake_query, &t, true };
	struct pw_prochandle h;
	struct pw_sample s, prev;
	unsigned i;

	fakeproc_add(f->fk, &p);
	pw_procfs_set_delays(f->fs, &src);
	pw_prochandle_init(&h, 100);
	assert_int_equal(pw_procfs_sample(f->fs, &h, false, 0, &prev, NULL),
	    0);
	assert_int_equal(t.calls, 1);		/* a first read asks */
	assert_int_equal(prev.mem_delay_ns, 4 * MS);
	/* It ran (a full read) but did not fault: not asked, carried. */
	t.d.mem_ns = 9 * MS;
	p.utime++;
	fakeproc_update(f->fk, &p);
	assert_int_equal(pw_procfs_sample_since(f->fs, &h, false, 0, &prev,
	    &s, NULL), 0);
	assert_int_equal(t.calls, 1);
	assert_int_equal(s.flags & PW_SAMPLE_NO_DELAYS, 0);
	assert_int_equal(s.mem_delay_ns, 4 * MS);
	assert_int_equal(s.swapin_delay_ns, 3 * MS);
	/* A major fault: asked, and the new total is there. */
	p.majflt++;
	fakeproc_update(f->fk, &p);
	prev = s;
	assert_int_equal(pw_procfs_sample_since(f->fs, &h, false, 0, &prev,
	    &s, NULL), 0);
	assert_int_equal(t.calls, 2);
	assert_int_equal(s.mem_delay_ns, 9 * MS);
	/* Without faults, asked again after PW_PROCFS_TS_EVERY reads. */
	for (i = 0; i <= PW_PROCFS_TS_EVERY; i++) {
		prev = s;
		assert_int_equal(pw_procfs_sample_since(f->fs, &h, false, 0,
		    &prev, &s, NULL), 0);
	}
	assert_int_equal(t.calls, 3);
}

/* A process that gains threads changes source: no CPU or I/O rate then. */
static void
test_delay_thread_count_change_breaks_rate(void **state)
{
	struct fixture *f = *state;
	struct fakeproc_proc p = one_proc(100, 1);
	struct fake_ts t = { 0, { 900 * MS, 0, 0, 0 }, 0 };
	struct pw_delay_src src = { fake_query, &t, true };
	struct pw_prochandle h;
	struct pw_sample s, prev;

	fakeproc_add(f->fk, &p);
	pw_procfs_set_delays(f->fs, &src);
	pw_prochandle_init(&h, 100);
	assert_int_equal(pw_procfs_sample(f->fs, &h, false, 0, &prev, NULL),
	    0);
	assert_int_equal(prev.cpu_delay_ns, 250 * MS);	/* schedstat */
	p.threads = 3;
	fakeproc_update(f->fk, &p);
	assert_int_equal(pw_procfs_sample_since(f->fs, &h, false, 0, &prev,
	    &s, NULL), 0);
	assert_int_equal(s.cpu_delay_ns, 900 * MS);	/* taskstats */
	assert_true(s.flags & PW_SAMPLE_NO_CPU_DELAY);
	assert_true(s.flags & PW_SAMPLE_NO_IO_DELAY);
	prev = s;
	assert_int_equal(pw_procfs_sample_since(f->fs, &h, false, 0, &prev,
	    &s, NULL), 0);
	assert_false(s.flags & PW_SAMPLE_NO_CPU_DELAY);
}

static void
test_delay_idle_process_keeps_its_delays(void **state)
{
	struct fixture *f = *state;
	struct fakeproc_proc p = one_proc(100, 1);
	struct fake_ts t = { 0, { 5 * MS, 6 * MS, 0, 0 }, 0 };
	struct pw_delay_src src = { fake_query, &t, true };
	struct pw_prochandle h;
	struct pw_sample s, prev;

	fakeproc_add(f->fk, &p);
	pw_procfs_set_delays(f->fs, &src);
	pw_prochandle_init(&h, 100);
	assert_int_equal(pw_procfs_sample(f->fs, &h, true, 0, &prev, NULL), 0);
	/* Nothing ran: the idle check answers without asking taskstats. */
	assert_int_equal(pw_procfs_sample_since(f->fs, &h, true, 0, &prev, &s,
	    NULL), PW_PROCFS_UNCHANGED);
	assert_int_equal(t.calls, 1);
	assert_int_equal(s.cpu_delay_ns, 250 * MS);
	assert_int_equal(s.blkio_delay_ns, 30 * tick_ns());
	pw_prochandle_close(&h);
}

/* --- the taskstats answer ------------------------------------------------- */

/* Append an attribute; returns its start. */
static unsigned char *
put_attr(unsigned char **p, uint16_t type, const void *data, size_t len)
{
	unsigned char *at = *p;
	struct nlattr na = { (uint16_t)(NLA_HDRLEN + len), type };

	memcpy(at, &na, sizeof(na));
	if (data != NULL)
		memcpy(at + NLA_HDRLEN, data, len);
	*p = at + NLA_ALIGN(NLA_HDRLEN + len);
	return at;
}

/* A TASKSTATS_TYPE_AGGR_TGID answer for tgid; its length. */
static size_t
mk_answer(unsigned char *buf, uint32_t tgid, const struct taskstats *ts,
    size_t ts_len)
{
	struct nlmsghdr nh = { 0 };
	struct genlmsghdr gh = { TASKSTATS_CMD_NEW, 1, 0 };
	unsigned char *p = buf + NLMSG_LENGTH(GENL_HDRLEN), *nest;
	struct nlattr na;

	memset(buf, 0, 1024);
	nest = p;
	put_attr(&p, TASKSTATS_TYPE_AGGR_TGID, NULL, 0);
	put_attr(&p, TASKSTATS_TYPE_TGID, &tgid, sizeof(tgid));
	put_attr(&p, TASKSTATS_TYPE_STATS, ts, ts_len);
	na.nla_len = (uint16_t)(p - nest);
	na.nla_type = TASKSTATS_TYPE_AGGR_TGID;
	memcpy(nest, &na, sizeof(na));
	nh.nlmsg_len = (uint32_t)(p - buf);
	nh.nlmsg_type = 31;
	memcpy(buf, &nh, sizeof(nh));
	memcpy(buf + NLMSG_HDRLEN, &gh, sizeof(gh));
	return nh.nlmsg_len;
}

static void
test_delay_taskstats_parse(void **state)
{
	unsigned char buf[1024] __attribute__((aligned(8)));
	struct taskstats ts;
	struct pw_delays d;
	struct nlmsghdr nh = { 0 };
	struct nlmsgerr ne = { 0 };
	size_t n;

	(void)state;
	memset(&ts, 0, sizeof(ts));
	ts.version = TASKSTATS_VERSION;
	ts.cpu_delay_total = 1000;
	ts.blkio_delay_total = 2000;
	ts.swapin_delay_total = 3000;
	ts.freepages_delay_total = 400;
	ts.thrashing_delay_total = 500;
	ts.compact_delay_total = 600;
	n = mk_answer(buf, 4242, &ts, sizeof(ts));
	assert_int_equal(pw_taskstats_parse_delays(buf, n, 4242, &d), 0);
	assert_int_equal(d.cpu_ns, 1000);
	assert_int_equal(d.blkio_ns, 2000);
	assert_int_equal(d.swapin_ns, 3000);
	assert_int_equal(d.mem_ns, 1500);	/* reclaim + thrashing + compact */
	/* Another process's answer, and a cut one, are not taken. */
	assert_int_equal(pw_taskstats_parse_delays(buf, n, 4243, &d), -EINVAL);
	assert_int_equal(pw_taskstats_parse_delays(buf, n - 8, 4242, &d),
	    -EINVAL);
	/* An older kernel's shorter struct: no compaction figure. */
	n = mk_answer(buf, 4242, &ts,
	    offsetof(struct taskstats, compact_count));
	assert_int_equal(pw_taskstats_parse_delays(buf, n, 4242, &d), 0);
	assert_int_equal(d.mem_ns, 900);
	/* The kernel's error: a gone process is -ESRCH. */
	nh.nlmsg_len = NLMSG_LENGTH(sizeof(ne));
	nh.nlmsg_type = NLMSG_ERROR;
	ne.error = -ESRCH;
	memcpy(buf, &nh, sizeof(nh));
	memcpy(buf + NLMSG_HDRLEN, &ne, sizeof(ne));
	assert_int_equal(pw_taskstats_parse_delays(buf, nh.nlmsg_len, 4242,
	    &d), -ESRCH);
	assert_int_equal(pw_taskstats_parse_delays(buf, 3, 4242, &d), -EINVAL);
}

/* --- kernel.task_delayacct ------------------------------------------------ */

static void
test_delay_sysctl_read_and_enable(void **state)
{
	struct fixture *f = *state;
	char path[512];
	bool on = true;
	FILE *fp;

	assert_int_equal(pw_delayacct_get(f->fs, &on), -ENOENT);
	snprintf(path, sizeof(path), "%s/sys", fakeproc_root(f->fk));
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sys/kernel", fakeproc_root(f->fk));
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sys/kernel/task_delayacct",
	    fakeproc_root(f->fk));
	assert_non_null(fp = fopen(path, "w"));
	fputs("0\n", fp);
	fclose(fp);
	assert_int_equal(pw_delayacct_get(f->fs, &on), 0);
	assert_false(on);
	assert_int_equal(pw_delayacct_enable(f->fs), 0);
	assert_int_equal(pw_delayacct_get(f->fs, &on), 0);
	assert_true(on);
	/* Garbage is not "on". */
	assert_non_null(fp = fopen(path, "w"));
	fputs("x\n", fp);
	fclose(fp);
	assert_int_equal(pw_delayacct_get(f->fs, &on), -EINVAL);
}

/* --- the shares a monitor stores ------------------------------------------ */

static struct pw_monitor *
mk_monitor(struct fakeproc *fk)
{
	struct pw_monitor_config c;
	struct pw_monitor *m;
	int err = 0;

	pw_monitor_config_defaults(&c);
	c.proc_root = fakeproc_root(fk);
	c.history = 5;
	m = pw_monitor_new(&c, &err);
	assert_non_null(m);
	return m;
}

/* The newest value of row `row` for pid, false when unknown. */
static bool
latest(struct pw_monitor *m, pid_t pid, enum pw_metric row, double *v)
{
	struct pw_sample *s;
	struct pw_metric_ctx ctx = { 0 };
	size_t n, cap;
	bool known;

	assert_int_equal(pw_store_samples(pw_monitor_store(m), pid, INT64_MIN,
	    10, &s, &n, &cap), 0);
	known = pw_metric_read(row, &ctx, &s[n - 1], n > 1 ? &s[n - 2] :
	    NULL, v);
	free(s);
	return known;
}

/* p ran for `ns`: a changed run time, so its next read is a full one. */
static void
ran(struct fakeproc_proc *p, uint64_t ns)
{
	p->run_ns += ns;
	p->slices++;
}

static void
write_switch(struct fakeproc *fk, const char *v)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/sys", fakeproc_root(fk));
	(void)mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/kernel", fakeproc_root(fk));
	(void)mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/kernel/task_delayacct",
	    fakeproc_root(fk));
	assert_non_null(fp = fopen(path, "w"));
	fputs(v, fp);
	fclose(fp);
}

static void
test_delay_monitor_shares_over_the_interval(void **state)
{
	struct fixture *f = *state;
	struct fakeproc_proc p = one_proc(100, 1);
	struct pw_monitor_stats st;
	struct pw_monitor *m;
	double v;

	write_switch(f->fk, "1\n");
	fakeproc_add(f->fk, &p);
	m = mk_monitor(f->fk);
	pw_monitor_get_stats(m, &st);
	assert_false(st.delay_taskstats);	/* a fake root */
	assert_int_equal(st.delayacct, 1);
	assert_int_equal(pw_monitor_cycle(m, T0), 0);
	/* A first sample has no rate. */
	assert_false(latest(m, 100, PW_METRIC_CPU_DELAY_PERCENT, &v));

	/* Over 2 s: 500 ms runnable but waiting, 50 ticks blocked on I/O. */
	ran(&p, 100 * MS);
	p.run_delay_ns += 500 * MS;
	p.blkio_ticks += (uint64_t)sysconf(_SC_CLK_TCK) / 2;
	fakeproc_update(f->fk, &p);
	assert_int_equal(pw_monitor_cycle(m, T0 + 2000), 0);
	assert_true(latest(m, 100, PW_METRIC_CPU_DELAY_PERCENT, &v));
	assert_float_equal(v, 25.0, 0.01);
	assert_true(latest(m, 100, PW_METRIC_IO_DELAY_PERCENT, &v));
	assert_float_equal(v, 25.0, 0.01);
	assert_false(latest(m, 100, PW_METRIC_SWAPIN_DELAY_PERCENT, &v));
	assert_false(latest(m, 100, PW_METRIC_MEMORY_DELAY_PERCENT, &v));

	/* Idle for 1 s: nothing waited. */
	assert_int_equal(pw_monitor_cycle(m, T0 + 3000), 0);
	assert_true(latest(m, 100, PW_METRIC_CPU_DELAY_PERCENT, &v));
	assert_float_equal(v, 0.0, 1e-9);

	/* Delay accounting turned off: I/O delay unknown from the next read. */
	write_switch(f->fk, "0\n");
	ran(&p, 100 * MS);
	fakeproc_update(f->fk, &p);
	assert_int_equal(pw_monitor_cycle(m, T0 + 4000), 0);
	pw_monitor_get_stats(m, &st);
	assert_int_equal(st.delayacct, 0);
	assert_false(latest(m, 100, PW_METRIC_IO_DELAY_PERCENT, &v));
	assert_true(latest(m, 100, PW_METRIC_CPU_DELAY_PERCENT, &v));
	pw_monitor_free(m);
}

static void
test_delay_monitor_no_rate_across_pid_reuse(void **state)
{
	struct fixture *f = *state;
	struct fakeproc_proc p = one_proc(100, 1);
	struct pw_monitor *m;
	double v;

	write_switch(f->fk, "1\n");
	fakeproc_add(f->fk, &p);
	m = mk_monitor(f->fk);
	assert_int_equal(pw_monitor_cycle(m, T0), 0);
	/* Another process with the same pid, which waited less. */
	p.starttime += 100;
	p.run_delay_ns = 10 * MS;
	p.run_ns = 1 * MS;
	fakeproc_update(f->fk, &p);
	assert_int_equal(pw_monitor_cycle(m, T0 + 1000), 0);
	assert_int_equal(pw_monitor_cycle(m, T0 + 2000), 0);
	/* The new one's first sample: no rate from the old one's counters. */
	assert_false(latest(m, 100, PW_METRIC_CPU_DELAY_PERCENT, &v));
	pw_monitor_free(m);
}

/*
 * A wait the switch cut in two: begun while kernel.task_delayacct was off,
 * ended after it came on, the kernel adds the time since the thread's last
 * stamped start (or since boot).  No such step is a rate; a real wait
 * longer than one interval, begun after the switch came on, is.
 */
static void
test_delay_monitor_drops_a_wait_from_before_the_switch(void **state)
{
	struct fixture *f = *state;
	struct fakeproc_proc p = one_proc(100, 1);
	uint64_t hz = (uint64_t)sysconf(_SC_CLK_TCK);
	struct pw_monitor *m;
	double v;

	write_switch(f->fk, "0\n");
	fakeproc_add(f->fk, &p);
	m = mk_monitor(f->fk);
	assert_int_equal(pw_monitor_cycle(m, T0), 0);
	write_switch(f->fk, "1\n");
	ran(&p, MS);
	fakeproc_update(f->fk, &p);
	assert_int_equal(pw_monitor_cycle(m, T0 + 1000), 0);
	/* 2 s after it was last seen off: an hour of "wait" ends. */
	ran(&p, MS);
	p.blkio_ticks += 3600 * hz;
	fakeproc_update(f->fk, &p);
	assert_int_equal(pw_monitor_cycle(m, T0 + 2000), 0);
	assert_false(latest(m, 100, PW_METRIC_IO_DELAY_PERCENT, &v));
	assert_true(latest(m, 100, PW_METRIC_CPU_DELAY_PERCENT, &v));
	/* The next interval is measured from that sample: unknown too. */
	ran(&p, MS);
	fakeproc_update(f->fk, &p);
	assert_int_equal(pw_monitor_cycle(m, T0 + 3000), 0);
	assert_false(latest(m, 100, PW_METRIC_IO_DELAY_PERCENT, &v));
	/* Idle (an unchanged read copies the sample): known again, 0. */
	assert_int_equal(pw_monitor_cycle(m, T0 + 4000), 0);
	assert_true(latest(m, 100, PW_METRIC_IO_DELAY_PERCENT, &v));
	assert_float_equal(v, 0.0, 1e-9);
	/* 10 s on: a 3 s wait ending within 1 s is real, 300 %. */
	ran(&p, MS);
	fakeproc_update(f->fk, &p);
	assert_int_equal(pw_monitor_cycle(m, T0 + 11000), 0);
	ran(&p, MS);
	p.blkio_ticks += 3 * hz;
	fakeproc_update(f->fk, &p);
	assert_int_equal(pw_monitor_cycle(m, T0 + 12000), 0);
	assert_true(latest(m, 100, PW_METRIC_IO_DELAY_PERCENT, &v));
	assert_float_equal(v, 300.0, 0.01);
	pw_monitor_free(m);
}

/* The bound itself: threads times the time since the switch came on. */
static void
test_delay_check_bound(void **state)
{
	struct pw_sample prev, s;

	(void)state;
	memset(&prev, 0, sizeof(prev));
	prev.ts_ms = T0 + 9000;
	prev.threads = 4;
	prev.blkio_delay_ns = 1000 * MS;
	prev.mem_delay_ns = 5 * MS;
	s = prev;
	s.ts_ms = T0 + 10000;
	/* 4 threads, on for 10 s: 40 s of wait at most. */
	s.blkio_delay_ns = prev.blkio_delay_ns + 39000 * MS;
	s.mem_delay_ns = prev.mem_delay_ns + 41000 * MS;
	assert_int_equal(pw__delays_check(&prev, &s, T0),
	    PW_SAMPLE_NO_MEM_DELAY);
	assert_false(s.flags & PW_SAMPLE_NO_IO_DELAY);
	/* Not on: nothing checked.  A counter going back: the ring's. */
	s.flags = 0;
	assert_int_equal(pw__delays_check(&prev, &s, INT64_MIN), 0);
	s.mem_delay_ns = 0;
	assert_int_equal(pw__delays_check(&prev, &s, T0), 0);
	/* Already unknown: not reported as dropped by the check. */
	s.blkio_delay_ns = prev.blkio_delay_ns + 100000 * MS;
	s.flags = PW_SAMPLE_NO_IO_DELAY;
	assert_int_equal(pw__delays_check(&prev, &s, T0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_delay_single_thread_from_schedstat_and_stat),
		T(test_delay_accounting_off_leaves_io_unknown),
		T(test_delay_multi_thread_without_taskstats_unknown),
		T(test_delay_taskstats_gives_all_four),
		T(test_delay_single_thread_asks_on_faults),
		T(test_delay_thread_count_change_breaks_rate),
		T(test_delay_idle_process_keeps_its_delays),
		T(test_delay_taskstats_parse),
		T(test_delay_sysctl_read_and_enable),
		T(test_delay_monitor_shares_over_the_interval),
		T(test_delay_monitor_no_rate_across_pid_reuse),
		T(test_delay_monitor_drops_a_wait_from_before_the_switch),
		T(test_delay_check_bound),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_procfs.c: parsers, readers and the sampling hot path of lib/procfs.c
 * (plus lib/sample.c and the procfs source of lib/source.c), against
 * buffers, the fake tree tests/fixtures/proc/basic (see its README) and the
 * real /proc.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <procwatch/procfs.h>
#include <procwatch/sample.h>
#include <procwatch/source.h>
#include <procwatch/store.h>

#include "tests/unit/fakeproc.h"

#ifndef PW_FIXTURES
#error "PW_FIXTURES must name the tests/fixtures directory"
#endif
#define BASIC	PW_FIXTURES "/proc/basic"

/* A real line of /proc/PID/stat (52 fields). */
static const char stat_line[] =
    "4397 (cat) R 4393 4393 3373 0 -1 4194304 98 0 7 0 11 22 0 0 20 0 1 0 "
    "35964 3133440 377 18446744073709551615 94826873733120 94826873753001 "
    "140722891701504 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94826873769008 "
    "94826873770624 94827016876032 140722891704960 140722891704980 "
    "140722891704980 140722891706347 0\n";

static const char status_kthread[] =
    "Name:\tkthreadd\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "Tgid:\t2\n"
    "Pid:\t2\n"
    "PPid:\t0\n"
    "Uid:\t0\t0\t0\t0\n"
    "Gid:\t0\t0\t0\t0\n"
    "Kthread:\t1\n"
    "Threads:\t1\n"
    "voluntary_ctxt_switches:\t59\n"
    "nonvoluntary_ctxt_switches:\t3\n";

static const char status_user[] =
    "Name:\tcat\n"
    "State:\tR (running)\n"
    "Uid:\t1000\t1001\t1001\t1001\n"
    "VmPeak:\t    3060 kB\n"
    "VmRSS:\t    1620 kB\n"
    "RssAnon:\t     112 kB\n"
    "VmSwap:\t      64 kB\n"
    "Threads:\t1\n"
    "voluntary_ctxt_switches:\t10\n"
    "nonvoluntary_ctxt_switches:\t2\n";

static const char io_text[] =
    "rchar: 6976\n"
    "wchar: 0\n"
    "syscr: 10\n"
    "syscw: 0\n"
    "read_bytes: 4096\n"
    "write_bytes: 8192\n"
    "cancelled_write_bytes: 12288\n";

/* Parse from an exactly-sized heap copy, so ASan sees any over-read. */
static int
parse_stat_exact(const char *text, size_t len, struct pw_procstat *ps)
{
	char *buf = malloc(len > 0 ? len : 1);
	int rc;

	assert_non_null(buf);
	memcpy(buf, text, len);
	rc = pw_procfs_parse_stat(buf, len, ps);
	free(buf);
	return rc;
}

static int
parse_status_exact(const char *text, size_t len, struct pw_procstatus *s)
{
	char *buf = malloc(len > 0 ? len : 1);
	int rc;

	assert_non_null(buf);
	memcpy(buf, text, len);
	rc = pw_procfs_parse_status(buf, len, s);
	free(buf);
	return rc;
}

static int
open_fixture_basic(void **state)
{
	*state = pw_procfs_new(BASIC);
	return *state == NULL ? -1 : 0;
}

static int
open_real_proc(void **state)
{
	*state = pw_procfs_new("/proc");
	return *state == NULL ? -1 : 0;
}

static int
close_fixture(void **state)
{
	pw_procfs_free(*state);
	return 0;
}

/* --- stat ----------------------------------------------------------------- */

static void
test_procfs_parse_stat_real_line(void **state)
{
	struct pw_procstat ps;

	(void)state;
	assert_int_equal(parse_stat_exact(stat_line, strlen(stat_line), &ps),
	    0);
	assert_int_equal(ps.pid, 4397);
	assert_string_equal(ps.comm, "cat");
	assert_int_equal(ps.state, PW_STATE_RUNNING);
	assert_int_equal(ps.ppid, 4393);
	assert_int_equal(ps.minflt, 98);
	assert_int_equal(ps.majflt, 7);
	assert_int_equal(ps.utime, 11);
	assert_int_equal(ps.stime, 22);
	assert_int_equal(ps.threads, 1);
	assert_int_equal(ps.starttime, 35964);
	assert_int_equal(ps.vsize, 3133440);
	assert_int_equal(ps.rss_pages, 377);
}

static void
test_procfs_parse_stat_weird_comm(void **state)
{
	static const char line[] =
	    "200 (my (weird) proc) T 100 200 100 0 -1 4194304 10 0 0 0 7 3 "
	    "0 0 20 0 4 0 23456 2097152 128 18446744073709551615 0\n";
	static const char nl[] =
	    "201 (a) b\n) c) Z 1 1 1 0 -1 0 1 0 2 0 3 4 0 0 20 0 1 0 5 6 7 "
	    "0\n";
	static const char empty[] =
	    "202 () S 1 1 1 0 -1 0 1 0 2 0 3 4 0 0 20 0 1 0 5 6 7 0\n";
	struct pw_procstat ps;

	(void)state;
	assert_int_equal(parse_stat_exact(line, strlen(line), &ps), 0);
	assert_int_equal(ps.pid, 200);
	assert_string_equal(ps.comm, "my (weird) proc");
	assert_int_equal(ps.state, PW_STATE_STOPPED);
	assert_int_equal(ps.ppid, 100);
	assert_int_equal(ps.threads, 4);
	assert_int_equal(ps.rss_pages, 128);

	/* A newline and ") " inside comm: only the last ')' ends it. */
	assert_int_equal(parse_stat_exact(nl, strlen(nl), &ps), 0);
	assert_string_equal(ps.comm, "a) b\n) c");
	assert_int_equal(ps.state, PW_STATE_ZOMBIE);
	assert_int_equal(ps.utime, 3);
	assert_int_equal(ps.rss_pages, 7);

	assert_int_equal(parse_stat_exact(empty, strlen(empty), &ps), 0);
	assert_string_equal(ps.comm, "");
}

static void
test_procfs_parse_stat_long_comm_is_cut(void **state)
{
	static const char line[] =
	    "300 (kworker/u8:0-events_unbound) I 2 0 0 0 -1 69238880 0 0 0 "
	    "0 0 5 0 0 20 0 1 0 30 0 0 18446744073709551615 0\n";
	struct pw_procstat ps;

	(void)state;
	assert_int_equal(parse_stat_exact(line, strlen(line), &ps), 0);
	assert_string_equal(ps.comm, "kworker/u8:0-eve");
	assert_int_equal(ps.state, PW_STATE_IDLE);
	assert_int_equal(ps.stime, 5);
}

static void
test_procfs_parse_stat_truncated(void **state)
{
	struct pw_procstat full, ps;
	size_t len = strlen(stat_line), i, need = 0;
	const char *p;
	int spaces = 0, rc;

	(void)state;
	assert_int_equal(parse_stat_exact(stat_line, len, &full), 0);
	/* The 23rd space after ')' ends field 24 (rss). */
	p = strrchr(stat_line, ')');
	for (; *p != '\0'; p++)
		if (*p == ' ' && ++spaces == 23) {
			need = (size_t)(p - stat_line) + 1;
			break;
		}
	assert_true(need > 0);
	for (i = 0; i <= len; i++) {
		memset(&ps, 0xa5, sizeof(ps));
		rc = parse_stat_exact(stat_line, i, &ps);
		if (i < need) {
			assert_int_equal(rc, -EINVAL);
		} else {
			assert_int_equal(rc, 0);
			assert_memory_equal(&ps, &full, sizeof(ps));
		}
	}
}

static void
test_procfs_parse_stat_overflow(void **state)
{
	static const char max[] =
	    "1 (x) S 0 1 1 0 -1 0 1 0 2 0 18446744073709551615 4 0 0 20 0 1 "
	    "0 5 6 7 0\n";
	static const char over[] =
	    "1 (x) S 0 1 1 0 -1 0 1 0 2 0 18446744073709551616 4 0 0 20 0 1 "
	    "0 5 6 7 0\n";
	static const char huge[] =
	    "1 (x) S 0 1 1 0 -1 0 1 0 2 0 99999999999999999999999 4 0 0 20 "
	    "0 1 0 5 6 7 0\n";
	static const char threads[] =
	    "1 (x) S 0 1 1 0 -1 0 1 0 2 0 3 4 0 0 20 0 4294967296 0 5 6 7 0\n";
	static const char pid[] =
	    "2147483648 (x) S 0 1 1 0 -1 0 1 0 2 0 3 4 0 0 20 0 1 0 5 6 7 0\n";
	struct pw_procstat ps;

	(void)state;
	assert_int_equal(parse_stat_exact(max, strlen(max), &ps), 0);
	assert_true(ps.utime == UINT64_MAX);
	assert_int_equal(parse_stat_exact(over, strlen(over), &ps), -EINVAL);
	assert_int_equal(parse_stat_exact(huge, strlen(huge), &ps), -EINVAL);
	assert_int_equal(parse_stat_exact(threads, strlen(threads), &ps),
	    -EINVAL);
	assert_int_equal(parse_stat_exact(pid, strlen(pid), &ps), -EINVAL);
}

static void
test_procfs_parse_stat_malformed(void **state)
{
	static const char *bad[] = {
		"",
		"(x) S 1",
		"1 x) S 0 1 1 0 -1 0 1 0 2 0 3 4 0 0 20 0 1 0 5 6 7 0\n",
		"1 (x S 0 1 1 0 -1 0 1 0 2 0 3 4 0 0 20 0 1 0 5 6 7 0\n",
		"1 (x) SS 0 1 1 0 -1 0 1 0 2 0 3 4 0 0 20 0 1 0 5 6 7 0\n",
		"1 (x) S -1 1 1 0 -1 0 1 0 2 0 3 4 0 0 20 0 1 0 5 6 7 0\n",
		"1 (x) S 0 1 1 0 -1 0 1 0 2 0 3x 4 0 0 20 0 1 0 5 6 7 0\n",
		"1 (x) S 0 1 1 0 -1 0 1 0 2 0 3  4 0 0 20 0 1 0 5 6 7 0\n",
		"1 (x) S 0 1 1 0 -1 0 1 0 2 0 3 4 0 0 20 0 1 0 5 6\n",
		"1 (x) S 0 1 1 0 -1 0 1 0 2 0 3 4 0 0 20 0 1 0 5 6 7",
		"0 (x) S 0 1 1 0 -1 0 1 0 2 0 3 4 0 0 20 0 1 0 5 6 7 0\n",
	};
	struct pw_procstat ps;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(parse_stat_exact(bad[i], strlen(bad[i]), &ps),
		    -EINVAL);
}

/* --- status, io, limits, meminfo, btime ----------------------------------- */

static void
test_procfs_parse_status_user_process(void **state)
{
	struct pw_procstatus s;

	(void)state;
	assert_int_equal(parse_status_exact(status_user, strlen(status_user),
	    &s), 0);
	assert_true(s.has_vm);
	assert_int_equal(s.vmrss_kb, 1620);
	assert_int_equal(s.vmswap_kb, 64);
	assert_int_equal(s.nvcsw, 10);
	assert_int_equal(s.nivcsw, 2);
	assert_int_equal(s.ruid, 1000);
	assert_int_equal(s.euid, 1001);
}

static void
test_procfs_parse_status_without_vm(void **state)
{
	struct pw_procstatus s;

	(void)state;
	assert_int_equal(parse_status_exact(status_kthread,
	    strlen(status_kthread), &s), 0);
	assert_false(s.has_vm);
	assert_int_equal(s.vmrss_kb, 0);
	assert_int_equal(s.vmswap_kb, 0);
	assert_int_equal(s.nvcsw, 59);
	assert_int_equal(s.nivcsw, 3);
	assert_int_equal(s.euid, 0);
}

static void
test_procfs_parse_status_requires_uid(void **state)
{
	static const char nouid[] = "Name:\tx\nVmRSS:\t 4 kB\n";
	static const char baduid[] = "Name:\tx\nUid:\t1000\n";
	static const char badrss[] = "Uid:\t0\t0\t0\t0\nVmRSS:\tlots kB\n";
	static const char noeol[] = "Uid:\t5\t6\t7\t8";
	struct pw_procstatus s;

	(void)state;
	assert_int_equal(pw_procfs_parse_status(nouid, strlen(nouid), &s),
	    -EINVAL);
	assert_int_equal(pw_procfs_parse_status(baduid, strlen(baduid), &s),
	    -EINVAL);
	assert_int_equal(pw_procfs_parse_status(badrss, strlen(badrss), &s),
	    -EINVAL);
	assert_int_equal(pw_procfs_parse_status(noeol, strlen(noeol), &s), 0);
	assert_int_equal(s.ruid, 5);
	assert_int_equal(s.euid, 6);
}

static void
test_procfs_parse_status_truncated(void **state)
{
	struct pw_procstatus s;
	size_t len = strlen(status_user), i;
	int rc;

	(void)state;
	for (i = 0; i <= len; i++) {
		rc = parse_status_exact(status_user, i, &s);
		assert_true(rc == 0 || rc == -EINVAL);
	}
}

static void
test_procfs_parse_io(void **state)
{
	static const char nowrite[] =
	    "read_bytes: 1\ncancelled_write_bytes: 2\n";
	struct pw_procio io;
	char *buf;
	size_t len = strlen(io_text), i;
	int rc;

	(void)state;
	assert_int_equal(pw_procfs_parse_io(io_text, len, &io), 0);
	assert_int_equal(io.read_bytes, 4096);
	assert_int_equal(io.write_bytes, 8192);
	assert_int_equal(pw_procfs_parse_io(nowrite, strlen(nowrite), &io),
	    -EINVAL);
	for (i = 0; i <= len; i++) {
		assert_non_null(buf = malloc(i + 1));
		memcpy(buf, io_text, i);
		rc = pw_procfs_parse_io(buf, i, &io);
		assert_true(rc == 0 || rc == -EINVAL);
		free(buf);
	}
}

static void
test_procfs_parse_limits(void **state)
{
	static const char num[] =
	    "Limit                     Soft Limit           Hard Limit"
	    "           Units     \n"
	    "Max processes             96365                96365"
	    "                processes \n"
	    "Max open files            20000                524288"
	    "               files     \n";
	static const char unl[] =
	    "Max open files            unlimited            unlimited"
	    "            files     \n";
	static const char bad[] =
	    "Max open filesx           1024                 1024\n"
	    "Max open files            unlimitedx           1024\n";
	static const char none[] = "Max processes 1 1 processes\n";
	uint64_t soft;

	(void)state;
	assert_int_equal(pw_procfs_parse_limits_nofile(num, strlen(num),
	    &soft), 0);
	assert_int_equal(soft, 20000);
	assert_int_equal(pw_procfs_parse_limits_nofile(unl, strlen(unl),
	    &soft), 0);
	assert_true(soft == UINT64_MAX);
	assert_int_equal(pw_procfs_parse_limits_nofile(bad, strlen(bad),
	    &soft), -EINVAL);
	assert_int_equal(pw_procfs_parse_limits_nofile(none, strlen(none),
	    &soft), -EINVAL);
}

static void
test_procfs_parse_meminfo(void **state)
{
	static const char mi[] =
	    "MemTotal:       24684096 kB\nMemFree:        24518312 kB\n";
	static const char over[] = "MemTotal: 18014398509481984 kB\n";
	static const char none[] = "MemFree: 1 kB\n";
	uint64_t b;

	(void)state;
	assert_int_equal(pw_procfs_parse_meminfo_total(mi, strlen(mi), &b), 0);
	assert_true(b == 24684096ULL * 1024);
	assert_int_equal(pw_procfs_parse_meminfo_total(over, strlen(over), &b),
	    -EINVAL);
	assert_int_equal(pw_procfs_parse_meminfo_total(none, strlen(none), &b),
	    -EINVAL);
}

static void
test_procfs_parse_btime(void **state)
{
	static const char st[] =
	    "cpu  1 2 3\nintr 1 2 3\nctxt 278526\nbtime 1795659064\n"
	    "processes 4439\n";
	static const char none[] = "cpu  1 2 3\nbtimex 5\n";
	int64_t t;

	(void)state;
	assert_int_equal(pw_procfs_parse_btime(st, strlen(st), &t), 0);
	assert_true(t == 1795659064);
	assert_int_equal(pw_procfs_parse_btime(none, strlen(none), &t),
	    -EINVAL);
}

/* --- readers against the fixture tree ------------------------------------- */

static void
test_procfs_root_is_copied(void **state)
{
	char root[] = BASIC "///";
	struct pw_procfs *fs;

	(void)state;
	assert_non_null(fs = pw_procfs_new(root));
	memset(root, 'x', sizeof(root) - 1);
	assert_string_equal(pw_procfs_root(fs), BASIC);
	pw_procfs_free(fs);
	pw_procfs_free(NULL);
}

static void
test_procfs_sample_fixture(void **state)
{
	struct pw_prochandle h;
	struct pw_procstat st;
	struct pw_sample s;

	pw_prochandle_init(&h, 100);
	assert_int_equal(pw_procfs_sample(*state, &h, false, 0, &s, &st), 0);
	assert_int_equal(s.ts_ms, 0);
	assert_int_equal(s.utime_ticks, 150);
	assert_int_equal(s.stime_ticks, 75);
	assert_int_equal(s.rss_bytes, 8192 * 1024);	/* VmRSS, not stat */
	assert_int_equal(s.vms_bytes, 104857600);
	assert_int_equal(s.swap_bytes, 512 * 1024);
	assert_int_equal(s.ctx_voluntary, 1234);
	assert_int_equal(s.ctx_involuntary, 56);
	assert_int_equal(s.minor_faults, 2500);
	assert_int_equal(s.major_faults, 12);
	assert_int_equal(s.read_bytes, 4096000);
	assert_int_equal(s.write_bytes, 8192);
	assert_int_equal(s.open_fds, 5);
	assert_int_equal(s.threads, 2);
	assert_int_equal(s.state, PW_STATE_SLEEPING);
	/* No delay source: a multi-threaded process has no delays. */
	assert_int_equal(s.flags, PW_SAMPLE_NO_DELAYS);
	assert_string_equal(st.comm, "webserver");
	assert_int_equal(st.starttime, 12345);
	/* Not kept open: nothing left behind. */
	assert_int_equal(h.stat_fd, -1);
	assert_int_equal(h.status_fd, -1);
	assert_int_equal(h.io_fd, -1);
}

static void
test_procfs_sample_keep_open_reuses_descriptors(void **state)
{
	struct pw_prochandle h;
	struct pw_sample a, b;
	int fds[3];

	pw_prochandle_init(&h, 100);
	assert_int_equal(pw_procfs_sample(*state, &h, true, 12345, &a, NULL),
	    0);
	assert_true(h.stat_fd >= 0 && h.status_fd >= 0 && h.io_fd >= 0);
	fds[0] = h.stat_fd;
	fds[1] = h.status_fd;
	fds[2] = h.io_fd;
	assert_int_equal(pw_procfs_sample(*state, &h, true, 12345, &b, NULL),
	    0);
	assert_int_equal(h.stat_fd, fds[0]);
	assert_int_equal(h.status_fd, fds[1]);
	assert_int_equal(h.io_fd, fds[2]);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_int_equal(b.utime_ticks, 150);
	assert_int_equal(b.open_fds, 5);
	pw_prochandle_close(&h);
	assert_int_equal(h.stat_fd, -1);
	assert_int_equal(h.status_fd, -1);
	assert_int_equal(h.io_fd, -1);
}

/* --- the idle fast path, in a writable tree ------------------------------ */

/* A single-threaded process 500 with two open descriptors. */
static const struct fakeproc_proc idler = {
	.pid = 500, .ppid = 1, .comm = "idler", .state = 'S',
	.utime = 7, .stime = 3, .starttime = 777, .minflt = 10,
	.vms_kb = 8192, .rss_kb = 1024, .vol = 4, .invol = 1,
	.has_io = true, .read_bytes = 100, .write_bytes = 200,
	.has_schedstat = true, .run_ns = 5000, .slices = 9, .nfds = 2,
};

static void
test_procfs_idle_path_parks_and_wakes(void **state)
{
	struct fakeproc_proc p = idler;
	struct fakeproc *fk;
	struct pw_procfs *fs;
	struct pw_prochandle h;
	struct pw_sample prev, s;
	unsigned i;

	(void)state;
	fk = fakeproc_new(NULL);
	fakeproc_add(fk, &p);
	assert_non_null(fs = pw_procfs_new(fakeproc_root(fk)));
	pw_prochandle_init(&h, 500);
	assert_int_equal(pw_procfs_sample_since(fs, &h, true, 777, NULL, &prev,
	    NULL), 0);
	assert_int_equal(pw_prochandle_nfds(&h), 4);	/* statm not yet */
	assert_int_equal(prev.utime_ticks, 7);
	assert_int_equal(prev.rss_bytes, 1024 * 1024);

	/* Nothing ran: two small reads, the previous figures. */
	for (i = 1; i <= PW_PROCFS_PARK_AFTER; i++) {
		assert_int_equal(pw_procfs_sample_since(fs, &h, true, 777,
		    &prev, &s, NULL), PW_PROCFS_UNCHANGED);
		assert_int_equal(s.utime_ticks, 7);
		assert_int_equal(s.open_fds, 2);
		assert_int_equal(h.idle_streak, i);
		prev = s;
	}
	/* Parked: only schedstat and statm stay open. */
	assert_int_equal(pw_prochandle_nfds(&h), 2);
	assert_int_equal(h.stat_fd, -1);
	assert_int_equal(h.status_fd, -1);
	assert_int_equal(h.io_fd, -1);
	assert_true(h.sched_fd >= 0 && h.statm_fd >= 0);

	/* It ran: a full read reopens and sees the new figures. */
	p.run_ns = 9000;
	p.slices = 11;
	p.state = 'R';
	p.utime = 9;
	p.nfds = 3;
	fakeproc_update(fk, &p);
	assert_int_equal(pw_procfs_sample_since(fs, &h, true, 777, &prev, &s,
	    NULL), 0);
	assert_int_equal(s.utime_ticks, 9);
	assert_int_equal(s.open_fds, 3);
	assert_int_equal(h.idle_streak, 0);
	assert_int_equal(pw_prochandle_nfds(&h), 5);

	/* Memory changed without running (reclaim): a full read too. */
	prev = s;
	p.rss_kb = 800;
	fakeproc_update(fk, &p);
	assert_int_equal(pw_procfs_sample_since(fs, &h, true, 777, &prev, &s,
	    NULL), 0);
	/* Not kept open: everything is closed after the read. */
	assert_int_equal(pw_procfs_sample_since(fs, &h, false, 777, &prev, &s,
	    NULL), 0);
	assert_int_equal(pw_prochandle_nfds(&h), 0);
	pw_prochandle_close(&h);
	pw_procfs_free(fs);
	fakeproc_free(fk);
}

static void
test_procfs_sample_start_ticks_mismatch_is_esrch(void **state)
{
	struct pw_prochandle h;
	struct pw_sample s;

	pw_prochandle_init(&h, 100);
	assert_int_equal(pw_procfs_sample(*state, &h, true, 0, &s, NULL), 0);
	assert_true(h.stat_fd >= 0);
	memset(&s, 0x5a, sizeof(s));
	assert_int_equal(pw_procfs_sample(*state, &h, true, 12346, &s, NULL),
	    -ESRCH);
	/* Everything is closed, and *out is untouched. */
	assert_int_equal(h.stat_fd, -1);
	assert_int_equal(h.status_fd, -1);
	assert_int_equal(h.io_fd, -1);
	assert_int_equal(s.threads, 0x5a5a5a5a);
}

static void
test_procfs_sample_missing_pid_is_esrch(void **state)
{
	struct pw_prochandle h;
	struct pw_sample s;

	pw_prochandle_init(&h, 4242);
	assert_int_equal(pw_procfs_sample(*state, &h, true, 0, &s, NULL),
	    -ESRCH);
	assert_int_equal(h.stat_fd, -1);
	pw_prochandle_init(&h, 4242);
	assert_int_equal(pw_procfs_sample(*state, &h, false, 0, &s, NULL),
	    -ESRCH);
}

static void
test_procfs_sample_weird_comm_without_io(void **state)
{
	struct pw_prochandle h;
	struct pw_procstat st;
	struct pw_sample s;

	pw_prochandle_init(&h, 200);
	assert_int_equal(pw_procfs_sample(*state, &h, true, 23456, &s, &st),
	    0);
	assert_string_equal(st.comm, "my (weird) proc");
	assert_int_equal(st.ppid, 100);
	assert_int_equal(s.state, PW_STATE_RUNNING);
	assert_int_equal(s.flags & ~(unsigned)PW_SAMPLE_NO_DELAYS,
	    PW_SAMPLE_NO_IO);
	assert_int_equal(s.read_bytes, 0);
	assert_int_equal(s.rss_bytes, 512 * 1024);
	assert_int_equal(s.vms_bytes, 2097152);
	assert_int_equal(s.utime_ticks, 7);
	assert_int_equal(s.stime_ticks, 3);
	assert_int_equal(s.open_fds, 3);
	assert_int_equal(s.threads, 1);
	/* io is remembered as unavailable and not tried again... */
	assert_int_equal(h.io_fd, -2);
	assert_int_equal(pw_procfs_sample(*state, &h, false, 23456, &s, NULL),
	    0);
	assert_int_equal(s.flags & ~(unsigned)PW_SAMPLE_NO_DELAYS,
	    PW_SAMPLE_NO_IO);
	assert_int_equal(h.stat_fd, -1);
	assert_int_equal(h.io_fd, -2);
	/* ...until the handle is closed. */
	pw_prochandle_close(&h);
	assert_int_equal(h.io_fd, -1);
}

static void
test_procfs_sample_kernel_thread(void **state)
{
	struct pw_prochandle h;
	struct pw_procstat st;
	struct pw_sample s;

	pw_prochandle_init(&h, 300);
	assert_int_equal(pw_procfs_sample(*state, &h, false, 0, &s, &st), 0);
	assert_string_equal(st.comm, "kworker/0:1-even");
	assert_int_equal(st.ppid, 2);
	assert_int_equal(s.state, PW_STATE_IDLE);
	assert_int_equal(s.rss_bytes, 0);	/* no Vm lines, stat rss 0 */
	assert_int_equal(s.vms_bytes, 0);
	assert_int_equal(s.stime_ticks, 5);
	assert_int_equal(s.ctx_voluntary, 59);
	assert_int_equal(s.open_fds, 0);	/* .gitkeep is no fd */
	assert_int_equal(s.threads, 1);
	assert_int_equal(s.flags & ~(unsigned)PW_SAMPLE_NO_DELAYS, 0);
}

static void
test_procfs_read_stat_and_uid(void **state)
{
	struct pw_procstat ps;
	uid_t uid;

	assert_int_equal(pw_procfs_read_stat(*state, 100, &ps), 0);
	assert_int_equal(ps.pid, 100);
	assert_int_equal(ps.starttime, 12345);
	assert_int_equal(pw_procfs_read_uid(*state, 100, &uid), 0);
	assert_int_equal(uid, 1000);
	assert_int_equal(pw_procfs_read_uid(*state, 300, &uid), 0);
	assert_int_equal(uid, 0);
	assert_int_equal(pw_procfs_read_stat(*state, 4242, &ps), -ESRCH);
	assert_int_equal(pw_procfs_read_uid(*state, 4242, &uid), -ESRCH);
}

static void
test_procfs_read_cmdline_nul_to_space(void **state)
{
	char *cmd;

	assert_int_equal(pw_procfs_read_cmdline(*state, 100, &cmd), 0);
	assert_string_equal(cmd, "/usr/bin/webserver --port 8080");
	free(cmd);
	assert_int_equal(pw_procfs_read_cmdline(*state, 200, &cmd), 0);
	assert_string_equal(cmd, "sh -c sleep 1; echo )");
	free(cmd);
	/* Kernel threads have an empty command line. */
	assert_int_equal(pw_procfs_read_cmdline(*state, 300, &cmd), 0);
	assert_string_equal(cmd, "");
	free(cmd);
	assert_int_equal(pw_procfs_read_cmdline(*state, 4242, &cmd), -ESRCH);
}

static void
test_procfs_read_fd_limit(void **state)
{
	uint64_t soft;

	assert_int_equal(pw_procfs_read_fd_limit(*state, 100, &soft), 0);
	assert_int_equal(soft, 1024);
	assert_int_equal(pw_procfs_read_fd_limit(*state, 200, &soft), 0);
	assert_true(soft == UINT64_MAX);
	assert_int_equal(pw_procfs_read_fd_limit(*state, 4242, &soft), -ESRCH);
}

static void
test_procfs_count_fds(void **state)
{
	uint32_t n;

	assert_int_equal(pw_procfs_count_fds(*state, 100, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(pw_procfs_count_fds(*state, 200, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pw_procfs_count_fds(*state, 300, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(pw_procfs_count_fds(*state, 4242, &n), -ESRCH);
}

static void
test_procfs_mem_total_and_boot_time(void **state)
{
	uint64_t mem;
	int64_t bt;

	assert_int_equal(pw_procfs_mem_total(*state, &mem), 0);
	assert_true(mem == 16384000ULL * 1024);
	assert_int_equal(pw_procfs_boot_time(*state, &bt), 0);
	assert_true(bt == 1700000000);
}

static void
test_procfs_list_pids_sorted(void **state)
{
	pid_t *pids = NULL;
	size_t n = 0;

	assert_int_equal(pw_procfs_list_pids(*state, &pids, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(pids[0], 100);
	assert_int_equal(pids[1], 200);
	assert_int_equal(pids[2], 300);
	free(pids);
}

static void
test_procfs_list_threads(void **state)
{
	struct pw_thread_stat *t = NULL;
	size_t n = 0;

	assert_int_equal(pw_procfs_list_threads(*state, 100, &t, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(t[0].tid, 100);
	assert_string_equal(t[0].comm, "webserver");
	assert_int_equal(t[0].utime, 100);
	assert_int_equal(t[0].stime, 50);
	assert_int_equal(t[1].tid, 101);
	assert_string_equal(t[1].comm, "worker");
	assert_int_equal(t[1].utime, 50);
	assert_int_equal(t[1].stime, 25);
	free(t);
	assert_int_equal(pw_procfs_list_threads(*state, 4242, &t, &n), -ESRCH);
}

/* --- sample.c ------------------------------------------------------------- */

static void
test_procfs_state_chars_round_trip(void **state)
{
	static const char letters[] = "RSDZTtXIPK";
	const char *c;

	(void)state;
	for (c = letters; *c != '\0'; c++)
		assert_int_equal(pw_state_char(pw_state_from_char(*c)), *c);
	assert_int_equal(pw_state_from_char('W'), PW_STATE_WAKEKILL);
	assert_int_equal(pw_state_from_char('?'), PW_STATE_UNKNOWN);
	assert_int_equal(pw_state_char(PW_STATE_UNKNOWN), '?');
}

static void
test_procfs_memory_pct(void **state)
{
	struct pw_sample s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.rss_bytes = 8192 * 1024;
	assert_true(pw_sample_memory_pct(&s, 0) == 0.0);
	assert_true(pw_sample_memory_pct(&s, 16384 * 1024) == 50.0);
}

/* --- the procfs source ---------------------------------------------------- */

static void
test_procfs_source_describe_fixture(void **state)
{
	static const pid_t pids[] = { 300, 4242, 200, 100 };
	struct pw_procinfo info[4];
	struct pw_source *src;
	struct passwd *pw;
	size_t i;

	assert_non_null(src = pw_source_new_procfs(*state));
	assert_string_equal(pw_source_name(src), "procfs");
	assert_int_equal(pw_source_describe(src, pids, 4, info), 3);

	assert_int_equal(info[0].pid, 300);
	assert_int_equal(info[0].ppid, 2);
	assert_int_equal(info[0].start_ticks, 30);
	assert_int_equal(info[0].uid, 0);
	assert_string_equal(info[0].comm, "kworker/0:1-even");
	assert_string_equal(info[0].cmdline, "");
	pw = getpwuid(0);
	assert_string_equal(info[0].user, pw != NULL ? pw->pw_name : "0");

	assert_int_equal(info[1].pid, 0);	/* gone */
	assert_null(info[1].cmdline);
	assert_null(info[1].user);

	assert_int_equal(info[2].pid, 200);
	assert_int_equal(info[2].uid, 54321);
	assert_string_equal(info[2].comm, "my (weird) proc");
	pw = getpwuid(54321);
	assert_string_equal(info[2].user, pw != NULL ? pw->pw_name : "54321");

	assert_int_equal(info[3].pid, 100);
	assert_int_equal(info[3].ppid, 1);
	assert_int_equal(info[3].start_ticks, 12345);
	assert_string_equal(info[3].cmdline, "/usr/bin/webserver --port 8080");

	for (i = 0; i < 4; i++)
		pw_procinfo_fini(&info[i]);
	pw_procinfo_fini(NULL);
	pw_source_free(src);
	pw_source_free(NULL);
}

/* --- the real /proc ------------------------------------------------------- */

static void
test_procfs_live_self(void **state)
{
	struct pw_prochandle h;
	struct pw_procstat st;
	struct pw_sample s;
	struct pw_thread_stat *t = NULL;
	pid_t *pids = NULL;
	size_t n, i;
	uint64_t mem, soft;
	uint32_t nfds;
	int64_t bt;
	char *cmd;
	bool found = false;

	pw_prochandle_init(&h, getpid());
	assert_int_equal(pw_procfs_sample(*state, &h, true, 0, &s, &st), 0);
	assert_int_equal(st.pid, getpid());
	assert_int_equal(st.ppid, getppid());
	assert_true(s.open_fds >= 3);
	assert_true(s.rss_bytes > 0);
	assert_true(s.vms_bytes >= s.rss_bytes);
	assert_true(s.threads >= 1);
	assert_int_equal(s.state, PW_STATE_RUNNING);
	assert_true(s.minor_faults > 0);
	assert_int_equal(s.flags & PW_SAMPLE_NO_FDS, 0);
	/* Same process, kept descriptors, pid pinned by start time. */
	assert_int_equal(pw_procfs_sample(*state, &h, true, st.starttime, &s,
	    NULL), 0);
	assert_true(s.utime_ticks + s.stime_ticks >= st.utime + st.stime);
	assert_int_equal(pw_procfs_sample(*state, &h, true, st.starttime + 1,
	    &s, NULL), -ESRCH);
	assert_int_equal(h.stat_fd, -1);

	assert_int_equal(pw_procfs_count_fds(*state, getpid(), &nfds), 0);
	assert_true(nfds >= 3);
	assert_int_equal(pw_procfs_read_fd_limit(*state, getpid(), &soft), 0);
	assert_true(soft >= nfds);
	assert_int_equal(pw_procfs_read_cmdline(*state, getpid(), &cmd), 0);
	assert_true(cmd[0] != '\0' && cmd[strlen(cmd) - 1] != ' ');
	free(cmd);
	assert_int_equal(pw_procfs_mem_total(*state, &mem), 0);
	assert_true(mem > 0);
	assert_int_equal(pw_procfs_boot_time(*state, &bt), 0);
	assert_true(bt > 1000000000);

	assert_int_equal(pw_procfs_list_pids(*state, &pids, &n), 0);
	assert_true(n >= 1);
	for (i = 0; i < n; i++) {
		if (i > 0)
			assert_true(pids[i - 1] < pids[i]);
		if (pids[i] == getpid())
			found = true;
	}
	assert_true(found);
	free(pids);
	assert_int_equal(pw_procfs_list_threads(*state, getpid(), &t, &n), 0);
	assert_true(n >= 1);
	assert_int_equal(t[0].tid, getpid());
	free(t);
}

static void
test_procfs_live_child_exit_is_esrch(void **state)
{
	struct pw_prochandle h;
	struct pw_procstat st;
	struct pw_sample s;
	pid_t child;
	int i, rc, status;

	if ((child = fork()) == 0) {
		alarm(30);		/* never outlive a failed test */
		for (;;)
			pause();
	}
	assert_true(child > 0);
	pw_prochandle_init(&h, child);
	assert_int_equal(pw_procfs_sample(*state, &h, true, 0, &s, &st), 0);
	assert_true(h.stat_fd >= 0);
	assert_int_equal(kill(child, SIGKILL), 0);
	/* A zombie still has its files, but no memory and no descriptors. */
	for (i = 0; i < 1000; i++) {
		rc = pw_procfs_sample(*state, &h, true, st.starttime, &s, NULL);
		if (rc != 0 || s.state == PW_STATE_ZOMBIE)
			break;
		usleep(1000);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(s.state, PW_STATE_ZOMBIE);
	assert_int_equal(s.rss_bytes, 0);
	assert_int_equal(s.open_fds, 0);
	assert_int_equal(waitpid(child, &status, 0), child);
	/* Reaped: kept descriptors fail instead of reading a stranger. */
	assert_int_equal(pw_procfs_sample(*state, &h, true, st.starttime, &s,
	    NULL), -ESRCH);
	assert_int_equal(h.stat_fd, -1);
	assert_int_equal(h.status_fd, -1);
	assert_int_equal(h.io_fd, -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_procfs_parse_stat_real_line),
		cmocka_unit_test(test_procfs_parse_stat_weird_comm),
		cmocka_unit_test(test_procfs_parse_stat_long_comm_is_cut),
		cmocka_unit_test(test_procfs_parse_stat_truncated),
		cmocka_unit_test(test_procfs_parse_stat_overflow),
		cmocka_unit_test(test_procfs_parse_stat_malformed),
		cmocka_unit_test(test_procfs_parse_status_user_process),
		cmocka_unit_test(test_procfs_parse_status_without_vm),
		cmocka_unit_test(test_procfs_parse_status_requires_uid),
		cmocka_unit_test(test_procfs_parse_status_truncated),
		cmocka_unit_test(test_procfs_parse_io),
		cmocka_unit_test(test_procfs_parse_limits),
		cmocka_unit_test(test_procfs_parse_meminfo),
		cmocka_unit_test(test_procfs_parse_btime),
		cmocka_unit_test(test_procfs_root_is_copied),
		cmocka_unit_test(test_procfs_state_chars_round_trip),
		cmocka_unit_test(test_procfs_memory_pct),
		cmocka_unit_test(test_procfs_idle_path_parks_and_wakes),
#define FIXTURE(t)	cmocka_unit_test_setup_teardown(t, \
			    open_fixture_basic, close_fixture)
		FIXTURE(test_procfs_sample_fixture),
		FIXTURE(test_procfs_sample_keep_open_reuses_descriptors),
		FIXTURE(test_procfs_sample_start_ticks_mismatch_is_esrch),
		FIXTURE(test_procfs_sample_missing_pid_is_esrch),
		FIXTURE(test_procfs_sample_weird_comm_without_io),
		FIXTURE(test_procfs_sample_kernel_thread),
		FIXTURE(test_procfs_read_stat_and_uid),
		FIXTURE(test_procfs_read_cmdline_nul_to_space),
		FIXTURE(test_procfs_read_fd_limit),
		FIXTURE(test_procfs_count_fds),
		FIXTURE(test_procfs_mem_total_and_boot_time),
		FIXTURE(test_procfs_list_pids_sorted),
		FIXTURE(test_procfs_list_threads),
		FIXTURE(test_procfs_source_describe_fixture),
#undef FIXTURE
		cmocka_unit_test_setup_teardown(test_procfs_live_self,
		    open_real_proc, close_fixture),
		cmocka_unit_test_setup_teardown(
		    test_procfs_live_child_exit_is_esrch, open_real_proc,
		    close_fixture),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

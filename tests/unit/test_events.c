/*
 * test_events.c: parsing crafted process connector and taskstats
 * messages, churn detection from synthetic event histories, and matching
 * taskstats records to exit events on an events object fed by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/events.h>

#include "internal.h"

struct msg {
	struct nlmsghdr		nh;
	struct cn_msg		cn;
	struct proc_event	pe;
} __attribute__((packed));

static void
mkmsg(struct msg *m, unsigned what)
{
	memset(m, 0, sizeof(*m));
	m->nh.nlmsg_len = sizeof(*m);
	m->nh.nlmsg_type = NLMSG_DONE;
	m->cn.id.idx = CN_IDX_PROC;
	m->cn.id.val = CN_VAL_PROC;
	m->cn.len = sizeof(m->pe);
	m->pe.what = what;
}

static void
test_events_parse_fork(void **state)
{
	struct pw_event ev;
	struct msg m;

	(void)state;
	mkmsg(&m, PROC_EVENT_FORK);
	m.pe.event_data.fork.parent_pid = 100;
	m.pe.event_data.fork.parent_tgid = 100;
	m.pe.event_data.fork.child_pid = 200;
	m.pe.event_data.fork.child_tgid = 200;
	assert_int_equal(pw_event_parse(&m, sizeof(m), &ev), 1);
	assert_int_equal(ev.type, PW_EV_FORK);
	assert_int_equal(ev.pid, 200);
	assert_int_equal(ev.ppid, 100);
}

/* A process's new name, with the kernel's time of it; a thread's: none. */
static void
test_events_parse_comm(void **state)
{
	struct pw_event ev;
	struct msg m;

	(void)state;
	mkmsg(&m, PROC_EVENT_COMM);
	m.pe.timestamp_ns = UINT64_C(123456789012);
	m.pe.event_data.comm.process_pid = 400;
	m.pe.event_data.comm.process_tgid = 400;
	memcpy(m.pe.event_data.comm.comm, "0123456789abcdef", 16);
	assert_int_equal(pw_event_parse(&m, sizeof(m), &ev), 1);
	assert_int_equal(ev.type, PW_EV_COMM);
	assert_int_equal(ev.pid, 400);
	assert_string_equal(ev.comm, "0123456789abcdef");	/* 16, ended */
	assert_true(ev.mono_ns == UINT64_C(123456789012));
	assert_string_equal(pw_event_type_name(ev.type), "comm");
	m.pe.event_data.comm.process_pid = 401;		/* a thread */
	assert_int_equal(pw_event_parse(&m, sizeof(m), &ev), 0);
}

static void
test_events_parse_thread_fork_is_ignored(void **state)
{
	struct pw_event ev;
	struct msg m;

	(void)state;
	mkmsg(&m, PROC_EVENT_FORK);
	m.pe.event_data.fork.parent_tgid = 100;
	m.pe.event_data.fork.child_pid = 201;
	m.pe.event_data.fork.child_tgid = 100;
	assert_int_equal(pw_event_parse(&m, sizeof(m), &ev), 0);
}

static void
test_events_parse_exec(void **state)
{
	struct pw_event ev;
	struct msg m;

	(void)state;
	mkmsg(&m, PROC_EVENT_EXEC);
	m.pe.event_data.exec.process_pid = 300;
	m.pe.event_data.exec.process_tgid = 300;
	assert_int_equal(pw_event_parse(&m, sizeof(m), &ev), 1);
	assert_int_equal(ev.type, PW_EV_EXEC);
	assert_int_equal(ev.pid, 300);
}

static void
test_events_parse_exit_code(void **state)
{
	struct pw_event ev;
	struct msg m;

	(void)state;
	mkmsg(&m, PROC_EVENT_EXIT);
	m.pe.event_data.exit.process_pid = 400;
	m.pe.event_data.exit.process_tgid = 400;
	m.pe.event_data.exit.exit_code = 3 << 8;	/* exit(3) */
	m.pe.event_data.exit.parent_tgid = 1;
	assert_int_equal(pw_event_parse(&m, sizeof(m), &ev), 1);
	assert_int_equal(ev.type, PW_EV_EXIT);
	assert_int_equal(ev.exit_code, 3);
	assert_int_equal(ev.signal, 0);
	assert_int_equal(ev.ppid, 1);
	assert_true(ev.lifetime_s < 0);
}

static void
test_events_parse_exit_signal(void **state)
{
	struct pw_event ev;
	struct msg m;

	(void)state;
	mkmsg(&m, PROC_EVENT_EXIT);
	m.pe.event_data.exit.process_pid = 401;
	m.pe.event_data.exit.process_tgid = 401;
	m.pe.event_data.exit.exit_code = SIGKILL;
	assert_int_equal(pw_event_parse(&m, sizeof(m), &ev), 1);
	assert_int_equal(ev.signal, SIGKILL);
	assert_false(ev.core_dumped);
	m.pe.event_data.exit.exit_code = SIGSEGV | 0x80;	/* core */
	assert_int_equal(pw_event_parse(&m, sizeof(m), &ev), 1);
	assert_int_equal(ev.signal, SIGSEGV);
	assert_true(ev.core_dumped);
}

static void
test_events_parse_thread_exit_is_ignored(void **state)
{
	struct pw_event ev;
	struct msg m;

	(void)state;
	mkmsg(&m, PROC_EVENT_EXIT);
	m.pe.event_data.exit.process_pid = 402;
	m.pe.event_data.exit.process_tgid = 400;
	assert_int_equal(pw_event_parse(&m, sizeof(m), &ev), 0);
}

static void
test_events_parse_other_kinds_ignored(void **state)
{
	struct pw_event ev;
	struct msg m;

	(void)state;
	mkmsg(&m, PROC_EVENT_UID);
	assert_int_equal(pw_event_parse(&m, sizeof(m), &ev), 0);
	mkmsg(&m, PROC_EVENT_EXEC);
	m.cn.id.idx = CN_IDX_PROC + 1;
	assert_int_equal(pw_event_parse(&m, sizeof(m), &ev), 0);
	mkmsg(&m, PROC_EVENT_EXEC);
	m.nh.nlmsg_type = NLMSG_ERROR;
	assert_int_equal(pw_event_parse(&m, sizeof(m), &ev), 0);
}

static void
test_events_parse_truncated_is_einval(void **state)
{
	struct pw_event ev;
	struct msg m;

	(void)state;
	mkmsg(&m, PROC_EVENT_EXEC);
	assert_int_equal(pw_event_parse(&m, 8, &ev), -EINVAL);
	m.nh.nlmsg_len = sizeof(m) + 10;
	assert_int_equal(pw_event_parse(&m, sizeof(m), &ev), -EINVAL);
	mkmsg(&m, PROC_EVENT_EXEC);
	m.cn.len = sizeof(m.pe) + 64;	/* longer than the message */
	assert_int_equal(pw_event_parse(&m, sizeof(m), &ev), -EINVAL);
}

/* An exit of a child of ppid, at ts, after `life` seconds. */
static struct pw_event
ex(int64_t ts, pid_t pid, pid_t ppid, const char *comm, double life)
{
	struct pw_event e;

	memset(&e, 0, sizeof(e));
	e.ts_ms = ts;
	e.type = PW_EV_EXIT;
	e.pid = pid;
	e.ppid = ppid;
	snprintf(e.comm, sizeof(e.comm), "%s", comm);
	snprintf(e.parent_comm, sizeof(e.parent_comm), "bash");
	snprintf(e.target, sizeof(e.target), "jobs");
	e.lifetime_s = life;
	return e;
}

static void
test_events_churn_finds_the_forking_parent(void **state)
{
	struct pw_event *v = calloc(2200, sizeof(*v));
	struct pw_churn *c;
	size_t n = 0, nc, i;

	(void)state;
	/* 10 s of 200 short children per second from pid 50 ... */
	for (i = 0; i < 2000; i++)
		v[n++] = ex(1000000 + (int64_t)i * 5, 1000 + (pid_t)i, 50,
		    i % 10 == 0 ? "sleep" : "true", 0.004);
	/* ... and a few long-lived or slow ones elsewhere. */
	for (i = 0; i < 100; i++)
		v[n++] = ex(1009000 + (int64_t)i, 5000 + (pid_t)i, 60, "cc1",
		    2.5);
	for (i = 0; i < 5; i++)
		v[n++] = ex(1009500 + (int64_t)i, 6000 + (pid_t)i, 70, "ls",
		    0.01);
	assert_int_equal(pw_churn_detect(v, n, 1010000, 10000, &c, &nc), 0);
	assert_int_equal(nc, 1);
	assert_int_equal(c[0].ppid, 50);
	assert_int_equal(c[0].count, 2000);
	assert_true(c[0].rate_per_s > 190 && c[0].rate_per_s <= 200);
	assert_int_equal(c[0].severity, PW_SEV_CRITICAL);
	assert_string_equal(c[0].cmds[0].comm, "true");
	assert_int_equal(c[0].cmds[0].count, 1800);
	assert_string_equal(c[0].cmds[1].comm, "sleep");
	assert_int_equal(c[0].ncmds, 2);
	assert_non_null(strstr(c[0].description, "short-lived"));
	assert_non_null(strstr(c[0].description, "true (1800)"));
	assert_string_equal(c[0].target, "jobs");
	free(c);
	free(v);
}

static void
test_events_churn_window_excludes_old(void **state)
{
	struct pw_event v[40];
	struct pw_churn *c;
	size_t nc, i;

	(void)state;
	for (i = 0; i < 40; i++)
		v[i] = ex(1000 + (int64_t)i * 10, 10 + (pid_t)i, 5, "true",
		    0.001);
	/* All of them are over a minute old. */
	assert_int_equal(pw_churn_detect(v, 40, 100000, 10000, &c, &nc), 0);
	assert_int_equal(nc, 0);
	assert_null(c);
	assert_int_equal(pw_churn_detect(v, 0, 100000, 10000, &c, &nc), 0);
	assert_int_equal(nc, 0);
}

static void
test_events_churn_severity_bands(void **state)
{
	(void)state;
	assert_int_equal(pw_churn_severity(150), PW_SEV_CRITICAL);
	assert_int_equal(pw_churn_severity(50), PW_SEV_HIGH);
	assert_int_equal(pw_churn_severity(10), PW_SEV_MEDIUM);
	assert_int_equal(pw_churn_severity(2), PW_SEV_LOW);
}

/* --- exit descriptions ------------------------------------------------------ */

static void
test_events_exit_describe(void **state)
{
	struct pw_event ev;
	char buf[48];

	(void)state;
	memset(&ev, 0, sizeof(ev));
	ev.type = PW_EV_EXIT;
	ev.exit_code = 3;
	assert_string_equal(pw_event_exit_describe(&ev, buf, sizeof(buf)),
	    "exited with code 3");
	ev.signal = SIGKILL;
	assert_string_equal(pw_event_exit_describe(&ev, buf, sizeof(buf)),
	    "exited with SIGKILL");
	ev.signal = SIGSEGV;
	ev.core_dumped = true;
	assert_string_equal(pw_event_exit_describe(&ev, buf, sizeof(buf)),
	    "killed by SIGSEGV (core dumped)");
	/* Truncated, still terminated. */
	assert_string_equal(pw_event_exit_describe(&ev, buf, 7), "killed");
}

/* --- taskstats parsing ------------------------------------------------------- */

#define FAMILY	31

/*
 * A TASKSTATS_CMD_NEW message into buf (zeroed, 1024 bytes): AGGR_PID {
 * PID, STATS of `stats_len` bytes } as the kernel sends it.  Returns its
 * length.  With `tgid_aggr`, the aggregate is AGGR_TGID instead.
 */
static size_t
mk_ts(unsigned char *buf, pid_t pid, pid_t tgid, uint64_t ut, uint64_t st,
    size_t stats_len, bool tgid_aggr)
{
	struct nlmsghdr nh = { 0 };
	struct genlmsghdr gh = { 0 };
	struct nlattr nest, a;
	struct taskstats ts;
	uint32_t p = (uint32_t)pid;
	size_t off = NLMSG_HDRLEN + GENL_HDRLEN;

	memset(buf, 0, 1024);
	memset(&ts, 0, sizeof(ts));
	ts.version = TASKSTATS_VERSION;
	ts.ac_exitcode = 3 << 8;
	snprintf(ts.ac_comm, sizeof(ts.ac_comm), "burner");
	ts.ac_pid = (uint32_t)pid;
	ts.ac_tgid = (uint32_t)tgid;
	ts.ac_utime = ut;
	ts.ac_stime = st;
	nest.nla_type = tgid_aggr ? TASKSTATS_TYPE_AGGR_TGID :
	    TASKSTATS_TYPE_AGGR_PID;
	nest.nla_len = (uint16_t)(NLA_HDRLEN + NLA_HDRLEN + 4 + NLA_HDRLEN +
	    stats_len);
	memcpy(buf + off, &nest, sizeof(nest));
	off += NLA_HDRLEN;
	a.nla_type = tgid_aggr ? TASKSTATS_TYPE_TGID : TASKSTATS_TYPE_PID;
	a.nla_len = NLA_HDRLEN + 4;
	memcpy(buf + off, &a, sizeof(a));
	memcpy(buf + off + NLA_HDRLEN, &p, sizeof(p));
	off += NLA_HDRLEN + 4;
	a.nla_type = TASKSTATS_TYPE_STATS;
	a.nla_len = (uint16_t)(NLA_HDRLEN + stats_len);
	memcpy(buf + off, &a, sizeof(a));
	memcpy(buf + off + NLA_HDRLEN, &ts, stats_len < sizeof(ts) ?
	    stats_len : sizeof(ts));
	off += NLA_ALIGN(NLA_HDRLEN + stats_len);
	nh.nlmsg_len = (uint32_t)off;
	nh.nlmsg_type = FAMILY;
	gh.cmd = TASKSTATS_CMD_NEW;
	gh.version = TASKSTATS_GENL_VERSION;
	memcpy(buf, &nh, sizeof(nh));
	memcpy(buf + NLMSG_HDRLEN, &gh, sizeof(gh));
	return off;
}

static void
test_events_taskstats_parse_record(void **state)
{
	unsigned char buf[1024];
	struct pw_taskstats_rec r;
	size_t len;

	(void)state;
	len = mk_ts(buf, 4242, 4240, 150000, 50000, sizeof(struct taskstats),
	    false);
	assert_int_equal(pw_taskstats_parse(buf, len, FAMILY, &r), 1);
	assert_int_equal(r.pid, 4242);
	assert_int_equal(r.tgid, 4240);
	assert_true(r.utime_us == 150000);
	assert_true(r.stime_us == 50000);
	assert_int_equal(r.exit_status, 3 << 8);
	assert_string_equal(r.comm, "burner");
	/* A newer kernel's longer struct (this one sends 560 bytes). */
	len = mk_ts(buf, 7, 7, 1, 2, sizeof(struct taskstats) + 144, false);
	assert_int_equal(pw_taskstats_parse(buf, len, FAMILY, &r), 1);
	assert_int_equal(r.pid, 7);
	assert_true(r.utime_us + r.stime_us == 3);
	/* An old one's, without ac_tgid: the tgid is the pid. */
	len = mk_ts(buf, 8, 0, 10, 20, offsetof(struct taskstats, ac_stime) +
	    8, false);
	assert_int_equal(pw_taskstats_parse(buf, len, FAMILY, &r), 1);
	assert_int_equal(r.tgid, 8);
	assert_true(r.stime_us == 20);
}

static void
test_events_taskstats_parse_ignores_others(void **state)
{
	unsigned char buf[1024];
	struct pw_taskstats_rec r;
	struct nlmsghdr nh;
	size_t len;

	(void)state;
	r.pid = -1;
	/* The per-process aggregate sums delays, not CPU: not a record. */
	len = mk_ts(buf, 50, 50, 9, 9, sizeof(struct taskstats), true);
	assert_int_equal(pw_taskstats_parse(buf, len, FAMILY, &r), 0);
	/* Another family, and an ack. */
	len = mk_ts(buf, 50, 50, 9, 9, sizeof(struct taskstats), false);
	assert_int_equal(pw_taskstats_parse(buf, len, FAMILY + 1, &r), 0);
	memcpy(&nh, buf, sizeof(nh));
	nh.nlmsg_type = NLMSG_ERROR;
	memcpy(buf, &nh, sizeof(nh));
	assert_int_equal(pw_taskstats_parse(buf, len, FAMILY, &r), 0);
	/* Another command. */
	len = mk_ts(buf, 50, 50, 9, 9, sizeof(struct taskstats), false);
	buf[NLMSG_HDRLEN] = TASKSTATS_CMD_GET;
	assert_int_equal(pw_taskstats_parse(buf, len, FAMILY, &r), 0);
	assert_int_equal(r.pid, -1);		/* untouched */
}

static void
test_events_taskstats_parse_malformed_is_einval(void **state)
{
	unsigned char buf[1024], *cut;
	struct pw_taskstats_rec r;
	struct nlmsghdr nh;
	struct nlattr a;
	size_t len, k;
	int rc;

	(void)state;
	len = mk_ts(buf, 9, 9, 1, 1, sizeof(struct taskstats), false);
	assert_int_equal(pw_taskstats_parse(buf, 8, FAMILY, &r), -EINVAL);
	/* nlmsg_len past the buffer. */
	assert_int_equal(pw_taskstats_parse(buf, len - 4, FAMILY, &r),
	    -EINVAL);
	/* Stats too short to hold the CPU times. */
	len = mk_ts(buf, 9, 9, 1, 1, 64, false);
	assert_int_equal(pw_taskstats_parse(buf, len, FAMILY, &r), -EINVAL);
	/* An aggregate without stats. */
	len = mk_ts(buf, 9, 9, 1, 1, sizeof(struct taskstats), false);
	buf[NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN * 2 + 4 + 2] =
	    TASKSTATS_TYPE_NULL;		/* STATS's type, low byte */
	assert_int_equal(pw_taskstats_parse(buf, len, FAMILY, &r), -EINVAL);
	/* A nested attribute longer than its nest, and one shorter than
	 * its own header. */
	len = mk_ts(buf, 9, 9, 1, 1, sizeof(struct taskstats), false);
	memcpy(&a, buf + NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN, sizeof(a));
	a.nla_len = 2000;
	memcpy(buf + NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN, &a, sizeof(a));
	assert_int_equal(pw_taskstats_parse(buf, len, FAMILY, &r), -EINVAL);
	a.nla_len = 2;
	memcpy(buf + NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN, &a, sizeof(a));
	assert_int_equal(pw_taskstats_parse(buf, len, FAMILY, &r), -EINVAL);
	/* Every truncation of a good message, each in a buffer of exactly
	 * that size (ASan sees a read past it): never 1, never a crash. */
	len = mk_ts(buf, 9, 9, 1, 1, sizeof(struct taskstats), false);
	for (k = 0; k < len; k++) {
		memcpy(&nh, buf, sizeof(nh));
		nh.nlmsg_len = (uint32_t)k;
		cut = malloc(k ? k : 1);
		assert_non_null(cut);
		memcpy(cut, buf, k);
		if (k >= sizeof(nh))
			memcpy(cut, &nh, sizeof(nh));
		rc = pw_taskstats_parse(cut, k, FAMILY, &r);
		if (rc != -EINVAL && rc != 0)
			fail_msg("truncated to %zu: %d", k, rc);
		free(cut);
	}
	/* Random bytes under a valid header (fixed seed). */
	srand(42);
	for (k = 0; k < 20000; k++) {
		size_t i, n = NLMSG_HDRLEN + GENL_HDRLEN + (size_t)rand() % 600;

		cut = malloc(n);
		assert_non_null(cut);
		for (i = 0; i < n; i++)
			cut[i] = (unsigned char)rand();
		memcpy(cut, buf, NLMSG_HDRLEN + GENL_HDRLEN);
		memcpy(&nh, cut, sizeof(nh));
		nh.nlmsg_len = (uint32_t)n;
		memcpy(cut, &nh, sizeof(nh));
		rc = pw_taskstats_parse(cut, n, FAMILY, &r);
		assert_true(rc == -EINVAL || rc == 0 || rc == 1);
		free(cut);
	}
}

/* --- matching records to exits, on an object fed by hand ---------------------- */

static struct pw_event
exit_ev(pid_t pid, int code, int sig, const char *target)
{
	struct pw_event e;

	memset(&e, 0, sizeof(e));
	e.type = PW_EV_EXIT;
	e.pid = pid;
	e.ppid = 1;
	e.exit_code = code;
	e.signal = sig;
	e.lifetime_s = -1;
	snprintf(e.target, sizeof(e.target), "%s", target);
	return e;
}

static struct pw_taskstats_rec
ts_rec(pid_t pid, pid_t tgid, uint64_t ut, uint64_t st)
{
	struct pw_taskstats_rec r;

	memset(&r, 0, sizeof(r));
	r.pid = pid;
	r.tgid = tgid;
	r.utime_us = ut;
	r.stime_us = st;
	return r;
}

/* The newest exit of pid in the history; fails if there is none. */
static struct pw_event
newest_exit(struct pw_events *e, pid_t pid)
{
	struct pw_event ev;

	assert_int_equal(pw_events_exit_of(e, pid, 0, &ev), 0);
	return ev;
}

static void
test_events_cpu_records_before_and_after_exit(void **state)
{
	struct pw_events *e = pw__events_new_idle(NULL, 64);
	struct pw_ev_counter *c;
	struct pw_taskstats_rec r;
	struct pw_event ev;
	size_t nc, i;
	uint64_t jobs = 0;

	(void)state;
	assert_non_null(e);
	assert_false(pw_events_cpu_available(e, NULL, 0));
	/* Records first (taskstats is sent before the connector's exit):
	 * the leader and a thread of tgid 500. */
	r = ts_rec(500, 500, 150000, 50000);
	pw__events_feed_taskstats(e, &r);
	r = ts_rec(501, 500, 100000, 0);
	pw__events_feed_taskstats(e, &r);
	r = ts_rec(777, 777, 5, 5);		/* another process's */
	pw__events_feed_taskstats(e, &r);
	ev = exit_ev(500, 0, 0, "jobs");
	pw__events_feed(e, &ev);
	ev = newest_exit(e, 500);
	assert_true(ev.has_cpu);
	assert_true(ev.cpu_us == 300000);
	/* The exit first, then its records (a thread's comes last). */
	ev = exit_ev(600, 0, SIGKILL, "jobs");
	pw__events_feed(e, &ev);
	assert_false(newest_exit(e, 600).has_cpu);
	r = ts_rec(600, 600, 20000, 10000);
	pw__events_feed_taskstats(e, &r);
	r = ts_rec(601, 600, 5000, 0);
	pw__events_feed_taskstats(e, &r);
	ev = newest_exit(e, 600);
	assert_true(ev.has_cpu);
	assert_true(ev.cpu_us == 35000);
	/* No record at all: unknown, not 0. */
	ev = exit_ev(700, 1, 0, "other");
	pw__events_feed(e, &ev);
	assert_false(newest_exit(e, 700).has_cpu);
	/* The counters sum the known CPU time per target. */
	assert_int_equal(pw_events_copy(e, 0, NULL, NULL, &c, &nc, NULL), 0);
	for (i = 0; i < nc; i++)
		if (strcmp(c[i].target, "jobs") == 0) {
			jobs = c[i].cpu_us;
			assert_int_equal(c[i].exits, 2);
		} else
			assert_true(c[i].cpu_us == 0);
	assert_true(jobs == 335000);
	free(c);
	pw_events_free(e);
}

static void
test_events_exit_of(void **state)
{
	struct pw_events *e = pw__events_new_idle(NULL, 8);
	struct pw_event ev, got;
	int i;

	(void)state;
	assert_non_null(e);
	assert_int_equal(pw_events_exit_of(e, 42, 0, &got), -ENOENT);
	ev = exit_ev(42, 3, 0, "");
	pw__events_feed(e, &ev);
	ev = exit_ev(43, 0, SIGTERM, "");
	pw__events_feed(e, &ev);
	ev = exit_ev(42, 0, SIGKILL, "");	/* the pid reused: newest wins */
	pw__events_feed(e, &ev);
	assert_int_equal(pw_events_exit_of(e, 42, 0, &got), 0);
	assert_int_equal(got.signal, SIGKILL);
	assert_int_equal(got.pid, 42);
	assert_true(got.ts_ms > 0);
	assert_int_equal(pw_events_exit_of(e, 43, 0, &got), 0);
	assert_int_equal(got.signal, SIGTERM);
	assert_int_equal(pw_events_exit_of(e, 44, 0, &got), -ENOENT);
	/* Nothing since a time after them. */
	assert_int_equal(pw_events_exit_of(e, 42, got.ts_ms + 60000, &got),
	    -ENOENT);
	/* Out of the (8-event) history: gone. */
	for (i = 0; i < 8; i++) {
		ev = exit_ev(1000 + i, 0, 0, "");
		pw__events_feed(e, &ev);
	}
	assert_int_equal(pw_events_exit_of(e, 42, 0, &got), -ENOENT);
	assert_int_equal(pw_events_exit_of(e, 1007, 0, &got), 0);
	pw_events_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_parse_fork),
		cmocka_unit_test(test_events_parse_comm),
		cmocka_unit_test(test_events_parse_thread_fork_is_ignored),
		cmocka_unit_test(test_events_parse_exec),
		cmocka_unit_test(test_events_parse_exit_code),
		cmocka_unit_test(test_events_parse_exit_signal),
		cmocka_unit_test(test_events_parse_thread_exit_is_ignored),
		cmocka_unit_test(test_events_parse_other_kinds_ignored),
		cmocka_unit_test(test_events_parse_truncated_is_einval),
		cmocka_unit_test(test_events_churn_finds_the_forking_parent),
		cmocka_unit_test(test_events_churn_window_excludes_old),
		cmocka_unit_test(test_events_churn_severity_bands),
		cmocka_unit_test(test_events_exit_describe),
		cmocka_unit_test(test_events_taskstats_parse_record),
		cmocka_unit_test(test_events_taskstats_parse_ignores_others),
		cmocka_unit_test(
		    test_events_taskstats_parse_malformed_is_einval),
		cmocka_unit_test(
		    test_events_cpu_records_before_and_after_exit),
		cmocka_unit_test(test_events_exit_of),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

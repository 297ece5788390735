/*
 * test_events.c: parsing crafted process connector messages, and churn
 * detection from synthetic event histories.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/events.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_parse_fork),
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

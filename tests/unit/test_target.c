/*
 * test_target.c: selectors against hand-made process infos; the cgroup
 * and unit selectors also against the fake tree tests/fixtures/proc/
 * cgroup/ and a monitor.  procwatch/cgroup.h on its own (parsing
 * /proc/PID/cgroup, unit names and globs) is tested in test_cgroup.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <procwatch/cgroup.h>
#include <procwatch/monitor.h>
#include <procwatch/procfs.h>
#include <procwatch/source.h>
#include <procwatch/store.h>
#include <procwatch/target.h>

#define CGROUP_TREE	PW_FIXTURES "/proc/cgroup"

static struct pw_procinfo
info(pid_t pid, const char *comm, const char *cmdline, uid_t uid)
{
	struct pw_procinfo pi;

	memset(&pi, 0, sizeof(pi));
	pi.pid = pid;
	pi.uid = uid;
	snprintf(pi.comm, sizeof(pi.comm), "%s", comm);
	pi.cmdline = (char *)cmdline;
	return pi;
}

static void
test_target_all_matches_everything(void **state)
{
	struct pw_target t;
	struct pw_procinfo a = info(1, "init", "/sbin/init", 0);

	(void)state;
	assert_int_equal(pw_target_init(&t, "all", PW_SEL_ALL, NULL, false,
	    NULL, 0), 0);
	assert_true(pw_target_match(&t, &a, 0));
	assert_string_equal(pw_selector_name(t.sel), "all");
	pw_target_fini(&t);
}

static void
test_target_pid_matches_only_that_pid(void **state)
{
	struct pw_target t;
	struct pw_procinfo a = info(42, "x", "x", 0), b = info(43, "x", "x", 0);

	(void)state;
	assert_int_equal(pw_target_init(&t, "p", PW_SEL_PID, "42", false,
	    NULL, 0), 0);
	assert_true(pw_target_match(&t, &a, 0));
	assert_false(pw_target_match(&t, &b, 0));
	pw_target_fini(&t);
	assert_int_equal(pw_target_init(&t, "p", PW_SEL_PID, "0", false,
	    NULL, 0), -EINVAL);
	assert_int_equal(pw_target_init(&t, "p", PW_SEL_PID, "12x", false,
	    NULL, 0), -EINVAL);
	assert_int_equal(pw_target_init(&t, "p", PW_SEL_PID,
	    "99999999999999999999", false, NULL, 0), -EINVAL);
}

static void
test_target_comm_is_exact(void **state)
{
	struct pw_target t;
	struct pw_procinfo a = info(1, "nginx", "", 0), b = info(2, "nginx2", "", 0);

	(void)state;
	assert_int_equal(pw_target_init(&t, "web", PW_SEL_NAME, "nginx", true,
	    NULL, 0), 0);
	assert_true(t.children);
	assert_true(pw_target_match(&t, &a, 0));
	assert_false(pw_target_match(&t, &b, 0));
	pw_target_fini(&t);
	assert_int_equal(pw_target_init(&t, "w", PW_SEL_NAME,
	    "a-name-longer-than-15", false, NULL, 0), -EINVAL);
}

static void
test_target_cmdline_regex(void **state)
{
	struct pw_target t;
	struct pw_procinfo a = info(1, "python3", "python3 -m http.server 8000", 0);
	struct pw_procinfo b = info(2, "python3", "python3 manage.py", 0);
	char err[128] = "";

	(void)state;
	assert_int_equal(pw_target_init(&t, "srv", PW_SEL_CMDLINE,
	    "http\\.server [0-9]+$", false, err, sizeof(err)), 0);
	assert_true(pw_target_match(&t, &a, 0));
	assert_false(pw_target_match(&t, &b, 0));
	pw_target_fini(&t);
	assert_int_equal(pw_target_init(&t, "bad", PW_SEL_CMDLINE, "(unclosed",
	    false, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad regex"));
	/* Patterns that would make regcomp() take gigabytes are refused. */
	assert_int_equal(pw_target_init(&t, "x", PW_SEL_CMDLINE, "a++++++",
	    false, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "repetition"));
	assert_int_equal(pw_target_init(&t, "x", PW_SEL_CMDLINE,
	    "(a{999}){999}", false, err, sizeof(err)), -EINVAL);
	assert_int_equal(pw_target_init(&t, "x", PW_SEL_CMDLINE,
	    "^/usr/bin/python3? .*worker\\+[0-9]{1,5}$", false, err,
	    sizeof(err)), 0);
	pw_target_fini(&t);
}

static void
test_target_user_by_name_and_uid(void **state)
{
	struct pw_target t;
	struct pw_procinfo root = info(1, "x", "", 0), other = info(2, "x", "", 1000);

	(void)state;
	assert_int_equal(pw_target_init(&t, "r", PW_SEL_USER, "root", false,
	    NULL, 0), 0);
	assert_true(pw_target_match(&t, &root, 0));
	assert_false(pw_target_match(&t, &other, 0));
	pw_target_fini(&t);
	assert_int_equal(pw_target_init(&t, "u", PW_SEL_USER, "1000", false,
	    NULL, 0), 0);
	assert_true(pw_target_match(&t, &other, 0));
	pw_target_fini(&t);
	assert_int_equal(pw_target_init(&t, "u", PW_SEL_USER,
	    "no-such-user-here", false, NULL, 0), -EINVAL);
}

static void
test_target_pidfile_uses_pid_read_this_cycle(void **state)
{
	struct pw_target t;
	struct pw_procinfo a = info(77, "d", "", 0);
	char path[] = "/tmp/pw_test_pidfile_XXXXXX";
	pid_t pid = 0;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, " 77\n", 4), 4);
	close(fd);
	assert_int_equal(pw_pidfile_read(path, &pid), 0);
	assert_int_equal(pid, 77);
	assert_int_equal(pw_target_init(&t, "d", PW_SEL_PIDFILE, path, false,
	    NULL, 0), 0);
	assert_true(pw_target_match(&t, &a, pid));
	assert_false(pw_target_match(&t, &a, 0));
	pw_target_fini(&t);
	assert_int_equal(pw_target_init(&t, "d", PW_SEL_PIDFILE, "relative",
	    false, NULL, 0), -EINVAL);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_int_equal(write(fd, "garbage", 7), 7);
	close(fd);
	assert_int_equal(pw_pidfile_read(path, &pid), -EINVAL);
	unlink(path);
	assert_int_equal(pw_pidfile_read(path, &pid), -ENOENT);

	/* A FIFO with no writer: refused at once, not a blocked sampler. */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(pw_pidfile_read(path, &pid), -EINVAL);
	unlink(path);
	/* A directory or a device is no pidfile either. */
	assert_int_equal(pw_pidfile_read("/tmp", &pid), -EINVAL);
	assert_int_equal(pw_pidfile_read("/dev/zero", &pid), -EINVAL);
}

/* --- cgroup and unit selectors ------------------------------------------- */

static struct pw_procinfo
in_cgroup(pid_t pid, const char *cgroup)
{
	struct pw_procinfo pi = info(pid, "x", "x", 0);

	pi.cgroup = (char *)cgroup;
	return pi;
}

static void
test_target_cgroup_matches_whole_components(void **state)
{
	struct pw_target t;
	struct pw_procinfo svc = in_cgroup(1, "/system.slice/nginx.service"),
	    sub = in_cgroup(2, "/system.slice/nginx.service/workers"),
	    sib = in_cgroup(3, "/system.slice/nginx.servicex"),
	    up = in_cgroup(4, "/system.slice"),
	    outside = in_cgroup(5, "/../system.slice/nginx.service"),
	    unknown = in_cgroup(6, NULL);
	char err[256] = "";

	(void)state;
	assert_int_equal(pw_target_init(&t, "web", PW_SEL_CGROUP,
	    "/system.slice/nginx.service", false, err, sizeof(err)), 0);
	assert_string_equal(pw_selector_name(t.sel), "cgroup");
	assert_true(pw_target_match(&t, &svc, 0));
	assert_true(pw_target_match(&t, &sub, 0));
	assert_false(pw_target_match(&t, &sib, 0));	/* "/a/b" vs "/a/bc" */
	assert_false(pw_target_match(&t, &up, 0));
	assert_false(pw_target_match(&t, &outside, 0));
	assert_false(pw_target_match(&t, &unknown, 0));
	pw_target_fini(&t);

	/* A trailing '/' is dropped; the root holds every known cgroup. */
	assert_int_equal(pw_target_init(&t, "s", PW_SEL_CGROUP,
	    "/system.slice/", false, NULL, 0), 0);
	assert_string_equal(t.cgroup, "/system.slice");
	assert_true(pw_target_match(&t, &sub, 0));
	assert_true(pw_target_match(&t, &up, 0));
	pw_target_fini(&t);
	assert_int_equal(pw_target_init(&t, "r", PW_SEL_CGROUP, "/", false,
	    NULL, 0), 0);
	assert_string_equal(t.cgroup, "/");
	assert_true(pw_target_match(&t, &up, 0));
	assert_false(pw_target_match(&t, &outside, 0));
	assert_false(pw_target_match(&t, &unknown, 0));
	pw_target_fini(&t);
}

/* A bad path is refused with pw_cgroup_path_check()'s reason. */
static void
test_target_cgroup_path_is_validated(void **state)
{
	static const char *const bad[] = {
		"", "system.slice", "/a//b", "/a/../b", "/a\nb",
		"/sys/fs/cgroup/system.slice",
	};
	struct pw_target t;
	const char *why;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why = NULL;
		assert_int_equal(pw_cgroup_path_check(bad[i], &why), -EINVAL);
		err[0] = '\0';
		assert_int_equal(pw_target_init(&t, "c", PW_SEL_CGROUP,
		    bad[i], false, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, why);
		assert_null(t.name);
	}
}

static void
test_target_unit_is_a_path_component(void **state)
{
	struct pw_target t;
	struct pw_procinfo sys = in_cgroup(1, "/system.slice/nginx.service"),
	    sub = in_cgroup(2, "/system.slice/nginx.service/workers"),
	    longer = in_cgroup(3, "/system.slice/nginx.services"),
	    prefixed = in_cgroup(4, "/system.slice/xnginx.service"),
	    user = in_cgroup(5, "/user.slice/user-1000.slice/user@1000.service/"
	    "app.slice/foo.service"),
	    getty = in_cgroup(6, "/system.slice/system-getty.slice/"
	    "getty@tty1.service"),
	    tmpl = in_cgroup(7, "/system.slice/getty@.service"),
	    outside = in_cgroup(8, "/../system.slice/nginx.service"),
	    unknown = in_cgroup(9, NULL);
	char err[256] = "";

	(void)state;
	assert_int_equal(pw_target_init(&t, "web", PW_SEL_UNIT, "nginx",
	    false, err, sizeof(err)), 0);
	assert_string_equal(t.unit, "nginx.service");
	assert_string_equal(pw_selector_name(t.sel), "unit");
	assert_true(pw_target_match(&t, &sys, 0));
	assert_true(pw_target_match(&t, &sub, 0));
	assert_false(pw_target_match(&t, &longer, 0));
	assert_false(pw_target_match(&t, &prefixed, 0));
	assert_false(pw_target_match(&t, &outside, 0));
	assert_false(pw_target_match(&t, &unknown, 0));
	pw_target_fini(&t);

	/* A unit of a user manager, deep in user@1000.service. */
	assert_int_equal(pw_target_init(&t, "foo", PW_SEL_UNIT, "foo.service",
	    false, NULL, 0), 0);
	assert_true(pw_target_match(&t, &user, 0));
	assert_false(pw_target_match(&t, &sys, 0));
	pw_target_fini(&t);
	assert_int_equal(pw_target_init(&t, "um", PW_SEL_UNIT,
	    "user@1000.service", false, NULL, 0), 0);
	assert_true(pw_target_match(&t, &user, 0));
	pw_target_fini(&t);
	/* Slices contain what is below them. */
	assert_int_equal(pw_target_init(&t, "sl", PW_SEL_UNIT,
	    "system-getty.slice", false, NULL, 0), 0);
	assert_true(pw_target_match(&t, &getty, 0));
	assert_false(pw_target_match(&t, &sys, 0));
	pw_target_fini(&t);

	/* Instances: one exactly, or all of a template's. */
	assert_int_equal(pw_target_init(&t, "g1", PW_SEL_UNIT, "getty@tty1",
	    false, NULL, 0), 0);
	assert_true(pw_target_match(&t, &getty, 0));
	pw_target_fini(&t);
	assert_int_equal(pw_target_init(&t, "g2", PW_SEL_UNIT,
	    "getty@tty2.service", false, NULL, 0), 0);
	assert_false(pw_target_match(&t, &getty, 0));
	pw_target_fini(&t);
	assert_int_equal(pw_target_init(&t, "g", PW_SEL_UNIT, "getty@.service",
	    false, NULL, 0), 0);
	assert_true(pw_target_match(&t, &getty, 0));
	assert_false(pw_target_match(&t, &tmpl, 0));	/* no instance */
	assert_false(pw_target_match(&t, &sys, 0));
	pw_target_fini(&t);

	assert_int_equal(pw_target_init(&t, "x", PW_SEL_UNIT, "a.target",
	    false, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no cgroup"));
	assert_null(t.name);
}

/* The procfs source fills pi->cgroup from the fake tree. */
static void
test_target_source_describes_cgroup(void **state)
{
	static const pid_t pids[] = { 100, 500, 501, 600, 700, 999 };
	struct pw_procinfo pi[6];
	struct pw_procfs *fs;
	struct pw_source *src;
	size_t i;

	(void)state;
	assert_non_null(fs = pw_procfs_new(CGROUP_TREE));
	assert_non_null(src = pw_source_new_procfs(fs));
	assert_int_equal(pw_source_describe(src, pids, 6, pi), 5);
	assert_int_equal(pi[0].pid, 100);
	assert_string_equal(pi[0].cgroup, "/system.slice/nginx.service");
	assert_string_equal(pi[1].cgroup, "/system.slice/cron.service");
	assert_string_equal(pi[2].cgroup, "/system.slice/ssh.service");
	/* No file, or forged lines: described, cgroup unknown. */
	assert_int_equal(pi[3].pid, 600);
	assert_string_equal(pi[3].comm, "nocg");
	assert_null(pi[3].cgroup);
	assert_int_equal(pi[4].pid, 700);
	assert_null(pi[4].cgroup);
	assert_int_equal(pi[5].pid, 0);			/* no such pid */
	for (i = 0; i < 6; i++)
		pw_procinfo_fini(&pi[i]);
	pw_source_free(src);
	pw_procfs_free(fs);
}

/* The target each pid of a snapshot is in, or NULL. */
static const char *
target_of(const struct pw_snapshot *snap, pid_t pid)
{
	size_t i;

	for (i = 0; i < snap->n; i++)
		if (snap->procs[i].pid == pid)
			return snap->procs[i].target;
	return NULL;
}

static void
test_target_monitor_selects_by_cgroup_and_unit(void **state)
{
	struct pw_target t[5];
	struct pw_monitor_config c;
	struct pw_monitor *m;
	struct pw_snapshot *snap = NULL;
	size_t i;
	int err = 0;

	(void)state;
	assert_int_equal(pw_target_init(&t[0], "u1000", PW_SEL_CGROUP,
	    "/user.slice/user-1000.slice", false, NULL, 0), 0);
	assert_int_equal(pw_target_init(&t[1], "web", PW_SEL_UNIT, "nginx",
	    false, NULL, 0), 0);
	assert_int_equal(pw_target_init(&t[2], "getty", PW_SEL_UNIT,
	    "getty@.service", false, NULL, 0), 0);
	assert_int_equal(pw_target_init(&t[3], "cron", PW_SEL_UNIT, "cron",
	    false, NULL, 0), 0);
	assert_int_equal(pw_target_init(&t[4], "ssh", PW_SEL_UNIT,
	    "ssh.service", false, NULL, 0), 0);
	pw_monitor_config_defaults(&c);
	c.proc_root = CGROUP_TREE;
	c.use_libproc2 = false;
	c.keep_open = false;
	c.history = 5;
	c.targets = t;
	c.ntargets = 5;
	assert_non_null(m = pw_monitor_new(&c, &err));
	assert_int_equal(pw_monitor_cycle(m, 1800000000000LL), 0);
	assert_int_equal(pw_store_snapshot(pw_monitor_store(m), false, &snap),
	    0);
	/* 200 and 201 only: 300 is in user-10000.slice. */
	assert_string_equal(target_of(snap, 200), "u1000");
	assert_string_equal(target_of(snap, 201), "u1000");
	assert_null(target_of(snap, 300));
	assert_string_equal(target_of(snap, 100), "web");
	assert_string_equal(target_of(snap, 101), "web");
	assert_string_equal(target_of(snap, 400), "getty");
	assert_string_equal(target_of(snap, 500), "cron");	/* hybrid */
	assert_string_equal(target_of(snap, 501), "ssh");	/* v1 only */
	assert_null(target_of(snap, 600));			/* no file */
	assert_null(target_of(snap, 700));			/* forged */
	assert_int_equal(snap->n, 7);
	for (i = 0; i < snap->n; i++)
		if (snap->procs[i].pid == 501)
			assert_string_equal(snap->procs[i].cgroup,
			    "/system.slice/ssh.service");
	pw_snapshot_free(snap);

	/* A reload keeps them: matched again from the stored cgroup. */
	assert_int_equal(pw_monitor_reload(m, &c), 0);
	assert_int_equal(pw_monitor_cycle(m, 1800000001000LL), 0);
	assert_int_equal(pw_store_snapshot(pw_monitor_store(m), true, &snap),
	    0);
	assert_int_equal(snap->n, 7);		/* none gone, none new */
	for (i = 0; i < snap->n; i++)
		assert_true(snap->procs[i].alive);
	assert_string_equal(target_of(snap, 201), "u1000");
	assert_string_equal(target_of(snap, 400), "getty");
	pw_snapshot_free(snap);
	pw_monitor_free(m);
	for (i = 0; i < 5; i++)
		pw_target_fini(&t[i]);
}

/* "all" (and no targets) leaves kernel threads out; a pid target not. */
static void
test_target_all_leaves_out_kernel_threads(void **state)
{
	struct pw_target all, one;
	struct pw_procinfo kd = info(2, "kthreadd", "", 0);
	struct pw_procinfo kw = info(57, "kworker/0:1", "[kworker/0:1]", 0);
	struct pw_procinfo nolist = info(58, "ksoftirqd/0", NULL, 0);
	struct pw_procinfo child = info(59, "sh", "sh -c true", 0);
	struct pw_procinfo init = info(1, "init", "/sbin/init", 0);

	(void)state;
	kw.ppid = nolist.ppid = 2;
	child.ppid = 2;		/* pid 2 of a pid namespace: an ordinary one */
	assert_true(pw_procinfo_is_kthread(&kd));
	assert_true(pw_procinfo_is_kthread(&kw));
	assert_true(pw_procinfo_is_kthread(&nolist));
	assert_false(pw_procinfo_is_kthread(&child));
	assert_false(pw_procinfo_is_kthread(&init));
	assert_int_equal(pw_target_init(&all, "all", PW_SEL_ALL, NULL, false,
	    NULL, 0), 0);
	assert_false(pw_target_match(&all, &kw, 0));
	assert_false(pw_target_match(&all, &kd, 0));
	assert_true(pw_target_match(&all, &child, 0));
	assert_int_equal(pw_target_init(&one, "kw", PW_SEL_PID, "57", false,
	    NULL, 0), 0);
	assert_true(pw_target_match(&one, &kw, 0));
	pw_target_fini(&one);
	pw_target_fini(&all);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_all_leaves_out_kernel_threads),
		cmocka_unit_test(test_target_all_matches_everything),
		cmocka_unit_test(test_target_pid_matches_only_that_pid),
		cmocka_unit_test(test_target_comm_is_exact),
		cmocka_unit_test(test_target_cmdline_regex),
		cmocka_unit_test(test_target_user_by_name_and_uid),
		cmocka_unit_test(test_target_pidfile_uses_pid_read_this_cycle),
		cmocka_unit_test(test_target_cgroup_matches_whole_components),
		cmocka_unit_test(test_target_cgroup_path_is_validated),
		cmocka_unit_test(test_target_unit_is_a_path_component),
		cmocka_unit_test(test_target_source_describes_cgroup),
		cmocka_unit_test(
		    test_target_monitor_selects_by_cgroup_and_unit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

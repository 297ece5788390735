/*
 * test_target.c: selectors against hand-made process infos.
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

#include <procwatch/target.h>

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
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_all_matches_everything),
		cmocka_unit_test(test_target_pid_matches_only_that_pid),
		cmocka_unit_test(test_target_comm_is_exact),
		cmocka_unit_test(test_target_cmdline_regex),
		cmocka_unit_test(test_target_user_by_name_and_uid),
		cmocka_unit_test(test_target_pidfile_uses_pid_read_this_cycle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

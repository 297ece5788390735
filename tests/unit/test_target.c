/*
 * test_target.c: selectors against hand-made process infos; the cgroup
 * and unit selectors also against /proc/PID/cgroup contents (procwatch/
 * cgroup.h), the fake tree tests/fixtures/proc/cgroup/ and a monitor.
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

/* pw_cgroup_parse() on a C string: the path, or NULL and *rc. */
static const char *
parse_cg(const char *text, int *rc, char *out, size_t outlen)
{
	const char *p = NULL;
	size_t n = 0;

	*rc = pw_cgroup_parse(text, strlen(text), &p, &n);
	if (*rc < 0)
		return NULL;
	assert_true(n < outlen);
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static void
test_target_cgroup_parse_v2_v1_and_hybrid(void **state)
{
	char buf[PW_CGROUP_PATH_MAX];
	int rc;

	(void)state;
	/* cgroup v2: the one "0::" line, with or without its newline. */
	assert_string_equal(parse_cg("0::/system.slice/nginx.service\n", &rc,
	    buf, sizeof(buf)), "/system.slice/nginx.service");
	assert_string_equal(parse_cg("0::/init.scope", &rc, buf,
	    sizeof(buf)), "/init.scope");
	assert_string_equal(parse_cg("0::/\n", &rc, buf, sizeof(buf)), "/");
	/* A ':' in the path belongs to the path. */
	assert_string_equal(parse_cg("0::/a:b/c\n", &rc, buf, sizeof(buf)),
	    "/a:b/c");
	/* Hybrid: systemd keeps name=systemd and "0::" equal; "0::" wins. */
	assert_string_equal(parse_cg("4:memory:/system.slice\n"
	    "1:name=systemd:/system.slice/cron.service\n"
	    "0::/system.slice/cron.service\n", &rc, buf, sizeof(buf)),
	    "/system.slice/cron.service");
	/* Legacy with cgroup2 mounted but unused: "0::/" says nothing. */
	assert_string_equal(parse_cg("9:name=systemd:/system.slice/ssh.service\n"
	    "8:pids:/\n0::/\n", &rc, buf, sizeof(buf)),
	    "/system.slice/ssh.service");
	/* name=systemd may share a line with controllers. */
	assert_string_equal(parse_cg("3:cpu:/\n2:cpuacct,name=systemd:/a.slice\n",
	    &rc, buf, sizeof(buf)), "/a.slice");
	/* v1 without systemd: the first line. */
	assert_string_equal(parse_cg("3:pids:/jobs/7\n2:memory:/jobs\n", &rc,
	    buf, sizeof(buf)), "/jobs/7");
	/* Nothing at all. */
	assert_null(parse_cg("", &rc, buf, sizeof(buf)));
	assert_int_equal(rc, -ENOENT);
}

static void
test_target_cgroup_parse_rejects_hostile_contents(void **state)
{
	static const char *const bad[] = {
		"0::/a\n0::/system.slice/nginx.service\n",	/* forged */
		"1:name=systemd:/a\n1:name=systemd:/b\n",	/* forged */
		"garbage\n",
		"0::/a\n\n",					/* empty line */
		"x:cpu:/a\n",
		":cpu:/a\n",
		"12345678901:cpu:/a\n",
		"0:cpu:/a\n",				/* v2 has no controllers */
		"1:cpu\n",
		"1:cpu:relative\n",
		"0::\n",
	};
	char buf[PW_CGROUP_PATH_MAX], *big;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (parse_cg(bad[i], &rc, buf, sizeof(buf)) != NULL)
			print_error("accepted: %s\n", bad[i]);
		assert_int_equal(rc, -EINVAL);
	}
	/* A NUL, where strlen() would have stopped. */
	assert_int_equal(pw_cgroup_parse("0::/a\0b\n", 8, &(const char *){0},
	    &(size_t){0}), -EINVAL);
	/* Paths up to the kernel's limit, and one byte more. */
	big = malloc(PW_CGROUP_PATH_MAX + 8);
	assert_non_null(big);
	memcpy(big, "0::/", 4);
	memset(big + 4, 'x', PW_CGROUP_PATH_MAX - 2);
	big[3 + PW_CGROUP_PATH_MAX - 1] = '\0';		/* 4095 bytes */
	assert_non_null(parse_cg(big, &rc, buf, sizeof(buf)));
	assert_int_equal(strlen(buf), PW_CGROUP_PATH_MAX - 1);
	memset(big + 4, 'x', PW_CGROUP_PATH_MAX - 1);
	big[3 + PW_CGROUP_PATH_MAX] = '\0';		/* 4096 bytes */
	assert_null(parse_cg(big, &rc, buf, sizeof(buf)));
	assert_int_equal(rc, -EINVAL);
	free(big);
}

/* Write ROOT/PID/cgroup with `len` bytes of `text`. */
static void
put_cgroup(const char *root, pid_t pid, const char *text, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", root, (int)pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/cgroup", root, (int)pid);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void
test_target_cgroup_read_is_bounded(void **state)
{
	char root[] = "/tmp/pw_cgroup_XXXXXX", path[256], *out = NULL, *text;
	size_t len, i;

	(void)state;
	assert_non_null(mkdtemp(root));
	/* Missing file: unknown, not an error for the caller to report. */
	assert_int_equal(pw_cgroup_read(root, 10, &out), -ENOENT);
	assert_null(out);
	/* Larger than the stack buffer (v1, long paths): still read whole. */
	text = malloc(80 * 1024);
	assert_non_null(text);
	for (len = 0, i = 12; i > 0; i--) {
		len += (size_t)sprintf(text + len, "%zu:c%zu:/", i, i);
		memset(text + len, 'd', 3000);
		len += 3000;
		text[len++] = '\n';
	}
	len += (size_t)sprintf(text + len, "0::/system.slice/x.service\n");
	assert_true(len > 4096 && len < 64 * 1024);
	put_cgroup(root, 11, text, len);
	assert_int_equal(pw_cgroup_read(root, 11, &out), 0);
	assert_string_equal(out, "/system.slice/x.service");
	free(out);
	out = NULL;
	/* Past 64 KiB: refused, not truncated into a wrong answer. */
	memset(text, 'a', 70 * 1024);
	memcpy(text, "0::/", 4);
	text[70 * 1024 - 1] = '\n';
	put_cgroup(root, 12, text, 70 * 1024);
	assert_int_equal(pw_cgroup_read(root, 12, &out), -E2BIG);
	assert_null(out);
	/* Forged lines: -EINVAL, nothing returned. */
	put_cgroup(root, 13, "0::/a\n0::/b\n", 12);
	assert_int_equal(pw_cgroup_read(root, 13, &out), -EINVAL);
	assert_null(out);
	assert_int_equal(pw_cgroup_read(root, 0, &out), -EINVAL);
	free(text);
	for (i = 11; i <= 13; i++) {
		snprintf(path, sizeof(path), "%s/%zu/cgroup", root, i);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%zu", root, i);
		rmdir(path);
	}
	rmdir(root);
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

static void
test_target_cgroup_path_is_validated(void **state)
{
	static const struct {
		const char	*path;
		const char	*why;
	} bad[] = {
		{ "", "absolute" },
		{ "system.slice", "absolute" },
		{ "/a//b", "empty component" },
		{ "/a/../b", "\"..\"" },
		{ "/a/.", "\"..\"" },
		{ "/..", "\"..\"" },
		{ "/a\nb", "control character" },
		{ "/sys/fs/cgroup/system.slice", "file system path" },
		{ "/sys/fs/cgroup", "file system path" },
	};
	struct pw_target t;
	const char *why;
	char err[256], *big;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why = NULL;
		assert_int_equal(pw_cgroup_path_check(bad[i].path, &why),
		    -EINVAL);
		assert_non_null(why);
		if (strstr(why, bad[i].why) == NULL)
			print_error("%s: %s\n", bad[i].path, why);
		assert_non_null(strstr(why, bad[i].why));
		err[0] = '\0';
		assert_int_equal(pw_target_init(&t, "c", PW_SEL_CGROUP,
		    bad[i].path, false, err, sizeof(err)), -EINVAL);
		assert_string_equal(err, why);
		assert_null(t.name);
	}
	assert_int_equal(pw_cgroup_path_check(NULL, NULL), -EINVAL);
	assert_int_equal(pw_cgroup_path_check("/", NULL), 0);
	assert_int_equal(pw_cgroup_path_check("/a/b.c/..d/e:f@g/", NULL), 0);
	assert_int_equal(pw_cgroup_path_check("/sys/fs/cgroupx", NULL), 0);
	big = malloc(PW_CGROUP_PATH_MAX + 1);
	assert_non_null(big);
	memset(big, 'a', PW_CGROUP_PATH_MAX);
	big[0] = '/';
	big[PW_CGROUP_PATH_MAX - 1] = '\0';
	assert_int_equal(pw_cgroup_path_check(big, NULL), 0);
	big[PW_CGROUP_PATH_MAX - 1] = 'a';
	big[PW_CGROUP_PATH_MAX] = '\0';
	assert_int_equal(pw_cgroup_path_check(big, &why), -EINVAL);
	assert_non_null(strstr(why, "longer"));
	free(big);
}

static void
test_target_unit_suffix_defaults_to_service(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} good[] = {
		{ "nginx", "nginx.service" },
		{ "nginx.service", "nginx.service" },
		{ "getty@tty1", "getty@tty1.service" },
		{ "getty@.service", "getty@.service" },
		{ "user@1000.service", "user@1000.service" },
		{ "system-getty.slice", "system-getty.slice" },
		{ "session-2.scope", "session-2.scope" },
		{ "dbus.socket", "dbus.socket" },
		{ "home-u\\x2dx.mount", "home-u\\x2dx.mount" },
		{ "dev-sda2.swap", "dev-sda2.swap" },
		{ "my.app.service", "my.app.service" },
	};
	static const struct {
		const char	*in;
		const char	*why;
	} bad[] = {
		{ "", "empty" },
		{ "multi-user.target", "no cgroup" },
		{ "fstrim.timer", "no cgroup" },
		{ "nginx.sevice", "unknown unit type" },
		{ "my.app", "unknown unit type" },
		{ "nginx.", "unknown unit type" },
		{ ".service", "no name" },
		{ "@x.service", "before '@'" },
		{ "ng inx", "may hold only" },
		{ "a/b.service", "may hold only" },
		{ "-.slice", "root cgroup" },
	};
	char out[PW_UNIT_NAME_MAX], name[300];
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		assert_int_equal(pw_unit_name_normalize(good[i].in, out,
		    sizeof(out), NULL), 0);
		assert_string_equal(out, good[i].out);
	}
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		why = NULL;
		strcpy(out, "untouched");
		assert_int_equal(pw_unit_name_normalize(bad[i].in, out,
		    sizeof(out), &why), -EINVAL);
		if (why == NULL || strstr(why, bad[i].why) == NULL)
			print_error("%s: %s\n", bad[i].in, why);
		assert_non_null(strstr(why, bad[i].why));
		assert_string_equal(out, "untouched");
	}
	/* systemd's limit counts the suffix we add. */
	memset(name, 'a', 247);
	name[247] = '\0';			/* + ".service" = 255 */
	assert_int_equal(pw_unit_name_normalize(name, out, sizeof(out), NULL),
	    0);
	assert_int_equal(strlen(out), 255);
	strcat(name, "a");
	assert_int_equal(pw_unit_name_normalize(name, out, sizeof(out), &why),
	    -EINVAL);
	assert_non_null(strstr(why, "255"));
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
	assert_false(pw_cgroup_has_unit("/system.slice/getty@tty1.socket",
	    "getty@.service"));
	assert_false(pw_cgroup_has_unit("/system.slice/xgetty@tty1.service",
	    "getty@.service"));

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
		cmocka_unit_test(test_target_cgroup_parse_v2_v1_and_hybrid),
		cmocka_unit_test(
		    test_target_cgroup_parse_rejects_hostile_contents),
		cmocka_unit_test(test_target_cgroup_read_is_bounded),
		cmocka_unit_test(test_target_cgroup_matches_whole_components),
		cmocka_unit_test(test_target_cgroup_path_is_validated),
		cmocka_unit_test(test_target_unit_suffix_defaults_to_service),
		cmocka_unit_test(test_target_unit_is_a_path_component),
		cmocka_unit_test(test_target_source_describes_cgroup),
		cmocka_unit_test(
		    test_target_monitor_selects_by_cgroup_and_unit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

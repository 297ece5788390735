/*
 * test_cgroup.c: procwatch/cgroup.h on its own: /proc/PID/cgroup contents
 * of unified, hybrid and legacy hierarchies (and hostile ones), the
 * bounded reader, configured cgroup paths, unit names and globs, unit
 * matching against cgroup paths, and the innermost unit of a path.  The
 * selectors built on these are in test_target.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <procwatch/cgroup.h>

#include "lib/pwutil.h"
#include "tests/unit/fakeproc.h"

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

/* pw_cgroup_unit() of `path` in a static buffer, or NULL for none. */
static const char *
unit_of(const char *path)
{
	static char buf[PW_UNIT_NAME_MAX];

	return pw_cgroup_unit(path, buf, sizeof(buf)) ? buf : NULL;
}

static void
assert_unit(const char *path, const char *want)
{
	const char *got = unit_of(path);

	if (want == NULL && got != NULL)
		fail_msg("%s: unit %s, want none", path, got);
	if (want != NULL && (got == NULL || strcmp(got, want) != 0))
		fail_msg("%s: unit %s, want %s", path,
		    got != NULL ? got : "(none)", want);
}

/* Normalise `in` (which must be valid) and match it against `path`. */
static bool
has_unit(const char *path, const char *in)
{
	char unit[PW_UNIT_NAME_MAX];
	const char *why = NULL;

	if (pw_unit_name_normalize(in, unit, sizeof(unit), &why) < 0)
		fail_msg("%s: %s", in, why);
	return pw_cgroup_has_unit(path, unit);
}

/* --- parsing /proc/PID/cgroup -------------------------------------------- */

static void
test_cgroup_parse_v2_v1_and_hybrid(void **state)
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
test_cgroup_parse_rejects_hostile_contents(void **state)
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
	for (i = 0; i < NELEM(bad); i++) {
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

/*
 * Whole files as the kernel writes them, through parse, unit and the
 * selectors' matching: what a process in each layout is taken to be.
 */
static void
test_cgroup_files_give_path_and_unit(void **state)
{
	static const struct {
		const char	*file;
		const char	*path;
		const char	*unit;		/* NULL: none */
		const char	*match;		/* a selector that matches */
		const char	*miss;		/* one that does not */
	} cases[] = {
		/* Unified. */
		{ "0::/system.slice/x.service\n", "/system.slice/x.service",
		    "x.service", "x", "y.service" },
		/* Hybrid: v1 controllers, name=systemd and 0:: agree. */
		{ "12:cpuset:/\n11:memory:/system.slice/cron.service\n"
		    "10:pids:/system.slice/cron.service\n"
		    "1:name=systemd:/system.slice/cron.service\n"
		    "0::/system.slice/cron.service\n",
		    "/system.slice/cron.service", "cron.service", "cron*",
		    "cron.scope" },
		/* Legacy, cgroup2 mounted but empty. */
		{ "9:name=systemd:/system.slice/ssh.service\n8:pids:/\n0::/\n",
		    "/system.slice/ssh.service", "ssh.service", "ssh",
		    "sshd" },
		/* Legacy without any 0:: line. */
		{ "5:devices:/system.slice/db.service\n"
		    "1:name=systemd:/system.slice/db.service/main\n",
		    "/system.slice/db.service/main", "db.service", "db",
		    "main.service" },
		/* A user manager's scope, in a slice, in user@.service. */
		{ "0::/user.slice/user-1000.slice/user@1000.service/app.slice/"
		    "app-gnome-org.gnome.Terminal-4242.scope\n",
		    "/user.slice/user-1000.slice/user@1000.service/app.slice/"
		    "app-gnome-org.gnome.Terminal-4242.scope",
		    "app-gnome-org.gnome.Terminal-4242.scope", "app-*.scope",
		    "app-*.service" },
		/* The same user manager itself. */
		{ "0::/user.slice/user-1000.slice/user@1000.service/"
		    "init.scope\n",
		    "/user.slice/user-1000.slice/user@1000.service/init.scope",
		    "init.scope", "user@.service", "user@1001.service" },
		/* A login session. */
		{ "0::/user.slice/user-0.slice/session-3.scope\n",
		    "/user.slice/user-0.slice/session-3.scope",
		    "session-3.scope",
		    "session-[0-9]*.scope", "session-[!0-9]*.scope" },
		/* A delegated service's own sub-cgroups. */
		{ "0::/system.slice/docker-0123abcd.scope/init\n",
		    "/system.slice/docker-0123abcd.scope/init",
		    "docker-0123abcd.scope", "docker-*.scope",
		    "docker.service" },
		/* A template instance. */
		{ "0::/system.slice/system-getty.slice/getty@tty1.service\n",
		    "/system.slice/system-getty.slice/getty@tty1.service",
		    "getty@tty1.service", "getty@.service", "getty@tty2" },
		/* PID 1 and a kernel thread. */
		{ "0::/init.scope\n", "/init.scope", "init.scope", "*.scope",
		    "*.service" },
		{ "0::/\n", "/", NULL, NULL, "*" },
		/* Outside our cgroup namespace. */
		{ "0::/../../system.slice/x.service\n",
		    "/../../system.slice/x.service", NULL, NULL, "x" },
	};
	char buf[PW_CGROUP_PATH_MAX];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < NELEM(cases); i++) {
		if (parse_cg(cases[i].file, &rc, buf, sizeof(buf)) == NULL)
			fail_msg("case %zu: rc %d", i, rc);
		assert_string_equal(buf, cases[i].path);
		assert_unit(buf, cases[i].unit);
		if (cases[i].match != NULL && !has_unit(buf, cases[i].match))
			fail_msg("case %zu: %s does not match %s", i,
			    cases[i].match, buf);
		if (has_unit(buf, cases[i].miss))
			fail_msg("case %zu: %s matches %s", i, cases[i].miss,
			    buf);
	}
}

static void
test_cgroup_read_is_bounded(void **state)
{
	struct fakeproc *fk;
	const char *root;
	char *out = NULL, *text;
	size_t len, i;

	(void)state;
	fk = fakeproc_new(NULL);
	root = fakeproc_root(fk);
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
	fakeproc_put_bytes(fk, 11, "cgroup", text, len);
	assert_int_equal(pw_cgroup_read(root, 11, &out), 0);
	assert_string_equal(out, "/system.slice/x.service");
	free(out);
	out = NULL;
	/* Past 64 KiB: refused, not truncated into a wrong answer. */
	memset(text, 'a', 70 * 1024);
	memcpy(text, "0::/", 4);
	text[70 * 1024 - 1] = '\n';
	fakeproc_put_bytes(fk, 12, "cgroup", text, 70 * 1024);
	assert_int_equal(pw_cgroup_read(root, 12, &out), -E2BIG);
	assert_null(out);
	/* Forged lines: -EINVAL, nothing returned. */
	fakeproc_put_bytes(fk, 13, "cgroup", "0::/a\n0::/b\n", 12);
	assert_int_equal(pw_cgroup_read(root, 13, &out), -EINVAL);
	assert_null(out);
	/* Odd bytes come back as they are. */
	text = strcpy(text, "0::/system.slice/a b\\x2dc@d:e\xc3\xa9.service\n");
	fakeproc_put_bytes(fk, 14, "cgroup", text, strlen(text));
	assert_int_equal(pw_cgroup_read(root, 14, &out), 0);
	assert_string_equal(out, "/system.slice/a b\\x2dc@d:e\xc3\xa9.service");
	free(out);
	out = NULL;
	assert_int_equal(pw_cgroup_read(root, 0, &out), -EINVAL);
	free(text);
	fakeproc_free(fk);
}

/* --- configured paths and unit names ------------------------------------- */

static void
test_cgroup_path_check(void **state)
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
	const char *why;
	char *big;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(bad); i++) {
		why = NULL;
		assert_int_equal(pw_cgroup_path_check(bad[i].path, &why),
		    -EINVAL);
		assert_non_null(why);
		if (strstr(why, bad[i].why) == NULL)
			print_error("%s: %s\n", bad[i].path, why);
		assert_non_null(strstr(why, bad[i].why));
	}
	assert_int_equal(pw_cgroup_path_check(NULL, NULL), -EINVAL);
	assert_int_equal(pw_cgroup_path_check("/", NULL), 0);
	assert_int_equal(pw_cgroup_path_check("/a/b.c/..d/e:f@g/", NULL), 0);
	assert_int_equal(pw_cgroup_path_check("/sys/fs/cgroupx", NULL), 0);
	assert_int_equal(pw_cgroup_path_check("/a b/c\\x2d\xc3\xa9", NULL), 0);
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
test_cgroup_path_under_whole_components(void **state)
{
	(void)state;
	assert_true(pw_cgroup_path_under("/a/b", "/a/b"));
	assert_true(pw_cgroup_path_under("/a/b/c", "/a/b"));
	assert_false(pw_cgroup_path_under("/a/bc", "/a/b"));
	assert_false(pw_cgroup_path_under("/a", "/a/b"));
	assert_true(pw_cgroup_path_under("/a", "/"));
	assert_false(pw_cgroup_path_under("/../a", "/"));
	assert_false(pw_cgroup_path_under(NULL, "/"));
	assert_false(pw_cgroup_path_under("relative", "/"));
	assert_true(pw_cgroup_path_under("/a b/c\\x2dd", "/a b"));
}

static void
test_cgroup_unit_suffix_defaults_to_service(void **state)
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
		{ "caf\xc3\xa9.service", "may hold only" },
		{ "-.slice", "root cgroup" },
	};
	char out[PW_UNIT_NAME_MAX], name[300];
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(good); i++) {
		assert_int_equal(pw_unit_name_normalize(good[i].in, out,
		    sizeof(out), NULL), 0);
		assert_string_equal(out, good[i].out);
	}
	for (i = 0; i < NELEM(bad); i++) {
		why = NULL;
		strcpy(out, "untouched");
		assert_int_equal(pw_unit_name_normalize(bad[i].in, out,
		    sizeof(out), &why), -EINVAL);
		if (why == NULL || strstr(why, bad[i].why) == NULL)
			print_error("%s: %s\n", bad[i].in, why);
		assert_non_null(strstr(why, bad[i].why));
		assert_string_equal(out, "untouched");
	}
	assert_int_equal(pw_unit_name_normalize(NULL, out, sizeof(out), &why),
	    -EINVAL);
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
	/* A buffer too small for the result. */
	assert_int_equal(pw_unit_name_normalize("nginx", out, 10, &why),
	    -EINVAL);
}

static void
test_cgroup_unit_globs_are_checked(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} good[] = {
		{ "getty@*.service", "getty@*.service" },
		{ "*.scope", "*.scope" },
		{ "app-*.service", "app-*.service" },
		{ "app-*", "app-*.service" },		/* a service pattern */
		{ "foo*", "foo*.service" },
		{ "*", "*.service" },
		{ "worker-?", "worker-?.service" },
		{ "session-[0-9]*.scope", "session-[0-9]*.scope" },
		{ "x[!a-c].slice", "x[!a-c].slice" },
		{ "x[^.].service", "x[^.].service" },	/* '.' in a set */
		{ "*@.service", "*@.service" },		/* template glob */
		{ "*\\x2d*.mount", "*\\x2d*.mount" },
	};
	static const struct {
		const char	*in;
		const char	*why;
	} bad[] = {
		{ "foo.*", "not a glob" },
		{ "foo.serv*", "not a glob" },
		{ "foo.s?ope", "not a glob" },
		{ "foo.[s]cope", "not a glob" },
		{ "a[bc.service", "without its ']'" },
		{ "a[].service", "empty [] set" },
		{ "a[!].service", "empty [] set" },
		{ "a[b/c].service", "a [...] set" },
		{ "a[b c].service", "a [...] set" },
		{ "a]b.service", "may hold only" },
		{ "a*b{c,d}.service", "may hold only" },
		{ "*.target", "no cgroup" },
		{ "*.", "unknown unit type" },
		{ "@*.service", "before '@'" },
		{ "*/x.service", "may hold only" },
	};
	char out[PW_UNIT_NAME_MAX];
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(good); i++) {
		why = NULL;
		if (pw_unit_name_normalize(good[i].in, out, sizeof(out),
		    &why) < 0)
			fail_msg("%s refused: %s", good[i].in, why);
		assert_string_equal(out, good[i].out);
	}
	for (i = 0; i < NELEM(bad); i++) {
		why = NULL;
		strcpy(out, "untouched");
		assert_int_equal(pw_unit_name_normalize(bad[i].in, out,
		    sizeof(out), &why), -EINVAL);
		if (why == NULL || strstr(why, bad[i].why) == NULL)
			fail_msg("%s: %s (want \"%s\")", bad[i].in,
			    why != NULL ? why : "(null)", bad[i].why);
		assert_string_equal(out, "untouched");
	}
}

/* --- matching units against paths --------------------------------------- */

static void
test_cgroup_unit_names_and_templates(void **state)
{
	static const char getty[] =
	    "/system.slice/system-getty.slice/getty@tty1.service";
	static const char user[] = "/user.slice/user-1000.slice/"
	    "user@1000.service/app.slice/foo.service";

	(void)state;
	assert_true(has_unit("/system.slice/nginx.service", "nginx"));
	assert_true(has_unit("/system.slice/nginx.service/workers", "nginx"));
	assert_false(has_unit("/system.slice/nginx.services", "nginx"));
	assert_false(has_unit("/system.slice/xnginx.service", "nginx"));
	assert_false(has_unit("/system.slice/nginx.service", "nginx.scope"));
	assert_true(has_unit(user, "foo.service"));
	assert_true(has_unit(user, "user@1000.service"));
	assert_true(has_unit(user, "user@.service"));
	assert_true(has_unit(user, "app.slice"));
	assert_true(has_unit(getty, "system-getty.slice"));
	/* Instances: one exactly, or all of a template's. */
	assert_true(has_unit(getty, "getty@tty1"));
	assert_false(has_unit(getty, "getty@tty2.service"));
	assert_true(has_unit(getty, "getty@.service"));
	assert_false(has_unit("/system.slice/getty@.service",
	    "getty@.service"));			/* no instance */
	assert_false(pw_cgroup_has_unit("/system.slice/getty@tty1.socket",
	    "getty@.service"));
	assert_false(pw_cgroup_has_unit("/system.slice/xgetty@tty1.service",
	    "getty@.service"));
	/* No known path, or outside our namespace: no unit. */
	assert_false(pw_cgroup_has_unit(NULL, "nginx.service"));
	assert_false(pw_cgroup_has_unit("", "nginx.service"));
	assert_false(pw_cgroup_has_unit("/../system.slice/nginx.service",
	    "nginx.service"));
	assert_false(pw_cgroup_has_unit("/..", "*.service"));
}

static void
test_cgroup_unit_globs_match_whole_components(void **state)
{
	static const char getty[] =
	    "/system.slice/system-getty.slice/getty@tty1.service";
	static const char scope[] =
	    "/user.slice/user-1000.slice/session-12.scope";

	(void)state;
	assert_true(has_unit(getty, "getty@*.service"));
	assert_true(has_unit(getty, "getty@tty?.service"));
	assert_true(has_unit(getty, "getty@tty[0-9].service"));
	assert_false(has_unit(getty, "getty@tty[!0-9].service"));
	assert_true(has_unit(getty, "*@.service"));
	assert_true(has_unit(getty, "*.slice"));
	assert_true(has_unit(getty, "system-*.slice"));
	assert_false(has_unit(getty, "getty@*.socket"));
	/* Whole components: no partial match, no match across a '/'. */
	assert_false(has_unit(getty, "etty@*.service"));
	assert_false(pw_cgroup_has_unit(getty, "getty@tty1.serv"));
	assert_false(pw_cgroup_has_unit(getty, "getty@tty?"));
	assert_false(pw_cgroup_has_unit(getty, "?etty@tty1.servic"));
	assert_false(has_unit("/a.slice/b.service", "a.slice*b.service"));
	/* A template glob wants an instance, as the template does. */
	assert_false(has_unit("/system.slice/getty@.service", "*@.service"));
	assert_true(has_unit("/system.slice/getty@.service",
	    "getty@*.service"));
	/* Scopes and services apart; a name-only glob is a service one. */
	assert_true(has_unit(scope, "*.scope"));
	assert_true(has_unit(scope, "session-*.scope"));
	assert_false(has_unit(scope, "session-*"));
	assert_false(has_unit(scope, "*.service"));
	assert_true(has_unit("/system.slice/app-web.service", "app-*"));
	assert_false(has_unit("/system.slice/app-web.scope", "app-*"));
	/* '\' is literal: "\x2d" in a name is four characters. */
	assert_true(has_unit("/system.slice/home-u\\x2dx.mount",
	    "home-u\\x2d*.mount"));
	assert_false(has_unit("/system.slice/home-ux2dx.mount",
	    "home-u\\x2d*.mount"));
	assert_true(has_unit("/system.slice/home-u\\x2dx.mount",
	    "home-u\\x2dx.mount"));
	/* '*' matches any byte of a component, spaces and UTF-8 too. */
	assert_true(has_unit("/system.slice/a b\xc3\xa9.service",
	    "a*.service"));
	/* A component longer than any unit name is no unit. */
	{
		char path[600];

		memset(path, 'a', sizeof(path));
		path[0] = '/';
		memcpy(path + sizeof(path) - 9, ".service", 9);
		assert_false(has_unit(path, "a*.service"));
		assert_false(has_unit(path, "*"));
	}
}

/* --- the innermost unit ------------------------------------------------- */

static void
test_cgroup_unit_is_innermost_service_or_scope(void **state)
{
	char buf[PW_UNIT_NAME_MAX], small[10];

	(void)state;
	assert_unit("/system.slice/nginx.service", "nginx.service");
	assert_unit("/system.slice/nginx.service/workers", "nginx.service");
	assert_unit("/user.slice/user-1000.slice/user@1000.service/app.slice/"
	    "foo.scope", "foo.scope");
	assert_unit("/user.slice/user-1000.slice/user@1000.service/app.slice",
	    "user@1000.service");
	assert_unit("/user.slice/user-1000.slice/user@1000.service/app.slice/"
	    "foo.service/sub", "foo.service");
	assert_unit("/init.scope", "init.scope");
	assert_unit("/system.slice/docker-1.scope/x.service", "x.service");
	assert_unit("/system.slice/system-getty.slice/getty@tty1.service",
	    "getty@tty1.service");
	assert_unit("/system.slice/home-u\\x2dx.service",
	    "home-u\\x2dx.service");
	assert_unit("/system.slice/a:b.service", "a:b.service");
	/* Slices and the other types are not it. */
	assert_unit("/system.slice", NULL);
	assert_unit("/user.slice/user-1000.slice", NULL);
	assert_unit("/system.slice/dbus.socket", NULL);
	assert_unit("/machine.slice/x.mount", NULL);
	/* Not unit names: skipped for the next one out. */
	assert_unit("/system.slice/x.service/a b.service", "x.service");
	assert_unit("/system.slice/x.service/caf\xc3\xa9.scope", "x.service");
	assert_unit("/system.slice/x.service/.service", "x.service");
	assert_unit("/system.slice/x.service/@y.service", "x.service");
	assert_unit("/system.slice/x.service/y@.service", "x.service");
	assert_unit("/system.slice/x.servicex", NULL);
	assert_unit("/system.slice/xservice", NULL);
	assert_unit("/system.slice/x.Service", NULL);
	/* No path, the root, outside our namespace, not absolute. */
	assert_unit(NULL, NULL);
	assert_unit("", NULL);
	assert_unit("/", NULL);
	assert_unit("/..", NULL);
	assert_unit("/../system.slice/x.service", NULL);
	assert_unit("system.slice/x.service", NULL);
	assert_unit("//x.service//", "x.service");
	/* Too long for a unit name, or for the caller's buffer. */
	{
		char path[300];

		memset(path, 'a', sizeof(path));
		path[0] = '/';
		memcpy(path + sizeof(path) - 9, ".service", 9);
		assert_unit(path, NULL);
		memcpy(path + 257 - 8, ".service", 9);	/* 256 bytes */
		assert_unit(path, NULL);
		memcpy(path + 256 - 8, ".service", 9);	/* 255 bytes */
		assert_unit(path, path + 1);
	}
	strcpy(small, "keep");
	assert_false(pw_cgroup_unit("/system.slice/nginx.service", small,
	    sizeof(small)));
	assert_string_equal(small, "keep");
	assert_true(pw_cgroup_unit("/x/a.service", small, sizeof(small)));
	assert_string_equal(small, "a.service");
	strcpy(buf, "keep");
	assert_false(pw_cgroup_unit("/", buf, sizeof(buf)));
	assert_string_equal(buf, "keep");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroup_parse_v2_v1_and_hybrid),
		cmocka_unit_test(test_cgroup_parse_rejects_hostile_contents),
		cmocka_unit_test(test_cgroup_files_give_path_and_unit),
		cmocka_unit_test(test_cgroup_read_is_bounded),
		cmocka_unit_test(test_cgroup_path_check),
		cmocka_unit_test(test_cgroup_path_under_whole_components),
		cmocka_unit_test(test_cgroup_unit_suffix_defaults_to_service),
		cmocka_unit_test(test_cgroup_unit_globs_are_checked),
		cmocka_unit_test(test_cgroup_unit_names_and_templates),
		cmocka_unit_test(test_cgroup_unit_globs_match_whole_components),
		cmocka_unit_test(
		    test_cgroup_unit_is_innermost_service_or_scope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

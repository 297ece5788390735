/*
 * test_profile.c: folded-stack aggregation and the profile summary, from
 * synthetic stacks, and why ptrace is refused, from made-up facts (the
 * ptrace side is covered by tests/e2e/profile.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <procwatch/profile.h>

/* A heap profile with one reference, as the profiler makes them. */
static struct pw_profile *
mkprofile(void)
{
	struct pw_profile *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	atomic_init(&p->refs, 1);
	return p;
}

static const struct pw_prof_func *
func(const struct pw_profile *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nfuncs; i++)
		if (strcmp(p->funcs[i].name, name) == 0)
			return &p->funcs[i];
	return NULL;
}

static void
test_profile_folded_lines_root_first_sorted(void **state)
{
	const char *hot[] = { "hot_inner", "hot_outer", "main", "_start" };
	const char *slp[] = { "clock_nanosleep", "sleep_loop", "main",
	    "_start" };
	struct pw_stackagg *a = pw_stackagg_new(100);
	struct pw_profile *p = mkprofile();
	int i;

	(void)state;
	assert_non_null(a);
	for (i = 0; i < 37; i++)
		assert_int_equal(pw_stackagg_add(a, 10, "worker", hot, 4), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(pw_stackagg_add(a, 10, "worker", hot + 1, 3),
		    0);
	assert_int_equal(pw_stackagg_add(a, 1, "app", slp, 4), 0);
	assert_int_equal(pw_stackagg_finish(a, p), 0);
	assert_string_equal(p->folded,
	    "app;_start;main;sleep_loop;clock_nanosleep 1\n"
	    "worker;_start;main;hot_outer 3\n"
	    "worker;_start;main;hot_outer;hot_inner 37\n");
	assert_int_equal(p->folded_len, strlen(p->folded));
	pw_stackagg_free(a);
	pw_profile_unref(p);
}

static void
test_profile_self_and_total(void **state)
{
	const char *hot[] = { "hot_inner", "hot_outer", "main" };
	const char *mid[] = { "hot_outer", "main" };
	struct pw_stackagg *a = pw_stackagg_new(100);
	struct pw_profile *p = mkprofile();
	const struct pw_prof_func *f;
	int i;

	(void)state;
	for (i = 0; i < 8; i++)
		assert_int_equal(pw_stackagg_add(a, 5, "t", hot, 3), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(pw_stackagg_add(a, 5, "t", mid, 2), 0);
	assert_int_equal(pw_stackagg_finish(a, p), 0);
	assert_int_equal(p->nfuncs, 3);
	/* Ordered by self samples: the hot function first. */
	assert_string_equal(p->funcs[0].name, "hot_inner");
	assert_int_equal(p->funcs[0].self, 8);
	assert_int_equal(p->funcs[0].total, 8);
	f = func(p, "hot_outer");
	assert_non_null(f);
	assert_int_equal(f->self, 2);
	assert_int_equal(f->total, 10);
	f = func(p, "main");
	assert_int_equal(f->self, 0);
	assert_int_equal(f->total, 10);
	pw_stackagg_free(a);
	pw_profile_unref(p);
}

static void
test_profile_recursion_counts_once_in_total(void **state)
{
	const char *rec[] = { "fib", "fib", "fib", "main" };
	struct pw_stackagg *a = pw_stackagg_new(100);
	struct pw_profile *p = mkprofile();
	const struct pw_prof_func *f;

	(void)state;
	assert_int_equal(pw_stackagg_add(a, 1, "t", rec, 4), 0);
	assert_int_equal(pw_stackagg_add(a, 1, "t", rec, 4), 0);
	assert_int_equal(pw_stackagg_finish(a, p), 0);
	f = func(p, "fib");
	assert_int_equal(f->self, 2);
	assert_int_equal(f->total, 2);
	assert_string_equal(p->folded, "t;main;fib;fib;fib 2\n");
	pw_stackagg_free(a);
	pw_profile_unref(p);
}

static void
test_profile_per_thread_counts(void **state)
{
	const char *s[] = { "f" };
	struct pw_stackagg *a = pw_stackagg_new(100);
	struct pw_profile *p = mkprofile();
	int i;

	(void)state;
	for (i = 0; i < 5; i++)
		pw_stackagg_add(a, 30, "busy", s, 1);
	pw_stackagg_add(a, 20, "idle", s, 1);
	for (i = 0; i < 2; i++)
		pw_stackagg_add(a, 10, "main", s, 1);
	assert_int_equal(pw_stackagg_finish(a, p), 0);
	assert_int_equal(p->nthreads, 3);
	assert_int_equal(p->threads[0].tid, 30);
	assert_string_equal(p->threads[0].name, "busy");
	assert_int_equal(p->threads[0].samples, 5);
	assert_int_equal(p->threads[1].tid, 10);
	assert_int_equal(p->threads[2].samples, 1);
	pw_stackagg_free(a);
	pw_profile_unref(p);
}

static void
test_profile_names_are_sanitized(void **state)
{
	const char *s[] = { "a;b", NULL, "" };
	struct pw_stackagg *a = pw_stackagg_new(100);
	struct pw_profile *p = mkprofile();

	(void)state;
	assert_int_equal(pw_stackagg_add(a, 1, "my;thr\n", s, 3), 0);
	assert_int_equal(pw_stackagg_finish(a, p), 0);
	assert_string_equal(p->folded,
	    "my_thr_;[unknown];[unknown];a_b 1\n");
	assert_non_null(func(p, "a_b"));
	pw_stackagg_free(a);
	pw_profile_unref(p);
}

static void
test_profile_table_full_is_enospc(void **state)
{
	const char *x[] = { "x" }, *y[] = { "y" };
	struct pw_stackagg *a = pw_stackagg_new(1);
	struct pw_profile *p = mkprofile();

	(void)state;
	assert_int_equal(pw_stackagg_add(a, 1, "t", x, 1), 0);
	assert_int_equal(pw_stackagg_add(a, 1, "t", y, 1), -ENOSPC);
	assert_int_equal(pw_stackagg_add(a, 1, "t", x, 1), 0);
	assert_int_equal(pw_stackagg_finish(a, p), 0);
	assert_string_equal(p->folded, "t;x 2\n");
	pw_stackagg_free(a);
	pw_profile_unref(p);
}

static void
test_profile_many_stacks_grow_the_table(void **state)
{
	struct pw_stackagg *a = pw_stackagg_new(PW_PROFILE_MAX_STACKS);
	struct pw_profile *p = mkprofile();
	char names[500][16];
	const char *s[2];
	int i;

	(void)state;
	for (i = 0; i < 500; i++) {
		snprintf(names[i], sizeof(names[i]), "fn%03d", i);
		s[0] = names[i];
		s[1] = "main";
		assert_int_equal(pw_stackagg_add(a, i % 7, "t", s, 2), 0);
		assert_int_equal(pw_stackagg_add(a, i % 7, "t", s, 2), 0);
	}
	assert_int_equal(pw_stackagg_finish(a, p), 0);
	assert_int_equal(p->nfuncs, 501);
	assert_int_equal(func(p, "main")->total, 1000);
	assert_int_equal(func(p, "fn123")->self, 2);
	assert_int_equal(p->nthreads, 7);
	pw_stackagg_free(a);
	pw_profile_unref(p);
}

static void
test_profile_empty_finishes(void **state)
{
	struct pw_stackagg *a = pw_stackagg_new(10);
	struct pw_profile *p = mkprofile();

	(void)state;
	assert_int_equal(pw_stackagg_finish(a, p), 0);
	assert_string_equal(p->folded, "");
	assert_int_equal(p->nfuncs, 0);
	assert_int_equal(p->nthreads, 0);
	pw_stackagg_free(a);
	pw_profile_unref(p);
	pw_profile_unref(NULL);
}

static void
test_profile_bounds_are_einval(void **state)
{
	struct pw_profiler *pr;
	char why[PW_PROFILE_ERR_MAX];
	uint64_t id;
	int err = 0;

	(void)state;
	pr = pw_profiler_new(NULL, &err);
	assert_non_null(pr);
	assert_int_equal(pw_profiler_start(pr, 1, 0, 49, &id, why,
	    sizeof(why)), -EINVAL);
	assert_int_equal(pw_profiler_start(pr, 1, 61, 49, &id, why,
	    sizeof(why)), -EINVAL);
	assert_int_equal(pw_profiler_start(pr, 1, 5, 201, &id, why,
	    sizeof(why)), -EINVAL);
	assert_int_equal(pw_profiler_start(pr, 999999999, 5, 49, &id, why,
	    sizeof(why)), -ESRCH);
	assert_int_equal(pw_profiler_start(pr, getpid(), 5, 49, &id, why,
	    sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "itself"));
	assert_null(pw_profiler_get(pr, 1));
	pw_profiler_free(pr);
}

/* --- why ptrace is refused ------------------------------------------------------- */

/* /proc/self/status lines that matter: seccomp mode and CapEff. */
#define SELF_CAP	"Name:\tprocwatchd\nCapEff:\t0000000000080004\n" \
			"NoNewPrivs:\t1\nSeccomp:\t0\n"
#define SELF_NOCAP	"Name:\tprocwatchd\nCapEff:\t0000000000000004\n" \
			"Seccomp:\t0\n"
#define SELF_FILTER	"Name:\tprocwatchd\nCapEff:\t0000000000080004\n" \
			"Seccomp:\t2\nSeccomp_filters:\t1\n"
#define TARGET_ROOT	"Name:\tpython3\nTracerPid:\t0\nUid:\t0\t0\t0\t0\n" \
			"Gid:\t0\t0\t0\t0\n"
#define TARGET_OURS	"Name:\tpython3\nTracerPid:\t0\n" \
			"Uid:\t61000\t61000\t61000\t61000\n" \
			"Gid:\t61000\t61000\t61000\t61000\n"

/* Writable copies: the facts' text fields are not const (the reader owns them). */
static char self_cap[] = SELF_CAP, self_nocap[] = SELF_NOCAP,
	    self_filter[] = SELF_FILTER, target_root[] = TARGET_ROOT,
	    target_ours[] = TARGET_OURS;

/* Facts where nothing forbids ptrace: procwatchd as uid 61000. */
static struct pw_ptrace_facts
facts(char *self, char *target)
{
	struct pw_ptrace_facts f = {
		.self_status = self, .target_status = target,
		.yama_scope = 1, .probe_errno = ESRCH,
		.userns = PW_USERNS_SAME, .uid = 61000, .gid = 61000,
	};

	return f;
}

static void
test_profile_diagnose_nothing_forbids(void **state)
{
	struct pw_ptrace_facts f = facts(self_cap, target_root);
	char why[PW_PROFILE_ERR_MAX];

	(void)state;
	assert_int_equal(pw_ptrace_diagnose(&f, 42, false, why, sizeof(why)),
	    PW_PTRACE_OK);
	assert_string_equal(why, "");
	f.userns = PW_USERNS_BELOW;
	assert_int_equal(pw_ptrace_diagnose(&f, 42, false, why, sizeof(why)),
	    PW_PTRACE_OK);
	f = facts(self_nocap, target_ours);
	f.yama_scope = 0;
	assert_int_equal(pw_ptrace_diagnose(&f, 42, false, why, sizeof(why)),
	    PW_PTRACE_OK);
}

static void
test_profile_diagnose_seccomp_probe_is_seccomp(void **state)
{
	struct pw_ptrace_facts f = facts(self_filter, target_root);
	char why[PW_PROFILE_ERR_MAX];

	(void)state;
	f.probe_errno = EPERM;	/* a request that needs no right: the filter */
	assert_int_equal(pw_ptrace_diagnose(&f, 42, false, why, sizeof(why)),
	    PW_PTRACE_SECCOMP);
	assert_non_null(strstr(why, "ptrace denied by the seccomp filter "
	    "(SystemCallFilter=)"));
	assert_non_null(strstr(why, "systemd/profiling.conf"));
	/* Before the capability: without ptrace nothing else can be told. */
	f.self_status = self_nocap;
	assert_int_equal(pw_ptrace_diagnose(&f, 42, true, why, sizeof(why)),
	    PW_PTRACE_SECCOMP);
}

static void
test_profile_diagnose_refused_under_filter_is_seccomp(void **state)
{
	struct pw_ptrace_facts f = facts(self_filter, target_root);
	char why[PW_PROFILE_ERR_MAX];

	(void)state;
	f.probe_errno = 0;	/* not probed */
	assert_int_equal(pw_ptrace_diagnose(&f, 42, false, why, sizeof(why)),
	    PW_PTRACE_OK);
	assert_int_equal(pw_ptrace_diagnose(&f, 42, true, why, sizeof(why)),
	    PW_PTRACE_SECCOMP);
	assert_non_null(strstr(why, "seccomp"));
	assert_non_null(strstr(why, "SystemCallFilter="));
}

static void
test_profile_diagnose_missing_cap_other_uid(void **state)
{
	static char other_gid[] = "Uid:\t61000\t61000\t61000\t61000\n"
	    "Gid:\t61000\t5\t61000\t61000\n";
	struct pw_ptrace_facts f = facts(self_nocap, target_root);
	char why[PW_PROFILE_ERR_MAX];

	(void)state;
	f.yama_scope = 0;
	assert_int_equal(pw_ptrace_diagnose(&f, 42, false, why, sizeof(why)),
	    PW_PTRACE_NO_CAP);
	assert_non_null(strstr(why, "CAP_SYS_PTRACE missing"));
	assert_non_null(strstr(why, "uid 61000"));
	f.yama_scope = -1;	/* no Yama at all */
	assert_int_equal(pw_ptrace_diagnose(&f, 42, true, why, sizeof(why)),
	    PW_PTRACE_NO_CAP);
	/* Same uid, other gid: still the capability. */
	f.target_status = other_gid;
	assert_int_equal(pw_ptrace_diagnose(&f, 42, false, why, sizeof(why)),
	    PW_PTRACE_NO_CAP);
	/* Same credentials but refused: not dumpable. */
	f.target_status = target_ours;
	assert_int_equal(pw_ptrace_diagnose(&f, 42, true, why, sizeof(why)),
	    PW_PTRACE_NO_CAP);
	assert_non_null(strstr(why, "dumpable"));
}

static void
test_profile_diagnose_yama(void **state)
{
	struct pw_ptrace_facts f = facts(self_cap, target_root);
	char why[PW_PROFILE_ERR_MAX];

	(void)state;
	f.yama_scope = 3;	/* even with the capability */
	assert_int_equal(pw_ptrace_diagnose(&f, 42, false, why, sizeof(why)),
	    PW_PTRACE_YAMA);
	assert_non_null(strstr(why, "kernel.yama.ptrace_scope=3 forbids "
	    "ptrace"));
	f = facts(self_nocap, target_root);
	f.yama_scope = 2;
	assert_int_equal(pw_ptrace_diagnose(&f, 42, false, why, sizeof(why)),
	    PW_PTRACE_YAMA);
	assert_non_null(strstr(why, "ptrace_scope=2"));
	assert_non_null(strstr(why, "CAP_SYS_PTRACE"));
	f = facts(self_nocap, target_ours);	/* same uid, scope 1 */
	assert_int_equal(pw_ptrace_diagnose(&f, 42, false, why, sizeof(why)),
	    PW_PTRACE_YAMA);
	assert_non_null(strstr(why, "ptrace_scope=1"));
	assert_non_null(strstr(why, "descendants"));
	f = facts(self_cap, target_ours);	/* scope 1 with the capability */
	assert_int_equal(pw_ptrace_diagnose(&f, 42, false, why, sizeof(why)),
	    PW_PTRACE_OK);
}

static void
test_profile_diagnose_namespace(void **state)
{
	struct pw_ptrace_facts f = facts(self_cap, target_root);
	char why[PW_PROFILE_ERR_MAX];

	(void)state;
	f.userns = PW_USERNS_OTHER;
	assert_int_equal(pw_ptrace_diagnose(&f, 42, false, why, sizeof(why)),
	    PW_PTRACE_NAMESPACE);
	assert_non_null(strstr(why, "user namespace"));
	f.userns = PW_USERNS_UNKNOWN;
	assert_int_equal(pw_ptrace_diagnose(&f, 42, false, why, sizeof(why)),
	    PW_PTRACE_OK);
}

static void
test_profile_diagnose_already_traced(void **state)
{
	static char traced[] = "Name:\tpython3\nTracerPid:\t777\n"
	    "Uid:\t0\t0\t0\t0\n";
	struct pw_ptrace_facts f = facts(self_cap, traced);
	char why[PW_PROFILE_ERR_MAX];

	(void)state;
	assert_int_equal(pw_ptrace_diagnose(&f, 42, false, why, sizeof(why)),
	    PW_PTRACE_TRACED);
	assert_non_null(strstr(why, "traced by pid 777"));
}

static void
test_profile_diagnose_refused_unexplained(void **state)
{
	struct pw_ptrace_facts f = facts(self_cap, target_root);
	char why[PW_PROFILE_ERR_MAX];

	(void)state;
	assert_int_equal(pw_ptrace_diagnose(&f, 42, true, why, sizeof(why)),
	    PW_PTRACE_UNKNOWN);
	assert_non_null(strstr(why, "security module"));
	/* Nothing known at all: still a sentence, never a crash. */
	f = facts(NULL, NULL);
	f.yama_scope = -1;
	f.probe_errno = 0;
	f.userns = PW_USERNS_UNKNOWN;
	assert_int_equal(pw_ptrace_diagnose(&f, 42, false, why, sizeof(why)),
	    PW_PTRACE_OK);
	assert_int_equal(pw_ptrace_diagnose(&f, 42, true, why, 8),
	    PW_PTRACE_UNKNOWN);
	assert_int_equal(strlen(why), 7);
}

static void
put(const char *dir, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
test_profile_facts_read_fake_root(void **state)
{
	char root[] = "/tmp/test_profile.XXXXXX", path[512], why[256];
	struct pw_ptrace_facts f;
	const char *dirs[] = { "self", "999999999", "sys", "sys/kernel",
	    "sys/kernel/yama" };
	const char *files[] = { "self/status", "999999999/status",
	    "sys/kernel/yama/ptrace_scope" };
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(root));
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		assert_int_equal(mkdir(path, 0700), 0);
	}
	put(root, "self/status", SELF_NOCAP);
	put(root, "999999999/status", TARGET_ROOT);
	put(root, "sys/kernel/yama/ptrace_scope", "2\n");
	assert_int_equal(pw_ptrace_facts_read(root, 999999999, &f), 0);
	assert_non_null(strstr(f.self_status, "CapEff"));
	assert_non_null(strstr(f.target_status, "TracerPid"));
	assert_int_equal(f.yama_scope, 2);
	assert_int_equal(f.userns, PW_USERNS_UNKNOWN);	/* no ns/ links */
	assert_int_equal(f.uid, getuid());
	/* No such process: unless a filter stops it first, ESRCH. */
	assert_true(f.probe_errno == ESRCH || f.probe_errno == EPERM);
	assert_int_equal(pw_ptrace_diagnose(&f, 999999999, false, why,
	    sizeof(why)), PW_PTRACE_YAMA);
	pw_ptrace_facts_fini(&f);
	pw_ptrace_facts_fini(NULL);
	assert_int_equal(pw_profile_check_access(root, 999999999, why,
	    sizeof(why)), -EPERM);
	assert_non_null(strstr(why, "CAP_SYS_PTRACE missing"));

	/* Nothing there: all unknown, nothing forbids. */
	put(root, "sys/kernel/yama/ptrace_scope", "");
	assert_int_equal(pw_ptrace_facts_read(root, 4, &f), 0);
	assert_null(f.target_status);
	assert_int_equal(f.yama_scope, -1);
	pw_ptrace_facts_fini(&f);

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, files[i]);
		unlink(path);
	}
	for (i = sizeof(dirs) / sizeof(dirs[0]); i-- > 0;) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		rmdir(path);
	}
	rmdir(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_folded_lines_root_first_sorted),
		cmocka_unit_test(test_profile_self_and_total),
		cmocka_unit_test(test_profile_recursion_counts_once_in_total),
		cmocka_unit_test(test_profile_per_thread_counts),
		cmocka_unit_test(test_profile_names_are_sanitized),
		cmocka_unit_test(test_profile_table_full_is_enospc),
		cmocka_unit_test(test_profile_many_stacks_grow_the_table),
		cmocka_unit_test(test_profile_empty_finishes),
		cmocka_unit_test(test_profile_bounds_are_einval),
		cmocka_unit_test(test_profile_diagnose_nothing_forbids),
		cmocka_unit_test(test_profile_diagnose_seccomp_probe_is_seccomp),
		cmocka_unit_test(
		    test_profile_diagnose_refused_under_filter_is_seccomp),
		cmocka_unit_test(test_profile_diagnose_missing_cap_other_uid),
		cmocka_unit_test(test_profile_diagnose_yama),
		cmocka_unit_test(test_profile_diagnose_namespace),
		cmocka_unit_test(test_profile_diagnose_already_traced),
		cmocka_unit_test(test_profile_diagnose_refused_unexplained),
		cmocka_unit_test(test_profile_facts_read_fake_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

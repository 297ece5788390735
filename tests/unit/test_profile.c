/*
 * test_profile.c: folded-stack aggregation and the profile summary, from
 * synthetic stacks (the ptrace side is covered by tests/e2e/profile.sh).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

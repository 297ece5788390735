/*
 * test_alertq.c: the bounded queue of alert transitions (lib/alertq.c).
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <procwatch/alertq.h>
#include <procwatch/rules.h>

static bool
readable(const struct pw_alertq *q)
{
	struct pollfd p = { .fd = pw_alertq_fd(q), .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

static void
test_alertq_full_drops_and_counts(void **state)
{
	struct pw_alert v[5], *out;
	struct pw_alertq *q;
	uint64_t lost;
	size_t n, i;

	(void)state;
	memset(v, 0, sizeof(v));
	for (i = 0; i < 5; i++)
		v[i].id = i + 1;
	assert_non_null(q = pw_alertq_new(3));
	assert_false(readable(q));
	assert_int_equal(pw_alertq_push(q, v, 2), 2);
	assert_true(readable(q));
	assert_int_equal(pw_alertq_push(q, v + 2, 3), 1);
	assert_int_equal(pw_alertq_dropped(q), 2);
	assert_int_equal(pw_alertq_take(q, &out, &n, &lost), 0);
	assert_false(readable(q));
	assert_int_equal(n, 3);
	assert_int_equal(lost, 2);
	for (i = 0; i < 3; i++)
		assert_int_equal(out[i].id, i + 1);	/* oldest first */
	free(out);
	/* Empty now; the drops were told once. */
	assert_int_equal(pw_alertq_take(q, &out, &n, &lost), 0);
	assert_null(out);
	assert_int_equal(n, 0);
	assert_int_equal(lost, 0);
	assert_int_equal(pw_alertq_dropped(q), 2);
	pw_alertq_free(q);
}

static void
test_alertq_wraps_around(void **state)
{
	struct pw_alert v[2], *out;
	struct pw_alertq *q;
	size_t n, round;

	(void)state;
	memset(v, 0, sizeof(v));
	assert_non_null(q = pw_alertq_new(3));
	for (round = 0; round < 5; round++) {
		v[0].id = 2 * round + 1;
		v[1].id = 2 * round + 2;
		assert_int_equal(pw_alertq_push(q, v, 2), 2);
		assert_int_equal(pw_alertq_take(q, &out, &n, NULL), 0);
		assert_int_equal(n, 2);
		assert_int_equal(out[0].id, 2 * round + 1);
		assert_int_equal(out[1].id, 2 * round + 2);
		free(out);
	}
	pw_alertq_free(q);
	pw_alertq_free(NULL);
	assert_null(pw_alertq_new(0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alertq_full_drops_and_counts),
		cmocka_unit_test(test_alertq_wraps_around),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * tests/unit/test_buf.c: the capped output buffer of the renderers
 * (api/buf.c): growth, the cap and its sticky error, printf past the
 * first 4 KiB, adopting a page, and handing the bytes over.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/buf.h"

static void
test_buf_printf_grows_past_first_block(void **state)
{
	struct api_buf b;
	char *out;
	size_t len, i;

	(void)state;
	api_buf_init(&b, 1 << 20);
	for (i = 0; i < 1000; i++)
		api_buf_printf(&b, "line %04zu\n", i);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.len, 1000 * 10);
	assert_memory_equal(b.p + 9990, "line 0999\n", 10);
	assert_int_equal(b.p[b.len], '\0');
	assert_int_equal(api_buf_take(&b, &out, &len), 0);
	assert_int_equal(len, 10000);
	assert_null(b.p);
	free(out);
	api_buf_fini(&b);
}

static void
test_buf_cap_is_sticky(void **state)
{
	struct api_buf b;
	char *out = NULL;
	size_t len = 0;

	(void)state;
	api_buf_init(&b, 16);
	api_buf_puts(&b, "0123456789");
	assert_int_equal(b.err, 0);
	api_buf_printf(&b, "%s", "abcdefgh");	/* 18 bytes: past the cap */
	assert_int_equal(b.err, -E2BIG);
	api_buf_puts(&b, "x");			/* would fit, but the error stays */
	assert_int_equal(b.err, -E2BIG);
	assert_int_equal(b.len, 10);
	assert_int_equal(api_buf_take(&b, &out, &len), -E2BIG);
	assert_null(out);
	assert_null(b.p);
}

static void
test_buf_append_page_adopts_then_copies(void **state)
{
	struct api_buf b;
	char *page;

	(void)state;
	api_buf_init(&b, 1024);
	page = strdup("first\n");
	api_buf_append_page(&b, page, 6);
	assert_ptr_equal(b.p, page);		/* no copy into an empty one */
	api_buf_append_page(&b, strdup("second\n"), 7);
	api_buf_append_page(&b, NULL, 0);
	assert_int_equal(b.err, 0);
	assert_string_equal(b.p, "first\nsecond\n");
	api_buf_fini(&b);
}

static void
test_buf_take_empty_is_a_page(void **state)
{
	struct api_buf b;
	char *out = NULL;
	size_t len = 1;

	(void)state;
	api_buf_init(&b, 64);
	assert_int_equal(api_buf_take(&b, &out, &len), 0);
	assert_non_null(out);
	assert_int_equal(len, 0);
	assert_string_equal(out, "");
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_printf_grows_past_first_block),
		cmocka_unit_test(test_buf_cap_is_sticky),
		cmocka_unit_test(test_buf_append_page_adopts_then_copies),
		cmocka_unit_test(test_buf_take_empty_is_a_page),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

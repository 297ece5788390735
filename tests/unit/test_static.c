/*
 * test_static.c: the dashboard's files (api/static.c): only the fixed
 * names are served, with their headers, and Dygraphs files under a cap.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "api/api.h"

static char dir[64];

static void
write_file(const char *name, const char *text, off_t size)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	if (size > 0)
		assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/pw-static.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	write_file("dygraph.min.js", "var Dygraph;", 0);
	write_file("dygraph.css", "big", (off_t)API_STATIC_MAX + 1);
	write_file("index.js", "secret", 0);
	return 0;
}

static int
teardown(void **state)
{
	char path[128];
	const char *names[] = { "dygraph.min.js", "dygraph.css", "index.js" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	return rmdir(dir);
}

static void
test_static_embedded_files_have_headers(void **state)
{
	struct MHD_Response *r;
	const char *csp;
	int err = 0;

	(void)state;
	r = api_static_response(dir, "index.html", &err);
	assert_non_null(r);
	assert_string_equal(MHD_get_response_header(r, "Content-Type"),
	    "text/html; charset=utf-8");
	assert_string_equal(MHD_get_response_header(r, "Cache-Control"),
	    "no-cache");
	assert_string_equal(MHD_get_response_header(r,
	    "X-Content-Type-Options"), "nosniff");
	csp = MHD_get_response_header(r, "Content-Security-Policy");
	assert_non_null(csp);
	assert_non_null(strstr(csp, "default-src 'none'"));
	assert_null(strstr(csp, "unsafe-inline"));
	MHD_destroy_response(r);
	r = api_static_response(dir, "app.js", &err);
	assert_non_null(r);
	assert_string_equal(MHD_get_response_header(r, "Content-Type"),
	    "text/javascript; charset=utf-8");
	MHD_destroy_response(r);
	r = api_static_response(dir, "app.css", &err);
	assert_non_null(r);
	assert_string_equal(MHD_get_response_header(r, "Content-Type"),
	    "text/css; charset=utf-8");
	MHD_destroy_response(r);
}

static void
test_static_only_listed_names(void **state)
{
	const char *bad[] = { "", "index.htm", "/index.html", "../app.js",
	    "dygraphs/", "dygraphs/index.js", "dygraphs/../dygraph.min.js",
	    "dygraphs/./dygraph.min.js", "dygraphs//dygraph.min.js",
	    "dygraphs/dygraph.min.js/", "dygraphs/../../../etc/passwd",
	    "web_files.c", "app.js.map" };
	size_t i;
	int err;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = 0;
		assert_null(api_static_response(dir, bad[i], &err));
		assert_int_equal(err, -ENOENT);
	}
}

static void
test_static_dygraphs_read_from_dir(void **state)
{
	struct MHD_Response *r;
	int err = 0;

	(void)state;
	r = api_static_response(dir, "dygraphs/dygraph.min.js", &err);
	assert_non_null(r);
	assert_string_equal(MHD_get_response_header(r, "Content-Type"),
	    "text/javascript; charset=utf-8");
	MHD_destroy_response(r);
	/* Listed but not there: 404, not an error. */
	assert_null(api_static_response(dir, "dygraphs/dygraph.min.css",
	    &err));
	assert_int_equal(err, -ENOENT);
	assert_null(api_static_response("/nonexistent",
	    "dygraphs/dygraph.min.js", &err));
	assert_int_equal(err, -ENOENT);
}

static void
test_static_dygraphs_file_over_cap_is_efbig(void **state)
{
	int err = 0;

	(void)state;
	assert_null(api_static_response(dir, "dygraphs/dygraph.css", &err));
	assert_int_equal(err, -EFBIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static_embedded_files_have_headers),
		cmocka_unit_test(test_static_only_listed_names),
		cmocka_unit_test(test_static_dygraphs_read_from_dir),
		cmocka_unit_test(test_static_dygraphs_file_over_cap_is_efbig),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * test_names.c: no metric of the catalogue (procwatch/metric.h) is spelt
 * as a string literal in the .c files of lib/ or api/ outside
 * lib/metric.c: not its name, its key in a target's sample, nor its
 * Prometheus families.  The
 * names come from the catalogue itself, so a new row is covered at once;
 * the files are every .c of the two directories, comments left out.
 *
 * A few literals are spelt like a metric but are not one; each is listed
 * in `allowed` with why, as tests/lsan.supp gives a reason per entry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/metric.h>

static const struct {
	const char	*file;
	const char	*literal;
	const char	*why;
} allowed[] = {
	{ "lib/procfs_parse.c", "read_bytes",
	    "a key of the kernel's /proc/PID/io" },
	{ "lib/procfs_parse.c", "write_bytes",
	    "a key of the kernel's /proc/PID/io" },
	{ "lib/alert_group.c", "exited", "a word of the process_down text" },
	{ "api/profile.c", "exited", "whether the profiled process exited" },
	{ "api/profile.c", "threads", "the profile's list of threads" },
	{ "api/threads.c", "threads", "the list of thread objects" },
	{ "api/routes.c", "processes", "the list of process objects" },
};

static bool
is_allowed(const char *file, const char *lit)
{
	size_t i;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (strcmp(allowed[i].file, file) == 0 &&
		    strcmp(allowed[i].literal, lit) == 0)
			return true;
	return false;
}

/* Is lit[0..len) a name, a group key or a Prometheus family of a row? */
static bool
is_metric_name(const char *lit, size_t len)
{
	const struct pw_metric_def *d;
	const char *n[4];
	unsigned i, k;

	for (i = 0; i < PW_METRIC_NROWS; i++) {
		d = pw_metric_def((enum pw_metric)i);
		n[0] = d->name;
		n[1] = d->group_key;
		n[2] = d->prom.family;
		n[3] = d->gprom.family;
		for (k = 0; k < 4; k++)
			if (n[k] != NULL && strlen(n[k]) == len &&
			    memcmp(n[k], lit, len) == 0)
				return true;
	}
	return false;
}

/*
 * The string literals of C source s that spell a metric and are not
 * allowed in `file`, appended to bad (one per line); how many.
 */
static unsigned
scan(const char *file, const char *s, char *bad, size_t badlen)
{
	char lit[256];
	const char *p = s, *q;
	unsigned nbad = 0;
	size_t len;

	while (*p != '\0') {
		if (p[0] == '/' && p[1] == '*') {
			q = strstr(p + 2, "*/");
			p = q != NULL ? q + 2 : p + strlen(p);
		} else if (p[0] == '/' && p[1] == '/') {
			p += strcspn(p, "\n");
		} else if (*p == '\'') {
			for (p++; *p != '\0' && *p != '\''; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p != '\0')
				p++;
		} else if (*p == '"') {
			for (q = ++p; *q != '\0' && *q != '"'; q++)
				if (*q == '\\' && q[1] != '\0')
					q++;
			len = (size_t)(q - p);
			if (len < sizeof(lit)) {
				memcpy(lit, p, len);
				lit[len] = '\0';
				if (is_metric_name(lit, len) &&
				    !is_allowed(file, lit)) {
					nbad++;
					len = strlen(bad);
					snprintf(bad + len, badlen - len,
					    "%s: \"%s\"\n", file, lit);
				}
			}
			p = *q != '\0' ? q + 1 : q;
		} else
			p++;
	}
	return nbad;
}

static char *
slurp(const char *path)
{
	char *buf;
	size_t len;
	FILE *fp;

	assert_non_null(fp = fopen(path, "r"));
	assert_non_null(buf = calloc(1, 1 << 20));
	len = fread(buf, 1, (1 << 20) - 1, fp);
	fclose(fp);
	buf[len] = '\0';
	return buf;
}

/* The scanner itself: literals count, comments and allowed ones do not. */
static void
test_names_scan_finds_literals(void **state)
{
	const char *name = pw_metric_name(PW_METRIC_RSS_BYTES);
	char src[512], bad[512] = "";

	(void)state;
	snprintf(src, sizeof(src), "/* \"%s\" */ // \"%s\"\nx = '\"'; "
	    "f(\"%s\"); g(\"%s_x\");", name, name, name, name);
	assert_int_equal(scan("api/x.c", src, bad, sizeof(bad)), 1);
	snprintf(src, sizeof(src), "f(\"%s\");",
	    pw_metric_def(PW_METRIC_FD_USAGE)->gprom.family);
	assert_int_equal(scan("api/x.c", src, bad, sizeof(bad)), 1);
	assert_int_equal(scan("lib/procfs_parse.c", "f(\"read_bytes\");", bad,
	    sizeof(bad)), 0);
}

static void
test_names_not_spelt_in_lib_and_api(void **state)
{
	static const char *const dirs[] = { "lib", "api" };
	char path[4096], file[512], *bad, *buf;
	unsigned nbad = 0, nfiles = 0;
	struct dirent *e;
	size_t i, n;
	DIR *dir;

	(void)state;
	assert_non_null(bad = calloc(1, 1 << 16));
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/../../%s", PW_FIXTURES,
		    dirs[i]);
		assert_non_null(dir = opendir(path));
		while ((e = readdir(dir)) != NULL) {
			n = strlen(e->d_name);
			if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0)
				continue;
			snprintf(file, sizeof(file), "%s/%s", dirs[i],
			    e->d_name);
			if (strcmp(file, "lib/metric.c") == 0 ||
			    strcmp(file, "api/web_files.c") == 0)
				continue;	/* the catalogue; generated */
			snprintf(path, sizeof(path), "%s/../../%s",
			    PW_FIXTURES, file);
			buf = slurp(path);
			nbad += scan(file, buf, bad, 1 << 16);
			nfiles++;
			free(buf);
		}
		closedir(dir);
	}
	assert_true(nfiles > 20);
	if (nbad != 0)
		fail_msg("metric names spelt as literals outside the "
		    "catalogue:\n%s", bad);
	free(bad);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_scan_finds_literals),
		cmocka_unit_test(test_names_not_spelt_in_lib_and_api),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * api/params.c: strict parsers for what clients put in paths and queries.
 *
 * DESIGN: everything here is hand-rolled rather than built on strtol(),
 * sscanf() or strptime(): those skip white space, take signs, depend on the
 * locale and (strptime) on the TZ environment, and report overflow through
 * errno.  A client value is either exactly right or -EINVAL.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/duration.h>
#include <procwatch/timespec.h>

#include "api/params.h"

/* The largest value of the signed integer type pid_t. */
#define PID_T_MAX \
	((uint64_t)(((uintmax_t)1 << (sizeof(pid_t) * CHAR_BIT - 1)) - 1))

#define MS_PER_S	INT64_C(1000)

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Read one or more decimal digits at *sp into *out, failing if the value
 * exceeds max.  Advances *sp past the digits.
 */
static int
read_u64(const char **sp, uint64_t max, uint64_t *out)
{
	const char *s = *sp;
	uint64_t v = 0;
	unsigned d;

	if (!is_digit(*s))
		return -EINVAL;
	for (; is_digit(*s); s++) {
		d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*sp = s;
	*out = v;
	return 0;
}

/* A whole string of digits, 1 .. max. */
static int
parse_positive(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (s == NULL || read_u64(&s, max, &v) < 0 || *s != '\0' || v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int
api_parse_pid(const char *s, pid_t *out)
{
	uint64_t v;

	if (parse_positive(s, PID_T_MAX, &v) < 0)
		return -EINVAL;
	*out = (pid_t)v;
	return 0;
}

int
api_parse_limit(const char *s, size_t max, size_t *out)
{
	uint64_t v;

	if (max == 0 || parse_positive(s, max, &v) < 0)
		return -EINVAL;
	*out = (size_t)v;
	return 0;
}

/* The grammar is lib/timespec.c's, which the CLI's times share. */
int
api_parse_rfc3339(const char *s, int64_t *ms_out)
{
	return pw_timespec_parse_rfc3339(s, ms_out);
}

/* The grammar is lib/duration.c's, for the config too; "30" is seconds. */
int
api_parse_duration(const char *s, int64_t *ms_out)
{
	return pw_duration_parse(s, MS_PER_S, ms_out, NULL);
}

/* ASCII-only, locale-free case-insensitive equality. */
static bool
word_eq(const char *s, const char *lower)
{
	char c;

	for (; *lower != '\0'; s++, lower++) {
		c = *s;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != *lower)
			return false;
	}
	return *s == '\0';
}

int
api_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };
	size_t i;

	if (s == NULL)
		return -EINVAL;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (word_eq(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (word_eq(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

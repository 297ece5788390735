/*
 * lib/duration.c: durations such as "1h30m" or "1.5s" (procwatch/duration.h).
 *
 * DESIGN: hand-rolled like api/params.c, not strtod(): strtod() takes
 * signs, white space, exponents, hex and the locale's decimal point, and
 * rounds.  Each term is computed exactly in integers: the fraction is kept
 * as digits over a power of ten, and a term that does not come to whole
 * milliseconds is an error rather than a silent rounding.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <procwatch/duration.h>

#define FRAC_DIGITS_MAX	9	/* fraction * unit stays below 2^63 */
#define UNIT_MS_MAX	INT64_C(86400000)	/* a day, the largest unit */

static const char why_syntax[] = "not a duration such as 500ms, 30s, 5m, "
    "1h30m or 1.5d";
static const char why_unit[] = "needs a unit (" PW_DURATION_UNITS ")";
static const char why_order[] = "units must go from largest to smallest, "
    "each once";
static const char why_fine[] = "finer than a millisecond";
static const char why_large[] = "too large";

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The unit at *sp: its size in ms and its rank (d 4 .. ms 0).  Advances *sp.
 * Returns false when there is none.
 */
static bool
read_unit(const char **sp, int64_t *unit_ms, int *rank)
{
	const char *s = *sp;

	switch (s[0]) {
	case 'm':
		if (s[1] == 's') {
			*unit_ms = 1;
			*rank = 0;
			*sp = s + 2;
			return true;
		}
		*unit_ms = INT64_C(60000);
		*rank = 2;
		break;
	case 's':
		*unit_ms = INT64_C(1000);
		*rank = 1;
		break;
	case 'h':
		*unit_ms = INT64_C(3600000);
		*rank = 3;
		break;
	case 'd':
		*unit_ms = INT64_C(86400000);
		*rank = 4;
		break;
	default:
		return false;
	}
	*sp = s + 1;
	return true;
}

/* One NUMBER at *sp: the integer part, and the fraction as frac / scale. */
static int
read_number(const char **sp, int64_t *whole, int64_t *frac, int64_t *scale,
    const char **why)
{
	const char *s = *sp;
	int64_t v = 0, f = 0, sc = 1;
	int n;

	if (!is_digit(*s)) {
		*why = why_syntax;
		return -EINVAL;
	}
	for (; is_digit(*s); s++) {
		if (v > (INT64_MAX - (*s - '0')) / 10) {
			*why = why_large;
			return -EINVAL;
		}
		v = v * 10 + (*s - '0');
	}
	if (*s == '.') {
		s++;
		if (!is_digit(*s)) {
			*why = why_syntax;
			return -EINVAL;
		}
		for (n = 0; is_digit(*s); s++, n++) {
			if (n == FRAC_DIGITS_MAX) {
				*why = why_fine;
				return -EINVAL;
			}
			f = f * 10 + (*s - '0');
			sc *= 10;
		}
	}
	*whole = v;
	*frac = f;
	*scale = sc;
	*sp = s;
	return 0;
}

/* whole.frac units of unit_ms each, exactly, added to *total. */
static int
add_term(int64_t *total, int64_t whole, int64_t frac, int64_t scale,
    int64_t unit_ms, const char **why)
{
	int64_t part;

	if ((frac * unit_ms) % scale != 0) {
		*why = why_fine;
		return -EINVAL;
	}
	part = frac * unit_ms / scale;
	if (whole > (INT64_MAX - part) / unit_ms ||
	    whole * unit_ms + part > INT64_MAX - *total) {
		*why = why_large;
		return -EINVAL;
	}
	*total += whole * unit_ms + part;
	return 0;
}

int
pw_duration_parse(const char *s, int64_t bare_ms, int64_t *ms,
    const char **why)
{
	const char *dummy;
	int64_t total = 0, whole, frac, scale, unit_ms;
	int rank, last = 5, rc;

	if (why == NULL)
		why = &dummy;
	if (s == NULL || *s == '\0') {
		*why = why_syntax;
		return -EINVAL;
	}
	while (*s != '\0') {
		if ((rc = read_number(&s, &whole, &frac, &scale, why)) < 0)
			return rc;
		if (*s == '\0' && last == 5) {
			/* A number alone: the caller says what it means. */
			if (bare_ms <= 0 || bare_ms > UNIT_MS_MAX) {
				*why = why_unit;
				return -EINVAL;
			}
			unit_ms = bare_ms;
		} else if (!read_unit(&s, &unit_ms, &rank)) {
			*why = *s == '\0' ? why_unit : why_syntax;
			return -EINVAL;
		} else if (rank >= last) {
			*why = why_order;
			return -EINVAL;
		} else
			last = rank;
		if ((rc = add_term(&total, whole, frac, scale, unit_ms,
		    why)) < 0)
			return rc;
	}
	*ms = total;
	return 0;
}

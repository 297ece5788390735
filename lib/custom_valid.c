/*
 * custom_valid.c: the rules for custom series' names, label names, label
 * values and targets (procwatch/custom.h), and the check of a whole point
 * before the store (lib/custom.c) takes it.  The parser of exec output
 * (lib/custom_parse.c) checks the spans it cuts out with the same rules.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/custom.h>

#include "custom_impl.h"
#include "pwutil.h"

bool
pw__custom_name_span_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > PW_CUSTOM_NAME_MAX)
		return false;
	if (!is_alpha((unsigned char)s[0]) && s[0] != ':')
		return false;
	for (i = 1; i < n; i++)
		if (!is_alpha((unsigned char)s[i]) &&
		    !is_digit((unsigned char)s[i]) && s[i] != ':')
			return false;
	return true;
}

bool
pw_custom_name_valid(const char *name)
{
	return name != NULL && pw__custom_name_span_valid(name, strlen(name));
}

bool
pw__custom_lname_span_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > PW_CUSTOM_LNAME_MAX || !is_alpha((unsigned char)s[0]))
		return false;
	if (n >= 2 && s[0] == '_' && s[1] == '_')
		return false;		/* reserved by Prometheus */
	for (i = 1; i < n; i++)
		if (!is_alpha((unsigned char)s[i]) &&
		    !is_digit((unsigned char)s[i]))
			return false;
	/* procwatch adds these itself. */
	if ((n == 3 && memcmp(s, "pid", 3) == 0) ||
	    (n == 4 && memcmp(s, "name", 4) == 0) ||
	    (n == 6 && memcmp(s, "target", 6) == 0))
		return false;
	return true;
}

bool
pw_custom_label_name_valid(const char *name)
{
	return name != NULL && pw__custom_lname_span_valid(name, strlen(name));
}

/* Length of the well-formed UTF-8 sequence at s, 0 if there is none. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	unsigned cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2; cp = c & 0x1f; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3; cp = c & 0x0f; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4; cp = c & 0x07; min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool
pw__custom_lvalue_span_valid(const char *s, size_t n)
{
	size_t i = 0, k;

	if (n > PW_CUSTOM_LVALUE_MAX)
		return false;
	while (i < n) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;	/* control bytes: also our separators */
		if ((k = utf8_seq((const unsigned char *)s + i, n - i)) == 0)
			return false;
		i += k;
	}
	return true;
}

bool
pw_custom_label_value_valid(const char *value)
{
	return value != NULL &&
	    pw__custom_lvalue_span_valid(value, strlen(value));
}

bool
pw_custom_target_valid(const char *t)
{
	size_t n, i;

	if (t == NULL || (n = strlen(t)) == 0 || n > PW_CUSTOM_TARGET_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return false;
	return true;
}

static int
cmp_label(const void *a, const void *b)
{
	const struct pw_custom_label *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Validate and sort the labels of pt into sorted[]. */
int
pw__custom_check_point(const struct pw_custom_point *pt,
    struct pw_custom_label *sorted, char *err, size_t errlen)
{
	size_t i;

	if (!pw_custom_name_valid(pt->name)) {
		pw_seterr(err, errlen, "name: must match "
		    "[a-zA-Z_:][a-zA-Z0-9_:]* and be at most %d bytes", PW_CUSTOM_NAME_MAX);
		return -EINVAL;
	}
	if (!isfinite(pt->value)) {
		pw_seterr(err, errlen, "value: must be a finite number");
		return -EINVAL;
	}
	if ((pt->scope == PW_CUSTOM_TARGET || (pt->scope == PW_CUSTOM_PROC &&
	    pt->target != NULL && pt->target[0] != '\0')) &&
	    !pw_custom_target_valid(pt->target)) {
		pw_seterr(err, errlen, "target: must be 1 to %d printable bytes "
		    "without spaces", PW_CUSTOM_TARGET_MAX);
		return -EINVAL;
	}
	if (pt->scope != PW_CUSTOM_HOST && pt->scope != PW_CUSTOM_TARGET &&
	    pt->scope != PW_CUSTOM_PROC) {
		pw_seterr(err, errlen, "scope: unknown");
		return -EINVAL;
	}
	if (pt->nlabels > PW_CUSTOM_LABELS_MAX) {
		pw_seterr(err, errlen, "labels: at most %d labels",
		    PW_CUSTOM_LABELS_MAX);
		return -EINVAL;
	}
	for (i = 0; i < pt->nlabels; i++) {
		if (!pw_custom_label_name_valid(pt->labels[i].name)) {
			pw_seterr(err, errlen, "labels: bad label name "
			    "\"%.64s\": must match [a-zA-Z_][a-zA-Z0-9_]*, "
			    "not start with __ and not be pid, name or target",
			    pt->labels[i].name != NULL ? pt->labels[i].name :
			    "");
			return -EINVAL;
		}
		if (!pw_custom_label_value_valid(pt->labels[i].value)) {
			pw_seterr(err, errlen, "labels.%s: must be valid UTF-8 "
			    "without control characters, at most %d bytes",
			    pt->labels[i].name, PW_CUSTOM_LVALUE_MAX);
			return -EINVAL;
		}
		sorted[i] = pt->labels[i];
	}
	qsort(sorted, pt->nlabels, sizeof(*sorted), cmp_label);
	for (i = 1; i < pt->nlabels; i++)
		if (strcmp(sorted[i - 1].name, sorted[i].name) == 0) {
			pw_seterr(err, errlen, "labels.%s: repeated",
			    sorted[i].name);
			return -EINVAL;
		}
	return 0;
}

int
pw_custom_point_check(const struct pw_custom_point *pt, char *err,
    size_t errlen)
{
	struct pw_custom_label sorted[PW_CUSTOM_LABELS_MAX];

	return pw__custom_check_point(pt, sorted, err, errlen);
}

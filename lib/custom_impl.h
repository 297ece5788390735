/*
 * custom_impl.h: what lib/custom.c (the series store), lib/custom_valid.c
 * (names, labels and points) and lib/custom_parse.c (exec sources'
 * output) share about custom series (procwatch/custom.h), inside lib/
 * only.
 */
#ifndef PW_CUSTOM_IMPL_H
#define PW_CUSTOM_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include <procwatch/custom.h>

/* The characters of names: [a-zA-Z_] and [0-9]. */
static inline bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static inline bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * Is s[0..n) a metric name, a label name (not reserved, not one procwatch
 * adds), a label value (UTF-8, no control bytes)?  s need not end in NUL.
 */
bool	pw__custom_name_span_valid(const char *s, size_t n);
bool	pw__custom_lname_span_valid(const char *s, size_t n);
bool	pw__custom_lvalue_span_valid(const char *s, size_t n);

/*
 * Validate pt and copy its labels, sorted by name, into sorted[] (room for
 * PW_CUSTOM_LABELS_MAX).  0, or -EINVAL with the reason in err.
 */
int	pw__custom_check_point(const struct pw_custom_point *pt,
	    struct pw_custom_label *sorted, char *err, size_t errlen);

#endif /* PW_CUSTOM_IMPL_H */

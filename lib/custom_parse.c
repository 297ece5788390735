/*
 * custom_parse.c: the parser of exec sources' output (procwatch/custom.h,
 * pw_custom_parse_output()): Prometheus-like `name{k="v"} value` lines, or
 * one flat JSON object of name -> number.  It checks names and labels with
 * the rules of lib/custom_valid.c and hands each good point to a callback;
 * it never touches the store.
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

#define LINE_MAX_BYTES	4096
#define NUM_MAX		64

/* Parse a finite number from s[0..n); false if it is not one. */
static bool
parse_num(const char *s, size_t n, double *out)
{
	char buf[NUM_MAX + 1], *end;
	double d;
	size_t i;

	if (n == 0 || n > NUM_MAX)
		return false;
	for (i = 0; i < n; i++)		/* no hex floats, no "inf" words */
		if (!is_digit((unsigned char)s[i]) && s[i] != '.' &&
		    s[i] != '-' && s[i] != '+' && s[i] != 'e' && s[i] != 'E')
			return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	d = strtod(buf, &end);
	if (end != buf + n || !isfinite(d))
		return false;
	*out = d;
	return true;
}

/* Bytes of one parse: the decoded labels of a line. */
struct pline {
	char			 name[PW_CUSTOM_NAME_MAX + 1];
	struct pw_custom_label	 l[PW_CUSTOM_LABELS_MAX];
	size_t			 nl;
	char			 lbuf[PW_CUSTOM_LABELS_MAX *
				    (PW_CUSTOM_LNAME_MAX + PW_CUSTOM_LVALUE_MAX + 2)];
};

/* Parse `name{k="v",...} value` in s[0..n).  Returns NULL or a reason. */
static const char *
parse_line(const char *s, size_t n, struct pline *pl, double *val)
{
	size_t i = 0, j, k, used = 0;
	char *lv;

	while (i < n && (is_alpha((unsigned char)s[i]) ||
	    is_digit((unsigned char)s[i]) || s[i] == ':'))
		i++;
	if (!pw__custom_name_span_valid(s, i))
		return "bad metric name";
	memcpy(pl->name, s, i);
	pl->name[i] = '\0';
	pl->nl = 0;
	if (i < n && s[i] == '{') {
		i++;
		for (;;) {
			while (i < n && (s[i] == ' ' || s[i] == '\t'))
				i++;
			if (i < n && s[i] == '}') {
				i++;
				break;
			}
			if (pl->nl == PW_CUSTOM_LABELS_MAX)
				return "too many labels";
			j = i;
			while (i < n && (is_alpha((unsigned char)s[i]) ||
			    is_digit((unsigned char)s[i])))
				i++;
			if (!pw__custom_lname_span_valid(s + j, i - j))
				return "bad label name";
			if (i + 1 >= n || s[i] != '=' || s[i + 1] != '"')
				return "expected =\" after a label name";
			pl->l[pl->nl].name = pl->lbuf + used;
			memcpy(pl->lbuf + used, s + j, i - j);
			used += i - j;
			pl->lbuf[used++] = '\0';
			i += 2;
			lv = pl->lbuf + used;
			k = 0;
			while (i < n && s[i] != '"') {
				char ch = s[i];

				if (ch == '\\' && i + 1 < n) {
					i++;
					ch = s[i] == 'n' ? '\n' : s[i];
				}
				if (k == PW_CUSTOM_LVALUE_MAX)
					return "label value too long";
				lv[k++] = ch;
				i++;
			}
			if (i >= n)
				return "unterminated label value";
			i++;
			if (!pw__custom_lvalue_span_valid(lv, k))
				return "label value not valid UTF-8";
			lv[k] = '\0';
			used += k + 1;
			pl->l[pl->nl++].value = lv;
			while (i < n && (s[i] == ' ' || s[i] == '\t'))
				i++;
			if (i < n && s[i] == ',')
				i++;
			else if (i < n && s[i] != '}')
				return "expected , or } in labels";
		}
	}
	if (i >= n || (s[i] != ' ' && s[i] != '\t'))
		return "expected a space and a value after the name";
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	j = i;
	while (i < n && s[i] != ' ' && s[i] != '\t')
		i++;
	if (!parse_num(s + j, i - j, val))
		return "value is not a finite number";
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i != n)
		return "trailing bytes after the value";
	return NULL;
}

static int
parse_lines(const char *buf, size_t len, pw_custom_parse_fn *fn, void *arg,
    size_t *bad, char *err, size_t errlen)
{
	struct pline *pl;
	const char *s, *nl, *why;
	size_t n, lineno = 0, good = 0;
	double val;
	int rc = 0;

	if ((pl = malloc(sizeof(*pl))) == NULL)
		return -ENOMEM;
	for (s = buf; s < buf + len && good < PW_CUSTOM_PARSE_MAX; ) {
		nl = memchr(s, '\n', (size_t)(buf + len - s));
		n = nl != NULL ? (size_t)(nl - s) : (size_t)(buf + len - s);
		lineno++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		while (n > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n == 0 || s[0] == '#')
			why = NULL;
		else if (n > LINE_MAX_BYTES)
			why = "line too long";
		else if ((why = parse_line(s, n, pl, &val)) == NULL) {
			if ((rc = fn(arg, pl->name, pl->l, pl->nl, val)) != 0)
				break;
			good++;
		}
		if (why != NULL) {
			if (*bad == 0)
				pw_seterr(err, errlen, "line %zu: %s", lineno,
				    why);
			(*bad)++;
		}
		if (nl == NULL)
			break;
		s = nl + 1;
	}
	free(pl);
	return rc != 0 ? rc : (int)good;
}

static size_t
skip_ws(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	return i;
}

/*
 * A JSON string at s[i] (at the '"'): its raw bytes in [*a, *b) and the
 * index after it; backslash escapes are skipped, not decoded (a name
 * with one is invalid anyway).  0 on a syntax error.
 */
static size_t
json_str(const char *s, size_t i, size_t n, size_t *a, size_t *b,
    bool *escaped)
{
	*escaped = false;
	if (i >= n || s[i] != '"')
		return 0;
	*a = ++i;
	while (i < n && s[i] != '"') {
		if ((unsigned char)s[i] < 0x20)
			return 0;
		if (s[i] == '\\') {
			*escaped = true;
			i++;
		}
		i++;
	}
	if (i >= n)
		return 0;
	*b = i;
	return i + 1;
}

static int
parse_json(const char *s, size_t n, pw_custom_parse_fn *fn, void *arg,
    size_t *bad, char *err, size_t errlen)
{
	char name[PW_CUSTOM_NAME_MAX + 1];
	size_t i, a, b, va, good = 0, idx = 0;
	bool escaped, dummy;
	double val;
	int rc;

	i = skip_ws(s, 0, n) + 1;	/* past the '{' */
	i = skip_ws(s, i, n);
	if (i < n && s[i] == '}')
		goto end;
	for (;;) {
		const char *why = NULL;

		if ((i = json_str(s, i, n, &a, &b, &escaped)) == 0)
			goto syntax;
		i = skip_ws(s, i, n);
		if (i >= n || s[i] != ':')
			goto syntax;
		i = skip_ws(s, i + 1, n);
		if (i >= n)
			goto syntax;
		va = i;
		if (s[i] == '"') {
			if ((i = json_str(s, i, n, &va, &va, &dummy)) == 0)
				goto syntax;
			why = "value is not a number";
		} else if (s[i] == '{' || s[i] == '[') {
			pw_seterr(err, errlen, "JSON: nested values are not "
			    "supported (entry %zu)", idx);
			(*bad)++;
			return (int)good;
		} else {
			while (i < n && s[i] != ',' && s[i] != '}' &&
			    s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
			    s[i] != '\r')
				i++;
			if (!parse_num(s + va, i - va, &val))
				why = "value is not a finite number";
		}
		if (why == NULL && (escaped ||
		    !pw__custom_name_span_valid(s + a, b - a)))
			why = "bad metric name";
		if (why == NULL && good < PW_CUSTOM_PARSE_MAX) {
			memcpy(name, s + a, b - a);
			name[b - a] = '\0';
			if ((rc = fn(arg, name, NULL, 0, val)) != 0)
				return rc;
			good++;
		} else if (why != NULL) {
			if (*bad == 0)
				pw_seterr(err, errlen, "JSON entry %zu: %s", idx,
				    why);
			(*bad)++;
		}
		idx++;
		i = skip_ws(s, i, n);
		if (i < n && s[i] == ',') {
			i = skip_ws(s, i + 1, n);
			continue;
		}
		if (i < n && s[i] == '}')
			break;
		goto syntax;
	}
end:
	i = skip_ws(s, i + 1, n);
	if (i != n) {
		pw_seterr(err, errlen, "JSON: trailing bytes after the object");
		(*bad)++;
	}
	return (int)good;
syntax:
	pw_seterr(err, errlen, "JSON: syntax error at byte %zu", i);
	(*bad)++;
	return (int)good;
}

int
pw_custom_parse_output(const char *buf, size_t len, pw_custom_parse_fn *fn,
    void *arg, size_t *bad, char *err, size_t errlen)
{
	size_t nbad = 0, i;
	int rc;

	if (bad == NULL)
		bad = &nbad;
	*bad = 0;
	pw_seterr(err, errlen, "%s", "");
	i = skip_ws(buf, 0, len);
	if (i < len && buf[i] == '{')
		rc = parse_json(buf, len, fn, arg, bad, err, errlen);
	else
		rc = parse_lines(buf, len, fn, arg, bad, err, errlen);
	return rc;
}

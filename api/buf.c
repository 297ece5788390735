/*
 * api/buf.c: the capped output buffer of the renderers (api/buf.h).
 *
 * DESIGN: the capacity doubles from 4 KiB up to the cap, so a page of
 * 20 MB is reallocated a dozen times; a caller that knows its size asks
 * api_buf_room() for it once.  A NUL is always kept after the bytes, so
 * the page can go to MHD or to a test's strstr() as it is.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/buf.h"

#define BUF_FIRST_CAP	4096

void
api_buf_init(struct api_buf *b, size_t max)
{
	b->p = NULL;
	b->len = b->cap = 0;
	b->max = max;
	b->err = 0;
}

void
api_buf_fini(struct api_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

char *
api_buf_room(struct api_buf *b, size_t n)
{
	size_t want, cap;
	char *np;

	if (b->err != 0)
		return NULL;
	if (n >= b->max || b->len >= b->max - n) {
		b->err = -E2BIG;
		return NULL;
	}
	want = b->len + n + 1;
	if (want > b->cap) {
		/* Never past max, so what fits in cap fits under the cap. */
		cap = b->cap != 0 ? b->cap : BUF_FIRST_CAP < b->max ?
		    BUF_FIRST_CAP : b->max;
		while (cap < want)
			cap = cap > b->max / 2 ? b->max : cap * 2;
		if ((np = realloc(b->p, cap)) == NULL) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->p = np;
		b->cap = cap;
	}
	return b->p + b->len;
}

void
api_buf_commit(struct api_buf *b, char *end)
{
	b->len = (size_t)(end - b->p);
	b->p[b->len] = '\0';
}

void
api_buf_put(struct api_buf *b, const char *s, size_t n)
{
	char *p;

	if ((p = api_buf_room(b, n)) == NULL)
		return;
	memcpy(p, s, n);
	api_buf_commit(b, p + n);
}

void
api_buf_puts(struct api_buf *b, const char *s)
{
	api_buf_put(b, s, strlen(s));
}

void
api_buf_printf(struct api_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	if (b->err != 0)
		return;
	/* Mostly it fits in what is left: format once, into place. */
	va_start(ap, fmt);
	n = vsnprintf(b->p != NULL ? b->p + b->len : NULL,
	    b->p != NULL ? b->cap - b->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -ENOMEM;	/* it fails only without memory */
		return;
	}
	if (b->p == NULL || (size_t)n >= b->cap - b->len) {
		if ((p = api_buf_room(b, (size_t)n)) == NULL)
			return;
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void
api_buf_append_page(struct api_buf *b, char *page, size_t len)
{
	if (b->err == 0 && b->p == NULL && len < b->max) {
		b->p = page;		/* the buffer owns page from here on */
		b->len = len;
		b->cap = len + 1;
		return;
	}
	if (len > 0)
		api_buf_put(b, page, len);
	free(page);
}

int
api_buf_take(struct api_buf *b, char **out, size_t *len)
{
	char *p;
	int rc;

	if (b->err == 0 && b->p == NULL && (p = api_buf_room(b, 0)) != NULL)
		api_buf_commit(b, p);		/* an empty page, not NULL */
	if ((rc = b->err) < 0) {
		api_buf_fini(b);
		return rc;
	}
	*out = b->p;
	*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return 0;
}

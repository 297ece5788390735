/*
 * api/buf.h: the one growing output buffer of the renderers, with a cap.
 *
 * Every text renderer (the /metrics families in api/prom.c, api/alerts.c,
 * api/custom.c, api/events.c, api/targets.c) appends to a struct api_buf,
 * and the /metrics page is one buffer they all append to in turn.  The
 * first failure (the cap, or out of memory) is kept in `err` and every
 * later append is a no-op, so a renderer appends without checking and
 * looks at `err` once at the end, as curl's dynbuf is used.
 *
 * Callers may read p (NUL-terminated while err is 0), len and err; the
 * other fields are the buffer's.  Thread: a buffer is used by one thread.
 */
#ifndef API_BUF_H
#define API_BUF_H

#include <stddef.h>

struct api_buf {
	char	*p;		/* NULL until the first append */
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* the cap on len + 1: the NUL counts */
	int	 err;		/* 0, -ENOMEM or -E2BIG; sticky */
};

/*
 * An empty buffer that may grow to `max` bytes, its terminating NUL
 * included (so at most max - 1 of text); allocates nothing.
 * Thread: the buffer's owner (one thread at a time; no locks).
 */
void	 api_buf_init(struct api_buf *, size_t max);
/*
 * Free the bytes (NULL is accepted) and leave the buffer empty.
 * Thread: the buffer's owner.
 */
void	 api_buf_fini(struct api_buf *);

/*
 * Make room for n more bytes plus a NUL and return where to write them,
 * or NULL (with err set).  api_buf_commit() then records that the bytes
 * up to `end` are written; it is how a renderer writes without printf.
 * Thread: the buffer's owner.
 */
char	*api_buf_room(struct api_buf *, size_t n);
void	 api_buf_commit(struct api_buf *, char *end);

/* Thread: the buffer's owner. */
void	 api_buf_put(struct api_buf *, const char *s, size_t n);
void	 api_buf_puts(struct api_buf *, const char *s);
void	 api_buf_printf(struct api_buf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Append a page another renderer returned (malloc'd, `len` bytes); the
 * page is freed in every case.  An empty buffer adopts it without a copy.
 * Thread: the buffer's owner.
 */
void	 api_buf_append_page(struct api_buf *, char *page, size_t len);

/*
 * Hand the bytes to the caller: on success *out is malloc'd and
 * NUL-terminated (free() it; never NULL), *len its length, and the buffer
 * is left empty.  Returns 0, or err (the buffer freed, *out untouched).
 * Thread: the buffer's owner.
 */
int	 api_buf_take(struct api_buf *, char **out, size_t *len);

#endif

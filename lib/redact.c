/*
 * lib/redact.c: secrets out of command lines (see procwatch/redact.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <procwatch/redact.h>

#include "lib/pwutil.h"

#define MASK	"***"

const char *const pw_redact_default_words[] = {
	"password", "passwd", "secret", "token", "key", "credential", "auth",
};
const size_t pw_redact_default_nwords = NELEM(pw_redact_default_words);

/* Does s[0..n) contain one of the words, in any case? */
static bool
names_secret(const char *s, size_t n, const char *const *w, size_t nw)
{
	size_t i, k, wl;

	for (i = 0; i < nw; i++) {
		wl = strlen(w[i]);
		for (k = 0; wl > 0 && k + wl <= n; k++)
			if (strncasecmp(s + k, w[i], wl) == 0)
				return true;
	}
	return false;
}

/* An output buffer that grows; err set once it fails. */
struct out {
	char	*p;
	size_t	 len, cap;
	int	 err;
};

static void
put(struct out *o, const char *s, size_t n)
{
	char *np;
	size_t ncap;

	if (o->err != 0)
		return;
	if (o->len + n + 1 > o->cap) {
		ncap = (o->len + n + 1) * 2;
		if ((np = realloc(o->p, ncap)) == NULL) {
			o->err = -ENOMEM;
			return;
		}
		o->p = np;
		o->cap = ncap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/*
 * Write one word, its URL password masked if it has one.  Returns true if
 * it masked something.
 */
static bool
put_url_word(struct out *o, const char *w, size_t n)
{
	const char *scheme = NULL, *at, *colon, *end = w + n;
	size_t i;

	for (i = 0; i + 3 <= n; i++)
		if (memcmp(w + i, "://", 3) == 0) {
			scheme = w + i + 3;
			break;
		}
	if (scheme == NULL)
		goto plain;
	/* user:password@ before the first '/' of the authority */
	for (at = scheme; at < end && *at != '@' && *at != '/'; at++)
		;
	if (at >= end || *at != '@')
		goto plain;
	colon = memchr(scheme, ':', (size_t)(at - scheme));
	if (colon == NULL)
		goto plain;
	put(o, w, (size_t)(colon + 1 - w));
	put(o, MASK, strlen(MASK));
	put(o, at, (size_t)(end - at));
	return true;
plain:
	put(o, w, n);
	return false;
}

char *
pw_redact_cmdline(const char *in, const char *const *words, size_t nwords,
    int *err)
{
	struct out o = { 0 };
	const char *p = in, *w, *eq, *name;
	bool masked = false, mask_next = false;
	size_t n, nl;

	*err = 0;
	if (in == NULL)
		return NULL;
	if (words == NULL) {
		words = pw_redact_default_words;
		nwords = pw_redact_default_nwords;
	}
	while (*p != '\0') {
		n = strspn(p, " ");
		put(&o, p, n);
		p += n;
		if (*p == '\0')
			break;
		w = p;
		n = strcspn(p, " ");
		p += n;
		if (mask_next) {
			mask_next = false;
			if (w[0] != '-') {	/* "--password --verbose" */
				put(&o, MASK, strlen(MASK));
				masked = true;
				continue;
			}
		}
		eq = memchr(w, '=', n);
		name = w;
		while (name < w + n && *name == '-')
			name++;
		nl = (size_t)((eq != NULL ? eq : w + n) - name);
		if (eq != NULL && names_secret(name, nl, words, nwords)) {
			put(&o, w, (size_t)(eq + 1 - w));
			put(&o, MASK, strlen(MASK));
			masked = true;
			continue;
		}
		if (eq == NULL && name > w && nl > 0 &&
		    names_secret(name, nl, words, nwords))
			mask_next = true;
		masked |= put_url_word(&o, w, n);
	}
	if (o.err != 0 || !masked) {
		*err = o.err;
		free(o.p);
		return NULL;
	}
	return o.p;
}

/*
 * procwatch/redact.h: secrets out of command lines.
 *
 * Command lines carry passwords (`--password=hunter2`, `token=abc`,
 * `mysql -p... --password hunter2`, `postgres://u:pw@host`).  procwatchd
 * shows command lines everywhere (JSON, /metrics labels, history on disk,
 * webhooks, remote write), so it redacts them once, where a process is
 * first recorded, and nothing downstream ever holds the secret.
 *
 * A word is a run of characters between spaces (the kernel's NUL
 * separators are spaces by then).  Its value is replaced by "***" when:
 *   - it is NAME=VALUE or --NAME=VALUE and NAME contains one of the
 *     words (case-insensitive): the VALUE;
 *   - it is an option (-NAME or --NAME) without "=" whose NAME contains
 *     one: the next word, unless that is an option itself;
 *   - it holds a URL with credentials (scheme://user:password@): the
 *     password.
 * Matching by substring errs on the safe side ("--api-key", "db_passwd",
 * "AUTH_TOKEN" are caught; so is "--keyboard", whose value is then
 * hidden for nothing).
 */
#ifndef PROCWATCH_REDACT_H
#define PROCWATCH_REDACT_H

#include <stddef.h>

/* The default words: password, passwd, secret, token, key, credential, auth. */
extern const char *const pw_redact_default_words[];
extern const size_t pw_redact_default_nwords;

/*
 * Redact `in` with `words` (nwords of them; NULL: the defaults).  Returns
 * a malloc'd copy with the values replaced, or NULL with *err 0 when
 * nothing needed it (use `in` as it is), or NULL with *err -ENOMEM.
 * Thread: any.
 */
char	*pw_redact_cmdline(const char *in, const char *const *words,
	    size_t nwords, int *err);

#endif

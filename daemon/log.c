/*
 * daemon/log.c: stderr logging with sd-daemon(3) priority prefixes.
 *
 * DESIGN: as OpenBSD's log.c, but for a systemd service: no syslog(3),
 * each line is "<N>message\n" on stderr, where N is the syslog priority
 * (3 err, 4 warning, 6 info, 7 debug).  journald strips the prefix and
 * timestamps the line, so there is no timestamp here.  A line is built in
 * a buffer on the stack and handed to a single write(2): stderr's FILE
 * lock is not needed and concurrent lines stay whole.  Control characters
 * in a message (from a config file, a process name) are replaced by '?'
 * so that one message is always one journal entry.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/log.h"
#include "lib/pwutil.h"

#define LOG_LINE_MAX	2048

#define PRI_CRIT	2
#define PRI_ERR		3
#define PRI_WARNING	4
#define PRI_INFO	6
#define PRI_DEBUG	7

static atomic_int	verbose;

static void	vlog(int pri, const char *fmt, va_list ap, int errnum)
		    __attribute__((format(printf, 2, 0)));
static void	logit(int pri, int errnum, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

void
log_init(int debug)
{
	log_set_verbose(debug);
}

void
log_set_verbose(int v)
{
	atomic_store(&verbose, v != 0);
}

int
log_get_verbose(void)
{
	return atomic_load(&verbose);
}

static void
write_all(const char *s, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(STDERR_FILENO, s, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;		/* nowhere left to complain */
		}
		s += n;
		len -= (size_t)n;
	}
}

/* Append to line[*pos], truncating silently; keeps room for "\n". */
static void
append(char *line, size_t *pos, const char *s)
{
	size_t room = LOG_LINE_MAX - 1 - *pos;
	size_t n = strlen(s);

	if (n > room)
		n = room;
	memcpy(line + *pos, s, n);
	*pos += n;
}

static void
vlog(int pri, const char *fmt, va_list ap, int errnum)
{
	char line[LOG_LINE_MAX];
	char ebuf[128];
	size_t pos, i, start;
	int n, saved_errno = errno;

	n = snprintf(line, sizeof(line), "<%d>", pri);
	start = pos = (size_t)n;
	n = vsnprintf(line + pos, sizeof(line) - 1 - pos, fmt, ap);
	if (n > 0) {
		pos += (size_t)n;
		if (pos > sizeof(line) - 2)
			pos = sizeof(line) - 2;	/* truncated */
	}
	for (i = start; i < pos; i++) {
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
			line[i] = '?';
		else if (line[i] == 0x7f)
			line[i] = '?';
	}
	if (errnum != 0) {
		append(line, &pos, ": ");
		append(line, &pos, pw_strerror(errnum, ebuf, sizeof(ebuf)));
	}
	line[pos++] = '\n';
	write_all(line, pos);
	errno = saved_errno;
}

static void
logit(int pri, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(pri, fmt, ap, errnum);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int errnum = errno;

	va_start(ap, fmt);
	vlog(PRI_WARNING, fmt, ap, errnum);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRI_WARNING, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(PRI_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!atomic_load(&verbose))
		return;
	va_start(ap, fmt);
	vlog(PRI_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;
	int errnum = errno;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logit(PRI_CRIT, errnum, "fatal: %s", msg);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	char msg[LOG_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	logit(PRI_ERR, 0, "fatal: %s", msg);
	exit(1);
}

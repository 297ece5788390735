/*
 * daemon/sdnotify.c: the sd_notify(3) protocol, through libsystemd when
 * configure found it (HAVE_LIBSYSTEMD), else a built-in sender.
 *
 * DESIGN: the protocol is one datagram of "VAR=value\n..." text sent to
 * the AF_UNIX socket named by $NOTIFY_SOCKET: a path, or an abstract
 * socket when it starts with '@'.  The built-in sender opens a socket per
 * message, as libsystemd does; messages are rare (a few per second at
 * most), and no descriptor is kept across a fork or an exec.  The
 * environment is left alone, so a reload can still notify.
 */
#include <config.h>	/* autoconf's, not daemon/config.h */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "daemon/log.h"
#include "daemon/sdnotify.h"

#ifndef HAVE_LIBSYSTEMD
/* Send msg to $NOTIFY_SOCKET.  Returns 1 sent, 0 no socket, or -errno. */
static int
notify_send(const char *msg)
{
	struct sockaddr_un sun;
	const char *path = getenv("NOTIFY_SOCKET");
	socklen_t salen;
	size_t plen, mlen = strlen(msg);
	ssize_t n;
	int fd, rc;

	if (path == NULL || path[0] == '\0')
		return 0;
	if (path[0] != '/' && path[0] != '@')
		return -EAFNOSUPPORT;	/* vsock etc.: not for us */
	plen = strlen(path);
	if (plen > sizeof(sun.sun_path))	/* no NUL needed: length given */
		return -ENAMETOOLONG;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, plen);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';	/* abstract: a leading NUL */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);

	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	/* MSG_NOSIGNAL: a gone manager must not raise SIGPIPE. */
	n = sendto(fd, msg, mlen, MSG_NOSIGNAL, (struct sockaddr *)&sun,
	    salen);
	if (n < 0)
		rc = -errno;
	else
		rc = (size_t)n == mlen ? 1 : -EMSGSIZE;
	close(fd);
	return rc;
}
#endif

void
sdnotify(const char *fmt, ...)
{
	char msg[SDNOTIFY_MAX];
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* A cut message could end mid-assignment: drop it rather. */
	if (n < 0 || (size_t)n >= sizeof(msg)) {
		log_debug("sd_notify: message too long, not sent");
		return;
	}
#ifdef HAVE_LIBSYSTEMD
	rc = sd_notify(0, msg);
#else
	rc = notify_send(msg);
#endif
	if (rc < 0)
		log_debug("sd_notify: %s", strerror(-rc));
}

#ifdef HAVE_LIBSYSTEMD
bool
sdnotify_watchdog_usec(uint64_t *usec)
{
	uint64_t v;

	if (sd_watchdog_enabled(0, &v) <= 0 || v == 0)
		return false;
	*usec = v;
	return true;
}
#else
/* A decimal number that fits uint64_t, nothing else.  Returns 0 or -EINVAL. */
static int
parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' ||
		    v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

bool
sdnotify_watchdog_usec(uint64_t *usec)
{
	const char *pid = getenv("WATCHDOG_PID");
	uint64_t v, p;

	if (parse_u64(getenv("WATCHDOG_USEC"), &v) < 0 || v == 0)
		return false;
	/* The manager names the process the watchdog is meant for. */
	if (pid != NULL && (parse_u64(pid, &p) < 0 ||
	    p != (uint64_t)getpid()))
		return false;
	*usec = v;
	return true;
}
#endif

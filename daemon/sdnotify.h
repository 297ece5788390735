/*
 * daemon/sdnotify.h: tell the service manager how procwatchd is doing,
 * with the sd_notify(3) protocol (READY=1, STATUS=, WATCHDOG=1, ...).
 *
 * Uses libsystemd when configure found it and a small built-in sender
 * otherwise, so Type=notify works either way.  Without $NOTIFY_SOCKET
 * (not started by systemd) every call does nothing.
 */
#ifndef PW_DAEMON_SDNOTIFY_H
#define PW_DAEMON_SDNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* Longest message sdnotify() sends; longer ones are dropped, not cut. */
#define SDNOTIFY_MAX	1024

/*
 * Format a message of newline-separated VAR=value assignments and send it
 * to $NOTIFY_SOCKET as one datagram, e.g. sdnotify("STATUS=%s", s).
 * Best effort: the service manager's absence or a failed send is not an
 * error for the daemon, so nothing is returned (failures are logged at
 * debug level).  Thread: main.
 */
void	sdnotify(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/*
 * Is the service watchdog on for this process?  True, with *usec set to
 * WATCHDOG_USEC, when that is set and positive and WATCHDOG_PID is unset
 * or names this process; false otherwise (*usec untouched).  Send
 * WATCHDOG=1 at least every *usec / 2.  Thread: main.
 */
bool	sdnotify_watchdog_usec(uint64_t *usec);

#endif

/*
 * pwutil.h: the small helpers every part of the tree needs: the two
 * clocks, NELEM, a strerror_r() that compiles with either flavour, and
 * the bounded writer of an error message.  Not installed; lib/, api/,
 * daemon/, tests/ and bench/ reach it through AM_CPPFLAGS' -I lib.
 *
 * DESIGN: everything here is static inline (or a macro), so including it
 * adds no symbol to libprocwatch and no link dependency to a test or a
 * bench program.  It holds no state: each helper is safe on any thread.
 */
#ifndef PW_PWUTIL_H
#define PW_PWUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* The number of elements of an array (not a pointer). */
#ifndef NELEM
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#endif

/*
 * CLOCK_MONOTONIC in nanoseconds: deadlines, durations, schedules.
 * Signed, so that differences of two readings may go below zero; it
 * overflows after 292 years of uptime.
 * Thread: any.
 */
static inline int64_t
pw_mono_ns(void)
{
	struct timespec ts;

	/* Cannot fail for CLOCK_MONOTONIC with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * CLOCK_REALTIME in milliseconds since the epoch: the timestamps that
 * users and receivers see.  It may step backwards (NTP, settimeofday), so
 * never schedule on it.
 * Thread: any.
 */
static inline int64_t
pw_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * strerror_r() is the XSI one (returns int) or the GNU one (returns a
 * pointer that may not be `buf`) depending on feature macros; pw_strerror()
 * picks the matching helper by the type of the call so either compiles.
 * Returns a message that lives as long as buf.  Thread: any.
 */
static inline const char *
pw__strerror_xsi(int rc, char *buf)
{
	return rc == 0 ? buf : "unknown error";
}

static inline const char *
pw__strerror_gnu(char *s, char *buf)
{
	(void)buf;
	return s;
}

#define pw_strerror(e, buf, len)					\
	_Generic(strerror_r((e), (buf), (len)),				\
	    int: pw__strerror_xsi,					\
	    char *: pw__strerror_gnu)(strerror_r((e), (buf), (len)), (buf))

/*
 * Format a message into the caller's err[errlen], truncating; nothing
 * happens when err is NULL or errlen is 0, so callers that do not want
 * the reason pass NULL, 0.  Thread: any.
 */
static inline void pw_seterr(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static inline void
pw_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

#endif /* PW_PWUTIL_H */

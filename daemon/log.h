/*
 * daemon/log.h: logging for procwatchd, after OpenBSD's log.c.
 *
 * Every line goes to stderr with an sd-daemon(3) "<N>" priority prefix, so
 * journald files it at the right level and adds the timestamp itself.
 * Only daemon/ logs; lib/ returns negative errno values instead.
 *
 * Thread: every function may be called from any thread.  A line is
 * formatted into a local buffer and written with one write(2), so lines
 * from different threads do not interleave.
 */
#ifndef PW_DAEMON_LOG_H
#define PW_DAEMON_LOG_H

/*
 * Start logging.  `debug` non-zero enables log_debug() output, exactly
 * like log_set_verbose(debug).
 * Thread: main, before the other threads.
 */
void	log_init(int debug);

/*
 * Turn log_debug() output on or off, e.g. when a reload changes log_level.
 * Thread: any (an atomic).
 */
void	log_set_verbose(int verbose);
int	log_get_verbose(void);

/* "<4>msg: strerror(errno)"; errno is left as it was.  Thread: any. */
void	log_warn(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* "<4>msg".  Thread: any. */
void	log_warnx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* "<6>msg".  Thread: any. */
void	log_info(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* "<7>msg", only when verbose.  Thread: any. */
void	log_debug(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

/*
 * Log and exit(1): fatal() as "<2>fatal: msg: strerror(errno)", fatalx()
 * as "<3>fatal: msg".  Only for use before READY=1 (see STYLE.md).
 * Thread: main, before READY=1.
 */
void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif

/*
 * ctl.h: what the parts of procwatchctl share.  ctl_http.c talks to the
 * daemon (requests, JSON replies, the metric catalogue), ctl_print.c
 * turns JSON into table cells and lines, ctl_status.c, ctl_targets.c,
 * ctl_memory.c and ctl_dump.c have those commands, procwatchctl.c the
 * others and main().
 * Nothing here is used outside procwatchctl.
 */
#ifndef PROCWATCH_CTL_H
#define PROCWATCH_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#define EXIT_DAEMON	1	/* an HTTP error, or a reply we cannot use */
#define EXIT_USAGE	2
#define EXIT_CONNECT	3	/* no HTTP reply at all */

#define BODY_MAX	(64u * 1024 * 1024)	/* a reply larger is refused */
#define SPARK_SAMPLES	60	/* samples a sparkline shows */
#define NELEMS(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * A row of the daemon's metric catalogue (GET /api/v1/catalogue), as far
 * as procwatchctl needs it.  The strings are borrowed from the parsed
 * catalogue (or the built-in list) and live as long as the struct ctl.
 */
struct ctl_metric {
	const char	*name;		/* "rss_bytes" */
	const char	*unit;		/* "bytes", "percent", "count", ... */
	const char	*label;		/* "RSS" */
	const char	*help;
	const char	*key;		/* in a process's sample; NULL: none */
	const char	*gkey;		/* in a group's sample; NULL: none */
};

struct ctl {
	CURL		*curl;
	char		*base;		/* owned, no trailing '/' */
	char		*token;		/* owned, may be NULL */
	long		 timeout_s;
	bool		 json;
	bool		 quiet;		/* ctl_http() says nothing on failure */
	/* The catalogue, fetched on first use (ctl_metric()). */
	bool		 cat_tried;
	cJSON		*cat_root;	/* owned; NULL: the built-in list */
	struct ctl_metric *cat;		/* owned array of ncat */
	size_t		 ncat;
};

struct reply {
	long		 status;
	char		*body;		/* NUL terminated, owned */
	size_t		 len;
};

/* Thread: procwatchctl's only thread. */
void	ctl_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- ctl_http.c ----------------------------------------------------------- */

/*
 * Send METHOD base+path (with `body` as JSON if not NULL) and read the
 * reply into *out (free out->body).  Returns 0 with any HTTP status, or
 * an exit code after printing why there is no reply (unless c->quiet).
 * Thread: procwatchctl's only thread.
 */
int	ctl_http(struct ctl *c, const char *method, const char *path,
	    const char *body, struct reply *out);

/*
 * Say what the daemon answered to a failed request.
 * Thread: procwatchctl's only thread.
 */
void	ctl_http_error(const char *method, const char *path,
	    const struct reply *r);

/*
 * GET path and parse the JSON reply into *root (caller frees it with
 * cJSON_Delete).  With --json and `print` the body is also printed as it
 * came.  `missing`, if not NULL, is the message for a 404 (a route this
 * daemon does not have).  Returns 0 or an exit code, having said why.
 * Thread: procwatchctl's only thread.
 */
int	ctl_get_json(struct ctl *c, const char *path, const char *missing,
	    bool print, cJSON **root);

/*
 * The catalogue's row called `name`.  The first call fetches
 * /api/v1/catalogue, quietly: a daemon without it (or any failure) gives
 * the built-in list.  Never NULL: a name neither knows is a row of its
 * own with no unit, labelled with the name.
 * Thread: procwatchctl's only thread.
 */
const struct ctl_metric	*ctl_metric(struct ctl *c, const char *name);

/*
 * Free the catalogue.  Accepts a ctl that never fetched it.
 * Thread: procwatchctl's only thread.
 */
void	ctl_catalogue_free(struct ctl *c);

/*
 * ctl_memory.c: `memory PID [LIMIT]`.  Returns an exit status.
 * Thread: procwatchctl's only thread.
 */
int	ctl_cmd_memory(struct ctl *c, const char *pidarg, const char *limit);

/* --- ctl_status.c --------------------------------------------------------- */

/* What `status --sort` orders by. */
enum ctl_sort_key { CTL_SORT_CPU, CTL_SORT_MEM, CTL_SORT_FDS, CTL_SORT_PID,
	CTL_SORT_NAME };

/*
 * Parse a --sort key ("cpu", "mem", "rss", "fds", "pid", "name") into *k.
 * Returns 0, or -1 for another word (*k untouched).
 * Thread: procwatchctl's only thread.
 */
int	ctl_parse_sort(const char *s, enum ctl_sort_key *k);

/*
 * `status`: the monitored processes (all: with kernel threads and the
 * gone), ordered by key, or as they were at `at` (NULL: now).  Returns
 * an exit status.  Thread: procwatchctl's only thread.
 */
int	ctl_cmd_status(struct ctl *c, bool all, enum ctl_sort_key key,
	    const char *at);

/* --- ctl_targets.c -------------------------------------------------------- */

/*
 * Whether s is a name procwatchd's configuration allows for a target:
 * 1 to 64 of A-Z a-z 0-9 _ . -.  Thread: procwatchctl's only thread.
 */
bool	ctl_target_name_ok(const char *s);

/*
 * `targets`: every target as a whole; `targets NAME`: one in detail.
 * Return an exit status.  Thread: procwatchctl's only thread.
 */
int	ctl_cmd_targets(struct ctl *c);
int	ctl_cmd_target(struct ctl *c, const char *name);

/* --- ctl_print.c ---------------------------------------------------------- */

/* Thread: procwatchctl's only thread. */
bool		 ctl_num(const cJSON *o, const char *key, double *v);
const char	*ctl_str(const cJSON *o, const char *key);
const char	*ctl_dash(const char *s);
const char	*ctl_fmt_bytes(double v, char *buf, size_t len);
const char	*ctl_fmt_num_key(const cJSON *o, const char *key, int prec,
		    char *buf, size_t len);
const char	*ctl_fmt_duration(double s, char *buf, size_t len);
const char	*ctl_state_name(const char *s);
void		 ctl_col(const char *s, int w, bool right);
const cJSON	*ctl_first_array(const cJSON *root);

/*
 * v in the row's unit, without the unit's sign: bytes as "1.5K", a
 * percent or a ratio (as a percent) with `prec` decimals (-1: the unit's
 * usual), a count whole.  Returns buf.
 * Thread: procwatchctl's only thread.
 */
const char	*ctl_fmt_metric(const struct ctl_metric *m, double v, int prec,
		    char *buf, size_t len);

/*
 * The value of metric `name` in a JSON object `o`, formatted by its unit,
 * or "-".  `where` says under which key: CTL_KEY_NAME the row's name (a
 * target's own fields), CTL_KEY_PROCESS a process sample's key,
 * CTL_KEY_GROUP a group sample's.
 * Thread: procwatchctl's only thread.
 */
enum ctl_key { CTL_KEY_NAME, CTL_KEY_PROCESS, CTL_KEY_GROUP };
const char	*ctl_fmt_metric_key(struct ctl *c, const cJSON *o,
		    const char *name, enum ctl_key where, int prec, char *buf,
		    size_t len);

/*
 * A column head from a row's label: "mem %" -> "MEM%".
 * Thread: procwatchctl's only thread.
 */
const char	*ctl_metric_head(const struct ctl_metric *m, char *buf,
		    size_t len);

/*
 * A metric column of a table: the row, its width, decimals (-1: the
 * unit's usual) and a head of its own where the column is too narrow for
 * the label's (NULL: ctl_metric_head()).
 * Thread: procwatchctl's only thread.
 */
struct ctl_col {
	const char	*metric;
	int		 width;
	int		 prec;
	const char	*head;
};
void	ctl_print_col_head(struct ctl *c, const struct ctl_col *cc);
void	ctl_print_col(struct ctl *c, const cJSON *o, const struct ctl_col *cc,
	    enum ctl_key where);

/* Thread: procwatchctl's only thread. */
void	ctl_print_cpu_memory(struct ctl *c, const cJSON *s, enum ctl_key where,
	    const char *tail);
void	ctl_print_history(struct ctl *c, const cJSON *obj, const cJSON *hist,
	    bool procs);
int	ctl_print_with_samples(const char *key, cJSON **obj, cJSON **hist);

/* --- ctl_dump.c ----------------------------------------------------------- */

/*
 * Resolve the time `s` the user gave to option `opt` (procwatch/timespec.h:
 * "-15m", "03:12" in local time, RFC 3339, ...) into RFC 3339 UTC in buf
 * (at least 32 bytes).  Returns 0, or EXIT_USAGE having said why.
 * Thread: procwatchctl's only thread.
 */
int	ctl_time_arg(const char *opt, const char *s, char *buf, size_t len);

/* What `dump` was asked for; NULL strings were not given. */
struct ctl_dump_args {
	const char	*since;		/* default -1h */
	const char	*until;		/* default now */
	const char	*pid;		/* one process (checked digits) */
	const char	*target;	/* one target (a checked name) */
	bool		 targets;	/* every target instead of processes */
	bool		 csv;		/* else JSON lines */
	const char	*resolution;	/* of one series: raw, 1m, 1h, auto */
};

/*
 * Print every sample of the window, one row each.  Returns 0 or an exit
 * code, having said why.  Thread: procwatchctl's only thread.
 */
int	ctl_dump(struct ctl *c, const struct ctl_dump_args *a);

#endif

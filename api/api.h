/*
 * api/api.h: the HTTP API of procwatchd, and the renderers behind it.
 *
 * The api/ layer only translates: HTTP requests into store queries, and
 * store snapshots into JSON (cJSON) or the Prometheus text format.  It
 * never reads /proc and never prints; MHD's messages go to the optional
 * log callback in api_options.
 */
#ifndef API_API_H
#define API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct api_buf;
struct cJSON;
struct pw_alert;
struct pw_alerts;
struct pw_monitor;
struct pw_monitor_stats;
struct pw_profiler;
struct pw_events;
struct pw_history;
struct pw_proc_view;
struct pw_sample;
struct pw_snapshot;

/*
 * Receives one message (no trailing newline) from the HTTP library.
 * Thread: main during api_start(), HTTP afterwards.
 */
typedef void api_log_fn(void *arg, const char *msg);

/* Delivery figures of one notification receiver, for /metrics. */
#define API_RECEIVERS_MAX	256	/* 32 receivers x 8 Alertmanagers */
#define API_REMOTES_MAX		9	/* remote_write and otlp */

/* One receiver, or one Alertmanager of an "alertmanager" receiver. */
struct api_receiver_stats {
	char		name[65];
	char		url[200];	/* alertmanager: its URL, else "" */
	uint64_t	delivered;	/* notifications accepted (2xx, exit 0) */
	uint64_t	failed;		/* attempts that failed (then retried) */
	uint64_t	dropped;	/* given up: too old, or queue full */
	uint64_t	queued;		/* waiting now */
};

/*
 * Fill out[0..max) with the receivers' figures; returns how many.
 * Thread: HTTP.
 */
/* One push destination (remote_write or otlp), for /metrics. */
struct api_rw_stats {
	char		name[65];
	const char	*protocol;	/* "prometheus" or "otlp" (static) */
	uint64_t	sent;		/* samples the receiver took */
	uint64_t	failed;		/* requests that failed (retried) */
	uint64_t	dropped;	/* samples given up: refused (4xx),
					   or past the queue */
	uint64_t	pending;	/* cycles not yet sent */
	double		lag_s;		/* age of the oldest unsent cycle;
					   0 when current */
};

typedef size_t api_rw_stats_fn(void *arg, struct api_rw_stats *out,
    size_t max);

typedef size_t api_notify_stats_fn(void *arg, struct api_receiver_stats *out,
    size_t max);

/*
 * Reload the daemon's configuration (POST /api/v1/reload).  Returns 0 and
 * a one-line summary in msg, or a negative errno and the reason (-EINVAL:
 * the new configuration is invalid and the old one stays in force).
 * Thread: an HTTP thread; it may block for a few seconds.
 */
typedef int api_reload_fn(void *arg, char *msg, size_t msglen);

/*
 * The wall clock in ms since the epoch, for everything the API stamps or
 * measures against "now" (uptime, pushed points, baselines, per-thread
 * CPU %).  The golden tests (tests/unit/test_golden.c) fix it.
 * Thread: HTTP.
 */
typedef int64_t api_clock_fn(void *arg);

/* clock(arg), or CLOCK_REALTIME in ms when clock is NULL.  Thread: any. */
int64_t	api_now_ms(api_clock_fn *clock, void *arg);

struct api_options {
	const char	*host;		/* numeric, v4 or v6; NULL: 127.0.0.1 */
	uint16_t	 port;		/* 0: any free port */
	unsigned	 max_connections; /* 0: API_DEFAULT_MAX_CONNECTIONS */
	unsigned	 conn_timeout_s;  /* 0: API_DEFAULT_CONN_TIMEOUT_S */
	unsigned	 header_timeout_s;  /* 0: API_DEFAULT_HEADER_TIMEOUT_S */
	const char	*version;	/* PACKAGE_VERSION; NULL: "unknown" */
	api_log_fn	*log;		/* NULL: drop messages */
	void		*log_arg;
	struct pw_alerts *alerts;	/* borrowed; NULL: no /alerts */
	api_notify_stats_fn *notify_stats; /* NULL: no receivers */
	void		*notify_arg;
	api_rw_stats_fn	*rw_stats;	/* NULL: no remote_write */
	void		*rw_arg;
	const char	*dygraphs_dir;	/* NULL: API_DEFAULT_DYGRAPHS_DIR */
	api_reload_fn	*reload;	/* NULL: no POST /api/v1/reload */
	void		*reload_arg;
	struct pw_profiler *profiler;	/* borrowed; NULL: no profiling */
	struct pw_events *events;	/* borrowed; NULL: no events feed */
	/*
	 * With a token (at most API_TOKEN_MAX bytes), mutating requests
	 * (POST, PUT, PATCH, DELETE) need "Authorization: Bearer <token>",
	 * and with auth_reads every request does; others get 401.  NULL:
	 * no authentication.  A read_token is good for reads only; with
	 * one and no api_token, nothing can be changed.
	 */
	const char	*tls_cert_pem;	/* both or neither: serve HTTPS */
	const char	*tls_key_pem;
	const char	*api_token;
	const char	*read_token;	/* also accepted for GET and HEAD */
	bool		 auth_reads;
	/*
	 * Which per-process series /metrics carries: API_PROCMETRICS_ALL
	 * (0, the default), _NONE, or _TOP with process_metrics_top = N.
	 * Changed later with api_set_process_metrics().
	 */
	int		 process_metrics;
	unsigned	 process_metrics_top;
	api_clock_fn	*now_ms;	/* NULL: the real clock */
	void		*now_arg;
	/*
	 * The history on disk (lib/history.h), borrowed; NULL: memory only,
	 * and history_off says why (NULL: "not configured").  history_dir
	 * is where it is, for /healthz.
	 */
	struct pw_history *history;
	const char	*history_off;
	const char	*history_dir;
};

/*
 * process_metrics modes; the same values as enum config_procmetrics in
 * daemon/config.h (api/ does not include daemon/ headers).
 */
#define API_PROCMETRICS_ALL	0	/* every live process */
#define API_PROCMETRICS_NONE	1	/* none: targets and daemon only */
#define API_PROCMETRICS_TOP	2	/* top N by CPU % and top N by RSS */

#define API_TOKEN_MAX	256

#define API_DEFAULT_MAX_CONNECTIONS	64
#define API_DEFAULT_CONN_TIMEOUT_S	30
#define API_DEFAULT_HEADER_TIMEOUT_S	5
#define API_MAX_SAMPLES_LIMIT		1000000	/* ?limit= upper bound */

struct api_server;

/*
 * Start serving the monitor's store on host:port with MHD's own threads.
 * `opts` (and the strings in it) may be freed after the call; `mon` is
 * borrowed and must outlive the server.  Returns NULL on failure (bad
 * host, address in use, out of memory) with a message in err (if not
 * NULL).  Stop and free with api_stop().
 * Thread: main.
 */
struct api_server	*api_start(const struct api_options *opts,
			    struct pw_monitor *mon, char *err, size_t errlen);
/* The port actually bound (useful after asking for port 0).  Thread: main. */
uint16_t		 api_port(const struct api_server *);
/*
 * Stop listening, finish the running requests, free.  NULL is accepted.
 * Thread: main.
 */
void			 api_stop(struct api_server *);
/*
 * Whether the HTTP threads can lower their priority (nice +10, so that
 * HTTP work yields to the sampler): 0, or the negative errno setpriority()
 * fails with here (-EPERM under a seccomp filter without it, such as the
 * unit's SystemCallFilter=~@resources).  Changes no priority.
 * Thread: any.
 */
int			 api_http_nice_check(void);
/*
 * Change which per-process series /metrics carries (API_PROCMETRICS_*;
 * `top` is N for API_PROCMETRICS_TOP and ignored otherwise); the next
 * scrape uses it.  An unknown mode is taken as API_PROCMETRICS_ALL, and
 * top 0 leaves no process.  Mode and N are stored together in one atomic
 * word, so a scrape sees both old or both new.
 * Thread: any (typically main, on reload) while HTTP threads render.
 */
void			 api_set_process_metrics(struct api_server *, int mode,
			    unsigned top);

/*
 * JSON renderers (api/json.c).  Each returns a new cJSON object the caller
 * frees with cJSON_Delete(), or NULL when out of memory.  The layout is
 * documented at the top of api/json.c.  Thread: any.
 */
struct cJSON	*api_json_proc(const struct pw_proc_view *, uint64_t mem_total);
/* `fd_limit` 0 means unknown and renders as null.  Thread: any. */
struct cJSON	*api_json_sample(const struct pw_sample *, uint64_t mem_total,
		    uint64_t fd_limit);
/* A JSON {"error": msg} object; NULL when out of memory.  Thread: any. */
struct cJSON	*api_json_error(const char *msg);

/*
 * Members every handler module adds the same way; false when out of
 * memory.  api_add_text: a string from the kernel or a user (any bytes)
 * with invalid UTF-8 as U+FFFD, null for NULL.  api_add_u64: exact, not
 * through a double.  api_add_time: RFC 3339, null for 0 (never) or out
 * of range.
 * Thread: any (pure).
 */
bool		 api_add_text(struct cJSON *, const char *key, const char *s);
bool		 api_add_u64(struct cJSON *, const char *key, uint64_t v);
bool		 api_add_time(struct cJSON *, const char *key, int64_t ms);

/*
 * For handlers that answer with an HTTP status and a message: format the
 * message into err and return `status`; api_oom() empties err and returns
 * 500.
 * Thread: any (pure).
 */
unsigned	 api_fail(char *err, size_t errlen, unsigned status,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
unsigned	 api_oom(char *err, size_t errlen);

/* Enough for "YYYY-MM-DDTHH:MM:SS.mmmZ" and its NUL. */
#define API_RFC3339_LEN	25

/*
 * Write `ms` since the epoch as RFC 3339 UTC with milliseconds,
 * "2026-11-26T02:11:35.123Z".  Returns 0, -ENOSPC if len <
 * API_RFC3339_LEN, or -EINVAL for a year outside 0000 .. 9999.
 * Thread: any (pure).
 */
int	api_fmt_rfc3339(int64_t ms, char *buf, size_t len);

/*
 * Length of the well-formed UTF-8 sequence starting at s (n bytes
 * available), or 0 if it is not one (overlong forms, surrogates and
 * values past U+10FFFF are not).  Renderers replace bad bytes with U+FFFD:
 * process names and command lines are arbitrary bytes.
 * Thread: any (pure).
 */
size_t	api_utf8_seq(const unsigned char *s, size_t n);

/*
 * Alerts and rules (api/alerts.c); layouts at the top of that file.
 * api_json_alert() returns a new object (cJSON_Delete() it) or NULL when
 * out of memory.  api_json_alerts() puts {"alerts": [...], "count"} of the
 * alerts in the states of `mask` (PW_ALERTS_*), filtered by severity and
 * target name when they are not NULL, into *out; 0 or -ENOMEM.
 * api_json_rules() returns {"rules": [...], "count"} or NULL.  Thread: any.
 */
struct cJSON	*api_json_alert(const struct pw_alert *);
int		 api_json_alerts(struct pw_alerts *, unsigned mask,
		    const char *severity, const char *target,
		    struct cJSON **out);
struct cJSON	*api_json_rules(struct pw_alerts *);

/*
 * Append the alert and notification families to the /metrics page
 * (api/buf.h): procwatch_alerts{rule,severity,state},
 * procwatch_notifications_total{receiver,result} and
 * procwatch_notifications_queued{receiver}.  `e` may be NULL.  Returns 0
 * or the page's error.  Thread: any.
 */
int	api_prom_alerts(struct pw_alerts *e,
	    const struct api_receiver_stats *rs, size_t nrs,
	    struct api_buf *page);

/*
 * Append the remote write families (nothing when n is 0):
 * procwatch_remote_write_samples_total{remote,result="sent|dropped"},
 * procwatch_remote_write_failed_requests_total{remote},
 * procwatch_remote_write_pending_cycles{remote} and
 * procwatch_remote_write_lag_seconds{remote}.  Returns 0 or the page's
 * error.  Thread: any.
 */
int	api_prom_remote_write(const struct api_rw_stats *ws, size_t n,
	    struct api_buf *page);

/* The HTTP server's connection figures (api/http_conn.c), for /metrics. */
struct api_conn_stats {
	uint64_t	shed;		/* waiting ones cut to make room */
	uint64_t	refused;	/* new ones refused: all busy */
	uint64_t	timed_out;	/* cut by header_timeout_s or
					   conn_timeout_s */
	uint64_t	open;		/* accepted, not yet closed */
	uint64_t	max;		/* max_connections */
};

/* Fill *out with the server's figures (arg: the server).  Thread: HTTP. */
typedef void api_conn_stats_fn(void *arg, struct api_conn_stats *out);

/*
 * Append the connection families: procwatch_http_connections_shed_total,
 * _refused_total, _timed_out_total, procwatch_http_connections_open and
 * procwatch_http_connections_max.  Returns 0 or the page's error.
 * Thread: any.
 */
int	api_prom_connections(const struct api_conn_stats *cs,
	    struct api_buf *page);

/*
 * The web dashboard (api/static.c).  Our own files are embedded at build
 * time from web/ (scripts/embed.sh writes api_web_files[]); Dygraphs is
 * read from Debian's libjs-dygraphs directory on each request.
 */
struct MHD_Response;

struct api_embedded {
	const char		*name;		/* base name: "app.js" */
	const unsigned char	*data;
	size_t			 len;
};
extern const struct api_embedded	api_web_files[];
extern const size_t			api_web_nfiles;

#define API_DEFAULT_DYGRAPHS_DIR	"/usr/share/javascript/dygraphs"
#define API_STATIC_MAX			(4u * 1024 * 1024)	/* per file */

/*
 * The response for dashboard file `name`: "index.html", "app.js",
 * "app.css", or "dygraphs/FILE" for one of the Dygraphs files read from
 * `dygraphs_dir` (NULL: API_DEFAULT_DYGRAPHS_DIR).  Any other name is
 * -ENOENT.  The response carries Content-Type, Cache-Control: no-cache,
 * X-Content-Type-Options: nosniff and the Content-Security-Policy; the
 * caller queues it with status 200 and releases it with
 * MHD_destroy_response().  Returns NULL with *err set to a negative errno
 * (-ENOENT for an unknown or missing file, -ENOMEM, -EFBIG past
 * API_STATIC_MAX).  Thread: HTTP.
 */
struct MHD_Response	*api_static_response(const char *dygraphs_dir,
			    const char *name, int *err);

/* Upper bound of a rendered /metrics page; past it rendering fails. */
#define API_PROM_MAX	(64u * 1024 * 1024)

/*
 * Render the live processes of `snap` and the monitor figures `st` in the
 * Prometheus text exposition format 0.0.4.  `hz` is the clock tick rate
 * for CPU seconds.  On success *out is a malloc'd, NUL-terminated page of
 * *len bytes that the caller frees with free().  Returns 0, -ENOMEM, or
 * -E2BIG past API_PROM_MAX; on failure *out and *len are untouched.
 * Thread: any.
 */
int	api_prom_render(const struct pw_snapshot *snap,
	    const struct pw_monitor_stats *st, long hz, const char *version,
	    char **out, size_t *len);

/*
 * The processes whose per-process series (the procwatch_process_*
 * families, and the procwatch_custom_* series of processes) /metrics
 * carries under process_metrics `mode` (API_PROCMETRICS_*): with _ALL
 * every live process, with _NONE none, with _TOP the union of the `top`
 * live processes with the highest CPU % and the `top` with the highest
 * RSS, ties going to the lower pid (a process whose CPU % or RSS is not
 * known yet is not ranked by it).  A pid listed twice counts once, as
 * its newest process.  *out is filled as a copy of *snap whose procs[]
 * is a new array of the chosen views, in snap's order; the views are
 * shallow copies whose strings point into snap, so snap must outlive
 * *out.  Release with api_prom_select_fini().  Returns 0 or -ENOMEM
 * (*out untouched).  Thread: any.
 */
int	api_prom_select_init(struct pw_snapshot *out,
	    const struct pw_snapshot *snap, int mode, unsigned top);
/*
 * Free what api_prom_select_init() allocated (not the snapshot).
 * Thread: any.
 */
void	api_prom_select_fini(struct pw_snapshot *);

/*
 * The per-group families of /metrics for the groups of `snap` (their
 * latest aggregate samples, procwatch/groupacc.h): procwatch_group_up,
 * _processes, _min_processes, _max_processes, _threads,
 * _cpu_seconds_total{mode}, _children_cpu_seconds_total, _cpu_percent,
 * _resident_memory_bytes, _virtual_memory_bytes, _swap_bytes, _open_fds,
 * _fd_usage_max, _read_bytes_total, _write_bytes_total,
 * _context_switches_total{type}, _page_faults_total{type}, labelled
 * {target}; a series whose value is unknown is left out.  `hz` is the
 * clock tick rate.  *out is malloc'd and NUL-terminated (free()), *len
 * its length; 0, -ENOMEM or -E2BIG past API_PROM_MAX.  Thread: any.
 */
int	api_prom_groups(const struct pw_snapshot *snap, long hz, char **out,
	    size_t *len);

/*
 * Custom metric series (api/custom.c; the layouts are at its top).
 * Thread: HTTP.
 *
 * api_custom_push() stores the points of a POST /api/v1/custom body and
 * returns the HTTP status: 200 with *out = {"accepted": n}, 400 for a bad
 * item (message in err naming "[index].field"), 404 without a custom
 * store, 507 when the store is full, 500 out of memory.  *out is freed
 * with cJSON_Delete().
 */
#define API_CUSTOM_BATCH_MAX	1000
/* `now_ms` stamps points that carry no "ts".  Thread: HTTP. */
unsigned	api_custom_push(struct pw_monitor *, const char *body,
		    size_t len, int64_t now_ms, struct cJSON **out, char *err,
		    size_t errlen);
/*
 * {"series": [...], "count", "max_series", "sources": [...]}; 0/-ENOMEM.
 * Thread: HTTP.
 */
int		api_custom_list(struct pw_monitor *, struct cJSON **out);

/*
 * The process series copied out once for rendering many processes:
 * api_custom_attach() adds "custom": {name: latest value, ...} (labelled
 * series as name{k="v"}) to the JSON of process proc_id.  0 or -ENOMEM.
 * Thread: HTTP.
 */
struct api_custom_procs;
struct api_custom_procs	*api_custom_procs_new(struct pw_monitor *);
void			 api_custom_procs_free(struct api_custom_procs *);
int			 api_custom_attach(const struct api_custom_procs *,
			    struct cJSON *proc, uint64_t proc_id);

/*
 * Append the procwatch_custom_<name> families (process series only for
 * live processes of `snap`) and procwatch_source_errors_total to the
 * /metrics page (api/buf.h); nothing without a custom store.  0, -ENOMEM,
 * or the page's error.
 * Thread: HTTP.
 */
int	api_prom_custom(struct pw_monitor *, const struct pw_snapshot *snap,
	    struct api_buf *page);

/*
 * pw_custom_points() of the monitor's store; -ENOENT without one.
 * Thread: HTTP.
 */
int	api_custom_points(struct pw_monitor *, const char *name,
	    uint64_t proc_id, const char *target, int64_t since_ms,
	    int64_t **ts, double **v, size_t *n);

#endif

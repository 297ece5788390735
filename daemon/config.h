/*
 * daemon/config.h: the JSON configuration of procwatchd.
 *
 * A config is parsed and validated completely before anyone uses it, and
 * is immutable afterwards: a reload parses a new one and swaps it in, so a
 * bad file never replaces a good config (see STYLE.md, section 7).
 *
 * Include it as "daemon/config.h": plain "config.h" is autoconf's.
 */
#ifndef PW_DAEMON_CONFIG_H
#define PW_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <procwatch/custom.h>
#include <procwatch/monitor.h>
#include <procwatch/rules.h>
#include <procwatch/target.h>

#define CONFIG_DEFAULT_HOST		"127.0.0.1"
#define CONFIG_DEFAULT_PORT		9717
#define CONFIG_DEFAULT_MAX_CONN		256
#define CONFIG_DEFAULT_CONN_TIMEOUT_S	10
#define CONFIG_DEFAULT_HEADER_TIMEOUT_S	5
#define CONFIG_FILE_MAX			(1024 * 1024)	/* config_load() cap */

#define CONFIG_DEFAULT_ALERT_HISTORY	100
#define CONFIG_DEFAULT_STATE_DIR	"/var/lib/procwatch"
/* History on disk under state_dir (issue 18; README "History on disk"). */
#define CONFIG_DEFAULT_HISTORY_MAX_BYTES	(UINT64_C(1) << 30)
#define CONFIG_DEFAULT_HISTORY_FSYNC_MS		10000
#define CONFIG_DEFAULT_HISTORY_MINUTE_DAYS	30
#define CONFIG_DEFAULT_HISTORY_HOUR_DAYS	400

enum config_recv_format {
	RECV_PROCWATCH = 0,		/* our JSON body, see README.md */
	RECV_ALERTMANAGER,		/* Alertmanager's /api/v2/alerts */
	RECV_EXEC,			/* a command, alert JSON on stdin */
};

/* Which per-process series /metrics carries ("process_metrics"). */
enum config_procmetrics {
	PROCMETRICS_ALL = 0,		/* every monitored process (default) */
	PROCMETRICS_NONE,		/* groups only */
	PROCMETRICS_TOP,		/* the top N by CPU and the top N by RSS */
};

/* "delay_accounting": what to do with kernel.task_delayacct. */
enum config_delayacct {
	DELAYACCT_AUTO = 0,	/* turn it on when allowed (default) */
	DELAYACCT_ON,		/* turn it on; an error if it cannot be */
	DELAYACCT_OFF,		/* leave the kernel's switch alone */
};

/* One notification receiver ("receivers": [...]); all strings owned. */
struct config_receiver {
	char			*name;
	enum config_recv_format	 format;
	char			*url;		/* NULL for RECV_EXEC; = urls[0] */
	char			**urls;		/* "url" or "urls", nurls of them;
						   alertmanager: each ends in
						   /api/v2/alerts */
	size_t			 nurls;
	char			**argv;		/* RECV_EXEC, NULL-terminated */
	char			**headers;	/* "Name: value", for curl */
	size_t			 nheaders;
	char			*secret;	/* NULL: requests are unsigned;
						   "whsec_": base64 (checked) */
	unsigned		 timeout_ms;	/* default 5000 */
	enum pw_alert_severity	 min_severity;	/* default info */
	bool			 send_resolved;	/* default true */
	unsigned		 resend_ms;	/* alertmanager, default 60000 */
	unsigned		 max_age_ms;	/* give up retrying; 3600000 */
	unsigned		 backoff_ms;	/* first retry delay; 500 */
	unsigned		 backoff_max_ms; /* retry delay cap; 60000 */
	unsigned		 queue_max;	/* pending deliveries; 1000 */
};

/* Where the series go, and how. */
enum config_push {
	PUSH_PROM_RW = 0,		/* "remote_write": Prometheus 1.0 */
	PUSH_OTLP,			/* "otlp": OTLP/HTTP protobuf */
};

/* One "remote_write" entry, or the "otlp" object; all strings owned. */
struct config_remote {
	enum config_push protocol;
	char		*name;		/* default: the URL's host:port */
	char		*url;		/* otlp: its "endpoint", no '/' at
					   the end */
	char		**headers;	/* "Name: value" */
	size_t		 nheaders;
	char		*bearer_token;	/* NULL: none */
	char		*basic_user;	/* NULL: no basic auth */
	char		*basic_password;
	char		*tls_ca_file;	/* NULL: the system's CAs */
	char		**ext_labels;	/* name, value, ..., NULL */
	size_t		 next_labels;	/* pairs; "instance" defaults to
					   the host name */
	unsigned	 timeout_ms;	/* 10000 */
	unsigned	 max_samples;	/* per request: 2000 */
	unsigned	 queue_cycles;	/* memory-only backlog: 300 */
	unsigned	 catchup_per_s;	/* backlog cycles a second: 20 */
	unsigned	 backoff_ms;	/* 500 */
	unsigned	 backoff_max_ms; /* 30000 */
};

/* One "sources" entry: an exec source; all strings owned. */
struct config_source {
	char		*name;
	char		**argv;		/* NULL-terminated, argv[0] absolute */
	unsigned	 interval_ms;	/* default 10000 */
	unsigned	 timeout_ms;	/* default 5000 */
	char		*target;	/* NULL: host-level series */
};

/* One "plugins" entry; all strings owned. */
struct config_plugin {
	char		*path;
	char		**kv;		/* "config": key, value, ..., NULL */
};

/* Is HOST (numeric, as "listen" keeps it) a loopback address?  Thread: any. */
bool	config_host_is_loopback(const char *host);

/*
 * A loaded config.  Read-only once returned; config_free() releases it
 * and everything it owns.
 */
struct config {
	char		*path;		/* file it came from; NULL: defaults */
	char		*listen_host;	/* numeric, no brackets: "::1" */
	uint16_t	 listen_port;	/* 9717; 0: any free port */
	unsigned	 max_connections; /* default 256 */
	unsigned	 conn_timeout_s; /* default 10 */
	unsigned	 header_timeout_s; /* default 5 */
	bool		 debug;		/* "log_level": "debug" */
	struct pw_target *targets;	/* owned; at least one */
	size_t		 ntargets;
	char		*proc_root;	/* owned; NULL: "/proc" */
	/* mon.targets points at targets, mon.proc_root at proc_root. */
	struct pw_monitor_config mon;
	enum config_procmetrics process_metrics;
	enum config_delayacct delay_accounting;
	unsigned	 process_metrics_top;	/* N of {"top": N}, 1..10000 */
	struct pw_rule	*rules;		/* owned; built-ins unless "rules" */
	size_t		 nrules;
	bool		 rules_set;
	size_t		 alert_history;	/* resolved alerts kept; 100 */
	char		*state_dir;	/* owned; the spool and the history */
	bool		 history_disk;	/* keep history on disk; true */
	uint64_t	 history_max_bytes;	/* size budget; 1 GiB */
	unsigned	 history_fsync_ms;	/* fsync at most this often */
	unsigned	 history_minute_days;	/* minute tier's reach; 30 */
	unsigned	 history_hour_days;	/* hour tier's reach; 400 */
	struct config_receiver *receivers; /* owned */
	size_t		 nreceivers;
	struct config_remote *remotes;	/* owned: "remote_write" */
	size_t		 nremotes;
	struct config_remote *otlp;	/* owned: "otlp"; notlp is 0 or 1 */
	size_t		 notlp;
	char		*dygraphs_dir;	/* owned; NULL: Debian's directory */
	struct pw_custom_config custom;	/* custom_*; 0: the defaults */
	char		*api_token;	/* owned; from api_token(_file) */
	char		*tls_cert_pem;	/* owned; "tls_cert" file's content */
	char		*tls_key_pem;	/* owned; "tls_key" file's content */
	bool		 auth_reads;	/* reads need the token too */
	char		*read_token;	/* owned; GETs only; read_token(_file) */
	bool		 public_read;	/* off loopback: reads without a token */
	char		**redact_words;	/* cmdline_redact's words, or NULL */
	struct config_source *sources;	/* owned */
	size_t		 nsources;
	struct config_plugin *plugins;	/* owned */
	size_t		 nplugins;
};

/*
 * The built-in configuration: every process (one target "all" of
 * PW_SEL_ALL), 1000 ms, 1000 samples, 127.0.0.1:9717.  Returns 0 or
 * -ENOMEM; *out is set only on success.  Free with config_free().
 * Thread: main.
 */
int	config_defaults(struct config **out);

/*
 * Parse and validate the JSON config in text[0..len) (need not be NUL
 * terminated).  `path` (may be NULL) names it in messages and is copied
 * into the result.  Returns 0, -EINVAL for a bad config or -ENOMEM; on
 * error *out is untouched and `err` (if errlen > 0) holds one line naming
 * the file, the field and the problem, e.g.
 * "x.json: targets[1].cmdline: bad regex: Unmatched ( or \(".
 * Free the result with config_free().  Thread: main.
 */
int	config_parse(const char *text, size_t len, const char *path,
	    struct config **out, char *err, size_t errlen);

/*
 * Read the file at `path` (at most CONFIG_FILE_MAX bytes) and
 * config_parse() it.  Returns as config_parse(), or the negative errno of
 * open/read, or -EFBIG; `err` then names the file.  Thread: main.
 */
int	config_load(const char *path, struct config **out, char *err,
	    size_t errlen);

/*
 * Is `path` safe to run or load: an absolute path to a regular file owned
 * by root or by us, not writable by group or others, in a directory that
 * is not either?  Returns 0, or -EPERM / the stat errno with the reason
 * in why.  Thread: any.
 */
int	config_check_path(const char *path, char *why, size_t whylen);

/*
 * Release a config from config_defaults/parse/load.  NULL is accepted.
 * Thread: any (the config's last holder; main).
 */
void	config_free(struct config *);

/*
 * Write a human summary (listen address, interval, history, each target
 * with its selector) to `fp`, for procwatchd --check-config.
 * Thread: main.
 */
void	config_describe(const struct config *, FILE *fp);

#endif

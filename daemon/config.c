/*
 * daemon/config.c: load, free and describe procwatchd's JSON config: the
 * top-level keys, and the three steps of a load (daemon/config_impl.h
 * says what each step does and which file has which section).
 *
 * Everything is validated before the config is returned, and errors name
 * the file and the field path ("x.json: targets[1].cmdline: ...") in one
 * line, so procwatchd --check-config and a failed reload can print it as
 * is.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config_impl.h"

#define CFG(f)		FIELD(struct config, f)

static key_fn	parse_log_level, parse_proc_root, parse_process_metrics,
		parse_state_dir, parse_dygraphs_dir, parse_redact,
		parse_delay_accounting;

/* Rows: key, JSON types, integer range, where to store / handler. */
#define INT(lo, hi, f)	T_INT, lo, hi, CFG(f), NULL
#define BOOL(f)		T_BOOL, 0, 0, CFG(f), NULL

static const struct key top_keys[] = {
	{ "listen",		FN(T_STRING, parse_listen) },
	{ "interval_ms",	INT(10, 3600000, mon.interval_ms) },
	{ "history",		INT(2, 1000000, mon.history) },
	{ "retention_ms",	INT(0, 86400000, mon.retention_ms) },
	{ "limits_every_ms",	INT(1000, 86400000, mon.limits_every_ms) },
	{ "pss_every_ms",	INT(1000, 86400000, mon.pss_every_ms) },
	{ "pss_top",		INT(0, 100000, mon.pss_top) },
	{ "oom_alert_ms",	INT(1000, 86400000, mon.oom_alert_ms) },
	{ "keep_open",		BOOL(mon.keep_open) },
	{ "cmdline_redact",	FN(T_BOOL | T_ARRAY, parse_redact) },
	{ "sampler_realtime",	BOOL(mon.realtime) },
	{ "proc_root",		FN(T_STRING, parse_proc_root) },
	{ "use_libproc2",	BOOL(mon.use_libproc2) },
	{ "max_connections",	INT(1, 100000, max_connections) },
	{ "conn_timeout_s",	INT(1, 3600, conn_timeout_s) },
	{ "header_timeout_s",	INT(1, 3600, header_timeout_s) },
	{ "log_level",		FN(T_STRING, parse_log_level) },
	{ "targets",		FN(T_STRING | T_ARRAY, parse_targets) },
	{ "rules",		FN(T_OBJECT | T_ARRAY, parse_rules) },
	{ "alert_history",	INT(0, 100000, alert_history) },
	{ "state_dir",		FN(T_STRING, parse_state_dir) },
	{ "history_disk",	BOOL(history_disk) },
	{ "history_max_bytes",	INT(1048576, 1LL << 50, history_max_bytes) },
	{ "history_fsync_ms",	INT(0, 3600000, history_fsync_ms) },
	{ "history_minute_days", INT(1, 3650, history_minute_days) },
	{ "history_hour_days",	INT(1, 36500, history_hour_days) },
	{ "receivers",		FN(T_ARRAY, parse_receivers) },
	{ "remote_write",	FN(T_ARRAY, parse_remotes) },
	{ "otlp",		FN(T_OBJECT, parse_otlp) },
	{ "dygraphs_dir",	FN(T_STRING, parse_dygraphs_dir) },
	{ "custom_max_series",	INT(1, 1000000, custom.max_series) },
	{ "custom_history",	INT(2, 100000, custom.history) },
	{ "custom_stale_ms",	INT(1000, 604800000, custom.stale_ms) },
	{ "custom_drop_ms",	INT(1000, 2592000000LL, custom.drop_ms) },
	{ "api_token",		FN(T_STRING, parse_api_token) },
	{ "api_token_file",	FN(T_STRING, parse_api_token) },
	{ "auth_reads",		BOOL(auth_reads) },
	{ "read_token",		FN(T_STRING, parse_api_token) },
	{ "read_token_file",	FN(T_STRING, parse_api_token) },
	{ "public_read",	BOOL(public_read) },
	{ "sources",		FN(T_ARRAY, parse_sources) },
	{ "plugins",		FN(T_ARRAY, parse_plugins) },
	{ "tls_cert",		FN(T_STRING, parse_tls_file) },
	{ "tls_key",		FN(T_STRING, parse_tls_file) },
	{ "process_metrics",	FN(T_STRING | T_OBJECT,
				    parse_process_metrics) },
	{ "delay_accounting",	FN(T_STRING, parse_delay_accounting) },
};

/* "process_metrics": {"top": N}. */
static const struct key procmetrics_keys[] = {
	{ "top",	INT(1, 10000, process_metrics_top) },
};

/* --- top-level handlers --------------------------------------------------- */

static int
parse_log_level(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config *c = dst;

	(void)k;
	if (strcmp(v->valuestring, "info") == 0)
		c->debug = false;
	else if (strcmp(v->valuestring, "debug") == 0)
		c->debug = true;
	else
		return perr(p, field, "must be \"info\" or \"debug\"");
	return 0;
}

static int
parse_delay_accounting(struct parse *p, const struct key *k,
    const char *field, const cJSON *v, void *dst)
{
	struct config *c = dst;

	(void)k;
	if (strcmp(v->valuestring, "auto") == 0)
		c->delay_accounting = DELAYACCT_AUTO;
	else if (strcmp(v->valuestring, "on") == 0)
		c->delay_accounting = DELAYACCT_ON;
	else if (strcmp(v->valuestring, "off") == 0)
		c->delay_accounting = DELAYACCT_OFF;
	else
		return perr(p, field, "must be \"auto\", \"on\" or \"off\"");
	return 0;
}

static int
parse_proc_root(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config *c = dst;
	char *dup;

	(void)k;
	if (v->valuestring[0] != '/' || strlen(v->valuestring) >= PATH_MAX)
		return perr(p, field, "must be an absolute path");
	if ((dup = strdup(v->valuestring)) == NULL)
		return -ENOMEM;
	free(c->proc_root);
	c->proc_root = dup;
	return 0;
}

/*
 * "process_metrics": "all" | "none" | {"top": N}: which per-process series
 * /metrics carries.
 */
/*
 * "cmdline_redact": true (the default words), false (command lines kept
 * as they are), or the words themselves.
 */
static int
parse_redact(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config *c = dst;
	size_t i;
	int rc;

	(void)k;
	if (cJSON_IsBool(v)) {
		c->mon.cmdline_plain = !cJSON_IsTrue(v);
		return 0;
	}
	if ((rc = parse_argv(p, field, v, &c->redact_words)) < 0)
		return rc;
	for (i = 0; c->redact_words[i] != NULL; i++)
		if (c->redact_words[i][0] == '\0' ||
		    strlen(c->redact_words[i]) > 64)
			return perr(p, field, "[%zu]: a word is 1 to 64 "
			    "characters", i);
	c->mon.cmdline_plain = false;
	c->mon.redact_words = (const char *const *)c->redact_words;
	c->mon.nredact_words = i;
	return 0;
}

static int
parse_process_metrics(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config *c = dst;
	int rc;

	(void)k;
	if (cJSON_IsString(v)) {
		if (strcmp(v->valuestring, "all") == 0)
			c->process_metrics = PROCMETRICS_ALL;
		else if (strcmp(v->valuestring, "none") == 0)
			c->process_metrics = PROCMETRICS_NONE;
		else
			return perr(p, field, "must be \"all\", \"none\" or "
			    "{\"top\": N}, not \"%.*s\"", ERR_SNIP,
			    v->valuestring);
		c->process_metrics_top = 0;
		return 0;
	}
	c->process_metrics_top = 0;
	if ((rc = parse_object(p, field, v, procmetrics_keys,
	    NELEM(procmetrics_keys), c)) < 0)
		return rc;
	if (c->process_metrics_top == 0)
		return perr(p, field, "missing \"top\": give {\"top\": N}, N "
		    "from 1 to 10000");
	c->process_metrics = PROCMETRICS_TOP;
	return 0;
}

static int
parse_state_dir(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (v->valuestring[0] != '/' || strlen(v->valuestring) >= PATH_MAX)
		return perr(p, field, "must be an absolute path");
	return dup_str(&((struct config *)dst)->state_dir, v->valuestring);
}

/* Where the dashboard's chart library is: an absolute directory. */
static int
parse_dygraphs_dir(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (v->valuestring[0] != '/' || strlen(v->valuestring) >= 1024)
		return perr(p, field, "must be an absolute path (under 1024 "
		    "bytes)");
	return dup_str(&((struct config *)dst)->dygraphs_dir,
	    v->valuestring);
}

/* --- the steps ----------------------------------------------------------- */

/*
 * No "state_dir": the first directory systemd's StateDirectory= gives us
 * ($STATE_DIRECTORY, colon-separated), so the unit names it once; else
 * CONFIG_DEFAULT_STATE_DIR.  NULL when out of memory.
 */
static char *
default_state_dir(void)
{
	const char *env = getenv("STATE_DIRECTORY");
	size_t n;

	if (env != NULL && env[0] == '/' &&
	    (n = strcspn(env, ":")) < PATH_MAX)
		return strndup(env, n);
	return strdup(CONFIG_DEFAULT_STATE_DIR);
}

/* A config with the built-in values and no targets yet. */
static struct config *
config_base(void)
{
	struct config *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->listen_host = strdup(CONFIG_DEFAULT_HOST)) == NULL) {
		free(c);
		return NULL;
	}
	c->listen_port = CONFIG_DEFAULT_PORT;
	c->max_connections = CONFIG_DEFAULT_MAX_CONN;
	c->conn_timeout_s = CONFIG_DEFAULT_CONN_TIMEOUT_S;
	c->header_timeout_s = CONFIG_DEFAULT_HEADER_TIMEOUT_S;
	c->alert_history = CONFIG_DEFAULT_ALERT_HISTORY;
	c->history_disk = true;
	c->history_max_bytes = CONFIG_DEFAULT_HISTORY_MAX_BYTES;
	c->history_fsync_ms = CONFIG_DEFAULT_HISTORY_FSYNC_MS;
	c->history_minute_days = CONFIG_DEFAULT_HISTORY_MINUTE_DAYS;
	c->history_hour_days = CONFIG_DEFAULT_HISTORY_HOUR_DAYS;
	pw_monitor_config_defaults(&c->mon);
	c->mon.use_libproc2 = true;
	return c;
}

static void
draft_free(struct config_draft *d)
{
	targets_draft_free(d);
	rules_draft_free(d);
}

/*
 * Step 3: the engine's types from the draft, then the defaults of what
 * was not given; mon points at the owned targets and proc_root last.
 */
static int
config_build(struct parse *p)
{
	struct config *c = p->c;
	int rc;

	if ((rc = targets_build(p, c)) < 0)
		return rc;
	if (c->ntargets == 0 &&
	    (rc = targets_all(&c->targets, &c->ntargets)) < 0)
		return rc;
	if ((rc = rules_build(p, c)) < 0)
		return rc;
	/* The hour tier is what remains once the minute tier is cut. */
	if (c->history_hour_days < c->history_minute_days)
		return perr(p, "history_hour_days", "must be at least "
		    "history_minute_days (%u)", c->history_minute_days);
	if (c->state_dir == NULL &&
	    (c->state_dir = default_state_dir()) == NULL)
		return -ENOMEM;
	c->mon.targets = c->targets;
	c->mon.ntargets = c->ntargets;
	c->mon.proc_root = c->proc_root;
	return 0;
}

int
config_defaults(struct config **out)
{
	struct config_draft d = { 0 };
	struct parse p = { "<defaults>", NULL, 0, NULL, &d };
	int rc;

	if ((p.c = config_base()) == NULL)
		return -ENOMEM;
	if ((rc = config_build(&p)) < 0) {
		config_free(p.c);
		return rc;
	}
	*out = p.c;
	return 0;
}

static bool
is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static void
line_col(const char *text, size_t pos, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < pos; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else
			(*col)++;
	}
}

/*
 * Step 1 on `text`: the JSON tree in *rootp, the plain values in p->c (a
 * new config) and the rest in p->d.  The draft's strings borrow from the
 * tree, so the caller frees the tree after the draft.  No I/O.  On
 * failure there is nothing to free: p->c is NULL and the draft empty.
 */
static int
parse_step(struct parse *p, const char *text, size_t len, cJSON **rootp)
{
	const char *end = NULL;
	cJSON *root;
	unsigned line, col;
	size_t i, pos;
	int rc;

	if (p->errlen > 0)
		p->err[0] = '\0';
	for (i = 0; i < len && is_ws(text[i]); i++)
		;
	if (i == len)
		return perr(p, NULL, "empty file; expected a JSON object");

	root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (root != NULL) {
		/* cJSON stops after the first value; more is an error. */
		for (pos = (size_t)(end - text); pos < len &&
		    is_ws(text[pos]); pos++)
			;
		if (pos < len) {
			cJSON_Delete(root);
			root = NULL;
			end = text + pos;
		}
	}
	if (root == NULL) {
		if (end == NULL)
			return -ENOMEM;
		line_col(text, (size_t)(end - text), &line, &col);
		return perr(p, NULL, "invalid JSON near line %u, column %u",
		    line, col);
	}
	if (!cJSON_IsObject(root)) {
		rc = perr(p, NULL, "expected a JSON object at the top, got %s",
		    jtype_name(root));
		goto out_json;
	}

	if ((p->c = config_base()) == NULL) {
		rc = -ENOMEM;
		goto out_json;
	}
	if ((rc = parse_object(p, "", root, top_keys, NELEM(top_keys),
	    p->c)) < 0)
		goto out_config;
	if ((p->d->tls_cert == NULL) != (p->d->tls_key == NULL)) {
		rc = perr(p, p->d->tls_cert == NULL ? "tls_cert" : "tls_key",
		    "missing: give both tls_cert and tls_key, or neither");
		goto out_config;
	}
	*rootp = root;
	return 0;

out_config:
	config_free(p->c);
	p->c = NULL;
	draft_free(p->d);
out_json:
	cJSON_Delete(root);
	if (rc == -ENOMEM && p->errlen > 0)
		perr(p, NULL, "out of memory");
	return rc;
}

int
config_parse(const char *text, size_t len, const char *path,
    struct config **out, char *err, size_t errlen)
{
	struct config_draft d = { 0 };
	struct parse p = { path != NULL ? path : "<config>", err, errlen,
	    NULL, &d };
	cJSON *root;
	int rc;

	/* Step 1, parse: no I/O. */
	if ((rc = parse_step(&p, text, len, &root)) < 0)
		return rc;
	/* Step 2, check: users, files, permissions. */
	if ((rc = config_check(&p)) < 0)
		goto out_config;
	if (path != NULL && (p.c->path = strdup(path)) == NULL) {
		rc = -ENOMEM;
		goto out_config;
	}
	/* Step 3, build. */
	if ((rc = config_build(&p)) < 0)
		goto out_config;
	draft_free(&d);
	cJSON_Delete(root);
	*out = p.c;
	return 0;

out_config:
	config_free(p.c);
	draft_free(&d);
	cJSON_Delete(root);
	if (rc == -ENOMEM && errlen > 0)
		perr(&p, NULL, "out of memory");
	return rc;
}

int
config_parse_only(const char *text, size_t len, const char *path,
    char *err, size_t errlen)
{
	struct config_draft d = { 0 };
	struct parse p = { path != NULL ? path : "<config>", err, errlen,
	    NULL, &d };
	cJSON *root;
	int rc;

	if ((rc = parse_step(&p, text, len, &root)) < 0)
		return rc;
	config_free(p.c);
	draft_free(&d);
	cJSON_Delete(root);
	return 0;
}

int
config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	struct parse p = { path, err, errlen, NULL, NULL };
	char *buf, ebuf[128];
	size_t len = 0;
	ssize_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		perr(&p, NULL, "%s", pw_strerror(-rc, ebuf,
		    sizeof(ebuf)));
		return rc;
	}
	/* One byte more than the cap tells "too big" from "exactly full". */
	if ((buf = malloc(CONFIG_FILE_MAX + 1)) == NULL) {
		rc = -ENOMEM;
		perr(&p, NULL, "out of memory");
		goto out_close;
	}
	while (len < CONFIG_FILE_MAX + 1) {
		n = read(fd, buf + len, CONFIG_FILE_MAX + 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			perr(&p, NULL, "%s", pw_strerror(-rc, ebuf,
		    sizeof(ebuf)));
			goto out_free;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > CONFIG_FILE_MAX) {
		perr(&p, NULL, "file too large (more than %d bytes)",
		    CONFIG_FILE_MAX);
		rc = -EFBIG;
		goto out_free;
	}
	rc = config_parse(buf, len, path, out, err, errlen);
out_free:
	free(buf);
out_close:
	close(fd);
	return rc;
}

void
config_free(struct config *c)
{
	if (c == NULL)
		return;
	targets_free(c->targets, c->ntargets);
	rules_free(c->rules, c->nrules);
	receivers_free(c->receivers, c->nreceivers);
	remotes_free(c->remotes, c->nremotes);
	remotes_free(c->otlp, c->notlp);
	sources_free(c->sources, c->nsources);
	plugins_free(c->plugins, c->nplugins);
	free(c->tls_cert_pem);
	if (c->tls_key_pem != NULL) {
		explicit_bzero(c->tls_key_pem, strlen(c->tls_key_pem));
		free(c->tls_key_pem);
	}
	if (c->read_token != NULL) {
		explicit_bzero(c->read_token, strlen(c->read_token));
		free(c->read_token);
	}
	if (c->api_token != NULL) {
		explicit_bzero(c->api_token, strlen(c->api_token));
		free(c->api_token);
	}
	free(c->state_dir);
	free(c->dygraphs_dir);
	free(c->proc_root);
	argv_free(c->redact_words);
	free(c->listen_host);
	free(c->path);
	free(c);
}

static void
describe_target(const struct pw_target *t, FILE *fp)
{
	fprintf(fp, "  %s: ", t->name);
	switch (t->sel) {
	case PW_SEL_ALL:
		fprintf(fp, "all processes");
		break;
	case PW_SEL_PID:
		fprintf(fp, "pid %ld", (long)t->pid);
		break;
	case PW_SEL_PIDFILE:
		fprintf(fp, "pidfile %s", t->pidfile);
		break;
	case PW_SEL_NAME:
		fprintf(fp, "comm \"%s\"", t->comm);
		break;
	case PW_SEL_CMDLINE:
		fprintf(fp, "cmdline matching \"%s\"", t->pattern);
		break;
	case PW_SEL_USER:
		fprintf(fp, "user %s (uid %lu)", t->user != NULL ? t->user :
		    "?", (unsigned long)t->uid);
		break;
	case PW_SEL_CGROUP:
		fprintf(fp, "cgroup %s and below", t->cgroup);
		break;
	case PW_SEL_UNIT:
		fprintf(fp, "systemd unit %s", t->unit);
		break;
	default:
		fprintf(fp, "selector %d", (int)t->sel);
		break;
	}
	fprintf(fp, "%s", t->children ? ", with children" : "");
	/* Bounds only when not the defaults (at least 1, no maximum). */
	if (t->sel != PW_SEL_ALL && t->min_processes != 1)
		fprintf(fp, ", at least %zu processes", t->min_processes);
	if (t->sel != PW_SEL_ALL && t->max_processes > 0)
		fprintf(fp, ", at most %zu processes", t->max_processes);
	fprintf(fp, "\n");
}

void
config_describe(const struct config *c, FILE *fp)
{
	size_t i;
	bool v6 = strchr(c->listen_host, ':') != NULL;

	fprintf(fp, "config: %s\n", c->path != NULL ? c->path :
	    "built-in defaults");
	fprintf(fp, "listen: %s%s%s:%u\n", v6 ? "[" : "", c->listen_host,
	    v6 ? "]" : "", (unsigned)c->listen_port);
	fprintf(fp, "connections: at most %u, timeout %u s, request head "
	    "within %u s\n", c->max_connections, c->conn_timeout_s,
	    c->header_timeout_s);
	fprintf(fp, "interval: %u ms\n", c->mon.interval_ms);
	fprintf(fp, "history: %zu samples per process\n", c->mon.history);
	fprintf(fp, "retention: %u ms after a process exits\n",
	    c->mon.retention_ms);
	fprintf(fp, "limits: re-read every %u ms\n", c->mon.limits_every_ms);
	if (c->mon.pss_top > 0)
		fprintf(fp, "pss: the top %u by RSS, every %u ms\n",
		    c->mon.pss_top, c->mon.pss_every_ms);
	else
		fprintf(fp, "pss: off\n");
	fprintf(fp, "oom_killed: resolves %u ms after the last kill\n",
	    c->mon.oom_alert_ms);
	fprintf(fp, "proc root: %s%s%s\n", c->mon.proc_root != NULL ?
	    c->mon.proc_root : "/proc", c->mon.use_libproc2 ?
	    ", libproc2" : "", c->mon.keep_open ? ", descriptors kept open" :
	    "");
	fprintf(fp, "log level: %s\n", c->debug ? "debug" : "info");
	if (c->history_disk)
		fprintf(fp, "history on disk: %s, at most %llu bytes, fsync "
		    "every %u ms, minutes for %u days, hours for %u days\n",
		    c->state_dir, (unsigned long long)c->history_max_bytes,
		    c->history_fsync_ms, c->history_minute_days,
		    c->history_hour_days);
	else
		fprintf(fp, "history on disk: off (memory only)\n");
	if (c->process_metrics == PROCMETRICS_TOP)
		fprintf(fp, "process metrics: the top %u by CPU and by "
		    "memory\n", c->process_metrics_top);
	else
		fprintf(fp, "process metrics: %s\n", c->process_metrics ==
		    PROCMETRICS_NONE ? "none (groups only)" : "all");
	fprintf(fp, "targets: %zu\n", c->ntargets);
	for (i = 0; i < c->ntargets; i++)
		describe_target(&c->targets[i], fp);
}

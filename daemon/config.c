/*
 * daemon/config.c: read, validate and describe procwatchd's JSON config.
 *
 * DESIGN: the parser is driven by tables of known keys (top_keys[] and
 * target_keys[]).  Each row names a key, the JSON types it accepts and
 * either where a plain integer or boolean goes in the destination struct
 * (an offset, with the integer's allowed range) or a handler for anything
 * that needs more checking.  Adding a key is one row, plus a handler if
 * it is not a plain number or flag.  Unknown keys, repeated keys and wrong
 * types are errors: a typo must not silently fall back to a default.
 *
 * Everything is validated before the config is returned, and errors name
 * the file and the field path ("x.json: targets[1].cmdline: ...") in one
 * line, so procwatchd --check-config and a failed reload can print it as
 * is.  Targets are checked in two passes: the first validates each entry
 * and collects the explicit names, the second derives names for the rest
 * (unique against all explicit ones) and initialises the pw_targets.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include <procwatch/cgroup.h>

#include "daemon/config.h"

#define TARGETS_MAX	1024
#define TNAME_MAX	64		/* target name length */
#define COMM_MAX	15		/* TASK_COMM_LEN - 1, see proc(5) */
#define ERR_SNIP	64		/* quote at most this much input */

/* JSON types a key accepts, as a mask. */
#define T_BOOL		0x01
#define T_INT		0x02
#define T_STRING	0x04
#define T_ARRAY		0x08
#define T_OBJECT	0x10
#define T_NUM		(T_INT | 0x20)	/* any finite number, not just integers */

struct parse {
	const char	*file;		/* for messages */
	char		*err;
	size_t		 errlen;
	struct config	*c;
};

struct key;
typedef int key_fn(struct parse *, const struct key *, const char *field,
    const cJSON *v, void *dst);

struct key {
	const char	*name;
	unsigned	 types;		/* T_* mask */
	long long	 min, max;	/* allowed range when T_INT */
	size_t		 off;		/* where to store, when no fn */
	size_t		 size;		/* sizeof the stored field */
	key_fn		*fn;		/* handler; NULL: just store */
};

/* One entry of "targets", as validated by the first pass. */
struct tspec {
	const char	*name;		/* borrowed from JSON; NULL: derive */
	enum pw_selector sel;
	const char	*selkey;	/* JSON key of the selector */
	const char	*arg;		/* for pw_target_init(); borrowed */
	char		 argbuf[24];	/* decimal pid or uid */
	bool		 is_self;	/* "pid": "self" */
	bool		 children;
	size_t		 min_processes;	/* with has_min; else 1 */
	size_t		 max_processes;	/* with has_max; else 0: none */
	bool		 has_min, has_max;
	int		 nsel;
	int		 index;
	struct parse	*p;
};

#define FIELD(type, f)	offsetof(type, f), sizeof(((type *)0)->f)
#define CFG(f)		FIELD(struct config, f)
#define TSP(f)		FIELD(struct tspec, f)

static key_fn	parse_listen, parse_log_level, parse_proc_root,
		parse_targets, parse_rules, parse_receivers, parse_state_dir,
		parse_dygraphs_dir, parse_api_token, parse_api_token_file,
		parse_sources, parse_plugins, parse_tls_cert, parse_tls_key,
		parse_process_metrics;
static key_fn	t_name, t_all, t_pid, t_pidfile, t_comm, t_cmdline, t_user,
		t_cgroup, t_unit, t_procs;

/* Rows: key, JSON types, integer range, where to store / handler. */
#define INT(lo, hi, f)	T_INT, lo, hi, CFG(f), NULL
#define BOOL(f)		T_BOOL, 0, 0, CFG(f), NULL
#define FN(types, fn)	types, 0, 0, 0, 0, fn

static const struct key top_keys[] = {
	{ "listen",		FN(T_STRING, parse_listen) },
	{ "interval_ms",	INT(10, 3600000, mon.interval_ms) },
	{ "history",		INT(2, 1000000, mon.history) },
	{ "retention_ms",	INT(0, 86400000, mon.retention_ms) },
	{ "limits_every_ms",	INT(1000, 86400000, mon.limits_every_ms) },
	{ "keep_open",		BOOL(mon.keep_open) },
	{ "sampler_realtime",	BOOL(mon.realtime) },
	{ "proc_root",		FN(T_STRING, parse_proc_root) },
	{ "use_libproc2",	BOOL(mon.use_libproc2) },
	{ "max_connections",	INT(1, 100000, max_connections) },
	{ "conn_timeout_s",	INT(1, 3600, conn_timeout_s) },
	{ "log_level",		FN(T_STRING, parse_log_level) },
	{ "targets",		FN(T_STRING | T_ARRAY, parse_targets) },
	{ "rules",		FN(T_OBJECT | T_ARRAY, parse_rules) },
	{ "alert_history",	INT(0, 100000, alert_history) },
	{ "state_dir",		FN(T_STRING, parse_state_dir) },
	{ "receivers",		FN(T_ARRAY, parse_receivers) },
	{ "dygraphs_dir",	FN(T_STRING, parse_dygraphs_dir) },
	{ "custom_max_series",	INT(1, 1000000, custom.max_series) },
	{ "custom_history",	INT(2, 100000, custom.history) },
	{ "custom_stale_ms",	INT(1000, 604800000, custom.stale_ms) },
	{ "custom_drop_ms",	INT(1000, 2592000000LL, custom.drop_ms) },
	{ "api_token",		FN(T_STRING, parse_api_token) },
	{ "api_token_file",	FN(T_STRING, parse_api_token_file) },
	{ "auth_reads",		BOOL(auth_reads) },
	{ "sources",		FN(T_ARRAY, parse_sources) },
	{ "plugins",		FN(T_ARRAY, parse_plugins) },
	{ "tls_cert",		FN(T_STRING, parse_tls_cert) },
	{ "tls_key",		FN(T_STRING, parse_tls_key) },
	{ "process_metrics",	FN(T_STRING | T_OBJECT,
				    parse_process_metrics) },
};

/* A pid above PID_MAX_LIMIT (4M) cannot exist; uid -1 means "none". */
static const struct key target_keys[] = {
	{ "name",	FN(T_STRING, t_name) },
	{ "all",	FN(T_BOOL, t_all) },
	{ "pid",	T_INT | T_STRING, 1, 4194304, 0, 0, t_pid },
	{ "pidfile",	FN(T_STRING, t_pidfile) },
	{ "comm",	FN(T_STRING, t_comm) },
	{ "cmdline",	FN(T_STRING, t_cmdline) },
	{ "user",	T_INT | T_STRING, 0, 4294967294LL, 0, 0, t_user },
	{ "cgroup",	FN(T_STRING, t_cgroup) },
	{ "unit",	FN(T_STRING, t_unit) },
	{ "children",	T_BOOL, 0, 0, TSP(children), NULL },
	{ "min_processes", T_INT, 0, 1000000, 0, 0, t_procs },
	{ "max_processes", T_INT, 1, 1000000, 0, 0, t_procs },
};

/* "process_metrics": {"top": N}. */
static const struct key procmetrics_keys[] = {
	{ "top",	INT(1, 10000, process_metrics_top) },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const char *
strerror_xsi(int rc, char *buf)
{
	return rc == 0 ? buf : "unknown error";
}

static const char *
strerror_gnu(char *s, char *buf)
{
	(void)buf;
	return s;
}

/* strerror_r() is the XSI or the GNU one depending on feature macros. */
#define STRERROR(e, buf, len)						\
	_Generic(strerror_r((e), (buf), (len)),				\
	    int: strerror_xsi,						\
	    char *: strerror_gnu)(strerror_r((e), (buf), (len)), (buf))

/*
 * Write "<file>: <field>: <message>" (or "<file>: <message>" when field
 * is NULL) to the caller's err buffer.  Returns -EINVAL for convenience.
 */
static int	perr(struct parse *, const char *field, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

static int
perr(struct parse *p, const char *field, const char *fmt, ...)
{
	char msg[512], *c;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->errlen == 0)
		return -EINVAL;
	if (field != NULL)
		snprintf(p->err, p->errlen, "%s: %s: %s", p->file, field, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->file, msg);
	/* Quoted input may hold control characters: keep it one line. */
	for (c = p->err; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return -EINVAL;
}

static unsigned
jtype(const cJSON *v)
{
	if (cJSON_IsBool(v))
		return T_BOOL;
	if (cJSON_IsNumber(v))
		return T_INT;
	if (cJSON_IsString(v))
		return T_STRING;
	if (cJSON_IsArray(v))
		return T_ARRAY;
	if (cJSON_IsObject(v))
		return T_OBJECT;
	return 0;				/* null, raw, invalid */
}

static const char *
jtype_name(const cJSON *v)
{
	switch (jtype(v)) {
	case T_BOOL:	return "a boolean";
	case T_INT:	return "a number";
	case T_STRING:	return "a string";
	case T_ARRAY:	return "an array";
	case T_OBJECT:	return "an object";
	default:	return "null";
	}
}

static void
types_name(unsigned types, char *buf, size_t len)
{
	static const struct {
		unsigned	 t;
		const char	*name;
	} names[] = {
		{ T_BOOL, "a boolean" }, { T_INT, "an integer" },
		{ T_STRING, "a string" }, { T_ARRAY, "an array" },
		{ T_OBJECT, "an object" },
	};
	size_t i, pos = 0;

	buf[0] = '\0';
	for (i = 0; i < NELEM(names); i++) {
		if ((types & names[i].t) == 0)
			continue;
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s",
		    pos > 0 ? " or " : "", names[i].name);
		if (pos >= len)
			return;
	}
}

static void
store_uint(void *dst, const struct key *k, unsigned long long v)
{
	char *at = (char *)dst + k->off;

	switch (k->size) {
	case sizeof(uint16_t): {
		uint16_t x = (uint16_t)v;
		memcpy(at, &x, sizeof(x));
		break;
	}
	case sizeof(uint32_t): {
		uint32_t x = (uint32_t)v;
		memcpy(at, &x, sizeof(x));
		break;
	}
	case sizeof(uint64_t): {
		uint64_t x = (uint64_t)v;
		memcpy(at, &x, sizeof(x));
		break;
	}
	default:
		abort();			/* a bad row in a key table */
	}
}

/*
 * Walk the members of object `obj`, check each against `keys` and store
 * or dispatch it.  `where` is the field path of obj ("" at top level).
 */
static int
parse_object(struct parse *p, const char *where, const cJSON *obj,
    const struct key *keys, size_t nkeys, void *dst)
{
	char field[128], want[96];
	const struct key *k;
	const cJSON *v, *w;
	size_t i;
	double d;
	int rc;

	cJSON_ArrayForEach(v, obj) {
		for (k = NULL, i = 0; i < nkeys; i++)
			if (strcmp(v->string, keys[i].name) == 0) {
				k = &keys[i];
				break;
			}
		if (k == NULL)
			return perr(p, where[0] != '\0' ? where : NULL,
			    "unknown key \"%.*s\"", ERR_SNIP, v->string);
		if (*where != '\0')
			snprintf(field, sizeof(field), "%s.%s", where, k->name);
		else
			snprintf(field, sizeof(field), "%s", k->name);
		for (w = obj->child; w != v; w = w->next)
			if (strcmp(w->string, v->string) == 0)
				return perr(p, field, "key given more than "
				    "once");

		if ((jtype(v) & k->types) == 0) {
			types_name(k->types, want, sizeof(want));
			return perr(p, field, "expected %s, got %s", want,
			    jtype_name(v));
		}
		if (jtype(v) == T_INT && (k->types & T_NUM) != T_NUM) {
			/* Range first: converting a huge double is UB. */
			d = v->valuedouble;
			if (!(d >= (double)k->min && d <= (double)k->max) ||
			    d != (double)(long long)d)
				return perr(p, field,
				    "must be an integer between %lld and %lld",
				    k->min, k->max);
		}
		if (k->fn != NULL) {
			if ((rc = k->fn(p, k, field, v, dst)) < 0)
				return rc;
		} else if (k->types == T_BOOL) {
			bool b = cJSON_IsTrue(v);
			memcpy((char *)dst + k->off, &b, sizeof(b));
		} else {
			store_uint(dst, k, (unsigned long long)v->valuedouble);
		}
	}
	return 0;
}

/* --- top-level handlers --------------------------------------------------- */

/*
 * "HOST:PORT" where HOST is a dotted quad, "[IPv6]" or "localhost".  No
 * name lookups: the daemon must not depend on DNS to start.
 */
static int
parse_listen(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	const char *s = v->valuestring, *port, *hs;
	char host[INET6_ADDRSTRLEN + 1], *end, *dup;
	unsigned char addr[sizeof(struct in6_addr)];
	struct config *c = dst;
	size_t hlen;
	unsigned long n;
	int af;

	(void)k;
	if (s[0] == '[') {
		hs = s + 1;
		if ((end = strchr(hs, ']')) == NULL || end[1] != ':')
			goto bad_form;
		hlen = (size_t)(end - hs);
		port = end + 2;
		af = AF_INET6;
	} else {
		hs = s;
		if ((port = strrchr(s, ':')) == NULL)
			goto bad_form;
		hlen = (size_t)(port - s);
		port++;
		af = AF_INET;
		if (memchr(hs, ':', hlen) != NULL)
			return perr(p, field, "\"%.*s\": put an IPv6 address "
			    "in brackets, as \"[::1]:9717\"", ERR_SNIP, s);
	}
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad_host;
	memcpy(host, hs, hlen);
	host[hlen] = '\0';
	if (af == AF_INET && strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(af, host, addr) != 1)
		goto bad_host;

	if (port[0] < '0' || port[0] > '9' || strlen(port) > 5)
		goto bad_port;
	n = strtoul(port, &end, 10);
	if (*end != '\0' || n > 65535)
		goto bad_port;

	if ((dup = strdup(host)) == NULL)
		return -ENOMEM;
	free(c->listen_host);
	c->listen_host = dup;
	c->listen_port = (uint16_t)n;
	return 0;

bad_form:
	return perr(p, field, "\"%.*s\": expected \"HOST:PORT\"", ERR_SNIP, s);
bad_host:
	return perr(p, field, "\"%.*s\": host must be a numeric IPv4 address, "
	    "[IPv6 address] or localhost", ERR_SNIP, s);
bad_port:
	return perr(p, field, "\"%.*s\": port must be between 0 and 65535",
	    ERR_SNIP, s);
}

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

/* --- targets -------------------------------------------------------------- */

static bool
name_ok(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++) {
		if (n >= TNAME_MAX)
			return false;
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= 'A' && s[n] <= 'Z') ||
		    (s[n] >= '0' && s[n] <= '9') ||
		    s[n] == '_' || s[n] == '.' || s[n] == '-'))
			return false;
	}
	return n > 0;
}

static int
t_name(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct tspec *ts = dst;

	(void)k;
	if (!name_ok(v->valuestring))
		return perr(p, field, "must be 1 to %d characters of "
		    "A-Z a-z 0-9 _ . -", TNAME_MAX);
	ts->name = v->valuestring;
	return 0;
}

/* Record selector `sel`; a target has exactly one. */
static int
set_sel(struct tspec *ts, const struct key *k, enum pw_selector sel,
    const char *arg)
{
	char where[64];

	if (ts->nsel++ > 0) {
		snprintf(where, sizeof(where), "targets[%d]", ts->index);
		return perr(ts->p, where, "more than one selector (\"%s\" and "
		    "\"%s\"); give exactly one", ts->selkey, k->name);
	}
	ts->sel = sel;
	ts->selkey = k->name;
	ts->arg = arg;
	return 0;
}

static int
t_all(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	if (!cJSON_IsTrue(v))
		return perr(p, field, "must be true (omit it to choose "
		    "another selector)");
	return set_sel(dst, k, PW_SEL_ALL, NULL);
}

static int
t_pid(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct tspec *ts = dst;
	long long pid;

	if (cJSON_IsString(v)) {
		if (strcmp(v->valuestring, "self") != 0)
			return perr(p, field, "must be a positive integer "
			    "or \"self\"");
		ts->is_self = true;
		pid = (long long)getpid();
	} else
		pid = (long long)v->valuedouble;
	snprintf(ts->argbuf, sizeof(ts->argbuf), "%lld", pid);
	return set_sel(ts, k, PW_SEL_PID, ts->argbuf);
}

static int
t_pidfile(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	const char *s = v->valuestring;

	if (s[0] != '/' || s[1] == '\0' || strlen(s) >= PATH_MAX)
		return perr(p, field, "must be an absolute path");
	return set_sel(dst, k, PW_SEL_PIDFILE, s);
}

static int
t_comm(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	size_t n = strlen(v->valuestring);

	if (n == 0 || n > COMM_MAX)
		return perr(p, field, "must be 1 to %d characters (the kernel "
		    "truncates process names to %d)", COMM_MAX, COMM_MAX);
	return set_sel(dst, k, PW_SEL_NAME, v->valuestring);
}

static int
t_cmdline(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	if (v->valuestring[0] == '\0')
		return perr(p, field, "must not be empty");
	/* pw_target_init() compiles it; its regerror() text is reported. */
	return set_sel(dst, k, PW_SEL_CMDLINE, v->valuestring);
}

/* Does user `name` exist?  1 yes, 0 no, or a negative errno. */
static int
user_exists(const char *name)
{
	struct passwd pw, *res = NULL;
	size_t len = 16384;
	char *buf;
	int rc;

	for (;;) {
		if ((buf = malloc(len)) == NULL)
			return -ENOMEM;
		rc = getpwnam_r(name, &pw, buf, len, &res);
		free(buf);
		if (rc != ERANGE || len >= 1024 * 1024)
			break;
		len *= 2;
	}
	if (rc == 0)
		return res != NULL;
	if (rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)
		return 0;		/* "not found", per getpwnam(3) */
	return -rc;
}

static int
t_user(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct tspec *ts = dst;
	const char *s;
	char ebuf[128];
	size_t i;
	int rc;

	if (cJSON_IsNumber(v)) {
		snprintf(ts->argbuf, sizeof(ts->argbuf), "%llu",
		    (unsigned long long)v->valuedouble);
		return set_sel(ts, k, PW_SEL_USER, ts->argbuf);
	}
	s = v->valuestring;
	if (s[0] == '\0')
		return perr(p, field, "must be a user name or uid");
	for (i = 0; s[i] >= '0' && s[i] <= '9'; i++)
		;
	if (s[i] != '\0') {
		if ((rc = user_exists(s)) < 0) {
			if (rc == -ENOMEM)
				return rc;
			return perr(p, field, "cannot look up user \"%.*s\": "
			    "%s", ERR_SNIP, s, STRERROR(-rc, ebuf,
			    sizeof(ebuf)));
		}
		if (rc == 0)
			return perr(p, field, "unknown user \"%.*s\"",
			    ERR_SNIP, s);
	}
	return set_sel(ts, k, PW_SEL_USER, s);
}

/* pw_target_init() checks again; here the reason names the field. */
static int
t_cgroup(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	const char *why;

	if (pw_cgroup_path_check(v->valuestring, &why) < 0)
		return perr(p, field, "invalid cgroup path \"%.*s\": %s",
		    ERR_SNIP, v->valuestring, why);
	return set_sel(dst, k, PW_SEL_CGROUP, v->valuestring);
}

static int
t_unit(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	char unit[PW_UNIT_NAME_MAX];
	const char *why;

	if (pw_unit_name_normalize(v->valuestring, unit, sizeof(unit),
	    &why) < 0)
		return perr(p, field, "invalid unit name \"%.*s\": %s",
		    ERR_SNIP, v->valuestring, why);
	/* The name as written: pw_target_init() adds the suffix. */
	return set_sel(dst, k, PW_SEL_UNIT, v->valuestring);
}

/* "min_processes" and "max_processes"; parse_object() checked the range. */
static int
t_procs(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct tspec *ts = dst;

	(void)p;
	(void)field;
	if (strcmp(k->name, "min_processes") == 0) {
		ts->min_processes = (size_t)v->valuedouble;
		ts->has_min = true;
	} else {
		ts->max_processes = (size_t)v->valuedouble;
		ts->has_max = true;
	}
	return 0;
}

/* Is `name` used by an explicit name or by targets[0..ndone)? */
static bool
name_taken(const struct tspec *specs, size_t n, const struct pw_target *t,
    size_t ndone, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (specs[i].name != NULL && strcmp(specs[i].name, name) == 0)
			return true;
	for (i = 0; i < ndone; i++)
		if (strcmp(t[i].name, name) == 0)
			return true;
	return false;
}

/*
 * Derive a name for a target that has none from its selector value:
 * characters outside [A-Za-z0-9.-] become '_' (runs collapsed, none at
 * either end), then "-2", "-3", ... is added until it is unique.
 */
static void
derive_name(const struct tspec *specs, size_t n, const struct tspec *ts,
    const struct pw_target *t, size_t ndone, char *out, size_t outlen)
{
	char base[TNAME_MAX + 1], raw[TNAME_MAX * 4];
	const char *src, *slash;
	size_t i, j, blen;
	unsigned seq;

	switch (ts->sel) {
	case PW_SEL_ALL:
		snprintf(raw, sizeof(raw), "all");
		break;
	case PW_SEL_PID:
		if (ts->is_self)
			snprintf(raw, sizeof(raw), "self");
		else
			snprintf(raw, sizeof(raw), "pid-%s", ts->arg);
		break;
	case PW_SEL_PIDFILE:
		slash = strrchr(ts->arg, '/');
		snprintf(raw, sizeof(raw), "%s", slash + 1);
		blen = strlen(raw);
		if (blen > 4 && strcmp(raw + blen - 4, ".pid") == 0)
			raw[blen - 4] = '\0';
		break;
	case PW_SEL_USER:
		snprintf(raw, sizeof(raw), "user-%s", ts->arg);
		break;
	case PW_SEL_CGROUP:
		/* Its last component: "/system.slice/x.service" -> x.service */
		blen = strlen(ts->arg);
		while (blen > 1 && ts->arg[blen - 1] == '/')
			blen--;
		for (i = blen; i > 0 && ts->arg[i - 1] != '/'; i--)
			;
		snprintf(raw, sizeof(raw), "%.*s", (int)(blen - i),
		    ts->arg + i);
		break;
	default:
		snprintf(raw, sizeof(raw), "%s", ts->arg);
		break;
	}

	for (src = raw, j = 0; *src != '\0' && j < TNAME_MAX; src++) {
		char ch = *src;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-'))
			ch = '_';
		if (ch == '_' && (j == 0 || base[j - 1] == '_'))
			continue;		/* no leading '_', no runs */
		base[j++] = ch;
	}
	while (j > 0 && base[j - 1] == '_')
		j--;
	base[j] = '\0';
	if (j == 0)
		snprintf(base, sizeof(base), "%s", ts->selkey);

	snprintf(out, outlen, "%s", base);
	for (seq = 2; name_taken(specs, n, t, ndone, out); seq++) {
		char suffix[16];

		snprintf(suffix, sizeof(suffix), "-%u", seq);
		blen = strlen(base);
		i = strlen(suffix);
		if (blen + i > TNAME_MAX)
			blen = TNAME_MAX - i;
		snprintf(out, outlen, "%.*s%s", (int)blen, base, suffix);
	}
}

static void
targets_free(struct pw_target *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		pw_target_fini(&t[i]);
	free(t);
}

/* A single target "all" of PW_SEL_ALL: what "targets": "all" means. */
static int
targets_all(struct pw_target **out, size_t *nout)
{
	struct pw_target *t;
	int rc;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return -ENOMEM;
	if ((rc = pw_target_init(t, "all", PW_SEL_ALL, NULL, false,
	    NULL, 0)) < 0) {
		free(t);
		return rc;
	}
	*out = t;
	*nout = 1;
	return 0;
}

static int
parse_targets(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config *c = dst;
	struct tspec *specs = NULL;
	struct pw_target *t = NULL;
	const cJSON *e;
	char where[64], name[TNAME_MAX + 1], rerr[256];
	size_t n, i, j, ndone = 0;
	int rc;

	(void)k;
	if (cJSON_IsString(v)) {
		if (strcmp(v->valuestring, "all") != 0)
			return perr(p, field, "must be \"all\" or an array of "
			    "target objects");
		if ((rc = targets_all(&t, &n)) < 0)
			return rc;
		goto commit;
	}

	n = (size_t)cJSON_GetArraySize(v);
	if (n == 0)
		return perr(p, field, "must not be empty; use \"all\"");
	if (n > TARGETS_MAX)
		return perr(p, field, "too many targets (at most %d)",
		    TARGETS_MAX);
	if ((specs = calloc(n, sizeof(*specs))) == NULL)
		return -ENOMEM;

	/* Pass 1: validate each entry and its explicit name. */
	i = 0;
	cJSON_ArrayForEach(e, v) {
		struct tspec *ts = &specs[i];

		snprintf(where, sizeof(where), "targets[%zu]", i);
		ts->index = (int)i;
		ts->p = p;
		if (!cJSON_IsObject(e)) {
			rc = perr(p, where, "expected an object, got %s",
			    jtype_name(e));
			goto out_specs;
		}
		if ((rc = parse_object(p, where, e, target_keys,
		    NELEM(target_keys), ts)) < 0)
			goto out_specs;
		if (ts->nsel == 0) {
			rc = perr(p, where, "no selector; give one of \"all\", "
			    "\"pid\", \"pidfile\", \"comm\", \"cmdline\", "
			    "\"user\", \"cgroup\", \"unit\"");
			goto out_specs;
		}
		/* "all" is never handed to process_down: say so. */
		if (ts->sel == PW_SEL_ALL && (ts->has_min || ts->has_max)) {
			snprintf(where, sizeof(where), "targets[%zu].%s", i,
			    ts->has_min ? "min_processes" : "max_processes");
			rc = perr(p, where, "not for an \"all\" target (every "
			    "process): give it to a target with a selector");
			goto out_specs;
		}
		if (ts->has_min && ts->has_max &&
		    ts->max_processes < ts->min_processes) {
			snprintf(where, sizeof(where),
			    "targets[%zu].max_processes", i);
			rc = perr(p, where, "must be at least min_processes "
			    "(%zu)", ts->min_processes);
			goto out_specs;
		}
		for (j = 0; ts->name != NULL && j < i; j++)
			if (specs[j].name != NULL &&
			    strcmp(specs[j].name, ts->name) == 0) {
				snprintf(where, sizeof(where),
				    "targets[%zu].name", i);
				rc = perr(p, where, "duplicate target name "
				    "\"%s\" (also targets[%zu])", ts->name, j);
				goto out_specs;
			}
		i++;
	}

	/* Pass 2: names for the rest, then the targets themselves. */
	if ((t = calloc(n, sizeof(*t))) == NULL) {
		rc = -ENOMEM;
		goto out_specs;
	}
	for (ndone = 0; ndone < n; ndone++) {
		struct tspec *ts = &specs[ndone];

		if (ts->name != NULL)
			snprintf(name, sizeof(name), "%s", ts->name);
		else
			derive_name(specs, n, ts, t, ndone, name, sizeof(name));
		rerr[0] = '\0';
		rc = pw_target_init(&t[ndone], name, ts->sel, ts->arg,
		    ts->children, rerr, sizeof(rerr));
		if (rc == -ENOMEM)
			goto out_targets;
		if (rc < 0) {
			snprintf(where, sizeof(where), "targets[%zu].%s",
			    ndone, ts->selkey);
			/* Don't repeat a "bad regex: " that target.c added. */
			if (ts->sel == PW_SEL_CMDLINE)
				rc = perr(p, where, "bad regex: %s",
				    rerr[0] == '\0' ? "cannot compile" :
				    strncmp(rerr, "bad regex: ", 11) == 0 ?
				    rerr + 11 : rerr);
			else
				rc = perr(p, where, "invalid value%s%s",
				    rerr[0] != '\0' ? ": " : "", rerr);
			goto out_targets;
		}
		if (ts->has_min)
			t[ndone].min_processes = ts->min_processes;
		if (ts->has_max)
			t[ndone].max_processes = ts->max_processes;
	}
	free(specs);

commit:
	targets_free(c->targets, c->ntargets);
	c->targets = t;
	c->ntargets = n;
	return 0;

out_targets:
	targets_free(t, ndone);
out_specs:
	free(specs);
	return rc;
}

/* --- alert rules and receivers -------------------------------------------- */

#define RULES_MAX	256
#define RECEIVERS_MAX	32
#define HEADERS_MAX	32

/* One entry of "rules.custom" while it is parsed. */
struct rspec {
	struct pw_rule	 r;		/* strings owned */
	bool		 has_op, has_threshold, has_window, has_scope,
			 has_severity;
	const cJSON	*targets;	/* checked once targets are known */
};

/* At least the number of built-in rules (test_config checks). */
#define BUILTIN_MAX	8

/* "rules" while it is parsed. */
struct rulesspec {
	int		 all;		/* "builtin": true/false; -1 unset */
	int		 on[BUILTIN_MAX];	/* per built-in; -1 unset */
	/* From the object form {"for": ..., "severity": ...}. */
	int64_t		 for_ms[BUILTIN_MAX];	/* 0: the built-in's */
	int		 severity[BUILTIN_MAX];	/* -1: the built-in's */
	struct rspec	*custom;
	size_t		 ncustom;
};

static key_fn	r_name, r_metric, r_op, r_number, r_for, r_agg, r_window,
		r_severity, r_targets, r_message, r_scope, rules_builtin,
		rules_custom;
static key_fn	rc_name, rc_url, rc_exec, rc_format, rc_headers, rc_secret,
		rc_severity;

#define RSP(f)		FIELD(struct rspec, f)
#define RCV(f)		FIELD(struct config_receiver, f)

static const struct key rule_keys[] = {
	{ "name",	FN(T_STRING, r_name) },
	{ "metric",	FN(T_STRING, r_metric) },
	{ "op",		FN(T_STRING, r_op) },
	{ "threshold",	FN(T_NUM, r_number) },
	{ "clear",	FN(T_NUM, r_number) },
	{ "for",	FN(T_NUM | T_STRING, r_for) },
	{ "aggregate",	FN(T_STRING, r_agg) },
	{ "window",	FN(T_NUM | T_STRING, r_window) },
	{ "severity",	FN(T_STRING, r_severity) },
	{ "targets",	FN(T_ARRAY, r_targets) },
	{ "message",	FN(T_STRING, r_message) },
	{ "scope",	FN(T_STRING, r_scope) },
};

/* A built-in's object form: "high_cpu": {"for": "30s"}. */
static const struct key builtin_keys[] = {
	{ "for",	FN(T_NUM | T_STRING, r_for) },
	{ "severity",	FN(T_STRING, r_severity) },
};

static const struct key rules_keys[] = {
	{ "builtin",	FN(T_BOOL | T_OBJECT, rules_builtin) },
	{ "custom",	FN(T_ARRAY, rules_custom) },
};

static const struct key receiver_keys[] = {
	{ "name",		FN(T_STRING, rc_name) },
	{ "url",		FN(T_STRING, rc_url) },
	{ "exec",		FN(T_ARRAY, rc_exec) },
	{ "format",		FN(T_STRING, rc_format) },
	{ "headers",		FN(T_OBJECT, rc_headers) },
	{ "secret",		FN(T_STRING, rc_secret) },
	{ "min_severity",	FN(T_STRING, rc_severity) },
	{ "send_resolved",	T_BOOL, 0, 0, RCV(send_resolved), NULL },
	{ "timeout_ms",		T_INT, 10, 600000, RCV(timeout_ms), NULL },
	{ "resend_ms",		T_INT, 1000, 86400000, RCV(resend_ms), NULL },
	{ "max_age_ms",		T_INT, 0, 604800000, RCV(max_age_ms), NULL },
	{ "backoff_ms",		T_INT, 10, 3600000, RCV(backoff_ms), NULL },
	{ "backoff_max_ms",	T_INT, 10, 86400000, RCV(backoff_max_ms),
	    NULL },
	{ "queue_max",		T_INT, 1, 1000000, RCV(queue_max), NULL },
};

static int
dup_str(char **dst, const char *s)
{
	char *d;

	if ((d = strdup(s)) == NULL)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

static int
r_name(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (!name_ok(v->valuestring))
		return perr(p, field, "must be 1 to %d characters of "
		    "A-Z a-z 0-9 _ . -", TNAME_MAX);
	return dup_str(&((struct rspec *)dst)->r.name, v->valuestring);
}

static int
r_metric(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (!pw_rule_metric_valid(v->valuestring))
		return perr(p, field, "unknown metric \"%.*s\" (a sample key "
		    "such as cpu_percent, memory_percent, rss_bytes, "
		    "open_fds, threads; fd_usage; <counter>_rate; processes "
		    "of a group; or a custom series, custom:NAME)",
		    ERR_SNIP, v->valuestring);
	return dup_str(&((struct rspec *)dst)->r.metric, v->valuestring);
}

static int
r_op(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct rspec *rs = dst;

	(void)k;
	if (pw_rule_op_parse(v->valuestring, &rs->r.op) < 0)
		return perr(p, field, "must be one of > >= < <=");
	rs->has_op = true;
	return 0;
}

static int
r_number(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct rspec *rs = dst;
	double d = v->valuedouble;

	if (!(d > -1e300 && d < 1e300))
		return perr(p, field, "must be a finite number");
	if (strcmp(k->name, "threshold") == 0) {
		rs->r.threshold = d;
		rs->has_threshold = true;
	} else {
		rs->r.clear = d;
		rs->r.has_clear = true;
	}
	return 0;
}

/*
 * A duration: an integer number of milliseconds, or a string of digits
 * with a unit, "500ms", "30s", "5m", "1h".  0 or -EINVAL.
 */
static int
parse_duration(const cJSON *v, int64_t *ms)
{
	const char *s;
	char *end;
	unsigned long long n;
	int64_t mul;

	if (cJSON_IsNumber(v)) {
		if (!(v->valuedouble >= 0 && v->valuedouble <= 1e12))
			return -EINVAL;	/* converting a huge double is UB */
		*ms = (int64_t)v->valuedouble;
		return 0;
	}
	s = v->valuestring;
	if (s[0] < '0' || s[0] > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || n > 1000000000ULL)
		return -EINVAL;
	if (strcmp(end, "ms") == 0)
		mul = 1;
	else if (strcmp(end, "s") == 0)
		mul = 1000;
	else if (strcmp(end, "m") == 0)
		mul = 60000;
	else if (strcmp(end, "h") == 0)
		mul = 3600000;
	else
		return -EINVAL;
	*ms = (int64_t)n * mul;
	return 0;
}

static int
r_for(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	int64_t ms;

	(void)k;
	if (parse_duration(v, &ms) < 0 || ms < 0 || ms > 604800000)
		return perr(p, field, "must be a duration up to 7 days: "
		    "milliseconds, or a string like \"500ms\", \"30s\", "
		    "\"5m\", \"1h\"");
	((struct rspec *)dst)->r.for_ms = ms;
	return 0;
}

static int
r_window(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct rspec *rs = dst;
	int64_t ms;

	(void)k;
	if (parse_duration(v, &ms) < 0 || ms < 1 || ms > 86400000)
		return perr(p, field, "must be a duration from 1ms to 1 day: "
		    "milliseconds, or a string like \"30s\", \"1m\"");
	rs->r.window_ms = ms;
	rs->has_window = true;
	return 0;
}

static int
r_agg(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct rspec *rs = dst;

	(void)k;
	if (pw_agg_parse(v->valuestring, &rs->r.agg) < 0 ||
	    rs->r.agg == PW_AGG_NONE)
		return perr(p, field, "must be one of avg max min");
	return 0;
}

static int
r_severity(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (pw_alert_severity_parse(v->valuestring,
	    &((struct rspec *)dst)->r.severity) < 0)
		return perr(p, field, "must be one of info warning critical");
	((struct rspec *)dst)->has_severity = true;
	return 0;
}

static int
r_scope(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct rspec *rs = dst;

	(void)k;
	if (pw_rule_scope_parse(v->valuestring, &rs->r.scope) < 0)
		return perr(p, field, "must be \"process\" or \"group\"");
	rs->has_scope = true;
	return 0;
}

static int
r_targets(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct rspec *rs = dst;
	const cJSON *e;
	size_t i = 0;

	(void)k;
	cJSON_ArrayForEach(e, v) {
		if (!cJSON_IsString(e))
			return perr(p, field, "[%zu]: expected a target name, "
			    "got %s", i, jtype_name(e));
		i++;
	}
	if (i == 0)
		return perr(p, field, "must not be empty; omit it for every "
		    "target");
	rs->targets = v;
	return 0;
}

static int
r_message(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	size_t at;

	(void)k;
	if (strlen(v->valuestring) >= PW_RULE_MESSAGE_MAX)
		return perr(p, field, "longer than %d bytes",
		    PW_RULE_MESSAGE_MAX - 1);
	if (pw_rule_template_check(v->valuestring, &at) < 0)
		return perr(p, field, "unknown placeholder at offset %zu "
		    "(use {value}, {value:.1f}, {threshold}, {clear}, "
		    "{metric}, {name}, {pid}, {target}, {rule}, {severity}; "
		    "{{ for a brace)", at);
	return dup_str(&((struct rspec *)dst)->r.message, v->valuestring);
}

static int
rules_builtin(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct rulesspec *rs = dst;
	struct rspec opt;
	const cJSON *e;
	const char *name;
	char where[128], names[256];
	size_t i, pos;
	int rc;

	(void)k;
	if (cJSON_IsBool(v)) {
		rs->all = cJSON_IsTrue(v);
		return 0;
	}
	cJSON_ArrayForEach(e, v) {
		snprintf(where, sizeof(where), "%s.%.*s", field, ERR_SNIP,
		    e->string);
		for (i = 0; (name = pw_rule_builtin_name(i)) != NULL; i++)
			if (strcmp(name, e->string) == 0)
				break;
		if (name == NULL || i >= NELEM(rs->on)) {
			names[0] = '\0';
			for (i = pos = 0; (name = pw_rule_builtin_name(i)) !=
			    NULL && pos < sizeof(names); i++)
				pos += (size_t)snprintf(names + pos,
				    sizeof(names) - pos, "%s%s", i > 0 ?
				    ", " : "", name);
			return perr(p, where, "unknown built-in rule (%s)",
			    names);
		}
		if (cJSON_IsBool(e)) {
			rs->on[i] = cJSON_IsTrue(e);
			continue;
		}
		if (!cJSON_IsObject(e))
			return perr(p, where, "expected a boolean or an object "
			    "such as {\"for\": \"30s\"}, got %s",
			    jtype_name(e));
		/* The object form enables it, with these settings. */
		memset(&opt, 0, sizeof(opt));
		if ((rc = parse_object(p, where, e, builtin_keys,
		    NELEM(builtin_keys), &opt)) < 0)
			return rc;
		rs->on[i] = 1;
		rs->for_ms[i] = opt.r.for_ms;
		rs->severity[i] = opt.has_severity ? (int)opt.r.severity : -1;
	}
	return 0;
}

/*
 * Does the rule's metric exist with its scope?  A group has no fd_limit
 * and no custom series; "processes" is a group's only; "target_NAME" is
 * NAME with scope group, so "scope": "process" contradicts it.
 */
static int
rule_scope_check(struct parse *p, const char *where, const struct rspec *rs)
{
	char field[128];
	const char *m = rs->r.metric;

	if (rs->r.scope == PW_SCOPE_GROUP) {
		if (pw_rule_metric_scope_valid(m, PW_SCOPE_GROUP))
			return 0;
		snprintf(field, sizeof(field), "%s.scope", where);
		return perr(p, field, "metric \"%s\" has no group value "
		    "(fd_limit and custom series are per process); use "
		    "fd_usage, or \"scope\": \"process\"", m);
	}
	if (!pw_rule_metric_scope_valid(m, PW_SCOPE_PROCESS)) {
		snprintf(field, sizeof(field), "%s.metric", where);
		return perr(p, field, "\"%s\" is a metric of a group: add "
		    "\"scope\": \"group\"", m);
	}
	if (rs->has_scope && strncmp(m, "target_", 7) == 0) {
		snprintf(field, sizeof(field), "%s.scope", where);
		return perr(p, field, "metric \"%s\" is of a group (it means "
		    "\"%s\" with \"scope\": \"group\"); drop \"scope\"",
		    m, m + 7);
	}
	return 0;
}

static void
rspecs_free(struct rspec *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		pw_rule_fini(&r[i].r);
	free(r);
}

static int
rules_custom(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct rulesspec *rsp = dst;
	struct rspec *specs;
	const cJSON *e;
	char where[64];
	size_t n, i = 0, j;
	int rc;

	(void)k;
	if ((n = (size_t)cJSON_GetArraySize(v)) > RULES_MAX)
		return perr(p, field, "too many rules (at most %d)",
		    RULES_MAX);
	if ((specs = calloc(n ? n : 1, sizeof(*specs))) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v) {
		struct rspec *rs = &specs[i];

		snprintf(where, sizeof(where), "%s[%zu]", field, i);
		rs->r.severity = PW_ASEV_WARNING;
		i++;
		if (!cJSON_IsObject(e)) {
			rc = perr(p, where, "expected an object, got %s",
			    jtype_name(e));
			goto out;
		}
		if ((rc = parse_object(p, where, e, rule_keys,
		    NELEM(rule_keys), rs)) < 0)
			goto out;
		rc = -EINVAL;
		if (rs->r.name == NULL) {
			perr(p, where, "missing \"name\"");
			goto out;
		}
		if (rs->r.metric == NULL) {
			perr(p, where, "missing \"metric\"");
			goto out;
		}
		if (!rs->has_op) {
			perr(p, where, "missing \"op\" (one of > >= < <=)");
			goto out;
		}
		if (!rs->has_threshold) {
			perr(p, where, "missing \"threshold\"");
			goto out;
		}
		if ((rs->r.agg != PW_AGG_NONE) != rs->has_window) {
			perr(p, where, "\"aggregate\" and \"window\" go "
			    "together");
			goto out;
		}
		if ((rc = rule_scope_check(p, where, rs)) < 0)
			goto out;
		rc = -EINVAL;
		/* The clear line must lie on the safe side of the threshold. */
		if (rs->r.has_clear && ((rs->r.op <= PW_OP_GE &&
		    rs->r.clear > rs->r.threshold) || (rs->r.op >= PW_OP_LT &&
		    rs->r.clear < rs->r.threshold))) {
			snprintf(where, sizeof(where), "%s[%zu].clear", field,
			    i - 1);
			perr(p, where, "must be on the other side of the "
			    "threshold (%s %g)", rs->r.op <= PW_OP_GE ?
			    "<=" : ">=", rs->r.threshold);
			goto out;
		}
		for (j = 0; j + 1 < i; j++)
			if (strcmp(specs[j].r.name, rs->r.name) == 0) {
				snprintf(where, sizeof(where), "%s[%zu].name",
				    field, i - 1);
				perr(p, where, "duplicate rule name \"%s\"",
				    rs->r.name);
				goto out;
			}
	}
	rspecs_free(rsp->custom, rsp->ncustom);
	rsp->custom = specs;
	rsp->ncustom = n;
	return 0;
out:
	rspecs_free(specs, i);
	return rc;
}

static void
rules_free(struct pw_rule *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		pw_rule_fini(&r[i]);
	free(r);
}

/* The enabled built-ins, then `custom` (moved, not copied). */
static int
rules_build(struct parse *p, const struct rulesspec *rs, struct pw_rule **out,
    size_t *nout)
{
	struct pw_rule *r;
	const char *name;
	size_t i, j, n = 0;
	bool on;
	int rc;

	if ((r = calloc(BUILTIN_MAX + rs->ncustom, sizeof(*r))) == NULL)
		return -ENOMEM;
	for (i = 0; (name = pw_rule_builtin_name(i)) != NULL &&
	    i < BUILTIN_MAX; i++) {
		on = rs->on[i] >= 0 ? rs->on[i] : rs->all >= 0 ? rs->all :
		    rs->ncustom == 0;
		if (!on)
			continue;
		for (j = 0; j < rs->ncustom; j++)
			if (strcmp(rs->custom[j].r.name, name) == 0) {
				rules_free(r, n);
				return perr(p, "rules.custom", "rule name \"%s\" "
				    "is a built-in rule that is enabled",
				    name);
			}
		if ((rc = pw_rule_builtin(name, &r[n])) < 0) {
			rules_free(r, n);
			return rc;
		}
		r[n].for_ms = rs->for_ms[i];
		if (rs->severity[i] >= 0)
			r[n].severity = (enum pw_alert_severity)rs->severity[i];
		n++;
	}
	for (j = 0; j < rs->ncustom; j++) {
		r[n++] = rs->custom[j].r;
		memset(&rs->custom[j].r, 0, sizeof(rs->custom[j].r));
	}
	*out = r;
	*nout = n;
	return 0;
}

/* Resolve "targets" of each custom rule against the configured targets. */
static int
rules_targets(struct parse *p, struct rulesspec *rs, const struct config *c)
{
	const cJSON *e;
	char where[64];
	size_t i, j, n, t;
	struct pw_rule *r;

	for (i = 0; i < rs->ncustom; i++) {
		if (rs->custom[i].targets == NULL)
			continue;
		r = &rs->custom[i].r;
		n = (size_t)cJSON_GetArraySize(rs->custom[i].targets);
		if ((r->targets = calloc(n, sizeof(*r->targets))) == NULL)
			return -ENOMEM;
		j = 0;
		cJSON_ArrayForEach(e, rs->custom[i].targets) {
			for (t = 0; t < c->ntargets; t++)
				if (strcmp(c->targets[t].name,
				    e->valuestring) == 0)
					break;
			/* No "targets": the implicit one is "all". */
			if (c->ntargets == 0 ? strcmp(e->valuestring,
			    "all") != 0 : t == c->ntargets) {
				snprintf(where, sizeof(where),
				    "rules.custom[%zu].targets[%zu]", i, j);
				return perr(p, where, "unknown target \"%.*s\"",
				    ERR_SNIP, e->valuestring);
			}
			if ((r->targets[j] = strdup(e->valuestring)) == NULL)
				return -ENOMEM;
			r->ntargets = ++j;
		}
	}
	return 0;
}

/*
 * "rules": {"builtin": true|false|{"high_cpu": false, ...}, "custom":
 * [...]}, or an array as a short form of "custom".  Built-ins are on
 * unless custom rules are given; "builtin" switches them on or off.
 */
static int
parse_rules(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config *c = dst;
	struct rulesspec rs;
	struct pw_rule *r = NULL;
	const cJSON *w;
	size_t i, n = 0;
	int rc;

	memset(&rs, 0, sizeof(rs));
	rs.all = -1;
	for (i = 0; i < NELEM(rs.on); i++)
		rs.on[i] = rs.severity[i] = -1;
	if (cJSON_IsArray(v))
		rc = rules_custom(p, k, field, v, &rs);
	else
		rc = parse_object(p, field, v, rules_keys, NELEM(rules_keys),
		    &rs);
	if (rc < 0)
		goto out;
	/* Rules name targets: parse "targets" now if it comes later. */
	for (w = v->next; c->ntargets == 0 && w != NULL; w = w->next)
		if (strcmp(w->string, "targets") == 0 &&
		    (jtype(w) & (T_STRING | T_ARRAY)) != 0 &&
		    (rc = parse_targets(p, k, "targets", w, c)) < 0)
			goto out;
	if ((rc = rules_targets(p, &rs, c)) < 0)
		goto out;
	if ((rc = rules_build(p, &rs, &r, &n)) < 0)
		goto out;
	rules_free(c->rules, c->nrules);
	c->rules = r;
	c->nrules = n;
	c->rules_set = true;
out:
	rspecs_free(rs.custom, rs.ncustom);
	return rc;
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

static int
rc_name(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (!name_ok(v->valuestring))
		return perr(p, field, "must be 1 to %d characters of "
		    "A-Z a-z 0-9 _ . -", TNAME_MAX);
	return dup_str(&((struct config_receiver *)dst)->name,
	    v->valuestring);
}

static int
rc_url(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	const char *s = v->valuestring;

	(void)k;
	if ((strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) ||
	    strlen(s) > 2048 || strpbrk(s, " \t\r\n") != NULL)
		return perr(p, field, "must be an http:// or https:// URL");
	return dup_str(&((struct config_receiver *)dst)->url, s);
}

static int
rc_exec(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config_receiver *r = dst;
	const cJSON *e;
	char **argv;
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0;

	(void)k;
	if (n == 0 || n > 64)
		return perr(p, field, "must be a command and its arguments (1 "
		    "to 64 strings)");
	cJSON_ArrayForEach(e, v)
		if (!cJSON_IsString(e))
			return perr(p, field, "expected strings, got %s",
			    jtype_name(e));
	if (v->child->valuestring[0] != '/')
		return perr(p, field, "[0]: the command must be an absolute "
		    "path");
	if ((argv = calloc(n + 1, sizeof(*argv))) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v)
		if ((argv[i++] = strdup(e->valuestring)) == NULL) {
			while (i-- > 0)
				free(argv[i]);
			free(argv);
			return -ENOMEM;
		}
	r->argv = argv;
	r->format = RECV_EXEC;
	return 0;
}

static int
rc_format(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config_receiver *r = dst;

	(void)k;
	if (strcmp(v->valuestring, "procwatch") == 0)
		r->format = RECV_PROCWATCH;
	else if (strcmp(v->valuestring, "alertmanager") == 0)
		r->format = RECV_ALERTMANAGER;
	else
		return perr(p, field, "must be \"procwatch\" or "
		    "\"alertmanager\"");
	return 0;
}

static int
rc_headers(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config_receiver *r = dst;
	const cJSON *e;
	char where[128];
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0, len;

	(void)k;
	if (n > HEADERS_MAX)
		return perr(p, field, "too many headers (at most %d)",
		    HEADERS_MAX);
	cJSON_ArrayForEach(e, v) {
		snprintf(where, sizeof(where), "%s.%s", field, e->string);
		if (!cJSON_IsString(e))
			return perr(p, where, "expected a string, got %s",
			    jtype_name(e));
		if (e->string[0] == '\0' || strpbrk(e->string,
		    ": \t\r\n") != NULL || strpbrk(e->valuestring, "\r\n"))
			return perr(p, where, "bad header name or value");
	}
	if ((r->headers = calloc(n ? n : 1, sizeof(*r->headers))) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v) {
		len = strlen(e->string) + strlen(e->valuestring) + 3;
		if ((r->headers[i] = malloc(len)) == NULL)
			return -ENOMEM;		/* config_free() frees */
		snprintf(r->headers[i], len, "%s: %s", e->string,
		    e->valuestring);
		r->nheaders = ++i;
	}
	return 0;
}

static int
rc_secret(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (v->valuestring[0] == '\0')
		return perr(p, field, "must not be empty");
	return dup_str(&((struct config_receiver *)dst)->secret,
	    v->valuestring);
}

static int
rc_severity(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (pw_alert_severity_parse(v->valuestring,
	    &((struct config_receiver *)dst)->min_severity) < 0)
		return perr(p, field, "must be one of info warning critical");
	return 0;
}

static void
receivers_free(struct config_receiver *r, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		free(r[i].name);
		free(r[i].url);
		for (j = 0; r[i].argv != NULL && r[i].argv[j] != NULL; j++)
			free(r[i].argv[j]);
		free(r[i].argv);
		for (j = 0; j < r[i].nheaders; j++)
			free(r[i].headers[j]);
		free(r[i].headers);
		free(r[i].secret);
	}
	free(r);
}

static int
parse_receivers(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config *c = dst;
	struct config_receiver *r, *cur;
	const cJSON *e;
	char where[64];
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0, j;
	int rc;

	(void)k;
	if (n > RECEIVERS_MAX)
		return perr(p, field, "too many receivers (at most %d)",
		    RECEIVERS_MAX);
	if ((r = calloc(n ? n : 1, sizeof(*r))) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v) {
		snprintf(where, sizeof(where), "receivers[%zu]", i);
		cur = &r[i++];
		cur->timeout_ms = 5000;
		cur->send_resolved = true;
		cur->resend_ms = 60000;
		cur->max_age_ms = 3600000;
		cur->backoff_ms = 500;
		cur->backoff_max_ms = 60000;
		cur->queue_max = 1000;
		if (!cJSON_IsObject(e)) {
			rc = perr(p, where, "expected an object, got %s",
			    jtype_name(e));
			goto out;
		}
		if ((rc = parse_object(p, where, e, receiver_keys,
		    NELEM(receiver_keys), cur)) < 0)
			goto out;
		rc = -EINVAL;
		if (cur->name == NULL) {
			perr(p, where, "missing \"name\"");
			goto out;
		}
		if ((cur->url == NULL) == (cur->argv == NULL)) {
			perr(p, where, "give exactly one of \"url\" and "
			    "\"exec\"");
			goto out;
		}
		if (cur->argv != NULL && (cJSON_GetObjectItem(e, "format") ||
		    cur->nheaders > 0 || cur->secret != NULL)) {
			perr(p, where, "\"exec\" takes no \"format\", "
			    "\"headers\" or \"secret\"");
			goto out;
		}
		if (cur->backoff_max_ms < cur->backoff_ms) {
			snprintf(where, sizeof(where),
			    "receivers[%zu].backoff_max_ms", i - 1);
			perr(p, where, "must not be below backoff_ms");
			goto out;
		}
		for (j = 0; j + 1 < i; j++)
			if (strcmp(r[j].name, cur->name) == 0) {
				snprintf(where, sizeof(where),
				    "receivers[%zu].name", i - 1);
				perr(p, where, "duplicate receiver name \"%s\"",
				    cur->name);
				goto out;
			}
	}
	receivers_free(c->receivers, c->nreceivers);
	c->receivers = r;
	c->nreceivers = n;
	return 0;
out:
	receivers_free(r, i);
	return rc;
}

/* --- custom metrics: token, exec sources, plugins ------------------------- */

#define TOKEN_MAX	256
#define SOURCES_MAX	64
#define PLUGINS_MAX	32
#define PLUGIN_KV_MAX	64

/* 16 to TOKEN_MAX printable ASCII bytes without spaces. */
static int
token_set(struct parse *p, const char *field, const char *tok, size_t n)
{
	struct config *c = p->c;
	size_t i;

	if (c->api_token != NULL)
		return perr(p, field, "give only one of api_token and "
		    "api_token_file");
	if (n < 16 || n > TOKEN_MAX)
		return perr(p, field, "the token must be 16 to %d bytes",
		    TOKEN_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)tok[i] <= 0x20 ||
		    (unsigned char)tok[i] >= 0x7f)
			return perr(p, field, "the token must be printable "
			    "ASCII without spaces");
	if ((c->api_token = strndup(tok, n)) == NULL)
		return -ENOMEM;
	return 0;
}

static int
parse_api_token(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	(void)dst;
	return token_set(p, field, v->valuestring, strlen(v->valuestring));
}

/* The file must be ours and unreadable by anyone else. */
static int
parse_api_token_file(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	const char *path = v->valuestring;
	char buf[TOKEN_MAX + 2];
	struct stat st;
	ssize_t n;
	int fd, rc;

	(void)k;
	(void)dst;
	if (path[0] != '/')
		return perr(p, field, "must be an absolute path");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		rc = errno;
		return perr(p, field, "%.*s: %s", ERR_SNIP, path,
		    strerror(rc));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return perr(p, field, "%.*s: not a regular file", ERR_SNIP,
		    path);
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return perr(p, field, "%.*s: owned by uid %lu, not by the "
		    "daemon's user (uid %lu)", ERR_SNIP, path,
		    (unsigned long)st.st_uid, (unsigned long)geteuid());
	}
	if (st.st_mode & 077) {
		close(fd);
		return perr(p, field, "%.*s: readable or writable by group or "
		    "others (mode %03o); chmod 600 it", ERR_SNIP, path,
		    (unsigned)(st.st_mode & 0777));
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return perr(p, field, "%.*s: cannot read", ERR_SNIP, path);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	rc = token_set(p, field, buf, (size_t)n);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* --- TLS -------------------------------------------------------------------- */

#define PEM_MAX		(256 * 1024)

/*
 * Read a PEM file whole (libmicrohttpd takes certificate and key from
 * memory).  A key must be ours and closed to group and others, as the
 * token file is.
 */
static int
read_pem(struct parse *p, const char *field, const char *path, bool is_key,
    char **out)
{
	struct stat st;
	ssize_t n;
	size_t len = 0;
	char *buf;
	int fd, rc;

	if (*out != NULL)
		return perr(p, field, "given twice");
	if (path[0] != '/')
		return perr(p, field, "must be an absolute path");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = errno;
		return perr(p, field, "%.*s: %s", ERR_SNIP, path,
		    strerror(rc));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > PEM_MAX) {
		close(fd);
		return perr(p, field, "%.*s: not a regular file under 256 KiB",
		    ERR_SNIP, path);
	}
	if (is_key && (st.st_uid != geteuid() || (st.st_mode & 077))) {
		close(fd);
		return perr(p, field, "%.*s: a private key must be owned by "
		    "the daemon's user and not open to group or others "
		    "(mode %03o); chmod 600 it", ERR_SNIP, path,
		    (unsigned)(st.st_mode & 0777));
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (len < (size_t)st.st_size &&
	    (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	if (strstr(buf, "-----BEGIN ") == NULL) {
		explicit_bzero(buf, len);
		free(buf);
		return perr(p, field, "%.*s: not a PEM file", ERR_SNIP, path);
	}
	*out = buf;
	return 0;
}

static int
parse_tls_cert(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	(void)dst;
	return read_pem(p, field, v->valuestring, false, &p->c->tls_cert_pem);
}

static int
parse_tls_key(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	(void)dst;
	return read_pem(p, field, v->valuestring, true, &p->c->tls_key_pem);
}

int
config_check_path(const char *path, char *why, size_t whylen)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (path[0] != '/' || strlen(path) >= sizeof(dir)) {
		snprintf(why, whylen, "must be an absolute path");
		return -EINVAL;
	}
	if (stat(path, &st) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		return -EPERM;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(why, whylen, "owned by uid %lu, neither root nor us",
		    (unsigned long)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & 022) {
		snprintf(why, whylen, "writable by group or others (mode "
		    "%03o)", (unsigned)(st.st_mode & 0777));
		return -EPERM;
	}
	memcpy(dir, path, strlen(path) + 1);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) < 0 || (st.st_mode & 022)) {
		snprintf(why, whylen, "in a directory writable by group or "
		    "others (%s)", dir);
		return -EPERM;
	}
	return 0;
}

#define SRC(f)	FIELD(struct config_source, f)

static key_fn	src_type, src_name, src_command, src_target;

static const struct key source_keys[] = {
	{ "type",		FN(T_STRING, src_type) },
	{ "name",		FN(T_STRING, src_name) },
	{ "command",		FN(T_ARRAY, src_command) },
	{ "interval_ms",	T_INT, 100, 86400000, SRC(interval_ms), NULL },
	{ "timeout_ms",		T_INT, 10, 3600000, SRC(timeout_ms), NULL },
	{ "target",		FN(T_STRING, src_target) },
};

static int
src_type(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	(void)dst;
	if (strcmp(v->valuestring, "exec") != 0)
		return perr(p, field, "must be \"exec\"");
	return 0;
}

static int
src_name(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (!name_ok(v->valuestring))
		return perr(p, field, "must be 1 to %d characters of "
		    "A-Z a-z 0-9 _ . -", TNAME_MAX);
	return dup_str(&((struct config_source *)dst)->name, v->valuestring);
}

static int
src_target(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (!name_ok(v->valuestring))
		return perr(p, field, "must be a target name");
	return dup_str(&((struct config_source *)dst)->target,
	    v->valuestring);
}

static void
argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

static int
src_command(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config_source *s = dst;
	const cJSON *e;
	char **argv, why[160], where[128];
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0;

	(void)k;
	if (n == 0 || n > 64)
		return perr(p, field, "must be a command and its arguments (1 "
		    "to 64 strings)");
	cJSON_ArrayForEach(e, v)
		if (!cJSON_IsString(e))
			return perr(p, field, "expected strings, got %s",
			    jtype_name(e));
	snprintf(where, sizeof(where), "%s[0]", field);
	if (config_check_path(v->child->valuestring, why, sizeof(why)) < 0)
		return perr(p, where, "%.*s: %s", ERR_SNIP,
		    v->child->valuestring, why);
	if (access(v->child->valuestring, X_OK) < 0)
		return perr(p, where, "%.*s: not executable", ERR_SNIP,
		    v->child->valuestring);
	if ((argv = calloc(n + 1, sizeof(*argv))) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v)
		if ((argv[i++] = strdup(e->valuestring)) == NULL) {
			argv_free(argv);
			return -ENOMEM;
		}
	argv_free(s->argv);
	s->argv = argv;
	return 0;
}

static void
sources_free(struct config_source *s, size_t n)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++) {
		free(s[i].name);
		argv_free(s[i].argv);
		free(s[i].target);
	}
	free(s);
}

static int
parse_sources(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config *c = dst;
	struct config_source *s, *cur;
	const cJSON *e;
	char where[64];
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0, j;
	int rc;

	(void)k;
	if (n > SOURCES_MAX)
		return perr(p, field, "too many sources (at most %d)",
		    SOURCES_MAX);
	if ((s = calloc(n ? n : 1, sizeof(*s))) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v) {
		snprintf(where, sizeof(where), "sources[%zu]", i);
		cur = &s[i++];
		cur->interval_ms = 10000;
		cur->timeout_ms = 5000;
		if (!cJSON_IsObject(e)) {
			rc = perr(p, where, "expected an object, got %s",
			    jtype_name(e));
			goto out;
		}
		if ((rc = parse_object(p, where, e, source_keys,
		    NELEM(source_keys), cur)) < 0)
			goto out;
		rc = -EINVAL;
		if (cJSON_GetObjectItem(e, "type") == NULL) {
			perr(p, where, "missing \"type\" (\"exec\")");
			goto out;
		}
		if (cur->name == NULL || cur->argv == NULL) {
			perr(p, where, "missing \"%s\"", cur->name == NULL ?
			    "name" : "command");
			goto out;
		}
		for (j = 0; j + 1 < i; j++)
			if (strcmp(s[j].name, cur->name) == 0) {
				perr(p, where, "duplicate source name \"%s\"",
				    cur->name);
				goto out;
			}
	}
	sources_free(c->sources, c->nsources);
	c->sources = s;
	c->nsources = n;
	return 0;
out:
	sources_free(s, i);
	return rc;
}

static void
plugins_free(struct config_plugin *pl, size_t n)
{
	size_t i;

	for (i = 0; pl != NULL && i < n; i++) {
		free(pl[i].path);
		argv_free(pl[i].kv);
	}
	free(pl);
}

/* "config": an object of strings, numbers and booleans, kept as text. */
static int
plugin_kv(struct parse *p, const char *where, const cJSON *o, char ***out)
{
	char **kv, num[64];
	const cJSON *e;
	size_t n = (size_t)cJSON_GetArraySize(o), i = 0;
	const char *val;

	if (!cJSON_IsObject(o))
		return perr(p, where, "expected an object");
	if (n > PLUGIN_KV_MAX)
		return perr(p, where, "at most %d keys", PLUGIN_KV_MAX);
	if ((kv = calloc(2 * n + 1, sizeof(*kv))) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(e, o) {
		if (cJSON_IsString(e))
			val = e->valuestring;
		else if (cJSON_IsNumber(e)) {
			snprintf(num, sizeof(num), "%.17g", e->valuedouble);
			val = num;
		} else if (cJSON_IsBool(e))
			val = cJSON_IsTrue(e) ? "true" : "false";
		else {
			argv_free(kv);
			return perr(p, where, "%.*s: expected a string, number "
			    "or boolean", ERR_SNIP, e->string);
		}
		if ((kv[i++] = strdup(e->string)) == NULL ||
		    (kv[i++] = strdup(val)) == NULL) {
			argv_free(kv);
			return -ENOMEM;
		}
	}
	*out = kv;
	return 0;
}

static int
parse_plugins(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config *c = dst;
	struct config_plugin *pl;
	const cJSON *e, *f;
	char where[64], why[160];
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
	int rc = -EINVAL;

	(void)k;
	if (n > PLUGINS_MAX)
		return perr(p, field, "too many plugins (at most %d)",
		    PLUGINS_MAX);
	if ((pl = calloc(n ? n : 1, sizeof(*pl))) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v) {
		snprintf(where, sizeof(where), "plugins[%zu]", i);
		i++;
		if (!cJSON_IsObject(e)) {
			rc = perr(p, where, "expected an object, got %s",
			    jtype_name(e));
			goto out;
		}
		cJSON_ArrayForEach(f, e)
			if (strcmp(f->string, "path") != 0 &&
			    strcmp(f->string, "config") != 0) {
				rc = perr(p, where, "unknown key \"%.*s\"",
				    ERR_SNIP, f->string);
				goto out;
			}
		f = cJSON_GetObjectItem(e, "path");
		snprintf(where, sizeof(where), "plugins[%zu].path", i - 1);
		if (!cJSON_IsString(f)) {
			rc = perr(p, where, "missing, or not a string");
			goto out;
		}
		if (config_check_path(f->valuestring, why, sizeof(why)) < 0) {
			rc = perr(p, where, "%.*s: %s", ERR_SNIP,
			    f->valuestring, why);
			goto out;
		}
		if ((pl[i - 1].path = strdup(f->valuestring)) == NULL) {
			rc = -ENOMEM;
			goto out;
		}
		snprintf(where, sizeof(where), "plugins[%zu].config", i - 1);
		if ((f = cJSON_GetObjectItem(e, "config")) != NULL &&
		    (rc = plugin_kv(p, where, f, &pl[i - 1].kv)) < 0)
			goto out;
	}
	plugins_free(c->plugins, c->nplugins);
	c->plugins = pl;
	c->nplugins = n;
	return 0;
out:
	plugins_free(pl, i);
	return rc;
}

/* --- entry points --------------------------------------------------------- */

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
	c->alert_history = CONFIG_DEFAULT_ALERT_HISTORY;
	pw_monitor_config_defaults(&c->mon);
	c->mon.use_libproc2 = true;
	return c;
}

/* Point mon at the owned targets and proc_root; called last. */
static int
config_finish(struct config *c)
{
	int rc;

	if (c->ntargets == 0 &&
	    (rc = targets_all(&c->targets, &c->ntargets)) < 0)
		return rc;
	if (!c->rules_set) {
		struct rulesspec rs;

		memset(&rs, 0, sizeof(rs));
		memset(rs.on, 0xff, sizeof(rs.on));	/* all -1: unset */
		memset(rs.severity, 0xff, sizeof(rs.severity));
		rs.all = 1;
		if ((rc = rules_build(NULL, &rs, &c->rules, &c->nrules)) < 0)
			return rc;
		c->rules_set = true;
	}
	if (c->state_dir == NULL &&
	    (c->state_dir = strdup(CONFIG_DEFAULT_STATE_DIR)) == NULL)
		return -ENOMEM;
	c->mon.targets = c->targets;
	c->mon.ntargets = c->ntargets;
	c->mon.proc_root = c->proc_root;
	return 0;
}

int
config_defaults(struct config **out)
{
	struct config *c;
	int rc;

	if ((c = config_base()) == NULL)
		return -ENOMEM;
	if ((rc = config_finish(c)) < 0) {
		config_free(c);
		return rc;
	}
	*out = c;
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

int
config_parse(const char *text, size_t len, const char *path,
    struct config **out, char *err, size_t errlen)
{
	struct parse p = { path != NULL ? path : "<config>", err, errlen,
	    NULL };
	const char *end = NULL;
	struct config *c;
	cJSON *root;
	unsigned line, col;
	size_t i, pos;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	for (i = 0; i < len && is_ws(text[i]); i++)
		;
	if (i == len)
		return perr(&p, NULL, "empty file; expected a JSON object");

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
		return perr(&p, NULL, "invalid JSON near line %u, column %u",
		    line, col);
	}
	if (!cJSON_IsObject(root)) {
		rc = perr(&p, NULL, "expected a JSON object at the top, got %s",
		    jtype_name(root));
		goto out_json;
	}

	if ((c = config_base()) == NULL) {
		rc = -ENOMEM;
		goto out_json;
	}
	p.c = c;
	if ((rc = parse_object(&p, "", root, top_keys, NELEM(top_keys),
	    c)) < 0)
		goto out_config;
	if ((c->tls_cert_pem == NULL) != (c->tls_key_pem == NULL)) {
		rc = perr(&p, c->tls_cert_pem == NULL ? "tls_cert" : "tls_key",
		    "missing: give both tls_cert and tls_key, or neither");
		goto out_config;
	}
	if (path != NULL && (c->path = strdup(path)) == NULL) {
		rc = -ENOMEM;
		goto out_config;
	}
	if ((rc = config_finish(c)) < 0)
		goto out_config;
	cJSON_Delete(root);
	*out = c;
	return 0;

out_config:
	config_free(c);
out_json:
	cJSON_Delete(root);
	if (rc == -ENOMEM && errlen > 0)
		perr(&p, NULL, "out of memory");
	return rc;
}

int
config_load(const char *path, struct config **out, char *err, size_t errlen)
{
	struct parse p = { path, err, errlen, NULL };
	char *buf, ebuf[128];
	size_t len = 0;
	ssize_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = -errno;
		perr(&p, NULL, "%s", STRERROR(-rc, ebuf, sizeof(ebuf)));
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
			perr(&p, NULL, "%s", STRERROR(-rc, ebuf, sizeof(ebuf)));
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
	sources_free(c->sources, c->nsources);
	plugins_free(c->plugins, c->nplugins);
	free(c->tls_cert_pem);
	if (c->tls_key_pem != NULL) {
		explicit_bzero(c->tls_key_pem, strlen(c->tls_key_pem));
		free(c->tls_key_pem);
	}
	if (c->api_token != NULL) {
		explicit_bzero(c->api_token, strlen(c->api_token));
		free(c->api_token);
	}
	free(c->state_dir);
	free(c->dygraphs_dir);
	free(c->proc_root);
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
	fprintf(fp, "connections: at most %u, timeout %u s\n",
	    c->max_connections, c->conn_timeout_s);
	fprintf(fp, "interval: %u ms\n", c->mon.interval_ms);
	fprintf(fp, "history: %zu samples per process\n", c->mon.history);
	fprintf(fp, "retention: %u ms after a process exits\n",
	    c->mon.retention_ms);
	fprintf(fp, "limits: re-read every %u ms\n", c->mon.limits_every_ms);
	fprintf(fp, "proc root: %s%s%s\n", c->mon.proc_root != NULL ?
	    c->mon.proc_root : "/proc", c->mon.use_libproc2 ?
	    ", libproc2" : "", c->mon.keep_open ? ", descriptors kept open" :
	    "");
	fprintf(fp, "log level: %s\n", c->debug ? "debug" : "info");
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

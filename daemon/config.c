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
#include <unistd.h>

#include <cjson/cJSON.h>

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
	int		 nsel;
	int		 index;
	struct parse	*p;
};

#define FIELD(type, f)	offsetof(type, f), sizeof(((type *)0)->f)
#define CFG(f)		FIELD(struct config, f)
#define TSP(f)		FIELD(struct tspec, f)

static key_fn	parse_listen, parse_log_level, parse_proc_root,
		parse_targets;
static key_fn	t_name, t_all, t_pid, t_pidfile, t_comm, t_cmdline, t_user;

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
	{ "proc_root",		FN(T_STRING, parse_proc_root) },
	{ "use_libproc2",	BOOL(mon.use_libproc2) },
	{ "max_connections",	INT(1, 100000, max_connections) },
	{ "conn_timeout_s",	INT(1, 3600, conn_timeout_s) },
	{ "log_level",		FN(T_STRING, parse_log_level) },
	{ "targets",		FN(T_STRING | T_ARRAY, parse_targets) },
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
	{ "children",	T_BOOL, 0, 0, TSP(children), NULL },
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
	char msg[512];
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
		if (jtype(v) == T_INT) {
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
			    "\"user\"");
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
	default:
		fprintf(fp, "selector %d", (int)t->sel);
		break;
	}
	fprintf(fp, "%s\n", t->children ? ", with children" : "");
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
	fprintf(fp, "targets: %zu\n", c->ntargets);
	for (i = 0; i < c->ntargets; i++)
		describe_target(&c->targets[i], fp);
}

/*
 * daemon/config_targets.c: the "targets" section of the config.
 *
 * DESIGN: targets are read in two steps.  Parsing checks each entry and
 * collects the explicit names (struct tspec, no I/O: a user name is looked
 * up by the check step, config_check.c); building then derives names for
 * the rest, unique against all explicit ones, and initialises the
 * pw_targets, whose regex errors are reported against the selector's key.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/cgroup.h>

#include "daemon/config_impl.h"

#define TARGETS_MAX	1024
#define COMM_MAX	15		/* TASK_COMM_LEN - 1, see proc(5) */

#define TSP(f)		FIELD(struct tspec, f)

static key_fn	t_name, t_all, t_pid, t_pidfile, t_comm, t_cmdline, t_user,
		t_cgroup, t_unit, t_procs;

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

/* A name that is not all digits must exist: config_check() looks. */
static int
t_user(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct tspec *ts = dst;
	const char *s;
	size_t i;

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
	ts->user_by_name = s[i] != '\0';
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

static void
tspec_init(struct parse *p, void *item, size_t i)
{
	struct tspec *ts = item;

	ts->index = (int)i;
	ts->p = p;
}

/* What involves several keys of an entry, or the entries before it. */
static int
tspec_check(struct parse *p, const char *where, const cJSON *obj,
    void *items, size_t i)
{
	struct tspec *ts = (struct tspec *)items + i;
	char field[64];
	size_t j;

	(void)obj;
	if (ts->nsel == 0)
		return perr(p, where, "no selector; give one of \"all\", "
		    "\"pid\", \"pidfile\", \"comm\", \"cmdline\", \"user\", "
		    "\"cgroup\", \"unit\"");
	/* "all" is never handed to process_down: say so. */
	if (ts->sel == PW_SEL_ALL && (ts->has_min || ts->has_max)) {
		snprintf(field, sizeof(field), "%s.%s", where,
		    ts->has_min ? "min_processes" : "max_processes");
		return perr(p, field, "not for an \"all\" target (every "
		    "process): give it to a target with a selector");
	}
	if (ts->has_min && ts->has_max &&
	    ts->max_processes < ts->min_processes) {
		snprintf(field, sizeof(field), "%s.max_processes", where);
		return perr(p, field, "must be at least min_processes (%zu)",
		    ts->min_processes);
	}
	j = section_dup(items, i, sizeof(*ts), offsetof(struct tspec, name));
	if (j < i) {
		snprintf(field, sizeof(field), "%s.name", where);
		return perr(p, field, "duplicate target name \"%s\" (also "
		    "targets[%zu])", ts->name, j);
	}
	return 0;
}

static const struct section targets_section = {
	"targets", TARGETS_MAX, sizeof(struct tspec), target_keys,
	NELEM(target_keys), tspec_init, tspec_check, NULL,
};

int
parse_targets(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config_draft *d = p->d;
	void *specs;
	size_t n;
	int rc;

	(void)k;
	(void)dst;
	if (cJSON_IsString(v)) {
		if (strcmp(v->valuestring, "all") != 0)
			return perr(p, field, "must be \"all\" or an array of "
			    "target objects");
		d->targets_all = true;
		return 0;
	}
	if (cJSON_GetArraySize(v) == 0)
		return perr(p, field, "must not be empty; use \"all\"");
	if ((rc = parse_section(p, &targets_section, field, v, &specs,
	    &n)) < 0)
		return rc;
	targets_draft_free(d);
	d->targets = specs;
	d->ntargets = n;
	return 0;
}

void
targets_draft_free(struct config_draft *d)
{
	free(d->targets);
	d->targets = NULL;
	d->ntargets = 0;
}

/* --- build ---------------------------------------------------------------- */

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

void
targets_free(struct pw_target *t, size_t n)
{
	size_t i;

	for (i = 0; t != NULL && i < n; i++)
		pw_target_fini(&t[i]);
	free(t);
}

/* A single target "all" of PW_SEL_ALL: what "targets": "all" means. */
int
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

/* The draft's targets as pw_targets in c; none given leaves c alone. */
int
targets_build(struct parse *p, struct config *c)
{
	const struct tspec *specs = p->d->targets;
	size_t n = p->d->ntargets, ndone;
	struct pw_target *t;
	char where[64], name[TNAME_MAX + 1], rerr[256];
	int rc;

	if (p->d->targets_all)
		return targets_all(&c->targets, &c->ntargets);
	if (n == 0)
		return 0;
	if ((t = calloc(n, sizeof(*t))) == NULL)
		return -ENOMEM;
	for (ndone = 0; ndone < n; ndone++) {
		const struct tspec *ts = &specs[ndone];

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
	c->targets = t;
	c->ntargets = n;
	return 0;

out_targets:
	targets_free(t, ndone);
	return rc;
}

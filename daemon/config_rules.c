/*
 * daemon/config_rules.c: the "rules" section of the config: which
 * built-in rules are on, and custom rules.
 *
 * DESIGN: parsing fills a struct rulesspec (no I/O); building, once the
 * targets are known, checks the target names the custom rules give and
 * puts the enabled built-ins and then the custom rules into c->rules.
 * Durations ("for", "window") are JSON numbers of milliseconds or strings
 * in the grammar of procwatch/duration.h; a string without a unit is
 * ambiguous (the API reads "30" as seconds) and refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/duration.h>

#include "daemon/config_impl.h"

#define RULES_MAX	256

/* At least the number of built-in rules (test_config checks). */
#define BUILTIN_MAX	16

/* One entry of "rules.custom" while it is parsed. */
struct rspec {
	struct pw_rule	 r;		/* strings owned */
	bool		 has_op, has_threshold, has_window, has_scope,
			 has_severity;
};

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

static int
r_name(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	return parse_name(p, field, v->valuestring,
	    &((struct rspec *)dst)->r.name);
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
 * A duration from lo to hi ms: a JSON number of milliseconds, or a string
 * with a unit.  `range` ends the message for anything else.
 */
static int
duration(struct parse *p, const char *field, const cJSON *v, int64_t lo,
    int64_t hi, const char *range, int64_t *out)
{
	const char *why;
	int64_t ms;

	if (cJSON_IsNumber(v)) {
		/* Converting a huge double is UB: check the range first. */
		if (!(v->valuedouble >= 0 && v->valuedouble <= 1e12))
			goto bad;
		ms = (int64_t)v->valuedouble;
	} else if (pw_duration_parse(v->valuestring, 0, &ms, &why) < 0) {
		/* Only the bare number gets its own message: it parses. */
		if (pw_duration_parse(v->valuestring, 1, &ms, NULL) == 0)
			return perr(p, field, "\"%.*s\" %s", ERR_SNIP,
			    v->valuestring, why);
		goto bad;
	}
	if (ms < lo || ms > hi)
		goto bad;
	*out = ms;
	return 0;
bad:
	return perr(p, field, "must be a duration %s", range);
}

static int
r_for(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	return duration(p, field, v, 0, 604800000, "up to 7 days: "
	    "milliseconds, or a string like \"500ms\", \"30s\", \"5m\", "
	    "\"1h\"", &((struct rspec *)dst)->r.for_ms);
}

static int
r_window(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct rspec *rs = dst;
	int rc;

	(void)k;
	if ((rc = duration(p, field, v, 1, 86400000, "from 1ms to 1 day: "
	    "milliseconds, or a string like \"30s\", \"1m\"",
	    &rs->r.window_ms)) < 0)
		return rc;
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

/* Target names, checked against the targets when the rules are built. */
static int
r_targets(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct pw_rule *r = &((struct rspec *)dst)->r;
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
	const cJSON *e;

	(void)k;
	cJSON_ArrayForEach(e, v) {
		if (!cJSON_IsString(e))
			return perr(p, field, "[%zu]: expected a target name, "
			    "got %s", i, jtype_name(e));
		i++;
	}
	if (n == 0)
		return perr(p, field, "must not be empty; omit it for every "
		    "target");
	if ((r->targets = calloc(n, sizeof(*r->targets))) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v) {
		if ((r->targets[r->ntargets] = strdup(e->valuestring)) == NULL)
			return -ENOMEM;		/* pw_rule_fini() frees */
		r->ntargets++;
	}
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
rspec_init(struct parse *p, void *item, size_t i)
{
	(void)p;
	(void)i;
	((struct rspec *)item)->r.severity = PW_ASEV_WARNING;
}

static void
rspec_fini(void *item)
{
	pw_rule_fini(&((struct rspec *)item)->r);
}

static int
rspec_check(struct parse *p, const char *where, const cJSON *obj,
    void *items, size_t i)
{
	struct rspec *rs = (struct rspec *)items + i;
	char field[128];
	int rc;

	(void)obj;
	if (rs->r.name == NULL)
		return perr(p, where, "missing \"name\"");
	if (rs->r.metric == NULL)
		return perr(p, where, "missing \"metric\"");
	if (!rs->has_op)
		return perr(p, where, "missing \"op\" (one of > >= < <=)");
	if (!rs->has_threshold)
		return perr(p, where, "missing \"threshold\"");
	if ((rs->r.agg != PW_AGG_NONE) != rs->has_window)
		return perr(p, where, "\"aggregate\" and \"window\" go "
		    "together");
	if ((rc = rule_scope_check(p, where, rs)) < 0)
		return rc;
	/* The clear line must lie on the safe side of the threshold. */
	if (rs->r.has_clear && ((rs->r.op <= PW_OP_GE &&
	    rs->r.clear > rs->r.threshold) || (rs->r.op >= PW_OP_LT &&
	    rs->r.clear < rs->r.threshold))) {
		snprintf(field, sizeof(field), "%s.clear", where);
		return perr(p, field, "must be on the other side of the "
		    "threshold (%s %g)", rs->r.op <= PW_OP_GE ? "<=" : ">=",
		    rs->r.threshold);
	}
	if (section_dup(items, i, sizeof(*rs), offsetof(struct rspec,
	    r.name)) < i) {
		snprintf(field, sizeof(field), "%s.name", where);
		return perr(p, field, "duplicate rule name \"%s\"", rs->r.name);
	}
	return 0;
}

static const struct section rules_section = {
	"rules", RULES_MAX, sizeof(struct rspec), rule_keys,
	NELEM(rule_keys), rspec_init, rspec_check, rspec_fini,
};

static int
rules_custom(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct rulesspec *rs = dst;

	(void)k;
	return section_set(p, &rules_section, field, v, &rs->custom,
	    &rs->ncustom);
}

static void
rulesspec_init(struct rulesspec *rs)
{
	size_t i;

	memset(rs, 0, sizeof(*rs));
	rs->all = -1;
	for (i = 0; i < NELEM(rs->on); i++)
		rs->on[i] = rs->severity[i] = -1;
}

void
rules_draft_free(struct config_draft *d)
{
	if (d->rules == NULL)
		return;
	section_free(&rules_section, d->rules->custom, d->rules->ncustom);
	free(d->rules);
	d->rules = NULL;
}

/*
 * "rules": {"builtin": true|false|{"high_cpu": false, ...}, "custom":
 * [...]}, or an array as a short form of "custom".  Built-ins are on
 * unless custom rules are given; "builtin" switches them on or off.
 */
int
parse_rules(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct rulesspec *rs;
	int rc;

	(void)dst;
	if ((rs = malloc(sizeof(*rs))) == NULL)
		return -ENOMEM;
	rulesspec_init(rs);
	if (cJSON_IsArray(v))
		rc = rules_custom(p, k, field, v, rs);
	else
		rc = parse_object(p, field, v, rules_keys, NELEM(rules_keys),
		    rs);
	rules_draft_free(p->d);
	p->d->rules = rs;		/* rules_draft_free() frees it */
	return rc;
}

/* --- build ---------------------------------------------------------------- */

void
rules_free(struct pw_rule *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		pw_rule_fini(&r[i]);
	free(r);
}

/* Does each custom rule name configured targets only? */
static int
rules_check_targets(struct parse *p, const struct rulesspec *rs,
    const struct config *c)
{
	const struct pw_rule *r;
	char where[96];
	size_t i, j, t;

	for (i = 0; i < rs->ncustom; i++) {
		r = &rs->custom[i].r;
		for (j = 0; j < r->ntargets; j++) {
			for (t = 0; t < c->ntargets; t++)
				if (strcmp(c->targets[t].name,
				    r->targets[j]) == 0)
					break;
			/* No "targets": the implicit one is "all". */
			if (c->ntargets == 0 ? strcmp(r->targets[j],
			    "all") != 0 : t == c->ntargets) {
				snprintf(where, sizeof(where),
				    "rules.custom[%zu].targets[%zu]", i, j);
				return perr(p, where, "unknown target \"%.*s\"",
				    ERR_SNIP, r->targets[j]);
			}
		}
	}
	return 0;
}

/*
 * c->rules from the draft's rules, or the built-ins when there are none:
 * the enabled built-ins, then the custom ones (moved, not copied).  Call
 * it after targets_build().
 */
int
rules_build(struct parse *p, struct config *c)
{
	struct rulesspec defaults, *rs = p->d->rules;
	struct pw_rule *r;
	const char *name;
	size_t i, j, n = 0;
	bool on;
	int rc;

	if (rs == NULL) {
		rulesspec_init(&defaults);
		defaults.all = 1;
		rs = &defaults;
	} else if ((rc = rules_check_targets(p, rs, c)) < 0)
		return rc;
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
		if (rs->for_ms[i] > 0)
			r[n].for_ms = rs->for_ms[i];
		if (rs->severity[i] >= 0)
			r[n].severity = (enum pw_alert_severity)rs->severity[i];
		n++;
	}
	for (j = 0; j < rs->ncustom; j++) {
		r[n++] = rs->custom[j].r;
		memset(&rs->custom[j].r, 0, sizeof(rs->custom[j].r));
	}
	c->rules = r;
	c->nrules = n;
	c->rules_set = true;
	return 0;
}

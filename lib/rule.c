/*
 * rule.c: alert rules (procwatch/rules.h): which metrics a rule may
 * name, the built-in rules, copies, names of the enums, and what a rule
 * computes (its comparison and aggregate window).
 *
 * DESIGN: the metrics are the catalogue's rows a rule may name
 * (PW_MF_RULE_PROCESS, PW_MF_RULE_GROUP in procwatch/metric.h); this file
 * adds only the rule-side spellings: "target_NAME" for NAME with scope
 * group, "custom:NAME" (or a plain NAME not close to a built-in) for a
 * custom series.  A name one or two edits from a built-in is a typo, not
 * a custom series, so that a misspelt rule fails at load.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/custom.h>
#include <procwatch/metric.h>
#include <procwatch/rules.h>

#include "pwutil.h"
#include "rule_impl.h"

/* --- metrics -------------------------------------------------------------- */

#define TARGET_PREFIX	"target_"
#define CUSTOM_PREFIX	"custom:"
#define RULE_FLAGS	(PW_MF_RULE_PROCESS | PW_MF_RULE_GROUP)

/* The catalogue row called `name` that a rule may name, or -1. */
static int
builtin_lookup(const char *name)
{
	const struct pw_metric_def *d;
	unsigned i;

	for (i = 0; name != NULL && i < PW_METRIC_NROWS; i++) {
		d = pw_metric_def((enum pw_metric)i);
		if ((d->flags & RULE_FLAGS) != 0 && strcmp(name, d->name) == 0)
			return (int)i;
	}
	return -1;
}

/* Edit distance of a and b, stopping early once it is past `max`. */
static size_t
edit_distance(const char *a, const char *b, size_t max)
{
	size_t row[64], i, j, la = strlen(a), lb = strlen(b), diag, up, best;

	if (lb >= NELEM(row) || (la > lb ? la - lb : lb - la) > max)
		return max + 1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		diag = row[0];
		row[0] = i;
		best = row[0];
		for (j = 1; j <= lb; j++) {
			up = row[j];
			row[j] = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
			if (row[j] < best)
				best = row[j];
		}
		if (best > max)
			return max + 1;
	}
	return row[lb];
}

/*
 * Does a plain name look like a misspelt built-in metric (a prefix of
 * one, or at most 2 edits away) or a rate (only built-in counters have
 * rates)?  Such names must be written "custom:NAME".
 */
static bool
looks_builtin(const char *name)
{
	const struct pw_metric_def *d;
	size_t n = strlen(name);
	unsigned i;

	if (n >= 5 && strcmp(name + n - 5, "_rate") == 0)
		return true;
	if (strncmp(name, TARGET_PREFIX, strlen(TARGET_PREFIX)) == 0)
		return true;		/* a misspelt target sum */
	for (i = 0; i < PW_METRIC_NROWS; i++) {
		d = pw_metric_def((enum pw_metric)i);
		if ((d->flags & RULE_FLAGS) != 0 &&
		    (strncmp(d->name, name, n) == 0 ||
		    edit_distance(name, d->name, 2) <= 2))
			return true;
	}
	return false;
}

const char *
pw__rule_custom_name(const char *metric)
{
	if (metric == NULL)
		return NULL;
	if (strncmp(metric, CUSTOM_PREFIX, strlen(CUSTOM_PREFIX)) == 0)
		metric += strlen(CUSTOM_PREFIX);
	else if (builtin_lookup(metric) >= 0 || looks_builtin(metric))
		return NULL;
	return pw_custom_name_valid(metric) ? metric : NULL;
}

int
pw__rule_metric_lookup(const char *name, enum pw_rule_scope scope)
{
	unsigned flags;
	int m;

	if ((m = builtin_lookup(name)) >= 0) {
		flags = pw_metric_def((enum pw_metric)m)->flags;
		if (scope == PW_SCOPE_GROUP)
			return (flags & PW_MF_RULE_GROUP) ?
			    PW__RULE_GROUP + m : -1;
		return (flags & PW_MF_RULE_PROCESS) ? m : -1;
	}
	if (name != NULL &&
	    strncmp(name, TARGET_PREFIX, strlen(TARGET_PREFIX)) == 0 &&
	    (m = builtin_lookup(name + strlen(TARGET_PREFIX))) >= 0 &&
	    (pw_metric_def((enum pw_metric)m)->flags & PW_MF_RULE_GROUP))
		return PW__RULE_GROUP + m;
	if (pw__rule_custom_name(name) == NULL || scope == PW_SCOPE_GROUP)
		return -1;
	return PW__RULE_CUSTOM;
}

bool
pw_rule_metric_valid(const char *metric)
{
	return pw__rule_metric_lookup(metric, PW_SCOPE_PROCESS) >= 0 ||
	    pw__rule_metric_lookup(metric, PW_SCOPE_GROUP) >= 0;
}

bool
pw_rule_metric_scope_valid(const char *metric, enum pw_rule_scope scope)
{
	return pw__rule_metric_lookup(metric, scope) >= 0;
}

/* --- rules ---------------------------------------------------------------- */

void
pw_rule_fini(struct pw_rule *r)
{
	size_t i;

	if (r == NULL)
		return;
	free(r->name);
	free(r->metric);
	free(r->message);
	for (i = 0; i < r->ntargets; i++)
		free(r->targets[i]);
	free(r->targets);
	memset(r, 0, sizeof(*r));
}

static int
dup_opt(char **dst, const char *s)
{
	*dst = NULL;
	if (s != NULL && (*dst = strdup(s)) == NULL)
		return -ENOMEM;
	return 0;
}

int
pw_rule_copy(struct pw_rule *dst, const struct pw_rule *src)
{
	struct pw_rule r = *src;
	size_t i;

	r.name = r.metric = r.message = NULL;
	r.targets = NULL;
	r.ntargets = 0;
	if (dup_opt(&r.name, src->name) < 0 ||
	    dup_opt(&r.metric, src->metric) < 0 ||
	    dup_opt(&r.message, src->message) < 0)
		goto out_oom;
	if (src->ntargets > 0) {
		if ((r.targets = calloc(src->ntargets,
		    sizeof(*r.targets))) == NULL)
			goto out_oom;
		for (i = 0; i < src->ntargets; i++, r.ntargets++)
			if (dup_opt(&r.targets[i], src->targets[i]) < 0)
				goto out_oom;
	}
	*dst = r;
	return 0;
out_oom:
	pw_rule_fini(&r);
	return -ENOMEM;
}

/*
 * The metric is a catalogue row; `alias` spells it "target_NAME" (the
 * name process_down has always shown).
 */
static const struct {
	const char	*name;
	enum pw_metric	 metric;
	bool		 alias;
	enum pw_rule_op	 op;
	double		 threshold;
	enum pw_alert_severity severity;
	const char	*message;
	enum pw_rule_scope scope;
	enum pw_rule_bound bound;
	int64_t		 for_ms;	/* how long before it fires */
} builtins[] = {
	{ "high_cpu", PW_METRIC_CPU_PERCENT, false, PW_OP_GT, 90,
	    PW_ASEV_WARNING,
	    "High CPU usage: {value:.1f}% (threshold {threshold}%)",
	    PW_SCOPE_PROCESS, PW_BOUND_NONE, 0 },
	{ "high_memory", PW_METRIC_MEMORY_PERCENT, false,
	    PW_OP_GT, 85, PW_ASEV_WARNING,
	    "High memory usage: {value:.1f}% of RAM (threshold {threshold}%)",
	    PW_SCOPE_PROCESS, PW_BOUND_NONE, 0 },
	{ "file_handle_leak", PW_METRIC_OPEN_FDS, false, PW_OP_GT, 1000,
	    PW_ASEV_WARNING,
	    "Possible file handle leak: {value:.0f} open descriptors "
	    "(threshold {threshold})", PW_SCOPE_PROCESS, PW_BOUND_NONE, 0 },
	{ "fd_exhaustion", PW_METRIC_FD_USAGE, false, PW_OP_GT, 0.9,
	    PW_ASEV_CRITICAL,
	    "Descriptors nearly exhausted: {value:.2f} of the limit in use "
	    "(threshold {threshold})", PW_SCOPE_PROCESS, PW_BOUND_NONE, 0 },
	/*
	 * Each target's own bound is the threshold; the one here is the
	 * default of pw_target_init(), for display.
	 */
	{ "process_down", PW_METRIC_PROCESSES, true, PW_OP_LT, 1,
	    PW_ASEV_CRITICAL,
	    "target {target} is down: {last_exit}", PW_SCOPE_GROUP,
	    PW_BOUND_MIN_PROCESSES, 0 },
	{ "too_many_processes", PW_METRIC_PROCESSES, false,
	    PW_OP_GT, 0, PW_ASEV_WARNING,
	    "target {target} has {value:.0f} processes (max {threshold})",
	    PW_SCOPE_GROUP, PW_BOUND_MAX_PROCESSES, 0 },
	/* Resolves once oom_alert_ms passes with no other kill. */
	{ "oom_killed", PW_METRIC_OOM_KILLS_RECENT, false, PW_OP_GT, 0,
	    PW_ASEV_CRITICAL,
	    "target {target}: {value:.0f} process(es) killed by the OOM "
	    "killer lately (GET /api/v1/events says which)", PW_SCOPE_GROUP,
	    PW_BOUND_NONE, 0 },
	/*
	 * Waiting, not working (issue 19): a minute, so that a burst of
	 * neighbours or a flush does not page anyone.
	 */
	{ "cpu_starved", PW_METRIC_CPU_DELAY_PERCENT, false, PW_OP_GT, 20,
	    PW_ASEV_WARNING,
	    "Starved of CPU: runnable but waiting {value:.0f}% of the time "
	    "(threshold {threshold}%)", PW_SCOPE_PROCESS, PW_BOUND_NONE,
	    60000 },
	{ "io_stalled", PW_METRIC_IO_DELAY_PERCENT, false, PW_OP_GT, 30,
	    PW_ASEV_WARNING,
	    "Stalled on block I/O {value:.0f}% of the time (threshold "
	    "{threshold}%)", PW_SCOPE_PROCESS, PW_BOUND_NONE, 60000 },
};

const char *
pw_rule_builtin_name(size_t i)
{
	return i < NELEM(builtins) ? builtins[i].name : NULL;
}

int
pw_rule_builtin(const char *name, struct pw_rule *out)
{
	char metric[PW_RULE_NAME_MAX + 1];
	struct pw_rule r;
	size_t i;

	for (i = 0; i < NELEM(builtins); i++)
		if (strcmp(builtins[i].name, name) == 0)
			break;
	if (i == NELEM(builtins))
		return -ENOENT;
	memset(&r, 0, sizeof(r));
	r.op = builtins[i].op;
	r.threshold = builtins[i].threshold;
	r.severity = builtins[i].severity;
	r.scope = builtins[i].scope;
	r.bound = builtins[i].bound;
	r.for_ms = builtins[i].for_ms;
	snprintf(metric, sizeof(metric), "%s%s", builtins[i].alias ?
	    TARGET_PREFIX : "", pw_metric_name(builtins[i].metric));
	if (dup_opt(&r.name, builtins[i].name) < 0 ||
	    dup_opt(&r.metric, metric) < 0 ||
	    dup_opt(&r.message, builtins[i].message) < 0) {
		pw_rule_fini(&r);
		return -ENOMEM;
	}
	*out = r;
	return 0;
}

static const char *const op_names[] = { ">", ">=", "<", "<=" };
static const char *const scope_names[] = { "process", "group" };
static const char *const sev_names[] = { "info", "warning", "critical" };
static const char *const agg_names[] = { "none", "avg", "max", "min" };
static const char *const state_names[] = {
	"inactive", "pending", "firing", "resolved"
};

const char *
pw_rule_op_name(enum pw_rule_op op)
{
	return (unsigned)op < NELEM(op_names) ? op_names[op] : "?";
}

const char *
pw_rule_scope_name(enum pw_rule_scope s)
{
	return (unsigned)s < NELEM(scope_names) ? scope_names[s] : "?";
}

const char *
pw_alert_severity_name(enum pw_alert_severity s)
{
	return (unsigned)s < NELEM(sev_names) ? sev_names[s] : "?";
}

const char *
pw_agg_name(enum pw_agg a)
{
	return (unsigned)a < NELEM(agg_names) ? agg_names[a] : "?";
}

const char *
pw_alert_state_name(enum pw_alert_state s)
{
	return (unsigned)s < NELEM(state_names) ? state_names[s] : "?";
}

static int
parse_name(const char *s, const char *const *names, size_t n, int *out)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	return -EINVAL;
}

/* pw_<what>_parse(): parse_name() over the names of one enum. */
#define PARSER(fn, type, names)						\
int									\
fn(const char *s, type *out)						\
{									\
	int v, rc;							\
									\
	if ((rc = parse_name(s, names, NELEM(names), &v)) == 0)		\
		*out = (type)v;						\
	return rc;							\
}
PARSER(pw_rule_op_parse, enum pw_rule_op, op_names)
PARSER(pw_rule_scope_parse, enum pw_rule_scope, scope_names)
PARSER(pw_alert_severity_parse, enum pw_alert_severity, sev_names)
PARSER(pw_agg_parse, enum pw_agg, agg_names)
#undef PARSER

/* --- what a rule computes ------------------------------------------------- */

static bool
streq_opt(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

bool
pw__rule_same(const struct pw_rule *a, const struct pw_rule *b)
{
	size_t i;

	if (!streq_opt(a->name, b->name) || !streq_opt(a->metric, b->metric) ||
	    a->scope != b->scope || a->bound != b->bound ||
	    a->op != b->op || a->threshold != b->threshold ||
	    a->has_clear != b->has_clear ||
	    (a->has_clear && a->clear != b->clear) || a->for_ms != b->for_ms ||
	    a->agg != b->agg || a->window_ms != b->window_ms ||
	    a->severity != b->severity || a->ntargets != b->ntargets ||
	    !streq_opt(a->message, b->message))
		return false;
	for (i = 0; i < a->ntargets; i++)
		if (!streq_opt(a->targets[i], b->targets[i]))
			return false;
	return true;
}


bool
pw__rule_applies(const struct pw_rule *r, const char *target)
{
	size_t i;

	if (r->ntargets == 0)
		return true;
	for (i = 0; i < r->ntargets; i++)
		if (target != NULL && strcmp(r->targets[i], target) == 0)
			return true;
	return false;
}

bool
pw__rule_compare(enum pw_rule_op op, double v, double t)
{
	switch (op) {
	case PW_OP_GT:	return v > t;
	case PW_OP_GE:	return v >= t;
	case PW_OP_LT:	return v < t;
	default:	return v <= t;
	}
}

bool
pw__window_feed(struct pw__window *w, enum pw_agg agg, int64_t window_ms,
    int64_t ts, double v, double *out)
{
	size_t i, ncap, at;
	int64_t *nts;
	double *nv, acc;

	if (w->len == w->cap && w->cap < PW_RULE_WINDOW_MAX) {
		ncap = w->cap ? w->cap * 2 : 16;
		if (ncap > PW_RULE_WINDOW_MAX)
			ncap = PW_RULE_WINDOW_MAX;
		if ((nts = malloc(ncap * sizeof(*nts))) == NULL)
			return false;
		if ((nv = malloc(ncap * sizeof(*nv))) == NULL) {
			free(nts);
			return false;
		}
		for (i = 0; i < w->len; i++) {	/* unwrap into the new ring */
			nts[i] = w->ts[(w->head + i) % w->cap];
			nv[i] = w->v[(w->head + i) % w->cap];
		}
		free(w->ts);
		free(w->v);
		w->ts = nts;
		w->v = nv;
		w->head = 0;
		w->cap = ncap;
	}
	if (w->len == w->cap) {			/* full at the cap: overwrite */
		w->head = (w->head + 1) % w->cap;
		w->len--;
	}
	at = (w->head + w->len) % w->cap;
	w->ts[at] = ts;
	w->v[at] = v;
	w->len++;
	while (w->len > 1 && w->ts[w->head] <= ts - window_ms) {
		w->head = (w->head + 1) % w->cap;
		w->len--;
	}
	acc = agg == PW_AGG_AVG ? 0.0 : w->v[w->head];
	for (i = 0; i < w->len; i++) {
		double x = w->v[(w->head + i) % w->cap];

		if (agg == PW_AGG_AVG)
			acc += x;
		else if (agg == PW_AGG_MAX ? x > acc : x < acc)
			acc = x;
	}
	*out = agg == PW_AGG_AVG ? acc / (double)w->len : acc;
	return true;
}

void
pw__window_fini(struct pw__window *w)
{
	free(w->ts);
	free(w->v);
	w->ts = NULL;
	w->v = NULL;
	w->head = w->len = w->cap = 0;
}

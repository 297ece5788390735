/*
 * test_rules.c: the alert engine (lib/alert.c, lib/alert_group.c) on
 * hand-built snapshots with a fake clock.  The rules themselves are in
 * test_rule.c, templates in test_template.c, the metrics in test_metric.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/groupacc.h>
#include <procwatch/rules.h>
#include <procwatch/store.h>

#include "lib/internal.h"

#define T0	1800000000000LL		/* fake wall clock, ms */
#define STEP	200			/* ms between cycles */

#define HZ	100			/* clock ticks per second */

/*
 * A one- or two-process snapshot whose values the test sets, with up to
 * two group views (none unless a test adds them: snap.ngroups 0).  A
 * group view is set by the test (group_add()) or, as the monitor's
 * snapshot has it, made each cycle from the processes of its target by
 * an accumulator (group_auto(), lib/groupacc.c).
 */
struct fx {
	struct pw_snapshot	snap;
	struct pw_proc_view	v[2];
	struct pw_group_view	g[2];
	struct pw_groupacc	*acc[2];	/* NULL: set by the test */
	struct pw_sample	prev[2];	/* the views' last samples */
	uint64_t		prev_id[2];	/* whose; 0: none */
	struct pw_alerts	*e;
	int64_t			now;
	size_t			fired, resolved;
	struct pw_alert		last;
};

static void
view_init(struct pw_proc_view *v, uint64_t id, pid_t pid, const char *name)
{
	memset(v, 0, sizeof(*v));
	v->id = id;
	v->pid = pid;
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->target = "web";
	v->cmdline = "";
	v->user = "root";
	v->alive = true;
	v->has_sample = true;
	v->fd_limit = 1024;
}

static void
fx_init(struct fx *f, const struct pw_rule *rules, size_t n, size_t hist)
{
	memset(f, 0, sizeof(*f));
	view_init(&f->v[0], 1, 100, "spin");
	f->snap.procs = f->v;
	f->snap.n = 1;
	f->snap.groups = f->g;
	f->snap.ngroups = 0;
	f->snap.mem_total = 1000000;
	f->now = T0;
	f->e = pw_alerts_new(rules, n, hist);
	assert_non_null(f->e);
}

static void
fx_fini(struct fx *f)
{
	size_t i;

	for (i = 0; i < 2; i++)
		pw_groupacc_free(f->acc[i]);
	pw_alerts_free(f->e);
}

/* The sample view v had in the previous cycle, or NULL. */
static const struct pw_sample *
fx_prev(const struct fx *f, const struct pw_proc_view *v)
{
	size_t i;

	for (i = 0; i < 2; i++)
		if (f->prev_id[i] != 0 && f->prev_id[i] == v->id)
			return &f->prev[i];
	return NULL;
}

/*
 * Group view i made from this cycle's live views of its target, as the
 * sampler makes it: their CPU ticks grow as their CPU % says.
 */
static void
fx_group_from_views(struct fx *f, size_t i)
{
	struct pw_group_view *g = &f->g[i];
	struct pw_proc_view *v;
	size_t j;

	pw_groupacc_begin(f->acc[i], f->now);
	for (j = 0; j < f->snap.n; j++) {
		v = &f->v[j];
		if (!v->alive || !v->has_sample ||
		    strcmp(v->target, g->name) != 0)
			continue;
		assert_int_equal(pw_groupacc_member(f->acc[i], v->pid, 1,
		    fx_prev(f, v), &v->latest, v->fd_limit, 0), 0);
	}
	pw_groupacc_end(f->acc[i], HZ, &g->latest);
}

/* One cycle: every live view gets a new sample at `now`; then evaluate. */
static void
fx_cycle(struct fx *f)
{
	struct pw_alert *t;
	struct pw_sample *s;
	size_t n, i;

	f->now += STEP;
	for (i = 0; i < f->snap.n; i++) {
		s = &f->v[i].latest;
		s->ts_ms = f->now;
		s->flags &= ~PW_SAMPLE_FIRST;
		s->utime_ticks += (uint64_t)llround(s->cpu_user_pct *
		    STEP * HZ / 100000.0);
		s->stime_ticks += (uint64_t)llround(s->cpu_system_pct *
		    STEP * HZ / 100000.0);
	}
	for (i = 0; i < f->snap.ngroups; i++) {
		if (f->acc[i] != NULL)
			fx_group_from_views(f, i);
		f->g[i].latest.ts_ms = f->now;
	}
	for (i = 0; i < 2; i++) {
		f->prev_id[i] = i < f->snap.n ? f->v[i].id : 0;
		f->prev[i] = f->v[i].latest;
	}
	f->snap.taken_ms = f->now;
	assert_int_equal(pw_alerts_eval(f->e, &f->snap, f->now, &t, &n), 0);
	for (i = 0; i < n; i++) {
		if (t[i].state == PW_ALERT_FIRING)
			f->fired++;
		else if (t[i].state == PW_ALERT_RESOLVED)
			f->resolved++;
		else
			fail_msg("transition in state %d", t[i].state);
		f->last = t[i];
	}
	free(t);
}

static void
set_cpu(struct fx *f, int i, double pct)
{
	f->v[i].latest.cpu_user_pct = pct;
	f->v[i].latest.cpu_system_pct = 0;
}

static struct pw_rule
rule(const char *name, const char *metric, enum pw_rule_op op, double thr)
{
	struct pw_rule r;

	memset(&r, 0, sizeof(r));
	r.name = (char *)name;		/* pw_alerts_new() copies */
	r.metric = (char *)metric;
	r.op = op;
	r.threshold = thr;
	r.severity = PW_ASEV_WARNING;
	return r;
}

/* Add group view i of target `name` (its sample: all zero) to the fx. */
static struct pw_group_view *
group_add(struct fx *f, const char *name)
{
	struct pw_group_view *g = &f->g[f->snap.ngroups++];

	memset(g, 0, sizeof(*g));
	g->name = name;
	g->selector = "comm x";
	g->has_sample = true;
	g->capacity = 10;
	return g;
}

/* Add group view i of target `name`, made from its processes' samples. */
static struct pw_group_view *
group_auto(struct fx *f, const char *name)
{
	size_t i = f->snap.ngroups;
	struct pw_group_view *g = group_add(f, name);

	assert_non_null(f->acc[i] = pw_groupacc_new());
	return g;
}

/*
 * pw_alerts_set_targets() with names[0..n) and the same bounds for each
 * (pw_target_init()'s defaults are 1 and 0).
 */
static int
set_targets(struct pw_alerts *e, const char *const *names, size_t n,
    size_t min, size_t max)
{
	struct pw_alert_target at[4];
	size_t i;

	assert_true(n <= 4);
	for (i = 0; i < n; i++) {
		at[i].name = names[i];
		at[i].min_processes = min;
		at[i].max_processes = max;
	}
	return pw_alerts_set_targets(e, n > 0 ? at : NULL, n);
}

static size_t
count_state(struct pw_alerts *e, unsigned mask)
{
	struct pw_alert *a;
	size_t n;

	assert_int_equal(pw_alerts_copy(e, mask, &a, &n), 0);
	free(a);
	return n;
}

static void
test_rules_for_delays_firing(void **state)
{
	struct pw_rule r = rule("cpu", "cpu_percent", PW_OP_GT, 50);
	struct fx f;
	int i;

	(void)state;
	r.for_ms = 600;
	fx_init(&f, &r, 1, 10);
	set_cpu(&f, 0, 99);
	fx_cycle(&f);			/* pending at +200 */
	assert_int_equal(count_state(f.e, PW_ALERTS_PENDING), 1);
	fx_cycle(&f);
	fx_cycle(&f);			/* +600: 400 ms held, not yet */
	assert_int_equal(f.fired, 0);
	fx_cycle(&f);			/* +800: 600 ms held: fires */
	assert_int_equal(f.fired, 1);
	assert_int_equal(f.last.started_ms, T0 + 200);
	assert_int_equal(f.last.fired_ms, T0 + 800);
	for (i = 0; i < 20; i++)
		fx_cycle(&f);
	assert_int_equal(f.fired, 1);	/* once, not every cycle */
	assert_int_equal(count_state(f.e, PW_ALERTS_FIRING), 1);
	set_cpu(&f, 0, 10);
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	assert_string_equal(f.last.reason, "condition cleared");
	assert_int_equal(count_state(f.e, PW_ALERTS_FIRING), 0);
	assert_int_equal(count_state(f.e, PW_ALERTS_RESOLVED), 1);
	fx_fini(&f);
}

static void
test_rules_pending_that_clears_is_silent(void **state)
{
	struct pw_rule r = rule("cpu", "cpu_percent", PW_OP_GT, 50);
	struct fx f;

	(void)state;
	r.for_ms = 1000;
	fx_init(&f, &r, 1, 10);
	set_cpu(&f, 0, 99);
	fx_cycle(&f);
	fx_cycle(&f);
	set_cpu(&f, 0, 1);
	fx_cycle(&f);
	assert_int_equal(f.fired + f.resolved, 0);
	assert_int_equal(count_state(f.e, PW_ALERTS_PENDING |
	    PW_ALERTS_FIRING | PW_ALERTS_RESOLVED), 0);
	fx_fini(&f);
}

static void
test_rules_hysteresis(void **state)
{
	struct pw_rule r = rule("cpu", "cpu_percent", PW_OP_GT, 90);
	static const double vals[] = { 95, 85, 95, 75, 91, 71, 95 };
	struct fx f;
	size_t i;

	(void)state;
	r.has_clear = true;
	r.clear = 70;
	fx_init(&f, &r, 1, 10);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		set_cpu(&f, 0, vals[i]);
		fx_cycle(&f);
	}
	assert_int_equal(f.fired, 1);
	assert_int_equal(f.resolved, 0);
	set_cpu(&f, 0, 70);		/* !(70 > 70): past the clear line */
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	fx_fini(&f);
}

static void
test_rules_flapping_makes_no_storm(void **state)
{
	struct pw_rule r[2];
	struct fx f;
	int i;

	(void)state;
	/* Rule 0 waits 1 s; rule 1 fires at once but clears only below 50. */
	r[0] = rule("slow", "cpu_percent", PW_OP_GT, 90);
	r[0].for_ms = 1000;
	r[1] = rule("sticky", "cpu_percent", PW_OP_GT, 90);
	r[1].has_clear = true;
	r[1].clear = 50;
	fx_init(&f, r, 2, 10);
	for (i = 0; i < 200; i++) {	/* 40 s of 95, 85, 95, 85 ... */
		set_cpu(&f, 0, i % 2 ? 85 : 95);
		fx_cycle(&f);
	}
	/* One alert from "sticky", none from "slow": no storm. */
	assert_int_equal(f.fired, 1);
	assert_int_equal(f.resolved, 0);
	assert_string_equal(f.last.rule->name, "sticky");
	fx_fini(&f);
}

static void
test_rules_process_exit_resolves(void **state)
{
	struct pw_rule r = rule("cpu", "cpu_percent", PW_OP_GT, 50);
	struct pw_alert *a;
	struct fx f;
	size_t n;

	(void)state;
	fx_init(&f, &r, 1, 10);
	set_cpu(&f, 0, 99);
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	f.v[0].alive = false;		/* gone, kept by the store */
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	assert_string_equal(f.last.reason, "process exited");
	assert_int_equal(f.last.resolved_ms, f.now);
	f.snap.n = 0;			/* and then expired */
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	assert_int_equal(pw_alerts_copy(f.e, PW_ALERTS_RESOLVED, &a, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].state, PW_ALERT_RESOLVED);
	assert_int_equal(a[0].pid, 100);
	free(a);
	fx_fini(&f);
}

static void
test_rules_pid_reuse_is_a_new_alert(void **state)
{
	struct pw_rule r = rule("cpu", "cpu_percent", PW_OP_GT, 50);
	struct pw_alert *a;
	struct fx f;
	uint64_t first;
	size_t n;

	(void)state;
	fx_init(&f, &r, 1, 10);
	set_cpu(&f, 0, 99);
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	first = f.last.id;
	/* Same pid, new process: the store gives it another id. */
	f.v[0].id = 2;
	f.v[0].latest.flags = PW_SAMPLE_FIRST;
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);	/* the old one exited */
	assert_int_equal(f.fired, 2);		/* the new one fires anew */
	assert_int_equal(f.last.proc_id, 1);
	assert_int_equal(f.last.id, first);
	assert_int_equal(pw_alerts_copy(f.e, PW_ALERTS_FIRING, &a, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].proc_id, 2);
	assert_int_equal(a[0].pid, 100);
	assert_true(a[0].id != first);
	free(a);
	fx_fini(&f);
}

static void
test_rules_first_sample_cpu_is_unknown(void **state)
{
	struct pw_rule r = rule("cpu", "cpu_percent", PW_OP_GT, 50);
	struct pw_alert *t;
	struct fx f;
	size_t n;

	(void)state;
	fx_init(&f, &r, 1, 10);
	set_cpu(&f, 0, 99);
	f.v[0].latest.flags = PW_SAMPLE_FIRST;
	f.v[0].latest.ts_ms = T0;
	assert_int_equal(pw_alerts_eval(f.e, &f.snap, T0, &t, &n), 0);
	assert_int_equal(n, 0);
	free(t);
	fx_fini(&f);
}

static void
test_rules_template(void **state)
{
	struct pw_rule r = rule("high_cpu", "cpu_percent", PW_OP_GT, 50);
	struct fx f;

	(void)state;
	r.message = (char *)"{rule}: {name}[{pid}] in {target} at "
	    "{value:.1f}% > {threshold} ({value}) {severity} <{last_exit}> "
	    "{{x} {bogus";
	fx_init(&f, &r, 1, 10);
	set_cpu(&f, 0, 93.25);
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_string_equal(f.last.message, "high_cpu: spin[100] in web at "
	    "93.2% > 50 (93.25) warning <> {x} {bogus");
	fx_fini(&f);
}

static void
test_rules_aggregate_avg_window(void **state)
{
	struct pw_rule r = rule("avg", "cpu_percent", PW_OP_GT, 50);
	struct fx f;

	(void)state;
	r.agg = PW_AGG_AVG;
	r.window_ms = 1000;		/* the last 5 samples at 200 ms */
	fx_init(&f, &r, 1, 10);
	set_cpu(&f, 0, 0);
	fx_cycle(&f);
	fx_cycle(&f);
	fx_cycle(&f);
	fx_cycle(&f);
	fx_cycle(&f);
	set_cpu(&f, 0, 100);		/* avg 20, then 40, 60 */
	fx_cycle(&f);
	fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_true(fabs(f.last.value - 60) < 1e-9);
	fx_fini(&f);
}

static void
test_rules_aggregate_max_min(void **state)
{
	struct pw_rule r[2];
	struct fx f;

	(void)state;
	r[0] = rule("max", "threads", PW_OP_GE, 10);
	r[0].agg = PW_AGG_MAX;
	r[0].window_ms = 600;
	r[1] = rule("min", "threads", PW_OP_LT, 2);
	r[1].agg = PW_AGG_MIN;
	r[1].window_ms = 600;
	fx_init(&f, r, 2, 10);
	f.v[0].latest.threads = 5;
	fx_cycle(&f);
	f.v[0].latest.threads = 10;	/* max 10 fires */
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	f.v[0].latest.threads = 1;	/* min 1 fires; max still 10 */
	fx_cycle(&f);
	assert_int_equal(f.fired, 2);
	fx_cycle(&f);
	fx_cycle(&f);			/* the 10 left the window */
	assert_int_equal(f.resolved, 1);
	assert_string_equal(f.last.rule->name, "max");
	fx_fini(&f);
}

static void
test_rules_fd_usage(void **state)
{
	struct pw_rule r;
	struct fx f;

	(void)state;
	assert_int_equal(pw_rule_builtin("fd_exhaustion", &r), 0);
	fx_init(&f, &r, 1, 10);
	f.v[0].fd_limit = 1000;
	f.v[0].latest.open_fds = 900;	/* 0.9 is not > 0.9 */
	fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	f.v[0].latest.open_fds = 950;
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_true(fabs(f.last.value - 0.95) < 1e-9);
	assert_int_equal(f.last.rule->severity, PW_ASEV_CRITICAL);
	f.v[0].latest.flags |= PW_SAMPLE_NO_FDS; /* unknown: state stays */
	fx_cycle(&f);
	assert_int_equal(f.resolved, 0);
	pw_rule_fini(&r);
	fx_fini(&f);
}

static void
test_rules_rate(void **state)
{
	struct pw_rule r = rule("cs", "ctx_switches_involuntary_rate",
	    PW_OP_GT, 1000);
	struct fx f;

	(void)state;
	fx_init(&f, &r, 1, 10);
	f.v[0].latest.ctx_involuntary = 100;
	fx_cycle(&f);			/* no previous sample: no rate */
	f.v[0].latest.ctx_involuntary = 200;	/* 100 / 0.2 s = 500/s */
	fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	f.v[0].latest.ctx_involuntary = 600;	/* 2000/s */
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_true(fabs(f.last.value - 2000) < 1e-9);
	f.v[0].latest.ctx_involuntary = 5;	/* a reset counts as 0 */
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	assert_true(pw_rule_metric_valid("read_bytes_rate"));
	assert_false(pw_rule_metric_valid("bogus_rate"));
	fx_fini(&f);
}

static void
test_rules_targets_filter(void **state)
{
	struct pw_rule r = rule("cpu", "cpu_percent", PW_OP_GT, 50);
	char *targets[] = { (char *)"db" };
	struct fx f;

	(void)state;
	r.targets = targets;
	r.ntargets = 1;
	fx_init(&f, &r, 1, 10);
	view_init(&f.v[1], 7, 200, "postgres");
	f.v[1].target = "db";
	f.snap.n = 2;
	set_cpu(&f, 0, 99);
	set_cpu(&f, 1, 99);
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_int_equal(f.last.pid, 200);
	assert_string_equal(f.last.target, "db");
	fx_fini(&f);
}

static void
test_rules_history_is_bounded(void **state)
{
	struct pw_rule r = rule("cpu", "cpu_percent", PW_OP_GT, 50);
	struct pw_alert *a;
	struct fx f;
	size_t n;
	int i;

	(void)state;
	fx_init(&f, &r, 1, 3);
	for (i = 0; i < 5; i++) {
		set_cpu(&f, 0, 99);
		fx_cycle(&f);
		set_cpu(&f, 0, 1);
		fx_cycle(&f);
	}
	assert_int_equal(f.fired, 5);
	assert_int_equal(f.resolved, 5);
	assert_int_equal(pw_alerts_copy(f.e, PW_ALERTS_RESOLVED, &a, &n), 0);
	assert_int_equal(n, 3);
	assert_true(a[0].id > a[1].id && a[1].id > a[2].id); /* newest first */
	free(a);
	fx_fini(&f);
}

static void
test_rules_rule_counts(void **state)
{
	struct pw_rule r[2];
	struct fx f;
	size_t p, fi;

	(void)state;
	r[0] = rule("now", "cpu_percent", PW_OP_GT, 50);
	r[1] = rule("later", "cpu_percent", PW_OP_GT, 50);
	r[1].for_ms = 60000;
	fx_init(&f, r, 2, 0);
	view_init(&f.v[1], 2, 101, "b");
	f.snap.n = 2;
	set_cpu(&f, 0, 99);
	set_cpu(&f, 1, 99);
	fx_cycle(&f);
	pw_alerts_rule_counts(f.e, 0, &p, &fi);
	assert_int_equal(p, 0);
	assert_int_equal(fi, 2);
	pw_alerts_rule_counts(f.e, 1, &p, &fi);
	assert_int_equal(p, 2);
	assert_int_equal(fi, 0);
	assert_int_equal(pw_alerts_nrules(f.e), 2);
	assert_string_equal(pw_alerts_rule(f.e, 1)->name, "later");
	assert_null(pw_alerts_rule(f.e, 2));
	fx_fini(&f);
}

static void
test_rules_unknown_metric_rejected(void **state)
{
	struct pw_rule r = rule("x", "cpu_percnt", PW_OP_GT, 1);

	(void)state;
	assert_null(pw_alerts_new(&r, 1, 0));
	pw_alerts_free(NULL);
}

static void
test_rules_reload_keeps_unchanged_and_resolves_changed(void **state)
{
	struct pw_rule r[2], nr[2];
	struct pw_alert *t;
	struct fx f;
	size_t n;

	(void)state;
	r[0] = rule("cpu", "cpu_percent", PW_OP_GT, 50);
	r[1] = rule("cpu2", "cpu_percent", PW_OP_GT, 60);
	fx_init(&f, r, 2, 10);
	set_cpu(&f, 0, 99);
	fx_cycle(&f);
	assert_int_equal(f.fired, 2);
	/* "cpu" stays as it was; "cpu2" changes its threshold; "mem" is new. */
	nr[0] = rule("cpu2", "cpu_percent", PW_OP_GT, 70);
	nr[1] = rule("cpu", "cpu_percent", PW_OP_GT, 50);
	assert_int_equal(pw_alerts_reload(f.e, nr, 2, f.now, &t, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].state, PW_ALERT_RESOLVED);
	assert_string_equal(t[0].rule->name, "cpu2");
	assert_string_equal(t[0].reason, "rule changed");
	free(t);
	assert_int_equal(pw_alerts_nrules(f.e), 2);
	assert_string_equal(pw_alerts_rule(f.e, 1)->name, "cpu");
	/* The unchanged rule's alert is still firing and does not fire again;
	 * the changed one fires anew under its new definition. */
	fx_cycle(&f);
	assert_int_equal(f.fired, 3);
	assert_string_equal(f.last.rule->name, "cpu2");
	assert_int_equal(count_state(f.e, PW_ALERTS_FIRING), 2);
	/* The history still names the replaced rule. */
	assert_int_equal(count_state(f.e, PW_ALERTS_RESOLVED), 1);
	fx_fini(&f);
}

/* --- exit reasons and process_down ---------------------------------------- */

/* A fake exit lookup: knows one pid; counts and records its calls. */
struct fake_exit {
	pid_t		 pid;
	const char	*why;
	int		 calls;
	pid_t		 last_pid;
	int64_t		 since_ms;
};

static int
fake_exit(void *arg, pid_t pid, int64_t since_ms, char *reason, size_t len)
{
	struct fake_exit *fe = arg;

	fe->calls++;
	fe->last_pid = pid;
	fe->since_ms = since_ms;
	if (pid != fe->pid)
		return -ENOENT;
	snprintf(reason, len, "%s", fe->why);
	return 0;
}

static void
test_rules_exit_reason_from_lookup(void **state)
{
	struct pw_rule r = rule("cpu", "cpu_percent", PW_OP_GT, 50);
	struct fake_exit fe = { 100, "exited with SIGKILL", 0, 0, 0 };
	struct pw_alert *a;
	struct fx f;
	int64_t seen;
	size_t n;

	(void)state;
	fx_init(&f, &r, 1, 10);
	pw__alerts_set_exit_lookup(f.e, fake_exit, &fe);
	set_cpu(&f, 0, 99);
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_int_equal(fe.calls, 0);		/* nobody went away yet */
	seen = f.now;
	f.snap.n = 0;
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	assert_string_equal(f.last.reason, "exited with SIGKILL");
	assert_int_equal(fe.calls, 1);
	assert_int_equal(fe.last_pid, 100);
	/* Asked for exits since (about) the sample that last saw it. */
	assert_true(fe.since_ms <= seen && fe.since_ms > seen - 5000);
	/* The reason is in the history too, as the API shows it. */
	assert_int_equal(pw_alerts_copy(f.e, PW_ALERTS_RESOLVED, &a, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(a[0].reason, "exited with SIGKILL");
	free(a);
	fx_fini(&f);

	/* A pid the lookup does not know: the plain reason. */
	fe.pid = 999;
	fx_init(&f, &r, 1, 10);
	pw__alerts_set_exit_lookup(f.e, fake_exit, &fe);
	set_cpu(&f, 0, 99);
	fx_cycle(&f);
	f.snap.n = 0;
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	assert_string_equal(f.last.reason, "process exited");
	fx_fini(&f);

	/* No alert firing and no target rule: the lookup is not asked. */
	fe.calls = 0;
	fx_init(&f, &r, 1, 10);
	pw__alerts_set_exit_lookup(f.e, fake_exit, &fe);
	set_cpu(&f, 0, 1);
	fx_cycle(&f);
	f.snap.n = 0;
	fx_cycle(&f);
	assert_int_equal(fe.calls, 0);
	fx_fini(&f);
}

/* An engine with the built-in process_down (for_ms as given) on "web". */
static void
down_init(struct fx *f, int64_t for_ms)
{
	const char *web = "web";
	struct pw_rule r;

	assert_int_equal(pw_rule_builtin("process_down", &r), 0);
	r.for_ms = for_ms;
	fx_init(f, &r, 1, 10);
	pw_rule_fini(&r);
	assert_int_equal(set_targets(f->e, &web, 1, 1, 0), 0);
	group_auto(f, "web");
}

static void
test_rules_process_down_fires_and_resolves(void **state)
{
	struct fake_exit fe = { 100, "exited with SIGKILL", 0, 0, 0 };
	struct fx f;
	int i;

	(void)state;
	down_init(&f, 0);
	pw__alerts_set_exit_lookup(f.e, fake_exit, &fe);
	for (i = 0; i < 3; i++)
		fx_cycle(&f);
	assert_int_equal(f.fired, 0);		/* web has a process */
	assert_int_equal(count_state(f.e, PW_ALERTS_PENDING |
	    PW_ALERTS_FIRING), 0);
	f.snap.n = 0;				/* killed */
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_string_equal(f.last.rule->name, "process_down");
	assert_int_equal(f.last.rule->severity, PW_ASEV_CRITICAL);
	assert_string_equal(f.last.target, "web");
	assert_int_equal(f.last.pid, 100);
	assert_string_equal(f.last.name, "spin");
	assert_int_equal(f.last.proc_id, 0);
	assert_true(f.last.value == 0);
	assert_string_equal(f.last.message,
	    "target web is down: spin (pid 100) exited with SIGKILL");
	assert_int_equal(fe.calls, 1);
	for (i = 0; i < 5; i++)
		fx_cycle(&f);
	assert_int_equal(f.fired, 1);		/* once, not every cycle */
	assert_int_equal(count_state(f.e, PW_ALERTS_FIRING), 1);
	/* A new process of web (a new id, another pid): resolved. */
	view_init(&f.v[0], 2, 101, "spin");
	f.snap.n = 1;
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	assert_string_equal(f.last.rule->name, "process_down");
	assert_string_equal(f.last.reason, "condition cleared");
	assert_int_equal(f.last.pid, 100);	/* the same alert */
	assert_int_equal(count_state(f.e, PW_ALERTS_FIRING), 0);
	fx_fini(&f);
}

static void
test_rules_process_down_needs_all_gone(void **state)
{
	struct fake_exit fe = { 0, "exited with code 3", 0, 0, 0 };
	struct fx f;

	(void)state;
	down_init(&f, 0);
	pw__alerts_set_exit_lookup(f.e, fake_exit, &fe);
	view_init(&f.v[1], 2, 200, "worker");
	f.snap.n = 2;
	fx_cycle(&f);
	/* One of two goes: web is not down, and nobody asks why. */
	f.v[0] = f.v[1];
	f.snap.n = 1;
	fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	assert_int_equal(fe.calls, 0);
	/* A process kept by the store but not alive does not count. */
	fe.pid = 200;
	f.v[0].alive = false;
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_string_equal(f.last.message,
	    "target web is down: worker (pid 200) exited with code 3");
	fx_fini(&f);

	/* Without an exit lookup, the message still names the process. */
	down_init(&f, 0);
	fx_cycle(&f);
	f.snap.n = 0;
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_string_equal(f.last.message,
	    "target web is down: spin (pid 100) exited");
	fx_fini(&f);
}

static void
test_rules_process_down_honours_for(void **state)
{
	struct fx f;

	(void)state;
	down_init(&f, 600);
	fx_cycle(&f);
	f.snap.n = 0;
	fx_cycle(&f);				/* pending from here */
	assert_int_equal(count_state(f.e, PW_ALERTS_PENDING), 1);
	fx_cycle(&f);
	fx_cycle(&f);				/* 400 ms down */
	assert_int_equal(f.fired, 0);
	fx_cycle(&f);				/* 600 ms down */
	assert_int_equal(f.fired, 1);
	assert_int_equal(f.last.fired_ms - f.last.started_ms, 600);
	fx_fini(&f);

	/* Back before `for` has passed: silent. */
	down_init(&f, 600);
	fx_cycle(&f);
	f.snap.n = 0;
	fx_cycle(&f);
	fx_cycle(&f);
	f.snap.n = 1;
	fx_cycle(&f);
	fx_cycle(&f);
	fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	assert_int_equal(f.resolved, 0);
	assert_int_equal(count_state(f.e, PW_ALERTS_PENDING |
	    PW_ALERTS_FIRING), 0);
	fx_fini(&f);
}

static void
test_rules_process_down_not_before_first_cycle(void **state)
{
	struct pw_alert *t;
	struct fx f;
	size_t n;
	int i;

	(void)state;
	down_init(&f, 0);
	/* A starting daemon: nothing committed yet, the store is empty. */
	f.snap.n = 0;
	f.snap.taken_ms = 0;
	for (i = 0; i < 5; i++) {
		f.now += STEP;
		assert_int_equal(pw_alerts_eval(f.e, &f.snap, f.now, &t, &n),
		    0);
		assert_int_equal(n, 0);
		free(t);
	}
	assert_int_equal(count_state(f.e, PW_ALERTS_PENDING), 0);
	/* The first committed cycle finds no process of web: down at once,
	 * although web never had a process. */
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_int_equal(f.last.pid, 0);
	assert_string_equal(f.last.message,
	    "target web is down: no matching process");
	fx_fini(&f);

	/* Never had one, with `for`: fires once it has passed. */
	down_init(&f, 1000);
	f.snap.n = 0;
	for (i = 0; i < 5; i++)
		fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	fx_fini(&f);
}

static void
test_rules_process_down_targets(void **state)
{
	const char *names[] = { "web", "db", "web" };
	struct pw_rule r;
	struct fx f;

	(void)state;
	/* No configured target (the implicit "all processes"): silent. */
	assert_int_equal(pw_rule_builtin("process_down", &r), 0);
	fx_init(&f, &r, 1, 10);
	f.snap.n = 0;
	fx_cycle(&f);
	fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	assert_int_equal(set_targets(f.e, NULL, 0, 1, 0), 0);
	fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	fx_fini(&f);

	/* "targets": ["db"] watches db only; duplicates count once. */
	r.targets = calloc(1, sizeof(*r.targets));
	assert_non_null(r.targets);
	r.targets[0] = strdup("db");
	r.ntargets = 1;
	r.severity = PW_ASEV_WARNING;
	free(r.message);
	r.message = strdup("{target} down ({severity}): {last_exit}");
	fx_init(&f, &r, 1, 10);
	pw_rule_fini(&r);
	assert_int_equal(set_targets(f.e, names, 3, 1, 0), 0);
	group_auto(&f, "web");
	group_auto(&f, "db");
	f.snap.n = 0;
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_string_equal(f.last.target, "db");
	assert_string_equal(f.last.message,
	    "db down (warning): no matching process");
	assert_int_equal(count_state(f.e, PW_ALERTS_FIRING), 1);
	/* A reload that drops db: its alert resolves at the next cycle. */
	assert_int_equal(set_targets(f.e, names, 1, 1, 0), 0);
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	assert_string_equal(f.last.reason, "target removed");
	assert_int_equal(count_state(f.e, PW_ALERTS_FIRING), 0);
	/* Added back: armed again only by a cycle after the change. */
	assert_int_equal(set_targets(f.e, names, 2, 1, 0), 0);
	fx_cycle(&f);
	assert_int_equal(f.fired, 2);
	fx_fini(&f);
}

static void
test_rules_process_down_off_and_reload(void **state)
{
	const char *web = "web";
	struct pw_rule all[16], *pd = NULL, tmp;
	struct pw_alert *t;
	struct fx f;
	size_t i, k = 0, n;

	(void)state;
	/* Every built-in but process_down (the "builtin" switch off). */
	for (i = 0; pw_rule_builtin_name(i) != NULL; i++) {
		assert_true(k < 16);
		assert_int_equal(pw_rule_builtin(pw_rule_builtin_name(i),
		    &all[k]), 0);
		if (strcmp(all[k].name, "process_down") == 0)
			pd = &all[k];
		k++;
	}
	assert_non_null(pd);
	/* Move process_down last, so that k - 1 rules leave it out. */
	tmp = *pd;
	*pd = all[k - 1];
	all[k - 1] = tmp;
	fx_init(&f, all, k - 1, 10);
	assert_int_equal(set_targets(f.e, &web, 1, 1, 0), 0);
	group_auto(&f, "web");
	f.snap.n = 0;
	fx_cycle(&f);
	fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	/* Switched on by a reload: fires at the next cycle. */
	assert_int_equal(pw_alerts_reload(f.e, all, k, f.now, &t, &n), 0);
	assert_int_equal(n, 0);
	free(t);
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	/* A reload keeping it as it is keeps the alert: no new firing. */
	assert_int_equal(pw_alerts_reload(f.e, all, k, f.now, &t, &n), 0);
	assert_int_equal(n, 0);
	free(t);
	fx_cycle(&f);
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_int_equal(count_state(f.e, PW_ALERTS_FIRING), 1);
	/* Switched off: the firing alert resolves with the reload. */
	assert_int_equal(pw_alerts_reload(f.e, all, k - 1, f.now, &t, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(t[0].rule->name, "process_down");
	assert_string_equal(t[0].reason, "rule changed");
	free(t);
	assert_int_equal(count_state(f.e, PW_ALERTS_FIRING), 0);
	for (i = 0; i < k; i++)
		pw_rule_fini(&all[i]);
	fx_fini(&f);
}

/*
 * target_ sums: the whole target's CPU and RSS, not one process's, as
 * the group's accumulator makes them from its processes.
 */
static void
test_rules_target_sums(void **state)
{
	const char *web = "web";
	struct pw_rule r[2];
	struct fx f;

	(void)state;
	r[0] = rule("web_cpu", "target_cpu_percent", PW_OP_GT, 150);
	r[1] = rule("web_rss", "target_rss_bytes", PW_OP_GE, 3000);
	fx_init(&f, r, 2, 10);
	assert_int_equal(set_targets(f.e, &web, 1, 1, 0), 0);
	group_auto(&f, "web");
	view_init(&f.v[1], 2, 200, "worker");
	f.snap.n = 2;
	f.v[0].latest.rss_bytes = 1000;
	f.v[1].latest.rss_bytes = 1000;
	set_cpu(&f, 0, 90);
	set_cpu(&f, 1, 50);
	fx_cycle(&f);
	fx_cycle(&f);
	/* 140 % and 2000 bytes in all: below both, though 90 % is one. */
	assert_int_equal(f.fired, 0);
	set_cpu(&f, 1, 70);			/* 160 %: the sum crosses */
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_string_equal(f.last.rule->name, "web_cpu");
	assert_string_equal(f.last.target, "web");
	assert_int_equal(f.last.pid, 0);	/* the target, no process */
	assert_true(f.last.value > 159.9 && f.last.value < 160.1);
	f.v[1].latest.rss_bytes = 2000;		/* 3000 bytes in all */
	fx_cycle(&f);
	assert_int_equal(f.fired, 2);
	assert_string_equal(f.last.rule->name, "web_rss");
	assert_true(f.last.value == 3000);
	/* One process goes: both sums fall and resolve. */
	f.snap.n = 1;
	fx_cycle(&f);
	assert_int_equal(f.resolved, 2);
	assert_int_equal(count_state(f.e, PW_ALERTS_FIRING), 0);
	fx_fini(&f);

	/* Sums of what has no sense summed, and typos, are refused. */
	assert_true(pw_rule_metric_valid("target_open_fds"));
	assert_true(pw_rule_metric_valid("target_read_bytes_rate"));
	assert_true(pw_rule_metric_valid("target_fd_usage")); /* worst one */
	assert_false(pw_rule_metric_valid("target_fd_limit"));
	assert_false(pw_rule_metric_valid("target_cpu_precent"));
	assert_false(pw_rule_metric_valid("target_target_processes"));
}

/* --- rules with scope group ----------------------------------------------- */

/* A rule on metric `metric` of groups, > thr. */
static struct pw_rule
grule(const char *name, const char *metric, double thr)
{
	struct pw_rule r = rule(name, metric, PW_OP_GT, thr);

	r.scope = PW_SCOPE_GROUP;
	return r;
}

/*
 * The group's RSS, not one process's nor the sum of the processes in the
 * snapshot: pending, firing after `for`, held above `clear`, resolved
 * below it; the alert is the target's.
 */
static void
test_rules_group_rss_for_and_hysteresis(void **state)
{
	const char *web = "web";
	struct pw_rule r = grule("web_rss", "rss_bytes", 1000);
	struct pw_group_view *g;
	struct fx f;

	(void)state;
	r.for_ms = 400;
	r.has_clear = true;
	r.clear = 500;
	fx_init(&f, &r, 1, 10);
	assert_int_equal(set_targets(f.e, &web, 1, 1, 0), 0);
	f.v[0].latest.rss_bytes = 100;	/* the sum would stay far below */
	g = group_add(&f, "web");
	g->latest.processes = 1;
	g->latest.rss_bytes = 2000;
	fx_cycle(&f);			/* pending */
	assert_int_equal(count_state(f.e, PW_ALERTS_PENDING), 1);
	fx_cycle(&f);			/* 200 ms */
	assert_int_equal(f.fired, 0);
	fx_cycle(&f);			/* 400 ms: fires */
	assert_int_equal(f.fired, 1);
	assert_string_equal(f.last.rule->name, "web_rss");
	assert_string_equal(f.last.target, "web");
	assert_int_equal(f.last.pid, 0);
	assert_int_equal(f.last.proc_id, 0);
	assert_true(f.last.value == 2000);
	assert_int_equal(f.last.fired_ms - f.last.started_ms, 400);
	g->latest.rss_bytes = 800;	/* below the threshold, above clear */
	fx_cycle(&f);
	fx_cycle(&f);
	assert_int_equal(f.resolved, 0);
	assert_int_equal(count_state(f.e, PW_ALERTS_FIRING), 1);
	g->latest.rss_bytes = 500;	/* !(500 > 500): cleared */
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	assert_string_equal(f.last.reason, "condition cleared");
	assert_true(f.last.value == 500);
	/* A group sample not newer than the last one is not evaluated. */
	g->latest.rss_bytes = 5000;
	f.now += STEP;
	f.snap.taken_ms = f.now;
	{
		struct pw_alert *t;
		size_t n;

		assert_int_equal(pw_alerts_eval(f.e, &f.snap, f.now, &t, &n),
		    0);
		assert_int_equal(n, 0);
		free(t);
	}
	assert_int_equal(count_state(f.e, PW_ALERTS_PENDING), 0);
	fx_fini(&f);
}

/* fd_usage of a group is its worst member's, not a sum of ratios. */
static void
test_rules_group_fd_usage_is_worst_member(void **state)
{
	const char *web = "web";
	struct pw_rule r = grule("fds", "fd_usage", 0.9);
	struct pw_group_view *g;
	struct fx f;

	(void)state;
	fx_init(&f, &r, 1, 10);
	assert_int_equal(set_targets(f.e, &web, 1, 1, 0), 0);
	g = group_add(&f, "web");
	g->latest.processes = 2;
	g->latest.open_fds = 1900;
	g->latest.fd_usage_max = 0.8;
	g->latest.fd_usage_pid = 100;
	fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	g->latest.fd_usage_max = 0.95;
	g->latest.fd_usage_pid = 200;
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_true(fabs(f.last.value - 0.95) < 1e-9);
	/* No member with both figures: unknown, the alert stays. */
	g->latest.fd_usage_max = 0;
	g->latest.fd_usage_pid = 0;
	fx_cycle(&f);
	assert_int_equal(f.resolved, 0);
	assert_int_equal(count_state(f.e, PW_ALERTS_FIRING), 1);
	/* The group empties: it has no worst member (unknown, not 0), and
	 * the alert resolves, as a process's alerts do when it exits. */
	g->latest.processes = 0;
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	assert_string_equal(f.last.reason, "no process left");
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	assert_int_equal(count_state(f.e, PW_ALERTS_PENDING |
	    PW_ALERTS_FIRING), 0);
	/* A member back at 0.95: a new alert. */
	g->latest.processes = 1;
	g->latest.fd_usage_max = 0.95;
	g->latest.fd_usage_pid = 300;
	fx_cycle(&f);
	assert_int_equal(f.fired, 2);
	fx_fini(&f);

	/* Made from the processes: the worst of them (0.5 and 0.95, whose
	 * sum would be 1.45), through the "target_" name. */
	r = rule("fds", "target_fd_usage", PW_OP_GT, 0.9);
	fx_init(&f, &r, 1, 10);
	assert_int_equal(set_targets(f.e, &web, 1, 1, 0), 0);
	group_auto(&f, "web");
	view_init(&f.v[1], 2, 200, "worker");
	f.snap.n = 2;
	f.v[0].fd_limit = 100;
	f.v[0].latest.open_fds = 50;
	f.v[1].fd_limit = 1000;
	f.v[1].latest.open_fds = 950;
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_true(fabs(f.last.value - 0.95) < 1e-9);
	f.v[1].latest.open_fds = 10;	/* worst now 0.5 */
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	assert_true(fabs(f.last.value - 0.5) < 1e-9);
	fx_fini(&f);
}

/* Rates of a group come from its last two aggregate samples. */
static void
test_rules_group_rates(void **state)
{
	const char *web = "web";
	struct pw_rule r[2];
	struct pw_group_view *g;
	struct pw_alert *a;
	struct fx f;
	size_t n;

	(void)state;
	r[0] = grule("io", "read_bytes_rate", 10000);
	r[1] = grule("cpu", "cpu_ticks_rate", 150);
	fx_init(&f, r, 2, 10);
	assert_int_equal(set_targets(f.e, &web, 1, 1, 0), 0);
	f.v[0].latest.read_bytes = 1u << 30;	/* not what counts */
	g = group_add(&f, "web");
	g->latest.processes = 1;
	g->latest.read_bytes = 1000000;
	g->latest.cpu_user_ticks = 1000;
	fx_cycle(&f);			/* one sample: no rate yet */
	assert_int_equal(count_state(f.e, PW_ALERTS_PENDING |
	    PW_ALERTS_FIRING), 0);
	g->latest.read_bytes += 1000;	/* 1000 B / 0.2 s = 5000 B/s */
	g->latest.cpu_user_ticks += 20;	/* 20 ticks / 0.2 s = 100/s */
	fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	g->latest.read_bytes += 4000;	/* 20000 B/s */
	g->latest.cpu_user_ticks += 20;
	g->latest.cpu_system_ticks += 20; /* 200 ticks/s */
	fx_cycle(&f);
	assert_int_equal(f.fired, 2);
	assert_int_equal(pw_alerts_copy(f.e, PW_ALERTS_FIRING, &a, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(a[0].rule->name, "io");
	assert_true(fabs(a[0].value - 20000) < 1e-6);
	assert_string_equal(a[1].rule->name, "cpu");
	assert_true(fabs(a[1].value - 200) < 1e-6);
	free(a);
	fx_fini(&f);

	/* Unknown rates. */
	fx_init(&f, r, 1, 10);
	assert_int_equal(set_targets(f.e, &web, 1, 1, 0), 0);
	g = group_add(&f, "web");
	g->latest.processes = 1;
	fx_cycle(&f);
	g->latest.read_bytes = 4000;	/* 20000 B/s */
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_true(fabs(f.last.value - 20000) < 1e-6);
	/* Unreadable I/O in either sample: unknown, the state stays. */
	g->latest.read_bytes = 4000;
	g->latest.flags = PW_GSAMPLE_NO_IO;
	fx_cycle(&f);
	assert_int_equal(f.resolved, 0);
	g->latest.flags = 0;
	fx_cycle(&f);			/* the previous one had no I/O */
	assert_int_equal(f.resolved, 0);
	fx_cycle(&f);			/* 0 B/s now */
	assert_int_equal(f.resolved, 1);
	assert_true(f.last.value == 0);
	fx_fini(&f);
}

/*
 * Before a target's first group sample (a target added by a reload, say)
 * its values are unknown, so no rule on them moves and nothing flaps;
 * only its process count is known, from the snapshot's live processes,
 * and it agrees with the group's once samples come.
 */
static void
test_rules_group_before_first_sample(void **state)
{
	const char *web = "web";
	struct pw_rule r[2];
	struct pw_group_view *g;
	struct fx f;
	int i;

	(void)state;
	r[0] = grule("rss", "rss_bytes", 1000);
	assert_int_equal(pw_rule_builtin("process_down", &r[1]), 0);
	fx_init(&f, r, 2, 10);
	pw_rule_fini(&r[1]);
	assert_int_equal(set_targets(f.e, &web, 1, 1, 0), 0);
	f.v[0].latest.rss_bytes = 5000;	/* a process's, not the group's */
	for (i = 0; i < 3; i++)		/* no group view at all */
		fx_cycle(&f);
	assert_int_equal(count_state(f.e, PW_ALERTS_PENDING |
	    PW_ALERTS_FIRING), 0);
	f.snap.n = 0;			/* no process: down, known */
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_string_equal(f.last.rule->name, "process_down");
	f.snap.n = 1;			/* a view whose ring is empty */
	g = group_add(&f, "web");
	g->has_sample = false;
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	assert_int_equal(count_state(f.e, PW_ALERTS_PENDING |
	    PW_ALERTS_FIRING), 0);
	/* The first sample: the group's RSS, and the same count. */
	g->has_sample = true;
	g->latest.processes = 1;
	g->latest.rss_bytes = 2000;
	fx_cycle(&f);
	assert_int_equal(f.fired, 2);
	assert_string_equal(f.last.rule->name, "rss");
	assert_true(f.last.value == 2000);
	assert_int_equal(f.resolved, 1);
	assert_int_equal(count_state(f.e, PW_ALERTS_FIRING), 1);
	fx_fini(&f);
}

/* An engine with every built-in, the target "web" bounded by min/max. */
static void
bounds_init(struct fx *f, size_t min, size_t max, int64_t for_ms)
{
	const char *web = "web";
	struct pw_rule all[16];
	size_t i, k = 0;

	for (i = 0; pw_rule_builtin_name(i) != NULL; i++) {
		assert_true(k < 16);
		assert_int_equal(pw_rule_builtin(pw_rule_builtin_name(i),
		    &all[k]), 0);
		all[k].for_ms = for_ms;
		k++;
	}
	fx_init(f, all, k, 10);
	for (i = 0; i < k; i++)
		pw_rule_fini(&all[i]);
	assert_int_equal(set_targets(f->e, &web, 1, min, max), 0);
}

static void
test_rules_min_processes(void **state)
{
	struct fake_exit fe = { 200, "exited with code 3", 0, 0, 0 };
	struct pw_group_view *g;
	struct fx f;

	(void)state;
	/* min 2 with 1 live (the group view says so): down. */
	bounds_init(&f, 2, 0, 0);
	g = group_add(&f, "web");
	g->latest.processes = 1;
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_string_equal(f.last.rule->name, "process_down");
	assert_true(f.last.value == 1);
	assert_string_equal(f.last.message,
	    "target web is down: only 1 running");
	assert_true(f.last.threshold == 2);
	g->latest.processes = 2;	/* back to 2: resolved */
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	assert_string_equal(f.last.reason, "condition cleared");
	fx_fini(&f);

	/* The group made from its processes: one of two going leaves it
	 * below 2, and the message says which. */
	bounds_init(&f, 2, 0, 0);
	group_auto(&f, "web");
	pw__alerts_set_exit_lookup(f.e, fake_exit, &fe);
	view_init(&f.v[1], 2, 200, "worker");
	f.snap.n = 2;
	fx_cycle(&f);
	fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	f.snap.n = 1;			/* the worker goes */
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_string_equal(f.last.message, "target web is down: only 1 "
	    "running; last gone: worker (pid 200) exited with code 3");
	assert_int_equal(f.last.pid, 200);
	fx_fini(&f);

	/* min 0: never down, not even empty from the start. */
	bounds_init(&f, 0, 0, 0);
	g = group_add(&f, "web");
	f.snap.n = 0;
	fx_cycle(&f);
	fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	assert_int_equal(count_state(f.e, PW_ALERTS_PENDING |
	    PW_ALERTS_FIRING), 0);
	fx_fini(&f);
}

static void
test_rules_max_processes(void **state)
{
	const char *web = "web";
	struct pw_group_view *g;
	struct fx f;
	int i;

	(void)state;
	/* No maximum (0): 500 processes are fine. */
	bounds_init(&f, 1, 0, 0);
	g = group_add(&f, "web");
	g->latest.processes = 500;
	fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	fx_fini(&f);

	bounds_init(&f, 1, 3, 0);
	g = group_add(&f, "web");
	g->latest.processes = 3;	/* not > 3 */
	fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	g->latest.processes = 4;
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_string_equal(f.last.rule->name, "too_many_processes");
	assert_int_equal(f.last.rule->severity, PW_ASEV_WARNING);
	assert_string_equal(f.last.target, "web");
	assert_int_equal(f.last.pid, 0);
	assert_string_equal(f.last.message,
	    "target web has 4 processes (max 3)");
	assert_true(f.last.threshold == 3);
	for (i = 0; i < 3; i++)
		fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	g->latest.processes = 3;
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	/* A reload raising the bound takes effect; removing it resolves. */
	g->latest.processes = 9;
	fx_cycle(&f);
	assert_int_equal(f.fired, 2);
	assert_int_equal(set_targets(f.e, &web, 1, 1, 20), 0);
	fx_cycle(&f);
	assert_int_equal(f.resolved, 2);
	assert_string_equal(f.last.reason, "condition cleared");
	g->latest.processes = 30;
	fx_cycle(&f);
	assert_int_equal(f.fired, 3);
	assert_string_equal(f.last.message,
	    "target web has 30 processes (max 20)");
	assert_int_equal(set_targets(f.e, &web, 1, 1, 0), 0);
	fx_cycle(&f);
	assert_int_equal(f.resolved, 3);
	assert_string_equal(f.last.reason, "target changed");
	assert_int_equal(count_state(f.e, PW_ALERTS_FIRING), 0);
	fx_fini(&f);

	/* The group made from its processes: 2 > 1, from the first cycle. */
	bounds_init(&f, 1, 1, 0);
	group_auto(&f, "web");
	view_init(&f.v[1], 2, 200, "worker");
	f.snap.n = 2;
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_string_equal(f.last.message,
	    "target web has 2 processes (max 1)");
	fx_fini(&f);
}

/* A built-in with "for" (the config's {"for": "5s"}) waits that long. */
static void
test_rules_builtin_for_delays_process_down(void **state)
{
	struct pw_group_view *g;
	struct fx f;
	int i;

	(void)state;
	bounds_init(&f, 1, 0, 5000);
	g = group_add(&f, "web");
	f.snap.n = 0;			/* never had a process */
	fx_cycle(&f);			/* pending from here */
	assert_int_equal(count_state(f.e, PW_ALERTS_PENDING), 1);
	for (i = 0; i < 24; i++)	/* 4.8 s */
		fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	fx_cycle(&f);			/* 5 s */
	assert_int_equal(f.fired, 1);
	assert_int_equal(f.last.fired_ms - f.last.started_ms, 5000);
	assert_string_equal(f.last.message,
	    "target web is down: no matching process");
	g->latest.processes = 1;
	fx_cycle(&f);
	assert_int_equal(f.resolved, 1);
	fx_fini(&f);
}

/* "target_NAME" is NAME with scope group: same values, same transitions. */
static void
test_rules_target_alias_equivalence(void **state)
{
	const char *web = "web";
	struct pw_rule r[4];
	struct pw_group_view *g;
	struct pw_alert *a;
	struct fx f;
	size_t n;

	(void)state;
	r[0] = rule("alias_rss", "target_rss_bytes", PW_OP_GT, 1000);
	r[1] = grule("group_rss", "rss_bytes", 1000);
	r[2] = rule("alias_procs", "target_processes", PW_OP_GT, 2);
	r[3] = grule("group_procs", "processes", 2);
	fx_init(&f, r, 4, 10);
	assert_int_equal(set_targets(f.e, &web, 1, 1, 0), 0);
	g = group_add(&f, "web");
	g->latest.processes = 2;
	g->latest.rss_bytes = 1000;
	fx_cycle(&f);
	assert_int_equal(f.fired, 0);
	g->latest.rss_bytes = 1500;
	g->latest.processes = 3;
	fx_cycle(&f);
	assert_int_equal(f.fired, 4);
	assert_int_equal(pw_alerts_copy(f.e, PW_ALERTS_FIRING, &a, &n), 0);
	assert_int_equal(n, 4);
	assert_true(a[0].value == 1500 && a[1].value == 1500);
	assert_true(a[2].value == 3 && a[3].value == 3);
	assert_int_equal(a[0].pid, 0);
	assert_int_equal(a[1].pid, 0);
	assert_string_equal(a[0].target, "web");
	assert_string_equal(a[1].target, "web");
	free(a);
	g->latest.rss_bytes = 10;
	fx_cycle(&f);
	assert_int_equal(f.resolved, 2);
	fx_fini(&f);

	/* Which metric goes with which scope. */
	assert_true(pw_rule_metric_scope_valid("processes", PW_SCOPE_GROUP));
	assert_false(pw_rule_metric_scope_valid("processes",
	    PW_SCOPE_PROCESS));
	assert_true(pw_rule_metric_valid("processes"));
	assert_true(pw_rule_metric_scope_valid("target_processes",
	    PW_SCOPE_PROCESS));
	assert_true(pw_rule_metric_scope_valid("fd_usage", PW_SCOPE_GROUP));
	assert_true(pw_rule_metric_scope_valid("cpu_ticks_rate",
	    PW_SCOPE_GROUP));
	assert_false(pw_rule_metric_scope_valid("fd_limit", PW_SCOPE_GROUP));
	assert_false(pw_rule_metric_scope_valid("custom:queue",
	    PW_SCOPE_GROUP));
	assert_true(pw_rule_metric_scope_valid("custom:queue",
	    PW_SCOPE_PROCESS));
	assert_false(pw_rule_metric_scope_valid("target_fd_limit",
	    PW_SCOPE_GROUP));
	r[0] = grule("x", "fd_limit", 1);
	assert_null(pw_alerts_new(r, 1, 0));
	r[0] = rule("x", "processes", PW_OP_GT, 1);
	assert_null(pw_alerts_new(r, 1, 0));
}

static void
test_rules_reload_group_scope(void **state)
{
	const char *web = "web";
	struct pw_rule r = grule("rss", "rss_bytes", 1000), nr;
	struct pw_group_view *g;
	struct pw_alert *t;
	struct fx f;
	size_t n;

	(void)state;
	fx_init(&f, &r, 1, 10);
	assert_int_equal(set_targets(f.e, &web, 1, 1, 0), 0);
	g = group_add(&f, "web");
	g->latest.processes = 1;
	g->latest.rss_bytes = 5000;
	f.v[0].latest.rss_bytes = 5000;
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	/* The same definition: the alert stays, and does not fire again. */
	nr = grule("rss", "rss_bytes", 1000);
	assert_int_equal(pw_alerts_reload(f.e, &nr, 1, f.now, &t, &n), 0);
	assert_int_equal(n, 0);
	free(t);
	fx_cycle(&f);
	fx_cycle(&f);
	assert_int_equal(f.fired, 1);
	assert_int_equal(count_state(f.e, PW_ALERTS_FIRING), 1);
	/* The scope changed: the group's alert resolves with the reload,
	 * and the rule now fires for the process instead. */
	nr.scope = PW_SCOPE_PROCESS;
	assert_int_equal(pw_alerts_reload(f.e, &nr, 1, f.now, &t, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(t[0].state, PW_ALERT_RESOLVED);
	assert_string_equal(t[0].reason, "rule changed");
	assert_int_equal(t[0].pid, 0);
	assert_string_equal(t[0].target, "web");
	free(t);
	fx_cycle(&f);
	assert_int_equal(f.fired, 2);
	assert_int_equal(f.last.pid, 100);
	assert_int_equal(f.last.proc_id, 1);
	fx_fini(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_for_delays_firing),
		cmocka_unit_test(
		    test_rules_reload_keeps_unchanged_and_resolves_changed),
		cmocka_unit_test(test_rules_pending_that_clears_is_silent),
		cmocka_unit_test(test_rules_hysteresis),
		cmocka_unit_test(test_rules_flapping_makes_no_storm),
		cmocka_unit_test(test_rules_process_exit_resolves),
		cmocka_unit_test(test_rules_pid_reuse_is_a_new_alert),
		cmocka_unit_test(test_rules_first_sample_cpu_is_unknown),
		cmocka_unit_test(test_rules_template),
		cmocka_unit_test(test_rules_aggregate_avg_window),
		cmocka_unit_test(test_rules_aggregate_max_min),
		cmocka_unit_test(test_rules_fd_usage),
		cmocka_unit_test(test_rules_rate),
		cmocka_unit_test(test_rules_targets_filter),
		cmocka_unit_test(test_rules_history_is_bounded),
		cmocka_unit_test(test_rules_rule_counts),
		cmocka_unit_test(test_rules_unknown_metric_rejected),
		cmocka_unit_test(test_rules_exit_reason_from_lookup),
		cmocka_unit_test(test_rules_process_down_fires_and_resolves),
		cmocka_unit_test(test_rules_process_down_needs_all_gone),
		cmocka_unit_test(test_rules_process_down_honours_for),
		cmocka_unit_test(
		    test_rules_process_down_not_before_first_cycle),
		cmocka_unit_test(test_rules_process_down_targets),
		cmocka_unit_test(test_rules_process_down_off_and_reload),
		cmocka_unit_test(test_rules_target_sums),
		cmocka_unit_test(test_rules_group_rss_for_and_hysteresis),
		cmocka_unit_test(test_rules_group_fd_usage_is_worst_member),
		cmocka_unit_test(test_rules_group_rates),
		cmocka_unit_test(test_rules_group_before_first_sample),
		cmocka_unit_test(test_rules_min_processes),
		cmocka_unit_test(test_rules_max_processes),
		cmocka_unit_test(test_rules_builtin_for_delays_process_down),
		cmocka_unit_test(test_rules_target_alias_equivalence),
		cmocka_unit_test(test_rules_reload_group_scope),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

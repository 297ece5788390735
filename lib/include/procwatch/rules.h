/*
 * procwatch/rules.h: alert rules and the alert engine that evaluates them
 * after every sample cycle.
 *
 * A rule compares one metric of a process (a sample key such as
 * "cpu_percent", the ratio "fd_usage" = open_fds / fd_limit, or the
 * per-second rate "<counter>_rate" of a cumulative counter, or a custom
 * series, see pw_rule_metric_valid(); the built-in metrics are the rows
 * of the catalogue, procwatch/metric.h, flagged PW_MF_RULE_*), optionally
 * aggregated (avg, max, min) over a window, with a threshold.  Each
 * (rule, process) pair has a state: inactive -> pending (the condition
 * holds, `for_ms` has not passed yet) -> firing -> resolved (the value
 * crossed back past the `clear` threshold, or the process exited).
 * Processes are told apart by the store's unique id (pw_proc_view.id), so
 * a reused pid never inherits another process's alert.
 *
 * A rule with scope PW_SCOPE_GROUP compares the same metrics of a
 * configured target's group instead (pw_alerts_set_targets()): the
 * aggregate sample of the group (procwatch/groupacc.h) as the snapshot
 * carries it, plus "processes", the number of live members.  Such a rule
 * has one state per target.  "target_NAME" is another name for NAME with
 * scope group.  The built-in process_down (processes below the target's
 * min_processes) fires when a target has too few live processes and
 * resolves when they are back; too_many_processes (above max_processes)
 * catches runaway forking.
 *
 * DESIGN: the engine is pure and clock-injected: pw_alerts_eval() takes a
 * store snapshot and the time, and returns the transitions (fired,
 * resolved) for a notifier to deliver.  Windows for aggregates are kept
 * inside the engine, fed one value per cycle, so evaluation never copies
 * sample history out of the store.  The engine has its own mutex: the
 * sampler evaluates, HTTP threads copy alerts out.
 */
#ifndef PROCWATCH_RULES_H
#define PROCWATCH_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct pw_snapshot;

enum pw_rule_op {
	PW_OP_GT = 0,		/* > */
	PW_OP_GE,		/* >= */
	PW_OP_LT,		/* < */
	PW_OP_LE,		/* <= */
};

enum pw_alert_severity {
	PW_ASEV_INFO = 0,
	PW_ASEV_WARNING,
	PW_ASEV_CRITICAL,
};

enum pw_agg {
	PW_AGG_NONE = 0,	/* the latest value */
	PW_AGG_AVG,
	PW_AGG_MAX,
	PW_AGG_MIN,
};

/* What a rule looks at: each process, or each configured target's group. */
enum pw_rule_scope {
	PW_SCOPE_PROCESS = 0,
	PW_SCOPE_GROUP,
};

/*
 * Where a rule's threshold comes from.  The built-ins process_down and
 * too_many_processes compare a group's processes with each target's own
 * bound (pw_alert_target); a target whose bound is 0 is not evaluated.
 */
enum pw_rule_bound {
	PW_BOUND_NONE = 0,		/* `threshold` */
	PW_BOUND_MIN_PROCESSES,		/* the target's min_processes */
	PW_BOUND_MAX_PROCESSES,		/* the target's max_processes */
};

enum pw_alert_state {
	PW_ALERT_INACTIVE = 0,
	PW_ALERT_PENDING,
	PW_ALERT_FIRING,
	PW_ALERT_RESOLVED,
};

#define PW_RULE_NAME_MAX	64	/* bytes, without the NUL */
#define PW_RULE_MESSAGE_MAX	256	/* rendered message, with the NUL */
#define PW_RULE_WINDOW_MAX	4096	/* values kept per aggregate window */
#define PW_RULE_REASON_MAX	48	/* why an alert resolved, with the NUL */

/*
 * One rule.  Fill it by hand (strings are owned by the rule once it is
 * given to pw_alerts_new(), which copies it) or with pw_rule_builtin().
 * Release the strings of a rule you filled with pw_rule_fini().
 */
struct pw_rule {
	char		*name;		/* owned; [A-Za-z0-9_.-], unique */
	char		*metric;	/* owned; see pw_rule_metric_valid() */
	enum pw_rule_scope scope;	/* "target_" metrics: group anyway */
	enum pw_rule_op	 op;
	double		 threshold;	/* unless `bound` says otherwise */
	enum pw_rule_bound bound;
	bool		 has_clear;	/* hysteresis */
	double		 clear;		/* resolve once !(value op clear) */
	int64_t		 for_ms;	/* 0: fire at once */
	enum pw_agg	 agg;
	int64_t		 window_ms;	/* with agg */
	enum pw_alert_severity severity;
	char		**targets;	/* owned; NULL/0: every target */
	size_t		 ntargets;
	char		*message;	/* owned template; NULL: a default */
};

/* Thread: any (the rule is the caller's). */
void	pw_rule_fini(struct pw_rule *);
/* Deep copy of `src` into caller storage *dst.  0 or -ENOMEM.  Thread: any. */
int	pw_rule_copy(struct pw_rule *dst, const struct pw_rule *src);

/*
 * Is `metric` a metric a rule can name?  A built-in metric, or a custom
 * series (procwatch/custom.h) named "custom:NAME", or plain NAME when
 * NAME is not built in and does not look like a misspelt built-in (a
 * prefix of one, two edits or fewer from one, or ending in "_rate"), so
 * that a typo is still an error.  A custom metric's value for a process is the latest
 * value of the series of that process, else of its target, else of the
 * host (pw_custom_lookup()); while there is none, or it is stale, the
 * rule's state for that process stays as it is.
 * Thread: any (pure).
 */
bool	pw_rule_metric_valid(const char *metric);

/*
 * Is `metric` valid with `scope`?  With PW_SCOPE_GROUP: every built-in
 * metric but fd_limit, plus "processes"; never a custom series.  With
 * PW_SCOPE_PROCESS: every built-in metric but "processes", custom series,
 * and the "target_" names, which mean their metric with scope group.
 * For a group: cpu_percent (and _user, _system) is the group's CPU % of
 * one core, including children it reaped; rss_bytes, vms_bytes,
 * swap_bytes, open_fds and threads are sums over live members;
 * memory_percent is the sum's share of RAM; fd_usage is the worst
 * member's open_fds / fd_limit; the counters (read_bytes, ...,
 * major_faults) are the group's totals since it is watched, and
 * <counter>_rate and cpu_ticks_rate their rates per second between the
 * group's last two samples.
 * Thread: any (pure).
 */
bool	pw_rule_metric_scope_valid(const char *metric, enum pw_rule_scope);

/*
 * The built-in rules: high_cpu (cpu_percent > 90), high_memory
 * (memory_percent > 85), file_handle_leak (open_fds > 1000),
 * fd_exhaustion (fd_usage > 0.9), process_down (target_processes <
 * min_processes, critical) and too_many_processes (processes >
 * max_processes of a group, warning); those two have scope group and
 * a `bound`; cpu_starved (cpu_delay_percent > 20 for 1m) and io_stalled
 * (io_delay_percent > 30 for 1m), warnings.  for_ms is 0 but for those
 * two.  pw_rule_builtin_name(i) names the i-th,
 * NULL past the last; pw_rule_builtin() fills *out (free with
 * pw_rule_fini()) and returns 0, -ENOENT for an unknown name or -ENOMEM.
 * Thread: any.
 */
const char	*pw_rule_builtin_name(size_t i);
int		 pw_rule_builtin(const char *name, struct pw_rule *out);

/* Thread: any. */
const char	*pw_rule_op_name(enum pw_rule_op);
const char	*pw_rule_scope_name(enum pw_rule_scope);
const char	*pw_alert_severity_name(enum pw_alert_severity);
const char	*pw_agg_name(enum pw_agg);
const char	*pw_alert_state_name(enum pw_alert_state);
/* Parse the names above; 0 or -EINVAL.  Thread: any. */
int		 pw_rule_op_parse(const char *, enum pw_rule_op *);
int		 pw_rule_scope_parse(const char *, enum pw_rule_scope *);
int		 pw_alert_severity_parse(const char *, enum pw_alert_severity *);
int		 pw_agg_parse(const char *, enum pw_agg *);

/*
 * Check a message template: placeholders are {value}, {value:.Nf}
 * (N = 0..9), {threshold}, {clear}, {metric}, {name}, {pid}, {target},
 * {rule}, {severity} and {last_exit}; "{{" is a literal '{'.  {last_exit}
 * is for rules on a group's processes: the last process of the target
 * that went away leaving it empty or below its min_processes, and why
 * ("nginx (pid 42) exited with SIGKILL"), or "no matching process" when
 * none was seen; it is empty in other rules.  For such an alert {name}
 * and {pid} are that process's (pid 0 if none); for other group rules
 * they are "" and 0.  {threshold} is the target's bound for a rule with
 * one.  Returns 0, or -EINVAL
 * with the offending placeholder's offset in *at (may be NULL).
 * Thread: any (pure).
 */
int	pw_rule_template_check(const char *tmpl, size_t *at);

/*
 * One alert as copied out of the engine.  Plain data: no pointers except
 * `rule`, which is borrowed from the engine and valid for its life.
 */
struct pw_alert {
	uint64_t		 id;		/* unique in this engine */
	const struct pw_rule	*rule;
	size_t			 rule_index;
	enum pw_alert_state	 state;
	uint64_t		 proc_id;	/* pw_proc_view.id; 0: group */
	pid_t			 pid;
	char			 name[17];	/* comm */
	char			 target[PW_RULE_NAME_MAX + 1];
	double			 value;		/* latest (aggregated) value */
	double			 threshold;	/* in force: the rule's, or the
						 * target's bound (process_down,
						 * too_many_processes) */
	int64_t			 started_ms;	/* became pending */
	int64_t			 fired_ms;	/* 0: never fired */
	int64_t			 resolved_ms;	/* 0: not resolved */
	char			 reason[PW_RULE_REASON_MAX];	/* why, or "" */
	char			 message[PW_RULE_MESSAGE_MAX];
};

struct pw_alerts;

/*
 * Create an engine for `n` rules (deep-copied) keeping the newest
 * `history` resolved alerts (0 keeps none).  Returns NULL when out of
 * memory or a rule names an unknown metric (or one its scope does not
 * have, see pw_rule_metric_scope_valid()).  Free with pw_alerts_free();
 * NULL is accepted.
 * Thread: any; afterwards every function may be called from any thread.
 */
struct pw_alerts	*pw_alerts_new(const struct pw_rule *rules, size_t n,
			    size_t history);
void			 pw_alerts_free(struct pw_alerts *);

/*
 * Evaluate every rule against the processes of `snap` at `now_ms`.  Live
 * processes are evaluated; an active alert whose process is absent from
 * `snap` or not alive resolves with reason "process exited", or with what
 * the events object says (pw_alerts_set_events()).  Rules with scope
 * group are evaluated for each configured target once `snap` comes from
 * a cycle committed after the target was set (snap->taken_ms not 0 and
 * not the one of the last evaluation before it was set), so nothing
 * fires on the empty store of a starting daemon; a target that never had
 * a process is evaluated like any other.  A target's values come from
 * its group view in snap->groups (the view's min_processes and
 * max_processes are not used: pw_alerts_set_targets() gives them).
 * Before a target's first group sample its values are unknown (rule
 * states stay as they are) but "processes", the count of its live
 * processes; a group left with no process resolves its firing alerts
 * ("no process left").  Processes, and groups, whose latest sample
 * is not newer than the one seen last time are not re-evaluated.  The
 * transitions of this call (state FIRING: it fired;
 * RESOLVED: a firing alert resolved) go to *out, a malloc'd array the
 * caller frees with free() (NULL when *n is 0).  Returns 0 or -ENOMEM (the
 * engine's state is then as if the call evaluated nothing new).
 * Thread: the sampler (one evaluator at a time).
 */
int	pw_alerts_eval(struct pw_alerts *, const struct pw_snapshot *snap,
	    int64_t now_ms, struct pw_alert **out, size_t *n);

/*
 * Replace the rules (deep-copied) at `now_ms`.  A rule with the same name
 * and the same definition keeps its alerts; alerts of rules removed or
 * changed resolve with reason "rule changed", and those that were firing
 * go to *out (malloc'd; free() it) for the notifier.  The replaced rules
 * stay allocated until pw_alerts_free(): alerts already copied out still
 * point at them.  Returns 0, -EINVAL (unknown metric) or -ENOMEM, with the
 * old rules in force on failure.
 * Thread: any (the daemon's main thread, on reload).
 */
int	pw_alerts_reload(struct pw_alerts *, const struct pw_rule *rules,
	    size_t n, int64_t now_ms, struct pw_alert **out, size_t *nout);

/* State masks for pw_alerts_copy(). */
#define PW_ALERTS_PENDING	(1u << PW_ALERT_PENDING)
#define PW_ALERTS_FIRING	(1u << PW_ALERT_FIRING)
#define PW_ALERTS_RESOLVED	(1u << PW_ALERT_RESOLVED)

/*
 * Copy the alerts in the states of `mask` (active ones ordered by id,
 * then the resolved history, newest first) into *out, a malloc'd array
 * the caller frees with free().  Returns 0 or -ENOMEM.
 * Thread: any (HTTP).
 */
int	pw_alerts_copy(struct pw_alerts *, unsigned mask,
	    struct pw_alert **out, size_t *n);

struct pw_custom;
/*
 * Where custom metrics are looked up (borrowed; it must outlive the
 * engine).  NULL: rules on custom metrics never fire.  Thread: any.
 */
void	pw_alerts_set_custom(struct pw_alerts *, struct pw_custom *);

struct pw_events;
/*
 * Say why a process went away ("exited with code 3", "exited with
 * SIGKILL"; pw_event_exit_describe()) from the exits `ev` has seen,
 * asked under the engine's lock (the events object's lock is a leaf).
 * NULL, or an events object that never saw the exit: reason "process
 * exited".  `ev` is borrowed and must outlive the engine or the next
 * call.  Thread: any (the daemon's main thread, before sampling starts).
 */
void	pw_alerts_set_events(struct pw_alerts *, struct pw_events *ev);

struct pw_monitor;
/*
 * Say "OOM-killed (cgroup limit 64.0 MiB)" or "OOM-killed (system out of
 * memory)" for a process the monitor's OOM detector (procwatch/oom.h)
 * found killed, before asking the events object (its monitor mutex is
 * taken under the engine's lock).  `m` is borrowed like `ev`; NULL: off.
 * Thread: any (the daemon's main thread, before sampling starts).
 */
void	pw_alerts_set_oom(struct pw_alerts *, struct pw_monitor *m);

/* A configured target as the engine sees it (pw_alerts_set_targets()). */
struct pw_alert_target {
	const char	*name;		/* borrowed; copied by the engine */
	size_t		 min_processes;	/* process_down below it; 0: never */
	size_t		 max_processes;	/* too_many_processes above; 0: none */
};

/*
 * The configured targets (deep-copied) that rules with scope group
 * watch; do not pass the implicit "all processes" one, which is never
 * down.  Entries with an empty or NULL name, and repeated names after
 * the first, are ignored.  Targets that stay keep their alerts and take
 * the new bounds; alerts of targets no longer listed resolve with reason
 * "target removed" at the next pw_alerts_eval(), and those of a rule
 * whose bound became 0 resolve with reason "target changed".  A new
 * target is evaluated from the first cycle committed after this call.
 * Returns 0 or -ENOMEM (the old list stays).
 * Thread: any (main, at start and on reload).
 */
int	pw_alerts_set_targets(struct pw_alerts *,
	    const struct pw_alert_target *targets, size_t n);

/* Thread: any (the engine's mutex); HTTP. */
size_t			 pw_alerts_nrules(const struct pw_alerts *);
/*
 * The i-th rule, borrowed for the engine's life; NULL past the end.
 * Thread: any (the engine's mutex); HTTP.
 */
const struct pw_rule	*pw_alerts_rule(const struct pw_alerts *, size_t i);
/*
 * Alerts of rule i now pending and firing.
 * Thread: any (the engine's mutex); HTTP.
 */
void	pw_alerts_rule_counts(struct pw_alerts *, size_t i, size_t *pending,
	    size_t *firing);

#endif

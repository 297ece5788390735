/*
 * alert_impl.h: the alert engine's state, shared by lib/alert.c (the
 * engine, rules on processes) and lib/alert_group.c (rules with scope
 * group, per configured target), inside lib/ only.  Everything here is
 * guarded by pw_alerts.mtx.
 */
#ifndef PW_ALERT_IMPL_H
#define PW_ALERT_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/groupacc.h>
#include <procwatch/metric.h>
#include <procwatch/rules.h>
#include <procwatch/sample.h>

#include "internal.h"
#include "rule_impl.h"

/* Is m (pw__rule_metric_lookup()) evaluated per target, not per process? */
static inline bool
pw__alert_is_target(int m)
{
	return m >= PW__RULE_GROUP;
}

/*
 * The catalogue's context for a rule: a counter that went backwards
 * reads as a rate of 0, so that a reset ends a rate alert.
 */
static inline struct pw_metric_ctx
pw__alert_ctx(uint64_t mem_total, uint64_t fd_limit)
{
	struct pw_metric_ctx c = { 0 };

	c.mem_total = mem_total;
	c.fd_limit = fd_limit;
	c.flags = PW_MCTX_RESET_IS_ZERO;
	return c;
}

/* The state of one (rule, process) pair. */
struct pw__rstate {
	enum pw_alert_state	 state;	/* INACTIVE, PENDING or FIRING */
	struct pw_alert		 a;	/* valid unless INACTIVE */
	struct pw__window	 win;
};

/* One process seen by the engine. */
struct pw__pentry {
	uint64_t		 proc_id;
	bool			 seen;
	bool			 has_cur, has_prev;
	struct pw_sample	 cur, prev;
	uint64_t		 fd_limit;	/* as last seen */
	/* As last seen, for when it is gone. */
	pid_t			 pid;
	char			 name[17];
	char			 target[PW_RULE_NAME_MAX + 1];
	struct pw__rstate		*rs;	/* one per rule */
};

/* One configured target, for rules with scope group. */
struct pw__tentry {
	char			*name;		/* owned */
	size_t			 min_processes;	/* 0: no process_down */
	size_t			 max_processes;	/* 0: no too_many_processes */
	bool			 is_removed;	/* resolve, then drop */
	bool			 is_armed;	/* a cycle since it was set */
	int64_t			 set_taken_ms;	/* snap->taken_ms then */
	size_t			 live;		/* in this evaluation */
	/* The group's last two aggregate samples, for rates. */
	bool			 has_gcur, has_gprev;
	struct pw_group_sample	 gcur, gprev;
	pid_t			 last_pid;	/* last process gone; 0: none */
	char			 last_name[17];
	char			 last_why[PW_RULE_REASON_MAX];
	struct pw__rstate		*rs;		/* one per rule */
};

struct pw_alerts {
	pthread_mutex_t		 mtx;
	struct pw_rule		*rules;
	int			*metrics;	/* pw__rule_metric_lookup() */
	size_t			 nrules;
	struct pw__pentry		*ents;		/* sorted by proc_id */
	size_t			 nents, capents;
	struct pw_alert		*hist;		/* ring of resolved alerts */
	size_t			 hcap, hhead, hlen;
	uint64_t		 next_id;
	struct pw_custom	*custom;	/* borrowed; may be NULL */
	pw__alerts_exit_fn	*exit_fn;	/* may be NULL */
	void			*exit_arg;	/* borrowed */
	struct pw_monitor	*oom_mon;	/* borrowed; OOM kills, or NULL */
	struct pw__tentry		*tents;		/* configured targets */
	size_t			 ntents;
	int64_t			 last_taken_ms;	/* of the last evaluation */
	/*
	 * Rule sets replaced by pw_alerts_reload().  Alerts in the history
	 * and in copies readers hold still point at them, so they live as
	 * long as the engine; reloads are rare and each costs one rule set.
	 */
	struct grave {
		struct pw_rule	*rules;
		size_t		 n;
		int		*metrics;
	}			*graves;
	size_t			 ngraves;
};

/* Transitions collected during one evaluation. */
struct pw__tlist {
	struct pw_alert	*a;
	size_t		 n, cap;
	bool		 oom;
};

/* What an alert is about: a process, or a target (id 0). */
struct pw__subject {
	uint64_t	 id;
	pid_t		 pid;
	const char	*name;
	const char	*target;
	const char	*last_exit;	/* {last_exit}; NULL: empty */
};

struct pw_snapshot;

/* alert.c: resolve a firing alert (to the history and *t), go inactive. */
void	pw__alerts_resolve(struct pw_alerts *, struct pw__rstate *,
	    int64_t now_ms, const char *reason, struct pw__tlist *t);
/*
 * alert.c: run rule i against subject v whose value is `val`; `thr` is
 * the threshold in force (the target's bound for a rule with one, which
 * also resolves there: a bound has no separate clear line).
 */
void	pw__alerts_step(struct pw_alerts *, size_t i, struct pw__rstate *,
	    const struct pw__subject *v, double val, double thr, int64_t now_ms,
	    struct pw__tlist *t);
void	pw__alerts_tentry_fini(struct pw__tentry *, size_t nrules);

/* alert_group.c: the target called `name`, or NULL. */
struct pw__tentry	*pw__alerts_tent_find(struct pw_alerts *,
			    const char *name);
bool	pw__alerts_has_target_rules(const struct pw_alerts *);
/*
 * alert_group.c: process p went away: resolve its alerts with the reason
 * the exit lookup gives, and remember it in its target when it leaves
 * that target empty or below its min_processes (`watch`: rules on
 * targets exist).
 */
void	pw__alerts_gone(struct pw_alerts *, struct pw__pentry *p, bool watch,
	    int64_t now_ms, struct pw__tlist *t);
/* alert_group.c: evaluate the rules with scope group. */
void	pw__alerts_eval_targets(struct pw_alerts *,
	    const struct pw_snapshot *snap, int64_t now_ms,
	    struct pw__tlist *t);

#endif

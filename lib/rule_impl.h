/*
 * rule_impl.h: what lib/rule.c, lib/template.c and lib/alert.c share
 * about rules (procwatch/rules.h), inside lib/ only.
 *
 * A rule's metric resolves once, when the engine takes the rule, to an
 * int: a catalogue row (procwatch/metric.h) read per process,
 * PW__RULE_GROUP + row for the row of each configured target's group
 * (scope group, or a "target_" name), or PW__RULE_CUSTOM for a custom
 * series (procwatch/custom.h).
 */
#ifndef PW_RULE_IMPL_H
#define PW_RULE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <procwatch/metric.h>
#include <procwatch/rules.h>

#define PW__RULE_CUSTOM	PW_METRIC_NROWS
#define PW__RULE_GROUP	64

_Static_assert(PW__RULE_CUSTOM < PW__RULE_GROUP,
    "catalogue rows must stay below PW__RULE_GROUP");

/*
 * What a rule on `name` with `scope` evaluates (see above), or -1 when
 * the metric is unknown or has no value in that scope.
 */
int		 pw__rule_metric_lookup(const char *name, enum pw_rule_scope);

/* The custom series a rule's metric names, or NULL if none. */
const char	*pw__rule_custom_name(const char *metric);

/* Same name and same definition: its alerts carry over a reload. */
bool		 pw__rule_same(const struct pw_rule *, const struct pw_rule *);

/* Does rule r apply to a process or group of `target`? */
bool		 pw__rule_applies(const struct pw_rule *r, const char *target);

/* Is `v op t`? */
bool		 pw__rule_compare(enum pw_rule_op op, double v, double t);

/* The values of one (rule, process) aggregate window, a ring. */
struct pw__window {
	int64_t		*ts;
	double		*v;
	size_t		 head;		/* oldest */
	size_t		 len;
	size_t		 cap;
};

/*
 * Add (ts, v) to a window, drop what is older than window_ms, and
 * aggregate into *out.  Returns false (nothing changed) when out of
 * memory.  Free the window's arrays with pw__window_fini().
 */
bool	pw__window_feed(struct pw__window *w, enum pw_agg agg,
	    int64_t window_ms, int64_t ts, double v, double *out);
void	pw__window_fini(struct pw__window *w);

/*
 * Render rule r's message (its template, or a default) for alert a into
 * buf[cap]: `last_exit` is {last_exit}'s text (NULL: empty), `thr` the
 * threshold in force (the target's bound for a rule with one).
 */
void	pw__rule_render(const struct pw_rule *r, const struct pw_alert *a,
	    const char *last_exit, double thr, char *buf, size_t cap);

#endif

/*
 * events_churn.c: churn detection over the events history
 * (procwatch/events.h, pw_churn_detect()): parents that spawn many
 * short-lived processes, with the commands they run, a severity and a
 * suggestion.  Pure: it works on a copy of the ring and is unit-tested.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/events.h>

enum pw_severity
pw_churn_severity(double rate)
{
	if (rate >= 100)
		return PW_SEV_CRITICAL;
	if (rate >= 20)
		return PW_SEV_HIGH;
	if (rate >= 5)
		return PW_SEV_MEDIUM;
	return PW_SEV_LOW;
}

static int
churn_cmp(const void *x, const void *y)
{
	const struct pw_churn *a = x, *b = y;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return (a->ppid > b->ppid) - (a->ppid < b->ppid);
}

/* Count one command of a churn entry; the table keeps the first seen. */
struct cmd_count {
	char		comm[17];
	uint64_t	count;
};

static void
churn_describe(struct pw_churn *c)
{
	char cmds[160] = "";
	size_t i, off = 0;
	int k;

	for (i = 0; i < c->ncmds && off < sizeof(cmds); i++) {
		k = snprintf(cmds + off, sizeof(cmds) - off, "%s%s (%llu)",
		    i ? ", " : "", c->cmds[i].comm[0] ? c->cmds[i].comm : "?",
		    (unsigned long long)c->cmds[i].count);
		if (k < 0)
			break;
		off += (size_t)k;
	}
	snprintf(c->description, sizeof(c->description), "Process '%s' "
	    "(pid %d) spawns %.0f short-lived processes per second (%llu in "
	    "%.0fs, living %.0f ms on average): %s", c->parent_comm,
	    (int)c->ppid, c->rate_per_s, (unsigned long long)c->count,
	    c->window_s, 1000 * c->avg_lifetime_s, cmds);
	snprintf(c->suggestion, sizeof(c->suggestion), "Each fork+exec "
	    "costs far more than the work of a short command: do the work "
	    "in-process (shell builtins, a library call) or batch it (one "
	    "long-lived worker, xargs -n); see what it runs with "
	    "`pstree -p %d`.", (int)c->ppid);
}

int
pw_churn_detect(const struct pw_event *ev, size_t n, int64_t now_ms,
    int64_t window_ms, struct pw_churn **out, size_t *nout)
{
	struct pw_churn *v = NULL, *c;
	struct cmd_count *cc = NULL;
	size_t nv = 0, i, j, k, first = n;
	double *life = NULL, span_s;
	int64_t from = now_ms - window_ms;

	*out = NULL;
	*nout = 0;
	for (i = 0; i < n; i++)
		if (ev[i].ts_ms >= from) {
			first = i;
			break;
		}
	if (first == n)
		return 0;
	/* The ring may hold less than the window. */
	span_s = (double)(now_ms - (first > 0 ? from : ev[first].ts_ms)) /
	    1000.0;
	if (span_s < 1.0)
		span_s = 1.0;
	v = calloc(n - first, sizeof(*v));
	life = calloc(n - first, sizeof(*life));
	cc = calloc((n - first) * PW_CHURN_CMDS * 2, sizeof(*cc));
	if (v == NULL || life == NULL || cc == NULL) {
		free(v);
		free(life);
		free(cc);
		return -ENOMEM;
	}
	for (i = first; i < n; i++) {
		const struct pw_event *e = &ev[i];
		struct cmd_count *t;

		if (e->type != PW_EV_EXIT || e->lifetime_s < 0 ||
		    e->lifetime_s >= PW_CHURN_SHORT_S || e->ppid <= 0)
			continue;
		for (j = 0; j < nv; j++)
			if (v[j].ppid == e->ppid)
				break;
		c = &v[j];
		if (j == nv) {
			nv++;
			c->ppid = e->ppid;
			memcpy(c->parent_comm, e->parent_comm,
			    sizeof(c->parent_comm));
			memcpy(c->target, e->target, sizeof(c->target));
		}
		if (c->target[0] == '\0')	/* attributed later than forked */
			memcpy(c->target, e->target, sizeof(c->target));
		c->count++;
		life[j] += e->lifetime_s;
		/* Up to 2 * PW_CHURN_CMDS distinct commands are tallied. */
		t = &cc[j * PW_CHURN_CMDS * 2];
		for (k = 0; k < PW_CHURN_CMDS * 2 && t[k].count > 0; k++)
			if (strcmp(t[k].comm, e->comm) == 0)
				break;
		if (k < PW_CHURN_CMDS * 2) {
			if (t[k].count == 0)
				memcpy(t[k].comm, e->comm, sizeof(t[k].comm));
			t[k].count++;
		}
	}
	for (i = j = 0; i < nv; i++) {
		struct cmd_count *t = &cc[i * PW_CHURN_CMDS * 2];
		size_t a, b;

		c = &v[i];
		c->window_s = span_s;
		c->rate_per_s = (double)c->count / span_s;
		c->avg_lifetime_s = life[i] / (double)c->count;
		if (c->rate_per_s < PW_CHURN_MIN_RATE)
			continue;
		/* Most frequent commands first (a short selection sort). */
		for (a = 0; a < PW_CHURN_CMDS; a++) {
			size_t best = SIZE_MAX;

			for (b = 0; b < PW_CHURN_CMDS * 2; b++)
				if (t[b].count > 0 && (best == SIZE_MAX ||
				    t[b].count > t[best].count))
					best = b;
			if (best == SIZE_MAX)
				break;
			memcpy(c->cmds[a].comm, t[best].comm,
			    sizeof(c->cmds[a].comm));
			c->cmds[a].count = t[best].count;
			t[best].count = 0;
			c->ncmds++;
		}
		c->severity = pw_churn_severity(c->rate_per_s);
		c->impact = c->rate_per_s >= 100 ? 1 : c->rate_per_s / 100;
		churn_describe(c);
		v[j++] = *c;
	}
	free(life);
	free(cc);
	if (j == 0) {
		free(v);
		return 0;
	}
	qsort(v, j, sizeof(*v), churn_cmp);
	*out = v;
	*nout = j;
	return 0;
}

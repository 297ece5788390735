/*
 * events.c: process lifecycle events from the netlink process connector.
 *
 * DESIGN: see procwatch/events.h.  The events thread owns the table of
 * live processes it has seen fork (pid -> fork time, parent, name,
 * target), bounded by TABLE_MAX; the history ring and the counters are
 * shared with HTTP threads under `mu`, which is never held across a store
 * call or a /proc read.  The store's lock is taken (by
 * pw_store_snapshot_pid()) only without `mu` held.
 *
 * The thread polls two sockets: the connector's and taskstats'.  A
 * taskstats record whose exit event is not in the ring yet waits in a
 * small table (the thread's own, bounded by PEND_MAX, PW_EV_CPU_MATCH_MS
 * old at most) that the exit event then takes; a record whose exit event
 * is already in the ring is added to it there, under `mu`.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <procwatch/events.h>
#include <procwatch/store.h>

#include "internal.h"
#include "pwutil.h"

#define TABLE_MAX	16384	/* live processes followed */
#define RECV_BUF	(64 * 1024)
#define POLL_MS		200
#define PEND_MAX	512	/* taskstats records awaiting their exit */

const char *
pw_event_type_name(enum pw_event_type t)
{
	switch (t) {
	case PW_EV_FORK:
		return "fork";
	case PW_EV_EXEC:
		return "exec";
	default:
		return "exit";
	}
}

int
pw_event_parse(const void *buf, size_t len, struct pw_event *ev)
{
	const struct nlmsghdr *nh = buf;
	const struct cn_msg *cn;
	struct proc_event pev, *pe = &pev;
	unsigned st;

	memset(ev, 0, sizeof(*ev));
	ev->lifetime_s = -1;
	if (len < NLMSG_HDRLEN || nh->nlmsg_len < NLMSG_HDRLEN ||
	    nh->nlmsg_len > len)
		return -EINVAL;
	if (nh->nlmsg_type != NLMSG_DONE)
		return 0;
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*cn)))
		return -EINVAL;
	cn = NLMSG_DATA(nh);
	if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC)
		return 0;
	if (cn->len < sizeof(*pe) || NLMSG_LENGTH(sizeof(*cn) + cn->len) >
	    nh->nlmsg_len)
		return cn->len == 0 ? 0 : -EINVAL;
	/* cn->data is only 4-byte aligned: copy it out. */
	memcpy(&pev, cn->data, sizeof(pev));
	switch (pe->what) {
	case PROC_EVENT_FORK:
		if (pe->event_data.fork.child_pid !=
		    pe->event_data.fork.child_tgid)
			return 0;		/* a thread */
		ev->type = PW_EV_FORK;
		ev->pid = pe->event_data.fork.child_tgid;
		ev->ppid = pe->event_data.fork.parent_tgid;
		return 1;
	case PROC_EVENT_EXEC:
		ev->type = PW_EV_EXEC;
		ev->pid = pe->event_data.exec.process_tgid;
		return 1;
	case PROC_EVENT_EXIT:
		if (pe->event_data.exit.process_pid !=
		    pe->event_data.exit.process_tgid)
			return 0;		/* a thread */
		ev->type = PW_EV_EXIT;
		ev->pid = pe->event_data.exit.process_tgid;
		ev->ppid = pe->event_data.exit.parent_tgid;
		/* exit_code is the wait status: code << 8, or the signal. */
		st = pe->event_data.exit.exit_code;
		if (WIFSIGNALED(st)) {
			ev->signal = WTERMSIG(st);
			ev->core_dumped = WCOREDUMP(st) != 0;
		} else
			ev->exit_code = WEXITSTATUS(st);
		return 1;
	default:
		return 0;
	}
}

const char *
pw_signal_name(int sig, char *buf, size_t len)
{
	const char *s = sigabbrev_np(sig);

	if (s == NULL)
		snprintf(buf, len, "signal %d", sig);
	else
		snprintf(buf, len, "SIG%s", s);
	return buf;
}

const char *
pw_event_exit_describe(const struct pw_event *ev, char *buf, size_t len)
{
	char sn[32];

	if (ev->signal == 0)
		snprintf(buf, len, "exited with code %d", ev->exit_code);
	else if (ev->core_dumped)
		snprintf(buf, len, "killed by %s (core dumped)",
		    pw_signal_name(ev->signal, sn, sizeof(sn)));
	else
		snprintf(buf, len, "exited with %s",
		    pw_signal_name(ev->signal, sn, sizeof(sn)));
	return buf;
}

/* --- taskstats (pure) --------------------------------------------------------- */

/* The fields we need end with ac_stime; ac_tgid came later (version 8+). */
#define TS_MIN_LEN	(offsetof(struct taskstats, ac_stime) + \
	sizeof(((struct taskstats *)0)->ac_stime))
#define TS_TGID_END	(offsetof(struct taskstats, ac_tgid) + \
	sizeof(((struct taskstats *)0)->ac_tgid))

/*
 * The next attribute of a run of `left` bytes at a, or NULL at its end;
 * *bad is set when an attribute's length does not fit.
 */
static const struct nlattr *
attr_next(const unsigned char *a, size_t left, bool *bad)
{
	const struct nlattr *na = (const void *)a;
	struct nlattr h;

	if (left < NLA_HDRLEN)
		return NULL;			/* trailing padding at most */
	memcpy(&h, a, sizeof(h));
	if (h.nla_len < NLA_HDRLEN || h.nla_len > left) {
		*bad = true;
		return NULL;
	}
	return na;
}

/* One nested TASKSTATS_TYPE_AGGR_PID: 1, or -EINVAL. */
static int
parse_aggr_pid(const unsigned char *a, size_t left,
    struct pw_taskstats_rec *rec)
{
	struct taskstats ts;
	struct nlattr h;
	uint32_t pid = 0;
	size_t plen, step;
	bool bad = false, has_pid = false, has_stats = false;

	memset(&ts, 0, sizeof(ts));
	while (attr_next(a, left, &bad) != NULL) {
		memcpy(&h, a, sizeof(h));
		plen = h.nla_len - NLA_HDRLEN;
		switch (h.nla_type & NLA_TYPE_MASK) {
		case TASKSTATS_TYPE_PID:
			if (plen < sizeof(pid))
				return -EINVAL;
			memcpy(&pid, a + NLA_HDRLEN, sizeof(pid));
			has_pid = true;
			break;
		case TASKSTATS_TYPE_STATS:
			/* Older kernels send less, newer ones more. */
			if (plen < TS_MIN_LEN)
				return -EINVAL;
			memcpy(&ts, a + NLA_HDRLEN, plen < sizeof(ts) ? plen :
			    sizeof(ts));
			if (plen < TS_TGID_END)
				ts.ac_tgid = 0;
			has_stats = true;
			break;
		default:
			break;			/* TASKSTATS_TYPE_NULL padding */
		}
		step = NLA_ALIGN(h.nla_len);
		if (step >= left)
			break;
		a += step;
		left -= step;
	}
	if (!has_pid)
		pid = ts.ac_pid;
	if (bad || !has_stats || pid == 0 || pid > INT32_MAX ||
	    ts.ac_tgid > INT32_MAX)
		return -EINVAL;
	memset(rec, 0, sizeof(*rec));
	rec->pid = (pid_t)pid;
	rec->tgid = ts.ac_tgid != 0 ? (pid_t)ts.ac_tgid : rec->pid;
	rec->utime_us = ts.ac_utime;
	rec->stime_us = ts.ac_stime;
	rec->exit_status = ts.ac_exitcode;
	memcpy(rec->comm, ts.ac_comm, sizeof(rec->comm) - 1);
	rec->comm[sizeof(rec->comm) - 1] = '\0';
	return 1;
}

int
pw_taskstats_parse(const void *buf, size_t len, uint16_t family,
    struct pw_taskstats_rec *rec)
{
	const unsigned char *a;
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	struct nlattr h;
	size_t left, step;
	bool bad = false;
	int rc = 0;

	if (len < NLMSG_HDRLEN)
		return -EINVAL;
	memcpy(&nh, buf, sizeof(nh));
	if (nh.nlmsg_len < NLMSG_HDRLEN || nh.nlmsg_len > len)
		return -EINVAL;
	if (nh.nlmsg_type != family || family < NLMSG_MIN_TYPE)
		return 0;			/* an ack, an error, another */
	if (nh.nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return -EINVAL;
	a = (const unsigned char *)buf + NLMSG_HDRLEN;
	memcpy(&gh, a, sizeof(gh));
	if (gh.cmd != TASKSTATS_CMD_NEW)
		return 0;
	a += GENL_HDRLEN;
	left = nh.nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	while (rc == 0 && attr_next(a, left, &bad) != NULL) {
		memcpy(&h, a, sizeof(h));
		/* AGGR_TGID comes with the last thread of a multi-threaded
		 * process; it sums delays only, not CPU times: skipped. */
		if ((h.nla_type & NLA_TYPE_MASK) == TASKSTATS_TYPE_AGGR_PID)
			rc = parse_aggr_pid(a + NLA_HDRLEN, h.nla_len -
			    NLA_HDRLEN, rec);
		step = NLA_ALIGN(h.nla_len);
		if (step >= left)
			break;
		a += step;
		left -= step;
	}
	return bad ? -EINVAL : rc;
}

/* --- churn (pure) ------------------------------------------------------------- */

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

/* --- the events thread ----------------------------------------------------------- */

/* A live process the thread has seen fork (or exec). */
struct live {
	pid_t		pid;		/* 0: free; open addressing */
	pid_t		ppid;
	int64_t		fork_ms;	/* 0: fork not seen */
	char		comm[17];
	char		parent_comm[17];
	char		target[PW_EV_TARGET_MAX];
};

/* A taskstats record (summed by tgid) waiting for its exit event. */
struct pend {
	pid_t		tgid;
	uint64_t	cpu_us;
	int64_t		ts_ms;		/* of the first record */
};

struct pw_events {
	struct pw_store		*store;
	char			*proc_root;
	int			 fd;
	bool			 available;
	char			 reason[160];
	int			 ts_fd;		/* taskstats; -1: none */
	uint16_t		 ts_family;
	char			 ts_mask[256];	/* CPUs registered for */
	bool			 ts_available;
	char			 ts_reason[160];
	pthread_t		 thread;
	bool			 started;
	_Atomic bool		 stop;

	/* (E) the events thread's */
	struct live		*live;		/* TABLE_MAX * 2 slots */
	size_t			 nlive;
	struct pend		 pend[PEND_MAX];
	size_t			 npend;

	/* under mu */
	pthread_mutex_t		 mu;
	struct pw_event		*ring;
	size_t			 cap, head, len;
	struct pw_ev_counter	*ctr;
	size_t			 nctr;
	uint64_t		 dropped;
	/* discovery: pids that forked or exec'd since the last take */
	bool			 disc_ok;	/* our pids are the kernel's */
	bool			 disc_taken;	/* a take started the record */
	bool			 disc_lost;	/* since the last take */
	pid_t			*disc;
	size_t			 ndisc, capdisc;
};

#define DISC_MAX	65536	/* pids between two takes; past it: lost */

/* A pid forked or exec'd: the sampler's next take hands it over. */
static void
disc_note(struct pw_events *e, pid_t pid)
{
	pid_t *np;
	size_t ncap;

	pthread_mutex_lock(&e->mu);
	if (e->disc_taken && !e->disc_lost) {
		if (e->ndisc == e->capdisc) {
			ncap = e->capdisc ? e->capdisc * 2 : 256;
			if (ncap > DISC_MAX || (np = realloc(e->disc,
			    ncap * sizeof(*np))) == NULL) {
				e->disc_lost = true;	/* a listing catches up */
				pthread_mutex_unlock(&e->mu);
				return;
			}
			e->disc = np;
			e->capdisc = ncap;
		}
		e->disc[e->ndisc++] = pid;
	}
	pthread_mutex_unlock(&e->mu);
}

/*
 * Are the connector's pids the ones under proc_root?  Only in the initial
 * pid namespace (/proc/self/status NSpid has one pid) and on /proc itself.
 */
static bool
pids_are_ours(const char *proc_root)
{
	char line[256];
	bool ours = false;
	FILE *f;

	if (strcmp(proc_root, "/proc") != 0 ||
	    (f = fopen("/proc/self/status", "re")) == NULL)
		return false;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *tok, *save = NULL;
		int count = 0;

		if (strncmp(line, "NSpid:", 6) != 0)
			continue;
		for (tok = strtok_r(line + 6, " \t\n", &save); tok != NULL;
		    tok = strtok_r(NULL, " \t\n", &save))
			count++;
		ours = count == 1;	/* "NSpid: 42 1": a nested namespace */
		break;
	}
	fclose(f);
	return ours;
}

int
pw_events_take_pids(struct pw_events *e, pid_t **out, size_t *n,
    bool *complete)
{
	pthread_mutex_lock(&e->mu);
	*complete = e->available && e->disc_ok && e->disc_taken &&
	    !e->disc_lost;
	*out = e->disc;
	*n = e->ndisc;
	e->disc = NULL;
	e->ndisc = e->capdisc = 0;
	e->disc_lost = false;
	e->disc_taken = e->available && e->disc_ok;
	pthread_mutex_unlock(&e->mu);
	return 0;
}

#define NSLOTS	(TABLE_MAX * 2)

static struct live *
live_find(struct pw_events *e, pid_t pid, bool create)
{
	size_t j = ((size_t)pid * 2654435761u) % NSLOTS;

	for (; e->live[j].pid != 0; j = (j + 1) % NSLOTS)
		if (e->live[j].pid == pid)
			return &e->live[j];
	if (!create || e->nlive >= TABLE_MAX)
		return NULL;
	memset(&e->live[j], 0, sizeof(e->live[j]));
	e->live[j].pid = pid;
	e->nlive++;
	return &e->live[j];
}

/* Remove by backward-shift, so probing chains stay intact. */
static void
live_remove(struct pw_events *e, struct live *l)
{
	size_t i = (size_t)(l - e->live), j = i, h;

	e->live[i].pid = 0;
	e->nlive--;
	for (;;) {
		j = (j + 1) % NSLOTS;
		if (e->live[j].pid == 0)
			return;
		h = ((size_t)e->live[j].pid * 2654435761u) % NSLOTS;
		/* Can the entry at j move to the hole at i? */
		if ((j > i && (h <= i || h > j)) || (j < i && (h <= i && h > j))) {
			e->live[i] = e->live[j];
			e->live[j].pid = 0;
			i = j;
		}
	}
}

static void
read_comm(const char *root, pid_t pid, char *out, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%d/comm", root, (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;			/* gone already: keep what we had */
	n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0)
		return;
	out[n] = '\0';
	if (out[n - 1] == '\n')
		out[n - 1] = '\0';
}

/* The target of a live monitored process, from the store; false if none. */
static bool
store_target(struct pw_events *e, pid_t pid, char *target, size_t len,
    char *comm, size_t commlen)
{
	struct pw_snapshot *snap;
	bool found = false;

	if (e->store == NULL || pw_store_snapshot_pid(e->store, pid,
	    &snap) < 0)
		return false;
	if (snap->n > 0 && snap->procs[0].alive &&
	    snap->procs[0].target[0] != '\0') {
		snprintf(target, len, "%s", snap->procs[0].target);
		if (comm != NULL)
			snprintf(comm, commlen, "%s", snap->procs[0].name);
		found = true;
	}
	pw_snapshot_free(snap);
	return found;
}

/* Under mu: the counter of target t, created if new. */
static struct pw_ev_counter *
counter(struct pw_events *e, const char *t)
{
	size_t i;

	for (i = 0; i < e->nctr; i++)
		if (strcmp(e->ctr[i].target, t) == 0)
			return &e->ctr[i];
	if (e->nctr == PW_EV_MAX_TARGETS)
		return NULL;
	memset(&e->ctr[e->nctr], 0, sizeof(e->ctr[0]));
	snprintf(e->ctr[e->nctr].target, sizeof(e->ctr[0].target), "%s", t);
	return &e->ctr[e->nctr++];
}

static void
record(struct pw_events *e, const struct pw_event *ev)
{
	struct pw_ev_counter *c = NULL;

	pthread_mutex_lock(&e->mu);
	e->ring[(e->head + e->len) % e->cap] = *ev;
	if (e->len < e->cap)
		e->len++;
	else
		e->head = (e->head + 1) % e->cap;
	if (ev->target[0] != '\0' && ev->type != PW_EV_EXEC)
		c = counter(e, ev->target);
	if (c != NULL && ev->type == PW_EV_FORK)
		c->starts++;
	if (c != NULL && ev->type == PW_EV_EXIT) {
		c->exits++;
		if (ev->signal != 0)
			c->exits_signal++;
		if (ev->has_cpu)
			c->cpu_us += ev->cpu_us;
	}
	pthread_mutex_unlock(&e->mu);
}

/* Take the CPU time waiting for the exit of tgid, if any.  (E) */
static bool
pend_take(struct pw_events *e, pid_t tgid, int64_t now_ms, uint64_t *cpu_us)
{
	size_t i;

	for (i = 0; i < e->npend; i++) {
		if (e->pend[i].tgid != tgid)
			continue;
		if (e->pend[i].ts_ms < now_ms - PW_EV_CPU_MATCH_MS) {
			e->pend[i] = e->pend[--e->npend];	/* stale */
			return false;
		}
		*cpu_us = e->pend[i].cpu_us;
		e->pend[i] = e->pend[--e->npend];
		return true;
	}
	return false;
}

/*
 * Keep a record for the exit of tgid to come.  When the table is full,
 * the oldest entry goes (a stale one, most likely: threads of processes
 * that live on).  (E)
 */
static void
pend_add(struct pw_events *e, pid_t tgid, uint64_t cpu_us, int64_t now_ms)
{
	size_t i, old = 0;

	for (i = 0; i < e->npend; i++) {
		if (e->pend[i].tgid == tgid &&
		    e->pend[i].ts_ms >= now_ms - PW_EV_CPU_MATCH_MS) {
			e->pend[i].cpu_us += cpu_us;
			return;
		}
		if (e->pend[i].ts_ms < e->pend[old].ts_ms)
			old = i;
	}
	if (e->npend < PEND_MAX)
		i = e->npend++;
	else
		i = old;
	e->pend[i].tgid = tgid;
	e->pend[i].cpu_us = cpu_us;
	e->pend[i].ts_ms = now_ms;
}

/*
 * A task's taskstats record: add it to its process's exit event when that
 * is in the ring already (received in the last PW_EV_CPU_MATCH_MS), else
 * keep it for the exit event to take.
 */
static void
on_taskstats(struct pw_events *e, const struct pw_taskstats_rec *r)
{
	struct pw_ev_counter *c;
	struct pw_event *ev;
	uint64_t cpu = r->utime_us + r->stime_us;
	int64_t now = pw_wall_ms();
	size_t i;

	pthread_mutex_lock(&e->mu);
	for (i = e->len; i-- > 0; ) {
		ev = &e->ring[(e->head + i) % e->cap];
		if (ev->ts_ms < now - PW_EV_CPU_MATCH_MS)
			break;
		if (ev->type != PW_EV_EXIT || ev->pid != r->tgid)
			continue;
		ev->cpu_us += cpu;
		ev->has_cpu = true;
		if (ev->target[0] != '\0' &&
		    (c = counter(e, ev->target)) != NULL)
			c->cpu_us += cpu;
		pthread_mutex_unlock(&e->mu);
		return;
	}
	pthread_mutex_unlock(&e->mu);
	pend_add(e, r->tgid, cpu, now);
}

/* Complete a parsed event with what the thread knows, and record it. */
static void
handle(struct pw_events *e, struct pw_event *ev)
{
	struct live *l, *p;

	ev->ts_ms = pw_wall_ms();
	switch (ev->type) {
	case PW_EV_FORK:
		p = live_find(e, ev->ppid, false);
		if (p != NULL) {
			memcpy(ev->parent_comm, p->comm, sizeof(ev->comm));
			memcpy(ev->target, p->target, sizeof(ev->target));
		} else
			read_comm(e->proc_root, ev->ppid, ev->parent_comm,
			    sizeof(ev->parent_comm));
		/* A monitored parent gives its target to its children. */
		if (ev->target[0] == '\0')
			store_target(e, ev->ppid, ev->target,
			    sizeof(ev->target), NULL, 0);
		memcpy(ev->comm, ev->parent_comm, sizeof(ev->comm));
		if ((l = live_find(e, ev->pid, true)) != NULL) {
			l->ppid = ev->ppid;
			l->fork_ms = ev->ts_ms;
			memcpy(l->comm, ev->comm, sizeof(l->comm));
			memcpy(l->parent_comm, ev->parent_comm,
			    sizeof(l->parent_comm));
			memcpy(l->target, ev->target, sizeof(l->target));
		}
		break;
	case PW_EV_EXEC:
		read_comm(e->proc_root, ev->pid, ev->comm, sizeof(ev->comm));
		if ((l = live_find(e, ev->pid, true)) != NULL) {
			if (ev->comm[0] != '\0')
				memcpy(l->comm, ev->comm, sizeof(l->comm));
			else
				memcpy(ev->comm, l->comm, sizeof(ev->comm));
			ev->ppid = l->ppid;
			memcpy(ev->parent_comm, l->parent_comm,
			    sizeof(ev->parent_comm));
			memcpy(ev->target, l->target, sizeof(ev->target));
		}
		break;
	case PW_EV_EXIT:
		if ((l = live_find(e, ev->pid, false)) != NULL) {
			memcpy(ev->comm, l->comm, sizeof(ev->comm));
			memcpy(ev->parent_comm, l->parent_comm,
			    sizeof(ev->parent_comm));
			memcpy(ev->target, l->target, sizeof(ev->target));
			if (l->fork_ms > 0)
				ev->lifetime_s = (double)(ev->ts_ms -
				    l->fork_ms) / 1000.0;
			if (ev->ppid <= 0)
				ev->ppid = l->ppid;
			live_remove(e, l);
			/*
			 * Its parent may have been found by the sampler since
			 * the fork (a new loop is forking before its first
			 * sample).
			 */
			if (ev->target[0] == '\0' && ev->ppid > 0)
				store_target(e, ev->ppid, ev->target,
				    sizeof(ev->target), NULL, 0);
		} else {
			/* Not seen forking: a monitored process, maybe. */
			store_target(e, ev->pid, ev->target,
			    sizeof(ev->target), ev->comm, sizeof(ev->comm));
		}
		/* Its threads' taskstats records may have come first. */
		ev->has_cpu = pend_take(e, ev->pid, ev->ts_ms, &ev->cpu_us);
		break;
	}
	record(e, ev);
}

/* Read what the taskstats socket has.  A lost record is only CPU time. */
static void
read_taskstats(struct pw_events *e, char *buf)
{
	struct pw_taskstats_rec rec;
	struct nlmsghdr *nh;
	ssize_t n;
	size_t left;

	if ((n = recv(e->ts_fd, buf, RECV_BUF, MSG_DONTWAIT)) <= 0)
		return;
	left = (size_t)n;
	for (nh = (struct nlmsghdr *)(void *)buf; NLMSG_OK(nh, left);
	    nh = NLMSG_NEXT(nh, left))
		if (pw_taskstats_parse(nh, nh->nlmsg_len, e->ts_family,
		    &rec) == 1)
			on_taskstats(e, &rec);
}

static void *
events_main(void *arg)
{
	struct pw_events *e = arg;
	struct pollfd pfd[2] = {
		{ .fd = e->fd, .events = POLLIN },
		{ .fd = e->ts_fd, .events = POLLIN },
	};
	struct pw_event ev;
	struct nlmsghdr *nh;
	char *buf;
	ssize_t n;
	size_t left;

	if ((buf = malloc(RECV_BUF)) == NULL)
		return NULL;
	while (!atomic_load(&e->stop)) {
		if (poll(pfd, e->ts_fd >= 0 ? 2 : 1, POLL_MS) <= 0)
			continue;
		if (e->ts_fd >= 0 && (pfd[1].revents & POLLIN))
			read_taskstats(e, buf);
		if (!(pfd[0].revents & POLLIN))
			continue;
		if ((n = recv(e->fd, buf, RECV_BUF, MSG_DONTWAIT)) < 0) {
			if (errno == ENOBUFS) {
				pthread_mutex_lock(&e->mu);
				e->dropped++;
				e->disc_lost = true;
				pthread_mutex_unlock(&e->mu);
			}
			continue;
		}
		left = (size_t)n;
		for (nh = (struct nlmsghdr *)(void *)buf; NLMSG_OK(nh, left);
		    nh = NLMSG_NEXT(nh, left))
			if (pw_event_parse(nh, nh->nlmsg_len, &ev) == 1) {
				if (ev.type != PW_EV_EXIT)
					disc_note(e, ev.pid);
				handle(e, &ev);
			}
	}
	free(buf);
	return NULL;
}

static void
unavailable(struct pw_events *e, const char *what, int err)
{
	e->available = false;
	if (err == EPERM || err == EACCES)
		snprintf(e->reason, sizeof(e->reason), "%s: %s (the process "
		    "connector needs CAP_NET_ADMIN)", what, strerror(err));
	else if (err == EPROTONOSUPPORT || err == ENOENT)
		snprintf(e->reason, sizeof(e->reason), "%s: %s (the kernel "
		    "lacks CONFIG_PROC_EVENTS)", what, strerror(err));
	else
		snprintf(e->reason, sizeof(e->reason), "%s: %s", what,
		    strerror(err));
}

/* Subscribe e->fd to the process connector; 0 or a negative errno. */
static int
subscribe(struct pw_events *e)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr		nh;
		struct cn_msg		cn;
		enum proc_cn_mcast_op	op;
	} __attribute__((packed)) req;
	int rcvbuf = 4 * 1024 * 1024;

	if ((e->fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_CONNECTOR)) < 0) {
		unavailable(e, "socket(NETLINK_CONNECTOR)", errno);
		return -errno;
	}
	/* Bursts of forks must not overflow the socket (ENOBUFS). */
	if (setsockopt(e->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) < 0)
		(void)setsockopt(e->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	sa.nl_groups = CN_IDX_PROC;
	sa.nl_pid = 0;
	if (bind(e->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		unavailable(e, "bind(CN_IDX_PROC)", errno);
		return -errno;
	}
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = NLMSG_DONE;
	req.cn.id.idx = CN_IDX_PROC;
	req.cn.id.val = CN_VAL_PROC;
	req.cn.len = sizeof(req.op);
	req.op = PROC_CN_MCAST_LISTEN;
	if (send(e->fd, &req, sizeof(req), 0) < 0) {
		unavailable(e, "PROC_CN_MCAST_LISTEN", errno);
		return -errno;
	}
	return 0;
}

static void
ts_unavailable(struct pw_events *e, const char *what, int err)
{
	const char *hint = "";

	if (err == EPERM || err == EACCES)
		hint = " (taskstats needs CAP_NET_ADMIN)";
	else if (err == ENOENT)
		hint = " (the kernel lacks CONFIG_TASKSTATS)";
	else if (err == EINVAL)
		hint = " (outside the initial pid or user namespace, where "
		    "taskstats refuses listeners?)";
	snprintf(e->ts_reason, sizeof(e->ts_reason), "%s: %s%s", what,
	    strerror(err), hint);
}

/*
 * Send a generic netlink request of `type` with one string attribute;
 * 0 or a negative errno.
 */
static int
genl_send(int fd, uint16_t type, uint8_t cmd, uint8_t version,
    uint16_t attr, const char *str, uint32_t seq)
{
	struct {
		struct nlmsghdr		nh;
		struct genlmsghdr	gh;
		unsigned char		a[NLA_HDRLEN + 256];
	} req;
	struct nlattr na;
	size_t slen = strlen(str) + 1;

	if (slen > sizeof(req.a) - NLA_HDRLEN)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	na.nla_len = (uint16_t)(NLA_HDRLEN + slen);
	na.nla_type = attr;
	memcpy(req.a, &na, sizeof(na));
	memcpy(req.a + NLA_HDRLEN, str, slen);
	req.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN + NLA_ALIGN(na.nla_len));
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = seq;
	req.gh.cmd = cmd;
	req.gh.version = version;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
		return -errno;
	return 0;
}

/*
 * Wait for the answer to request `seq`: its ack (0) or error (negative
 * errno).  With `family`, a CTRL_CMD_NEWFAMILY answer's family id goes
 * there.  Other messages (early taskstats records) are dropped.
 */
static int
genl_wait(int fd, uint32_t seq, uint16_t *family)
{
	char buf[8192];
	struct nlmsghdr *nh;
	const unsigned char *a;
	struct nlmsgerr err;
	struct nlattr h;
	ssize_t n;
	size_t left, alen, step;
	int tries;

	for (tries = 0; tries < 64; tries++) {
		if ((n = recv(fd, buf, sizeof(buf), 0)) < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		left = (size_t)n;
		for (nh = (struct nlmsghdr *)(void *)buf; NLMSG_OK(nh, left);
		    nh = NLMSG_NEXT(nh, left)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(err)))
					return -EPROTO;
				memcpy(&err, NLMSG_DATA(nh), sizeof(err));
				return err.error;
			}
			if (family == NULL || nh->nlmsg_type != GENL_ID_CTRL ||
			    nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				continue;
			a = (const unsigned char *)NLMSG_DATA(nh) + GENL_HDRLEN;
			alen = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
			while (alen >= NLA_HDRLEN) {
				memcpy(&h, a, sizeof(h));
				if (h.nla_len < NLA_HDRLEN || h.nla_len > alen)
					break;
				if (h.nla_type == CTRL_ATTR_FAMILY_ID &&
				    h.nla_len >= NLA_HDRLEN + sizeof(*family))
					memcpy(family, a + NLA_HDRLEN,
					    sizeof(*family));
				step = NLA_ALIGN(h.nla_len);
				if (step >= alen)
					break;
				a += step;
				alen -= step;
			}
		}
	}
	return -ETIMEDOUT;
}

/* The online CPUs as a list ("0-3,6"), as taskstats wants it. */
static void
online_cpus(char *buf, size_t len)
{
	FILE *f;
	long n;

	if ((f = fopen("/sys/devices/system/cpu/online", "re")) != NULL) {
		if (fgets(buf, (int)len, f) != NULL)
			buf[strcspn(buf, "\n")] = '\0';
		else
			buf[0] = '\0';
		fclose(f);
		if (buf[0] != '\0')
			return;
	}
	n = sysconf(_SC_NPROCESSORS_CONF);
	snprintf(buf, len, "0-%ld", n > 1 ? n - 1 : 0);
}

/*
 * Register e->ts_fd with taskstats for the exits on the online CPUs; 0 or
 * a negative errno, with ts_reason set.  CPUs brought online later are not
 * covered (their exits carry no CPU time).
 */
static int
subscribe_taskstats(struct pw_events *e)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { 1, 0 };
	int rcvbuf = 4 * 1024 * 1024, rc;

	if ((e->ts_fd = socket(PF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_GENERIC)) < 0) {
		rc = -errno;
		ts_unavailable(e, "socket(NETLINK_GENERIC)", -rc);
		return rc;
	}
	if (setsockopt(e->ts_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) < 0)
		(void)setsockopt(e->ts_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	/* Only the setup waits for answers; the thread polls. */
	(void)setsockopt(e->ts_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(e->ts_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		ts_unavailable(e, "bind(NETLINK_GENERIC)", -rc);
		goto out_close;
	}
	if ((rc = genl_send(e->ts_fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1,
	    CTRL_ATTR_FAMILY_NAME, TASKSTATS_GENL_NAME, 1)) < 0 ||
	    (rc = genl_wait(e->ts_fd, 1, &e->ts_family)) < 0) {
		ts_unavailable(e, "family " TASKSTATS_GENL_NAME, -rc);
		goto out_close;
	}
	if (e->ts_family == 0) {
		rc = -ENOENT;
		ts_unavailable(e, "family " TASKSTATS_GENL_NAME, ENOENT);
		goto out_close;
	}
	online_cpus(e->ts_mask, sizeof(e->ts_mask));
	if ((rc = genl_send(e->ts_fd, e->ts_family, TASKSTATS_CMD_GET,
	    TASKSTATS_GENL_VERSION, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK,
	    e->ts_mask, 2)) < 0 || (rc = genl_wait(e->ts_fd, 2, NULL)) < 0) {
		ts_unavailable(e, "taskstats register", -rc);
		goto out_close;
	}
	return 0;
out_close:
	close(e->ts_fd);
	e->ts_fd = -1;
	return rc;
}

/* Write each page of a zeroed block (volatile: calloc's zeroes stay). */
static void
prefault(void *p, size_t n)
{
	volatile char *c = p;
	size_t i;

	for (i = 0; i < n; i += 4096)
		c[i] = 0;
}

/* The object without sockets or thread; NULL when out of memory. */
static struct pw_events *
events_alloc(struct pw_store *store, const char *proc_root, size_t history)
{
	struct pw_events *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->fd = -1;
	e->ts_fd = -1;
	snprintf(e->ts_reason, sizeof(e->ts_reason), "the process connector "
	    "is unavailable");
	e->store = store;
	e->cap = history > 0 ? history : PW_EV_DEFAULT_HISTORY;
	if ((e->proc_root = strdup(proc_root != NULL ? proc_root :
	    "/proc")) == NULL)
		goto out_free;
	if (pthread_mutex_init(&e->mu, NULL) != 0)
		goto out_root;
	e->ring = calloc(e->cap, sizeof(*e->ring));
	e->ctr = calloc(PW_EV_MAX_TARGETS, sizeof(*e->ctr));
	e->live = calloc(NSLOTS, sizeof(*e->live));
	if (e->ring == NULL || e->ctr == NULL || e->live == NULL)
		goto out_mem;
	/*
	 * Touch the fixed tables now: pids hash all over them, so otherwise
	 * the resident size creeps up for hours as new slots are first
	 * written, which looks like a leak to anyone watching it.
	 */
	prefault(e->live, NSLOTS * sizeof(*e->live));
	prefault(e->ring, e->cap * sizeof(*e->ring));
	return e;
out_mem:
	free(e->live);
	free(e->ctr);
	free(e->ring);
	pthread_mutex_destroy(&e->mu);
out_root:
	free(e->proc_root);
out_free:
	free(e);
	return NULL;
}

struct pw_events *
pw__events_new_idle(struct pw_store *store, size_t history)
{
	struct pw_events *e;

	/* No /proc to read names from: tests give them. */
	if ((e = events_alloc(store, "/nonexistent", history)) != NULL)
		snprintf(e->reason, sizeof(e->reason), "idle (a test)");
	return e;
}

void
pw__events_feed(struct pw_events *e, struct pw_event *ev)
{
	handle(e, ev);
}

void
pw__events_feed_taskstats(struct pw_events *e,
    const struct pw_taskstats_rec *r)
{
	on_taskstats(e, r);
}

struct pw_events *
pw_events_new(struct pw_store *store, const char *proc_root, size_t history)
{
	struct pw_events *e;

	if ((e = events_alloc(store, proc_root, history)) == NULL)
		return NULL;
	if (subscribe(e) < 0)
		return e;		/* unavailable, with the reason */
	/* Without taskstats, exits come without CPU time: still useful. */
	(void)subscribe_taskstats(e);
	if (pthread_create(&e->thread, NULL, events_main, e) != 0) {
		unavailable(e, "pthread_create", EAGAIN);
		return e;
	}
	e->started = true;
	e->available = true;
	e->disc_ok = pids_are_ours(e->proc_root);
	if (e->ts_fd >= 0) {
		e->ts_available = true;
		e->ts_reason[0] = '\0';
	}
	return e;
}

void
pw_events_free(struct pw_events *e)
{
	if (e == NULL)
		return;
	atomic_store(&e->stop, true);
	if (e->started)
		pthread_join(e->thread, NULL);	/* wakes within POLL_MS */
	if (e->fd >= 0)
		close(e->fd);
	if (e->ts_fd >= 0) {
		/* The kernel would drop us at the next exit anyway. */
		(void)genl_send(e->ts_fd, e->ts_family, TASKSTATS_CMD_GET,
		    TASKSTATS_GENL_VERSION,
		    TASKSTATS_CMD_ATTR_DEREGISTER_CPUMASK, e->ts_mask, 3);
		close(e->ts_fd);
	}
	free(e->live);
	free(e->ctr);
	free(e->ring);
	free(e->disc);
	pthread_mutex_destroy(&e->mu);
	free(e->proc_root);
	free(e);
}

bool
pw_events_available(struct pw_events *e, char *why, size_t whylen)
{
	if (whylen > 0)
		snprintf(why, whylen, "%s", e->available ? "" : e->reason);
	return e->available;
}

bool
pw_events_cpu_available(struct pw_events *e, char *why, size_t whylen)
{
	if (whylen > 0)
		snprintf(why, whylen, "%s", e->ts_available ? "" :
		    e->ts_reason);
	return e->ts_available;
}

int
pw_events_exit_of(struct pw_events *e, pid_t pid, int64_t since_ms,
    struct pw_event *out)
{
	const struct pw_event *ev;
	size_t i;
	int rc = -ENOENT;

	pthread_mutex_lock(&e->mu);
	for (i = e->len; i-- > 0; ) {
		ev = &e->ring[(e->head + i) % e->cap];
		if (ev->ts_ms < since_ms)
			break;
		if (ev->type == PW_EV_EXIT && ev->pid == pid) {
			*out = *ev;
			rc = 0;
			break;
		}
	}
	pthread_mutex_unlock(&e->mu);
	return rc;
}

int
pw_events_copy(struct pw_events *e, size_t limit, struct pw_event **out,
    size_t *n, struct pw_ev_counter **ctr, size_t *nctr, uint64_t *dropped)
{
	struct pw_event *v = NULL;
	struct pw_ev_counter *c = NULL;
	size_t k, i, from;

	pthread_mutex_lock(&e->mu);
	k = limit < e->len ? limit : e->len;
	if (out != NULL && (v = malloc((k ? k : 1) * sizeof(*v))) == NULL)
		goto out_oom;
	if (ctr != NULL && (c = malloc((e->nctr ? e->nctr : 1) *
	    sizeof(*c))) == NULL)
		goto out_oom;
	if (out != NULL) {
		from = e->len - k;
		for (i = 0; i < k; i++)
			v[i] = e->ring[(e->head + from + i) % e->cap];
		*out = v;
		*n = k;
	}
	if (ctr != NULL) {
		memcpy(c, e->ctr, e->nctr * sizeof(*c));
		*ctr = c;
		*nctr = e->nctr;
	}
	if (dropped != NULL)
		*dropped = e->dropped;
	pthread_mutex_unlock(&e->mu);
	return 0;
out_oom:
	pthread_mutex_unlock(&e->mu);
	free(v);
	return -ENOMEM;
}

int
pw_events_churn(struct pw_events *e, int64_t window_ms, struct pw_churn **out,
    size_t *nout)
{
	struct pw_event *v;
	size_t n;
	int rc;

	*out = NULL;
	*nout = 0;
	if (!e->available)
		return 0;
	if ((rc = pw_events_copy(e, SIZE_MAX, &v, &n, NULL, NULL, NULL)) < 0)
		return rc;
	rc = pw_churn_detect(v, n, pw_wall_ms(), window_ms, out, nout);
	free(v);
	return rc;
}

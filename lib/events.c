/*
 * events.c: process lifecycle events from the netlink process connector.
 *
 * DESIGN: see procwatch/events.h.  The events thread owns the table of
 * live processes it has seen fork (pid -> fork time, parent, name,
 * target), bounded by TABLE_MAX; the history ring and the counters are
 * shared with HTTP threads under `mu`, which is never held across a store
 * call or a /proc read.  The store's lock is taken (by
 * pw_store_snapshot_pid()) only without `mu` held.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <procwatch/events.h>
#include <procwatch/store.h>

#define TABLE_MAX	16384	/* live processes followed */
#define RECV_BUF	(64 * 1024)
#define POLL_MS		200

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

struct pw_events {
	struct pw_store		*store;
	char			*proc_root;
	int			 fd;
	bool			 available;
	char			 reason[160];
	pthread_t		 thread;
	bool			 started;
	_Atomic bool		 stop;

	/* (E) the events thread's */
	struct live		*live;		/* TABLE_MAX * 2 slots */
	size_t			 nlive;

	/* under mu */
	pthread_mutex_t		 mu;
	struct pw_event		*ring;
	size_t			 cap, head, len;
	struct pw_ev_counter	*ctr;
	size_t			 nctr;
	uint64_t		 dropped;
};

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
	}
	pthread_mutex_unlock(&e->mu);
}

/* Complete a parsed event with what the thread knows, and record it. */
static void
handle(struct pw_events *e, struct pw_event *ev)
{
	struct live *l, *p;

	ev->ts_ms = wall_ms();
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
		break;
	}
	record(e, ev);
}

static void *
events_main(void *arg)
{
	struct pw_events *e = arg;
	struct pollfd pfd = { .fd = e->fd, .events = POLLIN };
	struct pw_event ev;
	struct nlmsghdr *nh;
	char *buf;
	ssize_t n;
	size_t left;

	if ((buf = malloc(RECV_BUF)) == NULL)
		return NULL;
	while (!atomic_load(&e->stop)) {
		if (poll(&pfd, 1, POLL_MS) <= 0)
			continue;
		if ((n = recv(e->fd, buf, RECV_BUF, 0)) < 0) {
			if (errno == ENOBUFS) {
				pthread_mutex_lock(&e->mu);
				e->dropped++;
				pthread_mutex_unlock(&e->mu);
			}
			continue;
		}
		left = (size_t)n;
		for (nh = (struct nlmsghdr *)(void *)buf; NLMSG_OK(nh, left);
		    nh = NLMSG_NEXT(nh, left))
			if (pw_event_parse(nh, nh->nlmsg_len, &ev) == 1)
				handle(e, &ev);
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

/* Write each page of a zeroed block (volatile: calloc's zeroes stay). */
static void
prefault(void *p, size_t n)
{
	volatile char *c = p;
	size_t i;

	for (i = 0; i < n; i += 4096)
		c[i] = 0;
}

struct pw_events *
pw_events_new(struct pw_store *store, const char *proc_root, size_t history)
{
	struct pw_events *e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->fd = -1;
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
	if (subscribe(e) < 0)
		return e;		/* unavailable, with the reason */
	if (pthread_create(&e->thread, NULL, events_main, e) != 0) {
		unavailable(e, "pthread_create", EAGAIN);
		return e;
	}
	e->started = true;
	e->available = true;
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
	free(e->live);
	free(e->ctr);
	free(e->ring);
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
	rc = pw_churn_detect(v, n, wall_ms(), window_ms, out, nout);
	free(v);
	return rc;
}

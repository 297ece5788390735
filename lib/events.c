/*
 * events.c: process lifecycle events from the netlink process connector:
 * the events thread, its table of live processes, the history ring, the
 * per-target counters and the exit lookup.  The sockets are set up by
 * lib/events_netlink.c; the messages are parsed by lib/events_parse.c and
 * churn is found by lib/events_churn.c.
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

#include <linux/netlink.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <procwatch/events.h>
#include <procwatch/store.h>

#include "events_impl.h"
#include "internal.h"
#include "pwutil.h"

#define RECV_BUF	(64 * 1024)
#define POLL_MS		200

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

/* /proc/self/ns/pid in the initial pid namespace (PROC_PID_INIT_INO). */
#define INIT_PIDNS	"pid:[4026531836]"

/*
 * Is this process in the initial pid namespace?  The kernel takes process
 * connector subscriptions only from there (cn_proc_mcast_ctl()) and names
 * processes by its pids, so in a container (systemd-nspawn, docker) the
 * subscription is ignored and what arrives, if anything, names other
 * processes.  NSpid (pids_are_ours()) cannot tell: a container's /proc
 * shows its own namespace as the outermost.  Unreadable: assume so.
 */
static bool
is_initial_pidns(void)
{
	char buf[64];
	ssize_t len;

	if ((len = readlink("/proc/self/ns/pid", buf, sizeof(buf) - 1)) < 0)
		return true;
	buf[len] = '\0';
	return strcmp(buf, INIT_PIDNS) == 0;
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

/*
 * The wall-clock time of a kernel timestamp (CLOCK_MONOTONIC ns), now's
 * if there is none or it is in the future.
 */
static int64_t
event_wall_ms(uint64_t mono_ns)
{
	uint64_t now_ns = (uint64_t)pw_mono_ns();
	int64_t now_ms = pw_wall_ms();

	if (mono_ns == 0 || mono_ns > now_ns)
		return now_ms;
	return now_ms - (int64_t)((now_ns - mono_ns) / 1000000);
}

/* Complete a parsed event with what the thread knows, and record it. */
static void
handle(struct pw_events *e, struct pw_event *ev)
{
	struct live *l, *p;

	ev->ts_ms = event_wall_ms(ev->mono_ns);
	switch (ev->type) {
	case PW_EV_COMM:
		/*
		 * A child that renames itself (prctl) at once may do so
		 * before its parent's CPU has sent the fork: the kernel's
		 * messages from two CPUs are not ordered.  So the name may
		 * create the entry.
		 */
		if ((l = live_find(e, ev->pid, true)) != NULL &&
		    ev->comm[0] != '\0') {
			memcpy(l->comm, ev->comm, sizeof(l->comm));
			l->named = true;
		}
		return;				/* not an event of the feed */
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
			if (!l->named)		/* else it named itself already */
				memcpy(l->comm, ev->comm, sizeof(l->comm));
			memcpy(l->parent_comm, ev->parent_comm,
			    sizeof(l->parent_comm));
			memcpy(l->target, ev->target, sizeof(l->target));
		}
		break;
	case PW_EV_EXEC:
		/*
		 * The exec carries no name and sends no comm event (only
		 * prctl(PR_SET_NAME) does), so /proc is all there is: a reader
		 * that fell behind a second exec names the first after it.
		 */
		l = live_find(e, ev->pid, true);
		read_comm(e->proc_root, ev->pid, ev->comm, sizeof(ev->comm));
		if (l != NULL) {
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
	if (pw__events_subscribe(e) < 0)
		return e;		/* unavailable, with the reason */
	if (!is_initial_pidns()) {
		snprintf(e->reason, sizeof(e->reason), "outside the initial "
		    "pid namespace (a container): the kernel ignores process "
		    "connector subscriptions from here");
		close(e->fd);
		e->fd = -1;
		return e;
	}
	/* Without taskstats, exits come without CPU time: still useful. */
	(void)pw__events_subscribe_taskstats(e);
	if (pthread_create(&e->thread, NULL, events_main, e) != 0) {
		pw__events_unavailable(e, "pthread_create", EAGAIN);
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
		pw__events_taskstats_deregister(e);
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

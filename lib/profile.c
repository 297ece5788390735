/*
 * profile.c: on-demand stack sampling with ptrace and elfutils' libdwfl.
 *
 * DESIGN: see procwatch/profile.h.  One profiler thread waits for a job;
 * a job attaches to every thread of the target with PTRACE_SEIZE (new
 * threads are picked up from the task list every REFRESH_NS), and at each
 * tick interrupts them all, waits for each to stop, unwinds each with
 * dwfl_getthread_frames() (the Dwfl is attached once with
 * assume_ptrace_stopped, since we do the stopping), and continues them.
 * Between ticks the tracees are polled (never waitpid(-1): the daemon has
 * children of its own) so that a signal arriving for a tracee is passed
 * on at once instead of waiting for the next tick, and an exit is reaped
 * so the real parent sees it.  A job ends at its deadline, when the
 * target has no thread left, or when the profiler is freed; the threads
 * are interrupted once more and detached (PTRACE_DETACH needs a stopped
 * tracee).
 *
 * Overhead, as measured and reported: stopped_s is the sum over ticks of
 * the wall time from the first thread seen stopped to the last
 * PTRACE_CONT (the time a thread takes to reach its stop is not counted:
 * it runs meanwhile);
 * cpu_before / cpu_during are the target's CPU-seconds per wall second
 * (clock_getcpuclockid(), ns resolution) over PRE_NS before attaching and
 * over the sampling.  For a CPU-bound target their ratio is the slowdown.
 */
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <elfutils/libdwfl.h>

#include <procwatch/profile.h>

#include "pwutil.h"

#define PRE_NS		300000000LL	/* CPU rate measured before */
#define REFRESH_NS	250000000LL	/* task list re-read */
#define POLL_NS		5000000LL	/* tracees polled between ticks */
#define STOP_WAIT_NS	500000000LL	/* give up on a thread's stop */
#define UNKNOWN_FRAME	"[unknown]"

/* --- profiles ------------------------------------------------------------------ */

static void
profile_free(struct pw_profile *p)
{
	size_t i;

	for (i = 0; i < p->nfuncs; i++)
		free(p->funcs[i].name);
	free(p->funcs);
	free(p->threads);
	free(p->folded);
	free(p);
}

void
pw_profile_unref(struct pw_profile *p)
{
	if (p != NULL && atomic_fetch_sub(&p->refs, 1) == 1)
		profile_free(p);
}

/* --- aggregation -------------------------------------------------------------- */

struct stack_ent {
	char		*key;		/* "thread;root;...;leaf"; NULL: free */
	uint64_t	 hash;
	uint64_t	 count;
};

struct func_ent {
	char		*name;		/* NULL: free slot */
	uint64_t	 hash;
	uint64_t	 self, total;
	uint64_t	 stamp;		/* the last sample that counted it */
};

struct thr_ent {
	pid_t		tid;
	char		name[17];
	uint64_t	samples;
};

struct pw_stackagg {
	size_t		 max_stacks;
	struct stack_ent *st;		/* open addressing, power of two */
	size_t		 nst, capst;
	struct func_ent	*fn;
	size_t		 nfn, capfn;
	struct thr_ent	*thr;		/* sorted by tid */
	size_t		 nthr, capthr;
	uint64_t	 seq;
	char		*key;		/* scratch */
	size_t		 keycap;
};

static uint64_t
fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

struct pw_stackagg *
pw_stackagg_new(size_t max_stacks)
{
	struct pw_stackagg *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->max_stacks = max_stacks > 0 ? max_stacks : 1;
	a->capst = 64;
	a->capfn = 64;
	a->st = calloc(a->capst, sizeof(*a->st));
	a->fn = calloc(a->capfn, sizeof(*a->fn));
	if (a->st == NULL || a->fn == NULL) {
		pw_stackagg_free(a);
		return NULL;
	}
	return a;
}

static void
agg_clear(struct pw_stackagg *a)
{
	size_t i;

	for (i = 0; i < a->capst; i++) {
		free(a->st[i].key);
		a->st[i].key = NULL;
	}
	for (i = 0; i < a->capfn; i++) {
		free(a->fn[i].name);
		a->fn[i].name = NULL;
	}
	a->nst = a->nfn = a->nthr = 0;
}

void
pw_stackagg_free(struct pw_stackagg *a)
{
	if (a == NULL)
		return;
	if (a->st != NULL && a->fn != NULL)
		agg_clear(a);
	free(a->st);
	free(a->fn);
	free(a->thr);
	free(a->key);
	free(a);
}

/* Append name to the scratch key with ';' and line breaks replaced. */
static int
key_put(struct pw_stackagg *a, size_t *len, const char *name, bool sep)
{
	size_t n, i;
	char *nk, c;

	if (name == NULL || *name == '\0')
		name = UNKNOWN_FRAME;
	n = strlen(name);
	if (*len + n + 2 > a->keycap) {
		if ((nk = realloc(a->key, (*len + n + 2) * 2)) == NULL)
			return -ENOMEM;
		a->key = nk;
		a->keycap = (*len + n + 2) * 2;
	}
	if (sep)
		a->key[(*len)++] = ';';
	for (i = 0; i < n; i++) {
		c = name[i];
		a->key[(*len)++] = c == ';' || c == '\n' || c == '\r' ? '_' : c;
	}
	a->key[*len] = '\0';
	return 0;
}

static int
st_grow(struct pw_stackagg *a)
{
	struct stack_ent *nv;
	size_t cap = a->capst * 2, i, j;

	if ((nv = calloc(cap, sizeof(*nv))) == NULL)
		return -ENOMEM;
	for (i = 0; i < a->capst; i++) {
		if (a->st[i].key == NULL)
			continue;
		for (j = a->st[i].hash & (cap - 1); nv[j].key != NULL;
		    j = (j + 1) & (cap - 1))
			;
		nv[j] = a->st[i];
	}
	free(a->st);
	a->st = nv;
	a->capst = cap;
	return 0;
}

static int
fn_grow(struct pw_stackagg *a)
{
	struct func_ent *nv;
	size_t cap = a->capfn * 2, i, j;

	if ((nv = calloc(cap, sizeof(*nv))) == NULL)
		return -ENOMEM;
	for (i = 0; i < a->capfn; i++) {
		if (a->fn[i].name == NULL)
			continue;
		for (j = a->fn[i].hash & (cap - 1); nv[j].name != NULL;
		    j = (j + 1) & (cap - 1))
			;
		nv[j] = a->fn[i];
	}
	free(a->fn);
	a->fn = nv;
	a->capfn = cap;
	return 0;
}

/* The entry of function `name` (sanitized like the key), created if new. */
static struct func_ent *
fn_get(struct pw_stackagg *a, const char *name)
{
	uint64_t h;
	size_t j, i, n;
	char *s;

	if (name == NULL || *name == '\0')
		name = UNKNOWN_FRAME;
	n = strlen(name);
	if ((a->nfn + 1) * 2 > a->capfn && fn_grow(a) < 0)
		return NULL;
	h = fnv1a(name, n);
	for (j = h & (a->capfn - 1); a->fn[j].name != NULL;
	    j = (j + 1) & (a->capfn - 1))
		if (a->fn[j].hash == h && strcmp(a->fn[j].name, name) == 0)
			return &a->fn[j];
	if ((s = strdup(name)) == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (s[i] == ';' || s[i] == '\n' || s[i] == '\r')
			s[i] = '_';
	a->fn[j].name = s;
	a->fn[j].hash = h;
	a->nfn++;
	return &a->fn[j];
}

static struct thr_ent *
thr_get(struct pw_stackagg *a, pid_t tid, const char *name)
{
	struct thr_ent *nv;
	size_t lo = 0, hi = a->nthr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a->thr[mid].tid == tid)
			return &a->thr[mid];
		if (a->thr[mid].tid < tid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (a->nthr == a->capthr) {
		if ((nv = realloc(a->thr, (a->capthr ? a->capthr * 2 : 8) *
		    sizeof(*nv))) == NULL)
			return NULL;
		a->thr = nv;
		a->capthr = a->capthr ? a->capthr * 2 : 8;
	}
	memmove(&a->thr[lo + 1], &a->thr[lo], (a->nthr - lo) *
	    sizeof(*a->thr));
	a->nthr++;
	memset(&a->thr[lo], 0, sizeof(*a->thr));
	a->thr[lo].tid = tid;
	snprintf(a->thr[lo].name, sizeof(a->thr[lo].name), "%s",
	    name != NULL ? name : "");
	return &a->thr[lo];
}

int
pw_stackagg_add(struct pw_stackagg *a, pid_t tid, const char *thread,
    const char *const *frames, size_t n)
{
	struct func_ent *f;
	struct thr_ent *t;
	size_t len = 0, i, j;
	uint64_t h;
	int rc;

	if (n > PW_PROFILE_MAX_FRAMES)
		n = PW_PROFILE_MAX_FRAMES;	/* keep the leaf end */
	if ((rc = key_put(a, &len, thread, false)) < 0)
		return rc;
	for (i = n; i-- > 0; )
		if ((rc = key_put(a, &len, frames[i], true)) < 0)
			return rc;
	h = fnv1a(a->key, len);
	for (j = h & (a->capst - 1); a->st[j].key != NULL;
	    j = (j + 1) & (a->capst - 1))
		if (a->st[j].hash == h && strcmp(a->st[j].key, a->key) == 0)
			break;
	if (a->st[j].key == NULL) {
		if (a->nst >= a->max_stacks)
			return -ENOSPC;
		if ((a->nst + 1) * 2 > a->capst) {
			if (st_grow(a) < 0)
				return -ENOMEM;
			for (j = h & (a->capst - 1); a->st[j].key != NULL;
			    j = (j + 1) & (a->capst - 1))
				;
		}
		if ((a->st[j].key = strdup(a->key)) == NULL)
			return -ENOMEM;
		a->st[j].hash = h;
		a->nst++;
	}
	if ((t = thr_get(a, tid, thread)) == NULL)
		return -ENOMEM;
	a->st[j].count++;
	t->samples++;
	a->seq++;
	for (i = 0; i < n; i++) {
		if ((f = fn_get(a, frames[i])) == NULL)
			return -ENOMEM;
		if (i == 0)
			f->self++;
		if (f->stamp != a->seq) {	/* recursion counts once */
			f->stamp = a->seq;
			f->total++;
		}
	}
	return 0;
}

static int
func_cmp(const void *x, const void *y)
{
	const struct pw_prof_func *a = x, *b = y;

	if (a->self != b->self)
		return a->self > b->self ? -1 : 1;
	if (a->total != b->total)
		return a->total > b->total ? -1 : 1;
	return strcmp(a->name, b->name);
}

static int
thread_cmp(const void *x, const void *y)
{
	const struct pw_prof_thread *a = x, *b = y;

	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	return (a->tid > b->tid) - (a->tid < b->tid);
}

static int
stack_cmp(const void *x, const void *y)
{
	const struct stack_ent *const *a = x, *const *b = y;

	return strcmp((*a)->key, (*b)->key);
}

int
pw_stackagg_finish(struct pw_stackagg *a, struct pw_profile *p)
{
	struct pw_prof_func *funcs = NULL;
	struct pw_prof_thread *threads = NULL;
	const struct stack_ent **order = NULL;
	char *folded = NULL, *w;
	size_t i, k, total = 1;
	int n;

	funcs = calloc(a->nfn ? a->nfn : 1, sizeof(*funcs));
	threads = calloc(a->nthr ? a->nthr : 1, sizeof(*threads));
	order = calloc(a->nst ? a->nst : 1, sizeof(*order));
	if (funcs == NULL || threads == NULL || order == NULL)
		goto out_oom;
	for (i = k = 0; i < a->capst; i++) {
		if (a->st[i].key == NULL)
			continue;
		order[k++] = &a->st[i];
		total += strlen(a->st[i].key) + 22;
	}
	qsort(order, k, sizeof(*order), stack_cmp);
	if ((folded = malloc(total)) == NULL)
		goto out_oom;
	w = folded;
	*w = '\0';
	for (i = 0; i < k; i++) {
		n = snprintf(w, total - (size_t)(w - folded), "%s %" PRIu64
		    "\n", order[i]->key, order[i]->count);
		w += n;
	}
	/* From here on nothing fails: move the names over. */
	for (i = k = 0; i < a->capfn; i++) {
		if (a->fn[i].name == NULL)
			continue;
		funcs[k].name = a->fn[i].name;
		funcs[k].self = a->fn[i].self;
		funcs[k++].total = a->fn[i].total;
		a->fn[i].name = NULL;
	}
	qsort(funcs, k, sizeof(*funcs), func_cmp);
	for (i = 0; i < a->nthr; i++) {
		threads[i].tid = a->thr[i].tid;
		memcpy(threads[i].name, a->thr[i].name, sizeof(threads[i].name));
		threads[i].samples = a->thr[i].samples;
	}
	qsort(threads, a->nthr, sizeof(*threads), thread_cmp);
	p->funcs = funcs;
	p->nfuncs = k;
	p->threads = threads;
	p->nthreads = a->nthr;
	p->folded = folded;
	p->folded_len = (size_t)(w - folded);
	free(order);
	agg_clear(a);
	return 0;
out_oom:
	free(folded);
	free(order);
	free(threads);
	free(funcs);
	return -ENOMEM;
}

/* --- access --------------------------------------------------------------------- */

static bool
has_cap(unsigned cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0,
	};
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0)
		return false;
	return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

/* Kernel.yama.ptrace_scope, or -1 without Yama. */
static int
yama_scope(void)
{
	char buf[16] = "";
	ssize_t n;
	int fd;

	if ((fd = open("/proc/sys/kernel/yama/ptrace_scope",
	    O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return atoi(buf);
}

/* The real uid of pid from /proc/PID/status; -ESRCH when gone. */
static int
proc_uid(pid_t pid, uid_t *uid)
{
	char path[64], line[256];
	unsigned long u;
	FILE *f;
	int rc = -EINVAL;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -ESRCH;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Uid: %lu", &u) == 1) {
			*uid = (uid_t)u;
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

int
pw_profile_check_access(pid_t pid, char *why, size_t whylen)
{
	int scope = yama_scope();
	uid_t uid;

	if (scope >= 3) {
		snprintf(why, whylen, "the sysctl kernel.yama.ptrace_scope is "
		    "3: ptrace attach is disabled until reboot");
		return -EPERM;
	}
	if (has_cap(CAP_SYS_PTRACE))
		return 0;
	if (scope >= 1) {
		snprintf(why, whylen, "missing capability CAP_SYS_PTRACE: the "
		    "sysctl kernel.yama.ptrace_scope is %d, which %s", scope,
		    scope == 1 ? "allows attaching only to descendants "
		    "without it (set it to 0, or grant CAP_SYS_PTRACE)" :
		    "allows ptrace only with it");
		return -EPERM;
	}
	if (proc_uid(pid, &uid) == 0 && uid != geteuid()) {
		snprintf(why, whylen, "missing capability CAP_SYS_PTRACE: pid "
		    "%d runs as uid %lu and procwatchd as uid %lu", (int)pid,
		    (unsigned long)uid, (unsigned long)geteuid());
		return -EPERM;
	}
	return 0;
}

/* --- the profiler ----------------------------------------------------------------- */

struct pw_profiler {
	char			*proc_root;
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cond;		/* CLOCK_MONOTONIC */
	bool			 stop;
	uint64_t		 next_id;
	struct pw_profile	*cur;		/* running (a reference) */
	struct pw_profile	*done[PW_PROFILE_KEEP];	/* oldest first */
	size_t			 ndone;
};

/* One traced thread of a job. */
struct tracee {
	pid_t	tid;
	char	name[17];
	bool	live;		/* seized and not gone */
	bool	stopped;	/* in a ptrace-stop we caused, this tick */
	bool	group_stop;	/* resume with PTRACE_LISTEN */
};

struct job {
	struct pw_profiler	*prof;
	struct pw_profile	*p;
	struct pw_stackagg	*agg;
	Dwfl			*dwfl;
	struct tracee		*t;
	size_t			 nt, capt;
	size_t			 nlive;
	/* unwind scratch */
	const char		*frames[PW_PROFILE_MAX_FRAMES];
	char			 names[PW_PROFILE_MAX_FRAMES][64];
	size_t			 nframes;
};

/* The process CPU time of pid in ns; -1 when it cannot be read. */
static int64_t
cpu_ns(pid_t pid)
{
	struct timespec ts;
	clockid_t cid;

	if (clock_getcpuclockid(pid, &cid) != 0 ||
	    clock_gettime(cid, &ts) != 0)
		return -1;
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * Sleep until the monotonic time `until_ns` unless the profiler is being
 * freed.  Returns true when asked to stop.
 */
static bool
sleep_until(struct pw_profiler *pr, int64_t until_ns)
{
	struct timespec ts = {
		.tv_sec = until_ns / 1000000000LL,
		.tv_nsec = until_ns % 1000000000LL,
	};
	bool stop;

	pthread_mutex_lock(&pr->mu);
	while (!pr->stop && pw_mono_ns() < until_ns)
		if (pthread_cond_timedwait(&pr->cond, &pr->mu, &ts) ==
		    ETIMEDOUT)
			break;
	stop = pr->stop;
	pthread_mutex_unlock(&pr->mu);
	return stop;
}

static void
read_comm(const char *root, pid_t pid, pid_t tid, char *out, size_t len)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(out, len, "%d", (int)tid);
	snprintf(path, sizeof(path), "%s/%d/task/%d/comm", root, (int)pid,
	    (int)tid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, out, len - 1);
	close(fd);
	if (n <= 0) {
		snprintf(out, len, "%d", (int)tid);
		return;
	}
	out[n] = '\0';
	if (out[n - 1] == '\n')
		out[n - 1] = '\0';
}

static struct tracee *
tracee_find(struct job *j, pid_t tid)
{
	size_t i;

	for (i = 0; i < j->nt; i++)
		if (j->t[i].tid == tid)
			return &j->t[i];
	return NULL;
}

static void
tracee_gone(struct job *j, struct tracee *t)
{
	if (t->live) {
		t->live = false;
		t->stopped = false;
		j->nlive--;
	}
}

/*
 * Seize the threads of the target not seized yet.  Returns 0, -ESRCH when
 * the process is gone, -EPERM when the first attach is refused.
 */
static int
seize_new(struct job *j)
{
	char path[256];
	struct tracee *t, *nv;
	struct dirent *de;
	DIR *d;
	long tid;
	char *end;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%d/task", j->prof->proc_root,
	    (int)j->p->pid);
	if ((d = opendir(path)) == NULL)
		return -ESRCH;
	while ((de = readdir(d)) != NULL) {
		tid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || tid <= 0)
			continue;
		if ((t = tracee_find(j, (pid_t)tid)) != NULL) {
			if (t->live)
				read_comm(j->prof->proc_root, j->p->pid,
				    t->tid, t->name, sizeof(t->name));
			continue;	/* a gone tid is not reused this soon */
		}
		if (j->nt == j->capt) {
			nv = realloc(j->t, (j->capt ? j->capt * 2 : 16) *
			    sizeof(*nv));
			if (nv == NULL)
				break;
			j->t = nv;
			j->capt = j->capt ? j->capt * 2 : 16;
		}
		if (ptrace(PTRACE_SEIZE, (pid_t)tid, NULL, NULL) != 0) {
			if (errno == EPERM && j->nt == 0)
				rc = -EPERM;
			continue;
		}
		t = &j->t[j->nt++];
		memset(t, 0, sizeof(*t));
		t->tid = (pid_t)tid;
		t->live = true;
		j->nlive++;
		read_comm(j->prof->proc_root, j->p->pid, t->tid, t->name,
		    sizeof(t->name));
	}
	closedir(d);
	return rc;
}

static bool
is_stop_sig(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	    sig == SIGTTOU;
}

/*
 * Handle one wait status of t.  A signal-delivery-stop is passed on to the
 * thread at once (the signal is delivered); an event stop leaves t
 * stopped.  Returns true when t is now stopped by us.
 */
static bool
handle_status(struct job *j, struct tracee *t, int st)
{
	int sig;

	if (WIFEXITED(st) || WIFSIGNALED(st)) {
		tracee_gone(j, t);
		return false;
	}
	if (!WIFSTOPPED(st))
		return false;
	sig = WSTOPSIG(st);
	if ((unsigned)st >> 16 == PTRACE_EVENT_STOP) {
		t->group_stop = is_stop_sig(sig);
		t->stopped = true;
		return true;
	}
	if ((unsigned)st >> 16 != 0)
		sig = 0;		/* no other event is enabled */
	if (ptrace(PTRACE_CONT, t->tid, NULL, (void *)(long)sig) != 0 &&
	    errno == ESRCH)
		tracee_gone(j, t);
	return false;
}

/* Reap what the tracees reported since the last look, without blocking. */
static void
poll_tracees(struct job *j)
{
	struct tracee *t;
	size_t i;
	int st;

	for (i = 0; i < j->nt; i++) {
		t = &j->t[i];
		if (!t->live)
			continue;
		for (;;) {
			pid_t r = waitpid(t->tid, &st, WNOHANG | __WALL);

			if (r == 0)
				break;
			if (r < 0) {
				if (errno == EINTR)
					continue;
				tracee_gone(j, t);	/* ECHILD: not ours */
				break;
			}
			if (handle_status(j, t, st)) {
				/* A stale interrupt: let it run. */
				t->stopped = false;
				ptrace(t->group_stop ? PTRACE_LISTEN :
				    PTRACE_CONT, t->tid, NULL, NULL);
			}
			if (!t->live)
				break;
		}
	}
}

/* Wait (polling, bounded) until t stops; true when it did. */
static bool
wait_stopped(struct job *j, struct tracee *t)
{
	int64_t give_up = pw_mono_ns() + STOP_WAIT_NS;
	struct timespec nap = { 0, 20000 };
	pid_t r;
	int st;

	while (t->live && !t->stopped) {
		r = waitpid(t->tid, &st, WNOHANG | __WALL);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			tracee_gone(j, t);
			break;
		}
		if (r > 0) {
			handle_status(j, t, st);
			continue;
		}
		if (pw_mono_ns() > give_up)
			return false;
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 1000000)
			nap.tv_nsec *= 2;
	}
	return t->stopped;
}

static void
resume(struct job *j, struct tracee *t)
{
	if (!t->stopped)
		return;
	t->stopped = false;
	if (ptrace(t->group_stop ? PTRACE_LISTEN : PTRACE_CONT, t->tid, NULL,
	    NULL) != 0 && errno == ESRCH)
		tracee_gone(j, t);
}

static int
frame_cb(Dwfl_Frame *state, void *arg)
{
	struct job *j = arg;
	Dwarf_Addr pc;
	Dwfl_Module *mod;
	const char *name = NULL, *mname, *base, *at;
	bool act;

	if (!dwfl_frame_pc(state, &pc, &act))
		return DWARF_CB_ABORT;
	if (!act && pc > 0)
		pc--;			/* a return address: the call is before */
	if ((mod = dwfl_addrmodule(j->dwfl, pc)) != NULL) {
		name = dwfl_module_addrname(mod, pc);
		if (name != NULL && (at = strchr(name, '@')) != NULL) {
			/* "__libc_start_main@@GLIBC_2.34": drop the version */
			snprintf(j->names[j->nframes],
			    sizeof(j->names[j->nframes]), "%.*s",
			    (int)(at - name), name);
			name = j->names[j->nframes];
		} else if (name == NULL) {
			mname = dwfl_module_info(mod, NULL, NULL, NULL, NULL,
			    NULL, NULL, NULL);
			base = mname != NULL ? strrchr(mname, '/') : NULL;
			snprintf(j->names[j->nframes],
			    sizeof(j->names[j->nframes]), "[%s]",
			    base != NULL ? base + 1 : mname != NULL ? mname :
			    "unknown");
			name = j->names[j->nframes];
		}
	}
	j->frames[j->nframes++] = name != NULL ? name : UNKNOWN_FRAME;
	return j->nframes == PW_PROFILE_MAX_FRAMES ? DWARF_CB_ABORT :
	    DWARF_CB_OK;
}

/* Take one sample of every live thread. */
static void
sample_round(struct job *j)
{
	struct pw_profile *p = j->p;
	struct tracee *t;
	int64_t t0 = 0, dt;
	size_t i;
	int rc;

	for (i = 0; i < j->nt; i++) {
		t = &j->t[i];
		if (t->live && ptrace(PTRACE_INTERRUPT, t->tid, NULL,
		    NULL) != 0 && errno == ESRCH)
			tracee_gone(j, t);
	}
	for (i = 0; i < j->nt; i++) {
		t = &j->t[i];
		if (!t->live)
			continue;
		if (!wait_stopped(j, t)) {
			if (t->live)
				p->lost++;	/* stuck: drained later */
			continue;
		}
		if (t0 == 0)
			t0 = pw_mono_ns();	/* stopped from here on */
		j->nframes = 0;
		/* A partial unwind (no CFI past some frame) still counts. */
		(void)dwfl_getthread_frames(j->dwfl, t->tid, frame_cb, j);
		if (j->nframes == 0) {
			p->lost++;
		} else if ((rc = pw_stackagg_add(j->agg, t->tid, t->name,
		    j->frames, j->nframes)) < 0) {
			p->lost++;
		} else
			p->samples++;
	}
	for (i = 0; i < j->nt; i++)
		resume(j, &j->t[i]);
	dt = t0 != 0 ? pw_mono_ns() - t0 : 0;
	p->stopped_s += (double)dt / 1e9;
	if ((double)dt / 1e6 > p->stop_max_ms)
		p->stop_max_ms = (double)dt / 1e6;
	p->rounds++;
}

/* Stop every live thread once more and detach it. */
static void
detach_all(struct job *j)
{
	struct tracee *t;
	size_t i;

	for (i = 0; i < j->nt; i++) {
		t = &j->t[i];
		if (t->live && !t->stopped && ptrace(PTRACE_INTERRUPT, t->tid,
		    NULL, NULL) != 0 && errno == ESRCH)
			tracee_gone(j, t);
	}
	for (i = 0; i < j->nt; i++) {
		t = &j->t[i];
		if (!t->live)
			continue;
		/*
		 * A thread that does not stop is left attached; the kernel
		 * detaches it when the profiler thread exits.
		 */
		if (wait_stopped(j, t))
			ptrace(PTRACE_DETACH, t->tid, NULL, NULL);
		t->live = false;
	}
	j->nlive = 0;
}

static const Dwfl_Callbacks dwfl_cbs = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

static void
job_fail(struct pw_profile *p, const char *msg, int err)
{
	p->status = PW_PROFILE_FAILED;
	if (err != 0)
		snprintf(p->error, sizeof(p->error), "%s: %s", msg,
		    strerror(err));
	else
		snprintf(p->error, sizeof(p->error), "%s", msg);
}

/* Run job j on the profiler thread; fills j->p. */
static void
run_job(struct job *j)
{
	struct pw_profile *p = j->p;
	int64_t c0, c1, w0, w1, start, end, next, now, period, refresh, last_c,
	    last_w;
	bool stop = false;
	int rc;

	p->cpu_before = p->cpu_during = -1;
	w0 = pw_mono_ns();
	c0 = cpu_ns(p->pid);
	stop = sleep_until(j->prof, w0 + PRE_NS);
	w1 = pw_mono_ns();
	c1 = cpu_ns(p->pid);
	if (c0 >= 0 && c1 >= c0 && w1 > w0)
		p->cpu_before = (double)(c1 - c0) / (double)(w1 - w0);
	if (stop) {
		job_fail(p, "the daemon is stopping", 0);
		return;
	}
	if ((j->agg = pw_stackagg_new(PW_PROFILE_MAX_STACKS)) == NULL ||
	    (j->dwfl = dwfl_begin(&dwfl_cbs)) == NULL) {
		job_fail(p, "out of memory", 0);
		return;
	}
	if (dwfl_linux_proc_report(j->dwfl, p->pid) != 0 ||
	    dwfl_report_end(j->dwfl, NULL, NULL) != 0) {
		if (kill(p->pid, 0) != 0 && errno == ESRCH) {
			p->exited = true;
			job_fail(p, "the process exited before sampling "
			    "started", 0);
		} else
			job_fail(p, "cannot read the process's mappings",
			    errno);
		return;
	}
	if ((rc = seize_new(j)) < 0 || j->nlive == 0) {
		if (rc == -EPERM)
			job_fail(p, "ptrace attach refused (check "
			    "CAP_SYS_PTRACE and kernel.yama.ptrace_scope)", 0);
		else {
			p->exited = true;
			job_fail(p, "the process exited before sampling "
			    "started", 0);
		}
		detach_all(j);
		return;
	}
	if ((rc = dwfl_linux_proc_attach(j->dwfl, p->pid, true)) != 0) {
		job_fail(p, rc > 0 ? strerror(rc) : dwfl_errmsg(-1), 0);
		detach_all(j);
		return;
	}

	period = 1000000000LL / p->hz;
	start = pw_mono_ns();
	end = start + (int64_t)p->seconds * 1000000000LL;
	next = start;
	refresh = start + REFRESH_NS;
	last_c = c0 = cpu_ns(p->pid);
	last_w = start;
	while (!stop && j->nlive > 0 && next < end) {
		sample_round(j);
		if ((c1 = cpu_ns(p->pid)) >= 0) {
			last_c = c1;
			last_w = pw_mono_ns();
		}
		next += period;
		now = pw_mono_ns();
		if (now > next) {
			/* Overran: the ticks that cannot be taken are lost. */
			p->lost += (uint64_t)((now - next) / period);
			next += (now - next) / period * period + period;
		}
		if (now >= refresh) {
			if (seize_new(j) == -ESRCH)
				break;
			refresh = now + REFRESH_NS;
		}
		/* Pass signals and exits on while waiting for the tick. */
		do {
			poll_tracees(j);
			now = pw_mono_ns();
			stop = sleep_until(j->prof, next < now + POLL_NS ?
			    next : now + POLL_NS);
		} while (!stop && j->nlive > 0 && pw_mono_ns() < next);
	}
	p->duration_s = (double)(pw_mono_ns() - start) / 1e9;
	if (c0 >= 0 && last_c >= c0 && last_w > start)
		p->cpu_during = (double)(last_c - c0) / (double)(last_w - start);
	poll_tracees(j);
	if (j->nlive == 0)
		p->exited = true;
	detach_all(j);
	if (pw_stackagg_finish(j->agg, p) < 0) {
		job_fail(p, "out of memory", 0);
		return;
	}
	p->status = PW_PROFILE_DONE;
}

static void *
profiler_main(void *arg)
{
	struct pw_profiler *pr = arg;
	struct pw_profile *p;
	struct job *j;

	/* Waits for a tracee to stop are short naps: keep them short. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	pthread_mutex_lock(&pr->mu);
	for (;;) {
		while (!pr->stop && pr->cur == NULL)
			pthread_cond_wait(&pr->cond, &pr->mu);
		if (pr->stop)
			break;
		p = pr->cur;
		pthread_mutex_unlock(&pr->mu);

		/* The job's fields are the thread's until it publishes. */
		if ((j = calloc(1, sizeof(*j))) == NULL) {
			job_fail(p, "out of memory", 0);
		} else {
			j->prof = pr;
			j->p = p;
			run_job(j);
			if (j->dwfl != NULL)
				dwfl_end(j->dwfl);
			pw_stackagg_free(j->agg);
			free(j->t);
			free(j);
		}

		pthread_mutex_lock(&pr->mu);
		if (p->status == PW_PROFILE_RUNNING)
			p->status = PW_PROFILE_FAILED;
		if (pr->ndone == PW_PROFILE_KEEP) {
			pw_profile_unref(pr->done[0]);
			memmove(&pr->done[0], &pr->done[1], (PW_PROFILE_KEEP -
			    1) * sizeof(pr->done[0]));
			pr->ndone--;
		}
		pr->done[pr->ndone++] = p;	/* cur's reference moves */
		pr->cur = NULL;
	}
	pthread_mutex_unlock(&pr->mu);
	return NULL;
}

struct pw_profiler *
pw_profiler_new(const char *proc_root, int *err)
{
	struct pw_profiler *pr;
	pthread_condattr_t ca;
	int rc = -ENOMEM;

	if ((pr = calloc(1, sizeof(*pr))) == NULL)
		goto out;
	if ((pr->proc_root = strdup(proc_root != NULL ? proc_root :
	    "/proc")) == NULL)
		goto out_free;
	if ((rc = -pthread_mutex_init(&pr->mu, NULL)) < 0)
		goto out_root;
	if ((rc = -pthread_condattr_init(&ca)) < 0)
		goto out_mutex;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = -pthread_cond_init(&pr->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc < 0)
		goto out_mutex;
	pr->next_id = 1;
	if ((rc = -pthread_create(&pr->thread, NULL, profiler_main, pr)) < 0)
		goto out_cond;
	return pr;
out_cond:
	pthread_cond_destroy(&pr->cond);
out_mutex:
	pthread_mutex_destroy(&pr->mu);
out_root:
	free(pr->proc_root);
out_free:
	free(pr);
out:
	if (err != NULL)
		*err = rc;
	return NULL;
}

void
pw_profiler_free(struct pw_profiler *pr)
{
	size_t i;

	if (pr == NULL)
		return;
	pthread_mutex_lock(&pr->mu);
	pr->stop = true;
	pthread_cond_broadcast(&pr->cond);
	pthread_mutex_unlock(&pr->mu);
	pthread_join(pr->thread, NULL);
	pw_profile_unref(pr->cur);	/* never started: stop came first */
	for (i = 0; i < pr->ndone; i++)
		pw_profile_unref(pr->done[i]);
	pthread_cond_destroy(&pr->cond);
	pthread_mutex_destroy(&pr->mu);
	free(pr->proc_root);
	free(pr);
}

int
pw_profiler_start(struct pw_profiler *pr, pid_t pid, unsigned seconds,
    unsigned hz, uint64_t *id, char *why, size_t whylen)
{
	struct pw_profile *p;
	char path[256];
	int rc;

	if (whylen > 0)
		why[0] = '\0';
	if (pid <= 0 || seconds < 1 || seconds > PW_PROFILE_MAX_SECONDS ||
	    hz < 1 || hz > PW_PROFILE_MAX_HZ)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/%d", pr->proc_root, (int)pid);
	if (access(path, F_OK) != 0)
		return -ESRCH;
	if (pid == getpid()) {
		snprintf(why, whylen, "procwatchd cannot profile itself");
		return -EPERM;
	}
	if ((rc = pw_profile_check_access(pid, why, whylen)) < 0)
		return rc;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -ENOMEM;
	atomic_init(&p->refs, 1);
	p->pid = pid;
	p->seconds = seconds;
	p->hz = hz;
	p->status = PW_PROFILE_RUNNING;
	p->started_ms = pw_wall_ms();
	p->cpu_before = p->cpu_during = -1;
	read_comm(pr->proc_root, pid, pid, p->comm, sizeof(p->comm));

	pthread_mutex_lock(&pr->mu);
	if (pr->cur != NULL || pr->stop) {
		pthread_mutex_unlock(&pr->mu);
		free(p);
		return -EBUSY;
	}
	p->id = pr->next_id++;
	pr->cur = p;
	*id = p->id;
	pthread_cond_broadcast(&pr->cond);
	pthread_mutex_unlock(&pr->mu);
	return 0;
}

struct pw_profile *
pw_profiler_get(struct pw_profiler *pr, uint64_t id)
{
	struct pw_profile *p = NULL, *c;
	size_t i;

	pthread_mutex_lock(&pr->mu);
	if (pr->cur != NULL && pr->cur->id == id) {
		/* Only the fields set before it was published are read. */
		if ((c = calloc(1, sizeof(*c))) != NULL) {
			c->id = pr->cur->id;
			c->pid = pr->cur->pid;
			memcpy(c->comm, pr->cur->comm, sizeof(c->comm));
			c->seconds = pr->cur->seconds;
			c->hz = pr->cur->hz;
			c->status = PW_PROFILE_RUNNING;
			c->started_ms = pr->cur->started_ms;
			c->cpu_before = c->cpu_during = -1;
			atomic_init(&c->refs, 1);
			p = c;
		}
	} else {
		for (i = 0; i < pr->ndone; i++)
			if (pr->done[i]->id == id) {
				p = pr->done[i];
				atomic_fetch_add(&p->refs, 1);
				break;
			}
	}
	pthread_mutex_unlock(&pr->mu);
	return p;
}

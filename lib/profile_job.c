/*
 * profile_job.c: one on-demand profiling job: attaching to every thread of
 * the target with ptrace, sampling their stacks with elfutils' libdwfl,
 * and detaching.
 *
 * DESIGN: a job attaches to every thread of the target with PTRACE_SEIZE
 * (new threads are picked up from the task list every REFRESH_NS), and at
 * each tick interrupts them all, waits for each to stop, unwinds each with
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
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <elfutils/libdwfl.h>

#include <procwatch/profile.h>

#include "profile_impl.h"
#include "pwutil.h"

#define PRE_NS		300000000LL	/* CPU rate measured before */
#define REFRESH_NS	250000000LL	/* task list re-read */
#define POLL_NS		5000000LL	/* tracees polled between ticks */
#define STOP_WAIT_NS	500000000LL	/* give up on a thread's stop */

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

void
pw__profile_read_comm(const char *root, pid_t pid, pid_t tid, char *out,
    size_t len)
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
				pw__profile_read_comm(j->prof->proc_root,
				    j->p->pid, t->tid, t->name,
				    sizeof(t->name));
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
		pw__profile_read_comm(j->prof->proc_root, j->p->pid, t->tid,
		    t->name, sizeof(t->name));
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

/* PTRACE_SEIZE said EPERM: fail with the cause, as the 403 would name it. */
static void
job_fail_refused(struct job *j)
{
	struct pw_ptrace_facts f;
	char why[PW_PROFILE_ERR_MAX];

	pw_ptrace_facts_read(j->prof->proc_root, j->p->pid, &f);
	pw_ptrace_diagnose(&f, j->p->pid, true, why, sizeof(why));
	pw_ptrace_facts_fini(&f);
	job_fail(j->p, why, 0);
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
	stop = pw__profiler_sleep_until(j->prof, w0 + PRE_NS);
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
			job_fail_refused(j);
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
			stop = pw__profiler_sleep_until(j->prof,
			    next < now + POLL_NS ? next : now + POLL_NS);
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

void
pw__profile_job_run(struct pw_profiler *pr, struct pw_profile *p)
{
	struct job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		job_fail(p, "out of memory", 0);
		return;
	}
	j->prof = pr;
	j->p = p;
	run_job(j);
	if (j->dwfl != NULL)
		dwfl_end(j->dwfl);
	pw_stackagg_free(j->agg);
	free(j->t);
	free(j);
}

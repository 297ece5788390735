/*
 * profile.c: on-demand stack sampling: the profiler thread, its jobs and
 * the profiles it keeps.  A job itself (ptrace, unwinding) is run by
 * lib/profile_job.c; stacks are folded into a profile by
 * lib/profile_agg.c; who may be profiled, and why not, is
 * lib/profile_access.c's.
 *
 * DESIGN: see procwatch/profile.h.  One profiler thread waits for a job
 * (pr->cur, one at a time), runs it without pr->mu held, and then moves it
 * to the PW_PROFILE_KEEP finished profiles, dropping the oldest.  Readers
 * take a reference to a finished profile, or a copy of the fields of the
 * running one set before it was published.
 */
#include <sys/prctl.h>
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <procwatch/profile.h>

#include "profile_impl.h"
#include "pwutil.h"

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

/* --- the profiler ----------------------------------------------------------------- */

/*
 * Sleep until the monotonic time `until_ns` unless the profiler is being
 * freed.  Returns true when asked to stop.
 */
bool
pw__profiler_sleep_until(struct pw_profiler *pr, int64_t until_ns)
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

static void *
profiler_main(void *arg)
{
	struct pw_profiler *pr = arg;
	struct pw_profile *p;

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
		pw__profile_job_run(pr, p);

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
	if ((rc = pw_profile_check_access(pr->proc_root, pid, why,
	    whylen)) < 0)
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
	pw__profile_read_comm(pr->proc_root, pid, pid, p->comm,
	    sizeof(p->comm));

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

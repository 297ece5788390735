/*
 * profile_impl.h: what lib/profile.c (the profiler thread and its
 * profiles), lib/profile_job.c (one job: ptrace, unwinding) and
 * lib/profile_agg.c (folding stacks into a profile) share about
 * on-demand profiling (procwatch/profile.h), inside lib/ only.
 */
#ifndef PW_PROFILE_IMPL_H
#define PW_PROFILE_IMPL_H

#include <sys/types.h>

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <procwatch/profile.h>

#define UNKNOWN_FRAME	"[unknown]"

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

/*
 * Sleep until the monotonic time `until_ns` unless the profiler is being
 * freed.  Returns true when asked to stop.  Thread: the profiler's.
 */
bool	pw__profiler_sleep_until(struct pw_profiler *pr, int64_t until_ns);

/*
 * The name of thread tid of pid from ROOT/PID/task/TID/comm into out, or
 * the tid in digits when it cannot be read.
 */
void	pw__profile_read_comm(const char *root, pid_t pid, pid_t tid,
	    char *out, size_t len);

/*
 * Run the job of profile p (published as pr->cur) to its end: sample,
 * then fill p's results and status (PW_PROFILE_DONE or _FAILED).
 * Thread: the profiler's, without pr->mu held.
 */
void	pw__profile_job_run(struct pw_profiler *pr, struct pw_profile *p);

#endif /* PW_PROFILE_IMPL_H */

/*
 * procwatch/profile.h: on-demand stack sampling of one process.
 *
 * DESIGN: a profiler owns one dedicated thread (ptrace requests must come
 * from the thread that attached) that runs at most one profile at a time.
 * Each of the target's threads is attached with PTRACE_SEIZE (which does
 * not stop it); at each tick every thread is stopped with PTRACE_INTERRUPT,
 * unwound with elfutils' libdwfl (CFI from .eh_frame / .debug_frame, so
 * code built without frame pointers unwinds too), symbolized from the ELF
 * symbol tables, and continued.  The target is stopped only for the unwind
 * of one sample; the threads are detached at the end, or when the target
 * exits, which ends the profile with what was gathered so far.
 *
 * The result is the folded-stack format flame graph tools take, one line
 * per distinct stack, root first, prefixed by the thread name:
 * "worker;main;work;hot_fn 37", plus a summary (functions by self and
 * total samples, per-thread counts, lost samples) and the measured
 * overhead: the wall time the target spent stopped by us, and its CPU
 * progress rate (CPU-seconds per wall second, from the process CPU clock)
 * in 300 ms before profiling against during it.
 *
 * The aggregation (struct pw_stackagg) is pure, so it is unit-tested with
 * synthetic stacks.
 */
#ifndef PROCWATCH_PROFILE_H
#define PROCWATCH_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PW_PROFILE_MAX_SECONDS	60
#define PW_PROFILE_MAX_HZ	200
#define PW_PROFILE_KEEP		8	/* finished profiles kept */
#define PW_PROFILE_MAX_FRAMES	128	/* deeper stacks are cut at the root */
#define PW_PROFILE_MAX_STACKS	20000	/* distinct stacks; more are lost */
#define PW_PROFILE_ERR_MAX	256

enum pw_profile_status {
	PW_PROFILE_RUNNING = 0,
	PW_PROFILE_DONE,
	PW_PROFILE_FAILED,
};

/* One function: samples where it is the leaf (self) or anywhere (total). */
struct pw_prof_func {
	char		*name;		/* owned by the profile */
	uint64_t	 self;
	uint64_t	 total;		/* once per sample, even if recursive */
};

struct pw_prof_thread {
	pid_t		tid;
	char		name[17];
	uint64_t	samples;
};

/*
 * A profile.  Fields are read-only for callers; a running profile's
 * result fields are empty until it is done.  Get one with
 * pw_profiler_get(), release it with pw_profile_unref().
 */
struct pw_profile {
	uint64_t		 id;
	pid_t			 pid;
	char			 comm[17];
	unsigned		 seconds;
	unsigned		 hz;
	enum pw_profile_status	 status;
	char			 error[PW_PROFILE_ERR_MAX];	/* FAILED */
	int64_t			 started_ms;	/* wall clock */
	double			 duration_s;	/* of the sampling */
	bool			 exited;	/* the target exited mid-run */
	uint64_t		 rounds;	/* ticks sampled */
	uint64_t		 samples;	/* thread stacks recorded */
	uint64_t		 lost;		/* ticks missed + stacks failed */
	/* overhead */
	double			 stopped_s;	/* wall time the target was stopped */
	double			 stop_max_ms;	/* longest single stop */
	double			 cpu_before;	/* CPU-s per wall s; < 0 unknown */
	double			 cpu_during;
	/* result */
	struct pw_prof_func	*funcs;		/* by self, then total, desc */
	size_t			 nfuncs;
	struct pw_prof_thread	*threads;	/* by samples desc */
	size_t			 nthreads;
	char			*folded;	/* NUL-terminated, sorted lines */
	size_t			 folded_len;
	/* private */
	_Atomic unsigned	 refs;
};

/* Drop a reference; the last one frees.  NULL is accepted.  Thread: any. */
void	pw_profile_unref(struct pw_profile *);

/* --- aggregation (pure) ---------------------------------------------------- */

struct pw_stackagg;

/*
 * An empty aggregation keeping at most `max_stacks` distinct stacks.
 * NULL when out of memory.  Free with pw_stackagg_free().  Thread: one at
 * a time.
 */
struct pw_stackagg	*pw_stackagg_new(size_t max_stacks);
void			 pw_stackagg_free(struct pw_stackagg *);

/*
 * Add one sample of thread `tid` named `thread`: frames[0] is the leaf
 * (innermost), frames[n-1] the root.  Names with ';' or line breaks are
 * sanitized.  Returns 0, -ENOSPC when the stack is new and the table is
 * full (the sample is counted as lost by the caller), -ENOMEM.
 * Thread: the aggregation's owner (the profiler), one at a time.
 */
int	pw_stackagg_add(struct pw_stackagg *, pid_t tid, const char *thread,
	    const char *const *frames, size_t n);

/*
 * Move the result into p: funcs, threads, folded (p's result fields must
 * be empty).  The aggregation is empty afterwards.  0 or -ENOMEM.
 * Thread: the aggregation's owner (the profiler).
 */
int	pw_stackagg_finish(struct pw_stackagg *, struct pw_profile *p);

/* --- the profiler -------------------------------------------------------------- */

struct pw_profiler;

/*
 * Create a profiler and start its thread.  `proc_root` (NULL: "/proc") is
 * where thread names and task lists are read.  NULL with *err set on
 * failure.  Free with pw_profiler_free(), which stops a running profile
 * (it ends as done, with what it has) and joins the thread.
 * Thread: main.
 */
struct pw_profiler	*pw_profiler_new(const char *proc_root, int *err);
void			 pw_profiler_free(struct pw_profiler *);

/* --- why ptrace is refused ------------------------------------------------------ */

/*
 * PTRACE_SEIZE fails with EPERM for several unrelated reasons, and the
 * remedy differs for each, so the cause is worked out from what can be
 * read (pw_ptrace_facts_read()) by a pure function (pw_ptrace_diagnose())
 * that the unit tests feed with made-up facts.
 */
enum pw_ptrace_cause {
	PW_PTRACE_OK = 0,	/* nothing seen forbids it */
	PW_PTRACE_SECCOMP,	/* a seccomp filter denies the system call */
	PW_PTRACE_YAMA,		/* kernel.yama.ptrace_scope */
	PW_PTRACE_TRACED,	/* another tracer is attached */
	PW_PTRACE_NO_CAP,	/* CAP_SYS_PTRACE is not in the effective set */
	PW_PTRACE_NAMESPACE,	/* the target's user namespace is out of reach */
	PW_PTRACE_UNKNOWN,	/* refused, but not for any reason seen here */
};

/* Where the target's user namespace is, seen from ours. */
enum pw_userns {
	PW_USERNS_UNKNOWN = 0,
	PW_USERNS_SAME,
	PW_USERNS_BELOW,	/* a descendant of ours: our capabilities reach */
	PW_USERNS_OTHER,	/* not ours nor below it */
};

/*
 * The inputs of the diagnosis.  Text fields are whole proc(5) files (NULL
 * when unknown); pw_ptrace_facts_read() owns the ones it reads, and
 * pw_ptrace_facts_fini() frees them.  A test may point them at literals
 * and not call _fini.
 */
struct pw_ptrace_facts {
	char		*self_status;	/* /proc/self/status: Seccomp, CapEff */
	char		*target_status;	/* /proc/PID/status: Uid, Gid, TracerPid */
	int		 yama_scope;	/* kernel.yama.ptrace_scope; -1 no Yama */
	int		 probe_errno;	/* see below; 0: not probed */
	enum pw_userns	 userns;
	uid_t		 uid;		/* our real uid */
	gid_t		 gid;		/* our real gid */
};

/*
 * Fill *out for profiling `pid` from the procfs at `proc_root` (NULL:
 * "/proc"): our status, the target's, ROOT/sys/kernel/yama/ptrace_scope,
 * whether ROOT/PID/ns/user is ours or below it, and a probe:
 * PTRACE_GETEVENTMSG on pid, which the kernel answers ESRCH for any
 * process we do not trace, so EPERM can only come from a seccomp filter.
 * Fields that cannot be read (or buffered: out of memory) are left
 * unknown.  Returns 0.  Free with pw_ptrace_facts_fini().  Thread: any (the probe is harmless
 * from any thread).
 */
int	pw_ptrace_facts_read(const char *proc_root, pid_t pid,
	    struct pw_ptrace_facts *out);
void	pw_ptrace_facts_fini(struct pw_ptrace_facts *);

/*
 * Why ptrace of `pid` is (or, with `refused`, was) denied, from the facts
 * alone.  Without `refused` it is a prediction: PW_PTRACE_OK unless
 * something seen is sure to refuse.  With `refused` (PTRACE_SEIZE failed
 * with EPERM) it names the likeliest cause, PW_PTRACE_UNKNOWN at worst.
 * why[] gets one sentence naming the cause and the remedy (empty for
 * PW_PTRACE_OK).  Pure: reads nothing but its arguments.  Thread: any.
 */
enum pw_ptrace_cause	pw_ptrace_diagnose(const struct pw_ptrace_facts *,
			    pid_t pid, bool refused, char *why, size_t whylen);

/*
 * May this process ptrace `pid` (under the procfs at `proc_root`, NULL:
 * "/proc")?  pw_ptrace_facts_read() and pw_ptrace_diagnose() without
 * `refused`.  Returns 0, or -EPERM with the cause in why[]; -ENOMEM.
 * Thread: any.
 */
int	pw_profile_check_access(const char *proc_root, pid_t pid, char *why,
	    size_t whylen);

/*
 * Start profiling `pid` for `seconds` at `hz` on the profiler thread.
 * Returns 0 with the new profile's id in *id; -EINVAL (bounds), -EBUSY
 * (one is running), -ESRCH (no such process), -EPERM (why[] names the
 * cause, as pw_ptrace_diagnose() does; also for procwatchd itself).  Thread: any (HTTP).
 */
int	pw_profiler_start(struct pw_profiler *, pid_t pid, unsigned seconds,
	    unsigned hz, uint64_t *id, char *why, size_t whylen);

/*
 * The profile `id` (running or one of the last PW_PROFILE_KEEP finished),
 * with a reference taken: release it with pw_profile_unref().  NULL when
 * unknown.  The fields of a running one are copied at the call; a
 * finished one is immutable.  Thread: any.
 */
struct pw_profile	*pw_profiler_get(struct pw_profiler *, uint64_t id);

#endif

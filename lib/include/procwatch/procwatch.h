/*
 * procwatch/procwatch.h: the embedding API of libprocwatch, for programs
 * that want procwatch's sampler without running procwatchd.
 *
 * A program describes what to watch, creates a monitor, optionally adds
 * collectors of its own series (procwatch/collect.h), then either starts
 * the sampler thread or runs cycles itself, and takes snapshots:
 *
 *	struct pw_embed_target t = { "me", "pid", "1234", false };
 *	struct pw_embed_config c = { .targets = &t, .ntargets = 1 };
 *	struct pw_embed_snapshot *snap;
 *	struct pw_embed *pw;
 *
 *	if (pw_embed_new(&c, &pw, err, sizeof(err)) < 0) ...
 *	pw_embed_start(pw);		(or pw_embed_cycle(pw) now and then)
 *	if (pw_embed_snapshot(pw, false, &snap) == 0) {
 *		... snap->procs[i].latest.rss_bytes ...
 *		pw_embed_snapshot_free(snap);
 *	}
 *	pw_embed_free(pw);		(stops the thread first)
 *
 * Compile with -I$(includedir) and link with -lprocwatch (pkg-config
 * libprocwatch).  This header, procwatch/collect.h, procwatch/sample.h and
 * procwatch/plugin.h are all that is installed.
 *
 * DESIGN: a facade over the library's modules (monitor, store, target,
 * custom series), whose headers are not installed and whose symbols are
 * not exported (lib/libprocwatch.sym), so they can be split and changed
 * freely.  Only what is declared here and in the other three installed
 * headers is ABI: the structs the caller fills (pw_embed_config,
 * pw_embed_target) are read once by pw_embed_new() and not kept; the
 * snapshot structs are written by the library.  A change of layout of any
 * of them changes the library's soname (libtool -version-info).
 */
#ifndef PROCWATCH_PROCWATCH_H
#define PROCWATCH_PROCWATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <procwatch/collect.h>
#include <procwatch/sample.h>

/*
 * One target: a named selector, as in procwatchd.json's "targets".
 * `selector` is "all", "pid", "pidfile", "name" (or "comm": the process
 * name, exact), "cmdline" (POSIX extended regex), "user" (name or uid),
 * "cgroup" (path) or "unit" (systemd unit); `arg` its argument (NULL for
 * "all").  With
 * `children`, descendants of what it matches are selected too.  Every
 * string is read during pw_embed_new() only.
 */
struct pw_embed_target {
	const char	*name;		/* unique among the targets */
	const char	*selector;
	const char	*arg;
	bool		 children;
};

/* Zeroed fields take the defaults. */
struct pw_embed_config {
	unsigned			 interval_ms;	/* 10 .. 3600000; 0: 1000 */
	size_t				 history;	/* samples per process, >= 2;
							 * 0: 1000 */
	const char			*proc_root;	/* NULL: "/proc" */
	const struct pw_embed_target	*targets;
	size_t				 ntargets;	/* 0: every process */
};

/* One process as copied out. */
struct pw_embed_proc {
	pid_t		 pid;
	pid_t		 ppid;
	uid_t		 uid;
	char		 name[17];	/* comm */
	const char	*target;	/* into the snapshot; "" if none */
	const char	*cmdline;	/* into the snapshot */
	int64_t		 start_time_ms;	/* wall clock */
	bool		 alive;
	bool		 has_sample;	/* false until its first sample */
	struct pw_sample latest;	/* valid when has_sample */
};

/* Free with pw_embed_snapshot_free(). */
struct pw_embed_snapshot {
	int64_t			 taken_ms;	/* time of the last cycle, 0: none */
	uint64_t		 mem_total;	/* bytes (MemTotal), 0 if unknown */
	size_t			 n;
	struct pw_embed_proc	*procs;		/* ordered by pid */
	void			*priv;		/* the library's; do not touch */
};

struct pw_embed;

/*
 * Create a monitor for `cfg` (no thread yet).  Returns 0 with *out set,
 * -EINVAL (a bad setting or target, the reason in err[errlen], which may
 * be NULL, 0) or -ENOMEM.  Free with pw_embed_free(); NULL is accepted.
 * Thread: any; afterwards the monitor belongs to the creating thread
 * except where a function says otherwise.
 */
int	pw_embed_new(const struct pw_embed_config *cfg, struct pw_embed **out,
	    char *err, size_t errlen);
void	pw_embed_free(struct pw_embed *);

/*
 * Add a collector called at the end of every cycle on the sampler
 * thread: once host-wide, or once per target with PW_COLLECT_PER_TARGET.
 * Its values become series written by source `name` (copied; at most
 * PW_CUSTOM_SOURCE_MAX bytes); read them with pw_embed_series().  Returns
 * 0, -EINVAL (bad name or flags) or -ENOSPC (too many sources).
 * Thread: the owner's, while the sampler thread is stopped.
 */
int	pw_embed_add_source(struct pw_embed *, const char *name,
	    unsigned flags, pw_collect_fn *fn, void *arg);

/*
 * Start the sampler thread (a cycle every interval_ms on a drift-free
 * schedule), or stop it: stop wakes it at once and joins it.  Start
 * returns 0 or a negative errno.  Thread: the owner's.
 */
int	pw_embed_start(struct pw_embed *);
void	pw_embed_stop(struct pw_embed *);

/*
 * Run one sampling cycle now, instead of the thread.  A process's rates
 * (cpu_user_pct, ...) need two cycles.  Returns 0 or a negative errno.
 * Thread: the owner's, while the sampler thread is stopped.
 */
int	pw_embed_cycle(struct pw_embed *);

/*
 * Copy every monitored process (and, with `include_gone`, those that
 * exited recently) with its newest sample.  Returns 0 or -ENOMEM.  Free
 * with pw_embed_snapshot_free(); NULL is accepted.  Thread: any.
 */
int	pw_embed_snapshot(struct pw_embed *, bool include_gone,
	    struct pw_embed_snapshot **out);
void	pw_embed_snapshot_free(struct pw_embed_snapshot *);

/*
 * The latest value of a series emitted by a collector: of `target` (a
 * per-target collector), else of the host (target NULL or no target
 * series).  Stale series are skipped.  Returns 0 with *value (and *ts_ms
 * if not NULL), or -ENOENT.  Thread: any.
 */
int	pw_embed_series(struct pw_embed *, const char *name,
	    const char *target, double *value, int64_t *ts_ms);

#endif

/*
 * daemon/sources.c: the custom series store of procwatchd and its exec
 * sources: commands run on their own schedule whose output becomes custom
 * series (see procwatchd.json(5), "sources").
 *
 * DESIGN: one thread (not the sampler) runs the exec sources one after
 * another, each when it is due on a CLOCK_MONOTONIC schedule; a source
 * that overruns delays the others but never the sampling.  A command runs
 * with fork() and execv() (no shell) in its own process group, stdin from
 * /dev/null, stdout into a buffer capped at SOURCE_OUTPUT_MAX (more is a
 * flood: the group is killed) and the first SOURCE_STDERR_MAX bytes of
 * stderr kept for the log.  At its timeout the whole group gets SIGKILL
 * (kill(-pgid)); the child is always reaped with waitpid().  The output is
 * parsed by pw_custom_parse_output() (lib/custom.c).  Every failure is
 * counted per source and reason in the store (procwatch_source_errors_
 * total) and logged at most once a minute per source.
 *
 * A reload replaces the exec sources (the thread is stopped, which kills
 * a running command, and started again; a source whose definition did not
 * change keeps its schedule).  Plugins are loaded once at start: their
 * collectors live in the monitor, so changing them needs a restart.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <procwatch/custom.h>
#include <procwatch/monitor.h>
#include <procwatch/rules.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/sources.h"
#include "lib/pwutil.h"

/* One exec source; everything copied from the config. */
struct xsrc {
	char		*name;
	char		**argv;
	unsigned	 interval_ms;
	unsigned	 timeout_ms;
	char		*target;	/* NULL: host series */
	uint64_t	 due_ns;
	int64_t		 logged_ms;	/* last failure logged */
};

struct custom_host {
	struct pw_custom	*custom;
	struct plugin_set	*plugins;
	struct xsrc		*src;
	size_t			 nsrc;
	size_t			 nplugins;	/* as loaded at start */
	pthread_t		 thread;
	bool			 running;
	pthread_mutex_t		 mtx;
	pthread_cond_t		 cond;		/* on CLOCK_MONOTONIC */
	_Atomic bool		 stop;
};

/* Count a failure, and log it unless this source logged one recently. */
static void
src_fail(struct custom_host *h, struct xsrc *s, enum pw_custom_err why,
    const char *msg)
{
	int64_t now = pw_wall_ms();

	pw_custom_source_error(h->custom, s->name, why, msg, now);
	if (s->logged_ms == 0 || now - s->logged_ms >= SOURCE_LOG_EVERY_MS) {
		log_warnx("source %s: %s: %s", s->name,
		    pw_custom_err_name(why), msg);
		s->logged_ms = now;
	}
}

/*
 * In the child: only async-signal-safe calls from here to execv.  The
 * daemon's blocked signals and ignored SIGPIPE must not leak into it.
 */
static void __attribute__((noreturn))
child_exec(char **argv, int out, int err)
{
	sigset_t none;
	int nul;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	if ((nul = open("/dev/null", O_RDONLY)) < 0 || dup2(nul, 0) < 0 ||
	    dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	close_range(3, ~0U, 0);		/* the daemon's sockets and /proc fds */
	execv(argv[0], argv);
	_exit(127);
}

struct put_ctx {
	struct custom_host	*h;
	struct xsrc		*s;
	int64_t			 now_ms;
	size_t			 rejected;
	char			 err[PW_CUSTOM_ERRMSG_MAX];
};

static int
put_one(void *arg, const char *name, const struct pw_custom_label *labels,
    size_t nlabels, double value)
{
	struct put_ctx *c = arg;
	struct pw_custom_point pt;
	char err[PW_CUSTOM_ERRMSG_MAX];

	memset(&pt, 0, sizeof(pt));
	pt.name = name;
	pt.scope = c->s->target != NULL ? PW_CUSTOM_TARGET : PW_CUSTOM_HOST;
	pt.target = c->s->target;
	pt.labels = labels;
	pt.nlabels = nlabels;
	pt.ts_ms = c->now_ms;
	pt.value = value;
	if (pw_custom_put(c->h->custom, &pt, c->s->name, c->now_ms, err,
	    sizeof(err)) < 0 && c->rejected++ == 0)
		snprintf(c->err, sizeof(c->err), "%.64s: %.90s", name, err);
	return 0;
}

/* Read what is there from fd; false at EOF or on an error. */
static bool
drain(int fd, char *buf, size_t cap, size_t *len, bool *over)
{
	char junk[4096];
	ssize_t n;

	if (*len < cap)
		n = read(fd, buf + *len, cap - *len);
	else
		n = read(fd, junk, sizeof(junk));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false;
	if (*len < cap)
		*len += (size_t)n;
	else
		*over = true;
	return true;
}

/* Wait for the child, killing its group at the deadline or on stop. */
static int
reap(struct custom_host *h, pid_t pid, uint64_t deadline, bool kill_now,
    bool *timed_out)
{
	struct timespec pause = { 0, 10000000 };	/* 10 ms */
	siginfo_t si;
	int st = 0;

	for (;;) {
		if (kill_now)
			break;
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG |
		    WNOWAIT) == 0 && si.si_pid == pid)
			break;			/* exited; not reaped yet */
		if ((uint64_t)pw_mono_ns() >= deadline) {
			*timed_out = true;
			break;
		}
		if (h->stop)
			break;
		nanosleep(&pause, NULL);
	}
	/* Whatever it left behind in its group goes too. */
	kill(-pid, SIGKILL);
	if (kill_now || *timed_out)
		kill(pid, SIGKILL);	/* in case setpgid had not happened */
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

static void
run_one(struct custom_host *h, struct xsrc *s)
{
	char ebuf[SOURCE_STDERR_MAX + 1], msg[PW_CUSTOM_ERRMSG_MAX], perr[128];
	struct pollfd pfd[2];
	struct put_ctx pc;
	uint64_t deadline, now;
	size_t len = 0, elen = 0, bad = 0;
	bool flood = false, eover = false, timed_out = false;
	char *buf, *nl;
	int out[2], err[2], st, good, n;
	pid_t pid;

	if ((buf = malloc(SOURCE_OUTPUT_MAX + 1)) == NULL) {
		src_fail(h, s, PW_CERR_SPAWN, "out of memory");
		return;
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		src_fail(h, s, PW_CERR_SPAWN, strerror(errno));
		goto out_buf;
	}
	if (pipe2(err, O_CLOEXEC) < 0) {
		src_fail(h, s, PW_CERR_SPAWN, strerror(errno));
		goto out_pipe;
	}
	deadline = pw_mono_ns() + (uint64_t)s->timeout_ms * 1000000u;
	if ((pid = fork()) < 0) {
		src_fail(h, s, PW_CERR_SPAWN, strerror(errno));
		close(err[0]);
		close(err[1]);
		goto out_pipe;
	}
	if (pid == 0)
		child_exec(s->argv, out[1], err[1]);
	(void)setpgid(pid, pid);	/* both sides: no race with kill(-pid) */
	close(out[1]);
	close(err[1]);
	pfd[0].fd = out[0];
	pfd[1].fd = err[0];
	pfd[0].events = pfd[1].events = POLLIN;
	while ((pfd[0].fd >= 0 || pfd[1].fd >= 0) && !flood && !h->stop) {
		if ((now = pw_mono_ns()) >= deadline) {
			timed_out = true;
			break;
		}
		n = poll(pfd, 2, (int)((deadline - now) / 1000000u > 100 ?
		    100 : (deadline - now) / 1000000u + 1));
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (pfd[0].fd >= 0 && pfd[0].revents != 0 && !drain(pfd[0].fd,
		    buf, SOURCE_OUTPUT_MAX, &len, &flood)) {
			close(pfd[0].fd);
			pfd[0].fd = -1;
		}
		if (pfd[1].fd >= 0 && pfd[1].revents != 0 && !drain(pfd[1].fd,
		    ebuf, SOURCE_STDERR_MAX, &elen, &eover)) {
			close(pfd[1].fd);
			pfd[1].fd = -1;
		}
	}
	st = reap(h, pid, deadline, flood || timed_out || h->stop,
	    &timed_out);
	if (pfd[0].fd >= 0)
		close(pfd[0].fd);
	if (pfd[1].fd >= 0)
		close(pfd[1].fd);
	if (elen > 0) {
		ebuf[elen] = '\0';
		if ((nl = strchr(ebuf, '\n')) != NULL)
			*nl = '\0';
		log_debug("source %s: stderr: %.200s", s->name, ebuf);
	}
	if (h->stop && !timed_out && !flood)
		goto out_buf;		/* shutting down: not the source's fault */
	if (flood) {
		snprintf(msg, sizeof(msg), "more than %d bytes of output; "
		    "killed", SOURCE_OUTPUT_MAX);
		src_fail(h, s, PW_CERR_FLOOD, msg);
		goto out_buf;
	}
	if (timed_out) {
		snprintf(msg, sizeof(msg), "no exit within %u ms; process "
		    "group killed", s->timeout_ms);
		src_fail(h, s, PW_CERR_TIMEOUT, msg);
		goto out_buf;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		if (WIFSIGNALED(st))
			snprintf(msg, sizeof(msg), "killed by signal %d%s%.80s",
			    WTERMSIG(st), elen > 0 ? ": " : "", ebuf);
		else
			snprintf(msg, sizeof(msg), "exited with status %d%s"
			    "%.80s", WEXITSTATUS(st), elen > 0 ? ": " : "",
			    elen > 0 ? ebuf : "");
		src_fail(h, s, PW_CERR_EXIT, msg);
		goto out_buf;
	}
	memset(&pc, 0, sizeof(pc));
	pc.h = h;
	pc.s = s;
	pc.now_ms = pw_wall_ms();
	good = pw_custom_parse_output(buf, len, put_one, &pc, &bad, perr,
	    sizeof(perr));
	if (bad > 0) {
		snprintf(msg, sizeof(msg), "%zu bad line(s), first: %.100s",
		    bad, perr);
		src_fail(h, s, PW_CERR_PARSE, msg);
	} else if (good == 0)
		src_fail(h, s, PW_CERR_PARSE, "no values in the output");
	else if (pc.rejected > 0)
		src_fail(h, s, PW_CERR_REJECTED, pc.err);
	else
		pw_custom_source_ok(h->custom, s->name);
	goto out_buf;
out_pipe:
	close(out[0]);
	close(out[1]);
out_buf:
	free(buf);
}

static void *
sources_main(void *arg)
{
	struct custom_host *h = arg;
	struct timespec ts;
	struct xsrc *next;
	uint64_t now;
	size_t i;

	pthread_mutex_lock(&h->mtx);
	while (!h->stop) {
		next = &h->src[0];
		for (i = 1; i < h->nsrc; i++)
			if (h->src[i].due_ns < next->due_ns)
				next = &h->src[i];
		if ((now = pw_mono_ns()) < next->due_ns) {
			ts.tv_sec = (time_t)(next->due_ns / 1000000000u);
			ts.tv_nsec = (long)(next->due_ns % 1000000000u);
			pthread_cond_timedwait(&h->cond, &h->mtx, &ts);
			continue;
		}
		pthread_mutex_unlock(&h->mtx);
		run_one(h, next);
		/* Next run on the grid; runs missed while it overran are skipped. */
		next->due_ns += (uint64_t)next->interval_ms * 1000000u;
		if ((now = pw_mono_ns()) > next->due_ns)
			next->due_ns = now + (uint64_t)next->interval_ms *
			    1000000u;
		pthread_mutex_lock(&h->mtx);
	}
	pthread_mutex_unlock(&h->mtx);
	return NULL;
}

static void
xsrc_fini(struct xsrc *s)
{
	size_t i;

	free(s->name);
	for (i = 0; s->argv != NULL && s->argv[i] != NULL; i++)
		free(s->argv[i]);
	free(s->argv);
	free(s->target);
}

static int
xsrc_copy(struct xsrc *d, const struct config_source *c)
{
	size_t n, i;

	memset(d, 0, sizeof(*d));
	for (n = 0; c->argv[n] != NULL; n++)
		;
	if ((d->name = strdup(c->name)) == NULL ||
	    (c->target != NULL && (d->target = strdup(c->target)) == NULL) ||
	    (d->argv = calloc(n + 1, sizeof(*d->argv))) == NULL)
		goto out_oom;
	for (i = 0; i < n; i++)
		if ((d->argv[i] = strdup(c->argv[i])) == NULL)
			goto out_oom;
	d->interval_ms = c->interval_ms;
	d->timeout_ms = c->timeout_ms;
	return 0;
out_oom:
	xsrc_fini(d);
	return -ENOMEM;
}

static bool
target_known(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->ntargets; i++)
		if (strcmp(cfg->targets[i].name, name) == 0)
			return true;
	return false;
}

/* Same command, schedule and target: the schedule carries over. */
static bool
xsrc_same(const struct xsrc *a, const struct xsrc *b)
{
	size_t i;

	if (strcmp(a->name, b->name) != 0 || a->interval_ms != b->interval_ms ||
	    a->timeout_ms != b->timeout_ms ||
	    (a->target == NULL) != (b->target == NULL) ||
	    (a->target != NULL && strcmp(a->target, b->target) != 0))
		return false;
	for (i = 0; a->argv[i] != NULL && b->argv[i] != NULL; i++)
		if (strcmp(a->argv[i], b->argv[i]) != 0)
			return false;
	return a->argv[i] == NULL && b->argv[i] == NULL;
}

/*
 * Check cfg's sources and copy them into a new array *out of *n, the first
 * runs spread from `now`.  0, or -1 with a message in err.
 */
static int
xsrcs_from(const struct config *cfg, uint64_t now, struct xsrc **out,
    size_t *n, char *err, size_t errlen)
{
	struct xsrc *v = NULL;
	size_t i, k = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < cfg->nsources; i++)
		if (cfg->sources[i].target != NULL &&
		    !target_known(cfg, cfg->sources[i].target)) {
			snprintf(err, errlen, "sources[%zu].target: no target "
			    "named \"%s\"", i, cfg->sources[i].target);
			return -1;
		}
	if (cfg->nsources > 0 &&
	    (v = calloc(cfg->nsources, sizeof(*v))) == NULL)
		goto out_oom;
	for (; k < cfg->nsources; k++) {
		if (xsrc_copy(&v[k], &cfg->sources[k]) < 0)
			goto out_oom;
		/* Spread the first runs a little so they do not pile up. */
		v[k].due_ns = now + k * 50000000u;
	}
	*out = v;
	*n = k;
	return 0;
out_oom:
	for (i = 0; i < k; i++)
		xsrc_fini(&v[i]);
	free(v);
	snprintf(err, errlen, "custom metrics: out of memory");
	return -1;
}

static void
thread_stop(struct custom_host *h)
{
	if (!h->running)
		return;
	pthread_mutex_lock(&h->mtx);
	h->stop = true;
	pthread_cond_signal(&h->cond);
	pthread_mutex_unlock(&h->mtx);
	pthread_join(h->thread, NULL);	/* kills a running command */
	h->running = false;
	h->stop = false;
}

static int
thread_start(struct custom_host *h, char *err, size_t errlen)
{
	int rc;

	if (h->nsrc == 0)
		return 0;
	if ((rc = pthread_create(&h->thread, NULL, sources_main, h)) != 0) {
		snprintf(err, errlen, "cannot start the sources' thread: %s",
		    strerror(rc));
		return -1;
	}
	h->running = true;
	return 0;
}

int
custom_host_check(const struct config *cfg, char *err, size_t errlen)
{
	struct xsrc *v;
	size_t n, i;

	if (xsrcs_from(cfg, 0, &v, &n, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++)
		xsrc_fini(&v[i]);
	free(v);
	return 0;
}

int
custom_host_reload(struct custom_host *h, const struct config *cfg,
    char *err, size_t errlen)
{
	struct xsrc *v, *old;
	size_t n, nold, i, j;

	if (xsrcs_from(cfg, pw_mono_ns(), &v, &n, err, errlen) < 0)
		return -1;
	thread_stop(h);
	old = h->src;
	nold = h->nsrc;
	for (i = 0; i < n; i++)
		for (j = 0; j < nold; j++)
			if (xsrc_same(&v[i], &old[j])) {
				v[i].due_ns = old[j].due_ns;
				v[i].logged_ms = old[j].logged_ms;
				break;
			}
	for (j = 0; j < nold; j++)
		xsrc_fini(&old[j]);
	free(old);
	h->src = v;
	h->nsrc = n;
	if (cfg->nplugins != h->nplugins)
		log_warnx("reload: plugins are loaded at start only; restart "
		    "procwatchd to change them");
	if (thread_start(h, err, errlen) < 0)
		return -1;
	return 0;
}

struct custom_host *
custom_host_new(const struct config *cfg, struct pw_monitor *mon,
    struct pw_alerts *alerts, char *err, size_t errlen)
{
	struct custom_host *h;
	pthread_condattr_t ca;
	uint64_t now = pw_mono_ns();
	size_t i;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	if ((h = calloc(1, sizeof(*h))) == NULL)
		goto out_oom;
	if ((h->custom = pw_custom_new(&cfg->custom)) == NULL)
		goto out_free;
	if (pthread_mutex_init(&h->mtx, NULL) != 0)
		goto out_custom;
	if (pthread_condattr_init(&ca) != 0)
		goto out_mtx;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&h->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		goto out_mtx;
	if (xsrcs_from(cfg, now, &h->src, &h->nsrc, err, errlen) < 0)
		goto out_cond_quiet;
	h->nplugins = cfg->nplugins;
	pw_monitor_set_custom(mon, h->custom);
	if (alerts != NULL)
		pw_alerts_set_custom(alerts, h->custom);
	if (cfg->nplugins > 0 && (h->plugins = plugins_load(cfg->plugins,
	    cfg->nplugins, mon, err, errlen)) == NULL)
		goto out_detach;
	if (thread_start(h, err, errlen) < 0)
		goto out_plugins;
	if (h->nsrc > 0 || cfg->nplugins > 0)
		log_info("%zu exec source(s), %zu plugin(s)", h->nsrc,
		    cfg->nplugins);
	return h;
out_plugins:
	plugins_unload(h->plugins);
out_detach:
	pw_monitor_set_custom(mon, NULL);
	if (alerts != NULL)
		pw_alerts_set_custom(alerts, NULL);
	goto out_cond_quiet;
out_cond_quiet:
	for (i = 0; i < h->nsrc; i++)
		xsrc_fini(&h->src[i]);
	free(h->src);
	pthread_cond_destroy(&h->cond);
out_mtx:
	pthread_mutex_destroy(&h->mtx);
out_custom:
	pw_custom_free(h->custom);
out_free:
	free(h);
	if (err[0] != '\0')
		return NULL;
out_oom:
	snprintf(err, errlen, "custom metrics: out of memory");
	return NULL;
}

void
custom_host_free(struct custom_host *h)
{
	size_t i;

	if (h == NULL)
		return;
	thread_stop(h);
	plugins_unload(h->plugins);
	for (i = 0; i < h->nsrc; i++)
		xsrc_fini(&h->src[i]);
	free(h->src);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->mtx);
	pw_custom_free(h->custom);
	free(h);
}

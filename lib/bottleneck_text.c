/*
 * bottleneck_text.c: the sentences and suggestions of a bottleneck entry
 * (pw_bottleneck_describe(), procwatch/bottleneck.h).
 *
 * DESIGN: built from the entry's evidence only, never from the store, so
 * the same entry always reads the same and can be described after the
 * ranking, without any lock.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <procwatch/bottleneck.h>
#include <procwatch/metric.h>

#include "bottleneck_impl.h"

/* --- text ------------------------------------------------------------------- */

/* "45s", "5m", "5m30s", "2h10m", "3d4h". */
static void
fmt_dur(double s, char *buf, size_t len)
{
	long long t = s < 0 ? 0 : (long long)(s + 0.5);

	if (t < 60)
		snprintf(buf, len, "%llds", t);
	else if (t < 3600)
		snprintf(buf, len, t % 60 ? "%lldm%llds" : "%lldm",
		    t / 60, t % 60);
	else if (t < 86400)
		snprintf(buf, len, (t % 3600) / 60 ? "%lldh%lldm" : "%lldh",
		    t / 3600, (t % 3600) / 60);
	else
		snprintf(buf, len, (t % 86400) / 3600 ? "%lldd%lldh" : "%lldd",
		    t / 86400, (t % 86400) / 3600);
}

/* "512.0 MiB", "1.5 GiB", "800 KiB" (signed values keep their sign). */
static void
fmt_bytes(double b, char *buf, size_t len)
{
	double a = fabs(b);

	if (a >= 1024.0 * MIB)
		snprintf(buf, len, "%.1f GiB", b / (1024.0 * MIB));
	else if (a >= MIB)
		snprintf(buf, len, "%.1f MiB", b / MIB);
	else
		snprintf(buf, len, "%.0f KiB", b / 1024.0);
}

static void add_sugg(struct pw_bottleneck *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_sugg(struct pw_bottleneck *b, const char *fmt, ...)
{
	va_list ap;

	if (b->nsuggestions == PW_BN_MAX_SUGGESTIONS)
		return;
	va_start(ap, fmt);
	vsnprintf(b->suggestions[b->nsuggestions++], PW_BN_TEXT_MAX, fmt, ap);
	va_end(ap);
}

/*
 * ", 48 % of the host's 2 CPUs" or ", 95 % of its cgroup's quota of 1.0
 * CPU": what the severity of a cpu entry is measured against.
 */
static void
fmt_capacity(const struct pw_bn_evidence *e, char *buf, size_t len)
{
	buf[0] = '\0';
	if (e->capacity <= 0)
		return;
	if (e->capacity_is_quota)
		snprintf(buf, len, ", %.0f %% of its cgroup's quota of %.1f "
		    "CPU", 100 * e->cores / e->capacity, e->capacity);
	else
		snprintf(buf, len, ", %.0f %% of the host's %.0f CPU%s",
		    100 * e->cores / e->capacity, e->capacity,
		    e->capacity == 1 ? "" : "s");
}

/* The suggestion of a cpu entry whose severity comes from its quota. */
static void
sugg_quota(struct pw_bottleneck *b, const char *whom)
{
	const struct pw_bn_evidence *e = &b->ev;

	if (e->capacity_is_quota && b->severity >= PW_SEV_HIGH)
		add_sugg(b, "%s uses %.0f %% of its cgroup's CPU quota of %.1f "
		    "CPU (cpu.max): the kernel throttles it beyond that; raise "
		    "CPUQuota= if the load is expected.", whom,
		    100 * e->cores / e->capacity, e->capacity);
}

static void
describe_cpu(struct pw_bottleneck *b)
{
	const struct pw_bn_evidence *e = &b->ev;
	const struct pw_bn_thread *h = &e->hot;
	char win[32], hot[160] = "", cap[96];
	int pid = (int)b->pid;

	fmt_dur(e->window_s, win, sizeof(win));
	fmt_capacity(e, cap, sizeof(cap));
	if (h->known && h->nthreads > 1 && h->share >= HOT_SHARE)
		snprintf(hot, sizeof(hot), "; one thread, '%s' (tid %d), "
		    "does %.0f %% of it", h->name, (int)h->tid,
		    100 * h->share);
	snprintf(b->description, sizeof(b->description),
	    "Process '%s' (pid %d) used %.0f %% of monitored CPU over %s "
	    "(%.2f CPU-seconds, %.1f %% of one core on average%s)%s",
	    b->name, pid, 100 * b->impact, win, e->cpu_s, e->cpu_percent, cap,
	    hot);
	sugg_quota(b, "It");

	if (h->known && h->nthreads > 1 && h->share >= HOT_SHARE)
		add_sugg(b, "One hot thread: '%s' (tid %d) does %.0f %% of the "
		    "process's CPU; profile it with `perf top -t %d`. More "
		    "cores will not help a single busy thread.", h->name,
		    (int)h->tid, 100 * h->share, (int)h->tid);
	else if (h->known && h->nthreads > 1)
		add_sugg(b, "The CPU is spread over %zu threads (the busiest, "
		    "'%s', does %.0f %%); profile the whole process with "
		    "`perf top -p %d`.", h->nthreads, h->name, 100 * h->share,
		    pid);
	else if (e->threads == 1)
		add_sugg(b, "The process is single-threaded and runs at "
		    "%.0f %% of one core: it is bound to one core; profile it "
		    "with `perf top -p %d`.", e->cpu_percent, pid);
	else
		add_sugg(b, "Profile it with `perf top -p %d` (or `perf "
		    "record -g -p %d`) to see where the time goes.", pid, pid);
	if (e->cpu_s > 0 && e->user_share < 0.5)
		add_sugg(b, "%.0f %% of its CPU time is system time: count its "
		    "system calls with `strace -c -f -p %d`.",
		    100 * (1 - e->user_share), pid);
	if (e->invol_ctx_rate >= 100)
		add_sugg(b, "It is preempted %.0f times per second: it competes "
		    "for CPU with other work; check the run queue (`vmstat 1`) "
		    "and its nice value or CPU affinity.", e->invol_ctx_rate);
	if (b->severity >= PW_SEV_HIGH && e->total_cpu_s > 0)
		add_sugg(b, "If this load is expected, it is the process to "
		    "scale out or move first: the others used %.2f CPU-seconds "
		    "together.", e->total_cpu_s - e->cpu_s);
}

/*
 * " (12.5 % of RAM)", or " (80.0 % of its cgroup's memory limit of 64.0
 * MiB)", for the RSS of memory evidence e, "" when the limit is unknown;
 * returns that percentage (0: unknown).
 */
static double
fmt_ram_share(const struct pw_bn_evidence *e, char *buf, size_t len)
{
	char lim[32];
	double pct;

	buf[0] = '\0';
	if (e->mem_limit == 0)
		return 0;
	pct = 100.0 * (double)e->rss_bytes / (double)e->mem_limit;
	if (e->limit_is_cgroup) {
		fmt_bytes((double)e->mem_limit, lim, sizeof(lim));
		snprintf(buf, len, " (%.1f %% of its cgroup's memory limit of "
		    "%s)", pct, lim);
	} else
		snprintf(buf, len, " (%.1f %% of RAM)", pct);
	return pct;
}

/*
 * The suggestions of a memory entry, of a process or a target, that
 * follow from its evidence and `pct`, its share of RAM; `whom` is what
 * to give RAM or to cap ("it", "the service").
 */
static void
sugg_memory(struct pw_bottleneck *b, double pct, const char *whom)
{
	const struct pw_bn_evidence *e = &b->ev;
	char sw[32];

	if (e->swap_bytes > 0) {
		fmt_bytes((double)e->swap_bytes, sw, sizeof(sw));
		add_sugg(b, "%s of it is swapped out: expect stalls when it "
		    "is touched; give %s RAM or a lower footprint.", sw, whom);
	}
	if (e->trend.valid && e->trend.dir == PW_TREND_GROWING) {
		fmt_bytes(e->trend.slope_per_min, sw, sizeof(sw));
		add_sugg(b, "Its RSS is still growing (+%s/min): see its "
		    "leak entry.", sw);
	}
	if (pct >= 75 && e->limit_is_cgroup)
		add_sugg(b, "It is near its cgroup's memory limit: the kernel "
		    "reclaims, then OOM-kills inside the group; raise "
		    "MemoryMax= or lower its footprint.");
	else if (pct > 50)
		add_sugg(b, "It holds more than half of RAM: cap %s (systemd "
		    "MemoryMax=) before the OOM killer picks something.", whom);
}

static void
describe_memory(struct pw_bottleneck *b)
{
	const struct pw_bn_evidence *e = &b->ev;
	char rss[32], ram[96];
	int pid = (int)b->pid;
	double pct;

	fmt_bytes((double)e->rss_bytes, rss, sizeof(rss));
	pct = fmt_ram_share(e, ram, sizeof(ram));
	if (e->rss_bytes >= e->largest_rss_bytes)
		snprintf(b->description, sizeof(b->description),
		    "Process '%s' (pid %d) has the largest resident memory of "
		    "the monitored processes: %s%s", b->name, pid, rss, ram);
	else
		snprintf(b->description, sizeof(b->description),
		    "Process '%s' (pid %d) has %s resident%s, %.0f %% of the "
		    "largest monitored process", b->name, pid, rss, ram,
		    100 * b->impact);
	sugg_memory(b, pct, "it");
	add_sugg(b, "See which mappings hold the memory with `pmap -x %d` "
	    "(heap and anonymous mappings first).", pid);
}

static void
describe_fds(struct pw_bottleneck *b)
{
	const struct pw_bn_evidence *e = &b->ev;
	const struct pw_trend *t = &e->trend;
	char win[32], ttl[32], at[160] = "", use[96] = "";
	int pid = (int)b->pid;
	bool grows = pw_bn_is_sustained(t, &e->shape, e->current,
	    GROWTH_MIN_N);

	fmt_dur(e->window_s, win, sizeof(win));
	if (e->time_to_limit_s >= 0)
		fmt_dur(e->time_to_limit_s, ttl, sizeof(ttl));
	if (e->usage >= PW_BN_MIN_FD_USAGE)
		snprintf(use, sizeof(use), " (%.0f %% of its limit of %.0f)",
		    100 * e->usage, e->limit);
	if (grows) {
		if (e->time_to_limit_s >= 0)
			snprintf(at, sizeof(at), "; at this rate it reaches its "
			    "limit of %.0f in %s", e->limit, ttl);
		snprintf(b->description, sizeof(b->description),
		    "Process '%s' (pid %d) opens descriptors steadily: "
		    "%+.1f/min (95 %% CI %.1f to %.1f, r\u00b2 %.2f) over %s, "
		    "%.0f open now%s%s", b->name, pid, t->slope_per_min,
		    t->ci_lo, t->ci_hi, t->r2, win, e->current, use, at);
	} else
		snprintf(b->description, sizeof(b->description),
		    "Process '%s' (pid %d) has %.0f descriptors open%s",
		    b->name, pid, e->current, use);
	if (grows && e->time_to_limit_s >= 0)
		add_sugg(b, "At %+.1f descriptors/min it hits EMFILE in "
		    "%s: list what it holds with `ls -l /proc/%d/fd` "
		    "and look for files or sockets that are never "
		    "closed.", t->slope_per_min, ttl, pid);
	else if (grows)
		add_sugg(b, "Its descriptor limit is unknown or "
		    "unlimited: list what it holds with `ls -l "
		    "/proc/%d/fd` and look for what is never closed.",
		    pid);
	else
		add_sugg(b, "Near the limit, the next open() fails with "
		    "EMFILE: list what it holds with `ls -l /proc/%d/fd`.",
		    pid);
	add_sugg(b, "Raising LimitNOFILE only postpones the failure "
	    "if descriptors leak; fix the leak first.");
}

static void
describe_growth(struct pw_bottleneck *b)
{
	const struct pw_bn_evidence *e = &b->ev;
	const struct pw_trend *t = &e->trend;
	char win[32], ttl[32], a[32], lo[32], hi[32], lim[32], at[160] = "";
	int pid = (int)b->pid;

	fmt_dur(e->window_s, win, sizeof(win));
	if (e->time_to_limit_s >= 0)
		fmt_dur(e->time_to_limit_s, ttl, sizeof(ttl));
	if (b->type == PW_BN_FDS) {
		describe_fds(b);
		return;
	}
	if (strcmp(e->metric, pw_metric_name(PW_METRIC_THREADS)) == 0) {
		snprintf(b->description, sizeof(b->description),
		    "Process '%s' (pid %d) starts threads steadily: "
		    "%+.1f/min (95 %% CI %.1f to %.1f, r\u00b2 %.2f) over %s, "
		    "%.0f threads now", b->name, pid, t->slope_per_min,
		    t->ci_lo, t->ci_hi, t->r2, win, e->current);
		add_sugg(b, "Threads are created and not joined or reused: "
		    "list them with `ls /proc/%d/task` and their names with "
		    "`ps -T -p %d`.", pid, pid);
		add_sugg(b, "Bound its worker pool; each thread costs at least "
		    "a stack.");
		return;
	}
	fmt_bytes(t->slope_per_min, a, sizeof(a));
	fmt_bytes(t->ci_lo, lo, sizeof(lo));
	fmt_bytes(t->ci_hi, hi, sizeof(hi));
	if (e->time_to_limit_s >= 0) {
		fmt_bytes(e->limit, lim, sizeof(lim));
		snprintf(at, sizeof(at), "; at this rate it reaches %s (%s) "
		    "in %s", e->limit_is_cgroup ? "its cgroup's memory limit" :
		    "MemTotal", lim, ttl);
	}
	snprintf(b->description, sizeof(b->description),
	    "Process '%s' (pid %d) RSS grows %s/min (95 %% CI %s to %s, "
	    "r\u00b2 %.2f) over %s, in every third of it%s", b->name, pid, a,
	    lo, hi, t->r2, win, at);
	if (e->time_to_limit_s >= 0)
		add_sugg(b, "At this rate it exhausts memory in %s: take heap "
		    "profiles a few minutes apart (heaptrack, valgrind "
		    "--tool=massif) and compare what grows.", ttl);
	else
		add_sugg(b, "Take heap profiles a few minutes apart "
		    "(heaptrack, valgrind --tool=massif) and compare what "
		    "grows.");
	add_sugg(b, "Compare `pmap -x %d` a few minutes apart to see which "
	    "mapping grows.", pid);
	add_sugg(b, "A cache that warms up flattens out: if it has a "
	    "bound, a longer window (?window=30m) shows the plateau.");
}

/* --- text: targets --------------------------------------------------------- */

/* "Target 'web' (3 processes)" */
static void
group_subject(const struct pw_bottleneck *b, char *buf, size_t len)
{
	snprintf(buf, len, "Target '%s' (%u process%s)", b->target,
	    (unsigned)b->ev.processes, b->ev.processes == 1 ? "" : "es");
}

static void
describe_group_cpu(struct pw_bottleneck *b)
{
	const struct pw_bn_evidence *e = &b->ev;
	char who[PW_BN_TARGET_MAX + 48], win[32], kids[96] = "", cap[96];
	double kshare = e->cpu_s > 0 ? e->children_cpu_s / e->cpu_s : 0;

	group_subject(b, who, sizeof(who));
	fmt_dur(e->window_s, win, sizeof(win));
	fmt_capacity(e, cap, sizeof(cap));
	if (e->children_cpu_s >= PW_BN_MIN_CPU_S)
		snprintf(kids, sizeof(kids), "; %.2f CPU-seconds of it by "
		    "short-lived children its processes reaped",
		    e->children_cpu_s);
	snprintf(b->description, sizeof(b->description),
	    "%s used %.0f %% of monitored CPU over %s (%.2f CPU-seconds, "
	    "%.1f %% of one core on average%s)%s", who, 100 * b->impact, win,
	    e->cpu_s, e->cpu_percent, cap, kids);
	sugg_quota(b, "It");
	if (kshare >= 0.2)
		add_sugg(b, "%.0f %% of it was spent by child processes too "
		    "short-lived to be sampled: find what its processes run "
		    "(GET /api/v1/events) and batch or avoid those commands.",
		    100 * kshare);
	add_sugg(b, "See which of its processes use the CPU with GET "
	    "/api/v1/bottlenecks?by=process (or `procwatchctl top`), then "
	    "profile the busiest with `perf top -p PID`.");
	if (e->cpu_s > 0 && e->user_share < 0.5)
		add_sugg(b, "%.0f %% of its CPU time is system time: count the "
		    "system calls of its busiest process with `strace -c -f -p "
		    "PID`.", 100 * (1 - e->user_share));
	if (e->invol_ctx_rate >= 100)
		add_sugg(b, "Its processes are preempted %.0f times per second "
		    "in all: they compete for CPU with other work; check the "
		    "run queue (`vmstat 1`).", e->invol_ctx_rate);
	if (b->severity >= PW_SEV_HIGH && e->total_cpu_s > 0)
		add_sugg(b, "If this load is expected, it is the service to "
		    "scale out or move first: the other targets used %.2f "
		    "CPU-seconds together.", e->total_cpu_s - e->cpu_s);
}

static void
describe_group_memory(struct pw_bottleneck *b)
{
	const struct pw_bn_evidence *e = &b->ev;
	char who[PW_BN_TARGET_MAX + 48], rss[32], ram[96];
	double pct;

	group_subject(b, who, sizeof(who));
	fmt_bytes((double)e->rss_bytes, rss, sizeof(rss));
	pct = fmt_ram_share(e, ram, sizeof(ram));
	if (e->rss_bytes >= e->largest_rss_bytes)
		snprintf(b->description, sizeof(b->description),
		    "%s has the largest resident memory of the monitored "
		    "targets: %s%s", who, rss, ram);
	else
		snprintf(b->description, sizeof(b->description),
		    "%s has %s resident%s, %.0f %% of the largest target",
		    who, rss, ram, 100 * b->impact);
	sugg_memory(b, pct, "the service");
	add_sugg(b, "See which of its processes hold the memory with GET "
	    "/api/v1/targets/%s (top_rss), then `pmap -x PID`.", b->target);
}

static void
describe_group_fds(struct pw_bottleneck *b)
{
	const struct pw_bn_evidence *e = &b->ev;
	const struct pw_trend *t = &e->trend;
	char who[PW_BN_TARGET_MAX + 48], win[32], ttl[32], use[96] = "";
	char grow[200] = "", at[96] = "";
	bool grows = pw_bn_is_sustained(t, &e->shape, e->current,
	    GROWTH_MIN_N);
	int pid = (int)e->fd_usage_pid;

	group_subject(b, who, sizeof(who));
	fmt_dur(e->window_s, win, sizeof(win));
	if (pid != 0 && e->fd_usage_max >= PW_BN_MIN_FD_USAGE)
		snprintf(use, sizeof(use), ": its process %d has %.0f %% of "
		    "its descriptor limit open", pid, 100 * e->fd_usage_max);
	if (e->time_to_limit_s >= 0) {
		fmt_dur(e->time_to_limit_s, ttl, sizeof(ttl));
		snprintf(at, sizeof(at), "; at its rate that process reaches "
		    "its limit in %s", ttl);
	}
	if (grows)
		snprintf(grow, sizeof(grow), "%s opens descriptors steadily: "
		    "%+.1f/min (95 %% CI %.1f to %.1f, r\u00b2 %.2f) over %s, "
		    "%.0f open now", use[0] != '\0' ? "; the target" : "",
		    t->slope_per_min, t->ci_lo, t->ci_hi, t->r2, win,
		    e->current);
	snprintf(b->description, sizeof(b->description), "%s%s%s%s", who,
	    use, grow, at);
	if (pid != 0)
		add_sugg(b, "List what process %d holds with `ls -l "
		    "/proc/%d/fd` and look for files or sockets that are never "
		    "closed.", pid, pid);
	if (grows)
		add_sugg(b, "Find the processes whose descriptors grow with "
		    "GET /api/v1/bottlenecks?by=process.");
	add_sugg(b, "Raising LimitNOFILE only postpones the failure if "
	    "descriptors leak; fix the leak first.");
}

static void
describe_group_growth(struct pw_bottleneck *b)
{
	const struct pw_bn_evidence *e = &b->ev;
	const struct pw_trend *t = &e->trend;
	char who[PW_BN_TARGET_MAX + 48], win[32], ttl[32], a[32], lo[32];
	char hi[32], lim[32], at[160] = "";

	group_subject(b, who, sizeof(who));
	fmt_dur(e->window_s, win, sizeof(win));
	if (strcmp(e->metric, pw_metric_name(PW_METRIC_THREADS)) == 0) {
		snprintf(b->description, sizeof(b->description),
		    "%s gains threads steadily: %+.1f/min (95 %% CI %.1f to "
		    "%.1f, r\u00b2 %.2f) over %s, %.0f threads now", who,
		    t->slope_per_min, t->ci_lo, t->ci_hi, t->r2, win,
		    e->current);
	} else {
		fmt_bytes(t->slope_per_min, a, sizeof(a));
		fmt_bytes(t->ci_lo, lo, sizeof(lo));
		fmt_bytes(t->ci_hi, hi, sizeof(hi));
		if (e->time_to_limit_s >= 0) {
			fmt_dur(e->time_to_limit_s, ttl, sizeof(ttl));
			fmt_bytes(e->limit, lim, sizeof(lim));
			snprintf(at, sizeof(at), "; at this rate it reaches "
			    "%s (%s) in %s", e->limit_is_cgroup ? "its "
			    "cgroup's memory limit" : "MemTotal", lim, ttl);
		}
		snprintf(b->description, sizeof(b->description),
		    "%s RSS grows %s/min (95 %% CI %s to %s, r\u00b2 %.2f) "
		    "over %s%s", who, a, lo, hi, t->r2, win, at);
	}
	add_sugg(b, "A target grows when it gains processes too: compare "
	    "its process count over the window (GET /api/v1/targets/%s/"
	    "stats).", b->target);
	add_sugg(b, "Find the processes that grow with GET "
	    "/api/v1/bottlenecks?by=process.");
}

/* --- text: waiting ---------------------------------------------------------- */

/*
 * cpu_starved, io_blocked, memory_stall and oom, of a process or a
 * target: "Process 'x' (pid 1)" or "Target 'web' (3 processes)" in who.
 */
static void
subject(const struct pw_bottleneck *b, char *buf, size_t len)
{
	if (b->is_group)
		group_subject(b, buf, len);
	else
		snprintf(buf, len, "Process '%s' (pid %d)", b->name,
		    (int)b->pid);
}

static void
describe_cpu_starved(struct pw_bottleneck *b)
{
	const struct pw_bn_evidence *e = &b->ev;
	char who[PW_BN_TARGET_MAX + 48], win[32];

	subject(b, who, sizeof(who));
	fmt_dur(e->window_s, win, sizeof(win));
	if (b->is_group)
		snprintf(b->description, sizeof(b->description),
		    "%s waits for a CPU: some of its tasks were runnable but "
		    "not running %.0f %% of the time (PSI cpu some avg10)",
		    who, e->delay_pct);
	else
		snprintf(b->description, sizeof(b->description),
		    "%s waits for a CPU: runnable but not running %.0f %% of "
		    "the time over %s (cpu_delay_percent; 100 = one thread "
		    "waited throughout)", who, e->delay_pct, win);
	add_sugg(b, "Faster code will not help: the time is lost waiting "
	    "for a core. See who else runs on its CPUs (`top`, `ps -eo "
	    "pid,psr,pcpu,comm --sort=-pcpu`) and move or throttle them.");
	add_sugg(b, "Check its CPU affinity (`taskset -p PID`) and cpuset: "
	    "it may be pinned to fewer cores than it has runnable threads.");
	add_sugg(b, "Give it a larger share when the host is busy (systemd "
	    "CPUWeight=, or nice), or add cores.");
}

static void
describe_io_blocked(struct pw_bottleneck *b)
{
	const struct pw_bn_evidence *e = &b->ev;
	char who[PW_BN_TARGET_MAX + 48], win[32];

	subject(b, who, sizeof(who));
	fmt_dur(e->window_s, win, sizeof(win));
	if (b->is_group)
		snprintf(b->description, sizeof(b->description),
		    "%s waits for block I/O: some of its tasks were stalled on "
		    "I/O %.0f %% of the time (PSI io some avg10)", who,
		    e->delay_pct);
	else
		snprintf(b->description, sizeof(b->description),
		    "%s waits for block I/O %.0f %% of the time over %s "
		    "(io_delay_percent)", who, e->delay_pct, win);
	add_sugg(b, "See which device is saturated with `iostat -x 1` "
	    "(%%util, await) and which processes read and write with "
	    "`iotop -o`.");
	add_sugg(b, "Synchronous writes (fsync, O_DSYNC) wait for the disk "
	    "each time: batch them, or move the files to faster storage.");
	add_sugg(b, "If a neighbour saturates the device, limit it (systemd "
	    "IOWeight=, IOWriteBandwidthMax=).");
}

static void
describe_memory_stall(struct pw_bottleneck *b)
{
	const struct pw_bn_evidence *e = &b->ev;
	char who[PW_BN_TARGET_MAX + 48], win[32], sw[32];

	subject(b, who, sizeof(who));
	fmt_dur(e->window_s, win, sizeof(win));
	if (b->is_group && e->psi_full >= 0)
		snprintf(b->description, sizeof(b->description),
		    "%s stalls on memory: some of its tasks waited for memory "
		    "%.0f %% of the time, all of them at once %.0f %% (PSI "
		    "memory avg10)", who, e->psi_some, e->psi_full);
	else if (b->is_group)
		snprintf(b->description, sizeof(b->description),
		    "%s stalls on memory %.0f %% of the time (PSI memory some "
		    "avg10)", who, e->psi_some);
	else
		snprintf(b->description, sizeof(b->description),
		    "%s waits for memory %.0f %% of the time over %s: reclaim, "
		    "swap-in and thrashing (memory_delay_percent, "
		    "swapin_delay_percent)", who, e->delay_pct, win);
	if (e->swap_bytes > 0) {
		fmt_bytes((double)e->swap_bytes, sw, sizeof(sw));
		add_sugg(b, "%s of it is in swap: what it touches is read "
		    "back from disk.", sw);
	}
	add_sugg(b, "It runs short of memory: raise its limit (MemoryHigh=, "
	    "MemoryMax=) or RAM, or lower its footprint or its neighbours'.");
	add_sugg(b, "Watch reclaim with `vmstat 1` (si/so, and the memory "
	    "pressure in /proc/pressure/memory).");
}

static void
describe_oom(struct pw_bottleneck *b)
{
	const struct pw_bn_evidence *e = &b->ev;
	char who[PW_BN_TARGET_MAX + 48], win[32], lim[48] = "";

	subject(b, who, sizeof(who));
	fmt_dur(e->window_s, win, sizeof(win));
	if (e->mem_limit > 0) {
		fmt_bytes((double)e->mem_limit, lim + 2, sizeof(lim) - 2);
		memcpy(lim, " (", 2);
		strncat(lim, " limit)", sizeof(lim) - strlen(lim) - 1);
	}
	snprintf(b->description, sizeof(b->description),
	    "%s had %.0f process%s killed by the OOM killer over %s%s", who,
	    e->oom_kills, e->oom_kills == 1 ? "" : "es", win, lim);
	add_sugg(b, "See which processes and when: GET /api/v1/events "
	    "(type oom_kill), and the kernel log (`journalctl -k | grep -i "
	    "oom`).");
	add_sugg(b, "Raise its memory limit (MemoryMax=) if the load is "
	    "expected, or find what grew: its leak and memory entries.");
}

void
pw_bottleneck_describe(struct pw_bottleneck *b)
{
	b->nsuggestions = 0;
	memset(b->suggestions, 0, sizeof(b->suggestions));
	switch (b->type) {
	case PW_BN_CPU_STARVED:
		describe_cpu_starved(b);
		return;
	case PW_BN_IO_BLOCKED:
		describe_io_blocked(b);
		return;
	case PW_BN_MEMORY_STALL:
		describe_memory_stall(b);
		return;
	case PW_BN_OOM:
		describe_oom(b);
		return;
	default:
		break;
	}
	if (b->is_group) {
		switch (b->type) {
		case PW_BN_CPU:
			describe_group_cpu(b);
			break;
		case PW_BN_MEMORY:
			describe_group_memory(b);
			break;
		case PW_BN_FDS:
			describe_group_fds(b);
			break;
		default:
			describe_group_growth(b);
			break;
		}
		return;
	}
	switch (b->type) {
	case PW_BN_CPU:
		describe_cpu(b);
		break;
	case PW_BN_MEMORY:
		describe_memory(b);
		break;
	default:
		describe_growth(b);
		break;
	}
}

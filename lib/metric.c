/*
 * metric.c: the metric catalogue (procwatch/metric.h), its rows and
 * readers.
 *
 * DESIGN: the table is indexed by enum pw_metric, with designated
 * initialisers so a row cannot slip to another's place.  Each reader is a
 * few lines over one sample; counter rates share one helper so that every
 * rate skips the same intervals.  The Prometheus names and help texts are
 * the ones /metrics has always shown: they are an interface (dashboards
 * and alerting rules name them) and must not change.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <procwatch/metric.h>
#include <procwatch/store.h>

#include "pwutil.h"

/* --- process readers ------------------------------------------------------ */

/*
 * The per-second rate of a counter read as `a` from prev and `b` from cur.
 * Unknown without a previous sample, when time does not advance, on a
 * first sample and, with `io`, when either sample lacks /proc/PID/io.  A
 * counter that went backwards is a reset: unknown, or 0 if ctx says so.
 */
static bool
rate(const struct pw_metric_ctx *c, const struct pw_sample *cur,
    const struct pw_sample *prev, uint64_t a, uint64_t b, bool io,
    double *out)
{
	int64_t dt;

	if (prev == NULL || (dt = cur->ts_ms - prev->ts_ms) <= 0 ||
	    (cur->flags & PW_SAMPLE_FIRST))
		return false;
	if (io && ((cur->flags | prev->flags) & PW_SAMPLE_NO_IO))
		return false;
	if (b < a) {
		if (!(c->flags & PW_MCTX_RESET_IS_ZERO))
			return false;
		*out = 0.0;
		return true;
	}
	*out = (double)(b - a) * 1000.0 / (double)dt;
	return true;
}

/*
 * A reader of `expr` from samples of type `stype`, known whenever
 * `known` holds.  Readers of rows with PW_MF_NO_SAMPLE are called with
 * cur NULL and must not touch it.
 */
#define READER_OF(stype, fn, known, expr)				\
static bool								\
fn(const struct pw_metric_ctx *c, const struct stype *cur,		\
    const struct stype *prev, double *out)				\
{									\
	(void)c;							\
	(void)cur;							\
	(void)prev;							\
	if (!(known))							\
		return false;						\
	*out = (double)(expr);						\
	return true;							\
}
#define READER(fn, known, expr)	READER_OF(pw_sample, fn, known, expr)
READER(r_rss, true, cur->rss_bytes)
READER(r_vms, true, cur->vms_bytes)
READER(r_swap, true, cur->swap_bytes)
READER(r_threads, true, cur->threads)
READER(r_ctx_vol, true, cur->ctx_voluntary)
READER(r_ctx_invol, true, cur->ctx_involuntary)
READER(r_minflt, true, cur->minor_faults)
READER(r_majflt, true, cur->major_faults)
/* The sampler's rates: a first sample has none. */
#define NOT_FIRST	!(cur->flags & PW_SAMPLE_FIRST)
READER(r_cpu, NOT_FIRST, cur->cpu_user_pct + cur->cpu_system_pct)
READER(r_cpu_user, NOT_FIRST, cur->cpu_user_pct)
READER(r_cpu_system, NOT_FIRST, cur->cpu_system_pct)
/* Delays: known where the sample has them (procwatch/delay.h). */
#define HAS(flag)	(NOT_FIRST && !(cur->flags & (flag)))
READER(r_cpu_delay, HAS(PW_SAMPLE_NO_CPU_DELAY), cur->cpu_delay_pct)
READER(r_io_delay, HAS(PW_SAMPLE_NO_IO_DELAY), cur->io_delay_pct)
READER(r_swapin_delay, HAS(PW_SAMPLE_NO_MEM_DELAY), cur->swapin_delay_pct)
READER(r_mem_delay, HAS(PW_SAMPLE_NO_MEM_DELAY), cur->mem_delay_pct)
#undef HAS
#undef NOT_FIRST
READER(r_open_fds, !(cur->flags & PW_SAMPLE_NO_FDS), cur->open_fds)
READER(r_read, !(cur->flags & PW_SAMPLE_NO_IO), cur->read_bytes)
READER(r_write, !(cur->flags & PW_SAMPLE_NO_IO), cur->write_bytes)
/* Memory % is pw_sample_memory_pct()'s, the one computation of it. */
READER(r_mem_pct, c->mem_total != 0,
    pw_sample_memory_pct(cur, c->mem_total))
/* Unlimited (UINT64_MAX) gives about 0: see procwatch/metric.h. */
READER(r_fd_usage, c->fd_limit != 0 && !(cur->flags & PW_SAMPLE_NO_FDS),
    (double)cur->open_fds / (double)c->fd_limit)
READER(r_fd_limit, c->fd_limit != 0, c->fd_limit)
READER(r_start_time, c->start_time_ms != 0,
    (double)c->start_time_ms / 1000.0)
/* CPU time: ticks as seconds, unknown without the clock rate. */
READER(r_cpu_user_seconds, c->hz > 0,
    (double)cur->utime_ticks / (double)c->hz)
READER(r_cpu_system_seconds, c->hz > 0,
    (double)cur->stime_ticks / (double)c->hz)
READER(r_cpu_seconds, c->hz > 0,
    (double)(cur->utime_ticks + cur->stime_ticks) / (double)c->hz)
/*
 * Proportional memory, from the context: read on its own schedule for
 * the top processes by RSS (lib/pss.c), unknown for the rest.
 */
READER(r_pss, c->pss.ts_ms != 0, c->pss.pss_bytes)
READER(r_uss, c->pss.ts_ms != 0, c->pss.uss_bytes)
READER(r_swap_pss, c->pss.ts_ms != 0 && c->pss.has_swap_pss,
    c->pss.swap_pss_bytes)
#undef READER

/* A reader of the rate of a counter; `io`: it comes from /proc/PID/io. */
#define RATE(fn, field, io)						\
static bool								\
fn(const struct pw_metric_ctx *c, const struct pw_sample *cur,		\
    const struct pw_sample *prev, double *out)				\
{									\
	return rate(c, cur, prev, prev != NULL ? prev->field : 0,	\
	    cur->field, io, out);					\
}
RATE(r_ctx_vol_rate, ctx_voluntary, false)
RATE(r_ctx_invol_rate, ctx_involuntary, false)
RATE(r_minflt_rate, minor_faults, false)
RATE(r_majflt_rate, major_faults, false)
RATE(r_read_rate, read_bytes, true)
RATE(r_write_rate, write_bytes, true)
#undef RATE

static bool
r_cpu_ticks_rate(const struct pw_metric_ctx *c, const struct pw_sample *cur,
    const struct pw_sample *prev, double *out)
{
	return rate(c, cur, prev, prev != NULL ? prev->utime_ticks +
	    prev->stime_ticks : 0, cur->utime_ticks + cur->stime_ticks, false,
	    out);
}

/* --- group readers -------------------------------------------------------- */

#define GFIELD(fn, known, expr) \
	READER_OF(pw_group_sample, fn, known, expr)
GFIELD(g_processes, true, cur->processes)
GFIELD(g_up, true, cur->processes > 0 ? 1 : 0)
GFIELD(g_exited, true, cur->exited)
/*
 * The worst member's usage, known with whose it is: an empty group has
 * no worst member, and live members of which none had both figures
 * leave it unknown too.
 */
GFIELD(g_fd_usage, cur->fd_usage_pid != 0, cur->fd_usage_max)
/*
 * The group's own I/O totals hold the exited members' too: known
 * whenever there is a sample, even when no live member's I/O was
 * readable this cycle (PW_GSAMPLE_NO_IO), which only makes their rates
 * unknown.
 */
GFIELD(g_read_bytes, true, cur->read_bytes)
GFIELD(g_write_bytes, true, cur->write_bytes)
/* The target's bounds, from the context: 0 is "none". */
GFIELD(g_min_processes, c->min_processes != 0, c->min_processes)
GFIELD(g_max_processes, c->max_processes != 0, c->max_processes)
GFIELD(g_children_seconds, c->hz > 0,
    (double)cur->children_ticks / (double)c->hz)
/*
 * A group's cgroup figures (procwatch/psi.h): unknown with the reason in
 * the sample (cg.psi_why, cg.mem_why) for targets that have no cgroup,
 * kernels without PSI, cgroups without a memory controller.
 */
#define PSI_OK(r, half)	(cur->cg.psi_why == PW_CGW_OK && \
	cur->cg.psi[r].has_##half)
#define GPSI(fn, r, half)						\
GFIELD(fn##_pct, PSI_OK(r, half),					\
    (double)cur->cg.psi[r].half##_avg10_x100 / 100.0)			\
GFIELD(fn##_sec, PSI_OK(r, half),					\
    (double)cur->cg.psi[r].half##_total_us / 1e6)
GPSI(g_psi_cpu_some, PW_PSI_CPU, some)
GPSI(g_psi_cpu_full, PW_PSI_CPU, full)
GPSI(g_psi_mem_some, PW_PSI_MEMORY, some)
GPSI(g_psi_mem_full, PW_PSI_MEMORY, full)
GPSI(g_psi_io_some, PW_PSI_IO, some)
GPSI(g_psi_io_full, PW_PSI_IO, full)
#undef GPSI
#undef PSI_OK
#define MEM_OK	(cur->cg.mem_why == PW_CGW_OK)
GFIELD(g_mev_oom_kill, MEM_OK, cur->cg.oom_kill)
GFIELD(g_mev_oom, MEM_OK && cur->cg.has_events, cur->cg.oom)
GFIELD(g_mev_high, MEM_OK && cur->cg.has_events, cur->cg.high)
GFIELD(g_mev_max, MEM_OK && cur->cg.has_events, cur->cg.max)
GFIELD(g_under_oom, MEM_OK && cur->cg.has_under_oom,
    cur->cg.under_oom ? 1 : 0)
GFIELD(g_mem_limit, MEM_OK && cur->cg.has_limit, cur->cg.limit_bytes)
#undef MEM_OK
GFIELD(g_oom_kills, true, cur->oom_kills)
GFIELD(g_oom_kills_recent, true, cur->oom_kills_recent)
#undef GFIELD
#undef READER_OF

/* --- the table ------------------------------------------------------------ */

#define P	PW_MF_PROCESS
#define G	PW_MF_GROUP
#define RULE	(PW_MF_RULE_PROCESS | PW_MF_RULE_GROUP)
#define WIN	(PW_MF_STATS | RULE | P | G)
/* A process's delay: statistics and process rules, no group value. */
#define DWIN	(PW_MF_STATS | PW_MF_RULE_PROCESS | P)

/* Prometheus families: the names and texts /metrics has always had. */
#define PP(name, type, help, label, dec)				\
	{ "procwatch_process_" name, type, help, label, dec }
#define GP(name, type, help, label, dec)				\
	{ "procwatch_group_" name, type, help, label, dec }
#define NOPROM	{ NULL, NULL, NULL, NULL, 0 }

/* A row's value as a field of a process or a group sample (exact). */
#define EXACT(field, unknown_if)					\
	{ offsetof(struct pw_sample, field),				\
	    sizeof(((struct pw_sample *)0)->field), unknown_if }
#define GEXACT(field, unknown_if)					\
	{ offsetof(struct pw_group_sample, field),			\
	    sizeof(((struct pw_group_sample *)0)->field), unknown_if }
#define NOEXACT	{ 0, 0, 0 }

#define H_CPU_SEC	"CPU time consumed by the process, by mode."
#define H_G_CPU_SEC	"CPU time of the target's processes, those gone and " \
	"the children they reaped included."
#define H_CTX		"Context switches, by type."
#define H_G_CTX		"Context switches of the target's processes."
#define H_FLT		"Page faults, by type."
#define H_G_FLT		"Page faults of the target's processes."
#define H_PSI_PCT	"Pressure stall of the target's cgroup over the last " \
	"10 s, percent of the time (PSI avg10)."
#define H_PSI_SEC	"Stall time of the target's cgroup (PSI total)."
#define H_MEMEV		"Memory events of the target's cgroup."
#define GRULE		(PW_MF_RULE_GROUP | G)

static const struct pw_metric_def defs[PW_METRIC_NROWS] = {
	[PW_METRIC_CPU_PERCENT] = { "cpu_percent", "cpu_percent", "percent",
	    PW_KIND_RATE, PW_ROLLUP_SUMMARY, PW_GAGG_RATE, WIN,
	    "CPU use over the last interval, percent of one core.",
	    r_cpu, NULL,
	    PP("cpu_percent", "gauge",
	    "CPU use over the last interval, percent of one core.", NULL, 2),
	    GP("cpu_percent", "gauge",
	    "CPU use of the target over the last interval, percent of one "
	    "core.", NULL, 2),
	    "CPU %" },
	[PW_METRIC_CPU_USER_PERCENT] = { "cpu_user_percent",
	    "cpu_user_percent", "percent", PW_KIND_RATE, PW_ROLLUP_SUMMARY,
	    PW_GAGG_RATE, WIN,
	    "User-mode CPU use over the last interval, percent of one core.",
	    r_cpu_user, NULL, NOPROM, NOPROM,
	    "user %" },
	[PW_METRIC_CPU_SYSTEM_PERCENT] = { "cpu_system_percent",
	    "cpu_system_percent", "percent", PW_KIND_RATE, PW_ROLLUP_SUMMARY,
	    PW_GAGG_RATE, WIN,
	    "Kernel-mode CPU use over the last interval, percent of one core.",
	    r_cpu_system, NULL, NOPROM, NOPROM,
	    "system %" },
	[PW_METRIC_RSS_BYTES] = { "rss_bytes", "rss_bytes", "bytes",
	    PW_KIND_GAUGE, PW_ROLLUP_SUMMARY, PW_GAGG_SUM, WIN | PW_MF_TREND,
	    "Resident set size.", r_rss, NULL,
	    PP("resident_memory_bytes", "gauge", "Resident set size.", NULL,
	    0),
	    GP("resident_memory_bytes", "gauge",
	    "Resident set size of the target's processes.", NULL, 0),
	    "RSS", EXACT(rss_bytes, 0) },
	[PW_METRIC_VMS_BYTES] = { "vms_bytes", "vms_bytes", "bytes",
	    PW_KIND_GAUGE, PW_ROLLUP_SUMMARY, PW_GAGG_SUM, WIN,
	    "Virtual memory size.", r_vms, NULL,
	    PP("virtual_memory_bytes", "gauge", "Virtual memory size.", NULL,
	    0),
	    GP("virtual_memory_bytes", "gauge",
	    "Virtual memory size of the target's processes.", NULL, 0),
	    "VMS", EXACT(vms_bytes, 0) },
	[PW_METRIC_SWAP_BYTES] = { "swap_bytes", "swap_bytes", "bytes",
	    PW_KIND_GAUGE, PW_ROLLUP_SUMMARY, PW_GAGG_SUM, WIN,
	    "Swapped-out memory.", r_swap, NULL,
	    PP("swap_bytes", "gauge", "Swapped-out memory.", NULL, 0),
	    GP("swap_bytes", "gauge",
	    "Swapped-out memory of the target's processes.", NULL, 0),
	    "swap", EXACT(swap_bytes, 0) },
	[PW_METRIC_MEMORY_PERCENT] = { "memory_percent", "memory_percent",
	    "percent", PW_KIND_RATIO, PW_ROLLUP_SUMMARY, PW_GAGG_SUM, WIN,
	    "Resident set size, percent of total memory.", r_mem_pct, NULL,
	    PP("memory_percent", "gauge",
	    "Resident set size, percent of total memory.", NULL, 2),
	    NOPROM,
	    "mem %" },
	[PW_METRIC_OPEN_FDS] = { "open_fds", "open_fds", "count",
	    PW_KIND_GAUGE, PW_ROLLUP_SUMMARY, PW_GAGG_SUM, WIN | PW_MF_TREND,
	    "Open file descriptors.", r_open_fds, NULL,
	    PP("open_fds", "gauge", "Open file descriptors.", NULL, 0),
	    GP("open_fds", "gauge",
	    "Open file descriptors of the target's processes.", NULL, 0),
	    "open fds", EXACT(open_fds, PW_SAMPLE_NO_FDS) },
	[PW_METRIC_THREADS] = { "threads", "threads", "count", PW_KIND_GAUGE,
	    PW_ROLLUP_SUMMARY, PW_GAGG_SUM, WIN | PW_MF_TREND,
	    "Threads in the process.", r_threads, NULL,
	    PP("threads", "gauge", "Threads in the process.", NULL, 0),
	    GP("threads", "gauge",
	    "Threads in the live processes of the target.", NULL, 0),
	    "threads", EXACT(threads, 0) },
	[PW_METRIC_CTX_VOLUNTARY_RATE] = { "ctx_switches_voluntary_rate",
	    NULL, "per_second", PW_KIND_RATE, PW_ROLLUP_SUMMARY, PW_GAGG_RATE,
	    WIN | PW_MF_PAIR, "Voluntary context switches per second.",
	    r_ctx_vol_rate, NULL, NOPROM, NOPROM,
	    "voluntary switches/s" },
	[PW_METRIC_CTX_INVOLUNTARY_RATE] = { "ctx_switches_involuntary_rate",
	    NULL, "per_second", PW_KIND_RATE, PW_ROLLUP_SUMMARY, PW_GAGG_RATE,
	    WIN | PW_MF_PAIR, "Involuntary context switches per second.",
	    r_ctx_invol_rate, NULL, NOPROM, NOPROM,
	    "involuntary switches/s" },
	[PW_METRIC_MINOR_FAULTS_RATE] = { "minor_faults_rate", NULL,
	    "per_second", PW_KIND_RATE, PW_ROLLUP_SUMMARY, PW_GAGG_RATE,
	    WIN | PW_MF_PAIR, "Minor page faults per second.",
	    r_minflt_rate, NULL, NOPROM, NOPROM,
	    "minor faults/s" },
	[PW_METRIC_MAJOR_FAULTS_RATE] = { "major_faults_rate", NULL,
	    "per_second", PW_KIND_RATE, PW_ROLLUP_SUMMARY, PW_GAGG_RATE,
	    WIN | PW_MF_PAIR, "Major page faults per second.",
	    r_majflt_rate, NULL, NOPROM, NOPROM,
	    "major faults/s" },
	[PW_METRIC_READ_BYTES_RATE] = { "read_bytes_rate", NULL,
	    "bytes_per_second", PW_KIND_RATE, PW_ROLLUP_SUMMARY, PW_GAGG_RATE,
	    WIN | PW_MF_PAIR, "Bytes read from storage per second.",
	    r_read_rate, NULL, NOPROM, NOPROM,
	    "read/s" },
	[PW_METRIC_WRITE_BYTES_RATE] = { "write_bytes_rate", NULL,
	    "bytes_per_second", PW_KIND_RATE, PW_ROLLUP_SUMMARY, PW_GAGG_RATE,
	    WIN | PW_MF_PAIR, "Bytes written to storage per second.",
	    r_write_rate, NULL, NOPROM, NOPROM,
	    "written/s" },
	[PW_METRIC_FD_USAGE] = { "fd_usage", "fd_usage_max", "ratio",
	    PW_KIND_RATIO, PW_ROLLUP_SUMMARY, PW_GAGG_MAX, WIN,
	    "Open file descriptors over the soft limit, 0 to 1; of a group, "
	    "the highest of any member.", r_fd_usage, g_fd_usage, NOPROM,
	    GP("fd_usage_max", "gauge",
	    "The highest open_fds / fd_limit of any process of the target.",
	    NULL, 4),
	    "fd usage" },
	[PW_METRIC_CPU_DELAY_PERCENT] = { "cpu_delay_percent", NULL,
	    "percent", PW_KIND_RATE, PW_ROLLUP_SUMMARY, PW_GAGG_NONE, DWIN,
	    "Time the threads were runnable but waited for a CPU, percent "
	    "of the interval (100: one thread waited all of it).",
	    r_cpu_delay, NULL,
	    PP("cpu_delay_percent", "gauge", "Time the threads were "
	    "runnable but waited for a CPU, percent of the interval.", NULL,
	    2), NOPROM,
	    "CPU wait %" },
	[PW_METRIC_IO_DELAY_PERCENT] = { "io_delay_percent", NULL,
	    "percent", PW_KIND_RATE, PW_ROLLUP_SUMMARY, PW_GAGG_NONE, DWIN,
	    "Time the threads waited for block I/O, percent of the "
	    "interval; needs kernel delay accounting.",
	    r_io_delay, NULL,
	    PP("io_delay_percent", "gauge", "Time the threads waited for "
	    "block I/O, percent of the interval.", NULL, 2), NOPROM,
	    "I/O wait %" },
	[PW_METRIC_SWAPIN_DELAY_PERCENT] = { "swapin_delay_percent", NULL,
	    "percent", PW_KIND_RATE, PW_ROLLUP_SUMMARY, PW_GAGG_NONE, DWIN,
	    "Time the threads waited for swap-in, percent of the interval; "
	    "needs taskstats and kernel delay accounting.",
	    r_swapin_delay, NULL,
	    PP("swapin_delay_percent", "gauge", "Time the threads waited "
	    "for swap-in, percent of the interval.", NULL, 2), NOPROM,
	    "swap-in wait %" },
	[PW_METRIC_MEMORY_DELAY_PERCENT] = { "memory_delay_percent", NULL,
	    "percent", PW_KIND_RATE, PW_ROLLUP_SUMMARY, PW_GAGG_NONE, DWIN,
	    "Time the threads spent in memory reclaim, thrashing and "
	    "compaction, percent of the interval; needs taskstats and kernel "
	    "delay accounting.",
	    r_mem_delay, NULL,
	    PP("memory_delay_percent", "gauge", "Time the threads spent in "
	    "memory reclaim, thrashing and compaction, percent of the "
	    "interval.", NULL, 2), NOPROM,
	    "memory wait %" },
	[PW_METRIC_FD_LIMIT] = { "fd_limit", NULL, "count", PW_KIND_GAUGE,
	    PW_ROLLUP_LAST, PW_GAGG_NONE,
	    PW_MF_RULE_PROCESS | P | PW_MF_NO_SAMPLE,
	    "Soft limit on open file descriptors.", r_fd_limit, NULL,
	    PP("max_fds", "gauge", "Soft limit on open file descriptors.",
	    NULL, 0), NOPROM,
	    "fd limit" },
	[PW_METRIC_CTX_VOLUNTARY] = { "ctx_switches_voluntary",
	    "ctx_switches_voluntary_total", "count", PW_KIND_COUNTER,
	    PW_ROLLUP_INCREASE, PW_GAGG_ACCUMULATE, RULE | P | G,
	    "Voluntary context switches.", r_ctx_vol, NULL,
	    PP("context_switches_total", "counter", H_CTX,
	    "type=\"voluntary\"", 0),
	    GP("context_switches_total", "counter", H_G_CTX,
	    "type=\"voluntary\"", 0),
	    "voluntary switches", EXACT(ctx_voluntary, 0) },
	[PW_METRIC_CTX_INVOLUNTARY] = { "ctx_switches_involuntary",
	    "ctx_switches_involuntary_total", "count", PW_KIND_COUNTER,
	    PW_ROLLUP_INCREASE, PW_GAGG_ACCUMULATE, RULE | P | G,
	    "Involuntary context switches.", r_ctx_invol, NULL,
	    PP("context_switches_total", "counter", H_CTX,
	    "type=\"involuntary\"", 0),
	    GP("context_switches_total", "counter", H_G_CTX,
	    "type=\"involuntary\"", 0),
	    "involuntary switches",
	    EXACT(ctx_involuntary, 0) },
	[PW_METRIC_MINOR_FAULTS] = { "minor_faults", "minor_faults_total",
	    "count", PW_KIND_COUNTER, PW_ROLLUP_INCREASE, PW_GAGG_ACCUMULATE,
	    RULE | P | G, "Minor page faults.", r_minflt, NULL,
	    PP("page_faults_total", "counter", H_FLT, "type=\"minor\"", 0),
	    GP("page_faults_total", "counter", H_G_FLT, "type=\"minor\"",
	    0),
	    "minor faults", EXACT(minor_faults, 0) },
	[PW_METRIC_MAJOR_FAULTS] = { "major_faults", "major_faults_total",
	    "count", PW_KIND_COUNTER, PW_ROLLUP_INCREASE, PW_GAGG_ACCUMULATE,
	    RULE | P | G, "Major page faults.", r_majflt, NULL,
	    PP("page_faults_total", "counter", H_FLT, "type=\"major\"", 0),
	    GP("page_faults_total", "counter", H_G_FLT, "type=\"major\"",
	    0),
	    "major faults", EXACT(major_faults, 0) },
	[PW_METRIC_READ_BYTES] = { "read_bytes", "read_bytes_total", "bytes",
	    PW_KIND_COUNTER, PW_ROLLUP_INCREASE, PW_GAGG_ACCUMULATE,
	    RULE | P | G, "Bytes read from storage.", r_read, g_read_bytes,
	    PP("io_read_bytes_total", "counter", "Bytes read from storage.",
	    NULL, 0),
	    GP("read_bytes_total", "counter",
	    "Bytes the target's processes read from storage.", NULL, 0),
	    "read", EXACT(read_bytes, PW_SAMPLE_NO_IO),
	    GEXACT(read_bytes, 0) },
	[PW_METRIC_WRITE_BYTES] = { "write_bytes", "write_bytes_total",
	    "bytes", PW_KIND_COUNTER, PW_ROLLUP_INCREASE, PW_GAGG_ACCUMULATE,
	    RULE | P | G, "Bytes written to storage.", r_write,
	    g_write_bytes,
	    PP("io_write_bytes_total", "counter", "Bytes written to storage.",
	    NULL, 0),
	    GP("write_bytes_total", "counter",
	    "Bytes the target's processes wrote to storage.", NULL, 0),
	    "written", EXACT(write_bytes, PW_SAMPLE_NO_IO),
	    GEXACT(write_bytes, 0) },
	[PW_METRIC_CPU_TICKS_RATE] = { "cpu_ticks_rate", NULL,
	    "ticks_per_second", PW_KIND_RATE, PW_ROLLUP_SUMMARY, PW_GAGG_RATE,
	    RULE | P | G | PW_MF_PAIR,
	    "CPU clock ticks (user and system) per second.",
	    r_cpu_ticks_rate, NULL, NOPROM, NOPROM,
	    "CPU ticks/s" },
	[PW_METRIC_CPU_USER_SECONDS] = { "cpu_user_seconds", NULL, "seconds",
	    PW_KIND_COUNTER, PW_ROLLUP_INCREASE, PW_GAGG_ACCUMULATE, P | G,
	    "User-mode CPU time.", r_cpu_user_seconds, NULL,
	    PP("cpu_seconds_total", "counter", H_CPU_SEC, "mode=\"user\"", 6),
	    GP("cpu_seconds_total", "counter", H_G_CPU_SEC, "mode=\"user\"",
	    3),
	    "user CPU time" },
	[PW_METRIC_CPU_SYSTEM_SECONDS] = { "cpu_system_seconds", NULL,
	    "seconds", PW_KIND_COUNTER, PW_ROLLUP_INCREASE, PW_GAGG_ACCUMULATE,
	    P | G, "Kernel-mode CPU time.", r_cpu_system_seconds, NULL,
	    PP("cpu_seconds_total", "counter", H_CPU_SEC, "mode=\"system\"",
	    6),
	    GP("cpu_seconds_total", "counter", H_G_CPU_SEC,
	    "mode=\"system\"", 3),
	    "system CPU time" },
	[PW_METRIC_CPU_SECONDS] = { "cpu_seconds", "cpu_seconds_total",
	    "seconds", PW_KIND_COUNTER, PW_ROLLUP_INCREASE, PW_GAGG_ACCUMULATE,
	    P | G, "CPU time, user and system.", r_cpu_seconds, NULL, NOPROM,
	    NOPROM,
	    "CPU time" },
	[PW_METRIC_START_TIME] = { "start_time", NULL, "seconds",
	    PW_KIND_GAUGE, PW_ROLLUP_LAST, PW_GAGG_NONE, P | PW_MF_NO_SAMPLE,
	    "Start time of the process since the Unix epoch.", r_start_time,
	    NULL,
	    PP("start_time_seconds", "gauge",
	    "Start time of the process since the Unix epoch.", NULL, 3),
	    NOPROM,
	    "started" },
	[PW_METRIC_PROCESSES] = { "processes", "processes", "count",
	    PW_KIND_GAUGE, PW_ROLLUP_SUMMARY, PW_GAGG_SUM,
	    PW_MF_RULE_GROUP | G, "Live processes of the target.", NULL,
	    g_processes, NOPROM,
	    GP("processes", "gauge", "Live processes of the target.", NULL,
	    0),
	    "procs", NOEXACT, GEXACT(processes, 0) },
	[PW_METRIC_UP] = { "up", NULL, "boolean", PW_KIND_GAUGE,
	    PW_ROLLUP_SUMMARY, PW_GAGG_NONE, G,
	    "Whether the target has at least one live process (1) or none "
	    "(0).", NULL, g_up, NOPROM,
	    GP("up", "gauge",
	    "Whether the target has at least one live process (1) or none "
	    "(0).", NULL, 0),
	    "up" },
	[PW_METRIC_EXITED] = { "exited", "exited", "count", PW_KIND_GAUGE,
	    PW_ROLLUP_SUMMARY, PW_GAGG_SUM, G,
	    "Members of the target that exited during the cycle.", NULL,
	    g_exited, NOPROM, NOPROM,
	    "exited", NOEXACT, GEXACT(exited, 0) },
	[PW_METRIC_CHILDREN_CPU_SECONDS] = { "children_cpu_seconds",
	    "children_cpu_seconds_total", "seconds", PW_KIND_COUNTER,
	    PW_ROLLUP_INCREASE, PW_GAGG_ACCUMULATE, G,
	    "CPU time of reaped children that were never sampled.", NULL,
	    g_children_seconds, NOPROM,
	    GP("children_cpu_seconds_total", "counter",
	    "Of that, CPU time of reaped children that were never sampled.",
	    NULL, 3),
	    "reaped CPU time" },
	[PW_METRIC_MIN_PROCESSES] = { "min_processes", NULL, "count",
	    PW_KIND_GAUGE, PW_ROLLUP_LAST, PW_GAGG_NONE, G | PW_MF_NO_SAMPLE,
	    "Fewer live processes than this is process_down.", NULL,
	    g_min_processes, NOPROM,
	    GP("min_processes", "gauge",
	    "Fewer live processes than this is process_down.", NULL, 0),
	    "min procs" },
	[PW_METRIC_MAX_PROCESSES] = { "max_processes", NULL, "count",
	    PW_KIND_GAUGE, PW_ROLLUP_LAST, PW_GAGG_NONE, G | PW_MF_NO_SAMPLE,
	    "More live processes than this is too_many_processes.", NULL,
	    g_max_processes, NOPROM,
	    GP("max_processes", "gauge",
	    "More live processes than this is too_many_processes.", NULL,
	    0),
	    "max procs" },
	[PW_METRIC_PSS_BYTES] = { "pss_bytes", NULL, "bytes", PW_KIND_GAUGE,
	    PW_ROLLUP_LAST, PW_GAGG_NONE,
	    PW_MF_RULE_PROCESS | P | PW_MF_NO_SAMPLE,
	    "Proportional set size: each resident page divided by the "
	    "processes that map it; read every pss_every_ms for the pss_top "
	    "processes by RSS.", r_pss, NULL,
	    PP("pss_bytes", "gauge",
	    "Proportional set size (smaps_rollup Pss), of the pss_top "
	    "processes by RSS.", NULL, 0), NOPROM,
	    "PSS" },
	[PW_METRIC_USS_BYTES] = { "uss_bytes", NULL, "bytes", PW_KIND_GAUGE,
	    PW_ROLLUP_LAST, PW_GAGG_NONE,
	    PW_MF_RULE_PROCESS | P | PW_MF_NO_SAMPLE,
	    "Unique set size: resident memory no other process maps "
	    "(Private_Clean + Private_Dirty); as pss_bytes.", r_uss, NULL,
	    PP("uss_bytes", "gauge",
	    "Unique set size (smaps_rollup Private_Clean + Private_Dirty), "
	    "of the pss_top processes by RSS.", NULL, 0), NOPROM,
	    "USS" },
	[PW_METRIC_SWAP_PSS_BYTES] = { "swap_pss_bytes", NULL, "bytes",
	    PW_KIND_GAUGE, PW_ROLLUP_LAST, PW_GAGG_NONE,
	    PW_MF_RULE_PROCESS | P | PW_MF_NO_SAMPLE,
	    "Proportional share of swapped-out memory (SwapPss); as "
	    "pss_bytes.", r_swap_pss, NULL,
	    PP("swap_pss_bytes", "gauge",
	    "Proportional share of swap (smaps_rollup SwapPss), of the "
	    "pss_top processes by RSS.", NULL, 0), NOPROM,
	    "swap PSS" },
	[PW_METRIC_PSI_CPU_SOME_PERCENT] = { "pressure_cpu_some_percent",
	    "pressure_cpu_some_percent", "percent", PW_KIND_GAUGE,
	    PW_ROLLUP_SUMMARY, PW_GAGG_NONE, GRULE,
	    "Share of the last 10 s in which some task of the target's cgroup "
	    "stalled on CPU (PSI avg10, \"some\").", NULL,
	    g_psi_cpu_some_pct, NOPROM,
	    GP("pressure_percent", "gauge", H_PSI_PCT,
	    "resource=\"cpu\",kind=\"some\"", 2),
	    "CPU pressure some %" },
	[PW_METRIC_PSI_CPU_FULL_PERCENT] = { "pressure_cpu_full_percent",
	    "pressure_cpu_full_percent", "percent", PW_KIND_GAUGE,
	    PW_ROLLUP_SUMMARY, PW_GAGG_NONE, GRULE,
	    "Share of the last 10 s in which all non-idle tasks of the "
	    "target's cgroup stalled on CPU (PSI avg10, \"full\").", NULL,
	    g_psi_cpu_full_pct, NOPROM,
	    GP("pressure_percent", "gauge", H_PSI_PCT,
	    "resource=\"cpu\",kind=\"full\"", 2),
	    "CPU pressure full %" },
	[PW_METRIC_PSI_MEMORY_SOME_PERCENT] = { "pressure_memory_some_percent",
	    "pressure_memory_some_percent", "percent", PW_KIND_GAUGE,
	    PW_ROLLUP_SUMMARY, PW_GAGG_NONE, GRULE,
	    "Share of the last 10 s in which some task of the target's cgroup "
	    "stalled on memory (PSI avg10, \"some\").", NULL,
	    g_psi_mem_some_pct, NOPROM,
	    GP("pressure_percent", "gauge", H_PSI_PCT,
	    "resource=\"memory\",kind=\"some\"", 2),
	    "memory pressure some %" },
	[PW_METRIC_PSI_MEMORY_FULL_PERCENT] = { "pressure_memory_full_percent",
	    "pressure_memory_full_percent", "percent", PW_KIND_GAUGE,
	    PW_ROLLUP_SUMMARY, PW_GAGG_NONE, GRULE,
	    "Share of the last 10 s in which all non-idle tasks of the "
	    "target's cgroup stalled on memory (PSI avg10, \"full\").", NULL,
	    g_psi_mem_full_pct, NOPROM,
	    GP("pressure_percent", "gauge", H_PSI_PCT,
	    "resource=\"memory\",kind=\"full\"", 2),
	    "memory pressure full %" },
	[PW_METRIC_PSI_IO_SOME_PERCENT] = { "pressure_io_some_percent",
	    "pressure_io_some_percent", "percent", PW_KIND_GAUGE,
	    PW_ROLLUP_SUMMARY, PW_GAGG_NONE, GRULE,
	    "Share of the last 10 s in which some task of the target's cgroup "
	    "stalled on I/O (PSI avg10, \"some\").", NULL,
	    g_psi_io_some_pct, NOPROM,
	    GP("pressure_percent", "gauge", H_PSI_PCT,
	    "resource=\"io\",kind=\"some\"", 2),
	    "I/O pressure some %" },
	[PW_METRIC_PSI_IO_FULL_PERCENT] = { "pressure_io_full_percent",
	    "pressure_io_full_percent", "percent", PW_KIND_GAUGE,
	    PW_ROLLUP_SUMMARY, PW_GAGG_NONE, GRULE,
	    "Share of the last 10 s in which all non-idle tasks of the "
	    "target's cgroup stalled on I/O (PSI avg10, \"full\").", NULL,
	    g_psi_io_full_pct, NOPROM,
	    GP("pressure_percent", "gauge", H_PSI_PCT,
	    "resource=\"io\",kind=\"full\"", 2),
	    "I/O pressure full %" },
	[PW_METRIC_PSI_CPU_SOME_SECONDS] = { "pressure_cpu_some_seconds",
	    "pressure_cpu_some_seconds_total", "seconds", PW_KIND_COUNTER,
	    PW_ROLLUP_INCREASE, PW_GAGG_NONE, GRULE,
	    "Time in which some task of the target's cgroup stalled on "
	    "CPU (PSI total, \"some\").", NULL, g_psi_cpu_some_sec, NOPROM,
	    GP("pressure_seconds_total", "counter", H_PSI_SEC,
	    "resource=\"cpu\",kind=\"some\"", 6),
	    "CPU stall some" },
	[PW_METRIC_PSI_CPU_FULL_SECONDS] = { "pressure_cpu_full_seconds",
	    "pressure_cpu_full_seconds_total", "seconds", PW_KIND_COUNTER,
	    PW_ROLLUP_INCREASE, PW_GAGG_NONE, GRULE,
	    "Time in which all non-idle tasks of the target's cgroup stalled on "
	    "CPU (PSI total, \"full\").", NULL, g_psi_cpu_full_sec, NOPROM,
	    GP("pressure_seconds_total", "counter", H_PSI_SEC,
	    "resource=\"cpu\",kind=\"full\"", 6),
	    "CPU stall full" },
	[PW_METRIC_PSI_MEMORY_SOME_SECONDS] = { "pressure_memory_some_seconds",
	    "pressure_memory_some_seconds_total", "seconds", PW_KIND_COUNTER,
	    PW_ROLLUP_INCREASE, PW_GAGG_NONE, GRULE,
	    "Time in which some task of the target's cgroup stalled on "
	    "memory (PSI total, \"some\").", NULL, g_psi_mem_some_sec, NOPROM,
	    GP("pressure_seconds_total", "counter", H_PSI_SEC,
	    "resource=\"memory\",kind=\"some\"", 6),
	    "memory stall some" },
	[PW_METRIC_PSI_MEMORY_FULL_SECONDS] = { "pressure_memory_full_seconds",
	    "pressure_memory_full_seconds_total", "seconds", PW_KIND_COUNTER,
	    PW_ROLLUP_INCREASE, PW_GAGG_NONE, GRULE,
	    "Time in which all non-idle tasks of the target's cgroup stalled on "
	    "memory (PSI total, \"full\").", NULL, g_psi_mem_full_sec, NOPROM,
	    GP("pressure_seconds_total", "counter", H_PSI_SEC,
	    "resource=\"memory\",kind=\"full\"", 6),
	    "memory stall full" },
	[PW_METRIC_PSI_IO_SOME_SECONDS] = { "pressure_io_some_seconds",
	    "pressure_io_some_seconds_total", "seconds", PW_KIND_COUNTER,
	    PW_ROLLUP_INCREASE, PW_GAGG_NONE, GRULE,
	    "Time in which some task of the target's cgroup stalled on "
	    "I/O (PSI total, \"some\").", NULL, g_psi_io_some_sec, NOPROM,
	    GP("pressure_seconds_total", "counter", H_PSI_SEC,
	    "resource=\"io\",kind=\"some\"", 6),
	    "I/O stall some" },
	[PW_METRIC_PSI_IO_FULL_SECONDS] = { "pressure_io_full_seconds",
	    "pressure_io_full_seconds_total", "seconds", PW_KIND_COUNTER,
	    PW_ROLLUP_INCREASE, PW_GAGG_NONE, GRULE,
	    "Time in which all non-idle tasks of the target's cgroup stalled on "
	    "I/O (PSI total, \"full\").", NULL, g_psi_io_full_sec, NOPROM,
	    GP("pressure_seconds_total", "counter", H_PSI_SEC,
	    "resource=\"io\",kind=\"full\"", 6),
	    "I/O stall full" },
	[PW_METRIC_MEM_EVENTS_OOM_KILL] = { "memory_events_oom_kill",
	    "memory_events_oom_kill_total", "count", PW_KIND_COUNTER,
	    PW_ROLLUP_INCREASE, PW_GAGG_NONE, GRULE,
	    "Processes of the target's cgroup the OOM killer killed (memory.events or v1 memory.oom_control oom_kill).", NULL, g_mev_oom_kill, NOPROM,
	    GP("memory_events_total", "counter", H_MEMEV,
	    "event=\"oom_kill\"", 0),
	    "OOM kills (cgroup)" },
	[PW_METRIC_MEM_EVENTS_OOM] = { "memory_events_oom",
	    "memory_events_oom_total", "count", PW_KIND_COUNTER,
	    PW_ROLLUP_INCREASE, PW_GAGG_NONE, GRULE,
	    "Times the cgroup's memory limit made the OOM killer run (cgroup2 memory.events oom).", NULL, g_mev_oom, NOPROM,
	    GP("memory_events_total", "counter", H_MEMEV,
	    "event=\"oom\"", 0),
	    "OOM events" },
	[PW_METRIC_MEM_EVENTS_HIGH] = { "memory_events_high",
	    "memory_events_high_total", "count", PW_KIND_COUNTER,
	    PW_ROLLUP_INCREASE, PW_GAGG_NONE, GRULE,
	    "Times the cgroup went over memory.high and was throttled (cgroup2 memory.events high).", NULL, g_mev_high, NOPROM,
	    GP("memory_events_total", "counter", H_MEMEV,
	    "event=\"high\"", 0),
	    "memory.high events" },
	[PW_METRIC_MEM_EVENTS_MAX] = { "memory_events_max",
	    "memory_events_max_total", "count", PW_KIND_COUNTER,
	    PW_ROLLUP_INCREASE, PW_GAGG_NONE, GRULE,
	    "Times the cgroup reached memory.max and reclaimed (cgroup2 memory.events max).", NULL, g_mev_max, NOPROM,
	    GP("memory_events_total", "counter", H_MEMEV,
	    "event=\"max\"", 0),
	    "memory.max events" },
	[PW_METRIC_MEM_UNDER_OOM] = { "memory_under_oom",
	    "memory_under_oom", "boolean", PW_KIND_GAUGE, PW_ROLLUP_SUMMARY,
	    PW_GAGG_NONE, GRULE,
	    "Whether the cgroup is out of memory now (1) or not (0): cgroup v1 "
	    "memory.oom_control under_oom.", NULL, g_under_oom, NOPROM,
	    GP("memory_under_oom", "gauge",
	    "Whether the target's cgroup is out of memory now (cgroup v1).",
	    NULL, 0),
	    "under OOM" },
	[PW_METRIC_CGROUP_MEMORY_LIMIT] = { "cgroup_memory_limit_bytes",
	    "cgroup_memory_limit_bytes", "bytes", PW_KIND_GAUGE,
	    PW_ROLLUP_LAST, PW_GAGG_NONE, GRULE,
	    "Memory limit of the target's cgroup (memory.max or v1 "
	    "memory.limit_in_bytes); none when unlimited.", NULL, g_mem_limit,
	    NOPROM,
	    GP("cgroup_memory_limit_bytes", "gauge",
	    "Memory limit of the target's cgroup.", NULL, 0),
	    "memory limit" },
	[PW_METRIC_OOM_KILLS] = { "oom_kills", "oom_kills_total", "count",
	    PW_KIND_COUNTER, PW_ROLLUP_INCREASE, PW_GAGG_NONE, GRULE,
	    "Processes of the target procwatch saw the OOM killer kill.",
	    NULL, g_oom_kills, NOPROM,
	    GP("oom_kills_total", "counter",
	    "Processes of the target procwatch saw the OOM killer kill.",
	    NULL, 0),
	    "OOM kills" },
	[PW_METRIC_OOM_KILLS_RECENT] = { "oom_kills_recent",
	    "oom_kills_recent", "count", PW_KIND_GAUGE, PW_ROLLUP_SUMMARY,
	    PW_GAGG_NONE, GRULE,
	    "Of those, the ones within oom_alert_ms (the oom_killed alert).",
	    NULL, g_oom_kills_recent, NOPROM, NOPROM,
	    "recent OOM kills" },
};

/* The order of the families on /metrics, which scrapers may rely on. */
static const enum pw_metric prom_procs[] = {
	PW_METRIC_CPU_USER_SECONDS, PW_METRIC_CPU_SYSTEM_SECONDS,
	PW_METRIC_CPU_PERCENT, PW_METRIC_RSS_BYTES, PW_METRIC_VMS_BYTES,
	PW_METRIC_SWAP_BYTES, PW_METRIC_MEMORY_PERCENT, PW_METRIC_OPEN_FDS,
	PW_METRIC_FD_LIMIT, PW_METRIC_THREADS, PW_METRIC_CTX_VOLUNTARY,
	PW_METRIC_CTX_INVOLUNTARY, PW_METRIC_MINOR_FAULTS,
	PW_METRIC_MAJOR_FAULTS, PW_METRIC_READ_BYTES, PW_METRIC_WRITE_BYTES,
	PW_METRIC_START_TIME, PW_METRIC_CPU_DELAY_PERCENT,
	PW_METRIC_IO_DELAY_PERCENT, PW_METRIC_SWAPIN_DELAY_PERCENT,
	PW_METRIC_MEMORY_DELAY_PERCENT, PW_METRIC_PSS_BYTES,
	PW_METRIC_USS_BYTES, PW_METRIC_SWAP_PSS_BYTES,
};

static const enum pw_metric prom_groups[] = {
	PW_METRIC_UP, PW_METRIC_PROCESSES, PW_METRIC_MIN_PROCESSES,
	PW_METRIC_MAX_PROCESSES, PW_METRIC_THREADS,
	PW_METRIC_CPU_USER_SECONDS, PW_METRIC_CPU_SYSTEM_SECONDS,
	PW_METRIC_CHILDREN_CPU_SECONDS, PW_METRIC_CPU_PERCENT,
	PW_METRIC_RSS_BYTES, PW_METRIC_VMS_BYTES, PW_METRIC_SWAP_BYTES,
	PW_METRIC_OPEN_FDS, PW_METRIC_FD_USAGE, PW_METRIC_READ_BYTES,
	PW_METRIC_WRITE_BYTES, PW_METRIC_CTX_VOLUNTARY,
	PW_METRIC_CTX_INVOLUNTARY, PW_METRIC_MINOR_FAULTS,
	PW_METRIC_MAJOR_FAULTS,
	PW_METRIC_PSI_CPU_SOME_PERCENT, PW_METRIC_PSI_CPU_FULL_PERCENT,
	PW_METRIC_PSI_MEMORY_SOME_PERCENT, PW_METRIC_PSI_MEMORY_FULL_PERCENT,
	PW_METRIC_PSI_IO_SOME_PERCENT, PW_METRIC_PSI_IO_FULL_PERCENT,
	PW_METRIC_PSI_CPU_SOME_SECONDS, PW_METRIC_PSI_CPU_FULL_SECONDS,
	PW_METRIC_PSI_MEMORY_SOME_SECONDS, PW_METRIC_PSI_MEMORY_FULL_SECONDS,
	PW_METRIC_PSI_IO_SOME_SECONDS, PW_METRIC_PSI_IO_FULL_SECONDS,
	PW_METRIC_MEM_EVENTS_OOM_KILL, PW_METRIC_MEM_EVENTS_OOM,
	PW_METRIC_MEM_EVENTS_HIGH, PW_METRIC_MEM_EVENTS_MAX,
	PW_METRIC_MEM_UNDER_OOM, PW_METRIC_CGROUP_MEMORY_LIMIT,
	PW_METRIC_OOM_KILLS,
};

/* --- lookups -------------------------------------------------------------- */

const struct pw_metric_def *
pw_metric_def(enum pw_metric m)
{
	return (unsigned)m < PW_METRIC_NROWS ? &defs[m] : NULL;
}

const char *
pw_metric_name(enum pw_metric m)
{
	return (unsigned)m < PW_METRIC_NROWS ? defs[m].name : NULL;
}

int
pw_metric_lookup(const char *name, size_t len, unsigned flags,
    enum pw_metric *out)
{
	unsigned i;

	for (i = 0; name != NULL && i < PW_METRIC_NROWS; i++) {
		if ((defs[i].flags & flags) == flags &&
		    strlen(defs[i].name) == len &&
		    memcmp(defs[i].name, name, len) == 0) {
			*out = (enum pw_metric)i;
			return 0;
		}
	}
	return -EINVAL;
}

int
pw_metric_from_name(const char *name, size_t len, enum pw_metric *out)
{
	return pw_metric_lookup(name, len, PW_MF_STATS, out);
}

bool
pw_metric_has_trend(enum pw_metric m)
{
	return (unsigned)m < PW_METRIC_NROWS &&
	    (defs[m].flags & PW_MF_TREND) != 0;
}

bool
pw_metric_read(enum pw_metric m, const struct pw_metric_ctx *ctx,
    const struct pw_sample *cur, const struct pw_sample *prev, double *out)
{
	return pw_metric_def_read(pw_metric_def(m), ctx, cur, prev, out);
}

bool
pw_metric_read_group(enum pw_metric m, const struct pw_metric_ctx *ctx,
    const struct pw_group_sample *cur, const struct pw_group_sample *prev,
    double *out)
{
	const struct pw_metric_def *d = pw_metric_def(m);
	struct pw_metric_ctx c;
	struct pw_sample sc, sp;

	if (d == NULL || !(d->flags & PW_MF_GROUP))
		return false;
	if (d->group != NULL && (cur != NULL ||
	    (d->flags & PW_MF_NO_SAMPLE)))
		return d->group(ctx, cur, prev, out);
	if (cur == NULL)
		return false;
	/* The same reader as a process's, over the mapped samples. */
	c = *ctx;
	c.fd_limit = 0;
	pw_group_sample_as_sample(cur, &sc);
	if (prev != NULL)
		pw_group_sample_as_sample(prev, &sp);
	return d->proc(&c, &sc, prev != NULL ? &sp : NULL, out);
}

bool
pw_metric_is_exact(enum pw_metric m, bool group)
{
	const struct pw_metric_def *d = pw_metric_def(m);

	if (d == NULL)
		return false;
	if (!group)
		return d->proc != NULL && d->exact.size != 0;
	if (!(d->flags & PW_MF_GROUP))
		return false;
	return d->group != NULL ? d->gexact.size != 0 : d->exact.size != 0;
}

bool
pw_metric_read_exact(enum pw_metric m, const struct pw_sample *cur,
    uint64_t *out)
{
	const struct pw_metric_def *d = pw_metric_def(m);

	return d != NULL && d->proc != NULL &&
	    pw_metric_def_read_exact(d, cur, out);
}

bool
pw_metric_read_group_exact(enum pw_metric m,
    const struct pw_group_sample *cur, uint64_t *out)
{
	const struct pw_metric_def *d = pw_metric_def(m);
	struct pw_sample sc;

	if (!pw_metric_is_exact(m, true) || cur == NULL)
		return false;
	if (d->group != NULL)
		return pw_metric_exact_get(&d->gexact, cur, cur->flags, out);
	/* As pw_metric_read_group() reads it: over the mapped sample. */
	pw_group_sample_as_sample(cur, &sc);
	return pw_metric_def_read_exact(d, &sc, out);
}

const enum pw_metric *
pw_metric_prom_order(bool group, size_t *n)
{
	*n = group ? NELEM(prom_groups) : NELEM(prom_procs);
	return group ? prom_groups : prom_procs;
}

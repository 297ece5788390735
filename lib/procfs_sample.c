/*
 * procfs_sample.c: process handles and the sampling hot path
 * (pw_procfs_sample(), pw_procfs_sample_since()).
 *
 * DESIGN: pw_procfs_sample() is called once per monitored process per
 * cycle: it pread()s at offset 0 on descriptors kept in a pw_prochandle
 * into stack buffers and allocates nothing.  An idle single-threaded
 * process is recognised from schedstat and statm alone, and after a
 * while its handle parks the descriptors only a full read uses.
 *
 * /proc/PID/io is missing on kernels built without
 * CONFIG_TASK_IO_ACCOUNTING and unreadable (EACCES) for other users'
 * processes: either way the sample carries PW_SAMPLE_NO_IO and the handle
 * remembers it (io_fd == -2) so the file is not tried again every cycle.
 * Whether the process is still there is decided by stat and status, which
 * are read first.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <sys/types.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/delay.h>
#include <procwatch/procfs.h>

#include "internal.h"
#include "procfs_impl.h"

/* The io_fd value that says "io is not readable: don't try again". */
#define IO_UNAVAILABLE	(-2)

static uint64_t
mul_sat(uint64_t a, uint64_t b)
{
	if (b != 0 && a > UINT64_MAX / b)
		return UINT64_MAX;
	return a * b;
}

/* --- process handles and the hot path ------------------------------------- */

void
pw_prochandle_init(struct pw_prochandle *h, pid_t pid)
{
	memset(h, 0, sizeof(*h));
	h->pid = pid;
	h->stat_fd = -1;
	h->status_fd = -1;
	h->io_fd = -1;
	h->sched_fd = -1;
	h->statm_fd = -1;
}

/* Close the open descriptors; a -2 io_fd stays so io is not retried. */
static void
handle_close_fds(struct pw_prochandle *h)
{
	if (h->stat_fd >= 0)
		close(h->stat_fd);
	if (h->status_fd >= 0)
		close(h->status_fd);
	if (h->io_fd >= 0)
		close(h->io_fd);
	if (h->sched_fd >= 0)
		close(h->sched_fd);
	if (h->statm_fd >= 0)
		close(h->statm_fd);
	h->stat_fd = -1;
	h->status_fd = -1;
	if (h->io_fd >= 0)
		h->io_fd = -1;
	if (h->sched_fd >= 0)
		h->sched_fd = -1;
	h->statm_fd = -1;
	h->sched_valid = false;		/* no baseline without descriptors */
}

void
pw_prochandle_close(struct pw_prochandle *h)
{
	handle_close_fds(h);
	h->io_fd = -1;
	h->sched_fd = -1;
}

unsigned
pw_prochandle_nfds(const struct pw_prochandle *h)
{
	return (unsigned)(h->stat_fd >= 0) + (h->status_fd >= 0) +
	    (h->io_fd >= 0) + (h->sched_fd >= 0) + (h->statm_fd >= 0);
}

/*
 * Close what only a full read uses, keeping the idle check's schedstat and
 * statm and its baseline.  A -2 io_fd stays so io is not retried.
 */
static void
handle_park(struct pw_prochandle *h)
{
	if (h->stat_fd >= 0)
		close(h->stat_fd);
	if (h->status_fd >= 0)
		close(h->status_fd);
	if (h->io_fd >= 0) {
		close(h->io_fd);
		h->io_fd = -1;
	}
	h->stat_fd = -1;
	h->status_fd = -1;
}

/* Open ROOT/PID/name into *fd unless it is open already. */
static int
ensure_open(const struct pw_procfs *fs, pid_t pid, const char *name, int *fd)
{
	int rc;

	if (*fd >= 0)
		return 0;
	if ((rc = pw__procfs_open(fs, pid, name)) < 0)
		return pw__procfs_gone(rc);
	*fd = rc;
	return 0;
}

/* pread() a process's file: the length, -ESRCH when empty or gone. */
static ssize_t
pread_proc(int fd, char *buf, size_t size)
{
	ssize_t n;

	if ((n = pw__procfs_pread0(fd, buf, size)) == 0)
		return -ESRCH;
	return n < 0 ? pw__procfs_gone((int)n) : n;
}

/*
 * Read /proc/PID/io into *io.  Returns 0 with *readable false when io is
 * not available to us (h->io_fd becomes -2), or a negative errno.
 */
static int
sample_io(const struct pw_procfs *fs, struct pw_prochandle *h,
    struct pw_procio *io, bool *readable)
{
	char buf[IO_BUF];
	ssize_t n;
	int rc;

	*readable = false;
	if (h->io_fd == IO_UNAVAILABLE)
		return 0;
	if (h->io_fd < 0) {
		rc = pw__procfs_open(fs, h->pid, "io");
		if (rc == -EACCES || rc == -EPERM || rc == -ENOENT) {
			h->io_fd = IO_UNAVAILABLE;
			return 0;
		}
		if (rc < 0)
			return pw__procfs_gone(rc);
		h->io_fd = rc;
	}
	/* Permission may also be checked at read time (ptrace access). */
	if ((n = pw__procfs_pread0(h->io_fd, buf, sizeof(buf))) == -EACCES ||
	    n == -EPERM) {
		close(h->io_fd);
		h->io_fd = IO_UNAVAILABLE;
		return 0;
	}
	if (n == 0)
		return -ESRCH;
	if (n < 0)
		return pw__procfs_gone((int)n);
	if (pw_procfs_parse_io(buf, (size_t)n, io) < 0)
		return -EINVAL;
	*readable = true;
	return 0;
}

/* Up to `n` unsigned decimal fields of buf[0..len); how many were read. */
static size_t
parse_fields(const char *buf, size_t len, uint64_t *v, size_t n)
{
	size_t i = 0, k = 0;

	while (k < n) {
		while (i < len && buf[i] == ' ')
			i++;
		if (i == len || buf[i] < '0' || buf[i] > '9')
			break;
		v[k] = 0;
		for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
			if (v[k] > (UINT64_MAX - 9) / 10)
				return k;	/* overflow: not a field */
			v[k] = v[k] * 10 + (uint64_t)(buf[i] - '0');
		}
		k++;
	}
	return k;
}

/*
 * Read schedstat: run time (ns) and timeslices.  1 when read, 0 when the
 * kernel has no schedstat for us (h->sched_fd becomes -2), or -errno.
 */
static int
read_schedstat(const struct pw_procfs *fs, struct pw_prochandle *h,
    uint64_t *run_ns, uint64_t *slices, uint64_t *delay_ns)
{
	char buf[128];
	uint64_t v[3];
	ssize_t n;
	int fd;

	if (h->sched_fd == -2)
		return 0;
	if (h->sched_fd < 0) {
		if ((fd = pw__procfs_open(fs, h->pid, "schedstat")) < 0) {
			h->sched_fd = -2;	/* stat tells if it is gone */
			return 0;
		}
		h->sched_fd = fd;
	}
	if ((n = pread_proc(h->sched_fd, buf, sizeof(buf))) < 0)
		return (int)n;
	if (parse_fields(buf, (size_t)n, v, 3) != 3)
		return 0;
	*run_ns = v[0];
	*slices = v[2];
	*delay_ns = v[1];
	return 1;
}

/*
 * Read schedstat once (open, read, close) for its run delay: 1 when
 * read, 0 when not available, -ESRCH when gone.
 */
static int
read_schedstat_once(const struct pw_procfs *fs, pid_t pid, uint64_t *delay_ns)
{
	char buf[128];
	uint64_t v[3];
	ssize_t n;
	int fd;

	if ((fd = pw__procfs_open(fs, pid, "schedstat")) < 0)
		return 0;
	n = pread_proc(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return (int)n;
	if (parse_fields(buf, (size_t)n, v, 3) != 3)
		return 0;
	*delay_ns = v[1];
	return 1;
}

/*
 * The delays of a full read into s (procwatch/delay.h says which source
 * gives which).  `sched_delay` is schedstat's run delay when read; `prev`
 * the previous sample (NULL: none).
 *
 * DESIGN: a taskstats query costs about 3 us of CPU on a farm of 1000
 * processes (bench/RESULTS.md), a quarter of a whole full read, so it is
 * asked only where /proc cannot answer: a multi-threaded process's
 * figures, and a single-threaded one's swap-in and memory delays when its
 * page-fault counts moved since it was last asked (a swap-in is a major
 * fault; reclaim and compaction mostly happen on an allocating fault), or
 * PW_PROCFS_TS_EVERY full reads after.  The counters are cumulative, so a
 * wait not seen at once (reclaim inside a system call) is counted at the
 * next ask, never lost.  A single-threaded process's CPU and block I/O
 * delays come from schedstat and stat, which it reads anyway; when a
 * process gains or loses threads its source changes, so that sample has
 * no CPU or I/O delay rate.
 */
static void
sample_delays(const struct pw_procfs *fs, struct pw_prochandle *h,
    const struct pw_procstat *ps, bool have_sched, uint64_t sched_delay,
    const struct pw_sample *prev, struct pw_sample *s)
{
	const struct pw_delay_src *src = fs->delays;
	struct pw_delays d;
	unsigned no = PW_SAMPLE_NO_DELAYS;
	uint64_t tick_ns = 1000000000ULL / (uint64_t)fs->hz;
	bool acct = src != NULL && src->delayacct, single = ps->threads == 1;
	bool asked = false, ask;

	if (src != NULL && src->fn != NULL) {
		ask = !single || prev == NULL ||
		    (prev->flags & PW_SAMPLE_NO_MEM_DELAY) ||
		    prev->minor_faults != ps->minflt ||
		    prev->major_faults != ps->majflt ||
		    h->ts_skips >= PW_PROCFS_TS_EVERY;
		if (ask) {
			h->ts_skips = 0;
			asked = src->fn(src->arg, h->pid, &d) == 0;
		} else {
			h->ts_skips++;
		}
		if (asked && acct) {
			s->swapin_delay_ns = d.swapin_ns;
			s->mem_delay_ns = d.mem_ns;
			no &= ~(unsigned)PW_SAMPLE_NO_MEM_DELAY;
		} else if (!ask && acct) {
			/* Unchanged since the last ask. */
			s->swapin_delay_ns = prev->swapin_delay_ns;
			s->mem_delay_ns = prev->mem_delay_ns;
			no &= ~(unsigned)PW_SAMPLE_NO_MEM_DELAY;
		}
	}
	if (!single) {
		if (asked) {
			s->cpu_delay_ns = d.cpu_ns;
			no &= ~(unsigned)PW_SAMPLE_NO_CPU_DELAY;
			if (acct) {
				s->blkio_delay_ns = d.blkio_ns;
				no &= ~(unsigned)PW_SAMPLE_NO_IO_DELAY;
			}
		}
	} else {
		if (!have_sched && read_schedstat_once(fs, h->pid,
		    &sched_delay) == 1)
			have_sched = true;
		if (have_sched) {
			s->cpu_delay_ns = sched_delay;
			no &= ~(unsigned)PW_SAMPLE_NO_CPU_DELAY;
		}
		if (acct) {
			s->blkio_delay_ns = mul_sat(ps->blkio_ticks, tick_ns);
			no &= ~(unsigned)PW_SAMPLE_NO_IO_DELAY;
		}
	}
	if (prev != NULL && (prev->threads == 1) != single)
		no |= PW_SAMPLE_NO_CPU_DELAY | PW_SAMPLE_NO_IO_DELAY;
	s->flags |= no;
}

/*
 * The idle check of pw_procfs_sample_since(): 1 when nothing can have
 * changed since `prev`, 0 when a full read is needed, or -errno.
 */
static int
is_unchanged(const struct pw_procfs *fs, struct pw_prochandle *h,
    const struct pw_sample *prev)
{
	char buf[256];
	uint64_t run_ns, slices, delay_ns, v[2];
	ssize_t n;
	int rc;

	if (!h->sched_valid || prev->threads != 1 ||
	    h->idle_streak >= PW_PROCFS_IDLE_MAX)
		return 0;
	/*
	 * The run delay grows only when the process gets the CPU it waited
	 * for, which changes the run time: an unchanged run time keeps it.
	 */
	if ((rc = read_schedstat(fs, h, &run_ns, &slices, &delay_ns)) <= 0)
		return rc;
	if (run_ns != h->sched_run_ns || slices != h->sched_slices)
		return 0;
	if ((rc = ensure_open(fs, h->pid, "statm", &h->statm_fd)) < 0)
		return rc;
	if ((n = pread_proc(h->statm_fd, buf, sizeof(buf))) < 0)
		return (int)n;
	if (parse_fields(buf, (size_t)n, v, 2) != 2)
		return 0;
	/* statm counts pages; prev holds VmRSS, the same figure in kB. */
	if (v[0] * (uint64_t)fs->page_size != prev->vms_bytes ||
	    v[1] * (uint64_t)fs->page_size != prev->rss_bytes)
		return 0;
	return 1;
}

int
pw_procfs_sample(const struct pw_procfs *fs, struct pw_prochandle *h,
    bool keep_open, uint64_t start_ticks, struct pw_sample *out,
    struct pw_procstat *st)
{
	return pw_procfs_sample_since(fs, h, keep_open, start_ticks, NULL, out,
	    st);
}

int
pw_procfs_sample_since(const struct pw_procfs *fs, struct pw_prochandle *h,
    bool keep_open, uint64_t start_ticks, const struct pw_sample *prev,
    struct pw_sample *out, struct pw_procstat *st)
{
	char statbuf[STAT_BUF], statusbuf[STATUS_BUF];
	struct pw_procstat ps;
	struct pw_procstatus pst;
	struct pw_procio io = { 0, 0 };
	struct pw_sample s;
	uint64_t run_ns = 0, slices = 0, sched_delay = 0;
	uint32_t nfds = 0;
	bool io_ok, have_sched = false;
	ssize_t n;
	int rc;

	if (h->pid <= 0)
		return -EINVAL;
	if (prev != NULL && keep_open) {
		if ((rc = is_unchanged(fs, h, prev)) < 0)
			goto out_close;
		if (rc == 1) {
			if (++h->idle_streak == PW_PROCFS_PARK_AFTER)
				handle_park(h);
			if (out != prev)
				*out = *prev;
			out->flags &= ~(unsigned)PW_SAMPLE_FIRST;
			return PW_PROCFS_UNCHANGED;
		}
	}
	h->idle_streak = 0;
	memset(&s, 0, sizeof(s));

	/* The baseline comes first: activity after it shows next time. */
	if (keep_open && (prev == NULL || prev->threads == 1)) {
		if ((rc = read_schedstat(fs, h, &run_ns, &slices,
		    &sched_delay)) < 0)
			goto out_close;
		have_sched = rc == 1;
	}

	/* stat first: it tells whether this is still the same process. */
	if ((rc = ensure_open(fs, h->pid, "stat", &h->stat_fd)) < 0)
		goto out_close;
	if ((n = pread_proc(h->stat_fd, statbuf, sizeof(statbuf))) < 0) {
		rc = (int)n;
		goto out_close;
	}
	if ((rc = pw_procfs_parse_stat(statbuf, (size_t)n, &ps)) < 0)
		goto out_close;
	if (start_ticks != 0 && ps.starttime != start_ticks) {
		rc = -ESRCH;		/* the pid was reused */
		goto out_close;
	}

	if ((rc = ensure_open(fs, h->pid, "status", &h->status_fd)) < 0)
		goto out_close;
	if ((n = pread_proc(h->status_fd, statusbuf, sizeof(statusbuf))) < 0) {
		rc = (int)n;
		goto out_close;
	}
	n = (ssize_t)pw__procfs_whole_lines(statusbuf, (size_t)n,
	    sizeof(statusbuf));
	if ((rc = pw_procfs_parse_status(statusbuf, (size_t)n, &pst)) < 0)
		goto out_close;

	if ((rc = sample_io(fs, h, &io, &io_ok)) < 0)
		goto out_close;
	if (!io_ok)
		s.flags |= PW_SAMPLE_NO_IO;

	rc = pw_procfs_count_fds(fs, h->pid, &nfds);
	if (rc == -EACCES || rc == -EPERM) {
		s.flags |= PW_SAMPLE_NO_FDS;
		nfds = 0;
	} else if (rc < 0)
		goto out_close;
	rc = 0;

	s.utime_ticks = ps.utime;
	s.stime_ticks = ps.stime;
	s.cutime_ticks = ps.cutime;
	s.cstime_ticks = ps.cstime;
	/* VmRSS is exact; stat's rss is in pages and lags per-CPU counters. */
	if (pst.has_vm)
		s.rss_bytes = mul_sat(pst.vmrss_kb, 1024);
	else
		s.rss_bytes = mul_sat(ps.rss_pages, (uint64_t)fs->page_size);
	s.vms_bytes = ps.vsize;
	s.swap_bytes = mul_sat(pst.vmswap_kb, 1024);
	s.ctx_voluntary = pst.nvcsw;
	s.ctx_involuntary = pst.nivcsw;
	s.minor_faults = ps.minflt;
	s.major_faults = ps.majflt;
	s.read_bytes = io.read_bytes;
	s.write_bytes = io.write_bytes;
	s.open_fds = nfds;
	s.threads = ps.threads;
	s.state = ps.state;
	sample_delays(fs, h, &ps, have_sched, sched_delay, prev, &s);
	*out = s;
	if (st != NULL)
		*st = ps;
	h->sched_valid = have_sched && ps.threads == 1;
	if (ps.threads != 1 && h->sched_fd >= 0) {
		close(h->sched_fd);	/* of no use until single-threaded */
		h->sched_fd = -1;
	}
	h->sched_run_ns = run_ns;
	h->sched_slices = slices;

out_close:
	if (rc == -ESRCH)
		pw_prochandle_close(h);
	else if (rc < 0 || !keep_open)
		handle_close_fds(h);
	return rc;
}

/*
 * tests/unit/test_prom.c: the /metrics renderer, api_prom_render(), on
 * hand-built snapshots: values, label escaping, what is left out, family
 * layout, and (when $PROMTOOL names promtool) `promtool check metrics`;
 * the per-group families, api_prom_groups(), on hand-built group views; and
 * the process_metrics selection, api_prom_select_init().
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include <procwatch/group.h>
#include <procwatch/groupacc.h>
#include <procwatch/monitor.h>
#include <procwatch/sample.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "api/catalogue.h"
#include "lib/pwutil.h"

#define HZ		100
#define GIB		(UINT64_C(1) << 30)

/* A snapshot built by hand: the views live in it. */
struct fixture {
	struct pw_snapshot	snap;
	struct pw_proc_view	procs[6];
	struct pw_monitor_stats	st;
	char			*out;
	size_t			 len;
};

static void
set_view(struct pw_proc_view *v, uint64_t id, pid_t pid, const char *name,
    const char *target)
{
	memset(v, 0, sizeof(*v));
	v->id = id;
	v->pid = pid;
	v->ppid = 1;
	v->uid = 1000;
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->target = target;
	v->cmdline = "/usr/bin/x";
	v->user = "alice";
	v->start_time_ms = INT64_C(1795659095123);
	v->alive = true;
	v->fd_limit = 1024;
	v->nsamples = 2;
	v->capacity = 1000;
	v->has_sample = true;
	v->latest.ts_ms = INT64_C(1795659100000);
	v->latest.utime_ticks = 12345;		/* 123.45 s at 100 Hz */
	v->latest.stime_ticks = 678;
	v->latest.cpu_user_pct = 12.3456;
	v->latest.cpu_system_pct = 1.0;
	v->latest.rss_bytes = GIB;		/* 6.25 % of 16 GiB */
	v->latest.vms_bytes = UINT64_C(1) << 40;
	v->latest.swap_bytes = 8192;
	v->latest.ctx_voluntary = 10;
	v->latest.ctx_involuntary = 2;
	v->latest.minor_faults = 1000;
	v->latest.major_faults = 3;
	v->latest.read_bytes = UINT64_MAX;
	v->latest.write_bytes = 4096;
	v->latest.open_fds = 7;
	v->latest.threads = 4;
	v->latest.state = PW_STATE_SLEEPING;
}

static int
setup(void **state)
{
	struct fixture *f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	/* The name the brief asks for: a quote, and "\n" is a newline. */
	set_view(&f->procs[0], 1, 42, "we\"ird\name", "t\\x");
	/* Gone: must not be rendered. */
	set_view(&f->procs[1], 2, 43, "gone", "web");
	f->procs[1].alive = false;
	f->procs[1].gone_ms = INT64_C(1795659099000);
	/* First sample, no /proc/PID/io, no fd count. */
	set_view(&f->procs[2], 3, 44, "first", "web");
	f->procs[2].latest.flags = PW_SAMPLE_FIRST | PW_SAMPLE_NO_IO |
	    PW_SAMPLE_NO_FDS;
	f->procs[2].fd_limit = 0;
	/* No sample yet. */
	set_view(&f->procs[3], 4, 45, "nosample", "");
	f->procs[3].has_sample = false;
	/* Not UTF-8. */
	set_view(&f->procs[4], 5, 46, "bad\xff" "byte", "");
	/* Same pid as the previous one, newer: only this one is shown. */
	set_view(&f->procs[5], 6, 46, "reused", "");
	f->snap.taken_ms = INT64_C(1795659100000);
	f->snap.mem_total = 16 * GIB;
	f->snap.n = NELEM(f->procs);
	f->snap.procs = f->procs;

	f->st.cycles = 42;
	f->st.samples = 168;
	f->st.sample_errors = 1;
	f->st.vanished = 2;
	f->st.cycle_ns_total = 1234567890;
	f->st.cycle_ns_p50 = 250000;
	f->st.cycle_ns_p99 = 1500000;
	f->st.jitter_ns_p99 = 120000;
	f->st.targets = 2;
	f->st.procs_alive = 5;
	f->st.procs_gone = 1;
	f->st.interval_ms = 1000;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	free(f->out);
	free(f);
	return 0;
}

static void
render(struct fixture *f)
{
	free(f->out);
	f->out = NULL;
	assert_int_equal(api_prom_render(&f->snap, &f->st, HZ, "1.2.3",
	    &f->out, &f->len), 0);
	assert_non_null(f->out);
	assert_int_equal(strlen(f->out), f->len);
}

/* Is `line` one whole line of `out`? */
static bool
has_line(const char *out, const char *line)
{
	size_t n = strlen(line);
	const char *p;

	for (p = out; (p = strstr(p, line)) != NULL; p++)
		if ((p == out || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static void
assert_line(const char *out, const char *line)
{
	if (!has_line(out, line))
		fail_msg("missing line: %s\n--- output:\n%s", line, out);
}

static size_t
count_substr(const char *out, const char *s)
{
	size_t n = 0;

	for (; (out = strstr(out, s)) != NULL; out++)
		n++;
	return n;
}

#define L42	"pid=\"42\",name=\"we\\\"ird\\name\",target=\"t\\\\x\""

static void
test_prom_escapes_label_values(void **state)
{
	struct fixture *f = *state;

	render(f);
	assert_line(f->out, "procwatch_process_threads{" L42 "} 4");
	/* Bytes that are not UTF-8 become U+FFFD. */
	assert_line(f->out, "procwatch_process_threads{pid=\"46\","
	    "name=\"reused\",target=\"\"} 4");
	f->procs[5].pid = 47;
	render(f);
	assert_line(f->out, "procwatch_process_threads{pid=\"46\","
	    "name=\"bad\xef\xbf\xbd" "byte\",target=\"\"} 4");
	assert_null(strstr(f->out, "\xff"));
}

static void
test_prom_renders_process_values(void **state)
{
	struct fixture *f = *state;

	render(f);
	assert_line(f->out, "procwatch_process_cpu_seconds_total{" L42
	    ",mode=\"user\"} 123.45");
	assert_line(f->out, "procwatch_process_cpu_seconds_total{" L42
	    ",mode=\"system\"} 6.78");
	assert_line(f->out, "procwatch_process_cpu_percent{" L42 "} 13.35");
	assert_line(f->out, "procwatch_process_resident_memory_bytes{" L42
	    "} 1073741824");
	assert_line(f->out, "procwatch_process_virtual_memory_bytes{" L42
	    "} 1099511627776");
	assert_line(f->out, "procwatch_process_swap_bytes{" L42 "} 8192");
	assert_line(f->out, "procwatch_process_memory_percent{" L42 "} 6.25");
	assert_line(f->out, "procwatch_process_open_fds{" L42 "} 7");
	assert_line(f->out, "procwatch_process_max_fds{" L42 "} 1024");
	assert_line(f->out, "procwatch_process_context_switches_total{" L42
	    ",type=\"voluntary\"} 10");
	assert_line(f->out, "procwatch_process_context_switches_total{" L42
	    ",type=\"involuntary\"} 2");
	assert_line(f->out, "procwatch_process_page_faults_total{" L42
	    ",type=\"minor\"} 1000");
	assert_line(f->out, "procwatch_process_page_faults_total{" L42
	    ",type=\"major\"} 3");
	assert_line(f->out, "procwatch_process_io_read_bytes_total{" L42
	    "} 18446744073709551615");
	assert_line(f->out, "procwatch_process_io_write_bytes_total{" L42
	    "} 4096");
	assert_line(f->out, "procwatch_process_start_time_seconds{" L42
	    "} 1795659095.123");
}

static void
test_prom_cpu_seconds_use_hz(void **state)
{
	struct fixture *f = *state;

	free(f->out);
	f->out = NULL;
	f->procs[0].latest.utime_ticks = 1001;
	assert_int_equal(api_prom_render(&f->snap, &f->st, 1000, "1.2.3",
	    &f->out, &f->len), 0);
	assert_line(f->out, "procwatch_process_cpu_seconds_total{" L42
	    ",mode=\"user\"} 1.001");
	free(f->out);
	f->out = NULL;
	f->procs[0].latest.utime_ticks = 1;
	assert_int_equal(api_prom_render(&f->snap, &f->st, 3, "1.2.3",
	    &f->out, &f->len), 0);
	assert_line(f->out, "procwatch_process_cpu_seconds_total{" L42
	    ",mode=\"user\"} 0.333333");
}

static void
test_prom_skips_gone_and_unknown(void **state)
{
	struct fixture *f = *state;

	render(f);
	/* Gone processes are not on the page. */
	assert_null(strstr(f->out, "pid=\"43\""));
	/* A first sample has CPU seconds but no CPU %. */
	assert_line(f->out, "procwatch_process_cpu_seconds_total{pid=\"44\","
	    "name=\"first\",target=\"web\",mode=\"user\"} 123.45");
	assert_null(strstr(f->out, "procwatch_process_cpu_percent{pid=\"44\""));
	assert_null(strstr(f->out, "procwatch_process_io_read_bytes_total{"
	    "pid=\"44\""));
	assert_null(strstr(f->out, "procwatch_process_io_write_bytes_total{"
	    "pid=\"44\""));
	assert_null(strstr(f->out, "procwatch_process_open_fds{pid=\"44\""));
	assert_null(strstr(f->out, "procwatch_process_max_fds{pid=\"44\""));
	/* Without a sample only the view's own figures are shown. */
	assert_line(f->out, "procwatch_process_max_fds{pid=\"45\","
	    "name=\"nosample\",target=\"\"} 1024");
	assert_line(f->out, "procwatch_process_start_time_seconds{pid=\"45\","
	    "name=\"nosample\",target=\"\"} 1795659095.123");
	assert_int_equal(count_substr(f->out, "pid=\"45\""), 2);
	/* One series per pid. */
	assert_int_equal(count_substr(f->out,
	    "procwatch_process_threads{pid=\"46\""), 1);
}

static void
test_prom_renders_daemon_figures(void **state)
{
	struct fixture *f = *state;

	render(f);
	assert_line(f->out, "procwatch_samples_total 168");
	assert_line(f->out, "procwatch_sample_errors_total 1");
	assert_line(f->out, "procwatch_sampling_cycles_total 42");
	assert_line(f->out, "procwatch_sampling_seconds_total 1.23456789");
	assert_line(f->out, "# TYPE procwatch_sampling_cycle_duration_seconds "
	    "summary");
	assert_line(f->out, "procwatch_sampling_cycle_duration_seconds"
	    "{quantile=\"0.5\"} 0.00025");
	assert_line(f->out, "procwatch_sampling_cycle_duration_seconds"
	    "{quantile=\"0.99\"} 0.0015");
	assert_line(f->out, "procwatch_sampling_cycle_duration_seconds_sum "
	    "1.23456789");
	assert_line(f->out, "procwatch_sampling_cycle_duration_seconds_count "
	    "42");
	assert_line(f->out, "procwatch_sampling_jitter_seconds 0.00012");
	assert_line(f->out, "procwatch_targets 2");
	assert_line(f->out, "procwatch_processes{state=\"alive\"} 5");
	assert_line(f->out, "procwatch_processes{state=\"gone\"} 1");
	assert_line(f->out, "procwatch_build_info{version=\"1.2.3\"} 1");
	assert_true(f->out[f->len - 1] == '\n');
}

/* The family a sample line belongs to: its name less the summary suffixes. */
static void
family_of(const char *line, char *fam, size_t famlen)
{
	size_t n = strcspn(line, "{ ");

	if (n >= famlen)
		n = famlen - 1;
	memcpy(fam, line, n);
	fam[n] = '\0';
	if (n > 4 && strcmp(fam + n - 4, "_sum") == 0)
		fam[n - 4] = '\0';
	else if (n > 6 && strcmp(fam + n - 6, "_count") == 0)
		fam[n - 6] = '\0';
}

static void
test_prom_families_are_contiguous(void **state)
{
	struct fixture *f = *state;
	char fam[128], cur[128] = "", seen[64][128], type[160];
	size_t nseen = 0, i;
	char *copy, *line, *save;

	render(f);
	assert_non_null(copy = strdup(f->out));
	for (line = strtok_r(copy, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		family_of(line, fam, sizeof(fam));
		if (strcmp(fam, cur) == 0)
			continue;
		for (i = 0; i < nseen; i++)
			if (strcmp(seen[i], fam) == 0)
				fail_msg("family %s is interleaved", fam);
		assert_true(nseen < NELEM(seen));
		snprintf(seen[nseen++], sizeof(seen[0]), "%s", fam);
		snprintf(cur, sizeof(cur), "%s", fam);
	}
	free(copy);
	assert_true(nseen >= 20);
	for (i = 0; i < nseen; i++) {
		snprintf(type, sizeof(type), "# TYPE %s ", seen[i]);
		assert_int_equal(count_substr(f->out, type), 1);
		snprintf(type, sizeof(type), "# HELP %s ", seen[i]);
		assert_int_equal(count_substr(f->out, type), 1);
	}
}

static void
test_prom_empty_snapshot(void **state)
{
	struct fixture *f = *state;

	f->snap.n = 0;
	render(f);
	assert_null(strstr(f->out, "procwatch_process_"));
	assert_line(f->out, "procwatch_build_info{version=\"1.2.3\"} 1");
	free(f->out);
	f->out = NULL;
	assert_int_equal(api_prom_render(NULL, NULL, HZ, NULL, &f->out,
	    &f->len), 0);
	assert_string_equal(f->out,
	    "# HELP procwatch_build_info Build information; the value is "
	    "always 1.\n"
	    "# TYPE procwatch_build_info gauge\n"
	    "procwatch_build_info{version=\"unknown\"} 1\n");
}

static void
test_prom_renders_many_processes(void **state)
{
	struct fixture *f = *state;
	struct pw_proc_view *many;
	struct pw_snapshot snap;
	size_t i;

	assert_non_null(many = calloc(1000, sizeof(*many)));
	for (i = 0; i < 1000; i++)
		set_view(&many[i], i + 1, (pid_t)(i + 100), "worker",
		    "pool");
	snap = f->snap;
	snap.procs = many;
	snap.n = 1000;
	free(f->out);
	f->out = NULL;
	assert_int_equal(api_prom_render(&snap, &f->st, HZ, "1.2.3", &f->out,
	    &f->len), 0);
	assert_int_equal(count_substr(f->out, "procwatch_process_threads{"),
	    1000);
	assert_line(f->out, "procwatch_process_threads{pid=\"1099\","
	    "name=\"worker\",target=\"pool\"} 4");
	free(many);
}

/*
 * Run "$PROMTOOL check metrics" with `path` as stdin; return its exit
 * status and its output (stdout and stderr) in out.
 */
static int
run_promtool(const char *promtool, const char *path, char *out,
    size_t outlen)
{
	int pfd[2], fd, status;
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		if ((fd = open(path, O_RDONLY)) < 0 || dup2(fd, 0) < 0 ||
		    dup2(pfd[1], 1) < 0 || dup2(pfd[1], 2) < 0)
			_exit(126);
		close(pfd[0]);
		execlp(promtool, promtool, "check", "metrics", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while (n < outlen - 1 &&
	    (r = read(pfd[0], out + n, outlen - 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		n += (size_t)r;
	}
	out[n] = '\0';
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		assert_int_equal(errno, EINTR);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void
test_prom_passes_promtool(void **state)
{
	struct fixture *f = *state;
	const char *promtool = getenv("PROMTOOL"), *tmp;
	char path[4096], out[8192];
	int fd, rc;

	if (promtool == NULL || promtool[0] == '\0')
		skip();
	render(f);
	tmp = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/test_prom.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, f->out, f->len), (ssize_t)f->len);
	assert_int_equal(close(fd), 0);
	rc = run_promtool(promtool, path, out, sizeof(out));
	unlink(path);
	if (rc != 0 || out[0] != '\0')
		fail_msg("promtool check metrics: exit %d\n%s", rc, out);
}

/* --- process_metrics: api_prom_select_init() ---------------------------- */

/* The pids of a selection, as "11,13". */
static const char *
sel_pids(const struct pw_snapshot *sel, char *buf, size_t len)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < sel->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%ld",
		    i > 0 ? "," : "", (long)sel->procs[i].pid);
	return buf;
}

static void
assert_select(const struct pw_snapshot *snap, int mode, unsigned top,
    const char *want)
{
	struct pw_snapshot sel;
	char got[128];

	memset(&sel, 0xa5, sizeof(sel));
	assert_int_equal(api_prom_select_init(&sel, snap, mode, top), 0);
	if (strcmp(sel_pids(&sel, got, sizeof(got)), want) != 0)
		fail_msg("mode %d top %u: pids %s, want %s", mode, top, got,
		    want);
	/* The rest of the snapshot comes along for the renderers. */
	if (snap != NULL) {
		assert_int_equal(sel.mem_total, snap->mem_total);
		assert_int_equal(sel.taken_ms, snap->taken_ms);
	}
	api_prom_select_fini(&sel);
	assert_int_equal(sel.n, 0);
	assert_null(sel.procs);
}

/*
 * Processes with CPU % and RSS to rank (pid order, as the store gives
 * them): ties, an unknown CPU %, no sample, a gone one, a reused pid.
 */
static void
set_ranked(struct pw_proc_view *v, struct pw_snapshot *snap)
{
	static const struct {
		pid_t		pid;
		double		cpu;
		uint64_t	rss;
	} spec[] = {
		{ 10, 5.0, 100 },
		{ 11, 50.0, 10 },
		{ 12, 50.0, 10 },		/* ties with 11: 11 first */
		{ 13, 0.0, 1000 },		/* first sample: CPU unknown */
		{ 14, 99.0, 9999 },		/* gone */
		{ 15, 0.0, 0 },			/* no sample yet */
		{ 16, 80.0, 5 },		/* pid reused: the old one */
		{ 16, 1.0, 5 },			/* ... and this is the one */
	};
	size_t i;

	for (i = 0; i < NELEM(spec); i++) {
		set_view(&v[i], i + 1, spec[i].pid, "r", "web");
		v[i].latest.cpu_user_pct = spec[i].cpu;
		v[i].latest.cpu_system_pct = 0;
		v[i].latest.rss_bytes = spec[i].rss;
	}
	v[3].latest.flags = PW_SAMPLE_FIRST;
	v[4].alive = false;
	v[5].has_sample = false;
	memset(snap, 0, sizeof(*snap));
	snap->taken_ms = INT64_C(1795659100000);
	snap->mem_total = 16 * GIB;
	snap->n = NELEM(spec);
	snap->procs = v;
}

static void
test_prom_select_modes(void **state)
{
	struct pw_proc_view v[8];
	struct pw_snapshot snap;

	(void)state;
	set_ranked(v, &snap);
	/* all: every live process, one per pid. */
	assert_select(&snap, API_PROCMETRICS_ALL, 0, "10,11,12,13,15,16");
	assert_select(&snap, 42, 1, "10,11,12,13,15,16");	/* unknown */
	/* none, and top 0, which is none. */
	assert_select(&snap, API_PROCMETRICS_NONE, 5, "");
	assert_select(&snap, API_PROCMETRICS_TOP, 0, "");
	/* top 1: 11 by CPU (it ties with 12, lower pid wins), 13 by RSS. */
	assert_select(&snap, API_PROCMETRICS_TOP, 1, "11,13");
	/* top 2: 11 and 12 by CPU, 13 and 10 by RSS. */
	assert_select(&snap, API_PROCMETRICS_TOP, 2, "10,11,12,13");
	/* The old process of pid 16 (80 %) is not the live pid 16. */
	assert_select(&snap, API_PROCMETRICS_TOP, 4, "10,11,12,13,16");
	/* Past the number of processes: those with a known value; 15 has
	 * no sample yet, 14 is gone. */
	assert_select(&snap, API_PROCMETRICS_TOP, 1000, "10,11,12,13,16");
	/* No processes at all. */
	snap.n = 0;
	assert_select(&snap, API_PROCMETRICS_TOP, 3, "");
	assert_select(NULL, API_PROCMETRICS_ALL, 0, "");
}

/* Ranking changes with each snapshot: the selection follows. */
static void
test_prom_select_follows_each_scrape(void **state)
{
	struct pw_proc_view v[8];
	struct pw_snapshot snap;

	(void)state;
	set_ranked(v, &snap);
	assert_select(&snap, API_PROCMETRICS_TOP, 1, "11,13");
	v[0].latest.cpu_user_pct = 70.0;	/* 10 is now the busiest */
	v[7].latest.rss_bytes = 5000;		/* 16 now the largest */
	assert_select(&snap, API_PROCMETRICS_TOP, 1, "10,16");
	/* CPU % that is not a number is not ranked. */
	v[0].latest.cpu_user_pct = NAN;
	assert_select(&snap, API_PROCMETRICS_TOP, 1, "11,16");
}

/* Rendered from a selection: only those processes, every other family. */
static void
test_prom_select_renders_only_chosen(void **state)
{
	struct fixture *f = *state;
	struct pw_proc_view v[8];
	struct pw_snapshot snap, sel;

	set_ranked(v, &snap);
	assert_int_equal(api_prom_select_init(&sel, &snap,
	    API_PROCMETRICS_TOP, 1), 0);
	free(f->out);
	f->out = NULL;
	assert_int_equal(api_prom_render(&sel, &f->st, HZ, "1.2.3", &f->out,
	    &f->len), 0);
	assert_line(f->out, "procwatch_process_cpu_percent{pid=\"11\","
	    "name=\"r\",target=\"web\"} 50");
	assert_line(f->out, "procwatch_process_resident_memory_bytes{"
	    "pid=\"13\",name=\"r\",target=\"web\"} 1000");
	assert_null(strstr(f->out, "pid=\"10\""));
	assert_null(strstr(f->out, "pid=\"12\""));
	assert_null(strstr(f->out, "pid=\"16\""));
	assert_int_equal(count_substr(f->out, "\nprocwatch_process_threads{"),
	    2);
	assert_line(f->out, "procwatch_samples_total 168");
	api_prom_select_fini(&sel);

	/* none: no per-process family at all, the daemon's still there. */
	assert_int_equal(api_prom_select_init(&sel, &snap,
	    API_PROCMETRICS_NONE, 0), 0);
	free(f->out);
	f->out = NULL;
	assert_int_equal(api_prom_render(&sel, &f->st, HZ, "1.2.3", &f->out,
	    &f->len), 0);
	assert_null(strstr(f->out, "procwatch_process_"));
	assert_null(strstr(f->out, "pid="));
	assert_line(f->out, "procwatch_processes{state=\"alive\"} 5");
	assert_line(f->out, "procwatch_build_info{version=\"1.2.3\"} 1");
	api_prom_select_fini(&sel);
	api_prom_select_fini(NULL);
}

/*
 * Two groups: a busy one with a name to escape, and an empty one; the
 * snapshot `snap` points at them.
 */
static void
set_groups(struct pw_group_view *g, struct pw_snapshot *snap, char *busy,
    char *empty)
{
	struct pw_group_sample *s = &g[0].latest;

	memset(g, 0, 2 * sizeof(*g));
	memset(snap, 0, sizeof(*snap));
	g[0].name = busy;
	g[0].selector = "unit web.service";
	g[0].min_processes = 2;
	g[0].max_processes = 10;
	g[0].has_sample = true;
	s->processes = 3;
	s->threads = 17;
	s->cpu_user_ticks = 12345;		/* 123.45 s at HZ 100 */
	s->cpu_system_ticks = 7;
	s->children_ticks = 300;
	s->cpu_user_pct = 140.5;
	s->cpu_system_pct = 10;
	s->rss_bytes = 3 * GIB;
	s->vms_bytes = 5 * GIB;
	s->swap_bytes = 4096;
	s->open_fds = 42;
	s->fd_usage_max = 0.87654;
	s->fd_usage_pid = 77;
	s->read_bytes = 1000;
	s->write_bytes = 2000;
	s->ctx_voluntary = 11;
	s->ctx_involuntary = 12;
	s->minor_faults = 13;
	s->major_faults = 14;
	g[1].name = empty;
	g[1].selector = "comm idle";
	g[1].min_processes = 1;
	g[1].has_sample = true;		/* nothing runs: zeros are known */
	snap->groups = g;
	snap->ngroups = 2;
}

static void
render_groups(struct fixture *f, const struct pw_snapshot *snap)
{
	free(f->out);
	f->out = NULL;
	assert_int_equal(api_prom_groups(snap, HZ, &f->out, &f->len), 0);
	assert_non_null(f->out);
	assert_int_equal(strlen(f->out), f->len);
}

#define TW	"{target=\"we\\\"b\\\\\\n\"}"	/* busy[] below, escaped */
#define TWL	"{target=\"we\\\"b\\\\\\n\","	/* ... with more labels */

static void
test_prom_renders_group_families(void **state)
{
	struct fixture *f = *state;
	char busy[] = "we\"b\\\n", empty[] = "idle";
	static const struct { const char *name, *type; size_t n; } fams[] = {
		{ "procwatch_group_up", "gauge", 2 },
		{ "procwatch_group_processes", "gauge", 2 },
		{ "procwatch_group_min_processes", "gauge", 2 },
		{ "procwatch_group_max_processes", "gauge", 1 },
		{ "procwatch_group_threads", "gauge", 2 },
		{ "procwatch_group_cpu_seconds_total", "counter", 4 },
		{ "procwatch_group_children_cpu_seconds_total", "counter", 2 },
		{ "procwatch_group_cpu_percent", "gauge", 2 },
		{ "procwatch_group_resident_memory_bytes", "gauge", 2 },
		{ "procwatch_group_virtual_memory_bytes", "gauge", 2 },
		{ "procwatch_group_swap_bytes", "gauge", 2 },
		{ "procwatch_group_open_fds", "gauge", 2 },
		{ "procwatch_group_fd_usage_max", "gauge", 1 },
		{ "procwatch_group_read_bytes_total", "counter", 2 },
		{ "procwatch_group_write_bytes_total", "counter", 2 },
		{ "procwatch_group_context_switches_total", "counter", 4 },
		{ "procwatch_group_page_faults_total", "counter", 4 },
	};
	struct pw_group_view g[2];
	struct pw_snapshot snap;
	char line[160];
	size_t i;

	set_groups(g, &snap, busy, empty);
	render_groups(f, &snap);
	assert_line(f->out, "procwatch_group_up" TW " 1");
	assert_line(f->out, "procwatch_group_processes" TW " 3");
	assert_line(f->out, "procwatch_group_min_processes" TW " 2");
	assert_line(f->out, "procwatch_group_max_processes" TW " 10");
	assert_line(f->out, "procwatch_group_threads" TW " 17");
	assert_line(f->out, "procwatch_group_cpu_seconds_total" TWL
	    "mode=\"user\"} 123.45");
	assert_line(f->out, "procwatch_group_cpu_seconds_total" TWL
	    "mode=\"system\"} 0.07");
	assert_line(f->out, "procwatch_group_children_cpu_seconds_total" TW
	    " 3");
	assert_line(f->out, "procwatch_group_cpu_percent" TW " 150.5");
	assert_line(f->out, "procwatch_group_resident_memory_bytes" TW
	    " 3221225472");
	assert_line(f->out, "procwatch_group_virtual_memory_bytes" TW
	    " 5368709120");
	assert_line(f->out, "procwatch_group_swap_bytes" TW " 4096");
	assert_line(f->out, "procwatch_group_open_fds" TW " 42");
	assert_line(f->out, "procwatch_group_fd_usage_max" TW " 0.8765");
	assert_line(f->out, "procwatch_group_read_bytes_total" TW " 1000");
	assert_line(f->out, "procwatch_group_write_bytes_total" TW " 2000");
	assert_line(f->out, "procwatch_group_context_switches_total" TWL
	    "type=\"involuntary\"} 12");
	assert_line(f->out, "procwatch_group_page_faults_total" TWL
	    "type=\"major\"} 14");
	assert_line(f->out, "procwatch_group_up{target=\"idle\"} 0");
	assert_line(f->out, "procwatch_group_processes{target=\"idle\"} 0");
	assert_line(f->out, "procwatch_group_cpu_percent{target=\"idle\"} 0");
	/* No maximum and no member with a fd limit: left out. */
	assert_null(strstr(f->out, "procwatch_group_max_processes{target="
	    "\"idle\"}"));
	assert_null(strstr(f->out, "procwatch_group_fd_usage_max{target="
	    "\"idle\"}"));
	for (i = 0; i < NELEM(fams); i++) {
		snprintf(line, sizeof(line), "# TYPE %s %s", fams[i].name,
		    fams[i].type);
		assert_line(f->out, line);
		snprintf(line, sizeof(line), "# HELP %s ", fams[i].name);
		assert_int_equal(count_substr(f->out, line), 1);
		snprintf(line, sizeof(line), "\n%s{", fams[i].name);
		assert_int_equal(count_substr(f->out, line), fams[i].n);
	}
	assert_null(strstr(f->out, "procwatch_process_"));
}

/* Is `member` ("key":value) in o printed? */
static void
assert_json_has(cJSON *o, const char *member)
{
	char *text;

	assert_non_null(text = cJSON_PrintUnformatted(o));
	if (strstr(text, member) == NULL)
		fail_msg("missing %s in %s", member, text);
	cJSON_free(text);
}

/*
 * Counters above 2^53 (a double's last exact integer) come out exact, on
 * /metrics and in the JSON, for a process and for a target, as they did
 * before the catalogue: 2^53 + 1 is not printed as 2^53.
 */
static void
test_prom_counters_above_2p53_exact(void **state)
{
	struct fixture *f = *state;
	struct pw_sample *s = &f->procs[0].latest;
	char busy[] = "we\"b\\\n", empty[] = "idle";
	struct pw_group_view g[2];
	struct pw_metric_ctx c;
	struct pw_snapshot snap;
	cJSON *o;

	s->read_bytes = (UINT64_C(1) << 53) + 1;
	s->ctx_voluntary = (UINT64_C(1) << 53) + 3;
	s->vms_bytes = UINT64_C(18446744073709551557);	/* a prime */
	render(f);
	assert_line(f->out, "procwatch_process_io_read_bytes_total{" L42
	    "} 9007199254740993");
	assert_line(f->out, "procwatch_process_context_switches_total{" L42
	    ",type=\"voluntary\"} 9007199254740995");
	assert_line(f->out, "procwatch_process_virtual_memory_bytes{" L42
	    "} 18446744073709551557");

	assert_non_null(o = api_json_sample(s, f->snap.mem_total, 1024));
	assert_json_has(o, "\"read_bytes\":9007199254740993,");
	assert_json_has(o, "\"ctx_switches_voluntary\":9007199254740995,");
	assert_json_has(o, "\"vms_bytes\":18446744073709551557,");
	cJSON_Delete(o);
	assert_non_null(o = api_json_proc(&f->procs[0], f->snap.mem_total));
	assert_json_has(o, "\"read_bytes\":9007199254740993,");
	cJSON_Delete(o);

	set_groups(g, &snap, busy, empty);
	g[0].latest.read_bytes = (UINT64_C(1) << 53) + 1;
	g[0].latest.minor_faults = (UINT64_C(1) << 53) + 5;
	render_groups(f, &snap);
	assert_line(f->out, "procwatch_group_read_bytes_total" TW
	    " 9007199254740993");
	assert_line(f->out, "procwatch_group_page_faults_total" TWL
	    "type=\"minor\"} 9007199254740997");
	/* A target's sample JSON is written by this function. */
	api_metric_ctx_group(&c, &g[0], 0, HZ);
	assert_non_null(o = cJSON_CreateObject());
	assert_true(api_metric_add_group_json(o, "read_bytes_total",
	    PW_METRIC_READ_BYTES, &c, &g[0].latest));
	assert_true(api_metric_add_group_json(o, "minor_faults_total",
	    PW_METRIC_MINOR_FAULTS, &c, &g[0].latest));
	assert_json_has(o, "\"read_bytes_total\":9007199254740993");
	assert_json_has(o, "\"minor_faults_total\":9007199254740997");
	cJSON_Delete(o);
}

/* Integers at every change in their number of digits. */
static void
test_prom_integers_at_digit_boundaries(void **state)
{
	struct fixture *f = *state;
	char line[160];
	uint64_t p, v[3];
	unsigned k, j;

	for (k = 0, p = 1; k < 20; k++, p *= 10) {
		v[0] = p - 1;
		v[1] = p;
		v[2] = k == 19 ? UINT64_MAX : p * 10 - 1;
		for (j = 0; j < 3; j++) {
			f->procs[0].latest.rss_bytes = v[j];
			render(f);
			snprintf(line, sizeof(line),
			    "procwatch_process_resident_memory_bytes{" L42
			    "} %" PRIu64, v[j]);
			assert_line(f->out, line);
		}
	}
}

static void
test_prom_group_unknown_values_left_out(void **state)
{
	struct fixture *f = *state;
	char busy[] = "web", empty[] = "idle";
	struct pw_group_view g[2];
	struct pw_snapshot snap;

	set_groups(g, &snap, busy, empty);
	g[0].latest.flags = PW_GSAMPLE_NO_CPU | PW_GSAMPLE_NO_FDS;
	g[1].has_sample = false;	/* before the first cycle */
	render_groups(f, &snap);
	assert_null(strstr(f->out, "procwatch_group_cpu_percent{target="
	    "\"web\"}"));
	assert_null(strstr(f->out, "procwatch_group_open_fds{target="
	    "\"web\"}"));
	/* The counters are known even on the first cycle (all 0 then). */
	assert_line(f->out, "procwatch_group_cpu_seconds_total{target="
	    "\"web\",mode=\"user\"} 123.45");
	assert_null(strstr(f->out, "procwatch_group_up{target=\"idle\"}"));
	/* Its configured bounds are known without a sample. */
	assert_line(f->out, "procwatch_group_min_processes{target=\"idle\"} 1");
	/* A family with no series at all has no HELP/TYPE either. */
	snap.ngroups = 1;
	render_groups(f, &snap);
	assert_null(strstr(f->out, "procwatch_group_cpu_percent"));
	assert_null(strstr(f->out, "procwatch_group_open_fds"));
	assert_line(f->out, "procwatch_group_up{target=\"web\"} 1");
	/* No groups: an empty page, not an error. */
	snap.ngroups = 0;
	render_groups(f, &snap);
	assert_int_equal(f->len, 0);
}

/* The process page with the group families after it passes promtool. */
static void
test_prom_groups_pass_promtool(void **state)
{
	struct fixture *f = *state;
	const char *promtool = getenv("PROMTOOL"), *tmp;
	char busy[] = "we\"b\\\n", empty[] = "idle";
	char path[4096], out[8192], *page;
	struct pw_group_view g[2];
	struct pw_snapshot snap;
	size_t plen;
	int fd, rc;

	if (promtool == NULL || promtool[0] == '\0')
		skip();
	set_groups(g, &snap, busy, empty);
	render(f);
	page = f->out;
	plen = f->len;
	f->out = NULL;
	render_groups(f, &snap);
	tmp = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/test_prom.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, page, plen), (ssize_t)plen);
	assert_int_equal(write(fd, f->out, f->len), (ssize_t)f->len);
	assert_int_equal(close(fd), 0);
	free(page);
	rc = run_promtool(promtool, path, out, sizeof(out));
	unlink(path);
	if (rc != 0 || out[0] != '\0')
		fail_msg("promtool check metrics: exit %d\n%s", rc, out);
}

/* Pages of the top and none modes pass promtool. */
static void
test_prom_select_pages_pass_promtool(void **state)
{
	struct fixture *f = *state;
	const char *promtool = getenv("PROMTOOL"), *tmp;
	static const int modes[] = {
		API_PROCMETRICS_TOP, API_PROCMETRICS_NONE,
	};
	struct pw_proc_view v[8];
	struct pw_snapshot snap, sel;
	char path[4096], out[8192];
	size_t i;
	int fd, rc;

	if (promtool == NULL || promtool[0] == '\0')
		skip();
	set_ranked(v, &snap);
	for (i = 0; i < NELEM(modes); i++) {
		assert_int_equal(api_prom_select_init(&sel, &snap, modes[i], 2),
		    0);
		free(f->out);
		f->out = NULL;
		assert_int_equal(api_prom_render(&sel, &f->st, HZ, "1.2.3",
		    &f->out, &f->len), 0);
		api_prom_select_fini(&sel);
		tmp = getenv("TMPDIR");
		snprintf(path, sizeof(path), "%s/test_prom.XXXXXX",
		    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
		assert_true((fd = mkstemp(path)) >= 0);
		assert_int_equal(write(fd, f->out, f->len), (ssize_t)f->len);
		assert_int_equal(close(fd), 0);
		rc = run_promtool(promtool, path, out, sizeof(out));
		unlink(path);
		if (rc != 0 || out[0] != '\0')
			fail_msg("promtool check metrics (mode %d): "
			    "exit %d\n%s", modes[i], rc, out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prom_escapes_label_values,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_prom_renders_process_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prom_cpu_seconds_use_hz,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_prom_skips_gone_and_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_prom_renders_daemon_figures, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_prom_families_are_contiguous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prom_empty_snapshot,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_prom_renders_many_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prom_passes_promtool,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_prom_renders_group_families, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_prom_group_unknown_values_left_out, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_prom_groups_pass_promtool, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_prom_counters_above_2p53_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_prom_integers_at_digit_boundaries, setup, teardown),
		cmocka_unit_test(test_prom_select_modes),
		cmocka_unit_test(test_prom_select_follows_each_scrape),
		cmocka_unit_test_setup_teardown(
		    test_prom_select_renders_only_chosen, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_prom_select_pages_pass_promtool, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

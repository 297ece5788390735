/*
 * bench/rw_bench.c: the cost of Prometheus remote write (issue 21), with
 * the daemon's own encoder (daemon/rw_encode.c) and sender
 * (daemon/remote_write.c) over an on-disk history (lib/history.h):
 *
 *   rw_bench URL [PROCS [MINUTES [DIR]]]   default 1000 processes, 60
 *                                          minutes at 1 s, DIR under $TMPDIR
 *
 * URL is a receiver on 127.0.0.1 that answers 204 (bench/remote_write.sh
 * starts one).  Steps:
 *   1. an outage's backlog: MINUTES of 1 s cycles of PROCS synthetic
 *      processes, ending now, written to DIR/history as the daemon's
 *      history writer does (the farm: 1 % busy, 9 % waking every 10 s,
 *      the rest idle, as bench/hist_bench.c's "idle" farm);
 *   2. CPU per cycle and per process-sample of reading it back with a
 *      cursor, and of reading + encoding (protobuf + snappy) at
 *      process_metrics top 50 and all, and bytes per sample on the wire;
 *   3. the same with each request POSTed (libcurl, keep-alive) to URL:
 *      encoding + sending, CPU of this process only (not the receiver's);
 *   4. catch-up: the daemon's sender (rw_new/rw_start) started with its
 *      saved position at the outage's start works through the backlog,
 *      unpaced (catchup_cycles_per_s 10000, the most allowed) and at the
 *      default 20 cycles/s (for CATCHUP_S seconds only): samples/s.
 * Figures go to bench/RESULTS.md ("Remote write (issue 21)").  Not part
 * of make check.
 */
#include <config.h>	/* autoconf's */

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include <procwatch/metric.h>
#include <procwatch/sample.h>

#include "daemon/config.h"
#include "daemon/remote_write.h"
#include "daemon/rw_encode.h"
#include "lib/history.h"
#include "lib/pwutil.h"

#define CATCHUP_S	15	/* the paced run's length */

struct fproc {
	struct pw_sample	 prev, cur;
	int			 kind;		/* 0 idle, 1 ticker, 2 busy */
	unsigned		 seed;
};

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
wall_s(void)
{
	return (double)pw_mono_ns() / 1e9;
}

static void
farm_init(struct fproc *p, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].seed = (unsigned)i + 1;
		p[i].kind = i % 100 == 0 ? 2 : i % 100 < 10 ? 1 : 0;
		p[i].cur.rss_bytes = (uint64_t)(1 + i % 200) << 20;
		p[i].cur.vms_bytes = p[i].cur.rss_bytes * 4;
		p[i].cur.threads = 1 + (uint32_t)(i % 8);
		p[i].cur.open_fds = 10 + (uint32_t)(i % 7);
		p[i].cur.utime_ticks = (uint64_t)i * 13;
		p[i].cur.ctx_voluntary = (uint64_t)i * 101;
		p[i].cur.state = PW_STATE_SLEEPING;
		p[i].prev = p[i].cur;
	}
}

static void
farm_step(struct fproc *p, int n, int cycle, int64_t ts)
{
	struct pw_sample *s;
	double dt;
	int i;

	for (i = 0; i < n; i++) {
		p[i].prev = p[i].cur;
		s = &p[i].cur;
		s->ts_ms = ts;
		if (p[i].kind == 2) {
			s->utime_ticks += (uint64_t)(rand_r(&p[i].seed) % 50);
			s->stime_ticks += (uint64_t)(rand_r(&p[i].seed) % 3);
			s->ctx_voluntary += (uint64_t)(rand_r(&p[i].seed) % 100);
			s->minor_faults += (uint64_t)(rand_r(&p[i].seed) % 1000);
			s->read_bytes += (uint64_t)(rand_r(&p[i].seed) % 65536);
			s->write_bytes += (uint64_t)(rand_r(&p[i].seed) % 65536);
		} else if (p[i].kind == 1 && (cycle + i) % 10 == 0)
			s->ctx_voluntary += 1 + (uint64_t)(i % 2);
		dt = cycle > 0 ? 1.0 : 0;
		if (dt > 0) {
			s->cpu_user_pct = (double)(s->utime_ticks -
			    p[i].prev.utime_ticks) / 100.0 / dt * 100.0;
			s->cpu_system_pct = (double)(s->stime_ticks -
			    p[i].prev.stime_ticks) / 100.0 / dt * 100.0;
		}
	}
}

static void
rows_of(const struct fproc *p, int64_t t0, double *v)
{
	struct pw_metric_ctx ctx = { 0 };
	size_t m;

	ctx.mem_total = 16ull << 30;
	ctx.fd_limit = 1024;
	ctx.hz = 100;
	ctx.start_time_ms = t0 - 86400000;
	for (m = 0; m < PW_METRIC_NROWS; m++)
		if (!pw_metric_read((enum pw_metric)m, &ctx, &p->cur,
		    p->cur.ts_ms > t0 ? &p->prev : NULL, &v[m]))
			v[m] = NAN;
}

/* Step 1: the backlog, cycles t0, t0 + 1 s, ... */
static void
write_backlog(const char *hdir, int nprocs, int cycles, int64_t t0)
{
	struct fproc *farm = calloc((size_t)nprocs, sizeof(*farm));
	double v[PW_METRIC_NROWS], w0 = wall_s();
	struct pw_hist_opts o;
	struct pw_hist_ident id;
	struct pw_hist_cycle *c;
	struct pw_history *h;
	char name[32], cmd[64];
	int i, k;

	pw_hist_opts_init(&o);
	o.dir = hdir;
	o.queue_cycles = 64;
	if (farm == NULL || pw_history_open(&o, &h, NULL) != 0 ||
	    pw_history_start(h) != 0) {
		fprintf(stderr, "rw_bench: cannot open %s\n", hdir);
		exit(1);
	}
	farm_init(farm, nprocs);
	for (i = 0; i < cycles; i++) {
		int64_t ts = t0 + (int64_t)i * 1000;

		farm_step(farm, nprocs, i, ts);
		if ((c = pw_hist_cycle_new(ts, 1000)) == NULL)
			exit(1);
		for (k = 0; k < nprocs; k++) {
			rows_of(&farm[k], t0, v);
			memset(&id, 0, sizeof(id));
			id.kind = PW_HIST_PROC;
			id.pid = 1000 + k;
			id.start_time_ms = t0 - 86400000 + k;
			snprintf(name, sizeof(name), "proc%d", k);
			snprintf(cmd, sizeof(cmd), "/usr/sbin/proc%d --daemon",
			    k);
			id.name = name;
			id.cmdline = cmd;
			id.target = k % 3 ? "web" : "db";
			pw_hist_cycle_add(c, &id, v, PW_METRIC_NROWS);
		}
		if (pw_history_push(h, c) < 0)
			fprintf(stderr, "rw_bench: cycle %d dropped\n", i);
		if (i % 8 == 7)
			pw_history_flush(h, 600000);
	}
	pw_history_flush(h, 600000);
	pw_history_close(h);
	free(farm);
	printf("backlog: %d processes x %d cycles (1 s) written in %.1f s\n",
	    nprocs, cycles, wall_s() - w0);
}

/* --- steps 2 and 3: encoding, and encoding + sending ---------------------- */

struct acc {
	CURL		*easy;		/* NULL: encode only */
	uint64_t	 bytes, samples, requests, failed;
};

static int
emit(void *arg, const void *body, size_t len, size_t nsamples)
{
	struct acc *a = arg;
	long status = 0;

	a->bytes += len;
	a->samples += nsamples;
	a->requests++;
	if (a->easy == NULL)
		return 0;
	curl_easy_setopt(a->easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(a->easy, CURLOPT_POSTFIELDSIZE, (long)len);
	if (curl_easy_perform(a->easy) != CURLE_OK ||
	    curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &status) !=
	    CURLE_OK || status < 200 || status > 299)
		a->failed++;
	return 0;
}

static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

static CURL *
easy_new(const char *url, struct curl_slist **hdrs)
{
	CURL *e = curl_easy_init();

	*hdrs = curl_slist_append(NULL, "Content-Type: application/x-protobuf");
	*hdrs = curl_slist_append(*hdrs, "Content-Encoding: snappy");
	*hdrs = curl_slist_append(*hdrs,
	    "X-Prometheus-Remote-Write-Version: 0.1.0");
	if (e == NULL || *hdrs == NULL)
		exit(1);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, *hdrs);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, 10000L);
	return e;
}

/*
 * Read the backlog with a cursor from t0 and, unless mode < 0, encode
 * (and with url, send) each cycle.  Returns the samples; *cpu and *wall
 * get the seconds spent.
 */
static uint64_t
pass(const char *hdir, int64_t t0, int mode, unsigned top, const char *url,
    double *cpu, double *wall, struct acc *out)
{
	static const char *const ext[] = { "instance", "bench" };
	struct rw_select sel = { mode, top };
	const struct pw_hist_cycle *c;
	struct pw_hist_cursor *cur;
	struct pw_hist_opts o;
	struct pw_history *h;
	struct curl_slist *hdrs = NULL;
	struct acc a = { 0 };
	double c0, w0;
	uint64_t ncycles = 0;

	pw_hist_opts_init(&o);
	o.dir = hdir;
	if (pw_history_open(&o, &h, NULL) != 0 ||
	    pw_hist_cursor_new(h, t0 - 1, &cur) != 0) {
		fprintf(stderr, "rw_bench: cannot read %s\n", hdir);
		exit(1);
	}
	if (url != NULL)
		a.easy = easy_new(url, &hdrs);
	c0 = cpu_s();
	w0 = wall_s();
	while (pw_hist_cursor_next(cur, &c) > 0) {
		ncycles++;
		if (mode >= 0 && rw_encode_cycle(c, &sel, ext, 1, 2000, emit,
		    &a, NULL) != 0) {
			fprintf(stderr, "rw_bench: encoding failed\n");
			exit(1);
		}
	}
	*cpu = cpu_s() - c0;
	*wall = wall_s() - w0;
	if (a.easy != NULL)
		curl_easy_cleanup(a.easy);
	curl_slist_free_all(hdrs);
	pw_hist_cursor_free(cur);
	pw_history_close(h);
	if (a.failed > 0)
		fprintf(stderr, "rw_bench: %" PRIu64 " request(s) failed\n",
		    a.failed);
	a.requests = ncycles;	/* the caller wants cycles here */
	*out = a;
	return a.samples;
}

/* --- step 4: the daemon's sender ------------------------------------------- */

static void
catchup(const char *dir, const char *hdir, const char *url, int64_t t0,
    const char *pm, unsigned per_s, uint64_t want, int cycles)
{
	char json[4096], err[256], path[1100];
	struct api_rw_stats st;
	struct remote_writer *w;
	struct pw_hist_opts o;
	struct pw_history *h;
	struct config *cfg;
	double w0, c0, el, limit = per_s >= 10000 ? 3600 : CATCHUP_S;
	FILE *f;

	snprintf(json, sizeof(json), "{ \"state_dir\": \"%s\","
	    " \"process_metrics\": %s, \"targets\": [ { \"name\": \"web\","
	    " \"pid\": 1 } ], \"remote_write\": [ { \"url\": \"%s\","
	    " \"name\": \"bench\", \"catchup_cycles_per_s\": %u,"
	    " \"max_samples_per_send\": 2000 } ] }", dir, pm, url, per_s);
	if (config_parse(json, strlen(json), "rw_bench", &cfg, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "rw_bench: config: %s\n", err);
		exit(1);
	}
	/* The sender's saved position: the outage began at t0. */
	snprintf(path, sizeof(path), "%s/remote_write-bench.pos", dir);
	if ((f = fopen(path, "w")) == NULL)
		exit(1);
	fprintf(f, "%" PRId64 "\n", t0 - 1);
	fclose(f);
	pw_hist_opts_init(&o);
	o.dir = hdir;
	if (pw_history_open(&o, &h, NULL) != 0 ||
	    (w = rw_new(cfg, h, err, sizeof(err))) == NULL) {
		fprintf(stderr, "rw_bench: sender: %s\n", err);
		exit(1);
	}
	c0 = cpu_s();
	w0 = wall_s();
	if (rw_start(w) != 0)
		exit(1);
	do {
		usleep(20000);
		rw_stats(w, &st, 1);
		el = wall_s() - w0;
	} while (st.sent < want && el < limit);
	c0 = cpu_s() - c0;
	rw_free(w);
	pw_history_close(h);
	config_free(cfg);
	printf("catch-up, process_metrics %s, catchup_cycles_per_s %u: "
	    "%" PRIu64 " of %" PRIu64 " samples (%d cycles) in %.1f s: "
	    "%.0f samples/s, %.1f cycles/s (x real time at 1 s); CPU %.2f s "
	    "(%.2f us/sample); %" PRIu64 " failed request(s)\n", pm, per_s,
	    st.sent, want, cycles, el, (double)st.sent / el,
	    (double)st.sent / el / ((double)want / cycles), c0,
	    st.sent > 0 ? c0 / (double)st.sent * 1e6 : 0, st.failed);
}

static void
rm_dir(const char *dir)
{
	char path[1400];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

int
main(int argc, char **argv)
{
	static const struct {
		const char	*pm;		/* process_metrics, as JSON */
		int		 mode;
		unsigned	 top;
	} modes[] = {
		{ "{\"top\": 50}", PROCMETRICS_TOP, 50 },
		{ "\"all\"", PROCMETRICS_ALL, 0 },
	};
	const char *url, *tmp = getenv("TMPDIR");
	char dir[1024], hdir[1100], path[1200];
	double rcpu, rwall, cpu, wall;
	uint64_t want[2];
	int nprocs, minutes, cycles;
	int64_t t0;
	struct acc a;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* progress, when piped */
	if (argc < 2) {
		fprintf(stderr, "usage: rw_bench URL [PROCS [MINUTES [DIR]]]\n");
		return 2;
	}
	url = argv[1];
	nprocs = argc > 2 ? atoi(argv[2]) : 1000;
	minutes = argc > 3 ? atoi(argv[3]) : 60;
	if (nprocs <= 0 || minutes <= 0) {
		fprintf(stderr, "rw_bench: PROCS and MINUTES must be > 0\n");
		return 2;
	}
	cycles = minutes * 60;
	if (argc > 4) {
		snprintf(dir, sizeof(dir), "%s", argv[4]);
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			perror("rw_bench: mkdir");
			return 1;
		}
	} else {
		snprintf(dir, sizeof(dir), "%s/rw_bench.XXXXXX",
		    tmp != NULL ? tmp : "/tmp");
		if (mkdtemp(dir) == NULL) {
			perror("rw_bench: mkdtemp");
			return 1;
		}
	}
	snprintf(hdir, sizeof(hdir), "%s/history", dir);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* The outage ends now: the newest cycle is a second old. */
	t0 = (pw_wall_ms() / 1000 - cycles) * 1000;
	write_backlog(hdir, nprocs, cycles, t0);

	pass(hdir, t0, -1, 0, NULL, &rcpu, &rwall, &a);
	printf("reading the backlog (cursor): %.1f us/cycle, %.3f us per "
	    "process-sample\n", rcpu / cycles * 1e6,
	    rcpu / cycles / nprocs * 1e6);
	for (i = 0; i < 2; i++) {
		want[i] = pass(hdir, t0, modes[i].mode, modes[i].top, NULL,
		    &cpu, &wall, &a);
		printf("encode, process_metrics %s: %" PRIu64 " samples/cycle, "
		    "%.1f us/cycle (%.1f without the cursor), %.3f us per "
		    "process-sample, %.3f us/sample; %.2f bytes/sample on the "
		    "wire (snappy), %" PRIu64 " bytes/cycle\n", modes[i].pm,
		    want[i] / (uint64_t)cycles, cpu / cycles * 1e6,
		    (cpu - rcpu) / cycles * 1e6,
		    (cpu - rcpu) / cycles / nprocs * 1e6,
		    (cpu - rcpu) / (double)want[i] * 1e6,
		    (double)a.bytes / (double)want[i], a.bytes /
		    (uint64_t)cycles);
		pass(hdir, t0, modes[i].mode, modes[i].top, url, &cpu, &wall,
		    &a);
		printf("encode + send, process_metrics %s: %.1f us/cycle "
		    "(%.1f without the cursor), %.3f us per process-sample, "
		    "%.3f us/sample (this process's CPU); %.0f samples/s "
		    "unpaced (%.1f s for the backlog)\n", modes[i].pm,
		    cpu / cycles * 1e6, (cpu - rcpu) / cycles * 1e6,
		    (cpu - rcpu) / cycles / nprocs * 1e6,
		    (cpu - rcpu) / (double)want[i] * 1e6,
		    (double)a.samples / wall, wall);
	}
	for (i = 0; i < 2; i++) {
		catchup(dir, hdir, url, t0, modes[i].pm, 10000, want[i],
		    cycles);
		catchup(dir, hdir, url, t0, modes[i].pm, 20, want[i], cycles);
	}
	rm_dir(hdir);
	snprintf(path, sizeof(path), "%s/remote_write-bench.pos", dir);
	unlink(path);
	if (argc <= 4)
		rmdir(dir);
	curl_global_cleanup();
	return 0;
}

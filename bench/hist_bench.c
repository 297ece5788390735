/*
 * bench/hist_bench.c: the on-disk history (issue 18) against SQLite on the
 * same synthetic farm: bytes per stored process-sample, CPU per cycle,
 * query times, and start-up over a full history.
 *
 *   hist_bench [PROCS [CYCLES [DIR]]]   default 1000 processes, 3600 cycles
 *                                       (an hour at 1 s), DIR under $TMPDIR
 *
 * Farms (each value of every catalogue row is read through its reader,
 * metric.h, from synthetic struct pw_sample pairs, as the sampler would):
 *   idle: 1 % of the processes busy (CPU, context switches, faults and
 *         I/O change every second), 9 % wake every 10 s (a context switch
 *         or two, a tick now and then), 90 % unchanged: bench/farm.c's
 *         "mostly idle" farm as the sampler sees it;
 *   busy: every process's counters move every second (bench/synth.c's
 *         model).
 * SQLite: WAL, synchronous=NORMAL (fsync at checkpoints, as ours at most
 * every fsync_ms), one transaction per cycle, a wide row per
 * process-sample (one REAL column per catalogue row) in a WITHOUT ROWID
 * table keyed (series, ts), an index on ts for ?at=, a table of series.
 * Figures go to bench/RESULTS.md ("History on disk (issue 18)").
 */
#include <sys/stat.h>
#include <sys/resource.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <procwatch/metric.h>

#include "history.h"
#include "pwutil.h"

#define T0	1789999200000LL		/* a whole hour */

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
thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now_ms(void)
{
	return (double)pw_mono_ns() / 1e6;
}

static void
farm_init(struct fproc *p, int n, bool busy)
{
	int i;

	for (i = 0; i < n; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		p[i].seed = (unsigned)i + 1;
		p[i].kind = busy ? 2 : i % 100 == 0 ? 2 : i % 100 < 10 ? 1 : 0;
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
	int i;

	for (i = 0; i < n; i++) {
		p[i].prev = p[i].cur;
		s = &p[i].cur;
		s->ts_ms = ts;
		switch (p[i].kind) {
		case 2:
			s->utime_ticks += (uint64_t)(rand_r(&p[i].seed) % 50);
			s->stime_ticks += (uint64_t)(rand_r(&p[i].seed) % 3);
			s->ctx_voluntary += (uint64_t)(rand_r(&p[i].seed) % 100);
			s->ctx_involuntary += (uint64_t)(rand_r(&p[i].seed) % 10);
			s->minor_faults += (uint64_t)(rand_r(&p[i].seed) % 1000);
			s->read_bytes += (uint64_t)(rand_r(&p[i].seed) % 65536);
			s->write_bytes += (uint64_t)(rand_r(&p[i].seed) % 65536);
			if (i % 10 == 0)
				s->rss_bytes += 4096;
			break;
		case 1:
			if ((cycle + i) % 10 == 0) {
				s->ctx_voluntary += 1 + (uint64_t)(i % 2);
				if ((cycle + i) % 30 == 0)
					s->stime_ticks++;
			}
			break;
		default:
			break;
		}
	}
}

static void
rows_of(const struct fproc *p, double *v)
{
	struct pw_metric_ctx ctx = { 0 };
	size_t m;

	ctx.mem_total = 16ull << 30;
	ctx.fd_limit = 1024;
	ctx.hz = 100;
	ctx.start_time_ms = T0 - 86400000;
	for (m = 0; m < PW_METRIC_NROWS; m++)
		if (!pw_metric_read((enum pw_metric)m, &ctx, &p->cur,
		    p->cur.ts_ms > T0 ? &p->prev : NULL, &v[m]))
			v[m] = NAN;
}

/* The sampler's cpu_*_pct, which pw_ring_push() would derive. */
static void
set_pct(struct fproc *p)
{
	double dt = (double)(p->cur.ts_ms - p->prev.ts_ms) / 1000.0;

	if (dt <= 0)
		return;
	p->cur.cpu_user_pct = (double)(p->cur.utime_ticks -
	    p->prev.utime_ticks) / 100.0 / dt * 100.0;
	p->cur.cpu_system_pct = (double)(p->cur.stime_ticks -
	    p->prev.stime_ticks) / 100.0 / dt * 100.0;
}

static uint64_t
dir_bytes(const char *dir)
{
	char path[1024];
	struct dirent *de;
	struct stat sb;
	uint64_t t = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_name[0] != '.' && stat(path, &sb) == 0)
			t += (uint64_t)sb.st_size;
	}
	closedir(d);
	return t;
}

static void
rm_dir(const char *dir)
{
	char path[1024];
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

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(*t), cmp_d);
	return t[n / 2];
}

/* VmRSS of this process in KiB, from /proc/self/status (proc(5)). */
static long
rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* --- ours --------------------------------------------------------------- */

static void
run_ours(const char *dir, int nprocs, int cycles, bool busy)
{
	struct fproc *farm = calloc((size_t)nprocs, sizeof(*farm));
	double v[PW_METRIC_NROWS], t0, c0, build = 0, tq[15];
	struct pw_hist_stats st;
	struct pw_hist_opts o;
	struct pw_history *h;
	struct pw_hist_cycle *c;
	struct pw_hist_ident id;
	struct pw_hist_series *s;
	struct pw_hist_query q = { 0 };
	struct pw_hist_at *a;
	char name[32], cmd[64];
	long rss0;
	int i, k, rc;

	pw_hist_opts_init(&o);
	o.dir = dir;
	o.queue_cycles = 64;
	if (farm == NULL || (rc = pw_history_open(&o, &h, NULL)) != 0 ||
	    pw_history_start(h) != 0) {
		fprintf(stderr, "hist_bench: open %s failed\n", dir);
		exit(1);
	}
	farm_init(farm, nprocs, busy);
	rss0 = rss_kb();
	c0 = cpu_s();
	t0 = now_ms();
	for (i = 0; i < cycles; i++) {
		int64_t ts = T0 + (int64_t)i * 1000;
		double b0;

		farm_step(farm, nprocs, i, ts);
		b0 = thread_cpu_s();
		c = pw_hist_cycle_new(ts, 1000);
		for (k = 0; k < nprocs; k++) {
			set_pct(&farm[k]);
			rows_of(&farm[k], v);
			memset(&id, 0, sizeof(id));
			id.kind = PW_HIST_PROC;
			id.pid = 1000 + k;
			id.start_time_ms = T0 - 86400000 + k;
			snprintf(name, sizeof(name), "proc%d", k);
			snprintf(cmd, sizeof(cmd), "/usr/sbin/proc%d --daemon", k);
			id.name = name;
			id.cmdline = cmd;
			id.target = k % 3 ? "web" : "db";
			pw_hist_cycle_add(c, &id, v, PW_METRIC_NROWS);
		}
		build += thread_cpu_s() - b0;
		if (pw_history_push(h, c) < 0)
			fprintf(stderr, "hist_bench: cycle %d dropped\n", i);
		/*
		 * Paced as a daemon at 1 s is: the writer keeps up, the queue
		 * holds a few cycles (else the backlog is what RSS shows).
		 */
		if (i % 8 == 7)
			pw_history_flush(h, 600000);
	}
	pw_history_flush(h, 600000);
	t0 = now_ms() - t0;
	c0 = cpu_s() - c0;
	pw_history_stats(h, &st);
	printf("ours %s: %d procs x %d cycles: raw %.3f B/sample, all tiers "
	    "%.3f B/sample (raw %" PRIu64 ", 1m %" PRIu64 ", 1h %" PRIu64
	    " bytes)\n", busy ? "busy" : "idle", nprocs, cycles,
	    (double)st.bytes[PW_HIST_RAW] / ((double)nprocs * cycles),
	    (double)st.bytes_total / ((double)nprocs * cycles),
	    st.bytes[PW_HIST_RAW], st.bytes[PW_HIST_1M], st.bytes[PW_HIST_1H]);
	printf("ours %s: building the cycles (values from the catalogue "
	    "readers) %.3f us/process-sample; writer (encode, zstd, write, "
	    "roll-ups) %.3f us/process-sample, %.2f ms/cycle\n",
	    busy ? "busy" : "idle", build * 1e6 / ((double)nprocs * cycles),
	    (c0 - build) * 1e6 / ((double)nprocs * cycles),
	    (c0 - build) * 1e3 / cycles);
	(void)t0;
	printf("ours %s: RSS grew by %.1f MiB while writing (writer state, "
	    "queue, allocator)\n", busy ? "busy" : "idle",
	    (double)(rss_kb() - rss0) / 1024);
	rss0 = rss_kb();
	/* Queries, each 15 times: the median. */
	q.kind = PW_HIST_PROC;
	q.since_ms = T0;
	q.until_ms = T0 + (int64_t)cycles * 1000;
	for (i = 0; i < 15; i++) {
		q.pid = 1000 + (i * 37) % nprocs;
		t0 = now_ms();
		if (pw_history_series(h, &q, &s) == 0)
			pw_hist_series_free(s);
		tq[i] = now_ms() - t0;
	}
	printf("ours %s: one process's %d raw samples: %.2f ms\n",
	    busy ? "busy" : "idle", cycles, median(tq, 15));
	q.res = PW_HIST_1M;
	for (i = 0; i < 15; i++) {
		q.pid = 1000 + (i * 37) % nprocs;
		t0 = now_ms();
		if (pw_history_series(h, &q, &s) == 0)
			pw_hist_series_free(s);
		tq[i] = now_ms() - t0;
	}
	printf("ours %s: the same from the minute tier: %.2f ms\n",
	    busy ? "busy" : "idle", median(tq, 15));
	for (i = 0; i < 15; i++) {
		t0 = now_ms();
		rc = pw_history_at(h, T0 + (int64_t)((i * 997) % cycles) *
		    1000 + 500, &a);
		tq[i] = now_ms() - t0;
		if (rc == 0) {
			if (i == 0 && a->n != (size_t)nprocs)
				fprintf(stderr, "at: %zu entries\n", a->n);
			pw_hist_at_free(a);
		}
	}
	printf("ours %s: ?at= (%d processes): %.2f ms\n",
	    busy ? "busy" : "idle", nprocs, median(tq, 15));
	printf("ours %s: RSS grew by %.1f MiB over the queries (cache, "
	    "allocator)\n", busy ? "busy" : "idle",
	    (double)(rss_kb() - rss0) / 1024);
	pw_history_close(h);
	t0 = now_ms();
	if (pw_history_open(&o, &h, NULL) == 0)
		pw_history_close(h);
	printf("ours %s: open (%.1f MiB): %.1f ms\n", busy ? "busy" : "idle",
	    (double)dir_bytes(dir) / 1048576, now_ms() - t0);
	free(farm);
}

/* --- SQLite ------------------------------------------------------------- */

static void
sq(sqlite3 *db, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s: %s\n", sql, err);
		exit(1);
	}
}

static void
run_sqlite(const char *dir, int nprocs, int cycles, bool busy)
{
	struct fproc *farm = calloc((size_t)nprocs, sizeof(*farm));
	char path[1024], sql[8192];
	double v[PW_METRIC_NROWS], c0, t0, tq[15];
	sqlite3_stmt *ins, *qs, *qa;
	sqlite3 *db;
	size_t m, len;
	int i, k, n;

	mkdir(dir, 0750);
	snprintf(path, sizeof(path), "%s/history.db", dir);
	if (farm == NULL || sqlite3_open(path, &db) != SQLITE_OK)
		exit(1);
	sq(db, "PRAGMA journal_mode=WAL");
	sq(db, "PRAGMA synchronous=NORMAL");
	sq(db, "CREATE TABLE series(id INTEGER PRIMARY KEY, pid INTEGER, "
	    "start INTEGER, name TEXT, cmdline TEXT, target TEXT)");
	len = (size_t)snprintf(sql, sizeof(sql), "CREATE TABLE samples("
	    "series INTEGER, ts INTEGER");
	for (m = 0; m < PW_METRIC_NROWS; m++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len,
		    ", v%zu REAL", m);
	snprintf(sql + len, sizeof(sql) - len,
	    ", PRIMARY KEY(series, ts)) WITHOUT ROWID");
	sq(db, sql);
	sq(db, "CREATE INDEX samples_ts ON samples(ts)");
	len = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO samples VALUES"
	    "(?, ?");
	for (m = 0; m < PW_METRIC_NROWS; m++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len, ", ?");
	snprintf(sql + len, sizeof(sql) - len, ")");
	if (sqlite3_prepare_v2(db, sql, -1, &ins, NULL) != SQLITE_OK)
		exit(1);
	sq(db, "BEGIN");
	for (k = 0; k < nprocs; k++) {
		snprintf(sql, sizeof(sql), "INSERT INTO series VALUES(%d, %d, "
		    "%lld, 'proc%d', '/usr/sbin/proc%d --daemon', '%s')", k,
		    1000 + k, (long long)(T0 - 86400000 + k), k, k,
		    k % 3 ? "web" : "db");
		sq(db, sql);
	}
	sq(db, "COMMIT");
	farm_init(farm, nprocs, busy);
	c0 = cpu_s();
	for (i = 0; i < cycles; i++) {
		int64_t ts = T0 + (int64_t)i * 1000;

		farm_step(farm, nprocs, i, ts);
		sq(db, "BEGIN");
		for (k = 0; k < nprocs; k++) {
			set_pct(&farm[k]);
			rows_of(&farm[k], v);
			sqlite3_bind_int(ins, 1, k);
			sqlite3_bind_int64(ins, 2, ts);
			for (m = 0; m < PW_METRIC_NROWS; m++) {
				if (isnan(v[m]))
					sqlite3_bind_null(ins, (int)m + 3);
				else
					sqlite3_bind_double(ins, (int)m + 3,
					    v[m]);
			}
			if (sqlite3_step(ins) != SQLITE_DONE)
				exit(1);
			sqlite3_reset(ins);
		}
		sq(db, "COMMIT");
	}
	sq(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	c0 = cpu_s() - c0;
	printf("sqlite %s: %d procs x %d cycles: %.3f B/sample; %.3f "
	    "us/process-sample (values, inserts, commits), %.2f ms/cycle\n",
	    busy ? "busy" : "idle", nprocs, cycles,
	    (double)dir_bytes(dir) / ((double)nprocs * cycles),
	    c0 * 1e6 / ((double)nprocs * cycles), c0 * 1e3 / cycles);
	sqlite3_prepare_v2(db, "SELECT * FROM samples WHERE series = ? AND "
	    "ts >= ? AND ts < ? ORDER BY ts", -1, &qs, NULL);
	sqlite3_prepare_v2(db, "SELECT * FROM samples JOIN series ON "
	    "series.id = samples.series WHERE ts = (SELECT max(ts) FROM "
	    "samples WHERE ts <= ?)", -1, &qa, NULL);
	for (i = 0; i < 15; i++) {
		t0 = now_ms();
		sqlite3_bind_int(qs, 1, (i * 37) % nprocs);
		sqlite3_bind_int64(qs, 2, T0);
		sqlite3_bind_int64(qs, 3, T0 + (int64_t)cycles * 1000);
		for (n = 0; sqlite3_step(qs) == SQLITE_ROW; n++)
			(void)sqlite3_column_double(qs, 5);
		sqlite3_reset(qs);
		tq[i] = now_ms() - t0;
	}
	printf("sqlite %s: one process's %d raw samples: %.2f ms\n",
	    busy ? "busy" : "idle", n, median(tq, 15));
	for (i = 0; i < 15; i++) {
		t0 = now_ms();
		sqlite3_bind_int64(qa, 1, T0 + (int64_t)((i * 997) % cycles) *
		    1000 + 500);
		for (n = 0; sqlite3_step(qa) == SQLITE_ROW; n++)
			(void)sqlite3_column_double(qa, 5);
		sqlite3_reset(qa);
		tq[i] = now_ms() - t0;
	}
	printf("sqlite %s: ?at= (%d processes): %.2f ms\n",
	    busy ? "busy" : "idle", n, median(tq, 15));
	sqlite3_finalize(qs);
	sqlite3_finalize(qa);
	sqlite3_finalize(ins);
	sqlite3_close(db);
	free(farm);
}

/*
 * Start-up over a full budget: the segments of `dir` copied under new
 * sequence numbers until the directory holds `bytes`, then an open.
 */
static void
run_startup(const char *dir, uint64_t bytes)
{
	char src[1024], dst[1024], buf[1 << 16];
	struct pw_hist_opts o;
	struct pw_history *h;
	struct dirent **names;
	uint64_t seq = 0x1000, have;
	double t0;
	int n, i, copied = 0;
	ssize_t r;

	n = scandir(dir, &names, NULL, alphasort);
	while ((have = dir_bytes(dir)) < bytes && n > 0) {
		for (i = 0; i < n && dir_bytes(dir) < bytes; i++) {
			const char *d = names[i]->d_name;
			int fi, fo;
			size_t dl = strlen(d);

			if (strncmp(d, "raw-", 4) != 0 || dl != 24)
				continue;
			snprintf(src, sizeof(src), "%s/%s", dir, d);
			snprintf(dst, sizeof(dst), "%s/raw-%016" PRIx64 ".pws",
			    dir, seq);
			if ((fi = open(src, O_RDONLY)) < 0 ||
			    (fo = open(dst, O_WRONLY | O_CREAT, 0640)) < 0)
				exit(1);
			while ((r = read(fi, buf, sizeof(buf))) > 0)
				if (write(fo, buf, (size_t)r) != r)
					exit(1);
			close(fi);
			close(fo);
			/* Its index: the same content, so valid as it is. */
			snprintf(src + strlen(src), sizeof(src) - strlen(src),
			    ".idx");
			snprintf(dst + strlen(dst), sizeof(dst) - strlen(dst),
			    ".idx");
			if ((fi = open(src, O_RDONLY)) >= 0) {
				fo = open(dst, O_WRONLY | O_CREAT, 0640);
				while ((r = read(fi, buf, sizeof(buf))) > 0)
					if (write(fo, buf, (size_t)r) != r)
						exit(1);
				close(fi);
				close(fo);
			}
			seq++;
			copied++;
		}
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	pw_hist_opts_init(&o);
	o.dir = dir;
	o.max_bytes = bytes + (bytes >> 3);
	/* Cold-ish: drop what we can of the page cache (root only). */
	sync();
	{
		FILE *f = fopen("/proc/sys/vm/drop_caches", "w");

		if (f != NULL) {
			fputs("1\n", f);
			fclose(f);
		}
	}
	t0 = now_ms();
	if (pw_history_open(&o, &h, NULL) != 0)
		exit(1);
	printf("start-up over %.2f GiB (%d segments copied in): open %.1f ms\n",
	    (double)dir_bytes(dir) / (1 << 30), copied, now_ms() - t0);
	pw_history_close(h);
}

int
main(int argc, char **argv)
{
	int nprocs = argc > 1 ? atoi(argv[1]) : 1000;
	int cycles = argc > 2 ? atoi(argv[2]) : 3600;
	char base[512], d[600];
	const char *tmp = getenv("TMPDIR");

	setvbuf(stdout, NULL, _IOLBF, 0);	/* figures as they come */
	if (argc > 3)
		snprintf(base, sizeof(base), "%s", argv[3]);
	else {
		snprintf(base, sizeof(base), "%s/hist_benchXXXXXX",
		    tmp ? tmp : "/tmp");
		if (mkdtemp(base) == NULL)
			return 1;
	}
	for (int busy = 0; busy < 2; busy++) {
		snprintf(d, sizeof(d), "%s/ours%d", base, busy);
		run_ours(d, nprocs, cycles, busy);
		if (getenv("HIST_BENCH_NO_SQLITE") == NULL) {
			snprintf(d, sizeof(d), "%s/sqlite%d", base, busy);
			run_sqlite(d, nprocs, cycles, busy);
			rm_dir(d);
		}
	}
	if (getenv("HIST_BENCH_STARTUP") != NULL) {
		snprintf(d, sizeof(d), "%s/ours1", base);
		run_startup(d, 1ull << 30);
	}
	if (getenv("HIST_BENCH_KEEP") != NULL) {
		printf("kept in %s\n", base);
		return 0;
	}
	snprintf(d, sizeof(d), "%s/ours0", base);
	rm_dir(d);
	snprintf(d, sizeof(d), "%s/ours1", base);
	rm_dir(d);
	rmdir(base);
	return 0;
}

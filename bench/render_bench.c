/*
 * render_bench.c: how long the HTTP answers that cover every process take
 * to render, without the network.
 *
 *   bench/render_bench [-p PROCS] [-r ROUNDS]
 *
 * Fills a store with PROCS synthetic processes (default 1000, see
 * bench/synth.c) and times, as the handlers run them: the snapshot copy;
 * the /metrics process families (api_prom_render()) plus the per-group
 * families (api_prom_groups()); and the
 * /api/v1/processes JSON (api_json_proc() per process, printed).  Prints
 * the median and the worst of ROUNDS (default 50) runs and the page sizes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include <procwatch/monitor.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "bench/synth.h"

static void
report(const char *what, double *t, int n, size_t bytes)
{
	bench_sort(t, n);
	printf("%-40s median %7.3f ms   max %7.3f ms", what, t[n / 2],
	    t[n - 1]);
	if (bytes > 0)
		printf("   %zu bytes", bytes);
	printf("\n");
}

/* /metrics: the process families and the group families. */
static size_t
render_metrics(const struct pw_snapshot *snap)
{
	struct pw_monitor_stats st;
	char *page, *tpage;
	size_t len, tlen;

	memset(&st, 0, sizeof(st));
	if (api_prom_render(snap, &st, 100, "bench", &page, &len) < 0 ||
	    api_prom_groups(snap, 100, &tpage, &tlen) < 0) {
		fprintf(stderr, "render_bench: render failed\n");
		exit(1);
	}
	free(page);
	free(tpage);
	return len + tlen;
}

/* /api/v1/processes. */
static size_t
render_json(const struct pw_snapshot *snap)
{
	cJSON *o, *arr, *p;
	char *text;
	size_t i, len;

	if ((o = cJSON_CreateObject()) == NULL ||
	    (arr = cJSON_AddArrayToObject(o, "processes")) == NULL)
		exit(1);
	for (i = 0; i < snap->n; i++) {
		if ((p = api_json_proc(&snap->procs[i], snap->mem_total)) ==
		    NULL || !cJSON_AddItemToArray(arr, p))
			exit(1);
	}
	if ((text = cJSON_PrintUnformatted(o)) == NULL)
		exit(1);
	len = strlen(text);
	cJSON_free(text);
	cJSON_Delete(o);
	return len;
}

int
main(int argc, char **argv)
{
	int procs = 1000, rounds = 50, c, r;
	double *ts, *tm, *tj, t0;
	struct pw_snapshot *snap;
	struct pw_store *st;
	size_t mbytes = 0, jbytes = 0;

	while ((c = getopt(argc, argv, "p:r:")) != -1) {
		if (c == 'p')
			procs = atoi(optarg);
		else if (c == 'r')
			rounds = atoi(optarg);
		else {
			fprintf(stderr, "usage: render_bench [-p PROCS] "
			    "[-r ROUNDS]\n");
			return 2;
		}
	}
	if (procs < 1 || rounds < 1)
		return 2;
	ts = calloc((size_t)rounds, sizeof(*ts));
	tm = calloc((size_t)rounds, sizeof(*tm));
	tj = calloc((size_t)rounds, sizeof(*tj));
	if ((st = bench_fill(procs, 10)) == NULL || ts == NULL || tm == NULL ||
	    tj == NULL) {
		fprintf(stderr, "render_bench: out of memory\n");
		return 1;
	}
	printf("store: %d processes, 10 samples each\n", procs);
	for (r = 0; r < rounds; r++) {
		t0 = bench_now_ms();
		if (pw_store_snapshot(st, false, &snap) < 0)
			return 1;
		ts[r] = bench_now_ms() - t0;
		t0 = bench_now_ms();
		mbytes = render_metrics(snap);
		tm[r] = bench_now_ms() - t0;
		t0 = bench_now_ms();
		jbytes = render_json(snap);
		tj[r] = bench_now_ms() - t0;
		pw_snapshot_free(snap);
	}
	report("snapshot of every process", ts, rounds, 0);
	report("/metrics (processes + targets)", tm, rounds, mbytes);
	report("/api/v1/processes JSON", tj, rounds, jbytes);
	pw_store_free(st);
	free(ts);
	free(tm);
	free(tj);
	return 0;
}

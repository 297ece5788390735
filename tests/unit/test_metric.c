/*
 * test_metric.c: lib/metric.c, the metric catalogue: every row complete,
 * names unique, the readers against values computed by hand from
 * hand-built samples, and no metric name spelt out elsewhere in lib/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/metric.h>

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define NEAR(a, b, eps)	assert_true(fabs((a) - (b)) <= (eps))

static const struct pw_metric_def *
def(unsigned i)
{
	const struct pw_metric_def *d = pw_metric_def((enum pw_metric)i);

	assert_non_null(d);
	return d;
}

static void
test_metric_rows_complete(void **state)
{
	const struct pw_metric_def *d;
	const char *p;
	unsigned i;

	(void)state;
	for (i = 0; i < PW_METRIC_NROWS; i++) {
		d = def(i);
		assert_non_null(d->name);
		assert_non_null(d->unit);
		assert_non_null(d->help);
		assert_true(d->help[0] != '\0' &&
		    d->help[strlen(d->help) - 1] == '.');
		/* Clients head columns and legends with it. */
		if (d->label == NULL || d->label[0] == '\0')
			fail_msg("%s has no label", d->name);
		assert_true(d->kind <= PW_KIND_RATIO);
		assert_true(d->rollup <= PW_ROLLUP_LAST);
		for (p = d->name; *p != '\0'; p++)
			assert_true((*p >= 'a' && *p <= 'z') || *p == '_');
		/* A scope flag goes with a reader for that scope. */
		assert_int_equal((d->flags & PW_MF_PROCESS) != 0,
		    d->proc != NULL);
		if (d->group != NULL)
			assert_true(d->flags & PW_MF_GROUP);
		if (d->flags & PW_MF_GROUP)
			assert_true(d->group != NULL || d->proc != NULL);
		if (d->flags & PW_MF_RULE_PROCESS)
			assert_true(d->flags & PW_MF_PROCESS);
		if (d->flags & PW_MF_RULE_GROUP)
			assert_true(d->flags & PW_MF_GROUP);
		/* Counters roll up as an increase, the rest do not. */
		assert_int_equal(d->kind == PW_KIND_COUNTER,
		    d->rollup == PW_ROLLUP_INCREASE);
		/* The windowed rows come first, before PW_METRIC_COUNT. */
		assert_int_equal((d->flags & PW_MF_STATS) != 0,
		    i < PW_METRIC_COUNT);
	}
	assert_null(pw_metric_def(PW_METRIC_NROWS));
	assert_null(pw_metric_name(PW_METRIC_NROWS));
}

static void
test_metric_names_unique_and_found(void **state)
{
	enum pw_metric m;
	unsigned i, j;

	(void)state;
	for (i = 0; i < PW_METRIC_NROWS; i++) {
		for (j = i + 1; j < PW_METRIC_NROWS; j++)
			assert_string_not_equal(def(i)->name, def(j)->name);
		assert_int_equal(pw_metric_lookup(def(i)->name,
		    strlen(def(i)->name), 0, &m), 0);
		assert_int_equal(m, i);
	}
	assert_int_equal(pw_metric_lookup("fd_limit", 8, 0, &m), 0);
	assert_int_equal(m, PW_METRIC_FD_LIMIT);
	assert_int_equal(pw_metric_lookup("fd_limit", 8, PW_MF_STATS, &m),
	    -EINVAL);
	assert_int_equal(pw_metric_lookup("processes", 9, PW_MF_RULE_GROUP,
	    &m), 0);
	assert_int_equal(pw_metric_lookup("processes", 9, PW_MF_RULE_PROCESS,
	    &m), -EINVAL);
	assert_int_equal(pw_metric_lookup(NULL, 0, 0, &m), -EINVAL);
}

/* A family's rows agree on type and help; each series has its label. */
static void
check_prom(bool group)
{
	const struct pw_metric_prom *a, *b;
	const enum pw_metric *order;
	size_t n, i, j, k, listed = 0;

	order = pw_metric_prom_order(group, &n);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		a = group ? &def(order[i])->gprom : &def(order[i])->prom;
		assert_non_null(a->family);
		assert_non_null(a->help);
		assert_true(strcmp(a->type, "gauge") == 0 ||
		    strcmp(a->type, "counter") == 0);
		assert_true(strncmp(a->family, group ? "procwatch_group_" :
		    "procwatch_process_", group ? 16 : 18) == 0);
		assert_true(a->decimals <= 9);
		for (j = i + 1; j < n; j++) {
			b = group ? &def(order[j])->gprom :
			    &def(order[j])->prom;
			assert_int_not_equal(order[i], order[j]);
			if (strcmp(a->family, b->family) != 0)
				continue;
			/* Contiguous: every row between has the family. */
			for (k = i + 1; k < j; k++)
				assert_string_equal((group ?
				    &def(order[k])->gprom :
				    &def(order[k])->prom)->family, a->family);
			assert_string_equal(a->type, b->type);
			assert_string_equal(a->help, b->help);
			assert_non_null(a->label);
			assert_non_null(b->label);
			assert_string_not_equal(a->label, b->label);
		}
	}
	for (i = 0; i < PW_METRIC_NROWS; i++)
		if ((group ? def(i)->gprom.family : def(i)->prom.family) !=
		    NULL)
			listed++;
	assert_int_equal(listed, n);
}

static void
test_metric_prom_families(void **state)
{
	(void)state;
	check_prom(false);
	check_prom(true);
	assert_string_equal(def(PW_METRIC_RSS_BYTES)->prom.family,
	    "procwatch_process_resident_memory_bytes");
	assert_string_equal(def(PW_METRIC_CPU_USER_SECONDS)->prom.label,
	    "mode=\"user\"");
	assert_string_equal(def(PW_METRIC_FD_USAGE)->gprom.family,
	    "procwatch_group_fd_usage_max");
}

static struct pw_sample
mk(int64_t ts_ms)
{
	struct pw_sample s;

	memset(&s, 0, sizeof(s));
	s.ts_ms = ts_ms;
	s.utime_ticks = 150;
	s.stime_ticks = 100;
	s.cpu_user_pct = 30;
	s.cpu_system_pct = 12.5;
	s.rss_bytes = 4096;
	s.vms_bytes = 8192;
	s.swap_bytes = 512;
	s.open_fds = 250;
	s.threads = 3;
	s.ctx_voluntary = 100;
	s.ctx_involuntary = 7;
	s.minor_faults = 40;
	s.major_faults = 2;
	s.read_bytes = 1000;
	s.write_bytes = 3000;
	return s;
}

static double
read_ok(enum pw_metric m, const struct pw_metric_ctx *c,
    const struct pw_sample *cur, const struct pw_sample *prev)
{
	double v = -1;

	assert_true(pw_metric_read(m, c, cur, prev, &v));
	return v;
}

static void
test_metric_process_readers(void **state)
{
	struct pw_metric_ctx c = { .mem_total = 409600, .fd_limit = 1000,
	    .hz = 100, .start_time_ms = 1500 };
	struct pw_sample p = mk(1000), s = mk(3000);
	double v;

	(void)state;
	s.ctx_voluntary = 300;		/* +200 in 2 s */
	s.read_bytes = 5000;		/* +4000 in 2 s */
	s.utime_ticks = 350;		/* +200 + 0 ticks in 2 s */
	NEAR(read_ok(PW_METRIC_CPU_PERCENT, &c, &s, NULL), 42.5, 0);
	NEAR(read_ok(PW_METRIC_CPU_SYSTEM_PERCENT, &c, &s, NULL), 12.5, 0);
	NEAR(read_ok(PW_METRIC_RSS_BYTES, &c, &s, NULL), 4096, 0);
	NEAR(read_ok(PW_METRIC_MEMORY_PERCENT, &c, &s, NULL), 1.0, 1e-12);
	NEAR(read_ok(PW_METRIC_FD_USAGE, &c, &s, NULL), 0.25, 1e-12);
	NEAR(read_ok(PW_METRIC_FD_LIMIT, &c, NULL, NULL), 1000, 0);
	NEAR(read_ok(PW_METRIC_START_TIME, &c, NULL, NULL), 1.5, 1e-12);
	NEAR(read_ok(PW_METRIC_CTX_VOLUNTARY, &c, &s, NULL), 300, 0);
	NEAR(read_ok(PW_METRIC_CTX_VOLUNTARY_RATE, &c, &s, &p), 100, 1e-12);
	NEAR(read_ok(PW_METRIC_READ_BYTES_RATE, &c, &s, &p), 2000, 1e-12);
	NEAR(read_ok(PW_METRIC_CPU_TICKS_RATE, &c, &s, &p), 100, 1e-12);
	NEAR(read_ok(PW_METRIC_CPU_USER_SECONDS, &c, &s, NULL), 3.5, 1e-12);
	NEAR(read_ok(PW_METRIC_CPU_SECONDS, &c, &s, NULL), 4.5, 1e-12);

	/* Unlimited: about 0, a process that cannot run out. */
	c.fd_limit = UINT64_MAX;
	NEAR(read_ok(PW_METRIC_FD_USAGE, &c, &s, NULL), 0, 1e-15);

	/* What is unknown. */
	c.fd_limit = 0;
	c.mem_total = 0;
	c.hz = 0;
	assert_false(pw_metric_read(PW_METRIC_FD_USAGE, &c, &s, NULL, &v));
	assert_false(pw_metric_read(PW_METRIC_FD_LIMIT, &c, &s, NULL, &v));
	assert_false(pw_metric_read(PW_METRIC_MEMORY_PERCENT, &c, &s, NULL,
	    &v));
	assert_false(pw_metric_read(PW_METRIC_CPU_SECONDS, &c, &s, NULL, &v));
	assert_false(pw_metric_read(PW_METRIC_CTX_VOLUNTARY_RATE, &c, &s,
	    NULL, &v));
	assert_false(pw_metric_read(PW_METRIC_PROCESSES, &c, &s, NULL, &v));
	assert_false(pw_metric_read(PW_METRIC_RSS_BYTES, &c, NULL, NULL, &v));
	s.flags = PW_SAMPLE_NO_IO | PW_SAMPLE_NO_FDS;
	assert_false(pw_metric_read(PW_METRIC_READ_BYTES, &c, &s, NULL, &v));
	assert_false(pw_metric_read(PW_METRIC_READ_BYTES_RATE, &c, &s, &p,
	    &v));
	assert_false(pw_metric_read(PW_METRIC_OPEN_FDS, &c, &s, NULL, &v));
	s.flags = PW_SAMPLE_FIRST;
	assert_false(pw_metric_read(PW_METRIC_CPU_PERCENT, &c, &s, NULL, &v));

	/* A reset: unknown, or 0 when the context asks for it. */
	s.flags = 0;
	s.ctx_voluntary = 5;
	assert_false(pw_metric_read(PW_METRIC_CTX_VOLUNTARY_RATE, &c, &s, &p,
	    &v));
	c.flags = PW_MCTX_RESET_IS_ZERO;
	NEAR(read_ok(PW_METRIC_CTX_VOLUNTARY_RATE, &c, &s, &p), 0, 0);
}

static void
test_metric_group_readers(void **state)
{
	struct pw_metric_ctx c = { .mem_total = 409600, .fd_limit = 9,
	    .hz = 100, .min_processes = 2 };
	struct pw_group_sample g, p;
	double v;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.ts_ms = 3000;
	g.processes = 3;
	g.rss_bytes = 8192;
	g.cpu_user_ticks = 500;
	g.children_ticks = 50;
	g.fd_usage_max = 0.5;
	g.fd_usage_pid = 42;
	g.read_bytes = 9000;
	p = g;
	p.ts_ms = 1000;
	p.read_bytes = 1000;
	p.cpu_user_ticks = 300;
	assert_true(pw_metric_read_group(PW_METRIC_PROCESSES, &c, &g, NULL,
	    &v));
	NEAR(v, 3, 0);
	assert_true(pw_metric_read_group(PW_METRIC_UP, &c, &g, NULL, &v));
	NEAR(v, 1, 0);
	assert_true(pw_metric_read_group(PW_METRIC_MEMORY_PERCENT, &c, &g,
	    NULL, &v));
	NEAR(v, 2.0, 1e-12);
	assert_true(pw_metric_read_group(PW_METRIC_FD_USAGE, &c, &g, NULL,
	    &v));
	NEAR(v, 0.5, 0);
	assert_true(pw_metric_read_group(PW_METRIC_READ_BYTES_RATE, &c, &g,
	    &p, &v));
	NEAR(v, 4000, 1e-9);
	assert_true(pw_metric_read_group(PW_METRIC_CPU_TICKS_RATE, &c, &g,
	    &p, &v));
	NEAR(v, 100, 1e-9);
	assert_true(pw_metric_read_group(PW_METRIC_CHILDREN_CPU_SECONDS, &c,
	    &g, NULL, &v));
	NEAR(v, 0.5, 1e-12);
	assert_true(pw_metric_read_group(PW_METRIC_MIN_PROCESSES, &c, &g,
	    NULL, &v));
	NEAR(v, 2, 0);
	assert_false(pw_metric_read_group(PW_METRIC_MAX_PROCESSES, &c, &g,
	    NULL, &v));
	/* A group has no descriptor limit, whatever the context says. */
	assert_false(pw_metric_read_group(PW_METRIC_FD_LIMIT, &c, &g, NULL,
	    &v));
	/*
	 * No worst member: unknown, whether members live but none had both
	 * fd figures or the group is empty (not 0: nobody is "using" it).
	 */
	g.fd_usage_pid = 0;
	g.fd_usage_max = 0;		/* as pw_groupacc_end() leaves it */
	assert_false(pw_metric_read_group(PW_METRIC_FD_USAGE, &c, &g, NULL,
	    &v));
	g.processes = 0;
	assert_false(pw_metric_read_group(PW_METRIC_FD_USAGE, &c, &g, NULL,
	    &v));
	g.flags = PW_GSAMPLE_NO_CPU;
	assert_false(pw_metric_read_group(PW_METRIC_CPU_PERCENT, &c, &g, NULL,
	    &v));
}

/* Every field of s (a sample or group sample of `size` bytes) distinct. */
static void
fill_distinct(void *s, size_t size)
{
	unsigned char *b = s;
	size_t i;

	for (i = 0; i < size; i++)
		b[i] = (unsigned char)(i * 7 + 1);
}

/*
 * A row that names an exact field (struct pw_metric_exact) gives what its
 * reader gives, known and unknown alike, for a process and for a group,
 * under every combination of the flags that hide figures: the field and
 * the reader cannot disagree but in precision.
 */
static void
test_metric_exact_rows_agree_with_readers(void **state)
{
	static const unsigned pflags[] = { 0, PW_SAMPLE_FIRST,
	    PW_SAMPLE_NO_IO, PW_SAMPLE_NO_FDS, PW_SAMPLE_NO_IO |
	    PW_SAMPLE_NO_FDS | PW_SAMPLE_FIRST };
	static const unsigned gflags[] = { 0, PW_GSAMPLE_NO_CPU,
	    PW_GSAMPLE_NO_IO, PW_GSAMPLE_NO_FDS, PW_GSAMPLE_NO_CPU |
	    PW_GSAMPLE_NO_IO | PW_GSAMPLE_NO_FDS };
	struct pw_metric_ctx c = { .mem_total = 409600, .fd_limit = 1000,
	    .hz = 100, .start_time_ms = 1500, .min_processes = 1 };
	const struct pw_metric_def *d;
	struct pw_group_sample g;
	struct pw_sample s;
	unsigned i, k, nexact = 0, ngexact = 0;
	uint64_t u;
	double v;
	bool known;

	(void)state;
	for (i = 0; i < PW_METRIC_NROWS; i++) {
		d = def(i);
		if (d->exact.size != 0) {
			assert_true(d->exact.size == 4 || d->exact.size == 8);
			assert_true(d->exact.off + d->exact.size <=
			    sizeof(struct pw_sample));
			assert_true(pw_metric_is_exact(i, false));
			nexact++;
		}
		if (d->gexact.size != 0) {
			assert_true(d->gexact.size == 4 ||
			    d->gexact.size == 8);
			assert_non_null(d->group);
			assert_true(d->gexact.off + d->gexact.size <=
			    sizeof(struct pw_group_sample));
			ngexact++;
		}
		for (k = 0; k < NELEM(pflags); k++) {
			fill_distinct(&s, sizeof(s));
			s.flags = pflags[k];
			s.cpu_user_pct = 1.5;
			s.cpu_system_pct = 2.5;
			if (!pw_metric_is_exact(i, false)) {
				assert_false(pw_metric_read_exact(i, &s, &u));
				continue;
			}
			known = pw_metric_read(i, &c, &s, NULL, &v);
			assert_int_equal(pw_metric_read_exact(i, &s, &u),
			    known);
			if (known)
				assert_true(v == (double)u);
			assert_false(pw_metric_read_exact(i, NULL, &u));
		}
		for (k = 0; k < NELEM(gflags); k++) {
			fill_distinct(&g, sizeof(g));
			g.flags = gflags[k];
			g.cpu_user_pct = 1.5;
			g.cpu_system_pct = 2.5;
			g.fd_usage_max = 0.5;
			if (!pw_metric_is_exact(i, true)) {
				assert_false(pw_metric_read_group_exact(i, &g,
				    &u));
				continue;
			}
			known = pw_metric_read_group(i, &c, &g, NULL, &v);
			assert_int_equal(pw_metric_read_group_exact(i, &g,
			    &u), known);
			if (known)
				assert_true(v == (double)u);
			assert_false(pw_metric_read_group_exact(i, NULL, &u));
		}
	}
	/* The byte and event counters and sizes, at least. */
	assert_true(nexact >= 11);
	assert_true(ngexact >= 2);
	assert_true(pw_metric_is_exact(PW_METRIC_READ_BYTES, false));
	assert_true(pw_metric_is_exact(PW_METRIC_READ_BYTES, true));
	assert_true(pw_metric_is_exact(PW_METRIC_CTX_VOLUNTARY, true));
	assert_false(pw_metric_is_exact(PW_METRIC_CPU_PERCENT, false));
	assert_false(pw_metric_is_exact(PW_METRIC_PROCESSES, false));
	assert_false(pw_metric_is_exact(PW_METRIC_NROWS, false));
}

/*
 * 2^53 + 1 is the first integer a double cannot hold: the readers' double
 * rounds it, the exact field does not, for a process and for a group.
 */
static void
test_metric_exact_above_2p53(void **state)
{
	const uint64_t big = (UINT64_C(1) << 53) + 1;
	struct pw_metric_ctx c = { .hz = 100 };
	struct pw_group_sample g;
	struct pw_sample s;
	uint64_t u;
	double v;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.read_bytes = big;
	s.minor_faults = UINT64_MAX;
	assert_true(pw_metric_read(PW_METRIC_READ_BYTES, &c, &s, NULL, &v));
	assert_true((uint64_t)v != big);	/* why the field is needed */
	assert_true(pw_metric_read_exact(PW_METRIC_READ_BYTES, &s, &u));
	assert_true(u == big);
	assert_true(pw_metric_read_exact(PW_METRIC_MINOR_FAULTS, &s, &u));
	assert_true(u == UINT64_MAX);
	s.flags = PW_SAMPLE_NO_IO;
	assert_false(pw_metric_read_exact(PW_METRIC_READ_BYTES, &s, &u));

	memset(&g, 0, sizeof(g));
	g.read_bytes = big;			/* a group reader's field */
	g.ctx_voluntary = big + 2;	/* read over the mapped sample */
	g.flags = PW_GSAMPLE_NO_IO;		/* hides rates, not totals */
	assert_true(pw_metric_read_group_exact(PW_METRIC_READ_BYTES, &g, &u));
	assert_true(u == big);
	assert_true(pw_metric_read_group_exact(PW_METRIC_CTX_VOLUNTARY, &g,
	    &u));
	assert_true(u == big + 2);
}

/*
 * A group's cumulative counters are its own totals (the exited members'
 * included): known whenever it has a sample, whatever the live members'
 * figures were this cycle; only rates over them go unknown.
 */
static void
test_metric_group_totals_known_with_a_sample(void **state)
{
	struct pw_metric_ctx c = { .hz = 100 };
	struct pw_group_sample g, p;
	const struct pw_metric_def *d;
	double v;
	unsigned i;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.ts_ms = 3000;
	g.read_bytes = 9000;
	g.write_bytes = 700;
	g.flags = PW_GSAMPLE_NO_CPU | PW_GSAMPLE_NO_FDS | PW_GSAMPLE_NO_IO;
	p = g;
	p.ts_ms = 1000;
	p.flags = 0;
	for (i = 0; i < PW_METRIC_NROWS; i++) {
		d = def(i);
		if (d->gagg != PW_GAGG_ACCUMULATE)
			continue;
		assert_true(d->flags & PW_MF_GROUP);
		if (!pw_metric_read_group((enum pw_metric)i, &c, &g, NULL, &v))
			fail_msg("%s unknown with a sample", d->name);
		if (!pw_metric_read_group((enum pw_metric)i, &c, &g, &p, &v))
			fail_msg("%s unknown with two samples", d->name);
	}
	assert_true(pw_metric_read_group(PW_METRIC_READ_BYTES, &c, &g, NULL,
	    &v));
	NEAR(v, 9000, 0);
	assert_true(pw_metric_read_group(PW_METRIC_WRITE_BYTES, &c, &g, NULL,
	    &v));
	NEAR(v, 700, 0);
	/* Their rates need readable I/O in both samples. */
	assert_false(pw_metric_read_group(PW_METRIC_READ_BYTES_RATE, &c, &g,
	    &p, &v));
	/* No sample: no total. */
	assert_false(pw_metric_read_group(PW_METRIC_READ_BYTES, &c, NULL,
	    NULL, &v));
}

/* Settings are known before any sample, for a group as for a process. */
static void
test_metric_settings_need_no_sample(void **state)
{
	struct pw_metric_ctx c = { .min_processes = 2, .max_processes = 5,
	    .fd_limit = 64 };
	const struct pw_metric_def *d;
	double v;
	unsigned i;

	(void)state;
	assert_true(pw_metric_read_group(PW_METRIC_MIN_PROCESSES, &c, NULL,
	    NULL, &v));
	NEAR(v, 2, 0);
	assert_true(pw_metric_read_group(PW_METRIC_MAX_PROCESSES, &c, NULL,
	    NULL, &v));
	NEAR(v, 5, 0);
	assert_true(pw_metric_read(PW_METRIC_FD_LIMIT, &c, NULL, NULL, &v));
	NEAR(v, 64, 0);
	/* 0 is "no bound": unknown, sample or not. */
	c.max_processes = 0;
	assert_false(pw_metric_read_group(PW_METRIC_MAX_PROCESSES, &c, NULL,
	    NULL, &v));
	/* Anything else needs a sample. */
	for (i = 0; i < PW_METRIC_NROWS; i++) {
		d = def(i);
		if (d->flags & PW_MF_NO_SAMPLE)
			continue;
		assert_false(pw_metric_read_group((enum pw_metric)i, &c, NULL,
		    NULL, &v));
		assert_false(pw_metric_read((enum pw_metric)i, &c, NULL, NULL,
		    &v));
	}
}

/*
 * Outside the catalogue, lib/ names a metric through it, never as a
 * string of its own.  lib/procfs.c is left out: it parses the kernel's
 * /proc/PID/io, whose keys happen to be spelt like two of ours.
 */
static void
test_metric_names_not_spelt_elsewhere(void **state)
{
	static const char *const files[] = {
		"alert.c", "alert_group.c", "bottleneck.c", "group.c",
		"groupacc.c", "rule.c", "stats.c", "template.c",
	};
	char path[4096], quoted[80], *buf;
	const struct pw_metric_def *d;
	size_t f, len;
	unsigned i;
	FILE *fp;

	(void)state;
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		snprintf(path, sizeof(path), "%s/../../lib/%s", PW_FIXTURES,
		    files[f]);
		assert_non_null(fp = fopen(path, "r"));
		assert_non_null(buf = calloc(1, 1 << 20));
		len = fread(buf, 1, (1 << 20) - 1, fp);
		fclose(fp);
		buf[len] = '\0';
		for (i = 0; i < PW_METRIC_NROWS; i++) {
			d = def(i);
			if (!(d->flags & (PW_MF_STATS | PW_MF_RULE_PROCESS |
			    PW_MF_RULE_GROUP)))
				continue;
			snprintf(quoted, sizeof(quoted), "\"%s\"", d->name);
			if (strstr(buf, quoted) != NULL)
				fail_msg("lib/%s spells %s", files[f], quoted);
		}
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metric_rows_complete),
		cmocka_unit_test(test_metric_names_unique_and_found),
		cmocka_unit_test(test_metric_prom_families),
		cmocka_unit_test(test_metric_process_readers),
		cmocka_unit_test(test_metric_group_readers),
		cmocka_unit_test(test_metric_exact_rows_agree_with_readers),
		cmocka_unit_test(test_metric_exact_above_2p53),
		cmocka_unit_test(test_metric_group_totals_known_with_a_sample),
		cmocka_unit_test(test_metric_settings_need_no_sample),
		cmocka_unit_test(test_metric_names_not_spelt_elsewhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

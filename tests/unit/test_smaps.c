/*
 * test_smaps.c: the smaps and smaps_rollup parser (procwatch/smaps.h),
 * its readers against fake /proc trees, malformed files, and the PSS
 * schedule of the sampler (lib/pss.c) driven with a fake clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/monitor.h>
#include <procwatch/procfs.h>
#include <procwatch/smaps.h>
#include <procwatch/store.h>

#include "tests/unit/fakeproc.h"

#define T0	1800000000000LL		/* fake wall clock, ms */
#define KB	1024ULL

/* A smaps_rollup as Linux 6.x writes it; values checkable by hand. */
static const char rollup[] =
    "55d0c0a00000-7ffd5a5f1000 ---p 00000000 00:00 0"
    "                          [rollup]\n"
    "Rss:                6144 kB\n"
    "Pss:                4100 kB\n"
    "Pss_Dirty:          2000 kB\n"
    "Pss_Anon:           2000 kB\n"
    "Pss_File:           2100 kB\n"
    "Pss_Shmem:             0 kB\n"
    "Shared_Clean:       3072 kB\n"
    "Shared_Dirty:          0 kB\n"
    "Private_Clean:      1024 kB\n"
    "Private_Dirty:      2048 kB\n"
    "Referenced:         6144 kB\n"
    "Anonymous:          2048 kB\n"
    "KSM:                   0 kB\n"
    "LazyFree:              0 kB\n"
    "AnonHugePages:         0 kB\n"
    "ShmemPmdMapped:        0 kB\n"
    "FilePmdMapped:         0 kB\n"
    "Shared_Hugetlb:        0 kB\n"
    "Private_Hugetlb:       0 kB\n"
    "Swap:                512 kB\n"
    "SwapPss:             256 kB\n"
    "Locked:                0 kB\n";

/* Four mappings: a binary, the heap, shared memory, the stack. */
static const char smaps[] =
    "55d0c0a00000-55d0c0b00000 r-xp 00000000 08:01 1234"
    "                       /usr/sbin/web server\n"
    "Size:               1024 kB\n"
    "KernelPageSize:        4 kB\n"
    "Rss:                1024 kB\n"
    "Pss:                 512 kB\n"
    "Shared_Clean:       1024 kB\n"
    "Private_Clean:         0 kB\n"
    "Swap:                  0 kB\n"
    "SwapPss:               0 kB\n"
    "THPeligible:    0\n"
    "VmFlags: rd ex mr mw me dw\n"
    "55d0c1000000-55d0c1200000 rw-p 00000000 00:00 0"
    "                          [heap]\n"
    "Size:               2048 kB\n"
    "Rss:                2048 kB\n"
    "Pss:                2048 kB\n"
    "Private_Dirty:      2048 kB\n"
    "Anonymous:          2048 kB\n"
    "Swap:                512 kB\n"
    "SwapPss:             256 kB\n"
    "7f0000000000-7f0000300000 rw-s 00000000 00:01 99"
    "                          /dev/zero (deleted)\n"
    "Size:               3072 kB\n"
    "Rss:                3072 kB\n"
    "Pss:                1536 kB\n"
    "Shared_Dirty:       3072 kB\n"
    "7f0000400000-7f0000401000 rw-p 00000000 00:00 0 \n"
    "Size:                  4 kB\n"
    "Rss:                   0 kB\n"
    "Pss:                   0 kB\n"
    "7ffd5a5d0000-7ffd5a5f1000 rw-p 00000000 00:00 0"
    "                          [stack]\n"
    "Size:                132 kB\n"
    "Rss:                   4 kB\n"
    "Pss:                   4 kB\n"
    "Private_Dirty:         4 kB\n";

static int
setup(void **state)
{
	*state = fakeproc_new(NULL);
	return 0;
}

static int
teardown(void **state)
{
	fakeproc_free(*state);
	return 0;
}

/* Parse buf fed in chunks of `chunk` bytes, keeping `limit` mappings. */
static void
parse_chunked(const char *buf, size_t len, size_t chunk, size_t limit,
    struct pw_smaps_totals *t, size_t *nmaps, struct pw_smaps_map **maps,
    size_t *n)
{
	struct pw_smaps_parser *p;
	size_t at, k;

	assert_non_null(p = pw_smaps_parser_new(limit));
	for (at = 0; at < len; at += k) {
		k = len - at < chunk ? len - at : chunk;
		pw_smaps_parser_feed(p, buf + at, k);
	}
	assert_int_equal(pw_smaps_parser_finish(p, t, nmaps, maps, n), 0);
	pw_smaps_parser_free(p);
}

static void
test_smaps_rollup_fields(void **state)
{
	struct pw_smaps_totals t;

	(void)state;
	assert_int_equal(pw_smaps_parse_rollup(rollup, strlen(rollup), &t), 0);
	assert_int_equal(t.rss, 6144 * KB);
	assert_int_equal(t.pss, 4100 * KB);	/* not Pss_Dirty & co. */
	assert_int_equal(t.shared_clean, 3072 * KB);
	assert_int_equal(t.private_clean, 1024 * KB);
	assert_int_equal(t.private_dirty, 2048 * KB);
	assert_int_equal(pw_smaps_uss(&t), 3072 * KB);
	assert_int_equal(t.anonymous, 2048 * KB);
	assert_int_equal(pw_smaps_file(&t), 4096 * KB);
	assert_int_equal(t.swap, 512 * KB);	/* not SwapPss */
	assert_int_equal(t.swap_pss, 256 * KB);
	assert_true(t.has_pss);
	assert_true(t.has_swap_pss);
}

static void
test_smaps_largest_first_and_limit(void **state)
{
	struct pw_smaps_totals t;
	struct pw_smaps_map *m;
	size_t nmaps, n;

	(void)state;
	parse_chunked(smaps, strlen(smaps), 1 << 20, 3, &t, &nmaps, &m, &n);
	assert_int_equal(nmaps, 5);
	assert_int_equal(n, 3);
	assert_string_equal(m[0].name, "[heap]");
	assert_int_equal(m[0].start, 0x55d0c1000000ULL);
	assert_int_equal(m[0].end, 0x55d0c1200000ULL);
	assert_string_equal(m[0].perms, "rw-p");
	assert_int_equal(m[0].pss, 2048 * KB);
	assert_int_equal(m[0].swap, 512 * KB);
	assert_int_equal(m[0].swap_pss, 256 * KB);
	assert_int_equal(m[0].private_bytes, 2048 * KB);
	assert_string_equal(m[1].name, "/dev/zero (deleted)");
	assert_int_equal(m[1].size, 3072 * KB);
	assert_int_equal(m[1].pss, 1536 * KB);
	/* A path with a space is kept whole. */
	assert_string_equal(m[2].name, "/usr/sbin/web server");
	/* Totals are over every mapping, not the kept ones. */
	assert_int_equal(t.pss, (512 + 2048 + 1536 + 4) * KB);
	assert_int_equal(t.rss, (1024 + 2048 + 3072 + 4) * KB);
	free(m);

	/* All of them: the nameless one is [anon], the smallest last. */
	parse_chunked(smaps, strlen(smaps), 1 << 20, 10, &t, &nmaps, &m, &n);
	assert_int_equal(n, 5);
	assert_string_equal(m[3].name, "[stack]");
	assert_string_equal(m[4].name, "[anon]");
	free(m);

	/* Limit 0: totals only. */
	parse_chunked(smaps, strlen(smaps), 1 << 20, 0, &t, &nmaps, &m, &n);
	assert_int_equal(n, 0);
	assert_null(m);
	assert_int_equal(nmaps, 5);
	assert_null(pw_smaps_parser_new(PW_SMAPS_LIMIT_MAX + 1));
}

/* Any chunking gives what one whole buffer gives. */
static void
test_smaps_chunking_does_not_matter(void **state)
{
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 100 };
	struct pw_smaps_totals whole, t;
	struct pw_smaps_map *wm, *m;
	size_t wnm, wn, nmaps, n, i, j;

	(void)state;
	parse_chunked(smaps, strlen(smaps), 1 << 20, 5, &whole, &wnm, &wm,
	    &wn);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		parse_chunked(smaps, strlen(smaps), chunks[i], 5, &t, &nmaps,
		    &m, &n);
		assert_memory_equal(&t, &whole, sizeof(t));
		assert_int_equal(nmaps, wnm);
		assert_int_equal(n, wn);
		for (j = 0; j < n; j++)
			assert_memory_equal(&m[j], &wm[j], sizeof(m[j]));
		free(m);
	}
	free(wm);
}

/* More mappings than the limit, in rising order: the heap keeps the top. */
static void
test_smaps_keeps_the_largest_of_many(void **state)
{
	struct pw_smaps_parser *p;
	struct pw_smaps_totals t;
	struct pw_smaps_map *m;
	char line[256];
	size_t nmaps, n, i;
	int len;

	(void)state;
	assert_non_null(p = pw_smaps_parser_new(4));
	for (i = 1; i <= 1000; i++) {
		len = snprintf(line, sizeof(line), "%zx000-%zx000 rw-p 00000000 "
		    "00:00 0\nRss: %zu kB\nPss: %zu kB\n", i * 16, i * 16 + 1,
		    (i * 7919) % 1000, (i * 7919) % 1000);
		pw_smaps_parser_feed(p, line, (size_t)len);
	}
	assert_int_equal(pw_smaps_parser_finish(p, &t, &nmaps, &m, &n), 0);
	pw_smaps_parser_free(p);
	assert_int_equal(nmaps, 1000);
	assert_int_equal(n, 4);
	/* 7919 is prime to 1000: every PSS 0..999 kB occurs once. */
	for (i = 0; i < 4; i++)
		assert_int_equal(m[i].pss, (999 - i) * KB);
	free(m);
}

/* Broken input is skipped, never a crash or a read past the end. */
static void
test_smaps_malformed_is_skipped(void **state)
{
	static const char *const bad[] = {
		"",
		"\n\n\n",
		"garbage\n",
		"Pss:\n",
		"Pss: kB\n",
		"Pss: 12\n",
		"Pss: 12 MB\n",
		"Pss: -12 kB\n",
		"Pss: 99999999999999999999999 kB\n",
		"Pss: 18014398509481983 kB\n",	/* * 1024 overflows */
		"zzzz-1000 rw-p 0 0 0 x\n",
		"1000-zzzz rw-p 0 0 0 x\n",
		"1000-2000\n",
		"1000-2000 rw\n",
		"1000-2000 rw-p\n",
		"1000-2000 r\001-p 0 0:0 0 x\n",	/* not a perms field */
		"11111111111111111-2000 rw-p 0 0:0 0 x\n",
		":\n",
		"Rss: 4 kB",			/* no newline at the end */
		"1000-2000 rw-p 0 0:0 0 x\nPss: 4 kB\n\0\0Pss: 5 kB\n",
	};
	struct pw_smaps_totals t;
	struct pw_smaps_map *m;
	char *big;
	size_t i, nmaps, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		parse_chunked(bad[i], strlen(bad[i]), 3, 2, &t, &nmaps, &m, &n);
		free(m);
	}
	/* The rules the cases above rely on. */
	parse_chunked("Pss: 12 MB\nPss: 3 kB\n", 21, 5, 1, &t, &nmaps, &m, &n);
	assert_int_equal(t.pss, 3 * KB);
	free(m);
	parse_chunked("Pss: 18014398509481984 kB\n", 26, 4, 1, &t, &nmaps,
	    &m, &n);
	assert_int_equal(t.pss, UINT64_MAX);	/* saturated, not wrapped */
	free(m);
	assert_int_equal(pw_smaps_parse_rollup("garbage\n", 8, &t), -EINVAL);
	assert_int_equal(pw_smaps_parse_rollup("Rss: 4 kB", 9, &t), 0);
	assert_int_equal(t.rss, 4 * KB);	/* a last line without \n */

	/* A header far longer than a line: the name is cut, "..." ended. */
	assert_non_null(big = malloc(3 * PW_SMAPS_LINE_MAX));
	memset(big, 'x', 3 * PW_SMAPS_LINE_MAX);
	memcpy(big, "1000-2000 rw-p 00000000 00:00 0 /", 33);
	big[3 * PW_SMAPS_LINE_MAX - 1] = '\n';
	parse_chunked(big, 3 * PW_SMAPS_LINE_MAX, 1000, 2, &t, &nmaps, &m,
	    &n);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(m[0].name), PW_SMAPS_NAME_MAX - 1);
	assert_string_equal(m[0].name + PW_SMAPS_NAME_MAX - 4, "...");
	free(m);
	/* A field line that long is dropped. */
	memset(big, '1', 3 * PW_SMAPS_LINE_MAX);
	memcpy(big, "Pss: ", 5);
	memcpy(big + 3 * PW_SMAPS_LINE_MAX - 4, " kB\n", 4);
	parse_chunked(big, 3 * PW_SMAPS_LINE_MAX, 999, 2, &t, &nmaps, &m,
	    &n);
	assert_int_equal(t.pss, 0);
	free(m);
	free(big);
}

static void
test_smaps_read_from_a_tree(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a = { .pid = 100, .comm = "web", .rss_kb = 6144 };
	struct pw_smaps_totals t;
	struct pw_smaps_map *m;
	struct pw_procfs *fs;
	size_t nmaps, n;

	fakeproc_add(fk, &a);
	assert_non_null(fs = pw_procfs_new(fakeproc_root(fk)));
	/* No such process; a process without the files (an old kernel). */
	assert_int_equal(pw_smaps_read_rollup(fs, 4242, &t), -ESRCH);
	assert_int_equal(pw_smaps_read_maps(fs, 4242, 5, &t, &nmaps, &m, &n),
	    -ESRCH);
	assert_int_equal(pw_smaps_read_rollup(fs, 100, &t), -ENOENT);
	/* An empty rollup: a kernel thread or a zombie. */
	fakeproc_put(fk, 100, "smaps_rollup", "%s", "");
	assert_int_equal(pw_smaps_read_rollup(fs, 100, &t), -ENODATA);
	fakeproc_put(fk, 100, "smaps_rollup", "%s", "nonsense\n");
	assert_int_equal(pw_smaps_read_rollup(fs, 100, &t), -EINVAL);
	fakeproc_put(fk, 100, "smaps_rollup", "%s", rollup);
	assert_int_equal(pw_smaps_read_rollup(fs, 100, &t), 0);
	assert_int_equal(t.pss, 4100 * KB);
	fakeproc_put(fk, 100, "smaps", "%s", smaps);
	assert_int_equal(pw_smaps_read_maps(fs, 100, 1, &t, &nmaps, &m, &n),
	    0);
	assert_int_equal(nmaps, 5);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].name, "[heap]");
	free(m);
	pw_procfs_free(fs);
}

/* --- the schedule (lib/pss.c) --------------------------------------------- */

static struct pw_monitor *
mk_monitor(struct fakeproc *fk, unsigned every_ms, unsigned top)
{
	struct pw_monitor_config c;
	struct pw_monitor *m;
	int err = 0;

	pw_monitor_config_defaults(&c);
	c.proc_root = fakeproc_root(fk);
	c.history = 5;
	c.pss_every_ms = every_ms;
	c.pss_top = top;
	assert_non_null(m = pw_monitor_new(&c, &err));
	return m;
}

/* A process with `rss_kb` and a rollup saying PSS is pss_kb. */
static void
add_proc(struct fakeproc *fk, struct fakeproc_proc *p, pid_t pid,
    uint64_t rss_kb, uint64_t pss_kb)
{
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	p->ppid = 1;
	p->comm = "proc";
	p->cmdline = "proc";
	p->rss_kb = rss_kb;
	p->vms_kb = rss_kb * 2;
	p->has_schedstat = true;
	fakeproc_add(fk, p);
	fakeproc_put(fk, pid, "smaps_rollup", "1000-2000 ---p 00000000 00:00 0"
	    " [rollup]\nRss: %llu kB\nPss: %llu kB\nPrivate_Dirty: %llu kB\n"
	    "Swap: 0 kB\nSwapPss: 0 kB\n", (unsigned long long)rss_kb,
	    (unsigned long long)pss_kb, (unsigned long long)pss_kb / 2);
}

/* The published PSS of pid in bytes; 0 when unknown (ts_ms 0). */
static uint64_t
pss_of(struct pw_monitor *m, pid_t pid, int64_t *ts_ms)
{
	struct pw_snapshot *snap;
	uint64_t v = UINT64_MAX;
	size_t i;

	assert_int_equal(pw_store_snapshot(pw_monitor_store(m), false, &snap),
	    0);
	for (i = 0; i < snap->n; i++)
		if (snap->procs[i].pid == pid) {
			v = snap->procs[i].pss.ts_ms != 0 ?
			    snap->procs[i].pss.pss_bytes : 0;
			if (ts_ms != NULL)
				*ts_ms = snap->procs[i].pss.ts_ms;
		}
	pw_snapshot_free(snap);
	assert_true(v != UINT64_MAX);
	return v;
}

static void
test_smaps_schedule_top_by_rss(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a, b, c;
	struct pw_monitor *m;
	struct pw_snapshot *snap;
	int64_t ts = 0;

	add_proc(fk, &a, 100, 1000, 700);
	add_proc(fk, &b, 200, 3000, 2000);
	add_proc(fk, &c, 300, 2000, 1500);
	m = mk_monitor(fk, 1000, 2);
	assert_int_equal(pw_monitor_cycle(m, T0), 0);
	assert_int_equal(pss_of(m, 200, &ts), 2000 * KB);
	assert_int_equal(ts, T0);
	assert_int_equal(pss_of(m, 300, NULL), 1500 * KB);
	assert_int_equal(pss_of(m, 100, &ts), 0);	/* not in the top 2 */
	assert_int_equal(ts, 0);
	assert_int_equal(pw_store_snapshot(pw_monitor_store(m), false, &snap),
	    0);
	assert_int_equal(snap->procs[1].pss.uss_bytes, 1000 * KB);
	assert_true(snap->procs[1].pss.has_swap_pss);
	pw_snapshot_free(snap);

	/* a grows past c: the next round reads a and forgets c. */
	a.rss_kb = 2500;
	fakeproc_update(fk, &a);
	assert_int_equal(pw_monitor_cycle(m, T0 + 1000), 0);
	assert_int_equal(pss_of(m, 100, &ts), 700 * KB);
	assert_int_equal(ts, T0 + 1000);
	assert_int_equal(pss_of(m, 300, NULL), 0);
	assert_int_equal(pss_of(m, 200, NULL), 2000 * KB);

	/* A rollup that turns unreadable makes the figure unknown. */
	fakeproc_put(fk, 200, "smaps_rollup", "%s", "");
	assert_int_equal(pw_monitor_cycle(m, T0 + 2000), 0);
	assert_int_equal(pss_of(m, 200, NULL), 0);
	assert_int_equal(pss_of(m, 100, NULL), 700 * KB);
	pw_monitor_free(m);
}

/* A round's reads are spread over its cycles, biggest first. */
static void
test_smaps_schedule_spreads_reads(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a, b, c;
	struct pw_monitor_stats st;
	struct pw_monitor *m;
	int64_t ts = 0;

	add_proc(fk, &a, 100, 1000, 700);
	add_proc(fk, &b, 200, 3000, 2000);
	add_proc(fk, &c, 300, 2000, 1500);
	/* 3 s rounds at 1 s cycles: one read a cycle. */
	m = mk_monitor(fk, 3000, 3);
	assert_int_equal(pw_monitor_cycle(m, T0), 0);
	assert_int_equal(pss_of(m, 200, NULL), 2000 * KB);
	assert_int_equal(pss_of(m, 300, NULL), 0);
	assert_int_equal(pss_of(m, 100, NULL), 0);
	assert_int_equal(pw_monitor_cycle(m, T0 + 1000), 0);
	assert_int_equal(pss_of(m, 300, &ts), 1500 * KB);
	assert_int_equal(ts, T0 + 1000);
	assert_int_equal(pss_of(m, 100, NULL), 0);
	assert_int_equal(pw_monitor_cycle(m, T0 + 2000), 0);
	assert_int_equal(pss_of(m, 100, NULL), 700 * KB);
	pw_monitor_get_stats(m, &st);
	assert_int_equal(st.pss_reads, 3);
	/* The next round starts at T0 + 3000 with b again; the rest stay. */
	b.rss_kb = 3001;
	fakeproc_update(fk, &b);
	assert_int_equal(pw_monitor_cycle(m, T0 + 3000), 0);
	assert_int_equal(pss_of(m, 200, &ts), 2000 * KB);
	assert_int_equal(ts, T0 + 3000);
	assert_int_equal(pss_of(m, 100, &ts), 700 * KB);
	assert_int_equal(ts, T0 + 2000);
	pw_monitor_get_stats(m, &st);
	assert_int_equal(st.pss_reads, 4);
	pw_monitor_free(m);
}

static void
test_smaps_schedule_off(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a;
	struct pw_monitor_stats st;
	struct pw_monitor *m;

	add_proc(fk, &a, 100, 1000, 700);
	m = mk_monitor(fk, 1000, 0);
	assert_int_equal(pw_monitor_cycle(m, T0), 0);
	assert_int_equal(pw_monitor_cycle(m, T0 + 1000), 0);
	assert_int_equal(pss_of(m, 100, NULL), 0);
	pw_monitor_get_stats(m, &st);
	assert_int_equal(st.pss_reads, 0);
	pw_monitor_free(m);
}

/* On demand: rollup totals, smaps mappings; a tree without rollup. */
static void
test_smaps_monitor_memory(void **state)
{
	struct fakeproc *fk = *state;
	struct fakeproc_proc a = { .pid = 100, .comm = "web", .rss_kb = 6144 };
	struct pw_smaps_totals t;
	struct pw_smaps_map *maps;
	struct pw_monitor *m;
	size_t nmaps, n;

	fakeproc_add(fk, &a);
	m = mk_monitor(fk, 1000, 0);
	assert_int_equal(pw_monitor_memory(m, 4242, 5, &t, &nmaps, &maps, &n),
	    -ESRCH);
	fakeproc_put(fk, 100, "smaps", "%s", smaps);
	/* No smaps_rollup (before 4.14): smaps' sums. */
	assert_int_equal(pw_monitor_memory(m, 100, 2, &t, &nmaps, &maps, &n),
	    0);
	assert_int_equal(t.pss, (512 + 2048 + 1536 + 4) * KB);
	assert_int_equal(n, 2);
	free(maps);
	fakeproc_put(fk, 100, "smaps_rollup", "%s", rollup);
	assert_int_equal(pw_monitor_memory(m, 100, 2, &t, &nmaps, &maps, &n),
	    0);
	assert_int_equal(t.pss, 4100 * KB);
	assert_int_equal(nmaps, 5);
	assert_string_equal(maps[0].name, "[heap]");
	free(maps);
	pw_monitor_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_smaps_rollup_fields),
		cmocka_unit_test(test_smaps_largest_first_and_limit),
		cmocka_unit_test(test_smaps_chunking_does_not_matter),
		cmocka_unit_test(test_smaps_keeps_the_largest_of_many),
		cmocka_unit_test(test_smaps_malformed_is_skipped),
		cmocka_unit_test_setup_teardown(test_smaps_read_from_a_tree,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_smaps_schedule_top_by_rss,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_smaps_schedule_spreads_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smaps_schedule_off,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_smaps_monitor_memory,
		    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

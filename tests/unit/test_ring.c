/*
 * test_ring.c: the packed sample ring.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <procwatch/ring.h>

#define HZ	100

static struct pw_sample
mk(int64_t ts, uint64_t ut, uint64_t st, uint64_t rss)
{
	struct pw_sample s;

	memset(&s, 0, sizeof(s));
	s.ts_ms = ts;
	s.utime_ticks = ut;
	s.stime_ticks = st;
	s.rss_bytes = rss;
	s.vms_bytes = rss * 4;
	s.swap_bytes = 8192;
	s.open_fds = 7;
	s.threads = 3;
	s.state = PW_STATE_SLEEPING;
	s.ctx_voluntary = ts / 10;
	s.ctx_involuntary = ts / 100;
	s.minor_faults = ts;
	s.major_faults = 2;
	s.read_bytes = (uint64_t)ts * 1000;
	s.write_bytes = (uint64_t)ts * 10;
	return s;
}

static void
test_ring_record_is_56_bytes(void **state)
{
	(void)state;
	assert_int_equal(PW_RING_RECORD_BYTES, 56);
}

static void
test_ring_empty_has_no_latest(void **state)
{
	struct pw_ring *r = pw_ring_new(4, HZ);
	struct pw_sample s;

	(void)state;
	assert_non_null(r);
	assert_int_equal(pw_ring_len(r), 0);
	assert_int_equal(pw_ring_latest(r, &s), -ENOENT);
	assert_int_equal(pw_ring_copy(r, INT64_MIN, &s, 1), 0);
	pw_ring_free(r);
	assert_null(pw_ring_new(0, HZ));
	pw_ring_free(NULL);
}

static void
test_ring_first_sample_has_no_rate(void **state)
{
	struct pw_ring *r = pw_ring_new(4, HZ);
	struct pw_sample in = mk(1000, 50, 10, 1 << 20), out;

	(void)state;
	pw_ring_push(r, &in);
	assert_int_equal(pw_ring_latest(r, &out), 0);
	assert_true(out.flags & PW_SAMPLE_FIRST);
	assert_int_equal(out.ts_ms, 1000);
	assert_int_equal(out.utime_ticks, 50);
	assert_int_equal(out.rss_bytes, 1 << 20);
	assert_int_equal(out.vms_bytes, 4 << 20);
	assert_int_equal(out.swap_bytes, 8192);
	assert_int_equal(out.open_fds, 7);
	assert_int_equal(out.threads, 3);
	assert_int_equal(out.state, PW_STATE_SLEEPING);
	pw_ring_free(r);
}

static void
test_ring_cpu_percent_from_tick_deltas(void **state)
{
	struct pw_ring *r = pw_ring_new(4, HZ);
	struct pw_sample a = mk(10000, 100, 40, 4096);
	/* 2 s later: +150 user ticks (1.5 s) and +20 system ticks (0.2 s). */
	struct pw_sample b = mk(12000, 250, 60, 4096), out;

	(void)state;
	pw_ring_push(r, &a);
	pw_ring_push(r, &b);
	assert_int_equal(pw_ring_latest(r, &out), 0);
	assert_false(out.flags & PW_SAMPLE_FIRST);
	assert_float_equal(out.cpu_user_pct, 75.0, 1e-9);
	assert_float_equal(out.cpu_system_pct, 10.0, 1e-9);
	assert_int_equal(out.utime_ticks, 250);
	assert_int_equal(out.stime_ticks, 60);
	pw_ring_free(r);
}

static void
test_ring_counter_reset_counts_zero(void **state)
{
	struct pw_ring *r = pw_ring_new(4, HZ);
	struct pw_sample a = mk(1000, 500, 500, 4096);
	struct pw_sample b = mk(2000, 10, 10, 4096), out;

	(void)state;
	pw_ring_push(r, &a);
	pw_ring_push(r, &b);
	pw_ring_latest(r, &out);
	assert_float_equal(out.cpu_user_pct, 0.0, 1e-9);
	assert_float_equal(out.cpu_system_pct, 0.0, 1e-9);
	pw_ring_free(r);
}

static void
test_ring_push_overwrites_oldest(void **state)
{
	struct pw_ring *r = pw_ring_new(3, HZ);
	struct pw_sample s, out[8];
	int i;

	(void)state;
	for (i = 1; i <= 5; i++) {
		s = mk(i * 1000, (uint64_t)i * 10, (uint64_t)i, 4096 * (uint64_t)i);
		pw_ring_push(r, &s);
	}
	assert_int_equal(pw_ring_len(r), 3);
	assert_int_equal(pw_ring_cap(r), 3);
	assert_int_equal(pw_ring_pushed(r), 5);
	assert_int_equal(pw_ring_copy(r, INT64_MIN, out, 8), 3);
	for (i = 0; i < 3; i++) {
		/* Absolute counters are rebuilt from the deltas. */
		assert_int_equal(out[i].ts_ms, (i + 3) * 1000);
		assert_int_equal(out[i].utime_ticks, (i + 3) * 10);
		assert_int_equal(out[i].stime_ticks, i + 3);
		assert_int_equal(out[i].rss_bytes, 4096 * (i + 3));
		assert_int_equal(out[i].minor_faults, (i + 3) * 1000);
		assert_int_equal(out[i].read_bytes, (uint64_t)(i + 3) * 1000000);
		assert_int_equal(out[i].ctx_voluntary, (i + 3) * 100);
		/* The oldest reported sample still has its rate: 10 ticks/s. */
		assert_false(out[i].flags & PW_SAMPLE_FIRST);
		assert_float_equal(out[i].cpu_user_pct, 10.0, 1e-9);
	}
	pw_ring_free(r);
}

static void
test_ring_copy_since_and_limit(void **state)
{
	struct pw_ring *r = pw_ring_new(10, HZ);
	struct pw_sample s, out[10];
	int i;

	(void)state;
	for (i = 1; i <= 10; i++) {
		s = mk(i * 1000, (uint64_t)i, 0, 4096);
		pw_ring_push(r, &s);
	}
	/* Newer than 7000: 8000, 9000, 10000. */
	assert_int_equal(pw_ring_copy(r, 7000, out, 10), 3);
	assert_int_equal(out[0].ts_ms, 8000);
	assert_int_equal(out[2].ts_ms, 10000);
	/* The limit keeps the newest. */
	assert_int_equal(pw_ring_copy(r, INT64_MIN, out, 2), 2);
	assert_int_equal(out[0].ts_ms, 9000);
	assert_int_equal(out[1].ts_ms, 10000);
	assert_int_equal(out[1].utime_ticks, 10);
	assert_int_equal(pw_ring_copy(r, 10000, out, 10), 0);
	pw_ring_free(r);
}

static void
test_ring_large_deltas_are_scaled(void **state)
{
	struct pw_ring *r = pw_ring_new(4, HZ);
	struct pw_sample a = mk(1000, 0, 0, 4096);
	/* 100 000 ticks of user CPU in 10 s (100 cores) and 10 GiB read. */
	struct pw_sample b = mk(11000, 100000, 0, 4096), out;

	(void)state;
	a.read_bytes = 0;
	b.read_bytes = 10ull << 30;
	pw_ring_push(r, &a);
	pw_ring_push(r, &b);
	pw_ring_latest(r, &out);
	assert_float_equal(out.cpu_user_pct, 10000.0, 10000.0 * 0.001);
	assert_int_equal(out.read_bytes, 10ull << 30);
	pw_ring_free(r);
}

static void
test_ring_huge_sizes_saturate(void **state)
{
	struct pw_ring *r = pw_ring_new(2, HZ);
	struct pw_sample a = mk(1000, 0, 0, 4096), out;

	(void)state;
	a.vms_bytes = 1ull << 50;	/* 1 PiB, past 16 TiB of 4 KiB units */
	a.open_fds = 50000000;
	a.threads = 100000;
	pw_ring_push(r, &a);
	pw_ring_latest(r, &out);
	assert_int_equal(out.vms_bytes, (uint64_t)UINT32_MAX * 4096);
	assert_int_equal(out.open_fds, (1u << 22) - 1);
	assert_int_equal(out.threads, UINT16_MAX);
	pw_ring_free(r);
}

static void
test_ring_clock_going_back_keeps_order(void **state)
{
	struct pw_ring *r = pw_ring_new(4, HZ);
	struct pw_sample a = mk(5000, 0, 0, 4096), b = mk(4000, 10, 0, 4096);
	struct pw_sample out[4];

	(void)state;
	pw_ring_push(r, &a);
	pw_ring_push(r, &b);
	assert_int_equal(pw_ring_copy(r, INT64_MIN, out, 4), 2);
	assert_true(out[0].ts_ms <= out[1].ts_ms);
	assert_float_equal(out[1].cpu_user_pct, 0.0, 1e-9);
	pw_ring_free(r);
}

static void
test_ring_flags_survive(void **state)
{
	struct pw_ring *r = pw_ring_new(2, HZ);
	struct pw_sample a = mk(1000, 0, 0, 4096), out;

	(void)state;
	a.flags = PW_SAMPLE_NO_IO | PW_SAMPLE_NO_FDS;
	a.state = PW_STATE_ZOMBIE;
	pw_ring_push(r, &a);
	pw_ring_push(r, &a);
	pw_ring_latest(r, &out);
	assert_int_equal(out.flags, PW_SAMPLE_NO_IO | PW_SAMPLE_NO_FDS);
	assert_int_equal(out.state, PW_STATE_ZOMBIE);
	pw_ring_free(r);
}

static void
test_ring_resize_keeps_newest(void **state)
{
	struct pw_ring *r = pw_ring_new(5, HZ);
	struct pw_sample s, out[8];
	int i;

	(void)state;
	for (i = 1; i <= 7; i++) {
		s = mk(i * 1000, (uint64_t)i * 10, 0, 4096);
		pw_ring_push(r, &s);
	}
	/* Shrink: the newest three stay, with their rates and counters. */
	assert_int_equal(pw_ring_resize(r, 3), 0);
	assert_int_equal(pw_ring_len(r), 3);
	assert_int_equal(pw_ring_copy(r, INT64_MIN, out, 8), 3);
	assert_int_equal(out[0].ts_ms, 5000);
	assert_int_equal(out[2].ts_ms, 7000);
	assert_int_equal(out[0].utime_ticks, 50);
	assert_float_equal(out[0].cpu_user_pct, 10.0, 1e-9);
	/* Grow: history stays, new pushes go after it. */
	assert_int_equal(pw_ring_resize(r, 6), 0);
	s = mk(8000, 80, 0, 4096);
	pw_ring_push(r, &s);
	assert_int_equal(pw_ring_copy(r, INT64_MIN, out, 8), 4);
	assert_int_equal(out[0].ts_ms, 5000);
	assert_int_equal(out[3].ts_ms, 8000);
	assert_int_equal(out[3].utime_ticks, 80);
	assert_int_equal(pw_ring_resize(r, 0), -EINVAL);
	pw_ring_free(r);
}

/* Delays: shares of the interval, unknown where either sample lacks one. */
static void
test_ring_delays_as_shares(void **state)
{
	struct pw_ring *r = pw_ring_new(8, HZ);
	struct pw_sample s = mk(1000, 0, 0, 4096), out[4];

	(void)state;
	s.cpu_delay_ns = 1000000000ULL;
	s.blkio_delay_ns = 5000000ULL;
	s.flags = PW_SAMPLE_NO_MEM_DELAY;
	pw_ring_push(r, &s);
	assert_int_equal(pw_ring_latest(r, &out[0]), 0);
	assert_true(out[0].flags & PW_SAMPLE_FIRST);
	/* 2 s later: 500 ms more run delay, 1.5 s more block I/O delay. */
	s = mk(3000, 0, 0, 4096);
	s.cpu_delay_ns = 1500000000ULL;
	s.blkio_delay_ns = 1505000000ULL;
	s.flags = PW_SAMPLE_NO_MEM_DELAY;
	pw_ring_push(r, &s);
	assert_int_equal(pw_ring_latest(r, &out[0]), 0);
	assert_float_equal(out[0].cpu_delay_pct, 25.0, 1e-9);
	assert_float_equal(out[0].io_delay_pct, 75.0, 1e-9);
	assert_int_equal(out[0].flags & PW_SAMPLE_NO_DELAYS,
	    PW_SAMPLE_NO_MEM_DELAY);
	/*
	 * 500 threads waiting 10 s each: scaled (102.4 ms units), within
	 * 0.1 %; the most a record holds is 6710 s.
	 */
	s = mk(13000, 0, 0, 4096);
	s.cpu_delay_ns = 1500000000ULL + 5000ULL * 1000000000ULL;
	s.blkio_delay_ns = 1505000000ULL;
	s.flags = PW_SAMPLE_NO_MEM_DELAY;
	pw_ring_push(r, &s);
	assert_int_equal(pw_ring_latest(r, &out[0]), 0);
	assert_float_equal(out[0].cpu_delay_pct, 50000.0, 50000.0 * 0.001);
	assert_float_equal(out[0].io_delay_pct, 0.0, 0.2);
	/* A counter that went back (a thread's share gone): unknown. */
	s = mk(14000, 0, 0, 4096);
	s.cpu_delay_ns = 1000;
	s.blkio_delay_ns = 1505000000ULL;
	s.flags = PW_SAMPLE_NO_MEM_DELAY;
	pw_ring_push(r, &s);
	assert_int_equal(pw_ring_latest(r, &out[0]), 0);
	assert_true(out[0].flags & PW_SAMPLE_NO_CPU_DELAY);
	assert_false(out[0].flags & PW_SAMPLE_NO_IO_DELAY);
	/* Older records decode their own shares. */
	assert_int_equal(pw_ring_copy(r, INT64_MIN, out, 4), 4);
	assert_float_equal(out[1].cpu_delay_pct, 25.0, 1e-9);
	assert_float_equal(out[1].io_delay_pct, 75.0, 1e-9);
	assert_int_equal(out[2].blkio_delay_ns, 1505000000ULL);
	assert_false(out[1].flags & PW_SAMPLE_NO_CPU_DELAY);
	assert_true(out[3].flags & PW_SAMPLE_NO_CPU_DELAY);
	pw_ring_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring_record_is_56_bytes),
		cmocka_unit_test(test_ring_empty_has_no_latest),
		cmocka_unit_test(test_ring_first_sample_has_no_rate),
		cmocka_unit_test(test_ring_cpu_percent_from_tick_deltas),
		cmocka_unit_test(test_ring_counter_reset_counts_zero),
		cmocka_unit_test(test_ring_push_overwrites_oldest),
		cmocka_unit_test(test_ring_copy_since_and_limit),
		cmocka_unit_test(test_ring_large_deltas_are_scaled),
		cmocka_unit_test(test_ring_huge_sizes_saturate),
		cmocka_unit_test(test_ring_clock_going_back_keeps_order),
		cmocka_unit_test(test_ring_flags_survive),
		cmocka_unit_test(test_ring_resize_keeps_newest),
		cmocka_unit_test(test_ring_delays_as_shares),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

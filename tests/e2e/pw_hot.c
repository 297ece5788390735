/*
 * pw_hot.c: a process with known hot functions, for the profiling tests.
 * It is built twice, with and without frame pointers (pw_hot_fp,
 * pw_hot_nofp): the unwinder must find the same stacks either way.
 *
 *   pw_hot spin         main -> hot_outer -> hot_inner, forever
 *   pw_hot spin SECS    the same, then exit(0) after SECS seconds
 *   pw_hot sleep        main -> sleep_loop -> nanosleep, forever
 *   pw_hot threads      a "hot-worker" thread spins, main sleeps
 *
 * "ready" on stdout means the state is set up.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/pwutil.h"

static volatile unsigned long sink;

static double
now_s(void)
{
	return (double)pw_mono_ns() / 1e9;
}

__attribute__((noinline)) static void
hot_inner(void)
{
	unsigned long x = sink;
	int i;

	for (i = 0; i < 100000; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	sink = x;
}

__attribute__((noinline)) static void
hot_outer(double until)
{
	for (;;) {
		hot_inner();
		if (until > 0 && now_s() >= until)
			return;
	}
}

__attribute__((noinline)) static void
sleep_loop(void)
{
	struct timespec ts = { 0, 200000000L };

	for (;;)
		nanosleep(&ts, NULL);
}

static void *
worker(void *arg)
{
	(void)arg;
	hot_outer(0);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t;

	if (argc < 2) {
		fprintf(stderr, "usage: pw_hot spin [SECS] | sleep | threads\n");
		return 2;
	}
	if (strcmp(argv[1], "spin") == 0) {
		printf("ready\n");
		fflush(stdout);
		hot_outer(argc > 2 ? now_s() + atof(argv[2]) : 0);
		return 0;
	}
	if (strcmp(argv[1], "sleep") == 0) {
		printf("ready\n");
		fflush(stdout);
		sleep_loop();
	}
	if (strcmp(argv[1], "threads") == 0) {
		if (pthread_create(&t, NULL, worker, NULL) != 0)
			return 1;
		pthread_setname_np(t, "hot-worker");
		printf("ready\n");
		fflush(stdout);
		sleep_loop();
	}
	return 2;
}

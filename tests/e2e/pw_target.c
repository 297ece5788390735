/*
 * pw_target.c: a process for the end-to-end tests to watch.
 *
 *   pw_target mem MIB      allocate and touch MIB MiB, then sleep
 *   pw_target fds N        hold N more open descriptors, then sleep
 *   pw_target spin         burn CPU in the main thread
 *   pw_target sleep [TAG]  sleep (TAG only marks the command line)
 *   pw_target leak MIB_PER_S    grow RSS steadily (touching the pages)
 *   pw_target fdleak N_PER_S    open descriptors steadily
 *   pw_target threads N    N threads: one ("hot-worker") spins, the rest sleep
 *   pw_target name COMM [TAG...]  set the process name (comm, at most 15
 *                          bytes) to COMM, then sleep
 *   pw_target forkburn N MS GO  once the file GO exists, fork N children
 *                          one after another, each burning MS ms of CPU
 *                          and exiting, reap each; then write "done" and
 *                          sleep (a shell running short commands)
 *
 * It runs until killed.  "ready" on stdout means the state is set up.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile unsigned long sink;

/* Sleep `ms` milliseconds. */
static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Grow by `per_s` units a second in 20 steps, forever. */
static void
leak(double mib_per_s)
{
	size_t step = (size_t)(mib_per_s * 1048576.0 / 20), i;
	char *p;

	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if ((p = malloc(step)) != NULL)
			for (i = 0; i < step; i += 4096)
				p[i] = (char)i;	/* touch: make it resident */
		nap(50);
	}
}

static void
fdleak(long per_s)
{
	long ms = per_s > 0 ? 1000 / per_s : 1000;

	printf("ready\n");
	fflush(stdout);
	for (;;) {
		(void)open("/dev/null", O_RDONLY);	/* EMFILE: stays flat */
		nap(ms > 0 ? ms : 1);
	}
}

/* Burn `ms` ms of this process's CPU time. */
static void
burn(long ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	do {
		sink++;
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 +
	    (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

static int
forkburn(long n, long ms, const char *go)
{
	pid_t pid;
	long i;

	printf("ready\n");
	fflush(stdout);
	while (access(go, F_OK) != 0)
		nap(20);
	for (i = 0; i < n; i++) {
		if ((pid = fork()) < 0)
			return 1;
		if (pid == 0) {
			burn(ms);
			_exit(0);
		}
		if (waitpid(pid, NULL, 0) != pid)
			return 1;
	}
	printf("done\n");
	fflush(stdout);
	return 0;
}

static void *
spinner(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "hot-worker");
	for (;;)
		sink++;
	return NULL;
}

static void *
sleeper(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "idle-worker");
	for (;;)
		pause();
	return NULL;
}

static int
threads(long n)
{
	pthread_t t;
	long i;

	if (pthread_create(&t, NULL, spinner, NULL) != 0)
		return 1;
	for (i = 1; i < n - 1; i++)
		if (pthread_create(&t, NULL, sleeper, NULL) != 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: pw_target mem MIB|fds N|spin|sleep\n");
		return 2;
	}
	if (strcmp(argv[1], "mem") == 0 && argc > 2) {
		size_t n = strtoul(argv[2], NULL, 10) << 20, i;
		char *p = malloc(n);

		if (p == NULL)
			return 1;
		for (i = 0; i < n; i += 4096)
			p[i] = (char)i;		/* touch every page */
		sink = (unsigned long)p[n / 2];
	} else if (strcmp(argv[1], "fds") == 0 && argc > 2) {
		long n = strtol(argv[2], NULL, 10), i;

		for (i = 0; i < n; i++)
			if (open("/dev/null", O_RDONLY) < 0)
				return 1;
	} else if (strcmp(argv[1], "spin") == 0) {
		printf("ready\n");
		fflush(stdout);
		for (;;)
			sink++;
	} else if (strcmp(argv[1], "name") == 0 && argc > 2) {
		if (prctl(PR_SET_NAME, argv[2], 0, 0, 0) < 0)
			return 1;
	} else if (strcmp(argv[1], "leak") == 0 && argc > 2) {
		leak(strtod(argv[2], NULL));
	} else if (strcmp(argv[1], "fdleak") == 0 && argc > 2) {
		fdleak(strtol(argv[2], NULL, 10));
	} else if (strcmp(argv[1], "threads") == 0 && argc > 2) {
		/* The main thread sleeps too: N threads in all. */
		if (threads(strtol(argv[2], NULL, 10)) != 0)
			return 1;
	} else if (strcmp(argv[1], "forkburn") == 0 && argc > 4) {
		if (forkburn(strtol(argv[2], NULL, 10),
		    strtol(argv[3], NULL, 10), argv[4]) != 0)
			return 1;
	} else if (strcmp(argv[1], "sleep") != 0) {
		fprintf(stderr, "pw_target: unknown mode %s\n", argv[1]);
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

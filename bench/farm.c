/*
 * farm.c: a farm of N long-lived target processes for the benchmarks.
 *
 *   bench/pw_farm N
 *
 * Most children sleep holding a few open descriptors; one in 50 of the
 * first 500 is busy (10 % duty cycle: 10 busy at most, so a large farm does
 * not saturate the machine) and one in 10 has 4 threads.  The parent prints the
 * children's pids, one per line, then "ready", and on SIGTERM or SIGINT
 * kills its children and exits.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static void *
sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void
child(int i)
{
	struct timespec on = { 0, 10000000 }, off = { 0, 90000000 }, t0, t;
	pthread_t th;
	int k;

	for (k = 0; k < 3; k++)
		open("/dev/null", O_RDONLY);
	if (i % 10 == 5)
		for (k = 0; k < 3; k++)
			pthread_create(&th, NULL, sleeper, NULL);
	if (i % 50 == 7 && i < 500) {
		for (;;) {
			clock_gettime(CLOCK_MONOTONIC, &t0);
			do {
				sink++;
				clock_gettime(CLOCK_MONOTONIC, &t);
			} while ((t.tv_sec - t0.tv_sec) * 1000000000L +
			    (t.tv_nsec - t0.tv_nsec) < on.tv_nsec);
			nanosleep(&off, NULL);
		}
	}
	for (;;)
		pause();
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 0, i, sig;
	pid_t *kids;
	sigset_t set;

	if (n <= 0) {
		fprintf(stderr, "usage: pw_farm N\n");
		return 2;
	}
	kids = calloc((size_t)n, sizeof(*kids));
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < n; i++) {
		if ((kids[i] = fork()) == 0) {
			sigprocmask(SIG_UNBLOCK, &set, NULL);
			child(i);
			_exit(0);
		}
		if (kids[i] < 0) {
			perror("fork");
			n = i;
			break;
		}
		printf("%d\n", (int)kids[i]);
	}
	printf("ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	for (i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	return 0;
}

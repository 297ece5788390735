/*
 * farm.c: a farm of N long-lived target processes for the benchmarks.
 *
 *   bench/pw_farm [-b K] [-u US] [-p MS] N
 *
 * Most children sleep holding a few open descriptors; one in 50 of the
 * first 500 is busy (10 % duty cycle: 10 busy at most, so a large farm does
 * not saturate the machine) and one in 10 has 4 threads.  This is the
 * mostly idle farm.  With -b K (the busy farm, -b 4: a quarter) every Kth
 * child that is not one of those ten also runs lightly: it wakes every MS
 * (-p, default 100) milliseconds and spins for US (-u, default 100)
 * microseconds, 0.1 % of a core each by default, so that a monitor sees
 * its CPU time change at every sample without the farm saturating the
 * machine (250 such children at N=1000 use a quarter of one core).  The
 * phases are spread so that they do not all wake at once.  The parent
 * prints the children's pids, one per line, then "ready", and on SIGTERM
 * or SIGINT kills its children and exits.
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
static int busy_every;			/* -b: 0 = no light spinners */
static long spin_ns = 100000;		/* -u */
static long period_ns = 100000000;	/* -p */

/* Spin for ns nanoseconds of wall time. */
static void
spin(long ns)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		sink++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L +
	    (t.tv_nsec - t0.tv_nsec) < ns);
}

/* Wake every period_ns on an absolute deadline and spin for spin_ns. */
static void
light(int i)
{
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	next.tv_nsec += (long)(i * 7919L % 1000) * (period_ns / 1000);
	for (;;) {
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		spin(spin_ns);
		next.tv_nsec += period_ns;
	}
}

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
	struct timespec off = { 0, 90000000 };
	pthread_t th;
	int k;

	for (k = 0; k < 3; k++)
		open("/dev/null", O_RDONLY);
	if (i % 10 == 5)
		for (k = 0; k < 3; k++)
			pthread_create(&th, NULL, sleeper, NULL);
	if (i % 50 == 7 && i < 500) {
		for (;;) {
			spin(10000000);
			nanosleep(&off, NULL);
		}
	}
	if (busy_every > 0 && i % busy_every == busy_every - 1)
		light(i);
	for (;;)
		pause();
}

int
main(int argc, char **argv)
{
	int n, i, sig, opt;
	pid_t *kids;
	sigset_t set;

	while ((opt = getopt(argc, argv, "b:u:p:")) != -1) {
		if (opt == 'b')
			busy_every = atoi(optarg);
		else if (opt == 'u')
			spin_ns = atol(optarg) * 1000L;
		else if (opt == 'p')
			period_ns = atol(optarg) * 1000000L;
		else
			goto usage;
	}
	n = optind < argc ? atoi(argv[optind]) : 0;
	if (n <= 0 || busy_every < 0 || spin_ns < 0 || period_ns <= 0 ||
	    period_ns >= 1000000000L)
		goto usage;
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
usage:
	fprintf(stderr, "usage: pw_farm [-b K] [-u US] [-p MS] N\n");
	return 2;
}

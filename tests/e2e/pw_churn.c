/*
 * pw_churn.c: spawn and reap short-lived processes as fast as asked.
 *
 *   pw_churn RATE SECONDS     fork RATE children per second for SECONDS;
 *                             each child exits at once (a few sleep 50 ms)
 *
 * Prints how many it started.  The end-to-end churn test runs it while
 * procwatchd monitors every process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/pwutil.h"

static double
now_s(void)
{
	return (double)pw_mono_ns() / 1e9;
}

int
main(int argc, char **argv)
{
	long rate = argc > 1 ? atol(argv[1]) : 0, n = 0;
	double secs = argc > 2 ? atof(argv[2]) : 0, t0 = now_s(), t;
	struct timespec nap = { 0, 50000000 };
	pid_t pid;

	if (rate <= 0 || secs <= 0) {
		fprintf(stderr, "usage: pw_churn RATE SECONDS\n");
		return 2;
	}
	while ((t = now_s() - t0) < secs) {
		/* Keep to the rate: start what is due, then reap. */
		while (n < (long)(t * (double)rate)) {
			if ((pid = fork()) == 0) {
				if (n % 20 == 0)	/* some live long enough */
					nanosleep(&nap, NULL);	/* to be seen */
				_exit(0);
			}
			if (pid > 0)
				n++;
			else
				break;
		}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		usleep(1000);
	}
	while (waitpid(-1, NULL, 0) > 0)
		;
	printf("%ld\n", n);
	return 0;
}

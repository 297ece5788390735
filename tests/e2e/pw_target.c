/*
 * pw_target.c: a process for the end-to-end tests to watch.
 *
 *   pw_target mem MIB      allocate and touch MIB MiB, then sleep
 *   pw_target fds N        hold N more open descriptors, then sleep
 *   pw_target spin         burn CPU in the main thread
 *   pw_target sleep [TAG]  sleep (TAG only marks the command line)
 *
 * It runs until killed.  "ready" on stdout means the state is set up.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile unsigned long sink;

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
	} else if (strcmp(argv[1], "sleep") != 0) {
		fprintf(stderr, "pw_target: unknown mode %s\n", argv[1]);
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

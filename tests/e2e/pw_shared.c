/*
 * pw_shared.c: a process that shares memory with its child, for the PSS
 * end-to-end test (tests/e2e/pss.sh).
 *
 *   pw_shared MIB     map MIB MiB of anonymous MAP_SHARED memory, touch
 *                     every page, fork one child, print
 *                     "ready CHILD_PID" and sleep
 *
 * Both then map the same resident pages, so the kernel counts each page
 * at half its size in each one's PSS.  The child touches the pages too
 * (reads them) and dies with its parent (PR_SET_PDEATHSIG); the test
 * stops both by pid.
 */
#include <sys/mman.h>
#include <sys/prctl.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile unsigned long sink;

int
main(int argc, char **argv)
{
	size_t len, i;
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *p;
	pid_t child;

	if (argc != 2 || atoi(argv[1]) <= 0) {
		fprintf(stderr, "usage: pw_shared MIB\n");
		return 2;
	}
	len = (size_t)atoi(argv[1]) << 20;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(p, 0x5a, len);
	if ((child = fork()) < 0) {
		perror("fork");
		return 1;
	}
	if (child == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() == 1)
			_exit(0);
		/* Map the pages into this process's page tables too. */
		for (i = 0; i < len; i += (size_t)page)
			sink += p[i];
		for (;;)
			pause();
	}
	printf("ready %ld\n", (long)child);
	fflush(stdout);
	for (;;)
		pause();
}

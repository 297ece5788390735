/*
 * pw_flood.c: a connection flood for tests/e2e/flood.sh and bench/.
 *
 *   pw_flood PORT N
 *
 * Holds N TCP connections to 127.0.0.1:PORT, as a hostile client would:
 * the even ones idle (connect and send nothing), the odd ones slowloris
 * (a request line, then one header line a second, never the blank line
 * that ends the head).  Once a second it reopens every connection the
 * server has closed, so the server never gets rid of the flood, and
 * prints "held H reopened I S": H open now; I idle and S slowloris ones
 * reopened since the start (each one the server cut off).
 * It raises its own RLIMIT_NOFILE to fit N and runs until killed.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int
open_one(const struct sockaddr_in *sa)
{
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int
main(int argc, char **argv)
{
	static const char line0[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
	static const char line[] = "X-Slow: 1\r\n";
	struct sockaddr_in sa;
	struct pollfd *pfd;
	struct rlimit rl;
	unsigned long reopened[2] = { 0, 0 };
	long long next;
	char buf[512];
	int i, n, held;

	if (argc != 3 || (n = atoi(argv[2])) <= 0) {
		fprintf(stderr, "usage: pw_flood PORT N\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = (rlim_t)n + 64;
		if (rl.rlim_max < rl.rlim_cur)
			rl.rlim_max = rl.rlim_cur;	/* root may raise it */
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			perror("pw_flood: setrlimit NOFILE");
			return 1;
		}
	}
	if ((pfd = calloc((size_t)n, sizeof(*pfd))) == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		pfd[i].fd = open_one(&sa);
		pfd[i].events = POLLIN;
		if (i % 2 == 1 && pfd[i].fd >= 0)
			(void)send(pfd[i].fd, line0, sizeof(line0) - 1,
			    MSG_NOSIGNAL);
	}
	next = now_ms() + 1000;
	for (;;) {
		int wait = (int)(next - now_ms());

		if (poll(pfd, (nfds_t)n, wait > 0 ? wait : 0) > 0) {
			for (i = 0; i < n; i++) {
				if (pfd[i].fd < 0 || pfd[i].revents == 0)
					continue;
				/* Closed by the server (or an answer: the
				 * flood does not want it either). */
				if (recv(pfd[i].fd, buf, sizeof(buf), 0) <= 0 ||
				    (pfd[i].revents & (POLLHUP | POLLERR))) {
					close(pfd[i].fd);
					pfd[i].fd = -1;
				}
			}
		}
		if (now_ms() < next)
			continue;
		next += 1000;
		held = 0;
		for (i = 0; i < n; i++) {
			if (pfd[i].fd < 0) {
				if ((pfd[i].fd = open_one(&sa)) < 0)
					continue;
				reopened[i % 2]++;
				if (i % 2 == 1)
					(void)send(pfd[i].fd, line0,
					    sizeof(line0) - 1, MSG_NOSIGNAL);
			} else if (i % 2 == 1 && send(pfd[i].fd, line,
			    sizeof(line) - 1, MSG_NOSIGNAL) < 0 &&
			    errno != EAGAIN && errno != ENOTCONN) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				continue;
			}
			held++;
		}
		printf("held %d reopened %lu %lu\n", held, reopened[0],
		    reopened[1]);
		fflush(stdout);
	}
}

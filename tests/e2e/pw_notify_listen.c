/*
 * pw_notify_listen: a stand-in for the service manager's notify socket,
 * for tests/e2e/notify.sh.
 *
 * usage: pw_notify_listen SOCKET-PATH OUT-FILE
 *
 * Binds an AF_UNIX datagram socket at SOCKET-PATH (a leading '@' makes it
 * abstract) and appends every datagram to OUT-FILE, one assignment per
 * line, each datagram followed by a "--" line so a test can count
 * messages.  Runs until killed.  Prints "ready" on stdout once bound.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	char buf[4096];
	socklen_t salen;
	size_t plen;
	ssize_t n;
	FILE *out;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: pw_notify_listen SOCKET-PATH "
		    "OUT-FILE\n");
		return 2;
	}
	plen = strlen(argv[1]);
	if (plen == 0 || plen >= sizeof(sun.sun_path)) {
		fprintf(stderr, "pw_notify_listen: bad socket path\n");
		return 2;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, argv[1], plen);
	if (argv[1][0] == '@')
		sun.sun_path[0] = '\0';
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, salen) < 0) {
		perror("pw_notify_listen: socket/bind");
		return 1;
	}
	if ((out = fopen(argv[2], "a")) == NULL) {
		perror(argv[2]);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("pw_notify_listen: recv");
			return 1;
		}
		buf[n] = '\0';
		/* Line-buffered enough: the test reads the file while we run. */
		fprintf(out, "%s%s--\n", buf,
		    n > 0 && buf[n - 1] == '\n' ? "" : "\n");
		fflush(out);
	}
}

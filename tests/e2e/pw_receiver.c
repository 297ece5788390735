/*
 * pw_receiver.c: a webhook receiver for the alert end-to-end test.
 *
 * usage: pw_receiver [--fail N] [--hang] [--headers] [--hold] [--port N]
 *     [--status CODE] PORTFILE OUTFILE
 *
 * Listens on 127.0.0.1 on port N (default: one the kernel picks), writes the port to
 * PORTFILE (then renames it into place, so a reader never sees half of
 * it), and appends each POST as one JSON line to OUTFILE:
 * {"path": ..., "signature": <X-Procwatch-Signature or null>, "body": ...}
 * and answers 200.  With --headers each line also has "headers": an
 * object of the request's headers, names in lower case (HTTP names are
 * case-insensitive; a repeated header keeps its last value).  With --hang
 * it reads requests and never answers.
 * Runs until killed.  With --hold the port is bound (and written to
 * PORTFILE) but not listened on until SIGUSR1: a receiver that is "down"
 * (connections refused) on a port nobody else can take meanwhile.  With
 * --fail N the first N POSTs are recorded (with "status": 503) and
 * answered 503: a receiver that is down for a while, seen by its sender
 * as failures it retries.  With --status CODE every POST is answered
 * CODE ("out of order" for a remote write sender: 400).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#define BODY_MAX	(1024 * 1024)

struct req {
	char	*body;
	size_t	 len;
};

static const char	*outfile;
static bool		 hang;
static bool		 with_headers;
static atomic_int	 fail_left;	/* POSTs still to answer 503 */
static unsigned		 answer = MHD_HTTP_OK;	/* --status */

static enum MHD_Result
add_header(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	cJSON *h = cls;
	char name[256];
	size_t i;

	(void)kind;
	for (i = 0; key[i] != '\0' && i < sizeof(name) - 1; i++)
		name[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ?
		    key[i] - 'A' + 'a' : key[i]);
	name[i] = '\0';
	cJSON_DeleteItemFromObjectCaseSensitive(h, name);
	cJSON_AddStringToObject(h, name, value != NULL ? value : "");
	return MHD_YES;
}

static void
append(struct MHD_Connection *conn, const char *url, const char *sig,
    const struct req *r, unsigned status)
{
	cJSON *o, *h;
	char *line, *body;
	FILE *f;

	if ((body = malloc(r->len + 1)) == NULL)
		return;
	memcpy(body, r->body != NULL ? r->body : "", r->len);
	body[r->len] = '\0';
	if ((o = cJSON_CreateObject()) == NULL)
		goto out;
	cJSON_AddStringToObject(o, "path", url);
	if (sig != NULL)
		cJSON_AddStringToObject(o, "signature", sig);
	else
		cJSON_AddNullToObject(o, "signature");
	cJSON_AddStringToObject(o, "body", body);
	if (status != MHD_HTTP_OK)
		cJSON_AddNumberToObject(o, "status", status);
	if (with_headers && (h = cJSON_AddObjectToObject(o, "headers")) != NULL)
		MHD_get_connection_values(conn, MHD_HEADER_KIND, add_header, h);
	if ((line = cJSON_PrintUnformatted(o)) != NULL) {
		if ((f = fopen(outfile, "a")) != NULL) {
			fprintf(f, "%s\n", line);
			fclose(f);
		}
		cJSON_free(line);
	}
	cJSON_Delete(o);
out:
	free(body);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *data,
    size_t *size, void **ctx)
{
	struct MHD_Response *resp;
	struct req *r = *ctx;
	enum MHD_Result rc;
	unsigned status = answer;
	char *np;

	(void)cls;
	(void)version;
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		*ctx = r;
		return MHD_YES;
	}
	if (*size != 0) {
		if (r->len + *size > BODY_MAX ||
		    (np = realloc(r->body, r->len + *size)) == NULL)
			return MHD_NO;
		memcpy(np + r->len, data, *size);
		r->body = np;
		r->len += *size;
		*size = 0;
		return MHD_YES;
	}
	if (hang) {
		/* Never answer: MHD keeps the connection until we do. */
		pause();
		return MHD_NO;
	}
	if (strcmp(method, "POST") == 0) {
		if (atomic_fetch_sub(&fail_left, 1) > 0)
			status = MHD_HTTP_SERVICE_UNAVAILABLE;
		append(conn, url, MHD_lookup_connection_value(conn,
		    MHD_HEADER_KIND, "X-Procwatch-Signature"), r, status);
	}
	resp = MHD_create_response_from_buffer(2, (void *)"ok",
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static void
on_done(void *cls, struct MHD_Connection *conn, void **ctx,
    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *ctx;

	(void)cls;
	(void)conn;
	(void)toe;
	if (r != NULL) {
		free(r->body);
		free(r);
	}
	*ctx = NULL;
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	char tmp[4096];
	sigset_t usr1;
	FILE *f;
	int i = 1, port = 0, fd, sig, one = 1;
	bool hold = false;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--hang") == 0)
			hang = true;
		else if (strcmp(argv[i], "--headers") == 0)
			with_headers = true;
		else if (strcmp(argv[i], "--hold") == 0)
			hold = true;
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port = atoi(argv[++i]);
		else if (strcmp(argv[i], "--fail") == 0 && i + 1 < argc)
			fail_left = atoi(argv[++i]);
		else if (strcmp(argv[i], "--status") == 0 && i + 1 < argc)
			answer = (unsigned)atoi(argv[++i]);
		else
			break;
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: pw_receiver [--fail N] [--hang] "
		    "[--headers] [--hold] [--port N] [--status CODE] PORTFILE "
		    "OUTFILE\n");
		return 2;
	}
	outfile = argv[i + 1];
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);	/* before the port is known */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Our own socket, so that it can be bound long before it listens. */
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &slen) < 0 ||
	    (!hold && listen(fd, 64) < 0)) {
		perror("pw_receiver: socket");
		return 1;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[i]);
	if ((f = fopen(tmp, "w")) == NULL)
		return 1;
	fprintf(f, "%u\n", (unsigned)ntohs(sin.sin_port));
	fclose(f);
	if (rename(tmp, argv[i]) < 0)
		return 1;
	if (hold && (sigwait(&usr1, &sig) != 0 || listen(fd, 64) < 0)) {
		perror("pw_receiver: listen");
		return 1;
	}
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    on_request, NULL, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_TIMEOUT, 0u, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "pw_receiver: cannot start\n");
		return 1;
	}
	for (;;)
		pause();
}

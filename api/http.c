/*
 * api/http.c: the HTTP layer of the API (libmicrohttpd): starting and
 * stopping the server, TLS, the bearer token, request bodies under their
 * cap, dispatch to the route table (api/routes.h) and turning a route's
 * answer into a response.  Its interface is api/api.h's api_start(),
 * api_port(), api_stop() and api_set_process_metrics().  The connection
 * limits (the accept policy, the reaper) are api/http_conn.c; what the
 * two share is api/http_impl.h.
 *
 * DESIGN: dispatch tries the table's patterns in order.  A path that
 * matches some route but not with this method gets 405 and an Allow
 * header listing the methods that would work; a path that matches
 * nothing gets 404.  With an api_token, a request that needs it and does
 * not carry it gets 401 before its route runs.  HEAD is answered by MHD
 * from the GET response.  MHD runs two worker threads (one if the
 * connection limit is 1), so one slow client does not stall the rest.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>

#include "api/api.h"
#include "api/buf.h"
#include "api/http_impl.h"
#include "api/routes.h"

#define CT_JSON		"application/json"

/* Upper bound of a request body; past it the answer is 413. */
#define API_BODY_MAX		(64 * 1024)

/*
 * Per-request context of a request that announced a body: the body is
 * collected here (under API_BODY_MAX) across MHD's calls and freed by
 * on_completed().
 */
struct body_ctx {
	char	*buf;
	size_t	 len;
	bool	 too_big;
};

static const struct {
	const char	*name;
	unsigned	 bit;
} methods[] = {
	{ "GET", API_M_GET },
	{ "HEAD", API_M_HEAD },
	{ "POST", API_M_POST },
	{ "PUT", API_M_PUT },
	{ "DELETE", API_M_DELETE },
	{ "PATCH", API_M_PATCH },
	{ "OPTIONS", API_M_OPTIONS },
};

/* The body used when there is no memory to build one; MHD never frees it. */
static char oom_body[] = "{\"error\":\"out of memory\"}";

/* --- responses ------------------------------------------------------------ */

/*
 * Add the common headers to resp, queue it, and drop our reference.
 * `allow` (for 405) may be NULL.
 */
static enum MHD_Result
queue(struct MHD_Connection *conn, unsigned status, struct MHD_Response *resp,
    const char *ctype, const char *allow)
{
	enum MHD_Result rc = MHD_NO;

	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    ctype) != MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store") != MHD_YES)
		goto out_destroy;
	if (allow != NULL && MHD_add_response_header(resp,
	    MHD_HTTP_HEADER_ALLOW, allow) != MHD_YES)
		goto out_destroy;
	rc = MHD_queue_response(conn, status, resp);
out_destroy:
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result
reply_oom(struct MHD_Connection *conn)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(sizeof(oom_body) - 1,
	    oom_body, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	return queue(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, resp, CT_JSON,
	    NULL);
}

/* Reply with root (which this frees) as the JSON body. */
static enum MHD_Result
reply_json(struct MHD_Connection *conn, unsigned status, cJSON *root,
    const char *allow)
{
	struct MHD_Response *resp;
	char *body;

	if (root == NULL)
		return reply_oom(conn);
	body = cJSON_PrintUnformatted(root);	/* we own body */
	cJSON_Delete(root);
	if (body == NULL)
		return reply_oom(conn);
	resp = MHD_create_response_from_buffer_with_free_callback(strlen(body),
	    body, cJSON_free);			/* MHD owns body from here on */
	if (resp == NULL) {
		cJSON_free(body);
		return reply_oom(conn);
	}
	return queue(conn, status, resp, CT_JSON, allow);
}

static enum MHD_Result reply_error(struct MHD_Connection *, unsigned,
    const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

static enum MHD_Result
reply_error(struct MHD_Connection *conn, unsigned status, const char *allow,
    const char *fmt, ...)
{
	char msg[API_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return reply_json(conn, status, api_json_error(msg), allow);
}

/* Free what a route's answer holds (api/routes.h). */
static void
out_free(struct api_out *out)
{
	cJSON_Delete(out->json);
	out->json = NULL;
	api_buf_fini(&out->text);
	if (out->resp != NULL)
		MHD_destroy_response(out->resp);
	out->resp = NULL;
}

/* Send what a route answered; whatever is not sent is freed. */
static enum MHD_Result
respond(struct MHD_Connection *conn, struct api_out *out)
{
	struct MHD_Response *resp;
	enum MHD_Result mrc;
	cJSON *root;
	size_t len;
	char *page;
	int rc;

	if (out->status < 200 || out->status >= 300) {
		out_free(out);
		if (out->err[0] == '\0')
			return reply_oom(conn);
		return reply_error(conn, out->status, NULL, "%s", out->err);
	}
	if ((resp = out->resp) != NULL) {	/* complete, its own headers */
		out->resp = NULL;
		out_free(out);
		mrc = MHD_queue_response(conn, out->status, resp);
		MHD_destroy_response(resp);
		return mrc;
	}
	if (out->ctype == NULL) {
		root = out->json;
		out->json = NULL;
		out_free(out);
		return reply_json(conn, out->status, root, NULL);
	}
	rc = api_buf_take(&out->text, &page, &len);
	out_free(out);
	if (rc < 0)
		return reply_oom(conn);
	resp = MHD_create_response_from_buffer_with_free_callback(len, page,
	    free);				/* MHD owns page from here on */
	if (resp == NULL) {
		free(page);
		return reply_oom(conn);
	}
	return queue(conn, out->status, resp, out->ctype, NULL);
}

/* --- authentication and dispatch ------------------------------------------ */

/* Compare in time that depends only on the token's length, not on where
 * the first difference is. */
static bool
token_equal(const char *want, const char *got, size_t got_len)
{
	size_t n = strlen(want), i;
	unsigned char diff = (unsigned char)(n != got_len);

	for (i = 0; i < n; i++)
		diff |= (unsigned char)want[i] ^
		    (unsigned char)(i < got_len ? got[i] : 0);
	return diff == 0;
}

/* Does the request carry "Authorization: Bearer <the token>"? */
static bool
is_authorized(const struct api_server *srv, struct MHD_Connection *conn,
    bool read)
{
	bool ok_api, ok_read;
	const char *h;
	size_t n;

	h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION);
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return false;
	h += 7;
	while (*h == ' ')
		h++;
	n = strlen(h);
	/* Both compared, each in constant time, before either decides. */
	ok_api = srv->api_token[0] != '\0' && token_equal(srv->api_token, h, n);
	ok_read = srv->read_token[0] != '\0' &&
	    token_equal(srv->read_token, h, n);
	return ok_api || (read && ok_read);
}

static enum MHD_Result
reply_unauthorized(struct MHD_Connection *conn)
{
	static char body[] = "{\"error\":\"unauthorized: this request "
	    "needs Authorization: Bearer <api_token>\"}";
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(sizeof(body) - 1, body,
	    MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
	    "Bearer realm=\"procwatch\"") != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	return queue(conn, MHD_HTTP_UNAUTHORIZED, resp, CT_JSON, NULL);
}

/*
 * Does url match pattern?  Literal segments must be equal; a "{...}"
 * segment takes any non-empty segment into c->cap.
 */
static bool
route_match(const char *pat, const char *url, struct api_in *c)
{
	size_t pl, ul;

	c->ncap = 0;
	for (;;) {
		if (*pat != *url)	/* both '/' or both at the end */
			return false;
		if (*pat == '\0')
			return true;
		pat++;
		url++;
		pl = strcspn(pat, "/");
		ul = strcspn(url, "/");
		if (pat[0] == '{') {
			if (ul == 0 || c->ncap == API_MAX_CAPTURES)
				return false;
			c->cap[c->ncap] = url;
			c->cap_len[c->ncap++] = ul;
		} else if (pl != ul || memcmp(pat, url, pl) != 0)
			return false;
		pat += pl;
		url += ul;
	}
}

static unsigned
method_bit(const char *method)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(method, methods[i].name) == 0)
			return methods[i].bit;
	return 0;
}

static enum MHD_Result
reply_not_allowed(struct MHD_Connection *conn, unsigned allowed)
{
	char allow[64] = "";
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if ((allowed & methods[i].bit) == 0)
			continue;
		if (allow[0] != '\0')
			strcat(allow, ", ");
		strcat(allow, methods[i].name);
	}
	return reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, allow,
	    "method not allowed");
}

/* Does the request announce a body? */
static bool
has_body(struct MHD_Connection *conn)
{
	const char *cl;

	if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL)
		return true;
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	return cl != NULL && strcmp(cl, "0") != 0;
}

static enum MHD_Result
dispatch(struct api_server *srv, struct MHD_Connection *conn,
    const char *url, const char *method, const struct body_ctx *body)
{
	struct api_in in = { .conn = conn };
	const struct api_route *r;
	struct api_out out;
	unsigned m = method_bit(method), allowed = 0;
	bool mut;
	size_t i;

	if (body != NULL) {
		in.body = body->buf;
		in.body_len = body->len;
	}
	for (i = 0; i < api_nroutes; i++) {
		r = &api_routes[i];
		if (!route_match(r->pattern, url, &in))
			continue;
		mut = (m & (API_M_POST | API_M_PUT | API_M_PATCH |
		    API_M_DELETE)) != 0;
		if ((r->methods & m) && (srv->api_token[0] != '\0' ||
		    srv->read_token[0] != '\0') && (srv->auth_reads || mut) &&
		    !is_authorized(srv, conn, !mut))
			return reply_unauthorized(conn);
		if (r->methods & m) {
			api_route_serve(&srv->ctx, r, &in, &out);
			return respond(conn, &out);
		}
		allowed |= r->methods;
	}
	if (allowed != 0)
		return reply_not_allowed(conn, allowed);
	return reply_error(conn, MHD_HTTP_NOT_FOUND, NULL, "not found");
}

/* --- requests, bodies and the server -------------------------------------- */

/*
 * MHD calls this first with the headers only, then with any body, then
 * once more with none.  A response queued on the first call makes MHD
 * close the connection, so requests are answered on the last call and
 * keep-alive works (a scraper reuses its connection).  A request that
 * announces a body gets a body_ctx that collects it up to API_BODY_MAX;
 * one whose Content-Length is already over the cap is answered 413 at
 * once (leaving the body unread, so MHD closes the connection), and a
 * chunked one that grows past it is drained and answered 413 at the end.
 * Routes see the body as in->body, in->body_len.
 */
/* Marks a bodiless request past its first call. */
static int request_seen;
static __thread bool is_reniced;	/* this MHD thread runs at API_NICE */
#define API_NICE	10

int
api_http_nice_check(void)
{
	id_t tid = (id_t)gettid();
	int prio;

	/* Setting the value a thread already has needs no privilege, so only
	 * a filter on the system call itself (or none at all) can refuse. */
	errno = 0;
	if ((prio = getpriority(PRIO_PROCESS, tid)) == -1 && errno != 0)
		return -errno;
	if (setpriority(PRIO_PROCESS, tid, prio) < 0)
		return -errno;
	return 0;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	struct body_ctx *b;
	const char *cl;
	char *nb;

	(void)version;
	if (!is_reniced) {
		/* HTTP work yields to the sampler: its schedule is the
		 * product. */
		(void)setpriority(PRIO_PROCESS, (id_t)gettid(), API_NICE);
		is_reniced = true;
	}
	if (*req_cls == NULL) {
		/* its head is complete */
		api_conn_set_busy(cls, conn, true);
		if (!has_body(conn)) {
			*req_cls = &request_seen;
			return MHD_YES;
		}
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > API_BODY_MAX)
			return reply_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
			    NULL, "body: larger than %d bytes", API_BODY_MAX);
		if ((b = calloc(1, sizeof(*b))) == NULL)
			return reply_oom(conn);
		*req_cls = b;
		return MHD_YES;
	}
	b = *req_cls == &request_seen ? NULL : *req_cls;
	if (*upload_data_size != 0) {
		if (b != NULL && !b->too_big) {
			if (b->len + *upload_data_size > API_BODY_MAX) {
				b->too_big = true;
			} else if ((nb = realloc(b->buf, b->len +
			    *upload_data_size + 1)) == NULL) {
				b->too_big = true;	/* answered as 413 */
			} else {
				memcpy(nb + b->len, upload_data,
				    *upload_data_size);
				b->len += *upload_data_size;
				nb[b->len] = '\0';
				b->buf = nb;
			}
		}
		*upload_data_size = 0;	/* not announced: dropped */
		return MHD_YES;
	}
	if (b != NULL && b->too_big)
		return reply_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, NULL,
		    "body: larger than %d bytes", API_BODY_MAX);
	return dispatch(cls, conn, url, method, b);
}

/* Free a request's body_ctx, if it has one; the connection waits for its
 * next request head from now. */
static void
on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct body_ctx *b = *req_cls;

	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		api_conn_set_busy(cls, conn, false);	/* kept alive */
	if (b != NULL && *req_cls != (void *)&request_seen) {
		free(b->buf);
		free(b);
	}
	*req_cls = NULL;
}

static void on_log(void *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
on_log(void *cls, const char *fmt, va_list ap)
{
	struct api_server *srv = cls;
	char msg[API_ERRMSG_MAX];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (pthread_mutex_lock(&srv->start_mu) == 0) {
		if (srv->capturing && srv->start_err[0] == '\0')
			memcpy(srv->start_err, msg, n + 1);
		pthread_mutex_unlock(&srv->start_mu);
	}
	if (srv->log != NULL)
		srv->log(srv->log_arg, msg);
}

/*
 * Parse a numeric host ("127.0.0.1", "::1", "[::1]") and port into sa.
 * Returns 0 or -EINVAL.
 */
static int
make_addr(const char *host, uint16_t port, struct sockaddr_storage *sa,
    bool *is_v6)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);

	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*is_v6 = false;
		return 0;
	}
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' &&
	    n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*is_v6 = true;
		return 0;
	}
	return -EINVAL;
}

struct api_server *
api_start(const struct api_options *opts, struct pw_monitor *mon, char *err,
    size_t errlen)
{
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem tls_opts[3];
	struct sockaddr_storage sa;
	struct api_server *srv;
	const char *host;
	unsigned maxconn, timeout, pool, flags;
	char noerr[1];
	bool is_v6;

	if (err == NULL || errlen == 0) {	/* no message wanted */
		err = noerr;
		errlen = sizeof(noerr);
	}
	err[0] = '\0';
	if (opts == NULL || mon == NULL) {
		api_fail(err, errlen, 0, "api: no options or no monitor");
		return NULL;
	}
	host = opts->host != NULL ? opts->host : "127.0.0.1";
	if (make_addr(host, opts->port, &sa, &is_v6) < 0) {
		api_fail(err, errlen, 0, "invalid listen host \"%s\": expected "
		    "a numeric IPv4 or IPv6 address", host);
		return NULL;
	}
	if (opts->dygraphs_dir != NULL &&
	    strlen(opts->dygraphs_dir) >= API_DIR_MAX) {
		api_fail(err, errlen, 0, "dygraphs_dir: longer than %d bytes",
		    API_DIR_MAX - 1);
		return NULL;
	}
	if (opts->read_token != NULL &&
	    strlen(opts->read_token) > API_TOKEN_MAX) {
		api_fail(err, errlen, 0, "read_token: longer than %d bytes",
		    API_TOKEN_MAX);
		return NULL;
	}
	if (opts->api_token != NULL &&
	    strlen(opts->api_token) > API_TOKEN_MAX) {
		api_fail(err, errlen, 0, "api_token: longer than %d bytes",
		    API_TOKEN_MAX);
		return NULL;
	}
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		api_fail(err, errlen, 0, "api: out of memory");
		return NULL;
	}
	if (pthread_mutex_init(&srv->start_mu, NULL) != 0) {
		api_fail(err, errlen, 0, "api: cannot create a mutex");
		goto out_free;
	}
	if (api_conn_init(srv, opts) < 0) {
		api_fail(err, errlen, 0, "api: cannot start the reaper thread");
		goto out_start_mu;
	}
	if (api_ctx_init(&srv->ctx, opts, mon) < 0) {
		api_fail(err, errlen, 0, "api: out of memory");
		goto out_conn;
	}
	srv->ctx.conn_stats = api_conn_stats;
	srv->ctx.conn_arg = srv;
	srv->log = opts->log;
	srv->log_arg = opts->log_arg;
	if (opts->api_token != NULL)
		snprintf(srv->api_token, sizeof(srv->api_token), "%s",
		    opts->api_token);
	if (opts->read_token != NULL)
		snprintf(srv->read_token, sizeof(srv->read_token), "%s",
		    opts->read_token);
	srv->auth_reads = opts->auth_reads;
	srv->capturing = true;

	maxconn = srv->max_conn;
	timeout = (unsigned)(srv->idle_timeout_ms / 1000);
	pool = maxconn >= 2 ? 2 : 1;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ?
	    MHD_USE_EPOLL : MHD_USE_POLL;
	if (is_v6)
		flags |= MHD_USE_IPv6;
	/* HTTPS through libmicrohttpd's GnuTLS; it reads cert and key from
	 * memory, which we keep until the server stops. */
	memset(tls_opts, 0, sizeof(tls_opts));
	tls_opts[0].option = MHD_OPTION_END;
	if (opts->tls_cert_pem != NULL && opts->tls_key_pem != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			api_fail(err, errlen, 0, "tls_cert: this libmicrohttpd "
			    "has no TLS support");
			goto out_mutex;
		}
		if ((srv->tls_cert = strdup(opts->tls_cert_pem)) == NULL ||
		    (srv->tls_key = strdup(opts->tls_key_pem)) == NULL) {
			api_fail(err, errlen, 0, "out of memory");
			goto out_mutex;
		}
		flags |= MHD_USE_TLS;
		tls_opts[0].option = MHD_OPTION_HTTPS_MEM_CERT;
		tls_opts[0].ptr_value = srv->tls_cert;
		tls_opts[1].option = MHD_OPTION_HTTPS_MEM_KEY;
		tls_opts[1].ptr_value = srv->tls_key;
		tls_opts[2].option = MHD_OPTION_END;
	}

	/* MHD's limit, split between its workers, sits above what
	 * api_conn_on_accept() lets in (3 x maxconn, and one in flight per
	 * worker), however the connections fall between workers, so MHD
	 * never stops listening. */
	srv->mhd = MHD_start_daemon(flags, opts->port, api_conn_on_accept, srv,
	    on_request, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, on_log, srv,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_THREAD_POOL_SIZE, pool,
	    MHD_OPTION_CONNECTION_LIMIT, pool * (3 * maxconn + 16),
	    MHD_OPTION_NOTIFY_CONNECTION, api_conn_on_notify, srv,
	    MHD_OPTION_CONNECTION_TIMEOUT, timeout,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONN_MEMORY,
	    /* SO_REUSEPORT: a reload starts the new server on the same port
	     * before it stops the old one (same user only, Linux). */
	    MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int)1,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_ARRAY, tls_opts,
	    MHD_OPTION_END);

	if (pthread_mutex_lock(&srv->start_mu) == 0) {
		srv->capturing = false;
		pthread_mutex_unlock(&srv->start_mu);
	}
	if (srv->mhd == NULL) {
		/* The caller names the address; say what went wrong. */
		api_fail(err, errlen, 0, "%s", srv->start_err[0] != '\0' ?
		    srv->start_err : "the HTTP server failed to start");
		goto out_mutex;
	}
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info != NULL ? info->port : opts->port;
	/* See api/http_conn.c; without it only idle floods cost more. */
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_LISTEN_FD);
	if (info != NULL)
		(void)setsockopt(info->listen_fd, IPPROTO_TCP,
		    TCP_DEFER_ACCEPT, &(int){ 1 }, sizeof(int));
	return srv;

out_mutex:
	free(srv->tls_cert);
	free(srv->tls_key);
	api_ctx_fini(&srv->ctx);
out_conn:
	api_conn_fini(srv);
out_start_mu:
	pthread_mutex_destroy(&srv->start_mu);
out_free:
	free(srv);
	return NULL;
}

void
api_set_process_metrics(struct api_server *srv, int mode, unsigned top)
{
	api_ctx_set_process_metrics(&srv->ctx, mode, top);
}

uint16_t
api_port(const struct api_server *srv)
{
	return srv != NULL ? srv->port : 0;
}

void
api_stop(struct api_server *srv)
{
	if (srv == NULL)
		return;
	api_conn_reaper_stop(srv);		/* before MHD frees the slots */
	MHD_stop_daemon(srv->mhd);
	api_conn_fini(srv);
	api_ctx_fini(&srv->ctx);
	free(srv->tls_cert);
	if (srv->tls_key != NULL) {
		explicit_bzero(srv->tls_key, strlen(srv->tls_key));
		free(srv->tls_key);
	}
	pthread_mutex_destroy(&srv->start_mu);
	free(srv);
}
/*
 * api/http_conn.c: the HTTP layer's connection policy: a slot per
 * connection, the list of those waiting for a request head, the accept
 * policy that applies max_connections, and the reaper thread that cuts
 * overdue ones.  api/http.c starts and stops it and hands MHD its
 * callbacks; what they share is api/http_impl.h.  Split from api/http.c
 * because flood handling is a job of its own, with its own lock and
 * thread.
 *
 * DESIGN: a flood of connections must not lock out other clients.  MHD
 * stops listening when it reaches its own connection limit, and then the
 * kernel's backlog fills with the flood and a new client waits behind
 * all of it.  So MHD's limit is set above ours, the listener never leaves
 * MHD's poll set, and our limit is applied as each connection is
 * accepted (api_conn_on_accept(), cheap: MHD closes the socket at once):
 *
 *   - under max_connections, a new connection is taken;
 *   - at it, the connection that has waited longest for a request head
 *     is cut (shutdown(2) of its socket; its worker then closes it) and
 *     the new one takes its place: a client that sends a request at once
 *     is read in the same pass of MHD's loop it is accepted in, long
 *     before max_connections newer ones could push it out;
 *   - when every connection is busy with a request, or 3 x
 *     max_connections are open counting those being cut (under a flood
 *     the workers, at nice +10, may lag behind in closing them), the new
 *     one is refused.
 *
 * So at most max_connections connections are served or waiting, and at
 * most 3 x max_connections descriptors and MHD connection pools
 * (API_CONN_MEMORY each) are held at any time.
 *
 * The listening socket has TCP_DEFER_ACCEPT (tcp(7)): the kernel hands
 * a connection over once its first bytes are in, or about a second after
 * the handshake if none come.  Idle connections then wait in the kernel,
 * not in our slots, and a client's request is there to be read the moment
 * its connection is accepted, so it is not cut for the lack of one.
 *
 * The reaper thread cuts connections that take longer than
 * header_timeout_s from connecting to a complete request head (idle ones
 * and slowloris ones, which MHD's inactivity timeout cannot see) and
 * kept-alive ones that send no new head within conn_timeout_s.
 *
 * Why shutdown() from another thread is safe: MHD calls the
 * NOTIFY_CONNECTION "closed" callback before it closes the socket, on
 * both of its close paths (MHD_cleanup_connections() and the failure
 * path of new_connection_prepare_(), daemon.c of 0.9.75), and
 * api_conn_on_notify() takes conn_mu to unlist the slot.  A slot found
 * under conn_mu therefore still owns an open descriptor, never a reused
 * one.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "api/api.h"
#include "api/http_impl.h"

struct conn_slot {
	int			 fd;
	bool			 is_listed;	/* in the waiting list */
	bool			 is_cut;	/* shut down by us */
	bool			 was_served;	/* kept alive after a request */
	int64_t			 since_ms;	/* waiting since (monotonic) */
	struct conn_slot	*prev, *next;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Take s off the waiting list.  Call with conn_mu held. */
static void
wait_remove(struct api_server *srv, struct conn_slot *s)
{
	if (!s->is_listed)
		return;
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		srv->wait_head = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	else
		srv->wait_tail = s->prev;
	s->prev = s->next = NULL;
	s->is_listed = false;
}

/* Put s at the end of the waiting list, from now.  conn_mu held. */
static void
wait_append(struct api_server *srv, struct conn_slot *s)
{
	s->since_ms = mono_ms();
	s->prev = srv->wait_tail;
	s->next = NULL;
	if (srv->wait_tail != NULL)
		srv->wait_tail->next = s;
	else
		srv->wait_head = s;
	srv->wait_tail = s;
	s->is_listed = true;
}

/* Shut s's connection down; its worker closes it.  conn_mu held. */
static void
conn_cut(struct api_server *srv, struct conn_slot *s)
{
	wait_remove(srv, s);
	if (s->is_cut)
		return;
	(void)shutdown(s->fd, SHUT_RDWR);	/* fails only if already gone */
	s->is_cut = true;
	srv->ncut++;
}

/* MHD's accept policy: apply max_connections (see DESIGN above). */
enum MHD_Result
api_conn_on_accept(void *cls, const struct sockaddr *addr,
    socklen_t addrlen)
{
	struct api_server *srv = cls;
	enum MHD_Result rc = MHD_YES;

	(void)addr;
	(void)addrlen;
	if (pthread_mutex_lock(&srv->conn_mu) != 0)
		return MHD_NO;
	if (srv->nconn - srv->ncut >= srv->max_conn) {
		if (srv->wait_head != NULL && srv->nconn < 3 * srv->max_conn) {
			conn_cut(srv, srv->wait_head);
			srv->nshed++;
		} else {
			rc = MHD_NO;
			srv->nrefused++;
		}
	}
	pthread_mutex_unlock(&srv->conn_mu);
	return rc;
}

/* MHD's connection start and close: the slot that tracks a connection. */
void
api_conn_on_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
    enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *info;
	struct api_server *srv = cls;
	struct conn_slot *s = *socket_ctx;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		info = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return;		/* untracked: only our limit misses it */
		s->fd = info != NULL ? info->connect_fd : -1;
		if (pthread_mutex_lock(&srv->conn_mu) != 0) {
			free(s);
			return;
		}
		srv->nconn++;
		if (s->fd >= 0)
			wait_append(srv, s);
		pthread_mutex_unlock(&srv->conn_mu);
		*socket_ctx = s;
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_CLOSED || s == NULL)
		return;
	/* Before MHD closes the descriptor: see DESIGN above. */
	if (pthread_mutex_lock(&srv->conn_mu) == 0) {
		wait_remove(srv, s);
		srv->nconn--;
		if (s->is_cut)
			srv->ncut--;
		pthread_mutex_unlock(&srv->conn_mu);
	}
	free(s);
	*socket_ctx = NULL;
}

/* conn's slot, or NULL if it has none. */
static struct conn_slot *
conn_slot(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *info;

	info = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info != NULL ? info->socket_context : NULL;
}

/* A request head has arrived (busy = true) or its answer is done. */
void
api_conn_set_busy(struct api_server *srv, struct MHD_Connection *conn,
    bool busy)
{
	struct conn_slot *s = conn_slot(conn);

	if (s == NULL || pthread_mutex_lock(&srv->conn_mu) != 0)
		return;
	if (busy)
		wait_remove(srv, s);
	else if (!s->is_cut && !s->is_listed) {
		s->was_served = true;
		wait_append(srv, s);
	}
	pthread_mutex_unlock(&srv->conn_mu);
}

/*
 * The reaper: twice a second, cut the connections whose request head is
 * overdue.  The list is in order of since_ms, so the walk stops at the
 * first that can not yet be overdue.
 */
static void *
reaper_main(void *arg)
{
	struct api_server *srv = arg;
	struct conn_slot *s, *next;
	int64_t now, first;
	struct timespec ts;

	first = srv->header_timeout_ms < srv->idle_timeout_ms ?
	    srv->header_timeout_ms : srv->idle_timeout_ms;
	if (pthread_mutex_lock(&srv->conn_mu) != 0)
		return NULL;
	while (!srv->is_stopping) {
		now = mono_ms();
		for (s = srv->wait_head; s != NULL; s = next) {
			next = s->next;
			if (now - s->since_ms < first)
				break;
			if (now - s->since_ms >= (s->was_served ?
			    srv->idle_timeout_ms : srv->header_timeout_ms)) {
				conn_cut(srv, s);
				srv->ntimed_out++;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 500000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&srv->reaper_cv, &srv->conn_mu,
		    &ts);
	}
	pthread_mutex_unlock(&srv->conn_mu);
	return NULL;
}

void
api_conn_stats(void *arg, struct api_conn_stats *out)
{
	struct api_server *srv = arg;

	memset(out, 0, sizeof(*out));
	if (pthread_mutex_lock(&srv->conn_mu) != 0)
		return;
	out->shed = srv->nshed;
	out->refused = srv->nrefused;
	out->timed_out = srv->ntimed_out;
	out->open = srv->nconn;
	out->max = srv->max_conn;
	pthread_mutex_unlock(&srv->conn_mu);
}

void
api_conn_reaper_stop(struct api_server *srv)
{
	if (!srv->has_reaper)
		return;
	if (pthread_mutex_lock(&srv->conn_mu) == 0) {
		srv->is_stopping = true;
		pthread_cond_signal(&srv->reaper_cv);
		pthread_mutex_unlock(&srv->conn_mu);
	}
	pthread_join(srv->reaper, NULL);
	srv->has_reaper = false;
}

/* The limits from opts, the lock and the reaper.  Returns 0 or -1. */
int
api_conn_init(struct api_server *srv, const struct api_options *opts)
{
	pthread_condattr_t ca;

	srv->max_conn = opts->max_connections != 0 ? opts->max_connections :
	    API_DEFAULT_MAX_CONNECTIONS;
	srv->idle_timeout_ms = 1000LL * (opts->conn_timeout_s != 0 ?
	    opts->conn_timeout_s : API_DEFAULT_CONN_TIMEOUT_S);
	srv->header_timeout_ms = 1000LL * (opts->header_timeout_s != 0 ?
	    opts->header_timeout_s : API_DEFAULT_HEADER_TIMEOUT_S);
	if (pthread_mutex_init(&srv->conn_mu, NULL) != 0)
		return -1;
	if (pthread_condattr_init(&ca) != 0)
		goto out_mutex;
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&srv->reaper_cv, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		goto out_mutex;
	}
	pthread_condattr_destroy(&ca);
	if (pthread_create(&srv->reaper, NULL, reaper_main, srv) != 0)
		goto out_cond;
	srv->has_reaper = true;
	return 0;

out_cond:
	pthread_cond_destroy(&srv->reaper_cv);
out_mutex:
	pthread_mutex_destroy(&srv->conn_mu);
	return -1;
}

/* After MHD has stopped (every slot freed) or failed to start. */
void
api_conn_fini(struct api_server *srv)
{
	api_conn_reaper_stop(srv);
	pthread_cond_destroy(&srv->reaper_cv);
	pthread_mutex_destroy(&srv->conn_mu);
}

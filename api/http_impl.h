/*
 * api/http_impl.h: what the two halves of the HTTP layer share, and
 * nothing outside them may use: the server (struct api_server) and the
 * connection policy's entry points.
 *   api/http.c       the server, TLS, the token, bodies, dispatch, replies
 *   api/http_conn.c  the connection table, the reaper, the accept policy
 *
 * Lock: api_server.conn_mu guards the connection fields; it is a leaf
 * lock.  start_mu guards only the start-up error capture.
 */
#ifndef API_HTTP_IMPL_H
#define API_HTTP_IMPL_H

#include <sys/types.h>
#include <sys/socket.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#include "api/api.h"
#include "api/routes.h"

/* Per-connection memory for the request line and headers. */
#define API_CONN_MEMORY		(32 * 1024)

struct conn_slot;			/* defined in api/http_conn.c only */

struct api_server {
	struct MHD_Daemon	*mhd;
	struct api_ctx		 ctx;		/* the routes' state */
	uint16_t		 port;
	api_log_fn		*log;
	void			*log_arg;
	char			 api_token[API_TOKEN_MAX + 1]; /* "": none */
	char			 read_token[API_TOKEN_MAX + 1]; /* "": none */
	bool			 auth_reads;
	char			*tls_cert;	/* PEM, while MHD runs */
	char			*tls_key;

	/*
	 * Connections (api/http_conn.c).  conn_mu guards all of
	 * these; it is a leaf lock, and MHD holds none of its own when it
	 * calls the callbacks that take it.
	 */
	pthread_mutex_t		 conn_mu;
	pthread_cond_t		 reaper_cv;	/* wakes the reaper to stop */
	pthread_t		 reaper;
	bool			 has_reaper;
	bool			 is_stopping;
	struct conn_slot	*wait_head;	/* waiting for a request head, */
	struct conn_slot	*wait_tail;	/* the longest-waiting first */
	unsigned		 nconn;		/* started, not yet closed */
	unsigned		 ncut;		/* of those, shut down by us */
	unsigned		 max_conn;
	uint64_t		 nshed;		/* /metrics: cut for room, */
	uint64_t		 nrefused;	/* refused at accept, */
	uint64_t		 ntimed_out;	/* cut by the reaper */
	int64_t			 header_timeout_ms;
	int64_t			 idle_timeout_ms;

	/* MHD's first error while starting, for api_start()'s message. */
	pthread_mutex_t		 start_mu;
	bool			 capturing;
	char			 start_err[API_ERRMSG_MAX];
};

/*
 * The limits from opts, conn_mu, the reaper's condition and the reaper
 * thread.  Returns 0 or -1 (nothing is left to undo).  Undo with
 * api_conn_fini() after MHD has stopped or failed to start.
 * Thread: main (api_start(), api_stop()).
 */
int		 api_conn_init(struct api_server *, const struct api_options *);
void		 api_conn_fini(struct api_server *);

/*
 * Stop and join the reaper; again is harmless.  api_stop() calls it
 * before MHD frees the connection slots.
 * Thread: main.
 */
void		 api_conn_reaper_stop(struct api_server *);

/*
 * MHD's accept policy (cls is the server) and its NOTIFY_CONNECTION
 * callback, which gives each connection its slot.
 * Thread: MHD workers.
 */
enum MHD_Result	 api_conn_on_accept(void *, const struct sockaddr *,
		    socklen_t);
void		 api_conn_on_notify(void *, struct MHD_Connection *, void **,
		    enum MHD_ConnectionNotificationCode);

/*
 * The connection figures for /metrics (api_conn_stats_fn; arg is the
 * server).  Thread: HTTP.
 */
void		 api_conn_stats(void *, struct api_conn_stats *);

/*
 * A request head has arrived (busy = true: off the waiting list) or its
 * answer is done and the connection is kept alive (waits from now).
 * Thread: MHD workers.
 */
void		 api_conn_set_busy(struct api_server *, struct MHD_Connection *,
		    bool);

#endif

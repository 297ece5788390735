/*
 * api/routes.h: the route table of the HTTP API (api/routes.c), and what
 * the HTTP layer (api/http.c) hands it and gets back.
 *
 * DESIGN: the HTTP layer finds the route whose methods and pattern match
 * (404, 405 with Allow, 401 without the token are its answers), collects
 * a body, and calls api_route_serve(), the one handler of every route:
 * the route's parse functions turn query and path into a struct api_req
 * (a 4xx with a message on bad input), the handler copies a snapshot out
 * of the store when the route asks for one (no lock is held after that),
 * and the render function turns request and snapshot into a struct
 * api_out, which the HTTP layer sends.  Parse and render functions never
 * see MHD's connection or queue a response, so they can be read (and
 * tested) as request -> body.
 */
#ifndef API_ROUTES_H
#define API_ROUTES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "api/api.h"
#include "api/buf.h"

struct cJSON;
struct MHD_Connection;
struct MHD_Response;
struct api_stats;
struct pw_history;
struct pw_snapshot;

#define API_ERRMSG_MAX		256
#define API_MAX_CAPTURES	4
#define API_DIR_MAX		1024	/* the "dygraphs_dir" path */

/* HTTP methods as bits, for a route's set of methods. */
enum {
	API_M_GET = 1 << 0,
	API_M_HEAD = 1 << 1,
	API_M_POST = 1 << 2,
	API_M_PUT = 1 << 3,
	API_M_DELETE = 1 << 4,
	API_M_PATCH = 1 << 5,
	API_M_OPTIONS = 1 << 6,
};

/*
 * What the routes render from: the server's options and the views'
 * state, set up by api_ctx_init() and read-only afterwards (but for
 * procmetrics).  Thread: HTTP, after api_start() returns.
 */
struct api_ctx {
	struct pw_monitor	*mon;		/* borrowed */
	long			 hz;		/* clock ticks per second */
	char			*version;
	struct pw_alerts	*alerts;	/* borrowed; may be NULL */
	api_notify_stats_fn	*notify_stats;
	void			*notify_arg;
	api_rw_stats_fn		*rw_stats;
	void			*rw_arg;
	/* the server's connection figures; NULL: no server (tests) */
	api_conn_stats_fn	*conn_stats;
	void			*conn_arg;
	char			 dygraphs_dir[API_DIR_MAX];
	struct api_stats	*stats;		/* windowed views' state */
	struct pw_profiler	*profiler;	/* borrowed; may be NULL */
	struct pw_events	*events;	/* borrowed; may be NULL */
	api_reload_fn		*reload;
	void			*reload_arg;
	/* process_metrics: mode << 32 | top, one word so both change at once */
	_Atomic uint64_t	 procmetrics;
	api_clock_fn		*now_ms;	/* NULL: the real clock */
	void			*now_arg;
	struct pw_history	*history;	/* borrowed; NULL: none */
	char			 history_off[API_ERRMSG_MAX]; /* why not */
	char			 history_dir[API_DIR_MAX];
};

/*
 * Set up c from opts (already checked by api_start(): dygraphs_dir fits
 * API_DIR_MAX).  Returns 0 or -ENOMEM; free with api_ctx_fini(), which
 * accepts a ctx that failed or was never set up (all zero).  Thread: main.
 */
int	api_ctx_init(struct api_ctx *c, const struct api_options *opts,
	    struct pw_monitor *mon);
void	api_ctx_fini(struct api_ctx *c);
/* api_set_process_metrics() of api/api.h.  Thread: any. */
void	api_ctx_set_process_metrics(struct api_ctx *c, int mode,
	    unsigned top);

/* One request as the HTTP layer hands it over.  Everything is borrowed. */
struct api_in {
	struct MHD_Connection	*conn;		/* for query values only */
	const char		*cap[API_MAX_CAPTURES]; /* "{name}" segments */
	size_t			 cap_len[API_MAX_CAPTURES]; /* not NUL-ended */
	int			 ncap;
	const char		*body;		/* NULL: none; not NUL-ended */
	size_t			 body_len;
};

/*
 * A route's answer.  On 2xx the body is exactly one of: `resp`, a
 * complete response queued as it is (the dashboard's files); `text`, of
 * type `ctype` when ctype is not NULL; `json`; none of them means out of
 * memory.  Otherwise `err` is the message of {"error": ...}, and an empty
 * one with 500 means out of memory.  The HTTP layer frees what is set.
 */
struct api_out {
	unsigned		 status;
	struct cJSON		*json;
	struct api_buf		 text;		/* capped at API_PROM_MAX */
	const char		*ctype;
	struct MHD_Response	*resp;
	char			 err[API_ERRMSG_MAX];
};

/* The parsed request: what api/routes.c's parse functions fill in. */
struct api_req;

/*
 * Turn the query, path captures and body of `in` into *rq.  Returns 0,
 * or a 4xx status with the message in err.
 */
typedef unsigned api_parse_fn(const struct api_in *in, struct api_req *rq,
    char *err, size_t errlen);
/*
 * Render rq (and snap, when the route asks for one) into *out and
 * return out->status.  Never holds a lock across I/O or cJSON.
 */
typedef unsigned api_render_fn(struct api_ctx *c, const struct api_req *rq,
    const struct pw_snapshot *snap, struct api_out *out);

/* What the handler copies out of the store before it renders. */
enum api_snap {
	API_SNAP_NONE,
	API_SNAP_ALL,		/* every live process (and gone: rq) */
	API_SNAP_PID,		/* the process of {pid}; 404 without one */
};

/*
 * A route: methods (API_M_*) and a pattern of literal segments and
 * "{name}" segments, each capturing one non-empty path segment.
 */
#define API_PARSE_STEPS	3

struct api_route {
	unsigned	 methods;
	const char	*pattern;
	/* Run in order, up to the first NULL or the first 4xx. */
	api_parse_fn	*parse[API_PARSE_STEPS];
	enum api_snap	 snap;
	api_render_fn	*render;
	const char	*arg;		/* the render's: a dashboard file */
};

/* The table, in the order the HTTP layer tries the patterns. */
extern const struct api_route	api_routes[];
extern const size_t		api_nroutes;

/*
 * The one handler of every route: parse, snapshot, render into *out
 * (which this initialises).  Thread: HTTP.
 */
void	api_route_serve(struct api_ctx *c, const struct api_route *r,
	    const struct api_in *in, struct api_out *out);

#endif

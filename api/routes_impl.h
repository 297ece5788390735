/*
 * api/routes_impl.h: what api/routes.c (the table, the renderers, the
 * handler) and api/routes_parse.c (the parse steps) share; never included
 * elsewhere.  api/routes.h is the interface.
 */
#ifndef API_ROUTES_IMPL_H
#define API_ROUTES_IMPL_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api/history.h"
#include "api/routes.h"

#define UNUSED		__attribute__((unused))

/* A request as the parse steps leave it for the renderers. */
struct api_req {
	pid_t		 pid;		/* {pid} */
	const char	*name;		/* {name} or {id}: not NUL-ended */
	size_t		 name_len;
	const char	*body;		/* NULL without one; not NUL-ended */
	size_t		 body_len;
	/*
	 * The query values the views check themselves (api/stats.h): ""
	 * for a bare "?key", NULL when absent.
	 */
	const char	*window;
	const char	*metrics;
	const char	*baseline;
	const char	*target;
	const char	*by;
	const char	*limit;
	int64_t		 now_ms;	/* the API's clock, for "-15m" */
	int64_t		 since_ms;	/* ?since=; INT64_MIN: none */
	int64_t		 until_ms;	/* ?until=; INT64_MAX: none */
	enum api_hist_res res;		/* samples' ?resolution= */
	int64_t		 at_ms;		/* ?at=, with has_at */
	bool		 has_at;
	bool		 targets;	/* dump's ?kind=target */
	size_t		 nlimit;	/* samples' ?limit=; SIZE_MAX: none */
	bool		 with_gone;	/* ?all= or ?include_gone= */
	unsigned	 states;	/* alerts' ?state=: PW_ALERTS_* */
	const char	*severity;	/* alerts' ?severity=, checked */
	const char	*file;		/* a dashboard file's name */
	char		 file_buf[64];
};

/* The parse steps of the table's rows (api_parse_fn, api/routes.h). */
api_parse_fn	api_rq_pid;
api_parse_fn	api_rq_view;
api_parse_fn	api_rq_window;
api_parse_fn	api_rq_samples;
api_parse_fn	api_rq_kind;
api_parse_fn	api_rq_at;
api_parse_fn	api_rq_processes;
api_parse_fn	api_rq_alerts;
api_parse_fn	api_rq_dygraphs;

#endif

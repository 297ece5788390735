/*
 * api/history_impl.h: what the files of the API's history views share
 * (api/history.c, history_at.c, history_dump.c, history_rank.c,
 * window_hist.c); never included outside them.  api/history.h is the interface.
 */
#ifndef API_HISTORY_IMPL_H
#define API_HISTORY_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

struct api_ctx;
struct pw_hist_ident;

#define HTTP_OK		200
#define HTTP_BAD	400
#define HTTP_NOT_FOUND	404
#define HTTP_INTERNAL	500

#define MS_PER_HOUR	INT64_C(3600000)
#define MS_PER_DAY	(24 * MS_PER_HOUR)
#define EVENTS_DEFAULT	1000
#define ALERTS_MAX	10000

/* The names of enum api_hist_res, as ?resolution= and the JSON spell them. */
extern const char *const api_hist_res_names[];

/*
 * Add each catalogue row's value of series i (ncols columns a row) to o
 * under its key.  Returns false when out of memory.
 * Thread: HTTP.
 */
bool	 api_hist_add_rows(cJSON *o, const double *v, size_t ncols, size_t i,
	    bool group);
/*
 * A raw sample read back from disk as JSON; the caller owns it (free with
 * cJSON_Delete()).  NULL when out of memory.
 * Thread: HTTP.
 */
cJSON	*api_hist_disk_point(int64_t ts_ms, const double *v, size_t ncols,
	    size_t i, bool group);
/*
 * The 400 for a view that needs the history on disk when there is none,
 * its message in err.
 * Thread: HTTP.
 */
unsigned api_hist_need_history(struct api_ctx *c, const char *what,
	    char *err, size_t errlen);

/*
 * The finest tier that holds [since, until) within raw_max raw points:
 * raw while it reaches back to since (or nothing coarser reaches
 * further), then the minute tier likewise (up to 14 days of minutes),
 * else the hour tier.  Thread: any.
 */
enum pw_hist_res;
struct pw_history;
enum pw_hist_res api_hist_pick_res(struct pw_history *h, int64_t since_ms,
	    int64_t until_ms, int64_t interval_ms, int64_t raw_max);

#endif

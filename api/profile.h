/*
 * api/profile.h: on-demand profiles (procwatch/profile.h) over HTTP.
 *
 *   POST /api/v1/processes/{pid}/profile  {"seconds":5,"hz":49}
 *        202 {"id":1,"status":"running","url":...,"folded_url":...}
 *   GET  /api/v1/profiles/{id}            the status and summary
 *   GET  /api/v1/profiles/{id}/folded     text/plain folded stacks
 *
 * As in api/stats.h, each function returns an HTTP status; on 2xx *out is
 * the caller's (cJSON_Delete(), or free() for the folded text), otherwise
 * `err` holds the message (empty with 500: out of memory).
 * Thread: HTTP.
 */
#ifndef API_PROFILE_H
#define API_PROFILE_H

#include <stddef.h>
#include <sys/types.h>

struct cJSON;
struct pw_profiler;

#define API_PROFILE_DEFAULT_SECONDS	5
#define API_PROFILE_DEFAULT_HZ		49
#define API_PROFILE_TOP			20	/* functions in each list */

/*
 * The body may be NULL or empty: the defaults apply.
 * Thread: HTTP (takes the profiler's lock).
 */
unsigned	api_profile_start(struct pw_profiler *, pid_t pid,
		    const char *body, size_t body_len, struct cJSON **out,
		    char *err, size_t errlen);
/* `id` is the {id} path segment, not NUL-terminated.  Thread: HTTP. */
unsigned	api_profile_get(struct pw_profiler *, const char *id,
		    size_t id_len, struct cJSON **out, char *err,
		    size_t errlen);
/*
 * *text is malloc'd, *len bytes; 409 while the profile is running.
 * Thread: HTTP.
 */
unsigned	api_profile_folded(struct pw_profiler *, const char *id,
		    size_t id_len, char **text, size_t *len, char *err,
		    size_t errlen);

#endif

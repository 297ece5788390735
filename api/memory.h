/*
 * api/memory.h: GET /api/v1/processes/{pid}/memory, a process's memory by
 * mapping, read on demand (api/memory.c).
 */
#ifndef API_MEMORY_H
#define API_MEMORY_H

#include <stddef.h>
#include <sys/types.h>

struct cJSON;
struct pw_monitor;

#define API_MEMORY_DEFAULT_LIMIT	20	/* mappings listed */

/*
 * Read pid's smaps_rollup and smaps now and render them: ?limit= (`limit`,
 * NULL when absent) mappings, largest PSS first.  Returns 200 with *out
 * set, 400 (bad limit), 403 (the kernel refuses: ptrace read access is
 * needed), 404 (no such process) or 500, with the message in err.
 * Thread: HTTP (it reads /proc; no lock is held).
 */
unsigned	api_memory_process(struct pw_monitor *, pid_t pid,
		    const char *limit, struct cJSON **out, char *err,
		    size_t errlen);

#endif

/*
 * daemon/otlp_encode.h: one sampling cycle (a struct pw_hist_cycle) as
 * OTLP/HTTP protobuf requests: ExportMetricsServiceRequest bodies for
 * /v1/metrics with the OpenTelemetry semantic conventions for processes
 * (one ResourceMetrics per process), and the process events (exits, OOM
 * kills) as ExportLogsServiceRequest bodies for /v1/logs.
 */
#ifndef PW_DAEMON_OTLP_ENCODE_H
#define PW_DAEMON_OTLP_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/rw_encode.h"

struct pw_hist_cycle;
struct pw_hist_event;

enum otlp_signal {
	OTLP_METRICS = 0,	/* POST to ENDPOINT/v1/metrics */
	OTLP_LOGS,		/* POST to ENDPOINT/v1/logs */
};

/*
 * Called with each request's body (protobuf; borrowed until it returns)
 * and the data points or log records in it.  Nonzero stops the encoding
 * and is returned by the encoder.
 */
typedef int otlp_emit_fn(void *arg, enum otlp_signal sig, const void *body,
    size_t len, size_t npoints);

/*
 * Encode cycle c's processes (as sel selects them; targets and custom
 * series are not sent) into requests of at most about max_points data
 * points (a process's points are never split).  host: the host.name
 * attribute.  Returns 0, the emitter's nonzero, or -ENOMEM.
 * Thread: any (no shared state).
 */
int	otlp_encode_metrics(const struct pw_hist_cycle *c,
	    const struct rw_select *sel, const char *host, size_t max_points,
	    otlp_emit_fn *emit, void *arg);

/*
 * Encode the process events of ev[0..n) (alert transitions are skipped)
 * as log records, at most max_records a request.  As above.
 * Thread: any (no shared state).
 */
int	otlp_encode_events(const struct pw_hist_event *ev, size_t n,
	    const char *host, size_t max_records, otlp_emit_fn *emit,
	    void *arg);

#endif

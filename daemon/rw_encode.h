/*
 * daemon/rw_encode.h: one sampling cycle (a struct pw_hist_cycle, from
 * the on-disk history's cursor or built from the store) as Prometheus
 * remote write 1.0 requests: protobuf WriteRequest messages, snappy
 * block-compressed, of the same series /metrics exposes (the metric
 * catalogue's families, with pid, name and target), with the external
 * labels added.
 */
#ifndef PW_DAEMON_RW_ENCODE_H
#define PW_DAEMON_RW_ENCODE_H

#include <stddef.h>
#include <stdint.h>

struct pw_hist_cycle;

/* Which processes' series go out (process_metrics). */
struct rw_select {
	int		 mode;		/* PROCMETRICS_ALL, _NONE, _TOP */
	unsigned	 top;		/* N by CPU % and N by RSS */
};

/* A cycle's cut for top N: which processes' series go out. */
struct rw_cuts {
	int		 mode;
	double		 cpu, rss;	/* keep above either, */
	size_t		 cpu_ties;	/* and this many at it, the first */
	size_t		 rss_ties;	/* in the cycle's order */
};

/*
 * The cut of cycle c for sel (top N: exactly the N processes with the
 * largest CPU % and the N with the largest RSS, ties taken in the
 * cycle's order).  0 or -ENOMEM.  Thread: any.
 */
int	rw_select_cuts(const struct pw_hist_cycle *c,
	    const struct rw_select *sel, struct rw_cuts *out);
/*
 * Whether a process series (values v[0..nc)) goes out.  Call it once for
 * each process series of the cycle, in the cycle's order: it uses up the
 * ties.  Thread: any.
 */
int	rw_select_keeps(struct rw_cuts *, const double *v, size_t nc);

/*
 * Called with each request's body (snappy-compressed protobuf; borrowed
 * until it returns) and the samples in it.  Nonzero stops the encoding
 * and is returned by rw_encode_cycle().
 */
typedef int rw_emit_fn(void *arg, const void *body, size_t len,
    size_t nsamples);

/*
 * Encode cycle c into requests of at most max_samples samples each.
 * ext: external labels as name, value pairs (nsorted pairs, sorted by
 * name, none named like procwatchd's own).  Returns 0, the emitter's
 * nonzero, or -ENOMEM.  *nsamples (may be NULL) gets the samples of the
 * cycle.  Thread: any (no shared state).
 */
int	rw_encode_cycle(const struct pw_hist_cycle *c,
	    const struct rw_select *sel, const char *const *ext, size_t next,
	    size_t max_samples, rw_emit_fn *emit, void *arg,
	    size_t *nsamples);

#endif

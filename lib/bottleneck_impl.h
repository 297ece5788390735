/*
 * bottleneck_impl.h: what lib/bottleneck.c (ranking) and
 * lib/bottleneck_text.c (sentences) share, inside lib/ only.
 */
#ifndef PW_BOTTLENECK_IMPL_H
#define PW_BOTTLENECK_IMPL_H

#include <stdbool.h>

#include <procwatch/stats.h>

#define MIB		(1024.0 * 1024.0)
#define GROWTH_MIN_RSS	(1024.0 * 1024.0)	/* bytes over the window */
#define GROWTH_MIN_N	2.0			/* fds, threads */
#define HOT_SHARE	0.6			/* "one hot thread" */


#endif

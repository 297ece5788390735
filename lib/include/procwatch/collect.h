/*
 * procwatch/collect.h: the collector ABI, shared by procwatchd's C plugins
 * (procwatch/plugin.h) and by programs that embed libprocwatch
 * (procwatch/procwatch.h).  It is installed, and it is part of the plugin
 * ABI: a change of layout or meaning here bumps PW_PLUGIN_ABI_VERSION.
 *
 * Collectors are callbacks that the monitor (pw_monitor_add_source(),
 * pw_embed_add_source()) or the daemon's plugin host calls once per
 * sampling cycle, on the sampler thread, host-wide or once per target.  A
 * collector hands each value to
 *	c->emit(c->emitter, name, value, labels, nlabels),
 * which stores it as a series (procwatch/custom.h) of the call's scope
 * (the target, or the host) written by the collector's source name; emit
 * returns 0 or a negative errno (-EINVAL for a bad name, label or value,
 * -ENOSPC when the store is full).  A collector returns 0, or a negative
 * errno that is counted as a "callback" error of its source.  It must be
 * quick: the next sampling cycle waits for it.
 *
 * Names follow Prometheus: [a-zA-Z_:][a-zA-Z0-9_:]*, at most
 * PW_CUSTOM_NAME_MAX bytes.  Label names are [a-zA-Z_][a-zA-Z0-9_]*, not
 * starting with "__" and not one of the labels procwatch adds ("pid",
 * "name", "target"); label values are valid UTF-8 without control
 * characters, at most PW_CUSTOM_LVALUE_MAX bytes.  Values are finite.
 */
#ifndef PROCWATCH_COLLECT_H
#define PROCWATCH_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#define PW_CUSTOM_NAME_MAX		128	/* bytes, without the NUL */
#define PW_CUSTOM_LABELS_MAX		8	/* labels per series */
#define PW_CUSTOM_LNAME_MAX		64
#define PW_CUSTOM_LVALUE_MAX		256
#define PW_CUSTOM_SOURCE_MAX		64

/* One label; both strings borrowed. */
struct pw_custom_label {
	const char	*name;
	const char	*value;
};

#define PW_COLLECT_HOST		0x0	/* once per cycle, host scope */
#define PW_COLLECT_PER_TARGET	0x1	/* once per target per cycle */

struct pw_emitter;
typedef int pw_emit_fn(struct pw_emitter *, const char *name, double value,
    const struct pw_custom_label *labels, size_t nlabels);

/* One call of a collector; valid only during the call. */
struct pw_collect {
	int64_t			 now_ms;	/* this cycle's sample time */
	const char		*target;	/* NULL: a host-wide call */
	struct pw_emitter	*emitter;
	pw_emit_fn		*emit;
};
typedef int pw_collect_fn(void *arg, const struct pw_collect *c);

#endif

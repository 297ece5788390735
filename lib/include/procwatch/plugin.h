/*
 * procwatch/plugin.h: the ABI of procwatchd's C plugins.
 *
 * A plugin is a shared object that exports one descriptor,
 *
 *	PW_PLUGIN_DEFINE("dirsize", my_init, my_fini);
 *
 * procwatchd dlopen()s each path listed under "plugins" in its config,
 * looks the descriptor up (symbol PW_PLUGIN_INFO_SYMBOL), refuses it when
 * its abi_version is not the daemon's PW_PLUGIN_ABI_VERSION, and then
 * calls init() once on the main thread before sampling starts.  init()
 * reads its settings with host->config_get() and registers collectors
 * with host->add_collector(); collectors (procwatch/collect.h) run on the
 * sampler thread each cycle and hand values to the emit function, exactly
 * as embedding programs' callbacks given to pw_embed_add_source()
 * (procwatch/procwatch.h) do.
 * fini() runs once at shutdown, after the last collector call.
 *
 * The ABI version changes whenever a struct in this header or in
 * procwatch/collect.h changes layout or meaning.  This header and
 * procwatch/collect.h are installed and need nothing else of procwatch.
 */
#ifndef PROCWATCH_PLUGIN_H
#define PROCWATCH_PLUGIN_H

#include <stddef.h>

#include <procwatch/collect.h>

#define PW_PLUGIN_ABI_VERSION	1
#define PW_PLUGIN_INFO_SYMBOL	"pw_plugin_info"

/* What the daemon offers a plugin during init(); owned by the daemon. */
struct pw_plugin_host {
	unsigned	 abi_version;	/* the daemon's PW_PLUGIN_ABI_VERSION */
	const char	*path;		/* of the shared object */
	/*
	 * Register a collector named `name` (the series' source, at most
	 * PW_CUSTOM_SOURCE_MAX bytes) with PW_COLLECT_* flags.  Returns 0,
	 * -EINVAL or -ENOMEM.  Only during init().
	 */
	int		(*add_collector)(struct pw_plugin_host *,
			    const char *name, unsigned flags,
			    pw_collect_fn *fn, void *arg);
	/*
	 * A value from the plugin's "config" object as a string (numbers
	 * and booleans as text), NULL if absent.  Only during init().
	 */
	const char	*(*config_get)(const struct pw_plugin_host *,
			    const char *key);
	/* Log one line (no newline) through the daemon's log. */
	void		(*log)(const struct pw_plugin_host *, const char *msg);
	void		*priv;		/* the daemon's; do not touch */
};

/* The descriptor a plugin exports. */
struct pw_plugin_info {
	unsigned	 abi_version;	/* PW_PLUGIN_ABI_VERSION built against */
	const char	*name;		/* [a-z0-9_], for messages */
	/* Set up; 0 or a negative errno (the daemon refuses to start). */
	int		(*init)(struct pw_plugin_host *, void **state);
	void		(*fini)(void *state);	/* may be NULL */
};

#define PW_PLUGIN_DEFINE(name, init, fini)				\
	const struct pw_plugin_info pw_plugin_info = {			\
		PW_PLUGIN_ABI_VERSION, (name), (init), (fini)		\
	}

/*
 * Check a descriptor found in a plugin: the ABI version, a name and an
 * init function.  Returns 0, or -EINVAL with a message in err such as
 * "ABI version 2, but this procwatchd speaks version 1: rebuild the
 * plugin against this procwatch/plugin.h".
 * Thread: any (pure).
 */
int	pw_plugin_check(const struct pw_plugin_info *, char *err,
	    size_t errlen);

#endif

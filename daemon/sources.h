/*
 * daemon/sources.h: custom metric sources of procwatchd: the custom series
 * store, the exec sources' thread (daemon/sources.c) and the C plugins
 * (daemon/plugins.c).
 */
#ifndef PW_DAEMON_SOURCES_H
#define PW_DAEMON_SOURCES_H

#include <stddef.h>

struct config;
struct config_plugin;
struct pw_alerts;
struct pw_monitor;

#define SOURCE_OUTPUT_MAX	(64 * 1024)	/* stdout past this: a flood */
#define SOURCE_STDERR_MAX	1024		/* stderr kept for the log */
#define SOURCE_LOG_EVERY_MS	60000		/* log one failure per source */

struct custom_host;

/*
 * Create the custom series store (cfg->custom), attach it to `mon` (which
 * must not be sampling yet) and to `alerts`, load the plugins and start
 * the exec sources' thread.  Everything `cfg` holds that is needed later
 * is copied, so a reload may free it.  Returns NULL with a message in err
 * on failure.  Free with custom_host_free() after the monitor, the alert
 * engine and the HTTP server are gone.  Thread: main.
 */
struct custom_host	*custom_host_new(const struct config *cfg,
			    struct pw_monitor *mon, struct pw_alerts *alerts,
			    char *err, size_t errlen);
void			 custom_host_free(struct custom_host *);

/*
 * Replace the exec sources with cfg's (checked first: on error nothing
 * changes and err says why).  A source whose definition is unchanged keeps
 * its schedule; a running command is killed.  Plugins stay as loaded at
 * start (a warning says so when cfg lists others).  0 or -1.
 * Thread: main.
 */
int	custom_host_reload(struct custom_host *, const struct config *cfg,
	    char *err, size_t errlen);
/* What custom_host_reload() checks first, alone.  0 or -1.  Thread: any. */
int	custom_host_check(const struct config *cfg, char *err, size_t errlen);

/*
 * daemon/plugins.c: dlopen() each plugin, check its descriptor (procwatch/
 * plugin.h), and call its init(), which registers collectors on `mon`.
 * Returns NULL with a message naming the plugin in err on failure (none
 * stays loaded then).  plugins_unload() calls each fini() and dlclose()s;
 * call it once no collector can run any more.  Thread: main.
 */
struct plugin_set;
struct plugin_set	*plugins_load(const struct config_plugin *, size_t n,
			    struct pw_monitor *mon, char *err, size_t errlen);
void			 plugins_unload(struct plugin_set *);

#endif

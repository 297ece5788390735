/*
 * daemon/plugins.c: loading C plugins (procwatch/plugin.h).
 *
 * Each configured path was checked by the config (absolute, a regular
 * file owned by root or us, not writable by group or others, nor its
 * directory); it is checked again right before dlopen(), since the file
 * may have changed since.  The descriptor is checked by pw_plugin_check()
 * before any of the plugin's code runs (its constructors aside).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/monitor.h>
#include <procwatch/plugin.h>

#include "daemon/config.h"
#include "daemon/log.h"
#include "daemon/sources.h"

struct loaded {
	void				*dl;
	const struct pw_plugin_info	*info;
	void				*state;
	bool				 inited;
	struct pw_plugin_host		 host;
	char				**kv;	/* borrowed from the config */
	struct pw_monitor		*mon;
	bool				 in_init;
};

struct plugin_set {
	struct loaded	*p;
	size_t		 n;
};

static int
host_add_collector(struct pw_plugin_host *host, const char *name,
    unsigned flags, pw_collect_fn *fn, void *arg)
{
	struct loaded *l = host->priv;

	if (!l->in_init)
		return -EINVAL;
	return pw_monitor_add_source(l->mon, name, flags, fn, arg);
}

static const char *
host_config_get(const struct pw_plugin_host *host, const char *key)
{
	const struct loaded *l = host->priv;
	size_t i;

	for (i = 0; l->kv != NULL && l->kv[i] != NULL; i += 2)
		if (strcmp(l->kv[i], key) == 0)
			return l->kv[i + 1];
	return NULL;
}

static void
host_log(const struct pw_plugin_host *host, const char *msg)
{
	const struct loaded *l = host->priv;

	log_info("plugin %s: %.400s", l->info->name, msg);
}

void
plugins_unload(struct plugin_set *ps)
{
	size_t i;

	if (ps == NULL)
		return;
	for (i = ps->n; i > 0; i--) {
		struct loaded *l = &ps->p[i - 1];

		if (l->inited && l->info->fini != NULL)
			l->info->fini(l->state);
		if (l->dl != NULL)
			dlclose(l->dl);
	}
	free(ps->p);
	free(ps);
}

struct plugin_set *
plugins_load(const struct config_plugin *cp, size_t n, struct pw_monitor *mon,
    char *err, size_t errlen)
{
	struct plugin_set *ps;
	char why[256];
	const char *de;
	int rc;

	if ((ps = calloc(1, sizeof(*ps))) == NULL ||
	    (ps->p = calloc(n ? n : 1, sizeof(*ps->p))) == NULL) {
		free(ps);
		snprintf(err, errlen, "plugins: out of memory");
		return NULL;
	}
	for (; ps->n < n; ps->n++) {
		struct loaded *l = &ps->p[ps->n];
		const char *path = cp[ps->n].path;

		if (config_check_path(path, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "plugins[%zu].path: %s: %s",
			    ps->n, path, why);
			goto out_unload;
		}
		if ((l->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
			de = dlerror();
			snprintf(err, errlen, "plugins[%zu].path: %s",
			    ps->n, de != NULL ? de : path);
			goto out_unload;
		}
		l->info = dlsym(l->dl, PW_PLUGIN_INFO_SYMBOL);
		if (l->info == NULL) {
			snprintf(err, errlen, "plugins[%zu].path: %s: no %s "
			    "symbol: not a procwatch plugin", ps->n, path,
			    PW_PLUGIN_INFO_SYMBOL);
			goto out_unload;
		}
		if (pw_plugin_check(l->info, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "plugins[%zu].path: %s: %s",
			    ps->n, path, why);
			goto out_unload;
		}
		l->kv = cp[ps->n].kv;
		l->mon = mon;
		l->host.abi_version = PW_PLUGIN_ABI_VERSION;
		l->host.path = path;
		l->host.add_collector = host_add_collector;
		l->host.config_get = host_config_get;
		l->host.log = host_log;
		l->host.priv = l;
		l->in_init = true;
		rc = l->info->init(&l->host, &l->state);
		l->in_init = false;
		l->kv = NULL;		/* the config may be freed by a reload */
		if (rc < 0) {
			snprintf(err, errlen, "plugins[%zu]: %s: init failed: "
			    "%s", ps->n, l->info->name, strerror(-rc));
			goto out_unload;
		}
		l->inited = true;
		log_info("plugin %s loaded from %s", l->info->name, path);
	}
	return ps;
out_unload:
	ps->n++;		/* the failed one is dlclose()d too */
	plugins_unload(ps);
	return NULL;
}

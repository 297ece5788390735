/*
 * tests/e2e/plugin_stall.c: a plugin whose collector blocks the sampler
 * for as long as a file exists, so tests/e2e/notify.sh can show that the
 * systemd watchdog pings stop while the sampler is stuck.
 *
 * config: {"file": PATH}
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <procwatch/plugin.h>

static int
stall_collect(void *arg, const struct pw_collect *c)
{
	const struct timespec tick = { 0, 50 * 1000 * 1000 };

	(void)c;
	while (access(arg, F_OK) == 0)
		nanosleep(&tick, NULL);
	return 0;
}

static int
stall_init(struct pw_plugin_host *host, void **state)
{
	const char *file = host->config_get(host, "file");
	char *path;

	if (file == NULL || (path = strdup(file)) == NULL)
		return -EINVAL;
	*state = path;
	return host->add_collector(host, "stall", PW_COLLECT_HOST,
	    stall_collect, path);
}

static void
stall_fini(void *state)
{
	free(state);
}

PW_PLUGIN_DEFINE("stall", stall_init, stall_fini);

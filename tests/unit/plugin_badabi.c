/*
 * tests/unit/plugin_badabi.c: a plugin built against a future ABI, which
 * procwatchd must refuse before running any of its code (tests/e2e/
 * custom.sh).
 */
#include <errno.h>
#include <stdlib.h>

#include <procwatch/plugin.h>

static int
badabi_init(struct pw_plugin_host *host, void **state)
{
	(void)host;
	(void)state;
	abort();		/* never called: the ABI check comes first */
}

const struct pw_plugin_info pw_plugin_info = {
	PW_PLUGIN_ABI_VERSION + 1, "badabi", badabi_init, NULL
};

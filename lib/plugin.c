/*
 * plugin.c: checks of a plugin descriptor (procwatch/plugin.h).  Loading
 * (dlopen) is the daemon's job; this part is pure so it can be tested
 * with a fake descriptor.
 */
#include <errno.h>
#include <stdio.h>

#include <procwatch/plugin.h>

int
pw_plugin_check(const struct pw_plugin_info *pi, char *err, size_t errlen)
{
	if (pi == NULL) {
		snprintf(err, errlen, "no plugin descriptor");
		return -EINVAL;
	}
	if (pi->abi_version != PW_PLUGIN_ABI_VERSION) {
		snprintf(err, errlen, "ABI version %u, but this procwatchd "
		    "speaks version %u: rebuild the plugin against this "
		    "procwatch/plugin.h", pi->abi_version,
		    PW_PLUGIN_ABI_VERSION);
		return -EINVAL;
	}
	if (pi->name == NULL || pi->name[0] == '\0') {
		snprintf(err, errlen, "the descriptor has no name");
		return -EINVAL;
	}
	if (pi->init == NULL) {
		snprintf(err, errlen, "plugin %.64s has no init function",
		    pi->name);
		return -EINVAL;
	}
	return 0;
}

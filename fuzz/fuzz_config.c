/*
 * fuzz_config.c: libFuzzer harness for the JSON config parser.
 * Any input must give 0 or a negative errno with a one-line message, and
 * never crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *cfg = NULL;
	char err[512];

	err[0] = '\0';
	if (config_parse((const char *)data, size, "fuzz.json", &cfg, err,
	    sizeof(err)) == 0)
		config_free(cfg);
	else if (strchr(err, '\n') != NULL || err[0] == '\0')
		abort();		/* an error is always one non-empty line */
	return 0;
}

/*
 * fuzz_config.c: libFuzzer harness for the JSON config parser, step 1
 * only (daemon/config_impl.h): config_parse_only() does no I/O, so the
 * fuzzer never looks users up or opens the files an input names, and an
 * input behaves the same on every machine.
 * Any input must give 0 or a negative errno with a one-line message, and
 * never crash, leak or read out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config_impl.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	int rc;

	err[0] = '\0';
	rc = config_parse_only((const char *)data, size, "fuzz.json", err,
	    sizeof(err));
	/* An error is always one non-empty line (cJSON's own out of memory
	 * aside, which a fuzzer's inputs do not reach). */
	if (rc < 0 && (strchr(err, '\n') != NULL || err[0] == '\0'))
		abort();
	return 0;
}

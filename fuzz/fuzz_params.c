/*
 * fuzz_params.c: libFuzzer harness for URL path and query parsing: every
 * parser of api/params.c on the same NUL-terminated input, checking that
 * a success gives a value in range.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "api/params.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	int64_t ms;
	size_t lim;
	pid_t pid;
	bool b;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (api_parse_pid(s, &pid) == 0 && pid <= 0)
		abort();
	if (api_parse_limit(s, 1000000, &lim) == 0 && (lim < 1 || lim > 1000000))
		abort();
	(void)api_parse_rfc3339(s, &ms);
	if (api_parse_duration(s, &ms) == 0 && ms < 0)
		abort();
	(void)api_parse_bool(s, &b);
	free(s);
	return 0;
}

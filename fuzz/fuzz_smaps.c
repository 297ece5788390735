/*
 * fuzz_smaps.c: libFuzzer harness for the smaps and smaps_rollup parser
 * (procwatch/smaps.h).  The input is fed in chunks whose sizes come from
 * its first byte, so that lines straddle chunks at every offset; each
 * chunk is copied into an exactly sized buffer so ASan sees any read past
 * its end.  The results must hold what the header promises: at most
 * `limit` mappings, largest PSS first, names NUL-terminated within
 * PW_SMAPS_NAME_MAX, perms 4 bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/smaps.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw_smaps_parser *p;
	struct pw_smaps_totals t;
	struct pw_smaps_map *maps;
	size_t chunk, limit, at, k, nmaps, n, i;
	char *b;

	if (size < 1)
		return 0;
	chunk = (size_t)(data[0] & 0x3f) + 1;
	limit = (size_t)(data[0] >> 6) * 3;	/* 0, 3, 6, 9 */
	data++;
	size--;
	if ((p = pw_smaps_parser_new(limit)) == NULL)
		return 0;
	for (at = 0; at < size; at += k) {
		k = size - at < chunk ? size - at : chunk;
		if ((b = malloc(k)) == NULL)
			break;
		memcpy(b, data + at, k);
		pw_smaps_parser_feed(p, b, k);
		free(b);
	}
	if (pw_smaps_parser_finish(p, &t, &nmaps, &maps, &n) == 0) {
		if (n > limit || n > nmaps)
			abort();
		for (i = 0; i < n; i++) {
			if (memchr(maps[i].name, '\0', sizeof(maps[i].name)) ==
			    NULL || strlen(maps[i].perms) != 4)
				abort();
			if (i > 0 && maps[i].pss > maps[i - 1].pss)
				abort();
		}
		free(maps);
	}
	pw_smaps_parser_free(p);
	if ((b = malloc(size ? size : 1)) != NULL) {
		memcpy(b, data, size);
		(void)pw_smaps_parse_rollup(b, size, &t);
		free(b);
	}
	return 0;
}

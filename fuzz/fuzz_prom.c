/*
 * fuzz_prom.c: libFuzzer harness for the Prometheus renderer's label
 * escaping.  The input becomes a process's name, target and command line;
 * the rendered text must keep every label value on its line with only the
 * escapes the exposition format allows (\\, \", \n).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/monitor.h>
#include <procwatch/store.h>

#include "api/api.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check one rendered line: name{label="value",...} number */
static void
check_line(const char *l, const char *end)
{
	if (l == end || *l == '#')
		return;
	while (l < end && *l != '{' && *l != ' ')
		l++;
	if (l < end && *l == '{') {
		for (l++; l < end && *l != '}'; ) {
			while (l < end && *l != '=')
				l++;
			if (l + 1 >= end || l[1] != '"')
				abort();
			for (l += 2; l < end && *l != '"'; l++)
				if (*l == '\\') {
					if (l + 1 >= end || strchr("\\\"n", l[1]) == NULL)
						abort();
					l++;
				}
			if (l >= end)
				abort();	/* value not closed on its line */
			l++;
			if (l < end && *l == ',')
				l++;
		}
		if (l >= end)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw_proc_view v;
	struct pw_snapshot snap;
	struct pw_monitor_stats st;
	char *text, *out = NULL, *l, *nl;
	size_t len = 0;

	if ((text = malloc(size + 1)) == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&v, 0, sizeof(v));
	memset(&st, 0, sizeof(st));
	v.id = 1;
	v.pid = 42;
	v.alive = true;
	v.has_sample = true;
	v.latest.rss_bytes = 4096;
	v.latest.open_fds = 3;
	v.fd_limit = 1024;
	memcpy(v.name, text, size < 16 ? size : 16);
	v.target = text;
	v.cmdline = text;
	v.user = text;
	memset(&snap, 0, sizeof(snap));
	snap.n = 1;
	snap.procs = &v;
	snap.mem_total = 1 << 30;
	if (api_prom_render(&snap, &st, 100, text, &out, &len) == 0) {
		for (l = out; l < out + len; l = nl + 1) {
			if ((nl = memchr(l, '\n', (size_t)(out + len - l))) == NULL)
				abort();	/* every line ends with \n */
			check_line(l, nl);
		}
		free(out);
	}
	free(text);
	return 0;
}

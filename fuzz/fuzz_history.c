/*
 * fuzz_history.c: libFuzzer harness for the history's reader: a segment
 * file as found on disk after a crash or a disk error must never crash
 * it.  With the first byte even, the rest is written as the newest raw
 * segment of an empty directory (and as an events segment), the history
 * is opened (header check, scan, torn-tail cut) and read back every way
 * (a series at each resolution, a moment, events, alerts, the cursor).
 * With it odd, the rest is decoded directly as a record payload, twice
 * (a key record, then one against its state), and twice more stepping
 * over some series' values as a series query does, which reaches the
 * codec without the crc and zstd in front of it.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hist_impl.h"
#include "history.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A series query's filter: the odd pids' values are stepped over. */
static bool
keep_even(const struct hist_slot *s, void *arg)
{
	(void)arg;
	return s->id.pid % 2 == 0;
}

static char	dir[64];

static void
put_file(const char *name, const uint8_t *p, size_t len)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		abort();
	if (write(fd, p, len) != (ssize_t)len)
		abort();
	close(fd);
}

static void
clean(void)
{
	char path[128];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	closedir(d);
}

static void
remove_dir(void)
{
	clean();
	rmdir(dir);
}

static void
read_all(struct pw_history *h)
{
	struct pw_hist_query q = { 0 };
	const struct pw_hist_cycle *c;
	struct pw_hist_cursor *cu;
	struct pw_hist_series *s;
	struct pw_hist_event *ev;
	struct pw_hist_at *a;
	size_t n, i;
	int r;

	q.kind = PW_HIST_PROC;
	q.pid = 1000;
	q.since_ms = INT64_MIN / 4;
	q.until_ms = INT64_MAX / 4;
	for (r = 0; r < PW_HIST_NRES; r++) {
		q.res = (enum pw_hist_res)r;
		if (pw_history_series(h, &q, &s) == 0)
			pw_hist_series_free(s);
	}
	if (pw_history_at(h, 1790000000000LL, &a) == 0)
		pw_hist_at_free(a);
	if (pw_history_events(h, INT64_MIN / 4, INT64_MAX / 4, 0, &ev, &n) == 0)
		free(ev);
	if (pw_history_alerts_at(h, INT64_MAX / 4, &ev, &n) == 0)
		free(ev);
	if (pw_hist_cursor_new(h, 0, &cu) == 0) {
		for (i = 0; i < 1000 && pw_hist_cursor_next(cu, &c) == 1; i++)
			(void)pw_hist_cycle_nseries(c);
		pw_hist_cursor_free(cu);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw_hist_opts o;
	struct pw_history *h;
	struct hist_coder coder = { 0 };
	struct pw_hist_cycle *ev;
	int64_t interval;
	uint8_t *b;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if ((ev = pw_hist_cycle_new(0, 0)) == NULL)
			return 0;
		if ((b = malloc(size)) == NULL)	/* exactly sized for ASan */
			abort();
		memcpy(b, data + 1, size - 1);
		if (pw__hist_decode(&coder, b, size - 1, true, 0, ev,
		    &interval) == 0)
			(void)pw__hist_decode(&coder, b, size - 1, false, 0, ev,
			    &interval);
		coder.keep = keep_even;
		if (pw__hist_decode(&coder, b, size - 1, true, 0, NULL,
		    &interval) == 0)
			(void)pw__hist_decode(&coder, b, size - 1, false, 0,
			    NULL, &interval);
		free(b);
		pw__hist_coder_fini(&coder);
		pw_hist_cycle_free(ev);
		return 0;
	}
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_historyXXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
		atexit(remove_dir);	/* libFuzzer ends with exit() */
	}
	clean();
	put_file("raw-0000000000000001.pws", data + 1, size - 1);
	put_file("ev-0000000000000002.pws", data + 1, size - 1);
	pw_hist_opts_init(&o);
	o.dir = dir;
	o.cache_bytes = 1u << 20;
	if (pw_history_open(&o, &h, NULL) == 0) {
		read_all(h);
		pw_history_close(h);
	}
	return 0;
}

/*
 * ctl_dump.c: procwatchctl's view of the past: the times users type
 * (--at, --since, --until) and `dump`, every sample of a window as CSV or
 * JSON lines.
 *
 * DESIGN: times are resolved here, in the user's time zone and against
 * the user's clock ("03:12", "-15m"), and sent to the daemon as RFC 3339
 * UTC, so the answer does not depend on the daemon's TZ.  `dump` pages
 * through GET /api/v1/samples by its next_since (whole cycles per page),
 * or reads one process's or target's samples, and prints rows as they
 * come, so a long window never has to fit in memory at once.
 */
#include <config.h>	/* autoconf's */

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include <procwatch/timespec.h>

#include "daemon/ctl.h"

#define PAGE_ROWS	20000
#define PAGES_MAX	100000		/* a runaway loop's end */

int
ctl_time_arg(const char *opt, const char *s, char *buf, size_t len)
{
	struct timespec ts;
	const char *why = "";
	struct tm tm;
	int64_t now, ms;
	time_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (pw_timespec_parse(s, now, &ms, &why) < 0) {
		ctl_warnx("%s: \"%s\": %s", opt, s, why);
		return EXIT_USAGE;
	}
	t = (time_t)(ms / 1000);
	if (gmtime_r(&t, &tm) == NULL || len < 32) {
		ctl_warnx("%s: \"%s\": out of range", opt, s);
		return EXIT_USAGE;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return 0;
}

/* A CSV field: quoted when it holds a comma, a quote or a line break. */
static void
csv_field(const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			putchar('"');
		putchar(*s);
	}
	putchar('"');
}

/* One value as CSV: numbers as JSON has them, null as empty. */
static void
csv_value(const cJSON *v)
{
	char *txt;

	if (v == NULL || cJSON_IsNull(v))
		return;
	if (cJSON_IsString(v)) {
		csv_field(v->valuestring);
		return;
	}
	if (cJSON_IsBool(v)) {
		fputs(cJSON_IsTrue(v) ? "true" : "false", stdout);
		return;
	}
	if ((txt = cJSON_PrintUnformatted(v)) != NULL) {
		csv_field(txt);
		cJSON_free(txt);
	}
}

/* The dump in progress: the CSV header is the first row's keys. */
struct dump {
	bool		 csv;
	cJSON		*head;		/* array of key strings; owned */
	size_t		 rows;
};

static int
dump_row(struct dump *d, const cJSON *row)
{
	const cJSON *k;
	char *txt;
	bool first;

	if (!d->csv) {
		if ((txt = cJSON_PrintUnformatted(row)) == NULL)
			return -ENOMEM;
		printf("%s\n", txt);
		cJSON_free(txt);
		d->rows++;
		return 0;
	}
	if (d->head == NULL) {
		if ((d->head = cJSON_CreateArray()) == NULL)
			return -ENOMEM;
		first = true;
		for (k = row->child; k != NULL; k = k->next) {
			/* Nested objects (a roll-up's min/max) are JSON. */
			cJSON_AddItemToArray(d->head,
			    cJSON_CreateString(k->string));
			printf("%s", first ? "" : ",");
			csv_field(k->string);
			first = false;
		}
		putchar('\n');
	}
	first = true;
	cJSON_ArrayForEach(k, d->head) {
		printf("%s", first ? "" : ",");
		csv_value(cJSON_GetObjectItemCaseSensitive(row,
		    k->valuestring));
		first = false;
	}
	putchar('\n');
	d->rows++;
	return 0;
}

static int
dump_rows(struct dump *d, const cJSON *root, const char *path)
{
	const cJSON *arr, *row;

	arr = cJSON_GetObjectItemCaseSensitive(root, "samples");
	if (!cJSON_IsArray(arr)) {
		ctl_warnx("GET %s: no \"samples\" array in the reply", path);
		return EXIT_DAEMON;
	}
	cJSON_ArrayForEach(row, arr)
		if (dump_row(d, row) < 0) {
			ctl_warnx("out of memory");
			return EXIT_DAEMON;
		}
	return 0;
}

int
ctl_dump(struct ctl *c, const struct ctl_dump_args *a)
{
	struct dump d = { .csv = a->csv };
	char path[512], since[40], until[40], next[40];
	const char *ns;
	cJSON *root = NULL;
	size_t pages = 0;
	int rc;

	if ((rc = ctl_time_arg("--since", a->since != NULL ? a->since :
	    "-1h", since, sizeof(since))) != 0 ||
	    (rc = ctl_time_arg("--until", a->until != NULL ? a->until : "now",
	    until, sizeof(until))) != 0)
		return rc;
	if (a->pid != NULL || a->target != NULL) {
		/* One series: its own samples, at the resolution asked. */
		if (a->pid != NULL)
			snprintf(path, sizeof(path), "/api/v1/processes/%s/"
			    "samples?since=%s&until=%s&resolution=%s",
			    a->pid, since, until, a->resolution);
		else
			snprintf(path, sizeof(path), "/api/v1/targets/%s/"
			    "samples?since=%s&until=%s&resolution=%s",
			    a->target, since, until, a->resolution);
		if ((rc = ctl_get_json(c, path, NULL, false, &root)) == 0)
			rc = dump_rows(&d, root, path);
		goto out;
	}
	for (;;) {
		snprintf(path, sizeof(path), "/api/v1/samples?since=%s&until=%s"
		    "&limit=%d%s", since, until, PAGE_ROWS,
		    a->targets ? "&kind=target" : "");
		if ((rc = ctl_get_json(c, path, "dump is not available: this "
		    "procwatchd has no /api/v1/samples", false, &root)) != 0 ||
		    (rc = dump_rows(&d, root, path)) != 0)
			goto out;
		ns = ctl_str(root, "next_since");
		if (ns == NULL || ++pages >= PAGES_MAX)
			break;
		snprintf(next, sizeof(next), "%s", ns);
		memcpy(since, next, sizeof(since));
		cJSON_Delete(root);
		root = NULL;
	}
out:
	if (rc == 0 && d.rows == 0)
		ctl_warnx("no samples between %s and %s", since, until);
	cJSON_Delete(d.head);
	cJSON_Delete(root);
	return rc;
}

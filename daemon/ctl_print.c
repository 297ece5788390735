/*
 * ctl_print.c: procwatchctl's output: JSON fields as table cells and
 * lines, metric values formatted by their unit in the catalogue.
 *
 * Fields a daemon leaves out or sets to null print as "-".  A metric is
 * named by its catalogue row; its JSON key, its label and how its value
 * is written (bytes as "1.5K", a percent with one decimal, a count whole)
 * come from the row, so a table column is a metric name and a width.
 */
#include <config.h>	/* autoconf's */

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "daemon/ctl.h"

void
ctl_warnx(const char *fmt, ...)
{
	va_list ap;

	fputs("procwatchctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --- JSON access and formatting -------------------------------------------- */

bool
ctl_num(const cJSON *o, const char *key, double *v)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(it))
		return false;
	*v = it->valuedouble;
	return true;
}

const char *
ctl_str(const cJSON *o, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* `s`, or "-" for a missing string. */
const char *
ctl_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

/* 1536 -> "1.5K", in powers of 1024 as ps and top show sizes. */
const char *
ctl_fmt_bytes(double v, char *buf, size_t len)
{
	static const char units[] = "BKMGTP";
	size_t u = 0;

	while (v >= 1024 && u < sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0fB", v);
	else
		snprintf(buf, len, "%.*f%c", v < 10 ? 1 : 0, v, units[u]);
	return buf;
}

/* A number with `prec` decimals (-1: as short as %g makes it), or "-". */
const char *
ctl_fmt_num_key(const cJSON *o, const char *key, int prec, char *buf,
    size_t len)
{
	double v;

	if (!ctl_num(o, key, &v))
		return "-";
	if (prec < 0)
		snprintf(buf, len, "%g", v);
	else
		snprintf(buf, len, "%.*f", prec, v);
	return buf;
}

/* The words ps(1) uses for a state letter (proc(5), /proc/PID/stat). */
const char *
ctl_state_name(const char *s)
{
	if (s == NULL || s[0] == '\0')
		return "-";
	switch (s[0]) {
	case 'R':
		return "running";
	case 'S':
		return "sleeping";
	case 'D':
		return "disk";
	case 'Z':
		return "zombie";
	case 'T':
		return "stopped";
	case 't':
		return "traced";
	case 'I':
		return "idle";
	case 'X':
		return "dead";
	default:
		return s;
	}
}

/* Seconds as "3d04h", "2h05m", "4m10s" or "12s". */
const char *
ctl_fmt_duration(double s, char *buf, size_t len)
{
	unsigned long long t = s > 0 ? (unsigned long long)s : 0;

	if (t >= 86400)
		snprintf(buf, len, "%llud%02lluh", t / 86400, t % 86400 / 3600);
	else if (t >= 3600)
		snprintf(buf, len, "%lluh%02llum", t / 3600, t % 3600 / 60);
	else if (t >= 60)
		snprintf(buf, len, "%llum%02llus", t / 60, t % 60);
	else
		snprintf(buf, len, "%llus", t);
	return buf;
}

/*
 * Print at most `w` bytes of s, padded to w, then a space.  Names are
 * plain ASCII in practice; a cut may split a UTF-8 sequence, which is
 * cosmetic.
 */
void
ctl_col(const char *s, int w, bool right)
{
	printf(right ? "%*.*s " : "%-*.*s ", w, w, s);
}

/*
 * The first array in a reply: the reply itself, or the first member of
 * an object that is an array ({"alerts": [...]}).  NULL if none.
 */
const cJSON *
ctl_first_array(const cJSON *root)
{
	const cJSON *it;

	if (cJSON_IsArray(root))
		return root;
	cJSON_ArrayForEach(it, root)
		if (cJSON_IsArray(it))
			return it;
	return NULL;
}


/* --- metrics by their catalogue row ---------------------------------------- */

const char *
ctl_fmt_metric(const struct ctl_metric *m, double v, int prec, char *buf,
    size_t len)
{
	const char *u = m->unit != NULL ? m->unit : "";
	size_t n;

	if (strcmp(u, "bytes") == 0)
		return ctl_fmt_bytes(v, buf, len);
	if (strcmp(u, "bytes_per_second") == 0) {
		ctl_fmt_bytes(v, buf, len);
		n = strlen(buf);
		snprintf(buf + n, len - n, "/s");
		return buf;
	}
	if (strcmp(u, "ratio") == 0)		/* shown as a percent */
		snprintf(buf, len, "%.*f", prec < 0 ? 1 : prec, v * 100.0);
	else if (strcmp(u, "percent") == 0 || strcmp(u, "per_second") == 0 ||
	    strcmp(u, "ticks_per_second") == 0)
		snprintf(buf, len, "%.*f", prec < 0 ? 1 : prec, v);
	else if (strcmp(u, "seconds") == 0)
		snprintf(buf, len, "%.*f", prec < 0 ? 2 : prec, v);
	else if (strcmp(u, "count") == 0)
		snprintf(buf, len, "%.*f", prec < 0 ? 0 : prec, v);
	else if (strcmp(u, "boolean") == 0)
		snprintf(buf, len, "%s", v != 0 ? "yes" : "no");
	else if (prec < 0)
		snprintf(buf, len, "%g", v);
	else
		snprintf(buf, len, "%.*f", prec, v);
	return buf;
}

/* The key row m has in an object of kind `where`; NULL: not in it. */
static const char *
metric_key(const struct ctl_metric *m, enum ctl_key where)
{
	switch (where) {
	case CTL_KEY_PROCESS:
		return m->key;
	case CTL_KEY_GROUP:
		return m->gkey;
	default:
		return m->name;
	}
}

const char *
ctl_fmt_metric_key(struct ctl *c, const cJSON *o, const char *name,
    enum ctl_key where, int prec, char *buf, size_t len)
{
	const struct ctl_metric *m = ctl_metric(c, name);
	const char *key = metric_key(m, where);
	double v;

	if (key == NULL || !ctl_num(o, key, &v))
		return "-";
	return ctl_fmt_metric(m, v, prec, buf, len);
}

const char *
ctl_metric_head(const struct ctl_metric *m, char *buf, size_t len)
{
	const char *s = m->label != NULL ? m->label : m->name;
	size_t n = 0;

	for (; *s != '\0' && n + 1 < len; s++)
		if (*s != ' ')
			buf[n++] = (char)toupper((unsigned char)*s);
	buf[n] = '\0';
	return buf;
}

void
ctl_print_col_head(struct ctl *c, const struct ctl_col *cc)
{
	char buf[64];

	ctl_col(cc->head != NULL ? cc->head :
	    ctl_metric_head(ctl_metric(c, cc->metric), buf, sizeof(buf)),
	    cc->width, true);
}

void
ctl_print_col(struct ctl *c, const cJSON *o, const struct ctl_col *cc,
    enum ctl_key where)
{
	char buf[48];

	ctl_col(ctl_fmt_metric_key(c, o, cc->metric, where, cc->prec, buf,
	    sizeof(buf)), cc->width, true);
}

/*
 * Print a sparkline of metric `name` over the samples (a process's or a
 * target's, by `where`): one block per sample, scaled from the smallest
 * to the largest value; a missing value (a first sample's CPU) is a
 * space.  The label is the row's, in lower case.
 */
static void
sparkline(struct ctl *c, const cJSON *samples, const char *name,
    enum ctl_key where)
{
	static const char *const blocks[] = {
		"\u2581", "\u2582", "\u2583", "\u2584",
		"\u2585", "\u2586", "\u2587", "\u2588",
	};
	const struct ctl_metric *m = ctl_metric(c, name);
	const char *key = metric_key(m, where);
	const cJSON *s;
	double v = 0, lo = INFINITY, hi = -INFINITY;
	char label[32], b1[32], b2[32], b3[32];
	int n = 0, i;

	snprintf(label, sizeof(label), "%s", m->label != NULL ? m->label :
	    m->name);
	for (i = 0; label[i] != '\0'; i++)
		label[i] = (char)tolower((unsigned char)label[i]);
	cJSON_ArrayForEach(s, samples) {
		if (key == NULL || !ctl_num(s, key, &v))
			continue;
		lo = fmin(lo, v);
		hi = fmax(hi, v);
		n++;
	}
	printf("  %-10s", label);
	if (n == 0) {
		printf("(no samples yet)\n");
		return;
	}
	cJSON_ArrayForEach(s, samples) {
		if (!ctl_num(s, key, &v)) {
			putchar(' ');
			continue;
		}
		i = hi > lo ? (int)((v - lo) / (hi - lo) * 7 + 0.5) : 0;
		fputs(blocks[i < 0 ? 0 : i > 7 ? 7 : i], stdout);
	}
	/* One decimal, as for CPU %; bytes and such as their unit has it. */
	printf("  min %s, max %s, now %s\n", ctl_fmt_metric(m, lo, 1, b1,
	    sizeof(b1)), ctl_fmt_metric(m, hi, 1, b2, sizeof(b2)),
	    ctl_fmt_metric(m, v, 1, b3, sizeof(b3)));
}

/*
 * The "cpu" line of a sample (a process's or a target's, by `where`)
 * ending in `tail`, then its "memory" line.
 */
void
ctl_print_cpu_memory(struct ctl *c, const cJSON *s, enum ctl_key where,
    const char *tail)
{
	char b1[32], b2[32], b3[32], b4[32];

	printf("  %-10s%s%% (user %s%%, system %s%%)%s", "cpu",
	    ctl_fmt_metric_key(c, s, "cpu_percent", where, 1, b1, sizeof(b1)),
	    ctl_fmt_metric_key(c, s, "cpu_user_percent", where, 1, b2,
	    sizeof(b2)),
	    ctl_fmt_metric_key(c, s, "cpu_system_percent", where, 1, b3,
	    sizeof(b3)), tail);
	printf("  %-10sRSS %s (%s%%), VMS %s, swap %s\n", "memory",
	    ctl_fmt_metric_key(c, s, "rss_bytes", where, -1, b1, sizeof(b1)),
	    ctl_fmt_metric_key(c, s, "memory_percent", where, 2, b2,
	    sizeof(b2)),
	    ctl_fmt_metric_key(c, s, "vms_bytes", where, -1, b3, sizeof(b3)),
	    ctl_fmt_metric_key(c, s, "swap_bytes", where, -1, b4, sizeof(b4)));
}

/*
 * The "history" line of a process or target `obj` and sparklines of CPU
 * and RSS (and, for a target, the process count) over its samples `hist`
 * (NULL: none).
 */
void
ctl_print_history(struct ctl *c, const cJSON *obj, const cJSON *hist,
    bool procs)
{
	enum ctl_key where = procs ? CTL_KEY_GROUP : CTL_KEY_PROCESS;
	const cJSON *samples;
	double v, w;

	if (ctl_num(obj, "samples_stored", &v) && ctl_num(obj, "capacity", &w))
		printf("  %-10s%.0f of %.0f samples kept\n", "history", v, w);
	samples = cJSON_GetObjectItemCaseSensitive(hist, "samples");
	if (!cJSON_IsArray(samples))
		return;
	printf("last %d samples:\n", cJSON_GetArraySize(samples));
	sparkline(c, samples, "cpu_percent", where);
	sparkline(c, samples, "rss_bytes", where);
	if (procs)
		sparkline(c, samples, "processes", where);
}

/*
 * Print {key: *obj, "samples": *hist (null if NULL)} as one JSON document;
 * both are taken (set to NULL).  Returns 0 or EXIT_DAEMON.
 */
int
ctl_print_with_samples(const char *key, cJSON **obj, cJSON **hist)
{
	cJSON *both;
	char *out;

	if ((both = cJSON_CreateObject()) == NULL) {
		ctl_warnx("out of memory");
		return EXIT_DAEMON;
	}
	cJSON_AddItemToObject(both, key, *obj);
	*obj = NULL;
	if (*hist != NULL)
		cJSON_AddItemToObject(both, "samples", *hist);
	else
		cJSON_AddNullToObject(both, "samples");
	*hist = NULL;
	out = cJSON_Print(both);
	cJSON_Delete(both);
	if (out == NULL) {
		ctl_warnx("out of memory");
		return EXIT_DAEMON;
	}
	printf("%s\n", out);
	cJSON_free(out);
	return 0;
}

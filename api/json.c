/*
 * api/json.c: processes and samples as cJSON objects.
 *
 * PROC:   {"pid", "ppid", "name", "target" (null if none), "cmdline",
 *          "user", "uid", "cgroup" (null if unknown), "unit" (the
 *          innermost .service or .scope of the cgroup, null if none:
 *          pw_cgroup_unit()), "start_time", "alive", "gone_at" (null while
 *          alive), "fd_limit" (null if unknown), "pss_bytes",
 *          "uss_bytes", "swap_pss_bytes" (null unless the process was
 *          among the pss_top by RSS at the last round: lib/pss.c),
 *          "pss_at" (when they were read, null), "samples_stored",
 *          "capacity", "sample": SAMPLE or null}
 * SAMPLE: {"ts", "cpu_percent", "cpu_user_percent", "cpu_system_percent"
 *          (null on a process's first sample), "rss_bytes", "vms_bytes",
 *          "swap_bytes", "memory_percent", "open_fds" (null if unreadable),
 *          "fd_limit", "threads", "ctx_switches_voluntary",
 *          "ctx_switches_involuntary", "minor_faults", "major_faults",
 *          "read_bytes", "write_bytes" (null if unreadable),
 *          "cpu_delay_percent", "io_delay_percent", "swapin_delay_percent",
 *          "memory_delay_percent" (null where the kernel or our rights do
 *          not give them: procwatch/delay.h), "state"}
 * Times are RFC 3339 UTC strings with milliseconds; percentages are rounded
 * to two decimals.  SAMPLE's figures, and PROC's fd_limit, are the metric
 * catalogue's rows (procwatch/metric.h), named and read as it says, in
 * the order of api_metric_json_order(); the null cases above are the
 * rows' readers' "unknown" (memory_percent: MemTotal unknown).
 *
 * DESIGN: cJSON prints numbers through a double with 17 digits at most;
 * byte and event counters are added as raw integer text instead
 * (api_add_u64()), read from the rows' exact fields so that a counter
 * above 2^53 stays exact (api_metric_add_proc_json()).  Strings from the
 * kernel (comm, cmdline) are arbitrary bytes and are made valid UTF-8
 * before they reach cJSON, which would copy invalid sequences through
 * into the output.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <procwatch/cgroup.h>
#include <procwatch/metric.h>
#include <procwatch/sample.h>
#include <procwatch/store.h>

#include "api/api.h"
#include "api/catalogue.h"

#define MS_PER_DAY	INT64_C(86400000)

size_t
api_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c;
	size_t len, i;
	uint32_t cp;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return 0;	/* continuation byte, 0xc0, 0xc1, > 0xf4 */
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * A copy of s with each byte that does not start a well-formed UTF-8
 * sequence replaced by U+FFFD, or NULL with *same set when s is fine.
 */
static char *
utf8_fix(const char *s, bool *same)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i, k, o = 0;
	char *out;

	*same = false;
	for (i = 0; i < n; i += k)
		if ((k = api_utf8_seq(p + i, n - i)) == 0)
			break;
	if (i == n) {
		*same = true;
		return NULL;
	}
	if ((out = malloc(n * 3 + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i += k) {
		if ((k = api_utf8_seq(p + i, n - i)) == 0) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			k = 1;
		} else {
			memcpy(out + o, p + i, k);
			o += k;
		}
	}
	out[o] = '\0';
	return out;
}

bool
api_add_text(cJSON *obj, const char *key, const char *s)
{
	cJSON *item;
	char *fixed;
	bool same;

	if (s == NULL)
		return cJSON_AddNullToObject(obj, key) != NULL;
	fixed = utf8_fix(s, &same);
	if (!same && fixed == NULL)
		return false;
	item = cJSON_AddStringToObject(obj, key, same ? s : fixed);
	free(fixed);
	return item != NULL;
}

bool
api_add_u64(cJSON *obj, const char *key, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, v);
	return cJSON_AddRawToObject(obj, key, num) != NULL;
}

static bool
add_null(cJSON *obj, const char *key)
{
	return cJSON_AddNullToObject(obj, key) != NULL;
}

/* An RFC 3339 string, or null if ms is out of range. */
static bool
add_time(cJSON *obj, const char *key, int64_t ms)
{
	char buf[API_RFC3339_LEN];

	if (api_fmt_rfc3339(ms, buf, sizeof(buf)) < 0)
		return add_null(obj, key);
	return cJSON_AddStringToObject(obj, key, buf) != NULL;
}

bool
api_add_time(cJSON *obj, const char *key, int64_t ms)
{
	if (ms <= 0)
		return add_null(obj, key);
	return add_time(obj, key, ms);
}

/* Inverse of days_from_civil() in api/params.c (Howard Hinnant's). */
static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

static char *
put_digits(char *p, int v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

int
api_fmt_rfc3339(int64_t ms, char *buf, size_t len)
{
	/* Years 0000 .. 9999, days relative to 1970-01-01. */
	static const int64_t min_days = -719528, max_days = 2932896;
	int64_t days, rem;
	int y, mo, d;
	char *p = buf;

	if (len < API_RFC3339_LEN)
		return -ENOSPC;
	days = ms / MS_PER_DAY;
	rem = ms % MS_PER_DAY;
	if (rem < 0) {			/* floor, for times before 1970 */
		rem += MS_PER_DAY;
		days--;
	}
	if (days < min_days || days > max_days)
		return -EINVAL;
	civil_from_days(days, &y, &mo, &d);

	p = put_digits(p, y, 4);
	*p++ = '-';
	p = put_digits(p, mo, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, (int)(rem / 3600000), 2);
	*p++ = ':';
	p = put_digits(p, (int)(rem / 60000 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (int)(rem / 1000 % 60), 2);
	*p++ = '.';
	p = put_digits(p, (int)(rem % 1000), 3);
	*p++ = 'Z';
	*p = '\0';
	return 0;
}

cJSON *
api_json_sample(const struct pw_sample *s, uint64_t mem_total,
    uint64_t fd_limit)
{
	char state[2] = { pw_state_char(s->state), '\0' };
	const enum pw_metric *order;
	struct pw_metric_ctx c;
	size_t n, i;
	cJSON *o;
	bool ok;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	memset(&c, 0, sizeof(c));
	c.mem_total = mem_total;
	c.fd_limit = fd_limit;
	order = api_metric_json_order(false, &n);
	ok = add_time(o, "ts", s->ts_ms);
	for (i = 0; ok && i < n; i++)
		ok = api_metric_add_proc_json(o, pw_metric_name(order[i]),
		    order[i], &c, s);
	ok = ok && api_add_text(o, "state", state);
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* A process's figures read on their own schedule, not a sample's. */
static const enum pw_metric pss_rows[] = {
	PW_METRIC_PSS_BYTES, PW_METRIC_USS_BYTES, PW_METRIC_SWAP_PSS_BYTES,
};

cJSON *
api_json_proc(const struct pw_proc_view *v, uint64_t mem_total)
{
	char unit[PW_UNIT_NAME_MAX];
	size_t i;
	struct pw_metric_ctx c;
	cJSON *o, *sample;
	bool ok, has_unit, known;
	double x = 0;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	has_unit = v->cgroup != NULL &&
	    pw_cgroup_unit(v->cgroup, unit, sizeof(unit));
	ok = api_add_u64(o, "pid", (uint64_t)v->pid) &&
	    api_add_u64(o, "ppid", (uint64_t)v->ppid) &&
	    api_add_text(o, "name", v->name) &&
	    api_add_text(o, "target", v->target != NULL && v->target[0] != '\0' ?
	    v->target : NULL) &&
	    api_add_text(o, "cmdline", v->cmdline != NULL ? v->cmdline : "") &&
	    api_add_text(o, "user", v->user) &&
	    api_add_u64(o, "uid", (uint64_t)v->uid) &&
	    api_add_text(o, "cgroup", v->cgroup != NULL && v->cgroup[0] != '\0' ?
	    v->cgroup : NULL) &&
	    api_add_text(o, "unit", has_unit ? unit : NULL) &&
	    add_time(o, pw_metric_name(PW_METRIC_START_TIME),
	    v->start_time_ms) &&
	    cJSON_AddBoolToObject(o, "alive", v->alive) != NULL;
	if (v->alive || v->gone_ms == 0)
		ok = ok && add_null(o, "gone_at");
	else
		ok = ok && add_time(o, "gone_at", v->gone_ms);
	api_metric_ctx_proc(&c, v, mem_total, 0);
	known = pw_metric_read(PW_METRIC_FD_LIMIT, &c, NULL, NULL, &x);
	ok = ok && api_metric_add_json(o, pw_metric_name(PW_METRIC_FD_LIMIT),
	    PW_METRIC_FD_LIMIT, known, x);
	for (i = 0; ok && i < sizeof(pss_rows) / sizeof(pss_rows[0]); i++) {
		known = pw_metric_read(pss_rows[i], &c, NULL, NULL, &x);
		ok = api_metric_add_json(o, pw_metric_name(pss_rows[i]),
		    pss_rows[i], known, x);
	}
	if (v->pss.ts_ms != 0)
		ok = ok && add_time(o, "pss_at", v->pss.ts_ms);
	else
		ok = ok && add_null(o, "pss_at");
	ok = ok && api_add_u64(o, "samples_stored", v->nsamples) &&
	    api_add_u64(o, "capacity", v->capacity);
	if (ok && v->has_sample) {
		if ((sample = api_json_sample(&v->latest, mem_total,
		    v->fd_limit)) == NULL)
			ok = false;
		else if (!cJSON_AddItemToObject(o, "sample", sample)) {
			cJSON_Delete(sample);
			ok = false;
		}
	} else
		ok = ok && add_null(o, "sample");
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *
api_json_error(const char *msg)
{
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if (!api_add_text(o, "error", msg)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

unsigned
api_fail(char *err, size_t errlen, unsigned status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return status;
}

unsigned
api_oom(char *err, size_t errlen)
{
	if (errlen > 0)
		err[0] = '\0';
	return 500;
}

/*
 * ctl_http.c: procwatchctl's requests to procwatchd, and the metric
 * catalogue it takes its metric names, units and labels from.
 *
 * DESIGN: one libcurl easy handle per run, one request per step; every
 * reply is read into a capped buffer and parsed with cJSON.  The
 * catalogue (GET /api/v1/catalogue) is fetched once, on the first use of
 * a metric, quietly: it only decorates output the command has already
 * fetched, so a daemon without it (an older procwatchd) must not turn a
 * working command into a failing one.  Such a daemon gets a minimal
 * built-in list instead, of the metrics procwatchctl shows.
 */
#include <config.h>	/* autoconf's */

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "daemon/ctl.h"

/* ctl_warnx(), unless the request is a quiet one (the catalogue's). */
static void
hwarn(const struct ctl *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
hwarn(const struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	if (c->quiet)
		return;
	fputs("procwatchctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct reply *r = arg;
	size_t n = size * nmemb;
	char *p;

	if (n > BODY_MAX - r->len)
		return 0;		/* curl fails with CURLE_WRITE_ERROR */
	if ((p = realloc(r->body, r->len + n + 1)) == NULL)
		return 0;
	memcpy(p + r->len, data, n);
	r->body = p;
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

/*
 * Send METHOD base+path (with `body` as JSON if not NULL) and read the
 * reply into *out.  Returns 0 with any HTTP status, or an exit code after
 * printing why there is no reply.
 */
int
ctl_http(struct ctl *c, const char *method, const char *path, const char *body,
    struct reply *out)
{
	struct curl_slist *hdrs = NULL, *h;
	char errbuf[CURL_ERROR_SIZE] = "", *url = NULL, *auth = NULL;
	struct reply r = { 0 };
	CURLcode cc;
	long oserr = 0;
	int rc = EXIT_DAEMON;

	if (asprintf(&url, "%s%s", c->base, path) < 0) {
		url = NULL;
		hwarn(c, "out of memory");
		goto out;
	}
	if (c->token != NULL) {
		if (asprintf(&auth, "Authorization: Bearer %s", c->token) < 0) {
			auth = NULL;
			hwarn(c, "out of memory");
			goto out;
		}
		if ((h = curl_slist_append(hdrs, auth)) == NULL)
			goto out_oom;
		hdrs = h;
	}
	if (body != NULL) {
		if ((h = curl_slist_append(hdrs,
		    "Content-Type: application/json")) == NULL)
			goto out_oom;
		hdrs = h;
	}
	curl_easy_reset(c->curl);
	if (curl_easy_setopt(c->curl, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &r) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, c->timeout_s) !=
	    CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c->curl, CURLOPT_USERAGENT,
	    "procwatchctl/" PACKAGE_VERSION) != CURLE_OK ||
	    /* Only HTTP(S): a URL from the environment must not reach file://. */
	    curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK) {
		hwarn(c, "cannot set up libcurl");
		goto out;
	}
	if (body != NULL && (curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS,
	    body) != CURLE_OK || curl_easy_setopt(c->curl,
	    CURLOPT_POSTFIELDSIZE, (long)strlen(body)) != CURLE_OK)) {
		hwarn(c, "cannot set up libcurl");
		goto out;
	}
	if ((cc = curl_easy_perform(c->curl)) != CURLE_OK) {
		curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &oserr);
		switch (cc) {
		case CURLE_COULDNT_CONNECT:
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_OPERATION_TIMEDOUT:
			rc = EXIT_CONNECT;
			break;
		case CURLE_UNSUPPORTED_PROTOCOL:
		case CURLE_URL_MALFORMAT:
			hwarn(c, "bad URL %s: %s", c->base, errbuf[0] != '\0' ?
			    errbuf : curl_easy_strerror(cc));
			rc = EXIT_USAGE;
			goto out;
		default:
			rc = EXIT_DAEMON;
		}
		hwarn(c, "cannot connect to %s: %s%s", c->base,
		    oserr != 0 ? strerror((int)oserr) : errbuf[0] != '\0' ?
		    errbuf : curl_easy_strerror(cc), rc == EXIT_CONNECT ?
		    " \u2014 is procwatchd running?" : "");
		goto out;
	}
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &r.status);
	if (r.body == NULL && (r.body = calloc(1, 1)) == NULL)
		goto out_oom;
	*out = r;
	r.body = NULL;
	rc = 0;
	goto out;
out_oom:
	hwarn(c, "out of memory");
out:
	free(r.body);
	curl_slist_free_all(hdrs);
	free(auth);
	free(url);
	return rc;
}

/*
 * Say what the daemon answered to a failed request: its JSON "error" if
 * it sent one, else the start of the body.
 */
void
ctl_http_error(const char *method, const char *path, const struct reply *r)
{
	cJSON *root = cJSON_ParseWithLength(r->body, r->len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");

	if (cJSON_IsString(e))
		ctl_warnx("%s %s: %s (HTTP %ld)", method, path, e->valuestring,
		    r->status);
	else
		ctl_warnx("%s %s: HTTP %ld%s%.200s", method, path, r->status,
		    r->len > 0 ? ": " : "", r->body);
	cJSON_Delete(root);
}

/*
 * GET path and parse the JSON reply into *root (caller frees it with
 * cJSON_Delete).  With --json the body is also printed as it came.
 * `missing`, if not NULL, is the message for a 404 (a route this daemon
 * does not have).  Returns 0 or an exit code, having said why.
 */
int
ctl_get_json(struct ctl *c, const char *path, const char *missing, bool print,
    cJSON **root)
{
	struct reply r;
	int rc;

	if ((rc = ctl_http(c, "GET", path, NULL, &r)) != 0)
		return rc;
	rc = EXIT_DAEMON;
	if (r.status == 404 && missing != NULL)
		ctl_warnx("%s", missing);
	else if (r.status < 200 || r.status > 299)
		ctl_http_error("GET", path, &r);
	else if ((*root = cJSON_ParseWithLength(r.body, r.len)) == NULL)
		ctl_warnx("GET %s: the reply is not JSON", path);
	else {
		if (print && c->json)
			printf("%s%s", r.body, r.len > 0 &&
			    r.body[r.len - 1] == '\n' ? "" : "\n");
		rc = 0;
	}
	free(r.body);
	return rc;
}

/* --- the catalogue --------------------------------------------------------- */

/*
 * The metrics procwatchctl shows, for a daemon that has no
 * /api/v1/catalogue (older than the catalogue) or whose catalogue cannot
 * be read: a fallback only, so just the rows the commands name.  The
 * daemon's own catalogue is the reference; keep these as it has them.
 */
static const struct ctl_metric builtin[] = {
	{ "cpu_percent", "percent", "CPU %", NULL, "cpu_percent",
	    "cpu_percent" },
	{ "cpu_user_percent", "percent", "user %", NULL, "cpu_user_percent",
	    "cpu_user_percent" },
	{ "cpu_system_percent", "percent", "system %", NULL,
	    "cpu_system_percent", "cpu_system_percent" },
	{ "rss_bytes", "bytes", "RSS", NULL, "rss_bytes", "rss_bytes" },
	{ "vms_bytes", "bytes", "VMS", NULL, "vms_bytes", "vms_bytes" },
	{ "swap_bytes", "bytes", "swap", NULL, "swap_bytes", "swap_bytes" },
	{ "memory_percent", "percent", "mem %", NULL, "memory_percent",
	    "memory_percent" },
	{ "open_fds", "count", "open fds", NULL, "open_fds", "open_fds" },
	{ "fd_limit", "count", "fd limit", NULL, "fd_limit", NULL },
	{ "fd_usage", "ratio", "fd usage", NULL, NULL, "fd_usage_max" },
	{ "threads", "count", "threads", NULL, "threads", "threads" },
	{ "ctx_switches_voluntary", "count", "voluntary switches", NULL,
	    "ctx_switches_voluntary", "ctx_switches_voluntary_total" },
	{ "ctx_switches_involuntary", "count", "involuntary switches", NULL,
	    "ctx_switches_involuntary", "ctx_switches_involuntary_total" },
	{ "minor_faults", "count", "minor faults", NULL, "minor_faults",
	    "minor_faults_total" },
	{ "major_faults", "count", "major faults", NULL, "major_faults",
	    "major_faults_total" },
	{ "read_bytes", "bytes", "read", NULL, "read_bytes",
	    "read_bytes_total" },
	{ "write_bytes", "bytes", "written", NULL, "write_bytes",
	    "write_bytes_total" },
	{ "cpu_seconds", "seconds", "CPU time", NULL, NULL,
	    "cpu_seconds_total" },
	{ "children_cpu_seconds", "seconds", "reaped CPU time", NULL, NULL,
	    "children_cpu_seconds_total" },
	{ "processes", "count", "procs", NULL, NULL, "processes" },
};

#define NBUILTIN	(sizeof(builtin) / sizeof(builtin[0]))

static const struct ctl_metric *
find(const struct ctl_metric *rows, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rows[i].name, name) == 0)
			return &rows[i];
	return NULL;
}

/* A string member of o, or NULL. */
static const char *
member(const cJSON *o, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/*
 * Fill c->cat from the daemon's catalogue; on any failure leave it empty
 * (the built-in list answers).  A row that lacks a label (a daemon from
 * before labels) takes the built-in one, else its name.
 */
static void
catalogue_load(struct ctl *c)
{
	const cJSON *arr, *row, *json;
	const struct ctl_metric *b;
	struct ctl_metric *m;
	struct reply r;
	cJSON *root;
	size_t n = 0;
	int rc;

	c->quiet = true;
	rc = ctl_http(c, "GET", "/api/v1/catalogue", NULL, &r);
	c->quiet = false;
	if (rc != 0)
		return;
	root = r.status == 200 ? cJSON_ParseWithLength(r.body, r.len) : NULL;
	free(r.body);
	arr = cJSON_GetObjectItemCaseSensitive(root, "metrics");
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0 ||
	    (c->cat = calloc((size_t)cJSON_GetArraySize(arr),
	    sizeof(*c->cat))) == NULL) {
		cJSON_Delete(root);
		return;
	}
	cJSON_ArrayForEach(row, arr) {
		m = &c->cat[n];
		if ((m->name = member(row, "name")) == NULL)
			continue;
		b = find(builtin, NBUILTIN, m->name);
		m->unit = member(row, "unit");
		m->label = member(row, "label");
		if (m->label == NULL)
			m->label = b != NULL ? b->label : m->name;
		m->help = member(row, "help");
		json = cJSON_GetObjectItemCaseSensitive(row, "json");
		m->key = member(json, "process");
		m->gkey = member(json, "group");
		n++;
	}
	c->cat_root = root;
	c->ncat = n;
}

const struct ctl_metric *
ctl_metric(struct ctl *c, const char *name)
{
	static struct ctl_metric unknown;
	const struct ctl_metric *m;

	if (!c->cat_tried) {
		c->cat_tried = true;
		if (!c->json)
			catalogue_load(c);
	}
	if ((m = find(c->cat, c->ncat, name)) != NULL ||
	    (m = find(builtin, NBUILTIN, name)) != NULL)
		return m;
	/* Not a row anyone knows: shown as a plain number, by its name. */
	unknown.name = unknown.label = unknown.key = unknown.gkey = name;
	unknown.unit = "";
	unknown.help = NULL;
	return &unknown;
}

void
ctl_catalogue_free(struct ctl *c)
{
	free(c->cat);
	c->cat = NULL;
	c->ncat = 0;
	cJSON_Delete(c->cat_root);
	c->cat_root = NULL;
}

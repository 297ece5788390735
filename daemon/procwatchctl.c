/*
 * procwatchctl.c: a command-line client for procwatchd's HTTP API.
 *
 * DESIGN: one libcurl easy handle per run, one request per step; every
 * reply is read into a capped buffer and parsed with cJSON, and every
 * view is a small renderer over that JSON, so the client knows nothing
 * of the daemon's internals and works against any procwatchd that speaks
 * /api/v1.  Fields a daemon leaves out or sets to null print as "-".
 * Exit status: 0 ok, 1 the daemon answered with an error (or nonsense),
 * 2 usage, 3 the daemon could not be reached.  See procwatchctl(1).
 */
#include <config.h>	/* autoconf's */

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#define EXIT_DAEMON	1	/* an HTTP error, or a reply we cannot use */
#define EXIT_USAGE	2
#define EXIT_CONNECT	3	/* no HTTP reply at all */

#define DEFAULT_URL	"http://127.0.0.1:9717"
#define BODY_MAX	(64u * 1024 * 1024)	/* a reply larger is refused */
#define TOKEN_MAX	4096
#define SPARK_SAMPLES	60

struct ctl {
	CURL		*curl;
	char		*base;		/* owned, no trailing '/' */
	char		*token;		/* owned, may be NULL */
	long		 timeout_s;
	bool		 json;
};

struct reply {
	long		 status;
	char		*body;		/* NUL terminated, owned */
	size_t		 len;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: procwatchctl [options] COMMAND [ARGS]\n"
	    "commands:\n"
	    "  status [--all]    a table of the monitored processes\n"
	    "  show PID          one process, with CPU and RSS sparklines\n"
	    "  alerts            firing and pending alerts\n"
	    "  top [targets]     the bottlenecks, worst first (of processes,\n"
	    "                    or of targets as wholes)\n"
	    "  targets [NAME]    each target as a whole: processes, CPU, "
	    "memory;\n"
	    "                    with NAME, one target and its recent "
	    "history\n"
	    "  reload            make procwatchd reload its configuration\n"
	    "options:\n"
	    "  -u, --url URL         procwatchd's address (default "
	    "$PROCWATCH_URL,\n"
	    "                        else " DEFAULT_URL ")\n"
	    "  -T, --token-file FILE read the API token from FILE (default "
	    "$PROCWATCH_TOKEN)\n"
	    "  -j, --json            print the daemon's JSON instead of a "
	    "table\n"
	    "  -t, --timeout SEC     give up after SEC seconds (default 10)\n"
	    "  -h, --help            print this help and exit\n"
	    "exit status: 0 ok, 1 daemon error, 2 usage, 3 cannot connect\n");
}

static void
warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
warnx_(const char *fmt, ...)
{
	va_list ap;

	fputs("procwatchctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* --- HTTP ------------------------------------------------------------------ */

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
static int
http(struct ctl *c, const char *method, const char *path, const char *body,
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
		warnx_("out of memory");
		goto out;
	}
	if (c->token != NULL) {
		if (asprintf(&auth, "Authorization: Bearer %s", c->token) < 0) {
			auth = NULL;
			warnx_("out of memory");
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
		warnx_("cannot set up libcurl");
		goto out;
	}
	if (body != NULL && (curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS,
	    body) != CURLE_OK || curl_easy_setopt(c->curl,
	    CURLOPT_POSTFIELDSIZE, (long)strlen(body)) != CURLE_OK)) {
		warnx_("cannot set up libcurl");
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
			warnx_("bad URL %s: %s", c->base, errbuf[0] != '\0' ?
			    errbuf : curl_easy_strerror(cc));
			rc = EXIT_USAGE;
			goto out;
		default:
			rc = EXIT_DAEMON;
		}
		warnx_("cannot connect to %s: %s%s", c->base,
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
	warnx_("out of memory");
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
static void
print_http_error(const char *method, const char *path, const struct reply *r)
{
	cJSON *root = cJSON_ParseWithLength(r->body, r->len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");

	if (cJSON_IsString(e))
		warnx_("%s %s: %s (HTTP %ld)", method, path, e->valuestring,
		    r->status);
	else
		warnx_("%s %s: HTTP %ld%s%.200s", method, path, r->status,
		    r->len > 0 ? ": " : "", r->body);
	cJSON_Delete(root);
}

/*
 * GET path and parse the JSON reply into *root (caller frees it with
 * cJSON_Delete).  With --json the body is also printed as it came.
 * `missing`, if not NULL, is the message for a 404 (a route this daemon
 * does not have).  Returns 0 or an exit code, having said why.
 */
static int
get_json(struct ctl *c, const char *path, const char *missing, bool print,
    cJSON **root)
{
	struct reply r;
	int rc;

	if ((rc = http(c, "GET", path, NULL, &r)) != 0)
		return rc;
	rc = EXIT_DAEMON;
	if (r.status == 404 && missing != NULL)
		warnx_("%s", missing);
	else if (r.status < 200 || r.status > 299)
		print_http_error("GET", path, &r);
	else if ((*root = cJSON_ParseWithLength(r.body, r.len)) == NULL)
		warnx_("GET %s: the reply is not JSON", path);
	else {
		if (print && c->json)
			printf("%s%s", r.body, r.len > 0 &&
			    r.body[r.len - 1] == '\n' ? "" : "\n");
		rc = 0;
	}
	free(r.body);
	return rc;
}

/* --- JSON access and formatting -------------------------------------------- */

static bool
num(const cJSON *o, const char *key, double *v)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(it))
		return false;
	*v = it->valuedouble;
	return true;
}

static const char *
str(const cJSON *o, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* `s`, or "-" for a missing string. */
static const char *
dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

/* 1536 -> "1.5K", in powers of 1024 as ps and top show sizes. */
static const char *
fmt_bytes(double v, char *buf, size_t len)
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
static const char *
fmt_num_key(const cJSON *o, const char *key, int prec, char *buf, size_t len)
{
	double v;

	if (!num(o, key, &v))
		return "-";
	if (prec < 0)
		snprintf(buf, len, "%g", v);
	else
		snprintf(buf, len, "%.*f", prec, v);
	return buf;
}

static const char *
fmt_bytes_key(const cJSON *o, const char *key, char *buf, size_t len)
{
	double v;

	return num(o, key, &v) ? fmt_bytes(v, buf, len) : "-";
}

/* The words ps(1) uses for a state letter (proc(5), /proc/PID/stat). */
static const char *
state_name(const char *s)
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
static const char *
fmt_duration(double s, char *buf, size_t len)
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
static void
col(const char *s, int w, bool right)
{
	printf(right ? "%*.*s " : "%-*.*s ", w, w, s);
}

/*
 * The first array in a reply: the reply itself, or the first member of
 * an object that is an array ({"alerts": [...]}).  NULL if none.
 */
static const cJSON *
first_array(const cJSON *root)
{
	const cJSON *it;

	if (cJSON_IsArray(root))
		return root;
	cJSON_ArrayForEach(it, root)
		if (cJSON_IsArray(it))
			return it;
	return NULL;
}

/* --- commands -------------------------------------------------------------- */

static int
cmd_status(struct ctl *c, bool all)
{
	const char *path = all ? "/api/v1/processes?all=1" :
	    "/api/v1/processes";
	cJSON *health = NULL, *root = NULL;
	const cJSON *procs, *p, *s;
	char b1[32], b2[32], b3[32], b4[32], b5[32], fds[48];
	double v, lim;
	int rc;

	if (c->json) {
		rc = get_json(c, path, NULL, true, &root);
		cJSON_Delete(root);
		return rc;
	}
	if ((rc = get_json(c, "/healthz", NULL, false, &health)) != 0)
		return rc;
	if ((rc = get_json(c, path, NULL, false, &root)) != 0)
		goto out;
	printf("procwatchd %s at %s: up %s, %s target(s), %s process(es), "
	    "every %s ms\n\n", dash(str(health, "version")), c->base,
	    num(health, "uptime_s", &v) ? fmt_duration(v, b1, sizeof(b1)) :
	    "-", fmt_num_key(health, "targets", 0, b2, sizeof(b2)),
	    fmt_num_key(health, "processes", 0, b3, sizeof(b3)),
	    fmt_num_key(health, "interval_ms", 0, b4, sizeof(b4)));
	procs = cJSON_GetObjectItemCaseSensitive(root, "processes");
	if (!cJSON_IsArray(procs)) {
		warnx_("GET %s: no \"processes\" array in the reply", path);
		rc = EXIT_DAEMON;
		goto out;
	}
	if (cJSON_GetArraySize(procs) == 0) {
		printf("no processes monitored\n");
		goto out;
	}
	printf("%7s %-15s %-12s %6s %7s %5s %11s %4s %s\n", "PID", "NAME",
	    "TARGET", "CPU%", "RSS", "MEM%", "FDS/LIMIT", "THR", "STATE");
	cJSON_ArrayForEach(p, procs) {
		s = cJSON_GetObjectItemCaseSensitive(p, "sample");
		col(fmt_num_key(p, "pid", 0, b1, sizeof(b1)), 7, true);
		col(dash(str(p, "name")), 15, false);
		col(dash(str(p, "target")), 12, false);
		col(fmt_num_key(s, "cpu_percent", 1, b2, sizeof(b2)), 6,
		    true);
		col(fmt_bytes_key(s, "rss_bytes", b3, sizeof(b3)), 7, true);
		col(fmt_num_key(s, "memory_percent", 1, b4, sizeof(b4)),
		    5, true);
		if (num(s, "open_fds", &v) && num(s, "fd_limit", &lim))
			snprintf(fds, sizeof(fds), "%.0f/%.0f", v, lim);
		else if (num(s, "open_fds", &v))
			snprintf(fds, sizeof(fds), "%.0f/-", v);
		else
			snprintf(fds, sizeof(fds), "-");
		col(fds, 11, true);
		col(fmt_num_key(s, "threads", 0, b5, sizeof(b5)), 4,
		    true);
		printf("%s\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p,
		    "alive")) ? state_name(str(s, "state")) : "gone");
	}
out:
	cJSON_Delete(root);
	cJSON_Delete(health);
	return rc;
}

/*
 * Print a sparkline of `key` over the samples: one block per sample,
 * scaled from the smallest to the largest value; a missing value (a
 * first sample's CPU) is a space.
 */
static void
sparkline(const char *label, const cJSON *samples, const char *key,
    bool bytes)
{
	static const char *const blocks[] = {
		"\u2581", "\u2582", "\u2583", "\u2584",
		"\u2585", "\u2586", "\u2587", "\u2588",
	};
	const cJSON *s;
	double v, lo = INFINITY, hi = -INFINITY;
	char b1[32], b2[32], b3[32];
	int n = 0, i;

	cJSON_ArrayForEach(s, samples) {
		if (!num(s, key, &v))
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
		if (!num(s, key, &v)) {
			putchar(' ');
			continue;
		}
		i = hi > lo ? (int)((v - lo) / (hi - lo) * 7 + 0.5) : 0;
		fputs(blocks[i < 0 ? 0 : i > 7 ? 7 : i], stdout);
	}
	if (bytes)
		printf("  min %s, max %s, now %s\n",
		    fmt_bytes(lo, b1, sizeof(b1)), fmt_bytes(hi, b2, sizeof(b2)),
		    fmt_bytes(v, b3, sizeof(b3)));
	else
		printf("  min %.1f, max %.1f, now %.1f\n", lo, hi, v);
}

/*
 * The "cpu" line of a sample (a process's or a target's: the keys are the
 * same) ending in `tail`, then its "memory" line.
 */
static void
print_cpu_memory(const cJSON *s, const char *tail)
{
	char b1[32], b2[32], b3[32], b4[32];

	printf("  %-10s%s%% (user %s%%, system %s%%)%s", "cpu",
	    fmt_num_key(s, "cpu_percent", 1, b1, sizeof(b1)),
	    fmt_num_key(s, "cpu_user_percent", 1, b2, sizeof(b2)),
	    fmt_num_key(s, "cpu_system_percent", 1, b3, sizeof(b3)), tail);
	printf("  %-10sRSS %s (%s%%), VMS %s, swap %s\n", "memory",
	    fmt_bytes_key(s, "rss_bytes", b1, sizeof(b1)),
	    fmt_num_key(s, "memory_percent", 2, b2, sizeof(b2)),
	    fmt_bytes_key(s, "vms_bytes", b3, sizeof(b3)),
	    fmt_bytes_key(s, "swap_bytes", b4, sizeof(b4)));
}

/*
 * The "history" line of a process or target `obj` and sparklines of CPU
 * and RSS (and, for a target, the process count) over its samples `hist`
 * (NULL: none).
 */
static void
print_history(const cJSON *obj, const cJSON *hist, bool procs)
{
	const cJSON *samples;
	double v, w;

	if (num(obj, "samples_stored", &v) && num(obj, "capacity", &w))
		printf("  %-10s%.0f of %.0f samples kept\n", "history", v, w);
	samples = cJSON_GetObjectItemCaseSensitive(hist, "samples");
	if (!cJSON_IsArray(samples))
		return;
	printf("last %d samples:\n", cJSON_GetArraySize(samples));
	sparkline("cpu %", samples, "cpu_percent", false);
	sparkline("rss", samples, "rss_bytes", true);
	if (procs)
		sparkline("procs", samples, "processes", false);
}

/*
 * Print {key: *obj, "samples": *hist (null if NULL)} as one JSON document;
 * both are taken (set to NULL).  Returns 0 or EXIT_DAEMON.
 */
static int
print_with_samples(const char *key, cJSON **obj, cJSON **hist)
{
	cJSON *both;
	char *out;

	if ((both = cJSON_CreateObject()) == NULL) {
		warnx_("out of memory");
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
		warnx_("out of memory");
		return EXIT_DAEMON;
	}
	printf("%s\n", out);
	cJSON_free(out);
	return 0;
}

static int
cmd_show(struct ctl *c, const char *pidarg)
{
	char path[96], spath[128], b1[32], b2[32];
	cJSON *proc = NULL, *hist = NULL;
	const cJSON *s;
	char *end;
	unsigned long pid;
	int rc;

	errno = 0;
	pid = strtoul(pidarg, &end, 10);
	if (pidarg[0] < '0' || pidarg[0] > '9' || *end != '\0' ||
	    errno != 0 || pid == 0 || pid > 4194304) {
		warnx_("show: \"%s\" is not a pid", pidarg);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/processes/%lu", pid);
	snprintf(spath, sizeof(spath), "%s/samples?limit=%d", path,
	    SPARK_SAMPLES);
	if ((rc = get_json(c, path, NULL, false, &proc)) != 0)
		return rc;
	/* The process may exit in between: a history-less view is fine. */
	if (get_json(c, spath, NULL, false, &hist) != 0)
		hist = NULL;
	if (c->json) {
		rc = print_with_samples("process", &proc, &hist);
		goto out;
	}

	s = cJSON_GetObjectItemCaseSensitive(proc, "sample");
	printf("pid %lu (%s), target %s, %s\n", pid, dash(str(proc, "name")),
	    dash(str(proc, "target")),
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(proc, "alive")) ?
	    state_name(str(s, "state")) : "gone");
	printf("  %-10s%s\n", "command", dash(str(proc, "cmdline")));
	printf("  %-10s%s (uid %s)\n", "user", dash(str(proc, "user")),
	    fmt_num_key(proc, "uid", 0, b1, sizeof(b1)));
	printf("  %-10s%s\n", "parent",
	    fmt_num_key(proc, "ppid", 0, b1, sizeof(b1)));
	printf("  %-10s%s\n", "started", dash(str(proc, "start_time")));
	if (str(proc, "gone_at") != NULL)
		printf("  %-10s%s\n", "gone at", str(proc, "gone_at"));
	if (cJSON_IsObject(s)) {
		print_cpu_memory(s, "\n");
		printf("  %-10s%s of %s\n", "fds",
		    fmt_num_key(s, "open_fds", 0, b1, sizeof(b1)),
		    fmt_num_key(s, "fd_limit", 0, b2, sizeof(b2)));
		printf("  %-10s%s\n", "threads",
		    fmt_num_key(s, "threads", 0, b1, sizeof(b1)));
		printf("  %-10s%s voluntary, %s involuntary\n", "switches",
		    fmt_num_key(s, "ctx_switches_voluntary", 0, b1,
		    sizeof(b1)), fmt_num_key(s, "ctx_switches_involuntary",
		    0, b2, sizeof(b2)));
		printf("  %-10s%s minor, %s major\n", "faults",
		    fmt_num_key(s, "minor_faults", 0, b1, sizeof(b1)),
		    fmt_num_key(s, "major_faults", 0, b2, sizeof(b2)));
		printf("  %-10sread %s, written %s\n", "i/o",
		    fmt_bytes_key(s, "read_bytes", b1, sizeof(b1)),
		    fmt_bytes_key(s, "write_bytes", b2, sizeof(b2)));
		printf("  %-10s%s\n", "sampled", dash(str(s, "ts")));
	} else
		printf("  (no sample yet)\n");
	print_history(proc, hist, false);
out:
	cJSON_Delete(hist);
	cJSON_Delete(proc);
	return rc;
}

static int
cmd_alerts(struct ctl *c)
{
	const char *path = "/api/v1/alerts";
	const cJSON *arr, *a;
	cJSON *root = NULL;
	char b1[32], b2[32];
	double v;
	int rc;

	if ((rc = get_json(c, path, "alerts are not available: this "
	    "procwatchd has no /api/v1/alerts", true, &root)) != 0 ||
	    c->json)
		goto out;
	if ((arr = first_array(root)) == NULL) {
		warnx_("GET %s: no list of alerts in the reply", path);
		rc = EXIT_DAEMON;
		goto out;
	}
	if (cJSON_GetArraySize(arr) == 0) {
		printf("no alerts\n");
		goto out;
	}
	printf("%-9s %-8s %7s %-15s %-12s %-16s %s\n", "STATE", "SEVERITY",
	    "PID", "NAME", "TARGET", "RULE", "MESSAGE");
	cJSON_ArrayForEach(a, arr) {
		col(dash(str(a, "state")), 9, false);
		col(dash(str(a, "severity")), 8, false);
		col(fmt_num_key(a, "pid", 0, b1, sizeof(b1)), 7, true);
		col(dash(str(a, "name")), 15, false);
		col(dash(str(a, "target")), 12, false);
		col(dash(str(a, "rule")), 16, false);
		printf("%s", dash(str(a, "message")));
		if (num(a, "value", &v))
			printf(" (value %s)", fmt_num_key(a, "value", -1, b2,
			    sizeof(b2)));
		if (str(a, "started_at") != NULL)
			printf(" since %s", str(a, "started_at"));
		putchar('\n');
	}
out:
	cJSON_Delete(root);
	return rc;
}

static int
cmd_top(struct ctl *c, bool by_target)
{
	const char *path = by_target ? "/api/v1/bottlenecks?by=target" :
	    "/api/v1/bottlenecks";
	const cJSON *arr, *b, *sug, *it;
	cJSON *root = NULL;
	char b1[32], b2[32];
	int rc, rank = 0;

	if ((rc = get_json(c, path, "bottlenecks are not available: this "
	    "procwatchd has no /api/v1/bottlenecks", true, &root)) != 0 ||
	    c->json)
		goto out;
	if ((arr = first_array(root)) == NULL) {
		warnx_("GET %s: no list of bottlenecks in the reply", path);
		rc = EXIT_DAEMON;
		goto out;
	}
	if (cJSON_GetArraySize(arr) == 0) {
		printf("no bottlenecks\n");
		goto out;
	}
	if (by_target)
		printf("%3s %-8s %-6s %6s %5s %s\n", "#", "SEVERITY", "TYPE",
		    "IMPACT", "PROCS", "TARGET");
	else
		printf("%3s %-8s %-6s %6s %7s %-15s %s\n", "#", "SEVERITY",
		    "TYPE", "IMPACT", "PID", "NAME", "TARGET");
	cJSON_ArrayForEach(b, arr) {
		printf("%3d ", ++rank);
		col(dash(str(b, "severity")), 8, false);
		col(dash(str(b, "type")), 6, false);
		col(fmt_num_key(b, "impact_score", 2, b1, sizeof(b1)), 6,
		    true);
		if (by_target)
			col(fmt_num_key(b, "processes", 0, b2, sizeof(b2)), 5,
			    true);
		else {
			col(fmt_num_key(b, "pid", 0, b2, sizeof(b2)), 7, true);
			col(dash(str(b, "name")), 15, false);
		}
		printf("%s\n", dash(str(b, "target")));
		if (str(b, "description") != NULL)
			printf("    %s\n", str(b, "description"));
		sug = cJSON_GetObjectItemCaseSensitive(b, "suggestions");
		cJSON_ArrayForEach(it, sug)
			if (cJSON_IsString(it))
				printf("    - %s\n", it->valuestring);
	}
out:
	cJSON_Delete(root);
	return rc;
}

/* "name/pid" of a target's top member, or "-". */
static const char *
fmt_top(const cJSON *t, const char *key, char *buf, size_t len)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(t, key);
	double pid;

	if (!cJSON_IsObject(m) || !num(m, "pid", &pid))
		return "-";
	snprintf(buf, len, "%s/%.0f", dash(str(m, "name")), pid);
	return buf;
}

/* The "sample" object of a target (not an object before its first). */
static const cJSON *
sample(const cJSON *t)
{
	return cJSON_GetObjectItemCaseSensitive(t, "sample");
}

static int
cmd_targets(struct ctl *c)
{
	const char *path = "/api/v1/targets";
	const cJSON *arr, *t;
	cJSON *root = NULL;
	char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32], b7[32];
	char b8[48], b9[48];
	int rc;

	if ((rc = get_json(c, path, "targets are not available: this "
	    "procwatchd has no /api/v1/targets", true, &root)) != 0 ||
	    c->json)
		goto out;
	arr = cJSON_GetObjectItemCaseSensitive(root, "targets");
	if (!cJSON_IsArray(arr)) {
		warnx_("GET %s: no \"targets\" array in the reply", path);
		rc = EXIT_DAEMON;
		goto out;
	}
	printf("%-16s %-4s %5s %4s %6s %7s %5s %5s %5s %-22s %s\n", "TARGET",
	    "UP", "PROCS", "GONE", "CPU%", "RSS", "MEM%", "FDS", "THR",
	    "TOP CPU", "TOP RSS");
	cJSON_ArrayForEach(t, arr) {
		col(dash(str(t, "name")), 16, false);
		col(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "up")) ?
		    "yes" : "no", 4, false);
		col(fmt_num_key(t, "processes", 0, b1, sizeof(b1)), 5, true);
		col(fmt_num_key(t, "gone", 0, b2, sizeof(b2)), 4, true);
		/* The group's own: with members gone and children reaped. */
		col(fmt_num_key(cJSON_IsObject(sample(t)) ? sample(t) : t,
		    "cpu_percent", 1, b3, sizeof(b3)), 6, true);
		col(fmt_bytes_key(t, "rss_bytes", b4, sizeof(b4)), 7, true);
		col(fmt_num_key(t, "memory_percent", 1, b5, sizeof(b5)), 5,
		    true);
		col(fmt_num_key(t, "open_fds", 0, b6, sizeof(b6)), 5, true);
		col(fmt_num_key(t, "threads", 0, b7, sizeof(b7)), 5, true);
		col(fmt_top(t, "top_cpu", b8, sizeof(b8)), 22, false);
		printf("%s\n", fmt_top(t, "top_rss", b9, sizeof(b9)));
	}
out:
	cJSON_Delete(root);
	return rc;
}

/* A name procwatchd's configuration allows: 1-64 of A-Z a-z 0-9 _ . - */
static bool
target_name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 64 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/* One target as a whole, with sparklines of its aggregate samples. */
static int
cmd_target(struct ctl *c, const char *name)
{
	char path[128], spath[160], b1[32], b2[32];
	char cpu_tail[128];
	cJSON *t = NULL, *hist = NULL;
	const cJSON *s, *pids, *it;
	double v, w;
	int rc;

	if (!target_name_ok(name)) {
		warnx_("targets: \"%s\" is not a target name (1 to 64 of "
		    "A-Z a-z 0-9 _ . -)", name);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/api/v1/targets/%s", name);
	snprintf(spath, sizeof(spath), "%s/samples?limit=%d", path,
	    SPARK_SAMPLES);
	if ((rc = get_json(c, path, NULL, false, &t)) != 0)
		return rc;
	if (get_json(c, spath, NULL, false, &hist) != 0)
		hist = NULL;	/* an older daemon: no group ring */
	if (c->json) {
		rc = print_with_samples("target", &t, &hist);
		goto out;
	}

	s = sample(t);
	printf("target %s (%s), %s, %s process(es)", name,
	    dash(str(t, "selector")),
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "up")) ?
	    "up" : "down", fmt_num_key(t, "processes", 0, b1, sizeof(b1)));
	if (num(t, "min_processes", &v) && v > 0)
		printf(", at least %.0f", v);
	if (num(t, "max_processes", &v))
		printf(", at most %.0f", v);
	printf(", %s gone\n", fmt_num_key(t, "gone", 0, b1, sizeof(b1)));
	if (cJSON_IsObject(s)) {
		snprintf(cpu_tail, sizeof(cpu_tail), "; %s s in all, %s s of "
		    "it reaped children\n", fmt_num_key(s, "cpu_seconds_total",
		    2, b1, sizeof(b1)), fmt_num_key(s,
		    "children_cpu_seconds_total", 2, b2, sizeof(b2)));
		print_cpu_memory(s, cpu_tail);
		printf("  %-10s%s", "fds",
		    fmt_num_key(s, "open_fds", 0, b1, sizeof(b1)));
		if (num(s, "fd_usage_max", &v) &&
		    num(s, "fd_usage_max_pid", &w))
			printf(", worst member %.1f%% of its limit (pid %.0f)",
			    v * 100.0, w);
		printf("\n  %-10s%s\n", "threads",
		    fmt_num_key(s, "threads", 0, b1, sizeof(b1)));
		printf("  %-10sread %s, written %s since watched\n", "i/o",
		    fmt_bytes_key(s, "read_bytes_total", b1, sizeof(b1)),
		    fmt_bytes_key(s, "write_bytes_total", b2, sizeof(b2)));
		printf("  %-10s%s\n", "sampled", dash(str(s, "ts")));
	} else
		printf("  (no sample yet)\n");
	pids = cJSON_GetObjectItemCaseSensitive(t, "pids");
	if (cJSON_IsArray(pids) && cJSON_GetArraySize(pids) > 0) {
		printf("  %-10s", "pids");
		cJSON_ArrayForEach(it, pids)
			if (cJSON_IsNumber(it))
				printf(" %.0f", it->valuedouble);
		putchar('\n');
	}
	print_history(t, hist, true);
out:
	cJSON_Delete(hist);
	cJSON_Delete(t);
	return rc;
}

static int
cmd_reload(struct ctl *c)
{
	const char *path = "/api/v1/reload";
	const cJSON *m;
	struct reply r;
	cJSON *root;
	int rc;

	if ((rc = http(c, "POST", path, "{}", &r)) != 0)
		return rc;
	if (r.status == 404) {
		warnx_("reload is not available: this procwatchd has no %s; "
		    "send it SIGHUP (systemctl reload procwatchd)", path);
		rc = EXIT_DAEMON;
	} else if (r.status < 200 || r.status > 299) {
		print_http_error("POST", path, &r);
		if (r.status == 401 || r.status == 403)
			warnx_("set PROCWATCH_TOKEN or use --token-file");
		rc = EXIT_DAEMON;
	} else if (c->json)
		printf("%s%s", r.body, r.len > 0 && r.body[r.len - 1] == '\n' ?
		    "" : "\n");
	else {
		root = cJSON_ParseWithLength(r.body, r.len);
		m = cJSON_GetObjectItemCaseSensitive(root, "message");
		printf("reloaded%s%s\n", cJSON_IsString(m) ? ": " : "",
		    cJSON_IsString(m) ? m->valuestring : "");
		cJSON_Delete(root);
	}
	free(r.body);
	return rc;
}

/* --- set-up ---------------------------------------------------------------- */

/* The first line of `path`, surrounding blanks removed. */
static int
read_token(const char *path, char **out)
{
	char buf[TOKEN_MAX + 2];
	size_t n, i = 0;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		warnx_("%s: %s", path, strerror(errno));
		return -errno;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (strlen(buf) > TOKEN_MAX) {
		warnx_("%s: token longer than %d bytes", path, TOKEN_MAX);
		return -EINVAL;
	}
	while (buf[i] == ' ' || buf[i] == '\t')
		i++;
	n = strlen(buf + i);
	while (n > 0 && (buf[i + n - 1] == ' ' || buf[i + n - 1] == '\t'))
		n--;
	buf[i + n] = '\0';
	if (n == 0) {
		warnx_("%s: no token in the file", path);
		return -EINVAL;
	}
	if ((*out = strdup(buf + i)) == NULL)
		return -ENOMEM;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { .timeout_s = 10 };
	const char *url = getenv("PROCWATCH_URL"), *tokfile = NULL, *cmd, *tok;
	bool all = false;
	size_t n;
	char *end;
	int ch, rc = EXIT_USAGE;

	/* GNU getopt permutes: "status --all" and "show 1 --json" work. */
	while ((ch = getopt_long(argc, argv, "u:T:jt:ha", opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			url = optarg;
			break;
		case 'T':
			tokfile = optarg;
			break;
		case 'j':
			c.json = true;
			break;
		case 't':
			c.timeout_s = strtol(optarg, &end, 10);
			if (*end != '\0' || c.timeout_s <= 0 ||
			    c.timeout_s > 3600) {
				warnx_("--timeout: expected 1 to 3600 "
				    "seconds");
				return EXIT_USAGE;
			}
			break;
		case 'a':
			all = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind++];
	if (url == NULL || url[0] == '\0')
		url = DEFAULT_URL;
	if ((c.base = strdup(url)) == NULL)
		return EXIT_DAEMON;
	n = strlen(c.base);
	while (n > 0 && c.base[n - 1] == '/')
		c.base[--n] = '\0';
	if (tokfile != NULL) {
		if (read_token(tokfile, &c.token) < 0)
			goto out;
	} else if ((tok = getenv("PROCWATCH_TOKEN")) != NULL && tok[0] != '\0' &&
	    (c.token = strdup(tok)) == NULL)
		goto out;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (c.curl = curl_easy_init()) == NULL) {
		warnx_("cannot initialise libcurl");
		rc = EXIT_DAEMON;
		goto out;
	}
	if (strcmp(cmd, "status") == 0 && optind == argc)
		rc = cmd_status(&c, all);
	else if (strcmp(cmd, "show") == 0 && optind + 1 == argc)
		rc = cmd_show(&c, argv[optind]);
	else if (strcmp(cmd, "alerts") == 0 && optind == argc)
		rc = cmd_alerts(&c);
	else if (strcmp(cmd, "top") == 0 && optind == argc)
		rc = cmd_top(&c, false);
	else if (strcmp(cmd, "top") == 0 && optind + 1 == argc &&
	    strcmp(argv[optind], "targets") == 0)
		rc = cmd_top(&c, true);
	else if (strcmp(cmd, "targets") == 0 && optind == argc)
		rc = cmd_targets(&c);
	else if (strcmp(cmd, "targets") == 0 && optind + 1 == argc)
		rc = cmd_target(&c, argv[optind]);
	else if (strcmp(cmd, "reload") == 0 && optind == argc)
		rc = cmd_reload(&c);
	else {
		warnx_("%s: unknown command or wrong arguments", cmd);
		usage(stderr);
		rc = EXIT_USAGE;
	}
	curl_easy_cleanup(c.curl);
	curl_global_cleanup();
out:
	free(c.token);
	free(c.base);
	return rc;
}

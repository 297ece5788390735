/*
 * daemon/config_notify.c: the "receivers" section of the config, where
 * alerts are delivered (daemon/notifier.c does the delivering).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config_impl.h"

#define RECEIVERS_MAX	32
#define HEADERS_MAX	32

#define RCV(f)		FIELD(struct config_receiver, f)

static key_fn	rc_name, rc_url, rc_urls, rc_exec, rc_format, rc_headers,
		rc_secret, rc_severity;

static const struct key receiver_keys[] = {
	{ "name",		FN(T_STRING, rc_name) },
	{ "url",		FN(T_STRING, rc_url) },
	{ "urls",		FN(T_ARRAY, rc_urls) },
	{ "exec",		FN(T_ARRAY, rc_exec) },
	{ "format",		FN(T_STRING, rc_format) },
	{ "headers",		FN(T_OBJECT, rc_headers) },
	{ "secret",		FN(T_STRING, rc_secret) },
	{ "min_severity",	FN(T_STRING, rc_severity) },
	{ "send_resolved",	T_BOOL, 0, 0, RCV(send_resolved), NULL },
	{ "timeout_ms",		T_INT, 10, 600000, RCV(timeout_ms), NULL },
	{ "resend_ms",		T_INT, 1000, 86400000, RCV(resend_ms), NULL },
	{ "max_age_ms",		T_INT, 0, 604800000, RCV(max_age_ms), NULL },
	{ "backoff_ms",		T_INT, 10, 3600000, RCV(backoff_ms), NULL },
	{ "backoff_max_ms",	T_INT, 10, 86400000, RCV(backoff_max_ms),
	    NULL },
	{ "queue_max",		T_INT, 1, 1000000, RCV(queue_max), NULL },
};

static int
rc_name(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	return parse_name(p, field, v->valuestring,
	    &((struct config_receiver *)dst)->name);
}

#define URLS_MAX	8		/* Alertmanagers of one receiver */
#define AM_PATH		"/api/v2/alerts"

int
check_http_url(struct parse *p, const char *field, const char *s)
{
	if ((strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) ||
	    strlen(s) > 2048 || strpbrk(s, " \t\r\n") != NULL)
		return perr(p, field, "must be an http:// or https:// URL");
	return 0;
}

static int
add_url(struct config_receiver *r, const char *s)
{
	char **nu;

	if ((nu = realloc(r->urls, (r->nurls + 1) * sizeof(*nu))) == NULL)
		return -ENOMEM;
	r->urls = nu;
	if ((r->urls[r->nurls] = strdup(s)) == NULL)
		return -ENOMEM;
	r->nurls++;
	return 0;
}

static int
rc_url(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	int rc;

	(void)k;
	if ((rc = check_http_url(p, field, v->valuestring)) < 0)
		return rc;
	return add_url(dst, v->valuestring);
}

static int
rc_urls(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	const cJSON *e;
	char where[128];
	int i = 0, rc;

	(void)k;
	if (cJSON_GetArraySize(v) < 1 || cJSON_GetArraySize(v) > URLS_MAX)
		return perr(p, field, "must list 1 to %d URLs", URLS_MAX);
	cJSON_ArrayForEach(e, v) {
		snprintf(where, sizeof(where), "%s[%d]", field, i++);
		if (!cJSON_IsString(e))
			return perr(p, where, "expected a string, got %s",
			    jtype_name(e));
		if ((rc = check_http_url(p, where, e->valuestring)) < 0 ||
		    (rc = add_url(dst, e->valuestring)) < 0)
			return rc;
	}
	return 0;
}

/*
 * An Alertmanager is named by its base URL, as Prometheus' config names
 * it ("http://am:9093", or with a path prefix): the API is under it.  A
 * URL already ending in the API's path is kept.
 */
static int
am_url(char **url)
{
	size_t len = strlen(*url), plen = strlen(AM_PATH);
	char *u;

	if (len >= plen && strcmp(*url + len - plen, AM_PATH) == 0)
		return 0;
	while (len > 0 && (*url)[len - 1] == '/')
		len--;
	if ((u = malloc(len + plen + 1)) == NULL)
		return -ENOMEM;
	memcpy(u, *url, len);
	memcpy(u + len, AM_PATH, plen + 1);
	free(*url);
	*url = u;
	return 0;
}

static int
rc_exec(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config_receiver *r = dst;
	int rc;

	(void)k;
	if ((rc = parse_argv(p, field, v, &r->argv)) < 0)
		return rc;
	if (r->argv[0][0] != '/')
		return perr(p, field, "[0]: the command must be an absolute "
		    "path");
	r->format = RECV_EXEC;
	return 0;
}

static int
rc_format(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config_receiver *r = dst;

	(void)k;
	if (strcmp(v->valuestring, "procwatch") == 0)
		r->format = RECV_PROCWATCH;
	else if (strcmp(v->valuestring, "alertmanager") == 0)
		r->format = RECV_ALERTMANAGER;
	else
		return perr(p, field, "must be \"procwatch\" or "
		    "\"alertmanager\"");
	return 0;
}

static int
rc_headers(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config_receiver *r = dst;

	(void)k;
	return parse_headers(p, field, v, &r->headers, &r->nheaders);
}

int
parse_headers(struct parse *p, const char *field, const cJSON *v,
    char ***headers, size_t *nheaders)
{
	const cJSON *e;
	char where[128];
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0, len;

	if (n > HEADERS_MAX)
		return perr(p, field, "too many headers (at most %d)",
		    HEADERS_MAX);
	cJSON_ArrayForEach(e, v) {
		snprintf(where, sizeof(where), "%s.%s", field, e->string);
		if (!cJSON_IsString(e))
			return perr(p, where, "expected a string, got %s",
			    jtype_name(e));
		if (e->string[0] == '\0' || strpbrk(e->string,
		    ": \t\r\n") != NULL || strpbrk(e->valuestring, "\r\n"))
			return perr(p, where, "bad header name or value");
	}
	if ((*headers = calloc(n ? n : 1, sizeof(**headers))) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v) {
		len = strlen(e->string) + strlen(e->valuestring) + 3;
		if (((*headers)[i] = malloc(len)) == NULL)
			return -ENOMEM;		/* the section's fini frees */
		snprintf((*headers)[i], len, "%s: %s", e->string,
		    e->valuestring);
		*nheaders = ++i;
	}
	return 0;
}

static int
rc_secret(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (v->valuestring[0] == '\0')
		return perr(p, field, "must not be empty");
	return dup_str(&((struct config_receiver *)dst)->secret,
	    v->valuestring);
}

static int
rc_severity(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (pw_alert_severity_parse(v->valuestring,
	    &((struct config_receiver *)dst)->min_severity) < 0)
		return perr(p, field, "must be one of info warning critical");
	return 0;
}

/*
 * A "whsec_" secret is the base64 of a Standard Webhooks key (as the
 * scheme's libraries generate them); the notifier decodes it.  Any other
 * secret is a key as it is.
 */
static int
sw_check(struct parse *p, const char *where, const char *secret)
{
	const char *b64;
	size_t len, pad;
	char field[128];

	if (strncmp(secret, "whsec_", 6) != 0)
		return 0;
	b64 = secret + 6;
	len = strlen(b64);
	snprintf(field, sizeof(field), "%s.secret", where);
	pad = len >= 2 ? (b64[len - 1] == '=') + (b64[len - 2] == '=') : 0;
	if (len == 0 || len % 4 != 0 || strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/") != len - pad)
		return perr(p, field, "a \"whsec_\" secret must be base64 "
		    "after the prefix");
	if (len / 4 * 3 - pad < 16)
		return perr(p, field, "the key must be at least 16 bytes");
	return 0;
}

/* The defaults config.h promises. */
static void
receiver_init(struct parse *p, void *item, size_t i)
{
	struct config_receiver *r = item;

	(void)p;
	(void)i;
	r->timeout_ms = 5000;
	r->send_resolved = true;
	r->resend_ms = 60000;
	r->max_age_ms = 3600000;
	r->backoff_ms = 500;
	r->backoff_max_ms = 60000;
	r->queue_max = 1000;
}

static void
receiver_fini(void *item)
{
	struct config_receiver *r = item;
	size_t j;

	free(r->name);
	for (j = 0; j < r->nurls; j++)
		free(r->urls[j]);
	free(r->urls);
	argv_free(r->argv);
	for (j = 0; j < r->nheaders; j++)
		free(r->headers[j]);
	free(r->headers);
	free(r->secret);
}

static int
receiver_check(struct parse *p, const char *where, const cJSON *obj,
    void *items, size_t i)
{
	struct config_receiver *cur = (struct config_receiver *)items + i;
	char field[128];
	size_t j;
	int rc;

	if (cur->name == NULL)
		return perr(p, where, "missing \"name\"");
	if (cJSON_GetObjectItem(obj, "url") != NULL &&
	    cJSON_GetObjectItem(obj, "urls") != NULL)
		return perr(p, where, "give \"url\" or \"urls\", not both");
	if ((cur->nurls == 0) == (cur->argv == NULL))
		return perr(p, where, "give exactly one of \"url\" (or "
		    "\"urls\") and \"exec\"");
	if (cur->nurls > 1 && cur->format != RECV_ALERTMANAGER) {
		snprintf(field, sizeof(field), "%s.urls", where);
		return perr(p, field, "several URLs are for an \"alertmanager\" "
		    "receiver (an HA cluster); use one receiver per webhook");
	}
	for (j = 0; cur->format == RECV_ALERTMANAGER && j < cur->nurls; j++)
		if ((rc = am_url(&cur->urls[j])) < 0)
			return rc;
	cur->url = cur->nurls > 0 ? cur->urls[0] : NULL;
	if (cur->secret != NULL && (rc = sw_check(p, where, cur->secret)) < 0)
		return rc;
	if (cur->argv != NULL && (cJSON_GetObjectItem(obj, "format") ||
	    cur->nheaders > 0 || cur->secret != NULL))
		return perr(p, where, "\"exec\" takes no \"format\", "
		    "\"headers\" or \"secret\"");
	if (cur->backoff_max_ms < cur->backoff_ms) {
		snprintf(field, sizeof(field), "%s.backoff_max_ms", where);
		return perr(p, field, "must not be below backoff_ms");
	}
	if (section_dup(items, i, sizeof(*cur),
	    offsetof(struct config_receiver, name)) < i) {
		snprintf(field, sizeof(field), "%s.name", where);
		return perr(p, field, "duplicate receiver name \"%s\"",
		    cur->name);
	}
	return 0;
}

static const struct section receivers_section = {
	"receivers", RECEIVERS_MAX, sizeof(struct config_receiver),
	receiver_keys, NELEM(receiver_keys), receiver_init, receiver_check,
	receiver_fini,
};

void
receivers_free(struct config_receiver *r, size_t n)
{
	section_free(&receivers_section, r, n);
}

int
parse_receivers(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config *c = dst;

	(void)k;
	return section_set(p, &receivers_section, field, v, &c->receivers,
	    &c->nreceivers);
}

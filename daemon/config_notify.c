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

static key_fn	rc_name, rc_url, rc_exec, rc_format, rc_headers, rc_secret,
		rc_severity;

static const struct key receiver_keys[] = {
	{ "name",		FN(T_STRING, rc_name) },
	{ "url",		FN(T_STRING, rc_url) },
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

static int
rc_url(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	const char *s = v->valuestring;

	(void)k;
	if ((strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) ||
	    strlen(s) > 2048 || strpbrk(s, " \t\r\n") != NULL)
		return perr(p, field, "must be an http:// or https:// URL");
	return dup_str(&((struct config_receiver *)dst)->url, s);
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
	const cJSON *e;
	char where[128];
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0, len;

	(void)k;
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
	if ((r->headers = calloc(n ? n : 1, sizeof(*r->headers))) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v) {
		len = strlen(e->string) + strlen(e->valuestring) + 3;
		if ((r->headers[i] = malloc(len)) == NULL)
			return -ENOMEM;		/* receiver_fini() frees */
		snprintf(r->headers[i], len, "%s: %s", e->string,
		    e->valuestring);
		r->nheaders = ++i;
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
	free(r->url);
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

	if (cur->name == NULL)
		return perr(p, where, "missing \"name\"");
	if ((cur->url == NULL) == (cur->argv == NULL))
		return perr(p, where, "give exactly one of \"url\" and "
		    "\"exec\"");
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

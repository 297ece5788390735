/*
 * daemon/config_remote.c: the "remote_write" section of the config, where
 * procwatchd pushes its series (Prometheus remote write 1.0), and the
 * "otlp" object (OTLP/HTTP, to an OpenTelemetry Collector); both are
 * struct config_remote, sent by daemon/remote_write.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/custom.h>

#include "daemon/config_impl.h"

#define REMOTES_MAX	8
#define EXT_LABELS_MAX	32

#define RW(f)		FIELD(struct config_remote, f)

static key_fn	rw_name, rw_url, rw_headers, rw_bearer, rw_basic, rw_ca,
		rw_labels, otlp_endpoint;

static const struct key remote_keys[] = {
	{ "name",		FN(T_STRING, rw_name) },
	{ "url",		FN(T_STRING, rw_url) },
	{ "headers",		FN(T_OBJECT, rw_headers) },
	{ "bearer_token",	FN(T_STRING, rw_bearer) },
	{ "basic_auth",		FN(T_OBJECT, rw_basic) },
	{ "tls_ca_file",	FN(T_STRING, rw_ca) },
	{ "external_labels",	FN(T_OBJECT, rw_labels) },
	{ "timeout_ms",		T_INT, 100, 600000, RW(timeout_ms), NULL },
	{ "max_samples_per_send", T_INT, 100, 1000000, RW(max_samples), NULL },
	{ "queue_cycles",	T_INT, 1, 100000, RW(queue_cycles), NULL },
	{ "catchup_cycles_per_s", T_INT, 1, 10000, RW(catchup_per_s), NULL },
	{ "backoff_ms",		T_INT, 10, 3600000, RW(backoff_ms), NULL },
	{ "backoff_max_ms",	T_INT, 10, 86400000, RW(backoff_max_ms), NULL },
};

/* "otlp": the same keys but "endpoint" for "url" and no labels. */
static const struct key otlp_keys[] = {
	{ "name",		FN(T_STRING, rw_name) },
	{ "endpoint",		FN(T_STRING, otlp_endpoint) },
	{ "headers",		FN(T_OBJECT, rw_headers) },
	{ "bearer_token",	FN(T_STRING, rw_bearer) },
	{ "basic_auth",		FN(T_OBJECT, rw_basic) },
	{ "tls_ca_file",	FN(T_STRING, rw_ca) },
	{ "timeout_ms",		T_INT, 100, 600000, RW(timeout_ms), NULL },
	{ "max_points_per_send", T_INT, 100, 1000000, RW(max_samples), NULL },
	{ "queue_cycles",	T_INT, 1, 100000, RW(queue_cycles), NULL },
	{ "catchup_cycles_per_s", T_INT, 1, 10000, RW(catchup_per_s), NULL },
	{ "backoff_ms",		T_INT, 10, 3600000, RW(backoff_ms), NULL },
	{ "backoff_max_ms",	T_INT, 10, 86400000, RW(backoff_max_ms), NULL },
};

static int
rw_name(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	return parse_name(p, field, v->valuestring,
	    &((struct config_remote *)dst)->name);
}

static int
rw_url(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	int rc;

	(void)k;
	if ((rc = check_http_url(p, field, v->valuestring)) < 0)
		return rc;
	return dup_str(&((struct config_remote *)dst)->url, v->valuestring);
}

/* The base URL: /v1/metrics and /v1/logs are added to it. */
static int
otlp_endpoint(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config_remote *r = dst;
	size_t n;
	int rc;

	(void)k;
	if ((rc = check_http_url(p, field, v->valuestring)) < 0)
		return rc;
	if (strpbrk(v->valuestring, "?#") != NULL)
		return perr(p, field, "must be a base URL (no query or "
		    "fragment): /v1/metrics and /v1/logs are added to it");
	if ((rc = dup_str(&r->url, v->valuestring)) < 0)
		return rc;
	for (n = strlen(r->url); n > 0 && r->url[n - 1] == '/'; n--)
		r->url[n - 1] = '\0';
	return 0;
}

static int
rw_headers(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config_remote *r = dst;

	(void)k;
	return parse_headers(p, field, v, &r->headers, &r->nheaders);
}

static int
rw_bearer(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (v->valuestring[0] == '\0' || strpbrk(v->valuestring, "\r\n"))
		return perr(p, field, "must be a token on one line");
	return dup_str(&((struct config_remote *)dst)->bearer_token,
	    v->valuestring);
}

static int
rw_basic(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config_remote *r = dst;
	const cJSON *u, *pw;
	char where[128];
	int rc;

	(void)k;
	u = cJSON_GetObjectItemCaseSensitive(v, "username");
	pw = cJSON_GetObjectItemCaseSensitive(v, "password");
	if (!cJSON_IsString(u) || u->valuestring[0] == '\0' ||
	    strchr(u->valuestring, ':') != NULL) {
		snprintf(where, sizeof(where), "%s.username", field);
		return perr(p, where, "must be a non-empty string without ':'");
	}
	if (!cJSON_IsString(pw)) {
		snprintf(where, sizeof(where), "%s.password", field);
		return perr(p, where, "must be a string");
	}
	if (cJSON_GetArraySize(v) != 2)
		return perr(p, field, "takes \"username\" and \"password\" "
		    "only");
	if ((rc = dup_str(&r->basic_user, u->valuestring)) < 0)
		return rc;
	return dup_str(&r->basic_password, pw->valuestring);
}

static int
rw_ca(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (v->valuestring[0] != '/')
		return perr(p, field, "must be an absolute path");
	if (access(v->valuestring, R_OK) != 0)
		return perr(p, field, "%.*s: %s", ERR_SNIP, v->valuestring,
		    strerror(errno));
	return dup_str(&((struct config_remote *)dst)->tls_ca_file,
	    v->valuestring);
}

static int
rw_labels(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config_remote *r = dst;
	const cJSON *e;
	char where[128];
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0;

	(void)k;
	if (n > EXT_LABELS_MAX)
		return perr(p, field, "too many labels (at most %d)",
		    EXT_LABELS_MAX);
	cJSON_ArrayForEach(e, v) {
		snprintf(where, sizeof(where), "%s.%s", field, e->string);
		/* The custom series' rule: not __*, pid, name or target. */
		if (!pw_custom_label_name_valid(e->string) ||
		    strcmp(e->string, "mode") == 0)
			return perr(p, where, "not a label name of our own "
			    "([a-zA-Z_][a-zA-Z0-9_]*, not __*, pid, name, target "
			    "or mode)");
		if (!cJSON_IsString(e))
			return perr(p, where, "expected a string, got %s",
			    jtype_name(e));
	}
	if ((r->ext_labels = calloc(2 * n + 1, sizeof(char *))) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v) {
		if ((r->ext_labels[2 * i] = strdup(e->string)) == NULL ||
		    (r->ext_labels[2 * i + 1] = strdup(e->valuestring)) ==
		    NULL)
			return -ENOMEM;		/* remote_fini() frees */
		r->next_labels = ++i;
	}
	return 0;
}

/* The defaults config.h promises. */
static void
remote_init(struct parse *p, void *item, size_t i)
{
	struct config_remote *r = item;

	(void)p;
	(void)i;
	r->timeout_ms = 10000;
	r->max_samples = 2000;
	r->queue_cycles = 300;
	r->catchup_per_s = 20;
	r->backoff_ms = 500;
	r->backoff_max_ms = 30000;
}

static void
remote_fini(void *item)
{
	struct config_remote *r = item;
	size_t j;

	free(r->name);
	free(r->url);
	for (j = 0; j < r->nheaders; j++)
		free(r->headers[j]);
	free(r->headers);
	if (r->bearer_token != NULL)
		explicit_bzero(r->bearer_token, strlen(r->bearer_token));
	free(r->bearer_token);
	free(r->basic_user);
	if (r->basic_password != NULL)
		explicit_bzero(r->basic_password, strlen(r->basic_password));
	free(r->basic_password);
	free(r->tls_ca_file);
	for (j = 0; r->ext_labels != NULL && r->ext_labels[j] != NULL; j++)
		free(r->ext_labels[j]);
	free(r->ext_labels);
}

static int
remote_check(struct parse *p, const char *where, const cJSON *obj,
    void *items, size_t i)
{
	struct config_remote *cur = (struct config_remote *)items + i;
	char field[128];

	(void)obj;
	if (cur->url == NULL)
		return perr(p, where, cur->protocol == PUSH_OTLP ?
		    "missing \"endpoint\"" : "missing \"url\"");
	if (cur->bearer_token != NULL && cur->basic_user != NULL)
		return perr(p, where, "give \"bearer_token\" or \"basic_auth\", "
		    "not both");
	if (cur->backoff_max_ms < cur->backoff_ms) {
		snprintf(field, sizeof(field), "%s.backoff_max_ms", where);
		return perr(p, field, "must not be below backoff_ms");
	}
	/* Unnamed: the host and port of its URL names it in /metrics. */
	if (cur->name == NULL) {
		const char *h = strstr(cur->url, "://") + 3;

		h += strchr(h, '@') != NULL && strchr(h, '@') <
		    h + strcspn(h, "/?#") ? strchr(h, '@') + 1 - h : 0;
		if ((cur->name = strndup(h, strcspn(h, "/?#"))) == NULL)
			return -ENOMEM;
		for (char *q = cur->name; *q != '\0'; q++)
			if (*q == '"' || *q == '\\')	/* a label value */
				*q = '_';
	}
	if (section_dup(items, i, sizeof(*cur),
	    offsetof(struct config_remote, name)) < i) {
		snprintf(field, sizeof(field), "%s.name", where);
		return perr(p, field, "duplicate remote_write name \"%s\"",
		    cur->name);
	}
	return 0;
}

static const struct section remotes_section = {
	"remote_write entries", REMOTES_MAX, sizeof(struct config_remote),
	remote_keys, NELEM(remote_keys), remote_init, remote_check,
	remote_fini,
};

static void
otlp_init(struct parse *p, void *item, size_t i)
{
	remote_init(p, item, i);
	((struct config_remote *)item)->protocol = PUSH_OTLP;
}

static const struct section otlp_section = {
	"otlp destinations", 1, sizeof(struct config_remote),
	otlp_keys, NELEM(otlp_keys), otlp_init, remote_check, remote_fini,
};

void
remotes_free(struct config_remote *r, size_t n)
{
	section_free(&remotes_section, r, n);
}

int
parse_remotes(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config *c = dst;

	(void)k;
	return section_set(p, &remotes_section, field, v, &c->remotes,
	    &c->nremotes);
}

/* "otlp": one object, kept as a section of at most one entry. */
int
parse_otlp(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config *c = dst;
	struct config_remote *r;
	int rc;

	(void)k;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return -ENOMEM;
	otlp_init(p, r, 0);
	if ((rc = parse_object(p, field, v, otlp_keys, NELEM(otlp_keys),
	    r)) < 0 || (rc = remote_check(p, field, v, r, 0)) < 0) {
		section_free(&otlp_section, r, 1);
		return rc;
	}
	section_free(&otlp_section, c->otlp, c->notlp);
	c->otlp = r;
	c->notlp = 1;
	return 0;
}

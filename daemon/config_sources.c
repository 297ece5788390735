/*
 * daemon/config_sources.c: the "sources" (exec sources of custom metrics)
 * and "plugins" sections of the config.  The commands and plugin files
 * are checked against the permission policy by the check step
 * (config_check.c), not here: parsing does no I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config_impl.h"

#define SOURCES_MAX	64
#define PLUGINS_MAX	32
#define PLUGIN_KV_MAX	64

#define SRC(f)	FIELD(struct config_source, f)

static key_fn	src_type, src_name, src_command, src_target;
static key_fn	pl_path, pl_config;

static const struct key source_keys[] = {
	{ "type",		FN(T_STRING, src_type) },
	{ "name",		FN(T_STRING, src_name) },
	{ "command",		FN(T_ARRAY, src_command) },
	{ "interval_ms",	T_INT, 100, 86400000, SRC(interval_ms), NULL },
	{ "timeout_ms",		T_INT, 10, 3600000, SRC(timeout_ms), NULL },
	{ "target",		FN(T_STRING, src_target) },
};

/* Any type: the handlers' own messages say what is wanted. */
static const struct key plugin_keys[] = {
	{ "path",		FN(T_ANY, pl_path) },
	{ "config",		FN(T_ANY, pl_config) },
};

static int
src_type(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	(void)dst;
	if (strcmp(v->valuestring, "exec") != 0)
		return perr(p, field, "must be \"exec\"");
	return 0;
}

static int
src_name(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	return parse_name(p, field, v->valuestring,
	    &((struct config_source *)dst)->name);
}

static int
src_target(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (!name_ok(v->valuestring))
		return perr(p, field, "must be a target name");
	return dup_str(&((struct config_source *)dst)->target,
	    v->valuestring);
}

static int
src_command(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	return parse_argv(p, field, v, &((struct config_source *)dst)->argv);
}

static void
source_init(struct parse *p, void *item, size_t i)
{
	struct config_source *s = item;

	(void)p;
	(void)i;
	s->interval_ms = 10000;
	s->timeout_ms = 5000;
}

static void
source_fini(void *item)
{
	struct config_source *s = item;

	free(s->name);
	argv_free(s->argv);
	free(s->target);
}

static int
source_check(struct parse *p, const char *where, const cJSON *obj,
    void *items, size_t i)
{
	struct config_source *cur = (struct config_source *)items + i;

	if (cJSON_GetObjectItem(obj, "type") == NULL)
		return perr(p, where, "missing \"type\" (\"exec\")");
	if (cur->name == NULL || cur->argv == NULL)
		return perr(p, where, "missing \"%s\"", cur->name == NULL ?
		    "name" : "command");
	if (section_dup(items, i, sizeof(*cur),
	    offsetof(struct config_source, name)) < i)
		return perr(p, where, "duplicate source name \"%s\"",
		    cur->name);
	return 0;
}

static const struct section sources_section = {
	"sources", SOURCES_MAX, sizeof(struct config_source), source_keys,
	NELEM(source_keys), source_init, source_check, source_fini,
};

void
sources_free(struct config_source *s, size_t n)
{
	section_free(&sources_section, s, n);
}

int
parse_sources(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config *c = dst;

	(void)k;
	return section_set(p, &sources_section, field, v, &c->sources,
	    &c->nsources);
}

/* --- plugins -------------------------------------------------------------- */

static int
pl_path(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	(void)k;
	if (!cJSON_IsString(v))
		return perr(p, field, "missing, or not a string");
	return dup_str(&((struct config_plugin *)dst)->path, v->valuestring);
}

/* "config": an object of strings, numbers and booleans, kept as text. */
static int
pl_config(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	char **kv, num[64];
	const cJSON *e;
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
	const char *val;

	(void)k;
	if (!cJSON_IsObject(v))
		return perr(p, field, "expected an object");
	if (n > PLUGIN_KV_MAX)
		return perr(p, field, "at most %d keys", PLUGIN_KV_MAX);
	if ((kv = calloc(2 * n + 1, sizeof(*kv))) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v) {
		if (cJSON_IsString(e))
			val = e->valuestring;
		else if (cJSON_IsNumber(e)) {
			snprintf(num, sizeof(num), "%.17g", e->valuedouble);
			val = num;
		} else if (cJSON_IsBool(e))
			val = cJSON_IsTrue(e) ? "true" : "false";
		else {
			argv_free(kv);
			return perr(p, field, "%.*s: expected a string, number "
			    "or boolean", ERR_SNIP, e->string);
		}
		if ((kv[i++] = strdup(e->string)) == NULL ||
		    (kv[i++] = strdup(val)) == NULL) {
			argv_free(kv);
			return -ENOMEM;
		}
	}
	((struct config_plugin *)dst)->kv = kv;
	return 0;
}

static void
plugin_fini(void *item)
{
	struct config_plugin *pl = item;

	free(pl->path);
	argv_free(pl->kv);
}

static int
plugin_check(struct parse *p, const char *where, const cJSON *obj,
    void *items, size_t i)
{
	char field[128];

	(void)obj;
	if (((struct config_plugin *)items)[i].path != NULL)
		return 0;
	snprintf(field, sizeof(field), "%s.path", where);
	return perr(p, field, "missing, or not a string");
}

static const struct section plugins_section = {
	"plugins", PLUGINS_MAX, sizeof(struct config_plugin), plugin_keys,
	NELEM(plugin_keys), NULL, plugin_check, plugin_fini,
};

void
plugins_free(struct config_plugin *pl, size_t n)
{
	section_free(&plugins_section, pl, n);
}

int
parse_plugins(struct parse *p, const struct key *k, const char *field,
    const cJSON *v, void *dst)
{
	struct config *c = dst;

	(void)k;
	return section_set(p, &plugins_section, field, v, &c->plugins,
	    &c->nplugins);
}

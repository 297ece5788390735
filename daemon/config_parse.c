/*
 * daemon/config_parse.c: the table-driven machinery every section of the
 * config is parsed with (daemon/config_impl.h says how the steps fit).
 *
 * DESIGN: the parser is driven by tables of known keys.  Each row names a
 * key, the JSON types it accepts and either where a plain integer or
 * boolean goes in the destination struct or a handler for anything that
 * needs more checking.  Adding a key is one row, plus a handler if it is
 * not a plain number or flag.  Unknown keys, repeated keys and wrong types
 * are errors: a typo must not silently fall back to a default.  Arrays of
 * objects ("targets", "receivers", ...) go through one parse_section(),
 * so their limits, element types and messages agree.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config_impl.h"

#define ARGV_MAX	64		/* a command and its arguments */

/*
 * Write "<file>: <field>: <message>" (or "<file>: <message>" when field
 * is NULL) to the caller's err buffer.  Returns -EINVAL for convenience.
 */
int
perr(struct parse *p, const char *field, const char *fmt, ...)
{
	char msg[512], *c;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->errlen == 0)
		return -EINVAL;
	if (field != NULL)
		snprintf(p->err, p->errlen, "%s: %s: %s", p->file, field, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->file, msg);
	/* Quoted input may hold control characters: keep it one line. */
	for (c = p->err; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return -EINVAL;
}

unsigned
jtype(const cJSON *v)
{
	if (cJSON_IsBool(v))
		return T_BOOL;
	if (cJSON_IsNumber(v))
		return T_INT;
	if (cJSON_IsString(v))
		return T_STRING;
	if (cJSON_IsArray(v))
		return T_ARRAY;
	if (cJSON_IsObject(v))
		return T_OBJECT;
	return T_NULL;				/* null, raw, invalid */
}

const char *
jtype_name(const cJSON *v)
{
	switch (jtype(v)) {
	case T_BOOL:	return "a boolean";
	case T_INT:	return "a number";
	case T_STRING:	return "a string";
	case T_ARRAY:	return "an array";
	case T_OBJECT:	return "an object";
	default:	return "null";
	}
}

static void
types_name(unsigned types, char *buf, size_t len)
{
	static const struct {
		unsigned	 t;
		const char	*name;
	} names[] = {
		{ T_BOOL, "a boolean" }, { T_INT, "an integer" },
		{ T_STRING, "a string" }, { T_ARRAY, "an array" },
		{ T_OBJECT, "an object" },
	};
	size_t i, pos = 0;

	buf[0] = '\0';
	for (i = 0; i < NELEM(names); i++) {
		if ((types & names[i].t) == 0)
			continue;
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s",
		    pos > 0 ? " or " : "", names[i].name);
		if (pos >= len)
			return;
	}
}

static void
store_uint(void *dst, const struct key *k, unsigned long long v)
{
	char *at = (char *)dst + k->off;

	switch (k->size) {
	case sizeof(uint16_t): {
		uint16_t x = (uint16_t)v;
		memcpy(at, &x, sizeof(x));
		break;
	}
	case sizeof(uint32_t): {
		uint32_t x = (uint32_t)v;
		memcpy(at, &x, sizeof(x));
		break;
	}
	case sizeof(uint64_t): {
		uint64_t x = (uint64_t)v;
		memcpy(at, &x, sizeof(x));
		break;
	}
	default:
		abort();			/* a bad row in a key table */
	}
}

/*
 * Walk the members of object `obj`, check each against `keys` and store
 * or dispatch it.  `where` is the field path of obj ("" at top level).
 */
int
parse_object(struct parse *p, const char *where, const cJSON *obj,
    const struct key *keys, size_t nkeys, void *dst)
{
	char field[128], want[96];
	const struct key *k;
	const cJSON *v, *w;
	size_t i;
	double d;
	int rc;

	cJSON_ArrayForEach(v, obj) {
		for (k = NULL, i = 0; i < nkeys; i++)
			if (strcmp(v->string, keys[i].name) == 0) {
				k = &keys[i];
				break;
			}
		if (k == NULL)
			return perr(p, where[0] != '\0' ? where : NULL,
			    "unknown key \"%.*s\"", ERR_SNIP, v->string);
		if (*where != '\0')
			snprintf(field, sizeof(field), "%s.%s", where, k->name);
		else
			snprintf(field, sizeof(field), "%s", k->name);
		for (w = obj->child; w != v; w = w->next)
			if (strcmp(w->string, v->string) == 0)
				return perr(p, field, "key given more than "
				    "once");

		if ((jtype(v) & k->types) == 0) {
			types_name(k->types, want, sizeof(want));
			return perr(p, field, "expected %s, got %s", want,
			    jtype_name(v));
		}
		if (jtype(v) == T_INT && (k->types & T_NUM) != T_NUM) {
			/* Range first: converting a huge double is UB. */
			d = v->valuedouble;
			if (!(d >= (double)k->min && d <= (double)k->max) ||
			    d != (double)(long long)d)
				return perr(p, field,
				    "must be an integer between %lld and %lld",
				    k->min, k->max);
		}
		if (k->fn != NULL) {
			if ((rc = k->fn(p, k, field, v, dst)) < 0)
				return rc;
		} else if (k->types == T_BOOL) {
			bool b = cJSON_IsTrue(v);
			memcpy((char *)dst + k->off, &b, sizeof(b));
		} else {
			store_uint(dst, k, (unsigned long long)v->valuedouble);
		}
	}
	return 0;
}

void
section_free(const struct section *s, void *items, size_t n)
{
	size_t i;

	for (i = 0; s->fini != NULL && items != NULL && i < n; i++)
		s->fini((char *)items + i * s->size);
	free(items);
}

int
parse_section(struct parse *p, const struct section *s, const char *field,
    const cJSON *arr, void **out, size_t *nout)
{
	size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
	const cJSON *e;
	char where[128];
	char *items, *cur;
	int rc;

	if (n > s->max)
		return perr(p, field, "too many %s (at most %zu)", s->what,
		    s->max);
	if ((items = calloc(n ? n : 1, s->size)) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(e, arr) {
		snprintf(where, sizeof(where), "%s[%zu]", field, i);
		cur = items + i * s->size;
		if (s->init != NULL)
			s->init(p, cur, i);
		i++;
		if (!cJSON_IsObject(e)) {
			rc = perr(p, where, "expected an object, got %s",
			    jtype_name(e));
			goto out;
		}
		if ((rc = parse_object(p, where, e, s->keys, s->nkeys,
		    cur)) < 0)
			goto out;
		if (s->check != NULL &&
		    (rc = s->check(p, where, e, items, i - 1)) < 0)
			goto out;
	}
	*out = items;
	*nout = n;
	return 0;
out:
	section_free(s, items, i);
	return rc;
}

int
section_set(struct parse *p, const struct section *s, const char *field,
    const cJSON *arr, void *itemsp, size_t *np)
{
	void *items, *old;
	size_t n;
	int rc;

	if ((rc = parse_section(p, s, field, arr, &items, &n)) < 0)
		return rc;
	/* itemsp points at a pointer to the items' own type. */
	memcpy(&old, itemsp, sizeof(old));
	section_free(s, old, *np);
	memcpy(itemsp, &items, sizeof(items));
	*np = n;
	return 0;
}

/* The first of items[0..i) with the name of items[i], or i if none. */
size_t
section_dup(const void *items, size_t i, size_t size, size_t name_off)
{
	const char *name, *other;
	size_t j;

	memcpy(&name, (const char *)items + i * size + name_off, sizeof(name));
	for (j = 0; name != NULL && j < i; j++) {
		memcpy(&other, (const char *)items + j * size + name_off,
		    sizeof(other));
		if (other != NULL && strcmp(other, name) == 0)
			return j;
	}
	return i;
}

bool
name_ok(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++) {
		if (n >= TNAME_MAX)
			return false;
		if (!((s[n] >= 'a' && s[n] <= 'z') ||
		    (s[n] >= 'A' && s[n] <= 'Z') ||
		    (s[n] >= '0' && s[n] <= '9') ||
		    s[n] == '_' || s[n] == '.' || s[n] == '-'))
			return false;
	}
	return n > 0;
}

int
dup_str(char **dst, const char *s)
{
	char *d;

	if ((d = strdup(s)) == NULL)
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

/* A name (name_ok()) copied to *dst. */
int
parse_name(struct parse *p, const char *field, const char *s, char **dst)
{
	if (!name_ok(s))
		return perr(p, field, "must be 1 to %d characters of "
		    "A-Z a-z 0-9 _ . -", TNAME_MAX);
	return dup_str(dst, s);
}

void
argv_free(char **argv)
{
	size_t i;

	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/*
 * A command and its arguments: 1 to ARGV_MAX strings, copied into a
 * NULL-terminated *out that replaces (and frees) the one there.
 */
int
parse_argv(struct parse *p, const char *field, const cJSON *v, char ***out)
{
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0;
	const cJSON *e;
	char **argv;

	if (n == 0 || n > ARGV_MAX)
		return perr(p, field, "must be a command and its arguments (1 "
		    "to %d strings)", ARGV_MAX);
	cJSON_ArrayForEach(e, v)
		if (!cJSON_IsString(e))
			return perr(p, field, "expected strings, got %s",
			    jtype_name(e));
	if ((argv = calloc(n + 1, sizeof(*argv))) == NULL)
		return -ENOMEM;
	cJSON_ArrayForEach(e, v)
		if ((argv[i++] = strdup(e->valuestring)) == NULL) {
			argv_free(argv);
			return -ENOMEM;
		}
	argv_free(*out);
	*out = argv;
	return 0;
}

/*
 * daemon/config_impl.h: what the files of the config parser share; not
 * for the rest of the daemon, which sees only daemon/config.h.
 *
 * DESIGN: a config is loaded in three steps, each in files of its own.
 *  1. parse (config.c, config_parse.c and one file per group of sections:
 *     config_targets.c, config_rules.c, config_notify.c, config_sources.c,
 *     config_api.c): JSON to plain values, checked for types, ranges,
 *     unknown and repeated keys, with no I/O at all, so the fuzzer can
 *     drive it.  Simple values go straight into the struct config; what
 *     needs more (targets, rules, file paths) goes into a struct
 *     config_draft, whose strings are borrowed from the JSON tree.
 *  2. check (config_check.c): all the I/O: users looked up, the token and
 *     PEM files read, the permission policy on commands and plugins.
 *  3. build (config.c, with the sections' own *_build functions): the
 *     engine's types, pw_target and pw_rule, and the defaults.
 * Every error is one line naming the file and the field, written by
 * perr(); the first error ends the load.
 */
#ifndef PW_DAEMON_CONFIG_IMPL_H
#define PW_DAEMON_CONFIG_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "daemon/config.h"

#define TNAME_MAX	64		/* target, rule, receiver name length */
#define ERR_SNIP	64		/* quote at most this much input */
#define TOKEN_MAX	256		/* api_token bytes */

/* JSON types a key accepts, as a mask. */
#define T_BOOL		0x01
#define T_INT		0x02
#define T_STRING	0x04
#define T_ARRAY		0x08
#define T_OBJECT	0x10
#define T_NUM		(T_INT | 0x20)	/* any finite number, not just integers */
#define T_NULL		0x40		/* only in T_ANY: the handler decides */
#define T_ANY		(T_BOOL | T_NUM | T_STRING | T_ARRAY | T_OBJECT | \
			    T_NULL)

#include "lib/pwutil.h"

struct config_draft;

/* One load in progress: where errors go, and what it builds. */
struct parse {
	const char	*file;		/* for messages */
	char		*err;
	size_t		 errlen;
	struct config	*c;
	struct config_draft *d;
};

struct key;
typedef int key_fn(struct parse *, const struct key *, const char *field,
    const cJSON *v, void *dst);

/*
 * A row of a key table: a key, the JSON types it accepts and either where
 * a plain integer or boolean goes in the destination struct (an offset,
 * with the integer's allowed range) or a handler for anything that needs
 * more checking.
 */
struct key {
	const char	*name;
	unsigned	 types;		/* T_* mask */
	long long	 min, max;	/* allowed range when T_INT */
	size_t		 off;		/* where to store, when no fn */
	size_t		 size;		/* sizeof the stored field */
	key_fn		*fn;		/* handler; NULL: just store */
};

#define FIELD(type, f)	offsetof(type, f), sizeof(((type *)0)->f)
#define FN(types, fn)	types, 0, 0, 0, 0, fn

/*
 * An array section ("targets", "receivers", "sources", "rules.custom",
 * "plugins"): an array of at most `max` objects, each parsed with `keys`
 * into an item of `size` bytes that `init` (may be NULL) set up first
 * with the item's index.
 * `check` (may be NULL) then sees the item with the ones before it, for
 * what involves several keys or items.  `fini` (may be NULL) releases an
 * item's contents.
 */
struct section {
	const char	*what;		/* "too many <what> (at most N)" */
	size_t		 max;
	size_t		 size;
	const struct key *keys;
	size_t		 nkeys;
	void		(*init)(struct parse *, void *item, size_t i);
	int		(*check)(struct parse *, const char *where,
			    const cJSON *obj, void *items, size_t i);
	void		(*fini)(void *item);
};

/*
 * A config's parts that need the check or build step.  Strings are
 * borrowed from the JSON tree, which outlives the three steps.
 */
struct rulesspec;

/* One entry of "targets", as parsed; pw_target_init() builds it. */
struct tspec {
	const char	*name;		/* NULL: derive one */
	enum pw_selector sel;
	const char	*selkey;	/* JSON key of the selector */
	const char	*arg;		/* for pw_target_init() */
	char		 argbuf[24];	/* decimal pid or uid */
	bool		 is_self;	/* "pid": "self" */
	bool		 user_by_name;	/* the check step looks it up */
	bool		 children;
	size_t		 min_processes;	/* with has_min; else 1 */
	size_t		 max_processes;	/* with has_max; else 0: none */
	bool		 has_min, has_max;
	int		 nsel;
	int		 index;
	struct parse	*p;
};

struct config_draft {
	struct tspec	*targets;	/* NULL: none given, or "all" */
	size_t		 ntargets;
	bool		 targets_all;	/* "targets": "all" */
	struct rulesspec *rules;	/* NULL: the built-ins */
	const char	*token_file;	/* api_token_file */
	const char	*read_token_file; /* read_token_file */
	const char	*tls_cert;	/* paths */
	const char	*tls_key;
};

/*
 * config_parse.c: the table-driven machinery.  Like everything here, it
 * runs on the thread that loads a config: main (and the fuzzer's).
 * Thread: the caller of config_load() (main).
 */
int	perr(struct parse *, const char *field, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
unsigned jtype(const cJSON *);
const char *jtype_name(const cJSON *);
int	parse_object(struct parse *, const char *where, const cJSON *obj,
	    const struct key *keys, size_t nkeys, void *dst);
int	parse_section(struct parse *, const struct section *,
	    const char *field, const cJSON *arr, void **out, size_t *nout);
/*
 * parse_section() into *itemsp (a struct foo ** passed as void *) and
 * *np, freeing the items that were there.
 * Thread: the caller of config_load() (main).
 */
int	section_set(struct parse *, const struct section *,
	    const char *field, const cJSON *arr, void *itemsp, size_t *np);
void	section_free(const struct section *, void *items, size_t n);
size_t	section_dup(const void *items, size_t i, size_t size,
	    size_t name_off);
bool	name_ok(const char *);
int	dup_str(char **dst, const char *s);
int	parse_name(struct parse *, const char *field, const char *s,
	    char **dst);
int	parse_argv(struct parse *, const char *field, const cJSON *v,
	    char ***out);
void	argv_free(char **);

/*
 * The sections: parse handlers for top_keys[], then their build step.
 * Thread: the caller of config_load() (main); the *_free() functions too,
 * from config_free().
 */
key_fn	parse_listen, parse_api_token, parse_tls_file;
/*
 * An object of HTTP headers into "Name: value" strings (*headers, *n,
 * owned by the caller even on failure).  Thread: main.
 */
int	parse_headers(struct parse *, const char *field, const cJSON *v,
	    char ***headers, size_t *n);
/*
 * An http:// or https:// URL of one line, at most 2048 bytes.
 * Thread: main.
 */
int	check_http_url(struct parse *, const char *field, const char *s);
int	token_set(struct parse *, const char *field, const char *tok,
	    size_t n);

/* Thread: main, as above. */
key_fn	parse_targets;
void	targets_draft_free(struct config_draft *);
int	targets_build(struct parse *, struct config *);
int	targets_all(struct pw_target **out, size_t *nout);
void	targets_free(struct pw_target *, size_t);

/* Thread: main, as above. */
key_fn	parse_rules;
void	rules_draft_free(struct config_draft *);
int	rules_build(struct parse *, struct config *);
void	rules_free(struct pw_rule *, size_t);

/* Thread: main, as above. */
key_fn	parse_receivers;
key_fn	parse_remotes, parse_otlp;
void	remotes_free(struct config_remote *, size_t);
void	receivers_free(struct config_receiver *, size_t);

/* Thread: main, as above. */
key_fn	parse_sources, parse_plugins;
void	sources_free(struct config_source *, size_t);
void	plugins_free(struct config_plugin *, size_t);

/*
 * config_check.c: step 2, all the I/O, on what step 1 left.
 * Thread: the caller of config_load() (main).
 */
int	config_check(struct parse *);

/*
 * config.c: step 1 alone, for the fuzzer: parse `text` as config_parse()
 * does and free what it made, without the check step's I/O (users, files)
 * or the build.  Returns 0, or a negative errno with one line in err.
 * Thread: any; no global state.
 */
int	config_parse_only(const char *text, size_t len, const char *path,
	    char *err, size_t errlen);

#endif

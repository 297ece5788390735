/*
 * daemon/config_check.c: the config's second step, all its I/O: user
 * names looked up, the token and PEM files read, commands and plugins
 * held to the file-permission policy (config_check_path(), which
 * daemon/plugins.c applies again right before dlopen()).
 *
 * Errors name the file and the field as the parser's do
 * ("x.json: sources[0].command[0]: /bin/x: not executable").
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/config_impl.h"

#define PEM_MAX		(256 * 1024)

/* Does user `name` exist?  1 yes, 0 no, or a negative errno. */
static int
user_exists(const char *name)
{
	struct passwd pw, *res = NULL;
	size_t len = 16384;
	char *buf;
	int rc;

	for (;;) {
		if ((buf = malloc(len)) == NULL)
			return -ENOMEM;
		rc = getpwnam_r(name, &pw, buf, len, &res);
		free(buf);
		if (rc != ERANGE || len >= 1024 * 1024)
			break;
		len *= 2;
	}
	if (rc == 0)
		return res != NULL;
	if (rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM)
		return 0;		/* "not found", per getpwnam(3) */
	return -rc;
}

/* Each target "user" given by name must exist. */
static int
check_users(struct parse *p)
{
	const struct tspec *ts;
	char field[64], ebuf[128];
	size_t i;
	int rc;

	for (i = 0; i < p->d->ntargets; i++) {
		ts = &p->d->targets[i];
		if (ts->sel != PW_SEL_USER || !ts->user_by_name)
			continue;
		snprintf(field, sizeof(field), "targets[%zu].user", i);
		if ((rc = user_exists(ts->arg)) < 0) {
			if (rc == -ENOMEM)
				return rc;
			return perr(p, field, "cannot look up user \"%.*s\": "
			    "%s", ERR_SNIP, ts->arg, pw_strerror(-rc,
			    ebuf, sizeof(ebuf)));
		}
		if (rc == 0)
			return perr(p, field, "unknown user \"%.*s\"",
			    ERR_SNIP, ts->arg);
	}
	return 0;
}

/* The token file must be ours and unreadable by anyone else. */
static int
check_token_file(struct parse *p, const char *field, const char *path)
{
	char buf[TOKEN_MAX + 2];
	struct stat st;
	ssize_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		rc = errno;
		return perr(p, field, "%.*s: %s", ERR_SNIP, path,
		    strerror(rc));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return perr(p, field, "%.*s: not a regular file", ERR_SNIP,
		    path);
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return perr(p, field, "%.*s: owned by uid %lu, not by the "
		    "daemon's user (uid %lu)", ERR_SNIP, path,
		    (unsigned long)st.st_uid, (unsigned long)geteuid());
	}
	if (st.st_mode & 077) {
		close(fd);
		return perr(p, field, "%.*s: readable or writable by group or "
		    "others (mode %03o); chmod 600 it", ERR_SNIP, path,
		    (unsigned)(st.st_mode & 0777));
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return perr(p, field, "%.*s: cannot read", ERR_SNIP, path);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
	    buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	rc = token_set(p, field, buf, (size_t)n);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/*
 * Read a PEM file whole into *out.  A key must be ours and closed to
 * group and others, as the token file is.
 */
static int
read_pem(struct parse *p, const char *field, const char *path, bool is_key,
    char **out)
{
	struct stat st;
	ssize_t n;
	size_t len = 0;
	char *buf;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		rc = errno;
		return perr(p, field, "%.*s: %s", ERR_SNIP, path,
		    strerror(rc));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > PEM_MAX) {
		close(fd);
		return perr(p, field, "%.*s: not a regular file under 256 KiB",
		    ERR_SNIP, path);
	}
	if (is_key && (st.st_uid != geteuid() || (st.st_mode & 077))) {
		close(fd);
		return perr(p, field, "%.*s: a private key must be owned by "
		    "the daemon's user and not open to group or others "
		    "(mode %03o); chmod 600 it", ERR_SNIP, path,
		    (unsigned)(st.st_mode & 0777));
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return -ENOMEM;
	}
	while (len < (size_t)st.st_size &&
	    (n = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	if (strstr(buf, "-----BEGIN ") == NULL) {
		explicit_bzero(buf, len);
		free(buf);
		return perr(p, field, "%.*s: not a PEM file", ERR_SNIP, path);
	}
	*out = buf;
	return 0;
}

int
config_check_path(const char *path, char *why, size_t whylen)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if (path[0] != '/' || strlen(path) >= sizeof(dir)) {
		snprintf(why, whylen, "must be an absolute path");
		return -EINVAL;
	}
	if (stat(path, &st) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		return -EPERM;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		snprintf(why, whylen, "owned by uid %lu, neither root nor us",
		    (unsigned long)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & 022) {
		snprintf(why, whylen, "writable by group or others (mode "
		    "%03o)", (unsigned)(st.st_mode & 0777));
		return -EPERM;
	}
	memcpy(dir, path, strlen(path) + 1);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) < 0 || (st.st_mode & 022)) {
		snprintf(why, whylen, "in a directory writable by group or "
		    "others (%s)", dir);
		return -EPERM;
	}
	return 0;
}

/* The policy, with the reason against `field`. */
static int
check_policy(struct parse *p, const char *field, const char *path)
{
	char why[160];

	if (config_check_path(path, why, sizeof(why)) < 0)
		return perr(p, field, "%.*s: %s", ERR_SNIP, path, why);
	return 0;
}

/* Exec sources run their command, plugins are loaded: both the policy. */
static int
check_programs(struct parse *p)
{
	const struct config *c = p->c;
	char field[64];
	size_t i;
	int rc;

	for (i = 0; i < c->nsources; i++) {
		snprintf(field, sizeof(field), "sources[%zu].command[0]", i);
		if ((rc = check_policy(p, field, c->sources[i].argv[0])) < 0)
			return rc;
		if (access(c->sources[i].argv[0], X_OK) < 0)
			return perr(p, field, "%.*s: not executable", ERR_SNIP,
			    c->sources[i].argv[0]);
	}
	for (i = 0; i < c->nplugins; i++) {
		snprintf(field, sizeof(field), "plugins[%zu].path", i);
		if ((rc = check_policy(p, field, c->plugins[i].path)) < 0)
			return rc;
	}
	return 0;
}

int
config_check(struct parse *p)
{
	struct config_draft *d = p->d;
	struct config *c = p->c;
	int rc;

	if ((rc = check_users(p)) < 0)
		return rc;
	if (d->token_file != NULL &&
	    (rc = check_token_file(p, "api_token_file", d->token_file)) < 0)
		return rc;
	if (d->read_token_file != NULL && (rc = check_token_file(p,
	    "read_token_file", d->read_token_file)) < 0)
		return rc;
	/*
	 * Off loopback, anyone on the network can ask: what runs here, with
	 * which command lines, is not for everyone.  Reads need a token
	 * unless the config says, knowingly, that they are public.
	 */
	if (c->listen_host != NULL && !config_host_is_loopback(c->listen_host) &&
	    !c->public_read && c->api_token == NULL && c->read_token == NULL)
		return perr(p, "listen", "%s is not a loopback address: set "
		    "api_token or read_token (reads then need one), or "
		    "\"public_read\": true to serve them to anyone",
		    c->listen_host);
	if (d->tls_cert != NULL && (rc = read_pem(p, "tls_cert", d->tls_cert,
	    false, &c->tls_cert_pem)) < 0)
		return rc;
	if (d->tls_key != NULL && (rc = read_pem(p, "tls_key", d->tls_key,
	    true, &c->tls_key_pem)) < 0)
		return rc;
	return check_programs(p);
}

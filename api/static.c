/*
 * api/static.c: the files of the web dashboard.
 *
 * DESIGN: only names from fixed lists are served, so no URL can reach any
 * other file, whatever it holds ("..", "%2e%2e", slashes).  Our own page
 * (index.html, app.js, app.css) is compiled into the binary from web/ by
 * scripts/embed.sh, so an uninstalled ./daemon/procwatchd serves it with
 * no configuration and the page always matches the API it was built
 * with.  Dygraphs, the chart library, comes from Debian's libjs-dygraphs
 * and is read from its directory on each request (at most
 * API_STATIC_MAX bytes): a package upgrade needs no restart, and a
 * missing package is a 404 that the page reports in words.
 *
 * Every file goes out with a Content-Security-Policy that allows scripts
 * and styles from this origin only, and no inline code: the page must
 * never run anything a process name or command line smuggles in.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api/api.h"
#include "lib/pwutil.h"

#define CT_HTML		"text/html; charset=utf-8"
#define CT_JS		"text/javascript; charset=utf-8"
#define CT_CSS		"text/css; charset=utf-8"

#define CSP	"default-src 'none'; script-src 'self'; style-src 'self'; " \
		"img-src 'self' data:; connect-src 'self'; base-uri 'none'; " \
		"frame-ancestors 'none'; form-action 'none'"

/* What libjs-dygraphs ships in /usr/share/javascript/dygraphs. */
static const char *const dygraphs_files[] = {
	"dygraph.min.js",
	"dygraph.min.css",
	"dygraph.js",
	"dygraph.css",
};

static const char *
content_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot != NULL && strcmp(dot, ".js") == 0)
		return CT_JS;
	if (dot != NULL && strcmp(dot, ".css") == 0)
		return CT_CSS;
	return CT_HTML;
}

/* Add the headers every static file carries; on failure destroy resp. */
static struct MHD_Response *
add_headers(struct MHD_Response *resp, const char *name, int *err)
{
	if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
	    content_type(name)) != MHD_YES ||
	    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-cache") != MHD_YES ||
	    MHD_add_response_header(resp, "X-Content-Type-Options",
	    "nosniff") != MHD_YES ||
	    MHD_add_response_header(resp, "Content-Security-Policy",
	    CSP) != MHD_YES ||
	    MHD_add_response_header(resp, "Referrer-Policy",
	    "no-referrer") != MHD_YES) {
		MHD_destroy_response(resp);
		*err = -ENOMEM;
		return NULL;
	}
	return resp;
}

/*
 * Read dir/name, a regular file of at most API_STATIC_MAX bytes, into a
 * new buffer the caller frees.  Returns 0 or a negative errno (-ENOENT
 * when it is missing, -EFBIG past the cap).
 */
static int
read_file(const char *dir, const char *name, char **out, size_t *outlen)
{
	char path[PATH_MAX], *buf;
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -ENOENT;
		goto out_close;
	}
	if (st.st_size > (off_t)API_STATIC_MAX) {
		rc = -EFBIG;
		goto out_close;
	}
	/* One byte more than the size tells a file that grew meanwhile. */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		rc = -ENOMEM;
		goto out_close;
	}
	while (len < (size_t)st.st_size + 1) {
		n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			goto out_free;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len != (size_t)st.st_size) {
		rc = -EAGAIN;			/* changed under us */
		goto out_free;
	}
	*out = buf;
	*outlen = len;
	close(fd);
	return 0;
out_free:
	free(buf);
out_close:
	close(fd);
	return rc;
}

static struct MHD_Response *
embedded_response(const char *name, int *err)
{
	struct MHD_Response *resp;
	size_t i;

	for (i = 0; i < api_web_nfiles; i++) {
		if (strcmp(api_web_files[i].name, name) != 0)
			continue;
		/* The data is static and read-only; MHD only reads it. */
		resp = MHD_create_response_from_buffer(api_web_files[i].len,
		    (void *)(uintptr_t)api_web_files[i].data,
		    MHD_RESPMEM_PERSISTENT);
		if (resp == NULL) {
			*err = -ENOMEM;
			return NULL;
		}
		return add_headers(resp, name, err);
	}
	*err = -ENOENT;
	return NULL;
}

static struct MHD_Response *
dygraphs_response(const char *dir, const char *name, int *err)
{
	struct MHD_Response *resp;
	char *buf;
	size_t i, len;
	int rc;

	for (i = 0; i < NELEM(dygraphs_files); i++)
		if (strcmp(dygraphs_files[i], name) == 0)
			break;
	if (i == NELEM(dygraphs_files)) {
		*err = -ENOENT;
		return NULL;
	}
	if ((rc = read_file(dir != NULL ? dir : API_DEFAULT_DYGRAPHS_DIR,
	    dygraphs_files[i], &buf, &len)) < 0) {
		*err = rc;
		return NULL;
	}
	resp = MHD_create_response_from_buffer_with_free_callback(len, buf,
	    free);				/* MHD owns buf from here on */
	if (resp == NULL) {
		free(buf);
		*err = -ENOMEM;
		return NULL;
	}
	return add_headers(resp, name, err);
}

struct MHD_Response *
api_static_response(const char *dygraphs_dir, const char *name, int *err)
{
	static const char prefix[] = "dygraphs/";

	if (strncmp(name, prefix, sizeof(prefix) - 1) == 0)
		return dygraphs_response(dygraphs_dir,
		    name + sizeof(prefix) - 1, err);
	return embedded_response(name, err);
}

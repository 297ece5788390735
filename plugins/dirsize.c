/*
 * plugins/dirsize.c: an example procwatchd plugin (procwatch/plugin.h)
 * that reports the total size of a directory tree as the host-level
 * series dir_size_bytes{path="..."} and the number of files in it as
 * dir_files{path="..."}.
 *
 * Config: "dir" (required, absolute), "name" (the series name prefix,
 * default "dir"), "max_entries" (stop counting past it; default 100000,
 * then the value is a lower bound and dir_truncated is 1).
 *
 * DESIGN: the walk runs on the sampler thread every cycle, so it is
 * bounded (max_entries, depth 32), uses openat/fstatat relative to
 * directory descriptors and never follows symbolic links.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <procwatch/plugin.h>

#define DEPTH_MAX	32

struct dirsize {
	char		*dir;
	char		 size_name[PW_CUSTOM_NAME_MAX + 1];
	char		 files_name[PW_CUSTOM_NAME_MAX + 1];
	char		 trunc_name[PW_CUSTOM_NAME_MAX + 1];
	unsigned long	 max_entries;
};

struct walk {
	unsigned long long	bytes;
	unsigned long		files;
	unsigned long		entries;
	unsigned long		max;
	int			truncated;
};

static void
walk(int dfd, int depth, struct walk *w)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (++w->entries > w->max) {
			w->truncated = 1;
			break;
		}
		if (fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0)
			continue;	/* removed meanwhile */
		if (S_ISDIR(st.st_mode)) {
			if (depth + 1 >= DEPTH_MAX) {
				w->truncated = 1;
				continue;
			}
			fd = openat(dirfd(d), de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd >= 0)
				walk(fd, depth + 1, w);
		} else if (S_ISREG(st.st_mode)) {
			w->bytes += (unsigned long long)st.st_size;
			w->files++;
		}
	}
	closedir(d);
}

static int
collect(void *arg, const struct pw_collect *c)
{
	struct dirsize *ds = arg;
	struct pw_custom_label l = { "path", ds->dir };
	struct walk w = { 0, 0, 0, ds->max_entries, 0 };
	int fd, rc;

	fd = open(ds->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	walk(fd, 0, &w);
	if ((rc = c->emit(c->emitter, ds->size_name, (double)w.bytes, &l,
	    1)) < 0 ||
	    (rc = c->emit(c->emitter, ds->files_name, (double)w.files, &l,
	    1)) < 0 ||
	    (rc = c->emit(c->emitter, ds->trunc_name, w.truncated, &l, 1)) <
	    0)
		return rc;
	return 0;
}

static int
dirsize_init(struct pw_plugin_host *host, void **state)
{
	const char *dir = host->config_get(host, "dir");
	const char *name = host->config_get(host, "name");
	const char *max = host->config_get(host, "max_entries");
	struct dirsize *ds;
	char *end;
	int rc;

	if (dir == NULL || dir[0] != '/') {
		host->log(host, "config: \"dir\" must be an absolute path");
		return -EINVAL;
	}
	if (name == NULL)
		name = "dir";
	if (strlen(name) > PW_CUSTOM_NAME_MAX - 16) {
		host->log(host, "config: \"name\" is too long");
		return -EINVAL;
	}
	if ((ds = calloc(1, sizeof(*ds))) == NULL)
		return -ENOMEM;
	ds->max_entries = 100000;
	if (max != NULL) {
		ds->max_entries = strtoul(max, &end, 10);
		if (*end != '\0' || ds->max_entries == 0) {
			host->log(host, "config: \"max_entries\" must be a "
			    "positive integer");
			free(ds);
			return -EINVAL;
		}
	}
	snprintf(ds->size_name, sizeof(ds->size_name), "%s_size_bytes", name);
	snprintf(ds->files_name, sizeof(ds->files_name), "%s_files", name);
	snprintf(ds->trunc_name, sizeof(ds->trunc_name), "%s_truncated",
	    name);
	/* Plugins link nothing of libprocwatch: check the name here. */
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_:") != strlen(name) || (name[0] >= '0' &&
	    name[0] <= '9')) {
		host->log(host, "config: \"name\" is not a valid metric name");
		free(ds);
		return -EINVAL;
	}
	if ((ds->dir = strdup(dir)) == NULL) {
		free(ds);
		return -ENOMEM;
	}
	if ((rc = host->add_collector(host, "dirsize", PW_COLLECT_HOST,
	    collect, ds)) < 0) {
		free(ds->dir);
		free(ds);
		return rc;
	}
	*state = ds;
	return 0;
}

static void
dirsize_fini(void *state)
{
	struct dirsize *ds = state;

	if (ds != NULL)
		free(ds->dir);
	free(ds);
}

PW_PLUGIN_DEFINE("dirsize", dirsize_init, dirsize_fini);

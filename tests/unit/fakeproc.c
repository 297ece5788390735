/*
 * tests/unit/fakeproc.c: the fake /proc tree writer of the unit tests
 * (fakeproc.h says what a tree holds and why files are rewritten in
 * place).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/fakeproc.h"

struct fakeproc {
	char	root[64];
};

/* proc(5): stat's letter, status's word for it. */
static const char *
state_name(char state)
{
	switch (state) {
	case 'R':
		return "running";
	case 'S':
		return "sleeping";
	case 'D':
		return "disk sleep";
	case 'T':
		return "stopped";
	case 't':
		return "tracing stop";
	case 'Z':
		return "zombie";
	case 'X':
		return "dead";
	case 'I':
		return "idle";
	default:
		return "unknown";
	}
}

static void
path_of(const struct fakeproc *fp, pid_t pid, const char *file, char *path,
    size_t len)
{
	int n;

	if (pid > 0)
		n = snprintf(path, len, "%s/%d%s%s", fp->root, (int)pid,
		    file != NULL ? "/" : "", file != NULL ? file : "");
	else
		n = snprintf(path, len, "%s/%s", fp->root, file);
	assert_true(n > 0 && (size_t)n < len);
}

static void
make_dir(const char *path)
{
	if (mkdir(path, 0755) < 0)
		assert_int_equal(errno, EEXIST);
}

static void
vput(struct fakeproc *fp, pid_t pid, const char *file, const char *fmt,
    va_list ap)
{
	char path[512];
	FILE *f;

	if (pid > 0) {
		path_of(fp, pid, NULL, path, sizeof(path));
		make_dir(path);
	}
	path_of(fp, pid, file, path, sizeof(path));
	/* "w" truncates the same inode: a descriptor kept open sees it. */
	assert_non_null(f = fopen(path, "w"));
	assert_true(vfprintf(f, fmt, ap) >= 0);
	assert_int_equal(fclose(f), 0);
}

void
fakeproc_put(struct fakeproc *fp, pid_t pid, const char *file,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vput(fp, pid, file, fmt, ap);
	va_end(ap);
}

void
fakeproc_put_bytes(struct fakeproc *fp, pid_t pid, const char *file,
    const void *data, size_t len)
{
	char path[512];
	FILE *f;

	if (pid > 0) {
		path_of(fp, pid, NULL, path, sizeof(path));
		make_dir(path);
	}
	path_of(fp, pid, file, path, sizeof(path));
	assert_non_null(f = fopen(path, "w"));
	if (len > 0)
		assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
rm_rf(const char *path)
{
	assert_int_equal(nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* A directory entry's name as a number, or -1 when it is not one. */
static long
num_name(const char *name)
{
	char *end;
	long v;

	if (name[0] < '0' || name[0] > '9')
		return -1;
	errno = 0;
	v = strtol(name, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return v;
}

struct fakeproc *
fakeproc_new(const struct fakeproc_host *h)
{
	static const struct fakeproc_host defaults = {
		.btime_s = FAKEPROC_BTIME_S,
		.cpu = { 1, 2, 3, 4 },
		.mem_total_kb = FAKEPROC_MEM_TOTAL_KB,
		.mem_free_kb = FAKEPROC_MEM_TOTAL_KB / 2,
		.uptime_s = 1000,
	};
	struct fakeproc *fp;

	if (h == NULL)
		h = &defaults;
	assert_non_null(fp = calloc(1, sizeof(*fp)));
	snprintf(fp->root, sizeof(fp->root), "/tmp/pw_fakeproc_XXXXXX");
	assert_non_null(mkdtemp(fp->root));
	fakeproc_put(fp, 0, "stat",
	    "cpu  %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu\n"
	    "btime %lld\nprocesses %llu\n",
	    (unsigned long long)h->cpu[0], (unsigned long long)h->cpu[1],
	    (unsigned long long)h->cpu[2], (unsigned long long)h->cpu[3],
	    (unsigned long long)h->cpu[4], (unsigned long long)h->cpu[5],
	    (unsigned long long)h->cpu[6], (unsigned long long)h->cpu[7],
	    (unsigned long long)h->cpu[8], (unsigned long long)h->cpu[9],
	    (long long)h->btime_s, (unsigned long long)h->processes);
	if (h->mem_available_kb != 0)
		fakeproc_put(fp, 0, "meminfo", "MemTotal:       %8llu kB\n"
		    "MemFree:        %8llu kB\nMemAvailable:   %8llu kB\n",
		    (unsigned long long)h->mem_total_kb,
		    (unsigned long long)h->mem_free_kb,
		    (unsigned long long)h->mem_available_kb);
	else
		fakeproc_put(fp, 0, "meminfo", "MemTotal:       %8llu kB\n"
		    "MemFree:        %8llu kB\n",
		    (unsigned long long)h->mem_total_kb,
		    (unsigned long long)h->mem_free_kb);
	fakeproc_put(fp, 0, "uptime", "%llu.00 %llu.00\n",
	    (unsigned long long)h->uptime_s, (unsigned long long)h->uptime_s);
	return fp;
}

void
fakeproc_free(struct fakeproc *fp)
{
	if (fp == NULL)
		return;
	rm_rf(fp->root);
	free(fp);
}

const char *
fakeproc_root(const struct fakeproc *fp)
{
	return fp->root;
}

static unsigned
nthreads(const struct fakeproc_proc *p)
{
	unsigned i, n = 0;

	if (p->threads != 0)
		return p->threads;
	for (i = 0; i < FAKEPROC_THREADS && p->t[i].tid != 0; i++)
		n++;
	return n != 0 ? n : 1;
}

static char
state_of(const struct fakeproc_proc *p)
{
	return p->state != 0 ? p->state : 'S';
}

/* proc(5) stat of the process (id pid) or of one of its threads. */
static void
put_stat(struct fakeproc *fp, const struct fakeproc_proc *p, const char *file,
    pid_t id, const char *comm, uint64_t utime, uint64_t stime)
{
	fakeproc_put(fp, p->pid, file,
	    "%d (%s) %c %d %d %d 0 -1 4194304 %llu 0 %llu 0 %llu %llu %llu "
	    "%llu 20 0 %u 0 %llu %llu %llu 18446744073709551615 1 1 0 0 0 0 "
	    "0 0 0 0 0 0 17 1 0 0 %llu 0 0 0 0 0 0 0 0 0 0\n",
	    (int)id, comm, state_of(p), (int)p->ppid, (int)p->pid,
	    (int)p->pid, (unsigned long long)p->minflt,
	    (unsigned long long)p->majflt, (unsigned long long)utime,
	    (unsigned long long)stime, (unsigned long long)p->cutime,
	    (unsigned long long)p->cstime, nthreads(p),
	    (unsigned long long)p->starttime,
	    (unsigned long long)p->vms_kb * 1024,
	    (unsigned long long)p->rss_kb / 4,
	    (unsigned long long)p->blkio_ticks);
}

/* fd/0 .. fd/nfds-1, and no other. */
static void
put_fds(struct fakeproc *fp, const struct fakeproc_proc *p)
{
	char dir[512], path[600];
	struct dirent *de;
	unsigned i;
	long n;
	DIR *d;

	path_of(fp, p->pid, "fd", dir, sizeof(dir));
	make_dir(dir);
	for (i = 0; i < p->nfds; i++) {
		snprintf(path, sizeof(path), "fd/%u", i);
		fakeproc_put_bytes(fp, p->pid, path, NULL, 0);
	}
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if ((n = num_name(de->d_name)) < 0 || n < (long)p->nfds)
			continue;
		assert_int_equal(unlinkat(dirfd(d), de->d_name, 0), 0);
	}
	closedir(d);
}

static bool
has_thread(const struct fakeproc_proc *p, long tid)
{
	unsigned i;

	if (p->t[0].tid == 0)
		return tid == p->pid;
	for (i = 0; i < FAKEPROC_THREADS && p->t[i].tid != 0; i++)
		if (p->t[i].tid == tid)
			return true;
	return false;
}

/* task/<tid>/stat of each thread; threads no longer listed go. */
static void
put_tasks(struct fakeproc *fp, const struct fakeproc_proc *p)
{
	const struct fakeproc_thread *t;
	char dir[512], path[600];
	struct fakeproc_thread main_thread = { p->pid, p->comm, p->utime,
	    p->stime };
	struct dirent *de;
	unsigned i;
	long n;
	DIR *d;

	path_of(fp, p->pid, "task", dir, sizeof(dir));
	make_dir(dir);
	for (i = 0; i < FAKEPROC_THREADS; i++) {
		t = p->t[0].tid == 0 ? &main_thread : &p->t[i];
		if (t->tid == 0)
			break;
		snprintf(path, sizeof(path), "%s/%d", dir, (int)t->tid);
		make_dir(path);
		snprintf(path, sizeof(path), "task/%d/stat", (int)t->tid);
		put_stat(fp, p, path, t->tid, t->comm, t->utime, t->stime);
		if (t == &main_thread)
			break;
	}
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if ((n = num_name(de->d_name)) < 0 || has_thread(p, n))
			continue;
		snprintf(path, sizeof(path), "%s/%ld", dir, n);
		rm_rf(path);
	}
	closedir(d);
}

void
fakeproc_update(struct fakeproc *fp, const struct fakeproc_proc *p)
{
	char path[512];
	struct stat sb;

	path_of(fp, p->pid, NULL, path, sizeof(path));
	assert_int_equal(stat(path, &sb), 0);	/* added before */
	put_stat(fp, p, "stat", p->pid, p->comm, p->utime, p->stime);
	fakeproc_put(fp, p->pid, "status",
	    "Name:\t%s\nState:\t%c (%s)\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\n"
	    "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n"
	    "VmSize:\t%llu kB\nVmRSS:\t%llu kB\nVmSwap:\t%llu kB\n"
	    "Threads:\t%u\nvoluntary_ctxt_switches:\t%llu\n"
	    "nonvoluntary_ctxt_switches:\t%llu\n",
	    p->comm, state_of(p), state_name(state_of(p)), (int)p->pid,
	    (int)p->pid, (int)p->ppid,
	    (unsigned)p->uid, (unsigned)p->uid, (unsigned)p->uid,
	    (unsigned)p->uid, (unsigned)p->uid, (unsigned)p->uid,
	    (unsigned)p->uid, (unsigned)p->uid,
	    (unsigned long long)p->vms_kb, (unsigned long long)p->rss_kb,
	    (unsigned long long)p->swap_kb, nthreads(p),
	    (unsigned long long)p->vol, (unsigned long long)p->invol);
	/* statm in 4 KiB pages: size resident shared text lib data dt. */
	fakeproc_put(fp, p->pid, "statm", "%llu %llu 0 0 0 0 0\n",
	    (unsigned long long)p->vms_kb / 4,
	    (unsigned long long)p->rss_kb / 4);
	if (p->has_io)
		fakeproc_put(fp, p->pid, "io", "rchar: %llu\nwchar: %llu\n"
		    "syscr: 10\nsyscw: 10\nread_bytes: %llu\n"
		    "write_bytes: %llu\ncancelled_write_bytes: 0\n",
		    (unsigned long long)p->read_bytes,
		    (unsigned long long)p->write_bytes,
		    (unsigned long long)p->read_bytes,
		    (unsigned long long)p->write_bytes);
	if (p->has_schedstat)
		fakeproc_put(fp, p->pid, "schedstat", "%llu %llu %llu\n",
		    (unsigned long long)p->run_ns,
		    (unsigned long long)p->run_delay_ns,
		    (unsigned long long)p->slices);
	put_fds(fp, p);
	put_tasks(fp, p);
}

void
fakeproc_add(struct fakeproc *fp, const struct fakeproc_proc *p)
{
	char path[512];
	const char *c;
	FILE *f;

	path_of(fp, p->pid, NULL, path, sizeof(path));
	make_dir(path);
	fakeproc_update(fp, p);
	if (p->nofile == FAKEPROC_UNLIMITED)
		fakeproc_put(fp, p->pid, "limits", "Limit                     "
		    "Soft Limit           Hard Limit           Units     \n"
		    "Max open files            unlimited            unlimited"
		    "            files     \n");
	else if (p->nofile != 0)
		fakeproc_put(fp, p->pid, "limits", "Limit                     "
		    "Soft Limit           Hard Limit           Units     \n"
		    "Max open files            %-20u %-20u files     \n",
		    p->nofile, p->nofile * 4);
	if (p->cgroup != NULL)
		fakeproc_put(fp, p->pid, "cgroup", "0::%s\n", p->cgroup);
	path_of(fp, p->pid, "cmdline", path, sizeof(path));
	assert_non_null(f = fopen(path, "w"));
	/* Arguments are NUL-separated in /proc/PID/cmdline. */
	c = p->cmdline != NULL ? p->cmdline : "";
	for (; *c != '\0'; c++)
		fputc(*c == ' ' ? '\0' : *c, f);
	if (p->cmdline != NULL && p->cmdline[0] != '\0')
		fputc('\0', f);
	assert_int_equal(fclose(f), 0);
}

void
fakeproc_remove(struct fakeproc *fp, pid_t pid)
{
	char path[512];

	path_of(fp, pid, NULL, path, sizeof(path));
	rm_rf(path);
}

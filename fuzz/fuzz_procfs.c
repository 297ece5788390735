/*
 * fuzz_procfs.c: libFuzzer harness for the /proc parsers.  Each parser
 * gets the raw bytes (not NUL-terminated: the harness copies them into an
 * exactly sized buffer so ASan sees any read past the end).  The cgroup
 * path found is also run through pw_cgroup_unit() and pw_cgroup_has_unit().
 * The cgroup figures' parsers (procwatch/psi.h: pressure files,
 * memory.events / memory.oom_control / vmstat lines, /proc/self/mounts)
 * get the same bytes; what they return must be in range.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/cgroup.h>
#include <procwatch/procfs.h>
#include <procwatch/psi.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw_procstat st;
	struct pw_procstatus ss;
	struct pw_procio io;
	struct pw_psi psi;
	struct pw_cgfs fs;
	char unit[PW_UNIT_NAME_MAX], *path;
	const char *cg;
	size_t cglen;
	uint64_t u;
	int64_t i;
	char *b = malloc(size ? size : 1);

	if (b == NULL)
		return 0;
	memcpy(b, data, size);
	if (pw_procfs_parse_stat(b, size, &st) == 0 && strlen(st.comm) > 16)
		abort();
	(void)pw_procfs_parse_status(b, size, &ss);
	(void)pw_procfs_parse_io(b, size, &io);
	(void)pw_procfs_parse_limits_nofile(b, size, &u);
	(void)pw_procfs_parse_meminfo_total(b, size, &u);
	(void)pw_procfs_parse_btime(b, size, &i);
	/* avg10 is a share: at most 100.00 %. */
	if (pw_psi_parse(b, size, &psi) == 0 && (!psi.has_some ||
	    psi.some_avg10_x100 > 10000 || psi.full_avg10_x100 > 10000))
		abort();
	(void)pw_kv_find(b, size, "oom_kill", &u);
	(void)pw_kv_find(b, size, "under_oom", &u);
	/* Mount points are absolute, NUL-terminated within their arrays. */
	if (pw_cgfs_parse_mounts(b, size, &fs) == 0 &&
	    ((fs.v2[0] != '\0' && fs.v2[0] != '/') ||
	    (fs.mem_v1[0] != '\0' && fs.mem_v1[0] != '/') ||
	    memchr(fs.v2, '\0', sizeof(fs.v2)) == NULL ||
	    memchr(fs.mem_v1, '\0', sizeof(fs.mem_v1)) == NULL))
		abort();
	/* A cgroup path lies inside the buffer, is absolute and one line. */
	if (pw_cgroup_parse(b, size, &cg, &cglen) == 0) {
		if (cg < b || cg + cglen > b + size || cglen == 0 ||
		    cg[0] != '/' || cglen >= PW_CGROUP_PATH_MAX ||
		    memchr(cg, '\n', cglen) != NULL)
			abort();
		/* Its unit, if any, is a component the unit selector finds. */
		if ((path = strndup(cg, cglen)) != NULL &&
		    pw_cgroup_unit(path, unit, sizeof(unit)) &&
		    (strlen(unit) >= PW_UNIT_NAME_MAX ||
		    !pw_cgroup_has_unit(path, unit)))
			abort();
		free(path);
	}
	free(b);
	return 0;
}

/*
 * source_impl.h: what an implementation of struct pw_source provides
 * (procwatch/source.h).  Private to lib/.
 *
 * Each implementation embeds struct pw_source as its first member and casts
 * back in its callbacks; pw_source_describe(), pw_source_free() and
 * pw_source_name() in lib/source.c dispatch through it.
 */
#ifndef PW_SOURCE_IMPL_H
#define PW_SOURCE_IMPL_H

#include <stddef.h>
#include <sys/types.h>

#include <procwatch/source.h>

struct pw_source {
	const char	*name;
	/*
	 * Fill out[0..n-1] as pw_source_describe() documents: every entry
	 * is written (pid 0 when the process was gone).  Returns how many
	 * were found (pid != 0), or a negative errno after releasing any
	 * entries it had filled.
	 */
	int		(*describe)(struct pw_source *, const pid_t *, size_t,
			    struct pw_procinfo *);
	void		(*free)(struct pw_source *);
};

#endif

/*
 * fuzz_events.c: libFuzzer harness for the netlink parsers of the events
 * feed: the process connector's messages (pw_event_parse()) and
 * taskstats' (pw_taskstats_parse()).  The bytes go into an exactly sized
 * buffer so ASan sees any read past the end.  The taskstats family id is
 * taken from the message's own type, so inputs reach the attribute walk.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <procwatch/events.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw_taskstats_rec rec;
	struct pw_event ev;
	uint16_t family = 0;
	char *b = malloc(size ? size : 1);

	if (b == NULL)
		return 0;
	memcpy(b, data, size);
	(void)pw_event_parse(b, size, &ev);
	if (size >= 6)
		memcpy(&family, b + 4, sizeof(family));	/* nlmsg_type */
	if (pw_taskstats_parse(b, size, family, &rec) == 1 &&
	    (rec.pid <= 0 || rec.tgid <= 0 || strlen(rec.comm) > 16))
		abort();
	free(b);
	return 0;
}

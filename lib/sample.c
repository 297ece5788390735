/*
 * sample.c: small helpers for struct pw_sample and process states.
 */
#include <stdint.h>

#include <procwatch/sample.h>
#include <procwatch/store.h>

char
pw_state_char(enum pw_state st)
{
	switch (st) {
	case PW_STATE_RUNNING:
		return 'R';
	case PW_STATE_SLEEPING:
		return 'S';
	case PW_STATE_DISK:
		return 'D';
	case PW_STATE_ZOMBIE:
		return 'Z';
	case PW_STATE_STOPPED:
		return 'T';
	case PW_STATE_TRACED:
		return 't';
	case PW_STATE_DEAD:
		return 'X';
	case PW_STATE_IDLE:
		return 'I';
	case PW_STATE_PARKED:
		return 'P';
	case PW_STATE_WAKEKILL:
		return 'K';
	case PW_STATE_UNKNOWN:
		break;
	}
	return '?';
}

enum pw_state
pw_state_from_char(char c)
{
	/* proc(5); W, K, x and P only appear on some kernel versions. */
	switch (c) {
	case 'R':
		return PW_STATE_RUNNING;
	case 'S':
		return PW_STATE_SLEEPING;
	case 'D':
		return PW_STATE_DISK;
	case 'Z':
		return PW_STATE_ZOMBIE;
	case 'T':
		return PW_STATE_STOPPED;
	case 't':
		return PW_STATE_TRACED;
	case 'X':
		return PW_STATE_DEAD;
	case 'I':
		return PW_STATE_IDLE;
	case 'P':
		return PW_STATE_PARKED;
	case 'K':
	case 'W':
	case 'x':
		return PW_STATE_WAKEKILL;
	default:
		return PW_STATE_UNKNOWN;
	}
}

double
pw_sample_memory_pct(const struct pw_sample *s, uint64_t mem_total)
{
	if (mem_total == 0)
		return 0.0;
	return (double)s->rss_bytes * 100.0 / (double)mem_total;
}

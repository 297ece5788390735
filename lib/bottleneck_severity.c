/*
 * bottleneck_severity.c: the names of bottleneck types and severities,
 * and the severity bands of each type (procwatch/bottleneck.h).
 *
 * DESIGN: every band is a pure function of absolute figures (a share of
 * capacity or of a limit, a delay percentage, a time to a limit), kept
 * apart from the ranking so the thresholds are read and tested in one
 * place and no entry builder picks its own.
 */
#include <procwatch/bottleneck.h>

const char *
pw_bn_type_name(enum pw_bn_type t)
{
	switch (t) {
	case PW_BN_CPU:
		return "cpu";
	case PW_BN_MEMORY:
		return "memory";
	case PW_BN_FDS:
		return "fds";
	case PW_BN_CHURN:
		return "churn";
	case PW_BN_CPU_STARVED:
		return "cpu_starved";
	case PW_BN_IO_BLOCKED:
		return "io_blocked";
	case PW_BN_MEMORY_STALL:
		return "memory_stall";
	case PW_BN_OOM:
		return "oom";
	default:
		return "leak";
	}
}

const char *
pw_severity_name(enum pw_severity s)
{
	switch (s) {
	case PW_SEV_CRITICAL:
		return "critical";
	case PW_SEV_HIGH:
		return "high";
	case PW_SEV_MEDIUM:
		return "medium";
	default:
		return "low";
	}
}

enum pw_severity
pw_bn_cpu_severity(double cores, double capacity)
{
	double share = capacity > 0 ? cores / capacity : 0;

	if (share >= 0.75)
		return PW_SEV_CRITICAL;
	if (share >= 0.5)
		return PW_SEV_HIGH;
	/* Half a core is worth a look on any host, however large. */
	if (share >= 0.25 || cores >= 0.5)
		return PW_SEV_MEDIUM;
	return PW_SEV_LOW;
}

enum pw_severity
pw_bn_memory_severity(double share)
{
	if (share >= 0.9)
		return PW_SEV_CRITICAL;
	if (share >= 0.75)
		return PW_SEV_HIGH;
	if (share >= 0.5)
		return PW_SEV_MEDIUM;
	return PW_SEV_LOW;
}

enum pw_severity
pw_bn_cpu_delay_severity(double pct)
{
	if (pct >= 80)
		return PW_SEV_CRITICAL;
	if (pct >= 50)
		return PW_SEV_HIGH;
	if (pct >= 20)
		return PW_SEV_MEDIUM;
	return PW_SEV_LOW;
}

enum pw_severity
pw_bn_io_delay_severity(double pct)
{
	if (pct >= 90)
		return PW_SEV_CRITICAL;
	if (pct >= 60)
		return PW_SEV_HIGH;
	if (pct >= 30)
		return PW_SEV_MEDIUM;
	return PW_SEV_LOW;
}

enum pw_severity
pw_bn_mem_stall_severity(double some_pct, double full_pct)
{
	enum pw_severity s = PW_SEV_LOW;

	if (some_pct >= 50)
		s = PW_SEV_CRITICAL;
	else if (some_pct >= 25)
		s = PW_SEV_HIGH;
	else if (some_pct >= 10)
		s = PW_SEV_MEDIUM;
	/* "full": every task of the group stalled at once. */
	if (full_pct >= 10 && s < PW_SEV_HIGH)
		s = PW_SEV_HIGH;
	return s;
}

enum pw_severity
pw_bn_growth_severity(double time_left_s, double rel_per_min)
{
	if (time_left_s >= 0) {
		if (time_left_s <= 600)
			return PW_SEV_CRITICAL;
		if (time_left_s <= 3600)
			return PW_SEV_HIGH;
		if (time_left_s <= 86400)
			return PW_SEV_MEDIUM;
		return PW_SEV_LOW;
	}
	if (rel_per_min >= 0.10)
		return PW_SEV_HIGH;
	if (rel_per_min >= 0.01)
		return PW_SEV_MEDIUM;
	return PW_SEV_LOW;
}

enum pw_severity
pw_bn_fd_usage_severity(double usage)
{
	if (usage >= 0.9)
		return PW_SEV_CRITICAL;
	if (usage >= 0.75)
		return PW_SEV_HIGH;
	if (usage >= PW_BN_MIN_FD_USAGE)
		return PW_SEV_MEDIUM;
	return PW_SEV_LOW;
}

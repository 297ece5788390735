/*
 * events_parse.c: the wire formats of the events feed (procwatch/events.h):
 * a process connector message into a struct pw_event, a taskstats
 * generic netlink message into a struct pw_taskstats_rec, and the words
 * for an exit.  Pure: bounded by the length given, never trusting a
 * length field, and unit-tested and fuzzed (fuzz/fuzz_events.c).
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <procwatch/events.h>

const char *
pw_event_type_name(enum pw_event_type t)
{
	switch (t) {
	case PW_EV_FORK:
		return "fork";
	case PW_EV_EXEC:
		return "exec";
	case PW_EV_COMM:
		return "comm";
	default:
		return "exit";
	}
}

int
pw_event_parse(const void *buf, size_t len, struct pw_event *ev)
{
	const struct nlmsghdr *nh = buf;
	const struct cn_msg *cn;
	struct proc_event pev, *pe = &pev;
	unsigned st;

	memset(ev, 0, sizeof(*ev));
	ev->lifetime_s = -1;
	if (len < NLMSG_HDRLEN || nh->nlmsg_len < NLMSG_HDRLEN ||
	    nh->nlmsg_len > len)
		return -EINVAL;
	if (nh->nlmsg_type != NLMSG_DONE)
		return 0;
	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*cn)))
		return -EINVAL;
	cn = NLMSG_DATA(nh);
	if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC)
		return 0;
	if (cn->len < sizeof(*pe) || NLMSG_LENGTH(sizeof(*cn) + cn->len) >
	    nh->nlmsg_len)
		return cn->len == 0 ? 0 : -EINVAL;
	/* cn->data is only 4-byte aligned: copy it out. */
	memcpy(&pev, cn->data, sizeof(pev));
	ev->mono_ns = pe->timestamp_ns;	/* ktime_get_ns(): monotonic */
	switch (pe->what) {
	case PROC_EVENT_FORK:
		if (pe->event_data.fork.child_pid !=
		    pe->event_data.fork.child_tgid)
			return 0;		/* a thread */
		ev->type = PW_EV_FORK;
		ev->pid = pe->event_data.fork.child_tgid;
		ev->ppid = pe->event_data.fork.parent_tgid;
		return 1;
	case PROC_EVENT_EXEC:
		ev->type = PW_EV_EXEC;
		ev->pid = pe->event_data.exec.process_tgid;
		return 1;
	case PROC_EVENT_COMM:
		if (pe->event_data.comm.process_pid !=
		    pe->event_data.comm.process_tgid)
			return 0;		/* a thread's name */
		ev->type = PW_EV_COMM;
		ev->pid = pe->event_data.comm.process_tgid;
		memcpy(ev->comm, pe->event_data.comm.comm,
		    sizeof(pe->event_data.comm.comm));
		ev->comm[sizeof(pe->event_data.comm.comm)] = '\0';
		return 1;
	case PROC_EVENT_EXIT:
		if (pe->event_data.exit.process_pid !=
		    pe->event_data.exit.process_tgid)
			return 0;		/* a thread */
		ev->type = PW_EV_EXIT;
		ev->pid = pe->event_data.exit.process_tgid;
		ev->ppid = pe->event_data.exit.parent_tgid;
		/* exit_code is the wait status: code << 8, or the signal. */
		st = pe->event_data.exit.exit_code;
		if (WIFSIGNALED(st)) {
			ev->signal = WTERMSIG(st);
			ev->core_dumped = WCOREDUMP(st) != 0;
		} else
			ev->exit_code = WEXITSTATUS(st);
		return 1;
	default:
		return 0;
	}
}

const char *
pw_signal_name(int sig, char *buf, size_t len)
{
	const char *s = sigabbrev_np(sig);

	if (s == NULL)
		snprintf(buf, len, "signal %d", sig);
	else
		snprintf(buf, len, "SIG%s", s);
	return buf;
}

const char *
pw_event_exit_describe(const struct pw_event *ev, char *buf, size_t len)
{
	char sn[32];

	if (ev->signal == 0)
		snprintf(buf, len, "exited with code %d", ev->exit_code);
	else if (ev->core_dumped)
		snprintf(buf, len, "killed by %s (core dumped)",
		    pw_signal_name(ev->signal, sn, sizeof(sn)));
	else
		snprintf(buf, len, "exited with %s",
		    pw_signal_name(ev->signal, sn, sizeof(sn)));
	return buf;
}

/* --- taskstats (pure) --------------------------------------------------------- */

/* The fields we need end with ac_stime; ac_tgid came later (version 8+). */
#define TS_MIN_LEN	(offsetof(struct taskstats, ac_stime) + \
	sizeof(((struct taskstats *)0)->ac_stime))
#define TS_TGID_END	(offsetof(struct taskstats, ac_tgid) + \
	sizeof(((struct taskstats *)0)->ac_tgid))

/*
 * The next attribute of a run of `left` bytes at a, or NULL at its end;
 * *bad is set when an attribute's length does not fit.
 */
static const struct nlattr *
attr_next(const unsigned char *a, size_t left, bool *bad)
{
	const struct nlattr *na = (const void *)a;
	struct nlattr h;

	if (left < NLA_HDRLEN)
		return NULL;			/* trailing padding at most */
	memcpy(&h, a, sizeof(h));
	if (h.nla_len < NLA_HDRLEN || h.nla_len > left) {
		*bad = true;
		return NULL;
	}
	return na;
}

/* One nested TASKSTATS_TYPE_AGGR_PID: 1, or -EINVAL. */
static int
parse_aggr_pid(const unsigned char *a, size_t left,
    struct pw_taskstats_rec *rec)
{
	struct taskstats ts;
	struct nlattr h;
	uint32_t pid = 0;
	size_t plen, step;
	bool bad = false, has_pid = false, has_stats = false;

	memset(&ts, 0, sizeof(ts));
	while (attr_next(a, left, &bad) != NULL) {
		memcpy(&h, a, sizeof(h));
		plen = h.nla_len - NLA_HDRLEN;
		switch (h.nla_type & NLA_TYPE_MASK) {
		case TASKSTATS_TYPE_PID:
			if (plen < sizeof(pid))
				return -EINVAL;
			memcpy(&pid, a + NLA_HDRLEN, sizeof(pid));
			has_pid = true;
			break;
		case TASKSTATS_TYPE_STATS:
			/* Older kernels send less, newer ones more. */
			if (plen < TS_MIN_LEN)
				return -EINVAL;
			memcpy(&ts, a + NLA_HDRLEN, plen < sizeof(ts) ? plen :
			    sizeof(ts));
			if (plen < TS_TGID_END)
				ts.ac_tgid = 0;
			has_stats = true;
			break;
		default:
			break;			/* TASKSTATS_TYPE_NULL padding */
		}
		step = NLA_ALIGN(h.nla_len);
		if (step >= left)
			break;
		a += step;
		left -= step;
	}
	if (!has_pid)
		pid = ts.ac_pid;
	if (bad || !has_stats || pid == 0 || pid > INT32_MAX ||
	    ts.ac_tgid > INT32_MAX)
		return -EINVAL;
	memset(rec, 0, sizeof(*rec));
	rec->pid = (pid_t)pid;
	rec->tgid = ts.ac_tgid != 0 ? (pid_t)ts.ac_tgid : rec->pid;
	rec->utime_us = ts.ac_utime;
	rec->stime_us = ts.ac_stime;
	rec->exit_status = ts.ac_exitcode;
	memcpy(rec->comm, ts.ac_comm, sizeof(rec->comm) - 1);
	rec->comm[sizeof(rec->comm) - 1] = '\0';
	return 1;
}

int
pw_taskstats_parse(const void *buf, size_t len, uint16_t family,
    struct pw_taskstats_rec *rec)
{
	const unsigned char *a;
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	struct nlattr h;
	size_t left, step;
	bool bad = false;
	int rc = 0;

	if (len < NLMSG_HDRLEN)
		return -EINVAL;
	memcpy(&nh, buf, sizeof(nh));
	if (nh.nlmsg_len < NLMSG_HDRLEN || nh.nlmsg_len > len)
		return -EINVAL;
	if (nh.nlmsg_type != family || family < NLMSG_MIN_TYPE)
		return 0;			/* an ack, an error, another */
	if (nh.nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return -EINVAL;
	a = (const unsigned char *)buf + NLMSG_HDRLEN;
	memcpy(&gh, a, sizeof(gh));
	if (gh.cmd != TASKSTATS_CMD_NEW)
		return 0;
	a += GENL_HDRLEN;
	left = nh.nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	while (rc == 0 && attr_next(a, left, &bad) != NULL) {
		memcpy(&h, a, sizeof(h));
		/* AGGR_TGID comes with the last thread of a multi-threaded
		 * process; it sums delays only, not CPU times: skipped. */
		if ((h.nla_type & NLA_TYPE_MASK) == TASKSTATS_TYPE_AGGR_PID)
			rc = parse_aggr_pid(a + NLA_HDRLEN, h.nla_len -
			    NLA_HDRLEN, rec);
		step = NLA_ALIGN(h.nla_len);
		if (step >= left)
			break;
		a += step;
		left -= step;
	}
	return bad ? -EINVAL : rc;
}

/*
 * delay.c: per-process delays by TGID from taskstats (generic netlink),
 * and the kernel.task_delayacct switch (procwatch/delay.h).
 *
 * DESIGN: a query is one request and one answer on a socket of its own
 * (not the events feed's, which a thread polls).  The kernel answers from
 * within the request's send(), so the answer is queued when it returns:
 * recv() does not wait (MSG_DONTWAIT), and a missing answer is an error
 * (-EAGAIN) for that sample, never a stalled cycle.  A query costs 1.2 us
 * of CPU in a tight loop and about 3 us between the sampler's other reads
 * (bench/RESULTS.md), against 6.3 us for reading every
 * /proc/PID/task/TID/schedstat of a process (listing task/ dominates: the
 * processes measured had 1.1 threads on average), which also loses the
 * exited threads' delays.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <procwatch/delay.h>
#include <procwatch/sample.h>

#include "procfs_impl.h"

struct pw_taskstats {
	int		fd;
	uint16_t	family;
	uint32_t	seq;
};

/* An attribute's payload and length; NULL when it overruns `end`. */
static const struct nlattr *
attr_next(const unsigned char *p, const unsigned char *end)
{
	const struct nlattr *na = (const struct nlattr *)(const void *)p;

	if (end - p < (ptrdiff_t)NLA_HDRLEN || na->nla_len < NLA_HDRLEN ||
	    na->nla_len > end - p)
		return NULL;
	return na;
}

/* Send one request with one attribute of `alen` bytes; 0 or -errno. */
static int
genl_request(struct pw_taskstats *t, uint16_t type, uint8_t cmd,
    uint16_t attr, const void *data, size_t alen)
{
	struct {
		struct nlmsghdr		nh;
		struct genlmsghdr	gh;
		unsigned char		a[NLA_HDRLEN + 64];
	} req;
	struct nlattr na;

	if (alen > sizeof(req.a) - NLA_HDRLEN)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	na.nla_len = (uint16_t)(NLA_HDRLEN + alen);
	na.nla_type = attr;
	memcpy(req.a, &na, sizeof(na));
	memcpy(req.a + NLA_HDRLEN, data, alen);
	req.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN + NLA_ALIGN(na.nla_len));
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = ++t->seq;
	req.gh.cmd = cmd;
	req.gh.version = type == GENL_ID_CTRL ? 1 : TASKSTATS_GENL_VERSION;
	if (send(t->fd, &req, req.nh.nlmsg_len, 0) < 0)
		return -errno;
	return 0;
}

/* The answer to the last request: its length, or -errno. */
static ssize_t
genl_answer(struct pw_taskstats *t, void *buf, size_t size)
{
	const struct nlmsghdr *nh = buf;
	ssize_t n;

	for (;;) {
		if ((n = recv(t->fd, buf, size, MSG_DONTWAIT)) < 0)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		if ((size_t)n < sizeof(*nh) || nh->nlmsg_len > (size_t)n)
			return -EINVAL;
		if (nh->nlmsg_seq == t->seq)
			return n;
		/* An answer to an earlier request that timed out: skip. */
	}
}

static void
say(char *reason, size_t len, const char *what, int err, const char *hint)
{
	if (reason != NULL && len > 0)
		snprintf(reason, len, "taskstats %s: %s%s", what,
		    strerror(err), hint);
}

struct pw_taskstats *
pw_taskstats_open(int *err, char *reason, size_t len)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	unsigned char buf[1024];
	const unsigned char *p, *end;
	const struct nlattr *na;
	struct pw_taskstats *t;
	const struct nlmsghdr *nh = (const void *)buf;
	pid_t self = getpid();
	struct pw_delays d;
	ssize_t n;
	int rc;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	if ((t->fd = socket(PF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_GENERIC)) < 0) {
		rc = -errno;
		say(reason, len, "socket", -rc, "");
		goto out_free;
	}
	if (bind(t->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		say(reason, len, "bind", -rc, "");
		goto out_close;
	}
	if ((rc = genl_request(t, GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
	    CTRL_ATTR_FAMILY_NAME, TASKSTATS_GENL_NAME,
	    sizeof(TASKSTATS_GENL_NAME))) == 0 &&
	    (n = genl_answer(t, buf, sizeof(buf))) < 0)
		rc = (int)n;
	if (rc < 0) {
		say(reason, len, "family", -rc, "");
		goto out_close;
	}
	if (nh->nlmsg_type == NLMSG_ERROR) {
		rc = -ENOENT;
		say(reason, len, "family", ENOENT,
		    " (the kernel lacks CONFIG_TASKSTATS)");
		goto out_close;
	}
	p = buf + NLMSG_LENGTH(GENL_HDRLEN);
	end = buf + nh->nlmsg_len;
	while (p < end && (na = attr_next(p, end)) != NULL) {
		if (na->nla_type == CTRL_ATTR_FAMILY_ID &&
		    na->nla_len >= NLA_HDRLEN + sizeof(uint16_t))
			memcpy(&t->family, p + NLA_HDRLEN, sizeof(uint16_t));
		p += NLA_ALIGN(na->nla_len);
	}
	if (t->family == 0) {
		rc = -ENOENT;
		say(reason, len, "family", ENOENT,
		    " (the kernel lacks CONFIG_TASKSTATS)");
		goto out_close;
	}
	/* Ask about ourselves: the kernel checks CAP_NET_ADMIN per query. */
	if ((rc = pw_taskstats_query(t, self, &d)) < 0) {
		say(reason, len, "query", -rc, rc == -EPERM ||
		    rc == -EACCES ? " (taskstats needs CAP_NET_ADMIN)" :
		    rc == -ESRCH || rc == -EINVAL ? " (outside the initial "
		    "pid namespace?)" : "");
		goto out_close;
	}
	return t;
out_close:
	close(t->fd);
out_free:
	free(t);
	*err = rc;
	return NULL;
}

void
pw_taskstats_close(struct pw_taskstats *t)
{
	if (t == NULL)
		return;
	close(t->fd);
	free(t);
}

int
pw_taskstats_query(void *arg, pid_t tgid, struct pw_delays *out)
{
	struct pw_taskstats *t = arg;
	/* A struct taskstats (~420 bytes) and its attributes. */
	unsigned char buf[1024] __attribute__((aligned(8)));
	uint32_t id = (uint32_t)tgid;
	ssize_t n;
	int rc;

	if (tgid <= 0)
		return -EINVAL;
	if ((rc = genl_request(t, t->family, TASKSTATS_CMD_GET,
	    TASKSTATS_CMD_ATTR_TGID, &id, sizeof(id))) < 0)
		return rc;
	if ((n = genl_answer(t, buf, sizeof(buf))) < 0)
		return (int)n;
	return pw_taskstats_parse_delays(buf, (size_t)n, tgid, out);
}

int
pw_taskstats_parse_delays(const void *buf, size_t len, pid_t tgid,
    struct pw_delays *out)
{
	const unsigned char *b = buf, *p, *end, *q, *qend;
	const struct nlattr *na, *nb;
	struct nlmsghdr nh;
	struct nlmsgerr ne;
	struct taskstats ts;
	uint32_t id;
	size_t n;
	bool id_ok = false;

	if (len < sizeof(nh))
		return -EINVAL;
	memcpy(&nh, b, sizeof(nh));
	if (nh.nlmsg_len > len || nh.nlmsg_len < sizeof(nh))
		return -EINVAL;
	if (nh.nlmsg_type == NLMSG_ERROR) {
		if (nh.nlmsg_len < NLMSG_LENGTH(sizeof(ne)))
			return -EINVAL;
		memcpy(&ne, NLMSG_DATA(b), sizeof(ne));
		return ne.error < 0 ? ne.error : -EINVAL;
	}
	if (nh.nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
		return -EINVAL;
	p = b + NLMSG_LENGTH(GENL_HDRLEN);
	end = b + nh.nlmsg_len;
	/* TASKSTATS_TYPE_AGGR_TGID { TYPE_TGID, TYPE_STATS } */
	for (; p < end && (na = attr_next(p, end)) != NULL;
	    p += NLA_ALIGN(na->nla_len)) {
		if (na->nla_type != TASKSTATS_TYPE_AGGR_TGID)
			continue;
		q = p + NLA_HDRLEN;
		qend = p + na->nla_len;
		for (; q < qend && (nb = attr_next(q, qend)) != NULL;
		    q += NLA_ALIGN(nb->nla_len)) {
			n = nb->nla_len - NLA_HDRLEN;
			if (nb->nla_type == TASKSTATS_TYPE_TGID &&
			    n >= sizeof(id)) {
				memcpy(&id, q + NLA_HDRLEN, sizeof(id));
				id_ok = id == (uint32_t)tgid;
			} else if (nb->nla_type == TASKSTATS_TYPE_STATS &&
			    id_ok) {
				/* Older kernels send a shorter struct. */
				memset(&ts, 0, sizeof(ts));
				memcpy(&ts, q + NLA_HDRLEN,
				    n < sizeof(ts) ? n : sizeof(ts));
				if (n < offsetof(struct taskstats,
				    compact_delay_total) + sizeof(uint64_t))
					ts.compact_delay_total = 0;
				out->cpu_ns = ts.cpu_delay_total;
				out->blkio_ns = ts.blkio_delay_total;
				out->swapin_ns = ts.swapin_delay_total;
				out->mem_ns = ts.freepages_delay_total +
				    ts.thrashing_delay_total +
				    ts.compact_delay_total;
				return 0;
			}
		}
	}
	return -EINVAL;
}

/*
 * The kernel stamps a wait's start only while kernel.task_delayacct is on
 * but adds "now - start" at every wait's end: a wait begun while it was
 * off and ended after it came on adds the time since the thread's last
 * stamped start, or since boot for a thread that never had one (seen:
 * procwatchd's own writer, mid-fsync when it turned the switch on, at
 * 11,000 % of one thread).  No real wait began before the switch came on,
 * so each thread has waited at most since then: a larger step is such a
 * wait, and that interval's rate is unknown rather than a false alarm.
 * A real wait longer than the time since the switch came on (begun
 * before procwatchd started) is lost with it.
 */
#define DELAY_SLACK_NS	50000000.0	/* stat's field 42 is in ticks */

static bool
delay_step_ok(uint64_t then, uint64_t now, double cap_ns)
{
	return now < then || (double)(now - then) <= cap_ns;
}

unsigned
pw__delays_check(const struct pw_sample *prev, struct pw_sample *s,
    int64_t on_since_ms)
{
	unsigned was = s->flags;
	uint32_t threads;
	double cap;

	if (on_since_ms == INT64_MIN || prev == NULL)
		return 0;
	threads = prev->threads > s->threads ? prev->threads : s->threads;
	if (threads == 0)
		threads = 1;
	cap = s->ts_ms > on_since_ms ?
	    (double)(s->ts_ms - on_since_ms) * 1e6 : 0;
	cap = (cap + DELAY_SLACK_NS) * threads;
	if (!delay_step_ok(prev->blkio_delay_ns, s->blkio_delay_ns, cap))
		s->flags |= PW_SAMPLE_NO_IO_DELAY;
	if (!delay_step_ok(prev->swapin_delay_ns, s->swapin_delay_ns, cap) ||
	    !delay_step_ok(prev->mem_delay_ns, s->mem_delay_ns, cap))
		s->flags |= PW_SAMPLE_NO_MEM_DELAY;
	return s->flags & ~was;
}

/* --- kernel.task_delayacct ------------------------------------------------ */

#define DELAYACCT	"sys/kernel/task_delayacct"

int
pw_delayacct_get(const struct pw_procfs *fs, bool *on)
{
	char buf[16];
	ssize_t n;
	int fd;

	if ((fd = pw__procfs_open(fs, 0, DELAYACCT)) < 0)
		return fd;
	n = pw__procfs_pread0(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return (int)n;
	if (n == 0 || (buf[0] != '0' && buf[0] != '1'))
		return -EINVAL;
	*on = buf[0] == '1';
	return 0;
}

int
pw_delayacct_enable(const struct pw_procfs *fs)
{
	char path[4096];
	ssize_t n;
	int fd, rc = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/" DELAYACCT,
	    pw_procfs_root(fs)) >= sizeof(path))
		return -ENAMETOOLONG;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_TRUNC)) < 0)
		return -errno;
	if ((n = write(fd, "1\n", 2)) < 0)
		rc = -errno;
	else if (n != 2)
		rc = -EIO;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

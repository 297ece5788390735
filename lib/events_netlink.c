/*
 * events_netlink.c: subscribing the events object (lib/events_impl.h) to
 * its two sockets: the process connector (NETLINK_CONNECTOR, CN_IDX_PROC)
 * and taskstats (generic netlink family "TASKSTATS", registered for the
 * online CPUs), with the reason in words when either cannot be had.  Only
 * the setup waits for the kernel's answers; the events thread (lib/events.c)
 * then polls both sockets.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "events_impl.h"

void
pw__events_unavailable(struct pw_events *e, const char *what, int err)
{
	e->available = false;
	if (err == EPERM || err == EACCES)
		snprintf(e->reason, sizeof(e->reason), "%s: %s (the process "
		    "connector needs CAP_NET_ADMIN)", what, strerror(err));
	else if (err == EPROTONOSUPPORT || err == ENOENT)
		snprintf(e->reason, sizeof(e->reason), "%s: %s (the kernel "
		    "lacks CONFIG_PROC_EVENTS)", what, strerror(err));
	else
		snprintf(e->reason, sizeof(e->reason), "%s: %s", what,
		    strerror(err));
}

int
pw__events_subscribe(struct pw_events *e)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct {
		struct nlmsghdr		nh;
		struct cn_msg		cn;
		enum proc_cn_mcast_op	op;
	} __attribute__((packed)) req;
	int rcvbuf = 4 * 1024 * 1024;

	if ((e->fd = socket(PF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_CONNECTOR)) < 0) {
		pw__events_unavailable(e, "socket(NETLINK_CONNECTOR)", errno);
		return -errno;
	}
	/* Bursts of forks must not overflow the socket (ENOBUFS). */
	if (setsockopt(e->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) < 0)
		(void)setsockopt(e->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	sa.nl_groups = CN_IDX_PROC;
	sa.nl_pid = 0;
	if (bind(e->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		pw__events_unavailable(e, "bind(CN_IDX_PROC)", errno);
		return -errno;
	}
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = NLMSG_DONE;
	req.cn.id.idx = CN_IDX_PROC;
	req.cn.id.val = CN_VAL_PROC;
	req.cn.len = sizeof(req.op);
	req.op = PROC_CN_MCAST_LISTEN;
	if (send(e->fd, &req, sizeof(req), 0) < 0) {
		pw__events_unavailable(e, "PROC_CN_MCAST_LISTEN", errno);
		return -errno;
	}
	return 0;
}

static void
ts_unavailable(struct pw_events *e, const char *what, int err)
{
	const char *hint = "";

	if (err == EPERM || err == EACCES)
		hint = " (taskstats needs CAP_NET_ADMIN)";
	else if (err == ENOENT)
		hint = " (the kernel lacks CONFIG_TASKSTATS)";
	else if (err == EINVAL)
		hint = " (outside the initial pid or user namespace, where "
		    "taskstats refuses listeners?)";
	snprintf(e->ts_reason, sizeof(e->ts_reason), "%s: %s%s", what,
	    strerror(err), hint);
}

/*
 * Send a generic netlink request of `type` with one string attribute;
 * 0 or a negative errno.
 */
static int
genl_send(int fd, uint16_t type, uint8_t cmd, uint8_t version,
    uint16_t attr, const char *str, uint32_t seq)
{
	struct {
		struct nlmsghdr		nh;
		struct genlmsghdr	gh;
		unsigned char		a[NLA_HDRLEN + 256];
	} req;
	struct nlattr na;
	size_t slen = strlen(str) + 1;

	if (slen > sizeof(req.a) - NLA_HDRLEN)
		return -EINVAL;
	memset(&req, 0, sizeof(req));
	na.nla_len = (uint16_t)(NLA_HDRLEN + slen);
	na.nla_type = attr;
	memcpy(req.a, &na, sizeof(na));
	memcpy(req.a + NLA_HDRLEN, str, slen);
	req.nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN + NLA_ALIGN(na.nla_len));
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	req.nh.nlmsg_seq = seq;
	req.gh.cmd = cmd;
	req.gh.version = version;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0)
		return -errno;
	return 0;
}

/*
 * Wait for the answer to request `seq`: its ack (0) or error (negative
 * errno).  With `family`, a CTRL_CMD_NEWFAMILY answer's family id goes
 * there.  Other messages (early taskstats records) are dropped.
 */
static int
genl_wait(int fd, uint32_t seq, uint16_t *family)
{
	char buf[8192];
	struct nlmsghdr *nh;
	const unsigned char *a;
	struct nlmsgerr err;
	struct nlattr h;
	ssize_t n;
	size_t left, alen, step;
	int tries;

	for (tries = 0; tries < 64; tries++) {
		if ((n = recv(fd, buf, sizeof(buf), 0)) < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		left = (size_t)n;
		for (nh = (struct nlmsghdr *)(void *)buf; NLMSG_OK(nh, left);
		    nh = NLMSG_NEXT(nh, left)) {
			if (nh->nlmsg_seq != seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(err)))
					return -EPROTO;
				memcpy(&err, NLMSG_DATA(nh), sizeof(err));
				return err.error;
			}
			if (family == NULL || nh->nlmsg_type != GENL_ID_CTRL ||
			    nh->nlmsg_len < NLMSG_LENGTH(GENL_HDRLEN))
				continue;
			a = (const unsigned char *)NLMSG_DATA(nh) + GENL_HDRLEN;
			alen = nh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
			while (alen >= NLA_HDRLEN) {
				memcpy(&h, a, sizeof(h));
				if (h.nla_len < NLA_HDRLEN || h.nla_len > alen)
					break;
				if (h.nla_type == CTRL_ATTR_FAMILY_ID &&
				    h.nla_len >= NLA_HDRLEN + sizeof(*family))
					memcpy(family, a + NLA_HDRLEN,
					    sizeof(*family));
				step = NLA_ALIGN(h.nla_len);
				if (step >= alen)
					break;
				a += step;
				alen -= step;
			}
		}
	}
	return -ETIMEDOUT;
}

/* The online CPUs as a list ("0-3,6"), as taskstats wants it. */
static void
online_cpus(char *buf, size_t len)
{
	FILE *f;
	long n;

	if ((f = fopen("/sys/devices/system/cpu/online", "re")) != NULL) {
		if (fgets(buf, (int)len, f) != NULL)
			buf[strcspn(buf, "\n")] = '\0';
		else
			buf[0] = '\0';
		fclose(f);
		if (buf[0] != '\0')
			return;
	}
	n = sysconf(_SC_NPROCESSORS_CONF);
	snprintf(buf, len, "0-%ld", n > 1 ? n - 1 : 0);
}

int
pw__events_subscribe_taskstats(struct pw_events *e)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct timeval tv = { 1, 0 };
	int rcvbuf = 4 * 1024 * 1024, rc;

	if ((e->ts_fd = socket(PF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_GENERIC)) < 0) {
		rc = -errno;
		ts_unavailable(e, "socket(NETLINK_GENERIC)", -rc);
		return rc;
	}
	if (setsockopt(e->ts_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)) < 0)
		(void)setsockopt(e->ts_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
	/* Only the setup waits for answers; the thread polls. */
	(void)setsockopt(e->ts_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(e->ts_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		ts_unavailable(e, "bind(NETLINK_GENERIC)", -rc);
		goto out_close;
	}
	if ((rc = genl_send(e->ts_fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1,
	    CTRL_ATTR_FAMILY_NAME, TASKSTATS_GENL_NAME, 1)) < 0 ||
	    (rc = genl_wait(e->ts_fd, 1, &e->ts_family)) < 0) {
		ts_unavailable(e, "family " TASKSTATS_GENL_NAME, -rc);
		goto out_close;
	}
	if (e->ts_family == 0) {
		rc = -ENOENT;
		ts_unavailable(e, "family " TASKSTATS_GENL_NAME, ENOENT);
		goto out_close;
	}
	online_cpus(e->ts_mask, sizeof(e->ts_mask));
	if ((rc = genl_send(e->ts_fd, e->ts_family, TASKSTATS_CMD_GET,
	    TASKSTATS_GENL_VERSION, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK,
	    e->ts_mask, 2)) < 0 || (rc = genl_wait(e->ts_fd, 2, NULL)) < 0) {
		ts_unavailable(e, "taskstats register", -rc);
		goto out_close;
	}
	return 0;
out_close:
	close(e->ts_fd);
	e->ts_fd = -1;
	return rc;
}

void
pw__events_taskstats_deregister(struct pw_events *e)
{
	/* The kernel would drop us at the next exit anyway. */
	(void)genl_send(e->ts_fd, e->ts_family, TASKSTATS_CMD_GET,
	    TASKSTATS_GENL_VERSION,
	    TASKSTATS_CMD_ATTR_DEREGISTER_CPUMASK, e->ts_mask, 3);
}


// SPDX-License-Identifier: GPL-2.0
/*
 * coalnl: read and set a device's ethtool coalesce parameters over
 * netlink, including those older ethtool binaries do not know
 * (tx-aggr-*, added to the kernel and to ethtool in 6.3; Debian 12 ships
 * ethtool 6.1).  Static, for the test guest.
 *
 *   coalnl DEV
 *	print the parameters the kernel reports, one line of key=value
 *   coalnl DEV NAME VALUE [NAME VALUE...]
 *	set them; NAME is one of the keys printed (u32 parameters only)
 *
 * Exit status 0; 1 if the kernel rejected the request (its error and
 * extack message are printed on stderr as error=-ERRNO msg="..."); 2 on
 * bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Coalesce attributes, numbered as in Linux 6.12's uapi. */
static const struct {
	const char *name;
	int type;
} params[] = {
	{ "rx-usecs", 2 },
	{ "rx-frames", 3 },
	{ "tx-usecs", 6 },
	{ "tx-frames", 7 },
	{ "pkt-rate-low", 13 },
	{ "pkt-rate-high", 18 },
	{ "sample-interval", 23 },
	{ "tx-aggr-max-bytes", 26 },
	{ "tx-aggr-max-frames", 27 },
	{ "tx-aggr-time-usecs", 28 },
};

#define NPARAMS		(sizeof(params) / sizeof(params[0]))
#define BUFSZ		8192
#define NLA_ALIGNED(len)	(((len) + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1))

struct req {
	struct nlmsghdr nh;
	struct genlmsghdr gh;
	char attrs[1024];
};

static void usage(void)
{
	fprintf(stderr, "usage: coalnl DEV [NAME VALUE]...\n");
	exit(2);
}

static struct nlattr *put_attr(struct nlmsghdr *nh, int type, const void *data,
			       int len)
{
	struct nlattr *a = (struct nlattr *)((char *)nh +
					     NLMSG_ALIGN(nh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)a + NLA_HDRLEN, data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + NLA_ALIGNED(a->nla_len);
	return a;
}

/* Send @r, read replies; for a GET reply call @cb with its attributes. */
static int talk(int fd, struct nlmsghdr *r,
		void (*cb)(struct nlattr *attrs, int len))
{
	static char buf[BUFSZ];
	struct nlmsghdr *nh;
	int n, done = 0;

	if (send(fd, r, r->nlmsg_len, 0) < 0) {
		perror("coalnl: send");
		return -EIO;
	}
	while (!done) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			perror("coalnl: recv");
			return -EIO;
		}
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, n);
		     nh = NLMSG_NEXT(nh, n)) {
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);
				struct nlattr *a;
				int off, alen;

				if (!e->error)
					return 0;
				/* Extended ack: after the echoed header. */
				off = NLMSG_HDRLEN + sizeof(*e);
				if (!(nh->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len -
					       NLMSG_HDRLEN;
				fprintf(stderr, "error=%d", e->error);
				for (a = (struct nlattr *)((char *)nh + off);
				     (char *)a + NLA_HDRLEN <=
				     (char *)nh + nh->nlmsg_len;
				     a = (struct nlattr *)((char *)a +
							   NLA_ALIGNED(alen))) {
					alen = a->nla_len;
					if (alen < NLA_HDRLEN)
						break;
					if (a->nla_type == NLMSGERR_ATTR_MSG)
						fprintf(stderr, " msg=\"%s\"",
							(char *)a + NLA_HDRLEN);
				}
				fprintf(stderr, "\n");
				return e->error;
			}
			if (nh->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (cb)
				cb((struct nlattr *)((char *)NLMSG_DATA(nh) +
						     GENL_HDRLEN),
				   nh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN);
		}
	}
	return 0;
}

static int family_id;

static void family_cb(struct nlattr *a, int len)
{
	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			family_id = *(uint16_t *)((char *)a + NLA_HDRLEN);
		len -= NLA_ALIGNED(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGNED(a->nla_len));
	}
}

static void coalesce_cb(struct nlattr *a, int len)
{
	const char *sep = "";
	unsigned int i;

	while (len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		for (i = 0; i < NPARAMS; i++)
			if (params[i].type == a->nla_type &&
			    a->nla_len == NLA_HDRLEN + 4) {
				printf("%s%s=%u", sep, params[i].name,
				       *(uint32_t *)((char *)a + NLA_HDRLEN));
				sep = " ";
			}
		len -= NLA_ALIGNED(a->nla_len);
		a = (struct nlattr *)((char *)a + NLA_ALIGNED(a->nla_len));
	}
	printf("\n");
}

static void init_req(struct req *r, int type, int cmd, int flags)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->gh.cmd = cmd;
	r->gh.version = 1;
}

/* The request header nest with the device name. */
static void put_header(struct req *r, const char *dev)
{
	struct nlattr *nest;

	nest = put_attr(&r->nh, ETHTOOL_A_COALESCE_HEADER | NLA_F_NESTED,
			NULL, 0);
	put_attr(&r->nh, ETHTOOL_A_HEADER_DEV_NAME, dev, strlen(dev) + 1);
	nest->nla_len = (char *)&r->nh + r->nh.nlmsg_len - (char *)nest;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd, one = 1, i, err;
	unsigned int j;
	struct req r;

	if (argc < 2 || argc % 2 || strlen(argv[1]) >= 16)
		usage();
	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		perror("coalnl: netlink socket");
		return 1;
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));

	init_req(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	put_attr(&r.nh, CTRL_ATTR_FAMILY_NAME, ETHTOOL_GENL_NAME,
		 sizeof(ETHTOOL_GENL_NAME));
	if (talk(fd, &r.nh, family_cb) || !family_id) {
		fprintf(stderr, "coalnl: no ethtool netlink family\n");
		return 1;
	}

	if (argc == 2) {
		init_req(&r, family_id, ETHTOOL_MSG_COALESCE_GET, 0);
		put_header(&r, argv[1]);
		return talk(fd, &r.nh, coalesce_cb) ? 1 : 0;
	}

	init_req(&r, family_id, ETHTOOL_MSG_COALESCE_SET, 0);
	put_header(&r, argv[1]);
	for (i = 2; i < argc; i += 2) {
		unsigned long long v;
		uint32_t v32;
		char *end;

		for (j = 0; j < NPARAMS; j++)
			if (!strcmp(argv[i], params[j].name))
				break;
		errno = 0;
		v = strtoull(argv[i + 1], &end, 10);
		if (j == NPARAMS || errno || *end || end == argv[i + 1] ||
		    v > UINT32_MAX || argv[i + 1][0] == '-')
			usage();
		v32 = v;
		put_attr(&r.nh, params[j].type, &v32, sizeof(v32));
	}
	err = talk(fd, &r.nh, NULL);
	close(fd);
	return err ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * udpflood: a paced UDP sender and a counting receiver, for measuring
 * per-packet costs (kicks, interrupts, wakeups) at a controlled rate.
 *
 *   udpflood send [options] ADDR:PORT
 *	--rate PPS       packets per second (default 1000; 0: as fast as
 *	                 possible)
 *	--duration SEC   how long to send (default 10; fractions allowed);
 *	                 a sender that cannot keep up sends fewer packets,
 *	                 it does not run longer
 *	--count N        stop after N packets (default: no limit)
 *	--size BYTES     UDP payload size (default 18, at least 16)
 *	--batch N        packets sent back to back per pacing step
 *	                 (default: as many as make steps of >= 100 us)
 *	--bind ADDR      source address
 *	--flow ID        flow id written into each packet (default 0)
 *
 *   udpflood recv [options] [ADDR:]PORT
 *	--duration SEC   stop after SEC seconds (default: no limit)
 *	--idle SEC       stop once nothing arrived for SEC seconds after
 *	                 the first packet (default 2)
 *	--timeout SEC    give up if nothing arrives for SEC seconds
 *	                 (default 30)
 *
 * ADDR is a numeric IPv4 or IPv6 address ([v6]:port).  Every packet
 * carries a 16-byte header: magic "UDPF", the flow id and a 64-bit
 * sequence number starting at 0 (network byte order), then zeros.
 *
 * Output, on stdout, one line of key=value pairs:
 *   send: mode=send sent= errors= late= elapsed_ms= rate=
 *	   (errors: sends that failed, e.g. ENOBUFS; late: pacing steps that
 *	   started behind schedule; rate: packets sent per second)
 *   recv: mode=recv received= max_seq= lost= reordered= dups= foreign=
 *	   sock_drops= rcvbuf= elapsed_ms= rate=
 *	   (lost: max_seq + 1 - distinct packets; sock_drops: the socket
 *	   receive queue overflows the kernel counted, SO_RXQ_OVFL; foreign:
 *	   datagrams without our header; rcvbuf: the receive buffer the
 *	   kernel granted, bytes, 8 MiB asked, past rmem_max for root)
 * Exit status 0, 1 on error, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC		0x55445046u	/* "UDPF" */
#define HDR_LEN		16
#define NSEC_PER_SEC	((uint64_t)1000000000)
#define MAX_SIZE	65507
/* Default pacing step: 100 us. */
#define STEP_NS		((uint64_t)100000)

struct hdr {
	uint32_t magic;
	uint32_t flow;
	uint32_t seq_hi;
	uint32_t seq_lo;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: udpflood send [--rate PPS] [--duration SEC] [--count N] [--size BYTES]\n"
		"                     [--batch N] [--bind ADDR] [--flow ID] ADDR:PORT\n"
		"       udpflood recv [--duration SEC] [--idle SEC] [--timeout SEC] [ADDR:]PORT\n");
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {
		.tv_sec = t / NSEC_PER_SEC,
		.tv_nsec = t % NSEC_PER_SEC,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR && !stop)
		;
}

static uint64_t parse_u64(const char *s, const char *what)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-') {
		fprintf(stderr, "udpflood: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

/* Seconds, fractions allowed, as nanoseconds. */
static uint64_t parse_secs(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0 || v > 1e6) {
		fprintf(stderr, "udpflood: bad %s '%s'\n", what, s);
		exit(2);
	}
	return (uint64_t)(v * 1e9);
}

/*
 * "ADDR:PORT", "[V6]:PORT" or, if @port_only_ok, "PORT".  Fills @ss with
 * the address (the wildcard when absent).
 */
static socklen_t parse_addr(const char *arg, bool port_only_ok,
			    struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port_s;
	uint64_t port;
	size_t n;

	memset(ss, 0, sizeof(*ss));
	colon = strrchr(arg, ':');
	if (!colon) {
		if (!port_only_ok)
			goto bad;
		port = parse_u64(arg, "port");
		if (!port || port > 65535)
			goto bad;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		return sizeof(*s4);
	}
	port_s = colon + 1;
	n = colon - arg;
	if (n >= sizeof(host))
		goto bad;
	memcpy(host, arg, n);
	host[n] = 0;
	port = parse_u64(port_s, "port");
	if (!port || port > 65535)
		goto bad;
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		host[n - 1] = 0;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			goto bad;
		return sizeof(*s6);
	}
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		goto bad;
	return sizeof(*s4);
bad:
	fprintf(stderr, "udpflood: bad address '%s'\n", arg);
	exit(2);
}

static int do_send(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "batch", required_argument, NULL, 'b' },
		{ "bind", required_argument, NULL, 'B' },
		{ "flow", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t rate = 1000, duration = 10 * NSEC_PER_SEC, count = UINT64_MAX;
	uint64_t size = 18, batch = 0, flow = 0, step_ns = 0;
	uint64_t seq = 0, errors = 0, late = 0, start, end, step, t, now;
	struct sockaddr_storage dst, src;
	const char *bind_arg = NULL;
	socklen_t dlen, slen;
	unsigned char *buf;
	struct hdr *h;
	int fd, o, i;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'r': rate = parse_u64(optarg, "rate"); break;
		case 'd': duration = parse_secs(optarg, "duration"); break;
		case 'c': count = parse_u64(optarg, "count"); break;
		case 's': size = parse_u64(optarg, "size"); break;
		case 'b': batch = parse_u64(optarg, "batch"); break;
		case 'B': bind_arg = optarg; break;
		case 'f': flow = parse_u64(optarg, "flow"); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || size < HDR_LEN || size > MAX_SIZE ||
	    flow > UINT32_MAX || (rate && rate > 100000000))
		usage();
	dlen = parse_addr(argv[optind], false, &dst);

	if (rate) {
		if (!batch)
			batch = (rate * STEP_NS + NSEC_PER_SEC - 1) /
				NSEC_PER_SEC;
		if (!batch)
			batch = 1;
		step_ns = batch * NSEC_PER_SEC / rate;
	} else if (!batch) {
		batch = 64;
	}

	fd = socket(dst.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpflood: socket");
		return 1;
	}
	if (bind_arg) {
		char tmp[INET6_ADDRSTRLEN + 16];

		snprintf(tmp, sizeof(tmp), "%s:1", bind_arg);
		if (strchr(bind_arg, ':'))
			snprintf(tmp, sizeof(tmp), "[%s]:1", bind_arg);
		slen = parse_addr(tmp, false, &src);
		if (src.ss_family == AF_INET)
			((struct sockaddr_in *)&src)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&src)->sin6_port = 0;
		if (bind(fd, (struct sockaddr *)&src, slen)) {
			perror("udpflood: bind");
			return 1;
		}
	}
	if (connect(fd, (struct sockaddr *)&dst, dlen)) {
		perror("udpflood: connect");
		return 1;
	}

	buf = calloc(1, size);
	if (!buf)
		return 1;
	h = (struct hdr *)buf;
	h->magic = htonl(MAGIC);
	h->flow = htonl(flow);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	start = now_ns();
	end = start + duration;
	for (step = 0; !stop && seq < count; step++) {
		now = now_ns();
		if (now >= end)
			break;
		if (rate) {
			t = start + step * step_ns;
			if (t >= end)
				break;
			if (now > t + step_ns)
				late++;
			else
				sleep_until(t);
		}
		for (i = 0; i < (int)batch && seq < count; i++) {
			h->seq_hi = htonl(seq >> 32);
			h->seq_lo = htonl((uint32_t)seq);
			if (send(fd, buf, size, 0) == (ssize_t)size)
				seq++;
			else
				errors++;
		}
	}
	t = now_ns() - start;
	printf("mode=send sent=%" PRIu64 " errors=%" PRIu64 " late=%" PRIu64
	       " elapsed_ms=%" PRIu64 " rate=%" PRIu64 "\n",
	       seq, errors, late, t / 1000000,
	       t ? seq * NSEC_PER_SEC / t : 0);
	free(buf);
	close(fd);
	return 0;
}

/* Distinct sequence numbers seen, as a growable bitmap. */
struct seen {
	uint8_t *bits;
	uint64_t nbits;
};

/* Return true if @seq was already marked. */
static bool seen_mark(struct seen *s, uint64_t seq)
{
	uint64_t need;
	uint8_t *nb;
	bool was;

	if (seq > (1ull << 34))		/* 2 GiB of bitmap: give up on dups */
		return false;
	if (seq >= s->nbits) {
		need = s->nbits ? s->nbits : 1 << 16;
		while (need <= seq)
			need *= 2;
		nb = realloc(s->bits, need / 8);
		if (!nb)
			return false;
		memset(nb + s->nbits / 8, 0, (need - s->nbits) / 8);
		s->bits = nb;
		s->nbits = need;
	}
	was = s->bits[seq / 8] & (1u << (seq % 8));
	s->bits[seq / 8] |= 1u << (seq % 8);
	return was;
}

static int do_recv(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration", required_argument, NULL, 'd' },
		{ "idle", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t idle = 2 * NSEC_PER_SEC, timeout = 30 * NSEC_PER_SEC;
	uint64_t duration = 0;
	uint64_t received = 0, max_seq = 0, reordered = 0, dups = 0;
	uint64_t foreign = 0, start, first = 0, last = 0, t, seq;
	char cbuf[CMSG_SPACE(sizeof(uint32_t))];
	unsigned char buf[MAX_SIZE + 1];
	struct sockaddr_storage ss;
	uint32_t sock_drops = 0;
	struct seen seen = { 0 };
	struct cmsghdr *cm;
	struct pollfd pfd;
	int fd, o, one = 1, rcvbuf = 8 << 20;
	socklen_t slen, alen;
	struct hdr h;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'd': duration = parse_secs(optarg, "duration"); break;
		case 'i': idle = parse_secs(optarg, "idle"); break;
		case 't': timeout = parse_secs(optarg, "timeout"); break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	alen = parse_addr(argv[optind], true, &ss);

	fd = socket(ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("udpflood: socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/*
	 * A large receive buffer, past net.core.rmem_max when we may (root:
	 * SO_RCVBUFFORCE): the receiver measures what the path delivers, and
	 * an emulated guest can deschedule it for tens of milliseconds.
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	slen = sizeof(rcvbuf);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &slen))
		rcvbuf = 0;
	setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, alen)) {
		perror("udpflood: bind");
		return 1;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	start = now_ns();
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (!stop) {
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf,
			.msg_controllen = sizeof(cbuf),
		};
		ssize_t n;

		t = now_ns();
		if (duration && t - start >= duration)
			break;
		if (received && t - last >= idle)
			break;
		if (!received && t - start >= timeout)
			break;
		n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				perror("udpflood: recvmsg");
				return 1;
			}
			poll(&pfd, 1, 50);
			continue;
		}
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_SOCKET &&
			    cm->cmsg_type == SO_RXQ_OVFL)
				memcpy(&sock_drops, CMSG_DATA(cm),
				       sizeof(sock_drops));
		if (n < HDR_LEN) {
			foreign++;
			continue;
		}
		memcpy(&h, buf, sizeof(h));
		if (ntohl(h.magic) != MAGIC) {
			foreign++;
			continue;
		}
		seq = (uint64_t)ntohl(h.seq_hi) << 32 | ntohl(h.seq_lo);
		if (seen_mark(&seen, seq)) {
			dups++;
			continue;
		}
		if (!received)
			first = t;
		else if (seq < max_seq)
			reordered++;
		if (!received || seq > max_seq)
			max_seq = seq;
		received++;
		last = now_ns();
	}
	t = received ? last - first : 0;
	printf("mode=recv received=%" PRIu64 " max_seq=%" PRIu64
	       " lost=%" PRIu64 " reordered=%" PRIu64 " dups=%" PRIu64
	       " foreign=%" PRIu64 " sock_drops=%" PRIu32
	       " rcvbuf=%d elapsed_ms=%" PRIu64 " rate=%" PRIu64 "\n",
	       received, received ? max_seq : 0,
	       received ? max_seq + 1 - received : 0, reordered, dups,
	       foreign, sock_drops, rcvbuf, t / 1000000,
	       t ? (received - 1) * NSEC_PER_SEC / t : 0);
	free(seen.bits);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "send"))
		return do_send(argc - 1, argv + 1);
	if (!strcmp(argv[1], "recv"))
		return do_recv(argc - 1, argv + 1);
	usage();
	return 2;
}

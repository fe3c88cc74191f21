// SPDX-License-Identifier: GPL-2.0
/*
 * mcload: a closed-loop memcached load generator that measures the latency
 * of every request, for the benchmark's guest-memcached scenario
 * (tools/bench/scenarios/guest-memcached.sh): the test host (L1) runs it
 * against memcached in the guest (L2).
 *
 *   mcload [options] ADDR:PORT
 *	--conns N        parallel TCP connections, each with one request in
 *	                 flight (closed loop, as fast as the server answers;
 *	                 default 1)
 *	--duration SEC   how long to send requests (default 3; fractions
 *	                 allowed); 0 with --prefill: only prefill
 *	--keys N         key space: keys "mcload:00000000" .. N-1, picked
 *	                 uniformly at random (default 1000)
 *	--size BYTES     value size of a set (default 100)
 *	--get-pct P      percentage of gets, the rest are sets (default 90)
 *	--prefill        first set every key once (pipelined, "noreply",
 *	                 on one connection; not measured), so that gets hit
 *	--timeout SEC    a request without a complete answer after SEC
 *	                 seconds is an error; its connection is reopened
 *	                 (default 5)
 *	--seed N         seed of the key and operation choices (default 1)
 *
 * memcached's text protocol: "get KEY" answered by "VALUE KEY FLAGS
 * BYTES" + data + "END" (a hit) or "END" alone (a miss); "set KEY 0 0
 * BYTES" + data answered by "STORED".  A request's latency runs from just
 * before its write to the moment its answer is complete; requests still
 * in flight when the time is up are not counted.
 *
 * ADDR is a numeric IPv4 or IPv6 address ([v6]:port).
 *
 * Output, on stdout, one line of key=value pairs:
 *   mode=load conns= requests= gets= sets= hits= misses= errors=
 *   reconnects= elapsed_ms= rps= lat_p50_ms= lat_p99_ms= lat_avg_ms=
 *   lat_max_ms=
 *	(requests: answered requests, errors included; errors: error
 *	answers, timeouts and broken connections; latency percentiles by
 *	nearest rank over the answered requests that were not errors)
 *   with --duration 0: mode=prefill keys= elapsed_ms=
 * Exit status 0, 1 on error (no request answered, no connection), 2 on
 * bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define KEY_FMT		"mcload:%08u"
#define KEY_MAX		32
#define MAX_CONNS	1024
#define RBUF_MAX	(4u << 20)

enum { IDLE, WAITING };

struct conn {
	int fd;
	int state;
	bool is_get;
	char key[KEY_MAX];
	uint64_t t_sent;	/* ns */
	char *wbuf;
	size_t wlen, woff;
	char *rbuf;
	size_t rlen, rcap;
};

static struct sockaddr_storage srv;
static socklen_t srv_len;
static unsigned int opt_conns = 1, opt_keys = 1000, opt_size = 100;
static unsigned int opt_get_pct = 90;
static double opt_duration = 3, opt_timeout = 5;
static bool opt_prefill;
static uint64_t rng = 1;
static int epfd = -1;
static char *value;		/* opt_size bytes of 'x' */

static uint64_t requests, gets, sets, hits, misses, errors, reconnects;
static uint32_t *lat;		/* us, successful requests */
static size_t nlat, lat_cap;
static uint64_t lat_sum, lat_max;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* xorshift64* */
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: mcload [--conns N] [--duration SEC] [--keys N] [--size BYTES]\n"
		"              [--get-pct P] [--prefill] [--timeout SEC] [--seed N] ADDR:PORT\n");
	exit(2);
}

static int parse_addr(const char *arg)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&srv;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&srv;
	char host[128], *port, *end;
	unsigned long p;

	if (strlen(arg) >= sizeof(host))
		return -1;
	memcpy(host, arg, strlen(arg) + 1);
	port = strrchr(host, ':');
	if (!port)
		return -1;
	*port++ = '\0';
	p = strtoul(port, &end, 10);
	if (!*port || *end || p < 1 || p > 65535)
		return -1;
	memset(&srv, 0, sizeof(srv));
	if (host[0] == '[') {
		size_t n = strlen(host);

		if (n < 3 || host[n - 1] != ']')
			return -1;
		host[n - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &v6->sin6_addr) != 1)
			return -1;
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(p);
		srv_len = sizeof(*v6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &v4->sin_addr) != 1)
		return -1;
	v4->sin_family = AF_INET;
	v4->sin_port = htons(p);
	srv_len = sizeof(*v4);
	return 0;
}

/* A connected socket (blocking connect), non-blocking afterwards. */
static int open_conn(void)
{
	int fd, one = 1;

	fd = socket(srv.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&srv, srv_len) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static void lat_add(uint64_t ns)
{
	uint64_t us = ns / 1000;

	if (nlat == lat_cap) {
		lat_cap = lat_cap ? 2 * lat_cap : 65536;
		lat = realloc(lat, lat_cap * sizeof(*lat));
		if (!lat) {
			perror("mcload: realloc");
			exit(1);
		}
	}
	lat[nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	lat_sum += us;
	if (us > lat_max)
		lat_max = us;
}

static int watch(struct conn *c, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	return epoll_ctl(epfd, op, c->fd, &ev);
}

/* Write what is pending; EPOLLOUT only while a write is incomplete. */
static int flush(struct conn *c)
{
	while (c->woff < c->wlen) {
		ssize_t n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return watch(c, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
			if (errno == EINTR)
				continue;
			return -1;
		}
		c->woff += n;
	}
	return watch(c, EPOLLIN, EPOLL_CTL_MOD);
}

/* The next request of connection c. */
static int issue(struct conn *c)
{
	unsigned int k = rnd() % opt_keys;

	snprintf(c->key, sizeof(c->key), KEY_FMT, k);
	c->is_get = rnd() % 100 < opt_get_pct;
	if (c->is_get) {
		c->wlen = sprintf(c->wbuf, "get %s\r\n", c->key);
	} else {
		c->wlen = sprintf(c->wbuf, "set %s 0 0 %u\r\n", c->key, opt_size);
		memcpy(c->wbuf + c->wlen, value, opt_size);
		c->wlen += opt_size;
		memcpy(c->wbuf + c->wlen, "\r\n", 2);
		c->wlen += 2;
	}
	c->woff = 0;
	c->rlen = 0;
	c->state = WAITING;
	c->t_sent = now_ns();
	return flush(c);
}

static int reopen(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->state = IDLE;
	c->fd = open_conn();
	if (c->fd < 0)
		return -1;
	reconnects++;
	return watch(c, EPOLLIN, EPOLL_CTL_ADD);
}

/*
 * Whether c->rbuf holds the complete answer: 1 a good answer (a set
 * stored, a hit of a get), 2 a miss of a get, 0 not complete yet, -1 an
 * error answer (complete), -2 not the protocol.
 */
static int parse(struct conn *c)
{
	char *eol = memmem(c->rbuf, c->rlen, "\r\n", 2);
	size_t line;

	if (!eol)
		return c->rlen > 256 ? -2 : 0;	/* no line is that long */
	line = eol - c->rbuf + 2;
	if (!c->is_get) {
		if (line == c->rlen && !strncmp(c->rbuf, "STORED\r\n", 8))
			return 1;
		return line == c->rlen ? -1 : -2;
	}
	if (line == 5 && !strncmp(c->rbuf, "END\r\n", 5)) {
		if (c->rlen != 5)
			return -2;
		return 2;
	}
	if (!strncmp(c->rbuf, "VALUE ", 6)) {
		char k[KEY_MAX + 1];
		unsigned int flags;
		size_t bytes, want;

		if (sscanf(c->rbuf, "VALUE %32s %u %zu", k, &flags, &bytes) != 3 ||
		    strcmp(k, c->key))
			return -2;
		want = line + bytes + 2 + 5;
		if (c->rlen < want)
			return 0;
		if (c->rlen > want || memcmp(c->rbuf + want - 7, "\r\nEND\r\n", 7))
			return -2;
		return 1;
	}
	/* ERROR, CLIENT_ERROR ..., SERVER_ERROR ... */
	return line == c->rlen ? -1 : -2;
}

/* Read and handle what arrived on c; 0, or -1 if c must be reopened. */
static int on_read(struct conn *c, uint64_t deadline)
{
	for (;;) {
		uint64_t t;
		ssize_t n;
		int rc;

		if (c->rlen == c->rcap) {
			/* a value larger than ours (another client's set) */
			char *b = c->rcap < RBUF_MAX ?
				realloc(c->rbuf, 2 * c->rcap) : NULL;

			if (!b)
				return -1;
			c->rbuf = b;
			c->rcap *= 2;
		}
		n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
		if (n == 0)
			return -1;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		if (c->state != WAITING)
			return -1;	/* nothing was asked */
		c->rlen += n;
		rc = parse(c);
		if (rc == 0)
			continue;
		if (rc == -2)
			return -1;
		t = now_ns();
		if (t > deadline) {
			/* answered after the end: not counted */
			c->state = IDLE;
			return 0;
		}
		requests++;
		if (c->is_get)
			gets++;
		else
			sets++;
		if (rc < 0) {
			errors++;
		} else {
			if (c->is_get)
				*(rc == 2 ? &misses : &hits) += 1;
			lat_add(t - c->t_sent);
		}
		c->state = IDLE;
		if (issue(c) < 0)
			return -1;
	}
}

/* Set every key once, pipelined with noreply, then wait for VERSION. */
static int prefill(void)
{
	size_t per = KEY_MAX + 32 + opt_size + 2, len = 0, off = 0;
	char *buf = malloc(per * opt_keys + 16), rb[256];
	size_t rl = 0;
	int fd = open_conn();
	unsigned int k;

	if (!buf || fd < 0) {
		perror("mcload: prefill");
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	for (k = 0; k < opt_keys; k++) {
		len += sprintf(buf + len, "set " KEY_FMT " 0 0 %u noreply\r\n",
			       k, opt_size);
		memcpy(buf + len, value, opt_size);
		len += opt_size;
		memcpy(buf + len, "\r\n", 2);
		len += 2;
	}
	len += sprintf(buf + len, "version\r\n");
	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			perror("mcload: prefill write");
			goto fail;
		}
		off += n;
	}
	while (!memmem(rb, rl, "\r\n", 2)) {
		ssize_t n = read(fd, rb + rl, sizeof(rb) - 1 - rl);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "mcload: prefill: no answer to version\n");
			goto fail;
		}
		rl += n;
		if (rl == sizeof(rb) - 1)
			break;
	}
	if (strncmp(rb, "VERSION ", 8)) {
		rb[rl] = '\0';
		fprintf(stderr, "mcload: prefill: unexpected answer: %s\n", rb);
		goto fail;
	}
	close(fd);
	free(buf);
	return 0;
fail:
	close(fd);
	free(buf);
	return -1;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* nearest rank, ms */
static double pct(double p)
{
	size_t i;

	if (!nlat)
		return 0;
	i = (size_t)(p / 100 * nlat + 0.999999);
	if (i < 1)
		i = 1;
	if (i > nlat)
		i = nlat;
	return lat[i - 1] / 1000.0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "conns", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "keys", required_argument, NULL, 'k' },
		{ "size", required_argument, NULL, 's' },
		{ "get-pct", required_argument, NULL, 'g' },
		{ "prefill", no_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct conn *conns;
	uint64_t t0, deadline, tmo, t_end;
	unsigned int i;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			opt_conns = strtoul(optarg, NULL, 0);
			break;
		case 'd':
			opt_duration = strtod(optarg, NULL);
			break;
		case 'k':
			opt_keys = strtoul(optarg, NULL, 0);
			break;
		case 's':
			opt_size = strtoul(optarg, NULL, 0);
			break;
		case 'g':
			opt_get_pct = strtoul(optarg, NULL, 0);
			break;
		case 'p':
			opt_prefill = true;
			break;
		case 't':
			opt_timeout = strtod(optarg, NULL);
			break;
		case 'r':
			rng = strtoull(optarg, NULL, 0) ?: 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || opt_conns < 1 || opt_conns > MAX_CONNS ||
	    opt_keys < 1 || opt_size < 1 || opt_size > 1000000 ||
	    opt_get_pct > 100 || opt_duration < 0 || opt_timeout <= 0 ||
	    (opt_duration == 0 && !opt_prefill))
		usage();
	if (parse_addr(argv[optind]) < 0)
		usage();
	signal(SIGPIPE, SIG_IGN);
	value = malloc(opt_size);
	if (!value)
		return 1;
	memset(value, 'x', opt_size);

	t0 = now_ns();
	if (opt_prefill && prefill() < 0)
		return 1;
	if (opt_duration == 0) {
		printf("mode=prefill keys=%u elapsed_ms=%" PRIu64 "\n", opt_keys,
		       (now_ns() - t0) / 1000000);
		return 0;
	}

	epfd = epoll_create1(EPOLL_CLOEXEC);
	conns = calloc(opt_conns, sizeof(*conns));
	if (epfd < 0 || !conns)
		return 1;
	for (i = 0; i < opt_conns; i++) {
		struct conn *c = &conns[i];

		c->rcap = opt_size + KEY_MAX + 128;
		c->rbuf = malloc(c->rcap);
		c->wbuf = malloc(opt_size + KEY_MAX + 64);
		c->fd = open_conn();
		if (!c->rbuf || !c->wbuf || c->fd < 0 ||
		    watch(c, EPOLLIN, EPOLL_CTL_ADD) < 0) {
			perror("mcload: connect");
			return 1;
		}
	}

	tmo = (uint64_t)(opt_timeout * 1e9);
	t0 = now_ns();
	deadline = t0 + (uint64_t)(opt_duration * 1e9);
	for (i = 0; i < opt_conns; i++)
		if (issue(&conns[i]) < 0 && reopen(&conns[i]) < 0) {
			perror("mcload: connection");
			return 1;
		}
	for (;;) {
		struct epoll_event ev[64];
		uint64_t t = now_ns();
		int n, j, wait_ms;

		if (t >= deadline)
			break;
		wait_ms = (deadline - t) / 1000000 + 1;
		if (wait_ms > 100)
			wait_ms = 100;
		n = epoll_wait(epfd, ev, 64, wait_ms);
		if (n < 0 && errno != EINTR) {
			perror("mcload: epoll_wait");
			return 1;
		}
		for (j = 0; j < n; j++) {
			struct conn *c = ev[j].data.ptr;
			int rc = 0;

			if (ev[j].events & EPOLLOUT)
				rc = flush(c);
			if (!rc && (ev[j].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
				rc = on_read(c, deadline);
			if (rc < 0) {
				/* after the end: nothing more to ask */
				if (now_ns() >= deadline)
					continue;
				/* a broken connection fails its request */
				if (c->state == WAITING)
					errors++;
				if (reopen(c) < 0 || issue(c) < 0) {
					perror("mcload: reconnect");
					return 1;
				}
			}
		}
		/* requests without an answer for too long */
		t = now_ns();
		for (i = 0; i < opt_conns; i++) {
			struct conn *c = &conns[i];

			if (c->state == WAITING && t - c->t_sent > tmo) {
				errors++;
				if (reopen(c) < 0 || issue(c) < 0) {
					perror("mcload: reconnect");
					return 1;
				}
			}
		}
	}
	t_end = now_ns();
	if (t_end > deadline)
		t_end = deadline;

	qsort(lat, nlat, sizeof(*lat), cmp_u32);
	printf("mode=load conns=%u requests=%" PRIu64 " gets=%" PRIu64
	       " sets=%" PRIu64 " hits=%" PRIu64 " misses=%" PRIu64
	       " errors=%" PRIu64 " reconnects=%" PRIu64
	       " elapsed_ms=%" PRIu64 " rps=%.1f lat_p50_ms=%.3f"
	       " lat_p99_ms=%.3f lat_avg_ms=%.3f lat_max_ms=%.3f\n",
	       opt_conns, requests, gets, sets, hits, misses, errors, reconnects,
	       (t_end - t0) / 1000000, requests * 1e9 / (t_end - t0),
	       pct(50), pct(99), nlat ? lat_sum / 1000.0 / nlat : 0.0,
	       lat_max / 1000.0);
	return requests ? 0 : 1;
}

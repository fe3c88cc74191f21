// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-net-drv: a userspace vhost-net driver that plays VMM and guest at
 * once, to count the notifications (call eventfd signals) vhost_net sends
 * per packet, with and without notification coalescing.
 *
 * Layout of the test:
 *
 *   "host" side                       "guest" side (this process, too)
 *   AF_PACKET on tap --> tap --> vhost_net RX --> RX vring 0 --> rx guest
 *   AF_PACKET on tap <-- tap <-- vhost_net TX <-- TX vring 1 <-- tx guest
 *
 * All guest memory is one anonymous mapping registered with an identity
 * mapping (guest-physical address == userspace address).  Rings are split
 * virtqueues; features are VIRTIO_F_VERSION_1 and, by default,
 * VIRTIO_RING_F_EVENT_IDX.  With VERSION_1 the virtio-net header is the
 * 12-byte struct virtio_net_hdr_mrg_rxbuf even without MRG_RXBUF, and since
 * VHOST_NET_F_VIRTIO_NET_HDR is not negotiated the tap supplies/consumes
 * it, so the tap's vnet header size must be set to 12 as well.
 *
 * Each read() of a call eventfd returns the number of signals since the
 * previous read; their sum is the signal count we report.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include <linux/vhost_net_coalesce.h>	/* ours, from include/uapi */

/*
 * Everything else we use exists in the 6.1 linux-libc-dev headers of the
 * build machine; the one name that does not is the RX/TX vring numbering,
 * which lives in the kernel's drivers/vhost/net.c, not in the uAPI.
 */
#define VQ_RX		0
#define VQ_TX		1

#define VNET_HDR_LEN	((int)sizeof(struct virtio_net_hdr_mrg_rxbuf)) /* 12 */
#define BUF_SIZE	2048		/* per descriptor, both rings */
#define RING_ALIGN	4096
#define BURST_MAX	64		/* frames per pacing step */
#define POLL_NS		10000000ULL	/* consumer poll timeout: 10 ms */
#define DELAY_MAX_SAMPLES (16u << 20)	/* cap on recorded delays */
#define NSEC_PER_SEC	1000000000ULL
#define HELD_FRAMES	4		/* --held: frames a signal is held for */
#define HELD_CHAIN	8		/* --held starve, TX: descriptors a frame */
#define HELD_READS	5		/* --held debugfs: reads of each file */

/* Frame layout: Ethernet / IPv4 / UDP / payload. */
#define ETH_LEN		14
#define IP_LEN		20
#define UDP_LEN		8
#define HDRS_LEN	(ETH_LEN + IP_LEN + UDP_LEN)	/* 42 */
#define PAYLOAD_MIN	16	/* magic, seq, timestamp */
#define PAYLOAD_MAX	(1500 - IP_LEN - UDP_LEN)	/* 1472 */

#define MAGIC_RX	0x52444e56u	/* "VNDR": host -> guest */
#define MAGIC_TX	0x54444e56u	/* "VNDT": guest -> host */
#define PORT_RX		40000		/* UDP destination, host -> guest */
#define PORT_TX		40001		/* UDP destination, guest -> host */

static const uint8_t guest_mac[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x76, 0x6e, 0x67 };
static const uint8_t host_mac[ETH_ALEN]  = { 0x52, 0x54, 0x00, 0x76, 0x6e, 0x68 };
static const uint8_t guest_ip[4] = { 10, 99, 0, 2 };
static const uint8_t host_ip[4]  = { 10, 99, 0, 1 };

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define mb()			__atomic_thread_fence(__ATOMIC_SEQ_CST)

enum { MODE_RX = 1, MODE_TX = 2, MODE_BOTH = 3 };

/* One --coalesce / --coalesce-default request. */
struct coal_req {
	bool set;
	struct vhost_vring_coalesce c;
};

static struct config {
	int mode;
	double rate;		/* packets per second, 0: unpaced */
	double duration;	/* seconds */
	unsigned int size;	/* UDP payload bytes */
	unsigned int ring;
	bool event_idx;
	unsigned int kick_batch;
	bool always_kick;
	char tap[IFNAMSIZ];
	struct coal_req coal[2];
	unsigned int cycles;	/* 0: one normal run */
	unsigned int grace_ms;
	unsigned int watchdog_s;
	bool close_busy;	/* --cycles: tear down during traffic */
	bool kill_busy;		/* --cycles: SIGKILL the VMM during traffic */
	unsigned int swap_us;	/* 0: never swap the call eventfds */
	unsigned int seed;
	const char *held;	/* --held scenario, NULL: none */
	const char *knob;	/* --knob NAME=VALUE, NULL: none */
	bool notify_on_empty;	/* ack VIRTIO_F_NOTIFY_ON_EMPTY */
	unsigned int in_flight;	/* --closed-loop: frames in flight, 0: open */
	unsigned int burst;	/* --burst: frames paced as one, 1: evenly */
	unsigned int rx_posted;	/* RX buffers posted at setup, 0: all */
	bool verbose;
} cfg = {
	.mode = MODE_RX,
	.rate = 1000,
	.duration = 3,
	.size = 18,
	.ring = 256,
	.event_idx = true,
	.kick_batch = 1,
	.burst = 1,
	.tap = "vnd0",
	.grace_ms = 50,
};

/* One split virtqueue as seen by the driver. */
struct vq {
	unsigned int idx, num;
	struct vring vr;
	uint8_t *bufs;		/* num * BUF_SIZE */
	int kick_fd, call_fd;
	uint16_t avail_idx;	/* next avail index we will publish */
	uint16_t kick_old;	/* avail index at the last kick decision */
	uint16_t last_used;	/* next used entry to consume */
	uint16_t *free_ids;	/* TX: free descriptor stack */
	unsigned int nfree;
	/* counters */
	uint64_t signals;	/* sum of call eventfd counts */
	uint64_t wakeups;	/* reads of the call eventfd */
	uint64_t spurious;	/* wakeups that found nothing new */
	uint64_t kicks, kicks_suppressed;
	uint64_t unsignalled;	/* used entries left unsignalled at the end */
};

/* Per-direction receive bookkeeping: sequence numbers and delays. */
struct track {
	uint8_t *seen;		/* bitmap of received sequence numbers */
	uint64_t seen_bits;
	uint64_t received;	/* unique packets of ours */
	uint64_t dup, reorder, other;
	uint64_t next;		/* highest sequence seen + 1 */
	uint32_t *delay;	/* ns, clamped */
	size_t ndelay, delay_cap;
	uint64_t delay_sum;	/* ns */
};

static struct dev {
	int tap_fd, vhost_fd, ifindex;
	int inj_fd, cap_fd;
	void *mem;
	size_t mem_len;
	struct vq q[2];
	uint64_t features, acked_features, backend_features;
	bool backend_features_ok, coal_supported;
	struct vhost_vring_coalesce coal_get[2];
	bool coal_get_ok[2];

	/* run state */
	uint64_t start_ns, end_ns, n_target;
	int stop;		/* consumers stop */
	int rx_done, tx_done;	/* producers finished */
	uint64_t rx_sent, rx_send_err, rx_attempted;
	uint64_t tx_sent, tx_ring_full, tx_reclaim_opportunistic;
	uint64_t cap_err;
	struct track rx, tx;
	/* --swap-call: eventfd swaps, of which through fd -1 first */
	uint64_t call_swaps, call_swaps_none;
} dev;

static const char *volatile phase = "startup";	/* for the watchdog */

/* ---------------------------------------------------------------------- */
/* helpers                                                                  */

static void die(const char *what)
{
	int e = errno;

	fprintf(stderr, "vhost-net-drv: %s failed: %s (errno %d)\n",
		what, strerror(e), e);
	exit(1);
}

static void die_msg(const char *msg)
{
	fprintf(stderr, "vhost-net-drv: %s\n", msg);
	exit(1);
}

static void xioctl(int fd, unsigned long req, void *arg, const char *name)
{
	if (ioctl(fd, req, arg) < 0)
		die(name);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static struct timespec ns_to_ts(uint64_t ns)
{
	struct timespec ts = { ns / NSEC_PER_SEC, ns % NSEC_PER_SEC };

	return ts;
}

static void sleep_until(uint64_t ns)
{
	struct timespec ts = ns_to_ts(ns);

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void watchdog(int sig)
{
	char msg[256];
	int n;

	(void)sig;
	n = snprintf(msg, sizeof(msg),
		     "vhost-net-drv: watchdog: no completion within %u s (phase: %s), aborting\n",
		     cfg.watchdog_s, phase);
	if (write(STDERR_FILENO, msg, n) < 0)
		_exit(1);
	_exit(1);
}

/* ---------------------------------------------------------------------- */
/* frames                                                                   */

static uint16_t ip_csum(const uint8_t *p, int len)
{
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (p[0] << 8) | p[1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/*
 * Build the constant part of a frame (everything but magic, sequence and
 * timestamp).  Returns the frame length.  @tx: guest -> host direction.
 */
static int frame_init(uint8_t *f, bool tx)
{
	int ip_tot = IP_LEN + UDP_LEN + cfg.size;
	uint16_t sport = tx ? PORT_RX : PORT_TX, dport = tx ? PORT_TX : PORT_RX;
	uint8_t *ip = f + ETH_LEN, *udp = ip + IP_LEN;
	uint16_t c;
	unsigned int i;

	memcpy(f, tx ? host_mac : guest_mac, ETH_ALEN);
	memcpy(f + ETH_ALEN, tx ? guest_mac : host_mac, ETH_ALEN);
	f[12] = ETH_P_IP >> 8;
	f[13] = ETH_P_IP & 0xff;

	memset(ip, 0, IP_LEN);
	ip[0] = 0x45;
	ip[2] = ip_tot >> 8;
	ip[3] = ip_tot & 0xff;
	ip[6] = 0x40;			/* DF */
	ip[8] = 64;			/* TTL */
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, tx ? guest_ip : host_ip, 4);
	memcpy(ip + 16, tx ? host_ip : guest_ip, 4);
	c = ip_csum(ip, IP_LEN);
	ip[10] = c >> 8;
	ip[11] = c & 0xff;

	udp[0] = sport >> 8;
	udp[1] = sport & 0xff;
	udp[2] = dport >> 8;
	udp[3] = dport & 0xff;
	udp[4] = (UDP_LEN + cfg.size) >> 8;
	udp[5] = (UDP_LEN + cfg.size) & 0xff;
	udp[6] = udp[7] = 0;		/* no UDP checksum (IPv4) */

	for (i = PAYLOAD_MIN; i < cfg.size; i++)
		udp[UDP_LEN + i] = i;
	return HDRS_LEN + cfg.size;
}

/* Payload: magic, sequence number, CLOCK_MONOTONIC send time (host order). */
static void frame_stamp(uint8_t *f, bool tx, uint32_t seq, uint64_t ts)
{
	uint32_t magic = tx ? MAGIC_TX : MAGIC_RX;

	memcpy(f + HDRS_LEN, &magic, 4);
	memcpy(f + HDRS_LEN + 4, &seq, 4);
	memcpy(f + HDRS_LEN + 8, &ts, 8);
}

/* Is this one of our frames for direction @tx?  Extract seq and timestamp. */
static bool frame_parse(const uint8_t *f, size_t len, bool tx,
			uint32_t *seq, uint64_t *ts)
{
	uint16_t dport = tx ? PORT_TX : PORT_RX;
	uint32_t magic;

	if (len < HDRS_LEN + PAYLOAD_MIN)
		return false;
	if (f[12] != (ETH_P_IP >> 8) || f[13] != (ETH_P_IP & 0xff) ||
	    f[ETH_LEN + 9] != IPPROTO_UDP ||
	    f[ETH_LEN + IP_LEN + 2] != (dport >> 8) ||
	    f[ETH_LEN + IP_LEN + 3] != (dport & 0xff))
		return false;
	memcpy(&magic, f + HDRS_LEN, 4);
	if (magic != (tx ? MAGIC_TX : MAGIC_RX))
		return false;
	memcpy(seq, f + HDRS_LEN + 4, 4);
	memcpy(ts, f + HDRS_LEN + 8, 8);
	return true;
}

/* ---------------------------------------------------------------------- */
/* receive bookkeeping                                                      */

static void track_pkt(struct track *t, uint32_t seq, uint64_t delay)
{
	if (seq >= t->seen_bits) {
		uint64_t bits = t->seen_bits ? t->seen_bits : 1 << 16;
		uint8_t *p;

		while (bits <= seq)
			bits *= 2;
		p = realloc(t->seen, bits / 8);
		if (!p)
			die("realloc(seen bitmap)");
		memset(p + t->seen_bits / 8, 0, (bits - t->seen_bits) / 8);
		t->seen = p;
		t->seen_bits = bits;
	}
	if (t->seen[seq / 8] & (1u << (seq % 8))) {
		t->dup++;
		return;
	}
	t->seen[seq / 8] |= 1u << (seq % 8);
	__atomic_store_n(&t->received, t->received + 1, __ATOMIC_RELEASE);
	if (seq + 1ULL < t->next)
		t->reorder++;	/* arrived after a later sequence number */
	else
		t->next = seq + 1ULL;

	if (t->ndelay == t->delay_cap && t->delay_cap < DELAY_MAX_SAMPLES) {
		size_t cap = t->delay_cap ? t->delay_cap * 2 : 4096;
		uint32_t *p = realloc(t->delay, cap * sizeof(*p));

		if (!p)
			die("realloc(delays)");
		t->delay = p;
		t->delay_cap = cap;
	}
	if (delay > UINT32_MAX)
		delay = UINT32_MAX;
	if (t->ndelay < t->delay_cap)
		t->delay[t->ndelay++] = delay;
	t->delay_sum += delay;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void track_free(struct track *t)
{
	free(t->seen);
	free(t->delay);
	memset(t, 0, sizeof(*t));
}

/* ---------------------------------------------------------------------- */
/* virtqueue (driver side)                                                  */

static inline uint16_t vq_used_idx(struct vq *q)
{
	return __atomic_load_n(&q->vr.used->idx, __ATOMIC_ACQUIRE);
}

static inline void vq_publish(struct vq *q)
{
	__atomic_store_n(&q->vr.avail->idx, q->avail_idx, __ATOMIC_RELEASE);
}

/*
 * Tell the device it may stop signalling.  With event idx there is nothing
 * to do: vhost signals only when the used index crosses used_event, and we
 * do not move used_event while we process, so it fires at most once.
 */
static void vq_disable_cb(struct vq *q)
{
	if (!cfg.event_idx)
		WRITE_ONCE(q->vr.avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
}

/*
 * Re-enable signals (like virtqueue_enable_cb): ask for a signal on the
 * next used entry, then re-check the used ring.  The full barrier orders
 * our used_event/flags store before the used->idx load; vhost has the
 * mirror barrier between its used->idx store and its used_event load, so
 * either it sees our request and signals, or we see its entry here.
 * Returns true if entries are pending (the caller must process them).
 */
static bool vq_enable_cb(struct vq *q)
{
	if (cfg.event_idx)
		WRITE_ONCE(vring_used_event(&q->vr), q->last_used);
	else
		WRITE_ONCE(q->vr.avail->flags, 0);
	mb();
	return vq_used_idx(q) != q->last_used;
}

/*
 * Kick the device if it asked for it (like virtqueue_kick_prepare +
 * notify): avail_event with event idx, VRING_USED_F_NO_NOTIFY without.
 */
static void vq_kick(struct vq *q)
{
	uint16_t new = q->avail_idx, old = q->kick_old;
	uint64_t one = 1;
	bool need;

	if (new == old)
		return;
	mb();	/* avail->idx store before avail_event / flags load */
	if (cfg.always_kick)
		need = true;
	else if (cfg.event_idx)
		need = vring_need_event(READ_ONCE(vring_avail_event(&q->vr)),
					new, old);
	else
		need = !(READ_ONCE(q->vr.used->flags) & VRING_USED_F_NO_NOTIFY);
	q->kick_old = new;
	if (!need) {
		q->kicks_suppressed++;
		return;
	}
	if (write(q->kick_fd, &one, sizeof(one)) != sizeof(one))
		die("write(kick eventfd)");
	q->kicks++;
}

/* Consume pending call eventfd signals; returns the count (0: none). */
static uint64_t vq_read_call(struct vq *q)
{
	uint64_t cnt;

	if (read(q->call_fd, &cnt, sizeof(cnt)) != sizeof(cnt)) {
		if (errno == EAGAIN)
			return 0;
		die("read(call eventfd)");
	}
	q->signals += cnt;
	q->wakeups++;
	return cnt;
}

static int vq_wait(struct vq *q, uint64_t timeout_ns)
{
	struct pollfd pfd = { .fd = q->call_fd, .events = POLLIN };
	struct timespec ts = ns_to_ts(timeout_ns);
	int r = ppoll(&pfd, 1, &ts, NULL);

	if (r < 0 && errno != EINTR)
		die("ppoll(call eventfd)");
	return r > 0;
}

/* ---------------------------------------------------------------------- */
/* RX: host injector and guest driver                                       */

/* Number of packets that should have been sent at time @now. */
static uint64_t pace_due(uint64_t now)
{
	double due;

	if (cfg.rate <= 0)
		return dev.n_target;
	due = (double)(now - dev.start_ns) * cfg.rate / 1e9 / cfg.burst;
	due = ((uint64_t)due + 1) * (double)cfg.burst;
	return due < (double)dev.n_target ? (uint64_t)due : dev.n_target;
}

/* When frame @i is due: frames go in --burst groups, back to back. */
static uint64_t pace_time(uint64_t i)
{
	return dev.start_ns +
	       (uint64_t)(i / cfg.burst * cfg.burst * 1e9 / cfg.rate);
}

/*
 * A paced producer sends exactly rate * duration packets, even if sleeps
 * overshoot a little (they do under TCG); if it falls behind it gives up
 * at end_ns, the end of --duration plus 10% and 20 ms.  Unpaced producers
 * stop at the end of --duration.
 */
static bool producer_done(uint64_t i, uint64_t now)
{
	return i >= dev.n_target || now >= READ_ONCE(dev.end_ns);
}

/* Where the host injects frames for the guest: the tap, to its MAC. */
static struct sockaddr_ll inject_addr(void)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = dev.ifindex,
		.sll_halen = ETH_ALEN,
	};

	memcpy(sll.sll_addr, guest_mac, ETH_ALEN);
	return sll;
}

static void *rx_inject_thread(void *arg)
{
	struct sockaddr_ll sll = inject_addr();
	uint8_t frame[HDRS_LEN + PAYLOAD_MAX];
	uint64_t i = 0, sent = 0, err = 0;
	int len;

	(void)arg;
	len = frame_init(frame, false);

	for (;;) {
		uint64_t now = now_ns(), due;
		unsigned int burst = 0;

		if (producer_done(i, now))
			break;
		due = pace_due(now);
		while (i < due && burst++ < BURST_MAX) {
			/* Closed loop: the next frame once the guest has one. */
			if (cfg.in_flight &&
			    i - __atomic_load_n(&dev.rx.received,
						__ATOMIC_ACQUIRE) >= cfg.in_flight)
				break;
			frame_stamp(frame, false, i++, now_ns());
			if (sendto(dev.inj_fd, frame, len, 0,
				   (struct sockaddr *)&sll, sizeof(sll)) == len)
				sent++;
			else
				err++;
		}
		if (cfg.in_flight && i < due) {
			usleep(20);	/* waiting for the guest */
			continue;
		}
		if (i < due || cfg.rate <= 0)
			continue;	/* behind schedule: no sleep */
		sleep_until(pace_time(i));
	}
	dev.rx_attempted = i;
	dev.rx_sent = sent;
	dev.rx_send_err = err;
	__atomic_store_n(&dev.rx_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Process the RX used ring: account our frames, re-post every buffer.
 * @seen: time the driver saw the signal that delivered these entries.
 */
static unsigned int rx_drain(struct vq *q, uint64_t seen)
{
	uint16_t used = vq_used_idx(q);
	unsigned int n = 0;

	while (q->last_used != used) {
		struct vring_used_elem *e = &q->vr.used->ring[q->last_used % q->num];
		uint32_t id = e->id, len = e->len, seq;
		uint64_t ts;
		uint8_t *buf;

		if (id >= q->num || len > BUF_SIZE)
			die_msg("RX used ring: bad descriptor id or length");
		buf = q->bufs + (size_t)id * BUF_SIZE;
		if (len >= (uint32_t)VNET_HDR_LEN &&
		    frame_parse(buf + VNET_HDR_LEN, len - VNET_HDR_LEN, false,
				&seq, &ts))
			track_pkt(&dev.rx, seq, seen > ts ? seen - ts : 0);
		else
			dev.rx.other++;

		/* Descriptors are fixed (desc[i] -> buffer i): re-post id. */
		q->vr.avail->ring[q->avail_idx++ % q->num] = id;
		q->last_used++;
		n++;
		if (q->last_used == used)
			used = vq_used_idx(q);
	}
	if (n) {
		vq_publish(q);
		vq_kick(q);
	}
	return n;
}

static void rx_handle_signal(struct vq *q)
{
	uint64_t seen = now_ns();
	unsigned int n = 0;

	vq_disable_cb(q);
	do {
		n += rx_drain(q, seen);
		seen = now_ns();
	} while (vq_enable_cb(q));
	if (!n)
		q->spurious++;
}

static void *rx_guest_thread(void *arg)
{
	struct vq *q = &dev.q[VQ_RX];

	(void)arg;
	while (!__atomic_load_n(&dev.stop, __ATOMIC_ACQUIRE)) {
		if (vq_wait(q, POLL_NS) && vq_read_call(q))
			rx_handle_signal(q);
	}
	/* A signal may have raced with the stop request. */
	if (vq_read_call(q))
		rx_handle_signal(q);
	q->unsignalled = (uint16_t)(vq_used_idx(q) - q->last_used);
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* TX: guest driver and host receiver                                       */

static unsigned int tx_reclaim(struct vq *q)
{
	uint16_t used = vq_used_idx(q);
	unsigned int n = 0;

	while (q->last_used != used) {
		uint32_t id = q->vr.used->ring[q->last_used % q->num].id;

		if (id >= q->num || q->nfree >= q->num)
			die_msg("TX used ring: bad or duplicate descriptor id");
		q->free_ids[q->nfree++] = id;
		q->last_used++;
		n++;
		if (q->last_used == used)
			used = vq_used_idx(q);
	}
	return n;
}

/* Reclaim and keep signals enabled for the next completion. */
static unsigned int tx_reclaim_enable(struct vq *q)
{
	unsigned int n = 0;

	do {
		n += tx_reclaim(q);
	} while (vq_enable_cb(q));
	return n;
}

static void *tx_guest_thread(void *arg)
{
	struct vq *q = &dev.q[VQ_TX];
	uint8_t tmpl[HDRS_LEN + PAYLOAD_MAX];
	unsigned int pending = 0;
	uint64_t i = 0;
	bool done = false;
	int len;

	(void)arg;
	len = frame_init(tmpl, true);

	for (;;) {
		uint64_t now = now_ns(), timeout = POLL_NS, due = 0;
		bool full = false, waiting = false;

		if (!done && producer_done(i, now)) {
			done = true;
			vq_kick(q);	/* flush a partial --kick-batch */
			dev.tx_sent = i;
			__atomic_store_n(&dev.tx_done, 1, __ATOMIC_RELEASE);
		}
		if (!done) {
			unsigned int burst = 0;

			/*
			 * Opportunistic reclaim, like a driver's start_xmit;
			 * closed loop: a frame's completion signal frees it.
			 */
			if (!cfg.in_flight)
				dev.tx_reclaim_opportunistic +=
					tx_reclaim_enable(q);
			due = pace_due(now);
			while (i < due && burst++ < BURST_MAX) {
				uint16_t id;
				uint8_t *buf;

				if (cfg.in_flight &&
				    q->num - q->nfree >= cfg.in_flight) {
					waiting = true;
					break;
				}
				if (!q->nfree) {
					full = true;
					dev.tx_ring_full++;
					break;
				}
				id = q->free_ids[--q->nfree];
				buf = q->bufs + (size_t)id * BUF_SIZE;
				memset(buf, 0, VNET_HDR_LEN);
				memcpy(buf + VNET_HDR_LEN, tmpl, len);
				frame_stamp(buf + VNET_HDR_LEN, true, i++, now_ns());
				q->vr.desc[id].len = VNET_HDR_LEN + len;
				q->vr.avail->ring[q->avail_idx++ % q->num] = id;
				vq_publish(q);
				if (++pending >= cfg.kick_batch) {
					vq_kick(q);
					pending = 0;
				}
			}
			if ((full || waiting) && pending) {
				/* The device must see everything or we stall. */
				vq_kick(q);
				pending = 0;
			}
			if (waiting) {
				timeout = POLL_NS;	/* for the signal */
			} else if (!full && i >= due && cfg.rate > 0 &&
				   i < dev.n_target) {
				uint64_t next = pace_time(i);

				now = now_ns();
				timeout = next > now ? next - now : 0;
			} else if (!full) {
				timeout = 0;	/* behind schedule / unpaced */
			}
		} else if (__atomic_load_n(&dev.stop, __ATOMIC_ACQUIRE)) {
			break;
		}

		if (vq_wait(q, timeout) && vq_read_call(q)) {
			vq_disable_cb(q);
			if (!tx_reclaim_enable(q))
				q->spurious++;
		}
	}
	if (vq_read_call(q) && !tx_reclaim_enable(q))
		q->spurious++;
	q->unsignalled = (uint16_t)(vq_used_idx(q) - q->last_used);
	return NULL;
}

static void cap_one(uint8_t *buf, ssize_t n, const struct sockaddr_ll *from)
{
	uint64_t now = now_ns(), ts;
	uint32_t seq;

	/* Our own RX injection leaves through the tap as PACKET_OUTGOING. */
	if (from->sll_pkttype == PACKET_OUTGOING)
		return;
	if (frame_parse(buf, n, true, &seq, &ts))
		track_pkt(&dev.tx, seq, now > ts ? now - ts : 0);
	else
		dev.tx.other++;
}

static void *tx_capture_thread(void *arg)
{
	uint8_t buf[BUF_SIZE];
	struct sockaddr_ll from;
	socklen_t fl;
	ssize_t n;

	(void)arg;
	while (!__atomic_load_n(&dev.stop, __ATOMIC_ACQUIRE)) {
		fl = sizeof(from);
		n = recvfrom(dev.cap_fd, buf, sizeof(buf), 0,
			     (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				dev.cap_err++;
			continue;
		}
		cap_one(buf, n, &from);
	}
	/* Whatever is already queued on the socket still counts. */
	for (;;) {
		fl = sizeof(from);
		n = recvfrom(dev.cap_fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fl);
		if (n < 0)
			break;
		cap_one(buf, n, &from);
	}
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* setup and teardown                                                       */

static void tap_setup(void)
{
	struct ifreq ifr;
	int hdr_len = VNET_HDR_LEN, s, fd;
	char path[128];

	phase = "tap setup";
	dev.tap_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (dev.tap_fd < 0)
		die("open(/dev/net/tun)");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, cfg.tap, IFNAMSIZ);	/* NUL-terminated */
	xioctl(dev.tap_fd, TUNSETIFF, &ifr, "ioctl(TUNSETIFF)");
	/* Must match vhost's sock_hlen: 12 with VERSION_1 (default is 10). */
	xioctl(dev.tap_fd, TUNSETVNETHDRSZ, &hdr_len, "ioctl(TUNSETVNETHDRSZ)");

	/*
	 * Keep the stack quiet on the tap (no IPv6 DAD/MLD/RS frames landing
	 * in the RX ring and adding signals).  Best effort.
	 */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 cfg.tap);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1\n", 2) < 0 && cfg.verbose)
			perror("vhost-net-drv: disable_ipv6");
		close(fd);
	}

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		die("socket(AF_INET, SOCK_DGRAM)");
	xioctl(s, SIOCGIFINDEX, &ifr, "ioctl(SIOCGIFINDEX)");
	dev.ifindex = ifr.ifr_ifindex;
	xioctl(s, SIOCGIFFLAGS, &ifr, "ioctl(SIOCGIFFLAGS)");
	ifr.ifr_flags |= IFF_UP;
	xioctl(s, SIOCSIFFLAGS, &ifr, "ioctl(SIOCSIFFLAGS, IFF_UP)");
	close(s);
}

static void sockets_setup(void)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = dev.ifindex,
	};
	struct timeval tv = { .tv_sec = 0, .tv_usec = 20000 };
	int rcvbuf = 8 << 20;

	phase = "socket setup";
	/* Injection: protocol 0, so this socket never receives anything. */
	dev.inj_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (dev.inj_fd < 0)
		die("socket(AF_PACKET, SOCK_RAW) for injection");
	if (bind(dev.inj_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("bind(AF_PACKET injection socket)");
	tv.tv_usec = 100000;
	if (setsockopt(dev.inj_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		die("setsockopt(SO_SNDTIMEO)");

	dev.cap_fd = -1;
	if (!(cfg.mode & MODE_TX))
		return;
	dev.cap_fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (dev.cap_fd < 0)
		die("socket(AF_PACKET, SOCK_RAW, ETH_P_ALL)");
	sll.sll_protocol = htons(ETH_P_ALL);
	if (bind(dev.cap_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		die("bind(AF_PACKET capture socket)");
	if (setsockopt(dev.cap_fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0 &&
	    setsockopt(dev.cap_fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		die("setsockopt(SO_RCVBUF)");
	tv.tv_usec = 20000;
	if (setsockopt(dev.cap_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		die("setsockopt(SO_RCVTIMEO)");
}

static size_t ring_bytes(void)
{
	size_t sz = vring_size(cfg.ring, RING_ALIGN);

	return (sz + RING_ALIGN - 1) & ~(size_t)(RING_ALIGN - 1);
}

static void vq_setup(struct vq *q, unsigned int idx, uint8_t *ring, uint8_t *bufs)
{
	struct vhost_vring_state st = { .index = idx, .num = cfg.ring };
	struct vhost_vring_file f = { .index = idx };
	struct vhost_vring_addr addr = { .index = idx };
	unsigned int i;

	memset(q, 0, sizeof(*q));
	q->idx = idx;
	q->num = cfg.ring;
	q->bufs = bufs;
	vring_init(&q->vr, q->num, ring, RING_ALIGN);

	q->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	q->call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (q->kick_fd < 0 || q->call_fd < 0)
		die("eventfd");

	for (i = 0; i < q->num; i++) {
		q->vr.desc[i].addr = (uintptr_t)(bufs + (size_t)i * BUF_SIZE);
		q->vr.desc[i].len = BUF_SIZE;
		q->vr.desc[i].flags = idx == VQ_RX ? VRING_DESC_F_WRITE : 0;
	}
	if (idx == VQ_RX) {
		unsigned int n = cfg.rx_posted ? cfg.rx_posted : q->num;

		/* Post every buffer (or --rx-posted of them) up front. */
		for (i = 0; i < n; i++)
			q->vr.avail->ring[i] = i;
		q->avail_idx = n;
		vq_publish(q);
	} else {
		q->free_ids = calloc(q->num, sizeof(*q->free_ids));
		if (!q->free_ids)
			die("calloc(free ids)");
		for (i = 0; i < q->num; i++)
			q->free_ids[i] = q->num - 1 - i;
		q->nfree = q->num;
	}
	/* Ask for a signal on the first used entry. */
	vq_enable_cb(q);

	xioctl(dev.vhost_fd, VHOST_SET_VRING_NUM, &st, "ioctl(VHOST_SET_VRING_NUM)");
	st.num = 0;
	xioctl(dev.vhost_fd, VHOST_SET_VRING_BASE, &st, "ioctl(VHOST_SET_VRING_BASE)");
	addr.desc_user_addr = (uintptr_t)q->vr.desc;
	addr.avail_user_addr = (uintptr_t)q->vr.avail;
	addr.used_user_addr = (uintptr_t)q->vr.used;
	xioctl(dev.vhost_fd, VHOST_SET_VRING_ADDR, &addr, "ioctl(VHOST_SET_VRING_ADDR)");
	f.fd = q->kick_fd;
	xioctl(dev.vhost_fd, VHOST_SET_VRING_KICK, &f, "ioctl(VHOST_SET_VRING_KICK)");
	f.fd = q->call_fd;
	xioctl(dev.vhost_fd, VHOST_SET_VRING_CALL, &f, "ioctl(VHOST_SET_VRING_CALL)");
}

static const char *ring_name(unsigned int idx)
{
	return idx == VQ_RX ? "rx" : "tx";
}

static void coalesce_setup(void)
{
	char what[96];
	unsigned int i;

	phase = "coalesce setup";
	for (i = 0; i < 2; i++) {
		struct vhost_vring_coalesce c;

		if (!cfg.coal[i].set)
			continue;
		c = cfg.coal[i].c;
		c.index = i;
		snprintf(what, sizeof(what),
			 "ioctl(VHOST_NET_SET_VRING_COALESCE, %s)%s", ring_name(i),
			 dev.coal_supported ? "" :
			 " [VHOST_BACKEND_F_NET_COALESCE not advertised]");
		xioctl(dev.vhost_fd, VHOST_NET_SET_VRING_COALESCE, &c, what);
	}
	if (!dev.coal_supported)
		return;
	for (i = 0; i < 2; i++) {
		memset(&dev.coal_get[i], 0, sizeof(dev.coal_get[i]));
		dev.coal_get[i].index = i;
		dev.coal_get_ok[i] = ioctl(dev.vhost_fd, VHOST_NET_GET_VRING_COALESCE,
					   &dev.coal_get[i]) == 0;
		if (!dev.coal_get_ok[i] && cfg.verbose)
			fprintf(stderr, "vhost-net-drv: VHOST_NET_GET_VRING_COALESCE(%s): %s\n",
				ring_name(i), strerror(errno));
	}
}

static void dev_setup(void)
{
	uint64_t want = 1ULL << VIRTIO_F_VERSION_1;
	struct vhost_memory *mem;
	struct vhost_vring_file be;
	size_t rb = ring_bytes(), bb = (size_t)cfg.ring * BUF_SIZE;
	uint8_t *p;
	unsigned int i;

	tap_setup();
	sockets_setup();

	phase = "vhost setup";
	dev.vhost_fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (dev.vhost_fd < 0)
		die("open(/dev/vhost-net)");
	xioctl(dev.vhost_fd, VHOST_SET_OWNER, NULL, "ioctl(VHOST_SET_OWNER)");

	xioctl(dev.vhost_fd, VHOST_GET_FEATURES, &dev.features, "ioctl(VHOST_GET_FEATURES)");
	if (cfg.event_idx)
		want |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (cfg.notify_on_empty)
		want |= 1ULL << VIRTIO_F_NOTIFY_ON_EMPTY;
	if ((dev.features & want) != want) {
		fprintf(stderr, "vhost-net-drv: vhost-net lacks features 0x%llx (has 0x%llx)\n",
			(unsigned long long)(want & ~dev.features),
			(unsigned long long)dev.features);
		exit(1);
	}
	xioctl(dev.vhost_fd, VHOST_SET_FEATURES, &want, "ioctl(VHOST_SET_FEATURES)");
	dev.acked_features = want;

	/* Discovery only: we do not ack backend features. */
	dev.backend_features_ok = ioctl(dev.vhost_fd, VHOST_GET_BACKEND_FEATURES,
					&dev.backend_features) == 0;
	dev.coal_supported = dev.backend_features_ok &&
		(dev.backend_features & (1ULL << VHOST_BACKEND_F_NET_COALESCE));

	/* Guest memory: RX ring, TX ring, RX buffers, TX buffers. */
	dev.mem_len = 2 * rb + 2 * bb;
	dev.mem = mmap(NULL, dev.mem_len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (dev.mem == MAP_FAILED)
		die("mmap(guest memory)");
	mem = calloc(1, sizeof(*mem) + sizeof(mem->regions[0]));
	if (!mem)
		die("calloc(vhost_memory)");
	mem->nregions = 1;
	mem->regions[0].guest_phys_addr = (uintptr_t)dev.mem;	/* identity */
	mem->regions[0].userspace_addr = (uintptr_t)dev.mem;
	mem->regions[0].memory_size = dev.mem_len;
	xioctl(dev.vhost_fd, VHOST_SET_MEM_TABLE, mem, "ioctl(VHOST_SET_MEM_TABLE)");
	free(mem);

	p = dev.mem;
	vq_setup(&dev.q[VQ_RX], VQ_RX, p, p + 2 * rb);
	vq_setup(&dev.q[VQ_TX], VQ_TX, p + rb, p + 2 * rb + bb);

	for (i = 0; i < 2; i++) {
		be.index = i;
		be.fd = dev.tap_fd;
		xioctl(dev.vhost_fd, VHOST_NET_SET_BACKEND, &be,
		       "ioctl(VHOST_NET_SET_BACKEND)");
	}
	/* The RX ring is full of buffers: let vhost know. */
	vq_kick(&dev.q[VQ_RX]);

	coalesce_setup();
}

static void read_coal_stats(struct vhost_vring_coalesce_stats st[2], bool ok[2])
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		memset(&st[i], 0, sizeof(st[i]));
		st[i].index = i;
		ok[i] = dev.coal_supported &&
			ioctl(dev.vhost_fd, VHOST_NET_GET_VRING_COALESCE_STATS, &st[i]) == 0;
		if (dev.coal_supported && !ok[i])
			fprintf(stderr, "vhost-net-drv: warning: VHOST_NET_GET_VRING_COALESCE_STATS(%s): %s (errno %d)\n",
				ring_name(i), strerror(errno), errno);
	}
}

/*
 * Teardown styles, rotated by --cycles to exercise different paths:
 *   0: close the vhost fd with everything attached (timer maybe armed)
 *   1: detach the backend (fd -1) on both rings, then close
 *   2: VHOST_RESET_OWNER, then close
 */
static const char *const teardown_names[] = { "close", "detach", "reset_owner" };

static void dev_teardown_vhost(int style)
{
	unsigned int i;

	phase = "teardown";
	if (style == 1) {
		for (i = 0; i < 2; i++) {
			struct vhost_vring_file be = { .index = i, .fd = -1 };

			xioctl(dev.vhost_fd, VHOST_NET_SET_BACKEND, &be,
			       "ioctl(VHOST_NET_SET_BACKEND, -1)");
		}
	} else if (style == 2) {
		xioctl(dev.vhost_fd, VHOST_RESET_OWNER, NULL, "ioctl(VHOST_RESET_OWNER)");
	}
	close(dev.vhost_fd);
	dev.vhost_fd = -1;
}

/* What is left once the vhost device is gone and the threads stopped. */
static void dev_teardown_rest(void)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		close(dev.q[i].kick_fd);
		close(dev.q[i].call_fd);
		free(dev.q[i].free_ids);
	}
	close(dev.inj_fd);
	if (dev.cap_fd >= 0)
		close(dev.cap_fd);
	close(dev.tap_fd);
	munmap(dev.mem, dev.mem_len);
}

static void dev_teardown(int style)
{
	dev_teardown_vhost(style);
	dev_teardown_rest();
}

/* ---------------------------------------------------------------------- */
/* --swap-call: replace the call eventfds under traffic                     */

/*
 * Give ring @q a new call eventfd while vhost may hold a signal for it
 * (timer armed): VHOST_SET_VRING_CALL to the new one (first to -1, no
 * eventfd at all, for a moment, if @via_none), then move it onto the
 * descriptor number the ring's guest thread polls (dup2: a poll in
 * progress finishes on the old file) and wake that thread once, since a
 * signal sent to the old eventfd (or to none) is gone.  The guest
 * re-checks its used ring on every wakeup, so nothing is lost; the
 * extra wakeups count as signals (call_swaps says how many).
 */
static void swap_call(struct vq *q, bool via_none)
{
	struct vhost_vring_file f = { .index = q->idx, .fd = -1 };
	uint64_t one = 1;
	int nfd;

	nfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (nfd < 0)
		die("eventfd (--swap-call)");
	if (via_none) {
		xioctl(dev.vhost_fd, VHOST_SET_VRING_CALL, &f,
		       "ioctl(VHOST_SET_VRING_CALL, -1)");
		usleep(cfg.swap_us / 2 + 1);
		__atomic_fetch_add(&dev.call_swaps_none, 1, __ATOMIC_RELAXED);
	}
	f.fd = nfd;
	xioctl(dev.vhost_fd, VHOST_SET_VRING_CALL, &f,
	       "ioctl(VHOST_SET_VRING_CALL, swap)");
	if (dup2(nfd, q->call_fd) < 0)
		die("dup2(call eventfd)");
	close(nfd);
	if (write(q->call_fd, &one, sizeof(one)) != sizeof(one))
		die("write(call eventfd, swap wakeup)");
	__atomic_fetch_add(&dev.call_swaps, 1, __ATOMIC_RELAXED);
}

static int swap_stop;
static bool swap_running;

static void *swap_thread(void *arg)
{
	unsigned int n = 0, i;

	(void)arg;
	while (!__atomic_load_n(&swap_stop, __ATOMIC_ACQUIRE)) {
		usleep(cfg.swap_us);
		for (i = 0; i < 2; i++)
			if (cfg.mode & (i == VQ_RX ? MODE_RX : MODE_TX))
				swap_call(&dev.q[i], n & 1);
		n++;
	}
	return NULL;
}

/* ---------------------------------------------------------------------- */
/* measurement                                                              */

struct csw {
	struct rusage ru;
	long vhost_vol, vhost_invol;	/* -1: worker not found */
};

/* The vhost worker is a thread of ours (vhost_task) named vhost-<pid>. */
static void vhost_worker_csw(long *vol, long *invol)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/task");
	char path[300], line[128];

	*vol = *invol = -1;
	if (!d)
		return;
	while ((de = readdir(d))) {
		FILE *f;
		bool worker = false;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		/* "vhost-<digits>": not our own main thread "vhost-net-drv" */
		if (fgets(line, sizeof(line), f) && !strncmp(line, "vhost-", 6) &&
		    line[6] >= '0' && line[6] <= '9')
			worker = true;
		fclose(f);
		if (!worker)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			sscanf(line, "voluntary_ctxt_switches: %ld", vol);
			sscanf(line, "nonvoluntary_ctxt_switches: %ld", invol);
		}
		fclose(f);
		break;
	}
	closedir(d);
}

static void csw_sample(struct csw *c)
{
	getrusage(RUSAGE_SELF, &c->ru);
	vhost_worker_csw(&c->vhost_vol, &c->vhost_invol);
}

static double tv_ms(struct timeval a, struct timeval b)
{
	return (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_usec - a.tv_usec) / 1e3;
}

/* Grace period: 50 ms (--grace) plus the longest coalescing delay. */
static uint64_t grace_ns(void)
{
	uint64_t us = 0;
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (cfg.coal[i].set && cfg.coal[i].c.usecs > us)
			us = cfg.coal[i].c.usecs;
		if (dev.coal_get_ok[i] && dev.coal_get[i].usecs > us)
			us = dev.coal_get[i].usecs;
	}
	return cfg.grace_ms * 1000000ULL + us * 1000;
}

static void start_thread(pthread_t *t, void *(*fn)(void *))
{
	int e = pthread_create(t, NULL, fn, NULL);

	if (e) {
		errno = e;
		die("pthread_create");
	}
}

static pthread_t t_inj, t_rxg, t_txg, t_cap, t_swap;

/* Start the traffic threads (and the --swap-call thread). */
static void traffic_start(void)
{
	memset(&dev.rx, 0, sizeof(dev.rx));
	memset(&dev.tx, 0, sizeof(dev.tx));
	dev.stop = dev.rx_done = dev.tx_done = 0;
	dev.rx_sent = dev.rx_send_err = dev.rx_attempted = 0;
	dev.tx_sent = dev.tx_ring_full = dev.tx_reclaim_opportunistic = 0;
	dev.cap_err = 0;
	dev.n_target = cfg.rate > 0 ? (uint64_t)llround(cfg.rate * cfg.duration)
				    : UINT32_MAX;
	if (dev.n_target > UINT32_MAX)
		dev.n_target = UINT32_MAX;

	phase = "traffic";
	/* Consumers first so nothing is missed. */
	start_thread(&t_rxg, rx_guest_thread);
	if (cfg.mode & MODE_TX)
		start_thread(&t_cap, tx_capture_thread);
	dev.start_ns = now_ns();
	dev.end_ns = dev.start_ns + (uint64_t)(cfg.duration * 1e9);
	if (cfg.rate > 0)
		dev.end_ns += (uint64_t)(cfg.duration * 1e8) + 20000000ULL;
	if (cfg.mode & MODE_RX)
		start_thread(&t_inj, rx_inject_thread);
	else
		dev.rx_done = 1;
	if (cfg.mode & MODE_TX)
		start_thread(&t_txg, tx_guest_thread);
	else
		dev.tx_done = 1;
	swap_stop = 0;
	swap_running = cfg.swap_us;
	if (swap_running)
		start_thread(&t_swap, swap_thread);
}

static void swap_end(void)
{
	if (!swap_running)
		return;
	__atomic_store_n(&swap_stop, 1, __ATOMIC_RELEASE);
	pthread_join(t_swap, NULL);
	swap_running = false;
}

/* Wait for the producers; returns when they were done. */
static uint64_t traffic_wait(void)
{
	while (!__atomic_load_n(&dev.rx_done, __ATOMIC_ACQUIRE) ||
	       !__atomic_load_n(&dev.tx_done, __ATOMIC_ACQUIRE))
		usleep(1000);
	swap_end();
	return now_ns();
}

/* Drain for @grace after @done_ns, then stop and join the consumers. */
static void traffic_stop(uint64_t done_ns, uint64_t grace)
{
	if (cfg.mode & MODE_RX)
		pthread_join(t_inj, NULL);

	/* Let delayed notifications arrive before judging loss. */
	phase = "grace period";
	if (grace)
		sleep_until(done_ns + grace);
	__atomic_store_n(&dev.stop, 1, __ATOMIC_RELEASE);
	phase = "stopping threads";
	pthread_join(t_rxg, NULL);
	if (cfg.mode & MODE_TX) {
		pthread_join(t_txg, NULL);
		pthread_join(t_cap, NULL);
	}
}

/*
 * Run traffic for one setup.  @grace: drain time after the producers are
 * done.  Returns the traffic time in seconds (start to producers done).
 */
static double run_traffic(uint64_t grace)
{
	uint64_t done_ns;

	traffic_start();
	sleep_until(dev.start_ns + (uint64_t)(cfg.duration * 1e9));
	done_ns = traffic_wait();
	traffic_stop(done_ns, grace);
	return (done_ns - dev.start_ns) / 1e9;
}

/*
 * --close-busy: tear the vhost device down (@style) at a random moment
 * of the traffic, with the producers still queueing frames and kicking
 * (work queued) and signals held (timers armed); then stop the threads.
 * The coalescing stats are read just before.
 */
static void run_busy(int style, struct vhost_vring_coalesce_stats st[2],
		     bool ok[2])
{
	double frac = 0.2 + 0.8 * rand_r(&cfg.seed) / (double)RAND_MAX;

	traffic_start();
	sleep_until(dev.start_ns + (uint64_t)(cfg.duration * 1e9 * frac));
	swap_end();
	read_coal_stats(st, ok);
	dev_teardown_vhost(style);
	/* The producers stop now; what they queued is never used. */
	WRITE_ONCE(dev.end_ns, now_ns());
	traffic_stop(traffic_wait(), 0);
}

/* ---------------------------------------------------------------------- */
/* our vhost_net's debugfs                                                  */

/*
 * Our vhost_net's debugfs file of ring @ring of process @pid's device,
 * vhost_net/<pid>-<n>/<ring>, into @path; false if there is none (stock
 * vhost_net, no debugfs, device gone).
 */
static bool debugfs_path(pid_t pid, const char *ring, char *path, size_t len)
{
	char pat[96];
	bool found;
	glob_t g;

	snprintf(pat, sizeof(pat), "/sys/kernel/debug/vhost_net/%d-*/%s",
		 (int)pid, ring);
	found = !glob(pat, 0, NULL, &g) && g.gl_pathc;
	if (found)
		snprintf(path, len, "%s", g.gl_pathv[0]);
	globfree(&g);
	return found;
}

/* One open and read of debugfs file @path (one show), NUL-terminated. */
static bool debugfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n = 0;

	if (fd < 0)
		return false;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = 0;
	return n >= 0;
}

/* The N of a line "@key: N" in what debugfs_read() returned, -1 if none. */
static long debugfs_value(const char *buf, const char *key)
{
	size_t kl = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (!strncmp(p, key, kl) && p[kl] == ':')
			return strtol(p + kl + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* The <n> of this process's device, vhost_net/<pid>-<n>; -1 if none. */
static long debugfs_dev_id(void)
{
	char path[PATH_MAX];
	const char *p;

	if (!debugfs_path(getpid(), "rx", path, sizeof(path)))
		return -1;
	p = strrchr(path, '-');
	return p ? strtol(p + 1, NULL, 10) : -1;
}

/* ---------------------------------------------------------------------- */
/* output                                                                   */

#define KV(key, fmt, ...)	printf("%s=" fmt "\n", key, __VA_ARGS__)

static double per(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static void print_dir(const char *d, struct track *t, struct vq *q,
		      uint64_t sent, double secs)
{
	char k[64];
	double p50 = 0, p99 = 0, max = 0, avg = 0;

#define KEY(name)	(snprintf(k, sizeof(k), "%s_%s", d, name), k)
	if (t->ndelay) {
		qsort(t->delay, t->ndelay, sizeof(*t->delay), cmp_u32);
		p50 = t->delay[(t->ndelay - 1) / 2] / 1e3;
		p99 = t->delay[(size_t)ceil(t->ndelay * 0.99) - 1] / 1e3;
		max = t->delay[t->ndelay - 1] / 1e3;
		avg = t->delay_sum / 1e3 / t->received;
	}
	KV(KEY("sent"), "%llu", (unsigned long long)sent);
	KV(KEY("send_rate"), "%.1f", per(sent, secs));
	KV(KEY("received"), "%llu", (unsigned long long)t->received);
	KV(KEY("lost"), "%llu", (unsigned long long)(sent > t->received ?
						      sent - t->received : 0));
	KV(KEY("dup"), "%llu", (unsigned long long)t->dup);
	KV(KEY("reorder"), "%llu", (unsigned long long)t->reorder);
	KV(KEY("other"), "%llu", (unsigned long long)t->other);
	KV(KEY("signals"), "%llu", (unsigned long long)q->signals);
	KV(KEY("signals_per_pkt"), "%.4f", per(q->signals, t->received));
	KV(KEY("wakeups"), "%llu", (unsigned long long)q->wakeups);
	KV(KEY("spurious_wakeups"), "%llu", (unsigned long long)q->spurious);
	KV(KEY("unsignalled"), "%llu", (unsigned long long)q->unsignalled);
	KV(KEY("kicks"), "%llu", (unsigned long long)q->kicks);
	KV(KEY("kicks_suppressed"), "%llu", (unsigned long long)q->kicks_suppressed);
	KV(KEY("kicks_per_pkt"), "%.4f", per(q->kicks, sent ? sent : t->received));
	KV(KEY("delay_avg_us"), "%.1f", avg);
	KV(KEY("delay_p50_us"), "%.1f", p50);
	KV(KEY("delay_p99_us"), "%.1f", p99);
	KV(KEY("delay_max_us"), "%.1f", max);
#undef KEY
}

static void print_coal(unsigned int i, const struct vhost_vring_coalesce_stats *s,
		       bool ok)
{
	const char *r = ring_name(i);
	const struct vhost_vring_coalesce *c = &dev.coal_get[i];

	if (dev.coal_get_ok[i]) {
		printf("%s_coal_flags=0x%x\n", r, c->flags);
		printf("%s_coal_usecs=%u\n", r, c->usecs);
		printf("%s_coal_max_frames=%u\n", r, c->max_frames);
		printf("%s_coal_rate_threshold=%u\n", r, c->rate_threshold);
		printf("%s_coal_rate_interval_ms=%u\n", r, c->rate_interval_ms);
	}
	if (!ok)
		return;
	printf("%s_coal_state=%u\n", r, s->state);
	printf("%s_coal_rate=%u\n", r, s->rate);
	printf("%s_coal_packets=%llu\n", r, (unsigned long long)s->packets);
	printf("%s_coal_signals_due=%llu\n", r, (unsigned long long)s->signals_due);
	printf("%s_coal_signals_sent=%llu\n", r, (unsigned long long)s->signals_sent);
	printf("%s_coal_signals_deferred=%llu\n", r, (unsigned long long)s->signals_deferred);
	printf("%s_coal_timer_fires=%llu\n", r, (unsigned long long)s->timer_fires);
	printf("%s_coal_frame_flushes=%llu\n", r, (unsigned long long)s->frame_flushes);
	printf("%s_coal_activations=%llu\n", r, (unsigned long long)s->activations);
	printf("%s_coal_deactivations=%llu\n", r, (unsigned long long)s->deactivations);
	printf("%s_coal_flushes=%llu\n", r, (unsigned long long)s->flushes);
	printf("%s_coal_mode=%u\n", r, s->mode);
	printf("%s_coal_profile=%u\n", r, s->profile);
	printf("%s_coal_profile_moves=%llu\n", r,
	       (unsigned long long)s->profile_moves);
}

static const char *mode_name(void)
{
	return cfg.mode == MODE_RX ? "rx" : cfg.mode == MODE_TX ? "tx" : "both";
}

static void print_header(void)
{
	KV("mode", "%s", mode_name());
	KV("rate_target", "%.0f", cfg.rate);
	KV("duration_s", "%g", cfg.duration);
	KV("size", "%u", cfg.size);
	KV("ring", "%u", cfg.ring);
	KV("event_idx", "%d", cfg.event_idx);
	KV("kick_batch", "%u", cfg.kick_batch);
	KV("always_kick", "%d", cfg.always_kick);
	KV("tap", "%s", cfg.tap);
	KV("features", "0x%llx", (unsigned long long)dev.features);
	if (dev.backend_features_ok)
		KV("backend_features", "0x%llx", (unsigned long long)dev.backend_features);
	KV("coalesce_supported", "%d", dev.coal_supported);
	KV("dev_id", "%ld", debugfs_dev_id());
}

static void print_report(double secs, uint64_t grace, const struct csw *a,
			 const struct csw *b,
			 struct vhost_vring_coalesce_stats st[2], bool ok[2])
{
	long vol = b->ru.ru_nvcsw - a->ru.ru_nvcsw;
	long invol = b->ru.ru_nivcsw - a->ru.ru_nivcsw;
	uint64_t pkts = dev.rx.received + dev.tx.received;
	unsigned int i;

	print_header();
	KV("elapsed_s", "%.3f", secs);
	KV("grace_ms", "%.1f", grace / 1e6);
	print_dir("rx", &dev.rx, &dev.q[VQ_RX], dev.rx_sent, secs);
	KV("rx_send_errors", "%llu", (unsigned long long)dev.rx_send_err);
	print_dir("tx", &dev.tx, &dev.q[VQ_TX], dev.tx_sent, secs);
	KV("tx_ring_full", "%llu", (unsigned long long)dev.tx_ring_full);
	KV("tx_reclaimed_opportunistic", "%llu",
	   (unsigned long long)dev.tx_reclaim_opportunistic);
	KV("tx_capture_errors", "%llu", (unsigned long long)dev.cap_err);
	KV("call_swaps", "%llu", (unsigned long long)dev.call_swaps);
	KV("call_swaps_none", "%llu", (unsigned long long)dev.call_swaps_none);
	KV("pkts_total", "%llu", (unsigned long long)pkts);
	KV("ctxsw_vol", "%ld", vol);
	KV("ctxsw_invol", "%ld", invol);
	KV("ctxsw_vol_per_pkt", "%.4f", per(vol, pkts));
	KV("ctxsw_invol_per_pkt", "%.4f", per(invol, pkts));
	if (a->vhost_vol >= 0 && b->vhost_vol >= 0) {
		KV("vhost_ctxsw_vol", "%ld", b->vhost_vol - a->vhost_vol);
		KV("vhost_ctxsw_invol", "%ld", b->vhost_invol - a->vhost_invol);
		KV("vhost_ctxsw_vol_per_pkt", "%.4f",
		   per(b->vhost_vol - a->vhost_vol, pkts));
		KV("vhost_ctxsw_invol_per_pkt", "%.4f",
		   per(b->vhost_invol - a->vhost_invol, pkts));
	}
	KV("cpu_user_ms", "%.1f", tv_ms(a->ru.ru_utime, b->ru.ru_utime));
	KV("cpu_sys_ms", "%.1f", tv_ms(a->ru.ru_stime, b->ru.ru_stime));
	for (i = 0; i < 2; i++)
		print_coal(i, &st[i], ok[i]);
}

/* ---------------------------------------------------------------------- */
/* options                                                                  */

static void usage(FILE *f)
{
	fprintf(f,
"Usage: vhost-net-drv [options]\n"
"\n"
"Userspace vhost-net driver (VMM and guest in one process) that counts the\n"
"signals (call eventfd notifications) vhost_net sends per packet.  Needs\n"
"root, /dev/vhost-net and /dev/net/tun (modprobe vhost_net tun).\n"
"\n"
"Traffic:\n"
"  -m, --mode rx|tx|both   rx: host injects frames into the tap, vhost RX\n"
"                          delivers them to the guest's RX ring (vring 0);\n"
"                          tx: guest queues frames on the TX ring (vring 1),\n"
"                          vhost transmits them, host reads them from the tap;\n"
"                          both: at once (default rx)\n"
"  -r, --rate PPS          packets per second per direction (default 1000;\n"
"                          0: as fast as possible)\n"
"  -d, --duration SEC      traffic time, fractional allowed (default 3); a\n"
"                          paced run sends rate x duration packets, or stops\n"
"                          10%% + 20 ms late if it cannot keep up\n"
"  -s, --size BYTES        UDP payload, %d..%d (default 18); carries magic,\n"
"                          sequence number, CLOCK_MONOTONIC send time\n"
"  -R, --ring NUM          ring size, power of two, 2..32768 (default 256)\n"
"  -t, --tap NAME          tap device name (default vnd0)\n"
"      --event-idx         negotiate VIRTIO_RING_F_EVENT_IDX (default)\n"
"      --no-event-idx      use VRING_AVAIL_F_NO_INTERRUPT / USED_F_NO_NOTIFY\n"
"      --notify-on-empty   negotiate VIRTIO_F_NOTIFY_ON_EMPTY too: a signal\n"
"                          whenever the device used every buffer posted\n"
"  -k, --kick-batch N      TX: kick after every N frames queued (default 1);\n"
"                          a partial batch is kicked when the ring is full\n"
"                          and at the end of traffic\n"
"      --always-kick       kick even when vhost suppresses notifications\n"
"                          (default: honour avail_event / USED_F_NO_NOTIFY,\n"
"                          like a guest driver)\n"
"\n"
"Coalescing (uAPI linux/vhost_net_coalesce.h):\n"
"  -c, --coalesce RING:USECS:FRAMES:THRESHOLD:INTERVAL_MS[:adaptive]\n"
"                          VHOST_NET_SET_VRING_COALESCE on RING (rx|tx)\n"
"                          before traffic, adaptive: with\n"
"                          VHOST_VRING_COALESCE_F_ADAPTIVE; repeatable (one\n"
"                          per ring)\n"
"      --coalesce-default RING\n"
"                          set VHOST_VRING_COALESCE_F_DEFAULT on RING\n"
"  Support is probed with VHOST_GET_BACKEND_FEATURES\n"
"  (VHOST_BACKEND_F_NET_COALESCE); if present, the settings in effect\n"
"  and VHOST_NET_GET_VRING_COALESCE_STATS of both rings are printed.\n"
"\n"
"Run control:\n"
"      --cycles N          N times: open /dev/vhost-net and the tap, full\n"
"                          setup, traffic for --duration (e.g. 0.05), then\n"
"                          tear down at once without a grace period (timer\n"
"                          possibly armed), rotating teardown styles: close,\n"
"                          detach backend then close, VHOST_RESET_OWNER then\n"
"                          close\n"
"      --close-busy        with --cycles: tear down (in the rotating style) at\n"
"                          a random moment of the traffic, the producers still\n"
"                          queueing and kicking (vhost work queued) and\n"
"                          signals held (timers armed), then stop the threads\n"
"      --kill-busy         with --cycles: run each cycle in a child process\n"
"                          (the VMM and its guest) and SIGKILL it at a random\n"
"                          moment of the traffic, as a VMM killed under load:\n"
"                          vhost's worker dies with its owner and the exit\n"
"                          releases the device, work queued and signals held;\n"
"                          kills_pending counts the kills with frames held on\n"
"                          a ring (debugfs, just before the kill)\n"
"      --swap-call USECS   during traffic, every USECS give each ring a new\n"
"                          call eventfd (VHOST_SET_VRING_CALL), every other\n"
"                          time through -1 (no eventfd) for USECS/2; each swap\n"
"                          wakes the ring's guest once (counted in signals)\n"
"      --held detach|starve|cap|empty|debugfs|count\n"
"                          instead of traffic, one held signal (a long\n"
"                          hold, threshold 0: by --coalesce or the module\n"
"                          parameters): detach: %d frames\n"
"                          on each --mode ring, then VHOST_NET_SET_BACKEND\n"
"                          -1: is the signal there when it returns (and\n"
"                          does the ring work once attached again)?\n"
"                          starve: RX, the guest posted --rx-posted buffers\n"
"                          and %d more frames arrive: is the signal sent\n"
"                          before the timer?  With --mode tx: frames of 8\n"
"                          chained descriptors fill the ring: is the signal\n"
"                          sent before the timer?  cap: RX, then write 1000 to\n"
"                          the coalesce_max_usecs parameter: is the signal\n"
"                          sent before the old timer?  empty: --mode tx, %d\n"
"                          frames and no more: every buffer posted is used;\n"
"                          is the signal sent before the timer?  debugfs: RX,\n"
"                          write --knob, then read the device's debugfs files\n"
"                          %d times: did the reads change anything?  count: RX,\n"
"                          write --knob, %d more frames: do the call eventfd's\n"
"                          signals add up to signals_sent?  Prints\n"
"                          {rx,tx}_held_*, {rx,tx}_starve_*, rx_cap_*,\n"
"                          tx_empty_*, rx_dbg_* or rx_count_* lines, and\n"
"                          dev_id, the <n> of vhost_net/<pid>-<n> in debugfs\n"
"      --knob NAME=VALUE   with --held debugfs|count: the vhost_net module\n"
"                          parameter written while a signal is held\n"
"      --rx-posted N       RX buffers posted at setup (default: the ring)\n"
"      --burst N           paced traffic in bursts of N frames back to back,\n"
"                          --rate frames/s on average (default 1: evenly)\n"
"      --closed-loop N     request/response with N in flight, at most\n"
"                          --rate: RX: inject a frame only while fewer than\n"
"                          N are on their way to the guest; TX: queue one\n"
"                          only while fewer than N wait for the completion\n"
"                          signal that frees them (no reclaim without one)\n"
"      --seed N            for --close-busy's and --kill-busy's moments\n"
"                          (default: from the clock; printed as seed=)\n"
"      --grace MS          drain time after traffic (default 50), plus the\n"
"                          largest coalescing usecs in effect\n"
"      --watchdog SEC      abort (exit 1) if the run takes longer (default:\n"
"                          30 + cycles * (duration + grace + 5))\n"
"  -v, --verbose           progress on stderr\n"
"  -h, --help              this text\n"
"\n"
"Output: key=value lines on stdout (mode, rate_target, duration_s, rx_* and\n"
"tx_* counters: sent, received, lost, dup, reorder, other, signals,\n"
"signals_per_pkt, wakeups, spurious_wakeups, unsignalled, kicks,\n"
"delay_{avg,p50,p99,max}_us, ...; ctxsw_* from getrusage (whole process,\n"
"including the vhost worker thread) and vhost_ctxsw_* for the worker alone,\n"
"per packet received; coalesce_supported; {rx,tx}_coal_* when supported;\n"
"dev_id, the <n> of our debugfs directory vhost_net/<pid>-<n>, -1: none).\n"
"rx delay: send time to the moment the guest saw the delivering signal;\n"
"tx delay: guest queue time to reception on the tap.\n"
"\n"
"Exit status: 0 success, 1 setup/runtime failure (message names the call\n"
"and errno; also the watchdog), 2 usage error.\n",
		PAYLOAD_MIN, PAYLOAD_MAX, HELD_FRAMES, HELD_FRAMES, HELD_FRAMES,
		HELD_READS, HELD_FRAMES);
}

static void usage_err(const char *fmt, const char *arg)
{
	fprintf(stderr, "vhost-net-drv: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'vhost-net-drv --help'.\n");
	exit(2);
}

static unsigned long parse_ul(const char *s, const char *opt, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v > max)
		usage_err("bad value for %s", opt);
	return v;
}

static double parse_double(const char *s, const char *opt)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || isinf(v))
		usage_err("bad value for %s", opt);
	return v;
}

static int parse_ring(const char *s)
{
	if (!strcmp(s, "rx"))
		return VQ_RX;
	if (!strcmp(s, "tx"))
		return VQ_TX;
	usage_err("bad ring '%s' (rx or tx)", s);
	return -1;
}

static void parse_coalesce(const char *arg)
{
	char buf[128], *f[6], *save = NULL, *tok;
	struct vhost_vring_coalesce *c;
	int n = 0, r;

	if (strlen(arg) >= sizeof(buf))
		usage_err("bad --coalesce '%s'", arg);
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ":", &save); tok && n < 6;
	     tok = strtok_r(NULL, ":", &save))
		f[n++] = tok;
	if (n < 5 || tok || (n == 6 && strcmp(f[5], "adaptive")))
		usage_err("--coalesce wants RING:USECS:FRAMES:THRESHOLD:INTERVAL_MS[:adaptive], got '%s'", arg);
	r = parse_ring(f[0]);
	c = &cfg.coal[r].c;
	memset(c, 0, sizeof(*c));
	c->usecs = parse_ul(f[1], "--coalesce USECS", UINT32_MAX);
	c->max_frames = parse_ul(f[2], "--coalesce FRAMES", UINT32_MAX);
	c->rate_threshold = parse_ul(f[3], "--coalesce THRESHOLD", UINT32_MAX);
	c->rate_interval_ms = parse_ul(f[4], "--coalesce INTERVAL_MS", UINT32_MAX);
	if (n == 6)
		c->flags = VHOST_VRING_COALESCE_F_ADAPTIVE;
	cfg.coal[r].set = true;
}

static void parse_args(int argc, char **argv)
{
	enum { O_EIDX = 256, O_NOEIDX, O_ALWAYS, O_CDEF, O_CYCLES, O_GRACE, O_WD,
	       O_BUSY, O_KILL, O_SWAP, O_SEED, O_HELD, O_POSTED, O_CLOSED,
	       O_BURST, O_NOE, O_KNOB };
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "size", required_argument, NULL, 's' },
		{ "ring", required_argument, NULL, 'R' },
		{ "tap", required_argument, NULL, 't' },
		{ "event-idx", no_argument, NULL, O_EIDX },
		{ "no-event-idx", no_argument, NULL, O_NOEIDX },
		{ "notify-on-empty", no_argument, NULL, O_NOE },
		{ "kick-batch", required_argument, NULL, 'k' },
		{ "always-kick", no_argument, NULL, O_ALWAYS },
		{ "coalesce", required_argument, NULL, 'c' },
		{ "coalesce-default", required_argument, NULL, O_CDEF },
		{ "cycles", required_argument, NULL, O_CYCLES },
		{ "grace", required_argument, NULL, O_GRACE },
		{ "watchdog", required_argument, NULL, O_WD },
		{ "close-busy", no_argument, NULL, O_BUSY },
		{ "kill-busy", no_argument, NULL, O_KILL },
		{ "swap-call", required_argument, NULL, O_SWAP },
		{ "seed", required_argument, NULL, O_SEED },
		{ "held", required_argument, NULL, O_HELD },
		{ "knob", required_argument, NULL, O_KNOB },
		{ "rx-posted", required_argument, NULL, O_POSTED },
		{ "closed-loop", required_argument, NULL, O_CLOSED },
		{ "burst", required_argument, NULL, O_BURST },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	bool seeded = false;
	int o, r;

	while ((o = getopt_long(argc, argv, "m:r:d:s:R:t:k:c:vh", opts, NULL)) != -1) {
		switch (o) {
		case 'm':
			if (!strcmp(optarg, "rx"))
				cfg.mode = MODE_RX;
			else if (!strcmp(optarg, "tx"))
				cfg.mode = MODE_TX;
			else if (!strcmp(optarg, "both"))
				cfg.mode = MODE_BOTH;
			else
				usage_err("bad mode '%s' (rx, tx or both)", optarg);
			break;
		case 'r':
			cfg.rate = parse_double(optarg, "--rate");
			if (cfg.rate > 1e8)
				usage_err("--rate %s is too high", optarg);
			break;
		case 'd':
			cfg.duration = parse_double(optarg, "--duration");
			if (cfg.duration <= 0 || cfg.duration > 86400)
				usage_err("--duration %s out of range", optarg);
			break;
		case 's':
			cfg.size = parse_ul(optarg, "--size", PAYLOAD_MAX);
			if (cfg.size < PAYLOAD_MIN)
				usage_err("--size %s is below 16", optarg);
			break;
		case 'R':
			cfg.ring = parse_ul(optarg, "--ring", 32768);
			if (cfg.ring < 2 || (cfg.ring & (cfg.ring - 1)))
				usage_err("--ring %s: need a power of two >= 2", optarg);
			break;
		case 't':
			if (!*optarg || strlen(optarg) >= IFNAMSIZ)
				usage_err("bad --tap name '%s'", optarg);
			strcpy(cfg.tap, optarg);
			break;
		case O_EIDX:
			cfg.event_idx = true;
			break;
		case O_NOEIDX:
			cfg.event_idx = false;
			break;
		case O_NOE:
			cfg.notify_on_empty = true;
			break;
		case 'k':
			cfg.kick_batch = parse_ul(optarg, "--kick-batch", 65536);
			if (!cfg.kick_batch)
				usage_err("--kick-batch %s: must be >= 1", optarg);
			break;
		case O_ALWAYS:
			cfg.always_kick = true;
			break;
		case 'c':
			parse_coalesce(optarg);
			break;
		case O_CDEF:
			r = parse_ring(optarg);
			memset(&cfg.coal[r].c, 0, sizeof(cfg.coal[r].c));
			cfg.coal[r].c.flags = VHOST_VRING_COALESCE_F_DEFAULT;
			cfg.coal[r].set = true;
			break;
		case O_CYCLES:
			cfg.cycles = parse_ul(optarg, "--cycles", 1000000);
			if (!cfg.cycles)
				usage_err("--cycles %s: must be >= 1", optarg);
			break;
		case O_GRACE:
			cfg.grace_ms = parse_ul(optarg, "--grace", 600000);
			break;
		case O_WD:
			cfg.watchdog_s = parse_ul(optarg, "--watchdog", 1000000);
			break;
		case O_BUSY:
			cfg.close_busy = true;
			break;
		case O_KILL:
			cfg.kill_busy = true;
			break;
		case O_SWAP:
			cfg.swap_us = parse_ul(optarg, "--swap-call", 10000000);
			if (!cfg.swap_us)
				usage_err("--swap-call %s: must be >= 1", optarg);
			break;
		case O_SEED:
			cfg.seed = parse_ul(optarg, "--seed", UINT_MAX);
			seeded = true;
			break;
		case O_HELD:
			if (strcmp(optarg, "detach") && strcmp(optarg, "starve") &&
			    strcmp(optarg, "cap") && strcmp(optarg, "empty") &&
			    strcmp(optarg, "debugfs") && strcmp(optarg, "count"))
				usage_err("--held %s: detach, starve, cap, empty, debugfs or count",
					  optarg);
			cfg.held = optarg;
			break;
		case O_KNOB:
			if (!strchr(optarg, '=') || *optarg == '=' ||
			    strchr(optarg, '/'))
				usage_err("--knob %s: want NAME=VALUE", optarg);
			cfg.knob = optarg;
			break;
		case O_POSTED:
			cfg.rx_posted = parse_ul(optarg, "--rx-posted", 32768);
			break;
		case O_CLOSED:
			cfg.in_flight = parse_ul(optarg, "--closed-loop", 32768);
			if (!cfg.in_flight)
				usage_err("--closed-loop %s: must be >= 1", optarg);
			break;
		case O_BURST:
			cfg.burst = parse_ul(optarg, "--burst", 4096);
			if (!cfg.burst)
				usage_err("--burst %s: must be >= 1", optarg);
			break;
		case 'v':
			cfg.verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "Try 'vhost-net-drv --help'.\n");
			exit(2);
		}
	}
	if (optind < argc)
		usage_err("unexpected argument '%s'", argv[optind]);
	if (cfg.close_busy && !cfg.cycles)
		usage_err("%s needs --cycles", "--close-busy");
	if (cfg.kill_busy && !cfg.cycles)
		usage_err("%s needs --cycles", "--kill-busy");
	if (cfg.rx_posted > cfg.ring)
		usage_err("--rx-posted %s: more than --ring", "");
	if (cfg.held && (cfg.cycles || cfg.swap_us))
		usage_err("%s: not with --cycles or --swap-call", "--held");
	if (cfg.held && !strcmp(cfg.held, "empty") && cfg.mode != MODE_TX)
		usage_err("--held %s: needs --mode tx", cfg.held);
	if (cfg.held && (!strcmp(cfg.held, "debugfs") ||
			 !strcmp(cfg.held, "count"))) {
		if (cfg.mode != MODE_RX)
			usage_err("--held %s: needs --mode rx", cfg.held);
		if (!cfg.knob)
			usage_err("--held %s: needs --knob", cfg.held);
	}
	if (cfg.knob && (!cfg.held || (strcmp(cfg.held, "debugfs") &&
				       strcmp(cfg.held, "count"))))
		usage_err("%s: only with --held debugfs or count", "--knob");
	if (cfg.kill_busy && (cfg.close_busy || cfg.swap_us))
		usage_err("%s: not with --close-busy or --swap-call", "--kill-busy");
	if (!seeded)
		cfg.seed = (unsigned int)(now_ns() ^ getpid());
	if (!cfg.watchdog_s) {
		double per_cycle = cfg.duration + cfg.grace_ms / 1e3 + 5;
		unsigned int n = cfg.cycles ? cfg.cycles : 1;
		uint32_t us = 0;

		for (r = 0; r < 2; r++)
			if (cfg.coal[r].c.usecs > us)
				us = cfg.coal[r].c.usecs;
		per_cycle += us / 1e6;
		cfg.watchdog_s = 30 + (unsigned int)ceil(n * per_cycle);
	}
}

/* ---------------------------------------------------------------------- */

/* ---------------------------------------------------------------------- */
/* --held: a signal is held, then what must send it at once                */

#define HELD_WAIT_NS	(10 * NSEC_PER_SEC)
#define HELD_QUIET_NS	(NSEC_PER_SEC / 5)	/* no signal for this long: none due */
#define HELD_WRITE_NS	(NSEC_PER_SEC * 2 / 5)	/* a --knob write's flush, at most */

/* Write a vhost_net module parameter, @knob being NAME=VALUE. */
static void param_write(const char *knob)
{
	const char *eq = strchr(knob, '=');
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/vhost_net/parameters/%.*s",
		 (int)(eq - knob), knob);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%s\n", eq + 1) < 0 || fclose(f)) {
		fprintf(stderr, "vhost-net-drv: write %s: %s\n", knob,
			strerror(errno));
		exit(1);
	}
}

/* Put @n frames on ring @r's way: into the tap (RX) or the TX ring. */
static void held_produce(unsigned int r, unsigned int n)
{
	struct sockaddr_ll sll = inject_addr();
	uint8_t frame[HDRS_LEN + PAYLOAD_MAX];
	struct vq *q = &dev.q[r];
	unsigned int i;
	int len;

	len = frame_init(frame, r == VQ_TX);
	for (i = 0; i < n; i++) {
		frame_stamp(frame, r == VQ_TX, i, now_ns());
		if (r == VQ_RX) {
			if (sendto(dev.inj_fd, frame, len, 0,
				   (struct sockaddr *)&sll, sizeof(sll)) != len)
				die("sendto(tap)");
		} else {
			uint16_t id;
			uint8_t *buf;

			if (!q->nfree)
				die_msg("--held: TX ring full");
			id = q->free_ids[--q->nfree];
			buf = q->bufs + (size_t)id * BUF_SIZE;
			memset(buf, 0, VNET_HDR_LEN);
			memcpy(buf + VNET_HDR_LEN, frame, len);
			q->vr.desc[id].len = VNET_HDR_LEN + len;
			q->vr.avail->ring[q->avail_idx++ % q->num] = id;
		}
	}
	if (r == VQ_TX) {
		vq_publish(q);
		vq_kick(q);
	}
}

/* Wait until ring @r's used index is @want entries past last_used. */
static bool held_wait_used(unsigned int r, unsigned int want)
{
	struct vq *q = &dev.q[r];
	uint64_t end = now_ns() + HELD_WAIT_NS;

	while ((uint16_t)(vq_used_idx(q) - q->last_used) < want) {
		if (now_ns() > end)
			return false;
		usleep(1000);
	}
	return true;
}

static void held_stats(unsigned int r, struct vhost_vring_coalesce_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->index = r;
	xioctl(dev.vhost_fd, VHOST_NET_GET_VRING_COALESCE_STATS, st,
	       "ioctl(VHOST_NET_GET_VRING_COALESCE_STATS)");
}

static void held_set_backend(unsigned int r, int fd)
{
	struct vhost_vring_file be = { .index = r, .fd = fd };

	xioctl(dev.vhost_fd, VHOST_NET_SET_BACKEND, &be,
	       "ioctl(VHOST_NET_SET_BACKEND)");
}

/*
 * detach: HELD_FRAMES used buffers with their signal held (timer armed),
 * then VHOST_NET_SET_BACKEND -1, as a VMM stops a ring: the signal must
 * be on the call eventfd when the ioctl returns.  Then the backend comes
 * back (a queue's RING_RESET) and the ring works again.
 */
static void held_detach(unsigned int r)
{
	const char *n = ring_name(r);
	struct vhost_vring_coalesce_stats st;
	struct vq *q = &dev.q[r];
	bool used, again;
	uint64_t held, at_detach;

	held_produce(r, HELD_FRAMES);
	used = held_wait_used(r, HELD_FRAMES);
	held = vq_read_call(q);
	held_set_backend(r, -1);
	at_detach = vq_read_call(q);
	held_stats(r, &st);
	if (r == VQ_TX)
		tx_reclaim(q);
	else
		rx_drain(q, now_ns());
	vq_enable_cb(q);

	held_set_backend(r, dev.tap_fd);
	held_produce(r, 1);
	again = held_wait_used(r, 1) && vq_wait(q, HELD_WAIT_NS) &&
		vq_read_call(q);
	printf("%s_held_used=%d\n", n, used);
	printf("%s_held_signals_before=%llu\n", n, (unsigned long long)held);
	printf("%s_held_signals_at_detach=%llu\n", n,
	       (unsigned long long)at_detach);
	printf("%s_held_timer_fires=%llu\n", n,
	       (unsigned long long)st.timer_fires);
	printf("%s_held_flushes=%llu\n", n, (unsigned long long)st.flushes);
	printf("%s_held_reattached_signalled=%d\n", n, again);
}

/*
 * starve: the guest posted only --rx-posted RX buffers, and more frames
 * arrive than that: the buffers it gave are used and it refills only
 * when it hears of them, so the signal must go at once, not when the
 * timer fires.
 */
static void held_starve(void)
{
	struct vhost_vring_coalesce_stats st;
	struct vq *q = &dev.q[VQ_RX];
	unsigned int posted = q->avail_idx;
	bool used, signalled;

	held_produce(VQ_RX, posted + HELD_FRAMES);
	used = held_wait_used(VQ_RX, posted);
	signalled = vq_wait(q, HELD_WAIT_NS) && vq_read_call(q);
	held_stats(VQ_RX, &st);
	printf("rx_starve_posted=%u\n", posted);
	printf("rx_starve_used=%d\n", used);
	printf("rx_starve_signalled=%d\n", signalled);
	printf("rx_starve_timer_fires=%llu\n",
	       (unsigned long long)st.timer_fires);
	printf("rx_starve_flushes=%llu\n", (unsigned long long)st.flushes);
	printf("rx_starve_frame_flushes=%llu\n",
	       (unsigned long long)st.frame_flushes);
}

/*
 * starve, TX: frames of HELD_CHAIN chained descriptors each take the
 * whole ring, fewer frames than the frame bound: the guest cannot send
 * again until it hears of them, so the signal must go at once.
 */
static void held_starve_tx(void)
{
	uint8_t frame[HDRS_LEN + PAYLOAD_MAX];
	struct vhost_vring_coalesce_stats st;
	struct vq *q = &dev.q[VQ_TX];
	unsigned int heads = q->num / HELD_CHAIN, h, k, total, chunk;
	uint16_t id[HELD_CHAIN];
	bool used, signalled;
	uint8_t *buf;
	int len;

	if (!heads || q->nfree < q->num)
		die_msg("--held starve -m tx: needs a fresh ring of at least 8");
	len = frame_init(frame, true);
	total = VNET_HDR_LEN + len;
	chunk = total / HELD_CHAIN;
	for (h = 0; h < heads; h++) {
		for (k = 0; k < HELD_CHAIN; k++)
			id[k] = q->free_ids[--q->nfree];
		frame_stamp(frame, true, h, now_ns());
		buf = q->bufs + (size_t)id[0] * BUF_SIZE;
		memset(buf, 0, VNET_HDR_LEN);
		memcpy(buf + VNET_HDR_LEN, frame, len);
		for (k = 0; k < HELD_CHAIN; k++) {
			struct vring_desc *d = &q->vr.desc[id[k]];
			bool last = k == HELD_CHAIN - 1;

			d->addr = (uintptr_t)(buf + k * chunk);
			d->len = last ? total - k * chunk : chunk;
			d->flags = last ? 0 : VRING_DESC_F_NEXT;
			d->next = last ? 0 : id[k + 1];
		}
		q->vr.avail->ring[q->avail_idx++ % q->num] = id[0];
	}
	vq_publish(q);
	vq_kick(q);
	used = held_wait_used(VQ_TX, heads);
	signalled = vq_wait(q, HELD_WAIT_NS) && vq_read_call(q);
	held_stats(VQ_TX, &st);
	printf("tx_starve_frames=%u\n", heads);
	printf("tx_starve_descriptors=%u\n", heads * HELD_CHAIN);
	printf("tx_starve_used=%d\n", used);
	printf("tx_starve_signalled=%d\n", signalled);
	printf("tx_starve_timer_fires=%llu\n",
	       (unsigned long long)st.timer_fires);
	printf("tx_starve_flushes=%llu\n", (unsigned long long)st.flushes);
}

/*
 * cap: HELD_FRAMES RX buffers used with their signal held, then the
 * admin lowers coalesce_max_usecs to 1000: the signal must go out now,
 * not when the timer armed with the old, longer delay fires.
 */
static void held_cap(void)
{
	struct vhost_vring_coalesce_stats st;
	struct vq *q = &dev.q[VQ_RX];
	uint64_t held;
	bool used, signalled;

	held_produce(VQ_RX, HELD_FRAMES);
	used = held_wait_used(VQ_RX, HELD_FRAMES);
	held = vq_read_call(q);
	param_write("coalesce_max_usecs=1000");
	signalled = vq_wait(q, HELD_WAIT_NS) && vq_read_call(q);
	held_stats(VQ_RX, &st);
	printf("rx_cap_used=%d\n", used);
	printf("rx_cap_signals_before=%llu\n", (unsigned long long)held);
	printf("rx_cap_signalled=%d\n", signalled);
	printf("rx_cap_timer_fires=%llu\n", (unsigned long long)st.timer_fires);
	printf("rx_cap_flushes=%llu\n", (unsigned long long)st.flushes);
}

/*
 * empty, TX: HELD_FRAMES frames of one descriptor each and no more: the
 * device uses every buffer it was given.  A guest that negotiated
 * VIRTIO_F_NOTIFY_ON_EMPTY (--notify-on-empty) must hear of that at once;
 * without it the signal may wait for the timer.
 */
static void held_empty(void)
{
	struct vhost_vring_coalesce_stats st;
	struct vq *q = &dev.q[VQ_TX];
	bool used, signalled;

	held_produce(VQ_TX, HELD_FRAMES);
	used = held_wait_used(VQ_TX, HELD_FRAMES);
	signalled = vq_wait(q, HELD_WAIT_NS) && vq_read_call(q);
	held_stats(VQ_TX, &st);
	printf("tx_empty_notify_on_empty=%d\n", cfg.notify_on_empty);
	printf("tx_empty_frames=%u\n", HELD_FRAMES);
	printf("tx_empty_used=%d\n", used);
	printf("tx_empty_signalled=%d\n", signalled);
	printf("tx_empty_timer_fires=%llu\n",
	       (unsigned long long)st.timer_fires);
	printf("tx_empty_flushes=%llu\n", (unsigned long long)st.flushes);
}

/* One debugfs read of @path into @buf, or the run fails. */
static void held_debugfs_read(const char *path, char *buf, size_t len)
{
	if (!debugfs_read(path, buf, len))
		die("--held debugfs: read");
}

/*
 * debugfs: HELD_FRAMES RX buffers used with their signal held, then
 * --knob is written (a write that flushes: the signal goes now), then
 * both rings' debugfs files are read HELD_READS times: a read must
 * change nothing, neither what it shows nor the call eventfd.  No
 * ioctl between the write and the reads: on a module that applies a
 * write only lazily, the first read would be what applies it.
 */
static void held_debugfs(void)
{
	char path[2][PATH_MAX], first[2][4096], last[2][4096];
	struct vhost_vring_coalesce_stats st;
	struct vq *q = &dev.q[VQ_RX];
	uint64_t held, at_write, across;
	long before;
	unsigned int i, r;
	bool used, same = true;

	for (r = 0; r < 2; r++)
		if (!debugfs_path(getpid(), ring_name(r), path[r],
				  sizeof(path[r])))
			die_msg("--held debugfs: no debugfs file of this device");
	held_produce(VQ_RX, HELD_FRAMES);
	used = held_wait_used(VQ_RX, HELD_FRAMES);
	held = vq_read_call(q);
	held_debugfs_read(path[0], first[0], sizeof(first[0]));
	before = debugfs_value(first[0], "pending");
	param_write(cfg.knob);
	at_write = vq_wait(q, HELD_WRITE_NS) ? vq_read_call(q) : 0;
	for (i = 0; i < HELD_READS; i++) {
		for (r = 0; r < 2; r++) {
			held_debugfs_read(path[r], i ? last[r] : first[r],
					  sizeof(last[r]));
			if (i && strcmp(last[r], first[r]))
				same = false;
		}
	}
	across = vq_wait(q, HELD_QUIET_NS) ? vq_read_call(q) : 0;
	held_stats(VQ_RX, &st);
	printf("rx_dbg_used=%d\n", used);
	printf("rx_dbg_signals_before=%llu\n", (unsigned long long)held);
	printf("rx_dbg_pending_before=%ld\n", before);
	printf("rx_dbg_signals_at_write=%llu\n", (unsigned long long)at_write);
	printf("rx_dbg_reads=%u\n", HELD_READS);
	printf("rx_dbg_reads_same=%d\n", same);
	printf("rx_dbg_pending_first=%ld\n", debugfs_value(first[0], "pending"));
	printf("rx_dbg_pending_last=%ld\n", debugfs_value(last[0], "pending"));
	printf("rx_dbg_flushes_first=%ld\n", debugfs_value(first[0], "flushes"));
	printf("rx_dbg_flushes_last=%ld\n", debugfs_value(last[0], "flushes"));
	printf("rx_dbg_signals_sent_first=%ld\n",
	       debugfs_value(first[0], "signals_sent"));
	printf("rx_dbg_signals_sent_last=%ld\n",
	       debugfs_value(last[0], "signals_sent"));
	printf("rx_dbg_signals_across_reads=%llu\n",
	       (unsigned long long)across);
	printf("rx_dbg_timer_fires=%llu\n", (unsigned long long)st.timer_fires);
}

/*
 * count: HELD_FRAMES RX buffers used with their signal held, --knob
 * written (a write that flushes), then HELD_FRAMES more frames.  Without
 * event idx every vhost_signal() is one eventfd count, so the sum of the
 * call eventfd's reads must equal the ring's signals_sent.
 */
static void held_count(void)
{
	struct vhost_vring_coalesce_stats st;
	char path[PATH_MAX], buf[4096];
	struct vq *q = &dev.q[VQ_RX];
	long flushes = -1;
	bool used;

	held_produce(VQ_RX, HELD_FRAMES);
	used = held_wait_used(VQ_RX, HELD_FRAMES);
	param_write(cfg.knob);
	held_produce(VQ_RX, HELD_FRAMES);
	used = held_wait_used(VQ_RX, 2 * HELD_FRAMES) && used;
	while (vq_wait(q, HELD_QUIET_NS) && vq_read_call(q))
		;
	held_stats(VQ_RX, &st);
	/* From debugfs: it has flushes where the ioctl's stats predate them. */
	if (debugfs_path(getpid(), "rx", path, sizeof(path)) &&
	    debugfs_read(path, buf, sizeof(buf)))
		flushes = debugfs_value(buf, "flushes");
	printf("rx_count_event_idx=%d\n", cfg.event_idx);
	printf("rx_count_used=%d\n", used);
	printf("rx_count_call_signals=%llu\n", (unsigned long long)q->signals);
	printf("rx_count_call_reads=%llu\n", (unsigned long long)q->wakeups);
	printf("rx_count_signals_sent=%llu\n",
	       (unsigned long long)st.signals_sent);
	printf("rx_count_flushes=%ld\n", flushes);
	printf("rx_count_timer_fires=%llu\n",
	       (unsigned long long)st.timer_fires);
}

static int run_held(void)
{
	unsigned int r;

	dev_setup();
	if (!dev.coal_supported)
		die_msg("--held: VHOST_BACKEND_F_NET_COALESCE not advertised");
	printf("held=%s\n", cfg.held);
	printf("acked_features=0x%llx\n", (unsigned long long)dev.acked_features);
	printf("dev_id=%ld\n", debugfs_dev_id());
	if (!strcmp(cfg.held, "starve") && cfg.mode == MODE_TX) {
		held_starve_tx();
	} else if (!strcmp(cfg.held, "starve")) {
		held_starve();
	} else if (!strcmp(cfg.held, "cap")) {
		held_cap();
	} else if (!strcmp(cfg.held, "empty")) {
		held_empty();
	} else if (!strcmp(cfg.held, "debugfs")) {
		held_debugfs();
	} else if (!strcmp(cfg.held, "count")) {
		held_count();
	} else {
		for (r = 0; r < 2; r++)
			if (cfg.mode & (r == VQ_RX ? MODE_RX : MODE_TX))
				held_detach(r);
	}
	fflush(stdout);
	dev_teardown(0);
	return 0;
}

static int run_cycles(void)
{
	uint64_t rx_sent = 0, rx_rcv = 0, rx_sig = 0, tx_sent = 0, tx_rcv = 0,
		 tx_sig = 0;
	unsigned int styles[3] = { 0 }, c;
	struct vhost_vring_coalesce_stats st[2];
	bool ok[2] = { false, false };

	for (c = 0; c < cfg.cycles; c++) {
		int style = c % 3;

		dev_setup();
		if (cfg.verbose)
			fprintf(stderr, "vhost-net-drv: cycle %u, teardown %s%s\n",
				c, teardown_names[style],
				cfg.close_busy ? " while busy" : "");
		if (cfg.close_busy) {
			run_busy(style, st, ok);
		} else {
			run_traffic(0);
			read_coal_stats(st, ok);
		}
		rx_sent += dev.rx_sent;
		rx_rcv += dev.rx.received;
		rx_sig += dev.q[VQ_RX].signals;
		tx_sent += dev.tx_sent;
		tx_rcv += dev.tx.received;
		tx_sig += dev.q[VQ_TX].signals;
		if (c + 1 == cfg.cycles)
			print_header();
		if (cfg.close_busy)
			dev_teardown_rest();
		else
			dev_teardown(style);
		styles[style]++;
		track_free(&dev.rx);
		track_free(&dev.tx);
	}
	KV("cycles", "%u", cfg.cycles);
	KV("cycles_done", "%u", c);
	KV("teardown_close", "%u", styles[0]);
	KV("teardown_detach", "%u", styles[1]);
	KV("teardown_reset_owner", "%u", styles[2]);
	KV("close_busy", "%d", cfg.close_busy);
	KV("seed", "%u", cfg.seed);
	KV("call_swaps", "%llu", (unsigned long long)dev.call_swaps);
	KV("call_swaps_none", "%llu", (unsigned long long)dev.call_swaps_none);
	KV("rx_sent", "%llu", (unsigned long long)rx_sent);
	KV("rx_received", "%llu", (unsigned long long)rx_rcv);
	KV("rx_signals", "%llu", (unsigned long long)rx_sig);
	KV("tx_sent", "%llu", (unsigned long long)tx_sent);
	KV("tx_received", "%llu", (unsigned long long)tx_rcv);
	KV("tx_signals", "%llu", (unsigned long long)tx_sig);
	/* Stats of the last cycle, read before its teardown. */
	for (c = 0; c < 2; c++)
		print_coal(c, &st[c], ok[c]);
	return 0;
}

/*
 * --kill-busy: the frames ring @ring of process @pid holds, "pending: N"
 * in its debugfs file; -1 if there is no such file.
 */
static long debugfs_pending(pid_t pid, const char *ring)
{
	char path[PATH_MAX], buf[4096];

	if (!debugfs_path(pid, ring, path, sizeof(path)) ||
	    !debugfs_read(path, buf, sizeof(buf)))
		return -1;
	return debugfs_value(buf, "pending");
}

/*
 * --kill-busy, the child: set up and run the traffic, telling the parent
 * through @fd once the threads run.  It normally dies by SIGKILL; if it
 * gets to the end of the traffic, it exits with 3.
 */
static void kill_child(int fd)
{
	alarm((unsigned int)ceil(cfg.duration) + 60);
	dev_setup();
	traffic_start();
	if (write(fd, "t", 1) != 1)
		_exit(1);
	sleep_until(dev.start_ns + (uint64_t)(cfg.duration * 1e9));
	traffic_stop(traffic_wait(), 0);
	_exit(3);
}

/*
 * --kill-busy: each cycle forks a child that sets up a device and runs
 * traffic (kill_child()), waits a random 20-90% of --duration into the
 * traffic, reads how many frames each ring holds, and SIGKILLs it.
 */
static int run_kill_cycles(void)
{
	unsigned int c, kills = 0, kills_pending = 0, late = 0, no_dbg = 0;
	long rx_held = 0, tx_held = 0;

	for (c = 0; c < cfg.cycles; c++) {
		double frac = 0.2 + 0.7 * rand_r(&cfg.seed) / (double)RAND_MAX;
		int p[2], status;
		long rx, tx;
		pid_t pid;
		char b;

		if (pipe(p))
			die("pipe");
		fflush(NULL);
		pid = fork();
		if (pid < 0)
			die("fork");
		if (!pid) {
			close(p[0]);
			kill_child(p[1]);
		}
		close(p[1]);
		phase = "waiting for the child's traffic";
		if (read(p[0], &b, 1) != 1) {
			waitpid(pid, &status, 0);
			fprintf(stderr, "vhost-net-drv: cycle %u: the child ended before its traffic (status %d)\n",
				c, status);
			break;
		}
		close(p[0]);
		phase = "traffic (child)";
		sleep_until(now_ns() + (uint64_t)(cfg.duration * 1e9 * frac));
		rx = debugfs_pending(pid, "rx");
		tx = debugfs_pending(pid, "tx");
		kill(pid, SIGKILL);
		phase = "waiting for the killed child";
		if (waitpid(pid, &status, 0) != pid)
			die("waitpid");
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
			kills++;
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 3) {
			late++;
		} else {
			fprintf(stderr, "vhost-net-drv: cycle %u: the child failed (status %d)\n",
				c, status);
			break;
		}
		if (rx < 0 || tx < 0)
			no_dbg++;
		if (rx > 0 || tx > 0)
			kills_pending++;
		rx_held += rx > 0 ? rx : 0;
		tx_held += tx > 0 ? tx : 0;
		if (cfg.verbose)
			fprintf(stderr, "vhost-net-drv: cycle %u: killed at %.0f%%, pending rx %ld tx %ld\n",
				c, frac * 100, rx, tx);
	}
	KV("cycles", "%u", cfg.cycles);
	KV("cycles_done", "%u", c);
	KV("kill_busy", "%d", 1);
	KV("seed", "%u", cfg.seed);
	KV("kills", "%u", kills);
	KV("kills_late", "%u", late);
	KV("kills_pending", "%u", kills_pending);
	KV("kills_no_debugfs", "%u", no_dbg);
	KV("rx_pending_at_kills", "%ld", rx_held);
	KV("tx_pending_at_kills", "%ld", tx_held);
	return c == cfg.cycles ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct vhost_vring_coalesce_stats st[2];
	struct csw a, b;
	bool ok[2];
	uint64_t grace;
	double secs;

	parse_args(argc, argv);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	signal(SIGALRM, watchdog);
	signal(SIGPIPE, SIG_IGN);
	alarm(cfg.watchdog_s);

	if (cfg.cycles && cfg.kill_busy) {
		int ret = run_kill_cycles();

		fflush(stdout);
		return ret;
	}
	if (cfg.cycles) {
		run_cycles();
		fflush(stdout);
		return 0;
	}
	if (cfg.held)
		return run_held();

	dev_setup();
	grace = grace_ns();
	if (cfg.verbose)
		fprintf(stderr, "vhost-net-drv: setup done, coalesce_supported=%d, running %s for %g s\n",
			dev.coal_supported, mode_name(), cfg.duration);
	csw_sample(&a);
	secs = run_traffic(grace);
	csw_sample(&b);
	read_coal_stats(st, ok);
	print_report(secs, grace, &a, &b, st, ok);
	fflush(stdout);
	dev_teardown(0);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * ctrlq_fuzz: a hostile guest's control commands, judged on the host.
 *
 * Runs in the test host (L1) next to a guest whose second virtio-net
 * device is driven by ctrlq_inject.ko (tools/testing/vm/ctrlq_inject)
 * under the relay QEMU: a shell loop in the guest, reached over TCP,
 * writes each command this program sends to ctrlq_inject's debugfs file
 * and answers with the result (see tests/50-fuzz-ctrlq.sh for the loop).
 *
 *   ctrlq_fuzz --guest ADDR:PORT --dbg DIR --other DIR [options]
 *
 *   --dbg DIR     debugfs directory of the fuzzed device's vhost-net
 *                 (/sys/kernel/debug/vhost_net/<pid>-<n>)
 *   --other DIR   the same of another device of the guest, which must not
 *                 change
 *   --seed N      PRNG seed (default: fresh, printed)
 *   --count N     commands (default 300)
 *   --window SEC  timer rate sampling window (default 3)
 *   --hot SEC     length of the final hot phase (default 6)
 *   --batch K     send K commands back to back, check the host rings
 *                 after the K-th only (default 1: after every command;
 *                 answers are checked one by one either way)
 *   --caps-ops    also change the admin caps now and then (as root)
 *   --reset-ops   also reset the device now and then (unbind/bind)
 *   -v            every command
 *
 * Commands: class VIRTIO_NET_CTRL_NOTF_COAL (6) most of the time, all of
 * its commands (TX_SET, RX_SET, VQ_SET, VQ_GET, our SYNC, unknown ones)
 * with correct and wrong lengths and edge values; any other class and
 * command with random lengths and bytes otherwise.  A model of the
 * device (the virtio spec's NOTF_COAL commands, our SYNC command as
 * Documentation/networking/virtio_net_coalesce_sync.rst specifies it,
 * the relay's mapping onto vhost-net and vhost-net's caps) predicts for
 * each command whether it is valid and what the host's two rings
 * (debugfs rx, tx: settings, source) look like afterwards.  Checked, as
 * one TAP line each:
 *
 *   - every command is answered, OK or VIRTIO_NET_ERR, in the ack byte
 *     that starts the device-writable part (the virtio layout: the
 *     command-specific result follows it), with the used length covering
 *     the ack and, on OK, the result;
 *   - class 6 commands: OK exactly when valid;
 *   - the host rings after each command are what the model says: they
 *     change only for valid commands;
 *   - VQ_GET and SYNC answers are the model's;
 *   - an error answer leaves no byte the device claims to have written
 *     unwritten (the used length covers only written bytes);
 *   - no value on the host, in VQ_GET or in a SYNC answer beyond the
 *     admin caps (coalesce_{min,max}_usecs, coalesce_max_frames);
 *   - the other device's rings never change;
 *   - timer fires per second of each ring, sampled every --window
 *     seconds while the guest and the host keep traffic flowing, stay
 *     within 1e6 / coalesce_min_usecs (plus 5 %, plus one per setting
 *     change that could leave a stale expiry);
 *   - every NOTF_COAL command (TX_SET, RX_SET, VQ_SET, VQ_GET, SYNC)
 *     was sent valid and invalid at least once (else the run proved
 *     little);
 *   - hot phase: the guest asks for the shortest delay and the largest
 *     frame bound on both rings with a rate threshold of 0; the timers
 *     must fire (coalescing engaged), the packet rate must exceed the
 *     bound (else the bound could not be seen broken), and the fires
 *     stay within the bound.
 *
 * Output TAP 13; exit 0 pass, 1 fail.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CLASS_COAL	6
#define CMD_TX_SET	0
#define CMD_RX_SET	1
#define CMD_VQ_SET	2
#define CMD_VQ_GET	3
#define CMD_SYNC	4
#define ST_OK		0
#define ST_ERR		1
#define SYNC_LEN	32
#define MAX_BYTES	64
#define MAX_BATCH	64
/*
 * The longest wait for one answer of the guest's loop (a device reset
 * under a loaded emulated guest takes seconds). A guest that died
 * without closing the connection (its QEMU gone: no FIN, no RST) would
 * otherwise hold the run until the test's time limit.
 */
#define GUEST_ANSWER_S	120

/* Properties, one TAP line each. */
enum {
	P_ANSWERED, P_VALIDITY, P_STATE, P_ANSWERS, P_WRITTEN, P_CAPS,
	P_OTHER, P_RATE, P_COVERAGE, P_HOT, P_NUM
};

#define FZ_NPROPS	P_NUM
#include "fuzz_common.h"

/* One host ring: what debugfs shows of its settings. */
struct ring {
	bool explicit;
	uint32_t usecs, frames, threshold, interval;
};

/* The device: the host rings plus the relay's memory of the SYNC rate. */
struct model {
	struct ring ring[NRINGS];		/* explicit values as stored */
	bool rate_set;
	uint32_t rate_threshold, rate_interval;
};

/* What debugfs shows of a ring, settings and the counters we use. */
struct view {
	bool explicit;
	uint32_t usecs, frames, threshold, interval;
	uint64_t packets, due, timer_fires, frame_flushes;
	char state[16];
};

struct cmd {
	unsigned int class, cmd, in_len, out_len;
	uint8_t out[MAX_BYTES];
};

/* What the model expects of one command. */
struct expect {
	bool any_status;		/* other classes: OK or ERR */
	int status;
	unsigned int used;
	bool answer;			/* compare the answer */
	uint8_t ans[MAX_BYTES];
	bool touches[NRINGS];		/* a valid SET of this ring */
};

struct reply {
	int write_rc;
	int status;
	unsigned int used;
	unsigned int answer_len;
	uint8_t answer[MAX_BYTES];
};

static const char *const prop_name[P_NUM] = {
	[P_ANSWERED] = "every command answered OK or VIRTIO_NET_ERR (ack and used length where the device puts them)",
	[P_VALIDITY] = "class 6: OK exactly for the valid commands",
	[P_STATE] = "host rings change only as valid commands say (debugfs after each command equals the model)",
	[P_ANSWERS] = "VQ_GET and SYNC answers as predicted",
	[P_WRITTEN] = "error answers: the used length covers only bytes the device wrote",
	[P_CAPS] = "no value on the host, in VQ_GET or SYNC answers beyond the admin caps",
	[P_OTHER] = "the guest's other device keeps its host settings",
	[P_RATE] = "timer fires per second per ring within 1e6 / coalesce_min_usecs, traffic flowing",
	[P_COVERAGE] = "every NOTF_COAL command (TX_SET, RX_SET, VQ_SET, VQ_GET, SYNC) sent both valid and invalid",
	[P_HOT] = "hot phase: shortest delay asked, timers fire, packet rate above the bound, fires within it",
};

static struct model mdl;
static unsigned long count = 300;
static unsigned int batch = 1;
static double window_s = 3, hot_s = 6;
static bool caps_ops, reset_ops;
static const char *dbg_dir, *other_dir, *guest = "10.0.2.2:7001";
static FILE *gin, *gout;

/* Statistics for the summary. */
static uint64_t n_class6, n_other_class, n_ok, n_err, n_valid, n_resets,
		n_caps;
static uint64_t n_cmd[8], n_cmd_valid[8];
static const char *const cmd_name[] = {
	"TX_SET", "RX_SET", "VQ_SET", "VQ_GET", "SYNC", "unknown",
};
static double max_ratio[2], max_fps[2], max_fps_bound[2];
static uint64_t due_total[2], fires_total[2];
static unsigned int windows, windows_firing[2];

static void __attribute__((format(printf, 1, 2), noreturn))
bail(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\nBail out! at step %lu (seed %" PRIu64 ")\n", step, seed);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* Host side: module parameters and debugfs                             */

/* The caps and defaults now; the run cannot go on without them. */
static void caps_get(void)
{
	int e = caps_read();

	if (e)
		bail("cannot read the parameters in %s: %s", PARAM_DIR,
		     strerror(e));
}

static void view_read(const char *dir, int r, struct view *v)
{
	char path[512], line[128], val[64];
	unsigned long long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, r == RX ? "rx" : "tx");
	f = fopen(path, "r");
	if (!f)
		bail("cannot read %s: %s", path, strerror(errno));
	memset(v, 0, sizeof(*v));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "source: %63[^\n]", val) == 1)
			v->explicit = !strcmp(val, "explicit");
		else if (sscanf(line, "usecs: %llu", &n) == 1)
			v->usecs = n;
		else if (sscanf(line, "max_frames: %llu", &n) == 1)
			v->frames = n;
		else if (sscanf(line, "rate_threshold: %llu", &n) == 1)
			v->threshold = n;
		else if (sscanf(line, "rate_interval_ms: %llu", &n) == 1)
			v->interval = n;
		else if (sscanf(line, "packets: %llu", &n) == 1)
			v->packets = n;
		else if (sscanf(line, "timer_fires: %llu", &n) == 1)
			v->timer_fires = n;
		else if (sscanf(line, "signals_due: %llu", &n) == 1)
			v->due = n;
		else if (sscanf(line, "frame_flushes: %llu", &n) == 1)
			v->frame_flushes = n;
		else
			sscanf(line, "state: %15s", v->state);
	}
	fclose(f);
}

static void param_write(const char *name, uint32_t v)
{
	int e = coal_param_write(name, v);

	if (e)
		bail("cannot write %u to %s/%s: %s", v, PARAM_DIR, name,
		     strerror(e));
}

static bool settings_eq(const struct view *a, const struct view *b)
{
	return a->explicit == b->explicit && a->usecs == b->usecs &&
	       a->frames == b->frames && a->threshold == b->threshold &&
	       a->interval == b->interval;
}

static void view_str(const struct view *v, char *buf, size_t len)
{
	snprintf(buf, len, "%s %u us %u frames %u pps/%u ms",
		 v->explicit ? "explicit" : "default", v->usecs, v->frames,
		 v->threshold, v->interval);
}

/* ------------------------------------------------------------------ */
/* The model                                                            */

/* What vhost-net reports for ring @r (GET, debugfs). */
static void effective(int r, struct view *v)
{
	const struct ring *g = &mdl.ring[r];
	uint32_t u = g->explicit ? g->usecs : cap.def_usecs[r];
	uint32_t f = g->explicit ? g->frames : cap.def_frames[r];

	memset(v, 0, sizeof(*v));
	v->explicit = g->explicit;
	v->usecs = u ? clampu(u, cap.min_usecs, cap.max_usecs) : 0;
	v->frames = minu(f, cap.max_frames);
	v->threshold = g->explicit ? g->threshold : cap.def_threshold;
	v->interval = g->explicit ? g->interval : cap.def_interval;
}

/*
 * The relay's request for ring @r, sent with VHOST_VRING_COALESCE_F_CLAMP:
 * vhost-net brings it inside the caps and limits, or refuses it.
 */
static bool host_set(int r, uint32_t u, uint32_t f, uint32_t thr,
		     uint32_t intv)
{
	struct ring *g = &mdl.ring[r];

	if (u)
		u = clampu(u, cap.min_usecs, cap.max_usecs);
	if (f)
		f = minu(f, cap.max_frames);
	thr = minu(thr, RATE_LIMIT);
	if (intv)
		intv = clampu(intv, INTERVAL_MIN, INTERVAL_MAX);
	if ((!u && !intv) || (u && (!f || !intv)))
		return false;
	g->explicit = true;
	g->usecs = u;
	g->frames = f;
	g->threshold = thr;
	g->interval = intv;
	return true;
}

/* TX_SET, RX_SET, VQ_SET: virtio max_usecs/max_packets onto ring @r. */
static bool relay_set(int r, uint32_t usecs, uint32_t packets)
{
	uint32_t thr, intv;
	struct view old;

	effective(r, &old);
	if (mdl.rate_set) {
		thr = mdl.rate_threshold;
		intv = mdl.rate_interval;
	} else {
		thr = old.threshold;
		intv = old.interval;
	}
	if (usecs && packets)
		return host_set(r, usecs, packets, thr, intv);
	return host_set(r, 0, 1, thr, intv);
}

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* SYNC, already known to be well formed and valid. */
static void relay_sync(const uint8_t *p, struct expect *e)
{
	uint32_t budget = get_le32(p), rx_usecs = get_le32(p + 4);
	uint32_t rx_packets = get_le32(p + 8), tx = get_le32(p + 12);
	uint32_t thr = get_le32(p + 20), intv = get_le32(p + 24);
	struct model save = mdl;
	struct view c;

	if (!host_set(RX, rx_usecs, rx_usecs ? rx_packets : 1, thr, intv)) {
		mdl = save;
		e->status = ST_ERR;
		return;
	}
	effective(RX, &c);
	if (c.usecs > budget) {
		/* The host's shortest delay does not fit: RX off. */
		host_set(RX, 0, 1, thr, intv);
		effective(RX, &c);
	}
	memcpy(e->ans, p, SYNC_LEN);
	put_le32(e->ans + 4, c.usecs);
	put_le32(e->ans + 8, c.frames);
	put_le32(e->ans + 12, minu(tx, budget - c.usecs));
	put_le32(e->ans + 20, c.threshold);
	put_le32(e->ans + 24, c.interval);
	e->answer = true;
	e->touches[RX] = true;
	mdl.rate_set = true;
	mdl.rate_threshold = c.threshold;
	mdl.rate_interval = c.interval;
}

/* Predict @c and apply it to the model. */
static void predict(const struct cmd *c, struct expect *e)
{
	const uint8_t *p = c->out;
	uint32_t budget, rx_usecs;
	unsigned int vqn;
	struct view v;

	memset(e, 0, sizeof(*e));
	if (c->class != CLASS_COAL) {
		/* QEMU's own classes: one byte written, the ack. */
		e->any_status = true;
		e->used = 1;
		return;
	}
	/* Class 6: the ack, then on OK the command's result. */
	e->used = 1;
	e->status = ST_ERR;
	switch (c->cmd) {
	case CMD_TX_SET:
	case CMD_RX_SET:
		if (c->in_len || c->out_len != 8)
			return;
		relay_set(c->cmd == CMD_TX_SET ? TX : RX, get_le32(p + 4),
			  get_le32(p));
		e->touches[c->cmd == CMD_TX_SET ? TX : RX] = true;
		e->status = ST_OK;
		return;
	case CMD_VQ_SET:
		vqn = p[0] | p[1] << 8;
		if (c->in_len || c->out_len != 12 || vqn > 1)
			return;
		relay_set(vqn, get_le32(p + 8), get_le32(p + 4));
		e->touches[vqn] = true;
		e->status = ST_OK;
		return;
	case CMD_VQ_GET:
		vqn = p[0] | p[1] << 8;
		if (c->in_len != 8 || c->out_len != 4 || vqn > 1)
			return;
		effective(vqn, &v);
		put_le32(e->ans, v.frames);
		put_le32(e->ans + 4, v.usecs);
		e->answer = true;
		e->used += c->in_len;
		e->status = ST_OK;
		return;
	case CMD_SYNC:
		if (c->in_len != SYNC_LEN || c->out_len != SYNC_LEN)
			return;
		budget = get_le32(p);
		rx_usecs = get_le32(p + 4);
		if (get_le32(p + 28) || rx_usecs > budget ||
		    (rx_usecs && !get_le32(p + 8)) || !get_le32(p + 24))
			return;
		e->status = ST_OK;
		relay_sync(p, e);
		if (e->status == ST_OK)
			e->used += c->in_len;
		return;
	}
}

/* ------------------------------------------------------------------ */
/* Generation                                                           */

static uint32_t edgy(void)
{
	const uint32_t edges[] = {
		cap.min_usecs, cap.max_usecs, cap.max_frames, INTERVAL_MIN,
		INTERVAL_MAX, RATE_LIMIT, 256, 10000, 65536,
	};

	return fz_edgy(edges, ARRAY_SIZE(edges));
}

/* Rate threshold: 0 (always coalesce) often, so timers run. */
static uint32_t gen_threshold(void)
{
	return fz_chance(50) ? 0 : fz_chance(50) ? fz_below(3000) : edgy();
}

static void gen_sync(uint8_t *p)
{
	uint32_t budget = edgy(), rx;

	rx = fz_chance(75) && budget ? fz_below(budget) + fz_below(2) : edgy();
	put_le32(p, budget);
	put_le32(p + 4, rx);
	put_le32(p + 8, fz_chance(10) ? 0 : edgy());
	put_le32(p + 12, edgy());
	put_le32(p + 16, edgy());
	put_le32(p + 20, gen_threshold());
	put_le32(p + 24, fz_chance(8) ? 0 : edgy());
	put_le32(p + 28, fz_chance(8) ? fz_u32() | 1 : 0);
}

static void gen_coal(uint8_t *p)
{
	put_le32(p, fz_chance(10) ? 0 : edgy());	/* max_packets */
	put_le32(p + 4, fz_chance(10) ? 0 : edgy());	/* max_usecs */
}

static void gen_vqn(uint8_t *p)
{
	uint32_t vqn = fz_chance(85) ? fz_below(2) :
		       FZ_PICK(2, 3, 4, 255, 0x8000, 0xffff);

	p[0] = vqn;
	p[1] = vqn >> 8;
	/* The spec has the device ignore the reserved half. */
	p[2] = fz_chance(80) ? 0 : fz_u32();
	p[3] = fz_chance(80) ? 0 : fz_u32();
}

static void gen_cmd(struct cmd *c)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	if (fz_chance(15)) {
		/* Any other class, any command, any bytes. */
		do {
			c->class = fz_chance(70) ? fz_below(8) : fz_below(256);
		} while (c->class == CLASS_COAL);
		c->cmd = fz_chance(70) ? fz_below(6) : fz_below(256);
		c->out_len = fz_chance(50) ? FZ_PICK(0, 1, 2, 6, 8) :
					     fz_below(MAX_BYTES + 1);
		c->in_len = fz_chance(60) ? 0 : fz_below(40);
		for (i = 0; i < c->out_len; i++)
			c->out[i] = fz_u32();
		return;
	}
	c->class = CLASS_COAL;
	c->cmd = FZ_PICK(CMD_TX_SET, CMD_TX_SET, CMD_RX_SET, CMD_RX_SET,
			 CMD_VQ_SET, CMD_VQ_SET, CMD_VQ_GET, CMD_SYNC,
			 CMD_SYNC, CMD_SYNC, 5, 255);
	switch (c->cmd) {
	case CMD_TX_SET:
	case CMD_RX_SET:
		c->out_len = 8;
		gen_coal(c->out);
		break;
	case CMD_VQ_SET:
		c->out_len = 12;
		gen_vqn(c->out);
		gen_coal(c->out + 4);
		break;
	case CMD_VQ_GET:
		c->out_len = 4;
		c->in_len = 8;
		gen_vqn(c->out);
		break;
	case CMD_SYNC:
		c->out_len = SYNC_LEN;
		c->in_len = SYNC_LEN;
		gen_sync(c->out);
		break;
	default:
		c->out_len = fz_below(MAX_BYTES + 1);
		for (i = 0; i < c->out_len; i++)
			c->out[i] = fz_u32();
	}
	/* Malformed lengths, a quarter of the time. */
	if (fz_chance(25)) {
		switch (fz_below(3)) {
		case 0:
			c->out_len = fz_below(MAX_BYTES + 1);
			break;
		case 1:
			c->in_len = fz_below(40);
			break;
		default:
			c->out_len += fz_chance(50) ? 1 : -1;
			if (c->out_len > MAX_BYTES)
				c->out_len = 0;
		}
		for (i = 0; i < c->out_len; i++)
			if (!c->out[i] && fz_chance(50))
				c->out[i] = fz_u32();
	}
}

/* ------------------------------------------------------------------ */
/* The guest                                                            */

static void guest_connect(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = GUEST_ANSWER_S };
	char host[64], *colon;
	int fd, i;

	snprintf(host, sizeof(host), "%s", guest);
	colon = strchr(host, ':');
	if (!colon)
		bail("--guest ADDR:PORT");
	*colon = '\0';
	sa.sin_port = htons(atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		bail("bad address %s", host);
	for (i = 0; i < 100; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			bail("socket: %s", strerror(errno));
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		close(fd);
		fd = -1;
		usleep(200000);
	}
	if (fd < 0)
		bail("cannot connect to the guest loop at %s", guest);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		bail("SO_RCVTIMEO/SO_SNDTIMEO: %s", strerror(errno));
	gin = fdopen(fd, "r");
	gout = fdopen(dup(fd), "w");
	if (!gin || !gout)
		bail("fdopen");
}

static void guest_send(const char *line)
{
	if (fprintf(gout, "%s\n", line) < 0 || fflush(gout))
		bail("guest connection lost (send)");
}

static void guest_recv(char *out, size_t len)
{
	errno = 0;
	if (!fgets(out, len, gin)) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			bail("the guest did not answer in %d s", GUEST_ANSWER_S);
		bail("guest connection lost: no answer");
	}
	out[strcspn(out, "\n")] = '\0';
}

/* One line to the guest, one line back (without the newline). */
static void guest_call(const char *line, char *out, size_t len)
{
	guest_send(line);
	guest_recv(out, len);
}

static int unhex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	       c - 'a' + 10 : -1;
}

static void send_cmd(const struct cmd *c)
{
	char line[3 * MAX_BYTES + 64];
	unsigned int i;
	int n;

	n = snprintf(line, sizeof(line), "c %u %u %u ", c->class, c->cmd,
		     c->in_len);
	if (!c->out_len)
		snprintf(line + n, sizeof(line) - n, "-");
	for (i = 0; i < c->out_len; i++)
		n += snprintf(line + n, sizeof(line) - n, "%02x", c->out[i]);
	guest_send(line);
}

static void recv_reply(struct reply *r)
{
	char out[3 * MAX_BYTES + 128], *a;

	guest_recv(out, sizeof(out));
	memset(r, 0, sizeof(*r));
	if (sscanf(out, "w=%d status=%d used=%u", &r->write_rc, &r->status,
		   &r->used) != 3)
		bail("guest loop answered '%s'", out);
	a = strstr(out, "answer=");
	if (!a)
		bail("guest loop answered '%s'", out);
	for (a += 7; unhex(a[0]) >= 0 && unhex(a[1]) >= 0 &&
	     r->answer_len < MAX_BYTES; a += 2)
		r->answer[r->answer_len++] = unhex(a[0]) << 4 | unhex(a[1]);
}

/* ------------------------------------------------------------------ */
/* Checks                                                               */

static void cmd_str(const struct cmd *c, char *buf, size_t len)
{
	unsigned int i;
	int n;

	n = snprintf(buf, len, "class %u cmd %u in %u out %u:", c->class,
		     c->cmd, c->in_len, c->out_len);
	for (i = 0; i < c->out_len && n < (int)len - 3; i++)
		n += snprintf(buf + n, len - n, "%02x", c->out[i]);
}

static void check_reply(const struct cmd *c, const struct expect *e,
			const struct reply *r)
{
	unsigned int i, ack;
	bool untouched;
	char cs[256];

	cmd_str(c, cs, sizeof(cs));
	ack = r->status;
	if (!expect(P_ANSWERED, !r->write_rc &&
			 (ack == ST_OK || ack == ST_ERR),
			 "%s: write %d, ack %u", cs, r->write_rc, ack))
		return;
	if (ack == ST_OK)
		n_ok++;
	else
		n_err++;
	if (c->class != CLASS_COAL) {
		expect(P_ANSWERED, r->used == e->used, "%s: used %u, want %u",
		       cs, r->used, e->used);
		return;
	}
	n_valid += e->status == ST_OK;
	n_cmd_valid[c->cmd < 5 ? c->cmd : 5] += e->status == ST_OK;
	if (!expect(P_VALIDITY, ack == (unsigned int)e->status,
		    "%s: status %u, want %u", cs, ack, e->status))
		return;
	expect(P_ANSWERED, r->used == e->used, "%s: used %u, want %u", cs,
	       r->used, e->used);
	if (ack == ST_OK && e->answer) {
		bool same = !memcmp(r->answer, e->ans, c->in_len);

		if (!expect(P_ANSWERS, same, "%s: answer differs", cs) &&
		    shown <= FZ_SHOWN_MAX) {
			printf("#   got ");
			for (i = 0; i < c->in_len; i++)
				printf("%02x", r->answer[i]);
			printf("\n#   want ");
			for (i = 0; i < c->in_len; i++)
				printf("%02x", e->ans[i]);
			printf("\n");
		}
		if (c->cmd == CMD_VQ_GET)
			expect(P_CAPS, usecs_in_caps(get_le32(r->answer + 4)) &&
				    get_le32(r->answer) <= cap.max_frames,
				    "%s: VQ_GET answer outside the caps", cs);
		if (c->cmd == CMD_SYNC)
			expect(P_CAPS, usecs_in_caps(get_le32(r->answer + 4)) &&
				    get_le32(r->answer + 8) <= cap.max_frames,
				    "%s: SYNC answer outside the caps", cs);
	}
	if (ack == ST_ERR && c->in_len) {
		/* ctrlq_inject fills the writable part with 0xff. */
		untouched = true;
		for (i = 0; i < c->in_len && i < r->answer_len; i++)
			untouched &= r->answer[i] == 0xff;
		expect(P_WRITTEN, !untouched || r->used <= 1,
			    "%s: VIRTIO_NET_ERR with used %u, but the %u result bytes after the ack were never written",
			    cs, r->used, c->in_len);
	}
}

/* Both rings on the host against the model; caps. */
static void check_host(const char *what)
{
	struct view got, want;
	char g[128], w[128];
	int r;

	for (r = RX; r <= TX; r++) {
		view_read(dbg_dir, r, &got);
		effective(r, &want);
		view_str(&got, g, sizeof(g));
		view_str(&want, w, sizeof(w));
		expect(P_STATE, settings_eq(&got, &want),
			    "%s: host %s: %s, model: %s", what,
			    r == RX ? "rx" : "tx", g, w);
		expect(P_CAPS, usecs_in_caps(got.usecs) &&
			    got.frames <= cap.max_frames &&
			    got.threshold <= RATE_LIMIT &&
			    got.interval <= INTERVAL_MAX,
			    "%s: host %s %s beyond the caps %u-%u us, %u frames",
			    what, r == RX ? "rx" : "tx", g, cap.min_usecs,
			    cap.max_usecs, cap.max_frames);
	}
}

static struct view other0[2];

/*
 * The other device's rings as at the start.  The caps may have moved
 * since: its values are the start's, clamped again (they were set within
 * the tightest caps the run uses, so nothing else can differ).
 */
static void check_other(void)
{
	struct view v, want;
	char g[128], w[128];
	int r;

	for (r = RX; r <= TX; r++) {
		view_read(other_dir, r, &v);
		want = other0[r];
		if (want.usecs)
			want.usecs = clampu(want.usecs, cap.min_usecs,
					    cap.max_usecs);
		want.frames = minu(want.frames, cap.max_frames);
		view_str(&v, g, sizeof(g));
		view_str(&want, w, sizeof(w));
		expect(P_OTHER, settings_eq(&v, &want),
			    "other device %s: %s, was %s",
			    r == RX ? "rx" : "tx", g, w);
	}
}

/* Timer rate windows. */
static struct {
	double t;
	struct view v[2];
	uint32_t min_usecs;	/* smallest cap in the window */
	unsigned int changes[2];/* valid SETs of each ring */
} win;

static void window_start(void)
{
	int r;

	win.t = now_s();
	for (r = RX; r <= TX; r++) {
		view_read(dbg_dir, r, &win.v[r]);
		win.changes[r] = 0;
	}
	win.min_usecs = cap.min_usecs;
}

/*
 * Close the window: fires/s of each ring within the bound. Returns the
 * packets/s and fires/s seen, for the hot phase.
 */
static void window_end(int p, double pps[2], double dps[2], double fps[2])
{
	double dt = now_s() - win.t, bound;
	uint64_t fires, pkts, due;
	struct view v;
	int r;

	for (r = RX; r <= TX; r++) {
		view_read(dbg_dir, r, &v);
		fires = v.timer_fires - win.v[r].timer_fires;
		pkts = v.packets - win.v[r].packets;
		due = v.due - win.v[r].due;
		due_total[r] += due;
		fires_total[r] += fires;
		bound = dt * 1e6 / win.min_usecs * 1.05 + 2 +
			win.changes[r];
		if (fires / bound > max_ratio[r])
			max_ratio[r] = fires / bound;
		if (fires / dt > max_fps[r]) {
			max_fps[r] = fires / dt;
			max_fps_bound[r] = 1e6 / win.min_usecs;
		}
		windows_firing[r] += fires > 0;
		expect(p, fires <= bound,
			    "%s: %" PRIu64 " timer fires in %.2f s (%.0f/s), bound %.0f (min_usecs %u, %u changes), %" PRIu64 " packets, %" PRIu64 " signals due",
			    r == RX ? "rx" : "tx", fires, dt, fires / dt,
			    bound, win.min_usecs, win.changes[r], pkts, due);
		if (pps)
			pps[r] = pkts / dt;
		if (dps)
			dps[r] = due / dt;
		if (fps)
			fps[r] = fires / dt;
	}
	windows++;
}

/* ------------------------------------------------------------------ */
/* Operations besides commands                                          */

static void op_reset(void)
{
	char out[128];

	guest_call("r", out, sizeof(out));
	if (strncmp(out, "w=0 reset", 9))
		bail("guest could not reset the device: %s", out);
	memset(&mdl, 0, sizeof(mdl));
	n_resets++;
	win.changes[RX]++;
	win.changes[TX]++;
}

/*
 * New caps around the run's base minimum B (the one at start): minimum B
 * or 3B/2, maximum 3B/2 to 20B (at most 1 s), frames 32 to 4096.  The
 * module defaults are 3B/2 (set by the caller), inside every choice.
 */
static uint32_t base_min;

static void op_caps(void)
{
	uint32_t max = base_min * FZ_PICK(3, 4, 10, 40) / 2;
	uint32_t frames = FZ_PICK(32, 64, 256, 1024, 4096);
	uint32_t min = base_min * FZ_PICK(2, 3) / 2;

	/* Each write is valid: the defaults stay inside every choice. */
	if (max > 1000000)
		max = 1000000;
	param_write("coalesce_max_usecs", max);
	param_write("coalesce_max_frames", frames);
	param_write("coalesce_min_usecs", min);
	caps_get();
	n_caps++;
	/* The clamp on read may flush held signals: a stale expiry each. */
	win.changes[RX]++;
	win.changes[TX]++;
	if (cap.min_usecs < win.min_usecs)
		win.min_usecs = cap.min_usecs;
}

/*
 * @n commands sent back to back (the guest runs them in order), each
 * predicted in turn; their answers checked one by one, the host rings
 * once after the last.  @n 1: the host after every command.
 */
static void run_commands(struct cmd *c, unsigned int n)
{
	struct expect e[MAX_BATCH];
	unsigned long end = step;
	struct reply r;
	unsigned int k;
	char cs[256];
	int i;

	for (k = 0; k < n; k++) {
		predict(&c[k], &e[k]);
		send_cmd(&c[k]);
	}
	for (k = 0; k < n; k++) {
		recv_reply(&r);
		/* Failures name the command's own step. */
		step = end >= n ? end - n + 1 + k : end;
		if (verbose) {
			cmd_str(&c[k], cs, sizeof(cs));
			diag("step %lu %s -> status %d used %u (want %d used %u)",
			     step, cs, r.status, r.used, e[k].status,
			     e[k].used);
		}
		if (c[k].class == CLASS_COAL) {
			n_class6++;
			n_cmd[c[k].cmd < 5 ? c[k].cmd : 5]++;
		} else {
			n_other_class++;
		}
		check_reply(&c[k], &e[k], &r);
		for (i = RX; i <= TX; i++)
			win.changes[i] += e[k].touches[i];
	}
	check_host(n > 1 ? "after a batch" : c->class == CLASS_COAL ?
		   "class 6" : "other class");
	step = end;
}

static void one_command(struct cmd *c)
{
	run_commands(c, 1);
}

/*
 * Hot phase: the shortest delays and largest bounds a guest can ask for,
 * rate threshold 0, on both rings; then one window of traffic.
 */
static void hot_phase(void)
{
	double pps[2], dps[2], fps[2], bound;
	struct view v;
	struct cmd c;
	int r;

	/*
	 * The run's base caps again, with room for frames: the timer, not
	 * the frame bound, must end the windows.
	 */
	if (caps_ops) {
		param_write("coalesce_max_usecs", 2 * base_min);
		param_write("coalesce_max_frames", 1024);
		param_write("coalesce_min_usecs", base_min);
		caps_get();
	}
	memset(&c, 0, sizeof(c));
	c.class = CLASS_COAL;
	c.cmd = CMD_SYNC;
	c.in_len = SYNC_LEN;
	c.out_len = SYNC_LEN;
	put_le32(c.out, 0xffffffff);		/* budget */
	put_le32(c.out + 4, 1);			/* rx_usecs */
	put_le32(c.out + 8, 0xffffffff);	/* rx_max_packets */
	put_le32(c.out + 16, 1);
	put_le32(c.out + 20, 0);		/* threshold: always */
	put_le32(c.out + 24, 10);		/* interval */
	one_command(&c);
	memset(&c, 0, sizeof(c));
	c.class = CLASS_COAL;
	c.cmd = CMD_TX_SET;
	c.out_len = 8;
	put_le32(c.out, 0xffffffff);		/* max_packets */
	put_le32(c.out + 4, 1);			/* max_usecs */
	one_command(&c);

	/* Let the gates see the traffic, then measure. */
	usleep(500000);
	window_start();
	usleep(hot_s * 1e6);
	window_end(P_HOT, pps, dps, fps);
	bound = 1e6 / cap.min_usecs;
	for (r = RX; r <= TX; r++) {
		view_read(dbg_dir, r, &v);
		diag("hot %s: %s, %u us, %u frames: %.0f packets/s, %.0f signals due/s, %.0f timer fires/s; bound %.0f/s",
		     r == RX ? "rx" : "tx", v.state, v.usecs, v.frames, pps[r],
		     dps[r], fps[r], bound);
		expect(P_HOT, fps[r] > 0,
			    "hot %s: no timer fire: coalescing not engaged",
			    r == RX ? "rx" : "tx");
		/*
		 * Each fire needs a due signal that armed the timer: only
		 * with more of those than the bound can it be exceeded.
		 */
		expect(P_HOT, dps[r] > 1.5 * bound,
			    "hot %s: %.0f signals due/s, not above 1.5 x the bound %.0f/s: the bound is not tested (raise coalesce_min_usecs)",
			    r == RX ? "rx" : "tx", dps[r], bound);
	}
}

/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f, "usage: ctrlq_fuzz --dbg DIR --other DIR [--guest ADDR:PORT] [--seed N] [--count N]\n"
		   "                  [--window SEC] [--hot SEC] [--batch K] [--caps-ops] [--reset-ops] [-v]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		FZ_OPTIONS,
		{ "dbg", required_argument, NULL, 'd' },
		{ "other", required_argument, NULL, 'o' },
		{ "guest", required_argument, NULL, 'g' },
		{ "window", required_argument, NULL, 'w' },
		{ "hot", required_argument, NULL, 'H' },
		{ "batch", required_argument, NULL, 'b' },
		{ "caps-ops", no_argument, NULL, 'C' },
		{ "reset-ops", no_argument, NULL, 'R' },
		{ }
	};
	bool fail = false;
	struct cmd c[MAX_BATCH];
	unsigned int k;
	double t0;
	char out[64];
	int o, i, n = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((o = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		if (fz_option(o, &count))
			continue;
		switch (o) {
		case 'd':
			dbg_dir = optarg;
			break;
		case 'o':
			other_dir = optarg;
			break;
		case 'g':
			guest = optarg;
			break;
		case 'w':
			window_s = atof(optarg);
			break;
		case 'H':
			hot_s = atof(optarg);
			break;
		case 'b':
			batch = strtoul(optarg, NULL, 0);
			if (!batch || batch > MAX_BATCH)
				batch = 1;
			break;
		case 'C':
			caps_ops = true;
			break;
		case 'R':
			reset_ops = true;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!dbg_dir || !other_dir) {
		usage(stderr);
		return 2;
	}
	fz_begin();
	diag("seed %" PRIu64 " (replay: --seed %" PRIu64 "), %lu commands",
	     seed, seed, count);
	caps_get();
	base_min = cap.min_usecs;
	for (i = RX; i <= TX; i++)
		view_read(other_dir, i, &other0[i]);
	guest_connect();

	/* A device reset first: the model starts from the host defaults. */
	op_reset();
	check_host("after the first reset");
	t0 = now_s();
	window_start();
	for (step = 0; step < count;) {
		if (reset_ops && fz_chance(1))
			op_reset();
		else if (caps_ops && fz_chance(2))
			op_caps();
		for (k = 0; k < batch && step < count; k++, step++)
			gen_cmd(&c[k]);
		run_commands(c, k);
		if (now_s() - win.t >= window_s) {
			window_end(P_RATE, NULL, NULL, NULL);
			window_start();
		}
		if (step / 50 != (step - k) / 50)
			check_other();
	}
	window_end(P_RATE, NULL, NULL, NULL);
	diag("%lu commands in %.1f s (%.1f/s): class 6 %" PRIu64 " (TX_SET %" PRIu64 ", RX_SET %" PRIu64 ", VQ_SET %" PRIu64 ", VQ_GET %" PRIu64 ", SYNC %" PRIu64 ", unknown %" PRIu64 "), other classes %" PRIu64,
	     count, now_s() - t0, count / (now_s() - t0), n_class6, n_cmd[0],
	     n_cmd[1], n_cmd[2], n_cmd[3], n_cmd[4], n_cmd[5], n_other_class);
	diag("answers: OK %" PRIu64 ", ERR %" PRIu64 "; class 6 valid %" PRIu64 "; %" PRIu64 " resets, %" PRIu64 " cap changes",
	     n_ok, n_err, n_valid, n_resets, n_caps);
	diag("timer windows: %u; firing rx %u, tx %u; highest fires/bound rx %.2f, tx %.2f; signals due rx %" PRIu64 ", tx %" PRIu64 ", timer fires rx %" PRIu64 ", tx %" PRIu64,
	     windows, windows_firing[RX], windows_firing[TX], max_ratio[RX],
	     max_ratio[TX], due_total[RX], due_total[TX], fires_total[RX],
	     fires_total[TX]);
	diag("highest timer fires/s: rx %.1f (bound %.0f), tx %.1f (bound %.0f)",
	     max_fps[RX], max_fps_bound[RX], max_fps[TX], max_fps_bound[TX]);
	for (i = CMD_TX_SET; i <= CMD_SYNC; i++)
		expect(P_COVERAGE, n_cmd_valid[i] && n_cmd_valid[i] < n_cmd[i],
		       "%s: %" PRIu64 " sent, %" PRIu64 " valid: not both kinds",
		       cmd_name[i], n_cmd[i], n_cmd_valid[i]);

	if (hot_s > 0)
		hot_phase();
	check_other();
	guest_call("q", out, sizeof(out));

	for (i = 0; i < P_NUM; i++) {
		if (i == P_HOT && hot_s <= 0)
			continue;
		fail |= !fz_tap_line(++n, i, prop_name[i]);
	}
	printf("1..%d\n", n);
	if (fail)
		diag("replay: NCOAL_SEED=%" PRIu64 " NCOAL_FUZZ_N=%lu", seed,
		     count);
	return fail ? 1 : 0;
}

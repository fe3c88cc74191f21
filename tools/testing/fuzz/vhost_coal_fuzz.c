// SPDX-License-Identifier: GPL-2.0
/*
 * vhost_coal_fuzz: random calls of the vhost-net coalescing uAPI
 * (include/uapi/linux/vhost_net_coalesce.h) on /dev/vhost-net, judged
 * against a model of what the uAPI documents.
 *
 *   vhost_coal_fuzz [--seed N] [--count N] [--uid N] [--tap NAME] [-v]
 *
 * Set up as root, then run as an unprivileged user (default uid/gid
 * 65534, no capabilities), the way a VMM that was handed its vhost-net
 * file descriptor runs:
 *
 *   A  a device nobody owns (opened only)
 *   B  a device owned by this process, nothing else set up
 *   C  a device owned and set up: features, memory table, both rings,
 *      kick and call eventfds, a tap backend (kept down: no traffic)
 *
 * Each step picks a device and one of: VHOST_NET_SET_VRING_COALESCE with
 * random index, flags, values and reserved fields;
 * VHOST_NET_GET_VRING_COALESCE; ..._STATS; or a random ioctl number of
 * the 0xAF (vhost) range near ours (0x27-0xff, any direction and size,
 * never one of the stock vhost ioctls, which are not ours to fuzz).  The
 * argument sits in a full buffer, a buffer truncated by an unmapped
 * page, a read-only page, or at NULL.  After every call:
 *
 *   - the result (0 or the errno) is the one the model predicts: EFAULT
 *     (argument not readable/writable), EPERM (not the owner), EINVAL
 *     (ring index, flags, reserved fields, combinations), ERANGE
 *     (outside the caps), and for numbers that are not ours what vhost
 *     itself answers (EPERM before ownership, EFAULT, ENOBUFS for a
 *     ring index past the rings, else ENOTTY);
 *   - GET of both rings of the device equals the model: accepted SETs
 *     took effect (after the caps, F_CLAMP applied), rejected calls
 *     changed nothing;
 *   - STATS of both rings: the state the settings imply (no traffic: off,
 *     or active only with a rate threshold of 0), gate transitions as
 *     modelled, no packet counted, reserved fields zero, index echoed;
 *   - no value ever outside the caps.
 *
 * Then a child process (another mm) calls the same descriptors: EPERM or
 * EFAULT only, nothing changes; and device A, finally owned, still has
 * the module's defaults.
 *
 * The caps and defaults are read from /sys/module/vhost_net/parameters
 * at start; nothing may change them during the run.  Output: TAP 13,
 * one line per property; exit 0 pass, 1 fail, 4 skip.  Every run prints
 * its seed; --seed replays it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

/* Properties, one TAP line each. */
enum {
	P_ERRNO,	/* results as predicted */
	P_APPLIED,	/* accepted SETs took effect */
	P_UNCHANGED,	/* rejected calls changed nothing */
	P_STATS,	/* STATS as predicted */
	P_CAPS,		/* no value outside the caps */
	P_CHILD,	/* another process: EPERM/EFAULT only, no change */
	P_OWN_LATE,	/* device A still at the defaults once owned */
	P_NUM
};

#define FZ_NPROPS	P_NUM
#include "fuzz_common.h"

#define RING_NUM	64
#define PAGE		4096
#define BIG		(1u << 30)	/* "the whole buffer is accessible" */

#define F_ALL		VHOST_VRING_COALESCE_F_ALL

/* What the model knows of one ring. */
struct ring_model {
	bool explicit, adaptive;
	uint32_t usecs, frames, threshold, interval;	/* as stored */
	uint32_t num;	/* ring size while it has a backend, else 0 */
	bool active;
	uint64_t activations, deactivations;
};

struct dev {
	const char *name;
	int fd;
	bool owned;
	struct ring_model ring[NRINGS];
};

static const char *const prop_name[P_NUM] = {
	[P_ERRNO] = "every result is the predicted errno (or success)",
	[P_APPLIED] = "accepted SETs take effect (GET after equals the request within the caps)",
	[P_UNCHANGED] = "rejected calls change nothing (GET of both rings before and after)",
	[P_STATS] = "STATS: state, gate transitions, zero counters and reserved fields as predicted",
	[P_CAPS] = "no GET or STATS value outside the admin caps",
	[P_CHILD] = "another process using the same descriptors: EPERM/EFAULT only, nothing changes",
	[P_OWN_LATE] = "the device nobody owned during the run has the module defaults once owned",
};

static struct dev devs[3];
static uint8_t *arena;		/* RW page, hole, RO page, hole */
static unsigned long count = 2000;
static unsigned int uid = 65534;
static char tap_name[IFNAMSIZ] = "vcfuzz0";

static uint64_t n_ours_ok, n_ours_err, n_other, n_by_errno[256];

/* ------------------------------------------------------------------ */
/* Set-up (as root)                                                     */

static void die(const char *what)
{
	printf("# %s: %s\n", what, strerror(errno));
	printf("Bail out! set-up failed\n");
	exit(1);
}

static void xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	if (ioctl(fd, req, arg) < 0)
		die(what);
}

static int tap_open(void)
{
	int hdr = sizeof(struct virtio_net_hdr_mrg_rxbuf), fd;
	struct ifreq ifr;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("open /dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, tap_name, IFNAMSIZ);	/* NUL-terminated */
	xioctl(fd, TUNSETIFF, &ifr, "TUNSETIFF");
	xioctl(fd, TUNSETVNETHDRSZ, &hdr, "TUNSETVNETHDRSZ");
	/* Left down: no frame ever reaches the rings. */
	return fd;
}

/* Device C: owner, features, memory, both rings, a tap backend. */
static void dev_setup_full(int fd)
{
	uint64_t features = 1ULL << VIRTIO_F_VERSION_1;
	size_t ring_bytes = (vring_size(RING_NUM, PAGE) + PAGE - 1) & ~(PAGE - 1);
	struct vhost_memory *mem;
	struct vhost_vring_file f;
	struct vring vr;
	uint8_t *guest;
	int i, tap;

	xioctl(fd, VHOST_SET_OWNER, NULL, "VHOST_SET_OWNER");
	xioctl(fd, VHOST_SET_FEATURES, &features, "VHOST_SET_FEATURES");
	guest = mmap(NULL, NRINGS * ring_bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (guest == MAP_FAILED)
		die("mmap guest memory");
	mem = calloc(1, sizeof(*mem) + sizeof(mem->regions[0]));
	if (!mem)
		die("calloc");
	mem->nregions = 1;
	mem->regions[0].guest_phys_addr = (uintptr_t)guest;
	mem->regions[0].userspace_addr = (uintptr_t)guest;
	mem->regions[0].memory_size = NRINGS * ring_bytes;
	xioctl(fd, VHOST_SET_MEM_TABLE, mem, "VHOST_SET_MEM_TABLE");
	free(mem);

	tap = tap_open();
	for (i = 0; i < NRINGS; i++) {
		struct vhost_vring_state st = { .index = i, .num = RING_NUM };
		struct vhost_vring_addr addr = { .index = i };

		vring_init(&vr, RING_NUM, guest + i * ring_bytes, PAGE);
		xioctl(fd, VHOST_SET_VRING_NUM, &st, "VHOST_SET_VRING_NUM");
		st.num = 0;
		xioctl(fd, VHOST_SET_VRING_BASE, &st, "VHOST_SET_VRING_BASE");
		addr.desc_user_addr = (uintptr_t)vr.desc;
		addr.avail_user_addr = (uintptr_t)vr.avail;
		addr.used_user_addr = (uintptr_t)vr.used;
		xioctl(fd, VHOST_SET_VRING_ADDR, &addr, "VHOST_SET_VRING_ADDR");
		f.index = i;
		f.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (f.fd < 0)
			die("eventfd");
		xioctl(fd, VHOST_SET_VRING_KICK, &f, "VHOST_SET_VRING_KICK");
		f.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (f.fd < 0)
			die("eventfd");
		xioctl(fd, VHOST_SET_VRING_CALL, &f, "VHOST_SET_VRING_CALL");
		f.fd = tap;
		xioctl(fd, VHOST_NET_SET_BACKEND, &f, "VHOST_NET_SET_BACKEND");
	}
}

static void ring_model_init(struct ring_model *r, int idx);

static void devs_open(void)
{
	static const char *const names[] = { "A (unowned)", "B (owned)",
					     "C (set up)" };
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(devs); i++) {
		devs[i].name = names[i];
		devs[i].fd = open(DEV_PATH, O_RDWR | O_CLOEXEC);
		if (devs[i].fd < 0)
			die("open " DEV_PATH);
		for (j = 0; j < NRINGS; j++)
			ring_model_init(&devs[i].ring[j], j);
	}
	xioctl(devs[1].fd, VHOST_SET_OWNER, NULL, "VHOST_SET_OWNER");
	devs[1].owned = true;
	dev_setup_full(devs[2].fd);
	devs[2].owned = true;
	for (j = 0; j < NRINGS; j++)
		devs[2].ring[j].num = RING_NUM;
}

/*
 * Whether uid @u could open the device itself; then drop to it for good:
 * no groups, no capabilities, no way back.
 */
static void drop_privileges(void)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		int fd;

		if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid))
			_exit(2);
		fd = open(DEV_PATH, O_RDWR);
		_exit(fd >= 0 ? 0 : errno == EACCES || errno == EPERM ? 1 : 3);
	}
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		diag("uid %u may open %s itself (its permissions allow it)",
		     uid, DEV_PATH);
	else
		diag("uid %u may not open %s itself (permissions); like a VMM handed the descriptors by a privileged manager, it uses the ones opened before the drop",
		     uid, DEV_PATH);

	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		die("dropping privileges");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die("PR_SET_NO_NEW_PRIVS");
}

/* Unprivileged for real: the module parameters are out of reach. */
static bool unprivileged(void)
{
	int fd = open(PARAM_DIR "/coalesce_max_usecs", O_WRONLY);

	if (fd >= 0) {
		close(fd);
		return false;
	}
	return geteuid() != 0 && getegid() != 0;
}

/* ------------------------------------------------------------------ */
/* The model                                                            */

/* The settings in effect: explicit or module defaults, within the caps. */
static void effective(const struct ring_model *r, int idx,
		      struct vhost_vring_coalesce *c)
{
	uint32_t u = r->explicit ? r->usecs : cap.def_usecs[idx];
	uint32_t f = r->explicit ? r->frames : cap.def_frames[idx];

	memset(c, 0, sizeof(*c));
	c->index = idx;
	c->flags = r->explicit ? 0 : F_DEFAULT;
	if (r->explicit && r->adaptive)
		c->flags |= VHOST_VRING_COALESCE_F_ADAPTIVE;
	c->usecs = u ? clampu(u, cap.min_usecs, cap.max_usecs) : 0;
	c->max_frames = minu(f, cap.max_frames);
	/* A running ring's frame bound is at most half its size. */
	if (r->num)
		c->max_frames = minu(c->max_frames, r->num / 2 ? r->num / 2 : 1);
	c->rate_threshold = r->explicit ? r->threshold : cap.def_threshold;
	c->rate_interval_ms = r->explicit ? r->interval : cap.def_interval;
}

/* No traffic: the measured rate stays 0, so the gate is open only at 0. */
static bool gate_open(const struct ring_model *r, int idx)
{
	struct vhost_vring_coalesce c;

	effective(r, idx, &c);
	return c.usecs && c.max_frames > 1 && !c.rate_threshold;
}

static void ring_model_init(struct ring_model *r, int idx)
{
	memset(r, 0, sizeof(*r));
	r->active = gate_open(r, idx);
}

/* Settings changed: the gate is re-evaluated, transitions counted. */
static void gate_update(struct ring_model *r, int idx)
{
	bool active = gate_open(r, idx);

	if (active == r->active)
		return;
	r->active = active;
	if (active)
		r->activations++;
	else
		r->deactivations++;
}

/*
 * VHOST_NET_SET_VRING_COALESCE: the errno for @req, of which @readable
 * bytes can be read; on success the model is updated.
 */
static int model_set(struct dev *d, bool same_mm,
		     const struct vhost_vring_coalesce *req, size_t readable)
{
	struct vhost_vring_coalesce v;
	struct ring_model *r;

	if (readable < sizeof(uint32_t))
		return EFAULT;
	if (!d->owned || !same_mm)
		return EPERM;
	if (req->index >= NRINGS)
		return EINVAL;
	if (readable < sizeof(*req))
		return EFAULT;
	v = *req;
	if (v.flags & ~F_ALL)
		return EINVAL;
	if (v.flags & F_CLAMP) {
		v.flags &= ~F_CLAMP;
		if (v.usecs)
			v.usecs = clampu(v.usecs, cap.min_usecs,
					 cap.max_usecs);
		if (v.max_frames)
			v.max_frames = minu(v.max_frames, cap.max_frames);
		v.rate_threshold = minu(v.rate_threshold, RATE_LIMIT);
		if (v.rate_interval_ms)
			v.rate_interval_ms = clampu(v.rate_interval_ms,
						    INTERVAL_MIN,
						    INTERVAL_MAX);
	}
	if (v.reserved[0] || v.reserved[1])
		return EINVAL;
	r = &d->ring[v.index];
	if (v.flags & F_DEFAULT) {
		if (v.usecs || v.max_frames || v.rate_threshold ||
		    v.rate_interval_ms ||
		    (v.flags & VHOST_VRING_COALESCE_F_ADAPTIVE))
			return EINVAL;
		r->explicit = false;
		gate_update(r, v.index);
		return 0;
	}
	/* Off needs nothing else, but a zero interval is never valid. */
	if (!v.usecs && !v.rate_interval_ms)
		return EINVAL;
	if (v.usecs && (!v.max_frames || !v.rate_interval_ms))
		return EINVAL;
	if (v.usecs && v.rate_interval_ms < INTERVAL_MIN)
		return ERANGE;
	if (v.usecs > cap.max_usecs || v.max_frames > cap.max_frames ||
	    v.rate_threshold > RATE_LIMIT || v.rate_interval_ms > INTERVAL_MAX)
		return ERANGE;
	if (v.usecs && v.usecs < cap.min_usecs)
		return ERANGE;
	r->explicit = true;
	r->adaptive = v.flags & VHOST_VRING_COALESCE_F_ADAPTIVE;
	r->usecs = v.usecs;
	r->frames = v.max_frames;
	r->threshold = v.rate_threshold;
	r->interval = v.rate_interval_ms;
	gate_update(r, v.index);
	return 0;
}

/* GET and STATS: the errno for an argument of @size bytes. */
static int model_get(const struct dev *d, bool same_mm, uint32_t idx,
		     size_t size, size_t readable, size_t writable)
{
	if (readable < sizeof(uint32_t))
		return EFAULT;
	if (!d->owned || !same_mm)
		return EPERM;
	if (idx >= NRINGS)
		return EINVAL;
	if (writable < size)
		return EFAULT;
	return 0;
}

/* Any other number of the 0xAF range: what vhost itself answers. */
static int model_other(const struct dev *d, bool same_mm, uint32_t idx,
		       size_t readable)
{
	if (!d->owned || !same_mm)
		return EPERM;
	if (readable < sizeof(uint32_t))
		return EFAULT;
	if (idx >= NRINGS)
		return ENOBUFS;
	return ENOTTY;
}

/* ------------------------------------------------------------------ */
/* Observation                                                          */

static int do_ioctl(int fd, unsigned long nr, void *arg)
{
	return ioctl(fd, nr, arg) < 0 ? errno : 0;
}

static bool caps_ok(const struct vhost_vring_coalesce *c)
{
	return usecs_in_caps(c->usecs) && c->max_frames <= cap.max_frames &&
	       c->rate_threshold <= RATE_LIMIT &&
	       c->rate_interval_ms <= INTERVAL_MAX;
}

/* Details of a failure, as long as failures are still printed. */
static void show(const char *what, const struct vhost_vring_coalesce *c)
{
	if (shown > FZ_SHOWN_MAX)
		return;
	printf("#   %s: index %u flags %#x usecs %u max_frames %u threshold %u interval %u reserved %#x %#x\n",
	       what, c->index, c->flags, c->usecs, c->max_frames,
	       c->rate_threshold, c->rate_interval_ms, c->reserved[0],
	       c->reserved[1]);
}

/*
 * GET and STATS of both rings of an owned device against the model;
 * @p: the property a mismatch of the settings violates.
 */
static bool verify_dev(struct dev *d, int p)
{
	bool ok = true;
	int i, e;

	if (!d->owned)
		return true;
	for (i = 0; i < NRINGS; i++) {
		struct vhost_vring_coalesce got, want;
		struct vhost_vring_coalesce_stats st;
		const struct ring_model *r = &d->ring[i];
		uint32_t state;
		unsigned int k;
		bool zero;

		effective(r, i, &want);
		memset(&got, 0xa5, sizeof(got));
		got.index = i;
		e = do_ioctl(d->fd, VHOST_NET_GET_VRING_COALESCE, &got);
		if (!expect(p, !e && !memcmp(&got, &want, sizeof(got)),
			    "%s ring %d: GET %s, settings differ from the model",
			    d->name, i, errname(e))) {
			show("got ", &got);
			show("want", &want);
			ok = false;
		}
		if (!e)
			expect(P_CAPS, caps_ok(&got),
			       "%s ring %d: GET %u us %u frames outside the caps %u-%u us, %u frames",
			       d->name, i, got.usecs, got.max_frames,
			       cap.min_usecs, cap.max_usecs, cap.max_frames);

		memset(&st, 0xa5, sizeof(st));
		st.index = i;
		e = do_ioctl(d->fd, VHOST_NET_GET_VRING_COALESCE_STATS, &st);
		state = !(want.usecs && want.max_frames > 1) ?
			VHOST_VRING_COALESCE_STATE_OFF : r->active ?
			VHOST_VRING_COALESCE_STATE_ACTIVE :
			VHOST_VRING_COALESCE_STATE_IDLE;
		zero = !st.reserved && !st.packets && !st.signals_due &&
		       !st.signals_sent && !st.signals_deferred &&
		       !st.timer_fires && !st.frame_flushes &&
		       !st.flushes && !st.rate;
		for (k = 0; k < ARRAY_SIZE(st.reserved2); k++)
			zero &= !st.reserved2[k];
		if (!expect(P_STATS, !e && st.index == (uint32_t)i &&
			    st.state == state && zero &&
			    st.activations == r->activations &&
			    st.deactivations == r->deactivations,
			    "%s ring %d: STATS %s index %u state %u (want %u) activations %llu (want %llu) deactivations %llu (want %llu) counters/reserved zero %d",
			    d->name, i, errname(e), st.index, st.state, state,
			    (unsigned long long)st.activations,
			    (unsigned long long)r->activations,
			    (unsigned long long)st.deactivations,
			    (unsigned long long)r->deactivations, zero))
			ok = false;
	}
	return ok;
}

/* ------------------------------------------------------------------ */
/* Generation                                                           */

enum place { PL_FULL, PL_TRUNC, PL_RO, PL_RO_TRUNC, PL_NULL };

/*
 * Where the argument of @size bytes goes: its address, and how many of
 * its bytes can be read and written.
 */
static void *place_arg(size_t size, size_t *readable, size_t *writable,
		       enum place *pl)
{
	uint8_t *rw = arena, *ro = arena + 2 * PAGE;
	size_t k;

	switch (fz_below(20)) {
	case 0:
	case 1:
		*pl = PL_TRUNC;
		k = fz_below(size + 1);
		*readable = *writable = k;
		return rw + PAGE - k;
	case 2:
		*pl = PL_RO;
		*readable = BIG;
		*writable = 0;
		return ro;
	case 3:
		*pl = PL_RO_TRUNC;
		k = fz_below(size + 1);
		*readable = k;
		*writable = 0;
		return ro + PAGE - k;
	case 4:
		*pl = PL_NULL;
		*readable = *writable = 0;
		return NULL;
	default:
		*pl = PL_FULL;
		*readable = *writable = BIG;
		/* Anywhere in the page where it fits, any alignment. */
		return rw + fz_below(PAGE - size + 1);
	}
}

/* Copy @src to @dst, of which only @n bytes are accessible (RO: mprotect). */
static void fill_arg(void *dst, const void *src, size_t size, enum place pl,
		     size_t n)
{
	uint8_t *ro = arena + 2 * PAGE;

	if (!dst)
		return;
	if (pl == PL_RO || pl == PL_RO_TRUNC) {
		if (mprotect(ro, PAGE, PROT_READ | PROT_WRITE))
			die("mprotect");
		memcpy(dst, src, pl == PL_RO ? size : n);
		if (mprotect(ro, PAGE, PROT_READ))
			die("mprotect");
		return;
	}
	memcpy(dst, src, n < size ? n : size);
}

static uint32_t gen_index(void)
{
	if (fz_chance(85))
		return fz_below(NRINGS);
	return FZ_PICK(2, 3, 255, 256, 0x10000, 0x7fffffff, 0xffffffff);
}

static void gen_coal(struct vhost_vring_coalesce *c)
{
	const uint32_t edges[] = {
		cap.min_usecs, cap.max_usecs, cap.max_frames, INTERVAL_MIN,
		INTERVAL_MAX, RATE_LIMIT, 1000000, 4096,
	};

	memset(c, 0, sizeof(*c));
	c->index = gen_index();
	switch (fz_below(10)) {
	case 0:
		c->flags = F_DEFAULT;
		break;
	case 1:
		c->flags = fz_u32();
		break;
	case 2:
		c->flags = F_DEFAULT | F_CLAMP;
		break;
	case 3:
		c->flags = 1u << fz_below(32);
		break;
	case 4:
	case 5:
	case 6:
		c->flags = F_CLAMP;
		break;
	}
	/* With F_DEFAULT, mostly the valid all-zero request. */
	if ((c->flags & F_DEFAULT) && fz_chance(60))
		return;
	c->usecs = fz_chance(15) ? 0 : fz_edgy(edges, ARRAY_SIZE(edges));
	c->max_frames = fz_edgy(edges, ARRAY_SIZE(edges));
	c->rate_threshold = fz_chance(30) ? 0 :
			    fz_edgy(edges, ARRAY_SIZE(edges));
	c->rate_interval_ms = fz_edgy(edges, ARRAY_SIZE(edges));
	if (fz_chance(8))
		c->reserved[fz_below(2)] = fz_u32() | 1;
}

/* A number of the 0xAF range that is not a stock vhost ioctl. */
static unsigned long gen_other_nr(void)
{
	static const unsigned int sizes[] = {
		0, 1, 4, 8, 16, 31, 32, 33, 64, 143, 144, 145, 0x3fff,
	};
	unsigned int nr, dir, size;

	for (;;) {
		if (fz_chance(60))
			nr = 0x31 + fz_below(3);	/* ours, other shapes */
		else if (fz_chance(50))
			nr = 0x27 + fz_below(0x40 - 0x27);
		else
			nr = 0x27 + fz_below(0x100 - 0x27);
		/*
		 * Stock: VHOST_NET_SET_BACKEND (0x30) and the fork-owner
		 * pair (0x84, 0x85: handled before the owner check).
		 * Everything below 0x27 is stock vhost too.
		 */
		if (nr == 0x30 || nr == 0x84 || nr == 0x85)
			continue;
		dir = fz_below(4);
		size = fz_chance(70) ? sizes[fz_below(ARRAY_SIZE(sizes))] :
				       fz_below(0x4000);
		return _IOC(dir, VHOST_VIRTIO, nr, size);
	}
}

static bool is_ours(unsigned long nr)
{
	return nr == VHOST_NET_SET_VRING_COALESCE ||
	       nr == VHOST_NET_GET_VRING_COALESCE ||
	       nr == VHOST_NET_GET_VRING_COALESCE_STATS;
}

/* ------------------------------------------------------------------ */
/* One step                                                             */

static void one_step(struct dev *d, bool same_mm)
{
	uint8_t buf[sizeof(struct vhost_vring_coalesce_stats)];
	struct vhost_vring_coalesce req;
	size_t size, readable, writable;
	unsigned long nr;
	enum place pl;
	uint32_t idx;
	void *arg;
	int want, got, op = fz_below(100);

	if (op < 55)
		nr = VHOST_NET_SET_VRING_COALESCE;
	else if (op < 70)
		nr = VHOST_NET_GET_VRING_COALESCE;
	else if (op < 80)
		nr = VHOST_NET_GET_VRING_COALESCE_STATS;
	else
		nr = gen_other_nr();

	size = nr == VHOST_NET_GET_VRING_COALESCE_STATS ?
	       sizeof(struct vhost_vring_coalesce_stats) :
	       sizeof(struct vhost_vring_coalesce);
	gen_coal(&req);
	memset(buf, 0, sizeof(buf));
	if (nr == VHOST_NET_SET_VRING_COALESCE) {
		memcpy(buf, &req, sizeof(req));
	} else {
		/* Input is the index; the rest is garbage the call ignores. */
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = fz_u32();
		memcpy(buf, &req.index, sizeof(req.index));
	}
	idx = req.index;
	arg = place_arg(size, &readable, &writable, &pl);
	fill_arg(arg, buf, size, pl, readable < size ? readable : size);

	if (nr == VHOST_NET_SET_VRING_COALESCE)
		want = model_set(d, same_mm, &req, readable);
	else if (is_ours(nr))
		want = model_get(d, same_mm, idx, size, readable, writable);
	else
		want = model_other(d, same_mm, idx, readable);

	got = do_ioctl(d->fd, nr, arg);
	if (verbose)
		diag("step %lu %s nr %#lx idx %u flags %#x usecs %u frames %u thr %u int %u rsv %#x %#x place %d r %zu w %zu: %s (want %s)",
		     step, d->name, nr, idx, req.flags, req.usecs,
		     req.max_frames, req.rate_threshold, req.rate_interval_ms,
		     req.reserved[0], req.reserved[1], pl,
		     readable == BIG ? (size_t)-1 : readable,
		     writable == BIG ? (size_t)-1 : writable, errname(got),
		     errname(want));

	if (is_ours(nr)) {
		if (got)
			n_ours_err++;
		else
			n_ours_ok++;
	} else {
		n_other++;
	}
	n_by_errno[got & 0xff]++;
	if (!expect(same_mm ? P_ERRNO : P_CHILD, got == want,
		    "%s nr %#lx (%s) idx %u place %d readable %zu: got %s, want %s",
		    d->name, nr, is_ours(nr) ? "ours" : "other", idx, pl,
		    readable == BIG ? (size_t)-1 : readable, errname(got),
		    errname(want)) && nr == VHOST_NET_SET_VRING_COALESCE)
		show("request", &req);

	/* GET/STATS that succeeded: the answer itself. */
	if (!got && nr == VHOST_NET_GET_VRING_COALESCE && pl == PL_FULL) {
		struct vhost_vring_coalesce c, w;

		memcpy(&c, arg, sizeof(c));
		effective(&d->ring[idx], idx, &w);
		expect(P_APPLIED, !memcmp(&c, &w, sizeof(c)),
		       "%s ring %u: GET answer differs from the model", d->name,
		       idx);
		expect(P_CAPS, caps_ok(&c), "%s ring %u: GET outside the caps",
		       d->name, idx);
	}

	/* Another process cannot GET: its parent checks once it is done. */
	if (!same_mm)
		return;
	if (nr == VHOST_NET_SET_VRING_COALESCE && !want)
		verify_dev(d, P_APPLIED);
	else
		verify_dev(d, P_UNCHANGED);
}

/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vhost_coal_fuzz [--seed N] [--count N] [--uid N] [--tap NAME] [-v]\n"
		"  --seed N    PRNG seed (default: fresh, printed)\n"
		"  --count N   calls on the three devices (default 2000), then\n"
		"              count / 10 from another process\n"
		"  --uid N     uid/gid to run as after the set-up (default 65534)\n"
		"  --tap NAME  tap created for device C (default vcfuzz0)\n"
		"  -v          every call\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		FZ_OPTIONS,
		{ "uid", required_argument, NULL, 'u' },
		{ "tap", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	bool unpriv;
	unsigned long child_count, k;
	int c, i, n = 0, st, fail = 0;
	unsigned int j;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		if (fz_option(c, &count))
			continue;
		switch (c) {
		case 'u':
			uid = strtoul(optarg, NULL, 0);
			break;
		case 't':
			snprintf(tap_name, sizeof(tap_name), "%s", optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	fz_begin();
	if (access(DEV_PATH, F_OK)) {
		printf("1..0 # SKIP no %s\n", DEV_PATH);
		return 4;
	}
	if (geteuid()) {
		printf("1..0 # SKIP needs root for the set-up\n");
		return 4;
	}
	if (caps_read()) {
		printf("1..0 # SKIP cannot read %s\n", PARAM_DIR);
		return 4;
	}
	diag("seed %" PRIu64 " (replay: --seed %" PRIu64 "), %lu calls",
	     seed, seed, count);
	diag("caps: usecs %u-%u, frames <= %u; defaults rx %u us/%u, tx %u us/%u, %u pps / %u ms",
	     cap.min_usecs, cap.max_usecs, cap.max_frames, cap.def_usecs[0],
	     cap.def_frames[0], cap.def_usecs[1], cap.def_frames[1],
	     cap.def_threshold, cap.def_interval);

	arena = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED)
		die("mmap");
	if (mprotect(arena + PAGE, PAGE, PROT_NONE) ||
	    mprotect(arena + 2 * PAGE, PAGE, PROT_READ) ||
	    mprotect(arena + 3 * PAGE, PAGE, PROT_NONE))
		die("mprotect");

	devs_open();
	{
		struct vhost_vring_coalesce probe = { .index = 0 };

		if (do_ioctl(devs[1].fd, VHOST_NET_GET_VRING_COALESCE,
			     &probe) == ENOTTY) {
			printf("1..0 # SKIP this vhost_net has no coalescing ioctls\n");
			return 4;
		}
	}
	drop_privileges();
	unpriv = unprivileged();
	printf("%s %d running as uid %u gid %u, module parameters not writable\n",
	       unpriv ? "ok" : "not ok", ++n, getuid(), getgid());
	fail |= !unpriv;

	for (j = 0; j < ARRAY_SIZE(devs); j++)
		verify_dev(&devs[j], P_UNCHANGED);
	for (step = 1; step <= count; step++)
		one_step(&devs[fz_below(ARRAY_SIZE(devs))], true);

	/* Another process (mm) with the same descriptors. */
	child_count = count / 10 + 1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		for (k = 0; k < child_count; k++, step++)
			one_step(&devs[fz_below(ARRAY_SIZE(devs))], false);
		_exit(res.failed[P_CHILD] ? 1 : 0);
	}
	waitpid(pid, &st, 0);
	res.checked[P_CHILD] += child_count;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		res.failed[P_CHILD]++;
	for (j = 0; j < ARRAY_SIZE(devs); j++)
		verify_dev(&devs[j], P_CHILD);

	/* A: owned only now; it must still follow the module parameters. */
	c = do_ioctl(devs[0].fd, VHOST_SET_OWNER, NULL);
	expect(P_OWN_LATE, !c, "VHOST_SET_OWNER on A: %s", errname(c));
	devs[0].owned = true;
	verify_dev(&devs[0], P_OWN_LATE);

	diag("%lu calls + %lu from a child: ours %" PRIu64 " accepted, %" PRIu64 " rejected; %" PRIu64 " other numbers",
	     count, child_count, n_ours_ok, n_ours_err, n_other);
	diag("results: OK %" PRIu64 ", EPERM %" PRIu64 ", EINVAL %" PRIu64 ", ERANGE %" PRIu64 ", EFAULT %" PRIu64 ", ENOTTY %" PRIu64 ", ENOBUFS %" PRIu64,
	     n_by_errno[0], n_by_errno[EPERM], n_by_errno[EINVAL],
	     n_by_errno[ERANGE], n_by_errno[EFAULT], n_by_errno[ENOTTY],
	     n_by_errno[ENOBUFS]);
	for (i = 0; i < P_NUM; i++) {
		fail |= !fz_tap_line(++n, i, prop_name[i]);
	}
	printf("1..%d\n", n);
	if (fail)
		diag("replay: --seed %" PRIu64 " --count %lu", seed, count);
	return fail ? 1 : 0;
}

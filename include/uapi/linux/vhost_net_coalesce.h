/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vhost-net notification coalescing: userspace interface.
 *
 * vhost-net normally signals the guest (call eventfd, an injected
 * interrupt) every time it adds buffers to a used ring.  With coalescing
 * active on a vring, a due signal is held until either @max_frames used
 * buffers are pending or @usecs microseconds have passed since the first
 * held buffer, whichever comes first.  Coalescing is active only while the
 * vring's packet rate, sampled every @rate_interval_ms milliseconds, is at
 * or above @rate_threshold packets per second (0: always active).
 *
 * A VMM discovers support with VHOST_GET_BACKEND_FEATURES: the bit
 * VHOST_BACKEND_F_NET_COALESCE is set.  The ioctls below fail with ENOTTY
 * on a vhost-net without support.
 */
#ifndef _UAPI_LINUX_VHOST_NET_COALESCE_H
#define _UAPI_LINUX_VHOST_NET_COALESCE_H

#include <linux/types.h>
#include <linux/ioctl.h>

#ifndef VHOST_VIRTIO
#define VHOST_VIRTIO 0xAF
#endif

/* Backend feature bit: the coalescing ioctls below are supported. */
#define VHOST_BACKEND_F_NET_COALESCE 0x9

/*
 * Flags of struct vhost_vring_coalesce.
 *
 * VHOST_VRING_COALESCE_F_DEFAULT: on SET, forget any explicit setting of
 * this vring and follow the module parameters again (the other value
 * fields must be zero).  On GET, reported when the vring follows the
 * module parameters.
 */
#define VHOST_VRING_COALESCE_F_DEFAULT	(1U << 0)
/*
 * VHOST_VRING_COALESCE_F_CLAMP: on SET, bring values outside the host
 * administrator's caps inside them instead of failing with ERANGE; a VMM
 * relaying a guest's request uses it and reads the applied values back
 * with GET.  Structurally invalid values still fail with EINVAL.
 */
#define VHOST_VRING_COALESCE_F_CLAMP	(1U << 1)
/*
 * VHOST_VRING_COALESCE_F_ADAPTIVE: the vring's holds are chosen by the
 * kernel's adaptive moderation (net_dim), from nothing up to @usecs and
 * @max_frames, which stay the bound; without it every hold lasts up to
 * the full @usecs (fixed).  On GET, reported when the vring is adaptive.
 * Not with F_DEFAULT (the default follows the coalesce_mode parameter).
 */
#define VHOST_VRING_COALESCE_F_ADAPTIVE	(1U << 2)
#define VHOST_VRING_COALESCE_F_ALL	(VHOST_VRING_COALESCE_F_DEFAULT | \
					 VHOST_VRING_COALESCE_F_CLAMP | \
					 VHOST_VRING_COALESCE_F_ADAPTIVE)

/**
 * struct vhost_vring_coalesce - coalescing parameters of one vring
 * @index: vring index (0: RX, 1: TX for vhost-net)
 * @flags: VHOST_VRING_COALESCE_F_*
 * @usecs: maximum time a used buffer waits for its signal, in
 *	microseconds; 0 disables coalescing on this vring
 * @max_frames: signal at once when this many used buffers are pending;
 *	1 disables coalescing, must not be 0 when @usecs is not 0
 * @rate_threshold: packets per second at or above which coalescing is
 *	active; 0 means always active
 * @rate_interval_ms: rate sampling interval in milliseconds
 * @reserved: must be zero
 *
 * Values outside the host administrator's caps (module parameters
 * coalesce_{min,max}_usecs, coalesce_max_frames) are rejected with ERANGE
 * on SET, or brought inside them with VHOST_VRING_COALESCE_F_CLAMP.
 */
struct vhost_vring_coalesce {
	__u32 index;
	__u32 flags;
	__u32 usecs;
	__u32 max_frames;
	__u32 rate_threshold;
	__u32 rate_interval_ms;
	__u32 reserved[2];
};

/* Coalescing state of a vring, as reported in vhost_vring_coalesce_stats. */
#define VHOST_VRING_COALESCE_STATE_OFF		0 /* usecs 0 or max_frames <= 1 */
#define VHOST_VRING_COALESCE_STATE_IDLE		1 /* below rate threshold */
#define VHOST_VRING_COALESCE_STATE_ACTIVE	2 /* coalescing */

/* Policy of a vring, as reported in vhost_vring_coalesce_stats. */
#define VHOST_VRING_COALESCE_MODE_OFF		0 /* nothing held */
#define VHOST_VRING_COALESCE_MODE_FIXED		1 /* holds up to @usecs */
#define VHOST_VRING_COALESCE_MODE_ADAPTIVE	2 /* net_dim picks the hold */

/**
 * struct vhost_vring_coalesce_stats - counters of one vring
 * @index: vring index, set by the caller
 * @state: VHOST_VRING_COALESCE_STATE_*
 * @rate: packet rate measured in the last sample, packets per second
 * @reserved: zero
 * @packets: used buffers added to the ring
 * @signals_due: times a signal would have been sent without coalescing
 * @signals_sent: signals actually sent to the guest
 * @signals_deferred: due signals that were held
 * @timer_fires: signals sent because the timer expired
 * @frame_flushes: signals sent because @max_frames were pending
 * @activations: transitions to active (from idle, or from off by SET)
 * @deactivations: transitions from active to idle or off
 * @flushes: held signals sent before their time: the ring's backend was
 *	detached or attached, its parameters changed, or the guest had to
 *	hear at once (no RX buffer left, VIRTIO_F_NOTIFY_ON_EMPTY); so
 *	@signals_sent = @signals_due - @signals_deferred + @timer_fires +
 *	@flushes
 * @mode: VHOST_VRING_COALESCE_MODE_*
 * @profile: the hold profile in effect, 0 (holds nothing) to 4 (the full
 *	bound); adaptive vrings move between them, fixed ones stay at 4
 * @profile_moves: times adaptive moderation changed @profile
 * @reserved2: zero; room for counters without changing the ioctl number
 *
 * Counters are cumulative since the vring was set up and are never reset
 * by SET; they are reset by VHOST_RESET_OWNER.
 */
struct vhost_vring_coalesce_stats {
	__u32 index;
	__u32 state;
	__u32 rate;
	__u32 reserved;
	__u64 packets;
	__u64 signals_due;
	__u64 signals_sent;
	__u64 signals_deferred;
	__u64 timer_fires;
	__u64 frame_flushes;
	__u64 activations;
	__u64 deactivations;
	__u64 flushes;
	__u32 mode;
	__u32 profile;
	__u64 profile_moves;
	__u64 reserved2[5];
};

/* Set the coalescing parameters of one vring. */
#define VHOST_NET_SET_VRING_COALESCE \
	_IOW(VHOST_VIRTIO, 0x31, struct vhost_vring_coalesce)
/* Get the coalescing parameters in effect on one vring. */
#define VHOST_NET_GET_VRING_COALESCE \
	_IOWR(VHOST_VIRTIO, 0x32, struct vhost_vring_coalesce)
/* Read the coalescing counters of one vring. */
#define VHOST_NET_GET_VRING_COALESCE_STATS \
	_IOWR(VHOST_VIRTIO, 0x33, struct vhost_vring_coalesce_stats)

#endif /* _UAPI_LINUX_VHOST_NET_COALESCE_H */

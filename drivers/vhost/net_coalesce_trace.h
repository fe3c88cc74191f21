/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of vhost-net notification coalescing, per ring: dev is the
 * <n> of the device's debugfs directory vhost_net/<pid>-<n>, ring its
 * index (0 RX, 1 TX).
 *
 *   vhost_net_coal_arm    a signal is held and the timer started
 *   vhost_net_coal_fire   the timer's work ran (sent: a signal went out)
 *   vhost_net_coal_flush  held signals went out early, and why
 *   vhost_net_coal_state  the rate gate opened or closed
 *
 * e.g. echo 1 > /sys/kernel/tracing/events/vhost_net_coal/enable
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vhost_net_coal

#if !defined(_VHOST_NET_COALESCE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VHOST_NET_COALESCE_TRACE_H

#include <linux/ncoal.h>
#include <linux/tracepoint.h>

#ifndef VHOST_NET_COAL_FLUSH_WHY_DEFINED
#define VHOST_NET_COAL_FLUSH_WHY_DEFINED
/* Why held signals went out before their timer. */
enum vhost_net_coal_flush_why {
	VHOST_NET_COAL_FLUSH_FRAMES,	/* max_frames were pending */
	VHOST_NET_COAL_FLUSH_GATE,		/* the rate gate closed */
	VHOST_NET_COAL_FLUSH_URGENT,	/* see vhost_net_coal_urgent() */
	VHOST_NET_COAL_FLUSH_STARVED,	/* RX: no buffer left for a packet */
	VHOST_NET_COAL_FLUSH_BACKEND,	/* the backend was attached or detached */
	VHOST_NET_COAL_FLUSH_STOP,		/* release, reset owner */
	VHOST_NET_COAL_FLUSH_RECONFIGURE,	/* new parameters */
};
#endif

TRACE_DEFINE_ENUM(VHOST_NET_COAL_FLUSH_FRAMES);
TRACE_DEFINE_ENUM(VHOST_NET_COAL_FLUSH_GATE);
TRACE_DEFINE_ENUM(VHOST_NET_COAL_FLUSH_URGENT);
TRACE_DEFINE_ENUM(VHOST_NET_COAL_FLUSH_STARVED);
TRACE_DEFINE_ENUM(VHOST_NET_COAL_FLUSH_BACKEND);
TRACE_DEFINE_ENUM(VHOST_NET_COAL_FLUSH_STOP);
TRACE_DEFINE_ENUM(VHOST_NET_COAL_FLUSH_RECONFIGURE);
TRACE_DEFINE_ENUM(NCOAL_STATE_OFF);
TRACE_DEFINE_ENUM(NCOAL_STATE_IDLE);
TRACE_DEFINE_ENUM(NCOAL_STATE_ACTIVE);

#define vhost_net_coal_show_why(why)						\
	__print_symbolic(why,						\
			 { VHOST_NET_COAL_FLUSH_FRAMES, "frames" },		\
			 { VHOST_NET_COAL_FLUSH_GATE, "gate" },			\
			 { VHOST_NET_COAL_FLUSH_URGENT, "urgent" },		\
			 { VHOST_NET_COAL_FLUSH_STARVED, "starved" },		\
			 { VHOST_NET_COAL_FLUSH_BACKEND, "backend" },		\
			 { VHOST_NET_COAL_FLUSH_STOP, "stop" },			\
			 { VHOST_NET_COAL_FLUSH_RECONFIGURE, "reconfigure" })

#define vhost_net_coal_show_state(state)						\
	__print_symbolic(state,						\
			 { NCOAL_STATE_OFF, "off" },			\
			 { NCOAL_STATE_IDLE, "idle" },			\
			 { NCOAL_STATE_ACTIVE, "active" })

TRACE_EVENT(vhost_net_coal_arm,
	    TP_PROTO(unsigned int dev, unsigned int ring, u32 pending,
		     u64 delay_ns),
	    TP_ARGS(dev, ring, pending, delay_ns),
	    TP_STRUCT__entry(__field(unsigned int, dev)
			     __field(unsigned int, ring)
			     __field(u32, pending)
			     __field(u64, delay_ns)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->ring = ring;
			   __entry->pending = pending;
			   __entry->delay_ns = delay_ns;),
	    TP_printk("dev=%u ring=%u pending=%u delay_ns=%llu",
		      __entry->dev, __entry->ring, __entry->pending,
		      __entry->delay_ns)
);

TRACE_EVENT(vhost_net_coal_fire,
	    TP_PROTO(unsigned int dev, unsigned int ring, bool sent),
	    TP_ARGS(dev, ring, sent),
	    TP_STRUCT__entry(__field(unsigned int, dev)
			     __field(unsigned int, ring)
			     __field(bool, sent)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->ring = ring;
			   __entry->sent = sent;),
	    TP_printk("dev=%u ring=%u sent=%d", __entry->dev, __entry->ring,
		      __entry->sent)
);

TRACE_EVENT(vhost_net_coal_flush,
	    TP_PROTO(unsigned int dev, unsigned int ring, int why),
	    TP_ARGS(dev, ring, why),
	    TP_STRUCT__entry(__field(unsigned int, dev)
			     __field(unsigned int, ring)
			     __field(int, why)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->ring = ring;
			   __entry->why = why;),
	    TP_printk("dev=%u ring=%u why=%s", __entry->dev, __entry->ring,
		      vhost_net_coal_show_why(__entry->why))
);

TRACE_EVENT(vhost_net_coal_state,
	    TP_PROTO(unsigned int dev, unsigned int ring, int old_state,
		     int new_state, u32 rate),
	    TP_ARGS(dev, ring, old_state, new_state, rate),
	    TP_STRUCT__entry(__field(unsigned int, dev)
			     __field(unsigned int, ring)
			     __field(int, old_state)
			     __field(int, new_state)
			     __field(u32, rate)),
	    TP_fast_assign(__entry->dev = dev;
			   __entry->ring = ring;
			   __entry->old_state = old_state;
			   __entry->new_state = new_state;
			   __entry->rate = rate;),
	    TP_printk("dev=%u ring=%u state=%s->%s rate=%u",
		      __entry->dev, __entry->ring,
		      vhost_net_coal_show_state(__entry->old_state),
		      vhost_net_coal_show_state(__entry->new_state), __entry->rate)
);

#endif /* _VHOST_NET_COALESCE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE net_coalesce_trace
#include <trace/define_trace.h>

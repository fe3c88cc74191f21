/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of vhost-net notification coalescing:
 *
 *   vhost_net_coal_arm    a signal is held and the timer started
 *   vhost_net_coal_fire   the timer's work ran (sent: a signal went out)
 *   vhost_net_coal_flush  a held signal went out early (frame bound,
 *                         gate closing, reconfiguration, stop)
 *   vhost_net_coal_state  the rate gate opened or closed
 *
 * e.g. echo 1 > /sys/kernel/tracing/events/vhost_net_coal/enable
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vhost_net_coal

#if !defined(_VHOST_NET_COALESCE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VHOST_NET_COALESCE_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(vhost_net_coal_arm,
	    TP_PROTO(const void *ring, unsigned int index, u32 pending,
		     u64 delay_ns),
	    TP_ARGS(ring, index, pending, delay_ns),
	    TP_STRUCT__entry(__field(const void *, ring)
			     __field(unsigned int, index)
			     __field(u32, pending)
			     __field(u64, delay_ns)),
	    TP_fast_assign(__entry->ring = ring;
			   __entry->index = index;
			   __entry->pending = pending;
			   __entry->delay_ns = delay_ns;),
	    TP_printk("ring=%p index=%u pending=%u delay_ns=%llu",
		      __entry->ring, __entry->index, __entry->pending,
		      __entry->delay_ns)
);

TRACE_EVENT(vhost_net_coal_fire,
	    TP_PROTO(const void *ring, unsigned int index, bool sent),
	    TP_ARGS(ring, index, sent),
	    TP_STRUCT__entry(__field(const void *, ring)
			     __field(unsigned int, index)
			     __field(bool, sent)),
	    TP_fast_assign(__entry->ring = ring;
			   __entry->index = index;
			   __entry->sent = sent;),
	    TP_printk("ring=%p index=%u sent=%d", __entry->ring,
		      __entry->index, __entry->sent)
);

TRACE_EVENT(vhost_net_coal_flush,
	    TP_PROTO(const void *ring, unsigned int index, const char *why),
	    TP_ARGS(ring, index, why),
	    TP_STRUCT__entry(__field(const void *, ring)
			     __field(unsigned int, index)
			     __string(why, why)),
	    TP_fast_assign(__entry->ring = ring;
			   __entry->index = index;
			   __assign_str(why);),
	    TP_printk("ring=%p index=%u why=%s", __entry->ring,
		      __entry->index, __get_str(why))
);

TRACE_EVENT(vhost_net_coal_state,
	    TP_PROTO(const void *ring, unsigned int index, int old_state,
		     int new_state, u32 rate),
	    TP_ARGS(ring, index, old_state, new_state, rate),
	    TP_STRUCT__entry(__field(const void *, ring)
			     __field(unsigned int, index)
			     __field(int, old_state)
			     __field(int, new_state)
			     __field(u32, rate)),
	    TP_fast_assign(__entry->ring = ring;
			   __entry->index = index;
			   __entry->old_state = old_state;
			   __entry->new_state = new_state;
			   __entry->rate = rate;),
	    TP_printk("ring=%p index=%u state=%d->%d rate=%u",
		      __entry->ring, __entry->index, __entry->old_state,
		      __entry->new_state, __entry->rate)
);

#endif /* _VHOST_NET_COALESCE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE net_coalesce_trace
#include <trace/define_trace.h>

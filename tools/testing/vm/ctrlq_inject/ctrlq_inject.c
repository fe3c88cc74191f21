// SPDX-License-Identifier: GPL-2.0
/*
 * ctrlq_inject: send arbitrary control-queue commands to a virtio-net
 * device, for tests of the device side (the QEMU coalescing relay).
 *
 * A virtio driver for virtio-net devices that sets up the control queue
 * and nothing else. It never binds on its own: unbind a device from
 * virtio_net and bind it here:
 *
 *   echo virtio1 > /sys/bus/virtio/drivers/virtio_net/unbind
 *   echo virtio1 > /sys/bus/virtio/drivers/ctrlq_inject/bind
 *
 * It negotiates VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_NOTF_COAL,
 * VIRTIO_NET_F_VQ_NOTF_COAL and bit 58 (VIRTIO_NET_F_NOTF_COAL_SYNC),
 * whatever the device offers of them, and no multiqueue (one queue pair:
 * virtqueues 0, 1, control queue 2). Per device, in debugfs:
 *
 *   ctrlq_inject/<dev>/features  the negotiated feature bits, as hex
 *   ctrlq_inject/<dev>/cmd       write "CLASS CMD INLEN HEX": one command
 *                                whose device-readable part is the bytes
 *                                HEX ("-": none) and whose device-writable
 *                                part is the ack byte followed by INLEN
 *                                bytes of command-specific result, the
 *                                virtio layout; read "status=S used=N
 *                                answer=HEX" (S: the ack, 0 OK, 1 ERR,
 *                                255: no answer; N: the bytes the device
 *                                says it wrote, ack included; the
 *                                writable part is filled with 0xff
 *                                before sending)
 *   ctrlq_inject/<dev>/traffic   write "TX_PPS RX": a kernel thread sends
 *                                TX_PPS small frames per second on the
 *                                transmit queue and, with RX 1, keeps the
 *                                receive queue full of buffers, recycling
 *                                what the device fills; "0 0" stops it.
 *                                Read: "tx_pps=R rx_on=B tx=N tx_done=N
 *                                rx=N" (frames sent, completed, received).
 *                                The thread polls both queues (no
 *                                interrupts); the control queue has one.
 *
 * After a command the device does not answer within 5 s, the device is
 * left alone (its buffers may still be in use): every later command
 * fails with EIO.
 *
 * A device that reports a wrong used length, for another driver's
 * control queue (our virtio_net's), in debugfs:
 *
 *   ctrlq_inject/used_len        write "DEV LEN": the next buffer that
 *                                virtqueue_get_buf() returns from the
 *                                queue named "control" of the virtio
 *                                device DEV (virtioN) comes with used
 *                                length LEN instead of the device's;
 *                                "- 0" disarms. Read: "dev=DEV len=LEN
 *                                armed=B hits=N" (N: lengths replaced
 *                                since the last write). The device's
 *                                bytes are untouched: only the length the
 *                                driver sees changes, as if the device
 *                                had reported it. A kretprobe on
 *                                virtqueue_get_buf() (CONFIG_KRETPROBES),
 *                                registered at the first write.
 *
 * Test code: no attempt at performance, one command at a time.
 */
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/hex.h>
#include <linux/jiffies.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#define CI_F_NOTF_COAL_SYNC	58
#define CI_MAX_BYTES		256
#define CI_TIMEOUT_MS		5000
#define CI_RX_BUF		1536	/* header and a full frame, no GSO */
#define CI_RX_MAX		256
#define CI_FRAME_LEN		(12 + 60) /* virtio_net_hdr_v1, minimal frame */

struct ci_dev {
	struct virtio_device *vdev;
	struct virtqueue *cvq;
	struct dentry *dir;
	struct mutex lock;		/* one command at a time */
	struct completion done;		/* the control queue's interrupt */
	/* DMA-safe buffers for the command in flight. */
	struct virtio_net_ctrl_hdr *hdr;
	u8 *out;
	u8 *in;				/* the ack byte, then the answer */
	/* Last result, for reads of cmd. */
	int status;
	unsigned int used;
	unsigned int answer_len;
	u8 answer[CI_MAX_BYTES];
	/* A command went unanswered: the control queue is not ours now. */
	bool stuck;
	/* Traffic on the RX and TX queues, see ci_traffic_fn(). */
	struct virtqueue *rvq, *tvq;
	struct task_struct *traffic;
	struct mutex traffic_lock;	/* starts and stops @traffic */
	unsigned int tx_pps;
	bool rx_on;
	u8 *frame;
	void *rx_bufs[CI_RX_MAX];
	unsigned int rx_nbufs;
	bool rx_posted;
	atomic64_t tx_sent, tx_done, rx;
};

static struct dentry *ci_root;

/* The used length fault, see ctrlq_inject/used_len above. */
static struct {
	struct mutex lock;		/* writers; registers the probe */
	char dev[32];			/* the target device's name */
	unsigned int len;		/* the length the driver gets */
	atomic_t armed;			/* lengths left to replace (0, 1) */
	atomic_t hits;			/* lengths replaced */
	bool registered;
	struct dentry *file;		/* ctrlq_inject/used_len */
} ci_used;

struct ci_used_call {
	unsigned int *len;		/* virtqueue_get_buf()'s @len */
};

/* Entry: follow only calls on the target's control queue. */
static int ci_used_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct virtqueue *vq = (void *)regs_get_kernel_argument(regs, 0);
	struct ci_used_call *call = (void *)ri->data;

	/* Acquire: the target written before arming (ci_used_write()). */
	if (!atomic_read_acquire(&ci_used.armed) || !vq || !vq->name ||
	    strcmp(vq->name, "control") ||
	    strcmp(dev_name(&vq->vdev->dev), ci_used.dev))
		return 1;	/* no return handler for this call */
	call->len = (unsigned int *)regs_get_kernel_argument(regs, 1);
	return 0;
}

/* Return: a buffer came back: report the armed length instead. */
static int ci_used_ret(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct ci_used_call *call = (void *)ri->data;

	if (!regs_return_value(regs) || !call->len)
		return 0;
	if (atomic_dec_if_positive(&ci_used.armed) < 0)
		return 0;
	*call->len = ci_used.len;
	atomic_inc(&ci_used.hits);
	return 0;
}

static struct kretprobe ci_used_probe = {
	.kp.symbol_name = "virtqueue_get_buf",
	.entry_handler = ci_used_entry,
	.handler = ci_used_ret,
	.data_size = sizeof(struct ci_used_call),
	.maxactive = 64,
};

/* A debugfs write as a string: -EINVAL if it does not fit in @size. */
static int ci_user_str(char *buf, size_t size, const char __user *ubuf,
		       size_t count)
{
	if (count >= size)
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	return 0;
}

static ssize_t ci_used_write(struct file *f, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char buf[64], dev[32];
	unsigned int len;
	int ret;

	ret = ci_user_str(buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	if (sscanf(buf, "%31s %u", dev, &len) != 2)
		return -EINVAL;

	mutex_lock(&ci_used.lock);
	/* Disarmed while the target changes: the probe reads it unlocked. */
	atomic_set(&ci_used.armed, 0);
	synchronize_rcu();	/* kprobe handlers run with preemption off */
	atomic_set(&ci_used.hits, 0);
	if (strcmp(dev, "-")) {
		if (!ci_used.registered) {
			ret = register_kretprobe(&ci_used_probe);
			ci_used.registered = !ret;
		}
		if (!ret) {
			strscpy(ci_used.dev, dev, sizeof(ci_used.dev));
			ci_used.len = len;
			atomic_set_release(&ci_used.armed, 1);
		}
	} else {
		ci_used.dev[0] = '\0';
	}
	mutex_unlock(&ci_used.lock);
	return ret ? ret : count;
}

static int ci_used_show(struct seq_file *m, void *v)
{
	mutex_lock(&ci_used.lock);
	seq_printf(m, "dev=%s len=%u armed=%d hits=%d\n",
		   ci_used.dev[0] ? ci_used.dev : "-", ci_used.len,
		   atomic_read(&ci_used.armed), atomic_read(&ci_used.hits));
	mutex_unlock(&ci_used.lock);
	return 0;
}

static int ci_used_open(struct inode *inode, struct file *f)
{
	return single_open(f, ci_used_show, NULL);
}

static const struct file_operations ci_used_fops = {
	.owner = THIS_MODULE,
	.open = ci_used_open,
	.read = seq_read,
	.write = ci_used_write,
	.llseek = seq_lseek,
	.release = single_release,
};

static void ci_cvq_done(struct virtqueue *vq)
{
	struct ci_dev *d = vq->vdev->priv;

	complete(&d->done);
}

static int ci_send(struct ci_dev *d, u8 class, u8 cmd, unsigned int out_len,
		   unsigned int in_len)
{
	struct scatterlist hdr, out, in, *sgs[3];
	unsigned long deadline;
	unsigned int len, n = 0;
	int ret;

	sg_init_one(&hdr, d->hdr, sizeof(*d->hdr));
	sgs[n++] = &hdr;
	if (out_len) {
		sg_init_one(&out, d->out, out_len);
		sgs[n++] = &out;
	}
	sg_init_one(&in, d->in, in_len + 1);
	sgs[n] = &in;

	if (d->stuck)
		return -EIO;
	d->hdr->class = class;
	d->hdr->cmd = cmd;
	memset(d->in, 0xff, in_len + 1);
	reinit_completion(&d->done);
	ret = virtqueue_add_sgs(d->cvq, sgs, n, 1, d, GFP_KERNEL);
	if (ret)
		return ret;
	if (!virtqueue_kick(d->cvq)) {
		d->stuck = true;
		return -EIO;
	}
	deadline = jiffies + msecs_to_jiffies(CI_TIMEOUT_MS);
	while (!virtqueue_get_buf(d->cvq, &len)) {
		if (virtqueue_is_broken(d->cvq) ||
		    time_after(jiffies, deadline)) {
			d->stuck = true;
			return virtqueue_is_broken(d->cvq) ? -EIO : -ETIMEDOUT;
		}
		/* The interrupt, or a look now and then should it get lost. */
		wait_for_completion_timeout(&d->done, msecs_to_jiffies(10));
	}
	d->status = d->in[0];
	d->used = len;
	d->answer_len = in_len;
	memcpy(d->answer, d->in + 1, in_len);
	return 0;
}

static ssize_t ci_cmd_write(struct file *f, const char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct ci_dev *d = file_inode(f)->i_private;
	unsigned int class, cmd, in_len, out_len;
	char *buf, *hex, *end;
	int ret;

	/* Whatever happens below, the last result is no longer valid. */
	mutex_lock(&d->lock);
	d->status = 255;
	d->used = 0;
	d->answer_len = 0;
	mutex_unlock(&d->lock);

	if (count > 3 * CI_MAX_BYTES)
		return -E2BIG;
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	end = strim(buf);
	hex = kzalloc(2 * CI_MAX_BYTES + 1, GFP_KERNEL);
	if (!hex) {
		ret = -ENOMEM;
		goto out;
	}
	if (sscanf(end, "%u %u %u %512s", &class, &cmd, &in_len, hex) != 4 ||
	    class > 255 || cmd > 255 || in_len > CI_MAX_BYTES) {
		ret = -EINVAL;
		goto out;
	}
	out_len = strcmp(hex, "-") ? strlen(hex) / 2 : 0;
	if (out_len && (strlen(hex) % 2 || out_len > CI_MAX_BYTES)) {
		ret = -EINVAL;
		goto out;
	}

	mutex_lock(&d->lock);
	ret = out_len ? hex2bin(d->out, hex, out_len) : 0;
	if (!ret)
		ret = ci_send(d, class, cmd, out_len, in_len);
	mutex_unlock(&d->lock);
out:
	kfree(hex);
	kfree(buf);
	return ret ? ret : count;
}

static int ci_cmd_show(struct seq_file *m, void *v)
{
	struct ci_dev *d = m->private;

	mutex_lock(&d->lock);
	seq_printf(m, "status=%d used=%u answer=%*phN\n", d->status, d->used,
		   d->answer_len, d->answer);
	mutex_unlock(&d->lock);
	return 0;
}

static int ci_cmd_open(struct inode *inode, struct file *f)
{
	return single_open(f, ci_cmd_show, inode->i_private);
}

static const struct file_operations ci_cmd_fops = {
	.owner = THIS_MODULE,
	.open = ci_cmd_open,
	.read = seq_read,
	.write = ci_cmd_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* Give every free RX buffer to the device; true if any was added. */
static bool ci_rx_fill(struct ci_dev *d, void *buf)
{
	struct scatterlist sg;

	sg_init_one(&sg, buf, CI_RX_BUF);
	return !virtqueue_add_inbuf(d->rvq, &sg, 1, buf, GFP_KERNEL);
}

/* Frames paced at tx_pps, received buffers recycled; polls every ms. */
static int ci_traffic_fn(void *arg)
{
	struct ci_dev *d = arg;
	unsigned int pps = 0, len, i;
	u64 start = 0, base = 0;
	struct scatterlist sg;
	bool kick;
	void *buf;

	/* Once: a restarted thread finds them with the device. */
	if (d->rx_on && !d->rx_posted) {
		for (i = 0; i < d->rx_nbufs; i++)
			ci_rx_fill(d, d->rx_bufs[i]);
		d->rx_posted = true;
		virtqueue_kick(d->rvq);
	}
	while (!kthread_should_stop()) {
		kick = false;
		while (d->rx_on && (buf = virtqueue_get_buf(d->rvq, &len))) {
			atomic64_inc(&d->rx);
			kick |= ci_rx_fill(d, buf);
		}
		if (kick)
			virtqueue_kick(d->rvq);

		while (virtqueue_get_buf(d->tvq, &len))
			atomic64_inc(&d->tx_done);
		if (READ_ONCE(d->tx_pps) != pps) {
			pps = READ_ONCE(d->tx_pps);
			start = ktime_get_ns();
			base = atomic64_read(&d->tx_sent);
		}
		kick = false;
		while (pps && atomic64_read(&d->tx_sent) - base <
		       div_u64((ktime_get_ns() - start) * pps, NSEC_PER_SEC)) {
			sg_init_one(&sg, d->frame, CI_FRAME_LEN);
			if (virtqueue_add_outbuf(d->tvq, &sg, 1, d->frame,
						 GFP_KERNEL))
				break;	/* ring full: later */
			atomic64_inc(&d->tx_sent);
			kick = true;
		}
		if (kick)
			virtqueue_kick(d->tvq);
		usleep_range(1000, 1200);
	}
	return 0;
}

/* Stop the traffic thread; the caller then resets the device. */
static void ci_traffic_stop(struct ci_dev *d)
{
	if (!d->traffic)
		return;
	kthread_stop(d->traffic);
	d->traffic = NULL;
}

static ssize_t ci_traffic_write(struct file *f, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct ci_dev *d = file_inode(f)->i_private;
	unsigned int pps, rx;
	char buf[32];
	int ret;

	ret = ci_user_str(buf, sizeof(buf), ubuf, count);
	if (ret)
		return ret;
	if (sscanf(buf, "%u %u", &pps, &rx) != 2 || rx > 1)
		return -EINVAL;

	mutex_lock(&d->traffic_lock);
	WRITE_ONCE(d->tx_pps, pps);
	if (!pps && !rx) {
		/* The posted RX buffers stay with the device until reset. */
		ci_traffic_stop(d);
	} else if (!d->traffic) {
		d->rx_on = rx;
		d->traffic = kthread_run(ci_traffic_fn, d, "ctrlq_inject/%s",
					 dev_name(&d->vdev->dev));
		if (IS_ERR(d->traffic)) {
			ret = PTR_ERR(d->traffic);
			d->traffic = NULL;
		}
	} else if (rx != d->rx_on) {
		ret = -EBUSY;	/* RX is chosen when the thread starts */
	}
	mutex_unlock(&d->traffic_lock);
	return ret ? ret : count;
}

static int ci_traffic_show(struct seq_file *m, void *v)
{
	struct ci_dev *d = m->private;

	seq_printf(m, "tx_pps=%u rx_on=%d tx=%lld tx_done=%lld rx=%lld\n",
		   READ_ONCE(d->tx_pps), d->traffic ? d->rx_on : 0,
		   atomic64_read(&d->tx_sent), atomic64_read(&d->tx_done),
		   atomic64_read(&d->rx));
	return 0;
}

static int ci_traffic_open(struct inode *inode, struct file *f)
{
	return single_open(f, ci_traffic_show, inode->i_private);
}

static const struct file_operations ci_traffic_fops = {
	.owner = THIS_MODULE,
	.open = ci_traffic_open,
	.read = seq_read,
	.write = ci_traffic_write,
	.llseek = seq_lseek,
	.release = single_release,
};

/* Buffers for the traffic thread: one TX frame, the RX buffers. */
static int ci_traffic_alloc(struct ci_dev *d)
{
	static const u8 dst[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	unsigned int i, n = min(virtqueue_get_vring_size(d->rvq), CI_RX_MAX);
	u8 *eth;

	/* virtio_net_hdr_v1 all zero; to nobody, of an unused EtherType. */
	d->frame = kzalloc(CI_FRAME_LEN, GFP_KERNEL);
	if (!d->frame)
		return -ENOMEM;
	eth = d->frame + 12;
	memcpy(eth, dst, ETH_ALEN);
	memcpy(eth + ETH_ALEN, dst, ETH_ALEN);
	eth[ETH_ALEN + 5] = 0x02;
	eth[2 * ETH_ALEN] = 0x88;	/* ETH_P_802_EX1, local experimental */
	eth[2 * ETH_ALEN + 1] = 0xb5;
	for (i = 0; i < n; i++) {
		d->rx_bufs[i] = kmalloc(CI_RX_BUF, GFP_KERNEL);
		if (!d->rx_bufs[i])
			return -ENOMEM;
		d->rx_nbufs++;
	}
	return 0;
}

static void ci_traffic_free(struct ci_dev *d)
{
	unsigned int i;

	for (i = 0; i < d->rx_nbufs; i++)
		kfree(d->rx_bufs[i]);
	d->rx_nbufs = 0;
	kfree(d->frame);
}

static int ci_features_show(struct seq_file *m, void *v)
{
	struct ci_dev *d = m->private;

	seq_printf(m, "%llx\n", d->vdev->features);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ci_features);

static int ci_probe(struct virtio_device *vdev)
{
	struct virtqueue_info info[3] = {
		{ .name = "rx" },
		{ .name = "tx" },
		{ .name = "control", .callback = ci_cvq_done },
	};
	struct virtqueue *vqs[3];
	struct ci_dev *d;
	int ret;

	if (!virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ))
		return -ENODEV;
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->hdr = kzalloc(sizeof(*d->hdr), GFP_KERNEL);
	d->out = kzalloc(CI_MAX_BYTES, GFP_KERNEL);
	d->in = kzalloc(CI_MAX_BYTES + 1, GFP_KERNEL);
	if (!d->hdr || !d->out || !d->in) {
		ret = -ENOMEM;
		goto err_free;
	}
	mutex_init(&d->lock);
	init_completion(&d->done);
	mutex_init(&d->traffic_lock);
	d->vdev = vdev;
	d->status = 255;
	vdev->priv = d;

	ret = virtio_find_vqs(vdev, 3, vqs, info, NULL);
	if (ret)
		goto err_free;
	d->rvq = vqs[0];
	d->tvq = vqs[1];
	d->cvq = vqs[2];
	ret = ci_traffic_alloc(d);
	if (ret)
		goto err_del;
	virtio_device_ready(vdev);

	d->dir = debugfs_create_dir(dev_name(&vdev->dev), ci_root);
	debugfs_create_file("cmd", 0600, d->dir, d, &ci_cmd_fops);
	debugfs_create_file("features", 0400, d->dir, d, &ci_features_fops);
	debugfs_create_file("traffic", 0600, d->dir, d, &ci_traffic_fops);
	dev_info(&vdev->dev, "ctrlq_inject: features %llx\n", vdev->features);
	return 0;

err_del:
	vdev->config->del_vqs(vdev);
err_free:
	ci_traffic_free(d);
	kfree(d->in);
	kfree(d->out);
	kfree(d->hdr);
	kfree(d);
	return ret;
}

static void ci_remove(struct virtio_device *vdev)
{
	struct ci_dev *d = vdev->priv;

	debugfs_remove(d->dir);
	ci_traffic_stop(d);
	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
	ci_traffic_free(d);
	kfree(d->in);
	kfree(d->out);
	kfree(d->hdr);
	kfree(d);
}

static const struct virtio_device_id ci_id_table[] = {
	{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static unsigned int ci_features[] = {
	VIRTIO_NET_F_CTRL_VQ,
	VIRTIO_NET_F_VQ_NOTF_COAL,
	VIRTIO_NET_F_NOTF_COAL,
	CI_F_NOTF_COAL_SYNC,
};

static struct virtio_driver ci_driver = {
	.driver.name = "ctrlq_inject",
	.id_table = ci_id_table,
	.feature_table = ci_features,
	.feature_table_size = ARRAY_SIZE(ci_features),
	.probe = ci_probe,
	.remove = ci_remove,
};

static int __init ci_init(void)
{
	int ret;

	mutex_init(&ci_used.lock);
	ci_root = debugfs_create_dir("ctrlq_inject", NULL);
	ci_used.file = debugfs_create_file("used_len", 0600, ci_root, NULL,
					   &ci_used_fops);
	ret = register_virtio_driver(&ci_driver);
	if (ret)
		debugfs_remove(ci_root);
	return ret;
}

static void __exit ci_exit(void)
{
	/* Waits for used_len's readers and writers: none is left after. */
	debugfs_remove(ci_used.file);
	if (ci_used.registered)
		unregister_kretprobe(&ci_used_probe);
	/* ci_remove() removes each device's directory, inside ci_root. */
	unregister_virtio_driver(&ci_driver);
	debugfs_remove(ci_root);
}

module_init(ci_init);
module_exit(ci_exit);
MODULE_DESCRIPTION("Inject virtio-net control-queue commands (tests)");
MODULE_LICENSE("GPL");

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
 *                                part is INLEN bytes before the ack byte;
 *                                read "status=S answer=HEX" (S: the ack
 *                                byte, 0 OK, 1 ERR; 255: no answer)
 *
 * Test code: no attempt at performance, one command at a time.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/hex.h>
#include <linux/jiffies.h>
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

struct ci_dev {
	struct virtio_device *vdev;
	struct virtqueue *cvq;
	struct dentry *dir;
	struct mutex lock;		/* one command at a time */
	/* DMA-safe buffers for the command in flight. */
	struct virtio_net_ctrl_hdr *hdr;
	u8 *out;
	u8 *in;				/* answer, then the ack byte */
	/* Last result, for reads of cmd. */
	int status;
	unsigned int answer_len;
	u8 answer[CI_MAX_BYTES];
};

static struct dentry *ci_root;

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

	d->hdr->class = class;
	d->hdr->cmd = cmd;
	memset(d->in, 0xff, in_len + 1);
	ret = virtqueue_add_sgs(d->cvq, sgs, n, 1, d, GFP_KERNEL);
	if (ret)
		return ret;
	if (!virtqueue_kick(d->cvq))
		return -EIO;
	deadline = jiffies + msecs_to_jiffies(CI_TIMEOUT_MS);
	while (!virtqueue_get_buf(d->cvq, &len)) {
		if (virtqueue_is_broken(d->cvq))
			return -EIO;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(100, 200);
	}
	d->status = d->in[in_len];
	d->answer_len = in_len;
	memcpy(d->answer, d->in, in_len);
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
	seq_printf(m, "status=%d answer=%*phN\n", d->status, d->answer_len,
		   d->answer);
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
		{ .name = "rx-unused" },
		{ .name = "tx-unused" },
		{ .name = "control" },
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
	d->vdev = vdev;
	d->status = 255;
	vdev->priv = d;

	ret = virtio_find_vqs(vdev, 3, vqs, info, NULL);
	if (ret)
		goto err_free;
	d->cvq = vqs[2];
	virtio_device_ready(vdev);

	d->dir = debugfs_create_dir(dev_name(&vdev->dev), ci_root);
	debugfs_create_file("cmd", 0600, d->dir, d, &ci_cmd_fops);
	debugfs_create_file("features", 0400, d->dir, d, &ci_features_fops);
	dev_info(&vdev->dev, "ctrlq_inject: features %llx\n", vdev->features);
	return 0;

err_free:
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
	virtio_reset_device(vdev);
	vdev->config->del_vqs(vdev);
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

	ci_root = debugfs_create_dir("ctrlq_inject", NULL);
	ret = register_virtio_driver(&ci_driver);
	if (ret)
		debugfs_remove(ci_root);
	return ret;
}

static void __exit ci_exit(void)
{
	unregister_virtio_driver(&ci_driver);
	debugfs_remove(ci_root);
}

module_init(ci_init);
module_exit(ci_exit);
MODULE_DESCRIPTION("Inject virtio-net control-queue commands (tests)");
MODULE_LICENSE("GPL");

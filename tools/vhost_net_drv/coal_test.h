/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the userspace tests of the vhost-net coalescing uAPI share
 * (tools/vhost_net_drv/vhost_coal_ioctl_test.c,
 * tools/testing/fuzz/{vhost_coal_fuzz,ctrlq_fuzz}.c): the device and
 * parameter paths, the hard limits of drivers/vhost/net_coalesce.c,
 * TAP diagnostics, errno names and reading or writing one vhost_net
 * module parameter.
 */
#ifndef _COAL_TEST_H
#define _COAL_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/vhost_net_coalesce.h>	/* ours, from include/uapi */

#define DEV_PATH	"/dev/vhost-net"
#define PARAM_DIR	"/sys/module/vhost_net/parameters"

/* Hard limits of net_coalesce.c (documented, not tunable). */
#define RATE_LIMIT	100000000u
#define INTERVAL_MIN	10u
#define INTERVAL_MAX	60000u

#define F_DEFAULT	VHOST_VRING_COALESCE_F_DEFAULT
#define F_CLAMP		VHOST_VRING_COALESCE_F_CLAMP

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* A TAP diagnostic line: "# " and the message. */
static void __attribute__((format(printf, 1, 2), unused))
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static __attribute__((unused)) const char *errname(int e)
{
	switch (e) {
	case 0: return "success";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	case ERANGE: return "ERANGE";
	case EFAULT: return "EFAULT";
	case ENOTTY: return "ENOTTY";
	case ENOBUFS: return "ENOBUFS";
	case EBUSY: return "EBUSY";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default: return strerror(e);
	}
}

/* vhost_net's parameter @name into @v; 0 or an errno. */
static int __attribute__((unused))
coal_param_read(const char *name, uint32_t *v)
{
	char path[256], buf[64], *end;
	unsigned long val;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", PARAM_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? errno : EIO;
	buf[n] = '\0';
	errno = 0;
	val = strtoul(buf, &end, 10);
	if (errno || end == buf || val > UINT32_MAX)
		return EIO;
	*v = val;
	return 0;
}

/* Write @v to vhost_net's parameter @name; 0 or the errno of the write. */
static int __attribute__((unused))
coal_param_write(const char *name, uint32_t v)
{
	char path[256], buf[32];
	int fd, len, e = 0;

	snprintf(path, sizeof(path), "%s/%s", PARAM_DIR, name);
	len = snprintf(buf, sizeof(buf), "%u\n", v);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	if (write(fd, buf, len) != len)
		e = errno ? errno : EIO;
	close(fd);
	return e;
}

#endif /* _COAL_TEST_H */

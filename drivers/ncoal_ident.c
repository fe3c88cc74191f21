// SPDX-License-Identifier: GPL-2.0
/*
 * Build identity of the out-of-tree modules. Not part of the upstream
 * series: it lets an operator, and our tests, tell our build from the
 * distribution's module once it is loaded:
 *
 *   strings /sys/module/vhost_net/notes/.note.ncoal
 *   modinfo -F ncoal vhost_net.ko
 */
#include <linux/module.h>
#include <linux/types.h>

#include <generated/ncoal_version.h>

struct ncoal_ident_note {
	u32 namesz;
	u32 descsz;
	u32 type;
	char name[8];
	char desc[ALIGN(sizeof(NCOAL_VERSION), 4)];
};

/* An ELF note: the kernel shows SHT_NOTE sections in /sys/module/<m>/notes. */
static const struct ncoal_ident_note ncoal_ident __used
	__section(".note.ncoal") __aligned(4) = {
	.namesz = sizeof("ncoal"),
	.descsz = sizeof(NCOAL_VERSION),
	.type = 1,
	.name = "ncoal",
	.desc = NCOAL_VERSION,
};

MODULE_INFO(ncoal, NCOAL_VERSION);

# The relay QEMU's devices (configure --without-default-devices
# --with-devices-x86_64=ncoal; fetch-build.sh copies this file to
# configs/devices/x86_64-softmmu/ncoal.mak in the tree it builds).
#
# What the tests, the bench and make check run on it: the pc and q35
# machine types (every versioned one: 35-relay-compat probes pc-q35-7.1
# and pc-i440fx-6.2) and virtio-net-pci. Kconfig's "select" brings in
# what the boards always need (PIIX3/ICH9, IDE/AHCI, ACPI, RTC, PIT,
# i8042, serial, fw_cfg, ...).
#
# The rest is what a board adds only when it is built ("imply", "default
# y"), kept so that the machine stays the one the default devices gave:
# HPET, vmport and vmmouse are in every pc/q35 machine, -nodefaults or
# not (with them, info qtree, info pci, info mtree and info qom-tree of
# every machine type the tests use are unchanged); the VGA and the
# parallel port are a machine's defaults without -nodefaults, as in
# README.md's example (without them QEMU stops: "standard VGA not
# available", then an abort on isa-parallel).
CONFIG_I440FX=y
CONFIG_Q35=y
CONFIG_HPET=y
CONFIG_VMPORT=y
CONFIG_VMMOUSE=y
CONFIG_VGA_PCI=y
CONFIG_PARALLEL=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_NET=y

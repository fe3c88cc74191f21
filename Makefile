# SPDX-License-Identifier: GPL-2.0
#
# ncoal: notification coalescing for vhost_net and virtio_net (Linux 6.12).
#
#   make demo      build everything, boot the two-level VM stack, show
#                  stock vs coalesced side by side
#   make check     all tests (unit, build, style, VM tests on one level)
#   make kunit     the engine's KUnit tests on UML (kunit.py, build/kunit)
#   make check-e2e the two-level rig (nested guest, relay QEMU): sync,
#                  relay, soak, storms end to end
#   make           build vhost_net.ko and virtio_net.ko into build/
#   make deps      install the Debian packages the project needs
#   make bench     benchmarks (long): stock vs ours, generated report
#   make install   our modules into /lib/modules/<kver>/updates (uninstall)
#   make patches   the upstream series (kernel and QEMU) in build/patches
#   make lint      every check netdev runs, on the series and our scripts
#   make stress    the reliability tests (tests/5x, 6x) in their long
#                  versions, with a summary table (long)
#   make check-debug  the VM suite on a KASAN/lockdep debug kernel (long;
#                  DEBUG_TESTS=... chooses the tests)
#
# KDIR (kernel build dir) and KSRC (matching kernel tree or linux-source
# tarball) select another target kernel; see README.md.

SHELL := /bin/bash
BUILD ?= $(CURDIR)/build
export NCOAL_BUILD := $(BUILD)

.PHONY: all modules deps check check-e2e demo bench bench-host unit kunit checkpatch sparse \
	vm-test tools qemu clean help install uninstall patches lint stress \
	check-debug

all: modules

help:
	@sed -n '3,20p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@scripts/deps.sh

# Build with W=1; stray warnings in our own files fail the build.
modules: deps
	@scripts/build.sh

tools: deps
	@$(MAKE) -s -C tools/vhost_net_drv
	@$(MAKE) -s -C tools/udpflood O=$(BUILD)
	@$(MAKE) -s -C tools/mcload O=$(BUILD)
	@$(MAKE) -s -C tools/coalnl O=$(BUILD)
	@$(MAKE) -s -C tools/testing/vm/ctrlq_inject NCOAL_BUILD=$(BUILD) >/dev/null
	@$(MAKE) -s -C tools/testing/fuzz O=$(BUILD)

# QEMU 7.2 with our relay (Debian's source + tools/qemu/patches), cached
qemu: deps
	@tools/qemu/fetch-build.sh
	@if [ -f tools/testing/ncoal/Makefile ]; then \
		$(MAKE) -s -C tools/testing/ncoal; fi

unit: deps
	@scripts/check.sh unit

# KUnit on UML: builds a kernel in build/kunit once (minutes), then reuses it
kunit: deps
	@scripts/kunit.sh

checkpatch: deps
	@scripts/check.sh checkpatch

vm-test: modules tools qemu
	@scripts/check.sh vm

check: deps
	@scripts/check.sh all

# The two-level rig (nested guest, relay QEMU): sync, relay, soak, storms
check-e2e: deps modules tools qemu
	@scripts/check.sh e2e

demo: modules tools
	@scripts/demo.sh

# Long: stock vs ours, Documentation/benchmarks/results.rst (BENCH_ARGS=...)
bench: modules tools qemu
	@tools/bench/bench.sh $(BENCH_ARGS)

bench-host: modules tools
	@tools/bench/bench.sh --only host $(BENCH_ARGS)

# Long: the reliability tests' long versions and a summary table
stress: modules tools qemu
	@tools/testing/vm/stress-run.sh

# Long, not part of check: debug kernel, modules, suite (build/debug)
check-debug: deps
	@scripts/check-debug.sh

install: modules
	@scripts/install.sh install

uninstall:
	@scripts/install.sh uninstall

patches: deps
	@scripts/mkpatches.sh

lint: deps
	@scripts/lint.sh

clean:
	rm -rf $(BUILD)
	-@$(MAKE) -s -C tools/vhost_net_drv clean 2>/dev/null
	-@$(MAKE) -s -C tools/testing/ncoal clean 2>/dev/null

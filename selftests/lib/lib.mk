# SPDX-License-Identifier: GPL-2.0
#
# Shared make fragment for vmm selftests.  In a test directory:
#
#	TESTS := foo_test bar_test	# each built from TEST.c
#	include ../lib/lib.mk
#
#	all: $(TESTS)
#	run: all
#		@$(TAP_RUN) $(addprefix ./,$(TESTS))
#	clean:
#		rm -f $(TESTS)
#
# It provides the compiler flags (TEST_CFLAGS), the libraries to link
# (TEST_LDLIBS: libvmmtest.a then libvmm.a, both rebuilt on demand), a
# rule building every program in $(TESTS) from its .c file, and TAP_RUN,
# the script running programs as TAP subtests.

VMM_SELFTESTS_LIB := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VMM_TOP := $(abspath $(VMM_SELFTESTS_LIB)/../..)

ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := all
endif

CC ?= gcc
CFLAGS ?= -O2 -g
TEST_CFLAGS := -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	-I$(VMM_TOP)/uapi -I$(VMM_TOP)/userlib -I$(VMM_SELFTESTS_LIB) \
	$(CFLAGS)

LIBVMM := $(VMM_TOP)/userlib/libvmm.a
LIBVMMTEST := $(VMM_SELFTESTS_LIB)/libvmmtest.a
TEST_LDLIBS := $(LIBVMMTEST) $(LIBVMM)
TEST_HDRS := $(VMM_SELFTESTS_LIB)/test_util.h $(VMM_TOP)/userlib/vmm.h \
	$(VMM_TOP)/uapi/linux/vmm.h
TAP_RUN := bash $(VMM_SELFTESTS_LIB)/tap_run.sh

# The libraries belong to other directories: ask their Makefiles every
# time, which rebuilds them only when out of date.
.PHONY: vmm-lib-force
vmm-lib-force:

$(LIBVMM): vmm-lib-force
	$(MAKE) -C $(VMM_TOP)/userlib libvmm.a

ifneq ($(VMM_SELFTESTS_LIB_SELF),1)
$(LIBVMMTEST): vmm-lib-force
	$(MAKE) -C $(VMM_SELFTESTS_LIB) libvmmtest.a
endif

ifneq ($(strip $(TESTS)),)
$(TESTS): %: %.c $(TEST_LDLIBS) $(TEST_HDRS)
	$(CC) $(TEST_CFLAGS) -o $@ $< $(TEST_LDLIBS) $(LDFLAGS) $(LDLIBS)
endif

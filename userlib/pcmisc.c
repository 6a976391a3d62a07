// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: the small PC ports (0x80, 0x92, i8042, PCI configuration).
 */
#include "internal.h"

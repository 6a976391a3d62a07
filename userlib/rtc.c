// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: the MC146818 real-time clock and CMOS.
 */
#include "internal.h"

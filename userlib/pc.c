// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: the PC machine: devices, interrupt delivery, timer thread.
 */
#include "internal.h"

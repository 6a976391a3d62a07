// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: the x86 Linux boot protocol (bzImage).
 */
#include "internal.h"

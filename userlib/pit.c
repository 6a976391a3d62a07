// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: the 8254 interval timer.
 */
#include "internal.h"

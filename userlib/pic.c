// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libvmm: the 8259A interrupt controller pair.
 */
#include "internal.h"

/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Userspace stand-in for <linux/string.h>: memcpy and friends from libc. */
#ifndef QIRING_PORT_LINUX_STRING_H
#define QIRING_PORT_LINUX_STRING_H

#include <string.h>

#endif

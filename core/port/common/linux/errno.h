/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * Userspace stand-in for <linux/errno.h>: the system's UAPI header, which
 * has the same E* codes as the kernel (glibc's <errno.h> includes it too).
 */
#ifndef QIRING_PORT_LINUX_ERRNO_H
#define QIRING_PORT_LINUX_ERRNO_H

#include_next <linux/errno.h>

#endif

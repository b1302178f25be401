/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/* Userspace stand-in for <linux/log2.h>: is_power_of_2() and ilog2(). */
#ifndef QIRING_PORT_LINUX_LOG2_H
#define QIRING_PORT_LINUX_LOG2_H

#include <linux/types.h>

static inline bool is_power_of_2(unsigned long n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/* floor(log2(n)) for n > 0 */
static inline int ilog2(unsigned long n)
{
	return (int)(sizeof(n) * 8 - 1) - __builtin_clzl(n);
}

#endif

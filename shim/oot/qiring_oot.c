// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * qiring_oot: builds against a patched tree through iommu.h alone, with no
 * flag but the include directory. It only looks at types and inline
 * helpers, so it links without any of the driver's symbols.
 */
#include <linux/module.h>

#include "iommu.h"

static int __init qiring_oot_init(void)
{
	BUILD_BUG_ON(sizeof(struct qi_desc) != sizeof(struct qiring_desc));
	pr_info("qiring_oot: struct q_inval %zu bytes, %u status words for %u slots\n",
		sizeof(struct q_inval), qiring_status_words(QI_LENGTH),
		(unsigned int)QI_LENGTH);
	return 0;
}

static void __exit qiring_oot_exit(void)
{
}

module_init(qiring_oot_init);
module_exit(qiring_oot_exit);
MODULE_DESCRIPTION("qiring: out-of-tree build check through iommu.h");
MODULE_LICENSE("Dual BSD/GPL");

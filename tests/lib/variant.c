// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <string.h>

#include "variant.h"

const struct qr_variant *const qr_variants[] = {
	&qr_variant_legacy,
	&qr_variant_tbf,
	&qr_variant_locked,
	&qr_variant_smmuv3,
	&qr_variant_lockfree,
	NULL,
};

const struct qr_variant *qr_variant_find(const char *name)
{
	const struct qr_variant *const *v;

	for (v = qr_variants; *v; v++)
		if (!strcmp((*v)->name, name))
			return *v;
	return NULL;
}

// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/* Runs every libluo unit test as one cmocka group. */
#include "wrap.h"

#include <stdlib.h>

int main(void)
{
	const struct {
		const struct CMUnitTest *tests;
		size_t n;
	} mods[] = {
		{ opts_tests, opts_ntests },       { session_tests, session_ntests },
		{ memfd_tests, memfd_ntests },     { memfd_probe_tests, memfd_probe_ntests },
		{ probe_tests, probe_ntests },
		{ fdpass_tests, fdpass_ntests },   { strerror_tests, strerror_ntests },
	};
	struct CMUnitTest *all;
	size_t i, j, n = 0;
	int ret;

	for (i = 0; i < sizeof(mods) / sizeof(mods[0]); i++)
		n += mods[i].n;
	all = calloc(n, sizeof(*all));
	if (!all)
		return 1;
	n = 0;
	for (i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		for (j = 0; j < mods[i].n; j++) {
			all[n] = mods[i].tests[j];
			if (!all[n].setup_func)
				all[n].setup_func = wrap_reset;
			n++;
		}
	}
	ret = _cmocka_run_group_tests("libluo", all, n, NULL, NULL);
	free(all);
	return ret;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Seals added to a file after PRESERVE_FD, shared by the stage programs
 * (tests/hugetlb/hugetlb_stage.c, tests/shmem/interop.c). F_SEAL_WRITE is
 * refused (the preserved pages are pinned: EBUSY); the others are added one
 * at a time, F_SEAL_SEAL last, and must come back from the next kernel.
 *
 * The including file defines, before the #include:
 *   static void result(int ok, const char *fmt, ...);   one KTAP result line
 */
#ifndef LUO_TESTS_LATE_SEALS_H
#define LUO_TESTS_LATE_SEALS_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

static const int late_order[] = {
	F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_FUTURE_WRITE, F_SEAL_SEAL,
};
static const char *const late_name[] = {
	"F_SEAL_SHRINK", "F_SEAL_GROW", "F_SEAL_FUTURE_WRITE", "F_SEAL_SEAL",
};

#define NR_LATE ((int)(sizeof(late_order) / sizeof(late_order[0])))

/* Results late_seals_add() prints for the seals @late: WRITE, each, GET. */
static int late_tests_for(int late)
{
	int n = 0, i;

	if (!late)
		return 0;
	for (i = 0; i < NR_LATE; i++)
		if (late & late_order[i])
			n++;
	return 1 + n + 1;
}

/*
 * On the preserved file @fd (called @name in results): F_SEAL_WRITE must
 * fail with EBUSY, each seal of @late must be added, and the file must then
 * have exactly the seals @want.
 */
static void late_seals_add(int fd, const char *name, int late, int want)
{
	int i, ok, seals;

	errno = 0;
	result(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) < 0 && errno == EBUSY,
	       "%s: F_SEAL_WRITE after preserve is EBUSY (%s)", name,
	       strerror(errno));
	for (i = 0; i < NR_LATE; i++) {
		if (!(late & late_order[i]))
			continue;
		ok = !fcntl(fd, F_ADD_SEALS, late_order[i]);
		result(ok, "%s: add %s after preserve (%s)", name, late_name[i],
		       ok ? "ok" : strerror(errno));
	}
	seals = fcntl(fd, F_GET_SEALS);
	result(seals == want, "%s: seals after preserve %#x (want %#x)", name,
	       seals, want);
}

#endif /* LUO_TESTS_LATE_SEALS_H */

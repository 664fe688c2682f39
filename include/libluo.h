/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/* Copyright (c) 2026 The luo-memfd authors */
/*
 * libluo - userspace library for the Linux Live Update Orchestrator
 * (/dev/liveupdate, Linux 7.3 uAPI).
 */

/**
 * @file libluo.h
 * @brief Public interface of libluo.
 *
 * libluo wraps the Live Update Orchestrator (LUO) uAPI of Linux 7.3 and adds
 * the helpers that every user of it otherwise writes by hand: creating a memfd
 * suited for preservation, finding out whether live update is available and
 * whether this boot came from one, handing session file descriptors to
 * another process over a Unix socket, and explaining LUO's error numbers.
 *
 * Conventions shared by every function:
 *  - Functions return 0 (or a file descriptor, or a count, where documented)
 *    on success and a negative errno value on failure. errno itself is left
 *    in an unspecified state.
 *  - Nothing is printed and nothing aborts the process.
 *  - All arguments are validated before the first system call; a function
 *    that fails validation has no side effect.
 *  - File descriptors created by the library are close-on-exec unless an
 *    option says otherwise.
 *  - The library's only global state is an atomic counter that numbers
 *    requests to luod: every function is safe to call from several threads
 *    at once, as long as the threads do not race on the same file
 *    descriptor or output buffer. Each function states its own rules.
 *
 * Option structures follow the libbpf convention: the first member is
 * `size_t sz`, set to `sizeof` the structure the caller was compiled with (use
 * #LUO_OPTS). A caller built against an older, smaller structure keeps
 * working (missing members read as zero); a caller built against a newer,
 * larger structure is accepted only if every byte the library does not know
 * is zero, otherwise the call fails with -E2BIG. `sz` smaller than
 * `sizeof(size_t)` fails with -EINVAL and `sz` above #LUO_OPTS_MAX_SIZE with
 * -E2BIG.
 */

#ifndef LIBLUO_H
#define LIBLUO_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Marks a symbol exported from the shared library.
 *
 * The library is built with `-fvisibility=hidden`; only declarations carrying
 * this attribute are exported (and listed in the version script).
 */
#if defined(__GNUC__) && __GNUC__ >= 4
#define LUO_API __attribute__((visibility("default")))
#else
#define LUO_API
#endif

/** @brief Major version of the library (matches the SONAME `libluo.so.1`). */
#define LIBLUO_MAJOR_VERSION 1
/**
 * @brief Minor version of the library: 1.1 added the LIBLUO_1.1 symbols,
 * 1.2 those of LIBLUO_1.2.
 */
#define LIBLUO_MINOR_VERSION 2
/** @brief Patch level of the library. */
#define LIBLUO_PATCH_VERSION 0

/**
 * @brief One number for a library version, ordered like the versions.
 *
 * Compare the result of luo_version() (the library loaded at run time) with
 * it, or with #LIBLUO_VERSION (the header compiled against).
 */
#define LIBLUO_VERSION_NUM(MAJOR, MINOR, PATCH) \
	(((MAJOR) << 16) | ((MINOR) << 8) | (PATCH))

/** @brief Version of this header, as LIBLUO_VERSION_NUM() gives it. */
#define LIBLUO_VERSION                                                  \
	LIBLUO_VERSION_NUM(LIBLUO_MAJOR_VERSION, LIBLUO_MINOR_VERSION, \
			   LIBLUO_PATCH_VERSION)

/** @brief Path of the LUO character device. */
#define LUO_DEVICE_PATH "/dev/liveupdate"

/**
 * @brief Size of a session name buffer, terminating NUL included.
 *
 * Mirrors `LIVEUPDATE_SESSION_NAME_LENGTH` of `<linux/liveupdate.h>`: a
 * session name has 1 to 63 bytes.
 */
#define LUO_SESSION_NAME_MAX 64

/** @brief Longest memfd name accepted by memfd_create(2), without the NUL. */
#define LUO_MEMFD_NAME_MAX 249

/** @brief Largest `sz` accepted in an option or result structure. */
#define LUO_OPTS_MAX_SIZE 4096

/**
 * @brief Declare and initialise an option structure, libbpf style.
 *
 * @param TYPE  structure tag without `struct`, e.g. `luo_memfd_opts`.
 * @param NAME  name of the variable to declare.
 * @param ...   designated initialisers for the other members.
 *
 * The whole structure, padding included, is zeroed before the members are
 * set, and `sz` is set to `sizeof(struct TYPE)`:
 * @code
 * LUO_OPTS(luo_memfd_opts, mo, .size = 1 << 20, .prefault = LUO_PREFAULT_TOUCH);
 * int fd = luo_memfd_create("cache", &mo);
 * @endcode
 * The macro uses a GNU C statement expression (GCC and Clang). Before C23,
 * `-pedantic` warns when no initialiser follows NAME (as with libbpf's
 * LIBBPF_OPTS). C++ callers zero the structure with memset() and set `sz`
 * themselves.
 */
#define LUO_OPTS(TYPE, NAME, ...)                                              \
	struct TYPE NAME = __extension__({                                     \
		memset(&NAME, 0, sizeof(struct TYPE));                         \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };       \
	})

/**
 * @brief Version of the libluo loaded at run time.
 *
 * A program built against a newer header than the library it runs with can
 * test for what it needs: `luo_version() >= LIBLUO_VERSION_NUM(1, 1, 0)`.
 * Calling a LIBLUO_1.1 function on a 1.0 library fails at load time instead
 * (symbol versioning); this is for optional use through dlsym() or for logs.
 *
 * @return LIBLUO_VERSION_NUM(major, minor, patch) of the library.
 *
 * @par Thread safety
 * Thread-safe.
 */
LUO_API int luo_version(void);

/* ------------------------------------------------------------------------ */
/* Device                                                                   */
/* ------------------------------------------------------------------------ */

/** @brief luo_device_opts::flags bit: leave the device fd inheritable across exec. */
#define LUO_DEVICE_NOCLOEXEC (1ULL << 0)

/** @brief Options of luo_device_open(). */
struct luo_device_opts {
	size_t sz;        /**< `sizeof(struct luo_device_opts)`. */
	const char *path; /**< Device path; NULL means #LUO_DEVICE_PATH. */
	uint64_t flags;   /**< 0 or #LUO_DEVICE_NOCLOEXEC; other bits give -EINVAL. */
};

/**
 * @brief Open the LUO device.
 *
 * Opens the device read-write (the kernel needs no particular mode) and
 * close-on-exec unless #LUO_DEVICE_NOCLOEXEC is set. The kernel admits a
 * single opener at a time: keep the descriptor for as long as sessions must
 * be created or retrieved, and pass it to other processes with
 * luo_send_fds() rather than opening it twice.
 *
 * @param opts options, or NULL for the defaults.
 * @return the device file descriptor, or a negative errno:
 *  - -EINVAL: bad `opts` (size, unknown flag, empty path);
 *  - -E2BIG: `opts` larger than known with non-zero extra bytes;
 *  - -ENOENT: no device node; the kernel lacks CONFIG_LIVEUPDATE or was not
 *    booted with `liveupdate=on` (or KHO is disabled: `kho=off`);
 *  - -EBUSY: another file descriptor (in any process) already has the
 *    device open;
 *  - -EIO: the kernel failed to deserialize the sessions handed over by the
 *    previous kernel; every open fails the same way until the next reboot;
 *  - -ENXIO / -ENODEV: a stale device node without a driver behind it;
 *  - -EACCES, -EMFILE, -ENFILE: as for open(2).
 *
 * @par Thread safety
 * Thread-safe. Two concurrent callers race for the device; one gets -EBUSY.
 */
LUO_API int luo_device_open(const struct luo_device_opts *opts);

/** @brief luo_connect_opts::flags bit: leave the connection inheritable across exec. */
#define LUO_CONNECT_NOCLOEXEC (1ULL << 0)

/** @brief Options of luo_connect(). */
struct luo_connect_opts {
	size_t sz;        /**< `sizeof(struct luo_connect_opts)`. */
	const char *path; /**< luod's socket; NULL means `/run/luod/liveupdate.sock`. */
	uint64_t flags;   /**< 0 or #LUO_CONNECT_NOCLOEXEC. */
};

/**
 * @brief Connect to luod, the live-update broker, instead of opening the
 * device.
 *
 * On a host where luod holds /dev/liveupdate (luo_device_open() fails with
 * -EBUSY), a process gets its sessions from luod. The connection stands in
 * for the device descriptor: luo_session_create() and
 * luo_session_retrieve() (and their _opts forms) given it ask luod, which
 * creates or retrieves the session in the caller's own namespace (by its
 * uid) and passes its descriptor back; everything else works on that
 * session descriptor as usual. luod keeps its own reference to every
 * session until the kexec, so the client may exit. A name "UID/NAME"
 * names another user's session (only root may). docs/luod.md has the
 * protocol.
 *
 * @param opts options, or NULL for the defaults.
 * @return the connection (a socket, close-on-exec unless asked), or a
 *         negative errno:
 *  - -EINVAL: bad `opts`; -E2BIG: oversized `opts` with non-zero extra bytes;
 *  - -ENAMETOOLONG: `path` does not fit a Unix socket address;
 *  - -ENOENT, -ECONNREFUSED: luod is not running there;
 *  - -EACCES: the socket's permissions exclude the caller;
 *  - -EPROTONOSUPPORT: luod speaks another protocol version;
 *  - -EPROTO, -ECONNRESET: luod's answer was malformed or missing.
 *
 * Through luod, luo_session_create() and luo_session_retrieve() also fail
 * with -EPERM (another user's session), -EINVAL (a name that is not 1 to 40
 * of `A-Za-z0-9._-`), -EPROTO (a malformed or repeated request) and luod's
 * copy of the kernel's error.
 *
 * @par Thread safety
 * Thread-safe, but send one request at a time on a connection.
 */
LUO_API int luo_connect(const struct luo_connect_opts *opts);

/**
 * @brief Ask luod to be told before every kexec it orchestrates.
 *
 * Opens a second connection to luod, dedicated to events: poll() it for
 * input; when it is readable, luo_watch_read() gives the id of a request to
 * get ready for a kexec (`luoctl kexec`). Freeze what must be frozen (stop
 * the VM, flush state into preserved memfds), then answer with
 * luo_watch_ready(). A watcher that does not answer in time makes `luoctl
 * kexec` abort, unless it is forced. Close the descriptor to stop watching.
 *
 * @param opts as for luo_connect(), or NULL.
 * @return the watch descriptor, or a negative errno as for luo_connect().
 *
 * @par Thread safety
 * Thread-safe.
 */
LUO_API int luo_watch(const struct luo_connect_opts *opts);

/**
 * @brief Read one event from a watch descriptor (blocks if none is queued).
 *
 * @param wfd descriptor from luo_watch().
 * @return the id of a "get ready for a kexec" request (> 0), or a negative
 *         errno: -EBADF; -ECONNRESET (luod closed the connection: it was
 *         restarted, watch again); -EPROTO (not a luod event); -EAGAIN on a
 *         non-blocking descriptor with nothing queued; others as recv(2).
 *
 * @par Thread safety
 * Thread-safe; one reader per descriptor.
 */
LUO_API int luo_watch_read(int wfd);

/**
 * @brief Tell luod this process is ready for the kexec request `id`.
 *
 * @param wfd descriptor from luo_watch().
 * @param id  what luo_watch_read() returned.
 * @return 0, or a negative errno: -EBADF, -EINVAL (`id` not positive),
 *         -EPIPE/-ECONNRESET (luod is gone), others as send(2).
 *
 * @par Thread safety
 * Thread-safe.
 */
LUO_API int luo_watch_ready(int wfd, int id);

/**
 * @brief Drop luod's own reference to one of your sessions.
 *
 * luod keeps a reference to every session it creates, so that a client may
 * preserve and exit and its files still go to the next kernel. After this
 * call an outgoing session lives only as long as your own descriptors of
 * it: if your process dies before the kexec, the session closes and
 * nothing it preserved is kept (a VMM whose VM died has nothing to hand
 * over, and its memory is not held until the next kernel). While the
 * session lives its owner stays in luod's record, so the next kernel's
 * luod still gives it back to you. A session the previous kernel handed
 * over and nobody retrieved is retrieved and finished by luod, which
 * discards it.
 *
 * Since 1.2.
 *
 * @param conn connection from luo_connect().
 * @param name the session's name as given to luo_session_create()
 *             (root may name another owner's as "UID/NAME").
 * @return 0, or a negative errno: -EBADF, -ENOTSOCK (`conn` is not a luod
 *         connection), -EINVAL (bad name), -ENOENT (no such session of
 *         yours), -EPERM (another owner's), others as send(2)/recv(2).
 *
 * @par Thread safety
 * As for every request on a luod connection: one request at a time on a
 * connection (or one connection per thread).
 */
LUO_API int luo_release(int conn, const char *name);

/* ------------------------------------------------------------------------ */
/* Sessions                                                                 */
/* ------------------------------------------------------------------------ */

/** @brief luo_fd_opts::flags bit: leave the new descriptor inheritable across exec. */
#define LUO_FD_NOCLOEXEC (1ULL << 0)

/**
 * @brief Options of the calls that return a descriptor from a LUO ioctl:
 * luo_session_create_opts(), luo_session_retrieve_opts() and
 * luo_session_retrieve_fd_opts().
 *
 * The ioctl arguments carry their own size, so a later kernel can take more
 * fields; this structure is where libluo will add them.
 */
struct luo_fd_opts {
	size_t sz;      /**< `sizeof(struct luo_fd_opts)`. */
	uint64_t flags; /**< 0 or #LUO_FD_NOCLOEXEC; other bits give -EINVAL. */
};

/**
 * @brief Create a new outgoing session (LIVEUPDATE_IOCTL_CREATE_SESSION).
 *
 * The session exists as long as its file descriptor (or a duplicate of it,
 * in this or another process) stays open. Closing the last reference before
 * the kexec destroys the session and unpreserves every file in it. At the
 * kexec, every open session is serialized and handed to the next kernel.
 *
 * @param dev_fd device descriptor from luo_device_open().
 * @param name   session name, 1 to 63 bytes plus the NUL.
 * @return the session file descriptor (close-on-exec), or a negative errno:
 *  - -EBADF: `dev_fd` is negative or not open;
 *  - -EINVAL: `name` is NULL or empty; also when `dev_fd` is a session fd
 *    rather than the device;
 *  - -ENAMETOOLONG: `name` has 64 bytes or more;
 *  - -EEXIST: an outgoing session with this name already exists in this
 *    kernel (sessions handed over from the previous kernel do not count);
 *  - -ENOSPC: the kernel's session table is full;
 *  - -ENOMEM, -EMFILE: out of memory or file descriptors; for a HugeTLB
 *    memfd also a page that could not be charged (memory or hugetlb cgroup
 *    limit): retry once memory is available or the limit raised;
 *  - -ENOTTY: `dev_fd` is not the LUO device.
 *  - -EPROTO: the kernel reported success without a valid descriptor.
 *
 * @par Thread safety
 * Thread-safe; the kernel serializes concurrent creations.
 */
LUO_API int luo_session_create(int dev_fd, const char *name);

/**
 * @brief luo_session_create() with options.
 *
 * @param dev_fd device descriptor from luo_device_open().
 * @param name   session name, 1 to 63 bytes plus the NUL.
 * @param opts   options, or NULL for the defaults (the same as
 *               luo_session_create()).
 * @return as luo_session_create(); also -EINVAL for an unknown flag or a bad
 *         `opts->sz`, -E2BIG for oversized `opts` with non-zero extra bytes,
 *         and -EBADF when #LUO_FD_NOCLOEXEC could not be applied because
 *         another thread closed the new descriptor first.
 *
 * @par Thread safety
 * Thread-safe.
 */
LUO_API int luo_session_create_opts(int dev_fd, const char *name,
				    const struct luo_fd_opts *opts);

/**
 * @brief Retrieve a session handed over by the previous kernel
 * (LIVEUPDATE_IOCTL_RETRIEVE_SESSION).
 *
 * @param dev_fd device descriptor from luo_device_open().
 * @param name   name the session was created with, 1 to 63 bytes.
 * @return the session file descriptor (close-on-exec), or a negative errno:
 *  - -EBADF: `dev_fd` is negative or not open;
 *  - -EINVAL: `name` is NULL or empty; the session has already been
 *    retrieved and its descriptor is still open; `dev_fd` is a session fd;
 *  - -ENAMETOOLONG: `name` has 64 bytes or more;
 *  - -ENOENT: the previous kernel handed over no session of that name (also
 *    after a cold boot, and after the retrieved session was closed or
 *    finished and closed);
 *  - -ENOMEM, -EMFILE: out of memory or file descriptors; for a HugeTLB
 *    memfd also a page that could not be charged (memory or hugetlb cgroup
 *    limit): retry once memory is available or the limit raised;
 *  - -ENOTTY: `dev_fd` is not the LUO device.
 *  - -EPROTO: the kernel reported success without a valid descriptor.
 *
 * @par Thread safety
 * Thread-safe; of two concurrent retrievals of the same name one gets -EINVAL.
 */
LUO_API int luo_session_retrieve(int dev_fd, const char *name);

/**
 * @brief luo_session_retrieve() with options.
 *
 * @param dev_fd device descriptor from luo_device_open().
 * @param name   name the session was created with, 1 to 63 bytes.
 * @param opts   options, or NULL for the defaults.
 * @return as luo_session_retrieve(); also -EINVAL / -E2BIG for bad `opts`,
 *         and -EBADF when #LUO_FD_NOCLOEXEC could not be applied because
 *         another thread closed the new descriptor first (the library
 *         never closes a retrieved session itself).
 *
 * @par Thread safety
 * Thread-safe.
 */
LUO_API int luo_session_retrieve_opts(int dev_fd, const char *name,
				      const struct luo_fd_opts *opts);

/**
 * @brief Finish a retrieved session (LIVEUPDATE_SESSION_FINISH).
 *
 * Tells the kernel that every file of the session the application needs has
 * been retrieved. The kernel releases the preserved state; files never
 * retrieved are discarded and later luo_session_retrieve_fd() calls fail with
 * -ENOENT. Finishing an already finished session succeeds again. Closing a
 * retrieved session's descriptor also finishes it implicitly.
 *
 * @param session_fd descriptor from luo_session_retrieve().
 * @return 0, or a negative errno:
 *  - -EBADF: `session_fd` is negative or not open;
 *  - -EINVAL: `session_fd` is an outgoing session (created in this kernel) or
 *    the device;
 *  - -EBUSY: a file handler refused to finish yet (not the case for memfds);
 *    the state stays preserved and the call may be repeated;
 *  - -ENOTTY: `session_fd` is not a LUO session.
 *
 * @par Thread safety
 * Thread-safe; the kernel holds the session lock.
 */
LUO_API int luo_session_finish(int session_fd);

/**
 * @brief Read the full name of a session (LIVEUPDATE_SESSION_GET_NAME).
 *
 * Works on outgoing and retrieved sessions.
 *
 * @param session_fd session descriptor.
 * @param buf        receives the NUL-terminated name.
 * @param buf_len    size of `buf`; #LUO_SESSION_NAME_MAX always suffices.
 * @return 0, or a negative errno:
 *  - -EBADF: `session_fd` is negative or not open;
 *  - -EINVAL: `buf` is NULL or `buf_len` is 0; `session_fd` is the device;
 *  - -ERANGE: the name and its NUL do not fit in `buf_len` bytes (`buf` is
 *    left untouched);
 *  - -EPROTO: the kernel returned a name without a terminating NUL;
 *  - -ENOTTY: `session_fd` is not a LUO session.
 *
 * @par Thread safety
 * Thread-safe as long as no other thread writes to `buf`.
 */
LUO_API int luo_session_get_name(int session_fd, char *buf, size_t buf_len);

/**
 * @brief Preserve a file in an outgoing session (LIVEUPDATE_SESSION_PRESERVE_FD).
 *
 * The kernel takes its own reference to the file: `fd` may be closed
 * afterwards. From now on the kernel snapshots the file at the kexec; a
 * preserved shmem memfd can no longer change size (truncate, fallocate and
 * writes past the end fail with EPERM) while its contents stay writable. The
 * file position is sampled again at the kexec.
 *
 * @param session_fd descriptor from luo_session_create().
 * @param fd         file to preserve (Linux 7.3: a memfd; HugeTLB memfds need
 *                   a kernel with HugeTLB live-update support).
 * @param token      caller-chosen identifier, unique within the session, used
 *                   by luo_session_retrieve_fd() after the update.
 * @return 0, or a negative errno:
 *  - -EBADF: `session_fd` or `fd` is negative or not open;
 *  - -EINVAL: `session_fd` is a retrieved (incoming) session or the device;
 *  - -EEXIST: `token` is already used in this session;
 *  - -EBUSY: this file is already preserved (in this or another session);
 *  - -ENOENT: no handler can preserve this kind of file (not a memfd, a
 *    linked tmpfs file, or a HugeTLB memfd on a stock 7.3 kernel);
 *  - -EOPNOTSUPP: the memfd carries seals the kernel cannot preserve;
 *  - -EFBIG: the memfd has more than 2^32 - 1 pages;
 *  - -ENOSPC: the session's file table is full;
 *  - -ENOMEM: out of memory (the kernel pins and allocates every page);
 *  - -ENOTTY: `session_fd` is not a LUO session.
 *
 * @par Thread safety
 * Thread-safe; the kernel holds the session lock.
 */
LUO_API int luo_session_preserve_fd(int session_fd, int fd, uint64_t token);

/**
 * @brief Retrieve a preserved file (LIVEUPDATE_SESSION_RETRIEVE_FD).
 *
 * Retrieving the same token twice returns a second descriptor for the same
 * file. A failed retrieval is final (later attempts for that token fail with
 * the same error), except -ENOMEM on kernels with patch 0057 (this
 * project's): the file stays whole and the next attempt goes on.
 *
 * @param session_fd descriptor from luo_session_retrieve().
 * @param token      token given to luo_session_preserve_fd() before the update.
 * @return a new file descriptor (close-on-exec), or a negative errno:
 *  - -EBADF: `session_fd` is negative or not open;
 *  - -EINVAL: `session_fd` is an outgoing session or the device;
 *  - -ENOENT: no file with this token (or the session was finished);
 *  - -EOPNOTSUPP: the memfd's seals are unknown to this kernel;
 *  - -EIO: the kernel could not restore the preserved memory;
 *  - -ENOMEM, -EMFILE: out of memory or file descriptors; for a HugeTLB
 *    memfd also a page that could not be charged (memory or hugetlb cgroup
 *    limit): retry once memory is available or the limit raised;
 *  - -EPROTO: the kernel reported success without a valid descriptor.
 *  - -ENOTTY: `session_fd` is not a LUO session.
 *
 * @par Thread safety
 * Thread-safe; the kernel holds the session lock.
 */
LUO_API int luo_session_retrieve_fd(int session_fd, uint64_t token);

/**
 * @brief luo_session_retrieve_fd() with options.
 *
 * @param session_fd descriptor from luo_session_retrieve().
 * @param token      token given to luo_session_preserve_fd() before the update.
 * @param opts       options, or NULL for the defaults.
 * @return as luo_session_retrieve_fd(); also -EINVAL / -E2BIG for bad
 *         `opts`, and -EBADF when #LUO_FD_NOCLOEXEC could not be applied
 *         because another thread closed the new descriptor first (the file
 *         stays retrieved: retrieve the token again).
 *
 * @par Thread safety
 * Thread-safe.
 */
LUO_API int luo_session_retrieve_fd_opts(int session_fd, uint64_t token,
					 const struct luo_fd_opts *opts);

/* ------------------------------------------------------------------------ */
/* Memfds                                                                   */
/* ------------------------------------------------------------------------ */

/**
 * @brief luo_memfd_opts::hugetlb_page_size for 2 MiB HugeTLB pages.
 *
 * Any power of two above the base page size is accepted (arm64 has 64 KiB,
 * 32 MiB, 512 MiB and 16 GiB pages, depending on its base page); the kernel
 * says whether it has that size. luo_memfd_opts::hugetlb_page_shift gives
 * the same as log2.
 */
#define LUO_HUGETLB_2M (UINT64_C(2) << 20)
/** @brief luo_memfd_opts::hugetlb_page_size for 1 GiB HugeTLB pages. */
#define LUO_HUGETLB_1G (UINT64_C(1) << 30)

/** @brief luo_memfd_opts::prefault: allocate pages lazily (default). */
#define LUO_PREFAULT_NONE 0U
/** @brief luo_memfd_opts::prefault: allocate every page with fallocate(2). */
#define LUO_PREFAULT_FALLOCATE 1U
/**
 * @brief luo_memfd_opts::prefault: map the file and write-fault every page.
 *
 * Uses madvise(MADV_POPULATE_WRITE); on kernels without it (before 5.14,
 * EINVAL, or built without CONFIG_ADVISE_SYSCALLS, ENOSYS) every page is
 * written once instead, which raises SIGBUS if a HugeTLB page cannot be had
 * at that moment (mmap() reserves them first, so this needs an overcommitted
 * pool). Touched shmem pages are up to date, so
 * the kernel need not zero them again at preservation, unlike fallocated ones.
 */
#define LUO_PREFAULT_TOUCH 2U

/** @brief luo_memfd_opts::flags bit: leave the memfd inheritable across exec. */
#define LUO_MEMFD_NOCLOEXEC (1ULL << 0)
/**
 * @brief luo_memfd_opts::flags bit: create the memfd with `MFD_NOEXEC_SEAL`
 * (Linux 6.3+): its mode has no execute bit and F_SEAL_EXEC is set, so it
 * can never be made executable. The seal is preserved across the update.
 *
 * With `vm.memfd_noexec=1` or `2` the kernel adds this flag itself to a
 * memfd_create() that names neither MFD_EXEC nor MFD_NOEXEC_SEAL, which is
 * what libluo calls without it; asking explicitly makes the result the same
 * whatever the sysctl says. A kernel before 6.3 fails the call with -EINVAL.
 */
#define LUO_MEMFD_NOEXEC_SEAL (1ULL << 1)

/**
 * @brief Every seal luo_memfd_opts::seals accepts: F_SEAL_SEAL, F_SEAL_SHRINK,
 * F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_FUTURE_WRITE and F_SEAL_EXEC (the seals
 * the 7.3 memfd handler preserves).
 */
#define LUO_MEMFD_SEALS_ALL 0x3fU

/** @brief Options of luo_memfd_create(). */
struct luo_memfd_opts {
	size_t sz;                  /**< `sizeof(struct luo_memfd_opts)`. */
	uint64_t size;              /**< File size in bytes (0: leave empty). For
	                                 HugeTLB, a multiple of the page size. */
	uint64_t hugetlb_page_size; /**< 0 for shmem, else the HugeTLB page size
	                                 in bytes: a power of two above the base
	                                 page (#LUO_HUGETLB_2M, #LUO_HUGETLB_1G,
	                                 ...); anything else is -EINVAL. */
	unsigned int seals;         /**< F_SEAL_* bits added last (subset of
	                                 #LUO_MEMFD_SEALS_ALL). */
	unsigned int prefault;      /**< #LUO_PREFAULT_NONE, #LUO_PREFAULT_FALLOCATE
	                                 or #LUO_PREFAULT_TOUCH. */
	uint64_t flags;             /**< #LUO_MEMFD_NOCLOEXEC, #LUO_MEMFD_NOEXEC_SEAL. */
	unsigned int hugetlb_page_shift; /**< Since 1.1: the HugeTLB page size as
	                                 log2 (21 for 2 MiB), 0 for none. If
	                                 hugetlb_page_size is set too, both must
	                                 name the same size. */
};

/**
 * @brief Create a memfd ready to be preserved, in one call.
 *
 * Performs memfd_create(2) with `MFD_ALLOW_SEALING` (plus `MFD_CLOEXEC`, and
 * `MFD_HUGETLB` with the page size when asked), sets the size with
 * ftruncate(2), pre-faults as asked, then adds the seals. On any failure the
 * memfd is closed.
 *
 * A stock 7.3 kernel refuses to preserve a HugeTLB memfd (-ENOENT from
 * luo_session_preserve_fd()); creating one works wherever HugeTLB pages of
 * that size are configured.
 *
 * @param name name shown in /proc/PID/fd (0 to 249 bytes); the name is not
 *             preserved across the update.
 * @param opts options, or NULL for an empty shmem memfd.
 * @return the memfd, or a negative errno:
 *  - -EINVAL: `name` is NULL; bad `opts`: size, unknown flag or seal, a page
 *    size that is not a power of two above the base page (or a shift above
 *    63), a page size and a shift that disagree, a size that is not a
 *    multiple of the HugeTLB page size, an unknown prefault mode;
 *    #LUO_MEMFD_NOEXEC_SEAL on a kernel before 6.3;
 *  - -ENODEV: the kernel has no HugeTLB page size of that size (e.g. 1 GiB
 *    pages on a CPU without them); -ENOENT: hugetlbfs has no mount for it;
 *  - -E2BIG: `opts` larger than known with non-zero extra bytes;
 *  - -ENAMETOOLONG: `name` longer than #LUO_MEMFD_NAME_MAX bytes;
 *  - -EFBIG: `size` above the largest file offset;
 *  - -ENOSPC (fallocate) / -ENOMEM (mmap) / -EFAULT (touch): pages could
 *    not be allocated while pre-faulting, e.g. the HugeTLB pool is empty
 *    (reserve pages with `hugepages=N` or
 *    /sys/kernel/mm/hugepages/hugepages-SIZE/nr_hugepages);
 *  - -EMFILE, -ENFILE, -EPERM: as for memfd_create(2), ftruncate(2),
 *    fallocate(2), mmap(2), fcntl(2).
 *
 * @par Thread safety
 * Thread-safe.
 */
LUO_API int luo_memfd_create(const char *name, const struct luo_memfd_opts *opts);

/** @brief What luo_memfd_info() reports about a memfd. */
struct luo_memfd_info {
	size_t sz;          /**< In: `sizeof(struct luo_memfd_info)`. */
	uint64_t size;      /**< File size in bytes. */
	uint64_t page_size; /**< Page size of the backing: the base page size for
	                         shmem, the huge page size for HugeTLB. */
	int64_t pos;        /**< Current file position. */
	unsigned int seals; /**< Seals in force (F_GET_SEALS). */
	unsigned int hugetlb; /**< 1 if backed by HugeTLB pages, else 0. */
};

/**
 * @brief Describe a memfd: size, backing page size, position and seals.
 *
 * Handy after luo_session_retrieve_fd() to check what came back. The caller
 * sets `info->sz`; a member that does not fit whole in it is not written
 * (not even in part), bytes past the known structure are zeroed.
 *
 * @param fd   a memfd (or any sealable shmem or HugeTLB file).
 * @param info receives the description.
 * @return 0, or a negative errno:
 *  - -EBADF: `fd` is negative or not open;
 *  - -EINVAL: `info` is NULL or `info->sz` too small; `fd` does not support
 *    seals (not a memfd-like file);
 *  - -E2BIG: `info->sz` above #LUO_OPTS_MAX_SIZE;
 *  - -ESPIPE: `fd` has no file position.
 *
 * @par Thread safety
 * Thread-safe; the fields are read one after another, so a concurrent
 * change to the file may be seen half-way.
 */
LUO_API int luo_memfd_info(int fd, struct luo_memfd_info *info);

/** @brief luo_memfd_probe_result::flags: an empty memfd of this kind was created (the kernel has the page size). */
#define LUO_MEMFD_PROBE_CREATED (1ULL << 0)
/** @brief luo_memfd_probe_result::flags: a trial preserve was made (a device descriptor was given). */
#define LUO_MEMFD_PROBE_PRESERVE_TRIED (1ULL << 1)
/** @brief luo_memfd_probe_result::flags: the kernel preserved the empty memfd: it can preserve this kind. */
#define LUO_MEMFD_PROBE_PRESERVED (1ULL << 2)
/** @brief luo_memfd_probe_result::flags: HugeTLB: the pool's free and reserved counts were read. */
#define LUO_MEMFD_PROBE_POOL_KNOWN (1ULL << 3)
/** @brief luo_memfd_probe_result::flags: HugeTLB: the pool has the pages the size needs, free and unreserved, now. */
#define LUO_MEMFD_PROBE_POOL_FITS (1ULL << 4)

/** @brief What luo_memfd_probe() found. */
struct luo_memfd_probe_result {
	size_t sz;             /**< In: `sizeof(struct luo_memfd_probe_result)`. */
	uint64_t flags;        /**< LUO_MEMFD_PROBE_* bits. */
	uint64_t page_size;    /**< Page size of the memfd: the base page for shmem. */
	uint64_t pages_needed; /**< Pages of that size the asked size takes. */
	uint64_t pages_free;   /**< HugeTLB: free pages of the pool minus those
	                            reserved, now (with #LUO_MEMFD_PROBE_POOL_KNOWN). */
	int32_t create_err;    /**< 0, or the negative errno of creating the
	                            empty memfd (-ENODEV: no such page size). */
	int32_t preserve_err;  /**< 0, or the negative errno of the trial
	                            session or preserve (-ENOENT: the kernel has
	                            no handler for this kind of memfd, e.g. a
	                            HugeTLB memfd on stock 7.3). */
	int32_t pool_err;      /**< 0, or the negative errno of reading the pool
	                            counts in /sys/kernel/mm/hugepages. */
};

/**
 * @brief Find out whether a memfd like the one `opts` describes can be
 * created and preserved, before creating it.
 *
 * Creates the memfd `opts` describes, but empty (no page is allocated), and
 * when `dev_fd` is a device descriptor preserves it in a session of its own
 * (named `libluo-probe-PID-FD`) and closes that session again, which gives
 * the file back: the kernel's own answer, not a guess from its version. For
 * HugeTLB it also reads the pool's free and reserved counts and compares
 * them with the pages `opts->size` takes. Nothing is left behind.
 *
 * A VMM that is about to back guest RAM with gigabytes of HugeTLB pages
 * checks `(flags & LUO_MEMFD_PROBE_PRESERVED) && (flags &
 * LUO_MEMFD_PROBE_POOL_FITS)` first. The pool count is a snapshot: another
 * process may take the pages before the VMM does; overcommitted (surplus)
 * pages are not counted.
 *
 * @param dev_fd device descriptor from luo_device_open(), or -1 to skip the
 *               trial preserve (LUO_MEMFD_PROBE_PRESERVE_TRIED stays clear).
 * @param opts   the memfd as it would be given to luo_memfd_create(), or NULL
 *               for an empty shmem memfd.
 * @param res    receives the result; the caller sets `res->sz`. A member
 *               that does not fit whole is not written; bytes past the known
 *               structure are zeroed.
 * @return 0 (what failed is in `res`), or a negative errno:
 *  - -EINVAL: `res` is NULL or its `sz` too small; `opts` invalid as for
 *    luo_memfd_create();
 *  - -EFBIG: `opts->size` above the largest file offset;
 *  - -E2BIG: oversized `opts` with non-zero extra bytes, or `res->sz` above
 *    #LUO_OPTS_MAX_SIZE.
 *
 * @par Thread safety
 * Thread-safe; concurrent probes use distinct session names.
 */
LUO_API int luo_memfd_probe(int dev_fd, const struct luo_memfd_opts *opts,
			    struct luo_memfd_probe_result *res);

/* ------------------------------------------------------------------------ */
/* Availability and boot detection                                          */
/* ------------------------------------------------------------------------ */

/**
 * @brief luo_probe_opts::flags bit: also try to open the device and close it
 * again.
 *
 * Off by default because the device admits one opener: a trial open can make
 * another process's luo_device_open() fail with -EBUSY at the same moment.
 */
#define LUO_PROBE_TRY_OPEN (1ULL << 0)

/** @brief Options of luo_probe(), luo_is_available() and luo_is_live_update_boot(). */
struct luo_probe_opts {
	size_t sz;        /**< `sizeof(struct luo_probe_opts)`. */
	const char *root; /**< Directory every absolute path below is taken
	                       relative to (tests, chroots); NULL or "" means "/".
	                       At most PATH_MAX - 64 bytes. */
	uint64_t flags;   /**< 0 or #LUO_PROBE_TRY_OPEN. */
};

/** @brief luo_probe_result::flags: ROOT/dev/liveupdate exists and is a character device. */
#define LUO_PROBE_DEVICE_NODE (1ULL << 0)
/** @brief luo_probe_result::flags: the trial open succeeded (device closed again). */
#define LUO_PROBE_DEVICE_OPENED (1ULL << 1)
/** @brief luo_probe_result::flags: the trial open failed with EBUSY: LUO works, someone holds it. */
#define LUO_PROBE_DEVICE_BUSY (1ULL << 2)
/** @brief luo_probe_result::flags: ROOT/sys/kernel/debug/kho exists (debugfs mounted, KHO built in). */
#define LUO_PROBE_KHO_DEBUGFS (1ULL << 3)
/** @brief luo_probe_result::flags: ROOT/sys/kernel/debug/kho/in exists: the previous kernel kexec'd us with KHO. */
#define LUO_PROBE_KHO_IN (1ULL << 4)
/** @brief luo_probe_result::flags: ROOT/sys/kernel/debug/kho/in/sub_fdts/LUO exists: the previous kernel handed over LUO state. */
#define LUO_PROBE_KHO_IN_LUO (1ULL << 5)
/** @brief luo_probe_result::flags: ROOT/proc/cmdline was read. */
#define LUO_PROBE_CMDLINE (1ULL << 6)
/** @brief luo_probe_result::flags: the command line enables LUO (last `liveupdate=` is true). */
#define LUO_PROBE_CMDLINE_LIVEUPDATE_ON (1ULL << 7)
/** @brief luo_probe_result::flags: the command line disables LUO (last `liveupdate=` is false). */
#define LUO_PROBE_CMDLINE_LIVEUPDATE_OFF (1ULL << 8)
/** @brief luo_probe_result::flags: the command line enables KHO (last `kho=` is true). */
#define LUO_PROBE_CMDLINE_KHO_ON (1ULL << 9)
/** @brief luo_probe_result::flags: the command line disables KHO (last `kho=` is false). */
#define LUO_PROBE_CMDLINE_KHO_OFF (1ULL << 10)

/** @brief What luo_probe() found. */
struct luo_probe_result {
	size_t sz;           /**< In: `sizeof(struct luo_probe_result)`. */
	uint64_t flags;      /**< LUO_PROBE_* bits. */
	int32_t dev_err;     /**< 0, or the negative errno of stat() on the device
	                          node other than -ENOENT / -ENOTDIR. */
	int32_t open_err;    /**< 0, or the negative errno of the trial open. */
	int32_t kho_err;     /**< 0, or the negative errno of stat() on the KHO
	                          debugfs paths other than -ENOENT / -ENOTDIR
	                          (e.g. -EACCES: debugfs is root-only). */
	int32_t cmdline_err; /**< 0, or the negative errno of reading the command line. */
};

/**
 * @brief Gather what the kernel exposes about live update.
 *
 * Looks at exactly these paths (each prefixed with `opts->root`):
 *  - `/dev/liveupdate`: present as a character device only when the kernel
 *    has LUO enabled (`liveupdate=on` and KHO enabled). With
 *    #LUO_PROBE_TRY_OPEN it is also opened and closed again.
 *  - `/sys/kernel/debug/kho/`: KHO's debugfs directory (needs debugfs
 *    mounted at /sys/kernel/debug and CONFIG_KEXEC_HANDOVER_DEBUGFS).
 *  - `/sys/kernel/debug/kho/in/`: created only when the previous kernel
 *    passed a KHO handover tree, i.e. this boot is a KHO kexec.
 *  - `/sys/kernel/debug/kho/in/sub_fdts/LUO`: the previous kernel's LUO
 *    state; every LUO-enabled kernel hands it over at a KHO kexec, with or
 *    without sessions.
 *  - `/proc/cmdline`: the last `liveupdate=` and `kho=` parameters, parsed
 *    like the kernel's kstrtobool() (y/n, 1/0, on/off, t/f); parameters
 *    after `--` belong to init and are ignored.
 *
 * A missing path is not an error: it just leaves its flag clear. Other
 * errors are reported per path in the result, not as a return value.
 *
 * @param opts options, or NULL for the defaults.
 * @param res  receives the result; the caller sets `res->sz`. A member that
 *             does not fit whole is not written, not even in part; bytes
 *             past the known structure are zeroed.
 * @return 0, or a negative errno:
 *  - -EINVAL: `res` is NULL or a size is too small; unknown flag;
 *  - -E2BIG: oversized `opts` with non-zero extra bytes, or `res->sz` above
 *    #LUO_OPTS_MAX_SIZE;
 *  - -ENAMETOOLONG: `opts->root` too long.
 *
 * @par Thread safety
 * Thread-safe. With #LUO_PROBE_TRY_OPEN it briefly holds the device.
 */
LUO_API int luo_probe(const struct luo_probe_opts *opts, struct luo_probe_result *res);

/**
 * @brief Whether live update can be used on this boot.
 *
 * @param opts options for luo_probe(), or NULL.
 * @return 1 if the device node exists (and, with #LUO_PROBE_TRY_OPEN, could be
 *         opened or is busy), 0 if it does not exist (or, with
 *         #LUO_PROBE_TRY_OPEN, the open failed with ENOENT, ENXIO or
 *         ENODEV), or a negative errno: the errors of luo_probe(), the
 *         device node's stat() error, or the trial open's error (e.g.
 *         -EACCES, -EIO).
 *
 * @par Thread safety
 * Thread-safe (see luo_probe()).
 */
LUO_API int luo_is_available(const struct luo_probe_opts *opts);

/**
 * @brief Whether this boot came from a live update.
 *
 * True when the previous kernel handed over LUO state through KHO
 * (`/sys/kernel/debug/kho/in/sub_fdts/LUO` exists). Needs debugfs.
 *
 * @param opts options for luo_probe(), or NULL.
 * @return 1 if yes; 0 if KHO's debugfs directory exists but shows no incoming
 *         LUO state; -ENODATA if KHO's debugfs directory is not visible
 *         (debugfs not mounted, or no KHO in this kernel): nothing can be
 *         concluded; another negative errno from luo_probe() or from stat()
 *         on the debugfs paths (e.g. -EACCES when not root).
 *
 * @par Thread safety
 * Thread-safe.
 */
LUO_API int luo_is_live_update_boot(const struct luo_probe_opts *opts);

/* ------------------------------------------------------------------------ */
/* Passing descriptors between processes                                    */
/* ------------------------------------------------------------------------ */

/** @brief Most descriptors one luo_send_fds() message carries (the kernel's SCM_MAX_FD). */
#define LUO_SEND_FDS_MAX 253U

/**
 * @brief Send file descriptors over a Unix socket (SCM_RIGHTS).
 *
 * Sends one message: an 8-byte header (magic and count) carrying the
 * descriptors. Use it to hand the device or session descriptors to the
 * process that will hold them until the kexec. The sender keeps its own
 * copies; close them if the receiver is to be the only holder. SIGPIPE is
 * not raised (MSG_NOSIGNAL); interrupted calls are restarted.
 *
 * @param sock a connected AF_UNIX socket (stream, seqpacket or datagram).
 * @param fds  descriptors to send.
 * @param nfds number of descriptors, 1 to #LUO_SEND_FDS_MAX.
 * @return 0, or a negative errno:
 *  - -EBADF: `sock` or one of `fds` is negative; or not open;
 *  - -EINVAL: `fds` is NULL or `nfds` is 0;
 *  - -E2BIG: `nfds` above #LUO_SEND_FDS_MAX;
 *  - -EPIPE, -ECONNRESET, -ENOTCONN, -ENOTSOCK, -EOPNOTSUPP (not a Unix
 *    socket), -ETOOMANYREFS (too many descriptors in flight): as sendmsg(2).
 *
 * @par Thread safety
 * Thread-safe, but two threads sending on the same stream socket may
 * interleave their headers; serialize them.
 */
LUO_API int luo_send_fds(int sock, const int *fds, unsigned int nfds);

/**
 * @brief Receive file descriptors sent with luo_send_fds().
 *
 * The received descriptors are close-on-exec (MSG_CMSG_CLOEXEC). On any
 * error every descriptor that did arrive is closed, so nothing leaks.
 *
 * @param sock    a connected AF_UNIX socket.
 * @param fds     receives the descriptors.
 * @param max_fds room in `fds`, 1 to #LUO_SEND_FDS_MAX.
 * @return the number of descriptors received (1 to `max_fds`), or a
 *         negative errno:
 *  - -EBADF: `sock` is negative or not open;
 *  - -EINVAL: `fds` is NULL or `max_fds` is 0;
 *  - -E2BIG: `max_fds` above #LUO_SEND_FDS_MAX;
 *  - -EMSGSIZE: the message carried more descriptors than `max_fds`
 *    (MSG_CTRUNC) or more data than a header (MSG_TRUNC);
 *  - -EPROTO: not a luo_send_fds() message: bad magic, a count that differs
 *    from the descriptors actually received, or a short datagram;
 *  - -ECONNRESET: the peer closed the connection before a whole message;
 *  - -EAGAIN: non-blocking socket with nothing queued; others as recvmsg(2).
 *
 * @par Thread safety
 * Thread-safe, but concurrent receivers on one stream socket may split a
 * message; serialize them.
 */
LUO_API int luo_recv_fds(int sock, int *fds, unsigned int max_fds);

/* ------------------------------------------------------------------------ */
/* Errors                                                                   */
/* ------------------------------------------------------------------------ */

/**
 * @brief Explain an error returned by libluo in terms of live update.
 *
 * For each errno the text lists what it means for LUO's device and ioctls
 * (for instance ENOENT: unknown session name, unknown token, no handler for
 * the file type, or no device). Other values get a generic text.
 *
 * @param err an errno value, negative (as returned by libluo) or positive.
 * @return a static, constant, NUL-terminated string; never NULL.
 *
 * @par Thread safety
 * Thread-safe (the strings are constant).
 */
LUO_API const char *luo_strerror(int err);

/** @brief The calls luo_strerror_call() knows the errors of. */
enum luo_call {
	LUO_CALL_ANY = 0,          /**< no particular call: the short generic text */
	LUO_CALL_DEVICE_OPEN,      /**< luo_device_open() */
	LUO_CALL_SESSION_CREATE,   /**< luo_session_create() and its _opts form */
	LUO_CALL_SESSION_RETRIEVE, /**< luo_session_retrieve() and its _opts form */
	LUO_CALL_SESSION_FINISH,   /**< luo_session_finish() */
	LUO_CALL_SESSION_GET_NAME, /**< luo_session_get_name() */
	LUO_CALL_PRESERVE_FD,      /**< luo_session_preserve_fd() */
	LUO_CALL_RETRIEVE_FD,      /**< luo_session_retrieve_fd() and its _opts form */
	LUO_CALL_MEMFD_CREATE,     /**< luo_memfd_create() */
};

/**
 * @brief One short line saying what an error means for one call.
 *
 * For a log line tied to the call that failed:
 * @code
 * int s = luo_session_retrieve(dev, "vm42-ram");
 * if (s < 0)
 *         fprintf(stderr, "retrieve session vm42-ram: %s\n",
 *                 luo_strerror_call(LUO_CALL_SESSION_RETRIEVE, s));
 *         // "retrieve session vm42-ram: no session of that name was handed over"
 * @endcode
 * luo_strerror() gives the long explanation of every meaning an errno has
 * across LUO.
 *
 * @param call a #luo_call value; an unknown one acts as #LUO_CALL_ANY.
 * @param err  an errno value, negative (as returned by libluo) or positive.
 * @return a static, constant, NUL-terminated line without a final period or
 *         newline, lower case; never NULL. An error libluo does not know for
 *         any call gives luo_strerror()'s text.
 *
 * @par Thread safety
 * Thread-safe (the strings are constant).
 */
LUO_API const char *luo_strerror_call(int call, int err);

#ifdef __cplusplus
}
#endif

#endif /* LIBLUO_H */

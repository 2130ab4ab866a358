/* Linked into python.wasm (see cpython.sh): lets the host raise KeyboardInterrupt in the guest.
 *
 * WASI has no signals. Instead python.wasm exports the wasm global "weft_interrupt_word", whose
 * value is the byte address of weft_interrupt_word in the shared linear memory; the host (another
 * JS thread) does Atomics.store(i32, addr >> 2, 1) to request SIGINT. patches/
 * wasi-interrupt-word.patch makes CPython poll the word where Emscripten builds poll their signal
 * buffer: PyErr_CheckSignals() (which PEP 475 retry loops call when a blocking call returns EINTR)
 * and the eval loop's CHECK_EVAL_BREAKER() and RESUME_CHECK. Those inline a single relaxed load
 * and call weft_interrupt_consume() only when the word is non-zero.
 * The runtime makes blocking calls return EINTR on an interrupt; clock_nanosleep() below lets
 * that EINTR reach time.sleep().
 *
 * Compiled with CPython's own core flags (Py_BUILD_CORE, its pyconfig.h) for _Py_IsMainThread().
 */
#include "Python.h"
#include "pycore_pystate.h"   // _Py_IsMainThread()
#include <errno.h>
#include <signal.h>           // SIGINT (pyconfig.h defines _WASI_EMULATED_SIGNAL)
#include <stdint.h>
#include <time.h>
#include <wasi/api.h>

/* Exported by address (-Wl,--export=weft_interrupt_word); default visibility because CPython's
 * flags include -fvisibility=hidden. Non-zero: SIGINT pending. */
__attribute__((visibility("default"), aligned(4)))
int weft_interrupt_word = 0;

/* Out of line: runs only while the word is non-zero, so the hot path stays one load. Called with
 * an attached thread state (eval loop, PyErr_CheckSignals); it takes no lock and allocates
 * nothing. */
void
weft_interrupt_consume(void)
{
    /* Python runs signal handlers only on its main thread. Another thread leaves the word for the
     * main thread, which polls it at its next eval-breaker check or EINTR retry. */
    if (!_Py_IsMainThread()) {
        return;
    }
    /* Swap, not load+store: a second store by the host during this call is not lost. */
    if (__atomic_exchange_n(&weft_interrupt_word, 0, __ATOMIC_SEQ_CST) != 0) {
        /* Trips SIGINT as a real signal would: the eval breaker then runs the Python handler
         * (default_int_handler raises KeyboardInterrupt); SIG_IGN/SIG_DFL make it a no-op. */
        (void)PyErr_SetInterruptEx(SIGINT);
    }
}

/* wasi-libc's clock_nanosleep() turns every poll_oneoff failure, EINTR included, into ENOTSUP, so
 * an interrupted time.sleep() would raise OSError instead of calling PyErr_CheckSignals() and
 * retrying (PEP 475). This is the same function with EINTR passed through (and *rmtp set, as
 * POSIX asks). Defining it here keeps libc.a's member out of the link; that member also defines
 * __clock_nanosleep (used by thrd_sleep), hence both. */
int
clock_nanosleep(clockid_t clock_id, int flags, const struct timespec *rqtp, struct timespec *rmtp)
{
    __wasi_clockid_t id;
    if (clock_id == CLOCK_REALTIME) {
        id = __WASI_CLOCKID_REALTIME;
    }
    else if (clock_id == CLOCK_MONOTONIC) {
        id = __WASI_CLOCKID_MONOTONIC;
    }
    else {
        return ENOTSUP;
    }
    if ((flags & ~TIMER_ABSTIME) != 0 || rqtp->tv_nsec < 0 || rqtp->tv_nsec >= 1000000000) {
        return EINVAL;
    }
    __wasi_timestamp_t timeout = 0;   // as wasi-libc: a negative time is 0, overflow saturates
    if (rqtp->tv_sec >= 0) {
        timeout = (uint64_t)rqtp->tv_sec > (UINT64_MAX - (uint64_t)rqtp->tv_nsec) / 1000000000u
            ? UINT64_MAX : (uint64_t)rqtp->tv_sec * 1000000000u + (uint64_t)rqtp->tv_nsec;
    }
    int relative = !(flags & TIMER_ABSTIME);
    __wasi_timestamp_t start = 0;
    if (relative && rmtp != NULL && __wasi_clock_time_get(id, 1, &start) != 0) {
        rmtp = NULL;
    }
    __wasi_subscription_t sub = {
        .u.tag = __WASI_EVENTTYPE_CLOCK,
        .u.u.clock = { .id = id, .timeout = timeout, .flags = (__wasi_subclockflags_t)flags },
    };
    __wasi_event_t ev;
    __wasi_size_t nevents;
    __wasi_errno_t err = __wasi_poll_oneoff(&sub, &ev, 1, &nevents);
    if (err == 0) {
        err = ev.error;
    }
    if (err == 0) {
        return 0;
    }
    if (err != __WASI_ERRNO_INTR) {
        return ENOTSUP;
    }
    __wasi_timestamp_t now;
    if (relative && rmtp != NULL && __wasi_clock_time_get(id, 1, &now) == 0) {
        uint64_t done = now - start, left = done < timeout ? timeout - done : 0;
        rmtp->tv_sec = (time_t)(left / 1000000000u);
        rmtp->tv_nsec = (long)(left % 1000000000u);
    }
    return EINTR;
}

int
__clock_nanosleep(clockid_t clock_id, int flags, const struct timespec *rqtp, struct timespec *rmtp)
{
    return clock_nanosleep(clock_id, flags, rqtp, rmtp);
}

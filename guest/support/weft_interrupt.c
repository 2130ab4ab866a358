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
#include <pthread.h>
#include <signal.h>           // SIGINT (pyconfig.h defines _WASI_EMULATED_SIGNAL)
#include <stdint.h>
#include <time.h>
#include <wasi/api.h>

/* Exported by address (-Wl,--export=weft_interrupt_word); default visibility because CPython's
 * flags include -fvisibility=hidden. Non-zero: SIGINT pending. */
__attribute__((visibility("default"), aligned(4)))
int weft_interrupt_word = 0;

/* Main thread only: the pending interrupt has ended a lock wait already (see the waits below). */
static int weft_interrupt_delivered;

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
        /* Consumed: the next interrupt may end a lock wait again (see below). */
        weft_interrupt_delivered = 0;
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

/* Interruptible lock waits on the main thread.
 *
 * Natively SIGINT wakes a blocked wait, and CPython's lock waits (Lock.acquire, Thread.join,
 * Event.wait, queue.get) treat the wake-up as "interrupted" and run the SIGINT handler. This
 * build has no POSIX semaphores, so those waits are pthread condition variables: a wake-up
 * without the lock is PY_LOCK_INTR (thread_pthread.h, parking_lot.c). A WASI futex wait
 * (memory.atomic.wait32) is never interrupted, so a main thread blocked in join() would not see
 * interrupt() until the other thread ended.
 *
 * The link wraps three wasi-libc symbols (-Wl,--wrap=pthread_cond_wait,
 * --wrap=pthread_cond_timedwait,--wrap=__timedwait_cp). While the main thread is in a condition
 * wait, its futex waits publish their address in weft_main_wait and end early when the
 * interrupt word is set, before or after waiting: musl's condition wait then returns as if
 * timed out, which the wrapper turns into a spurious wake-up (0), as a signal would. The host,
 * after setting the word, notifies the address it reads there; sequentially consistent accesses
 * on both sides mean either the waiter sees the word or the host sees the address.
 *
 * One interrupt ends one wait: the GIL's condition wait loops on spurious wake-ups and must
 * still time out to ask the running thread for the GIL, so a word that stays set (nobody has
 * consumed it yet) does not end the waits after the first. The next interrupt counts again once
 * the word has been seen clear. Other threads' waits are never ended: Python handles signals on
 * the main thread only. */

/* Exported by address (-Wl,--export=weft_main_wait): the futex address the main thread is
 * blocked on in a condition wait, 0 when it is not. */
__attribute__((visibility("default"), aligned(4)))
int weft_main_wait = 0;

/* Main thread only, so plain variables. */
static pthread_t weft_main_thread;
static int weft_main_in_cond_wait;  /* inside pthread_cond_(timed)wait */
static int weft_main_woken;         /* the current condition wait was ended by an interrupt */

__attribute__((constructor))
static void
weft_note_main_thread(void)
{
    weft_main_thread = pthread_self();
}

static int
weft_on_main_thread(void)
{
    return pthread_equal(pthread_self(), weft_main_thread);
}

/* Whether a wait should end now for the interrupt word (at most once per interrupt). */
static int
weft_interrupt_ends_wait(void)
{
    if (__atomic_load_n(&weft_interrupt_word, __ATOMIC_SEQ_CST) == 0) {
        weft_interrupt_delivered = 0;
        return 0;
    }
    if (weft_interrupt_delivered) {
        return 0;
    }
    weft_interrupt_delivered = 1;
    weft_main_woken = 1;
    return 1;
}

int __real_pthread_cond_timedwait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m,
                                  const struct timespec *restrict ts);
int __real___timedwait_cp(volatile int *addr, int val, clockid_t clk, const struct timespec *at,
                          int priv);

int
__wrap_pthread_cond_timedwait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m,
                              const struct timespec *restrict ts)
{
    if (!weft_on_main_thread()) {
        return __real_pthread_cond_timedwait(c, m, ts);
    }
    weft_main_in_cond_wait = 1;
    weft_main_woken = 0;
    int r = __real_pthread_cond_timedwait(c, m, ts);
    weft_main_in_cond_wait = 0;
    /* The mutex is held again either way; report a spurious wake-up, as after a signal. */
    if (weft_main_woken && r == ETIMEDOUT) {
        r = 0;
    }
    return r;
}

int
__wrap_pthread_cond_wait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m)
{
    /* musl's pthread_cond_wait is the timed wait without a deadline. */
    return __wrap_pthread_cond_timedwait(c, m, NULL);
}

int
__wrap___timedwait_cp(volatile int *addr, int val, clockid_t clk, const struct timespec *at,
                      int priv)
{
    if (!weft_main_in_cond_wait || !weft_on_main_thread()) {
        return __real___timedwait_cp(addr, val, clk, at, priv);
    }
    __atomic_store_n(&weft_main_wait, (int)(uintptr_t)addr, __ATOMIC_SEQ_CST);
    /* ETIMEDOUT ends musl's condition wait loop; EINTR would only retry it. */
    int r = ETIMEDOUT;
    if (!weft_interrupt_ends_wait()) {
        r = __real___timedwait_cp(addr, val, clk, at, priv);
        if (r != ETIMEDOUT && weft_interrupt_ends_wait()) {
            r = ETIMEDOUT;
        }
    }
    __atomic_store_n(&weft_main_wait, 0, __ATOMIC_SEQ_CST);
    return r;
}

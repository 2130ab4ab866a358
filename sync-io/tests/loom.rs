//! Model tests of the channel's state machine under loom: every interleaving (up to the
//! preemption bound) of the worker, the page's event loop and an interrupter, over tiny payload
//! areas so that every message is several chunks.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p sync-io --release --test loom
//! ```
//!
//! `LoomWait::Blocking` makes every wait park until a notify, so a lost wake-up is a loom
//! deadlock; `LoomWait::TimeOut` makes every wait a slice that runs out, so deadlines pass in
//! every possible place.
#![cfg(loom)]

use std::time::Duration;

use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;
use std::sync::Arc;

use sync_io::protocol::StdinReply;
use sync_io::shared::{BlockingRegion, LoomRegion, LoomWait, SharedRegion, Word};
use sync_io::{
    ChannelError, ChannelMain, ChannelWorker, Incoming, MainConfig, MainError, Reply, Request,
    WorkerConfig,
};

type Region = Arc<LoomRegion>;
const SLICE: Duration = Duration::from_millis(50);

fn model(test: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    builder.check(test);
}

fn channel(
    capacity: usize,
    mode: LoomWait,
) -> (Arc<ChannelMain<Region>>, Arc<ChannelWorker<Region>>) {
    let region = Arc::new(LoomRegion::new(capacity, mode));
    let main = ChannelMain::new(region.clone(), MainConfig::default()).unwrap();
    let config = WorkerConfig {
        wait_slice: SLICE,
        ..WorkerConfig::default()
    };
    let worker = ChannelWorker::new(region, config).unwrap();
    (Arc::new(main), Arc::new(worker))
}

/// `ReadStdin { max }` encodes to 3 bytes for max < 128 and 4 for max < 16384.
fn ask(max: u32) -> Request {
    Request::ReadStdin { max }
}

/// 4 + `len` encoded bytes, and the bytes say which request they answer.
fn answer(max: u32, len: usize) -> Reply {
    Reply::Stdin(StdinReply::Data(vec![max as u8; len]))
}

/// The page's event loop: answers every request with `answer(max, reply_len)` (except
/// `ask(IGNORED)`, which it never answers) until `workers` worker threads are done, and returns the
/// sequence numbers it saw cancelled. Between rounds it waits on MAIN_BELL (the model of
/// `await Atomics.waitAsync`), so in `Blocking` mode a missing ring from the worker deadlocks.
fn serve(
    main: &ChannelMain<Region>,
    done: &AtomicUsize,
    workers: usize,
    reply_len: usize,
) -> Vec<u32> {
    let mut cancelled = Vec::new();
    loop {
        let seen = main.bell();
        while let Some(event) = main.poll() {
            match event {
                Incoming::Request {
                    request: Request::ReadStdin { max: IGNORED },
                    ..
                } => {}
                Incoming::Request {
                    seq,
                    request: Request::ReadStdin { max },
                } => match main.reply(seq, &answer(max, reply_len)) {
                    Ok(()) | Err(MainError::NotPending { .. }) => {}
                    Err(e) => panic!("reply: {e}"),
                },
                Incoming::Cancelled { seq } => cancelled.push(seq),
                other => panic!("unexpected {other:?}"),
            }
        }
        if done.load(SeqCst) == workers {
            return cancelled;
        }
        main.region().wait(Word::MainBell, seen, SLICE);
    }
}

/// A request the event loop never answers.
const IGNORED: u32 = 99;

/// A worker thread tells the event loop it is done.
fn finish(worker: &ChannelWorker<Region>, done: &AtomicUsize) {
    done.fetch_add(1, SeqCst);
    worker.region().fetch_add(Word::MainBell, 1);
    worker.region().notify(Word::MainBell);
}

#[test]
fn chunk_hand_over_both_directions() {
    model(|| {
        // 4-byte request and 7-byte reply through 3-byte areas: 2 and 3 chunks.
        let (main, worker) = channel(3, LoomWait::Blocking);
        let done = Arc::new(AtomicUsize::new(0));
        let worker_thread = {
            let done = done.clone();
            thread::spawn(move || {
                assert_eq!(worker.request(&ask(200)), Ok(answer(200, 3)));
                finish(&worker, &done);
            })
        };
        serve(&main, &done, 1, 3);
        worker_thread.join().unwrap();
        assert!(main.pending().is_empty());
        assert!(!main.pump(), "nothing may stay queued");
    });
}

#[test]
fn two_requests_in_a_row_through_small_areas() {
    model(|| {
        let (main, worker) = channel(4, LoomWait::Blocking);
        let done = Arc::new(AtomicUsize::new(0));
        let worker_thread = {
            let done = done.clone();
            thread::spawn(move || {
                assert_eq!(worker.request(&ask(1)), Ok(answer(1, 2)));
                assert_eq!(worker.request(&ask(2)), Ok(answer(2, 2)));
                finish(&worker, &done);
            })
        };
        serve(&main, &done, 1, 2);
        worker_thread.join().unwrap();
    });
}

/// The reply and an interrupt race; whichever wins, the interrupt stays pending until taken,
/// and the next request gets its own reply, never the late one.
fn reply_versus_interrupt(capacity: usize, first: u32, reply_len: usize) {
    model(move || {
        let (main, worker) = channel(capacity, LoomWait::Blocking);
        let done = Arc::new(AtomicUsize::new(0));
        let interrupter = {
            let main = main.clone();
            thread::spawn(move || main.interrupt())
        };
        let worker_thread = {
            let done = done.clone();
            thread::spawn(move || {
                match worker.request(&ask(first)) {
                    Ok(reply) => assert_eq!(reply, answer(first, reply_len)),
                    Err(error) => assert_eq!(error, ChannelError::Interrupted),
                }
                interrupter.join().unwrap();
                assert!(worker.take_interrupt(), "the interrupt was lost");
                assert_eq!(
                    worker.request(&ask(first + 1)),
                    Ok(answer(first + 1, reply_len))
                );
                finish(&worker, &done);
            })
        };
        serve(&main, &done, 1, reply_len);
        worker_thread.join().unwrap();
    });
}

#[test]
fn reply_races_interrupt() {
    // 3-byte request in one chunk, 6-byte reply in two: interrupts land before, during and
    // after the reply.
    reply_versus_interrupt(4, 1, 2);
}

#[test]
fn interrupt_during_chunked_request() {
    // 4-byte request in two chunks, 5-byte reply in three: interrupts also land mid-send.
    reply_versus_interrupt(2, 200, 1);
}

#[test]
fn reply_interrupt_and_time_out_race() {
    model(|| {
        let (main, worker) = channel(3, LoomWait::TimeOut);
        let done = Arc::new(AtomicUsize::new(0));
        let interrupter = {
            let main = main.clone();
            thread::spawn(move || main.interrupt())
        };
        let worker_thread = {
            let done = done.clone();
            thread::spawn(move || {
                // Two slices to live: the reply, the interrupt or the deadline may come first.
                match worker.request_timeout(&ask(1), 2 * SLICE) {
                    Ok(reply) => assert_eq!(reply, answer(1, 2)),
                    Err(ChannelError::Interrupted | ChannelError::TimedOut) => {}
                    Err(other) => panic!("{other}"),
                }
                interrupter.join().unwrap();
                assert!(worker.take_interrupt(), "the interrupt was lost");
                assert_eq!(worker.request(&ask(2)), Ok(answer(2, 2)));
                finish(&worker, &done);
            })
        };
        serve(&main, &done, 1, 2);
        worker_thread.join().unwrap();
    });
}

#[test]
fn interrupt_wakes_an_unanswered_request() {
    model(|| {
        // Blocking waits never time out: only `interrupt()`'s ring can end the first request.
        let (main, worker) = channel(4, LoomWait::Blocking);
        let done = Arc::new(AtomicUsize::new(0));
        let interrupter = {
            let main = main.clone();
            thread::spawn(move || main.interrupt())
        };
        let worker_thread = {
            let done = done.clone();
            thread::spawn(move || {
                assert_eq!(
                    worker.request(&ask(IGNORED)),
                    Err(ChannelError::Interrupted)
                );
                interrupter.join().unwrap();
                assert!(worker.take_interrupt());
                assert_eq!(worker.request(&ask(2)), Ok(answer(2, 1)));
                finish(&worker, &done);
            })
        };
        let cancelled = serve(&main, &done, 1, 1);
        worker_thread.join().unwrap();
        // Either request 1 reached the page and was then cancelled, or the interrupt came
        // before anything was sent and the second request is number 1.
        assert!(cancelled.is_empty() || cancelled == [1], "{cancelled:?}");
        assert!(main.pending().is_empty());
    });
}

#[test]
fn worker_threads_take_turns() {
    model(|| {
        let (main, worker) = channel(8, LoomWait::Blocking);
        let done = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = [1, 2]
            .map(|max| {
                let (worker, done) = (worker.clone(), done.clone());
                thread::spawn(move || {
                    assert_eq!(worker.request(&ask(max)), Ok(answer(max, 1)));
                    finish(&worker, &done);
                })
            })
            .into();
        serve(&main, &done, 2, 1);
        for thread in threads {
            thread.join().unwrap();
        }
    });
}

#[test]
fn sleep_wakes_on_interrupt() {
    model(|| {
        let (main, worker) = channel(4, LoomWait::Blocking);
        let interrupter = thread::spawn(move || main.interrupt());
        // Blocking waits never time out, so this returns only because the interrupt woke it.
        assert_eq!(
            worker.sleep(Duration::from_secs(3600)),
            Err(ChannelError::Interrupted)
        );
        interrupter.join().unwrap();
        assert!(worker.take_interrupt());
    });
}

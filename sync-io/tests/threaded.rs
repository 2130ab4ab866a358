//! Threaded tests of the channel over `NativeRegion`: a worker thread, and a thread standing in
//! for the page's event loop (it "awaits" the MAIN_BELL word the way `Atomics.waitAsync` would,
//! and keeps timers for handlers that settle later). Always run by `cargo test`; compiled out
//! under `--cfg loom`, where `tests/loom.rs` model-checks the same state machine.
#![cfg(not(loom))]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use sync_io::protocol::{
    self, Errno, FileKind, FileStat, FsError, FsReply, FsRequest, ProtocolError, StdinReply,
    WriteMode, PROTOCOL_VERSION,
};
use sync_io::shared::{BlockingRegion, NativeRegion, SharedRegion, Word, EMPTY, FULL};
use sync_io::{
    ChannelError, ChannelMain, ChannelWorker, Incoming, MainConfig, MainError, Reply, Request,
    WorkerConfig,
};

type Region = Arc<NativeRegion>;
type Main = ChannelMain<Region>;
type Worker = ChannelWorker<Region>;

const SLICE: Duration = Duration::from_millis(50);

fn channel(capacity: usize) -> (Region, Arc<Main>, Arc<Worker>) {
    channel_with(
        capacity,
        WorkerConfig {
            wait_slice: SLICE,
            ..WorkerConfig::default()
        },
    )
}

fn channel_with(capacity: usize, config: WorkerConfig) -> (Region, Arc<Main>, Arc<Worker>) {
    let region = Arc::new(NativeRegion::new(capacity));
    let main = ChannelMain::new(region.clone(), MainConfig::default()).unwrap();
    let worker = ChannelWorker::new(region.clone(), config).unwrap();
    (region, Arc::new(main), Arc::new(worker))
}

/// What the stand-in page does with a request.
enum Action {
    Reply(Reply),
    /// The handler's promise settles after this long.
    After(Duration, Reply),
    /// Never answered.
    Ignore,
}

/// What the stand-in page saw, for assertions.
#[derive(Default, Debug)]
struct PageLog {
    requests: Vec<u32>,
    cancelled: Vec<u32>,
    malformed: Vec<(u32, ProtocolError)>,
    /// Results of `reply` calls made by timers (late handlers).
    late_replies: Vec<(u32, Result<(), MainError>)>,
}

struct Page {
    main: Arc<Main>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    log: Arc<Mutex<PageLog>>,
}

impl Page {
    fn start(
        main: Arc<Main>,
        mut handler: impl FnMut(u32, &Request) -> Action + Send + 'static,
    ) -> Page {
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(PageLog::default()));
        let thread = {
            let (main, stop, log) = (main.clone(), stop.clone(), log.clone());
            thread::spawn(move || {
                let mut timers: Vec<(Instant, u32, Reply)> = Vec::new();
                loop {
                    // Read before polling, so the last round polls after `stop` was set and
                    // sees everything the test did before stopping the page.
                    let stopping = stop.load(Ordering::SeqCst);
                    let seen = main.bell();
                    while let Some(event) = main.poll() {
                        let mut log = log.lock().unwrap();
                        match event {
                            Incoming::Request { seq, request } => {
                                log.requests.push(seq);
                                match handler(seq, &request) {
                                    Action::Reply(reply) => match main.reply(seq, &reply) {
                                        Ok(()) | Err(MainError::NotPending { .. }) => {}
                                        Err(e) => panic!("reply {seq}: {e}"),
                                    },
                                    Action::After(delay, reply) => {
                                        timers.push((Instant::now() + delay, seq, reply))
                                    }
                                    Action::Ignore => {}
                                }
                            }
                            Incoming::Cancelled { seq } => log.cancelled.push(seq),
                            Incoming::Malformed { seq, error } => log.malformed.push((seq, error)),
                        }
                    }
                    let now = Instant::now();
                    let (due, later): (Vec<_>, Vec<_>) =
                        timers.drain(..).partition(|(at, _, _)| *at <= now);
                    timers = later;
                    for (_, seq, reply) in due {
                        let result = main.reply(seq, &reply);
                        log.lock().unwrap().late_replies.push((seq, result));
                    }
                    if stopping {
                        return;
                    }
                    let next = timers.iter().map(|(at, _, _)| *at).min();
                    let timeout = next.map_or(Duration::from_millis(20), |at| {
                        at.saturating_duration_since(Instant::now())
                    });
                    // The page's `await Atomics.waitAsync(MAIN_BELL, seen)` (or its next timer).
                    main.region().wait(Word::MainBell, seen, timeout);
                }
            })
        };
        Page {
            main,
            stop,
            thread: Some(thread),
            log,
        }
    }

    fn stop(mut self) -> PageLog {
        self.shutdown();
        std::mem::take(&mut *self.log.lock().unwrap())
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.main.region().fetch_add(Word::MainBell, 1);
        self.main.region().notify(Word::MainBell);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        if self.thread.is_some() && !thread::panicking() {
            self.shutdown();
        }
    }
}

fn stdin_data(bytes: &[u8]) -> Reply {
    Reply::Stdin(StdinReply::Data(bytes.to_vec()))
}

/// The reply the echo handlers give to `ReadStdin { max }`: bytes that identify the request.
fn echo(max: u32) -> Reply {
    stdin_data(format!("line {max}\n").as_bytes())
}

fn echo_handler(_seq: u32, request: &Request) -> Action {
    match request {
        Request::ReadStdin { max } => Action::Reply(echo(*max)),
        other => panic!("unexpected {other:?}"),
    }
}

fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let value = f();
    eprintln!("{label}: {:?}", start.elapsed());
    value
}

#[test]
fn round_trip() {
    let (_, main, worker) = channel(64 << 10);
    let page = Page::start(main, |_, request| match request {
        Request::ReadStdin { max: 100 } => Action::Reply(stdin_data("héllo\n".as_bytes())),
        Request::Fs {
            mount,
            op: FsRequest::Stat { path },
        } if mount == "/mnt/page" => Action::Reply(if path == "a.txt" {
            Reply::Fs(Ok(FsReply::Stat(FileStat {
                kind: FileKind::File,
                size: 3,
                modified_ms: 5,
            })))
        } else {
            Reply::Fs(Err(FsError {
                errno: Errno::Noent,
                message: path.clone(),
            }))
        }),
        other => panic!("unexpected {other:?}"),
    });
    assert_eq!(
        worker.request(&Request::ReadStdin { max: 100 }),
        Ok(stdin_data("héllo\n".as_bytes()))
    );
    let stat = |path: &str| Request::Fs {
        mount: "/mnt/page".into(),
        op: FsRequest::Stat { path: path.into() },
    };
    assert!(
        matches!(worker.request(&stat("a.txt")), Ok(Reply::Fs(Ok(FsReply::Stat(s)))) if s.size == 3)
    );
    assert_eq!(
        worker.request(&stat("b")),
        Ok(Reply::Fs(Err(FsError {
            errno: Errno::Noent,
            message: "b".into()
        })))
    );
    let log = page.stop();
    assert_eq!(log.requests, [1, 2, 3]);
    assert!(log.cancelled.is_empty() && log.malformed.is_empty());
}

#[test]
fn thousand_round_trips() {
    let (_, main, worker) = channel(64 << 10);
    let page = Page::start(main, echo_handler);
    let elapsed = timed("1000 round trips", || {
        let start = Instant::now();
        for i in 0..1000 {
            assert_eq!(worker.request(&Request::ReadStdin { max: i }), Ok(echo(i)));
        }
        start.elapsed()
    });
    eprintln!("  {:?} per round trip", elapsed / 1000);
    let log = page.stop();
    assert_eq!(log.requests.len(), 1000);
    assert!(log.cancelled.is_empty());
}

#[test]
fn ten_megabytes_both_ways_through_a_4_kib_area() {
    const SIZE: usize = 10 << 20;
    let upload: Vec<u8> = (0..SIZE).map(|i| (i * 7 % 251) as u8).collect();
    let download: Vec<u8> = (0..SIZE).map(|i| (i * 13 % 253) as u8).collect();
    let (_, main, worker) = channel(4 << 10);
    let (expected_upload, reply_data) = (upload.clone(), download.clone());
    let page = Page::start(main, move |_, request| match request {
        Request::Fs {
            op:
                FsRequest::WriteFile {
                    data,
                    mode: WriteMode::Truncate,
                    ..
                },
            ..
        } => {
            assert!(*data == expected_upload, "upload corrupted");
            Action::Reply(Reply::Fs(Ok(FsReply::Done)))
        }
        Request::Fs {
            op: FsRequest::ReadFile { .. },
            ..
        } => Action::Reply(Reply::Fs(Ok(FsReply::Data(reply_data.clone())))),
        other => panic!("unexpected {other:?}"),
    });
    let write = Request::Fs {
        mount: "/mnt/page".into(),
        op: FsRequest::WriteFile {
            path: "big".into(),
            data: upload,
            mode: WriteMode::Truncate,
        },
    };
    let written = timed("10 MB request through 4 KiB", || worker.request(&write));
    assert_eq!(written, Ok(Reply::Fs(Ok(FsReply::Done))));
    let read = Request::Fs {
        mount: "/mnt/page".into(),
        op: FsRequest::ReadFile { path: "big".into() },
    };
    let reply = timed("10 MB reply through 4 KiB", || worker.request(&read));
    match reply {
        Ok(Reply::Fs(Ok(FsReply::Data(data)))) => assert!(data == download, "download corrupted"),
        other => panic!("unexpected {:?}", other.map(|_| "a different reply")),
    }
    page.stop();
}

#[test]
fn reply_after_a_delay() {
    let (_, main, worker) = channel(64 << 10);
    let page = Page::start(main, |_, _| {
        Action::After(Duration::from_millis(500), echo(1))
    });
    let start = Instant::now();
    assert_eq!(worker.request(&Request::ReadStdin { max: 1 }), Ok(echo(1)));
    let elapsed = start.elapsed();
    eprintln!("reply after 500 ms arrived after {elapsed:?}");
    assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(500) + 2 * SLICE,
        "{elapsed:?}"
    );
    let log = page.stop();
    assert!(matches!(log.late_replies[..], [(1, Ok(()))]));
}

#[test]
fn interrupt_during_a_wait() {
    let (_, main, worker) = channel(64 << 10);
    // The first request is answered late (after the worker gave up), the second at once.
    let page = Page::start(main.clone(), |seq, request| match (seq, request) {
        (1, _) => Action::After(Duration::from_millis(300), echo(1)),
        (_, Request::ReadStdin { max }) => Action::Reply(echo(*max)),
        other => panic!("unexpected {other:?}"),
    });
    let interrupter = {
        let main = main.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(100));
            main.interrupt();
            Instant::now()
        })
    };
    let result = worker.request(&Request::ReadStdin { max: 1 });
    let returned = Instant::now();
    let interrupted_at = interrupter.join().unwrap();
    assert_eq!(result, Err(ChannelError::Interrupted));
    let latency = returned.saturating_duration_since(interrupted_at);
    eprintln!("interrupt latency while waiting for a reply: {latency:?}");
    assert!(latency < 2 * SLICE, "{latency:?}");
    // The interrupt stays pending until the runtime takes it, and then it is gone.
    assert!(worker.check_interrupt());
    assert_eq!(
        worker.request(&Request::ReadStdin { max: 2 }),
        Err(ChannelError::Interrupted)
    );
    assert!(worker.take_interrupt());
    assert!(!worker.check_interrupt() && !worker.take_interrupt());
    // Let the late reply to request 1 come and go, then the next request gets its own reply.
    thread::sleep(Duration::from_millis(400));
    assert_eq!(worker.request(&Request::ReadStdin { max: 3 }), Ok(echo(3)));
    let log = page.stop();
    assert_eq!(log.requests, [1, 2]);
    assert_eq!(log.cancelled, [1]);
    assert!(matches!(
        log.late_replies[..],
        [(1, Err(MainError::NotPending { seq: 1 }))]
    ));
}

#[test]
fn sleep_is_on_time_and_interruptible() {
    // Slices far longer than the test: every wake-up below comes from a notify.
    let long = WorkerConfig {
        wait_slice: Duration::from_secs(10),
        ..WorkerConfig::default()
    };
    let (_, main, worker) = channel_with(64, long);
    let start = Instant::now();
    assert_eq!(worker.sleep(Duration::from_millis(120)), Ok(()));
    let elapsed = start.elapsed();
    eprintln!("sleep(120 ms) took {elapsed:?}");
    assert!(elapsed >= Duration::from_millis(120), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(120) + SLICE, "{elapsed:?}");

    let interrupter = {
        let main = main.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(80));
            main.interrupt();
            Instant::now()
        })
    };
    assert_eq!(
        worker.sleep(Duration::from_secs(30)),
        Err(ChannelError::Interrupted)
    );
    let latency = interrupter.join().unwrap().elapsed();
    eprintln!("interrupt latency while sleeping: {latency:?}");
    assert!(latency < 2 * SLICE, "{latency:?}");
    // `clear_interrupt` withdraws an interrupt the worker has not taken.
    main.clear_interrupt();
    assert!(!worker.check_interrupt());
}

#[test]
fn interrupt_wakes_a_request_at_once_not_at_the_next_slice() {
    let long = WorkerConfig {
        wait_slice: Duration::from_secs(10),
        ..WorkerConfig::default()
    };
    let (_, main, worker) = channel_with(64, long);
    let page = Page::start(main.clone(), |_, _| Action::Ignore);
    let interrupter = thread::spawn(move || {
        thread::sleep(Duration::from_millis(80));
        main.interrupt();
        Instant::now()
    });
    assert_eq!(
        worker.request(&Request::ReadStdin { max: 1 }),
        Err(ChannelError::Interrupted)
    );
    let latency = interrupter.join().unwrap().elapsed();
    eprintln!("interrupt latency with 10 s slices: {latency:?}");
    assert!(latency < 2 * SLICE, "{latency:?}");
    page.stop();
}

#[test]
fn interrupt_before_a_request_sends_nothing() {
    let (region, main, worker) = channel(64);
    main.interrupt();
    assert_eq!(
        worker.request(&Request::ReadStdin { max: 1 }),
        Err(ChannelError::Interrupted)
    );
    assert_eq!(region.load(Word::ReqState), EMPTY);
    assert_eq!(main.poll(), None);
    assert!(worker.take_interrupt());
}

#[test]
fn time_out_then_next_request_works() {
    let (_, main, worker) = channel(64 << 10);
    let page = Page::start(main, |seq, request| match (seq, request) {
        (1, _) => Action::Ignore,
        (_, Request::ReadStdin { max }) => Action::Reply(echo(*max)),
        other => panic!("unexpected {other:?}"),
    });
    let start = Instant::now();
    let result = worker.request_timeout(&Request::ReadStdin { max: 1 }, Duration::from_millis(120));
    let elapsed = start.elapsed();
    assert_eq!(result, Err(ChannelError::TimedOut));
    assert!(elapsed >= Duration::from_millis(120), "{elapsed:?}");
    assert!(
        elapsed < Duration::from_millis(120) + 2 * SLICE,
        "{elapsed:?}"
    );
    assert_eq!(worker.request(&Request::ReadStdin { max: 2 }), Ok(echo(2)));
    let log = page.stop();
    assert_eq!(log.cancelled, [1]);
}

/// Tiny deterministic generator for the race test's delays.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

#[test]
fn race_between_reply_interrupt_and_time_out() {
    // A 16-byte area makes every reply several chunks, so interrupts also land mid-reply.
    let (_, main, worker) = channel(16);
    let delays: Arc<Mutex<BTreeMap<u32, Duration>>> = Arc::default();
    let page = {
        let delays = delays.clone();
        Page::start(main.clone(), move |_, request| match request {
            // The follow-up request after each race is answered at once.
            Request::ReadStdin { max } if *max >= 1_000_000 => Action::Reply(echo(*max)),
            Request::ReadStdin { max } => {
                let delay = delays.lock().unwrap().get(max).copied().unwrap_or_default();
                Action::After(delay, echo(*max))
            }
            other => panic!("unexpected {other:?}"),
        })
    };
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let (mut replied, mut interrupted, mut timed_out) = (0, 0, 0);
    let start = Instant::now();
    for i in 0..200u32 {
        let reply_delay = Duration::from_micros(rng.below(3000));
        let interrupt_delay = Duration::from_micros(rng.below(2000));
        let timeout = Duration::from_micros(rng.below(3000));
        delays.lock().unwrap().insert(i, reply_delay);
        let interrupter = {
            let main = main.clone();
            thread::spawn(move || {
                thread::sleep(interrupt_delay);
                main.interrupt();
            })
        };
        match worker.request_timeout(&Request::ReadStdin { max: i }, timeout) {
            Ok(reply) => {
                assert_eq!(reply, echo(i), "reply to another request");
                replied += 1;
            }
            Err(ChannelError::Interrupted) => interrupted += 1,
            Err(ChannelError::TimedOut) => timed_out += 1,
            Err(e) => panic!("round {i}: {e}"),
        }
        interrupter.join().unwrap();
        assert!(
            worker.take_interrupt(),
            "the interrupt must stay pending until taken"
        );
        let follow_up = 1_000_000 + i;
        assert_eq!(
            worker.request(&Request::ReadStdin { max: follow_up }),
            Ok(echo(follow_up)),
            "round {i}: the request after the race"
        );
    }
    eprintln!(
        "200 races in {:?}: {replied} replied, {interrupted} interrupted, {timed_out} timed out",
        start.elapsed()
    );
    assert!(
        replied > 0 && interrupted > 0 && timed_out > 0,
        "every outcome must occur"
    );
    let log = page.stop();
    assert!(log.malformed.is_empty());
    // Every late reply either went out before the worker gave up, or was refused as cancelled.
    for (seq, result) in &log.late_replies {
        assert!(
            matches!(result, Ok(()) | Err(MainError::NotPending { .. })),
            "{seq}: {result:?}"
        );
    }
}

/// Four threads make 100 requests each, thread `t` through `handle(t)`: every request gets
/// its own reply.
fn four_threads_take_turns(main: Arc<Main>, handle: impl Fn(u32) -> Arc<Worker>) {
    let page = Page::start(main, echo_handler);
    let threads: Vec<_> = (0..4u32)
        .map(|t| {
            let worker = handle(t);
            thread::spawn(move || {
                for i in 0..100 {
                    let max = t * 1000 + i;
                    assert_eq!(worker.request(&Request::ReadStdin { max }), Ok(echo(max)));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    assert_eq!(page.stop().requests.len(), 400);
}

#[test]
fn threads_take_turns() {
    let (_, main, worker) = channel(32);
    four_threads_take_turns(main, |_| worker.clone());
}

/// Python threads on other workers have their own handle (their own region view) on the same
/// channel; sharing the turns keeps their requests apart.
#[test]
fn handles_sharing_turns_take_turns() {
    let (region, main, worker) = channel(32);
    four_threads_take_turns(main, |_| {
        Arc::new(
            ChannelWorker::with_turns(region.clone(), WorkerConfig::default(), worker.turns())
                .unwrap(),
        )
    });
}

#[test]
fn interrupt_while_waiting_for_the_turn() {
    let (_, main, worker) = channel(64);
    let page = Page::start(main.clone(), |_, _| Action::Ignore);
    // A background thread's `input()` holds the turn, unanswered.
    let holder = {
        let worker = worker.clone();
        thread::spawn(move || worker.request(&Request::ReadStdin { max: 1 }))
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while page.log.lock().unwrap().requests.is_empty() {
        assert!(Instant::now() < deadline, "request 1 never arrived");
        thread::sleep(Duration::from_millis(1));
    }
    // The main thread's request queues behind it, and an interrupt still reaches it.
    let queued = {
        let worker = worker.clone();
        thread::spawn(move || {
            (
                worker.request(&Request::ReadStdin { max: 2 }),
                Instant::now(),
            )
        })
    };
    thread::sleep(Duration::from_millis(100));
    main.interrupt();
    let interrupted_at = Instant::now();
    let (result, returned) = queued.join().unwrap();
    assert_eq!(result, Err(ChannelError::Interrupted));
    let latency = returned.saturating_duration_since(interrupted_at);
    eprintln!("interrupt latency while waiting for the turn: {latency:?}");
    assert!(latency < 2 * SLICE, "{latency:?}");
    assert_eq!(holder.join().unwrap(), Err(ChannelError::Interrupted));
    assert!(worker.take_interrupt());
    let log = page.stop();
    assert_eq!(log.requests, [1], "the queued request was never sent");
    assert_eq!(log.cancelled, [1]);
}

// --- Talking to the channel through the documented word layout, as JS glue would. ---

/// Publishes one chunk into `area` (0: request, 1: reply) through the raw layout.
fn publish_raw(
    region: &NativeRegion,
    area: usize,
    seq: u32,
    total: u32,
    offset: u32,
    bytes: &[u8],
) {
    let capacity = region.load(Word::Capacity) as usize;
    let [state, seq_word, total_word, offset_word, len_word] = if area == 0 {
        [
            Word::ReqState,
            Word::ReqSeq,
            Word::ReqTotal,
            Word::ReqOffset,
            Word::ReqLen,
        ]
    } else {
        [
            Word::RepState,
            Word::RepSeq,
            Word::RepTotal,
            Word::RepOffset,
            Word::RepLen,
        ]
    };
    assert_eq!(region.load(state), EMPTY);
    region.write_payload(area * capacity, bytes);
    region.store(seq_word, seq as i32);
    region.store(total_word, total as i32);
    region.store(offset_word, offset as i32);
    region.store(len_word, bytes.len() as i32);
    region.store(state, FULL);
    let bell = if area == 0 {
        Word::MainBell
    } else {
        Word::WorkerBell
    };
    region.fetch_add(bell, 1);
    region.notify(bell);
}

/// Waits (this test thread may block) until `word` holds `value`.
fn wait_for(region: &NativeRegion, word: Word, value: i32) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while region.load(word) != value {
        assert!(Instant::now() < deadline, "{word:?} never became {value}");
        let seen = region.load(Word::MainBell);
        if region.load(word) != value {
            region.wait(Word::MainBell, seen, Duration::from_millis(10));
        }
    }
}

/// Polls the main half until the worker's request `seq` is complete.
fn poll_request(main: &Main) -> (u32, Request) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let seen = main.bell();
        if let Some(event) = main.poll() {
            match event {
                Incoming::Request { seq, request } => return (seq, request),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(Instant::now() < deadline, "no request arrived");
        main.region()
            .wait(Word::MainBell, seen, Duration::from_millis(10));
    }
}

#[test]
fn layout_matches_the_documented_offsets() {
    let region = NativeRegion::new(100);
    ChannelMain::new(&region, MainConfig::default()).unwrap();
    assert_eq!(sync_io::shared::region_bytes(100), 128 + 200);
    assert_eq!(region.payload_len(), 200);
    assert_eq!(region.load(Word::Magic), 0x5745_4654);
    assert_eq!(region.load(Word::Layout), 1);
    assert_eq!(region.load(Word::Capacity), 100);
    let indices: Vec<usize> = Word::ALL.iter().map(|w| w.index()).collect();
    assert_eq!(indices, (0..17).collect::<Vec<_>>());
    assert_eq!(Word::RepLen.index() * 4, 64);
}

#[test]
fn stale_reply_chunk_in_the_area_is_skipped() {
    let (region, main, worker) = channel(8);
    let requester = {
        let worker = worker.clone();
        thread::spawn(move || worker.request(&Request::ReadStdin { max: 7 }))
    };
    let (seq, _) = poll_request(&main);
    // A chunk of a reply to some abandoned request sits in the reply area (the main side had
    // published it before it learnt of the cancellation).
    publish_raw(&region, 1, seq.wrapping_sub(1), 50, 8, &[0xAA; 8]);
    wait_for(&region, Word::RepState, EMPTY);
    main.reply(seq, &echo(7)).unwrap();
    while main.pump() {
        wait_for(&region, Word::RepState, EMPTY);
    }
    assert_eq!(requester.join().unwrap(), Ok(echo(7)));
}

#[test]
fn version_mismatch_from_the_main_side() {
    let (region, main, worker) = channel(8);
    let requester = {
        let worker = worker.clone();
        thread::spawn(move || worker.request(&Request::ReadStdin { max: 7 }))
    };
    let (seq, _) = poll_request(&main);
    // A main-thread client of protocol version 2 answers.
    let future = postcard::to_allocvec(&(PROTOCOL_VERSION + 1, 0u8, "new shape")).unwrap();
    for (i, chunk) in future.chunks(8).enumerate() {
        publish_raw(&region, 1, seq, future.len() as u32, (i * 8) as u32, chunk);
        wait_for(&region, Word::RepState, EMPTY);
    }
    let error = requester.join().unwrap().unwrap_err();
    assert_eq!(
        error,
        ChannelError::Protocol(ProtocolError::VersionMismatch {
            ours: PROTOCOL_VERSION,
            theirs: PROTOCOL_VERSION + 1
        })
    );
    assert!(error.to_string().contains("version mismatch"), "{error}");
    // The channel is still usable, and the main half learnt that request `seq` is over.
    let page = Page::start(main.clone(), echo_handler);
    assert_eq!(worker.request(&Request::ReadStdin { max: 9 }), Ok(echo(9)));
    let log = page.stop();
    assert_eq!(log.cancelled, [seq]);
}

#[test]
fn version_mismatch_from_the_worker_side() {
    let (region, main, _worker) = channel(8);
    // A worker of protocol version 2 sends a request.
    let future = postcard::to_allocvec(&(PROTOCOL_VERSION + 1, 3u8, [1u8; 12])).unwrap();
    let mut events = Vec::new();
    for (i, chunk) in future.chunks(8).enumerate() {
        publish_raw(&region, 0, 1, future.len() as u32, (i * 8) as u32, chunk);
        events.extend(std::iter::from_fn(|| main.poll()));
        assert_eq!(region.load(Word::ReqState), EMPTY);
    }
    assert_eq!(
        events,
        [Incoming::Malformed {
            seq: 1,
            error: ProtocolError::VersionMismatch {
                ours: PROTOCOL_VERSION,
                theirs: PROTOCOL_VERSION + 1
            }
        }]
    );
    // The main side answered with `Rejected` (in its own version) so that worker cannot hang.
    let mut reply = Vec::new();
    loop {
        assert_eq!(region.load(Word::RepState), FULL);
        assert_eq!(region.load(Word::RepSeq), 1);
        let total = region.load(Word::RepTotal) as usize;
        let mut chunk = vec![0; region.load(Word::RepLen) as usize];
        region.read_payload(8, &mut chunk);
        reply.extend(chunk);
        region.store(Word::RepState, EMPTY);
        let more = main.pump();
        if reply.len() == total {
            assert!(!more);
            break;
        }
    }
    match protocol::decode_reply(&reply) {
        Ok(Reply::Rejected { message }) => {
            assert!(message.contains("version mismatch"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert!(main.pending().is_empty());
}

#[test]
fn corrupt_chunks_are_errors_not_hangs() {
    let (region, main, worker) = channel(8);
    // Main → worker: a chunk longer than the area.
    let requester = {
        let worker = worker.clone();
        thread::spawn(move || worker.request(&Request::ReadStdin { max: 7 }))
    };
    let (seq, _) = poll_request(&main);
    region.store(Word::RepSeq, seq as i32);
    region.store(Word::RepTotal, 1000);
    region.store(Word::RepOffset, 0);
    region.store(Word::RepLen, 999);
    region.store(Word::RepState, FULL);
    region.fetch_add(Word::WorkerBell, 1);
    region.notify(Word::WorkerBell);
    assert!(matches!(
        requester.join().unwrap(),
        Err(ChannelError::Corrupt(_))
    ));
    assert_eq!(region.load(Word::RepState), EMPTY);

    // Worker → main: a request claiming 4 GiB, then a continuation chunk out of nowhere.
    publish_raw(&region, 0, 40, u32::MAX, 0, &[1; 8]);
    let first = main.poll();
    assert!(
        matches!(first, Some(Incoming::Cancelled { .. })),
        "{first:?}"
    );
    assert!(matches!(
        main.poll(),
        Some(Incoming::Malformed { seq: 40, .. })
    ));
    publish_raw(&region, 0, 41, 100, 16, &[1; 8]);
    assert!(matches!(
        main.poll(),
        Some(Incoming::Malformed { seq: 41, .. })
    ));
    assert_eq!(main.poll(), None);

    // Both sides go on working (the worker first skips the two `Rejected` replies).
    let page = Page::start(main.clone(), echo_handler);
    assert_eq!(worker.request(&Request::ReadStdin { max: 9 }), Ok(echo(9)));
    page.stop();
}

#[test]
fn oversized_messages_are_refused_up_front() {
    let (region, main, worker) = channel_with(
        64,
        WorkerConfig {
            max_message_len: 1000,
            ..WorkerConfig::default()
        },
    );
    let big = Request::Fs {
        mount: "/m".into(),
        op: FsRequest::WriteFile {
            path: "f".into(),
            data: vec![0; 2000],
            mode: WriteMode::Append,
        },
    };
    assert!(matches!(
        worker.request(&big),
        Err(ChannelError::TooLarge { max: 1000, .. })
    ));
    assert_eq!(region.load(Word::ReqState), EMPTY);
    assert_eq!(main.poll(), None);

    // On the main side, a too-large reply leaves the request pending for a smaller answer.
    let small_main = ChannelMain::new(
        region.clone(),
        MainConfig {
            max_message_len: 100,
        },
    )
    .unwrap();
    let worker = Arc::new(ChannelWorker::new(region.clone(), WorkerConfig::default()).unwrap());
    let requester = {
        let worker = worker.clone();
        thread::spawn(move || worker.request(&Request::ReadStdin { max: 1 }))
    };
    let (seq, _) = poll_request(&small_main);
    assert!(matches!(
        small_main.reply(seq, &stdin_data(&[0; 500])),
        Err(MainError::TooLarge { max: 100, .. })
    ));
    let efbig = Reply::Fs(Err(FsError {
        errno: Errno::Fbig,
        message: "too big".into(),
    }));
    small_main.reply(seq, &efbig).unwrap();
    assert_eq!(requester.join().unwrap(), Ok(efbig));
    assert_eq!(
        small_main.reply(seq, &echo(1)),
        Err(MainError::NotPending { seq })
    );
}

#[test]
fn layout_errors() {
    let blank = NativeRegion::new(64);
    assert!(ChannelWorker::new(&blank, WorkerConfig::default()).is_err());
    assert!(ChannelMain::new(NativeRegion::new(0), MainConfig::default()).is_err());
    let region = NativeRegion::new(64);
    ChannelMain::new(&region, MainConfig::default()).unwrap();
    region.store(Word::Layout, 99);
    let error = ChannelWorker::new(&region, WorkerConfig::default())
        .err()
        .unwrap();
    assert!(error.to_string().contains("layout version 99"), "{error}");
}

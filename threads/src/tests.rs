use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

fn pool(slots: usize) -> Pool<Arc<NativeWords>> {
    Pool::create(Arc::new(NativeWords::new(bytes_for(slots) / 4))).unwrap()
}

fn shared(p: &Pool<Arc<NativeWords>>) -> Pool<Arc<NativeWords>> {
    Pool::attach(p.words.clone()).unwrap()
}

/// A worker in `slot`, ready for process 1.
fn start_worker(p: &Pool<Arc<NativeWords>>) -> usize {
    let slot = p.claim_free_slot().expect("a free slot");
    assert!(p.ready(slot, 1));
    slot
}

#[test]
fn layout_is_checked() {
    assert!(Pool::create(Arc::new(NativeWords::new(4))).is_err());
    assert!(Pool::attach(Arc::new(NativeWords::new(64))).is_err());
    let p = pool(3);
    assert_eq!(p.slots(), 3);
    assert_eq!(shared(&p).slots(), 3);
}

#[test]
fn a_spawn_is_handed_to_an_idle_worker_which_returns_to_idle() {
    let p = pool(2);
    p.set_epoch(1);
    let slot = start_worker(&p);
    assert_eq!(p.next_work(slot), Work::Wait(SlotState::Idle as i32));
    let tid = p
        .spawn(0x1234, Duration::from_secs(1), || panic!("no want"))
        .unwrap();
    assert_eq!(tid, 1);
    assert_eq!(
        p.next_work(slot),
        Work::Start {
            tid,
            start_arg: 0x1234
        }
    );
    assert_eq!(p.state(slot), SlotState::Running);
    assert!(p.enter_syscall(slot));
    assert!(p.leave_syscall(slot));
    assert!(p.finish(slot));
    assert_eq!(p.count(SlotState::Idle), 1);
    let tid2 = p
        .spawn(7, Duration::from_secs(1), || panic!("no want"))
        .unwrap();
    assert_eq!(tid2, 2);
}

#[test]
fn without_a_worker_a_spawn_asks_once_then_fails_in_bounded_time() {
    let p = pool(1);
    p.set_epoch(1);
    let wants = AtomicUsize::new(0);
    let t0 = Instant::now();
    let r = p.spawn(1, Duration::from_millis(120), || {
        wants.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(r, Err(SpawnError::TimedOut));
    assert!(t0.elapsed() >= Duration::from_millis(120));
    assert!(t0.elapsed() < Duration::from_secs(2));
    assert_eq!(wants.load(Ordering::SeqCst), 1);
    assert_eq!(p.wanted(), 0);
}

#[test]
fn a_waiting_spawn_takes_a_worker_that_becomes_ready() {
    let p = pool(1);
    p.set_epoch(1);
    let coordinator = shared(&p);
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter =
        thread::spawn(move || p.spawn(99, Duration::from_secs(10), || tx.send(()).unwrap()));
    rx.recv().unwrap(); // the spawner asked for a worker
    assert_eq!(coordinator.wanted(), 1);
    let slot = coordinator.claim_free_slot().unwrap();
    assert!(coordinator.ready(slot, 1));
    let tid = waiter.join().unwrap().unwrap();
    assert_eq!(
        coordinator.next_work(slot),
        Work::Start { tid, start_arg: 99 }
    );
    assert_eq!(coordinator.wanted(), 0);
}

#[test]
fn a_worker_back_within_the_grace_period_is_reused_without_asking() {
    let p = pool(1);
    p.set_epoch(1);
    let slot = start_worker(&p);
    p.spawn(1, Duration::from_secs(1), || panic!("no want"))
        .unwrap();
    assert!(matches!(p.next_work(slot), Work::Start { .. }));
    let worker = shared(&p);
    let finisher = thread::spawn(move || {
        thread::sleep(GRACE / 5);
        assert!(worker.finish(slot));
    });
    let tid = p
        .spawn(2, Duration::from_secs(1), || panic!("asked for a worker"))
        .unwrap();
    finisher.join().unwrap();
    assert_eq!(p.next_work(slot), Work::Start { tid, start_arg: 2 });
}

#[test]
fn thread_ids_stay_in_range_and_wrap() {
    let p = pool(1);
    p.words.store(W_NEXT_TID, MAX_TID as i32);
    assert_eq!(p.next_tid(), MAX_TID);
    assert_eq!(p.next_tid(), 1);
    p.words.store(W_NEXT_TID, -1);
    let t = p.next_tid();
    assert!((1..=MAX_TID).contains(&t));
}

#[test]
fn a_process_end_reclaims_each_kind_of_slot() {
    let p = pool(5);
    p.set_epoch(1);
    let idle = start_worker(&p);
    let running = start_worker(&p);
    let in_syscall = start_worker(&p);
    let assigned = start_worker(&p);
    // Claim in slot order: fill running, in_syscall, assigned (idle gets one too, finished).
    for _ in 0..4 {
        p.spawn(0, Duration::from_secs(1), || {}).unwrap();
    }
    for s in [idle, running, in_syscall] {
        assert!(matches!(p.next_work(s), Work::Start { .. }));
    }
    assert!(p.finish(idle));
    assert!(p.enter_syscall(in_syscall));

    p.set_epoch(0);
    assert_eq!(
        p.spawn(0, Duration::from_secs(1), || {}),
        Err(SpawnError::NoProcess)
    );
    assert_eq!(p.reclaim(idle), Reclaim::Idle);
    assert_eq!(p.reclaim(running), Reclaim::Terminate);
    assert_eq!(p.reclaim(in_syscall), Reclaim::Stopping);
    assert_eq!(p.reclaim(assigned), Reclaim::Stopping);
    assert_eq!(p.reclaim(4), Reclaim::Nothing);

    // A killed worker may not enter the runtime; it is terminated and its slot freed.
    assert!(!p.enter_syscall(running));
    p.release(running);
    assert_eq!(p.state(running), SlotState::Free);
    // A thread in a syscall unwinds at the boundary.
    assert!(!p.leave_syscall(in_syscall));
    p.abandon(in_syscall);
    assert_eq!(p.state(in_syscall), SlotState::Starting);
    // An assigned thread never starts.
    assert_eq!(p.next_work(assigned), Work::Reclaimed);
    assert_eq!(p.state(assigned), SlotState::Starting);

    // The next process: a worker prepared for the old one is refused.
    p.set_epoch(2);
    assert!(!p.ready(idle, 1));
    assert!(p.ready(idle, 2));
    assert!(p.ready(in_syscall, 2));
    assert_eq!(p.count(SlotState::Idle), 2);
}

#[test]
fn a_thread_finishing_while_being_reclaimed_ends_idle_killed_or_given_back() {
    for _ in 0..200 {
        let p = pool(1);
        p.set_epoch(1);
        let slot = start_worker(&p);
        p.spawn(0, Duration::from_secs(1), || {}).unwrap();
        assert!(matches!(p.next_work(slot), Work::Start { .. }));
        let worker = shared(&p);
        let t = thread::spawn(move || worker.finish(slot));
        p.set_epoch(0);
        let r = p.reclaim(slot);
        let finished = t.join().unwrap();
        match r {
            Reclaim::Terminate => assert!(!finished),
            Reclaim::Idle => assert!(finished),
            // The worker saw the stop request first and gave the slot back itself; it reports
            // 'ended', which the coordinator awaits.
            Reclaim::Nothing => {
                assert!(!finished);
                assert_eq!(p.state(slot), SlotState::Starting);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[test]
fn concurrent_spawners_each_get_exactly_one_worker_run() {
    const SPAWNS: usize = 400;
    let p = Arc::new(pool(3));
    p.set_epoch(1);
    let ran = Arc::new(Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for _ in 0..3 {
        let slot = start_worker(&p);
        let (p, ran) = (p.clone(), ran.clone());
        workers.push(thread::spawn(move || loop {
            match p.next_work(slot) {
                Work::Start { tid, start_arg } => {
                    ran.lock().unwrap().push((tid, start_arg));
                    assert!(p.finish(slot));
                }
                Work::Wait(v) => p
                    .words
                    .wait(p.state_word(slot), v, Duration::from_millis(20)),
                Work::Reclaimed => return,
            }
        }));
    }
    let spawners: Vec<_> = (0..4)
        .map(|k| {
            let p = p.clone();
            thread::spawn(move || {
                (0..SPAWNS / 4)
                    .map(|i| {
                        p.spawn((k * 1000 + i) as u32, Duration::from_secs(20), || {})
                            .unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut tids: Vec<u32> = spawners
        .into_iter()
        .flat_map(|s| s.join().unwrap())
        .collect();
    // Wait for the last runs, then end the process.
    let t0 = Instant::now();
    while ran.lock().unwrap().len() < SPAWNS && t0.elapsed() < Duration::from_secs(20) {
        thread::sleep(Duration::from_millis(5));
    }
    p.set_epoch(0);
    for s in 0..3 {
        assert_eq!(p.reclaim(s), Reclaim::Idle);
    }
    for w in workers {
        w.join().unwrap();
    }
    let mut ran = ran.lock().unwrap().clone();
    ran.sort();
    tids.sort();
    assert_eq!(ran.iter().map(|r| r.0).collect::<Vec<_>>(), tids);
    tids.dedup();
    assert_eq!(tids.len(), SPAWNS);
    let mut args: Vec<u32> = ran.iter().map(|r| r.1).collect();
    args.sort();
    args.dedup();
    assert_eq!(args.len(), SPAWNS);
}

use std::sync::Mutex;

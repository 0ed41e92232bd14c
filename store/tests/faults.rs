//! Crash safety under storage faults: a backend whose Nth write, sync or
//! resize fails (once, or from then on), and a power-cut backend that loses or
//! tears the writes not yet synced, at every sync point of a workload. After
//! each: the store opens, its state is exactly the state before or after the
//! operation that was running (every committed stream intact, nothing
//! uncommitted visible), and nothing panics.

#![allow(clippy::cast_possible_truncation, reason = "test data generators")]

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use secstream_core::seal::MasterKey;
use secstream_store::{Options, StorageBackend, Store};

fn key() -> MasterKey {
    MasterKey::from_bytes(&[0x33; 32])
}

fn opts() -> Options {
    Options::new()
        .with_chunk_size(1000)
        .with_keep_versions(2)
        .with_cache_size(1 << 20)
}

fn data(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Write = 0,
    Sync = 1,
    SetLen = 2,
}

#[derive(Debug, Clone, Copy)]
enum Plan {
    /// Counts operations only.
    None,
    /// The `n`th operation of `kind` (from 1) fails; `sticky`: every later one too.
    Fail { kind: Kind, n: u64, sticky: bool },
    /// Power is cut at the `n`th sync: unsynced writes are kept, dropped or torn
    /// (by `seed`), and every later operation fails.
    Cut { n: u64, seed: u64 },
}

#[derive(Debug)]
enum Pending {
    Write(u64, Vec<u8>),
    SetLen(u64),
}

#[derive(Debug, Default)]
struct Disk {
    /// What a reader sees (the page cache).
    live: Vec<u8>,
    /// What survives a power cut.
    durable: Vec<u8>,
    pending: Vec<Pending>,
    counts: [u64; 3],
    /// The image left by a power cut.
    crashed: Option<Vec<u8>>,
}

#[derive(Debug)]
struct TestBackend {
    disk: Arc<Mutex<Disk>>,
    plan: Plan,
    dead: AtomicBool,
}

fn injected() -> io::Error {
    io::Error::other("injected fault")
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn apply(img: &mut Vec<u8>, p: &Pending) {
    match p {
        Pending::Write(off, d) => {
            let off = *off as usize;
            if img.len() < off + d.len() {
                img.resize(off + d.len(), 0);
            }
            img[off..off + d.len()].copy_from_slice(d);
        }
        Pending::SetLen(n) => img.resize(*n as usize, 0),
    }
}

impl TestBackend {
    fn new(disk: Arc<Mutex<Disk>>, plan: Plan) -> Self {
        Self {
            disk,
            plan,
            dead: AtomicBool::new(false),
        }
    }

    /// Whether synced and unsynced writes are told apart (power cuts only).
    const fn tracks_durability(&self) -> bool {
        matches!(self.plan, Plan::Cut { .. })
    }

    /// Counts an operation; `Err` if it is to fail.
    fn step(&self, disk: &mut Disk, kind: Kind) -> io::Result<()> {
        if self.dead.load(Ordering::Relaxed) {
            return Err(injected());
        }
        disk.counts[kind as usize] += 1;
        let n = disk.counts[kind as usize];
        match self.plan {
            Plan::Fail {
                kind: k,
                n: at,
                sticky,
            } if k == kind && (n == at || (sticky && n > at)) => Err(injected()),
            Plan::Cut { n: at, seed } if kind == Kind::Sync && n == at => {
                let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
                let mut img = disk.durable.clone();
                if std::env::var_os("SECSTREAM_FAULTS_TRACE").is_some() {
                    eprintln!("cut at sync {n}: durable len {}, pending:", img.len());
                    for p in &disk.pending {
                        match p {
                            Pending::Write(o, d) => eprintln!("  write {o} +{}", d.len()),
                            Pending::SetLen(l) => eprintln!("  set_len {l}"),
                        }
                    }
                }
                for p in &disk.pending {
                    match (rng.next() % 4, p) {
                        (0, _) => {} // lost
                        (1, Pending::Write(off, d)) if d.len() > 1 => {
                            // Torn: only a prefix (of whole 512-byte sectors when
                            // it has several) reached the disk.
                            let cut = if d.len() > 512 {
                                (rng.next() as usize % (d.len() / 512)) * 512
                            } else {
                                rng.next() as usize % d.len()
                            };
                            apply(&mut img, &Pending::Write(*off, d[..cut].to_vec()));
                        }
                        _ => apply(&mut img, p),
                    }
                }
                disk.crashed = Some(img);
                self.dead.store(true, Ordering::Relaxed);
                Err(injected())
            }
            _ => Ok(()),
        }
    }
}

impl StorageBackend for TestBackend {
    fn len(&self) -> io::Result<u64> {
        if self.dead.load(Ordering::Relaxed) {
            return Err(injected());
        }
        Ok(self.disk.lock().unwrap().live.len() as u64)
    }

    fn read(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        if self.dead.load(Ordering::Relaxed) {
            return Err(injected());
        }
        let disk = self.disk.lock().unwrap();
        let start = offset as usize;
        disk.live
            .get(start..start + len)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "read past the end"))
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut disk = self.disk.lock().unwrap();
        self.step(&mut disk, Kind::SetLen)?;
        disk.live.resize(len as usize, 0);
        if self.tracks_durability() {
            disk.pending.push(Pending::SetLen(len));
        }
        Ok(())
    }

    fn sync_data(&self, _eventual: bool) -> io::Result<()> {
        let mut disk = self.disk.lock().unwrap();
        self.step(&mut disk, Kind::Sync)?;
        if self.tracks_durability() {
            disk.durable = disk.live.clone();
            disk.pending.clear();
        }
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut disk = self.disk.lock().unwrap();
        self.step(&mut disk, Kind::Write)?;
        let p = Pending::Write(offset, data.to_vec());
        apply(&mut disk.live, &p);
        if self.tracks_durability() {
            disk.pending.push(p);
        }
        Ok(())
    }
}

/// Every path's kept versions and their bytes.
type State = BTreeMap<String, Vec<(u64, Vec<u8>)>>;

#[derive(Clone)]
enum Op {
    Put(&'static str, Vec<u8>),
    Delete(&'static str),
    /// A writer dropped without commit.
    Abandon(&'static str, Vec<u8>),
}

fn workload() -> Vec<Op> {
    vec![
        Op::Put("a", data(3000, 1)),
        Op::Put("b/x", data(10_500, 2)),
        Op::Abandon("c", data(4000, 3)),
        Op::Put("a", data(2000, 4)),
        Op::Delete("b/x"),
        Op::Put("c", Vec::new()),
        Op::Put("a", data(5001, 5)),
        Op::Put("b/y", data(999, 6)),
    ]
}

fn model_apply(state: &mut State, op: &Op) {
    match op {
        Op::Put(p, d) => {
            let vs = state.entry((*p).to_owned()).or_default();
            let v = vs.last().map_or(1, |l| l.0 + 1);
            vs.push((v, d.clone()));
            if vs.len() > 2 {
                vs.remove(0);
            }
        }
        Op::Delete(p) => {
            state.remove(*p);
        }
        Op::Abandon(..) => {}
    }
}

fn run_op(store: &Store, op: &Op) -> Result<(), secstream_store::Error> {
    match op {
        Op::Put(p, d) => {
            let mut w = store.put(p)?;
            w.write_all(d)?;
            w.commit().map(drop)
        }
        Op::Delete(p) => store.delete(p).map(drop),
        Op::Abandon(p, d) => {
            let mut w = store.put(p)?;
            w.write_all(d)?;
            Ok(())
        }
    }
}

fn read_state(store: &Store) -> Result<State, String> {
    let mut st = State::new();
    for p in store.list("").map_err(|e| e.to_string())? {
        let mut vs = Vec::new();
        for s in store.versions(&p).map_err(|e| e.to_string())? {
            let mut d = Vec::new();
            store
                .get_version(&p, s.version)
                .map_err(|e| e.to_string())?
                .read_to_end(&mut d)
                .map_err(|e| e.to_string())?;
            if s.size != d.len() as u64 {
                return Err(format!(
                    "{p} v{}: stat size {} but {} bytes",
                    s.version,
                    s.size,
                    d.len()
                ));
            }
            vs.push((s.version, d));
        }
        st.insert(p, vs);
    }
    Ok(st)
}

/// Runs the workload on `backend` until the first error; returns the number of
/// operations that succeeded and whether one failed (`None`: creating the
/// store failed).
fn run_workload(backend: TestBackend) -> Option<(usize, bool)> {
    let store = Store::open_backend(Box::new(backend), key(), opts()).ok()?;
    for (i, op) in workload().iter().enumerate() {
        if run_op(&store, op).is_err() {
            return Some((i, true));
        }
    }
    Some((workload().len(), false))
}

/// Reopens `image` and checks it holds the state after `done` operations, or
/// (`in_flight`) after `done + 1`; returns whether the operation in flight was
/// lost.
fn check(image: Vec<u8>, done: usize, in_flight: bool, what: &str) -> bool {
    let ops = workload();
    let mut before = State::new();
    for op in &ops[..done] {
        model_apply(&mut before, op);
    }
    let mut after = before.clone();
    if in_flight && done < ops.len() {
        model_apply(&mut after, &ops[done]);
    }
    let disk = Arc::new(Mutex::new(Disk {
        durable: image.clone(),
        live: image,
        ..Disk::default()
    }));
    let store = Store::open_backend(Box::new(TestBackend::new(disk, Plan::None)), key(), opts())
        .unwrap_or_else(|e| panic!("{what}: the store does not open: {e}"));
    let got = read_state(&store).unwrap_or_else(|e| panic!("{what}: reading fails: {e}"));
    assert!(
        got == before || got == after,
        "{what}: {done} ops done (in flight: {in_flight}); state is neither before nor after: {:?}",
        got.iter()
            .map(|(k, v)| (k, v.iter().map(|x| (x.0, x.1.len())).collect::<Vec<_>>()))
            .collect::<Vec<_>>()
    );
    // The store still works.
    run_op(&store, &Op::Put("z", data(1500, 9)))
        .unwrap_or_else(|e| panic!("{what}: put after recovery: {e}"));
    got == before && before != after
}

/// Checks the image a failed run left; returns whether the operation in flight
/// was lost.
fn outcome(r: Option<(usize, bool)>, image: Vec<u8>, what: &str) -> bool {
    match r {
        Some((done, failed)) => {
            // No failure seen: the fault hit closing the store (or an abandoned
            // writer), and every operation must be there.
            check(image, done, failed, what)
        }
        // Creating the store failed: on a raw backend the engine's half-written
        // first header may not open (files are created atomically by
        // `Store::open`, see `file_creation_is_atomic`); opened, it is empty.
        None => {
            let disk = Arc::new(Mutex::new(Disk {
                durable: image.clone(),
                live: image,
                ..Disk::default()
            }));
            if let Ok(store) =
                Store::open_backend(Box::new(TestBackend::new(disk, Plan::None)), key(), opts())
            {
                assert_eq!(read_state(&store).unwrap(), State::new(), "{what}");
            }
            false
        }
    }
}

fn counts() -> [u64; 3] {
    let disk = Arc::new(Mutex::new(Disk::default()));
    let done_failed = run_workload(TestBackend::new(Arc::clone(&disk), Plan::None));
    assert_eq!(done_failed, Some((workload().len(), false)));
    disk.lock().unwrap().counts
}

fn long() -> bool {
    std::env::var_os("SECSTREAM_LONG").is_some()
}

#[test]
fn nth_write_sync_or_resize_fails() {
    let total = counts();
    eprintln!("operations of the workload (write, sync, set_len): {total:?}");
    assert!(total[Kind::Sync as usize] > 0 && total[Kind::Write as usize] > 0);
    let (mut runs, mut lost) = (0, 0);
    for kind in [Kind::Write, Kind::Sync, Kind::SetLen] {
        let n_max = total[kind as usize];
        // Every point in the long mode; about 8 per kind otherwise.
        let step = if long() { 1 } else { (n_max / 8).max(1) };
        for n in (1..=n_max).step_by(step as usize) {
            for sticky in [false, true] {
                let what = format!("{kind:?} #{n} fails (sticky: {sticky})");
                let disk = Arc::new(Mutex::new(Disk::default()));
                let plan = Plan::Fail { kind, n, sticky };
                let r = catch_unwind(AssertUnwindSafe(|| {
                    run_workload(TestBackend::new(Arc::clone(&disk), plan))
                }));
                let r = r.unwrap_or_else(|_| panic!("{what}: panic"));
                // The process lives on: what it wrote (synced or not) is there.
                let image = disk.lock().unwrap().live.clone();
                lost += usize::from(outcome(r, image, &what));
                runs += 1;
            }
        }
    }
    assert!(runs > 20);
    assert!(lost > 0, "no fault made an operation roll back");
}

#[test]
fn power_cut_at_every_sync_point() {
    let syncs = counts()[Kind::Sync as usize];
    let seeds = if long() { 16 } else { 2 };
    let mut lost = 0;
    for n in 1..=syncs {
        for seed in 0..seeds {
            let what = format!("power cut at sync #{n} of {syncs} (seed {seed})");
            let disk = Arc::new(Mutex::new(Disk::default()));
            let r = catch_unwind(AssertUnwindSafe(|| {
                run_workload(TestBackend::new(Arc::clone(&disk), Plan::Cut { n, seed }))
            }));
            let r = r.unwrap_or_else(|_| panic!("{what}: panic"));
            let image = disk.lock().unwrap().crashed.take().expect("cut happened");
            lost += usize::from(outcome(r, image, &what));
        }
    }
    assert!(lost > 0, "no fault made an operation roll back");
}

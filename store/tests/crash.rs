//! The kill -9 loop. This test binary is both parent and child: the child
//! (env `SECSTREAM_STORE_CRASH_DB` set) writes versions without end and prints
//! `ack N` after each commit; the parent kills it at random times and checks
//! that every acknowledged version is there, byte for byte, and nothing else
//! but possibly the one write in flight. A few rounds by default, 200 with
//! `SECSTREAM_LONG=1` (or `SECSTREAM_CRASH_ROUNDS=n`).

#![allow(clippy::cast_possible_truncation, reason = "test data generators")]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use secstream_core::seal::MasterKey;
use secstream_store::{Options, Store};

#[path = "support/tmp.rs"]
mod tmp;

const PATHS: u64 = 40;
const KEEP: usize = 3;

fn key() -> MasterKey {
    MasterKey::from_bytes(&[0x55; 32])
}

fn opts() -> Options {
    Options::new()
        .with_chunk_size(4096)
        .with_keep_versions(KEEP as u32)
}

fn path_of(i: u64) -> String {
    format!("k/{:02}", i % PATHS)
}

/// The bytes of write `i`: 0 to about 40 KiB.
fn data(i: u64) -> Vec<u8> {
    let len = (i.wrapping_mul(2_654_435_761) % 40_000) as usize;
    (0..len)
        .map(|j| (j as u64 ^ i.wrapping_mul(31)) as u8)
        .collect()
}

fn child(db: &str, start: u64) {
    let store = Store::open_with(db, key(), opts()).unwrap();
    let mut out = std::io::stdout().lock();
    for i in start.. {
        let mut w = store.put(&path_of(i)).unwrap();
        w.write_all(&data(i)).unwrap();
        w.commit().unwrap();
        writeln!(out, "ack {i}").unwrap();
        out.flush().unwrap();
    }
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One round: runs the child from `start`, kills it after `wait`; returns the
/// acknowledged writes.
fn round(db: &Path, start: u64, wait: Duration) -> Vec<u64> {
    let mut c = Command::new(std::env::current_exe().unwrap())
        .env("SECSTREAM_STORE_CRASH_DB", db)
        .env("SECSTREAM_STORE_CRASH_START", start.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = c.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut acks = Vec::new();
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(n) = line.strip_prefix("ack ") {
                acks.push(n.parse::<u64>().unwrap());
            }
        }
        acks
    });
    std::thread::sleep(wait);
    // SIGKILL on Unix.
    c.kill().unwrap();
    c.wait().unwrap();
    reader.join().unwrap()
}

/// Checks the store against the acknowledged writes; returns whether write
/// `in_flight` (unacknowledged) was committed.
fn verify(db: &Path, acked: &BTreeMap<String, Vec<u64>>, in_flight: u64) -> bool {
    let store = Store::open_with(db, key(), opts()).unwrap();
    let fp = path_of(in_flight);
    let mut flight_seen = false;
    let paths = store.list("k/").unwrap();
    for p in &paths {
        let mut want: Vec<u64> = acked.get(p).cloned().unwrap_or_default();
        let versions = store.versions(p).unwrap();
        let newest = versions.last().unwrap();
        // Version numbers count the path's commits.
        if *p == fp && newest.version == want.len() as u64 + 1 {
            want.push(in_flight);
            flight_seen = true;
        }
        assert_eq!(newest.version, want.len() as u64, "{p}: newest version");
        let kept = &want[want.len().saturating_sub(KEEP)..];
        assert_eq!(versions.len(), kept.len(), "{p}: kept versions");
        for (s, &i) in versions.iter().zip(kept) {
            let mut got = Vec::new();
            store
                .get_version(p, s.version)
                .unwrap()
                .read_to_end(&mut got)
                .unwrap();
            assert!(
                got == data(i),
                "{p} v{}: bytes differ from write {i}",
                s.version
            );
        }
    }
    // Every acknowledged path is there.
    for p in acked.keys() {
        assert!(paths.contains(p), "{p} was acknowledged but is missing");
    }
    flight_seen
}

fn main() {
    if let Some(db) = std::env::var_os("SECSTREAM_STORE_CRASH_DB") {
        let start = std::env::var("SECSTREAM_STORE_CRASH_START")
            .unwrap()
            .parse()
            .unwrap();
        child(db.to_str().unwrap(), start);
        return;
    }
    let rounds: u64 = match std::env::var("SECSTREAM_CRASH_ROUNDS") {
        Ok(n) => n.parse().unwrap(),
        Err(_) if std::env::var_os("SECSTREAM_LONG").is_some() => 200,
        Err(_) => 6,
    };
    let dir = tmp::tempdir();
    let db = dir.path().join("crash.db");
    let seed = Instant::now().elapsed().as_nanos() as u64
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
    let mut rng = Rng(seed | 1);
    let mut acked: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut next = 0;
    let (mut total_acks, mut flights) = (0, 0);
    for r in 0..rounds {
        // The first rounds may kill the child while it creates or opens the file.
        let wait = Duration::from_millis(if r == 0 {
            rng.below(30)
        } else {
            20 + rng.below(180)
        });
        let acks = round(&db, next, wait);
        for (k, &i) in acks.iter().enumerate() {
            assert_eq!(i, next + k as u64, "acks out of order");
            acked.entry(path_of(i)).or_default().push(i);
        }
        total_acks += acks.len();
        next += acks.len() as u64;
        if db.exists() && verify(&db, &acked, next) {
            // Committed but killed before its acknowledgement.
            acked.entry(path_of(next)).or_default().push(next);
            next += 1;
            flights += 1;
        }
    }
    println!(
        "crash: {rounds} rounds (seed {seed}), {total_acks} acknowledged writes checked, {flights} unacknowledged commits found"
    );
    assert!(total_acks > 0, "the child never acknowledged a write");
}

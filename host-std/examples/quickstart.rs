//! A tour of the buffers and rings: an SSH-style record is built in a
//! zeroizing `SecureBuf`, streamed through a byte ring in uneven pieces with
//! `std::io`, parsed back on the other side, and every buffer that held it is
//! shown to be wiped.
//!
//! Run it with `cargo run --release -p secstream --example quickstart`.

use std::io::{Read, Write};
use std::process::ExitCode;

use secstream::buf::SecureBuf;
use secstream::ring::Ring;
use secstream::spsc::SpscRing;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quickstart: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Build a record: a userauth-like message with a name-list and an mpint.
    let mut record = SecureBuf::<512>::new();
    record.put_u8(50)?;
    record.put_string(b"alice")?;
    record.put_name_list(&["ssh-ed25519", "rsa-sha2-512"])?;
    record.put_mpint_signed(true, &[0xde, 0xad, 0xbe, 0xef])?;
    record.put_u64(1_700_000_000)?;
    println!("built a {}-byte record: {record:?}", record.len());

    // 2. Stream it through a 64-byte ring in 7-byte writes and 5-byte reads,
    //    as a serial link would deliver it.
    let mut ring = Ring::<64>::new();
    let mut received = SecureBuf::<512>::new();
    let mut offset = 0;
    let mut piece = [0u8; 5];
    while offset < record.len() || !ring.is_empty() {
        if let Some(chunk) = record
            .as_slice()
            .get(offset..(offset + 7).min(record.len()))
        {
            // `std::io::Write` on the ring: a full ring takes fewer bytes.
            offset += Write::write(&mut ring, chunk)?;
        }
        let n = Read::read(&mut ring, &mut piece)?;
        received.put_raw(&piece[..n])?;
    }
    piece.fill(0);
    println!("streamed it through {ring:?}");

    // 3. Parse it back.
    let kind = received.get_u8()?;
    let user = String::from_utf8(received.get_string()?.to_vec())?;
    let algorithms: Vec<String> = received
        .get_name_list()?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut magnitude = [0u8; 8];
    let mpint = received.get_mpint()?;
    let negative = mpint.is_negative();
    let magnitude = mpint.magnitude_into(&mut magnitude)?.to_vec();
    let stamp = received.get_u64()?;
    println!(
        "parsed: message {kind}, user {user:?}, algorithms {algorithms:?}, \
         mpint {}0x{}, timestamp {stamp}",
        if negative { "-" } else { "" },
        magnitude
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    if received.as_slice() != record.as_slice() {
        return Err("the record changed in transit".into());
    }

    // 4. The split ring: a producer thread and a consumer thread share it
    //    without locks.
    let mut spsc = SpscRing::<256>::new();
    let (mut tx, mut rx) = spsc.split();
    let total: u64 = 1 << 20;
    let checksum = std::thread::scope(|s| {
        s.spawn(move || {
            let mut sent = 0u64;
            let mut counter = 0u8;
            while sent < total {
                let mut chunk = [0u8; 32];
                for b in &mut chunk {
                    *b = counter;
                    counter = counter.wrapping_add(1);
                }
                let mut rest = &chunk[..];
                while !rest.is_empty() {
                    let n = tx.write(rest);
                    rest = &rest[n..];
                    if n == 0 {
                        std::thread::yield_now();
                    }
                }
                sent += 32;
            }
        });
        let mut got = 0u64;
        let mut expected = 0u8;
        let mut buf = [0u8; 48];
        while got < total {
            let n = rx.read_into(&mut buf);
            if n == 0 {
                std::thread::yield_now();
            }
            for &b in &buf[..n] {
                assert_eq!(b, expected, "byte {got} out of order");
                expected = expected.wrapping_add(1);
                got += 1;
            }
        }
        got
    });
    println!("split ring: {checksum} bytes crossed threads in order");

    // 5. Discarding wipes: clear the buffers and show their bytes are gone.
    record.clear();
    received.clear();
    let mut leftover = Vec::new();
    received.read_to_end(&mut leftover)?;
    println!(
        "after clear: record {} bytes, received {} bytes, nothing left to read: {}",
        record.len(),
        received.len(),
        leftover.is_empty()
    );
    Ok(())
}

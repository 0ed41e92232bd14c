//! Two connections share one buffer pool: a client frames SSH binary packets
//! (RFC 4253 section 6: length, padding length, payload, random padding) in
//! its pooled write buffer with the core SSH codec, the bytes cross to the
//! server in uneven pieces, and the server cuts whole packets out of its
//! pooled read buffer and queues their payloads. Every buffer goes back to
//! the pool wiped.
//!
//! Run it with `cargo run --release -p secstream --example ssh_packets`.

use std::process::ExitCode;

use secstream::buf::SecureBuf;
use secstream::pool::{BufferPool, Config, ConnectionBuffers, ConnectionConfig};
use secstream::ssh::{Reader, Writer};

/// Block size of the padding rule with no cipher yet.
const BLOCK: usize = 8;
const SSH_MSG_USERAUTH_REQUEST: u8 = 50;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ssh_packets: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Appends one binary packet carrying `payload` to `conn`'s write buffer.
fn frame(conn: &mut ConnectionBuffers, payload: &[u8]) -> Result<(), Box<dyn std::error::Error>> {
    // At least 4 bytes of padding, and length field + padding-length byte +
    // payload + padding a multiple of the block size.
    let unpadded = 4 + 1 + payload.len();
    let padding = 4 + (BLOCK - (unpadded + 4) % BLOCK) % BLOCK;
    let total = unpadded + padding;
    let mut pad = [0u8; 4 + BLOCK];
    getrandom::fill(pad.get_mut(..padding).unwrap_or_default())?;

    let buf = conn.write_buf()?;
    let spare = buf.spare_mut_up_to(total);
    let mut w = Writer::new(spare);
    w.put_u32(u32::try_from(total - 4)?)?;
    w.put_u8(u8::try_from(padding)?)?;
    w.put_raw(payload)?;
    w.put_raw(pad.get(..padding).unwrap_or_default())?;
    let n = w.position();
    buf.advance(n)?;
    Ok(())
}

/// Moves every whole packet in `conn`'s read buffer to its queue (payload
/// only); returns how many.
fn unframe(conn: &mut ConnectionBuffers) -> Result<usize, Box<dyn std::error::Error>> {
    let mut packets = 0;
    loop {
        let buf = conn.read_buf()?;
        let mut r = Reader::new(buf.as_slice());
        let Ok(len) = r.get_u32() else { break };
        let len = usize::try_from(len)?;
        if r.remaining() < len {
            break; // the rest of this packet has not arrived
        }
        let padding = usize::from(r.get_u8()?);
        let payload_len = len
            .checked_sub(1 + padding)
            .ok_or("padding longer than the packet")?;
        // A wiping copy: the read buffer stays borrowed until `r` is done.
        let payload = SecureBuf::<512>::from_slice(r.get_raw(payload_len)?)?;
        r.skip(padding)?;
        let used = r.position();
        conn.queue_packet(payload.as_slice())?;
        // Wipes the packet's bytes out of the read buffer.
        conn.read_buf()?.consume(used);
        packets += 1;
    }
    Ok(packets)
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let pool = BufferPool::new(Config::default().max_outstanding_bytes(1 << 20));
    let config = ConnectionConfig::default()
        .read_size(4096)
        .write_size(4096)
        .max_queued_packets(16);
    let mut client = ConnectionBuffers::new(&pool, config);
    let mut server = ConnectionBuffers::new(&pool, config);

    // The client frames three userauth requests.
    for (user, password) in [
        ("alice", "correct horse"),
        ("bob", "battery staple"),
        ("carol", "tr0ub4dor&3"),
    ] {
        // Built in a wiping buffer: it holds a password.
        let mut payload = SecureBuf::<128>::new();
        payload.put_u8(SSH_MSG_USERAUTH_REQUEST)?;
        payload.put_string(user.as_bytes())?;
        payload.put_string(b"ssh-connection")?;
        payload.put_string(b"password")?;
        payload.put_bool(false)?;
        payload.put_string(password.as_bytes())?;
        frame(&mut client, payload.as_slice())?;
    }
    let wire_len = client.write_buf()?.len();
    println!(
        "client framed 3 packets, {wire_len} bytes; its buffers: {} bytes",
        client.memory_usage()
    );

    // The bytes cross in pieces of 7, 30, 7, 30, ...; the server cuts out
    // whatever packets are whole after each piece.
    let mut sent = 0;
    let mut received = 0;
    for step in [7usize, 30].into_iter().cycle() {
        let wire = client.write_buf()?;
        if wire.is_empty() {
            break;
        }
        let piece = step.min(wire.len());
        server
            .read_buf()?
            .extend_from_slice(wire.get(..piece).unwrap_or_default())?;
        wire.consume(piece);
        sent += piece;
        received += unframe(&mut server)?;
    }
    println!("{sent} bytes crossed; the server cut out {received} packets");

    while let Some(packet) = server.pop_packet() {
        let mut r = Reader::new(&packet);
        let kind = r.get_u8()?;
        let user = String::from_utf8_lossy(r.get_string()?).into_owned();
        let service = String::from_utf8_lossy(r.get_string()?).into_owned();
        let method = String::from_utf8_lossy(r.get_string()?).into_owned();
        let _change = r.get_bool()?;
        let secret_len = r.get_string()?.len();
        println!(
            "message {kind}: user {user}, service {service}, method {method}, a {secret_len}-byte password"
        );
        // `packet` is wiped as it goes back to the pool here.
    }

    let s = pool.stats();
    println!(
        "pool: {} hits, {} misses, {} bytes out, {} bytes idle",
        s.hits, s.misses, s.outstanding_bytes, s.idle_bytes
    );
    client.burn();
    server.burn();
    let s = pool.stats();
    println!(
        "after burn: {} bytes out, {} bytes idle (all zero), high-water {} bytes out",
        s.outstanding_bytes, s.idle_bytes, s.outstanding_high_water
    );
    if s.outstanding_bytes != 0 || received != 3 {
        return Err("buffers or packets went missing".into());
    }
    Ok(())
}

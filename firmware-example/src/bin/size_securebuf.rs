//! Size probe: `SecureBuf` with the SSH wire codec alone: a packet written
//! with the SSH types, read back, wiped.
#![no_std]
#![no_main]

use core::hint::black_box;

use secstream_core::buf::SecureBuf;
use secstream_firmware_example as fw;

#[cortex_m_rt::entry]
fn main() -> ! {
    fw::stack::paint();
    let mut packet = SecureBuf::<128>::new();
    defmt::unwrap!(packet.put_u8(black_box(20)));
    defmt::unwrap!(packet.put_u32(black_box(7)));
    defmt::unwrap!(packet.put_string(black_box(b"ssh-ed25519")));
    defmt::unwrap!(packet.put_mpint_unsigned(black_box(&[0x80, 0x01])));
    defmt::unwrap!(packet.put_name_list(black_box(&["curve25519-sha256", "none"])));
    let kind = defmt::unwrap!(packet.get_u8());
    let n = defmt::unwrap!(packet.get_u32());
    let name_len = defmt::unwrap!(packet.get_string()).len();
    let mpint_len = defmt::unwrap!(packet.get_mpint())
        .as_twos_complement()
        .len();
    let names = defmt::unwrap!(packet.get_name_list()).len();
    packet.compact();
    defmt::info!(
        "read {=u8} {=u32} {=usize} {=usize} {=usize}",
        kind,
        n,
        name_len,
        mpint_len,
        names
    );
    defmt::info!("stack peak: {=usize} bytes", fw::stack::peak());
    fw::exit(0)
}

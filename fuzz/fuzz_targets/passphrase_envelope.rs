//! Passphrase envelope parser (`passphrase::Envelope::parse`): any bytes either
//! fail or give an envelope whose costs are within the limits and which writes
//! back exactly the 38 bytes it was read from. Each input is parsed as it is
//! and once more with its CRC-32C rewritten, so the KDF id and cost checks
//! behind the CRC are reached too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use secstream_core::checksum::crc32c;
use secstream_core::passphrase::{ENVELOPE_LEN, Envelope, KdfParams, MAX_WORK_KIB};

fn check(data: &[u8]) {
    if let Ok(env) = Envelope::parse(data) {
        let p = env.params;
        assert_eq!(KdfParams::new(p.m_cost_kib(), p.t_cost(), p.p_cost()), Ok(p));
        assert!(u64::from(p.m_cost_kib()) * u64::from(p.t_cost()) <= MAX_WORK_KIB);
        assert_eq!(&env.to_bytes()[..], &data[..ENVELOPE_LEN]);
        assert!(Envelope::detect(data));
    }
}

fuzz_target!(|data: &[u8]| {
    check(data);
    if data.len() >= ENVELOPE_LEN {
        let mut fixed = data[..ENVELOPE_LEN].to_vec();
        let crc = crc32c(&fixed[..ENVELOPE_LEN - 4]);
        fixed[ENVELOPE_LEN - 4..].copy_from_slice(&crc.to_le_bytes());
        check(&fixed);
    }
});

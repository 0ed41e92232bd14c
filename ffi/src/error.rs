//! The one error enum of the C interface and its names.

use secstream_core::{checksum, cobs, compress, container, frame};

/// Result code of every `secstream_*` function that can fail: `SECSTREAM_OK` (0)
/// or an error.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecstreamError {
    /// Success.
    SecstreamOk = 0,
    /// A required pointer argument was NULL.
    SecstreamErrNullPointer = 1,
    /// The state memory is smaller than the type's `*_STATE_SIZE`.
    SecstreamErrStateTooSmall = 2,
    /// The state memory is not aligned to the type's `*_STATE_ALIGN`.
    SecstreamErrStateMisaligned = 3,
    /// The state was not opened by this type's `*_open` (or was closed).
    SecstreamErrBadState = 4,
    /// Unknown checksum id.
    SecstreamErrUnknownChecksum = 5,
    /// A checksum id of the contract that this build left out.
    SecstreamErrChecksumNotCompiled = 6,
    /// A stored checksum does not match.
    SecstreamErrBadChecksum = 7,
    /// A frame is longer than the maximum frame length or the buffer.
    SecstreamErrFrameTooLong = 8,
    /// The input ended inside a frame or stream.
    SecstreamErrTruncated = 9,
    /// An output or state buffer is too small.
    SecstreamErrBufferTooSmall = 10,
    /// Malformed COBS encoding.
    SecstreamErrCobs = 11,
    /// A COBS frame is shorter than its checksum.
    SecstreamErrTooShort = 12,
    /// Not a secstream container (bad magic).
    SecstreamErrBadMagic = 13,
    /// Unsupported container version.
    SecstreamErrUnsupportedVersion = 14,
    /// The container preamble's checksum does not match.
    SecstreamErrBadPreambleChecksum = 15,
    /// Unknown compression id.
    SecstreamErrUnknownCompression = 16,
    /// Unknown container flags.
    SecstreamErrUnknownFlags = 17,
    /// `max_plain` is 0 or above 2^30.
    SecstreamErrBadMaxPlain = 18,
    /// The stream's `max_plain` is above the reader's limit.
    SecstreamErrMaxPlainOverLimit = 19,
    /// A plaintext is longer than `max_plain` or the plaintext buffer.
    SecstreamErrPlainTooLong = 20,
    /// A frame follows the final frame of a sealed stream.
    SecstreamErrDataAfterFinal = 21,
    /// Bytes follow the end of the container.
    SecstreamErrTrailingData = 22,
    /// The end section does not match the frames read.
    SecstreamErrEndMismatch = 23,
    /// The end section's checksum does not match.
    SecstreamErrBadEndChecksum = 24,
    /// A sealed frame failed authentication (or the key is wrong).
    SecstreamErrAuthentication = 25,
    /// The stream is sealed and no key was given.
    SecstreamErrKeyRequired = 26,
    /// A key was given but the stream is not sealed.
    SecstreamErrNotSealed = 27,
    /// The frame counter reached its limit.
    SecstreamErrCounterOverflow = 28,
    /// A compressed frame is malformed or truncated.
    SecstreamErrDecompress = 29,
    /// The stream's compression is not available in this library (deflate).
    SecstreamErrCompressionUnavailable = 30,
    /// The writer has written its last frame or finished.
    SecstreamErrFinished = 31,
    /// An argument is out of range (e.g. a length that overflows).
    SecstreamErrInvalidArgument = 32,
    /// An error of a newer core that this interface does not name yet.
    SecstreamErrOther = 33,
    /// A passphrase-protected file (`SSTP` envelope): this interface cannot
    /// derive its key (Argon2id); the `secstream` tool or the Rust crate can.
    SecstreamErrPassphraseEnvelope = 34,
}

use SecstreamError as E;

/// Every code, in order (for the name table and the tests).
pub(crate) const ALL: [SecstreamError; 35] = [
    E::SecstreamOk,
    E::SecstreamErrNullPointer,
    E::SecstreamErrStateTooSmall,
    E::SecstreamErrStateMisaligned,
    E::SecstreamErrBadState,
    E::SecstreamErrUnknownChecksum,
    E::SecstreamErrChecksumNotCompiled,
    E::SecstreamErrBadChecksum,
    E::SecstreamErrFrameTooLong,
    E::SecstreamErrTruncated,
    E::SecstreamErrBufferTooSmall,
    E::SecstreamErrCobs,
    E::SecstreamErrTooShort,
    E::SecstreamErrBadMagic,
    E::SecstreamErrUnsupportedVersion,
    E::SecstreamErrBadPreambleChecksum,
    E::SecstreamErrUnknownCompression,
    E::SecstreamErrUnknownFlags,
    E::SecstreamErrBadMaxPlain,
    E::SecstreamErrMaxPlainOverLimit,
    E::SecstreamErrPlainTooLong,
    E::SecstreamErrDataAfterFinal,
    E::SecstreamErrTrailingData,
    E::SecstreamErrEndMismatch,
    E::SecstreamErrBadEndChecksum,
    E::SecstreamErrAuthentication,
    E::SecstreamErrKeyRequired,
    E::SecstreamErrNotSealed,
    E::SecstreamErrCounterOverflow,
    E::SecstreamErrDecompress,
    E::SecstreamErrCompressionUnavailable,
    E::SecstreamErrFinished,
    E::SecstreamErrInvalidArgument,
    E::SecstreamErrOther,
    E::SecstreamErrPassphraseEnvelope,
];

impl SecstreamError {
    /// The code's name as a NUL-terminated string.
    pub(crate) const fn name(self) -> &'static [u8] {
        match self {
            E::SecstreamOk => b"ok\0",
            E::SecstreamErrNullPointer => b"null pointer argument\0",
            E::SecstreamErrStateTooSmall => b"state memory smaller than the state size\0",
            E::SecstreamErrStateMisaligned => b"state memory not aligned to the state alignment\0",
            E::SecstreamErrBadState => b"state not opened for this type, or closed\0",
            E::SecstreamErrUnknownChecksum => b"unknown checksum id\0",
            E::SecstreamErrChecksumNotCompiled => b"checksum not compiled into this build\0",
            E::SecstreamErrBadChecksum => b"checksum mismatch\0",
            E::SecstreamErrFrameTooLong => b"frame longer than the maximum frame length\0",
            E::SecstreamErrTruncated => b"input truncated\0",
            E::SecstreamErrBufferTooSmall => b"buffer too small\0",
            E::SecstreamErrCobs => b"malformed cobs encoding\0",
            E::SecstreamErrTooShort => b"frame shorter than its checksum\0",
            E::SecstreamErrBadMagic => b"not a secstream container (bad magic)\0",
            E::SecstreamErrUnsupportedVersion => b"unsupported container version\0",
            E::SecstreamErrBadPreambleChecksum => b"container preamble checksum mismatch\0",
            E::SecstreamErrUnknownCompression => b"unknown compression id\0",
            E::SecstreamErrUnknownFlags => b"unknown container flags\0",
            E::SecstreamErrBadMaxPlain => b"max_plain outside 1..=2^30\0",
            E::SecstreamErrMaxPlainOverLimit => b"max_plain above the reader's limit\0",
            E::SecstreamErrPlainTooLong => b"frame plaintext longer than max_plain or the buffer\0",
            E::SecstreamErrDataAfterFinal => b"a frame follows the final frame\0",
            E::SecstreamErrTrailingData => b"data after the end of the container\0",
            E::SecstreamErrEndMismatch => b"end section does not match the stream\0",
            E::SecstreamErrBadEndChecksum => b"end section checksum mismatch\0",
            E::SecstreamErrAuthentication => b"authentication failed\0",
            E::SecstreamErrKeyRequired => b"container is sealed and no key was given\0",
            E::SecstreamErrNotSealed => b"a key was given but the container is not sealed\0",
            E::SecstreamErrCounterOverflow => b"frame counter overflow\0",
            E::SecstreamErrDecompress => b"cannot decompress frame\0",
            E::SecstreamErrCompressionUnavailable => b"compression not available in this build\0",
            E::SecstreamErrFinished => b"container writer already finished\0",
            E::SecstreamErrInvalidArgument => b"argument out of range\0",
            E::SecstreamErrOther => b"other error\0",
            E::SecstreamErrPassphraseEnvelope => {
                b"passphrase-protected container (SSTP envelope): derive its key first\0"
            }
        }
    }
}

/// The name of `code` as a static NUL-terminated string (never NULL; "unknown
/// error code" for a value that is not a code).
#[unsafe(no_mangle)]
pub extern "C" fn secstream_error_name(code: i32) -> *const core::ffi::c_char {
    let name: &'static [u8] = match usize::try_from(code).ok().and_then(|i| ALL.get(i)) {
        Some(e) => e.name(),
        None => b"unknown error code\0",
    };
    name.as_ptr().cast()
}

impl From<checksum::Error> for SecstreamError {
    fn from(e: checksum::Error) -> Self {
        match e {
            checksum::Error::UnknownChecksum(_) => E::SecstreamErrUnknownChecksum,
            checksum::Error::NotCompiled(_) => E::SecstreamErrChecksumNotCompiled,
            _ => E::SecstreamErrOther,
        }
    }
}

impl From<frame::Error> for SecstreamError {
    fn from(e: frame::Error) -> Self {
        match e {
            frame::Error::BadChecksum => E::SecstreamErrBadChecksum,
            frame::Error::FrameTooLong => E::SecstreamErrFrameTooLong,
            frame::Error::Truncated => E::SecstreamErrTruncated,
            frame::Error::BufferTooSmall => E::SecstreamErrBufferTooSmall,
            _ => E::SecstreamErrOther,
        }
    }
}

impl From<cobs::Error> for SecstreamError {
    fn from(e: cobs::Error) -> Self {
        match e {
            cobs::Error::BadChecksum => E::SecstreamErrBadChecksum,
            cobs::Error::FrameTooLong => E::SecstreamErrFrameTooLong,
            cobs::Error::Cobs => E::SecstreamErrCobs,
            cobs::Error::TooShort => E::SecstreamErrTooShort,
            cobs::Error::Truncated => E::SecstreamErrTruncated,
            cobs::Error::BufferTooSmall => E::SecstreamErrBufferTooSmall,
            _ => E::SecstreamErrOther,
        }
    }
}

impl From<container::Error> for SecstreamError {
    fn from(e: container::Error) -> Self {
        use container::Error as C;
        match e {
            C::BadMagic => E::SecstreamErrBadMagic,
            C::PassphraseEnvelope => E::SecstreamErrPassphraseEnvelope,
            C::UnsupportedVersion(_) => E::SecstreamErrUnsupportedVersion,
            C::BadPreambleChecksum => E::SecstreamErrBadPreambleChecksum,
            C::UnknownChecksum(_) => E::SecstreamErrUnknownChecksum,
            C::ChecksumNotCompiled(_) => E::SecstreamErrChecksumNotCompiled,
            C::UnknownCompression(_) => E::SecstreamErrUnknownCompression,
            C::UnknownFlags(_) => E::SecstreamErrUnknownFlags,
            C::BadMaxPlain(_) => E::SecstreamErrBadMaxPlain,
            C::MaxPlainOverLimit { .. } => E::SecstreamErrMaxPlainOverLimit,
            C::BadChecksum { .. } => E::SecstreamErrBadChecksum,
            C::FrameTooLong { .. } => E::SecstreamErrFrameTooLong,
            C::PlainTooLong => E::SecstreamErrPlainTooLong,
            C::Truncated => E::SecstreamErrTruncated,
            C::DataAfterFinal => E::SecstreamErrDataAfterFinal,
            C::TrailingData => E::SecstreamErrTrailingData,
            C::EndMismatch(_) => E::SecstreamErrEndMismatch,
            C::BadEndChecksum => E::SecstreamErrBadEndChecksum,
            C::Authentication => E::SecstreamErrAuthentication,
            C::KeyRequired => E::SecstreamErrKeyRequired,
            C::NotSealed => E::SecstreamErrNotSealed,
            C::CounterOverflow => E::SecstreamErrCounterOverflow,
            C::Decompress(compress::Error::TooLarge) => E::SecstreamErrPlainTooLong,
            C::Decompress(compress::Error::Unsupported) => E::SecstreamErrCompressionUnavailable,
            C::Decompress(_) => E::SecstreamErrDecompress,
            C::CompressionUnavailable(_) => E::SecstreamErrCompressionUnavailable,
            C::Finished => E::SecstreamErrFinished,
            C::BufferTooSmall => E::SecstreamErrBufferTooSmall,
            _ => E::SecstreamErrOther,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_dense_and_named() {
        for (i, e) in ALL.iter().enumerate() {
            assert_eq!(*e as usize, i);
            let n = e.name();
            assert_eq!(n.last(), Some(&0));
            assert!(!n[..n.len() - 1].contains(&0));
        }
        let p = secstream_error_name(-1);
        assert!(!p.is_null());
    }
}

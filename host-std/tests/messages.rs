//! Typed messages (feature `serde`): postcard values, one per frame, over raw frames and
//! over sealed containers; a malformed payload is a clear error.
#![cfg(feature = "serde")]

use secstream::Error;
use secstream::checksum::ChecksumKind;
use secstream::container_io::{ContainerOptions, ContainerReader};
use secstream::frame_io::{FrameReader, FrameWriter};
use secstream::seal::MasterKey;
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
enum Command {
    Ping { seq: u32 },
    Put { path: String, data: Vec<u8> },
    Quit,
}

fn commands() -> Vec<Command> {
    vec![
        Command::Ping { seq: 7 },
        Command::Put {
            path: "a/b".into(),
            data: vec![1, 2, 3],
        },
        Command::Put {
            path: "big".into(),
            data: vec![9; 5000],
        },
        Command::Quit,
    ]
}

#[test]
fn messages_over_raw_frames() {
    let mut w = FrameWriter::new(Vec::new(), ChecksumKind::Crc32c);
    for c in commands() {
        w.write_message(&c).unwrap();
    }
    let wire = w.finish().unwrap();
    let mut r = FrameReader::new(&wire[..], ChecksumKind::Crc32c, 1 << 16);
    let mut got = Vec::new();
    while let Some(c) = r.read_message::<Command>().unwrap() {
        got.push(c);
    }
    assert_eq!(got, commands());

    // A frame that is not a Command.
    let mut w = FrameWriter::new(Vec::new(), ChecksumKind::Crc32c);
    w.write_frame(&[0xFF, 0xFF]).unwrap();
    let wire = w.finish().unwrap();
    let mut r = FrameReader::new(&wire[..], ChecksumKind::Crc32c, 1 << 16);
    assert!(matches!(
        r.read_message::<Command>(),
        Err(Error::Message(_))
    ));
}

#[test]
fn messages_over_a_sealed_container() {
    let key = MasterKey::from_bytes(&[3; 32]);
    let mut w = ContainerOptions::new()
        .frame_size(8192)
        .sealed_writer(Vec::new(), &key)
        .unwrap();
    for c in commands() {
        w.write_message(&c).unwrap();
    }
    // Too long for one frame.
    let huge = Command::Put {
        path: String::new(),
        data: vec![0; 9000],
    };
    assert!(matches!(w.write_message(&huge), Err(Error::Message(_))));
    let wire = w.finish().unwrap();
    let mut r = ContainerReader::sealed(&wire[..], MasterKey::from_bytes(&[3; 32]));
    let mut got = Vec::new();
    while let Some(c) = r.read_message::<Command>().unwrap() {
        got.push(c);
    }
    assert_eq!(got, commands());
}

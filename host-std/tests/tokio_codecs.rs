//! The `tokio` feature: FramedWrite/FramedRead over an in-memory duplex pipe with the
//! raw frame, message and container codecs; the same bytes as the blocking writers;
//! truncation reported at the end of the stream.
#![cfg(feature = "tokio")]

use futures_util::{SinkExt, StreamExt};
use secstream::Error;
use secstream::checksum::ChecksumKind;
use secstream::compress::Compression;
use secstream::container;
use secstream::container_io::{ContainerOptions, ContainerReader};
use secstream::seal::MasterKey;
use secstream::tokio::{Chunk, ContainerDecoder, ContainerEncoder, FrameCodec};
use tokio_util::codec::{FramedRead, FramedWrite};

fn key() -> MasterKey {
    MasterKey::from_bytes(&[5; 32])
}

#[tokio::test(flavor = "current_thread")]
async fn raw_frames_through_a_pipe() {
    let (a, b) = tokio::io::duplex(64);
    let writer = tokio::spawn(async move {
        let mut w = FramedWrite::new(a, FrameCodec::new(ChecksumKind::Crc32c, 1 << 20));
        for i in 0..50u32 {
            let payload = vec![u8::try_from(i).unwrap(); (i * 37) as usize];
            w.send(&payload[..]).await.unwrap();
        }
    });
    let mut r = FramedRead::new(b, FrameCodec::new(ChecksumKind::Crc32c, 1 << 20));
    let mut n = 0u32;
    while let Some(f) = r.next().await {
        let f = f.unwrap();
        assert_eq!(f.len(), (n * 37) as usize);
        assert!(f.iter().all(|&b| u32::from(b) == n));
        n += 1;
    }
    writer.await.unwrap();
    assert_eq!(n, 50);
}

#[tokio::test(flavor = "current_thread")]
async fn a_cut_raw_stream_is_truncated() {
    let mut wire = Vec::new();
    {
        let mut w = FramedWrite::new(&mut wire, FrameCodec::new(ChecksumKind::Crc16, 64));
        w.send(&b"abcdef"[..]).await.unwrap();
    }
    let cut = &wire[..wire.len() - 1];
    let mut r = FramedRead::new(cut, FrameCodec::new(ChecksumKind::Crc16, 64));
    assert!(matches!(
        r.next().await,
        Some(Err(Error::Frame(secstream::frame::Error::Truncated)))
    ));
}

#[tokio::test(flavor = "current_thread")]
async fn sealed_containers_through_a_pipe_read_by_both_readers() {
    let options = ContainerOptions::new()
        .compression(Compression::Lz4)
        .frame_size(1000);
    let (a, b) = tokio::io::duplex(256);
    let writer = tokio::spawn(async move {
        let enc = ContainerEncoder::sealed(options, &key()).unwrap();
        let mut w = FramedWrite::new(a, enc);
        w.send(Chunk::Frame(b"first frame")).await.unwrap();
        w.send(Chunk::Frame(&[7u8; 1000])).await.unwrap();
        w.send(Chunk::Last(b"the end")).await.unwrap();
    });
    let mut wire = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut { b }, &mut wire)
        .await
        .unwrap();
    writer.await.unwrap();

    // The async decoder.
    let mut r = FramedRead::new(&wire[..], ContainerDecoder::sealed(key()));
    let mut frames = Vec::new();
    while let Some(f) = r.next().await {
        frames.push(f.unwrap().to_vec());
    }
    assert_eq!(
        frames,
        [
            b"first frame".to_vec(),
            vec![7u8; 1000],
            b"the end".to_vec()
        ]
    );
    assert_eq!(
        r.decoder().header().unwrap().config.compression,
        Compression::Lz4
    );

    // The blocking reader reads the same bytes.
    let mut back = Vec::new();
    std::io::Read::read_to_end(&mut ContainerReader::sealed(&wire[..], key()), &mut back).unwrap();
    assert_eq!(back.len(), 11 + 1000 + 7);

    // Every cut is refused.
    for cut in (0..wire.len()).step_by(11) {
        let mut r = FramedRead::new(&wire[..cut], ContainerDecoder::sealed(key()));
        let mut failed = false;
        while let Some(f) = r.next().await {
            if f.is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed, "cut {cut}");
    }
}

#[tokio::test(flavor = "current_thread")]
async fn unsealed_encoder_writes_the_blocking_writers_bytes() {
    let options = ContainerOptions::new()
        .checksum(ChecksumKind::Xxh3)
        .frame_size(100);
    let data: Vec<u8> = (0..450u32).map(|i| (i % 251) as u8).collect();
    let mut async_wire = Vec::new();
    {
        let mut w = FramedWrite::new(&mut async_wire, ContainerEncoder::new(options).unwrap());
        let chunks: Vec<&[u8]> = data.chunks(100).collect();
        for c in &chunks[..chunks.len() - 1] {
            w.send(Chunk::Frame(c)).await.unwrap();
        }
        w.send(Chunk::Last(chunks[chunks.len() - 1])).await.unwrap();
    }
    let mut blocking = options.writer(Vec::new()).unwrap();
    std::io::Write::write_all(&mut blocking, &data).unwrap();
    assert_eq!(async_wire, blocking.finish().unwrap());
    // A frame above the frame size is refused.
    let mut enc = ContainerEncoder::new(options).unwrap();
    let mut dst = bytes::BytesMut::new();
    assert!(matches!(
        tokio_util::codec::Encoder::encode(&mut enc, Chunk::Frame(&[0; 101]), &mut dst),
        Err(Error::Container(container::Error::PlainTooLong))
    ));
    assert!(dst.is_empty());
}

#[cfg(feature = "serde")]
#[tokio::test(flavor = "current_thread")]
async fn typed_messages() {
    use secstream::tokio::MessageCodec;
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Reading {
        sensor: u16,
        value: i32,
    }
    let mut wire = Vec::new();
    {
        let mut w = FramedWrite::new(
            &mut wire,
            MessageCodec::<Reading>::new(ChecksumKind::Crc16, 64),
        );
        for i in 0..5 {
            w.send(Reading {
                sensor: i,
                value: -i32::from(i),
            })
            .await
            .unwrap();
        }
    }
    let r = FramedRead::new(
        &wire[..],
        MessageCodec::<Reading>::new(ChecksumKind::Crc16, 64),
    );
    let got: Vec<Reading> = r.map(Result::unwrap).collect().await;
    assert_eq!(got.len(), 5);
    assert_eq!(
        got[4],
        Reading {
            sensor: 4,
            value: -4
        }
    );
}

//! [`ConnectionBuffers`]: one connection's buffers, taken from a pool.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use super::{BufferPool, Error, PooledBuf};

/// Sizes and limits of [`ConnectionBuffers`]; builder-style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionConfig {
    read_size: usize,
    write_size: usize,
    max_queued_packets: usize,
    max_queued_bytes: usize,
    idle_after: Duration,
}

impl Default for ConnectionConfig {
    /// 32 KiB read and write buffers (an SSH packet is at most 35000 bytes
    /// by RFC 4253, and most are far smaller), at most 64 queued packets
    /// and 256 KiB queued, buffers given back after 30 s of quiet.
    fn default() -> Self {
        Self {
            read_size: 32 << 10,
            write_size: 32 << 10,
            max_queued_packets: 64,
            max_queued_bytes: 256 << 10,
            idle_after: Duration::from_secs(30),
        }
    }
}

impl ConnectionConfig {
    /// Room in the read buffer.
    #[must_use]
    pub const fn read_size(mut self, bytes: usize) -> Self {
        self.read_size = bytes;
        self
    }

    /// Room in the write buffer.
    #[must_use]
    pub const fn write_size(mut self, bytes: usize) -> Self {
        self.write_size = bytes;
        self
    }

    /// The most packets the queue holds.
    #[must_use]
    pub const fn max_queued_packets(mut self, packets: usize) -> Self {
        self.max_queued_packets = packets;
        self
    }

    /// The most packet bytes the queue holds.
    #[must_use]
    pub const fn max_queued_bytes(mut self, bytes: usize) -> Self {
        self.max_queued_bytes = bytes;
        self
    }

    /// How long the connection must be quiet before
    /// [`ConnectionBuffers::shrink_if_idle`] gives its empty buffers back.
    #[must_use]
    pub const fn idle_after(mut self, idle: Duration) -> Self {
        self.idle_after = idle;
        self
    }
}

/// A connection's read buffer, write buffer and queue of outgoing packets,
/// all from one [`BufferPool`] and all wiped when they go back to it.
///
/// Buffers are taken when first used and given back by
/// [`shrink_if_idle`](Self::shrink_if_idle) (when empty and quiet) and
/// [`burn`](Self::burn); the queue is capped in packets and bytes.
///
/// ```
/// use std::io::Write;
/// use secstream::pool::{BufferPool, Config, ConnectionBuffers, ConnectionConfig};
///
/// let pool = BufferPool::new(Config::default());
/// let mut conn = ConnectionBuffers::new(&pool, ConnectionConfig::default());
/// conn.write_buf()?.write_all(b"SSH-2.0-secstream\r\n")?;
/// conn.queue_packet(b"\x00\x00\x00\x0c\x0a\x15hello...")?;
/// assert_eq!(conn.queued_packets(), 1);
/// assert!(conn.memory_usage() >= 32 << 10);
/// conn.burn(); // everything wiped and back in the pool
/// assert_eq!(conn.memory_usage(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// `Debug` shows sizes, never contents.
pub struct ConnectionBuffers {
    pool: BufferPool,
    config: ConnectionConfig,
    read: Option<PooledBuf<'static>>,
    write: Option<PooledBuf<'static>>,
    queue: VecDeque<PooledBuf<'static>>,
    queued_bytes: usize,
    /// Pool-clock time of the last use.
    last_active: Duration,
}

impl ConnectionBuffers {
    /// Buffers for one connection, taken from `pool` as they are needed.
    #[must_use]
    pub fn new(pool: &BufferPool, config: ConnectionConfig) -> Self {
        Self {
            pool: pool.clone(),
            config,
            read: None,
            write: None,
            queue: VecDeque::new(),
            queued_bytes: 0,
            last_active: pool.now(),
        }
    }

    fn buf<'a>(
        pool: &BufferPool,
        slot: &'a mut Option<PooledBuf<'static>>,
        size: usize,
    ) -> Result<&'a mut PooledBuf<'static>, Error> {
        match slot {
            Some(buf) => Ok(buf),
            None => Ok(slot.insert(pool.try_acquire(size)?.into_owned())),
        }
    }

    /// The read buffer, taken from the pool on first use.
    ///
    /// # Errors
    /// As [`BufferPool::try_acquire`].
    pub fn read_buf(&mut self) -> Result<&mut PooledBuf<'static>, Error> {
        self.last_active = self.pool.now();
        Self::buf(&self.pool, &mut self.read, self.config.read_size)
    }

    /// The write buffer, taken from the pool on first use.
    ///
    /// # Errors
    /// As [`BufferPool::try_acquire`].
    pub fn write_buf(&mut self) -> Result<&mut PooledBuf<'static>, Error> {
        self.last_active = self.pool.now();
        Self::buf(&self.pool, &mut self.write, self.config.write_size)
    }

    /// Copies `packet` into a pool buffer at the back of the queue.
    ///
    /// # Errors
    /// [`Error::QueueFull`] when it would pass the packet or byte cap
    /// (nothing is queued); as [`BufferPool::try_acquire`].
    pub fn queue_packet(&mut self, packet: &[u8]) -> Result<(), Error> {
        let bytes = self.queued_bytes.saturating_add(packet.len());
        if self.queue.len() >= self.config.max_queued_packets
            || bytes > self.config.max_queued_bytes
        {
            return Err(Error::QueueFull {
                packets: self.queue.len(),
                bytes: self.queued_bytes,
            });
        }
        let mut buf = self.pool.try_acquire(packet.len())?.into_owned();
        buf.extend_from_slice(packet)?;
        self.queue.push_back(buf);
        self.queued_bytes = bytes;
        self.last_active = self.pool.now();
        Ok(())
    }

    /// The packet at the front of the queue; dropping it wipes it and gives
    /// its buffer back.
    pub fn pop_packet(&mut self) -> Option<PooledBuf<'static>> {
        let buf = self.queue.pop_front()?;
        self.queued_bytes -= buf.len();
        self.last_active = self.pool.now();
        Some(buf)
    }

    /// Packets queued.
    #[must_use]
    pub fn queued_packets(&self) -> usize {
        self.queue.len()
    }

    /// Packet bytes queued.
    #[must_use]
    pub fn queued_bytes(&self) -> usize {
        self.queued_bytes
    }

    /// Gives the read and write buffers back to the pool if they are empty
    /// and the connection has been quiet for the configured time; returns the
    /// bytes given back. A buffer holding data is kept.
    pub fn shrink_if_idle(&mut self) -> usize {
        if self.pool.now().saturating_sub(self.last_active) < self.config.idle_after {
            return 0;
        }
        let mut freed = 0;
        for slot in [&mut self.read, &mut self.write] {
            if slot.as_ref().is_some_and(|b| b.is_empty()) {
                freed += slot.take().map_or(0, |b| b.capacity());
            }
        }
        freed
    }

    /// Bytes of pool buffers this connection holds (capacities).
    #[must_use]
    pub fn memory_usage(&self) -> usize {
        let own = [&self.read, &self.write]
            .into_iter()
            .flatten()
            .map(|b| b.capacity())
            .sum::<usize>();
        own + self.queue.iter().map(|b| b.capacity()).sum::<usize>()
    }

    /// Wipes every buffer and gives it back, queued packets included.
    pub fn burn(&mut self) {
        self.read = None;
        self.write = None;
        self.queue.clear();
        self.queued_bytes = 0;
    }
}

impl fmt::Debug for ConnectionBuffers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectionBuffers")
            .field("queued_packets", &self.queue.len())
            .field("queued_bytes", &self.queued_bytes)
            .field("memory_usage", &self.memory_usage())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::{Config, ManualClock};
    use std::io::Write;
    use std::sync::Arc;

    fn setup() -> (BufferPool, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new());
        let pool = BufferPool::with_clock(Config::default(), clock.clone());
        (pool, clock)
    }

    #[test]
    fn queue_caps_hold_by_count_and_bytes() {
        let (pool, _) = setup();
        let config = ConnectionConfig::default()
            .max_queued_packets(3)
            .max_queued_bytes(100);
        let mut conn = ConnectionBuffers::new(&pool, config);
        conn.queue_packet(&[1; 60]).unwrap();
        assert_eq!(
            conn.queue_packet(&[2; 41]),
            Err(Error::QueueFull {
                packets: 1,
                bytes: 60
            })
        );
        conn.queue_packet(&[2; 40]).unwrap();
        conn.queue_packet(&[]).unwrap();
        assert!(matches!(
            conn.queue_packet(&[]),
            Err(Error::QueueFull { packets: 3, .. })
        ));
        assert_eq!(conn.queued_bytes(), 100);
        assert_eq!(&*conn.pop_packet().unwrap(), &[1; 60]);
        assert_eq!(conn.queued_bytes(), 40);
        conn.queue_packet(&[3; 60]).unwrap();
        assert_eq!(conn.queued_packets(), 3);
    }

    #[test]
    fn shrinks_when_quiet_and_burns() {
        let (pool, clock) = setup();
        let config = ConnectionConfig::default()
            .read_size(1000)
            .write_size(4000)
            .idle_after(Duration::from_secs(5));
        let mut conn = ConnectionBuffers::new(&pool, config);
        conn.read_buf()
            .unwrap()
            .write_all(b"partial packet")
            .unwrap();
        conn.write_buf().unwrap();
        conn.queue_packet(b"queued").unwrap();
        assert_eq!(conn.memory_usage(), 1024 + 4096 + 64);
        clock.advance(Duration::from_secs(4));
        assert_eq!(conn.shrink_if_idle(), 0);
        clock.advance(Duration::from_secs(1));
        // The empty write buffer goes back; the read buffer holds data.
        assert_eq!(conn.shrink_if_idle(), 4096);
        assert_eq!(conn.memory_usage(), 1024 + 64);
        assert_eq!(pool.stats().outstanding_bytes, 1024 + 64);
        conn.burn();
        assert_eq!(conn.memory_usage(), 0);
        let s = pool.stats();
        assert_eq!((s.outstanding_bytes, s.idle_bytes), (0, 1024 + 4096 + 64));
        assert!(pool.idle_all_zero());
    }

    #[test]
    fn debug_shows_no_contents() {
        let (pool, _) = setup();
        let mut conn = ConnectionBuffers::new(&pool, ConnectionConfig::default());
        conn.queue_packet(b"hunter2").unwrap();
        let s = format!("{conn:?}");
        assert!(!s.contains("hunter2") && !s.contains("104, 117"), "{s}");
    }
}

//! An ordered pool of worker threads: jobs numbered in submission order go to
//! whichever worker is free, and results come back in that order.

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use crate::Error;

/// The work each job gets.
pub(crate) type Task<J, O> = Arc<dyn Fn(J) -> O + Send + Sync>;

/// Worker threads (or none: jobs then run in the submitting thread) with
/// results in submission order. The caller bounds what is in flight
/// ([`in_flight`](Self::in_flight)); dropping the pool lets each worker finish
/// its job and joins them.
pub(crate) struct Workers<J: Send + 'static, O: Send + 'static> {
    task: Task<J, O>,
    jobs: Option<SyncSender<(u64, J)>>,
    results: Option<Receiver<(u64, Result<O, Error>)>>,
    handles: Vec<JoinHandle<()>>,
    /// Results that came back before their turn.
    early: BTreeMap<u64, Result<O, Error>>,
    submitted: u64,
    taken: u64,
}

impl<J: Send + 'static, O: Send + 'static> Workers<J, O> {
    /// `threads` workers running `task`; 0 runs every job at submission, in
    /// the caller's thread.
    pub(crate) fn new(threads: usize, task: Task<J, O>) -> Result<Self, Error> {
        let mut w = Self {
            task,
            jobs: None,
            results: None,
            handles: Vec::new(),
            early: BTreeMap::new(),
            submitted: 0,
            taken: 0,
        };
        if threads == 0 {
            return Ok(w);
        }
        let (job_tx, job_rx) = mpsc::sync_channel::<(u64, J)>(threads);
        let (res_tx, res_rx) = mpsc::channel();
        let job_rx = Arc::new(Mutex::new(job_rx));
        for i in 0..threads {
            let job_rx = Arc::clone(&job_rx);
            let res_tx = res_tx.clone();
            let task = Arc::clone(&w.task);
            let h = std::thread::Builder::new()
                .name(format!("secstream-worker-{i}"))
                .spawn(move || {
                    loop {
                        let next = job_rx.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        let Ok((seq, job)) = next else { break };
                        // A panicking job is reported as this job's error; the
                        // job's buffers are dropped (wiped) while unwinding.
                        let out = panic::catch_unwind(AssertUnwindSafe(|| task(job)))
                            .map_err(|_| Error::Worker);
                        if res_tx.send((seq, out)).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|_| Error::Worker)?;
            w.handles.push(h);
        }
        w.jobs = Some(job_tx);
        w.results = Some(res_rx);
        Ok(w)
    }

    /// Jobs submitted and not yet taken.
    pub(crate) const fn in_flight(&self) -> u64 {
        self.submitted - self.taken
    }

    /// Submits the next job (blocks while every worker is busy and the queue
    /// is full).
    pub(crate) fn submit(&mut self, job: J) -> Result<(), Error> {
        let seq = self.submitted;
        match &self.jobs {
            Some(tx) => tx.send((seq, job)).map_err(|_| Error::Worker)?,
            None => {
                let out = (self.task)(job);
                self.early.insert(seq, Ok(out));
            }
        }
        self.submitted += 1;
        Ok(())
    }

    /// The result of the oldest job not yet taken (waiting for it); `None`
    /// when nothing is in flight.
    pub(crate) fn next(&mut self) -> Option<Result<O, Error>> {
        if self.in_flight() == 0 {
            return None;
        }
        let want = self.taken;
        let out = loop {
            if let Some(out) = self.early.remove(&want) {
                break out;
            }
            let Some(rx) = &self.results else {
                break Err(Error::Worker);
            };
            match rx.recv() {
                Ok((seq, out)) => {
                    self.early.insert(seq, out);
                }
                // Every worker is gone.
                Err(_) => break Err(Error::Worker),
            }
        };
        self.taken += 1;
        Some(out)
    }
}

impl<J: Send + 'static, O: Send + 'static> Drop for Workers<J, O> {
    fn drop(&mut self) {
        // Closing the queue ends each worker after its current job.
        self.jobs = None;
        self.results = None;
        for h in self.handles.drain(..) {
            let _ = h.join();
        }
        self.early.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_submission_order_whatever_the_thread_count() {
        for threads in [0, 1, 3] {
            let task: Task<u64, u64> = Arc::new(|x| {
                // Later jobs finish first.
                std::thread::sleep(std::time::Duration::from_micros((10 - x % 10) * 50));
                x * x
            });
            let mut w = Workers::new(threads, task).unwrap();
            let mut got = Vec::new();
            for x in 0..40u64 {
                if w.in_flight() >= 6 {
                    got.push(w.next().unwrap().unwrap());
                }
                w.submit(x).unwrap();
            }
            while let Some(r) = w.next() {
                got.push(r.unwrap());
            }
            let want: Vec<u64> = (0..40).map(|x| x * x).collect();
            assert_eq!(got, want, "{threads} threads");
        }
    }

    #[test]
    fn a_panicking_job_is_its_own_error_and_the_others_go_on() {
        let task: Task<u32, u32> = Arc::new(|x| {
            assert!(x != 2, "job 2 fails");
            x
        });
        let mut w = Workers::new(2, task).unwrap();
        for x in 0..4 {
            w.submit(x).unwrap();
        }
        assert_eq!(w.next().unwrap().unwrap(), 0);
        assert_eq!(w.next().unwrap().unwrap(), 1);
        assert!(matches!(w.next().unwrap(), Err(Error::Worker)));
        assert_eq!(w.next().unwrap().unwrap(), 3);
        assert!(w.next().is_none());
    }
}

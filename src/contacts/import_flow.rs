//! How an import's chunks travel to the worker: a few on their way at once, answers taken in
//! the order they were sent, nothing more sent after a refusal.
//!
//! With one chunk on its way at a time the worker sits idle while the page waits for each
//! answer, and the database while the worker prepares the next chunk; with two, the worker
//! prepares a chunk while the database writes the one before (`make bench`: the import of
//! 20,000 contacts took ≈6 % less). The chunks form one batch, kept whole or not at all: the
//! page's bar shows what was written, and only the last chunk's answer says it was kept.

use std::collections::VecDeque;
use std::future::Future;

/// What the worker answered for one chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkAnswer {
    /// Written (not yet kept), with this many contacts.
    Written(usize),
    /// The last chunk: the whole import kept, with this many contacts.
    Kept(usize),
    /// Refused, with the worker's reason (nothing of the import is kept).
    Refused(String),
}

/// How an import ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Contacts written, over every chunk the worker accepted.
    pub written: usize,
    /// Contacts kept: the last chunk's count, 0 unless it arrived.
    pub kept: usize,
    /// The first refusal's reason, when a chunk was refused.
    pub refused: Option<String>,
}

/// Sends `chunks` with `send` (which sends at once and returns the answer to wait for), at
/// most `in_flight` unanswered at a time. After a refusal nothing more is sent; the answers
/// of chunks already on their way are still counted. `progress` gets the running total after
/// each answer. A broken answer (`Err`) ends it at once.
pub async fn send_chunks<C, A, E>(
    chunks: impl IntoIterator<Item = C>,
    in_flight: usize,
    mut send: impl FnMut(C) -> A,
    mut progress: impl FnMut(usize),
) -> Result<ImportOutcome, E>
where
    A: Future<Output = Result<ChunkAnswer, E>>,
{
    let mut chunks = chunks.into_iter();
    let mut waiting = VecDeque::new();
    let mut outcome = ImportOutcome {
        written: 0,
        kept: 0,
        refused: None,
    };
    loop {
        while waiting.len() < in_flight.max(1) && outcome.refused.is_none() {
            let Some(chunk) = chunks.next() else { break };
            waiting.push_back(send(chunk));
        }
        let Some(answer) = waiting.pop_front() else {
            return Ok(outcome);
        };
        match answer.await? {
            ChunkAnswer::Written(count) => outcome.written += count,
            ChunkAnswer::Kept(count) => {
                outcome.written = count;
                outcome.kept = count;
            }
            ChunkAnswer::Refused(reason) => {
                outcome.refused = outcome.refused.or(Some(reason));
            }
        }
        progress(outcome.written);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::block_on;
    use std::cell::RefCell;

    /// Sends chunks of sizes `sizes` (a size of 0 is refused), logging each send and each
    /// answer as it is taken.
    fn run(sizes: &[usize], in_flight: usize) -> (Result<ImportOutcome, String>, Vec<String>) {
        let log = RefCell::new(Vec::new());
        let outcome = block_on(send_chunks(
            sizes.iter().copied().enumerate(),
            in_flight,
            |(index, size)| {
                log.borrow_mut().push(format!("send {index}"));
                let log = &log;
                async move {
                    log.borrow_mut().push(format!("answer {index}"));
                    match size {
                        0 => Ok(ChunkAnswer::Refused(format!("chunk {index} refused"))),
                        _ if index + 1 == sizes.len() => {
                            Ok(ChunkAnswer::Kept(sizes.iter().sum::<usize>()))
                        }
                        n => Ok(ChunkAnswer::Written(n)),
                    }
                }
            },
            |total| log.borrow_mut().push(format!("progress {total}")),
        ));
        (outcome, log.into_inner())
    }

    #[test]
    fn two_in_flight_sends_the_next_chunk_before_taking_an_answer() {
        let (outcome, log) = run(&[2, 2, 1], 2);
        assert_eq!(
            outcome,
            Ok(ImportOutcome {
                written: 5,
                kept: 5,
                refused: None
            })
        );
        assert_eq!(
            log,
            [
                "send 0",
                "send 1",
                "answer 0",
                "progress 2",
                "send 2",
                "answer 1",
                "progress 4",
                "answer 2",
                "progress 5"
            ]
        );
    }

    #[test]
    fn after_a_refusal_nothing_more_is_sent_and_what_was_on_its_way_is_counted() {
        let (outcome, log) = run(&[2, 0, 3, 4], 2);
        assert_eq!(
            outcome,
            Ok(ImportOutcome {
                written: 5,
                kept: 0,
                refused: Some("chunk 1 refused".into())
            })
        );
        assert!(!log.contains(&"send 3".to_owned()), "{log:?}");
        assert!(log.contains(&"answer 2".to_owned()), "{log:?}");
    }

    #[test]
    fn one_in_flight_waits_for_each_answer() {
        let (_, log) = run(&[1, 1], 1);
        assert_eq!(
            log,
            [
                "send 0",
                "answer 0",
                "progress 1",
                "send 1",
                "answer 1",
                "progress 2"
            ]
        );
    }

    #[test]
    fn a_broken_answer_ends_the_import() {
        let sent = RefCell::new(0);
        let outcome = block_on(send_chunks(
            [1, 2, 3],
            1,
            |chunk| {
                *sent.borrow_mut() += 1;
                async move {
                    match chunk {
                        2 => Err("port closed".to_owned()),
                        n => Ok(ChunkAnswer::Written(n)),
                    }
                }
            },
            |_| {},
        ));
        assert_eq!(outcome, Err("port closed".to_owned()));
        assert_eq!(*sent.borrow(), 2);
    }
}

//! The control protocol, framed over TCP: each frame is a 4-byte big-endian length and a JSON
//! object. A session is:
//!
//! 1. control connection: client → `hello` (version, and a plan per direction wanted);
//!    far end → `welcome` (a session number) or `refuse` (why);
//! 2. one data connection per direction: client → `join` (session, direction), then raw
//!    payload — from the client for `upload`, from the far end for `download` — until the
//!    sender's plan has run out and it closes its side;
//! 3. control connection: far end → `report` (payload it received and sent), once both data
//!    connections are done.
//!
//! Frames are counted (`control_bytes`) so the summary can say exactly which bytes were not
//! payload.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};

use crate::error::{GenerateError, Result};
use crate::rate::Plan;

/// The protocol version a hello carries.
pub const VERSION: u32 = 1;
/// The largest frame accepted: frames are small, so more is not this protocol.
const MAX_FRAME: u32 = 4096;

/// Which way payload flows, as seen by the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The client sends.
    Upload,
    /// The far end sends ("download": the peer sends to us).
    Download,
}

/// One frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Frame {
    /// Opens a session.
    Hello {
        /// [`VERSION`].
        version: u32,
        /// What the client will send, if anything.
        upload: Option<Plan>,
        /// What the far end is to send, if anything.
        download: Option<Plan>,
    },
    /// The session was accepted.
    Welcome {
        /// Its number, for the data connections' `join`.
        session: u64,
    },
    /// The session was not accepted.
    Refuse {
        /// Why, for a person.
        reason: String,
    },
    /// Opens a data connection of a session.
    Join {
        /// The session's number.
        session: u64,
        /// Which way this connection's payload flows.
        direction: Direction,
    },
    /// The far end's counts, once the payload is done.
    Report {
        /// Upload payload bytes the far end received.
        received: u64,
        /// Download payload bytes the far end sent.
        sent: u64,
    },
}

/// Writes one frame; returns its size on the wire.
pub fn write_frame<W: Write + ?Sized>(w: &mut W, frame: &Frame) -> Result<u64> {
    let body = serde_json::to_vec(frame).map_err(|e| GenerateError::Protocol(e.to_string()))?;
    let mut buf = Vec::with_capacity(body.len() + 4);
    buf.extend_from_slice(&(body.len() as u32).to_be_bytes());
    buf.extend_from_slice(&body);
    w.write_all(&buf)
        .map_err(GenerateError::io("sending a control frame"))?;
    Ok(buf.len() as u64)
}

/// Reads one frame; returns it and its size on the wire.
pub fn read_frame<R: Read + ?Sized>(r: &mut R) -> Result<(Frame, u64)> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            GenerateError::Protocol("the other end closed the connection early".into())
        } else {
            GenerateError::Io {
                op: "reading a control frame",
                source: e,
            }
        }
    })?;
    let len = u32::from_be_bytes(len);
    if len > MAX_FRAME {
        return Err(GenerateError::Protocol(format!(
            "a frame of {len} bytes; is the other end `bandwatch generate --serve`?"
        )));
    }
    let mut body = vec![0u8; len as usize];
    r.read_exact(&mut body)
        .map_err(GenerateError::io("reading a control frame"))?;
    let frame = serde_json::from_slice(&body).map_err(|e| {
        GenerateError::Protocol(format!(
            "not a frame of this protocol ({e}); is the other end `bandwatch generate --serve`?"
        ))
    })?;
    Ok((frame, 4 + u64::from(len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_a_length_and_json() {
        let mut buf = Vec::new();
        let n = write_frame(&mut buf, &Frame::Welcome { session: 7 }).expect("write");
        assert_eq!(buf[..4], [0, 0, 0, 30]);
        assert_eq!(&buf[4..], br#"{"type":"welcome","session":7}"#);
        assert_eq!(n, 34);
    }

    #[test]
    fn frames_round_trip_with_their_sizes() {
        let frames = [
            Frame::Hello {
                version: VERSION,
                upload: Some(Plan::new(1_000_000, std::time::Duration::from_secs(3))),
                download: None,
            },
            Frame::Join {
                session: 1,
                direction: Direction::Download,
            },
            Frame::Report {
                received: 10,
                sent: 20,
            },
            Frame::Refuse {
                reason: "no".into(),
            },
        ];
        let mut buf = Vec::new();
        let sizes: Vec<u64> = frames
            .iter()
            .map(|f| write_frame(&mut buf, f).expect("write"))
            .collect();
        let mut r = buf.as_slice();
        for (f, size) in frames.iter().zip(sizes) {
            assert_eq!(read_frame(&mut r).expect("read"), (f.clone(), size));
        }
        assert!(r.is_empty());
    }

    #[test]
    fn garbage_is_a_protocol_error_not_a_huge_allocation() {
        let mut r: &[u8] = b"GET / HTTP/1.1\r\n\r\n";
        let err = read_frame(&mut r).unwrap_err().to_string();
        assert!(err.contains("--serve"), "{err}");
        let mut r: &[u8] = &[0, 0, 0, 2, b'{', b'}'];
        assert!(matches!(
            read_frame(&mut r),
            Err(GenerateError::Protocol(_))
        ));
        let mut r: &[u8] = &[0, 0];
        assert!(read_frame(&mut r)
            .unwrap_err()
            .to_string()
            .contains("closed"));
    }
}

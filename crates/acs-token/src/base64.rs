//! A base64 decoder that accepts both the URL-safe and the standard alphabet, with or without
//! `=` padding, as the official SDKs' decoders do. One table serves both alphabets, so a token is
//! decoded in a single pass with no normalising copy.

const INVALID: u8 = 0xFF;

const DECODE_TABLE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 26 {
        table[b'A' as usize + i] = i as u8;
        table[b'a' as usize + i] = 26 + i as u8;
        i += 1;
    }
    let mut d = 0;
    while d < 10 {
        table[b'0' as usize + d] = 52 + d as u8;
        d += 1;
    }
    table[b'+' as usize] = 62;
    table[b'-' as usize] = 62;
    table[b'/' as usize] = 63;
    table[b'_' as usize] = 63;
    table
};

/// Invalid base64 input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidBase64;

/// How many bytes `input` decodes to, or an error when its length cannot be base64.
pub(crate) fn decoded_len(input: &[u8]) -> Result<usize, InvalidBase64> {
    let unpadded = strip_padding(input)?;
    match unpadded.len() % 4 {
        1 => Err(InvalidBase64),
        rem => Ok(unpadded.len() / 4 * 3 + rem.saturating_sub(1)),
    }
}

fn strip_padding(input: &[u8]) -> Result<&[u8], InvalidBase64> {
    let pad = input.iter().rev().take_while(|&&b| b == b'=').count();
    if pad == 0 {
        return Ok(input);
    }
    // Padding is only valid when it completes the last 4-character group, at most twice.
    if pad > 2 || !input.len().is_multiple_of(4) {
        return Err(InvalidBase64);
    }
    Ok(&input[..input.len() - pad])
}

/// Decodes `input` into `out`, which must be exactly `decoded_len(input)` bytes long.
pub(crate) fn decode_into(input: &[u8], out: &mut [u8]) -> Result<(), InvalidBase64> {
    let input = strip_padding(input)?;
    let mut chunks = input.chunks_exact(4);
    let mut written = 0;
    for chunk in chunks.by_ref() {
        let n = sextet(chunk[0])? << 18
            | sextet(chunk[1])? << 12
            | sextet(chunk[2])? << 6
            | sextet(chunk[3])?;
        let bytes = n.to_be_bytes();
        out.get_mut(written..written + 3)
            .ok_or(InvalidBase64)?
            .copy_from_slice(&bytes[1..4]);
        written += 3;
    }
    let rest = chunks.remainder();
    match rest.len() {
        0 => {}
        2 => {
            let n = sextet(rest[0])? << 18 | sextet(rest[1])? << 12;
            // Bits that do not fit a whole byte must be zero, or two inputs decode alike.
            if n & 0xFFFF != 0 {
                return Err(InvalidBase64);
            }
            *out.get_mut(written).ok_or(InvalidBase64)? = (n >> 16) as u8;
            written += 1;
        }
        3 => {
            let n = sextet(rest[0])? << 18 | sextet(rest[1])? << 12 | sextet(rest[2])? << 6;
            if n & 0xFF != 0 {
                return Err(InvalidBase64);
            }
            let bytes = n.to_be_bytes();
            out.get_mut(written..written + 2)
                .ok_or(InvalidBase64)?
                .copy_from_slice(&bytes[1..3]);
            written += 2;
        }
        _ => return Err(InvalidBase64),
    }
    if written == out.len() {
        Ok(())
    } else {
        Err(InvalidBase64)
    }
}

#[inline]
fn sextet(byte: u8) -> Result<u32, InvalidBase64> {
    match DECODE_TABLE[byte as usize] {
        INVALID => Err(InvalidBase64),
        value => Ok(u32::from(value)),
    }
}

/// Encodes `input` as unpadded base64url (the JWT form).
#[cfg(any(test, feature = "test-util"))]
pub(crate) fn encode_url_unpadded(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let n = u32::from(chunk[0]) << 16
            | u32::from(*chunk.get(1).unwrap_or(&0)) << 8
            | u32::from(*chunk.get(2).unwrap_or(&0));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 0x3F) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(input: &str) -> Result<Vec<u8>, InvalidBase64> {
        let mut out = vec![0; decoded_len(input.as_bytes())?];
        decode_into(input.as_bytes(), &mut out)?;
        Ok(out)
    }

    #[test]
    fn decodes_both_alphabets_with_and_without_padding() {
        // 0xfb 0xff encodes to "-_8" (url) and "+/8" (standard).
        assert_eq!(decode("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode("+/8=").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode("+/8").unwrap(), [0xfb, 0xff]);
        assert_eq!(decode("YQ").unwrap(), b"a");
        assert_eq!(decode("YQ==").unwrap(), b"a");
        assert_eq!(decode("YWI=").unwrap(), b"ab");
        assert_eq!(decode("YWJj").unwrap(), b"abc");
        assert_eq!(decode("").unwrap(), b"");
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in [
            "Y", "YQ=", "YQ===", "Y===", "YQ=a", "Y Q", "YQ!!", "YR", "YWJ", "=", "====",
        ] {
            assert!(decode(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn encode_round_trips() {
        for len in 0..40u8 {
            let data: Vec<u8> = (0..len)
                .map(|i| i.wrapping_mul(37).wrapping_add(len))
                .collect();
            assert_eq!(decode(&encode_url_unpadded(&data)).unwrap(), data);
        }
    }
}

//! RFC 1123 dates (`Wed, 13 Apr 2022 18:09:12 GMT`) through the `httpdate` crate, the one
//! HTTP-date implementation of the workspace (acs-http reads `Retry-After` with it too).
//! Formatting writes into a 29-byte array: signing allocates nothing for the date.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use time::{OffsetDateTime, UtcOffset};

/// Length of every RFC 1123 date this module writes.
pub(crate) const RFC1123_LEN: usize = 29;

/// The years an HTTP-date can hold here (httpdate's range).
const YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;

/// Writes `instant` (converted to UTC) as an RFC 1123 date; `None` outside the years 1970 to
/// 9999.
pub(crate) fn format_rfc1123(instant: OffsetDateTime) -> Option<[u8; RFC1123_LEN]> {
    let utc = instant.checked_to_offset(UtcOffset::UTC)?;
    if !YEARS.contains(&utc.year()) {
        return None;
    }
    let seconds = u64::try_from(utc.unix_timestamp()).ok()?;
    let date = httpdate::HttpDate::from(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds));
    let mut out = FixedBuffer::default();
    write!(out, "{date}").ok()?;
    (out.len == RFC1123_LEN).then_some(out.bytes)
}

/// Reads an HTTP-date: the RFC 1123 form [`format_rfc1123`] writes (also .NET's `"r"` format
/// and JavaScript's `toUTCString()`), or either obsolete form (RFC 850, asctime). The weekday
/// must agree with the date.
pub(crate) fn parse_rfc1123(text: &[u8]) -> Option<OffsetDateTime> {
    let at = httpdate::parse_http_date(std::str::from_utf8(text).ok()?).ok()?;
    let seconds = at.duration_since(SystemTime::UNIX_EPOCH).ok()?.as_secs();
    OffsetDateTime::from_unix_timestamp(i64::try_from(seconds).ok()?).ok()
}

/// A `fmt::Write` into a fixed array; refuses to overflow.
#[derive(Default)]
struct FixedBuffer {
    bytes: [u8; RFC1123_LEN],
    len: usize,
}

impl std::fmt::Write for FixedBuffer {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        let end = self.len + text.len();
        let slot = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn formatted(instant: OffsetDateTime) -> String {
        String::from_utf8(format_rfc1123(instant).unwrap().to_vec()).unwrap()
    }

    #[test]
    fn formats_the_reference_date() {
        assert_eq!(
            formatted(datetime!(2022-04-13 18:09:12 UTC)),
            "Wed, 13 Apr 2022 18:09:12 GMT"
        );
    }

    #[test]
    fn pads_single_digit_fields_with_zeros() {
        assert_eq!(
            formatted(datetime!(2024-03-05 07:08:09 UTC)),
            "Tue, 05 Mar 2024 07:08:09 GMT"
        );
        assert_eq!(
            formatted(datetime!(1970-01-01 00:00:00 UTC)),
            "Thu, 01 Jan 1970 00:00:00 GMT"
        );
    }

    #[test]
    fn converts_other_offsets_to_gmt() {
        assert_eq!(
            formatted(datetime!(2022-04-14 01:09:12 +07:00)),
            "Wed, 13 Apr 2022 18:09:12 GMT"
        );
    }

    #[test]
    fn drops_sub_second_precision() {
        assert_eq!(
            formatted(datetime!(2022-12-31 23:59:59.999 UTC)),
            "Sat, 31 Dec 2022 23:59:59 GMT"
        );
    }

    #[test]
    fn refuses_years_outside_1970_to_9999() {
        assert!(format_rfc1123(datetime!(-0001-06-01 00:00:00 UTC)).is_none());
        assert!(format_rfc1123(datetime!(1969-12-31 23:59:59 UTC)).is_none());
        assert_eq!(
            formatted(datetime!(9999-12-31 23:59:59 UTC)),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
    }

    #[test]
    fn surrounding_white_space_is_not_part_of_a_field_value() {
        // RFC 9110 §5.5: white space around a field value is not part of it.
        assert_eq!(
            parse_rfc1123(b"Wed, 13 Apr 2022 18:09:12 GMT "),
            Some(datetime!(2022-04-13 18:09:12 UTC))
        );
    }

    #[test]
    fn reads_the_obsolete_forms_too() {
        let instant = datetime!(1994-11-06 08:49:37 UTC);
        assert_eq!(
            parse_rfc1123(b"Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(instant)
        );
        assert_eq!(parse_rfc1123(b"Sun Nov  6 08:49:37 1994"), Some(instant));
    }

    #[test]
    fn parses_what_it_formats() {
        let instant = datetime!(2022-04-13 18:09:12 UTC);
        assert_eq!(
            parse_rfc1123(&format_rfc1123(instant).unwrap()),
            Some(instant)
        );
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in [
            "Thu, 13 Apr 2022 18:09:12 GMT", // wrong weekday
            "Wed, 13 Apr 2022 18:09:12 UTC",
            "Wed, 3 Apr 2022 18:09:12 GMT",
            "Wed, 13 Abr 2022 18:09:12 GMT",
            "Wed, 31 Apr 2022 18:09:12 GMT",
            "Wed, 13 Apr 2022 24:09:12 GMT",
            "Wed,13 Apr 2022 18:09:12 GMT ",
            "2022-04-13T18:09:12Z",
            "",
        ] {
            assert_eq!(parse_rfc1123(bad.as_bytes()), None, "{bad}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        #[test]
        fn round_trips_any_second(seconds in 0_i64..253_402_300_799) {
            let instant = OffsetDateTime::from_unix_timestamp(seconds).unwrap();
            let text = format_rfc1123(instant).unwrap();
            proptest::prop_assert_eq!(parse_rfc1123(&text), Some(instant));
        }
    }
}

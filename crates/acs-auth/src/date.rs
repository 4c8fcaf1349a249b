//! RFC 1123 dates (`Wed, 13 Apr 2022 18:09:12 GMT`), written and read by hand: the format is
//! fixed-width ASCII, so a 29-byte array does it without allocating or locale surprises.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// Length of every RFC 1123 date this module writes or reads.
pub(crate) const RFC1123_LEN: usize = 29;

const WEEKDAYS: [&[u8; 3]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// Writes `instant` (converted to UTC) as an RFC 1123 date; `None` when its year does not fit in
/// four digits.
pub(crate) fn format_rfc1123(instant: OffsetDateTime) -> Option<[u8; RFC1123_LEN]> {
    let utc = instant.checked_to_offset(UtcOffset::UTC)?;
    let year = u16::try_from(utc.year())
        .ok()
        .filter(|year| *year <= 9999)?;
    let mut out = *b"Www, DD Mmm YYYY HH:MM:SS GMT";
    out[0..3].copy_from_slice(WEEKDAYS[usize::from(utc.weekday().number_days_from_monday())]);
    put_two_digits(&mut out[5..7], utc.day());
    out[8..11].copy_from_slice(MONTHS[usize::from(u8::from(utc.month()) - 1)]);
    put_two_digits(&mut out[12..14], (year / 100) as u8);
    put_two_digits(&mut out[14..16], (year % 100) as u8);
    put_two_digits(&mut out[17..19], utc.hour());
    put_two_digits(&mut out[20..22], utc.minute());
    put_two_digits(&mut out[23..25], utc.second());
    Some(out)
}

fn put_two_digits(out: &mut [u8], value: u8) {
    out[0] = b'0' + value / 10;
    out[1] = b'0' + value % 10;
}

/// Reads an RFC 1123 date in exactly the form [`format_rfc1123`] writes (which is also what
/// .NET's `"r"` format and JavaScript's `toUTCString()` produce). The weekday must agree with the
/// date.
pub(crate) fn parse_rfc1123(text: &[u8]) -> Option<OffsetDateTime> {
    let text: &[u8; RFC1123_LEN] = text.try_into().ok()?;
    let separators_ok = &text[3..5] == b", "
        && text[7] == b' '
        && text[11] == b' '
        && text[16] == b' '
        && text[19] == b':'
        && text[22] == b':'
        && &text[25..] == b" GMT";
    if !separators_ok {
        return None;
    }
    let weekday = WEEKDAYS.iter().position(|name| name[..] == text[0..3])?;
    let month = MONTHS.iter().position(|name| name[..] == text[8..11])?;
    let month = Month::try_from(u8::try_from(month + 1).ok()?).ok()?;
    let year = i32::from(two_digits(&text[12..14])?) * 100 + i32::from(two_digits(&text[14..16])?);
    let date = Date::from_calendar_date(year, month, two_digits(&text[5..7])?).ok()?;
    if date.weekday() != weekday_from_monday(weekday)? {
        return None;
    }
    let time = Time::from_hms(
        two_digits(&text[17..19])?,
        two_digits(&text[20..22])?,
        two_digits(&text[23..25])?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, time).assume_utc())
}

fn two_digits(text: &[u8]) -> Option<u8> {
    match text {
        [tens @ b'0'..=b'9', units @ b'0'..=b'9'] => Some((tens - b'0') * 10 + (units - b'0')),
        _ => None,
    }
}

fn weekday_from_monday(index: usize) -> Option<Weekday> {
    Some(match index {
        0 => Weekday::Monday,
        1 => Weekday::Tuesday,
        2 => Weekday::Wednesday,
        3 => Weekday::Thursday,
        4 => Weekday::Friday,
        5 => Weekday::Saturday,
        6 => Weekday::Sunday,
        _ => return None,
    })
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
            formatted(datetime!(0999-01-01 00:00:00 UTC)),
            "Tue, 01 Jan 0999 00:00:00 GMT"
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
    fn refuses_years_that_do_not_fit_four_digits() {
        assert!(format_rfc1123(datetime!(-0001-06-01 00:00:00 UTC)).is_none());
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
            "Wed, 13 Apr 2022 18:09:12 GMT ",
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
        fn round_trips_any_second(seconds in -62_135_596_800_i64..253_402_300_799) {
            let instant = OffsetDateTime::from_unix_timestamp(seconds).unwrap();
            let text = format_rfc1123(instant).unwrap();
            proptest::prop_assert_eq!(parse_rfc1123(&text), Some(instant));
        }
    }
}

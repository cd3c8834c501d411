import SpiglassCapture
import SpiglassWire

/// Timestamp renderings used in reports, without Foundation's date machinery.
enum TimeFormat {
    /// "2024-03-01T12:34:56.123456Z" (RFC 3339; nine decimals for a nanosecond time); nil for a
    /// time RFC 3339 cannot write (a year outside 0000-9999, which only a damaged or crafted
    /// capture holds).
    static func iso8601(_ t: Timestamp) -> String? {
        guard t.isRFC3339Representable else { return nil }
        let days = t.seconds >= 0 ? t.seconds / 86_400 : (t.seconds - 86_399) / 86_400
        let secondOfDay = t.seconds - days * 86_400
        // Civil-from-days (Howard Hinnant's algorithm), proleptic Gregorian.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return
            "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(fraction(t))Z"
    }

    /// `iso8601` for text reports: "invalid time (9223372036854775807 s since 1970)" when it has
    /// none.
    static func iso8601Text(_ t: Timestamp) -> String {
        iso8601(t) ?? "invalid time (\(t.seconds) s since 1970)"
    }

    /// The decimals of a second `t` shows: six for a microsecond time, nine for a nanosecond one.
    static func fraction(_ t: Timestamp) -> String {
        t.resolution == .microseconds ? pad(Int64(t.microseconds), 6) : pad(Int64(t.nanoseconds), 9)
    }

    /// The time from `start` to `end` in seconds, with the decimals of the finer of their
    /// resolutions ("12.000345", "12.000345678"), saturated (`CaptureDuration`).
    static func elapsed(from start: Timestamp, to end: Timestamp) -> String {
        seconds(CaptureDuration(from: start, to: end))
    }

    /// `elapsed` for a text line: "invalid" when no two times of the years 0000-9999 are that
    /// far apart (a time a damaged or crafted capture put out of range, which the timestamp
    /// warning names; saturated at Int64's end it would take 21 columns); JSON keeps the number.
    static func elapsedText(from start: Timestamp, to end: Timestamp) -> String {
        let duration = CaptureDuration(from: start, to: end)
        let seconds = duration.units.magnitude / UInt64(duration.resolution.unitsPerSecond)
        return seconds > maximumSpan ? "invalid" : self.seconds(duration)
    }

    /// Seconds from 0000-01-01 to 9999-12-31 (10,000 years of the Gregorian calendar).
    static let maximumSpan: UInt64 = 315_569_520_000

    /// A duration in seconds, with the decimals of its resolution: "0.004070", "0.004070123".
    static func seconds(_ duration: CaptureDuration) -> String {
        duration.resolution == .microseconds ? seconds(duration.units) : seconds(nanoseconds: duration.units)
    }

    /// Seconds with nine decimals: "12.000345678".
    static func seconds(nanoseconds: Int64) -> String { seconds(nanoseconds, in: .nanoseconds) }

    /// Seconds with six decimals: "12.000345".
    static func seconds(_ microseconds: Int64) -> String { seconds(microseconds, in: .microseconds) }

    private static func seconds(_ units: Int64, in resolution: TimestampResolution) -> String {
        let sign = units < 0 ? "-" : ""
        let m = units.magnitude
        let unitsPerSecond = UInt64(resolution.unitsPerSecond)
        return "\(sign)\(m / unitsPerSecond).\(pad(Int64(m % unitsPerSecond), resolution.digits))"
    }

    static func pad<T: BinaryInteger>(_ value: T, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

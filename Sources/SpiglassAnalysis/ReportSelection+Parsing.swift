import SpiglassCapture
import SpiglassWire

/// The command-line words of a selection: SPIs in hex, times as ISO 8601 or seconds.
extension ReportSelection {
    /// Adds `--spi TEXT`: hex, with or without 0x; up to 8 digits an ESP/AH SPI, 9 to 16 an
    /// IKE SPI (IKE SPIs are 64 bits; reports show them with 16 digits). An error says why not.
    public mutating func addSPI(_ text: String) -> String? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 16, let value = UInt64(digits, radix: 16) else {
            return "--spi: '\(text)' is not an SPI (hex: 8 digits for ESP/AH, 16 for IKE, 0x optional)"
        }
        if digits.count <= 8 {
            spis.insert(SPI(rawValue: UInt32(value)))
        } else {
            ikeSPIs.insert(value)
        }
        return nil
    }
}

extension ReportSelection.TimeBound {
    /// `--from`/`--to`: seconds since the first frame ("12", "3.25"), or an ISO 8601 time
    /// ("2024-05-01T10:00:00Z", "2024-05-01 10:00:00.5+02:00"; UTC when no offset is given).
    public static func parse(_ text: String) -> ReportSelection.TimeBound? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let (seconds, nanoseconds) = relativeSeconds(trimmed) {
            return .relative(seconds: seconds, nanoseconds: nanoseconds)
        }
        return ISO8601Time.parse(trimmed).map { .absolute($0) }
    }

    /// Non-negative decimal seconds, as seconds and nanoseconds (more digits are cut); nil for
    /// anything else.
    static func relativeSeconds(_ text: String) -> (Int64, Int32)? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = parts.first, !whole.isEmpty, whole.count <= 12,
            whole.allSatisfy(\.isASCIIDigit), let seconds = Int64(whole)
        else { return nil }
        var nanos: Int64 = 0
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.allSatisfy(\.isASCIIDigit) else { return nil }
            let nine = String(fraction.prefix(9))
            nanos = (Int64(nine) ?? 0) * pow10(9 - nine.count)
        }
        return (seconds, Int32(nanos))
    }
}

/// ISO 8601 / RFC 3339 date and time of day, as `--from`/`--to` take them.
enum ISO8601Time {
    /// "YYYY-MM-DD", then "T" or a space and "HH:MM[:SS[.fraction]]", then "Z" or "±HH[:MM]"
    /// (UTC when absent); a date alone is its midnight, UTC.
    static func parse(_ text: String) -> Timestamp? {
        let chars = Array(text.utf8)
        var at = 0
        func number(_ digits: Int) -> Int64? {
            guard at + digits <= chars.count else { return nil }
            var value: Int64 = 0
            for byte in chars[at..<at + digits] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            at += digits
            return value
        }
        func expect(_ byte: UInt8) -> Bool {
            guard at < chars.count, chars[at] == byte else { return false }
            at += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
            (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day)
        else { return nil }
        var seconds = daysFromCivil(year: year, month: month, day: day) * 86_400
        var nanos: Int64 = 0
        if at < chars.count {
            guard expect(84) || expect(116) || expect(32), let hour = number(2), expect(58), let minute = number(2),
                hour < 24, minute < 60
            else { return nil }
            seconds += hour * 3600 + minute * 60
            if expect(58) {
                guard let second = number(2), second < 61 else { return nil }
                seconds += second
                if expect(46) || expect(44) {
                    let start = at
                    while at < chars.count, (48...57).contains(chars[at]) { at += 1 }
                    guard at > start else { return nil }
                    let nine = chars[start..<min(at, start + 9)]
                    nanos = (Int64(String(decoding: nine, as: UTF8.self)) ?? 0) * pow10(9 - nine.count)
                }
            }
            guard let offset = zoneOffset(chars, from: at) else { return nil }
            seconds -= offset
        }
        return Timestamp(seconds: seconds, nanoseconds: Int32(nanos))
    }

    /// Seconds east of UTC of the zone at `chars[at...]` (the rest of the text): nothing or "Z"
    /// is UTC; "+HH", "+HHMM", "+HH:MM" and their "-" forms. Nil when anything else follows.
    static func zoneOffset(_ chars: [UInt8], from at: Int) -> Int64? {
        let rest = Array(chars[at...])
        if rest.isEmpty || rest == [90] || rest == [122] { return 0 }
        guard let sign = rest.first, sign == 43 || sign == 45 else { return nil }
        var digits = Array(rest.dropFirst())
        if digits.count == 5, digits[2] == 58 { digits.remove(at: 2) }
        guard digits.count == 2 || digits.count == 4, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
        let values = digits.map { Int64($0 - 48) }
        let hours = values[0] * 10 + values[1]
        let minutes = values.count == 4 ? values[2] * 10 + values[3] : 0
        guard hours < 24, minutes < 60 else { return nil }
        let offset = hours * 3600 + minutes * 60
        return sign == 43 ? offset : -offset
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysIn(month: Int64, year: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

private func pow10(_ exponent: Int) -> Int64 {
    var value: Int64 = 1
    for _ in 0..<max(0, exponent) { value *= 10 }
    return value
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

/// IKE SPIs as every report, log line and key file shows them: fixed-width lowercase hex, so a
/// value reads the same wherever it appears and columns line up.
extension UInt64 {
    /// An IKE SPI (IKEv1: a cookie): 16 hex digits, "00c0ffee12345678".
    public var ikeSPIHex: String { fixedHex(self, digits: 16) }
}

private func fixedHex<Value: BinaryInteger>(_ value: Value, digits: Int) -> String {
    let text = String(value, radix: 16)
    return String(repeating: "0", count: max(0, digits - text.count)) + text
}

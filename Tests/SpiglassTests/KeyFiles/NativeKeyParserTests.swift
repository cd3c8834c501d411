import SpiglassSAD
import Testing

@Suite struct NativeKeyParserTests {
    /// An unknown field's hint is the closest known name, the first in name order among equals:
    /// the same in every run (it was picked in a set's hash order, which changes per process).
    @Test func unknownFieldHintIsTheSameInEveryRun() {
        let line =
            "ike version=2 ispi=0x79f54b97b88d732e rspi=0xd370a4356fcbc654 enc=aes-cbc-256 integ=hmac-sha2-256-128 "
            + "src=10.1.0.0/16 prf=hmac-sha2-256 sk-ei=0x00 sk-ai=0x01 sk-d=0x02"
        #expect {
            _ = try KeyFileLoader.parseKeys(line, file: "hint.spiglass", format: .native)
        } throws: { error in
            // "src" is two edits from both "enc" and "prf".
            "\(error)".contains("unknown field for ike (did you mean 'enc'?)")
        }
    }
}

/// A minimal streaming JSON object writer: one object per line, keys in insertion order.
struct JSONObject {
    private(set) var text = "{"
    private var first = true

    private mutating func key(_ name: String) {
        if !first { text += "," }
        first = false
        text += "\""
        text += name
        text += "\":"
    }

    mutating func string(_ name: String, _ value: String?) {
        key(name)
        if let value { text += JSONObject.quote(value) } else { text += "null" }
    }

    mutating func int<T: BinaryInteger>(_ name: String, _ value: T?) {
        key(name)
        if let value { text += String(value) } else { text += "null" }
    }

    mutating func bool(_ name: String, _ value: Bool) {
        key(name)
        text += value ? "true" : "false"
    }

    mutating func raw(_ name: String, _ json: String) {
        key(name)
        text += json
    }

    mutating func object(_ name: String, _ build: (inout JSONObject) -> Void) {
        var inner = JSONObject()
        build(&inner)
        raw(name, inner.finished)
    }

    var finished: String { text + "}" }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ",") + "]" }
}

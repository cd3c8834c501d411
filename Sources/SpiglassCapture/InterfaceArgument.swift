/// What `-i` names, the way tcpdump reads it: an interface by name, or, when no interface has
/// that name and it is all digits, by its number in `spiglass interfaces` (tcpdump -D), 1 first.
/// (tcpdump 4.99 opens the name first and falls back to the number: an interface named "3"
/// wins over the third one.)
public enum InterfaceArgument {
    /// The interface `argument` names among `names` (the list `spiglass interfaces` prints, in
    /// its order). A name not in the list is passed on as given: libpcap may still open it,
    /// or say why not.
    public static func resolve(_ argument: String, among names: [String]) throws -> String {
        if names.contains(argument) { return argument }
        guard !argument.isEmpty, argument.utf8.allSatisfy({ (48...57).contains($0) }) else { return argument }
        guard let number = Int(argument), number >= 1 else {
            throw CaptureError(
                .noSuchInterface,
                "invalid interface number \(argument): 'spiglass interfaces' numbers them from 1")
        }
        guard number <= names.count else {
            throw CaptureError(
                .noSuchInterface,
                "no interface number \(number): 'spiglass interfaces' lists \(names.count)")
        }
        return names[number - 1]
    }

    /// `resolve` against the interfaces libpcap lists now (only asked for an all-digit argument).
    public static func resolve(_ argument: String) throws -> String {
        guard !argument.isEmpty, argument.utf8.allSatisfy({ (48...57).contains($0) }) else { return argument }
        return try resolve(argument, among: CaptureInterface.all().map(\.name))
    }
}

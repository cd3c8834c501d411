import SpiglassAnalysis

/// The examples and pointers `--help` ends with, one block per command: what tcpdump's and
/// tshark's manuals end with, and what a user looks for first. Each line fits 80 columns.
enum HelpExamples {
    /// Where the rest is, said by every command's help.
    static let moreHelp = """


        More: man spiglass (the manual page; docs/spiglass.1 in the source tree), and \
        spiglass --help for installing it and the shell completions.
        """

    static let analyze = """


        Examples:
          spiglass -r esp.pcap -k sa.spiglass
              every packet with its verdict, then the SA table and the findings
          spiglass -q -r esp.pcap -k charon.log
              the SA table and findings only (tshark's -q)
          spiglass -r esp.pcap -k esp_sa -w inner.pcap
              the decrypted inner packets as a pcap for any tool
          spiglass -r esp.pcap -k sa.spiglass --spi 0xc0ffee01 --from 10 --to 20
              one SA, from 10 to 20 s after the first frame (Wireshark's numbers)
          spiglass -r 'ring/*.pcap' -f 'host 192.0.2.1' --json > run.jsonl
              rotated files merged by time, JSON Lines (one object per line)
          spiglass -i eth0 -k /etc/spiglass/keys --duration 60
              a live capture for a minute; SIGHUP reloads the keys

        Limits (--limit NAME=VALUE; the default in brackets):
        """ + limits + moreHelp

    static let ike = """


        Examples:
          spiglass ike -r ike.pcap -k charon.log
              every IKE message, then each IKE SA's exchanges, outcome and CHILD_SAs
          spiglass ike -q -r ike.pcap -k ikev2_decryption_table --ike-sa 2
              IKE SA #2 only, with its CHILD_SAs
          spiglass ike -r ike.pcap --json | jq 'select(.type == "ike_sa")'
              the IKE SAs as JSON Lines
        """ + moreHelp

    static let keysCheck = """


        Examples:
          spiglass keys check charon.log
              what each line gave: SPIs, algorithms, which rule tied the keys
          spiglass keys check --key 'esp spi=0x1 enc=aes-gcm-128 enc-key=0x…'
              an inline key, checked the same way
        """

    static let keysConvert = """


        Examples:
          spiglass keys convert --to wireshark --table esp_sa sa.spiglass
              an esp_sa table on standard output
          spiglass keys convert --to wireshark --output-dir ~/.config/wireshark \\
              charon.log
              the rows added to Wireshark's own tables
        """

    static let keysExport = """


        Examples:
          spiglass keys export -r esp.pcap -k all-keys.log > used.spiglass
              only the SAs this capture uses, as native lines
          spiglass keys export -r esp.pcap -k charon.log --to tcpdump
              tcpdump -E secrets for the same SAs
        """

    static let interfaces = """
        Examples:
          spiglass interfaces
              1.eth0 [Up, Running, Connected] ... as tcpdump -D lists them
          spiglass -i 3 -k sa.spiglass
              capture on the third interface listed (an interface named 3 wins)
        """

    static let root = """
        Examples:
          spiglass -r esp.pcap -k sa.spiglass        (analyze is the default)
          spiglass ike -r ike.pcap -k charon.log
          spiglass keys check charon.log
          spiglass interfaces

        Each command's --help has more examples.

        Shell completions (bash, zsh, fish), installed for all users:
          spiglass --generate-completion-script bash \\
              > /usr/share/bash-completion/completions/spiglass
          spiglass --generate-completion-script zsh \\
              > /usr/local/share/zsh/site-functions/_spiglass
          spiglass --generate-completion-script fish \\
              > /usr/share/fish/vendor_completions.d/spiglass.fish

        The manual page, from the source tree (docs/spiglass.1):
          install -D -m 644 docs/spiglass.1 /usr/local/share/man/man1/spiglass.1
        """

    /// One line per `--limit` name: what it bounds, and its default.
    static var limits: String {
        let defaults = AnalysisOptions()
        return ResourceLimit.allCases.map { "\n  \($0.rawValue) [\($0.value(in: defaults))]\n      \($0.meaning)" }
            .joined()
    }
}

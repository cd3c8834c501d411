import SpiglassSAD

/// Which version's registry a name is spelled from, where IKEv1 (ISAKMP and the IPsec DOI) and
/// IKEv2 give a number the same meaning: the number is one concept, its spelling a rendering
/// choice ("MODP2048" as RFC 2409 and IKEv1 tools print it, "MODP_2048" as IANA's IKEv2
/// registry does).
public enum IKENameSpelling: Sendable, Hashable {
    case v1
    case v2
}

extension KeyExchangeGroup {
    /// The group's name spelled as `spelling`'s registry spells it: IKEv1's Group Description
    /// (RFC 2409 Appendix A class 4, IPsec DOI attribute 3) or IKEv2's Transform Type 4 (RFC 7296
    /// 3.3.2, renamed Key Exchange Method by RFC 9370), which kept ISAKMP's numbers. A number only
    /// the other registry assigns is unnamed here: "GROUP_<n>" (IKEv1), "KE_<n>" (IKEv2).
    public func name(_ spelling: IKENameSpelling) -> String {
        guard let family = Self.families[rawValue], let name = family.name(spelling) else {
            return spelling == .v1 ? "GROUP_\(rawValue)" : "KE_\(rawValue)"
        }
        return name
    }

    /// What kind of group a number stands for, with the sizes its name carries.
    private enum Family {
        /// IKEv2 only: no key exchange in this transform.
        case none
        case modp(Int)
        /// RFC 5114: a MODP group with a prime-order subgroup (prime bits, subgroup bits).
        case modpSubgroup(Int, Int)
        case ecp(Int)
        /// IKEv1 only: the Oakley elliptic curves over GF(2^N) (IKEv2 reserves 3 and 4 and never
        /// assigned 6 to 13).
        case ec2n(Int)
        /// RFC 6954 brainpoolP<n>r1.
        case brainpool(Int)
        case curve(Int)
        /// IKEv2 only (RFC 9385).
        case gost(Int)
        /// IKEv2 only (draft-ietf-ipsecme-ikev2-mlkem, under RFC 9370).
        case mlKEM(Int)

        func name(_ spelling: IKENameSpelling) -> String? {
            let v1 = spelling == .v1
            switch self {
            case .none: return v1 ? nil : "NONE"
            case .modp(let bits): return v1 ? "MODP\(bits)" : "MODP_\(bits)"
            case .modpSubgroup(let prime, let order): return v1 ? "MODP\(prime)-\(order)" : "MODP_\(prime)_\(order)"
            case .ecp(let bits): return v1 ? "ECP\(bits)" : "ECP_\(bits)"
            case .ec2n(let bits): return v1 ? "EC2N\(bits)" : nil
            case .brainpool(let bits): return v1 ? "BRAINPOOL\(bits)" : "BRAINPOOL_P\(bits)R1"
            case .curve(let bits): return "CURVE\(bits)"
            case .gost(let bits): return v1 ? nil : "GOST3410_2012_\(bits)"
            case .mlKEM(let size): return v1 ? nil : "ML_KEM_\(size)"
            }
        }
    }

    private static let families: [UInt16: Family] = [
        0: .none,
        1: .modp(768), 2: .modp(1024),  // RFC 2409 6.1, 6.2
        3: .ec2n(155), 4: .ec2n(185),  // RFC 2409 6.3, 6.4
        5: .modp(1536),  // RFC 3526
        6: .ec2n(163), 7: .ec2n(163), 8: .ec2n(283), 9: .ec2n(283),  // IANA Group Description
        10: .ec2n(409), 11: .ec2n(409), 12: .ec2n(571), 13: .ec2n(571),
        14: .modp(2048), 15: .modp(3072), 16: .modp(4096), 17: .modp(6144), 18: .modp(8192),  // RFC 3526
        19: .ecp(256), 20: .ecp(384), 21: .ecp(521),  // RFC 5903
        22: .modpSubgroup(1024, 160), 23: .modpSubgroup(2048, 224), 24: .modpSubgroup(2048, 256),  // RFC 5114
        25: .ecp(192), 26: .ecp(224),  // RFC 5114
        27: .brainpool(224), 28: .brainpool(256), 29: .brainpool(384), 30: .brainpool(512),  // RFC 6954
        31: .curve(25519), 32: .curve(448),  // RFC 8031
        33: .gost(256), 34: .gost(512),  // RFC 9385
        35: .mlKEM(512), 36: .mlKEM(768), 37: .mlKEM(1024),
    ]
}

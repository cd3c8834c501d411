#!/usr/bin/env python3
"""Regenerate the Scapy-built AH / extra-ESP / replay fixtures for Spiglass.

Generated with: scapy 2.8.0, cryptography 48.0.0, Python 3.11.7
(pinned in requirements.txt beside this file).

Run:   python3 generate.py          (writes into the directory of this file)
Check: python3 verify.py            (independent re-computation, no scapy)
       python3 verify.py --tshark   (also cross-check with tshark 4.0)

Deterministic: keys and IVs come from fixed labels through SHA-256, timestamps
start at 1700000000.000000 and advance 1 ms per frame, IP IDs and ports are
fixed.  Two runs give byte-identical files.

AH packets are built with scapy's SecurityAssociation(AH, ...) and ESP packets
with SecurityAssociation(ESP, ...).  Workarounds (search for "WORKAROUND"):
  * AES-XCBC-MAC-96 (RFC 3566) is not in scapy 2.8.0.  We implement it here
    with AES-ECB from `cryptography` (checked against the RFC 3566 test vectors
    at start-up) and register it in scapy's AUTH_ALGOS as 'AES-XCBC-96', so
    scapy itself still builds the AH/ESP packets.
  * Sequence number 0 (low half of 0x1_00000000 with ESN): encrypt(seq_num=0)
    falls back to the SA counter (`seq_num or self.seq_num`), so a fresh
    SecurityAssociation is created per packet with seq_num set.
  * En-route changes (TTL/hop limit decrement, DSCP/ECN rewrite, DF set,
    Record Route / Timestamp slots filled, mutable IPv6 option data changed,
    routing header processed) are applied to scapy's output bytes afterwards,
    exactly as a router would; the ICV is not touched.
  * Broken packets (ah-bad) are scapy output with bytes flipped / cut.
"""

import hashlib
import os
import struct
import sys
from decimal import Decimal

import scapy
from scapy.all import (  # noqa: F401
    IP, IPv6, UDP, TCP, ICMP, Raw, Ether, ICMPv6EchoRequest, ICMPv6EchoReply,
    IPv6ExtHdrHopByHop, IPv6ExtHdrDestOpt, IPv6ExtHdrRouting, RouterAlert,
    HBHOptUnknown, IPOption, IPOption_NOP, IPOption_EOL, IPOption_RR,
    IPOption_Router_Alert, IPOption_Security, raw,
)
import scapy.layers.ipsec as sipsec
from scapy.layers.ipsec import ESP, AH, SecurityAssociation, AuthAlgo
from scapy.utils import PcapWriter
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PINNED_SCAPY = "2.8.0"
if scapy.VERSION != PINNED_SCAPY:
    print("warning: generated with scapy %s, running %s" % (PINNED_SCAPY, scapy.VERSION),
          file=sys.stderr)

OUT = os.path.dirname(os.path.abspath(__file__))
T0 = Decimal("1700000000.000000")
STEP = Decimal("0.001")

A4, B4 = "192.0.2.1", "192.0.2.2"
C4, D4 = "198.51.100.1", "198.51.100.2"
A6, B6 = "2001:db8::1", "2001:db8::2"
R1, R2 = "2001:db8::a1", "2001:db8::a2"   # IPv6 routing-header waypoints
MAC = {A4: "02:00:00:00:00:01", B4: "02:00:00:00:00:02",
       C4: "02:00:00:00:00:03", D4: "02:00:00:00:00:04",
       A6: "02:00:00:00:00:01", B6: "02:00:00:00:00:02", R1: "02:00:00:00:00:a1"}


def det(label, n):
    """Deterministic pseudo-random bytes from a label."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(("%s#%d" % (label, i)).encode()).digest()
        i += 1
    return out[:n]


# ----------------------------------------------------------------------------- WORKAROUND: AES-XCBC-MAC-96


class AESXCBCMAC:
    """RFC 3566 AES-XCBC-MAC with the interface scapy's AuthAlgo expects of a MAC
    class: MAC(key, digestmod_instance, backend) with update() / finalize()."""

    def __init__(self, key, _digestmod=None, _backend=None):
        assert len(key) == 16
        enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        self.k1 = enc.update(b"\x01" * 16)
        self.k2 = enc.update(b"\x02" * 16)
        self.k3 = enc.update(b"\x03" * 16)
        self.buf = b""

    def update(self, data):
        self.buf += bytes(data)

    def finalize(self):
        m = self.buf
        aes = Cipher(algorithms.AES(self.k1), modes.ECB()).encryptor()
        n = max(1, (len(m) + 15) // 16)
        e = b"\0" * 16
        for i in range(n - 1):
            e = aes.update(bytes(a ^ b for a, b in zip(m[16 * i:16 * i + 16], e)))
        last = m[16 * (n - 1):]
        if len(last) == 16:
            last = bytes(a ^ b for a, b in zip(last, self.k2))
        else:
            last = last + b"\x80" + b"\0" * (15 - len(last))
            last = bytes(a ^ b for a, b in zip(last, self.k3))
        return aes.update(bytes(a ^ b for a, b in zip(last, e)))


def _xcbc_selftest():
    # RFC 3566 section 4.6 test cases 1-4 (key 000102..0f)
    k = bytes(range(16))
    for msg, mac in ((b"", "75f0251d528ac01c4573dfd584d79f29"),
                     (bytes(range(3)), "5b376580ae2f19afe7219ceef172756f"),
                     (bytes(range(16)), "d2a246fa349b68a79998a4394ff7a263"),
                     (bytes(range(20)), "47f51b4564966215b8985c63055ed308"),
                     (bytes(range(32)), "f54f0ec8d2b9f3d36807734bd5283fd4")):
        m = AESXCBCMAC(k)
        m.update(msg)
        assert m.finalize().hex() == mac, (msg, m.finalize().hex())


_xcbc_selftest()


# WORKAROUND: AuthAlgo.sign tests `pkt.haslayer(ESP)` before `pkt.haslayer(AH)`, so for
# IP | AH | ESP it appends a MAC to the ESP data and leaves the AH ICV all-zero.  When AH
# is the outer of the two, take scapy's own AH branch (same code, same zeroing).
_orig_sign = AuthAlgo.sign


def _sign_ah_first(self, pkt, key, esn_en=False, esn=0):
    if self.mac and pkt.haslayer(AH) and pkt.haslayer(ESP):
        mac = self.new_mac(key)
        mac.update(bytes(sipsec.zero_mutable_fields(pkt.copy(), sending=True)))
        if esn_en:
            mac.update(struct.pack('!L', esn))
        pkt[AH].icv = mac.finalize()[:self.icv_size]
        return pkt
    return _orig_sign(self, pkt, key, esn_en, esn)


AuthAlgo.sign = _sign_ah_first
sipsec.AUTH_ALGOS["AES-XCBC-96"] = AuthAlgo("AES-XCBC-96", mac=AESXCBCMAC, digestmod=lambda: None,
                                            icv_size=12, key_size=(16,))



# WORKAROUND: scapy 2.8.0 has no RFC 4543 AUTH_AES_GMAC for AH. Built here from the RFC with
# `cryptography`: the AH carries the 8-byte IV and then the ICV, which "consists solely of the
# AES-GMAC Authentication Tag" (16 bytes; RFC 4543 section 5, Figure 5), then (IPv6) the RFC 4302
# padding to a multiple of 8 octets (erratum 3643). Nonce = salt ‖ IV (key = AES key ‖ 4-byte
# salt); plaintext empty; AAD = the packet with its mutable fields and the ICV (the tag alone)
# zeroed, the IV as sent ("the IV is included in the AAD", section 7) and the padding as sent
# (RFC 4302 3.3.3.2.1), then the ESN high bits. scapy zeroes its whole "icv" field (IV, tag and
# padding) before feeding a MAC, so finalize() puts the IV and the padding back.
# The per-packet IV and padding are set by AHSA.scapy_sa before each encrypt/verify.
class AHGMAC:
    next_iv = None
    next_padding = b""

    def __init__(self, key, _digestmod=None, _backend=None):
        assert len(key) in (20, 28, 36)
        self.key, self.salt = bytes(key[:-4]), bytes(key[-4:])
        self.buf = b""

    def update(self, data):
        self.buf += bytes(data)

    def finalize(self):
        iv = AHGMAC.next_iv
        assert iv is not None and len(iv) == 8
        aad = bytearray(self.buf)
        ah = ah_offset(aad)
        aad[ah + 12:ah + 20] = iv
        padding = AHGMAC.next_padding
        aad[ah + 36:ah + 36 + len(padding)] = padding
        return iv + AESGCM(self.key).encrypt(self.salt + iv, b"", bytes(aad))


def ah_offset(b):
    """Where the AH header starts in an IPv4 or IPv6 packet (IPv6: after hop-by-hop,
    routing and destination options headers)."""
    if b[0] >> 4 == 4:
        return (b[0] & 15) * 4
    nh, off = b[6], 40
    while nh in (0, 43, 60):
        nh, off = b[off], off + (b[off + 1] + 1) * 8
    assert nh == 51, "no AH header"
    return off


# Padding bytes of IPv6 AES-GMAC AH (RFC 4302 3.3.3.2.1: "The content of the padding field is
# arbitrarily selected by the sender"): not zero, so that a receiver that zeroes them fails.
GMAC_IPV6_PADDING = bytes.fromhex("a5a5a5a5")


for _bits in (128, 192, 256):
    sipsec.AUTH_ALGOS["AES-GMAC-AH-%d" % _bits] = AuthAlgo("AES-GMAC-AH-%d" % _bits, mac=AHGMAC,
                                                           digestmod=lambda: None, icv_size=24,
                                                           key_size=(_bits // 8 + 4,))

# ----------------------------------------------------------------------------- algorithm tables

# native name -> (scapy crypt algo, icv override, wireshark esp_sa name or None)
ENC = {
    "null": ("NULL", None, "NULL"),
    "aes-cbc": ("AES-CBC", None, "AES-CBC [RFC3602]"),
    "aes-gcm-16": ("AES-GCM", 16, "AES-GCM with 16 octet ICV [RFC4106]"),
    "aes-ccm-8": ("AES-CCM", 8, None),
    "aes-ccm-12": ("AES-CCM", 12, None),
    "aes-ccm-16": ("AES-CCM", 16, None),
    "aes-gmac": ("AES-NULL-GMAC", None, None),
    "des-cbc": ("DES", None, "DES-CBC [RFC2405]"),
    "blowfish-cbc": ("Blowfish", None, "BLOWFISH-CBC [RFC2451]"),
    "cast5-cbc": ("CAST", None, "CAST5-CBC [RFC2144]"),
}
# native name -> (scapy auth algo, wireshark esp_sa name, key length, icv length)
AUTH = {
    "null": ("NULL", "NULL", 0, 0),
    "hmac-sha1-96": ("HMAC-SHA1-96", "HMAC-SHA-1-96 [RFC2404]", 20, 12),
    "hmac-sha2-256-128": ("SHA2-256-128", "HMAC-SHA-256-128 [RFC4868]", 32, 16),
    # Wireshark 4.0 cannot check these two; its esp_sa gets "no checking" instead
    "aes-xcbc-96": ("AES-XCBC-96", "ANY 96 bit authentication [no checking]", 16, 12),
    "aes-cmac-96": ("AES-CMAC-96", "ANY 96 bit authentication [no checking]", 16, 12),
    # RFC 4543 AUTH_AES_GMAC, AH only: key = AES key + 4-byte salt; ICV field = IV (8) + tag (16)
    "aes-gmac-128": ("AES-GMAC-AH-128", None, 20, 24),
    "aes-gmac-192": ("AES-GMAC-AH-192", None, 28, 24),
    "aes-gmac-256": ("AES-GMAC-AH-256", None, 36, 24),
}
IV_LEN = {"null": 0, "aes-cbc": 16, "aes-gcm-16": 8, "aes-ccm-8": 8, "aes-ccm-12": 8, "aes-ccm-16": 8,
          "aes-gmac": 8, "des-cbc": 8, "blowfish-cbc": 8, "cast5-cbc": 8}


class ESPSA:
    kind = "esp"

    def __init__(self, case, spi, src, dst, enc, enc_keylen, auth="null", esn=False,
                 in_keyfile=True, comment=""):
        self.case, self.spi, self.src, self.dst = case, spi, src, dst
        self.enc, self.auth, self.esn = enc, auth, esn
        self.enc_key = det("%s/%08x/enc" % (case, spi), enc_keylen)  # includes salt where applicable
        self.auth_key = det("%s/%08x/auth" % (case, spi), AUTH[auth][2])
        self.in_keyfile = in_keyfile
        self.comment = comment

    @property
    def v6(self):
        return ":" in self.src

    def iv(self, seq):
        return det("%s/%08x/%d/iv" % (self.case, self.spi, seq), IV_LEN[self.enc])

    def scapy_sa(self, seq, esn_hi=0, tunnel=None):
        calgo, icv, _ = ENC[self.enc]
        return SecurityAssociation(
            ESP, spi=self.spi, seq_num=seq, crypt_algo=calgo,
            crypt_key=self.enc_key if self.enc != "null" else None,
            crypt_icv_size=icv, auth_algo=AUTH[self.auth][0],
            auth_key=self.auth_key if self.auth != "null" else None,
            tunnel_header=tunnel, esn_en=self.esn, esn=esn_hi)

    def native_line(self):
        if self.enc == "null":
            s = "esp spi=0x%08x src=%s dst=%s enc=null" % (self.spi, self.src, self.dst)
        else:
            s = "esp spi=0x%08x src=%s dst=%s enc=%s enc-key=0x%s" % (
                self.spi, self.src, self.dst, self.enc, self.enc_key.hex())
        s += " auth=%s" % self.auth
        if self.auth != "null":
            s += " auth-key=0x%s" % self.auth_key.hex()
        if self.esn:
            s += " esn=yes"
        return s

    def esp_sa_line(self):
        """Wireshark esp_sa line, or None if Wireshark 4.0 cannot express this SA."""
        if self.esn or ENC[self.enc][2] is None:
            return None
        ek = "0x" + self.enc_key.hex() if self.enc != "null" else ""
        ak = "0x" + self.auth_key.hex() if self.auth != "null" else ""
        return '"%s","%s","%s","0x%08x","%s","%s","%s","%s"' % (
            "IPv6" if self.v6 else "IPv4", self.src, self.dst, self.spi,
            ENC[self.enc][2], ek, AUTH[self.auth][1], ak)


class AHSA:
    kind = "ah"

    def __init__(self, case, spi, src, dst, auth, esn=False, in_keyfile=True, comment=""):
        self.case, self.spi, self.src, self.dst = case, spi, src, dst
        self.auth, self.esn = auth, esn
        self.auth_key = det("%s/%08x/ah-auth" % (case, spi), AUTH[auth][2])
        self.in_keyfile = in_keyfile
        self.comment = comment

    def scapy_sa(self, seq, esn_hi=0, tunnel=None):
        if self.auth.startswith("aes-gmac-"):
            AHGMAC.next_iv = det("%s/%08x/%d/ah-iv" % (self.case, self.spi, (esn_hi << 32) | seq), 8)
            AHGMAC.next_padding = GMAC_IPV6_PADDING if ":" in self.dst else b""
        return SecurityAssociation(AH, spi=self.spi, seq_num=seq, auth_algo=AUTH[self.auth][0],
                                   auth_key=self.auth_key, tunnel_header=tunnel,
                                   esn_en=self.esn, esn=esn_hi)

    def native_line(self):
        s = "ah spi=0x%08x src=%s dst=%s auth=%s auth-key=0x%s" % (
            self.spi, self.src, self.dst, self.auth, self.auth_key.hex())
        if self.esn:
            s += " esn=yes"
        return s

    def esp_sa_line(self):
        return None


# ----------------------------------------------------------------------------- byte helpers


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def fix4(b):
    """Fix IPv4 total length and header checksum of a (modified) packet."""
    b = bytearray(b)
    ihl = (b[0] & 15) * 4
    b[2:4] = struct.pack("!H", len(b))
    b[10:12] = b"\0\0"
    b[10:12] = struct.pack("!H", csum(bytes(b[:ihl])))
    return bytes(b)


def fix6(b):
    b = bytearray(b)
    b[4:6] = struct.pack("!H", len(b) - 40)
    return bytes(b)


def ip4_options(b):
    """Yield (offset, type, length) of IPv4 options."""
    ihl = (b[0] & 15) * 4
    off = 20
    while off < ihl:
        t = b[off]
        if t == 0:
            return
        if t == 1:
            off += 1
            continue
        ln = b[off + 1]
        yield off, t, ln
        off += ln


def en_route4(b, ttl_dec=0, tos=None, set_df=False, fill_rr=None, fill_ts=None):
    """WORKAROUND (not a scapy limitation, just post-processing): what routers may
    change in an IPv4 header after the sender computed the AH ICV."""
    b = bytearray(b)
    b[8] -= ttl_dec
    if tos is not None:
        b[1] = tos
    if set_df:
        b[6] |= 0x40
    for off, t, ln in list(ip4_options(b)):
        if t == 7 and fill_rr:            # Record Route: router writes its address
            ptr = b[off + 2]
            b[off + ptr - 1:off + ptr + 3] = bytes(int(x) for x in fill_rr.split("."))
            b[off + 2] = ptr + 4
        if t == 68 and fill_ts is not None:  # Timestamp (flg 0): router writes a timestamp
            ptr = b[off + 2]
            b[off + ptr - 1:off + ptr + 3] = struct.pack("!I", fill_ts)
            b[off + 2] = ptr + 4
    return fix4(b)


def en_route6(b, hlim_dec=0, tc=None, fl=None, mutable_fill=None):
    """What may change en route in IPv6: traffic class, flow label, hop limit, and
    the data of options whose type has the 0x20 ("may change") bit."""
    b = bytearray(b)
    vtf = struct.unpack("!I", b[0:4])[0]
    if tc is not None:
        vtf = (vtf & 0xF00FFFFF) | (tc << 20)
    if fl is not None:
        vtf = (vtf & 0xFFF00000) | fl
    b[0:4] = struct.pack("!I", vtf)
    b[7] -= hlim_dec
    if mutable_fill is not None:
        nh, off = b[6], 40
        while nh in (0, 60, 43):
            if nh in (0, 60):
                end = off + (b[off + 1] + 1) * 8
                o = off + 2
                while o < end:
                    t = b[o]
                    if t == 0:
                        o += 1
                        continue
                    ln = b[o + 1]
                    if t & 0x20:
                        b[o + 2:o + 2 + ln] = bytes((mutable_fill + i) & 0xFF for i in range(ln))
                    o += 2 + ln
            nh = b[off]
            off += (b[off + 1] + 1) * 8
    return bytes(b)


def route6_deliver(b, hops):
    """Process a type-0 routing header `hops` times, as the waypoints would
    (RFC 2460 4.4): swap the destination with the next address, segleft -= 1,
    hop limit -= 1 per hop."""
    b = bytearray(b)
    nh, off = b[6], 40
    while nh != 43:
        nh = b[off]
        off += (b[off + 1] + 1) * 8
    n = b[off + 1] // 2
    for _ in range(hops):
        sl = b[off + 3]
        i = n - sl
        a = off + 8 + 16 * i
        b[24:40], b[a:a + 16] = b[a:a + 16], b[24:40]
        b[off + 3] = sl - 1
        b[7] -= 1
    return bytes(b)


def flip(b, off, mask=0x01):
    b = bytearray(b)
    b[off] ^= mask
    return bytes(b)


def ah_offset(b):
    """Offset of the AH header in an IPv4/IPv6 packet (bytes)."""
    if b[0] >> 4 == 4:
        return (b[0] & 15) * 4
    nh, off = b[6], 40
    while nh != 51:
        nh = b[off]
        off += (b[off + 1] + 1) * 8
    return off


def strip_ah(b):
    """Expected result of AH processing: tunnel mode -> inner packet; transport ->
    the packet without the AH header (previous next header fixed, lengths fixed,
    IPv4 checksum recomputed)."""
    off = ah_offset(b)
    nh = b[off]
    ahlen = (b[off + 1] + 2) * 4
    rest = b[off + ahlen:]
    if nh in (4, 41):
        return rest
    hdr = bytearray(b[:off])
    if b[0] >> 4 == 4:
        hdr[9] = nh
        return fix4(bytes(hdr) + rest)
    # IPv6: next header of the last header before AH
    o, last = 40, 6
    while o < off:
        last = o
        o += (hdr[o + 1] + 1) * 8
    hdr[last] = nh
    return fix6(bytes(hdr) + rest)


# ----------------------------------------------------------------------------- cases


class Case:
    def __init__(self, name, title):
        self.name, self.title = name, title
        self.sas = []
        self.frames = []  # (l3 bytes, verdict, spi, seq, inner bytes or None, replay)
        self.replay = False

    def sa(self, cls, *a, **kw):
        s = cls(self.name, *a, **kw)
        self.sas.append(s)
        return s

    def add(self, l3, verdict, spi=None, seq=None, inner=None, replay=None):
        self.frames.append((bytes(l3), verdict, spi, seq, inner, replay))

    # -- ESP
    def esp(self, sa, plain, seq, mode="transport", esn_hi=0, outer=None):
        tunnel = None
        if mode == "tunnel":
            tunnel = outer if outer is not None else (
                IPv6(src=sa.src, dst=sa.dst) if sa.v6 else IP(src=sa.src, dst=sa.dst, id=seq & 0xffff))
        pkt = sa.scapy_sa(seq, esn_hi, tunnel).encrypt(plain, seq_num=seq, iv=sa.iv((esn_hi << 32) | seq))
        b = raw(pkt)
        back = sa.scapy_sa(seq, esn_hi, tunnel).decrypt(pkt.__class__(b))
        assert raw(back) == raw(plain), (self.name, hex(sa.spi), seq)
        return b

    def esp_frame(self, sa, plain, seq, mode="transport", esn_hi=0, replay=None):
        b = self.esp(sa, plain, seq, mode, esn_hi)
        self.add(b, "decrypted", sa.spi, (esn_hi << 32) | seq, raw(plain), replay)
        return b

    # -- AH
    def ah(self, sa, plain, seq, tunnel=None, esn_hi=0, check=True):
        pkt = sa.scapy_sa(seq, esn_hi, tunnel).encrypt(plain, seq_num=seq)
        b = raw(pkt)
        if sa.auth.startswith("aes-gmac-") and AHGMAC.next_padding:
            # scapy pads with zeros; the tag was made over the padding the sender chose.
            b = bytearray(b)
            ah = ah_offset(b)
            b[ah + 36:ah + 36 + len(AHGMAC.next_padding)] = AHGMAC.next_padding
            b = bytes(b)
        if check:  # scapy's own verify of what it just built
            cls = IP if b[0] >> 4 == 4 else IPv6
            sa.scapy_sa(seq, esn_hi, tunnel).decrypt(cls(b))
        return b

    def ah_frame(self, sa, plain, seq, tunnel=None, esn_hi=0, mutate=None, check=True):
        b = self.ah(sa, plain, seq, tunnel, esn_hi, check)
        if mutate:
            b = mutate(b)
        self.add(b, "ah-verified", sa.spi, (esn_hi << 32) | seq, strip_ah(b))
        return b

    # -- output
    def l2(self, l3):
        v6 = (l3[0] >> 4) == 6
        if v6:
            src, dst = IPv6(l3).src, IPv6(l3).dst
        else:
            src, dst = IP(l3).src, IP(l3).dst
        return Ether(src=MAC.get(src, "02:00:00:00:00:ee"), dst=MAC.get(dst, "02:00:00:00:00:ef"),
                     type=0x86DD if v6 else 0x0800) / Raw(l3)

    def write_all(self):
        w = PcapWriter(os.path.join(OUT, self.name + ".pcap"), linktype=1)
        for i, f in enumerate(self.frames):
            p = self.l2(f[0])
            p.time = T0 + STEP * i
            w.write(p)
        w.close()
        with open(os.path.join(OUT, self.name + ".spiglass"), "w") as f:
            f.write("# Spiglass keys for %s.pcap (generated by generate.py, scapy %s)\n"
                    % (self.name, PINNED_SCAPY))
            f.write("# %s\n" % self.title)
            for s in self.sas:
                if not s.in_keyfile:
                    continue
                if s.comment:
                    f.write("# %s\n" % s.comment)
                f.write(s.native_line() + "\n")
        ws = [s.esp_sa_line() for s in self.sas if s.in_keyfile and s.esp_sa_line()]
        if ws:
            with open(os.path.join(OUT, self.name + ".esp_sa"), "w") as f:
                f.write("\n".join(ws) + "\n")
        with open(os.path.join(OUT, self.name + ".expected.tsv"), "w") as f:
            f.write("frame\tverdict\tspi\tseq\tinner_hex" + ("\treplay" if self.replay else "") + "\n")
            for i, (_, verdict, spi, seq, inner, rp) in enumerate(self.frames):
                f.write("%d\t%s\t%s\t%s\t%s" % (
                    i + 1, verdict, "0x%08x" % spi if spi is not None else "-",
                    "%d" % seq if seq is not None else "-",
                    inner.hex() if inner is not None else "-"))
                if self.replay:
                    f.write("\t%s" % (rp or "-"))
                f.write("\n")


def udp4(src, dst, sport, dport, payload, ident=1, **kw):
    return IP(src=src, dst=dst, id=ident, **kw) / UDP(sport=sport, dport=dport) / Raw(payload)


def udp6(src, dst, sport, dport, payload, **kw):
    return IPv6(src=src, dst=dst, **kw) / UDP(sport=sport, dport=dport) / Raw(payload)


def opts_rr_ra():
    # NOP, Record Route with 3 empty slots (15 bytes, mutable), Router Alert (immutable) = 20 bytes
    return [IPOption_NOP(), IPOption_RR(pointer=4, routers=["0.0.0.0"] * 3), IPOption_Router_Alert()]


def opts_sec_ts():
    # Security (130, immutable, 11 bytes) + NOP + Timestamp (68, mutable, 2 empty slots, 12 bytes)
    # = 24 bytes.  The timestamp option is given as raw bytes: scapy's IPOption_Timestamp
    # only models a single slot.
    return [IPOption_Security(security=0xF135, compartment=0, handling_restrictions=0,
                              transmission_control_code=b"ABC"),
            IPOption_NOP(),
            IPOption(b"\x44\x0c\x05\x00" + b"\0" * 8)]


def opts_nop_eol():
    # NOP, NOP, NOP, EOL: the simplest padded option area (4 bytes)
    return [IPOption_NOP(), IPOption_NOP(), IPOption_NOP(), IPOption_EOL()]


def ah_v4(name, mode):
    tunnel = mode == "tunnel"
    c = Case(name, "AH (RFC 4302) over IPv4 with IP options, %s mode, HMAC-SHA1-96 and HMAC-SHA2-256-128" % mode)
    base = 0x2001 if tunnel else 0x2003
    if tunnel:
        s1 = c.sa(AHSA, base, A4, C4, "hmac-sha1-96", comment="gateway 192.0.2.1 -> 198.51.100.1, HMAC-SHA1-96")
        s2 = c.sa(AHSA, base + 1, C4, A4, "hmac-sha2-256-128", comment="gateway 198.51.100.1 -> 192.0.2.1, HMAC-SHA2-256-128")
    else:
        s1 = c.sa(AHSA, base, A4, B4, "hmac-sha1-96", comment="192.0.2.1 -> 192.0.2.2, HMAC-SHA1-96")
        s2 = c.sa(AHSA, base + 1, B4, A4, "hmac-sha2-256-128", comment="192.0.2.2 -> 192.0.2.1, HMAC-SHA2-256-128")
    tag = name.encode()

    def send(sa, seq, inner, outer_kw, mutate=None):
        """outer_kw: fields of the (outer) IPv4 header carrying AH."""
        if tunnel:
            t = IP(src=sa.src, dst=sa.dst, **outer_kw)
            c.ah_frame(sa, inner, seq, tunnel=t, mutate=mutate)
        else:
            p = inner.copy()
            for k, v in outer_kw.items():
                setattr(p, k, v)
            c.ah_frame(sa, IP(raw(p)), seq, mutate=mutate)

    mk = lambda i, a, b, pl: udp4(a, b, 40000 + i, 7000, pl, 0x100 + i)  # noqa: E731
    # inner hosts (tunnel) or the SA endpoints themselves (transport)
    ia, ib = ("10.1.0.1", "10.2.0.1") if tunnel else (A4, B4)
    src1, dst1 = (ia, ib)
    # 1: NOP + Record Route (empty) + Router Alert, DF, TTL 64, TOS 0
    send(s1, 1, mk(1, src1, dst1, tag + b" #1 rr+ra"),
         dict(id=0x1001, ttl=64, tos=0, flags="DF", options=opts_rr_ra()))
    # 2: same options, TTL 17, TOS 0xb8 (EF), no flags
    send(s1, 2, mk(2, src1, dst1, tag + b" #2 ttl17 tos-ef"),
         dict(id=0x1002, ttl=17, tos=0xB8, flags=0, options=opts_rr_ra()))
    # 3: sent like 1 but changed en route: TTL -3, ECN CE set, DF set by a router,
    #    one Record Route slot filled and the pointer advanced (all mutable)
    send(s1, 3, mk(3, src1, dst1, tag + b" #3 changed en route"),
         dict(id=0x1003, ttl=64, tos=0x00, flags=0, options=opts_rr_ra()),
         mutate=lambda b: en_route4(b, ttl_dec=3, tos=0x03, set_df=True, fill_rr="203.0.113.9"))
    # 4: SHA-256, Security option (immutable) + NOP + 2-slot Timestamp (mutable), TOS 0x28, DF
    in4 = IP(src=ib, dst=ia, id=0x204) / ICMP(type=8, id=7, seq=1) / Raw(tag + b" #4 icmp")
    send(s2, 1, in4, dict(id=0x2001, ttl=128, tos=0x28, flags="DF", options=opts_sec_ts()))
    # 5: like 4 (TCP SYN-ACK), en route: both timestamp slots filled, TTL -1, TOS rewritten
    in5 = IP(src=ib, dst=ia, id=0x205) / TCP(sport=443, dport=40005, flags="SA", seq=99, ack=1,
                                            options=[("MSS", 1360)])
    send(s2, 2, in5, dict(id=0x2002, ttl=128, tos=0x28, flags=0, options=opts_sec_ts()),
         mutate=lambda b: en_route4(en_route4(b, fill_ts=0x01020304), ttl_dec=1, tos=0x00, fill_ts=0x05060708))
    # 6: NOP NOP NOP EOL, TTL 1, TOS 0xff
    send(s2, 3, mk(6, ib, ia, tag + b" #6 nop-eol"),
         dict(id=0x2003, ttl=1, tos=0xFF, flags="DF", options=opts_nop_eol()))
    # 7: no options at all
    send(s2, 4, mk(7, ib, ia, tag + b" #7 no options"), dict(id=0x2004, ttl=255, tos=0, flags=0))
    return c


def hbh():
    # Router Alert (immutable) + experimental option 0x3e (bit 0x20: may change en route)
    return IPv6ExtHdrHopByHop(options=[RouterAlert(value=0),
                                       HBHOptUnknown(otype=0x3E, optdata=b"\x11\x22\x33\x44")])


def dstopt():
    # experimental 0x1e (immutable) + 0x3e (mutable)
    return IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x1E, optdata=b"ab"),
                                      HBHOptUnknown(otype=0x3E, optdata=b"\x55" * 6)])


def case_ah_v6():
    c = Case("ah-v6", "AH over IPv6 with Hop-by-Hop, Destination Options and type-0 Routing headers before AH")
    s1 = c.sa(AHSA, 0x2005, A6, B6, "hmac-sha1-96", comment="2001:db8::1 -> 2001:db8::2, HMAC-SHA1-96 (AH 24 bytes)")
    s2 = c.sa(AHSA, 0x2006, B6, A6, "hmac-sha2-256-128", comment="2001:db8::2 -> 2001:db8::1, HMAC-SHA2-256-128 (AH 28+4 padding = 32 bytes)")
    # 1: HBH + DestOpt + AH + UDP, transport
    c.ah_frame(s1, IPv6(src=A6, dst=B6) / hbh() / dstopt() / UDP(sport=40001, dport=7000)
               / Raw(b"ah-v6 #1 hbh+dstopt"), 1)
    # 2: same, with TC/flow label/hop limit set, and changed en route: hop limit -5,
    #    TC and flow label rewritten, mutable option data in HBH and DestOpt overwritten
    c.ah_frame(s1, IPv6(src=A6, dst=B6, tc=0xB8, fl=0x12345, hlim=200) / hbh() / dstopt()
               / UDP(sport=40002, dport=7000) / Raw(b"ah-v6 #2 changed en route"), 2,
               mutate=lambda b: en_route6(b, hlim_dec=5, tc=0x01, fl=0xABCDE, mutable_fill=0xA0))
    # 3: plain IPv6 + AH (SHA-256: 4 bytes of AH padding for 8-octet alignment) + ICMPv6
    c.ah_frame(s2, IPv6(src=B6, dst=A6, hlim=64) / ICMPv6EchoRequest(id=5, seq=1, data=b"ah-v6 #3 icmpv6"), 1)
    # 4: tunnel mode, IPv6 in IPv6, outer header with HBH
    c.ah_frame(s2, udp6("2001:db8:2::20", "2001:db8:1::10", 7000, 40004, b"ah-v6 #4 tunnel"), 2,
               tunnel=IPv6(src=B6, dst=A6, tc=0x20, fl=0x777) / hbh())
    # 5: HBH + DestOpt + Routing(type 0, segleft 2) + AH, as sent by the source (dst = first waypoint).
    #    The ICV is computed over the header as it will look at the final destination;
    #    scapy's sign() does that re-ordering (zero_mutable_fields(sending=True)).
    rt = lambda: IPv6ExtHdrRouting(type=0, segleft=2, addresses=[R2, B6])  # noqa: E731
    b5 = c.ah(s1, IPv6(src=A6, dst=R1, hlim=64) / hbh() / dstopt() / rt() / UDP(sport=40005, dport=7000)
              / Raw(b"ah-v6 #5 routing header"), 3, check=False)
    c.add(b5, "ah-verified", s1.spi, 3, strip_ah(b5))
    # 6: the same kind of packet as delivered: both waypoints processed (segleft 0, dst = final)
    b6 = c.ah(s1, IPv6(src=A6, dst=R1, hlim=64) / hbh() / dstopt() / rt() / UDP(sport=40006, dport=7000)
              / Raw(b"ah-v6 #6 routing header, delivered"), 4, check=False)
    b6 = route6_deliver(b6, 2)
    s1.scapy_sa(4).decrypt(IPv6(b6))  # scapy can verify the delivered form
    c.add(b6, "ah-verified", s1.spi, 4, strip_ah(b6))
    return c


ESN_SEQUENCE = [0xfffffffd, 0xffffffff, 0x100000000, 0xfffffffe, 0x100000001, 0x100000002, 0x100000003]


def case_ah_esn():
    c = Case("ah-esn", "AH with ESN (high 32 bits wrap to 1), HMAC-SHA2-256-128 tunnel and HMAC-SHA1-96 transport")
    s = c.sa(AHSA, 0x2007, A4, C4, "hmac-sha2-256-128", esn=True,
             comment="ESN SA; packets carry 64-bit seq 0xfffffffd..0x1_00000003 (tunnel)")
    for n, s64 in enumerate(ESN_SEQUENCE):
        inner = udp4("10.1.0.1", "10.2.0.1", 40000, 9, b"ah esn packet %d seq=0x%x" % (n, s64), 0x300 + n)
        c.ah_frame(s, inner, s64 & 0xffffffff, tunnel=IP(src=A4, dst=C4, id=0x3000 + n), esn_hi=s64 >> 32)
    t = c.sa(AHSA, 0x2008, B4, A4, "hmac-sha1-96", esn=True,
             comment="ESN SA, transport; 0xffffffff then 0x1_00000000")
    c.ah_frame(t, udp4(B4, A4, 9, 40000, b"ah esn transport 0xffffffff", 0x310), 0xffffffff)
    c.ah_frame(t, udp4(B4, A4, 9, 40000, b"ah esn transport 0x1_00000000", 0x311), 0, esn_hi=1)
    return c


def case_ah_xcbc_cmac():
    c = Case("ah-xcbc-cmac", "AH with AES-XCBC-MAC-96 (RFC 3566) and AES-CMAC-96 (RFC 4494)")
    x4 = c.sa(AHSA, 0x2009, A4, B4, "aes-xcbc-96", comment="AES-XCBC-MAC-96, IPv4")
    m4 = c.sa(AHSA, 0x200a, B4, A4, "aes-cmac-96", comment="AES-CMAC-96, IPv4")
    x6 = c.sa(AHSA, 0x200b, A6, B6, "aes-xcbc-96", comment="AES-XCBC-MAC-96, IPv6")
    m6 = c.sa(AHSA, 0x200c, B6, A6, "aes-cmac-96", comment="AES-CMAC-96, IPv6")
    c.ah_frame(x4, udp4(A4, B4, 40001, 7000, b"xcbc transport", 0x401, options=opts_rr_ra()), 1)
    c.ah_frame(x4, udp4("10.1.0.1", "10.2.0.1", 40002, 7000, b"xcbc tunnel", 0x402), 2,
               tunnel=IP(src=A4, dst=B4, id=0x4002, ttl=9))
    c.ah_frame(m4, udp4(B4, A4, 7000, 40001, b"cmac transport", 0x403, options=opts_nop_eol()), 1,
               mutate=lambda b: en_route4(b, ttl_dec=1, tos=0x02))
    c.ah_frame(m4, IP(src="10.2.0.1", dst="10.1.0.1", id=0x404) / ICMP(type=0, id=3, seq=3), 2,
               tunnel=IP(src=B4, dst=A4, id=0x4004))
    c.ah_frame(x6, IPv6(src=A6, dst=B6) / hbh() / UDP(sport=40003, dport=7000) / Raw(b"xcbc v6"), 1)
    c.ah_frame(m6, IPv6(src=B6, dst=A6) / dstopt() / UDP(sport=7000, dport=40003) / Raw(b"cmac v6"), 1)
    return c


def case_ah_gmac():
    c = Case("ah-gmac", "AH with AES-GMAC (RFC 4543 AUTH_AES_GMAC): IPv4 transport and tunnel, IPv6, a bad ICV, ESN")
    g4 = c.sa(AHSA, 0x200d, A4, B4, "aes-gmac-128", comment="AES-128-GMAC, IPv4 (16-byte key + 4-byte salt)")
    g6 = c.sa(AHSA, 0x200e, A6, B6, "aes-gmac-256", comment="AES-256-GMAC, IPv6 (AH padded by 4 bytes to 40)")
    ge = c.sa(AHSA, 0x200f, B4, A4, "aes-gmac-192", esn=True,
              comment="AES-192-GMAC, ESN, tunnel; 64-bit seq 0xfffffffe..0x1_00000001")
    c.ah_frame(g4, udp4(A4, B4, 40011, 7000, b"gmac transport", 0x411, options=opts_rr_ra()), 1)
    c.ah_frame(g4, udp4("10.1.0.1", "10.2.0.1", 40012, 7000, b"gmac tunnel", 0x412), 2,
               tunnel=IP(src=A4, dst=B4, id=0x4012, ttl=9))
    c.ah_frame(g4, udp4(A4, B4, 40013, 7000, b"gmac transport en route", 0x413), 3,
               mutate=lambda b: en_route4(b, ttl_dec=3, tos=0x02))
    # IP 20 + AH 12: IV at 32..40, tag at 40..56
    g = c.ah(g4, udp4(A4, B4, 40014, 7000, b"gmac tag will be corrupted", 0x414), 4)
    c.add(flip(g, 20 + 12 + 8 + 5), "ah-icv-failed", g4.spi, 4)
    g = c.ah(g4, udp4(A4, B4, 40015, 7000, b"gmac iv will be corrupted", 0x415), 5)
    c.add(flip(g, 20 + 12 + 2), "ah-icv-failed", g4.spi, 5)
    c.ah_frame(g6, IPv6(src=A6, dst=B6) / hbh() / UDP(sport=40016, dport=7000) / Raw(b"gmac v6 transport"), 1)
    c.ah_frame(g6, IPv6(src="2001:db8:1::1", dst="2001:db8:2::1") / UDP(sport=40017, dport=7000) / Raw(b"gmac v6 tunnel"),
               2, tunnel=IPv6(src=A6, dst=B6, hlim=7))
    for n, s64 in enumerate((0xfffffffe, 0xffffffff, 0x100000000, 0x100000001)):
        inner = udp4("10.2.0.1", "10.1.0.1", 9, 40018, b"gmac esn %d seq=0x%x" % (n, s64), 0x420 + n)
        c.ah_frame(ge, inner, s64 & 0xffffffff, tunnel=IP(src=B4, dst=A4, id=0x4020 + n), esn_hi=s64 >> 32)
    return c


def case_ah_esp_bundle():
    c = Case("ah-esp-bundle", "AH outside ESP (IP | AH | ESP | ...), both SAs keyed")
    ah1 = c.sa(AHSA, 0x200d, A4, B4, "hmac-sha1-96", comment="AH, 192.0.2.1 -> 192.0.2.2 (transport bundle)")
    esp1 = c.sa(ESPSA, 0x100d, A4, B4, "aes-cbc", 16, "null", comment="ESP under it: AES-128-CBC, no ESP integrity")
    ah2 = c.sa(AHSA, 0x200e, A4, C4, "hmac-sha2-256-128", comment="AH, gateway 192.0.2.1 -> 198.51.100.1 (tunnel bundle)")
    esp2 = c.sa(ESPSA, 0x100e, A4, C4, "aes-gcm-16", 20, comment="ESP under it: AES-128-GCM-16, tunnel")
    ah3 = c.sa(AHSA, 0x200f, A6, B6, "hmac-sha1-96", comment="AH, IPv6 transport bundle")
    esp3 = c.sa(ESPSA, 0x100f, A6, B6, "aes-cbc", 16, "hmac-sha1-96", comment="ESP under it: AES-128-CBC + HMAC-SHA1-96")
    esp_unk = c.sa(ESPSA, 0x0000cafe, A4, B4, "aes-cbc", 16, "null", in_keyfile=False)

    def bundle(a, e, plain, seq, mode="transport", mutate=None, outer=None):
        eb = c.esp(e, plain, seq, mode, outer=outer)
        cls = IP if eb[0] >> 4 == 4 else IPv6
        b = c.ah(a, cls(eb), seq)
        if mutate:
            b = mutate(b)
        return b

    def rebuilt(plain, mutate=None):
        # transport mode: the rebuilt packet carries the outer header as received,
        # i.e. with the en-route changes (TTL, TOS, flow label ...)
        return mutate(raw(plain)) if mutate else raw(plain)

    p1 = udp4(A4, B4, 40001, 7000, b"bundle #1 udp", 0x501)
    c.add(bundle(ah1, esp1, p1, 1, outer=None), "decrypted", esp1.spi, 1, raw(p1))
    p2 = IP(src=A4, dst=B4, id=0x502) / TCP(sport=40002, dport=80, flags="S", seq=1, options=[("MSS", 1400)])
    m2 = lambda b: en_route4(b, ttl_dec=2, tos=0x01)  # noqa: E731
    c.add(bundle(ah1, esp1, p2, 2, mutate=m2), "decrypted", esp1.spi, 2, rebuilt(p2, m2))
    p3 = IP(src="10.1.0.1", dst="10.2.0.1", id=0x503) / ICMP(type=8, id=1, seq=1) / Raw(b"bundle #3 tunnel")
    c.add(bundle(ah2, esp2, p3, 1, "tunnel", outer=IP(src=A4, dst=C4, id=0x5003, options=opts_rr_ra())),
          "decrypted", esp2.spi, 1, raw(p3))
    p4 = udp6(A6, B6, 40004, 7000, b"bundle #4 ipv6")
    m4 = lambda b: en_route6(b, hlim_dec=1, fl=0x54321)  # noqa: E731
    c.add(bundle(ah3, esp3, p4, 1, mutate=m4), "decrypted", esp3.spi, 1, rebuilt(p4, m4))
    # 5: AH ICV broken (last ICV byte flipped): AH fails, ESP never looked at
    p5 = udp4(A4, B4, 40005, 7000, b"bundle #5 ah icv broken", 0x505)
    b5 = bundle(ah1, esp1, p5, 3)
    c.add(flip(b5, 20 + 12 + 11), "ah-icv-failed", ah1.spi, 3)
    # 6: AH good, ESP SPI 0xcafe not in the key file
    p6 = udp4(A4, B4, 40006, 7000, b"bundle #6 esp spi unknown", 0x506)
    eb = c.esp(esp_unk, p6, 1)
    c.add(c.ah(ah1, IP(eb), 4), "no-sa", esp_unk.spi, 1)
    return c


def case_ah_bad():
    c = Case("ah-bad", "Broken AH packets")
    s = c.sa(AHSA, 0x2010, A4, B4, "hmac-sha1-96", comment="HMAC-SHA1-96")
    unk = c.sa(AHSA, 0xbeef, A4, B4, "hmac-sha1-96", in_keyfile=False)
    mk = lambda i, pl: udp4(A4, B4, 1111, 9, pl, 0x600 + i, options=opts_rr_ra())  # noqa: E731
    # IP header 40 bytes (20 + 20 options), AH at 40, ICV at 52..64, UDP at 64
    c.ah_frame(s, mk(1, b"good ah"), 1)
    g = c.ah(s, mk(2, b"icv will be corrupted"), 2)
    c.add(flip(g, 40 + 12 + 11), "ah-icv-failed", s.spi, 2)
    g = c.ah(s, mk(3, b"payload byte will be corrupted"), 3)
    c.add(flip(g, len(g) - 1), "ah-icv-failed", s.spi, 3)
    g = c.ah(s, mk(4, b"immutable IP ID changed"), 4)
    g = bytearray(g)
    g[4:6] = b"\x66\x99"
    c.add(fix4(bytes(g)), "ah-icv-failed", s.spi, 4)
    g = c.ah(s, mk(5, b"immutable router alert value changed"), 5)
    c.add(fix4(flip(g, 20 + 16 + 3)), "ah-icv-failed", s.spi, 5)  # Router Alert value 0 -> 1
    g = c.ah(unk, mk(6, b"nobody has this key"), 1)
    c.add(g, "no-sa", unk.spi, 1)
    # 7: AH says 24 bytes, but the packet ends 16 bytes into it (IP length fixed)
    g = c.ah(s, mk(7, b"will be truncated"), 6)
    c.add(fix4(g[:40 + 16]), "malformed", s.spi, 6)
    # 8: only 8 bytes of AH (SPI present, no sequence number)
    g = c.ah(s, mk(8, b"will be truncated more"), 7)
    c.add(fix4(g[:40 + 8]), "malformed")
    # 9: AH payload length field claims a 12-byte header (no room for the 12-byte ICV)
    g = bytearray(c.ah(s, mk(9, b"ah length too small"), 8))
    g[41] = 1
    c.add(bytes(g), "malformed", s.spi, 8)
    # 10: good again (so an implementation must not have disabled the SA)
    c.ah_frame(s, mk(10, b"good again"), 9)
    return c


def esp_case(name, title, specs):
    """specs: (spi, src, dst, enc, keylen, auth, comment)"""
    c = Case(name, title)
    for n, (spi, src, dst, enc, kl, auth, comment) in enumerate(specs):
        sa = c.sa(ESPSA, spi, src, dst, enc, kl, auth, comment=comment)
        c.esp_frame(sa, udp4("10.1.0.1", "10.2.0.1", 40000 + n, 7000, b"%s tunnel %s" % (name.encode(), enc.encode()),
                             0x700 + 2 * n), 1, mode="tunnel")
        c.esp_frame(sa, IP(src=src, dst=dst, id=0x701 + 2 * n) / ICMP(type=8, id=n, seq=2)
                    / Raw(b"%s transport %s/%s odd" % (name.encode(), enc.encode(), auth.encode())), 2)
    return c


def case_esp_gmac():
    c = esp_case("esp-gmac", "ESP ENCR_NULL_AUTH_AES_GMAC (RFC 4543)", [
        (0x3004, A4, B4, "aes-gmac", 20, "null", "AES-128-GMAC (16-byte key + 4-byte salt)"),
        (0x3005, B4, A4, "aes-gmac", 36, "null", "AES-256-GMAC (32-byte key + 4-byte salt)"),
    ])
    e = c.sa(ESPSA, 0x3006, A4, B4, "aes-gmac", 20, esn=True, comment="AES-128-GMAC with ESN: 0xffffffff then 0x1_00000000")
    p = udp4("10.1.0.1", "10.2.0.1", 1, 2, b"gmac esn 0xffffffff", 0x7f0)
    c.esp_frame(e, p, 0xffffffff, mode="tunnel")
    p = udp4("10.1.0.1", "10.2.0.1", 1, 2, b"gmac esn 0x1_00000000", 0x7f1)
    c.esp_frame(e, p, 0, mode="tunnel", esn_hi=1)
    return c


REPLAY_SEQ1 = [1, 2, 3, 3, 5, 4] + list(range(6, 101)) + [30, 102, 101]
REPLAY_SEQ2 = [0xfffffff8, 0xfffffff9, 0xfffffffb, 0xfffffffd, 0xfffffffa, 0xfffffffe, 0xffffffff,
               0x100000000, 0x100000001, 0x100000001, 0x100000002]


def replay_status(seqs, w=64):
    """RFC 4303 3.4.3 sliding window (size w), starting at the first packet."""
    out, seen, top = [], set(), None
    stats = {"received": 0, "duplicates": 0, "too_old": 0, "late": 0, "max_reorder": 0}
    for s in seqs:
        stats["received"] += 1
        if top is None or s > top:
            st = "ok"
            top = s
        elif s <= top - w:
            st = "too-old"
            stats["too_old"] += 1
        elif s in seen:
            st = "duplicate"
            stats["duplicates"] += 1
        else:
            st = "late"
            stats["late"] += 1
            stats["max_reorder"] = max(stats["max_reorder"], top - s)
        if st in ("ok", "late"):
            seen.add(s)
        out.append(st)
    stats["lost"] = len(set(range(seqs[0], top + 1)) - seen)
    return out, stats


def case_replay():
    c = Case("replay", "Replay window (RFC 4303 3.4.3, 64 packets): duplicates, reordering, too-old, ESN wrap")
    c.replay = True
    s1 = c.sa(ESPSA, 0x4001, A4, B4, "aes-gcm-16", 20, comment="AES-128-GCM-16, 32-bit sequence numbers")
    s2 = c.sa(ESPSA, 0x4002, A4, B4, "aes-gcm-16", 20, esn=True, comment="AES-128-GCM-16, ESN, crosses 2^32")
    summary = []
    for sa, seqs in ((s1, REPLAY_SEQ1), (s2, REPLAY_SEQ2)):
        st, stats = replay_status(seqs)
        cache = {}
        for s64, rp in zip(seqs, st):
            if s64 not in cache:  # a duplicate is the very same packet sent again (a replay)
                inner = udp4("10.1.0.1", "10.2.0.1", 40000, 9, b"seq %d" % s64, s64 & 0xffff)
                cache[s64] = (c.esp(sa, inner, s64 & 0xffffffff, "tunnel", s64 >> 32), raw(inner))
            b, inner = cache[s64]
            c.add(b, "decrypted", sa.spi, s64, inner, rp)
        summary.append((sa.spi, stats))
    with open(os.path.join(OUT, "replay.summary.tsv"), "w") as f:
        f.write("spi\treceived\tduplicates\ttoo_old\tlate\tlost\tmax_reorder_depth\n")
        for spi, s in summary:
            f.write("0x%08x\t%d\t%d\t%d\t%d\t%d\t%d\n" % (spi, s["received"], s["duplicates"], s["too_old"],
                                                       s["late"], s["lost"], s["max_reorder"]))
    return c


def main():
    cases = [
        ah_v4("ah-v4-tunnel", "tunnel"),
        ah_v4("ah-v4-transport", "transport"),
        case_ah_v6(),
        case_ah_esn(),
        case_ah_xcbc_cmac(),
        case_ah_gmac(),
        case_ah_esp_bundle(),
        case_ah_bad(),
        esp_case("esp-ccm", "ESP AES-CCM (RFC 4309) with 8-, 12- and 16-octet ICVs", [
            (0x3001, A4, B4, "aes-ccm-8", 19, "null", "AES-128-CCM, 8-octet ICV (16-byte key + 3-byte salt)"),
            (0x3002, B4, A4, "aes-ccm-12", 27, "null", "AES-192-CCM, 12-octet ICV (24-byte key + 3-byte salt)"),
            (0x3003, A4, B4, "aes-ccm-16", 35, "null", "AES-256-CCM, 16-octet ICV (32-byte key + 3-byte salt)"),
        ]),
        case_esp_gmac(),
        esp_case("esp-xcbc-cmac", "ESP AES-CBC with AES-XCBC-MAC-96 and AES-CMAC-96 integrity", [
            (0x3007, A4, B4, "aes-cbc", 16, "aes-xcbc-96", "AES-128-CBC + AES-XCBC-MAC-96"),
            (0x3008, B4, A4, "aes-cbc", 16, "aes-cmac-96", "AES-128-CBC + AES-CMAC-96"),
        ]),
        esp_case("esp-legacy", "ESP DES-CBC, Blowfish-CBC and CAST5-CBC with HMAC-SHA1-96", [
            (0x3009, A4, B4, "des-cbc", 8, "hmac-sha1-96", "DES-CBC (8-byte key) + HMAC-SHA1-96"),
            (0x300a, B4, A4, "blowfish-cbc", 16, "hmac-sha1-96", "Blowfish-CBC (16-byte key) + HMAC-SHA1-96"),
            (0x300b, A4, B4, "cast5-cbc", 16, "hmac-sha1-96", "CAST5-CBC (16-byte key) + HMAC-SHA1-96"),
        ]),
        case_replay(),
    ]
    for c in cases:
        c.write_all()
    print("wrote %d cases to %s" % (len(cases), OUT))


if __name__ == "__main__":
    main()

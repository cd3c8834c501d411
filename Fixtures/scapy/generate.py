#!/usr/bin/env python3
"""Regenerate the Scapy-built ESP fixtures for Spiglass.

Generated with: scapy 2.8.0, cryptography 48.0.0, Python 3.11.7
(pinned in requirements.txt beside this file).

Run:   python3 generate.py          (writes into the directory of this file)
Check: python3 verify.py            (independent re-decryption, no scapy)
       python3 verify.py --tshark   (also cross-check with tshark's ESP decryptor)

Everything is deterministic: keys and IVs are derived from fixed labels with
SHA-256, timestamps start at 1700000000.000000 and advance 1 ms per frame, IP
IDs / fragment IDs / ports are fixed.  Running the script twice gives
byte-identical output.

ESP packets are built with scapy's SecurityAssociation (scapy.layers.ipsec).
Where scapy cannot do what a case needs, the ESP body is still produced by
scapy's own CryptAlgo/AuthAlgo objects but driven by hand (see the
comments "WORKAROUND" below):
  * AES-GCM with 8/12-octet ICV: scapy 2.8.0 accepts crypt_icv_size but still
    appends the full 16-octet GCM tag (cryptography's AESGCM API has no tag
    length).  A truncated GCM tag is the leftmost bytes of the full tag
    (RFC 4106 s.8 / NIST SP 800-38D), so we cut the extra bytes off and fix the
    IP length.
  * Bad padding with a *valid* ICV, and a pad length that exceeds the payload:
    we fill scapy's internal _ESPPlain by hand (custom padding / padlen) and
    call crypt_algo.encrypt + auth_algo.sign ourselves.
  * Sequence number 0 (low 32 bits of 0x1_00000000 with ESN): scapy's
    encrypt(seq_num=0) falls back to the SA counter (`seq_num or
    self.seq_num`), so a fresh SecurityAssociation is created per packet with
    seq_num set to the wanted value.
"""

import hashlib
import os
import struct
import sys
from decimal import Decimal

import scapy
from scapy.all import (  # noqa: F401
    IP, IPv6, UDP, TCP, ICMP, Raw, Ether, Dot1Q, Dot1AD, CookedLinux,
    CookedLinuxV2, ICMPv6EchoRequest, ICMPv6EchoReply, IPv6ExtHdrHopByHop,
    IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, RouterAlert, fragment, fragment6,
    raw, wrpcap,
)
from scapy.layers.ipsec import ESP, SecurityAssociation, _ESPPlain
from scapy.utils import PcapNgWriter, PcapWriter

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
MAC = {A4: "02:00:00:00:00:01", B4: "02:00:00:00:00:02",
       C4: "02:00:00:00:00:03", D4: "02:00:00:00:00:04",
       A6: "02:00:00:00:00:01", B6: "02:00:00:00:00:02",
       "2001:db8::10": "02:00:00:00:00:03", "2001:db8::20": "02:00:00:00:00:04"}


def det(label, n):
    """Deterministic pseudo-random bytes from a label."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(("%s#%d" % (label, i)).encode()).digest()
        i += 1
    return out[:n]


# native name -> (scapy crypt algo, icv override, wireshark name, key bytes incl. salt is given by caller)
ENC = {
    "null": ("NULL", None, "NULL"),
    "aes-cbc": ("AES-CBC", None, "AES-CBC [RFC3602]"),
    "3des-cbc": ("3DES", None, "TripleDES-CBC [RFC2451]"),
    "aes-ctr": ("AES-CTR", None, "AES-CTR [RFC3686]"),
    "aes-gcm-16": ("AES-GCM", 16, "AES-GCM with 16 octet ICV [RFC4106]"),
    "aes-gcm-12": ("AES-GCM", 12, "AES-GCM with 12 octet ICV [RFC4106]"),
    "aes-gcm-8": ("AES-GCM", 8, "AES-GCM with 8 octet ICV [RFC4106]"),
    "chacha20-poly1305": ("CHACHA20-POLY1305", None, "ChaCha20 with Poly1305 [RFC7634]"),
}
AUTH = {
    "null": ("NULL", "NULL"),
    "hmac-md5-96": ("HMAC-MD5-96", "HMAC-MD5-96 [RFC2403]"),
    "hmac-sha1-96": ("HMAC-SHA1-96", "HMAC-SHA-1-96 [RFC2404]"),
    "hmac-sha2-256-128": ("SHA2-256-128", "HMAC-SHA-256-128 [RFC4868]"),
    "hmac-sha2-384-192": ("SHA2-384-192", "HMAC-SHA-384-192 [RFC4868]"),
    "hmac-sha2-512-256": ("SHA2-512-256", "HMAC-SHA-512-256 [RFC4868]"),
}
AUTH_KEYLEN = {"null": 0, "hmac-md5-96": 16, "hmac-sha1-96": 20, "hmac-sha2-256-128": 32,
               "hmac-sha2-384-192": 48, "hmac-sha2-512-256": 64}
IV_LEN = {"null": 0, "aes-cbc": 16, "3des-cbc": 8, "aes-ctr": 8, "aes-gcm-16": 8,
          "aes-gcm-12": 8, "aes-gcm-8": 8, "chacha20-poly1305": 8}


class SA:
    def __init__(self, case, spi, src, dst, enc, enc_keylen, auth="null", esn=False,
                 in_keyfile=True, comment=""):
        self.case, self.spi, self.src, self.dst = case, spi, src, dst
        self.enc, self.auth, self.esn = enc, auth, esn
        self.enc_key = det("%s/%08x/enc" % (case, spi), enc_keylen)  # includes salt where applicable
        self.auth_key = det("%s/%08x/auth" % (case, spi), AUTH_KEYLEN[auth])
        self.in_keyfile = in_keyfile
        self.comment = comment

    @property
    def v6(self):
        return ":" in self.src

    def iv(self, seq, tag=""):
        return det("%s/%08x/%d/iv%s" % (self.case, self.spi, seq, tag), IV_LEN[self.enc])

    def scapy_sa(self, seq, esn_hi=0, tunnel=None, natt=None):
        calgo, icv, _ = ENC[self.enc]
        return SecurityAssociation(
            ESP, spi=self.spi, seq_num=seq, crypt_algo=calgo,
            crypt_key=self.enc_key if self.enc != "null" else None,
            crypt_icv_size=icv, auth_algo=AUTH[self.auth][0],
            auth_key=self.auth_key if self.auth != "null" else None,
            tunnel_header=tunnel, nat_t_header=natt, esn_en=self.esn, esn=esn_hi)

    def native_line(self):
        s = "esp spi=0x%08x src=%s dst=%s enc=%s enc-key=0x%s" % (
            self.spi, self.src, self.dst, self.enc, self.enc_key.hex() if self.enc_key else "")
        if self.enc == "null":
            s = "esp spi=0x%08x src=%s dst=%s enc=null" % (self.spi, self.src, self.dst)
        s += " auth=%s" % self.auth
        if self.auth != "null":
            s += " auth-key=0x%s" % self.auth_key.hex()
        if self.esn:
            s += " esn=yes"
        return s

    def esp_sa_line(self):
        assert not self.esn
        ek = "0x" + self.enc_key.hex() if self.enc_key else ""
        ak = "0x" + self.auth_key.hex() if self.auth_key else ""
        return '"%s","%s","%s","0x%08x","%s","%s","%s","%s"' % (
            "IPv6" if self.v6 else "IPv4", self.src, self.dst, self.spi,
            ENC[self.enc][2], ek, AUTH[self.auth][1], ak)


def gcm_trim(sa, pkt):
    """WORKAROUND: scapy always emits a 16-octet GCM tag; truncate to the SA's ICV length."""
    icv = ENC[sa.enc][1]
    if sa.enc.startswith("aes-gcm") and icv < 16:
        pkt[ESP].data = pkt[ESP].data[:-(16 - icv)]
        if pkt.version == 4:
            del pkt.len
            del pkt.chksum
        else:
            del pkt.plen
        if UDP in pkt:
            del pkt[UDP].len
        pkt = pkt.__class__(raw(pkt))
    return pkt


class Case:
    def __init__(self, name, title, linktype=1):
        self.name, self.title, self.linktype = name, title, linktype
        self.sas = []
        self.frames = []  # (l3 bytes, verdict, spi, seq, inner bytes or None)
        self.notes = []

    def sa(self, *a, **kw):
        s = SA(self.name, *a, **kw)
        self.sas.append(s)
        return s

    def add(self, l3, verdict, spi=None, seq=None, inner=None):
        self.frames.append((bytes(l3), verdict, spi, seq, inner))

    def esp(self, sa, plain, seq, mode="transport", esn_hi=0, natt=None, outer_id=None):
        """Encrypt `plain` (an IP/IPv6 packet) with scapy and record it as a decrypted frame."""
        tunnel = None
        if mode == "tunnel":
            tunnel = (IPv6(src=sa.src, dst=sa.dst) if sa.v6
                      else IP(src=sa.src, dst=sa.dst, id=outer_id if outer_id is not None else seq & 0xffff))
        ssa = sa.scapy_sa(seq, esn_hi, tunnel=tunnel, natt=natt)
        pkt = ssa.encrypt(plain, seq_num=seq, iv=sa.iv((esn_hi << 32) | seq))
        pkt = gcm_trim(sa, pkt)
        # sanity: scapy can read its own packet back (except truncated GCM, see above)
        # (plain may be a deliberately odd packet, e.g. next header 59; only check normal ones)
        if not (sa.enc.startswith("aes-gcm") and ENC[sa.enc][1] < 16) and Raw not in plain.payload.__class__.__mro__:
            back = sa.scapy_sa(seq, esn_hi, tunnel=tunnel, natt=natt).decrypt(pkt.__class__(raw(pkt)))
            assert raw(back) == raw(plain), (self.name, seq)
        return raw(pkt)

    def esp_frame(self, sa, plain, seq, mode="transport", esn_hi=0, natt=None):
        b = self.esp(sa, plain, seq, mode, esn_hi, natt)
        self.add(b, "decrypted", sa.spi, (esn_hi << 32) | seq, raw(plain))
        return b

    # ---- output -------------------------------------------------------------
    def l2(self, l3):
        v6 = (l3[0] >> 4) == 6
        et = 0x86DD if v6 else 0x0800
        if v6:
            src, dst = IPv6(l3).src, IPv6(l3).dst
        else:
            src, dst = IP(l3).src, IP(l3).dst
        return Ether(src=MAC.get(src, "02:00:00:00:00:ee"), dst=MAC.get(dst, "02:00:00:00:00:ef"),
                     type=et) / Raw(l3)

    def write(self, l2func=None, linktype=None, suffix=".pcap"):
        lt = linktype if linktype is not None else self.linktype
        pkts = []
        for i, f in enumerate(self.frames):
            p = (l2func or self.l2)(f[0])
            p.time = T0 + STEP * i
            pkts.append(p)
        path = os.path.join(OUT, self.name + suffix)
        if suffix == ".pcapng":
            w = PcapNgWriter(path)
            for p in pkts:
                w.write(p)
            w.close()
        else:
            # WORKAROUND: PcapWriter/wrpcap ignore linktype=0 (`if linktype:`), which
            # DLT_NULL needs, so set the attribute directly before the header is written.
            w = PcapWriter(path)
            w.linktype = lt
            for p in pkts:
                w.write(p)
            w.close()

    def write_keys(self):
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
        ws = [s for s in self.sas if s.in_keyfile]
        if ws and not any(s.esn for s in ws):
            with open(os.path.join(OUT, self.name + ".esp_sa"), "w") as f:
                for s in ws:
                    f.write(s.esp_sa_line() + "\n")

    def write_expected(self):
        with open(os.path.join(OUT, self.name + ".expected.tsv"), "w") as f:
            f.write("frame\tverdict\tspi\tseq\tinner_hex\n")
            for i, (_, verdict, spi, seq, inner) in enumerate(self.frames):
                f.write("%d\t%s\t%s\t%s\t%s\n" % (
                    i + 1, verdict, "0x%08x" % spi if spi is not None else "-",
                    "%d" % seq if seq is not None else "-",
                    inner.hex() if inner is not None else "-"))

    def write_all(self):
        self.write()
        self.write_keys()
        self.write_expected()


def udp4(src, dst, sport, dport, payload, ident=1):
    return IP(src=src, dst=dst, id=ident) / UDP(sport=sport, dport=dport) / Raw(payload)


def udp6(src, dst, sport, dport, payload):
    return IPv6(src=src, dst=dst) / UDP(sport=sport, dport=dport) / Raw(payload)


# =============================================================================
CASES = []


def case_transport_v4_cbc_sha1():
    c = Case("transport-v4-cbc-sha1", "Transport mode IPv4, AES-128-CBC + HMAC-SHA1-96, both directions")
    ab = c.sa(0x00001001, A4, B4, "aes-cbc", 16, "hmac-sha1-96", comment="192.0.2.1 -> 192.0.2.2")
    ba = c.sa(0x00002001, B4, A4, "aes-cbc", 16, "hmac-sha1-96", comment="192.0.2.2 -> 192.0.2.1")
    c.esp_frame(ab, udp4(A4, B4, 40000, 7000, b"spiglass udp query", 0x101), 1)
    c.esp_frame(ba, udp4(B4, A4, 7000, 40000, b"spiglass udp answer, a bit longer than the query", 0x201), 1)
    c.esp_frame(ab, IP(src=A4, dst=B4, id=0x102) / TCP(sport=40001, dport=80, flags="S", seq=1000,
                                                      options=[("MSS", 1400)]), 2)
    c.esp_frame(ba, IP(src=B4, dst=A4, id=0x202) / TCP(sport=80, dport=40001, flags="SA", seq=5000,
                                                      ack=1001), 2)
    c.esp_frame(ab, IP(src=A4, dst=B4, id=0x103) / ICMP(type=8, id=0x77, seq=1) / Raw(bytes(range(48))), 3)
    c.esp_frame(ba, IP(src=B4, dst=A4, id=0x203) / ICMP(type=0, id=0x77, seq=1) / Raw(bytes(range(48))), 3)
    return c


def case_transport_v6_gcm():
    c = Case("transport-v6-gcm", "Transport mode IPv6, AES-256-GCM-16, extension headers before ESP")
    ab = c.sa(0x00001002, A6, B6, "aes-gcm-16", 36, comment="2001:db8::1 -> 2001:db8::2 (AES-256 key + 4-byte salt)")
    ba = c.sa(0x00002002, B6, A6, "aes-gcm-16", 36, comment="2001:db8::2 -> 2001:db8::1")
    c.esp_frame(ab, udp6(A6, B6, 40000, 7000, b"plain ipv6 udp"), 1)
    c.esp_frame(ba, udp6(B6, A6, 7000, 40000, b"plain ipv6 udp answer"), 1)
    c.esp_frame(ab, IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)])
                / UDP(sport=40002, dport=5000) / Raw(b"hop-by-hop before ESP"), 2)
    c.esp_frame(ba, IPv6(src=B6, dst=A6) / IPv6ExtHdrDestOpt()
                / UDP(sport=5000, dport=40002) / Raw(b"destination options before ESP"), 2)
    c.esp_frame(ab, IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)])
                / IPv6ExtHdrDestOpt() / ICMPv6EchoRequest(id=0x42, seq=1, data=b"hbh+dstopt"), 3)
    c.esp_frame(ba, IPv6(src=B6, dst=A6) / TCP(sport=443, dport=40003, flags="SA", seq=777, ack=1), 3)
    return c


def case_tunnel_v6_in_v4_ctr():
    c = Case("tunnel-v6-in-v4-ctr", "Tunnel mode, IPv6 inner in IPv4 outer, AES-128-CTR + HMAC-SHA2-256-128")
    ab = c.sa(0x00001003, A4, C4, "aes-ctr", 20, "hmac-sha2-256-128", comment="gateway 192.0.2.1 -> 198.51.100.1 (AES-128 key + 4-byte nonce)")
    ba = c.sa(0x00002003, C4, A4, "aes-ctr", 20, "hmac-sha2-256-128", comment="gateway 198.51.100.1 -> 192.0.2.1")
    h1, h2 = "2001:db8::10", "2001:db8::20"
    c.esp_frame(ab, udp6(h1, h2, 40000, 7, b"v6 in v4, udp echo"), 1, mode="tunnel")
    c.esp_frame(ba, udp6(h2, h1, 7, 40000, b"v6 in v4, udp echo"), 1, mode="tunnel")
    c.esp_frame(ab, IPv6(src=h1, dst=h2) / ICMPv6EchoRequest(id=9, seq=1, data=b"ping" * 9), 2, mode="tunnel")
    c.esp_frame(ba, IPv6(src=h2, dst=h1) / ICMPv6EchoReply(id=9, seq=1, data=b"ping" * 9), 2, mode="tunnel")
    c.esp_frame(ab, IPv6(src=h1, dst=h2) / TCP(sport=40001, dport=22, flags="S", seq=1), 3, mode="tunnel")
    return c


ESN_SEQUENCE = [0xfffffffd, 0xffffffff, 0x100000000, 0xfffffffe, 0x100000001, 0x100000002, 0x100000003]


def esn_case(name, title, enc, keylen, auth):
    c = Case(name, title)
    sa = c.sa(0x00001004, A4, B4, enc, keylen, auth, esn=True,
              comment="ESN SA; packets carry 64-bit seq 0xfffffffd..0x1_00000003")
    for n, s64 in enumerate(ESN_SEQUENCE):
        inner = udp4("10.1.0.1", "10.2.0.1", 40000, 9, b"esn packet %d seq=0x%x" % (n, s64), 0x400 + n)
        b = c.esp(sa, inner, s64 & 0xffffffff, mode="tunnel", esn_hi=s64 >> 32)
        c.add(b, "decrypted", sa.spi, s64, raw(inner))
    return c


def case_chacha20():
    c = Case("chacha20", "ChaCha20-Poly1305 (RFC 7634), tunnel and transport mode")
    ab = c.sa(0x00001005, A4, B4, "chacha20-poly1305", 36, comment="256-bit key + 4-byte salt")
    ba = c.sa(0x00002005, B4, A4, "chacha20-poly1305", 36)
    c.esp_frame(ab, udp4("10.1.0.1", "10.2.0.1", 40000, 7000, b"chacha tunnel", 0x501), 1, mode="tunnel")
    c.esp_frame(ba, udp4("10.2.0.1", "10.1.0.1", 7000, 40000, b"chacha tunnel reply", 0x502), 1, mode="tunnel")
    c.esp_frame(ab, udp4(A4, B4, 40001, 9, b"chacha transport", 0x503), 2)
    c.esp_frame(ba, IP(src=B4, dst=A4, id=0x504) / ICMP(type=0, id=1, seq=2) / Raw(b"x" * 21), 2)
    return c


def case_sha384_sha512_md5():
    c = Case("sha384-sha512-md5", "AES-192-CBC/SHA-384, AES-256-CBC/SHA-512, 3DES/MD5, NULL/SHA1")
    s1 = c.sa(0x00001006, A4, B4, "aes-cbc", 24, "hmac-sha2-384-192", comment="AES-192-CBC + HMAC-SHA2-384-192 (tunnel)")
    s2 = c.sa(0x00001007, A4, B4, "aes-cbc", 32, "hmac-sha2-512-256", comment="AES-256-CBC + HMAC-SHA2-512-256 (transport)")
    s3 = c.sa(0x00001008, B4, A4, "3des-cbc", 24, "hmac-md5-96", comment="3DES-CBC + HMAC-MD5-96 (tunnel)")
    s4 = c.sa(0x00001009, B4, A4, "null", 0, "hmac-sha1-96", comment="NULL encryption + HMAC-SHA1-96 (transport)")
    c.esp_frame(s1, udp4("10.1.0.1", "10.2.0.1", 1000, 2000, b"aes192/sha384 #1", 0x601), 1, mode="tunnel")
    c.esp_frame(s1, IP(src="10.1.0.1", dst="10.2.0.1", id=0x602) / ICMP(seq=2) / Raw(b"aes192/sha384 #2"), 2, mode="tunnel")
    c.esp_frame(s2, udp4(A4, B4, 1001, 2001, b"aes256/sha512 #1", 0x603), 1)
    c.esp_frame(s2, IP(src=A4, dst=B4, id=0x604) / TCP(sport=1001, dport=2001, flags="PA", seq=10, ack=20) / Raw(b"aes256/sha512 #2"), 2)
    c.esp_frame(s3, udp4("10.2.0.1", "10.1.0.1", 2000, 1000, b"3des/md5 #1", 0x605), 1, mode="tunnel")
    c.esp_frame(s3, udp4("10.2.0.1", "10.1.0.1", 2000, 1000, b"3des/md5 #2 odd length!", 0x606), 2, mode="tunnel")
    c.esp_frame(s4, udp4(B4, A4, 2002, 1002, b"null/sha1 #1 visible in clear", 0x607), 1)
    c.esp_frame(s4, udp4(B4, A4, 2002, 1002, b"null/sha1 #2", 0x608), 2)
    return c


def case_gcm_icv8_12():
    c = Case("gcm-icv8-12", "AES-GCM with 8- and 12-octet ICVs")
    s8 = c.sa(0x0000100a, A4, B4, "aes-gcm-8", 20, comment="AES-128-GCM, 8-octet ICV")
    s12 = c.sa(0x0000100b, B4, A4, "aes-gcm-12", 36, comment="AES-256-GCM, 12-octet ICV")
    c.esp_frame(s8, udp4("10.1.0.1", "10.2.0.1", 1, 2, b"icv8 #1", 0x701), 1, mode="tunnel")
    c.esp_frame(s12, udp4("10.2.0.1", "10.1.0.1", 2, 1, b"icv12 #1", 0x702), 1, mode="tunnel")
    c.esp_frame(s8, udp4(A4, B4, 3, 4, b"icv8 #2 transport", 0x703), 2)
    c.esp_frame(s12, udp4(B4, A4, 4, 3, b"icv12 #2 transport", 0x704), 2)
    return c


def manual_esp(sa, ip_hdr, data, padding, padlen, nh, seq, iv_tag=""):
    """WORKAROUND: drive scapy's CryptAlgo/AuthAlgo with a hand-filled _ESPPlain
    so that padding / pad length can be wrong while the ICV is computed correctly."""
    ssa = sa.scapy_sa(seq)
    esp = _ESPPlain(spi=sa.spi, seq=seq, iv=sa.iv(seq, iv_tag), data=Raw(data), padding=padding,
                    padlen=padlen, nh=nh)
    enc = ssa.crypt_algo.encrypt(ssa, esp, ssa.crypt_key, ssa.crypt_icv_size)
    ssa.auth_algo.sign(enc, ssa.auth_key)
    hdr = ip_hdr.copy()
    hdr.proto = 50
    return raw(IP(raw(hdr / enc)))


def case_bad_packets():
    c = Case("bad-packets", "Valid SAs with broken / special packets")
    cbc = c.sa(0x0000100c, A4, B4, "aes-cbc", 16, "hmac-sha1-96", comment="AES-128-CBC + HMAC-SHA1-96")
    gcm = c.sa(0x0000100d, A4, B4, "aes-gcm-16", 20, comment="AES-128-GCM-16")
    noa = c.sa(0x0000100e, A4, B4, "aes-cbc", 16, "null", comment="AES-128-CBC without integrity (no ICV)")
    unk = c.sa(0x0000dead, A4, B4, "aes-cbc", 16, "hmac-sha1-96", in_keyfile=False)

    def flip(b, off):
        b = bytearray(b)
        b[off] ^= 0x01
        return bytes(b)

    # 1 good CBC packet
    c.esp_frame(cbc, udp4(A4, B4, 1111, 9, b"good packet", 0x801), 1)
    # 2 ICV corrupted (last byte of the frame is in the ICV)
    g = c.esp(cbc, udp4(A4, B4, 1111, 9, b"icv will be corrupted", 0x802), 2)
    c.add(flip(g, len(g) - 1), "icv-failed", cbc.spi, 2)
    # 3 ciphertext corrupted (first ciphertext byte after the 16-byte IV)
    g = c.esp(cbc, udp4(A4, B4, 1111, 9, b"ciphertext will be corrupted", 0x803), 3)
    c.add(flip(g, 20 + 8 + 16), "icv-failed", cbc.spi, 3)
    # 4 non-default padding bytes (should be 01..09), ICV valid: the UDP datagram inside is
    # well-formed, so it is released (RFC 4303 2.4: non-default padding alone does not make an
    # authentic packet false); inner = the rebuilt transport packet
    inner = raw(UDP(sport=1111, dport=9) / Raw(b"bad pad bytes"))  # 21 bytes + 9 pad + 2 = 32
    hdr = IP(src=A4, dst=B4, id=0x804)
    c.add(manual_esp(cbc, hdr, inner, b"\x01\x02\x03\x04\x05\x06\x07\x00\x09", 9, 17, 4),
          "decrypted", cbc.spi, 4, raw(IP(src=A4, dst=B4, id=0x804, proto=17) / Raw(inner)))
    # 5 pad length larger than the payload, ICV valid: garbled
    inner = raw(UDP(sport=1111, dport=9) / Raw(b"pad length 200"))  # 22 + 8 + 2 = 32
    c.add(manual_esp(cbc, IP(src=A4, dst=B4, id=0x805), inner, bytes(range(1, 9)), 200, 17, 5),
          "garbled", cbc.spi, 5)
    # 6 unknown SPI
    g = c.esp(unk, udp4(A4, B4, 1111, 9, b"nobody has this key", 0x806), 1)
    c.add(g, "no-sa", unk.spi, 1)
    # 7 truncated: ESP header + 10 bytes, IP total length fixed
    g = IP(c.esp(cbc, udp4(A4, B4, 1111, 9, b"will be truncated", 0x807), 6))
    tr = raw(g)[:20 + 8 + 10]
    t = IP(tr)
    del t.len
    del t.chksum
    c.add(raw(IP(raw(t))), "malformed", cbc.spi, 6)
    # 8 TFC dummy packet (next header 59)
    dummy = IP(src=A4, dst=B4, id=0x808, proto=59) / Raw(b"\x00" * 24)
    g = c.esp(cbc, dummy, 7)
    c.add(g, "dummy", cbc.spi, 7)
    # 9 not ESP
    c.add(udp4(A4, B4, 5353, 5353, b"just a udp datagram", 0x809), "not-esp")
    # 10 good GCM packet
    c.esp_frame(gcm, udp4(A4, B4, 3333, 4444, b"good gcm", 0x80a), 1)
    # 11 GCM, one ciphertext byte flipped -> tag check fails
    g = c.esp(gcm, udp4(A4, B4, 3333, 4444, b"gcm corrupted", 0x80b), 2)
    c.add(flip(g, 20 + 8 + 8 + 3), "icv-failed", gcm.spi, 2)
    # 12 GCM with valid tag but pad length 0x40 > payload
    inner = raw(UDP(sport=3333, dport=4444) / Raw(b"gcm bad padlen"))  # 22 + 0 pad + 2 = 24
    c.add(manual_esp(gcm, IP(src=A4, dst=B4, id=0x80c), inner, b"", 0x40, 17, 3),
          "garbled", gcm.spi, 3)
    # 13 no-ICV CBC SA, good
    c.esp_frame(noa, udp4(A4, B4, 5555, 6666, b"no integrity", 0x80d), 1)
    # 14 no-ICV CBC SA, non-default padding bytes; the UDP datagram inside (length and
    # checksum field) is well-formed, so it is released with a note
    inner = raw(UDP(sport=5555, dport=6666) / Raw(b"no icv, bad pad"))  # 23 + 7 + 2 = 32
    c.add(manual_esp(noa, IP(src=A4, dst=B4, id=0x80e), inner, b"\x01\x02\x03\x04\x05\x06\xff", 7, 17, 2),
          "decrypted", noa.spi, 2, raw(IP(src=A4, dst=B4, id=0x80e, proto=17) / Raw(inner)))
    return c


IKE_SPI_I = bytes.fromhex("1122334455667788")
IKE_SPI_R = bytes.fromhex("99aabbccddeeff00")


def ike_payload():
    body = det("ike-sk", 48)  # opaque "encrypted" SK payload contents
    sk = struct.pack("!BBH", 0, 0, 4 + len(body)) + body
    hdr = IKE_SPI_I + IKE_SPI_R + struct.pack("!BBBBII", 46, 0x20, 37, 0x08, 2, 28 + len(sk))
    return b"\x00\x00\x00\x00" + hdr + sk


def case_udp_encap():
    c = Case("udp-encap", "ESP in UDP (RFC 3948) with NAT keepalive and IKE (non-ESP marker)")
    ab = c.sa(0x0000100f, A4, C4, "aes-cbc", 16, "hmac-sha1-96", comment="tunnel, 192.0.2.1:4500 -> 198.51.100.1:4500")
    ba = c.sa(0x0000200f, C4, A4, "aes-cbc", 16, "hmac-sha1-96", comment="tunnel, 198.51.100.1:4500 -> 192.0.2.1:4500")
    tr = c.sa(0x00001010, A4, C4, "aes-gcm-16", 20, comment="transport, 192.0.2.1:4500 -> 198.51.100.1:4500")
    nat = c.sa(0x00001011, D4, C4, "aes-cbc", 16, "hmac-sha2-256-128", comment="tunnel, NATed peer 198.51.100.2:31337 -> 198.51.100.1:4500")
    u = UDP(sport=4500, dport=4500)
    c.add(IP(src=A4, dst=C4, id=0x900) / UDP(sport=4500, dport=4500) / Raw(ike_payload()), "ike")
    c.esp_frame(ab, udp4("10.1.0.1", "10.2.0.1", 40000, 7000, b"esp in udp, tunnel", 0x901), 1, mode="tunnel", natt=u)
    c.esp_frame(ba, udp4("10.2.0.1", "10.1.0.1", 7000, 40000, b"esp in udp, tunnel reply", 0x902), 1, mode="tunnel", natt=u)
    c.add(IP(src=A4, dst=C4, id=0x903) / UDP(sport=4500, dport=4500) / Raw(b"\xff"), "keepalive")
    c.esp_frame(tr, udp4(A4, C4, 40001, 9, b"esp in udp, transport mode", 0x904), 1, natt=u)
    c.esp_frame(nat, udp4("10.3.0.1", "10.2.0.1", 40002, 9, b"from behind a NAT", 0x905), 1, mode="tunnel",
                natt=UDP(sport=31337, dport=4500))
    c.add(IP(src=D4, dst=C4, id=0x906) / UDP(sport=31337, dport=4500) / Raw(b"\xff"), "keepalive")
    return c


def case_fragmented():
    c = Case("fragmented", "ESP whose outer IP packet is fragmented (IPv4: 3 fragments, IPv6: 2 fragments)")
    s4 = c.sa(0x00001012, A4, B4, "aes-cbc", 16, "hmac-sha1-96", comment="IPv4 outer, tunnel")
    s6 = c.sa(0x00001013, A6, B6, "aes-cbc", 16, "hmac-sha1-96", comment="IPv6 outer, tunnel")

    def big4(n):
        hdr = 20 + 8
        return udp4("10.1.0.1", "10.2.0.1", 40000 + n, 9, det("frag4-%d" % n, 1400 - hdr), 0xa00 + n)

    def big6(n):
        return udp6("2001:db8::10", "2001:db8::20", 40000 + n, 9, det("frag6-%d" % n, 1400 - 48))

    def frag4(n, order, ident):
        inner = big4(n)
        assert len(raw(inner)) == 1400
        e = IP(c.esp(s4, inner, n, mode="tunnel", outer_id=ident))
        frags = fragment(e, fragsize=496)
        assert len(frags) == 3
        for k, idx in enumerate(order):
            last = k == len(order) - 1
            if last:
                c.add(raw(frags[idx]), "decrypted", s4.spi, n, raw(inner))
            else:
                c.add(raw(frags[idx]), "fragment")

    def frag6(n, order, ident):
        inner = big6(n)
        assert len(raw(inner)) == 1400
        e = IPv6(c.esp(s6, inner, n, mode="tunnel"))
        p = IPv6(src=e.src, dst=e.dst) / IPv6ExtHdrFragment(id=ident) / e.payload
        frags = fragment6(p, 800)
        assert len(frags) == 2, len(frags)
        for k, idx in enumerate(order):
            if k == len(order) - 1:
                c.add(raw(frags[idx]), "decrypted", s6.spi, n, raw(inner))
            else:
                c.add(raw(frags[idx]), "fragment")

    frag4(1, [0, 1, 2], 0x1111)
    frag4(2, [2, 0, 1], 0x2222)   # out of order: last fragment first
    frag6(1, [0, 1], 0x33333333)
    frag6(2, [1, 0], 0x44444444)  # out of order
    # an unfragmented packet on the same SA afterwards
    c.esp_frame(s4, udp4("10.1.0.1", "10.2.0.1", 40009, 9, b"small one", 0xa09), 3, mode="tunnel")
    return c


def linktype_base(name, linktype):
    c = Case(name, "Same small ESP packets (AES-128-CBC + HMAC-SHA1-96, tunnel) in link type %d" % linktype,
             linktype)
    s4 = c.sa(0x00001014, A4, B4, "aes-cbc", 16, "hmac-sha1-96", comment="IPv4")
    s6 = c.sa(0x00001015, A6, B6, "aes-cbc", 16, "hmac-sha1-96", comment="IPv6")
    c.esp_frame(s4, udp4("10.1.0.1", "10.2.0.1", 40000, 9, b"linktype test v4", 0xb01), 1, mode="tunnel")
    c.esp_frame(s6, udp6("2001:db8::10", "2001:db8::20", 40000, 9, b"linktype test v6"), 1, mode="tunnel")
    return c


def is6(l3):
    return (l3[0] >> 4) == 6


def cases_linktypes():
    out = []
    # 802.1Q
    c = linktype_base("linktypes-vlan", 1)
    c.l2 = lambda l3: (Ether(src=MAC[A4], dst=MAC[B4], type=0x8100)
                       / Dot1Q(prio=3, vlan=100, type=0x86DD if is6(l3) else 0x0800) / Raw(l3))
    out.append(c)
    # QinQ 802.1ad outer (0x88a8) + 802.1Q inner
    c = linktype_base("linktypes-qinq", 1)
    c.l2 = lambda l3: (Ether(src=MAC[A4], dst=MAC[B4], type=0x88A8) / Dot1AD(vlan=200, type=0x8100)
                       / Dot1Q(vlan=100, type=0x86DD if is6(l3) else 0x0800) / Raw(l3))
    out.append(c)
    # Linux cooked v1 (DLT 113)
    c = linktype_base("linktypes-sll", 113)
    c.l2 = lambda l3: (CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6,
                                   src=bytes.fromhex("020000000001") + b"\x00\x00",
                                   proto=0x86DD if is6(l3) else 0x0800) / Raw(l3))
    out.append(c)
    # Linux cooked v2 (DLT 276)
    c = linktype_base("linktypes-sll2", 276)
    c.l2 = lambda l3: (CookedLinuxV2(proto=0x86DD if is6(l3) else 0x0800, ifindex=2, lladdrtype=1,
                                     pkttype=0, lladdrlen=6,
                                     src=bytes.fromhex("020000000002") + b"\x00\x00") / Raw(l3))
    out.append(c)
    # LINKTYPE_RAW (101)
    c = linktype_base("linktypes-raw", 101)
    c.l2 = lambda l3: Raw(l3)
    out.append(c)
    # BSD loopback (DLT_NULL 0), family in host byte order (little-endian here):
    # AF_INET=2, and the same IPv6 packet three times with the three BSD AF_INET6 values.
    c = linktype_base("linktypes-null", 0)
    s6 = c.sas[1]
    for seq in (2, 3):
        c.esp_frame(s6, udp6("2001:db8::10", "2001:db8::20", 40000, 9, b"linktype test v6 #%d" % seq),
                    seq, mode="tunnel")
    c.l2 = None
    out.append(c)
    return out


def write_null(c):
    afs = [2, 24, 28, 30]
    i = [0]

    def l2(l3):
        af = afs[i[0]]
        i[0] += 1
        return Raw(struct.pack("<I", af) + l3)
    c.write(l2func=l2, linktype=0)
    c.write_keys()
    c.write_expected()


def main():
    cases = [
        case_transport_v4_cbc_sha1(),
        case_transport_v6_gcm(),
        case_tunnel_v6_in_v4_ctr(),
        esn_case("esn-gcm", "ESN (high 32 bits wrap to 1), AES-128-GCM-16", "aes-gcm-16", 20, "null"),
        esn_case("esn-cbc-sha256", "ESN (high 32 bits wrap to 1), AES-128-CBC + HMAC-SHA2-256-128",
                 "aes-cbc", 16, "hmac-sha2-256-128"),
        case_chacha20(),
        case_sha384_sha512_md5(),
        case_gcm_icv8_12(),
        case_bad_packets(),
        case_udp_encap(),
        case_fragmented(),
    ]
    for c in cases:
        c.write_all()
    for c in cases_linktypes():
        if c.name == "linktypes-null":
            write_null(c)
            continue
        c.write_all()
        if c.name == "linktypes-vlan":
            c.write(suffix=".pcapng")
    print("wrote %d cases to %s" % (len(cases) + 6, OUT))


if __name__ == "__main__":
    main()

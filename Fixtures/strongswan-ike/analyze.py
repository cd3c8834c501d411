#!/usr/bin/env python3
"""Turn one strongSwan IKE fixture directory (capture.pcap, charon-A.log,
charon-B.log) into key tables, tshark's view and the expected story.

usage: analyze.py CASEDIR --case NAME --addr-a ADDR --addr-b ADDR [--desc TEXT]
       analyze.py --summary FIXTUREDIR      (markdown table of all cases to stdout)

ADDR_A/ADDR_B are host A's and host B's outer addresses as they appear in
capture.pcap (nat: N's public address for A).  A is always the initiator of the
first IKE SA.

What it does:
1. parses both charon logs (ike=4, chd=4, mgr=2, net=2): IKE SA key sets
   (SKEYSEED + Sk_*), CHILD_SA key sets (encryption/integrity initiator/responder
   key) with their SPIs, roles, rekey relations, proposals, and every IKE message
   each daemon generated/sent or received/parsed;
2. parses the capture and matches every IKE frame to the sender's log entry
   (same size, in order) and the receiver's;
3. verifies every key independently in Python (package `cryptography`): each
   encrypted IKE message (SK and SKF) must authenticate and decrypt with the
   keys of the IKE SA its SPIs name, and its decrypted payload types must equal
   what charon logged; every ESP packet must authenticate and decrypt with its
   CHILD_SA's keys and contain an IP packet;
4. writes sa.spiglass, ikev2_decryption_table, esp_sa, tshark-ike.txt,
   expected.txt and expected.tsv, and checks that tshark (with the Wireshark
   tables) decrypts every IKE message and ESP packet whose algorithms it knows.
Exits != 0 if anything does not add up.
"""
import argparse
import glob
import hashlib
import hmac
import ipaddress
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives import cmac as cmac_mod
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305
from cryptography.exceptions import InvalidTag

# ------------------------------------------------------------------ names
PAYLOAD = {33: "SA", 34: "KE", 35: "IDi", 36: "IDr", 37: "CERT", 38: "CERTREQ", 39: "AUTH",
           40: "Nonce", 41: "Notify", 42: "Delete", 43: "VendorID", 44: "TSi", 45: "TSr",
           46: "SK", 47: "CP", 48: "EAP", 53: "SKF"}
EXCH = {34: "IKE_SA_INIT", 35: "IKE_AUTH", 36: "CREATE_CHILD_SA", 37: "INFORMATIONAL"}
NOTIFY = {1: "UNSUPPORTED_CRITICAL_PAYLOAD", 4: "INVALID_IKE_SPI", 5: "INVALID_MAJOR_VERSION",
          7: "INVALID_SYNTAX", 9: "INVALID_MESSAGE_ID", 11: "INVALID_SPI", 14: "NO_PROPOSAL_CHOSEN",
          17: "INVALID_KE_PAYLOAD", 24: "AUTHENTICATION_FAILED", 34: "SINGLE_PAIR_REQUIRED",
          35: "NO_ADDITIONAL_SAS", 36: "INTERNAL_ADDRESS_FAILURE", 37: "FAILED_CP_REQUIRED",
          38: "TS_UNACCEPTABLE", 39: "INVALID_SELECTORS", 43: "TEMPORARY_FAILURE",
          44: "CHILD_SA_NOT_FOUND",
          16384: "INITIAL_CONTACT", 16385: "SET_WINDOW_SIZE", 16386: "ADDITIONAL_TS_POSSIBLE",
          16387: "IPCOMP_SUPPORTED", 16388: "NAT_DETECTION_SOURCE_IP",
          16389: "NAT_DETECTION_DESTINATION_IP", 16390: "COOKIE", 16391: "USE_TRANSPORT_MODE",
          16392: "HTTP_CERT_LOOKUP_SUPPORTED", 16393: "REKEY_SA",
          16394: "ESP_TFC_PADDING_NOT_SUPPORTED", 16395: "NON_FIRST_FRAGMENTS_ALSO",
          16396: "MOBIKE_SUPPORTED", 16403: "AUTH_LIFETIME", 16404: "MULTIPLE_AUTH_SUPPORTED",
          16405: "ANOTHER_AUTH_FOLLOWS", 16406: "REDIRECT_SUPPORTED", 16407: "REDIRECT",
          16408: "REDIRECTED_FROM", 16417: "EAP_ONLY_AUTHENTICATION",
          16418: "CHILDLESS_IKEV2_SUPPORTED", 16419: "QUICK_CRASH_DETECTION",
          16420: "IKEV2_MESSAGE_ID_SYNC_SUPPORTED", 16421: "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED",
          16430: "IKEV2_FRAGMENTATION_SUPPORTED", 16431: "SIGNATURE_HASH_ALGORITHMS"}
# strongSwan's payload abbreviations in "generating/parsed ... [ ... ]" -> payload type
SS_PAYLOAD = {"SA": 33, "KE": 34, "IDi": 35, "IDr": 36, "CERT": 37, "CERTREQ": 38, "AUTH": 39,
              "No": 40, "D": 42, "V": 43, "TSi": 44, "TSr": 45, "CPRQ": 47, "CPRP": 47, "CPS": 47,
              "CPA": 47, "EAP": 48}

# strongSwan proposal tokens -> (native IKE enc name fmt, key bytes w/o salt, salt, kind, icv)
ENC_TOKENS = {
    "AES_CBC": ("aes-cbc-{b}", 0, "cbc", 0),
    "AES_CTR": ("aes-ctr-{b}", 4, "ctr", 0),
    "AES_GCM_16": ("aes-gcm-{b}-16", 4, "gcm", 16),
    "AES_GCM_12": ("aes-gcm-{b}-12", 4, "gcm", 12),
    "AES_GCM_8": ("aes-gcm-{b}-8", 4, "gcm", 8),
    "AES_CCM_16": ("aes-ccm-{b}-16", 3, "ccm", 16),
    "AES_CCM_12": ("aes-ccm-{b}-12", 3, "ccm", 12),
    "AES_CCM_8": ("aes-ccm-{b}-8", 3, "ccm", 8),
    "CHACHA20_POLY1305": ("chacha20-poly1305", 4, "chacha", 16),
    "3DES_CBC": ("3des", 0, "3des", 0),
}
INTEG_TOKENS = {  # -> (native name, icv bytes, hash or special)
    "HMAC_MD5_96": ("hmac-md5-96", 12, hashlib.md5),
    "HMAC_SHA1_96": ("hmac-sha1-96", 12, hashlib.sha1),
    "HMAC_SHA2_256_128": ("hmac-sha2-256-128", 16, hashlib.sha256),
    "HMAC_SHA2_384_192": ("hmac-sha2-384-192", 24, hashlib.sha384),
    "HMAC_SHA2_512_256": ("hmac-sha2-512-256", 32, hashlib.sha512),
    "AES_XCBC_96": ("aes-xcbc-96", 12, "xcbc"),
    "AES_CMAC_96": ("aes-cmac-96", 12, "cmac"),
}
PRF_TOKENS = {"PRF_HMAC_MD5": "hmac-md5", "PRF_HMAC_SHA1": "hmac-sha1",
              "PRF_HMAC_SHA2_256": "hmac-sha2-256", "PRF_HMAC_SHA2_384": "hmac-sha2-384",
              "PRF_HMAC_SHA2_512": "hmac-sha2-512", "PRF_AES128_XCBC": "aes-xcbc",
              "PRF_AES128_CMAC": "aes-cmac"}
# Wireshark 4.0 names
WS_IKE_ENC = {"cbc": "AES-CBC-{b} [RFC3602]", "ctr": "AES-CTR-{b} [RFC5930]",
              "gcm": "AES-GCM-{b} with {i} octet ICV [RFC5282]",
              "ccm": "AES-CCM-{b} with {i} octet ICV [RFC5282]", "3des": "3DES [RFC2451]"}
WS_IKE_INTEG = {"HMAC_MD5_96": "HMAC_MD5_96 [RFC2403]", "HMAC_SHA1_96": "HMAC_SHA1_96 [RFC2404]",
                "HMAC_SHA2_256_128": "HMAC_SHA2_256_128 [RFC4868]",
                "HMAC_SHA2_384_192": "HMAC_SHA2_384_192 [RFC4868]",
                "HMAC_SHA2_512_256": "HMAC_SHA2_512_256 [RFC4868]",
                # Wireshark has no AES-XCBC/AES-CMAC for IKEv2: decrypt without checking
                "AES_XCBC_96": "ANY 96-bits of Authentication [No Checking]",
                "AES_CMAC_96": "ANY 96-bits of Authentication [No Checking]"}
WS_ESP_ENC = {"cbc": "AES-CBC [RFC3602]", "ctr": "AES-CTR [RFC3686]",
              "gcm": "AES-GCM with {i} octet ICV [RFC4106]", "3des": "TripleDES-CBC [RFC2451]",
              "chacha": "ChaCha20 with Poly1305 [RFC7634]"}   # no AES-CCM in any Wireshark
WS_ESP_AUTH = {"HMAC_MD5_96": "HMAC-MD5-96 [RFC2403]", "HMAC_SHA1_96": "HMAC-SHA-1-96 [RFC2404]",
               "HMAC_SHA2_256_128": "HMAC-SHA-256-128 [RFC4868]",
               "HMAC_SHA2_384_192": "HMAC-SHA-384-192 [RFC4868]",
               "HMAC_SHA2_512_256": "HMAC-SHA-512-256 [RFC4868]",
               "AES_XCBC_96": "ANY 96 bit authentication [no checking]"}
ESP_NATIVE_ENC = {"cbc": "aes-cbc", "ctr": "aes-ctr", "gcm": "aes-gcm-{i}", "ccm": "aes-ccm-{i}",
                  "chacha": "chacha20-poly1305", "3des": "3des-cbc"}
# what tshark 4.0 cannot do at all
TSHARK_IKE_UNSUPPORTED = {"chacha"}
TSHARK_ESP_UNSUPPORTED = {"chacha", "ccm"}


class Fail(Exception):
    pass


ERRORS = []


def err(msg):
    ERRORS.append(msg)


# ------------------------------------------------------------------ algorithms
class Algs:
    """A parsed strongSwan proposal such as AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048."""

    def __init__(self, prop):
        self.prop = prop
        toks = prop.split("/")
        m = re.match(r"(.*?)_(\d+)$", toks[0])
        base, bits = (m.group(1), int(m.group(2))) if m and toks[0] != "CHACHA20_POLY1305" else (toks[0], 256)
        if toks[0].startswith("3DES"):
            base, bits = "3DES_CBC", 192
        if base not in ENC_TOKENS:
            raise Fail(f"unknown encryption in proposal {prop}")
        self.enc_fmt, self.salt, self.kind, self.icv = ENC_TOKENS[base]
        self.bits = bits
        self.aead = self.kind in ("gcm", "ccm", "chacha")
        self.integ = next((t for t in toks[1:] if t in INTEG_TOKENS), None)
        self.prf = next((t for t in toks[1:] if t in PRF_TOKENS), None)
        self.dh = next((t for t in toks[1:] if re.match(r"(MODP|ECP|CURVE|X)_", t)), None)
        self.esn = "EXT_SEQ" in toks[1:]

    @property
    def ike_enc_name(self):
        return self.enc_fmt.format(b=self.bits)

    @property
    def integ_name(self):
        return INTEG_TOKENS[self.integ][0] if self.integ else "none"

    @property
    def integ_len(self):
        return INTEG_TOKENS[self.integ][1] if self.integ else 0

    @property
    def block(self):
        return 8 if self.kind == "3des" else 16

    @property
    def iv_len(self):
        return {"cbc": 16, "3des": 8}.get(self.kind, 8)

    def esp_enc_name(self):
        return ESP_NATIVE_ENC[self.kind].format(i=self.icv)


def aes_xcbc_mac(key, data):
    """RFC 3566 AES-XCBC-MAC (full 16 bytes)."""
    def ecb(k, block):
        e = Cipher(algorithms.AES(k), modes.ECB()).encryptor()
        return e.update(block) + e.finalize()
    k1, k2, k3 = (ecb(key, bytes([i]) * 16) for i in (1, 2, 3))
    blocks = [data[i:i + 16] for i in range(0, len(data), 16)] or [b""]
    e = bytes(16)
    for b in blocks[:-1]:
        e = ecb(k1, bytes(x ^ y for x, y in zip(b, e)))
    last = blocks[-1]
    if len(last) == 16:
        last = bytes(x ^ y ^ z for x, y, z in zip(last, e, k2))
    else:
        last = last + b"\x80" + bytes(15 - len(last))
        last = bytes(x ^ y ^ z for x, y, z in zip(last, e, k3))
    return ecb(k1, last)


def mac(integ, key, data):
    name, ilen, h = INTEG_TOKENS[integ]
    if h == "xcbc":
        return aes_xcbc_mac(key, data)[:ilen]
    if h == "cmac":
        c = cmac_mod.CMAC(algorithms.AES(key))
        c.update(data)
        return c.finalize()[:ilen]
    return hmac.new(key, data, h).digest()[:ilen]


def cbc_like_decrypt(algs, key, iv, ct):
    if algs.kind == "cbc":
        c = Cipher(algorithms.AES(key), modes.CBC(iv))
    elif algs.kind == "3des":
        try:
            from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
        except ImportError:
            TripleDES = algorithms.TripleDES
        c = Cipher(TripleDES(key), modes.CBC(iv))
    elif algs.kind == "ctr":
        c = Cipher(algorithms.AES(key[:-4]), modes.CTR(key[-4:] + iv + b"\0\0\0\1"))
    else:
        raise Fail(f"not a non-AEAD cipher: {algs.kind}")
    d = c.decryptor()
    return d.update(ct) + d.finalize()


def aead_decrypt(algs, key, iv, ct_tag, aad):
    k, salt = key[:-algs.salt], key[-algs.salt:]
    if algs.kind == "gcm":
        if algs.icv != 16:
            raise Fail("only 16-byte GCM ICVs are implemented here")
        return AESGCM(k).decrypt(salt + iv, ct_tag, aad)
    if algs.kind == "ccm":
        return AESCCM(k, tag_length=algs.icv).decrypt(salt + iv, ct_tag, aad)
    if algs.kind == "chacha":
        return ChaCha20Poly1305(k).decrypt(salt + iv, ct_tag, aad)
    raise Fail(f"not an AEAD: {algs.kind}")


# ------------------------------------------------------------------ pcap
def read_pcap(path):
    data = open(path, "rb").read()
    if data[:4] == b"\xd4\xc3\xb2\xa1":
        en = "<"
    elif data[:4] == b"\xa1\xb2\xc3\xd4":
        en = ">"
    else:
        raise Fail(f"{path}: not a microsecond pcap")
    if struct.unpack(en + "I", data[20:24])[0] != 1:
        raise Fail(f"{path}: not Ethernet")
    off, n, out = 24, 0, []
    while off < len(data):
        sec, usec, incl, _ = struct.unpack(en + "IIII", data[off:off + 16])
        n += 1
        out.append((n, sec + usec / 1e6, data[off + 16:off + 16 + incl]))
        off += 16 + incl
    return out


class Frame:
    pass


def parse_frames(path):
    frames = []
    for n, ts, raw in read_pcap(path):
        f = Frame()
        f.n, f.ts, f.len, f.kind = n, ts, len(raw), "other"
        et = struct.unpack("!H", raw[12:14])[0]
        p = raw[14:]
        if et == 0x0800:
            ihl = (p[0] & 15) * 4
            proto, src, dst = p[9], p[12:16], p[16:20]
            pl = p[ihl:struct.unpack("!H", p[2:4])[0]]
        elif et == 0x86DD:
            proto, src, dst = p[6], p[8:24], p[24:40]
            pl = p[40:40 + struct.unpack("!H", p[4:6])[0]]
        else:
            frames.append(f)
            continue
        f.src, f.dst = str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst))
        if proto == 50:
            f.kind, f.esp = "esp", pl
        elif proto == 17:
            f.sport, f.dport = struct.unpack("!HH", pl[:4])
            body = pl[8:]
            if 500 in (f.sport, f.dport):
                f.kind, f.ike = "ike", body
            elif 4500 in (f.sport, f.dport):
                if len(body) == 1 and body[0] == 0xFF:
                    f.kind = "keepalive"
                elif body[:4] == b"\0\0\0\0":
                    f.kind, f.ike = "ike", body[4:]
                else:
                    f.kind, f.esp = "esp", body
        if f.kind == "ike":
            parse_ike_header(f)
        elif f.kind == "esp":
            f.spi, f.seq = struct.unpack("!II", f.esp[:8])
        frames.append(f)
    return frames


def parse_ike_header(f):
    m = f.ike
    f.ispi, f.rspi = m[:8].hex(), m[8:16].hex()
    f.np, f.ver, f.exch, f.flags, f.mid, f.mlen = struct.unpack("!BBBBII", m[16:28])
    f.is_init = bool(f.flags & 0x08)
    f.is_resp = bool(f.flags & 0x20)
    f.exname = EXCH.get(f.exch, str(f.exch))
    f.dir = "response" if f.is_resp else "request"
    # walk the unencrypted payloads
    f.payloads, f.notifies, f.sk = [], [], None
    f.frag = None
    t, off = f.np, 28
    while t and off + 4 <= len(m):
        nxt, _, plen = struct.unpack("!BBH", m[off:off + 4])
        body = m[off + 4:off + plen]
        f.payloads.append(t)
        if t == 41:
            spisize, ntype = body[1], struct.unpack("!H", body[2:4])[0]
            f.notifies.append(ntype)
        if t in (46, 53):
            f.sk = (t, off, plen, nxt)
            if t == 53:
                f.frag = struct.unpack("!HH", body[:4])
            break
        t, off = nxt, off + plen


def walk_inner(first, data):
    """payload types and notify types of a decrypted payload chain"""
    types, notifies, deletes = [], [], []
    t, off = first, 0
    while t and off + 4 <= len(data):
        nxt, _, plen = struct.unpack("!BBH", data[off:off + 4])
        body = data[off + 4:off + plen]
        types.append(t)
        if t == 41:
            notifies.append(struct.unpack("!H", body[2:4])[0])
        if t == 42:
            proto, spisize, num = body[0], body[1], struct.unpack("!H", body[2:4])[0]
            spis = [body[4 + i * spisize:4 + (i + 1) * spisize].hex() for i in range(num)]
            deletes.append(("IKE" if proto == 1 else "ESP" if proto == 3 else str(proto), spis))
        t, off = nxt, off + plen
    return types, notifies, deletes


def ike_decrypt(f, sa):
    """verify and decrypt the SK/SKF payload of frame f with IKE SA keys; returns plaintext
    (payload chain, or fragment content)"""
    algs = sa["algs"]
    m = f.ike
    t, off, plen, nxt = f.sk
    hdr_len = 8 if t == 53 else 4
    body_start = off + hdr_len
    end = off + plen
    sender_is_init = f.is_init
    ek = sa["sk_ei" if sender_is_init else "sk_er"]
    if algs.aead:
        iv = m[body_start:body_start + 8]
        ct_tag = m[body_start + 8:end]
        aad = m[:body_start]
        try:
            pt = aead_decrypt(algs, ek, iv, ct_tag, aad)
        except InvalidTag:
            raise Fail("AEAD tag mismatch")
    else:
        ak = sa["sk_ai" if sender_is_init else "sk_ar"]
        il = algs.integ_len
        if not hmac.compare_digest(mac(algs.integ, ak, m[:end - il]), m[end - il:end]):
            raise Fail("integrity checksum mismatch")
        iv = m[body_start:body_start + algs.iv_len]
        ct = m[body_start + algs.iv_len:end - il]
        pt = cbc_like_decrypt(algs, ek, iv, ct)
    padlen = pt[-1]
    if padlen + 1 > len(pt):
        raise Fail("bad pad length")
    return pt[:-1 - padlen]


# ------------------------------------------------------------------ ESP
def esp_check(child, direction, f):
    """authenticate+decrypt an ESP packet; direction 'i2r' uses the initiator keys"""
    algs = child["algs"]
    ek = child["enc_i" if direction == "i2r" else "enc_r"]
    ak = child["int_i" if direction == "i2r" else "int_r"]
    esp = f.esp
    hdr = esp[:8]
    if algs.aead:
        pt = aead_decrypt(algs, ek, esp[8:16], esp[16:], hdr)
    else:
        il = algs.integ_len
        if not hmac.compare_digest(mac(algs.integ, ak, esp[:-il]), esp[-il:]):
            raise Fail("ICV mismatch")
        ivl = algs.iv_len
        pt = cbc_like_decrypt(algs, ek, esp[8:8 + ivl], esp[8 + ivl:-il])
    padlen, nh = pt[-2], pt[-1]
    if pt[-2 - padlen:-2] != bytes(range(1, padlen + 1)):
        raise Fail("bad ESP padding")
    inner = pt[:-2 - padlen]
    if nh == 4 and inner[0] >> 4 == 4:
        proto = {1: "ICMP", 6: "TCP", 17: "UDP"}.get(inner[9], str(inner[9]))
        return f"{ipaddress.ip_address(inner[12:16])} > {ipaddress.ip_address(inner[16:20])} {proto}"
    if nh == 41 and inner[0] >> 4 == 6:
        proto = {58: "ICMPv6", 6: "TCP", 17: "UDP"}.get(inner[6], str(inner[6]))
        return f"{ipaddress.ip_address(inner[8:24])} > {ipaddress.ip_address(inner[24:40])} {proto}"
    raise Fail(f"unexpected inner next header {nh}")


# ------------------------------------------------------------------ logs
LINE = re.compile(r"^(\w{3} [ \d]\d \d\d:\d\d:\d\d) (\d+)\[(\w+)\] (.*)$")
DUMP = re.compile(r"^(?P<name>.*?) => (?P<len>\d+) bytes @ 0x[0-9a-f]+$")
HEXROW = re.compile(r"^\s+\d+: ((?:[0-9A-F]{2} ){1,16})")
GEN = re.compile(r"^(generating|parsed) (\w+) (request|response) (\d+) \[ (.*?) ?\]$")
SEND = re.compile(r"^sending packet: from (\S+)\[(\d+)\] to (\S+)\[(\d+)\] \((\d+) bytes\)$")
RECV = re.compile(r"^received packet: from (\S+)\[(\d+)\] to (\S+)\[(\d+)\] \((\d+) bytes\)$")
CHECKOUT = re.compile(r"^checkout IKEv2 SA (?:by message )?with SPIs ([0-9a-f]{16})_i ([0-9a-f]{16})_r$")
CHECKIN = re.compile(r"^checkin IKEv2 SA (\S+)\[(\d+)\] with SPIs ([0-9a-f]{16})_i ([0-9a-f]{16})_r$")
CHILD_EST = re.compile(r"^(?:(inbound|outbound) )?CHILD_SA (\S+)\{(\d+)\} established with SPIs "
                       r"([0-9a-f]{8})_i ([0-9a-f]{8})_o")
CHILD_STATE = re.compile(r"^CHILD_SA (\S+)\{(\d+)\} state change: (\w+) => (\w+)$")
ESTABLISHING = re.compile(r"^establishing CHILD_SA (\S+)\{(\d+)\}")
IKE_EST = re.compile(r"^IKE_SA (\S+)\[(\d+)\] (established|rekeyed) between")
IKE_STATE = re.compile(r"^IKE_SA (\S+)\[(\d+)\] state change: (\w+) => (\w+)$")
RETRANSMIT = re.compile(r"^retransmit (\d+) of request with message ID (\d+)$")
FRAG_GEN = re.compile(r"EF\((\d+)/(\d+)\)")


class Log:
    def __init__(self, path, host):
        self.host = host
        self.path = path
        self.lines = []          # (idx, time, thread, group, msg)
        self.dumps = []          # (idx, thread, name, bytes)
        self.exists = os.path.exists(path)
        self.ike_keys, self.child_keys, self.checkins = [], [], {}
        self.sends, self.recvs = [], []
        self.rekey_of, self.ike_rekeyed, self.ike_events = {}, {}, {}
        if not self.exists:
            return
        raw = open(path, errors="replace").read().splitlines()
        i = 0
        while i < len(raw):
            m = LINE.match(raw[i])
            if not m:
                i += 1
                continue
            t, th, grp, msg = m.group(1), int(m.group(2)), m.group(3), m.group(4)
            d = DUMP.match(msg)
            if d and grp in ("IKE", "CHD"):
                n = int(d.group("len"))
                data = ""
                j = i + 1
                while len(data) < 2 * n and j < len(raw):
                    mm = LINE.match(raw[j])
                    h = HEXROW.match(mm.group(4)) if mm and int(mm.group(2)) == th else None
                    if not h:
                        break
                    data += h.group(1).replace(" ", "")
                    j += 1
                if len(data) == 2 * n:
                    self.dumps.append((len(self.lines), th, d.group("name"), bytes.fromhex(data)))
                self.lines.append((len(self.lines), t, th, grp, msg))
                i = j
                continue
            self.lines.append((len(self.lines), t, th, grp, msg))
            i += 1
        self._analyze()

    @staticmethod
    def _note(th, idx, msg, ctx, recv_notes):
        ctx.setdefault(th, []).append((idx, msg))
        if th in recv_notes:
            recv_notes[th]["notes"].append((idx, msg))

    def _analyze(self):
        self.ike_keys = []       # dicts
        self.child_keys = []     # dicts
        self.checkins = {}       # unique id -> (name, ispi, rspi) last nonzero
        self.sends, self.recvs = [], []
        self.rekey_of = {}       # new child id -> old child id
        self.ike_rekeyed = {}    # old ike uid -> new ike uid
        self.ike_events = {}     # uid -> list of strings
        dumps_at = {}
        for idx, th, name, data in self.dumps:
            dumps_at[idx] = (name, data)
        cur_ike = {}             # thread -> open IKE key set
        cur_child = {}           # thread -> open child key set
        last_parsed = {}         # thread -> (exch, dir, mid, payloads)
        last_ike_prop = {}       # thread -> proposal
        last_esp_prop = {}
        last_any_ike_prop = last_any_esp_prop = None
        new_child_on = {}        # thread -> child id being created
        pending_gen = {}         # thread -> list of generated fragments awaiting a send
        full_gen = {}            # thread -> last full (unfragmented) generating entry
        retrans = {}             # thread -> (count, mid)
        last_sent_msg = {}       # (mid, dir) -> generated entry
        pending_recv = {}        # thread -> receive event awaiting its parsed line
        rekeyed_new_ike = {}     # thread -> new ike uid (rekeyed between)
        ctx = {}                 # thread -> list of recent notable lines
        last_checkout = {}       # thread -> (ispi, rspi) of the IKE SA it checked out last
        retrans_frag = {}        # thread -> fragments of a retransmitted message sent so far
        recv_notes = {}          # thread -> receive event collecting what followed its parsing
        for idx, t, th, grp, msg in self.lines:
            if idx in dumps_at:
                name, data = dumps_at[idx]
                if name == "SKEYSEED":
                    cur_ike[th] = {"idx": idx, "thread": th, "prop": last_ike_prop.get(th, last_any_ike_prop),
                                   "host": self.host, "checkout": last_checkout.get(th)}
                    self.ike_keys.append(cur_ike[th])
                elif name.startswith("Sk_") and th in cur_ike:
                    cur_ike[th][name.split()[0].lower()] = data
                elif name in ("encryption initiator key", "encryption responder key",
                              "integrity initiator key", "integrity responder key"):
                    key = {"encryption initiator key": "enc_i", "encryption responder key": "enc_r",
                           "integrity initiator key": "int_i", "integrity responder key": "int_r"}[name]
                    c = cur_child.get(th)
                    if c is None or key in c:
                        lp = last_parsed.get(th)
                        c = {"idx": idx, "thread": th, "host": self.host,
                             "prop": last_esp_prop.get(th, last_any_esp_prop),
                             "exchange": lp[0] if lp else None,
                             # the thread last parsed a response: this host initiated the exchange
                             "initiated_here": bool(lp and lp[1] == "response"),
                             "parsed": lp}
                        cur_child[th] = c
                        self.child_keys.append(c)
                    c[key] = data
                continue
            m = GEN.match(msg)
            if m and grp == "ENC":
                kind, exch, dr, mid, pl = m.group(1), m.group(2), m.group(3), int(m.group(4)), m.group(5)
                entry = {"exch": exch, "dir": dr, "mid": mid, "payloads": pl, "idx": idx, "time": t,
                         "thread": th, "ctx": list(ctx.get(th, []))}
                if kind == "parsed":
                    last_parsed[th] = (exch, dr, mid, pl)
                    if th in pending_recv:
                        recv_notes[th] = pending_recv[th]
                        ev = pending_recv[th]
                        if FRAG_GEN.search(pl) and "frag" not in ev:
                            fm = FRAG_GEN.search(pl)
                            ev["frag"] = (int(fm.group(1)), int(fm.group(2)))
                            ev.update(exch=exch, dir=dr, mid=mid)
                        elif "parsed" not in ev:
                            ev.update(exch=exch, dir=dr, mid=mid, parsed=pl)
                        else:   # reassembled message parsed after the last fragment
                            ev["reassembled"] = pl
                    ctx[th] = []
                else:
                    recv_notes.pop(th, None)
                    ctx[th] = []
                    fm = FRAG_GEN.search(pl)
                    if fm:
                        entry["frag"] = (int(fm.group(1)), int(fm.group(2)))
                        entry["inner"] = full_gen.get(th)
                        pending_gen.setdefault(th, []).append(entry)
                    else:
                        full_gen[th] = entry
                        pending_gen.setdefault(th, []).append(entry)
                    retrans.pop(th, None)
                continue
            if grp == "ENC" and msg.startswith("splitting IKE message"):
                # the full message was split: it is not sent itself
                q = pending_gen.get(th, [])
                if q and "frag" not in q[-1]:
                    q.pop()
                continue
            m = SEND.match(msg)
            if m and grp == "NET":
                ev = {"idx": idx, "time": t, "thread": th, "src": m.group(1), "dst": m.group(3),
                      "sport": int(m.group(2)), "dport": int(m.group(4)), "size": int(m.group(5))}
                if th in retrans:
                    cnt, mid = retrans[th]
                    ev["retransmit"] = cnt
                    orig = last_sent_msg.get((mid, "request"))
                    ev["msg"] = dict(orig or {"exch": "?", "dir": "request", "mid": mid, "payloads": "?"})
                    # a retransmitted fragmented message: fragments in order
                    k = retrans_frag.get(th, 0)
                    frags = orig.get("frags") if orig else None
                    if frags:
                        ev["msg"] = dict(frags[k % len(frags)])
                        retrans_frag[th] = k + 1
                else:
                    q = pending_gen.get(th, [])
                    if q:
                        g = q.pop(0)
                        ev["msg"] = g
                        if "frag" in g:
                            inner = g.get("inner") or {}
                            inner.setdefault("frags", []).append(g)
                            last_sent_msg[(g["mid"], g["dir"])] = inner
                        else:
                            last_sent_msg[(g["mid"], g["dir"])] = g
                self.sends.append(ev)
                continue
            m = RECV.match(msg)
            if m and grp == "NET":
                ev = {"idx": idx, "time": t, "thread": th, "src": m.group(1), "dst": m.group(3),
                      "size": int(m.group(5)), "notes": []}
                recv_notes.pop(th, None)
                pending_recv[th] = ev
                self.recvs.append(ev)
                ctx[th] = []
                continue
            m = RETRANSMIT.match(msg)
            if m:
                retrans[th] = (int(m.group(1)), int(m.group(2)))
                retrans_frag[th] = 0
                continue
            if grp == "CFG" and msg.startswith("selected proposal: IKE:"):
                last_ike_prop[th] = last_any_ike_prop = msg.split("IKE:", 1)[1].strip()
                continue
            if grp == "CFG" and msg.startswith("selected proposal: ESP:"):
                last_esp_prop[th] = last_any_esp_prop = msg.split("ESP:", 1)[1].strip()
                continue
            m = CHECKOUT.match(msg)
            if m:
                last_checkout[th] = (m.group(1), m.group(2))
            if grp == "MGR" and msg.startswith("checkout"):
                ctx[th] = []          # a new job on this thread
                continue
            m = CHECKIN.match(msg) if grp == "MGR" else None
            if grp == "MGR" and msg.startswith("checkin"):
                recv_notes.pop(th, None)   # processing of the received message is over
            if m:
                uid, ispi, rspi = int(m.group(2)), m.group(3), m.group(4)
                if rspi != "0" * 16:
                    self.checkins[uid] = (m.group(1), ispi, rspi)
                    k = cur_ike.get(th)
                    if k is not None and "ispi" not in k:
                        k["ispi"], k["rspi"], k["uid"] = ispi, rspi, uid
                    c = cur_child.get(th)
                    if c is not None and "ike" not in c and "spi_in" in c:
                        c["ike"] = (ispi, rspi)
                continue
            m = CHILD_EST.match(msg)
            if m:
                c = cur_child.get(th)
                if c is not None and "spi_in" not in c:
                    c["name"], c["uid"] = m.group(2), int(m.group(3))
                    c["spi_in"], c["spi_out"] = m.group(4), m.group(5)
                    c["est_line"] = msg
                self._note(th, idx, msg, ctx, recv_notes)
                continue
            m = ESTABLISHING.match(msg)
            if m:
                new_child_on[th] = int(m.group(2))
                self._note(th, idx, msg, ctx, recv_notes)
                continue
            m = CHILD_STATE.match(msg)
            if m:
                cid, old, new = int(m.group(2)), m.group(3), m.group(4)
                if old == "CREATED" and new == "INSTALLING":
                    new_child_on.setdefault(th, cid)
                    if new_child_on[th] != cid:
                        new_child_on[th] = cid
                if new == "REKEYING" and th in new_child_on and new_child_on[th] != cid:
                    self.rekey_of[new_child_on[th]] = cid
                continue
            m = IKE_EST.match(msg)
            if m:
                uid = int(m.group(2))
                self.ike_events.setdefault(uid, []).append(m.group(3))
                if m.group(3) == "rekeyed":
                    rekeyed_new_ike[th] = uid
                self._note(th, idx, msg, ctx, recv_notes)
                continue
            m = IKE_STATE.match(msg)
            if m:
                uid, new = int(m.group(2)), m.group(4)
                if new == "REKEYED" and th in rekeyed_new_ike and rekeyed_new_ike[th] != uid:
                    self.ike_rekeyed[uid] = rekeyed_new_ike.pop(th)
                continue
            if grp in ("IKE", "NET", "CHD", "ENC") and re.search(
                    r"sending DELETE|received DELETE|COOKIE|peer didn't accept|initiating IKE_SA|"
                    r"no CHILD_SA built|failed to establish CHILD_SA|MAC mismatched|"
                    r"notify error|giving up|not responding|closing CHILD_SA|behind NAT|"
                    r"reassembled fragmented|splitting IKE message|deleting IKE_SA|IKE_SA deleted|"
                    r"CHILD_SA closed|authentication of .* successful|received TS_UNACCEPTABLE|"
                    r"no IKE config found|no matching CHILD_SA config|received proposals inacceptable|"
                    r"no acceptable proposal|DH group .* unacceptable", msg):
                self._note(th, idx, msg, ctx, recv_notes)
                if "sending COOKIE notify" in msg and th in pending_recv and "exch" not in pending_recv[th]:
                    # answered by the receiver itself, without creating an IKE_SA
                    ev = pending_recv[th]
                    ev.update(exch="IKE_SA_INIT", dir="request", mid=0)
                    ev["notes"].append((idx, msg))
        for k in self.ike_keys:
            # keys of an IKE SA destroyed right away (e.g. AUTHENTICATION_FAILED) are never
            # checked in with their SPIs: use those the deriving thread had checked out
            if "ispi" not in k and k.get("checkout") and k["checkout"][1] != "0" * 16:
                k["ispi"], k["rspi"] = k["checkout"]
                k["uid"] = next((u for u, v in self.checkins.items() if v[1:] == k["checkout"]), None)
            if k.get("prop") is None:
                err(f"{self.path}: no IKE proposal for key set at line {k['idx']}")


# ------------------------------------------------------------------ main analysis
def hexs(b):
    return b.hex()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("casedir", nargs="?")
    ap.add_argument("--case")
    ap.add_argument("--addr-a")
    ap.add_argument("--addr-b")
    ap.add_argument("--desc", default="")
    ap.add_argument("--summary")
    a = ap.parse_args()
    if a.summary:
        return summary(a.summary)
    run(a)


def run(a):
    d = a.casedir
    frames = parse_frames(os.path.join(d, "capture.pcap"))
    logA = Log(os.path.join(d, "charon-A.log"), "A")
    logB = Log(os.path.join(d, "charon-B.log"), "B")
    logs = {"A": logA, "B": logB}
    host_of = {a.addr_a: "A", a.addr_b: "B"}

    # ---------------- IKE SAs with keys (from both logs; must agree)
    ike_sas = {}   # (ispi, rspi) -> dict
    for lg in (logA, logB):
        for k in lg.ike_keys:
            if "ispi" not in k:
                err(f"{lg.path}: IKE key set at line {k['idx']} without SPIs")
                continue
            key = (k["ispi"], k["rspi"])
            need = ["sk_d", "sk_ai", "sk_ar", "sk_ei", "sk_er", "sk_pi", "sk_pr"]
            algs = Algs(k["prop"])
            if algs.aead:
                need = [n for n in need if n not in ("sk_ai", "sk_ar")]
            miss = [n for n in need if n not in k]
            if miss:
                err(f"{lg.path}: IKE SA {key} lacks {miss}")
                continue
            rec = {"ispi": key[0], "rspi": key[1], "algs": algs, "uid": {lg.host: k["uid"]}}
            for n in need + ["sk_ai", "sk_ar"]:
                rec[n] = k.get(n, b"")
            if key in ike_sas:
                o = ike_sas[key]
                for n in need:
                    if o[n] != rec[n]:
                        err(f"IKE SA {key}: {n} differs between the logs of A and B")
                if o["algs"].prop != algs.prop:
                    err(f"IKE SA {key}: proposal differs between logs ({o['algs'].prop} / {algs.prop})")
                o["uid"][lg.host] = k["uid"]
            else:
                ike_sas[key] = rec
    # order IKE SAs by first appearance in the logs (A first)
    # ---------------- CHILD_SAs (from both logs; must agree)
    children = []
    for lg in (logA, logB):
        for c in lg.child_keys:
            if "spi_in" not in c:
                err(f"{lg.path}: CHILD_SA keys at line {c['idx']} never established")
                continue
            algs = Algs(c["prop"])
            # SPIs from A's point of view: a_in = B->A, a_out = A->B
            if lg.host == "A":
                a_in, a_out = c["spi_in"], c["spi_out"]
            else:
                a_in, a_out = c["spi_out"], c["spi_in"]
            initiated_by = lg.host if c["initiated_here"] else ("B" if lg.host == "A" else "A")
            same = next((x for x in children if (x["a_in"], x["a_out"]) == (a_in, a_out)), None)
            if same:
                for n in ("enc_i", "enc_r", "int_i", "int_r"):
                    if same.get(n, b"") != c.get(n, b""):
                        err(f"CHILD_SA {a_in}/{a_out}: {n} differs between the logs")
                if same["initiated_by"] != initiated_by:
                    err(f"CHILD_SA {a_in}/{a_out}: logs disagree who initiated it")
                same["uid"][lg.host] = c["uid"]
                same["rekey_of_uid"][lg.host] = lg.rekey_of.get(c["uid"])
                continue
            children.append({"a_in": a_in, "a_out": a_out, "algs": algs, "name": c["name"],
                             "uid": {lg.host: c["uid"]}, "exchange": c["exchange"],
                             "initiated_by": initiated_by, "ike": c.get("ike"),
                             "rekey_of_uid": {lg.host: lg.rekey_of.get(c["uid"])},
                             "enc_i": c.get("enc_i"), "enc_r": c.get("enc_r"),
                             "int_i": c.get("int_i", b""), "int_r": c.get("int_r", b""),
                             "parsed": c["parsed"]})
    for ch in children:
        ch["pfs"] = ch["algs"].dh is not None
        # which SPI carries initiator-key traffic: i2r = from the exchange initiator
        if ch["initiated_by"] == "A":
            ch["spi_i2r"], ch["spi_r2i"] = ch["a_out"], ch["a_in"]
        else:
            ch["spi_i2r"], ch["spi_r2i"] = ch["a_in"], ch["a_out"]
        ch["rekey_of"] = None
        for host, old_uid in ch["rekey_of_uid"].items():
            if old_uid is None:
                continue
            old = next((x for x in children if x["uid"].get(host) == old_uid), None)
            if old is None:
                err(f"CHILD_SA {ch['a_in']}: rekeyed CHILD_SA uid {old_uid} ({host}) unknown")
            elif ch["rekey_of"] not in (None, old["a_in"]):
                err("logs disagree which CHILD_SA was rekeyed")
            else:
                ch["rekey_of"] = old["a_in"]
                ch["rekey_of_ch"] = old

    # ---------------- IKE frames: decrypt + match
    ike_frames = [f for f in frames if f.kind == "ike"]
    esp_frames = [f for f in frames if f.kind == "esp"]
    for f in frames:
        if f.kind in ("ike", "esp"):
            f.sender = host_of.get(f.src)
            if f.sender is None:
                err(f"frame {f.n}: unknown source address {f.src}")
    frag_buf = {}
    for f in ike_frames:
        f.decrypted, f.inner, f.inner_notifies, f.deletes = None, None, [], []
        if f.sk is None:
            continue
        sa = ike_sas.get((f.ispi, f.rspi))
        if sa is None:
            err(f"frame {f.n}: no IKE keys for SPIs {f.ispi}/{f.rspi}")
            f.decrypted = False
            continue
        try:
            pt = ike_decrypt(f, sa)
            f.decrypted = True
        except Fail as e:
            err(f"frame {f.n}: python IKE check failed: {e}")
            f.decrypted = False
            continue
        if f.sk[0] == 46:
            f.inner, f.inner_notifies, f.deletes = walk_inner(f.sk[3], pt)
        else:
            num, tot = f.frag
            key = (f.ispi, f.rspi, f.mid, f.is_resp)
            fb = frag_buf.setdefault(key, {})
            fb[num] = (pt, f.sk[3] if num == 1 else None)
            if len(fb) == tot:
                whole = b"".join(fb[i][0] for i in range(1, tot + 1))
                types, nots, dels = walk_inner(fb[1][1], whole)
                f.reassembled = (types, nots, dels)
                f.deletes = dels
    # match frames to log events
    used = {("A", "s"): set(), ("B", "s"): set(), ("A", "r"): set(), ("B", "r"): set()}
    for f in ike_frames:
        f.send_ev = f.recv_ev = None
        size = len(f.ike)
        if f.sender in logs and logs[f.sender].exists:
            for i, ev in enumerate(logs[f.sender].sends):
                if i in used[(f.sender, "s")] or ev["size"] != size:
                    continue
                used[(f.sender, "s")].add(i)
                f.send_ev = ev
                break
            if f.send_ev is None:
                err(f"frame {f.n}: not found among {f.sender}'s sent packets")
            else:
                msg = f.send_ev.get("msg")
                if msg and (msg["exch"], msg["dir"], msg["mid"]) != (f.exname, f.dir, f.mid):
                    err(f"frame {f.n}: header {f.exname} {f.dir} {f.mid} != {f.sender}'s log "
                        f"{msg['exch']} {msg['dir']} {msg['mid']}")
                if msg and f.frag and msg.get("frag") != f.frag:
                    err(f"frame {f.n}: fragment {f.frag} != log {msg.get('frag')}")
        recv_host = "B" if f.sender == "A" else "A"
        lg = logs[recv_host]
        if lg.exists:
            for i, ev in enumerate(lg.recvs):
                if i in used[(recv_host, "r")] or ev["size"] != size:
                    continue
                if (ev.get("exch"), ev.get("dir"), ev.get("mid")) != (f.exname, f.dir, f.mid):
                    continue
                if f.frag and ev.get("frag") != f.frag:
                    continue
                used[(recv_host, "r")].add(i)
                f.recv_ev = ev
                break
        # decrypted payload types must equal what charon logged
        msg = f.send_ev.get("msg") if f.send_ev else None
        logged = None
        if msg:
            logged = msg.get("inner", {}).get("payloads") if msg.get("frag") else msg["payloads"]
        if f.recv_ev is not None and logged is None:
            logged = f.recv_ev.get("reassembled") or f.recv_ev.get("parsed")
        f.logged_payloads = logged
        plain = None
        if f.sk is None:
            plain = f.payloads
        elif f.sk[0] == 46 and f.inner is not None:
            plain = f.inner
        elif getattr(f, "reassembled", None):
            plain = f.reassembled[0]
        if logged is not None and plain is not None and (f.sk is None or f.sk[0] == 46 or
                                                           getattr(f, "reassembled", None)):
            # tokens keep their parentheses whole: "CPRP(ADDR DNS)" is one CP payload
            tokens = re.findall(r"[^\s(]+\([^)]*\)|\S+", logged)
            want = [41 if x.startswith("N(") else SS_PAYLOAD.get(x.split("(")[0], -1) for x in tokens]
            if want != plain:
                err(f"frame {f.n}: payloads {plain} != logged [{logged}]")

    # ---------------- ESP: map to CHILD_SAs, check in python
    spi_map = {}
    for ch in children:
        spi_map[ch["spi_i2r"]] = (ch, "i2r")
        spi_map[ch["spi_r2i"]] = (ch, "r2i")
        ch["pkts"] = {"A>B": [], "B>A": []}
    for f in esp_frames:
        sp = f"{f.spi:08x}"
        f.child, f.esp_ok, f.esp_inner = None, False, ""
        if sp not in spi_map:
            err(f"frame {f.n}: ESP SPI {sp} belongs to no logged CHILD_SA")
            continue
        ch, dr = spi_map[sp]
        f.child = ch
        exp_sender = ch["initiated_by"] if dr == "i2r" else ("B" if ch["initiated_by"] == "A" else "A")
        if f.sender != exp_sender:
            err(f"frame {f.n}: SPI {sp} sent by {f.sender}, expected {exp_sender}")
        try:
            f.esp_inner = esp_check(ch, dr, f)
            f.esp_ok = True
        except (Fail, InvalidTag) as e:
            err(f"frame {f.n}: python ESP check failed: {type(e).__name__} {e}")
        ch["pkts"]["A>B" if f.sender == "A" else "B>A"].append(f)

    # ---------------- IKE SA bookkeeping (attempts without keys, outcomes)
    ike_list = []   # ordered records
    by_key = {}

    def ike_rec(ispi, rspi):
        k = (ispi, rspi)
        if k not in by_key:
            r = ike_sas.get(k) or {"ispi": ispi, "rspi": rspi, "algs": None, "uid": {}}
            r.setdefault("frames", [])
            by_key[k] = r
            ike_list.append(r)
        return by_key[k]

    for f in ike_frames:
        if f.rspi == "0" * 16 and f.is_resp:
            r = ike_rec(f.ispi, f.rspi)
        elif f.rspi == "0" * 16:
            # an IKE_SA_INIT request: belongs to the attempt with rspi 0 unless the
            # exchange completed (then to the established SA)
            nxt = next((g for g in ike_frames if g.n > f.n and g.ispi == f.ispi and g.is_resp
                        and g.mid == f.mid and g.exch == f.exch), None)
            r = ike_rec(f.ispi, nxt.rspi if nxt is not None else f.rspi)
        else:
            r = ike_rec(f.ispi, f.rspi)
        r["frames"].append(f)
        f.ike_sa = r
    for k, r in ike_sas.items():
        if k not in by_key:
            ike_rec(*k)
    # initiator host of each IKE SA
    for r in ike_list:
        init_frames = [f for f in r["frames"] if f.is_init]
        # (a rekeyed SA without own traffic: set below from the rekey request)
        r["initiator"] = init_frames[0].sender if init_frames else "?"
    # outcomes from the logs and the capture
    for r in ike_list:
        r["outcome"], r["rekeyed_to"], r["deleted_in"], r["note"] = None, None, None, ""
        if r["rspi"] == "0" * 16:
            resp = [f for f in r["frames"] if f.is_resp]
            if resp:
                nt = NOTIFY.get(resp[0].notifies[0], str(resp[0].notifies[0])) if resp[0].notifies else "?"
                if nt in ("COOKIE", "INVALID_KE_PAYLOAD"):
                    r["outcome"] = f"retry:{nt}"
                else:
                    r["outcome"] = f"failed:{nt}"
            else:
                r["outcome"] = "no-response"
            continue
        auth_resp = [f for f in r["frames"] if f.exname == "IKE_AUTH" and f.is_resp]
        fails = set()
        for f in auth_resp:
            nots = f.inner_notifies or (f.reassembled[1] if getattr(f, "reassembled", None) else [])
            fails |= {NOTIFY.get(n) for n in nots if n < 16384}
        if "AUTHENTICATION_FAILED" in fails:
            r["outcome"] = "failed:AUTHENTICATION_FAILED"
        else:
            est = False
            for host, uid in r["uid"].items():
                if {"established", "rekeyed"} & set(logs[host].ike_events.get(uid, [])):
                    est = True
            r["outcome"] = "established" if est else "failed:?"
            if fails:
                r["note"] = "IKE_AUTH response carried " + ",".join(sorted(x for x in fails if x))
    for r in ike_list:
        for host, uid in r["uid"].items():
            new_uid = logs[host].ike_rekeyed.get(uid)
            if new_uid is not None:
                name, ispi, rspi = logs[host].checkins[new_uid]
                if r["rekeyed_to"] not in (None, (ispi, rspi)):
                    err("logs disagree about the IKE rekey")
                r["rekeyed_to"] = (ispi, rspi)
                by_key[(ispi, rspi)]["rekey_of"] = (r["ispi"], r["rspi"])
    # deletes: INFORMATIONAL requests with a Delete payload
    for f in ike_frames:
        if f.exname == "INFORMATIONAL" and not f.is_resp:
            for proto, spis in f.deletes:
                if proto == "IKE":
                    f.ike_sa["deleted_in"] = f.n
                    f.ike_sa["deleted_by"] = f.sender
                else:
                    for s in spis:
                        for ch in children:
                            if s in (ch["a_in"], ch["a_out"]):
                                ch["deleted_in"] = f.n
                                ch["deleted_by"] = f.sender
    # the response frame that created each CHILD_SA: responses of its exchange in its IKE SA
    # whose (decrypted, reassembled) payloads carry TSi, taken in log order
    def inner_types(f):
        if f.inner is not None:
            return f.inner
        if getattr(f, "reassembled", None):
            return f.reassembled[0]
        return []
    taken = set()
    for ch in children:
        ch["created_in"] = None
        for f in ike_frames:
            if ((f.ispi, f.rspi) == ch.get("ike") and f.exname == ch["exchange"] and f.is_resp
                    and 44 in inner_types(f) and f.n not in taken):
                ch["created_in"] = f.n
                taken.add(f.n)
                break
        if ch["created_in"] is None:
            err(f"CHILD_SA {ch['a_in']}: no response frame that created it")
    for r in ike_list:
        if r.get("rekey_of"):
            old = by_key[r["rekey_of"]]
            cands = [f for f in old["frames"] if f.exname == "CREATE_CHILD_SA" and f.is_resp
                     and f.inner is not None and 44 not in f.inner and 34 in f.inner]
            if cands:
                r["created_in"] = cands[0].n
                req = next(g for g in old["frames"] if g.exname == "CREATE_CHILD_SA" and not g.is_resp
                           and g.mid == cands[0].mid)
                r["initiator"] = req.sender
    # how each CHILD_SA ended: an ESP Delete, or the Delete of its (possibly rekeyed) IKE SA
    for ch in children:
        if ch.get("deleted_in"):
            ch["end"] = ("esp-delete", ch["deleted_in"], ch["deleted_by"])
            continue
        cur = by_key.get(ch.get("ike"))
        while cur is not None and cur.get("rekeyed_to") and not cur.get("deleted_in"):
            cur = by_key.get(cur["rekeyed_to"])
        if cur is not None and cur.get("deleted_in"):
            moved = cur is not by_key.get(ch.get("ike"))
            ch["end"] = ("ike-delete", cur["deleted_in"], cur["deleted_by"], cur if moved else None)
        else:
            ch["end"] = ("none",)
    # ---------------- writers
    write_keys(d, a, ike_list, children, frames)
    if os.path.exists(os.path.join(d, "capture-inside.pcap")):
        write_inside_keys(d, a, ike_list, children)
    tsh = run_tshark(d, ike_list, children, frames)
    write_expected(d, a, frames, ike_list, children, logs, tsh)
    summary_line = (f"frames={len(frames)} ike={len(ike_frames)} esp={len(esp_frames)} "
                    f"ike_sas={len([r for r in ike_list])} child_sas={len(children)} "
                    f"py_ike_ok={sum(1 for f in ike_frames if f.decrypted)}/"
                    f"{sum(1 for f in ike_frames if f.sk)} "
                    f"py_esp_ok={sum(1 for f in esp_frames if f.esp_ok)}/{len(esp_frames)} "
                    f"tshark_ike={tsh['ike_dec']}/{tsh['ike_enc']} tshark_esp={tsh['esp_good']}/{tsh['esp']}"
                    + (f" inside_tshark_esp={tsh['inside_esp_good']}/{tsh['inside_esp']}"
                       if 'inside_esp' in tsh else ""))
    with open(os.path.join(d, "expected.txt"), "a") as fh:
        for e in ERRORS:
            fh.write(f"# ERROR: {e}\n")
        fh.write(f"# summary: {summary_line} RESULT={'OK' if not ERRORS else 'FAIL'}\n")
    for e in ERRORS:
        print("ERROR:", e)
    print(summary_line + (" RESULT=OK" if not ERRORS else " RESULT=FAIL"))
    sys.exit(1 if ERRORS else 0)


# ------------------------------------------------------------------ key files
def ike_label(r):
    return f"{r['ispi']}/{r['rspi']}"


def child_label(ch):
    uids = ", ".join(f"{h}: {ch['name']}{{{u}}}" for h, u in sorted(ch["uid"].items()))
    return uids


def esp_lines(ch, addr_a, addr_b):
    """(src, dst, spi, enc key, auth key, comment) for both directions"""
    ini = ch["initiated_by"]
    res = "B" if ini == "A" else "A"
    addr = {"A": addr_a, "B": addr_b}
    return [(addr[ini], addr[res], ch["spi_i2r"], ch["enc_i"], ch["int_i"], f"{ini} -> {res}"),
            (addr[res], addr[ini], ch["spi_r2i"], ch["enc_r"], ch["int_r"], f"{res} -> {ini}")]


def child_comment(ch):
    ike = ch.get("ike")
    how = (f"created in {ch['exchange']}" + (f" by {ch['initiated_by']}" if ch["exchange"] == "CREATE_CHILD_SA" else ""))
    rk = f"rekey of CHILD_SA with SPIs {ch['rekey_of_ch']['a_in']}/{ch['rekey_of_ch']['a_out']}" if ch["rekey_of"] else "not a rekey"
    return (f"CHILD_SA {child_label(ch)} of IKE SA {ike[0]}/{ike[1]}: {how}, {rk}, "
            f"PFS {'yes (' + ch['algs'].dh + ')' if ch['pfs'] else 'no'}; ESP {ch['algs'].prop}")


def write_keys(d, a, ike_list, children, frames, suffix="", addr_a=None, addr_b=None):
    addr_a = addr_a or a.addr_a
    addr_b = addr_b or a.addr_b
    fam = "IPv6" if ":" in addr_a else "IPv4"
    with open(os.path.join(d, f"sa{suffix}.spiglass"), "w") as fh:
        fh.write(f"# strongSwan 5.9.8 IKEv2 fixture '{a.case}': keys from the charon logs (ike=4, chd=4),\n"
                 f"# verified against capture{suffix}.pcap by analyze.py\n")
        for r in ike_list:
            if r.get("algs") is None or "sk_d" not in r:
                continue
            al = r["algs"]
            fh.write(f"# IKE SA {ike_label(r)} (initiator {r['initiator']}), {al.prop}, {r['outcome']}"
                     + (f", rekeyed into {r['rekeyed_to'][0]}/{r['rekeyed_to'][1]}" if r["rekeyed_to"] else "")
                     + (f", rekey of {r['rekey_of'][0]}/{r['rekey_of'][1]}" if r.get("rekey_of") else "") + "\n")
            line = (f"ike version=2 ispi=0x{r['ispi']} rspi=0x{r['rspi']} enc={al.ike_enc_name} "
                    f"integ={al.integ_name} prf={PRF_TOKENS[al.prf]} sk-d=0x{hexs(r['sk_d'])} "
                    f"sk-ei=0x{hexs(r['sk_ei'])} sk-er=0x{hexs(r['sk_er'])}")
            if not al.aead:
                line += f" sk-ai=0x{hexs(r['sk_ai'])} sk-ar=0x{hexs(r['sk_ar'])}"
            line += f" sk-pi=0x{hexs(r['sk_pi'])} sk-pr=0x{hexs(r['sk_pr'])}"
            fh.write(line + "\n")
        for ch in children:
            fh.write(f"# {child_comment(ch)}\n")
            for src, dst, spi, ek, ak, c in esp_lines(ch, addr_a, addr_b):
                al = ch["algs"]
                fh.write(f"#   {c}" + (" (initiator keys)" if c.startswith(ch["initiated_by"]) else " (responder keys)") + "\n")
                line = f"esp spi=0x{spi} src={src} dst={dst} enc={al.esp_enc_name()} enc-key=0x{hexs(ek)}"
                line += " auth=null" if al.aead else f" auth={al.integ_name} auth-key=0x{hexs(ak)}"
                fh.write(line + "\n")
    # Wireshark tables
    if not suffix:
        lines = []
        for r in ike_list:
            if r.get("algs") is None or "sk_d" not in r:
                continue
            al = r["algs"]
            if al.kind not in WS_IKE_ENC:
                continue    # ChaCha20-Poly1305: no Wireshark name
            enc = WS_IKE_ENC[al.kind].format(b=al.bits, i=al.icv)
            integ = "NONE [RFC4306]" if al.aead else WS_IKE_INTEG[al.integ]
            lines.append(f'{r["ispi"]},{r["rspi"]},{hexs(r["sk_ei"])},{hexs(r["sk_er"])},"{enc}",'
                         f'{hexs(r["sk_ai"])},{hexs(r["sk_ar"])},"{integ}"\n')
        p = os.path.join(d, "ikev2_decryption_table")
        if lines:
            with open(p, "w") as fh:
                fh.writelines(lines)
        elif os.path.exists(p):
            os.remove(p)
    with open(os.path.join(d, "esp_sa" + suffix), "w") as fh:
        if not children:
            fh.write("# no CHILD_SA was established in this capture\n")
        for ch in children:
            al = ch["algs"]
            for src, dst, spi, ek, ak, c in esp_lines(ch, addr_a, addr_b):
                if al.kind not in WS_ESP_ENC:
                    fh.write(f"# {spi} {src} -> {dst}: {al.prop} cannot be expressed in Wireshark's esp_sa\n")
                    continue
                enc = WS_ESP_ENC[al.kind].format(i=al.icv)
                if al.aead:
                    auth, akf = "NULL", ""
                else:
                    auth, akf = WS_ESP_AUTH[al.integ], f"0x{hexs(ak)}"
                fh.write(f'"{fam}","{src}","{dst}","0x{spi}","{enc}","0x{hexs(ek)}","{auth}","{akf}"\n')


def write_inside_keys(d, a, ike_list, children):
    # capture-inside.pcap (nat): A's private address instead of N's public one
    frames = parse_frames(os.path.join(d, "capture-inside.pcap"))
    src_a = next(f.src for f in frames if f.kind == "ike" and f.is_init and not f.is_resp)
    write_keys(d, a, ike_list, children, frames, suffix="-inside", addr_a=src_a, addr_b=a.addr_b)
    # python check of the inside capture too
    spi_map = {}
    for ch in children:
        spi_map[ch["spi_i2r"]] = (ch, "i2r")
        spi_map[ch["spi_r2i"]] = (ch, "r2i")
    n = ok = 0
    for f in frames:
        if f.kind != "esp":
            continue
        n += 1
        ch, dr = spi_map[f"{f.spi:08x}"]
        try:
            esp_check(ch, dr, f)
            ok += 1
        except (Fail, InvalidTag) as e:
            err(f"capture-inside frame {f.n}: python ESP check failed: {e}")
    a.inside = (n, ok, src_a)


# ------------------------------------------------------------------ tshark
TSHARK_FIELDS = ["frame.number", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "udp.srcport", "udp.dstport",
                 "isakmp.ispi", "isakmp.rspi", "isakmp.exchangetype", "isakmp.messageid", "isakmp.flags",
                 "isakmp.frag.number", "isakmp.frag.total", "isakmp.typepayload", "isakmp.notify.msgtype",
                 "isakmp.enc.decrypted", "isakmp.enc.icd", "isakmp.reassembled.in",
                 "esp.spi", "esp.sequence", "esp.protocol", "esp.icv_good", "esp.icv_bad",
                 "_ws.expert.message"]


def tshark(d, pcap, esp_sa, ike_table):
    home = tempfile.mkdtemp()
    try:
        cfg = os.path.join(home, ".config", "wireshark")
        os.makedirs(cfg)
        if esp_sa and os.path.exists(esp_sa):
            shutil.copy(esp_sa, os.path.join(cfg, "esp_sa"))
        if ike_table and os.path.exists(ike_table):
            shutil.copy(ike_table, os.path.join(cfg, "ikev2_decryption_table"))
        with open(os.path.join(cfg, "preferences"), "w") as fh:
            fh.write("esp.enable_encryption_decode: TRUE\nesp.enable_authentication_check: TRUE\n")
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))
        cmd = ["tshark", "-r", pcap, "-n", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
               "-E", "separator=/t"]
        for fl in TSHARK_FIELDS:
            cmd += ["-e", fl]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
        verbose = subprocess.run(["tshark", "-r", pcap, "-n", "-V", "-Y", "isakmp"], env=env,
                                 capture_output=True, text=True, check=True).stdout
        ver = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    finally:
        shutil.rmtree(home)
    rows = [dict(zip(TSHARK_FIELDS, l.split("\t"))) for l in out.splitlines()]
    # per-frame ICV verdicts from the verbose tree ("Integrity Checksum Data: ... [correct]")
    icv = {}
    cur = None
    for l in verbose.splitlines():
        m = re.match(r"^Frame (\d+):", l)
        if m:
            cur = int(m.group(1))
        m = re.search(r"Integrity Checksum Data: .*\[(correct|incorrect[^\]]*)\]", l)
        if m and cur:
            icv.setdefault(cur, []).append(m.group(1).split(",")[0])
    return rows, icv, ver


def run_tshark(d, ike_list, children, frames):
    rows, icv, ver = tshark(d, os.path.join(d, "capture.pcap"), os.path.join(d, "esp_sa"),
                           os.path.join(d, "ikev2_decryption_table"))
    res = {"ike_enc": 0, "ike_dec": 0, "esp": 0, "esp_dec": 0, "esp_good": 0, "ver": ver}
    fmap = {f.n: f for f in frames}
    out = []
    ike_algs_unsupported = set()
    for r in ike_list:
        if r.get("algs") is not None and r["algs"].kind in TSHARK_IKE_UNSUPPORTED:
            ike_algs_unsupported.add((r["ispi"], r["rspi"]))
    no_check = {(r["ispi"], r["rspi"]) for r in ike_list if r.get("algs") is not None
                and r["algs"].integ in ("AES_XCBC_96", "AES_CMAC_96")}
    esp_unsupported = set()
    esp_nocheck = set()
    for ch in children:
        if ch["algs"].kind in TSHARK_ESP_UNSUPPORTED:
            esp_unsupported |= {ch["spi_i2r"], ch["spi_r2i"]}
        if ch["algs"].integ == "AES_XCBC_96":
            esp_nocheck |= {ch["spi_i2r"], ch["spi_r2i"]}
    out.append(f"# tshark view of the IKE messages in capture.pcap with this directory's ikev2_decryption_table")
    out.append(f"# {ver}; prefs esp.enable_encryption_decode/esp.enable_authentication_check = TRUE")
    if ike_algs_unsupported:
        out.append("# NOTE: tshark 4.0 has no ChaCha20-Poly1305 for IKEv2: encrypted IKE messages stay "
                   "encrypted (no ikev2_decryption_table; checked in python by analyze.py instead)")
    if no_check:
        out.append("# NOTE: Wireshark has no AES-XCBC/AES-CMAC integrity for IKEv2: the table says "
                   "'ANY 96-bits of Authentication [No Checking]', so tshark decrypts without checking "
                   "the ICV (analyze.py checks it in python)")
    esp_hdr = ["# tshark view of the ESP packets in capture.pcap with this directory's esp_sa",
               f"# {ver}; prefs esp.enable_encryption_decode/esp.enable_authentication_check = TRUE"]
    kinds = {ch["algs"].kind for ch in children}
    if "ccm" in kinds:
        esp_hdr.append("# NOTE: Wireshark has no AES-CCM for ESP (esp_sa holds comments only): tshark "
                       "cannot decrypt it; analyze.py verified every packet in python")
    if "chacha" in kinds:
        esp_hdr.append("# NOTE: tshark 4.0 has no ChaCha20-Poly1305 for ESP (Wireshark 4.2+ has; esp_sa "
                       "uses its name): packets stay encrypted here; analyze.py verified them in python")
    if esp_nocheck:
        esp_hdr.append("# NOTE: Wireshark ESP has no AES-XCBC-MAC-96: esp_sa says 'ANY 96 bit authentication "
                       "[no checking]', so tshark decrypts but does not check the ICV (analyze.py does)")
    esp_hdr.append("# columns: frame, src > dst, ESP, SPI, sequence, decrypted (next header), ICV")
    out_esp = []
    out.append("# IKE columns: frame, src > dst, SPIi, SPIr, exchange, message ID, flags (I=initiator "
               "R=response), fragment, payload types in order (decrypted ones after SK/SKF), notify "
               "types, decrypted, ICV, expert info")
    for row in rows:
        n = int(row["frame.number"])
        f = fmap[n]
        src = (row["ip.src"] or row["ipv6.src"]).split(",")[0]
        dst = (row["ip.dst"] or row["ipv6.dst"]).split(",")[0]
        if row["isakmp.exchangetype"]:
            flags = int(row["isakmp.flags"], 16)
            fl = ("I" if flags & 8 else "-") + ("R" if flags & 0x20 else "-")
            # (IKEv2 proposal/transform substructures show up as payload types 2 and 3: skipped)
            types = [PAYLOAD.get(int(x), x) for x in row["isakmp.typepayload"].split(",") if x and int(x) >= 33]
            nots = [NOTIFY.get(int(x), x) for x in row["isakmp.notify.msgtype"].split(",") if x]
            enc = f.sk is not None
            dec = bool(row["isakmp.enc.decrypted"])
            ic = icv.get(n, [])
            icvs = "n/a" if not enc else ("correct" if ic and all(x == "correct" for x in ic)
                                          else ("INCORRECT" if ic else "not checked"))
            if enc:
                res["ike_enc"] += 1
                key = (f.ispi, f.rspi)
                if dec and icvs in ("correct",) or (dec and key in no_check and icvs == "not checked"):
                    res["ike_dec"] += 1
                elif key in ike_algs_unsupported:
                    res.setdefault("ike_unsupported", 0)
                    res["ike_unsupported"] += 1
                else:
                    err(f"tshark: IKE frame {n} not decrypted/verified (decrypted={dec}, icv={icvs})")
            frag = f"{row['isakmp.frag.number']}/{row['isakmp.frag.total']}" if row["isakmp.frag.number"] else "-"
            exch = EXCH.get(int(row["isakmp.exchangetype"]), row["isakmp.exchangetype"])
            expert = row["_ws.expert.message"]
            out.append("\t".join([str(n), f"{src} > {dst}", row["isakmp.ispi"], row["isakmp.rspi"], exch,
                                  str(int(row["isakmp.messageid"], 16)), fl, frag, " ".join(types),
                                  " ".join(nots) or "-",
                                  ("decrypted" if dec else "NOT-decrypted") if enc else "plain",
                                  icvs, expert or "-"]))
        elif row["esp.spi"]:
            res["esp"] += 1
            spi = f"{int(row['esp.spi'], 16):08x}"
            dec = bool(row["esp.protocol"])
            good = row["esp.icv_good"] == "1"
            bad = row["esp.icv_bad"] == "1"
            icvs = "good" if good else ("BAD" if bad else "unchecked")
            res["esp_dec"] += dec
            if dec and (good or (spi in esp_nocheck and not bad)):
                res["esp_good"] += 1
            elif spi in esp_unsupported:
                res.setdefault("esp_unsupported", 0)
                res["esp_unsupported"] += 1
            else:
                err(f"tshark: ESP frame {n} SPI {spi} not decrypted/authenticated (dec={dec} icv={icvs})")
            nh = {"0x04": "IPv4", "0x29": "IPv6", "0x00000004": "IPv4", "0x00000029": "IPv6"}.get(
                row["esp.protocol"], row["esp.protocol"] or "-")
            out_esp.append("\t".join([str(n), f"{src} > {dst}", "ESP", spi, row["esp.sequence"],
                                  f"decrypted({nh})" if dec else "NOT-decrypted", icvs]))
    with open(os.path.join(d, "tshark-ike.txt"), "w") as fh:
        fh.write("\n".join(out) + "\n")
        fh.write(f"# summary: IKE encrypted messages decrypted+verified by tshark {res['ike_dec']}/{res['ike_enc']}"
                 + (f" (+{res['ike_unsupported']} unsupported algorithm)" if res.get("ike_unsupported") else "")
                 + "\n")
    with open(os.path.join(d, "tshark-esp.txt"), "w") as fh:
        fh.write("\n".join(esp_hdr + out_esp) + "\n")
        fh.write(f"# summary: ESP decrypted+ICV by tshark {res['esp_good']}/{res['esp']}"
                 + (f" (+{res['esp_unsupported']} unsupported algorithm)" if res.get("esp_unsupported") else "")
                 + "\n")
    inside = os.path.join(d, "capture-inside.pcap")
    if os.path.exists(inside):
        rows2, _, _ = tshark(d, inside, os.path.join(d, "esp_sa-inside"), os.path.join(d, "ikev2_decryption_table"))
        res["inside_esp"] = sum(1 for r in rows2 if r["esp.spi"])
        res["inside_esp_good"] = sum(1 for r in rows2 if r["esp.spi"] and r["esp.protocol"] and r["esp.icv_good"] == "1")
        ike_in = [r for r in rows2 if r["isakmp.exchangetype"] and r["isakmp.exchangetype"] != "34"]
        res["inside_ike_dec"] = sum(1 for r in ike_in if r["isakmp.enc.decrypted"])
        res["inside_ike_enc"] = len(ike_in)
        if res["inside_esp_good"] != res["inside_esp"] or res["inside_ike_dec"] != res["inside_ike_enc"]:
            err(f"tshark: capture-inside.pcap: ESP {res['inside_esp_good']}/{res['inside_esp']}, "
                f"IKE {res['inside_ike_dec']}/{res['inside_ike_enc']}")
        with open(os.path.join(d, "tshark-esp.txt"), "a") as fh:
            fh.write(f"# capture-inside.pcap (with esp_sa-inside): IKE decrypted {res['inside_ike_dec']}/"
                     f"{res['inside_ike_enc']}, ESP decrypted+ICV {res['inside_esp_good']}/{res['inside_esp']}\n")
    return res


# ------------------------------------------------------------------ expected.txt / .tsv
def frame_range(ns):
    if not ns:
        return "-"
    ns = sorted(ns)
    parts, start, prev = [], ns[0], ns[0]
    for n in ns[1:] + [None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ",".join(parts)


def write_expected(d, a, frames, ike_list, children, logs, tsh):
    ike_idx = {id(r): i + 1 for i, r in enumerate(ike_list)}
    ch_idx = {id(c): i + 1 for i, c in enumerate(children)}
    L = []
    L.append(f"# Expected story of {a.case}/capture.pcap, written from the charon logs of A and B")
    L.append(f"# (message contents as charon logged them: strongSwan's payload abbreviations)")
    L.append(f"# case: {a.desc}")
    L.append(f"# host A = {a.addr_a}, host B = {a.addr_b} (addresses as seen in capture.pcap)")
    L.append("")
    L.append("IKE SAs:")
    for r in ike_list:
        i = ike_idx[id(r)]
        al = r.get("algs")
        frs = frame_range([f.n for f in r["frames"]])
        s = (f"  IKE SA #{i}: SPIi {r['ispi']} SPIr {r['rspi']}, initiator {r['initiator']}, "
             f"outcome {r['outcome']}")
        if al:
            s += f", {al.prop}"
        s += f", frames {frs}"
        if r.get("rekey_of"):
            s += (f"; created by rekeying IKE SA #{ike_idx[id(next(x for x in ike_list if (x['ispi'], x['rspi']) == r['rekey_of']))]}"
                  f" (CREATE_CHILD_SA response frame {r.get('created_in', '?')})")
        if r["rekeyed_to"]:
            s += f"; rekeyed into IKE SA #{ike_idx[id(next(x for x in ike_list if (x['ispi'], x['rspi']) == r['rekeyed_to']))]}"
        if r.get("deleted_in"):
            s += f"; deleted by {r['deleted_by']} (INFORMATIONAL Delete, frame {r['deleted_in']})"
        if r["note"]:
            s += f"; {r['note']}"
        L.append(s)
    if not ike_list:
        L.append("  (none)")
    L.append("")
    L.append("CHILD SAs (SPIs: 'A in' = B->A traffic, 'B in' = A->B traffic):")
    for ch in children:
        i = ch_idx[id(ch)]
        ike = ch.get("ike")
        ir = next((x for x in ike_list if (x["ispi"], x["rspi"]) == ike), None)
        s = (f"  CHILD_SA #{i} ({child_label(ch)}): A in {ch['a_in']}, B in {ch['a_out']}; "
             f"created in {ch['exchange']} (response frame {ch.get('created_in', '?')}) of IKE SA "
             f"#{ike_idx.get(id(ir), '?')}, exchange initiated by {ch['initiated_by']}; ")
        s += (f"rekey of CHILD_SA #{ch_idx[id(ch['rekey_of_ch'])]}" if ch["rekey_of"] else "not a rekey")
        s += f"; PFS {'yes, ' + ch['algs'].dh if ch['pfs'] else 'no'}; ESP {ch['algs'].prop}"
        ab, ba = ch["pkts"]["A>B"], ch["pkts"]["B>A"]
        s += (f"; ESP A->B {len(ab)} packets (frames {frame_range([f.n for f in ab])}), "
              f"B->A {len(ba)} packets (frames {frame_range([f.n for f in ba])})")
        rk = next((c for c in children if c.get("rekey_of_ch") is ch), None)
        if rk:
            s += f"; rekeyed by CHILD_SA #{ch_idx[id(rk)]}"
        end = ch["end"]
        if end[0] == "esp-delete":
            s += f"; deleted by {end[2]} (INFORMATIONAL Delete ESP, frame {end[1]})"
        elif end[0] == "ike-delete" and end[3] is not None:
            s += (f"; moved to IKE SA #{ike_idx[id(end[3])]} by the IKE rekey, deleted with it by {end[2]} "
                  f"(frame {end[1]})")
        elif end[0] == "ike-delete":
            s += f"; deleted with its IKE SA by {end[2]} (frame {end[1]})"
        else:
            s += "; not deleted in the capture"
        L.append(s)
    if not children:
        L.append("  (none)")
    L.append("")
    L.append("Frames (IKE: what the sender generated and what either side logged about it; "
             "ESP: the CHILD_SA and the decrypted inner packet):")
    tsv_msgs = []
    shown = set()
    for f in frames:
        if f.kind == "ike":
            ev = f.send_ev or {}
            msg = ev.get("msg") or {}
            r = f.ike_sa
            role = "initiator" if f.is_init else "responder"
            rt = ev.get("retransmit")
            s = (f"  frame {f.n}: {f.exname} {f.dir} msgid {f.mid}, {f.sender} -> "
                 f"{'B' if f.sender == 'A' else 'A'}, sent by the IKE SA {role}, IKE SA #{ike_idx[id(r)]} "
                 f"(SPIi {f.ispi} SPIr {f.rspi})")
            if rt:
                s += f", retransmission #{rt}"
            if f.frag:
                s += f", fragment {f.frag[0]}/{f.frag[1]}"
            if f.sk:
                s += ", encrypted" + (" (verified+decrypted with this IKE SA's keys)" if f.decrypted else " (NOT verified)")
            if msg:
                if msg.get("frag"):
                    s += f"; fragment of [ {(msg.get('inner') or {}).get('payloads', '?')} ]"
                else:
                    s += f"; [ {msg['payloads']} ]" if msg["payloads"] else "; [ ] (empty)"
            elif f.recv_ev and f.recv_ev.get("parsed"):
                s += f"; [ {f.recv_ev['parsed']} ] (as parsed by the receiver)"
            else:
                s += "; (not in the sender's log)"
            notes = []
            recv_host = "B" if f.sender == "A" else "A"
            if not f.is_resp:
                for idx, line in (msg.get("ctx") or []):
                    if (f.sender, idx) not in shown:
                        shown.add((f.sender, idx))
                        notes.append(f"{f.sender}: {line}")
            if f.recv_ev is not None:
                for idx, line in f.recv_ev.get("notes", []):
                    if (recv_host, idx) not in shown:
                        shown.add((recv_host, idx))
                        notes.append(f"{recv_host}: {line}")
            elif logs[recv_host].exists:
                notes.append(f"{recv_host}: never received/processed it")
            else:
                notes.append(f"{recv_host}: no charon running")
            s += "".join(f"\n      {n}" for n in notes)
            L.append(s)
            tsv_msgs.append(["message", str(f.n), f.exname, str(f.mid), f.dir, role,
                             "yes" if rt else "no", f"{f.frag[0]}/{f.frag[1]}" if f.frag else "-",
                             f.ispi, f.rspi, f.sender, "yes" if f.sk else "no",
                             (msg.get("inner") or {}).get("payloads", "") if msg.get("frag") else msg.get("payloads", "")])
        elif f.kind == "esp":
            ch = f.child
            if ch is None:
                L.append(f"  frame {f.n}: ESP SPI {f.spi:08x} seq {f.seq} from {f.sender} (unknown CHILD_SA)")
                continue
            L.append(f"  frame {f.n}: ESP {f.sender} -> {'B' if f.sender == 'A' else 'A'} SPI {f.spi:08x} "
                     f"seq {f.seq}, CHILD_SA #{ch_idx[id(ch)]}, inner {f.esp_inner}")
        else:
            L.append(f"  frame {f.n}: {f.kind}")
    with open(os.path.join(d, "expected.txt"), "w") as fh:
        fh.write("\n".join(L) + "\n")
    # TSV
    T = []
    T.append("# expected.tsv: one row per IKE SA, CHILD_SA and IKE message; '-' = none. Columns per kind:")
    T.append("# kind=ike_sa\tspi_i\tspi_r\toutcome\trekeyed_to\tinitiator_host\tproposal\tframes\tdeleted_in_frame\trekey_of")
    T.append("#   outcome: established | failed:<NOTIFY> | no-response | retry:COOKIE | retry:INVALID_KE_PAYLOAD "
             "(an IKE_SA_INIT attempt answered with that notify; the initiator retried with the same SPIi); "
             "rekeyed_to/rekey_of: spi_i of the new/old IKE SA")
    T.append("# kind=child_sa\tike_spi_i\tike_spi_r\tspi_initiator_inbound\tspi_responder_inbound\tcreated_by\trekey_of\tpfs"
             "\texchange_initiator\tcreated_in_frame\tproposal\tesp_frames_to_initiator\tesp_frames_to_responder\tdeleted_in_frame\tdeleted_how")
    T.append("#   initiator/responder = roles of the IKE SA the CHILD_SA was created in (ike_spi_i is the "
             "initiator's SPI); spi_initiator_inbound = the SPI the IKE initiator receives on; rekey_of = "
             "spi_initiator_inbound of the rekeyed CHILD_SA; exchange_initiator = who sent the creating "
             "request (initiator|responder); deleted_in_frame/deleted_how: the INFORMATIONAL request that "
             "removed it, esp-delete (Delete payload with its SPI) or ike-delete (Delete of its IKE SA, "
             "after any IKE rekeys)")
    T.append("# kind=message\tframe\texchange\tmessage_id\tdirection\tsender\tretransmission\tfragment\tike_spi_i"
             "\tike_spi_r\tsender_host\tencrypted\tpayloads_logged")
    T.append("#   sender: initiator|responder of the IKE SA (the I flag); fragment k/n for RFC 7383 SKF; "
             "payloads_logged: charon's abbreviations of the (inner, reassembled) payloads")
    for r in ike_list:
        rk = r.get("rekey_of")
        T.append("\t".join(["ike_sa", r["ispi"], r["rspi"], r["outcome"],
                            r["rekeyed_to"][0] if r["rekeyed_to"] else "-", r["initiator"],
                            r["algs"].prop if r.get("algs") else "-", frame_range([f.n for f in r["frames"]]),
                            str(r.get("deleted_in") or "-"), rk[0] if rk else "-"]))
    for ch in children:
        ike = ch.get("ike") or ("?", "?")
        ir = next((x for x in ike_list if (x["ispi"], x["rspi"]) == ike), None)
        ike_init = ir["initiator"] if ir else "A"
        # inbound at the IKE initiator: if the initiator is A, that's a_in
        init_in = ch["a_in"] if ike_init == "A" else ch["a_out"]
        resp_in = ch["a_out"] if ike_init == "A" else ch["a_in"]
        old = ch.get("rekey_of_ch")
        old_in = (old["a_in"] if ike_init == "A" else old["a_out"]) if old else "-"
        to_init = ch["pkts"]["B>A" if ike_init == "A" else "A>B"]
        to_resp = ch["pkts"]["A>B" if ike_init == "A" else "B>A"]
        T.append("\t".join(["child_sa", ike[0], ike[1], init_in, resp_in, ch["exchange"], old_in,
                            "yes" if ch["pfs"] else "no",
                            "initiator" if ch["initiated_by"] == ike_init else "responder",
                            str(ch.get("created_in") or "-"), ch["algs"].prop,
                            frame_range([f.n for f in to_init]), frame_range([f.n for f in to_resp]),
                            str(ch["end"][1]) if ch["end"][0] != "none" else "-", ch["end"][0]]))
    for m in tsv_msgs:
        T.append("\t".join(x if x != "" else "-" for x in m))
    with open(os.path.join(d, "expected.tsv"), "w") as fh:
        fh.write("\n".join(T) + "\n")


# ------------------------------------------------------------------ summary
def summary(root):
    rows = ["| case | frames | IKE msgs | ESP pkts | IKE SAs | CHILD_SAs | python IKE/ESP | tshark IKE | tshark ESP |",
            "|---|---|---|---|---|---|---|---|---|"]
    for exp in sorted(glob.glob(os.path.join(root, "*/expected.txt"))):
        case = os.path.basename(os.path.dirname(exp))
        line = [l for l in open(exp) if l.startswith("# summary:")]
        if not line:
            continue
        kv = dict(re.findall(r"(\S+)=(\S+)", line[-1]))
        ts = open(os.path.join(os.path.dirname(exp), "tshark-ike.txt")).read()
        te_ = open(os.path.join(os.path.dirname(exp), "tshark-esp.txt")).read()
        unsup_ike = re.search(r"\(\+(\d+) unsupported algorithm\)", ts)
        unsup_esp = re.search(r"\(\+(\d+) unsupported algorithm\)", te_)
        nocheck_ike = "No Checking" in ts
        nocheck_esp = "no checking" in te_
        ti = kv["tshark_ike"] + (f" (+{unsup_ike.group(1)} n/a)" if unsup_ike else "") + \
            (" (ICV unchecked)" if nocheck_ike else "")
        te = kv["tshark_esp"] + (f" (+{unsup_esp.group(1)} n/a)" if unsup_esp else "") + \
            (" (ICV unchecked)" if nocheck_esp else "")
        if "inside_tshark_esp" in kv:
            te += f"; inside {kv['inside_tshark_esp']}"
        rows.append(f"| `{case}` | {kv['frames']} | {kv['ike']} | {kv['esp']} | {kv['ike_sas']} | "
                    f"{kv['child_sas']} | {kv['py_ike_ok']} / {kv['py_esp_ok']} | {ti} | {te} |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

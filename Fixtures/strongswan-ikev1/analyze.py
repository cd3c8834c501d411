#!/usr/bin/env python3
"""Turn one strongSwan IKEv1 fixture directory (capture.pcap, charon-A.log,
charon-B.log, config/) into key tables, tshark's view, an independent Python
verification and the expected story.

usage: analyze.py CASEDIR --case NAME --addr-a ADDR --addr-b ADDR --psk PSK[,PSK_B] [--desc TEXT]
       analyze.py --summary FIXTUREDIR      (markdown table of all cases to stdout)

ADDR_A/ADDR_B are host A's and host B's outer addresses as they appear in
capture.pcap (nat: N's public address for A).  A is always the phase-1 initiator.

What it does:
1. parses both charon logs (ike=4, chd=4, mgr=2, net=2, enc=1): the IKEv1 key set
   (shared DH secret g^xy, SKEYID, SKEYID_d/a/e, Ka, initial IV, every "next IV"),
   the CHILD_SA keys (with the Quick Mode seeds and the PFS DH secret), and every
   ISAKMP message each daemon generated/sent or received/parsed;
2. parses the capture: ISAKMP (port 500 and 4500 with the non-ESP marker), ISAKMP
   fragments (payload 132, reassembled), ESP-in-UDP;
3. checks independently in Python (package `cryptography`), using only the capture,
   the PSK from the config (or the certificates in the capture) and the logged DH
   shared secrets (which cannot be recomputed without the private exponents):
   - SKEYID, SKEYID_d, SKEYID_a, SKEYID_e and Ka (RFC 2409 section 5, appendix B)
     equal what both daemons logged;
   - the initial IV hash(g^xi | g^xr) equals the logged one; every encrypted message
     decrypts with IVs computed the RFC 2409 appendix B way (phase 1: CBC chained
     across the messages; phase 2: hash(last phase-1 block | M-ID), then chained
     within the exchange), and each IV used is one charon logged;
   - HASH_I/HASH_R (PSK) or SIG_I/SIG_R (RSA, against the certificate in the CERT
     payload), and HASH(1)/(2)/(3) and the Informational/Transaction HASH (SKEYID_a)
     verify;
   - Quick Mode KEYMAT = prf+(SKEYID_d, [g(qm)^xy] | protocol | SPI | Ni_b | Nr_b)
     (RFC 2409 5.5), from the nonces, SPIs and transforms decrypted from the
     capture, equals the CHILD_SA keys both daemons logged;
   - every ESP packet authenticates and decrypts with those keys;
4. writes sa.spiglass, ikev1_decryption_table, esp_sa, tshark-ike.txt,
   tshark-esp.txt, verify.txt, expected.txt and expected.tsv, and checks that
   tshark (with the Wireshark tables) decrypts every ISAKMP message and ESP packet.
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

from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # older cryptography
    TripleDES = algorithms.TripleDES

# ------------------------------------------------------------------ names
EXCH = {2: "Main", 4: "Aggressive", 5: "Informational", 6: "Transaction", 32: "Quick"}
SS_EXCH = {"ID_PROT": 2, "AGGRESSIVE": 4, "INFORMATIONAL_V1": 5, "TRANSACTION": 6, "QUICK_MODE": 32}
PAYLOAD = {1: "SA", 2: "P", 3: "T", 4: "KE", 5: "ID", 6: "CERT", 7: "CR", 8: "HASH", 9: "SIG",
           10: "NONCE", 11: "N", 12: "D", 13: "VID", 14: "ATTR", 20: "NAT-D", 21: "NAT-OA",
           130: "NAT-D(draft)", 131: "NAT-OA(draft)", 132: "FRAG"}
# strongSwan's abbreviations in "generating/parsed ... [ ... ]" -> payload type
SS_PAYLOAD = {"SA": 1, "KE": 4, "ID": 5, "CERT": 6, "CERTREQ": 7, "HASH": 8, "SIG": 9, "No": 10,
              "D": 12, "V": 13, "NAT-D": 20, "NAT-OA": 21}
NOTIFY = {1: "INVALID-PAYLOAD-TYPE", 2: "DOI-NOT-SUPPORTED", 3: "SITUATION-NOT-SUPPORTED",
          4: "INVALID-COOKIE", 5: "INVALID-MAJOR-VERSION", 6: "INVALID-MINOR-VERSION",
          7: "INVALID-EXCHANGE-TYPE", 8: "INVALID-FLAGS", 9: "INVALID-MESSAGE-ID",
          10: "INVALID-PROTOCOL-ID", 11: "INVALID-SPI", 12: "INVALID-TRANSFORM-ID",
          13: "ATTRIBUTES-NOT-SUPPORTED", 14: "NO-PROPOSAL-CHOSEN", 15: "BAD-PROPOSAL-SYNTAX",
          16: "PAYLOAD-MALFORMED", 17: "INVALID-KEY-INFORMATION", 18: "INVALID-ID-INFORMATION",
          19: "INVALID-CERT-ENCODING", 20: "INVALID-CERTIFICATE", 21: "CERT-TYPE-UNSUPPORTED",
          22: "INVALID-CERT-AUTHORITY", 23: "INVALID-HASH-INFORMATION", 24: "AUTHENTICATION-FAILED",
          25: "INVALID-SIGNATURE", 26: "ADDRESS-NOTIFICATION", 27: "NOTIFY-SA-LIFETIME",
          28: "CERTIFICATE-UNAVAILABLE", 29: "UNSUPPORTED-EXCHANGE-TYPE", 30: "UNEQUAL-PAYLOAD-LENGTHS",
          24576: "RESPONDER-LIFETIME", 24577: "REPLAY-STATUS", 24578: "INITIAL-CONTACT",
          36136: "R-U-THERE", 36137: "R-U-THERE-ACK"}
CFG_TYPE = {1: "CFG_REQUEST", 2: "CFG_REPLY", 3: "CFG_SET", 4: "CFG_ACK"}
CFG_ATTR = {1: "INTERNAL_IP4_ADDRESS", 2: "INTERNAL_IP4_NETMASK", 3: "INTERNAL_IP4_DNS",
            4: "INTERNAL_IP4_NBNS", 5: "INTERNAL_ADDRESS_EXPIRY", 6: "INTERNAL_IP4_DHCP",
            7: "APPLICATION_VERSION", 8: "INTERNAL_IP6_ADDRESS", 13: "INTERNAL_IP4_SUBNET",
            16520: "XAUTH_TYPE", 16521: "XAUTH_USER_NAME", 16522: "XAUTH_USER_PASSWORD",
            16523: "XAUTH_PASSCODE", 16524: "XAUTH_MESSAGE", 16525: "XAUTH_CHALLENGE",
            16526: "XAUTH_DOMAIN", 16527: "XAUTH_STATUS", 16528: "XAUTH_NEXT_PIN",
            16529: "XAUTH_ANSWER", 28672: "UNITY_BANNER", 28673: "UNITY_SAVE_PASSWD",
            28674: "UNITY_DEF_DOMAIN", 28675: "UNITY_SPLITDNS_NAME", 28676: "UNITY_SPLIT_INCLUDE",
            28677: "UNITY_NATT_PORT", 28678: "UNITY_LOCAL_LAN", 28679: "UNITY_PFS",
            28680: "UNITY_FW_TYPE", 28681: "UNITY_BACKUP_SERVERS", 28682: "UNITY_DDNS_HOSTNAME"}
ID_TYPE = {1: "IPV4_ADDR", 2: "FQDN", 3: "USER_FQDN", 4: "IPV4_ADDR_SUBNET", 5: "IPV6_ADDR",
           6: "IPV6_ADDR_SUBNET", 7: "IPV4_ADDR_RANGE", 8: "IPV6_ADDR_RANGE", 9: "DER_ASN1_DN",
           10: "DER_ASN1_GN", 11: "KEY_ID"}
# phase-1 attributes (RFC 2409 appendix A)
P1_ENC = {1: "DES-CBC", 5: "3DES-CBC", 7: "AES-CBC"}
P1_HASH = {1: ("MD5", hashlib.md5), 2: ("SHA", hashlib.sha1), 4: ("SHA2-256", hashlib.sha256),
           5: ("SHA2-384", hashlib.sha384), 6: ("SHA2-512", hashlib.sha512)}
P1_AUTH = {1: "pre-shared key", 3: "RSA signatures", 64221: "HybridInitRSA", 65001: "XAUTHInitPreShared",
           65002: "XAUTHRespPreShared", 65005: "XAUTHInitRSA", 65006: "XAUTHRespRSA"}
PSK_AUTH = {1, 65001, 65002}
SIG_AUTH = {3, 65005, 65006}
# phase-2 (IPsec DOI, RFC 2407) transform IDs / attributes
ESP_TRANSFORM = {3: "ESP_3DES", 12: "ESP_AES", 18: "ESP_AES_GCM_8", 19: "ESP_AES_GCM_12", 20: "ESP_AES_GCM_16"}
ESP_AUTH = {1: ("HMAC-MD5", hashlib.md5, 16, 12), 2: ("HMAC-SHA", hashlib.sha1, 20, 12),
            5: ("HMAC-SHA2-256", hashlib.sha256, 32, 16), 6: ("HMAC-SHA2-384", hashlib.sha384, 48, 24),
            7: ("HMAC-SHA2-512", hashlib.sha512, 64, 32)}
ENCAP_MODE = {1: "Tunnel", 2: "Transport", 3: "UDP-Encapsulated-Tunnel", 4: "UDP-Encapsulated-Transport",
              61443: "UDP-Encapsulated-Tunnel(draft)", 61444: "UDP-Encapsulated-Transport(draft)"}
GROUPS = {1: "MODP_768", 2: "MODP_1024", 5: "MODP_1536", 14: "MODP_2048", 15: "MODP_3072",
          16: "MODP_4096", 19: "ECP_256", 20: "ECP_384"}

# native / Wireshark names
NATIVE_PRF = {1: "hmac-md5", 2: "hmac-sha1", 4: "hmac-sha2-256", 5: "hmac-sha2-384", 6: "hmac-sha2-512"}
WS_ESP_ENC = {"cbc": "AES-CBC [RFC3602]", "3des": "TripleDES-CBC [RFC2451]",
              "gcm16": "AES-GCM with 16 octet ICV [RFC4106]"}
WS_ESP_AUTH = {1: "HMAC-MD5-96 [RFC2403]", 2: "HMAC-SHA-1-96 [RFC2404]", 5: "HMAC-SHA-256-128 [RFC4868]",
               6: "HMAC-SHA-384-192 [RFC4868]", 7: "HMAC-SHA-512-256 [RFC4868]"}
NATIVE_ESP_AUTH = {1: "hmac-md5-96", 2: "hmac-sha1-96", 5: "hmac-sha2-256-128", 6: "hmac-sha2-384-192",
                   7: "hmac-sha2-512-256"}


class Fail(Exception):
    pass


ERRORS = []
CHECKS = []   # (ok, text) for verify.txt


def err(msg):
    ERRORS.append(msg)


def check(ok, text):
    CHECKS.append((bool(ok), text))
    if not ok:
        err("check failed: " + text)
    return ok


# ------------------------------------------------------------------ crypto helpers
def prf(hashfn, key, data):
    return hmac.new(key, data, hashfn).digest()


def cbc_decrypt(kind, key, iv, ct):
    c = Cipher(TripleDES(key) if kind == "3des" else algorithms.AES(key), modes.CBC(iv))
    d = c.decryptor()
    return d.update(ct) + d.finalize()


def expand_ka(hashfn, skeyid_e, keylen):
    """RFC 2409 appendix B: Ka = K1 | K2 | ..., K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1)"""
    if len(skeyid_e) >= keylen:
        return skeyid_e[:keylen]
    out, k = b"", b"\x00"
    while len(out) < keylen:
        k = prf(hashfn, skeyid_e, k)
        out += k
    return out[:keylen]


def keymat(hashfn, skeyid_d, seed, n):
    """RFC 2409 5.5: KEYMAT = K1 | K2 | ..., K1 = prf(SKEYID_d, seed), Kn = prf(SKEYID_d, Kn-1 | seed)"""
    out, k = b"", b""
    while len(out) < n:
        k = prf(hashfn, skeyid_d, k + seed)
        out += k
    return out[:n]


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
        if et != 0x0800:
            frames.append(f)
            continue
        ihl = (p[0] & 15) * 4
        proto, src, dst = p[9], p[12:16], p[16:20]
        pl = p[ihl:struct.unpack("!H", p[2:4])[0]]
        f.src, f.dst = str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst))
        if proto == 50:
            f.kind, f.esp = "esp", pl
        elif proto == 17:
            f.sport, f.dport = struct.unpack("!HH", pl[:4])
            body = pl[8:]
            if 500 in (f.sport, f.dport) and f.sport != 4500 and f.dport != 4500:
                f.kind, f.ike = "ike", body
            elif 4500 in (f.sport, f.dport):
                if len(body) == 1 and body[0] == 0xFF:
                    f.kind = "keepalive"
                elif body[:4] == b"\0\0\0\0":
                    f.kind, f.ike = "ike", body[4:]
                else:
                    f.kind, f.esp = "esp", body
        if f.kind == "ike":
            parse_isakmp_header(f)
        elif f.kind == "esp":
            f.spi, f.seq = struct.unpack("!II", f.esp[:8])
        frames.append(f)
    return frames


def parse_isakmp_header(f):
    m = f.ike
    f.icookie, f.rcookie = m[:8].hex(), m[8:16].hex()
    f.np, f.ver, f.exch, f.flags, f.mid, f.mlen = struct.unpack("!BBBBII", m[16:28])
    f.encrypted = bool(f.flags & 1)
    f.exname = EXCH.get(f.exch, str(f.exch))
    f.frag = None
    if f.ver != 0x10:
        raise Fail(f"frame {f.n}: ISAKMP version {f.ver:#x}, not 1.0")
    if f.np == 132 and not f.encrypted:
        # ISAKMP fragment (Cisco style, as strongSwan sends it): id, number, flags, data
        nxt, _, plen = struct.unpack("!BBH", m[28:32])
        fid, num, fl = struct.unpack("!HBB", m[32:36])
        f.frag = {"id": fid, "num": num, "last": bool(fl & 1), "data": m[36:28 + plen]}
        f.payloads = [132]
    elif not f.encrypted:
        f.payloads, f.details = walk_payloads(f.np, m[28:f.mlen])
    else:
        f.payloads = []


def walk_payloads(first, data, strict=False):
    """payload chain -> ([types], [(type, body, raw)]); raises Fail if inconsistent"""
    types, det = [], []
    t, off = first, 0
    while t:
        if off + 4 > len(data):
            raise Fail(f"payload {t} header beyond the data")
        nxt, _, plen = struct.unpack("!BBH", data[off:off + 4])
        if plen < 4 or off + plen > len(data):
            raise Fail(f"payload {t} length {plen} inconsistent")
        types.append(t)
        det.append((t, data[off + 4:off + plen], data[off:off + plen], off))
        t, off = nxt, off + plen
    if strict:
        return types, det, off
    return types, det


def parse_sa(body):
    """IKEv1 SA payload (DOI IPsec, SIT_IDENTITY_ONLY) -> list of proposals
    {num, proto, spi, transforms: [{num, id, attrs{type: value}}]}"""
    doi, sit = struct.unpack("!II", body[:8])
    props, off = [], 8
    while off < len(body):
        nxt, _, plen, pnum, proto, spisize, ntrans = struct.unpack("!BBHBBBB", body[off:off + 8])
        spi = body[off + 8:off + 8 + spisize]
        toff, trans = off + 8 + spisize, []
        for _ in range(ntrans):
            tn, _, tlen, tnum, tid = struct.unpack("!BBHBB", body[toff:toff + 6])
            attrs, aoff = {}, toff + 8
            while aoff < toff + tlen:
                at, av = struct.unpack("!HH", body[aoff:aoff + 4])
                if at & 0x8000:
                    attrs[at & 0x7FFF] = av
                    aoff += 4
                else:
                    attrs[at] = int.from_bytes(body[aoff + 4:aoff + 4 + av], "big")
                    aoff += 4 + av
            trans.append({"num": tnum, "id": tid, "attrs": attrs})
            toff += tlen
        props.append({"num": pnum, "proto": proto, "spi": spi, "transforms": trans})
        off += plen
        if nxt == 0:
            break
    return props


def describe_payload(t, body, ctx=None):
    """short human description of one decrypted/plain payload"""
    name = PAYLOAD.get(t, str(t))
    try:
        if t == 11:
            doi, proto, spisize, nt = struct.unpack("!IBBH", body[:8])
            spi = body[8:8 + spisize]
            data = body[8 + spisize:]
            s = f"N({NOTIFY.get(nt, nt)}"
            if nt in (36136, 36137) and len(data) == 4:
                s += f" seq={struct.unpack('!I', data)[0]}"
            return s + ")"
        if t == 12:
            doi, proto, spisize, num = struct.unpack("!IBBH", body[:8])
            spis = [body[8 + i * spisize:8 + (i + 1) * spisize].hex() for i in range(num)]
            pn = {1: "ISAKMP", 3: "ESP"}.get(proto, str(proto))
            return f"D({pn} {' '.join(spis)})"
        if t == 5:
            idt, proto, port = struct.unpack("!BBH", body[:4])
            d = body[4:]
            if idt in (2, 3):
                v = d.decode(errors="replace")
            elif idt == 1:
                v = str(ipaddress.ip_address(d))
            elif idt == 4:
                v = f"{ipaddress.ip_address(d[:4])}/{bin(int.from_bytes(d[4:8], 'big')).count('1')}"
            elif idt == 9:
                v = "DN"
            else:
                v = d.hex()
            return f"ID({ID_TYPE.get(idt, idt)} {v})"
        if t == 14:
            ct, _, ident = struct.unpack("!BBH", body[:4])
            attrs, off = [], 4
            while off + 4 <= len(body):
                at, av = struct.unpack("!HH", body[off:off + 4])
                if at & 0x8000:
                    a = CFG_ATTR.get(at & 0x7FFF, str(at & 0x7FFF))
                    if at & 0x7FFF == 16527:
                        a += f"={av}"
                    elif at & 0x7FFF == 16520:
                        a += f"={av}"
                    off += 4
                else:
                    v = body[off + 4:off + 4 + av]
                    a = CFG_ATTR.get(at, str(at))
                    if at in (16521, 16522) and v:
                        a += f"='{v.decode(errors='replace')}'"
                    elif at == 1 and len(v) == 4:
                        a += f"={ipaddress.ip_address(v)}"
                    elif v:
                        a += f"=0x{v.hex()}"
                    off += 4 + av
                attrs.append(a)
            return f"ATTR({CFG_TYPE.get(ct, ct)} id={ident} {' '.join(attrs)})"
        if t == 1:
            props = parse_sa(body)
            parts = []
            for p in props:
                ts = []
                for tr in p["transforms"]:
                    at = tr["attrs"]
                    if p["proto"] == 1:
                        a = [P1_ENC.get(at.get(1), str(at.get(1))) + (f"-{at[14]}" if 14 in at else ""),
                             P1_HASH.get(at.get(2), (str(at.get(2)),))[0], P1_AUTH.get(at.get(3), str(at.get(3))),
                             f"group {at.get(4)}"]
                        if 12 in at:
                            a.append(f"life {at[12]}{'s' if at.get(11) == 1 else ' (type ' + str(at.get(11)) + ')'}")
                    else:
                        a = [ESP_TRANSFORM.get(tr["id"], str(tr["id"])) + (f"-{at[6]}" if 6 in at else "")]
                        if 5 in at:
                            a.append(ESP_AUTH.get(at[5], (str(at[5]),))[0])
                        if 3 in at:
                            a.append(f"group {at[3]}")
                        if 4 in at:
                            a.append(ENCAP_MODE.get(at[4], str(at[4])))
                        if 2 in at:
                            a.append(f"life {at[2]}{'s' if at.get(1) == 1 else ' (type ' + str(at.get(1)) + ')'}")
                    ts.append(f"T{tr['num']} " + " ".join(a))
                pn = {1: "ISAKMP", 3: "ESP"}.get(p["proto"], str(p["proto"]))
                parts.append(f"{pn}{' spi ' + p['spi'].hex() if p['spi'] else ''}: {', '.join(ts)}")
            return f"SA({'; '.join(parts)})"
        if t == 6:
            return f"CERT(enc={body[0]}, {len(body) - 1} bytes)"
        if t == 7:
            return f"CR(enc={body[0]})"
    except Exception:
        return name + "(?)"
    return name


# ------------------------------------------------------------------ logs
LINE = re.compile(r"^(\w{3} [ \d]\d \d\d:\d\d:\d\d) (\d+)\[(\w+)\] (.*)$")
DUMP = re.compile(r"^(?P<name>.*?) => (?P<len>\d+) bytes @ 0x[0-9a-f]+$")
HEXROW = re.compile(r"^\s+\d+: ((?:[0-9A-F]{2} ){1,16})")
GEN = re.compile(r"^(generating|parsed) (\w+) (request|response) (\d+) \[ (.*?) ?\]$")
SEND = re.compile(r"^sending packet: from (\S+)\[(\d+)\] to (\S+)\[(\d+)\] \((\d+) bytes\)$")
RECV = re.compile(r"^received packet: from (\S+)\[(\d+)\] to (\S+)\[(\d+)\] \((\d+) bytes\)$")
CHECKOUT = re.compile(r"^checkout IKEv1 SA (?:by message )?with SPIs ([0-9a-f]{16})_i ([0-9a-f]{16})_r$")
CHECKIN = re.compile(r"^checkin IKEv1 SA (\S+)\[(\d+)\] with SPIs ([0-9a-f]{16})_i ([0-9a-f]{16})_r$")
CHILD_EST = re.compile(r"^CHILD_SA (\S+)\{(\d+)\} established with SPIs ([0-9a-f]{8})_i ([0-9a-f]{8})_o")
CHILD_STATE = re.compile(r"^CHILD_SA (\S+)\{(\d+)\} state change: (\w+) => (\w+)$")
IKE_EST = re.compile(r"^IKE_SA (\S+)\[(\d+)\] established between")
RETRANSMIT = re.compile(r"^sending retransmit (\d+) of (request|response) message ID (\d+), seq (\d+)$")
REASSEMBLED = re.compile(r"^received fragment #(\d+), reassembled fragmented IKE message \((\d+) bytes\)$")
SPLIT = re.compile(r"^splitting IKE message \((\d+) bytes\) into (\d+) fragments$")
FRAG_GEN = re.compile(r"FRAG\((\d+)(?:/(\d+))?\)")
NOTABLE = re.compile(
    r"sending DELETE|received DELETE|received .* error notify|establishing IKE_SA failed|giving up|"
    r"not responding|closing CHILD_SA|behind NAT|reassembled fragmented|splitting IKE message|"
    r"deleting IKE_SA|IKE_SA .* established|CHILD_SA .* established|authentication of .* successful|"
    r"XAuth authentication|installing new virtual IP|assigning new lease|peer requested virtual IP|"
    r"decryption failed|could not decrypt|message parsing failed|processing failed|no proposal|"
    r"sending DPD request|received proposals unacceptable|no IKE config found|Aggressive Mode|"
    r"sending keep alive|received retransmit|retransmit|received fragment #|lifetime|"
    r"detected rekeying|processing .* attribute|handling .* attribute|XAuth|no shared key found|"
    r"found matching IKE config|received .* notify|initiating (Main|Aggressive) Mode|"
    r"peer is not a|remote host is behind NAT|local host is behind NAT")


class Log:
    def __init__(self, path, host):
        self.host = host
        self.path = path
        self.exists = os.path.exists(path)
        self.lines, self.dumps = [], []
        self.ike_keys, self.child_keys = [], []
        self.sends, self.recvs = [], []
        self.ivs = {}             # mid -> list of IV bytes logged ("next IV for MID", "initial IV" as mid None)
        self.rekey_of = {}        # child uid -> rekeyed child uid
        self.established = set()  # IKE uids established
        self.ike_props, self.esp_props = [], []
        self.notes = []           # (idx, thread, msg)
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
            if d:
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

    def _analyze(self):
        dumps_at = {idx: (name, data) for idx, th, name, data in self.dumps}
        cur_ike = {}          # thread -> key set being logged
        cur_child = {}        # thread -> child key set being logged
        pend_dh = {}          # thread -> last "shared Diffie Hellman secret"
        pend_seed = {}        # thread -> {"initiator SA seed": .., "responder SA seed": .., "DH secret": ..}
        last_parsed = {}      # thread -> (exch, dir, mid, payloads)
        last_checkout = {}
        last_ike_prop = None
        last_esp_prop = {}
        pending_gen = {}      # thread -> generated entries awaiting their send
        split_parent = {}     # thread -> full message being fragmented
        retrans = {}          # thread -> (count, dir, mid)
        last_sent = {}        # (mid, dir) -> entry
        pending_recv = self._pending_recv = {}   # thread -> receive event being processed
        reassembled_sizes = []
        last_est_child = {}   # thread -> uid of the child established last on it
        ctx = {}              # thread -> notable lines since the last generate/receive
        for idx, t, th, grp, msg in self.lines:
            if idx in dumps_at:
                name, data = dumps_at[idx]
                if name == "shared Diffie Hellman secret":
                    pend_dh[th] = data
                elif name == "SKEYID":
                    cur_ike[th] = {"idx": idx, "thread": th, "host": self.host, "gxy": pend_dh.get(th),
                                   "prop": last_ike_prop, "checkout": last_checkout.get(th),
                                   "SKEYID": data}
                    self.ike_keys.append(cur_ike[th])
                elif name in ("SKEYID_d", "SKEYID_a", "SKEYID_e", "encryption key Ka", "initial IV") and th in cur_ike:
                    cur_ike[th][name] = data
                    if name == "initial IV":
                        self.ivs.setdefault(None, []).append(data)
                elif name.startswith("next IV for MID "):
                    mid = int(name.split()[-1])
                    self.ivs.setdefault(mid, []).append(data)
                elif name in ("DH secret", "initiator SA seed", "responder SA seed"):
                    pend_seed.setdefault(th, {})[name] = data
                elif name in ("encryption initiator key", "encryption responder key",
                              "integrity initiator key", "integrity responder key"):
                    key = {"encryption initiator key": "enc_i", "encryption responder key": "enc_r",
                           "integrity initiator key": "int_i", "integrity responder key": "int_r"}[name]
                    c = cur_child.get(th)
                    if c is None or key in c:
                        lp = last_parsed.get(th)
                        c = {"idx": idx, "thread": th, "host": self.host,
                             "prop": last_esp_prop.get(th),
                             "initiated_here": bool(lp and lp[1] == "response"),
                             "parsed": lp, "seeds": pend_seed.pop(th, {}),
                             "checkout": last_checkout.get(th)}
                        cur_child[th] = c
                        self.child_keys.append(c)
                    c[key] = data
                continue
            m = GEN.match(msg)
            if m and grp == "ENC":
                kind, exch, dr, mid, pl = m.group(1), m.group(2), m.group(3), int(m.group(4)), m.group(5)
                entry = {"exch": exch, "dir": dr, "mid": mid, "payloads": pl, "idx": idx, "time": t,
                         "thread": th, "ctx": list(ctx.get(th, []))}
                fm = FRAG_GEN.search(pl)
                if kind == "parsed":
                    last_parsed[th] = (exch, dr, mid, pl)
                    ev = pending_recv.get(th)
                    if ev is not None and "parsed" not in ev:
                        ev.update(exch=exch, dir=dr, mid=mid, parsed=pl)
                        if fm:
                            ev["frag"] = int(fm.group(1))
                    ctx[th] = []
                else:
                    ctx[th] = []
                    retrans.pop(th, None)
                    if th in pending_recv:
                        pending_recv[th]["closed"] = True
                    if fm:
                        entry["frag"] = int(fm.group(1))
                        entry["inner"] = split_parent.get(th)
                    pending_gen.setdefault(th, []).append(entry)
                continue
            m = SPLIT.match(msg)
            if m and grp == "ENC":
                q = pending_gen.get(th, [])
                if q and "frag" not in q[-1]:
                    split_parent[th] = q.pop()
                    split_parent[th]["nfrags"] = int(m.group(2))
                    split_parent[th]["size"] = int(m.group(1))
                self._note(th, idx, msg, ctx)
                continue
            m = SEND.match(msg)
            if m and grp == "NET":
                ev = {"idx": idx, "time": t, "thread": th, "src": m.group(1), "dst": m.group(3),
                      "sport": int(m.group(2)), "dport": int(m.group(4)), "size": int(m.group(5))}
                if th in retrans:
                    cnt, dr, mid = retrans[th]
                    ev["retransmit"] = cnt
                    ev["msg"] = last_sent.get((mid, dr))
                else:
                    q = pending_gen.get(th, [])
                    if q:
                        g = q.pop(0)
                        ev["msg"] = g
                        last_sent[(g["mid"], g["dir"])] = g
                self.sends.append(ev)
                continue
            m = RECV.match(msg)
            if m and grp == "NET":
                ev = {"idx": idx, "time": t, "thread": th, "src": m.group(1), "dst": m.group(3),
                      "size": int(m.group(5)), "notes": []}
                if ev["size"] in reassembled_sizes:
                    reassembled_sizes.remove(ev["size"])
                    ev["reassembled"] = True
                pending_recv[th] = ev
                self.recvs.append(ev)
                ctx[th] = []
                continue
            m = RETRANSMIT.match(msg)
            if m:
                retrans[th] = (int(m.group(1)), m.group(2), int(m.group(3)))
                self._note(th, idx, msg, ctx)
                continue
            m = REASSEMBLED.match(msg)
            if m:
                reassembled_sizes.append(int(m.group(2)))
            if grp == "CFG" and msg.startswith("selected proposal: IKE:"):
                last_ike_prop = msg.split("IKE:", 1)[1].strip()
                self.ike_props.append(last_ike_prop)
                continue
            if grp == "CFG" and msg.startswith("selected proposal: ESP:"):
                last_esp_prop[th] = msg.split("ESP:", 1)[1].strip()
                self.esp_props.append(last_esp_prop[th])
                continue
            m = CHECKOUT.match(msg)
            if m and grp == "MGR":
                last_checkout[th] = (m.group(1), m.group(2))
                continue
            m = CHECKIN.match(msg) if grp == "MGR" else None
            if m:
                uid, ispi, rspi = int(m.group(2)), m.group(3), m.group(4)
                if rspi != "0" * 16:
                    k = cur_ike.get(th)
                    if k is not None and "ispi" not in k:
                        k["ispi"], k["rspi"], k["uid"] = ispi, rspi, uid
                    c = cur_child.get(th)
                    if c is not None and "ike" not in c:
                        c["ike"] = (ispi, rspi)
                if th in pending_recv:
                    pending_recv.pop(th)
                continue
            m = CHILD_EST.match(msg)
            if m:
                c = cur_child.get(th)
                if c is not None and "spi_in" not in c:
                    c["name"], c["uid"] = m.group(1), int(m.group(2))
                    c["spi_in"], c["spi_out"] = m.group(3), m.group(4)
                    c["est_line"] = msg
                last_est_child[th] = int(m.group(2))
                self._note(th, idx, msg, ctx)
                continue
            m = CHILD_STATE.match(msg)
            if m:
                cid, old, new = int(m.group(2)), m.group(3), m.group(4)
                if new == "REKEYED" and th in last_est_child and last_est_child[th] != cid:
                    self.rekey_of[last_est_child[th]] = cid
                continue
            m = IKE_EST.match(msg)
            if m:
                self.established.add(int(m.group(2)))
                self._note(th, idx, msg, ctx)
                continue
            if grp in ("IKE", "NET", "CHD", "ENC") and NOTABLE.search(msg) and "vendor ID" not in msg:
                self._note(th, idx, msg, ctx)
        for k in self.ike_keys:
            if "ispi" not in k and k.get("checkout") and k["checkout"][1] != "0" * 16:
                k["ispi"], k["rspi"] = k["checkout"]
        for c in self.child_keys:
            if "ike" not in c and c.get("checkout"):
                c["ike"] = c["checkout"]

    def _note(self, th, idx, msg, ctx):
        ctx.setdefault(th, []).append((idx, msg))
        self.notes.append((idx, th, msg))
        # also what the thread did while processing a received message (until it generates one)
        ev = self._pending_recv.get(th)
        if ev is not None and not ev.get("closed"):
            ev["notes"].append((idx, msg))


# ------------------------------------------------------------------ analysis
def ss_payload_types(logged):
    """charon's payload list -> ISAKMP payload type numbers"""
    out = []
    for tok in re.findall(r"\S+\([^)]*\)|\S+", logged):
        if tok.startswith("N("):
            out.append(11)
        elif tok.startswith("CP"):
            out.append(14)
        elif tok.startswith("FRAG"):
            out.append(132)
        else:
            out.append(SS_PAYLOAD.get(tok, -1))
    return out


def hexs(b):
    return b.hex() if b else ""


class IKESA:
    pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("casedir", nargs="?")
    ap.add_argument("--case")
    ap.add_argument("--addr-a")
    ap.add_argument("--addr-b")
    ap.add_argument("--psk", default="")
    ap.add_argument("--desc", default="")
    ap.add_argument("--summary")
    a = ap.parse_args()
    if a.summary:
        return summary(a.summary)
    run(a)


def run(a):
    d = a.casedir
    frames = parse_frames(os.path.join(d, "capture.pcap"))
    logs = {"A": Log(os.path.join(d, "charon-A.log"), "A"), "B": Log(os.path.join(d, "charon-B.log"), "B")}
    host_of = {a.addr_a: "A", a.addr_b: "B"}
    psks = a.psk.split(",") if a.psk else []
    psk_of = {"A": psks[0].encode() if psks else None,
              "B": (psks[1] if len(psks) > 1 else psks[0]).encode() if psks else None}
    for f in frames:
        if f.kind in ("ike", "esp", "keepalive"):
            f.sender = host_of.get(f.src)
            if f.sender is None:
                err(f"frame {f.n}: unknown source address {f.src}")
    ike_frames = [f for f in frames if f.kind == "ike"]
    esp_frames = [f for f in frames if f.kind == "esp"]

    # ---------------- reassemble ISAKMP fragments into messages
    # every message: {frames, bytes, header fields}
    messages = []
    frag_buf = {}
    for f in ike_frames:
        f.msg = None
        if f.frag is not None:
            key = (f.icookie, f.rcookie, f.frag["id"], f.sender)
            fb = frag_buf.setdefault(key, {})
            fb[f.frag["num"]] = f
            f.frag_total = None
            lastnum = next((n for n, g in fb.items() if g.frag["last"]), None)
            if lastnum is not None and all(i in fb for i in range(1, lastnum + 1)):
                parts = [fb[i] for i in range(1, lastnum + 1)]
                whole = b"".join(g.frag["data"] for g in parts)
                for g in parts:
                    g.frag_total = lastnum
                mf = Frame()
                mf.n, mf.ike, mf.sender, mf.src, mf.dst = f.n, whole, f.sender, f.src, f.dst
                parse_isakmp_header(mf)
                msg = {"frames": parts, "hdr": mf, "bytes": whole, "reassembled": True}
                messages.append(msg)
                for g in parts:
                    g.msg = msg
                del frag_buf[key]
            continue
        msg = {"frames": [f], "hdr": f, "bytes": f.ike, "reassembled": False}
        messages.append(msg)
        f.msg = msg
    for key, fb in frag_buf.items():
        err(f"incomplete ISAKMP fragment set {key}: have {sorted(fb)}")
        for g in fb.values():
            g.frag_total = None
    # retransmissions: the same bytes as an earlier message from the same sender
    seen = {}
    for msg in messages:
        k = (msg["hdr"].sender, msg["bytes"])
        msg["retransmission_of"] = seen.get(k)
        seen.setdefault(k, msg)

    # ---------------- IKE SAs (by cookies) with their keys from the logs
    ike_sas = {}
    for msg in messages:
        h = msg["hdr"]
        sa = ike_sas.get(h.icookie)
        if sa is None:
            sa = IKESA()
            sa.icookie, sa.rcookie, sa.msgs = h.icookie, "0" * 16, []
            sa.initiator = h.sender
            sa.keys = {}          # host -> key set dict from that host's log
            ike_sas[h.icookie] = sa
        if h.rcookie != "0" * 16:
            sa.rcookie = h.rcookie
        sa.msgs.append(msg)
        msg["sa"] = sa
    for host, lg in logs.items():
        for k in lg.ike_keys:
            if "ispi" not in k:
                err(f"{lg.path}: IKE key set at line {k['idx']} without cookies")
                continue
            sa = ike_sas.get(k["ispi"])
            if sa is None:
                err(f"{lg.path}: key set for cookies {k['ispi']}/{k['rspi']} not in the capture")
                continue
            if k["rspi"] != sa.rcookie:
                err(f"{lg.path}: key set rcookie {k['rspi']} != capture {sa.rcookie}")
            need = ["SKEYID", "SKEYID_d", "SKEYID_a", "SKEYID_e", "encryption key Ka", "initial IV"]
            miss = [n for n in need if n not in k]
            if miss or k.get("gxy") is None:
                err(f"{lg.path}: key set lacks {miss + ([] if k.get('gxy') else ['shared DH secret'])}")
                continue
            sa.keys[host] = k

    out_verify = []
    for sa in ike_sas.values():
        phase1(sa, logs, psk_of, out_verify)

    # ---------------- decrypt every encrypted message
    for sa in ike_sas.values():
        decrypt_all(sa, logs, out_verify)

    for sa in ike_sas.values():
        natd_report(sa, out_verify)

    # ---------------- Quick Modes -> CHILD_SAs, KEYMAT check
    children = []
    for sa in ike_sas.values():
        children += quick_modes(sa, logs, out_verify)

    # ---------------- ESP
    spi_map = {}
    for ch in children:
        spi_map[ch["spi_i2r"]] = (ch, "i2r")
        spi_map[ch["spi_r2i"]] = (ch, "r2i")
        ch["pkts"] = {"A>B": [], "B>A": []}
    for f in esp_frames:
        sp = f"{f.spi:08x}"
        f.child, f.esp_ok, f.esp_inner = None, False, ""
        if sp not in spi_map:
            err(f"frame {f.n}: ESP SPI {sp} belongs to no CHILD_SA")
            continue
        ch, dr = spi_map[sp]
        f.child = ch
        exp = ch["qm_initiator"] if dr == "i2r" else other(ch["qm_initiator"])
        if f.sender != exp:
            err(f"frame {f.n}: SPI {sp} sent by {f.sender}, expected {exp}")
        try:
            f.esp_inner = esp_check(ch, dr, f)
            f.esp_ok = True
        except (Fail, InvalidTag) as e:
            err(f"frame {f.n}: python ESP check failed: {type(e).__name__} {e}")
        ch["pkts"]["A>B" if f.sender == "A" else "B>A"].append(f)
    n_esp_ok = sum(1 for f in esp_frames if f.esp_ok)
    out_verify.append(f"ESP: {n_esp_ok}/{len(esp_frames)} packets authenticated and decrypted in Python "
                      f"with the KEYMAT derived above (RFC 4303 padding, inner IPv4 packet)")
    check(n_esp_ok == len(esp_frames), f"ESP {n_esp_ok}/{len(esp_frames)} decrypted")

    # ---------------- frames <-> log events
    match_logs(messages, logs)

    # ---------------- deletes, outcomes
    for sa in ike_sas.values():
        outcome(sa, logs, children)

    # ---------------- writers
    write_keys(d, a, ike_sas, children)
    inside = None
    if os.path.exists(os.path.join(d, "capture-inside.pcap")):
        inside = write_inside_keys(d, a, ike_sas, children)
    tsh = run_tshark(d, frames, messages, children, ike_sas)
    write_verify(d, a, out_verify)
    write_expected(d, a, frames, messages, ike_sas, children, logs, tsh)
    n_enc = sum(1 for m in messages if m["hdr"].encrypted and not m["retransmission_of"])
    n_dec = sum(1 for m in messages if m["hdr"].encrypted and not m["retransmission_of"] and m.get("pt") is not None)
    km = sum(1 for c in children if c.get("keymat_ok"))
    summary_line = (f"frames={len(frames)} isakmp_frames={len(ike_frames)} isakmp_msgs={len(messages)} "
                    f"esp={len(esp_frames)} ike_sas={len(ike_sas)} child_sas={len(children)} "
                    f"py_isakmp={n_dec}/{n_enc} py_esp={n_esp_ok}/{len(esp_frames)} "
                    f"keymat={km}/{len(children)} skeyid={sum(1 for s in ike_sas.values() if getattr(s, 'skeyid_ok', False))}/"
                    f"{sum(1 for s in ike_sas.values() if s.keys)} "
                    f"tshark_isakmp={tsh['ike_dec']}/{tsh['ike_enc']} tshark_esp={tsh['esp_good']}/{tsh['esp']}"
                    + (f" inside_tshark_esp={tsh['inside_esp_good']}/{tsh['inside_esp']}" if "inside_esp" in tsh else "")
                    + (f" tshark_b_keys_na={len(tsh['b_keys'])}" if tsh.get("b_keys") else "")
                    + (f" tshark_retrans={tsh.get('retrans_dec', 0)}/{tsh['retrans']}" if tsh.get("retrans") else ""))
    with open(os.path.join(d, "expected.txt"), "a") as fh:
        for e in ERRORS:
            fh.write(f"# ERROR: {e}\n")
        fh.write(f"# summary: {summary_line} RESULT={'OK' if not ERRORS else 'FAIL'}\n")
    for e in ERRORS:
        print("ERROR:", e)
    print(summary_line + (" RESULT=OK" if not ERRORS else " RESULT=FAIL"))
    sys.exit(1 if ERRORS else 0)


def other(h):
    return "B" if h == "A" else "A"


# ------------------------------------------------------------------ phase 1
def phase1(sa, logs, psk_of, V):
    """negotiated transform, KE/nonce/SA bodies from the plaintext messages, key check"""
    sa.exchange = None
    sa.skeyid_ok = False
    sa.derived = {}
    sa.split_keys = False
    p1 = [m for m in sa.msgs if m["hdr"].mid == 0 and m["hdr"].exch in (2, 4)]
    sa.exchange = EXCH[p1[0]["hdr"].exch] if p1 else None
    sa.transform = None
    sa.sai_b = sa.gxi = sa.gxr = sa.ni = sa.nr = None
    sa.id_i = sa.id_r = None
    for m in p1:
        h = m["hdr"]
        if h.encrypted or m["reassembled"]:
            continue
        for t, body, raw, off in h.details:
            if t == 1:
                props = parse_sa(body)
                if h.sender == sa.initiator and sa.sai_b is None:
                    sa.sai_b = body
                elif h.sender != sa.initiator:
                    if len(props) != 1 or len(props[0]["transforms"]) != 1:
                        err("responder's phase-1 SA does not hold exactly one transform")
                    sa.transform = props[0]["transforms"][0]["attrs"]
            if t == 4:
                if h.sender == sa.initiator:
                    sa.gxi = body
                else:
                    sa.gxr = body
            if t == 10:
                if h.sender == sa.initiator:
                    sa.ni = body
                else:
                    sa.nr = body
            if t == 5:   # Aggressive Mode: IDs in the clear
                if h.sender == sa.initiator:
                    sa.id_i = body
                else:
                    sa.id_r = body
    if sa.transform is None:
        V.append(f"IKE SA {sa.icookie}: no phase-1 transform chosen (no keys)")
        sa.kind = None
        return
    at = sa.transform
    enc = at.get(1)
    sa.hash_id = at.get(2)
    sa.hname, sa.hashfn = P1_HASH[sa.hash_id]
    sa.auth = at.get(3)
    sa.group = at.get(4)
    if enc == 7:
        sa.kind, sa.keylen, sa.block = "aes", at.get(14, 128) // 8, 16
        sa.enc_native = f"aes-cbc-{sa.keylen * 8}"
    elif enc == 5:
        sa.kind, sa.keylen, sa.block = "3des", 24, 8
        sa.enc_native = "3des"
    else:
        raise Fail(f"phase-1 encryption {enc} not handled")
    sa.prf_native = NATIVE_PRF[sa.hash_id]
    sa.transform_text = (f"{P1_ENC.get(enc, enc)}{'-' + str(sa.keylen * 8) if enc == 7 else ''}, "
                         f"hash {sa.hname}, auth {P1_AUTH.get(sa.auth, sa.auth)}, "
                         f"group {sa.group} ({GROUPS.get(sa.group, '?')})")
    if not sa.keys:
        V.append(f"IKE SA {sa.icookie}: {sa.transform_text}; no key set logged")
        return
    # the two logs must agree (except wrong-psk: different PSKs give different SKEYIDs)
    hosts = sorted(sa.keys)
    gxys = {h: sa.keys[h]["gxy"] for h in hosts}
    check(len(set(gxys.values())) == 1, f"IKE SA {sa.icookie}: A and B logged the same DH shared secret g^xy")
    ck = bytes.fromhex(sa.icookie) + bytes.fromhex(sa.rcookie)
    sa.derived = {}
    for h in hosts:
        k = sa.keys[h]
        gxy = k["gxy"]
        if sa.auth in PSK_AUTH:
            psk = psk_of[h]
            skeyid = prf(sa.hashfn, psk, sa.ni + sa.nr)
            how = f"SKEYID = prf(PSK of {h}, Ni_b | Nr_b)"
        elif sa.auth in SIG_AUTH:
            skeyid = prf(sa.hashfn, sa.ni + sa.nr, gxy)
            how = "SKEYID = prf(Ni_b | Nr_b, g^xy)"
        else:
            raise Fail(f"auth method {sa.auth} not handled")
        sd = prf(sa.hashfn, skeyid, gxy + ck + b"\x00")
        sa_ = prf(sa.hashfn, skeyid, sd + gxy + ck + b"\x01")
        se = prf(sa.hashfn, skeyid, sa_ + gxy + ck + b"\x02")
        ka = expand_ka(sa.hashfn, se, sa.keylen)
        iv0 = sa.hashfn(sa.gxi + sa.gxr).digest()[:sa.block]
        der = {"SKEYID": skeyid, "SKEYID_d": sd, "SKEYID_a": sa_, "SKEYID_e": se, "encryption key Ka": ka,
               "initial IV": iv0}
        ok = all(der[n] == k[n] for n in der)
        bad = [n for n in der if der[n] != k[n]]
        check(ok, f"IKE SA {sa.icookie} ({h}'s log): {how}, SKEYID_d/a/e (RFC 2409 5) and Ka"
                  f"{' (expanded from ' + str(len(se)) + '-byte SKEYID_e, RFC 2409 appendix B)' if len(se) < sa.keylen else ' (SKEYID_e truncated)'}"
                  f" and initial IV hash(g^xi | g^xr) equal the logged values" + (f" -- MISMATCH {bad}" if bad else ""))
        sa.derived[h] = der
    sa.skeyid_ok = all(sa.derived[h][n] == sa.keys[h][n] for h in hosts for n in sa.derived[h])
    if len(hosts) == 2 and sa.derived["A"]["SKEYID"] != sa.derived["B"]["SKEYID"]:
        V.append(f"IKE SA {sa.icookie}: A and B derived DIFFERENT SKEYIDs (their PSKs differ)")
        sa.split_keys = True
    else:
        sa.split_keys = False
    V.append(f"IKE SA {sa.icookie}/{sa.rcookie}: {sa.exchange} Mode, {sa.transform_text}; "
             f"g^xy ({len(gxys[hosts[0]])} bytes) taken from the logs, everything else recomputed")


def ikesa_keys(sa, host):
    """the key material to use for messages encrypted by `host`"""
    if host in sa.derived:
        return sa.derived[host]
    return sa.derived[other(host)]


def decrypt_all(sa, logs, V):
    for m in sa.msgs:
        m["pt"], m["payloads"], m["det"], m["iv"], m["keys_of"] = None, None, None, None, None
        if not m["hdr"].encrypted:
            h = m["hdr"]
            if not m["reassembled"]:
                m["payloads"], m["det"] = h.payloads, getattr(h, "details", None)
            continue
    if getattr(sa, "kind", None) is not None and sa.derived:
        # phase-1 HASH_R/HASH_I sent in the clear (Aggressive Mode message 2)
        for m in sa.msgs:
            h = m["hdr"]
            if not h.encrypted and h.mid == 0 and m["det"] and any(t in (8, 9) for t, b, r, o in m["det"]):
                owner = h.sender if h.sender in sa.derived else sorted(sa.derived)[0]
                ok, how = verify_hash(sa, m, h, None, m["det"], None, owner)
                m["hash_ok"], m["hash_how"] = ok, how
                check(ok, f"frame {h.n}: plaintext {how}")
    if getattr(sa, "kind", None) is None or not sa.derived:
        for m in sa.msgs:
            if m["hdr"].encrypted:
                err(f"frame {m['hdr'].n}: encrypted but no keys for IKE SA {sa.icookie}")
        return
    hosts = sorted(sa.derived)
    # IV state per key owner (a host's view: the last phase-1 block it accepted)
    p1_state = {h: sa.derived[h]["initial IV"] for h in hosts}
    p1_accepted = {h: sa.derived[h]["initial IV"] for h in hosts}
    p2_state = {}          # mid -> last block
    done = {}
    for m in sa.msgs:
        h = m["hdr"]
        if not h.encrypted:
            continue
        if m["retransmission_of"] is not None:
            o = m["retransmission_of"]
            for k in ("pt", "payloads", "det", "iv", "keys_of", "iv_how", "hash_ok", "hash_how"):
                m[k] = o.get(k)
            continue
        data = m["bytes"]
        ct = data[28:h.mlen]
        if len(ct) % sa.block:
            err(f"frame {h.n}: ciphertext length {len(ct)} not a multiple of {sa.block}")
            continue
        owners = [h.sender] + [x for x in hosts if x != h.sender] if h.sender in sa.derived else hosts
        result = None
        for owner in owners:
            keys = sa.derived[owner]
            cands = []
            if h.mid == 0:
                cands.append((p1_state[owner], "phase-1 CBC chain"))
            elif h.mid in p2_state:
                cands.append((p2_state[h.mid], "last block of the previous message of this exchange"))
            else:
                cands.append((sa.hashfn(p1_state[owner] + struct.pack("!I", h.mid)).digest()[:sa.block],
                              "hash(last phase-1 block | M-ID)" if p1_state[owner] != sa.derived[owner]["initial IV"]
                              else "hash(initial IV | M-ID): the sender had accepted no encrypted phase-1 message"))
                if p1_accepted[owner] != p1_state[owner]:
                    cands.append((sa.hashfn(p1_accepted[owner] + struct.pack("!I", h.mid)).digest()[:sa.block],
                                  "hash(initial IV | M-ID): the sender had not accepted the last phase-1 message"))
            for iv, how in cands:
                pt = cbc_decrypt(sa.kind, keys["encryption key Ka"], iv, ct)
                try:
                    types, det, end = walk_payloads(h.np, pt, strict=True)
                except Fail:
                    continue
                if len(pt) - end >= sa.block + 4:
                    continue
                ok, hhow = verify_hash(sa, m, h, pt, det, end, owner)
                if ok is False:
                    continue
                result = (pt, types, det, iv, owner, how, ok, hhow)
                break
            if result:
                break
        if result is None:
            err(f"frame {h.n}: {h.exname} M-ID {h.mid:#010x} does not decrypt with any key set/IV")
            continue
        pt, types, det, iv, owner, how, ok, hhow = result
        m.update(pt=pt, payloads=types, det=det, iv=iv, keys_of=owner, iv_how=how, hash_ok=ok, hash_how=hhow)
        last = ct[-sa.block:]
        if h.mid == 0:
            p1_state[owner] = last
            # the receiver accepts it if it holds the same keys
            for x in hosts:
                if sa.derived[x]["encryption key Ka"] == sa.derived[owner]["encryption key Ka"]:
                    p1_state[x] = last
                    p1_accepted[x] = last
        else:
            p2_state[h.mid] = last
        # the IV used must be one charon logged (sender: the IV it encrypted with)
        logged = set()
        for lg in logs.values():
            logged |= set(lg.ivs.get(h.mid if h.mid else 0, []))
            if h.mid == 0:
                logged |= set(lg.ivs.get(None, []))
        m["iv_logged"] = iv in logged
    encs = [m for m in sa.msgs if m["hdr"].encrypted and m["retransmission_of"] is None]
    ok = [m for m in encs if m.get("pt") is not None]
    ivl = [m for m in ok if m.get("iv_logged")]
    hashes = [m for m in ok if m.get("hash_ok")]
    V.append(f"IKE SA {sa.icookie}: {len(ok)}/{len(encs)} encrypted ISAKMP messages decrypted in Python "
             f"({sum(1 for m in sa.msgs if m['hdr'].encrypted and m['retransmission_of'] is not None)} "
             f"retransmissions not counted); IV computed independently and found among charon's logged IVs "
             f"for {len(ivl)}/{len(ok)}; HASH/SIG verified for {len(hashes)}/{len(ok)}")
    for m in ok:
        h = m["hdr"]
        V.append(f"  frame {','.join(str(g.n) for g in m['frames'])}: {h.exname} M-ID {h.mid:#010x} from {h.sender}: "
                 f"IV {m['iv'].hex()} = {m['iv_how']}{'' if m['iv_logged'] else ' (NOT in the logs)'}; "
                 f"keys of {m['keys_of']}; {m['hash_how']}; payloads {' '.join(PAYLOAD.get(t, str(t)) for t in m['payloads'])}")
    check(len(ok) == len(encs), f"IKE SA {sa.icookie}: every encrypted message decrypted ({len(ok)}/{len(encs)})")
    check(len(ivl) == len(ok), f"IKE SA {sa.icookie}: every IV used is one charon logged ({len(ivl)}/{len(ok)})")
    check(len(hashes) == len(ok), f"IKE SA {sa.icookie}: every HASH/SIG payload verified ({len(hashes)}/{len(ok)})")


def natd_report(sa, V):
    """RFC 3947 NAT-D = HASH(CKY-I | CKY-R | IP | Port): which hashes match the addresses in the capture"""
    if getattr(sa, "kind", None) is None:
        return
    ck = bytes.fromhex(sa.icookie) + bytes.fromhex(sa.rcookie)
    for m in sa.msgs:
        natd = [b for t, b, r, o in (m.get("det") or []) if t in (20, 130)]
        if not natd or m["retransmission_of"] is not None:
            continue
        f = m["frames"][0]
        def hh(ip, port):
            return sa.hashfn(ck + ipaddress.ip_address(ip).packed + struct.pack("!H", port)).digest()
        dst_ok = natd[0] == hh(f.dst, f.dport)
        src_ok = any(x == hh(f.src, f.sport) for x in natd[1:])
        V.append(f"NAT-D (RFC 3947) in frame {f.n} from {f.sender}: destination hash "
                 f"{'matches' if dst_ok else 'does NOT match'} {f.dst}:{f.dport}, source hash "
                 f"{'matches' if src_ok else 'does NOT match'} {f.src}:{f.sport} (addresses as captured)")


def rsa_verify_raw(cert_der, sig, digest):
    pub = x509.load_der_x509_certificate(cert_der).public_key().public_numbers()
    k = (pub.n.bit_length() + 7) // 8
    em = pow(int.from_bytes(sig, "big"), pub.e, pub.n).to_bytes(k, "big")
    want = b"\x00\x01" + b"\xff" * (k - 3 - len(digest)) + b"\x00" + digest
    return em == want


def verify_hash(sa, m, h, pt, det, end, owner):
    """True/False if a HASH/SIG could be checked, None if not applicable"""
    keys = sa.derived[owner]
    hf = sa.hashfn
    mid = struct.pack("!I", h.mid)
    if h.mid == 0 and h.exch in (2, 4):
        # phase 1: HASH_I / HASH_R or SIG_I / SIG_R
        ck_i, ck_r = bytes.fromhex(sa.icookie), bytes.fromhex(sa.rcookie)
        idp = next((b for t, b, r, o in det if t == 5), None)
        if h.sender == sa.initiator:
            idb = idp if idp is not None else sa.id_i
            want = prf(hf, keys["SKEYID"], sa.gxi + sa.gxr + ck_i + ck_r + sa.sai_b + (idb or b""))
            which = "HASH_I"
        else:
            idb = idp if idp is not None else sa.id_r
            want = prf(hf, keys["SKEYID"], sa.gxr + sa.gxi + ck_r + ck_i + sa.sai_b + (idb or b""))
            which = "HASH_R"
        hp = next((b for t, b, r, o in det if t == 8), None)
        sp = next((b for t, b, r, o in det if t == 9), None)
        if hp is not None:
            return hp == want, f"{which} = prf(SKEYID, ...) verified" if hp == want else f"{which} MISMATCH"
        if sp is not None:
            cert = next((b for t, b, r, o in det if t == 6), None)
            if cert is None or cert[0] != 4:
                return None, "SIG present, no X.509 CERT payload to check it"
            ok = rsa_verify_raw(cert[1:], sp, want)
            subj = x509.load_der_x509_certificate(cert[1:]).subject.rfc4514_string()
            return ok, (f"SIG_{which[-1]} = RSA PKCS#1 (no DigestInfo) over {which}, verified with the "
                        f"certificate in the CERT payload ({subj})") if ok else f"SIG over {which} INVALID"
        return None, "no HASH/SIG"
    if not det or det[0][0] != 8:
        return None, "no HASH payload first"
    hp = det[0][1]
    rest = pt[len(det[0][2]):end]
    if h.exch == 32:
        qm = sa.__dict__.setdefault("qm_nonces", {}).setdefault(h.mid, {})
        nonce = next((b for t, b, r, o in det if t == 10), None)
        if len(det) > 1 and "ni" not in qm:
            want, which = prf(hf, keys["SKEYID_a"], mid + rest), "HASH(1) = prf(SKEYID_a, M-ID | message)"
            if hp == want and nonce is not None:
                qm["ni"] = nonce
        elif len(det) > 1:
            want, which = prf(hf, keys["SKEYID_a"], mid + qm["ni"] + rest), "HASH(2) = prf(SKEYID_a, M-ID | Ni_b | message)"
            if hp == want and nonce is not None:
                qm["nr"] = nonce
        else:
            if "ni" not in qm or "nr" not in qm:
                return None, "HASH(3) without the nonces"
            want, which = prf(hf, keys["SKEYID_a"], b"\x00" + mid + qm["ni"] + qm["nr"]), "HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)"
        return hp == want, (which + " verified") if hp == want else which + " MISMATCH"
    want = prf(hf, keys["SKEYID_a"], mid + rest)
    return hp == want, ("HASH = prf(SKEYID_a, M-ID | message) verified" if hp == want else "HASH MISMATCH")


# ------------------------------------------------------------------ phase 2
def quick_modes(sa, logs, V):
    children = []
    qms = {}
    for m in sa.msgs:
        if m["hdr"].exch == 32 and m["retransmission_of"] is None:
            qms.setdefault(m["hdr"].mid, []).append(m)
    for mid, ms in qms.items():
        if len(ms) < 2 or any(x.get("det") is None for x in ms[:2]):
            err(f"Quick Mode {mid:#010x}: incomplete or undecrypted")
            continue
        m1, m2 = ms[0], ms[1]
        get = lambda msg, t: [b for tt, b, r, o in msg["det"] if tt == t]
        sa1, sa2 = parse_sa(get(m1, 1)[0]), parse_sa(get(m2, 1)[0])
        ni, nr = get(m1, 10)[0], get(m2, 10)[0]
        ke1, ke2 = get(m1, 4), get(m2, 4)
        ids1 = get(m1, 5)
        if len(sa2) != 1 or len(sa2[0]["transforms"]) != 1:
            err(f"Quick Mode {mid:#010x}: responder SA not exactly one transform")
            continue
        p = sa2[0]
        proto = p["proto"]
        spi_r = p["spi"]
        spi_i = next(pp["spi"] for pp in sa1 if pp["num"] == p["num"])
        tr = p["transforms"][0]
        at = tr["attrs"]
        tid = tr["id"]
        if tid == 12:
            kind, enc_len = "cbc", at.get(6, 128) // 8
        elif tid == 3:
            kind, enc_len = "3des", 24
        elif tid == 20:
            kind, enc_len = "gcm16", at.get(6, 128) // 8 + 4
        else:
            raise Fail(f"ESP transform {tid} not handled")
        auth = at.get(5)
        int_len = ESP_AUTH[auth][2] if auth else 0
        pfs = bool(ke1 and ke2)
        group = at.get(3)
        qm_init = m1["hdr"].sender
        # logged CHILD_SA key sets for these SPIs
        logged = {}
        for host, lg in logs.items():
            for c in lg.child_keys:
                if "spi_in" not in c:
                    continue
                mine_in = spi_i.hex() if host == qm_init else spi_r.hex()
                mine_out = spi_r.hex() if host == qm_init else spi_i.hex()
                if (c["spi_in"], c["spi_out"]) == (mine_in, mine_out):
                    logged[host] = c
        if not logged:
            err(f"Quick Mode {mid:#010x}: no logged CHILD_SA keys for SPIs {spi_i.hex()}/{spi_r.hex()}")
            continue
        secret = b""
        if pfs:
            secs = {h: c["seeds"].get("DH secret") for h, c in logged.items()}
            vals = {v for v in secs.values() if v}
            check(len(vals) == 1, f"Quick Mode {mid:#010x}: both logs hold the same PFS DH secret g(qm)^xy")
            secret = next(iter(vals)) if vals else b""
        keys_of = sa.derived.get(qm_init) or next(iter(sa.derived.values()))
        skd = keys_of["SKEYID_d"]
        seed_i = secret + bytes([proto]) + spi_r + ni + nr     # keys for traffic to the responder (its SPI)
        seed_r = secret + bytes([proto]) + spi_i + ni + nr
        km_i = keymat(sa.hashfn, skd, seed_i, enc_len + int_len)
        km_r = keymat(sa.hashfn, skd, seed_r, enc_len + int_len)
        der = {"enc_i": km_i[:enc_len], "int_i": km_i[enc_len:], "enc_r": km_r[:enc_len], "int_r": km_r[enc_len:]}
        res = []
        allok = True
        for host, c in sorted(logged.items()):
            ok = all(der[k] == c.get(k, b"") for k in der)
            seeds_ok = (c["seeds"].get("initiator SA seed") == seed_i and c["seeds"].get("responder SA seed") == seed_r)
            res.append(f"{host}: keys {'MATCH' if ok else 'DIFFER'}, seeds {'match' if seeds_ok else 'DIFFER'}")
            allok &= ok and seeds_ok
        ch = {"mid": mid, "sa": sa, "qm_initiator": qm_init, "msgs": ms, "spi_i": spi_i.hex(), "spi_r": spi_r.hex(),
              "kind": kind, "enc_len": enc_len, "auth": auth, "int_len": int_len, "pfs": pfs, "group": group,
              "encap": at.get(4), "life": at.get(2), "keymat_ok": allok, "logged": logged, "ids": ids1,
              "prop": next(iter(logged.values())).get("prop"), "keysel": der}
        ch.update(der)
        # spi_i2r carries initiator-key traffic (to the responder's SPI)
        ch["spi_i2r"], ch["spi_r2i"] = spi_r.hex(), spi_i.hex()
        if qm_init == "A":
            ch["a_in"], ch["a_out"] = spi_i.hex(), spi_r.hex()
        else:
            ch["a_in"], ch["a_out"] = spi_r.hex(), spi_i.hex()
        ch["name"] = next(iter(logged.values())).get("name")
        ch["uid"] = {h: c.get("uid") for h, c in logged.items()}
        ch["transform_text"] = (f"{ESP_TRANSFORM.get(tid, tid)}-{(enc_len - (4 if kind == 'gcm16' else 0)) * 8}"
                                + (f", {ESP_AUTH[auth][0]}" if auth else "")
                                + (f", PFS group {group} ({GROUPS.get(group, '?')})" if group else ", no PFS")
                                + f", {ENCAP_MODE.get(at.get(4), at.get(4))}")
        V.append(f"Quick Mode M-ID {mid:#010x} (frames {','.join(str(x['hdr'].n) for x in ms)}, initiated by {qm_init}): "
                 f"{ch['transform_text']}; SPI_i {spi_i.hex()} SPI_r {spi_r.hex()}; Ni_b {len(ni)} bytes, Nr_b {len(nr)} bytes"
                 + (f"; g(qm)^xy {len(secret)} bytes from the logs ('DH secret')" if pfs else ""))
        V.append(f"  KEYMAT = K1|K2.., K1 = prf(SKEYID_d, {'g(qm)^xy | ' if pfs else ''}protocol {proto} | SPI | Ni_b | Nr_b), "
                 f"Kn = prf(SKEYID_d, Kn-1 | same); {enc_len}-byte encryption key then {int_len}-byte integrity key")
        V.append(f"  initiator->responder (SPI {spi_r.hex()}): enc {der['enc_i'].hex()}" + (f" integ {der['int_i'].hex()}" if int_len else ""))
        V.append(f"  responder->initiator (SPI {spi_i.hex()}): enc {der['enc_r'].hex()}" + (f" integ {der['int_r'].hex()}" if int_len else ""))
        V.append(f"  compared with charon's logged CHILD_SA keys and 'initiator/responder SA seed': {'; '.join(res)}")
        check(allok and len(logged) == len([h for h in logs if logs[h].exists]),
              f"Quick Mode {mid:#010x}: KEYMAT derived in Python equals charon's CHILD_SA keys in both logs")
        children.append(ch)
    # rekey relations (from the log of the host that initiated the rekey)
    for ch in children:
        ch["rekey_of"] = None
        for host, lg in logs.items():
            uid = ch["uid"].get(host)
            old = lg.rekey_of.get(uid)
            if old is not None:
                o = next((x for x in children if x["uid"].get(host) == old), None)
                if o is not None:
                    ch["rekey_of"] = o
    return children


def esp_check(ch, dr, f):
    ek = ch["enc_i" if dr == "i2r" else "enc_r"]
    ak = ch["int_i" if dr == "i2r" else "int_r"]
    esp = f.esp
    if ch["kind"] == "gcm16":
        pt = AESGCM(ek[:-4]).decrypt(ek[-4:] + esp[8:16], esp[16:], esp[:8])
    else:
        name, hf, klen, icv = ESP_AUTH[ch["auth"]]
        if not hmac.compare_digest(hmac.new(ak, esp[:-icv], hf).digest()[:icv], esp[-icv:]):
            raise Fail("ICV mismatch")
        ivl = 8 if ch["kind"] == "3des" else 16
        pt = cbc_decrypt("3des" if ch["kind"] == "3des" else "aes", ek, esp[8:8 + ivl], esp[8 + ivl:-icv])
    padlen, nh = pt[-2], pt[-1]
    if pt[-2 - padlen:-2] != bytes(range(1, padlen + 1)):
        raise Fail("bad ESP padding")
    inner = pt[:-2 - padlen]
    if nh == 4 and inner[0] >> 4 == 4:
        proto = {1: "ICMP", 6: "TCP", 17: "UDP"}.get(inner[9], str(inner[9]))
        extra = ""
        if inner[9] == 1:
            extra = {8: " echo request", 0: " echo reply"}.get(inner[(inner[0] & 15) * 4], "")
        return f"{ipaddress.ip_address(inner[12:16])} > {ipaddress.ip_address(inner[16:20])} {proto}{extra}"
    raise Fail(f"unexpected inner next header {nh}")


# ------------------------------------------------------------------ log matching
def match_logs(messages, logs):
    used = {(h, k): set() for h in "AB" for k in "sr"}
    for msg in messages:
        h = msg["hdr"]
        msg["send_evs"], msg["recv_evs"] = [], []
        for f in msg["frames"]:
            size = len(f.ike)
            lg = logs.get(f.sender)
            f.send_ev = f.recv_ev = None
            if lg and lg.exists:
                for i, ev in enumerate(lg.sends):
                    if i in used[(f.sender, "s")] or ev["size"] != size:
                        continue
                    used[(f.sender, "s")].add(i)
                    f.send_ev = ev
                    break
                if f.send_ev is None:
                    err(f"frame {f.n}: not among {f.sender}'s sent packets")
                else:
                    g = f.send_ev.get("msg")
                    if g and (SS_EXCH.get(g["exch"]), g["mid"]) != (h.exch, h.mid):
                        err(f"frame {f.n}: header {h.exname} {h.mid} != {f.sender}'s log {g['exch']} {g['mid']}")
            rl = logs.get(other(f.sender))
            if rl and rl.exists:
                for i, ev in enumerate(rl.recvs):
                    if i in used[(other(f.sender), "r")] or ev["size"] != size or ev.get("reassembled"):
                        continue
                    used[(other(f.sender), "r")].add(i)
                    f.recv_ev = ev
                    break
        # the message as logged: sender's generate line (full message for fragments)
        first = msg["frames"][0]
        g = first.send_ev.get("msg") if first.send_ev else None
        if g and g.get("frag") and g.get("inner"):
            g = g["inner"]
        msg["gen"] = g
        # receiver's parse of the (reassembled) message
        rl = logs.get(other(h.sender))
        msg["parsed"] = None
        if rl and rl.exists:
            last = msg["frames"][-1]
            if msg["reassembled"]:
                for i, ev in enumerate(rl.recvs):
                    if ev.get("reassembled") and ev["size"] == len(msg["bytes"]) and (other(h.sender), "R", i) not in used:
                        used[(other(h.sender), "R", i)] = True
                        msg["parsed"] = ev.get("parsed")
                        msg["recv_notes"] = ev.get("notes", [])
                        break
            elif last.recv_ev is not None:
                msg["parsed"] = last.recv_ev.get("parsed")
                msg["recv_notes"] = last.recv_ev.get("notes", [])
        logged = g["payloads"] if g else msg["parsed"]
        msg["logged"] = logged
        if logged is not None and msg.get("payloads") is not None:
            want = ss_payload_types(logged)
            if want != msg["payloads"]:
                err(f"frame {h.n}: payloads {msg['payloads']} != logged [{logged}]")


# ------------------------------------------------------------------ outcome
def outcome(sa, logs, children):
    sa.outcome = None
    sa.deleted_in = None
    est = []
    for host, lg in logs.items():
        if lg.established and lg.exists:
            est.append(host)
    notifies = []
    for m in sa.msgs:
        for t, b, r, o in (m.get("det") or []):
            if t == 11:
                nt = struct.unpack("!H", b[6:8])[0]
                if nt < 8192:
                    notifies.append((m, NOTIFY.get(nt, str(nt))))
            if t == 12:
                proto = b[4]
                spisize, num = b[5], struct.unpack("!H", b[6:8])[0]
                spis = [b[8 + i * spisize:8 + (i + 1) * spisize].hex() for i in range(num)]
                if proto == 1:
                    sa.deleted_in = m["frames"][0].n
                    sa.deleted_by = m["hdr"].sender
                else:
                    for s in spis:
                        for ch in children:
                            if s in (ch["a_in"], ch["a_out"]) and ch.get("deleted_in") is None:
                                ch["deleted_in"] = m["frames"][0].n
                                ch["deleted_by"] = m["hdr"].sender
    if len(est) == 2:
        sa.outcome = "established"
    elif notifies:
        sa.outcome = f"failed:{notifies[0][1]}"
    else:
        sa.outcome = "failed:no-response"
    sa.notifies = notifies
    for ch in children:
        if ch.get("deleted_in"):
            ch["end"] = ("esp-delete", ch["deleted_in"], ch["deleted_by"])
        elif sa.deleted_in:
            ch["end"] = ("ike-delete", sa.deleted_in, sa.deleted_by)
        else:
            ch["end"] = ("none",)


# ------------------------------------------------------------------ key files
def esp_lines(ch, addr_a, addr_b):
    ini = ch["qm_initiator"]
    res = other(ini)
    addr = {"A": addr_a, "B": addr_b}
    return [(addr[ini], addr[res], ch["spi_i2r"], ch["enc_i"], ch["int_i"], f"{ini} -> {res}", "initiator keys"),
            (addr[res], addr[ini], ch["spi_r2i"], ch["enc_r"], ch["int_r"], f"{res} -> {ini}", "responder keys")]


def child_comment(ch, children):
    sa = ch["sa"]
    qf = ",".join(str(m["hdr"].n) for m in ch["msgs"])
    rk = (f"rekey of the CHILD_SA with SPIs {ch['rekey_of']['a_in']}/{ch['rekey_of']['a_out']}"
          if ch["rekey_of"] else "not a rekey")
    uids = ", ".join(f"{h}: {ch['name']}{{{u}}}" for h, u in sorted(ch["uid"].items()))
    return (f"CHILD_SA {uids} of IKE SA {sa.icookie}/{sa.rcookie}: Quick Mode M-ID {ch['mid']:#010x} "
            f"(frames {qf}) initiated by {ch['qm_initiator']}, {rk}, PFS "
            f"{'yes (' + GROUPS.get(ch['group'], str(ch['group'])) + ')' if ch['pfs'] else 'no'}; ESP {ch['prop']}")


def ike_native_line(sa, host):
    k = sa.derived[host]
    return (f"ike version=1 ispi=0x{sa.icookie} rspi=0x{sa.rcookie} enc={sa.enc_native} prf={sa.prf_native} "
            f"enc-key=0x{hexs(k['encryption key Ka'])} skeyid=0x{hexs(k['SKEYID'])} "
            f"skeyid-d=0x{hexs(k['SKEYID_d'])} skeyid-a=0x{hexs(k['SKEYID_a'])} skeyid-e=0x{hexs(k['SKEYID_e'])}")


def write_keys(d, a, ike_sas, children, suffix="", addr_a=None, addr_b=None):
    addr_a = addr_a or a.addr_a
    addr_b = addr_b or a.addr_b
    L = [f"# strongSwan 5.9.8 IKEv1 fixture '{a.case}': keys from the charon logs (ike=4, chd=4),",
         f"# recomputed and verified against capture{suffix}.pcap by analyze.py (see verify.txt)"]
    extra_b = []
    for sa in ike_sas.values():
        if not getattr(sa, "derived", None):
            L.append(f"# IKE SA {sa.icookie}/{sa.rcookie}: {sa.outcome}, no keys were derived")
            continue
        L.append(f"# IKE SA {sa.icookie}/{sa.rcookie} ({sa.exchange} Mode, initiator {sa.initiator}), "
                 f"{sa.transform_text}, {sa.outcome}")
        if sa.split_keys:
            L.append("# A's keys (A's PSK): they decrypt what A sent; B derived other keys from its own PSK "
                     "(see sa-B.spiglass)")
            L.append(ike_native_line(sa, "A"))
            extra_b = ["# B's keys (B's PSK differs from A's): they decrypt what B sent",
                       ike_native_line(sa, "B")]
        else:
            L.append(ike_native_line(sa, sorted(sa.derived)[0]))
    for ch in children:
        L.append(f"# {child_comment(ch, children)}")
        for src, dst, spi, ek, ak, c, which in esp_lines(ch, addr_a, addr_b):
            L.append(f"#   {c} ({which})")
            line = f"esp spi=0x{spi} src={src} dst={dst} enc={'aes-gcm-16' if ch['kind'] == 'gcm16' else ('3des-cbc' if ch['kind'] == '3des' else 'aes-cbc')} enc-key=0x{hexs(ek)}"
            line += " auth=null" if not ch["auth"] else f" auth={NATIVE_ESP_AUTH[ch['auth']]} auth-key=0x{hexs(ak)}"
            L.append(line)
    with open(os.path.join(d, f"sa{suffix}.spiglass"), "w") as fh:
        fh.write("\n".join(L) + "\n")
    pb = os.path.join(d, "sa-B.spiglass")
    if not suffix:
        if extra_b:
            with open(pb, "w") as fh:
                fh.write("\n".join(L[:2] + extra_b) + "\n")
        elif os.path.exists(pb):
            os.remove(pb)
    if not suffix:
        rows, rows_b = [], []
        for sa in ike_sas.values():
            if getattr(sa, "derived", None):
                h = "A" if "A" in sa.derived else sorted(sa.derived)[0]
                rows.append(f"{sa.icookie},{hexs(sa.derived[h]['encryption key Ka'])}\n")
                if sa.split_keys:
                    rows_b.append(f"{sa.icookie},{hexs(sa.derived['B']['encryption key Ka'])}\n")
        p = os.path.join(d, "ikev1_decryption_table")
        if rows:
            open(p, "w").writelines(rows)
        elif os.path.exists(p):
            os.remove(p)
        p = os.path.join(d, "ikev1_decryption_table-B")
        if rows_b:
            open(p, "w").writelines(rows_b)
        elif os.path.exists(p):
            os.remove(p)
    with open(os.path.join(d, "esp_sa" + suffix), "w") as fh:
        if not children:
            fh.write("# no CHILD_SA was established in this capture\n")
        for ch in children:
            for src, dst, spi, ek, ak, c, which in esp_lines(ch, addr_a, addr_b):
                enc = WS_ESP_ENC[ch["kind"]]
                auth, akf = ("NULL", "") if not ch["auth"] else (WS_ESP_AUTH[ch["auth"]], f"0x{hexs(ak)}")
                fh.write(f'"IPv4","{src}","{dst}","0x{spi}","{enc}","0x{hexs(ek)}","{auth}","{akf}"\n')


def write_inside_keys(d, a, ike_sas, children):
    frames = parse_frames(os.path.join(d, "capture-inside.pcap"))
    src_a = next(f.src for f in frames if f.kind == "ike")
    write_keys(d, a, ike_sas, children, suffix="-inside", addr_a=src_a, addr_b=a.addr_b)
    return src_a


# ------------------------------------------------------------------ tshark
TSHARK_FIELDS = ["frame.number", "ip.src", "ip.dst", "udp.srcport", "udp.dstport",
                 "isakmp.ispi", "isakmp.rspi", "isakmp.exchangetype", "isakmp.messageid", "isakmp.flags",
                 "isakmp.frag.number", "isakmp.frag.last", "isakmp.typepayload", "isakmp.notify.msgtype",
                 "isakmp.fragment.count", "esp.spi", "esp.sequence", "esp.protocol", "esp.icv_good", "esp.icv_bad",
                 "_ws.expert.message", "_ws.malformed"]


def tshark(pcap, esp_sa, ike_table):
    home = tempfile.mkdtemp()
    try:
        cfg = os.path.join(home, ".config", "wireshark")
        os.makedirs(cfg)
        if esp_sa and os.path.exists(esp_sa):
            shutil.copy(esp_sa, os.path.join(cfg, "esp_sa"))
        if ike_table and os.path.exists(ike_table):
            shutil.copy(ike_table, os.path.join(cfg, "ikev1_decryption_table"))
        with open(os.path.join(cfg, "preferences"), "w") as fh:
            fh.write("esp.enable_encryption_decode: TRUE\nesp.enable_authentication_check: TRUE\n")
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"))
        cmd = ["nice", "tshark", "-r", pcap, "-n", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
               "-E", "separator=/t"]
        for fl in TSHARK_FIELDS:
            cmd += ["-e", fl]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
        ver = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    finally:
        shutil.rmtree(home)
    rows = [dict(zip(TSHARK_FIELDS, l.split("\t"))) for l in out.splitlines()]
    return rows, ver


def run_tshark(d, frames, messages, children, ike_sas):
    rows, ver = tshark(os.path.join(d, "capture.pcap"), os.path.join(d, "esp_sa"),
                       os.path.join(d, "ikev1_decryption_table"))
    rows_b = {}
    if os.path.exists(os.path.join(d, "ikev1_decryption_table-B")):
        rb, _ = tshark(os.path.join(d, "capture.pcap"), None, os.path.join(d, "ikev1_decryption_table-B"))
        rows_b = {int(r["frame.number"]): r for r in rb}
    res = {"ike_enc": 0, "ike_dec": 0, "esp": 0, "esp_good": 0, "ver": ver, "notes": []}
    fmap = {f.n: f for f in frames}
    out = [f"# tshark view of the ISAKMP frames in capture.pcap with this directory's ikev1_decryption_table",
           f"# {ver}; prefs esp.enable_encryption_decode/esp.enable_authentication_check = TRUE",
           "# columns: frame, src > dst, initiator cookie, responder cookie, exchange type, message ID, flags "
           "(E=encrypted C=commit A=authentication-only), encrypted?, payload types in order as tshark shows them "
           "(for an encrypted message: the decrypted payloads; P/T of SA payloads left out), notify types, "
           "problems (tshark expert info, and any difference from analyze.py's own decryption)"]
    out_esp = ["# tshark view of the ESP packets in capture.pcap with this directory's esp_sa",
               f"# {ver}; prefs esp.enable_encryption_decode/esp.enable_authentication_check = TRUE",
               "# columns: frame, src > dst, ESP, SPI, sequence, decrypted (next header), ICV"]
    main_dec = []
    for row in rows:
        n = int(row["frame.number"])
        f = fmap[n]
        src, dst = row["ip.src"].split(",")[0], row["ip.dst"].split(",")[0]
        if row["isakmp.exchangetype"]:
            # a reassembled fragment set shows two ISAKMP headers in its last frame: the fragment's
            # and the reassembled message's
            flag_list = [int(x, 16) for x in row["isakmp.flags"].split(",") if x]
            flags = flag_list[0]
            fl = "".join(c if flags & b else "-" for c, b in (("E", 1), ("C", 2), ("A", 4)))
            if len(flag_list) > 1:
                rf = flag_list[-1]
                fl += " (reassembled: " + "".join(c if rf & b else "-" for c, b in (("E", 1), ("C", 2), ("A", 4))) + ")"
            types = [int(x) for x in row["isakmp.typepayload"].split(",") if x]
            types = [t for t in types if t not in (2, 3)]
            if flags & 1:
                main_dec.append(types)
            nots = [NOTIFY.get(int(x), x) for x in row["isakmp.notify.msgtype"].split(",") if x]
            msg = f.msg
            problems = []
            expert = row["_ws.expert.message"]
            if expert:
                problems.append("expert: " + expert)
            status = "plain"
            want = msg.get("payloads") if msg is not None else None
            retrans = msg is not None and msg["retransmission_of"] is not None
            enc_msg = msg is not None and msg["hdr"].encrypted and f is msg["frames"][-1]
            shown = [t for t in types if t != 132] if f.frag is not None else types
            if f.frag is not None:
                status = "fragment"
            if enc_msg:
                dec = want is not None and shown == want
                pre = "fragment; reassembled message " if f.frag is not None else ""
                if retrans:
                    res["retrans"] = res.get("retrans", 0) + 1
                    if dec:
                        res["retrans_dec"] = res.get("retrans_dec", 0) + 1
                        status = pre + "decrypted (retransmission)"
                    else:
                        status = pre + "NOT-decrypted (retransmission)"
                        problems.append(f"retransmission of frame {msg['retransmission_of']['frames'][0].n}: "
                                        "Wireshark's IV chain has already moved past it (known Wireshark limitation)")
                else:
                    res["ike_enc"] += 1
                    if dec:
                        res["ike_dec"] += 1
                        status = pre + "decrypted"
                    elif (n in rows_b and want is not None and
                          [int(x) for x in rows_b[n]["isakmp.typepayload"].split(",") if x and int(x) not in (2, 3)] == want):
                        res["ike_dec"] += 1
                        status = pre + "decrypted (with ikev1_decryption_table-B)"
                    else:
                        status = pre + "NOT-decrypted"
                        if msg.get("keys_of") == "B" and getattr(msg["sa"], "split_keys", False):
                            res["b_keys"] = res.get("b_keys", []) + [n]
                            problems.append("encrypted with B's keys (from B's different PSK) and IV hash(initial IV | M-ID): "
                                            "Wireshark keys the table by initiator cookie only and chains the phase-2 IV "
                                            "from the last phase-1 block it saw, so it cannot decrypt this even with "
                                            "ikev1_decryption_table-B (analyze.py did)")
                        else:
                            err(f"tshark: frame {n} not decrypted (python: {want})")
                    if not dec and want is not None:
                        problems.append(f"analyze.py decrypted: {' '.join(PAYLOAD.get(t, str(t)) for t in want)}")
            if row["_ws.malformed"] and not problems:
                problems.append("MALFORMED")
            out.append("\t".join([str(n), f"{src} > {dst}", row["isakmp.ispi"].split(",")[0], row["isakmp.rspi"].split(",")[0],
                                  EXCH.get(int(row["isakmp.exchangetype"].split(",")[-1]), row["isakmp.exchangetype"]),
                                  row["isakmp.messageid"].split(",")[-1], fl,
                                  ("yes" if flags & 1 else ("no (fragment of an encrypted message)" if f.frag is not None and msg and msg["hdr"].encrypted else "no")),
                                  " ".join(PAYLOAD.get(t, str(t)) for t in types) or "-",
                                  " ".join(nots) or "-", status, "; ".join(problems) or "-"]))
        elif row["esp.spi"]:
            res["esp"] += 1
            spi = f"{int(row['esp.spi'], 16):08x}"
            dec = bool(row["esp.protocol"])
            good = row["esp.icv_good"] == "1"
            bad = row["esp.icv_bad"] == "1"
            icvs = "good" if good else ("BAD" if bad else "unchecked")
            if dec and good:
                res["esp_good"] += 1
            else:
                err(f"tshark: ESP frame {n} SPI {spi} not decrypted/authenticated (dec={dec} icv={icvs})")
            nh = {"0x04": "IPv4", "0x00000004": "IPv4", "4": "IPv4"}.get(row["esp.protocol"], row["esp.protocol"] or "-")
            out_esp.append("\t".join([str(n), f"{src} > {dst}", "ESP", spi, row["esp.sequence"],
                                      f"decrypted({nh})" if dec else "NOT-decrypted", icvs]))
    if res["ike_dec"] + len(res.get("b_keys", [])) != res["ike_enc"]:
        err(f"tshark: {res['ike_dec']}/{res['ike_enc']} encrypted ISAKMP messages decrypted")
    with open(os.path.join(d, "tshark-ike.txt"), "w") as fh:
        fh.write("\n".join(out) + "\n")
        fh.write(f"# summary: encrypted ISAKMP messages decrypted by tshark {res['ike_dec']}/{res['ike_enc']} "
                 "(retransmissions not counted; a fragmented message counts once, in its last fragment's frame; "
                 "Wireshark does not verify IKEv1 HASH payloads: 'decrypted' means its payload types equal analyze.py's)"
                 + (f"; not decryptable by Wireshark: frames {','.join(map(str, res['b_keys']))} (B's keys)" if res.get("b_keys") else "")
                 + (f"; retransmissions decrypted {res.get('retrans_dec', 0)}/{res['retrans']}" if res.get("retrans") else "")
                 + "\n")
    with open(os.path.join(d, "tshark-esp.txt"), "w") as fh:
        fh.write("\n".join(out_esp) + "\n")
        fh.write(f"# summary: ESP decrypted+ICV by tshark {res['esp_good']}/{res['esp']}\n")
    inside = os.path.join(d, "capture-inside.pcap")
    if os.path.exists(inside):
        rows2, _ = tshark(inside, os.path.join(d, "esp_sa-inside"), os.path.join(d, "ikev1_decryption_table"))
        res["inside_esp"] = sum(1 for r in rows2 if r["esp.spi"])
        res["inside_esp_good"] = sum(1 for r in rows2 if r["esp.spi"] and r["esp.protocol"] and r["esp.icv_good"] == "1")
        enc_in = [r for r in rows2 if r["isakmp.flags"] and int(r["isakmp.flags"].split(",")[0], 16) & 1]
        # compare the decrypted payload types with those of capture.pcap (same messages, same order)
        in_dec = [[int(x) for x in r["isakmp.typepayload"].split(",") if x and int(x) not in (2, 3)] for r in enc_in]
        res["inside_ike_dec"] = sum(1 for x, y in zip(main_dec, in_dec) if x == y and x)
        res["inside_ike_enc"] = len(enc_in)
        if res["inside_esp_good"] != res["inside_esp"] or res["inside_ike_dec"] != res["inside_ike_enc"]:
            err(f"tshark: capture-inside.pcap: ESP {res['inside_esp_good']}/{res['inside_esp']}, "
                f"ISAKMP {res['inside_ike_dec']}/{res['inside_ike_enc']}")
        with open(os.path.join(d, "tshark-esp.txt"), "a") as fh:
            fh.write(f"# capture-inside.pcap (with esp_sa-inside): ISAKMP decrypted {res['inside_ike_dec']}/"
                     f"{res['inside_ike_enc']}, ESP decrypted+ICV {res['inside_esp_good']}/{res['inside_esp']}\n")
    return res


# ------------------------------------------------------------------ verify.txt / expected
def write_verify(d, a, V):
    L = [f"# Independent Python verification of {a.case} (analyze.py, package cryptography)",
         "# inputs: capture.pcap, the PSK(s) from config/, certificates from the CERT payloads, and from the",
         "# charon logs only the DH shared secrets g^xy / g(qm)^xy (not recomputable without private values);",
         "# every key, IV and HASH below was recomputed and compared with what charon logged.", ""]
    L += V
    L.append("")
    for ok, text in CHECKS:
        L.append(f"[{'OK' if ok else 'FAIL'}] {text}")
    with open(os.path.join(d, "verify.txt"), "w") as fh:
        fh.write("\n".join(L) + "\n")


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


def narrate(frames, messages, ike_sas, children, ch_idx):
    """a few sentences per exchange, in capture order"""
    out = []
    groups = []        # [kind, key, [frames]] in capture order
    for f in frames:
        if f.kind == "ike" and f.msg is not None:
            key = ("ike", f.msg["hdr"].exch, f.msg["hdr"].mid)
        elif f.kind == "esp" and f.child is not None:
            key = ("esp", id(f.child))
        else:
            key = (f.kind, f.n)
        if groups and groups[-1][0] == key and key[0] != "ike":
            groups[-1][1].append(f)
        elif key[0] == "ike" and any(g[0] == key for g in groups) and key[1] in (2, 4, 32, 6):
            next(g for g in groups if g[0] == key)[1].append(f)
        else:
            groups.append([key, [f]])

    def who(f):
        return f.sender

    for key, fs in groups:
        rng = frame_range([f.n for f in fs])
        if key[0] == "esp":
            ch = fs[0].child
            ab = sum(1 for f in fs if f.sender == "A")
            out.append(f"  frames {rng}: {len(fs)} ESP packets of CHILD_SA #{ch_idx[id(ch)]} "
                       f"({ab} A->B, {len(fs) - ab} B->A; pings between the inner addresses)")
            continue
        if key[0] != "ike":
            out.append(f"  frame {rng}: {key[0]}")
            continue
        exch, mid = key[1], key[2]
        msgs = []
        for f in fs:
            if f.msg not in msgs:
                msgs.append(f.msg)
        sa = msgs[0]["sa"]
        if exch in (2, 4):
            s = (f"  frames {rng}: {EXCH[exch]} Mode, A initiates with cookie {sa.icookie}, B answers with "
                 f"{sa.rcookie}")
            if getattr(sa, "transform_text", None):
                s += f"; chosen: {sa.transform_text}"
            fr = [m for m in msgs if m["reassembled"]]
            if fr:
                s += "; " + ", ".join(f"{m['hdr'].sender}'s encrypted message goes as {len(m['frames'])} ISAKMP fragments "
                                      f"(frames {frame_range([g.n for g in m['frames']])})" for m in fr)
            rt = [m for m in msgs if m["retransmission_of"] is not None]
            if rt:
                s += "; " + ", ".join(f"frame {m['frames'][0].n} retransmits frame {m['retransmission_of']['frames'][0].n}" for m in rt)
            if sa.outcome == "established":
                s += "; the ISAKMP SA is established (phase 1 authenticated: "
                s += f"{P1_AUTH.get(getattr(sa, 'auth', None), '?')})"
            else:
                s += f"; outcome {sa.outcome}"
            out.append(s)
            continue
        if exch == 32:
            ch = next((c for c in children if c["mid"] == mid), None)
            if ch:
                s = (f"  frames {rng}: Quick Mode M-ID {mid:#010x} by {ch['qm_initiator']} creates CHILD_SA #{ch_idx[id(ch)]} "
                     f"(A in {ch['a_in']}, B in {ch['a_out']}; {ch['transform_text']})")
                if ch["rekey_of"]:
                    s += f", a rekey of CHILD_SA #{ch_idx[id(ch['rekey_of'])]}"
                out.append(s)
            else:
                out.append(f"  frames {rng}: Quick Mode M-ID {mid:#010x} (no CHILD_SA)")
            continue
        # Informational / Transaction: describe each message
        for m in msgs:
            f = m["frames"][0]
            if m.get("det") is None:
                out.append(f"  frame {f.n}: {EXCH.get(exch, exch)} from {f.sender} (not decrypted)")
                continue
            parts = [describe_payload(t, b) for t, b, r, o in m["det"] if t in (11, 12, 14)]
            txt = ", ".join(parts) or "empty"
            extra = ""
            if m.get("keys_of") and getattr(sa, "split_keys", False):
                extra = f" (encrypted with {m['keys_of']}'s keys)"
            for c in children:
                for t, b, r, o in m["det"]:
                    if t == 12 and b[4] == 3 and (c["a_in"] in b.hex() or c["a_out"] in b.hex()):
                        txt += f" = CHILD_SA #{ch_idx[id(c)]}"
            out.append(f"  frame {f.n}: {EXCH.get(exch, exch)} M-ID {mid:#010x} from {f.sender}{extra}: {txt}")
    return out


def write_expected(d, a, frames, messages, ike_sas, children, logs, tsh):
    ch_idx = {id(c): i + 1 for i, c in enumerate(children)}
    L = [f"# Expected story of {a.case}/capture.pcap, written from the charon logs of A and B",
         "# (payload lists as charon logged them, strongSwan's abbreviations; decrypted details from analyze.py)",
         f"# case: {a.desc}",
         f"# host A = {a.addr_a}, host B = {a.addr_b} (addresses as seen in capture.pcap); A initiates phase 1", ""]
    L.append("IKE (ISAKMP) SAs:")
    for sa in ike_sas.values():
        frs = frame_range([f.n for m in sa.msgs for f in m["frames"]])
        s = (f"  icookie {sa.icookie} rcookie {sa.rcookie}: {sa.exchange} Mode, initiator {sa.initiator}, "
             f"outcome {sa.outcome}")
        if getattr(sa, "transform_text", None):
            s += f"; {sa.transform_text}"
        prop = (logs["A"].ike_props or logs["B"].ike_props or ["-"])[0]
        s += f"; charon: {prop}; frames {frs}"
        if sa.deleted_in:
            s += f"; deleted by {sa.deleted_by} (Informational Delete ISAKMP, frame {sa.deleted_in})"
        if getattr(sa, "split_keys", False):
            s += "; A and B derived different keys (PSK mismatch): sa.spiglass holds A's, sa-B.spiglass B's"
        L.append(s)
    L.append("")
    L.append("CHILD SAs (SPIs: 'A in' = B->A traffic, 'B in' = A->B traffic):")
    for ch in children:
        qf = ",".join(str(m["hdr"].n) for m in ch["msgs"])
        uids = ", ".join(f"{h}: {ch['name']}{{{u}}}" for h, u in sorted(ch["uid"].items()))
        s = (f"  CHILD_SA #{ch_idx[id(ch)]} ({uids}): "
             f"A in {ch['a_in']}, B in {ch['a_out']}; Quick Mode M-ID {ch['mid']:#010x} frames {qf}, initiated by "
             f"{ch['qm_initiator']}; {'rekey of CHILD_SA #' + str(ch_idx[id(ch['rekey_of'])]) if ch['rekey_of'] else 'not a rekey'}; "
             f"{ch['transform_text']}; charon: ESP {ch['prop']}")
        ab, ba = ch["pkts"]["A>B"], ch["pkts"]["B>A"]
        s += (f"; ESP A->B {len(ab)} (frames {frame_range([f.n for f in ab])}), "
              f"B->A {len(ba)} (frames {frame_range([f.n for f in ba])})")
        s += f"; KEYMAT recomputed in Python {'== charon' if ch['keymat_ok'] else '!= charon'}"
        end = ch["end"]
        if end[0] == "esp-delete":
            s += f"; deleted by {end[2]} (Informational Delete ESP, frame {end[1]})"
        elif end[0] == "ike-delete":
            s += f"; no ESP Delete; its IKE SA deleted by {end[2]} (frame {end[1]})"
        else:
            s += "; not deleted in the capture"
        L.append(s)
    if not children:
        L.append("  (none)")
    L.append("")
    L.append("Story:")
    L += narrate(frames, messages, ike_sas, children, ch_idx)
    L.append("")
    L.append("Frames:")
    tsv_msgs = []
    shown = set()
    for f in frames:
        if f.kind == "ike":
            msg = f.msg
            h = f
            if msg is None:
                L.append(f"  frame {f.n}: ISAKMP fragment {f.frag['num']} of an incomplete set")
                continue
            mh = msg["hdr"]
            sa = msg["sa"]
            role = "initiator" if f.sender == sa.initiator else "responder"
            rt = msg["retransmission_of"] is not None
            fragtxt = f"{f.frag['num']}/{f.frag_total}" if f.frag is not None else "-"
            s = (f"  frame {f.n}: {mh.exname} M-ID {mh.mid:#010x}, {f.sender} -> {other(f.sender)} "
                 f"({role}), cookies {h.icookie}/{h.rcookie}")
            if f.frag is not None:
                s += f", ISAKMP fragment {fragtxt} (id {f.frag['id']})"
            if rt:
                s += f", retransmission of frame {msg['retransmission_of']['frames'][0].n}"
            if mh.encrypted:
                s += ", encrypted"
            g = msg.get("gen")
            if f.frag is not None and f is not msg["frames"][-1]:
                s += "; (message continues in the next fragment)"
            else:
                if msg.get("logged") is not None:
                    s += f"; [ {msg['logged']} ]" + ("" if g else " (as parsed by the receiver)")
                else:
                    s += "; (not in the logs)"
                if msg.get("det"):
                    det = [describe_payload(t, b) for t, b, r, o in msg["det"] if t in (1, 5, 11, 12, 14, 6)]
                    if det:
                        s += "; " + ", ".join(det)
                if mh.encrypted and msg.get("pt") is not None and not rt:
                    s += f"; decrypted with {msg['keys_of']}'s keys, {msg['hash_how']}"
            notes = []
            if g:
                for idx, line in g.get("ctx") or []:
                    if (f.sender, idx) not in shown:
                        shown.add((f.sender, idx))
                        notes.append(f"{f.sender}: {line}")
            if f is msg["frames"][-1]:
                for idx, line in msg.get("recv_notes") or []:
                    if (other(f.sender), idx) not in shown:
                        shown.add((other(f.sender), idx))
                        notes.append(f"{other(f.sender)}: {line}")
            s += "".join(f"\n      {n}" for n in notes)
            L.append(s)
            tsv_msgs.append(["message", str(f.n), mh.exname, str(mh.exch), f"{mh.mid:08x}", role, f.sender,
                             "yes" if (mh.encrypted or h.encrypted) else "no", "yes" if rt else "no", fragtxt,
                             h.icookie, h.rcookie, msg.get("logged") or "-"])
        elif f.kind == "esp":
            ch = f.child
            if ch is None:
                L.append(f"  frame {f.n}: ESP SPI {f.spi:08x} seq {f.seq} (unknown CHILD_SA)")
                continue
            L.append(f"  frame {f.n}: ESP {f.sender} -> {other(f.sender)} SPI {f.spi:08x} seq {f.seq}, "
                     f"CHILD_SA #{ch_idx[id(ch)]}, inner {f.esp_inner}")
        elif f.kind == "keepalive":
            L.append(f"  frame {f.n}: NAT-T keepalive from {f.sender}")
        else:
            L.append(f"  frame {f.n}: {f.kind}")
    with open(os.path.join(d, "expected.txt"), "w") as fh:
        fh.write("\n".join(L) + "\n")
    T = ["# expected.tsv: one row per IKE (ISAKMP) SA, CHILD_SA and ISAKMP frame; '-' = none. Columns per kind:",
         "# kind=ike_sa\ticookie\trcookie\texchange\toutcome\tauth_method\tproposal\tframes\tdeleted_in_frame",
         "#   exchange: Main|Aggressive (phase 1); outcome: established | failed:<NOTIFY from the peer> | "
         "failed:no-response; auth_method: the phase-1 SA attribute; proposal: charon's selected IKE proposal",
         "# kind=child_sa\ticookie\tspi_initiator_inbound\tspi_responder_inbound\tqm_message_id\tqm_frames\t"
         "created_in_frame\tqm_initiator\trekey_of\tpfs\tproposal\tesp_frames_to_initiator\tesp_frames_to_responder\t"
         "deleted_in_frame\tdeleted_how\tkeymat_check",
         "#   initiator = the phase-1 initiator (A); spi_initiator_inbound = the SPI A receives on (as seen by the "
         "initiator: its 'in' SPI); created_in_frame = Quick Mode message 2 (the responder's SA; the initiator "
         "installs after it, the responder after message 3); rekey_of = spi_initiator_inbound of the rekeyed "
         "CHILD_SA; pfs = yes:<group>|no; deleted_how: esp-delete (Informational Delete with its SPI) | "
         "ike-delete (only its ISAKMP SA was deleted) | none; keymat_check: Python KEYMAT == charon's keys",
         "# kind=message\tframe\texchange\texchange_type\tmessage_id\tsender\tsender_host\tencrypted\tretransmission\t"
         "fragment\ticookie\trcookie\tpayloads_logged",
         "#   exchange: Main|Aggressive|Quick|Informational|Transaction; message_id hex; sender: initiator|responder "
         "of the ISAKMP SA (IKEv1 has no flag for it: it is who sent the first message); encrypted: E flag (for "
         "fragments: of the reassembled message); fragment k/n of an ISAKMP fragment set (payload 132) or -; "
         "payloads_logged: charon's abbreviations of the whole (reassembled, decrypted) message, repeated on "
         "each fragment"]
    for sa in ike_sas.values():
        prop = (logs["A"].ike_props or logs["B"].ike_props or ["-"])[0]
        T.append("\t".join(["ike_sa", sa.icookie, sa.rcookie, sa.exchange or "-", sa.outcome,
                            P1_AUTH.get(getattr(sa, "auth", None), "-") if getattr(sa, "auth", None) else "-",
                            prop, frame_range([f.n for m in sa.msgs for f in m["frames"]]),
                            str(sa.deleted_in or "-")]))
    for ch in children:
        sa = ch["sa"]
        init_in = ch["a_in"] if sa.initiator == "A" else ch["a_out"]
        resp_in = ch["a_out"] if sa.initiator == "A" else ch["a_in"]
        old = ch["rekey_of"]
        old_in = (old["a_in"] if sa.initiator == "A" else old["a_out"]) if old else "-"
        to_init = ch["pkts"]["B>A" if sa.initiator == "A" else "A>B"]
        to_resp = ch["pkts"]["A>B" if sa.initiator == "A" else "B>A"]
        T.append("\t".join(["child_sa", sa.icookie, init_in, resp_in, f"{ch['mid']:08x}",
                            ",".join(str(m["hdr"].n) for m in ch["msgs"]), str(ch["msgs"][1]["hdr"].n),
                            "initiator" if ch["qm_initiator"] == sa.initiator else "responder", old_in,
                            f"yes:{GROUPS.get(ch['group'], ch['group'])}" if ch["pfs"] else "no", ch["prop"] or "-",
                            frame_range([f.n for f in to_init]), frame_range([f.n for f in to_resp]),
                            str(ch["end"][1]) if ch["end"][0] != "none" else "-", ch["end"][0],
                            "match" if ch["keymat_ok"] else "MISMATCH"]))
    for m in tsv_msgs:
        T.append("\t".join(x if x != "" else "-" for x in m))
    with open(os.path.join(d, "expected.tsv"), "w") as fh:
        fh.write("\n".join(T) + "\n")


# ------------------------------------------------------------------ summary
def summary(root):
    rows = ["| case | frames | ISAKMP frames / msgs | ESP pkts | CHILD_SAs | python ISAKMP | python ESP | "
            "KEYMAT = charon | SKEYID* = charon | tshark ISAKMP | tshark ESP |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for exp in sorted(glob.glob(os.path.join(root, "*/expected.txt"))):
        case = os.path.basename(os.path.dirname(exp))
        line = [l for l in open(exp) if l.startswith("# summary:")]
        if not line:
            continue
        kv = dict(re.findall(r"(\S+)=(\S+)", line[-1]))
        te = kv["tshark_esp"] + (f"; inside {kv['inside_tshark_esp']}" if "inside_tshark_esp" in kv else "")
        ti = kv["tshark_isakmp"]
        if "tshark_b_keys_na" in kv:
            ti += f" (+{kv['tshark_b_keys_na']} with B's keys: n/a)"
        if "tshark_retrans" in kv:
            ti += f"; retransmissions {kv['tshark_retrans']}"
        rows.append(f"| `{case}` | {kv['frames']} | {kv['isakmp_frames']} / {kv['isakmp_msgs']} | {kv['esp']} | "
                    f"{kv['child_sas']} | {kv['py_isakmp']} | {kv['py_esp']} | {kv['keymat']} | {kv['skeyid']} | "
                    f"{ti} | {te} |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Independent check of the AH / extra-ESP / replay fixtures: does NOT import scapy.

For every <name>.pcap + <name>.spiglass this script parses the capture itself
(classic pcap, Ethernet), walks IPv4 / IPv6 extension headers to AH (51) or
ESP (50), and then:

  AH  (RFC 4302): checks the header length, looks the SA up, builds the ICV
      input itself per RFC 4302 3.3.3.1 (IPv4: TOS, flags+offset, TTL, checksum
      zeroed; options zeroed as a whole unless immutable per Appendix A:
      EOL, NOP, 130, 133, 134, 148, 149.  IPv6: traffic class, flow label, hop
      limit zeroed; option data zeroed when the option type has the 0x20 bit;
      a type 0/2 routing header with segments left is rewritten to the form it
      will have at the final destination; AH ICV field zeroed; ESN high bits
      appended) and computes HMAC-SHA1-96 / HMAC-SHA2-256-128 / AES-CMAC-96 with
      `cryptography` and AES-XCBC-MAC-96 with its own RFC 3566 code on AES-ECB
      (checked against the RFC 3566 test vectors).  Verified AH is removed
      (transport: previous next header, lengths and IPv4 checksum fixed; tunnel:
      the inner packet) and processing continues, so IP|AH|ESP reaches ESP.
  ESP (RFC 4303): ICV + decryption with `cryptography` (AES-CBC, AES-GCM,
      AES-CCM RFC 4309, NULL-AES-GMAC RFC 4543, DES via TripleDES(k|k|k),
      Blowfish, CAST5; HMAC, AES-XCBC, AES-CMAC), padding check, transport
      rebuild.
  ESN: RFC 4303 Appendix A2.2 with a window of 64, first packet high bits 0.
  Replay: RFC 4303 3.4.3 window of 64 kept as a bitmap per SA; the `replay`
      column (if present) and replay.summary.tsv are recomputed.

    python3 verify.py            # all cases
    python3 verify.py --tshark   # also cross-check with tshark (+ <name>.esp_sa)
"""

import glob
import importlib.util
import ipaddress
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import cmac, hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES, Blowfish, CAST5
except ImportError:  # older cryptography
    TripleDES, Blowfish, CAST5 = algorithms.TripleDES, algorithms.Blowfish, algorithms.CAST5

HERE = os.path.dirname(os.path.abspath(__file__))

# The release rule (plaintext_check) is shared with the ESP fixtures' own checker.
_spec = importlib.util.spec_from_file_location("scapy_verify", os.path.join(HERE, "..", "scapy", "verify.py"))
SCAPY_VERIFY = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(SCAPY_VERIFY)
W = 64

# ----------------------------------------------------------------------------- MACs


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def aes_xcbc(key, msg):
    """RFC 3566 section 4 (AES-XCBC-MAC), full 128-bit output."""
    e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    k1, k2, k3 = (e.update(bytes([i]) * 16) for i in (1, 2, 3))
    aes = Cipher(algorithms.AES(k1), modes.ECB()).encryptor()
    blocks = [msg[i:i + 16] for i in range(0, len(msg), 16)] or [b""]
    state = bytes(16)
    for blk in blocks[:-1]:
        state = aes.update(xor(blk, state))
    last = blocks[-1]
    if len(last) == 16:
        last = xor(last, k2)
    else:
        last = xor(last + b"\x80" + bytes(15 - len(last)), k3)
    return aes.update(xor(last, state))


for _m, _t in ((b"", "75f0251d528ac01c4573dfd584d79f29"), (bytes(range(3)), "5b376580ae2f19afe7219ceef172756f"),
               (bytes(range(16)), "d2a246fa349b68a79998a4394ff7a263"),
               (bytes(range(20)), "47f51b4564966215b8985c63055ed308"),
               (bytes(range(32)), "f54f0ec8d2b9f3d36807734bd5283fd4")):
    assert aes_xcbc(bytes(range(16)), _m).hex() == _t  # RFC 3566 4.6


AUTH = {"null": (None, 0), "hmac-md5-96": ("md5", 12), "hmac-sha1-96": ("sha1", 12),
        "hmac-sha2-256-128": ("sha256", 16), "hmac-sha2-384-192": ("sha384", 24),
        "hmac-sha2-512-256": ("sha512", 32), "aes-xcbc-96": ("xcbc", 12), "aes-cmac-96": ("cmac", 12),
        # RFC 4543 AUTH_AES_GMAC (AH only): the ICV field is IV (8) + tag (16)
        "aes-gmac-128": ("gmac", 24), "aes-gmac-192": ("gmac", 24), "aes-gmac-256": ("gmac", 24)}
HASH = {"md5": hashes.MD5, "sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
        "sha512": hashes.SHA512}


def mac(auth, key, data):
    kind, n = AUTH[auth]
    if kind == "xcbc":
        return aes_xcbc(key, data)[:n]
    if kind == "cmac":
        c = cmac.CMAC(algorithms.AES(key))
        c.update(data)
        return c.finalize()[:n]
    h = hmac.HMAC(key, HASH[kind]())
    h.update(data)
    return h.finalize()[:n]


# ----------------------------------------------------------------------------- capture + keys


def read_pcap(path):
    data = open(path, "rb").read()
    assert data[:4] == b"\xd4\xc3\xb2\xa1", path
    assert struct.unpack("<I", data[20:24])[0] == 1, "expected Ethernet"
    out, off = [], 24
    while off + 16 <= len(data):
        caplen = struct.unpack("<I", data[off + 8:off + 12])[0]
        out.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return out


# name: (iv length, block/alignment, aead icv, salt length)
ENC = {"null": (0, 4, 0, 0), "aes-cbc": (16, 16, 0, 0), "aes-gcm-16": (8, 4, 16, 4),
       "aes-ccm-8": (8, 4, 8, 3), "aes-ccm-12": (8, 4, 12, 3), "aes-ccm-16": (8, 4, 16, 3),
       "aes-gmac": (8, 4, 16, 4), "des-cbc": (8, 8, 0, 0), "blowfish-cbc": (8, 8, 0, 0),
       "cast5-cbc": (8, 8, 0, 0)}


def read_keys(path):
    sas = []
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        assert words[0] in ("esp", "ah"), line
        kv = dict(w.split("=", 1) for w in words[1:])
        sas.append({
            "proto": words[0], "spi": int(kv["spi"], 16), "src": kv["src"], "dst": kv["dst"],
            "enc": kv.get("enc"), "enc_key": bytes.fromhex(kv.get("enc-key", "0x")[2:]),
            "auth": kv.get("auth", "null"), "auth_key": bytes.fromhex(kv.get("auth-key", "0x")[2:]),
            "esn": kv.get("esn") == "yes", "top": None, "bitmap": 0,
            "stats": {"received": 0, "duplicates": 0, "too_old": 0, "late": 0, "max_reorder": 0,
                      "first": None, "seen": set()},
        })
    return sas


# ----------------------------------------------------------------------------- IP helpers


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def addr(b):
    return str(ipaddress.ip_address(bytes(b)))


def locate(l3):
    """Find the first AH/ESP header.  Returns dict or None (not IPsec)."""
    if l3[0] >> 4 == 4:
        ihl = (l3[0] & 15) * 4
        l3 = l3[:struct.unpack("!H", l3[2:4])[0]]
        return {"v": 4, "l3": l3, "proto": l3[9], "off": ihl, "nh_off": 9,
                "src": addr(l3[12:16]), "dst": addr(l3[16:20])}
    l3 = l3[:40 + struct.unpack("!H", l3[4:6])[0]]
    nh, off, nh_off = l3[6], 40, 6
    final_dst = l3[24:40]
    while nh in (0, 43, 60):
        if nh == 43 and l3[off + 3] > 0:   # segments left: the SA is the final destination's
            n = l3[off + 1] // 2
            final_dst = l3[off + 8 + 16 * (n - 1):off + 8 + 16 * n]
        nh_off, nh = off, l3[off]
        off += (l3[off + 1] + 1) * 8
    return {"v": 6, "l3": l3, "proto": nh, "off": off, "nh_off": nh_off,
            "src": addr(l3[8:24]), "dst": addr(final_dst)}


def find_sa(sas, proto, spi, info):
    for s in sas:
        if s["proto"] == proto and s["spi"] == spi and s["src"] == info["src"] and s["dst"] == info["dst"]:
            return s
    return None


def rebuild(info, nh, payload):
    """Transport mode: header before the IPsec header with the next header replaced."""
    prefix = bytearray(info["l3"][:info["off"]])
    prefix[info["nh_off"]] = nh
    if info["v"] == 4:
        prefix[2:4] = struct.pack("!H", len(prefix) + len(payload))
        prefix[10:12] = b"\0\0"
        prefix[10:12] = struct.pack("!H", csum(bytes(prefix)))
    else:
        prefix[4:6] = struct.pack("!H", len(prefix) - 40 + len(payload))
    return bytes(prefix) + payload


# ----------------------------------------------------------------------------- sequence numbers


def infer_hi(sa, low):
    if not sa["esn"] or sa["top"] is None:
        return 0
    th, tl = sa["top"] >> 32, sa["top"] & 0xFFFFFFFF
    if tl >= W - 1:
        return th if low >= tl - W + 1 else th + 1
    return th - 1 if low >= ((tl - W + 1) & 0xFFFFFFFF) else th


def replay_check(sa, seq):
    """RFC 4303 3.4.3 / Appendix A bitmap window; called after the ICV is good."""
    st = sa["stats"]
    st["received"] += 1
    if st["first"] is None:
        st["first"] = seq
    top = sa["top"]
    if top is None or seq > top:
        shift = seq - top if top is not None else 0
        sa["bitmap"] = ((sa["bitmap"] << shift) | 1) & ((1 << W) - 1) if top is not None else 1
        sa["top"] = seq
        st["seen"].add(seq)
        return "ok"
    diff = top - seq
    if diff >= W:
        st["too_old"] += 1
        return "too-old"
    if sa["bitmap"] >> diff & 1:
        st["duplicates"] += 1
        return "duplicate"
    sa["bitmap"] |= 1 << diff
    st["late"] += 1
    st["max_reorder"] = max(st["max_reorder"], diff)
    st["seen"].add(seq)
    return "late"


# ----------------------------------------------------------------------------- AH

IMMUTABLE_V4_OPTS = (0, 1, 130, 133, 134, 148, 149)  # RFC 4302 Appendix A.1


def ah_icv_input(info, ah_len, icv_len):
    """The packet as it enters the ICV computation (RFC 4302 3.3.3.1)."""
    b = bytearray(info["l3"])
    a = info["off"]
    if info["v"] == 4:
        b[1] = 0                 # DSCP/ECN
        b[6:8] = b"\0\0"         # flags + fragment offset
        b[8] = 0                 # TTL
        b[10:12] = b"\0\0"       # checksum
        off, ihl = 20, (b[0] & 15) * 4
        while off < ihl:
            t = b[off]
            if t == 0:           # EOL: the rest of the option area is left as is
                break
            if t == 1:
                off += 1
                continue
            ln = b[off + 1]
            if t not in IMMUTABLE_V4_OPTS:
                b[off:off + ln] = bytes(ln)   # the whole option, type and length too
            off += ln
    else:
        b[0] &= 0xF0             # traffic class + flow label
        b[1:4] = b"\0\0\0"
        b[7] = 0                 # hop limit
        nh, off = b[6], 40
        while off < a:
            hl = (b[off + 1] + 1) * 8
            if nh in (0, 60):
                o = off + 2
                while o < off + hl:
                    if b[o] == 0:
                        o += 1
                        continue
                    t, ln = b[o], b[o + 1]
                    if t & 0x20:
                        b[o + 2:o + 2 + ln] = bytes(ln)
                    o += 2 + ln
            elif nh == 43 and b[off + 2] in (0, 2) and b[off + 3] > 0:
                # as it will be at the final destination: dst = last address, the
                # current dst goes to its slot, segments left = 0
                n, sl = b[off + 1] // 2, b[off + 3]
                addrs = [bytes(b[off + 8 + 16 * i:off + 24 + 16 * i]) for i in range(n)]
                done = n - sl
                final = addrs[-1]
                new = addrs[:done] + [bytes(b[24:40])] + addrs[done:-1]
                b[24:40] = final
                for i, x in enumerate(new):
                    b[off + 8 + 16 * i:off + 24 + 16 * i] = x
                b[off + 3] = 0
            nh = b[off]
            off += hl
    b[a + 12:a + 12 + icv_len] = bytes(icv_len)   # ICV zeroed (padding after it is kept)
    return bytes(b)


def process(info, sas):
    """Return (verdict, spi, seq, inner, replay)."""
    l3, a = info["l3"], info["off"]
    if info["proto"] == 51:
        ah = l3[a:]
        if len(ah) < 12:
            return ("malformed", None, None, None, None)
        nh, plen = ah[0], ah[1]
        spi, low = struct.unpack("!II", ah[4:12])
        sa = find_sa(sas, "ah", spi, info)
        if sa is None:
            return ("no-sa", spi, low, None, None)
        icv_len = AUTH[sa["auth"]][1]
        ah_len = (plen + 2) * 4
        if ah_len > len(ah) or ah_len < 12 + icv_len:
            return ("malformed", spi, low, None, None)
        hi = infer_hi(sa, low)
        seq = (hi << 32) | low
        data = ah_icv_input(info, ah_len, icv_len)
        if sa["esn"]:
            data += struct.pack("!I", hi)
        if AUTH[sa["auth"]][0] == "gmac":
            # RFC 4543 5 and 7: the AH carries the IV (8 bytes) and then the ICV, which is the
            # 16-byte tag alone; nonce = salt || IV; AAD = the canonical packet with only the
            # tag zeroed (the IV as sent, and the RFC 4302 padding as sent), then the ESN high
            # bits; empty plaintext.
            key, salt = sa["auth_key"][:-4], sa["auth_key"][-4:]
            data = bytearray(ah_icv_input(info, ah_len, icv_len))
            data[a + 12:a + 20] = ah[12:20]
            if sa["esn"]:
                data += struct.pack("!I", hi)
            try:
                AESGCM(key).decrypt(salt + ah[12:20], ah[20:36], bytes(data))
            except InvalidTag:
                return ("ah-icv-failed", spi, seq, None, None)
        elif mac(sa["auth"], sa["auth_key"], data) != ah[12:12 + icv_len]:
            return ("ah-icv-failed", spi, seq, None, None)
        rp = replay_check(sa, seq)
        payload = ah[ah_len:]
        inner = payload if nh in (4, 41) else rebuild(info, nh, payload)
        if nh == 50:   # AH outside ESP: carry on with the ESP packet
            return process(locate(inner), sas)
        return ("ah-verified", spi, seq, inner, rp)
    if info["proto"] != 50:
        return ("not-esp", None, None, None, None)
    esp = l3[a:]
    if len(esp) < 8:
        return ("malformed", None, None, None, None)
    spi, low = struct.unpack("!II", esp[:8])
    sa = find_sa(sas, "esp", spi, info)
    if sa is None:
        return ("no-sa", spi, low, None, None)
    ivl, blk, aead_icv, saltl = ENC[sa["enc"]]
    icvl = aead_icv or AUTH[sa["auth"]][1]
    ctl = len(esp) - 8 - ivl - icvl
    if ctl < 2 or ctl % blk:
        return ("malformed", spi, low, None, None)
    hi = infer_hi(sa, low)
    seq = (hi << 32) | low
    iv, ct, icv = esp[8:8 + ivl], esp[8 + ivl:8 + ivl + ctl], esp[8 + ivl + ctl:]
    if AUTH[sa["auth"]][0]:
        if mac(sa["auth"], sa["auth_key"], esp[:-icvl] + (struct.pack("!I", hi) if sa["esn"] else b"")) != icv:
            return ("icv-failed", spi, seq, None, None)
    aad = esp[:4] + (struct.pack("!I", hi) if sa["esn"] else b"") + esp[4:8]
    e, key = sa["enc"], sa["enc_key"]
    k, salt = (key[:-saltl], key[-saltl:]) if saltl else (key, b"")
    try:
        if e == "null":
            pt = ct
        elif e.endswith("-cbc"):
            alg = {"aes-cbc": algorithms.AES, "des-cbc": lambda x: TripleDES(x * 3),
                   "blowfish-cbc": Blowfish, "cast5-cbc": CAST5}[e](k)
            d = Cipher(alg, modes.CBC(iv)).decryptor()
            pt = d.update(ct) + d.finalize()
        elif e.startswith("aes-gcm"):
            d = Cipher(algorithms.AES(k), modes.GCM(salt + iv, icv, min_tag_length=icvl)).decryptor()
            d.authenticate_additional_data(aad)
            pt = d.update(ct) + d.finalize()
        elif e.startswith("aes-ccm"):
            pt = AESCCM(k, tag_length=icvl).decrypt(salt + iv, ct + icv, aad)   # RFC 4309: 11-byte nonce
        elif e == "aes-gmac":
            # RFC 4543 3.5: nothing encrypted; AAD = SPI, (seq_hi,) seq, IV, payload+padding+trailer
            d = Cipher(algorithms.AES(k), modes.GCM(salt + iv, icv)).decryptor()
            d.authenticate_additional_data(aad + iv + ct)
            d.finalize()
            pt = ct
        else:
            raise ValueError(e)
    except InvalidTag:
        return ("icv-failed", spi, seq, None, None)
    rp = replay_check(sa, seq)
    padlen, nh = pt[-2], pt[-1]
    if padlen > len(pt) - 2:
        return ("garbled", spi, seq, None, rp)
    default_padding = pt[len(pt) - 2 - padlen:-2] == bytes(range(1, padlen + 1))
    payload = pt[:len(pt) - 2 - padlen]
    # The release rule, as ../scapy/verify.py writes it.
    l3 = info["l3"]
    addresses = (bytes(l3[12:16]), bytes(l3[16:20])) if info["v"] == 4 else (bytes(l3[8:24]), bytes(ipaddress.IPv6Address(info["dst"]).packed))
    judged = SCAPY_VERIFY.plaintext_check(payload, nh, None if nh in (4, 41) else addresses + (False,))
    if judged == "garbled" or (judged == "weak" and not (default_padding and padlen > 0)):
        return ("garbled", spi, seq, None, rp)
    if nh in (4, 41):
        return ("decrypted", spi, seq, payload, rp)
    return ("decrypted", spi, seq, rebuild(info, nh, payload), rp)


def analyse(capture, keyfile):
    sas = read_keys(keyfile)
    rows = []
    for n, f in enumerate(read_pcap(capture), 1):
        et = struct.unpack("!H", f[12:14])[0]
        if et not in (0x0800, 0x86DD):
            rows.append((n, "not-esp", None, None, None, None))
            continue
        v, spi, seq, inner, rp = process(locate(f[14:]), sas)
        rows.append((n, v, spi, seq, inner, rp))
    return rows, sas


def fmt(row, with_replay):
    n, v, spi, seq, inner, rp = row
    s = "%d\t%s\t%s\t%s\t%s" % (n, v, "0x%08x" % spi if spi is not None else "-",
                                seq if seq is not None else "-", inner.hex() if inner is not None else "-")
    return s + ("\t%s" % (rp or "-") if with_replay else "")


def summary(sas):
    out = ["spi\treceived\tduplicates\ttoo_old\tlate\tlost\tmax_reorder_depth"]
    for sa in sas:
        st = sa["stats"]
        if not st["received"]:
            continue
        lost = sum(1 for s in range(st["first"], sa["top"] + 1) if s not in st["seen"])
        out.append("0x%08x\t%d\t%d\t%d\t%d\t%d\t%d" % (sa["spi"], st["received"], st["duplicates"],
                                                       st["too_old"], st["late"], lost, st["max_reorder"]))
    return out

# ----------------------------------------------------------------------------- tshark

PROTO_NAME = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6", 4: "ip", 41: "ipv6", 50: "esp"}


def tshark_check(capture, esp_sa, expected, keyfile):
    """AH: tshark only dissects (SPI, sequence, next protocol).  ESP: decryption
    (and ICV check where Wireshark 4.0 knows the integrity algorithm)."""
    sas = read_keys(keyfile)
    ws_spis = set()
    no_check = set()
    if esp_sa:
        for line in open(esp_sa):
            f = [x.strip('"') for x in line.strip().split('","')]
            ws_spis.add(int(f[3], 16))
            if "no checking" in f[6] or (f[6] == "NULL" and "GCM" not in f[4]):
                no_check.add(int(f[3], 16))
    h = tempfile.mkdtemp()
    try:
        os.makedirs(os.path.join(h, ".config", "wireshark"))
        if esp_sa:
            shutil.copy(esp_sa, os.path.join(h, ".config", "wireshark", "esp_sa"))
        with open(os.path.join(h, ".config", "wireshark", "preferences"), "w") as p:
            p.write("esp.enable_encryption_decode: TRUE\nesp.enable_authentication_check: TRUE\n")
        fields = ["frame.number", "frame.protocols", "ah.spi", "ah.sequence", "ah.next_header", "ah.icv",
                  "esp.spi", "esp.sequence", "esp.icv_good", "esp.icv_bad", "esp.protocol",
                  "esp.contained_data", "_ws.malformed", "_ws.expert.message"]
        cmd = ["tshark", "-n", "-r", capture, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
        for fl in fields:
            cmd += ["-e", fl]
        res = subprocess.run(cmd, env=dict(os.environ, HOME=h), capture_output=True, text=True)
        if "Error loading table" in res.stderr:
            return ["tshark rejected the esp_sa: " + res.stderr.strip()], {}
    finally:
        shutil.rmtree(h)
    lines = res.stdout.strip("\n").split("\n")
    if len(lines) != len(expected):
        return ["tshark sees %d frames, expected %d" % (len(lines), len(expected))], {}
    frames = read_pcap(capture)
    problems, counts = [], {"ah-checked": 0, "esp-decrypt-checked": 0, "esp-icv-checked": 0, "skipped": 0}

    def num(x):
        return int(x, 16) if x.startswith("0x") else int(x)

    for line, exp, frame in zip(lines, expected, frames):
        t = dict(zip(fields, line.split("\t")))
        cols = exp.split("\t")
        n, verdict, spi, seq, inner = cols[:5]
        protos = t["frame.protocols"].split(":")
        info = locate(frame[14:])
        ok = True
        if info["proto"] == 51:
            ah = info["l3"][info["off"]:]
            counts["ah-checked"] += 1
            if len(ah) >= 12:
                ok = "ah" in protos and num(t["ah.spi"]) == struct.unpack("!I", ah[4:8])[0] \
                    and int(t["ah.sequence"]) == struct.unpack("!I", ah[8:12])[0] \
                    and int(t["ah.next_header"], 0) == ah[0]
            else:
                ok = "ah" in protos
            if verdict == "ah-verified":
                exp_inner = bytes.fromhex(inner)
                if ah[0] in (4, 41):
                    nxt = "ip" if ah[0] == 4 else "ipv6"
                else:
                    nxt = PROTO_NAME[ah[0]]
                i = protos.index("ah")
                ok = ok and protos[i + 1] == nxt
                # the payload after AH is what expected.tsv says follows the header
                ok = ok and exp_inner.endswith(ah[(ah[1] + 2) * 4:])
        if verdict in ("decrypted", "icv-failed", "garbled") or (verdict == "no-sa" and info["proto"] == 50) \
                or (verdict == "no-sa" and ah_is_bundle(info)):
            s = int(spi, 16)
            if s not in ws_spis:
                counts["skipped"] += 1
            else:
                ok = ok and "esp" in protos and num(t["esp.spi"]) == s and int(t["esp.sequence"]) == int(seq)
                if verdict == "decrypted":
                    body = bytes.fromhex(t["esp.contained_data"].replace(":", ""))
                    exp_inner = bytes.fromhex(inner)
                    proto = int(t["esp.protocol"], 0) if t["esp.protocol"] else -1
                    if proto not in (4, 41):   # transport: Wireshark shows the payload only
                        ok = ok and len(body) > 0 and exp_inner.endswith(body)
                    else:
                        ok = ok and body == exp_inner
                    counts["esp-decrypt-checked"] += 1
                    if s not in no_check:
                        ok = ok and t["esp.icv_good"] in ("1", "True")
                        counts["esp-icv-checked"] += 1
        if not ok:
            problems.append("frame %s (%s): tshark says %r" % (n, verdict, t))
    return problems, counts


def ah_is_bundle(info):
    return info["proto"] == 51 and info["l3"][info["off"]] == 50


def main():
    use_tshark = "--tshark" in sys.argv
    bad = 0
    for exp in sorted(glob.glob(os.path.join(HERE, "*.expected.tsv"))):
        name = os.path.basename(exp)[:-len(".expected.tsv")]
        lines = open(exp).read().strip("\n").split("\n")
        header, expected = lines[0], lines[1:]
        with_replay = header.endswith("\treplay")
        assert header == "frame\tverdict\tspi\tseq\tinner_hex" + ("\treplay" if with_replay else "")
        cap = os.path.join(HERE, name + ".pcap")
        rows, sas = analyse(cap, os.path.join(HERE, name + ".spiglass"))
        got = [fmt(r, with_replay) for r in rows]
        diffs = [(e, g) for e, g in zip(expected, got) if e != g]
        if len(got) != len(expected):
            diffs.append(("%d rows" % len(expected), "%d frames" % len(got)))
        verdicts = {}
        for row in expected:
            v = row.split("\t")[1]
            verdicts[v] = verdicts.get(v, 0) + 1
        print("%-24s %-8s %3d frames %s" % (name + ".pcap", "OK" if not diffs else "MISMATCH", len(got),
                                           " ".join("%s=%d" % kv for kv in sorted(verdicts.items()))))
        for e, g in diffs:
            bad += 1
            print("   expected:", e[:200])
            print("   got     :", g[:200])
        sfile = os.path.join(HERE, name + ".summary.tsv")
        if os.path.exists(sfile):
            want = open(sfile).read().strip("\n").split("\n")
            have = summary(sas)
            print("%-24s %-8s %s" % (name + ".summary.tsv", "OK" if want == have else "MISMATCH",
                                      "; ".join(have[1:])))
            if want != have:
                bad += 1
                print("   expected:", want)
                print("   got     :", have)
        if use_tshark:
            esp_sa = os.path.join(HERE, name + ".esp_sa")
            problems, counts = tshark_check(cap, esp_sa if os.path.exists(esp_sa) else None, expected,
                                            os.path.join(HERE, name + ".spiglass"))
            print("%-24s tshark   %s  %s" % ("", "OK" if not problems else "PROBLEMS",
                                            " ".join("%s=%d" % kv for kv in counts.items() if kv[1])))
            for p in problems:
                bad += 1
                print("   ", p[:500])
    print("all OK" if not bad else "%d problems" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

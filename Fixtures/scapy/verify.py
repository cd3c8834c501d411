#!/usr/bin/env python3
"""Independent check of the Scapy fixtures: does NOT import scapy.

For every case (<name>.pcap / .pcapng + <name>.spiglass) this script parses the
capture itself (pcap and pcapng; Ethernet/802.1Q/802.1ad, SLL, SLL2, raw IP,
BSD loopback), reassembles IPv4/IPv6 fragments, finds ESP (IP protocol 50 or
UDP port 4500 per RFC 3948), looks the SA up in the native key file, checks the
ICV and decrypts with the `cryptography` package directly, applies the release
rule (pad length within the payload, the payload being the packet its next header
names, default padding where that check is weak: plaintext_check), infers ESN high bits (RFC 4303 Appendix A, window 64; the first packet
of an SA is taken to have high bits 0), rebuilds transport-mode packets, and
compares every row with <name>.expected.tsv.

    python3 verify.py            # all cases in this directory
    python3 verify.py --tshark   # additionally cross-check with tshark + <name>.esp_sa

Exit status is non-zero on any mismatch.
"""

import glob
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

try:
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # older cryptography
    TripleDES = algorithms.TripleDES

HERE = os.path.dirname(os.path.abspath(__file__))

# ----------------------------------------------------------------------------- capture files


def read_capture(path):
    """Return a list of (linktype, frame bytes)."""
    data = open(path, "rb").read()
    magic = data[:4]
    out = []
    if magic == b"\x0a\x0d\x0d\x0a":
        off = 0
        ifaces = []
        endian = "<"
        while off < len(data):
            btype_raw = data[off:off + 4]
            if btype_raw == b"\x0a\x0d\x0d\x0a":
                bom = data[off + 8:off + 12]
                endian = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
                ifaces = []
            btype, blen = struct.unpack(endian + "II", data[off:off + 8])
            body = data[off + 8:off + blen - 4]
            if btype == 1:
                ifaces.append(struct.unpack(endian + "H", body[:2])[0])
            elif btype == 6:
                iface, _, _, caplen, _ = struct.unpack(endian + "IIIII", body[:20])
                out.append((ifaces[iface], body[20:20 + caplen]))
            elif btype == 3:
                origlen = struct.unpack(endian + "I", body[:4])[0]
                out.append((ifaces[0], body[4:4 + origlen]))
            off += blen
        return out
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise ValueError("not a capture: " + path)
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(e + "IIII", data[off:off + 16])
        out.append((linktype, data[off + 16:off + 16 + caplen]))
        off += 16 + caplen
    return out


def strip_link(linktype, f):
    """Return the layer-3 packet (IPv4/IPv6) or None."""
    if linktype == 1:
        et = struct.unpack("!H", f[12:14])[0]
        off = 14
        while et in (0x8100, 0x88A8, 0x9100):
            et = struct.unpack("!H", f[off + 2:off + 4])[0]
            off += 4
        return f[off:] if et in (0x0800, 0x86DD) else None
    if linktype == 113:
        et = struct.unpack("!H", f[14:16])[0]
        return f[16:] if et in (0x0800, 0x86DD) else None
    if linktype == 276:
        et = struct.unpack("!H", f[0:2])[0]
        return f[20:] if et in (0x0800, 0x86DD) else None
    if linktype in (101, 12, 14):
        return f
    if linktype in (0, 108):
        le = struct.unpack("<I", f[:4])[0]
        be = struct.unpack(">I", f[:4])[0]
        fam = be if linktype == 108 else (le if le < 256 else be)
        if fam in (2, 24, 28, 30, 10):
            return f[4:]
        return None
    raise ValueError("unsupported linktype %d" % linktype)

# ----------------------------------------------------------------------------- keys


ENC = {  # name: (iv length, block size, key length incl salt is free, aead icv)
    "null": (0, 4, 0), "aes-cbc": (16, 16, 0), "3des-cbc": (8, 8, 0), "aes-ctr": (8, 4, 0),
    "aes-gcm-16": (8, 4, 16), "aes-gcm-12": (8, 4, 12), "aes-gcm-8": (8, 4, 8),
    "chacha20-poly1305": (8, 4, 16),
}
AUTH = {"null": (None, 0), "hmac-md5-96": (hashes.MD5, 12), "hmac-sha1-96": (hashes.SHA1, 12),
        "hmac-sha2-256-128": (hashes.SHA256, 16), "hmac-sha2-384-192": (hashes.SHA384, 24),
        "hmac-sha2-512-256": (hashes.SHA512, 32)}


def read_keys(path):
    sas = []
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        assert words[0] == "esp", line
        kv = dict(w.split("=", 1) for w in words[1:])
        sa = {
            "spi": int(kv["spi"], 16), "src": kv.get("src"), "dst": kv.get("dst"),
            "enc": kv["enc"], "enc_key": bytes.fromhex(kv.get("enc-key", "0x")[2:]),
            "auth": kv.get("auth", "null"), "auth_key": bytes.fromhex(kv.get("auth-key", "0x")[2:]),
            "esn": kv.get("esn") == "yes", "state": None,
        }
        sas.append(sa)
    return sas

# ----------------------------------------------------------------------------- IP


def ip4_str(b):
    return ".".join(str(x) for x in b)


def ip6_str(b):
    import ipaddress
    return str(ipaddress.IPv6Address(b))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Reassembler:
    def __init__(self):
        self.bufs = {}

    def add(self, key, offset, more, data, header):
        """header: unfragmentable part to use when complete (from the offset-0 fragment)."""
        b = self.bufs.setdefault(key, {"parts": {}, "total": None, "header": None})
        b["parts"][offset] = data
        if not more:
            b["total"] = offset + len(data)
        if offset == 0:
            b["header"] = header
        if b["total"] is None or b["header"] is None:
            return None
        got = bytearray()
        for off in sorted(b["parts"]):
            if off > len(got):
                return None
            got[off:off + len(b["parts"][off])] = b["parts"][off]
        if len(got) < b["total"]:
            return None
        del self.bufs[key]
        return b["header"], bytes(got[:b["total"]])


def parse_ip(l3, reasm):
    """Return ('fragment',) / ('not-esp',) / ('esp'|'keepalive'|'ike', info dict)."""
    v = l3[0] >> 4
    if v == 4:
        ihl = (l3[0] & 15) * 4
        tot = struct.unpack("!H", l3[2:4])[0]
        l3 = l3[:tot]
        flags_off = struct.unpack("!H", l3[6:8])[0]
        mf, off = bool(flags_off & 0x2000), (flags_off & 0x1FFF) * 8
        proto = l3[9]
        if mf or off:
            key = (4, l3[12:20], l3[4:6], proto)
            r = reasm.add(key, off, mf, l3[ihl:], l3[:ihl])
            if r is None:
                return ("fragment",)
            hdr, payload = r
            hdr = bytearray(hdr)
            hdr[2:4] = struct.pack("!H", len(hdr) + len(payload))
            hdr[6:8] = struct.pack("!H", struct.unpack("!H", hdr[6:8])[0] & 0x4000)
            hdr[10:12] = b"\0\0"
            hdr[10:12] = struct.pack("!H", csum(bytes(hdr)))
            return parse_ip(bytes(hdr) + payload, reasm)
        info = {"v": 4, "l3": l3, "src": ip4_str(l3[12:16]), "dst": ip4_str(l3[16:20]),
                "src_b": bytes(l3[12:16]), "dst_b": bytes(l3[16:20]), "prefix_len": ihl, "nh_off": 9}
        return locate_esp(info, proto, ihl)
    if v == 6:
        plen = struct.unpack("!H", l3[4:6])[0]
        l3 = l3[:40 + plen]
        nh, off, nh_off = l3[6], 40, 6
        while nh in (0, 43, 60, 44):
            if nh == 44:
                fo = struct.unpack("!H", l3[off + 2:off + 4])[0]
                ident = l3[off + 4:off + 8]
                key = (6, l3[8:40], ident)
                unfrag = bytearray(l3[:off])
                unfrag[nh_off] = l3[off]  # next header of the fragmentable part
                r = reasm.add(key, fo & 0xFFF8, bool(fo & 1), l3[off + 8:], bytes(unfrag))
                if r is None:
                    return ("fragment",)
                hdr, payload = r
                hdr = bytearray(hdr)
                hdr[4:6] = struct.pack("!H", len(hdr) - 40 + len(payload))
                return parse_ip(bytes(hdr) + payload, reasm)
            nh_off = off
            nh = l3[off]
            off += (l3[off + 1] + 1) * 8
        info = {"v": 6, "l3": l3, "src": ip6_str(l3[8:24]), "dst": ip6_str(l3[24:40]),
                "src_b": bytes(l3[8:24]), "dst_b": bytes(l3[24:40]), "prefix_len": off, "nh_off": nh_off}
        return locate_esp(info, nh, off)
    return ("not-esp",)


def locate_esp(info, proto, off):
    l3 = info["l3"]
    if proto == 50:
        info["esp"] = l3[off:]
        return ("esp", info)
    if proto == 17:
        sport, dport = struct.unpack("!HH", l3[off:off + 4])
        if 4500 in (sport, dport):
            pl = l3[off + 8:]
            if pl == b"\xff":
                return ("keepalive", info)
            if pl[:4] == b"\0\0\0\0":
                return ("ike", info)
            info["esp"] = pl
            info["udp"] = True
            return ("esp", info)
    return ("not-esp",)

# ----------------------------------------------------------------------------- ESP


W = 64


def infer_hi(sa, low):
    st = sa["state"]
    if st is None:
        return 0
    th, tl = st >> 32, st & 0xFFFFFFFF
    if tl >= W - 1:
        return th if low >= tl - W + 1 else th + 1
    return th - 1 if low >= ((tl - W + 1) & 0xFFFFFFFF) else th


def esp_process(info, sas):
    """Return (verdict, spi, seq, inner)."""
    esp = info["esp"]
    if len(esp) < 8:
        return ("malformed", None, None, None)
    spi, low = struct.unpack("!II", esp[:8])
    cands = [s for s in sas if s["spi"] == spi and (s["src"] in (None, info["src"]))
             and (s["dst"] in (None, info["dst"]))]
    if not cands:
        return ("no-sa", spi, low, None)
    sa = cands[0]
    ivl, blk, aead_icv = ENC[sa["enc"]]
    hfun, hicv = AUTH[sa["auth"]]
    icvl = aead_icv or hicv
    ctl = len(esp) - 8 - ivl - icvl
    if ctl < 2 or ctl % blk:
        return ("malformed", spi, low, None)
    seq = low
    hi = 0
    if sa["esn"]:
        hi = infer_hi(sa, low)
        seq = (hi << 32) | low
    iv = esp[8:8 + ivl]
    ct = esp[8 + ivl:8 + ivl + ctl]
    icv = esp[8 + ivl + ctl:]
    key = sa["enc_key"]
    # integrity
    if hfun:
        h = hmac.HMAC(sa["auth_key"], hfun())
        h.update(esp[:len(esp) - icvl])
        if sa["esn"]:
            h.update(struct.pack("!I", hi))
        if h.finalize()[:icvl] != icv:
            return ("icv-failed", spi, seq, None)
    aad = esp[:4] + (struct.pack("!I", hi) if sa["esn"] else b"") + esp[4:8]
    e = sa["enc"]
    try:
        if e == "null":
            pt = ct
        elif e == "aes-cbc":
            d = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
            pt = d.update(ct) + d.finalize()
        elif e == "3des-cbc":
            d = Cipher(TripleDES(key), modes.CBC(iv)).decryptor()
            pt = d.update(ct) + d.finalize()
        elif e == "aes-ctr":
            d = Cipher(algorithms.AES(key[:-4]), modes.CTR(key[-4:] + iv + b"\0\0\0\1")).decryptor()
            pt = d.update(ct) + d.finalize()
        elif e.startswith("aes-gcm"):
            d = Cipher(algorithms.AES(key[:-4]), modes.GCM(key[-4:] + iv, icv, min_tag_length=icvl)).decryptor()
            d.authenticate_additional_data(aad)
            pt = d.update(ct) + d.finalize()
        elif e == "chacha20-poly1305":
            pt = ChaCha20Poly1305(key[:32]).decrypt(key[32:] + iv, ct + icv, aad)
        else:
            raise ValueError(e)
    except InvalidTag:
        return ("icv-failed", spi, seq, None)
    # the packet is authentic: advance the ESN state
    if sa["state"] is None or seq > sa["state"]:
        sa["state"] = seq
    padlen, nh = pt[-2], pt[-1]
    if padlen > len(pt) - 2:
        return ("garbled", spi, seq, None)
    default_padding = pt[len(pt) - 2 - padlen:-2] == bytes(range(1, padlen + 1))
    payload = pt[:len(pt) - 2 - padlen]
    if nh == 59:
        return ("dummy", spi, seq, None)
    # The release rule: the payload must be the packet the next header names; where that
    # check is weak, default padding of at least one byte must back it.
    judged = plaintext_check(payload, nh, None if nh in (4, 41) else (info["src_b"], info["dst_b"], info.get("udp", False)))
    if judged == "garbled" or (judged == "weak" and not (default_padding and padlen > 0)):
        return ("garbled", spi, seq, None)
    if nh in (4, 41):
        return ("decrypted", spi, seq, payload)
    # transport: rebuild
    prefix = bytearray(info["l3"][:info["prefix_len"]])
    prefix[info["nh_off"]] = nh
    if info["v"] == 4:
        prefix[2:4] = struct.pack("!H", len(prefix) + len(payload))
        prefix[10:12] = b"\0\0"
        prefix[10:12] = struct.pack("!H", csum(bytes(prefix)))
    else:
        prefix[4:6] = struct.pack("!H", len(prefix) - 40 + len(payload))
    return ("decrypted", spi, seq, bytes(prefix) + payload)


def transport_ok(seg, proto, src, dst, nat):
    """'ok', 'weak' or 'garbled' for a TCP/UDP/ICMP/ICMPv6 segment between two addresses."""
    if proto == 17:
        if len(seg) < 8:
            return "garbled"
        ulen = struct.unpack("!H", seg[4:6])[0]
        if ulen < 8 or ulen > len(seg):
            return "garbled"
        seg = seg[:ulen]
        if seg[6:8] == b"\0\0" and len(src) == 4:
            return "ok"
    elif proto == 6:
        if len(seg) < 20 or (seg[12] >> 4) * 4 < 20 or (seg[12] >> 4) * 4 > len(seg):
            return "garbled"
    elif proto == 1:
        if len(seg) < 8:
            return "garbled"
        return "ok" if csum(bytes(seg)) == 0 else "weak"
    elif proto == 58:
        if len(seg) < 8:
            return "garbled"
    pseudo = src + dst + (struct.pack("!BBH", 0, proto, len(seg)) if len(src) == 4 else struct.pack("!IxxxB", len(seg), proto))
    return "ok" if csum(pseudo + bytes(seg)) == 0 else "weak"


def plaintext_check(payload, nh, transport):
    """Spiglass' release rule, written again: 'ok', 'weak' (needs default padding) or 'garbled'."""
    if nh == 4:
        if len(payload) < 20 or payload[0] >> 4 != 4:
            return "garbled"
        ihl, total = (payload[0] & 15) * 4, struct.unpack("!H", payload[2:4])[0]
        if ihl < 20 or total < ihl or total > len(payload) or csum(bytes(payload[:ihl])) != 0:
            return "garbled"
        return "ok"
    if nh == 41:
        if len(payload) < 40 or payload[0] >> 4 != 6:
            return "garbled"
        plen = struct.unpack("!H", payload[4:6])[0]
        if 40 + plen > len(payload) or (plen == 0 and len(payload) != 40):
            return "garbled"
        if payload[6] in (6, 17, 58):
            return transport_ok(payload[40:40 + plen], payload[6], bytes(payload[8:24]), bytes(payload[24:40]), False)
        return "ok" if payload[6] == 59 else "weak"
    src, dst, nat = transport
    if nh in (6, 17, 1, 58):
        return transport_ok(payload, nh, src, dst, nat)
    if nh == 47:
        if len(payload) < 4:
            return "garbled"
        flags = struct.unpack("!H", payload[:2])[0]
        ver = flags & 7
        extra = 4 * (bool(flags & 0x8000) + bool(flags & 0x2000) + bool(flags & 0x1000) + (ver == 1 and bool(flags & 0x80)))
        if ver > 1 or flags & (0xCF78 if ver == 1 else 0x4FF8) or 4 + extra > len(payload) or (ver == 1 and not flags & 0x2000):
            return "garbled"
        return "ok"
    return "weak" if nh <= 145 or nh in (253, 254) else "garbled"


def analyse(capture, keyfile):
    sas = read_keys(keyfile)
    reasm = Reassembler()
    rows = []
    for n, (lt, f) in enumerate(read_capture(capture), 1):
        l3 = strip_link(lt, f)
        r = ("not-esp",) if l3 is None else parse_ip(l3, reasm)
        if r[0] == "esp":
            v, spi, seq, inner = esp_process(r[1], sas)
        else:
            v, spi, seq, inner = r[0], None, None, None
        rows.append("%d\t%s\t%s\t%s\t%s" % (n, v, "0x%08x" % spi if spi is not None else "-",
                                           seq if seq is not None else "-",
                                           inner.hex() if inner is not None else "-"))
    return rows

# ----------------------------------------------------------------------------- tshark


def tshark_check(capture, esp_sa, expected, keyfile):
    has_icv = {sa["spi"]: sa["auth"] != "null" or ENC[sa["enc"]][2] > 0 for sa in read_keys(keyfile)}
    h = tempfile.mkdtemp()
    try:
        os.makedirs(os.path.join(h, ".config", "wireshark"))
        shutil.copy(esp_sa, os.path.join(h, ".config", "wireshark", "esp_sa"))
        with open(os.path.join(h, ".config", "wireshark", "preferences"), "w") as p:
            p.write("esp.enable_encryption_decode: TRUE\nesp.enable_authentication_check: TRUE\n")
        fields = ["frame.number", "frame.protocols", "esp.spi", "esp.sequence", "esp.icv_good",
                  "esp.icv_bad", "esp.protocol", "esp.contained_data", "esp.pad_len",
                  "esp.decrypted_data"]
        cmd = ["tshark", "-n", "-r", capture, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
        for fl in fields:
            cmd += ["-e", fl]
        res = subprocess.run(cmd, env=dict(os.environ, HOME=h), capture_output=True, text=True)
        out = res.stdout
        if "Error loading table" in res.stderr:
            return None, [l for l in res.stderr.split("\n") if "Error" in l or "invalid" in l]
    finally:
        shutil.rmtree(h)
    problems = []
    counts = {}
    lines = out.strip("\n").split("\n")
    if len(lines) != len(expected):
        return ["tshark sees %d frames, expected %d" % (len(lines), len(expected))], counts
    for line, exp in zip(lines, expected):
        t = dict(zip(fields, line.split("\t")))
        t["esp.protocol"] = str(int(t["esp.protocol"], 0)) if t["esp.protocol"] else ""
        n, verdict, spi, seq, inner = exp.split("\t")
        protos = t["frame.protocols"]
        ok = True
        if verdict in ("decrypted", "icv-failed", "garbled", "dummy", "no-sa", "malformed"):
            ok = "esp" in protos.split(":") and int(t["esp.spi"], 16 if t["esp.spi"].startswith("0x") else 10) == int(spi, 16)
            ok = ok and int(t["esp.sequence"]) == int(seq)
        if verdict == "decrypted":
            if has_icv[int(spi, 16)]:
                icv_ok = t["esp.icv_good"] in ("1", "True")
            else:
                icv_ok = t["esp.icv_good"] == "" and t["esp.icv_bad"] == ""
            body = bytes.fromhex(t["esp.contained_data"].replace(":", ""))
            try:
                exp_inner = bytes.fromhex(inner)
            except ValueError:
                exp_inner = b"\xff"
            if exp_inner[0] >> 4 == 4 and t["esp.protocol"] not in ("4",):
                exp_body = exp_inner[(exp_inner[0] & 15) * 4:]  # transport: compare the payload only
            elif exp_inner[0] >> 4 == 6 and t["esp.protocol"] not in ("41",):
                exp_body = exp_inner[-len(body):] if body else b"?"
                # payload after fixed header + ext headers: check it is a suffix of the rebuilt packet
            else:
                exp_body = exp_inner
            ok = ok and icv_ok and body == exp_body
        elif verdict == "icv-failed":
            ok = ok and t["esp.icv_bad"] in ("1", "True")
        elif verdict == "garbled":
            # tshark does not judge the plaintext; the ICV must still be good
            ok = ok and (t["esp.icv_good"] in ("1", "True") if has_icv[int(spi, 16)] else t["esp.icv_good"] == "")
        elif verdict == "dummy":
            # tshark 4.0 does not parse the trailer when next header is 59; check the last decrypted byte
            ok = ok and t["esp.decrypted_data"].replace(":", "")[-2:] == "3b" and t["esp.icv_good"] in ("1", "True")
        elif verdict == "keepalive":
            ok = "udpencap" in protos and "esp" not in protos
        elif verdict == "ike":
            ok = "isakmp" in protos
        elif verdict == "not-esp":
            ok = "esp" not in protos
        elif verdict == "fragment":
            ok = "esp" not in protos.split(":")
        counts[verdict] = counts.get(verdict, 0) + 1
        if not ok:
            problems.append("frame %s (%s): tshark says %r" % (n, verdict, t))
    return problems, counts


def main():
    use_tshark = "--tshark" in sys.argv
    bad = 0
    for exp in sorted(glob.glob(os.path.join(HERE, "*.expected.tsv"))):
        name = os.path.basename(exp)[:-len(".expected.tsv")]
        expected = open(exp).read().strip("\n").split("\n")
        assert expected[0] == "frame\tverdict\tspi\tseq\tinner_hex"
        expected = expected[1:]
        caps = [p for p in (os.path.join(HERE, name + ".pcap"), os.path.join(HERE, name + ".pcapng"))
                if os.path.exists(p)]
        for cap in caps:
            got = analyse(cap, os.path.join(HERE, name + ".spiglass"))
            diffs = [(e, g) for e, g in zip(expected, got) if e != g]
            if len(got) != len(expected):
                diffs.append(("%d rows" % len(expected), "%d frames" % len(got)))
            verdicts = {}
            for row in expected:
                v = row.split("\t")[1]
                verdicts[v] = verdicts.get(v, 0) + 1
            status = "OK" if not diffs else "MISMATCH"
            print("%-32s %-8s %2d frames %s" % (os.path.basename(cap), status, len(got),
                                               " ".join("%s=%d" % kv for kv in sorted(verdicts.items()))))
            for e, g in diffs:
                bad += 1
                print("   expected:", e[:160])
                print("   got     :", g[:160])
            esp_sa = os.path.join(HERE, name + ".esp_sa")
            if use_tshark:
                if os.path.exists(esp_sa):
                    problems, info = tshark_check(cap, esp_sa, expected, os.path.join(HERE, name + ".spiglass"))
                    if problems is None:
                        print("%-32s tshark   cannot check, this tshark rejects the esp_sa: %s"
                              % ("", "; ".join(info)))
                        continue
                    print("%-32s tshark   %s" % ("", "OK" if not problems else "PROBLEMS"))
                    for p in problems:
                        bad += 1
                        print("   ", p[:400])
                else:
                    print("%-32s tshark   skipped (no esp_sa: ESN)" % "")
    print("all OK" if not bad else "%d problems" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

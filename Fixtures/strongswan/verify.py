#!/usr/bin/env python3
"""Verify a strongSwan fixture directory and print expected.txt to stdout.

1. tshark (with esp_sa and ikev2_decryption_table applied through a private
   HOME) must decrypt every ESP packet, report the ICV as good and find an
   IPv4/IPv6 packet inside; for IKEv2 the Encrypted payloads must decrypt.
2. Independently, every ESP packet is decrypted and authenticated in Python
   (package `cryptography`) using sa.spiglass, and the inner packet must parse.
   This also covers algorithms the installed tshark cannot decrypt.
Exit status != 0 if anything fails.
usage: verify.py CASEDIR
"""
import hashlib
import hmac
import ipaddress
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

try:  # cryptography >= 43 moved TripleDES to the decrepit module
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:
    TripleDES = algorithms.TripleDES

case = sys.argv[1]
pcap = os.path.join(case, "capture.pcap")
errors = []

# ---------------------------------------------------------------- tshark
home = tempfile.mkdtemp()
try:
    cfg = os.path.join(home, ".config", "wireshark")
    os.makedirs(cfg)
    for f in ("esp_sa", "ikev2_decryption_table"):
        if os.path.exists(os.path.join(case, f)):
            shutil.copy(os.path.join(case, f), cfg)
    with open(os.path.join(cfg, "preferences"), "w") as f:
        f.write("esp.enable_encryption_decode: TRUE\n"
                "esp.enable_authentication_check: TRUE\n")
    fields = ["frame.number", "frame.len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
              "udp.dstport", "esp.spi", "esp.sequence", "esp.protocol", "esp.icv_good",
              "esp.icv_bad", "isakmp.exchangetype", "isakmp.enc.decrypted", "_ws.col.Info"]
    cmd = ["tshark", "-r", pcap, "-n", "-T", "fields", "-E", "occurrence=a",
           "-E", "aggregator=|"]
    for fl in fields:
        cmd += ["-e", fl]
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=cfg.rsplit("/", 1)[0])
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    ver = subprocess.run(["tshark", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
finally:
    shutil.rmtree(home)

rows = []
tshark_failures = []
ts = {"esp": 0, "esp_dec": 0, "esp_icv_good": 0, "ike_enc": 0, "ike_dec": 0}
for line in out.splitlines():
    v = dict(zip(fields, line.split("\t")))
    if v["esp.spi"]:
        ts["esp"] += 1
        dec = "yes" if v["esp.protocol"] else "no"
        icv = "good" if v["esp.icv_good"] == "1" else ("BAD" if v["esp.icv_bad"] == "1" else "unchecked")
        ts["esp_dec"] += dec == "yes"
        ts["esp_icv_good"] += icv == "good"
        # outer header family from the case name (*-v6 = outer IPv6); the inner
        # header is the next address of either family
        if case.rstrip("/").endswith("-v6"):
            o6s, o6d = v["ipv6.src"].split("|"), v["ipv6.dst"].split("|")
            osrc, odst = o6s[0], o6d[0]
            isrc = (v["ip.src"].split("|")[0] if v["ip.src"] else (o6s[1] if len(o6s) > 1 else "-"))
            idst = (v["ip.dst"].split("|")[0] if v["ip.dst"] else (o6d[1] if len(o6d) > 1 else "-"))
        else:
            o4s, o4d = v["ip.src"].split("|"), v["ip.dst"].split("|")
            osrc, odst = o4s[0], o4d[0]
            isrc = (o4s[1] if len(o4s) > 1 else (v["ipv6.src"].split("|")[0] if v["ipv6.src"] else "-"))
            idst = (o4d[1] if len(o4d) > 1 else (v["ipv6.dst"].split("|")[0] if v["ipv6.dst"] else "-"))
        nh = {"0x04": "ipv4", "0x29": "ipv6"}.get(v["esp.protocol"], v["esp.protocol"] or "-")
        if dec != "yes" or icv != "good" or isrc == "-":
            tshark_failures.append(f"tshark: frame {v['frame.number']} not decrypted/authenticated (dec={dec} icv={icv})")
        rows.append([v["frame.number"], "ESP", f"{osrc}>{odst}", v["esp.spi"], v["esp.sequence"],
                     f"decrypted={dec}", f"icv={icv}", f"next={nh}", f"inner={isrc}>{idst}",
                     v["_ws.col.Info"].split("|")[-1].strip()])
    elif v["isakmp.exchangetype"]:
        ex = {"34": "IKE_SA_INIT", "35": "IKE_AUTH", "36": "CREATE_CHILD_SA",
              "37": "INFORMATIONAL"}.get(v["isakmp.exchangetype"], v["isakmp.exchangetype"])
        enc = ex != "IKE_SA_INIT"
        dec = "yes" if v["isakmp.enc.decrypted"] else "no"
        if enc:
            ts["ike_enc"] += 1
            ts["ike_dec"] += dec == "yes"
        a = (v["ip.src"] or v["ipv6.src"]).split("|")[0]
        b = (v["ip.dst"] or v["ipv6.dst"]).split("|")[0]
        rows.append([v["frame.number"], "IKEv2", f"{a}>{b}", ex,
                     f"ike_decrypted={dec if enc else 'n/a'}", v["_ws.col.Info"].strip()])
    else:
        rows.append([v["frame.number"], "other", v["_ws.col.Info"].strip()])

# Wireshark < 4.2 has no ChaCha20-Poly1305 for ESP: there tshark cannot decrypt
# anything and only the python check below counts.
enc_algs = {l.split()[4].split("=", 1)[1] for l in open(os.path.join(case, "sa.spiglass"))
            if l.startswith("esp ")}
tshark_note = ""
if tshark_failures and ts["esp_dec"] == 0 and enc_algs <= {"chacha20-poly1305"}:
    tshark_note = ("tshark cannot decrypt this algorithm (Wireshark ESP has no ChaCha20-Poly1305 "
                   "before 4.2); verified with python only")
else:
    errors.extend(tshark_failures)
if ts["esp"] == 0:
    errors.append("no ESP packets in capture")
have_ike_table = os.path.exists(os.path.join(case, "ikev2_decryption_table"))
if have_ike_table and ts["ike_dec"] != ts["ike_enc"]:
    errors.append(f"tshark decrypted only {ts['ike_dec']}/{ts['ike_enc']} encrypted IKE messages")

# ---------------------------------------------------------------- python
def load_sas(path):
    sas = {}
    for line in open(path):
        line = line.split("#", 1)[0].split()
        if not line or line[0] != "esp":
            continue
        kv = dict(t.split("=", 1) for t in line[1:])
        sas[int(kv["spi"], 16)] = kv
    return sas


def read_pcap(path):
    data = open(path, "rb").read()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        endian = "<"
    elif magic == b"\xa1\xb2\xc3\xd4":
        endian = ">"
    else:
        raise SystemExit("not a (microsecond) pcap file")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    assert linktype == 1, f"unexpected linktype {linktype}"
    off, n = 24, 0
    while off < len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        n += 1
        yield n, data[off + 16:off + 16 + incl]
        off += 16 + incl


def outer(frame):
    """return (src, dst, esp_bytes) or None"""
    et = struct.unpack("!H", frame[12:14])[0]
    p = frame[14:]
    if et == 0x0800:
        ihl = (p[0] & 15) * 4
        proto, src, dst = p[9], p[12:16], p[16:20]
        tot = struct.unpack("!H", p[2:4])[0]
        pl = p[ihl:tot]
    elif et == 0x86DD:
        proto, src, dst = p[6], p[8:24], p[24:40]
        pl = p[40:40 + struct.unpack("!H", p[4:6])[0]]
    else:
        return None
    src, dst = str(ipaddress.ip_address(src)), str(ipaddress.ip_address(dst))
    if proto == 50:
        return src, dst, pl
    if proto == 17:
        sport, dport = struct.unpack("!HH", pl[:4])
        body = pl[8:]
        if 4500 in (sport, dport) and len(body) > 8 and body[:4] != b"\0\0\0\0":
            return src, dst, body
    return None


HASH = {"hmac-md5-96": (hashlib.md5, 12), "hmac-sha1-96": (hashlib.sha1, 12),
        "hmac-sha2-256-128": (hashlib.sha256, 16), "hmac-sha2-384-192": (hashlib.sha384, 24),
        "hmac-sha2-512-256": (hashlib.sha512, 32)}


def esp_decrypt(sa, esp):
    enc = sa["enc"]
    key = bytes.fromhex(sa["enc-key"][2:])
    hdr = esp[:8]
    if enc in ("aes-gcm-16", "chacha20-poly1305"):
        iv, ct = esp[8:16], esp[16:]
        nonce = key[-4:] + iv
        aead = AESGCM(key[:-4]) if enc == "aes-gcm-16" else ChaCha20Poly1305(key[:-4])
        pt = aead.decrypt(nonce, ct, hdr)  # raises InvalidTag on ICV failure
    else:
        h, ilen = HASH[sa["auth"]]
        ak = bytes.fromhex(sa["auth-key"][2:])
        body, icv = esp[:-ilen], esp[-ilen:]
        if not hmac.compare_digest(hmac.new(ak, body, h).digest()[:ilen], icv):
            raise ValueError("ICV mismatch")
        if enc == "aes-cbc":
            iv, ct = body[8:24], body[24:]
            c = Cipher(algorithms.AES(key), modes.CBC(iv))
        elif enc == "3des-cbc":
            iv, ct = body[8:16], body[16:]
            c = Cipher(TripleDES(key), modes.CBC(iv))
        elif enc == "aes-ctr":
            iv, ct = body[8:16], body[16:]
            c = Cipher(algorithms.AES(key[:-4]), modes.CTR(key[-4:] + iv + b"\0\0\0\1"))
        else:
            raise ValueError(f"unsupported enc {enc}")
        d = c.decryptor()
        pt = d.update(ct) + d.finalize()
    padlen, nh = pt[-2], pt[-1]
    pad = pt[-2 - padlen:-2]
    if pad != bytes(range(1, padlen + 1)):
        raise ValueError("bad padding (wrong key?)")
    inner = pt[:-2 - padlen]
    if nh == 4 and inner[0] >> 4 == 4:
        return f"ipv4 {ipaddress.ip_address(inner[12:16])}>{ipaddress.ip_address(inner[16:20])} proto={inner[9]}"
    if nh == 41 and inner[0] >> 4 == 6:
        return f"ipv6 {ipaddress.ip_address(inner[8:24])}>{ipaddress.ip_address(inner[24:40])} nh={inner[6]}"
    raise ValueError(f"unexpected inner next header {nh}")


sas = load_sas(os.path.join(case, "sa.spiglass"))
py = {"esp": 0, "ok": 0}
per_spi = {}
py_lines = []
for n, frame in read_pcap(pcap):
    o = outer(frame)
    if not o:
        continue
    src, dst, esp = o
    spi, seq = struct.unpack("!II", esp[:8])
    py["esp"] += 1
    sa = sas.get(spi)
    try:
        if not sa:
            raise ValueError("no SA for SPI")
        if (sa["src"], sa["dst"]) != (src, dst):
            raise ValueError(f"SA addresses {sa['src']}>{sa['dst']} != packet {src}>{dst}")
        res = esp_decrypt(sa, esp)
        py["ok"] += 1
        per_spi[spi] = per_spi.get(spi, 0) + 1
        py_lines.append(f"{n}\t0x{spi:08x}\t{seq}\tok\t{res}")
    except Exception as e:  # noqa
        errors.append(f"python: frame {n} SPI 0x{spi:08x}: {type(e).__name__} {e}")
        py_lines.append(f"{n}\t0x{spi:08x}\t{seq}\tFAIL\t{e}")
if len(per_spi) != len(sas) or len(sas) != 2:
    errors.append(f"expected ESP traffic on both SAs, got {per_spi}")

# ---------------------------------------------------------------- output
print(f"# Expected dissection of capture.pcap ({os.path.basename(os.path.abspath(case))})")
print(f"# tshark: {ver}, with esp_sa" + (" and ikev2_decryption_table" if have_ike_table else "")
      + " from this directory;")
print("# prefs esp.enable_encryption_decode/esp.enable_authentication_check = TRUE")
print("# ESP rows: frame, ESP, outer src>dst, SPI, sequence, decrypted, ICV, ESP next header,"
      " inner src>dst, tshark info")
print("# IKEv2 rows: frame, IKEv2, src>dst, exchange, IKE Encrypted payload decrypted, info")
for r in rows:
    print("\t".join(r))
print("#")
print("# independent check (verify.py, python cryptography, keys from sa.spiglass):")
print("# frame, SPI, sequence, result, inner packet")
for l in py_lines:
    print("# " + l)
if tshark_note:
    print("# NOTE: " + tshark_note)
for e in errors:
    print("# ERROR: " + e)
print(f"# summary: frames={len(rows)} esp={ts['esp']} tshark_decrypted={ts['esp_dec']} "
      f"tshark_icv_good={ts['esp_icv_good']} python_ok={py['ok']}/{py['esp']} "
      f"ike_encrypted={ts['ike_enc']} ike_decrypted={ts['ike_dec'] if have_ike_table else 'n/a'} "
      + " ".join(f"spi_0x{k:08x}={v}" for k, v in sorted(per_spi.items()))
      + (" RESULT=OK" if not errors else " RESULT=FAIL"))
sys.exit(1 if errors else 0)

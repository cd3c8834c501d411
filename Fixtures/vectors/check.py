#!/usr/bin/env python3
"""Verify every test vector in Fixtures/vectors/*.txt with the `cryptography`
package (independent of the Swift code).  Usage:  python3 check.py [files...]
Exit status 0 only if every vector passes."""
import glob, hmac as std_hmac, hashlib, os, struct, sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.cmac import CMAC
from cryptography.exceptions import InvalidTag

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- parsing
def parse(path):
    """Blocks separated by blank lines; '#' comments; '[name]' then key = value."""
    cases, cur = [], None
    for lineno, raw in enumerate(open(path), 1):
        line = raw.strip()
        if not line:
            cur = None
            continue
        if line.startswith('#'):
            continue
        if line.startswith('[') and line.endswith(']'):
            cur = {'_name': line[1:-1], '_line': lineno}
            cases.append(cur)
            continue
        if cur is None or '=' not in line:
            raise SystemExit(f"{path}:{lineno}: unexpected line {line!r}")
        k, _, v = line.partition('=')
        k, v = k.strip(), v.strip()
        if k in cur:
            raise SystemExit(f"{path}:{lineno}: duplicate key {k}")
        cur[k] = v
    return cases

HEXKEYS = {'enc-key', 'auth-key', 'packet', 'esp', 'plaintext', 'decrypted', 'iv', 'icv',
           'key', 'nonce', 'ciphertext', 'data', 'mac', 'mac-96', 'spi', 'seq', 'seq-hi',
           'poly1305-key', 'original-ip-header'}

def hx(c, k):
    v = c[k]
    if v != v.lower() or any(ch not in '0123456789abcdef' for ch in v) or len(v) % 2:
        raise AssertionError(f"{k}: not lowercase even-length hex")
    return bytes.fromhex(v)

class Fail(Exception):
    pass

def check(cond, msg):
    if not cond:
        raise Fail(msg)

# ---------------------------------------------------------------- helpers
def ip_checksum(hdr):
    s = 0
    for i in range(0, len(hdr), 2):
        s += (hdr[i] << 8) | hdr[i + 1]
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

ICV_LEN = {'null': 0, 'hmac-md5-96': 12, 'hmac-sha1-96': 12, 'hmac-sha2-256-128': 16,
           'hmac-sha2-384-192': 24, 'hmac-sha2-512-256': 32}
HMAC_HASH = {'hmac-md5-96': hashes.MD5, 'hmac-sha1-96': hashes.SHA1,
             'hmac-sha2-256-128': hashes.SHA256, 'hmac-sha2-384-192': hashes.SHA384,
             'hmac-sha2-512-256': hashes.SHA512}
AEAD_ICV = {'aes-gcm-16': 16, 'aes-gcm-12': 12, 'aes-gcm-8': 8, 'chacha20-poly1305': 16,
            'aes-gmac': 16}
IV_LEN = {'null': 0, 'aes-cbc': 16, '3des-cbc': 8, 'aes-ctr': 8, 'aes-gcm-16': 8,
          'aes-gcm-12': 8, 'aes-gcm-8': 8, 'chacha20-poly1305': 8, 'aes-gmac': 8}

def hmac_full(hashcls, key, data):
    h = hmac.HMAC(key, hashcls())
    h.update(data)
    return h.finalize()

notes = []

def verify_esp(c):
    enc, auth = c['enc'], c.get('auth', 'null')
    check(enc in IV_LEN, f"unknown enc {enc}")
    check(auth in ICV_LEN, f"unknown auth {auth}")
    # ---- outer IPv4 header (if a whole packet is given)
    if 'packet' in c:
        pkt = hx(c, 'packet')
        check(pkt[0] >> 4 == 4, "outer packet is not IPv4")
        ihl = (pkt[0] & 0x0f) * 4
        hdr = pkt[:ihl]
        check(struct.unpack('>H', hdr[2:4])[0] == len(pkt), "IPv4 total length != packet length")
        check(hdr[9] == 50, f"IPv4 protocol is {hdr[9]}, not 50 (ESP)")
        check(ip_checksum(hdr) == 0, "outer IPv4 header checksum invalid")
        esp = pkt[ihl:]
        if 'esp' in c:
            check(hx(c, 'esp') == esp, "esp != ESP part of packet")
    else:
        esp = hx(c, 'esp')
    # ---- ESP header
    spi, seq = esp[0:4], esp[4:8]
    check(spi == hx(c, 'spi'), "SPI mismatch")
    check(seq == hx(c, 'seq'), "sequence number mismatch")
    esn = c.get('esn') == 'yes'
    seq_hi = hx(c, 'seq-hi') if esn else b''
    check(esn == ('seq-hi' in c), "esn/seq-hi inconsistent")
    ivlen = IV_LEN[enc]
    iv = esp[8:8 + ivlen]
    if 'iv' in c:
        check(iv == hx(c, 'iv'), "IV mismatch")
    aead = enc in AEAD_ICV
    icvlen = AEAD_ICV[enc] if aead else ICV_LEN[auth]
    body = esp[8 + ivlen:len(esp) - icvlen]
    icv = esp[len(esp) - icvlen:]
    if 'icv' in c:
        check(icv == hx(c, 'icv'), "ICV field mismatch")
    key = hx(c, 'enc-key') if enc != 'null' else b''
    # ---- integrity (non-AEAD): HMAC over SPI..ciphertext (+ seq-hi if ESN, RFC 4303 2.2.1)
    if not aead and auth != 'null':
        mac = hmac_full(HMAC_HASH[auth], hx(c, 'auth-key'), esp[:len(esp) - icvlen] + seq_hi)
        check(std_hmac.compare_digest(mac[:icvlen], icv), "HMAC ICV mismatch")
    # ---- decryption
    aad = spi + seq_hi + seq
    if enc == 'null':
        dec = body
    elif enc == 'aes-cbc' or enc == '3des-cbc':
        alg = algorithms.AES(key) if enc == 'aes-cbc' else algorithms.TripleDES(key)
        check(len(body) % (alg.block_size // 8) == 0, "ciphertext not a multiple of block size")
        d = Cipher(alg, modes.CBC(iv)).decryptor()
        dec = d.update(body) + d.finalize()
    elif enc == 'aes-ctr':
        k, nonce = key[:-4], key[-4:]
        d = Cipher(algorithms.AES(k), modes.CTR(nonce + iv + b'\x00\x00\x00\x01')).decryptor()
        dec = d.update(body) + d.finalize()
    elif enc.startswith('aes-gcm'):
        k, salt = key[:-4], key[-4:]
        d = Cipher(algorithms.AES(k), modes.GCM(salt + iv, icv, min_tag_length=icvlen)).decryptor()
        d.authenticate_additional_data(aad)
        try:
            dec = d.update(body) + d.finalize()
        except InvalidTag:
            raise Fail("AES-GCM tag (ICV) verification failed")
    elif enc == 'aes-gmac':
        # RFC 4543: nothing encrypted; AAD = SPI || [seq-hi] || seq || IV || payload..NH
        k, salt = key[:-4], key[-4:]
        try:
            AESGCM(k).decrypt(salt + iv, icv, aad + iv + body)
        except InvalidTag:
            raise Fail("AES-GMAC tag (ICV) verification failed")
        dec = body
    elif enc == 'chacha20-poly1305':
        k, salt = key[:32], key[32:]
        check(len(salt) == 4, "chacha20-poly1305 enc-key must be 36 bytes")
        try:
            dec = ChaCha20Poly1305(k).decrypt(salt + iv, body + icv, aad)
        except InvalidTag:
            raise Fail("ChaCha20-Poly1305 tag (ICV) verification failed")
        if 'poly1305-key' in c:
            e = Cipher(algorithms.ChaCha20(k, b'\x00' * 4 + salt + iv), None).encryptor()
            check(e.update(b'\x00' * 32) == hx(c, 'poly1305-key'), "Poly1305 one-time key mismatch")
    else:
        raise Fail(f"enc {enc} not handled")
    if 'ciphertext' in c:
        check(body == hx(c, 'ciphertext'), "ciphertext field mismatch")
    # ---- ESP trailer
    check(len(dec) >= 2, "decrypted payload too short")
    nh, padlen = dec[-1], dec[-2]
    check(padlen + 2 <= len(dec), "pad length exceeds payload")
    payload = dec[:len(dec) - 2 - padlen]
    padding = dec[len(payload):-2]
    check(padding == bytes(range(1, padlen + 1)), "padding is not 1,2,3,... (RFC 4303 2.4)")
    if 'decrypted' in c:
        check(dec == hx(c, 'decrypted'), "decrypted payload mismatch")
    if 'pad-length' in c:
        check(padlen == int(c['pad-length']), "pad length mismatch")
    check(nh == int(c['next-header']), f"next header {nh} != {c['next-header']}")
    check(payload == hx(c, 'plaintext'), "plaintext mismatch")
    # informational: inner IPv4 header checksum when the payload is an IPv4 packet
    if nh == 4 and payload[:1] and payload[0] >> 4 == 4:
        ihl = (payload[0] & 0x0f) * 4
        check(ip_checksum(payload[:ihl]) == 0, "inner IPv4 header checksum invalid")
    if 'original-ip-header' in c:
        check(ip_checksum(hx(c, 'original-ip-header')) == 0, "original IPv4 header checksum invalid")

def verify_raw(c):
    mode = c['mode']
    if mode == 'raw-cbc':
        key, iv, pt, ct = hx(c, 'key'), hx(c, 'iv'), hx(c, 'plaintext'), hx(c, 'ciphertext')
        e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        check(e.update(pt) + e.finalize() == ct, "AES-CBC encryption mismatch")
        d = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        check(d.update(ct) + d.finalize() == pt, "AES-CBC decryption mismatch")
    elif mode == 'raw-ctr':
        key, nonce, iv = hx(c, 'key'), hx(c, 'nonce'), hx(c, 'iv')
        pt, ct = hx(c, 'plaintext'), hx(c, 'ciphertext')
        check(len(nonce) == 4 and len(iv) == 8, "nonce must be 4 bytes, iv 8 bytes")
        blk = nonce + iv + b'\x00\x00\x00\x01'
        e = Cipher(algorithms.AES(key), modes.CTR(blk)).encryptor()
        check(e.update(pt) + e.finalize() == ct, "AES-CTR mismatch")
    elif mode.startswith('hmac-'):
        alg = {'hmac-md5': hashes.MD5, 'hmac-sha1': hashes.SHA1, 'hmac-sha256': hashes.SHA256,
               'hmac-sha384': hashes.SHA384, 'hmac-sha512': hashes.SHA512}[mode]
        full = hmac_full(alg, hx(c, 'key'), hx(c, 'data'))
        mac = hx(c, 'mac')
        if 'truncated' in c:
            n = int(c['truncated'])
            check(len(mac) == n and full[:n] == mac, "truncated HMAC mismatch")
        else:
            check(full == mac, "HMAC mismatch")
        if 'mac-96' in c:
            check(full[:12] == hx(c, 'mac-96'), "HMAC-96 mismatch")
    elif mode == 'aes-xcbc-mac':
        full = xcbc_mac(hx(c, 'key'), hx(c, 'data'))
        check(full == hx(c, 'mac'), "AES-XCBC-MAC mismatch")
        if 'mac-96' in c:
            check(full[:12] == hx(c, 'mac-96'), "AES-XCBC-MAC-96 mismatch")
    elif mode == 'aes-cmac':
        m = CMAC(algorithms.AES(hx(c, 'key')))
        m.update(hx(c, 'data'))
        full = m.finalize()
        check(full == hx(c, 'mac'), "AES-CMAC mismatch")
        if 'mac-96' in c:
            check(full[:12] == hx(c, 'mac-96'), "AES-CMAC-96 mismatch")
    else:
        raise Fail(f"unknown mode {mode}")

def xcbc_mac(key, msg):
    """RFC 3566 section 2.1, from AES-ECB of `cryptography` (which has no XCBC)."""
    def enc(k, block):
        e = Cipher(algorithms.AES(k), modes.ECB()).encryptor()
        return e.update(block) + e.finalize()
    k1, k2, k3 = (enc(key, bytes([i]) * 16) for i in (1, 2, 3))
    blocks = [msg[i:i + 16] for i in range(0, len(msg), 16)] or [b'']
    e = bytes(16)
    for b in blocks[:-1]:
        e = enc(k1, bytes(x ^ y for x, y in zip(e, b)))
    last = blocks[-1]
    if len(last) == 16:
        return enc(k1, bytes(x ^ y ^ z for x, y, z in zip(e, last, k2)))
    padded = last + b'\x80' + bytes(15 - len(last))
    return enc(k1, bytes(x ^ y ^ z for x, y, z in zip(e, padded, k3)))

def main(argv):
    files = argv or sorted(glob.glob(os.path.join(HERE, '*.txt')))
    total = failed = skipped = 0
    for f in files:
        cases = parse(f)
        ok = bad = 0
        for c in cases:
            total += 1
            try:
                check('source' in c, "missing source")
                if 'enc' in c:
                    verify_esp(c)
                else:
                    verify_raw(c)
                ok += 1
            except (Fail, AssertionError, KeyError, ValueError) as e:
                bad += 1
                failed += 1
                print(f"FAIL {os.path.basename(f)} [{c['_name']}] (line {c['_line']}): {type(e).__name__}: {e}")
        print(f"{os.path.basename(f):22s} {ok:3d} passed, {bad:d} failed")
    print(f"TOTAL: {total} vectors, {total - failed} passed, {failed} failed")
    return 1 if failed else 0

if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

"""WeChat official account signatures and the AES "safe mode" message cipher.

Signature: SHA1 over the sorted, concatenated strings (token, timestamp, nonce[, encrypted text]).
Safe mode: AES-256-CBC with the 32-byte key decoded from the 43-character EncodingAESKey, IV = the
key's first 16 bytes, PKCS#7 padding to 32-byte blocks, over
`16 random bytes + 4-byte big-endian length + message + app id`, base64-encoded.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

AES_KEY_CHARS = 43
PAD_BLOCK = 32
PREFIX_BYTES = 16


class DecryptError(ValueError):
    """The encrypted text is not a message for this official account."""


def signature(*parts: str) -> str:
    """SHA1 hex digest of the sorted parts joined without separator."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def check_signature(expected: str | None, *parts: str) -> bool:
    """Whether `expected` is the signature of the parts (constant-time; empty parts or signature never match).

    A signature is 40 hex digits, so anything else (e.g. `signature=签名`) simply does not match: compared as
    UTF-8 bytes, since `hmac.compare_digest` refuses str with non-ASCII characters (TypeError).
    """
    if not expected or not all(parts):
        return False
    try:
        wanted = signature(*parts).encode("ascii")
        given = expected.strip().lower().encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in a part or in the signature: it cannot be one
        return False
    return hmac.compare_digest(wanted, given)


def decode_aes_key(aes_key: str) -> bytes:
    """The 32-byte AES key of a 43-character EncodingAESKey (ValueError when it is not one)."""
    if len(aes_key) != AES_KEY_CHARS:
        raise ValueError(f"EncodingAESKey must be {AES_KEY_CHARS} characters, got {len(aes_key)}")
    try:
        key = base64.b64decode(aes_key + "=", validate=True)
    except binascii.Error as error:
        raise ValueError("EncodingAESKey is not valid base64") from error
    if len(key) != 32:
        raise ValueError("EncodingAESKey does not decode to 32 bytes")
    return key


def _pad(data: bytes) -> bytes:
    count = PAD_BLOCK - len(data) % PAD_BLOCK
    return data + bytes([count]) * count


def _unpad(data: bytes) -> bytes:
    count = data[-1] if data else 0
    if not 1 <= count <= PAD_BLOCK or count > len(data) or data[-count:] != bytes([count]) * count:
        raise DecryptError("bad padding")
    return data[:-count]


class WeChatCipher:
    """Encrypts replies and decrypts messages of one official account (app id) in safe mode."""

    def __init__(self, aes_key: str, app_id: str) -> None:
        if not app_id:
            raise ValueError("safe mode needs the official account's app id")
        self.key = decode_aes_key(aes_key)
        self.app_id = app_id

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, text: str, prefix: bytes | None = None) -> str:
        """Base64 ciphertext of the text; `prefix` (16 bytes) is random unless given (for test vectors)."""
        prefix = os.urandom(PREFIX_BYTES) if prefix is None else prefix
        if len(prefix) != PREFIX_BYTES:
            raise ValueError(f"prefix must be {PREFIX_BYTES} bytes")
        body = text.encode("utf-8")
        plain = _pad(prefix + struct.pack(">I", len(body)) + body + self.app_id.encode("utf-8"))
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypted: str) -> str:
        """The message inside the base64 ciphertext (DecryptError when it is not one for this app id)."""
        try:
            data = base64.b64decode(encrypted.strip(), validate=True)
        except (binascii.Error, ValueError) as error:
            raise DecryptError("not base64") from error
        if not data or len(data) % 16:
            raise DecryptError("ciphertext is not whole AES blocks")
        decryptor = self._cipher().decryptor()
        plain = _unpad(decryptor.update(data) + decryptor.finalize())
        return self._unwrap(plain)

    def _unwrap(self, plain: bytes) -> str:
        if len(plain) < PREFIX_BYTES + 4:
            raise DecryptError("message too short")
        (length,) = struct.unpack(">I", plain[PREFIX_BYTES:PREFIX_BYTES + 4])
        start = PREFIX_BYTES + 4
        if start + length > len(plain):
            raise DecryptError("message length out of range")
        if plain[start + length:] != self.app_id.encode("utf-8"):
            raise DecryptError("message is for another app id")
        try:
            return plain[start:start + length].decode("utf-8")
        except UnicodeDecodeError as error:
            raise DecryptError("message is not UTF-8") from error
